"""A Spark setting that lets executors go while they still hold shuffle output: later stages lose their input.

With dynamic allocation, Spark removes idle executors. The map output of a shuffle lives on the executor that
wrote it unless an external shuffle service serves it or decommissioning migrates it, so Spark keeps executors
holding shuffle data: `spark.dynamicAllocation.shuffleTracking.enabled` with `shuffleTracking.timeout` at its
default (infinity), or `spark.shuffle.service.enabled`. A cost-tuning write that sets a finite shuffle-tracking
timeout, turns shuffle tracking or the shuffle service off, or turns shuffle-block migration off on
decommission, lets the allocation manager remove executors whose shuffle files the next stage still needs. The
driver then logs `FetchFailed` / `MetadataFetchFailedException: Missing an output location for shuffle N`
(`FetchFailedException: Failed to connect to ...` when the files' host is gone), the DAGScheduler resubmits the
parent map stage, new executors are requested and removed again, and the job never finishes: the page is the
table it should have loaded going stale.

So: a fetch failure of shuffle output in a log in view, and a write within `LEAD` (a SparkApplication's
`sparkConf`, a ConfigMap's `spark-defaults.conf`) that set one of those settings to a releasing value. Twins: the
same failures with no such write (a node lost: other modules), a write that keeps shuffle data (the shuffle
service on, timeout infinity), a releasing write with no fetch failure. `read` (reading only, only when a fetch
failure is in view) reaches the 48 h timeline and reads the ConfigMaps it shows written (bounded); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import managed_writes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.shuffle_release"
WEIGHT = 0.93
"""Above the driver's own fetch failures (the symptom) and a bare write to the application."""
STORE = "shuffle_release"
LEAD = timedelta(hours=48)
MAX_CONFIGS = 4

FETCH_FAILED = re.compile(r"MetadataFetchFailedException|Missing an output location for shuffle|"
                          r"FetchFailed(?:Exception)?\b|Resubmitting ShuffleMapStage .* due to fetch failure", re.I)
"""Spark's words for a shuffle's map output that is gone."""
RELEASING: tuple[tuple[re.Pattern[str], Callable[[str], bool], str], ...] = (
    (re.compile(r"dynamicAllocation\.shuffleTracking\.timeout$", re.I),
     lambda v: v.strip().lower() not in ("", "infinity", "inf"),
     "executors holding shuffle data are removed once idle that long"),
    (re.compile(r"dynamicAllocation\.shuffleTracking\.enabled$", re.I), lambda v: v.strip().lower() == "false",
     "executors holding shuffle data are no longer kept"),
    (re.compile(r"shuffle\.service\.enabled$", re.I), lambda v: v.strip().lower() == "false",
     "no external shuffle service serves the files of a removed executor"),
    (re.compile(r"storage\.decommission\.shuffleBlocks\.enabled$", re.I), lambda v: v.strip().lower() == "false",
     "a decommissioned executor's shuffle blocks are not migrated"),
)
"""(setting, value that releases shuffle-holding executors, what it means)."""
_SET = re.compile(r"^(?P<path>[\w.\[\]/-]+)(?::\s+(?P<old>\S+)\s+->|\s+=)\s+(?P<new>.+)$")
_CONF_LINE = re.compile(r"(?m)^\s*(?P<key>spark\.[\w.]+)\s*(?:=|\s)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Failure:
    line: str
    log: LogEvidence


@dataclass
class Release:
    target: Ref
    key: str
    value: str
    means: str
    at: datetime
    by: str
    failure: Failure
    evidence: list[str] = field(default_factory=list)


def failures(facts: Facts) -> list[Failure]:
    """The fetch failures of shuffle output in the logs in view, one per pod."""
    out: list[Failure] = []
    for log in facts.logs:
        for text in [said_by(e) for e in log.entries()] + list(log.last_lines):
            if FETCH_FAILED.search(text):
                out.append(Failure(text.strip(), log))
                break
    return out


def releasing(key: str, value: str) -> str | None:
    """What a setting means when its value releases shuffle-holding executors, else None."""
    for pattern, releases, means in RELEASING:
        if pattern.search(key) and releases(value.strip().strip("'\"")):
            return means
    return None


def from_diff(change: dict[str, Any]) -> tuple[str, str, str] | None:
    """(setting, value, meaning) of the first releasing setting a write's diff shows set."""
    for line in (str(d).strip() for d in change.get("diff") or []):
        m = _SET.match(line)
        if m and (means := releasing(m["path"], m["new"].strip().strip("'\""))):
            return m["path"].rsplit("sparkConf.", 1)[-1], m["new"].strip().strip("'\""), means
    return None


def from_config(obj: dict[str, Any]) -> tuple[str, str, str] | None:
    """(setting, value, meaning) of a releasing setting in a ConfigMap's text (spark-defaults.conf, properties)."""
    for value in (obj.get("data") or {}).values():
        for m in _CONF_LINE.finditer(str(value)):
            if means := releasing(m["key"], m["value"]):
                return m["key"], m["value"], means
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a fetch failure is in view: the 48 h timeline and the ConfigMaps written in it."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = {}
    if not failures(facts):
        return
    await managed_writes.reach(facts, call, at, "survey-shuffle-history")
    configs: dict[str, Any] = {}
    for _, _, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False)[:MAX_CONFIGS]:
        key = f"{target.namespace}/{target.name}"
        if key not in configs and (got := await get_yaml(call, "ConfigMap", target.name, target.namespace,
                                                         f"survey-shuffle-cm-{target.name}")) is not None:
            configs[key] = got
    facts.reads[STORE] = configs


def found(facts: Facts) -> list[Release]:
    """The newest releasing write within LEAD in the namespace of a pod whose log shows a fetch failure."""
    seen = failures(facts)
    if not seen:
        return []
    configs = facts.reads.get(STORE) or {}
    best: Release | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        failure = next((f for f in seen if f.log.namespace == target.namespace), None)
        if when is None or failure is None or (best is not None and when <= best.at):
            continue
        ids = [evidence]
        got = from_diff(change)
        if got is None and target.kind == "ConfigMap" and (cm := configs.get(f"{target.namespace}/{target.name}")):
            got, ids = from_config(cm[0]), [evidence, cm[1]]
        if got is not None:
            best = Release(target, got[0], got[1], got[2], when, written_by(change), failure,
                           [e for e in (*ids, failure.log.evidence_id) if e])
    return [best] if best is not None else []


def finding(r: Release, at: datetime) -> dict[str, Any]:
    ago = minutes_text(int((at - r.at).total_seconds() // 60))
    by = f" by {r.by}" if r.by else ""
    message = (f"{r.target}: {r.key} set to {r.value}{by} {ago} before the incident: under dynamic allocation "
               f"{r.means}, so a later stage finds its shuffle input gone (FetchFailed) and the DAGScheduler "
               f"resubmits the map stage again and again; the job never finishes and what it loads goes stale. "
               f"The driver says: '{r.failure.line[:200]}'. Keep shuffle data (remove the timeout, or enable the "
               f"shuffle service or shuffle-block migration)")
    return {"check": CHECK, "severity": "critical", "reason": "ShuffleOutputReleased",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "message": message, "evidence": [f"{r.key} = {r.value}", r.failure.line[:200]],
            "details": {"setting": r.key, "value": r.value, "by": r.by}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written setting's object, its finding, evidence ids, the failing driver's workload) for `behind`."""
    out = []
    for r in found(facts):
        pod, namespace = r.failure.log.pod, r.failure.log.namespace
        victims = [Ref("", namespace, workload_of_pod(pod) or pod), Ref("Pod", namespace, pod)]
        out.append((r.target, finding(r, facts.at), r.evidence, victims))
    return out
