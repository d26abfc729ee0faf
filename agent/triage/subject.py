"""What an incident is about: the namespace, workloads, pods and nodes it points at.

Alerts name their subject in labels, but which labels depends on who wrote the rule:
kube-state-metrics says `deployment`, `statefulset`, `job_name`, `horizontalpodautoscaler`,
`persistentvolumeclaim`; SLO rules say `service` or `app`; a PagerDuty event or a question says it
in words. This module collects every candidate name without deciding which one exists: the
survey resolves candidates against the cluster (an object of that name really exists, in this
namespace, of that kind), so a word that merely looks like a name ("reach", "fail") never becomes
a label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.incident import Incident
from agent.triage import alert_series, subject_values

NAMESPACE_LABELS = ("namespace", "exported_namespace", "kubernetes_namespace", "k8s_namespace", "namespace_name",
                    "k8s_namespace_name", "destination_workload_namespace")
"""Labels that name a namespace, most common first."""

NAME_LABELS = ("deployment", "statefulset", "daemonset", "replicaset", "cronjob", "job_name", "service",
               "service_name", "app", "app_kubernetes_io_name", "app_kubernetes_io_instance", "k8s_app",
               "workload", "destination_workload", "container", "horizontalpodautoscaler", "hpa",
               "persistentvolumeclaim", "ingress", "certificate", "configmap", "name", "job")
"""Labels that may name the object at fault, most specific first. `job` comes last: in Prometheus it
is usually the scrape job (often, but not always, the Service's name)."""

NODE_LABELS = ("node", "kubernetes_node", "k8s_node_name", "nodename")

_K8S_NAME = re.compile(r"(?<![\w./-])([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
                       r"(?![\w/-])")
_CONTRACTION = re.compile(r"['\u2019]t\b")
"""What follows the stem of a negated verb (`aren't`, `doesn’t`), which the name pattern stops before."""
_REF = re.compile(r"(?<![\w.-])([a-z0-9][a-z0-9-]{0,62})/([a-z0-9][a-z0-9.-]{0,252})(?![\w-])")
_DEPLOYMENT_POD = re.compile(r"(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}")
_SHORT_SUFFIX_POD = re.compile(r"(.+)-[bcdfghjklmnpqrstvwxz2456789]{5}")
_ORDINAL_POD = re.compile(r"(.+)-\d{1,4}")

_COMMON_WORDS = frozenset(word for word in """
a about after all also an and any are around as at be been before being but by can cannot cluster clusters
could did do does doing down error errors failed failing fails for from get gets getting had has have how
i if in into is it its keep keeps latency look me more my namespace namespaces no node nodes not now of
on or our out over pod pods please problem reach reaches reaching restarting returning service services
since slow so some than that the their them then there these they this those to too up was we were what
when where which while who why will with within without workload you your issue issues happening going
wrong broken down outage check investigate investigating alert alerts firing high low today yesterday
crashing crashloop crashlooping oomkilled evicted pending running ready unready healthy unhealthy timeout
timeouts timing requests request users user customers traffic seeing seen see hit hitting since started
just again still every all-the something anything nothing outside inside clients client external internal
job jobs deployment deployments pods container containers app apps application applications image images
""".split())  # noqa: SIM905
"""Words of incident prose that are never taken as object names on their own."""


def workload_of_pod(pod: str) -> str:
    """The controller name behind a pod name: Deployment (two hashes), DaemonSet/Job (one), StatefulSet (ordinal)."""
    for pattern in (_DEPLOYMENT_POD, _SHORT_SUFFIX_POD, _ORDINAL_POD):
        found = pattern.fullmatch(pod)
        if found:
            return found.group(1)
    return pod


@dataclass
class Subject:
    """Candidate names for what is wrong, strongest first; nothing here is known to exist yet."""

    namespace: str = ""
    names: list[str] = field(default_factory=list)
    """Workload, Service, PVC, HPA... names from labels (exact) then from words (guesses)."""
    pods: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    from_labels: set[str] = field(default_factory=set)
    """The names that came from labels rather than words (trusted more)."""
    namespace_words: list[str] = field(default_factory=list)
    """Words that may be a namespace ("in app-02", "namespace shop"), to check against the cluster."""
    hosts: list[str] = field(default_factory=list)
    """Host names the incident names (an `instance` URL, a domain in the summary): matched against
    Ingress hosts and certificate DNS names."""
    labelled_values: list[str] = field(default_factory=list)
    """Every label value of the alert that looks like a name (a consumer group, a topic, a job): an
    exporter names its subject in its own terms, and teams name workloads after them
    (`order-events-fulfilment` -> Deployment fulfilment/order-events-consumer)."""
    claims: list[str] = field(default_factory=list)
    """PersistentVolumeClaims the alert names (a volume filling up)."""
    problems: set[str] = field(default_factory=set)
    """Kinds of problem the incident's words describe ("certificate", "dns", "disk"...): see PROBLEM_WORDS."""
    addresses: list[str] = field(default_factory=list)
    """`IP[:port]` values of address labels (a scrape target's `instance`): a pod's IP (subject_resolve)."""
    phrases: list[str] = field(default_factory=list)
    """Words of the alert's name and prose joined as a name (`ledger-events`): looked for in the cluster."""
    backlog_said: str = ""
    """The incident's own sentence that reports a backlog (a queue growing, a consumer group's lag), when one
    does: nothing errors in such an incident, so this is the symptom a throughput bound's cut is fitted to."""
    series: list[str] = field(default_factory=list)
    """Metric names the alert's expression selects or its text quotes (agent.triage.alert_series): what a module
    judging the telemetry path (a relabel drop, a sampler) matches its rules against."""

    @property
    def known(self) -> bool:
        """Whether the incident names anything definite: a label, not only words of prose."""
        return bool(self.namespace or self.from_labels or self.pods or self.nodes)

    def fragments(self) -> set[str]:
        """Hyphen-separated parts of the alert's label values, four letters or more (no common words)."""
        parts = {p for v in self.labelled_values for p in re.split(r"[-_./:]", v)}
        return {p for p in parts if len(p) >= 4 and not p.isdigit() and p not in _COMMON_WORDS}

    def echoes(self, name: str) -> bool:
        """Whether an object's name is built on one of the alert's label values (`order-events` ->
        `order-events-consumer`) or the other way round."""
        low = name.lower()
        return len(low) >= 4 and any(
            low.startswith(v + "-") or v.startswith(low + "-") for v in self.labelled_values if len(v) >= 4)

    def mentions(self, name: str) -> bool:
        """Whether `name` is one of the subject's names (or its plural/singular), a pod's workload, or a node."""
        low = name.lower()
        forms = {low, low[:-1] if low.endswith("s") else low + "s"}
        return (bool(forms & set(self.names)) or low in self.nodes or low in self.pods
                or any(workload_of_pod(p) == low for p in self.pods))


PROBLEM_WORDS: dict[str, tuple[str, ...]] = {
    # A kind of problem (a scan check's prefix or word) -> words an alert or a person uses for it.
    "certificate": ("certificate", "cert", "ssl", "tls", "x509", "expired", "expiry", "expiring", "https"),
    "dns": ("dns", "resolve", "resolution", "lookup", "nxdomain", "unknownhost", "coredns", "name resolution"),
    "pvc": ("disk", "volume", "pvc", "storage", "filesystem", "persistentvolume", "inode"),
    "node": ("node", "kubelet", "notready", "not ready node"),
    "quota": ("quota",),
    "hpa": ("hpa", "autoscal", "scale", "scaling", "replicas at max"),
    "job": ("job", "cronjob", "backup", "migration", "batch"),
    "oom": ("oom", "memory", "oomkilled"),
    "image": ("image", "pull", "registry"),
    "ingress": ("ingress", "404", "502", "503", "gateway"),
    "webhook": ("webhook", "admission"),
    "evict": ("evict", "pressure"),
    "drain": ("drain", "poddisruption", "disruption budget", "evictionfailure", "eviction failure",
              "node group upgrade", "node upgrade", "cannot evict", "failed to evict"),
    "http": ("4xx", "5xx", "error rate", "error ratio", "errors ratio", "status code", "http 4", "http 5",
             "client errors", "server errors", "429", "too many requests"),
    "backlog": ("backlog", "consumer lag", "consumergroup lag", "consumer group lag", "ready messages",
                "messages ready", "unacked", "queue depth", "queue length", "queue size", "queue growing",
                "queue is growing", "still growing", "falling behind", "fell behind", "not keeping up",
                "unprocessed", "pending messages", "pending tasks", "pending jobs", "lag is growing"),
}
"""Words for each kind of problem, so an alert that says "SSL certificate expired" relates to the
scan's certificate findings even when it names no object (a blackbox probe knows only a URL)."""

_HOST = re.compile(r"(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?::\d+)?(?![\w.-])")


_NOT_NAMES = frozenset({"alertname", "severity", "prometheus", "cluster", "receiver", "instance", "endpoint",
                        "metrics_path", "uid", "le", "quantile", "code", "method", "status", "reason"})
"""Labels whose values never name a workload (the alert's own name, routing, the scraped endpoint)."""


def _add(items: list[str], value: str) -> None:
    value = value.strip().lower()
    if value and value not in items:
        items.append(value)


def subject_of(incident: Incident) -> Subject:
    """Every candidate the incident's labels, annotations and words offer."""
    subject = Subject()
    label_sets = [incident.labels] + [a.labels for a in incident.alerts]
    for labels in label_sets:
        for key in NAMESPACE_LABELS:
            if labels.get(key) and not subject.namespace:
                subject.namespace = labels[key].strip().lower()
        for key in NAME_LABELS:
            if labels.get(key):
                _add(subject.names, labels[key])
                subject.from_labels.add(labels[key].strip().lower())
        if labels.get("pod"):
            _add(subject.pods, labels["pod"])
            _add(subject.names, workload_of_pod(labels["pod"].strip().lower()))
            subject.from_labels.add(workload_of_pod(labels["pod"].strip().lower()))
        for key in NODE_LABELS:
            if labels.get(key):
                _add(subject.nodes, labels[key])
        claim = labels.get("persistentvolumeclaim", "").strip().lower()
        if claim:
            _add(subject.claims, claim)
            # A StatefulSet's claim is TEMPLATE-POD (data-redis-0): the pod that mounts it is POD.
            # Which hyphen ends the template is ambiguous (postgres-data-pg-0), so every split is a
            # candidate, shortest template first; the survey reads the first pod that exists.
            parts = claim.split("-")
            if len(parts) >= 3 and parts[-1].isdigit():
                for cut in range(1, len(parts) - 1):
                    _add(subject.pods, "-".join(parts[cut:]))
    if not subject.from_labels and not subject.pods:
        for name in group_names(incident, subject.namespace):  # the group's other alerts name the workload
            _add(subject.names, name)
    for labels in label_sets:
        for key, value in labels.items():
            low = value.strip().lower()
            if key not in _NOT_NAMES and re.fullmatch(r"[a-z0-9][a-z0-9._-]{3,252}", low) and low not in _COMMON_WORDS:
                _add(subject.labelled_values, low)
        for key in ("instance", "host", "hostname", "url", "domain", "target", "server_name"):
            for host in _HOST.findall(labels.get(key, "").lower()):
                _add(subject.hosts, host)
    subject.addresses = subject_values.addresses(label_sets)  # resolved by agent.triage.subject_resolve
    subject.phrases = subject_values.phrases(incident.alertname, _prose(incident))
    subject.series = alert_series.names(incident)
    prose = _prose(incident).lower()
    for host in _HOST.findall(prose):
        if not re.fullmatch(r"[\d.]+", host):
            _add(subject.hosts, host)
    words = f"{prose} {incident.alertname.lower()}"
    subject.problems = {kind for kind, said in PROBLEM_WORDS.items() if any(w in words for w in said)}
    if "backlog" in subject.problems:
        subject.backlog_said = next((line.strip()[:300] for line in _prose(incident).splitlines()
                                     if any(w in line.lower() for w in PROBLEM_WORDS["backlog"])), "")
    for word in words_in(_prose(incident)):
        _add(subject.names, word)
    for ns in namespace_words(_prose(incident)):
        _add(subject.namespace_words, ns)
    if subject.namespace and subject.namespace in subject.names and subject.namespace not in subject.from_labels:
        subject.names.remove(subject.namespace)
    return subject


def group_names(incident: Incident, namespace: str) -> list[str]:
    """Workload names the OTHER alerts of the incident's Alertmanager notification carry (their workload and pod
    labels), when they are about the same namespace.

    A notification grouped by namespace mixes alert names, and each name is its own incident; the one whose
    alert is a tenant's or a rate's (Loki discarding samples, a queue's depth) may name no workload while its
    siblings name the pods that raise it (`pod=loki-write-0`, `job=loki-write`). Those names are the group's
    evidence of where the symptom lives: kept as candidates (never as this alert's own labels), so the survey
    can resolve the subject rather than find nothing to read."""
    raw = incident.raw if isinstance(incident.raw, dict) else {}
    alerts = raw.get("alerts") if incident.source == "alertmanager" else None
    own = {a.labels.get("alertname", "") for a in incident.alerts} or {incident.labels.get("alertname", "")}
    out: list[str] = []
    for alert in alerts if isinstance(alerts, list) else []:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        if not isinstance(labels, dict) or str(labels.get("alertname") or "") in own:
            continue
        where = next((str(labels[k]).strip().lower() for k in NAMESPACE_LABELS if labels.get(k)), "")
        if namespace and where and where != namespace:
            continue
        values = [str(labels[k]) for k in NAME_LABELS if k != "container" and isinstance(labels.get(k), str)
                  and labels.get(k)]  # a container's name (`main`, `app`) names no workload of its own
        values += [workload_of_pod(str(labels["pod"]).strip().lower())] if isinstance(labels.get("pod"), str) else []
        for value in values:
            low = value.strip().lower()
            if re.fullmatch(r"[a-z0-9][a-z0-9.-]{2,252}", low) and low not in _COMMON_WORDS:
                _add(out, low)
    return out


def _prose(incident: Incident) -> str:
    parts = [incident.title, incident.question]
    for notes in [incident.annotations, *(a.annotations for a in incident.alerts)]:
        parts.extend(notes.get(k, "") for k in ("summary", "description", "message"))
    return "\n".join(p for p in parts if p)


def words_in(text: str) -> list[str]:
    """Words shaped like object names, likeliest first: names with a hyphen or digit before plain words."""
    lowered = text.lower()
    found: list[str] = []
    for ns, name in _REF.findall(lowered):
        for part in (name, ns):
            if part not in _COMMON_WORDS and part not in found:
                found.append(part)
    for match in _K8S_NAME.finditer(lowered):
        word = match.group(1).strip(".")
        if len(word) < 3 or word in _COMMON_WORDS or word.isdigit() or word in found:
            continue
        if _CONTRACTION.match(lowered, match.end()):  # "aren't", "doesn't": a negation, not a name
            continue
        if re.fullmatch(r"\d+(?:\.\d+)*[a-z]{0,3}", word):  # 500s, 1.9.0, 5xx, 10m
            continue
        found.append(word)
    return sorted(found, key=lambda w: (0 if re.search(r"[-\d]", w) else 1))


_NS_WORD = re.compile(r"[a-z][a-z0-9-]{1,62}")
"""A word shaped like a namespace name (a DNS label that starts with a letter: no number, no version)."""


def namespace_words(text: str) -> list[str]:
    """Words in a namespace position: `in NAME`, `namespace NAME`, `NAME namespace`, `-n NAME`, `NAME/obj`, and a
    name in a title's parentheses or brackets, alone or listed: `(payouts)`, `[shop]`, `(presence, realtime)` (alert
    templates append the namespace so). Candidates only: the cluster decides."""
    lowered = text.lower()
    patterns = (r"\bin\s+(?:the\s+)?(?:namespace\s+)?[\"'`]?([a-z0-9][a-z0-9-]{1,62})\b",
                r"\bnamespace\s+[\"'`]?([a-z0-9][a-z0-9-]{1,62})\b",
                r"\b([a-z0-9][a-z0-9-]{1,62})\s+namespace\b",
                r"(?:^|\s)-n\s+([a-z0-9][a-z0-9-]{1,62})\b",
                r"(?<![\w.-])([a-z0-9][a-z0-9-]{0,62})/[a-z0-9]")
    out: list[str] = []
    for pattern in patterns:
        for word in re.findall(pattern, lowered):
            if word not in _COMMON_WORDS and word not in out:
                out.append(word)
    for listed in re.findall(r"[(\[]([a-z0-9][a-z0-9, -]{0,80})[)\]]", lowered):  # "(payouts)", "[shop]",
        for word in re.split(r"[,\s]+", listed):  # "(presence, realtime)": titles append the namespace so
            if _NS_WORD.fullmatch(word) and word not in _COMMON_WORDS and word not in out:
                out.append(word)
    return out


def names_matching(subject: Subject, candidates: Iterable[str]) -> list[str]:
    """The candidates (object names in the cluster) that the subject names, exactly or as a pod's workload."""
    return [c for c in candidates if subject.mentions(c)]
