"""What the workload serving an aggregated API did and says: its own recent change, its own errors, its readiness.

agent.triage.api_server_of follows a client's failure on an aggregated API (an HPA's FailedGetResourceMetric,
FailedGetPodsMetric, FailedGetExternalMetric) to the APIService of that group and the workload serving it
(metrics-server, prometheus-adapter, KEDA's metrics API server, the Datadog cluster agent). The client is only
where it shows; the server's own state says why: a write to the server itself (a rollout that dropped a flag such
as metrics-server's `--kubelet-insecure-tls`, a new image, a changed env) made shortly before the client's
failure began, its own log lines in the words of what it cannot do (x509 verifying the kubelets' serving
certificates, 401 Unauthorized / 403 Forbidden from the Prometheus or vendor API it queries, connection refused),
its pods not Ready and the APIService's `Available=False` (MissingEndpoints, FailedDiscoveryCheck).

This module reads that state, purely over the facts (the timeline and longer histories, the pods' log errors, the
scan's findings on the workload) and what `api_server_of.read` kept (the APIService's condition). A write to the
server after the client's failure began (an attempted fix) or weeks before it is not named; a rescale is no
change of the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.governing_change import settings_of
from agent.triage.subject import workload_of_pod

READS = "api_server_of"
"""Where agent.triage.api_server_of keeps the server's log facts it read itself."""
LEAD = timedelta(days=3)
"""How long before the client's failure a write to the server still counts as its recent change."""
SLACK = timedelta(minutes=5)
"""Clocks and condition stamps differ a little: a write this far after the failure's stamp still precedes it."""
TELLING = re.compile(
    r"x509:?[^\"\\]*|tls: [^\"\\]*|certificate (?:has expired|is not valid|signed by unknown)[^\"\\]*|"
    r"\b(?:401|403)\b[^\"\\]*|unauthori[sz]ed[^\"\\]*|forbidden[^\"\\]*|permission denied[^\"\\]*|"
    r"connection refused[^\"\\]*|no such host[^\"\\]*|i/o timeout[^\"\\]*|context deadline exceeded[^\"\\]*", re.I)
"""The part of a server's error line that says what it cannot do: verify a peer (x509/TLS), be let in (401/403),
reach its source (refused, unresolved, timed out)."""
NOT_READY_CHECKS: dict[str, str] = {
    "pod.not_ready": "its pods are not Ready", "workload.unavailable": "its pods are not Ready",
    "service.no_endpoints": "its Service has no ready endpoints", "pod.crashloop": "its pods crash-loop",
    "pod.crash_loop": "its pods crash-loop", "workload.rollout_stuck": "its rollout is stuck"}
"""Scan checks that say the server's pods do not serve (its readiness, its endpoints, a stuck rollout), as the
finding says them."""


@dataclass
class ServerState:
    """The serving workload's own change before the client's failure, its own error, its readiness."""

    change: dict[str, Any] | None = None
    what: str = ""
    """The change in short (`revision 6: removed --kubelet-insecure-tls`)."""
    minutes_before: int = 0
    own: str = ""
    """The telling part of its own error line."""
    unready: str = ""
    evidence: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.change or self.own or self.unready)


def _is_workload(ref: Ref | None, workload: Ref) -> bool:
    return ref is not None and ref.name == workload.name and ref.namespace in ("", workload.namespace) \
        and ref.kind.lower() in ("", workload.kind.lower())


def described(change: dict[str, Any]) -> str:
    """A write to the server in short: its revision and each setting it added, removed or changed."""
    parts: list[str] = []
    for s in settings_of(change):
        if s.new is None and s.old is not None:
            parts.append(f"removed {s.key}{'=' + s.old if s.old else ''}")
        elif s.old is None and s.new is not None and s.key.startswith("-"):
            parts.append(f"added {s.key}{'=' + s.new if s.new else ''}")
        else:
            parts.append(s.text())
    diff = [str(d) for d in change.get("diff") or []]
    text = "; ".join(parts[:3]) or (diff[0][:160] if diff else str(change.get("summary") or "")[:160])
    revision = change.get("revision")
    return f"revision {revision}: {text}" if revision else text


def recent_change(facts: Facts, workload: Ref, onset: datetime | None) -> tuple[dict[str, Any], str] | None:
    """(the newest write to the workload itself within LEAD before the client's failure began, its evidence id):
    rescales left out, writes after the onset (attempted fixes) too."""
    until = (onset or facts.at) + SLACK
    best: tuple[dict[str, Any], str] | None = None
    for change, evidence in facts.every_change():
        at = parse_time(change.get("at"))
        if at is None or not _is_workload(Ref.of(change.get("object")), workload) or change.get("type") == "deleted":
            continue
        if change.get("type") == "scale" or "rescaled" in str(change.get("summary") or ""):
            continue
        if until - LEAD - SLACK <= at <= until and (best is None or str(change.get("at")) > str(best[0].get("at"))):
            best = (change, evidence)
    return best


def _own_logs(facts: Facts, workload: Ref) -> list[LogEvidence]:
    """The workload's pods' log facts: the survey's, then those api_server_of read for it."""
    kept = [lg for lg in (facts.reads.get(READS) or {}).get("logs") or [] if isinstance(lg, LogEvidence)]
    return [lg for lg in [*facts.logs, *kept] if lg.pod and lg.namespace == workload.namespace
            and workload_of_pod(lg.pod) == workload.name]


def own_error(facts: Facts, workload: Ref) -> tuple[str, str]:
    """(the telling part of the server's own error line, its evidence id): a line saying what it cannot do first,
    else its top error ("" when its logs were not read or hold none)."""
    fallback = ("", "")
    for log in _own_logs(facts, workload):
        for entry in [log.top or {}, *log.more]:
            text = " ".join(said_by(entry).split())
            if not text:
                continue
            m = TELLING.search(text)
            if m:  # from the start of its quoted clause (`prometheus query ... status: 401`), when near
                start = text.rfind('"', 0, m.start()) + 1
                start = start if m.start() - start <= 80 else m.start()
                return text[start:m.end()].strip(" ,;:\"\\")[:150], log.evidence_id
            fallback = fallback if fallback[0] else (text[-150:], log.evidence_id)
    return fallback


def not_ready(facts: Facts, workload: Ref) -> str:
    """The scan's word that the server's pods do not serve (not Ready, no endpoints), "" when none."""
    for f in facts.findings():
        said = NOT_READY_CHECKS.get(str(f.get("check") or ""))
        if said is None:
            continue
        refs = [Ref.of(f.get("object")), Ref.of(f.get("owner"))]
        message = str(f.get("message") or "")
        if any(_is_workload(r, workload) for r in refs) or f"({workload.kind} {workload.namespace}/" \
                f"{workload.name})" in message:
            return said
    return ""


def state_of(facts: Facts, workload: Ref, onset: datetime | None) -> ServerState:
    """The serving workload's state as the facts show it."""
    state = ServerState()
    found = recent_change(facts, workload, onset)
    if found is not None:
        state.change, evidence = found
        state.what = described(state.change)
        at = parse_time(state.change.get("at"))
        state.minutes_before = int((facts.at - at).total_seconds() // 60) if at else 0
        state.evidence.append(evidence)
    state.own, evidence = own_error(facts, workload)
    if state.own:
        state.evidence.append(evidence)
    state.unready = not_ready(facts, workload)
    if state.unready and facts.scan_id:
        state.evidence.append(facts.scan_id)
    state.evidence = [e for e in dict.fromkeys(state.evidence) if e]
    return state


def sentence(state: ServerState) -> str:
    """The state as the finding says it, the change first (what the server's owner did), then what it says."""
    out = []
    if state.change is not None:
        out.append(f"changed {minutes_text(state.minutes_before)} before the incident ({state.what[:160]})")
    if state.own:
        out.append(f"{'since then it fails' if state.change is not None else 'fails'} in its own words: "
                   f"'{state.own}'")
    if state.unready:
        out.append(state.unready)
    return "; ".join(out)
