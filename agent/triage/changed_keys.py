"""A changed setting that the errors name: the change that set it is the cause.

Software that fails because of a setting often names it: the Kafka consumer says the time between
polls "was longer than the configured max.poll.interval.ms", PostgreSQL refuses clients past
`max_connections`, Redis rejects writes at `maxmemory`, nginx cites `client_max_body_size`, grpc-go
a max receive message size. When the change timeline shows that very key changed shortly before
(an env var in a rollout, a ConfigMap data key, a line of a ConfigMap file), the change is the cause,
whatever else the scan finds. Keys are compared in one normal form, so the same setting matches in
every spelling its ecosystems use: `max.poll.interval.ms`, `max_poll_interval_ms`,
`maxPollIntervalMs`, `max-poll-interval-ms`, `SPRING_KAFKA_CONSUMER_MAX_POLL_INTERVAL_MS` (an env
var carries a prefix, so a key matches as a whole-word suffix of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.triage import value_diff
from agent.triage.facts import Facts, LogEvidence, Ref, error_words, parse_time

CHECK = "change.key_named"
WEIGHT = 0.9
"""A change to the very setting the errors name explains them, and is what to revert."""

MIN_KEY = 8
"""Normal-form length below which a key is too common a word to match on (`timeout`, `size`)."""

_ENV = re.compile(r"\benv (\w+)=(.*?) -> (?:\1=)?(.*)$")
_ENV_UNSET = re.compile(r"\benv (\w+) \(unset\) -> (?:\1=)?(.*)$")
_DATA = re.compile(r"\bdata key (\S+) (.*?) -> (.*?)(?: \(outside kubectl apply\))?$")
_KEYLIKE = re.compile(r"-?[A-Za-z][A-Za-z0-9]*(?:[._\-][A-Za-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+")
"""Words of an error that look like a setting: dotted, snake_case, kebab-case or camelCase."""
_ONE_WORD = re.compile(rf"['\"`]([A-Za-z]{{{MIN_KEY},}})['\"`]|\b(?:configured|setting|option|parameter|directive)"
                       rf"\s+['\"`]?([A-Za-z]{{{MIN_KEY},}})", re.I)
"""A one-word setting (`maxmemory`) counts only quoted or called a setting: plain words are not keys."""


def normal(key: str) -> list[str]:
    """A key as lower-case words: `maxPollIntervalMs`, `max.poll.interval.ms`, `MAX_POLL_INTERVAL_MS` ->
    [max, poll, interval, ms]."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.strip("-'\""))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def same_key(changed: str, named: str) -> bool:
    """Whether a changed key and a key an error names are the same setting: equal words, or the error's key is
    the whole-word tail of the changed one (an env prefix, a YAML path) and long enough to be specific."""
    a, b = normal(changed), normal(named)
    if not a or not b or len("".join(b)) < MIN_KEY:
        return False
    return a == b or (len(b) >= 2 and len(a) > len(b) and a[-len(b):] == b)


@dataclass
class ChangedKey:
    """One setting a change set: its key, the old value when known, the new one."""

    key: str
    old: str | None
    new: str


@dataclass
class KeyMatch:
    """A change that set a key the errors name, with the error that names it."""

    target: Ref
    change: dict[str, Any]
    key: ChangedKey
    named: str
    log: LogEvidence
    said: str
    minutes: int
    related: list[Ref] = field(default_factory=list)


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def keys_of(change: dict[str, Any]) -> list[ChangedKey]:
    """The settings a change's diff shows changed, with old and new values (env vars, data keys, and the leaves of a
    data key or env value holding a YAML/JSON/TOML/INI/properties file)."""
    out: list[ChangedKey] = []
    for line in (str(d) for d in change.get("diff") or []):
        if (m := _ENV.search(line)) or (m := _ENV_UNSET.search(line)):
            groups = m.groups()
            old, new = (groups[1], groups[2]) if len(groups) == 3 else (None, groups[1])
            old = _unquote(old) if old is not None else None
            leaves = value_diff.diff(old, _unquote(new), groups[0]) if old is not None else None
            if leaves:  # an env var holding JSON/YAML/`k=v` settings: the leaves that differ, under its name
                out += [ChangedKey(f"{groups[0]}.{c.path}", c.old, c.new if c.new is not None else "(removed)")
                        for c in leaves]
            else:
                out.append(ChangedKey(groups[0], old, _unquote(new)))
        elif m := _DATA.search(line):
            key, old, new = m.group(1), _unquote(m.group(2)), _unquote(m.group(3))
            leaves = value_diff.diff(old, new, key)  # a file: the settings that differ (agent.triage.value_diff)
            if leaves is not None:
                out += [ChangedKey(c.path, c.old, c.new if c.new is not None else "(removed)") for c in leaves]
            else:
                out.append(ChangedKey(key, old, new))
    return out


def _settings_of(target: Ref, facts: Facts) -> list[ChangedKey]:
    """A ConfigMap written without a diff (no last-applied copy): the settings the topology read from it now."""
    out = []
    for data, _ in facts.topologies:
        for setting in data.get("settings") or []:
            cm = Ref.of(setting.get("configmap")) if isinstance(setting, dict) else None
            if cm is not None and cm.same_object(target) and setting.get("setting"):
                out.append(ChangedKey(str(setting["setting"]), None, str(setting.get("value") or "")))
    return out


def _named_keys(log: LogEvidence) -> list[tuple[str, str]]:
    """(key-like word, the error as printed) of each error of the log, warnings included: a client often warns
    with the setting's name before it fails."""
    out = []
    for error in [log.top or {}, *log.more, *log.warnings]:
        text = error_words(error)
        said = str(error.get("message") or error.get("example") or error.get("template") or "")
        words = _KEYLIKE.findall(text) + [g for m in _ONE_WORD.finditer(text) for g in m.groups() if g]
        for word in dict.fromkeys(words):
            out.append((word, said))
    return out


def matches(facts: Facts, window_minutes: int = 6 * 60) -> list[KeyMatch]:
    """Changes before the symptom that set a key the errors of the logs name, newest first."""
    named = [(log, word, said) for log in facts.logs for word, said in _named_keys(log)]
    if not named:
        return []
    out: list[KeyMatch] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or change.get("type") == "secret":
            continue
        minutes = int((facts.at - at).total_seconds() // 60)
        if not 0 <= minutes <= window_minutes:
            continue
        keys = keys_of(change) or (_settings_of(target, facts) if change.get("type") == "config" else [])
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        hit = next(((k, log, word, said) for k in keys for log, word, said in named if same_key(k.key, word)), None)
        if hit is not None:
            key, log, word, said = hit
            out.append(KeyMatch(target, change, key, word, log, said[:200], minutes, related))
    return sorted(out, key=lambda m: m.minutes)


def finding(m: KeyMatch) -> dict[str, Any]:
    """The suspect as a scan-shaped finding: the change, the key with its values, and the error naming it."""
    values = f"{m.key.old!r} -> {m.key.new!r}" if m.key.old is not None else f"now {m.key.new!r}"
    who = str(m.change.get("summary") or "").split(":")[0].split(" (")[0]
    users = f" (read by {', '.join(str(r) for r in m.related[:2])})" if m.related else ""
    message = (f"{m.target}{users} changed {m.key.key} ({values}) {m.minutes} min before the alert, and the errors "
               f"name that setting ({m.named}): '{m.said}'. The change to {m.key.key} is the cause; revert it or set "
               f"a value the workload's real behaviour fits, then restart what reads it. Change: {who}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": m.target.kind, "namespace": m.target.namespace, "name": m.target.name},
            "reason": "ChangedSettingNamedInErrors", "message": message, "evidence": [m.said],
            "details": {"key": m.key.key, "old": m.key.old, "new": m.key.new, "named": m.named,
                        "minutes_before": m.minutes, "pod": m.log.pod}}
