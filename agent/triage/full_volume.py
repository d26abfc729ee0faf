"""A datastore that cannot write because the volume under it is full.

When a database's disk fills, the database says so in its own words and its clients fail in theirs:
Redis logs "Write error saving DB on disk: No space left on device" and answers every write with
"MISCONF ... unable to persist to disk"; PostgreSQL logs "could not extend file ... No space left on
device" (or PANICs on "could not write to file pg_wal/..."); MySQL "Errcode: 28 - No space left on
device" or "The table 'x' is full"; Elasticsearch "flood stage disk watermark [95%] exceeded", its
clients "cluster_block_exception ... index read-only / allow delete"; a Kafka broker "No space left on
device" in its log dirs, its producers KAFKA_STORAGE_ERROR; etcd "mvcc: database space exceeded".
The clients are victims; what to fix is the PersistentVolumeClaim under the datastore (or, for data
on an emptyDir or hostPath, the node's disk), named with its capacity and usage.

Not every refusal is the disk: Redis's MISCONF also follows "Can't save in background: fork: Cannot
allocate memory" (the snapshot's fork, not the volume). A client's refusal alone counts only when the
datastore's own logs or the kubelet's volume gauges show the volume full.

The survey reads what it takes (`read_volumes`): the pods' specs (which claim is mounted where), the
claims, the `kubelet_volume_stats_*` gauges, the datastore's logs when only a client's were read, and
one client's logs when only the datastore's were. `fillings` is pure over the facts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage import component_alarms
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "pvc.full"
WEIGHT = 0.92
"""A full volume explains every refused write above it: above the datastore's crash or probe findings."""

_FULL = [
    # (engine or "" when the words name none, pattern): the storage under the writer is full.
    ("Elasticsearch", r"flood[ -]stage disk watermark(?: \[[^\]]*\])? (?:exceeded|reached)"),
    ("PostgreSQL", r"could not (?:extend|write to) file \"?(?:pg_wal|pg_xlog|base/)|SQLSTATE\W{0,3}53100|"
                   r"\bDiskFull\b"),
    ("MySQL", r"Errcode: 28\b|OS errno 28\b|error 28 from storage engine|Disk (?:is )?full writing|"
              r"The table '?[^'\s]+'? is full|\bER_RECORD_FILE_FULL\b"),
    ("etcd", r"mvcc: database space exceeded|\bNOSPACE\b"),
    ("Kafka", r"all log dirs in .{1,200} have failed"),
    ("", r"No space left on device|\bENOSPC\b|disk quota exceeded|\bEDQUOT\b|could not extend file|"
         r"insufficient (?:disk|storage) space|disk (?:is )?full"),
]
_REFUSED = [
    # What clients print when the datastore refuses writes for want of space (or, for Redis, for a failed
    # snapshot of any cause: its own logs decide).
    ("Redis", r"\bMISCONF\b"),
    ("Elasticsearch", r"cluster_block_exception|read[-_ ]only[-_ ]allow[-_ ]delete|index read-only / allow delete|"
                      r"(?:FORBIDDEN|TOO_MANY_REQUESTS)/12/|disk usage exceeded flood[- ]stage"),
    ("Kafka", r"KAFKA_STORAGE_ERROR|KafkaStorageException|Disk error when trying to access log file"),
]
FULL = [(engine, re.compile(p, re.I)) for engine, p in _FULL]
REFUSED = [(engine, re.compile(p, re.I)) for engine, p in _REFUSED]
HANDLES = re.compile(
    r"\bMap failed\b|Too many open files|\bEMFILE\b|max_map_count|max (?:number of )?file descriptors|"
    r"mmap(?:ping)? failed|Cannot allocate memory \(mmap\)", re.I)
"""A storage engine out of file handles or memory maps (Kafka's and Cassandra's 'Map failed', RocksDB's and
Elasticsearch's 'Too many open files', vm.max_map_count, a low nofile ulimit): its log directories fail too,
and Kafka then says 'all log dirs ... have failed', yet no byte of the volume is short."""
SPACE = re.compile(r"No space left on device|\bENOSPC\b|errno 28\b|\b28: No space|disk (?:is )?full|"
                   r"flood[ -]stage|database space exceeded|\bNOSPACE\b|quota exceeded|could not extend file", re.I)
"""Words that name space itself (bytes or inodes), as opposed to a failure that only follows it."""
MEMORY = re.compile(r"fork: Cannot allocate memory|Can't save in background: fork|Cannot allocate memory", re.I)
"""Redis's snapshot fork failing for memory: MISCONF follows it too, and the volume is not the cause."""

ENGINE_WORDS = {"Redis": ("redis", "valkey"), "PostgreSQL": ("postgres", "postgresql", "pg", "psql", "timescale",
                                                            "patroni", "db"),
                "MySQL": ("mysql", "mariadb", "percona", "db"),
                "Elasticsearch": ("elasticsearch", "elastic", "opensearch", "es"),
                "Kafka": ("kafka", "broker"), "etcd": ("etcd",), "MongoDB": ("mongo", "mongodb")}
"""Words of a workload's name or image that say which datastore it runs."""

AFTERWARDS = {
    "Redis": "Redis takes writes again after its next successful save (stop-writes-on-bgsave-error)",
    "Elasticsearch": "the read_only_allow_delete block lifts once usage falls below the high watermark (7.4+; "
                     "older versions need it reset on the index)",
    "PostgreSQL": "PostgreSQL recovers by itself once WAL can be written again",
    "MySQL": "InnoDB resumes once space is free",
    "Kafka": "the broker's failed log directories come back only after a restart",
    "etcd": "then compact, defragment and `etcdctl alarm disarm` (etcd stays read-only until the NOSPACE alarm "
            "is cleared)",
}
MAX_PODS = 3
MESSAGE_BUDGET = 390
"""The ranking quotes a finding's first 400 characters: the size, the words and the victims come first."""
MAX_CLAIMS = 2
STATS = ("kubelet_volume_stats_capacity_bytes", "kubelet_volume_stats_available_bytes",
         "kubelet_volume_stats_used_bytes", "kubelet_volume_stats_inodes", "kubelet_volume_stats_inodes_free",
         "kubelet_volume_stats_inodes_used")
STAT_KEYS = {"capacity_bytes": "capacity", "available_bytes": "available", "used_bytes": "used",
             "inodes": "inodes", "inodes_free": "inodes_free", "inodes_used": "inodes_used"}


@dataclass(frozen=True)
class Sign:
    """One log's line that says the storage is full (`full`) or that writes are refused for it."""

    log: LogEvidence
    engine: str
    line: str
    full: bool
    at: int = 0
    """Where the telling words start in `line`."""


def _lines(log: LogEvidence) -> list[str]:
    lines = []
    for error in [log.top or {}, *log.more, *log.warnings]:
        for key in ("message", "example"):
            if error.get(key):
                lines.append(str(error[key]))
    return lines + list(log.last_lines)


def sign_of(log: LogEvidence) -> Sign | None:
    """The log's words that storage is full (preferred) or that writes are refused for it, or None."""
    lines = _lines(log)
    for full, patterns in ((True, FULL), (False, REFUSED)):
        for engine, pattern in patterns:
            for line in lines:
                found = pattern.search(line)
                if found is not None:
                    return Sign(log, engine, line, full, found.start())
    return None


def out_of_memory(log: LogEvidence) -> str:
    """The log's line saying a snapshot's fork ran out of memory, or ""."""
    return next((ln for ln in _lines(log) if MEMORY.search(ln)), "")


# ---- reading (the survey) ------------------------------------------------------------------------------


def pods_read(facts: Facts) -> dict[tuple[str, str], dict[str, Any]]:
    """(namespace, name) -> Pod object, of the pods read one by one."""
    return {(str((o.get("metadata") or {}).get("namespace") or ""), str((o.get("metadata") or {}).get("name"))): o
            for o, _ in facts.objects if o.get("kind") == "Pod" and (o.get("spec") or {}).get("volumes") is not None}


def claims_of(pod: dict[str, Any]) -> list[tuple[str, str]]:
    """(claim, where it is mounted) for each PersistentVolumeClaim the pod mounts."""
    spec = pod.get("spec") or {}
    mounts = {str(m.get("name")): str(m.get("mountPath")) for c in spec.get("containers") or []
              for m in c.get("volumeMounts") or []}
    out = []
    for volume in spec.get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            out.append((str(claim), mounts.get(str(volume.get("name")), "")))
    return out


def local_data(pod: dict[str, Any]) -> list[str]:
    """Writable emptyDir and hostPath volumes the pod's containers mount: their data lives on the node's disk."""
    spec = pod.get("spec") or {}
    mounts = {str(m.get("name")): m for c in spec.get("containers") or [] for m in c.get("volumeMounts") or []}
    out = []
    for volume in spec.get("volumes") or []:
        mount = mounts.get(str(volume.get("name")))
        if mount is None or mount.get("readOnly"):
            continue
        if isinstance(volume.get("emptyDir"), dict) and volume["emptyDir"].get("medium") != "Memory":
            limit = volume["emptyDir"].get("sizeLimit")
            out.append(f"emptyDir {volume.get('name')} at {mount.get('mountPath')}"
                       + (f" (sizeLimit {limit})" if limit else ""))
        elif isinstance(volume.get("hostPath"), dict):
            out.append(f"hostPath {volume['hostPath'].get('path')} at {mount.get('mountPath')}")
    return out


async def read_volumes(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]],
                       keep: Callable[[Any, Facts], LogEvidence | None], at: str) -> None:
    """Some log says storage is full or writes are refused for it: read the writers' specs (a pod keeping no
    data of its own relays its datastore's words), the datastore's logs and spec when only clients spoke, the
    claims and their volume gauges, and one client's logs when only the datastore spoke. Reading only."""
    signs = [s for s in (sign_of(log) for log in facts.logs) if s is not None]
    if not signs:
        return
    keeps = await _read_pods(facts, call, list(dict.fromkeys((s.log.pod, s.log.namespace) for s in signs if s.full)))
    clients = [s for s in signs if not s.full or keeps.get(s.log.pod) is False]
    if clients and not any(keeps.values()):
        stores = _store_pods(facts, clients) or await _dependency_pods(facts, call, clients)
        read = {log.pod for log in facts.logs}
        for pod, namespace in stores:
            if pod not in read:
                keep(await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 300},
                                f"survey-volume-logs-{pod}"), facts)
        keeps.update(await _read_pods(facts, call, stores))
    claims: list[tuple[str, str]] = []
    for read_pod in pods_read(facts).values():
        namespace = str((read_pod.get("metadata") or {}).get("namespace") or "")
        claims += [(namespace, c) for c, _ in claims_of(read_pod) if (namespace, c) not in claims]
    claims += [(subject.namespace, c) for c in subject.claims if subject.namespace and (subject.namespace, c)
               not in claims]
    claims = claims[:MAX_CLAIMS]
    reads = [call("k8s_get", {"kind": "PersistentVolumeClaim", "name": c, "namespace": ns, "output": "yaml"},
                  f"survey-volume-claim-{c}") for ns, c in claims]
    for outcome in await asyncio.gather(*reads):
        obj = object_of(outcome)
        if obj is not None:
            facts.objects.append((obj, outcome.evidence_id))
    for namespace in sorted({ns for ns, _ in claims}):
        names = "|".join(sorted({c for ns, c in claims if ns == namespace}))  # DNS names: no regex metacharacters
        query = (f'{{__name__=~"{"|".join(STATS)}", namespace="{namespace}", '
                 f'persistentvolumeclaim=~"{names}"}}')
        outcome = await call("prom_query", {"query": query, "time": at}, f"survey-volume-stats-{namespace}")
        if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
            facts.metrics.append((outcome.data, outcome.evidence_id))
    owners = [(ns, workload_of_pod(p)) for (ns, p) in ((s.log.namespace, s.log.pod) for s in signs) if keeps.get(p)]
    if not clients and owners:
        await _read_a_client(facts, call, keep, owners[0])


async def _read_pods(facts: Facts, call: Callable[..., Awaitable[Any]],
                     pods: list[tuple[str, str]]) -> dict[str, bool]:
    """Read these pods' specs into the facts; pod name -> whether it keeps data of its own (a claim, an emptyDir
    or a hostPath it writes)."""
    wanted = [(p, ns) for p, ns in pods if p and ns][:MAX_PODS]
    answers = await asyncio.gather(*(call("k8s_get", {"kind": "Pod", "name": p, "namespace": ns, "output": "yaml",
                                                      "budget_tokens": 8000}, f"survey-volume-pod-{p}")
                                     for p, ns in wanted))
    out: dict[str, bool] = {}
    for outcome in answers:
        obj = object_of(outcome)
        if obj is None or obj.get("kind") != "Pod":
            continue
        facts.objects.append((obj, outcome.evidence_id))
        out[str((obj.get("metadata") or {}).get("name"))] = bool(claims_of(obj) or local_data(obj))
    return out


def _engine_named(name: str, engine: str) -> bool:
    """Whether a Service's or workload's name says it runs this engine (any engine when it is unknown)."""
    parts = set(name.lower().split("-"))
    words = ENGINE_WORDS.get(engine) or tuple(w for ws in ENGINE_WORDS.values() for w in ws)
    return any(w in parts or (len(w) > 4 and w in name.lower()) for w in words)


def _store_pods(facts: Facts, refused: list[Sign]) -> list[tuple[str, str]]:
    """The running pods of the datastores the refusing clients call (from the topologies read)."""
    out: list[tuple[str, str]] = []
    for sign in refused:
        for data, _ in facts.topologies:
            for store in data.get("datastores") or []:
                service = Ref.of(store.get("service")) if isinstance(store, dict) else None
                if service is not None and (_engine_named(service.name, sign.engine) or
                                            (sign.engine and str(store.get("engine")) == sign.engine)):
                    out += [(str(p), service.namespace) for p in store.get("pods") or []][:1]
            subject = Ref.of(data.get("subject"))
            if subject is not None and _engine_named(subject.name, sign.engine) and subject.name != \
                    workload_of_pod(sign.log.pod):
                out += [(str(p.get("name")), str(p.get("namespace") or subject.namespace))
                        for p in data.get("pods") or [] if isinstance(p, dict) and p.get("phase") == "Running"][:1]
    return list(dict.fromkeys(out))


async def _dependency_pods(facts: Facts, call: Callable[..., Awaitable[Any]],
                           refused: list[Sign]) -> list[tuple[str, str]]:
    """A refusing client's dependency named like the datastore its words come from (an Elasticsearch or Kafka
    Service is on no datastore port), or its only in-cluster one: its topology, for one of its running pods."""
    services = list(dict.fromkeys(t for data, _ in facts.topologies for t in (
        Ref.of(d.get("target")) for d in data.get("dependencies") or [] if isinstance(d, dict))
        if t is not None and t.kind.lower() == "service"))
    named = [t for t in services if any(_engine_named(t.name, s.engine) for s in refused)]
    for target in (named or (services if len(services) == 1 else []))[:1]:
        topology = await call("k8s_topology", {"name": target.name, "namespace": target.namespace},
                              f"survey-volume-store-{target.name}")
        data = topology.data if topology is not None and topology.ok and isinstance(topology.data, dict) else None
        if data is None:
            continue
        facts.topologies.append((data, topology.evidence_id))
        return [(str(p.get("name")), str(p.get("namespace") or target.namespace)) for p in data.get("pods") or []
                if isinstance(p, dict) and p.get("phase") == "Running"][:1]
    return []


async def _read_a_client(facts: Facts, call: Callable[..., Awaitable[Any]],
                         keep: Callable[[Any, Facts], LogEvidence | None], owner: tuple[str, str]) -> None:
    """Only the datastore's logs were read: one of the workloads that use it, and what its pods say."""
    namespace, name = owner
    topology = await call("k8s_topology", {"name": name, "namespace": namespace}, "survey-volume-store")
    data = topology.data if topology is not None and topology.ok and isinstance(topology.data, dict) else None
    if data is None or not data.get("dependents"):
        return
    facts.topologies.append((data, topology.evidence_id))
    client = Ref.of(data["dependents"][0])
    if client is None:
        return
    around = await call("k8s_topology", {"name": client.name, "namespace": client.namespace},
                        f"survey-volume-client-{client.name}")
    pods = [p for p in ((around.data or {}).get("pods") or [] if around is not None and around.ok else [])
            if isinstance(p, dict) and p.get("phase") == "Running"]
    if pods:
        keep(await call("k8s_logs", {"name": pods[0]["name"], "namespace": pods[0].get("namespace") or
                                     client.namespace, "tail": 300}, f"survey-volume-client-logs-{client.name}"),
             facts)


# ---- judging (the ranking) ----------------------------------------------------------------------------


@dataclass
class FullVolume:
    """A writer whose storage is full, where that storage is, and who fails because of it."""

    pod: dict[str, Any]
    said: Sign
    engine: str
    claim: Ref | None = None
    mounted_at: str = ""
    capacity: str = ""
    usage: str = ""
    local: list[str] = field(default_factory=list)
    inodes: str = ""
    """Set when the gauges show inodes, not bytes, exhausted."""
    victims: list[Sign] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return str((self.pod.get("metadata") or {}).get("namespace") or "")

    @property
    def pod_name(self) -> str:
        return str((self.pod.get("metadata") or {}).get("name") or "")

    @property
    def node(self) -> str:
        return str((self.pod.get("spec") or {}).get("nodeName") or "")

    @property
    def workload(self) -> Ref:
        owner = next(iter((self.pod.get("metadata") or {}).get("ownerReferences") or []), None)
        if owner is not None and owner.get("kind") == "StatefulSet":
            return Ref("StatefulSet", self.namespace, str(owner.get("name")))
        if owner is not None and owner.get("kind") == "ReplicaSet":
            return Ref("Deployment", self.namespace, workload_of_pod(self.pod_name))
        return Ref("Pod", self.namespace, self.pod_name)

    @property
    def culprit(self) -> Ref:
        return self.claim or Ref("Node", "", self.node or "?")


def _bytes(value: float) -> str:
    for unit, size in (("Ti", 1024 ** 4), ("Gi", 1024 ** 3), ("Mi", 1024 ** 2), ("Ki", 1024)):
        if value >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + unit
    return f"{value:g}B"


def _stats(facts: Facts, namespace: str, claim: str) -> tuple[dict[str, float], str | None]:
    out: dict[str, float] = {}
    evidence = None
    for data, evidence_id in facts.metrics:
        for sample in data.get("samples") or []:
            labels = sample.get("labels") or {} if isinstance(sample, dict) else {}
            value = sample.get("value") if isinstance(sample, dict) else None
            name = str(labels.get("__name__") or "")
            if name in STATS and labels.get("persistentvolumeclaim") == claim and \
                    labels.get("namespace", namespace) == namespace and isinstance(value, (int, float)):
                out[STAT_KEYS[name.removeprefix("kubelet_volume_stats_")]] = float(value)
                evidence = evidence_id
    return out, evidence


def _claim(facts: Facts, namespace: str, name: str) -> tuple[dict[str, Any], str | None]:
    for obj, evidence_id in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "PersistentVolumeClaim" and meta.get("name") == name and \
                (meta.get("namespace") or namespace) == namespace:
            return obj, evidence_id
    return {}, None


def _is_full(stats: dict[str, float]) -> bool:
    capacity = stats.get("capacity")
    available = stats.get("available")
    if capacity and available is not None:
        return available <= 0.03 * capacity
    return bool(capacity and stats.get("used", 0) >= 0.97 * capacity)


def _inodes_free(stats: dict[str, float]) -> float | None:
    """The free inodes the gauges show: their own gauge, else the total less the used (None when unknown)."""
    total, free, used = stats.get("inodes"), stats.get("inodes_free"), stats.get("inodes_used")
    return total - used if free is None and total and used is not None else free


def out_of_inodes(stats: dict[str, float]) -> bool:
    """The volume has no inodes left while its bytes are not short: ENOSPC comes from the file count (many
    small files: a cache kept longer, smaller segments), and expanding bytes alone may not help."""
    total, free = stats.get("inodes"), _inodes_free(stats)
    if free is None or (total and free > 0.01 * total) or (not total and free > 0):
        return False
    capacity, available = stats.get("capacity"), stats.get("available")
    if available is None:
        return False  # bytes unknown: cannot tell inodes from bytes
    return available > (0.05 * capacity if capacity else 0)


def handles_exhausted(logs: list[LogEvidence]) -> str:
    """The writer's line saying it ran out of file handles or memory maps, or ""."""
    return next((ln for log in logs for ln in _lines(log) if HANDLES.search(ln)), "")


def _place(found: FullVolume, facts: Facts, pod_evidence: str) -> None:
    """Which claim holds the full storage (the one mounted where the line points, else the fullest), with
    its capacity and usage; without a claim, the node-local volumes its data is on."""
    claims = claims_of(found.pod)
    if not claims:
        found.local = local_data(found.pod)
        found.evidence.append(pod_evidence)
        return
    scored = []
    for name, mount in claims:
        stats, stats_id = _stats(facts, found.namespace, name)
        in_line = bool(mount) and mount.rstrip("/") in found.said.line
        scored.append((in_line, _is_full(stats), name, mount, stats, stats_id))
    in_line, _, name, mount, stats, stats_id = max(scored, key=lambda s: (s[0], s[1]))
    found.claim, found.mounted_at = Ref("PersistentVolumeClaim", found.namespace, name), mount
    obj, claim_id = _claim(facts, found.namespace, name)
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    size = str((status.get("capacity") or {}).get("storage") or ((spec.get("resources") or {}).get("requests")
                                                                 or {}).get("storage") or "")
    if not size and stats.get("capacity"):
        size = _bytes(stats["capacity"])
    found.capacity = size + (f", storageClass {spec['storageClassName']}" if spec.get("storageClassName") else "")
    if stats.get("capacity") and "available" in stats:
        used = 100 * (1 - stats["available"] / stats["capacity"])
        found.usage = (f"{_bytes(stats['available'])} of {_bytes(stats['capacity'])} available, {used:.0f}% used "
                       "(kubelet_volume_stats)")
    elif stats.get("capacity") and "used" in stats:
        found.usage = f"{_bytes(stats['used'])} of {_bytes(stats['capacity'])} used (kubelet_volume_stats)"
    if out_of_inodes(stats):
        found.inodes = (f"out of inodes ({_inodes_free(stats) or 0:.0f} free) while {_bytes(stats['available'])} "
                        "of bytes are still available (kubelet_volume_stats_inodes)")
    found.evidence += [e for e in (pod_evidence, claim_id, stats_id) if e]


def _engine(sign: Sign, pod: dict[str, Any]) -> str:
    if sign.engine:
        return sign.engine
    images = " ".join(str(c.get("image")) for c in (pod.get("spec") or {}).get("containers") or []).lower()
    name = str((pod.get("metadata") or {}).get("name") or "").lower()
    return next((e for e, words in ENGINE_WORDS.items() if any(len(w) >= 4 and (w in images or w in name)
                                                               for w in words)), "")


def fillings(facts: Facts) -> list[FullVolume]:
    """Each writer whose storage is full, from its own words (or its clients' refusals with a full volume
    shown by the gauges), with its claim and the clients failing because of it."""
    signs = [s for s in (sign_of(log) for log in facts.logs) if s is not None]
    if not signs:
        return []
    pods = pods_read(facts)
    ids = {(str((o.get("metadata") or {}).get("namespace") or ""), str((o.get("metadata") or {}).get("name"))): e
           for o, e in facts.objects if o.get("kind") == "Pod"}
    out: list[FullVolume] = []
    stores = {name for (_, name), pod in pods.items() if claims_of(pod) or local_data(pod)}
    for (namespace, name), pod in pods.items():
        if name not in stores:
            continue  # it keeps no data of its own: a client relaying the datastore's words
        own = [log for log in facts.logs if log.pod == name and (not log.namespace or log.namespace == namespace)]
        said = next((s for s in signs if s.log in own and s.full), None)
        if said is not None and not SPACE.search(said.line) and handles_exhausted(own) and \
                not any(SPACE.search(ln) for log in own for ln in _lines(log)):
            continue  # its data directories failed for want of file handles or maps, not of space
        if said is None:
            memory = next((m for m in (out_of_memory(log) for log in own) if m), "")
            refused = next((s for s in signs if s.log not in own and s.log.pod not in stores), None)
            if memory or refused is None:
                continue  # a failed fork for memory, not a full disk; or no word of storage at all
            said = refused
        found = FullVolume(pod, said, _engine(said, pod))
        _place(found, facts, ids.get((namespace, name), ""))
        if component_alarms.quota_alarm(said.line) and not component_alarms.disk_said(own) and (
                found.claim is None or not _is_full(_stats(facts, namespace, found.claim.name)[0])):
            continue  # a component's own quota (etcd NOSPACE) without the volume's evidence: triage.component_alarms
        if said.log not in own and (found.claim is None or not _is_full(_stats(facts, namespace, found.claim.name)[0])):
            continue  # a client's refusal alone, without the gauges showing this volume full
        found.victims = [s for s in signs if s.log not in own and s.log.pod not in stores]
        found.evidence = list(dict.fromkeys([said.log.evidence_id, *found.evidence,
                                             *(v.log.evidence_id for v in found.victims)]))
        out.append(found)
    return out


def _quote(sign: Sign, width: int) -> str:
    """The line from a little before its telling words, at most `width` characters."""
    line = " ".join(sign.line.split())
    start = 0 if len(line) <= width else line.rfind(" ", 0, max(0, sign.at - 20)) + 1
    text = line[start:]
    return ("..." if start else "") + (text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + "...")


def finding(found: FullVolume) -> tuple[Ref, dict[str, Any]]:
    """The full volume (or the node under node-local data) as a scan-shaped finding: what is full and how full
    first, then the datastore's words and its clients' (the ranking keeps about 400 characters)."""
    engine = found.engine or workload_of_pod(found.pod_name)
    workload = found.workload
    if found.claim is not None and found.inodes:
        what = f"{found.claim} ({found.capacity or 'size unknown'}) is {found.inodes}"
        holds = f"; it holds {engine}'s files ({workload}), so something multiplies small files"
        fix = ("Find the change that multiplies files (longer cache retention or inactive time, smaller segments "
               "or chunks, per-item files) and revert it; expanding the claim adds inodes only on some filesystems")
    elif found.claim is not None:
        what = f"{found.claim} ({found.capacity or 'size unknown'}) is full" + (f": {found.usage}" if found.usage
                                                                              else "")
        holds = f"; it holds {engine}'s data ({workload})"
        fix = "Free space or expand the claim (its StorageClass must allow expansion)"
    else:
        places = ", ".join(found.local) or "node-local volumes"
        what = f"Node {found.node or '?'}'s disk is full under {engine}'s data ({places})"
        holds = f"; {workload}, pod {found.pod_name}"
        fix = "Free space on the node or move the data to a PersistentVolumeClaim"
    quoted = _quote(found.said, 90)
    said = (f". {found.pod_name}'s logs say '{quoted}'" if found.said.log.pod == found.pod_name
            else f". Its clients are refused: '{quoted}'")
    clients = list(dict.fromkeys(workload_of_pod(v.log.pod) for v in found.victims if v is not found.said))
    victims = ""
    if clients:
        first = next(v for v in found.victims if workload_of_pod(v.log.pod) == clients[0])
        victims = f". Refused writes fail {', '.join(clients[:3])}: '{_quote(first, 80)}'"
    after = AFTERWARDS.get(found.engine, "")
    message = f"{what}{holds}{said}{victims}"
    for more in (fix, after):  # what to do, as far as the ~400 characters the ranking quotes allow
        if more and len(message) + len(more) + 2 <= MESSAGE_BUDGET:
            message += f". {more}" if more is fix else f"; {more}"
    details: dict[str, Any] = {"pod": found.pod_name, "workload": str(workload), "engine": found.engine,
                               "capacity": found.capacity, "usage": found.usage, "inodes": found.inodes,
                               "mounted_at": found.mounted_at,
                               "clients": clients, "node": found.node}
    ref = found.culprit
    return ref, {"check": CHECK, "severity": "critical",
                 "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                 "reason": "VolumeFull", "message": message,
                 "evidence": [quoted], "details": details}


def explained(found: FullVolume) -> list[Ref]:
    """What the full volume explains: the datastore's workload and pod, and the clients it refuses."""
    out = [found.workload, Ref("Pod", found.namespace, found.pod_name)]
    for victim in found.victims:
        name = workload_of_pod(victim.log.pod)
        out.append(Ref("", victim.log.namespace, name))
    return out
