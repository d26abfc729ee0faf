"""A datastore at its connection limit, and the client whose change took the connections.

When PostgreSQL answers "sorry, too many clients already" (MySQL "Too many connections", Redis "max
number of clients reached", MongoDB "too many open connections", PgBouncer "no more connections
allowed", a HikariCP pool that gets none), the service that alerts is usually a victim: every pod is
Running and Ready, the database is healthy, and the cause is *another* client that now holds more
connections (scaled up, scaled out by an HPA, a larger pool in its env or ConfigMap, a new Job).

The topology names the datastores a subject connects to, configured or inferred when its DSN sits in
a Secret (mcp_servers.kubernetes.topology.Datastore), with their other clients and pool sizes, and
the limit in the datastore's configuration (`settings`). The survey reads the datastore's logs and
its connection metrics (`read_datastores`); `exhaustions` holds them against the change timeline:
the client whose change raised the count is the suspect, named with the limit and the change; when
no change explains it, the datastore is named with what to check to find out (an honest unknown).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time, written_by
from agent.triage.subject import workload_of_pod

LIMIT_CLASS = "connection_limit"
"""The log facts' error class of a refused connection at a limit (mcp_servers.common.logfacts.classify)."""

WEIGHT = 0.9
"""Cause weight of the client whose change exhausted the connections (and of the datastore when none did):
above a configured limit (agent.triage.limits.STRONG), which is reached but is not what changed."""

SERVER_WORDS = re.compile(r"too many (?:clients|connections|open connections)|connection slots are reserved|"
                          r"max(?:imum)? number of clients|no more connections allowed|max_client_conn|\b1040\b|"
                          r"\b53300\b|ER_CON_COUNT_ERROR|max_user_connections", re.I)
"""The datastore's own refusal, as its clients print it; a pool that gets no connection ("Connection is not
available", "pool exhausted") may as well be too small itself, which a configured limit (limits.py) names."""

WINDOW_BEFORE = timedelta(hours=6)
MAX_STORES = 2
CEILING_LEAD = timedelta(hours=24)
"""How long before the scale-out an autoscaler's ceiling may have been raised: it bites at the next backlog peak."""
CEILING = re.compile(r"max_?replica(?:s|_?count)?|max_?scale|max_?instances|max_?size|max_?pods", re.I)
"""Autoscaler ceiling fields: HPA `maxReplicas`, KEDA `maxReplicaCount`, Knative `max-scale`, a node or worker
group's `maxSize`."""

CURRENT_METRICS = {"pg_stat_database_numbackends": "PostgreSQL", "mysql_global_status_threads_connected": "MySQL",
                   "redis_connected_clients": "Redis", "pgbouncer_pools_client_active_connections": "PgBouncer"}
MAX_METRICS = {"pg_settings_max_connections": "PostgreSQL", "mysql_global_variables_max_connections": "MySQL",
               "redis_config_maxclients": "Redis", "pgbouncer_config_max_client_connections": "PgBouncer"}
"""The exporters' gauges (postgres_exporter, mysqld_exporter, redis_exporter, pgbouncer_exporter) of the
connections held and allowed; MongoDB's `mongodb_connections` carries both under `state`."""

CHECK_CLIENTS = {
    "PostgreSQL": "pg_stat_activity grouped by application_name, client_addr", "MySQL": "SHOW PROCESSLIST",
    "Redis": "CLIENT LIST", "MongoDB": "db.currentOp() and serverStatus().connections", "PgBouncer": "SHOW CLIENTS",
}
"""How to see who holds the connections, for each engine: the honest next step when no change explains it."""

_SCALED = re.compile(r"to (\d+) from (\d+)|(\d+) -> (\d+)|from (\d+) to (\d+)", re.I)
_POOL_WORDS = re.compile(r"pool|max.?(?:conn|client|connection)s?|connections?.?(?:limit|max)|replicas|parallelism|"
                         r"concurren|workers?\b|threads?\b", re.I)


@dataclass
class Exhaustion:
    """One datastore at its connection limit, what shows it, and the client change that explains it (if any)."""

    store: dict[str, Any]
    """The topology's Datastore entry."""
    topology_id: str
    said: LogEvidence | None
    """The datastore's own logs refusing connections, when read."""
    victims: list[LogEvidence]
    """Client logs that fail for want of a connection."""
    limit: list[str] = field(default_factory=list)
    """`max_connections=100 (ConfigMap ns/name postgresql.conf)`, `97 connected of 100 (pg_... metrics)`."""
    limit_configmap: Ref | None = None
    culprit: Ref | None = None
    ceiling: str = ""
    """`spec.maxReplicaCount 6 -> 30 (written by kubectl-edit 190 min before)`: the autoscaler write that let the
    client scale out this far, when the culprit is that autoscaler rather than the client itself."""
    change: dict[str, Any] | None = None
    client: dict[str, Any] | None = None
    """The culprit's Datastore client entry (its replicas and pool size)."""
    metrics_id: str | None = None
    at_limit: bool = False
    """The datastore's gauges show it holding (nearly) all the connections it allows."""

    @property
    def refused_by_server(self) -> bool:
        """Whether the datastore itself is shown at its limit: its logs, its gauges, or its words in a client's."""
        return self.said is not None or self.at_limit or any(SERVER_WORDS.search(said_line(v)) for v in self.victims)

    @property
    def engine(self) -> str:
        return str(self.store.get("engine") or "the datastore")

    @property
    def service(self) -> Ref:
        return Ref.of(self.store.get("service")) or Ref("Service", "", "?")

    @property
    def workload(self) -> Ref | None:
        return Ref.of(self.store.get("workload"))


def limited(log: LogEvidence) -> bool:
    return LIMIT_CLASS in log.error_classes


def said_line(log: LogEvidence) -> str:
    """The log's connection-limit error as printed."""
    for error in [log.top or {}, *log.more]:
        if error.get("error_class") == LIMIT_CLASS:
            return str(error.get("message") or error.get("example") or error.get("template") or "")[:200]
    return str((log.top or {}).get("message") or (log.top or {}).get("example") or "")[:200]


async def read_datastores(facts: Facts, call: Callable[..., Awaitable[Any]],
                          keep: Callable[[Any, Facts], LogEvidence | None], at: str) -> None:
    """The subject cannot get a connection: read what its datastores say (their logs) and how many
    connections they hold and allow (their exporters' gauges), reading only."""
    if not facts.topologies:
        return
    read = {log.pod for log in facts.logs}
    stores = [s for s in facts.topologies[0][0].get("datastores") or [] if isinstance(s, dict)][:MAX_STORES]
    pairs = [(s, r) for s, r in ((s, Ref.of(s.get("service"))) for s in stores) if r is not None]
    services = [r for _, r in pairs]
    reads = []
    for store, service in pairs:
        pods = [str(p) for p in store.get("pods") or [] if str(p) not in read]
        if pods:
            reads.append(call("k8s_logs", {"name": pods[0], "namespace": service.namespace, "tail": 300},
                              f"survey-datastore-logs-{service.name}"))
    for outcome in await asyncio.gather(*reads):
        keep(outcome, facts)
    namespaces = sorted({s.namespace for s in services if s.namespace})  # DNS labels: no regex metacharacters
    if not namespaces:
        return
    names = "|".join([*CURRENT_METRICS, *MAX_METRICS, "mongodb_connections"])
    query = (f'sum by (__name__, namespace, service, state) ({{__name__=~"{names}", '
             f'namespace=~"{"|".join(namespaces)}"}})')
    outcome = await call("prom_query", {"query": query, "time": at}, "survey-datastore-connections")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
        facts.metrics.append((outcome.data, outcome.evidence_id))


def _connection_metrics(facts: Facts, service: Ref) -> tuple[str, str | None, bool]:
    """`97 of 100 connections in use` from the exporters' gauges of one datastore, or ""."""
    held: float | None = None
    allowed: float | None = None
    evidence = None
    for data, evidence_id in facts.metrics:
        for sample in data.get("samples") or []:
            labels = (sample.get("labels") or {}) if isinstance(sample, dict) else {}
            value = sample.get("value") if isinstance(sample, dict) else None
            if not isinstance(value, (int, float)) or labels.get("service", service.name) != service.name:
                continue
            name, state = str(labels.get("__name__") or ""), labels.get("state")
            if name in CURRENT_METRICS or (name == "mongodb_connections" and state == "current"):
                held = (held or 0) + value
            elif name in MAX_METRICS or (name == "mongodb_connections" and state == "available"):
                allowed = (allowed or 0) + value  # MongoDB reports what is left: held + available
            else:
                continue
            evidence = evidence_id
    if held is None and allowed is None:
        return "", None, False
    if held is None:
        return f"{allowed:g} connections allowed", evidence, False
    if allowed is None:
        return f"{held:g} connections in use", evidence, False
    return f"{held:g} of {allowed:g} in use", evidence, held >= 0.9 * allowed


def _raises(change: dict[str, Any]) -> bool:
    """Whether a change adds connections: more replicas, a larger pool, a new client."""
    kind = str(change.get("type") or "")
    text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    if kind == "created":
        return True
    if kind == "scale":
        if re.search(r"scaled? down|below target", text, re.I):
            return False
        found = _SCALED.search(text)
        if found:
            new, old = (int(g) for g in ((found.group(1), found.group(2)) if found.group(1) else
                                         (found.group(4), found.group(3)) if found.group(3) else
                                         (found.group(6), found.group(5))))
            return new > old
        return bool(re.search(r"scaled? up|above target|new size", text, re.I))
    if kind in ("rollout", "config", "helm", "other"):
        for line in change.get("diff") or []:
            line = str(line)
            if not _POOL_WORDS.search(line):
                continue
            numbers = [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", line.split("->", 1)[0])[-1:]
                       + re.findall(r"(?<![\w.])\d+(?![\w.])", line.split("->", 1)[-1])[:1]] if "->" in line else []
            if len(numbers) < 2 or numbers[1] > numbers[0]:
                return True  # a pool or replica setting raised (or set, its old value unknown)
    return False


def _client_change(client: dict[str, Any], facts: Facts) -> dict[str, Any] | None:
    """The newest change in the window before the symptom that raised this client's connections."""
    workload = Ref.of(client.get("workload"))
    if workload is None:
        return None
    found = []
    for change in facts.change_list():
        at = parse_time(change.get("at"))
        target = Ref.of(change.get("object"))
        if at is None or target is None or not (facts.at - WINDOW_BEFORE <= at <= facts.at + timedelta(minutes=10)):
            continue
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        if (target.same_object(workload) or any(r.same_object(workload) for r in related)) and _raises(change):
            found.append(change)
    return max(found, key=lambda c: str(c.get("at"))) if found else None


def exhaustions(facts: Facts) -> list[Exhaustion]:
    """The datastore of each topology that refuses connections at its limit, with the client change behind it.

    Of the datastores the failing calls may go to, the one with the most direct evidence is taken: its
    own logs refusing connections, then its gauges at the limit, then a connection limit in its
    configuration, then the topology's order (configured first, then the best-named)."""
    out: list[Exhaustion] = []
    victims = [log for log in facts.logs if limited(log)]
    if not victims:
        return out
    for data, topology_id in facts.topologies:
        subject_pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        candidates: list[tuple[int, int, Exhaustion]] = []
        for index, store in enumerate(s for s in data.get("datastores") or [] if isinstance(s, dict)):
            service = Ref.of(store.get("service"))
            if service is None or any(e.service == service for e in out):
                continue
            pods = {str(p) for p in store.get("pods") or []}
            own = next((log for log in victims if log.pod in pods), None)
            clients = [log for log in victims if log.pod not in pods]
            hosts = {h.lower().split(":")[0].split(".")[0] for log in clients for h in log.hosts}
            subject_fails = index < MAX_STORES and any(log.pod in subject_pods for log in clients)
            if own is None and service.name not in hosts and not subject_fails:
                continue  # neither its own logs nor the subject's failing calls point here
            found = _explain(Exhaustion(store, topology_id, own, clients), facts, data)
            if found.culprit is None and not found.refused_by_server:
                continue  # only a client's pool is empty: its own pool size may be the limit (agent.triage.limits)
            candidates.append((_evidence(found, service.name in hosts), -index, found))
        if candidates:
            out.append(max(candidates, key=lambda c: (c[0], c[1]))[2])
    return out


def _evidence(found: Exhaustion, named: bool) -> int:
    """How directly the evidence puts this datastore at its limit (see `exhaustions`)."""
    score = 8 if found.said is not None else 0
    score += 4 if named else 0
    score += 2 if found.at_limit else 0
    return score + (1 if found.limit_configmap is not None else 0)


def _explain(found: Exhaustion, facts: Facts, data: dict[str, Any]) -> Exhaustion:
    """The limit (configuration, metrics) and the client whose change raised the connection count."""
    workload = found.workload
    bounds = [s for s in data.get("settings") or [] if isinstance(s, dict) and s.get("resource") == "connections"
              and workload is not None and (Ref.of(s.get("workload")) or Ref("", "", "")).same_object(workload)]
    bounds.sort(key=lambda s: not re.search(r"max", str(s.get("setting")), re.I))  # the ceiling, not a reserve
    for setting in bounds[:1]:
        cm = Ref.of(setting.get("configmap"))
        found.limit.append(f"{setting.get('setting')}={setting.get('value')}" + (f" in {cm.name}" if cm else ""))
        found.limit_configmap = cm
    metrics, found.metrics_id, found.at_limit = _connection_metrics(facts, found.service)
    if metrics:
        found.limit.append(metrics)
    changed = [(c, _client_change(c, facts)) for c in found.store.get("clients") or [] if isinstance(c, dict)]
    changed = [(c, ch) for c, ch in changed if ch is not None]
    if changed:
        client, change = max(changed, key=lambda cc: str((cc[1] or {}).get("at")))
        found.client, found.change, found.culprit = client, change, Ref.of(client.get("workload"))
        raised = _ceiling_write(change, found.culprit, facts) if change is not None else None
        if raised is not None:
            found.culprit, found.ceiling = raised
    return found


_SIZE = re.compile(r"New size: (\d+)|\bto (\d+)(?: from \d+)?", re.I)
_CEILING_LINE = re.compile(r"^(?P<path>[\w.\[\]/-]+)(?:: (?P<old>-?\d+) -> | = | written by \S+ \(now )(?P<new>\d+)")


def _ceiling_write(change: dict[str, Any], workload: Ref | None, facts: Facts) -> tuple[Ref, str] | None:
    """The recent write that RAISED the replica ceiling of the autoscaler behind a scale-out, when the scale-out
    reached that ceiling: the client only holds so many connections because the ceiling let it (replicas x pool).

    The autoscaler relates by name: the scaled workload's own name (a ScaledObject or HPA named after its target),
    the HPA the scale event names, or a word of the event's reason (KEDA's `scaledobject.keda.sh/name: x`). A
    ceiling above the size reached (the autoscaler stopped short of it) or lowered is not the cause."""
    if workload is None or change.get("type") != "scale":
        return None
    summary = str(change.get("summary") or "")
    sizes = [int(a or b) for a, b in _SIZE.findall(summary)]
    if not sizes:
        return None
    size = sizes[0]
    names = {workload.name, *(r.name for r in (Ref.of(x) for x in change.get("related") or []) if r)}
    at = parse_time(change.get("at")) or facts.at
    for write, _, target in facts.writes_to(None, within=CEILING_LEAD, deletions=False, until=at):
        if write.get("type") == "scale" or target.same_object(workload):
            continue
        if target.namespace not in ("", workload.namespace):
            continue
        if target.name not in names and not re.search(rf"(?<![\w-]){re.escape(target.name)}(?![\w-])", summary):
            continue
        for line in (str(d) for d in write.get("diff") or []):
            m = _CEILING_LINE.match(line)
            if m is None or not CEILING.search(m["path"].rsplit(".", 1)[-1]):
                continue
            new, old = int(m["new"]), int(m["old"]) if m["old"] else None
            if (old is not None and new <= old) or size < new:
                continue
            was = f"{old} -> {new}" if old is not None else f"set to {new}"
            minutes = int((facts.at - (parse_time(write.get("at")) or facts.at)).total_seconds() // 60)
            who = written_by(write)
            return target, (f"{m['path']} {was}" + (f" by {who}" if who else "") + f", {minutes} min before the "
                            f"incident")
    return None


def finding(found: Exhaustion) -> tuple[Ref, dict[str, Any]]:
    """The suspect (the client whose change took the connections, else the datastore) as a scan-shaped
    finding. The limit and the datastore's own words come first: the ranking quotes the change after it."""
    service, engine = found.service, found.engine
    limit = "; ".join(found.limit) if found.limit else "the limit is in no ConfigMap or metric read"
    db_said = (f"{workload_of_pod(found.said.pod)}'s logs say '{said_line(found.said)}'" if found.said
               else f"its clients' logs say '{said_line(found.victims[0])}'" if found.victims else "")
    waiting = sorted({workload_of_pod(v.pod) for v in found.victims if v is not found.said})
    victim_said = f"; {', '.join(waiting[:3])} cannot get one" if waiting else ""
    clients = [c for c in found.store.get("clients") or [] if isinstance(c, dict)]
    details: dict[str, Any] = {"datastore": str(service), "engine": engine, "limit": found.limit,
                               "clients": [str(Ref.of(c.get("workload"))) for c in clients]}
    evidence = [said_line(found.said)] if found.said else [said_line(v) for v in found.victims[:1]]
    if found.culprit is not None and found.change is not None:
        client = found.client or {}
        pool, replicas = str(client.get("pool") or ""), client.get("replicas")
        holds = (f": {replicas} pods, pool {pool} each" if pool and isinstance(replicas, int)
                 else f": {replicas} pods" if isinstance(replicas, int) else "")
        if found.ceiling:
            scaled = Ref.of(client.get("workload"))
            message = (f"{found.culprit} raised its replica ceiling ({found.ceiling}); the autoscaler scaled "
                       f"{scaled} up to it{holds}, and every pod's pool counts against {service.name}'s connections. "
                       f"{engine} is at its connection limit ({limit}): {db_said}{victim_said}. Lower the ceiling "
                       f"(or the pool) so replicas x pool fits the server's limit with the other clients")
        else:
            message = (f"{found.culprit} takes more of {service.name}'s connections{holds}. {engine} is at its "
                       f"connection limit ({limit}): {db_said}{victim_said}. Scale it back or shrink its pool")
        details.update({"change": found.change.get("summary"), "pool": pool, "replicas": replicas})
        return found.culprit, {"check": "connections.exhausted", "severity": "critical",
                               "object": {"kind": found.culprit.kind, "namespace": found.culprit.namespace,
                                          "name": found.culprit.name},
                               "reason": "ConnectionLimitReached", "message": message, "evidence": evidence,
                               "details": details}
    listed = ", ".join(f"{(Ref.of(c.get('workload')) or service).name}"
                       + (f" x{c.get('replicas')}" if c.get("replicas") else "")
                       + (f" ({c.get('pool')})" if c.get("pool") else "") for c in clients[:5]) or "none found"
    message = (f"{service.name} ({engine}) is at its connection limit ({limit}): {db_said}{victim_said}. Which "
               f"client took the connections is unknown (no change explains it): check "
               f"{CHECK_CLIENTS.get(engine, 'the server list of clients')} and its clients' pools ({listed})")
    ref = found.limit_configmap or found.workload or service
    return ref, {"check": "connections.exhausted", "severity": "warning",
                 "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                 "reason": "ConnectionLimitReached", "message": message, "evidence": evidence, "details": details}


def explained(found: Exhaustion) -> list[Ref]:
    """What the client's change explains: the datastore, its limit's ConfigMap, and the clients left waiting."""
    out = [r for r in (found.workload, found.service, found.limit_configmap) if r is not None]
    for client in found.store.get("clients") or []:
        ref = Ref.of(client.get("workload")) if isinstance(client, dict) else None
        if ref is not None and (found.culprit is None or not ref.same_object(found.culprit)):
            out.append(ref)
    return out
