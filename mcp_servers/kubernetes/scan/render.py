"""The scan as compact text, rendered from the `ScanResult` itself and fitted to a token budget.

Every finding first gets its one line (severity, check id, message, since); only then is detail
(evidence, affected pods) added, most severe finding first, while the budget lasts. So a tight
budget loses detail before it loses a problem; only when even the one-liners do not fit are the
least severe findings left out, counted in `truncated`, with the call that shows them.
"""

from __future__ import annotations

from collections import Counter

from mcp_servers.common.compact import estimate_tokens
from mcp_servers.kubernetes.scan.model import ScanFinding, ScanResult

SEVERITY_TAG = {"critical": "CRIT", "warning": "WARN", "info": "INFO"}
HEADER_RESERVE_TOKENS = 60


def _line(f: ScanFinding) -> str:
    when = f" [since {f.since}]" if f.since else ""
    return f"{SEVERITY_TAG[f.severity]} {f.check} {f.message}{when}"


def _detail(f: ScanFinding) -> list[str]:
    lines = [f"  - {e}" for e in f.evidence[:2]]
    if f.count > 1 and f.pods:
        more = f" +{f.count - len(f.pods)} more" if f.count > len(f.pods) else ""
        lines.append(f"  - pods: {', '.join(f.pods)}{more}")
    return lines


def header(result: ScanResult) -> str:
    counts = Counter(f.severity for f in result.findings)
    objects = sum(result.scanned.values())
    parts = [f"scan: {len(result.findings)} findings ({counts['critical']} critical, {counts['warning']} warning, "
             f"{counts['info']} info) over {objects} objects of {len(result.scanned)} kinds"]
    if result.hidden_namespaces:
        parts.append(f"hidden by policy: {', '.join(result.hidden_namespaces)}")
    if result.errors:
        by_cause: dict[str, list[str]] = {}
        for error in result.errors:
            kind, _, cause = error.partition(": ")
            by_cause.setdefault(cause, []).append(kind)
        parts.append("could not list: " + "; ".join(f"{', '.join(kinds)} ({cause})"
                                                     for cause, kinds in by_cause.items()))
    if result.not_served:
        parts.append(f"not served: {', '.join(result.not_served)}")
    return "\n".join(parts)


def render(result: ScanResult, budget_tokens: int, more_hint: str = "") -> tuple[str, int]:
    """The text and how many findings it leaves out (0 unless even one line each does not fit)."""
    head = header(result)
    if not result.findings:
        return head + "\nno problems found by the checks that ran", 0
    used = estimate_tokens(head) + HEADER_RESERVE_TOKENS + estimate_tokens(more_hint)
    lines = [_line(f) for f in result.findings]
    shown = 0
    for line in lines:
        cost = estimate_tokens(line) + 1
        if used + cost > budget_tokens and shown > 0:
            break
        used += cost
        shown += 1
    details: list[list[str]] = [[] for _ in range(shown)]
    for i in range(shown):
        extra = _detail(result.findings[i])
        cost = sum(estimate_tokens(x) + 1 for x in extra)
        if used + cost > budget_tokens:
            continue
        details[i] = extra
        used += cost
    body = [head]
    for i in range(shown):
        body.append(lines[i])
        body.extend(details[i])
    left_out = len(result.findings) - shown
    if left_out:
        rest = Counter(f.severity for f in result.findings[shown:])
        body.append(f"[{left_out} more findings left out ({', '.join(f'{n} {s}' for s, n in rest.items())})"
                    + (f"; {more_hint}" if more_hint else "") + "]")
    return "\n".join(body), left_out
