"""A proxy's own global setting, written in its ConfigMap, that produces the very errors it now logs.

A shared proxy (the ingress-nginx controller, an nginx or OpenResty reverse proxy in front of an app)
takes its global settings from a ConfigMap: ingress-nginx's controller ConfigMap keys (`proxy-buffer-size`,
`large-client-header-buffers`, `proxy-body-size`, `proxy-read-timeout`, ...) or an `nginx.conf` file whose
directives (`proxy_buffer_size`, `client_max_body_size`, `proxy_read_timeout`, ...) are the same knobs. Set
too small, each makes nginx refuse with an error of its own, worded by nginx itself, while every backend is
healthy:

* `proxy_buffer_size` / `proxy_buffers`: "upstream sent too big header while reading response header from
  upstream", answered 502: the upstream's response headers (large Set-Cookie headers of a login callback,
  long redirect URLs) no longer fit the buffer;
* `large_client_header_buffers` / `client_header_buffer_size`: "client sent too long header line" / "too
  large request", answered 400 ("Request Header Or Cookie Too Large"): the clients' cookies or tokens;
* `client_max_body_size` (`proxy-body-size`): "client intended to send too large body", answered 413;
* `proxy_read_timeout` / `proxy_send_timeout` / `proxy_connect_timeout`: "upstream timed out (110: ...)
  while reading response header / sending request / connecting to upstream", answered 504.

The victims are the applications behind the proxy, whose own logs show nothing. The survey reads the
ConfigMaps written in the day before the incident that a workload uses, keeps the governing settings they
set (a key the write touched, or a directive of a file it wrote), and greps one pod of the workload for
that setting's wording. A write is the suspect when the wording is printed from the write on, not before.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.proxy_setting"
WEIGHT = 0.93
"""A proxy setting whose own refusal the proxy now logs is the cause; the backends behind it only look failing."""
STORE = "proxy_config"
LEAD = timedelta(hours=24)
MAX_CHANGES = 3
MAX_GREPS = 4
MIN_LINES = 3
"""Lines in the proxy's wording after the write before it is blamed: one odd request is no pattern."""
SLACK = timedelta(minutes=1)

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Governs:
    """One family of proxy settings and the refusal nginx prints when it is too small."""

    keys: tuple[str, ...]
    """ConfigMap keys and nginx directives, normalised (lower case, `_` for `-`)."""
    needle: str
    """A substring of the wording, for the log grep."""
    words: re.Pattern[str]
    status: int
    meaning: str


FAMILIES = (
    Governs(("proxy_buffer_size", "proxy_buffers", "proxy_buffers_number", "proxy_busy_buffers_size"),
            "too big header", re.compile(r"upstream sent too big header", re.I), 502,
            "the upstream's response headers (large Set-Cookie headers, long redirect URLs) no longer fit the proxy "
            "buffer"),
    Governs(("large_client_header_buffers", "client_header_buffer_size"), "client sent too",
            re.compile(r"client sent too (?:long header line|large request|long URI)", re.I), 400,
            "the clients' request headers (cookies, tokens) no longer fit the header buffers (Request Header Or "
            "Cookie Too Large)"),
    Governs(("proxy_body_size", "client_max_body_size"), "too large body",
            re.compile(r"client intended to send too large body", re.I), 413,
            "request bodies above the limit are refused before they reach the backend"),
    Governs(("proxy_read_timeout",), "upstream timed out",
            re.compile(r"upstream timed out .{0,60}while reading (?:response header|upstream)", re.I), 504,
            "the proxy stops waiting for the backend's response sooner than the backend answers"),
    Governs(("proxy_send_timeout",), "upstream timed out",
            re.compile(r"upstream timed out .{0,60}while sending (?:request|to upstream)", re.I), 504,
            "the proxy stops sending the request to the backend sooner than it reads it"),
    Governs(("proxy_connect_timeout",), "upstream timed out",
            re.compile(r"upstream timed out .{0,60}while connecting to upstream", re.I), 504,
            "the proxy gives up connecting to the backend sooner than it accepts"),
)

_DATA_KEY = re.compile(r"\bdata key (\S+)")
_FILE = re.compile(r"nginx|openresty|\.(?:conf|cfg|tmpl|template)$", re.I)
"""A data key that may hold a proxy's config file (`nginx.conf`, `default.conf`, `nginx.tmpl`)."""
_DIRECTIVE = re.compile(r"^\s*([a-z_]+)\s+([^;{}\n]+);", re.M)
_ISO = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")
_NGINX_TIME = re.compile(r"\b(\d{4})/(\d\d)/(\d\d) (\d\d:\d\d:\d\d)\b")
"""nginx's error-log timestamp (`2026/11/24 09:40:00`, the server's local time: UTC in containers)."""
_REQUEST = re.compile(r'request: "([A-Z]+ [^ "?]+)')


def _norm(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def family_of(key: str) -> Governs | None:
    """The family whose setting `key` is (a ConfigMap key or an nginx directive), or None."""
    return next((f for f in FAMILIES if _norm(key) in f.keys), None)


def settings(data: dict[str, Any], written: list[str]) -> list[tuple[str, str, str]]:
    """(where, setting, value) of the governing settings a write touched: a written key that is one, or the
    directives of a written file (`nginx.conf: proxy_buffer_size`). All keys count when the write names none."""
    out: list[tuple[str, str, str]] = []
    for key, value in data.items():
        if written and key not in written:
            continue
        if family_of(str(key)) is not None:
            out.append((str(key), str(key), str(value).strip()))
            continue
        for m in _DIRECTIVE.finditer(str(value)):
            if family_of(m.group(1)) is not None:
                out.append((f"{key}: {m.group(1)}", m.group(1), m.group(2).strip()))
    return out


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str], list[Ref]]]:
    out: list[tuple[dict[str, Any], Ref, list[str], list[Ref]]] = []
    for change, _, target in facts.writes_to(("ConfigMap",), within=LEAD):
        keys = list(dict.fromkeys(m.group(1) for d in [*(change.get("diff") or []), change.get("summary") or ""]
                                  for m in _DATA_KEY.finditer(str(d))))
        users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r and r.kind != "Pod"]
        if users and not any(t.same_object(target) for _, t, _, _ in out):
            out.append((change, target, keys, users))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)[:MAX_CHANGES]


async def _pod_of(facts: Facts, call: Call, user: Ref) -> str:
    for data, _ in facts.topologies:
        for pod in data.get("pods") or []:
            name = str(pod.get("name") or "") if isinstance(pod, dict) else ""
            if name and workload_of_pod(name) == user.name and str(pod.get("namespace") or user.namespace) == \
                    user.namespace:
                return name
    return await pod_of(call, user, f"survey-proxy-pods-{user.name}")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the ConfigMaps written within LEAD that a workload uses, and, for each governing setting the
    write touched, one of the workload's pods grepped for the setting's wording (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    greps = 0
    for change, target, keys, users in _candidates(facts):
        if keys and not any(family_of(k) or _FILE.search(k) for k in keys):
            continue  # the write touched keys that are neither such a setting nor a proxy's config file
        got = next(((o, e) for o, e in facts.objects if o.get("kind") == "ConfigMap"
                    and (o.get("metadata") or {}).get("name") == target.name
                    and (o.get("metadata") or {}).get("namespace") == target.namespace), None)
        got = got or await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-proxy-cm-{target.name}")
        if got is None:
            continue
        found = settings(got[0].get("data") or {}, keys)
        for user in users[:2]:
            needles = list(dict.fromkeys(f.needle for _, s, _ in found for f in [family_of(s)] if f))
            if not needles or greps >= MAX_GREPS:
                continue
            pod = await _pod_of(facts, call, user)
            for needle in needles:
                if not pod or greps >= MAX_GREPS:
                    break
                greps += 1
                logs = await call("k8s_logs", {"name": pod, "namespace": user.namespace, "grep": needle,
                                               "tail": 5000, "budget_tokens": 3000},
                                  f"survey-proxy-logs-{user.name}-{greps}")
                if logs is None or not logs.ok:
                    continue
                store.append({"change": change, "configmap": target, "settings": found, "user": user, "pod": pod,
                              "needle": needle, "text": str(logs.full_text or ""),
                              "evidence": [e for e in (got[1], logs.evidence_id) if e]})


# ---- judging (rank) ---------------------------------------------------------------------------


def line_time(line: str) -> datetime | None:
    """When a log line was printed: the `--timestamps` prefix or an ISO stamp, else nginx's own stamp."""
    m = _ISO.search(line)
    if m:
        return parse_time(m.group(1) + "Z")
    n = _NGINX_TIME.search(line)
    return datetime.fromisoformat(f"{n.group(1)}-{n.group(2)}-{n.group(3)}T{n.group(4)}").replace(tzinfo=UTC) \
        if n else None


@dataclass
class ProxySetting:
    """A ConfigMap write that set a proxy setting whose refusal the proxy prints from then on."""

    configmap: Ref
    where: str
    setting: str
    value: str
    family: Governs
    written: datetime
    manager: str
    user: Ref
    lines: list[str]
    requests: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _manager(change: dict[str, Any]) -> str:
    m = re.search(r"\bset by (\S+)|updated by (\S+)", str(change.get("summary") or ""))
    return (m.group(1) or m.group(2)).rstrip(":,") if m else ""


def found(facts: Facts) -> list[ProxySetting]:
    """Each read write whose setting's wording the proxy printed at least MIN_LINES times from the write on and
    never before it; one per ConfigMap."""
    out: list[ProxySetting] = []
    for entry in facts.reads.get(STORE) or []:
        change = entry.get("change") or {}
        written = parse_time(change.get("at"))
        target: Ref = entry["configmap"]
        if written is None or any(p.configmap.same_object(target) for p in out):
            continue
        lines = [ln for ln in str(entry.get("text") or "").splitlines() if ln.strip()]
        for where, setting, value in entry.get("settings") or []:
            family = family_of(setting)
            if family is None or family.needle != entry.get("needle"):
                continue
            hits = [(line_time(ln), ln) for ln in lines if family.words.search(ln)]
            before = [ln for t, ln in hits if t is not None and t < written - SLACK]
            after = [ln for t, ln in hits if t is None or t >= written - SLACK]
            if before or len(after) < MIN_LINES:
                continue  # printed before the write (chronic), or not a pattern
            requests = list(dict.fromkeys(m.group(1) for ln in after for m in [_REQUEST.search(ln)] if m))
            out.append(ProxySetting(target, where, setting, value, family, written, _manager(change), entry["user"],
                                    after, requests[:3], list(entry.get("evidence") or [])))
            break
    return out


def finding(p: ProxySetting, at: datetime) -> dict[str, Any]:
    """The ConfigMap's finding: the setting and value, when, the proxy's own wording since, and what it means."""
    ago = minutes_text(int((at - p.written).total_seconds() // 60))
    word = p.family.words.search(p.lines[0])
    said = word.group(0) if word else p.family.needle
    by = f" by {p.manager}" if p.manager else ""
    reqs = f" (e.g. {', '.join(p.requests[:2])})" if p.requests else ""
    message = (f"{p.configmap} set {p.setting}: {p.value} at {p.written.isoformat().replace('+00:00', 'Z')}"
               f"{by} ({ago} before the alert), and since then {p.user}'s nginx logs '{said}' "
               f"({len(p.lines)} lines{reqs}) and answers {p.family.status}: {p.family.meaning}. "
               f"The backends are healthy; raise {p.setting} (or revert the write) in {p.where}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "ConfigMap", "namespace": p.configmap.namespace, "name": p.configmap.name},
            "reason": "ProxySettingRefuses", "message": message, "evidence": [p.lines[0][:240]],
            "details": {"setting": p.setting, "value": p.value, "where": p.where, "status": p.family.status}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written ConfigMap; it explains the proxy workload that prints the refusals."""
    return [(p.configmap, finding(p, facts.at), p.evidence, [p.user]) for p in found(facts)]
