"""Round 5 of the held-out incident set: twelve incidents written blind to Vigil's reasoning code.

Each function builds one incident on the corpus kit. Its docstring is the story (the answer); the
bundle's name, title and alert say only what the on-call saw. Every bundle has the shared
background, noise, exactly one red herring (a plausible, unrelated problem named in the key) and
secret canaries of its own. Log lines follow the formats the real software writes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

DAY = datetime(2026, 11, 24, tzinfo=UTC)
"""The round's incidents happen on different hours of one week, so their timelines never overlap."""


# ---- helpers -----------------------------------------------------------------------------------
def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def _managed(obj: dict[str, Any], manager: str, at: datetime, fields: dict[str, Any],
             operation: str = "Update") -> None:
    """The managedFields entry an edit leaves: often the only record of who changed what, and when."""
    obj["metadata"].setdefault("managedFields", []).append({
        "manager": manager, "operation": operation, "apiVersion": obj.get("apiVersion", "v1"),
        "time": ts(at), "fieldsType": "FieldsV1", "fieldsV1": fields})


def _crd(inc: Incident, group: str, kind: str, version: str, scope: str = "Namespaced") -> None:
    """The CustomResourceDefinition a custom resource needs to exist in a real cluster."""
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})


def _app(inc: Incident, ns: str, name: str, image: str, plans: list[P], at: datetime,
         cause: str = "helm upgrade", env: list[dict[str, Any]] | None = None, **rev: Any) -> Any:
    """A one-revision Deployment that has run for weeks (the incident is elsewhere, or in its spec)."""
    return inc.deployment(ns, name, [Rev(1, at, cause, [c(name, image, env=env or [])], **rev)], {1: plans})


def _log(make: Callable[[str, datetime, datetime], list[tuple[datetime, str]]]) -> Callable[..., str]:
    return lambda pod, start, end: L.lines(make(pod, start, end))


def _set_log(h: PodHistory, text: str) -> None:
    h.logs[h.containers[0].name] = text


def _herring_restart(inc: Incident, ns: str, workload: str, reason: str, msg: str, minutes: int) -> None:
    """An unrelated warning event on a background workload: a plausible suspect that did nothing."""
    pods = inc.pods_of(ns, workload)
    obj = inc.cluster.pod_object(pods[0])
    t = inc.at - timedelta(minutes=minutes)
    inc.event(obj, reason, msg, t, t + timedelta(minutes=3), count=4, host=pods[0].node)


# ---- 1. Redis: clients pinned to a demoted master ------------------------------------------------
def basket_writes_failing() -> Incident:
    """Sentinel failed the sessions Redis over to redis-node-1 after redis-node-0's host was drained;
    basket's ConfigMap pins REDIS_HOST to redis-node-0's pod DNS name instead of asking Sentinel, so
    basket still talks to node-0, now a read-only replica: every write gets "READONLY You can't write
    against a read only replica." Fix: point basket at Sentinel (master set `sessions`) or the master Service.
    """
    at = _at(0, 9, 12)
    inc = Incident("basket-writes-failing", title="basket API 5xx on add-to-cart", story="", at=at, seed=101,
                   namespaces=("cache", "storefront"))
    pw = inc.canary("password", "redis")
    inc.secret("cache", "redis-auth", {"redis-password": pw})
    cm = inc.configmap("storefront", "basket-config", {
        "REDIS_HOST": "redis-node-0.redis-headless.cache.svc.cluster.local", "REDIS_PORT": "6379",
        "REDIS_DB": "2", "BASKET_TTL_SECONDS": "604800"}, at=at - timedelta(days=30))
    _managed(cm, "helm", at - timedelta(days=30), {"f:data": {"f:REDIS_HOST": {}, "f:REDIS_PORT": {}}}, "Update")
    env = [{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "redis-password"}}}]

    def basket(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(t, L.js(t, "info", "request completed", req_id=L.uuidish(pod, i), method="GET",
                        url="/api/basket", statusCode=200, responseTime=6 + i % 9))
               for i, t in enumerate(L.every(start, at, 41))][-20:]
        for i, t in enumerate(L.every(at, end, 7)):
            out.append((t, L.js(t, "error", "failed to add item to basket", req_id=L.uuidish(pod, 900 + i),
                                err={"type": "ReplyError", "message": "READONLY You can't write against a read only "
                                     "replica.", "command": {"name": "hset", "args": ["basket:" + str(88100 + i)]}})))
        return out
    _app(inc, "storefront", "basket", f"{REGISTRY}/storefront/basket:3.2.0",
         [P(log=_log(basket)), P(log=_log(basket))], at - timedelta(days=12), env=env)
    inc.service("storefront", "basket", {"app": "basket"})
    redis = inc.statefulset("cache", "redis-node", [c("redis", "docker.io/bitnami/redis:7.2.5", port=6379)],
                            [P(), P(), P()], at - timedelta(days=20), service=6379)
    inc.service("cache", "redis-headless", {"app": "redis-node"}, port=6379, target=6379)
    node0, node1 = redis.pods[0], redis.pods[1]
    f = at - timedelta(minutes=3)
    _set_log(node0, L.lines([
        (f - timedelta(minutes=20), "1:M 24 Nov 2026 08:49:02.113 * Background saving terminated with success"),
        (f, "1:S 24 Nov 2026 09:09:03.551 * Before turning into a replica, using my own master parameters to "
            "synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."),
        (f, "1:S 24 Nov 2026 09:09:03.552 * Connecting to MASTER redis-node-1.redis-headless.cache.svc.cluster.local:6379"),
        (f + timedelta(seconds=1), "1:S 24 Nov 2026 09:09:04.020 * MASTER <-> REPLICA sync: Master accepted a "
                                   "Partial Resynchronization."),
        (f + timedelta(seconds=1), "1:S 24 Nov 2026 09:09:04.021 * REPLICAOF redis-node-1.redis-headless:6379 "
                                   "enabled (user request from 'id=31 addr=10.244.2.17:51236 laddr=:6379 "
                                   "fd=12 name=sentinel-7ac1f2e0-cmd')")]))
    _set_log(node1, L.lines([
        (f - timedelta(seconds=2), "1:C 24 Nov 2026 09:09:01.400 # +sdown master sessions "
                                   "redis-node-0.redis-headless.cache.svc.cluster.local 6379"),
        (f - timedelta(seconds=1), "1:C 24 Nov 2026 09:09:02.311 # +odown master sessions "
                                   "redis-node-0.redis-headless.cache.svc.cluster.local 6379 #quorum 2/2"),
        (f, "1:C 24 Nov 2026 09:09:03.012 # +switch-master sessions redis-node-0.redis-headless.cache.svc.cluster.local "
            "6379 redis-node-1.redis-headless.cache.svc.cluster.local 6379"),
        (f, "1:M 24 Nov 2026 09:09:03.013 * MASTER MODE enabled (user request from 'id=29 addr=10.244.3.9:40112')")]))
    drain = f - timedelta(minutes=2)
    inc.event(inc.cluster.pod_object(node0), "Killing", "Stopping container redis", drain, warning=False,
              host=node0.node)
    inc.series("redis_instance_info", "gauge", "Information about the Redis instance",
               {"namespace": "cache", "pod": node0.name, "role": "slave", "redis_version": "7.2.5"},
               lambda t: 1.0 if t >= f else None)
    inc.series("redis_instance_info", "gauge", "Information about the Redis instance",
               {"namespace": "cache", "pod": node0.name, "role": "master", "redis_version": "7.2.5"},
               lambda t: 1.0 if t < f else None)
    inc.series("redis_commands_rejected_calls_total", "counter", "Total number of errors within command execution",
               {"namespace": "cache", "pod": node0.name, "cmd": "hset"},
               lambda t: max(0.0, (t - at).total_seconds() / 3.5))
    _herring_restart(inc, "web", "recommendations", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 503", 6)
    inc.slo_burn("basket", "storefront", "basket-availability", "0.999", 31.0,
                 "basket 5xx ratio 0.41 over 5m (objective 99.9%)")
    inc.answer_key(culprit=("ConfigMap", "storefront", "basket-config"),
                   keywords=["READONLY", "replica", "Sentinel", "failover"],
                   root_cause="After a Sentinel failover basket-config still pins REDIS_HOST to redis-node-0, "
                              "now a read-only replica: writes fail with READONLY; connect through Sentinel.",
                   category="redis-client-pinned-to-demoted-master",
                   red_herrings=[("Deployment", "web", "recommendations")])
    return inc
ALL = [basket_writes_failing]
