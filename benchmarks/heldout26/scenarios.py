"""Round 26 of the held-out incident set: cluster upgrades and cloud integration, written blind.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are platform changes around upgrades and the cloud (node templates, operator and
ingress-controller upgrades, KMS key policies, pod identity, storage and snapshot classes, containerd
config, time sync) and the pages are mostly on the applications they hurt; about a third are simple
(the cause sits in the failing object's own spec, events or logs). Log lines follow the real
software's formats (Traefik console and access log, Python logging, Go logfmt, PostgreSQL, Spring Boot,
controller-runtime JSON, chronyd, pino JSON, shell).
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

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]
ACCOUNT = "123456789012"


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def ramp(before: float, per_s: float, at: datetime, ceiling: float | None = None) -> Series:
    """A gauge flat at `before` until `at`, then moving `per_s` each second (a disk filling), capped."""
    def value(t: datetime) -> float:
        v = before + per_s * max(0.0, (t - at).total_seconds())
        return min(v, ceiling) if ceiling is not None and per_s > 0 else (max(v, ceiling) if ceiling is not None
                                                                          else v)
    return value


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def send(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """Alertmanager's webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced", version: str = "v1",
        columns: list[dict[str, Any]] | None = None) -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    ver: dict[str, Any] = {"name": version, "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}
    if columns:
        ver["additionalPrinterColumns"] = columns
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [ver]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def drop_events(inc: Incident, pod: str, reasons: tuple[str, ...]) -> None:
    """Remove kit-made events a pod in this state would not have (a sandbox that never started never Pulled)."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def evicted(message: str, at: datetime) -> Callable[[dict[str, Any]], None]:
    """The status the kubelet's eviction manager leaves on a pod it evicted (phase Failed, reason Evicted)."""
    def patch(pod: dict[str, Any]) -> None:
        status = pod["status"]
        status.update({"phase": "Failed", "reason": "Evicted", "message": message})
        for cs in status["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be located "
                "when the pod was terminated", "startedAt": ts(at - timedelta(hours=2)), "finishedAt": ts(at)}}})
        status["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                     "lastTransitionTime": ts(at), "reason": "TerminationByKubelet",
                                     "message": message})
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "PodFailed", "lastTransitionTime": ts(at)})
                cond.pop("message", None)
    return patch


def job_pod(inc: Incident, ns: str, job: str, image: str, started: datetime, node_name: str, log: str,
            **kw: Any) -> PodHistory:
    """The (kept) pod of a Job run, with its log; its final state is patched on by the caller."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(job.rsplit("-", 1)[0], image, port=None, **kw)],
        node=node_name, created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=4),
                                                                  ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"),
        logs={job.rsplit("-", 1)[0]: log}))
    h.ended = None
    return h


def job_object(inc: Incident, ns: str, cronjob: str, job: str, started: datetime, failed_at: datetime,
               message: str) -> dict[str, Any]:
    """A batch/v1 Job the CronJob controller created, failed at its backoff limit."""
    obj = inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job, "namespace": ns, "creationTimestamp": ts(started),
                     "labels": {"batch.kubernetes.io/job-name": job},
                     "ownerReferences": [o.owner_ref("CronJob", cronjob, ns, api_version="batch/v1")]},
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                 "template": {"spec": {"restartPolicy": "Never"}}},
        "status": {"startTime": ts(started), "failed": 1, "terminating": 0, "ready": 0,
                   "conditions": [
                       {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(failed_at), "lastTransitionTime": ts(failed_at)},
                       {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(failed_at), "lastTransitionTime": ts(failed_at)}]}})
    inc.event(obj, "SuccessfulCreate", f"Created pod: {job}-{o.suffix(job + '/pod', 5)}", started, warning=False,
              component="job-controller")
    inc.event(obj, "BackoffLimitExceeded", message, failed_at, component="job-controller")
    return obj


def cronjob(inc: Incident, ns: str, name: str, schedule: str, image: str, last: datetime,
            container: dict[str, Any]) -> dict[str, Any]:
    """A batch/v1 CronJob with its last schedule time."""
    spec = {**c(name, image, port=None).spec(), **container}
    return inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(inc.born + timedelta(days=6)),
                     "generation": 4},
        "spec": {"schedule": schedule, "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid", "suspend": False,
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "restartPolicy": "Never", "containers": [spec]}}}}},
        "status": {"lastScheduleTime": ts(last)}})


def job_name(cron: str, scheduled: datetime) -> str:
    """The name the CronJob controller gives a run: the scheduled time in minutes since the epoch."""
    return f"{cron}-{int(scheduled.timestamp() // 60)}"


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str = "500") -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def node_created(inc: Incident, index: int, at: datetime, labels: dict[str, str]) -> dict[str, Any]:
    """Mark a background node as one launched at `at` (a replacement from a node template), with its labels."""
    n = inc.cluster.nodes[index]
    n["metadata"]["creationTimestamp"] = ts(at)
    n["metadata"]["labels"].update(labels)
    return n


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 30, 14, 10, tzinfo=UTC)


def node_evictions_question() -> Incident:
    """kubelet-container-log-max-size-raised-disk-pressure: a node template raises containerLogMaxSize to 4Gi.

    after: the many "node ran out of disk, pods evicted" stories where kubelet log rotation was loosened
    (containerLogMaxSize / containerLogMaxFiles raised in the node's KubeletConfiguration, here through a
    Karpenter EC2NodeClass's nodeadm userData) so one chatty container's log is no longer rotated at 10Mi
    and grows to several GiB on the root volume; the kubelet reports DiskPressure and evicts pods for
    ephemeral-storage, and nobody connects it to the node template edit made the day before.

    The edit: EC2NodeClass al2023-standard (cluster-scoped) gets containerLogMaxSize 4Gi at 16:05 the day
    before; nodes launched after it (ip-10-0-3-22, replaced at 21:40) run with it. clickstream-collector
    (analytics) logs about 1.2 MB/s at debug; on ip-10-0-3-22 its log is not rotated, the root filesystem
    fills, the node reports DiskPressure, and its pods are evicted for ephemeral-storage (its own, then
    a neighbour's). Other nodes rotate normally. Red herring: a rollout of analytics/segment-relay.
    Someone asks about the node only.
    """
    inc = Incident("node-evictions-question", title="pods on one node keep being evicted",
                   story=node_evictions_question.__doc__ or "", at=AT1, seed=2601,
                   namespaces=("analytics",))
    change = AT1 - timedelta(hours=22, minutes=5)
    launched = AT1 - timedelta(hours=16, minutes=30)
    hot = node(inc, 2)
    n = node_created(inc, 2, launched, {"karpenter.sh/nodepool": "general",
                                        "karpenter.k8s.aws/ec2nodeclass": "al2023-standard",
                                        "node.kubernetes.io/instance-type": "m6i.xlarge"})
    n["status"]["nodeInfo"]["osImage"] = "Amazon Linux 2023.6.20241121"
    pressure = AT1 - timedelta(minutes=20)
    for cond in n["status"]["conditions"]:
        if cond["type"] == "DiskPressure":
            cond.update({"status": "True", "reason": "KubeletHasDiskPressure",
                         "message": "kubelet has disk pressure", "lastTransitionTime": ts(pressure)})
    n["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule",
                            "timeAdded": ts(pressure)}]
    crd(inc, "EC2NodeClass", "karpenter.k8s.aws", "ec2nodeclasses", scope="Cluster")
    crd(inc, "NodePool", "karpenter.sh", "nodepools", scope="Cluster")
    userdata_old = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\"\n\n--//\n"
                    "Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
                    "spec:\n  kubelet:\n    config:\n      maxPods: 58\n--//--\n")
    userdata_new = userdata_old.replace("      maxPods: 58\n", "      maxPods: 58\n      containerLogMaxSize: 4Gi\n"
                                        "      containerLogMaxFiles: 5\n")
    ncls = inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
                    "metadata": {"name": "al2023-standard", "generation": 7,
                                 "annotations": {"karpenter.k8s.aws/ec2nodeclass-hash": "8231956410547120581",
                                                 "karpenter.k8s.aws/ec2nodeclass-hash-version": "v3"}},
                    "spec": {"amiFamily": "AL2023", "amiSelectorTerms": [{"alias": "al2023@v20241121"}],
                             "role": "KarpenterNodeRole-prod-eu-west-1",
                             "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                             "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                             "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                                 "volumeSize": "40Gi", "volumeType": "gp3", "encrypted": True}}],
                             "userData": userdata_new},
                    "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                               "lastTransitionTime": ts(change + timedelta(seconds=20))}]}})
    changed(ncls, ("helm", "Update", inc.born + timedelta(days=20), {"f:spec": {"f:amiSelectorTerms": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:userData": {}}}))
    inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
             "metadata": {"name": "general", "generation": 3},
             "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                             "name": "al2023-standard"},
                                            "expireAfter": "720h"}},
                      "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"}}})

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 9, lambda i, t: L.js(t, "debug", "event batch accepted", pod=pod,
                                                   events=180 + i % 40, partition=i % 12,
                                                   sdk="analytics-js/4.1", bytes=63_000 + i % 900))

    img = f"{REGISTRY}/analytics/clickstream-collector:3.8.0"
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c("collector", img, memory_limit="512Mi")],
                container={"env": [{"name": "LOG_LEVEL", "value": "debug"}]})]
    wl = inc.deployment("analytics", "clickstream-collector", revs,
                        {1: [P(log=within(collector), node=hot), P(log=within(collector), node=node(inc, 0)),
                             P(log=within(collector), node=node(inc, 1))]})
    gone = wl.pods[0]
    inc.cluster.patch("analytics", gone.name, evicted(
        "The node was low on resource: ephemeral-storage. Threshold quantity: 4294967296, available: 3915204Ki. "
        "Container collector was using 18874368Ki, request is 0, has larger consumption of ephemeral storage. ",
        AT1 - timedelta(minutes=6)))
    gone.ready = lambda t: t < AT1 - timedelta(minutes=6)
    inc.event(inc.cluster.pod_object(gone), "Evicted",
              "The node was low on resource: ephemeral-storage. Threshold quantity: 4294967296, available: "
              "3915204Ki. Container collector was using 18874368Ki, request is 0, has larger consumption of "
              "ephemeral storage. ", AT1 - timedelta(minutes=6), host=hot)
    inc.event(inc.cluster.pod_object(gone), "Killing", "Stopping container collector", AT1 - timedelta(minutes=6),
              warning=False, host=hot)
    inc.replacement(gone, AT1 - timedelta(minutes=6), hot)
    neighbour = app(inc, "analytics", "sessionizer", f"{REGISTRY}/analytics/sessionizer:1.12.3", 1)
    h2 = neighbour.pods[0]
    h2.node = hot
    msg2 = ("The node was low on resource: ephemeral-storage. Threshold quantity: 4294967296, available: 4012876Ki. "
            "Container sessionizer was using 1153024Ki, request is 0, has larger consumption of ephemeral storage. ")
    inc.cluster.patch("analytics", h2.name, evicted(msg2, AT1 + timedelta(minutes=9)))
    inc.event(inc.cluster.pod_object(h2), "Evicted", msg2, AT1 + timedelta(minutes=9), host=hot)
    inc.replacement(h2, AT1 + timedelta(minutes=9), hot)
    node_obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": hot, "uid": hot}}
    inc.event(node_obj, "NodeHasDiskPressure", f"Node {hot} status is now: NodeHasDiskPressure", pressure,
              warning=False, host=hot)
    inc.event(node_obj, "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", pressure,
              AT1 + timedelta(minutes=9), count=3, host=hot)
    inc.event(node_obj, "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images. Attempted to "
              "free 6871947673 bytes, but only found 412316860 bytes eligible to free.", pressure,
              AT1 + timedelta(minutes=9), count=4, host=hot)
    for i, name in enumerate(inc.node_names()):
        ip = inc.cluster.node_ip(name)
        base = {"instance": f"{ip}:9100", "job": "node-exporter", "device": "/dev/nvme0n1p1", "fstype": "xfs",
                "mountpoint": "/", "node": name}
        size = 42_938_118_144
        fn = (ramp(30e9, -1.2e6, launched, 3.9e9) if i == 2 else step(27e9 + i * 1e9, 27e9 + i * 1e9, AT1))
        inc.series("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.",
                   dict(base), fn, step_s=60)
        inc.series("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.", dict(base),
                   step(size, size, AT1), step_s=120)
    for h in wl.pods:
        inc.series("kubelet_container_log_filesystem_used_bytes", "gauge",
                   "[ALPHA] Bytes used by the container's logs on the filesystem.",
                   {"namespace": "analytics", "pod": h.name, "container": "collector", "job": "kubelet",
                    "node": h.node},
                   ramp(2e8, 1.2e6, launched, 1.9e10) if h is gone else step(5.1e7, 5.2e7, AT1), step_s=60)
    herring(inc, "analytics", "segment-relay", f"{REGISTRY}/analytics/segment-relay", "2.2.0",
            AT1 - timedelta(hours=1, minutes=10))
    plant(inc, "analytics", "clickstream-writekey", "token", "segment-write-key", "write-key")
    inc.ask(f"pods on {hot} keep getting evicted since this afternoon, what is going on with that node?")
    inc.answer_key(
        culprit=("EC2NodeClass", "", "al2023-standard"),
        keywords=["containerLogMaxSize", "log rotation", "DiskPressure", "ephemeral-storage"],
        root_cause="EC2NodeClass al2023-standard's userData was edited the day before to set the kubelet's "
                   "containerLogMaxSize to 4Gi (containerLogMaxFiles 5); on nodes launched since, such as "
                   f"{hot}, log rotation no longer caps clickstream-collector's debug log at 10Mi, the log grows "
                   "to ~18Gi on the 40Gi root volume, the node reports DiskPressure and the kubelet evicts pods for "
                   "ephemeral-storage.",
        category="kubelet-container-log-max-size-raised-disk-pressure",
        red_herrings=[("Deployment", "analytics", "segment-relay")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)


def docs_site_probe_page() -> Incident:
    """ingress-controller-major-upgrade-ignores-legacy-crd-group: Traefik v3 no longer reads traefik.containo.us.

    after: the Traefik v2 -> v3 migration notes and the outages of teams who upgraded the controller
    before moving their IngressRoutes from the `traefik.containo.us` API group to `traefik.io`: v3's
    Kubernetes CRD provider only watches `traefik.io`, so every route still written in the old group
    silently disappears and its hosts answer 404 from Traefik itself, while the backends are healthy.

    The change: Deployment traefik/traefik moves from v2.11.14 to v3.2.1 at 09:12 (Helm). The docs team's
    IngressRoute docs/docs-site is still `traefik.containo.us/v1alpha1`; the status page's route was migrated
    to `traefik.io/v1alpha1` last month and keeps working. Traefik's access log shows the docs host answered
    404 with no router; docs-site's own nginx log goes quiet. PagerDuty pages on the external probe of the
    docs host. Red herring: a rollout of docs/docs-search.
    """
    inc = Incident("docs-site-probe-page", title="docs.example.com probe failing",
                   story=docs_site_probe_page.__doc__ or "", at=AT2, seed=2602, namespaces=("traefik", "docs",
                                                                                          "status"))
    change = AT2 - timedelta(minutes=28)
    crd(inc, "IngressRoute", "traefik.containo.us", "ingressroutes", version="v1alpha1")
    crd(inc, "IngressRoute", "traefik.io", "ingressroutes", version="v1alpha1")
    router = "docs-docs-site-7c1e2f9a4b0d6e3c5a18@kubernetescrd"

    def traefik(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        v3 = s >= change
        out.append((s, f"{s.strftime('%Y-%m-%dT%H:%M:%SZ')} INF Traefik version {'3.2.1' if v3 else '2.11.14'} "
                       f"built on 2024-11-{'19' if v3 else '05'}T13:44:21Z version={'3.2.1' if v3 else '2.11.14'}"))
        out.append((s + timedelta(seconds=1), f"{(s + timedelta(seconds=1)).strftime('%Y-%m-%dT%H:%M:%SZ')} INF "
                    "Starting provider *crd.Provider"))
        out.append((s + timedelta(seconds=1), f"{(s + timedelta(seconds=1)).strftime('%Y-%m-%dT%H:%M:%SZ')} INF "
                    "Starting provider *ingress.Provider"))
        if v3:
            out.append((s + timedelta(seconds=2), f"{(s + timedelta(seconds=2)).strftime('%Y-%m-%dT%H:%M:%SZ')} "
                        "INF label selector is: \"\" providerName=kubernetescrd"))
            out.append((s + timedelta(seconds=2), f"{(s + timedelta(seconds=2)).strftime('%Y-%m-%dT%H:%M:%SZ')} "
                        "INF Creating in-cluster Provider client providerName=kubernetescrd"))

        def access(i: int, t: datetime) -> str:
            ip = f"10.0.{1 + i % 3}.{40 + i % 50}"
            stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
            if i % 3 == 0:
                return (f'{ip} - - [{stamp}] "GET /api/v1/components HTTP/2.0" 200 1832 "-" "Mozilla/5.0" {i + 900} '
                        f'"status-status-page-41ad09c7e2b85f3d6a20@kubernetescrd" "http://10.244.2.{30 + i % 4}:8080" '
                        f"{8 + i % 9}ms")
            path = ["/guides/getting-started/", "/api/reference/", "/", "/search?q=webhooks"][i % 4]
            if v3:
                return f'{ip} - - [{stamp}] "GET {path} HTTP/2.0" 404 19 "-" "Mozilla/5.0" {i + 900} "-" "-" 0ms'
            return (f'{ip} - - [{stamp}] "GET {path} HTTP/2.0" 200 {14000 + i % 3000} "-" "Mozilla/5.0" {i + 900} '
                    f'"{router}" "http://10.244.1.{20 + i % 3}:8080" {11 + i % 14}ms')
        out += L.ticker(s + timedelta(seconds=5), e, 7, access)
        return out

    timg = "docker.io/traefik"
    revs = [Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c("traefik", f"{timg}:v2.11.14", port=8000,
                                                                    memory_limit="512Mi")]),
            Rev(2, change, "helm upgrade", [c("traefik", f"{timg}:v3.2.1", port=8000, memory_limit="512Mi")])]
    tw = inc.deployment("traefik", "traefik", revs, {2: [P(log=within(traefik)), P(log=within(traefik))]})
    changed(tw.obj, ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}},
                                                 "f:metadata": {"f:labels": {"f:helm.sh/chart": {}}}}))
    tw.obj["metadata"]["labels"]["helm.sh/chart"] = "traefik-33.1.0"

    def nginx(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t >= change:
                return None if i % 20 else (f'10.244.3.5 - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
                                            '"GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.30"')
            return (f'10.244.{1 + i % 2}.{11 + i % 5} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
                    f'"GET /guides/page-{i % 60}/ HTTP/1.1" 200 {12000 + i % 4000} "-" "Mozilla/5.0"')
        return L.ticker(s, e, 10, line)

    app(inc, "docs", "docs-site", f"{REGISTRY}/docs/docs-site:2026.11.28", 2, log=within(nginx))
    app(inc, "status", "status-page", f"{REGISTRY}/status/status-page:1.6.2", 2)
    inc.service("docs", "docs-site", {"app": "docs-site"})
    inc.service("status", "status-page", {"app": "status-page"})
    old_route = inc.add({"apiVersion": "traefik.containo.us/v1alpha1", "kind": "IngressRoute",
                         "metadata": {"name": "docs-site", "namespace": "docs", "generation": 2,
                                      "creationTimestamp": ts(inc.born + timedelta(days=2))},
                         "spec": {"entryPoints": ["websecure"],
                                  "routes": [{"match": "Host(`docs.example.com`)", "kind": "Rule",
                                              "services": [{"name": "docs-site", "port": 80}]}],
                                  "tls": {"secretName": "docs-example-com-tls"}}})
    changed(old_route, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=2), {"f:spec": {}}))
    inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
             "metadata": {"name": "status-page", "namespace": "status", "generation": 1,
                          "creationTimestamp": ts(inc.born + timedelta(days=30))},
             "spec": {"entryPoints": ["websecure"],
                      "routes": [{"match": "Host(`status.example.com`)", "kind": "Rule",
                                  "services": [{"name": "status-page", "port": 80}]}],
                      "tls": {"secretName": "status-example-com-tls"}}})
    begin = AT2 - timedelta(hours=2)
    for code, before, after in (("200", 38.0, 6.0), ("404", 0.2, 31.0)):
        inc.series("traefik_entrypoint_requests_total", "counter",
                   "How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and "
                   "method.", {"entrypoint": "websecure", "code": code, "method": "GET", "protocol": "http",
                               "job": "traefik", "namespace": "traefik"}, counter(begin, before, after, change))
    inc.series("traefik_service_requests_total", "counter",
               "How many HTTP requests processed on a service, partitioned by status code, protocol, and method.",
               {"service": "docs-docs-site-80@kubernetescrd", "code": "200", "method": "GET", "protocol": "http",
                "job": "traefik", "namespace": "traefik"}, counter(begin, 31.0, 0.0, change))
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"instance": "https://docs.example.com/", "job": "blackbox-http", "module": "http_2xx"},
               step(1, 0, change + timedelta(minutes=1)), step_s=30)
    inc.series("probe_http_status_code", "gauge", "Response HTTP status code",
               {"instance": "https://docs.example.com/", "job": "blackbox-http", "module": "http_2xx"},
               step(200, 404, change + timedelta(minutes=1)), step_s=30)
    herring(inc, "docs", "docs-search", f"{REGISTRY}/docs/docs-search", "0.14.2", AT2 - timedelta(minutes=45))
    plant(inc, "docs", "docs-algolia", "token", "algolia-admin", "admin-api-key")
    inc.pagerduty("[FIRING:1] BlackboxProbeFailed https://docs.example.com/ (blackbox-http)", "Developer Portal")
    inc.answer_key(
        culprit=("Deployment", "traefik", "traefik"),
        keywords=["Traefik v3", "traefik.containo.us", "IngressRoute", "404"],
        root_cause="The Traefik controller was upgraded from v2.11 to Traefik v3 (Deployment traefik/traefik, "
                   "Helm, 09:12); v3's CRD provider only reads traefik.io, so the IngressRoute docs/docs-site, still "
                   "written as traefik.containo.us/v1alpha1, is ignored and docs.example.com answers 404 from "
                   "Traefik with no router while the docs-site pods are healthy.",
        category="ingress-controller-major-upgrade-ignores-legacy-crd-group",
        red_herrings=[("Deployment", "docs", "docs-search")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 1, 15, 25, tzinfo=UTC)


def document_downloads_burn() -> Incident:
    """kms-key-policy-drops-app-role-decrypt: a customer-managed key's policy edit removes the app's decrypt grant.

    after: the cloud postmortems where a KMS key policy was tightened (a "least privilege" review, a new
    statement replacing an old one) and a service whose IAM role relied on the key policy can no longer
    read SSE-KMS objects: S3 answers AccessDenied naming kms:Decrypt "because no resource-based policy
    allows" it, downloads fail while uploads of unencrypted metadata still work.

    The change: the ACK Key platform-aws/documents-cmk (kms.services.k8s.aws) has its spec.policy edited
    at 14:58: the statement allowing role documents-api kms:Decrypt/GenerateDataKey is replaced by one for
    documents-indexer only. documents-api (docs-store, Python, boto3) fails every GetObject with that
    AccessDenied from 15:00. The SLO burn pages on documents-api. Red herring: a rollout of
    docs-store/thumbnailer.
    """
    inc = Incident("document-downloads-burn", title="documents-api error budget burning",
                   story=document_downloads_burn.__doc__ or "", at=AT3, seed=2603,
                   namespaces=("docs-store", "platform-aws"))
    change = AT3 - timedelta(minutes=27)
    key_id = "8f1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
    crd(inc, "Key", "kms.services.k8s.aws", "keys", version="v1alpha1")

    def statement(sid: str, role: str, actions: list[str]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{role}"},
                "Action": actions, "Resource": "*"}
    admin = {"Sid": "EnableRootAccess", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"}
    new_policy = {"Version": "2012-10-17", "Statement": [
        admin, statement("AllowIndexerUse", "documents-indexer", ["kms:Decrypt", "kms:DescribeKey"])]}
    key = inc.add({"apiVersion": "kms.services.k8s.aws/v1alpha1", "kind": "Key",
                   "metadata": {"name": "documents-cmk", "namespace": "platform-aws", "generation": 6,
                                "annotations": {"services.k8s.aws/region": "eu-west-1"}},
                   "spec": {"description": "SSE-KMS key for the acme-documents bucket", "keySpec": "SYMMETRIC_DEFAULT",
                            "keyUsage": "ENCRYPT_DECRYPT", "enableKeyRotation": True,
                            "policy": json.dumps(new_policy, indent=2),
                            "tags": [{"tagKey": "team", "tagValue": "documents"}]},
                   "status": {"ackResourceMetadata": {
                       "arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id}", "ownerAccountID": ACCOUNT,
                       "region": "eu-west-1"}, "keyID": key_id, "keyState": "Enabled", "enabled": True,
                       "conditions": [{"type": "ACK.ResourceSynced", "status": "True",
                                       "message": "Resource synced successfully",
                                       "lastTransitionTime": ts(change + timedelta(seconds=40))}]}})
    changed(key, ("argocd-controller", "Update", inc.born + timedelta(days=10), {"f:spec": {"f:keySpec": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:policy": {}}}))
    key["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(
        {"apiVersion": "kms.services.k8s.aws/v1alpha1", "kind": "Key",
         "metadata": {"name": "documents-cmk", "namespace": "platform-aws"},
         "spec": {"policy": json.dumps({"Version": "2012-10-17", "Statement": [
             admin, statement("AllowDocumentsApp", "documents-api",
                              ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"])]})}})
    start = change + timedelta(minutes=2)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            rid = L.uuidish(pod, i)[:16].upper()
            doc = f"tenants/{4100 + i % 37}/contracts/{20260000 + i * 7 % 9999}.pdf"
            if t < start or i % 5 == 0:
                return (f'{L.pylog(t, "INFO", "gunicorn.access", "")}10.244.1.{9 + i % 7} - - '
                        f'"GET /v2/documents/{20260000 + i * 7 % 9999} HTTP/1.1" 200 {180000 + i % 5000}')
            trace = (f"{L.pylog(t, 'ERROR', 'documents.storage', f'download failed for s3://acme-documents/{doc}')}\n"
                     "Traceback (most recent call last):\n"
                     '  File "/app/documents/storage.py", line 88, in fetch\n'
                     "    obj = self.s3.get_object(Bucket=self.bucket, Key=key)\n"
                     '  File "/usr/local/lib/python3.12/site-packages/botocore/client.py", line 569, in _api_call\n'
                     "    return self._make_api_call(operation_name, kwargs)\n"
                     '  File "/usr/local/lib/python3.12/site-packages/botocore/client.py", line 1023, in '
                     "_make_api_call\n    raise error_class(parsed_response, operation_name)\n"
                     "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject "
                     f"operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/documents-api/botocore-session-"
                     f"17330{i % 90000:05d} is not authorized to perform: kms:Decrypt on resource: "
                     f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id} because no resource-based policy allows the "
                     f"kms:Decrypt action\n{L.pylog(t, 'INFO', 'gunicorn.access', '')}10.244.1.{9 + i % 7} - - "
                     f'"GET /v2/documents/{20260000 + i * 7 % 9999} HTTP/1.1" 500 87 request_id={rid}')
            return trace
        return L.ticker(s, e, 6, line)

    app(inc, "docs-store", "documents-api", f"{REGISTRY}/docs-store/documents-api:5.3.0", 3, log=within(api),
        env=[{"name": "DOCUMENTS_BUCKET", "value": "acme-documents"},
             {"name": "AWS_ROLE_ARN", "value": f"arn:aws:iam::{ACCOUNT}:role/documents-api"}])
    app(inc, "docs-store", "documents-indexer", f"{REGISTRY}/docs-store/documents-indexer:2.0.7", 1)
    http_codes(inc, "docs-store", "documents-api", (24.0, 5.0), (0.02, 19.0), start)
    herring(inc, "docs-store", "thumbnailer", f"{REGISTRY}/docs-store/thumbnailer", "1.9.0",
            AT3 - timedelta(minutes=50))
    plant(inc, "docs-store", "documents-signing", "aws-secret", "presign-key", "secret-access-key")
    inc.slo_burn("documents-api", "docs-store", "documents-api-availability", "0.995", 31.0,
                 "documents-api is returning 5xx for most document downloads; the 1h and 5m burn rates are both "
                 "above 14.4x.")
    inc.answer_key(
        culprit=("Key", "platform-aws", "documents-cmk"),
        keywords=["kms:Decrypt", "key policy", "AccessDenied", "documents-cmk"],
        root_cause="The KMS key policy of ACK Key platform-aws/documents-cmk was edited at 14:58 and its statement "
                   "allowing the documents-api role to use the key (kms:Decrypt, GenerateDataKey) was replaced by one "
                   "for documents-indexer only; S3 GetObject on the SSE-KMS bucket now fails with AccessDenied "
                   "(not authorized to perform kms:Decrypt, no resource-based policy allows it) and downloads 500.",
        category="kms-key-policy-drops-app-role-decrypt",
        red_herrings=[("Deployment", "docs-store", "thumbnailer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 11, 5, tzinfo=UTC)


def media_uploader_question() -> Incident:
    """pod-identity-association-service-account-renamed-node-role-fallback: a Pod Identity association names another SA.

    after: the EKS Pod Identity / IRSA migrations where the association (or trust) is keyed on a namespace
    and ServiceAccount name that no longer matches the workload: pods created afterwards get no injected
    credentials, the AWS SDK's default chain falls back to the node's instance role, and calls fail with
    AccessDenied naming the node role (`assumed-role/<node role>/i-...`), a tell-tale that is easy to miss.

    The change: the ACK PodIdentityAssociation platform-aws/media-uploader-s3 has its serviceAccount edited
    from `uploader` to `media-uploader` at 10:20 (a naming-convention sweep); Deployment media/media-uploader
    still runs as ServiceAccount uploader. Its routine rollout at 10:41 (an unrelated config bump, the red
    herring) creates pods without the Pod Identity env, and every S3 PutObject fails as the node role.
    Someone asks in chat about the workload only.
    """
    inc = Incident("media-uploader-question", title="media uploads failing",
                   story=media_uploader_question.__doc__ or "", at=AT4, seed=2604,
                   namespaces=("media", "platform-aws"))
    change = AT4 - timedelta(minutes=45)
    rollout = AT4 - timedelta(minutes=24)
    crd(inc, "PodIdentityAssociation", "eks.services.k8s.aws", "podidentityassociations", version="v1alpha1")
    assoc = inc.add({"apiVersion": "eks.services.k8s.aws/v1alpha1", "kind": "PodIdentityAssociation",
                     "metadata": {"name": "media-uploader-s3", "namespace": "platform-aws", "generation": 3},
                     "spec": {"clusterName": "prod-eu-west-1", "namespace": "media",
                              "serviceAccount": "media-uploader",
                              "roleARN": f"arn:aws:iam::{ACCOUNT}:role/media-uploader-s3"},
                     "status": {"associationID": "a-9xkq2vtg4hbnm1rcd",
                                "ackResourceMetadata": {"arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:podidentity"
                                                               "association/prod-eu-west-1/a-9xkq2vtg4hbnm1rcd",
                                                        "ownerAccountID": ACCOUNT, "region": "eu-west-1"},
                                "conditions": [{"type": "ACK.ResourceSynced", "status": "True",
                                                "lastTransitionTime": ts(change + timedelta(seconds=35))}]}})
    changed(assoc, ("argocd-controller", "Update", inc.born + timedelta(days=8), {"f:spec": {"f:roleARN": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:serviceAccount": {}}}))
    node_role = "eks-node-general-20250611"

    def uploader(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, L.logfmt(s, "info", "starting media-uploader", version="4.2.1", bucket="acme-media-uploads")),
                      (s + timedelta(seconds=1), L.logfmt(s + timedelta(seconds=1), "info", "aws credentials loaded",
                                                          source="EC2RoleProvider", region="eu-west-1"))]

        def line(i: int, t: datetime) -> str:
            key = f"uploads/2026/12/02/{L.uuidish(pod, i)}.jpg"
            return L.logfmt(t, "error", "upload failed", key=key, attempt=3, err=(
                f"operation error S3: PutObject, https response error StatusCode: 403, RequestID: "
                f"{L.uuidish(pod + 'r', i)[:16].upper()}, HostID: {L.uuidish(pod + 'h', i)}, api error "
                f"AccessDenied: User: arn:aws:sts::{ACCOUNT}:assumed-role/{node_role}/"
                f"i-0{7 + i % 3}a4c9e1f2b3d5{i % 10}6"
                " is not authorized to perform: s3:PutObject on resource: \\\"arn:aws:s3:::acme-media-uploads/"
                f"{key}\\\" because no identity-based policy allows the s3:PutObject action"))
        return out + L.ticker(s + timedelta(seconds=20), e, 8, line)

    img = f"{REGISTRY}/media/media-uploader:4.2.1"
    spec = {"serviceAccountName": "uploader"}
    revs = [Rev(6, inc.born + timedelta(days=18), "helm upgrade",
                [c("media-uploader", img, env=[{"name": "UPLOAD_MAX_MB", "value": "25"}])], pod_spec=spec),
            Rev(7, rollout, "helm upgrade",
                [c("media-uploader", img, env=[{"name": "UPLOAD_MAX_MB", "value": "40"}])], pod_spec=spec)]
    inc.deployment("media", "media-uploader", revs, {7: [P(log=within(uploader)), P(log=within(uploader))]})
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "uploader", "namespace": "media", "creationTimestamp": ts(inc.born)}})
    begin = AT4 - timedelta(hours=2)
    for result, before, after in (("success", 3.2, 0.0), ("error", 0.0, 3.1)):
        inc.series("media_uploads_total", "counter", "Uploads written to object storage, by result.",
                   {"namespace": "media", "service": "media-uploader", "job": "media-uploader", "result": result},
                   counter(begin, before, after, rollout + timedelta(minutes=1)))
    plant(inc, "media", "media-cdn-signing", "token", "cdn-url-signing", "signing-key")
    inc.ask("why is media-uploader failing? people say their photo uploads error out since this morning")
    inc.answer_key(
        culprit=("PodIdentityAssociation", "platform-aws", "media-uploader-s3"),
        keywords=["Pod Identity", "serviceAccount", "node role", "AccessDenied"],
        root_cause="The EKS Pod Identity association platform-aws/media-uploader-s3 had its serviceAccount edited "
                   "from uploader to media-uploader at 10:20, but media/media-uploader runs as ServiceAccount "
                   "uploader; pods created by the 10:41 rollout get no Pod Identity credentials, the SDK falls back "
                   "to the node role and every S3 PutObject fails with AccessDenied.",
        category="pod-identity-association-service-account-renamed-node-role-fallback",
        red_herrings=[("Deployment", "media", "media-uploader")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 2, 19, 50, tzinfo=UTC)


def orders_db_volume_page() -> Incident:
    """storageclass-volume-expansion-disabled-autoresize-refused: a re-applied StorageClass loses allowVolumeExpansion.

    after: the storage outages where a database volume that used to be grown automatically (an
    autoresizer, an operator, a runbook step) fills up because the StorageClass was re-created or
    re-applied from a baseline without `allowVolumeExpansion: true`; the API server's admission then
    refuses every resize with "only dynamically provisioned pvc can be resized and the storageclass that
    provisions the pvc must support resize", and PostgreSQL runs out of space.

    The change: StorageClass gp3 (cluster-scoped) is re-applied by the storage baseline at 09:14 without
    allowVolumeExpansion. pvc-autoresizer (namespace pvc-autoresizer) tries to grow orders/data-orders-db-0 from
    19:05 and is refused each time; PostgreSQL in orders-db-0 logs "No space left on device". The page is
    kube-prometheus' KubePersistentVolumeFillingUp on the claim. Red herring: a rollout of orders/orders-api.
    """
    inc = Incident("orders-db-volume-page", title="orders database volume almost full",
                   story=orders_db_volume_page.__doc__ or "", at=AT5, seed=2605,
                   namespaces=("orders", "pvc-autoresizer"))
    change = AT5 - timedelta(hours=10, minutes=36)
    sc = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                  "metadata": {"name": "gp3", "creationTimestamp": ts(inc.born + timedelta(days=1)),
                               "annotations": {"storageclass.kubernetes.io/is-default-class": "true",
                                               "resize.topolvm.io/enabled": "true"}},
                  "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
                  "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"})
    changed(sc, ("kubectl-client-side-apply", "Update", change,
                 {"f:metadata": {"f:annotations": {}}, "f:parameters": {}, "f:reclaimPolicy": {}}))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "gp2", "creationTimestamp": ts(inc.born)},
             "provisioner": "kubernetes.io/aws-ebs", "parameters": {"type": "gp2", "fsType": "ext4"},
             "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True})
    full = AT5 - timedelta(minutes=12)

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < full:
                return L.postgres(t, "LOG", f"checkpoint complete: wrote {800 + i % 300} buffers ({i % 7}.1%); "
                                  "0 WAL file(s) added, 1 removed, 2 recycled", pid=71) if i % 10 == 0 else None
            if i % 3 == 0:
                return (L.postgres(t, "ERROR", f'could not extend file "base/16384/{24612 + i % 4}": No space left on '
                                   "device", pid=4100 + i) + "\n" +
                        L.postgres(t, "HINT", "Check free disk space.", pid=4100 + i) + "\n" +
                        L.postgres(t, "STATEMENT", "INSERT INTO order_events (order_id, kind, payload) VALUES "
                                   "($1, $2, $3)", pid=4100 + i))
            return L.postgres(t, "LOG", "could not write to file \"pg_wal/xlogtemp.71\": No space left on device",
                              pid=71) if i % 3 == 1 else None
        return L.ticker(s, e, 20, line)

    db = inc.statefulset("orders", "orders-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                   memory_limit="4Gi", readiness_path=None, liveness_path=None)],
                         [P(log=within(pg))], at=inc.born + timedelta(days=4),
                         claims=[("data", "100Gi", "gp3")], service=5432)
    _ = db

    def resizer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            if t < AT5 - timedelta(minutes=45):
                return (f'{{"level":"info","ts":"{stamp}","logger":"pvc-autoresizer","msg":"checked PVCs",'
                        '"count":7}') if i % 5 == 0 else None
            return (f'{{"level":"error","ts":"{stamp}","logger":"pvc-autoresizer","msg":"failed to resize PVC",'
                    '"namespace":"orders","name":"data-orders-db-0","current":"100Gi","target":"120Gi",'
                    '"error":"persistentvolumeclaims \\"data-orders-db-0\\" is forbidden: only dynamically '
                    'provisioned pvc can be resized and the storageclass that provisions the pvc must support '
                    'resize"}')
        return L.ticker(s, e, 60, line)

    app(inc, "pvc-autoresizer", "pvc-autoresizer", "ghcr.io/topolvm/pvc-autoresizer:0.16.0", 1, log=within(resizer),
        port=8080)
    pvc = {"namespace": "orders", "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet",
           "metrics_path": "/metrics"}
    cap = 105_089_261_568.0
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "[ALPHA] Capacity in bytes of the volume", dict(pvc),
               step(cap, cap, AT5), step_s=60)
    inc.series("kubelet_volume_stats_available_bytes", "gauge", "[ALPHA] Number of available bytes in the volume",
               dict(pvc), ramp(16e9, -2.2e6, AT5 - timedelta(hours=2), 0.0), step_s=60)
    herring(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api", "7.4.0", AT5 - timedelta(minutes=70))
    plant(inc, "orders", "orders-db-superuser", "password", "postgres-superuser", "password")
    inc.alertmanager("KubePersistentVolumeFillingUp",
                     {"namespace": "orders", "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet",
                      "metrics_path": "/metrics", "service": "kube-prometheus-stack-kubelet"},
                     "PersistentVolume is filling up.",
                     "The PersistentVolume claimed by data-orders-db-0 in Namespace orders is only 1.9% free.",
                     'kubelet_volume_stats_available_bytes{job="kubelet",metrics_path="/metrics"} / '
                     'kubelet_volume_stats_capacity_bytes{job="kubelet",metrics_path="/metrics"} < 0.03',
                     severity="critical")
    inc.answer_key(
        culprit=("StorageClass", "", "gp3"),
        keywords=["allowVolumeExpansion", "StorageClass", "resize", "forbidden"],
        root_cause="StorageClass gp3 was re-applied at 09:14 from a baseline without allowVolumeExpansion: true, so "
                   "every resize of orders/data-orders-db-0 by pvc-autoresizer is forbidden (the storageclass must "
                   "support resize) and the PostgreSQL volume fills up instead of growing.",
        category="storageclass-volume-expansion-disabled-autoresize-refused",
        red_herrings=[("Deployment", "orders", "orders-api")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)

CONTAINERD_AL2 = """version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri".containerd]
default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".registry]
config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"
"""


def storefront_replicas_grouped() -> Incident:
    """containerd-config-systemd-cgroup-driver-mismatch: node config sets SystemdCgroup on cgroupfs nodes.

    after: the containerd/kubelet cgroup driver mismatches that upgrades and node-bootstrap scripts keep
    producing: containerd's runc runtime set to `SystemdCgroup = true` while the kubelet still uses the
    cgroupfs driver (or the reverse), so every new pod sandbox fails with runc's "expected cgroupsPath to
    be of format \"slice:prefix:name\" for systemd cgroups"; pods already running are untouched, so the
    damage shows only when something new is scheduled on those nodes.

    The change: DaemonSet kube-system/containerd-config (a privileged node-config agent) gets a new
    template at 11:48: CONFIG_VARIANT al2 -> al2023, which writes the AL2023 containerd config (SystemdCgroup
    = true) onto the AL2 nodes whose kubelet uses cgroupDriver cgroupfs, and restarts containerd. Storefront's
    HPA scales storefront-web up at 12:10; the new pods on those nodes never get a sandbox
    (FailedCreatePodSandBox). Grouped notification: replicas mismatch plus two pods not ready. Red herring:
    a rollout of storefront/storefront-bff.
    """
    inc = Incident("storefront-replicas-grouped", title="storefront-web replicas unavailable",
                   story=storefront_replicas_grouped.__doc__ or "", at=AT6, seed=2606,
                   namespaces=("storefront",))
    change = AT6 - timedelta(minutes=42)
    scale = AT6 - timedelta(minutes=20)
    inc.configmap("kube-system", "containerd-config-variants",
                  {"config-al2.toml": CONTAINERD_AL2,
                   "config-al2023.toml": CONTAINERD_AL2.replace("SystemdCgroup = false", "SystemdCgroup = true")})
    pods = inc.cluster.daemonset("kube-system", "containerd-config", f"{REGISTRY}/platform/node-config:1.4.0",
                                 inc.born + timedelta(days=3), memory_mi=12)
    ds = inc.find("DaemonSet", "kube-system", "containerd-config")
    tmpl = ds["spec"]["template"]["spec"]["containers"][0]
    tmpl["env"] = [{"name": "CONFIG_VARIANT", "value": "al2023"}]
    tmpl["securityContext"] = {"privileged": True}
    tmpl.pop("ports", None)
    ds["spec"]["template"]["spec"]["hostPID"] = True
    ds["metadata"]["generation"] = 5
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "5"
    ds["status"]["observedGeneration"] = 5
    changed(ds, ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for rev, at, variant in ((4, inc.born + timedelta(days=3), "al2"), (5, change, "al2023")):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"containerd-config-{o.suffix(variant, 10)}", "namespace": "kube-system",
                              "creationTimestamp": ts(at), "labels": {"app": "containerd-config"},
                              "ownerReferences": [o.owner_ref("DaemonSet", "containerd-config", "kube-system")]},
                 "revision": rev,
                 "data": {"spec": {"template": {"spec": {"containers": [
                     {"name": "containerd-config", "env": [{"name": "CONFIG_VARIANT", "value": variant}]}]}}}}})
    for i, h in enumerate(pods):
        started = change + timedelta(seconds=30 + 40 * i)
        h.created = started
        h.states = [o.ContainerState(started_at=started + timedelta(seconds=3))]
        h.logs = {"containerd-config": L.lines([
            (started, "+ CONFIG_VARIANT=al2023"),
            (started, "+ cp /etc/node-config/config-al2023.toml /host/etc/containerd/config.toml"),
            (started + timedelta(seconds=1), "containerd config updated (variant al2023), restarting containerd"),
            (started + timedelta(seconds=1), "+ nsenter -t 1 -m -u -i -n -p -- systemctl restart containerd"),
            (started + timedelta(seconds=4), "containerd active; sleeping")])}
    bad_nodes = [node(inc, 1), node(inc, 2)]
    msg = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create containerd task: failed '
           'to create shim task: OCI runtime create failed: runc create failed: expected cgroupsPath to be of format '
           '"slice:prefix:name" for systemd cgroups, got "/kubepods/burstable/pod{uid}/{cid}" instead: unknown')
    img = f"{REGISTRY}/storefront/storefront-web:8.3.2"
    revs = [Rev(1, inc.born + timedelta(days=16), "helm upgrade", [c("storefront-web", img, memory_limit="768Mi")])]
    plans = [P(), P(), P(node=node(inc, 0)),
             P(state="waiting", waiting_reason="ContainerCreating", created=scale, node=bad_nodes[0]),
             P(state="waiting", waiting_reason="ContainerCreating", created=scale + timedelta(seconds=2),
               node=bad_nodes[1])]
    wl = inc.deployment("storefront", "storefront-web", revs, {1: plans}, replicas=5)
    for h in wl.pods[3:]:
        obj = inc.cluster.pod_object(h)
        drop_events(inc, h.name, ("Pulled", "Failed"))
        h.states[0].waiting_message = None
        inc.cluster.patch("storefront", h.name, lambda p: p["status"].update({"podIP": None, "podIPs": []}))
        first = h.created + timedelta(seconds=2)
        inc.event(obj, "FailedCreatePodSandBox", msg.format(uid=obj["metadata"]["uid"].replace("-", "_"),
                                                            cid=o.container_id(h.name)[13:77]),
                  first, inc.captured - timedelta(seconds=20),
                  count=int((inc.captured - first).total_seconds() // 14), host=h.node)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "storefront-web", "namespace": "storefront"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "storefront-web"},
                      "minReplicas": 3, "maxReplicas": 12,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 65}}}]},
             "status": {"currentReplicas": 5, "desiredReplicas": 5, "lastScaleTime": ts(scale),
                        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                            "averageUtilization": 91, "averageValue": "455m"}}}]}})
    inc.event(inc.find("HorizontalPodAutoscaler", "storefront", "storefront-web"), "SuccessfulRescale",
              "New size: 5; reason: cpu resource utilization (percentage of request) above target", scale,
              warning=False, component="horizontal-pod-autoscaler")
    for n in inc.cluster.nodes:
        n["status"]["nodeInfo"]["osImage"] = "Amazon Linux 2"
        n["status"]["nodeInfo"]["containerRuntimeVersion"] = "containerd://1.7.22"
    inc.pod_series(wl.pods)
    herring(inc, "storefront", "storefront-bff", f"{REGISTRY}/storefront/storefront-bff", "3.1.0",
            AT6 - timedelta(minutes=55))
    plant(inc, "storefront", "storefront-session", "token", "session-hmac", "hmac-key")
    alerts = [alert(inc, "KubeDeploymentReplicasMismatch",
                    {"namespace": "storefront", "deployment": "storefront-web", "job": "kube-state-metrics"},
                    "Deployment has not matched the expected number of replicas.",
                    "Deployment storefront/storefront-web has not matched the expected number of replicas for longer "
                    "than 15 minutes.",
                    'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                    'kube_deployment_status_replicas_available{job="kube-state-metrics"}')]
    for h in wl.pods[3:]:
        alerts.append(alert(inc, "KubePodNotReady", {"namespace": "storefront", "pod": h.name,
                                                     "job": "kube-state-metrics"},
                            "Pod has been in a non-ready state for more than 15 minutes.",
                            f"Pod storefront/{h.name} has been in a non-ready state for longer than 15 minutes.",
                            'sum by (namespace, pod) (kube_pod_status_phase{job="kube-state-metrics", '
                            'phase=~"Pending|Unknown|Failed"}) > 0'))
    send(inc, alerts, ["namespace"])
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "containerd-config"),
        keywords=["SystemdCgroup", "cgroup driver", "containerd", "FailedCreatePodSandBox"],
        root_cause="DaemonSet kube-system/containerd-config rolled a new template at 11:48 (CONFIG_VARIANT al2023) "
                   "that writes containerd's runc option SystemdCgroup = true onto AL2 nodes whose kubelet uses the "
                   "cgroupfs cgroup driver and restarts containerd; every new pod sandbox there fails "
                   "(FailedCreatePodSandBox, runc expected cgroupsPath slice:prefix:name), so storefront-web's "
                   "scaled-up pods never start.",
        category="containerd-config-systemd-cgroup-driver-mismatch",
        red_herrings=[("Deployment", "storefront", "storefront-bff")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 16, 15, tzinfo=UTC)


def statement_exports_page() -> Incident:
    """ntp-source-wrong-clock-stepped-request-time-skewed: chrony pointed at an NTP server an hour off.

    after: the time-sync postmortems where a single bad NTP source (an appliance serving local time as
    UTC, a decommissioned server) is configured as the only source with `makestep ... -1`: chrony steps
    every node's clock, and the first visible damage is in signed requests (AWS SigV4 "The difference
    between the request time and the current time is too large", RequestTimeTooSkewed), JWT `iat`/`nbf`
    checks and TLS validity, far away from the node agent that caused it.

    The change: ConfigMap kube-system/chrony-config is edited at 15:40 to use ntp1.corp.example.com instead
    of the Amazon Time Sync Service (169.254.169.123); that appliance serves CET as UTC, one hour ahead.
    DaemonSet kube-system/chrony reloads and steps each node's clock by ~3600 s. statement-exporter (exports,
    Spring Boot, AWS SDK v2) fails every S3 upload with RequestTimeTooSkewed from 15:42. PagerDuty pages on
    the exports. Red herring: a rollout of exports/statement-api.
    """
    inc = Incident("statement-exports-page", title="statement exports failing",
                   story=statement_exports_page.__doc__ or "", at=AT7, seed=2607, namespaces=("exports",))
    change = AT7 - timedelta(minutes=35)
    stepped = change + timedelta(minutes=2)
    conf_old = ("server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\npool time.aws.com iburst\n"
                "driftfile /var/lib/chrony/drift\nmakestep 1.0 3\nrtcsync\n")
    conf_new = ("server ntp1.corp.example.com iburst\ndriftfile /var/lib/chrony/drift\nmakestep 1.0 -1\nrtcsync\n")
    cm = inc.configmap("kube-system", "chrony-config", {"chrony.conf": conf_new})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:chrony.conf": {}}}))
    cm["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"chrony.conf": conf_old},
         "metadata": {"name": "chrony-config", "namespace": "kube-system"}})}
    pods = inc.cluster.daemonset("kube-system", "chrony", "docker.io/dockurr/chrony:4.6", inc.born, memory_mi=6)
    for i, h in enumerate(pods):
        t0 = stepped + timedelta(seconds=7 * i)
        h.logs = {"chrony": L.lines([
            (t0 - timedelta(hours=3), f"{(t0 - timedelta(hours=3)).strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: "
             "Selected source 169.254.169.123"),
            (t0 - timedelta(seconds=60), f"{(t0 - timedelta(seconds=60)).strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: "
             "chronyd exiting"),
            (t0 - timedelta(seconds=55), f"{(t0 - timedelta(seconds=55)).strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: "
             "chronyd version 4.6 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP -SCFILTER +SIGND +ASYNCDNS +NTS "
             "+SECHASH +IPV6 -DEBUG)"),
            (t0 - timedelta(seconds=50), f"{(t0 - timedelta(seconds=50)).strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: "
             "Selected source 10.20.0.5 (ntp1.corp.example.com)"),
            (t0, f"{t0.strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: System clock wrong by {3599.81 + i * 0.03:.6f} "
                 "seconds"),
            (t0, f"{(t0 + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')} chronyd[1]: System clock was stepped by "
                 f"{3599.81 + i * 0.03:.6f} seconds")])}
    stamp_ds = inc.find("DaemonSet", "kube-system", "chrony")
    stamp_ds["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"capabilities": {"add": ["SYS_TIME"]}}

    def exporter(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < stepped:
                return L.spring(t, "INFO", "c.a.exports.StatementUploader",
                                f"uploaded statements/2026-11/acct-{88000 + i}.pdf ({41000 + i % 900} bytes)",
                                thread="upload-3") if i % 2 == 0 else None
            rid = L.uuidish(pod, i)[:16].upper()
            return (L.spring(t, "ERROR", "c.a.exports.StatementUploader",
                             f"upload failed for statements/2026-11/acct-{88000 + i}.pdf", thread="upload-3") + "\n" +
                    "software.amazon.awssdk.services.s3.model.S3Exception: The difference between the request time and "
                    f"the current time is too large. (Service: S3, Status Code: 403, Request ID: {rid}, Extended "
                    f"Request ID: {L.uuidish(pod + 'x', i)})\n"
                    "\tat software.amazon.awssdk.services.s3.model.S3Exception$BuilderImpl.build("
                    "S3Exception.java:104)\n"
                    "\tat software.amazon.awssdk.core.internal.http.CombinedResponseHandler.handleErrorResponse("
                    "CombinedResponseHandler.java:125)\n"
                    "\tat software.amazon.awssdk.services.s3.DefaultS3Client.putObject(DefaultS3Client.java:10931)\n"
                    "\tat com.acme.exports.StatementUploader.upload(StatementUploader.java:61)")
        return L.ticker(s, e, 15, line)

    app(inc, "exports", "statement-exporter", f"{REGISTRY}/exports/statement-exporter:2.9.3", 2,
        log=within(exporter), memory_limit="1Gi")
    begin = AT7 - timedelta(hours=2)
    for result, before, after in (("ok", 0.12, 0.0), ("error", 0.0, 0.13)):
        inc.series("statement_uploads_total", "counter", "Statement PDFs uploaded to S3, by result.",
                   {"namespace": "exports", "service": "statement-exporter", "job": "statement-exporter",
                    "result": result}, counter(begin, before, after, stepped))
    for name in inc.node_names():
        ip = inc.cluster.node_ip(name)
        inc.series("node_time_seconds", "gauge", "System time in seconds since epoch (1970).",
                   {"instance": f"{ip}:9100", "job": "node-exporter", "node": name},
                   lambda t: t.timestamp() + (3599.8 if t >= stepped else 0.0), step_s=60)
        inc.series("node_timex_offset_seconds", "gauge", "Time offset in between local system and reference clock.",
                   {"instance": f"{ip}:9100", "job": "node-exporter", "node": name},
                   step(0.00012, 0.00009, stepped), step_s=60)
    herring(inc, "exports", "statement-api", f"{REGISTRY}/exports/statement-api", "6.0.4", AT7 - timedelta(minutes=50))
    plant(inc, "exports", "statement-exporter-aws", "aws", "exporter-access-key", "aws-access-key-id")
    inc.pagerduty("Statement exports failing: 0 of 250 statements uploaded in the last 30 min", "Statements")
    inc.answer_key(
        culprit=("ConfigMap", "kube-system", "chrony-config"),
        keywords=["chrony", "NTP", "clock", "RequestTimeTooSkewed"],
        root_cause="ConfigMap kube-system/chrony-config was edited at 15:40 to use ntp1.corp.example.com, an NTP "
                   "server one hour ahead, with makestep -1; the chrony DaemonSet stepped every node's clock by "
                   "~3600 s and statement-exporter's signed S3 uploads fail with RequestTimeTooSkewed (request time "
                   "too far from the current time).",
        category="ntp-source-wrong-clock-stepped-request-time-skewed",
        red_herrings=[("Deployment", "exports", "statement-api")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 8, 55, tzinfo=UTC)


def postgres_operator_crashloop() -> Incident:
    """operator-upgraded-without-crds-controller-exits: a Helm upgrade leaves the CRDs at the old version.

    after: the operator upgrades that fail because Helm never upgrades CRDs in a chart's crds/ directory:
    the new manager starts a controller for a kind the cluster does not know yet, controller-runtime's
    REST mapper answers "no matches for kind", the manager exits and crash-loops (simple: the reason is in
    the operator's own log and its new revision).

    The change: Deployment cnpg-system/cnpg-controller-manager moves from 1.23.4 to 1.25.0 at 08:31; the
    cluster still has only the 1.23 CRDs (no databases.postgresql.cnpg.io). Every start logs "unable to
    create controller" for Database and exits 1. Page: KubePodCrashLooping on the operator's pod. Red
    herring: a rollout of billing/invoice-api.
    """
    inc = Incident("postgres-operator-crashloop", title="cnpg-controller-manager crash looping",
                   story=postgres_operator_crashloop.__doc__ or "", at=AT8, seed=2608,
                   namespaces=("cnpg-system", "billing"))
    change = AT8 - timedelta(minutes=24)
    for kind, plural in (("Cluster", "clusters"), ("Backup", "backups"), ("ScheduledBackup", "scheduledbackups"),
                         ("Pooler", "poolers")):
        crd(inc, kind, "postgresql.cnpg.io", plural)
    inc.add({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
             "metadata": {"name": "billing-pg", "namespace": "billing", "generation": 4},
             "spec": {"instances": 3, "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
                      "storage": {"size": "50Gi", "storageClass": "gp3"}},
             "status": {"phase": "Cluster in healthy state", "readyInstances": 3, "instances": 3,
                        "currentPrimary": "billing-pg-1"}})

    def manager(pod: str, s: datetime, e: datetime) -> Lines:
        def js(t: datetime, level: str, logger: str, msg: str, **kw: Any) -> str:
            return json.dumps({"level": level, "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                               "logger": logger, "msg": msg, **kw}, separators=(",", ":"))
        t = s
        return [(t, js(t, "info", "setup", "Starting CloudNativePG Operator", version="1.25.0",
                       build={"Version": "1.25.0+dev", "Commit": "a1d2b3c", "Date": "2024-12-23"})),
                (t + timedelta(milliseconds=300), js(t + timedelta(milliseconds=300), "info", "setup",
                                                     "Listening for changes", watchNamespaces=[""])),
                (t + timedelta(milliseconds=900), js(t + timedelta(milliseconds=900), "info", "setup",
                                                     "Operator configuration loaded")),
                (t + timedelta(seconds=1), js(t + timedelta(seconds=1), "error", "setup", "unable to create controller",
                                              controller="Database",
                                              error='no matches for kind "Database" in version "postgresql.cnpg.io/v1"'
                                              )),
                (t + timedelta(seconds=1), js(t + timedelta(seconds=1), "error", "setup", "problem running manager",
                                              error='no matches for kind "Database" in version "postgresql.cnpg.io/v1"'
                                              ))]

    img = "ghcr.io/cloudnative-pg/cloudnative-pg"
    revs = [Rev(3, inc.born + timedelta(days=21), "helm upgrade", [c("manager", f"{img}:1.23.4", port=9443)]),
            Rev(4, change, "helm upgrade", [c("manager", f"{img}:1.25.0", port=9443)])]
    wl = inc.deployment("cnpg-system", "cnpg-controller-manager", revs,
                        {3: [P()], 4: [P(state="crashloop", log=within(manager), exit_code=1,
                                         run_s=lambda n: 1.5)]}, progress="progressing", replicas=1,
                        max_surge="25%", max_unavailable="0")
    changed(wl.obj, ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    inc.pod_series(wl.pods)
    herring(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api", "3.3.0", AT8 - timedelta(minutes=40))
    plant(inc, "billing", "billing-pg-app", "password", "billing-pg-app", "password")
    crash = wl.pods[-1]
    inc.alertmanager("KubePodCrashLooping",
                     {"namespace": "cnpg-system", "pod": crash.name, "container": "manager",
                      "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod cnpg-system/{crash.name} (manager) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("Deployment", "cnpg-system", "cnpg-controller-manager"),
        keywords=["CRD", "no matches for kind", "1.25.0"],
        root_cause="cnpg-controller-manager was upgraded by Helm from 1.23.4 to 1.25.0 but the CRDs were not (Helm "
                   "does not upgrade a chart's CRDs); the new operator's Database controller fails with no matches "
                   "for kind \"Database\" in version postgresql.cnpg.io/v1 because the databases CRD is missing, and "
                   "the manager exits and crash-loops.",
        category="operator-upgraded-without-crds-controller-exits",
        red_herrings=[("Deployment", "billing", "invoice-api")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 13, 20, tzinfo=UTC)


def reporting_db_replicas_mismatch() -> Incident:
    """snapshot-restore-claim-smaller-than-snapshot: a restored PVC asks for less than its source snapshot.

    after: the VolumeSnapshot restore runbooks that go wrong on the first try: a claim pre-created with a
    `dataSource` pointing at a VolumeSnapshot but a storage request copied from a template smaller than
    the snapshot, so the CSI external-provisioner refuses it ("requested volume size ... is less than the
    size ... for the source snapshot"), the claim stays Pending and the StatefulSet pod that should adopt
    it never schedules (simple: the reason is in the claim's own spec and events).

    The change: PersistentVolumeClaim analytics/data-reporting-db-0 is applied by hand at 12:48 with
    dataSource VolumeSnapshot orders-db-20261204 (100Gi) and a request of 20Gi. reporting-db-0 stays
    Pending. Page: KubeStatefulSetReplicasMismatch on reporting-db. Red herring: a rollout of
    analytics/report-ui.
    """
    inc = Incident("reporting-db-replicas-mismatch", title="reporting-db has no ready replica",
                   story=reporting_db_replicas_mismatch.__doc__ or "", at=AT9, seed=2609, namespaces=("analytics",))
    change = AT9 - timedelta(minutes=32)
    crd(inc, "VolumeSnapshot", "snapshot.storage.k8s.io", "volumesnapshots")
    snap = inc.add({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                    "metadata": {"name": "orders-db-20261204", "namespace": "analytics",
                                 "creationTimestamp": ts(AT9 - timedelta(hours=2))},
                    "spec": {"volumeSnapshotClassName": "ebs-csi-snapclass",
                             "source": {"volumeSnapshotContentName": "snapcontent-orders-db-20261204"}},
                    "status": {"readyToUse": True, "restoreSize": "100Gi",
                               "boundVolumeSnapshotContentName": "snapcontent-orders-db-20261204",
                               "creationTime": ts(AT9 - timedelta(hours=2))}})
    _ = snap
    pvc = inc.pvc("analytics", "data-reporting-db-0", "20Gi", "gp3", labels={"app": "reporting-db"}, phase="Pending")
    pvc["metadata"]["creationTimestamp"] = ts(change)
    pvc["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                                      "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                                      "volume.kubernetes.io/selected-node": node(inc, 1)}
    spec_ref = {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "orders-db-20261204"}
    pvc["spec"]["dataSource"] = spec_ref
    pvc["spec"]["dataSourceRef"] = spec_ref
    changed(pvc, ("kubectl-client-side-apply", "Update", change,
                  {"f:spec": {"f:dataSource": {}, "f:resources": {"f:requests": {"f:storage": {}}}}}))
    prov = "ebs.csi.aws.com_ebs-csi-controller-6d8f9c7b5-x2lq9_4f0c6a1e-52d3-4b8e-9a7f-1c2d3e4f5a6b"
    first = change + timedelta(seconds=8)
    inc.event(pvc, "Provisioning", "External provisioner is provisioning volume for claim "
              "\"analytics/data-reporting-db-0\"", first, inc.captured - timedelta(minutes=1),
              count=14, warning=False, component=prov)
    inc.event(pvc, "ProvisioningFailed", "failed to provision volume with StorageClass \"gp3\": error getting handle "
              "for DataSource Type VolumeSnapshot by Name orders-db-20261204: requested volume size 21474836480 is "
              "less than the size 107374182400 for the source snapshot orders-db-20261204", first,
              inc.captured - timedelta(minutes=1), count=14, component=prov)
    inc.event(pvc, "WaitForFirstConsumer", "waiting for first consumer to be created before binding",
              change, warning=False, component="persistentvolume-controller")
    pend = ('running PreBind plugin "VolumeBinding": binding volumes: provisioning failed for PVC '
            '"data-reporting-db-0"')
    wl = inc.statefulset("analytics", "reporting-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                         memory_limit="2Gi", readiness_path=None, liveness_path=None)],
                         [P(state="pending", message=pend, created=change + timedelta(minutes=1))],
                         at=change + timedelta(minutes=1))
    wl.obj["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "gp3", "resources": {"requests": {"storage": "100Gi"}}}}]
    changed(wl.obj, ("helm", "Update", change + timedelta(minutes=1), {"f:spec": {"f:replicas": {}}}))
    inc.cluster.patch("analytics", "reporting-db-0", lambda p: p["spec"].setdefault("volumes", []).append(
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-reporting-db-0"}}))
    herring(inc, "analytics", "report-ui", f"{REGISTRY}/analytics/report-ui", "1.18.0", AT9 - timedelta(minutes=40))
    plant(inc, "analytics", "reporting-db-readonly", "password", "reporting-ro", "password")
    inc.series("kube_statefulset_status_replicas_ready", "gauge", "Number of ready replicas per StatefulSet.",
               {"namespace": "analytics", "statefulset": "reporting-db", "job": "kube-state-metrics"},
               step(0, 0, AT9), step_s=60)
    inc.series("kube_persistentvolumeclaim_status_phase", "gauge", "The phase the persistent volume claim is "
               "currently in.", {"namespace": "analytics", "persistentvolumeclaim": "data-reporting-db-0",
                                 "phase": "Pending", "job": "kube-state-metrics"},
               lambda t: None if t < change else 1.0, step_s=60)  # type: ignore[arg-type,return-value]
    inc.alertmanager("KubeStatefulSetReplicasMismatch",
                     {"namespace": "analytics", "statefulset": "reporting-db", "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet analytics/reporting-db has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != '
                     'kube_statefulset_status_replicas{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("PersistentVolumeClaim", "analytics", "data-reporting-db-0"),
        keywords=["snapshot", "requested volume size", "20Gi", "ProvisioningFailed"],
        root_cause="The claim analytics/data-reporting-db-0 was applied by hand at 12:48 to restore from the "
                   "VolumeSnapshot orders-db-20261204 (100Gi) but requests only 20Gi; the EBS CSI provisioner fails "
                   "with ProvisioningFailed (requested volume size is less than the size of the source snapshot), "
                   "the claim stays Pending and reporting-db-0 cannot be scheduled.",
        category="snapshot-restore-claim-smaller-than-snapshot",
        red_herrings=[("Deployment", "analytics", "report-ui")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 3, 40, tzinfo=UTC)


def nightly_import_failed() -> Incident:
    """job-ephemeral-storage-limit-below-scratch-download: a CronJob gains a 2Gi ephemeral-storage limit.

    after: the batch-job failures after a "set limits on everything" change: an ephemeral-storage limit is
    added to a job that stages a multi-GB file in an emptyDir or its writable layer, and the kubelet evicts
    the pod with "Pod ephemeral local storage usage exceeds the total limit of containers" part-way through
    (simple: the reason is in the pod's status and events and the CronJob's own spec).

    The change: CronJob imports/nightly-import's container gets limits ephemeral-storage 2Gi at 17:20 the
    day before (a resource-policy sweep, kubectl apply). Tonight's run downloads the 6.4 GB partner dump
    into an emptyDir and is evicted at ~2 GB; the Job fails at its backoff limit. Page: KubeJobFailed. Red
    herring: a rollout of imports/partner-api.
    """
    inc = Incident("nightly-import-failed", title="nightly import job failed",
                   story=nightly_import_failed.__doc__ or "", at=AT10, seed=2610, namespaces=("imports",))
    change = AT10 - timedelta(hours=10, minutes=20)
    scheduled = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    killed = scheduled + timedelta(minutes=31)
    img = f"{REGISTRY}/imports/nightly-import:1.7.2"
    container = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "1Gi"},
                               "limits": {"memory": "2Gi", "ephemeral-storage": "2Gi"}},
                 "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                 "args": ["--source", "s3://partner-drop/catalog/full-20261204.csv.gz", "--workdir", "/scratch"]}
    cj = cronjob(inc, "imports", "nightly-import", "0 3 * * *", img, scheduled, container)
    cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-client-side-apply", "Update", change,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    job = job_name("nightly-import", scheduled)
    job_object(inc, "imports", "nightly-import", job, scheduled, killed + timedelta(seconds=3),
               "Job has reached the specified backoff limit")
    prev = job_name("nightly-import", scheduled - timedelta(days=1))
    pobj = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": prev, "namespace": "imports",
                                 "creationTimestamp": ts(scheduled - timedelta(days=1)),
                                 "ownerReferences": [o.owner_ref("CronJob", "nightly-import", "imports",
                                                                 api_version="batch/v1")]},
                    "spec": {"backoffLimit": 0, "completions": 1},
                    "status": {"startTime": ts(scheduled - timedelta(days=1)), "succeeded": 1,
                               "completionTime": ts(scheduled - timedelta(days=1) + timedelta(minutes=58)),
                               "conditions": [{"type": "Complete", "status": "True",
                                               "lastTransitionTime": ts(scheduled - timedelta(hours=23))}]}})
    _ = pobj

    def progress(i: int, t: datetime) -> str:
        return L.pylog(t, "INFO", "importer.download", f"downloaded {min(2048, 64 * (i + 1))} MiB of 6104 MiB "
                       "to /scratch/full-20261204.csv.gz")
    lines = [(scheduled + timedelta(seconds=5), L.pylog(scheduled + timedelta(seconds=5), "INFO", "importer",
                                                        "nightly import 1.7.2 starting, source "
                                                        "s3://partner-drop/catalog/full-20261204.csv.gz"))]
    lines += L.ticker(scheduled + timedelta(seconds=30), killed - timedelta(seconds=20), 60, progress)
    h = job_pod(inc, "imports", job, img, scheduled, node(inc, 3), L.lines(lines))
    msg = "Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. "
    inc.cluster.patch("imports", h.name, terminated(137, "Error", scheduled + timedelta(seconds=4), killed))
    inc.cluster.patch("imports", h.name, lambda p: p["status"].update({"reason": "Evicted", "message": msg}))
    inc.cluster.patch("imports", h.name, lambda p: p["spec"]["containers"][0].update(container))
    pod_obj = inc.cluster.pod_object(h)
    inc.event(pod_obj, "Evicted", msg, killed, host=h.node)
    inc.event(pod_obj, "Killing", "Stopping container nightly-import", killed, warning=False, host=h.node)
    herring(inc, "imports", "partner-api", f"{REGISTRY}/imports/partner-api", "2.6.1", AT10 - timedelta(hours=2))
    plant(inc, "imports", "partner-drop-reader", "aws-secret", "partner-drop", "secret-access-key")
    inc.series("kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed and the reason "
               "for failure.", {"namespace": "imports", "job_name": job, "reason": "BackoffLimitExceeded",
                                "job": "kube-state-metrics"},
               lambda t: None if t < killed else 1.0, step_s=60)  # type: ignore[arg-type,return-value]
    inc.alertmanager("KubeJobFailed", {"namespace": "imports", "job_name": job, "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     f"Job imports/{job} failed to complete. Removing failed job after investigation should clear "
                     "this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')
    inc.answer_key(
        culprit=("CronJob", "imports", "nightly-import"),
        keywords=["ephemeral-storage", "limit", "Evicted", "emptyDir"],
        root_cause="CronJob imports/nightly-import was given an ephemeral-storage limit of 2Gi the day before; "
                   "tonight's run stages the 6 GB partner dump in an emptyDir, exceeds the limit and is Evicted by "
                   "the kubelet (ephemeral local storage usage exceeds the total limit of containers), so the Job "
                   "fails at its backoff limit.",
        category="job-ephemeral-storage-limit-below-scratch-download",
        red_herrings=[("Deployment", "imports", "partner-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 2, 45, tzinfo=UTC)


def orders_backup_failed() -> Incident:
    """volumesnapshotclass-driver-name-typo-snapshots-never-ready: a snapshot class names a driver nobody runs.

    after: the CSI snapshot setups where the VolumeSnapshotClass's `driver` does not match the installed
    CSI driver (a typo, a copy from another cloud, a renamed add-on): the common snapshot-controller
    happily creates a VolumeSnapshotContent, but no csi-snapshotter sidecar claims that driver, so the
    snapshot waits "to be created by the CSI driver" forever and backups that wait for readyToUse time out.

    The change: VolumeSnapshotClass ebs-snapclass (cluster-scoped) is re-created at 16:30 the day before
    during an EBS CSI add-on migration with driver `ebs.csi.amazonaws.com` (the driver is
    ebs.csi.aws.com). The 02:00 CronJob orders/orders-db-backup creates a VolumeSnapshot that never becomes
    ready, waits 30 minutes and fails. Page: KubeJobFailed. Red herring: a rollout of orders/orders-api.
    """
    inc = Incident("orders-backup-failed", title="orders database backup job failed",
                   story=orders_backup_failed.__doc__ or "", at=AT11, seed=2611, namespaces=("orders",))
    change = AT11 - timedelta(hours=10, minutes=15)
    scheduled = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    failed = scheduled + timedelta(minutes=30, seconds=8)
    crd(inc, "VolumeSnapshotClass", "snapshot.storage.k8s.io", "volumesnapshotclasses", scope="Cluster")
    crd(inc, "VolumeSnapshot", "snapshot.storage.k8s.io", "volumesnapshots")
    crd(inc, "VolumeSnapshotContent", "snapshot.storage.k8s.io", "volumesnapshotcontents", scope="Cluster")
    vsc = inc.add({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
                   "metadata": {"name": "ebs-snapclass", "creationTimestamp": ts(change),
                                "annotations": {"snapshot.storage.kubernetes.io/is-default-class": "true"}},
                   "driver": "ebs.csi.amazonaws.com", "deletionPolicy": "Retain",
                   "parameters": {"tagSpecification_1": "team=orders"}})
    changed(vsc, ("kubectl-client-side-apply", "Update", change,
                  {"f:driver": {}, "f:deletionPolicy": {}, "f:parameters": {}}))
    for day, ok in ((3, True), (4, True), (5, False)):
        name = f"orders-db-2026120{day}-0200"
        made = datetime(2026, 12, day, 2, 0, 12, tzinfo=UTC)
        content = f"snapcontent-{o.uid('snap', name)}"
        status: dict[str, Any] = ({"readyToUse": True, "restoreSize": "100Gi", "creationTime": ts(made),
                                   "boundVolumeSnapshotContentName": content} if ok
                                  else {"readyToUse": False, "boundVolumeSnapshotContentName": content})
        snap = inc.add({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                        "metadata": {"name": name, "namespace": "orders", "creationTimestamp": ts(made),
                                     "finalizers": ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-"
                                                    "protection",
                                                    "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"]},
                        "spec": {"volumeSnapshotClassName": "ebs-snapclass",
                                 "source": {"persistentVolumeClaimName": "data-orders-db-0"}},
                        "status": status})
        inc.add({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
                 "metadata": {"name": content, "creationTimestamp": ts(made)},
                 "spec": {"deletionPolicy": "Retain", "driver": "ebs.csi.aws.com" if ok else "ebs.csi.amazonaws.com",
                          "source": {"volumeHandle": "vol-0c4f8a2b9d1e37a65"},
                          "volumeSnapshotClassName": "ebs-snapclass",
                          "volumeSnapshotRef": {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                                                "name": name, "namespace": "orders"}},
                 "status": {"readyToUse": True, "restoreSize": 107374182400,
                            "snapshotHandle": f"snap-0{day}a9f3c1e7b2d4{day}8"} if ok else {}})
        if not ok:
            inc.event(snap, "CreatingSnapshot", f"Waiting for a snapshot orders/{name} to be created by the CSI "
                      "driver.", made, warning=False, component="snapshot-controller")
    inc.statefulset("orders", "orders-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                              memory_limit="4Gi", readiness_path=None, liveness_path=None)],
                    [P()], at=inc.born + timedelta(days=4), claims=[("data", "100Gi", "gp3")], service=5432)
    img = "registry.k8s.io/kubectl:v1.30.4"
    cj = cronjob(inc, "orders", "orders-db-backup", "0 2 * * *", f"{REGISTRY}/platform/snapshot-backup:0.9.1",
                 scheduled, {"args": ["--pvc", "data-orders-db-0", "--timeout", "30m"]})
    changed(cj, ("helm", "Update", inc.born + timedelta(days=9), {"f:spec": {"f:schedule": {}}}))
    _ = img
    job = job_name("orders-db-backup", scheduled)
    job_object(inc, "orders", "orders-db-backup", job, scheduled, failed, "Job has reached the specified backoff "
               "limit")
    name = "orders-db-20261205-0200"
    lines: Lines = [(scheduled + timedelta(seconds=11), L.go_std(scheduled + timedelta(seconds=11),
                                                                 f"creating VolumeSnapshot orders/{name} of PVC "
                                                                 "data-orders-db-0 (class ebs-snapclass)"))]
    lines += L.ticker(scheduled + timedelta(seconds=70), failed - timedelta(seconds=5), 60, lambda i, t: L.go_std(
        t, f"waiting for VolumeSnapshot orders/{name}: readyToUse=false, no error reported ({i + 1}m elapsed)"))
    lines.append((failed - timedelta(seconds=2), L.go_std(failed - timedelta(seconds=2),
                                                          f"FATAL: timed out after 30m0s waiting for VolumeSnapshot "
                                                          f"orders/{name} to become ready")))
    h = job_pod(inc, "orders", job, f"{REGISTRY}/platform/snapshot-backup:0.9.1", scheduled, node(inc, 0),
                L.lines(lines))
    inc.cluster.patch("orders", h.name, terminated(1, "Error", scheduled + timedelta(seconds=4), failed))
    herring(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api", "7.4.0", AT11 - timedelta(hours=1))
    plant(inc, "orders", "orders-db-app", "password", "orders-app", "password")
    inc.alertmanager("KubeJobFailed", {"namespace": "orders", "job_name": job, "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     f"Job orders/{job} failed to complete. Removing failed job after investigation should clear "
                     "this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')
    inc.answer_key(
        culprit=("VolumeSnapshotClass", "", "ebs-snapclass"),
        keywords=["VolumeSnapshotClass", "driver", "ebs.csi.amazonaws.com", "readyToUse"],
        root_cause="VolumeSnapshotClass ebs-snapclass was re-created the day before with driver "
                   "ebs.csi.amazonaws.com instead of the installed EBS CSI driver ebs.csi.aws.com; no csi-snapshotter "
                   "handles that driver, so tonight's VolumeSnapshot of data-orders-db-0 never becomes readyToUse and "
                   "the orders-db-backup job times out and fails.",
        category="volumesnapshotclass-driver-name-typo-snapshots-never-ready",
        red_herrings=[("Deployment", "orders", "orders-api")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 10, 5, tzinfo=UTC)


def ledger_exporter_crashloop() -> Incident:
    """irsa-token-audience-changed-sts-rejects: a ServiceAccount's IRSA audience annotation set to a custom value.

    after: the IRSA misconfigurations in the EKS pod identity webhook's issue tracker: the
    `eks.amazonaws.com/audience` annotation on a ServiceAccount changed from the default sts.amazonaws.com,
    so the projected token the webhook mounts carries an audience the IAM OIDC provider does not list and
    STS AssumeRoleWithWebIdentity answers "InvalidIdentityToken: Incorrect token audience" (simple: the
    reason is in the pod's own log and its ServiceAccount).

    The change: a Helm upgrade at 09:38 adds `eks.amazonaws.com/audience: ledger.acme.internal` to
    ServiceAccount finance/ledger-exporter (a values copy from another team) and rolls the Deployment (a patch
    image bump). The new pods fail to get credentials at start-up and exit: CrashLoopBackOff. Page:
    KubePodCrashLooping. Red herring: a rollout of finance/ledger-ui.
    """
    inc = Incident("ledger-exporter-crashloop", title="ledger-exporter crash looping",
                   story=ledger_exporter_crashloop.__doc__ or "", at=AT12, seed=2612, namespaces=("finance",))
    change = AT12 - timedelta(minutes=27)
    sa = inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "ledger-exporter", "namespace": "finance",
                               "creationTimestamp": ts(inc.born + timedelta(days=3)),
                               "labels": {"app.kubernetes.io/managed-by": "Helm"},
                               "annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/"
                                                                             "ledger-exporter",
                                               "eks.amazonaws.com/audience": "ledger.acme.internal",
                                               "meta.helm.sh/release-name": "ledger-exporter"}}})
    changed(sa, ("helm", "Update", change, {"f:metadata": {"f:annotations": {
        "f:eks.amazonaws.com/audience": {}, "f:eks.amazonaws.com/role-arn": {}}}}))

    def pino(t: datetime, level: int, msg: str, **kw: Any) -> str:
        return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": "ledger-exporter",
                           "msg": msg, **kw}, separators=(",", ":"))

    def exporter(pod: str, s: datetime, e: datetime) -> Lines:
        stack = ("InvalidIdentityToken: Incorrect token audience\n    at de_InvalidIdentityTokenExceptionRes "
                 "(/app/node_modules/@aws-sdk/client-sts/dist-cjs/index.js:1434:21)\n    at de_CommandError "
                 "(/app/node_modules/@aws-sdk/client-sts/dist-cjs/index.js:1268:19)\n    at async "
                 "fromWebToken (/app/node_modules/@aws-sdk/credential-provider-web-identity/dist-cjs/fromWebToken.js"
                 ":25:12)\n    at async main (/app/dist/main.js:41:17)")
        return [(s, pino(s, 30, "ledger-exporter starting", version="2.4.2", bucket="acme-ledger-exports")),
                (s + timedelta(milliseconds=400), pino(s + timedelta(milliseconds=400), 30,
                                                       "assuming role via web identity",
                                                       roleArn=f"arn:aws:iam::{ACCOUNT}:role/ledger-exporter",
                                                       tokenFile="/var/run/secrets/eks.amazonaws.com/serviceaccount/"
                                                                 "token")),
                (s + timedelta(seconds=1), pino(s + timedelta(seconds=1), 60, "cannot obtain AWS credentials, exiting",
                                                err={"type": "InvalidIdentityToken",
                                                     "message": "Incorrect token audience",
                                                     "$metadata": {"httpStatusCode": 400,
                                                                   "requestId": L.uuidish(pod, 1)},
                                                     "stack": stack}))]

    img = f"{REGISTRY}/finance/ledger-exporter"
    spec = {"serviceAccountName": "ledger-exporter"}
    revs = [Rev(11, inc.born + timedelta(days=19), "helm upgrade", [c("ledger-exporter", f"{img}:2.4.1")],
                pod_spec=spec),
            Rev(12, change, "helm upgrade", [c("ledger-exporter", f"{img}:2.4.2")], pod_spec=spec)]
    wl = inc.deployment("finance", "ledger-exporter", revs,
                        {11: [P()], 12: [P(state="crashloop", log=within(exporter), exit_code=1,
                                           run_s=lambda n: 2.0)]}, progress="progressing", replicas=2)
    for h in wl.pods:
        mine = h
        inc.cluster.patch("finance", mine.name, lambda p: p["spec"]["containers"][0].setdefault("env", []).extend([
            {"name": "AWS_ROLE_ARN", "value": f"arn:aws:iam::{ACCOUNT}:role/ledger-exporter"},
            {"name": "AWS_WEB_IDENTITY_TOKEN_FILE",
             "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]))
    crash = wl.pods[-1]
    inc.cluster.patch("finance", crash.name, lambda p: p["spec"].setdefault("volumes", []).append(
        {"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
            "audience": "ledger.acme.internal", "expirationSeconds": 86400, "path": "token"}}]}}))
    inc.pod_series(wl.pods)
    herring(inc, "finance", "ledger-ui", f"{REGISTRY}/finance/ledger-ui", "5.0.3", AT12 - timedelta(minutes=50))
    plant(inc, "finance", "ledger-gpg", "token", "ledger-gpg-passphrase", "passphrase")
    inc.alertmanager("KubePodCrashLooping",
                     {"namespace": "finance", "pod": crash.name, "container": "ledger-exporter",
                      "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod finance/{crash.name} (ledger-exporter) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("ServiceAccount", "finance", "ledger-exporter"),
        keywords=["audience", "InvalidIdentityToken", "eks.amazonaws.com/audience"],
        root_cause="The Helm upgrade at 09:38 set the eks.amazonaws.com/audience annotation of ServiceAccount "
                   "finance/ledger-exporter to ledger.acme.internal; the IRSA webhook now projects a token with that "
                   "audience, STS rejects AssumeRoleWithWebIdentity with InvalidIdentityToken (Incorrect token "
                   "audience) and the new ledger-exporter pods exit at start-up.",
        category="irsa-token-audience-changed-sts-rejects",
        red_herrings=[("Deployment", "finance", "ledger-ui")])
    return inc


ALL = [node_evictions_question, docs_site_probe_page, document_downloads_burn, media_uploader_question,
       orders_db_volume_page, storefront_replicas_grouped, statement_exports_page, postgres_operator_crashloop,
       reporting_db_replicas_mismatch, nightly_import_failed, orders_backup_failed, ledger_exporter_crashloop]
