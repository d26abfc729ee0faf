"""A server setting that disables a command or turns on a mode its clients still rely on: their errors name it.

Hardening a datastore is a config write that looks harmless on the server: it starts, it is healthy, nothing of
its own fails. What breaks is a client that used what the write took away, and it says so in the server's own
wording, which names the very command or mode:

* Redis/Valkey/KeyDB `rename-command CONFIG ""` (redis.conf, `--rename-command` args, the Bitnami images'
  `REDIS_DISABLE_COMMANDS=FLUSHDB,CONFIG` env) removes a command; a
  client that calls it gets `ERR unknown command 'CONFIG'` (Redis 7 adds "with args beginning with: ..."). An ACL
  rule (`user default on ... -config`, `-@dangerous`, `-@admin`) refuses it with `NOPERM ... no permissions to
  run the 'config' command`. Clients that configure the server at start-up then fail to start: Spring Session's
  keyspace-notification set-up runs `CONFIG GET/SET notify-keyspace-events` (ConfigureNotifyKeyspaceEventsAction,
  unless ConfigureRedisAction.NO_OP), clients name connections with `CLIENT SETNAME`, queues read
  `CONFIG GET maxmemory-policy` (redis.io, "Security" / rename-command, "ACL").
* MySQL/MariaDB `sql_mode` (my.cnf, `--sql-mode`): adding ONLY_FULL_GROUP_BY rejects a GROUP BY query that was
  accepted ("... this is incompatible with sql_mode=only_full_group_by"), STRICT_TRANS_TABLES turns a missing
  value into an error ("Field 'x' doesn't have a default value"), NO_ZERO_DATE a zero date ("Incorrect datetime
  value: '0000-00-00 ...'") (MySQL reference manual, "Server SQL Modes").
* A server made read-only by a setting: PostgreSQL `default_transaction_read_only = on` ("cannot execute INSERT in
  a read-only transaction"), MySQL `read_only` / `super_read_only` (error 1290, "running with the --read-only
  option"). Written on a primary (not reached by a failover), it refuses every writer.

* More families, each one entry of the table in disabled_rules.py (the server's refusal, the setting): MySQL
  require_secure_transport, local_infile, disabled_storage_engines; PostgreSQL max_prepared_transactions=0;
  Elasticsearch action.destructive_requires_name; Redis enable-debug-command, min-replicas-to-write; Kafka
  delete.topic.enable.

`found` is pure over the facts: a change written within `LEAD` before the errors began (the ConfigMap's data,
a workload's args or env) whose new text holds the directive that disables what the error names, and whose old
text (when the diff has it) did not. A directive for another command, one that was there before the write, or an
error printed before the write is no cause. `read` (reading only) fetches the current data of ConfigMaps written
recently whose diff shows no values, when such an error is in view. Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.disabled_rules import RULES, Rule
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.limit_hit import all_logs
from agent.triage.subject import workload_of_pod

CHECK = "change.disabled_command"
WEIGHT = 0.93
"""A server write that took away what a client's error names: above the client that crashes on it."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "disabled_command"
MAX_CONFIG_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
EMPTY = '""'

Call = Callable[..., Awaitable[Any]]

_DANGEROUS = frozenset({"config", "flushall", "flushdb", "keys", "debug", "shutdown", "save", "bgsave", "monitor",
                        "client", "replicaof", "slaveof", "acl", "module", "cluster", "sort", "migrate", "restore",
                        "info", "lastsave", "role", "swapdb", "failover", "latency", "slowlog", "memory"})
"""Commands in Redis' @admin/@dangerous ACL categories (redis.io "ACL", command categories)."""


_CALLERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"notify-keyspace-events", re.I),
     "the call is the keyspace-notification set-up that Spring Session (ConfigureNotifyKeyspaceEventsAction) and "
     "other session/cache libraries run at start-up (CONFIG GET/SET notify-keyspace-events); Spring Session can "
     "skip it with ConfigureRedisAction.NO_OP once notify-keyspace-events is set in the server's config"),
    (re.compile(r"\bSETNAME\b", re.I), "the call is CLIENT SETNAME, which clients send on every new connection"),
    (re.compile(r"maxmemory-policy", re.I), "the call is the queue library's start-up check of maxmemory-policy"),
)


@dataclass
class Disabled:
    """A write that took away what a client's error names."""

    target: Ref
    rule: Rule
    what: str
    directive: str
    old_known: bool
    """Whether the write's old text is known (and lacked the directive)."""
    error: str
    victim: Ref
    at: str
    minutes_before: int
    restarted: str = ""
    """The server's restart after the write (a config file is read at start)."""
    evidence: list[str] = field(default_factory=list)


# ---- what the errors say ---------------------------------------------------------------------------------


@dataclass
class _Error:
    rule: Rule
    what: str
    text: str
    log: LogEvidence
    first: datetime | None


def _entries(log: LogEvidence) -> list[tuple[str, datetime | None]]:
    out: list[tuple[str, datetime | None]] = [(said_by(e), parse_time(e.get("first_seen"))) for e in log.entries()]
    return out + [(line, None) for line in log.last_lines]


def _what(rule: Rule, m: re.Match[str]) -> str:
    groups = m.groupdict()
    if rule.name == "mysql_sql_mode":
        if groups.get("strict"):
            return "STRICT_TRANS_TABLES"
        if groups.get("zero"):
            return "NO_ZERO_DATE"
    if rule.name == "server_read_only":
        return "default_transaction_read_only" if groups.get("pg") else "read_only"
    return str(groups.get("what") or groups.get("acl") or rule.label)


def _errors(facts: Facts) -> list[_Error]:
    """Each (rule, what, pod) an error names, with the earliest time it was seen."""
    out: dict[tuple[str, str, str], _Error] = {}
    for log in all_logs(facts):
        for said, when in _entries(log):
            for rule in RULES:
                m = rule.error.search(said)
                what = _what(rule, m) if m else ""
                if not m or not what:
                    continue
                key = (rule.name, what.lower(), f"{log.namespace}/{log.pod}")
                seen = out.get(key)
                start = max(0, m.start() - 40)
                start = said.rfind(" ", 0, start) + 1 if start else 0  # from a word's start
                quote = " ".join(said[start:start + 220].split())
                if seen is None:
                    out[key] = _Error(rule, what, quote, log, when)
                elif when is not None and (seen.first is None or when < seen.first):
                    seen.first = when
    return list(out.values())


# ---- what the write says ---------------------------------------------------------------------------------


def _redis_directive(text: str, what: str) -> str:
    """The line of `text` that takes the command `what` away: a rename-command, or an ACL rule that refuses it."""
    cmd = re.escape(what)
    m = re.search(rf"rename-command[\s'\",]{{1,6}}({cmd})\b(?:[ \t'\",]{{1,6}}?(\"\"|[\w-]+))?", text, re.I)
    if m:
        return f"rename-command {m.group(1)} {m.group(2) or EMPTY}"
    m = re.search(rf"(?:REDIS|VALKEY|KEYDB)_DISABLE_COMMANDS\W{{1,4}}[\w, -]*?\b{cmd}\b[\w, -]*", text, re.I)
    if m:  # the Bitnami images' env: each listed command renamed to "" at start
        return " ".join(m.group(0).replace("'", "").replace('"', "").split())
    for line in re.split(r"\\n|\n", text):
        rule = re.search(r"(?:^|[\s'\"])(user\s+\S+.*)", line, re.I)
        if rule is None:
            continue
        line = rule.group(1).strip("'\" ")
        if re.search(rf"(?:^|\s)-{cmd}(?:\|[\w-]+)?(?=\s|$)", line, re.I) or (
                what.lower() in _DANGEROUS and re.search(r"(?:^|\s)-@(?:all|dangerous|admin)(?=\s|$)", line, re.I)):
            return " ".join(line.split())[:160]
    return ""


def _sql_mode_directive(text: str, what: str) -> str:
    """The sql_mode setting of `text` when it holds the mode `what`."""
    for m in re.finditer(r"sql[-_]mode\W{1,4}([A-Z_, ]*[A-Z_])", text, re.I):
        modes = {x.strip().upper() for x in m.group(1).split(",")}
        if what.upper() in modes or (what.upper() == "STRICT_TRANS_TABLES" and "STRICT_ALL_TABLES" in modes):
            return m.group(0).strip()[:160]
    return ""


def _mode_in(rule: Rule, said: str, what: str) -> str:
    """The mode as the written directive spells it: a strictness error is named STRICT_TRANS_TABLES from its
    wording alone, but the write may have turned on STRICT_ALL_TABLES, and the finding must quote what was set."""
    if rule.name == "mysql_sql_mode" and what.upper() == "STRICT_TRANS_TABLES" \
            and "STRICT_TRANS_TABLES" not in said.upper() and "STRICT_ALL_TABLES" in said.upper():
        return "STRICT_ALL_TABLES"
    return what


def directive(rule: Rule, text: str, what: str) -> str:
    """The directive in `text` that disables (or turns on) what the error names, or ""."""
    if rule.name == "redis_command":
        return _redis_directive(text, what)
    if rule.name == "mysql_sql_mode":
        return _sql_mode_directive(text, what)
    for m in rule.setting.finditer(text) if rule.setting is not None else ():
        if not rule.names_what or re.search(rf"\b{re.escape(what)}\b", m.group(0), re.I):
            return m.group(0).strip()[:160]
    return ""


def _sides(change: dict[str, Any], facts: Facts, target: Ref) -> list[tuple[str | None, str]]:
    """(old text or None, new text) of each diff line, then the ConfigMap's current data when its diff shows none."""
    out: list[tuple[str | None, str]] = []
    for line in (str(d) for d in change.get("diff") or []):
        if " -> " in line:
            old, new = line.split(" -> ", 1)
            out.append((old, new))
        else:
            out.append((None, line))
    if target.kind == "ConfigMap":
        obj = facts.object_named("ConfigMap", target.namespace, target.name)
        out += [(None, str(v)) for v in ((obj or {}).get("data") or {}).values() if isinstance(v, str)]
    return out


def _restart_after(facts: Facts, change: dict[str, Any], at: datetime) -> str:
    """The restart of a workload that reads the written config, after the write (the server loads it at start)."""
    readers = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None and r.kind in WORKLOADS]
    for other, _ in facts.every_change():
        ref, when = Ref.of(other.get("object")), parse_time(other.get("at"))
        if ref is None or when is None or when < at or when > facts.at:
            continue
        if any(ref.same_object(r) for r in readers) and other.get("type") == "rollout":
            later = minutes_text(int((when - at).total_seconds() // 60))
            return f"{ref.kind} {ref.namespace}/{ref.name} restarted with it {later} later"
    return ""


def found(facts: Facts) -> list[Disabled]:
    """Each recent write whose new text takes away what a client's error names, one per object, newest first."""
    errors = _errors(facts)
    if not errors:
        return []
    out: list[Disabled] = []
    for change, evidence in sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or ""), reverse=True):
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or change.get("type") == "secret" or target.kind == "Secret" \
                or not timedelta(0) <= facts.at - at <= LEAD or any(d.target.same_object(target) for d in out):
            continue
        hit = _hit(facts, errors, change, target, at)
        if hit is not None:
            hit.evidence = [e for e in (evidence, *hit.evidence) if e]
            out.append(hit)
    return out


def _hit(facts: Facts, errors: list[_Error], change: dict[str, Any], target: Ref, at: datetime) -> Disabled | None:
    sides = _sides(change, facts, target)
    for error in errors:
        if error.first is not None and error.first < at - SLACK:
            continue  # printed before the write: the write did not start it
        for old, new in sides:
            said = directive(error.rule, new, error.what)
            if not said or (old is not None and directive(error.rule, old, error.what)):
                continue
            victim = Ref("", error.log.namespace, workload_of_pod(error.log.pod))
            what = _mode_in(error.rule, said, error.what)
            return Disabled(target, error.rule, what, said, old is not None, error.text, victim, str(change.get("at")),
                            int((facts.at - at).total_seconds() // 60), _restart_after(facts, change, at),
                            [error.log.evidence_id])
    return None


def finding(d: Disabled) -> dict[str, Any]:
    """The write, what it took away and what that means for the clients; the meaning first (headline)."""
    now = "now" if not d.old_known else "newly"
    restarted = f"; {d.restarted}" if d.restarted else ""
    callers = next((text for pattern, text in _CALLERS if pattern.search(d.error)), "")
    message = (f"{d.target} {d.rule.short.format(what=d.what)} ({now} has `{d.directive}`, written "
               f"{minutes_text(d.minutes_before)} before the incident{restarted}). {d.victim.namespace}/"
               f"{d.victim.name} logs '{d.error[:180]}'. {d.rule.meaning}"
               + (f"; {callers}" if callers else "") + f". Fix: {d.rule.fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.target.kind, "namespace": d.target.namespace, "name": d.target.name},
            "reason": "ClientCommandDisabled", "message": message, "evidence": [d.error[:200]],
            "details": {"family": d.rule.name, "what": d.what, "directive": d.directive, "change_at": d.at,
                        "victim": f"{d.victim.namespace}/{d.victim.name}"}}


# ---- reading ---------------------------------------------------------------------------------------------


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the current data of ConfigMaps written within `LEAD` whose diff shows no values (`data key K
    set by M`), when an error naming a disabled command or mode is in view (at most `MAX_CONFIG_READS`)."""
    if not _errors(facts):
        return
    have = {(str((o.get("metadata") or {}).get("namespace") or ""), str((o.get("metadata") or {}).get("name")))
            for o, _ in facts.objects if o.get("kind", "ConfigMap") == "ConfigMap"}
    reads = 0
    for change, _, target in facts.writes_to(("ConfigMap",), within=LEAD):
        if reads >= MAX_CONFIG_READS or (target.namespace, target.name) in have \
                or any(" -> " in str(d) for d in change.get("diff") or []):
            continue
        have.add((target.namespace, target.name))
        reads += 1
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-disabled-{target.name}")
        if got is not None and got[0].get("kind", "ConfigMap") == "ConfigMap":
            facts.objects.append(got)
