"""Round 9 of the held-out incident set: twelve PLATFORM incidents of types no earlier set has, written blind.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer); the first line names the failure type so later rounds can avoid repeating it. The round's
focus is the platform under the applications: node pools and their images, the autoscalers, the
scheduler's helpers, storage, kube-proxy, DNS scaling, the API server's fairness, cloud load
balancers. Bundle names, titles and questions say only the symptom. Log lines follow the real
software's formats (klog, logfmt, zap JSON, Spring Boot, Postgres, Python logging); events use the
reasons and messages the real controllers write; metric names are the exporters' own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Fields = dict[str, Any]


# ---- helpers ---------------------------------------------------------------------------------------
def log_of(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function from a maker of (time, line) pairs; lines outside the container's run are dropped."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def every(start: datetime, end: datetime, step_s: float, line: Callable[[int, datetime], str | None]) -> Lines:
    """One line per step where `line` has something to say."""
    return [(t, text) for i, t in enumerate(L.every(start, end, step_s)) if (text := line(i, t))]


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, Fields]) -> None:
    """The managedFields the API server keeps: for a config-only cause, the one trace of who changed what, when."""
    obj["metadata"]["managedFields"] = [
        {"manager": manager, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(when),
         "fieldsType": "FieldsV1", "fieldsV1": fields} for manager, op, when, fields in entries]


def define_crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str) -> None:
    """The CustomResourceDefinition that makes a custom resource servable (and findable) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def revision(inc: Incident, kind: str, ns: str, owner: str, number: int, at: datetime, template: Fields,
             hash_: str | None = None) -> dict[str, Any]:
    """A ControllerRevision of a DaemonSet or StatefulSet: the template it rolled out at `at`."""
    name = f"{owner}-{hash_ or o.suffix(f'{ns}/{owner}/{number}', 10)}"
    return inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                                 "labels": {"app": owner, "controller-revision-hash": name.rsplit("-", 1)[1]},
                                 "ownerReferences": [o.owner_ref(kind, owner, ns)]},
                    "data": {"spec": {"template": template}}, "revision": number})


def step(before: float, after: float, at: datetime) -> Callable[[datetime], float]:
    return lambda t: before if t < at else after


def ramp(start: float, end: float, begin: datetime, until: datetime) -> Callable[[datetime], float]:
    """A gauge flat at `start` before `begin`, rising linearly to `end` at `until`."""
    def value(t: datetime) -> float:
        if t <= begin:
            return start
        share = min(1.0, (t - begin).total_seconds() / max(1.0, (until - begin).total_seconds()))
        return round(start + (end - start) * share, 4)
    return value


def counting(origin: datetime, before: float, after: float, at: datetime) -> Callable[[datetime], float]:
    """A counter growing `before` per second until `at`, then `after` per second."""
    def value(t: datetime) -> float:
        first = (min(t, at) - origin).total_seconds()
        return round(before * max(0.0, first) + after * max(0.0, (t - at).total_seconds()), 2)
    return value


def running(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
            at: datetime | None = None, **container: Any) -> Any:
    """A Deployment whose pods all run: victims whose trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, at or inc.born + timedelta(days=9), "helm upgrade", [c(name, image, **container)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def add_node(inc: Incident, name: str, index: int, zone: str, created: datetime, labels: Fields | None = None,
             taints: list[Fields] | None = None) -> dict[str, Any]:
    """One more node of the cluster (a new pool, a replacement)."""
    node = o.node(name, index, created, zone, now=inc.captured)
    node["kind"], node["apiVersion"] = "Node", "v1"
    node["metadata"]["labels"].update(labels or {})
    if taints:
        node.setdefault("spec", {})["taints"] = taints
    inc.cluster.nodes.append(node)
    return node


def agent_pod(inc: Incident, ds: str, ns: str, node: str, created: datetime, image: str) -> PodHistory:
    """A DaemonSet's pod on a node added after the background was built (the CNI, node-exporter)."""
    name = f"{ds}-{o.suffix(f'{ns}/{ds}/{node}', 5)}"
    return inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=ds, containers=[c(ds, image, port=None)], node=node, created=created,
        states=[o.ContainerState(started_at=created + timedelta(seconds=9))], memory=lambda t: 40.0 * 2**20,
        labels={"app": ds, "controller-revision-hash": o.suffix(ds, 10)}, owner=o.owner_ref("DaemonSet", ds, ns),
        logs={ds: ""}))


def drop_events(inc: Incident, pod: str, reasons: set[str]) -> None:
    """Remove the kit's generic events for a pod whose state this scenario models by hand."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def kp_alert(alertname: str, labels: dict[str, str], summary: str, description: str, expr: str, at: datetime,
             severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus alert as it sits inside an Alertmanager notification."""
    return am.alert({"alertname": alertname, **labels, "severity": severity,
                     "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"},
                    {"summary": summary, "description": description,
                     "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{alertname.lower()}"},
                    at, expr)


# ---- 1 ---------------------------------------------------------------------------------------------
def picking_capacity_grouped() -> Incident:
    """cluster-autoscaler's node group maximum lowered by a chart values change: new pods stay Pending.

    Yesterday a platform chart bump (values copied from staging) rolled kube-system/cluster-autoscaler
    revision 5, whose --nodes flag reads 3:4:eks-general-20260301 instead of 3:12:...; the pool already
    has 4 nodes. At the afternoon wave the HPA asks pick-planner for 8 replicas: 3 new pods are Pending
    (Insufficient cpu) and cluster-autoscaler records NotTriggerScaleUp "max node group size reached";
    its log says it skips the node group because the max size is reached. Red herring: the ConfigMap
    pick-planner-config edited an hour before (the wave size, harmless).
    """
    at = datetime(2026, 11, 23, 15, 4, tzinfo=UTC)
    inc = Incident("picking-capacity-grouped", title="pick-planner replicas unavailable during the afternoon wave",
                   story=picking_capacity_grouped.__doc__ or "", at=at, seed=901, namespaces=("fulfilment",))
    yday = at - timedelta(hours=21, minutes=12)
    image = "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2"

    def ca_args(nodes: str) -> Fields:
        return {"command": ["./cluster-autoscaler", "--cloud-provider=aws", f"--nodes={nodes}",
                            "--scale-down-utilization-threshold=0.5", "--skip-nodes-with-local-storage=false",
                            "--expander=least-waste", "--balance-similar-node-groups", "--v=4"]}

    rs7 = f"pick-planner-{o.suffix('fulfilment/pick-planner/rev7', 10)}"
    pending = [f"{rs7}-{o.suffix(f'{rs7}-{i}', 5)}" for i in range(5, 8)]

    def ca_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < at:
                return L.klog(t, "I", "static_autoscaler.go:591", "No unschedulable pods")
            out = [L.klog(t, "I", "klogx.go:87", f'Pod fulfilment/{p} is unschedulable') for p in pending]
            out.append(L.klog(t, "I", "orchestrator.go:159",
                              "Skipping node group eks-general-20260301 - max size reached"))
            out.append(L.klog(t, "I", "orchestrator.go:185", "No expansion options"))
            return "\n".join(out)
        return every(start, end, 10, line)

    ca = inc.deployment("kube-system", "cluster-autoscaler", [
        Rev(4, inc.born + timedelta(days=12), "helm upgrade cluster-autoscaler 9.37.0",
            [c("cluster-autoscaler", image, port=8085, readiness_path=None)],
            container=ca_args("3:12:eks-general-20260301")),
        Rev(5, yday, "helm upgrade cluster-autoscaler 9.43.1",
            [c("cluster-autoscaler", image, port=8085, readiness_path=None)],
            container=ca_args("3:4:eks-general-20260301")),
    ], {5: [P(log=log_of(ca_log))]})
    changed(ca.obj,
            ("helm", "Update", yday, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    inc.configmap("kube-system", "cluster-autoscaler-status", {"status": (
        f"Cluster-autoscaler status at {ts(inc.captured)}:\nCluster-wide:\n  Health:      Healthy (ready=4 "
        "unready=0 notStarted=0 longNotStarted=0 registered=4 longUnregistered=0)\n  ScaleUp:     NoActivity "
        "(ready=4 registered=4)\n  ScaleDown:   NoCandidates (candidates=0)\n\nNodeGroups:\n  Name:        "
        "eks-general-20260301\n  Health:      Healthy (ready=4 unready=0 notStarted=0 longNotStarted=0 registered=4 "
        "longUnregistered=0 cloudProviderTarget=4 (minSize=3, maxSize=4))\n  ScaleUp:     NoActivity (ready=4 "
        "cloudProviderTarget=4)\n")}, at=inc.captured - timedelta(seconds=10))

    def planner_log(pod: str, start: datetime, end: datetime) -> Lines:
        return every(start, end, 30, lambda i, t: L.js(t, "info", "wave batch planned", wave=f"W{t:%H%M}",
                                                      orders=180 + i % 40, lag_s=round(4 + (t > at) * 95.0, 1)))

    image_p = f"{REGISTRY}/fulfilment/pick-planner:3.6.0"
    running_plans = [P(log=log_of(planner_log)) for _ in range(5)]
    wait = "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption " \
           "victims found for incoming pod."
    plans = running_plans + [P(state="pending", message=wait, created=at - timedelta(minutes=3)) for _ in range(3)]
    planner = inc.deployment("fulfilment", "pick-planner", [
        Rev(7, inc.born + timedelta(days=30), "deploy 3.6.0", [c("pick-planner", image_p, cpu_request="1500m")])],
        {7: plans}, replicas=8, progress="progressing")
    for h in planner.pods[5:]:
        inc.event(inc.cluster.pod_object(h), "NotTriggerScaleUp",
                  "pod didn't trigger scale-up: 1 max node group size reached", at - timedelta(minutes=2),
                  inc.captured - timedelta(seconds=20), count=30, warning=False, component="cluster-autoscaler")
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "pick-planner", "namespace": "fulfilment"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "pick-planner"},
                      "minReplicas": 3, "maxReplicas": 12,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 65}}}]},
             "status": {"currentReplicas": 8, "desiredReplicas": 8, "lastScaleTime": ts(at - timedelta(minutes=3))}})
    cfg = inc.configmap("fulfilment", "pick-planner-config", {"WAVE_SIZE": "180", "WAVE_INTERVAL": "5m"},
                        at=inc.born + timedelta(days=6))
    changed(cfg, ("kubectl-edit", "Update", at - timedelta(minutes=64), {"f:data": {"f:WAVE_SIZE": {}}}))
    token = inc.canary("aws-secret", "cluster-autoscaler")
    inc.secret("kube-system", "cluster-autoscaler-aws", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "ca"),
                                                         "AWS_SECRET_ACCESS_KEY": token})
    inc.series("cluster_autoscaler_unschedulable_pods_count", "gauge", "Number of unschedulable pods in the cluster.",
               {"job": "cluster-autoscaler", "type": "unschedulable"}, step(0, 3, at - timedelta(minutes=3)))
    inc.series("cluster_autoscaler_nodes_count", "gauge", "Number of nodes in cluster.",
               {"job": "cluster-autoscaler", "state": "ready"}, lambda t: 4)
    inc.series("cluster_autoscaler_max_nodes_count", "gauge", "Maximum number of nodes in all node groups",
               {"job": "cluster-autoscaler"}, lambda t: 4)
    labels = {"namespace": "fulfilment", "job": "kube-state-metrics"}
    inc.alerts["alertmanager.json"] = am.alertmanager([
        kp_alert("KubeDeploymentReplicasMismatch", {**labels, "deployment": "pick-planner"},
                 "Deployment has not matched the expected number of replicas.",
                 "Deployment fulfilment/pick-planner has not matched the expected number of replicas for longer "
                 "than 15 minutes.", 'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                 'kube_deployment_status_replicas_available{job="kube-state-metrics"}', at),
        *[kp_alert("KubePodNotReady", {**labels, "pod": h.name}, "Pod has been in a non-ready state for more than "
                   "15 minutes.", f"Pod fulfilment/{h.name} has been in a non-ready state for longer than 15 "
                   "minutes.", 'sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown|Failed"}) > 0',
                   at + timedelta(minutes=1)) for h in planner.pods[5:7]],
    ], group=["namespace"])
    inc.answer_key(
        culprit=("Deployment", "kube-system", "cluster-autoscaler"),
        keywords=["cluster-autoscaler", "max node group size", "--nodes"],
        root_cause="cluster-autoscaler revision 5 (yesterday's chart values) set --nodes=3:4 for the eks-general "
                   "node group, which already has 4 nodes: the max node group size is reached, so the Pending "
                   "pick-planner pods (Insufficient cpu) never trigger a scale-up (NotTriggerScaleUp).",
        category="cluster-autoscaler-node-group-max-lowered",
        red_herrings=[("ConfigMap", "fulfilment", "pick-planner-config")])
    return inc



# ---- 2 ---------------------------------------------------------------------------------------------
def query_latency_burn() -> Incident:
    """metrics-server loses --kubelet-insecure-tls: it cannot verify the kubelets' self-signed serving certs.

    Yesterday a chart bump rolled kube-system/metrics-server revision 6 without the --kubelet-insecure-tls
    arg; the kubelets serve self-signed certificates (no IP SANs), so every scrape fails with "x509: cannot
    validate certificate for 10.0.x.x because it doesn't contain any IP SANs", metrics-server never turns
    ready and v1beta1.metrics.k8s.io is unavailable. query-gateway's HPA cannot read CPU
    (FailedGetResourceMetric) and stays at 3 replicas when the lunch peak arrives: CPU-saturated pods and a
    latency SLO burn. Red herring: index-compactor's CPU-heavy nightly run in the same namespace.
    """
    at = datetime(2026, 11, 24, 12, 18, tzinfo=UTC)
    inc = Incident("query-latency-burn", title="query-gateway latency SLO burning", story=query_latency_burn.__doc__
                   or "", at=at, seed=902, namespaces=("search",), skip={("kube-system", "metrics-server")})
    yday = at - timedelta(hours=19, minutes=40)
    image = "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
    base = ["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP",
            "--kubelet-use-node-status-port", "--metric-resolution=15s"]
    nodes = [(n["metadata"]["name"], n["status"]["addresses"][0]["address"]) for n in inc.cluster.nodes]

    def ms_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            return "\n".join(L.klog(t, "E", "scraper.go:149", f'"Failed to scrape node" err="Get \\"https://{ip}:'
                                    f'10250/metrics/resource\\": tls: failed to verify certificate: x509: cannot '
                                    f'validate certificate for {ip} because it doesn\'t contain any IP SANs" '
                                    f'node="{name}"') for name, ip in nodes) + "\n" + L.klog(
                t, "I", "server.go:191", '"Failed probe" probe="metric-storage-ready" err="no metrics to serve"')
        return [(start, L.klog(start, "I", "serving.go:374", "Generated self-signed cert (/tmp/apiserver.crt, "
                               "/tmp/apiserver.key)")), *every(start + timedelta(seconds=15), end, 15, line)]

    ms = c("metrics-server", image, port=10250, readiness_path="/readyz", liveness_path="/livez")
    wl = inc.deployment("kube-system", "metrics-server", [
        Rev(5, inc.born + timedelta(days=8), "helm upgrade metrics-server 3.12.1", [ms],
            container={"args": [*base, "--kubelet-insecure-tls"]}),
        Rev(6, yday, "helm upgrade metrics-server 3.12.2", [ms], container={"args": base})],
        {6: [P(state="notready", log=log_of(ms_log), created=yday + timedelta(seconds=20),
               message="Readiness probe failed: HTTP probe failed with statuscode: 500")]}, progress="deadline")
    changed(wl.obj, ("helm", "Update", yday, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    inc.add({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
             "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"app.kubernetes.io/name": "metrics-server"}},
             "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                      "versionPriority": 100, "insecureSkipTLSVerify": True,
                      "service": {"name": "metrics-server", "namespace": "kube-system", "port": 443}},
             "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints",
                                        "message": "endpoints for service/metrics-server in \"kube-system\" have no "
                                                   "addresses with port name \"https\"",
                                        "lastTransitionTime": ts(yday + timedelta(seconds=40))}]}})

    def gw_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t > at - timedelta(minutes=12)
            ms_ = 1900 + (i * 37) % 900 if slow else 120 + (i * 13) % 60
            return L.logfmt(t, "warn" if slow else "info", "search served", route="/v2/search",
                            duration_ms=ms_, backend="opensearch", hits=20 + i % 30)
        return every(start, end, 20, line)

    gw = running(inc, "search", "query-gateway", f"{REGISTRY}/search/query-gateway:5.2.1", 3, log=log_of(gw_log),
                 cpu_request="500m", cpu_limit="1")
    running(inc, "search", "index-compactor", f"{REGISTRY}/search/index-compactor:1.4.0", 1)
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "query-gateway", "namespace": "search"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "query-gateway"}, "minReplicas": 3, "maxReplicas": 15,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 60}}}]},
                   "status": {"currentReplicas": 3, "desiredReplicas": 3,
                              "lastScaleTime": ts(yday - timedelta(hours=5)),
                              "currentMetrics": [{"type": ""}],
                              "conditions": [
                                  {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                                   "message": "the HPA controller was able to get the target's current scale",
                                   "lastTransitionTime": ts(inc.born)},
                                  {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                                   "message": "the HPA was unable to compute the replica count: failed to get cpu "
                                              "utilization: unable to get metrics for resource cpu: unable to fetch "
                                              "metrics from resource metrics API: the server is currently unable "
                                              "to handle the request (get pods.metrics.k8s.io)",
                                   "lastTransitionTime": ts(yday + timedelta(minutes=1))}]}})
    inc.event(hpa, "FailedGetResourceMetric", "failed to get cpu utilization: unable to get metrics for resource cpu: "
              "unable to fetch metrics from resource metrics API: the server is currently unable to handle the "
              "request (get pods.metrics.k8s.io)", yday + timedelta(minutes=1), inc.captured - timedelta(seconds=15),
              count=1320, component="horizontal-pod-autoscaler")
    inc.event(hpa, "FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1), first error is: failed to "
              "get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: "
              "unable to fetch metrics from resource metrics API: the server is currently unable to handle the "
              "request (get pods.metrics.k8s.io)", yday + timedelta(minutes=1), inc.captured - timedelta(seconds=15),
              count=1320, component="horizontal-pod-autoscaler")
    peak = at - timedelta(minutes=14)
    for h in gw.pods:
        inc.series("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "search", "pod": h.name, "container": "query-gateway", "job": "kubelet"},
                   counting(at - timedelta(hours=2), 0.35, 0.99, peak))
        inc.series("container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals.",
                   {"namespace": "search", "pod": h.name, "container": "query-gateway", "job": "kubelet"},
                   counting(at - timedelta(hours=2), 0.1, 7.2, peak))
    inc.series("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of pods "
               "managed by this autoscaler.", {"namespace": "search", "horizontalpodautoscaler": "query-gateway",
                                                "job": "kube-state-metrics"}, lambda t: 3)
    inc.series("kube_horizontalpodautoscaler_status_condition", "gauge", "The condition of this autoscaler.",
               {"namespace": "search", "horizontalpodautoscaler": "query-gateway", "condition": "ScalingActive",
                "status": "false", "job": "kube-state-metrics"}, lambda t: 1)
    inc.series("http_request_duration_seconds_p99", "gauge", "p99 latency (recording rule).",
               {"namespace": "search", "service": "query-gateway"}, ramp(0.21, 2.7, peak, at))
    inc.series("apiserver_request_total", "counter", "Counter of apiserver requests.",
               {"job": "apiserver", "group": "metrics.k8s.io", "resource": "pods", "verb": "LIST", "code": "503"},
               counting(at - timedelta(hours=2), 0.07, 0.07, at))
    inc.secret("search", "opensearch-creds", {"password": inc.canary("password", "opensearch")})
    inc.slo_burn("query-gateway", "search", "query-latency-p99-800ms", "0.99", 21.0,
                 "More than 1% of /v2/search requests slower than 800 ms for the last hour (21x the budget).")
    inc.answer_key(
        culprit=("Deployment", "kube-system", "metrics-server"),
        keywords=["metrics-server", "x509", "kubelet-insecure-tls"],
        root_cause="metrics-server revision 6 dropped --kubelet-insecure-tls; it cannot verify the kubelets' "
                   "self-signed serving certificates (x509: no IP SANs), serves no metrics, the metrics API is "
                   "unavailable and query-gateway's HPA (FailedGetResourceMetric) cannot scale out at the peak.",
        category="metrics-server-kubelet-tls-verification-fails",
        red_herrings=[("Deployment", "search", "index-compactor")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
def bff_errors_page() -> Incident:
    """The dns-autoscaler ConfigMap gets a dev cluster's linear params: CoreDNS scaled to one replica.

    Yesterday someone pasted the dev cluster's params into kube-system/dns-autoscaler ("coresPerReplica":
    2048, "nodesPerReplica": 64, "preventSinglePointFailure": false); cluster-proportional-autoscaler
    scales coredns from 2 to 1 ("Replicas are not as expected : updating replicas from 2 to 1"). At the
    evening peak the lone CoreDNS pod is CPU-throttled, queries take seconds, and storefront-bff's
    lookups fail with getaddrinfo EAI_AGAIN: 5xx. Red herring: the coredns Corefile ConfigMap, untouched
    for weeks.
    """
    at = datetime(2026, 11, 25, 19, 36, tzinfo=UTC)
    inc = Incident("bff-errors-page", title="storefront-bff returning 5xx", story=bff_errors_page.__doc__ or "",
                   at=at, seed=903, namespaces=("storefront",), skip={("kube-system", "coredns")})
    yday = at - timedelta(hours=22, minutes=5)
    dns = c("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", port=8080, readiness_path="/ready",
            liveness_path="/health", cpu_request="100m", cpu_limit="250m")
    peak = at - timedelta(minutes=15)

    def dns_log(pod: str, start: datetime, end: datetime) -> Lines:
        head = [(start, ".:53"), (start, "[INFO] plugin/reload: Running configuration SHA512 = 4c3a0b9e1d"),
                (start, "CoreDNS-1.11.3"), (start, "linux/amd64, go1.21.11, a6338e9")]
        return head + every(peak, end, 20, lambda i, t: "[WARNING] plugin/health: Local health request to "
                            f'"http://:8080/health" took more than 1s: {1.2 + (i % 9) / 10:.3f}s')

    core = inc.deployment("kube-system", "coredns", [Rev(3, inc.born + timedelta(days=2), "eks addon v1.11.3",
                                                         [dns])], {3: [P(log=log_of(dns_log))]}, replicas=1)
    inc.service("kube-system", "kube-dns", {"app": "coredns"}, port=53, target=53)
    inc.configmap("kube-system", "coredns", {"Corefile": ".:53 {\n    errors\n    health\n    ready\n    kubernetes "
                  "cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa"
                  "\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n"
                  "    loadbalance\n}\n"}, at=inc.born + timedelta(days=2))
    cm = inc.configmap("kube-system", "dns-autoscaler", {"linear": '{"coresPerReplica":2048,"nodesPerReplica":64,'
                       '"min":1,"preventSinglePointFailure":false}'}, at=inc.born + timedelta(days=2))
    changed(cm, ("kubectl-edit", "Update", yday, {"f:data": {"f:linear": {}}}))

    def cpa_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            return L.klog(t, "I", "k8sclient.go:277", "Cluster status: SchedulableNodes[4], TotalNodes[4], "
                          "SchedulableCores[16], TotalCores[16]")
        return [*every(start, end, 600, line),
                (yday + timedelta(seconds=9), L.klog(yday + timedelta(seconds=9), "I", "autoscaler_server.go:158",
                                                     "ConfigMap version change (old: 1871 new: 904412) - rebuilding "
                                                     "params")),
                (yday + timedelta(seconds=9), L.klog(yday + timedelta(seconds=9), "I", "autoscaler_server.go:193",
                                                     "Params from apiserver: \n{\"coresPerReplica\":2048,"
                                                     "\"nodesPerReplica\":64,\"min\":1,"
                                                     "\"preventSinglePointFailure\":false}")),
                (yday + timedelta(seconds=10), L.klog(yday + timedelta(seconds=10), "I", "autoscaler_server.go:167",
                                                      "Replicas are not as expected : updating replicas from 2 to 1"))]

    inc.deployment("kube-system", "dns-autoscaler", [Rev(1, inc.born + timedelta(days=2), "eks addon",
                   [c("autoscaler", "registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9", port=None)],
                   container={"command": ["/cluster-proportional-autoscaler", "--namespace=kube-system",
                                          "--configmap=dns-autoscaler", "--target=Deployment/coredns",
                                          "--default-params={\"linear\":{\"coresPerReplica\":256,"
                                          "\"nodesPerReplica\":16,\"preventSinglePointFailure\":true}}",
                                          "--logtostderr=true", "--v=2"]})],
                   {1: [P(log=log_of(cpa_log), created=inc.born + timedelta(days=2))]})

    def bff_log(pod: str, start: datetime, end: datetime) -> Lines:
        hosts = ["catalog.shop.svc.cluster.local", "cart.shop.svc.cluster.local", "payments.payments.svc.cluster.local"]

        def line(i: int, t: datetime) -> str:
            if t > peak and i % 3:
                return L.js(t, "error", "upstream request failed", err=f"getaddrinfo EAI_AGAIN {hosts[i % 3]}",
                            code="EAI_AGAIN", route="/api/home", status=502, reqId=L.uuidish(pod, i))
            return L.js(t, "info", "request completed", route="/api/home", status=200,
                        responseTime=48 + i % 30, reqId=L.uuidish(pod, i))
        return every(start, end, 12, line)

    running(inc, "storefront", "storefront-bff", f"{REGISTRY}/storefront/bff:8.14.2", 3, log=log_of(bff_log))
    inc.secret("storefront", "bff-session", {"SESSION_SECRET": inc.canary("token", "bff-session")})
    h = core.pods[0]
    inc.series("container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals.",
               {"namespace": "kube-system", "pod": h.name, "container": "coredns", "job": "kubelet"},
               counting(at - timedelta(hours=2), 0.4, 8.9, peak))
    inc.series("coredns_dns_requests_total", "counter", "Counter of DNS requests made per zone, protocol and family.",
               {"job": "coredns", "pod": h.name, "server": "dns://:53", "zone": ".", "proto": "udp", "type": "A"},
               counting(at - timedelta(hours=2), 1100, 2600, peak))
    inc.series("coredns_dns_request_duration_seconds_p99", "gauge", "p99 of coredns_dns_request_duration_seconds "
               "(recording rule).", {"job": "coredns", "server": "dns://:53"}, ramp(0.004, 2.9, peak, at))
    inc.series("kube_deployment_status_replicas", "gauge", "The number of replicas per deployment.",
               {"namespace": "kube-system", "deployment": "coredns", "job": "kube-state-metrics"}, lambda t: 1)
    inc.pagerduty("[FIRING:1] storefront-bff 5xx ratio > 5% (storefront)", "Storefront")
    inc.answer_key(
        culprit=("ConfigMap", "kube-system", "dns-autoscaler"),
        keywords=["dns-autoscaler", "coredns", "one replica"],
        root_cause="Yesterday's edit of the dns-autoscaler ConfigMap (coresPerReplica 2048, nodesPerReplica 64, "
                   "preventSinglePointFailure false) made cluster-proportional-autoscaler scale coredns to one "
                   "replica; at the peak that single CPU-throttled CoreDNS pod is overloaded and storefront-bff's "
                   "lookups fail with EAI_AGAIN.",
        category="dns-autoscaler-params-shrink-coredns-to-one-replica",
        red_herrings=[("ConfigMap", "kube-system", "coredns")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
def gitops_apply_failing_question() -> Incident:
    """A controller's new resync interval LISTs every pod each 5 s and saturates APF's workload-low level.

    Yesterday platform/label-sync revision 3 set RESYNC_INTERVAL=5s (was 10m): every 5 s it LISTs all pods
    of the cluster without a resourceVersion, straight from etcd. Its service account shares the
    "service-accounts" FlowSchema and the workload-low priority level with every other in-cluster
    controller; the level's queues fill and the API server answers 429. Flux's kustomize-controller, in
    the same priority level, fails every apply: "the server has received too many requests and has asked
    us to try again later". Red herring: source-controller's OOMKill two days ago.
    """
    at = datetime(2026, 11, 26, 13, 40, tzinfo=UTC)
    inc = Incident("gitops-apply-failing-question", title="nothing gets applied from git since 13:40",
                   story=gitops_apply_failing_question.__doc__ or "", at=at, seed=904,
                   namespaces=("platform", "flux-system"))
    yday = at - timedelta(hours=20, minutes=50)

    def sync_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t > at and i % 4 == 0:
                return L.js(t, "error", "list pods failed", error="the server has received too many requests and has "
                            "asked us to try again later (get pods)", retry_in="5s")
            return L.js(t, "info", "resync", pods=4112 + i % 7, namespaces=38, labels_patched=0,
                        took_ms=2300 + (i * 71) % 1500)
        return every(start, end, 5, line)

    image = f"{REGISTRY}/platform/label-sync:0.9.0"
    env2 = [{"name": "RESYNC_INTERVAL", "value": "10m"}, {"name": "LABEL_PREFIX", "value": "cost.example.com/"}]
    env3 = [{"name": "RESYNC_INTERVAL", "value": "5s"}, {"name": "LABEL_PREFIX", "value": "cost.example.com/"}]
    sync = inc.deployment("platform", "label-sync", [
        Rev(2, inc.born + timedelta(days=20), "deploy 0.8.4", [c("label-sync", image.replace("0.9.0", "0.8.4"),
                                                                 env=env2, port=None)]),
        Rev(3, yday, "deploy 0.9.0 (faster cost-label propagation)", [c("label-sync", image, env=env3, port=None)])],
        {3: [P(log=log_of(sync_log), created=yday + timedelta(seconds=5))]})
    changed(sync.obj, ("kubectl-client-side-apply", "Update", yday, {"f:spec": {"f:template": {}}}))

    def kc_log(pod: str, start: datetime, end: datetime) -> Lines:
        apps = ["apps-payments", "apps-shop", "apps-web", "infra-monitoring"]

        def line(i: int, t: datetime) -> str:
            name = apps[i % 4]
            if t > at:
                return L.js(t, "error", "Reconciliation failed after 30.012s, next try in 5m0s", controller=
                            "kustomization", controllerGroup="kustomize.toolkit.fluxcd.io", name=name,
                            namespace="flux-system", error="Deployment/shop/catalog dry-run failed: the server has "
                            "received too many requests and has asked us to try again later")
            return L.js(t, "info", "server-side apply completed", controller="kustomization", name=name,
                        namespace="flux-system", revision="main@sha1:5f2c81d0")
        return every(start, end, 30, line)

    running(inc, "flux-system", "kustomize-controller", "ghcr.io/fluxcd/kustomize-controller:v1.4.0", 1,
            log=log_of(kc_log), port=8080)
    src = running(inc, "flux-system", "source-controller", "ghcr.io/fluxcd/source-controller:v1.4.1", 1, port=9090)
    st = src.pods[0].states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "OOMKilled", 137
    st.last_finished = at - timedelta(days=2, hours=3)
    st.last_started = st.last_finished - timedelta(days=6)
    inc.secret("flux-system", "flux-git-deploy", {"identity": inc.canary("token", "flux-deploy-key")})
    origin = at - timedelta(hours=2)
    for schema, level, base_, rej in (("service-accounts", "workload-low", 0.0, 41.0),
                                      ("kube-system-service-accounts", "workload-high", 0.0, 0.0)):
        inc.series("apiserver_flowcontrol_rejected_requests_total", "counter", "Number of requests rejected by API "
                   "Priority and Fairness subsystem", {"job": "apiserver", "flow_schema": schema,
                                                       "priority_level": level, "reason": "queue-full"},
                   counting(origin, base_, rej, at))
    inc.series("apiserver_flowcontrol_current_inqueue_requests", "gauge", "Number of requests currently pending in "
               "queues of the API Priority and Fairness subsystem", {"job": "apiserver", "flow_schema":
                                                                     "service-accounts", "priority_level":
                                                                     "workload-low"}, ramp(2, 128, at - timedelta(
                                                                         minutes=20), at))
    inc.series("apiserver_request_total", "counter", "Counter of apiserver requests.",
               {"job": "apiserver", "resource": "pods", "verb": "LIST", "scope": "cluster", "code": "200"},
               counting(origin, 0.3, 0.2, at))
    inc.series("apiserver_request_total", "counter", "Counter of apiserver requests.",
               {"job": "apiserver", "resource": "deployments", "verb": "PATCH", "scope": "resource", "code": "429"},
               counting(origin, 0.0, 0.4, at))
    inc.ask("kustomize-controller has failed every reconciliation since about 13:40 and nothing from git reaches "
            "the cluster. What is going on?")
    inc.answer_key(
        culprit=("Deployment", "platform", "label-sync"),
        keywords=["label-sync", "priority and fairness", "workload-low"],
        root_cause="label-sync revision 3 set RESYNC_INTERVAL=5s and LISTs every pod of the cluster every 5 s; the "
                   "API server's Priority and Fairness workload-low level (FlowSchema service-accounts) fills and "
                   "rejects requests with 429, so kustomize-controller's applies in the same level fail.",
        category="apiserver-priority-level-starved-by-list-storm",
        red_herrings=[("Deployment", "flux-system", "source-controller")])
    return inc



# ---- 5 ---------------------------------------------------------------------------------------------
def pricing_availability_burn() -> Incident:
    """A descheduler policy edit puts LowNodeUtilization's thresholds above every node: pods evicted in a loop.

    Yesterday afternoon someone raised the descheduler policy's LowNodeUtilization thresholds (cpu/memory
    20 -> 45) and lowered its targetThresholds (50 -> 50/46): every node now counts as either under- or
    over-utilised, so each 2-minute descheduling run evicts pods from the "overutilized" nodes. catalog-
    pricing's JVM needs ~90 s to warm its price cache; each eviction costs it a warm pod and a burst of 503s.
    The only traces are the events ("pod evicted from ... node by sigs.k8s.io/descheduler") and the
    ConfigMap's managedFields. Red herring: catalog-pricing's PodDisruptionBudget (minAvailable 2).
    """
    at = datetime(2026, 11, 27, 10, 52, tzinfo=UTC)
    inc = Incident("pricing-availability-burn", title="catalog-pricing availability SLO burning",
                   story=pricing_availability_burn.__doc__ or "", at=at, seed=905, namespaces=("catalog",))
    yday = at - timedelta(hours=18, minutes=26)
    policy = inc.configmap("kube-system", "descheduler", {"policy.yaml": (
        "apiVersion: \"descheduler/v1alpha2\"\nkind: \"DeschedulerPolicy\"\nprofiles:\n- name: default\n  "
        "pluginConfig:\n  - name: DefaultEvictor\n    args:\n      ignorePvcPods: true\n      evictLocalStoragePods: "
        "true\n  - name: RemoveDuplicates\n  - name: LowNodeUtilization\n    args:\n      thresholds:\n"
        "        cpu: 45\n        memory: 45\n        pods: 45\n      targetThresholds:\n        cpu: 50\n"
        "        memory: 46\n"
        "        pods: 50\n  plugins:\n    balance:\n      enabled:\n      - RemoveDuplicates\n      - "
        "LowNodeUtilization\n")}, at=inc.born + timedelta(days=3))
    changed(policy, ("helm", "Update", inc.born + timedelta(days=3), {"f:data": {}}),
            ("kubectl-edit", "Update", yday, {"f:data": {"f:policy.yaml": {}}}))
    running(inc, "kube-system", "descheduler", "registry.k8s.io/descheduler/descheduler:v0.31.0", 1, port=10258,
            at=inc.born + timedelta(days=3))
    image = f"{REGISTRY}/catalog/catalog-pricing:2.19.0"

    def pricing_log(pod: str, start: datetime, end: datetime) -> Lines:
        warm = start + timedelta(seconds=88)
        out: Lines = [(start, L.spring(start, "INFO", "c.e.pricing.PricingApplication", "Starting PricingApplication "
                                       "v2.19.0 using Java 21.0.5 with PID 1")),
                      (warm, L.spring(warm, "INFO", "c.e.pricing.cache.PriceCacheLoader",
                                      "Price cache warmed: 1843210 entries in 86412 ms"))]
        out += every(start + timedelta(seconds=5), warm, 15, lambda i, t: L.spring(
            t, "WARN", "c.e.pricing.web.ReadinessGate", "Rejecting request GET /v3/prices: cache warming (503)",
            thread=f"http-nio-8080-exec-{1 + i % 9}"))
        return out

    nodes = inc.node_names()
    born = at - timedelta(minutes=6)
    plans = [P(log=log_of(pricing_log), created=born - timedelta(minutes=4 * i), node=nodes[i % 4])
             for i in range(4)]
    pricing = inc.deployment("catalog", "catalog-pricing", [Rev(12, inc.born + timedelta(days=25), "deploy 2.19.0",
                             [c("catalog-pricing", image, memory_limit="3Gi", memory_request="2Gi")])],
                             {12: plans})
    evicted = [f"{pricing.rs[12]}-{o.suffix(f'gone-{i}', 5)}" for i in range(9)]
    rs = inc.find("ReplicaSet", "catalog", pricing.rs[12])
    for i, name in enumerate(evicted):
        when = at - timedelta(minutes=44) + timedelta(minutes=4 * i + (i % 2))
        gone = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": "catalog",
                                                                  "uid": o.uid("pod", "catalog", name)}}
        node = nodes[(i + 1) % 4]
        inc.event(gone, "Descheduled", f"pod evicted from {node} node by sigs.k8s.io/descheduler", when,
                  warning=False, component="sigs.k8s.io/descheduler")
        inc.event(gone, "Killing", "Stopping container catalog-pricing", when + timedelta(seconds=1), warning=False,
                  host=node)
        inc.event(rs, "SuccessfulCreate", f"Created pod: {evicted[i + 1] if i + 1 < len(evicted) else name}",
                  when + timedelta(seconds=1), warning=False, component="replicaset-controller")
    for i, h in enumerate(inc.pods_of("shop", "catalog")[:2]):
        name = f"{h.name.rsplit('-', 1)[0]}-{o.suffix(f'catalog-gone-{i}', 5)}"
        gone = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": "shop",
                                                                  "uid": o.uid("pod", "shop", name)}}
        inc.event(gone, "Descheduled", f"pod evicted from {h.node} node by sigs.k8s.io/descheduler",
                  at - timedelta(minutes=30 - 9 * i), warning=False, component="sigs.k8s.io/descheduler")
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "catalog-pricing", "namespace": "catalog"},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "catalog-pricing"}}},
             "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 4,
                        "observedGeneration": 1}})
    inc.secret("catalog", "pricing-db", {"password": inc.canary("password", "pricing-db")})
    origin = at - timedelta(hours=2)
    inc.series("http_server_requests_seconds_count", "counter", "Spring Boot request count.",
               {"namespace": "catalog", "service": "catalog-pricing", "uri": "/v3/prices", "status": "503"},
               counting(origin, 0.0, 3.1, at - timedelta(minutes=46)))
    inc.series("http_server_requests_seconds_count", "counter", "Spring Boot request count.",
               {"namespace": "catalog", "service": "catalog-pricing", "uri": "/v3/prices", "status": "200"},
               counting(origin, 60.0, 54.0, at - timedelta(minutes=46)))
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
               "deployment.", {"namespace": "catalog", "deployment": "catalog-pricing", "job": "kube-state-metrics"},
               lambda t: 4 if t < at - timedelta(minutes=46) else 3 + (t.minute % 4 > 1))
    inc.slo_burn("catalog-pricing", "catalog", "pricing-availability", "0.999", 17.5,
                 "catalog-pricing answers 503 to 5% of /v3/prices requests (17.5x the error budget).")
    inc.answer_key(
        culprit=("ConfigMap", "kube-system", "descheduler"),
        keywords=["descheduler", "LowNodeUtilization", "evicted"],
        root_cause="Yesterday's edit of the descheduler policy (LowNodeUtilization thresholds 45, targetThresholds "
                   "50) classes nodes as overutilized on every run; the descheduler evicted catalog-pricing pods "
                   "every few minutes and each replacement answers 503 while its cache warms.",
        category="descheduler-thresholds-evict-pods-in-a-loop",
        red_herrings=[("PodDisruptionBudget", "catalog", "catalog-pricing")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
def orders_db_replica_missing() -> Incident:
    """A CI StatefulSet scaled to 24 volume-backed pods uses up the nodes' EBS attach slots: a DB pod can't schedule.

    Yesterday the CI team raised ci/buildkitd from 6 to 24 replicas (helm values), each with its own
    50Gi gp3 cache volume. The m6i.xlarge nodes allow 25 attached EBS volumes (CSINode allocatable count,
    minus the ENIs). This morning orders-db-1's node was replaced; the new pod must go to its volume's
    zone (eu-west-1a) and both nodes there "exceed max volume count": FailedScheduling, one database
    replica missing. Red herring: the gp3 StorageClass (WaitForFirstConsumer), which is fine.
    """
    at = datetime(2026, 11, 30, 9, 14, tzinfo=UTC)
    inc = Incident("orders-db-replica-missing", title="orders-db has a replica missing",
                   story=orders_db_replica_missing.__doc__ or "", at=at, seed=906, namespaces=("orders", "ci"))
    yday = at - timedelta(hours=17, minutes=3)
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
             "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True})
    for n in inc.cluster.nodes:
        inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": n["metadata"]["name"]},
                 "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-0" + o.suffix(n["metadata"]["name"],
                                                                                               16),
                                       "allocatable": {"count": 25},
                                       "topologyKeys": ["topology.ebs.csi.aws.com/zone"]}]}})
    bk = inc.statefulset("ci", "buildkitd", [c("buildkitd", "docker.io/moby/buildkit:v0.17.2-rootless", port=1234,
                                               readiness_path=None, liveness_path=None, memory_limit="8Gi")],
                         [P() for _ in range(24)], at=yday, claims=[("cache", "50Gi", "gp3")])
    bk.obj["metadata"]["generation"] = 4
    changed(bk.obj, ("helm", "Update", yday, {"f:spec": {"f:replicas": {}}}))
    pg = "docker.io/bitnami/postgresql:16.4.0"
    wait = ("0/4 nodes are available: 2 node(s) exceed max volume count, 2 node(s) had volume node affinity "
            "conflict. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.")

    def pg_log(pod: str, start: datetime, end: datetime) -> Lines:
        return every(start, end, 300, lambda i, t: L.postgres(t, "LOG", f"checkpoint complete: wrote {80 + i} "
                                                              "buffers (0.5%); 0 WAL file(s) added, 0 removed, 1 "
                                                              "recycled; write=8.1 s, sync=0.004 s, total=8.1 s"))

    db = inc.statefulset("orders", "orders-db", [c("postgresql", pg, port=5432, readiness_path=None,
                                                   liveness_path=None, memory_limit="4Gi")],
                         [P(log=log_of(pg_log)), P(state="pending", message=wait, created=at - timedelta(minutes=22)),
                          P(log=log_of(pg_log))], at=inc.born + timedelta(days=4), claims=[("data", "200Gi", "gp3")],
                         service=5432)
    inc.event(inc.cluster.pod_object(db.pods[1]), "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 node(s) had "
              "volume node affinity conflict, 1 node(s) exceed max volume count", at - timedelta(minutes=21),
              inc.captured - timedelta(minutes=1), count=21, warning=False, component="cluster-autoscaler")
    inc.secret("orders", "orders-db", {"postgres-password": inc.canary("password", "orders-db")})
    for h in bk.pods[:3]:
        inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
                   {"namespace": "ci", "persistentvolumeclaim": f"cache-{h.name}", "job": "kubelet"},
                   lambda t: 31.0 * 2**30)
    inc.series("kube_statefulset_status_replicas_ready", "gauge", "The number of ready replicas per StatefulSet.",
               {"namespace": "orders", "statefulset": "orders-db", "job": "kube-state-metrics"},
               step(3, 2, at - timedelta(minutes=22)))
    inc.series("kube_statefulset_replicas", "gauge", "Number of desired pods for a StatefulSet.",
               {"namespace": "ci", "statefulset": "buildkitd", "job": "kube-state-metrics"}, lambda t: 24)
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "orders", "statefulset": "orders-db",
                                                         "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet orders/orders-db has not matched the expected number of replicas for longer than "
                     "15 minutes.", 'kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != '
                     'kube_statefulset_status_replicas{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("StatefulSet", "ci", "buildkitd"),
        keywords=["buildkitd", "max volume count", "attach"],
        root_cause="ci/buildkitd was scaled from 6 to 24 replicas yesterday, each with its own EBS cache volume; "
                   "they use up the nodes' EBS attach limit (CSINode allocatable 25), so orders-db-1 cannot "
                   "schedule in its volume's zone: the nodes there exceed max volume count.",
        category="csi-node-volume-attach-limit-exhausted",
        red_herrings=[("StorageClass", "", "gp3")])
    return inc



# ---- 7 ---------------------------------------------------------------------------------------------
def artifact_store_down_page() -> Incident:
    """A chart upgrade adds fsGroup to a StatefulSet on a volume of millions of files: the kubelet's recursive chown.

    40 minutes ago the nexus chart upgrade added securityContext.fsGroup 200 to artifacts/nexus (new
    ControllerRevision) without fsGroupChangePolicy: OnRootMismatch. On every mount the kubelet now walks
    the 1.2 TB blob store (about 9 million files) to change group ownership; the pod sits in
    ContainerCreating with FailedMount "timed out waiting for the condition" although the volume attached
    fine, and every CI build that pulls dependencies fails. Red herring: the data volume at 81% full.
    """
    at = datetime(2026, 12, 1, 8, 41, tzinfo=UTC)
    inc = Incident("artifact-store-down-page", title="Maven/npm proxy down, CI builds failing",
                   story=artifact_store_down_page.__doc__ or "", at=at, seed=907, namespaces=("artifacts",))
    upgrade = at - timedelta(minutes=40)
    image = "docker.io/sonatype/nexus3:3.74.0"
    nx = inc.statefulset("artifacts", "nexus", [c("nexus", image, port=8081, readiness_path="/service/rest/v1/status",
                                                  liveness_path=None, memory_limit="8Gi", memory_request="6Gi")],
                         [P(state="waiting", waiting_reason="ContainerCreating", created=upgrade + timedelta(
                             seconds=31))], at=upgrade, claims=[("nexus-data", "1500Gi", "gp3")], service=8081)
    h = nx.pods[0]
    drop_events(inc, h.name, {"Pulled", "Failed"})
    security = {"runAsUser": 200, "runAsGroup": 200, "fsGroup": 200}
    nx.obj["spec"]["template"]["spec"]["securityContext"] = security
    inc.cluster.patch("artifacts", h.name, lambda pod: pod["spec"].update({"securityContext": security}))
    old_tpl = {"spec": {"containers": [{"name": "nexus", "image": "docker.io/sonatype/nexus3:3.72.0"}],
                        "securityContext": {"runAsUser": 200, "runAsGroup": 200}}}
    new_tpl = {"spec": {"containers": [{"name": "nexus", "image": image}], "securityContext": security}}
    old = revision(inc, "StatefulSet", "artifacts", "nexus", 7, inc.born + timedelta(days=11), old_tpl)
    new = revision(inc, "StatefulSet", "artifacts", "nexus", 8, upgrade, new_tpl)
    nx.obj["status"].update({"currentRevision": old["metadata"]["name"], "updateRevision": new["metadata"]["name"],
                             "readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0})
    nx.obj["metadata"]["generation"] = 8
    inc.cluster.patch("artifacts", h.name, lambda pod: pod["metadata"]["labels"].update(
        {"controller-revision-hash": new["metadata"]["name"]}))
    pod = inc.cluster.pod_object(h)
    pvc = f"pvc-{o.uid('pvc', 'artifacts', 'nexus-data-nexus-0')}"
    inc.event(pod, "SuccessfulAttachVolume", f'AttachVolume.Attach succeeded for volume "{pvc}" ',
              h.created + timedelta(seconds=12), warning=False, component="attachdetach-controller")
    inc.event(pod, "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[nexus-data], unattached "
              "volumes=[], failed to process volumes=[]: timed out waiting for the condition",
              h.created + timedelta(minutes=2, seconds=14), inc.captured - timedelta(minutes=1), count=17, host=h.node)
    inc.secret("artifacts", "nexus-admin", {"admin.password": inc.canary("password", "nexus-admin")})
    origin = at - timedelta(hours=2)
    inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
               {"namespace": "artifacts", "persistentvolumeclaim": "nexus-data-nexus-0", "job": "kubelet"},
               lambda t: 1.21e12)
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
               {"namespace": "artifacts", "persistentvolumeclaim": "nexus-data-nexus-0", "job": "kubelet"},
               lambda t: 1.5e12)
    inc.series("kubelet_volume_stats_inodes_used", "gauge", "Number of used inodes in the volume",
               {"namespace": "artifacts", "persistentvolumeclaim": "nexus-data-nexus-0", "job": "kubelet"},
               lambda t: 9.14e6)
    inc.series("node_disk_io_time_seconds_total", "counter", "Total seconds spent doing I/Os.",
               {"instance": h.node, "device": "nvme1n1", "job": "node-exporter"},
               counting(origin, 0.05, 0.97, upgrade + timedelta(seconds=45)))
    inc.series("kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container is "
               "currently in waiting state.", {"namespace": "artifacts", "pod": h.name, "container": "nexus",
                                               "reason": "ContainerCreating", "job": "kube-state-metrics"},
               step(0, 1, upgrade + timedelta(seconds=31)))
    inc.pagerduty("Nexus repository manager unreachable: CI dependency downloads failing", "CI Platform")
    inc.answer_key(
        culprit=("StatefulSet", "artifacts", "nexus"),
        keywords=["fsGroup", "fsGroupChangePolicy", "ownership"],
        root_cause="The chart upgrade added securityContext.fsGroup to the nexus StatefulSet without "
                   "fsGroupChangePolicy OnRootMismatch; the kubelet recursively changes the ownership of the 9 "
                   "million files on the volume before starting the container, so the pod is stuck in "
                   "ContainerCreating (FailedMount timed out).",
        category="fsgroup-recursive-ownership-change-stalls-mount",
        red_herrings=[("PersistentVolumeClaim", "artifacts", "nexus-data-nexus-0")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
def account_pages_broken_page() -> Incident:
    """A new Ingress joins the shared ALB group with a lower group.order and a catch-all path: it shadows others.

    Yesterday marketing created Ingress black-friday-landing in its own namespace, in the shared
    alb.ingress.kubernetes.io/group.name "public" with group.order "-10" and a Prefix "/" rule on
    www.example.com. The AWS Load Balancer Controller gives its catch-all listener rule priority over
    accounts-web's /account rules (group.order 0): every /account request, the login API included, gets
    the landing page (200, HTML). accounts-web's target group receives only health checks. Red herring:
    accounts-web's own rollout this morning (a copy change).
    """
    at = datetime(2026, 11, 27, 8, 3, tzinfo=UTC)
    inc = Incident("account-pages-broken-page", title="Synthetic check: www.example.com/account login failing",
                   story=account_pages_broken_page.__doc__ or "", at=at, seed=908,
                   namespaces=("accounts", "marketing"))
    made = at - timedelta(hours=13, minutes=20)

    def ingress(ns: str, name: str, order: str, paths: list[str], service: str, when: datetime) -> dict[str, Any]:
        return inc.add({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(when), "generation": 1,
                         "annotations": {"alb.ingress.kubernetes.io/group.name": "public",
                                         "alb.ingress.kubernetes.io/group.order": order,
                                         "alb.ingress.kubernetes.io/scheme": "internet-facing",
                                         "alb.ingress.kubernetes.io/target-type": "ip",
                                         "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]'}},
            "spec": {"ingressClassName": "alb", "rules": [{"host": "www.example.com", "http": {"paths": [
                {"path": p, "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}
                for p in paths]}}]},
            "status": {"loadBalancer": {"ingress": [
                {"hostname": "k8s-public-5e1f0c2b7a-1873265120.eu-west-1.elb.amazonaws.com"}]}}})

    ingress("accounts", "accounts-web", "0", ["/account", "/account/api"], "accounts-web", inc.born + timedelta(days=6))
    landing = ingress("marketing", "black-friday-landing", "-10", ["/"], "landing", made)
    changed(landing, ("kubectl-client-side-apply", "Update", made, {"f:metadata": {"f:annotations": {}},
                                                                    "f:spec": {"f:rules": {}}}),
            ("controller", "Update", made + timedelta(seconds=8), {"f:status": {"f:loadBalancer": {}}}))
    inc.service("accounts", "accounts-web", {"app": "accounts-web"})
    inc.service("marketing", "landing", {"app": "landing"})

    def web_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t > made:
                return L.js(t, "info", "request completed", method="GET", url="/healthz", status=200,
                            userAgent="ELB-HealthChecker/2.0", responseTime=1)
            return L.js(t, "info", "request completed", method="POST" if i % 3 else "GET",
                        url="/account/api/session" if i % 3 else "/account/login", status=200, responseTime=31 + i % 20)
        return every(start, end, 15, line)

    web_image = f"{REGISTRY}/accounts/accounts-web:4.8.1"
    inc.deployment("accounts", "accounts-web", [
        Rev(40, inc.born + timedelta(days=20), "deploy 4.8.0",
            [c("accounts-web", web_image.replace("4.8.1", "4.8.0"))]),
        Rev(41, at - timedelta(hours=2, minutes=10), "deploy 4.8.1 (copy: login page wording)",
            [c("accounts-web", web_image)])], {41: [P(log=log_of(web_log)) for _ in range(3)]})
    running(inc, "marketing", "landing", f"{REGISTRY}/marketing/landing:2026.11.26", 2, at=made - timedelta(minutes=5))

    def lbc_log(pod: str, start: datetime, end: datetime) -> Lines:
        t = made + timedelta(seconds=3)
        return [(t, L.js(t, "info", "creating targetGroup", logger="controllers.ingress.elbv2",
                         stackID="public", resourceID="marketing/black-friday-landing-landing:80")),
                (t + timedelta(seconds=2), L.js(t + timedelta(seconds=2), "info", "creating listener rule",
                                                logger="controllers.ingress.elbv2", stackID="public",
                                                resourceID="443:1")),
                (t + timedelta(seconds=3), L.js(t + timedelta(seconds=3), "info", "modifying listener rule",
                                                logger="controllers.ingress.elbv2", stackID="public",
                                                resourceID="443:2", priority=2)),
                (t + timedelta(seconds=5), L.js(t + timedelta(seconds=5), "info", "successfully deployed model",
                                                logger="controllers.ingress", ingressGroup="public")),
                *every(start, end, 600, lambda i, t2: L.js(t2, "info", "successfully deployed model",
                                                            logger="controllers.ingress", ingressGroup="public"))]

    running(inc, "kube-system", "aws-load-balancer-controller",
            "public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2", 1, log=log_of(lbc_log), port=9443)
    inc.secret("accounts", "accounts-oauth", {"client-secret": inc.canary("token", "accounts-oauth")})
    origin = at - timedelta(hours=2)
    inc.series("aws_applicationelb_request_count_per_target_sum", "gauge", "CloudWatch ALB RequestCountPerTarget "
               "(YACE)", {"job": "yace", "dimension_TargetGroup": "targetgroup/k8s-accounts-accountsw-3c1a9e0b77",
                          "dimension_LoadBalancer": "app/k8s-public-5e1f0c2b7a"}, lambda t: 0.0)
    inc.series("aws_applicationelb_request_count_per_target_sum", "gauge", "CloudWatch ALB RequestCountPerTarget "
               "(YACE)", {"job": "yace", "dimension_TargetGroup": "targetgroup/k8s-marketin-landing-91fe2d0c41",
                          "dimension_LoadBalancer": "app/k8s-public-5e1f0c2b7a"}, lambda t: 812.0)
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox", "instance": "https://www.example.com/account/login", "module": "http_login"},
               step(1, 0, at - timedelta(minutes=5)))
    inc.series("http_requests_total", "counter", "Requests served.",
               {"namespace": "accounts", "service": "accounts-web", "code": "200"}, counting(origin, 0.2, 0.2, at))
    inc.pagerduty("Synthetics: www.example.com/account/login check failing (expected text \"Sign in\" not found)",
                  "Customer Accounts")
    inc.answer_key(
        culprit=("Ingress", "marketing", "black-friday-landing"),
        keywords=["group.order", "catch-all", "listener rule"],
        root_cause="Ingress black-friday-landing joined the shared ALB group public with group.order -10 and a "
                   "catch-all Prefix / path on www.example.com; the AWS Load Balancer Controller ordered its "
                   "listener rule before accounts-web's /account rules, so every /account request gets the landing "
                   "page and accounts-web receives no traffic.",
        category="alb-ingress-group-catch-all-rule-shadows-paths",
        red_herrings=[("Deployment", "accounts", "accounts-web")])
    return inc



# ---- 9 ---------------------------------------------------------------------------------------------
def policy_engine_restarts_grouped() -> Incident:
    """A Karpenter EC2NodeClass moved to AL2023 (cgroup v2): an old JVM sizes its heap from the host and is OOMKilled.

    Yesterday the cluster-scoped EC2NodeClass eks-workers switched its amiSelectorTerms from al2@latest to
    al2023@latest; since Karpenter's drift replacements overnight two nodes run Amazon Linux 2023 (cgroup v2).
    policy-engine runs Java 8u292, which only reads cgroup v1 limits: on the new nodes the JVM sees the
    host's 16 GiB and sizes its max heap to 4 GiB inside a 2 GiB limit, so those pods are OOMKilled under
    load (jvm max heap 4.0e9 there, 512 MiB on the AL2 nodes). Red herring: the policy rules ConfigMap
    updated this morning.
    """
    at = datetime(2026, 11, 20, 10, 27, tzinfo=UTC)
    inc = Incident("policy-engine-restarts-grouped", title="policy-engine pods restarting",
                   story=policy_engine_restarts_grouped.__doc__ or "", at=at, seed=909,
                   namespaces=("underwriting", "karpenter"))
    yday = at - timedelta(hours=20, minutes=12)
    define_crd(inc, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", "v1", "Cluster")
    define_crd(inc, "karpenter.sh", "NodePool", "nodepools", "v1", "Cluster")
    nodeclass = inc.add({
        "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
        "metadata": {"name": "eks-workers", "generation": 6, "creationTimestamp": ts(inc.born)},
        "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}], "role": "KarpenterNodeRole-prod-eu-west-1",
                 "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                 "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                 "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "100Gi",
                                                                             "volumeType": "gp3"}}]},
        "status": {"amis": [{"id": "ami-0c1f2e3d4b5a69788", "name": "amazon-eks-node-al2023-x86_64-standard-1.30-"
                             "v20241115"}],
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "",
                                   "lastTransitionTime": ts(yday + timedelta(seconds=30))}]}})
    changed(nodeclass, ("kubectl-client-side-apply", "Update", yday, {"f:spec": {"f:amiSelectorTerms": {}}}))
    inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
             "metadata": {"name": "general", "creationTimestamp": ts(inc.born)},
             "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                             "name": "eks-workers"},
                                            "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                              "values": ["on-demand"]}]}},
                      "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"}}})
    new_nodes = []
    for i, n in enumerate(inc.cluster.nodes):
        n["metadata"]["labels"].update({"karpenter.sh/nodepool": "general",
                                        "karpenter.k8s.aws/ec2nodeclass": "eks-workers"})
        info = n["status"]["nodeInfo"]
        if i < 2:
            new_nodes.append(n["metadata"]["name"])
            info.update({"osImage": "Amazon Linux 2023.6.20241111", "kernelVersion": "6.1.115-126.197.amzn2023.x86_64",
                         "containerRuntimeVersion": "containerd://1.7.23"})
        else:
            info.update({"osImage": "Amazon Linux 2", "kernelVersion": "5.10.228-219.884.amzn2.x86_64",
                         "containerRuntimeVersion": "containerd://1.7.22"})
    nodes = inc.node_names()
    image = f"{REGISTRY}/underwriting/policy-engine:7.3.2"

    def pe_log(pod: str, start: datetime, end: datetime) -> Lines:
        lines_: Lines = [(start, L.spring(start, "INFO", "c.e.uw.PolicyEngineApplication",
                                          "Starting PolicyEngineApplication v7.3.2 on " + pod + " with PID 1")),
                         (start + timedelta(seconds=2), L.spring(start + timedelta(seconds=2), "INFO",
                                                                 "c.e.uw.config.RuntimeInfo",
                                                                 "java.version=1.8.0_292 availableProcessors=4"))]
        return lines_ + every(start + timedelta(seconds=20), end, 10, lambda i, t: L.spring(
            t, "INFO", "c.e.uw.rules.Evaluator", f"evaluated {400 + 17 * i} quotes, ruleset=2026-11-20.1",
            thread=f"worker-{i % 8}"))

    plans = [P(state="crashloop", reason="OOMKilled", exit_code=137, node=nodes[i], log=log_of(pe_log),
               run_s=lambda n: 380.0 + 40 * (n % 3), crash_from=yday + timedelta(hours=4)) for i in (0, 1)]
    plans += [P(node=nodes[i], log=log_of(pe_log)) for i in (2, 3)]
    pe = inc.deployment("underwriting", "policy-engine", [Rev(15, inc.born + timedelta(days=18), "deploy 7.3.2",
                        [c("policy-engine", image, memory_limit="2Gi", memory_request="2Gi")])], {15: plans})
    cm = inc.configmap("underwriting", "policy-engine-rules", {"ruleset": "2026-11-20.1", "MAX_RULE_DEPTH": "12"})
    changed(cm, ("kubectl-edit", "Update", at - timedelta(hours=2, minutes=30), {"f:data": {"f:ruleset": {}}}))
    inc.secret("underwriting", "policy-engine-db", {"password": inc.canary("password", "policy-engine-db")})
    inc.pod_series(pe.pods)
    for h in pe.pods:
        heap = 4.0e9 if h.node in new_nodes else 5.37e8
        inc.series("jvm_memory_max_bytes", "gauge", "The maximum amount of memory in bytes that can be used for "
                   "memory management", {"namespace": "underwriting", "pod": h.name, "area": "heap",
                                         "id": "PS Old Gen" if heap > 1e9 else "Tenured Gen"}, lambda t, v=heap: v)
    alerts = [kp_alert("KubePodCrashLooping", {"namespace": "underwriting", "pod": h.name, "container":
                                               "policy-engine", "job": "kube-state-metrics"},
                       "Pod is crash looping.", f"Pod underwriting/{h.name} (policy-engine) is in waiting state "
                       "(reason: \"CrashLoopBackOff\").", 'max_over_time(kube_pod_container_status_waiting_reason'
                       '{reason="CrashLoopBackOff", job="kube-state-metrics"}[5m]) >= 1', at) for h in pe.pods[:2]]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("EC2NodeClass", "", "eks-workers"),
        keywords=["AL2023", "cgroup v2", "heap"],
        root_cause="The EC2NodeClass eks-workers moved from al2 to AL2023 AMIs; the drifted nodes run cgroup v2, "
                   "which policy-engine's Java 8u292 cannot read, so on those nodes the JVM sizes its heap from the "
                   "host's memory (4 GB max heap in a 2Gi limit) and is OOMKilled.",
        category="node-image-cgroup-v2-legacy-jvm-heap-oversized",
        red_herrings=[("ConfigMap", "underwriting", "policy-engine-rules")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
def log_shipping_crashloop() -> Incident:
    """A new file-integrity DaemonSet takes every inotify instance root has: promtail can't start on any node.

    Yesterday security rolled out DaemonSet security/fim-agent, which opens one inotify instance per
    watched tree (it logs "inotify instances in use: 127/128"). fs.inotify.max_user_instances is 128 on
    the nodes and both run as root, so after the nodes' log-rotation restarts promtail this morning it
    dies with "failed to make file target manager: too many open files": no logs reach Loki from any
    node. Red herring: Loki's ingester StatefulSet, which hit its ingestion rate limit two days ago.
    """
    at = datetime(2026, 11, 19, 7, 48, tzinfo=UTC)
    inc = Incident("log-shipping-crashloop", title="promtail crash looping on every node",
                   story=log_shipping_crashloop.__doc__ or "", at=at, seed=910, namespaces=("security", "logging"))
    yday = at - timedelta(hours=16, minutes=31)
    fim_pods = inc.cluster.daemonset("security", "fim-agent", f"{REGISTRY}/security/fim-agent:1.2.0", yday,
                                     memory_mi=90)
    fim = inc.find("DaemonSet", "security", "fim-agent")
    fim["spec"]["template"]["spec"].update({"hostPID": True, "volumes": [
        {"name": "host", "hostPath": {"path": "/", "type": "Directory"}}]})
    revision(inc, "DaemonSet", "security", "fim-agent", 1, yday, {"spec": fim["spec"]["template"]["spec"]},
             hash_=o.suffix("fim-agent", 10))
    for h in fim_pods:
        t0, node = yday + timedelta(seconds=6), h.node
        h.logs["fim-agent"] = L.lines([
            (t0, L.js(t0, "info", "starting fim-agent", version="1.2.0", node=h.node)),
            (t0 + timedelta(seconds=2), L.js(t0 + timedelta(seconds=2), "info", "watching trees", trees=127,
                                             paths=[ "/etc", "/usr/bin", "/var/lib/kubelet"])),
            (t0 + timedelta(seconds=3), L.js(t0 + timedelta(seconds=3), "warn", "inotify instances in use: 127/128",
                                             hint="raise fs.inotify.max_user_instances")),
            *[(t, L.js(t, "info", "integrity scan complete", changed=j % 3, node=node))
              for j, t in enumerate(L.every(t0 + timedelta(minutes=10), inc.captured, 1800))]])

    def promtail_log(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start, f'level=info ts={start:%Y-%m-%dT%H:%M:%S}.{start.microsecond // 1000:03d}Z caller=main.go:'
                        '174 msg="Starting Promtail" version="(version=3.2.1, branch=HEAD, revision=4a7dbd6f1)"'),
                (start + timedelta(milliseconds=40), f'level=error ts={start:%Y-%m-%dT%H:%M:%S}.'
                 f'{start.microsecond // 1000 + 40:03d}Z caller=main.go:170 msg="error creating promtail" '
                 'error="failed to make file target manager: too many open files"')]

    image = "docker.io/grafana/promtail:3.2.1"
    inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": "promtail", "namespace": "logging", "generation": 3, "labels": {"app": "promtail"},
                          "creationTimestamp": ts(inc.born)},
             "spec": {"selector": {"matchLabels": {"app": "promtail"}},
                      "template": {"metadata": {"labels": {"app": "promtail"}}, "spec": {
                          "containers": [c("promtail", image, port=3101).spec()]}},
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
             "status": {"currentNumberScheduled": 4, "desiredNumberScheduled": 4, "numberAvailable": 0,
                        "numberMisscheduled": 0, "numberReady": 0, "numberUnavailable": 4, "observedGeneration": 3,
                        "updatedNumberScheduled": 4}})
    rev = Rev(3, at - timedelta(minutes=40), "log rotation restart", [c("promtail", image, port=3101)])
    pods = []
    for i, node in enumerate(inc.node_names()):
        name = f"promtail-{o.suffix(f'promtail/{node}', 5)}"
        pods.append(inc._pod("logging", "promtail", name, rev, P(
            state="crashloop", log=log_of(promtail_log), run_s=lambda n: 0.2, node=node,
            created=at - timedelta(minutes=40) + timedelta(seconds=20 * i)), i,
            {"app": "promtail", "controller-revision-hash": o.suffix("promtail", 10)},
            o.owner_ref("DaemonSet", "promtail", "logging")))
    loki = inc.statefulset("logging", "loki", [c("loki", "docker.io/grafana/loki:3.2.1", port=3100)],
                           [P() for _ in range(3)], at=inc.born + timedelta(days=5), service=3100)
    limited = at - timedelta(days=2, hours=1)
    loki.pods[0].logs["loki"] = L.lines([(limited, (
        f"level=warn ts={limited:%Y-%m-%dT%H:%M:%S}Z caller=grpc_logging.go:76 method=/logproto.Pusher/Push "
        'msg="request rejected" err="rpc error: code = Code(429) desc = ingestion rate limit exceeded for user '
        "fake (limit: 4194304 bytes/sec) while attempting to ingest '2210' lines totaling '1048576' bytes\""))])
    inc.secret("logging", "loki-s3", {"AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "loki-s3"),
                                      "AWS_ACCESS_KEY_ID": inc.canary("aws", "loki-s3")})
    inc.pod_series(pods, memory=False)
    inc.series("loki_distributor_lines_received_total", "counter", "The total number of lines received.",
               {"job": "loki", "tenant": "fake"}, counting(at - timedelta(hours=2), 2400.0, 0.0,
                                                           at - timedelta(minutes=40)))
    h = pods[0]
    inc.alertmanager("KubePodCrashLooping", {"namespace": "logging", "pod": h.name, "container": "promtail",
                                             "job": "kube-state-metrics"}, "Pod is crash looping.",
                     f"Pod logging/{h.name} (promtail) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("DaemonSet", "security", "fim-agent"),
        keywords=["fim-agent", "inotify", "max_user_instances"],
        root_cause="The new fim-agent DaemonSet holds 127 of the 128 inotify instances root may open "
                   "(fs.inotify.max_user_instances) on every node, so promtail, also root, fails at start with "
                   "'too many open files' creating its file watcher and crash-loops everywhere.",
        category="inotify-instances-exhausted-by-node-agent",
        red_herrings=[("StatefulSet", "logging", "loki")])
    return inc



# ---- 11 --------------------------------------------------------------------------------------------
def ledger_replica_lag() -> Incident:
    """The default StorageClass annotation moved to an EFS (NFS) class: a new database replica's volume is on NFS.

    Yesterday a platform engineer marked efs-sc as the cluster's default StorageClass (and removed the
    annotation from gp3) for a team's ReadWriteMany needs. pg-ledger's volumeClaimTemplate names no
    storageClassName; this morning's scale-up to 3 created data-pg-ledger-2 on efs-sc (efs.csi.aws.com).
    On NFS the new replica's WAL fsyncs take hundreds of milliseconds: checkpoints sync for 40 s and
    replay lags minutes behind. Red herring: the pg-ledger-config ConfigMap (max_wal_size raised last week).
    """
    at = datetime(2026, 11, 21, 11, 9, tzinfo=UTC)
    inc = Incident("ledger-replica-lag", title="pg-ledger replica lagging", story=ledger_replica_lag.__doc__ or "",
                   at=at, seed=911, namespaces=("ledger",))
    yday = at - timedelta(hours=23, minutes=2)
    gp3 = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                   "metadata": {"name": "gp3", "annotations": {}},
                   "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
                   "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
                   "allowVolumeExpansion": True})
    changed(gp3, ("kubectl-annotate", "Update", yday, {"f:metadata": {"f:annotations": {}}}))
    efs = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                   "metadata": {"name": "efs-sc", "creationTimestamp": ts(yday - timedelta(minutes=3)),
                                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                   "provisioner": "efs.csi.aws.com",
                   "parameters": {"provisioningMode": "efs-ap", "fileSystemId": "fs-0a7c3e91d2b4f5061",
                                  "directoryPerms": "700"},
                   "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"})
    changed(efs, ("kubectl-client-side-apply", "Update", yday - timedelta(minutes=3), {"f:parameters": {}}),
            ("kubectl-annotate", "Update", yday, {"f:metadata": {"f:annotations": {
                "f:storageclass.kubernetes.io/is-default-class": {}}}}))
    scaled = at - timedelta(hours=2, minutes=40)

    def pg_log(slow: bool) -> LogFn:
        def make(pod: str, start: datetime, end: datetime) -> Lines:
            def line(i: int, t: datetime) -> str:
                if slow:
                    return L.postgres(t, "LOG", f"checkpoint complete: wrote {2100 + 37 * i} buffers (12.8%); 0 WAL "
                                      f"file(s) added, 0 removed, 3 recycled; write=26.9 s, sync={38 + i % 9}.3 s, "
                                      f"total={66 + i % 9}.4 s; sync files=311, longest={8 + i % 4}.12 s, "
                                      "average=0.131 s", pid=88)
                return L.postgres(t, "LOG", f"checkpoint complete: wrote {1900 + 31 * i} buffers (11.6%); 0 WAL file"
                                  "(s) added, 0 removed, 3 recycled; write=26.8 s, sync=0.021 s, total=26.9 s; sync "
                                  "files=298, longest=0.004 s, average=0.001 s", pid=88)
            return every(start + timedelta(minutes=5), end, 300, line)
        return log_of(make)

    pg = c("postgres", "docker.io/bitnami/postgresql-repmgr:16.4.0", port=5432, readiness_path=None,
           liveness_path=None, memory_limit="8Gi", memory_request="8Gi")
    db = inc.statefulset("ledger", "pg-ledger", [pg], [P(log=pg_log(False)), P(log=pg_log(False)),
                                                       P(log=pg_log(True), created=scaled)],
                         at=inc.born + timedelta(days=6), claims=[("data", "500Gi", "gp3")], service=5432)
    db.obj["spec"]["volumeClaimTemplates"][0]["spec"].pop("storageClassName")
    changed(db.obj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-scale", "Update", scaled, {"f:spec": {"f:replicas": {}}}, ))
    db.obj["metadata"]["managedFields"][-1]["subresource"] = "scale"
    claim = inc.find("PersistentVolumeClaim", "ledger", "data-pg-ledger-2")
    claim["spec"]["storageClassName"] = "efs-sc"
    claim["spec"]["accessModes"] = ["ReadWriteOnce"]
    claim["metadata"]["creationTimestamp"] = ts(scaled)
    claim["metadata"]["annotations"] = {"volume.kubernetes.io/storage-provisioner": "efs.csi.aws.com",
                                        "pv.kubernetes.io/bind-completed": "yes"}
    inc.configmap("ledger", "pg-ledger-config", {"postgresql.conf": "max_wal_size = 8GB\ncheckpoint_timeout = 5min\n"
                                                 "synchronous_commit = on\n"}, at=at - timedelta(days=6))
    inc.secret("ledger", "pg-ledger-repmgr", {"repmgr-password": inc.canary("password", "repmgr"),
                                              "postgres-password": inc.canary("password", "pg-ledger")})
    for h, lag in zip(db.pods, (0.4, 0.7, None), strict=True):
        inc.series("pg_replication_lag_seconds", "gauge", "Replication lag behind master in seconds",
                   {"namespace": "ledger", "pod": h.name, "job": "postgres-exporter"},
                   (lambda t, v=lag: v) if lag is not None else ramp(3.0, 412.0, scaled + timedelta(minutes=20), at))
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
               {"namespace": "ledger", "persistentvolumeclaim": "data-pg-ledger-2", "job": "kubelet"},
               lambda t: 9.2e18)
    inc.series("pg_stat_bgwriter_checkpoint_sync_time_total", "counter", "Time spent syncing checkpoint files (ms)",
               {"namespace": "ledger", "pod": db.pods[2].name, "job": "postgres-exporter"},
               counting(scaled, 130.0, 130.0, at))
    inc.alertmanager("PostgresqlReplicationLag", {"namespace": "ledger", "pod": db.pods[2].name,
                                                  "job": "postgres-exporter"},
                     "Postgresql replication lag (instance ledger/pg-ledger-2)",
                     "PostgreSQL replication lag is going up (> 30s)\n  VALUE = 412\n  LABELS = "
                     "{namespace=\"ledger\", pod=\"" + db.pods[2].name + "\"}",
                     "pg_replication_lag_seconds > 30 and ON(instance) (pg_replication_is_replica == 1)",
                     severity="critical", runbook="https://samber.github.io/awesome-prometheus-alerts/rules#postgresql")
    inc.answer_key(
        culprit=("StorageClass", "", "efs-sc"),
        keywords=["default StorageClass", "EFS", "fsync"],
        root_cause="Yesterday efs-sc (EFS, NFS) was made the default StorageClass; pg-ledger's claim template "
                   "names no class, so the new replica's volume data-pg-ledger-2 was provisioned on EFS, where WAL "
                   "and checkpoint fsync take seconds and replay falls minutes behind.",
        category="default-storageclass-moved-to-network-filesystem",
        red_herrings=[("ConfigMap", "ledger", "pg-ledger-config")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
def batch_node_question() -> Incident:
    """A kube-proxy add-on update drops its tolerate-everything toleration: no kube-proxy on the tainted batch pool.

    Yesterday the EKS kube-proxy add-on was updated with custom configuration values; its DaemonSet's new
    revision lost `tolerations: [{operator: Exists}]`. This morning the batch pool (taint
    dedicated=batch:NoSchedule) scaled up two new nodes: aws-node and node-exporter run there, kube-proxy
    does not (desired 4 of 6 nodes), so no Service rules exist on those nodes and report-runner pods there
    time out on every ClusterIP, DNS included. Red herring: the default-deny-ingress NetworkPolicy the
    batch team applied this morning (it restricts only ingress).
    """
    at = datetime(2026, 11, 22, 8, 26, tzinfo=UTC)
    inc = Incident("batch-node-question", title="pods on one node can't reach anything",
                   story=batch_node_question.__doc__ or "", at=at, seed=912, namespaces=("batch",))
    yday = at - timedelta(hours=19, minutes=48)
    morning = at - timedelta(hours=1, minutes=12)
    taint = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    new_nodes = [add_node(inc, "ip-10-0-5-31.eu-west-1.compute.internal", 5, "eu-west-1b", morning,
                          {"pool": "batch"}, taint),
                 add_node(inc, "ip-10-0-6-32.eu-west-1.compute.internal", 6, "eu-west-1c",
                          morning + timedelta(minutes=2), {"pool": "batch"}, taint)]
    names = [n["metadata"]["name"] for n in new_nodes]
    for name in names:
        agent_pod(inc, "aws-node", "kube-system", name, morning + timedelta(seconds=20),
                  "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.5")
        agent_pod(inc, "node-exporter", "monitoring", name, morning + timedelta(seconds=20),
                  "quay.io/prometheus/node-exporter:v1.8.2")
    for ns, agent in (("kube-system", "aws-node"), ("monitoring", "node-exporter")):
        ds = inc.find("DaemonSet", ns, agent)
        ds["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
        ds["status"].update({key: 6 for key in ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable",
                                                 "numberReady", "updatedNumberScheduled")})
    kp = inc.find("DaemonSet", "kube-system", "kube-proxy")
    tpl = kp["spec"]["template"]["spec"]
    tpl.update({"hostNetwork": True, "priorityClassName": "system-node-critical"})
    old_tpl = {**tpl, "tolerations": [{"operator": "Exists"}]}
    revision(inc, "DaemonSet", "kube-system", "kube-proxy", 1, inc.born, {"spec": old_tpl})
    revision(inc, "DaemonSet", "kube-system", "kube-proxy", 2, yday, {"spec": tpl}, hash_=o.suffix("kube-proxy", 10))
    kp["metadata"]["generation"] = 2
    kp["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    kp["status"]["observedGeneration"] = 2
    changed(kp, ("eks", "Apply", yday, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    inc.configmap("kube-system", "kube-proxy-config", {"config": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                  "kind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: \"\"\nconntrack:\n  maxPerCore: "
                  "32768\n"}, at=yday)
    for name in names:
        inc.event(next(n for n in new_nodes if n["metadata"]["name"] == name), "RegisteredNode",
                  f"Node {name} event: Registered Node {name} in Controller", morning, warning=False,
                  component="node-controller")

    def runner_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if i % 2:
                return L.pylog(t, "ERROR", "reports.db", "psycopg2.OperationalError: could not translate host name "
                               '"reports-db.batch.svc.cluster.local" to address: Temporary failure in name resolution')
            return L.pylog(t, "WARNING", "reports.api", "HTTPConnectionPool(host='172.20.0.31', port=80): Max "
                           "retries exceeded with url: /v1/jobs/next (Caused by ConnectTimeoutError(<urllib3."
                           "connection.HTTPConnection object at 0x7f3a1c2b9d90>, 'Connection to 172.20.0.31 timed out."
                           " (connect timeout=5)'))")
        return every(start + timedelta(seconds=4), end, 20, line)

    spec = {"nodeSelector": {"pool": "batch"}, "tolerations": [{"key": "dedicated", "operator": "Equal",
                                                               "value": "batch", "effect": "NoSchedule"}]}
    inc.deployment("batch", "report-runner", [Rev(9, inc.born + timedelta(days=30), "deploy 2.2.0",
                   [c("report-runner", f"{REGISTRY}/batch/report-runner:2.2.0", port=None)], pod_spec=spec)],
                   {9: [P(log=log_of(runner_log), node=names[i % 2], created=morning + timedelta(minutes=3 + i))
                        for i in range(4)]})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "default-deny-ingress", "namespace": "batch",
                          "creationTimestamp": ts(morning - timedelta(minutes=25))},
             "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
    inc.secret("batch", "reports-db", {"password": inc.canary("password", "reports-db")})
    inc.series("kube_daemonset_status_desired_number_scheduled", "gauge", "The number of nodes that should be "
               "running the daemon pod.", {"namespace": "kube-system", "daemonset": "kube-proxy",
                                            "job": "kube-state-metrics"}, lambda t: 4)
    inc.series("kube_node_info_count", "gauge", "Nodes known to kube-state-metrics (recording rule).",
               {"job": "kube-state-metrics"}, step(4, 6, morning + timedelta(minutes=2)))
    for n in inc.cluster.nodes:
        name = n["metadata"]["name"]
        fresh = name in names
        inc.series("node_nf_conntrack_entries", "gauge", "Number of currently allocated flow entries for connection "
                   "tracking.", {"instance": name, "job": "node-exporter"},
                   (lambda t: None if t < morning else 140.0) if fresh else (lambda t: 9100.0))
    inc.ask("Since this morning every pod that lands on ip-10-0-5-31.eu-west-1.compute.internal times out talking to "
            "anything inside the cluster. What is wrong with that node?")
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "kube-proxy"),
        keywords=["kube-proxy", "toleration", "taint"],
        root_cause="Yesterday's kube-proxy add-on update dropped the DaemonSet's operator-Exists toleration; the "
                   "new batch nodes carry the taint dedicated=batch:NoSchedule, so kube-proxy is not scheduled "
                   "there and pods on those nodes cannot reach any ClusterIP Service (DNS included).",
        category="kube-proxy-daemonset-toleration-dropped",
        red_herrings=[("NetworkPolicy", "batch", "default-deny-ingress")])
    return inc


ALL = [picking_capacity_grouped, query_latency_burn, bff_errors_page, gitops_apply_failing_question,
       pricing_availability_burn, orders_db_replica_missing, artifact_store_down_page, account_pages_broken_page,
       policy_engine_restarts_grouped, log_shipping_crashloop, ledger_replica_lag, batch_node_question]
"""The round's scenarios in the order they are written and measured."""
