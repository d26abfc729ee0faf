"""A SQL proxy's query routing rules written so that an earlier rule catches statements a later one kept on the
primary: locking reads or writes go to a read-only replica.

A read/write-splitting proxy (ProxySQL's `mysql_query_rules`, in its `proxysql.cnf` or as `INSERT INTO
mysql_query_rules` statements run at start) walks its rules in `rule_id` order and stops at the first matching rule
with `apply=1`. The documented pitfall: a rule sending `^SELECT` to the readers' hostgroup must come AFTER the rule
keeping `^SELECT.*FOR UPDATE` (or `FOR SHARE`, `LOCK IN SHARE MODE`) on the writer. Renumbered or reordered the other
way, the locking read goes to a replica; with `transaction_persistent` the rest of its transaction follows it, so the
UPDATE fails on the replica's read-only guard: MySQL "Error 1290 ... running with the --read-only option" (or 1836
super-read-only), PostgreSQL "cannot execute UPDATE in a read-only transaction" (25006).

`read` (reading only, when a log says a write was refused as read-only) reads the ConfigMaps written in the hours
before; `found` parses their query rules and names the write whose rules now route one rule's statements past it,
with what that means. Rules in a sane order, refusals that began before the write, or no refusals: nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "config.query_rule_shadowed"
WEIGHT = 0.94
"""The rule order that sends locking statements to a replica outranks the write of the file it sits in."""
READS = "query_rules"
WINDOW = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 4

READ_ONLY = re.compile(r"Error 1290\b|\b1290, The MySQL server is running with the --read-only|"
                       r"running with the --(?:super-)?read-only option|\bERROR 1836\b|"
                       r"cannot execute \w+ in a read-only transaction|\(SQLSTATE 25006\)", re.I)
"""A write refused because it reached a read-only server: MySQL's --read-only/--super-read-only guard, PostgreSQL's
read-only transaction (a hot standby)."""
RULES_WORD = re.compile(r"(?:mysql|pgsql)_query_rules", re.I)


@dataclass(frozen=True)
class Rule:
    """One query rule: its id, what it matches, where it sends it, whether matching stops there."""

    rule_id: int
    pattern: str
    hostgroup: int
    apply: bool


def _fields(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) for m in re.finditer(
        r"(\w+)\s*=\s*(\"[^\"]*\"|'[^']*'|[\w.-]+)", text)}


def parse_rules(text: str) -> list[Rule]:
    """The active rules of a proxysql.cnf `mysql_query_rules=( {...}, ... )` list (`pgsql_query_rules` for ProxySQL's
    PostgreSQL side) or of `INSERT INTO mysql_query_rules (cols) VALUES (...)` statements, in the order ProxySQL walks
    them (rule_id)."""
    out: list[Rule] = []
    block = re.search(r"(?:mysql|pgsql)_query_rules\s*[=:]\s*\((.*?)\n\s*\)", text, re.S)
    rows: list[dict[str, str]] = []
    if block is not None:
        rows = [_fields(m.group(1)) for m in re.finditer(r"\{([^}]*)\}", block.group(1))]
    inserts = r"INSERT\s+INTO\s+(?:mysql|pgsql)_query_rules\s*\(([^)]*)\)\s*VALUES\s*(.+?);"
    for m in re.finditer(inserts, text, re.I | re.S):
        cols = [c.strip().lower() for c in m.group(1).split(",")]
        for values in re.finditer(r"\(((?:[^()']|'[^']*')*)\)", m.group(2)):
            cells = [v.strip() for v in re.findall(r"'[^']*'|[^,]+", values.group(1))]
            rows.append(dict(zip(cols, cells, strict=False)))
    for row in rows:
        row = {k: v.strip().strip("\"'") for k, v in row.items()}
        pattern = row.get("match_digest") or row.get("match_pattern") or ""
        try:
            rule = Rule(int(row.get("rule_id", "")), pattern, int(row.get("destination_hostgroup", "")),
                        row.get("apply", "0") == "1")
        except ValueError:
            continue
        if pattern and row.get("active", "1") == "1":
            out.append(rule)
    return sorted(out, key=lambda r: r.rule_id)


def _sample(pattern: str) -> str:
    """A statement a rule's pattern stands for: `^SELECT.*FOR UPDATE` -> `SELECT x FOR UPDATE`."""
    text = re.sub(r"\.[*+]\??|\\s[*+]|\\s", " x ", pattern.strip("^$"))
    return re.sub(r"\\(.)", r"\1", re.sub(r"\s+", " ", text)).strip()


def shadowed(rules: list[Rule]) -> list[tuple[Rule, Rule]]:
    """(earlier, later) pairs where an earlier applying rule matches the statements a later rule was written for and
    sends them to another hostgroup: the later rule never runs for them."""
    out: list[tuple[Rule, Rule]] = []
    for i, later in enumerate(rules):
        sample = _sample(later.pattern)
        for earlier in rules[:i]:
            try:
                hit = re.search(earlier.pattern, sample, re.I) is not None
            except re.error:
                hit = False
            if earlier.apply and hit and earlier.hostgroup != later.hostgroup:
                out.append((earlier, later))
                break
    return out


@dataclass
class Shadowed:
    """A written object whose query rules now send one rule's statements elsewhere, and the refusals after it."""

    target: Ref
    change: dict[str, Any]
    earlier: Rule
    later: Rule
    onset: datetime
    line: str
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _refusals(facts: Facts) -> tuple[datetime, str, str] | None:
    """The earliest read-only refusal in the logs: (when, the line, evidence id)."""
    best: tuple[datetime, str, str] | None = None
    for log in facts.logs:
        times = [t for e in log.entries() if e and (t := parse_time(e.get("first_seen"))) is not None]
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or "")
            if not READ_ONLY.search(text):
                continue
            when = parse_time(entry.get("first_seen")) or min(times, default=facts.at)
            if best is None or when < best[0]:
                best = (when, " ".join(text.split()), log.evidence_id)
    return best


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a write was refused as read-only: the ConfigMaps written in the hours before, kept when
    they hold query rules."""
    refused = _refusals(facts)
    if refused is None:
        return
    store = _store(facts)
    seen = 0
    for change, evidence in facts.every_change():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or ref.kind != "ConfigMap" or not refused[0] - WINDOW <= when <= \
                refused[0] + SLACK or seen >= MAX_OBJECTS:
            continue
        seen += 1
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-query-rules-{ref.name}")
        if got is None:
            continue
        text = "\n".join(str(v) for v in (got[0].get("data") or {}).values())
        if RULES_WORD.search(text):
            store.setdefault("written", []).append({"ref": [ref.kind, ref.namespace, ref.name], "change": change,
                                                    "text": text[:30000], "evidence": [e for e in (evidence, got[1])
                                                                                       if e]})


def found(facts: Facts) -> list[Shadowed]:
    """Written rule sets in which an earlier rule now catches a later rule's statements, refusals following."""
    refused = _refusals(facts)
    if refused is None:
        return []
    onset, line, log_id = refused
    out: list[Shadowed] = []
    for entry in _store(facts).get("written") or []:
        when = parse_time(entry["change"].get("at"))
        pairs = shadowed(parse_rules(entry["text"]))
        if when is None or not pairs or onset < when - SLACK:
            continue
        earlier, later = pairs[0]
        out.append(Shadowed(Ref(*entry["ref"]), entry["change"], earlier, later, onset, line,
                            [*entry["evidence"], log_id]))
    return out


def finding(s: Shadowed) -> dict[str, Any]:
    """The written object and what its rule order now does first (about 400 characters are quoted)."""
    when = parse_time(s.change.get("at"))
    ahead = minutes_text(int((s.onset - when).total_seconds() // 60)) if when else "?"
    locking = bool(re.search(r"FOR\s+\(?(?:UPDATE|SHARE)|LOCK\s+IN\s+SHARE", s.later.pattern, re.I))
    what = "locking reads (SELECT ... FOR UPDATE) and the rest of their transactions" if locking else \
        f"the statements matching '{s.later.pattern}'"
    message = (f"{s.target} put ProxySQL's query rules in the wrong order: rule {s.earlier.rule_id} "
               f"('{s.earlier.pattern}' -> hostgroup {s.earlier.hostgroup}) now comes before and applies ahead of "
               f"query rule {s.later.rule_id} ('{s.later.pattern}' -> hostgroup {s.later.hostgroup}), so {what} go "
               f"to hostgroup {s.earlier.hostgroup}, a read-only replica, and their writes are refused as read-only, "
               f"from {ahead} after the write: '{s.line[:150]}'. Give rule {s.later.rule_id} a lower rule_id than "
               f"rule {s.earlier.rule_id} again")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "QueryRuleShadowed", "message": message,
            "evidence": [str(s.change.get("summary") or "")[:200], s.line[:300]],
            "details": {"earlier": s.earlier.rule_id, "later": s.later.rule_id, "onset": s.onset.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, finding, evidence ids, the readers it explains: the change's related workloads)."""
    out = []
    for s in found(facts):
        related = [r for r in (Ref.of(x) for x in s.change.get("related") or []) if r is not None]
        out.append((s.target, finding(s), s.evidence, related))
    return out
