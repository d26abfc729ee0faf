"""Memory limits, images and scheduling: OOM kills, pulls that fail, pods no node will take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c


def search_crashlooping() -> Incident:
    """A FinOps right-sizing PR cuts search's memory limit from 1Gi to 512Mi; the JVM still has -Xmx768m.

    On-call sees: KubePodCrashLooping on shop/search, OOMKilled (exit 137) every few minutes as the
    heap grows past the cgroup limit; the catalog logs search timeouts and returns 504s (a victim).
    """
    at = datetime(2026, 3, 23, 15, 50, tzinfo=UTC)
    inc = Incident("search-crashlooping", title="KubePodCrashLooping: shop/search",
                   story="Revision 9 only lowers the memory limit below the JVM's configured heap.",
                   at=at, seed=305, skip={("shop", "search")})
    deploy_at = at - timedelta(minutes=40)
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xms256m -Xmx768m -XX:+UseG1GC"},
           {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"}]
    img = f"{REGISTRY}/shop/search:4.0.2"

    def log(pod: str, start: datetime, end: datetime) -> str:
        head = [(start, L.spring(start, "INFO", "c.e.search.SearchApplication",
                                 "Starting SearchApplication v4.0.2 using Java 21.0.4 with PID 1")),
                (start + timedelta(seconds=9), L.spring(start + timedelta(seconds=9), "INFO",
                                                        "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                        "Tomcat started on port 8080 (http) with context path '/'"))]
        body = L.ticker(start + timedelta(seconds=20), end, 17, lambda i, t: L.spring(
            t, "WARN" if i % 9 == 8 else "INFO", "c.e.search.index.QueryService" if i % 9 != 8 else
            "c.e.search.index.FacetCache",
            f"query q='{['boots', 'rain jacket', 'socks', 'tent'][i % 4]}' hits={120 + i} took={35 + i % 50}ms"
            if i % 9 != 8 else f"facet cache size {1800 + 240 * i} entries, heap used {300 + 11 * i}MB",
            thread=f"http-nio-8080-exec-{1 + i % 8}"))
        return L.lines([*head, *body])

    w = inc.deployment("shop", "search", [
        Rev(8, at - timedelta(days=12), "deploy search 4.0.2",
            [c("search", img, memory_limit="1Gi", memory_request="768Mi", env=env)]),
        Rev(9, deploy_at, "resources: right-size search per FinOps review (CAP-118)",
            [c("search", img, memory_limit="512Mi", memory_request="384Mi", env=env)]),
    ], {9: [P("crashloop", log=log, reason="OOMKilled", exit_code=137, memory_mi=260,
              run_s=lambda n: 260 + 40 * (n % 3))] * 2})
    inc.pod_series(w.pods)

    def catalog_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 29, lambda i, t: L.logfmt(
            t, "error" if i % 3 == 0 else "info",
            "search backend timeout" if i % 3 == 0 else "request served",
            path="/api/catalog/search" if i % 3 == 0 else "/api/catalog/items",
            status=504 if i % 3 == 0 else 200, upstream="search.shop.svc:80" if i % 3 == 0 else "-",
            duration_ms=3000 if i % 3 == 0 else 22 + i % 19)))

    for h in inc.pods_of("shop", "catalog"):
        h.logs["catalog"] = catalog_log(h.name, at, inc.captured)
    pod = w.pods[0].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "shop", "pod": pod, "container": "search",
                                             "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod shop/{pod} (search) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "shop", "search"), keywords=["OOMKilled", "512Mi", "Xmx768m"],
                   root_cause="Revision 9 of shop/search cut the memory limit from 1Gi to 512Mi while the JVM "
                              "runs with -Xmx768m, so the container is OOMKilled (exit 137) as the heap grows.",
                   category="oom-limit-cut", red_herrings=[("Deployment", "shop", "catalog")])
    return inc


def frontend_error_budget() -> Incident:
    """recommendations 0.10.0 keeps every scored session in a module-level dict: a leak.

    On-call sees: an error-budget burn on web/frontend (recommendation widgets time out); the
    recommendations pods climb steadily to their 512Mi limit, get OOMKilled and restart about
    every half hour. 0.9.4 held ~230Mi flat.
    """
    at = datetime(2026, 4, 17, 20, 5, tzinfo=UTC)
    inc = Incident("frontend-error-budget", title="Error budget burn: frontend availability",
                   story="A new image leaks memory; pods are OOMKilled and restart every half hour.",
                   at=at, seed=306, skip={("web", "recommendations")})
    deploy_at = at - timedelta(hours=2, minutes=20)

    def log(pod: str, start: datetime, end: datetime) -> str:
        head = [(start, L.pylog(start, "INFO", "uvicorn.error", "Started server process [1]")),
                (start, L.pylog(start, "INFO", "recs.app", "recommendations 0.10.0 ready, model=als-2026-04-12"))]
        body = L.ticker(start + timedelta(seconds=30), end, 45, lambda i, t: L.pylog(
            t, "INFO" if i % 6 else "WARNING", "recs.scoring" if i % 6 else "recs.cache",
            f"scored session s_{90210 + i} items=24 took={18 + i % 30}ms" if i % 6 else
            f"session_scores size={5200 * (i + 1)} (no eviction configured)"))
        return L.lines([*head, *body])

    w = inc.deployment("web", "recommendations", [
        Rev(14, at - timedelta(days=8), "deploy recommendations 0.9.4",
            [c("recommendations", f"{REGISTRY}/web/recommendations:0.9.4", memory_limit="512Mi")]),
        Rev(15, deploy_at, "deploy recommendations 0.10.0: session-aware scoring",
            [c("recommendations", f"{REGISTRY}/web/recommendations:0.10.0", memory_limit="512Mi")]),
    ], {15: [P("crashloop", log=log, reason="OOMKilled", exit_code=137, memory_mi=170,
               run_s=lambda n: 1700 + 90 * (n % 2))] * 2})
    inc.pod_series(w.pods)

    def fe_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 21, lambda i, t: L.js(
            t, "error" if i % 4 == 0 else "info",
            "upstream timeout" if i % 4 == 0 else "page rendered",
            route="/product/:id", upstream="recommendations" if i % 4 == 0 else None,
            status=503 if i % 4 == 0 else 200, duration_ms=800 if i % 4 == 0 else 95 + i % 40)))

    for h in inc.pods_of("web", "frontend"):
        h.logs["frontend"] = fe_log(h.name, at, inc.captured)
    inc.slo_burn("frontend", "web", "frontend-availability", "0.995", 16.8,
                 "frontend 5xx ratio over 1h is 8.4% against a 0.5% budget.")
    inc.answer_key(culprit=("Deployment", "web", "recommendations"), keywords=["OOMKilled", "0.10.0", "leak"],
                   root_cause="recommendations 0.10.0 (revision 15) leaks memory (session scores are never "
                              "evicted); pods grow to the 512Mi limit and are OOMKilled about every 30 minutes, "
                              "so frontend calls to it time out.",
                   category="oom-memory-leak", red_herrings=[("Deployment", "web", "frontend")])
    return inc


def frontend_replicas_mismatch() -> Incident:
    """The release pipeline's manual override sets frontend's tag to 5.80 instead of 5.8.0.

    On-call sees: KubeDeploymentReplicasMismatch on web/frontend. New pods sit in ImagePullBackOff
    (not found); the old ReplicaSet keeps two of three pods.
    """
    at = datetime(2026, 7, 1, 9, 15, tzinfo=UTC)
    inc = Incident("frontend-replicas-mismatch", title="KubeDeploymentReplicasMismatch: web/frontend",
                   story="A hand-typed image tag does not exist in the registry.",
                   at=at, seed=307, skip={("web", "frontend")})
    deploy_at = at - timedelta(minutes=21)
    bad = f"{REGISTRY}/web/frontend:5.80"

    def ok(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=15), end, 19, lambda i, t: L.js(
            t, "info", "page rendered", route=["/", "/product/:id", "/cart"][i % 3], status=200,
            duration_ms=80 + i % 60, version="5.7.3")))

    msg = (f'Failed to pull image "{bad}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{bad}": failed to resolve reference "{bad}": {bad}: not found')
    inc.deployment("web", "frontend", [
        Rev(21, at - timedelta(days=5), "deploy frontend 5.7.3",
            [c("frontend", f"{REGISTRY}/web/frontend:5.7.3")]),
        Rev(22, deploy_at, "release frontend 5.8.0 (manual override)", [c("frontend", bad)]),
    ], {21: [P(log=ok)] * 2, 22: [P("waiting", waiting_reason="ImagePullBackOff", message=msg)] * 2},
        replicas=3, progress="progressing")
    rec = inc.pods_of("web", "recommendations")[0]
    inc.event(inc.cluster.pod_object(rec), "Unhealthy",
              f'Readiness probe failed: Get "http://{inc.cluster.pod_ip(rec)}:8080/healthz/ready": context deadline '
              "exceeded", at - timedelta(minutes=12), at - timedelta(minutes=11), count=2, host=rec.node)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "web", "deployment": "frontend",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment web/frontend has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("Deployment", "web", "frontend"), keywords=["5.80", "ImagePullBackOff", "not found"],
                   root_cause="Revision 22 of web/frontend points at image tag 5.80, which does not exist "
                              "(not found in the registry; the release was 5.8.0); its pods are stuck in "
                              "ImagePullBackOff.",
                   category="image-tag-not-found", red_herrings=[("Deployment", "web", "recommendations")])
    return inc


def invoicer_rollout_question() -> Incident:
    """invoicer moves its image to a private GHCR repository; the Deployment has no imagePullSecrets.

    Somebody asks in chat. billing-api in the same namespace pulls from GHCR fine: it has
    imagePullSecrets [ghcr-pull]; invoicer's new revision does not, so the pull is anonymous: 401.
    """
    at = datetime(2026, 7, 14, 11, 2, tzinfo=UTC)
    inc = Incident("invoicer-rollout-question", title="Question: invoicer rollout stuck",
                   story="An image moves to a private registry without a pull secret on the Deployment.",
                   at=at, seed=308, namespaces=("billing",))
    token = inc.canary("token", "ghcr")
    import base64
    import json
    auth = base64.b64encode(f"acme-ci:ghp_{token}".encode()).decode()
    cfg = json.dumps({"auths": {"ghcr.io": {"auth": auth}}})
    inc.secret("billing", "ghcr-pull", {".dockerconfigjson": cfg})
    inc.canaries.append(auth)
    inc.find("Secret", "billing", "ghcr-pull")["type"] = "kubernetes.io/dockerconfigjson"
    deploy_at = at - timedelta(minutes=26)
    bad = "ghcr.io/acme-corp/invoicer:2.0.0"

    def ok(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 53, lambda i, t: L.logfmt(
            t, "info", "invoice rendered", invoice=f"INV-2026-{7100 + i}", pages=1 + i % 3, took_ms=140 + i % 90)))

    inc.deployment("billing", "billing-api", [
        Rev(5, at - timedelta(days=3), "deploy billing-api 3.3.0 from ghcr",
            [c("billing-api", "ghcr.io/acme-corp/billing-api:3.3.0")],
            pod_spec={"imagePullSecrets": [{"name": "ghcr-pull"}]})], {5: [P(log=ok)] * 2})
    msg = (f'Failed to pull image "{bad}": failed to pull and unpack image "{bad}": failed to resolve reference '
           f'"{bad}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to '
           "https://ghcr.io/token?scope=repository%3Aacme-corp%2Finvoicer%3Apull&service=ghcr.io: 401 Unauthorized")
    inc.deployment("billing", "invoicer", [
        Rev(9, at - timedelta(days=20), "deploy invoicer 1.9.4",
            [c("invoicer", f"{REGISTRY}/billing/invoicer:1.9.4")]),
        Rev(10, deploy_at, "invoicer 2.0.0: publish images to GHCR", [c("invoicer", bad)]),
    ], {9: [P(log=ok)] * 2, 10: [P("waiting", waiting_reason="ImagePullBackOff", message=msg)]},
        progress="deadline", replicas=2, max_surge="1", max_unavailable="0")
    inc.ask("The invoicer rollout in billing has been stuck for 20 minutes. What is wrong with it?")
    inc.answer_key(culprit=("Deployment", "billing", "invoicer"), keywords=["ghcr.io", "401", "imagePullSecrets"],
                   root_cause="invoicer 2.0.0 pulls from the private ghcr.io/acme-corp repository but the Deployment "
                              "has no imagePullSecrets (billing-api uses ghcr-pull), so the pull is anonymous and "
                              "gets 401 Unauthorized: ImagePullBackOff.",
                   category="image-pull-auth", red_herrings=[("Deployment", "billing", "billing-api")])
    return inc


def report_builder_not_ready() -> Incident:
    """To stop an OOM, someone raises report-builder's memory request to 24Gi: no 16Gi node fits it.

    On-call sees: KubePodNotReady for a pod that was never scheduled; FailedScheduling says
    Insufficient memory on all four nodes.
    """
    at = datetime(2026, 8, 3, 6, 40, tzinfo=UTC)
    inc = Incident("report-builder-not-ready", title="KubePodNotReady: data/report-builder",
                   story="A memory request larger than any node's allocatable memory.",
                   at=at, seed=309, namespaces=("data",))
    deploy_at = at - timedelta(minutes=19)

    def ok(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 90, lambda i, t: L.pylog(
            t, "INFO", "reports.worker", f"built report daily-sales-{i % 5} rows={18000 + 77 * i} in {9 + i % 6}s")))

    img = f"{REGISTRY}/data/report-builder:2.2.0"
    msg = ("0/4 nodes are available: 4 Insufficient memory. preemption: 0/4 nodes are available: "
           "4 No preemption victims found for incoming pod.")
    inc.deployment("data", "report-builder", [
        Rev(6, at - timedelta(days=9), "deploy report-builder 2.2.0",
            [c("report-builder", img, memory_request="2Gi", memory_limit="3Gi", port=None)]),
        Rev(7, deploy_at, "report-builder: more memory for month-end reports (DATA-877)",
            [c("report-builder", img, memory_request="24Gi", memory_limit="24Gi", port=None)]),
    ], {6: [P(log=ok)] * 2, 7: [P("pending", message=msg)]}, replicas=2, max_surge="1", max_unavailable="0",
        progress="deadline")
    inc.statefulset("data", "report-store", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                memory_limit="4Gi", memory_request="3Gi", readiness_path=None,
                                                liveness_path=None)],
                    [P(log=_store_log, memory_mi=3600)], at - timedelta(days=30), claims=[("data", "200Gi", "gp3")],
                    service=5432)
    pod = inc.pods_of("data", "report-builder")[-1].name
    inc.alertmanager("KubePodNotReady", {"namespace": "data", "pod": pod, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod data/{pod} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod) (max by(namespace, pod) (kube_pod_status_phase{job='
                     '"kube-state-metrics", phase=~"Pending|Unknown|Failed"})) > 0')
    inc.answer_key(culprit=("Deployment", "data", "report-builder"), keywords=["24Gi", "Insufficient memory"],
                   root_cause="Revision 7 of data/report-builder requests 24Gi of memory, more than any node can "
                              "allocate (16Gi nodes), so the scheduler reports Insufficient memory and the pod stays "
                              "Pending.",
                   category="pending-insufficient-memory",
                   red_herrings=[("StatefulSet", "data", "report-store")])
    return inc


def _store_log(pod: str, start: datetime, end: datetime) -> str:
    """A busy database beside the incident: slow queries that look guilty and are not."""
    return L.lines(L.ticker(end - timedelta(minutes=30), end, 150, lambda i, t: L.postgres(
        t, "LOG", f"duration: {41000 + 977 * i}.{i % 9}12 ms  statement: SELECT date_trunc('day', created_at), "
                  "sum(total) FROM orders GROUP BY 1" if i % 3 else
        "using stale statistics instead of current ones because stats collector is not responding", pid=400 + i)))


def thumbnailer_replicas_mismatch() -> Incident:
    """A new cache volume names StorageClass gp3-encrypted, which was never created in this cluster.

    On-call sees: KubeDeploymentReplicasMismatch for media/thumbnailer; the pod is Pending with
    unbound PersistentVolumeClaims; the PVC's events say the StorageClass is not found.
    """
    at = datetime(2026, 8, 19, 14, 30, tzinfo=UTC)
    inc = Incident("thumbnailer-replicas-mismatch", title="KubeDeploymentReplicasMismatch: media/thumbnailer",
                   story="A PersistentVolumeClaim names a StorageClass that does not exist.",
                   at=at, seed=310, namespaces=("media",))
    for name, default in (("gp2", False), ("gp3", True)):
        inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                 "metadata": {"name": name, "annotations": {
                     "storageclass.kubernetes.io/is-default-class": "true" if default else "false"}},
                 "provisioner": "ebs.csi.aws.com", "parameters": {"type": name, "encrypted": "true"},
                 "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
                 "allowVolumeExpansion": True})
    created = at - timedelta(minutes=28)
    pvc = inc.pvc("media", "thumbnail-cache", "50Gi", "gp3-encrypted", labels={"app": "thumbnailer"},
                  phase="Pending")
    pvc["metadata"]["creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    inc.event(pvc, "ProvisioningFailed", 'storageclass.storage.k8s.io "gp3-encrypted" not found', created,
              inc.captured - timedelta(seconds=20), count=112, component="persistentvolume-controller")
    img = f"{REGISTRY}/media/thumbnailer:1.4.0"
    msg = ("0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/4 nodes are "
           "available: 4 Preemption is not helpful for scheduling.")
    inc.deployment("media", "thumbnailer", [
        Rev(1, created, "thumbnailer 1.4.0 with a local cache volume", [c("thumbnailer", img)],
            pod_spec={"volumes": [{"name": "cache", "persistentVolumeClaim": {"claimName": "thumbnail-cache"}}]}),
    ], {1: [P("pending", message=msg)]}, progress="progressing")

    def up(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 23, lambda i, t: L.nginx_access(
            t, f"10.244.{1 + i % 3}.{40 + i % 20}", f"POST /upload/{i:05d}", 202 if i % 7 else 413,
            312 if i % 7 else 183, "media-uploader-80", "202" if i % 7 else "413", 0.04 + (i % 9) / 100)))

    inc.deployment("media", "uploader", [Rev(3, at - timedelta(days=6), "uploader 0.8.1",
                                             [c("uploader", "docker.io/library/nginx:1.27.1")])], {3: [P(log=up)] * 2})
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "media", "deployment": "thumbnailer",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment media/thumbnailer has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("PersistentVolumeClaim", "media", "thumbnail-cache"),
                   keywords=["gp3-encrypted", "StorageClass"],
                   root_cause="PersistentVolumeClaim media/thumbnail-cache asks for StorageClass gp3-encrypted, "
                              "which does not exist (only gp2 and gp3), so it never binds and the thumbnailer pod "
                              "stays Pending.",
                   category="pending-pvc-storageclass", red_herrings=[("Deployment", "media", "uploader")])
    return inc


def semantic_search_fallback() -> Incident:
    """embedder must run on the gpu node pool, which was scaled to zero and deleted last week.

    Somebody asks why semantic search has been down since the morning. The pods are Pending: no
    node carries the `karpenter.sh/nodepool: gpu` label their nodeSelector requires.
    """
    at = datetime(2026, 9, 8, 9, 30, tzinfo=UTC)
    inc = Incident("semantic-search-fallback", title="Question: semantic search falling back",
                   story="A nodeSelector names a node pool that no longer has any nodes.",
                   at=at, seed=311, namespaces=("ml",))
    img = f"{REGISTRY}/ml/embedder:0.6.2"
    msg = ("0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes "
           "are available: 4 Preemption is not helpful for scheduling.")
    inc.deployment("ml", "embedder", [
        Rev(5, at - timedelta(hours=3, minutes=10), "embedder 0.6.2: pin to gpu pool",
            [c("embedder", img, memory_request="6Gi", memory_limit="8Gi")],
            pod_spec={"nodeSelector": {"karpenter.sh/nodepool": "gpu"},
                      "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}),
    ], {5: [P("pending", message=msg)] * 2}, progress="deadline")
    key = inc.canary("aws", "ml-s3")
    secret = inc.canary("aws-secret", "ml-s3")
    inc.secret("ml", "model-store", {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 27, lambda i, t: L.pylog(
            t, "WARNING" if i % 2 else "INFO", "search.semantic",
            "embedder unavailable, falling back to keyword search" if i % 2 else "query served (keyword)")))

    inc.deployment("ml", "search-api", [Rev(2, at - timedelta(days=4), "search-api 1.1.0",
                                            [c("search-api", f"{REGISTRY}/ml/search-api:1.1.0")])],
                   {2: [P(log=api)] * 2})
    inc.ask("Semantic search has been falling back to keyword search since this morning. Why isn't the embedder "
            "in the ml namespace running?")
    inc.answer_key(culprit=("Deployment", "ml", "embedder"), keywords=["nodeSelector", "gpu"],
                   root_cause="ml/embedder's nodeSelector requires karpenter.sh/nodepool=gpu and no node has that "
                              "label (the gpu pool is gone), so both pods stay Pending.",
                   category="pending-node-selector", red_herrings=[("Deployment", "ml", "search-api")])
    return inc


SCENARIOS = [search_crashlooping, frontend_error_budget, frontend_replicas_mismatch, invoicer_rollout_question,
             report_builder_not_ready, thumbnailer_replicas_mismatch, semantic_search_fallback]
