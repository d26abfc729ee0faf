"""agent.triage.store_full: a caller's log of a store refusing at its own ceiling leads to the store and its limit.

Shapes: a Redis StatefulSet whose redis.conf ConfigMap was edited to `maxmemory 64mb` (redis-py's real refusal
`OOM command not allowed when used memory > 'maxmemory'.`), found through the topology's datastores; an
Elasticsearch StatefulSet whose env lowered `cluster.routing.allocation.disk.watermark.flood_stage` (the Java
client's `cluster_block_exception ... flood-stage watermark, index has read-only-allow-delete block`), found by its
image in the caller's namespace; a Memcached at its own `-m 64` with no change (`SERVER_ERROR out of memory storing
object`): the store named with its limit. Twins: a write to a ConfigMap of the store that sets no ceiling, refusals
that began before the write, PostgreSQL's relayed `could not extend file ... No space left on device` with no
change (the volume's: full_volume), and a caller's own `java.lang.OutOfMemoryError` (no read at all).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import store_full as sf
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.common.logfacts import extract as extract_log_facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 12, 14, 0, tzinfo=UTC)
REDIS = "redis.exceptions.ResponseError: OOM command not allowed when used memory > 'maxmemory'."
ES = ("co.elastic.clients.elasticsearch._types.ElasticsearchException: [es/index] failed: [cluster_block_exception] "
      "index [orders-2026.11] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has "
      "read-only-allow-delete block];")
MEMCACHED = "pymemcache.exceptions.MemcacheServerError: b'SERVER_ERROR out of memory storing object'"
POSTGRES = ('psycopg2.errors.DiskFull: could not extend file "base/16384/24576": No space left on device\n'
            "HINT:  Check free disk space.")
JAVA_OOM = "java.lang.OutOfMemoryError: Java heap space"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def caller(pod: str, ns: str, line: str, first: timedelta) -> LogEvidence:
    """The caller's log as the survey files it: the real log classifier's entry, first seen `first` ago."""
    facts = extract_log_facts([f"{iso(AT - first)} {line}"]).model_dump()
    errors = [e for e in facts["errors"] if isinstance(e, dict)]
    assert errors, line
    top = {**errors[0], "first_seen": iso(AT - first)}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[],
                       error_classes={str(e.get("error_class")) for e in errors}, previous=False)


def statefulset(name: str, ns: str, image: str, *, args: list[str] | None = None, env: dict[str, str] | None = None,
                configmap: str = "", storage: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": name, "image": image, "args": args or [],
                                            "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}]}
    if configmap:
        spec["volumes"] = [{"name": "conf", "configMap": {"name": configmap}}]
    out: dict[str, Any] = {"kind": "StatefulSet", "metadata": {"name": name, "namespace": ns},
                           "spec": {"template": {"spec": spec}}}
    if storage:
        out["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"},
                                                "spec": {"resources": {"requests": {"storage": storage}}}}]
    return out


def write(kind: str, ns: str, name: str, ago: timedelta, diff: list[str], by: str = "kubectl-edit") -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "config" if kind == "ConfigMap" else "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by {by}: " + "; ".join(diff), "diff": diff}


def redis_case(changes: list[dict[str, Any]], first: timedelta = timedelta(minutes=20)) -> tuple[Facts, RecordingHub]:
    topology = {"subject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
                "datastores": [{"service": {"kind": "Service", "namespace": "cache", "name": "redis"},
                                "engine": "Redis", "port": 6379, "configured": True, "why": "env REDIS_URL",
                                "workload": {"kind": "StatefulSet", "namespace": "cache", "name": "redis"}}]}
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", topologies=[(topology, "T1")],
                  logs=[caller("checkout-6c9d8f7b5-x2k4q", "shop", REDIS, first)])
    redis = statefulset("redis", "cache", "redis:7.2-alpine", args=["redis-server", "/etc/redis/redis.conf"],
                        configmap="redis-conf")
    redis["spec"]["template"]["spec"]["volumes"].append({"name": "extra", "configMap": {"name": "redis-labels"}})
    conf = {"kind": "ConfigMap", "metadata": {"name": "redis-conf", "namespace": "cache"},
            "data": {"redis.conf": "bind 0.0.0.0\nmaxmemory 64mb\nmaxmemory-policy noeviction\nappendonly no\n"}}
    labels = {"kind": "ConfigMap", "metadata": {"name": "redis-labels", "namespace": "cache"},
              "data": {"team": "payments"}}
    hub = RecordingHub(objects={("StatefulSet", "cache", "redis"): redis, ("ConfigMap", "cache", "redis-conf"): conf,
                                ("ConfigMap", "cache", "redis-labels"): labels})
    return facts, hub


def run(facts: Facts, hub: RecordingHub) -> list[tuple[Any, dict[str, Any], list[str], list[Any]]]:
    asyncio.run(sf.read(Subject(namespace="shop"), facts, hub, iso(AT)))
    return sf.suspects(facts)


def test_the_real_refusals_are_read_and_a_callers_own_oom_is_not() -> None:
    for line, engine in ((REDIS, "Redis"), (ES, "Elasticsearch"), (MEMCACHED, "Memcached"),
                         (POSTGRES, "PostgreSQL")):
        got = sf.refusal(line)
        assert got is not None and got.name == engine, line
    assert sf.refusal(JAVA_OOM) is None
    mem = sf.refusal("ERROR memory resource limit alarm set on node rabbit@mq-0. Publishers will be blocked")
    disk = sf.refusal("connection blocked: disk resource limit alarm set on node rabbit@mq-0")
    assert mem is not None and disk is not None and (mem.resource, disk.resource) == ("memory", "disk")
    assert caller("a-6c9d8f7b5-x2k4q", "shop", REDIS, timedelta(minutes=5)).error_classes == {"store_full"}


def test_redis_maxmemory_lowered_in_its_configmap_names_the_configmap_with_the_limit() -> None:
    facts, hub = redis_case([write("ConfigMap", "cache", "redis-conf", timedelta(minutes=45),
                                   ["data key redis.conf set by kubectl-edit"])])
    [(ref, finding, _, explains)] = run(facts, hub)
    assert (ref.kind, ref.namespace, ref.name) == ("ConfigMap", "cache", "redis-conf")
    head = finding["message"][:400]
    assert head.startswith("ConfigMap cache/redis-conf lowered Redis StatefulSet cache/redis's memory ceiling "
                           "(maxmemory 64mb")
    assert "refuses writes" in head and "OOM command not allowed" in head and explains[0].name == "checkout"


def test_a_configmap_that_sets_no_ceiling_or_a_write_after_the_refusals_leaves_the_store_at_its_limit() -> None:
    other = write("ConfigMap", "cache", "redis-labels", timedelta(minutes=45), ["data key team set by kubectl-edit"])
    facts, hub = redis_case([other])
    [(ref, finding, _, _)] = run(facts, hub)
    assert (ref.kind, ref.name, finding["check"]) == ("StatefulSet", "redis", sf.AT_LIMIT)
    assert finding["message"].startswith("Redis StatefulSet cache/redis is full at its own memory limit maxmemory 64mb")
    late = write("ConfigMap", "cache", "redis-conf", timedelta(minutes=10), ["data key redis.conf set by kubectl-edit"])
    facts, hub = redis_case([late], first=timedelta(minutes=30))
    [(ref, finding, _, _)] = run(facts, hub)
    assert (ref.kind, ref.name, finding["check"]) == ("StatefulSet", "redis", sf.AT_LIMIT)


def test_elasticsearch_flood_stage_lowered_in_env_found_by_image_names_the_statefulset() -> None:
    facts = Facts(at=AT, changes={"changes": [write(
        "StatefulSet", "search", "es", timedelta(hours=2),
        ["container es env cluster.routing.allocation.disk.watermark.flood_stage '95%' -> '70%'"], by="helm")]},
        changes_id="C1", logs=[caller("indexer-7d9f8c6b5-m4n8p", "search", ES, timedelta(minutes=50))])
    es = statefulset("es", "search", "docker.elastic.co/elasticsearch/elasticsearch:8.15.0",
                     env={"cluster.routing.allocation.disk.watermark.flood_stage": "70%"}, storage="50Gi")
    hub = RecordingHub(objects={("StatefulSet", "search", "es"): es},
                       lists={("Pod", "search"): [
                           {"name": "es-0", "namespace": "search",
                            "images": "docker.elastic.co/elasticsearch/elasticsearch:8.15.0"},
                           {"name": "indexer-7d9f8c6b5-m4n8p", "namespace": "search", "images": "indexer:3"}]})
    [(ref, finding, _, _)] = run(facts, hub)
    assert (ref.kind, ref.name, finding["check"]) == ("StatefulSet", "es", sf.CHECK)
    head = finding["message"][:400]
    assert "disk ceiling (cluster.routing.allocation.disk.watermark.flood_stage 70%" in head and "by helm" in head


def test_memcached_full_at_its_own_limit_with_no_change() -> None:
    facts = Facts(at=AT, changes={"changes": []}, changes_id="C1",
                  logs=[caller("web-7d9f8c6b5-m4n8p", "shop", MEMCACHED, timedelta(minutes=30))],
                  topologies=[({"dependencies": [{"target": {"kind": "Service", "namespace": "shop",
                                                             "name": "sessions"}}]}, "T1")])
    mc = statefulset("sessions", "shop", "memcached:1.6.29", args=["-m", "64", "-c", "1024"])
    hub = RecordingHub(objects={("StatefulSet", "shop", "sessions"): mc})
    [(ref, finding, _, _)] = run(facts, hub)
    assert (ref.name, finding["check"]) == ("sessions", sf.AT_LIMIT)
    assert "Memcached StatefulSet shop/sessions is full at its own memory limit -m 64" in finding["message"]


def test_postgres_disk_with_no_change_is_left_to_the_volume_and_a_java_oom_reads_nothing() -> None:
    facts = Facts(at=AT, changes={"changes": []}, changes_id="C1",
                  logs=[caller("orders-7d9f8c6b5-m4n8p", "shop", POSTGRES, timedelta(minutes=30))],
                  topologies=[({"datastores": [{"service": {"kind": "Service", "namespace": "shop", "name": "pg"},
                                                "engine": "PostgreSQL",
                                                "workload": {"kind": "StatefulSet", "namespace": "shop",
                                                             "name": "pg"}}]}, "T1")])
    pg = statefulset("pg", "shop", "postgres:16", storage="10Gi")
    assert run(facts, RecordingHub(objects={("StatefulSet", "shop", "pg"): pg})) == []
    assert sf.setting_in(sf.ENGINES[-1], pg, {}) == ("storage", "10Gi", "volumeClaimTemplate data")
    quiet = RecordingHub(objects={})
    oom = Facts(at=AT, logs=[caller("api-7d9f8c6b5-m4n8p", "shop", JAVA_OOM, timedelta(minutes=5))])
    assert run(oom, quiet) == [] and quiet.calls == []


def test_the_ranking_weighs_both_checks() -> None:
    """The change that lowered the ceiling above the store alone, which sits below change-based suspects (0.9+)."""
    from agent.triage.rank import cause_weight
    assert cause_weight({"check": sf.CHECK}) == sf.WEIGHT
    assert cause_weight({"check": sf.AT_LIMIT}) == sf.AT_LIMIT_WEIGHT < sf.WEIGHT
