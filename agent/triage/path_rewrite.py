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

A second shape: the rewrite collapses every path to one constant. ingress-nginx's `rewrite-target: /$2` on a path
with no second regex capture group (a plain Prefix `/quotes`) substitutes an empty `$2`, so every request reaches
the backend as `/`; Traefik `replacePath`/`replacePathRegex` with a missing group does the same. The backend's log
then shows one path (not served before) taking nearly every request, 404, where it served several paths until the
write. When the rule is an Ingress, its paths are read to say why: the capture groups the template refers to and
the ones its path regex has. Backend logs in common log format, JSON or logfmt (`path=/ status=404`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import object_of

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
LOGFMT_PATH = re.compile(r'(?:^|\s)(?:path|uri|url|request_path|request_uri)=(?:"(?P<q>[^"]*)"|(?P<bare>[^\s"]+))')
LOGFMT_STATUS = re.compile(r'(?:^|\s)(?:status|status_code|code|http_status)="?(?P<status>\d{3})\b')
LOGFMT_TIME = re.compile(r'(?:^|\s)(?:time|ts|timestamp)="?(\d{4}-\d\d-\d\dT[^\s"]+)')
COLLAPSED = "*"
"""The segment said when every path reaches the backend as one constant path."""
COLLAPSE_SHARE = 0.8
"""The share of the backend's requests after the write that the one 404 path must take (the rest: probes)."""
GROUP_REF = re.compile(r"\$(\d)|\$\{(\d)\}")

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
    gap: str = ""
    """Why the template yields a constant (capture_gap), when the rule is an Ingress that was read."""


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
        return _logfmt(line)
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


def _logfmt(line: str) -> tuple[datetime | None, str, int] | None:
    """A logfmt request line (`method=GET path=/v2/rates status=200`) as (time, path, status)."""
    path, status = LOGFMT_PATH.search(line), LOGFMT_STATUS.search(line)
    if path is None or status is None:
        return None
    iso = ISO.match(line) or LOGFMT_TIME.search(line)
    text = path.group("q") if path.group("q") is not None else path.group("bare")
    return (parse_time(iso.group(1)) if iso else None), text.split("?")[0], int(status.group("status"))


def collapsed(rows: list[tuple[datetime | None, str, int]], at: datetime) -> tuple[str, list[str]] | None:
    """(the one path, the paths it replaced) when after `at` nearly every request reaches the backend as one path
    it never served before, 404, while before `at` it served at least MIN_PATHS paths that the one path is a prefix
    of and that no longer arrive at all; None otherwise (a probe's 404 beside traffic still served is not it)."""
    before = [(p, s) for t, p, s in rows if t is not None and t < at]
    after = [(p, s) for t, p, s in rows if t is not None and t >= at]
    served = sorted({p for p, s in before if 200 <= s < 400})
    if not after or len(served) < MIN_PATHS:
        return None
    counts: dict[str, int] = {}
    for p, _ in after:
        counts[p] = counts.get(p, 0) + 1
    path = max(counts, key=lambda p: counts[p])
    if (counts[path] < COLLAPSE_SHARE * len(after) or any(p == path for p, _ in before)
            or any(p == path and s != 404 for p, s in after) or any(p in served for p, _ in after)):
        return None
    replaced = [p for p in served if p.startswith(path.rstrip("/") + "/") or path == "/"]
    return (path, replaced) if len(replaced) >= MIN_PATHS else None


def capture_gap(template: str, patterns: list[str]) -> str:
    """Why a rewrite template yields a constant: the highest capture group it refers to ($2) against the groups the
    rule's path regexes have; "" when every pattern has the groups (or the template refers to none)."""
    refs = [int(a or b) for a, b in GROUP_REF.findall(template)]
    if not refs or not patterns:
        return ""
    short = []
    for pattern in patterns:
        try:
            groups = re.compile(pattern).groups
        except re.error:
            groups = len(re.findall(r"\((?!\?)", pattern))
        if groups < max(refs):
            short.append(f"{pattern} ({groups} capture group{'' if groups == 1 else 's'})")
    if not short:
        return ""
    return (f"the rewrite-target {template} refers to regex capture group ${max(refs)}, but the path regex "
            f"{', '.join(short[:2])} has no such group, so ${max(refs)} is empty")


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
            if failed_before:
                continue
            if len(paths) < MIN_PATHS:
                one = collapsed(rows, at) if at is not None else None
                if one is None:
                    continue
                pairs = [(b, one[0], COLLAPSED) for b in one[1]]
            segments = sorted({s for _, _, s in pairs}, key=lambda s: -sum(1 for x in pairs if x[2] == s))
            examples = list(dict.fromkeys((b, m) for b, m, s in pairs if s == segments[0]))[:2]
            template, patterns = _template(change, rule, facts)
            out.append(Rewritten(rule, change, pod, examples, segments[0],
                                 int((facts.at - at).total_seconds() // 60) if at else 0,
                                 [e for e in (facts.changes_id or "", got.get("evidence") or "") if e],
                                 capture_gap(template, patterns) if segments[0] == COLLAPSED else ""))
            break
    return out


def _template(change: dict[str, Any], rule: Ref, facts: Facts) -> tuple[str, list[str]]:
    """(the rewrite template now set, the rule's path patterns) for an Ingress read by `read`; ("", []) else."""
    obj = (facts.reads.get(READS + ".rules") or {}).get(str(rule))
    if not isinstance(obj, dict):
        return "", []
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    template = next((str(v) for k, v in notes.items() if k.endswith("/rewrite-target")), "")
    paths = [str(p.get("path")) for r in (obj.get("spec") or {}).get("rules") or []
             for p in ((r.get("http") or {}).get("paths") or []) if p.get("path")]
    return template, paths


def finding(r: Rewritten) -> dict[str, Any]:
    """The rule, what it was set to, and the paths the backend now gets (with the segment that went missing)."""
    diff = "; ".join(str(d) for d in (r.change.get("diff") or [])[:2])[:200]
    seen = ", ".join(f"{m} instead of {b}" for b, m in r.examples)
    if r.segment == COLLAPSED:
        target = r.examples[0][1] if r.examples else "/"
        why = f" ({r.gap})" if r.gap else ""
        message = (f"{r.rule} changed the path rewrite {r.minutes_before} min before the incident and now rewrites "
                   f"every request path to {target}{why}: the backend ({r.backend}) receives {seen} and answers 404 "
                   f"(path not found); it served the full paths until the write ({diff}). Fix the rewrite (add the "
                   f"capture groups to the path regex, or drop the rewrite)")
    else:
        how = (f"now also strips {r.segment} from the path" if not r.segment.startswith("+")
               else f"now adds {r.segment[1:]} to the path")
        message = (f"{r.rule} changed the path rewrite {r.minutes_before} min before the incident ({diff}): it {how}, "
                   f"so the backend ({r.backend}) receives {seen} and answers 404 (path not found) for them; it served "
                   f"the full path until the write. Restore the rule (strip only the routing prefix) or route the "
                   f"rewritten paths")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "PathRewrite",
            "message": message, "evidence": [seen[:200], diff],
            "details": {"segment": r.segment, "examples": r.examples, "backend": r.backend,
                        "change_at": r.change.get("at")}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, when a rewrite rule was written: the access log of each pod whose 404s the survey saw (up to
    two), long enough to hold lines from before the write."""
    found_rules = candidates(facts)
    if not found_rules:
        return
    store = facts.reads.setdefault(READS, {})
    rules = facts.reads.setdefault(READS + ".rules", {})
    for _, rule in found_rules[:2]:
        if rule.kind == "Ingress" and str(rule) not in rules:
            got = await call("k8s_get", {"kind": "Ingress", "name": rule.name, "namespace": rule.namespace,
                                         "output": "yaml"}, f"survey-path-rewrite-rule-{rule.name}")
            obj = object_of(got)
            if obj is not None:
                rules[str(rule)] = obj
    for log in [log for log in facts.logs if _not_found(log)][:2]:
        outcome = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": TAIL,
                                         "budget_tokens": BUDGET},
                             f"survey-path-rewrite-{log.pod}")
        if outcome is None or not outcome.ok:
            continue
        text = str(getattr(outcome, "full_text", "") or "")
        store[f"{log.namespace}/{log.pod}"] = {"lines": text.splitlines(), "evidence": outcome.evidence_id}
