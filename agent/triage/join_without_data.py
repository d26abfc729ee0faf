"""A datastore scaled out with its new members set to join without their data: reads routed to them find nothing.

In a ring-partitioned datastore a node that joins takes ownership of token ranges and, by default, streams the
data of those ranges from the current owners before it serves them (Cassandra and ScyllaDB "bootstrap": the node
is JOINING while it streams, NORMAL after). `auto_bootstrap: false` (cassandra.yaml / scylla.yaml, the
`-Dcassandra.auto_bootstrap=false` JVM option, an env the image maps to it) skips that: the node goes NORMAL at
once, owns its ranges, and holds none of their rows. Documented for a node that is seeded or restored another way;
on a plain scale-out (a StatefulSet's replicas raised) it means every read whose replica set lands on a new member
at consistency ONE/LOCAL_ONE returns no row: clients answer "not found" (404s, empty results) for data that
exists, in proportion to the ranges the new members took; writes go on succeeding, so nothing errors on the
server. The fix is to stream the data (`nodetool rebuild` / `nodetool repair` on the new nodes, or decommission
them and re-add them with bootstrap on), and to read at QUORUM meanwhile.

`found` is pure over the facts: a StatefulSet replica write within `LEAD` that grew the set (its newest member
created after the write while member 0 is older, or the diff's old -> new), whose spec as read back (env, args,
command, a mounted ConfigMap) or whose newest member's logs (JVM arguments) turn auto-bootstrap off, while the logs
or the alert speak of data not found. A scale-out with bootstrap on, a restart of every member (no new member),
or no not-found symptom is not this. `read` (reading only, bounded) reads the StatefulSet, its first and newest
members, the newest member's logs and the ConfigMaps it mounts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml

CHECK = "change.join_without_data"
WEIGHT = 0.92
"""A scale-out whose new members serve ranges without rows: the cause of the clients' not-found answers."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "join_without_data"
MAX_SETS = 2
MAX_CONFIGS = 2

Call = Callable[..., Awaitable[Any]]

BOOTSTRAP_OFF = re.compile(r"auto[_.-]?bootstrap['\"]?\s*(?:[=:]|\s)\s*['\"]?(?:false|0|no|off)\b", re.I)
"""`-Dcassandra.auto_bootstrap=false`, `auto_bootstrap: false`, `AUTO_BOOTSTRAP=false`."""
_REPLICAS = re.compile(r"replicas\b.*?(?:(?P<old>\d+)\s*->\s*(?P<new>\d+)|now (?P<now>\d+)|New size: (?P<size>\d+))|"
                       r"scaled (?:up |out )?from (?P<old2>\d+) to (?P<new2>\d+)", re.I)
MISSING = re.compile(r"\bnot[ _-]?found\b|NotFound|\b404\b|\b0 rows\b|\bno (?:\w+ )?rows?\b|empty result|"
                     r"no such (?:key|record|document|row)|\bnull result", re.I)
"""A client's words for data that is not there."""


@dataclass
class Joined:
    """A scale-out whose new members joined without streaming their ranges' data."""

    target: Ref
    size: str
    """`3 -> 6`, or `6` with the newest member named."""
    setting: str
    where: str
    symptom: str
    at: str
    minutes_before: int
    newest: str = ""
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _grew(change: dict[str, Any]) -> tuple[int | None, int | None] | None:
    """(old, new) replica counts of a replica write (old None when the diff has only the new), or None."""
    for line in [str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])]:
        m = _REPLICAS.search(line)
        if m:
            if m["old"] or m["old2"]:
                return int(m["old"] or m["old2"]), int(m["new"] or m["new2"])
            return None, int(m["now"] or m["size"])
    return None


def _pod_spec(sts: dict[str, Any]) -> dict[str, Any]:
    return ((sts.get("spec") or {}).get("template") or {}).get("spec") or {}


def _spec_setting(facts: Facts, target: Ref, sts: dict[str, Any]) -> tuple[str, str]:
    """(the bootstrap-off setting, where) in the StatefulSet's containers or the ConfigMaps they mount."""
    spec = _pod_spec(sts)
    for c in spec.get("containers") or []:
        texts = [(f"{e.get('name')}={e.get('value')}", f"env {e.get('name')}") for e in c.get("env") or []
                 if isinstance(e, dict)]
        texts += [(str(a), "args") for a in [*(c.get("args") or []), *(c.get("command") or [])]]
        for text, place in texts:
            if m := BOOTSTRAP_OFF.search(text):
                return m.group(0), f"container {c.get('name')} {place}"
    for name in _mounted(sts):
        cm = facts.object_named("ConfigMap", target.namespace, name)
        for key, text in ((cm or {}).get("data") or {}).items():
            if isinstance(text, str) and (m := BOOTSTRAP_OFF.search(text)):
                return m.group(0), f"ConfigMap {target.namespace}/{name} key {key}"
    return "", ""


def _mounted(sts: dict[str, Any]) -> list[str]:
    return [str((v.get("configMap") or {}).get("name")) for v in _pod_spec(sts).get("volumes") or []
            if isinstance(v, dict) and (v.get("configMap") or {}).get("name")]


def _symptom(facts: Facts) -> str:
    """A client's line (or the alert's words) saying data is not found."""
    for log in facts.logs:
        for e in log.entries():
            if MISSING.search(said_by(e)):
                return " ".join(said_by(e).split())[:200]
        for line in log.last_lines:
            if MISSING.search(line):
                return " ".join(line.split())[:200]
    for obj, _ in facts.objects:
        if obj.get("kind") == "vigil.dev/AlertValues":
            words = " ".join(str(v) for v in obj.get("values") or [])
            if MISSING.search(words) or re.search(r"notfound", words, re.I):
                return f"the alert: {words[:160]}"
    return ""


def found(facts: Facts) -> list[Joined]:
    """Each recent scale-out of a StatefulSet whose new members joined with bootstrap off, when data is not found."""
    symptom = _symptom(facts)
    if not symptom:
        return []
    out: list[Joined] = []
    for change, evidence, target in facts.writes_to(("StatefulSet",), within=LEAD):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        counts = _grew(change)
        seen = _store(facts).get(f"{target.namespace}/{target.name}") or {}
        sts = facts.object_named("StatefulSet", target.namespace, target.name)
        if counts is None or sts is None:
            continue
        old, new = counts
        if old is not None and new is not None and new <= old:
            continue  # scaled in or unchanged: no member joined
        if old is None and not seen.get("newest_joined_after"):
            continue  # no proof a member joined after the write (a restart recreates member 0 too)
        setting, where = _spec_setting(facts, target, sts)
        if not setting and seen.get("log_setting"):
            setting, where = str(seen["log_setting"]), f"the JVM arguments {seen.get('newest')} logged at start"
        if not setting:
            continue
        size = f"from {old} to {new} replicas" if old is not None else \
            f"to {new} replicas, member {seen.get('newest')} created after the write"
        out.append(Joined(target, size, setting, where, symptom, str(change.get("at")),
                          int((facts.at - at).total_seconds() // 60), str(seen.get("newest") or ""),
                          [e for e in (evidence, *(seen.get("evidence") or [])) if e]))
    return out


def finding(j: Joined) -> dict[str, Any]:
    """The scale-out and the bootstrap setting, what they mean (new members own ranges without rows), the symptom."""
    message = (f"{j.target} was scaled out ({j.size}, {minutes_text(j.minutes_before)} before the incident) "
               f"with auto_bootstrap off ({j.setting}, in {j.where}): each new node took token ranges and went "
               "NORMAL without streaming their data, so reads those ranges route to it (at ONE/LOCAL_ONE) find no "
               f"row and clients answer not found for data that exists. Seen: '{j.symptom}'. Fix: stream the data "
               "to the new nodes (nodetool rebuild / repair) or decommission them and re-add them with "
               "auto_bootstrap on; read at QUORUM meanwhile")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": j.target.kind, "namespace": j.target.namespace, "name": j.target.name},
            "reason": "MembersJoinedWithoutData", "message": message, "evidence": [j.symptom[:200]],
            "details": {"size": j.size, "setting": j.setting, "where": j.where, "change_at": j.at}}


# ---- reading ---------------------------------------------------------------------------------------------


async def read(facts: Facts, call: Call) -> None:
    """Reading only, when data is said not found: for each recent StatefulSet replica write (at most `MAX_SETS`),
    the StatefulSet, its member 0 and newest member (created before / after the write), the newest member's logs
    (bootstrap setting in its JVM arguments) and the ConfigMaps it mounts (at most `MAX_CONFIGS`)."""
    if not _symptom(facts):
        return
    store = _store(facts)
    sets = 0
    for change, _, target in facts.writes_to(("StatefulSet",), within=LEAD):
        key, at, counts = f"{target.namespace}/{target.name}", parse_time(change.get("at")), _grew(change)
        if at is None or counts is None or key in store or sets >= MAX_SETS:
            continue
        sets += 1
        seen: dict[str, Any] = {"evidence": []}
        store[key] = seen
        sts = facts.object_named("StatefulSet", target.namespace, target.name)
        if sts is None:
            got = await get_yaml(call, "StatefulSet", target.name, target.namespace, f"survey-join-{target.name}")
            if got is None:
                continue
            facts.objects.append(got)
            sts = got[0]
        size = counts[1] or int((sts.get("spec") or {}).get("replicas") or 0)
        if size < 2:
            continue
        newest = f"{target.name}-{size - 1}"
        seen["newest"] = newest
        first = await get_yaml(call, "Pod", f"{target.name}-0", target.namespace, f"survey-join-{target.name}-0")
        last = await get_yaml(call, "Pod", newest, target.namespace, f"survey-join-{newest}")
        born = [parse_time(((p[0] if p else {}).get("metadata") or {}).get("creationTimestamp")) for p in (first, last)]
        seen["newest_joined_after"] = bool(born[0] and born[1] and born[0] < at - SLACK <= born[1])
        logs = await call("k8s_logs", {"name": newest, "namespace": target.namespace, "tail": 300},
                          f"survey-join-{newest}-log")
        if logs is not None and logs.ok and (m := BOOTSTRAP_OFF.search(str(logs.full_text or ""))):
            seen["log_setting"] = m.group(0)
            seen["evidence"].append(logs.evidence_id)
        if _spec_setting(facts, target, sts)[0]:
            continue
        for name in _mounted(sts)[:MAX_CONFIGS]:
            if facts.object_named("ConfigMap", target.namespace, name) is None:
                got = await get_yaml(call, "ConfigMap", name, target.namespace, f"survey-join-config-{name}")
                if got is not None:
                    facts.objects.append(got)
