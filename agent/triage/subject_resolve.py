"""Resolve the subject from what an alert or question actually carries, when it names no workload.

Alerts written by probes and exporters name their subject in their own terms: a blackbox probe knows a
URL, a scrape target an `IP:port`, kafka-exporter a topic and a consumer group, an alert's own name
says "SettlementsWithoutLedgerEvents". None of these is a Deployment's name, yet each names exactly one
cluster object, found by following Kubernetes' own references:

- a URL or host -> the Ingress rule or Gateway API HTTPRoute hostname that serves it -> its backend
  Service; a `svc.namespace[.svc[.cluster.local]]` host is the Service itself; an ExternalName Service
  whose externalName is the host (among those whose name shares a label of it) stands for it; when no route
  object serves it, the proxy's own logs (ingress-nginx, Traefik, Envoy name the upstream `namespace-service-port`
  or `service.namespace.svc.cluster.local` next to the host they served) -> the Service;
- `IP[:port]` -> the pod that holds that IP (field selector `status.podIP`) -> its workload;
- a host that is a node's name (a question about "a pod failing on <node>") -> the failing pods scheduled there
  (field selector `spec.nodeName`) -> their workloads; a node whose pods all run names none;
- any other value (a topic, a queue, a bucket; words of the alert's name joined like a name) -> a custom
  resource whose name, or a name-like field of its spec/status (`topicName`, `queueName`, `name`...),
  equals it.

Matches rank by how exact they are (a route's host over a proxy log's; a label's value over a phrase of
the alert's name). A Service or workload becomes the subject; a custom resource is kept with its
namespace's week of changes so that a write to it (a topic's retention cut) is judged as the change that
touches the subject (`written`, used by agent.triage.related_changes). When nothing resolves, what was
tried is said in the unknown's next steps. Reading only, every call through the tool hub.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

RESOLVED_KIND = "vigil.dev/ResolvedSubject"
"""The pseudo-kind of the record kept in `Facts.objects`: what the alert's values resolved to, and what was tried."""

BUILTIN_KINDS = frozenset({"pod", "service", "deployment", "statefulset", "daemonset", "replicaset", "job",
                           "cronjob", "ingress", "httproute", "configmap", "secret", "node", "namespace",
                           "certificate", "certificaterequest", "serviceaccount", "horizontalpodautoscaler",
                           "poddisruptionbudget", "networkpolicy", "persistentvolumeclaim", "endpoints",
                           "endpointslice"})
"""Kinds the other rules (and the scan) already judge; a custom resource a value names needs this module's rule."""

PROXY_IMAGES = ("ingress-nginx", "nginx-ingress", "traefik", "envoy", "contour", "haproxy", "kong", "proxyv2",
                "gateway")
"""Image name parts of the proxies that log which upstream served a host."""

NAME_FIELDS = frozenset({"name", "topicname", "topic", "queuename", "queue", "bucketname", "bucket", "database",
                         "databasename", "dbname", "table", "tablename", "stream", "streamname", "subject",
                         "exchange", "vhost", "consumergroup", "groupid", "channel"})
"""Spec/status fields of a custom resource that hold the name the broker or store knows it by."""

MAX_HOSTS, MAX_ADDRESSES, MAX_VALUES = 3, 3, 12
MAX_ROUTE_READS, MAX_PROXY_PODS, MAX_KINDS, MAX_CR_READS = 10, 2, 12, 8
MAX_RESOURCES, MAX_CONSUMERS, MAX_ALIAS_READS = 2, 2, 4
HISTORY_WINDOW = "7d"
LEAD = timedelta(days=7)
"""How long before the incident a write to the resolved object may have been made and still be what started it
(a retention cut shows only when a consumer next falls behind it)."""

_SVC_HOST = re.compile(r"([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
                       r"(?:\.svc(?:\.cluster\.local)?)?\.?")
_UPSTREAM = re.compile(r'(?:upstream: "?[a-z]+://|[\["\s])([a-z0-9][a-z0-9-]*[a-z0-9])-(\d{1,5}|#)(?=[/"\]@\s:])')
"""`namespace-service-port` as ingress-nginx (`upstream: "http://…"`, `[…]`) and Traefik (its JSON access log's
`"ServiceName":"ns-svc-80@kubernetes"`) log it; the log tool folds repeated lines' numbers as `#`."""
_FQDN = re.compile(r"([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.svc\.cluster\.local")


@dataclass(frozen=True)
class Match:
    """One object a value of the alert names, how it was followed there, and how exact the match is."""

    ref: Ref
    value: str
    how: str
    rank: int
    """0: a route's or Service's own name for it; 1: an object's name equal to a label value; 2: a proxy's
    log or a name field of an object; 3: a phrase of the alert's words."""


@dataclass
class Resolution:
    matches: list[Match] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)

    def best(self) -> list[Match]:
        return sorted(self.matches, key=lambda m: m.rank)


# ---- pure matching over objects in Kubernetes' shape ------------------------------------------------------

def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def host_matches(pattern: str, host: str) -> bool:
    """An Ingress/HTTPRoute host (`*.shop.example.com` covers one label) against a requested host."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and "." not in host[: -len(pattern) + 1]
    return pattern == host


def served_by_routes(host: str, routes: Iterable[dict[str, Any]]) -> list[Match]:
    """The backend Services of every Ingress rule or HTTPRoute whose host is `host`; an exact host over a wildcard."""
    out: list[Match] = []
    for route in routes:
        kind, ns, name = str(route.get("kind") or ""), str(_meta(route).get("namespace") or ""), \
            str(_meta(route).get("name") or "")
        spec = route.get("spec") or {}
        if kind == "Ingress":
            rules = [r for r in spec.get("rules") or [] if isinstance(r, dict) and host_matches(str(r.get("host")
                                                                                                   or ""), host)]
            backends = [(ns, str(((p.get("backend") or {}).get("service") or {}).get("name") or ""))
                        for r in rules for p in (r.get("http") or {}).get("paths") or [] if isinstance(p, dict)]
            exact = any(str(r.get("host") or "").lower() == host for r in rules)
        elif kind == "HTTPRoute":
            names = [str(h) for h in spec.get("hostnames") or []]
            if not any(host_matches(h, host) for h in names):
                continue
            backends = [(str(b.get("namespace") or ns), str(b.get("name") or ""))
                        for r in spec.get("rules") or [] if isinstance(r, dict)
                        for b in r.get("backendRefs") or [] if isinstance(b, dict)
                        and str(b.get("kind") or "Service") == "Service"]
            exact = host in (h.lower() for h in names)
        else:
            continue
        for bns, bname in dict.fromkeys(backends):
            if bname:
                out.append(Match(Ref("Service", bns, bname), host, f"{kind} {ns}/{name} serves {host} from Service "
                                 f"{bns}/{bname}", 0 if exact else 1))
    return out


def service_host(host: str, namespaces: set[str]) -> Ref | None:
    """`svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`: the in-cluster name of a Service (ns must exist)."""
    found = _SVC_HOST.fullmatch(host.lower())
    if found and found.group(2) in namespaces:
        return Ref("Service", found.group(2), found.group(1))
    return None


def external_names(host: str, services: Iterable[dict[str, Any]]) -> list[Match]:
    """Services of type ExternalName that alias `host`: the in-cluster name the workloads call it by."""
    return [Match(Ref("Service", str(_meta(s).get("namespace") or ""), str(_meta(s).get("name") or "")), host,
                  f"Service {_meta(s).get('namespace')}/{_meta(s).get('name')} is an ExternalName for {host}", 1)
            for s in services if (s.get("spec") or {}).get("type") == "ExternalName"
            and str((s.get("spec") or {}).get("externalName") or "").lower().rstrip(".") == host]


def upstreams_in_logs(host: str, text: str, services: dict[str, set[str]]) -> list[tuple[Ref, str]]:
    """Services a proxy's log lines that name `host` sent its requests to: ingress-nginx and Traefik name the
    upstream `namespace-service-port`, Envoy `service.namespace.svc.cluster.local`. `services` maps each
    namespace to its Service names, which settles where the namespace ends in `a-b-c-80`."""
    out: list[tuple[Ref, str]] = []
    word = re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", re.I)
    for line in text.splitlines():
        if not word.search(line):
            continue
        low = line.lower()
        found = [Ref("Service", ns, svc) for svc, ns in _FQDN.findall(low) if svc in services.get(ns, set())]
        for joined, _port in _UPSTREAM.findall(low):
            parts = joined.split("-")
            for cut in range(1, len(parts)):
                ns, svc = "-".join(parts[:cut]), "-".join(parts[cut:])
                if svc in services.get(ns, set()):
                    found.append(Ref("Service", ns, svc))
        for ref in found:
            if all(ref != r for r, _ in out):
                out.append((ref, line.strip()[:300]))
    return out


def _name_fields(value: Any, depth: int = 0) -> list[str]:
    """String values of name-like keys anywhere in a spec or status (a few levels down)."""
    out: list[str] = []
    if depth > 3:
        return out
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, str) and key.lower() in NAME_FIELDS:
                out.append(inner.lower())
            elif isinstance(inner, dict | list):
                out += _name_fields(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            out += _name_fields(inner, depth + 1)
    return out


def objects_named(value: str, objects: Iterable[dict[str, Any]], rank: int) -> list[Match]:
    """Custom resources whose name is `value` (at `rank`), or whose spec/status name field is (one lower)."""
    out: list[Match] = []
    for obj in objects:
        meta = _meta(obj)
        ref = Ref(str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if ref.name.lower() == value:
            out.append(Match(ref, value, f"{ref} is named {value}", rank))
        elif value in _name_fields(obj.get("spec")) + _name_fields(obj.get("status")):
            out.append(Match(ref, value, f"{ref} holds {value} in its spec", rank + 1))
    return out


# ---- reading the cluster ----------------------------------------------------------------------------------

def _rows(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


async def _read_all(call: Call, kind: str, rows: list[dict[str, Any]], step: str) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        got = await get_yaml(call, kind, str(row["name"]), str(row.get("namespace") or ""),
                             f"{step}-{row.get('namespace')}-{row['name']}")
        if got is not None:
            out.append(got[0])
    return out


async def _services(call: Call) -> dict[str, set[str]]:
    by_ns: dict[str, set[str]] = {}
    for row in _rows(await call("k8s_list", {"kind": "services"}, "resolve-services")):
        by_ns.setdefault(str(row.get("namespace") or ""), set()).add(str(row["name"]))
    return by_ns


async def _resolve_host(host: str, call: Call, services: dict[str, set[str]]) -> list[Match]:
    own = service_host(host, set(services))
    if own is not None and own.name in services.get(own.namespace, set()):
        return [Match(own, host, f"{host} is the in-cluster name of {own}", 0)]
    routes: list[dict[str, Any]] = []
    for kind, plural in (("Ingress", "ingresses"), ("HTTPRoute", "httproutes")):
        rows = _rows(await call("k8s_list", {"kind": plural}, f"resolve-{plural}"))
        label = host.split(".")[0]
        rows.sort(key=lambda r: label not in str(r["name"]))
        routes += await _read_all(call, kind, rows[:MAX_ROUTE_READS], f"resolve-{kind.lower()}")
    found = served_by_routes(host, routes)
    if found:
        return found
    found = await _resolve_node(host, call)
    if found:
        return found
    labels = {w for w in host.split(".")[:-1] if len(w) >= 3 and w not in ("www", "api", "com", "net", "org")}
    aliases = [{"name": n, "namespace": ns} for ns, names in sorted(services.items()) for n in sorted(names)
               if any(w in n for w in labels)]
    found = external_names(host, await _read_all(call, "Service", aliases[:MAX_ALIAS_READS], "resolve-alias"))
    if found:
        return found
    pods = [r for r in _rows(await call("k8s_list", {"kind": "pods"}, "resolve-proxies"))
            if any(p in str(image).lower() for image in r.get("images") or [] for p in PROXY_IMAGES)]
    out: list[Match] = []
    for row in pods[:MAX_PROXY_PODS]:
        logs = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "grep": host},
                          f"resolve-proxy-logs-{row['name']}")
        if logs is None or not logs.ok:
            continue
        for ref, line in upstreams_in_logs(host, str(getattr(logs, "full_text", "") or logs.text or ""), services):
            if all(m.ref != ref for m in out):
                out.append(Match(ref, host, f"proxy {row.get('namespace')}/{row['name']} served {host} from {ref} "
                                 f"('{line[:160]}')", 2))
        if out:
            return out
    return out


async def _resolve_address(address: str, call: Call) -> list[Match]:
    ip = address.split(":")[0]
    out = []
    for row in _rows(await call("k8s_list", {"kind": "pods", "field_selector": f"status.podIP={ip}"},
                                f"resolve-address-{ip}")):
        pod = str(row["name"])
        out.append(Match(Ref("Pod", str(row.get("namespace") or ""), pod), address,
                         f"{address} is pod {row.get('namespace')}/{pod} (workload {workload_of_pod(pod)})", 0))
    return out


HEALTHY_STATUSES = ("Running", "Completed", "Succeeded")


def _unhealthy(row: dict[str, Any]) -> bool:
    """A pod row (k8s_list) that is failing: a problem, a status other than running or done, or not all ready."""
    ready = str(row.get("ready") or "")
    have, _, want = ready.partition("/")
    short = have.isdigit() and want.isdigit() and int(have) < int(want) and row.get("status") == "Running"
    return bool(row.get("problem")) or str(row.get("status") or "") not in HEALTHY_STATUSES or short


async def _resolve_node(host: str, call: Call) -> list[Match]:
    """A host that is a node's name (a question about "a pod failing on <node>"): the failing pods scheduled
    there (field selector `spec.nodeName`, each row's node checked too), each standing for its workload; none when
    every pod there is healthy (then the node's name says nothing about which workload is wrong)."""
    rows = _rows(await call("k8s_list", {"kind": "pods", "field_selector": f"spec.nodeName={host}"},
                            f"resolve-node-{host.split('.')[0]}"))
    return [Match(Ref("Pod", str(r.get("namespace") or ""), str(r["name"])), host,
                  f"{host} is a node; pod {r.get('namespace')}/{r['name']} fails there "
                  f"({r.get('problem') or r.get('status')})", 2) for r in rows
            if r.get("node") == host and _unhealthy(r)][:MAX_ADDRESSES]


async def _resolve_values(values: list[tuple[str, int]], call: Call) -> list[Match]:
    """Custom resources (every CRD's kind, a bounded number) named by the values: objects whose name equals a value
    are read first, then those whose name is near one (a bounded number), each checked for a name field."""
    crds = _rows(await call("k8s_list", {"kind": "customresourcedefinitions"}, "resolve-crds"))
    wanted: list[tuple[bool, int, str, dict[str, Any]]] = []
    for crd in crds[:MAX_KINDS]:
        plural = str(crd["name"])
        for row in _rows(await call("k8s_list", {"kind": plural}, f"resolve-{plural.split('.')[0]}")):
            name = str(row["name"]).lower()
            near = [(name != v, r) for v, r in values if name == v or _near(v, name)]
            if near:
                wanted.append((*min(near), plural, row))
    wanted.sort(key=lambda w: (w[0], w[1]))
    out: list[Match] = []
    for _, _, plural, row in wanted[:MAX_CR_READS]:
        got = await get_yaml(call, plural, str(row["name"]), str(row.get("namespace") or ""),
                             f"resolve-cr-{row['name']}")
        if got is None:
            continue
        for value, rank in values:
            found = [m for m in objects_named(value, [got[0]], rank) if all(m.ref != o.ref for o in out)]
            if found:
                out += found
                break
    return out


def _near(value: str, name: str) -> bool:
    """Whether an object's name may stand for a broker name it does not equal: a word of one (four letters or
    more) starts a word of the other (`invoice-jobs` and Queue `invoices`, `orders` and KafkaTopic `orders-v2`)."""
    ours = [w for w in re.split(r"[-_.]", value) if len(w) >= 4]
    theirs = [w for w in re.split(r"[-_.]", name) if len(w) >= 4]
    return any(a.startswith(b) or b.startswith(a) for a in ours for b in theirs)


def _values(subject: Subject) -> list[tuple[str, int]]:
    """Label values first (exact), then phrases of the alert's words; names already known are skipped."""
    values = [(v, 1) for v in subject.labelled_values if v != subject.namespace and "." not in v]
    values += [(p, 3) for p in subject.phrases if p not in subject.labelled_values]
    return values[:MAX_VALUES]


async def resolve(subject: Subject, call: Call) -> Resolution:
    """Every object the subject's hosts, addresses and values name, most exact first, and what was tried."""
    result = Resolution()
    if subject.hosts:
        services = await _services(call)
        for host in subject.hosts[:MAX_HOSTS]:
            result.tried.append(f"host {host}")
            result.matches += await _resolve_host(host, call, services)
    for address in subject.addresses[:MAX_ADDRESSES]:
        result.tried.append(f"address {address}")
        result.matches += await _resolve_address(address, call)
    values = _values(subject)
    if values:
        result.tried.append("names " + ", ".join(v for v, _ in values[:6]))
        result.matches += await _resolve_values(values, call)
    return result


async def resolve_into(subject: Subject, facts: Facts, resolved: set[str], call: Call, at: str,
                       subject_name: dict[str, Any] | None) -> dict[str, Any] | None:
    """The survey's hook: resolve what the alert carries; a Service or workload it names becomes the subject
    (its topology read and put first) unless a label already named one; a custom resource is kept with its
    namespace's week of changes. Returns the new subject's topology arguments, or None when unchanged."""
    if subject.namespace and not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", subject.namespace):
        subject.namespace = ""  # `acme.shop` from a URL is no namespace: Kubernetes namespaces are DNS labels
    if not (subject.hosts or subject.addresses or subject.labelled_values or subject.phrases):
        return None
    resolution = await resolve(subject, call)
    record: dict[str, Any] = {"kind": RESOLVED_KIND, "tried": resolution.tried,
                              "matches": [{"object": {"kind": m.ref.kind, "namespace": m.ref.namespace,
                                                      "name": m.ref.name}, "value": m.value, "how": m.how,
                                           "rank": m.rank} for m in resolution.best()]}
    facts.objects.append((record, ""))
    chosen: dict[str, Any] | None = None
    read_for: list[Ref] = []
    histories: set[str] = set()
    labelled = subject_name is not None and str(subject_name.get("name")) in subject.from_labels
    for match in resolution.best():
        kind = match.ref.kind.lower()
        if kind in ("service", "pod") and not labelled and chosen is None:
            name = workload_of_pod(match.ref.name) if kind == "pod" else match.ref.name
            outcome = await call("k8s_topology", {"name": name, "namespace": match.ref.namespace},
                                 "survey-topology-resolved")
            data = outcome.data if outcome is not None and outcome.ok and isinstance(outcome.data, dict) else None
            found = Ref.of((data or {}).get("subject"))
            if data is None or found is None or not found.kind:
                continue
            facts.topologies.insert(0, (data, outcome.evidence_id))
            subject.namespace = found.namespace or match.ref.namespace
            for n in (found.name, name):
                if n in subject.names:
                    subject.names.remove(n)
                subject.names.insert(0, n)
                subject.from_labels.add(n)
                resolved.add(n)
            chosen = {"name": found.name, "namespace": found.namespace}
        elif kind not in BUILTIN_KINDS and match.ref.namespace and len(read_for) < MAX_RESOURCES:
            read_for.append(match.ref)
            if match.ref.namespace not in histories:
                histories.add(match.ref.namespace)
                history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW,
                                                      "namespace": match.ref.namespace},
                                     f"resolve-history-{match.ref.name}")
                if history is not None and history.ok and isinstance(history.data, dict):
                    facts.history.append((history.data, history.evidence_id))
            record.setdefault("consumers", []).extend(await _consumers(match.ref, call, at))
    return chosen


CONSUMER_LABELS = ("consumergroup", "consumer_group", "group", "consumer")
"""Labels of broker exporters' series that name who reads a topic or queue (kafka-exporter, Burrow, NATS)."""
BROKER_LABELS = ("topic", "queue", "stream", "subject", "bucket")
FAILURE_WORDS = ("out of range", "deleted", "expired", "dropped", "not found", "unknown", "denied", "reset", "lost",
                 "skipp", "error", "fail")
"""Words of a consumer's line about the object that say something went wrong, the most specific first."""


def _word(name: str) -> re.Pattern[str]:
    """The object's name as a whole word; a Kafka client prints a partition as `topic-3`."""
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?!\w|-[^\W\d])", re.I)


def _failure_rank(line: str) -> int:
    low = line.lower()
    return next((i for i, w in enumerate(FAILURE_WORDS) if w in low), len(FAILURE_WORDS))


def _excerpt(line: str, width: int = 220) -> str:
    """A log line (the log tool's `repeated Nx:` fold removed) cut to the part around its failure words."""
    text = re.sub(r"^repeated \d+x: ", "", line.strip())
    rank = _failure_rank(text)
    at = text.lower().find(FAILURE_WORDS[rank]) if rank < len(FAILURE_WORDS) else 0
    start = max(0, at - 70)
    return ("…" if start else "") + text[start:start + width]


async def _consumers(target: Ref, call: Call, at: str) -> list[dict[str, Any]]:
    """Who reads the resolved topic or queue: the consumer groups broker exporters' series name for it, found as
    workloads (anywhere), and the lines of one running pod's logs that name the object (failures first)."""
    query = " or ".join(f'{{{label}="{target.name}"}}' for label in BROKER_LABELS)
    outcome = await call("prom_query", {"query": query, "time": at}, f"resolve-consumers-{target.name}")
    samples = (outcome.data or {}).get("samples") or [] if outcome is not None and outcome.ok and \
        isinstance(outcome.data, dict) else []
    groups = list(dict.fromkeys(str((s.get("labels") or {}).get(label)) for s in samples if isinstance(s, dict)
                                for label in CONSUMER_LABELS if (s.get("labels") or {}).get(label)))
    out: list[dict[str, Any]] = []
    word = _word(target.name)
    for group in groups[:MAX_CONSUMERS]:
        topology = await call("k8s_topology", {"name": group}, f"resolve-consumer-{group}")
        data = topology.data if topology is not None and topology.ok and isinstance(topology.data, dict) else {}
        found = Ref.of(data.get("subject"))
        pods = [p for p in data.get("pods") or [] if isinstance(p, dict) and p.get("phase") == "Running"]
        if found is None or not found.kind or not pods:
            continue
        namespace = str(pods[0].get("namespace") or found.namespace)
        logs = await call("k8s_logs", {"name": pods[0]["name"], "namespace": namespace, "grep": target.name},
                          f"resolve-consumer-logs-{group}")
        text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
        lines = [_excerpt(ln) for ln in text.splitlines() if word.search(ln) and not ln.startswith("====")]
        lines.sort(key=_failure_rank)
        out.append({"object": {"kind": found.kind, "namespace": found.namespace, "name": found.name},
                    "group": group, "lines": lines[:2],
                    "evidence": [e for e in (outcome.evidence_id if outcome else "", topology.evidence_id,
                                             logs.evidence_id if logs is not None and logs.ok else "") if e]})
    return out


# ---- judging (rank, through related_changes) ----------------------------------------------------------------

def resolved_matches(facts: Facts) -> list[Match]:
    """The matches the survey kept, most exact first."""
    out: list[Match] = []
    for obj, _ in facts.objects:
        if obj.get("kind") != RESOLVED_KIND:
            continue
        for m in obj.get("matches") or []:
            ref = Ref.of(m.get("object"))
            if ref is not None:
                out.append(Match(ref, str(m.get("value") or ""), str(m.get("how") or ""), int(m.get("rank") or 0)))
    return out


def tried(facts: Facts) -> list[str]:
    """What the alert carried that was looked for in the cluster without an answer (for an unknown's next steps)."""
    for obj, _ in facts.objects:
        if obj.get("kind") == RESOLVED_KIND and not obj.get("matches") and obj.get("tried"):
            return [f"Nothing in the cluster answered to what the alert carries ({'; '.join(obj['tried'])}): "
                    "check which Ingress, Service or resource serves it"]
    return []


@dataclass
class Written:
    """A write to an object the alert's values resolved to, within LEAD before the incident."""

    match: Match
    change: dict[str, Any]
    minutes_before: int
    said: str
    victims: list[Ref]
    evidence: list[str]


def _changes(facts: Facts) -> list[dict[str, Any]]:
    return [*facts.change_list(), *(c for h, _ in facts.history for c in h.get("changes") or [] if isinstance(c, dict))]


def written(facts: Facts) -> list[Written]:
    """Each resolved custom resource whose spec was written within LEAD before the incident (newest write), with
    the failure text that names it (a consumer's "out of range for partition ledger-events-3") when there is one."""
    out: list[Written] = []
    for match in resolved_matches(facts):
        if match.ref.kind.lower() in BUILTIN_KINDS or any(w.match.ref == match.ref for w in out):
            continue
        writes = sorted((c for c in _changes(facts) if (r := Ref.of(c.get("object"))) is not None
                         and r.same_object(match.ref) and (at := parse_time(c.get("at"))) is not None
                         and facts.at - LEAD <= at <= facts.at and c.get("diff")),
                        key=lambda c: str(c.get("at")), reverse=True)
        if not writes:
            continue
        at = parse_time(writes[0].get("at")) or facts.at
        said, victims, read = _consumer_lines(facts, match.ref)
        if not said:
            said, victims = _named_in_logs(facts, match.ref.name)
        evidence = [e for h, e in facts.history if writes[0] in (h.get("changes") or [])][:1] or \
            [e for e in (facts.changes_id,) if e]
        evidence += read or [log.evidence_id for log in facts.logs
                             if Ref("Pod", log.namespace, log.pod) in victims][:1]
        out.append(Written(match, writes[0], int((facts.at - at).total_seconds() // 60), said, victims, evidence))
    return out


def _consumer_lines(facts: Facts, target: Ref) -> tuple[str, list[Ref], list[str]]:
    """The first line a consumer of `target` logged about it, the consumers, and the evidence that read them."""
    said, victims, evidence = "", [], []
    for obj, _ in facts.objects:
        if obj.get("kind") != RESOLVED_KIND:
            continue
        for consumer in obj.get("consumers") or []:
            ref = Ref.of(consumer.get("object"))
            lines = [str(ln) for ln in consumer.get("lines") or []]
            if ref is None or not lines or not any(_word(target.name).search(ln) for ln in lines):
                continue
            said = said or lines[0]
            victims.append(ref)
            evidence += [str(e) for e in consumer.get("evidence") or []][1:]
    return said, victims, evidence


def _named_in_logs(facts: Facts, name: str) -> tuple[str, list[Ref]]:
    word = _word(name)
    said, victims = "", []
    for log in facts.logs:
        for e in [log.top or {}, *log.more, *log.warnings]:
            text = str(e.get("message") or e.get("example") or "")
            if word.search(text):
                said = said or text
                victims.append(Ref("Pod", log.namespace, log.pod))
                break
    return said, victims


def finding(w: Written, check: str) -> dict[str, Any]:
    """The suspect's finding: what the alert carried, the object it resolved to, the fields written and when."""
    diff = "; ".join(str(d) for d in (w.change.get("diff") or [])[:4])
    readers = ", ".join(str(v) for v in w.victims[:2])
    explains = f"; {readers or 'the subject'} logged '{w.said[:180]}'" if w.said else ""
    hours = f"{w.minutes_before // 60} h {w.minutes_before % 60} min" if w.minutes_before >= 60 else \
        f"{w.minutes_before} min"
    message = (f"{w.match.ref} (the alert's '{w.match.value}') was written {hours} before the incident ({diff})"
               f"{explains}. The object the alert is about changed shortly before: compare the field with its "
               "previous value and revert it")
    return {"check": check, "severity": "critical",
            "object": {"kind": w.match.ref.kind, "namespace": w.match.ref.namespace, "name": w.match.ref.name},
            "reason": "ResolvedSubjectChanged", "message": message, "evidence": [w.said[:200]] if w.said else [],
            "details": {"change_at": w.change.get("at"), "relation": w.match.how}}
