"""A named node's disk saturated by a data run (a backup, copy or snapshot) that started on it, and the recently
written schedule or policy that made the run read there.

"Node X has shown iowait near 100% since noon, everything on it is sluggish": nothing is broken on the node. A run
that copies a volume's data through the node itself reads the whole volume at the disk's full rate: a file-system
backup (Velero's node-agent with kopia/restic instead of a CSI snapshot, Stash or K8up's restic pods, a Longhorn or
Portworx backup, an rsync/rclone copy Job pinned there). Such runs are created by a schedule or policy object, and
they usually become heavy because someone edited that object (switched it to file-system backup, added a namespace
with a large volume). The run object is created in the timeline at the moment the disk saturates, and names the node
or a pod on it (Velero's PodVolumeBackup `spec.node`, a session's target pod, a Job's nodeName); its name carries
its parent's (`<schedule>-<timestamp>`, `<backup>-<suffix>`).

`read` (only when the incident names a node): the node's pods, and its disk busy share (node-exporter's
`node_disk_io_time_seconds_total`) now and just before each such run began. `found` is pure: a run created on the
node whose disk went from below SATURATED before the run to at least SATURATED now, with an ancestor (by name) that
was written, not merely created, within WRITE_LEAD before the run. Twins: a run on another node, a disk already busy
before the run, a run whose disk stays idle, a run whose schedule nobody edited (left unknown, not guessed).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import rows_of
from agent.triage.node_cpu_hog import _named_nodes
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "node.disk_run"
WEIGHT = 0.93
"""Above the node's victims (slow probes, slow queries) and any rollout merely nearby in time."""
STORE = "node_disk_run"
RUN_LEAD = timedelta(hours=12)
"""A run created this long before the incident may still be reading."""
WRITE_LEAD = timedelta(days=3)
"""How long before the run its schedule's edit may be (a daily schedule runs after an edit made that morning)."""
BEFORE = timedelta(minutes=10)
"""The disk is read this long before the run began, for its baseline."""
SATURATED = 0.8
"""A disk busy (io_time per second) at least this share is saturated; the baseline must be below IDLE."""
IDLE = 0.5
MAX_NODES = 2
MAX_RUNS = 3
DATA_RUN = re.compile(r"backup|snapshot|restic|kopia|rsync|rclone|volsync|replicationsource|clone|copy|dump|"
                      r"dataupload|scrub", re.I)
"""The words of a run that moves a volume's data (its kind or what its creation wrote)."""
_SKIP = {"pod", "event", "replicaset", "endpointslice", "endpoints", "lease", "node"}
PARENT_KIND = re.compile(rf"{DATA_RUN.pattern}|schedule|polic|plan|recurring|cron|replication", re.I)
"""Kinds that start data runs (a schedule, policy, plan, recurring job, replication source). A run's creation may
name such a parent in its labels or spec (`velero.io/schedule-name`, `recurring-job.longhorn.io/<name>`, a mover
Job `volsync-src-<source>`, `spec.invoker.name`) rather than carry its name as a prefix; a volume or config it names
is no parent."""


def _text(change: dict[str, Any]) -> str:
    return " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


def _names(text: str, name: str) -> bool:
    """Whether `text` names `name` as a whole word (not as part of a longer name)."""
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text) is not None


def _runs(facts: Facts, node: str, pods: list[str]) -> list[tuple[dict[str, Any], str, Ref]]:
    """Data runs created within RUN_LEAD before the incident that name the node or a pod on it."""
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(None, within=RUN_LEAD, deletions=False):
        if change.get("type") != "created" or target.kind.lower() in _SKIP:
            continue
        text = _text(change)
        if not (DATA_RUN.search(target.kind) or DATA_RUN.search(text)):
            continue
        if _names(text, node) or any(_names(text, p) for p in pods):
            out.append((change, evidence, target))
    return out


def _parent_of(parent: str, child: str) -> bool:
    """Whether `child` is named after `parent` as controllers name what they create (`<schedule>-<timestamp>`,
    `<backup>-<suffix>`): a prefix, so a short name that merely occurs inside another is no parent."""
    return len(parent) >= 4 and child.startswith(parent + "-")


def _edit(facts: Facts, run: Ref, started: datetime, said: str = "") -> tuple[dict[str, Any], str, Ref] | None:
    """The newest edit (not a creation) of an object the run is named after, within WRITE_LEAD before it began,
    following the name up through the runs' own parents (a backup's per-volume run, its backup, its schedule); or
    of a schedule-like object its creation names as a whole word (`said`)."""
    names = {run.name}
    edits: list[tuple[dict[str, Any], str, Ref]] = []
    every = facts.writes_to(None, within=RUN_LEAD + WRITE_LEAD, deletions=False)
    names |= {t.name for _, _, t in every if said and t.namespace == run.namespace and len(t.name) >= 4
              and PARENT_KIND.search(t.kind) and t.kind.lower() not in _SKIP and _names(said, t.name)}
    for _ in range(3):
        grown = {t.name for _, _, t in every if t.namespace == run.namespace and any(_parent_of(t.name, n)
                                                                                       for n in names)}
        if grown <= names:
            break
        names |= grown
    for change, evidence, target in every:
        when = parse_time(change.get("at"))
        if (target.name in names and target.name != run.name and target.namespace == run.namespace
                and change.get("type") != "created" and when is not None
                and timedelta(0) <= started - when <= WRITE_LEAD):
            edits.append((change, evidence, target))
    return max(edits, key=lambda e: str(e[0].get("at"))) if edits else None


NODE_LABELS = ("node", "kubernetes_node", "nodename", "hostname", "host")
"""Labels by which setups other than kube-prometheus's `instance` relabel name a node-exporter (or Telegraf
diskio) series' node: the Prometheus Helm chart's `kubernetes_node`, a `nodename` join, agents' `host`."""


def _busy_query(node: str) -> str:
    """The disk's busy share (io time per second), node-exporter's series under any node label, else Telegraf's
    `diskio_io_time` (milliseconds)."""
    series = [f'rate(node_disk_io_time_seconds_total{{instance=~"{node}(:[0-9]+)?"}}[5m])']
    series += [f'rate(node_disk_io_time_seconds_total{{{label}="{node}"}}[5m])' for label in NODE_LABELS]
    series += [f'rate(diskio_io_time{{{label}="{node}"}}[5m]) / 1000' for label in ("host", "node")]
    return f"max({' or '.join(series)})"


async def _busy(call: Call, node: str, when: datetime, step: str) -> tuple[float | None, str]:
    got = await call("prom_query", {"query": _busy_query(node), "time": when.isoformat().replace("+00:00", "Z")},
                     step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    values = [float(s["value"]) for s in got.data.get("samples") or []
              if isinstance(s, dict) and isinstance(s.get("value"), int | float)]
    return (max(values) if values else None), got.evidence_id


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per named node with a data run on it: the node's disk busy share now and before each run."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for node in list(await _named_nodes(subject, call))[:MAX_NODES]:
        if not re.fullmatch(r"[a-z0-9.-]+", node):  # DNS names only: no regex or label metacharacters
            continue
        listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                            f"survey-node-tables-pods-{node}")
        pods = [str(r.get("name")) for r in rows_of(listed) if r.get("name")]
        runs = _runs(facts, node, pods)[:MAX_RUNS]
        if not runs:
            continue
        now, now_id = await _busy(call, node, facts.at, f"survey-disk-busy-{node}")
        entry: dict[str, Any] = {"node": node, "now": now, "runs": [], "evidence": [now_id] if now_id else []}
        for change, _, target in runs:
            began = parse_time(change.get("at"))
            if began is None:
                continue
            before, before_id = await _busy(call, node, began - BEFORE, f"survey-disk-busy-{node}-{target.name}")
            entry["runs"].append({"ref": [target.kind, target.namespace, target.name], "before": before,
                                  "evidence": before_id})
        store.append(entry)


@dataclass
class DiskRun:
    """A data run that saturated a named node's disk, and the edit of the object it runs for."""

    node: str
    run: Ref
    run_text: str
    began: datetime
    before: float
    now: float
    edited: Ref
    edit: dict[str, Any]
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[DiskRun]:
    """Each named node whose disk went from idle before a data run on it to saturated, whose run's schedule or
    policy was edited shortly before the run."""
    out: list[DiskRun] = []
    for entry in facts.reads.get(STORE) or []:
        now = entry.get("now")
        if not isinstance(now, float) or now < SATURATED:
            continue
        for seen in entry.get("runs") or []:
            before = seen.get("before")
            if not isinstance(before, float) or before >= IDLE:
                continue
            run = Ref(*seen["ref"])
            change = next((c for c, _, t in facts.writes_to(None, within=RUN_LEAD, deletions=False)
                           if t.same_object(run) and c.get("type") == "created"), None)
            began = parse_time(change.get("at")) if change else None
            if change is None or began is None:
                continue
            edit = _edit(facts, run, began, _text(change))
            if edit is None:
                continue
            diff = [str(d) for d in change.get("diff") or []]
            said = f"{run} created: {'; '.join(diff)}" if diff else str(change.get("summary") or "")
            out.append(DiskRun(entry["node"], run, said, began, before, now, edit[2], edit[0],
                               [e for e in (*(entry.get("evidence") or []), seen.get("evidence"), edit[1]) if e]))
            break
    return out[:1]


def finding(hit: DiskRun, at: datetime) -> dict[str, Any]:
    """The edited schedule first (what to undo), then the run on the node and the disk it saturates."""
    edit_at = parse_time(hit.edit.get("at"))
    edited_ago = minutes_text(int((at - edit_at).total_seconds() // 60)) if edit_at else "shortly"
    by = written_by(hit.edit)
    diff = "; ".join(str(d) for d in (hit.edit.get("diff") or [])[:4]) or str(hit.edit.get("summary") or "")[:200]
    message = (f"{hit.edited} was edited{' by ' + by if by else ''} {edited_ago} before the incident ({diff[:300]}); "
               f"the run it started at {hit.began:%H:%M} works on node {hit.node}: {hit.run_text[:400]}. Since "
               f"then the node's disk is saturated (busy {hit.now:.0%} of the time, {hit.before:.0%} just before "
               f"the run), so everything on the node waits on I/O. Revert the edit (back to snapshots, or leave the "
               f"large volume out) or throttle and reschedule the run")
    return {"check": CHECK, "severity": "critical", "reason": "NodeDiskSaturatedByDataRun",
            "object": {"kind": hit.edited.kind, "namespace": hit.edited.namespace, "name": hit.edited.name},
            "message": message, "evidence": [diff[:200], hit.run_text[:200]],
            "details": {"node": hit.node, "run": str(hit.run), "busy_now": hit.now, "busy_before": hit.before}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The edited schedule or policy whose run saturates the node's disk."""
    return [(h.edited, finding(h, facts.at), h.evidence, [h.edited, h.run]) for h in found(facts)]
