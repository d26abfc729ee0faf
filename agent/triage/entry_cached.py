"""An HTML entry page made cacheable for days: after the next release, browsers keep the old page and ask for
asset files that no longer exist.

Single-page and bundled web apps ship a small entry document (`index.html`, the page at `/`) that names the
build's asset files by content hash (`main.8c1f3a2e.chunk.js`, `/assets/index-4f9a2c1b.js`,
`/_next/static/chunks/...`). The hashed files may be cached for a year (their name changes with their content);
the entry document must not be, or a browser that cached it keeps loading the previous build's file names. A
header written on every path of the site (ingress-nginx `configuration-snippet`/`server-snippet` with
`more_set_headers "Cache-Control: ... max-age=31536000"`, `add_header Cache-Control`, `expires 1y`; a proxy's
response-header rule) does exactly that. Nothing fails at the write: the next release replaces the hashed files,
and from then on cached pages request files the new pods answer 404, so pages stay blank or half-rendered while
the servers and the page itself answer 200.

So: a write within LEAD before the incident whose written text sets a Cache-Control max-age (or an nginx
`expires`) of at least a day, not scoped to asset paths or extensions (a `location ~* \\.(js|css)$` block, a
`/static` path), on an Ingress; a rollout of a workload it routes to after that write; and, in that workload's
access log since, requests for hashed asset files answered 404 (at least MIN_MISSES). A header scoped to the
assets, a short max-age, no release after the write, or no asset 404s is not named. `read` (reading only) gets
the Ingress and a log tail of its backend's pods; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.entry_page_cached"
WEIGHT = 0.93
"""A cache header whose release-time effect the backend's own 404s show: above the 404s and the release."""
READS = "entry_cached"
LEAD = timedelta(hours=72)
DAY_S = 86400
MIN_MISSES = 3
MAX_PODS = 2
TAIL = 600
Call = Callable[..., Awaitable[Any]]

_MAX_AGE = re.compile(r"Cache-Control\"?\s*[:=]?\s*\"?[^\"';\n]{0,60}?\bmax-age=(\d+)", re.I)
_EXPIRES = re.compile(r"\bexpires\s+(\d+)([smhdwMy])\b|\bexpires\s+max\b")
_SCOPED = re.compile(r"location\s+[~=^]*\*?\s*\S*(?:\\\.|\.)\(?(?:js|css|png|jpe?g|svg|woff2?|ico|gif|webp|map)\b|"
                     r"location\s+[~=^]*\*?\s*\S*/(?:static|assets|_next/static|build|dist)/", re.I)
"""An nginx location that keeps the header to asset files or asset directories: the right practice."""
_ASSET_404 = re.compile(r"\"(?:GET|HEAD) (?P<path>/\S*?[.-][0-9a-f]{6,}(?:\.chunk)?\.(?:m?js|css)(?:\?\S*)?) "
                        r"HTTP/[\d.]+\" 404\b|(?P<path2>/_next/static/\S+\.(?:js|css)) HTTP/[\d.]+\" 404\b")
"""An access-log request for a content-hashed script or stylesheet answered 404."""
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": DAY_S, "w": 7 * DAY_S, "M": 30 * DAY_S, "y": 365 * DAY_S}


def cache_seconds(text: str) -> tuple[int, str] | None:
    """The longest cache lifetime a written text sets (seconds, as written), unless scoped to asset paths."""
    if _SCOPED.search(text):
        return None
    best: tuple[int, str] | None = None
    for m in _MAX_AGE.finditer(text):
        seconds = int(m.group(1))
        if best is None or seconds > best[0]:
            best = (seconds, f"Cache-Control max-age={m.group(1)}")
    for m in _EXPIRES.finditer(text):
        seconds = 10 * 365 * DAY_S if m.group(1) is None else int(m.group(1)) * _UNIT_S[m.group(2)]
        if best is None or seconds > best[0]:
            best = (seconds, m.group(0))
    return best


@dataclass
class Cached:
    """A long cache header on every path, a release after it, and the release's missing assets requested."""

    target: Ref
    header: str
    seconds: int
    written_by: str
    written_at: datetime
    release: Ref
    released_at: datetime
    misses: list[str]
    evidence: list[str] = field(default_factory=list)


def _writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, datetime, tuple[int, str]]]:
    out = []
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind != "Ingress" or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        cached = cache_seconds(" ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])]))
        if cached is not None and cached[0] >= DAY_S:
            out.append((change, evidence, target, at, cached))
    return out


def _backends(ingress: dict[str, Any]) -> list[str]:
    """The Services an Ingress sends the site's root (`/`, a path-less rule or its default backend) to: the ones
    that serve the entry page."""
    spec = ingress.get("spec") or {}
    names = [str(((spec.get("defaultBackend") or {}).get("service") or {}).get("name") or "")]
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if str((path or {}).get("path") or "/") in ("/", "/*"):
                names.append(str(((path or {}).get("backend") or {}).get("service", {}).get("name") or ""))
    return [n for n in dict.fromkeys(names) if n]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only for a recent Ingress write setting a long cache: the Ingress, and the log tails of
    the pods of the workloads it routes to."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for _, _, target, _, _ in _writes(facts)[:2]:
        if str(target) in store:
            continue
        got = await get_yaml(call, "Ingress", target.name, target.namespace, f"survey-entry-ingress-{target.name}")
        entry: dict[str, Any] = {"backends": _backends(got[0]) if got else [], "logs": {}}
        store[str(target)] = entry
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-entry-pods-{target.name}")
        pods = [str(r["name"]) for r in rows_of(listed) if r.get("name")
                and workload_of_pod(str(r["name"])) in entry["backends"]][:MAX_PODS]
        for pod in pods:
            log = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": TAIL},
                             f"survey-entry-log-{pod}")
            if log is not None and log.ok:
                entry["logs"][pod] = (str(log.full_text or ""), log.evidence_id)


def _release(facts: Facts, namespace: str, workloads: list[str], after: datetime) -> tuple[Ref, datetime] | None:
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if change.get("type") == "rollout" and target is not None and at is not None and \
                target.namespace == namespace and target.name in workloads and after < at <= facts.at:
            return target, at
    return None


def found(facts: Facts) -> list[Cached]:
    """Each long cache header written on an Ingress's every path, followed by a release of its backend whose
    pods then answer 404 to requests for hashed asset files."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Cached] = []
    for change, evidence, target, at, (seconds, header) in _writes(facts):
        entry = store.get(str(target)) or {}
        release = _release(facts, target.namespace, list(entry.get("backends") or []), at)
        if release is None:
            continue  # no release since the write: the cached page still names files that exist
        misses, ids = [], []
        for text, log_id in (entry.get("logs") or {}).values():
            lines = [ln.strip() for ln in str(text).splitlines() if _ASSET_404.search(ln)]
            if lines:
                misses += lines
                ids.append(str(log_id))
        if len(misses) < MIN_MISSES:
            continue
        by = re.search(r"written by ([\w.-]*\w)", str(change.get("summary") or ""))
        out.append(Cached(target, header, seconds, by.group(1) if by else "", at, release[0], release[1], misses,
                          [e for e in (evidence, *ids) if e]))
    return out


def finding(c: Cached, now: datetime) -> dict[str, Any]:
    """The header on every path and what it does to the entry page at a release, then the 404s and the write."""
    days = c.seconds / DAY_S
    path = re.search(r"\"(?:GET|HEAD) (\S+)", c.misses[0])
    message = (f"{c.target} serves every path, the HTML entry page (index.html, /) included, with {c.header} "
               f"({days:g} days), written{' by ' + c.written_by if c.written_by else ''} "
               f"{minutes_text(int((now - c.written_at).total_seconds() // 60))} before the incident: browsers keep "
               f"the cached old page, and since {c.release}'s release at {c.released_at.strftime('%H:%M')} it asks "
               f"for the previous build's hashed files, which now answer 404 ({len(c.misses)} such requests, e.g. "
               f"{path.group(1) if path else c.misses[0][:80]}). Cache only the hashed assets long; serve the "
               f"entry page with Cache-Control no-cache")
    return {"check": CHECK, "severity": "critical", "reason": "EntryPageCached",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "message": message, "evidence": [c.header, c.misses[0][:200]],
            "details": {"seconds": c.seconds, "release": str(c.release), "misses": len(c.misses)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the Ingress, its finding, evidence ids, the released workload) for `agent.triage.behind`."""
    return [(c.target, finding(c, facts.at), c.evidence, [c.release]) for c in found(facts)]
