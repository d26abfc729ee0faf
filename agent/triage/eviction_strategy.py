"""What an evicting controller's strategy does, read from its own records and its policy.

The descheduler names the strategy (plugin) behind each eviction: in its log ("Evicted pod" pod="ns/x"
strategy="RemovePodsViolatingTopologySpreadConstraint"), in its metric's `strategy` label, and in newer releases
as the event's reason (action `Descheduled`). Its policy (a DeschedulerPolicy in a ConfigMap) enables the
plugins and their args. A change to that policy matters through what the strategy then does, so the
finding states the strategy's documented meaning with the args that decide it: `constraints` naming
`ScheduleAnyway` makes RemovePodsViolatingTopologySpreadConstraint enforce soft spreads the scheduler is allowed
to leave skewed (so the evicted pods land the same way and are evicted again), `thresholds`/`targetThresholds`
drive LowNodeUtilization, `maxPodLifeTimeSeconds` PodLifeTime, and so on.

The policy comes in two layouts: v1alpha1's `strategies: {Name: {enabled: bool, params: {...}}}` (a strategy may be
listed and disabled) and v1alpha2's `profiles[].plugins.<extension point>.enabled` with args under
`profiles[].pluginConfig[]` (a plugin configured there but not enabled does not run). Only the enabled ones count
when the policy alone must say which strategy evicted; the written args themselves are said by the config diff.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MEANINGS: dict[str, str] = {
    "RemovePodsViolatingTopologySpreadConstraint":
        "evicts pods whose topology spread is skewed beyond maxSkew",
    "LowNodeUtilization":
        "evicts pods from nodes above its targetThresholds onto nodes under its thresholds",
    "HighNodeUtilization":
        "evicts pods from under-used nodes (below its thresholds) to pack them onto fewer nodes",
    "RemoveDuplicates": "evicts all but one pod of the same owner on a node",
    "RemovePodsViolatingInterPodAntiAffinity": "evicts pods that break an inter-pod anti-affinity rule",
    "RemovePodsViolatingNodeAffinity": "evicts pods whose node no longer matches their node affinity",
    "RemovePodsViolatingNodeTaints": "evicts pods that do not tolerate a taint of their node",
    "RemovePodsHavingTooManyRestarts": "evicts pods whose restarts exceed podRestartThreshold",
    "PodLifeTime": "evicts every pod older than maxPodLifeTimeSeconds",
    "RemoveFailedPods": "evicts failed pods",
}
"""The descheduler's plugins (strategies) and what each evicts, as its documentation states."""

_NAMED = re.compile(r"\b(" + "|".join(sorted(MEANINGS, key=len, reverse=True)) + r")\b")
_SOFT = re.compile(r"\bScheduleAnyway\b")


def named(text: str) -> list[str]:
    """The strategies a text names (a log line's `strategy="..."`, an event's reason, a metric label), in order."""
    return list(dict.fromkeys(m.group(1) for m in _NAMED.finditer(text)))


def _load(policy: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(policy)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def enabled(policy: str) -> list[str]:
    """The strategies the policy enables, in order: v1alpha2 profiles' plugins `enabled` lists, v1alpha1
    `strategies` whose `enabled` is not false; the names the text carries when it is neither layout."""
    doc = _load(policy)
    out: list[str] = []
    for profile in doc.get("profiles") or []:
        for point in ((profile.get("plugins") or {}) if isinstance(profile, dict) else {}).values():
            out += [str(n) for n in ((point or {}).get("enabled") or [] if isinstance(point, dict) else [])]
    strategies = doc.get("strategies")
    if isinstance(strategies, dict):
        out += [str(n) for n, body in strategies.items()
                if not (isinstance(body, dict) and body.get("enabled") is False)]
    if not doc.get("profiles") and not isinstance(strategies, dict):
        return named(policy)
    return [n for n in dict.fromkeys(out) if n in MEANINGS]


def meaning(strategy: str, policy: str) -> str:
    """What the strategy does under this policy: its documented meaning, sharpened by the args that decide it."""
    base = MEANINGS.get(strategy, "")
    if not base:
        return ""
    if strategy == "RemovePodsViolatingTopologySpreadConstraint" and _SOFT.search(policy):
        return (f"{base}, and its constraints include ScheduleAnyway, so it also enforces soft (ScheduleAnyway) "
                "topology spread constraints the scheduler may leave skewed: the evicted pods are placed the same "
                "way and evicted again, an eviction loop")
    return base


def describe(texts: list[str], policy: str) -> tuple[str, str]:
    """(strategy, meaning) for the first strategy the actor's records name, else the one the policy enables when
    it enables only one; ("", "") when neither says."""
    said = [s for t in texts for s in named(t)]
    if not said:
        on = enabled(policy)
        said = on if len(on) == 1 else []
        if not said and _SOFT.search(policy) and "RemovePodsViolatingTopologySpreadConstraint" in on:
            said = ["RemovePodsViolatingTopologySpreadConstraint"]
    if not said:
        return "", ""
    return said[0], meaning(said[0], policy)
