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
`expires`, an Apache `ExpiresDefault`/`ExpiresByType text/html`) of at least a day, not scoped to asset paths or
extensions (an nginx `location ~* \\.(js|css)$`, an Apache `<FilesMatch>`, a Caddy path matcher, an HTTPRoute rule
matching only `/assets`), on any kind: an Ingress, a Gateway HTTPRoute, a Traefik Middleware, a ConfigMap holding a
web server's config; a rollout after that write of a workload it routes to (for a kind that names no backend: a
workload of its namespace released since); and, in that workload's access log since (combined format, or a JSON /
logfmt line with a path field and a 404 status field), requests for hashed asset files answered 404 (at least
MIN_MISSES). A header scoped to the assets, a short max-age, no release after the write, or no asset 404s is not
named. `read` (reading only) gets the route object and a log tail of the backend's pods; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, has_run, rows_of
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
ROUTES = ("Ingress", "HTTPRoute")
"""Kinds that name the Services behind the site's root; for any other kind (a Traefik Middleware, a ConfigMap
holding nginx/Apache/Caddy config, a Contour HTTPProxy) the workloads released after the write are read."""
Call = Callable[..., Awaitable[Any]]

_MAX_AGE = re.compile(r"Cache[-_.]?Control\b[^\n]{0,80}?\bmax-age=(\d+)", re.I)
"""A Cache-Control value with a max-age, however the header is written: nginx `add_header`/`more_set_headers`, Apache
`Header set`, Caddy `header`, a Traefik Middleware's `customResponseHeaders.Cache-Control`, a Gateway HTTPRoute
`ResponseHeaderModifier` `{name: Cache-Control, value: ...}`, or a change line `...Cache-Control ... (now '...')`."""
_EXPIRES = re.compile(r"\bexpires\s+(\d+)([smhdwMy])\b|\bexpires\s+max\b")
_APACHE_EXPIRES = re.compile(r"\bExpires(?:Default|ByType\s+(?P<type>[\w.+-]+/[\w.+-]+))\s+\"?(?:access|modification)"
                             r"\s+plus\s+(?P<n>\d+)\s+(?P<unit>second|minute|hour|day|week|month|year)s?", re.I)
"""Apache mod_expires: a default for every response, or one for a MIME type (only text/html is the entry page)."""
_SCOPED = re.compile(r"location\s+[~=^]*\*?\s*\S*(?:\\\.|\.)\(?(?:js|css|png|jpe?g|svg|woff2?|ico|gif|webp|map)\b|"
                     r"location\s+[~=^]*\*?\s*\S*/(?:static|assets|_next/static|build|dist)/|"
                     r"<(?:Files|Location|Directory)(?:Match)?\s+\"?[^>]*(?:\\\.|\.|/)\(?"
                     r"(?:js|css|static|assets|_next|build|dist)\b|"
                     r"@\w+\s+path(?:_regexp?)?\s+[^\n]*(?:\*\.(?:js|css)|/(?:static|assets|_next/static|build|dist)/)|"
                     r"\b(?:static|assets?)[_.-]?\w{0,20}cache|\bcache\w{0,20}[_.-](?:static|assets?)\b",
                     re.I)
"""A block that keeps the header to asset files or asset directories, the right practice: an nginx location, an
Apache `<FilesMatch>`/`<LocationMatch>`/`<Directory>`, a Caddy path matcher (`@assets path /assets/* *.js`), a
setting named for the static files (`STATIC_CACHE_CONTROL`, `assets.cacheControl`): open tabs of the previous
build still ask for its chunks after any release, so those 404s alone prove nothing."""
_HASHED = r"/\S*?[.-][0-9a-f]{6,}(?:\.chunk)?\.(?:m?js|css)(?:\?[^\s\"]*)?|/_next/static/[^\s\"]+\.(?:js|css)"
_ASSET_404 = re.compile(rf"\"(?:GET|HEAD) (?P<path>{_HASHED}) HTTP/[\d.]+\" 404\b")
"""A combined-format access-log request for a content-hashed script or stylesheet answered 404."""
_ASSET_PATH = re.compile(rf"\"?(?:uri|path|url|request_uri|request|RequestPath|http\.url|url\.path)\"?\s*[:=]\s*"
                         rf"\"?(?:(?:GET|HEAD) )?(?P<path>{_HASHED})")
_STATUS_404 = re.compile(r"\"?(?:status|status_code|statusCode|response_code|DownstreamStatus|OriginStatus|"
                         r"http\.status_code|http\.response\.status_code)\"?\s*[:=]\s*\"?404\b", re.I)
"""The same in a structured log line (Caddy/Traefik/Envoy JSON, logfmt, ECS): a hashed asset's path field and a
404 status field on one line."""
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
    for m in _APACHE_EXPIRES.finditer(text):
        if m.group("type") and m.group("type").lower() != "text/html":
            continue  # a lifetime for scripts or images only: the entry page keeps its own
        seconds = int(m.group("n")) * _UNIT_S[{"month": "M", "minute": "m"}.get(m.group("unit").lower(),
                                                                                 m.group("unit")[0].lower())]
        if best is None or seconds > best[0]:
            best = (seconds, m.group(0))
    return best


def asset_miss(line: str) -> str | None:
    """The hashed asset path a log line shows answered 404 (combined format or a structured line), else None."""
    m = _ASSET_404.search(line)
    if m:
        return m.group("path")
    m = _ASSET_PATH.search(line)
    return m.group("path") if m and _STATUS_404.search(line) else None


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
    """Writes of any kind within LEAD whose text sets a cache lifetime of a day or more on every path: an Ingress
    snippet, a Traefik Middleware, a Gateway HTTPRoute filter, a web server's config file in a ConfigMap."""
    out = []
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        cached = cache_seconds(" ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])]))
        if cached is not None and cached[0] >= DAY_S:
            out.append((change, evidence, target, at, cached))
    return out


def _root(path: Any) -> bool:
    return str(path or "/") in ("/", "/*")


def _backends(obj: dict[str, Any]) -> list[str]:
    """The Services an Ingress or an HTTPRoute sends the site's root (`/`, a path-less rule or its default
    backend) to: the ones that serve the entry page."""
    spec = obj.get("spec") or {}
    names = [str(((spec.get("defaultBackend") or {}).get("service") or {}).get("name") or "")]
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if _root((path or {}).get("path")):
                names.append(str(((path or {}).get("backend") or {}).get("service", {}).get("name") or ""))
        matches = (rule or {}).get("matches") or [{}]
        if any(_root(((m or {}).get("path") or {}).get("value")) for m in matches):
            names += [str((ref or {}).get("name") or "") for ref in (rule or {}).get("backendRefs") or []]
    return [n for n in dict.fromkeys(names) if n]


def _route_scoped(obj: dict[str, Any]) -> bool:
    """An HTTPRoute whose every rule that sets a long cache matches only paths below the root (`/assets`)."""
    rules = [r for r in (obj.get("spec") or {}).get("rules") or [] if isinstance(r, dict)
             and (cache_seconds(str(r.get("filters") or "")) or (0, ""))[0] >= DAY_S]
    return bool(rules) and not any(_root(((m or {}).get("path") or {}).get("value"))
                                   for r in rules for m in r.get("matches") or [{}])


def _released(facts: Facts, namespace: str, after: datetime) -> list[str]:
    """Workloads of `namespace` rolled out after `after`: the candidates behind an object that names no backend
    (a Middleware, a config file); only their own hashed-asset 404s tie them to the write."""
    names = [r.name for c, _ in facts.every_change() if c.get("type") == "rollout"
             for r, at in [(Ref.of(c.get("object")), parse_time(c.get("at")))]
             if r is not None and at is not None and r.namespace == namespace and after < at <= facts.at]
    return list(dict.fromkeys(names))


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only for a recent write setting a long cache: the route object (Ingress, HTTPRoute), and
    the log tails of the pods of the workloads it routes to (of those released since, for other kinds)."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for _, _, target, written, _ in _writes(facts)[:2]:
        if str(target) in store:
            continue
        entry: dict[str, Any] = {"backends": [], "logs": {}, "scoped": False}
        store[str(target)] = entry
        if target.kind in ROUTES:
            got = await get_yaml(call, target.kind, target.name, target.namespace,
                                 f"survey-entry-route-{target.name}")
            if got is not None:
                entry["backends"], entry["scoped"] = _backends(got[0]), _route_scoped(got[0])
        else:
            entry["backends"] = _released(facts, target.namespace, written)[:MAX_PODS]
        if entry["scoped"] or not entry["backends"]:
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-entry-pods-{target.name}")
        pods = [str(r["name"]) for r in rows_of(listed) if r.get("name") and has_run(r)
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
        if entry.get("scoped"):
            continue  # an HTTPRoute rule that keeps the header below the root (asset paths)
        release = _release(facts, target.namespace, list(entry.get("backends") or []), at)
        if release is None:
            continue  # no release since the write: the cached page still names files that exist
        misses, ids = [], []
        for text, log_id in (entry.get("logs") or {}).values():
            lines = [ln.strip() for ln in str(text).splitlines() if asset_miss(ln)]
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
    path = asset_miss(c.misses[0])
    message = (f"{c.target} serves every path, the HTML entry page (index.html, /) included, with {c.header} "
               f"({days:g} days), written{' by ' + c.written_by if c.written_by else ''} "
               f"{minutes_text(int((now - c.written_at).total_seconds() // 60))} before the incident: browsers keep "
               f"the cached old page, and since {c.release}'s release at {c.released_at.strftime('%H:%M')} it asks "
               f"for the previous build's hashed files, which now answer 404 ({len(c.misses)} such requests, e.g. "
               f"{path or c.misses[0][:80]}). Cache only the hashed assets long; serve the "
               f"entry page with Cache-Control no-cache")
    return {"check": CHECK, "severity": "critical", "reason": "EntryPageCached",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "message": message, "evidence": [c.header, c.misses[0][:200]],
            "details": {"seconds": c.seconds, "release": str(c.release), "misses": len(c.misses)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the Ingress, its finding, evidence ids, the released workload) for `agent.triage.behind`."""
    return [(c.target, finding(c, facts.at), c.evidence, [c.release]) for c in found(facts)]
