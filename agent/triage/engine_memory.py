"""A batch or stream engine's memory setting lowered in its custom resource, and the engine's pods killed at their
memory limit since.

Spark on Kubernetes, Flink, Ray and Argo Workflows do not run a Deployment whose `resources.limits.memory` a
timeline diff shows: an operator reads a custom resource (SparkApplication `spec.executor.memory` /
`memoryOverhead`, FlinkDeployment `spec.taskManager.resource.memory` or `taskmanager.memory.process.size`,
RayCluster `workerGroupSpecs[].template...limits.memory`, a Workflow(Template)'s `templates[].container.resources`)
and sizes each pod's container limit from it (Spark: memory + memoryOverhead). Lowered to pack more pods per node,
the part of the process that lives off the JVM heap (PySpark workers, shuffle and network buffers, RocksDB, Arrow)
no longer fits: the kernel kills the container at its limit, exit code 137 (128 + SIGKILL), reason OOMKilled. The
engine then reports its own wording (Spark `The executor with id 6 exited with exit code 137(SIGKILL, possible
container OOM)`, `ExecutorLostFailure`, the operator's `failed with ExitCode: 137, Reason: OOMKilled`; Flink
`TaskManager ... lost`/`OOMKilled`; Ray `worker died ... OOM`), retries, and the job aborts. The scan groups the
failed pods under the custom resource, but the resource's write is where the cause is, and nothing else ties the
kill to it: the memory field's old value is often not recorded (a `kubectl edit` leaves only managedFields).

This module pairs:

1. the write: within LEAD before the incident, a write to a custom resource (any kind that is not a built-in
   workload, whose own diffs the generic bound checks read) whose changed field names memory (memory,
   memoryOverhead, heap, process.size, limits.memory), lowered when both values are known (a raise is left out),
   or with its old value not recorded; read from the timeline (a 24 h one is asked for when a kill is seen) or, when
   the timeline has none, from the resource's own managedFields;
2. the kill, of that resource's own pods, after the write: the scan's findings on the resource, the timeline's events
   on it, or the logs of pods named after it, in the kernel's or the engine's words for a container killed at its
   memory limit (OOMKilled, exit code 137, SIGKILL possible container OOM).

Negative twins stay out: a memory raise, a write to another field (image, instances), kills seen before the write,
a write to a resource whose pods are not the ones killed. Reading only; Secrets are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.engine_memory"
WEIGHT = 0.94
"""Above the scan's failed-pods finding on the same resource (its symptom) and a neighbour's rollout."""
STORE = "engine_memory"
LEAD = timedelta(hours=24)
HISTORY_WINDOW = "24h"
MAX_READS = 2
MAX_PODS = 4

BUILTIN = frozenset(k.lower() for k in (
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ConfigMap", "Secret",
    "Service", "Node", "Namespace", "HorizontalPodAutoscaler", "LimitRange", "ResourceQuota", "Event",
    "PersistentVolumeClaim", "PersistentVolume", "Ingress", "ServiceAccount", "NetworkPolicy",
    "PodDisruptionBudget", "VerticalPodAutoscaler"))
"""Kinds whose memory writes the generic bound checks read from their diffs (a container limit old -> new)."""

MEMORY = re.compile(r"memory|\bheap|process\.size|\bxmx|[._]mem\b|\bram\b", re.I)
"""A field path that names a memory amount (SparkApplication executor.memory / memoryOverhead, Flink
taskmanager.memory.process.size, a container's limits.memory)."""

KILL = re.compile(r"OOM ?Kill|exit(?:ed)?(?: with)? ?code:? ?137|ExitCode:? ?137|exit status 137|container OOM|"
                  r"SIGKILL[^.\n]{0,40}OOM|memory limit (?:was )?exceeded|exceeded (?:its |the )?memory limit|"
                  r"Killed process \d+|oom[-_ ]killer|killed by the OOM", re.I)
"""The kernel's and the engines' words for a container killed at its memory limit."""

_PATH = re.compile(r"^(?P<path>[\w.\[\]=/-]+?)(?::\s+(?P<old>.+?)\s+->\s+(?P<new>.+)|\s+=\s+(?P<set>.+?)"
                   r"|\s+written by \S+(?:\s+\(now (?P<now>.+)\))?)?\s*$")
_SIZE = {"": 1.0, "k": 1e3, "kb": 1e3, "ki": 2.0 ** 10, "kib": 2.0 ** 10, "m": 2.0 ** 20, "mb": 2.0 ** 20,
         "mi": 2.0 ** 20, "mib": 2.0 ** 20, "g": 2.0 ** 30, "gb": 2.0 ** 30, "gi": 2.0 ** 30, "gib": 2.0 ** 30,
         "t": 2.0 ** 40, "ti": 2.0 ** 40}
"""Memory sizes as engines write them: Spark/JVM `384m`, `2g` (binary), Kubernetes `12672Mi`, Flink `4096 mb`."""


def size_of(text: str | None) -> float | None:
    """Bytes of a memory amount (`2g`, `384m`, `12672Mi`, `4 gb`), None when it is not one."""
    if text is None:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]{0,3})", text.strip().strip("'\""))
    if m is None or m[2].lower() not in _SIZE:
        return None
    return float(m[1]) * _SIZE[m[2].lower()]


@dataclass(frozen=True)
class MemoryWrite:
    """One memory field of a custom resource written: its path, the old value when known, the new one."""

    path: str
    old: str | None
    new: str | None

    def text(self) -> str:
        if self.old is not None and self.new is not None:
            return f"{self.path} lowered {self.old} -> {self.new}"
        return f"{self.path} written{f' to {self.new}' if self.new else ''} (old value not recorded)"


def memory_writes(change: dict[str, Any]) -> list[MemoryWrite]:
    """The memory fields a change wrote, raises left out: from its diff lines, else from the paths its summary
    lists (`written by kubectl-edit: spec.executor.memoryOverhead`)."""
    lines = [str(d) for d in change.get("diff") or []]
    summary = str(change.get("summary") or "")
    if not lines and ": " in summary:
        lines = [p.strip() for p in summary.split(": ", 1)[1].split(",")]
    out: list[MemoryWrite] = []
    for line in lines:
        m = _PATH.match(line.strip())
        if m is None or not MEMORY.search(m["path"]):
            continue
        old, new = m["old"], m["new"] or m["set"] or m["now"]
        new = new.strip("'\"") if new else None
        if old is not None:
            before, after = size_of(old), size_of(new)
            if before is None or after is None or not after < before:
                continue  # a raise, or not an amount: not what made the pods too small
            old = old.strip("'\"")
        out.append(MemoryWrite(m["path"], old, new))
    return out


def _managed_writes(obj: dict[str, Any], since: datetime, until: datetime) -> list[tuple[datetime, str, str]]:
    """(when, manager, path) of each spec memory field a managedFields entry set in the window (a `kubectl edit`
    leaves no old value, only which fields it owns and when); status subresource entries left out."""
    out: list[tuple[datetime, str, str]] = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        when = parse_time((entry or {}).get("time"))
        if when is None or not since <= when <= until or entry.get("subresource") == "status":
            continue
        for path in _leaves(entry.get("fieldsV1") or {}, ""):
            if path.startswith("spec.") and MEMORY.search(path):
                out.append((when, str(entry.get("manager") or ""), path))
    return out


def _leaves(tree: dict[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for key, sub in tree.items():
        if not key.startswith("f:"):
            continue
        path = f"{prefix}.{key[2:]}" if prefix else key[2:]
        out += _leaves(sub, path) if isinstance(sub, dict) and sub else [path]
    return out


@dataclass
class Kill:
    """A sign that the resource's pods were killed at their memory limit: its words, when, and the evidence."""

    text: str
    at: datetime | None
    evidence: str


def kills(facts: Facts, target: Ref) -> list[Kill]:
    """The kills of `target`'s own pods: scan findings on it, timeline events on it, logs of pods named after it."""
    out: list[Kill] = []
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        text = f"{f.get('message') or ''} {json.dumps(f.get('details') or {})}"
        if ref is not None and ref.same_object(target) and (m := KILL.search(text)):
            out.append(Kill(_around(text, m), parse_time(f.get("since")), facts.scan_id or ""))
    for change, evidence in facts.every_change():
        ref = Ref.of(change.get("object"))
        text = str(change.get("summary") or "")
        if ref is not None and ref.same_object(target) and (m := KILL.search(text)):
            out.append(Kill(_around(text, m), parse_time(change.get("at")), evidence))
    for entry in (facts.reads.get(STORE) or {}).get("kills") or []:
        if Ref(*entry["ref"]).same_object(target):
            out.append(Kill(str(entry["text"]), parse_time(entry.get("at")), str(entry.get("evidence") or "")))
    for log in facts.logs:
        if not log.pod or (target.namespace and log.namespace and log.namespace != target.namespace):
            continue
        if workload_of_pod(log.pod) != target.name and not log.pod.startswith(target.name + "-"):
            continue
        for entry in log.entries():
            text = said_by(entry)
            if m := KILL.search(text):
                out.append(Kill(_around(text, m), parse_time(entry.get("first_seen")), log.evidence_id))
                break
    return out


def _around(text: str, m: re.Match[str], width: int = 180) -> str:
    start = max(0, m.start() - width // 2)
    return ("..." if start else "") + text[start:start + width].replace("\n", " ").strip()


def _custom_findings(facts: Facts) -> list[tuple[Ref, list[str]]]:
    """Custom resources the scan groups failing pods under (or a kill sign names), with those pods: where to look."""
    refs: dict[str, tuple[Ref, list[str]]] = {}
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        pods = [str(p) for p in f.get("pods") or [] if p]
        text = f"{f.get('message') or ''} {json.dumps(f.get('details') or {})}"
        if ref is not None and ref.kind and ref.kind.lower() not in BUILTIN and (pods or KILL.search(text)):
            refs.setdefault(str(ref), (ref, pods))
    for change, _ in facts.every_change():
        ref = Ref.of(change.get("object"))
        if ref is not None and ref.kind and ref.kind.lower() not in BUILTIN and KILL.search(
                str(change.get("summary") or "")):
            refs.setdefault(str(ref), (ref, []))
    return list(refs.values())


def pod_kills(pod: dict[str, Any]) -> list[tuple[str, datetime | None]]:
    """(words, when) of each container of a pod that the kernel killed at its memory limit: its state or last state
    terminated with reason OOMKilled or exit code 137."""
    out: list[tuple[str, datetime | None]] = []
    name = str((pod.get("metadata") or {}).get("name") or "")
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        for key in ("state", "lastState"):
            done = ((status or {}).get(key) or {}).get("terminated") or {}
            if done.get("reason") == "OOMKilled" or done.get("exitCode") == 137:
                out.append((f"pod {name} container {status.get('name')} terminated {done.get('reason') or 'Killed'} "
                            f"(exit code {done.get('exitCode')}) at {done.get('finishedAt')}",
                            parse_time(done.get("finishedAt"))))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for custom resources the scan groups failing pods under: those pods (were they killed at their
    memory limit?), the resource itself (its managedFields say which memory field was written when, where the
    timeline shows no value), and, once a kill is seen, the 24 h timeline (an edit made the evening before a
    nightly run)."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"objects": [], "kills": []})
    for ref, pods in _custom_findings(facts)[:MAX_READS]:
        for pod in pods[:MAX_PODS]:
            got = await get_yaml(call, "Pod", pod, ref.namespace, f"survey-engine-memory-pod-{pod}")
            for text, when in pod_kills(got[0]) if got is not None else []:
                store["kills"].append({"ref": [ref.kind, ref.namespace, ref.name], "text": text,
                                       "at": when.isoformat() if when else None, "evidence": got[1] if got else ""})
        if not store["kills"] and not kills(facts, ref):
            continue
        got_obj = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-engine-memory-{ref.name}")
        if got_obj is not None:
            store["objects"].append({"ref": [ref.kind, ref.namespace, ref.name], "object": got_obj[0],
                                     "evidence": got_obj[1]})
    if store["objects"] and not any(h.get("window") == HISTORY_WINDOW for h, _ in facts.history):
        got_h = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-engine-memory-history")
        if got_h is not None and got_h.ok and isinstance(got_h.data, dict):
            facts.history.append(({**got_h.data, "window": HISTORY_WINDOW}, got_h.evidence_id))


@dataclass
class EngineMemory:
    """A custom resource whose memory field was written before its pods were killed at their memory limit."""

    target: Ref
    writes: list[MemoryWrite]
    at: datetime
    by: str
    kill: Kill
    evidence: list[str] = field(default_factory=list)


def _candidates(facts: Facts) -> list[tuple[Ref, list[MemoryWrite], datetime, str, str]]:
    """(resource, memory writes, when, by whom, evidence) from the timelines, then from managedFields read."""
    out: list[tuple[Ref, list[MemoryWrite], datetime, str, str]] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if when is None or target.kind.lower() in BUILTIN or not target.kind:
            continue
        writes = memory_writes(change)
        if writes:
            out.append((target, writes, when, written_by(change), evidence))
    for entry in (facts.reads.get(STORE) or {}).get("objects") or []:
        target = Ref(*entry["ref"])
        if any(t.same_object(target) for t, *_ in out):
            continue
        for when, manager, path in _managed_writes(entry["object"], facts.at - LEAD, facts.at):
            value = _value_at(entry["object"], path)
            out.append((target, [MemoryWrite(path, None, value)], when, manager, str(entry.get("evidence") or "")))
    return out


def _value_at(obj: dict[str, Any], path: str) -> str | None:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return str(node) if isinstance(node, (str, int, float)) else None


def found(facts: Facts) -> list[EngineMemory]:
    """Each custom resource whose memory write came before the kills of its own pods (the newest write first)."""
    out: list[EngineMemory] = []
    for target, writes, when, by, evidence in sorted(_candidates(facts), key=lambda c: c[2], reverse=True):
        if any(h.target.same_object(target) for h in out):
            continue
        seen = kills(facts, target)
        if not seen or any(k.at is not None and k.at < when for k in seen):
            continue  # not killed, or killed already before the write: the write did not start it
        after = [k for k in seen if k.at is not None] or seen
        out.append(EngineMemory(target, writes, when, by, after[0],
                                [e for e in dict.fromkeys([evidence, after[0].evidence]) if e]))
    return out


def finding(hit: EngineMemory, at: datetime) -> dict[str, Any]:
    """What the write means first (the pods' memory limit shrank, the kernel kills them at it: exit code 137,
    OOMKilled), then the engine's own words and what to do."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    fields = "; ".join(w.text() for w in hit.writes[:3])
    by = f" by {hit.by}" if hit.by else ""
    message = (f"{hit.target}: {fields}{by} {ago} before the incident, and its pods are killed at their memory "
               f"limit since (exit code 137, OOMKilled): the engine sizes each pod's container limit from this "
               f"setting, and what the process uses beyond it (off-heap, worker processes, buffers) no longer fits, "
               f"so the kernel kills the container, the work is retried and the run fails. Seen: "
               f"'{hit.kill.text[:180]}'. Restore the memory setting (or size it for the work) and rerun "
               f"{hit.target.name}")
    return {"check": CHECK, "severity": "critical", "reason": "EngineMemoryLowered",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [fields, hit.kill.text[:200]],
            "details": {"fields": [w.path for w in hit.writes], "new": [w.new for w in hit.writes],
                        "written": hit.at.isoformat().replace("+00:00", "Z"), "by": hit.by}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The custom resource whose memory write explains its own pods' kills."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.target]) for h in found(facts)]
