"""A platform-wide setting that closed the mesh's egress, written before callers began failing on an external host.

Istio's sidecars pass calls to hosts outside the mesh through (`PassthroughCluster`) while the mesh config says
`outboundTrafficPolicy: {mode: ALLOW_ANY}`. Set to `REGISTRY_ONLY` (an egress lockdown, written once in the mesh
config ConfigMap `istio-system/istio`, an IstioOperator/Istio resource's `spec.meshConfig`, or a namespace's
Sidecar `spec.outboundTrafficPolicy`), every host that no Service or ServiceEntry registers is sent to
`BlackHoleCluster`: HTTP calls get a 502 `direct_response` from the proxy, TLS/TCP connections are closed at once
(response flag UH). The caller's own log only says `connection reset`, `ECONNRESET`, a TLS handshake failure or
`502 Bad Gateway`, and in whatever namespace the caller sits; the setting lives in the platform's namespace.

The proxy's own mark says which: `BlackHoleCluster` as the upstream cluster of the callers' sidecar access-log
lines, and as `destination_service(_name)` of Istio's `istio_requests_total` / `istio_tcp_connections_opened_total`.
The survey reads (`read`) each recent write to a mesh-config carrier (a ConfigMap, IstioOperator, Istio, Sidecar),
keeps those whose current content sets REGISTRY_ONLY, then greps the callers' sidecars for `BlackHoleCluster`
and asks Prometheus for the blackholed series now and at the write. `found` blames the write when the mark
appears after it and not before it (a mark older than the write is a standing lockdown another change exposed).
The finding names the setting, the hosts that lost their route, and the fix (a ServiceEntry for each, or revert).

The same class without a mesh: a network policy that restricts egress (a NetworkPolicy with policyTypes Egress, a
default-deny or an allow-list; a Cilium policy with `egress`/`egressDeny` rules, `toFQDNs` naming the hosts still
allowed) makes the datapath drop the rest. Its mark is the datapath's drop counter (Hubble's `hubble_drop_total`
reason POLICY_DENIED, the Cilium agent's `cilium_drop_count_total` reason "Policy denied", egress), read now and at
the write; a policy whose drops started after it is named, with the sources Hubble gives.

The same lockdown in other meshes (`lockdown` says which): Consul's mesh config entry (`Mesh`,
`spec.transparentProxy.meshDestinationsOnly: true`, or `MeshDestinationsOnly = true` in a config entry held as text),
Kuma/Kong Mesh (`Mesh` `spec.networking.outbound.passthrough: false`, a MeshPassthrough `passthroughMode` None or
Matched), AWS App Mesh (`Mesh` `spec.egressFilter.type: DROP_ALL`): their Envoy sidecars keep no passthrough for a
destination the mesh does not know, so the connection matches no filter chain (or the request no route) and is
closed: the access log line carries the response flag `NR` with `filter_chain_not_found` / `route_not_found` (the
client sees a reset or `upstream connect error`), and Envoy counts `envoy_listener_no_filter_chain_match`. Linkerd
(2.16 on) closes egress with an EgressNetwork `spec.trafficPolicy: Deny`; its proxy answers the call itself (403,
route `http-egress-deny`), counted in `outbound_http_route_request_statuses_total` under the EgressNetwork. Linkerd
before EgressNetwork has no egress lockdown of its own (a NetworkPolicy is then the datapath class above).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.proxy_config import line_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.egress_closed"
WEIGHT = 0.94
"""The proxy's own blackhole mark on the callers' calls, starting after the write that closed egress: stronger than
the callers' symptom and than rollouts near them."""
STORE = "egress_closed"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=1)
POLICIES = frozenset({"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy"})
"""Kinds that close egress in the datapath (a default-deny egress or an allow-list of destinations): Kubernetes' and
Calico's (projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy), Cilium's; their mark is the datapath's drop
counter, not a proxy's."""
MESHES = frozenset({"Mesh", "MeshPassthrough", "EgressNetwork", "TerminatingGateway"})
"""Other meshes' egress switches: Consul's, Kuma's and App Mesh's `Mesh`, Kuma's MeshPassthrough, Linkerd's
EgressNetwork; and Consul's TerminatingGateway, the one way out for a mesh-destinations-only mesh."""
CARRIERS = frozenset({"ConfigMap", "IstioOperator", "Istio", "Sidecar", "MeshConfig", "HelmRelease", "Application",
                      *POLICIES, *MESHES})
"""Kinds that carry an Istio mesh config or an outbound traffic policy: its ConfigMap, the operators' resources, a
namespace's Sidecar, and the GitOps objects that hold istiod's chart values (Flux HelmRelease `spec.values`, an
Argo CD Application's `spec.source.helm.values`/`valuesObject`)."""
MAX_WRITES = 3
MAX_CALLERS = 3
MARK = "BlackHoleCluster"
SIDECARS = ("istio-proxy", "envoy", "istio-proxy-sidecar", "consul-dataplane", "envoy-sidecar", "consul-connect-envoy",
            "kuma-sidecar", "kong-mesh-sidecar", "linkerd-proxy")
"""The mesh proxies' container names: Istio's, Consul's (consul-dataplane, the older envoy-sidecar), Kuma's/Kong
Mesh's, App Mesh's `envoy`, Linkerd's."""
NO_ROUTE = re.compile(r'\bfilter_chain_not_found\b|\broute_not_found\b|"response_flags"\s*:\s*"NR"|'
                      r'(?:^|\s)\d{1,3}\s+NR\s')
"""Envoy's mark of a destination it has no passthrough for: response flag NR (no filter chain matched the
connection, or no route the request), in the default text format (`0 NR filter_chain_not_found`) or JSON."""
NO_UPSTREAM = re.compile(r'\bno_healthy_upstream\b|"response_flags"\s*:\s*"UH"|(?:^|\s)\d{1,3}\s+UH\s')
"""Envoy's mark of an upstream cluster without endpoints: response flag UH (503 `no healthy upstream`)."""
NEEDLES = {"istio": (MARK,), "envoy": ("filter_chain_not_found", "route_not_found", " NR ", '"NR"'),
           "gateway": ("no_healthy_upstream", " UH ", '"UH"')}
"""What to grep the proxies' logs for (case-insensitive substrings; the lines kept are then matched exactly)."""
CONSUL_CLOSED = re.compile(r"mesh_?destinations_?only[\"']?\s*[:=]\s*[\"']?true", re.I)
ENVOY_SERIES = ('sum by (namespace, pod) (increase(envoy_listener_no_filter_chain_match[30m])) > 0')
"""Connections the callers' Envoy closed for matching no filter chain in the last 30 minutes, by pod."""
LINKERD_SERIES = ('sum by (namespace, pod, hostname, parent_name, http_status) ('
                  'increase(outbound_http_route_request_statuses_total{parent_kind="EgressNetwork",'
                  'route_name=~".*egress-deny"}[30m])) > 0')
"""Calls Linkerd's proxies refused under an EgressNetwork's Deny policy in the last 30 minutes."""
CLOSED = re.compile(r"outboundTrafficPolicy[\"']?\s*[:=.]?\s*\{?\s*[\"']?mode[\"']?\s*[:=]\s*[\"']?REGISTRY_ONLY",
                    re.I)
"""The mode, however it is written: the mesh config's YAML, its JSON, Helm's `--set meshConfig.outboundTrafficPolicy.
mode=REGISTRY_ONLY` or a values block."""
_HOST = re.compile(r"(?<![\w.|-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?::\d+)?(?![\w.-])", re.I)
SERIES = ('sum by (source_workload, source_workload_namespace, namespace, response_code) ('
          'increase(istio_requests_total{destination_service_name="BlackHoleCluster"}[30m]) or '
          'increase(istio_requests_total{destination_service="BlackHoleCluster"}[30m]) or '
          'increase(istio_tcp_connections_opened_total{destination_service="BlackHoleCluster"}[30m]) or '
          'increase(istio_tcp_connections_opened_total{destination_service_name="BlackHoleCluster"}[30m])) > 0')
"""The calls Istio's sidecars sent to the black hole in the last 30 minutes, by caller."""
DROPS = ('sum by (source, source_namespace, source_workload, direction, reason, policy) ('
         'increase(hubble_drop_total{reason=~"POLICY_DENIED|POLICY_DENY"}[30m]) or '
         'increase(cilium_drop_count_total{reason=~"(?i)policy denied.*",direction=~"(?i)egress"}[30m]) or '
         'increase(calico_denied_packets[30m])) > 0')
"""Packets the datapath dropped by policy in the last 30 minutes: Hubble's flow metric (by source, when its
context options give one), the Cilium agent's own counter (egress only), and Calico Felix's `calico_denied_packets`
(by `policy`, the `tier|name|action|rule` that denied them, and srcIP)."""

Call = Callable[..., Awaitable[Any]]


def restricts_egress(obj: dict[str, Any]) -> bool:
    """Whether a network policy limits what its pods may reach: a NetworkPolicy whose policyTypes (Calico's
    `types`) include Egress (its egress rules, none at all for a default-deny, are then the only allowed
    destinations), a policy with `egress`/`egressDeny` rules (in `spec` or any of Cilium's `specs`)."""
    spec = obj.get("spec") or {}
    if "policyTypes" in spec or "types" in spec:
        # Kubernetes' policyTypes, Calico's `types` (a Calico policy with Egress and no egress rules denies all);
        # with neither, either one has Egress when it lists egress rules (read below)
        return "Egress" in (spec.get("policyTypes") or spec.get("types") or [])
    specs = [spec, *(obj.get("specs") or [])]
    return any(isinstance(x, dict) and ("egress" in x or "egressDeny" in x) for x in specs)


def closes_egress(obj: dict[str, Any]) -> bool:
    """Whether the object's current content closes egress: a mesh lockdown (`lockdown`), or, for a network policy,
    whether it restricts egress."""
    if obj.get("kind") in POLICIES:
        return restricts_egress(obj)
    return bool(lockdown(obj))


def lockdown(obj: dict[str, Any]) -> str:
    """Which mesh's egress lockdown the object's current content sets ('' for none): `istio` (outbound traffic
    policy REGISTRY_ONLY in a mesh config held as text in a ConfigMap key, or in a resource's spec:
    `meshConfig.outboundTrafficPolicy.mode`, a Sidecar's `outboundTrafficPolicy.mode`), `consul`
    (`transparentProxy.meshDestinationsOnly: true`), `kuma` (`networking.outbound.passthrough: false`, a
    MeshPassthrough's `passthroughMode` None or Matched), `appmesh` (`egressFilter.type: DROP_ALL`), `linkerd` (an
    EgressNetwork's `trafficPolicy: Deny`), each by its documented field."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Mesh":
        if ((spec.get("transparentProxy") or {}).get("meshDestinationsOnly")) is True:
            return "consul"
        if (((spec.get("networking") or {}).get("outbound") or {}).get("passthrough")) is False:
            return "kuma"
        return "appmesh" if str((spec.get("egressFilter") or {}).get("type") or "") == "DROP_ALL" else ""
    if kind == "MeshPassthrough":
        return "kuma" if str((spec.get("default") or {}).get("passthroughMode") or "") in ("None", "Matched") else ""
    if kind == "EgressNetwork":
        return "linkerd" if str(spec.get("trafficPolicy") or "") == "Deny" else ""
    if kind == "TerminatingGateway":  # what it no longer links is read from the callers' UH lines
        return "consul-gateway"
    texts = [str(v) for v in (obj.get("data") or {}).values()] if kind == "ConfigMap" else \
        [yaml.safe_dump(spec, default_flow_style=False), *_strings(spec)]
    if any(CLOSED.search(text) for text in texts):
        return "istio"
    return "consul" if any(CONSUL_CLOSED.search(text) for text in texts) else ""


def _strings(node: Any) -> list[str]:
    """Every string leaf (a values block embedded as text), and `name=value` of a parameter pair (an Argo CD
    Application's `helm.parameters`)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        pair = [f"{node['name']}={node['value']}"] if "name" in node and "value" in node else []
        return pair + [t for v in node.values() for t in _strings(v)]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return []


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to a mesh-config carrier (a ConfigMap's data, a resource's spec), newest first."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in CARRIERS or not facts.at - LEAD <= at <= facts.at + SLACK:
            continue
        said = " ".join([str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")])
        if target.kind == "ConfigMap" and "data" not in said:
            continue
        if not any(t.same_object(target) for _, t in out):
            out.append((change, target))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)[:MAX_WRITES]


def _callers(facts: Facts) -> list[tuple[str, str]]:
    """(pod, namespace) of the subject's pods and of each pod whose logs the survey read: one per workload."""
    pods: list[tuple[str, str]] = []
    for data, _ in facts.topologies[:1]:
        pods += [(str(p.get("name")), str(p.get("namespace") or "")) for p in data.get("pods") or []
                 if isinstance(p, dict) and p.get("name")]
    pods += [(log.pod, log.namespace) for log in facts.logs if log.pod]
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for pod, namespace in pods:
        key = (namespace, workload_of_pod(pod))
        if namespace and key not in seen and len(seen) < MAX_CALLERS:
            seen.add(key)
            out.append((pod, namespace))
    return out


async def _marked_lines(call: Call, pod: str, namespace: str, proxy: str = "istio") -> tuple[list[str], str]:
    """The pod's sidecar access-log lines carrying the proxy's mark (Istio's black hole; Envoy's NR of the other
    meshes), its sidecar found from the containers its first log answer lists, with the answer's evidence id."""
    first = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 50, "budget_tokens": 500},
                       f"survey-egress-{pod}")
    if first is None or not first.ok:
        return [], ""
    data = first.data if isinstance(first.data, dict) else {}
    names = [str(c.get("name") if isinstance(c, dict) else c) for c in data.get("containers") or []]
    sidecar = next((n for n in names if n in SIDECARS), None)
    if sidecar is None:
        return [], ""
    out: list[str] = []
    evidence = ""
    for index, needle in enumerate(NEEDLES[proxy]):
        got = await call("k8s_logs", {"name": pod, "namespace": namespace, "container": sidecar, "grep": needle,
                                      "tail": 10000, "budget_tokens": 2000},
                         f"survey-egress-proxy-{pod}" + (f"-{index}" if index else ""))
        if got is None or not got.ok:
            continue
        kept = [ln.strip() for ln in str(got.full_text).splitlines()[1:]
                if (MARK in ln if proxy == "istio" else NO_UPSTREAM.search(ln) if proxy == "gateway"
                    else NO_ROUTE.search(ln))]
        out += [ln for ln in kept if ln not in out]
        evidence = evidence or (got.evidence_id if kept else "")
    return out, evidence


async def _series(call: Call, when: str, step: str, query: str = SERIES) -> tuple[list[tuple[dict[str, Any], float]],
                                                                                  str]:
    outcome = await call("prom_query", {"query": query, "time": when}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return [], ""
    return [(s.get("labels") or {}, float(s["value"])) for s in outcome.data.get("samples") or []
            if isinstance(s, dict) and isinstance(s.get("value"), (int, float)) and s["value"] > 0], \
        outcome.evidence_id


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(_subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the recent mesh-config writes that close egress, then the callers' black-holed sidecar lines
    and the black-holed series now and at the write (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, target in candidates(facts):
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-egress-cfg-{target.name}")
        if got is None or not closes_egress(got[0]):
            continue
        store.append({"change": change, "target": target, "evidence": [got[1]], "lines": [], "now": [], "then": [],
                      "datapath": target.kind in POLICIES, "mesh": "" if target.kind in POLICIES else lockdown(got[0]),
                      "served": sorted(gateway_services(got[0]))})
    if not store:
        return
    for entry in [e for e in store if e["datapath"]]:  # a policy's mark is the datapath's drop counter
        written = parse_time(entry["change"].get("at"))
        drops, drops_id = await _series(call, at, f"survey-egress-drops-{entry['target'].name}", DROPS)
        if drops and written is not None:
            entry["then"], _ = await _series(call, _iso(written - SLACK), f"survey-egress-drops-then-"
                                             f"{entry['target'].name}", DROPS)
        entry.update(now=drops, evidence=[*entry["evidence"], *([drops_id] if drops and drops_id else [])])
    store[:] = [e for e in store if not e["datapath"] or e["now"]]
    if all(e["datapath"] for e in store):
        return
    for proxy in dict.fromkeys(_proxy(e["mesh"]) for e in store if not e["datapath"]):
        lines: list[tuple[str, str, str]] = []
        if proxy != "linkerd":
            for pod, namespace in _callers(facts):
                marked, evidence = await _marked_lines(call, pod, namespace, proxy)
                lines += [(ln, f"{namespace}/{pod}", evidence) for ln in marked]
        query = {"istio": SERIES, "envoy": ENVOY_SERIES, "linkerd": LINKERD_SERIES}.get(proxy, "")
        suffix = "" if proxy == "istio" else f"-{proxy}"
        now, now_id = await _series(call, at, f"survey-egress-series{suffix}", query) if query else ([], "")
        for entry in [e for e in store if not e["datapath"] and _proxy(e["mesh"]) == proxy]:
            written = parse_time(entry["change"].get("at"))
            then: list[tuple[dict[str, Any], float]] = []
            if now and written is not None:
                then, _ = await _series(call, _iso(written - SLACK), f"survey-egress-series{suffix}-"
                                        f"{entry['target'].name}", query)
            entry.update(lines=lines, now=now, then=then,
                         evidence=[*entry["evidence"], *dict.fromkeys(e for _, _, e in lines if e),
                                   *([now_id] if now and now_id else [])])


def _proxy(mesh: str) -> str:
    """Whose mark proves a mesh's lockdown: Istio's black hole, Linkerd's deny route, a terminating gateway's
    missing link Envoy's UH, else Envoy's NR."""
    return mesh if mesh in ("istio", "linkerd") else "gateway" if mesh == "consul-gateway" else "envoy"


def gateway_services(obj: dict[str, Any]) -> set[str]:
    """The services a Consul TerminatingGateway links (`spec.services[].name`; `*` links every one)."""
    return {str(s.get("name")) for s in (obj.get("spec") or {}).get("services") or [] if isinstance(s, dict)}


def upstream_service(line: str) -> str:
    """The Consul service an Envoy JSON access line's upstream cluster names: `<service>.<ns>.<dc>.internal...` or,
    for a Destination, `destination.<host>.<service>.<ns>.<partition>`; '' when the line names none."""
    m = re.search(r'"upstream_cluster"\s*:\s*"([^"]+)"', line)
    labels = m.group(1).split(".") if m else []
    if labels[:1] == ["destination"]:
        return labels[2] if len(labels) > 2 else ""
    return labels[0] if labels else ""


@dataclass
class Closed:
    """A write that closed the mesh's egress, and the callers' calls its proxies now send to the black hole."""

    target: Ref
    written: datetime
    manager: str
    hosts: list[str]
    callers: list[Ref]
    proof: str
    count: int
    evidence: list[str] = field(default_factory=list)
    datapath: bool = False
    """A network policy whose drops the datapath counts (not the mesh's registry mode)."""
    mesh: str = "istio"
    """Whose lockdown (`lockdown`): istio, consul, kuma, appmesh, linkerd."""


def hosts_of(line: str) -> list[str]:
    """The external hosts an access line names (the authority of an HTTP line, the SNI of a TCP one): DNS names,
    not the mesh's own `.svc.cluster.local` ones nor the user agent's `name/1.2` words."""
    return [h.lower() for h in dict.fromkeys(m.group(1) for m in _HOST.finditer(line))
            if not h.lower().endswith((".svc.cluster.local", ".cluster.local", ".svc", ".consul")) and "/" not in h
            and not h.lower().startswith("destination.")  # Consul's upstream cluster for a Destination
            and not re.match(r"^\d+(?:\.\d+)+$", h)]


def _excerpt(line: str) -> str:
    """`"POST /v2/authenticate HTTP/1.1" 502 - direct_response ... BlackHoleCluster`: from the request on, short; a
    JSON access line (Consul's default format) as its code, flags, details and destination."""
    if "{" in line and '"response_flags"' in line:  # the server may prefix `repeated Nx:` and mask numbers
        keys = ("response_flags", "response_code_details", "authority", "requested_server_name",
                "downstream_local_address", "upstream_cluster")
        pairs = dict(re.findall(r'"(\w+)"\s*:\s*"([^"]*)"', line))
        return " ".join(f"{k}={pairs[k]}" for k in keys if pairs.get(k) not in (None, "", "-"))[:200]
    m = re.search(r'"(?:[A-Z]+ \S+ HTTP/[\d.]+|- - -)"', line)
    text = line[m.start():] if m else line
    text = re.sub(r'\s"[0-9a-f-]{20,}"', "", text)
    return text[:200]


def _manager(change: dict[str, Any]) -> str:
    m = re.search(r"\b(?:set|updated|written) by ([\w.@-]+)", str(change.get("summary") or ""))
    return m.group(1).rstrip(":,") if m else ""


def _denied_by(labels: dict[str, Any], target: Ref) -> bool:
    """Whether a drop sample may be this policy's: a counter that names the denying policy (Calico's `policy`
    label, `tier|namespace/name|deny|rule` or `tier|name|...`) must name this one; others say nothing of which."""
    policy = str(labels.get("policy") or "")
    return not policy or target.name in re.split(r"[|/]", policy) or any(
        part.endswith(f".{target.name}") for part in re.split(r"[|/]", policy))


def found(facts: Facts) -> list[Closed]:
    """Each egress-closing write whose black-hole mark the callers' proxies carry after it and not before it."""
    out: list[Closed] = []
    for entry in facts.reads.get(STORE) or []:
        change, target = entry["change"], entry["target"]
        written = parse_time(change.get("at"))
        if written is None:
            continue
        marked = entry.get("lines") or []
        if entry.get("mesh") == "consul-gateway":  # only calls to a service the gateway no longer links
            served = set(entry.get("served") or [])
            marked = [m for m in marked if upstream_service(m[0]) and "*" not in served
                      and upstream_service(m[0]) not in served]
        timed = [(line_time(ln), ln, where) for ln, where, _ in marked]
        if any(t is not None and t < written - SLACK for t, _, _ in timed) or entry.get("then"):
            continue  # black-holed before the write: a standing lockdown, not this write's doing
        after = [(ln, where) for t, ln, where in timed]
        callers: list[Ref] = []
        for _, where in after:
            namespace, pod = where.split("/", 1)
            ref = Ref("Deployment", namespace, workload_of_pod(pod))
            if ref not in callers:
                callers.append(ref)
        mesh = str(entry.get("mesh") or "istio")
        if mesh == "linkerd":  # the deny route's series name the EgressNetwork that denied
            entry = {**entry, "now": [(lb, v) for lb, v in entry.get("now") or []
                                      if str(lb.get("parent_name") or target.name) == target.name]}
        for labels, _ in entry.get("now") or []:
            source = str(labels.get("source") or "")
            workload = str(labels.get("source_workload") or (source.split("/", 1)[1] if "/" in source else "")
                           or (workload_of_pod(str(labels["pod"])) if labels.get("pod") else ""))
            namespace = str(labels.get("source_workload_namespace") or labels.get("source_namespace")
                            or labels.get("namespace") or (source.split("/", 1)[0] if "/" in source else ""))
            if workload and namespace and Ref("Deployment", namespace, workload) not in callers:
                callers.append(Ref("Deployment", namespace, workload))
        if entry.get("datapath"):
            entry = {**entry, "now": [(lb, v) for lb, v in entry["now"] if _denied_by(lb, target)]}
            if not entry["now"]:
                continue  # the datapath names another policy as the one that denied them
            total = sum(v for _, v in entry["now"])
            where = next((str(lb.get("source")) for lb, _ in entry["now"] if lb.get("source")), "")
            proof = (f"the datapath's drop counter shows {total:.0f} packets dropped by policy in the last 30 min"
                     f"{' from ' + where if where else ''} (reason {entry['now'][0][0].get('reason', 'policy denied')}"
                     "), none at the write")
            after = []
        elif after:
            proof = f"{after[0][1]}'s proxy logs '{_excerpt(after[0][0])}'"
        elif entry.get("now") and mesh == "istio":
            labels, value = entry["now"][0]
            proof = (f"Istio's series show {value:.0f} calls from {labels.get('source_workload', 'callers')} sent to "
                     f"{MARK} in the last 30 min, none at the write")
        elif entry.get("now"):
            total = sum(v for _, v in entry["now"])
            proof = (f"Linkerd's proxies refused {total:.0f} calls on the EgressNetwork's deny route (HTTP "
                     f"{entry['now'][0][0].get('http_status', 403)}) in the last 30 min, none at the write"
                     if mesh == "linkerd" else
                     f"Envoy counts {total:.0f} connections matching no filter chain "
                     "(envoy_listener_no_filter_chain_match) in the last 30 min, none at the write")
        else:
            continue
        hosts = list(dict.fromkeys([upstream_service(ln) for ln, _ in after if mesh == "consul-gateway"]
                                   + [h for ln, _ in after for h in hosts_of(ln)]
                                   + [str(lb["hostname"]) for lb, _ in entry.get("now") or [] if lb.get("hostname")]))
        out.append(Closed(target, written, _manager(change), hosts[:3], callers[:3], proof, len(after),
                          list(entry.get("evidence") or []), bool(entry.get("datapath")), mesh))
    return out


_ENVOY_NR = ("Envoy closes those connections: response flag NR, filter_chain_not_found (no passthrough; the client "
             "sees a reset or `upstream connect error`)")
LOCKDOWNS: dict[str, tuple[str, str, str, str]] = {
    "consul": ("Consul transparentProxy.meshDestinationsOnly true",
               "Consul's catalog services (an external host as a Destination behind a terminating gateway)", _ENVOY_NR,
               "register {hosts} as a Destination behind a terminating gateway (or set meshDestinationsOnly false)"),
    "kuma": ("Kuma Mesh outbound passthrough disabled (passthrough false / MeshPassthrough None or Matched)",
             "mesh services (an external host as a MeshExternalService / ExternalService, or a MeshPassthrough match)",
             _ENVOY_NR,
             "add a MeshExternalService (or ExternalService) for {hosts} (or set passthrough back to true)"),
    "appmesh": ("App Mesh egressFilter DROP_ALL", "the mesh's virtual services", _ENVOY_NR,
                "add a virtual service for {hosts} (or set egressFilter ALLOW_ALL)"),
    "consul-gateway": ("the Consul TerminatingGateway no longer links the destination service the callers use",
                       "services the terminating gateway links (spec.services)",
                       "Envoy finds no healthy upstream for them: 503 `no healthy upstream` (response flag UH, "
                       "no_healthy_upstream) or a reset",
                       "link {hosts} again in the TerminatingGateway's services (or revert the write)"),
    "linkerd": ("Linkerd EgressNetwork trafficPolicy Deny",
                "destinations a route (HTTPRoute, TLSRoute, TCPRoute) attached to the EgressNetwork allows",
                "linkerd-proxy refuses the calls itself (403 on route http-egress-deny, connections closed)",
                "attach a route allowing {hosts} (or set trafficPolicy Allow)"),
}
"""Per mesh: the setting, what may still be called, what the callers' proxy does with the rest, the fix."""


def finding(c: Closed, at: datetime) -> dict[str, Any]:
    """The setting and what it means first, the hosts that lost their route, the proxy's mark, the fix."""
    ago = minutes_text(int((at - c.written).total_seconds() // 60))
    hosts = ", ".join(c.hosts) if c.hosts else "the external hosts they call"
    who = ", ".join(str(r.name) for r in c.callers) or "the callers"
    by = f" by {c.manager}" if c.manager else ""
    lines = f" ({c.count} such lines since the write, none before)" if c.count else ""
    if c.datapath:
        message = (f"{c.target} closed egress for the pods it selects: an egress policy (default-deny egress or an "
                   f"allow-list of destinations) written{by} {ago} before the incident; only the destinations its "
                   f"egress rules list may be reached and the datapath drops the rest: {c.proof}. {who} did not "
                   f"change: allow the destination they call in {c.target}'s egress rules (or revert the write)")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
                "reason": "EgressClosed", "message": message, "evidence": [c.proof[:240]],
                "details": {"hosts": c.hosts, "mode": "egress policy"}}
    if c.mesh in LOCKDOWNS:
        setting, allowed, refusal, fix = LOCKDOWNS[c.mesh]
        message = (f"{c.target} closed the mesh's egress: {setting}, written{by} {ago} before the incident. Only "
                   f"{allowed} may now be called; {hosts} is not, so {who}'s {refusal}: {c.proof}{lines}. The callers "
                   f"did not change: {fix.format(hosts=hosts)} in {c.target}")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
                "reason": "EgressClosed", "message": message, "evidence": [c.proof[:240]],
                "details": {"hosts": c.hosts, "mode": c.mesh}}
    message = (f"{c.target} closed the mesh's egress: outboundTrafficPolicy mode REGISTRY_ONLY, written{by} {ago} "
               f"before the incident. Only hosts in the registry (a Service or ServiceEntry) may now be called; "
               f"{hosts} has no ServiceEntry, so {who}'s sidecar sends those calls to {MARK} (502 / reset): "
               f"{c.proof}{lines}. The callers did not change: add a ServiceEntry for {hosts} "
               f"(or set the mode back to ALLOW_ANY) in {c.target}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "reason": "EgressClosed", "message": message, "evidence": [c.proof[:240]],
            "details": {"hosts": c.hosts, "mode": "REGISTRY_ONLY"}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The egress-closing write; it explains the callers whose calls its proxies black-hole (behind.py's hook)."""
    return [(c.target, finding(c, facts.at), c.evidence, c.callers) for c in found(facts)]
