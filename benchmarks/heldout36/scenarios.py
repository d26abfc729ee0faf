"""Round 36 of the held-out incident set: nodes, runtimes and accelerators.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit below the application: GPU operator and device-plugin settings (MIG strategy),
GPU driver versus CUDA runtime, a GPU that fell off the bus, scheduling priority on a shared GPU pool,
model servers (vLLM, KServe, Ray Serve), kubelet limits set through node user data, pod sysctls and
kernel settings, Windows container builds against the host build, node-local storage binding and
hostPath sockets. Most pages are on the applications they hurt; about a third are simple (the cause
sits in the failing object's own spec, events or logs). Log lines follow the real software's formats
(vLLM, PyTorch warnings, uvicorn, klog from the NVIDIA device plugin, Knative zap JSON, Spring/Reactor,
Ray Serve, pino, Trino/airlift, Python trino client, Datadog agent, OpenSearch log4j, Go logfmt,
Redpanda seastar).
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import changed, counter, crd, send, start, step  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function keeping only lines inside the container run (its last three hours), sorted."""
    def log(pod: str, begin_: datetime, end: datetime) -> str:
        begin = max(begin_, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, begin, end) if begin <= x[0] <= end))
    return log


def general(inc: Incident, i: int) -> str:
    """One of the background's four general-purpose nodes."""
    return inc.node_names()[i % 4]


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(node=general(inc, 1)), P(node=general(inc, 2))]})


def herring_configmap(inc: Incident, ns: str, name: str, data: dict[str, str], at: datetime,
                      manager: str = "kubectl-edit") -> None:
    """The red herring: an unrelated ConfigMap edited shortly before the page."""
    cm = inc.configmap(ns, name, data)
    cm["apiVersion"] = cm.get("apiVersion", "v1")
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            (manager, "Update", at, {"f:data": {f"f:{k}": {} for k in data}}))


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", runbook: str | None = None) -> dict[str, Any]:
    """One Prometheus alert as Alertmanager forwards it (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": runbook or f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7) -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago and last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec,
                   "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def extra_node(inc: Incident, n: int, instance: str, created: datetime, labels: dict[str, str],
               resources: dict[str, str], cpu: int = 48, memory_gi: int = 192,
               taints: list[dict[str, str]] | None = None, zone: str = "eu-west-1b") -> dict[str, Any]:
    """A node of a special pool (GPU, storage, Windows) joined to the background's four."""
    name = f"ip-10-0-{20 + n}-{30 + n}.eu-west-1.compute.internal"
    obj = o.node(name, 20 + n, created, zone, cpu=cpu, memory_gi=memory_gi, now=inc.captured)
    obj["kind"], obj["apiVersion"] = "Node", "v1"
    obj["metadata"]["labels"].update({"node.kubernetes.io/instance-type": instance,
                                      "topology.kubernetes.io/zone": zone, **labels})
    for part in ("capacity", "allocatable"):
        obj["status"][part].update(resources)
    if taints:
        obj["spec"]["taints"] = taints
    inc.cluster.nodes.append(obj)
    if obj["metadata"]["labels"]["kubernetes.io/os"] == "linux":
        join_daemonsets(inc, name, created)
    return obj


def join_daemonsets(inc: Incident, node_name: str, created: datetime) -> None:
    """The background's node agents (they tolerate every taint) get a pod on a node that joins the cluster."""
    for ds in [x for x in inc.cluster.objects if x["kind"] == "DaemonSet"]:
        ns, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
        model = next((h for h in inc.cluster.pods if h.namespace == ns and h.workload == name), None)
        if model is None:
            continue
        inc.cluster.add_pod(PodHistory(
            name=f"{name}-{o.suffix(f'{ns}/{name}/{node_name}', 5)}", namespace=ns, workload=name,
            containers=model.containers, node=node_name, created=created + timedelta(seconds=20),
            states=[o.ContainerState(started_at=created + timedelta(seconds=31))], memory=model.memory,
            labels=dict(model.labels), owner=model.owner, logs=dict(model.logs)))
        status = ds["status"]
        for key in ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady",
                    "updatedNumberScheduled"):
            if key in status:
                status[key] += 1


GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
GPU_TOLERATION = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def pod(inc: Incident, ns: str, name: str, workload: str, container: o.Container, node: str, created: datetime,
        owner: dict[str, Any], labels: dict[str, str], log: str = "", ready: bool = True,
        waiting: str | None = None) -> PodHistory:
    """A pod the kit's Deployment builder does not make (DaemonSet, Job, operator-managed pods)."""
    state = o.ContainerState(started_at=None if waiting else created + timedelta(seconds=6), ready=ready,
                             waiting_reason=waiting)
    h = PodHistory(name=name, namespace=ns, workload=workload, containers=[container], node=node, created=created,
                   states=[state], labels=labels, owner=owner, logs={container.name: log} if log else {},
                   memory=(lambda t: 180.0) if not waiting else None)
    if not ready:
        h.ready = lambda t: False
    return inc.cluster.add_pod(h)


def controller_revision(inc: Incident, ns: str, owner_kind: str, owner: str, number: int, at: datetime,
                        template: dict[str, Any]) -> str:
    """A ControllerRevision as the DaemonSet/StatefulSet controller keeps one per template."""
    name = f"{owner}-{o.suffix(f'{ns}/{owner}/{number}', 10)}"
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                          "labels": {"app": owner, "controller-revision-hash": name.rsplit("-", 1)[1]},
                          "ownerReferences": [{**o.owner_ref(owner_kind, owner, ns), "controller": True,
                                               "blockOwnerDeletion": True}]},
             "revision": number, "data": {"spec": {"template": template}}})
    return name


def gone_pod(ns: str, name: str) -> dict[str, Any]:
    """The involved object of an event about a pod that no longer exists."""
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": o.uid("pod", ns, name), "resourceVersion": "1"}}


def uvicorn(t: datetime, client: str, request: str, status: int) -> str:
    """uvicorn's access log line."""
    phrase = {200: "OK", 500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}[status]
    return f'INFO:     {client} - "{request} HTTP/1.1" {status} {phrase}'


def pino(t: datetime, level: int, pod_name: str, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric level, epoch milliseconds)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod_name,
                       **fields, "msg": msg}, separators=(",", ":"))


def vllm(t: datetime, level: str, source: str, msg: str) -> str:
    """vLLM's logger format: `LEVEL MM-DD HH:MM:SS file.py:line] message`."""
    return f"{level} {t.strftime('%m-%d %H:%M:%S')} {source}] {msg}"


# ---- 1: victim, cluster-scoped custom resource -------------------------------------------------------
AT1 = datetime(2026, 12, 2, 14, 18, tzinfo=UTC)


def transcribe_api_queueing_page() -> Incident:
    """GPU operator ClusterPolicy switched mig.strategy single -> mixed: A100 MIG slices are advertised as
    nvidia.com/mig-3g.20gb, nodes offer no nvidia.com/gpu, new transcribe-api replicas stay Pending.

    after: GPU operator and device-plugin notes and issues where changing the MIG strategy renames the
    extended resource: pods that request nvidia.com/gpu no longer fit MIG-partitioned nodes while the pods
    already bound keep running, so the damage appears only at the next scale-up.

    The cluster-scoped ClusterPolicy `cluster-policy` (nvidia.com, Cluster CRD in extra/) was edited with
    kubectl 46 minutes before the page: spec.mig.strategy single -> mixed. The operator restarted the device
    plugin; its klog shows the mixed strategy and registration of nvidia.com/mig-3g.20gb. Both p4d nodes now
    show nvidia.com/gpu 0 and nvidia.com/mig-3g.20gb 16 (allocatable metrics step at the change). The HPA
    scaled transcribe-api from 4 to 6 at the afternoon peak; the two new pods are Pending with Insufficient
    nvidia.com/gpu, the four old pods keep their slices and queue work (uvicorn logs, queue-wait gauge).
    Red herring: the transcribe-api-config ConfigMap (beam size) edited 25 minutes before.
    """
    inc = start(transcribe_api_queueing_page, "transcribe-api: requests queueing, p95 wait above 30s", AT1, 3601,
                namespaces=("speech", "gpu-operator"))
    chg = AT1 - timedelta(minutes=46)
    gpus = [extra_node(inc, i, "p4d.24xlarge", inc.born + timedelta(days=20 + i), {
        "workload-class": "gpu-a100", "nvidia.com/gpu.present": "true", "nvidia.com/mig.config": "all-3g.20gb",
        "nvidia.com/mig.config.state": "success", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
        "nvidia.com/mig.strategy": "mixed", "nvidia.com/mig-3g.20gb.count": "16"},
        {"nvidia.com/gpu": "0", "nvidia.com/mig-3g.20gb": "16"}, cpu=96, memory_gi=1152, taints=GPU_TAINT)
        ["metadata"]["name"] for i in range(2)]
    custom(inc, "ClusterPolicy", "nvidia.com", "v1", "clusterpolicies", "", "cluster-policy",
           {"operator": {"defaultRuntime": "containerd", "runtimeClass": "nvidia"},
            "driver": {"enabled": True, "version": "550.127.05", "repository": "nvcr.io/nvidia"},
            "toolkit": {"enabled": True, "version": "v1.16.2-ubuntu20.04"},
            "devicePlugin": {"enabled": True, "version": "v0.16.2"},
            "gfd": {"enabled": True}, "dcgmExporter": {"enabled": True, "version": "3.3.8-3.6.0-ubuntu22.04"},
            "mig": {"strategy": "mixed"},
            "migManager": {"enabled": True, "config": {"name": "default-mig-parted-config",
                                                       "default": "all-disabled"}}},
           {"state": "ready", "namespace": "gpu-operator",
            "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled",
                            "lastTransitionTime": ts(chg + timedelta(minutes=2))}]},
           "kubectl-edit", chg, {"f:spec": {"f:mig": {"f:strategy": {}}}}, scope="Cluster", generation=12)

    dp = c("nvidia-device-plugin", "nvcr.io/nvidia/k8s-device-plugin:v0.16.2-ubi9", port=None)
    inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": "nvidia-device-plugin-daemonset", "namespace": "gpu-operator", "generation": 9,
                          "labels": {"app": "nvidia-device-plugin-daemonset"},
                          "ownerReferences": [{"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy",
                                               "name": "cluster-policy", "uid": o.uid("clusterpolicy", "",
                                                                                      "cluster-policy"),
                                               "controller": True}]},
             "spec": {"selector": {"matchLabels": {"app": "nvidia-device-plugin-daemonset"}},
                      "template": {"spec": {"nodeSelector": {"nvidia.com/gpu.deploy.device-plugin": "true"},
                                            "containers": [{**dp.spec(), "env": [
                                                {"name": "MIG_STRATEGY", "value": "mixed"},
                                                {"name": "FAIL_ON_INIT_ERROR", "value": "true"}]}]}}},
             "status": {"desiredNumberScheduled": 2, "numberReady": 2, "updatedNumberScheduled": 2,
                        "numberAvailable": 2, "currentNumberScheduled": 2, "observedGeneration": 9}})
    for i, n in enumerate(gpus):
        t0 = chg + timedelta(seconds=40 + 9 * i)
        klog = [(t0, L.klog(t0, "I", "main.go:199", "Starting FS watcher.")),
                (t0, L.klog(t0, "I", "main.go:206", "Starting OS watcher.")),
                (t0 + timedelta(milliseconds=210), L.klog(t0, "I", "main.go:221", "Starting Plugins.")),
                (t0 + timedelta(milliseconds=220), L.klog(t0, "I", "main.go:278", "Loading configuration.")),
                (t0 + timedelta(milliseconds=400), L.klog(t0, "I", "main.go:303",
                 'Updating config with default resource matching patterns.')),
                (t0 + timedelta(milliseconds=410), L.klog(t0, "I", "main.go:314", 'Running with config:\n{\n'
                 '  "version": "v1",\n  "flags": {\n    "migStrategy": "mixed",\n    "failOnInitError": true,\n'
                 '    "mpsRoot": "/run/nvidia/mps",\n    "nvidiaDriverRoot": "/run/nvidia/driver",\n'
                 '    "plugin": {\n      "passDeviceSpecs": true,\n      "deviceListStrategy": ["envvar"],\n'
                 '      "deviceIDStrategy": "uuid"\n    }\n  },\n  "resources": {\n    "gpus": [{"pattern": "*",'
                 ' "name": "nvidia.com/gpu"}],\n    "mig": [{"pattern": "3g.20gb", "name": '
                 '"nvidia.com/mig-3g.20gb"}, {"pattern": "1g.5gb", "name": "nvidia.com/mig-1g.5gb"}]\n  }\n}')),
                (t0 + timedelta(milliseconds=600), L.klog(t0, "I", "main.go:317", "Retrieving plugins.")),
                (t0 + timedelta(seconds=2), L.klog(t0, "I", "server.go:176",
                 "Starting GRPC server for 'nvidia.com/mig-3g.20gb'")),
                (t0 + timedelta(seconds=2), L.klog(t0, "I", "server.go:117",
                 "Starting to serve 'nvidia.com/mig-3g.20gb' on "
                 "/var/lib/kubelet/device-plugins/nvidia-mig-3g.20gb.sock")),
                (t0 + timedelta(seconds=2), L.klog(t0, "I", "server.go:125",
                 "Registered device plugin for 'nvidia.com/mig-3g.20gb' with Kubelet"))]
        pod(inc, "gpu-operator", f"nvidia-device-plugin-daemonset-{o.suffix(n, 5)}", "nvidia-device-plugin-daemonset",
            dp, n, chg + timedelta(seconds=31 + 9 * i),
            o.owner_ref("DaemonSet", "nvidia-device-plugin-daemonset", "gpu-operator"),
            {"app": "nvidia-device-plugin-daemonset"}, L.lines(klog))
        for resource, before, after in (("nvidia_com_gpu", 16.0, 0.0), ("nvidia_com_mig_3g_20gb", 0.0, 16.0)):
            inc.series("kube_node_status_allocatable", "gauge", "The allocatable for different resources of a node.",
                       {"node": n, "resource": resource, "unit": "integer", "job": "kube-state-metrics"},
                       step(before, after, chg + timedelta(minutes=1)))

    peak = AT1 - timedelta(minutes=6)

    def api_log(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s, e, 20)):
            wait = 2.0 if t < peak - timedelta(minutes=20) else 2.0 + (t - peak + timedelta(minutes=20)
                                                                      ).total_seconds() / 40
            out.append((t, L.pylog(t, "INFO", "transcribe.worker",
                                   f"job {L.uuidish(pod_name, i)[:8]} done audio=41.2s queue_wait={wait:.1f}s "
                                   f"rtf=0.08")))
            out.append((t + timedelta(milliseconds=40), uvicorn(t, f"10.244.2.{30 + i % 9}:5{i % 9}812",
                                                               "POST /v1/transcriptions", 200)))
        return out

    sel = {"nodeSelector": {"workload-class": "gpu-a100"}, "tolerations": GPU_TOLERATION}
    res = {"resources": {"requests": {"cpu": "4", "memory": "24Gi", "nvidia.com/gpu": "1"},
                         "limits": {"memory": "24Gi", "nvidia.com/gpu": "1"}}}
    rev = Rev(1, inc.born + timedelta(days=22), "helm upgrade",
              [c("transcribe-api", f"{REGISTRY}/speech/transcribe-api:3.4.1", memory_limit="24Gi",
                 memory_request="24Gi", cpu_request="4")], pod_spec=sel, container=res)
    pending = ("0/6 nodes are available: 2 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node "
               "affinity/selector. preemption: 0/6 nodes are available: 2 No preemption victims found for incoming "
               "pod, 4 Preemption is not helpful for scheduling.")
    wl = inc.deployment("speech", "transcribe-api", [rev], {1: [
        *(P(log=within(api_log), node=gpus[i % 2]) for i in range(4)),
        *(P(state="pending", message=pending, created=peak + timedelta(seconds=3 * i)) for i in range(2))]},
        replicas=6)
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[1]} to 6 from 4", peak, warning=False,
              component="deployment-controller")
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "transcribe-api", "namespace": "speech"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "transcribe-api"}, "minReplicas": 4, "maxReplicas": 8,
                            "metrics": [{"type": "Pods", "pods": {"metric": {"name": "transcribe_queue_depth"},
                                                                  "target": {"type": "AverageValue",
                                                                             "averageValue": "6"}}}]},
                   "status": {"currentReplicas": 6, "desiredReplicas": 6, "lastScaleTime": ts(peak)}})
    inc.event(hpa, "SuccessfulRescale", "New size: 6; reason: pods metric transcribe_queue_depth above target",
              peak, warning=False, component="horizontal-pod-autoscaler")
    inc.series("transcribe_queue_wait_seconds", "gauge", "p95 time a job waits for a GPU worker.",
               {"namespace": "speech", "service": "transcribe-api", "quantile": "0.95"},
               lambda t: 2.0 if t < peak - timedelta(minutes=20) else min(95.0, 2.0 + (
                   t - peak + timedelta(minutes=20)).total_seconds() / 40))
    herring_configmap(inc, "speech", "transcribe-api-config",
                      {"BEAM_SIZE": "4", "VAD_FILTER": "true", "LANGUAGES": "en,de,fr,es,it,nl"},
                      AT1 - timedelta(minutes=25))
    plant(inc, "speech", "transcribe-api-s3", "aws", "speech-audio", "AWS_ACCESS_KEY_ID")
    inc.pagerduty("transcribe-api: requests queueing, p95 wait above 30s", "Speech Platform")
    inc.answer_key(
        culprit=("ClusterPolicy", "", "cluster-policy"), keywords=["mig.strategy", "mixed"],
        root_cause="The GPU operator's cluster-scoped ClusterPolicy cluster-policy was edited to set mig.strategy "
                   "from single to mixed; the device plugin now advertises the A100 MIG slices as "
                   "nvidia.com/mig-3g.20gb and the nodes offer zero nvidia.com/gpu, so the transcribe-api replicas "
                   "added by the HPA stay Pending (Insufficient nvidia.com/gpu) and the running ones queue work.",
        category="gpu-operator-mig-strategy-renames-resource",
        red_herrings=[("ConfigMap", "speech", "transcribe-api-config")])
    return inc


# ---- 2: simple --------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 27, 10, 7, tzinfo=UTC)


def llm_chat_crashloop() -> Incident:
    """vLLM revision raises --max-model-len 8192 -> 32768 on a 24 GB L4: the KV cache cannot hold one
    sequence, the engine refuses to start.

    after: model-server rollouts that raise the context length past what the GPU's KV cache can hold; vLLM
    exits at start-up with its "max seq len is larger than the maximum number of tokens" error.

    Deployment genai/llm-chat revision 4 (Argo CD sync 30 minutes before the page) changes only the argument
    --max-model-len from 8192 to 32768. The new pod loads the 8B model, profiles memory (1021 GPU blocks of
    16 tokens) and raises ValueError; CrashLoopBackOff. The rollout holds the one old pod (maxSurge 0).
    Red herring: the llm-gateway rollout (routing) 40 minutes before.
    """
    inc = start(llm_chat_crashloop, "llm-chat pod crash looping", AT2, 3602, namespaces=("genai",))
    gpus = [extra_node(inc, i, "g6.2xlarge", inc.born + timedelta(days=11), {
        "workload-class": "gpu-l4", "nvidia.com/gpu.product": "NVIDIA-L4", "nvidia.com/gpu.memory": "23034",
        "nvidia.com/gpu.count": "1"}, {"nvidia.com/gpu": "1"}, cpu=8, memory_gi=32, taints=GPU_TAINT)
        ["metadata"]["name"] for i in range(2)]
    chg = AT2 - timedelta(minutes=30)
    image = "docker.io/vllm/vllm-openai:v0.6.3.post1"

    def args(max_len: int) -> dict[str, Any]:
        return {"args": ["--model", "/models/llama-3.1-8b-instruct", "--served-model-name", "chat-8b",
                         "--max-model-len", str(max_len), "--gpu-memory-utilization", "0.90",
                         "--enable-prefix-caching", "--port", "8000"],
                "resources": {"requests": {"cpu": "6", "memory": "26Gi", "nvidia.com/gpu": "1"},
                              "limits": {"memory": "26Gi", "nvidia.com/gpu": "1"}}}

    spec = {"nodeSelector": {"workload-class": "gpu-l4"}, "tolerations": GPU_TOLERATION,
            "volumes": [{"name": "models", "persistentVolumeClaim": {"claimName": "llm-models"}}]}
    revs = [Rev(3, inc.born + timedelta(days=16), "argocd sync 4c1e07a", [c("vllm", image, port=8000)],
                pod_spec=spec, container=args(8192)),
            Rev(4, chg, "argocd sync 9b3d2f1", [c("vllm", image, port=8000)], pod_spec=spec,
                container=args(32768))]

    def engine(pod_name: str, s: datetime, e: datetime) -> Lines:
        t = s
        lines: Lines = [
            (t, vllm(t, "INFO", "api_server.py:528", "vLLM API server version 0.6.3.post1")),
            (t, vllm(t, "INFO", "api_server.py:529", "args: Namespace(host=None, port=8000, "
                     "model='/models/llama-3.1-8b-instruct', max_model_len=32768, gpu_memory_utilization=0.9, "
                     "enable_prefix_caching=True, served_model_name=['chat-8b'], tensor_parallel_size=1, "
                     "dtype='auto', kv_cache_dtype='auto')")),
            (t + timedelta(seconds=3), vllm(t, "INFO", "llm_engine.py:237",
                                            "Initializing an LLM engine (v0.6.3.post1) with config: "
                                            "model='/models/llama-3.1-8b-instruct', dtype=torch.bfloat16, "
                                            "max_seq_len=32768, download_dir=None, load_format=LoadFormat.AUTO, "
                                            "tensor_parallel_size=1, device_config=cuda, seed=0, "
                                            "served_model_name=chat-8b, enable_prefix_caching=True)")),
            (t + timedelta(seconds=5), vllm(t, "INFO", "model_runner.py:1056",
                                            "Starting to load model /models/llama-3.1-8b-instruct...")),
            (t + timedelta(seconds=61), vllm(t, "INFO", "model_runner.py:1067",
                                             "Loading model weights took 14.9888 GB")),
            (t + timedelta(seconds=66), vllm(t, "INFO", "gpu_executor.py:122",
                                             "# GPU blocks: 1021, # CPU blocks: 2048")),
            (t + timedelta(seconds=66), vllm(t, "INFO", "gpu_executor.py:126",
                                             "Maximum concurrency for 32768 tokens per request: 0.50x")),
        ]
        tb = ("Process SpawnProcess-1:\nTraceback (most recent call last):\n"
              '  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap\n'
              "    self.run()\n"
              '  File "/usr/local/lib/python3.12/dist-packages/vllm/engine/multiprocessing/engine.py", line 390, '
              "in run_mp_engine\n    engine = MQLLMEngine.from_engine_args(engine_args=engine_args,\n"
              '  File "/usr/local/lib/python3.12/dist-packages/vllm/engine/llm_engine.py", line 339, in '
              "__init__\n    self._initialize_kv_caches()\n"
              '  File "/usr/local/lib/python3.12/dist-packages/vllm/executor/gpu_executor.py", line 128, in '
              "initialize_cache\n    self.driver_worker.initialize_cache(num_gpu_blocks, num_cpu_blocks)\n"
              '  File "/usr/local/lib/python3.12/dist-packages/vllm/worker/worker.py", line 484, in '
              "raise_if_cache_size_invalid\n    raise ValueError(\n"
              "ValueError: The model's max seq len (32768) is larger than the maximum number of tokens that can "
              "be stored in KV cache (16336). Try increasing `gpu_memory_utilization` or decreasing "
              "`max_model_len` when initializing the engine.")
        lines.append((t + timedelta(seconds=67), tb))
        return lines

    def serving(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 10, lambda i, t: vllm(
            t, "INFO", "metrics.py:349", f"Avg prompt throughput: {310 + i % 40:.1f} tokens/s, Avg generation "
            f"throughput: {92 + i % 17:.1f} tokens/s, Running: {3 + i % 4} reqs, Swapped: 0 reqs, Pending: 0 reqs, "
            f"GPU KV cache usage: {31 + i % 20:.1f}%, CPU KV cache usage: 0.0%."))

    wl = inc.deployment("genai", "llm-chat", revs, {
        3: [P(log=within(serving), node=gpus[0])],
        4: [P(state="crashloop", log=within(engine), run_s=lambda n: 68.0, node=gpus[1])]},
        progress="progressing", replicas=2, max_surge="0", max_unavailable="1")
    crashing = wl.pods[-1]
    inc.pod_series(wl.pods)
    herring(inc, "genai", "llm-gateway", f"{REGISTRY}/genai/llm-gateway", "1.8.2", AT2 - timedelta(minutes=40))
    plant(inc, "genai", "hf-token", "token", "huggingface", "HF_TOKEN")
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "genai", "pod": crashing.name, "container": "vllm",
                                                  "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f'Pod genai/{crashing.name} (vllm) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "genai", "llm-chat"), keywords=["max-model-len", "KV cache"],
        root_cause="Revision 4 of Deployment llm-chat raised vLLM's --max-model-len from 8192 to 32768; on the "
                   "24 GB L4 the KV cache holds only 16336 tokens, so the engine raises ValueError at start-up "
                   "and the new pod crash-loops.",
        category="vllm-context-exceeds-kv-cache",
        red_herrings=[("Deployment", "genai", "llm-gateway")])
    return inc


# ---- 3: victim, a cluster-scoped built-in culprit ----------------------------------------------------
AT3 = datetime(2026, 11, 30, 23, 14, tzinfo=UTC)


def support_assistant_replicas_mismatch() -> Incident:
    """PriorityClass training-batch re-created with value 1000000, above inference-serving's 100000: the
    nightly fine-tuning Job preempts the assistant's GPU pods on the shared pool.

    after: shared-GPU-cluster postmortems where a batch tier's priority was raised (often while "fixing"
    queueing of training jobs) and the scheduler began preempting online inference; the victims are
    recreated and wait Pending because nothing below them is left to preempt.

    PriorityClass training-batch (cluster-scoped) was deleted and re-created by Terraform at 17:52 (value is
    immutable) with value 1000000 instead of 1000. At 23:06 the CronJob's Job llm-finetune-nightly started two
    4-GPU workers with that priority; worker-1 preempted four support-assistant pods on one g5.12xlarge
    (scheduler Preempted events name the worker). The replacements are Pending: no lower-priority pod is left
    to preempt. Red herring: the support-assistant-prompts ConfigMap edited at 22:31.
    """
    inc = start(support_assistant_replicas_mismatch, "support-assistant replicas unavailable", AT3, 3603,
                namespaces=("genai", "ml-training"))
    gpus = [extra_node(inc, i, "g5.12xlarge", inc.born + timedelta(days=14), {
        "workload-class": "gpu-a10g", "nvidia.com/gpu.product": "NVIDIA-A10G", "nvidia.com/gpu.count": "4"},
        {"nvidia.com/gpu": "4"}, taints=GPU_TAINT)["metadata"]["name"] for i in range(3)]
    chg = datetime(2026, 11, 30, 17, 52, tzinfo=UTC)
    for name, value, created, desc in (
            ("inference-serving", 100000, inc.born + timedelta(days=6), "Online model serving."),
            ("training-batch", 1000000, chg, "Batch training and fine-tuning jobs.")):
        pc = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                      "metadata": {"name": name, "creationTimestamp": ts(created),
                                   "labels": {"app.kubernetes.io/managed-by": "terraform"}},
                      "value": value, "globalDefault": False, "description": desc,
                      "preemptionPolicy": "PreemptLowerPriority"})
        changed(pc, ("terraform-provider-kubernetes", "Update", created,
                     {"f:description": {}, "f:metadata": {"f:labels": {}}, "f:preemptionPolicy": {}, "f:value": {}}))

    job_start = AT3 - timedelta(minutes=8)
    job = "llm-finetune-nightly-29934666"
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "llm-finetune-nightly", "namespace": "ml-training"},
             "spec": {"schedule": "6 23 * * *", "concurrencyPolicy": "Forbid",
                      "jobTemplate": {"spec": {"parallelism": 2, "completions": 2}}},
             "status": {"lastScheduleTime": ts(job_start), "active": [{"kind": "Job", "name": job,
                                                                        "namespace": "ml-training"}]}})
    jobj = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": job, "namespace": "ml-training", "creationTimestamp": ts(job_start),
                                 "ownerReferences": [o.owner_ref("CronJob", "llm-finetune-nightly", "ml-training",
                                                                 "batch/v1")]},
                    "spec": {"parallelism": 2, "completions": 2, "backoffLimit": 2,
                             "template": {"spec": {"priorityClassName": "training-batch"}}},
                    "status": {"active": 2, "startTime": ts(job_start), "ready": 2}})
    trainer = c("trainer", f"{REGISTRY}/ml/llm-finetune:0.14.0", memory_limit="160Gi", memory_request="160Gi",
                cpu_request="40", port=None)
    preemptor = ""
    for w in range(2):
        name = f"{job}-{w}-{o.suffix(job + str(w), 5)}"
        created = job_start + timedelta(seconds=2)
        logs = L.lines([(created + timedelta(seconds=40), f"[rank{w}]: loading base model /models/mistral-7b"),
                        *((created + timedelta(seconds=120 + 30 * k),
                           f"[rank{w}]: {{'loss': {1.91 - 0.01 * k:.4f}, 'grad_norm': 0.83, 'learning_rate': 2e-05, "
                           f"'epoch': 0.0{k + 1}}}") for k in range(8))])
        h = pod(inc, "ml-training", name, job, trainer, gpus[2 - w], created,
                o.owner_ref("Job", job, "ml-training", "batch/v1"), {"job-name": job}, logs)

        def prio(p: dict[str, Any]) -> None:
            p["spec"].update({"priorityClassName": "training-batch", "priority": 1000000,
                              "preemptionPolicy": "PreemptLowerPriority", "restartPolicy": "Never",
                              "tolerations": GPU_TOLERATION})
            p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = "4"
        inc.cluster.patch("ml-training", h.name, prio)
        inc.event(jobj, "SuccessfulCreate", f"Created pod: {name}", created, warning=False,
                  component="job-controller")
        if w == 1:
            preemptor = name

    def assistant(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 15, lambda i, t: pino(
            t, 30, pod_name, "request completed", req={"method": "POST", "url": "/v1/answer"},
            res={"statusCode": 200 if t < job_start or i % 3 else 503}, responseTime=410 + i % 90))

    spec = {"nodeSelector": {"workload-class": "gpu-a10g"}, "tolerations": GPU_TOLERATION,
            "priorityClassName": "inference-serving", "priority": 100000}
    res = {"resources": {"requests": {"cpu": "2", "memory": "12Gi", "nvidia.com/gpu": "1"},
                         "limits": {"memory": "12Gi", "nvidia.com/gpu": "1"}}}
    pending = ("0/7 nodes are available: 3 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node "
               "affinity/selector. preemption: 0/7 nodes are available: 3 No preemption victims found for incoming "
               "pod, 4 Preemption is not helpful for scheduling.")
    rev = Rev(1, inc.born + timedelta(days=25), "helm upgrade",
              [c("assistant", f"{REGISTRY}/genai/support-assistant:2.11.0", memory_limit="12Gi",
                 memory_request="12Gi", cpu_request="2")], pod_spec=spec, container=res)
    wl = inc.deployment("genai", "support-assistant", [rev], {1: [
        *(P(log=within(assistant), node=gpus[0]) for _ in range(4)),
        *(P(state="pending", message=pending, created=job_start + timedelta(seconds=3)) for _ in range(4))]},
        replicas=8)
    for i in range(4):  # the preempted pods are gone; the scheduler's and kubelet's events about them remain
        gone = gone_pod("genai", f"{wl.rs[1]}-{o.suffix(f'preempted-{i}', 5)}")
        inc.event(gone, "Preempted", f"Preempted by ml-training/{preemptor} on node {gpus[1]}",
                  job_start + timedelta(seconds=3), component="default-scheduler")
        inc.event(gone, "Killing", "Stopping container assistant", job_start + timedelta(seconds=3), warning=False,
                  host=gpus[1])
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
               "deployment.", {"namespace": "genai", "deployment": "support-assistant", "job": "kube-state-metrics"},
               step(8, 4, job_start + timedelta(seconds=30)))
    herring_configmap(inc, "genai", "support-assistant-prompts",
                      {"system.txt": "You are the Acme support assistant. Answer only from the cited articles."},
                      AT3 - timedelta(minutes=43))
    plant(inc, "genai", "support-assistant-zendesk", "token", "zendesk", "ZENDESK_API_TOKEN")
    send(inc, [alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": "genai", "deployment": "support-assistant",
                                                             "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment genai/support-assistant has not matched the expected number of replicas for "
                     "longer than 5 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("PriorityClass", "", "training-batch"), keywords=["PriorityClass", "preempt"],
        root_cause="PriorityClass training-batch was re-created by Terraform with value 1000000, above the "
                   "inference-serving class (100000); the nightly fine-tuning Job's workers now preempt "
                   "support-assistant's GPU pods, whose replacements stay Pending with no GPU free.",
        category="batch-priority-preempts-gpu-serving",
        red_herrings=[("ConfigMap", "genai", "support-assistant-prompts")])
    return inc


# ---- 4: simple --------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 8, 51, tzinfo=UTC)


def text_embedder_latency_high() -> Incident:
    """text-embedder image rebuilt on PyTorch cu121 while the g4dn pool runs driver 470 (CUDA 11.4): torch
    finds no usable GPU and silently serves on CPU.

    after: ML-serving incidents where a framework bump needed a newer NVIDIA driver than the node image
    ships; PyTorch warns "The NVIDIA driver on your system is too old", falls back to CPU and latency
    climbs tenfold instead of failing.

    Deployment ml/text-embedder revision 12 (image 3.0.0-cu121, was 2.9.4-cu113) rolled 38 minutes before
    the page. Its pods log torch's UserWarning (found version 11040) and sentence-transformers' "Use pytorch
    device_name: cpu"; the nodes' feature-discovery labels say driver 470 / CUDA 11.4; DCGM GPU utilisation
    fell to 0 while CPU use and the p95 latency rose. Red herring: the reranker rollout 50 minutes before.
    """
    inc = start(text_embedder_latency_high, "text-embedder latency high", AT4, 3604, namespaces=("ml",))
    gpus = [extra_node(inc, i, "g4dn.2xlarge", inc.born + timedelta(days=3), {
        "workload-class": "gpu-t4", "nvidia.com/gpu.product": "Tesla-T4", "nvidia.com/cuda.driver.major": "470",
        "nvidia.com/cuda.driver.minor": "256", "nvidia.com/cuda.driver.rev": "02",
        "nvidia.com/cuda.runtime.major": "11", "nvidia.com/cuda.runtime.minor": "4"},
        {"nvidia.com/gpu": "1"}, cpu=8, memory_gi=32, taints=GPU_TAINT)["metadata"]["name"] for i in range(3)]
    for n in gpus:
        node_obj = next(x for x in inc.cluster.nodes if x["metadata"]["name"] == n)
        node_obj["status"]["nodeInfo"].update({"kernelVersion": "5.10.227-219.884.amzn2.x86_64",
                                               "osImage": "Amazon Linux 2"})
    chg = AT4 - timedelta(minutes=38)
    spec = {"nodeSelector": {"workload-class": "gpu-t4"}, "tolerations": GPU_TOLERATION}
    res = {"resources": {"requests": {"cpu": "2", "memory": "6Gi", "nvidia.com/gpu": "1"},
                         "limits": {"memory": "6Gi", "nvidia.com/gpu": "1"}}}
    revs = [Rev(11, inc.born + timedelta(days=18), "ci: release 2.9.4",
                [c("embedder", f"{REGISTRY}/ml/text-embedder:2.9.4-cu113", memory_limit="6Gi")],
                pod_spec=spec, container=res),
            Rev(12, chg, "ci: release 3.0.0", [c("embedder", f"{REGISTRY}/ml/text-embedder:3.0.0-cu121",
                                                 memory_limit="6Gi")], pod_spec=spec, container=res)]

    def cpu_serving(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [
            (s, "/usr/local/lib/python3.11/site-packages/torch/cuda/__init__.py:128: UserWarning: CUDA "
                "initialization: The NVIDIA driver on your system is too old (found version 11040). Please update "
                "your GPU driver by downloading and installing a new version from the URL: "
                "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to install a "
                "PyTorch version that has been compiled with your version of the CUDA driver. (Triggered internally "
                "at ../c10/cuda/CUDAFunctions.cpp:108.)"),
            (s, "  return torch._C._cuda_getDeviceCount() > 0"),
            (s + timedelta(seconds=2), L.pylog(s, "INFO", "sentence_transformers.SentenceTransformer",
                                               "Use pytorch device_name: cpu")),
            (s + timedelta(seconds=2), L.pylog(s, "INFO", "sentence_transformers.SentenceTransformer",
                                               "Load pretrained SentenceTransformer: /models/e5-large-v2")),
            (s + timedelta(seconds=9), "INFO:     Application startup complete."),
            (s + timedelta(seconds=9), "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)")]
        out += L.ticker(s + timedelta(seconds=15), e, 6, lambda i, t: (
            uvicorn(t, f"10.244.3.{40 + i % 7}:4{i % 9}102", "POST /embed", 200 if i % 11 else 504)))
        out += L.ticker(s + timedelta(seconds=17), e, 30, lambda i, t: L.pylog(
            t, "WARNING", "embedder.batch", f"batch of 32 took {2.7 + (i % 5) * 0.3:.2f}s (budget 0.25s)"))
        return out

    wl = inc.deployment("ml", "text-embedder", revs, {12: [P(log=within(cpu_serving), node=gpus[i])
                                                          for i in range(3)]})
    for i, h in enumerate(wl.pods):
        inc.series("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).",
                   {"gpu": "0", "Hostname": h.node, "modelName": "Tesla T4", "namespace": "ml", "pod": h.name,
                    "container": "embedder", "job": "nvidia-dcgm-exporter"},
                   step(58.0 + i, 0.0, chg + timedelta(minutes=1)))
        inc.series("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "ml", "pod": h.name, "container": "embedder", "job": "kubelet"},
                   counter(AT4 - timedelta(hours=2), 0.4, 1.95, chg))
    inc.series("embedder_request_duration_seconds", "gauge", "p95 embedding request latency.",
               {"namespace": "ml", "service": "text-embedder", "quantile": "0.95"},
               step(0.09, 3.4, chg + timedelta(minutes=2)))
    herring(inc, "ml", "reranker", f"{REGISTRY}/ml/reranker", "1.6.0", AT4 - timedelta(minutes=50))
    plant(inc, "ml", "text-embedder-hf", "token", "hf-embedder", "HF_TOKEN")
    send(inc, [alert(inc, "TextEmbedderLatencyHigh", {"namespace": "ml", "service": "text-embedder",
                                                      "team": "search-ml"},
                     "text-embedder p95 latency above 1s",
                     "p95 of POST /embed on text-embedder has been above 1s for 15 minutes (now 3.4s).",
                     'embedder_request_duration_seconds{service="text-embedder",quantile="0.95"} > 1',
                     runbook="https://wiki.example.com/runbooks/search-ml/text-embedder")],
         ["alertname", "service"])
    inc.answer_key(
        culprit=("Deployment", "ml", "text-embedder"), keywords=["driver", "cu121"],
        root_cause="Revision 12 of Deployment text-embedder moved the image to PyTorch built for CUDA 12.1 (cu121) "
                   "while the g4dn nodes run NVIDIA driver 470 (CUDA 11.4); torch reports the driver too old, "
                   "falls back to CPU, and embedding latency rises more than thirtyfold.",
        category="cuda-runtime-newer-than-node-driver",
        red_herrings=[("Deployment", "ml", "reranker")])
    return inc


# ---- 5: victim, namespaced custom resource ----------------------------------------------------------
AT5 = datetime(2026, 12, 1, 21, 37, tzinfo=UTC)


def checkout_risk_score_timeouts() -> Incident:
    """KServe InferenceService patched to minReplicas 0: the fraud model scales to zero between the evening's
    sparse calls and every cold start (model download and load, ~40 s) outlasts the caller's 3 s timeout.

    after: KServe/Knative serverless-inference reports where enabling scale-to-zero to save GPU or node cost
    turned every request after an idle minute into a cold start, and callers with short timeouts fail in
    bursts while dashboards show the model "Ready".

    InferenceService models/fraud-xgb was patched with kubectl 3 h 10 min before the page: minReplicas 1 -> 0
    (revision 00005). The Knative autoscaler's actual pods flap 0/1 all evening; the revision's Deployment has
    a dozen scale-up/scale-down events; the Knative activator logs proxy errors for the revision; checkout-risk's
    Spring logs show Reactor TimeoutExceptions after 3000 ms in bursts after quiet minutes.
    Red herring: the checkout-api rollout 35 minutes before.
    """
    inc = start(checkout_risk_score_timeouts, "checkout-risk: fraud score timeouts", AT5, 3605,
                namespaces=("models", "checkout", "knative-serving"))
    chg = AT5 - timedelta(minutes=190)
    custom(inc, "InferenceService", "serving.kserve.io", "v1beta1", "inferenceservices", "models", "fraud-xgb",
           {"predictor": {"minReplicas": 0, "maxReplicas": 4, "scaleMetric": "concurrency", "scaleTarget": 8,
                          "model": {"modelFormat": {"name": "xgboost"}, "runtime": "kserve-mlserver",
                                    "storageUri": "s3://acme-models/fraud/xgb/2026-11-20/",
                                    "resources": {"requests": {"cpu": "2", "memory": "4Gi"},
                                                  "limits": {"memory": "4Gi"}}}}},
           {"url": "http://fraud-xgb.models.svc.cluster.local", "observedGeneration": 9,
            "components": {"predictor": {"latestCreatedRevision": "fraud-xgb-predictor-00005",
                                         "latestReadyRevision": "fraud-xgb-predictor-00005",
                                         "traffic": [{"revisionName": "fraud-xgb-predictor-00005",
                                                      "percent": 100, "latestRevision": True}]}},
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(chg + timedelta(minutes=1))},
                           {"type": "PredictorReady", "status": "True",
                            "lastTransitionTime": ts(chg + timedelta(minutes=1))}],
            "modelStatus": {"states": {"activeModelState": "Loaded", "targetModelState": "Loaded"}}},
           "kubectl-patch", chg, {"f:spec": {"f:predictor": {"f:minReplicas": {}}}}, generation=9)
    inc.find("InferenceService", "models", "fraud-xgb")["metadata"]["annotations"] = {
        "serving.kserve.io/deploymentMode": "Serverless"}
    rev_name = "fraud-xgb-predictor-00005"
    revs = [Rev(1, chg + timedelta(seconds=20), "", [c("kserve-container", "docker.io/seldonio/mlserver:1.6.1",
                                                       memory_limit="4Gi", memory_request="4Gi", cpu_request="2")],
                pod_spec={"initContainers": [{"name": "storage-initializer",
                                              "image": "kserve/storage-initializer:v0.14.0",
                                              "args": ["s3://acme-models/fraud/xgb/2026-11-20/", "/mnt/models"]}]})]
    wl = inc.deployment("models", f"{rev_name}-deployment", revs, {1: [P(
        state="notready", created=inc.captured - timedelta(seconds=48), node=general(inc, 2),
        message='Readiness probe failed: Get "http://{ip}:8012/": dial tcp {ip}:8012: connect: connection refused')]},
        labels={"serving.knative.dev/revision": rev_name, "serving.kserve.io/inferenceservice": "fraud-xgb"})
    rs = wl.rs[1]
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {rs} to 1 from 0", chg + timedelta(minutes=31),
              inc.captured - timedelta(seconds=48), count=14, warning=False, component="deployment-controller")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled down replica set {rs} to 0 from 1", chg + timedelta(minutes=29),
              inc.captured - timedelta(minutes=4), count=13, warning=False, component="deployment-controller")
    bursts = [AT5 - timedelta(minutes=m) for m in (58, 44, 31, 19, 6, 0)]

    def activator(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for b in bursts:
            for j in range(4):
                t = b + timedelta(seconds=3 + j)
                out.append((t, json.dumps({"severity": "ERROR", "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.")
                                           + f"{t.microsecond // 1000:03d}Z", "logger": "activator",
                                           "caller": "handler/handler.go:141",
                                           "message": "error while proxying request: context canceled",
                                           "commit": "6f1d3e1", "knative.dev/controller": "activator",
                                           "knative.dev/pod": pod_name, "knative.dev/key": f"models/{rev_name}"},
                                          separators=(",", ":"))))
        return out

    inc.deployment("knative-serving", "activator", [Rev(1, inc.born + timedelta(days=8), "helm upgrade", [
        c("activator", "gcr.io/knative-releases/knative.dev/serving/cmd/activator:v1.15.2")])],
        {1: [P(log=within(activator), node=general(inc, 0))]})

    def risk(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = L.ticker(s, e, 45, lambda i, t: L.spring(
            t, "INFO", "c.a.checkout.risk.RiskScoreClient", f"scored order {71830 + i} in {38 + i % 20} ms",
            thread="reactor-http-epoll-2"))
        for b in bursts:
            for j in range(3):
                t = b + timedelta(seconds=3 + 2 * j, milliseconds=17)
                out.append((t, L.spring(
                    t, "ERROR", "c.a.checkout.risk.RiskScoreClient",
                    "Fraud score call to http://fraud-xgb.models.svc.cluster.local/v2/models/fraud-xgb/infer "
                    "failed, routing order to manual review\njava.util.concurrent.TimeoutException: Did not observe "
                    "any item or terminal signal within 3000ms in 'flatMap' (and no fallback has been configured)\n"
                    "\tat reactor.core.publisher.FluxTimeout$TimeoutMainSubscriber.handleTimeout(FluxTimeout.java:296)"
                    "\n\tat reactor.core.publisher.FluxTimeout$TimeoutMainSubscriber.doTimeout(FluxTimeout.java:281)",
                    thread="parallel-3")))
        return out

    inc.deployment("checkout", "checkout-risk", [Rev(1, inc.born + timedelta(days=17), "helm upgrade", [
        c("checkout-risk", f"{REGISTRY}/checkout/checkout-risk:5.2.0", memory_limit="1Gi")])],
        {1: [P(log=within(risk), node=general(inc, i)) for i in range(2)]})
    inc.series("autoscaler_actual_pods", "gauge", "Number of pods that are allocated currently.",
               {"namespace_name": "models", "configuration_name": "fraud-xgb-predictor", "revision_name": rev_name,
                "job": "autoscaler"},
               lambda t: 1.0 if t < chg or any(b - timedelta(seconds=2) <= t <= b + timedelta(seconds=150)
                                               for b in bursts) else 0.0)
    inc.series("risk_score_requests_total", "counter", "Fraud score calls by outcome.",
               {"namespace": "checkout", "service": "checkout-risk", "outcome": "timeout"},
               counter(AT5 - timedelta(hours=2), 0.0, 0.02, chg))
    herring(inc, "checkout", "checkout-api", f"{REGISTRY}/checkout/checkout-api", "7.3.0", AT5 - timedelta(minutes=35))
    plant(inc, "models", "fraud-xgb-s3", "aws-secret", "model-bucket", "AWS_SECRET_ACCESS_KEY")
    send(inc, [alert(inc, "RiskScoreTimeoutsHigh", {"namespace": "checkout", "service": "checkout-risk",
                                                    "team": "payments-risk"},
                     "checkout-risk: fraud score calls timing out",
                     "More than 5% of fraud score calls from checkout-risk time out (3 s); orders are routed to "
                     "manual review.",
                     'sum(rate(risk_score_requests_total{service="checkout-risk",outcome="timeout"}[10m])) / '
                     'sum(rate(risk_score_requests_total{service="checkout-risk"}[10m])) > 0.05',
                     runbook="https://wiki.example.com/runbooks/payments-risk/score-timeouts")],
         ["alertname", "service"])
    inc.answer_key(
        culprit=("InferenceService", "models", "fraud-xgb"), keywords=["minReplicas", "scale to zero"],
        root_cause="InferenceService fraud-xgb was patched to minReplicas 0, letting the Knative predictor scale to "
                   "zero between the evening's sparse calls; each cold start (model download and load) takes far "
                   "longer than checkout-risk's 3 s timeout, so calls after an idle minute time out.",
        category="kserve-scale-to-zero-cold-start",
        red_herrings=[("Deployment", "checkout", "checkout-api")])
    return inc


# ---- 6: victim, grouped notification ----------------------------------------------------------------
AT6 = datetime(2026, 12, 4, 19, 26, tzinfo=UTC)


def subtitle_jobs_backlog_grouped() -> Incident:
    """RayService serveConfigV2 raises the translation deployment's ray_actor_options num_gpus 0.5 -> 1 on a
    two-GPU worker group: only two of four replicas can be placed, the Serve proxy sheds load with 503s.

    after: Ray Serve on KubeRay reports where a resource request per replica was raised without resizing the
    worker group; Serve keeps waiting for resources ("taken more than 30s to be scheduled") and sheds requests
    by backpressure.

    RayService ray/translator (ray.io CRD in extra/) was synced by Argo CD 52 minutes before the page with
    num_gpus 1 (was 0.5) and num_replicas still 4; the worker group still has two 1-GPU workers. The Serve
    controller log on the head pod warns that two replicas cannot be scheduled (GPU 1.0 per replica, none
    free); the proxy drops requests by backpressure; subtitle-api (pino) gets 503s and its job queue grows.
    Red herring: the kuberay-operator rollout an hour before.
    """
    inc = start(subtitle_jobs_backlog_grouped, "subtitle-api errors, latency and backlog", AT6, 3606,
                namespaces=("ray", "ray-system", "media"))
    chg = AT6 - timedelta(minutes=52)
    gpus = [extra_node(inc, i, "g5.2xlarge", inc.born + timedelta(days=9), {
        "workload-class": "gpu-a10g-small", "nvidia.com/gpu.product": "NVIDIA-A10G"}, {"nvidia.com/gpu": "1"},
        cpu=8, memory_gi=32, taints=GPU_TAINT)["metadata"]["name"] for i in range(2)]
    serve = ("applications:\n- name: translation\n  route_prefix: /translate\n  import_path: translate.app:deployment\n"
             "  runtime_env: {}\n  deployments:\n  - name: Translator\n    num_replicas: 4\n"
             "    max_ongoing_requests: 8\n    max_queued_requests: 100\n    ray_actor_options:\n"
             "      num_cpus: 1\n      num_gpus: 1\n")
    cluster_name = "translator-raycluster-q8w2k"
    worker_tpl = {"spec": {"containers": [{"name": "ray-worker", "image": f"{REGISTRY}/ml/translator-ray:2.38.0",
                                           "resources": {"limits": {"cpu": "7", "memory": "28Gi",
                                                                    "nvidia.com/gpu": "1"}}}],
                           "tolerations": GPU_TOLERATION}}
    custom(inc, "RayService", "ray.io", "v1", "rayservices", "ray", "translator",
           {"serveConfigV2": serve, "serviceUnhealthySecondThreshold": 900,
            "rayClusterConfig": {"rayVersion": "2.38.0", "headGroupSpec": {"rayStartParams": {"num-cpus": "0"}},
                                 "workerGroupSpecs": [{"groupName": "gpu-group", "replicas": 2, "minReplicas": 2,
                                                       "maxReplicas": 2, "rayStartParams": {},
                                                       "template": worker_tpl}]}},
           {"serviceStatus": "Running", "activeServiceStatus": {
               "rayClusterName": cluster_name,
               "applicationStatuses": {"translation": {"status": "DEPLOYING", "healthLastUpdateTime": ts(AT6),
                                                       "serveDeploymentStatuses": {"Translator": {
                                                           "status": "UPSCALING",
                                                           "healthLastUpdateTime": ts(AT6)}}}}}},
           "argocd-controller", chg, {"f:spec": {"f:serveConfigV2": {}}}, generation=14)
    crd(inc, "RayCluster", "ray.io", "rayclusters")
    inc.add({"apiVersion": "ray.io/v1", "kind": "RayCluster",
             "metadata": {"name": cluster_name, "namespace": "ray",
                          "ownerReferences": [{"apiVersion": "ray.io/v1", "kind": "RayService", "name": "translator",
                                               "uid": o.uid("rayservice", "ray", "translator"), "controller": True}]},
             "spec": {"workerGroupSpecs": [{"groupName": "gpu-group", "replicas": 2, "template": worker_tpl}]},
             "status": {"state": "ready", "availableWorkerReplicas": 2, "desiredGPU": "2", "desiredCPU": "14"}})

    def ray(t: datetime, level: str, who: str, msg: str) -> str:
        return f"{level} {t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} {who} -- {msg}"

    dep = "Deployment(name='Translator', app='translation')"

    def head(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [
            (chg + timedelta(seconds=9), ray(chg, "INFO", "controller 412",
                                             "Deploying new version of " + dep + " (initial target replicas: 4).")),
            (chg + timedelta(seconds=10), ray(chg, "INFO", "controller 412",
                                              f"Stopping 4 replicas of {dep} with outdated versions.")),
            (chg + timedelta(seconds=31), ray(chg, "INFO", "controller 412", f"Adding 4 replicas to {dep}.")),
            (chg + timedelta(seconds=48), ray(chg, "INFO", "controller 412",
                                              f"Replica(id='{o.suffix('r1', 8)}', deployment='Translator', "
                                              "app='translation') started successfully on node "
                                              f"{o.suffix(gpus[0], 16)} after 16.4s.")),
            (chg + timedelta(seconds=50), ray(chg, "INFO", "controller 412",
                                              f"Replica(id='{o.suffix('r2', 8)}', deployment='Translator', "
                                              "app='translation') started successfully on node "
                                              f"{o.suffix(gpus[1], 16)} after 18.9s."))]
        out += L.ticker(chg + timedelta(seconds=61), e, 30, lambda i, t: ray(
            t, "WARNING", "controller 412", "Deployment 'Translator' in application 'translation' has 2 replicas "
            "that have taken more than 30s to be scheduled. This may be due to waiting for the cluster to "
            "auto-scale or for a runtime environment to be installed. Resources required for each replica: "
            '{"CPU": 1.0, "GPU": 1.0}, total resources available: {"CPU": 12.0}. Use `ray status` for more '
            "details."))
        out += L.ticker(AT6 - timedelta(minutes=14), e, 4, lambda i, t: ray(
            t, "WARNING", f"proxy {inc.cluster.node_ip(general(inc, 3))}",
            "Request dropped due to backpressure (num_queued_requests=100, max_queued_requests=100)."))
        return out

    raylabels = {"ray.io/cluster": cluster_name, "app.kubernetes.io/created-by": "kuberay-operator"}
    owner = {**o.owner_ref("RayCluster", cluster_name, "ray", "ray.io/v1"), "controller": True}
    pod(inc, "ray", f"{cluster_name}-head-{o.suffix('head', 5)}", cluster_name,
        c("ray-head", f"{REGISTRY}/ml/translator-ray:2.38.0", port=8265), general(inc, 3),
        inc.born + timedelta(days=30), owner, {**raylabels, "ray.io/node-type": "head"},
        L.lines(sorted(x for x in head("", chg, inc.captured))))
    for n in gpus:
        pod(inc, "ray", f"{cluster_name}-gpu-group-worker-{o.suffix(n, 5)}", cluster_name,
            c("ray-worker", f"{REGISTRY}/ml/translator-ray:2.38.0", port=None), n, inc.born + timedelta(days=30),
            owner, {**raylabels, "ray.io/node-type": "worker", "ray.io/group": "gpu-group"})

    def api(pod_name: str, s: datetime, e: datetime) -> Lines:
        out = L.ticker(s, e, 5, lambda i, t: pino(
            t, 30, pod_name, "subtitle job translated", jobId=L.uuidish(pod_name, i)[:13], lang="de", ms=820 + i % 300)
            if t < chg or i % 3 == 0 else pino(
            t, 50, pod_name, "translation failed", jobId=L.uuidish(pod_name, i)[:13],
            err={"type": "HTTPError", "message": "Response code 503 (Service Unavailable)",
                 "url": "http://translator-serve-svc.ray.svc.cluster.local:8000/translate"},
            attempt=1 + i % 3))
        return out

    inc.deployment("media", "subtitle-api", [Rev(1, inc.born + timedelta(days=20), "helm upgrade", [
        c("subtitle-api", f"{REGISTRY}/media/subtitle-api:4.1.2", memory_limit="512Mi")])],
        {1: [P(log=within(api), node=general(inc, i)) for i in range(3)]})
    inc.series("subtitle_jobs_queued", "gauge", "Subtitle jobs waiting for translation.",
               {"namespace": "media", "service": "subtitle-api"},
               lambda t: 12.0 if t < chg + timedelta(minutes=5) else 12.0 + (t - chg).total_seconds() / 4)
    inc.series("ray_serve_num_deployment_http_error_requests", "counter", "Number of HTTP error requests.",
               {"namespace": "ray", "deployment": "Translator", "application": "translation",
                "error_code": "503", "job": "ray-head"}, counter(AT6 - timedelta(hours=2), 0.0, 2.1,
                                                                 AT6 - timedelta(minutes=14)))
    herring(inc, "ray-system", "kuberay-operator", "quay.io/kuberay/operator", "v1.2.2", AT6 - timedelta(minutes=61))
    plant(inc, "media", "subtitle-api-deepl", "token", "deepl-fallback", "DEEPL_AUTH_KEY")
    labels = {"namespace": "media", "service": "subtitle-api", "team": "media-platform"}
    send(inc, [
        alert(inc, "SubtitleApiErrorRateHigh", labels, "subtitle-api: more than 10% of jobs failing",
              "subtitle-api job failures above 10% for 10 minutes.",
              'sum(rate(subtitle_jobs_total{outcome="failed"}[10m])) / sum(rate(subtitle_jobs_total[10m])) > 0.1',
              severity="critical", runbook="https://wiki.example.com/runbooks/media/subtitle-api"),
        alert(inc, "SubtitleJobsBacklog", labels, "subtitle-api: job queue growing",
              "More than 300 subtitle jobs waiting for translation.", "subtitle_jobs_queued > 300",
              runbook="https://wiki.example.com/runbooks/media/subtitle-api"),
        alert(inc, "SubtitleApiLatencyHigh", labels, "subtitle-api: p95 job latency above 30s",
              "p95 subtitle job latency above 30s for 10 minutes.",
              "histogram_quantile(0.95, sum by (le) (rate(subtitle_job_duration_seconds_bucket[10m]))) > 30",
              runbook="https://wiki.example.com/runbooks/media/subtitle-api")], ["namespace"])
    inc.answer_key(
        culprit=("RayService", "ray", "translator"), keywords=["num_gpus", "serveConfigV2"],
        root_cause="RayService translator's serveConfigV2 raised the Translator deployment's ray_actor_options "
                   "num_gpus from 0.5 to 1 while keeping 4 replicas on a worker group of two 1-GPU workers; two "
                   "replicas can never be scheduled, the Serve proxy drops requests by backpressure (503) and "
                   "subtitle-api's jobs fail and queue.",
        category="ray-serve-gpu-request-exceeds-workers",
        red_herrings=[("Deployment", "ray-system", "kuberay-operator")])
    return inc


# ---- 7: host question --------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 26, 13, 44, tzinfo=UTC)


def node_pods_not_starting_question() -> Incident:
    """edi-gateway's new image is built on Windows Server ltsc2025 while the Windows nodes run Server 2022:
    process-isolated containers need the host's build, the new pod never starts.

    after: Windows container reports where a build agent moved to a newer Windows base image and the result
    ran on older hosts; HCS refuses with "The container operating system does not match the host operating
    system".

    Deployment b2b/edi-gateway revision 8 (image 5.0.0-ltsc2025, from 4.9.3-ltsc2022) was rolled at 11:58.
    Its surge pod on the Windows node in the question fails in containerd's hcs::CreateComputeSystem; the two
    old pods keep serving. The node (osImage Windows Server 2022 Datacenter, windows-build 10.0.20348) is
    healthy. Red herring: the aws-node ConfigMap amazon-vpc-cni edited (warm IP target) at 12:40.
    """
    inc = start(node_pods_not_starting_question, "pods on a Windows node failing to start", AT7, 3607,
                namespaces=("b2b",))
    wins = []
    for i in range(2):
        n = extra_node(inc, i, "m6i.2xlarge", inc.born + timedelta(days=12), {
            "kubernetes.io/os": "windows", "beta.kubernetes.io/os": "windows",
            "node.kubernetes.io/windows-build": "10.0.20348", "eks.amazonaws.com/nodegroup": "windows-2022"},
            {}, cpu=8, memory_gi=32, taints=[{"key": "os", "value": "windows", "effect": "NoSchedule"}])
        n["status"]["nodeInfo"].update({"operatingSystem": "windows", "osImage": "Windows Server 2022 Datacenter",
                                        "kernelVersion": "10.0.20348.2849", "containerRuntimeVersion":
                                        "containerd://1.7.20", "kubeProxyVersion": "v1.30.4-eks-a737599"})
        wins.append(n["metadata"]["name"])
    chg = datetime(2026, 11, 26, 11, 58, tzinfo=UTC)
    spec = {"nodeSelector": {"kubernetes.io/os": "windows"},
            "tolerations": [{"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"}]}

    def gateway(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 40, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} [{7 + i % 5}] INFO  "
            f"Acme.Edi.Gateway.As2Receiver - MDN sent for message <{L.uuidish(pod_name, i)[:18]}@partner> (X12 850, "
            f"{3 + i % 40} segments)"))

    image = f"{REGISTRY}/b2b/edi-gateway"
    revs = [Rev(7, inc.born + timedelta(days=21), "azure-pipelines: release 4.9.3",
                [c("edi-gateway", f"{image}:4.9.3-ltsc2022", memory_limit="2Gi", memory_request="1Gi")],
                pod_spec=spec),
            Rev(8, chg, "azure-pipelines: release 5.0.0",
                [c("edi-gateway", f"{image}:5.0.0-ltsc2025", memory_limit="2Gi", memory_request="1Gi")],
                pod_spec=spec)]
    message = ("failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem edi-gateway: "
               "The container operating system does not match the host operating system.: unknown")
    inc.deployment("b2b", "edi-gateway", revs, {
        7: [P(log=within(gateway), node=wins[i]) for i in range(2)],
        8: [P(state="waiting", waiting_reason="RunContainerError", message=message, node=wins[0],
              created=chg + timedelta(seconds=4))]},
        progress="progressing", replicas=2, max_surge="1", max_unavailable="0")
    cni = inc.configmap("kube-system", "amazon-vpc-cni", {"enable-windows-ipam": "true",
                                                          "enable-network-policy-controller": "false",
                                                          "warm-ip-target": "3", "minimum-ip-target": "10"})
    cni["apiVersion"] = "v1"
    changed(cni, ("eks", "Update", inc.born + timedelta(days=2), {"f:data": {}}),
            ("kubectl-edit", "Update", datetime(2026, 11, 26, 12, 40, tzinfo=UTC),
             {"f:data": {"f:warm-ip-target": {}, "f:minimum-ip-target": {}}}))
    plant(inc, "b2b", "edi-gateway-as2", "password", "as2-cert", "AS2_CERT_PASSWORD")
    inc.ask(f"Pods on {wins[0]} keep failing to start since early afternoon. Is something wrong with that node?")
    inc.answer_key(
        culprit=("Deployment", "b2b", "edi-gateway"), keywords=["ltsc2025", "Windows Server 2022"],
        root_cause="Revision 8 of Deployment edi-gateway ships an image built on Windows Server ltsc2025, while the "
                   "Windows nodes run Windows Server 2022 (build 20348); process-isolated containers must match "
                   "the host build, so containerd's HCS refuses to create the new pod's container on that node.",
        category="windows-container-build-newer-than-host",
        red_herrings=[("ConfigMap", "kube-system", "amazon-vpc-cni")])
    return inc


# ---- 8: victim, built-in cluster-scoped culprit -----------------------------------------------------
AT8 = datetime(2026, 12, 5, 11, 9, tzinfo=UTC)


def redpanda_brokers_missing() -> Incident:
    """StorageClass local-nvme re-created with volumeBindingMode Immediate: the new broker's claim binds to a
    local PV on a node that already runs a broker, and the pod can never be scheduled.

    after: local persistent volume write-ups and issues where static local PVs were used without
    WaitForFirstConsumer; the claim binds before scheduling, to a disk on a node the pod cannot use, and the
    scheduler reports "volume node affinity conflict".

    Terraform replaced StorageClass local-nvme (provider upgrade dropped the attribute) at 06:12; its
    volumeBindingMode is Immediate. At 10:51 the team scaled StatefulSet streaming/redpanda 4 -> 5... the
    claim datadir-redpanda-3 bound at once to the second NVMe PV of the node running redpanda-0; redpanda-3
    is Pending (1 anti-affinity, 3 volume node affinity conflict). Red herring: the redpanda PodDisruptionBudget
    edited at 10:20.
    """
    inc = start(redpanda_brokers_missing, "redpanda replicas mismatch", AT8, 3608, namespaces=("streaming",))
    chg = datetime(2026, 12, 5, 6, 12, tzinfo=UTC)
    scaled = datetime(2026, 12, 5, 10, 51, tzinfo=UTC)
    stores = [extra_node(inc, i, "i4i.2xlarge", inc.born + timedelta(days=6), {"storage": "local-nvme"}, {},
                         cpu=8, memory_gi=64, zone=["eu-west-1a", "eu-west-1b", "eu-west-1c"][i % 3]
                         )["metadata"]["name"] for i in range(4)]
    sc = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                  "metadata": {"name": "local-nvme", "creationTimestamp": ts(chg),
                               "labels": {"app.kubernetes.io/managed-by": "terraform"}},
                  "provisioner": "kubernetes.io/no-provisioner", "reclaimPolicy": "Retain",
                  "volumeBindingMode": "Immediate", "allowVolumeExpansion": False})
    changed(sc, ("terraform-provider-kubernetes", "Update", chg,
                 {"f:metadata": {"f:labels": {}}, "f:provisioner": {}, "f:reclaimPolicy": {},
                  "f:volumeBindingMode": {}}))
    pvs: dict[tuple[int, int], str] = {}
    for i, n in enumerate(stores):
        for d in range(2):
            name = f"local-pv-{o.suffix(n + str(d), 8)}"
            pvs[(i, d)] = name
            inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
                     "metadata": {"name": name, "creationTimestamp": ts(inc.born + timedelta(days=6)),
                                  "labels": {"storage.kubernetes.io/local-disk": f"nvme{d + 1}n1"},
                                  "annotations": {"pv.kubernetes.io/provisioned-by": "local-volume-provisioner-"
                                                                                     f"{n}-{o.uid('n', n)[:8]}"}},
                     "spec": {"capacity": {"storage": "1769Gi"}, "accessModes": ["ReadWriteOnce"],
                              "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "local-nvme",
                              "volumeMode": "Filesystem", "local": {"path": f"/mnt/disks/nvme{d + 1}n1"},
                              "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                                  {"key": "kubernetes.io/hostname", "operator": "In", "values": [n]}]}]}}},
                     "status": {"phase": "Available"}})
    bound = {0: (0, 0), 1: (1, 0), 2: (2, 0), 3: (0, 1)}
    for ordinal, key in bound.items():
        pv = inc.find("PersistentVolume", "", pvs[key])
        pv["status"]["phase"] = "Bound"
        pv["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "namespace": "streaming",
                                  "name": f"datadir-redpanda-{ordinal}", "apiVersion": "v1"}

    def broker(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 60, lambda i, t: (
            f"INFO  {t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} [shard {i % 4}:main] "
            f"storage - segment.cc:{660 + i % 7} - Creating new segment /var/lib/redpanda/data/kafka/orders/"
            f"{i % 12}_41/{88311 + i * 97}-7-v1.log"))

    pending = ("0/8 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 3 node(s) had volume node "
               "affinity conflict, 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/8 nodes are "
               "available: 1 No preemption victims found for incoming pod, 7 Preemption is not helpful for "
               "scheduling.")
    wl = inc.statefulset("streaming", "redpanda", [c("redpanda", "docker.redpanda.com/redpandadata/redpanda:v24.2.7",
                                                     memory_limit="48Gi", memory_request="48Gi", port=9092)],
                         [*(P(log=within(broker), node=stores[i]) for i in range(3)),
                          P(state="pending", message=pending, created=scaled + timedelta(seconds=50))],
                         inc.born + timedelta(days=7), claims=[("datadir", "1769Gi", "local-nvme")], service=9092)
    for ordinal, key in bound.items():
        pvc = inc.find("PersistentVolumeClaim", "streaming", f"datadir-redpanda-{ordinal}")
        pvc["spec"]["volumeName"] = pvs[key]
        pvc["metadata"]["annotations"] = {"pv.kubernetes.io/bind-completed": "yes",
                                          "pv.kubernetes.io/bound-by-controller": "yes"}
        if ordinal == 3:
            pvc["metadata"]["creationTimestamp"] = ts(scaled + timedelta(seconds=49))
    sts = wl.obj
    sts["spec"]["replicas"] = 5
    sts["spec"]["template"]["spec"]["affinity"] = {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": {"app": "redpanda"}},
                                                            "topologyKey": "kubernetes.io/hostname"}]}}
    sts["spec"]["template"]["spec"]["nodeSelector"] = {"storage": "local-nvme"}
    sts["status"].update({"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 4,
                          "updatedReplicas": 4})
    changed(sts, ("helm", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("kubectl-scale", "Update", scaled, {"f:spec": {"f:replicas": {}}}))
    inc.event(sts, "SuccessfulCreate", "create Claim datadir-redpanda-3 Pod redpanda-3 in StatefulSet redpanda success",
              scaled + timedelta(seconds=49), warning=False, component="statefulset-controller")
    inc.event(sts, "SuccessfulCreate", "create Pod redpanda-3 in StatefulSet redpanda successful",
              scaled + timedelta(seconds=50), warning=False, component="statefulset-controller")
    pdb = inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                   "metadata": {"name": "redpanda", "namespace": "streaming"},
                   "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "redpanda"}}},
                   "status": {"currentHealthy": 3, "desiredHealthy": 3, "disruptionsAllowed": 0,
                              "expectedPods": 4, "observedGeneration": 3}})
    changed(pdb, ("helm", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("kubectl-edit", "Update", datetime(2026, 12, 5, 10, 20, tzinfo=UTC), {"f:spec": {"f:maxUnavailable": {}}}))
    plant(inc, "streaming", "redpanda-superuser", "password", "rp-admin", "password")
    send(inc, [alert(inc, "KubeStatefulSetReplicasMismatch", {"namespace": "streaming", "statefulset": "redpanda",
                                                              "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet streaming/redpanda has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != '
                     'kube_statefulset_status_replicas{job="kube-state-metrics"}')], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("StorageClass", "", "local-nvme"), keywords=["Immediate", "WaitForFirstConsumer"],
        root_cause="StorageClass local-nvme was re-created by Terraform with volumeBindingMode Immediate instead of "
                   "WaitForFirstConsumer; the scaled-up broker's claim bound at once to a local PV on the node "
                   "already running redpanda-0, so redpanda-3 can never be scheduled (anti-affinity plus volume "
                   "node affinity conflict).",
        category="local-pv-bound-before-scheduling",
        red_herrings=[("PodDisruptionBudget", "streaming", "redpanda")])
    return inc


# ---- 9: victim, cluster-scoped custom resource ----------------------------------------------------------
AT9 = datetime(2026, 12, 3, 15, 22, tzinfo=UTC)


def pricing_queries_failing_page() -> Incident:
    """Karpenter EC2NodeClass user data adds a NodeConfig with kubelet podPidsLimit 1024: Trino workers on the
    drifted nodes cannot create threads and the JVM exits, queries fail.

    after: reports of kubelet PID limits (podPidsLimit) set for safety on a node template, which cap threads
    as well as processes; thread-heavy JVMs die with "unable to create native thread" only on the nodes
    launched with the new template.

    EC2NodeClass al2023-compute (karpenter.k8s.aws, Cluster CRD in extra/) was synced four hours before the
    page with user data that sets podPidsLimit: 1024. Karpenter replaced two analytics nodes (drift) at 11:47;
    the trino-worker pods there crash-loop (pthread_create EAGAIN, "Terminating due to
    java.lang.OutOfMemoryError: unable to create native thread"); cAdvisor's container_threads_max is 1024
    there and unlimited on the older nodes. The coordinator reports PAGE_TRANSPORT_TIMEOUT and pricing-api's
    Python trino client raises TrinoQueryError. Red herring: the trino-catalog ConfigMap edited at 14:40.
    """
    inc = start(pricing_queries_failing_page, "pricing-api: price refresh queries failing", AT9, 3609,
                namespaces=("trino", "pricing"))
    chg = AT9 - timedelta(hours=4)
    drift = datetime(2026, 12, 3, 11, 47, tzinfo=UTC)
    nodes = []
    for i in range(4):
        created = drift + timedelta(minutes=i) if i >= 2 else inc.born + timedelta(days=10)
        nodes.append(extra_node(inc, i, "r6i.4xlarge", created, {
            "karpenter.sh/nodepool": "analytics", "karpenter.k8s.aws/ec2nodeclass": "al2023-compute",
            "karpenter.sh/capacity-type": "on-demand", "workload-class": "analytics"}, {}, cpu=16,
            memory_gi=128)["metadata"]["name"])
    user_data = ('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//"\n\n--//\n'
                 "Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
                 "spec:\n  kubelet:\n    config:\n      podPidsLimit: 1024\n      serializeImagePulls: false\n"
                 "--//--\n")
    custom(inc, "EC2NodeClass", "karpenter.k8s.aws", "v1", "ec2nodeclasses", "", "al2023-compute",
           {"amiFamily": "AL2023", "amiSelectorTerms": [{"alias": "al2023@v20241121"}],
            "role": "KarpenterNodeRole-prod-eu-west-1",
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
            "userData": user_data},
           {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                            "lastTransitionTime": ts(inc.born + timedelta(days=4))}],
            "amis": [{"id": "ami-0c1e3f6a9d2b7e104", "name": "amazon-eks-node-al2023-x86_64-standard-1.30-v20241121"}]},
           "argocd-controller", chg, {"f:spec": {"f:userData": {}}}, scope="Cluster", generation=6)

    def airlift(t: datetime, level: str, thread: str, logger: str, msg: str) -> str:
        return f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}Z\t{level}\t{thread}\t{logger}\t{msg}"

    def worker_crash(pod_name: str, s: datetime, e: datetime) -> Lines:
        loaded, started = s + timedelta(seconds=1), s + timedelta(seconds=19)
        out = [(loaded, airlift(loaded, "INFO", "main", "io.trino.server.PluginManager",
                                "-- Finished loading plugin /usr/lib/trino/plugin/hive --")),
               (started, airlift(started, "INFO", "main", "io.trino.server.Server",
                                 "======== SERVER STARTED ========"))]
        if (e - s).total_seconds() >= 200:  # a finished run; the one still running at capture has not died yet
            out += [(e - timedelta(seconds=1), f'[{(e - s).total_seconds() - 1:.3f}s][warning][os,thread] Failed to '
                                               'start thread "Unknown thread" - pthread_create failed (EAGAIN) for '
                                               "attributes: stacksize: 2048k, guardsize: 0k, detached."),
                    (e, "Terminating due to java.lang.OutOfMemoryError: unable to create native thread: possibly out "
                        "of memory or process/resource limits reached")]
        return out

    def query_id(t: datetime, i: int) -> str:
        return f"{t.strftime('%Y%m%d_%H%M%S')}_{i % 900:05d}_pricing"

    def worker_ok(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 60, lambda i, t: airlift(t, "INFO", f"task-management-{i % 4}",
                                                       "io.trino.execution.SqlTaskManager",
                                                       f"Task {query_id(t - timedelta(seconds=41), i)}.1.0.0 "
                                                       "finished"))

    spec = {"nodeSelector": {"workload-class": "analytics"}}
    image = "docker.io/trinodb/trino:463"
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade",
              [c("trino-worker", image, memory_limit="100Gi", memory_request="100Gi", cpu_request="14")],
              pod_spec=spec)
    wl = inc.deployment("trino", "trino-worker", [rev], {1: [
        P(log=within(worker_ok), node=nodes[0]), P(log=within(worker_ok), node=nodes[1]),
        *(P(state="crashloop", log=within(worker_crash), reason="Error", exit_code=3, node=nodes[2 + k],
            created=drift + timedelta(minutes=3 + k), run_s=lambda n: 240.0 + 30 * (n % 3)) for k in range(2))]},
        replicas=4)
    for h in wl.pods:
        new = h.node in nodes[2:]
        base = {"namespace": "trino", "pod": h.name, "container": "trino-worker", "job": "kubelet"}
        inc.series("container_threads_max", "gauge", "Maximum number of threads allowed inside the container, "
                   "infinity if value is zero", base, (lambda t: 1024.0) if new else (lambda t: 0.0))
    inc.pod_series(wl.pods, memory=False)

    def coordinator(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(drift + timedelta(minutes=9), e, 90, lambda i, t: airlift(
            t, "ERROR", f"remote-task-callback-{i % 20}", "io.trino.execution.scheduler.PipelinedQueryScheduler",
            f"Failure in distributed stage for query {query_id(t - timedelta(seconds=62), i)}\n"
            "io.trino.operator.PageTransportTimeoutException: Encountered too many errors talking to a worker node. "
            "The node may have crashed or be under too much load. This is probably a transient issue, so please "
            f"retry your query in a few minutes. (http://10.244.{23 + i % 2}.{40 + i % 9}:8080/v1/task/"
            f"{query_id(t - timedelta(seconds=62), i)}.2.0.0/results/0/3 - 6 failures, failure duration 60.02s, "
            "total failed request time 61.11s)"))

    inc.deployment("trino", "trino-coordinator", [Rev(1, inc.born + timedelta(days=15), "helm upgrade", [
        c("trino-coordinator", image, memory_limit="32Gi", memory_request="32Gi")])],
        {1: [P(log=within(coordinator), node=nodes[0])]})

    def pricing(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 120, lambda i, t: L.pylog(
            t, "INFO", "pricing.refresh", f"refreshed {4100 + i % 300} SKUs in {41 + i % 9}s") if t < drift +
            timedelta(minutes=10) or i % 3 == 0 else L.pylog(
            t, "ERROR", "pricing.refresh", "price refresh failed\nTraceback (most recent call last):\n"
            '  File "/app/pricing/refresh.py", line 88, in run\n    rows = cur.fetchall()\n'
            '  File "/usr/local/lib/python3.12/site-packages/trino/dbapi.py", line 680, in fetchall\n'
            "    return list(self.genall())\n"
            '  File "/usr/local/lib/python3.12/site-packages/trino/client.py", line 917, in process\n'
            "    raise self._process_error(response[\"error\"], response.get(\"id\"))\n"
            "trino.exceptions.TrinoQueryError: TrinoQueryError(type=INTERNAL_ERROR, name=PAGE_TRANSPORT_TIMEOUT, "
            'message="Encountered too many errors talking to a worker node. The node may have crashed or be under '
            'too much load. This is probably a transient issue, so please retry your query in a few minutes.", '
            f"query_id={query_id(t - timedelta(seconds=64), i)})"))

    inc.deployment("pricing", "pricing-api", [Rev(1, inc.born + timedelta(days=19), "helm upgrade", [
        c("pricing-api", f"{REGISTRY}/pricing/pricing-api:8.0.3")])],
        {1: [P(log=within(pricing), node=general(inc, i)) for i in range(2)]})
    herring_configmap(inc, "trino", "trino-catalog",
                      {"pricing.properties": "connector.name=iceberg\niceberg.catalog.type=glue\n",
                       "events.properties": "connector.name=hive\nhive.metastore=glue\n"},
                      datetime(2026, 12, 3, 14, 40, tzinfo=UTC))
    plant(inc, "pricing", "pricing-api-trino", "password", "trino-pricing", "TRINO_PASSWORD")
    inc.pagerduty("pricing-api: price refresh queries failing", "Pricing")
    inc.answer_key(
        culprit=("EC2NodeClass", "", "al2023-compute"), keywords=["podPidsLimit", "userData"],
        root_cause="EC2NodeClass al2023-compute's userData gained a NodeConfig setting the kubelet's podPidsLimit to "
                   "1024; on the nodes Karpenter launched from it, Trino workers hit the pod PID limit when "
                   "creating threads, the JVM exits (unable to create native thread) and pricing queries fail.",
        category="kubelet-pod-pid-limit-caps-threads",
        red_herrings=[("ConfigMap", "trino", "trino-catalog")])
    return inc


# ---- 10: simple -------------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 29, 10, 3, tzinfo=UTC)


def datadog_agent_rollout_stuck() -> Incident:
    """datadog-agent DaemonSet revision mounts /var/run/docker.sock as a hostPath of type Socket on containerd
    nodes: the type check fails and the new agent pod never starts.

    after: monitoring-agent upgrades that reused values written for Docker-based nodes after the move to
    containerd; kubelet refuses the mount with "hostPath type check failed ... is not a socket file".

    Helm upgraded DaemonSet datadog/datadog-agent 40 minutes before the page: ControllerRevision 2 replaces
    the containerd socket directory with hostPath /var/run/docker.sock (type Socket) and sets DOCKER_HOST. The
    first updated pod is ContainerCreating with FailedMount events; the nodes report containerd://1.7.22 and
    the other three agents still run revision 1. Red herring: the datadog-cluster-agent rollout of the same
    release.
    """
    inc = start(datadog_agent_rollout_stuck, "datadog-agent rollout stuck", AT10, 3610, namespaces=("datadog",))
    chg = AT10 - timedelta(minutes=40)
    image1, image2 = "gcr.io/datadoghq/agent:7.57.2", "gcr.io/datadoghq/agent:7.59.0"

    def template(image: str, docker: bool) -> dict[str, Any]:
        env = ([{"name": "DOCKER_HOST", "value": "unix:///host/var/run/docker.sock"}] if docker else
               [{"name": "DD_CRI_SOCKET_PATH", "value": "/host/var/run/containerd/containerd.sock"}])
        vol = ({"name": "runtimesocketdir", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}} if docker
               else {"name": "runtimesocketdir", "hostPath": {"path": "/var/run/containerd", "type": ""}})
        mount = "/host/var/run/docker.sock" if docker else "/host/var/run/containerd"
        return {"metadata": {"labels": {"app": "datadog-agent"}},
                "spec": {"serviceAccountName": "datadog-agent",
                         "containers": [{"name": "agent", "image": image, "command": ["agent", "run"],
                                         "env": [{"name": "DD_API_KEY", "valueFrom": {"secretKeyRef": {
                                             "name": "datadog-secret", "key": "api-key"}}}, *env],
                                         "volumeMounts": [{"name": "runtimesocketdir", "mountPath": mount,
                                                           "readOnly": True},
                                                          {"name": "procdir", "mountPath": "/host/proc",
                                                           "readOnly": True}]}],
                         "volumes": [vol, {"name": "procdir", "hostPath": {"path": "/proc", "type": ""}}]}}

    t1, t2 = template(image1, False), template(image2, True)
    r1 = controller_revision(inc, "datadog", "DaemonSet", "datadog-agent", 1, inc.born + timedelta(days=13), t1)
    r2 = controller_revision(inc, "datadog", "DaemonSet", "datadog-agent", 2, chg, t2)
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "datadog-agent", "namespace": "datadog", "generation": 2,
                               "labels": {"app": "datadog-agent", "helm.sh/chart": "datadog-3.80.0"},
                               "annotations": {"deprecated.daemonset.template.generation": "2"}},
                  "spec": {"selector": {"matchLabels": {"app": "datadog-agent"}}, "template": t2,
                           "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
                  "status": {"currentNumberScheduled": 4, "desiredNumberScheduled": 4, "numberAvailable": 3,
                             "numberReady": 3, "numberUnavailable": 1, "numberMisscheduled": 0,
                             "observedGeneration": 2, "updatedNumberScheduled": 1}})
    changed(ds, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {},
                                                                              "f:volumes": {}}}}}))

    def agent(pod_name: str, s: datetime, e: datetime) -> Lines:
        checks = ["cpu", "memory", "disk", "network", "containerd", "kubelet"]
        return L.ticker(s, e, 15, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')} UTC | CORE | INFO | (pkg/collector/worker/check_logger.go:71 in "
            f"CheckStarted) | check:{checks[i % 6]} | check started"))

    for i in range(4):
        n = general(inc, i)
        if i == 0:
            h = pod(inc, "datadog", f"datadog-agent-{o.suffix(n + 'r2', 5)}", "datadog-agent",
                    c("agent", image2, port=None), n, chg + timedelta(seconds=35),
                    o.owner_ref("DaemonSet", "datadog-agent", "datadog"),
                    {"app": "datadog-agent", "controller-revision-hash": r2.rsplit("-", 1)[1]},
                    ready=False, waiting="ContainerCreating")
            obj = inc.cluster.pod_object(h)
            inc.event(obj, "Scheduled", f"Successfully assigned datadog/{h.name} to {n}", h.created, warning=False,
                      component="default-scheduler")
            inc.event(obj, "FailedMount", 'MountVolume.SetUp failed for volume "runtimesocketdir" : hostPath type '
                      "check failed: /var/run/docker.sock is not a socket file", h.created + timedelta(seconds=1),
                      inc.captured - timedelta(seconds=50), count=27, host=n)
            inc.event(obj, "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[runtimesocketdir], "
                      "unattached volumes=[procdir runtimesocketdir kube-api-access-" + o.suffix(h.name, 5) +
                      "]: timed out waiting for the condition", h.created + timedelta(minutes=2, seconds=3),
                      inc.captured - timedelta(minutes=1), count=18, host=n)

            def spec2(p: dict[str, Any]) -> None:
                p["spec"]["volumes"] = t2["spec"]["volumes"]
                p["status"]["phase"] = "Pending"
            inc.cluster.patch("datadog", h.name, spec2)
        else:
            pod(inc, "datadog", f"datadog-agent-{o.suffix(n + 'r1', 5)}", "datadog-agent",
                c("agent", image1, port=None), n, inc.born + timedelta(days=13),
                o.owner_ref("DaemonSet", "datadog-agent", "datadog"),
                {"app": "datadog-agent", "controller-revision-hash": r1.rsplit("-", 1)[1]},
                L.lines(agent(n, inc.captured - timedelta(minutes=20), inc.captured)))
    inc.event(ds, "SuccessfulDelete", f"Deleted pod: datadog-agent-{o.suffix(general(inc, 0) + 'r1', 5)}", chg,
              warning=False, component="daemonset-controller")
    inc.event(ds, "SuccessfulCreate", f"Created pod: datadog-agent-{o.suffix(general(inc, 0) + 'r2', 5)}",
              chg + timedelta(seconds=35), warning=False, component="daemonset-controller")
    herring(inc, "datadog", "datadog-cluster-agent", "gcr.io/datadoghq/cluster-agent", "7.59", chg)
    api_key = inc.canary("token", "datadog-api")
    inc.secret("datadog", "datadog-secret", {"api-key": api_key})
    send(inc, [alert(inc, "KubeDaemonSetRolloutStuck", {"namespace": "datadog", "daemonset": "datadog-agent",
                                                        "job": "kube-state-metrics"},
                     "DaemonSet rollout is stuck.",
                     "DaemonSet datadog/datadog-agent has not finished or progressed for at least 15 minutes.",
                     'kube_daemonset_status_updated_number_scheduled{job="kube-state-metrics"} != '
                     'kube_daemonset_status_desired_number_scheduled{job="kube-state-metrics"}')],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("DaemonSet", "datadog", "datadog-agent"), keywords=["docker.sock", "hostPath"],
        root_cause="Revision 2 of DaemonSet datadog-agent mounts /var/run/docker.sock as a hostPath of type Socket, "
                   "but the nodes run containerd and have no Docker socket; the kubelet's hostPath type check fails "
                   "(FailedMount) and the updated agent pod stays ContainerCreating, stalling the rollout.",
        category="hostpath-docker-socket-on-containerd-nodes",
        red_herrings=[("Deployment", "datadog", "datadog-cluster-agent")])
    return inc


# ---- 11: workload question, Node culprit ----------------------------------------------------------------
AT11 = datetime(2026, 12, 4, 16, 33, tzinfo=UTC)


def image_moderation_errors_question() -> Incident:
    """One GPU node's A10G fell off the bus (Xid 79): the image-moderation pod there stays Ready but every
    inference fails with a CUDA error, a third of uploads get 500s.

    after: GPU fleet postmortems and operator notes on Xid 79 ("GPU has fallen off the bus"): the device
    plugin marks the GPU unhealthy, but a pod already holding it keeps running and failing while its HTTP
    health check passes.

    Node ip-10-0-21-31 (g5.xlarge) shows node-problem-detector's NVIDIAXidError condition (Xid 79), its
    allocatable nvidia.com/gpu dropped to 0 and DCGM reports Xid 79 there; the device plugin logged
    XidCriticalError. The image-moderation pod on that node logs PyTorch "CUDA error: unknown error" on every
    request; the two on other nodes are fine. Red herring: image-moderation's own revision 2 (threshold env)
    rolled 95 minutes before.
    """
    inc = start(image_moderation_errors_question, "image-moderation failing some uploads", AT11, 3611,
                namespaces=("trust", "gpu-operator"))
    fault = AT11 - timedelta(minutes=41)
    gpus = []
    for i in range(3):
        n = extra_node(inc, i, "g5.xlarge", inc.born + timedelta(days=24), {
            "workload-class": "gpu-a10g", "nvidia.com/gpu.product": "NVIDIA-A10G", "nvidia.com/gpu.count": "1"},
            {"nvidia.com/gpu": "1"}, cpu=4, memory_gi=16, taints=GPU_TAINT)
        gpus.append(n["metadata"]["name"])
        if i == 1:
            bad = n
            n["status"]["allocatable"]["nvidia.com/gpu"] = "0"
            n["status"]["conditions"].insert(0, {
                "type": "NVIDIAXidError", "status": "True", "reason": "XidCriticalError",
                "message": "Xid 79 on GPU 00000000:00:1E.0: GPU has fallen off the bus",
                "lastHeartbeatTime": ts(inc.captured), "lastTransitionTime": ts(fault + timedelta(seconds=20))})
            inc.event(n, "XidCriticalError", "NVRM: Xid (PCI:0000:00:1e): 79, pid=0, GPU has fallen off the bus.",
                      fault + timedelta(seconds=20), component="gpu-xid-monitor", host=n["metadata"]["name"])
    bad_name = bad["metadata"]["name"]
    dp = c("nvidia-device-plugin", "nvcr.io/nvidia/k8s-device-plugin:v0.16.2-ubi9", port=None)
    for n in gpus:
        t0 = inc.born + timedelta(days=24, minutes=2)
        lines: Lines = [(inc.captured - timedelta(hours=3), L.klog(t0, "I", "server.go:125",
                        "Registered device plugin for 'nvidia.com/gpu' with Kubelet"))]
        if n == bad_name:
            lines.append((fault + timedelta(seconds=4), L.klog(
                fault, "I", "health.go:159", "Processing event {Device:{Handle:0x7f3c48d1e2a0} EventType:8 "
                "EventData:79 GpuInstanceId:4294967295 ComputeInstanceId:4294967295}")))
            lines.append((fault + timedelta(seconds=4), L.klog(
                fault, "I", "health.go:185", "XidCriticalError: Xid=79 on Device=GPU-3f6c0e2a-91b4-5d7e-8a2c-"
                "b1d04e7f9a13; marking device as unhealthy.")))
            lines.append((fault + timedelta(seconds=4), L.klog(
                fault, "I", "server.go:275", "'nvidia.com/gpu' device marked unhealthy: "
                "GPU-3f6c0e2a-91b4-5d7e-8a2c-b1d04e7f9a13")))
        pod(inc, "gpu-operator", f"nvidia-device-plugin-daemonset-{o.suffix(n, 5)}", "nvidia-device-plugin-daemonset",
            dp, n, t0, o.owner_ref("DaemonSet", "nvidia-device-plugin-daemonset", "gpu-operator"),
            {"app": "nvidia-device-plugin-daemonset"}, L.lines(sorted(lines)))
        inc.series("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered.",
                   {"gpu": "0", "Hostname": n, "modelName": "NVIDIA A10G", "job": "nvidia-dcgm-exporter"},
                   step(0.0, 79.0, fault) if n == bad_name else (lambda t: 0.0))

    def healthy(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 3, lambda i, t: uvicorn(t, f"10.244.1.{20 + i % 30}:3{i % 9}010",
                                                      "POST /v1/moderate", 200))

    def broken(pod_name: str, s: datetime, e: datetime) -> Lines:
        out = healthy(pod_name, s, fault)
        for i, t in enumerate(L.every(fault + timedelta(seconds=2), e, 3)):
            if i % 5 == 0:
                out.append((t, "ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
                               '  File "/app/moderation/model.py", line 64, in classify\n'
                               "    logits = self.model(batch.to(self.device))\n"
                               '  File "/usr/local/lib/python3.11/site-packages/torch/nn/modules/module.py", '
                               "line 1553, in _wrapped_call_impl\n    return self._call_impl(*args, **kwargs)\n"
                               "RuntimeError: CUDA error: unknown error\nCUDA kernel errors might be asynchronously "
                               "reported at some other API call, so the stacktrace below might be incorrect.\n"
                               "For debugging consider passing CUDA_LAUNCH_BLOCKING=1\n"
                               "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions."))
            out.append((t + timedelta(milliseconds=30), uvicorn(t, f"10.244.1.{20 + i % 30}:3{i % 9}010",
                                                                "POST /v1/moderate", 500)))
        out.append((fault + timedelta(seconds=1), L.pylog(fault, "WARNING", "moderation.health",
                                                          "torch.cuda.mem_get_info failed: CUDA error: unknown error")))
        return out

    spec = {"nodeSelector": {"workload-class": "gpu-a10g"}, "tolerations": GPU_TOLERATION}
    res = {"resources": {"requests": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"},
                         "limits": {"memory": "12Gi", "nvidia.com/gpu": "1"}}}
    image = f"{REGISTRY}/trust/image-moderation:1.12.0"
    revs = [Rev(1, inc.born + timedelta(days=24), "helm upgrade",
                [c("moderation", image, memory_limit="12Gi", env=[{"name": "NSFW_THRESHOLD", "value": "0.82"}])],
                pod_spec=spec, container=res),
            Rev(2, AT11 - timedelta(minutes=95), "helm upgrade",
                [c("moderation", image, memory_limit="12Gi", env=[{"name": "NSFW_THRESHOLD", "value": "0.78"}])],
                pod_spec=spec, container=res)]
    wl = inc.deployment("trust", "image-moderation", revs, {2: [
        P(log=within(broken if n == bad_name else healthy), node=n) for n in gpus]})
    for h in wl.pods:
        for code, before, after in (("200", 1.1, 0.0 if h.node == bad_name else 1.1),
                                    ("500", 0.0, 1.1 if h.node == bad_name else 0.0)):
            inc.series("http_requests_total", "counter", "Total HTTP requests.",
                       {"namespace": "trust", "pod": h.name, "service": "image-moderation", "code": code},
                       counter(AT11 - timedelta(hours=2), before, after, fault))
    plant(inc, "trust", "image-moderation-s3", "aws", "moderation-quarantine", "AWS_ACCESS_KEY_ID")
    inc.ask("image-moderation is failing part of the uploads with 500s for the last 40 minutes or so. "
            "What's going on?")
    inc.answer_key(
        culprit=("Node", "", bad_name), keywords=["Xid 79", "fallen off the bus"],
        root_cause=f"The A10G GPU of node {bad_name} hit Xid 79 (GPU has fallen off the bus): the device plugin "
                   "marked it unhealthy, but the image-moderation pod already holding it stays Ready and fails "
                   "every inference with a CUDA error, so a third of uploads get 500s.",
        category="gpu-fell-off-bus-pod-still-ready",
        red_herrings=[("Deployment", "trust", "image-moderation")])
    return inc


# ---- 12: victim, SLO burn -----------------------------------------------------------------------------
AT12 = datetime(2026, 11, 28, 16, 48, tzinfo=UTC)


def catalog_search_errors_burn() -> Incident:
    """OpenSearch chart bump drops the privileged init container that set vm.max_map_count: the first
    restarted data node fails its bootstrap check, shards of the unreplicated products index go missing.

    after: Elasticsearch/OpenSearch on Kubernetes incidents where the sysctl init container was disabled
    assuming nodes already set vm.max_map_count; restarted pods exit with the bootstrap check failure and
    searches fail on missing shards.

    StatefulSet search-data/opensearch moved to ControllerRevision 5 (Helm, 34 minutes before the burn):
    revision 4 ran an init container `sysctl -w vm.max_map_count=262144`, revision 5 has none. opensearch-2
    (the first ordinal updated) crash-loops with exit 78 ("max virtual memory areas vm.max_map_count [65530]
    is too low"); opensearch-0 logs the cluster turning RED and searches rejected for missing shards;
    catalog-search (Go logfmt) returns 503s. Red herring: the catalog-indexer rollout 50 minutes before.
    """
    inc = start(catalog_search_errors_burn, "catalog-search error budget burn", AT12, 3612,
                namespaces=("search-data", "catalog"))
    chg = AT12 - timedelta(minutes=34)

    def os_line(t: datetime, level: str, logger: str, node_name: str, msg: str) -> str:
        return (f"[{t.strftime('%Y-%m-%dT%H:%M:%S')},{t.microsecond // 1000:03d}][{level:<5}][{logger:<25}] "
                f"[{node_name}] {msg}")

    def crash(pod_name: str, s: datetime, e: datetime) -> Lines:
        n = "opensearch-2"
        return [(s + timedelta(seconds=3), os_line(s, "INFO", "o.o.n.Node", n,
                 "version[2.17.1], pid[1], build[tar/1893d20797e30110e5877170e44d42275ce5951e/2024-09-26T21:59:32."
                 "078798875Z], OS[Linux/6.1.112-124.190.amzn2023.x86_64/amd64], JVM[Eclipse Adoptium/OpenJDK 64-Bit "
                 "Server VM/21.0.4/21.0.4+7-LTS]")),
                (s + timedelta(seconds=9), os_line(s, "INFO", "o.o.b.BootstrapChecks", n,
                                                   "bound or publishing to a non-loopback address, enforcing "
                                                   "bootstrap checks")),
                (s + timedelta(seconds=9), "ERROR: [1] bootstrap checks failed\n[1]: max virtual memory areas "
                                           "vm.max_map_count [65530] is too low, increase to at least [262144]\n"
                                           "ERROR: OpenSearch did not exit normally - check the logs at "
                                           "/usr/share/opensearch/logs/opensearch-cluster.log"),
                (s + timedelta(seconds=10), os_line(s, "INFO", "o.o.n.Node", n, "stopping ...")),
                (s + timedelta(seconds=10), os_line(s, "INFO", "o.o.n.Node", n, "stopped")),
                (s + timedelta(seconds=10), os_line(s, "INFO", "o.o.n.Node", n, "closed"))]

    def leader(pod_name: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(chg + timedelta(seconds=40), os_line(
            chg, "INFO", "o.o.c.s.ClusterManagerService", pod_name,
            "node-left[{opensearch-2}{Xq3v9k2TQ4aV1c8bJmW0xA}{10.244.3.57}{10.244.3.57:9300}{dimr} reason: "
            "disconnected], term: 11, version: 48817")),
            (chg + timedelta(seconds=41), os_line(
                chg, "INFO", "o.o.c.r.a.AllocationService", pod_name,
                "Cluster health status changed from [GREEN] to [RED] (reason: [{opensearch-2}{Xq3v9k2TQ4aV1c8bJmW0xA}"
                "{10.244.3.57}{10.244.3.57:9300}{dimr} reason: disconnected])."))]
        if pod_name == "opensearch-0":
            out += L.ticker(chg + timedelta(minutes=1), e, 20, lambda i, t: os_line(
                t, "WARN", "r.suppressed", pod_name,
                "path: /products/_search, params: {index=products}\norg.opensearch.action.search."
                "SearchPhaseExecutionException: Search rejected due to missing shards [[products][1], [products][4]]."
                " Consider using `allow_partial_search_results` setting to bypass this error.\n\tat org.opensearch."
                "action.search.AbstractSearchAsyncAction.run(AbstractSearchAsyncAction.java:252)"))
        return [x for x in out if s <= x[0]]

    plans = [P(log=within(leader), node=general(inc, 0)), P(log=within(leader), node=general(inc, 1)),
             P(state="crashloop", log=within(crash), reason="Error", exit_code=78, run_s=lambda n: 11.0,
               node=general(inc, 2), crash_from=chg + timedelta(seconds=35))]
    wl = inc.statefulset("search-data", "opensearch",
                         [c("opensearch", "docker.io/opensearchproject/opensearch:2.17.1", memory_limit="16Gi",
                            memory_request="16Gi", port=9200)], plans, inc.born + timedelta(days=8),
                         claims=[("data", "500Gi", "gp3")], service=9200)
    sts = wl.obj
    new_tpl = json.loads(json.dumps(sts["spec"]["template"]))
    old_tpl = json.loads(json.dumps(new_tpl))
    init = [{"name": "sysctl", "image": "docker.io/library/busybox:1.36", "command": [
        "sh", "-c", "sysctl -w vm.max_map_count=262144"], "securityContext": {"privileged": True, "runAsUser": 0}}]
    old_tpl["spec"]["initContainers"] = init
    r4 = controller_revision(inc, "search-data", "StatefulSet", "opensearch", 4, inc.born + timedelta(days=8), old_tpl)
    r5 = controller_revision(inc, "search-data", "StatefulSet", "opensearch", 5, chg, new_tpl)
    sts["metadata"]["generation"] = 5
    sts["status"].update({"currentRevision": r4, "updateRevision": r5, "updatedReplicas": 1, "currentReplicas": 2,
                          "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 5})
    changed(sts, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:initContainers": {}},
                                                                    "f:metadata": {}}}}))
    for h in wl.pods:
        rev = r5 if h.name == "opensearch-2" else r4
        h.labels["controller-revision-hash"] = rev
        if rev == r4:
            def with_init(p: dict[str, Any]) -> None:
                p["spec"]["initContainers"] = init
            inc.cluster.patch("search-data", h.name, with_init)
    inc.event(sts, "SuccessfulDelete", "delete Pod opensearch-2 in StatefulSet opensearch successful",
              chg + timedelta(seconds=5), warning=False, component="statefulset-controller")
    inc.event(sts, "SuccessfulCreate", "create Pod opensearch-2 in StatefulSet opensearch successful",
              chg + timedelta(seconds=31), warning=False, component="statefulset-controller")

    def search(pod_name: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 4, lambda i, t: L.logfmt(
            t, "info", "search ok", path="/api/search", index="products", took_ms=18 + i % 30)
            if t < chg + timedelta(seconds=40) or i % 5 == 0 else L.logfmt(
            t, "error", "search failed", path="/api/search", index="products", status=503,
            err="search_phase_execution_exception: Search rejected due to missing shards [[products][1], "
                "[products][4]]. Consider using `allow_partial_search_results` setting to bypass this error."))

    inc.deployment("catalog", "catalog-search", [Rev(1, inc.born + timedelta(days=16), "helm upgrade", [
        c("catalog-search", f"{REGISTRY}/catalog/catalog-search:3.7.1")])],
        {1: [P(log=within(search), node=general(inc, i)) for i in range(3)]})
    inc.series("http_requests_total", "counter", "Total HTTP requests.",
               {"namespace": "catalog", "service": "catalog-search", "code": "503"},
               counter(AT12 - timedelta(hours=2), 0.0, 19.0, chg + timedelta(seconds=40)))
    inc.series("http_requests_total", "counter", "Total HTTP requests.",
               {"namespace": "catalog", "service": "catalog-search", "code": "200"},
               counter(AT12 - timedelta(hours=2), 24.0, 5.0, chg + timedelta(seconds=40)))
    inc.pod_series(wl.pods, memory=False)
    herring(inc, "catalog", "catalog-indexer", f"{REGISTRY}/catalog/catalog-indexer", "2.4.0",
            AT12 - timedelta(minutes=50))
    plant(inc, "catalog", "catalog-search-opensearch", "password", "os-catalog-reader", "OPENSEARCH_PASSWORD")
    inc.slo_burn("catalog-search", "catalog", "catalog-search-availability", "0.999", 31.6,
                 "catalog-search is burning its 30-day error budget 31.6x too fast over the last hour "
                 "(5xx on /api/search).")
    inc.answer_key(
        culprit=("StatefulSet", "search-data", "opensearch"), keywords=["vm.max_map_count", "init container"],
        root_cause="Revision 5 of StatefulSet opensearch dropped the privileged init container that ran sysctl -w "
                   "vm.max_map_count=262144; the restarted opensearch-2 fails its bootstrap check on the node's "
                   "default 65530 and crash-loops, the products index (no replicas) loses shards and catalog-search "
                   "searches are rejected with 503s.",
        category="opensearch-max-map-count-init-dropped",
        red_herrings=[("Deployment", "catalog", "catalog-indexer")])
    return inc


ALL = [transcribe_api_queueing_page, llm_chat_crashloop, support_assistant_replicas_mismatch,
       text_embedder_latency_high, checkout_risk_score_timeouts, subtitle_jobs_backlog_grouped,
       node_pods_not_starting_question, redpanda_brokers_missing, pricing_queries_failing_page,
       datadog_agent_rollout_stuck, image_moderation_errors_question, catalog_search_errors_burn]
