"""A limit set inside a ConfigMap value explains the error its dependency's clients log.

The objects are shaped as the API server stores them (apps/v1 workloads with owner references,
a Service selecting the dependency's pods, a ConfigMap mounted as a volume or read through env);
the configuration files use each program's documented syntax (redis.conf `directive value`,
postgresql.conf `name = value`, nginx `directive value;`, Spring `application.yaml`, JSON). The
log lines are the servers' own wordings as their clients print them. The topology is built by
the real `build_topology` over those objects and ranked by the real triage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.incident import from_text
from agent.triage import rank, runbook_for, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.settings import bounding, parse_settings
from mcp_servers.kubernetes.topology import build_topology
from tests.triage.test_rank import logs

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NS = "identity"


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "uid": f"uid-{name}", **extra}


def workload(kind: str, name: str, template: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": _meta(name),
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": template}}}


def pod(name: str, app: str, kind: str, owner: str, template: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(name, labels={"app": app},
                              ownerReferences=[{"kind": kind, "name": owner, "controller": True}]),
            "spec": {**template, "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": "10.244.1.9",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0}]}}


def objects(db: str, config_key: str, config: str, client_env: dict[str, str], port: int) -> dict[str, Any]:
    """A client Deployment `login` calling Service `db`, whose StatefulSet mounts ConfigMap `db-config`."""
    client = {"containers": [{"name": "c", "image": "app:1",
                              "env": [{"name": k, "value": v} for k, v in client_env.items()]}]}
    server = {"containers": [{"name": "c", "image": "db:1"}],
              "volumes": [{"name": "config", "configMap": {"name": f"{db}-config"}}]}
    return {
        "Deployment": [workload("Deployment", "login", client)],
        "StatefulSet": [workload("StatefulSet", db, server)],
        "ReplicaSet": [{"kind": "ReplicaSet", "metadata": _meta("login-5d9f", ownerReferences=[
            {"kind": "Deployment", "name": "login", "controller": True}])}],
        "Pod": [pod("login-5d9f-abcde", "login", "ReplicaSet", "login-5d9f", client),
                pod(f"{db}-0", db, "StatefulSet", db, server)],
        "Service": [{"kind": "Service", "metadata": _meta(db), "spec": {"selector": {"app": db},
                                                                         "clusterIP": "10.96.0.9",
                                                                         "ports": [{"port": port}]}}],
        "ConfigMap": [{"kind": "ConfigMap", "metadata": _meta(f"{db}-config"), "data": {config_key: config}}],
        "Node": [{"kind": "Node", "metadata": {"name": "node-1"}, "status": {}}],
    }


REDIS_CONF = ("bind 0.0.0.0\nport 6379\nrequirepass s3cr3t-canary\nmaxmemory 1gb\nmaxmemory-policy noeviction\n"
              "appendonly no\n")
PG_CONF = "listen_addresses = '*'\nmax_connections = 20  # small on purpose\nshared_buffers = 128MB\n"


def facts_for(objs: dict[str, Any], line: str, error_class: str) -> Facts:
    topo = build_topology(objs, "login", NS)
    return Facts(at=AT, topologies=[(topo.model_dump(mode="json"), "E3")],
                 logs=[logs("login-5d9f-abcde", NS, error_class, line)])


def test_the_topology_lists_the_dependencys_limits_and_never_other_lines() -> None:
    objs = objects("sessions-redis", "redis.conf", REDIS_CONF,
                   {"REDIS_URL": "redis://sessions-redis.identity.svc:6379/0"}, 6379)
    topo = build_topology(objs, "login", NS)
    found = {(s.setting, s.value, s.resource, s.configmap.name, s.file, s.workload.name) for s in topo.settings}
    assert found == {("maxmemory", "1gb", "memory", "sessions-redis-config", "redis.conf", "sessions-redis"),
                     ("maxmemory-policy", "noeviction", "memory", "sessions-redis-config", "redis.conf",
                      "sessions-redis")}
    assert "s3cr3t-canary" not in topo.model_dump_json()


@pytest.mark.parametrize(("db", "key", "config", "env", "port", "line", "cls", "words"), [
    ("sessions-redis", "redis.conf", REDIS_CONF, {"REDIS_URL": "redis://sessions-redis.identity.svc:6379/0"}, 6379,
     "ReplyError: OOM command not allowed when used memory > 'maxmemory'.", "oom", ("maxmemory 1gb", "noeviction")),
    ("users-db", "postgresql.conf", PG_CONF, {"DATABASE_URL": "postgres://users-db.identity.svc:5432/users"}, 5432,
     'error: connection failed: FATAL: sorry, too many clients already (SQLSTATE 53300)', "db_error",
     ("max_connections 20",)),
    ("users-db", "application.yaml", "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 4\n",
     {"DB_HOST": "users-db.identity.svc"}, 5432,
     "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out "
     "after 30000ms.", "connection_timeout", ("maximum-pool-size 4",)),
])
def test_a_reached_limit_outranks_the_client_that_logs_it(db: str, key: str, config: str, env: dict[str, str],
                                                          port: int, line: str, cls: str,
                                                          words: tuple[str, ...]) -> None:
    objs = objects(db, key, config, env, port)
    if key == "application.yaml":  # the client's own settings: its pool is the limit
        objs["Deployment"][0]["spec"]["template"]["spec"]["volumes"] = [
            {"name": "config", "configMap": {"name": f"{db}-config"}}]
    [top, *_] = rank(subject_of(from_text("login returns 500 in namespace identity")), facts_for(objs, line, cls))
    assert top.check == "config.limit" and str(top.ref) == f"ConfigMap identity/{db}-config"
    assert all(w in top.cause for w in words) and key in top.cause
    assert runbook_for(top) == "generic-triage"


def test_a_timeout_elsewhere_does_not_blame_a_generic_timeout_setting() -> None:
    conf = '{"cache": {"ttlSeconds": 60}, "client": {"requestTimeout": "2500ms"}}'
    objs = objects("users-db", "settings.json", conf, {"DB_HOST": "users-db.identity.svc"}, 5432)
    line = "dial tcp 10.96.0.9:5432: i/o timeout"
    assert [c for c in rank(subject_of(from_text("login returns 500 in namespace identity")),
                            facts_for(objs, line, "connection_timeout")) if c.check == "config.limit"] == []
    # The same setting whose value the error prints is a (weaker) suspect.
    hit = rank(subject_of(from_text("login returns 500 in namespace identity")),
               facts_for(objs, "request to users-db timed out after 2500ms", "connection_timeout"))
    assert any(c.check == "config.limit" and "requestTimeout 2500ms" in c.cause for c in hit)


def test_config_files_of_each_shape_are_read_and_only_limits_kept() -> None:
    assert parse_settings("a:\n  b:\n    c: 1\n  d: two  # note\n") == [("a.b.c", "1"), ("a.d", "two")]
    nginx = "http {\n  client_max_body_size 1m;\n  server { location / { proxy_read_timeout 5s; } }\n}\n"
    assert {(b.key, b.resource) for b in bounding(nginx)} == {
        ("client_max_body_size", "size"), ("proxy_read_timeout", "timeout")}
    mycnf = "[mysqld]\nmax_connections = 151\nmax_allowed_packet=16M\npassword = hunter2\n"
    assert [(b.key, b.value) for b in bounding(mycnf)] == [("max_connections", "151"), ("max_allowed_packet", "16M")]
    assert "mysql" in bounding(mycnf)[0].software and "postgresql" in bounding(mycnf)[0].software
    props = "spring.datasource.hikari.maximum-pool-size=10\nspring.datasource.url=jdbc:postgresql://db/x\n"
    assert [b.key for b in bounding(props)] == ["spring.datasource.hikari.maximum-pool-size"]
    assert [(b.key, b.resource) for b in bounding('{"db": {"pool": {"maxSize": 5}}, "name": "x"}')] == [
        ("db.pool.maxSize", "connections")]
