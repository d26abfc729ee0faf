"""Probes and nodes: pods that never turn Ready, pods killed while starting, nodes that go away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from corpus import logs as L
from corpus.kit import MI, REGISTRY, Incident, P, Rev, c, ts


def auth_api_not_ready() -> Incident:
    """A ConfigMap change moves auth-api's listener to :9090; its probes (and Service) still use 8080.

    On-call sees: KubePodNotReady for a new auth-api pod. Reloader rolled the Deployment when the
    ConfigMap changed; the new pods run, log 'listening on :9090', and fail readiness with
    connection refused on 8080. The old pods keep serving, so logins still work, slower.
    """
    at = datetime(2026, 4, 6, 9, 55, tzinfo=UTC)
    inc = Incident("auth-api-not-ready", title="KubePodNotReady: auth/auth-api",
                   story="A ConfigMap moves the listen port away from the port the probes check.",
                   at=at, seed=319, skip={("auth", "auth-api")})
    change = at - timedelta(minutes=23)
    signing = inc.canary("jwt", "auth-signing")
    cm = inc.configmap("auth", "auth-api-config", {"LISTEN_ADDR": ":9090", "TOKEN_TTL": "15m",
                                                   "ISSUER": "https://auth.example.com"},
                       at=at - timedelta(days=50))
    cm["metadata"]["managedFields"] = [{
        "manager": "argocd-controller", "operation": "Update", "apiVersion": "v1", "time": ts(change),
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:LISTEN_ADDR": {}}}}]
    img = f"{REGISTRY}/auth/auth-api:1.0.9"
    env = [{"name": "SERVICE_TOKEN", "value": signing}]
    spec = {"envFrom": [{"configMapRef": {"name": "auth-api-config"}}]}

    def log(port: str) -> Any:
        def render(pod: str, start: datetime, end: datetime) -> str:
            return L.lines([(start, L.js(start, "info", "config loaded", listen=port, issuer="https://auth.example.com")),
                            (start + timedelta(milliseconds=80), L.js(start, "info", f"listening on {port}")),
                            *L.ticker(max(start + timedelta(seconds=1), end - timedelta(minutes=15)), end, 35,
                                      lambda i, t: L.js(t, "info", "token issued", client="web", took_ms=3 + i % 5)
                                      if port == ":8080" else None)])
        return render

    inc.deployment("auth", "auth-api", [
        Rev(6, at - timedelta(days=10), "deploy auth-api 1.0.9", [c("auth-api", img, env=env)], pod_spec=spec),
        Rev(7, change + timedelta(seconds=20), "reloader: auth-api-config changed", [c("auth-api", img, env=env)],
            pod_spec=spec),
    ], {6: [P(log=log(":8080"))] * 3, 7: [P("notready", log=log(":9090"), message=(
        'Readiness probe failed: Get "http://{ip}:8080/healthz/ready": dial tcp {ip}:8080: connect: '
        "connection refused"))] * 2}, replicas=4, max_surge="1", max_unavailable="1", progress="progressing")
    inc.find("Deployment", "auth", "auth-api")["metadata"]["annotations"]["reloader.stakater.com/auto"] = "true"
    pod = inc.pods_of("auth", "auth-api")[-1].name
    inc.alertmanager("KubePodNotReady", {"namespace": "auth", "pod": pod, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod auth/{pod} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod) (max by(namespace, pod) (kube_pod_status_phase{job='
                     '"kube-state-metrics", phase=~"Pending|Unknown|Failed"})) > 0')
    inc.answer_key(culprit=("ConfigMap", "auth", "auth-api-config"), keywords=["9090", "8080", "LISTEN_ADDR"],
                   root_cause="ConfigMap auth/auth-api-config changed LISTEN_ADDR to :9090; the new auth-api pods "
                              "listen there while their readiness probe (and the Service) use 8080, so they never "
                              "become Ready.",
                   category="readiness-probe-port", red_herrings=[("Deployment", "web", "frontend")])
    return inc


def reporting_replicas_mismatch() -> Incident:
    """reporting 3.0.0 warms a tenant cache for ~100 s at start; the liveness probe kills it at ~60 s.

    On-call sees: KubeDeploymentReplicasMismatch. The pods restart forever: Unhealthy (liveness,
    connection refused) then Killing, exit 143. The logs show a start-up that never finishes.
    """
    at = datetime(2026, 5, 26, 7, 20, tzinfo=UTC)
    inc = Incident("reporting-replicas-mismatch", title="KubeDeploymentReplicasMismatch: analytics/reporting",
                   story="A slower start-up meets an unchanged, too aggressive liveness probe.",
                   at=at, seed=320, namespaces=("analytics",))
    deploy_at = at - timedelta(minutes=27)
    probe = {"livenessProbe": {"httpGet": {"path": "/actuator/health/liveness", "port": 8080, "scheme": "HTTP"},
                               "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 1,
                               "failureThreshold": 3, "successThreshold": 1},
             "readinessProbe": {"httpGet": {"path": "/actuator/health/readiness", "port": 8080, "scheme": "HTTP"},
                                "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 1,
                                "failureThreshold": 3, "successThreshold": 1}}

    def log(version: str, done: bool) -> Any:
        def render(pod: str, start: datetime, end: datetime) -> str:
            out = [(start, L.spring(start, "INFO", "c.e.reporting.ReportingApplication",
                                    f"Starting ReportingApplication v{version} using Java 21.0.4 with PID 1"))]
            for i, t in enumerate(L.every(start + timedelta(seconds=6), min(end, start + timedelta(seconds=58)), 9)):
                out.append((t, L.spring(t, "INFO", "c.e.reporting.cache.TenantCacheWarmer",
                                        f"warming tenant cache: {(i + 1) * 4800}/48000 tenants")))
            if done:
                t = start + timedelta(seconds=21)
                out.append((t, L.spring(t, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                        "Tomcat started on port 8080 (http) with context path '/'")))
            else:
                t = min(end, start + timedelta(seconds=61))
                out.append((t, L.spring(t, "INFO", "o.s.b.w.embedded.tomcat.GracefulShutdown",
                                        "Commencing graceful shutdown. Waiting for active requests to complete",
                                        thread="SpringApplicationShutdownHook")))
            return L.lines(sorted(out))
        return render

    kill = ('Liveness probe failed: Get "http://{ip}:8080/actuator/health/liveness": dial tcp {ip}:8080: connect: '
            "connection refused")
    inc.deployment("analytics", "reporting", [
        Rev(17, at - timedelta(days=14), "deploy reporting 2.9.3",
            [c("reporting", f"{REGISTRY}/analytics/reporting:2.9.3", memory_limit="2Gi", memory_request="1Gi")],
            container=probe),
        Rev(18, deploy_at, "deploy reporting 3.0.0: per-tenant cache warm-up at start",
            [c("reporting", f"{REGISTRY}/analytics/reporting:3.0.0", memory_limit="2Gi", memory_request="1Gi")],
            container=probe),
    ], {17: [P(log=log("2.9.3", True))] * 2,
        18: [P("crashloop", log=log("3.0.0", False), exit_code=143, reason="Error", liveness_kill=kill,
               run_s=lambda n: 61.0)]}, replicas=2, max_surge="1", max_unavailable="0", progress="deadline")

    def ui(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 26, lambda i, t: L.nginx_access(
            t, f"10.0.1.{40 + i % 30}", f"GET /api/reports/{9100 + i}", 502 if i % 4 == 0 else 200,
            166 if i % 4 == 0 else 20412, "analytics-reporting-8080", "502" if i % 4 == 0 else "200",
            0.002 if i % 4 == 0 else 0.4 + (i % 5) / 10)))

    inc.deployment("analytics", "reporting-ui", [Rev(6, at - timedelta(days=14), "reporting-ui 2.9.3", [
        c("reporting-ui", f"{REGISTRY}/analytics/reporting-ui:2.9.3", port=80, readiness_path="/",
          liveness_path=None)])], {6: [P(log=ui)] * 2})
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "analytics", "deployment": "reporting",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment analytics/reporting has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("Deployment", "analytics", "reporting"),
                   keywords=["liveness", "3.0.0", "initialDelaySeconds"],
                   root_cause="reporting 3.0.0 needs about 100 s to warm its tenant cache before it listens, but the "
                              "liveness probe (initialDelaySeconds 30, 3 x 10 s) kills it after about 60 s, so it "
                              "restarts forever (exit 143).",
                   category="liveness-probe-slow-start",
                   red_herrings=[("Deployment", "analytics", "reporting-ui")])
    return inc


def _node(inc: Incident, index: int) -> dict[str, Any]:
    return inc.cluster.nodes[index]


def node_not_ready() -> Incident:
    """The kubelet on one node stops posting status (the instance's root volume hangs).

    On-call sees: KubeNodeNotReady. Pods on the node are not Ready and, past the 300 s
    toleration, Terminating with nobody to finish the job. Those pods' owners look unhealthy; they
    are victims of the node.
    """
    at = datetime(2026, 6, 15, 3, 10, tzinfo=UTC)
    inc = Incident("node-not-ready", title="KubeNodeNotReady",
                   story="One node's kubelet stops; its pods are stranded in Terminating.", at=at, seed=321)
    node = _node(inc, 2)
    name = node["metadata"]["name"]
    lost = at - timedelta(minutes=4)
    for cond in node["status"]["conditions"]:
        cond.update({"status": "Unknown", "reason": "NodeStatusUnknown",
                     "message": "Kubelet stopped posting node status.",
                     "lastHeartbeatTime": ts(lost), "lastTransitionTime": ts(lost + timedelta(seconds=40))})
    node["spec"]["taints"] = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
         "timeAdded": ts(lost + timedelta(seconds=40))},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ts(lost + timedelta(seconds=45))}]
    inc.event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", lost + timedelta(seconds=40),
              warning=False, component="node-controller")
    victims = []
    for h in inc.cluster.pods:
        if h.node != name:
            continue
        h.ready = lambda t: False
        for st in h.states:
            st.ready = False
        daemon = h.owner is not None and h.owner["kind"] == "DaemonSet"
        inc.cluster.patch(h.namespace, h.name, _node_lost(lost + timedelta(seconds=40), None if daemon else
                                                          lost + timedelta(seconds=345)))
        obj = inc.cluster.pod_object(h)
        inc.event(obj, "NodeNotReady", "Node is not ready", lost + timedelta(seconds=41), component="node-controller")
        if not daemon:
            inc.event(obj, "TaintManagerEviction", f"Marking for deletion Pod {h.namespace}/{h.name}",
                      lost + timedelta(seconds=345), warning=False, component="taint-eviction-controller")
            victims.append(h)
    for h in victims:
        if h.owner and h.owner["kind"] == "ReplicaSet":
            # The old pod stays Terminating (no kubelet to confirm); its ReplicaSet has already replaced it.
            inc.replacement(h, lost + timedelta(seconds=346), away_from=name)
    inc.alertmanager("KubeNodeNotReady", {"node": name, "job": "kube-state-metrics", "condition": "Ready",
                                          "status": "true"},
                     "Node is not ready.", f"{name} has been unready for more than 15 minutes.",
                     'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0')
    herring = victims[0]
    assert herring.owner is not None
    rs = inc.find(herring.owner["kind"], herring.namespace, herring.owner["name"])
    owner = rs["metadata"].get("ownerReferences", [herring.owner])[0]
    inc.answer_key(culprit=("Node", "", name), keywords=["NotReady", "kubelet"],
                   root_cause=f"Node {name} stopped reporting (Kubelet stopped posting node status); it is NotReady "
                              "and tainted unreachable, so its pods are not Ready and stuck Terminating.",
                   category="node-not-ready", red_herrings=[(owner["kind"], herring.namespace, owner["name"])])
    return inc


def _node_lost(since: datetime, deleted: datetime | None) -> Any:
    def patch(pod: dict[str, Any]) -> None:
        for cond in pod["status"]["conditions"]:
            if cond["type"] == "Ready":
                cond.update({"status": "False", "lastTransitionTime": ts(since)})
                cond.pop("reason", None)
                cond.pop("message", None)
        pod["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                            "reason": "DeletionByTaintManager",
                                            "message": "Taint manager: deleting due to NoExecute taint",
                                            "lastProbeTime": None, "lastTransitionTime": ts(since)})
        if deleted:
            pod["metadata"]["deletionTimestamp"] = ts(deleted + timedelta(seconds=30))
            pod["metadata"]["deletionGracePeriodSeconds"] = 30
    return patch


def node_pressure_alert() -> Incident:
    """etl-runner runs without a memory limit; a big backfill takes 11Gi on one node and the kubelet evicts neighbours.

    On-call sees: a KubeNodePressure alert for MemoryPressure on one node. The evicted pods on it
    are victims, and so is the node; the pod that ate the memory is still running there (usage
    far above its 512Mi request, no limit). The fix is a memory limit on etl-runner.
    """
    at = datetime(2026, 8, 25, 1, 40, tzinfo=UTC)
    inc = Incident("node-pressure-alert", title="KubeNodePressure",
                   story="A workload without a memory limit starves a node; the kubelet evicts its neighbours.",
                   at=at, seed=322, namespaces=("data",))
    node = _node(inc, 1)
    name = node["metadata"]["name"]
    began = at - timedelta(minutes=9)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "MemoryPressure":
            cond.update({"status": "True", "reason": "KubeletHasInsufficientMemory",
                         "message": "kubelet has insufficient memory available", "lastTransitionTime": ts(began)})
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule",
                               "timeAdded": ts(began)}]
    inc.event(node, "NodeHasInsufficientMemory", f"Node {name} status is now: NodeHasInsufficientMemory", began,
              warning=False, component="kubelet", host=name)
    inc.event(node, "EvictionThresholdMet", "Attempting to reclaim memory", began, at + timedelta(minutes=20),
              count=7, component="kubelet", host=name)
    img = f"{REGISTRY}/data/etl-runner:5.1.0"
    dsn = inc.canary("password", "warehouse")
    start = at - timedelta(hours=1, minutes=30)

    def etl(pod: str, s: datetime, end: datetime) -> str:
        return L.lines([(s, L.logfmt(s, "info", "backfill started", table="orders_events", days=540,
                                     dsn=f"postgresql://etl:{dsn}@warehouse.data.svc:5432/dw")),
                        *L.ticker(s + timedelta(minutes=1), end, 120, lambda i, t: L.logfmt(
                            t, "info", "partition loaded", table="orders_events", partition=f"2025-{1 + i % 12:02d}",
                            rows=1200000 + 3311 * i, buffered_rows=(i + 1) * 2400000))])

    w = inc.deployment("data", "etl-runner", [
        Rev(3, start, "etl-runner 5.1.0: historical backfill mode", [c("etl-runner", img, port=None)],
            container={"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}}),
    ], {3: [P(log=etl, node=name, created=start)]})
    etl_pod = w.pods[0]
    etl_pod.memory = lambda t: min(11.4 * 1024, 300 + (t - start).total_seconds() / 60 * 125) * MI
    inc.pod_series([etl_pod])
    victims = [h for h in inc.cluster.pods if h.node == name and h.owner and h.owner["kind"] == "ReplicaSet"
               and h.namespace in ("shop", "web", "auth", "payments")][:2]
    for k, h in enumerate(victims):
        when = began + timedelta(minutes=2 + 3 * k)
        mem = 150 + 20 * k
        container = h.containers[0].name
        msg = (f"The node was low on resource: memory. Threshold quantity: 100Mi, available: {61224 - 900 * k}Ki. "
               f"Container {container} was using {mem}Mi, request is 128Mi, has larger consumption of its request. ")
        inc.cluster.patch(h.namespace, h.name, _evicted(msg, when))
        h.memory = None
        inc.event(inc.cluster.pod_object(h), "Evicted", msg, when, host=name)
        inc.event(inc.cluster.pod_object(h), "Killing", f"Stopping container {container}", when, warning=False,
                  host=name)
        inc.replacement(h, when + timedelta(seconds=1), away_from=name)
    inc.alertmanager("KubeNodePressure", {"node": name, "condition": "MemoryPressure", "status": "true",
                                          "job": "kube-state-metrics"},
                     "Node has as active Condition.",
                     f"{name} has active Condition MemoryPressure. This is caused by resource usage exceeding "
                     "eviction thresholds.",
                     'kube_node_status_condition{job="kube-state-metrics",condition=~"(MemoryPressure|DiskPressure|'
                     'PIDPressure)",status="true"} == 1')
    herring = victims[0]
    assert herring.owner is not None
    rs = inc.find("ReplicaSet", herring.namespace, herring.owner["name"])
    owner = rs["metadata"]["ownerReferences"][0]
    inc.answer_key(culprit=("Deployment", "data", "etl-runner"), keywords=["MemoryPressure", "limit", "evict"],
                   root_cause=f"data/etl-runner has no memory limit and its backfill grew to about 11Gi on {name}; "
                              "the node hit MemoryPressure and the kubelet evicted neighbouring pods.",
                   category="node-memory-pressure-eviction",
                   red_herrings=[("Deployment", herring.namespace, owner["name"]), ("Node", "", name)])
    return inc


def _evicted(message: str, when: datetime) -> Any:
    def patch(pod: dict[str, Any]) -> None:
        status = pod["status"]
        status.update({"phase": "Failed", "reason": "Evicted", "message": message})
        for cs in status["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 137, "reason": "ContainerStatusUnknown",
                "message": "The container could not be located when the pod was terminated",
                "startedAt": cs["state"].get("running", {}).get("startedAt", ts(when)), "finishedAt": ts(when)}}})
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "PodFailed", "lastTransitionTime": ts(when)})
                cond.pop("message", None)
        status["conditions"].append({"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                                     "message": message, "lastProbeTime": None, "lastTransitionTime": ts(when)})
    return patch


SCENARIOS = [auth_api_not_ready, reporting_replicas_mismatch, node_not_ready, node_pressure_alert]
