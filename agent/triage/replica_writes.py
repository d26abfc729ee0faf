"""Writes refused by a replica: the client's configured host is not the primary.

A datastore replica refuses writes in its own words — Redis "READONLY You can't write against a read
only replica", PostgreSQL "cannot execute INSERT in a read-only transaction" (a hot standby), MySQL
"running with the --read-only option", MongoDB "not primary"/"NotWritablePrimary". The replica is
healthy; what is wrong is where the client was told to write: a host pinned to one member in its
env or ConfigMap, which a failover demoted. The fix is in that setting (point it at the failover-
aware endpoint: Sentinel, the primary Service, the replica-set URI), so that setting is the suspect.

The topology already says which configuration values name the subject's dependencies ("configmap
storefront/x key DB_HOST"); the survey reads those ConfigMaps so the finding can quote the value.

When no dependency is resolved (the pods read the setting in a way the topology does not see), the
timeline can still show the move: a ConfigMap or Secret in the refused writer's own namespace (the
only place a pod can read one from) whose written data key is a connection target (`DATABASE_URL`,
`PGHOST`, `MONGO_URI`...), written within RECENT before the alert. A write is what points a client at
a replica without a failover; a write to a key that names no target (a token, a flag) is no suspect.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import dns_forever, limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "config.writes_to_replica"
WEIGHT = 0.9
"""A setting that sends every write to a replica: as strong as a limit or policy that blocks them."""

REFUSED = re.compile(
    r"READONLY You can't write against a read only (?:replica|slave)"
    r"|cannot execute \w+ in a read-only transaction"
    r"|running with the --read-only option|super[_-]read[_-]only"
    r"|NotWritablePrimary|\bnot primary\b|not master and slaveOk=false", re.I)
"""The datastores' own refusals of a write sent to a replica."""

_VIA = re.compile(r"^configmap (?P<ns>[\w.-]+)/(?P<name>[\w.-]+) key (?P<key>[\w.-]+)")
_ENV = re.compile(r"^env (?P<key>[\w.-]+)")
MAX_READS = 3
RECENT = timedelta(hours=6)
"""How long before the alert a write to a connection setting still explains writes refused now."""
_DATA_KEY = re.compile(r"\bdata key (\S+)")
TARGET_KEY = re.compile(r"(?:^|[_.-]|(?<=[a-z])(?=[A-Z])|PG|pg)(?:url|uri|dsn|host|hosts|addr|address|endpoint|server"
                        r"|servers|conn|connection|connection[_.-]?string|jdbc[_.-]?url)$", re.I)
"""A configuration key whose value is where a client connects: the setting that can point writes at a replica."""


@dataclass(frozen=True)
class PinnedHost:
    """The setting that sends a workload's writes to a replica, and what shows it."""

    setting: Ref
    """The ConfigMap holding the host, or the workload itself for an env literal."""
    key: str
    value: str
    target: Ref
    workload: Ref | None
    said: str
    log: LogEvidence
    evidence: list[str]
    minutes_before: int | None = None
    """Set when the timeline shows the setting written (minutes before the alert) rather than the topology."""
    dns_cached: bool = False
    """Set when the setting caches the host's DNS answer forever (value holds it): a failover is never followed."""


def refusal(log: LogEvidence) -> str:
    """The log's write refusal as printed, or empty."""
    for error in [log.top or {}, *log.more]:
        for field in ("message", "example", "template"):
            text = str(error.get(field) or "")
            if REFUSED.search(text):
                return text[:240]
    return next((line[:240] for line in log.last_lines if REFUSED.search(line)), "")


def _refused_logs(facts: Facts, subject: Subject | None = None) -> list[tuple[LogEvidence, str]]:
    out = []
    for log in limit_hit.all_logs(facts):
        if subject is not None and not subject.mentions(workload_of_pod(log.pod)):
            continue
        said = refusal(log)
        if said:
            out.append((log, said))
    return out


def _dependencies(facts: Facts) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """(topology, dependency, evidence id) for each configured dependency, first topology first."""
    return [(data, dep, evidence_id) for data, evidence_id in facts.topologies
            for dep in data.get("dependencies") or [] if isinstance(dep, dict) and dep.get("via")]


async def read_settings(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """When the subject's writes are refused by a replica, read the ConfigMaps that configure its dependencies."""
    refused = _refused_logs(facts, subject)
    if not refused:
        return
    await dns_forever.read(facts, call, refused[0][0].namespace, refused[0][0].pod)
    wanted: list[tuple[str, str]] = []
    for _, dep, _ in _dependencies(facts):
        m = _VIA.match(str(dep.get("via")))
        if m and (m["ns"], m["name"]) not in wanted:
            wanted.append((m["ns"], m["name"]))
    for ns, name in wanted[:MAX_READS]:
        got = await get_yaml(call, "ConfigMap", name, ns, f"survey-replica-config-{name}")
        if got is not None and got[0].get("kind") == "ConfigMap":
            facts.objects.append(got)


def _configmap(facts: Facts, ns: str, name: str) -> tuple[dict[str, Any], str] | None:
    for obj, evidence_id in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "ConfigMap" and meta.get("name") == name and (meta.get("namespace") or ns) == ns:
            return obj, evidence_id
    return None


def pinned(facts: Facts) -> list[PinnedHost]:
    """The settings that point a refused writer at the datastore that refused it (one per setting)."""
    refused = _refused_logs(facts)
    if not refused:
        return []
    log, said = refused[0]
    dns = dns_forever.found(facts, log.namespace, log.pod)
    if dns is not None:
        return [PinnedHost(dns.setting, dns.key, dns.said, dns.setting, None, said, log,
                           [*dns.evidence, log.evidence_id], dns_cached=True)]
    out: list[PinnedHost] = []
    for data, dep, topo_id in _dependencies(facts):
        target = Ref.of(dep.get("target"))
        if target is None:
            continue
        workloads = [r for r in (Ref.of(w) for w in data.get("workloads") or []) if r is not None]
        workload = next((w for w in workloads if w.name == workload_of_pod(log.pod)), workloads[0] if workloads
                        else None)
        via = str(dep.get("via"))
        m, env = _VIA.match(via), _ENV.match(via)
        if m:
            read = _configmap(facts, m["ns"], m["name"])
            value = str(((read[0].get("data") or {}) if read else {}).get(m["key"]) or "")
            setting, key = Ref("ConfigMap", m["ns"], m["name"]), m["key"]
            ids = [topo_id, log.evidence_id, *([read[1]] if read else [])]
        elif env and workload is not None:
            setting, key, value, ids = workload, env["key"], "", [topo_id, log.evidence_id]
        else:
            continue
        if any(p.setting.same_object(setting) and p.key == key for p in out):
            continue
        out.append(PinnedHost(setting, key, value, target, workload, said, log, ids))
    return out[:1] or written(facts, refused)[:1] or aliased(facts, refused)[:1]


_ALIAS_NOW = re.compile(r"spec\.externalName\b.*?\(now '([^']+)'\)")
READER = re.compile(r"(?:^|[.-])(?:cluster-ro|ro|reader|readers|read|readonly|read-only|replica|replicas|standby"
                    r"|secondary|slave)(?:[.-]|\d|$)", re.I)
"""A host name that says it serves reads only: Aurora's `cluster-ro-`, `-reader`, `-replica`, `-standby`,
`secondary.`... A writer moved onto such a name by a DNS alias is refused by design, not by a failover."""


def aliased(facts: Facts, refused: list[tuple[LogEvidence, str]]) -> list[PinnedHost]:
    """ExternalName Services re-pointed shortly before the alert at a host whose name says it is a reader.

    An ExternalName Service is a DNS alias (often in a shared namespace, cut over by hand during a database
    move); the client's own setting still names the alias, so no write to its ConfigMap or Secret shows. The
    alias written to a reader's name, while a client's writes are refused as read-only, is the move."""
    out: list[PinnedHost] = []
    log, said = refused[0]
    for change, evidence_id, service in facts.writes_to(("Service",), within=RECENT, deletions=False):
        at = parse_time(change.get("at"))
        now = next((m.group(1) for d in change.get("diff") or [] if (m := _ALIAS_NOW.search(str(d)))), "")
        if at is None or not now or not READER.search(now):
            continue
        minutes = int((facts.at - at).total_seconds() // 60)
        out.append(PinnedHost(service, "spec.externalName", now, service, None, said, log,
                              [e for e in (evidence_id, log.evidence_id) if e], minutes))
    return sorted(out, key=lambda p: p.minutes_before or 0)


def written(facts: Facts, refused: list[tuple[LogEvidence, str]]) -> list[PinnedHost]:
    """Connection settings written shortly before the alert in a refused writer's namespace, newest first."""
    out: list[PinnedHost] = []
    for change, evidence_id, setting in facts.writes_to(("ConfigMap", "Secret"), within=RECENT):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        keys = [m.group(1) for d in change.get("diff") or [] if (m := _DATA_KEY.search(str(d)))]
        key = next((k for k in keys if TARGET_KEY.search(k)), None)
        if key is None:
            continue
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
        for log, said in refused:
            writer = workload_of_pod(log.pod)
            if (log.namespace or setting.namespace) != setting.namespace:
                continue  # a pod reads ConfigMaps and Secrets of its own namespace only
            if related and not any(r.name == writer for r in related):
                continue  # the timeline knows who reads it, and it is not this writer
            minutes = int((facts.at - at).total_seconds() // 60)
            workload = next((r for r in related if r.name == writer), None)
            value = "" if setting.kind == "Secret" else str(change.get("value") or "")
            out.append(PinnedHost(setting, key, value, setting, workload, said, log,
                                  [e for e in (evidence_id, log.evidence_id) if e], minutes))
            break
    return sorted(out, key=lambda p: p.minutes_before or 0)


def finding(found: PinnedHost) -> dict[str, Any]:
    """The scan-shaped finding for the setting: the key, the host it names, and the refusal it earns."""
    where = (f"{found.setting} key {found.key}" if found.setting.kind == "ConfigMap"
             else f"{found.setting}'s env {found.key}")
    host = f" = {found.value}" if found.value else ""
    who = f"{found.workload}" if found.workload is not None else workload_of_pod(found.log.pod)
    if found.dns_cached:
        return {
            "check": CHECK, "severity": "critical", "reason": "DnsCachedForever",
            "object": {"kind": found.setting.kind, "namespace": found.setting.namespace, "name": found.setting.name},
            "message": (f"{found.setting} key {found.key} sets {found.value}: the JVM caches DNS forever, so after "
                        f"a database failover {who} keeps connecting to the old writer's address, now a read-only "
                        f"replica: its logs say '{found.said}'. Remove the DNS cache pin (a TTL of seconds) and "
                        "restart so the writer endpoint's new address is resolved"),
            "evidence": [found.said],
            "details": {"key": found.key, "setting": found.value},
        }
    if found.setting.kind == "Service" and found.minutes_before is not None:
        return {
            "check": CHECK, "severity": "critical", "reason": "AliasToReader",
            "object": {"kind": "Service", "namespace": found.setting.namespace, "name": found.setting.name},
            "message": (f"ExternalName {found.setting} was re-pointed {minutes_text(found.minutes_before)} before the "
                        f"alert to {found.value}, a read-only reader endpoint, and {who}'s writes are now refused: "
                        f"its logs say '{found.said}'. Reads through the alias still work; point its externalName "
                        "back at the writer (primary) endpoint"),
            "evidence": [found.said],
            "details": {"externalName": found.value, "minutes_before": found.minutes_before},
        }
    if found.minutes_before is not None:
        return {
            "check": CHECK, "severity": "critical", "reason": "WritesToReplica",
            "object": {"kind": found.setting.kind, "namespace": found.setting.namespace, "name": found.setting.name},
            "message": (f"{found.setting} key {found.key} (a connection target) was written "
                        f"{minutes_text(found.minutes_before)} before the alert, and {who}'s writes are now refused "
                        f"by a read-only replica: its logs say '{found.said}'. The new value points the client at a "
                        "read replica or standby instead of the writable primary; restore the primary's "
                        "endpoint in that setting"),
            "evidence": [found.said],
            "details": {"key": found.key, "minutes_before": found.minutes_before},
        }
    return {
        "check": CHECK, "severity": "critical", "reason": "WritesToReplica",
        "object": {"kind": found.setting.kind, "namespace": found.setting.namespace, "name": found.setting.name},
        "message": (f"{where}{host} pins {who} to one member of {found.target}, and that member now refuses "
                    f"writes as a read-only replica: {workload_of_pod(found.log.pod)}'s logs say '{found.said}'. "
                    "A failover demoted the configured host; point the client at the failover-aware endpoint "
                    "(Sentinel, the primary Service or the replica-set URI) instead of one member"),
        "evidence": [found.said],
        "details": {"key": found.key, "host": found.value, "target": str(found.target)},
    }
