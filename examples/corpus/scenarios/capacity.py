"""Capacity set wrong by hand: a CPU limit cut too far, a pod that tolerates no taint on the nodes it needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c


def edge_proxy_latency() -> Incident:
    """A cost review cuts legacy-shop's CPU limit from 2 to 200m; PHP requests now take seconds.

    On-call sees: a latency error-budget burn on edge-proxy, an nginx in front of legacy-shop whose
    error log says 'upstream timed out (110: Connection timed out) while reading response header'.
    edge-proxy is the victim. legacy-shop's pods are throttled (CPU usage pinned at the limit) and
    its liveness probe times out now and then, adding restarts.
    """
    at = datetime(2026, 9, 14, 12, 25, tzinfo=UTC)
    inc = Incident("edge-proxy-latency", title="Error budget burn: edge-proxy latency",
                   story="A CPU limit cut far below what the application needs; it is throttled into timeouts.",
                   at=at, seed=333, namespaces=("legacy",))
    cut = at - timedelta(minutes=48)
    img = f"{REGISTRY}/legacy/legacy-shop:7.4.33-r12"

    def php(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, end - timedelta(minutes=15)), end, 23, lambda i, t: (
            f"[{t.strftime('%d-%b-%Y %H:%M:%S')}] WARNING: [pool www] child {40 + i % 9}, script "
            "'/var/www/html/index.php' (request: \"GET /index.php\") executing too slow (5.0{i % 9} sec), "
            "logging" if i % 3 == 0 else
            f'10.244.2.{17 + i % 5} -  {t.strftime("%d/%b/%Y:%H:%M:%S")} +0000 "GET /index.php" 200 '
            f"{3100 + 97 * (i % 11)}ms")))

    shop = inc.deployment("legacy", "legacy-shop", [
        Rev(30, at - timedelta(days=60), "legacy-shop 7.4.33-r12",
            [c("legacy-shop", img, cpu_request="500m", cpu_limit="2", memory_limit="1Gi")]),
        Rev(31, cut, "resources: cap legacy-shop CPU (cost review FIN-88)",
            [c("legacy-shop", img, cpu_request="100m", cpu_limit="200m", memory_limit="1Gi")]),
    ], {31: [P("crashloop", log=php, reason="Error", exit_code=137, run_s=lambda n: 900 + 120 * (n % 3),
               liveness_kill='Liveness probe failed: Get "http://{ip}:8080/healthz/live": context deadline exceeded '
                             "(Client.Timeout exceeded while awaiting headers)")] * 2})
    for h in shop.pods:
        inc.series("container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals.",
                   {"namespace": "legacy", "pod": h.name, "container": "legacy-shop", "job": "kubelet"},
                   _since(h.created, 9.6))
        inc.series("container_cpu_cfs_periods", "counter", "Number of elapsed enforcement period intervals.",
                   {"namespace": "legacy", "pod": h.name, "container": "legacy-shop", "job": "kubelet"},
                   _since(h.created, 10.0))
    inc.service("legacy", "legacy-shop", {"app": "legacy-shop"})

    def proxy(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.nginx_error(t, "upstream timed out (110: Connection timed out) while reading response "
                                        "header from upstream, client: 10.0.2.31, server: shop-legacy.example.com, "
                                        'request: "GET /index.php?route=product/category&path=20 HTTP/1.1", upstream: '
                                        '"http://legacy-shop.legacy.svc.cluster.local:80/index.php?route=product/'
                                        'category&path=20", host: "shop-legacy.example.com"', conn=8800 + i)
            return L.nginx_access(t, f"10.0.2.{30 + i % 4}", "GET /index.php?route=product/category&path=20",
                                  504 if i % 3 == 1 else 200, 562 if i % 3 == 1 else 18211, "legacy-legacy-shop-80",
                                  "504" if i % 3 == 1 else "200", 5.001 if i % 3 == 1 else 3.2 + (i % 7) / 10)
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 8, line))

    inc.deployment("legacy", "edge-proxy", [Rev(5, at - timedelta(days=33), "edge-proxy nginx 1.27.1",
                                                 [c("edge-proxy", "docker.io/library/nginx:1.27.1", port=80,
                                                    readiness_path="/nginx-health", liveness_path=None)])],
                   {5: [P(log=proxy)] * 2})
    inc.slo_burn("edge-proxy", "legacy", "legacy-shop-latency", "0.99", 27.0,
                 "More than 27% of requests to shop-legacy.example.com take longer than 2 s (objective 99% < 2 s).")
    inc.answer_key(culprit=("Deployment", "legacy", "legacy-shop"), keywords=["200m", "CPU", "throttl"],
                   root_cause="Revision 31 of legacy/legacy-shop cut its CPU limit from 2 to 200m; the pods are "
                              "throttled, PHP requests take seconds, edge-proxy times out (504) and liveness probes "
                              "time out too.",
                   category="cpu-limit-throttling", red_herrings=[("Deployment", "legacy", "edge-proxy")])
    return inc


def _since(start: datetime, per_second: float) -> Callable[[datetime], float | None]:
    """A counter growing at a steady rate from a pod's creation."""
    return lambda t: round((t - start).total_seconds() * per_second) if t >= start else None


def transcoder_pending() -> Incident:
    """The batch node pool is re-created with a dedicated=batch:NoSchedule taint; transcoder has no toleration.

    Somebody asks in chat. The platform team tainted the batch nodes yesterday (NoSchedule does not
    evict, so nothing broke then); this morning transcoder was scaled up from zero for the day and
    its pods are Pending: two nodes do not match its nodeSelector, the two that do carry a taint it
    does not tolerate. Nothing changed in transcoder itself.
    """
    at = datetime(2026, 9, 21, 8, 50, tzinfo=UTC)
    inc = Incident("transcoder-pending", title="Question: transcoder pods not starting",
                   story="Nodes gain a taint; a workload pinned to them does not tolerate it.", at=at, seed=334,
                   namespaces=("render",))
    rolled = at - timedelta(hours=1, minutes=5)
    for node in inc.cluster.nodes[2:]:
        node["metadata"]["labels"]["workload-type"] = "batch"
        node["spec"]["taints"] = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    msg = ("0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated "
           "taint {dedicated: batch}. preemption: 0/4 nodes are available: 4 Preemption is not helpful for "
           "scheduling.")
    key = inc.canary("stripe", "render-billing")
    wl = inc.deployment("render", "transcoder", [
        Rev(12, at - timedelta(days=18), "transcoder 3.8.0",
            [c("transcoder", f"{REGISTRY}/render/transcoder:3.8.0", port=None, cpu_request="2",
               memory_request="4Gi", memory_limit="6Gi", env=[{"name": "BILLING_API_KEY", "value": key}])],
            pod_spec={"nodeSelector": {"workload-type": "batch"}}),
    ], {12: [P("pending", message=msg, created=rolled + timedelta(seconds=3 * k)) for k in range(3)]},
        progress="complete")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[12]} to 3 from 0", rolled, warning=False,
              component="deployment-controller")

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 60, lambda i, t: L.logfmt(
            t, "warn", "render queue growing", queued=140 + 11 * i, oldest_s=3900 + 60 * i, workers=0)))

    inc.deployment("render", "render-api", [Rev(4, at - timedelta(days=18), "render-api 1.2.0",
                                                 [c("render-api", f"{REGISTRY}/render/render-api:1.2.0")])],
                   {4: [P(log=api)] * 2})
    inc.ask("Render jobs have been queueing for an hour and the transcoder pods in render never start. Why?")
    inc.answer_key(culprit=("Deployment", "render", "transcoder"), keywords=["untolerated taint", "dedicated"],
                   root_cause="render/transcoder must run on workload-type=batch nodes, which now carry the taint "
                              "dedicated=batch:NoSchedule; the Deployment has no matching toleration (untolerated "
                              "taint), so its pods stay Pending.",
                   category="pending-untolerated-taint", red_herrings=[("Deployment", "render", "render-api")])
    return inc


SCENARIOS = [edge_proxy_latency, transcoder_pending]
