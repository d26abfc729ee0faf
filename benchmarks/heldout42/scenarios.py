"""Round 42 of the held-out incident set: scheduling, autoscaling and capacity.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes live where capacity is decided: Karpenter NodePools and its interruption handling,
the cluster-autoscaler's expander, KEDA and HPA settings, a VPA's controlled values, affinity rules,
PriorityClasses, LimitRange defaults meeting a quota, a DaemonSet's priority and an overcommitted Job.
Most pages are on the applications they hurt; about a third are simple (the cause is in the paged
object's own spec, status or events). Log lines follow the real software's formats.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    gomillis,
    herring,
    node,
    plant,
    ramp,
    revision,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def wobble(base: float, width: float = 11) -> Series:
    """A gauge wandering a little above `base`."""
    return lambda t: base + (t.minute % 5) * width


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", runbook: str | None = None) -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent), with the kube-prometheus-stack's external labels."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": runbook or f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller",
           with_crd: bool = True) -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    if with_crd:
        crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def node_obj(inc: Incident, name: str) -> dict[str, Any]:
    return next(n for n in inc.cluster.nodes if n["metadata"]["name"] == name)


def add_node(inc: Incident, name: str, index: int, zone: str, created: datetime, instance: str, cpu: int,
             memory_gi: int, labels: dict[str, str]) -> dict[str, Any]:
    """A node launched later than the background's (a Karpenter or autoscaler node)."""
    obj = o.node(name, index, created, zone, cpu=cpu, memory_gi=memory_gi, now=inc.captured)
    obj["kind"], obj["apiVersion"] = "Node", "v1"
    obj["metadata"]["labels"].update({"node.kubernetes.io/instance-type": instance, **labels})
    inc.cluster.nodes.append(obj)
    return obj


def owned_pod(inc: Incident, ns: str, workload: str, pod_name: str, rev: Rev, plan: P, index: int,
              labels: dict[str, str], owner: dict[str, Any]) -> PodHistory:
    """A pod of a DaemonSet, StatefulSet or Job built by the kit's pod planner (events, state, logs)."""
    return inc._pod(ns, workload, pod_name, rev, plan, index, labels, owner)


def zap(t: datetime, level: str, logger: str, msg: str, **fields: object) -> str:
    """Karpenter's / controller-runtime's zap JSON line."""
    return json.dumps({"level": level, "time": gomillis(t), "logger": logger, "message": msg, **fields},
                      separators=(",", ":"))


def hpa(inc: Incident, ns: str, name: str, target: str, lo: int, hi: int, metrics: list[dict[str, Any]],
        current: list[dict[str, Any]], replicas: int, desired: int, conditions: list[dict[str, Any]],
        labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A HorizontalPodAutoscaler (autoscaling/v2) with its status."""
    return inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                             "minReplicas": lo, "maxReplicas": hi, "metrics": metrics},
                    "status": {"currentReplicas": replicas, "desiredReplicas": desired, "currentMetrics": current,
                               "lastScaleTime": ts(inc.at - timedelta(minutes=4)), "conditions": conditions}})


def cond(type_: str, status: str, reason: str, message: str, at: datetime) -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": ts(at)}


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)


def transcoder_pods_not_ready() -> Incident:
    """A Karpenter NodePool's new instance-size filter leaves no instance type that fits the transcoder's pods.

    after: Karpenter users' reports and the docs' notes on instance-type requirements: a cost guard
    (`karpenter.k8s.aws/instance-cpu Lt 9`) added to a NodePool whose pods each need 12 vCPU; the
    provisioner then finds "no instance type satisfied resources" and new replicas stay Pending.
    """
    inc = start(transcoder_pods_not_ready, "Transcoder pods not ready", AT1, 4201, namespaces=("media",))
    chg = AT1 - timedelta(hours=17, minutes=18)
    big = [add_node(inc, f"ip-10-0-{5 + i}-{61 + 16 * i}.eu-west-1.compute.internal", 5 + i,
                    ["eu-west-1a", "eu-west-1b"][i], AT1 - timedelta(days=3, hours=i), "c6i.4xlarge", 16, 32,
                    {"karpenter.sh/nodepool": "compute-large", "karpenter.sh/capacity-type": "on-demand",
                     "karpenter.k8s.aws/instance-cpu": "16", "karpenter.k8s.aws/instance-category": "c",
                     "workload-class": "transcode", "karpenter.sh/registered": "true"})["metadata"]["name"]
           for i in range(2)]
    reqs = [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m"]},
            {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["5"]},
            {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt", "values": ["9"]},
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]
    pool = custom(inc, "NodePool", "karpenter.sh/v1", "nodepools", "", "compute-large",
                  {"template": {"metadata": {"labels": {"workload-class": "transcode"}},
                                "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                          "name": "default"},
                                         "requirements": reqs, "expireAfter": "720h"}},
                   "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m",
                                  "budgets": [{"nodes": "10%"}]},
                   "limits": {"cpu": "400", "memory": "800Gi"}},
                  {"resources": {"cpu": "32", "memory": "64Gi", "nodes": "2", "pods": "17"},
                   "conditions": [cond("Ready", "True", "Ready", "", chg + timedelta(seconds=3))]},
                  "argocd-controller", chg,
                  {"f:spec": {"f:template": {"f:spec": {"f:requirements": {}}}}}, scope="Cluster", generation=4,
                  first="helm")
    pool["metadata"]["annotations"] = {"karpenter.sh/nodepool-hash": "6210339816461923174",
                                       "karpenter.sh/nodepool-hash-version": "v3",
                                       "argocd.argoproj.io/tracking-id":
                                           "platform-karpenter:karpenter.sh/NodePool:/compute-large"}
    custom(inc, "NodePool", "karpenter.sh/v1", "nodepools", "", "general",
           {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                   "name": "default"},
                                  "requirements": [{"key": "karpenter.k8s.aws/instance-family", "operator": "In",
                                                    "values": ["m6i", "m7i"]}]}},
            "limits": {"cpu": "200"}},
           {"resources": {"cpu": "16", "nodes": "4"}}, "helm", inc.born + timedelta(days=6),
           {"f:spec": {"f:limits": {}}}, scope="Cluster", generation=2, with_crd=False)
    plant(inc, "media", "transcoder-s3", "aws", "transcoder", "AWS_ACCESS_KEY_ID")
    plant(inc, "media", "transcoder-s3-secret", "aws-secret", "transcoder", "AWS_SECRET_ACCESS_KEY")

    scaled = AT1 - timedelta(minutes=16)
    overhead = '{"cpu":"250m","memory":"232Mi","pods":"3"}'
    why = ('incompatible with nodepool "general", incompatible requirements, label "workload-class" does not have '
           'known values; incompatible with nodepool "compute-large", daemonset overhead=' + overhead +
           ', no instance type satisfied resources {"cpu":"12250m","memory":"24808Mi","pods":"4"} and requirements '
           "karpenter.k8s.aws/instance-category In [c m], karpenter.k8s.aws/instance-cpu <9, "
           "karpenter.k8s.aws/instance-generation >5, karpenter.sh/capacity-type In [on-demand], "
           "karpenter.sh/nodepool In [compute-large], kubernetes.io/arch In [amd64], workload-class In [transcode] "
           "(no instance type has enough resources)")

    def transcoder(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 47, lambda i, t: L.pylog(t, "INFO", "transcode.worker",
                                                   f"job tj-{81000 + i} done rendition=1080p/h264 "
                                                   f"duration={62 + i % 9}.4s speed=1.9x"))

    cont = c("video-transcoder", f"{REGISTRY}/media/video-transcoder:5.3.2", cpu_request="12",
             memory_request="24Gi", memory_limit="24Gi")
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade", [cont],
              pod_spec={"nodeSelector": {"workload-class": "transcode"}})
    plans = [P(log=within(transcoder), node=big[i]) for i in range(2)]
    msg = ("0/8 nodes are available: 2 Insufficient cpu, 6 node(s) didn't match Pod's node affinity/selector. "
           "preemption: 0/8 nodes are available: 2 No preemption victims found for incoming pod, 6 Preemption is "
           "not helpful for scheduling.")
    plans += [P(state="pending", message=msg, created=scaled + timedelta(seconds=i)) for i in range(4)]
    wl = inc.deployment("media", "video-transcoder", [rev], {1: plans}, progress="complete")
    pending = [h for h in wl.pods if h.created >= scaled]
    for h in pending:
        inc.event(inc.cluster.pod_object(h), "FailedScheduling", f"Failed to schedule pod, {why}",
                  scaled + timedelta(seconds=9), inc.captured - timedelta(seconds=20), count=16, component="karpenter")
    hpa(inc, "media", "video-transcoder", "video-transcoder", 2, 10,
        [{"type": "External", "external": {"metric": {"name": "aws_sqs_approximate_number_of_messages_visible",
                                                        "selector": {"matchLabels": {"queue_name": "transcode-jobs"}}},
                                             "target": {"type": "AverageValue", "averageValue": "40"}}}],
        [{"type": "External", "external": {"metric": {"name": "aws_sqs_approximate_number_of_messages_visible"},
                                           "current": {"averageValue": "118"}}}], 6, 10,
        [cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", scaled),
         cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica "
              "count from external metric aws_sqs_approximate_number_of_messages_visible", scaled)])
    inc.event(inc.find("HorizontalPodAutoscaler", "media", "video-transcoder"), "SuccessfulRescale",
              "New size: 6; reason: external metric aws_sqs_approximate_number_of_messages_visible(&LabelSelector"
              "{MatchLabels:map[string]string{queue_name: transcode-jobs,},MatchExpressions:[]LabelSelectorRequirement"
              "{},}) above target", scaled, warning=False, component="horizontal-pod-autoscaler")

    def karpenter(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: zap(t, "INFO", "controller", "discovered ssm parameter",
                                                commit="a2875e3", controller="nodeclass",
                                                parameter="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/"
                                                          "x86_64/standard/recommended/image_id",
                                                value="ami-0c9d8b7f3e1a24c55"))
        out += every(scaled + timedelta(seconds=8), e, 62, lambda i, t: zap(
            t, "ERROR", "controller", "could not schedule pod", commit="a2875e3", controller="provisioner",
            namespace="", name="", reconcileID=L.uuidish("kp", i),
            Pod={"name": pending[i % 4].name, "namespace": "media"}, error=why))
        out += every(scaled + timedelta(seconds=7), e, 62, lambda i, t: zap(
            t, "INFO", "controller", "found provisionable pod(s)", commit="a2875e3", controller="provisioner",
            namespace="", name="", reconcileID=L.uuidish("kf", i),
            Pods=", ".join(f"media/{h.name}" for h in pending), duration=f"{38 + i % 7}.2ms"))
        return out

    inc.deployment("kube-system", "karpenter",
                   [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                        [c("controller", "public.ecr.aws/karpenter/controller:1.1.1", cpu_request="1",
                           memory_request="1Gi", memory_limit="1Gi")])],
                   {1: [P(log=within(karpenter)), P()]})
    herring(inc, "media", "thumbnail-api", f"{REGISTRY}/media/thumbnail-api", "3.8.0", "3.9.0",
            AT1 - timedelta(minutes=48))
    series(inc, "aws_sqs_approximate_number_of_messages_visible_average", "gauge",
           "Help is not implemented yet.", {"queue_name": "transcode-jobs", "job": "yace"}, ramp(60, 9.5, scaled))
    series(inc, "kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
           "deployment.", {"namespace": "media", "deployment": "video-transcoder", "job": "kube-state-metrics"},
           step(2, 2, scaled))
    series(inc, "kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
           {"namespace": "media", "deployment": "video-transcoder", "job": "kube-state-metrics"}, step(2, 6, scaled))
    series(inc, "karpenter_nodepools_usage", "gauge", "The amount of resources that have been provisioned for a "
           "nodepool.", {"nodepool": "compute-large", "resource_type": "cpu", "job": "karpenter"}, step(32, 32, scaled))
    series(inc, "karpenter_nodepools_limit", "gauge", "Limits specified on the nodepool that restrict the quantity "
           "of resources provisioned.", {"nodepool": "compute-large", "resource_type": "cpu", "job": "karpenter"},
           step(400, 400, scaled))
    series(inc, "karpenter_nodeclaims_created_total", "counter", "Number of nodeclaims created in total.",
           {"nodepool": "compute-large", "reason": "provisioning", "job": "karpenter"}, step(14, 14, scaled))
    first = pending[0].name
    send(inc, [alert(inc, "KubePodNotReady", {"namespace": "media", "pod": first, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod media/{first} has been in a non-ready state for longer than 15 minutes on cluster "
                     "prod-eu-west-1.",
                     'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase{job='
                     '"kube-state-metrics", phase=~"Pending|Unknown|Failed"}) * on (namespace, pod, cluster) '
                     'group_left (owner_kind) topk by (namespace, pod, cluster) (1, max by (namespace, pod, '
                     'owner_kind, '
                     'cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0',
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready")],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("NodePool", "", "compute-large"),
        keywords=["instance-cpu", "compute-large", "no instance type"],
        root_cause="The cluster-scoped Karpenter NodePool compute-large was changed through Argo CD the evening "
                   "before: a cost guard requirement karpenter.k8s.aws/instance-cpu Lt 9 now allows only instances "
                   "of up to 8 vCPU. The video-transcoder pods request 12 CPU each, so when the HPA scaled from 2 "
                   "to 6 on the queue the provisioner found no instance type that satisfied the resources (the "
                   "NodePool's cpu limit of 400 is far from reached) and the four new pods stay Pending.",
        category="karpenter-nodepool-instance-filter",
        red_herrings=[("Deployment", "media", "thumbnail-api")])
    return inc


def pino(t: datetime, level: int, pod: str, msg: str, **fields: object) -> str:
    """pino's default JSON line (numeric level, epoch milliseconds)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, **fields,
                       "msg": msg}, separators=(",", ":"))


def keda_console(t: datetime, level: str, logger: str, msg: str, **fields: object) -> str:
    """keda-operator's zap console encoder: tab-separated, fields as JSON at the end."""
    tail = "\t" + json.dumps(fields) if fields else ""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')}\t{level}\t{logger}\t{msg}{tail}"


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 3, 6, 48, tzinfo=UTC)


def checkin_web_errors_burn() -> Incident:
    """A KEDA cron trigger's timezone "normalised" to Etc/UTC: the morning pre-scale now starts an hour late.

    after: KEDA cron scaler issues and on-call write-ups about pre-scaling for a known daily peak: a
    GitOps clean-up rewrote every `timezone:` to UTC, the 07:30 local pre-scale moved to 08:30 local, and the
    CPU trigger alone could not warm JVM pods fast enough for the check-in rush.
    """
    inc = start(checkin_web_errors_burn, "checkin-web error budget burn", AT2, 4202, namespaces=("checkin", "keda"))
    chg = AT2 - timedelta(hours=15, minutes=13)
    rush = AT2 - timedelta(minutes=19)
    cron_metric = "s0-cron-Etc-UTC-307xx1-5-010xx1-5"
    so = custom(inc, "ScaledObject", "keda.sh/v1alpha1", "scaledobjects", "checkin", "boarding-pass-renderer",
                {"scaleTargetRef": {"name": "boarding-pass-renderer"}, "minReplicaCount": 3, "maxReplicaCount": 30,
                 "pollingInterval": 30, "cooldownPeriod": 300,
                 "triggers": [{"type": "cron", "metadata": {"timezone": "Etc/UTC", "start": "30 7 * * 1-5",
                                                            "end": "0 10 * * 1-5", "desiredReplicas": "24"}},
                              {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "60"}}]},
                {"scaleTargetKind": "apps/v1.Deployment", "scaleTargetGVKR": {"group": "apps", "kind": "Deployment",
                                                                            "resource": "deployments",
                                                                            "version": "v1"},
                 "externalMetricNames": [cron_metric], "resourceMetricNames": ["cpu"],
                 "hpaName": "keda-hpa-boarding-pass-renderer",
                 "conditions": [cond("Ready", "True", "ScaledObjectReady", "ScaledObject is defined correctly and "
                                     "is ready for scaling", chg + timedelta(seconds=4)),
                                cond("Active", "True", "ScalerActive", "Scaling is performed because triggers are "
                                     "active", rush), cond("Fallback", "False", "NoFallbackFound",
                                                          "No fallbacks are active on this scaled object", chg)]},
                "argocd-controller", chg, {"f:spec": {"f:triggers": {}}}, generation=9)
    so["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id":
                                     "checkin:keda.sh/ScaledObject:checkin/boarding-pass-renderer"}
    so["metadata"]["labels"] = {"scaledobject.keda.sh/name": "boarding-pass-renderer"}
    plant(inc, "checkin", "checkin-web-session", "jwt", "checkin-web", "SESSION_SIGNING_TOKEN")
    plant(inc, "checkin", "renderer-signing", "token", "renderer", "PASS_SIGNING_KEY")

    def renderer(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 40, lambda i, t: L.spring(t, "INFO", "c.e.c.render.PassRenderController",
                                                    f"Rendered boarding pass pnr={'ABCDEFGHJK'[i % 10]}"
                                                    f"{4000 + i % 900} format=pkpass in {180 + (i * 37) % 90} ms",
                                                    thread=f"http-nio-8080-exec-{1 + i % 9}"))
        out += every(max(s, rush + timedelta(minutes=2)), e, 6, lambda i, t: L.spring(
            t, "WARN", "c.e.c.render.RenderQueue", f"render queue full (capacity 200, active 32), rejecting request "
            f"pnr={'LMNPQRSTUV'[i % 10]}{5100 + i % 700}", thread=f"http-nio-8080-exec-{1 + i % 32}"))
        return out

    cont = c("boarding-pass-renderer", f"{REGISTRY}/checkin/boarding-pass-renderer:7.2.4", cpu_request="1",
             memory_request="1536Mi", memory_limit="1536Mi")
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade", [cont])
    plans = [P(log=within(renderer)) for _ in range(3)]
    plans += [P(log=within(renderer), created=rush + timedelta(minutes=4 + 5 * (i // 2), seconds=i))
              for i in range(6)]
    inc.deployment("checkin", "boarding-pass-renderer", [rev], {1: plans})
    hpa(inc, "checkin", "keda-hpa-boarding-pass-renderer", "boarding-pass-renderer", 3, 30,
        [{"type": "External", "external": {"metric": {"name": cron_metric, "selector": {"matchLabels": {
            "scaledobject.keda.sh/name": "boarding-pass-renderer"}}}, "target": {"type": "AverageValue",
                                                                                 "averageValue": "1"}}},
         {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                     "averageUtilization": 60}}}],
        [{"type": "External", "external": {"metric": {"name": cron_metric}, "current": {"averageValue": "0"}}},
         {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 97,
                                                                      "averageValue": "972m"}}}], 9, 15,
        [cond("AbleToScale", "True", "ScaleUpStabilized", "recent recommendations were lower than current one, "
              "applying the lowest recent recommendation", rush),
         cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica "
              "count from cpu resource utilization (percentage of request)", rush),
         cond("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range",
              rush)],
        labels={"app.kubernetes.io/managed-by": "keda-operator", "scaledobject.keda.sh/name":
                "boarding-pass-renderer"})
    h = inc.find("HorizontalPodAutoscaler", "checkin", "keda-hpa-boarding-pass-renderer")
    for n, size in enumerate((5, 7, 9)):
        inc.event(h, "SuccessfulRescale", f"New size: {size}; reason: cpu resource utilization (percentage of "
                  "request) above target", rush + timedelta(minutes=4 + 5 * n), warning=False,
                  component="horizontal-pod-autoscaler")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 30, lambda i, t: pino(t, 30, pod, "request completed",
                                                req={"method": "GET", "url": "/api/checkin/status"},
                                                res={"statusCode": 200}, responseTime=41 + i % 13))
        out += every(max(s, rush + timedelta(minutes=1)), e, 4, lambda i, t: pino(
            t, 50, pod, "boarding pass render failed", req={"method": "POST", "url": "/api/checkin/complete"},
            err={"type": "TimeoutError", "message": "The operation was aborted due to timeout",
                 "stack": "TimeoutError: The operation was aborted due to timeout\n    at new DOMException "
                          "(node:internal/per_context/domexception:53:5)"},
            upstream="http://boarding-pass-renderer.checkin.svc.cluster.local/render", timeoutMs=5000))
        return out

    cweb = c("checkin-web", f"{REGISTRY}/checkin/checkin-web:12.4.0", port=3000)
    inc.deployment("checkin", "checkin-web", [Rev(1, inc.born + timedelta(days=16), "helm upgrade", [cweb])],
                   {1: [P(log=within(web)) for _ in range(4)]})

    def operator(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 600, lambda i, t: keda_console(
            t, "INFO", "controller.scaledobject", "Reconciling ScaledObject", ScaledObject={
                "name": ["boarding-pass-renderer", "bag-drop-sync"][i % 2], "namespace": "checkin"},
            namespace="checkin", name=["boarding-pass-renderer", "bag-drop-sync"][i % 2],
            reconcileID=L.uuidish("keda", i)))

    inc.deployment("keda", "keda-operator", [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                                                 [c("keda-operator", "ghcr.io/kedacore/keda:2.16.0")])],
                   {1: [P(log=within(operator))]})
    herring(inc, "checkin", "seatmap-api", f"{REGISTRY}/checkin/seatmap-api", "4.1.2", "4.2.0",
            AT2 - timedelta(minutes=71))
    base = {"namespace": "checkin", "scaledObject": "boarding-pass-renderer", "type": "scaledobject",
            "job": "keda-operator"}
    series(inc, "keda_scaler_metrics_value", "gauge", "The current value for each scaler's metric that would be "
           "used by the HPA in computing the target average.",
           {**base, "scaler": "cronScaler", "scalerIndex": "0", "metric": cron_metric}, step(0, 0, rush))
    series(inc, "keda_scaler_active", "gauge", "Indicates whether a scaler is active (1), or not (0).",
           {**base, "scaler": "cronScaler", "scalerIndex": "0", "metric": cron_metric}, step(0, 0, rush))
    series(inc, "kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of "
           "pods managed by this autoscaler.", {"namespace": "checkin", "horizontalpodautoscaler":
                                                "keda-hpa-boarding-pass-renderer", "job": "kube-state-metrics"},
           lambda t: 3 if t < rush + timedelta(minutes=4) else min(9, 5 + 2 * int((t - rush).total_seconds()
                                                                                 // 300 - 1)))
    for code, before, after in (("200", 38.0, 61.0), ("504", 0.02, 19.5)):
        series(inc, "http_requests_total", "counter", "Total HTTP requests.",
               {"namespace": "checkin", "service": "checkin-web", "code": code, "job": "checkin-web"},
               counter(AT2 - timedelta(hours=2), before, after, rush))
    inc.slo_burn("checkin-web", "checkin", "checkin-web-availability", "0.995", 23.6,
                 "checkin-web is returning 5xx on POST /api/checkin/complete for about 24% of requests since "
                 "06:30 UTC; the 1h and 5m burn rates are both above 14.4x.")
    inc.answer_key(
        culprit=("ScaledObject", "checkin", "boarding-pass-renderer"),
        keywords=["timezone", "cron", "Etc/UTC"],
        root_cause="The KEDA ScaledObject boarding-pass-renderer was changed by Argo CD the afternoon before: its "
                   "cron trigger's timezone went from Europe/Berlin to Etc/UTC, so the weekday pre-scale to 24 "
                   "replicas at 07:30 now starts at 07:30 UTC, an hour after the local check-in rush. The cron "
                   "scaler is inactive (metric 0), only the CPU trigger scales the JVM renderer 3 -> 9 in steps, its "
                   "render queue fills and checkin-web's calls time out with 504s.",
        category="keda-cron-timezone",
        red_herrings=[("Deployment", "checkin", "seatmap-api")])
    return inc


def fluentbit(t: datetime, level: str, source: str, msg: str) -> str:
    """Fluent Bit's own log line: [yyyy/mm/dd hh:mm:ss] [level] [plugin] message."""
    return f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [{level:>5}] [{source}] {msg}"


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 10, 40, tzinfo=UTC)


def node_logs_missing_question() -> Incident:
    """A log-agent DaemonSet chart bump drops `priorityClassName: system-node-critical`: on a full node its new
    pod cannot preempt anything and stays Pending.

    after: the Kubernetes docs' advice that node agents run at system-node-critical, and postmortems of log or
    metrics gaps from one busy node after an agent upgrade: a values refactor lost the priority class, the
    new chart asks for more memory, the rolling update deleted the old pod first and the replacement found
    no room and no preemption victims.
    """
    inc = start(node_logs_missing_question, "Logs missing from one node", AT3, 4203, namespaces=("logging",))
    cl = inc.cluster
    busy = node(inc, 2)
    roll = AT3 - timedelta(minutes=51)
    old = c("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", cpu_request="50m", memory_request="64Mi",
            memory_limit="128Mi", port=2020)
    new = c("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.2.2", cpu_request="100m", memory_request="192Mi",
            memory_limit="256Mi", port=2020)
    t1 = cl._template("fluent-bit", {"app": "fluent-bit"}, [old], None, "helm upgrade")
    t1["spec"]["priorityClassName"] = "system-node-critical"
    t2 = cl._template("fluent-bit", {"app": "fluent-bit"}, [new], None, "helm upgrade")
    r1 = revision(inc, "DaemonSet", "logging", "fluent-bit", 1, inc.born + timedelta(days=6), t1)
    r2 = revision(inc, "DaemonSet", "logging", "fluent-bit", 2, roll, t2)
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "fluent-bit", "namespace": "logging", "generation": 2,
                               "labels": {"app": "fluent-bit", "helm.sh/chart": "fluent-bit-0.48.1",
                                          "app.kubernetes.io/managed-by": "Helm"},
                               "annotations": {"deprecated.daemonset.template.generation": "2",
                                               "meta.helm.sh/release-name": "fluent-bit",
                                               "meta.helm.sh/release-namespace": "logging"}},
                  "spec": {"selector": {"matchLabels": {"app": "fluent-bit"}}, "template": t2,
                           "updateStrategy": {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
                  "status": {"currentNumberScheduled": 4, "desiredNumberScheduled": 4, "numberAvailable": 3,
                             "numberUnavailable": 1, "numberMisscheduled": 0, "numberReady": 3,
                             "observedGeneration": 2, "updatedNumberScheduled": 3}})
    changed(ds, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("helm", "Update", roll, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}},
                                      "f:spec": {"f:template": {"f:spec": {"f:containers": {},
                                                                           "f:priorityClassName": {}}}}}))
    plant(inc, "logging", "loki-tenant", "token", "loki-push", "LOKI_TENANT_TOKEN")

    def agent(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, fluentbit(s, "info", "fluent bit", "version=3.2.2, commit=f6ae1a5b9e, pid=1")),
                      (s, fluentbit(s, "info", "output:loki:loki.0", "configured, hostname=loki-gateway.logging."
                                                                         "svc.cluster.local:80"))]
        out += every(s + timedelta(seconds=5), e, 93, lambda i, t: fluentbit(
            t, "info", "input:tail:tail.0", f"inotify_fs_add(): inode={5300000 + i * 17} watch_fd={40 + i} "
            f"name=/var/log/containers/{['web', 'shop', 'auth'][i % 3]}-{i:03d}_x.log"))
        return out

    nodes = inc.node_names()[:4]
    pods = []
    for i, n in enumerate(nodes):
        seed = f"logging/fluent-bit/{n}/{'new' if n == busy else i}"
        name = f"fluent-bit-{o.suffix(seed, 5)}"
        if n == busy:
            msg = ("0/4 nodes are available: 1 Insufficient memory, 3 node(s) didn't match Pod's node "
                   "affinity/selector. preemption: 0/4 nodes are available: 1 No preemption victims found for "
                   "incoming pod, 3 Preemption is not helpful for scheduling.")
            plan, rev, hash_ = P(state="pending", message=msg, node=n,
                                 created=roll + timedelta(minutes=2, seconds=14)), \
                Rev(2, roll, "helm upgrade", [new]), r2
        elif i == 3:
            plan, rev, hash_ = P(log=within(agent), node=n, created=inc.born + timedelta(days=6, minutes=i)), \
                Rev(1, inc.born + timedelta(days=6), "helm upgrade", [old]), r1
        else:
            plan, rev, hash_ = P(log=within(agent), node=n, created=roll + timedelta(seconds=40 + 61 * i)), \
                Rev(2, roll, "helm upgrade", [new]), r2
        h = owned_pod(inc, "logging", "fluent-bit", name, rev, plan, i,
                      {"app": "fluent-bit", "controller-revision-hash": hash_.rsplit("-", 1)[1],
                       "pod-template-generation": "1" if hash_ == r1 else "2"},
                      o.owner_ref("DaemonSet", "fluent-bit", "logging"))
        pods.append(h)

        def place(pod: dict[str, Any], n: str = n, first: bool = hash_ == r1) -> None:
            pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [n]}]}]}}}
            pod["spec"]["priority"] = 2000001000 if first else 0
            pod["spec"]["preemptionPolicy"] = "PreemptLowerPriority"
            if first:
                pod["spec"]["priorityClassName"] = "system-node-critical"
        cl.patch("logging", name, place)
    gone = f"fluent-bit-{o.suffix('logging/fluent-bit/gone', 5)}"
    inc.event(ds, "SuccessfulDelete", f"Deleted pod: {gone}", roll + timedelta(minutes=2, seconds=12),
              warning=False, component="daemonset-controller")
    inc.event(ds, "SuccessfulCreate", f"Created pod: {pods[2].name}", roll + timedelta(minutes=2, seconds=14),
              warning=False, component="daemonset-controller")

    def ssr(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.js(t, "info", "rendered", route=["/", "/c/shoes", "/p/8812"][i % 3],
                                                 ms=88 + i % 40))

    big = c("ssr-renderer", f"{REGISTRY}/web/ssr-renderer:9.1.0", cpu_request="1", memory_request="6Gi",
            memory_limit="6Gi", port=3000)
    inc.deployment("web", "ssr-renderer", [Rev(1, inc.born + timedelta(days=19), "helm upgrade", [big])],
                   {1: [P(log=within(ssr), node=busy, memory_mi=5400), P(log=within(ssr), node=busy, memory_mi=5300),
                        P(log=within(ssr), node=node(inc, 0), memory_mi=5200)]})
    inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": "system-node-critical", "labels": {}}, "value": 2000001000, "globalDefault": False,
             "preemptionPolicy": "PreemptLowerPriority",
             "description": "Used for system critical pods that must not be moved from their current node."})
    herring(inc, "logging", "log-archiver", f"{REGISTRY}/logging/log-archiver", "1.6.3", "1.7.0",
            AT3 - timedelta(minutes=26))
    for h in pods:
        if h is pods[2]:
            continue
        series(inc, "fluentbit_output_proc_records_total", "counter", "Number of processed output records.",
               {"name": "loki.0", "namespace": "logging", "pod": h.name, "job": "fluent-bit"},
               counter(AT3 - timedelta(hours=2), 140.0, 142.0, roll))
    series(inc, "fluentbit_output_proc_records_total", "counter", "Number of processed output records.",
           {"name": "loki.0", "namespace": "logging", "pod": gone, "job": "fluent-bit"},
           lambda t: None if t >= roll + timedelta(minutes=2) else round(151 * (t - AT3 + timedelta(hours=2))
                                                                         .total_seconds(), 1))
    series(inc, "kube_pod_status_phase", "gauge", "The pods current phase.",
           {"namespace": "logging", "pod": pods[2].name, "phase": "Pending", "job": "kube-state-metrics"},
           lambda t: None if t < roll + timedelta(minutes=2) else 1)
    series(inc, "kube_node_status_allocatable", "gauge", "The allocatable for different resources of a node that "
           "are available for scheduling.", {"node": busy, "resource": "memory", "unit": "byte",
                                             "job": "kube-state-metrics"}, step(16039018496, 16039018496, roll))
    inc.ask(f"Since about 09:50 nothing from {busy} shows up in Loki, every other host is fine. "
            "What is wrong with that node?")
    inc.answer_key(
        culprit=("DaemonSet", "logging", "fluent-bit"),
        keywords=["priorityClassName", "system-node-critical", "preemption"],
        root_cause="The fluent-bit DaemonSet was upgraded by Helm (chart 0.48.1) at 09:49: revision 2 lost "
                   "priorityClassName system-node-critical and asks for 192Mi instead of 64Mi. The rolling update "
                   "deleted the old agent on the full node first; its replacement has priority 0, the node has no "
                   "memory left for it and preemption finds no victims, so it stays Pending and that node's logs "
                   "stop. The rollout is stuck there (maxUnavailable 1), the last node still runs revision 1.",
        category="daemonset-priority-dropped",
        red_herrings=[("Deployment", "logging", "log-archiver")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 4, 8, 55, tzinfo=UTC)


def catalog_search_replicas_short() -> Incident:
    """A required pod anti-affinity keyed on the zone instead of the host: at most three replicas can ever run.

    after: a very common scheduling mistake in issue trackers and Q&A threads: `topologyKey:
    topology.kubernetes.io/zone` in a required anti-affinity meant "one per node"; it passed the rollout at
    three replicas and stranded every replica beyond the third when the HPA scaled for the morning (simple).
    """
    inc = start(catalog_search_replicas_short, "catalog-search HPA cannot reach its desired replicas", AT4, 4204,
                namespaces=("catalog",))
    chg = AT4 - timedelta(hours=17, minutes=2)
    scaled = AT4 - timedelta(minutes=17)
    cont = c("catalog-search", f"{REGISTRY}/catalog/catalog-search:3.18.0", cpu_request="1500m",
             memory_request="2Gi", memory_limit="2Gi")
    sel = {"labelSelector": {"matchLabels": {"app": "catalog-search"}}}
    r1 = Rev(1, inc.born + timedelta(days=11), "helm upgrade", [cont], pod_spec={"affinity": {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {**sel, "topologyKey": "kubernetes.io/hostname"}}]}}})
    new = c("catalog-search", f"{REGISTRY}/catalog/catalog-search:3.19.0", cpu_request="1500m",
            memory_request="2Gi", memory_limit="2Gi")
    r2 = Rev(2, chg, "helm upgrade", [new], pod_spec={"affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{**sel, "topologyKey": "topology.kubernetes.io/zone"}]}}})

    def search(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t >= scaled
            took = (610 + (i * 53) % 400) if slow else (38 + (i * 7) % 30)
            return json.dumps({"level": "warn" if slow and took > 800 else "info", "ts": t.timestamp(),
                               "caller": "search/handler.go:142", "msg": "query served",
                               "q_len": 3 + i % 11, "hits": 40 + i % 300, "took_ms": took,
                               "inflight": 61 + i % 20 if slow else 4 + i % 5}, separators=(",", ":"))
        return every(s, e, 9, line)

    zones = [node(inc, 0), node(inc, 1), node(inc, 2)]
    msg = ("0/4 nodes are available: 4 node(s) didn't match pod anti-affinity rules. preemption: 0/4 nodes are "
           "available: 4 No preemption victims found for incoming pod.")
    plans = [P(log=within(search), node=zones[i], created=chg + timedelta(seconds=30 + 40 * i)) for i in range(3)]
    plans += [P(state="pending", message=msg, created=scaled + timedelta(seconds=2 * i)) for i in range(3)]
    wl = inc.deployment("catalog", "catalog-search", [r1, r2], {2: plans}, replicas=6)
    for h in wl.pods[3:]:
        inc.event(inc.cluster.pod_object(h), "NotTriggerScaleUp", "pod didn't trigger scale-up: 3 node(s) didn't "
                  "match pod anti-affinity rules", scaled + timedelta(seconds=12), inc.captured - timedelta(minutes=1),
                  count=18, warning=False, component="cluster-autoscaler")
    hpa(inc, "catalog", "catalog-search", "catalog-search", 3, 12,
        [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                     "averageUtilization": 60}}}],
        [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 118,
                                                                      "averageValue": "1771m"}}}], 6, 12,
        [cond("AbleToScale", "True", "ScaleUpStabilized", "recent recommendations were lower than current one, "
              "applying the lowest recent recommendation", scaled),
         cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica "
              "count from cpu resource utilization (percentage of request)", scaled),
         cond("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range",
              scaled)])
    inc.event(inc.find("HorizontalPodAutoscaler", "catalog", "catalog-search"), "SuccessfulRescale",
              "New size: 6; reason: cpu resource utilization (percentage of request) above target", scaled,
              warning=False, component="horizontal-pod-autoscaler")
    syn = inc.configmap("catalog", "catalog-search-synonyms", {"synonyms.txt": "sneaker, trainer, running shoe\n"
                                                                              "hoodie, hooded sweatshirt\n"})
    changed(syn, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", AT4 - timedelta(minutes=38), {"f:data": {"f:synonyms.txt": {}}}))
    plant(inc, "catalog", "catalog-search-es", "password", "catalog-es", "ES_PASSWORD")
    series(inc, "kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
           {"namespace": "catalog", "deployment": "catalog-search", "job": "kube-state-metrics"}, step(3, 6, scaled))
    series(inc, "kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
           "deployment.", {"namespace": "catalog", "deployment": "catalog-search", "job": "kube-state-metrics"},
           step(3, 3, scaled))
    series(inc, "http_server_request_duration_seconds_sum", "counter", "Duration of HTTP server requests.",
           {"namespace": "catalog", "service": "catalog-search", "job": "catalog-search"},
           counter(AT4 - timedelta(hours=2), 2.1, 61.0, scaled))
    send(inc, [alert(inc, "KubeHpaReplicasMismatch",
                     {"namespace": "catalog", "horizontalpodautoscaler": "catalog-search", "job": "kube-state-metrics"},
                     "HPA has not matched desired number of replicas.",
                     "HPA catalog/catalog-search has not matched the desired number of replicas for longer than 15 "
                     "minutes on cluster prod-eu-west-1.",
                     "(kube_horizontalpodautoscaler_status_desired_replicas{job=\"kube-state-metrics\"} != "
                     "kube_horizontalpodautoscaler_status_current_replicas{job=\"kube-state-metrics\"}) and "
                     "changes(kube_horizontalpodautoscaler_status_current_replicas{job=\"kube-state-metrics\"}[15m]) "
                     "== 0", runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/"
                                     "kubehpareplicasmismatch")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "catalog", "catalog-search"),
        keywords=["anti-affinity", "topology.kubernetes.io/zone"],
        root_cause="catalog-search's revision 2 (Helm, the afternoon before) replaced a preferred per-host "
                   "spread with a required pod anti-affinity whose topologyKey is topology.kubernetes.io/zone: only "
                   "one replica may run per zone. With three replicas the rollout passed; when the HPA scaled to 6 "
                   "for the morning the three new pods stay Pending (didn't match pod anti-affinity rules) and the "
                   "cluster-autoscaler cannot help.",
        category="anti-affinity-zone-topology",
        red_herrings=[("ConfigMap", "catalog", "catalog-search-synonyms")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 2, 3, 35, tzinfo=UTC)


def statements_export_late() -> Incident:
    """A LimitRange gains a 1-CPU defaultRequest: the nightly export's shards now exceed the namespace quota.

    after: the Kubernetes docs on LimitRange defaults and ResourceQuota, and platform-team write-ups of a
    "right-sizing" change: every container without requests now asks for a whole CPU, the Indexed Job can
    only start half its shards under the quota and the nightly export finishes an hour late.
    """
    inc = start(statements_export_late, "Nightly statement export late", AT5, 4205, namespaces=("finance",))
    chg = AT5 - timedelta(hours=11, minutes=25)
    run = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    second = run + timedelta(minutes=64, seconds=30)
    lr = inc.add({"apiVersion": "v1", "kind": "LimitRange",
                  "metadata": {"name": "finance-defaults", "namespace": "finance",
                               "labels": {"platform.example.com/managed-by": "terraform"}},
                  "spec": {"limits": [{"type": "Container",
                                       "default": {"cpu": "2", "memory": "1Gi"},
                                       "defaultRequest": {"cpu": "1", "memory": "512Mi"},
                                       "max": {"cpu": "4", "memory": "8Gi"}}]}})
    changed(lr, ("Terraform", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:limits": {}}}),
            ("Terraform", "Update", chg, {"f:spec": {"f:limits": {}}}))
    quota = inc.add({"apiVersion": "v1", "kind": "ResourceQuota",
                     "metadata": {"name": "finance-compute", "namespace": "finance"},
                     "spec": {"hard": {"requests.cpu": "12", "requests.memory": "48Gi", "limits.memory": "64Gi"}},
                     "status": {"hard": {"requests.cpu": "12", "requests.memory": "48Gi", "limits.memory": "64Gi"},
                                "used": {"requests.cpu": "12", "requests.memory": "21760Mi",
                                         "limits.memory": "27904Mi"}}})
    changed(quota, ("Terraform", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:hard": {}}}))
    plant(inc, "finance", "statement-export-s3", "aws", "statements", "AWS_ACCESS_KEY_ID")
    plant(inc, "finance", "ledger-db", "password", "ledger-db", "password")

    def ledger(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 45, lambda i, t: L.logfmt(t, "info", "posted batch", batch=f"b-{7700 + i}",
                                                     entries=120 + i % 80, took_ms=31 + i % 20))

    lc = c("ledger-api", f"{REGISTRY}/finance/ledger-api:8.0.3", cpu_request="1500m", memory_request="2Gi",
           memory_limit="3Gi")
    inc.deployment("finance", "ledger-api", [Rev(1, inc.born + timedelta(days=12), "helm upgrade", [lc])],
                   {1: [P(log=within(ledger)) for _ in range(5)]})
    herring(inc, "finance", "fx-rates", f"{REGISTRY}/finance/fx-rates", "2.2.1", "2.3.0", AT5 - timedelta(minutes=118))
    sched = int(run.timestamp() // 60)
    job_name = f"statement-export-{sched}"
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "statement-export", "namespace": "finance", "generation": 3},
                    "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                             "jobTemplate": {"spec": {"completionMode": "Indexed", "completions": 8,
                                                      "parallelism": 8, "backoffLimit": 2,
                                                      "template": {"spec": {"restartPolicy": "Never",
                                                                            "containers": [{
                                                                                "name": "export",
                                                                                "image": f"{REGISTRY}/finance/"
                                                                                         "statement-export:4.4.0",
                                                                                "args": ["--shards=8"]}]}}}}},
                    "status": {"active": [{"kind": "Job", "name": job_name, "namespace": "finance"}],
                               "lastScheduleTime": ts(run)}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=12), {"f:spec": {}}))
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "finance", "creationTimestamp": ts(run),
                                "ownerReferences": [o.owner_ref("CronJob", "statement-export", "finance")],
                                "labels": {"batch.kubernetes.io/job-name": job_name}},
                   "spec": {"completionMode": "Indexed", "completions": 8, "parallelism": 8, "backoffLimit": 2},
                   "status": {"startTime": ts(run), "active": 4, "succeeded": 4, "ready": 4,
                              "completedIndexes": "0-3", "uncountedTerminatedPods": {}}})
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name}", run, warning=False, component="cronjob-controller")

    def shard(idx: int, began: datetime) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            out: Lines = [(s, L.pylog(s, "INFO", "export.main", f"shard {idx}/8 starting: accounts "
                                      f"{idx * 52000}-{(idx + 1) * 52000 - 1}, period 2026-11"))]
            out += every(s + timedelta(seconds=30), e, 300, lambda i, t: L.pylog(
                t, "INFO", "export.writer", f"shard {idx}/8: {(i + 1) * 4100} statements rendered, "
                f"uploaded part {i + 1} to s3://acme-statements-prod/2026-11/shard-{idx}/"))
            return out
        return make

    ec = c("export", f"{REGISTRY}/finance/statement-export:4.4.0", cpu_request="1", memory_request="512Mi",
           memory_limit="1Gi", port=None)
    ec.readiness_path = None
    ec.liveness_path = None
    rev = Rev(1, run, "cronjob", [ec])
    for idx in range(8):
        began = run + timedelta(seconds=3) if idx < 4 else second + timedelta(seconds=idx)
        pod_name = f"{job_name}-{idx}-{o.suffix(f'{job_name}/{idx}', 5)}"
        h = owned_pod(inc, "finance", job_name, pod_name, rev, P(log=within(shard(idx, began)), created=began),
                      idx, {"batch.kubernetes.io/job-name": job_name, "batch.kubernetes.io/job-completion-index":
                            str(idx), "controller-uid": o.uid("job", "finance", job_name)},
                      o.owner_ref("Job", job_name, "finance"))

        def annotate(pod: dict[str, Any]) -> None:
            pod["metadata"].setdefault("annotations", {})["kubernetes.io/limit-ranger"] = (
                "LimitRanger plugin set: cpu, memory request for container export; cpu, memory limit for container "
                "export")
            pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1", "memory": "512Mi"},
                                                         "limits": {"cpu": "2", "memory": "1Gi"}}
            pod["spec"]["restartPolicy"] = "Never"
        inc.cluster.patch("finance", pod_name, annotate)
        if idx < 4:
            inc.cluster.patch("finance", pod_name, terminated(0, "Completed", began + timedelta(seconds=6),
                                                              second - timedelta(seconds=20 - idx), phase="Succeeded"))
            h.logs["export"] = within(shard(idx, began))(pod_name, began, second - timedelta(seconds=20 - idx)) + \
                L.lines([(second - timedelta(seconds=21 - idx), L.pylog(second - timedelta(seconds=21 - idx), "INFO",
                                                                        "export.main", f"shard {idx}/8 done"))])
    for idx in range(4, 8):
        inc.event(job, "FailedCreate", f'Error creating: pods "{job_name}-{idx}-{o.suffix(f"{job_name}/x{idx}", 5)}" '
                  "is forbidden: exceeded quota: finance-compute, requested: requests.cpu=1, used: "
                  "requests.cpu=12, limited: requests.cpu=12", run + timedelta(seconds=4), second - timedelta(
                      seconds=40), count=21, component="job-controller")
    inc.event(job, "SuccessfulCreate", f"Created pod: {job_name}-4-{o.suffix(f'{job_name}/4', 5)}", second,
              warning=False, component="job-controller")
    series(inc, "statement_export_shards_completed", "gauge", "Shards of the current statement export run that "
           "finished.", {"job": "pushgateway", "exported_job": "statement-export", "namespace": "finance"},
           lambda t: None if t < run else (0 if t < second else 4))
    series(inc, "kube_resourcequota", "gauge", "Information about resource quota.",
           {"namespace": "finance", "resourcequota": "finance-compute", "resource": "requests.cpu", "type": "used",
            "job": "kube-state-metrics"}, lambda t: 8.2 if t < run else 12)
    series(inc, "kube_resourcequota", "gauge", "Information about resource quota.",
           {"namespace": "finance", "resourcequota": "finance-compute", "resource": "requests.cpu", "type": "hard",
            "job": "kube-state-metrics"}, step(12, 12, run))
    send(inc, [alert(inc, "StatementExportLate", {"namespace": "finance", "exported_job": "statement-export",
                                                  "team": "finance-platform"},
                     "Nightly statement export has not finished by 03:30 UTC",
                     "statement-export has completed 4 of 8 shards; customer statements are due in the portal "
                     "at 06:00.",
                     'statement_export_shards_completed{exported_job="statement-export"} < 8 and on() '
                     "hour() >= 3", severity="critical")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("LimitRange", "finance", "finance-defaults"),
        keywords=["defaultRequest", "exceeded quota", "finance-compute"],
        root_cause="Terraform changed the LimitRange finance-defaults the afternoon before: it now sets a "
                   "defaultRequest of 1 CPU (and a 2 CPU default limit) for every container that states none. The "
                   "statement-export CronJob's container states none, so each of its 8 shards asks for 1 CPU; with "
                   "ledger-api's requests the ResourceQuota finance-compute (requests.cpu 12) admits only four, the "
                   "rest are forbidden (exceeded quota) until the first four finish, and the export runs an hour late.",
        category="limitrange-default-request-quota",
        red_herrings=[("Deployment", "finance", "fx-rates")])
    return inc


def klog(t: datetime, severity: str, source: str, msg: str) -> str:
    return L.klog(t, severity, source, msg)


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 5, 11, 15, tzinfo=UTC)


def pending_pods_grouped() -> Incident:
    """An HPA switched to memory utilization on a JVM with a fixed heap: pinned at maxReplicas, it eats the pool.

    after: Kubernetes and JVM-tuning threads on scaling Java services on memory: the heap never shrinks, so
    utilization stays above the target, the HPA climbs to its maximum overnight and stays there; the node
    group reaches its max size and other teams' new pods wait on "Insufficient memory".
    """
    inc = start(pending_pods_grouped, "Several deployments short of replicas", AT6, 4206, namespaces=("orders",))
    chg = AT6 - timedelta(hours=18, minutes=5)
    for i in range(2):
        add_node(inc, f"ip-10-0-{7 + i}-{93 + 11 * i}.eu-west-1.compute.internal", 7 + i, ["eu-west-1c",
                 "eu-west-1a"][i], chg + timedelta(hours=2 + 3 * i), "m6i.xlarge", 4, 16,
                 {"eks.amazonaws.com/nodegroup": "general", "eks.amazonaws.com/capacityType": "ON_DEMAND"})
    names = inc.node_names()
    h = hpa(inc, "orders", "order-pricing", "order-pricing", 3, 12,
            [{"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization",
                                                                            "averageUtilization": 70}}}],
            [{"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 91,
                                                                             "averageValue": "3902431232"}}}],
            12, 12,
            [cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size",
                  chg + timedelta(hours=6)),
             cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica "
                  "count from memory resource utilization (percentage of request)", chg + timedelta(minutes=1)),
             cond("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum "
                  "replica count", chg + timedelta(hours=6))])
    changed(h, ("helm", "Update", inc.born + timedelta(days=9), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:metrics": {}}}))
    inc.event(h, "SuccessfulRescale", "New size: 12; reason: memory resource utilization (percentage of request) "
              "above target", chg + timedelta(hours=6), warning=False, component="horizontal-pod-autoscaler")

    def pricing(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = every(s, e, 55, lambda i, t: L.spring(t, "INFO", "c.e.o.pricing.BasketPricer",
                                                           f"Priced basket items={2 + i % 9} in {9 + i % 14} ms",
                                                           thread=f"http-nio-8080-exec-{1 + i % 4}"))
        out += every(s, e, 900, lambda i, t: L.spring(t, "INFO", "o.s.b.a.health.HealthEndpointSupport",
                                                      "Heap usage 3061MB of 3072MB committed (-Xms3g -Xmx3g)"))
        return out

    pc = c("order-pricing", f"{REGISTRY}/orders/order-pricing:6.4.1", cpu_request="500m", memory_request="4Gi",
           memory_limit="4Gi", env=[{"name": "JAVA_TOOL_OPTIONS", "value": "-Xms3g -Xmx3g -XX:+AlwaysPreTouch"}])
    plans = [P(log=within(pricing), node=names[i % len(names)], memory_mi=3720,
               created=(inc.born + timedelta(days=20, minutes=i)) if i < 3 else chg + timedelta(minutes=20 * i))
             for i in range(12)]
    inc.deployment("orders", "order-pricing", [Rev(1, inc.born + timedelta(days=18), "helm upgrade", [pc])],
                   {1: plans})
    full = ("0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: 6 No preemption "
            "victims found for incoming pod.")
    fr1 = c("fraud-scoring", f"{REGISTRY}/payments/fraud-scoring:2.30.0", memory_request="1536Mi",
            memory_limit="2Gi")
    fr2 = c("fraud-scoring", f"{REGISTRY}/payments/fraud-scoring:2.31.0", memory_request="1536Mi",
            memory_limit="2Gi")
    rolled = AT6 - timedelta(minutes=33)
    fraud = inc.deployment("payments", "fraud-scoring", [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [fr1]),
                                                          Rev(2, rolled, "helm upgrade", [fr2])],
                           {1: [P(), P(), P()], 2: [P(state="pending", message=full, created=rolled)]},
                           progress="progressing", replicas=3)
    sq = c("shipping-quotes", f"{REGISTRY}/shop/shipping-quotes:1.12.0", memory_request="1Gi", memory_limit="1536Mi")
    scaled = AT6 - timedelta(minutes=21)
    ship = inc.deployment("shop", "shipping-quotes", [Rev(1, inc.born + timedelta(days=13), "helm upgrade", [sq])],
                          {1: [P(), P()] + [P(state="pending", message=full, created=scaled + timedelta(seconds=i))
                                            for i in range(3)]}, replicas=5)
    group = "eks-general-5ec9c1a2-77d0-4b8e-a1f3-2b9d0c6e4f11"
    waiting = [p for p in fraud.pods + ship.pods if p.created >= scaled - timedelta(minutes=20)
               and p.states and not p.states[0].started_at]
    for p in waiting:
        inc.event(inc.cluster.pod_object(p), "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 max node group "
                  "size reached", p.created + timedelta(seconds=11), inc.captured - timedelta(seconds=50), count=19,
                  warning=False, component="cluster-autoscaler")

    def autoscaler(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s, e, 10)):
            us = (i * 7919) % 1000000
            t = t.replace(microsecond=us)
            if t < scaled:
                out.append((t, klog(t, "I", "static_autoscaler.go:598", "No unschedulable pods")))
                continue
            for p in waiting:
                out.append((t, klog(t, "I", "klogx.go:87", f"Pod {p.namespace}/{p.name} is unschedulable")))
            out.append((t, klog(t, "I", "orchestrator.go:565", f"Skipping node group {group} - max size reached")))
            out.append((t, klog(t, "I", "orchestrator.go:150", "No expansion options")))
        return out

    inc.deployment("kube-system", "cluster-autoscaler",
                   [Rev(1, inc.born + timedelta(days=2), "helm upgrade",
                        [c("aws-cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.1")],
                        container={"command": ["./cluster-autoscaler", "--cloud-provider=aws", "--expander=least-waste",
                                               f"--nodes=2:6:{group}", "--balance-similar-node-groups=true"]})],
                   {1: [P(log=within(autoscaler))]})
    plant(inc, "orders", "order-pricing-db", "password", "pricing-db", "password")
    plant(inc, "orders", "pricing-feed", "token", "pricing-feed", "FEED_TOKEN")
    series(inc, "kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of "
           "pods managed by this autoscaler.", {"namespace": "orders", "horizontalpodautoscaler": "order-pricing",
                                                "job": "kube-state-metrics"}, step(12, 12, scaled))
    series(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
           {"namespace": "orders", "service": "order-pricing", "uri": "/v1/price", "status": "200",
            "job": "order-pricing"}, counter(AT6 - timedelta(hours=2), 21.0, 23.0, scaled))
    series(inc, "namespace_memory:kube_pod_container_resource_requests:sum", "gauge", "",
           {"namespace": "orders", "cluster": "prod-eu-west-1"}, step(51539607552, 51539607552, scaled))
    series(inc, "cluster_autoscaler_node_groups_count", "gauge", "Number of node groups managed by CA.",
           {"node_group_type": "autoscaled", "job": "cluster-autoscaler"}, step(1, 1, scaled))
    series(inc, "cluster_autoscaler_unschedulable_pods_count", "gauge", "Number of unschedulable pods in the "
           "cluster.", {"type": "unschedulable", "job": "cluster-autoscaler"}, lambda t: 0 if t < rolled else
           (1 if t < scaled else 4))
    ship_pod = next(p.name for p in ship.pods if p.created >= scaled)
    send(inc, [
        alert(inc, "KubeDeploymentRolloutStuck", {"namespace": "payments", "deployment": "fraud-scoring",
                                                  "job": "kube-state-metrics"},
              "Deployment rollout is not progressing.",
              "Rollout of deployment payments/fraud-scoring is not progressing for longer than 15 minutes on cluster "
              "prod-eu-west-1.", 'kube_deployment_status_condition{condition="Progressing", status="false",'
              'job="kube-state-metrics"} != 0',
              runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubedeploymentrolloutstuck"),
        alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": "shop", "deployment": "shipping-quotes",
                                                      "job": "kube-state-metrics"},
              "Deployment has not matched the expected number of replicas.",
              "Deployment shop/shipping-quotes has not matched the expected number of replicas for longer than 15 "
              "minutes on cluster prod-eu-west-1.",
              'kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_available'
              '{job="kube-state-metrics"}',
              runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubedeploymentreplicasmismatch"),
        alert(inc, "KubePodNotReady", {"namespace": "shop", "pod": ship_pod, "job": "kube-state-metrics"},
              "Pod has been in a non-ready state for more than 15 minutes.",
              f"Pod shop/{ship_pod} has been in a non-ready state for longer than 15 minutes on cluster "
              "prod-eu-west-1.", 'kube_pod_status_phase{job="kube-state-metrics", phase=~"Pending|Unknown|Failed"} '
              "> 0", runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready")],
         ["cluster"])
    inc.answer_key(
        culprit=("HorizontalPodAutoscaler", "orders", "order-pricing"),
        keywords=["memory utilization", "maxReplicas", "fixed heap"],
        root_cause="The order-pricing HPA was edited by hand (kubectl edit) the evening before to scale on memory "
                   "utilization (target 70%) instead of CPU. The JVM runs with a fixed heap (-Xms3g -Xmx3g) in a 4Gi "
                   "request, so utilization sits near 91% whatever the load: the HPA climbed to maxReplicas 12 "
                   "overnight and stays there, holding 48Gi of requests. The general node group is at its max size, "
                   "so fraud-scoring's rollout and shipping-quotes' scale-up stay Pending on Insufficient memory.",
        category="hpa-memory-metric-jvm",
        red_herrings=[("Deployment", "payments", "fraud-scoring")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


def geo_router_throttled() -> Incident:
    """A VPA's `controlledValues: RequestsOnly` dropped: overnight it scaled the CPU limit down with the request.

    after: the VPA docs on controlledValues and issues about limits scaled proportionally: with the default
    RequestsAndLimits the 1:2 request/limit ratio is kept, a quiet night's 120m recommendation becomes a 240m
    limit, and at the morning peak the pods are throttled most of every CFS period (simple).
    """
    inc = start(geo_router_throttled, "CPU throttling high in maps", AT7, 4207, namespaces=("maps",))
    chg = AT7 - timedelta(hours=19, minutes=40)
    peak = AT7 - timedelta(minutes=24)
    vpa = custom(inc, "VerticalPodAutoscaler", "autoscaling.k8s.io/v1", "verticalpodautoscalers", "maps",
                 "geo-router",
                 {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "geo-router"},
                  "updatePolicy": {"updateMode": "Auto", "minReplicas": 2},
                  "resourcePolicy": {"containerPolicies": [{"containerName": "*",
                                                            "controlledResources": ["cpu", "memory"],
                                                            "minAllowed": {"cpu": "50m", "memory": "256Mi"},
                                                            "maxAllowed": {"cpu": "4", "memory": "4Gi"}}]}},
                 {"conditions": [cond("RecommendationProvided", "True", "", "", inc.born + timedelta(days=5))],
                  "recommendation": {"containerRecommendations": [{
                      "containerName": "geo-router", "lowerBound": {"cpu": "82m", "memory": "341Mi"},
                      "target": {"cpu": "120m", "memory": "380Mi"},
                      "uncappedTarget": {"cpu": "120m", "memory": "380Mi"},
                      "upperBound": {"cpu": "1137m", "memory": "612Mi"}}]}},
                 "helm", chg, {"f:spec": {"f:resourcePolicy": {"f:containerPolicies": {}}}}, generation=3,
                 first="helm")
    vpa["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "service-base-4.0.0"}
    plant(inc, "maps", "geo-router-tiles", "token", "tiles", "TILES_API_KEY")

    def router(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t >= peak
            took = 1400 + (i * 97) % 900 if slow else 60 + (i * 13) % 50
            return L.logfmt(t, "warn" if slow else "info", "route computed", trace_id=L.uuidish(pod, i)[:16],
                            legs=2 + i % 5, graph="eu-west-2026.11", took_ms=took)
        return every(s, e, 8, line)

    cont = c("geo-router", f"{REGISTRY}/maps/geo-router:11.2.0", cpu_request="1", cpu_limit="2",
             memory_request="512Mi", memory_limit="1Gi")
    night = AT7 - timedelta(hours=6, minutes=20)
    wl = inc.deployment("maps", "geo-router", [Rev(1, inc.born + timedelta(days=17), "helm upgrade", [cont])],
                        {1: [P(log=within(router), created=night + timedelta(minutes=3 * i)) for i in range(3)]})
    for h in wl.pods:
        def vpaed(pod: dict[str, Any]) -> None:
            pod["metadata"].setdefault("annotations", {}).update({
                "vpaUpdates": "Pod resources updated by geo-router: container 0: cpu request, memory request, cpu "
                              "limit, memory limit",
                "vpaObservedContainers": "geo-router"})
            pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "120m", "memory": "380Mi"},
                                                         "limits": {"cpu": "240m", "memory": "760Mi"}}
        inc.cluster.patch("maps", h.name, vpaed)
    rs = next(o_ for o_ in inc.cluster.objects if o_["kind"] == "ReplicaSet"
              and o_["metadata"]["name"].startswith("geo-router-"))
    for i in range(3):
        gone = f"{rs['metadata']['name']}-{o.suffix(f'evicted/{i}', 5)}"
        inc.event({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": gone, "namespace": "maps",
                                                                  "uid": o.uid("pod", "maps", gone)}},
                  "EvictedByVPA", "Pod was evicted by VPA Updater to apply resource recommendation.",
                  night + timedelta(minutes=3 * i - 1), warning=False, component="vpa-updater")
    herring(inc, "maps", "tile-server", f"{REGISTRY}/maps/tile-server", "5.0.4", "5.1.0", AT7 - timedelta(minutes=44))
    for h in wl.pods:
        base = {"namespace": "maps", "pod": h.name, "container": "geo-router", "job": "kubelet"}
        series(inc, "container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals.",
               base, counter(AT7 - timedelta(hours=2), 10.0, 10.0, peak))
        series(inc, "container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals.",
               base, counter(AT7 - timedelta(hours=2), 0.3, 8.7, peak))
        series(inc, "kube_pod_container_resource_limits", "gauge", "The number of requested limit resource by a "
               "container.", {**base, "resource": "cpu", "unit": "core", "job": "kube-state-metrics"},
               step(0.24, 0.24, peak))
    series(inc, "http_server_request_duration_seconds_sum", "counter", "Duration of HTTP server requests.",
           {"namespace": "maps", "service": "geo-router", "job": "geo-router"},
           counter(AT7 - timedelta(hours=2), 0.9, 48.0, peak))
    first = wl.pods[0].name
    send(inc, [alert(inc, "CPUThrottlingHigh", {"namespace": "maps", "pod": first, "container": "geo-router"},
                     "Processes experience elevated CPU throttling.",
                     f"87.1% throttling of CPU in namespace maps for container geo-router in pod {first} on cluster "
                     "prod-eu-west-1.",
                     'sum(increase(container_cpu_cfs_throttled_periods_total{container!="", job="kubelet", '
                     'metrics_path="/metrics/cadvisor"}[5m])) without (id, metrics_path, name, image, endpoint, job, '
                     'node) / on (cluster, namespace, pod, container, instance) group_left sum(increase('
                     'container_cpu_cfs_periods_total{job="kubelet", metrics_path="/metrics/cadvisor"}[5m])) without '
                     "(id, metrics_path, name, image, endpoint, job, node) > (25 / 100)", severity="info",
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/cputhrottlinghigh")],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("VerticalPodAutoscaler", "maps", "geo-router"),
        keywords=["controlledValues", "RequestsAndLimits", "240m"],
        root_cause="The geo-router VerticalPodAutoscaler was re-rendered by Helm the day before without "
                   "controlledValues: RequestsOnly, so the default RequestsAndLimits applies. Overnight the updater "
                   "evicted the pods and re-admitted them with the quiet-night recommendation of 120m CPU and, "
                   "keeping the template's 1:2 ratio, a 240m CPU limit (the template says 1 and 2). At the morning "
                   "peak the pods are throttled in most CFS periods and routes take over a second.",
        category="vpa-proportional-cpu-limit",
        red_herrings=[("Deployment", "maps", "tile-server")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 14, 20, tzinfo=UTC)


def shipment_labels_delayed() -> Incident:
    """The cluster-autoscaler's priority-expander ConfigMap now prefers a spot group with no capacity: every
    scale-up waits out the 15-minute provisioning timeout first.

    after: cluster-autoscaler FAQ entries and issues about the priority expander and
    `max-node-provision-time`: a cost change put a single-type spot ASG at the top; EC2 cannot fill it, CA only
    falls back to the next group after the timeout and backoff, and pending pods wait 15+ minutes each time.
    """
    inc = start(shipment_labels_delayed, "Shipment label queue getting old", AT8, 4208, namespaces=("fulfilment",))
    chg = AT8 - timedelta(hours=20, minutes=48)
    scaled = AT8 - timedelta(minutes=31)
    spot = "eks-spot-c7i-2xlarge-7ac9a1b2-4d1e-9f0e-2c51-8e8b1d7f6a90"
    ond = "eks-ondemand-m6i-2xlarge-1f03c5d7-2e6a-4b19-8d70-5a4c3e2b1f08"
    cm = inc.configmap("kube-system", "cluster-autoscaler-priority-expander",
                       {"priorities": "50:\n  - .*eks-spot-c7i-2xlarge.*\n20:\n  - .*eks-ondemand-m6i-2xlarge.*\n"
                                      "10:\n  - .*\n"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=2), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:priorities": {}}}))
    status = inc.configmap("kube-system", "cluster-autoscaler-status", {"status": (
        f"time: {AT8 + timedelta(minutes=34):%Y-%m-%d %H:%M:%S} +0000 UTC\nautoscalerStatus: Running\n"
        "clusterWide:\n  health:\n    status: Healthy\n    nodeCounts:\n      registered:\n        total: 4\n"
        "        ready: 4\n  scaleUp:\n    status: InProgress\n"
        f"    lastTransitionTime: \"{ts(scaled + timedelta(seconds=10))}\"\nnodeGroups:\n"
        f"- name: {spot}\n  health:\n    status: Healthy\n    nodeCounts:\n      registered:\n        total: 0\n"
        "    cloudProviderTarget: 2\n    minSize: 0\n    maxSize: 20\n  scaleUp:\n    status: InProgress\n"
        f"- name: {ond}\n  health:\n    status: Healthy\n    cloudProviderTarget: 0\n    minSize: 0\n"
        "    maxSize: 20\n  scaleUp:\n    status: NoActivity\n")},
        at=AT8 + timedelta(minutes=34))
    status["metadata"]["annotations"] = {"cluster-autoscaler.kubernetes.io/last-updated":
                                         f"{AT8 + timedelta(minutes=34):%Y-%m-%d %H:%M:%S.%f} +0000 UTC"}
    plant(inc, "fulfilment", "carrier-api", "token", "carrier", "CARRIER_API_TOKEN")
    plant(inc, "fulfilment", "label-worker-sqs", "aws", "label-worker", "AWS_ACCESS_KEY_ID")
    prev_timeout = scaled - timedelta(minutes=64)
    backoff = prev_timeout + timedelta(minutes=20, seconds=11)

    def autoscaler(pod: str, s: datetime, e: datetime) -> Lines:
        def at(t: datetime, sev: str, src: str, msg: str, n: int) -> tuple[datetime, str]:
            t = t.replace(microsecond=(n * 104729) % 1000000)
            return (t, klog(t, sev, src, msg))
        out: Lines = []
        for k, when in enumerate((prev_timeout, scaled)):
            out += [at(when + timedelta(seconds=9), "I", "orchestrator.go:185", f"Best option to resize: {spot}", k),
                    at(when + timedelta(seconds=9), "I", "orchestrator.go:189",
                       f"Estimated 2 nodes needed in {spot}", k + 1),
                    at(when + timedelta(seconds=9), "I", "orchestrator.go:254",
                       f"Final scale-up plan: [{{{spot} 0->2 (max: 20)}}]", k + 2),
                    at(when + timedelta(seconds=10), "I", "executor.go:147",
                       f"Scale-up: setting group {spot} size to 2", k + 3),
                    at(when + timedelta(seconds=10), "I", "auto_scaling_groups.go:266",
                       f"Setting asg {spot} size to 2", k + 4),
                    at(when + timedelta(minutes=2), "W", "auto_scaling_groups.go:458",
                       f"Instance group {spot} cannot provision any more nodes: Could not launch Spot Instances. "
                       "InsufficientInstanceCapacity - There is no Spot capacity available that matches your "
                       "request. Launching EC2 instance failed.", k + 5)]
        out += [at(prev_timeout + timedelta(minutes=15, seconds=11), "W", "clusterstate.go:272",
                   f"Scale-up timed out for node group {spot} after 15m0.6s", 7),
                at(prev_timeout + timedelta(minutes=15, seconds=11), "W", "clusterstate.go:317",
                   f"Disabling scale-up for node group {spot} until {backoff:%Y-%m-%d %H:%M:%S.%f} +0000 UTC; "
                   "errorClass=Other; errorCode=timeout", 8),
                at(prev_timeout + timedelta(minutes=15, seconds=21), "I", "orchestrator.go:185",
                   f"Best option to resize: {ond}", 9),
                at(prev_timeout + timedelta(minutes=15, seconds=21), "I", "orchestrator.go:254",
                   f"Final scale-up plan: [{{{ond} 0->1 (max: 20)}}]", 10)]
        out += every(s, e, 10, lambda i, t: klog(t.replace(microsecond=(i * 7919) % 1000000), "I",
                                                 "static_autoscaler.go:598", "No unschedulable pods")
                     if not (prev_timeout <= t < prev_timeout + timedelta(minutes=17) or t >= scaled) else None)
        return out

    inc.deployment("kube-system", "cluster-autoscaler",
                   [Rev(1, inc.born + timedelta(days=2), "helm upgrade",
                        [c("aws-cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.1")],
                        container={"command": ["./cluster-autoscaler", "--cloud-provider=aws",
                                               "--expander=priority,least-waste", "--max-node-provision-time=15m",
                                               "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/"
                                               "enabled,k8s.io/cluster-autoscaler/prod-eu-west-1"]})],
                   {1: [P(log=within(autoscaler))]})

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 12, lambda i, t: L.js(t, "info", "label printed", carrier=["dhl", "ups", "dpd"][i % 3],
                                                 shipment=f"SHP-{880000 + i}", ms=410 + i % 200))

    wc = c("label-printer-worker", f"{REGISTRY}/fulfilment/label-printer-worker:2.7.1", cpu_request="1500m",
           memory_request="1Gi", memory_limit="1Gi")
    msg = ("0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption "
           "victims found for incoming pod.")
    wl = inc.deployment("fulfilment", "label-printer-worker",
                        [Rev(1, inc.born + timedelta(days=16), "helm upgrade", [wc])],
                        {1: [P(log=within(worker)) for _ in range(4)] +
                         [P(state="pending", message=msg, created=scaled + timedelta(seconds=i)) for i in range(6)]},
                        replicas=10)
    for h in wl.pods[4:]:
        inc.event(inc.cluster.pod_object(h), "TriggeredScaleUp", f"pod triggered scale-up: [{{{spot} 0->2 (max: 20)}}]",
                  scaled + timedelta(seconds=10), warning=False, component="cluster-autoscaler")
    hpa(inc, "fulfilment", "label-printer-worker", "label-printer-worker", 4, 16,
        [{"type": "External", "external": {"metric": {"name": "aws_sqs_approximate_number_of_messages_visible",
                                                        "selector": {"matchLabels": {"queue_name": "shipment-labels"}}},
                                             "target": {"type": "AverageValue", "averageValue": "30"}}}],
        [{"type": "External", "external": {"metric": {"name": "aws_sqs_approximate_number_of_messages_visible"},
                                           "current": {"averageValue": "212"}}}], 10, 16,
        [cond("AbleToScale", "True", "ScaleUpStabilized", "recent recommendations were lower than current one, "
              "applying the lowest recent recommendation", scaled)])
    herring(inc, "fulfilment", "carrier-gateway", f"{REGISTRY}/fulfilment/carrier-gateway", "3.3.0", "3.4.0",
            AT8 - timedelta(minutes=56))
    series(inc, "aws_sqs_approximate_age_of_oldest_message_maximum", "gauge", "Help is not implemented yet.",
           {"queue_name": "shipment-labels", "job": "yace"}, lambda t: 40 if t < scaled else
           40 + (t - scaled).total_seconds() * 0.93)
    series(inc, "cluster_autoscaler_unschedulable_pods_count", "gauge", "Number of unschedulable pods in the "
           "cluster.", {"type": "unschedulable", "job": "cluster-autoscaler"},
           lambda t: 5 if prev_timeout <= t < prev_timeout + timedelta(minutes=17) else (6 if t >= scaled else 0))
    series(inc, "cluster_autoscaler_failed_scale_ups_total", "counter", "Number of times scale-up operation has "
           "failed.", {"reason": "timeout", "job": "cluster-autoscaler"},
           lambda t: 6 if t < prev_timeout + timedelta(minutes=15) else 7)
    send(inc, [alert(inc, "SQSOldestMessageAgeHigh", {"queue_name": "shipment-labels", "namespace": "fulfilment",
                                                      "team": "fulfilment"},
                     "Shipment label queue: oldest message older than 15 minutes",
                     "The oldest message on shipment-labels is 26 minutes old; parcels miss the 15:00 carrier "
                     "pickup.", 'aws_sqs_approximate_age_of_oldest_message_maximum{queue_name="shipment-labels"} > '
                     "900", severity="critical")], ["alertname", "queue_name"])
    inc.answer_key(
        culprit=("ConfigMap", "kube-system", "cluster-autoscaler-priority-expander"),
        keywords=["priority", "spot", "max-node-provision-time"],
        root_cause="The cluster-autoscaler-priority-expander ConfigMap was edited the afternoon before to rank the "
                   "single-type spot node group eks-spot-c7i-2xlarge first. EC2 has no spot capacity for it "
                   "(InsufficientInstanceCapacity), so every scale-up is first sent there and only after the 15 "
                   "minute max-node-provision-time and a backoff does the autoscaler fall back to the on-demand group: "
                   "the six new label-printer-worker pods wait Pending and the shipment-labels queue ages.",
        category="autoscaler-priority-expander",
        red_herrings=[("Deployment", "fulfilment", "carrier-gateway")])
    return inc


def dotnet(t: datetime, level: str, category: str, msg: str) -> list[tuple[datetime, str]]:
    """Microsoft.Extensions.Logging's console formatter: a `level: Category[id]` line, then indented text."""
    lines = [f"{level}: {category}[0]"] + ["      " + part for part in msg.split("\n")]
    return [(t, "\n".join(lines))]


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 5, 6, 5, tzinfo=UTC)


def points_api_errors_page() -> Incident:
    """A StatefulSet's new required node affinity (on-demand only) cannot meet its zonal EBS volume: the
    database pod stays Pending.

    after: EBS-in-one-zone postmortems and scheduler threads on "volume node affinity conflict": a
    maintenance change pinned the database to on-demand nodes; the pod was recreated, its volume lives in the
    one zone whose node is spot, and no node satisfies both the new affinity and the volume.
    """
    inc = start(points_api_errors_page, "points-api 5xx", AT9, 4209, namespaces=("loyalty",))
    chg = AT9 - timedelta(minutes=22)
    for i, n in enumerate(inc.cluster.nodes):
        n["metadata"]["labels"]["eks.amazonaws.com/capacityType"] = "SPOT" if i == 2 else "ON_DEMAND"
        n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] = "spot-mixed" if i == 2 else "general"
    zone_c = node(inc, 2)
    pg = c("postgres", "docker.io/library/postgres:16.4", cpu_request="1", memory_request="4Gi", memory_limit="4Gi",
           port=5432)
    msg = ("0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 3 node(s) had volume "
           "node affinity conflict. preemption: 0/4 nodes are available: 4 Preemption is not helpful for "
           "scheduling.")
    wl = inc.statefulset("loyalty", "points-db", [pg], [P(state="pending", message=msg, node=zone_c,
                                                          created=chg + timedelta(seconds=31))],
                         inc.born + timedelta(days=3), claims=[("data", "100Gi", "gp3")], service=5432)
    sts = wl.obj
    aff = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["ON_DEMAND"]}]}]}}}
    t1 = json.loads(json.dumps(sts["spec"]["template"]))
    sts["spec"]["template"]["spec"]["affinity"] = aff
    r1 = revision(inc, "StatefulSet", "loyalty", "points-db", 1, inc.born + timedelta(days=3), t1)
    r2 = revision(inc, "StatefulSet", "loyalty", "points-db", 2, chg, sts["spec"]["template"])
    sts["metadata"]["generation"] = 4
    sts["status"].update({"readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0, "updatedReplicas": 1,
                          "currentRevision": r1, "updateRevision": r2, "observedGeneration": 4})
    changed(sts, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("kubectl-patch", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:affinity": {}}}}}))

    def pin(pod: dict[str, Any]) -> None:
        pod["spec"]["affinity"] = aff
        pod["metadata"]["labels"]["controller-revision-hash"] = r2
    inc.cluster.patch("loyalty", "points-db-0", pin)
    pvc = inc.find("PersistentVolumeClaim", "loyalty", "data-points-db-0")
    pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = zone_c
    pv_name = pvc["spec"]["volumeName"]
    inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
             "metadata": {"name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
                          "finalizers": ["kubernetes.io/pv-protection", "external-attacher/ebs-csi-aws-com"]},
             "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "100Gi"},
                      "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "loyalty",
                                   "name": "data-points-db-0"},
                      "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": "vol-0b7e19c4a2f3d5e61"},
                      "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                          {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1c"]}]}]}},
                      "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp3", "volumeMode": "Filesystem"},
             "status": {"phase": "Bound"}})
    inc.event(sts, "SuccessfulDelete", "delete Pod points-db-0 in StatefulSet points-db successful",
              chg + timedelta(seconds=4), warning=False, component="statefulset-controller")
    inc.event(sts, "SuccessfulCreate", "create Pod points-db-0 in StatefulSet points-db successful",
              chg + timedelta(seconds=31), warning=False, component="statefulset-controller")
    plant(inc, "loyalty", "points-db-superuser", "password", "points-db", "POSTGRES_PASSWORD")
    plant(inc, "loyalty", "points-api-db", "password", "points-api", "ConnectionStrings__Points",
          "Host=points-db.loyalty.svc.cluster.local;Database=points;Username=points_api;Password={}")

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s, e, 20)):
            if t < chg:
                out += dotnet(t, "info", "Microsoft.AspNetCore.Hosting.Diagnostics",
                              f"Request finished HTTP/1.1 GET http://points-api/v2/members/{88000 + i}/balance - 200 "
                              f"- application/json;+charset=utf-8 {11 + i % 9}.{i % 10}ms")
            else:
                out += dotnet(t, "fail", "Loyalty.Api.Controllers.BalanceController",
                              f"Failed to read balance for member {88000 + i}\n"
                              "Npgsql.NpgsqlException (0x80004005): Failed to connect to 172.20.61.14:5432\n"
                              " ---> System.Net.Sockets.SocketException (111): Connection refused\n"
                              "   at Npgsql.Internal.NpgsqlConnector.Connect(NpgsqlTimeout timeout)\n"
                              "   at Npgsql.PoolingDataSource.OpenNewConnector(NpgsqlConnection conn, "
                              "NpgsqlTimeout timeout, Boolean async, CancellationToken cancellationToken)")
        return out

    inc.deployment("loyalty", "points-api", [Rev(1, inc.born + timedelta(days=10), "helm upgrade",
                                                 [c("points-api", f"{REGISTRY}/loyalty/points-api:3.4.1")])],
                   {1: [P(log=within(api)) for _ in range(3)]})
    herring(inc, "loyalty", "points-batch", f"{REGISTRY}/loyalty/points-batch", "1.9.0", "1.9.2",
            AT9 - timedelta(minutes=47))
    for code, before, after in (("200", 31.0, 2.0), ("500", 0.01, 29.0)):
        series(inc, "http_server_request_duration_seconds_count", "counter", "Duration of HTTP server requests.",
               {"namespace": "loyalty", "service": "points-api", "http_response_status_code": code,
                "job": "points-api"}, counter(AT9 - timedelta(hours=2), before, after, chg))
    series(inc, "kube_statefulset_status_replicas_ready", "gauge", "The number of ready replicas per StatefulSet.",
           {"namespace": "loyalty", "statefulset": "points-db", "job": "kube-state-metrics"}, step(1, 0, chg))
    series(inc, "pg_up", "gauge", "Whether the last scrape of metrics from PostgreSQL was able to connect to the "
           "server (1 for yes, 0 for no).",
           {"namespace": "loyalty", "service": "points-db", "job": "postgres-exporter"},
           step(1, 0, chg))
    inc.pagerduty("[loyalty] points-api HTTP 5xx above 25% for 10 minutes", "loyalty-points")
    inc.answer_key(
        culprit=("StatefulSet", "loyalty", "points-db"),
        keywords=["nodeAffinity", "ON_DEMAND", "volume node affinity conflict"],
        root_cause="The points-db StatefulSet was patched at 05:43 with a required nodeAffinity on "
                   "eks.amazonaws.com/capacityType ON_DEMAND. The rolling update deleted points-db-0; its EBS volume "
                   "is in eu-west-1c, where the only node is SPOT, and the on-demand nodes are in the other zones, "
                   "so the new pod is Pending (volume node affinity conflict / didn't match node affinity) and "
                   "points-api cannot connect to PostgreSQL.",
        category="statefulset-affinity-volume-zone",
        red_herrings=[("Deployment", "loyalty", "points-batch")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)


def basket_pods_lost_question() -> Incident:
    """A Karpenter chart upgrade loses the interruption queue setting: spot reclaims now kill nodes undrained.

    after: Karpenter's interruption-handling docs and upgrade notes (the settings key moved between chart
    versions) and postmortems of spot reclaims without a drain: the 2-minute warnings pile up unread in SQS,
    nodes vanish, their pods die without SIGTERM and are only replaced after the taint eviction delay.
    """
    inc = start(basket_pods_lost_question, "Question about lost pods", AT10, 4210, namespaces=("karpenter",))
    chg = AT10 - timedelta(hours=19, minutes=12)
    cuts = [AT10 - timedelta(minutes=93), AT10 - timedelta(minutes=24)]
    lost = ["ip-10-0-9-141.eu-west-1.compute.internal", "ip-10-0-11-37.eu-west-1.compute.internal"]
    fresh = [add_node(inc, f"ip-10-0-{12 + i}-{58 + 29 * i}.eu-west-1.compute.internal", 12 + i,
                      ["eu-west-1b", "eu-west-1a"][i], cuts[i] + timedelta(seconds=58), "m6a.xlarge", 4, 16,
                      {"karpenter.sh/capacity-type": "spot", "karpenter.sh/nodepool": "spot-general",
                       "karpenter.sh/registered": "true", "karpenter.sh/initialized": "true"})["metadata"]["name"]
             for i in range(2)]
    env1 = [{"name": "CLUSTER_NAME", "value": "prod-eu-west-1"},
            {"name": "INTERRUPTION_QUEUE", "value": "Karpenter-prod-eu-west-1"},
            {"name": "FEATURE_GATES", "value": "SpotToSpotConsolidation=false"}]
    env2 = [{"name": "CLUSTER_NAME", "value": "prod-eu-west-1"},
            {"name": "FEATURE_GATES", "value": "SpotToSpotConsolidation=false"},
            {"name": "BATCH_MAX_DURATION", "value": "10s"}]

    def karpenter(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for k, cut in enumerate(cuts):
            claim = f"spot-general-{['x7kqp', 'm2hzd'][k]}"
            dead = f"spot-general-{['b9wtc', 'q4fne'][k]}"
            out += [(cut + timedelta(seconds=41), zap(cut + timedelta(seconds=41), "INFO", "controller",
                                                      "found provisionable pod(s)", commit="a2875e3",
                                                      controller="provisioner",
                                                      Pods="shop/basket-service and 6 other(s)",
                                                      duration="51.3ms")),
                    (cut + timedelta(seconds=42), zap(cut + timedelta(seconds=42), "INFO", "controller",
                                                      "created nodeclaim", commit="a2875e3", controller="provisioner",
                                                      NodePool={"name": "spot-general"},
                                                      NodeClaim={"name": claim}, requests={"cpu": "2310m",
                                                                                           "memory": "5730Mi",
                                                                                           "pods": "9"})),
                    (cut + timedelta(seconds=44), zap(cut + timedelta(seconds=44), "INFO", "controller",
                                                      "launched nodeclaim", commit="a2875e3",
                                                      controller="nodeclaim.lifecycle", NodeClaim={"name": claim},
                                                      **{"provider-id": f"aws:///eu-west-1b/i-0{k}4f7c9a21e58d3b6"},
                                                      **{"instance-type": "m6a.xlarge", "zone": "eu-west-1b",
                                                         "capacity-type": "spot"})),
                    (cut + timedelta(seconds=58), zap(cut + timedelta(seconds=58), "INFO", "controller",
                                                      "registered nodeclaim", commit="a2875e3",
                                                      controller="nodeclaim.lifecycle", NodeClaim={"name": claim},
                                                      Node={"name": fresh[k]})),
                    (cut + timedelta(minutes=1, seconds=30), zap(cut + timedelta(minutes=1, seconds=30), "INFO",
                                                                 "controller",
                                                                 "garbage collecting nodeclaim with no cloudprovider "
                                                                 "instance", commit="a2875e3",
                                                                 controller="nodeclaim.garbagecollection",
                                                                 NodeClaim={"name": dead},
                                                                 **{"provider-id": f"aws:///eu-west-1a/i-0{k}9d2e5b7"
                                                                                   "c1a04f38"},
                                                                 nodepool="spot-general")),
                    (cut + timedelta(minutes=1, seconds=31), zap(cut + timedelta(minutes=1, seconds=31), "INFO",
                                                                 "controller", "deleted node", commit="a2875e3",
                                                                 controller="node.termination",
                                                                 Node={"name": lost[k]}))]
        out += every(s, e, 300, lambda i, t: zap(t, "INFO", "controller", "discovered ssm parameter",
                                                 commit="a2875e3", controller="nodeclass",
                                                 parameter="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/"
                                                           "x86_64/standard/recommended/image_id"))
        return out

    old = c("controller", "public.ecr.aws/karpenter/controller:1.0.8", env=env1, cpu_request="1",
            memory_request="1Gi", memory_limit="1Gi", port=8080)
    new = c("controller", "public.ecr.aws/karpenter/controller:1.1.1", env=env2, cpu_request="1",
            memory_request="1Gi", memory_limit="1Gi", port=8080)
    kp = inc.deployment("karpenter", "karpenter", [Rev(1, inc.born + timedelta(days=8), "helm upgrade", [old]),
                                                   Rev(2, chg, "helm upgrade", [new])],
                        {2: [P(log=within(karpenter), node=node(inc, 0), created=chg + timedelta(seconds=20)),
                             P(node=node(inc, 1), created=chg + timedelta(seconds=50))]})
    kp.obj["metadata"]["annotations"].update({"meta.helm.sh/release-name": "karpenter",
                                              "meta.helm.sh/release-namespace": "karpenter"})
    kp.obj["metadata"]["labels"].update({"helm.sh/chart": "karpenter-1.1.1", "app.kubernetes.io/managed-by": "Helm"})

    def basket(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, json.dumps({"level": "info", "ts": s.timestamp(), "caller": "cmd/main.go:88",
                                      "msg": "basket-service listening", "addr": ":8080", "version": "4.9.2"},
                                     separators=(",", ":")))]
        out += every(s + timedelta(seconds=3), e, 15, lambda i, t: json.dumps(
            {"level": "info", "ts": t.timestamp(), "caller": "http/basket.go:211", "msg": "basket updated",
             "items": 1 + i % 6, "latency_ms": 6 + i % 9}, separators=(",", ":")))
        return out

    bc = c("basket-service", f"{REGISTRY}/shop/basket-service:4.9.2", memory_request="512Mi", memory_limit="768Mi")
    rev = Rev(1, inc.born + timedelta(days=17), "helm upgrade", [bc])
    wl = inc.deployment("shop", "basket-service", [rev],
                        {1: [P(log=within(basket), node=node(inc, 3)), P(log=within(basket), node=node(inc, 1)),
                             P(log=within(basket), node=fresh[0], created=cuts[0] + timedelta(minutes=5, seconds=8)),
                             P(log=within(basket), node=fresh[1], created=cuts[1] + timedelta(minutes=5, seconds=9))]})
    rs_name = wl.rs[1]
    for k, cut in enumerate(cuts):
        gone = f"{rs_name}-{o.suffix(f'lost/{k}', 5)}"
        dead_node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": lost[k], "uid": o.uid("node", lost[k])}}
        dead_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": gone, "namespace": "shop",
                                                                   "uid": o.uid("pod", "shop", gone)}}
        inc.event(dead_node, "NodeNotReady", f"Node {lost[k]} status is now: NodeNotReady", cut + timedelta(seconds=40),
                  warning=False, component="node-controller")
        inc.event(dead_pod, "NodeNotReady", "Node is not ready", cut + timedelta(seconds=40),
                  component="node-controller")
        inc.event(dead_pod, "TaintManagerEviction", f"Marking for deletion Pod shop/{gone}",
                  cut + timedelta(minutes=5, seconds=41), warning=False, component="taint-eviction-controller")
        inc.event(dead_node, "RemovingNode", f"Node {lost[k]} event: Removing Node {lost[k]} from Controller",
                  cut + timedelta(minutes=1, seconds=33), warning=False, component="node-controller")
    custom(inc, "NodePool", "karpenter.sh/v1", "nodepools", "", "spot-general",
           {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                   "name": "default"},
                                  "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                    "values": ["spot"]},
                                                   {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                                                    "values": ["m", "c"]}]}},
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "10m",
                           "budgets": [{"nodes": "20%"}, {"nodes": "0", "schedule": "0 8 * * mon-fri",
                                                          "duration": "10h"}]}},
           {"resources": {"cpu": "16", "nodes": "4"}}, "argocd-controller", AT10 - timedelta(hours=4, minutes=10),
           {"f:spec": {"f:disruption": {"f:budgets": {}}}}, scope="Cluster", generation=6)
    plant(inc, "shop", "basket-redis", "password", "basket-redis", "REDIS_PASSWORD")
    plant(inc, "karpenter", "karpenter-webhook-cert", "token", "karpenter-webhook", "tls.key")
    series(inc, "aws_sqs_approximate_number_of_messages_visible_average", "gauge", "Help is not implemented yet.",
           {"queue_name": "Karpenter-prod-eu-west-1", "job": "yace"},
           lambda t: 41 + (4 if t >= cuts[0] else 0) + (4 if t >= cuts[1] else 0))
    series(inc, "aws_sqs_approximate_age_of_oldest_message_maximum", "gauge", "Help is not implemented yet.",
           {"queue_name": "Karpenter-prod-eu-west-1", "job": "yace"},
           lambda t: round((t - chg).total_seconds() - 610))
    series(inc, "karpenter_nodeclaims_disrupted_total", "counter", "Number of nodeclaims disrupted in total.",
           {"nodepool": "spot-general", "reason": "interruption", "job": "karpenter"}, step(0, 0, cuts[0]))
    series(inc, "kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
           "deployment.", {"namespace": "shop", "deployment": "basket-service", "job": "kube-state-metrics"},
           lambda t: 3 if any(cut <= t < cut + timedelta(minutes=5, seconds=30) for cut in cuts) else 4)
    inc.ask("basket-service lost pods twice this morning, around 09:32 and 10:41: no shutdown in its logs, they "
            "just disappeared, and carts failed for about five minutes each time. Why?")
    inc.answer_key(
        culprit=("Deployment", "karpenter", "karpenter"),
        keywords=["INTERRUPTION_QUEUE", "interruption", "spot"],
        root_cause="The karpenter Deployment was upgraded by Helm the afternoon before (chart 1.0.8 -> 1.1.1) and "
                   "its revision 2 no longer sets INTERRUPTION_QUEUE: the values key for the interruption queue was "
                   "renamed and the old one is ignored. Karpenter no longer reads the spot interruption warnings "
                   "(they pile up in the SQS queue Karpenter-prod-eu-west-1), so reclaimed spot nodes were not "
                   "cordoned and drained: the instances vanished, basket-service's pods died without SIGTERM and "
                   "were only replaced after the 5 minute taint eviction, once Karpenter garbage-collected the "
                   "nodeclaims.",
        category="karpenter-interruption-queue-missing",
        red_herrings=[("NodePool", "", "spot-general")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 9, 10, tzinfo=UTC)


def card_auth_replicas_missing() -> Incident:
    """A PriorityClass re-created by Terraform with `preemptionPolicy: Never`: the serving tier can no longer
    preempt batch pods on a full cluster.

    after: the scheduler docs on non-preempting PriorityClasses and Terraform's replace-on-change of immutable
    fields: a module copied from the batch class set preemptionPolicy Never on business-critical, new pods carry
    it, and the morning scale-up waits behind low-priority batch workers ("not eligible due to
    preemptionPolicy=Never").
    """
    inc = start(card_auth_replicas_missing, "card-auth replicas unavailable", AT11, 4211, namespaces=("risk",))
    chg = AT11 - timedelta(hours=16, minutes=20)
    scaled = AT11 - timedelta(minutes=18)
    pc = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                  "metadata": {"name": "business-critical", "creationTimestamp": ts(chg),
                               "labels": {"platform.example.com/module": "priority-classes"}},
                  "value": 100000, "globalDefault": False, "preemptionPolicy": "Never",
                  "description": "Customer-facing serving workloads."})
    changed(pc, ("Terraform", "Update", chg, {"f:description": {}, "f:metadata": {"f:labels": {}},
                                              "f:preemptionPolicy": {}, "f:value": {}}))
    low = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                   "metadata": {"name": "batch-low", "labels": {"platform.example.com/module": "priority-classes"}},
                   "value": 1000, "globalDefault": False, "preemptionPolicy": "Never",
                   "description": "Preemptible batch workers."})
    changed(low, ("Terraform", "Update", inc.born + timedelta(days=4), {"f:value": {}}))

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: L.pylog(t, "INFO", "risk.recompute",
                                                   f"portfolio chunk {i % 400}/400 recomputed in {41 + i % 17}s"))

    rw = c("risk-recompute", f"{REGISTRY}/risk/risk-recompute:2.2.0", cpu_request="1500m", memory_request="3Gi",
           memory_limit="3Gi", port=None)
    inc.deployment("risk", "risk-recompute", [Rev(1, inc.born + timedelta(days=21), "helm upgrade", [rw],
                                                  pod_spec={"priorityClassName": "batch-low", "priority": 1000,
                                                            "preemptionPolicy": "Never"})],
                   {1: [P(log=within(worker), node=inc.node_names()[i % 4]) for i in range(8)]})

    def auth(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            busy = t >= scaled
            return L.logfmt(t, "warn" if busy else "info", "authorization", scheme=["visa", "mc"][i % 2],
                            result="approved", upstream_ms=(420 + i % 300) if busy else (70 + i % 40),
                            queue_wait_ms=(380 + i % 250) if busy else 0)
        return every(s, e, 5, line)

    ac = c("card-auth", f"{REGISTRY}/payments/card-auth:5.8.3", cpu_request="1", memory_request="1Gi",
           memory_limit="1536Mi")
    msg = ("0/4 nodes are available: 4 Insufficient cpu. preemption: not eligible due to "
           "preemptionPolicy=Never.")
    plans = [P(log=within(auth), created=inc.born + timedelta(days=22, minutes=i)) for i in range(4)]
    plans += [P(state="pending", message=msg, created=scaled + timedelta(seconds=i)) for i in range(3)]
    wl = inc.deployment("payments", "card-auth", [Rev(1, inc.born + timedelta(days=22), "helm upgrade", [ac],
                                                      pod_spec={"priorityClassName": "business-critical"})],
                        {1: plans}, replicas=7)
    for h in wl.pods:
        new = h.created >= scaled

        def prio(pod: dict[str, Any], new: bool = new) -> None:
            pod["spec"]["priority"] = 100000
            pod["spec"]["preemptionPolicy"] = "Never" if new else "PreemptLowerPriority"
        inc.cluster.patch("payments", h.name, prio)
    hpa(inc, "payments", "card-auth", "card-auth", 4, 12,
        [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                     "averageUtilization": 55}}}],
        [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 96,
                                                                      "averageValue": "961m"}}}], 7, 7,
        [cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", scaled)])
    inc.event(inc.find("HorizontalPodAutoscaler", "payments", "card-auth"), "SuccessfulRescale",
              "New size: 7; reason: cpu resource utilization (percentage of request) above target", scaled,
              warning=False, component="horizontal-pod-autoscaler")
    herring(inc, "payments", "receipt-mailer", f"{REGISTRY}/payments/receipt-mailer", "1.4.0", "1.5.1",
            AT11 - timedelta(minutes=39))
    plant(inc, "payments", "card-auth-acquirer", "token", "acquirer", "ACQUIRER_API_KEY")
    series(inc, "kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
           "deployment.", {"namespace": "payments", "deployment": "card-auth", "job": "kube-state-metrics"},
           step(4, 4, scaled))
    series(inc, "kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
           {"namespace": "payments", "deployment": "card-auth", "job": "kube-state-metrics"}, step(4, 7, scaled))
    series(inc, "scheduler_preemption_attempts_total", "counter", "Total preemption attempts in the cluster till now",
           {"job": "kube-scheduler"}, step(212, 212, scaled))
    series(inc, "scheduler_pending_pods", "gauge", "Number of pending pods, by the queue type.",
           {"queue": "unschedulable", "job": "kube-scheduler"}, step(0, 3, scaled))
    send(inc, [alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": "payments", "deployment": "card-auth",
                                                             "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment payments/card-auth has not matched the expected number of replicas for longer than "
                     "15 minutes on cluster prod-eu-west-1.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}',
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/"
                             "kubedeploymentreplicasmismatch")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("PriorityClass", "", "business-critical"),
        keywords=["preemptionPolicy", "Never", "batch-low"],
        root_cause="The PriorityClass business-critical was re-created by Terraform the evening before with "
                   "preemptionPolicy Never (copied from batch-low). Pods admitted since carry it: when the card-auth "
                   "HPA scaled from 4 to 7 the cluster was full of risk-recompute batch pods (batch-low, 1000), and "
                   "the three new card-auth pods may not preempt them (not eligible due to preemptionPolicy=Never), "
                   "so they stay Pending.",
        category="priorityclass-preemption-never",
        red_herrings=[("Deployment", "payments", "receipt-mailer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 1, 14, 50, tzinfo=UTC)


def session_logins_failing_page() -> Incident:
    """An ad-hoc backfill Job with a tiny memory request, a huge limit and a high priority drives a node into
    memory pressure; the kubelet evicts the login gateway's pods first.

    after: kubelet node-pressure eviction docs (usage above request, then priority) and noisy-neighbour
    postmortems: a data engineer started a backfill by hand from a pipeline manifest (512Mi request, 12Gi
    limit, a high data-pipelines priority); it grew to 11Gi, and the Burstable session-gateway pods, over their
    own requests and at priority 0, were evicted instead.
    """
    inc = start(session_logins_failing_page, "Login failures", AT12, 4212, namespaces=("identity", "analytics"))
    cl = inc.cluster
    hot = node(inc, 1)
    began = AT12 - timedelta(minutes=46)
    pressure = AT12 - timedelta(minutes=7)
    nd = node_obj(inc, hot)
    for cnd in nd["status"]["conditions"]:
        if cnd["type"] == "MemoryPressure":
            cnd.update({"status": "True", "reason": "KubeletHasInsufficientMemory",
                        "message": "kubelet has insufficient memory available", "lastTransitionTime": ts(pressure)})
    nd["spec"]["taints"] = [{"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule",
                             "timeAdded": ts(pressure)}]
    inc.event(nd, "NodeHasInsufficientMemory", f"Node {hot} status is now: NodeHasInsufficientMemory", pressure,
              warning=False, host=hot)
    inc.event(nd, "EvictionThresholdMet", "Attempting to reclaim memory", pressure, pressure + timedelta(minutes=4),
              count=3, host=hot)
    inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": "data-pipelines"}, "value": 10000, "globalDefault": False,
             "preemptionPolicy": "PreemptLowerPriority", "description": "Scheduled data pipelines."})

    def backfill(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 120, lambda i, t: L.pylog(
            t, "INFO", "backfill.sessions", f"partition 2026-11-{1 + i:02d}: {1.7 + 0.1 * (i % 4):.1f}M rows "
            f"loaded into frame, rss={1.2 + i * 0.45:.1f}GiB"))

    job_name = "backfill-sessions-2026-11"
    jc = c("backfill", f"{REGISTRY}/analytics/session-backfill:0.9.4", cpu_request="1", memory_request="512Mi",
           memory_limit="12Gi", port=None)
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "analytics", "creationTimestamp": ts(began),
                                "labels": {"batch.kubernetes.io/job-name": job_name, "team": "data"}},
                   "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 0,
                            "template": {"spec": {"priorityClassName": "data-pipelines", "restartPolicy": "Never",
                                                  "containers": [jc.spec()]}}},
                   "status": {"startTime": ts(began), "active": 1, "ready": 1}})
    changed(job, ("kubectl-create", "Update", began, {"f:spec": {"f:template": {}}}))
    pod_name = f"{job_name}-{o.suffix(job_name, 5)}"
    jh = owned_pod(inc, "analytics", job_name, pod_name, Rev(1, began, "kubectl create", [jc]),
                   P(log=within(backfill), node=hot, memory_mi=10900, created=began), 0,
                   {"batch.kubernetes.io/job-name": job_name, "team": "data"},
                   o.owner_ref("Job", job_name, "analytics"))
    jh.memory = lambda t: max(300.0, min(10900.0, (t - began).total_seconds() / 60 * 250)) * 1024 * 1024

    def jobspec(pod: dict[str, Any]) -> None:
        pod["spec"].update({"priorityClassName": "data-pipelines", "priority": 10000, "restartPolicy": "Never"})
    cl.patch("analytics", pod_name, jobspec)
    inc.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", began, warning=False, component="job-controller")

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 10, lambda i, t: L.js(t, "info", "session validated", user=f"u{90000 + i}",
                                                 cache="hit" if i % 4 else "miss", ms=3 + i % 5))

    gc = c("session-gateway", f"{REGISTRY}/identity/session-gateway:6.1.0", memory_request="256Mi",
           memory_limit="2Gi")
    wl = inc.deployment("identity", "session-gateway", [Rev(1, inc.born + timedelta(days=13), "helm upgrade", [gc])],
                        {1: [P(log=within(gateway), node=hot, memory_mi=1433), P(log=within(gateway), node=hot,
                                                                                 memory_mi=1391),
                             P(log=within(gateway), node=node(inc, 3), memory_mi=1402)]}, replicas=3)
    for k, h in enumerate(wl.pods[:2]):
        at = pressure + timedelta(seconds=20 + 75 * k)
        used = ["1433Mi", "1391Mi"][k]
        why = (f"The node was low on resource: memory. Threshold quantity: 100Mi, available: {71 + 9 * k}Mi. "
               f"Container session-gateway was using {used}, request is 256Mi, has larger consumption of memory. ")

        def evicted(pod: dict[str, Any], at: datetime = at, why: str = why) -> None:
            st = pod["status"]
            st.update({"phase": "Failed", "reason": "Evicted", "message": why})
            for cs in st.get("containerStatuses", []):
                cs["ready"] = False
                cs["state"] = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                              "message": "The container could not be located when the pod was "
                                                         "terminated", "startedAt": ts(inc.born + timedelta(days=13)),
                                              "finishedAt": ts(at)}}
            st["conditions"] = [{"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                                 "message": why.strip(), "lastProbeTime": None, "lastTransitionTime": ts(at)},
                                {"type": "Ready", "status": "False", "reason": "PodFailed", "lastProbeTime": None,
                                 "lastTransitionTime": ts(at)}]
        cl.patch("identity", h.name, evicted)
        h.ready = lambda t, at=at: t < at
        inc.event(cl.pod_object(h), "Evicted", why.strip(), at, host=hot)
        inc.event(cl.pod_object(h), "Killing", "Stopping container session-gateway", at, warning=False, host=hot)
        inc.replacement(h, at + timedelta(seconds=2), hot)
    herring(inc, "identity", "profile-api", f"{REGISTRY}/identity/profile-api", "2.14.0", "2.15.0",
            AT12 - timedelta(minutes=41))
    plant(inc, "identity", "session-signing", "jwt", "session-gateway", "SESSION_JWT_KEY")
    plant(inc, "analytics", "warehouse-reader", "password", "warehouse", "WAREHOUSE_PASSWORD")
    series(inc, "container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes.",
           {"namespace": "analytics", "pod": pod_name, "container": "backfill", "job": "kubelet"},
           lambda t: None if t < began else jh.memory(t) if jh.memory else None)
    series(inc, "node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.",
           {"instance": hot, "job": "node-exporter"},
           lambda t: max(74.0, 9200.0 - max(0.0, (t - began).total_seconds() / 60 * 250)) * 1024 * 1024)
    for code, before, after in (("200", 44.0, 30.0), ("503", 0.02, 9.5)):
        series(inc, "http_requests_total", "counter", "Total HTTP requests.",
               {"namespace": "identity", "service": "session-gateway", "code": code, "job": "session-gateway"},
               counter(AT12 - timedelta(hours=2), before, after, pressure))
    inc.pagerduty("Login failures: session validation returning 503 (identity)", "identity-login")
    inc.answer_key(
        culprit=("Job", "analytics", job_name),
        keywords=["backfill-sessions", "data-pipelines", "512Mi"],
        root_cause="A data engineer created the Job backfill-sessions-2026-11 by hand (kubectl create) from a "
                   "pipeline manifest: it requests 512Mi but may use 12Gi and runs at the data-pipelines priority "
                   "(10000). It grew to about 11Gi on the node, the node went into MemoryPressure and the kubelet's "
                   "eviction ranks pods over their request by priority first: the two session-gateway pods there "
                   "(priority 0, using about 1.4Gi against a 256Mi request) were evicted instead of the backfill, "
                   "and logins failed while they were replaced.",
        category="overcommit-eviction-priority",
        red_herrings=[("Deployment", "identity", "profile-api")])
    return inc


ALL = [transcoder_pods_not_ready, checkin_web_errors_burn, node_logs_missing_question, catalog_search_replicas_short,
       statements_export_late, pending_pods_grouped, geo_router_throttled, shipment_labels_delayed,
       points_api_errors_page, basket_pods_lost_question, card_auth_replicas_missing, session_logins_failing_page]
