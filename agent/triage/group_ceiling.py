"""A managed store's parameter group written to a ceiling its clients now hit, named over the clients' refusals.

A managed cache or database (ElastiCache, RDS, Aurora, declared as ACK, Crossplane or Upbound resources) takes its
engine settings from a parameter group. A write to the group changes the running store within seconds (dynamic
parameters) and nothing fails on either resource; the store's CLIENTS then print the store's refusal at that
ceiling in its own words: Redis/Valkey `OOM command not allowed when used memory > 'maxmemory'` once
`maxmemory-policy` is `noeviction` (or a `volatile-*` policy with no expiring keys) or `maxmemory`/`reserved-memory-
percent` moved, MySQL 1040 `Too many connections` and PostgreSQL `sorry, too many clients already` / `remaining
connection slots are reserved` once `max_connections` moved. The caller's own error names no group: the client
names the INSTANCE (its endpoint host in an env value or a ConfigMap it reads), and the instance names the group
(agent.triage.group_users). store_full covers a store running in the cluster (its args, its ConfigMap); this
module covers the one whose setting lives in a parameter group.

Named: the group, when (1) it was written within LEAD, (2) its current parameters hold a setting of the refusing
engine's ceiling (a Redis eviction policy only when it refuses writes at maxmemory), and the write's diff names
that setting or no parameter at all (a write naming only another parameter is not it), (3) a client's refusals
begin after the write, and (4) that client's spec names an instance using the group. `read` fetches (reading
only) the failing pods and the ConfigMaps their env reads (Secrets never), the group and its users; `found` is
pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import group_users, pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, shortest_saying
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.parameter_group_ceiling"
WEIGHT = 0.93
"""The group's write sets the very ceiling the clients' refusals name: above the clients' own errors (their
'fails' finding) and the generic setting-word and identifier links (0.86)."""
STORE = "group_ceiling"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_PODS = 3
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Ceiling:
    """An engine's refusal at a ceiling, the parameters that set it, and what the setting means."""

    engine: str
    refusal: re.Pattern[str]
    keys: re.Pattern[str]
    meaning: str


def _re(text: str) -> re.Pattern[str]:
    return re.compile(text, re.I)


CEILINGS: tuple[Ceiling, ...] = (
    Ceiling("Redis", _re(r"\bOOM command not allowed\b|used memory > 'maxmemory'"),
            _re(r"^(?:maxmemory-policy|maxmemory|maxmemory-percent|reserved-memory(?:-percent)?)$"),
            "a cache at maxmemory now refuses writes instead of evicting keys"),
    Ceiling("MySQL", _re(r"\bToo many connections\b|ER_CON_COUNT_ERROR"),
            _re(r"^(?:max_connections|max_user_connections)$"),
            "the server refuses every connection beyond that count"),
    Ceiling("PostgreSQL", _re(r"too many clients already|remaining connection slots are reserved|"
                              r"too many connections for role"),
            _re(r"^(?:max_connections|superuser_reserved_connections|rds\.rds_superuser_reserved_connections)$"),
            "the server refuses every connection beyond that count"),
)
_REFUSING_POLICY = _re(r"^(?:noeviction|volatile-\w+)$")
"""Redis eviction policies under which a full cache refuses writes (volatile-*: when no key has a TTL)."""
_NAME_KEYS = ("name", "parameterName", "ParameterName")
_VALUE_KEYS = ("value", "parameterValue", "ParameterValue")


@dataclass
class Hit:
    """A group written to a ceiling, and a client refused at it since."""

    group: Ref
    written: datetime
    setting: str
    value: str
    engine: Ceiling
    users: list[str]
    client: Ref
    pod: str
    where: str
    said: str
    first: datetime
    evidence: list[str]


def parameters(spec: Any) -> dict[str, str]:
    """A group's parameters as name -> value, in the shapes the controllers use: a list of `{name, value}` or
    `{parameterName, parameterValue}` entries, or a map (`parameterOverrides: {max_connections: '500'}`)."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = next((node[k] for k in _NAME_KEYS if k in node), None)
            value = next((node[k] for k in _VALUE_KEYS if k in node), None)
            if name is not None and value is not None and not isinstance(value, (dict, list)):
                out[str(name)] = str(value)
                return
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    walk(v)
                else:
                    out.setdefault(str(k), str(v))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return out


def ceiling_setting(params: dict[str, str], engine: Ceiling, diff: str) -> tuple[str, str] | None:
    """The group's setting of the engine's ceiling the write may have moved: named by the diff, or any when the
    diff names no parameter (`spec.forProvider.parameter` written as a whole); a Redis eviction policy counts only
    when it refuses writes at maxmemory."""
    low = diff.lower()
    named = {k for k in params if re.search(rf"(?<![\w-]){re.escape(k.lower())}(?![\w-])", low)}
    for key, value in params.items():
        if not engine.keys.match(key) or (named and key not in named):
            continue
        if key.lower() == "maxmemory-policy" and not _REFUSING_POLICY.match(value.strip()):
            continue
        return key, value
    return None



def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def refused(log: LogEvidence) -> tuple[Ceiling, str, datetime | None] | None:
    """The engine whose ceiling refusal a pod's errors carry, the shortest such line and when it was first seen."""
    for engine in CEILINGS:
        said, first = shortest_saying(log, engine.refusal)
        if said:
            return engine, said, first
    return None


def _groups(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime]]:
    out = []
    for change in facts.change_list():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is not None and when is not None and group_users.is_group(ref.kind) \
                and facts.at - LEAD <= when <= facts.at and change.get("type") != "delete":
            out.append((change, ref, when))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a parameter group was written and pods' errors are a store's ceiling refusal, the pods'
    specs (and ConfigMaps their env reads), the group and the instances using it."""
    del subject, at
    store = _store(facts)
    groups = _groups(facts)
    failing = [lg for lg in facts.logs if lg.pod and refused(lg)]
    if "pods" in store or not groups or not failing:
        return
    store["pods"], store["groups"] = {}, {}
    for log in failing[:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-group-ceiling-pod-{log.pod}")
        if got is None:
            continue
        walked = pod_spec_words.walk(got[0].get("spec") or {})
        words = pod_spec_words.words(walked)
        for name in pod_spec_words.configmaps(walked, mounted=False)[:2]:
            cm = await get_yaml(call, "ConfigMap", name, log.namespace, f"survey-group-ceiling-cm-{name}")
            if cm is not None:
                words += [(f"ConfigMap {name} {k}", str(v)[:2000]) for k, v in (cm[0].get("data") or {}).items()]
        store["pods"][log.pod] = {"words": words, "evidence": got[1]}
    for _, ref, _ in groups[:2]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-group-ceiling-group-{ref.name}")
        if got is None:
            continue
        users = await group_users.users(call, got[0], f"survey-group-ceiling-users-{ref.name}")
        store["groups"][str(ref)] = {"params": parameters(got[0].get("spec") or {}), "evidence": got[1],
                                     "users": [{"ref": f"{u.ref.kind} {u.ref.name}", "name": u.ref.name,
                                                "hosts": u.hosts, "evidence": u.evidence} for u in users]}


def _names(text: str, user: dict[str, Any]) -> bool:
    """Whether a spec word names the instance: one of its endpoint hosts, or its name as a whole host label."""
    low = text.lower()
    if any(h in low for h in user.get("hosts") or []):
        return True
    name = str(user.get("name") or "").lower()
    return len(name) >= 4 and bool(re.search(rf"(?<![a-z0-9-]){re.escape(name)}(?![a-z0-9-])", low))


def found(facts: Facts) -> list[Hit]:
    """Per written parameter group, the first client refused at the ceiling it sets, naming an instance using it."""
    store = _store(facts)
    out: list[Hit] = []
    for change, ref, when in _groups(facts):
        group = (store.get("groups") or {}).get(str(ref)) or {}
        diff = " ".join([str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")])
        for log in facts.logs:
            got = refused(log) if log.pod else None
            if got is None:
                continue
            engine, said, first = got
            setting = ceiling_setting(group.get("params") or {}, engine, diff)
            first = first or facts.at
            if setting is None or first < when - SLACK:
                continue  # not this engine's ceiling, or refused before the write
            pod = (store.get("pods") or {}).get(log.pod) or {}
            place = next(((w, t, u) for u in group.get("users") or [] for w, t in pod.get("words") or []
                          if _names(t, u)), None)
            if place is None:
                continue  # the client names no instance using this group
            evidence = [e for e in (facts.changes_id, log.evidence_id, pod.get("evidence"), group.get("evidence"),
                                    place[2].get("evidence")) if e]
            out.append(Hit(ref, when, setting[0], setting[1], engine, [str(u["ref"]) for u in group["users"]],
                           Ref("Deployment", log.namespace, workload_of_pod(log.pod)), log.pod,
                           f"{place[0]} = {place[1]}"[:120], said, first, [str(e) for e in evidence]))
            break
    return out


def finding(h: Hit, at: datetime) -> dict[str, Any]:
    """The group's finding: the setting and what it means, the instance, the refused client, early."""
    ago = minutes_text(int((at - h.written).total_seconds() // 60))
    hit = h.engine.refusal.search(h.said)
    quote = h.said[max(0, hit.start() - 10) if hit else 0:][:120]
    message = (f"{h.group} (parameter group of {', '.join(h.users[:2])}) was written {ago} before the alert: "
               f"{h.setting} = {h.value}; {h.engine.meaning}. Its client {h.client.namespace}/{h.client.name} "
               f"({h.where}) is refused: '{quote}'. Revert the parameter (or "
               f"give the store room) and the clients recover; their errors are the symptom, not the cause")
    return {"check": CHECK, "severity": "critical", "reason": "ParameterGroupCeiling",
            "object": {"kind": h.group.kind, "namespace": h.group.namespace, "name": h.group.name},
            "message": message, "evidence": [h.said[:200]],
            "details": {"setting": h.setting, "value": h.value, "users": h.users,
                        "client": f"{h.client.namespace}/{h.client.name}",
                        "written": h.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written group whose ceiling refuses its instances' clients; it explains them."""
    return [(h.group, finding(h, facts.at), h.evidence,
             [Ref("Pod", h.client.namespace, h.pod), Ref("", h.client.namespace, h.client.name)])
            for h in found(facts)]
