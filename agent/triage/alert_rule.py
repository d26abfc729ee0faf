"""A page from the alert rule's own config: a rule made twitchy (no `for:`, a short rate window) flaps on blips.

An alerting rule decides how sure it must be before it pages: the range of its `rate()`/`increase()` (how many
minutes of traffic one evaluation averages) and its `for:` (how long the condition must hold before the alert
leaves pending). A write that shortens the window (5m -> 1m) or removes `for:` (or sets it to 0s) turns every
short blip a healthy service has (a burst of upstream 502s, one slow GC) into a page that resolves a minute later
and fires again: flapping. Nothing in the service changed; the rule did. The same holds for a Prometheus rules
file in a ConfigMap (`groups: - rules: - alert:`), a VictoriaMetrics VMRule, a Thanos/Mimir ruler file.

The survey (`read`, reading only) takes each rule object written in the LEAD before the incident, keeps the
alerting rules in it that are twitchy (no `for:` or at most `TWITCHY_FOR`, or a range at most `TWITCHY_RANGE`)
and whose alert fired around the incident, then measures two things in Prometheus: how many separate firing
episodes the alert had in the `FLAP_WINDOW` (the `ALERTS` series as a 0/1 signal, its changes counted), and
whether the rule's own condition holds over a sustained window (its ranges lengthened to `SUSTAINED`). The write is
named when the alert flapped (at least `MIN_EPISODES` episodes) and the sustained condition is false: the page
is the rule's config. A rule whose condition holds over the long window too (the service is really failing), a
rule that still waits (`for: 10m`) with a 5m window, or an alert that fired once and stayed firing is not named.
`found` is pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.subject_values import camel_words

CHECK = "change.alert_rule"
WEIGHT = 0.94
"""The rule's own write explains a page that the service's sustained numbers do not: above the victim's errors."""
STORE = "alert_rule"
LEAD = timedelta(hours=24)
FLAP_WINDOW = "3h"
MIN_EPISODES = 3
"""Separate firing episodes in the FLAP_WINDOW that make an alert flapping rather than failing once."""
SUSTAINED = "15m"
TWITCHY_FOR = timedelta(minutes=1)
TWITCHY_RANGE = timedelta(minutes=2)
RULE_KINDS = {"PrometheusRule", "VMRule", "ConfigMap"}
MAX_RULES = 3

_RANGE = re.compile(r"\[(\d+(?:\.\d+)?)(ms|s|m|h|d)(?::[^\]]*)?\]")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}

Call = Callable[..., Awaitable[Any]]


def duration(text: str) -> timedelta | None:
    """A Prometheus duration (`90s`, `5m`, `1h30m`), None when it is not one."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", str(text or ""))
    if not parts or "".join(a + b for a, b in parts) != str(text).strip():
        return None
    return timedelta(seconds=sum(float(a) * _UNITS[b] for a, b in parts))


def shortest_range(expr: str) -> timedelta | None:
    """The shortest range selector in an expression (the window one evaluation averages)."""
    found = [timedelta(seconds=float(a) * _UNITS[b]) for a, b in _RANGE.findall(expr)]
    return min(found) if found else None


def alerting_rules(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerting rules of a rule object: a PrometheusRule/VMRule's spec.groups, or a rules file in a ConfigMap."""
    groups: list[Any] = list((obj.get("spec") or {}).get("groups") or [])
    for text in (obj.get("data") or {}).values():
        if "alert:" not in str(text):
            continue
        try:
            loaded = yaml.safe_load(str(text))
        except yaml.YAMLError:
            continue
        if isinstance(loaded, dict):
            groups += list(loaded.get("groups") or [])
    return [r for g in groups if isinstance(g, dict) for r in g.get("rules") or []
            if isinstance(r, dict) and r.get("alert") and r.get("expr")]


def twitchy(rule: dict[str, Any]) -> list[str]:
    """What makes a rule page on a blip: no (or a tiny) `for:`, a short range. Empty when it waits and averages."""
    out: list[str] = []
    wait = duration(str(rule.get("for") or "0s"))
    if wait is not None and wait <= TWITCHY_FOR:
        out.append("no for: (pending duration)" if not rule.get("for") else f"for: {rule.get('for')}")
    window = shortest_range(str(rule.get("expr") or ""))
    if window is not None and window <= TWITCHY_RANGE:
        out.append(f"a {int(window.total_seconds() // 60) or 1}m rate window"
                   if window >= timedelta(minutes=1) else f"a {int(window.total_seconds())}s rate window")
    return out


def _previous(obj: dict[str, Any], alert: str) -> dict[str, Any] | None:
    """The rule as last applied (kubectl's annotation), when the object carries it: what the write changed."""
    note = ((obj.get("metadata") or {}).get("annotations") or {}).get(
        "kubectl.kubernetes.io/last-applied-configuration")
    if not note:
        return None
    try:
        old = json.loads(str(note))
    except ValueError:
        return None
    return next((r for r in alerting_rules(old) if r.get("alert") == alert), None) if isinstance(old, dict) else None


def _lengthened(expr: str) -> str:
    return _RANGE.sub(f"[{SUSTAINED}]", expr)


def _about_subject(subject: Subject, alert: str) -> bool:
    words = set(camel_words(alert))
    said = {w for p in [*subject.phrases, *subject.names, *subject.labelled_values] for w in re.split(r"[-_./]", p)}
    return len(words & said) >= 2 or any(alert.lower() == v.lower() for v in subject.labelled_values)


async def _value(call: Call, query: str, at: str, step: str) -> tuple[float | None, str, bool]:
    """(first sample's value or None when the vector is empty, evidence id, whether the query answered)."""
    got = await call("prom_query", {"query": query, "time": at}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, "", False
    values = [s.get("value") for s in got.data.get("samples") or [] if isinstance(s, dict)]
    nums = [float(v) for v in values if isinstance(v, int | float)]
    return (nums[0] if nums else None), got.evidence_id, True


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: written rule objects' twitchy alerting rules about the incident, their firing episodes and
    whether their condition holds over a sustained window."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, evidence, target in facts.writes_to(RULE_KINDS, within=LEAD, deletions=False)[:20]:
        if len(store) >= MAX_RULES:
            break
        if target.kind == "ConfigMap" and "alert" not in json.dumps([change.get("summary"), change.get("diff")]):
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-alert-rule-{target.name}")
        if got is None:
            continue
        obj, obj_ev = got
        for rule in alerting_rules(obj):
            alert = str(rule["alert"])
            why = twitchy(rule)
            if not why or not re.fullmatch(r"[A-Za-z_:][\w:]*", alert):
                continue
            selector = f'ALERTS{{alertname="{alert}",alertstate="firing"}}'
            signal = f"(max({selector}) or on() vector(0))"
            changes, ep_ev, answered = await _value(call, f"changes({signal}[{FLAP_WINDOW}:1m])", at,
                                                    f"survey-alert-rule-flaps-{alert}")
            if not answered:
                continue
            firing, _, _ = await _value(call, f"max(max_over_time({selector}[30m]))", at,
                                        f"survey-alert-rule-firing-{alert}")
            if firing is None and not _about_subject(subject, alert):
                continue
            held, held_ev, held_ok = await _value(call, _lengthened(str(rule["expr"])), at,
                                                  f"survey-alert-rule-sustained-{alert}")
            store.append({"ref": [target.kind, target.namespace, target.name], "change": change, "alert": alert,
                          "why": why, "expr": str(rule["expr"]), "for": str(rule.get("for") or ""),
                          "previous": _previous(obj, alert), "changes": changes,
                          "sustained": held if held_ok else "unknown", "about": _about_subject(subject, alert),
                          "firing": firing is not None,
                          "evidence": [e for e in (evidence, obj_ev, ep_ev, held_ev) if e]})


@dataclass
class TwitchyRule:
    """A rule written twitchy whose alert flapped while its condition does not hold over a sustained window."""

    rule: Ref
    alert: str
    written: datetime
    by: str
    why: list[str]
    episodes: int
    previous: str
    evidence: list[str] = field(default_factory=list)


def _was(previous: dict[str, Any] | None) -> str:
    if not previous:
        return ""
    window = shortest_range(str(previous.get("expr") or ""))
    parts = [f"for: {previous['for']}" if previous.get("for") else "",
             f"a {int(window.total_seconds() // 60)}m rate window" if window else ""]
    return ", ".join(p for p in parts if p)


def found(facts: Facts) -> list[TwitchyRule]:
    """Rules written in the LEAD, twitchy, whose alert fired in MIN_EPISODES separate episodes while the rule's
    condition over SUSTAINED is false (the service is not failing for that long)."""
    out: list[TwitchyRule] = []
    for entry in facts.reads.get(STORE) or []:
        changes = entry.get("changes")
        episodes = int((changes + 1) // 2) if isinstance(changes, int | float) else 0
        if episodes < MIN_EPISODES or entry.get("sustained") not in (None,) or not (entry.get("firing")
                                                                                  or entry.get("about")):
            continue  # failing over the long window too (or unknown): the service, not the rule
        when = parse_time(entry["change"].get("at"))
        if when is None:
            continue
        previous = _was(entry.get("previous"))
        out.append(TwitchyRule(Ref(*entry["ref"]), str(entry["alert"]), when, written_by(entry["change"]),
                               list(entry.get("why") or []), episodes, previous, list(entry.get("evidence") or [])))
    out.sort(key=lambda t: (not t.why, -t.episodes))
    return out[:1]


def finding(hit: TwitchyRule, at: datetime) -> dict[str, Any]:
    """What the write means first (the alert pages on blips: flapping), then the numbers that show it."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    was = f" (it had {hit.previous})" if hit.previous else " (a rule usually waits with for: 5m-10m over a 5m " \
                                                           "rate window)"
    message = (f"{hit.rule} was written{' by ' + hit.by if hit.by else ''} {ago} before the page: alert {hit.alert} "
               f"now has {' and '.join(hit.why)}{was}, so every short blip fires and resolves a minute later: the "
               f"alert is flapping ({hit.episodes} firing episodes in {FLAP_WINDOW}) while its condition over "
               f"{SUSTAINED} does not hold: the service is healthy and the page is the alert rule's own config. "
               f"Restore the for: and the rate window in {hit.rule}")
    return {"check": CHECK, "severity": "critical", "reason": "AlertRuleFlapping",
            "object": {"kind": hit.rule.kind, "namespace": hit.rule.namespace, "name": hit.rule.name},
            "message": message, "evidence": [f"{hit.alert}: {', '.join(hit.why)}; {hit.episodes} episodes"],
            "details": {"alert": hit.alert, "episodes": hit.episodes,
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The rule whose own write makes its alert flap on a healthy service."""
    return [(h.rule, finding(h, facts.at), h.evidence, []) for h in found(facts)]
