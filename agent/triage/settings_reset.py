"""A write to a server's object dropped some of its settings, and the server says it reset them to their defaults.

Operators and GitOps tools render a server's configuration from the object they manage (a Zalando or CloudNativePG
cluster's parameters, a Redis or Kafka CR's config map, a Helm values block). When that object is re-applied from a
template that lacks a few keys, the server's next reload does not fail: it quietly runs those keys at their built-in
defaults. The object's own write then lists only what it still SETS (managedFields and diffs show the remaining
keys, never the missing ones), so a reader of the write names the wrong setting. The one place the lost keys show
is the server's reload line: PostgreSQL's `parameter "x" removed from configuration file, reset to default`, other
servers' `setting 'x' unset, reverting to default`, `[x] removed, falling back to default`. The clients that relied
on the old value then fail in their own words (a standby's replay conflicts cancelling long reads, an eviction
policy evicting keys, a retention deleting data).

This module reads, for each recent write, the logs of the written object's pods (all of them: only a standby may
say it) for such a reset line made after the write, and names the write with the keys it dropped and the clients'
error. Twins: a reset line with no write to its object before it, a write whose server reloaded only changed values
(no key reset), a reset with no client failing. Reading only; Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import line_time

Call = Callable[..., Awaitable[Any]]

CHECK = "change.settings_reset"
WEIGHT = 0.93
"""Above a write merely named near the errors (related_object): the server's own line says what the write lost."""
STORE = "settings_reset"
LEAD = timedelta(hours=24)
MAX_WRITES = 3
MAX_PODS = 4
GREP = "default"
"""The tool's grep is a plain substring: every RESET line holds it."""

RESET = re.compile(r"\b(?:reset|revert(?:s|ed|ing)?|restor(?:es|ed|ing)|fall(?:s|ing)?\s+back|set\s+back)"
                   r"\s+to\s+(?:the\s+|its\s+)?(?:built-?in\s+)?default|"
                   r"\busing\s+(?:the\s+|its\s+)?(?:built-?in\s+)?default|\bdefaulting\s+to\b", re.I)
"""A server's words for a setting now running at its default value (`reset to default`, `reverting to default`,
`falling back to default`, `using default value [90%]`, `defaulting to 0.4`)."""
DROPPED = re.compile(r"\b(?:removed|deleted|unset|dropped|no longer (?:set|present|configured)|missing from)\b", re.I)
"""The words that say the setting left the configuration (not a value changed or a counter reset)."""
KEY = re.compile(r"\"(?P<q>[A-Za-z_][\w.\-]*)\"|'(?P<s>[A-Za-z_][\w.\-]*)'|\[(?P<b>[A-Za-z_][\w.\-]*)\]|"
                 r"`(?P<t>[A-Za-z_][\w.\-]*)`|"
                 r"\b(?:parameter|setting|option|property|config|key)\s+(?P<w>[A-Za-z_][\w.\-]*[._-][\w.\-]*)", re.I)
"""The setting a reset line names: quoted, backticked, bracketed, or after a word that says it is a setting (a bare
name with a `.`, `_` or `-` in it: `vm_memory_high_watermark.relative`, `max-connections`)."""
SETTING_WORD = re.compile(r"\b(?:parameter|setting|option|property|config|key)\s*$", re.I)
NEAR = 24
"""How many characters may part a key from the drop word that follows it (`'x' unset by the operator`)."""


def reset_key(line: str) -> str | None:
    """The setting a server's line says was dropped and reset to its default, None for any other line."""
    dropped = DROPPED.search(line)
    if not (RESET.search(line) and dropped):
        return None
    # The key is the one the drop word closely follows (`setting 'x' removed`, `'x' unset by the operator`), else
    # the first after it (`removed [x]`), not a bracketed level or logger name the log format puts first
    # (`[WARN ][o.e.c.s.ClusterSettings]`).
    # A bare `[x]` is a key only after a word that says so (`config key [x]`): log formats bracket levels and loggers.
    keys = [k for k in KEY.finditer(line) if not k.group("b") or SETTING_WORD.search(line[:k.start()])]
    near = [k for k in keys if 0 <= dropped.start() - k.end() <= NEAR]
    after = [k for k in KEY.finditer(line) if k.start() >= dropped.end()]
    chosen = near[-1] if near else after[0] if after else keys[-1] if keys else None
    return next((g for g in chosen.groups() if g), None) if chosen else None


def _owned(pod: str, target: Ref) -> bool:
    """Whether a pod belongs to the written object (its workload, or named after it as operators name them)."""
    return workload_of_pod(pod) == target.name or pod.startswith(target.name + "-")


def _writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """The newest recent write per object (deletions left out), newest first as the timeline lists them."""
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        if not any(t.same_object(target) for _, _, t in out):
            out.append((change, evidence, target))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: for each recent write while a client outside its object fails, its object's pods' lines that
    say a setting was reset to default (with no client failing, `found` names nothing: nothing is read)."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"lines": []})
    listed_ns: dict[str, list[str]] = {}
    for _, _, target in _writes(facts)[:MAX_WRITES]:
        if not target.namespace or _victim(facts, target) is None:
            continue
        if target.namespace not in listed_ns:
            listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                                f"survey-settings-reset-pods-{target.namespace}")
            listed_ns[target.namespace] = [str(r.get("name")) for r in rows_of(listed) if has_run(r)]
        for pod in [p for p in listed_ns[target.namespace] if _owned(p, target)][:MAX_PODS]:
            got = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "grep": GREP},
                             f"survey-settings-reset-logs-{pod}")
            if got is None or not got.ok:
                continue
            lines = [ln.strip() for ln in (got.full_text or got.text).splitlines() if reset_key(ln)]
            if lines:
                store["lines"].append({"ref": [target.kind, target.namespace, target.name], "pod": pod,
                                       "lines": lines[:6], "evidence": got.evidence_id})


@dataclass
class SettingsReset:
    """A write, the keys its server reset to default after it, and a client failing since."""

    target: Ref
    at: datetime
    by: str
    keys: list[str]
    said: str
    victim: LogEvidence
    evidence: list[str] = field(default_factory=list)


def _victim(facts: Facts, target: Ref) -> LogEvidence | None:
    """A pod outside the written object whose logs fail with an error (the first the survey read)."""
    return next((lg for lg in facts.logs if lg.top and lg.top.get("severity") in ("error", "fatal")
                 and not _owned(lg.pod, target)), None)


def found(facts: Facts) -> list[SettingsReset]:
    """Each recent write whose object's server reset settings to default after it, while a client fails."""
    seen = (facts.reads.get(STORE) or {}).get("lines") or []
    out: list[SettingsReset] = []
    for change, evidence, target in _writes(facts):
        when = parse_time(change.get("at"))
        if when is None:
            continue
        lines = [ln for s in seen if Ref(*s["ref"]).same_object(target) for ln in s["lines"]
                 if (t := line_time(ln)) is None or when <= t <= facts.at]
        victim = _victim(facts, target)
        if not lines or victim is None:
            continue
        keys = list(dict.fromkeys(k for k in (reset_key(ln) for ln in lines) if k))
        read_ids = [str(s.get("evidence") or "") for s in seen if Ref(*s["ref"]).same_object(target)]
        out.append(SettingsReset(target, when, written_by(change), keys, lines[0], victim,
                                 [e for e in (evidence, *read_ids, victim.evidence_id) if e]))
    return out[:1]


def finding(hit: SettingsReset, at: datetime) -> dict[str, Any]:
    """The dropped keys first (what the write lost), then the server's line and the client's error."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    error = str((hit.victim.top or {}).get("example") or (hit.victim.top or {}).get("template") or "")[:200]
    message = (f"{hit.target} was written{by} {ago} before the incident without settings its server relied on: "
               f"after the write the server reset {', '.join(hit.keys[:4])} to their defaults ('{hit.said[:160]}'), "
               f"and {hit.victim.namespace}/{hit.victim.pod} fails: '{error}'. The write lists only the keys "
               f"it still sets, so the lost ones show only in the server's reload. Restore "
               f"{', '.join(hit.keys[:4])} in the source the writer applies (its template or values)")
    return {"check": CHECK, "severity": "critical", "reason": "SettingsResetToDefault",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [hit.said[:200], error],
            "details": {"keys": hit.keys, "by": hit.by, "victim": hit.victim.pod}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write whose server reset settings to their defaults."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.target]) for h in found(facts)]
