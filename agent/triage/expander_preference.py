"""A node autoscaler's group preference written to rank first a group that cannot provision: every scale-up waits.

The cluster-autoscaler's `priority` expander reads a ConfigMap (`cluster-autoscaler-priority-expander`, key
`priorities`: a priority, then the node-group name patterns it ranks) each time it picks a group to grow. A write
that puts a group the cloud cannot fill at the top (a single-type spot group without capacity, a group at its
account quota, a zone out of stock) changes nothing that fails on its own: the expander keeps choosing that
group, the cloud refuses it (`InsufficientInstanceCapacity`, `QuotaExceeded`, `ZONE_RESOURCE_POOL_EXHAUSTED`,
`OutOfResource`, `SkuNotAvailable`), and only when the scale-up times out (`--max-node-provision-time`) and the
group is backed off does the autoscaler try the next one. Pending pods wait that long at every scale-up, and the
incident looks like plain capacity.

Named: a ConfigMap holding a `priorities` ranking, written within `LEAD`, whose highest tier's pattern matches a
node group the autoscaler's own log says failed to provision (cannot provision, failed to increase, scale-up timed
out, scale-up disabled with an error code) after the write, while pods are Pending. Twins refused: a top group
that provisions fine (failures only in a lower tier), failures that began before the write, no Pending pods.

The survey calls `read` (reading only, when pods are Pending and such a ConfigMap was written): the ConfigMap and
the autoscaler pods' log lines naming a group. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

CHECK = "change.expander_preference"
WEIGHT = 0.93
"""Above the Pending workload (pod.pending) and the scale-up that asked for nodes: the ranking is what sends
every scale-up to the group that cannot grow."""
RECORD = "expander_preference"
LEAD = timedelta(hours=48)
HISTORY_WINDOW = "48h"
MAX_MAPS = 3
MAX_PODS = 2
TAIL = 3000
RANKING_KEY = "priorities"

_GROUP = r"(?P<group>\[[^\]]*\]|[\w./:@-]+)"
FAILED: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?:node|instance) group {_GROUP},? cannot provision(?: any more nodes)?(?P<why>.*)", re.I),
    re.compile(rf"failed to increase node group {_GROUP}(?: size)?[:,]?(?P<why>.*)", re.I),
    re.compile(rf"scale-up timed out for node group {_GROUP}(?P<why>.*)", re.I),
    re.compile(rf"disabling scale-up for node group {_GROUP} (?P<why>until .*errorCode=\S+.*)", re.I),
)
"""The cluster-autoscaler's words for a group the cloud did not grow (AWS, GCE, Azure providers share them)."""
TIMED_OUT = re.compile(r"timed out|errorCode=timeout", re.I)
CHOSEN = re.compile(rf"best option to resize: {_GROUP}(?:\s|$)", re.I)
STAMP = re.compile(r"^\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?)")


@dataclass
class Preferred:
    """A ranking that puts a group first which the cloud does not grow, and the Pending pods waiting on it."""

    ranking: Ref
    change: dict[str, Any]
    priority: int
    pattern: str
    group: str
    why: str
    timed_out: bool
    fallback: str
    pending: list[Ref]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def tiers(text: str) -> dict[int, list[str]]:
    """The priority expander's ranking (`50:` then `- pattern` lines, or `50: [a, b]`) as priority -> patterns."""
    out: dict[int, list[str]] = {}
    current: int | None = None
    for line in str(text or "").splitlines():
        head = re.match(r"^\s*(-?\d+)\s*:\s*(.*)$", line)
        if head:
            current = int(head.group(1))
            rest = head.group(2).strip().strip("[]")
            out.setdefault(current, []).extend(p.strip().strip("'\"") for p in rest.split(",") if p.strip())
            continue
        item = re.match(r"^\s*-\s*(.+?)\s*$", line)
        if item and current is not None:
            out[current].append(item.group(1).strip("'\""))
    return {k: v for k, v in out.items() if v}


def _pending(facts: Facts) -> list[Ref]:
    out: list[Ref] = []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if finding.get("check") == "pod.pending" and owner is not None and owner not in out:
            out.append(owner)
    return out


def _map_writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, str]]:
    """ConfigMap writes within LEAD, newest first, from the timelines read and this module's own history."""
    own = [(c, str(e)) for data, e in (facts.reads.get(RECORD) or {}).get("history") or []
           for c in data.get("changes") or [] if isinstance(c, dict)]
    out: list[tuple[dict[str, Any], Ref, str]] = []
    for change, evidence in [*facts.every_change(), *own]:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind != "ConfigMap" or change.get("type") == "deleted" \
                or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        if not any(target.same_object(t) for _, t, _ in out):
            out.append((change, target, evidence))
    out.sort(key=lambda w: str(w[0].get("at")), reverse=True)
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, while pods are Pending: a two-day timeline, the ConfigMaps written in it that hold a ranking,
    and the log lines naming a group of the autoscaler pods in each such ConfigMap's namespace."""
    if not _pending(facts):
        return
    kept: dict[str, Any] = {"maps": {}, "lines": {}, "evidence": {}}
    facts.reads[RECORD] = kept
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-shared-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            kept["history"] = [[got.data, got.evidence_id]]
    for _, target, _ in [w for w in _map_writes(facts) if "expander" in w[1].name.lower()
                         or "priorit" in w[1].name.lower()][:MAX_MAPS]:
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace,
                             f"survey-expander-configmap-{target.name}")
        if got is None or not tiers(str((got[0].get("data") or {}).get(RANKING_KEY) or "")):
            continue
        kept["maps"][str(target)], kept["evidence"][str(target)] = got[0], got[1]
        rows = rows_of(await call("k8s_list", {"kind": "pods", "namespace": target.namespace},
                                  f"survey-expander-pods-{target.namespace}"))
        for row in [r for r in rows if "autoscaler" in str(r.get("name"))][:MAX_PODS]:
            for word in ("group", "best option"):  # failures name the group; choices say "Best option to resize"
                logs = await call("k8s_logs", {"name": row["name"], "namespace": target.namespace, "grep": word,
                                               "tail": TAIL}, f"survey-expander-logs-{row['name']}")
                if logs is None or not logs.ok:
                    continue
                text = str(getattr(logs, "full_text", "") or getattr(logs, "text", "") or "")
                kept["lines"].setdefault(f"{target.namespace}/{row['name']}", []).extend(text.splitlines())
                kept["evidence"][f"{target.namespace}/{row['name']}/{word}"] = logs.evidence_id


KLOG = re.compile(r"^\s*[IWEF](\d\d)(\d\d) (\d\d:\d\d:\d\d)")
"""A klog header (`W1204 12:47:00.523645`): month, day and time, no year."""
UNREADABLE = re.compile(r"^\[|^<|redacted", re.I)
"""A group name the tools masked (a managed node group's ASG name ends in a UUID that reads like a token)."""


def _stamp(line: str, year: int) -> datetime | None:
    found = STAMP.match(line)
    if found:
        return parse_time(found.group(1))
    klog = KLOG.match(line)
    return parse_time(f"{year}-{klog.group(1)}-{klog.group(2)}T{klog.group(3)}Z") if klog else None


@dataclass
class Failure:
    """A group the autoscaler did not grow: its name (or "" when masked), the choice it followed, why."""

    group: str
    choice: int
    """Which `Best option to resize` since the write it followed (0: the first choice after the write)."""
    chosen: str
    why: str
    timed_out: bool


def failures(lines: list[str], since: datetime) -> tuple[list[Failure], list[str]]:
    """In log order from `since` on: each failure to grow a group, attributed to its named group or else to the
    choice it followed; and the choices made (names, "" when masked)."""
    out: list[Failure] = []
    choices: list[str] = []
    stamped = [(t, i, line) for i, line in enumerate(lines) if (t := _stamp(line, since.year)) is not None]
    ordered = [line for _, _, line in sorted(stamped)] if stamped else lines  # two greps: merged in time order
    for line in ordered:
        stamp = _stamp(line, since.year)
        if stamp is not None and stamp < since:
            continue
        chose = CHOSEN.search(line)
        if chose:
            name = chose.group("group").rstrip(".:,")
            choices.append("" if UNREADABLE.search(name) else name)
            continue
        for pattern in FAILED:
            hit = pattern.search(line)
            if hit is None:
                continue
            name = hit.group("group").rstrip(".:,")
            out.append(Failure("" if UNREADABLE.search(name) else name, len(choices) - 1,
                               choices[-1] if choices else "", hit.group("why").strip(" :-.")[:160],
                               bool(TIMED_OUT.search(line))))
            break
    return out, choices


def _matches(pattern: str, group: str) -> bool:
    try:
        return re.search(pattern, group) is not None
    except re.error:
        return pattern in group


CATCH_ALL = re.compile(r"^\^?\.[*+]\$?$")


def _top_failure(ranking: dict[int, list[str]], failed: list[Failure]) -> tuple[Failure, str] | None:
    """The first failure of a group the ranking's top tier names: by its name, or when the name is masked, the
    first choice after the write (the expander's pick among the top tier) when the tier names groups specifically."""
    top = ranking[max(ranking)]
    for f in failed:
        name = f.group or f.chosen
        if name:
            pattern = next((p for p in top if _matches(p, name)), None)
            if pattern is not None:
                return f, pattern
        elif f.choice == 0 and top and not any(CATCH_ALL.match(p) for p in top):
            return f, top[0]
    return None


def found(facts: Facts) -> list[Preferred]:
    """Each ranking written before its top tier's group failed to provision while pods are Pending."""
    kept = facts.reads.get(RECORD)
    pending = _pending(facts)
    if not isinstance(kept, dict) or not pending:
        return []
    lines = [line for ls in (kept.get("lines") or {}).values() for line in ls]
    out: list[Preferred] = []
    for change, target, evidence in _map_writes(facts):
        obj = (kept.get("maps") or {}).get(str(target))
        written = parse_time(change.get("at"))
        if obj is None or written is None:
            continue
        ranking = tiers(str((obj.get("data") or {}).get(RANKING_KEY) or ""))
        failed, choices = failures(lines, written)
        hit = _top_failure(ranking, failed)
        if hit is None:
            continue  # the groups it ranks first grow (or were not tried): the ranking is not what waits
        first, pattern = hit
        group = first.group or first.chosen
        whys = [f.why for f in failed if f.choice == first.choice and f.why and not TIMED_OUT.search(f.why)]
        timed = any(f.timed_out for f in failed if f.choice == first.choice)
        fallback = next((c for c in choices[first.choice + 1:] if c and c != group
                         and not any(_matches(p, c) for p in ranking[max(ranking)])), "")
        ids = [evidence, *(kept.get("evidence") or {}).values()]
        out.append(Preferred(target, change, max(ranking), pattern, group, (whys or [first.why])[0], timed,
                             fallback, pending, int((facts.at - written).total_seconds() // 60),
                             [e for e in dict.fromkeys(ids) if e]))
    return out


def finding(p: Preferred) -> dict[str, Any]:
    """The ranking and the group it sends scale-ups to first, why that group does not grow, what the wait is."""
    wait = ("waits the autoscaler's max-node-provision-time (the scale-up times out) and a backoff"
            if p.timed_out else "waits for the cloud's refusal and a backoff")
    fallback = f" before it falls back to {p.fallback}" if p.fallback else " before it tries another group"
    what = "; ".join(str(d) for d in p.change.get("diff") or [])[:80] or "written"
    pods = ", ".join(map(str, p.pending[:2]))
    group = f"node group {p.group}" if p.group else "the group the autoscaler chose first after the write"
    message = (f"{p.ranking} ({what}, {minutes_text(p.minutes_before)} before the alert) ranks first, at priority "
               f"{p.priority}, the groups matching {p.pattern}; {group} cannot provision: "
               f"{p.why or 'no nodes came up'}. Each scale-up for the Pending pods ({pods}) "
               f"goes there first and {wait}{fallback}. Rank a group that can grow first in {p.ranking} "
               "(or give the top group more instance types or zones).")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "ConfigMap", "namespace": p.ranking.namespace, "name": p.ranking.name},
            "reason": "ExpanderPrefersFailingGroup", "message": message,
            "evidence": [f"{p.group or p.pattern}: {p.why}"[:200]],
            "details": {"group": p.group, "priority": p.priority, "pattern": p.pattern, "fallback": p.fallback,
                        "change_at": p.change.get("at"), "timed_out": p.timed_out}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The ranking; it explains the Pending workloads that wait on its first group."""
    return [(p.ranking, finding(p), p.evidence, p.pending) for p in found(facts)]
