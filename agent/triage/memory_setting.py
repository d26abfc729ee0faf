"""A database memory setting that is paid per connection (or per operation) raised past what the server's
container can hold, and the kernel OOM-killing the server's processes since.

Some database settings are not a budget but a per-use allowance: PostgreSQL's `work_mem` may be used by EVERY
sort or hash node of EVERY query on EVERY connection (`hash_mem_multiplier` times more for hashes), and
`maintenance_work_mem` / `autovacuum_work_mem` by every maintenance worker; MySQL's `sort_buffer_size`,
`join_buffer_size`, `read_buffer_size`, `read_rnd_buffer_size` and `tmp_table_size` are allocated per session
(per join, per sort). Raised to speed up one report, the setting times the connections the server allows
(`max_connections`, documented defaults 100 and 151) exceeds the container's memory limit, and at the next busy
hour the kernel's OOM killer ends a process: PostgreSQL logs `server process (PID n) was terminated by signal 9:
Killed`, `terminating any other active server processes` and runs crash recovery (its clients read `the database
system is in recovery mode`, `Connection terminated unexpectedly`); mysqld dies and the container restarts
OOMKilled. The callers' errors name no setting, so the error-led mechanisms have nothing to read.

This module pairs:

1. the setting: a write in the last 24 h to a workload (its args, command, env; read back when the timeline
   shows a recreate without a revision) or to a ConfigMap it reads (a postgresql.conf / my.cnf line) that holds
   such a setting, raised (old value known) or, old value unknown, so large that the setting times the allowed
   connections passes the container's memory limit;
   A database operator's resource (CloudNativePG, Zalando, Crunchy, mariadb-operator, Percona) counts as the
   workload: its spec holds the parameters and the memory limit, its pods are named after it;
2. the kill, on that workload's own pods from the write on: the server's own wording (signal 9, OOM), a
   container last terminated OOMKilled, or the kubelet's `container_oom_events_total` rising; or, where the
   kernel does not kill (overcommit off), the server's own allocation refused (PostgreSQL `ERROR: out of memory`
   / `Failed on request of size`, MySQL/MariaDB `Out of memory (Needed N bytes)`).

Negative twins stay out: a raised setting whose product still fits the limit, a server that is not being
killed, kills that began before the write, a setting lowered. Reading only; Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.prom_reads import oom_events
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.memory_setting"
WEIGHT = 0.93
"""A per-connection memory allowance past the container's limit, with the server being OOM-killed: above the
callers whose connections the kills reset (their errors are the symptom)."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "memory_setting"
MAX_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", *("Cluster", "postgresql", "PostgresCluster", "MariaDB",
                                                          "PerconaXtraDBCluster"))
"""Workloads, and the database operators' resources that carry the server's settings and run its pods: CloudNativePG
`Cluster` and Zalando `postgresql` (spec.postgresql.parameters), Crunchy `PostgresCluster` (spec.patroni.
dynamicConfiguration.postgresql.parameters), mariadb-operator `MariaDB` (spec.myCnf), Percona XtraDB
(spec.pxc.configuration)."""


@dataclass(frozen=True)
class Knob:
    """One per-use memory setting: its name, the unit of a bare number, and what one use of it is."""

    key: str
    unit: int
    """Bytes of a bare number: PostgreSQL memory settings are in kB, MySQL's in bytes."""
    per: str
    connections: int
    """The engine's documented default max_connections, used when the setting is not visible."""


_PG, _MY = 1024, 1
KNOBS: tuple[Knob, ...] = (
    Knob("work_mem", _PG, "sort or hash operation of every query on every connection", 100),
    Knob("maintenance_work_mem", _PG, "maintenance operation (vacuum, index build) of every worker", 100),
    Knob("autovacuum_work_mem", _PG, "autovacuum worker", 100),
    Knob("temp_buffers", _PG, "session (temporary tables)", 100),
    Knob("sort_buffer_size", _MY, "session that sorts", 151),
    Knob("join_buffer_size", _MY, "join of every session", 151),
    Knob("read_buffer_size", _MY, "session that scans", 151),
    Knob("read_rnd_buffer_size", _MY, "session that reads sorted rows", 151),
    Knob("tmp_table_size", _MY, "in-memory temporary table of every session", 151),
    Knob("max_heap_table_size", _MY, "in-memory (MEMORY/temporary) table of every session", 151),
    Knob("binlog_cache_size", _MY, "session's transaction (binary log cache)", 151),
    Knob("bulk_insert_buffer_size", _MY, "session's bulk insert", 151),
)
_BY_KEY = {k.key: k for k in KNOBS}

_SETTING = re.compile(r"(?<!\w)(?P<key>" + "|".join(k.key.replace("_", "[_-]") for k in KNOBS) + r"|"
                      r"max[_-]connections)\s*(?:=|:\s|\s)\s*['\"]?(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[kKmMgGtT]i?[bB]?)?"
                      r"(?![\w.])", re.I)
"""`work_mem=1GB` (a `-c` flag), `work_mem = 64MB` (postgresql.conf), `--sort-buffer-size=256M`, `sort_buffer_size
= 4194304` (my.cnf): the setting and its value wherever a workload carries it."""

_UNITS = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}

KILLED = re.compile(r"terminated by signal (?:9\b|#)|\bsignal 9\b|"
                    r"Out of memory: Kill(?:ed)? process|\bOOM[- ]?kill|oom-kill|\bOOMKilled\b|"
                    r"(?:mysqld|mariadbd) got signal (?:9\b|#)|System OOM encountered", re.I)
"""The server's own (or the kernel's, or the kubelet's `System OOM encountered, victim process`) wording for a
process the OOM killer ended."""
REFUSED = re.compile(r"Failed on request of size \d+|\bERROR:\s+out of memory|Out of memory \(Needed \d+ bytes\)|"
                     r"\bEE?R_OUTOFMEMORY\b", re.I)
"""The server's own allocation failing (no kill: memory overcommit off, a cgroup at its limit): PostgreSQL `ERROR:
out of memory` / `DETAIL: Failed on request of size N in memory context "ExecutorState"`, MySQL `Out of memory
(Needed N bytes)` (ER_OUTOFMEMORY)."""
_OUT_OF_MEMORY = re.compile(f"{KILLED.pattern}|{REFUSED.pattern}", re.I)
"""Either: the process killed for memory, or the server's own allocation refused."""
AFTERMATH = re.compile(r"terminating any other active server processes|in recovery mode|automatic recovery in "
                       r"progress|crash of another server process", re.I)
"""PostgreSQL after a backend is killed: every connection is reset and the server runs crash recovery."""


@dataclass
class Carried:
    """A per-use memory setting a recently written object carries, with what the container can hold."""

    target: Ref
    knob: Knob
    value: str
    old: str | None
    connections: int
    limit: float | None
    at: datetime
    evidence: list[str] = field(default_factory=list)

    def product(self) -> float:
        return (_bytes(self.value, self.knob.unit) or 0.0) * self.connections


@dataclass
class Hit:
    """The setting, and the OOM kills on its server since the write."""

    carried: Carried
    said: str
    how: str
    minutes_before: int
    after: str = ""
    evidence: list[str] = field(default_factory=list)


def _bytes(value: str | None, unit: int) -> float | None:
    """A memory value in bytes: a bare number in the engine's unit, else kB/MB/GB (binary, as both engines read)."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT])?i?[bB]?\s*", value)
    if m is None:
        return None
    return float(m[1]) * (_UNITS[m[2].lower()] if m[2] else unit)


def _limit_bytes(text: str | None) -> float | None:
    """A Kubernetes memory quantity (`8Gi`, `512M`, `1073741824`) in bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTE]i?|[kmgt])?\s*", str(text or ""))
    if m is None:
        return None
    unit = m[2] or ""
    scale = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "K": 1e3, "k": 1e3, "M": 1e6,
             "G": 1e9, "T": 1e12}.get(unit, 1)
    return float(m[1]) * scale


def settings_in(text: str) -> dict[str, str]:
    """The per-use memory settings and max_connections a text carries (last one wins, as the servers read)."""
    out: dict[str, str] = {}
    for m in _SETTING.finditer(text.replace("\\n", "\n")):  # a diff quotes a file's lines with escaped newlines
        out[m["key"].lower().replace("-", "_")] = m["value"] + (m["unit"] or "")
    return out


def _sides(diff: list[str]) -> tuple[str, str]:
    """The old and new sides of a change's diff lines (`a -> b`); a line with no arrow counts as new. A field path
    with its old value (`spec.postgresql.parameters.work_mem '64MB' -> '1GB'`) gives its path to the new value."""
    old, new = [], []
    for line in diff:
        if " -> " in line:
            a, b = line.split(" -> ", 1)
            keyed = re.fullmatch(r"\s*(?P<key>\S+)\s+(?:'[^']*'|\"[^\"]*\"|\S+)\s*", a)
            if keyed and re.fullmatch(r"\s*(?:'[^']*'|\"[^\"]*\"|[^\s=:]+)\s*", b):
                b = f"{keyed['key']} {b.strip()}"
            old.append(a)
            new.append(b)
        else:
            new.append(line)
    return "\n".join(old), "\n".join(new)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in spec.get("containers") or [] if isinstance(c, dict)]


def _object_text(obj: dict[str, Any]) -> str:
    """The settings a workload's containers carry: args, command and env values (never a Secret's value); for a
    database operator's resource, the settings its spec holds (parameters maps, my.cnf texts)."""
    parts: list[str] = []
    for c in _containers(obj):
        parts += [str(t) for t in (c.get("command") or []) + (c.get("args") or [])]
        parts += [f"{e.get('name')}={e.get('value')}" for e in c.get("env") or [] if isinstance(e, dict)
                  and e.get("value") is not None]
    if not _containers(obj):
        parts += _spec_settings(obj.get("spec"), 0)
    return "\n".join(parts)


def _spec_settings(node: Any, depth: int) -> list[str]:
    """`key=value` for each scalar of an operator's spec (CloudNativePG/Zalando `postgresql.parameters`, Crunchy's
    patroni parameters) and each multi-line text in it (mariadb-operator `myCnf`, Percona `configuration`)."""
    if depth > 6:
        return []
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                out += _spec_settings(value, depth + 1)
            elif isinstance(value, str) and "\n" in value:
                out.append(value)
            elif value is not None:
                out.append(f"{key}={value}")
    elif isinstance(node, list):
        for item in node:
            out += _spec_settings(item, depth + 1)
    return out


def _memory_limit(obj: dict[str, Any]) -> float | None:
    """The largest container memory limit; an operator's resource keeps it at spec.resources (CloudNativePG,
    Zalando, mariadb-operator) or per instance set (Crunchy spec.instances[].resources)."""
    spec = obj.get("spec") or {}
    instances = spec.get("instances")
    sets: list[Any] = instances if isinstance(instances, list) else []  # CloudNativePG: a count
    resources = [c.get("resources") or {} for c in _containers(obj)] or [spec.get("resources") or {}] + [
        (i.get("resources") or {}) for i in sets if isinstance(i, dict)]
    limits = [_limit_bytes(((r or {}).get("limits") or {}).get("memory")) for r in resources if isinstance(r, dict)]
    known = [x for x in limits if x]
    return max(known) if known else None


def _object(facts: Facts, ref: Ref) -> dict[str, Any] | None:
    for obj, _ in [*facts.objects, *(_store(facts).get("objects") or [])]:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == ref.kind and meta.get("name") == ref.name and (meta.get("namespace") or "") == \
                ref.namespace:
            return obj  # type: ignore[no-any-return]
    return None


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _recent(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, datetime]]:
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or change.get("type") == "secret":
            continue
        out.append((change, evidence, target, at))
    return out


def carried(facts: Facts) -> list[Carried]:
    """Each recently written workload (or the workload reading a written ConfigMap) that carries a per-use
    memory setting raised, or past its container's memory limit when multiplied by the connections allowed."""
    out: list[Carried] = []
    for change, evidence, target, at in _recent(facts):
        old_text, new_text = _sides([str(d) for d in change.get("diff") or []])
        workloads = [target] if target.kind in WORKLOADS else []
        workloads += [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                      and r.kind in WORKLOADS]
        for ref in workloads:
            obj = _object(facts, ref)
            now = settings_in(new_text)
            if obj is not None and (ref is target):
                now = {**settings_in(_object_text(obj)), **now}
            before = settings_in(old_text)
            limit = _memory_limit(obj) if obj is not None else None
            for key, value in now.items():
                knob = _BY_KEY.get(key)
                if knob is None or any(c.target.same_object(ref) and c.knob is knob for c in out):
                    continue
                connections = int(float(now.get("max_connections") or before.get("max_connections")
                                        or knob.connections))
                c = Carried(ref, knob, value, before.get(key), connections, limit, at, [evidence] if evidence else [])
                if _harmful(c):
                    out.append(c)
    return out


def _harmful(c: Carried) -> bool:
    """Raised past the old value (when the diff shows it) and, where the limit is known, the setting times the
    connections allowed passes the container's memory limit; a value that fits is no cause."""
    new, old = _bytes(c.value, c.knob.unit), _bytes(c.old, c.knob.unit)
    if new is None or (old is not None and new <= old):
        return False
    if c.limit is not None:
        return c.product() > c.limit
    return old is not None and new >= 4 * old


def _runs(target: Ref, pod: str) -> bool:
    """Whether the pod is the target's: its workload by name, or (an operator's resource) named after it
    (CloudNativePG `<cluster>-1`, Crunchy `<cluster>-<set>-<hash>-0`)."""
    operator = target.kind not in ("Deployment", "StatefulSet", "DaemonSet")
    return workload_of_pod(pod) == target.name or (operator and pod.startswith(f"{target.name}-"))


def _kills(facts: Facts, c: Carried) -> tuple[str, str, list[str]] | None:
    """The OOM kills on the carrying workload's pods from the write on: (what was said, aftermath, evidence)."""
    for log in [*facts.logs, *_logs(facts)]:
        if log.namespace != c.target.namespace or not _runs(c.target, log.pod):
            continue
        said, after, first = "", "", None
        for e in [log.top or {}, *log.more, *log.warnings]:
            text = error_words(e)
            when = parse_time(e.get("first_seen"))
            if _OUT_OF_MEMORY.search(text) and not said:
                said, first = str(e.get("example") or e.get("message") or e.get("template") or ""), when
            elif AFTERMATH.search(text) and not after:
                after = str(e.get("example") or e.get("message") or e.get("template") or "")
        for line in log.last_lines:
            if _OUT_OF_MEMORY.search(line) and not said:
                said = line
            elif AFTERMATH.search(line) and not after:
                after = line
        if said and (first is None or first >= c.at - SLACK):
            return said, after, [log.evidence_id]
    read = (_store(facts).get("said") or {}).get(f"{c.target.namespace}/{c.target.name}")
    if read:
        first = parse_time(read[2])
        if first is None or first >= c.at - SLACK:
            return read[0], read[1], [read[3]]
    restarted = (_store(facts).get("restarted") or {}).get(f"{c.target.namespace}/{c.target.name}")
    if restarted:
        return restarted[0], "", [restarted[1]]
    oom = (_store(facts).get("oom") or {}).get(f"{c.target.namespace}/{c.target.name}")
    if oom:
        return f"container_oom_events_total rose by {oom[0]:g} since the write", "", [oom[1]]
    return None


_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")


def _said(text: str) -> tuple[str, str, str] | None:
    """A kill line of a pod's log (a line as printed rather than a `repeated Nx` template when both are there),
    the first aftermath line after a kill, and when the first kill was logged."""
    said, after, first = "", "", ""
    for line in text.splitlines():
        raw = not line.startswith("repeated ")
        line = re.sub(r"^repeated \d+x: ", "", line)
        m = _OUT_OF_MEMORY.search(line)
        if m and (not said or (raw and "#" in said)):
            said = _from(line, m.start())
            stamp = _STAMP.search(line)
            first = first or (f"{stamp[1]}T{stamp[2]}Z" if stamp else "")
        elif said and (not after or (raw and "#" in after)) and (a := AFTERMATH.search(line)):
            after = _from(line, a.start())
    return (said, after, first) if said else None


def _from(line: str, start: int) -> str:
    """The line from a few words before the match: the meaning, not the timestamp and process prefix."""
    marks = [m.end() for m in _LEVEL.finditer(line, 0, start + 1)]
    if marks:
        return line[marks[-1]:].strip()
    cut = line.rfind(" ", 0, max(start - 30, 0)) if start > 40 else -1
    return line[cut + 1:].strip()


_LEVEL = re.compile(r"\b(?:LOG|FATAL|ERROR|PANIC|WARNING|Warning|Note|System)\]?:\s+|"
                    r"\[(?:ERROR|Warning|Note|System)\]\s+(?:\[[^\]]*\]\s+)*")
"""A server's level marker (`LOG:  `, `[ERROR] [MY-013183] [Server] `): the message starts after it."""


def _oom_restart(rows: list[dict[str, Any]], since: datetime) -> str:
    """A pod of the workload whose container last terminated OOMKilled after the write (the pod list's problem
    or status column): mysqld or redis-server killed whole, the container restarted."""
    for row in rows:
        said = f"{row.get('status') or ''} {row.get('problem') or ''}"
        last = parse_time(row.get("last_restart"))
        if "OOMKilled" in said and (last is None or last >= since - SLACK):
            return f"pod {row.get('name')} {' '.join(str(row.get('problem') or row.get('status')).split())}"
    return ""


def _logs(facts: Facts) -> list[LogEvidence]:
    others = (facts.reads.get("limit_hit") or {}).get("logs") or []
    return [x for x in [*others, *(_store(facts).get("logs") or [])] if isinstance(x, LogEvidence)]


def found(facts: Facts) -> list[Hit]:
    """Each carried setting whose server is being OOM-killed since the write."""
    out: list[Hit] = []
    for c in carried(facts):
        kills = _kills(facts, c)
        if kills is None:
            continue
        said, after, evidence = kills
        minutes = int((facts.at - c.at).total_seconds() // 60)
        how = "refused" if REFUSED.search(said) and not KILLED.search(said) else "killed"
        out.append(Hit(c, " ".join(said.split())[:200], how, minutes, " ".join(after.split())[:160],
                       [*c.evidence, *evidence]))
    return out


def _size(value: float) -> str:
    for unit, scale in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} bytes"


def finding(h: Hit) -> dict[str, Any]:
    """The finding: the setting, why it is per use, the product against the memory limit, the kills; meaning first."""
    c = h.carried
    was = f" (was {c.old})" if c.old else ""
    limit = f"the container's {_size(c.limit)} memory limit" if c.limit else "the container's memory"
    message = (f"{c.target} runs with {c.knob.key}={c.value}{was}, written {minutes_text(h.minutes_before)} before "
               f"the incident: {c.knob.key} is memory allowed per {c.knob.per}, so {c.value} x up to "
               f"{c.connections} connections ({_size(c.product())}) exceeds {limit}; "
               + ("the kernel OOM-kills the server's processes" if h.how == "killed" else
                  "the server runs out of memory (OOM) and its queries' allocations fail")
               + f": '{h.said[:160]}'"
               + (f", then '{h.after}' (every connection reset, crash recovery)" if h.after else "")
               + f". Lower {c.knob.key} on {c.target.name} (or set it per role or per query), not the clients")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "reason": "MemorySettingOOM", "message": message, "evidence": [h.said[:200]],
            "details": {"setting": c.knob.key, "value": c.value, "old": c.old, "connections": c.connections,
                        "memory_limit": c.limit}}


# ---- reading ---------------------------------------------------------------------------------------------


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the current template of workloads a recent change touched (a recreate shows no
    values), then, for those carrying a harmful setting, their pod's logs and the kubelet's OOM counter."""
    store = _store(facts)
    reads = 0
    for _, _, target, _ in _recent(facts):
        if reads >= MAX_READS or target.kind not in WORKLOADS or _object(facts, target) is not None:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-memory-{target.name}")
        reads += 1
        if got is not None and settings_in(_object_text(got[0])):
            store.setdefault("objects", []).append(got)
    for c in carried(facts)[:MAX_READS]:
        key = f"{c.target.namespace}/{c.target.name}"
        listed = await call("k8s_list", {"kind": "Pod", "namespace": c.target.namespace},
                            f"survey-memory-{c.target.name}-pods")
        rows = [r for r in (listed.data.get("rows") or [] if listed is not None and listed.ok
                            and isinstance(listed.data, dict) else [])
                if isinstance(r, dict) and workload_of_pod(str(r.get("name") or "")) == c.target.name]
        killed = _oom_restart(rows, c.at)
        if killed:
            store.setdefault("restarted", {})[key] = (killed, listed.evidence_id)
        pod = str(rows[0].get("name")) if rows else ""
        if pod:
            got_log = await call("k8s_logs", {"name": pod, "namespace": c.target.namespace, "tail": 500},
                                 f"survey-memory-{c.target.name}-log")
            if got_log is not None and got_log.ok:
                said = _said(str(got_log.full_text or ""))
                if said is not None:
                    store.setdefault("said", {})[key] = (*said, got_log.evidence_id)
        oom = await oom_events(call, c.target.namespace, c.target.name, c.at, facts.at,
                               f"survey-memory-{c.target.name}-oom")
        if oom is not None:
            store.setdefault("oom", {})[key] = oom
