"""Round-3 held-out incidents: twelve failures written blind to Vigil's reasoning code.

Each function builds one incident; its docstring is the story (what broke, why, what misleads).
Only the corpus kit (examples/corpus/kit.py, logs.py, podstate.py) is used, so the bundles have the
corpus layout; nothing here was tuned on an investigation of these bundles. The shared harness
(benchmarks/heldout/harness.py) loads this file as `heldout3_scenarios`, never as `scenarios`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
NODE = ["ip-10-0-1-20.eu-west-1.compute.internal", "ip-10-0-2-21.eu-west-1.compute.internal",
        "ip-10-0-3-22.eu-west-1.compute.internal", "ip-10-0-4-23.eu-west-1.compute.internal"]
"""The background's four nodes: zones 1a, 1b, 1c, 1a; InternalIPs 10.0.1.11 .. 10.0.4.14."""


# ---- small helpers ------------------------------------------------------------------------------
def _hex(seed: str, n: int = 64) -> str:
    return (hashlib.sha256(seed.encode()).hexdigest() * 2)[:n]


def _herring_log(inc: Incident, ns: str, workload: str, text: str) -> None:
    """Replace the first pod's log of a workload with something alarming but unrelated."""
    h = inc.pods_of(ns, workload)[0]
    h.logs[h.containers[0].name] = text


def _exporter_alerts(inc: Incident, alerts: list[tuple[str, dict[str, str], str, str, str]], starts: datetime,
                     group: list[str]) -> None:
    """Alertmanager v4 webhook for a team's own (non-kube-prometheus) rules: one group, several alerts."""
    built = []
    for alertname, labels, summary, description, expr in alerts:
        full = {"alertname": alertname, **labels, "prometheus": "monitoring/kube-prometheus-stack-prometheus",
                "cluster": "prod-eu-west-1"}
        ann = {"summary": summary, "description": description,
               "runbook_url": f"https://wiki.example.com/runbooks/{alertname.lower()}"}
        built.append(am.alert(full, ann, starts, expr))
    inc.alerts["alertmanager.json"] = am.alertmanager(built, group=group)


def _managed(obj: dict[str, Any], manager: str, at: datetime, operation: str = "Update") -> None:
    """The managedFields entry an edit leaves: who last wrote the object, and when."""
    obj["metadata"]["managedFields"] = [{"manager": manager, "operation": operation, "apiVersion": obj["apiVersion"],
                                         "time": ts(at), "fieldsType": "FieldsV1",
                                         "fieldsV1": {"f:data": {}} if obj["kind"] == "ConfigMap"
                                         else {"f:spec": {}}}]


def _pod_event(inc: Incident, h: PodHistory, reason: str, message: str, first: datetime, last: datetime,
               count: int = 1, warning: bool = True, component: str = "kubelet") -> None:
    inc.cluster.add_event(inc.cluster.pod_object(h), reason, message, first, last, count=count,
                          type_="Warning" if warning else "Normal", component=component,
                          host=h.node if component == "kubelet" else None)


def _gone_pod(ns: str, name: str) -> dict[str, Any]:
    """An involvedObject for a pod that no longer exists (events outlive the pods they describe)."""
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": o.uid("pod", ns, name), "resourceVersion": "5521"}}


def _node_ip(index: int) -> str:
    return f"10.0.{index + 1}.{11 + index}"


def _pino(t: datetime, level: int, host: str, msg: str, **fields: object) -> str:
    """A pino JSON line (Node.js): numeric level, epoch-millisecond time."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": host, **fields,
                       "msg": msg}, separators=(",", ":"))


def _zap(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line (Go): epoch-second float ts, caller."""
    return json.dumps({"level": level, "ts": round(t.timestamp(), 3), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def _redis(t: datetime, role: str, mark: str, msg: str) -> str:
    return f"1:{role} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} {mark} {msg}"


# ------------------------------------------------------------------------------------------------
def margin_report_runs_failing() -> Incident:
    """Istio PeerAuthentication STRICT in pricing resets a non-mesh client's plaintext connections.

    The platform team's "zero-trust phase 2" applies PeerAuthentication pricing/default with mTLS mode
    STRICT (the mesh-wide default stays PERMISSIVE). margin-report runs in analytics, a namespace
    without sidecar injection, and calls pricing-api in plaintext; pricing-api's sidecar has no filter
    chain for plaintext (NR filter_chain_not_found) and resets the connection, so every report run
    fails with "Connection reset by peer". Mesh clients (checkout) still get 200s. Evidence: the new
    object (its creation time), the client's logs in another namespace, the server sidecar's log.
    Red herring: istiod logging ACK errors for an unrelated legacy workload. Asked in chat.
    """
    at = datetime(2026, 11, 3, 13, 12, tzinfo=UTC)
    applied = at - 6 * M
    inc = Incident("margin-report-runs-failing", title="margin-report runs failing since lunchtime",
                   story=margin_report_runs_failing.__doc__ or "", at=at, seed=301,
                   namespaces=("pricing", "analytics", "istio-system"))
    inc.find("Namespace", "", "pricing")["metadata"]["labels"]["istio-injection"] = "enabled"
    token = inc.canary("token", "pricing-api-client")
    wh_pw = inc.canary("password", "warehouse")
    inc.secret("analytics", "margin-report", {"PRICING_API_TOKEN": token, "WAREHOUSE_PASSWORD": wh_pw})

    def istiod_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return (f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}Z\twarn\tads\tADS:LDS: ACK ERROR "
                        f"legacy-crm-7f9c6d5b8-q2x7k.legacy-12 Internal:Error adding/updating listener(s) "
                        f"0.0.0.0_8443: duplicate listener 0.0.0.0_8443 found")
            return (f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}Z\tinfo\tads\tPush debounce "
                    f"stable[{880 + i}] 2 for config ServiceEntry/legacy/crm-external: 100.2ms since last "
                    "change, 100.2ms since last push, full=true")
        return L.lines(L.ticker(max(start, at - 70 * M), end, 95, line))

    inc.deployment("istio-system", "istiod", [Rev(4, at - 30 * 24 * H, "helm upgrade istiod 1.23.2",
                                                  [c("discovery", "docker.io/istio/pilot:1.23.2", port=15010,
                                                     readiness_path=None, liveness_path=None)])],
                   {4: [P(log=istiod_log)]})
    inc.add({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
             "metadata": {"name": "default", "namespace": "istio-system",
                          "creationTimestamp": ts(at - 200 * 24 * H)},
             "spec": {"mtls": {"mode": "PERMISSIVE"}}})
    pa = inc.add({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                  "metadata": {"name": "default", "namespace": "pricing", "creationTimestamp": ts(applied),
                               "labels": {"app.kubernetes.io/managed-by": "argocd",
                                          "security.example.com/phase": "zero-trust-2"},
                               "annotations": {"argocd.argoproj.io/tracking-id":
                                               "mesh-policies:security.istio.io/PeerAuthentication:pricing/default"}},
                  "spec": {"mtls": {"mode": "STRICT"}}})
    _managed(pa, "argocd-controller", applied, "Apply")

    def report_log(pod: str, start: datetime, end: datetime) -> str:
        out: list[tuple[datetime, str]] = []
        for t in L.every(max(start, at - 90 * M), end, 300):
            out.append((t, L.pylog(t, "INFO", "margin_report.run", "starting margin report for 2 regions, "
                                   "1840 SKUs")))
            if t < applied:
                out.append((t + 41 * S, L.pylog(t + 41 * S, "INFO", "margin_report.run",
                                                "report written to s3://acme-finance-reports/margin/ (1840 rows)")))
                continue
            err = ("HTTPConnectionPool(host='pricing-api.pricing.svc.cluster.local', port=8080): Max retries "
                   "exceeded with url: /v1/prices/batch (Caused by ProtocolError('Connection aborted.', "
                   "ConnectionResetError(104, 'Connection reset by peer')))")
            for k in range(3):
                tk = t + (2 + 4 * k) * S
                out.append((tk, L.pylog(tk, "WARNING", "margin_report.pricing",
                                        f"pricing batch 1/8 failed (attempt {k + 1}/3): {err}")))
            te = t + 14 * S
            out.append((te, L.pylog(te, "ERROR", "margin_report.run", "report run failed: could not price 1840 "
                                    "SKUs\nTraceback (most recent call last):\n  File \"/app/margin_report/run.py\", "
                                    "line 88, in main\n    prices = client.batch(skus)\n  File \"/app/margin_report/"
                                    "pricing.py\", line 41, in batch\n    resp = self.session.post(url, json=chunk, "
                                    "timeout=10)\nrequests.exceptions.ConnectionError: " + err)))
        return L.lines(out)

    report = inc.deployment("analytics", "margin-report",
                            [Rev(9, at - 6 * 24 * H, "deploy margin-report 1.12.0",
                                 [c("margin-report", f"{REGISTRY}/analytics/margin-report:1.12.0",
                                    env=[{"name": "PRICING_URL",
                                          "value": "http://pricing-api.pricing.svc.cluster.local:8080"},
                                         {"name": "PRICING_API_TOKEN", "valueFrom": {"secretKeyRef": {
                                             "name": "margin-report", "key": "PRICING_API_TOKEN"}}}])])],
                            {9: [P(log=report_log)]})
    client_ip = inc.cluster.pod_ip(report.pods[0])

    def pricing_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 20, lambda i, t: _zap(
            t, "info", "server/http.go:77", "request served", method="POST", path="/v1/prices/batch",
            status=200, duration_ms=18 + i % 13, caller_ns="shop")))

    pricing = inc.deployment("pricing", "pricing-api",
                             [Rev(31, at - 9 * 24 * H, "deploy pricing-api 2.19.1",
                                  [c("pricing-api", f"{REGISTRY}/pricing/pricing-api:2.19.1"),
                                   c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090,
                                     readiness_path=None, liveness_path=None)])],
                             {31: [P(log=pricing_log), P(log=pricing_log)]})
    inc.service("pricing", "pricing-api", {"app": "pricing-api"}, port=8080, target=8080)
    checkout_ip = inc.cluster.pod_ip(inc.pods_of("shop", "checkout")[0])
    for h in pricing.pods:
        ip = inc.cluster.pod_ip(h)
        h.annotations = {"sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                                    '"volumes":["istio-envoy","istio-data","istio-podinfo",'
                                                    '"istio-token","istiod-ca-cert"],"revision":"default"}'}

        def stamp(t: datetime) -> str:
            return f"[{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}Z]"

        def proxy(i: int, t: datetime, ip: str = ip) -> str:
            return (f'{stamp(t)} "POST /v1/prices/batch HTTP/1.1" 200 - via_upstream - "-" 412 1834 {17 + i % 9} '
                    f'{16 + i % 9} "-" "Go-http-client/1.1" "{L.uuidish("pr" + ip, i)}" '
                    f'"pricing-api.pricing.svc.cluster.local:8080" "{ip}:8080" inbound|8080|| 127.0.0.6:{51000 + i} '
                    f"{ip}:8080 {checkout_ip}:{39000 + i} outbound_.8080_._.pricing-api.pricing.svc.cluster.local "
                    "default")
        entries = L.ticker(at - 40 * M, inc.captured, 5, proxy)
        # margin-report's plaintext attempts since STRICT: every 5 minutes, 3 tries, spread over both pods.
        for run in L.every(at - 90 * M, inc.captured, 300):
            for k in range(3):
                t = run + (2 + 4 * k) * S + timedelta(milliseconds=137)
                if t >= applied and (k + pricing.pods.index(h)) % 2 == 0:
                    entries.append((t, f'{stamp(t)} "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" '
                                       f'"-" "-" - - {ip}:8080 {client_ip}:{41000 + (run.minute * 60 + k * 7)} - -'))
        h.logs["istio-proxy"] = L.lines(sorted(entries))
    inc.ask("margin-report in analytics has failed every run since about 13:10 and finance is waiting for its "
            "numbers. What is going on?")
    inc.answer_key(
        culprit=("PeerAuthentication", "pricing", "default"), keywords=["STRICT", "mTLS", "sidecar", "plaintext"],
        root_cause="PeerAuthentication pricing/default, applied at 13:06 by the zero-trust rollout, sets mTLS mode "
                   "STRICT for the pricing namespace. margin-report runs in analytics, which has no Istio sidecar "
                   "injection, so it calls pricing-api in plaintext; pricing-api's sidecar has no filter chain for "
                   "plaintext (NR filter_chain_not_found) and resets the connection, so every report run fails with "
                   "'Connection reset by peer'. Mesh clients such as checkout are unaffected.",
        category="mesh-mtls-strict-non-mesh-client",
        red_herrings=[("Deployment", "istio-system", "istiod")])
    return inc


# ------------------------------------------------------------------------------------------------
def search_indexer_replicas_missing() -> Incident:
    """A node whose kubelet allows 110 pods runs out of VPC CNI IP addresses: new pods never get a sandbox.

    Node ip-10-0-4-23 came from the new general-v2 launch template, which sets kubelet max-pods to 110;
    without prefix delegation the AWS VPC CNI can give an m6i.xlarge only 58 pod IPs (the other nodes
    advertise 58). When search-indexer scales from 3 to 6, the scheduler puts three pods on the node
    that looks emptiest; each stays in ContainerCreating with FailedCreatePodSandBox "failed to assign
    an IP address to container". Evidence: the events and the node's allocatable pods (and the CNI's
    own IP metrics). Red herring: cluster-autoscaler logging that a batch node group is at max size.
    """
    at = datetime(2026, 11, 10, 9, 41, tzinfo=UTC)
    scaled = at - 16 * M
    inc = Incident("search-indexer-replicas-missing", title="search-indexer stuck at 3 of 6 replicas",
                   story=search_indexer_replicas_missing.__doc__ or "", at=at, seed=302,
                   namespaces=("discovery", "ci"))
    for i, node in enumerate(inc.cluster.nodes):
        node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] = "general-v2" if i == 3 else "general"
        node["status"]["capacity"]["pods"] = node["status"]["allocatable"]["pods"] = "110" if i == 3 else "58"
    new_node = inc.cluster.nodes[3]
    new_node["metadata"]["creationTimestamp"] = ts(at - 2 * 24 * H)
    new_node["metadata"]["annotations"]["alpha.kubernetes.io/provided-node-ip"] = _node_ip(3)
    inc.secret("discovery", "search-indexer-opensearch", {"username": "indexer",
                                                          "password": inc.canary("password", "opensearch")})

    def indexer_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 30, lambda i, t: L.logfmt(
            t, "info", "bulk indexed", index="products-v7", docs=480 + (i * 37) % 90, took_ms=210 + (i * 13) % 80)))

    plans = [P(log=indexer_log, node=NODE[k]) for k in (0, 1, 2)]
    plans += [P(state="waiting", waiting_reason="ContainerCreating", node=NODE[3], created=scaled + 2 * S)
              for _ in range(3)]
    wl = inc.deployment("discovery", "search-indexer",
                        [Rev(14, at - 5 * 24 * H, "deploy search-indexer 3.4.2",
                             [c("search-indexer", f"{REGISTRY}/discovery/search-indexer:3.4.2",
                                env=[{"name": "OPENSEARCH_PASSWORD", "valueFrom": {"secretKeyRef": {
                                    "name": "search-indexer-opensearch", "key": "password"}}}])])],
                        {14: plans}, replicas=6)
    wl.obj["metadata"]["annotations"]["autoscaling.example.com/last-scale"] = ts(scaled)
    stuck = wl.pods[3:]
    names = {h.name for h in stuck}
    inc.cluster.events = [e for e in inc.cluster.events if e["involvedObject"]["name"] not in names]

    def no_ip(pod: dict[str, Any]) -> None:
        for key in ("podIP", "podIPs"):
            pod["status"].pop(key, None)
        for cs in pod["status"]["containerStatuses"]:
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
    for h in stuck:
        inc.cluster.patch("discovery", h.name, no_ip)
        _pod_event(inc, h, "Scheduled", f"Successfully assigned discovery/{h.name} to {NODE[3]}", h.created,
                   h.created, warning=False, component="default-scheduler")
        sandbox = _hex(h.name)
        _pod_event(inc, h, "FailedCreatePodSandBox",
                   "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for "
                   f'sandbox "{sandbox}": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to '
                   "assign an IP address to container", h.created + 3 * S, inc.captured - 20 * S, count=61)
    # CI runners pinned to the new node group hold the rest of the node's 56 IPs.
    daemons = {"kube-proxy", "aws-node", "node-exporter"}
    used = sum(1 for h in inc.cluster.pods if h.node == NODE[3] and h.workload not in daemons and h not in stuck)
    inc.deployment("ci", "runner-pool",
                   [Rev(6, at - 40 * H, "scale runner-pool onto general-v2",
                        [c("runner", f"{REGISTRY}/ci/gitlab-runner-helper:17.5.1", port=None, memory_limit="512Mi")],
                        pod_spec={"nodeSelector": {"eks.amazonaws.com/nodegroup": "general-v2"}})],
                   {6: [P(node=NODE[3], memory_mi=70) for _ in range(56 - used)]})
    rs = inc.find("ReplicaSet", "discovery", wl.rs[14])
    inc.cluster.add_event(rs, "SuccessfulCreate", f"Created pod: {stuck[0].name}", scaled, scaled + S, count=3,
                          component="replicaset-controller")
    inc.cluster.add_event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[14]} to 6 from 3", scaled,
                          scaled, component="deployment-controller")

    def ca_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 2:
                return L.klog(t, "I", "orchestrator.go:187", "Skipping node group eks-batch-spot-20261001 - max "
                              "size reached")
            return L.klog(t, "I", "static_autoscaler.go:593", "No unschedulable pods")
        return L.lines(L.ticker(max(start, at - 60 * M), end, 10, line))
    inc.deployment("kube-system", "cluster-autoscaler",
                   [Rev(3, at - 60 * 24 * H, "helm upgrade cluster-autoscaler 9.43.0",
                        [c("cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2",
                           port=8085)])], {3: [P(log=ca_log)]})
    for i in range(4):
        labels = {"job": "aws-node", "instance": f"{_node_ip(i)}:61678", "node": NODE[i]}
        total = 56.0 if i == 3 else 42.0
        inc.series("awscni_total_ip_addresses", "gauge", "The total number of IP addresses", dict(labels),
                   lambda t, total=total: total)
        inc.series("awscni_assigned_ip_addresses", "gauge", "The number of IP addresses assigned to pods", dict(labels),
                   lambda t, i=i: (56.0 if t >= scaled else 53.0) if i == 3 else 17.0 + 3 * i)
    inc.alertmanager("KubeDeploymentReplicasMismatch",
                     {"namespace": "discovery", "deployment": "search-indexer", "job": "kube-state-metrics",
                      "container": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment discovery/search-indexer has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     '(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_'
                     'available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated'
                     '{job="kube-state-metrics"}[10m]) == 0)')
    inc.answer_key(
        culprit=("Node", "", NODE[3]), keywords=["IP address", "max-pods", "CNI", "110"],
        root_cause=f"Node {NODE[3]} was created from the general-v2 launch template, which sets kubelet max-pods "
                   "to 110, while the AWS VPC CNI (no prefix delegation) can give an m6i.xlarge only about 58 pod "
                   "IPs. The node already used all 56 of its IP addresses; when search-indexer scaled to 6, the "
                   "scheduler placed three pods there and each sandbox fails with 'failed to assign an IP address "
                   "to container', so they stay in ContainerCreating.",
        category="node-pod-ip-exhaustion",
        red_herrings=[("Deployment", "kube-system", "cluster-autoscaler")])
    return inc


# ------------------------------------------------------------------------------------------------
def ws_gateway_connect_errors() -> Incident:
    """ws-gateway 4.7.0 drops the entrypoint's `ulimit -n 65536`: each pod chokes at 1024 open sockets.

    4.7.0 moves to a distroless Node.js image, so the old `sh -c "ulimit -n 65536 && exec node ..."`
    entrypoint becomes a plain `node dist/server.js`. The nodes run containerd 2.0, whose containers
    get a soft open-files limit of 1024 (the old entrypoint had hidden that). At peak each pod holds
    ~1000 websockets; accept() fails with EMFILE, new connections hang and readiness probes time out.
    Evidence: the revision change (command), pino errors, prom-client's process_max_fds. Red herring:
    the presence Redis warning about somaxconn and overcommit. Alert: SLO burn.
    """
    at = datetime(2026, 11, 13, 18, 4, tzinfo=UTC)
    rolled = at - 70 * M
    inc = Incident("ws-gateway-connect-errors", title="ws-gateway websocket connects failing",
                   story=ws_gateway_connect_errors.__doc__ or "", at=at, seed=303, namespaces=("realtime",))
    for node in inc.cluster.nodes:
        node["status"]["nodeInfo"]["containerRuntimeVersion"] = "containerd://2.0.0"
    inc.secret("realtime", "ws-gateway-jwt", {"JWT_SECRET": inc.canary("token", "ws-jwt")})
    env = [{"name": "REDIS_URL", "value": "redis://presence-redis.realtime.svc.cluster.local:6379"},
           {"name": "JWT_SECRET", "valueFrom": {"secretKeyRef": {"name": "ws-gateway-jwt", "key": "JWT_SECRET"}}}]
    old = Rev(17, at - 9 * 24 * H, "deploy ws-gateway 4.6.0",
              [c("ws-gateway", f"{REGISTRY}/realtime/ws-gateway:4.6.0", env=env, memory_limit="1Gi")],
              container={"command": ["/bin/sh", "-c", "ulimit -n 65536 && exec node dist/server.js"]})
    new = Rev(18, rolled, "deploy ws-gateway 4.7.0 (distroless base image, CVE clean-up)",
              [c("ws-gateway", f"{REGISTRY}/realtime/ws-gateway:4.7.0", env=env, memory_limit="1Gi")],
              container={"command": ["/nodejs/bin/node", "dist/server.js"]})
    full_at = at - 12 * M

    def gw_log(pod: str, start: datetime, end: datetime) -> str:
        out = [(start + S, _pino(start + S, 30, pod, "ws-gateway 4.7.0 listening", port=8080, node="v20.18.0"))]

        def line(i: int, t: datetime) -> str | None:
            if t < full_at:
                return _pino(t, 30, pod, "connections", open=min(1010, 520 + i * 9), rooms=140 + i % 20)
            if i % 3 == 0:
                return _pino(t, 30, pod, "connections", open=1008 + i % 5, rooms=171)
            if i % 3 == 1:
                return _pino(t, 50, pod, "server error", err={
                    "type": "Error", "message": "accept EMFILE", "stack": "Error: accept EMFILE\n    at "
                    "TCP.onconnection (node:net:2178:24)", "errno": -24, "code": "EMFILE", "syscall": "accept"})
            return _pino(t, 50, pod, "failed to load template", err={
                "type": "Error", "message": "EMFILE: too many open files, open '/app/dist/views/handshake.html'",
                "errno": -24, "code": "EMFILE", "syscall": "open"})
        out += L.ticker(start + 30 * S, end, 20, line)
        return L.lines(out)

    probe = ('Readiness probe failed: Get "http://{ip}:8080/healthz/ready": context deadline exceeded '
             "(Client.Timeout exceeded while awaiting headers)")
    wl = inc.deployment("realtime", "ws-gateway", [old, new],
                        {18: [P(log=gw_log), P(state="notready", log=gw_log, message=probe), P(log=gw_log)]})
    inc.service("realtime", "ws-gateway", {"app": "ws-gateway"})
    for h in wl.pods:
        base = {"namespace": "realtime", "pod": h.name, "job": "ws-gateway"}
        inc.series("process_max_fds", "gauge", "Maximum number of open file descriptors.", dict(base),
                   lambda t, h=h: 1024.0 if t >= h.created else None)
        inc.series("process_open_fds", "gauge", "Number of open file descriptors.", dict(base),
                   lambda t, h=h: None if t < h.created else min(1024.0, 300 + (t - h.created).total_seconds() / 4))

    def redis_log(pod: str, start: datetime, end: datetime) -> str:
        t = start + 2 * S
        out = [(t, _redis(t, "C", "#", "WARNING Memory overcommit must be enabled! Without it, a background save or "
                          "replication may fail under low memory condition. Being disabled, it can also cause "
                          "failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/"
                          "1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then "
                          "reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.")),
               (t, _redis(t, "M", "#", "WARNING: The TCP backlog setting of 511 cannot be enforced because "
                          "/proc/sys/net/core/somaxconn is set to the lower value of 128.")),
               (t, _redis(t, "M", "*", "Server initialized")),
               (t, _redis(t, "M", "*", "Ready to accept connections tcp"))]
        out += L.ticker(max(start, at - 60 * M), end, 300, lambda i, t: _redis(
            t, "M", "*", "10000 changes in 60 seconds. Saving..."))
        return L.lines(out)
    inc.statefulset("realtime", "presence-redis", [c("presence-redis", "docker.io/library/redis:7.4.1", port=6379,
                                                     readiness_path=None, liveness_path=None)],
                    [P(log=redis_log)], at - 30 * 24 * H, service=6379)
    inc.slo_burn("ws-gateway", "realtime", "ws-connect-availability", "0.999", 21.4,
                 "ws-gateway is failing 2.1% of websocket upgrade requests over the last hour (objective 99.9%).")
    inc.answer_key(
        culprit=("Deployment", "realtime", "ws-gateway"), keywords=["ulimit", "open files", "1024", "EMFILE"],
        root_cause="ws-gateway 4.7.0 (revision 18) moved to a distroless image and its command no longer runs "
                   "`ulimit -n 65536` before starting node. On these containerd 2.0 nodes a container's soft "
                   "open files limit is 1024 (process_max_fds 1024), so at peak each pod runs out of file "
                   "descriptors near 1000 websockets: accept fails with EMFILE ('too many open files'), new "
                   "connections hang and readiness probes time out.",
        category="fd-limit-dropped-with-entrypoint",
        red_herrings=[("StatefulSet", "realtime", "presence-redis")])
    return inc


# ------------------------------------------------------------------------------------------------
def storefront_basket_errors() -> Incident:
    """stock-service 3.9.0 returns per-warehouse breakdowns; big baskets exceed the client's 4 MiB gRPC limit.

    ListStock responses now carry every warehouse's stock for every line. For baskets over ~30 items a
    response is 5-6 MiB; storefront-bff (namespace bff) uses grpc-go's default max receive message size
    of 4194304 bytes, so those calls fail with "ResourceExhausted ... received message larger than
    max". The server logs every call as OK. Evidence: the client's logs and metrics in another
    namespace, the server's recent revision. Red herring: ingress-nginx upstream timeouts for the
    search host. Alert: SLO burn on storefront-bff.
    """
    at = datetime(2026, 11, 17, 11, 26, tzinfo=UTC)
    rolled = at - 25 * M
    inc = Incident("storefront-basket-errors", title="storefront basket page errors for some customers",
                   story=storefront_basket_errors.__doc__ or "", at=at, seed=304, namespaces=("inventory", "bff"))
    inc.secret("inventory", "stock-db", {"DATABASE_URL": "postgres://stock:" + inc.canary("password", "stock-db") +
                                         "@stock-db.inventory.svc:5432/stock"})
    inc.secret("bff", "storefront-bff-session", {"SESSION_KEY": inc.canary("token", "bff-session")})

    def stock_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 7, lambda i, t: _zap(
            t, "info", "logging/interceptor.go:58", "finished call", **{
                "protocol": "grpc", "grpc.component": "server", "grpc.service": "stock.v1.StockService",
                "grpc.method": "ListStock", "grpc.code": "OK",
                "grpc.time_ms": round(22 + (i * 17) % 60 + (0 if t < rolled else 35), 1)})))

    db_env = [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "stock-db", "key": "DATABASE_URL"}}}]
    inc.deployment("inventory", "stock-service",
                   [Rev(12, at - 3 * 24 * H, "deploy stock-service 3.8.4",
                        [c("stock-service", f"{REGISTRY}/inventory/stock-service:3.8.4", port=9090, env=db_env)]),
                    Rev(13, rolled, "deploy stock-service 3.9.0: ListStock returns per-warehouse breakdown",
                        [c("stock-service", f"{REGISTRY}/inventory/stock-service:3.9.0", port=9090, env=db_env)])],
                   {13: [P(log=stock_log), P(log=stock_log), P(log=stock_log)]})
    inc.service("inventory", "stock-service", {"app": "stock-service"}, port=9090, target=9090)

    def bff_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            items = 4 + (i * 7) % 46
            if t >= rolled and items > 30:
                size = 4194304 + (items - 30) * 131072 + (i * 977) % 60000
                return _zap(t, "error", "basket/stock.go:112", "ListStock failed", basket_items=items,
                            error=f"rpc error: code = ResourceExhausted desc = grpc: received message larger than "
                                  f"max ({size} vs. 4194304)", trace_id=_hex(f"{pod}{i}", 32))
            return _zap(t, "info", "httpserver/log.go:41", "request", method="GET", path="/api/basket",
                        status=200, basket_items=items, duration_ms=40 + items * 2)
        return L.lines(L.ticker(max(start, at - 60 * M), end, 6, line))

    bff = inc.deployment("bff", "storefront-bff",
                         [Rev(40, at - 8 * 24 * H, "deploy storefront-bff 7.2.0",
                              [c("storefront-bff", f"{REGISTRY}/bff/storefront-bff:7.2.0",
                                 env=[{"name": "STOCK_ADDR", "value": "stock-service.inventory.svc:9090"},
                                      {"name": "SESSION_KEY", "valueFrom": {"secretKeyRef": {
                                          "name": "storefront-bff-session", "key": "SESSION_KEY"}}}])])],
                         {40: [P(log=bff_log), P(log=bff_log)]})
    inc.service("bff", "storefront-bff", {"app": "storefront-bff"})
    for h in bff.pods:
        base = {"namespace": "bff", "pod": h.name, "job": "storefront-bff", "grpc_service": "stock.v1.StockService",
                "grpc_method": "ListStock", "grpc_type": "unary"}
        inc.series("grpc_client_handled", "counter", "Total number of RPCs completed by the client.",
                   {**base, "grpc_code": "OK"}, lambda t: (t - (at - 3 * H)).total_seconds() * 6.1)
        inc.series("grpc_client_handled", "counter", "Total number of RPCs completed by the client.",
                   {**base, "grpc_code": "ResourceExhausted"},
                   lambda t: max(0.0, (t - rolled).total_seconds() * 1.9))
    _herring_log(inc, "ingress-nginx", "ingress-nginx-controller", L.lines(L.ticker(
        at - 50 * M, inc.captured, 45, lambda i, t: L.nginx_error(
            t, "upstream timed out (110: Operation timed out) while reading response header from upstream, client: "
               f"10.0.{i % 3 + 1}.77, server: search.example.com, request: \"GET /api/search?q=garden+hose&page="
               f"{i % 5 + 1} HTTP/1.1\", upstream: \"http://10.244.2.{40 + i % 3}:8080/api/search\", host: "
               "\"search.example.com\"", conn=20000 + i))))
    inc.slo_burn("storefront-bff", "bff", "basket-availability", "0.995", 8.7,
                 "storefront-bff returned 502 for 4.3% of /api/basket requests over the last hour.")
    inc.answer_key(
        culprit=("Deployment", "inventory", "stock-service"),
        keywords=["ResourceExhausted", "message size", "4194304", "3.9.0"],
        root_cause="stock-service 3.9.0 (revision 13) adds a per-warehouse breakdown to every ListStock response, "
                   "which makes responses for baskets over ~30 items 4.2 to 6 MiB. storefront-bff's gRPC client "
                   "keeps grpc-go's default max receive message size of 4 MiB (4194304 bytes), so those calls fail "
                   "with ResourceExhausted 'received message larger than max' and the basket page returns 502.",
        category="grpc-max-message-size",
        red_herrings=[("Deployment", "ingress-nginx", "ingress-nginx-controller")])
    return inc



# ------------------------------------------------------------------------------------------------
def order_api_capacity_page() -> Incident:
    """order-api's topologySpreadConstraints (DoNotSchedule, maxSkew 1) cannot be met with zone 1c cordoned.

    EC2 capacity in eu-west-1c is impaired; following the zonal-shift runbook, the on-call cordons and
    drains the zone's only node. order-api's two 1c pods are evicted. Their replacements stay Pending:
    the cordoned node still counts as a zone with 0 order-api pods (nodeTaintsPolicy Ignore), so any
    placement in 1a or 1b would make the skew 3 > maxSkew 1, and whenUnsatisfiable is DoNotSchedule.
    Evidence: FailedScheduling events only, and the Deployment's spec. Red herring: order-api-config
    edited half an hour earlier (a feature flag no pod has read yet). Alert: PagerDuty.
    """
    at = datetime(2026, 11, 20, 15, 37, tzinfo=UTC)
    drained = at - 14 * M
    inc = Incident("order-api-capacity-page", title="order-api running below capacity",
                   story=order_api_capacity_page.__doc__ or "", at=at, seed=305, namespaces=("orders",))
    node = inc.cluster.nodes[2]
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": ts(drained)}]
    node["metadata"]["annotations"]["ops.example.com/cordon-reason"] = "AZ 1c EC2 impairment, zonal shift INC-2291"
    inc.cluster.add_event(node, "NodeNotSchedulable", f"Node {NODE[2]} status is now: NodeNotSchedulable",
                          drained, drained, host=NODE[2])
    inc.secret("orders", "order-api-db", {"password": inc.canary("password", "orders-db")})
    inc.secret("orders", "order-api-psp", {"STRIPE_KEY": inc.canary("stripe", "orders-stripe")})
    herring_at = at - 31 * M
    inc.configmap("orders", "order-api-config", {"FEATURE_TAX_ENGINE_V2": "true", "TAX_ENGINE_URL":
                                                 "http://tax-engine.orders.svc:8080", "LOG_LEVEL": "info"},
                  at=at - 90 * 24 * H)
    _managed(inc.find("ConfigMap", "orders", "order-api-config"), "kubectl-edit", herring_at)

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 15, lambda i, t: L.logfmt(
            t, "info", "request", method=["POST", "GET"][i % 2], path=["/v1/orders", "/v1/orders/status"][i % 2],
            status=[201, 200][i % 2], duration_ms=35 + (i * 11) % 50)))

    spread = {"topologySpreadConstraints": [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "order-api"}}}]}
    pending = ("0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) didn't match pod topology spread "
               "constraints. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No "
               "preemption victims found for incoming pod.")
    plans = [P(log=api_log, node=NODE[k]) for k in (0, 3, 1, 1)]
    plans += [P(state="pending", message=pending, created=drained + 20 * S),
              P(state="pending", message=pending, created=drained + 24 * S)]
    wl = inc.deployment("orders", "order-api",
                        [Rev(27, at - 11 * 24 * H, "deploy order-api 6.4.1",
                             [c("order-api", f"{REGISTRY}/orders/order-api:6.4.1", memory_limit="768Mi",
                                env=[{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
                                    "name": "order-api-db", "key": "password"}}}])], pod_spec=spread)],
                        {27: plans}, replicas=6)
    rs = inc.find("ReplicaSet", "orders", wl.rs[27])
    for k, h in enumerate(wl.pods[4:]):
        gone = f"{wl.rs[27]}-{o.suffix(h.name + '/evicted', 5)}"
        inc.cluster.add_event(_gone_pod("orders", gone), "Killing", "Stopping container order-api",
                              drained + (3 + k) * S, drained + (3 + k) * S, host=NODE[2])
        inc.cluster.add_event(rs, "SuccessfulCreate", f"Created pod: {h.name}", h.created, h.created,
                              component="replicaset-controller")
    inc.pagerduty("[FIRING:1] KubeDeploymentReplicasMismatch orders/order-api (prod-eu-west-1)",
                  "Orders Platform")
    inc.answer_key(
        culprit=("Deployment", "orders", "order-api"),
        keywords=["DoNotSchedule", "topology spread", "maxSkew", "cordoned"],
        root_cause="order-api's pod template has a zone topology spread constraint with maxSkew 1 and "
                   f"whenUnsatisfiable DoNotSchedule. With {NODE[2]}, the only node in eu-west-1c, cordoned and "
                   "drained for the AZ impairment, the zone still counts with zero order-api pods, so placing the "
                   "two evicted replicas in 1a or 1b would break the skew: they stay Pending ('didn't match pod "
                   "topology spread constraints') and order-api runs 4 of 6 replicas.",
        category="topology-spread-unsatisfiable",
        red_herrings=[("ConfigMap", "orders", "order-api-config")])
    return inc


# ------------------------------------------------------------------------------------------------
def thumbnail_backlog() -> Incident:
    """A hand edit sets thumbnailer's LOG_LEVEL to DEBUG; its file log fills a 512Mi emptyDir and pods are evicted.

    thumbnailer writes its log to a file on an emptyDir (sizeLimit 512Mi) that a sidecar-less setup
    never rotates. At INFO it grows a few MiB a day; someone sets LOG_LEVEL=DEBUG in
    thumbnailer-config and restarts the Deployment to chase a bug, and the DEBUG log (every image's
    EXIF and every S3 call) fills the volume in ~15 minutes. The kubelet evicts each pod ("Usage of
    EmptyDir volume ... exceeds the limit"), replacements start from scratch and the queue backs up.
    Evidence: the ConfigMap (its last edit), the Evicted pods and events. Red herring: cdn-purger
    crash-looping on an expired CDN token. Alert: the RabbitMQ queue backlog rule.
    """
    at = datetime(2026, 11, 24, 10, 52, tzinfo=UTC)
    edited = at - 52 * M
    restarted = at - 48 * M
    inc = Incident("thumbnail-backlog", title="thumbnail queue backing up", story=thumbnail_backlog.__doc__ or "",
                   at=at, seed=306, namespaces=("media",))
    cm = inc.configmap("media", "thumbnailer-config", {"LOG_LEVEL": "DEBUG", "LOG_FILE":
                                                       "/var/log/thumbnailer/worker.log", "WORKERS": "4",
                                                       "S3_BUCKET": "acme-media-thumbs"}, at=at - 200 * 24 * H)
    _managed(cm, "kubectl-edit", edited)
    aws_key = inc.canary("aws", "media-s3")
    inc.secret("media", "thumbnailer-s3", {"AWS_ACCESS_KEY_ID": aws_key,
                                           "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "media-s3")})
    inc.secret("media", "rabbitmq", {"password": inc.canary("password", "media-rabbit")})
    inc.secret("media", "cdn-purger", {"FASTLY_API_TOKEN": inc.canary("token", "fastly")})
    env = [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "thumbnailer-config", "key": "LOG_LEVEL"}}},
           {"name": "LOG_FILE", "valueFrom": {"configMapKeyRef": {"name": "thumbnailer-config", "key": "LOG_FILE"}}},
           {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "thumbnailer-s3",
                                                                         "key": "AWS_ACCESS_KEY_ID"}}}]
    logs_volume = {"volumes": [{"name": "app-logs", "emptyDir": {"sizeLimit": "512Mi"}}]}
    mounts = {"volumeMounts": [{"name": "app-logs", "mountPath": "/var/log/thumbnailer"}]}

    def thumb_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start + 2 * S, L.pylog(start + 2 * S, "INFO", "thumbnailer", "starting 4 workers, queue "
                                                "thumbnails on amqp://rabbitmq.media.svc:5672/")),
                        (start + 2 * S, L.pylog(start + 2 * S, "INFO", "thumbnailer", "logging to "
                                                "/var/log/thumbnailer/worker.log at level DEBUG"))])

    cont = [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:5.0.3", env=env, port=None, memory_limit="1Gi")]
    wl = inc.deployment("media", "thumbnailer",
                        [Rev(5, at - 20 * 24 * H, "deploy thumbnailer 5.0.3", cont, pod_spec=logs_volume,
                             container=mounts),
                         Rev(6, restarted, "kubectl rollout restart", cont, pod_spec=logs_volume, container=mounts)],
                        {6: [P(log=thumb_log, created=restarted + 75 * M + k * 20 * S) for k in range(3)]})
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = \
        ts(restarted)
    rs = inc.find("ReplicaSet", "media", wl.rs[6])
    template = wl.pods[0]
    limit_msg = 'Usage of EmptyDir volume "app-logs" exceeds the limit "512Mi". '
    # Five generations of three pods, each evicted 14-16 minutes after it started; the sixth runs now.
    names = [[f"{wl.rs[6]}-{o.suffix(f'evicted-{g}-{k}', 5)}" for k in range(3)] for g in range(5)]
    names.append([h.name for h in wl.pods])
    for g in range(5):
        for k in range(3):
            created = restarted + g * 15 * M + k * 20 * S
            evicted = created + (14 + k) * M
            name = names[g][k]
            h = inc.cluster.add_pod(PodHistory(name=name, namespace="media", workload="thumbnailer",
                                               containers=template.containers, node=NODE[(g + k) % 4],
                                               created=created,
                                               states=[o.ContainerState(ready=False, started_at=created + 6 * S)],
                                               memory=None, labels=dict(template.labels), owner=template.owner,
                                               ready=lambda t: False))

            def evict(pod: dict[str, Any], evicted: datetime = evicted) -> None:
                status = pod["status"]
                status.update({"phase": "Failed", "reason": "Evicted", "message": limit_msg})
                for cs in status["containerStatuses"]:
                    cs.update({"ready": False, "started": False, "state": {"terminated": {
                        "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not "
                        "be located when the pod was terminated", "startedAt": cs.get("state", {}).get(
                            "running", {}).get("startedAt", ts(evicted)), "finishedAt": ts(evicted)}}})
                for cond in status["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond.update({"status": "False", "reason": "PodFailed", "lastTransitionTime": ts(evicted)})
                status["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                             "reason": "TerminationByKubelet", "message": limit_msg.strip(),
                                             "lastTransitionTime": ts(evicted)})
                status.pop("podIP", None)
                status.pop("podIPs", None)
            inc.cluster.patch("media", name, evict)
            _pod_event(inc, h, "Evicted", limit_msg, evicted, evicted)
            _pod_event(inc, h, "Killing", "Stopping container thumbnailer", evicted + S, evicted + S, warning=False)
            inc.cluster.add_event(rs, "SuccessfulCreate", f"Created pod: {names[g + 1][k]}", evicted + 2 * S,
                                  evicted + 2 * S, component="replicaset-controller")

    def purger_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start + S, L.logfmt(start + S, "info", "starting cdn-purger", version="1.3.0")),
                        (start + 2 * S, L.logfmt(start + 2 * S, "error", "purge failed", status=401,
                                                 body='{"msg":"Provided credentials are missing or invalid"}')),
                        (start + 2 * S, L.logfmt(start + 2 * S, "fatal", "cannot authenticate to Fastly API, "
                                                 "exiting"))])
    inc.deployment("media", "cdn-purger",
                   [Rev(3, at - 50 * 24 * H, "deploy cdn-purger 1.3.0",
                        [c("cdn-purger", f"{REGISTRY}/media/cdn-purger:1.3.0", port=None,
                           env=[{"name": "FASTLY_API_TOKEN", "valueFrom": {"secretKeyRef": {
                               "name": "cdn-purger", "key": "FASTLY_API_TOKEN"}}}])])],
                   {3: [P(state="crashloop", log=purger_log, run_s=lambda n: 2.0,
                          crash_from=at - 26 * H)]})
    inc.statefulset("media", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management", port=5672,
                                            readiness_path=None, liveness_path=None, memory_limit="2Gi")],
                    [P()], at - 200 * 24 * H, service=5672)
    inc.series("rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {"namespace": "media", "queue": "thumbnails", "vhost": "/", "job": "rabbitmq"},
               lambda t: 40.0 if t < restarted + 14 * M else 40 + (t - restarted - 14 * M).total_seconds() * 2.6)
    _exporter_alerts(inc, [("RabbitmqQueueBacklog", {"namespace": "media", "queue": "thumbnails", "vhost": "/",
                                                     "severity": "warning", "team": "media"},
                            "Queue thumbnails has more than 5000 messages ready",
                            "Messages are piling up in media/thumbnails faster than consumers take them "
                            "(threshold 5000).",
                            'rabbitmq_queue_messages_ready{queue="thumbnails"} > 5000')],
                     at, ["alertname", "namespace"])
    inc.answer_key(
        culprit=("ConfigMap", "media", "thumbnailer-config"), keywords=["DEBUG", "emptyDir", "512Mi", "evict"],
        root_cause="Someone edited ConfigMap media/thumbnailer-config at 10:00 to set LOG_LEVEL=DEBUG and restarted "
                   "thumbnailer. It logs to /var/log/thumbnailer/worker.log on the app-logs emptyDir (sizeLimit "
                   "512Mi), and at DEBUG the file fills the volume in about 15 minutes: the kubelet keeps evicting "
                   "the pods ('Usage of EmptyDir volume \"app-logs\" exceeds the limit'), so thumbnails stop being "
                   "processed and the queue backs up.",
        category="emptydir-log-eviction",
        red_herrings=[("Deployment", "media", "cdn-purger")])
    return inc


# ------------------------------------------------------------------------------------------------
def _job(inc: Incident, ns: str, name: str, cronjob: str, image: str, scheduled: datetime,
         status: dict[str, Any]) -> dict[str, Any]:
    """A Job the CronJob controller created at `scheduled`, with its controller labels and owner."""
    return inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(scheduled),
                     "labels": {"app": cronjob, "batch.kubernetes.io/job-name": name},
                     "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(scheduled)},
                     "ownerReferences": [o.owner_ref("CronJob", cronjob, ns, api_version="batch/v1")]},
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed",
                 "template": {"metadata": {"labels": {"app": cronjob, "batch.kubernetes.io/job-name": name}},
                              "spec": {"restartPolicy": "Never",
                                       "containers": [c(cronjob, image, port=None).spec()]}}},
        "status": status})


def _job_pod(inc: Incident, ns: str, job: str, image: str, created: datetime, log: str, node: str) -> PodHistory:
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    cron = job.rsplit("-", 1)[0]
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=cron, containers=[c(cron, image, port=None)], node=node, created=created,
        states=[o.ContainerState(started_at=created + 4 * S)], memory=lambda t: 96 * 1024 * 1024.0,
        labels={"app": cron, "batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={cron: log}))
    return h


def ledger_export_stale() -> Incident:
    """An hourly CronJob (concurrencyPolicy Forbid) is stuck behind a run hung on an SFTP upload.

    The 06:15 ledger-export run connects to the bank's SFTP server and its upload stalls (the bank's
    firewall dropped the session mid-transfer; paramiko has no timeout set and the Job has no
    activeDeadlineSeconds). The pod is Running, silent since 06:15:09. Because the CronJob's
    concurrencyPolicy is Forbid, the controller skips the 07:15 and 08:15 runs (JobAlreadyActive) and
    no file has reached the bank for three hours. Evidence: the CronJob's status.active and events,
    the Job's age, the last log line. Red herring: a run that failed two days ago. Alert: the team's
    freshness rule on a pushgateway metric.
    """
    at = datetime(2026, 11, 19, 8, 20, tzinfo=UTC)
    ns = "finance"
    inc = Incident("ledger-export-stale", title="no ledger export delivered to the bank since early morning",
                   story=ledger_export_stale.__doc__ or "", at=at, seed=307, namespaces=(ns,))
    image = f"{REGISTRY}/finance/ledger-export:2.2.1"
    inc.secret(ns, "ledger-export-sftp", {"SFTP_KEY_PASSPHRASE": inc.canary("password", "sftp"),
                                          "ARCHIVE_AWS_ACCESS_KEY_ID": inc.canary("aws", "ledger-archive")})

    def job_name(t: datetime) -> str:
        return f"ledger-export-{int(t.timestamp() // 60)}"
    hung_at = datetime(2026, 11, 19, 6, 15, tzinfo=UTC)
    ok_at = hung_at - H
    failed_at = hung_at - 49 * H
    hung, ok, failed = job_name(hung_at), job_name(ok_at), job_name(failed_at)
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "ledger-export", "namespace": ns, "generation": 4,
                     "creationTimestamp": ts(at - 300 * 24 * H)},
        "spec": {"schedule": "15 * * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                 "startingDeadlineSeconds": 600, "suspend": False, "successfulJobsHistoryLimit": 3,
                 "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "restartPolicy": "Never", "containers": [c("ledger-export", image, port=None, env=[
                         {"name": "SFTP_HOST", "value": "sftp.partner-bank.example.net:22"},
                         {"name": "SFTP_KEY_PASSPHRASE", "valueFrom": {"secretKeyRef": {
                             "name": "ledger-export-sftp", "key": "SFTP_KEY_PASSPHRASE"}}}]).spec()]}}}}},
        "status": {"active": [{"kind": "Job", "namespace": ns, "name": hung, "apiVersion": "batch/v1",
                               "uid": o.uid("job", ns, hung), "resourceVersion": "88121"}],
                   "lastScheduleTime": ts(hung_at), "lastSuccessfulTime": ts(ok_at + 4 * M + 12 * S)}})
    for t, name in ((failed_at, failed), (ok_at, ok), (hung_at, hung)):
        inc.cluster.add_event(cron, "SuccessfulCreate", f"Created job {name}", t, t, component="cronjob-controller")
    inc.cluster.add_event(cron, "SawCompletedJob", f"Saw completed job: {ok}, status: Complete",
                          ok_at + 4 * M + 13 * S, ok_at + 4 * M + 13 * S, component="cronjob-controller")
    inc.cluster.add_event(cron, "JobAlreadyActive", "Not starting job because prior execution is running and "
                          "concurrency policy is Forbid", hung_at + H, hung_at + 2 * H, count=2,
                          component="cronjob-controller")
    _job(inc, ns, hung, "ledger-export", image, hung_at,
         {"active": 1, "ready": 1, "startTime": ts(hung_at + S), "uncountedTerminatedPods": {}})
    _job(inc, ns, ok, "ledger-export", image, ok_at,
         {"succeeded": 1, "startTime": ts(ok_at + S), "completionTime": ts(ok_at + 4 * M + 12 * S),
          "conditions": [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": ts(ok_at + 4 * M + 12 * S),
                          "lastTransitionTime": ts(ok_at + 4 * M + 12 * S)},
                         {"type": "Complete", "status": "True", "lastProbeTime": ts(ok_at + 4 * M + 12 * S),
                          "lastTransitionTime": ts(ok_at + 4 * M + 12 * S)}]})
    _job(inc, ns, failed, "ledger-export", image, failed_at,
         {"failed": 1, "startTime": ts(failed_at + S),
          "conditions": [{"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                          "message": "Job has reached the specified backoff limit",
                          "lastProbeTime": ts(failed_at + 2 * M), "lastTransitionTime": ts(failed_at + 2 * M)},
                         {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                          "message": "Job has reached the specified backoff limit",
                          "lastProbeTime": ts(failed_at + 2 * M), "lastTransitionTime": ts(failed_at + 2 * M)}]})

    def run_log(start: datetime, hour: str, outcome: str) -> str:
        t = start + 3 * S
        out = [(t, L.pylog(t, "INFO", "ledger_export", f"exporting ledger entries for {hour}")),
               (t + 2 * S, L.pylog(t + 2 * S, "INFO", "ledger_export", "wrote 48211 rows to /tmp/ledger.csv.gz "
                                   "(18.4 MB)")),
               (t + 3 * S, L.pylog(t + 3 * S, "INFO", "paramiko.transport", "Connected (version 2.0, client "
                                   "OpenSSH_8.9p1)")),
               (t + 4 * S, L.pylog(t + 4 * S, "INFO", "paramiko.transport", "Authentication (publickey) "
                                   "successful!")),
               (t + 4 * S, L.pylog(t + 4 * S, "INFO", "paramiko.transport.sftp", "[chan 0] Opened sftp connection "
                                   "(server version 3)")),
               (t + 5 * S, L.pylog(t + 5 * S, "INFO", "ledger_export", "uploading ledger.csv.gz to /inbound/acme/"))]
        if outcome == "ok":
            out.append((t + 4 * M, L.pylog(t + 4 * M, "INFO", "ledger_export", "upload complete; pushed "
                                            "ledger_export_last_success_timestamp_seconds")))
        elif outcome == "failed":
            out = [*out[:2], (t + 2 * M, L.pylog(t + 2 * M, "ERROR", "ledger_export", "SFTP connect failed: "
                                                  "[Errno 110] Connection timed out (bank maintenance window?)"))]
        return L.lines(out)
    h = _job_pod(inc, ns, hung, image, hung_at + S, run_log(hung_at + S, "05:00-06:00", "hung"), NODE[1])
    _pod_event(inc, h, "Scheduled", f"Successfully assigned {ns}/{h.name} to {h.node}", hung_at + S, hung_at + S,
               warning=False, component="default-scheduler")
    done = _job_pod(inc, ns, ok, image, ok_at + S, run_log(ok_at + S, "04:00-05:00", "ok"), NODE[0])
    inc.cluster.patch(ns, done.name, terminated(0, "Completed", ok_at + 5 * S, ok_at + 4 * M + 10 * S,
                                                phase="Succeeded"))
    bad = _job_pod(inc, ns, failed, image, failed_at + S, run_log(failed_at + S, "(two days ago) 05:00-06:00",
                                                                  "failed"), NODE[2])
    inc.cluster.patch(ns, bad.name, terminated(1, "Error", failed_at + 5 * S, failed_at + 2 * M))
    last_ok = (ok_at + 4 * M + 12 * S).timestamp()
    inc.series("ledger_export_last_success_timestamp_seconds", "gauge",
               "Unix time of the last ledger export the bank accepted.",
               {"job": "ledger-export", "instance": "", "exported_namespace": ns}, lambda t: last_ok)
    _exporter_alerts(inc, [("LedgerExportStale", {"namespace": ns, "job": "ledger-export", "severity": "critical",
                                                  "team": "finance-platform"},
                            "No ledger export has reached the bank for more than 3 hours",
                            "The last ledger export the bank accepted finished at 05:19 UTC. Settlement "
                            "reconciliation at 10:00 needs the 06:00 and 07:00 files.",
                            'time() - ledger_export_last_success_timestamp_seconds{job="ledger-export"} > 3 * 3600')],
                     at, ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Job", ns, hung), keywords=["Forbid", "SFTP", "hung", "activeDeadlineSeconds"],
        root_cause=f"Job {hung}, the 06:15 run of CronJob ledger-export, has hung for two hours on its SFTP upload "
                   "to the bank (no client timeout and no activeDeadlineSeconds), so its pod is still Running. The "
                   "CronJob's concurrencyPolicy is Forbid, so the controller skips every later run "
                   "(JobAlreadyActive) and no ledger file has been delivered since 05:19.",
        category="cronjob-forbid-blocked-by-hung-job",
        red_herrings=[("Job", ns, failed)])
    return inc


# ------------------------------------------------------------------------------------------------
def usage_events_rejected() -> Incident:
    """usage-aggregator 2.8.0 was applied to a StatefulSet with updateStrategy OnDelete: no pod runs it.

    The producer team ships usage events schema v5 (a new tenant_tier field) after the aggregator team
    released 2.8.0, which accepts it. But usage-aggregator's StatefulSet has used updateStrategy
    OnDelete since an old migration, so `helm upgrade` changed the template and nothing else: all
    three pods still run 2.7.3 (currentRevision != updateRevision, updatedReplicas 0) and reject
    every v5 event. Evidence: the StatefulSet's status and the pods' image and startup banner.
    Red herring: invoice-pdf's rendering timeouts. Alert: a grouped notification, one per pod.
    """
    at = datetime(2026, 11, 26, 14, 8, tzinfo=UTC)
    ns = "billing"
    released = at - 70 * M
    producer_at = at - 32 * M
    inc = Incident("usage-events-rejected", title="usage events rejected by the aggregator",
                   story=usage_events_rejected.__doc__ or "", at=at, seed=308, namespaces=(ns,))
    inc.secret(ns, "usage-aggregator-clickhouse", {"password": inc.canary("password", "clickhouse")})
    inc.secret(ns, "invoice-pdf", {"STRIPE_KEY": inc.canary("stripe", "billing-stripe")})

    def agg_log(pod: str, start: datetime, end: datetime) -> str:
        t0 = start + 4 * S
        out = [(t0, L.spring(t0, "INFO", "c.a.usage.UsageAggregatorApplication", "Starting UsageAggregatorApplication "
                             "v2.7.3 using Java 21.0.4 with PID 1 (/app/usage-aggregator.jar started by app in /app)")),
               (t0 + 9 * S, L.spring(t0 + 9 * S, "INFO", "c.a.usage.UsageAggregatorApplication", "Started "
                                     "UsageAggregatorApplication in 9.114 seconds (process running for 9.87)"))]

        def line(i: int, t: datetime) -> str:
            if t >= producer_at and i % 4:
                return L.spring(t, "WARN", "c.a.usage.ingest.EventValidator", f"rejecting usage event "
                                f"{_hex(pod + str(i), 12)}: unsupported schema_version 5 (max 4): unknown field "
                                "'tenant_tier'", thread="ingest-3")
            return L.spring(t, "INFO", "c.a.usage.ingest.BatchWriter", f"flushed {380 + i % 60} usage rows to "
                            "clickhouse", thread="flush-1")
        out += L.ticker(max(start, at - 60 * M), end, 12, line)
        return L.lines(out)

    old_image = f"{REGISTRY}/billing/usage-aggregator:2.7.3"
    wl = inc.statefulset(ns, "usage-aggregator", [c("usage-aggregator", old_image, memory_limit="2Gi",
                                                    env=[{"name": "CLICKHOUSE_PASSWORD", "valueFrom": {
                                                        "secretKeyRef": {"name": "usage-aggregator-clickhouse",
                                                                         "key": "password"}}}])],
                         [P(log=agg_log), P(log=agg_log), P(log=agg_log)], at - 19 * 24 * H,
                         claims=[("spool", "20Gi", "gp3")], service=8080)
    sts = wl.obj
    old_rev = sts["status"]["currentRevision"]
    new_rev = f"usage-aggregator-{o.suffix('usage-aggregator-2.8.0', 10)}"
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = f"{REGISTRY}/billing/usage-aggregator:2.8.0"
    sts["spec"]["updateStrategy"] = {"type": "OnDelete"}
    sts["metadata"]["generation"] = 9
    sts["metadata"]["labels"].update({"app.kubernetes.io/version": "2.8.0", "helm.sh/chart": "usage-aggregator-2.8.0",
                                      "app.kubernetes.io/managed-by": "Helm"})
    sts["metadata"]["annotations"] = {"meta.helm.sh/release-name": "usage-aggregator",
                                      "meta.helm.sh/release-namespace": ns}
    _managed(sts, "helm", released)
    sts["status"].update({"observedGeneration": 9, "currentRevision": old_rev, "updateRevision": new_rev,
                          "currentReplicas": 3, "updatedReplicas": 0})
    for k, (rev, when, image) in enumerate(((old_rev, at - 19 * 24 * H, old_image),
                                            (new_rev, released, f"{REGISTRY}/billing/usage-aggregator:2.8.0"))):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 6 + k,
                 "metadata": {"name": rev, "namespace": ns, "creationTimestamp": ts(when),
                              "labels": {"app": "usage-aggregator",
                                         "controller.kubernetes.io/hash": rev.rsplit("-")[-1]},
                              "ownerReferences": [o.owner_ref("StatefulSet", "usage-aggregator", ns)]},
                 "data": {"spec": {"template": {"spec": {"containers": [{"name": "usage-aggregator",
                                                                          "image": image}]}}}}})

    def producer_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 30 * M), end, 20, lambda i, t: L.logfmt(
            t, "info", "published usage batch", schema_version=5, events=200 + i % 40, topic="usage-events")))
    inc.deployment(ns, "usage-producer",
                   [Rev(51, at - 6 * 24 * H, "deploy usage-producer 4.0.9",
                        [c("usage-producer", f"{REGISTRY}/billing/usage-producer:4.0.9")]),
                    Rev(52, producer_at, "deploy usage-producer 4.1.0 (usage schema v5: tenant_tier)",
                        [c("usage-producer", f"{REGISTRY}/billing/usage-producer:4.1.0")])],
                   {52: [P(log=producer_log), P(log=producer_log)]})

    def pdf_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 140, lambda i, t: L.logfmt(
            t, "error", "render failed", invoice=f"INV-2026-{88100 + i}",
            error="wkhtmltopdf: Exit with code 1 due to network error: OperationCanceledError (timeout 30s)")))
    inc.deployment(ns, "invoice-pdf", [Rev(12, at - 13 * 24 * H, "deploy invoice-pdf 1.9.2",
                                           [c("invoice-pdf", f"{REGISTRY}/billing/invoice-pdf:1.9.2", env=[
                                               {"name": "STRIPE_KEY", "valueFrom": {"secretKeyRef": {
                                                   "name": "invoice-pdf", "key": "STRIPE_KEY"}}}])])],
                   {12: [P(log=pdf_log)]})
    for h in wl.pods:
        inc.series("usage_events_rejected", "counter", "Usage events rejected by validation.",
                   {"namespace": ns, "pod": h.name, "job": "usage-aggregator"},
                   lambda t: max(0.0, (t - producer_at).total_seconds() * 11.5))
    _exporter_alerts(inc, [("UsageEventsRejected", {"namespace": ns, "pod": h.name, "service": "usage-aggregator",
                                                    "severity": "warning", "team": "billing"},
                            "usage-aggregator is rejecting usage events",
                            f"{h.name} rejected {71 + k}% of usage events over the last 10 minutes.",
                            'sum by (namespace, pod) (rate(usage_events_rejected_total[10m])) / sum by (namespace, '
                            'pod) (rate(usage_events_received_total[10m])) > 0.05')
                           for k, h in enumerate(wl.pods)], at, ["alertname", "namespace"])
    inc.answer_key(
        culprit=("StatefulSet", ns, "usage-aggregator"), keywords=["OnDelete", "2.7.3", "revision", "2.8.0"],
        root_cause="StatefulSet billing/usage-aggregator has updateStrategy OnDelete, so the 2.8.0 release (which "
                   "accepts usage schema v5) changed only the template: no pod was deleted and recreated, all "
                   "three still run 2.7.3 (currentRevision differs from updateRevision, updatedReplicas 0). When "
                   "usage-producer 4.1.0 started sending v5 events with tenant_tier, the old pods reject them.",
        category="statefulset-ondelete-not-rolled",
        red_herrings=[("Deployment", ns, "invoice-pdf")])
    return inc



# ------------------------------------------------------------------------------------------------
def _kafka_ts(t: datetime) -> str:
    return f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d}]"


def shipment_lag() -> Incident:
    """max.poll.interval.ms cut to 30 s in the consumer's ConfigMap: batches take ~50 s, the group never settles.

    A "consumer tuning" change to shipment-consumer-config lowers max.poll.interval.ms from 300000 to
    30000 ("detect stuck consumers faster") and keeps max-poll-records 500; each record calls the
    label printer (~100 ms), so a batch takes ~50 s. Every consumer overruns the poll interval, leaves
    the group, rejoins, and its offsets commit fails (CommitFailedException): a rebalance storm, lag
    climbs. Evidence: the ConfigMap, the Spring Kafka logs, the broker's GroupCoordinator log in
    namespace kafka. Red herring: label-printer-api's slow-request warnings (it was always that
    slow). Alert: kafka-exporter's consumer-group lag rule.
    """
    at = datetime(2026, 11, 25, 10, 44, tzinfo=UTC)
    ns = "fulfilment"
    changed = at - 55 * M
    inc = Incident("shipment-lag", title="shipment events lagging", story=shipment_lag.__doc__ or "", at=at,
                   seed=309, namespaces=(ns, "kafka"))
    inc.secret(ns, "shipment-consumer-kafka", {"sasl.jaas.config": "org.apache.kafka.common.security.scram."
                                               "ScramLoginModule required username=\"shipment-consumer\" password=\""
                                               + inc.canary("password", "kafka-sasl") + "\";"})
    inc.secret(ns, "label-printer-api", {"API_TOKEN": inc.canary("token", "label-printer")})
    config = ("spring:\n  kafka:\n    bootstrap-servers: kafka-0.kafka-headless.kafka.svc.cluster.local:9092,"
              "kafka-1.kafka-headless.kafka.svc.cluster.local:9092\n    consumer:\n      group-id: shipment-consumer\n"
              "      enable-auto-commit: false\n      max-poll-records: 500\n      properties:\n"
              "        max.poll.interval.ms: 30000\n        session.timeout.ms: 45000\n"
              "        partition.assignment.strategy: org.apache.kafka.clients.consumer.CooperativeStickyAssignor\n"
              "    listener:\n      ack-mode: batch\nlabel-printer:\n  url: http://label-printer-api.fulfilment.svc:80\n")
    cm = inc.configmap(ns, "shipment-consumer-config", {"application.yaml": config}, at=at - 400 * 24 * H,
                       annotations={"meta.helm.sh/release-name": "shipment-consumer",
                                    "meta.helm.sh/release-namespace": ns})
    _managed(cm, "helm", changed)
    coordinator = "kafka-1.kafka-headless.kafka.svc.cluster.local:9092 (id: 2147483646 rack: null)"
    cc = "o.a.k.c.c.internals.ConsumerCoordinator"
    thread = "ntainer#0-0-C-1"

    def consumer_log(pod: str, start: datetime, end: datetime) -> str:
        client = f"consumer-shipment-consumer-{sum(pod.encode()) % 4 + 1}"
        member = f"{client}-{_hex(pod, 8)}-{_hex(pod + 'm', 4)}-{_hex(pod + 'n', 4)}-{_hex(pod + 'o', 12)}"
        head = f"[Consumer clientId={client}, groupId=shipment-consumer]"
        out: list[tuple[datetime, str]] = []
        t = max(start + 20 * S, at - 50 * M)
        gen = 4180 + int((t - changed).total_seconds() // 40)
        while t < end:
            gen += 1
            parts = [f"shipments-{(sum(pod.encode()) + gen) % 12}", f"shipments-{(sum(pod.encode()) + gen + 6) % 12}"]
            out.append((t, L.spring(t, "INFO", cc, f"{head} Successfully joined group with generation "
                                    f"Generation{{generationId={gen}, memberId='{member}', protocol='cooperative-"
                                    "sticky'}", thread)))
            out.append((t + S, L.spring(t + S, "INFO", cc, f"{head} Adding newly assigned partitions: "
                                        f"{', '.join(parts)}", thread)))
            out.append((t + 31 * S, L.spring(t + 31 * S, "WARN", cc.replace("ConsumerCoordinator",
                                                                            "ConsumerCoordinator"),
                                             f"{head} consumer poll timeout has expired. This means the time "
                                             "between subsequent calls to poll() was longer than the configured "
                                             "max.poll.interval.ms, which typically implies that the poll loop is "
                                             "spending too much time processing messages. You can address this "
                                             "either by increasing max.poll.interval.ms or by reducing the maximum "
                                             "size of batches returned in poll() with max.poll.records.",
                                             "kafka-coordinator-heartbeat-thread | shipment-consumer")))
            out.append((t + 31 * S, L.spring(t + 31 * S, "INFO", cc, f"{head} Member {member} sending LeaveGroup "
                                             f"request to coordinator {coordinator} due to consumer poll timeout has "
                                             "expired.", "kafka-coordinator-heartbeat-thread | shipment-consumer")))
            t2 = t + 49 * S
            out.append((t2, L.spring(t2, "ERROR", "o.s.k.l.KafkaMessageListenerContainer", "Consumer exception\n"
                                     "org.apache.kafka.clients.consumer.CommitFailedException: Offset commit cannot "
                                     "be completed since the consumer is not part of an active group for auto "
                                     "partition assignment; it is likely that the consumer was kicked out of the "
                                     "group.\n\tat org.apache.kafka.clients.consumer.internals.ConsumerCoordinator."
                                     "sendOffsetCommitRequest(ConsumerCoordinator.java:1311)\n\tat org.springframework"
                                     ".kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.commitSync("
                                     "KafkaMessageListenerContainer.java:3101)", thread)))
            out.append((t2 + S, L.spring(t2 + S, "INFO", cc, f"{head} Request joining group due to: consumer pro-"
                                         "actively leaving the group", thread)))
            t += 52 * S
        return L.lines(out)

    inc.deployment(ns, "shipment-consumer",
                   [Rev(30, at - 12 * 24 * H, "helm upgrade shipment-consumer 1.14.1",
                        [c("shipment-consumer", f"{REGISTRY}/fulfilment/shipment-consumer:1.14.1", memory_limit="1Gi",
                           port=8081)]),
                    Rev(31, changed + M, "helm upgrade shipment-consumer 1.14.2 (consumer tuning)",
                        [c("shipment-consumer", f"{REGISTRY}/fulfilment/shipment-consumer:1.14.1", memory_limit="1Gi",
                           port=8081)],
                        container={"volumeMounts": [{"name": "config", "mountPath": "/app/config"}]},
                        pod_spec={"volumes": [{"name": "config", "configMap": {"name": "shipment-consumer-config"}}]})],
                   {31: [P(log=consumer_log) for _ in range(4)]})
    dep = inc.find("Deployment", ns, "shipment-consumer")
    dep["spec"]["template"]["metadata"].setdefault("annotations", {})["checksum/config"] = _hex("cfg-1.14.2")

    def broker_log(pod: str, start: datetime, end: datetime) -> str:
        if not pod.endswith("-1"):
            return L.lines(L.ticker(max(start, at - 60 * M), end, 300, lambda i, t: (
                f"{_kafka_ts(t)} INFO [ProducerStateManager partition=shipments-{i % 12}] Wrote producer snapshot "
                f"at offset {81220011 + i * 3301} with 12 producer ids in 2 ms. (kafka.log.ProducerStateManager)")))

        def line(i: int, t: datetime) -> str:
            gen = 4180 + int((t - changed).total_seconds() // 40)
            if i % 2 == 0:
                return (f"{_kafka_ts(t)} INFO [GroupCoordinator 1]: Preparing to rebalance group shipment-consumer in "
                        f"state PreparingRebalance with old generation {gen} (__consumer_offsets-17) (reason: Removing "
                        f"member consumer-shipment-consumer-{i % 4 + 1}-{_hex(str(i), 8)} on LeaveGroup; client "
                        "reason: consumer poll timeout has expired.) (kafka.coordinator.group.GroupCoordinator)")
            return (f"{_kafka_ts(t)} INFO [GroupCoordinator 1]: Stabilized group shipment-consumer generation "
                    f"{gen + 1} (__consumer_offsets-17) with 4 members (kafka.coordinator.group.GroupCoordinator)")
        return L.lines(L.ticker(max(start, at - 50 * M), end, 13, line))
    inc.statefulset("kafka", "kafka", [c("kafka", "docker.io/bitnami/kafka:3.7.1", port=9092, memory_limit="4Gi",
                                         readiness_path=None, liveness_path=None)],
                    [P(log=broker_log), P(log=broker_log), P(log=broker_log)], at - 300 * 24 * H,
                    claims=[("data", "500Gi", "gp3")])

    def printer_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 40, lambda i, t: L.logfmt(
            t, "warn", "slow request", method="POST", path="/labels", duration_ms=1200 + (i * 211) % 900,
            carrier=["dhl", "ups", "dpd"][i % 3])))
    inc.deployment(ns, "label-printer-api", [Rev(8, at - 70 * 24 * H, "deploy label-printer-api 2.0.4",
                                                 [c("label-printer-api", f"{REGISTRY}/fulfilment/label-printer-api:"
                                                    "2.0.4")])], {8: [P(log=printer_log), P(log=printer_log)]})
    inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
               {"consumergroup": "shipment-consumer", "topic": "shipments", "partition": "3", "job": "kafka-exporter",
                "namespace": "kafka"},
               lambda t: 120.0 if t < changed + 3 * M else 120 + (t - changed - 3 * M).total_seconds() * 1.7)
    _exporter_alerts(inc, [("KafkaConsumerGroupLag", {"consumergroup": "shipment-consumer", "topic": "shipments",
                                                      "namespace": "kafka", "severity": "critical",
                                                      "team": "fulfilment"},
                            "Consumer group shipment-consumer is lagging on shipments",
                            "Consumer group shipment-consumer lag on topic shipments is above 40000 messages for 10 "
                            "minutes.",
                            'sum by (consumergroup, topic) '
                            '(kafka_consumergroup_lag{consumergroup="shipment-consumer"}) > 40000')],
                     at, ["alertname", "consumergroup"])
    inc.answer_key(
        culprit=("ConfigMap", ns, "shipment-consumer-config"),
        keywords=["max.poll.interval.ms", "30000", "max-poll-records", "rebalance"],
        root_cause="The consumer tuning change to ConfigMap fulfilment/shipment-consumer-config (helm upgrade "
                   "1.14.2) lowers max.poll.interval.ms from 300000 to 30000 while keeping max-poll-records 500; "
                   "each record calls the label printer (~100 ms), so a batch takes ~50 s. Every consumer exceeds "
                   "the poll interval, leaves the group, rejoins and fails its offset commit (CommitFailedException): "
                   "a rebalance storm that stops progress, and the lag climbs.",
        category="kafka-poll-interval-rebalance-storm",
        red_herrings=[("Deployment", ns, "label-printer-api")])
    return inc


# ------------------------------------------------------------------------------------------------
def otp_delivery_page() -> Incident:
    """sms-sender's new retry settings (10 attempts, no backoff, Retry-After ignored) turn 429s into a storm.

    To stop dropped OTPs, revision 23 of sms-sender raises PROVIDER_RETRY_MAX from 3 to 10, sets
    PROVIDER_RETRY_BACKOFF_MS to 0 and PROVIDER_HONOR_RETRY_AFTER to false. At the morning peak the
    provider's 100 req/s account limit sends a few 429s; each is retried at once up to ten times,
    which multiplies the request rate far past the limit, so nearly every request is now rejected and
    OTP delivery collapses. Evidence: the revision change (env), the client's metrics and logs.
    Red herring: email-sender's SMTP 421 deferrals. Alert: PagerDuty.
    """
    at = datetime(2026, 12, 1, 8, 14, tzinfo=UTC)
    ns = "notifications"
    rolled = at - 40 * M
    inc = Incident("otp-delivery-page", title="OTP delivery success rate dropping", story=otp_delivery_page.__doc__
                   or "", at=at, seed=310, namespaces=(ns,))
    inc.secret(ns, "sms-provider", {"API_KEY": inc.canary("token", "sms-provider"),
                                    "SNS_FALLBACK_KEY_ID": inc.canary("aws", "sns-fallback")})
    inc.secret(ns, "smtp-relay", {"password": inc.canary("password", "smtp")})
    key = {"name": "PROVIDER_API_KEY", "valueFrom": {"secretKeyRef": {"name": "sms-provider", "key": "API_KEY"}}}

    def env(retries: str, backoff: str, honor: str) -> list[dict[str, Any]]:
        return [{"name": "PROVIDER_URL", "value": "https://rest.smsgateway.example.net/v2/messages"},
                {"name": "PROVIDER_RETRY_MAX", "value": retries},
                {"name": "PROVIDER_RETRY_BACKOFF_MS", "value": backoff},
                {"name": "PROVIDER_HONOR_RETRY_AFTER", "value": honor}, key]

    def sms_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < rolled + 9 * M:
                return _zap(t, "info", "otp/send.go:74", "OTP sent", status=202, attempts=1,
                            request_id=L.uuidish(pod, i))
            if i % 5 == 4:
                return _zap(t, "error", "otp/send.go:61", "OTP send failed", attempts=10,
                            error="provider: 429 Too Many Requests: rate limit exceeded for account (100 req/s)",
                            request_id=L.uuidish(pod, i))
            return _zap(t, "warn", "provider/client.go:142", "provider rejected request, retrying", status=429,
                        attempt=i % 5 * 2 + 1, max_attempts=10, backoff_ms=0, retry_after="20",
                        request_id=L.uuidish(pod, i - i % 5))
        return L.lines(L.ticker(max(start, at - 40 * M), end, 2, line))

    wl = inc.deployment(ns, "sms-sender",
                        [Rev(22, at - 15 * 24 * H, "deploy sms-sender 1.31.0",
                             [c("sms-sender", f"{REGISTRY}/notifications/sms-sender:1.31.0",
                                env=env("3", "500", "true"))]),
                         Rev(23, rolled, "retry OTP sends harder (SUP-4411)",
                             [c("sms-sender", f"{REGISTRY}/notifications/sms-sender:1.31.0",
                                env=env("10", "0", "false"))])],
                        {23: [P(log=sms_log), P(log=sms_log), P(log=sms_log)]})
    for h in wl.pods:
        base = {"namespace": ns, "pod": h.name, "job": "sms-sender", "host": "rest.smsgateway.example.net"}
        inc.series("sms_provider_requests", "counter", "Requests sent to the SMS provider, by status.",
                   {**base, "code": "202"},
                   lambda t: (t - (at - 3 * H)).total_seconds() * 11 - max(0.0, (t - rolled - 9 * M).total_seconds())
                   * 10.2)
        inc.series("sms_provider_requests", "counter", "Requests sent to the SMS provider, by status.",
                   {**base, "code": "429"},
                   lambda t: (t - (at - 3 * H)).total_seconds() * 0.05 + max(0.0, (t - rolled - 9 * M)
                                                                             .total_seconds()) * 96)

    def mail_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 90, lambda i, t: _zap(
            t, "warn", "smtp/relay.go:88", "message deferred", code=421,
            reply="4.7.0 Temporary System Problem. Try again later (10). - gsmtp", recipient_domain="gmail.com")))
    inc.deployment(ns, "email-sender", [Rev(9, at - 33 * 24 * H, "deploy email-sender 0.22.3",
                                            [c("email-sender", f"{REGISTRY}/notifications/email-sender:0.22.3",
                                               env=[{"name": "SMTP_PASSWORD", "valueFrom": {"secretKeyRef": {
                                                   "name": "smtp-relay", "key": "password"}}}])])],
                   {9: [P(log=mail_log)]})
    inc.pagerduty("OTP delivery success rate below 90% (sms-sender)", "Identity / OTP")
    inc.answer_key(
        culprit=("Deployment", ns, "sms-sender"), keywords=["retry", "429", "backoff", "Retry-After"],
        root_cause="Revision 23 of sms-sender raises PROVIDER_RETRY_MAX from 3 to 10, sets PROVIDER_RETRY_BACKOFF_MS "
                   "to 0 and stops honouring Retry-After. At the morning peak the provider's 100 req/s limit returns "
                   "a few 429s; each failed OTP is retried immediately up to ten times with no backoff, multiplying "
                   "the request rate far past the limit, so nearly every request now gets 429 and OTP delivery "
                   "collapses.",
        category="client-retry-storm-rate-limit",
        red_herrings=[("Deployment", ns, "email-sender")])
    return inc


# ------------------------------------------------------------------------------------------------
def account_api_logouts() -> Incident:
    """One node's clock is 41 s behind: account-api's pod there rejects fresh JWTs as "used before issued".

    chronyd on ip-10-0-2-21 stopped synchronising (node_timex_sync_status 0) and the clock drifted 41 s
    behind. auth-api issues tokens with iat = now on other nodes; account-api's pod on the slow node
    sees them as issued in the future and golang-jwt rejects them ("token used before issued"), so a
    third of account requests get 401. Evidence: node-exporter's timex metrics only (no node condition
    reports it), and the one pod's logs. Red herring: the JWT signing-key Secret rotated two days ago.
    Asked in chat, naming only the workload.
    """
    at = datetime(2026, 12, 2, 16, 3, tzinfo=UTC)
    ns = "accounts"
    drift_from = at - 5 * H
    inc = Incident("account-api-logouts", title="account-api users logged out at random",
                   story=account_api_logouts.__doc__ or "", at=at, seed=311, namespaces=(ns,))
    inc.secret("auth", "jwt-signing-keys", {"current.pem": "-----BEGIN PRIVATE KEY-----\n" +
                                            inc.canary("token", "jwt-key-2026-11-30") + "\n-----END PRIVATE KEY-----",
                                            "kid": "2026-11-30"})
    inc.find("Secret", "auth", "jwt-signing-keys")["metadata"]["creationTimestamp"] = ts(at - 50 * H)
    inc.secret(ns, "account-api-db", {"password": inc.canary("password", "accounts-db")})

    def api_log(pod: str, start: datetime, end: datetime, skewed: bool = False) -> str:
        """On the slow node the runtime's timestamps and the app's own both run 41 s behind."""
        lag = 41 * S if skewed else 0 * S

        def line(i: int, t: datetime) -> str:
            if skewed and i % 3:
                return _zap(t - lag, "warn", "authn/middleware.go:54", "rejecting bearer token",
                            error="token has invalid claims: token used before issued", path="/v1/account/me",
                            kid="2026-11-30")
            return _zap(t - lag, "info", "httpserver/log.go:41", "request", method="GET", path="/v1/account/me",
                        status=200, duration_ms=12 + i % 9)
        return L.lines((t - lag, text) for t, text in L.ticker(max(start, at - 60 * M), end, 4, line))

    def skewed_log(pod: str, start: datetime, end: datetime) -> str:
        return api_log(pod, start, end, skewed=True)
    env = [{"name": "JWKS_URL", "value": "http://auth-api.auth.svc/.well-known/jwks.json"},
           {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "account-api-db", "key": "password"}}}]
    wl = inc.deployment(ns, "account-api", [Rev(19, at - 6 * 24 * H, "deploy account-api 2.11.0",
                                                [c("account-api", f"{REGISTRY}/accounts/account-api:2.11.0",
                                                   env=env)])],
                        {19: [P(log=api_log, node=NODE[0]), P(log=skewed_log, node=NODE[1]),
                              P(log=api_log, node=NODE[2])]})
    inc.service(ns, "account-api", {"app": "account-api"})
    for i in range(4):
        labels = {"job": "node-exporter", "instance": f"{_node_ip(i)}:9100", "node": NODE[i]}

        def offset(t: datetime, i: int = i) -> float:
            if i == 1:
                return -min(41.2, max(0.0, (t - drift_from).total_seconds() * 0.0023))
            return 0.00012 * (i + 1) * (1 if int(t.timestamp() / 60) % 2 else -1)
        inc.series("node_timex_offset_seconds", "gauge", "Time offset in between local system and reference clock.",
                   dict(labels), offset)
        inc.series("node_timex_sync_status", "gauge", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
                   dict(labels), lambda t, i=i: 0.0 if i == 1 and t >= drift_from else 1.0)
    for h in wl.pods:
        bad = h.node == NODE[1]
        inc.series("http_requests", "counter", "HTTP requests by status.",
                   {"namespace": ns, "pod": h.name, "job": "account-api", "code": "401"},
                   lambda t, bad=bad: (t - (at - 3 * H)).total_seconds() * (0.02 + (0.0 if not bad or t < at - 50 * M
                                                                                    else 9.0)))
    inc.ask("Users say the account page logs them out at random, maybe one request in three comes back 401. What is "
            "wrong with account-api?")
    inc.answer_key(
        culprit=("Node", "", NODE[1]), keywords=["clock", "skew", "used before issued", "NTP"],
        root_cause=f"The clock of node {NODE[1]} has drifted about 41 s behind (clock skew: chronyd stopped "
                   "synchronising, node_timex_sync_status 0, NTP offset -41 s). auth-api issues tokens with iat set "
                   "to its own time on other nodes, so account-api's pod on this node sees every fresh token as "
                   "issued in the future and rejects it as 'token used before issued': about a third of requests "
                   "get 401.",
        category="node-clock-skew-jwt",
        red_herrings=[("Secret", "auth", "jwt-signing-keys")])
    return inc


# ------------------------------------------------------------------------------------------------
def product_api_latency_burn() -> Incident:
    """A migration Job replaces the sku index with (warehouse_id, sku); lookups by sku become sequential scans.

    The pre-upgrade hook of product-api 5.3.0 (Job product-api-migrate-57, Alembic) drops
    ix_product_variants_sku and creates a composite index on (warehouse_id, sku) to "consolidate
    indexes". product-api's hot query filters on sku alone, so Postgres can no longer use an index: a
    Seq Scan of 9 M rows per lookup, statements hit the 5 s statement_timeout, gunicorn workers time
    out. The 5.3.0 rollout itself is the obvious suspect but changed nothing in that query. Evidence:
    the Job's log (the DDL) and Postgres' slow-query and auto_explain log in namespace store-db.
    Red herring: pgbouncer failing to resolve a replica host nobody uses. Alert: SLO burn.
    """
    at = datetime(2026, 12, 3, 14, 22, tzinfo=UTC)
    ns = "store"
    migrated = at - 38 * M
    inc = Incident("product-api-latency-burn", title="product-api error budget burning",
                   story=product_api_latency_burn.__doc__ or "", at=at, seed=312, namespaces=(ns, "store-db"))
    db_pw = inc.canary("password", "product-db")
    inc.secret(ns, "product-api-db", {"DATABASE_URL": f"postgresql://product_api:{db_pw}@pgbouncer.store.svc:6432/"
                                      "store"})
    inc.secret("store-db", "postgres-superuser", {"password": inc.canary("password", "pg-superuser")})
    db_env = [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "product-api-db",
                                                                       "key": "DATABASE_URL"}}}]
    image_old, image_new = f"{REGISTRY}/store/product-api:5.2.4", f"{REGISTRY}/store/product-api:5.3.0"
    job = "product-api-migrate-57"
    t0 = migrated + 6 * S
    mig_log = L.lines([
        (t0, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."),
        (t0, "INFO  [alembic.runtime.migration] Will assume transactional DDL."),
        (t0 + S, "INFO  [alembic.runtime.migration] Running upgrade 3f2a9c1b7d4e -> 8b1e0d6c2a5f, consolidate "
                 "product_variants indexes"),
        (t0 + S, "INFO  [sqlalchemy.engine.Engine] DROP INDEX ix_product_variants_sku"),
        (t0 + S, "INFO  [sqlalchemy.engine.Engine] [no key 0.00011s] {}"),
        (t0 + 2 * S, "INFO  [sqlalchemy.engine.Engine] CREATE INDEX ix_product_variants_warehouse_sku ON "
                     "product_variants (warehouse_id, sku)"),
        (t0 + 2 * S, "INFO  [sqlalchemy.engine.Engine] [no key 0.00009s] {}"),
        (t0 + 71 * S, "INFO  [sqlalchemy.engine.Engine] UPDATE alembic_version SET version_num='8b1e0d6c2a5f' WHERE "
                      "alembic_version.version_num = '3f2a9c1b7d4e'"),
        (t0 + 71 * S, "INFO  [sqlalchemy.engine.Engine] COMMIT")])
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": ns, "creationTimestamp": ts(migrated),
                          "labels": {"app": "product-api", "batch.kubernetes.io/job-name": job},
                          "annotations": {"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5",
                                          "helm.sh/hook-delete-policy": "before-hook-creation"}},
             "spec": {"backoffLimit": 1, "completions": 1, "parallelism": 1, "template": {"spec": {
                 "restartPolicy": "Never", "containers": [c("migrate", image_new, port=None, env=db_env).spec() | {
                     "command": ["alembic", "upgrade", "head"]}]}}},
             "status": {"succeeded": 1, "startTime": ts(migrated + S), "completionTime": ts(t0 + 73 * S),
                        "conditions": [{"type": "SuccessCriteriaMet", "status": "True",
                                        "lastProbeTime": ts(t0 + 73 * S), "lastTransitionTime": ts(t0 + 73 * S)},
                                       {"type": "Complete", "status": "True", "lastProbeTime": ts(t0 + 73 * S),
                                        "lastTransitionTime": ts(t0 + 73 * S)}]}})
    pod_name = f"{job}-{o.suffix(job, 5)}"
    inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace=ns, workload=job, containers=[c("migrate", image_new, port=None, env=db_env)],
        node=NODE[3], created=migrated + S, states=[o.ContainerState(started_at=t0)], memory=None,
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={"migrate": mig_log}))
    inc.cluster.patch(ns, pod_name, terminated(0, "Completed", t0, t0 + 72 * S, phase="Succeeded"))
    rolled = t0 + 80 * S

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < migrated + 2 * M:
                return f"{L.pylog(t, 'INFO', 'product_api.access', f'GET /v1/variants?sku=SKU-{40000 + i} 200 18ms')}"
            if i % 3 == 0:
                return f"[{t.strftime('%Y-%m-%d %H:%M:%S')} +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:{30 + i % 7})"
            if i % 3 == 1:
                return L.pylog(t, "ERROR", "product_api.db", "query failed: psycopg.errors.QueryCanceled: canceling "
                               "statement due to statement timeout")
            return L.pylog(t, "INFO", "product_api.access", f"GET /v1/variants?sku=SKU-{40000 + i} 200 4710ms")
        return L.lines(L.ticker(max(start, at - 60 * M), end, 9, line))
    inc.deployment(ns, "product-api",
                   [Rev(41, at - 9 * 24 * H, "helm upgrade product-api 5.2.4",
                        [c("product-api", image_old, env=db_env, memory_limit="768Mi")]),
                    Rev(42, rolled, "helm upgrade product-api 5.3.0",
                        [c("product-api", image_new, env=db_env, memory_limit="768Mi")])],
                   {42: [P(log=api_log) for _ in range(3)]})
    inc.service(ns, "product-api", {"app": "product-api"})

    def pg_log(pod: str, start: datetime, end: datetime) -> str:
        out: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(max(start, at - 60 * M), end, 11)):
            pid = 48000 + i
            if t < migrated + 90 * S:
                if i % 20 == 0:
                    out.append((t, L.postgres(t, "LOG", "checkpoint starting: time", pid=64)))
                continue
            sku = f"SKU-{40000 + i}"
            if i % 4 == 0:
                out.append((t, L.postgres(t, "ERROR", "canceling statement due to statement timeout", pid=pid)))
                out.append((t, L.postgres(t, "STATEMENT", "SELECT product_variants.id, product_variants.sku, "
                                          "product_variants.warehouse_id, product_variants.price_cents FROM "
                                          "product_variants WHERE product_variants.sku = $1", pid=pid)))
                continue
            ms = 3900 + (i * 97) % 900
            out.append((t, L.postgres(t, "LOG", f"duration: {ms}.{i % 1000:03d} ms  execute <unnamed>: SELECT "
                                      "product_variants.id, product_variants.sku, product_variants.warehouse_id, "
                                      "product_variants.price_cents FROM product_variants WHERE product_variants.sku "
                                      "= $1", pid=pid)))
            out.append((t, L.postgres(t, "DETAIL", f"parameters: $1 = '{sku}'", pid=pid)))
            out.append((t, L.postgres(t, "LOG", f"duration: {ms}.{i % 1000:03d} ms  plan:\n\tQuery Text: SELECT "
                                      "product_variants.id, product_variants.sku FROM product_variants WHERE "
                                      "product_variants.sku = $1\n\tSeq Scan on product_variants  "
                                      "(cost=0.00..412911.20 rows=1 width=52)\n\t  Filter: ((sku)::text = $1)",
                                      pid=pid)))
        return L.lines(out)
    inc.statefulset("store-db", "postgres", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                               memory_limit="8Gi", readiness_path=None, liveness_path=None)],
                    [P(log=pg_log)], at - 400 * 24 * H, claims=[("pgdata", "200Gi", "gp3")], service=5432)

    def bouncer_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 60, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d} UTC [1] WARNING DNS lookup failed: "
            "postgres-replica.store-db.svc.cluster.local: result=0")))
    inc.deployment(ns, "pgbouncer", [Rev(5, at - 120 * 24 * H, "deploy pgbouncer 1.23.1",
                                         [c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", port=6432,
                                            readiness_path=None, liveness_path=None)])],
                   {5: [P(log=bouncer_log), P(log=bouncer_log)]})
    inc.slo_burn("product-api", ns, "product-api-availability", "0.999", 36.0,
                 "product-api returned 5xx (worker timeouts) for 5.2% of requests over the last hour.")
    inc.answer_key(
        culprit=("Job", ns, job), keywords=["index", "sku", "Seq Scan", "warehouse_id"],
        root_cause=f"The pre-upgrade migration Job {job} (Alembic, product-api 5.3.0) dropped ix_product_variants_sku "
                   "and created a composite index on (warehouse_id, sku). product-api's hot query filters on sku "
                   "alone, which the new index cannot serve, so Postgres does a Seq Scan of product_variants for "
                   "every lookup (~4 s); statements hit the statement timeout and gunicorn workers time out.",
        category="migration-dropped-index",
        red_herrings=[("Deployment", ns, "pgbouncer")])
    return inc


ALL = [margin_report_runs_failing, search_indexer_replicas_missing, ws_gateway_connect_errors,
       storefront_basket_errors, order_api_capacity_page, thumbnail_backlog, ledger_export_stale,
       usage_events_rejected, shipment_lag, otp_delivery_page, account_api_logouts, product_api_latency_burn]
