"""Another workload raised its connection pool on a shared database, and the database's connection ceiling is full.

A managed database (RDS, Cloud SQL, Azure Database) caps connections (`max_connections`, set by its instance
class or parameter group). Several services share it, each holding a pool of connections per pod. When one of
them ships a larger pool (`DB_POOL_MIN` 5 -> 60, `SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE`, `--pool-size`), its pods
open and keep that many connections each, the server reaches its ceiling, and OTHER services' new connections are
refused in the engine's words: MySQL 1040 `Too many connections`, PostgreSQL `sorry, too many clients already` /
`remaining connection slots are reserved`. The refused service changed nothing, so its own rollout history is
empty; the culprit is the co-tenant's rollout.

Named: the co-tenant workload when (1) its rollout (template write) within LEAD before the first refusal raised a
pool-size setting in env or args (a larger number; a cut or an unrelated variable is not it), (2) another
workload's errors are the engine's connection-ceiling refusal, first seen after that rollout, and (3) the co-tenant's
spec names the very database host the refused workload names (its error line or its env). `read` fetches (reading
only) the co-tenants' current objects and the refused pods' specs; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, all_said, minutes_text, parse_time, shortest_saying
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pool_raised"
WEIGHT = 0.92
"""The co-tenant's larger pool fills the shared ceiling the victims are refused at: above the victims' own
errors and the generic rollout coincidence."""
STORE = "pool_raised"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]

CEILING = re.compile(r"\bToo many connections\b|ER_CON_COUNT_ERROR|too many clients already|"
                     r"remaining connection slots are reserved|too many connections for role", re.I)
"""A database refusing a new connection at its connection ceiling (MySQL 1040, PostgreSQL 53300)."""
POOL_KEY = re.compile(r"pool|min(?:imum)?[_-]?idle|max(?:imum)?[_-]?(?:idle|conn|open)|conn(?:ection)?s?[_-]?"
                      r"(?:min|max|limit|count|size)", re.I)
"""An env variable or flag name that sizes a connection pool (DB_POOL_MIN, HIKARI_MINIMUM_IDLE, MAX_OPEN_CONNS,
--pool-size, pool_size)."""
_ENV = re.compile(r"env (\w+)=['\"]?(\d+)['\"]? -> \1=['\"]?(\d+)['\"]?")
_ARG = re.compile(r"--?([\w.-]+)[= ](\d+)\b")
_HOST = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}\b", re.I)


@dataclass
class Raised:
    """A co-tenant's pool raised, and a workload refused at the shared database's ceiling since."""

    tenant: Ref
    written: datetime
    key: str
    old: int
    new: int
    replicas: int
    host: str
    victim: Ref
    pod: str
    said: str
    first: datetime
    evidence: list[str]


def raises(change: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(setting, old, new) for each pool-size setting a template write raised (env `DB_POOL_MIN='5' ->
    DB_POOL_MIN='60'`, args `--pool-size=10` -> `--pool-size=40`)."""
    out: list[tuple[str, int, int]] = []
    for line in [str(d) for d in change.get("diff") or []]:
        for m in _ENV.finditer(line):
            if POOL_KEY.search(m.group(1)) and int(m.group(3)) > int(m.group(2)):
                out.append((m.group(1), int(m.group(2)), int(m.group(3))))
        if " args " in line and " -> " in line:
            before, after = line.split(" -> ", 1)
            old = {k: int(v) for k, v in _ARG.findall(before) if POOL_KEY.search(k)}
            for k, v in _ARG.findall(after):
                if k in old and int(v) > old[k]:
                    out.append((f"--{k}", old[k], int(v)))
    return out


def refused(log: LogEvidence) -> tuple[str, datetime | None]:
    """The shortest connection-ceiling refusal among a pod's errors, and when such refusals were first seen."""
    return shortest_saying(log, CEILING)



def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _rollouts(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime, list[tuple[str, int, int]]]]:
    out = []
    for change in facts.change_list():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or not facts.at - LEAD <= when <= facts.at:
            continue
        raised = raises(change)
        if raised:
            out.append((change, ref, when, raised))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a rollout raised a pool and pods are refused at a connection ceiling, the co-tenants'
    objects (their env, args, replicas) and the refused pods' specs."""
    del subject, at
    store = _store(facts)
    rollouts = _rollouts(facts)
    failing = [lg for lg in facts.logs if lg.pod and refused(lg)[0]]
    if "tenants" in store or not rollouts or not failing:
        return
    store["tenants"], store["pods"] = {}, {}
    for _, ref, _, _ in rollouts[:MAX_READS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-pool-raised-{ref.name}")
        if got is not None:
            walked = pod_spec_words.walk(pod_spec_words.template_spec(got[0]))
            store["tenants"][str(ref)] = {"words": pod_spec_words.words(walked), "evidence": got[1],
                                          "replicas": int((got[0].get("spec") or {}).get("replicas") or 1)}
    for log in failing[:MAX_READS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-pool-raised-pod-{log.pod}")
        if got is not None:
            walked = pod_spec_words.walk(got[0].get("spec") or {})
            store["pods"][log.pod] = {"words": pod_spec_words.words(walked), "evidence": got[1]}


def _hosts(texts: list[str]) -> set[str]:
    return {h.lower() for t in texts for h in _HOST.findall(t) if re.search(r"[a-z]", h, re.I) and "." in h}


def found(facts: Facts) -> list[Raised]:
    """Per co-tenant rollout that raised a pool, the first other workload refused at the ceiling of a database
    both name, since that rollout."""
    store = _store(facts)
    out: list[Raised] = []
    for _, ref, when, raised in _rollouts(facts):
        tenant = (store.get("tenants") or {}).get(str(ref)) or {}
        theirs = _hosts([t for _, t in tenant.get("words") or []])
        for log in facts.logs:
            said, first = refused(log) if log.pod else ("", None)
            if not said or (log.namespace == ref.namespace and workload_of_pod(log.pod) == ref.name):
                continue  # no refusal, or the workload that raised its own pool
            first = first or facts.at
            if first < when - SLACK:
                continue  # refused before the rollout
            pod = (store.get("pods") or {}).get(log.pod) or {}
            mine = _hosts([all_said(e) for e in log.entries()] + [t for _, t in pod.get("words") or []]
                          + [str(h) for h in log.hosts])
            shared = sorted(theirs & mine)
            if not shared:
                continue  # another database
            key, old, new = max(raised, key=lambda r: r[2] - r[1])
            evidence = [e for e in (facts.changes_id, log.evidence_id, tenant.get("evidence"), pod.get("evidence"))
                        if e]
            out.append(Raised(ref, when, key, old, new, int(tenant.get("replicas") or 1), shared[0],
                              Ref("", log.namespace, workload_of_pod(log.pod)), log.pod, said, first,
                              [str(e) for e in evidence]))
            break
    return out


def finding(r: Raised, at: datetime) -> dict[str, Any]:
    """The co-tenant's finding: the pool raised, how many more connections it holds, the refused workload."""
    ago = minutes_text(int((at - r.written).total_seconds() // 60))
    more = (r.new - r.old) * r.replicas
    hit = CEILING.search(r.said)
    quote = r.said[max(0, hit.start() - 30) if hit else 0:][:100]
    message = (f"{r.tenant} rolled out {ago} before the alert raising its connection pool {r.key} {r.old} -> {r.new} "
               f"({r.replicas} pods: up to {more} more connections) to the database {r.host} it shares with "
               f"{r.victim.namespace}/{r.victim.name}, which is now refused at the server's connection ceiling "
               f"(max_connections): '{quote}'. Lower the pool (or raise the ceiling); the refusals are the symptom")
    return {"check": CHECK, "severity": "critical", "reason": "PoolRaised",
            "object": {"kind": r.tenant.kind, "namespace": r.tenant.namespace, "name": r.tenant.name},
            "message": message, "evidence": [r.said[:200]],
            "details": {"setting": r.key, "old": r.old, "new": r.new, "host": r.host,
                        "victim": f"{r.victim.namespace}/{r.victim.name}"}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The co-tenant whose larger pool fills the shared database; it explains the refused workload."""
    return [(r.tenant, finding(r, facts.at), r.evidence, [Ref("Pod", r.victim.namespace, r.pod), r.victim])
            for r in found(facts)]
