"""A protective guard written to trip on the level its service normally runs at, so it refuses healthy traffic.

A guard refuses calls on its own judgement: a client's circuit breaker opens when too many calls are slower than
its slow-call cutoff (resilience4j `slowCallDurationThreshold` / `slow-call-duration-threshold`, Sentinel's
`maxAllowedRtMs`), a proxy's overload manager stops accepting requests when a watched resource crosses a share of
its configured maximum (Envoy's `overload_manager`: a `fixed_heap` monitor's `max_heap_size_bytes` or a downstream
connection monitor's `max_active_downstream_connections`, tripped by an action's `threshold`). Written below what
the service does on a normal day (a 150 ms cutoff for a callee that always answers in 200 ms; a shed point of
255 MB for a proxy whose heap sits at 260 MB), the guard trips although nothing is wrong: the callers get the
guard's own refusal (CallNotPermittedException, a 503 the proxy marks as overload) while the protected service is
healthy, and every other reader sees a healthy callee and a failing caller.

Evidence read (bounded): each ConfigMap written within `LEAD` whose text holds such a guard; for a cutoff, the
latency series of the callee the same file names by URL (its answer time in the half hour before the write and
since) and the refusal in the logs of the workloads that read the file; for a shed point, the resource's own
series in the ConfigMap's namespace (its level now and halfway since the write: a steady level, not a climb) and
the refusal in the proxy's logs or an overload series. Negative twins: a cutoff above the callee's normal answer
time; a callee that itself slowed after the write; a shed point above the level; a level that climbed (a leak
the guard rightly sheds).
`read` reads only; `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage import value_diff
from agent.triage.facts import Facts, Ref, error_words, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject
from agent.triage.tightened import magnitude

CHECK = "change.guard_trips"
WEIGHT = 0.94
"""A guard written below the service's own normal level, with the guard's refusal in view: above the written
file's generic setting-moved-metrics finding and the callers' errors it explains."""
READS = "guard_trips"
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_CONFIGS = 4
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
GUARD_KINDS = ("ConfigMap", "EnvoyProxy", *WORKLOADS)
"""Kinds a guard is written in, in the order they are read: a config file, a proxy resource, a workload's env."""
Call = Callable[..., Awaitable[Any]]

_CUTOFF_KEY = re.compile(r"slow.?call.?duration|slow.?(?:call|request).?threshold(?!.*rate)|max.?allowed.?rt|"
                         r"slow.?(?:call|request).?(?:cutoff|latency)", re.I)
"""A breaker's slow-call cutoff, in the spellings of resilience4j (camel or kebab case) and Sentinel; a slow-call
*rate* threshold (a percentage) is not a cutoff."""
_BREAKER_CONTEXT = re.compile(r"circuit|breaker|resilien|degrade|sentinel", re.I)
_OPEN = re.compile(r"CallNotPermittedException|circuit.?breaker\W{0,3}\S*\W{0,3}(?:is |state )?(?:now )?open\b|"
                   r"is OPEN and does not permit|changed state from \w+ to OPEN|BrokenCircuitException|"
                   r"circuit is (?:now )?open|short.?circuited|CircuitBreaking|"
                   r"breaker (?:is )?open|DegradeException|ErrOpenState|open state", re.I)
"""How a client says its breaker refuses a call (resilience4j, Polly, Hystrix, gobreaker, Sentinel)."""
_SHED = re.compile(r"\b503\b[^\n]{0,12}\bOM\b|envoy overloaded|overload manager|overloaded|load.?shed|shedding|"
                   r"stop.?accepting", re.I)
"""How a proxy's own shedding shows: Envoy's `OM` response flag beside a 503, its `envoy overloaded` body."""
_REFUSING_ACTION = re.compile(r"stop.?accepting|reject.?incoming|shed", re.I)
_HOST = re.compile(r"(?:https?|grpc|dns)://([a-z0-9][a-z0-9-]*)\.([a-z0-9][a-z0-9-]*)\.svc\b")
_SHORT_HOST = re.compile(r"(?:https?|grpc|dns)://([a-z0-9][a-z0-9-]*[a-z0-9])(?=[:/\s\"']|$)", re.M)
"""A Service named without its namespace (`http://pricing:8080`): the namespace of the file that names it."""
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_RESOURCE_WORDS = {"heap": ("heap", "memory_allocated", "memory_physical"), "connections": ("connections", "cx_active")}


@dataclass(frozen=True)
class Guard:
    """One guard a written file holds."""

    kind: str
    """`cutoff` (a breaker's slow-call duration) or `shed` (an overload trigger on a resource)."""
    key: str
    """The data key of the ConfigMap that holds it."""
    setting: str
    """The setting as written (`...slowCallDurationThreshold=150ms`, the monitor and action of a shed point)."""
    level: float
    """The level it trips at: seconds for a cutoff, resource units (bytes, connections) for a shed point."""
    resource: str = ""
    """For a shed point: `heap` or `connections`."""
    hosts: tuple[tuple[str, str], ...] = ()
    """For a cutoff: the (service, namespace) the file names by URL, the callee first when its name fits."""


@dataclass
class Trip:
    """A guard that trips on the normal level, with what shows it."""

    target: Ref
    guard: Guard
    at: str
    minutes_before: int
    normal: str
    """The normal level as read, in words."""
    refusal: str
    evidence: list[str] = field(default_factory=list)


# ---- what a file holds -----------------------------------------------------------------------------------


def _seconds(path: str, value: str) -> float | None:
    """A cutoff as seconds: `150ms`, `2s`, `PT0.15S`, or a bare number in milliseconds (Spring's and Sentinel's
    default unit for these settings)."""
    text = str(value).strip().strip("'\"")
    m = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", text, re.I)
    if m:
        return float(m.group(1))
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) / 1000.0 if not re.search(r"(?:sec|seconds|_s)$", path, re.I) else float(text)
    return magnitude(text, "time")


def cutoffs(key: str, text: str) -> list[Guard]:
    """The breaker slow-call cutoffs a file holds, each with the services the file names by URL."""
    leaves = value_diff.leaves(text, key) or {}
    hosts = tuple(dict.fromkeys([*_HOST.findall(text), *((h, "") for h in _SHORT_HOST.findall(text))]))
    out = []
    for path, value in leaves.items():
        leaf = path.rsplit(".", 1)[-1]
        if not _CUTOFF_KEY.search(leaf) or not (_BREAKER_CONTEXT.search(path) or _BREAKER_CONTEXT.search(key)):
            continue
        seconds = _seconds(leaf, value)
        if seconds is None or seconds <= 0:
            continue
        words = {w for w in re.split(r"[^a-z0-9]+", path.lower()) if len(w) > 3}
        fit = sorted(hosts, key=lambda h: not any(w in h[0] for w in words))
        out.append(Guard("cutoff", key, f"{path}={value}", seconds, hosts=tuple(fit)))
    return out


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every mapping of a parsed document."""
    if isinstance(node, dict):
        return [node, *(m for v in node.values() for m in _walk(v))]
    if isinstance(node, list):
        return [m for v in node for m in _walk(v)]
    return []


def _monitor_max(monitor: dict[str, Any]) -> tuple[str, float] | None:
    """(resource, configured maximum) of a resource monitor: a heap size in bytes or a connection count."""
    for m in _walk(monitor):
        for k, v in m.items():
            key = str(k).lower()
            if not isinstance(v, (int, float, str)) or not re.fullmatch(r"\d+(?:\.\d+)?", str(v)):
                continue
            if "heap" in key or "memory" in key:
                return "heap", float(v)
            if "connection" in key and key.startswith("max"):
                return "connections", float(v)
    return None


def shed_points(key: str, text: str) -> list[Guard]:
    """The overload triggers a file holds: a refusing action's threshold times its monitor's maximum."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    out: list[Guard] = []
    for node in (m for d in docs for m in _walk(d)):
        manager = node.get("overload_manager") or node.get("overloadManager")
        if not isinstance(manager, dict):
            continue
        monitors = {str(m.get("name")): m for m in manager.get("resource_monitors") or manager.get(
            "resourceMonitors") or [] if isinstance(m, dict)}
        for action in (a for a in manager.get("actions") or [] if isinstance(a, dict)):
            name = str(action.get("name") or "")
            if not _REFUSING_ACTION.search(name):
                continue
            for trigger in (t for t in action.get("triggers") or [] if isinstance(t, dict)):
                monitor = monitors.get(str(trigger.get("name")))
                threshold = trigger.get("threshold") or {}
                value = threshold.get("value") if isinstance(threshold, dict) else None
                got = _monitor_max(monitor) if monitor else None
                if got is None or not isinstance(value, (int, float)) or not 0 < float(value) <= 1:
                    continue
                resource, maximum = got
                out.append(Guard("shed", key, f"overload_manager action {name} at threshold {value} of "
                                 f"{trigger.get('name')} (max {int(maximum)})", maximum * float(value), resource))
    return out


def texts(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, text) of every place an object may write a guard: a ConfigMap's data values; each container's literal
    env of a workload's pod template (`env:<container>`, as NAME=value lines: Spring relaxed binding reads
    `RESILIENCE4J_CIRCUITBREAKER_INSTANCES_X_SLOWCALLDURATIONTHRESHOLD` as the same setting); and the spec of any
    other kind, whole (`spec`) and each multi-line text in it (Envoy Gateway's EnvoyProxy carries a bootstrap as
    `spec.bootstrap.value`)."""
    out = [(str(k), v) for k, v in (obj.get("data") or {}).items() if isinstance(v, str)]
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    template = ((spec or {}).get("template") or {}).get("spec") or {}
    for c in [*(template.get("initContainers") or []), *(template.get("containers") or [])]:
        env = [f"{e['name']}={e['value']}" for e in c.get("env") or [] if isinstance(e, dict) and e.get("name")
               and isinstance(e.get("value"), (str, int, float))]
        if env:
            out.append((f"env:{c.get('name')}", "\n".join(env) + "\n"))
    if spec and not template and "data" not in obj:
        out.append(("spec", yaml.safe_dump(spec)))
        out += [(f"spec.{path}", text) for path, text in _multiline(spec, "")]
    return out


def _multiline(node: Any, path: str) -> list[tuple[str, str]]:
    """(path, text) of each multi-line string under a parsed spec."""
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _multiline(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _multiline(v, f"{path}[{i}]")]
    return [(path, node)] if isinstance(node, str) and "\n" in node else []


def guards(obj: dict[str, Any]) -> list[Guard]:
    """Every guard an object writes (`texts`): a ConfigMap's data, a workload's env, a proxy resource's spec."""
    out: list[Guard] = []
    for key, text in texts(obj):
        out += [g for g in cutoffs(key, text) + shed_points(key, text) if g not in out]
    return out


# ---- what the logs and series say ------------------------------------------------------------------------


def _refusal(lines: list[str], pattern: re.Pattern[str], since: datetime) -> str:
    """The first line at or after `since` (less the slack) that says the guard refused, or ""; a refusal
    printed before the write is not the write's."""
    for line in lines:
        if not pattern.search(line):
            continue
        stamp = _STAMP.search(line)
        when = parse_time(stamp.group(0)) if stamp else None
        if when is not None and when < since - SLACK:
            return ""
        return " ".join(line.split())[:200]
    return ""


def _users(facts: Facts, change: dict[str, Any], target: Ref) -> list[Ref]:
    """The workloads that read the file: the timeline's related objects, else workloads of its namespace rolled out
    within minutes after the write (a checksum or reloader roll)."""
    if target.kind in WORKLOADS:  # a guard in a workload's own env: its pods print the refusal
        return [target]
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
    if related:
        return related[:2]
    at = parse_time(change.get("at"))
    out: list[Ref] = []
    for other, _ in facts.every_change():
        ref, when = Ref.of(other.get("object")), parse_time(other.get("at"))
        if ref is None or when is None or at is None or other.get("type") != "rollout":
            continue
        if ref.namespace == target.namespace and timedelta(0) <= when - at <= timedelta(minutes=10):
            out.append(ref)
    return out[:2]


async def _lines(call: Call, workload: Ref, step: str) -> tuple[list[str], str]:
    pod = await pod_of(call, workload, f"{step}-pods")
    if not pod:
        return [], ""
    got = await call("k8s_logs", {"name": pod, "namespace": workload.namespace, "tail": 400}, f"{step}-log")
    if got is None or not got.ok:
        return [], ""
    return [ln for ln in str(got.full_text or "").splitlines()[1:] if ln.strip()], got.evidence_id


async def _level(call: Call, query: str, when: datetime, step: str) -> tuple[float | None, str]:
    got = await call("prom_query", {"query": query, "time": when.isoformat().replace("+00:00", "Z")}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    values = [float(s["value"]) for s in got.data.get("samples") or []
              if isinstance(s, dict) and isinstance(s.get("value"), (int, float))]
    return (max(values) if values else None), got.evidence_id


async def _series_names(call: Call, namespace: str, start: datetime, end: datetime, step: str) -> list[str]:
    labels = await _series_labels(call, namespace, start, end, step)
    return list(dict.fromkeys(n for n in (str(s.get("__name__") or "") for s in labels) if n))


# ---- reading ---------------------------------------------------------------------------------------------


def _recent_configs(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime]]:
    """The objects written within LEAD that may hold a guard: ConfigMaps, then proxy resources (an EnvoyProxy's
    bootstrap), then workloads whose written diff names a guard (a breaker or overload setting in their env)."""
    out: list[tuple[dict[str, Any], Ref, datetime]] = []
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in GUARD_KINDS or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        said = " ".join(str(x) for x in [change.get("summary") or "", *(change.get("diff") or [])])
        if target.kind in WORKLOADS and not (_CUTOFF_KEY.search(said) or "overload" in said.lower()):
            continue
        if not any(t.same_object(target) for _, t, _ in out):
            out.append((change, target, at))
    out.sort(key=lambda c: GUARD_KINDS.index(c[1].kind) if c[1].kind in GUARD_KINDS else len(GUARD_KINDS))
    return out[:MAX_CONFIGS]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each recently written ConfigMap that holds a guard, then what the guard's level meets."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    if store:
        return
    for change, target, when in _recent_configs(facts):
        step = f"survey-guard-{target.name}"
        obj = facts.object_named(target.kind, target.namespace, target.name)
        if obj is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace, step)
            obj = got[0] if got else None
        held = guards(obj) if obj else []
        if not held:
            continue
        trip = None
        for guard in held:
            trip = await (_cutoff_trip if guard.kind == "cutoff" else _shed_trip)(facts, call, change, target,
                                                                                   when, guard, step)
            if trip is not None:
                break
        if trip is not None:
            store[str(target)] = trip


async def _cutoff_trip(facts: Facts, call: Call, change: dict[str, Any], target: Ref, when: datetime, guard: Guard,
                       step: str) -> Trip | None:
    """The cutoff trips on normal answers: the callee answered above it before the write and no slower after,
    and the file's readers log the breaker's refusal from the write on."""
    refusal, evidence = "", list[str]()
    for log in facts.logs:
        for entry in log.entries():
            words = error_words(entry)
            first = parse_time(entry.get("first_seen"))
            if _OPEN.search(words) and (first is None or first >= when - SLACK):
                refusal, evidence = refusal or " ".join(words.split())[:200], [*evidence, log.evidence_id]
    for user in [] if refusal else _users(facts, change, target):
        lines, eid = await _lines(call, user, f"{step}-user-{user.name}")
        refusal = _refusal(lines, _OPEN, when)
        if refusal:
            evidence.append(eid)
            break
    if not refusal:
        return None
    for name, namespace in guard.hosts[:2]:
        namespace = namespace or target.namespace
        got = await _callee_latency(call, name, namespace, when, facts.at, f"{step}-callee-{name}")
        if got is None:
            continue
        before, after, series, eid = got
        if before < guard.level or (after is not None and after > 2 * before):
            return None  # the cutoff is above normal answers, or the callee itself slowed: not the guard's doing
        words = (f"{namespace}/{name} answered in {before * 1000:.0f} ms ({series}) in the half hour before the "
                 f"write" + (f" and {after * 1000:.0f} ms since" if after is not None else ""))
        return Trip(target, guard, str(change.get("at")), int((facts.at - when).total_seconds() // 60), words,
                    refusal, [e for e in (*evidence, eid) if e])
    return None


async def _callee_latency(call: Call, name: str, namespace: str, when: datetime, end: datetime,
                          step: str) -> tuple[float, float | None, str, str] | None:
    """The callee's answer time (seconds) over the half hour before the write and since, from its own latency
    series: a mean (`_sum` over `_count`) when it exports both, else its per-scrape maximum (`_max`)."""
    labels = await _series_labels(call, namespace, when - timedelta(minutes=30), end, f"{step}-series")
    mine = [lb for lb in labels if any(name == str(v) or name in str(v) for k, v in lb.items() if k in _OWNER_LABELS)]
    names = {str(lb.get("__name__") or "") for lb in mine}
    timed = sorted(n for n in names if re.search(r"seconds|latency|duration|response_time", n))
    select = f'{{namespace="{namespace}"}}'
    query = ""
    for n in timed:
        if n.endswith("_sum") and n[:-4] + "_count" in names:
            query = f"sum(rate({n}{select}[5m])) / sum(rate({n[:-4]}_count{select}[5m]))"
            break
    if not query:
        peak = next((n for n in timed if n.endswith("_max")), "")
        if not peak:
            return None
        query = f"avg({peak}{select})"
    span = max(timedelta(minutes=5), min(timedelta(minutes=30), end - when))
    before, eid = await _level(call, _over(query, "30m"), when - timedelta(minutes=1), f"{step}-before")
    after, _ = await _level(call, _over(query, f"{int(span.total_seconds() // 60)}m"), end, f"{step}-after")
    if before is None:
        return None
    return before, after, query.split("(")[-1].split("{")[0] if "_max" in query else query, eid


def _over(query: str, window: str) -> str:
    """The query averaged over the window before its evaluation time (a subquery at one-minute steps)."""
    return f"avg_over_time(({query})[{window}:1m])"


_OWNER_LABELS = ("job", "service", "app", "application", "container", "deployment", "pod")


async def _series_labels(call: Call, namespace: str, start: datetime, end: datetime,
                         step: str) -> list[dict[str, Any]]:
    page = await call("prom_series", {"match": f'{{namespace="{namespace}"}}', "limit": 500,
                                      "start": start.isoformat().replace("+00:00", "Z"),
                                      "end": end.isoformat().replace("+00:00", "Z")}, step)
    if page is None or not page.ok or not isinstance(page.data, dict):
        return []
    return [s for s in page.data.get("series") or [] if isinstance(s, dict)]


async def _shed_trip(facts: Facts, call: Call, change: dict[str, Any], target: Ref, when: datetime, guard: Guard,
                     step: str) -> Trip | None:
    """The shed point sits at or below the resource's steady level since the write, and the proxy sheds."""
    names = await _series_names(call, target.namespace, when, facts.at, f"{step}-series")
    words = _RESOURCE_WORDS[guard.resource]
    levels = [n for n in names if any(w in n for w in words) and not re.search(r"pressure|overload|max|limit", n)]
    level_name = levels[0] if levels else ""
    if not level_name:
        return None
    query = f'max({level_name}{{namespace="{target.namespace}"}})'
    now, eid = await _level(call, query, facts.at, f"{step}-level-now")
    mid, _ = await _level(call, query, when + (facts.at - when) / 2, f"{step}-level-mid")
    if now is None or mid is None or now < 0.97 * guard.level or abs(now - mid) > 0.1 * max(now, mid):
        return None  # the shed point is above the level, or the level climbs (a leak the guard rightly sheds)
    refusal = ""
    evidence = [eid]
    for user in _users(facts, change, target):
        lines, leid = await _lines(call, user, f"{step}-proxy-{user.name}")
        refusal = _refusal(lines, _SHED, when)
        if refusal:
            evidence.append(leid)
            break
    if not refusal:
        active = [n for n in names if re.search(r"overload|shed", n) and re.search(r"active|shed|reject", n)]
        for name in active[:2]:
            value, aeid = await _level(call, f'max({name}{{namespace="{target.namespace}"}})', facts.at,
                                       f"{step}-active")
            if value is not None and value >= 1:
                refusal, evidence = f"{name} = {value:g}", [*evidence, aeid]
                break
    if not refusal:
        return None
    unit = " MB" if guard.resource == "heap" else " connections"
    scale = 1e6 if guard.resource == "heap" else 1.0
    normal = (f"{level_name} holds steady at {now / scale:.0f}{unit} (shed point {guard.level / scale:.0f}{unit})")
    return Trip(target, guard, str(change.get("at")), int((facts.at - when).total_seconds() // 60), normal,
                refusal, [e for e in evidence if e])


# ---- the finding -----------------------------------------------------------------------------------------


def finding(t: Trip) -> dict[str, Any]:
    """The written guard, the normal level it sits under, and the refusal it produces; the setting early."""
    g = t.guard
    if g.kind == "cutoff":
        what = (f"{t.target} {g.key} sets the circuit breaker's slow-call cutoff {g.setting} ({g.level * 1000:.0f} "
                f"ms), written {t.minutes_before} min before the incident, below the callee's normal answer time: "
                f"{t.normal}. Every normal call counts as slow, so the breaker trips OPEN and refuses calls itself "
                f"('{t.refusal[:160]}') while the callee is healthy. Raise the cutoff above the callee's normal "
                f"latency (or restore its previous value)")
    else:
        what = (f"{t.target} {g.key} adds {g.setting}, written {t.minutes_before} min before the incident, at or "
                f"below the level the proxy normally runs at: {t.normal}. The proxy sheds healthy traffic itself "
                f"('{t.refusal[:160]}') while its backends are healthy. Raise the maximum or threshold above the "
                f"working set (or remove the action)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": t.target.kind, "namespace": t.target.namespace, "name": t.target.name},
            "reason": "GuardTripsOnNormalLevel", "message": what, "evidence": [t.refusal[:200]],
            "details": {"kind": g.kind, "setting": g.setting, "level": g.level, "change_at": t.at}}


def found(facts: Facts) -> list[Trip]:
    return [t for t in (facts.reads.get(READS) or {}).values() if isinstance(t, Trip)]


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written ConfigMap, explaining the refusals its guard produces."""
    return [(t.target, finding(t), list(dict.fromkeys(t.evidence)), []) for t in found(facts)]
