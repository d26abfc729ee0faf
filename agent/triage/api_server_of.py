"""Who serves this API: an error from an aggregated API leads to the workload serving it and that one's config.

Kubernetes serves some APIs through other workloads (API aggregation): an APIService
(`v1beta1.custom.metrics.k8s.io`, `v1beta1.external.metrics.k8s.io`, `v1beta1.metrics.k8s.io`, any other)
names a Service (`spec.service`) in front of the pods that answer. A client of that API reports the
failure in the API's words, never the server's name: the HPA's condition "FailedGetPodsMetric ... unable to
fetch metrics from custom metrics API: the server could not find the metric http_requests_per_second",
"unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API", "the server is
currently unable to handle the request (get pods.custom.metrics.k8s.io)". The HPA is only where it shows;
what to look at is the serving workload (prometheus-adapter, metrics-server, KEDA's metrics API server, a
vendor's cluster agent) and the configuration it serves from: an adapter whose rules file lost the rule for
the metric answers "could not find the metric" while every pod is healthy.

The chain followed, reading only: the API group from the words -> the APIService of that group (or, when
the bundle or cluster does not let it be read, the Services of the known implementations of the group)
-> its Service -> the workload its selector picks (topology) -> the ConfigMaps its pod template mounts or
reads -> their last write (managedFields: manager, time) and whether the metric the client asked for is
named anywhere in them. `servers` is pure over the facts.

The HPA controller's reason names the group by itself, even where its words are clipped before the API is
named: FailedGetResourceMetric / FailedGetContainerResourceMetric read metrics.k8s.io, FailedGetPodsMetric /
FailedGetObjectMetric read custom.metrics.k8s.io, FailedGetExternalMetric reads external.metrics.k8s.io (a pod
without a resource request, `missing request for cpu`, is the HPA's own spec, not the API). When the server's
config holds the metric (or there is none), what the server itself did and says decides
(agent.triage.api_server_state): its own write shortly before the client's failure began (a rollout that dropped
a flag), its own errors (x509, Unauthorized, refused), its pods not Ready and the APIService not Available; the
finding then names that server and its change first.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage import api_server_state
from agent.triage.facts import Facts, Ref, log_evidence, parse_time
from agent.triage.kube_reads import object_of, pod_of
from agent.triage.subject import Subject

CHECK = "api.served_by"
WEIGHT = 0.9
"""Above the HPA's own metrics_unavailable (0.65): the server of the API explains the client's failure."""

READS = "api_server_of"
RECORD_KIND = "vigil.dev/APIServer"
"""The pseudo-kind kept in `Facts.objects`: which workload serves which API, its config, the words seen."""

GROUPS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"custom metrics API|custom\.metrics\.k8s\.io", re.I), "custom.metrics.k8s.io",
     "the custom metrics API"),
    (re.compile(r"external metrics API|external\.metrics\.k8s\.io", re.I), "external.metrics.k8s.io",
     "the external metrics API"),
    (re.compile(r"resource metrics API|(?<![\w.])metrics\.k8s\.io|metrics API not available", re.I),
     "metrics.k8s.io", "the resource metrics API"),
)
"""The API a client's words name, as Kubernetes' own clients (HPA controller, kubectl) print it."""
_OTHER_GROUP = re.compile(r"the server is currently unable to handle the request \((?:get|list|watch|create) "
                          r"[a-z0-9-]+\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.I)
"""Any other aggregated API's failure names its group in the resource (`pods.custom.metrics.k8s.io`)."""
REASONS: dict[str, tuple[str, str]] = {
    "FailedGetResourceMetric": ("metrics.k8s.io", "the resource metrics API"),
    "FailedGetContainerResourceMetric": ("metrics.k8s.io", "the resource metrics API"),
    "FailedGetPodsMetric": ("custom.metrics.k8s.io", "the custom metrics API"),
    "FailedGetObjectMetric": ("custom.metrics.k8s.io", "the custom metrics API"),
    "FailedGetExternalMetric": ("external.metrics.k8s.io", "the external metrics API"),
}
"""The HPA controller's ScalingActive/event reasons and the metrics API each reads (Kubernetes' HPA docs: Resource
metrics from metrics.k8s.io, Pods/Object from custom.metrics.k8s.io, External from external.metrics.k8s.io)."""
_OWN_SPEC = re.compile(r"missing request for|no matching pods|selector is required|invalid selector", re.I)
"""HPA words that name its own spec or target, not the API: the reason then says nothing about the server."""
_METRIC = re.compile(r"unable to get (?:external )?metric ([A-Za-z_:][\w:./-]*)|could not find the metric "
                     r"([A-Za-z_:][\w:]*)|metric ([A-Za-z_:][\w:]*) (?:is )?not found", re.I)
"""The metric a client asked for; an external metric is printed `namespace/name/&LabelSelector{...}`."""

IMPLEMENTATIONS: dict[str, tuple[str, ...]] = {
    "custom.metrics.k8s.io": ("prometheus-adapter", "k8s-prometheus-adapter", "custom-metrics-apiserver",
                              "datadog-cluster-agent-metrics-api", "custom-metrics-stackdriver-adapter"),
    "external.metrics.k8s.io": ("keda-operator-metrics-apiserver", "keda-metrics-apiserver", "prometheus-adapter",
                                "datadog-cluster-agent-metrics-api"),
    "metrics.k8s.io": ("metrics-server", "prometheus-adapter"),
}
"""Services the common servers of each API install, used only when no APIService can be read."""
APISERVICE_VERSIONS = ("v1beta1", "v1beta2", "v1")
MAX_CONFIGMAPS = 3
HISTORY_WINDOW = "7d"


@dataclass
class Served:
    """An API a client failed on, the workload serving it, and the config that workload serves from."""

    group: str
    label: str
    words: str
    """The client's words, as printed."""
    client: Ref | None
    metric: str
    workload: Ref | None = None
    service: Ref | None = None
    via: str = ""
    """How the server was found: `APIService v1beta1.custom.metrics.k8s.io` or a known implementation's Service."""
    configmaps: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    """The week's changes to those ConfigMaps (the change timeline), newest last."""
    evidence: list[str] = field(default_factory=list)
    onset: str = ""
    """When the client's failure began (the finding's `since`: the condition's transition)."""
    available: str = ""
    """The APIService's Available condition when False (`Available=False MissingEndpoints`)."""


def _texts(facts: Facts) -> list[tuple[str, Ref | None, str, str, str]]:
    """(words, the client object, evidence id, the client's reason, since when) of every finding, error log and
    HPA read whole that may name an API."""
    out: list[tuple[str, Ref | None, str, str, str]] = []
    for f in facts.findings():
        error = str((f.get("details") or {}).get("error") or "") if isinstance(f.get("details"), dict) else ""
        text = " ".join([str(f.get("message") or ""), *[str(e) for e in f.get("evidence") or []], error])
        out.append((text, Ref.of(f.get("object")), facts.scan_id or "", str(f.get("reason") or ""),
                    str(f.get("since") or "")))
    for obj, evidence_id in facts.objects:
        if obj.get("kind") != "HorizontalPodAutoscaler":
            continue
        meta = obj.get("metadata") or {}
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if isinstance(cond, dict) and cond.get("type") == "ScalingActive" and cond.get("status") == "False":
                out.append((f"{cond.get('reason')}: {cond.get('message')}",
                            Ref("HorizontalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name"))),
                            evidence_id, str(cond.get("reason") or ""), str(cond.get("lastTransitionTime") or "")))
    for log in facts.logs:
        for e in [log.top or {}, *log.more]:
            text = str(e.get("message") or e.get("example") or "")
            out.append((text, Ref("Pod", log.namespace, log.pod), log.evidence_id, "", ""))
    return out


def failures(facts: Facts) -> list[Served]:
    """The aggregated APIs the findings and logs say failed, one per group, with the client and the metric."""
    out: dict[str, Served] = {}
    for text, client, evidence_id, reason, since in _texts(facts):
        group, label = "", ""
        for pattern, g, lab in GROUPS:
            if pattern.search(text):
                group, label = g, lab
                break
        other = _OTHER_GROUP.search(text)
        if other and not group:
            group, label = other.group(1).lower(), f"the {other.group(1)} API"
        said = next((r for r in (reason, *re.findall(r"\bFailedGet\w+", text)) if r in REASONS), "")
        if not group and said and not _OWN_SPEC.search(text):
            group, label = REASONS[said]
        if not group or group in out:
            continue
        metric = next((g for m in _METRIC.finditer(text) for g in m.groups() if g), "").rstrip(":/").split("/")[-1]
        words = " ".join(text.split())[:240]
        if said and said not in words:
            words = f"{said}: {words}"
        out[group] = Served(group, label, words, client, metric, evidence=[e for e in (evidence_id,) if e],
                            onset=since)
    return list(out.values())


def _configmaps_of(workload: dict[str, Any]) -> list[str]:
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    names: list[str] = []
    for volume in spec.get("volumes") or []:
        if isinstance(volume.get("configMap"), dict):
            names.append(str(volume["configMap"].get("name")))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if isinstance(source.get("configMap"), dict):
                names.append(str(source["configMap"].get("name")))
    for container in spec.get("containers") or []:
        for source in container.get("envFrom") or []:
            if isinstance(source.get("configMapRef"), dict):
                names.append(str(source["configMapRef"].get("name")))
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef") if isinstance(env, dict) else None
            if isinstance(ref, dict):
                names.append(str(ref.get("name")))
    return list(dict.fromkeys(n for n in names if n and n != "None"))


async def _get(call: Callable[..., Awaitable[Any]], kind: str, name: str, namespace: str,
               step: str) -> tuple[dict[str, Any] | None, Any]:
    outcome = await call("k8s_get", {"kind": kind, "name": name, "namespace": namespace, "output": "yaml"}, step)
    return object_of(outcome), outcome


async def _service(call: Callable[..., Awaitable[Any]], item: Served) -> tuple[str, str] | None:
    """(namespace, name) of the Service the group's APIService names, or None when none can be read (a cluster
    or bundle that does not serve the kind stops the search at once)."""
    for version in APISERVICE_VERSIONS:
        obj, outcome = await _get(call, "APIService", f"{version}.{item.group}", "", f"survey-apiservice-{version}")
        if obj is None:
            if outcome is None or "no resource kind" in f"{outcome.text} {outcome.full_text}":
                return None
            continue
        service = (obj.get("spec") or {}).get("service") or {}
        item.evidence.append(outcome.evidence_id)
        available = next((c for c in (obj.get("status") or {}).get("conditions") or []
                          if isinstance(c, dict) and c.get("type") == "Available"), None)
        if available is not None and available.get("status") == "False":
            item.available = f"APIService {version}.{item.group} Available=False ({available.get('reason')})"
        if service.get("name"):
            item.via = f"APIService {version}.{item.group}"
            return str(service.get("namespace") or ""), str(service["name"])
        item.via = f"APIService {version}.{item.group} (served by kube-apiserver itself)"
        return None
    return None


async def _named_like(call: Callable[..., Awaitable[Any]], workload: Ref) -> list[str]:
    """A pod template that reads no ConfigMap by reference (a chart mounting it through a sidecar or an init
    step): the ConfigMaps of its namespace named after it (`prometheus-adapter`, `prometheus-adapter-config`)."""
    listed = await call("k8s_list", {"kind": "ConfigMap", "namespace": workload.namespace},
                        f"survey-api-server-cms-{workload.name}")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    return [n for n in names if n == workload.name or n.startswith(f"{workload.name}-")]


async def _writes(call: Callable[..., Awaitable[Any]], item: Served, at: str) -> None:
    """The week's writes to the ConfigMaps read (a chart bump days ago is older than the survey's window)."""
    namespace = item.workload.namespace if item.workload else ""
    outcome = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW, "namespace": namespace},
                         f"survey-api-server-history-{namespace}")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return
    names = {str((cm.get("metadata") or {}).get("name")) for cm in item.configmaps}
    for change in outcome.data.get("changes") or []:
        target = Ref.of(change.get("object")) if isinstance(change, dict) else None
        if target is not None and target.kind == "ConfigMap" and target.name in names:
            item.writes.append(change)
            if outcome.evidence_id not in item.evidence:
                item.evidence.append(outcome.evidence_id)
    item.writes.sort(key=lambda c: str(c.get("at") or ""))


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a finding or log names an aggregated API's failure: the APIService, its Service's
    workload, that workload's spec and the ConfigMaps it reads."""
    for item in failures(facts)[:2]:
        found = await _service(call, item)
        candidates = [found] if found else [("", n) for n in IMPLEMENTATIONS.get(item.group, ())]
        for namespace, name in candidates:
            args: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
            topology = await call("k8s_topology", args, f"survey-api-server-{name}")
            data = topology.data if topology is not None and topology.ok and isinstance(topology.data, dict) else {}
            subject_ref = Ref.of(data.get("subject"))
            workloads = [w for w in (Ref.of(x) for x in data.get("workloads") or []) if w is not None]
            if subject_ref is None or not subject_ref.kind:
                continue
            workload = subject_ref if subject_ref.kind.lower() in ("deployment", "statefulset", "daemonset") else \
                next(iter(workloads), None)
            if subject_ref.kind.lower() == "service":
                item.service = subject_ref
            if not found:
                item.via = f"Service {subject_ref.namespace}/{subject_ref.name} (a server of {item.group})"
            item.evidence.append(topology.evidence_id)
            if workload is None:
                break
            item.workload = workload
            spec, outcome = await _get(call, workload.kind, workload.name, workload.namespace,
                                       f"survey-api-server-spec-{workload.name}")
            if spec is not None:
                item.evidence.append(outcome.evidence_id)
                names = _configmaps_of(spec) or await _named_like(call, workload)
                for cm in names[:MAX_CONFIGMAPS]:
                    read_cm, cm_outcome = await _get(call, "ConfigMap", cm, workload.namespace,
                                                     f"survey-api-server-cm-{cm}")
                    if read_cm is not None:
                        item.configmaps.append(read_cm)
                        item.evidence.append(cm_outcome.evidence_id)
            if item.configmaps:
                await _writes(call, item, at)
            await _server_logs(call, facts, workload)
            break
        if item.workload is not None:
            facts.objects.append(({"kind": RECORD_KIND, "served": item}, ""))


async def _server_logs(call: Callable[..., Awaitable[Any]], facts: Facts, workload: Ref) -> None:
    """The serving workload's own log errors, when the survey did not read them (one pod; kept under READS)."""
    if any(lg.namespace == workload.namespace and lg.pod.startswith(f"{workload.name}-") for lg in facts.logs):
        return
    pod = await pod_of(call, workload, f"survey-api-server-pods-{workload.name}")
    if not pod:
        return
    outcome = await call("k8s_logs", {"name": pod, "namespace": workload.namespace, "tail": 300},
                         f"survey-api-server-logs-{workload.name}")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return
    log = log_evidence(outcome.data, outcome.evidence_id)
    if log is not None:  # kept apart from facts.logs: the server is no victim of the incident's other modules
        log.pod, log.namespace = log.pod or pod, log.namespace or workload.namespace
        facts.reads.setdefault(READS, {}).setdefault("logs", []).append(log)


def servers(facts: Facts) -> list[Served]:
    """The APIs whose serving workload was found (by `read`)."""
    return [o["served"] for o, _ in facts.objects if o.get("kind") == RECORD_KIND and isinstance(o.get("served"),
                                                                                                   Served)]


def _last_write(item: Served, cm: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(who, when, what) of the ConfigMap's newest write: the change timeline's, else its managedFields'."""
    name = str((cm.get("metadata") or {}).get("name"))
    change = next((c for c in reversed(item.writes) if (Ref.of(c.get("object")) or Ref("", "", "")).name == name),
                  None)
    if change is not None:
        by = re.search(r"\b(?:updated|written|created|applied) by ([\w.:/-]+)", str(change.get("summary") or ""))
        return (by.group(1) if by else "", str(change.get("at") or ""),
                [str(d)[:80] for d in change.get("diff") or []][:2])
    entries = [e for e in (cm.get("metadata") or {}).get("managedFields") or [] if isinstance(e, dict)]
    if not entries:
        return "", "", []
    newest = max(entries, key=lambda e: str(e.get("time") or ""))
    keys = [f"data key {k[2:]}" for k in ((newest.get("fieldsV1") or {}).get("f:data") or {}) if k.startswith("f:")]
    return str(newest.get("manager") or ""), str(newest.get("time") or ""), keys


def _mentions(cm: dict[str, Any], metric: str) -> bool:
    """Whether the config names the metric, or the series it is derived from (`x_per_second` from `x_total`)."""
    text = " ".join(str(v) for v in (cm.get("data") or {}).values())
    stem = re.sub(r"_(?:per_second|rate|total|count|sum|bucket)$", "", metric)
    return bool(metric) and (metric in text or (len(stem) >= 4 and stem in text))


def _reason_of(words: str) -> str:
    """The client's reason word (`FailedGetPodsMetric`, `FailedGetExternalMetric`...) and what follows it."""
    found = re.search(r"\b(Failed[A-Z]\w+)\b:?\s*(.*)", words)
    return f"{found.group(1)}: {found.group(2)}" if found else words


def finding(item: Served, facts: Facts) -> tuple[Ref, dict[str, Any]]:
    """The ConfigMap the server serves from (when it lacks the metric, or was written last), or the server itself
    with its own change, errors and readiness (agent.triage.api_server_state): what is missing or changed first,
    then the chain and the client's words (about 400 characters quoted)."""
    workload = item.workload or Ref("", "", "?")
    state = api_server_state.state_of(facts, workload, parse_time(item.onset)) if item.workload else \
        api_server_state.ServerState()
    cm_ref: Ref | None = None
    detail = ""
    cm_missing, cm_written = False, None
    for cm in item.configmaps:
        meta = cm.get("metadata") or {}
        who, when, keys = _last_write(item, cm)
        missing = bool(item.metric) and not _mentions(cm, item.metric)
        if not missing and not when:
            continue
        cm_ref = Ref("ConfigMap", str(meta.get("namespace") or workload.namespace), str(meta.get("name")))
        chart = str((meta.get("labels") or {}).get("helm.sh/chart") or "")
        written = parse_time(when)
        cm_missing, cm_written = missing, written
        ago = f", {(facts.at - written).total_seconds() / 3600:.0f} h before the alert" if written else ""
        what = "; ".join(keys) or "written"
        if who and who.rstrip(":") not in what:
            what += f" by {who.rstrip(':')}"
        wrote = (f"{what} at {when}" if when else "") + (f", chart {chart}" if chart else "") + ago
        lacks = f"has no rule naming {item.metric}" if missing else "was written"
        detail = f"{lacks}" + (f" ({wrote})" if wrote else "")
        if missing:
            break
    changed = parse_time((state.change or {}).get("at"))
    if cm_ref is not None and not cm_missing and changed is not None and (cm_written is None or changed > cm_written):
        cm_ref = None  # the server's own write came after its config's: the newer write is the one to look at
    said = _reason_of(item.words)[:150]
    client = str(item.client) if item.client else "its client"
    served = f"{item.group} ({item.label}{', ' + item.via if item.via.startswith('APIService') else ''})"
    if cm_ref is not None:
        ref = cm_ref
        message = (f"{cm_ref} {detail}: {workload} serves {item.group} ({item.label}) from it, so {client} "
                   f"fails: '{said}'")
    elif state.any():
        ref = workload
        down = f"; {item.available}" if item.available else ""
        message = (f"{workload}, which serves {served}, {api_server_state.sentence(state)}{down}. So {client} "
                   f"cannot get its metrics and cannot scale: '{said}'. Fix or revert "
                   f"{'that change' if state.change is not None else 'the server'}, not the {client.split(' ')[0]}")
    else:
        ref = workload
        message = f"{workload} serves {item.group} ({item.label}) and fails {client}: '{said}'"
    details: dict[str, Any] = {"group": item.group, "server": str(workload), "metric": item.metric, "via": item.via}
    if state.change is not None and cm_ref is None:
        details["change_at"] = state.change.get("at")
    return ref, {"check": CHECK, "severity": "critical",
                 "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                 "reason": "APIServerConfig" if cm_ref else "APIServerFailing", "message": message,
                 "evidence": [f"{workload} found via {item.via}", *([state.own] if state.own else [])],
                 "details": details}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The config (or workload) behind each failing aggregated API, explaining its client and its server."""
    out = []
    for item in servers(facts):
        ref, found = finding(item, facts)
        explains = [r for r in (item.client, item.workload) if r is not None and not r.same_object(ref)]
        state = api_server_state.state_of(facts, item.workload, parse_time(item.onset)) if item.workload else None
        evidence = [*item.evidence, *(state.evidence if state is not None and ref == item.workload else [])]
        out.append((ref, found, list(dict.fromkeys(e for e in evidence if e)), explains))
    return out
