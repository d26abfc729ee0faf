"""A metrics query layer's deduplication setting removed: the HA replicas' series are counted twice.

Monitoring is run in pairs (two Prometheus replicas scraping the same targets, an HA pair of agents writing to the
same store) and the layer that answers queries folds the pair into one series: Thanos Query by the label that
tells the replicas apart (`--query.replica-label=prometheus_replica`; Thanos Compact's
`--deduplication.replica-label`), Cortex/Mimir by the distributor's HA tracker (`-distributor.ha-tracker.enable`,
the per-tenant `accept_ha_samples`), VictoriaMetrics by `-dedup.minScrapeInterval` (vmagent's
`-streamAggr.dedupInterval`). When a rollout drops that setting (a chart upgrade that rewrote the args, a flag
renamed in a new version), nothing fails: every query still answers, but `sum()`/`count()`/`increase()` over the
pair now add both replicas. Alerts and rules evaluated through the layer read about twice the real value and fire
(a backlog "over 5000" that is 2,800 on either replica), dashboards double, while the measured service is fine.

`found` is pure over the change timeline: a write to a workload or config (within `LEAD` before the incident) whose
diff had a deduplication setting active in its old text and none of the same family active in its new text. A
setting replaced by another value of the same family (another replica label, a shorter interval), one added, or a
write after the incident began is no cause. `read` reads nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import arg_flags
from agent.triage.facts import Facts, Ref, minutes_text, parse_time

CHECK = "change.dedup_dropped"
WEIGHT = 0.86
"""A write that took away the query layer's deduplication: above the unrelated rollouts of the window, below a
finding that shows the measured service itself failing."""
LEAD = timedelta(hours=12)
KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "ConfigMap", "ThanosRuler", "ThanosQuery",
         "VMCluster", "VMSingle", "VMAgent", "Prometheus")
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Family:
    """One way a query layer deduplicates: the settings that say it, and what value leaves it off."""

    name: str
    keys: re.Pattern[str]
    off: re.Pattern[str]
    meaning: str


FAMILIES = (
    Family("replica label", re.compile(r"^(?:query\.replica-label|deduplication\.replica-label|replica[_-]labels?)$",
                                       re.I),
           re.compile(r"^(?:|\(unset\)|\[\]|none|null|''|\"\")$", re.I),
           "the label that tells the HA replicas apart, by which the query layer folds their series into one"),
    Family("HA tracker", re.compile(r"^(?:distributor\.ha-tracker\.enable(?:-for-all-users)?|accept[_-]ha[_-]samples|"
                                    r"enable[_-]ha[_-]tracker|ha[_-]tracker[_-]enabled?)$", re.I),
           re.compile(r"^(?:false|0|no|off|\(unset\)|none|null)$", re.I),
           "the distributor's HA tracker, which keeps the samples of one replica of each HA pair and drops the "
           "other's"),
    Family("dedup interval", re.compile(r"^(?:dedup\.minScrapeInterval|(?:remoteWrite\.)?streamAggr\.dedupInterval|"
                                        r"dedup[_-]?min[_-]?scrape[_-]?interval|dedup[_-]?interval)$", re.I),
           re.compile(r"^(?:0|0s|0ms|\(unset\)|none|null|)$", re.I),
           "the deduplication interval, by which samples of the HA replicas at the same instant are kept once"),
)

_VALUE = r"""'[^']*'|"[^"]*"|\S+"""
_LEAF_DIFF = re.compile(rf"(?P<key>[\w.-]+)\s+(?P<old>{_VALUE})\s+->\s+(?P<new>{_VALUE})\s*$")
"""A field or config key written from one value to another (`limits.accept_ha_samples 'true' -> 'false'`)."""


@dataclass
class Dropped:
    """A write that turned a query layer's deduplication off."""

    target: Ref
    family: Family
    setting: str
    old: str
    new: str
    at: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _family(key: str) -> Family | None:
    """The family a setting belongs to: `--query.replica-label` whole, `limits.accept_ha_samples` by its leaf."""
    bare = key.lstrip("-")
    last = bare.rsplit(".", 1)[-1]
    return next((f for f in FAMILIES if f.keys.match(bare) or f.keys.match(last)), None)


def _on(settings: dict[str, str]) -> dict[Family, tuple[str, str]]:
    """{family: (setting, value)} of the families `settings` leaves on."""
    out: dict[Family, tuple[str, str]] = {}
    for key, value in settings.items():
        fam = _family(key)
        if fam is not None and not fam.off.match(value.strip("'\"")):
            out[fam] = (key, value)
    return out


def _args_lost(line: str) -> list[tuple[Family, str, str, str]]:
    sides = arg_flags.diff_flags(line, "true")
    if sides is None:
        return []
    before, now = sides
    after = _on(now)
    return [(fam, key, value, now.get(key, "(unset)")) for fam, (key, value) in _on(before).items() if fam not in after]


def _leaf_lost(line: str) -> list[tuple[Family, str, str, str]]:
    m = _LEAF_DIFF.search(line.strip())
    if m is None:
        return []
    fam = _family(m.group("key"))
    old, new = m.group("old").strip("'\""), m.group("new").strip("'\"")
    if fam is None or fam.off.match(old) or not fam.off.match(new):
        return []
    return [(fam, m.group("key"), old, new)]


def lost(line: str) -> list[tuple[Family, str, str, str]]:
    """(family, setting, old value, new value) for each deduplication a diff line turns off."""
    return _args_lost(line) or _leaf_lost(line)


def found(facts: Facts) -> list[Dropped]:
    """Writes in the LEAD before the incident that turned a deduplication setting off (pure)."""
    out: list[Dropped] = []
    for change, evidence, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        for line in [str(x) for x in change.get("diff") or []]:
            for fam, key, old, new in lost(line):
                if not any(d.target.same_object(target) and d.family is fam for d in out):
                    out.append(Dropped(target, fam, key, old, new, str(change.get("at")),
                                       int((facts.at - at).total_seconds() // 60), [e for e in (evidence,) if e]))
    return out


async def read(subject: Any, facts: Facts, call: Call, at: str) -> None:
    """Nothing to read: the change timeline the survey holds says it all."""


def finding(d: Dropped) -> dict[str, Any]:
    """The setting the write removed first, then what its absence does to every sum over the HA pair."""
    flag = d.setting if d.setting.startswith("-") else f"`{d.setting}`"
    was = f"{flag}={d.old}" if d.old not in ("true", "") else flag
    message = (f"{d.target} was written {minutes_text(d.minutes_before)} before the alert and its {d.family.name} "
               f"deduplication is gone: {was} -> {d.new}. That setting is {d.family.meaning}; without it the query "
               f"layer returns both HA replicas' copies of every series, so sum()/count()/increase() over them read "
               f"about twice the real value and metric alerts and rules evaluated through it fire on doubled numbers "
               f"while the measured service is unchanged (check a single replica's own value). Restore the "
               f"deduplication setting")
    return {"check": CHECK, "severity": "warning",
            "object": {"kind": d.target.kind, "namespace": d.target.namespace, "name": d.target.name},
            "reason": "DeduplicationDropped", "message": message, "evidence": [f"{was} -> {d.new}"],
            "details": {"setting": d.setting, "old": d.old, "new": d.new, "at": d.at}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(d.target, finding(d), d.evidence, []) for d in found(facts)]
