"""An ACME client's own challenge settings rewritten: the CA can no longer validate the names, certificates stop.

issuer_solver reads cert-manager's objects (Issuer, Challenge). Other ACME clients keep their solver in their own
configuration and say what failed only in their log: Traefik's certificate resolvers
(`--certificatesresolvers.<name>.acme.httpchallenge.entrypoint`, `.dnschallenge.provider`, `.tlschallenge`, in args
or a static-config ConfigMap), Caddy (a Caddyfile's `tls { dns ... }`, `acme_ca`), certbot and acme.sh in a
CronJob. Rewriting where the challenge is answered (an entry point the CA cannot reach, another DNS provider or
zone, a staging CA) breaks nothing at once; at the next issuance or renewal the CA refuses the proof and the
client logs it in the ACME protocol's own terms, which every client passes on verbatim: an
`urn:ietf:params:acme:error:<type>` problem (`unauthorized` / `incorrectResponse`: the token was not served where
the CA fetched it; `dns`, `connection`: the CA could not look the name up or connect), with lego's (Traefik's)
`Unable to obtain ACME certificate for domains`, certmagic's (Caddy's) `challenge failed` / `could not get
certificate from issuer`, certbot's `Challenge failed for domain`.

`found` is pure over the facts: a log (the survey's, or one read from a workload a recent change touched) with
such a refusal, and a write to the same workload (or a ConfigMap the timeline says it reads) made within
`LOOKBACK` before the refusals began whose diff touches ACME challenge settings. Twins: refusals with no such
write (the name's DNS points elsewhere: another class), refusals that began before the write, a write to the
client that touches other settings (log level, resources).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time, said_by
from agent.triage.limit_hit import all_logs
from agent.triage.subject import workload_of_pod

CHECK = "certificate.acme_client_solver"
WEIGHT = 0.95
"""A solver rewrite the CA's refusal follows: above the TLS errors of clients meeting the stale certificate, below
issuer_solver (0.97), which reads the Challenge objects themselves."""
LOOKBACK = timedelta(days=7)
"""Certificates renew days before expiry; a new name fails at once."""
SLACK = timedelta(minutes=2)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")

REFUSED = re.compile(
    r"urn:ietf:params:acme:error:(?P<type>\w+)|Unable to obtain ACME certificate for domains|"
    r"acme: error presenting token|could not get certificate from issuer|\"msg\":\s*\"challenge failed\"|"
    r"Challenge failed for domain|Certbot failed to authenticate|Invalid response from https?://\S+/\.well-known/"
    r"acme-challenge", re.I)
"""An ACME client's words for a challenge the CA refused: the protocol's problem type (RFC 8555 section 6.7), and
lego (Traefik), certmagic (Caddy) and certbot's own lines around it."""
MEANING = {
    "unauthorized": "the CA fetched the challenge and did not find the token where it looked",
    "incorrectresponse": "the CA fetched the challenge and got another answer than the token",
    "dns": "the CA could not find the challenge record (or the name) in DNS",
    "connection": "the CA could not connect to the name to fetch the challenge",
    "caa": "the name's CAA record forbids this CA",
    "tls": "the CA's TLS-ALPN challenge handshake failed",
}
SOLVER = re.compile(r"acme|challenge|certresolver|certificatesresolvers|dns[-_]?provider|acme_ca|"
                    r"\btls\s*\{|\bdns\s+\w+\s|caserver|\bca_?server\b|--preferred-challenges|--(?:webroot|"
                    r"standalone|dns-\w+)\b", re.I)
"""A setting that decides where (or with which CA) the challenge is answered: Traefik's resolver flags and static
config, Caddy's tls/acme directives, certbot's and acme.sh's challenge options."""
_NAME = r"([a-z0-9*][a-z0-9.-]*\.[a-z]{2,})"
_DOMAIN = re.compile(rf"domains? \[?\"?{_NAME}|\[{_NAME}\]|\"identifier\":\s*\"{_NAME}\"|for domain {_NAME}", re.I)


@dataclass
class SolverWrite:
    """A write to an ACME client's challenge settings, and the CA's refusal its log shows since."""

    target: Ref
    client: Ref
    written: datetime
    diff: str
    said: str
    problem: str
    domain: str
    evidence: list[str] = field(default_factory=list)


def refusal(text: str) -> tuple[str, str] | None:
    """(the ACME problem type or '', the domain named or '') when a line says the CA refused a challenge."""
    m = REFUSED.search(text)
    if m is None:
        return None
    problem = next((p.group("type") for p in REFUSED.finditer(text) if p.group("type")), "")
    d = _DOMAIN.search(text)
    return problem, next((g for g in d.groups() if g), "") if d else ""


def _refusals(log: LogEvidence) -> tuple[str, datetime | None]:
    """The log's first refusal as printed and when it was first seen (None when the log does not say)."""
    for e in log.entries():
        text = error_words(e)
        if refusal(text):
            return said_by(e) or text, parse_time(e.get("first_seen"))
    line = next((ln for ln in log.last_lines if refusal(ln)), "")
    return line, None


def _touches(change: dict[str, Any], client: Ref, target: Ref) -> bool:
    """Whether the change is to the client itself or to a config the timeline says it reads."""
    if target.same_object(client) or (target.namespace == client.namespace and target.name == client.name):
        return True
    return target.kind == "ConfigMap" and any(
        (r := Ref.of(x)) is not None and r.name == client.name and r.namespace in ("", client.namespace)
        for x in change.get("related") or [])


def found(facts: Facts) -> list[SolverWrite]:
    """Each ACME client refusing challenges since a write to its challenge settings, newest write first."""
    out: list[SolverWrite] = []
    for log in all_logs(facts):
        said, first = _refusals(log)
        if not said:
            continue
        client = Ref("", log.namespace, workload_of_pod(log.pod))
        if any(s.client.namespace == client.namespace and s.client.name == client.name for s in out):
            continue
        best: tuple[datetime, dict[str, Any], str, Ref] | None = None
        for change, evidence, target in facts.writes_to((*WORKLOADS, "ConfigMap"), within=LOOKBACK):
            at = parse_time(change.get("at"))
            if at is None or not _touches(change, client, target):
                continue
            diff = "; ".join(str(d) for d in change.get("diff") or [])
            if not SOLVER.search(diff):
                continue  # a write to the client that does not touch where the challenge is answered
            if first is not None and first < at - SLACK:
                continue  # refused before the write: the write did not start it
            if best is None or at > best[0]:
                best = (at, change, evidence, target)
        if best is None:
            continue
        at, change, evidence, target = best
        problem, domain = refusal(said) or ("", "")
        client = Ref(target.kind if target.kind in WORKLOADS else "", client.namespace, client.name)
        out.append(SolverWrite(target, client, at, "; ".join(str(d) for d in change.get("diff") or [])[:220],
                               " ".join(said.split())[:240], problem, domain,
                               [e for e in (evidence, log.evidence_id) if e]))
    return out


def finding(s: SolverWrite, at: datetime) -> dict[str, Any]:
    """The write, what the CA's refusal means, the client's own words; the meaning first."""
    ago = minutes_text(int((at - s.written).total_seconds() // 60))
    meaning = MEANING.get(s.problem.lower(), "the CA refused the challenge answer")
    names = f" for {s.domain}" if s.domain else ""
    problem = f" (ACME {s.problem})" if s.problem else ""
    message = (f"{s.target} changed its ACME client's challenge settings ({s.diff}) {ago} before the incident: "
               f"the CA can no longer validate the names{names}{problem}: {meaning}, so certificates for new or "
               f"renewing names are not issued. {s.client.namespace}/{s.client.name} logs '{s.said[:200]}'. "
               f"Restore the previous challenge settings (entry point, DNS provider and zone, CA)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "ACMEChallengeRefused", "message": message, "evidence": [s.said[:200]],
            "details": {"problem": s.problem, "domain": s.domain, "client": f"{s.client.namespace}/{s.client.name}",
                        "written": s.written.isoformat().replace("+00:00", "Z")}}
