"""A language runtime's heap ceiling written at or above its container's memory limit, and the kernel OOM-killing
the container since.

A managed runtime collects garbage when its heap nears the ceiling it is told, not when the cgroup is full: V8
grows old space up to `--max-old-space-size` (MiB, in `NODE_OPTIONS` or the command), HotSpot up to `-Xmx` /
`-XX:MaxHeapSize` (or `-XX:MaxRAMPercentage` of the container's memory, JDK 8's `-XX:MaxRAMFraction` a divisor of
it; 100% leaves nothing for metaspace, threads and buffers), Go's collector paces itself to `GOMEMLIMIT`, .NET's to
`DOTNET_GCHeapHardLimit` (hexadecimal bytes) or `DOTNET_GCHeapHardLimitPercent` (a hexadecimal share). Set that
ceiling at or above the container's `limits.memory` (a value copied from a bigger VM, an env ConfigMap edited
for "more headroom") and the runtime never collects in time: the kernel ends the process at the cgroup limit,
exit code 137, reason OOMKilled, every few minutes, and callers see resets and 502s. The runtime's own log says
nothing (no "heap out of memory": it never reached its ceiling), so the error-led mechanisms have nothing to read.

This module pairs:

1. the setting: a write within LEAD to a workload (its env or args) or to a ConfigMap it reads its env from
   (`envFrom.configMapRef`, `valueFrom.configMapKeyRef`) that names such a setting; the value is read from the
   object as it is now (a ConfigMap edit's diff often shows only the key), and it is at or above the memory limit
   of the container that reads it;
2. the kill: that workload's pods, since the write, last terminated OOMKilled (the pod list), or the kubelet's
   `container_oom_events_total` rising.

The finding names the object that carries the setting (the ConfigMap when the env comes from one). Negative twins
stay out: a ceiling under the limit, a write that did not touch the setting, pods never OOM-killed, kills that
began before the write. Reading only; Secrets are never read (a Secret-held env is not followed).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.memory_setting import SLACK, _limit_bytes, _oom_restart, _size
from agent.triage.prom_reads import oom_events
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.heap_ceiling"
WEIGHT = 0.93
"""A runtime ceiling past the container's limit with the container OOM-killed since: above the callers whose
requests the kills fail and above a bare rollout, level with memory_setting."""
LEAD = timedelta(hours=24)
READS = "heap_ceiling"
MAX_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

_MIB = 1024 ** 2
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": _MIB, "mb": _MIB, "mib": _MIB,
          "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3, "t": 1024 ** 4, "tb": 1024 ** 4, "tib": 1024 ** 4}

_NODE = re.compile(r"--max[-_]old[-_]space[-_]size[= ](\d+)")
"""V8's old-space ceiling, in MiB."""
_XMX = re.compile(r"(?<![\w-])-Xmx(\d+)([kKmMgGtT]?)(?![\w])")
"""HotSpot/OpenJ9's maximum heap, bytes unless suffixed."""
_RAM_PCT = re.compile(r"-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)")
"""HotSpot's heap as a share of the container's memory."""
_MAX_HEAP = re.compile(r"-XX:MaxHeapSize=(\d+)([kKmMgGtT]?)(?![\w])")
"""HotSpot's long spelling of -Xmx (bytes unless suffixed)."""
_RAM_FRACTION = re.compile(r"-XX:MaxRAMFraction=(\d+)\b")
"""JDK 8's heap as the container's memory divided by a whole number (1 is all of it)."""
_GO = re.compile(r"\bGOMEMLIMIT=['\"]?(\d+)\s*([KMGT]i?B|B)?\b")
"""Go's soft memory limit (bytes, or B/KiB/MiB/GiB/TiB)."""
_DOTNET = re.compile(r"\b(?:DOTNET|COMPlus)_GCHeapHardLimit=['\"]?(?:0x)?([0-9A-Fa-f]+)\b")
""".NET's GC heap hard limit: the runtime reads the value as hexadecimal bytes."""
_DOTNET_PCT = re.compile(r"\b(?:DOTNET|COMPlus)_GCHeapHardLimitPercent=['\"]?(?:0x)?([0-9A-Fa-f]+)\b")
""".NET's GC heap hard limit as a share of the container's memory, in hexadecimal (0x64 is 100%)."""
KEYS = re.compile(r"max[-_]old[-_]space|NODE_OPTIONS|-Xmx|Xmx|MaxRAMPercentage|MaxHeapSize|MaxRAMFraction|"
                  r"JAVA_TOOL_OPTIONS|JAVA_OPTS|JDK_JAVA_OPTIONS|_JAVA_OPTIONS|GOMEMLIMIT|GCHeapHardLimit", re.I)
"""A write's diff naming a heap-ceiling setting (an env key or a flag)."""


@dataclass
class Ceiling:
    """One heap ceiling a container reads, where it comes from, and the container's memory limit."""

    workload: Ref
    carrier: Ref
    container: str
    setting: str
    ceiling: float
    limit: float
    at: datetime
    evidence: list[str] = field(default_factory=list)


@dataclass
class Hit:
    """The ceiling and the OOM kills of its workload since the write."""

    ceiling: Ceiling
    said: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def ceilings_in(text: str, limit: float) -> list[tuple[str, float]]:
    """(setting as written, ceiling in bytes) for each runtime heap ceiling a text carries."""
    out: list[tuple[str, float]] = []
    for m in _NODE.finditer(text):
        out.append((m[0], float(m[1]) * _MIB))
    for m in _XMX.finditer(text):
        out.append((m[0], float(m[1]) * _UNITS[m[2].lower()]))
    for m in _RAM_PCT.finditer(text):
        out.append((m[0], limit * float(m[1]) / 100))
    for m in _MAX_HEAP.finditer(text):
        out.append((m[0], float(m[1]) * _UNITS[m[2].lower()]))
    for m in _RAM_FRACTION.finditer(text):
        if int(m[1]) > 0:
            out.append((m[0], limit / int(m[1])))
    for m in _DOTNET_PCT.finditer(text):
        out.append((m[0], limit * int(m[1], 16) / 100))
    for m in _GO.finditer(text):
        out.append((m[0], float(m[1]) * _UNITS[(m[2] or "").lower()]))
    for m in _DOTNET.finditer(text):
        out.append((m[0], float(int(m[1], 16))))
    return out


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in spec.get("containers") or [] if isinstance(c, dict)]


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _object(facts: Facts, kind: str, namespace: str, name: str) -> tuple[dict[str, Any], str] | None:
    for obj, evidence in [*facts.objects, *(_store(facts).get("objects") or [])]:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == kind and meta.get("name") == name and (meta.get("namespace") or "") == namespace:
            return obj, evidence
    return None


def _recent(facts: Facts) -> list[tuple[Ref, Ref, datetime, str, str]]:
    """(written object, workload, when, diff text, evidence) for each write within LEAD to a workload or to a
    ConfigMap a workload reads."""
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or target.kind not in (*WORKLOADS, "ConfigMap"):
            continue
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        workloads = [target] if target.kind in WORKLOADS else []
        workloads += [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                      and r.kind in WORKLOADS]
        out += [(target, w, at, text, evidence) for w in workloads]
    return out


@dataclass(frozen=True)
class _Line:
    """One env line (or arg) a container reads from a carrier, with the ConfigMap key it comes from."""

    text: str
    key: str = ""


def _env_text(facts: Facts, container: dict[str, Any], namespace: str, carrier: Ref) -> list[_Line]:
    """The container's env lines (`NAME=value`) and args that come from `carrier`: its own env and args when the
    carrier is the workload, the ConfigMap's keys it reads (with the key) when the carrier is a ConfigMap."""
    if carrier.kind != "ConfigMap":
        lines = [_Line(str(t)) for t in (container.get("command") or []) + (container.get("args") or [])]
        lines += [_Line(f"{e.get('name')}={e.get('value')}") for e in container.get("env") or []
                  if isinstance(e, dict) and e.get("value") is not None]
        return lines
    got = _object(facts, "ConfigMap", namespace, carrier.name)
    data = {str(k): str(v) for k, v in (((got[0].get("data") or {}) if got else {}).items())}
    lines = []
    for source in container.get("envFrom") or []:
        ref = (source or {}).get("configMapRef") or {}
        if ref.get("name") == carrier.name:
            prefix = str((source or {}).get("prefix") or "")
            lines += [_Line(f"{prefix}{k}={v}", k) for k, v in data.items()]
    for e in container.get("env") or []:
        ref = ((e or {}).get("valueFrom") or {}).get("configMapKeyRef") or {}
        if ref.get("name") == carrier.name and ref.get("key") in data:
            lines.append(_Line(f"{e.get('name')}={data[ref['key']]}", str(ref["key"])))
    return lines


def carried(facts: Facts) -> list[Ceiling]:
    """Each container of a recently written workload (or of the workload reading a written ConfigMap) whose heap
    ceiling, from the written object, is at or above the container's memory limit."""
    out: list[Ceiling] = []
    for carrier, workload, at, text, evidence in _recent(facts):
        got = _object(facts, workload.kind, workload.namespace, workload.name)
        if got is None:
            continue
        for container in _containers(got[0]):
            limit = _limit_bytes(((container.get("resources") or {}).get("limits") or {}).get("memory"))
            if not limit:
                continue
            lines = _env_text(facts, container, workload.namespace, carrier)
            for line in lines:
                if not KEYS.search(text) and not (line.key and re.search(rf"\b{re.escape(line.key)}\b", text)):
                    continue  # a write to other keys or fields (image, replicas, LOG_LEVEL)
                for setting, ceiling in ceilings_in(line.text, limit):
                    if ceiling >= limit and not any(c.carrier.same_object(carrier) and c.workload.same_object(
                            workload) for c in out):
                        out.append(Ceiling(workload, carrier, str(container.get("name") or ""), setting, ceiling,
                                           limit, at, [e for e in (evidence, got[1]) if e]))
    return out


def found(facts: Facts) -> list[Hit]:
    """Each ceiling whose workload's pods are OOM-killed since the write."""
    out: list[Hit] = []
    for c in carried(facts):
        key = f"{c.workload.namespace}/{c.workload.name}"
        killed = _scan_kill(facts, c) or (_store(facts).get("restarted") or {}).get(key)
        oom = (_store(facts).get("oom") or {}).get(key)
        if killed:
            said, evidence = killed[0], [killed[1]]
        elif oom:
            said, evidence = f"container_oom_events_total rose by {oom[0]:g} since the write", [oom[1]]
        else:
            continue
        minutes = int((facts.at - c.at).total_seconds() // 60)
        out.append(Hit(c, " ".join(said.split())[:200], minutes, [*c.evidence, *evidence]))
    return out


def _scan_kill(facts: Facts, c: Ceiling) -> tuple[str, str] | None:
    """The scan's OOMKilled finding on the workload, when its kills began after the write (its `since`)."""
    for f in (facts.scan or {}).get("findings") or []:
        ref = Ref.of((f or {}).get("object"))
        if ref is None or not ref.same_object(c.workload) or (f.get("reason") or "") != "OOMKilled":
            continue
        since = parse_time(f.get("since") or (f.get("details") or {}).get("last_finished"))
        if since is not None and since >= c.at - SLACK:
            return str(f.get("message") or ""), facts.scan_id or ""
    return None


def finding(h: Hit) -> dict[str, Any]:
    """The finding: where the ceiling is, what it means against the limit, the kills; meaning first."""
    c = h.ceiling
    via = "" if c.carrier.same_object(c.workload) else f" (container {c.container} of {c.workload} reads it)"
    message = (f"{c.carrier} sets the runtime heap ceiling {c.setting}{via}, written "
               f"{minutes_text(h.minutes_before)} before the incident: the heap may grow to {_size(c.ceiling)}, "
               f"at or above the container's {_size(c.limit)} memory limit, so the runtime does not collect "
               f"garbage before the kernel OOM-kills the container (exit 137): {h.said[:160]}. Set the heap "
               f"ceiling below the memory limit (about 75%) in {c.carrier.name}, or raise the limit")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.carrier.kind, "namespace": c.carrier.namespace, "name": c.carrier.name},
            "reason": "HeapCeilingOverLimit", "message": message, "evidence": [h.said[:200]],
            "details": {"setting": c.setting, "ceiling": c.ceiling, "memory_limit": c.limit,
                        "workload": str(c.workload)}}


# ---- reading ---------------------------------------------------------------------------------------------


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the workloads and ConfigMaps recent writes touched (a ConfigMap edit's diff shows
    no values), then, for a ceiling past its limit, the workload's pods (OOMKilled since the write) and the
    kubelet's OOM counter."""
    store = _store(facts)
    reads = 0
    for carrier, workload, _, text, _ in _recent(facts):
        if not KEYS.search(text) and carrier.kind != "ConfigMap":
            continue  # a workload write that names no ceiling; a ConfigMap edit's diff may name only its key
        for ref in (workload, carrier):
            if reads >= 2 * MAX_READS or _object(facts, ref.kind, ref.namespace, ref.name) is not None:
                continue
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-heap-{ref.name}")
            reads += 1
            if got is not None:
                store.setdefault("objects", []).append(got)
    for c in carried(facts)[:MAX_READS]:
        key = f"{c.workload.namespace}/{c.workload.name}"
        listed = await call("k8s_list", {"kind": "Pod", "namespace": c.workload.namespace},
                            f"survey-heap-{c.workload.name}-pods")
        rows = [r for r in rows_of(listed) if workload_of_pod(str(r.get("name") or "")) == c.workload.name]
        killed = _oom_restart(rows, c.at)
        if killed:
            store.setdefault("restarted", {})[key] = (killed, listed.evidence_id)
            continue
        oom = await oom_events(call, c.workload.namespace, c.workload.name, c.at, facts.at,
                               f"survey-heap-{c.workload.name}-oom")
        if oom is not None:
            store.setdefault("oom", {})[key] = oom


__all__ = ["CHECK", "WEIGHT", "Ceiling", "Hit", "carried", "ceilings_in", "finding", "found", "read"]
