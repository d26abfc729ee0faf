"""A bound made smaller on the subject's path, fitted to the symptom (agent.triage.tightened).

Custom resources and HPAs are hand-written in the API server's own shape (managedFields, last-applied
configuration) and read through the real change timeline (mcp_servers.kubernetes.changes.timeline); rollout
and ConfigMap diffs are the timeline's own line format (reads.template_diff, the last-applied data diff).
Error texts are the real wording of the NATS Go client ("nats: maximum bytes exceeded"), pgjdbc/PostgreSQL
(28P01 "password authentication failed", "sorry, too many clients already"), the HotSpot JVM ("Java heap
space") and Go's context package ("context deadline exceeded"). Each source kind has two shapes and negative
twins: the bound raised, a tightened bound unrelated to the subject, and one with no fitting symptom.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import tightened
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.kubernetes.changes import timeline

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _obj(kind: str, api: str, name: str, ns: str, spec: dict[str, Any], fields: dict[str, Any], minutes: int,
         applied: dict[str, Any] | None = None, manager: str = "kustomize-controller") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z",
                            "generation": 4, "managedFields": [{
                                "manager": manager, "operation": "Apply", "apiVersion": api, "time": _stamp(minutes),
                                "fieldsType": "FieldsV1", "fieldsV1": fields}]}
    if applied is not None:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def _timeline(*objs: dict[str, Any]) -> list[dict[str, Any]]:
    objects: dict[str, list[dict[str, Any]]] = {}
    for o in objs:
        objects.setdefault(o["kind"], []).append(o)
    return [c.model_dump() for c in timeline(objects, AT - timedelta(hours=24), AT)]


def _topology(name: str, ns: str, deps: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": ns, "name": name},
            "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}],
            "services": [{"kind": "Service", "namespace": ns, "name": name}],
            "dependencies": [{"target": {"kind": k, "namespace": n, "name": d}} for k, n, d in deps]}


def _log(pod: str, ns: str, message: str, hosts: list[str] | None = None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"template": message, "message": message},
                       hosts=hosts or [], error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], topology: dict[str, Any], logs: list[LogEvidence],
           reads: dict[str, Any] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", topologies=[(topology, "E3")], logs=logs,
                 reads={tightened.READS: reads} if reads else {})


# ---- values, flags, defaults ---------------------------------------------------------------------------

def test_units_and_flags_are_read_as_the_servers_read_them() -> None:
    assert tightened.magnitude("768h", "time") == 768 * 3600
    assert tightened.magnitude("1h30m", "time") == 5400
    assert tightened.magnitude("500ms", "time") == 0.5
    assert tightened.magnitude("20Gi", "size") == 20 * 2 ** 30
    assert tightened.magnitude("64M", "size") == 64e6
    assert tightened.magnitude("-1", "size") == tightened.UNLIMITED
    assert tightened.flags(["memcached", "-m", "4096", "--conn-limit=512", "-Xmx2g", "-c", "max_connections=50"]) == {
        "-m": "4096", "--conn-limit": "512", "-Xmx": "2g", "max_connections": "50"}


def test_a_dropped_flag_takes_the_documented_default_and_a_raised_one_is_no_tightening() -> None:
    dropped = tightened.flag_bounds(["memcached", "-m", "4096", "-c", "4096"], ["memcached", "-c", "4096"],
                                    "memcached")
    assert [b.text() for b in dropped] == ["-m 4096 -> dropped (dropped, default 64 MB)"]
    assert tightened.flag_bounds(["memcached", "-m", "64"], ["memcached", "-m", "4096"], "memcached") == []
    # a dropped flag whose default nobody documented here says nothing
    assert tightened.flag_bounds(["myd", "--queue-depth", "500"], ["myd"], "myd") == []


# ---- custom resource spec fields -------------------------------------------------------------------------

STREAM_SPEC = {"name": "ORDERS", "subjects": ["orders.>"], "maxBytes": 1073741824, "discard": "new"}


def _stream(new: int, old: int, ns: str = "nats") -> dict[str, Any]:
    return _obj("Stream", "jetstream.nats.io/v1beta2", "order-events", ns, {**STREAM_SPEC, "maxBytes": new},
                {"f:spec": {"f:maxBytes": {}, "f:discard": {}}}, 40,
                applied={"spec": {**STREAM_SPEC, "maxBytes": old}})


def test_a_stream_cut_that_its_publisher_hits_outranks_the_publisher() -> None:
    facts = _facts(_timeline(_stream(2 ** 30, 20 * 2 ** 30)), _topology("order-publisher", "shop"),
                   [_log("order-publisher-7d9f-abcde", "shop", "publish failed: nats: maximum bytes exceeded")])
    [t] = tightened.found(facts)
    f = tightened.finding(t)
    assert t.target.name == "order-events" and t.bounds[0].name == "spec.maxBytes"
    assert "21474836480 -> 1073741824 (1 GiB)" in f["message"] and "maximum bytes exceeded" in f["message"]
    assert "spec.discard" in f["message"] and f["check"] == tightened.CHECK
    assert "order-publisher-7d9f-abcde" in f["message"]


def test_stream_negative_twins_raised_unrelated_or_not_hit() -> None:
    hit = [_log("order-publisher-7d9f-abcde", "shop", "publish failed: nats: maximum bytes exceeded")]
    raised = _facts(_timeline(_stream(20 * 2 ** 30, 2 ** 30)), _topology("order-publisher", "shop"), hit)
    assert tightened.found(raised) == []
    elsewhere = _facts(_timeline(_stream(2 ** 30, 20 * 2 ** 30, ns="analytics")), _topology("order-publisher", "shop"),
                       [_log("order-publisher-7d9f-abcde", "shop", "publish failed: maximum bytes exceeded")])
    assert tightened.found(elsewhere) == []  # neither the stream nor its namespace is on the publisher's path
    refused = _facts(_timeline(_stream(2 ** 30, 20 * 2 ** 30)), _topology("order-publisher", "shop"),
                     [_log("order-publisher-7d9f-abcde", "shop", "nats: no servers available for connection")])
    assert tightened.found(refused) == []


def _role(new: str, old: str | None) -> dict[str, Any]:
    spec = {"path": "database", "dBName": "billing-pg", "maxTTL": new, "defaultTTL": new}
    return _obj("DatabaseSecretEngineRole", "redhatcop.redhat.io/v1alpha1", "billing-rw", "vault", spec,
                {"f:spec": {"f:maxTTL": {}, "f:defaultTTL": {}}}, 55, manager="kubectl-client-side-apply",
                applied=None if old is None else {"spec": {**spec, "maxTTL": old, "defaultTTL": old}})


AUTH = ("org.postgresql.util.PSQLException: FATAL: password authentication failed for user "
        "\"v-kubernetes-billing-r-8Hq2\"")


def test_a_credential_lifetime_cut_named_in_the_pod_explains_authentication_failures() -> None:
    pod = {"pod_words": ["database/creds/billing-rw", "true"]}
    for role in (_role("1h", "768h"), _role("1h", None)):  # old value recorded, or only the default is known
        facts = _facts(_timeline(role), _topology("billing-api", "billing"),
                       [_log("billing-api-5c8d-xk2lp", "billing", AUTH, ["billing-pg.db.svc.cluster.local:5432"])],
                       pod)
        [t] = tightened.found(facts)
        message = tightened.finding(t)["message"]
        assert "spec.maxTTL" in message and "revoked" in message and "password authentication failed" in message
    assert "768h -> 1h" in tightened.finding(tightened.found(_facts(
        _timeline(_role("1h", "768h")), _topology("billing-api", "billing"),
        [_log("billing-api-5c8d-xk2lp", "billing", AUTH)], pod))[0])["message"]


def test_credential_negative_twins() -> None:
    pod = {"pod_words": ["database/creds/billing-rw"]}
    auth = [_log("billing-api-5c8d-xk2lp", "billing", AUTH)]
    assert tightened.found(_facts(_timeline(_role("768h", "1h")), _topology("billing-api", "billing"), auth, pod)) == []
    other_pod = {"pod_words": ["database/creds/reports-ro"]}
    assert tightened.found(_facts(_timeline(_role("1h", "768h")), _topology("billing-api", "billing"), auth,
                                  other_pod)) == []
    slow = [_log("billing-api-5c8d-xk2lp", "billing", "HikariPool-1 - Connection is not available, request timed out")]
    assert tightened.found(_facts(_timeline(_role("1h", "768h")), _topology("billing-api", "billing"), slow,
                                  pod)) == []


# ---- container args flags ------------------------------------------------------------------------------

def _rollout(ns: str, name: str, line: str, minutes: int = 200) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 5: {line}", "diff": [line], "related": []}


MEMCACHED = "memcached args ['memcached', '-m', '4096', '-c', '4096'] -> ['memcached', '-c', '4096']"


def test_a_dropped_memory_flag_with_its_own_evictions_rising_is_found_without_an_error() -> None:
    series = {"series": [{"object": "Deployment cache/memcached", "evidence": "E18",
                          "text": "memcached_items_evicted_total rate 310 -> 1.45e+03 at 19:09"}]}
    facts = _facts([_rollout("cache", "memcached", MEMCACHED)], _topology("catalog-web", "catalog"),
                   [_log("catalog-web-6f7c-q2w3e", "catalog", "Completed 200 OK in 2900ms")], series)
    [t] = tightened.found(facts)
    message = tightened.finding(t)["message"]
    assert "-m 4096 -> dropped (dropped, default 64 MB)" in message and "hit ratio" in message
    assert "evicted" in message and "E18" in t.evidence
    assert tightened.found(_facts([_rollout("cache", "memcached", MEMCACHED)], _topology("catalog-web", "catalog"),
                                  [], None)) == []  # nothing shows the smaller cache being hit
    raised = "memcached args ['memcached', '-m', '64'] -> ['memcached', '-m', '4096']"
    assert tightened.found(_facts([_rollout("cache", "memcached", raised)], _topology("catalog-web", "catalog"), [],
                                  series)) == []


PG = "postgres args ['postgres', '-c', 'max_connections=200'] -> ['postgres', '-c', 'max_connections=20']"


def test_a_lowered_server_flag_of_a_dependency_explains_its_clients_refusals() -> None:
    too_many = _log("orders-api-5d6f-zx9cv", "orders", "FATAL: sorry, too many clients already",
                    ["orders-pg.db.svc.cluster.local:5432"])
    facts = _facts([_rollout("db", "orders-pg", PG, 90)], _topology("orders-api", "orders"), [too_many])
    [t] = tightened.found(facts)
    assert "max_connections 200 -> 20" in tightened.finding(t)["message"]
    unrelated = _facts([_rollout("db", "reports-pg", PG, 90)], _topology("orders-api", "orders"),
                       [_log("orders-api-5d6f-zx9cv", "orders", "FATAL: sorry, too many clients already")])
    assert tightened.found(unrelated) == []
    raised = PG.replace("200", "X").replace("=20'", "=400'").replace("X", "200")
    assert tightened.found(_facts([_rollout("db", "orders-pg", raised, 90)], _topology("orders-api", "orders"),
                                  [too_many])) == []


# ---- env values and config leaves ----------------------------------------------------------------------

JAVA = ("risk-engine env JAVA_TOOL_OPTIONS='-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC' -> "
        "JAVA_TOOL_OPTIONS='-XX:MaxRAMPercentage=25.0 -XX:+UseG1GC'")


def test_an_env_flag_lowered_explains_the_jvm_heap_running_out() -> None:
    heap = _log("risk-engine-7b8c-p0o9i", "risk", "Terminating due to java.lang.OutOfMemoryError: Java heap space")
    [t] = tightened.found(_facts([_rollout("risk", "risk-engine", JAVA, 50)], _topology("risk-engine", "risk"), [heap]))
    assert "-XX:MaxRAMPercentage 75.0 -> 25.0" in tightened.finding(t)["message"]
    timeouts = _log("risk-engine-7b8c-p0o9i", "risk", "upstream request failed: 503 Service Unavailable")
    assert tightened.found(_facts([_rollout("risk", "risk-engine", JAVA, 50)], _topology("risk-engine", "risk"),
                                  [timeouts])) == []


def test_a_config_leaf_timeout_cut_explains_deadline_errors() -> None:
    line = ("data key config.yaml 'server:\\n  port: 8080\\n  upstream_timeout: 30s\\n' -> "
            "'server:\\n  port: 8080\\n  upstream_timeout: 2s\\n' (outside kubectl apply)")
    change = {"at": _stamp(30), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "edge", "name": "gateway"},
              "summary": "ConfigMap edge/gateway updated", "diff": [line], "related": []}
    deadline = _log("gateway-6c7d-a1s2d", "edge", "proxy: call to search failed: context deadline exceeded")
    [t] = tightened.found(_facts([change], _topology("gateway", "edge"), [deadline]))
    assert "server.upstream_timeout 30s -> 2s" in tightened.finding(t)["message"]
    raised = {**change, "diff": [line.replace("30s", "T").replace("2s", "30s").replace("T", "2s")]}
    assert tightened.found(_facts([raised], _topology("gateway", "edge"), [deadline])) == []


# ---- HPA behavior --------------------------------------------------------------------------------------

def _hpa(window: int, minutes: int = 17 * 60) -> dict[str, Any]:
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "search-api"}, "minReplicas": 3, "maxReplicas": 12,
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": window}}}
    return _obj("HorizontalPodAutoscaler", "autoscaling/v2", "search-api", "search", spec,
                {"f:spec": {"f:behavior": {"f:scaleDown": {"f:stabilizationWindowSeconds": {}}}}}, minutes,
                manager="kubectl-patch")


def _rescale(size: int, minutes: int) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "scale", "object": {"kind": "Deployment", "namespace": "search",
                                                               "name": "search-api"},
            "summary": f"Deployment search/search-api rescaled by HPA search-api: New size: {size}; reason: x",
            "diff": [], "related": [{"kind": "HorizontalPodAutoscaler", "namespace": "search", "name": "search-api"}]}


def test_a_scale_down_window_removed_explains_flapping_replicas() -> None:
    flaps = [_rescale(9, 12), _rescale(3, 8), _rescale(9, 4)]
    facts = _facts([*_timeline(_hpa(0)), *flaps], _topology("search-api", "search"), [])
    [t] = tightened.found(facts)
    message = tightened.finding(t)["message"]
    assert "stabilizationWindowSeconds set to 0" in message and "default 300" in message
    assert "flapping 9 -> 3 -> 9" in message and "scale down" in message
    assert tightened.found(_facts([*_timeline(_hpa(600)), *flaps], _topology("search-api", "search"), [])) == []
    assert tightened.found(_facts([*_timeline(_hpa(0)), _rescale(9, 12)], _topology("search-api", "search"),
                                  [])) == []  # one rescale is no flapping


def test_the_scaling_window_written_a_day_ago_is_too_old() -> None:
    facts = _facts([*_timeline(_hpa(0, minutes=23 * 60))], _topology("search-api", "search"), [])
    facts.changes = {"changes": [c for c in facts.change_list()] + [_rescale(9, 12), _rescale(3, 8)]}
    assert len(tightened.found(facts)) == 1
    old = Facts(at=AT + timedelta(hours=2), changes=facts.changes, changes_id="E2", topologies=facts.topologies)
    assert tightened.found(old) == []
