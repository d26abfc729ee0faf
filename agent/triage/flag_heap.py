"""A feature flag switched on, and the service that reads it dying at its runtime's own heap limit since.

A flag often gates code that keeps state in process: a response or query cache, a prefetch, an in-memory index,
a per-user session map. Switched on (`defaultVariant: on`, `enabled: true`, a rollout to 100%) with no size bound,
the heap grows with traffic until the runtime gives up in its own words: V8 `FATAL ERROR: Reached heap limit
Allocation failed - JavaScript heap out of memory` (exit 134), the JVM `java.lang.OutOfMemoryError: Java heap
space` / `GC overhead limit exceeded`, Go `fatal error: runtime: out of memory`, .NET `OutOfMemoryException`,
Python `MemoryError`. The pods restart every few minutes; nothing in the Deployment changed, and the flag object
(an OpenFeature `FeatureFlag`, a flagd / Unleash / GO Feature Flag ConfigMap) is not tied to the workload by any
owner or selector, so the generic pieces call it lost capacity.

This module pairs:

1. a write within LEAD to an object that holds flags (its kind or changed path names flags/features) that turns a
   flag on (a new value that is not off/false/disabled/0), or that sets an environment-style flag key (`FEATURE_X`,
   `FF_X`, `ENABLE_X`, `X_ENABLED`: a ConfigMap read through envFrom) to a boolean on;
2. a workload in the same namespace whose template names that object or the written flag key (the OpenFeature
   operator's `openfeature.dev/featureflagsource` annotation, a flagd `--uri`, an env or arg), and whose pods' logs
   say the runtime ran out of heap, with the crashes (the scan's restart finding) first seen after the write.

Negative twins stay out: a flag switched off, a heap crash in a workload that does not read the flag object,
crashes seen before the write, a flag write with no heap crash. Reading only; Secrets never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.flag_heap"
WEIGHT = 0.93
"""A flag write whose reader's own heap exhaustion follows it: above the crashing workload (the symptom) and a
bare rollout, level with the other measured-cause modules."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "flag_heap"
MAX_READS = 3

HEAP_GONE = re.compile(r"heap out of memory|Reached heap limit|OutOfMemoryError(?!: CUDA)|GC overhead limit exceeded|"
                       r"fatal error: runtime: out of memory|OutOfMemoryException|\bMemoryError\b|"
                       r"Ineffective mark-compacts near heap limit", re.I)
"""A runtime's own words for its heap exhausted (not the kernel's OOM kill, not a GPU's)."""
_FLAG_PATH = re.compile(r"(?:flags?|features?|toggles?)[.\[/]['\"]?(?P<key>[A-Za-z0-9_.-]+?)['\"]?[.\]/]", re.I)
_OFF = re.compile(r"^\s*['\"]?(?:off|false|disabled?|no|0|none|control)['\"]?\s*$", re.I)
_ENV_FLAG = re.compile(r"(?<![A-Za-z0-9_])(?P<key>(?:FEATURE|FF|FLAG|TOGGLE|ENABLE)_[A-Z0-9_]+|[A-Z][A-Z0-9_]*_ENABLED)"
                       r"(?![A-Za-z0-9_])")
"""A flag kept as an environment-style key (`FEATURE_X`, `FF_X`, `ENABLE_X`, `X_ENABLED`) in a ConfigMap or env."""
_ON = re.compile(r"^\s*['\"]?(?:on|true|enabled?|yes|1)['\"]?\s*$", re.I)
"""An environment-style flag's value switched on: only a boolean word (its other values are not a switch)."""
WORKLOADS = ("Deployment", "StatefulSet")
"""The kinds a crashing pod's workload is read as, in turn (a StatefulSet's pods are named `<name>-<ordinal>`)."""


@dataclass
class Hit:
    """The flag write, the workload reading it, and the heap words of its pods."""

    target: Ref
    workload: Ref
    key: str
    line: str
    said: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _switched_on(line: str) -> str:
    """The flag key a diff line turns on (`spec.flagSpec.flags.X.defaultVariant = 'on'`, `features.X.enabled:
    false -> true`), or '' for a switch off or a line that names no flag."""
    new = re.split(r" -> | = |: ", line)[-1] if re.search(r" -> | = |: ", line) else ""
    m = _FLAG_PATH.search(line)
    if m is None:
        env = _ENV_FLAG.search(line)
        value = new.split("=", 1)[1] if re.match(r"\s*[A-Za-z0-9_]+=", new) else new  # `env X='a' -> X='b'`
        return env["key"] if env and _ON.match(value) else ""
    return "" if not new or _OFF.match(new) else m["key"]


def writes(facts: Facts) -> list[tuple[Ref, str, str, datetime, str]]:
    """(flag object, key, diff line, when, evidence) for each recent write that turns a flag on."""
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or change.get("type") == "secret":
            continue
        for line in (str(d) for d in change.get("diff") or []):
            key = _switched_on(line)
            if key:
                out.append((target, key, line, at, evidence))
                break
    return out


def _heap_logs(facts: Facts) -> list[LogEvidence]:
    out = []
    for log in facts.logs:
        texts = [error_words(e)
                 for e in [log.top or {}, *log.more]] + list(log.last_lines)
        if any(HEAP_GONE.search(t) for t in texts):
            out.append(log)
    return out


def _said(log: LogEvidence) -> str:
    for e in [log.top or {}, *log.more]:
        text = str(e.get("example") or e.get("message") or "")
        if HEAP_GONE.search(text):
            return text
    return next((t for t in log.last_lines if HEAP_GONE.search(t)), "")


def _since(facts: Facts, workload: Ref) -> datetime | None:
    """When the scan first saw the workload's pods restart or fail (None when it did not say)."""
    times = []
    for f in (facts.scan or {}).get("findings") or []:
        ref = Ref.of((f or {}).get("object"))
        if ref is not None and ref.same_object(workload) and str(f.get("check") or "").startswith("pod."):
            when = parse_time(f.get("since"))
            if when is not None:
                times.append(when)
    return min(times) if times else None


def found(facts: Facts) -> list[Hit]:
    """Each flag switched on whose reader's pods (a Deployment's or a StatefulSet's) have run out of heap since the
    write."""
    out: list[Hit] = []
    templates: dict[str, tuple[str, str]] = _store(facts).get("templates") or {}
    for target, key, line, at, evidence in writes(facts):
        for log in _heap_logs(facts):
            name = workload_of_pod(log.pod)
            if log.namespace != target.namespace or any(h.workload.name == name for h in out):
                continue
            text, read_id = templates.get(f"{log.namespace}/{name}", ("", ""))
            if target.name not in text and key not in text:
                continue  # a workload whose template does not name the flag object or the key
            kind = str((_store(facts).get("kinds") or {}).get(f"{log.namespace}/{name}") or "Deployment")
            workload = Ref(kind, log.namespace, name)
            since = _since(facts, workload)
            if since is not None and since < at - SLACK:
                continue  # crashing before the flag was written
            out.append(Hit(target, workload, key, line, " ".join(_said(log).split())[:200],
                           int((facts.at - at).total_seconds() // 60),
                           [e for e in (evidence, log.evidence_id, read_id) if e]))
    return out


def finding(h: Hit) -> dict[str, Any]:
    """The finding: the flag switched on, its reader's heap exhausted since; meaning first."""
    message = (f"{h.target} switched flag {h.key} on {minutes_text(h.minutes_before)} before the incident "
               f"({h.line[:140]}), and {h.workload}, which reads that flag, has run out of heap since: "
               f"'{h.said[:160]}'. The code the flag enables keeps memory in process (a cache, a buffer) with no "
               f"bound; switch the flag off (or bound what it keeps), not the runtime's heap size")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "FlagHeapExhausted", "message": message, "evidence": [h.said[:200]],
            "details": {"flag": h.key, "workload": str(h.workload)}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: for a flag switched on and a pod of its namespace that ran out of heap, that pod's
    workload template (does it name the flag object or key?)."""
    if not writes(facts):
        return
    store = _store(facts).setdefault("templates", {})
    namespaces = {t.namespace for t, _, _, _, _ in writes(facts)}
    reads = 0
    for log in _heap_logs(facts):
        name = workload_of_pod(log.pod)
        key = f"{log.namespace}/{name}"
        if log.namespace not in namespaces or key in store or reads >= MAX_READS:
            continue
        got = None
        for kind in WORKLOADS if re.search(r"-\d+$", log.pod) else WORKLOADS[:1]:
            got = await get_yaml(call, kind, name, log.namespace, f"survey-flag-heap-{name}")
            if got is not None:
                _store(facts).setdefault("kinds", {})[key] = kind
                break
        reads += 1
        if got is not None:
            spec = (got[0].get("spec") or {}).get("template") or {}
            meta = got[0].get("metadata") or {}
            store[key] = (json.dumps({"annotations": meta.get("annotations"), "template": spec}), got[1])


__all__ = ["CHECK", "WEIGHT", "Hit", "finding", "found", "read", "writes"]
