"""A mesh's inbound authorization made strict, seen from the server: its own proxy denies callers with no identity.

A service mesh lets a namespace or workload refuse callers that do not present a mesh identity: Linkerd's
`config.linkerd.io/default-inbound-policy` annotation (`all-authenticated`, `cluster-authenticated`, `deny`) on a
Namespace or pod template, its `Server`/`AuthorizationPolicy`/`MeshTLSAuthentication` objects, Istio's
`PeerAuthentication` set `STRICT` or an `AuthorizationPolicy` that allows only principals. Callers outside the mesh
(an ingress controller without a sidecar, a CronJob, a monitoring probe) then get 403s or resets while every pod
stays healthy, and the change often lands only at the next restart, so the restart reads as the cause. The server's
sidecar says it in its words: Linkerd `Request denied ... client.tls=None(NoClientHello)` / `Connection denied`,
Envoy `rbac_access_denied_matched_policy` or `RBAC: access denied`.

`agent.triage.mesh` reads the same class from a failing client's side (its resets); this reads it from the server's
proxy, which needs no client pod read. So: a write within `LEAD` that makes the inbound default or policy strict,
and, from pods of its namespace (of its workload, for a workload write), proxy lines denying requests. A write that
loosens the default, denials in another namespace, or a strict write without denials are no fit. Pure over facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "change.mesh_inbound_strict"
WEIGHT = 0.93
"""Above the restart that applied it and the callers' 403s: the policy is what refuses them."""
LEAD = timedelta(hours=24)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
POLICY_KINDS = ("PeerAuthentication", "AuthorizationPolicy", "Server", "ServerAuthorization",
                "MeshTLSAuthentication")
DEFAULT_KEY = re.compile(r"[\w./-]*default-inbound-policy", re.I)
DEFAULT_VALUE = re.compile(r"\b(?:all-unauthenticated|all-authenticated|cluster-unauthenticated|cluster-authenticated|"
                           r"deny|audit)\b", re.I)
STRICT_VALUES = frozenset({"all-authenticated", "cluster-authenticated", "deny"})
"""Linkerd default inbound policies that need a mesh identity; the value a line ends with is the new one."""
STRICT_POLICY = re.compile(r"\bSTRICT\b|principals|requiredAuthenticationRefs|MeshTLSAuthentication|"
                           r"identities|serviceAccounts", re.I)
"""What in a policy object's write demands an identity from the caller."""
DENIED = re.compile(r"(?:Request|Connection) denied\b[^\n]*client\.tls=None|NoClientHello[^\n]*denied|"
                    r"unauthorized (?:connection|request) on server|rbac_access_denied_matched_policy|"
                    r"RBAC: access denied", re.I)
"""A mesh proxy's words for a request it refused for want of a caller identity (Linkerd, Envoy/Istio)."""


@dataclass
class Strict:
    """The write that made the inbound authorization strict, and the server whose proxy denies callers."""

    target: Ref
    setting: str
    summary: str
    minutes: int
    server: Ref
    said: str
    evidence: list[str]


def _setting(change: dict[str, Any], target: Ref) -> str | None:
    """What the write made strict: `key = value` for a default annotation, the policy's kind for a policy write."""
    lines = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
    for line in lines:
        m = DEFAULT_KEY.search(line)
        values = DEFAULT_VALUE.findall(line[m.end():]) if m is not None else []
        if m is not None and values and values[-1].lower() in STRICT_VALUES:
            return f"{m.group(0)} = {values[-1]}"
    if target.kind in POLICY_KINDS and change.get("type") != "deleted" and any(STRICT_POLICY.search(x)
                                                                                 for x in lines):
        return f"{target.kind} {target.name}"
    return None


def _texts(log: LogEvidence) -> list[str]:
    entries = [e for e in log.entries() if isinstance(e, dict)]
    return [str(e.get("example") or e.get("message") or e.get("template") or "") for e in entries] + \
        list(log.last_lines)


def found(facts: Facts) -> list[Strict]:
    """Each recent strict inbound write and a server of its scope whose proxy denies callers."""
    out: list[Strict] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        setting = _setting(change, target)
        if setting is None:
            continue
        namespace = target.name if target.kind == "Namespace" else target.namespace
        own = target.kind in WORKLOADS
        minutes = int((facts.at - (parse_time(change.get("at")) or facts.at)).total_seconds() // 60)
        for log in facts.logs:
            if log.namespace != namespace or (own and workload_of_pod(log.pod) != target.name):
                continue
            hit = next(((x, m) for x in _texts(log) if (m := DENIED.search(x))), None)
            if hit is None:
                continue
            text, m = hit
            start = max(0, m.start() - 40)
            server = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
            out.append(Strict(target, setting, str(change.get("summary") or "")[:200], minutes, server,
                              text[start:start + 260], [e for e in (evidence, log.evidence_id) if e]))
            break
    return out


def finding(hit: Strict) -> dict[str, Any]:
    """The strict setting, what it refuses, and the server proxy's own words."""
    message = (f"{hit.target} made the mesh's inbound authorization strict ({hit.setting}) "
               f"{minutes_text(hit.minutes)} before the incident: the proxy beside {hit.server} now denies every "
               "request from a caller without a mesh identity (an ingress controller or job outside the mesh sends "
               f"no client TLS), so those callers get 403s or resets while the pods stay healthy (its proxy: "
               f"'{hit.said}'). A restart after the write is what applied it. Allow the unmeshed callers (an "
               "authorization for the ingress, or mesh them) or set the default back")
    return {"check": CHECK, "severity": "critical", "reason": "MeshInboundPolicyStrict",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [hit.said],
            "details": {"setting": hit.setting, "server": str(hit.server)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The strict write, explaining the server whose proxy denies its callers."""
    return [(h.target, finding(h), h.evidence, [h.server]) for h in found(facts)]


async def read(subject: Any, facts: Facts, call: Any, at: str) -> None:
    """Nothing to read: the timeline and the sidecar logs the survey already read are enough."""
    del subject, facts, call, at
