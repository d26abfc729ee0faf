"""Round 5 of the held-out incident set: twelve incidents written blind to Vigil's reasoning code.

Each function builds one incident on the corpus kit. Its docstring is the story (the answer); the
bundle's name, title and alert say only what the on-call saw. Every bundle has the shared
background, noise, exactly one red herring (a plausible, unrelated problem named in the key) and
secret canaries of its own. Log lines follow the formats the real software writes.
"""

from __future__ import annotations

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
    lower = kind.lower()
    plural = lower[:-1] + "ies" if lower.endswith("y") else lower + ("es" if lower.endswith("s") else "s")
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
    msg = msg.replace("{pod}", f"{pods[0].name}_{ns}({obj['metadata']['uid']})")
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
            "synthesize a cached master: I may be able to synchronize with the new master with just a partial "
            "transfer."),
        (f, "1:S 24 Nov 2026 09:09:03.552 * Connecting to MASTER "
            "redis-node-1.redis-headless.cache.svc.cluster.local:6379"),
        (f + timedelta(seconds=1), "1:S 24 Nov 2026 09:09:04.020 * MASTER <-> REPLICA sync: Master accepted a "
                                   "Partial Resynchronization."),
        (f + timedelta(seconds=1), "1:S 24 Nov 2026 09:09:04.021 * REPLICAOF redis-node-1.redis-headless:6379 "
                                   "enabled (user request from 'id=31 addr=10.244.2.17:51236 laddr=:6379 "
                                   "fd=12 name=sentinel-7ac1f2e0-cmd')")]))
    _set_log(node1, L.lines([
        (f - timedelta(seconds=2), "1:X 24 Nov 2026 09:09:01.400 # +sdown master sessions "
                                   "redis-node-0.redis-headless.cache.svc.cluster.local 6379"),
        (f - timedelta(seconds=1), "1:X 24 Nov 2026 09:09:02.311 # +odown master sessions "
                                   "redis-node-0.redis-headless.cache.svc.cluster.local 6379 #quorum 2/2"),
        (f, "1:X 24 Nov 2026 09:09:03.012 # +switch-master sessions "
            "redis-node-0.redis-headless.cache.svc.cluster.local 6379 "
            "redis-node-1.redis-headless.cache.svc.cluster.local 6379"),
        (f, "1:M 24 Nov 2026 09:09:03.013 * MASTER MODE enabled (user request from "
            "'id=29 addr=10.244.3.9:40112')")]))
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


# ---- 2. CoreDNS: a stub domain forwarded to a resolver that no longer answers ------------------------
def sso_login_question() -> Incident:
    """A platform change adds a `corp.acme.internal:53` server block to CoreDNS's Corefile forwarding to
    10.40.0.53, the old data-centre resolver, decommissioned last month. Every lookup under
    corp.acme.internal now times out (CoreDNS logs `i/o timeout` to 10.40.0.53:53), so auth-api's LDAP
    bind to ldap.corp.acme.internal fails and SSO logins break. Fix: forward the stub domain to the new
    resolvers (10.42.0.2) in the coredns ConfigMap.
    """
    at = _at(0, 14, 5)
    inc = Incident("sso-login-question", title="auth-api: SSO logins failing?", story="", at=at, seed=102)
    cm = inc.find("ConfigMap", "kube-system", "coredns") if _has(inc, "ConfigMap", "kube-system", "coredns") \
        else inc.configmap("kube-system", "coredns", {}, at=inc.born)
    cm["data"] = {"Corefile": (
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
        "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n"
        "      fallthrough in-addr.arpa ip6.arpa\n"
        "    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n"
        "    loadbalance\n}\ncorp.acme.internal:53 {\n    errors\n    cache 30\n    forward . 10.40.0.53\n}\n")}
    edit = at - timedelta(minutes=22)
    _managed(cm, "kubectl-edit", edit, {"f:data": {"f:Corefile": {}}})
    cm["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": ""}
    bind_pw = inc.canary("password", "ldap-bind")
    inc.secret("auth", "auth-api-ldap", {"LDAP_BIND_PASSWORD": bind_pw, "LDAP_BIND_DN":
                                         "cn=svc-auth,ou=services,dc=corp,dc=acme,dc=internal"})
    for h in inc.pods_of("kube-system", "coredns"):
        ip = inc.cluster.pod_ip(h)
        rows = [(edit + timedelta(seconds=31), "[INFO] Reloading"),
                (edit + timedelta(seconds=31), "[INFO] plugin/reload: Running configuration SHA512 = "
                                               "4c1e7d0b5f2a9e6c0c3f1d8b7a6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e"),
                (edit + timedelta(seconds=32), "[INFO] Reloading complete")]
        rows += [(t, f"[ERROR] plugin/errors: 2 ldap.corp.acme.internal. {'A' if i % 2 else 'AAAA'}: read udp "
                     f"{ip}:{40000 + i * 37 % 9000}->10.40.0.53:53: i/o timeout")
                 for i, t in enumerate(L.every(at - timedelta(minutes=20), inc.captured, 23))]
        _set_log(h, L.lines(rows))
    for h in inc.pods_of("auth", "auth-api"):
        _set_log(h, L.lines(
            [(t, L.logfmt(t, "error", "ldap bind failed", user="u" + str(1200 + i), err=(
                "LDAP Result Code 200 \"Network Error\": dial tcp: lookup ldap.corp.acme.internal on "
                "172.20.0.10:53: read udp " + inc.cluster.pod_ip(h) + ":53514->172.20.0.10:53: i/o timeout")))
             for i, t in enumerate(L.every(at - timedelta(minutes=19), inc.captured, 47))]))
    inc.series("coredns_forward_request_duration_seconds_count", "counter", "Histogram of the time each request took.",
               {"namespace": "kube-system", "to": "10.40.0.53:53", "rcode": ""},
               lambda t: max(0.0, (t - edit).total_seconds() * 1.7))
    inc.series("coredns_forward_healthcheck_failures_total", "counter", "Counter of the number of failed healthchecks.",
               {"namespace": "kube-system", "to": "10.40.0.53:53"},
               lambda t: max(0.0, (t - edit).total_seconds() / 0.5))
    _herring_restart(inc, "monitoring", "grafana", "BackOff",
                     "Back-off restarting failed container grafana-sc-dashboard in pod {pod}", 40)
    inc.ask("Users say they can't log in with SSO since about 14:00, auth-api just says login failed. What broke?")
    inc.answer_key(culprit=("ConfigMap", "kube-system", "coredns"),
                   keywords=["Corefile", "forward", "10.40.0.53", "timeout"],
                   root_cause="A Corefile edit forwards corp.acme.internal to 10.40.0.53, a decommissioned "
                              "resolver: LDAP lookups time out (i/o timeout), so auth-api cannot bind.",
                   category="coredns-stub-domain-dead-resolver",
                   red_herrings=[("Deployment", "monitoring", "grafana")])
    return inc


def _has(inc: Incident, kind: str, ns: str, name: str) -> bool:
    try:
        inc.find(kind, ns, name)
    except KeyError:
        return False
    return True


def _evicted_from_lost_node(gone: datetime) -> Callable[[dict[str, Any]], None]:
    """A pod of an unreachable node after the taint-eviction controller deleted it: Terminating forever,
    because the kubelet that would confirm the deletion cannot reach the API server."""
    def patch(pod: dict[str, Any]) -> None:
        pod["metadata"]["deletionTimestamp"] = ts(gone)
        pod["metadata"]["deletionGracePeriodSeconds"] = 30
        for cond in pod["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "lastTransitionTime": ts(gone - timedelta(minutes=5))})
        pod["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                            "reason": "DeletionByTaintManager",
                                            "message": "Taint manager: deleting due to NoExecute taint",
                                            "lastProbeTime": None, "lastTransitionTime": ts(gone)})
        for cs in pod["status"].get("containerStatuses", []):
            cs["ready"] = False
    return patch


# ---- 3. a node whose kubelet client certificate expired ---------------------------------------------
def node_not_ready_group() -> Incident:
    """ip-10-0-3-22 was built by hand last year from a custom AMI whose kubelet config has
    rotateCertificates: false. Its one-year kubelet client certificate expires at 03:24; from that second
    the kubelet cannot authenticate to the API server ("x509: certificate has expired or is not yet
    valid"), stops posting status, and the node goes NotReady/unreachable; its pods are evicted by the
    taint manager and hang in Terminating while replacements start elsewhere. The evidence is the node's
    condition and the kubelet's own certificate TTL metric reaching zero at that moment. Fix: a new
    client certificate (re-bootstrap the kubelet) and rotation enabled, or replace the node.
    """
    at = _at(1, 3, 40)
    inc = Incident("node-not-ready-group", title="NotReady node and unavailable pods", story="", at=at, seed=103,
                   minutes_after=14)
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"].startswith("ip-10-0-3-22"))
    name = node["metadata"]["name"]
    expiry = at - timedelta(minutes=16)
    lost = expiry + timedelta(seconds=40)
    for cond in node["status"]["conditions"]:
        cond.update({"status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node "
                     "status.", "lastTransitionTime": ts(lost), "lastHeartbeatTime": ts(expiry - timedelta(seconds=8))})
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ts(lost)},
                              {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ts(lost)}]
    inc.event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", lost, component="node-controller")
    gone = lost + timedelta(seconds=300)
    for h in [h for h in inc.cluster.pods if h.node == name]:
        h.ready = lambda t: False
        inc.cluster.patch(h.namespace, h.name, _evicted_from_lost_node(gone))
        if h.owner and h.owner["kind"] == "ReplicaSet":
            inc.event(inc.cluster.pod_object(h), "TaintManagerEviction", f"Marking for deletion Pod "
                      f"{h.namespace}/{h.name}", gone, warning=False, component="taint-eviction-controller")
            inc.replacement(h, gone + timedelta(seconds=2), away_from=name)
    inc.series("kubelet_certificate_manager_client_ttl_seconds", "gauge",
               "Gauge of the TTL (time-to-live) of the Kubelet's client certificate. The value is in seconds until "
               "certificate expiry (negative if already expired).", {"node": name, "job": "kubelet",
                                                                     "instance": inc.cluster.node_ip(name) + ":10250"},
               lambda t: (expiry - t).total_seconds() if t < expiry else None)
    for other in inc.node_names():
        if other != name:
            inc.series("kubelet_certificate_manager_client_ttl_seconds", "gauge",
                       "Gauge of the TTL (time-to-live) of the Kubelet's client certificate. The value is in "
                       "seconds until certificate expiry (negative if already expired).",
                       {"node": other, "job": "kubelet", "instance": inc.cluster.node_ip(other) + ":10250"},
                       lambda t: 24 * 3600 * 190 - (t - at).total_seconds())
    inc.series("up", "gauge", "", {"job": "kubelet", "instance": inc.cluster.node_ip(name) + ":10250",
                                   "node": name}, lambda t: 1.0 if t < expiry else 0.0)
    inc.series("kube_node_status_condition", "gauge", "The condition of a cluster node.",
               {"node": name, "condition": "Ready", "status": "unknown", "job": "kube-state-metrics"},
               lambda t: 1.0 if t >= lost else 0.0)
    inc.secret("kube-system", "bootstrap-token-7h2kq9", {
        "token-id": "7h2kq9", "token-secret": inc.canary("token", "bootstrap"),
        "usage-bootstrap-authentication": "true"})
    rb = "https://runbooks.prometheus-operator.dev/runbooks/"
    alerts = [
        am.alert({"alertname": "KubeNodeNotReady", "node": name, "condition": "Ready", "status": "true",
                  "severity": "warning", "namespace": "monitoring", "cluster": "prod-eu-west-1",
                  "job": "kube-state-metrics"},
                 {"summary": "Node is not ready.", "description": f"{name} has been unready for more than 15 minutes.",
                  "runbook_url": rb + "kubernetes/kubenodenotready"}, at,
                 'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0'),
        am.alert({"alertname": "KubeNodeUnreachable", "node": name, "key": "node.kubernetes.io/unreachable",
                  "effect": "NoSchedule", "severity": "warning", "namespace": "monitoring",
                  "cluster": "prod-eu-west-1", "job": "kube-state-metrics"},
                 {"summary": "Node is unreachable.",
                  "description": f"{name} is unreachable and some workloads may be rescheduled.",
                  "runbook_url": rb + "kubernetes/kubenodeunreachable"}, at - timedelta(minutes=1),
                 '(kube_node_spec_taint{job="kube-state-metrics",key="node.kubernetes.io/unreachable",'
                 'effect="NoSchedule"} unless ignoring(key,value) kube_node_spec_taint{job="kube-state-metrics",'
                 'key=~"ToBeDeletedByClusterAutoscaler|cloud.google.com/impending-node-termination|'
                 'aws-node-termination-handler/spot-itn"}) == 1'),
        am.alert({"alertname": "TargetDown", "job": "kubelet", "service": "kube-prometheus-stack-kubelet",
                  "namespace": "kube-system", "severity": "warning", "cluster": "prod-eu-west-1"},
                 {"summary": "One or more targets are unreachable.",
                  "description": "25% of the kubelet/kube-prometheus-stack-kubelet targets in kube-system "
                                 "namespace are down.", "runbook_url": rb + "general/targetdown"},
                 expiry + timedelta(minutes=10),
                 '100 * (count(up == 0) BY (cluster, job, namespace, service) / count(up) BY '
                 '(cluster, job, namespace, service)) > 10')]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["cluster"])
    _herring_restart(inc, "auth", "auth-api", "Unhealthy",
                     "Liveness probe failed: Get \"http://10.244.1.23:8080/healthz/live\": context deadline "
                     "exceeded", 25)
    inc.answer_key(culprit=("Node", "", name), keywords=["certificate", "expired", "rotat"],
                   root_cause=f"{name}'s kubelet client certificate expired (rotateCertificates is off, so no "
                              "rotation): the kubelet cannot authenticate and the node went NotReady.",
                   category="kubelet-client-certificate-expired",
                   red_herrings=[("Deployment", "auth", "auth-api")])
    return inc


# ---- 4. a rollout strategy that takes every pod down at once ----------------------------------------
def product_pages_down_page() -> Incident:
    """A "faster deploys" change in product-pages' chart sets the rollout strategy to maxSurge 0 /
    maxUnavailable 100%. The Deployment controller scales the old ReplicaSet from 4 to 0 at once while the
    new pods spend ~150 s warming their template cache before turning ready: for two and a half minutes
    the Service has no ready endpoints and ingress-nginx answers 503 ("no live upstreams"). Everything is
    healthy again at capture. Fix: maxUnavailable 0 / maxSurge 25% (or a PDB-like budget for rollouts).
    """
    at = _at(1, 10, 31)
    inc = Incident("product-pages-down-page", title="www.acme.shop product pages down", story="", at=at, seed=104,
                   namespaces=("catalogue",), minutes_after=16)
    rollout = at - timedelta(seconds=50)
    ready_after = 150

    def pages(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(start + timedelta(seconds=1), L.js(start, "info", "warming template cache", templates=1843)),
               (start + timedelta(seconds=ready_after - 2),
                L.js(start + timedelta(seconds=ready_after - 2), "info", "template cache warm", ms=148211)),
               (start + timedelta(seconds=ready_after), L.js(start, "info", "listening", port=8080))]
        out += [(t, L.js(t, "info", "GET /p/" + str(40000 + i), status=200, ms=18 + i % 30))
                for i, t in enumerate(L.every(start + timedelta(seconds=ready_after + 3), end, 29))]
        return out
    old = c("product-pages", f"{REGISTRY}/catalogue/product-pages:7.4.0")
    new = c("product-pages", f"{REGISTRY}/catalogue/product-pages:7.5.0")
    wl = inc.deployment("catalogue", "product-pages",
                        [Rev(11, at - timedelta(days=6), "helm upgrade product-pages 7.4.0", [old]),
                         Rev(12, rollout, "helm upgrade product-pages 7.5.0", [new])],
                        {12: [P(log=_log(pages), created=rollout + timedelta(seconds=2 + i)) for i in range(4)]},
                        max_surge="0", max_unavailable="100%")
    for ev in inc.cluster.events:  # with no surge the old ReplicaSet goes to 0 first, then the new one comes up
        if ev["reason"] == "ScalingReplicaSet" and ev["involvedObject"]["name"] == "product-pages":
            when = ts(rollout if "down" in ev["message"] else rollout + timedelta(seconds=1))
            ev.update({k: when for k in ("firstTimestamp", "lastTimestamp") if k in ev})
    _managed(wl.obj, "helm", rollout, {"f:spec": {"f:strategy": {"f:rollingUpdate": {
        "f:maxSurge": {}, "f:maxUnavailable": {}}}, "f:template": {"f:spec": {"f:containers": {}}}}})
    inc.service("catalogue", "product-pages", {"app": "product-pages"})
    for h in wl.pods:
        ip = inc.cluster.pod_ip(h)
        first = h.created + timedelta(seconds=12)
        inc.event(inc.cluster.pod_object(h), "Unhealthy",
                  f"Readiness probe failed: Get \"http://{ip}:8080/healthz/ready\": dial tcp {ip}:8080: connect: "
                  "connection refused", first, first + timedelta(seconds=ready_after - 20), count=13, host=h.node)
    ing = inc.pods_of("ingress-nginx", "ingress-nginx-controller")
    for n, h in enumerate(ing):
        rows: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(rollout - timedelta(minutes=3), inc.captured, 4)):
            client = f"203.0.113.{(i * 7 + n) % 250}"
            down = rollout + timedelta(seconds=5) <= t < rollout + timedelta(seconds=ready_after + 8)
            req = f"GET /p/{41000 + i}"
            if down:
                rows.append((t, L.nginx_error(t, f"no live upstreams while connecting to upstream, client: {client}, "
                                                 f"server: www.acme.shop, request: \"{req} HTTP/1.1\", upstream: "
                                                 f"\"http://catalogue-product-pages-80{req[4:]}\", host: "
                                                 "\"www.acme.shop\"", conn=9000 + i)))
                rows.append((t, L.nginx_access(t, client, req, 503, 190, "catalogue-product-pages-80", "", 0.0)))
            elif i % 3 == 0:
                rows.append((t, L.nginx_access(t, client, req, 200, 48211, "catalogue-product-pages-80",
                                               f"10.244.{n + 1}.{30 + i % 20}:8080 200", 0.021)))
        _set_log(h, L.lines(rows))
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per deployment.",
               {"namespace": "catalogue", "deployment": "product-pages", "job": "kube-state-metrics"},
               lambda t: 0.0 if rollout <= t < rollout + timedelta(seconds=ready_after + 10) else 4.0)
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"instance": "https://www.acme.shop/p/40001", "job": "blackbox"},
               lambda t: 0.0 if rollout + timedelta(seconds=5) <= t < rollout + timedelta(seconds=ready_after + 8)
               else 1.0)
    inc.secret("catalogue", "product-pages-env", {"CMS_API_TOKEN": inc.canary("token", "cms")})
    _herring_restart(inc, "shop", "search", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 500", 30)
    inc.pagerduty("[FIRING:1] BlackboxProbeFailed https://www.acme.shop/p/40001 (blackbox)", "Storefront")
    inc.answer_key(culprit=("Deployment", "catalogue", "product-pages"),
                   keywords=["maxUnavailable", "100%", "maxSurge"],
                   root_cause="product-pages' strategy (maxSurge 0, maxUnavailable 100%) took all 4 old pods down "
                              "at once; the new ones need ~150 s to turn ready, so the site had no endpoints.",
                   category="rollout-strategy-drops-all-pods",
                   red_herrings=[("Deployment", "shop", "search")])
    return inc


# ---- 5. an admission policy switched from Audit to Enforce --------------------------------------------
def fraud_scorer_scaling() -> Incident:
    """A GitOps sync of the platform's policy repo flips Kyverno ClusterPolicy require-non-root from
    validationFailureAction Audit to Enforce. fraud-scorer's image runs as root and its pod template sets no
    runAsNonRoot; the three pods that existed keep running, but when the evening peak makes its HPA ask for
    7 replicas every new pod is refused at admission (ReplicaSet FailedCreate: "admission webhook
    validate.kyverno.svc-fail denied the request ... require-non-root"). Fix: set runAsNonRoot/runAsUser on
    fraud-scorer, or put the policy back in Audit with an exception.
    """
    at = _at(2, 18, 20)
    inc = Incident("fraud-scorer-scaling", title="fraud-scorer not scaling", story="", at=at, seed=105,
                   namespaces=("risk", "kyverno"))
    sync = at - timedelta(hours=2, minutes=14)
    _crd(inc, "kyverno.io", "ClusterPolicy", "v1", scope="Cluster")
    policy = inc.add({
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "require-non-root", "generation": 4, "annotations": {
            "policies.kyverno.io/title": "Require runAsNonRoot", "policies.kyverno.io/category": "Pod Security",
            "argocd.argoproj.io/tracking-id": "platform-policies:kyverno.io/ClusterPolicy:/require-non-root"}},
        "spec": {"validationFailureAction": "Enforce", "background": True, "rules": [{
            "name": "check-containers", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "exclude": {"any": [{"resources": {"namespaces": ["kube-system", "monitoring"]}}]},
            "validate": {"message": "Running as root is not allowed. The fields spec.securityContext.runAsNonRoot, "
                                    "spec.containers[*].securityContext.runAsNonRoot must be set to true.",
                         "anyPattern": [{"spec": {"securityContext": {"runAsNonRoot": True}}},
                                        {"spec": {"containers": [{"securityContext": {"runAsNonRoot": True}}]}}]}}]},
        "status": {"ready": True, "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                                  "lastTransitionTime": ts(sync)}]}})
    _managed(policy, "argocd-controller", sync, {"f:spec": {"f:validationFailureAction": {}}}, "Apply")
    key = inc.canary("aws-secret", "feature-store")
    inc.secret("risk", "fraud-scorer-aws", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "feature-store"),
                                            "AWS_SECRET_ACCESS_KEY": key})

    def scorer(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return [(t, L.pylog(t, "INFO", "uvicorn.access", f'10.244.2.{i % 200}:0 - "POST /v1/score HTTP/1.1" 200'))
                for i, t in enumerate(L.every(max(start, at - timedelta(minutes=30)), end, 3))]
    wl = _app(inc, "risk", "fraud-scorer", f"{REGISTRY}/risk/fraud-scorer:2.8.1",
              [P(log=_log(scorer)) for _ in range(3)], at - timedelta(days=9))
    wl.obj["spec"]["replicas"] = 7
    wl.obj["status"]["unavailableReplicas"] = 4
    inc.service("risk", "fraud-scorer", {"app": "fraud-scorer"})
    rs = inc.find("ReplicaSet", "risk", wl.rs[1])
    rs["spec"]["replicas"] = 7
    msg = ("Error creating: admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource "
           "Pod/risk/ was blocked due to the following policies \n\nrequire-non-root:\n  check-containers: "
           "'validation error: Running as root is not allowed. The fields spec.securityContext.runAsNonRoot, "
           "spec.containers[*].securityContext.runAsNonRoot must be set to true. rule check-containers[0] failed "
           "at path /spec/securityContext/runAsNonRoot/ rule check-containers[1] failed at path "
           "/spec/containers/0/securityContext/'")
    inc.event(rs, "FailedCreate", msg, at - timedelta(minutes=22), inc.captured - timedelta(seconds=20), count=31,
              component="replicaset-controller")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[1]} to 7 from 3",
              at - timedelta(minutes=22), warning=False, component="deployment-controller")
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "fraud-scorer", "namespace": "risk"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fraud-scorer"},
                 "minReplicas": 3, "maxReplicas": 12,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 65}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 7, "lastScaleTime": ts(at - timedelta(minutes=22)),
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                       "averageUtilization": 141, "averageValue": "705m"}}}],
                   "conditions": [{"type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
                                   "message": "the HPA controller was able to update the target scale to 7"},
                                  {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                                   "message": "the HPA was able to successfully calculate a replica count from cpu "
                                              "resource utilization (percentage of request)"}]}})
    inc.event(hpa, "SuccessfulRescale", "New size: 7; reason: cpu resource utilization (percentage of request) "
              "above target", at - timedelta(minutes=22), warning=False, component="horizontal-pod-autoscaler")
    for h in wl.pods:
        inc.series("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "risk", "pod": h.name, "container": "fraud-scorer", "job": "kubelet"},
                   lambda t: (t - at + timedelta(hours=2)).total_seconds() * (0.3 if t < at - timedelta(minutes=30)
                                                                                else 0.7))
    _herring_restart(inc, "web", "frontend", "Unhealthy",
                     "Readiness probe failed: Get \"http://10.244.3.41:8080/healthz/ready\": context deadline "
                     "exceeded (Client.Timeout exceeded while awaiting headers)", 12)
    inc.alertmanager("KubeHpaReplicasMismatch", {"namespace": "risk", "horizontalpodautoscaler": "fraud-scorer",
                                                 "job": "kube-state-metrics"},
                     "HPA has not matched desired number of replicas.",
                     "HPA risk/fraud-scorer has not matched the desired number of replicas for longer than 15 minutes.",
                     '(kube_horizontalpodautoscaler_status_desired_replicas{job="kube-state-metrics"} != '
                     'kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics"})')
    inc.answer_key(culprit=("ClusterPolicy", "", "require-non-root"),
                   keywords=["Kyverno", "Enforce", "runAsNonRoot"],
                   root_cause="Kyverno ClusterPolicy require-non-root was switched to Enforce; fraud-scorer runs as "
                              "root without runAsNonRoot, so every new pod the HPA asks for is denied at admission.",
                   category="admission-policy-enforce-blocks-scale-up",
                   red_herrings=[("Deployment", "web", "frontend")])
    return inc


# ---- 6. a projected token audience the secret store does not accept ---------------------------------
def invoice_renderer_question() -> Incident:
    """The platform's library chart 3.0 sets the projected ServiceAccount token that invoice-renderer
    presents to Vault to audience sts.amazonaws.com (copied from the IRSA template); Vault's kubernetes
    auth role invoice-renderer is bound to audience "vault". Every login gets 403 "invalid audience (aud)
    claim" and the service exits at start. Fix: audience "vault" on the projected token volume.
    """
    at = _at(3, 10, 2)
    inc = Incident("invoice-renderer-question", title="invoice-renderer restarting", story="", at=at, seed=106,
                   namespaces=("billing", "vault"))
    rollout = at - timedelta(minutes=3)

    def renderer(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return [(start, L.go_std(start, "invoice-renderer 5.1.0 (go1.23.3) starting")),
                (start + timedelta(milliseconds=40), L.go_std(start, "vault: logging in with role invoice-renderer "
                                                                     "(mount kubernetes)")),
                (start + timedelta(milliseconds=90), L.go_std(start, "vault login: Error making API request.\n\n"
                                                                     "URL: PUT http://vault.vault.svc:8200/v1/auth/"
                                                                     "kubernetes/login\nCode: 403. Errors:\n\n"
                                                                     "* invalid audience (aud) claim: audience claim "
                                                                     "does not match any expected audience")),
                (start + timedelta(milliseconds=91), L.go_std(start, "fatal: cannot fetch database credentials"))]
    volumes = [{"name": "vault-token", "projected": {"sources": [{"serviceAccountToken": {
        "audience": "sts.amazonaws.com", "expirationSeconds": 3600, "path": "token"}}]}}]
    mounts = [{"name": "vault-token", "mountPath": "/var/run/secrets/vault", "readOnly": True}]
    env = [{"name": "VAULT_ADDR", "value": "http://vault.vault.svc:8200"},
           {"name": "VAULT_K8S_TOKEN_PATH", "value": "/var/run/secrets/vault/token"}]
    old_volumes = [{"name": "vault-token", "projected": {"sources": [{"serviceAccountToken": {
        "audience": "vault", "expirationSeconds": 3600, "path": "token"}}]}}]
    inc.deployment("billing", "invoice-renderer", [
        Rev(8, at - timedelta(days=14), "helm upgrade invoice-renderer 5.1.0 (library 2.9.4)",
            [c("invoice-renderer", f"{REGISTRY}/billing/invoice-renderer:5.1.0", env=env)],
            pod_spec={"volumes": old_volumes}, container={"volumeMounts": mounts}),
        Rev(9, rollout, "helm upgrade invoice-renderer 5.1.0 (library 3.0.0)",
            [c("invoice-renderer", f"{REGISTRY}/billing/invoice-renderer:5.1.0", env=env)],
            pod_spec={"volumes": volumes, "serviceAccountName": "invoice-renderer"},
            container={"volumeMounts": mounts})],
        {8: [P(), P()], 9: [P(state="crashloop", log=_log(renderer), run_s=lambda n: 0.2)]},
        progress="progressing", replicas=2)
    inc.service("billing", "invoice-renderer", {"app": "invoice-renderer"})
    vault = inc.statefulset("vault", "vault", [c("vault", "docker.io/hashicorp/vault:1.17.6", port=8200)],
                            [P(), P(), P()], at - timedelta(days=30), service=8200)
    rows = [(t, f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [ERROR] auth.kubernetes.auth_kubernetes_1b7f3c2e: "
                "login unauthorized: role=invoice-renderer "
                "err=\"invalid audience (aud) claim: audience claim does not match any expected audience\"")
            for t in L.every(rollout + timedelta(seconds=12), inc.captured, 61)]
    _set_log(vault.pods[0], L.lines([(rollout - timedelta(hours=1), (rollout - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z") + " [INFO]  core: successful mount: namespace=\"\" path=database/ type=database"),
        *rows]))
    inc.configmap("vault", "vault-auth-roles", {"invoice-renderer.hcl": (
        'bound_service_account_names = ["invoice-renderer"]\nbound_service_account_namespaces = ["billing"]\n'
        'audience = "vault"\ntoken_policies = ["billing-db-read"]\ntoken_ttl = "1h"\n')})
    inc.secret("billing", "invoice-renderer-smtp", {"SMTP_PASSWORD": inc.canary("password", "smtp")})
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "invoice-renderer", "namespace": "billing"}})
    _herring_restart(inc, "payments", "ledger", "Unhealthy",
                     "Liveness probe failed: Get \"http://10.244.2.19:8080/healthz/live\": context deadline exceeded",
                     50)
    inc.ask("invoice-renderer keeps restarting since the 10:00 deploy, the app itself didn't change. Why?")
    inc.answer_key(culprit=("Deployment", "billing", "invoice-renderer"),
                   keywords=["audience", "sts.amazonaws.com", "403"],
                   root_cause="The new revision's projected token has audience sts.amazonaws.com; Vault's role "
                              "expects 'vault', so the kubernetes login is refused with 403 invalid audience.",
                   category="projected-token-audience-mismatch",
                   red_herrings=[("Deployment", "payments", "ledger")])
    return inc


# ---- 7. a ServiceAccount that lost its cloud role ------------------------------------------------------
def statement_exports_failing() -> Incident:
    """statement-exporter's chart 4.0 moves the IAM role from `irsa.roleArn` to
    `serviceAccount.annotations`; the values file was not migrated, so the upgrade re-applies ServiceAccount
    statement-exporter without its eks.amazonaws.com/role-arn annotation. The EKS pod identity webhook no
    longer injects AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE (IRSA), boto3 falls back to the node's instance
    role, and every S3 PutObject is AccessDenied. Fix: restore the role-arn annotation and restart the pods.
    """
    at = _at(3, 16, 45)
    inc = Incident("statement-exports-failing", title="statement exports failing", story="", at=at, seed=107,
                   namespaces=("reports",))
    upgrade = at - timedelta(minutes=14)
    sa = inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "statement-exporter", "namespace": "reports",
                               "labels": {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart":
                                          "statement-exporter-4.0.0"},
                               "annotations": {"meta.helm.sh/release-name": "statement-exporter",
                                               "meta.helm.sh/release-namespace": "reports"}},
                  "automountServiceAccountToken": True})
    _managed(sa, "helm", upgrade, {"f:metadata": {"f:annotations": {"f:meta.helm.sh/release-name": {},
                                                                     "f:meta.helm.sh/release-namespace": {}},
                                                  "f:labels": {"f:helm.sh/chart": {}}}})
    inc.configmap("reports", "statement-exporter-values", {"values.yaml": (
        "image:\n  tag: 4.0.0\nirsa:\n  roleArn: arn:aws:iam::412398765012:role/prod-statement-exporter\n"
        "bucket: acme-statements-prod\nschedule:\n  batchSize: 500\n")}, at=upgrade)
    node_role = "arn:aws:sts::412398765012:assumed-role/eks-prod-eu-west-1-node-role/i-0b7c41e2d9a3f5106"

    def exporter(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(start, L.pylog(start, "INFO", "exporter", "statement-exporter 4.0.0 starting, bucket="
                                                         "acme-statements-prod")),
               (start, L.pylog(start, "INFO", "botocore.credentials", "Found credentials from IAM Role: "
                                                                      "eks-prod-eu-west-1-node-role"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=20), end, 37)):
            acct = 5100230 + i * 7
            out.append((t, L.pylog(t, "ERROR", "exporter", f"upload failed for statement {acct}\nTraceback (most "
                                   "recent call last):\n  File \"/app/exporter/upload.py\", line 58, in put\n    "
                                   "self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)\n"
                                   "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling "
                                   f"the PutObject operation: User: {node_role} is not authorized to perform: "
                                   "s3:PutObject on resource: \"arn:aws:s3:::acme-statements-prod/2026/11/"
                                   f"{acct}.pdf\" because no identity-based policy allows the s3:PutObject action")))
        return out
    env = [{"name": "BUCKET", "value": "acme-statements-prod"}, {"name": "AWS_REGION", "value": "eu-west-1"},
           {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}]
    inc.deployment("reports", "statement-exporter", [
        Rev(6, at - timedelta(days=21), "helm upgrade statement-exporter 3.9.2",
            [c("statement-exporter", f"{REGISTRY}/reports/statement-exporter:3.9.2", env=env)],
            pod_spec={"serviceAccountName": "statement-exporter"}),
        Rev(7, upgrade, "helm upgrade statement-exporter 4.0.0",
            [c("statement-exporter", f"{REGISTRY}/reports/statement-exporter:4.0.0", env=env)],
            pod_spec={"serviceAccountName": "statement-exporter"})],
        {7: [P(log=_log(exporter)), P(log=_log(exporter))]})
    inc.secret("reports", "statement-exporter-signing", {"PDF_SIGNING_KEY": inc.canary("token", "pdf-signing")})
    inc.series("statement_exports_failed_total", "counter", "Statements that could not be uploaded.",
               {"namespace": "reports", "job": "statement-exporter"},
               lambda t: max(0.0, (t - upgrade).total_seconds() / 18.5))
    _herring_restart(inc, "shop", "checkout", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 503", 9)
    inc.alertmanager("StatementExportFailures", {"namespace": "reports", "job": "statement-exporter",
                                                 "team": "reports"},
                     "Statement exports are failing.",
                     "3.2 statement uploads/min are failing in reports (none succeeded in 10m).",
                     'sum(rate(statement_exports_failed_total[5m])) > 0 and '
                     'sum(rate(statement_exports_uploaded_total[10m])) == 0', severity="critical",
                     runbook="https://wiki.example.com/reports/statement-exports")
    inc.answer_key(culprit=("ServiceAccount", "reports", "statement-exporter"),
                   keywords=["role-arn", "IRSA", "AccessDenied"],
                   root_cause="The chart 4.0 upgrade re-applied ServiceAccount statement-exporter without its "
                              "eks.amazonaws.com/role-arn annotation: no IRSA, boto3 uses the node role and S3 "
                              "answers AccessDenied.",
                   category="irsa-annotation-dropped",
                   red_herrings=[("Deployment", "shop", "checkout")])
    return inc


# ---- 8. a topic's retention cut below a consumer's pause --------------------------------------------------
def settlement_gap_page() -> Incident:
    """Someone edits Strimzi KafkaTopic ledger-events to retention.ms 3600000 (1 h, meant for a test
    topic) the evening before. The reconciler was stopped for 3 h of database maintenance; when it came
    back its committed offsets pointed at segments the brokers had already deleted for retention, the
    Kafka client logged "out of range ... resetting offset" and, with auto.offset.reset=latest, skipped
    every ledger event of those hours: the settlement gap. Fix: restore retention.ms (7 days) and replay
    the gap from the ledger's outbox.
    """
    at = _at(4, 9, 5)
    inc = Incident("settlement-gap-page", title="ledger settlements missing", story="", at=at, seed=108,
                   namespaces=("kafka", "finance"))
    edit = at - timedelta(hours=14, minutes=20)
    resumed = at - timedelta(minutes=25)
    _crd(inc, "kafka.strimzi.io", "KafkaTopic", "v1beta2")
    topic = inc.add({
        "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
        "metadata": {"name": "ledger-events", "namespace": "kafka", "generation": 7,
                     "labels": {"strimzi.io/cluster": "events"}},
        "spec": {"partitions": 12, "replicas": 3, "config": {
            "retention.ms": "3600000", "segment.bytes": "1073741824", "cleanup.policy": "delete",
            "min.insync.replicas": "2"}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(edit)}],
                   "observedGeneration": 7, "topicName": "ledger-events"}})
    _managed(topic, "kubectl-edit", edit, {"f:spec": {"f:config": {"f:retention.ms": {}}}})
    brokers = inc.statefulset("kafka", "events-kafka", [c("kafka", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
                                                          port=9092)], [P(), P(), P()], at - timedelta(days=40),
                              service=9092)
    for n, h in enumerate(brokers.pods):
        rows = []
        for i, t in enumerate(L.every(edit + timedelta(minutes=5), at, 1800)):
            p = (i * 3 + n) % 12
            base = 1851002 + i * 40211
            rows.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')},{i % 1000:03d} INFO [UnifiedLog partition="
                            f"ledger-events-{p}, dir=/var/lib/kafka/data-0/kafka-log{n}] Deleting segment "
                            f"LogSegment(baseOffset={base}, size=1073741700, lastModifiedTime="
                            f"{int(t.timestamp() * 1000) - 3700000}, largestRecordTimestamp=Some("
                            f"{int(t.timestamp() * 1000) - 3650000})) due to log retention time 3600000ms breach "
                            "based on the largest record timestamp in the segment (kafka.log.UnifiedLog) "
                            "[kafka-scheduler-4]"))
        _set_log(h, L.lines(rows))

    def reconciler(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(start, L.spring(start, "INFO", "o.a.k.c.c.internals.ConsumerCoordinator",
                                "[Consumer clientId=reconciler-0, groupId=reconciler] Adding newly assigned "
                                "partitions: ledger-events-0, ledger-events-1, ledger-events-2, ledger-events-3"))]
        for p in range(4):
            t = start + timedelta(seconds=2, milliseconds=40 * p)
            out.append((t, L.spring(t, "INFO", "o.a.k.c.c.internals.AbstractFetch",
                                    f"[Consumer clientId=reconciler-0, groupId=reconciler] Fetch position "
                                    f"FetchPosition{{offset={1882210 + p * 911}, offsetEpoch=Optional[12], "
                                    "currentLeader=LeaderAndEpoch{leader=Optional[events-kafka-1.events-kafka-"
                                    "brokers.kafka.svc:9092 (id: 1 rack: eu-west-1b)], epoch=12}} is out of range "
                                    f"for partition ledger-events-{p}, resetting offset",
                                    thread="ntainer#0-0-C-1")))
            out.append((t, L.spring(t, "INFO", "o.a.k.c.c.internals.SubscriptionState",
                                    f"[Consumer clientId=reconciler-0, groupId=reconciler] Resetting offset for "
                                    f"partition ledger-events-{p} to position FetchPosition{{offset="
                                    f"{2291877 + p * 1301}, offsetEpoch=Optional.empty, currentLeader="
                                    "LeaderAndEpoch{leader=Optional[events-kafka-1.events-kafka-brokers.kafka.svc:"
                                    "9092 (id: 1 rack: eu-west-1b)], epoch=12}}.", thread="ntainer#0-0-C-1")))
        out += [(t, L.spring(t, "WARN", "c.a.finance.reconcile.SettlementMatcher",
                             f"settlement {77120 + i} has no ledger event (ledger entry {9100022 + i * 13})"))
                for i, t in enumerate(L.every(start + timedelta(minutes=2), end, 40))]
        return out
    env = [{"name": "SPRING_KAFKA_CONSUMER_AUTO_OFFSET_RESET", "value": "latest"},
           {"name": "SPRING_KAFKA_BOOTSTRAP_SERVERS", "value": "events-kafka-bootstrap.kafka.svc:9092"}]
    wl = _app(inc, "finance", "reconciler", f"{REGISTRY}/finance/reconciler:1.12.0",
              [P(log=_log(reconciler), created=resumed)], at - timedelta(days=18), env=env)
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled down replica set {wl.rs[1]} to 0 from 1",
              resumed - timedelta(hours=3), warning=False, component="deployment-controller")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[1]} to 1 from 0", resumed,
              warning=False, component="deployment-controller")
    inc.secret("finance", "reconciler-db", {"password": inc.canary("password", "reconciler-db")})
    inc.series("kafka_log_log_logstartoffset", "gauge", "Attribute exposed for management kafka.log:type=Log",
               {"namespace": "kafka", "topic": "ledger-events", "partition": "3"},
               lambda t: 1851002.0 + max(0.0, (t - edit).total_seconds()) * 11.2)
    inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
               {"namespace": "kafka", "consumergroup": "reconciler", "topic": "ledger-events", "partition": "3"},
               lambda t: 0.0 if t < resumed - timedelta(hours=3) or t >= resumed
               else (t - resumed + timedelta(hours=3)).total_seconds() * 11.2)
    _herring_restart(inc, "payments", "payments", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 503", 35)
    inc.pagerduty("[FIRING:1] SettlementsWithoutLedgerEvents finance (18402 unmatched)", "Finance Platform")
    inc.answer_key(culprit=("KafkaTopic", "kafka", "ledger-events"),
                   keywords=["retention.ms", "3600000", "out of range"],
                   root_cause="KafkaTopic ledger-events' retention.ms was cut to 3600000; the paused reconciler's "
                              "offsets were deleted, came back out of range and reset to latest, skipping events.",
                   category="topic-retention-below-consumer-pause",
                   red_herrings=[("Deployment", "payments", "payments")])
    return inc
# ---- 9. outlier detection that ejects every host ------------------------------------------------------
def orders_api_availability_burn() -> Incident:
    """A "resilience" change adds outlierDetection to Istio DestinationRule inventory with
    consecutive5xxErrors 1, interval 1s, baseEjectionTime 3m and maxEjectionPercent 100. Inventory answers
    an occasional 503 (a pod draining during a routine node scale-down), and every such answer ejects a
    host; with no cap on ejections all four hosts are out at once and orders-api's sidecar answers 503 UH
    no_healthy_upstream although every inventory pod is healthy. Fix: consecutive5xxErrors 5+,
    maxEjectionPercent 50.
    """
    at = _at(4, 13, 50)
    inc = Incident("orders-api-availability-burn", title="orders-api availability SLO burn", story="", at=at,
                   seed=109, namespaces=("orders",))
    change = at - timedelta(minutes=41)
    _crd(inc, "networking.istio.io", "DestinationRule", "v1")
    dr = inc.add({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "inventory", "namespace": "orders", "generation": 3},
        "spec": {"host": "inventory.orders.svc.cluster.local", "trafficPolicy": {
            "connectionPool": {"http": {"http1MaxPendingRequests": 1024, "maxRequestsPerConnection": 0}},
            "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "3m",
                                 "maxEjectionPercent": 100}}}})
    _managed(dr, "argocd-controller", change, {"f:spec": {"f:trafficPolicy": {"f:outlierDetection": {
        "f:consecutive5xxErrors": {}, "f:interval": {}, "f:baseEjectionTime": {}, "f:maxEjectionPercent": {}}}}},
             "Apply")

    def inventory(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return [(t, L.js(t, "info", "stock lookup", sku=f"SKU-{30000 + i}", ms=4 + i % 7))
                for i, t in enumerate(L.every(max(start, at - timedelta(minutes=30)), end, 13))]
    inv = _app(inc, "orders", "inventory", f"{REGISTRY}/orders/inventory:6.0.3",
               [P(log=_log(inventory)) for _ in range(4)], at - timedelta(days=8))
    inc.service("orders", "inventory", {"app": "inventory"})

    def orders(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = []
        for i, t in enumerate(L.every(max(start, at - timedelta(minutes=20)), end, 3)):
            rid = L.uuidish(pod, i)
            if i % 3:
                out.append((t, L.envoy(t, "GET", f"/v1/stock/SKU-{31000 + i}", 503, "UH", "-", 0,
                                       "inventory.orders.svc.cluster.local:8080", rid, "no_healthy_upstream")))
            else:
                out.append((t, L.envoy(t, "GET", f"/v1/stock/SKU-{31000 + i}", 200, "-",
                                       f"10.244.{1 + i % 3}.{40 + i % 4}:8080", 6,
                                       "inventory.orders.svc.cluster.local:8080", rid)))
        return out
    api = _app(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:12.1.0",
               [P(log=_log(orders)) for _ in range(3)], at - timedelta(days=8))
    inc.service("orders", "orders-api", {"app": "orders-api"})
    for h in api.pods:
        inc.series("envoy_cluster_outlier_detection_ejections_active", "gauge", "",
                   {"namespace": "orders", "pod": h.name,
                    "cluster_name": "outbound|8080||inventory.orders.svc.cluster.local"},
                   lambda t: 0.0 if t < change + timedelta(minutes=20) else 4.0)
        inc.series("envoy_cluster_membership_healthy", "gauge", "",
                   {"namespace": "orders", "pod": h.name,
                    "cluster_name": "outbound|8080||inventory.orders.svc.cluster.local"},
                   lambda t: 4.0 if t < change + timedelta(minutes=20) else 0.0)
    for h in inv.pods:
        inc.series("istio_requests_total", "counter", "",
                   {"namespace": "orders", "pod": h.name, "destination_workload": "inventory", "response_code": "200",
                    "reporter": "destination"},
                   lambda t: (t - at + timedelta(hours=2)).total_seconds() * 12)
    inc.secret("orders", "orders-api-psp", {"PSP_API_KEY": inc.canary("stripe", "orders-psp")})
    _herring_restart(inc, "web", "recommendations", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 503", 15)
    inc.slo_burn("orders-api", "orders", "orders-api-availability", "0.995", 18.7,
                 "orders-api: 9.3% of requests answered 5xx over the last hour (objective 99.5%)")
    inc.answer_key(culprit=("DestinationRule", "orders", "inventory"),
                   keywords=["outlierDetection", "maxEjectionPercent", "no_healthy_upstream", "ejected"],
                   root_cause="DestinationRule inventory's outlierDetection (consecutive5xxErrors 1, "
                              "maxEjectionPercent 100) ejected every inventory host after single 503s: the "
                              "sidecar answers no_healthy_upstream though all pods are healthy.",
                   category="outlier-detection-ejects-all-hosts",
                   red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ---- 10. a CronJob moved to another time zone -----------------------------------------------------------
def settlement_file_question() -> Incident:
    """A chart refactor shares one CronJob template between the EU and US clusters and sets
    spec.timeZone: America/New_York for both; daily-settlement's schedule "30 5 * * *" now fires at 10:30
    UTC instead of 05:30 UTC, so the file the bank collects at 07:00 UTC is not there. The job itself
    succeeds (its last run, yesterday 10:30 UTC, completed). Fix: timeZone Etc/UTC (or Europe/London) for the
    EU release.
    """
    at = _at(5, 7, 40)
    inc = Incident("settlement-file-question", title="settlement file not delivered", story="", at=at, seed=110,
                   namespaces=("finance",))
    change = at - timedelta(days=1, hours=5)
    last = _at(4, 10, 30)
    template = {"spec": {"restartPolicy": "Never", "serviceAccountName": "daily-settlement", "containers": [{
        "name": "settlement", "image": f"{REGISTRY}/finance/settlement-batch:2.2.1",
        "args": ["--date=yesterday", "--upload=sftp://sftp.bank.example.net/incoming"],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}}]}}
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "daily-settlement", "namespace": "finance", "generation": 5,
                     "labels": {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "batch-jobs-2.0.0"}},
        "spec": {"schedule": "30 5 * * *", "timeZone": "America/New_York", "concurrencyPolicy": "Forbid",
                 "startingDeadlineSeconds": 600, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                 "suspend": False, "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}},
        "status": {"lastScheduleTime": ts(last), "lastSuccessfulTime": ts(last + timedelta(minutes=7))}})
    _managed(cron, "helm", change, {"f:spec": {"f:timeZone": {}, "f:jobTemplate": {}}})
    for start in (_at(3, 5, 30), last):
        name = f"daily-settlement-{int(start.timestamp()) // 60}"
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": name, "namespace": "finance", "creationTimestamp": ts(start),
                                    "ownerReferences": [o.owner_ref("CronJob", "daily-settlement", "finance")]},
                       "spec": {"backoffLimit": 2, "template": template},
                       "status": {"startTime": ts(start), "completionTime": ts(start + timedelta(minutes=7)),
                                  "succeeded": 1, "conditions": [{"type": "Complete", "status": "True",
                                                                  "lastTransitionTime":
                                                                      ts(start + timedelta(minutes=7))}]}})
        inc.event(cron, "SuccessfulCreate", f"Created job {name}", start, warning=False,
                  component="cronjob-controller")
        inc.event(job, "Completed", "Job completed", start + timedelta(minutes=7), warning=False,
                  component="job-controller")
    fx_start = at - timedelta(hours=1, minutes=55)
    fx = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                  "metadata": {"name": "fx-rates-sync-29403950", "namespace": "finance",
                               "creationTimestamp": ts(fx_start)},
                  "spec": {"backoffLimit": 3},
                  "status": {"startTime": ts(fx_start), "failed": 4, "conditions": [{
                      "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                      "message": "Job has reached the specified backoff limit",
                      "lastTransitionTime": ts(fx_start + timedelta(minutes=6))}]}})
    inc.event(fx, "BackoffLimitExceeded", "Job has reached the specified backoff limit",
              fx_start + timedelta(minutes=6), component="job-controller")
    inc.secret("finance", "bank-sftp", {"id_ed25519_passphrase": inc.canary("password", "bank-sftp")})
    inc.ask("The bank says they didn't get today's file from daily-settlement at 07:00. Did it fail?")
    inc.answer_key(culprit=("CronJob", "finance", "daily-settlement"),
                   keywords=["timeZone", "America/New_York", "10:30"],
                   root_cause="daily-settlement's new timeZone America/New_York makes '30 5 * * *' fire at 10:30 "
                              "UTC, after the bank's 07:00 pickup; the job itself succeeds.",
                   category="cronjob-time-zone-shift",
                   red_herrings=[("Job", "finance", "fx-rates-sync-29403950")])
    return inc
# ---- 11. a feature flag that turns one query into one per row ------------------------------------------
def listing_latency_page() -> Incident:
    """Product turns on `seller_badges_enabled` in listing-api's flag ConfigMap (a hand edit, picked up by
    the app's file watcher without a restart). The badge code loads each listing's seller with its own
    query (an N+1): a 60-listing page now makes 61 queries instead of 2, Postgres' statement rate jumps
    thirtyfold and page latency goes from ~40 ms to ~1.8 s. Fix: turn the flag off, then batch the seller
    lookup (WHERE id = ANY(...)).
    """
    at = _at(5, 11, 25)
    inc = Incident("listing-latency-page", title="marketplace listing pages slow", story="", at=at, seed=111,
                   namespaces=("marketplace", "data"))
    flip = at - timedelta(minutes=19)
    cm = inc.configmap("marketplace", "listing-flags", {"flags.yaml": (
        "search_v2_ranking: true\nseller_badges_enabled: true\nnew_checkout_button: false\n"
        "listing_page_size: 60\n")}, at=at - timedelta(days=60))
    _managed(cm, "kubectl-edit", flip, {"f:data": {"f:flags.yaml": {}}})

    def listing(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(max(start, at - timedelta(minutes=40)), end, 5)):
            if t >= flip and (t - flip).total_seconds() < 5:
                out.append((t, L.js(t, "info", "feature flags reloaded", file="/etc/listing/flags.yaml",
                                    changed=["seller_badges_enabled"])))
            slow = t >= flip
            out.append((t, L.js(t, "info", "request completed", method="GET", url=f"/v1/listings?page={i % 40}",
                                status=200, duration_ms=1700 + i % 300 if slow else 35 + i % 20,
                                db_queries=61 if slow else 2)))
        return out
    wl = _app(inc, "marketplace", "listing-api", f"{REGISTRY}/marketplace/listing-api:9.3.0",
              [P(log=_log(listing)) for _ in range(3)], at - timedelta(days=5),
              pod_spec={"volumes": [{"name": "flags", "configMap": {"name": "listing-flags"}}]},
              container={"volumeMounts": [{"name": "flags", "mountPath": "/etc/listing"}]})
    inc.service("marketplace", "listing-api", {"app": "listing-api"})
    pg = inc.statefulset("data", "pg-main", [c("postgres", "docker.io/bitnami/postgresql:16.4.0", port=5432)],
                         [P()], at - timedelta(days=40), service=5432)
    rows = [(t, L.postgres(t, "LOG", f"duration: 0.{300 + i % 500} ms  statement: SELECT id, display_name, rating, "
                                     f"badge_level FROM sellers WHERE id = {48000 + i * 17 % 9000}", pid=8812 + i % 6))
            for i, t in enumerate(L.every(flip, inc.captured, 0.9))][:1500]
    pre = [(flip - timedelta(minutes=5), L.postgres(flip - timedelta(minutes=5), "LOG",
                                                    "checkpoint complete: wrote 2104 buffers (1.6%); 0 WAL file(s) "
                                                    "added, 0 removed, 1 recycled"))]
    _set_log(pg.pods[0], L.lines(pre + rows))
    inc.series("pg_stat_statements_calls_total", "counter", "Number of times executed",
               {"namespace": "data", "datname": "marketplace", "queryid": "-4128739018823349120",
                "query": "SELECT id, display_name, rating, badge_level FROM sellers WHERE id = $1"},
               lambda t: max(0.0, (t - flip).total_seconds()) * 610)
    for h in wl.pods:
        inc.series("http_server_request_duration_seconds_sum", "counter", "", {
            "namespace": "marketplace", "pod": h.name, "route": "/v1/listings"},
            lambda t: (t - at + timedelta(hours=2)).total_seconds() * 0.7
            + max(0.0, (t - flip).total_seconds()) * 34)
    inc.secret("data", "pg-main-credentials", {"postgres-password": inc.canary("password", "pg-main")})
    vac = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                   "metadata": {"name": "pg-vacuum-analyze", "namespace": "data"},
                   "spec": {"schedule": "0 11 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                       "restartPolicy": "Never", "containers": [{"name": "vacuum",
                                                                 "image": "docker.io/bitnami/postgresql:16.4.0",
                                                                 "args": ["vacuumdb", "--all", "--analyze"]}]}}}}},
                   "status": {"lastScheduleTime": ts(_at(5, 11, 0)), "active": [{
                       "kind": "Job", "namespace": "data", "name": "pg-vacuum-analyze-29404500"}]}})
    inc.event(vac, "SuccessfulCreate", "Created job pg-vacuum-analyze-29404500", _at(5, 11, 0), warning=False,
              component="cronjob-controller")
    inc.pagerduty("[FIRING:1] ListingApiLatencyHigh marketplace listing-api p99 1.92s > 1s", "Marketplace")
    inc.answer_key(culprit=("ConfigMap", "marketplace", "listing-flags"),
                   keywords=["seller_badges_enabled", "N+1", "queries"],
                   root_cause="Turning on seller_badges_enabled in listing-flags makes listing-api load each seller "
                              "with its own query (N+1): 61 queries per page instead of 2, latency ~1.8 s.",
                   category="feature-flag-n-plus-one-queries",
                   red_herrings=[("CronJob", "data", "pg-vacuum-analyze")])
    return inc


# ---- 12. a node agent whose image fills one node's disk --------------------------------------------------
def payouts_pod_not_ready() -> Incident:
    """The ML team ships DaemonSet model-cache, whose only job is to keep a 19 GB model image warm on every
    node. On ip-10-0-2-21, the one node with a 50 GB root volume, the image filesystem is now at 93%: the
    kubelet's image GC cannot free anything (every image is in use) and the next pull, payouts 2.2.0, fails
    with "no space left on device" while extracting a layer. Fix: a nodeSelector/affinity keeping model-cache
    off small nodes (or bigger volumes), then retry the rollout.
    """
    at = _at(6, 15, 15)
    inc = Incident("payouts-pod-not-ready", title="payouts pod not ready", story="", at=at, seed=112,
                   namespaces=("ml", "payouts"))
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"].startswith("ip-10-0-2-21"))
    name = node["metadata"]["name"]
    shipped = at - timedelta(hours=3, minutes=10)
    for key in ("capacity", "allocatable"):
        node["status"][key]["ephemeral-storage"] = "52416492Ki" if key == "capacity" else "48307982927"
    node["status"].setdefault("images", []).insert(0, {
        "names": [f"{REGISTRY}/ml/model-cache@sha256:4be1f0c2d7a9e31b5c80f6a4d2e9b7c1a3f5e8d0c2b4a6f8e1d3c5b7a9f0e2d4",
                  f"{REGISTRY}/ml/model-cache:llm-13b-2026.11"], "sizeBytes": 19327352832})
    cache = inc.cluster.daemonset("ml", "model-cache", f"{REGISTRY}/ml/model-cache:llm-13b-2026.11", shipped,
                                  memory_mi=12)
    ds = inc.find("DaemonSet", "ml", "model-cache")
    ds["metadata"]["annotations"] = {"deprecated.daemonset.template.generation": "1",
                                     "meta.helm.sh/release-name": "model-cache"}
    for h in cache:
        _set_log(h, L.lines([(h.created + timedelta(seconds=2), L.go_std(h.created, "model-cache: image present, "
                                                                                    "sleeping"))]))
    inc.event(node, "ImageGCFailed", "Failed to garbage collect required amount of images. Attempted to free "
              "4939622604 bytes, but only found 0 bytes eligible to free.", shipped + timedelta(minutes=12),
              inc.captured - timedelta(minutes=2), count=34, host=name)
    inc.event(node, "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images. Attempted to "
              "free 4939622604 bytes, but only found 0 bytes eligible to free.", shipped + timedelta(minutes=12),
              inc.captured - timedelta(minutes=2), count=34, host=name)
    rollout = at - timedelta(minutes=11)
    msg = (f'Failed to pull image "{REGISTRY}/payouts/payouts:2.2.0": failed to pull and unpack image '
           f'"{REGISTRY}/payouts/payouts:2.2.0": failed to extract layer sha256:'
           "7d1f9b2c4e6a8d0f1b3c5e7a9d2f4b6c8e0a1c3e5f7b9d1a3c5e7f9b2d4f6a8c: write /var/lib/containerd/"
           "io.containerd.snapshotter.v1.overlayfs/snapshots/913/fs/usr/lib/jvm/java-21-openjdk/lib/modules: "
           "no space left on device: unknown")
    wl = inc.deployment("payouts", "payouts", [
        Rev(3, at - timedelta(days=9), "helm upgrade payouts 2.1.4",
            [c("payouts", f"{REGISTRY}/payouts/payouts:2.1.4")]),
        Rev(4, rollout, "helm upgrade payouts 2.2.0", [c("payouts", f"{REGISTRY}/payouts/payouts:2.2.0")])],
        {3: [P(), P()], 4: [P(state="waiting", waiting_reason="ErrImagePull", message=msg, node=name)]},
        progress="progressing", replicas=2)
    inc.service("payouts", "payouts", {"app": "payouts"})
    inc.series("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.",
               {"instance": name, "mountpoint": "/", "fstype": "xfs", "device": "/dev/nvme0n1p1",
                "job": "node-exporter"},
               lambda t: 53674487808 * (0.29 if t < shipped else 0.07))
    for other in inc.node_names():
        if other != name:
            inc.series("node_filesystem_avail_bytes", "gauge",
                       "Filesystem space available to non-root users in bytes.",
                       {"instance": other, "mountpoint": "/", "fstype": "xfs", "device": "/dev/nvme0n1p1",
                        "job": "node-exporter"},
                       lambda t: 107374182400 * (0.62 if t < shipped else 0.44))
    inc.secret("payouts", "payouts-bank-api", {"BANK_API_KEY": inc.canary("token", "bank-api")})
    _herring_restart(inc, "auth", "auth-api", "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 503", 20)
    pod = wl.pods[-1]
    inc.alertmanager("KubePodNotReady", {"namespace": "payouts", "pod": pod.name, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod payouts/{pod.name} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) '
                     '(kube_pod_status_phase{job="kube-state-metrics", phase=~"Pending|Unknown|Failed"})) > 0')
    inc.answer_key(culprit=("DaemonSet", "ml", "model-cache"),
                   keywords=["no space left", "image", "garbage collect"],
                   root_cause=f"DaemonSet model-cache keeps a 19 GB image on every node; on {name}'s small disk image "
                              "garbage collection finds nothing to free and the payouts pull fails with no space "
                              "left on device.",
                   category="node-agent-image-fills-image-filesystem",
                   red_herrings=[("Deployment", "auth", "auth-api")])
    return inc


ALL = [basket_writes_failing, sso_login_question, node_not_ready_group, product_pages_down_page,
       fraud_scorer_scaling, invoice_renderer_question, statement_exports_failing, settlement_gap_page,
       orders_api_availability_burn, settlement_file_question, listing_latency_page, payouts_pod_not_ready]
