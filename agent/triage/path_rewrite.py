"""A proxy's path rewrite changed, and the backend now receives paths it has no route for.

Gateways rewrite the request path between the client and the backend: Traefik Middlewares (`stripPrefix`,
`stripPrefixRegex`, `replacePath`, `replacePathRegex`, `addPrefix`), ingress-nginx's `rewrite-target`
annotation, Istio VirtualService `rewrite.uri` / `uriRegexRewrite`, Gateway API `URLRewrite` filters
(`replacePrefixMatch`, `replaceFullPath`), Envoy `prefix_rewrite` / `regex_rewrite`. A rule that strips one
segment too many (a regex that also eats the API version) or one too few leaves the backend healthy, answering
404 for every path, and nothing in the backend changed: its pods look fine.

The proof is in the backend's own access log, whatever the proxy: after the write it logs 404 for paths that are
exactly a path it answered 2xx before the write, with leading segments removed (or added). This module reads that
log (the pod of the workload whose 404s the survey saw) and names the rewrite written before the first such 404,
with the segment that went missing. Reading only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time

CHECK = "change.path_rewrite"
WEIGHT = 0.93
LEAD = timedelta(hours=6)
READS = "path_rewrite"
TAIL = 3000
BUDGET = 20000
"""The tool's largest answer: the newest lines are kept, and the lines from before the write are the proof."""
MIN_PATHS = 2
"""Distinct 404 paths that each match an earlier served path: one could be a client's typo."""

REWRITE = re.compile(r"stripPrefix|replacePath|addPrefix|rewrite-target|rewrite\.uri|uriRegexRewrite|\brewrite\b|"
                     r"URLRewrite|replacePrefixMatch|replaceFullPath|prefix_rewrite|regex_rewrite|prefixRewrite|"
                     r"x-forwarded-prefix|app-root", re.I)
"""Fields and annotations that rewrite the request path on its way to the backend."""

CLF = re.compile(r"\[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]\s+\"(?:GET|POST|PUT|PATCH|DELETE|HEAD|"
                 r"OPTIONS) (?P<path>\S+) HTTP/[\d.]+\" (?P<status>\d{3})")
ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?)")
PATH_KEYS = ("path", "url", "uri", "request_path", "RequestPath", "req.url")
STATUS_KEYS = ("status", "statusCode", "status_code", "code", "res.statusCode")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Rewritten:
    """A rewrite rule written before the backend began answering 404 for paths it served with a segment more."""

    rule: Ref
    change: dict[str, Any]
    backend: str
    examples: list[tuple[str, str]]
    """(path served before, path that now answers 404)."""
    segment: str
    """The leading segment(s) the backend no longer receives (or now receives in addition, said with a +)."""
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _dig(obj: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None  # type: ignore[assignment]
    return obj


def access(line: str) -> tuple[datetime | None, str, int] | None:
    """One access-log line as (time, path without query, status): common/combined log format or JSON."""
    m = CLF.search(line)
    if m:
        stamp = datetime.strptime(m.group("time"), "%d/%b/%Y:%H:%M:%S %z")
        return stamp, m.group("path").split("?")[0], int(m.group("status"))
    start = line.find("{")
    if start < 0:
        return None
    try:
        obj = json.loads(line[start:])
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    path = next((_dig(obj, k) for k in PATH_KEYS if isinstance(_dig(obj, k), str)), None)
    status = next((_dig(obj, k) for k in STATUS_KEYS if str(_dig(obj, k) or "").isdigit()), None)
    if not path or status is None:
        return None
    iso = ISO.match(line)
    when = parse_time(iso.group(1)) if iso else parse_time(obj.get("time") or obj.get("ts") or obj.get("timestamp"))
    return when, str(path).split("?")[0], int(status)


def lost(before: str, after: str) -> str:
    """The leading segments `before` has and `after` lacks ("/v1" for /v1/orders -> /orders), "+/x" when the
    backend now gets a segment more, "" when the two paths are not one rewrite apart."""
    if before == after:
        return ""
    if before.endswith(after) and after.startswith("/") and len(after) > 1:
        return before[: len(before) - len(after)]
    if after.endswith(before) and before.startswith("/") and len(before) > 1:
        return "+" + after[: len(after) - len(before)]
    return ""


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes of a path rewrite rule, of any kind (custom resources, Ingress annotations)."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        text = " ".join(str(d) for d in change.get("diff") or []) + " " + str(change.get("summary") or "")
        if REWRITE.search(text):
            out.append((change, target))
    return out


def _not_found(log: LogEvidence) -> bool:
    lines = [str(e.get("example") or e.get("message") or "") for e in [log.top or {}, *log.more]] + log.last_lines
    return any((a := access(ln)) is not None and a[2] == 404 for ln in lines)


def found(facts: Facts) -> list[Rewritten]:
    """Rewrites written before a backend's first 404 for paths it served 2xx before, a segment apart."""
    out: list[Rewritten] = []
    store = facts.reads.get(READS) or {}
    for change, rule in candidates(facts):
        at = parse_time(change.get("at"))
        for pod, got in store.items():
            rows = [a for a in (access(ln) for ln in got.get("lines") or []) if a is not None and a[0] is not None]
            served = {p for t, p, s in rows if t is not None and at is not None and t < at and 200 <= s < 400}
            missing = sorted({p for t, p, s in rows if t is not None and at is not None and t >= at and s == 404})
            failed_before = any(s == 404 and t is not None and at is not None and t < at for t, _, s in rows)
            pairs = [(b, m, lost(b, m)) for m in missing for b in served if lost(b, m)]
            paths = {m for _, m, _ in pairs}
            if len(paths) < MIN_PATHS or failed_before:
                continue
            segments = sorted({s for _, _, s in pairs}, key=lambda s: -sum(1 for x in pairs if x[2] == s))
            examples = list(dict.fromkeys((b, m) for b, m, s in pairs if s == segments[0]))[:2]
            out.append(Rewritten(rule, change, pod, examples, segments[0],
                                 int((facts.at - at).total_seconds() // 60) if at else 0,
                                 [e for e in (facts.changes_id or "", got.get("evidence") or "") if e]))
            break
    return out


def finding(r: Rewritten) -> dict[str, Any]:
    """The rule, what it was set to, and the paths the backend now gets (with the segment that went missing)."""
    diff = "; ".join(str(d) for d in (r.change.get("diff") or [])[:2])[:200]
    how = (f"now also strips {r.segment} from the path" if not r.segment.startswith("+")
           else f"now adds {r.segment[1:]} to the path")
    seen = ", ".join(f"{m} instead of {b}" for b, m in r.examples)
    message = (f"{r.rule} changed the path rewrite {r.minutes_before} min before the incident ({diff}): it {how}, so "
               f"the backend ({r.backend}) receives {seen} and answers 404 (path not found) for them; it served the "
               f"full path until the write. Restore the rule (strip only the routing prefix) or route the rewritten "
               f"paths")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "PathRewrite",
            "message": message, "evidence": [seen[:200], diff],
            "details": {"segment": r.segment, "examples": r.examples, "backend": r.backend,
                        "change_at": r.change.get("at")}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, when a rewrite rule was written: the access log of each pod whose 404s the survey saw (up to
    two), long enough to hold lines from before the write."""
    if not candidates(facts):
        return
    store = facts.reads.setdefault(READS, {})
    for log in [log for log in facts.logs if _not_found(log)][:2]:
        outcome = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": TAIL,
                                         "budget_tokens": BUDGET},
                             f"survey-path-rewrite-{log.pod}")
        if outcome is None or not outcome.ok:
            continue
        text = str(getattr(outcome, "full_text", "") or "")
        store[f"{log.namespace}/{log.pod}"] = {"lines": text.splitlines(), "evidence": outcome.evidence_id}
