"""A datastore refusing writes at its OWN ceiling, and the change that lowered that ceiling.

A store the callers write to refuses once it reaches a limit it was configured with, and the callers print the
store's refusal in its own words (the log facts' `store_full` class, mcp_servers.common.logfacts.classify):
Redis/Valkey `OOM command not allowed when used memory > 'maxmemory'` (maxmemory reached, policy noeviction),
Memcached `SERVER_ERROR out of memory storing object` (its `-m` megabytes), RabbitMQ's `memory resource limit
alarm` (vm_memory_high_watermark; publishers blocked), Elasticsearch's `CircuitBreakingException ... Data too
large` (the breaker limit, the heap) and `cluster_block_exception ... flood stage disk watermark exceeded` (the
flood_stage watermark), etcd `database space exceeded` (--quota-backend-bytes), and PostgreSQL relaying its
`could not extend file ... No space left on device` (its data volume) to the client. The caller is a victim: the
thing to fix is the store's limit, or the change that lowered it (a ConfigMap's redis.conf cut from 512mb to 64mb,
args re-rendered with a smaller `--maxmemory`, a watermark lowered).

So, when a surveyed log carries such a refusal: the store is found by evidence, never by name (the topology's
datastores and dependencies of the caller, else a pod of the caller's namespace, then of the cluster, whose image
is that engine's), its workload and the ConfigMaps it mounts are read, and the engine's setting is read off them
(args, env, config files: `maxmemory 64mb`). Named:
- the written object (the ConfigMap holding the setting, or the store's workload whose written fields name it),
  when a write within LEAD touched the setting before the first refusal: the change that lowered the ceiling;
- else, for a memory or quota ceiling, the store itself with its limit (an honest "full at its own limit", weighed
  below any change-based suspect). A disk ceiling with no change is left to full_volume, which names the volume.
Twins: a write to a ConfigMap of the store that holds no such setting, refusals that began before the write, a
caller's own OutOfMemoryError (not this class), a PostgreSQL disk refusal with no change (full_volume's). A store
whose OWN log raised its alarm (etcd NOSPACE, RabbitMQ's memory alarm, Elasticsearch's breaker) is
component_alarms' (its gauges and the rollout behind it): nothing is added here.

Not in rank.CONNECTIVITY_ERRORS: the refusal seldom names the store's host, so the caller-to-store link is made here
from the topology and the engine's image, and this module says what the callers explain (`suspects`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import component_alarms
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "datastore.ceiling_lowered"
WEIGHT = 0.93
"""The write that lowered a store's own ceiling explains every caller's refused write: above the callers' errors
and a rollout of a caller that only coincides."""
AT_LIMIT = "datastore.at_own_limit"
AT_LIMIT_WEIGHT = 0.86
"""The store full at a limit no seen change lowered: the place to act, but below any change-based suspect (a
writer that began filling it is a better answer when one is seen)."""
EXTRA_WEIGHTS = {AT_LIMIT: AT_LIMIT_WEIGHT}
"""The second check's weight, for `agent.triage.behind.WEIGHTS`."""
READS = "store_full"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_STORES = 2
MAX_CONFIGMAPS = 2
Call = Callable[..., Awaitable[Any]]
WORKLOAD_KINDS = ("StatefulSet", "Deployment")


@dataclass(frozen=True)
class Engine:
    """One store's refusal at its own ceiling, its image, and the setting that sets the ceiling."""

    name: str
    refusal: re.Pattern[str]
    image: re.Pattern[str]
    setting: re.Pattern[str] | None
    """Groups `key` and `value`: where args, env or a config file set the ceiling. None: the data volume's size."""
    resource: str
    """memory, quota or disk: a disk ceiling with no change is the volume's (full_volume)."""


def _re(text: str) -> re.Pattern[str]:
    return re.compile(text, re.I)


ENGINES: tuple[Engine, ...] = (
    Engine("Redis", _re(r"\bOOM command not allowed\b|used memory > 'maxmemory'"), _re(r"redis|valkey|keydb"),
           _re(r"(?P<key>maxmemory)(?!-)(?:\s+|\s*=\s*|:\s*)['\"]?(?P<value>\d+(?:\.\d+)?\s*(?:[kmgt]i?b?)?)\b"),
           "memory"),
    Engine("Memcached", _re(r"\bSERVER_ERROR out of memory\b"), _re(r"memcached"),
           _re(r"(?P<key>--memory-limit|(?<![\w-])-m)(?:\s+|=)(?P<value>\d+\w*)"), "memory"),
    Engine("RabbitMQ", _re(r"memory resource limit alarm|vm_memory_high_watermark set"), _re(r"rabbitmq"),
           _re(r"(?P<key>vm_memory_high_watermark(?:\.relative|\.absolute)?)\s*[=:]?\s*(?P<value>[\w.]+)"),
           "memory"),
    Engine("RabbitMQ", _re(r"disk resource limit alarm"), _re(r"rabbitmq"),
           _re(r"(?P<key>disk_free_limit(?:\.absolute|\.relative)?)\s*[=:]?\s*(?P<value>[\w.]+)"), "disk"),
    Engine("Elasticsearch", _re(r"CircuitBreakingException|\bData too large, data for\b"),
           _re(r"elasticsearch|opensearch"),
           _re(r"(?P<key>indices\.breaker\.[\w.]*limit|-Xmx)\s*[=:]?\s*['\"]?(?P<value>[\w.%]+)"), "memory"),
    Engine("Elasticsearch", _re(r"flood[- ]stage (?:disk )?watermark|read-only-allow-delete|"
                                r"index read-only / allow delete"), _re(r"elasticsearch|opensearch"),
           _re(r"(?P<key>cluster\.routing\.allocation\.disk\.watermark\.flood_stage)\s*[=:]\s*['\"]?"
               r"(?P<value>[\w.%]+)"), "disk"),
    Engine("etcd", _re(r"database space exceeded"), _re(r"(?:^|/)etcd"),
           _re(r"(?P<key>quota-backend-bytes)\s*[=:]?\s*['\"]?(?P<value>\d+)"), "quota"),
    Engine("PostgreSQL", _re(r"could not (?:extend|write to) file .{0,160}No space left on device"),
           _re(r"postgres|postgis|timescale"), None, "disk"),
)
"""The refusals the callers relay, in the stores' real wording; the first engine whose refusal matches wins."""


@dataclass
class Refusal:
    """A caller's log line of a store refusing at its ceiling."""

    engine: Engine
    log: LogEvidence
    line: str
    first: datetime | None


@dataclass
class Full:
    """A store refusing at its own ceiling, the setting and where it is set, and the write that lowered it."""

    store: Ref
    engine: str
    key: str
    value: str
    where: str
    caller: Ref
    line: str
    resource: str
    changed: Ref | None = None
    changed_at: datetime | None = None
    changed_by: str = ""
    minutes_before: int = 0
    evidence: list[str] = field(default_factory=list)


def refusal(text: str) -> Engine | None:
    """The engine whose refusal-at-its-ceiling a line carries (None: none)."""
    return next((e for e in ENGINES if e.refusal.search(text)), None)


def refusals(facts: Facts) -> list[Refusal]:
    """Each caller log's first refusal of a store at its ceiling, with when that log first printed it."""
    out: list[Refusal] = []
    for log in facts.logs:
        for entry in log.entries():
            text = said_by(entry)
            engine = refusal(text)
            if engine is not None:
                out.append(Refusal(engine, log, text.strip(), parse_time(entry.get("first_seen"))))
                break
    return out


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])] if isinstance(c, dict)]


def images(obj: dict[str, Any]) -> str:
    """The images a workload's template runs, space-separated."""
    return " ".join(str(c.get("image") or "") for c in _containers(obj))


def configmaps(obj: dict[str, Any]) -> list[str]:
    """The ConfigMaps a workload's template mounts or reads env from (a store's config file lives in one)."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    names = [str((v.get("configMap") or {}).get("name")) for v in spec.get("volumes") or []
             if isinstance(v, dict) and (v.get("configMap") or {}).get("name")]
    names += [str(s.get("configMap", {}).get("name")) for v in spec.get("volumes") or [] if isinstance(v, dict)
              for s in (v.get("projected") or {}).get("sources") or [] if (s.get("configMap") or {}).get("name")]
    names += [str((f.get("configMapRef") or {}).get("name")) for c in _containers(obj) for f in c.get("envFrom") or []
              if (f.get("configMapRef") or {}).get("name")]
    return list(dict.fromkeys(names))


def setting_in(engine: Engine, workload: dict[str, Any], maps: dict[str, dict[str, Any]]) -> tuple[str, str, str]:
    """(key, value, where it is set) of the engine's ceiling: the container args/command/env, then the ConfigMaps'
    files; a volume-bound engine's ceiling is its data volume's size. ("", "", "") when none is set."""
    if engine.setting is None:
        return _volume_size(workload)
    for c in _containers(workload):
        words = [*(str(x) for x in c.get("command") or []), *(str(x) for x in c.get("args") or [])]
        words += [f"{e.get('name')}={e.get('value')}" for e in c.get("env") or [] if isinstance(e, dict)
                  and e.get("value") is not None]
        if m := engine.setting.search(" ".join(words)):
            return m.group("key"), m.group("value").strip(), f"container {c.get('name')}'s args"
    for name, cm in maps.items():
        for key, text in sorted((cm.get("data") or {}).items()):
            if m := engine.setting.search(str(text)):
                return m.group("key"), m.group("value").strip(), f"ConfigMap {name} key {key}"
    return "", "", ""


def _volume_size(workload: dict[str, Any]) -> tuple[str, str, str]:
    spec = workload.get("spec") or {}
    for claim in spec.get("volumeClaimTemplates") or []:
        size = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        if size:
            return "storage", str(size), f"volumeClaimTemplate {(claim.get('metadata') or {}).get('name')}"
    for v in ((spec.get("template") or {}).get("spec") or {}).get("volumes") or []:
        if isinstance(v, dict) and (v.get("emptyDir") or {}).get("sizeLimit"):
            return "sizeLimit", str(v["emptyDir"]["sizeLimit"]), f"emptyDir {v.get('name')}"
    return "", "", ""


async def _workload(call: Call, namespace: str, name: str) -> tuple[dict[str, Any], str, str] | None:
    """The StatefulSet or Deployment of that name (kind, object, evidence), None when neither exists."""
    for kind in WORKLOAD_KINDS:
        got = await get_yaml(call, kind, name, namespace, f"survey-store-full-{kind.lower()}-{name}")
        if got is not None and got[0].get("spec"):
            return got[0], got[1], kind
    return None


def _candidates(facts: Facts, engine: Engine) -> list[Ref]:
    """The caller's datastores and in-cluster dependencies from the topology, those of the refusal's engine first."""
    refs: list[Ref] = []
    for data, _ in facts.topologies:
        for store in data.get("datastores") or []:
            if not isinstance(store, dict):
                continue
            ref = Ref.of(store.get("workload")) or Ref.of(store.get("service"))
            if ref is not None and str(store.get("engine") or "").lower() == engine.name.lower():
                refs.insert(0, ref)
            elif ref is not None:
                refs.append(ref)
        for dep in data.get("dependencies") or []:
            ref = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if ref is not None and ref.namespace and ref.kind.lower() != "externalhost":
                refs.append(ref)
    out: list[Ref] = []
    for ref in refs:
        if not any(r.namespace == ref.namespace and r.name == ref.name for r in out):
            out.append(ref)
    return out


async def _by_image(call: Call, engine: Engine, namespace: str, step: str) -> list[Ref]:
    """Workloads whose pods run the engine's image: in `namespace`, or in the cluster when it is ""."""
    args: dict[str, Any] = {"kind": "Pod", **({"namespace": namespace} if namespace else {})}
    got = await call("k8s_list", args, step)
    rows = (got.data or {}).get("rows") or [] if got is not None and got.ok and isinstance(got.data, dict) else []
    out: list[Ref] = []
    for row in rows:
        pics = row.get("images") if isinstance(row, dict) else None
        pics = pics.split(",") if isinstance(pics, str) else pics or []
        if any(engine.image.search(str(i)) for i in pics) and row.get("namespace"):
            ref = Ref("", str(row["namespace"]), workload_of_pod(str(row.get("name") or "")))
            if ref not in out:
                out.append(ref)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a caller's log relays a store's refusal at its ceiling: the store's workload (by the
    topology, else by image in the caller's namespace, then the cluster) and the ConfigMaps it mounts."""
    said = refusals(facts)
    if not said or READS in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"stores": []})
    first = said[0]
    candidates = _candidates(facts, first.engine)
    for attempt in range(3):
        for ref in candidates[:4]:
            if len(store["stores"]) >= MAX_STORES:
                return
            got = await _workload(call, ref.namespace, ref.name)
            if got is None or not first.engine.image.search(images(got[0])):
                continue
            obj, evidence, kind = got
            maps: dict[str, dict[str, Any]] = {}
            ids = [evidence]
            for name in configmaps(obj)[:MAX_CONFIGMAPS]:
                cm = await get_yaml(call, "ConfigMap", name, ref.namespace, f"survey-store-full-cm-{name}")
                if cm is not None:
                    maps[name], _ = cm
                    ids.append(cm[1])
            store["stores"].append({"ref": Ref(kind, ref.namespace, ref.name), "object": obj, "configmaps": maps,
                                    "evidence": ids})
        if store["stores"] or attempt == 2:
            return
        scope = first.log.namespace if attempt == 0 else ""
        candidates = await _by_image(call, first.engine, scope, f"survey-store-full-pods-{scope or 'all'}")


def _lowering(facts: Facts, kept: dict[str, Any], engine: Engine, key: str, before: datetime | None
              ) -> tuple[dict[str, Any], str, Ref] | None:
    """The newest write within LEAD that set the ceiling: to the store's workload, its written fields or diff naming
    the setting; or to a ConfigMap it mounts whose current data sets it. Not after the first refusal."""
    store: Ref = kept["ref"]
    maps: dict[str, dict[str, Any]] = kept.get("configmaps") or {}
    named = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w])", re.I)
    best: tuple[dict[str, Any], str, Ref] | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if at is None or (before is not None and at > before + SLACK) or target.namespace != store.namespace:
            continue
        text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
        on_store = target.kind in WORKLOAD_KINDS and target.name == store.name and bool(named.search(text))
        holds = target.kind == "ConfigMap" and target.name in maps and engine.setting is not None and any(
            engine.setting.search(str(v)) for v in (maps[target.name].get("data") or {}).values())
        if (on_store or holds) and (best is None or str(change.get("at")) > str(best[0].get("at"))):
            best = (change, evidence, target)
    return best


def found(facts: Facts) -> list[Full]:
    """Each store read whose ceiling the callers hit: with the write that lowered it, else (memory/quota) alone."""
    said = refusals(facts)
    alarmed = [a.workload for a in component_alarms.raised(facts)]
    out: list[Full] = []
    for kept in (facts.reads.get(READS) or {}).get("stores") or []:
        if any(a.namespace == kept["ref"].namespace and a.name == kept["ref"].name for a in alarmed):
            continue  # the store's own log raised its alarm: component_alarms names it, with its gauges and change
        for r in said[:1]:
            key, value, where = setting_in(r.engine, kept["object"], kept.get("configmaps") or {})
            if not key:
                continue
            firsts = [x.first for x in said if x.first is not None]
            write = _lowering(facts, kept, r.engine, key, min(firsts) if firsts else None)
            caller = Ref("", r.log.namespace, workload_of_pod(r.log.pod))
            hit = Full(kept["ref"], r.engine.name, key, value, where, caller, r.line, r.engine.resource,
                       evidence=[*kept.get("evidence", []), r.log.evidence_id])
            if write is not None:
                change, evidence, target = write
                at = parse_time(change.get("at"))
                hit.changed, hit.changed_at, hit.changed_by = target, at, written_by(change)
                hit.minutes_before = int((facts.at - at).total_seconds() // 60) if at else 0
                hit.evidence.insert(0, evidence)
            elif r.engine.resource == "disk":
                continue  # a full volume with no lowered setting: full_volume names the volume
            out.append(hit)
    return out


def finding(f: Full) -> dict[str, Any]:
    """The refusal's meaning first: the store at its own ceiling, the setting and its value, then the change."""
    limit = f"{f.key} {f.value}" if f.value else f.key
    quote = f"'{f.line[:180]}'"
    if f.changed is not None:
        by = f" by {f.changed_by}" if f.changed_by else ""
        message = (f"{f.changed} lowered {f.engine} {f.store}'s {f.resource} ceiling ({limit}, set in {f.where}) "
                   f"{minutes_text(f.minutes_before)} before the alert{by}: {f.store} reached it and refuses writes, "
                   f"so {f.caller.name} fails ({quote}). Restore {f.key} (or free the store) and the writes succeed")
        obj = f.changed
        check, reason = CHECK, "StoreCeilingLowered"
    else:
        message = (f"{f.engine} {f.store} is full at its own {f.resource} limit {limit} (set in {f.where}) and "
                   f"refuses writes, so {f.caller.name} fails ({quote}); no recent change lowered it: raise {f.key}, "
                   f"or find what filled it (a writer that stopped expiring keys, a bigger load)")
        obj = f.store
        check, reason = AT_LIMIT, "StoreAtItsLimit"
    return {"check": check, "severity": "critical", "reason": reason,
            "object": {"kind": obj.kind, "namespace": obj.namespace, "name": obj.name},
            "message": message, "evidence": [f.line[:200]],
            "details": {"engine": f.engine, "store": str(f.store), "setting": f.key, "value": f.value,
                        "where": f.where, "resource": f.resource}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the write that lowered the ceiling, else the store; its finding; evidence; the callers it explains)."""
    return [(f.changed or f.store, finding(f), f.evidence, [f.caller]) for f in found(facts)]
