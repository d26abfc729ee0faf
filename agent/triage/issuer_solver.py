"""An ACME issuer's solver changed: Challenges fail, the Certificate never issues, the issuer is the cause.

cert-manager proves control of a name to the ACME server (Let's Encrypt, ZeroSSL, an internal step-ca) with the
solver its Issuer/ClusterIssuer names: HTTP-01 creates a solver Ingress/HTTPRoute of the solver's ingress class
(or gateway) and the ACME server fetches `/.well-known/acme-challenge/<token>` from the public address of the
name; DNS-01 writes a TXT record through the provider (Route53, Cloud DNS, Cloudflare...) with the credentials
and zone the solver names. Each Challenge copies the solver it used (`spec.solver`) and says why it has not
passed (`status.reason`: "wrong status code '404', expected '200'", "DNS record not yet propagated",
"AccessDenied", "no such hosted zone"). The Certificate only says "Issuing"/"DoesNotExist": naming it is naming
the victim. Existing certificates keep working until they renew, so only new or renewing names fail.

When a Certificate is not Ready this module reads it, its Challenges (the ones for its names and its issuer),
the issuer, and the Ingresses of its namespace. The issuer is named when a Challenge of it is failing AND the
issuer's solver config was written before that Challenge (the change timeline) with the Challenge carrying the
written solver. For HTTP-01 through an ingress class, the class the name's own Ingress is served by is compared
with the solver's: a solver on another class is served by another controller (an internal one, unreachable from
the ACME server), which is the meaning stated first. A failing Challenge under an unchanged issuer (the name's
DNS points elsewhere, a firewall) and a written issuer whose Challenges pass are not this class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "certificate.issuer_solver"
WEIGHT = 0.97
STORE = "issuer_solver"
MAX_CERTIFICATES = 3
MAX_CHALLENGES = 4
MAX_INGRESSES = 8
LOOKBACK = timedelta(days=7)
"""How long before the incident a solver write is still a candidate (certificates renew within 30 days; a new name
fails at once)."""
HISTORY_WINDOW = "168h"
"""LOOKBACK as the change tool's window."""
_FAILING = frozenset({"pending", "invalid", "errored"})


@dataclass
class SolverBreak:
    """An issuer whose solver was written before Challenges of it began failing."""

    issuer: Ref
    written: str
    solver: str
    """The solver in words: `HTTP-01 via ingressClassName nginx-internal`, `DNS-01 via route53 (zone ...)`."""
    challenge: str
    dns_name: str
    state: str
    reason: str
    served_by: str
    """The ingress class the name's own Ingress is served by, when it differs from an HTTP-01 solver's."""
    certificate: str
    evidence: list[str] = field(default_factory=list)


def solver_text(solver: dict[str, Any]) -> str:
    """A solver in words, the fields that decide where the proof is published."""
    http = solver.get("http01") or {}
    if http:
        ing = http.get("ingress") or {}
        if ing.get("ingressClassName") or ing.get("class"):
            key = "ingressClassName" if ing.get("ingressClassName") else "class"
            return f"HTTP-01 solver via {key} {ing.get(key)}"
        if ing.get("name"):
            return f"HTTP-01 solver via the existing Ingress {ing.get('name')}"
        gw = http.get("gatewayHTTPRoute") or {}
        if gw:
            parents = ", ".join(str(p.get("name")) for p in gw.get("parentRefs") or [] if isinstance(p, dict))
            return f"HTTP-01 solver via Gateway HTTPRoute (parentRefs {parents or 'none'})"
        return "HTTP-01 solver"
    dns = solver.get("dns01") or {}
    if dns:
        provider = next((k for k in dns if k not in ("cnameStrategy",)), "")
        conf = dns.get(provider) or {}
        bits = [f"{k} {v}" for k, v in conf.items() if isinstance(v, (str, int)) and k not in ("email",)]
        refs = [f"{k} {v.get('name')}" for k, v in conf.items() if isinstance(v, dict) and v.get("name")]
        return f"DNS-01 solver via {provider or 'a provider'}" + (f" ({', '.join([*bits, *refs][:4])})"
                                                                   if bits or refs else "")
    return "solver"


def _class_of(ingress: dict[str, Any]) -> str:
    spec, meta = ingress.get("spec") or {}, ingress.get("metadata") or {}
    return str(spec.get("ingressClassName") or (meta.get("annotations") or {}).get("kubernetes.io/ingress.class")
               or "")


def _hosts(ingress: dict[str, Any]) -> set[str]:
    return {str(r.get("host")) for r in (ingress.get("spec") or {}).get("rules") or [] if isinstance(r, dict)}


def _solvers(issuer: dict[str, Any]) -> list[dict[str, Any]]:
    spec = issuer.get("spec") or {}
    return [s for s in (spec.get("acme") or {}).get("solvers") or [] if isinstance(s, dict)]


def written_at(issuer: Ref, changes: list[dict[str, Any]], at: datetime) -> str:
    """The newest timeline write of the issuer within LOOKBACK before the incident ("" when none)."""
    best = ""
    for change in changes:
        when = parse_time(change.get("at"))
        target = Ref.of(change.get("object"))
        if when is None or target is None or not target.same_object(issuer) or not at - LOOKBACK <= when <= at:
            continue
        if change.get("type") in ("status", "condition") or "condition" in str(change.get("diff") or ""):
            continue
        best = max(best, str(change.get("at")))
    return best


def judge(certificate: dict[str, Any], issuer: dict[str, Any], issuer_ref: Ref, challenges: list[dict[str, Any]],
          ingresses: list[dict[str, Any]], changes: list[dict[str, Any]], at: datetime) -> SolverBreak | None:
    """The break when a failing Challenge of this issuer used the solver the issuer was written to before it."""
    written = written_at(issuer_ref, changes, at)
    if not written:
        return None
    names = {str(n) for n in (certificate.get("spec") or {}).get("dnsNames") or []}
    current = _solvers(issuer)
    for ch in challenges:
        spec, status = ch.get("spec") or {}, ch.get("status") or {}
        state = str(status.get("state") or "")
        if state not in _FAILING or (names and str(spec.get("dnsName")) not in names):
            continue
        if str((spec.get("issuerRef") or {}).get("name")) != issuer_ref.name:
            continue
        solver = spec.get("solver") or {}
        if current and solver not in current:
            continue  # made before the write, with the old solver: the write is not what this one tried
        created = parse_time((ch.get("metadata") or {}).get("creationTimestamp"))
        if created is not None and (parse_time(written) or created) > created:
            continue
        dns_name = str(spec.get("dnsName") or "")
        klass = str(((solver.get("http01") or {}).get("ingress") or {}).get("ingressClassName")
                    or ((solver.get("http01") or {}).get("ingress") or {}).get("class") or "")
        served = next((_class_of(i) for i in ingresses if dns_name in _hosts(i) and _class_of(i)), "")
        return SolverBreak(issuer_ref, written, solver_text(solver), str((ch.get("metadata") or {}).get("name")),
                           dns_name, state, str(status.get("reason") or ""),
                           served if klass and served and served != klass else "",
                           f"{(certificate.get('metadata') or {}).get('namespace')}/"
                           f"{(certificate.get('metadata') or {}).get('name')}")
    return None


async def read(facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only, for Certificates the scan finds not Ready: each, its issuer, its namespace's Challenges and
    Ingresses."""
    certs = list(dict.fromkeys((str(o.get("namespace") or ""), str(o.get("name")))
                               for f in facts.findings() for o in [f.get("object") or {}]
                               if o.get("kind") == "Certificate" and o.get("name")))[:MAX_CERTIFICATES]
    found: list[SolverBreak] = facts.reads.setdefault(STORE, [])
    if certs and not facts.history_reaches(LOOKBACK):  # a solver written days ago fails only the newest names
        history = await call("k8s_changes", {"at": facts.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "window": HISTORY_WINDOW},
                             "survey-issuer-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    changes = [c for c, _ in facts.every_change()]
    for ns, name in certs:
        got = await get_yaml(call, "Certificate", name, ns, f"survey-issuer-cert-{ns}-{name}")
        if got is None:
            continue
        cert, cert_id = got
        ref = (cert.get("spec") or {}).get("issuerRef") or {}
        kind = str(ref.get("kind") or "Issuer")
        issuer_ref = Ref(kind, "" if kind == "ClusterIssuer" else ns, str(ref.get("name") or ""))
        if not issuer_ref.name or not written_at(issuer_ref, changes, facts.at):
            continue  # an issuer nobody wrote lately: whatever fails, it is not this class
        issuer = await get_yaml(call, kind, issuer_ref.name, issuer_ref.namespace, f"survey-issuer-{issuer_ref.name}")
        listed = await call("k8s_list", {"kind": "Challenge", "namespace": ns}, f"survey-issuer-challenges-{ns}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and \
            isinstance(listed.data, dict) else []
        challenges = []
        for row in rows[:MAX_CHALLENGES]:
            ch = await get_yaml(call, "Challenge", str(row.get("name")), ns,
                                f"survey-issuer-challenge-{row.get('name')}")
            if ch is not None:
                challenges.append(ch[0])
        ing_list = await call("k8s_list", {"kind": "Ingress", "namespace": ns}, f"survey-issuer-ingresses-{ns}")
        ing_rows = (ing_list.data or {}).get("rows") or [] if ing_list is not None and ing_list.ok and \
            isinstance(ing_list.data, dict) else []
        ingresses = []
        for row in ing_rows[:MAX_INGRESSES]:
            ing = await get_yaml(call, "Ingress", str(row.get("name")), ns, f"survey-issuer-ingress-{row.get('name')}")
            if ing is not None:
                ingresses.append(ing[0])
        brk = judge(cert, issuer[0] if issuer else {}, issuer_ref, challenges, ingresses, changes, facts.at)
        if brk is not None:
            brk.evidence = [e for e in (cert_id, issuer[1] if issuer else "", listed.evidence_id if listed else "",
                                        facts.changes_id or "") if e]
            found.append(brk)


def breaks(facts: Facts) -> list[SolverBreak]:
    """What `read` found."""
    return [b for b in facts.reads.get(STORE) or [] if isinstance(b, SolverBreak)]


def finding(b: SolverBreak, at: datetime) -> dict[str, Any]:
    """The scan-shaped finding for the issuer: its solver as written, what that does to the Challenge, why."""
    when = parse_time(b.written)
    ago = f", {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    where = (f": the solver Ingress is served by that class's controller while {b.dns_name} is served publicly by "
             f"ingress class {b.served_by}, so the ACME server's validation request never reaches the solver"
             if b.served_by else "")
    return {
        "check": CHECK, "severity": "critical", "reason": "IssuerSolverChanged",
        "object": {"kind": b.issuer.kind, "namespace": b.issuer.namespace, "name": b.issuer.name},
        "message": (f"{b.issuer.kind} {b.issuer.name}'s solver was changed ({b.written}{ago}) to the {b.solver}"
                    f"{where}; Challenge {b.challenge} for {b.dns_name} is {b.state} ({b.reason or 'no reason'}) "
                    f"and Certificate {b.certificate} never issues. Restore the solver of {b.issuer.kind} "
                    f"{b.issuer.name}"),
        "evidence": [f"{b.issuer} written {b.written}: {b.solver}",
                     f"Challenge {b.challenge} ({b.dns_name}): {b.state}: {b.reason}"],
        "details": {"solver": b.solver, "challenge": b.challenge, "reason": b.reason, "served_by": b.served_by},
        "since": b.written,
    }
