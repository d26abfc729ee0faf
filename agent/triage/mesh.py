"""A client outside the service mesh calling a service whose mesh policy demands mutual TLS.

Istio's PeerAuthentication (security.istio.io) with `mtls.mode: STRICT` makes the server's sidecar
accept only mTLS from other sidecars: a plaintext connection matches no filter chain (its access log
says `NR filter_chain_not_found`) and is closed, so a client without an `istio-proxy` container sees
"Connection reset by peer", "Connection aborted", "socket hang up" or an EOF. The policy that
decides is the most specific one: a workload-selector policy in the server's namespace (and its
`portLevelMtls`), else the namespace-wide one (no selector), else the mesh-wide one in the root
namespace (istio-system). Linkerd's equivalent is the `config.linkerd.io/default-inbound-policy`
annotation (`all-authenticated`, `cluster-authenticated`, `deny`) on the server's namespace.

The suspect is the policy, not the client or the server (both healthy); the finding names its mode,
its namespace and the client's missing sidecar. The survey reads the policies and one pod of each
side only when the subject's calls to an in-cluster Service are reset or refused.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import yaml

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time

CHECK = "mesh.mtls_plaintext_client"
WEIGHT = 0.9

RESET_CLASSES = frozenset({"upstream_reset", "connection_refused", "unavailable"})
"""How a connection the server's sidecar closes reads in a plaintext client's logs."""

ROOT_NAMESPACE = "istio-system"
"""Istio's default root namespace, where a selector-less PeerAuthentication is mesh-wide."""

SIDECARS = {"istio": "istio-proxy", "linkerd": "linkerd-proxy"}
LINKERD_POLICY = "config.linkerd.io/default-inbound-policy"
LINKERD_STRICT = frozenset({"all-authenticated", "cluster-authenticated", "deny"})

MAX_POLICY_READS = 3


@dataclass
class Plaintext:
    """A client without a sidecar calling a Service whose pods accept only mTLS."""

    policy: Ref
    mode: str
    scope: str
    client: Ref
    client_pod: str
    service: Ref
    mesh: str
    log: LogEvidence
    created: str | None
    evidence: list[str]


def _failing(facts: Facts) -> LogEvidence | None:
    """The subject's (the first topology's) pod logs whose calls are reset or refused."""
    if not facts.topologies:
        return None
    pods = {str(p.get("name")) for p in facts.topologies[0][0].get("pods") or [] if isinstance(p, dict)}
    return next((log for log in facts.logs if log.pod in pods and log.error_classes & RESET_CLASSES), None)


def _services(facts: Facts) -> list[Ref]:
    """In-cluster Services the subject calls (the first topology's dependencies)."""
    if not facts.topologies:
        return []
    deps = facts.topologies[0][0].get("dependencies") or []
    refs = [Ref.of(d.get("target")) for d in deps if isinstance(d, dict)]
    return [r for r in refs if r is not None and r.kind.lower() == "service" and r.namespace]


def _backing_pod(facts: Facts, service: Ref) -> dict[str, Any] | None:
    """A running pod behind `service`, from the topology the survey read of it (its hop)."""
    for data, _ in facts.topologies[1:]:
        names = {str(s.get("name")) for s in data.get("services") or [] if isinstance(s, dict)}
        subject = Ref.of(data.get("subject"))
        if service.name in names or (subject is not None and subject.name == service.name):
            pods = [p for p in data.get("pods") or [] if isinstance(p, dict) and p.get("phase") == "Running"]
            if pods:
                return pods[0]
    return None


def _as_pod(answer: dict[str, Any]) -> dict[str, Any]:
    """A k8s_get Pod answer (ObjectAnswer) in Pod shape: metadata and the containers' names."""
    containers = (answer.get("pod") or {}).get("containers") or []
    return {"kind": "Pod", "metadata": {"name": answer.get("name"), "namespace": answer.get("namespace"),
                                        "labels": answer.get("labels") or {}},
            "spec": {"containers": [{"name": c.get("name")} for c in containers if not c.get("init")],
                     "initContainers": [{"name": c.get("name")} for c in containers if c.get("init")]}}


def _yaml_object(text: str) -> dict[str, Any] | None:
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return obj if isinstance(obj, dict) and obj.get("kind") else None


async def read_policies(facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only: when the subject's calls are reset, one pod of each side; when the server runs a mesh proxy
    and the client none, the mesh policies (never asked of a cluster whose pods run no proxy)."""
    failing, services = _failing(facts), _services(facts)
    client_pods = [p for p in (facts.topologies[0][0].get("pods") or [] if facts.topologies else [])
                   if isinstance(p, dict) and p.get("name")]
    if failing is None or not services or not client_pods:
        return
    pods = [(str(client_pods[0]["name"]), str(client_pods[0].get("namespace") or failing.namespace))]
    pods += [(str(p["name"]), str(p.get("namespace") or s.namespace)) for s in services
             if (p := _backing_pod(facts, s)) is not None][:2]
    answers = await asyncio.gather(*(call("k8s_get", {"kind": "Pod", "name": name, "namespace": ns},
                                          f"survey-mesh-pod-{name}") for name, ns in pods))
    read = [(_as_pod(o.data), o.evidence_id) for o in answers
            if o is not None and o.ok and isinstance(o.data, dict) and o.data.get("kind") == "Pod"]
    facts.objects += read
    sides = {(str(p["metadata"]["namespace"]), str(p["metadata"]["name"])): _sidecar(p) for p, _ in read}
    client = sides.get((pods[0][1], pods[0][0]), "absent")
    meshed = sorted({ns for (ns, name), mesh in sides.items() if mesh and (ns, name) != (pods[0][1], pods[0][0])})
    if client is not None or not meshed:
        return
    listed, *spaces = await asyncio.gather(
        call("k8s_list", {"kind": "peerauthentications"}, "survey-mesh-policies"),
        *(call("k8s_get", {"kind": "Namespace", "name": ns, "output": "yaml"}, f"survey-mesh-namespace-{ns}")
          for ns in meshed[:2]))
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
    wanted = [r for r in rows if isinstance(r, dict) and r.get("namespace") in (*meshed, ROOT_NAMESPACE)]
    policies = await asyncio.gather(*(call("k8s_get", {"kind": "peerauthentications", "name": r.get("name"),
                                                       "namespace": r.get("namespace"), "output": "yaml"},
                                           f"survey-mesh-policy-{r.get('namespace')}-{r.get('name')}")
                                      for r in wanted[:MAX_POLICY_READS]))
    for outcome in [*spaces, *policies]:
        if outcome is not None and outcome.ok and (obj := _yaml_object(outcome.full_text)) is not None:
            facts.objects.append((obj, outcome.evidence_id))


_RESET_WORDS = re.compile(r"reset|abort|EOF|hang up|refused|terminat|closed", re.I)


def _quote(line: str, width: int = 70) -> str:
    """The part of the client's error that says the connection was closed, at most `width` characters."""
    found = _RESET_WORDS.search(line)
    if found is None or len(line) <= width:
        return line[:width]
    start = max(0, min(found.start() - width // 2, len(line) - width))
    return ("..." if start else "") + line[start:start + width]


def _objects(facts: Facts, kind: str) -> list[tuple[dict[str, Any], str]]:
    return [(o, e) for o, e in facts.objects if str(o.get("kind")) == kind]


def _sidecar(pod: dict[str, Any]) -> str | None:
    """Which mesh's proxy the pod runs (as a container or a native sidecar init container), or None."""
    spec = pod.get("spec") or {}
    names = {str(c.get("name")) for key in ("containers", "initContainers") for c in spec.get(key) or []}
    return next((mesh for mesh, proxy in SIDECARS.items() if proxy in names), None)


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = ((policy.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _mode(policy: dict[str, Any], port: int | None) -> str:
    spec = policy.get("spec") or {}
    ports = spec.get("portLevelMtls") or {}
    if port is not None and isinstance(ports, dict):
        level = ports.get(str(port)) or ports.get(port)
        if isinstance(level, dict) and level.get("mode"):
            return str(level["mode"]).upper()
    return str((spec.get("mtls") or {}).get("mode") or "UNSET").upper()


def _effective(policies: list[tuple[dict[str, Any], str]], namespace: str, labels: dict[str, str],
               port: int | None) -> tuple[dict[str, Any], str, str, str] | None:
    """The PeerAuthentication that decides the server pods' mode, the mode, its scope and its evidence id."""
    def in_ns(ns: str, with_selector: bool) -> list[tuple[dict[str, Any], str]]:
        return [(p, e) for p, e in policies if (p.get("metadata") or {}).get("namespace") == ns
                and bool((p.get("spec") or {}).get("selector")) == with_selector]
    layers = [([(p, e) for p, e in in_ns(namespace, True) if _selects(p, labels)], f"workloads in {namespace}"),
              (in_ns(namespace, False), f"namespace {namespace}"), (in_ns(ROOT_NAMESPACE, False), "the whole mesh")]
    for found, scope in layers:
        for policy, evidence_id in found:
            mode = _mode(policy, port)
            if mode not in ("UNSET", ""):
                return policy, mode, scope, evidence_id
    return None


def plaintext_calls(facts: Facts) -> list[Plaintext]:
    """Each Service the subject calls without a sidecar while the Service's pods accept only mTLS."""
    failing = _failing(facts)
    if failing is None or not facts.topologies:
        return []
    pods = {(str((p.get("metadata") or {}).get("namespace")), str((p.get("metadata") or {}).get("name"))): (p, e)
            for p, e in _objects(facts, "Pod")}
    client_pods = [p for p in facts.topologies[0][0].get("pods") or [] if isinstance(p, dict)]
    client_ref = Ref.of(facts.topologies[0][0].get("subject"))
    client = next((pods[k] for k in ((str(p.get("namespace")), str(p.get("name"))) for p in client_pods)
                   if k in pods), None)
    if client is None or client_ref is None or _sidecar(client[0]) is not None:
        return []
    out: list[Plaintext] = []
    for service in _services(facts):
        backing = _backing_pod(facts, service) or {}
        server = pods.get((str(backing.get("namespace") or service.namespace), str(backing.get("name"))))
        if server is None:
            continue
        mesh = _sidecar(server[0])
        labels = (server[0].get("metadata") or {}).get("labels") or {}
        found: Plaintext | None = None
        if mesh == "istio":
            decided = _effective(_objects(facts, "PeerAuthentication"), service.namespace, labels, None)
            if decided is not None and decided[1] == "STRICT":
                policy, mode, scope, evidence_id = decided
                meta = policy.get("metadata") or {}
                found = Plaintext(Ref("PeerAuthentication", str(meta.get("namespace")), str(meta.get("name"))), mode,
                                  scope, client_ref, str((client[0].get("metadata") or {}).get("name")), service,
                                  mesh, failing, meta.get("creationTimestamp"),
                                  [evidence_id, client[1], server[1], failing.evidence_id])
        elif mesh == "linkerd":
            for ns_obj, evidence_id in _objects(facts, "Namespace"):
                meta = ns_obj.get("metadata") or {}
                value = str((meta.get("annotations") or {}).get(LINKERD_POLICY) or "")
                if meta.get("name") == service.namespace and value in LINKERD_STRICT:
                    found = Plaintext(Ref("Namespace", "", service.namespace), f"{LINKERD_POLICY}: {value}",
                                      f"namespace {service.namespace}", client_ref,
                                      str((client[0].get("metadata") or {}).get("name")), service, mesh, failing,
                                      None, [evidence_id, client[1], server[1], failing.evidence_id])
        if found is not None:
            out.append(found)
    return out


def finding(found: Plaintext, facts: Facts) -> dict[str, Any]:
    """The suspect's finding: the policy's mode and scope, the client's missing sidecar, what the client saw."""
    said = _quote(str((found.log.top or {}).get("message") or (found.log.top or {}).get("example") or ""))
    created = parse_time(found.created)
    when = ""
    if created is not None and created <= facts.at:
        minutes = int((facts.at - created).total_seconds() // 60)
        when = f", applied {minutes} min before the alert" if minutes < 24 * 60 else ""
    proxy = SIDECARS[found.mesh]
    if found.mesh == "istio":
        what = f"{found.policy} sets mTLS mode {found.mode} for {found.scope}{when}"
        fix = f"inject the sidecar into {found.client.name}, or PERMISSIVE portLevelMtls on {found.service.name}"
    else:
        what = f"{found.policy} has {found.mode}{when}: only meshed (mTLS) clients are admitted"
        fix = f"mesh {found.client.name} (linkerd.io/inject: enabled) or authorize it with a Server policy"
    message = (f"{what}. {found.client} has no sidecar (no {proxy} container), so its plaintext calls to "
               f"{found.service} are reset: '{said}'. Fix: {fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": found.policy.kind, "namespace": found.policy.namespace, "name": found.policy.name},
            "reason": "PlaintextToStrictMtls", "message": message, "evidence": [],
            "details": {"mode": found.mode, "client": str(found.client), "service": str(found.service),
                        "mesh": found.mesh}}
