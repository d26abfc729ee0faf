"""Single failing objects, in the shapes two peer projects' public test suites describe.

Issue #12 measured Vigil on cases rebuilt from k8sgpt's analyzer tests (pkg/analyzer/*_test.go) and
HolmesGPT's investigation fixtures (tests/llm/fixtures/test_ask_holmes, test_investigate). These are
OUR cases, written from the failure SHAPES those suites test (which object, which field, which
message the kubelet, scheduler or a controller writes), not copied from them: names, images, logs
and stories are ours. Each case is one broken object in its own namespace on top of the corpus
background (examples/corpus/kit.py), asked about the way on-call asks: a chat question naming only
the workload and no namespace, a KubePodCrashLooping alert, a KubeDeploymentReplicasMismatch
without a pod label, or the kube-prometheus alert that fits.

Each function's docstring is the story; the answer key names the object to fix and two or three
words a right answer must use (the image, the missing key, the StorageClass, the selector...).
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
from corpus.scenarios.batch import _job  # noqa: E402

M = timedelta(minutes=1)
LogFn = Callable[[str, datetime, datetime], str]
KSM = {"job": "kube-state-metrics"}


# ---- shared shapes -------------------------------------------------------------------------------
def _start(name: str, seed: int, ns: str, title: str, story: str) -> Incident:
    """A case at its own hour, in its own namespace, with the cluster's StorageClass and IngressClass."""
    at = datetime(2026, 11, 2, 6, 0, tzinfo=UTC) + timedelta(hours=7 * (seed - 600))
    inc = Incident(name, title=title, story=story, at=at, seed=seed, namespaces=(ns,))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}, "reclaimPolicy": "Delete",
             "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
             "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
             "spec": {"controller": "k8s.io/ingress-nginx"}})
    return inc


def _ok(msg: str) -> LogFn:
    return lambda p, s, e: L.lines(L.ticker(max(s, e - 20 * M), e, 45, lambda i, t: L.logfmt(
        t, "info", msg, n=1000 + i * 7)))


def _deploy(inc: Incident, ns: str, name: str, plans: list[P], image: str | None = None,
            replicas: int | None = None, progress: str = "progressing", fields: dict[str, Any] | None = None,
            spec: dict[str, Any] | None = None, pod_spec: dict[str, Any] | None = None) -> None:
    """One revision rolled out twenty minutes before the symptom.

    fields: o.Container's fields; spec: container-spec fields set as they are (probes, command, mounts).
    """
    container = c(name, image or f"{REGISTRY}/{ns}/{name}:1.4.2", **(fields or {}))
    inc.deployment(ns, name, [Rev(1, inc.at - 20 * M, f"kubectl apply -f {name}.yaml", [container],
                                  pod_spec=pod_spec or {}, container=spec or {})],
                   {1: plans}, progress=progress, replicas=replicas)


def _drop_events(inc: Incident, pod: str, reasons: set[str]) -> None:
    """Remove the kit's generic events for a pod whose state the case models by hand."""
    inc.cluster.events[:] = [e for e in inc.cluster.events
                             if not (e["involvedObject"].get("name") == pod and e["reason"] in reasons)]


def _ask(inc: Incident, question: str) -> None:
    inc.ask(question)
    inc.title = question


def _crashlooping(inc: Incident, ns: str, pod: str, container: str) -> None:
    inc.alertmanager("KubePodCrashLooping", {"namespace": ns, "pod": pod, "container": container, **KSM},
                     "Pod is crash looping.",
                     f'Pod {ns}/{pod} ({container}) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1', starts=inc.at + 3 * M)


def _replicas_mismatch(inc: Incident, ns: str, deployment: str, kind: str = "Deployment") -> None:
    label = kind.lower()
    name = f"Kube{kind}ReplicasMismatch"
    inc.alertmanager(name, {"namespace": ns, label: deployment, **KSM},
                     f"{kind} has not matched the expected number of replicas.",
                     f"{kind} {ns}/{deployment} has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     f'kube_{label}_spec_replicas{{job="kube-state-metrics"}} > '
                     f'kube_{label}_status_replicas_available{{job="kube-state-metrics"}}',
                     starts=inc.at + 15 * M)


def _pod_not_ready(inc: Incident, ns: str, pod: str) -> None:
    inc.alertmanager("KubePodNotReady", {"namespace": ns, "pod": pod, **KSM},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod) (max by(namespace, pod) (kube_pod_status_phase{job='
                     '"kube-state-metrics", phase=~"Pending|Unknown|Failed"})) > 0', starts=inc.at + 15 * M)


def _key(inc: Incident, culprit: tuple[str, str, str], keywords: list[str], cause: str, category: str) -> Incident:
    inc.answer_key(culprit=culprit, keywords=keywords, root_cause=cause, category=category, red_herrings=[])
    return inc


def _first_pod(inc: Incident, ns: str, workload: str) -> str:
    return inc.pods_of(ns, workload)[0].name


def _nodes(inc: Incident) -> int:
    return len(inc.node_names())


# ---- pods ----------------------------------------------------------------------------------------
def crashloop_missing_env() -> Incident:
    """A worker exits at start because DEPLOY_ENV is not set in its Deployment (k8sgpt pod, Holmes crashpod)."""
    ns, name = "payments-batch", "payment-processing-worker"
    inc = _start("ask-payment-worker", 600, ns, "", crashloop_missing_env.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([(s, "starting payment-processing-worker 2.3.0"),  # noqa: E731
                                          (s, "ERROR: environment variable DEPLOY_ENV is undefined; refusing "
                                              "to start (expected one of: staging, production)")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 0.5)], replicas=1)
    _ask(inc, "What is the issue with payment-processing-worker?")
    return _key(inc, ("Deployment", ns, name), ["DEPLOY_ENV", "undefined"],
                "payment-processing-worker exits at start (exit 1) because DEPLOY_ENV is undefined in its "
                "Deployment; it is in CrashLoopBackOff.", "crashloop-missing-env")


def image_not_found() -> Incident:
    """The Deployment names an image tag nobody pushed: ErrImagePull / ImagePullBackOff, not found."""
    ns, name = "crm", "customer-relations-webapp"
    inc = _start("ask-customer-relations", 601, ns, "", image_not_found.__doc__ or "")
    image = "docker.io/yourcompany/crw:latest"
    msg = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{image}": failed to resolve reference "{image}": {image}: not found')
    _deploy(inc, ns, name, [P("waiting", waiting_reason="ImagePullBackOff", message=msg)] * 2, image=image)
    _ask(inc, "What is the issue with customer-relations-webapp?")
    return _key(inc, ("Deployment", ns, name), ["yourcompany/crw:latest", "not found"],
                "The image docker.io/yourcompany/crw:latest is not found in the registry, so the pods stay in "
                "ImagePullBackOff.", "image-not-found")


def image_pull_unauthorized() -> Incident:
    """A private registry refuses the pull: 401 Unauthorized, and the pod has no imagePullSecret."""
    ns, name = "ledger", "ledger-api"
    inc = _start("ledger-api-replicas", 602, ns, "KubeDeploymentReplicasMismatch ledger/ledger-api",
                 image_pull_unauthorized.__doc__ or "")
    image = "ghcr.io/acme-internal/ledger-api:3.1.0"
    msg = (f'Failed to pull image "{image}": rpc error: code = Unknown desc = failed to pull and unpack image '
           f'"{image}": failed to resolve reference "{image}": failed to authorize: failed to fetch anonymous '
           'token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme-internal'
           '%2Fledger-api%3Apull&service=ghcr.io: 401 Unauthorized')
    _deploy(inc, ns, name, [P("waiting", waiting_reason="ErrImagePull", message=msg)] * 2, image=image)
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["401 Unauthorized", "imagePullSecret"],
                "The registry ghcr.io answers 401 Unauthorized for ledger-api:3.1.0 and the pod has no "
                "imagePullSecret, so the pull fails.", "image-pull-unauthorized")


def invalid_image_name() -> Incident:
    """An image reference with capitals: InvalidImageName, the kubelet never pulls it."""
    ns, name = "catalog", "catalog-sync"
    inc = _start("ask-catalog-sync", 603, ns, "", invalid_image_name.__doc__ or "")
    image = f"{REGISTRY}/Catalog/Catalog-Sync:2.0"
    msg = (f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": invalid '
           'reference format: repository name (Catalog/Catalog-Sync) must be lowercase')
    _deploy(inc, ns, name, [P("waiting", waiting_reason="InvalidImageName", message=msg)], image=image, replicas=1)
    _ask(inc, "why is catalog-sync not starting?")
    return _key(inc, ("Deployment", ns, name), ["invalid reference format", "lowercase"],
                "The image reference has capital letters: invalid reference format, the repository name must be "
                "lowercase (InvalidImageName).", "invalid-image-name")


def missing_secret() -> Incident:
    """The database pod references Secret database-secret, which does not exist (CreateContainerConfigError)."""
    ns, name = "inventory", "inventory-db"
    inc = _start("ask-inventory-db", 604, ns, "", missing_secret.__doc__ or "")
    env = [{"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "database-secret",
                                                                         "key": "password"}}}]
    _deploy(inc, ns, name, [P("waiting", waiting_reason="CreateContainerConfigError",
                              message='secret "database-secret" not found')],
            image="docker.io/library/postgres:16.4", replicas=1, fields={"env": env, "port": 5432})
    _ask(inc, "Why is the inventory-db pod failing to start?")
    return _key(inc, ("Deployment", ns, name), ["database-secret", "not found"],
                "inventory-db takes POSTGRES_PASSWORD from Secret database-secret, which is not found in the "
                "namespace: CreateContainerConfigError.", "missing-secret")


def missing_configmap_key() -> Incident:
    """The app reads LOG_LEVEL from a ConfigMap that lacks the key (CreateContainerConfigError)."""
    ns, name = "notify", "notification-sender"
    inc = _start("notification-sender-replicas", 605, ns, "KubeDeploymentReplicasMismatch notify",
                 missing_configmap_key.__doc__ or "")
    inc.configmap(ns, "sender-config", {"SMTP_HOST": "smtp.internal", "BATCH_SIZE": "50"})
    env = [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "sender-config", "key": "LOG_LEVEL"}}}]
    _deploy(inc, ns, name, [P("waiting", waiting_reason="CreateContainerConfigError",
                              message=f"couldn't find key LOG_LEVEL in ConfigMap {ns}/sender-config")] * 2,
            fields={"env": env})
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["LOG_LEVEL", "sender-config"],
                "notification-sender reads LOG_LEVEL from ConfigMap sender-config, which has no such key, so its "
                "containers are never created.", "missing-configmap-key")


def configmap_volume_missing() -> Incident:
    """app-server stuck in ContainerCreating: it mounts ConfigMap app-config, which does not exist."""
    ns, name = "portal", "app-server"
    inc = _start("ask-app-server-creating", 606, ns, "", configmap_volume_missing.__doc__ or "")
    _deploy(inc, ns, name, [P("waiting", waiting_reason="ContainerCreating")], replicas=1,
            pod_spec={"volumes": [{"name": "config", "configMap": {"name": "app-config"}}]},
            spec={"volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]})
    pod = _first_pod(inc, ns, name)
    _drop_events(inc, pod, {"Pulled", "Failed"})
    h = inc.pods_of(ns, name)[0]
    inc.cluster.add_event(inc.cluster.pod_object(h), "FailedMount",
                          'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found',
                          h.created + timedelta(seconds=2), inc.captured - M, count=17, type_="Warning",
                          host=h.node)
    _ask(inc, "Why is the app-server pod stuck in ContainerCreating?")
    return _key(inc, ("Deployment", ns, name), ["app-config", "not found"],
                "app-server mounts ConfigMap app-config as a volume, and that ConfigMap is not found in the "
                "namespace, so the kubelet cannot set up the volume.", "configmap-volume-missing")


def pending_node_selector() -> Incident:
    """The import job's pods ask for a node label no node has: FailedScheduling, node affinity/selector."""
    ns, name = "profiles", "user-profile-import"
    inc = _start("ask-user-profile-import", 607, ns, "", pending_node_selector.__doc__ or "")
    n = _nodes(inc)
    msg = (f"0/{n} nodes are available: {n} node(s) didn't match Pod's node affinity/selector. preemption: "
           f"0/{n} nodes are available: {n} Preemption is not helpful for scheduling.")
    _deploy(inc, ns, name, [P("pending", message=msg)], replicas=1, pod_spec={"nodeSelector": {"label": "someval"}})
    _ask(inc, "What is the issue with user-profile-import")
    return _key(inc, ("Deployment", ns, name), ["node affinity/selector", "label=someval"],
                "user-profile-import's nodeSelector label=someval matches no node: didn't match Pod's node "
                "affinity/selector, so it stays Pending.", "pending-node-selector")


def pending_insufficient_gpu() -> Incident:
    """The pod requests a GPU no node offers: Insufficient nvidia.com/gpu."""
    ns, name = "ml-serving", "user-profile-resources"
    inc = _start("ask-user-profile-resources", 608, ns, "", pending_insufficient_gpu.__doc__ or "")
    n = _nodes(inc)
    msg = (f"0/{n} nodes are available: {n} Insufficient nvidia.com/gpu. preemption: 0/{n} nodes are available: "
           f"{n} No preemption victims found for incoming pod.")
    _deploy(inc, ns, name, [P("pending", message=msg)], replicas=1,
            spec={"resources": {"requests": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "5"},
                                     "limits": {"nvidia.com/gpu": "5", "memory": "1Gi"}}})
    _ask(inc, "What is the issue with user-profile-resources")
    return _key(inc, ("Deployment", ns, name), ["Insufficient", "nvidia.com/gpu"],
                "user-profile-resources requests 5 nvidia.com/gpu and no node has them: Insufficient "
                "nvidia.com/gpu, the pod stays Pending.", "pending-insufficient-gpu")


def pending_anti_affinity() -> Incident:
    """Required pod anti-affinity with more replicas than nodes leaves the surplus Pending."""
    ns, name = "birds", "silver-puffin"
    inc = _start("silver-puffin-replicas", 609, ns, "KubeDeploymentReplicasMismatch birds/silver-puffin",
                 pending_anti_affinity.__doc__ or "")
    n = _nodes(inc)
    msg = (f"0/{n} nodes are available: {n} node(s) didn't match pod anti-affinity rules. preemption: 0/{n} "
           f"nodes are available: {n} No preemption victims found for incoming pod.")
    aff = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": "kubernetes.io/hostname"}]}}
    nodes = inc.node_names()
    plans = [P(log=_ok("served"), node=nodes[i]) for i in range(n)] + [P("pending", message=msg)] * 2
    _deploy(inc, ns, name, plans, pod_spec={"affinity": aff})
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["anti-affinity", "kubernetes.io/hostname"],
                f"silver-puffin wants {n + 2} replicas with required pod anti-affinity on kubernetes.io/hostname "
                f"but there are {n} nodes: the rest stay Pending.", "pending-anti-affinity")


def oom_killed() -> Incident:
    """An exporter's memory limit is far below what it needs: OOMKilled, exit 137, over and over."""
    ns, name = "analytics", "analytics-exporter-fast"
    inc = _start("analytics-exporter-crashlooping", 610, ns, "KubePodCrashLooping analytics",
                 oom_killed.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 2, lambda i, t: L.logfmt(  # noqa: E731
        t, "info", "buffered rows", rows=50000 * (i + 1))))
    _deploy(inc, ns, name, [P("crashloop", log=log, reason="OOMKilled", exit_code=137, run_s=lambda n: 9.0)],
            replicas=1, fields={"memory_limit": "64Mi", "memory_request": "64Mi"})
    pod = _first_pod(inc, ns, name)
    _crashlooping(inc, ns, pod, name)
    inc.pod_series(inc.pods_of(ns, name))
    return _key(inc, ("Deployment", ns, name), ["OOMKilled", "64Mi"],
                "analytics-exporter-fast is OOMKilled (exit 137) against its 64Mi memory limit.", "oom-killed")


def crash_module_missing() -> Incident:
    """A Python image shipped without a dependency: ModuleNotFoundError at import, CrashLoopBackOff."""
    ns, name = "reports", "report-builder"
    inc = _start("report-builder-crashlooping", 611, ns, "KubePodCrashLooping reports",
                 crash_module_missing.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, "Traceback (most recent call last):"),
        (s, '  File "/app/main.py", line 4, in <module>'),
        (s, "    import requests"),
        (s, "ModuleNotFoundError: No module named 'requests'")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 1.0)] * 2)
    _crashlooping(inc, ns, _first_pod(inc, ns, name), name)
    return _key(inc, ("Deployment", ns, name), ["ModuleNotFoundError", "requests"],
                "report-builder's image lacks the requests package: ModuleNotFoundError at import, so it "
                "crash-loops.", "crash-module-missing")


def crash_db_refused() -> Incident:
    """The API cannot reach its database at start and exits: the log line names host and port."""
    ns, name = "orders", "orders-api"
    inc = _start("ask-orders-api", 612, ns, "", crash_db_refused.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, L.js(s, "info", "connecting to database", host="orders-postgres", port=5433)),
        (s, L.js(s, "fatal", "dial tcp 10.96.44.12:5433: connect: connection refused", component="db"))])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 2.0)] * 2)
    _ask(inc, "what is wrong with orders-api?")
    return _key(inc, ("Deployment", ns, name), ["5433", "connection refused"],
                "orders-api exits at start: connecting to its database on port 5433 gets connection refused.",
                "crash-db-refused")


def start_error_missing_binary() -> Incident:
    """The command points at a script the image does not have: StartError, exit 128, no such file."""
    ns, name = "media", "thumbnailer"
    inc = _start("thumbnailer-crashlooping", 613, ns, "KubePodCrashLooping media",
                 start_error_missing_binary.__doc__ or "")
    _deploy(inc, ns, name, [P("crashloop", reason="StartError", exit_code=128, run_s=lambda n: 0.0)],
            replicas=1, spec={"command": ["/app/start.sh"]})
    err = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
           'failed: unable to start container process: exec: "/app/start.sh": stat /app/start.sh: no such file or '
           'directory: unknown')
    pod = inc.pods_of(ns, name)[0]

    def patch(obj: dict[str, Any]) -> None:
        cs = obj["status"]["containerStatuses"][0]
        last = cs.get("lastState", {}).get("terminated")
        if last:
            last["message"] = err
    inc.cluster.patch(ns, pod.name, patch)
    _crashlooping(inc, ns, pod.name, name)
    return _key(inc, ("Deployment", ns, name), ["/app/start.sh", "no such file"],
                "The container command /app/start.sh does not exist in the image: no such file or directory "
                "(StartError, exit 128).", "start-error-missing-binary")


def init_container_typo() -> Incident:
    """The init container runs `wge` (a typo for wget): sh: wge: not found, exit 127, Init:CrashLoopBackOff."""
    ns, name = "observability", "logging-agent"
    inc = _start("ask-logging-agent", 614, ns, "", init_container_typo.__doc__ or "")
    init = {"name": "downloader", "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", "wge -O /work/agent.tar.gz https://downloads.example.com/agent.tar.gz"],
            "volumeMounts": [{"name": "work", "mountPath": "/work"}]}
    _deploy(inc, ns, name, [P("waiting", waiting_reason="PodInitializing")], replicas=1,
            pod_spec={"initContainers": [init], "volumes": [{"name": "work", "emptyDir": {}}]})
    h = inc.pods_of(ns, name)[0]
    _drop_events(inc, h.name, {"Pulled", "Failed"})
    started = inc.captured - 2 * M

    def patch(obj: dict[str, Any]) -> None:
        st = obj["status"]
        st["initContainerStatuses"] = [{
            "name": "downloader", "image": init["image"], "imageID": "", "ready": False, "restartCount": 7,
            "started": False,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed "
                                  f"container=downloader pod={h.name}_{ns}({obj['metadata']['uid']})"}},
            "lastState": {"terminated": {"exitCode": 127, "reason": "Error", "startedAt": ts(started),
                                         "finishedAt": ts(started)}}}]
        for cond in st.get("conditions", []):
            if cond["type"] == "Initialized":
                cond.update({"status": "False", "reason": "ContainersNotInitialized",
                             "message": "containers with incomplete status: [downloader]"})
    inc.cluster.patch(ns, h.name, patch)
    inc.log_block(ns, h.name, "downloader", L.lines([(started, "sh: wge: not found")]), previous=True)
    inc.log_block(ns, h.name, "downloader", L.lines([(started, "sh: wge: not found")]))
    obj = inc.cluster.pod_object(h)
    inc.cluster.add_event(obj, "BackOff", f"Back-off restarting failed container downloader in pod "
                          f"{h.name}_{ns}({obj['metadata']['uid']})", h.created + M, inc.captured - M, count=30,
                          type_="Warning", host=h.node, field_path="spec.initContainers{downloader}")
    _ask(inc, "What is the issue with logging-agent?")
    return _key(inc, ("Deployment", ns, name), ["downloader", "wge"],
                "The init container downloader runs `wge` (a typo for wget): sh: wge: not found, exit 127, so "
                "the pod never initializes.", "init-container-failing")


def readiness_failing() -> Incident:
    """search-engine runs but never turns ready: its readiness probe gets HTTP 503."""
    ns, name = "search", "search-engine"
    inc = _start("search-engine-not-ready", 615, ns, "KubePodNotReady search", readiness_failing.__doc__ or "")
    _deploy(inc, ns, name, [P("notready", log=_ok("warming index"),
                              message="Readiness probe failed: HTTP probe failed with statuscode: 503")],
            replicas=1)
    _pod_not_ready(inc, ns, _first_pod(inc, ns, name))
    return _key(inc, ("Deployment", ns, name), ["Readiness probe", "503"],
                "search-engine's Readiness probe on /healthz/ready fails with HTTP 503, so the pod is never "
                "ready.", "readiness-failing")


def liveness_wrong_port() -> Incident:
    """The liveness probe checks a port nothing listens on: the kubelet kills a healthy app again and again."""
    ns, name = "gateway", "edge-proxy"
    inc = _start("edge-proxy-crashlooping", 616, ns, "KubePodCrashLooping gateway", liveness_wrong_port.__doc__ or "")
    probe = {"httpGet": {"path": "/healthz", "port": 9091, "scheme": "HTTP"}, "periodSeconds": 10,
             "failureThreshold": 3, "timeoutSeconds": 1}
    _deploy(inc, ns, name, [P("crashloop", log=_ok("proxying"), exit_code=137, reason="Error",
                              run_s=lambda n: 40.0,
                              liveness_kill='Liveness probe failed: Get "http://{ip}:9091/healthz": dial tcp '
                                            '{ip}:9091: connect: connection refused')], replicas=1,
            spec={"livenessProbe": probe})
    _crashlooping(inc, ns, _first_pod(inc, ns, name), name)
    return _key(inc, ("Deployment", ns, name), ["Liveness", "9091"],
                "edge-proxy's Liveness probe targets port 9091 where nothing listens (connection refused), so "
                "the kubelet restarts it.", "liveness-wrong-port")


# ---- workloads -----------------------------------------------------------------------------------
def statefulset_missing_storage_class() -> Incident:
    """A StatefulSet's volumeClaimTemplate names StorageClass fast-ssd, which does not exist."""
    ns, name = "cache", "redis"
    inc = _start("redis-statefulset-replicas", 617, ns, "KubeStatefulSetReplicasMismatch cache/redis",
                 statefulset_missing_storage_class.__doc__ or "")
    n = _nodes(inc)
    msg = (f"0/{n} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/{n} "
           f"nodes are available: {n} Preemption is not helpful for scheduling.")
    wl = inc.statefulset(ns, name, [c("redis", "docker.io/library/redis:7.2.5", port=6379, readiness_path=None,
                                      liveness_path=None)], [P("pending", message=msg)], inc.at - 20 * M)
    wl.obj["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "fast-ssd",
        "resources": {"requests": {"storage": "8Gi"}}}}]
    claim = inc.pvc(ns, "data-redis-0", "8Gi", "fast-ssd", labels={"app": name}, phase="Pending")
    inc.cluster.patch(ns, "redis-0", lambda p: p["spec"].setdefault("volumes", []).append(
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-redis-0"}}))
    inc.event(claim, "ProvisioningFailed", 'storageclass.storage.k8s.io "fast-ssd" not found', inc.at - 19 * M,
              inc.captured - M, count=60, component="persistentvolume-controller")
    _replicas_mismatch(inc, ns, name, "StatefulSet")
    return _key(inc, ("StatefulSet", ns, name), ["fast-ssd", "not found"],
                "redis's volumeClaimTemplate asks for StorageClass fast-ssd, which is not found; its claim stays "
                "Pending and redis-0 cannot be scheduled.", "statefulset-missing-storage-class")


def pvc_missing_storage_class() -> Incident:
    """A Deployment's PVC names StorageClass standard-rwo, which this cluster does not have."""
    ns, name = "wiki", "wiki-db"
    inc = _start("ask-wiki-db", 618, ns, "", pvc_missing_storage_class.__doc__ or "")
    n = _nodes(inc)
    msg = (f"0/{n} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/{n} "
           f"nodes are available: {n} Preemption is not helpful for scheduling.")
    _deploy(inc, ns, name, [P("pending", message=msg)], image="docker.io/library/mariadb:11.4", replicas=1,
            pod_spec={"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "wiki-db-data"}}]})
    claim = inc.pvc(ns, "wiki-db-data", "20Gi", "standard-rwo", phase="Pending")
    inc.event(claim, "ProvisioningFailed", 'storageclass.storage.k8s.io "standard-rwo" not found', inc.at - 19 * M,
              inc.captured - M, count=60, component="persistentvolume-controller")
    _ask(inc, "Why is the wiki database not running?")
    return _key(inc, ("PersistentVolumeClaim", ns, "wiki-db-data"), ["standard-rwo", "not found"],
                "PVC wiki-db-data requests StorageClass standard-rwo, which is not found, so it stays Pending "
                "and wiki-db cannot be scheduled.", "pvc-missing-storage-class")


def daemonset_image_pull() -> Incident:
    """A node agent DaemonSet rolled to a tag that does not exist: manifest unknown on every node."""
    ns, name = "node-agents", "node-problem-reporter"
    inc = _start("node-problem-reporter-rollout", 619, ns, "KubeDaemonSetRolloutStuck node-agents",
                 daemonset_image_pull.__doc__ or "")
    image = f"{REGISTRY}/platform/node-problem-reporter:0.9.13"
    pods = inc.cluster.daemonset(ns, name, image, inc.at - 20 * M)
    ds = inc.find("DaemonSet", ns, name)
    n = len(pods)
    ds["status"].update({"numberReady": 0, "numberAvailable": 0, "numberUnavailable": n})
    msg = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{image}": failed to resolve reference "{image}": {image}: not found')
    for h in pods:
        h.states[0] = o.ContainerState(waiting_reason="ImagePullBackOff", waiting_message=f'Back-off pulling image '
                                       f'"{image}": {msg}', ready=False)
        h.ready = lambda t: False
        h.memory = None
        obj = inc.cluster.pod_object(h)
        inc.cluster.add_event(obj, "Failed", msg, inc.at - 19 * M, inc.captured - M, count=8, type_="Warning",
                              host=h.node, field_path=f"spec.containers{{{name}}}")
    inc.alertmanager("KubeDaemonSetRolloutStuck", {"namespace": ns, "daemonset": name, **KSM},
                     "DaemonSet rollout is stuck.",
                     f"DaemonSet {ns}/{name} has not finished or progressed for at least 15m.",
                     'kube_daemonset_status_number_available{job="kube-state-metrics"} != '
                     'kube_daemonset_status_desired_number_scheduled{job="kube-state-metrics"}',
                     starts=inc.at + 15 * M)
    return _key(inc, ("DaemonSet", ns, name), ["0.9.13", "not found"],
                "The DaemonSet's image node-problem-reporter:0.9.13 is not found in the registry; every pod is "
                "in ImagePullBackOff.", "daemonset-image-pull")


def replicaset_missing_service_account() -> Incident:
    """The Deployment names ServiceAccount sync-worker-sa, which does not exist: ReplicaSet FailedCreate."""
    ns, name = "sync", "sync-worker"
    inc = _start("sync-worker-replicas", 620, ns, "KubeDeploymentReplicasMismatch sync",
                 replicaset_missing_service_account.__doc__ or "")
    inc.deployment(ns, name, [Rev(1, inc.at - 20 * M, "kubectl apply -f sync-worker.yaml",
                                  [c(name, f"{REGISTRY}/sync/sync-worker:5.0.1")],
                                  pod_spec={"serviceAccountName": "sync-worker-sa"})], {1: []}, replicas=2,
                   progress="progressing")
    rs_name = next(o_["metadata"]["name"] for o_ in inc.cluster.objects
                   if o_["kind"] == "ReplicaSet" and o_["metadata"]["name"].startswith(name + "-"))
    rs = inc.find("ReplicaSet", ns, rs_name)
    rs["status"]["conditions"] = [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                   "message": f'pods "{rs_name}-" is forbidden: error looking up service account '
                                              f'{ns}/sync-worker-sa: serviceaccount "sync-worker-sa" not found',
                                   "lastTransitionTime": ts(inc.at - 19 * M)}]
    inc.event(rs, "FailedCreate", f'Error creating: pods "{rs_name}-" is forbidden: error looking up service '
              f'account {ns}/sync-worker-sa: serviceaccount "sync-worker-sa" not found', inc.at - 19 * M,
              inc.captured - M, count=24, component="replicaset-controller")
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["sync-worker-sa", "not found"],
                "sync-worker's pod template names ServiceAccount sync-worker-sa, which is not found: the "
                "ReplicaSet cannot create any pod (FailedCreate).", "replicaset-failed-create")


# ---- services and routing ------------------------------------------------------------------------
def service_selector_version() -> Incident:
    """The backend Service selects version v2 while the pods are labelled v1: no endpoints."""
    ns = "shop-backend"
    inc = _start("ask-backend-service", 621, ns, "", service_selector_version.__doc__ or "")
    inc.deployment(ns, "backend", [Rev(1, inc.at - timedelta(days=3), "helm upgrade backend",
                                       [c("backend", f"{REGISTRY}/shop/backend:1.0.0")])],
                   {1: [P(log=_ok("served")), P(log=_ok("served"))]}, labels={"version": "v1"})
    for h in inc.pods_of(ns, "backend"):
        h.labels["version"] = "v1"
    inc.service(ns, "backend-api", {"app": "backend", "version": "v2"})
    _ask(inc, "Why can't the frontend connect to backend-api?")
    return _key(inc, ("Service", ns, "backend-api"), ["selector", "version"],
                "Service backend-api's selector wants version=v2 but the backend pods are labelled version=v1, "
                "so it has no endpoints.", "service-selector-mismatch")


def service_no_pods() -> Incident:
    """A Service selects app=ledger-reader, a workload that was never deployed: no endpoints at all."""
    ns = "accounting"
    inc = _start("ask-ledger-reader", 622, ns, "", service_no_pods.__doc__ or "")
    inc.deployment(ns, "ledger", [Rev(1, inc.at - timedelta(days=3), "helm upgrade ledger",
                                      [c("ledger", f"{REGISTRY}/acct/ledger:2.2.0")])],
                   {1: [P(log=_ok("posted"))]})
    inc.service(ns, "ledger-reader", {"app": "ledger-reader"})
    _ask(inc, "what is wrong with ledger-reader?")
    return _key(inc, ("Service", ns, "ledger-reader"), ["app=ledger-reader", "endpoints"],
                "Service ledger-reader selects app=ledger-reader but no pod has that label: it has no endpoints.",
                "service-no-pods")


def ingress_missing_service() -> Incident:
    """An Ingress routes / to Service storefront-web, which does not exist (the Service is storefront)."""
    ns = "storefront"
    inc = _start("ask-storefront-ingress", 623, ns, "", ingress_missing_service.__doc__ or "")
    inc.deployment(ns, "storefront", [Rev(1, inc.at - timedelta(days=3), "helm upgrade storefront",
                                          [c("storefront", f"{REGISTRY}/web/storefront:4.1.0")])],
                   {1: [P(log=_ok("rendered"))]})
    inc.service(ns, "storefront", {"app": "storefront"})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "storefront", "namespace": ns},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "storefront-web",
                                                                              "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "lb-1.elb.example.com"}]}}})
    _ask(inc, "shop.example.com returns 503, why?")
    return _key(inc, ("Ingress", ns, "storefront"), ["storefront-web", "not found"],
                "Ingress storefront routes to Service storefront-web, which is not found (the Service is "
                "storefront).", "ingress-missing-service")


def ingress_missing_tls_secret() -> Incident:
    """An Ingress names TLS secret docs-tls, which does not exist: the controller serves its fake certificate."""
    ns = "docs"
    inc = _start("ask-docs-certificate", 624, ns, "", ingress_missing_tls_secret.__doc__ or "")
    inc.deployment(ns, "docs-site", [Rev(1, inc.at - timedelta(days=3), "helm upgrade docs-site",
                                         [c("docs-site", f"{REGISTRY}/web/docs-site:7.0.0")])],
                   {1: [P(log=_ok("served"))]})
    inc.service(ns, "docs-site", {"app": "docs-site"})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "docs-site", "namespace": ns},
             "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["docs.example.com"], "secretName": "docs-tls"}],
                      "rules": [{"host": "docs.example.com", "http": {"paths": [
                          {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "docs-site",
                                                                                       "port": {"number": 80}}}}]}}]}})
    _ask(inc, "browsers say the certificate for docs-site is invalid, what is wrong?")
    return _key(inc, ("Ingress", ns, "docs-site"), ["docs-tls", "secret"],
                "Ingress docs-site names TLS secret docs-tls, which does not exist, so the controller serves its "
                "default certificate.", "ingress-missing-tls-secret")


def ingress_missing_class() -> Incident:
    """The Ingress asks for class example-ingress-class, which no controller serves: nothing routes app.example.com."""
    ns = "public"
    inc = _start("ask-app-example-com", 625, ns, "", ingress_missing_class.__doc__ or "")
    inc.deployment(ns, "app", [Rev(1, inc.at - timedelta(days=3), "helm upgrade app",
                                   [c("app", f"{REGISTRY}/web/app:1.0.0")])], {1: [P(log=_ok("served"))]})
    inc.service(ns, "app", {"app": "app"})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "app-ingress", "namespace": ns},
             "spec": {"ingressClassName": "example-ingress-class", "rules": [{"host": "app.example.com", "http": {
                 "paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}]}})
    _ask(inc, "Services outside the cluster cannot reach app.example.com, why?")
    return _key(inc, ("Ingress", ns, "app-ingress"), ["example-ingress-class", "IngressClass"],
                "Ingress app-ingress uses IngressClass example-ingress-class, which does not exist, so no "
                "controller serves it.", "ingress-missing-class")


def httproute_missing_backend() -> Incident:
    """A Gateway API HTTPRoute points at Service checkout-v2, which does not exist: ResolvedRefs False."""
    ns = "edge"
    inc = _start("ask-checkout-route", 626, ns, "", httproute_missing_backend.__doc__ or "")
    _gateway_crds(inc)
    inc.deployment(ns, "checkout", [Rev(1, inc.at - timedelta(days=3), "helm upgrade checkout",
                                        [c("checkout", f"{REGISTRY}/shop/checkout:3.3.0")])],
                   {1: [P(log=_ok("served"))]})
    inc.service(ns, "checkout", {"app": "checkout"})
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": "public", "namespace": ns},
             "spec": {"gatewayClassName": "envoy", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
             "status": {"conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed",
                                        "message": "Address assigned",
                                        "lastTransitionTime": ts(inc.at - timedelta(days=9))}]}})
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "checkout-route", "namespace": ns},
             "spec": {"parentRefs": [{"name": "public"}], "hostnames": ["checkout.example.com"],
                      "rules": [{"backendRefs": [{"name": "checkout-v2", "port": 8080}]}]},
             "status": {"parents": [{"parentRef": {"name": "public"}, "controllerName": "gateway.envoyproxy.io/"
                                     "gatewayclass-controller", "conditions": [
                 {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "Route is accepted",
                  "lastTransitionTime": ts(inc.at - 20 * M)},
                 {"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound",
                  "message": f"Failed to process route rule 0 backendRef 0: service {ns}/checkout-v2 not found.",
                  "lastTransitionTime": ts(inc.at - 20 * M)}]}]}})
    _ask(inc, "checkout.example.com answers 500 for everything, what is wrong?")
    return _key(inc, ("HTTPRoute", ns, "checkout-route"), ["checkout-v2", "not found"],
                "HTTPRoute checkout-route sends traffic to Service checkout-v2, which is not found "
                "(ResolvedRefs False, BackendNotFound).", "httproute-missing-backend")


# ---- autoscaling ---------------------------------------------------------------------------------
def hpa_missing_target() -> Incident:
    """An HPA scales Deployment golden-eagle-v2, which does not exist (the Deployment is golden-eagle)."""
    ns = "raptors"
    inc = _start("ask-golden-eagle-hpa", 627, ns, "", hpa_missing_target.__doc__ or "")
    inc.deployment(ns, "golden-eagle", [Rev(1, inc.at - timedelta(days=3), "helm upgrade golden-eagle",
                                            [c("golden-eagle", f"{REGISTRY}/birds/golden-eagle:1.1.0")])],
                   {1: [P(log=_ok("served"))]})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "golden-eagle", "namespace": ns},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "golden-eagle-v2"},
                      "minReplicas": 2, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                          "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
             "status": {"currentReplicas": 0, "desiredReplicas": 0, "conditions": [
                 {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
                  "message": "the HPA controller was unable to get the target's current scale: "
                             'deployments/scale.apps "golden-eagle-v2" not found',
                  "lastTransitionTime": ts(inc.at - 20 * M)}]}})
    _ask(inc, "Why isn't golden-eagle scaling?")
    return _key(inc, ("HorizontalPodAutoscaler", ns, "golden-eagle"), ["golden-eagle-v2", "not found"],
                "HPA golden-eagle's scaleTargetRef is Deployment golden-eagle-v2, which is not found, so it "
                "scales nothing.", "hpa-missing-target")


def hpa_missing_requests() -> Incident:
    """An HPA on CPU utilization cannot compute it: the pods have no CPU request."""
    ns, name = "hawks", "red-tail"
    inc = _start("ask-red-tail-scaling", 628, ns, "", hpa_missing_requests.__doc__ or "")
    inc.deployment(ns, name, [Rev(1, inc.at - timedelta(days=3), "helm upgrade red-tail",
                                  [c(name, f"{REGISTRY}/birds/red-tail:2.0.0")],
                                  container={"resources": {"limits": {"memory": "256Mi"}}})],
                   {1: [P(log=_ok("served"))]})
    pod = _first_pod(inc, ns, name)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": name, "namespace": ns},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                      "minReplicas": 1, "maxReplicas": 8, "metrics": [{"type": "Resource", "resource": {
                          "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]},
             "status": {"currentReplicas": 1, "desiredReplicas": 1, "conditions": [
                 {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                  "message": "the HPA controller was able to get the target's current scale",
                  "lastTransitionTime": ts(inc.at - timedelta(days=3))},
                 {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                  "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                             f"missing request for cpu in container {name} of Pod {pod}",
                  "lastTransitionTime": ts(inc.at - timedelta(days=3))}]}})
    _ask(inc, "Why isn't red-tail scaling despite high CPU usage?")
    return _key(inc, ("HorizontalPodAutoscaler", ns, name), ["missing request for cpu", "request"],
                "The HPA cannot compute CPU utilization: missing request for cpu in the red-tail container "
                "(no CPU request defined), so it never scales.", "hpa-no-metrics")


# ---- batch ---------------------------------------------------------------------------------------
def job_backoff_db() -> Incident:
    """A checker Job cannot reach prod-db:3333 and fails until its backoff limit."""
    ns, name = "checks", "java-api-checker"
    inc = _start("ask-java-api-checker", 629, ns, "", job_backoff_db.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, L.spring(s, "INFO", "c.e.checker.Main", "Checking API database connectivity")),
        (s, L.spring(s, "ERROR", "c.e.checker.Main", "Database connection failed: Connection to prod-db:3333 "
                     "refused. Check that the hostname and port are correct and that the postmaster is accepting "
                     "TCP/IP connections."))])
    _job(inc, ns, name, c("checker", f"{REGISTRY}/checks/java-api-checker:1.0.3"), inc.at - 15 * M,
         [4.0, 4.0, 4.0, 4.0], log, backoff_limit=3)
    _ask(inc, "What is the issue with job java-api-checker")
    return _key(inc, ("Job", ns, name), ["prod-db:3333", "refused"],
                "java-api-checker fails to connect to the database at prod-db:3333 (connection refused) and hit "
                "its backoff limit.", "job-backoff-limit")


def job_deadline_exceeded() -> Incident:
    """A export Job runs past activeDeadlineSeconds and is killed: DeadlineExceeded."""
    ns, name = "exports", "nightly-export-29211"
    inc = _start("ask-nightly-export", 630, ns, "", job_deadline_exceeded.__doc__ or "")
    started = inc.at - 10 * M
    end = started + timedelta(seconds=300)
    inc.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns,
                                                                    "labels": {"job-name": name}},
             "spec": {"backoffLimit": 6, "activeDeadlineSeconds": 300, "completions": 1, "parallelism": 1,
                      "template": {"metadata": {"labels": {"job-name": name}}, "spec": {
                          "restartPolicy": "Never",
                          "containers": [c("export", f"{REGISTRY}/data/exporter:0.8.0").spec()]}}},
             "status": {"failed": 1, "startTime": ts(started), "conditions": [
                 {"type": "FailureTarget", "status": "True", "reason": "DeadlineExceeded",
                  "message": "Job was active longer than specified deadline", "lastTransitionTime": ts(end)},
                 {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                  "message": "Job was active longer than specified deadline", "lastTransitionTime": ts(end)}]}})
    job = inc.find("Job", ns, name)
    inc.event(job, "DeadlineExceeded", "Job was active longer than specified deadline", end, end,
              component="job-controller")
    _ask(inc, "why did nightly-export-29211 fail?")
    return _key(inc, ("Job", ns, name), ["DeadlineExceeded", "deadline"],
                "Job nightly-export-29211 ran past its activeDeadlineSeconds of 300 and was stopped: "
                "DeadlineExceeded (active longer than specified deadline).", "job-deadline-exceeded")


def cronjob_suspended() -> Incident:
    """The nightly report did not run: its CronJob was suspended during an incident and never resumed."""
    ns, name = "reporting", "nightly-report"
    inc = _start("ask-nightly-report", 631, ns, "", cronjob_suspended.__doc__ or "")
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
             "spec": {"schedule": "0 2 * * *", "suspend": True, "concurrencyPolicy": "Forbid",
                      "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                          c("report", f"{REGISTRY}/data/report:2.4.0").spec()]}}}}},
             "status": {"lastScheduleTime": ts(inc.at - timedelta(days=3, hours=4)),
                        "lastSuccessfulTime": ts(inc.at - timedelta(days=3, hours=3, minutes=40))}})
    _ask(inc, "why hasn't nightly-report produced anything for three days?")
    return _key(inc, ("CronJob", ns, name), ["suspend"],
                "CronJob nightly-report has spec.suspend true, so no job has been scheduled for three days.",
                "cronjob-suspended")


# ---- policy and admission ------------------------------------------------------------------------
def netpol_blocks_frontend() -> Incident:
    """The backend's NetworkPolicy admits only tier=backend pods; the frontend (tier=frontend) times out."""
    ns = "store"
    inc = _start("ask-frontend-timeouts", 632, ns, "", netpol_blocks_frontend.__doc__ or "")
    fe_log: LogFn = lambda p, s, e: L.lines(L.ticker(max(s, e - 15 * M), e, 30, lambda i, t: L.js(  # noqa: E731
        t, "error", "upstream request failed", upstream="http://catalog-backend:80/items",
        error="connect ETIMEDOUT 10.96.80.17:80")))
    inc.deployment(ns, "web-frontend", [Rev(1, inc.at - timedelta(days=3), "helm upgrade web-frontend",
                                            [c("web-frontend", f"{REGISTRY}/store/web-frontend:5.2.0")])],
                   {1: [P(log=fe_log)]}, labels={"tier": "frontend"})
    inc.deployment(ns, "catalog-backend", [Rev(1, inc.at - timedelta(days=3), "helm upgrade catalog-backend",
                                               [c("catalog-backend", f"{REGISTRY}/store/catalog-backend:5.2.0")])],
                   {1: [P(log=_ok("served"))]})
    for wl, tier in (("web-frontend", "frontend"), ("catalog-backend", "backend")):
        for h in inc.pods_of(ns, wl):
            h.labels["tier"] = tier
        for kind in ("Deployment",):
            inc.find(kind, ns, wl)["spec"]["template"]["metadata"]["labels"]["tier"] = tier
    inc.service(ns, "catalog-backend", {"app": "catalog-backend"})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "catalog-backend-ingress", "namespace": ns,
                          "creationTimestamp": ts(inc.at - 25 * M)},
             "spec": {"podSelector": {"matchLabels": {"app": "catalog-backend"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": "backend"}}}],
                                   "ports": [{"protocol": "TCP", "port": 8080}]}]}})
    _ask(inc, "Why is web-frontend getting timeouts connecting to catalog-backend?")
    return _key(inc, ("NetworkPolicy", ns, "catalog-backend-ingress"), ["tier", "ingress"],
                "NetworkPolicy catalog-backend-ingress allows ingress to catalog-backend only from pods with "
                "tier=backend; web-frontend has tier=frontend, so its connections time out.", "netpol-blocks")


def pdb_blocks_eviction() -> Incident:
    """A PDB with maxUnavailable 0 refuses every eviction: the drain of a node never finishes."""
    ns, name = "identity", "sso"
    inc = _start("ask-node-drain", 633, ns, "", pdb_blocks_eviction.__doc__ or "")
    node = inc.node_names()[1]
    inc.deployment(ns, name, [Rev(1, inc.at - timedelta(days=3), "helm upgrade sso",
                                  [c(name, f"{REGISTRY}/identity/sso:8.0.1")])],
                   {1: [P(log=_ok("login"), node=node), P(log=_ok("login"))]})
    inc.cluster.nodes[1]["spec"]["unschedulable"] = True
    inc.cluster.nodes[1]["spec"].setdefault("taints", []).append(
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": ts(inc.at - 30 * M)})
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "sso-pdb", "namespace": ns},
             "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": name}}},
             "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2,
                        "observedGeneration": 1, "conditions": [
                            {"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                             "message": "", "lastTransitionTime": ts(inc.at - timedelta(days=3))}]}})
    _ask(inc, f"why is the drain of {node} stuck?")
    return _key(inc, ("PodDisruptionBudget", ns, "sso-pdb"), ["maxUnavailable", "disruption"],
                "PodDisruptionBudget sso-pdb sets maxUnavailable 0, so no disruption is allowed and the eviction "
                f"of the sso pod on {node} is refused forever.", "pdb-blocks-drain")


def webhook_missing_service() -> Incident:
    """A ValidatingWebhookConfiguration calls Service policy-webhook, which was deleted: pods cannot be created."""
    ns, name = "billing", "invoice-api"
    inc = _start("invoice-api-replicas", 634, ns, "KubeDeploymentReplicasMismatch billing",
                 webhook_missing_service.__doc__ or "")
    inc.cluster.add_namespace("policy-system", inc.born)
    inc.add({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": {"name": "pod-policy"},
             "webhooks": [{"name": "validate.pods.policy.example.com", "admissionReviewVersions": ["v1"],
                           "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 10,
                           "clientConfig": {"service": {"name": "policy-webhook", "namespace": "policy-system",
                                                        "path": "/validate", "port": 443}},
                           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                      "resources": ["pods"], "scope": "Namespaced"}]}]})
    inc.deployment(ns, name, [Rev(1, inc.at - 20 * M, "kubectl apply -f invoice-api.yaml",
                                  [c(name, f"{REGISTRY}/billing/invoice-api:2.7.0")])], {1: []}, replicas=2,
                   progress="progressing")
    rs_name = next(x["metadata"]["name"] for x in inc.cluster.objects
                   if x["kind"] == "ReplicaSet" and x["metadata"]["name"].startswith(name + "-"))
    rs = inc.find("ReplicaSet", ns, rs_name)
    inc.event(rs, "FailedCreate", 'Error creating: Internal error occurred: failed calling webhook '
              '"validate.pods.policy.example.com": failed to call webhook: Post "https://policy-webhook.'
              'policy-system.svc:443/validate?timeout=10s": service "policy-webhook" not found',
              inc.at - 19 * M, inc.captured - M, count=20, component="replicaset-controller")
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("ValidatingWebhookConfiguration", "", "pod-policy"), ["policy-webhook", "not found"],
                "ValidatingWebhookConfiguration pod-policy (failurePolicy Fail) calls Service "
                "policy-system/policy-webhook, which is not found, so every pod creation is refused.",
                "webhook-missing-service")


# ---- nodes ---------------------------------------------------------------------------------------
def _set_condition(node: dict[str, Any], kind: str, status: str, reason: str, message: str, at: datetime) -> None:
    for cond in node["status"]["conditions"]:
        if cond["type"] == kind:
            cond.update({"status": status, "reason": reason, "message": message, "lastTransitionTime": ts(at)})


def node_not_ready() -> Incident:
    """A node's kubelet stopped posting status: Ready Unknown, NodeStatusUnknown, pods on it unreachable."""
    inc = _start("node-not-ready", 635, "spare", "KubeNodeNotReady", node_not_ready.__doc__ or "")
    node = inc.cluster.nodes[2]
    name = node["metadata"]["name"]
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        _set_condition(node, kind, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.",
                       inc.at - 2 * M)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
                               "timeAdded": ts(inc.at - 2 * M)},
                              {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                               "timeAdded": ts(inc.at - M)}]
    inc.event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", inc.at - 2 * M, warning=False,
              component="node-controller")
    inc.alertmanager("KubeNodeNotReady", {"node": name, **KSM}, "Node is not ready.",
                     f"{name} has been unready for more than 15 minutes.",
                     'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0',
                     starts=inc.at + 15 * M)
    return _key(inc, ("Node", "", name), ["NodeStatusUnknown", "stopped posting"],
                f"Node {name}'s kubelet stopped posting node status (NodeStatusUnknown): Ready is Unknown.",
                "node-not-ready")


def node_disk_pressure() -> Incident:
    """A node's disk fills: DiskPressure True, the kubelet evicts pods to reclaim ephemeral-storage."""
    inc = _start("node-disk-pressure", 636, "spare", "KubeNodePressure", node_disk_pressure.__doc__ or "")
    node = inc.cluster.nodes[0]
    name = node["metadata"]["name"]
    _set_condition(node, "DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure",
                   inc.at - 6 * M)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule",
                               "timeAdded": ts(inc.at - 6 * M)}]
    inc.event(node, "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", inc.at - 6 * M,
              inc.captured - 2 * M, count=9, host=name)
    inc.alertmanager("KubeNodePressure", {"node": name, "condition": "DiskPressure", **KSM},
                     "Node has as active Condition.", f"{name} has active Condition DiskPressure. This is caused "
                     "by resource usage exceeding eviction thresholds.",
                     'kube_node_status_condition{job="kube-state-metrics",condition=~"(MemoryPressure|'
                     'DiskPressure|PIDPressure)",status="true"} == 1', starts=inc.at + 10 * M)
    return _key(inc, ("Node", "", name), ["DiskPressure", "ephemeral-storage"],
                f"Node {name} has DiskPressure: the kubelet is reclaiming ephemeral-storage by evicting pods.",
                "node-disk-pressure")



# ---- second batch: shapes the first batch did not cover ------------------------------------------
def _gateway_crds(inc: Incident) -> None:
    for kind, plural, scope in (("GatewayClass", "gatewayclasses", "Cluster"), ("Gateway", "gateways", "Namespaced"),
                                ("HTTPRoute", "httproutes", "Namespaced")):
        inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                 "metadata": {"name": f"{plural}.gateway.networking.k8s.io"},
                 "spec": {"group": "gateway.networking.k8s.io", "scope": scope,
                          "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                    "singular": kind.lower()},
                          "versions": [{"name": "v1", "served": True, "storage": True}]}})
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "envoy"},
             "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
             "status": {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                                        "message": "Valid GatewayClass",
                                        "lastTransitionTime": ts(inc.at - timedelta(days=30))}]}})


def _gateway(inc: Incident, ns: str, name: str, cls: str, ok: bool = True) -> None:
    cond = ({"type": "Programmed", "status": "True", "reason": "Programmed", "message": "Address assigned"}
            if ok else {"type": "Accepted", "status": "Unknown", "reason": "Pending",
                        "message": "Waiting for controller"})
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": name, "namespace": ns},
             "spec": {"gatewayClassName": cls, "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
             "status": {"conditions": [{**cond, "lastTransitionTime": ts(inc.at - 20 * M)}]}})


def gateway_missing_class() -> Incident:
    """A new Gateway names GatewayClass envoy-public, which does not exist: no controller ever accepts it."""
    ns = "edge-public"
    inc = _start("ask-public-gateway", 637, ns, "", gateway_missing_class.__doc__ or "")
    _gateway_crds(inc)
    _gateway(inc, ns, "public-gw", "envoy-public", ok=False)
    _ask(inc, "why does public-gw have no address?")
    return _key(inc, ("Gateway", ns, "public-gw"), ["envoy-public", "GatewayClass"],
                "Gateway public-gw names GatewayClass envoy-public, which does not exist, so no controller accepts "
                "or programs it.", "gateway-missing-class")


def httproute_missing_gateway() -> Incident:
    """An HTTPRoute attaches to Gateway internal-gw, which does not exist: nobody serves orders.example.com."""
    ns = "orders-edge"
    inc = _start("ask-orders-route", 638, ns, "", httproute_missing_gateway.__doc__ or "")
    _gateway_crds(inc)
    _gateway(inc, ns, "external-gw", "envoy")
    inc.deployment(ns, "orders-web", [Rev(1, inc.at - timedelta(days=3), "helm upgrade orders-web",
                                          [c("orders-web", f"{REGISTRY}/shop/orders-web:2.0.0")])],
                   {1: [P(log=_ok("served"))]})
    inc.service(ns, "orders-web", {"app": "orders-web"})
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "orders-route", "namespace": ns},
             "spec": {"parentRefs": [{"name": "internal-gw"}], "hostnames": ["orders.example.com"],
                      "rules": [{"backendRefs": [{"name": "orders-web", "port": 80}]}]},
             "status": {"parents": []}})
    _ask(inc, "what is wrong with orders-route?")
    return _key(inc, ("HTTPRoute", ns, "orders-route"), ["internal-gw", "Gateway"],
                "HTTPRoute orders-route attaches to Gateway internal-gw, which does not exist, so no gateway "
                "serves it.", "httproute-missing-gateway")


def pdb_selects_nothing() -> Incident:
    """A PDB selects app=web-v2 while the pods are app=web: it protects nothing during a drain."""
    ns = "frontdoor"
    inc = _start("ask-web-pdb", 639, ns, "", pdb_selects_nothing.__doc__ or "")
    inc.deployment(ns, "web", [Rev(1, inc.at - timedelta(days=3), "helm upgrade web",
                                   [c("web", f"{REGISTRY}/web/web:9.1.0")])],
                   {1: [P(log=_ok("served")), P(log=_ok("served"))]})
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "web-pdb", "namespace": ns},
             "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web-v2"}}},
             "status": {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0,
                        "observedGeneration": 1, "conditions": [
                            {"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                             "message": "", "lastTransitionTime": ts(inc.at - timedelta(days=3))}]}})
    _ask(inc, "web went fully down during the node upgrade even though we have web-pdb, why?")
    return _key(inc, ("PodDisruptionBudget", ns, "web-pdb"), ["app=web-v2", "selector"],
                "PodDisruptionBudget web-pdb's selector app=web-v2 matches no pod (they are app=web), so it "
                "protects nothing.", "pdb-selects-nothing")


def statefulset_missing_service() -> Incident:
    """A StatefulSet's serviceName names a headless Service that does not exist: peers cannot resolve each other."""
    ns, name = "coord", "zookeeper"
    inc = _start("ask-zookeeper", 640, ns, "", statefulset_missing_service.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines(L.ticker(max(s, e - 10 * M), e, 20, lambda i, t: (  # noqa: E731
        f"{t.strftime('%Y-%m-%d %H:%M:%S')},{i * 13 % 1000:03d} [myid:1] - WARN  [QuorumConnectionThread-[myid=1]"
        f"-{i}:o.a.z.s.q.QuorumCnxManager@401] - Cannot open channel to 2 at election address "
        f"zookeeper-1.zookeeper-headless.coord.svc.cluster.local:3888 java.net.UnknownHostException: "
        "zookeeper-1.zookeeper-headless.coord.svc.cluster.local")))
    wl = inc.statefulset(ns, name, [c("zookeeper", "docker.io/library/zookeeper:3.9.2", port=2181,
                                      readiness_path=None, liveness_path=None)],
                         [P("notready", log=log, message="Readiness probe failed: zookeeper is not serving "
                            "requests (not in quorum)")] * 3, inc.at - 30 * M)
    wl.obj["spec"]["serviceName"] = "zookeeper-headless"
    inc.service(ns, "zookeeper", {"app": name}, port=2181, target=2181)
    _ask(inc, "what is wrong with zookeeper?")
    return _key(inc, ("StatefulSet", ns, name), ["zookeeper-headless", "Service"],
                "StatefulSet zookeeper's serviceName is zookeeper-headless, a Service that does not exist, so the "
                "peers' DNS names do not resolve and no quorum forms.", "statefulset-missing-service")


def crashloop_completed() -> Incident:
    """A worker's entrypoint runs once and exits 0 under a Deployment: CrashLoopBackOff with reason Completed."""
    ns, name = "feeds", "feed-poller"
    inc = _start("feed-poller-crashlooping", 641, ns, "KubePodCrashLooping feeds", crashloop_completed.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([(s, L.pylog(s, "INFO", "poller", "polled 14 feeds, 212 new items")),  # noqa
                                          (s, L.pylog(s, "INFO", "poller", "done"))])
    _deploy(inc, ns, name, [P("crashloop", log=log, reason="Completed", exit_code=0, run_s=lambda n: 6.0)],
            replicas=1)
    _crashlooping(inc, ns, _first_pod(inc, ns, name), name)
    return _key(inc, ("Deployment", ns, name), ["Completed", "exits"],
                "feed-poller's process runs once and exits 0 (Completed) under a Deployment, whose pods always "
                "restart: it is in CrashLoopBackOff though nothing fails.", "crashloop-completed")


def sidecar_crash() -> Incident:
    """The app container is fine; its log-shipper sidecar cannot find the file it tails and crash-loops."""
    ns, name = "tickets", "helpdesk"
    inc = _start("helpdesk-sidecar-crashlooping", 642, ns, "KubePodCrashLooping tickets", sidecar_crash.__doc__ or "")
    inc.deployment(ns, name, [Rev(1, inc.at - 20 * M, "helm upgrade helpdesk",
                                  [c(name, f"{REGISTRY}/support/helpdesk:6.0.0"),
                                   c("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", port=None,
                                     readiness_path=None, liveness_path=None)])],
                   {1: [P(log=_ok("ticket saved"))]}, replicas=1)
    h = inc.pods_of(ns, name)[0]
    started = inc.captured - 2 * M

    def patch(obj: dict[str, Any]) -> None:
        cs = obj["status"]["containerStatuses"][1]
        cs.update({"ready": False, "started": False, "restartCount": 9, "state": {"waiting": {
            "reason": "CrashLoopBackOff", "message": f"back-off 5m0s restarting failed container=log-shipper "
            f"pod={h.name}_{ns}({obj['metadata']['uid']})"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(started),
                                         "finishedAt": ts(started + timedelta(seconds=1))}}})
        for cond in obj["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "ContainersNotReady",
                             "message": "containers with unready status: [log-shipper]"})
    inc.cluster.patch(ns, h.name, patch)
    inc.log_block(ns, h.name, "log-shipper", L.lines([
        (started, f"[{started.strftime('%Y/%m/%d %H:%M:%S')}] [error] [input:tail:tail.0] read error, check "
                  "permissions: /var/log/helpdesk/*.log"),
        (started, f"[{started.strftime('%Y/%m/%d %H:%M:%S')}] [error] [lib] backend failed")]), previous=True)
    obj = inc.cluster.pod_object(h)
    inc.cluster.add_event(obj, "BackOff", f"Back-off restarting failed container log-shipper in pod "
                          f"{h.name}_{ns}({obj['metadata']['uid']})", inc.at - 15 * M, inc.captured - M, count=40,
                          type_="Warning", host=h.node, field_path="spec.containers{log-shipper}")
    _crashlooping(inc, ns, h.name, "log-shipper")
    return _key(inc, ("Deployment", ns, name), ["log-shipper", "/var/log/helpdesk"],
                "helpdesk's log-shipper sidecar cannot read /var/log/helpdesk/*.log (read error) and exits 1, "
                "crash-looping while the app container is fine.", "sidecar-crash")


def missing_pull_secret() -> Incident:
    """The pod names imagePullSecret regcred, which does not exist in its namespace: the private pull is denied."""
    ns, name = "risk", "fraud-scorer"
    inc = _start("fraud-scorer-replicas", 643, ns, "KubeDeploymentReplicasMismatch risk",
                 missing_pull_secret.__doc__ or "")
    image = "registry.acme-internal.example/risk/fraud-scorer:4.2.0"
    msg = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve reference '
           f'"{image}": pull access denied, repository does not exist or may require authorization: authorization '
           'failed: no basic auth credentials')
    _deploy(inc, ns, name, [P("waiting", waiting_reason="ImagePullBackOff", message=msg)] * 2, image=image,
            pod_spec={"imagePullSecrets": [{"name": "regcred"}]})
    for h in inc.pods_of(ns, name):
        inc.cluster.add_event(inc.cluster.pod_object(h), "FailedToRetrieveImagePullSecret",
                              "Unable to retrieve some image pull secrets (regcred); attempting to pull the image "
                              "may not succeed.", h.created + timedelta(seconds=2), inc.captured - M, count=12,
                              type_="Warning", host=h.node)
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["regcred", "imagePullSecret"],
                "fraud-scorer's imagePullSecret regcred does not exist in the namespace, so the private registry "
                "denies the pull.", "missing-pull-secret")


def evicted_memory() -> Incident:
    """batch-worker uses far more memory than it requests; under node memory pressure the kubelet evicts it first."""
    ns, name = "batchjobs", "batch-worker"
    inc = _start("ask-batch-worker-evicted", 644, ns, "", evicted_memory.__doc__ or "")
    _deploy(inc, ns, name, [P(log=_ok("processed batch")), P(log=_ok("processed batch"))],
            fields={"memory_request": "256Mi", "memory_limit": "4Gi"})
    h = inc.pods_of(ns, name)[0]
    gone = inc.captured - 12 * M
    msg = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 88Mi. Container "
           "batch-worker was using 1900Mi, request is 256Mi, has larger consumption of its request. ")

    def patch(obj: dict[str, Any]) -> None:
        obj["status"].update({"phase": "Failed", "reason": "Evicted", "message": msg})
        for cs in obj["status"]["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be "
                "located when the pod was terminated", "startedAt": ts(h.created), "finishedAt": ts(gone)}}})
    inc.cluster.patch(ns, h.name, patch)
    inc.cluster.add_event(inc.cluster.pod_object(h), "Evicted", msg.strip(), gone, gone, type_="Warning", host=h.node)
    _ask(inc, "why do my batch-worker pods keep getting evicted?")
    return _key(inc, ("Deployment", ns, name), ["memory", "256Mi"],
                "batch-worker requests 256Mi of memory but uses about 1900Mi; when its node runs low on memory "
                "the kubelet evicts it first.", "evicted-memory")


def disk_full_statefulset() -> Incident:
    """A database StatefulSet's volume is full: No space left on device writing its WAL, it crash-loops."""
    ns, name = "metrics-db", "timescale"
    inc = _start("timescale-crashlooping", 645, ns, "KubePodCrashLooping metrics-db",
                 disk_full_statefulset.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, L.postgres(s, "LOG", "database system was interrupted; last known up at 2026-11-13 02:11:09 UTC")),
        (s, L.postgres(s, "PANIC", 'could not write to file "pg_wal/xlogtemp.61": No space left on device')),
        (s, L.postgres(s, "LOG", "startup process (PID 61) was terminated by signal 6: Aborted"))])
    inc.statefulset(ns, name, [c("timescale", "docker.io/timescale/timescaledb:2.16.1-pg16", port=5432,
                                 readiness_path=None, liveness_path=None)],
                    [P("crashloop", log=log, exit_code=1, run_s=lambda n: 2.0)], inc.at - timedelta(days=30),
                    claims=[("data", "20Gi", "gp3")])
    _crashlooping(inc, ns, f"{name}-0", "timescale")
    return _key(inc, ("StatefulSet", ns, name), ["No space left on device", "pg_wal"],
                "timescale's data volume is full: No space left on device writing pg_wal, so Postgres panics at "
                "start and crash-loops.", "disk-full-statefulset")


def service_account_forbidden() -> Incident:
    """pod-reaper lists pods with the default ServiceAccount, which may not: 403 forbidden, exit 1."""
    ns, name = "ops-tools", "pod-reaper"
    inc = _start("ask-pod-reaper", 646, ns, "", service_account_forbidden.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, L.logfmt(s, "info", "listing pods older than 24h", namespace=ns)),
        (s, L.logfmt(s, "error", f'pods is forbidden: User "system:serviceaccount:{ns}:default" cannot list '
                     f'resource "pods" in API group "" in the namespace "{ns}"'))])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 1.0)], replicas=1)
    _ask(inc, "What is wrong with pod-reaper?")
    return _key(inc, ("Deployment", ns, name), ["forbidden", "cannot list"],
                f"pod-reaper runs as system:serviceaccount:{ns}:default, which is forbidden: it cannot list "
                "pods, so it exits 1 and crash-loops.", "service-account-forbidden")


def ask_by_pod_name() -> Incident:
    """The question names one pod by its full generated name and no namespace; the pod is OOMKilled."""
    ns, name = "app-zoo", "giant-narwhal"
    inc = _start("ask-pod-by-name", 647, ns, "", ask_by_pod_name.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 3, lambda i, t: L.js(  # noqa: E731
        t, "info", "allocated block", mb=64 * (i + 1))))
    _deploy(inc, ns, name, [P("crashloop", log=log, reason="OOMKilled", exit_code=137, run_s=lambda n: 12.0)],
            replicas=1, fields={"memory_limit": "100Mi", "memory_request": "100Mi"})
    _ask(inc, f"What is wrong with pod {_first_pod(inc, ns, name)}?")
    return _key(inc, ("Deployment", ns, name), ["OOMKilled", "100Mi"],
                "giant-narwhal is OOMKilled against its 100Mi memory limit and restarts in a loop.",
                "ask-by-pod-name")


def ask_with_spaces() -> Incident:
    """The question names the app in words ("price alerts"); the Deployment price-alerts lacks an env var."""
    ns, name = "alerts", "price-alerts"
    inc = _start("ask-price-alerts-words", 648, ns, "", ask_with_spaces.__doc__ or "")
    log: LogFn = lambda p, s, e: L.lines([  # noqa: E731
        (s, "Traceback (most recent call last):"),
        (s, '  File "/app/alerts/settings.py", line 12, in <module>'),
        (s, "    WEBHOOK = os.environ['SLACK_WEBHOOK_URL']"),
        (s, "KeyError: 'SLACK_WEBHOOK_URL'")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 1.5)], replicas=1)
    _ask(inc, "the price alerts service is down, what happened?")
    return _key(inc, ("Deployment", ns, name), ["SLACK_WEBHOOK_URL", "KeyError"],
                "price-alerts exits at start with KeyError: 'SLACK_WEBHOOK_URL': the variable is not set in its "
                "Deployment.", "ask-with-spaces")


def readiness_wrong_path() -> Incident:
    """A rollout changed the readiness path to /health, which the app answers 404: no pod turns ready."""
    ns, name = "quotes", "quote-service"
    inc = _start("quote-service-replicas", 649, ns, "KubeDeploymentReplicasMismatch quotes",
                 readiness_wrong_path.__doc__ or "")
    probe = {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10,
             "failureThreshold": 3, "timeoutSeconds": 1}
    _deploy(inc, ns, name, [P("notready", log=_ok("quoted"), message="Readiness probe failed: HTTP probe failed "
                              "with statuscode: 404")] * 2, spec={"readinessProbe": probe})
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["/health", "404"],
                "quote-service's readiness probe asks /health, which the app answers 404, so no pod is ready.",
                "readiness-wrong-path")



# ---- third batch: written after the first fixes, measured before fixing what it finds ------------
def _failed_create_case(name: str, seed: int, ns: str, wl: str, story: str, error: str,
                        pod_spec: dict[str, Any] | None = None) -> Incident:
    """A Deployment whose ReplicaSet cannot create any pod: FailedCreate with the API server's refusal."""
    inc = _start(name, seed, ns, f"KubeDeploymentReplicasMismatch {ns}", story)
    inc.deployment(ns, wl, [Rev(1, inc.at - 20 * M, f"kubectl apply -f {wl}.yaml",
                                [c(wl, f"{REGISTRY}/{ns}/{wl}:2.0.0")], pod_spec=pod_spec or {})], {1: []},
                   replicas=2, progress="progressing")
    rs_name = next(x["metadata"]["name"] for x in inc.cluster.objects
                   if x["kind"] == "ReplicaSet" and x["metadata"]["name"].startswith(wl + "-"))
    rs = inc.find("ReplicaSet", ns, rs_name)
    msg = error.replace("{pod}", f"{rs_name}-")
    rs["status"]["conditions"] = [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                   "message": msg, "lastTransitionTime": ts(inc.at - 19 * M)}]
    inc.event(rs, "FailedCreate", f"Error creating: {msg}", inc.at - 19 * M, inc.captured - M, count=22,
              component="replicaset-controller")
    _replicas_mismatch(inc, ns, wl)
    return inc


def priority_class_missing() -> Incident:
    """The pod template names PriorityClass critical-batch, which does not exist: admission refuses every pod."""
    inc = _failed_create_case("ingest-replicas", 650, "ingest", "ingest-worker", priority_class_missing.__doc__ or "",
                              'pods "{pod}" is forbidden: no PriorityClass with name critical-batch was found',
                              {"priorityClassName": "critical-batch"})
    return _key(inc, ("Deployment", "ingest", "ingest-worker"), ["critical-batch", "PriorityClass"],
                "ingest-worker's pod template names PriorityClass critical-batch, which does not exist, so the "
                "API server refuses every pod (FailedCreate).", "priority-class-missing")


def runtime_class_missing() -> Incident:
    """The pod template asks for RuntimeClass gvisor, which this cluster does not define."""
    inc = _failed_create_case("sandbox-replicas", 651, "sandbox", "code-runner", runtime_class_missing.__doc__ or "",
                              'pods "{pod}" is forbidden: pod rejected: RuntimeClass "gvisor" not found',
                              {"runtimeClassName": "gvisor"})
    return _key(inc, ("Deployment", "sandbox", "code-runner"), ["gvisor", "RuntimeClass"],
                "code-runner asks for RuntimeClass gvisor, which is not found, so admission rejects its pods.",
                "runtime-class-missing")


def limit_range_exceeded() -> Incident:
    """The namespace's LimitRange caps a container at 1Gi; the new template asks 2Gi: every pod is forbidden."""
    inc = _failed_create_case("renderer-replicas", 652, "render", "pdf-renderer", limit_range_exceeded.__doc__ or "",
                              'pods "{pod}" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi')
    inc.add({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "container-limits", "namespace": "render"},
             "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi", "cpu": "2"},
                                  "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"}}]}})
    return _key(inc, ("Deployment", "render", "pdf-renderer"), ["maximum memory", "1Gi"],
                "pdf-renderer's memory limit of 2Gi is above the namespace LimitRange's maximum memory per "
                "container of 1Gi, so the API server refuses its pods.", "limit-range-exceeded")


def pod_security_violation() -> Incident:
    """The namespace enforces Pod Security 'restricted'; the new template runs as root with privilege escalation."""
    inc = _failed_create_case(
        "payments-ui-replicas", 653, "payments-ui", "checkout-ui", pod_security_violation.__doc__ or "",
        'pods "{pod}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
        '(container "checkout-ui" must set securityContext.allowPrivilegeEscalation=false), unrestricted '
        'capabilities (container "checkout-ui" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot '
        '!= true (pod or container "checkout-ui" must set securityContext.runAsNonRoot=true)')
    return _key(inc, ("Deployment", "payments-ui", "checkout-ui"), ["restricted", "runAsNonRoot"],
                "The namespace enforces PodSecurity restricted and checkout-ui sets neither runAsNonRoot nor "
                "allowPrivilegeEscalation=false, so every pod is forbidden.", "pod-security-violation")


def cronjob_forbid_hung_job() -> Incident:
    """A backup Job hung three days ago; the CronJob's concurrencyPolicy Forbid skips every run since."""
    ns, name = "backups", "db-backup"
    inc = _start("ask-db-backup", 654, ns, "", cronjob_forbid_hung_job.__doc__ or "")
    hung = f"{name}-29210400"
    started = inc.at - timedelta(days=3, hours=2)
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
             "spec": {"schedule": "0 1 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                      "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                          c("backup", f"{REGISTRY}/ops/pg-backup:1.3.0").spec()]}}}}},
             "status": {"active": [{"kind": "Job", "namespace": ns, "name": hung, "apiVersion": "batch/v1"}],
                        "lastScheduleTime": ts(started),
                        "lastSuccessfulTime": ts(started - timedelta(days=1) + timedelta(minutes=14))}})
    cron = inc.find("CronJob", ns, name)
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": hung, "namespace": ns, "labels": {"job-name": hung},
                          "ownerReferences": [o.owner_ref("CronJob", name, ns, "batch/v1")],
                          "creationTimestamp": ts(started)},
             "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1, "template": {"spec": {
                 "restartPolicy": "OnFailure", "containers": [c("backup", f"{REGISTRY}/ops/pg-backup:1.3.0").spec()]}}},
             "status": {"active": 1, "ready": 1, "startTime": ts(started)}})
    for day in range(3):
        when = inc.at - timedelta(days=day, hours=2)
        inc.event(cron, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency "
                  "policy is Forbid", when, when, warning=False, component="cronjob-controller")
    _ask(inc, "why hasn't db-backup produced a backup since Monday?")
    return _key(inc, ("CronJob", ns, name), ["Forbid", hung],
                f"Job {hung} has been running for three days and db-backup's concurrencyPolicy is Forbid, so every "
                "scheduled run since was skipped.", "cronjob-forbid-hung-job")


def deployment_paused() -> Incident:
    """Someone paused api-gw's rollout during an incident; the new image never rolls out."""
    ns, name = "apigw", "api-gw"
    inc = _start("ask-api-gw-rollout", 655, ns, "", deployment_paused.__doc__ or "")
    inc.deployment(ns, name, [Rev(4, inc.at - timedelta(days=5), "helm upgrade api-gw 4.1.0",
                                  [c(name, f"{REGISTRY}/edge/api-gw:4.1.0")])],
                   {4: [P(log=_ok("proxied")), P(log=_ok("proxied"))]})
    deploy = inc.find("Deployment", ns, name)
    deploy["spec"]["paused"] = True
    deploy["spec"]["template"]["spec"]["containers"][0]["image"] = f"{REGISTRY}/edge/api-gw:4.2.0"
    deploy["metadata"]["generation"] = int(deploy["metadata"].get("generation") or 1) + 1
    for cond in deploy["status"]["conditions"]:
        if cond["type"] == "Progressing":
            cond.update({"status": "Unknown", "reason": "DeploymentPaused", "message": "Deployment is paused",
                         "lastUpdateTime": ts(inc.at - 2 * M), "lastTransitionTime": ts(inc.at - 2 * M)})
    _ask(inc, "why is api-gw still running 4.1.0 after we shipped 4.2.0?")
    return _key(inc, ("Deployment", ns, name), ["paused"],
                "Deployment api-gw is paused (spec.paused, Progressing DeploymentPaused), so the 4.2.0 template "
                "never rolls out.", "deployment-paused")


def statefulset_partition() -> Incident:
    """A StatefulSet's rollingUpdate partition equals its replicas: the new revision reaches no pod."""
    ns, name = "streaming", "kafka"
    inc = _start("ask-kafka-version", 656, ns, "", statefulset_partition.__doc__ or "")
    wl = inc.statefulset(ns, name, [c("kafka", "docker.io/bitnami/kafka:3.7.0", port=9092, readiness_path=None,
                                      liveness_path=None)], [P(log=_ok("fetch session"))] * 3,
                         inc.at - timedelta(days=20))
    spec, status = wl.obj["spec"], wl.obj["status"]
    spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 3}}
    spec["template"]["spec"]["containers"][0]["image"] = "docker.io/bitnami/kafka:3.8.0"
    status.update({"updateRevision": f"{name}-7c9d8f6b5d", "updatedReplicas": 0, "currentReplicas": 3})
    wl.obj["metadata"]["generation"] = 4
    status["observedGeneration"] = 4
    _ask(inc, "why is kafka still on 3.7.0 after the upgrade?")
    return _key(inc, ("StatefulSet", ns, name), ["partition"],
                "kafka's rollingUpdate partition is 3 with 3 replicas, so no pod ordinal is at or above the "
                "partition and the 3.8.0 revision reaches no pod.", "statefulset-partition")


def pull_rate_limited() -> Incident:
    """Docker Hub's anonymous pull rate limit: toomanyrequests, the new pods never start."""
    ns, name = "tools", "link-checker"
    inc = _start("link-checker-replicas", 657, ns, "KubeDeploymentReplicasMismatch tools",
                 pull_rate_limited.__doc__ or "")
    image = "docker.io/library/python:3.12-slim"
    msg = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to copy: httpReadSeeker:'
           ' failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:'
           '9f7c1b0f6b2d: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate '
           'limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit')
    _deploy(inc, ns, name, [P("waiting", waiting_reason="ImagePullBackOff", message=msg)] * 2, image=image)
    _replicas_mismatch(inc, ns, name)
    return _key(inc, ("Deployment", ns, name), ["toomanyrequests", "rate limit"],
                "Docker Hub answers 429 toomanyrequests: the anonymous pull rate limit is reached, so link-checker's "
                "image cannot be pulled.", "pull-rate-limited")


def node_cni_not_ready() -> Incident:
    """A node joins without its CNI: Ready False, NetworkPluginNotReady, cni plugin not initialized."""
    inc = _start("node-network-not-ready", 658, "spare", "KubeNodeNotReady", node_cni_not_ready.__doc__ or "")
    node = inc.cluster.nodes[3] if len(inc.cluster.nodes) > 3 else inc.cluster.nodes[-1]
    name = node["metadata"]["name"]
    _set_condition(node, "Ready", "False", "KubeletNotReady",
                   "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:"
                   "Network plugin returns error: cni plugin not initialized", inc.at - 3 * M)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule",
                               "timeAdded": ts(inc.at - 3 * M)}]
    inc.alertmanager("KubeNodeNotReady", {"node": name, **KSM}, "Node is not ready.",
                     f"{name} has been unready for more than 15 minutes.",
                     'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0',
                     starts=inc.at + 15 * M)
    return _key(inc, ("Node", "", name), ["cni plugin not initialized", "NetworkPluginNotReady"],
                f"Node {name}'s container runtime network is not ready: NetworkPluginNotReady, cni plugin not "
                "initialized.", "node-cni-not-ready")


def multi_attach() -> Incident:
    """A rolling update of a Deployment with a ReadWriteOnce volume lands the new pod on another node: Multi-Attach."""
    ns, name = "cms", "cms-uploads"
    inc = _start("ask-cms-uploads", 659, ns, "", multi_attach.__doc__ or "")
    nodes = inc.node_names()
    inc.deployment(ns, name, [
        Rev(3, inc.at - timedelta(days=6), "helm upgrade cms-uploads 1.8.0", [c(name, f"{REGISTRY}/cms/uploads:1.8.0")],
            pod_spec={"volumes": [{"name": "media", "persistentVolumeClaim": {"claimName": "cms-media"}}]}),
        Rev(4, inc.at - 20 * M, "helm upgrade cms-uploads 1.9.0", [c(name, f"{REGISTRY}/cms/uploads:1.9.0")],
            pod_spec={"volumes": [{"name": "media", "persistentVolumeClaim": {"claimName": "cms-media"}}]})],
        {3: [P(log=_ok("uploaded"), node=nodes[0])], 4: [P("waiting", waiting_reason="ContainerCreating",
                                                           node=nodes[1])]},
        replicas=1, progress="progressing", max_surge="1", max_unavailable="0")
    claim = inc.pvc(ns, "cms-media", "50Gi", "gp3")
    new = inc.pods_of(ns, name)[-1]
    _drop_events(inc, new.name, {"Pulled", "Failed"})
    volume_name = claim["spec"]["volumeName"]
    old = inc.pods_of(ns, name)[0].name
    inc.cluster.add_event(inc.cluster.pod_object(new), "FailedAttachVolume",
                          f'Multi-Attach error for volume "{volume_name}" Volume is already used by pod(s) {old}',
                          new.created + timedelta(seconds=3), inc.captured - M, count=1, type_="Warning",
                          component="attachdetach-controller")
    inc.cluster.add_event(inc.cluster.pod_object(new), "FailedMount",
                          "Unable to attach or mount volumes: unmounted volumes=[media], unattached volumes=[media], "
                          "failed to process volumes=[]: timed out waiting for the condition",
                          new.created + timedelta(minutes=2), inc.captured - M, count=9, type_="Warning", host=new.node)
    _ask(inc, "cms-uploads 1.9.0 has been deploying for 20 minutes, what is stuck?")
    return _key(inc, ("Deployment", ns, name), ["Multi-Attach", "ReadWriteOnce"],
                "cms-uploads mounts the ReadWriteOnce claim cms-media; its rolling update starts the new pod on "
                "another node while the old pod holds the volume: Multi-Attach error, the new pod never starts.",
                "multi-attach")



# ---- fourth batch: the same failures asked the way people ask in chat -----------------------------
def _asked(build: Callable[[], Incident], name: str, question: str, why: str) -> Callable[[], Incident]:
    """A case of the batches above, with its alert replaced by a looser chat question (`why` says how)."""
    def variant() -> Incident:
        inc = build()
        inc.name = name
        inc.alerts = {}
        _ask(inc, question)
        inc.answer["question"] = question
        inc.answer["category"] = f"{inc.answer['category']}-asked-{name}"
        return inc
    variant.__name__ = name.replace("-", "_")
    variant.__doc__ = f"{build.__doc__} Asked: {why}"
    return variant


ASKED: list[Callable[[], Incident]] = [
    _asked(crashloop_missing_env, "asked-typo", "what is the issue with payment-procesing-worker?",
           "the name mistyped (one letter missing)"),
    _asked(crashloop_missing_env, "asked-words", "What is wrong with the Payment Processing Worker?",
           "the name in capitalised words"),
    _asked(image_not_found, "asked-capitals", "Why is Customer-Relations-Webapp down?", "the name in capitals"),
    _asked(crash_db_refused, "asked-by-service", "orders is returning 503s, why?",
           "the namespace's short name instead of the workload"),
    _asked(oom_killed, "asked-shortened", "analytics exporter keeps restarting", "a shortened name in words"),
    _asked(readiness_failing, "asked-pod-word", "search-engine pod never gets ready", "the workload called a pod"),
    _asked(missing_secret, "asked-namespace-only", "something is broken in inventory", "only the namespace"),
    _asked(ingress_missing_service, "asked-site-words", "the shop website is down",
           "the site in words, its host's first label (shop.example.com) also a background namespace's name"),
]



# ---- fifth batch ---------------------------------------------------------------------------------
def netpol_denies_new_client() -> Incident:
    """A new client is not among the peers an old NetworkPolicy admits: its calls to catalog-api time out.

    catalog-api's ingress policy (12 days old) admits only pods labelled app=storefront on port 8080.
    reco-engine, rolled out 20 minutes ago in the same namespace, calls http://catalog-api:80 (its
    CATALOG_URL) and every connection times out. The rollout is the recent change, but the fix is
    the policy (or reco-engine's labels): nothing is wrong with reco-engine's code.
    """
    ns = "catalog"
    inc = _start("ask-reco-engine-timeouts", 660, ns, "", netpol_denies_new_client.__doc__ or "")
    inc.deployment(ns, "catalog-api", [Rev(1, inc.at - timedelta(days=12), "helm upgrade catalog-api",
                                           [c("catalog-api", f"{REGISTRY}/shop/catalog-api:6.0.1")])],
                   {1: [P(log=_ok("served")), P(log=_ok("served"))]})
    inc.service(ns, "catalog-api", {"app": "catalog-api"})
    inc.deployment(ns, "storefront", [Rev(1, inc.at - timedelta(days=12), "helm upgrade storefront",
                                          [c("storefront", f"{REGISTRY}/shop/storefront:8.0.0")])],
                   {1: [P(log=_ok("rendered"))]})
    env = [{"name": "CATALOG_URL", "value": "http://catalog-api:80"}]
    reco_log: LogFn = lambda p, s, e: L.lines(L.ticker(max(s, e - 15 * M), e, 20, lambda i, t: L.pylog(  # noqa: E731
        t, "ERROR", "reco.catalog", "GET http://catalog-api:80/v1/items failed: ConnectTimeoutError(<urllib3."
        "connection.HTTPConnection object>, 'Connection to catalog-api timed out. (connect timeout=2)')")))
    inc.deployment(ns, "reco-engine", [Rev(1, inc.at - 20 * M, "helm install reco-engine",
                                           [c("reco-engine", f"{REGISTRY}/shop/reco-engine:1.0.0", env=env)])],
                   {1: [P(log=reco_log)]})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "catalog-api-ingress", "namespace": ns,
                          "creationTimestamp": ts(inc.at - timedelta(days=12))},
             "spec": {"podSelector": {"matchLabels": {"app": "catalog-api"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "storefront"}}}],
                                   "ports": [{"protocol": "TCP", "port": 8080}]}]}})
    _ask(inc, "why does reco-engine time out talking to catalog-api?")
    return _key(inc, ("NetworkPolicy", ns, "catalog-api-ingress"), ["app=storefront", "ingress"],
                "NetworkPolicy catalog-api-ingress admits ingress to catalog-api only from pods labelled "
                "app=storefront; reco-engine's pods are not, so its connections time out.", "netpol-denies-new-client")


ALL: list[Callable[[], Incident]] = [
    crashloop_missing_env, image_not_found, image_pull_unauthorized, invalid_image_name, missing_secret,
    missing_configmap_key, configmap_volume_missing, pending_node_selector, pending_insufficient_gpu,
    pending_anti_affinity, oom_killed, crash_module_missing, crash_db_refused, start_error_missing_binary,
    init_container_typo, readiness_failing, liveness_wrong_port, statefulset_missing_storage_class,
    pvc_missing_storage_class, daemonset_image_pull, replicaset_missing_service_account, service_selector_version,
    service_no_pods, ingress_missing_service, ingress_missing_tls_secret, ingress_missing_class,
    httproute_missing_backend, hpa_missing_target, hpa_missing_requests, job_backoff_db, job_deadline_exceeded,
    cronjob_suspended, netpol_blocks_frontend, pdb_blocks_eviction, webhook_missing_service, node_not_ready,
    node_disk_pressure, gateway_missing_class, httproute_missing_gateway, pdb_selects_nothing,
    statefulset_missing_service, crashloop_completed, sidecar_crash, missing_pull_secret, evicted_memory,
    disk_full_statefulset, service_account_forbidden, ask_by_pod_name, ask_with_spaces, readiness_wrong_path,
    priority_class_missing, runtime_class_missing, limit_range_exceeded, pod_security_violation,
    cronjob_forbid_hung_job, deployment_paused, statefulset_partition, pull_rate_limited, node_cni_not_ready,
    multi_attach,
    *ASKED, netpol_denies_new_client,
]
