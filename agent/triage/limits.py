"""A configured limit reached: the ConfigMap setting that explains an error in the logs.

When a Redis rejects writes at `maxmemory`, a PostgreSQL refuses clients past `max_connections`
or an nginx answers 413 past `client_max_body_size`, every pod is Running and Ready: no scan check
fires, and the service that logs the error looks guilty. The limit is a line in a ConfigMap value.
The topology lists the resource-bounding settings of the ConfigMaps the subject and its
dependencies read (`settings`, typed by resource, with the phrases their software prints at the
limit); here each one is held against the errors of the logs of the pods that hit it.

A setting is a strong suspect when the error carries its software's own words for that limit or
names the setting; a weaker one when only the kind of resource matches (a generic `pool.maxSize`
against "too many connections"). Timeouts are everywhere, so a generic timeout setting counts
only when the error prints its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import workload_of_pod

STRONG, WEAK = 0.88, 0.6
"""Cause weights of a setting whose software's words (or name) the error carries, and of one whose
resource only matches."""

_RESOURCE_WORDS: dict[str, re.Pattern[str]] = {
    "memory": re.compile(r"out of memory|\bOOM\b|OutOfMemory|\bmemory\b|\bheap\b|ENOMEM", re.I),
    "connections": re.compile(r"too many (?:connections|clients)|connection slots|max(?:imum)? (?:number of )?"
                              r"(?:connections|clients)|pool (?:exhausted|is full|timeout)|no more connections|"
                              r"connection (?:limit|is not available)", re.I),
    "timeout": re.compile(r"timed? ?out|timeout|deadline exceeded", re.I),
    "size": re.compile(r"too large|\b413\b|exceeds (?:the )?(?:maximum|max|limit)|size limit|packet bigger", re.I),
    "rate": re.compile(r"rate.?limit|too many requests|\b429\b|throttl", re.I),
}
"""How an error says which resource ran out, whatever software printed it."""


@dataclass
class Match:
    """The settings of one ConfigMap that an error hit, and the log that shows it."""

    configmap: Ref
    file: str
    settings: list[dict[str, Any]]
    log: LogEvidence
    said: str
    strength: float
    evidence_id: str
    workload: str


def _error_texts(log: LogEvidence) -> list[tuple[str, str]]:
    """(all the words of each error, the error as printed) of one pod's log facts."""
    out = []
    for error in [log.top or {}, *log.more]:
        parts = [str(error.get(k) or "") for k in ("exception", "message", "example", "template")]
        text = " ".join(p for p in parts if p)
        said = str(error.get("message") or error.get("example") or error.get("template") or "")
        exception = str(error.get("exception") or "")
        if exception and exception not in said:
            said = f"{exception}: {said}"
        if text:
            out.append((text, said))
    return out


def _strength(setting: dict[str, Any], text: str) -> float:
    says, name = str(setting.get("says") or ""), str(setting.get("setting") or "")
    leaf = name.rsplit(".", 1)[-1]
    if says:
        try:
            if re.search(says, text, re.I):
                return STRONG
        except re.error:
            pass
    if len(leaf) >= 6 and re.search(rf"(?<![\w-]){re.escape(leaf)}(?![\w-])", text, re.I):
        return STRONG
    resource = str(setting.get("resource") or "")
    words = _RESOURCE_WORDS.get(resource)
    if words is None or not words.search(text):
        return 0.0
    if resource == "timeout":
        value = re.match(r"\d+", str(setting.get("value") or ""))
        return WEAK if value and re.search(rf"(?<![\d.]){value.group(0)}(?![\d])", text) else 0.0
    return WEAK


def matches(facts: Facts) -> list[Match]:
    """Every ConfigMap whose resource-bounding settings an error of a related log hits, strongest first."""
    found: dict[Ref, Match] = {}
    errors = [(log, _error_texts(log)) for log in facts.logs]
    for data, evidence_id in facts.topologies:
        subject_pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        for setting in data.get("settings") or []:
            if not isinstance(setting, dict):
                continue
            cm, reader = Ref.of(setting.get("configmap")), Ref.of(setting.get("workload"))
            if cm is None:
                continue
            for log, texts in errors:
                if log.pod not in subject_pods and (reader is None or workload_of_pod(log.pod) != reader.name):
                    continue
                best = max(((_strength(setting, t), said) for t, said in texts), default=(0.0, ""))
                if best[0] <= 0:
                    continue
                match = found.get(cm)
                if match is None or best[0] > match.strength:
                    kept = match.settings if match is not None and match.file == setting.get("file") else []
                    found[cm] = Match(cm, str(setting.get("file") or ""), kept, log, best[1][:200], best[0],
                                      evidence_id, str(reader) if reader else "")
                    match = found[cm]
                if best[0] == match.strength and setting not in match.settings:
                    match.settings.append(setting)
    return sorted(found.values(), key=lambda m: -m.strength)


def finding(match: Match) -> dict[str, Any]:
    """The suspect as a scan-shaped finding (the rest of the ranking reads findings)."""
    settings = ", ".join(f"{s.get('setting')} {s.get('value')}" for s in match.settings[:4])
    resource = str(match.settings[0].get("resource") or "a resource")
    software = str(match.settings[0].get("software") or "")
    reader = f" for {match.workload}" if match.workload else ""
    sure = "the limit is reached" if match.strength >= STRONG else "the limit may be what is reached"
    message = (f"{match.configmap} ({match.file}) sets {settings}, which bounds {resource}{reader}"
               + (f" ({software})" if software else "")
               + f"; {workload_of_pod(match.log.pod)}'s logs say '{match.said}': {sure}. Raise the limit or change "
               "the setting (and the policy at the limit) in the ConfigMap, then restart what reads it")
    return {"check": "config.limit", "severity": "critical" if match.strength >= STRONG else "warning",
            "object": {"kind": "ConfigMap", "namespace": match.configmap.namespace, "name": match.configmap.name},
            "reason": "ConfiguredLimitReached", "message": message, "evidence": [match.said],
            "details": {"file": match.file, "settings": {str(s.get("setting")): str(s.get("value"))
                                                         for s in match.settings},
                        "resource": resource, "workload": match.workload}}
