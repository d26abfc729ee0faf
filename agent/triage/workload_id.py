"""Workload identity names changed by a template or registration object: peers that authorise by ID reject callers.

In SPIFFE/SPIRE and service meshes a workload's identity is a name minted from a template: SPIRE controller
manager's ClusterSPIFFEID `spec.spiffeIDTemplate` (`spiffe://<td>/ns/{{ .PodMeta.Namespace }}/sa/{{ ... }}`), the
older SpiffeID / ClusterStaticEntry registrations, a mesh's trust domain (Istio `meshConfig.trustDomain`, Linkerd's
identity trust domain, SPIRE server's `trust_domain`), which make principals like `cluster.local/ns/x/sa/y`. Edit
the template or the trust domain and every SVID rotates to the new name within its TTL, health checks stay green,
and every server that authorises its peers by exact ID (go-spiffe's `tlsconfig.AuthorizeID`/`AuthorizeOneOf`, an
Envoy SAN matcher, an Istio AuthorizationPolicy `principals`, Linkerd's `MeshTLSAuthentication`) refuses them:
the callee says `unexpected ID "spiffe://..."`, `peer ID ... is not authorized`, `rbac_access_denied`, and the
caller only sees the handshake fail (`authentication handshake failed: remote error: tls: bad certificate`).

Named: a write within LEAD to an identity-naming object (by kind, or a mesh/SPIRE config whose written fields say
trust domain / spiffe) when a path log shows a peer refusing an identity (the callee's, read by `read` from the
caller's failing hosts) or the caller's handshake refused by its peer. The finding quotes the new template and the
callee's refusal. A template written with no such refusal, or a refusal with no identity write (an expired or
untrusted certificate: other mechanisms), is not named.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import list_names
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.workload_id"
WEIGHT = 0.94
"""Above the handshake failures it explains and above the callers' own rollouts."""
RECORD = "workload_id"
LEAD = timedelta(hours=24)
"""SVIDs rotate within their TTL (an hour is common), so the refusals begin up to a TTL after the write."""
MAX_PEERS = 2

ID_KINDS = frozenset({"clusterspiffeid", "spiffeid", "clusterstaticentry"})
"""Kinds whose whole job is naming workloads (SPIRE controller manager, the k8s-workload-registrar)."""
CONFIG_KINDS = frozenset({"configmap", "istiooperator", "meshconfig", "linkerdconfig", "controlplane"})
"""Kinds that name workloads only through a written trust domain or SPIFFE setting (ID_FIELDS)."""
ID_FIELDS = re.compile(r"spiffe|trust[-_ ]?domain|trustDomain|spiffeIDTemplate|identity[-_.]?template", re.I)
TEMPLATE = re.compile(r"(spiffeIDTemplate|trustDomain|trust_domain|serviceAccountName|serviceAccount)"
                      r"\S*\s*(?:=|->|:)\s*(?:'([^']+)'?|\"?([^\"\s]+))(?:\s*->\s*(?:'([^']+)'?|\"?([^\"\s]+)))?",
                      re.I)
"""The written value; in an `old -> new` diff, the new one (groups 4/5)."""

REFUSES_ID = re.compile(
    r"unexpected (?:peer )?(?:SPIFFE )?ID\b[^\n]{0,120}|peer (?:SPIFFE )?ID \S+ (?:is )?not (?:authorized|allowed)|"
    r"(?:unauthorized|unknown|untrusted) SPIFFE ID[^\n]{0,100}|SPIFFE ID \S+ (?:is )?not (?:authorized|allowed)|"
    r"rbac_access_denied_matched_policy\S*|RBAC: access denied|identity mismatch[^\n]{0,80}|"
    r"unauthorized connection on server[^\n]{0,60}|trust domain mismatch[^\n]{0,80}|"
    r"(?:Request|Connection) denied server\.group=\S*|unauthorized request on route|enforced denied, matched policy"
    r"[^\n]{0,80}|no identity issued", re.I)
"""A callee refusing its peer's identity: go-spiffe's AuthorizeID `unexpected ID`, SPIRE/Envoy SAN and allow-list
wordings, Istio's RBAC filter (`RBAC: access denied`, Envoy's `enforced denied, matched policy`), Linkerd's proxy
(`Request denied server.group=policy.linkerd.io ...`, `l5d-proxy-error: unauthorized request on route`); or SPIRE
issuing no identity at all to a workload no registration entry matches any more (`No identity issued`)."""
HANDSHAKE_REFUSED = re.compile(
    r"authentication handshake failed[^\n]{0,80}?(?:bad certificate|certificate_unknown|access denied)|"
    r"remote error: tls: (?:bad certificate|certificate unknown|access denied)|"
    r"upstream connect error[^\n]{0,80}?CERTIFICATE_VERIFY_FAILED", re.I)
"""The caller's side: the peer aborted the mTLS handshake over the caller's certificate (its identity)."""

_HOST = re.compile(r"\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.svc\b")


@dataclass
class Renamed:
    """An identity template written shortly before peers refused the new identities."""

    target: Ref
    minutes_before: int
    template: str
    refusal: str
    refused_by: str
    caller: str
    caller_said: str
    evidence: list[str] = field(default_factory=list)


def _text(entry: dict[str, Any]) -> str:
    return str(entry.get("example") or entry.get("message") or entry.get("template") or "")


WORKLOAD_KINDS = frozenset({"deployment", "statefulset", "daemonset"})
"""Kinds whose identity a mesh mints from their ServiceAccount (`.../ns/<ns>/sa/<name>`): a write that changes
`serviceAccountName` renames the workload's principal (Istio, Linkerd, SPIRE's default template)."""
SA_FIELD = re.compile(r"serviceAccount(?:Name)?\b", re.I)


def id_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes within LEAD to identity-naming objects, or to mesh/SPIRE config whose written fields name the trust
    domain or a SPIFFE setting."""
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(ID_KINDS | CONFIG_KINDS | WORKLOAD_KINDS, within=LEAD,
                                                    deletions=False):
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if target.kind.lower() in CONFIG_KINDS and not ID_FIELDS.search(text):
            continue
        if target.kind.lower() in WORKLOAD_KINDS and not SA_FIELD.search(text):
            continue
        if not any(t.same_object(target) for _, _, t in out):
            out.append((change, evidence, target))
    return out


def callers(facts: Facts) -> list[tuple[str, str, list[str]]]:
    """(caller workload, the handshake refusal it printed, the in-cluster hosts its logs name), from the logs."""
    out: list[tuple[str, str, list[str]]] = []
    for log in facts.logs:
        line, hit = next(((t, m.group(0)) for e in log.entries() if (m := HANDSHAKE_REFUSED.search(t := _text(e)))),
                         ("", ""))
        if hit:
            hosts = [f"{m[1]}.{m[2]}" for h in [*log.hosts, line] for m in _HOST.finditer(str(h))]
            out.append((workload_of_pod(log.pod), hit, list(dict.fromkeys(hosts))))
    return out


def refusals(facts: Facts) -> list[tuple[str, str]]:
    """(refusal, who said it): a path log refusing a peer's identity, the survey's own logs first, then the callee
    lines `read` kept."""
    out = [(m.group(0), workload_of_pod(log.pod)) for log in facts.logs for e in log.entries()
           if (m := REFUSES_ID.search(_text(e)))]
    for pod, lines in ((facts.reads.get(RECORD) or {}).get("peer_lines") or {}).items():
        out += [(m.group(0), workload_of_pod(pod)) for t in lines if (m := REFUSES_ID.search(t))][:1]
    return out


def found(facts: Facts) -> list[Renamed]:
    """Each identity write followed by a peer's refusal of identities (or the callers' handshakes refused)."""
    said = refusals(facts)
    calls = callers(facts)
    if not said and not calls:
        return []
    refusal, refused_by = said[0] if said else ("", "")
    caller, caller_said = (calls[0][0], calls[0][1]) if calls else ("", "")
    kept = facts.reads.get(RECORD) or {}
    out: list[Renamed] = []
    for change, evidence, target in id_writes(facts):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        text = " ".join([*(str(d) for d in change.get("diff") or []), str(change.get("summary") or "")])
        m = TEMPLATE.search(text)
        template = (m.group(4) or m.group(5) or m.group(2) or m.group(3)) if m else ""
        out.append(Renamed(target, int((facts.at - at).total_seconds() // 60), template, refusal, refused_by,
                           caller, caller_said,
                           [e for e in (evidence, *(kept.get("evidence") or [])) if e]))
    return out


def finding(r: Renamed) -> dict[str, Any]:
    """The rename first (new template -> new SPIFFE IDs), then who refuses them and how the caller sees it."""
    template = f" (now '{r.template[:110]}')" if r.template else ""
    refused = (f"{r.refused_by} says '{r.refusal[:140]}'" if r.refusal
               else "the callee rejects the callers' certificates")
    caller = f"; {r.caller}'s mTLS handshakes fail ('{r.caller_said[:120]}')" if r.caller else ""
    what = ("its ServiceAccount, the name its mesh identity (SPIFFE ID, principal .../sa/<name>) is minted from,"
            if r.target.kind.lower() in WORKLOAD_KINDS else "the workload identity (SPIFFE ID) template")
    message = (f"{r.target} changed {what} {minutes_text(r.minutes_before)} "
               f"before the incident{template}: SVIDs rotated to the new SPIFFE IDs, and peers that authorise callers "
               f"by exact ID (allow-lists, AuthorizationPolicy principals) reject them: {refused}{caller}. Restore "
               "the previous identity (the template, trust domain or ServiceAccount), or add the new IDs to the peers' "
               "allow-lists")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "reason": "WorkloadIdentityRenamed", "message": message,
            "evidence": [x for x in (r.refusal[:200], r.caller_said[:200]) if x],
            "details": {"template": r.template, "refused_by": r.refused_by, "caller": r.caller}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the identity template object, its finding, evidence ids, nothing further) for `agent.triage.behind`."""
    return [(r.target, finding(r), r.evidence, []) for r in found(facts)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when an identity template was written and a caller's handshakes are refused: the lines of the
    callee's pods (the hosts the caller names) that name a SPIFFE ID or an RBAC denial."""
    if RECORD in facts.reads or refusals(facts) or not id_writes(facts):
        return
    calls = callers(facts)
    if not calls:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"peer_lines": {}, "evidence": []})
    for host in calls[0][2][:MAX_PEERS]:
        service, namespace = host.split(".", 1)
        names = await list_names(call, "Pod", namespace, f"survey-workload-id-pods-{service}")
        pods = sorted(n for n in (names[0] if names else set()) if n.startswith(service + "-"))[:MAX_PEERS]
        for pod in pods:
            for word in ("spiffe", "denied"):
                logs = await call("k8s_logs", {"name": pod, "namespace": namespace, "grep": word, "tail": 2000},
                                  f"survey-workload-id-peer-{pod}-{word}")
                if logs is None or not logs.ok:
                    continue
                lines = str(logs.full_text or logs.text).splitlines()[-50:]
                if any(REFUSES_ID.search(t) for t in lines):
                    kept["peer_lines"][pod] = lines
                    kept["evidence"].append(logs.evidence_id)
                    break
            if pod in kept["peer_lines"]:
                return
