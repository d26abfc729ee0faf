"""A backend's idle keep-alive timeout fell below its proxy's: the proxy reuses connections the backend is closing.

A reverse proxy (ingress-nginx, Envoy/Istio, Traefik, an ALB) keeps idle upstream connections open for its own
keep-alive timeout and reuses them. When the backend closes an idle connection sooner, a request the proxy sends
on it as the backend closes it gets no response: nginx logs `upstream prematurely closed connection while
reading response header from upstream` (or `recv() failed (104: Connection reset by peer)`) and answers 502,
Envoy answers 503 `UC` `upstream_reset_before_response_started{connection_termination}`, a Go proxy logs
`http: proxy error: EOF`. The rate is a few percent, spread over every route of the backend: the signature of an
idle-timeout race, not of a failing backend. The documented rule is that the upstream's idle timeout must exceed
the proxy's.

This module names a workload whose rollout removed or lowered its keep-alive setting (an env key or a flag such
as `SERVER_KEEPALIVE_TIMEOUT_MS`, `--keep-alive`, `--timeout-keep-alive`) when (a) the backend's effective idle
timeout after the rollout (the value it logs at start, the new setting, or its runtime's documented default when
the setting is gone: `DEFAULTS`) is below the proxy's (`PROXIES`), (b) a proxy's log shows that premature-close
signature for this backend (its endpoint IPs or its name), and (c) the first such line is not older than the
rollout. Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import value_diff
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.keepalive_below_proxy"
WEIGHT = 0.93
LEAD = timedelta(hours=24)
READS = "keepalive_race"
MAX_BACKENDS = 3

KEY = re.compile(r"keep[-_]?alive|idle[-_]?(?:conn[-_]?)?timeout|persistent[-_]?timeout", re.I)
"""Names of an idle keep-alive setting: env keys, flags and logged fields."""

FLAGS = ("--keep-alive", "--keepalive", "--timeout-keep-alive", "--keep-alive-timeout", "--keepalive-timeout",
         "--idle-timeout", "--persistent-timeout")

PROXIES: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"upstream prematurely closed connection|recv\(\) failed \(104: Connection reset by peer\) while "
                r"reading response header from upstream|writev\(\) failed \(32: Broken pipe\) while sending request "
                r"to upstream", re.I), "nginx's upstream keepalive_timeout (ingress-nginx upstream-keepalive-timeout)",
     60.0),
    (re.compile(r"reset reason: connection termination|upstream_reset_before_response_started\{connection_termination"
                r"\}|\" 50[23] UC ", re.I), "Envoy's upstream idle_timeout", 3600.0),
    (re.compile(r"http: proxy error: (?:read tcp \S+: )?(?:EOF|read: connection reset by peer)|caused by: EOF", re.I),
     "the Go proxy's IdleConnTimeout (Traefik, httputil.ReverseProxy)", 90.0),
)
"""Each proxy's premature-close wording, its idle timeout setting and the documented default, in seconds."""

DEFAULTS: tuple[tuple[re.Pattern[str], str, float | None], ...] = (
    (re.compile(r"gunicorn", re.I), "gunicorn's --keep-alive default", 2.0),
    (re.compile(r"uvicorn", re.I), "uvicorn's --timeout-keep-alive default", 5.0),
    (re.compile(r"\bpuma\b", re.I), "Puma's persistent_timeout default", 20.0),
    (re.compile(r"\bnode(?:js)?\b|node:|NODE_(?:ENV|OPTIONS)|\bnpm\b|keepAliveTimeout", re.I),
     "Node.js http.Server keepAliveTimeout default", 5.0),
)
"""Runtimes' documented idle keep-alive defaults (seconds), recognised in the image, command or env names."""

LOGGED = re.compile(r"\"?(?P<key>keep[-_]?alive[-_]?timeout(?:[-_]?ms)?|keepAliveTimeout|timeout[-_]keep[-_]alive|"
                    r"idle[-_]?timeout)\"?\s*[:=]\s*\"?(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?", re.I)

Call = Callable[..., Awaitable[Any]]


CODE = "(code default)"
"""The key of a release that changed no setting, only the code (and the server's own default or override)."""


@dataclass
class Setting:
    """A keep-alive setting one rollout changed: its name, old and new value in seconds (None: unset)."""

    key: str
    old: float | None
    new: float | None
    line: str


@dataclass
class Race:
    """A backend whose idle timeout is now below its proxy's, and the proxy's premature closes that show it."""

    workload: Ref
    change: dict[str, Any]
    setting: Setting
    backend_s: float
    backend_source: str
    proxy: str
    proxy_s: float
    said: str
    count: int
    first_seen: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def seconds(key: str, value: str) -> float | None:
    """A timeout value in seconds: `75000` under a key ending in MS is 75 s; `75s`, `2m`; a bare number over 600
    is milliseconds (no idle timeout is set in tens of minutes by intent)."""
    m = re.fullmatch(r"\s*'?(\d+(?:\.\d+)?)\s*(ms|s|m)?'?\s*", value or "")
    if m is None:
        return None
    number, unit = float(m.group(1)), m.group(2)
    if unit == "ms" or (unit is None and re.search(r"ms$|millis", key, re.I)):
        return number / 1000
    if unit == "m":
        return number * 60
    return number if unit == "s" or number <= 600 else number / 1000


def _flag_value(args: list[str]) -> tuple[str, str] | None:
    for i, arg in enumerate(args):
        for flag in FLAGS:
            if arg == flag and i + 1 < len(args):
                return flag, args[i + 1]
            if arg.startswith(flag + "="):
                return flag, arg.split("=", 1)[1]
    return None


ENV_LINE = re.compile(r"\benv (?P<key>[\w.-]+)(?:='(?P<old>[^']*)'| \(unset\)) -> (?:unset|[\w.-]+='(?P<new>[^']*)')")
ARGS_LINE = re.compile(r"\b(?:args|command) (?P<old>\[.*?\]|None) -> (?P<new>\[.*\]|None)$")


def settings(change: dict[str, Any]) -> list[Setting]:
    """The keep-alive settings a rollout removed or lowered (env keys or flags)."""
    out = []
    for line in (str(d) for d in change.get("diff") or []):
        m = ENV_LINE.search(line)
        if m and KEY.search(m.group("key")):
            key = m.group("key")
            old = seconds(key, m.group("old")) if m.group("old") is not None else None
            new = seconds(key, m.group("new")) if m.group("new") is not None else None
            out.append(Setting(key, old, new, line))
            continue
        a = ARGS_LINE.search(line)
        if a:
            before = _flag_value(value_diff.literal_list(a.group("old")))
            after = _flag_value(value_diff.literal_list(a.group("new")))
            if before or after:
                key = (before or after or ("", ""))[0]
                out.append(Setting(key, seconds(key, before[1]) if before else None,
                                   seconds(key, after[1]) if after else None, line))
    return [s for s in out if s.new is None or (s.old is not None and s.new < s.old)]


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, Setting]]:
    """Recent rollouts that removed or lowered a keep-alive setting."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        for s in settings(change)[:1]:
            out.append((change, target, s))
    for change in facts.change_list():  # then releases that changed only the code: the backend must log its value
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD or str(change.get("type")) != \
                "rollout" or any(c is change for c, _, _ in out):
            continue
        image = next((str(d) for d in change.get("diff") or [] if re.search(r"\simage\s", str(d))), "")
        if image:
            out.append((change, target, Setting(CODE, None, None, image)))
    return out


def _texts(log: LogEvidence) -> list[str]:
    tops = [log.top, *log.more] if log.top else list(log.more)
    return [" ".join(str(e.get(k) or "") for k in ("message", "example")) for e in tops if isinstance(e, dict)] \
        + list(log.last_lines)


def premature(log: LogEvidence) -> tuple[str, float, str, dict[str, Any]] | None:
    """The proxy, its idle default, the line and the error entry of a premature-close signature in one log."""
    tops = [e for e in ([log.top] if log.top else []) + list(log.more) if isinstance(e, dict)]
    for pattern, proxy, idle in PROXIES:
        for entry in tops:
            text = " ".join(str(entry.get(k) or "") for k in ("message", "example"))
            if pattern.search(text):
                return proxy, idle, str(entry.get("example") or entry.get("message") or ""), entry
    return None


def _names(log: LogEvidence, target: Ref, addresses: list[str]) -> bool:
    """The proxy's log names the backend: one of its endpoint IPs, or its name as proxies print upstreams
    (ingress-nginx `[ns-name-port]`, Envoy `outbound|80||name.ns.svc`, `ns/name`)."""
    if set(log.hosts) & set(addresses):
        return True
    text = " ".join(_texts(log))
    return any(a and a in text for a in addresses) or bool(re.search(
        rf"\[{re.escape(target.namespace)}-{re.escape(target.name)}-\w+\]|{re.escape(target.name)}\."
        rf"{re.escape(target.namespace)}\b|{re.escape(target.namespace)}/{re.escape(target.name)}\b", text))


def _when(value: Any) -> datetime | None:
    text = str(value or "")
    m = re.match(r"(\d{4})/(\d\d)/(\d\d)[ T](\d\d:\d\d:\d\d)", text)
    return parse_time(f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}Z" if m else text)


def effective(got: dict[str, Any], setting: Setting) -> tuple[float, str] | None:
    """The backend's idle timeout after the rollout and where it comes from: what it logs, the new value, or the
    runtime default when the setting is gone."""
    for line in got.get("logged") or []:
        m = LOGGED.search(line)
        if m:
            value = seconds(m.group("key") + (m.group("unit") or ""), m.group("value") + (m.group("unit") or ""))
            if m.group("unit") is None and m.group("key") == "keepAliveTimeout":  # Node's option is in ms
                value = float(m.group("value")) / 1000
            if value is not None:
                return value, f"{m.group('key')} {m.group('value')}{m.group('unit') or ''} as it logs at start"
    if setting.key == CODE:
        return None  # a code change: only what the backend logs says its idle timeout now is
    if setting.new is not None:
        return setting.new, f"{setting.key} now {setting.new:g} s"
    runtime = " ".join(str(x) for x in got.get("runtime") or [])
    for pattern, name, value in DEFAULTS:
        if value is not None and pattern.search(runtime):
            return value, name
    return None


def found(facts: Facts) -> list[Race]:
    """Rollouts that put a backend's idle timeout below its proxy's, shown by the proxy's premature closes."""
    out: list[Race] = []
    store = facts.reads.get(READS) or {}
    for change, target, setting in candidates(facts):
        got = store.get(str(target)) or {}
        at = parse_time(change.get("at"))
        for log in facts.logs:
            hit = premature(log)
            if hit is None or not _names(log, target, got.get("addresses") or []):
                continue
            proxy, idle, said, entry = hit
            first = _when(entry.get("first_seen"))
            if first is not None and at is not None and first < at:
                continue  # the proxy closed early before the rollout: not this change
            now = effective(got, setting)
            if now is None or now[0] >= idle:
                continue
            out.append(Race(target, change, setting, now[0], now[1], proxy, idle, said[:220],
                            int(entry.get("count") or 1), str(entry.get("first_seen") or ""),
                            int((facts.at - at).total_seconds() // 60) if at else 0,
                            [e for e in [facts.changes_id or "", log.evidence_id, *got.get("evidence", [])] if e]))
            break
    return out


def finding(r: Race) -> dict[str, Any]:
    """The rollout, the setting old -> new, the backend's idle timeout against the proxy's, and the proxy's words."""
    old = f"{r.setting.old:g} s" if r.setting.old is not None else "?"
    new = f"{r.setting.new:g} s" if r.setting.new is not None else "unset"
    rev = f" revision {r.change.get('revision')}" if r.change.get("revision") else ""
    what = f"changed its keep-alive setting {r.setting.key} {old} -> {new}" if r.setting.key != CODE else \
        f"released new code ({r.setting.line[:120]})"
    message = (f"{r.workload}{rev} {what} "
               f"{r.minutes_before} min before the incident: its server now closes idle keep-alive connections "
               f"after {r.backend_s:g} s ({r.backend_source}), shorter than {r.proxy} of {r.proxy_s:g} s, so the "
               f"proxy reuses idle upstream connections the backend is closing: 'upstream prematurely closed "
               f"connection'-style resets ({r.count}x since {r.first_seen or 'the rollout'}: '{r.said[:150]}'). "
               f"Set the backend's idle timeout above the proxy's (e.g. keepAliveTimeout 65-75 s) or lower the "
               f"proxy's upstream keepalive timeout")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "KeepAliveRace",
            "message": message, "evidence": [r.said[:200], r.setting.line[:200]],
            "details": {"setting": r.setting.key, "old_s": r.setting.old, "new_s": r.setting.new,
                        "backend_idle_s": r.backend_s, "proxy_idle_s": r.proxy_s, "change_at": r.change.get("at")}}


def _runtime(obj: dict[str, Any]) -> list[str]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for c in spec.get("containers") or []:
        if isinstance(c, dict):
            out += [str(c.get("image") or ""), " ".join(str(x) for x in (c.get("command") or []) + (c.get("args")
                                                                                                   or []))]
            out += [str(e.get("name")) for e in c.get("env") or [] if isinstance(e, dict)]
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only, when a proxy's log shows premature closes: each candidate backend's workload (its runtime),
    its Service's endpoint addresses, and what one of its pods logs about its keep-alive timeout."""
    if not any(premature(log) for log in facts.logs):
        return
    store = facts.reads.setdefault(READS, {})
    for change, target, _ in candidates(facts)[:MAX_BACKENDS]:
        got: dict[str, Any] = {"evidence": [], "addresses": [], "logged": [], "runtime": []}
        store[str(target)] = got
        obj = await get_yaml(call, target.kind or "Deployment", target.name, target.namespace,
                             f"survey-keepalive-{target.name}")
        if obj is not None:
            got["runtime"] = _runtime(obj[0])
            got["evidence"].append(obj[1])
        for svc in [Ref.of(r) for r in change.get("related") or []]:
            if svc is None or svc.kind != "Service":
                continue
            listed = await call("k8s_list", {"kind": "EndpointSlice", "namespace": svc.namespace,
                                             "label_selector": f"kubernetes.io/service-name={svc.name}"},
                                f"survey-keepalive-slices-{svc.name}")
            data = listed.data if listed is not None and listed.ok and isinstance(listed.data, dict) else {}
            for row in (data.get("items") or data.get("rows") or [])[:2]:
                name = str(row.get("name") or "") if isinstance(row, dict) else ""
                got_slice = await get_yaml(call, "EndpointSlice", name, svc.namespace,
                                           f"survey-keepalive-slice-{name}") if name else None
                if got_slice is not None:
                    got["addresses"] += [str(a) for e in got_slice[0].get("endpoints") or [] if isinstance(e, dict)
                                         for a in e.get("addresses") or []]
                    got["evidence"].append(got_slice[1])
            got["addresses"] += [f"[{svc.namespace}-{svc.name}-", f"{svc.name}.{svc.namespace}"]
        pods = await call("k8s_list", {"kind": "pods", "namespace": target.namespace},
                          f"survey-keepalive-pods-{target.name}")
        rows = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        pod = next((str(r.get("name")) for r in rows if isinstance(r, dict) and str(r.get("name", "")).startswith(
            target.name + "-") and str(r.get("status")) == "Running"), "")
        for grep in ("keepalive", "keep-alive", "keep_alive") if pod else ():
            outcome = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "grep": grep, "tail": 5000},
                                 f"survey-keepalive-logs-{pod}-{grep}")
            text = str(getattr(outcome, "full_text", "") or "") if outcome is not None and outcome.ok else ""
            lines = [ln for ln in text.splitlines() if LOGGED.search(ln)]
            if lines:
                got["logged"] = lines[:3]
                got["evidence"].append(outcome.evidence_id)
                break
