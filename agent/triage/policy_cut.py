"""A network policy written shortly before the incident that cuts the path from the subject's clients to it.

The page may name only the victim (a broker that receives no publishes, a database whose connections
dropped): its clients' connections time out because a policy they never see now drops them. The policy may be
of any flavour the cluster runs (Calico GlobalNetworkPolicy with an egress allow-list, a Cilium clusterwide
policy, a Kubernetes NetworkPolicy in the destination's namespace, an AdminNetworkPolicy) and select the
clients by an expression that names none of them (`all()` with a namespaceSelector).

The survey reads (`read`), only when some policy was written in the RECENT window before the incident:
every policy of each kind the cluster serves, the destination (the subject's Service: its selector as the pods'
labels, its ports, its DNS names), the namespaces with pods, and then the logs of one pod per workload in the
namespaces whose path is denied, looking for that Service's name in a failing connection. A namespace's pods are
judged by what a policy can select without their labels (a policy selecting by a label the pods may not carry
is not assumed to select them): a verdict can only miss, never invent, a label-specific denial. The finding
needs a client whose own logs fail to reach the destination: a denied path nobody uses is no cause.
`suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.blocked import FAILING_CALLS
from agent.triage.facts import Facts, Ref, log_evidence, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.policy_path import CALICO, Decision, Endpoint, Port, decide, kind_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.cuts_path"
WEIGHT = 0.9
RECORD_KIND = "vigil.dev/PolicyCut"
RECENT = timedelta(hours=6)
"""How long before the incident a policy's write still counts as what started it."""
KINDS = (("globalnetworkpolicies", "GlobalNetworkPolicy", "crd.projectcalico.org/v1"),
         ("networkpolicies.crd.projectcalico.org", "NetworkPolicy", "crd.projectcalico.org/v1"),
         ("ciliumnetworkpolicies", "CiliumNetworkPolicy", "cilium.io/v2"),
         ("ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", "cilium.io/v2"),
         ("adminnetworkpolicies", "AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1"),
         ("networkpolicies", "NetworkPolicy", "networking.k8s.io/v1"))
MAX_POLICIES = 30
MAX_LOG_READS = 16

Call = Callable[..., Awaitable[Any]]


@dataclass
class Cut:
    """A recent policy that denies the path from clients to the destination, with the clients that fail."""

    policy: dict[str, Any]
    written: str
    service: Ref
    port: Port
    decision: Decision
    namespaces: list[str] = field(default_factory=list)
    clients: list[tuple[str, str, str]] = field(default_factory=list)
    """(namespace, pod, what its log says)."""
    evidence: list[str] = field(default_factory=list)


def _rows(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


def _written(facts: Facts, kind: str, namespace: str, name: str, created: str) -> str:
    """The policy's latest write: the timeline's, else its creation."""
    times = [str(c.get("at")) for c in facts.change_list() if (Ref.of(c.get("object")) or Ref("", "", "")) ==
             Ref(kind, namespace, name)]
    return max([t for t in [*times, created] if parse_time(t)], default="", key=lambda t: parse_time(t) or facts.at)


def _recent(facts: Facts, when: str) -> bool:
    at = parse_time(when)
    return at is not None and -RECENT.total_seconds() <= (at - facts.at).total_seconds() <= 300


async def _served_kinds(call: Call) -> set[str]:
    """The custom resource definitions the cluster serves, by their names (`<plural>.<group>`)."""
    return {str(r["name"]) for r in _rows(await call("k8s_list", {"kind": "customresourcedefinitions"},
                                                      "survey-policies-crds"))}


def _is_served(plural: str, api: str, served: set[str]) -> bool:
    """Kubernetes' own NetworkPolicy always; another engine's kind only when its CRD is installed."""
    group = api.split("/", 1)[0]
    return group == "networking.k8s.io" or f"{plural.split('.', 1)[0]}.{group}" in served


async def _policies(call: Call, facts: Facts) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]],
                                                      list[str]]:
    """Every policy of the kinds served (a kind the cluster lacks answers an error and is skipped), and which of
    them were written recently; full objects are read only when one was."""
    listed: list[tuple[str, str, str, dict[str, Any]]] = []
    evidence: list[str] = []
    served = await _served_kinds(call)
    for plural, kind, api in KINDS:
        if not _is_served(plural, api, served):
            continue  # a policy engine the cluster does not run: listing its kind would only be an error
        outcome = await call("k8s_list", {"kind": plural}, f"survey-policies-{plural}")
        rows = _rows(outcome)
        if rows:
            evidence.append(outcome.evidence_id)
        listed += [(plural, kind, api, r) for r in rows]
    recent = [x for x in listed if _recent(facts, _written(facts, x[1], str(x[3].get("namespace") or ""),
                                                             str(x[3]["name"]), str(x[3].get("created") or "")))]
    if not recent:
        return [], [], evidence
    objects: list[dict[str, Any]] = []
    fresh: list[tuple[dict[str, Any], str]] = []
    for plural, kind, api, row in listed[:MAX_POLICIES]:
        ns, name = str(row.get("namespace") or ""), str(row["name"])
        got = await call("k8s_get", {"kind": plural, "name": name, "namespace": ns, "output": "yaml"},
                         f"survey-policy-{name}")
        obj = object_of(got)
        if obj is None:
            continue
        obj.setdefault("kind", kind)
        obj.setdefault("apiVersion", api)
        if plural.endswith("projectcalico.org"):
            obj["apiVersion"] = api
        objects.append(obj)
        evidence.append(got.evidence_id)
        when = _written(facts, kind, ns, name, str(row.get("created") or ""))
        if (plural, kind, api, row) in recent:
            fresh.append((obj, when))
    return objects, fresh, evidence


async def _destination(call: Call, subject: Subject, facts: Facts) -> tuple[Endpoint, list[Port], Ref, str] | None:
    """The subject's Service: its selector as its pods' labels, its target ports, its DNS names."""
    names = list(dict.fromkeys([*(r.name for d, _ in facts.topologies for r in (Ref.of(s) for s in
                                                                                d.get("services") or [])
                                  if r is not None), *subject.names]))[:4]
    namespace = subject.namespace or next((str((d.get("subject") or {}).get("namespace") or "")
                                           for d, _ in facts.topologies), "")
    if not namespace:
        return None
    for name in names:
        if (found := await _service_endpoint(call, name, namespace)) is not None:
            return found
    return None


async def _service_endpoint(call: Call, name: str, namespace: str) -> tuple[Endpoint, list[Port], Ref, str] | None:
    """One Service as a destination: its selector as its pods' labels, its target ports, its DNS names."""
    got = await call("k8s_get", {"kind": "Service", "name": name, "namespace": namespace, "output": "yaml"},
                     f"survey-policy-dest-{name}")
    svc = object_of(got)
    if svc is None or not (svc.get("spec") or {}).get("selector"):
        return None
    spec = svc["spec"]
    ports = []
    for p in spec.get("ports") or []:
        target = p.get("targetPort", p.get("port"))
        number = int(target) if str(target).isdigit() else int(p.get("port") or 0)
        name_ = str(target) if not str(target).isdigit() else str(p.get("name") or "")
        ports.append(Port(number, name_, str(p.get("protocol") or "TCP")))
    dns = (f"{name}.{namespace}.svc.cluster.local", f"{name}.{namespace}.svc", f"{name}.{namespace}")
    return (Endpoint(namespace, {str(k): str(v) for k, v in spec["selector"].items()}, names=dns, service=name),
            ports, Ref("Service", namespace, name), got.evidence_id)


_SVC_HOST = re.compile(r"\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.svc\b")
MAX_CALLED = 3
KEYS_FETCH = re.compile(r"JWK|jwks|\.well-known|openid-configuration|/certs\b|discovery|signing keys?|"
                        r"get keys failed|fetching keys|/(?:dex/)?keys\b|IDX2080[34]\b|"
                        r"Unable to obtain configuration from", re.I)
"""A relying party's key or discovery fetch: when that is what the policy cut, tokens are refused (401s), not calls
timing out, and the finding says so. Spring's `Couldn't retrieve remote JWK set`, go-oidc's `oidc: get keys failed`
(dex serves its keys at `/keys`), .NET's `IDX20803: Unable to obtain configuration from`, jose's JWKS fetches."""


def _called(facts: Facts) -> list[tuple[str, str, str, str, str]]:
    """(Service, its namespace, caller namespace, caller pod, the caller's line) for each in-cluster Service the
    subject's own failing lines name (`<svc>.<ns>.svc`) while saying the connection was not made: the path from
    the subject OUT to what it calls (a relying party refetching an IdP's JWKS, a client of a datastore), which a
    policy selecting the callee's pods can cut while the callee itself, and its other clients, stay healthy."""
    out: list[tuple[str, str, str, str, str]] = []
    for log in facts.logs:
        for e in log.entries():
            line = str(e.get("example") or e.get("message") or "")
            if not (str(e.get("error_class")) in FAILING_CALLS or _UNREACHED.search(line)):
                continue
            for m in _SVC_HOST.finditer(line):
                if not any(o[:3] == (m[1], m[2], log.namespace) for o in out):
                    out.append((m[1], m[2], log.namespace, log.pod, line[:600]))
    return out[:MAX_CALLED]


_UNREACHED = re.compile(r"timed?[ -]?out|ETIMEDOUT|ECONNREFUSED|connection refused|no route to host|"
                        r"context deadline exceeded|"
                        r"network is unreachable|unable to connect|could not connect|can't connect|"
                        r"failed to connect|connect(?:ion)? (?:attempt )?failed|i/o timeout", re.I)
"""How a client says it could not open a connection (Linux errno texts and client libraries' words): what a
policy that drops (a timeout) or rejects (a refusal) the SYN looks like from the client."""


def _said(data: Any, service: str) -> str:
    """The failing line of a client's log answer that names the Service (or nothing): a classified failing call,
    or an error whose text names the Service and says the connection was not made."""
    if not isinstance(data, dict):
        return ""
    found = log_evidence(data, "")
    if found is None:
        return ""
    for e in [*([found.top] if found.top else []), *found.more]:
        line = str(e.get("example") or e.get("message") or "")
        if service in line and (str(e.get("error_class")) in FAILING_CALLS or _UNREACHED.search(line)):
            return line[:240]
    return ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the policies, and when one is recent, the path from each namespace to the subject."""
    objects, fresh, evidence = await _policies(call, facts)
    if not fresh:
        return
    dest = await _destination(call, subject, facts)
    await _read_called(facts, call, objects, fresh, evidence, dest[2] if dest else None)
    if dest is None:
        return
    endpoint, ports, service, dest_id = dest
    pods = _rows(await call("k8s_list", {"kind": "pods"}, "survey-policy-pods"))
    by_ns: dict[str, list[str]] = {}
    for row in pods:
        by_ns.setdefault(str(row.get("namespace") or ""), []).append(str(row["name"]))
    cuts: dict[str, Cut] = {}
    for ns in sorted(by_ns):
        client = Endpoint(ns)
        for port in ports:
            decision = decide(objects, client, endpoint, port)
            if decision.allowed or decision.policy is None:
                continue
            blamed = next(((p, w) for p, w in fresh if p is decision.policy), None) or \
                next(((p, w) for p, w in fresh if any(p is s for s in decision.selecting)), None)
            if blamed is None:
                continue
            key = f"{kind_of(blamed[0])}/{blamed[0]['metadata'].get('namespace', '')}/{blamed[0]['metadata']['name']}"
            cut = cuts.setdefault(key, Cut(blamed[0], blamed[1], service, port, decision,
                                           evidence=[*evidence, dest_id]))
            if ns not in cut.namespaces:
                cut.namespaces.append(ns)
    reads = 0
    for cut in cuts.values():
        for ns in cut.namespaces:
            for pod in list(dict.fromkeys({workload_of_pod(p): p for p in by_ns[ns]
                                           if workload_of_pod(p) != service.name}.values())):
                if reads >= MAX_LOG_READS or len(cut.clients) >= 2:
                    break
                reads += 1
                got = await call("k8s_logs", {"name": pod, "namespace": ns, "grep": service.name, "tail": 200},
                                 f"survey-policy-client-{pod}")
                said = _said(got.data if got is not None and got.ok else None, service.name)
                if said:
                    cut.clients.append((ns, pod, said))
                    cut.evidence.append(got.evidence_id)
        if cut.clients:
            facts.objects.append(({"kind": RECORD_KIND, "cut": cut}, ""))


async def _read_called(facts: Facts, call: Call, objects: list[dict[str, Any]], fresh: list[tuple[dict[str, Any], str]],
                       evidence: list[str], own: Ref | None) -> None:
    """The path OUT of the subject: each Service its failing lines name, judged from the subject's namespace; a
    recent policy that denies it is kept with the subject's own line as the failing client (no Service of the
    subject's own is needed: a relying party or a worker often has none)."""
    for name, namespace, client_ns, pod, said in _called(facts):
        if own is not None and own == Ref("Service", namespace, name):
            continue
        callee = await _service_endpoint(call, name, namespace)
        if callee is None:
            continue
        for port in callee[1]:
            decision = decide(objects, Endpoint(client_ns), callee[0], port)
            blamed = None if decision.allowed or decision.policy is None else (
                next(((p, w) for p, w in fresh if p is decision.policy), None)
                or next(((p, w) for p, w in fresh if any(p is s for s in decision.selecting)), None))
            if blamed is None:
                continue
            cut = Cut(blamed[0], blamed[1], callee[2], port, decision, [client_ns], [(client_ns, pod, said)],
                      [*evidence, callee[3]])
            facts.objects.append(({"kind": RECORD_KIND, "cut": cut}, ""))
            break


def _allowed_ports(policy: dict[str, Any], direction: str) -> str:
    """What an allow-list policy lets through, as it reads: `TCP 53, 80, 443`."""
    spec = policy.get("spec") or {}
    out = []
    for rule in spec.get(direction.lower()) or []:
        if kind_of(policy) in CALICO and str(rule.get("action") or "") != "Allow":
            continue
        ports = [*((rule.get("destination") or {}).get("ports") or []), *(x.get("port") for x in rule.get("ports")
                                                                           or [] if isinstance(x, dict)),
                 *(x.get("port") for tp in rule.get("toPorts") or [] for x in tp.get("ports") or [])]
        proto = str(rule.get("protocol") or "")
        if ports:
            out.append(f"{proto + ' ' if proto else ''}{', '.join(str(p) for p in ports)}")
    return "; ".join(out)


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The recent policy that cuts each client's path, explaining the destination and the failing clients."""
    out = []
    for obj, _ in facts.objects:
        cut = obj.get("cut") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(cut, Cut):
            continue
        meta = cut.policy.get("metadata") or {}
        kind = kind_of(cut.policy)
        shown = "NetworkPolicy" if kind == "CalicoNetworkPolicy" else kind
        ref = Ref(shown, str(meta.get("namespace") or ""), str(meta.get("name")))
        d = cut.decision
        allows = _allowed_ports(cut.policy, d.direction)
        when = parse_time(cut.written)
        ago = f", {int((facts.at - when).total_seconds() // 60)} min before the incident" if when else ""
        ns = ", ".join(cut.namespaces[:6]) + (f" (+{len(cut.namespaces) - 6})" if len(cut.namespaces) > 6 else "")
        ns_, pod, said = cut.clients[0]
        name = ref.name if not ref.namespace else f"{ref.namespace}/{ref.name}"
        keys = (f" so {workload_of_pod(pod)} cannot fetch the identity provider's JWK set / discovery document "
                f"(the fetch {'timed out' if re.search(r'time', said, re.I) else 'failed'}) and refuses every token"
                if KEYS_FETCH.search(said) else "")
        message = (f"{shown} {name} (written {cut.written}{ago}) denies {d.direction.lower()} from pods in {ns} to "
                   f"{cut.service} port {cut.port.number}/{cut.port.protocol} ({d.why}){keys}: {workload_of_pod(pod)} "
                   f"({ns_}) logs '{said[:160]}'. Connections are dropped and time out while {cut.service} itself "
                   f"is healthy{'; the policy allows only ' + allows if allows else ''}")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                   "reason": "PolicyDeniesPath", "message": message,
                   "evidence": [f"{d.direction} {cut.service}:{cut.port.number} denied by {ref} ({d.why})"],
                   "details": {"service": str(cut.service), "port": cut.port.number, "direction": d.direction,
                               "namespaces": cut.namespaces, "written": cut.written,
                               "clients": [f"{n}/{p}" for n, p, _ in cut.clients]}}
        explains = [cut.service, *(Ref("Deployment", n, workload_of_pod(p)) for n, p, _ in cut.clients)]
        out.append((ref, finding, list(dict.fromkeys(e for e in cut.evidence if e)), explains))
    return out
