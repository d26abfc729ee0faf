"""Round 40 of the held-out incident set: the network data path inside the cluster and out to the cloud.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit in the network path: a load balancer's idle timeout against an app's keep-alive,
gRPC connections pinned by a ClusterIP, pod IP address management on a small subnet, a VPN tunnel's MTU,
NAT gateway port allocation, kube-proxy's nftables mode, a load balancer health check that ignores
externalTrafficPolicy Local, an egress NetworkPolicy naming the Service CIDR, NLB hairpinning with
client IP preservation, a TargetGroupBinding's port, the node conntrack timeout and gRPC keepalive
enforcement. Most pages are on the applications they hurt; a few are simple (the cause is in the paged
object's own spec or revisions).
Log lines follow the real software's formats.
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

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    gomillis,
    herring,
    node,
    plant,
    pod_log,
    revision,
    send,
    series,
    start,
    step,
    within,
    workload,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", source: dict[str, str] | None = None) -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent); `source` are the external labels of the rule evaluator."""
    full = {"alertname": name, **labels, "severity": severity, **(PROM if source is None else source)}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


# ---- round 40 helpers ------------------------------------------------------------------------------
def stamp(obj: dict[str, Any], first: str, made: datetime, manager: str, chg: datetime, fields: dict[str, Any],
          op: str = "Update") -> dict[str, Any]:
    """A built-in object created by `first` long ago and last changed by `manager` at `chg`."""
    return changed(obj, (first, "Apply" if first != "kubectl-client-side-apply" else "Update", made,
                         {"f:metadata": {}}), (manager, op, chg, fields))


def daemon_pod(inc: Incident, ns: str, ds: str, index: int, node_name: str, image: str, created: datetime,
               rev_hash: str, log: str) -> PodHistory:
    """One running DaemonSet pod on `node_name`, started at `created`, with its whole log."""
    cont = c(ds, image, memory_limit="128Mi", memory_request="32Mi", cpu_request="50m", port=None)
    return inc.cluster.add_pod(PodHistory(
        name=f"{ds}-{o.suffix(f'{ns}/{ds}/{index}/{rev_hash}', 5)}", namespace=ns, workload=ds, containers=[cont],
        node=node_name, created=created, states=[o.ContainerState(started_at=created + timedelta(seconds=4))],
        labels={"app": ds, "controller-revision-hash": rev_hash}, owner=o.owner_ref("DaemonSet", ds, ns),
        logs={ds: log}))


def ref(kind: str, ns: str, name: str, api: str = "v1") -> dict[str, Any]:
    """What an Event needs of the object it is about."""
    return {"kind": kind, "apiVersion": api, "metadata": {"name": name, "namespace": ns,
                                                           "uid": o.uid(kind.lower(), ns, name)}}


def aws_zap(t: datetime, level: str, logger: str, msg: str, **fields: object) -> str:
    """aws-load-balancer-controller's zap JSON line."""
    body = {"level": level, "ts": gomillis(t), "logger": logger, "msg": msg, **fields}
    return json.dumps(body, separators=(",", ":"))


def yace(inc: Incident, family: str, dims: dict[str, str], fn: Series, help_: str = "CloudWatch metric") -> None:
    """A CloudWatch metric as YACE (yet-another-cloudwatch-exporter) exposes it."""
    series(inc, family, "gauge", help_, {"job": "yace", "region": "eu-west-1", **dims}, fn, step_s=60)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)


def storefront_502_question() -> Incident:
    """An ALB's idle timeout raised above the app's keep-alive: the balancer reuses sockets Node.js has closed (502).

    after: the load-balancer idle-timeout mismatch that AWS's troubleshooting pages and many postmortems
    describe: the balancer's idle timeout must stay below the backend's keep-alive timeout; one cluster-wide
    IngressClassParams raised every ALB of the class to 600 s while storefront-web (Node.js) closes idle
    sockets after 65 s, so a few percent of requests land on a socket the server just closed and the ALB
    answers 502 itself.

    The IngressClassParams `alb-public` (cluster-scoped) gained `idle_timeout.timeout_seconds=600` at 08:55;
    the controller log applies it to the ALB; ELB-generated 502s start then while the target's own 5xx stay
    at zero and storefront-web logs only 200s. Red herring: storefront-assets rolled a new image.
    """
    inc = start(storefront_502_question, "Storefront returning 502 to some shoppers", AT1, 4001,
                namespaces=("storefront",))
    chg = AT1 - timedelta(minutes=45)
    spec = {"group": {"name": "public"}, "scheme": "internet-facing", "ipAddressType": "ipv4",
            "loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "600"},
                                       {"key": "routing.http2.enabled", "value": "true"},
                                       {"key": "deletion_protection.enabled", "value": "true"}]}
    custom(inc, "IngressClassParams", "elbv2.k8s.aws/v1beta1", "ingressclassparams", "", "alb-public", spec, {},
           "kubectl-patch", chg, {"f:spec": {"f:loadBalancerAttributes": {}}}, scope="Cluster", generation=4)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "alb-public"},
             "spec": {"controller": "ingress.k8s.aws/alb",
                      "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams",
                                     "name": "alb-public"}}})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "storefront-web", "namespace": "storefront", "generation": 2,
                          "annotations": {"alb.ingress.kubernetes.io/target-type": "ip",
                                          "alb.ingress.kubernetes.io/healthcheck-path": "/healthz"}},
             "spec": {"ingressClassName": "alb-public",
                      "rules": [{"host": "www.shop.example", "http": {"paths": [
                          {"path": "/", "pathType": "Prefix",
                           "backend": {"service": {"name": "storefront-web", "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [
                 {"hostname": "k8s-public-9f3e21c4a7-1843920117.eu-west-1.elb.amazonaws.com"}]}}})

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        paths = ["/", "/product/88121", "/cart", "/api/recommendations", "/search?q=boots"]
        return every(s, e, 2.5, lambda i, t: json.dumps(
            {"level": 30, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
             "req": {"method": "GET", "url": paths[i % 5]}, "res": {"statusCode": 200},
             "responseTime": 18 + i % 40, "msg": "request completed"}, separators=(",", ":")))
    workload(inc, "storefront", "storefront-web", web, replicas=3,
             env=[{"name": "KEEP_ALIVE_TIMEOUT_MS", "value": "65000"},
                  {"name": "HEADERS_TIMEOUT_MS", "value": "66000"}])
    inc.service("storefront", "storefront-web", {"app": "storefront-web"}, port=80, target=8080)

    def ctrl(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = every(s, e, 600, lambda i, t: aws_zap(
            t, "info", "controllers.ingress", "successfully deployed model", ingressGroup="public"))
        out.append((chg + timedelta(seconds=2), aws_zap(chg + timedelta(seconds=2), "info",
                                                        "controllers.ingress",
                                                        "modifying loadBalancer attributes", stackID="public",
                                                        resourceID="LoadBalancer",
                                                        arn="arn:aws:elasticloadbalancing:eu-west-1:481223904410:"
                                                            "loadbalancer/app/k8s-public-9f3e21c4a7/5c1e0d7f2a9b",
                                                        change={"idle_timeout.timeout_seconds": "600"})))
        out.append((chg + timedelta(seconds=3), aws_zap(chg + timedelta(seconds=3), "info", "controllers.ingress",
                                                        "modified loadBalancer attributes", stackID="public",
                                                        resourceID="LoadBalancer")))
        return out
    workload(inc, "kube-system", "aws-load-balancer-controller", ctrl, replicas=1)
    dims = {"load_balancer": "app/k8s-public-9f3e21c4a7/5c1e0d7f2a9b", "dimension_LoadBalancer":
            "app/k8s-public-9f3e21c4a7/5c1e0d7f2a9b"}
    yace(inc, "aws_applicationelb_httpcode_elb_502_count_sum", dims,
         lambda t: 0.0 if t < chg + timedelta(minutes=3) else 140.0 + (t.minute % 4) * 9)
    yace(inc, "aws_applicationelb_httpcode_target_5_xx_count_sum", dims, lambda t: 0.0)
    yace(inc, "aws_applicationelb_request_count_sum", dims, lambda t: 5200.0 + (t.minute % 6) * 40)
    herring(inc, "storefront", "storefront-assets", f"{REGISTRY}/storefront/storefront-assets", "5.2.0", "5.3.0",
            AT1 - timedelta(minutes=70))
    plant(inc, "storefront", "storefront-session", "token", "session-signing", "SESSION_SECRET")
    inc.ask("Shoppers report random 502s on storefront-web since about nine, maybe one request in thirty. "
            "The pods look healthy and their logs are all 200s. What is going on?")
    inc.answer_key(
        culprit=("IngressClassParams", "", "alb-public"),
        keywords=["idle_timeout", "keep-alive", "600"],
        root_cause="IngressClassParams alb-public raised the ALB idle_timeout to 600 s, above storefront-web's "
                   "65 s keep-alive timeout: the ALB reuses connections Node.js already closed and returns 502.",
        category="alb-idle-timeout-above-backend-keepalive",
        red_herrings=[("Deployment", "storefront", "storefront-assets")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 15, 10, tzinfo=UTC)


def ratings_latency_burn() -> Incident:
    """A gRPC client moved from a headless name with round_robin to the ClusterIP: connections pin to few backends.

    after: the HTTP/2 and gRPC load-balancing trap that the gRPC and Kubernetes blogs and many on-call
    threads describe: kube-proxy balances connections, not requests, so long-lived gRPC channels through a
    ClusterIP stick to whichever pods they first reached; scaling the server out adds pods that receive
    nothing. product-page's new revision points its channel at `ratings:9090` instead of
    `dns:///ratings-headless...` with the round_robin policy.

    product-page revision 7 (14:20) changes RATINGS_ADDR and drops GRPC_LB_POLICY; ratings was scaled
    from 3 to 6 by its HPA at 14:40; per-pod handled RPCs show two ratings pods taking everything and four
    taking nothing; product-page logs DEADLINE_EXCEEDED. Red herring: reviews-ui rolled a new image.
    """
    inc = start(ratings_latency_burn, "Ratings latency SLO burning", AT2, 4002, namespaces=("reviews",))
    chg = AT2 - timedelta(minutes=50)
    old_env = [{"name": "RATINGS_ADDR", "value": "dns:///ratings-headless.reviews.svc.cluster.local:9090"},
               {"name": "GRPC_LB_POLICY", "value": "round_robin"}, {"name": "RATINGS_DEADLINE_MS", "value": "500"}]
    new_env = [{"name": "RATINGS_ADDR", "value": "ratings.reviews.svc.cluster.local:9090"},
               {"name": "RATINGS_DEADLINE_MS", "value": "500"}]
    img = f"{REGISTRY}/reviews/product-page"

    def page(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if i % 4:
                return L.spring(t, "INFO", "c.e.productpage.web.ProductController",
                                f"GET /product/{4100 + i % 70} 200 in {60 + i % 90} ms",
                                thread=f"http-nio-9080-exec-{i % 9}")
            return L.spring(t, "WARN", "c.e.productpage.ratings.RatingsClient",
                            "ratings lookup failed, rendering without stars: io.grpc.StatusRuntimeException: "
                            "DEADLINE_EXCEEDED: deadline exceeded after 0.499812345s. "
                            "[closed=[], open=[[buffered_nanos=3120, remote_addr=ratings.reviews.svc.cluster.local/"
                            "172.20.0.41:9090]]]", thread=f"http-nio-9080-exec-{i % 9}")
        return every(max(s, chg + timedelta(minutes=25)), e, 4, make)
    revs = [Rev(6, inc.born + timedelta(days=15), "helm upgrade", [c("product-page", f"{img}:3.2.0", env=old_env,
                                                                      port=9080)]),
            Rev(7, chg, "helm upgrade", [c("product-page", f"{img}:3.2.0", env=new_env, port=9080)])]
    inc.deployment("reviews", "product-page", revs, {7: [P(log=within(page)) for _ in range(2)]})

    def ratings_log(hot: bool) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            return every(s, e, 3 if hot else 120, lambda i, t: (
                f"{gomillis(t)[:-1]}123Z  INFO ratings::server: served rpc=GetRatings product={4100 + i % 70} "
                f"latency_ms={(380 + i % 160) if hot and t > chg + timedelta(minutes=30) else 6 + i % 9}"))
        return make
    rr = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
             [c("ratings", f"{REGISTRY}/reviews/ratings:1.14.2", port=9090)])
    wl = inc.deployment("reviews", "ratings", [rr], {1: [P(log=within(ratings_log(i < 2))) for i in range(6)]})
    inc.service("reviews", "ratings", {"app": "ratings"}, port=9090, target=9090)
    inc.service("reviews", "ratings-headless", {"app": "ratings"}, port=9090, target=9090)
    inc.find("Service", "reviews", "ratings-headless")["spec"].update({"clusterIP": "None", "clusterIPs": ["None"]})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "ratings", "namespace": "reviews"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ratings"},
                      "minReplicas": 3, "maxReplicas": 10,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 60}}}]},
             "status": {"currentReplicas": 6, "desiredReplicas": 6,
                        "lastScaleTime": ts(AT2 - timedelta(minutes=30))}})
    for i, pod in enumerate(wl.pods):
        hot = i < 2
        series(inc, "grpc_server_handled_total", "counter", "Total number of RPCs completed on the server.",
               {"namespace": "reviews", "pod": pod.name, "grpc_method": "GetRatings", "grpc_code": "OK"},
               counter(AT2 - timedelta(hours=2), 40.0, 120.0 if hot else 0.0, chg + timedelta(minutes=2)))
        series(inc, "container_cpu_cfs_throttled_periods_total", "counter", "Throttled periods.",
               {"namespace": "reviews", "pod": pod.name, "container": "ratings"},
               counter(AT2 - timedelta(hours=2), 0.05, 6.0 if hot else 0.0, chg + timedelta(minutes=2)))
    herring(inc, "reviews", "reviews-ui", f"{REGISTRY}/reviews/reviews-ui", "1.9.3", "1.10.0",
            AT2 - timedelta(minutes=80))
    plant(inc, "reviews", "ratings-db", "password", "ratings-db", "POSTGRES_PASSWORD")
    inc.slo_burn("ratings", "reviews", "ratings-latency", "0.99", 16.2,
                 "ratings: 99% of GetRatings calls should finish within 500 ms; the 1h window is burning 16x.")
    inc.answer_key(
        culprit=("Deployment", "reviews", "product-page"),
        keywords=["round_robin", "headless", "connection"],
        root_cause="product-page revision 7 points its gRPC channel at the ClusterIP instead of the headless "
                   "name with round_robin: HTTP/2 connections pin to two ratings pods, the scaled-out pods idle.",
        category="grpc-clusterip-connection-pinning",
        red_herrings=[("Deployment", "reviews", "reviews-ui")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 9, 50, tzinfo=UTC)


def order_api_replicas_mismatch() -> Incident:
    """An ENIConfig re-pointed at a tiny subnet: the zone's nodes cannot get pod IPs and new pods never start.

    after: pod IP exhaustion under the AWS VPC CNI's custom networking, a recurring EKS support case and
    postmortem topic: ENIConfig decides which subnet secondary ENIs come from; moved to a /27 that is
    nearly full, ipamd cannot attach ENIs (InsufficientFreeAddressesInSubnet) and every pod scheduled onto
    that zone's node stays in ContainerCreating with `failed to assign an IP address to container`.

    ENIConfig `eu-west-1b` (cluster-scoped) changed by Terraform at 09:05 to subnet-0f3c7d29b1e6a8c54; aws-node
    on the 1b node logs the error, its pool metrics show no free IPs; order-api's four new pods wait with
    FailedCreatePodSandBox events. Red herring: order-worker rolled a new image.
    """
    inc = start(order_api_replicas_mismatch, "order-api replicas mismatch", AT3, 4003, namespaces=("orders",))
    chg = AT3 - timedelta(minutes=45)
    custom(inc, "ENIConfig", "crd.k8s.amazonaws.com/v1alpha1", "eniconfigs", "", "eu-west-1b",
           {"subnet": "subnet-0f3c7d29b1e6a8c54", "securityGroups": ["sg-07b41e2a9c3d5f611"]}, {},
           "Terraform", chg, {"f:spec": {"f:subnet": {}}}, scope="Cluster", generation=3, first="Terraform")
    custom(inc, "ENIConfig", "crd.k8s.amazonaws.com/v1alpha1", "eniconfigs", "", "eu-west-1a",
           {"subnet": "subnet-02a9e6d1c44b7f310", "securityGroups": ["sg-07b41e2a9c3d5f611"]}, {},
           "Terraform", inc.born + timedelta(days=4), {"f:spec": {}}, scope="Cluster", generation=1, first="Terraform")
    zone_b = node(inc, 1)
    msg = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox '
           '"{sb}": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: Error received from AddNetwork '
           'gRPC call: rpc error: code = Unknown desc = failed to assign an IP address to container')

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 5, lambda i, t: L.js(t, "info", "order accepted", order_id=f"o-{91200 + i}",
                                              latency_ms=40 + i % 55))
    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                [c("order-api", f"{REGISTRY}/orders/order-api:4.1.2")])]
    plans = [P(log=within(api), node=node(inc, i)) for i in (0, 2, 3)]
    plans += [P(state="waiting", waiting_reason="ContainerCreating", message="", node=zone_b,
                created=AT3 - timedelta(minutes=8 + k)) for k in range(4)]
    wl = inc.deployment("orders", "order-api", revs, {1: plans}, replicas=7)
    for k, h in enumerate(p for p in wl.pods if p.node == zone_b):
        inc.event(ref("Pod", "orders", h.name), "FailedCreatePodSandBox",
                  msg.format(sb=o.suffix(h.name + "sb", 16) * 4), AT3 - timedelta(minutes=8 + k), inc.captured,
                  count=30 + k)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "order-api", "namespace": "orders"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order-api"},
                      "minReplicas": 3, "maxReplicas": 12},
             "status": {"currentReplicas": 7, "desiredReplicas": 7, "lastScaleTime": ts(AT3 - timedelta(minutes=12))}})
    aws = next(h for h in inc.pods_of("kube-system", "aws-node") if h.node == zone_b)

    def ipamd(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < chg + timedelta(minutes=20):
                return json.dumps({"level": "debug", "ts": gomillis(t), "caller": "ipamd/ipamd.go:641",
                                   "msg": "IP pool stats: Total IPs/Prefixes = 28/0, AssignedIPs/CidrPrefixes: 21/0"})
            return json.dumps({"level": "error", "ts": gomillis(t), "caller": "ipamd/ipamd.go:896",
                               "msg": "Failed to increase pool size due to not able to allocate ENI AllocENI: error "
                                      "creating ENI: failed to create network interface: InsufficientFreeAddresses"
                                      "InSubnet: There are not enough free addresses in subnet "
                                      "'subnet-0f3c7d29b1e6a8c54' to satisfy the requested number of instances."})
        return every(s, e, 60, make)
    pod_log(aws, "aws-node", ipamd, AT3 - timedelta(hours=3), inc.captured)
    for h in inc.pods_of("kube-system", "aws-node"):
        full = h.node == zone_b
        lab = {"namespace": "kube-system", "pod": h.name, "instance": h.node}
        series(inc, "awscni_total_ip_addresses", "gauge", "The total number of IP addresses", lab,
               lambda t: 28.0)
        series(inc, "awscni_assigned_ip_addresses", "gauge", "The number of IP addresses assigned to pods",
               lab, (lambda t: 28.0 if t > AT3 - timedelta(minutes=25) else 21.0) if full else (lambda t: 17.0))
        series(inc, "awscni_aws_api_error_count", "counter", "The number of times AWS API returns an error",
               {**lab, "api": "CreateNetworkInterface", "error": "InsufficientFreeAddressesInSubnet"},
               counter(AT3 - timedelta(hours=2), 0.0, 1 / 60 if full else 0.0, chg + timedelta(minutes=20)))
    herring(inc, "orders", "order-worker", f"{REGISTRY}/orders/order-worker", "2.7.0", "2.8.0",
            AT3 - timedelta(minutes=60))
    plant(inc, "orders", "order-api-db", "password", "orders-db", "DB_PASSWORD")
    inc.alertmanager("KubeDeploymentReplicasMismatch",
                     {"namespace": "orders", "deployment": "order-api", "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment orders/order-api has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("ENIConfig", "", "eu-west-1b"),
        keywords=["subnet", "InsufficientFreeAddressesInSubnet", "IP address"],
        root_cause="ENIConfig eu-west-1b moved to a nearly full /27 subnet: ipamd on the 1b node cannot create "
                   "ENIs (InsufficientFreeAddressesInSubnet), so order-api's new pods there never get an IP address "
                   "and stay ContainerCreating.",
        category="cni-custom-networking-subnet-exhausted",
        red_herrings=[("Deployment", "orders", "order-worker")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)


def ledger_export_hanging_page() -> Incident:
    """A WireGuard tunnel config re-applied with `MTU = 1500`: big replies from on-prem are dropped, small ones pass.

    after: the overlay/VPN MTU black hole that WireGuard's docs, cloud VPN guides and many postmortems
    describe: the tunnel interface must be smaller than the path by the encapsulation overhead (1420 for
    WireGuard over 1500); at 1500 full-size packets no longer fit, ICMP fragmentation-needed is filtered, and
    only large transfers hang while pings, handshakes and small queries work.

    The Secret `netops/wg-onprem` (wg0.conf) was re-applied at 12:35 with `MTU = 1500` (was 1420); Reloader
    restarted wg-gateway, whose wg-quick output shows the new MTU; the tunnel handshakes fine; ledger-export's
    large result sets time out. Red herring: ledger-ui rolled a new image.
    """
    inc = start(ledger_export_hanging_page, "ledger-export jobs hanging", AT4, 4004, namespaces=("netops", "finance"))
    chg = AT4 - timedelta(minutes=55)
    key = inc.canary("aws-secret", "wg-onprem-private-key") + "Y="
    peer = "tq1Ik0qZ8mL2b7cV4nX9sR3uE6yW1aD5fG8hJ0kL2mN="
    conf = ("[Interface]\nAddress = 10.250.0.2/30\nListenPort = 51820\nPrivateKey = {key}\nMTU = {mtu}\n"
            "PostUp = iptables -t nat -A POSTROUTING -o wg0 -j MASQUERADE\n\n[Peer]\n"
            f"PublicKey = {peer}\nEndpoint = 198.51.100.24:51820\nAllowedIPs = 10.80.0.0/16\n"
            "PersistentKeepalive = 25\n")
    inc.secret("netops", "wg-onprem", {"wg0.conf": conf.format(key=key, mtu=1500)})
    sec = inc.find("Secret", "netops", "wg-onprem")
    stamp(sec, "kubectl-client-side-apply", inc.born + timedelta(days=5), "kubectl-client-side-apply", chg,
          {"f:data": {"f:wg0.conf": {}}, "f:metadata": {"f:annotations": {}}})
    sec["metadata"]["resourceVersion"] = "918233"

    def wg(mtu: int) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            up = s
            steps = ["[#] ip link add wg0 type wireguard", "[#] wg setconf wg0 /dev/fd/63",
                     "[#] ip -4 address add 10.250.0.2/30 dev wg0", f"[#] ip link set mtu {mtu} up dev wg0",
                     "[#] ip -4 route add 10.80.0.0/16 dev wg0",
                     "[#] iptables -t nat -A POSTROUTING -o wg0 -j MASQUERADE"]
            out: Lines = [(up + timedelta(milliseconds=40 * k), x) for k, x in enumerate(steps)]
            out += every(up + timedelta(seconds=30), e, 300, lambda i, t: (
                f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')} peer {peer[:8]}... latest handshake: {40 + i % 80} seconds ago, "
                f"transfer: {2.1 + i * 0.3:.1f} GiB received, {0.4 + i * 0.05:.2f} GiB sent"))
            return out
        return make
    img = "docker.io/linuxserver/wireguard:1.0.20210914"
    revs = [Rev(3, inc.born + timedelta(days=18), "kubectl rollout restart", [c("wg-gateway", img, port=51820)]),
            Rev(4, chg + timedelta(seconds=20), "reloader", [c("wg-gateway", img, port=51820)],
                pod_spec={})]
    wgw = inc.deployment("netops", "wg-gateway", revs, {4: [P(log=within(wg(1500)))]},
                         annotations={"secret.reloader.stakater.com/reload": "wg-onprem"})
    del wgw

    def export(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < chg + timedelta(minutes=5) or i % 3 == 0:
                return L.pylog(t, "INFO", "ledger_export.job",
                               f"export batch={i} rows={120 + i % 30} took={0.4 + i % 5 / 10:.1f}s")
            return L.pylog(t, "ERROR", "ledger_export.job",
                           f"export batch={i} failed after 300.0s: psycopg2.OperationalError: could not receive "
                           "data from server: Connection timed out (query: SELECT * FROM gl_postings WHERE "
                           "period = '2026-11')")
        return every(s, e, 90, make)
    workload(inc, "finance", "ledger-export", export, replicas=2,
             env=[{"name": "PGHOST", "value": "pg-ledger.corp.internal"}, {"name": "PGPORT", "value": "5432"}])
    wlab = {"namespace": "netops", "pod": "wg-gateway", "interface": "wg0"}
    series(inc, "wireguard_latest_handshake_seconds", "gauge", "UNIX timestamp of the latest handshake", wlab,
           lambda t: t.timestamp() - 60)
    series(inc, "wireguard_received_bytes_total", "counter", "Bytes received from the peer", wlab,
           counter(AT4 - timedelta(hours=2), 2.4e6, 0.15e6, chg))
    herring(inc, "finance", "ledger-ui", f"{REGISTRY}/finance/ledger-ui", "2.0.4", "2.1.0", AT4 - timedelta(minutes=75))
    plant(inc, "finance", "ledger-export-db", "password", "pg-ledger", "PGPASSWORD")
    inc.pagerduty("[finance] ledger-export: month-end export jobs timing out", "finance-batch")
    inc.answer_key(
        culprit=("Secret", "netops", "wg-onprem"),
        keywords=["MTU", "1500", "1420"],
        root_cause="The WireGuard config Secret wg-onprem was re-applied with MTU 1500 instead of 1420: full-size "
                   "packets no longer fit the tunnel, so large query results from on-prem hang.",
        category="vpn-tunnel-mtu-black-hole",
        red_herrings=[("Deployment", "finance", "ledger-ui")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 2, 17, 25, tzinfo=UTC)


def supplier_orders_connect_timeouts() -> Incident:
    """A sync job's new release opens a fresh HTTPS connection per request: the NAT gateway runs out of ports.

    after: NAT gateway port exhaustion (ErrorPortAllocation) from AWS's NAT gateway troubleshooting guide
    and several public postmortems: a gateway keeps at most about 55,000 concurrent connections to one
    destination IP and port; a batch that stops reusing connections fills them with TIME_WAIT-length flows
    and every other workload calling the same partner edge gets connect timeouts.

    CronJob `catalog/supplier-image-sync` got image 1.5.0 (Argo CD, 11:02); its 17:00 run logs a new
    connection per image (urllib3 `Starting new HTTPS connection (1)`); the gateway's ErrorPortAllocation and
    active connections climb from 17:02; supplier-orders (Java) gets HttpConnectTimeoutException to the same
    partner. Red herring: supplier-portal rolled a new image.
    """
    inc = start(supplier_orders_connect_timeouts, "supplier-orders partner calls failing", AT5, 4005,
                namespaces=("catalog", "procurement"))
    chg = AT5 - timedelta(hours=6, minutes=23)
    run = AT5 - timedelta(minutes=25)
    img = f"{REGISTRY}/catalog/supplier-image-sync"
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "supplier-image-sync", "namespace": "catalog", "generation": 9,
                                 "annotations": {"argocd.argoproj.io/tracking-id":
                                                 "catalog:batch/CronJob:catalog/supplier-image-sync"}},
                    "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": "sync", "image": f"{img}:1.5.0",
                                                 "args": ["--partner", "https://cdn.partner-hub.example",
                                                          "--workers", "64"]}]}}}}},
                    "status": {"lastScheduleTime": ts(run)}})
    changed(cron, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
            ("argocd-controller", "Apply", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {}}}}}))
    job = "supplier-image-sync-29411820"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "catalog", "creationTimestamp": ts(run),
                          "ownerReferences": [o.owner_ref("CronJob", "supplier-image-sync", "catalog")]},
             "spec": {"backoffLimit": 1}, "status": {"active": 1, "startTime": ts(run)}})

    def sync(i: int, t: datetime) -> str:
        if i % 5 == 4:
            return L.pylog(t, "INFO", "sync.images", f"synced {i * 64} images, {i * 64 * 3} variants")
        return L.pylog(t, "DEBUG", "urllib3.connectionpool",
                       "Starting new HTTPS connection (1): cdn.partner-hub.example:443")
    cont = c("sync", f"{img}:1.5.0", port=None)
    inc.cluster.add_pod(PodHistory(
        name=f"{job}-{o.suffix(job, 5)}", namespace="catalog", workload=job, containers=[cont], node=node(inc, 2),
        created=run, states=[o.ContainerState(started_at=run + timedelta(seconds=6))],
        labels={"job-name": job, "batch.kubernetes.io/job-name": job}, owner=o.owner_ref("Job", job, "catalog"),
        logs={"sync": L.lines(every(run + timedelta(seconds=8), inc.captured, 0.5, sync)[:4000])}))

    def orders(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < run + timedelta(minutes=3) or i % 2:
                return L.spring(t, "INFO", "c.e.procurement.partner.PartnerClient",
                                f"POST /v2/purchase-orders -> 201 in {180 + i % 90} ms", thread=f"task-{i % 8}")
            return L.spring(t, "ERROR", "c.e.procurement.partner.PartnerClient",
                            "purchase order submit failed: java.net.http.HttpConnectTimeoutException: HTTP connect "
                            "timed out (api.partner-hub.example:443)", thread=f"task-{i % 8}")
        return every(s, e, 8, make)
    workload(inc, "procurement", "supplier-orders", orders, replicas=2)
    dims = {"dimension_NatGatewayId": "nat-0c41d9e7a2b5f8836"}
    yace(inc, "aws_natgateway_error_port_allocation_sum", dims,
         lambda t: 0.0 if t < run + timedelta(minutes=2) else 2400.0 + (t.minute % 5) * 130)
    yace(inc, "aws_natgateway_active_connection_count_maximum", dims,
         lambda t: 3100.0 if t < run else min(3100.0 + (t - run).total_seconds() * 600, 58000.0))
    yace(inc, "aws_natgateway_connection_attempt_count_sum", dims,
         lambda t: 9000.0 if t < run else 61000.0)
    herring(inc, "procurement", "supplier-portal", f"{REGISTRY}/procurement/supplier-portal", "3.3.1", "3.4.0",
            AT5 - timedelta(minutes=50))
    plant(inc, "procurement", "partner-hub-api", "token", "partner-hub", "PARTNER_API_KEY")
    inc.alertmanager("SupplierOrdersPartnerErrors", {"namespace": "procurement", "service": "supplier-orders",
                                                    "job": "supplier-orders"},
                     "supplier-orders: partner API calls failing",
                     "More than 20% of purchase-order submits to the partner API failed over 10 minutes.",
                     'sum(rate(partner_client_requests_total{outcome="error"}[5m])) / '
                     'sum(rate(partner_client_requests_total[5m])) > 0.2',
                     runbook="https://runbooks.example.com/alerts/supplierorderspartnererrors")
    inc.answer_key(
        culprit=("CronJob", "catalog", "supplier-image-sync"),
        keywords=["NAT gateway", "ErrorPortAllocation", "connection"],
        root_cause="supplier-image-sync 1.5.0 opens a new HTTPS connection per image: its run exhausts the NAT "
                   "gateway's ports to the partner edge (ErrorPortAllocation), so supplier-orders' connections "
                   "time out.",
        category="nat-gateway-port-exhaustion-by-batch",
        red_herrings=[("Deployment", "procurement", "supplier-portal")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)


def log_forwarding_alerts_grouped() -> Incident:
    """kube-proxy switched to nftables mode: NodePorts stop answering on 127.0.0.1 and node agents lose their sink.

    after: the documented behaviour change of kube-proxy's nftables mode (NodePort services are not
    reachable on localhost, unlike iptables mode with route_localnet), which upgrade notes and issue
    threads report as node agents suddenly getting `connection refused` from `127.0.0.1:<nodePort>`.

    The ConfigMap `kube-system/kube-proxy-config` was edited at 10:12 to `mode: nftables` with the
    NFTablesProxyMode feature gate; kube-proxy was restarted (ControllerRevision 2) and logs "Using nftables
    Proxier"; every fluent-bit pod then fails to connect to 127.0.0.1:30224 (fluentd-aggregator's NodePort)
    and its retries fail. Red herring: fluentd-aggregator rolled a new image.
    """
    inc = start(log_forwarding_alerts_grouped, "Log forwarding failing on every node", AT6, 4006,
                namespaces=("logging",))
    chg = AT6 - timedelta(minutes=53)
    restart = chg + timedelta(minutes=4)
    conf = ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nbindAddress: 0.0.0.0\n"
            "clientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig\nclusterCIDR: \"\"\n"
            "featureGates:\n  NFTablesProxyMode: true\nmetricsBindAddress: 0.0.0.0:10249\nmode: nftables\n"
            "nftables:\n  syncPeriod: 30s\nconntrack:\n  maxPerCore: 32768\n  min: 131072\n")
    cm = inc.configmap("kube-system", "kube-proxy-config", {"config": conf},
                       annotations={"eks.amazonaws.com/component": "kube-proxy"})
    stamp(cm, "eks", inc.born, "kubectl-edit", chg, {"f:data": {"f:config": {}}})
    tmpl = {"metadata": {"labels": {"k8s-app": "kube-proxy"}}, "spec": {"containers": [
        {"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.30.4",
         "command": ["kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config",
                     "--hostname-override=$(NODE_NAME)"]}]}}
    revision(inc, "DaemonSet", "kube-system", "kube-proxy", 1, inc.born, tmpl)
    tmpl2 = json.loads(json.dumps(tmpl))
    tmpl2["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": ts(restart)}
    rev2 = revision(inc, "DaemonSet", "kube-system", "kube-proxy", 2, restart, tmpl2)
    ds = inc.find("DaemonSet", "kube-system", "kube-proxy")
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["spec"]["template"]["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = ts(restart)
    ds["status"]["observedGeneration"] = 2
    for k, h in enumerate(inc.pods_of("kube-system", "kube-proxy")):
        up = restart + timedelta(seconds=25 * k)
        h.created, h.states = up, [o.ContainerState(started_at=up + timedelta(seconds=2))]
        h.labels = {**h.labels, "controller-revision-hash": rev2.rsplit("-", 1)[1]}
        first = up + timedelta(seconds=3)
        boot = [L.klog(first, "I", "server_linux.go:69", '"Using nftables Proxier" ipFamily="IPv4"'),
                L.klog(first, "I", "server.go:677", '"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"'),
                L.klog(first, "I", "server.go:1055", '"Starting kube-proxy" version="v1.30.4-eks-a737599"'),
                L.klog(first, "I", "config.go:192", '"Starting service config controller"'),
                L.klog(first, "I", "config.go:101", '"Starting endpoint slice config controller"'),
                L.klog(first, "I", "proxier.go:812", '"SyncProxyRules complete" elapsed="38.4ms"')]
        h.logs["kube-proxy"] = "".join(x + "\n" for x in boot)
    series(inc, "kubeproxy_sync_proxy_rules_duration_seconds_count", "counter",
           "SyncProxyRules latency in seconds", {"job": "kube-proxy", "namespace": "kube-system"},
           counter(AT6 - timedelta(hours=2), 1 / 30, 1 / 30, restart))
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade",
                [c("fluentd", "docker.io/fluent/fluentd:v1.17.1-1.0", port=24224)]),
            Rev(2, AT6 - timedelta(minutes=75), "helm upgrade",
                [c("fluentd", "docker.io/fluent/fluentd:v1.17.1-1.1", port=24224)])]
    inc.deployment("logging", "fluentd-aggregator", revs, {2: [P(), P()]})
    inc.service("logging", "fluentd-aggregator", {"app": "fluentd-aggregator"}, port=24224, target=24224)
    svc = inc.find("Service", "logging", "fluentd-aggregator")
    svc["spec"]["type"] = "NodePort"
    svc["spec"]["ports"][0].update({"name": "forward", "nodePort": 30224})
    fb = inc.cluster.daemonset("logging", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
                               inc.born + timedelta(days=6), port=2020)
    for k, h in enumerate(fb):
        def make(i: int, t: datetime, k: int = k) -> str | None:
            stamp_ = t.strftime("[%Y/%m/%d %H:%M:%S]")
            if t < restart + timedelta(seconds=25 * k + 5):
                return None
            if i % 3 == 0:
                return f"{stamp_} [error] [net] TCP connection failed: 127.0.0.1:30224 (Connection refused)"
            if i % 3 == 1:
                return f"{stamp_} [error] [output:forward:forward.0] no upstream connections available"
            return (f"{stamp_} [ warn] [engine] failed to flush chunk '1-{int(t.timestamp())}.{400 + i % 500}.flb', "
                    f"retry in {8 + i % 30} seconds: task_id={i % 40}, input=tail.0 > output=forward.0 (out_id=0)")
        h.logs["fluent-bit"] = L.lines(every(AT6 - timedelta(hours=2), inc.captured, 20, make))
        lab = {"namespace": "logging", "pod": h.name, "name": "forward.0", "instance": h.node}
        series(inc, "fluentbit_output_retries_failed_total", "counter", "Number of abandoned batches because "
               "the maximum number of re-tries was reached.", lab,
               counter(AT6 - timedelta(hours=2), 0.0, 0.2, restart + timedelta(seconds=25 * k)))
        series(inc, "fluentbit_output_proc_records_total", "counter", "Number of processed output records.", lab,
               counter(AT6 - timedelta(hours=2), 240.0, 0.0, restart + timedelta(seconds=25 * k)))
    plant(inc, "logging", "fluentd-es-credentials", "password", "elastic", "ES_PASSWORD")
    alerts = [alert(inc, "FluentBitRetriesFailing", {"namespace": "logging", "pod": h.name, "instance": h.node,
                                                     "job": "fluent-bit"},
                    f"fluent-bit on {h.node} is dropping log batches",
                    f"{h.name} abandoned batches for output forward.0 in the last 10 minutes.",
                    "increase(fluentbit_output_retries_failed_total[10m]) > 0", severity="critical")
              for h in fb[:3]]
    send(inc, alerts, ["alertname", "namespace"])
    inc.answer_key(
        culprit=("ConfigMap", "kube-system", "kube-proxy-config"),
        keywords=["nftables", "localhost", "NodePort"],
        root_cause="kube-proxy-config switched kube-proxy to nftables mode, which does not serve NodePorts on "
                   "localhost: fluent-bit's forward output to 127.0.0.1:30224 is refused on every node.",
        category="kube-proxy-nftables-localhost-nodeport",
        red_herrings=[("Deployment", "logging", "fluentd-aggregator")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 16, 45, tzinfo=UTC)


def public_api_probe_failures() -> Incident:
    """An NLB health check switched to plain TCP on the healthCheckNodePort: nodes without ingress pods pass it.

    after: the externalTrafficPolicy Local health-check trap that the AWS Load Balancer Controller docs and
    issue threads describe: with Local, only nodes running an endpoint may receive traffic, which kube-proxy
    signals by HTTP 503/200 on the healthCheckNodePort; a TCP check only sees that port open on every node,
    so the NLB marks all nodes healthy and sends part of the connections to nodes that drop them.

    The Service `ingress-nginx/ingress-nginx-controller` got `aws-load-balancer-healthcheck-protocol: tcp`
    from a Helm upgrade at 16:02 (ETP Local, healthCheckNodePort 32147); the controller log modifies the
    target group; healthy hosts go from 2 to 4 with two ingress pods; external probes fail about half the
    time while ingress-nginx logs no errors. Red herring: public-api-docs rolled a new image.
    """
    inc = start(public_api_probe_failures, "Public API probes failing intermittently", AT7, 4007, namespaces=("api",))
    chg = AT7 - timedelta(minutes=43)
    svc = inc.find("Service", "ingress-nginx", "ingress-nginx-controller")
    svc["spec"].update({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 32147,
                        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http",
                                   "nodePort": 31080},
                                  {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https",
                                   "nodePort": 31443}]})
    svc["status"] = {"loadBalancer": {"ingress": [
        {"hostname": "k8s-ingressn-ingressn-4d1b7e9a05-6f2c18b3e7d94a01.elb.eu-west-1.amazonaws.com"}]}}
    svc["metadata"]["annotations"] = {
        "meta.helm.sh/release-name": "ingress-nginx", "meta.helm.sh/release-namespace": "ingress-nginx",
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "tcp",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval": "10"}
    stamp(svc, "helm", inc.born, "helm", chg, {"f:metadata": {"f:annotations": {
        "f:service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": {}}}})
    tg = ("arn:aws:elasticloadbalancing:eu-west-1:481223904410:targetgroup/k8s-ingressn-ingressn-61b0e2a4c8/"
          "9a7c5e3f1b2d4068")

    def ctrl(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = every(s, e, 900, lambda i, t: aws_zap(t, "info", "controllers.service",
                                                          "successfully deployed model",
                                                          service={"namespace": "ingress-nginx",
                                                                   "name": "ingress-nginx-controller"}))
        at = chg + timedelta(seconds=5)
        out.append((at, aws_zap(at, "info", "controllers.service", "modifying targetGroup", stackID=
                                "ingress-nginx/ingress-nginx-controller", resourceID="ingress-nginx/ingress-nginx-"
                                "controller:443", arn=tg, change={"healthCheckProtocol": "TCP",
                                                                  "healthCheckPath": None})))
        out.append((at + timedelta(seconds=1), aws_zap(at + timedelta(seconds=1), "info", "controllers.service",
                                                       "modified targetGroup", arn=tg)))
        return out
    workload(inc, "kube-system", "aws-load-balancer-controller", ctrl, replicas=1)
    dims = {"dimension_LoadBalancer": "net/k8s-ingressn-ingressn-4d1b7e9a05/6f2c18b3e7d94a01",
            "dimension_TargetGroup": "targetgroup/k8s-ingressn-ingressn-61b0e2a4c8/9a7c5e3f1b2d4068"}
    yace(inc, "aws_networkelb_healthy_host_count_average", dims,
         lambda t: 2.0 if t < chg + timedelta(minutes=1) else 4.0)
    yace(inc, "aws_networkelb_un_healthy_host_count_average", dims,
         lambda t: 2.0 if t < chg + timedelta(minutes=1) else 0.0)
    series(inc, "probe_success", "gauge", "Displays whether or not the probe was a success",
           {"job": "blackbox-external", "instance": "https://api.shop.example/healthz"},
           lambda t: 1.0 if t < chg + timedelta(minutes=1) else float(t.minute % 2))
    herring(inc, "api", "public-api-docs", f"{REGISTRY}/api/public-api-docs", "0.9.1", "0.9.2",
            AT7 - timedelta(minutes=65))
    plant(inc, "api", "public-api-signing", "jwt", "public-api", "SIGNING_TOKEN")
    fire = alert(inc, "BlackboxProbeFailed", {"job": "blackbox-external", "instance": "https://api.shop.example/healthz",
                                              "service": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                 "Probe of https://api.shop.example/healthz failing (ingress-nginx-controller)",
                 "The external probe through the ingress-nginx-controller load balancer fails about half the time "
                 "with connect timeouts.", 'avg_over_time(probe_success{job="blackbox-external"}[10m]) < 0.8',
                 severity="critical")
    send(inc, [fire], ["alertname", "instance"])
    inc.answer_key(
        culprit=("Service", "ingress-nginx", "ingress-nginx-controller"),
        keywords=["health check", "externalTrafficPolicy", "tcp"],
        root_cause="The ingress Service's NLB health check was switched to TCP: with externalTrafficPolicy Local "
                   "every node's healthCheckNodePort accepts TCP, so nodes without ingress pods get and drop traffic.",
        category="nlb-tcp-healthcheck-defeats-etp-local",
        red_herrings=[("Deployment", "api", "public-api-docs")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 8, 20, tzinfo=UTC)


def invoice_api_billing_timeouts_page() -> Incident:
    """An egress NetworkPolicy allows the Service CIDR by ipBlock: after DNAT the packets go to pod IPs and are dropped.

    after: the NetworkPolicy gotcha Kubernetes' own documentation and many issue threads describe:
    policies see traffic after kube-proxy has translated a ClusterIP into a pod IP, so an `ipBlock` naming
    the Service range matches nothing and a default-deny egress policy then drops every connection to the
    Service, which the client sees as connect timeouts.

    NetworkPolicy `billing/invoice-api-egress` was re-applied at 07:48 replacing its namespaceSelector rule
    for `legacy` with `ipBlock: 172.20.0.0/16` (the Service CIDR); invoice-api (.NET) logs HttpClient
    timeouts to legacy-billing from then on; legacy-billing's pods keep serving other callers (simple: the
    page names invoice-api). Red herring: invoice-renderer rolled a new image.
    """
    inc = start(invoice_api_billing_timeouts_page, "invoice-api calls to legacy-billing timing out", AT8, 4008,
                namespaces=("billing", "legacy"))
    chg = AT8 - timedelta(minutes=32)
    spec = {"podSelector": {"matchLabels": {"app": "invoice-api"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                       {"to": [{"ipBlock": {"cidr": "172.20.0.0/16"}}],
                        "ports": [{"protocol": "TCP", "port": 8443}]},
                       {"to": [{"ipBlock": {"cidr": "10.60.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]}]}
    applied = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "invoice-api-egress", "namespace": "billing"}, "spec": spec}
    pol = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "invoice-api-egress", "namespace": "billing", "generation": 4,
                                "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                                json.dumps(applied, sort_keys=True)}},
                   "spec": spec})
    stamp(pol, "kubectl-client-side-apply", inc.born + timedelta(days=6), "kubectl-client-side-apply", chg,
          {"f:spec": {"f:egress": {}}, "f:metadata": {"f:annotations": {}}})

    def legacy(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            caller = f"10.244.1.{40 + i % 5}" if i % 3 or t < chg else "10.244.3.77"
            return L.go_std(t, f"POST /api/charges 200 {4 + i % 9}ms caller={caller}")
        return every(s, e, 7, line)
    rl = Rev(1, inc.born + timedelta(days=11), "helm upgrade",
             [c("legacy-billing", f"{REGISTRY}/legacy/legacy-billing:11.4.2", port=8443)])
    lb = inc.deployment("legacy", "legacy-billing", [rl], {1: [P(log=within(legacy)) for _ in range(3)]})
    inc.service("legacy", "legacy-billing", {"app": "legacy-billing"}, port=8443, target=8443)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            stamp_ = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
            if t < chg + timedelta(seconds=30):
                return (f"{stamp_} info: Invoices.Api.Billing.LegacyBillingClient[0] POST "
                        f"https://legacy-billing.legacy.svc.cluster.local:8443/api/charges -> 200 in {90 + i % 60} ms")
            return (f"{stamp_} fail: Invoices.Api.Billing.LegacyBillingClient[0] charge lookup failed\n"
                    "      System.Net.Http.HttpRequestException: Connection timed out "
                    "(legacy-billing.legacy.svc.cluster.local:8443)\n"
                    "       ---> System.Net.Sockets.SocketException (110): Connection timed out\n"
                    "         at System.Net.Sockets.Socket.AwaitableSocketAsyncEventArgs.ThrowException("
                    "SocketError error, CancellationToken cancellationToken)")
        return every(s, e, 12, make)
    workload(inc, "billing", "invoice-api", api, replicas=3)
    for h in lb.pods:
        series(inc, "http_requests_total", "counter", "Requests served.",
               {"namespace": "legacy", "pod": h.name, "caller_namespace": "billing", "code": "200"},
               counter(AT8 - timedelta(hours=2), 1.5, 0.0, chg))
        series(inc, "http_requests_total", "counter", "Requests served.",
               {"namespace": "legacy", "pod": h.name, "caller_namespace": "finance", "code": "200"},
               counter(AT8 - timedelta(hours=2), 2.0, 2.0, chg))
    herring(inc, "billing", "invoice-renderer", f"{REGISTRY}/billing/invoice-renderer", "6.1.0", "6.2.0",
            AT8 - timedelta(minutes=55))
    plant(inc, "billing", "legacy-billing-client", "password", "legacy-billing", "CLIENT_SECRET")
    inc.pagerduty("[billing] invoice-api: calls to legacy-billing time out", "billing-api")
    inc.answer_key(
        culprit=("NetworkPolicy", "billing", "invoice-api-egress"),
        keywords=["ipBlock", "172.20.0.0/16", "DNAT"],
        root_cause="invoice-api-egress now allows legacy-billing only by ipBlock 172.20.0.0/16, the Service CIDR; "
                   "policy is applied after DNAT to pod IPs, so every connection to legacy-billing is dropped.",
        category="netpol-ipblock-service-cidr-after-dnat",
        red_herrings=[("Deployment", "billing", "invoice-renderer")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 14, 15, tzinfo=UTC)


def statement_builder_timeouts_page() -> Incident:
    """An internal NLB gets client IP preservation: callers on the same node as a target time out (hairpin).

    after: the NLB loopback/hairpin limitation AWS documents for client IP preservation: a target cannot
    receive a connection from itself through the load balancer, so in-cluster clients that reach a service
    through its NLB hostname fail whenever the chosen target sits on their own node; public reports describe
    it as timeouts from only some pods.

    The Service `ledger/ledger-api-internal` got `preserve_client_ip.enabled=true` in its target-group
    attributes (kubectl annotate, 13:32); statement-builder pods on the two nodes that also run ledger-api
    log `i/o timeout` dialing the NLB, those on the other nodes do not. Red herring: ledger-api rolled a new
    image.
    """
    inc = start(statement_builder_timeouts_page, "statement-builder timing out", AT9, 4009,
                namespaces=("ledger", "statements"))
    chg = AT9 - timedelta(minutes=43)
    nodes = inc.node_names()
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade",
                [c("ledger-api", f"{REGISTRY}/ledger/ledger-api:7.3.0")]),
            Rev(2, AT9 - timedelta(minutes=70), "helm upgrade",
                [c("ledger-api", f"{REGISTRY}/ledger/ledger-api:7.3.1")])]
    inc.deployment("ledger", "ledger-api", revs, {2: [P(node=nodes[0]), P(node=nodes[2])]})
    inc.service("ledger", "ledger-api-internal", {"app": "ledger-api"}, port=443, target=8443)
    svc = inc.find("Service", "ledger", "ledger-api-internal")
    svc["spec"]["type"] = "LoadBalancer"
    svc["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes":
            "preserve_client_ip.enabled=true,deregistration_delay.timeout_seconds=30"}
    host = "k8s-ledger-ledgerap-2b7d4c91e0-8e51c3a7f2d06b94.elb.eu-west-1.amazonaws.com"
    svc["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}
    changed(svc, ("argocd-controller", "Apply", inc.born + timedelta(days=9), {"f:spec": {}}),
            ("kubectl-annotate", "Update", chg, {"f:metadata": {"f:annotations": {
                "f:service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": {}}}}))

    def builder(bad: bool) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            def line(i: int, t: datetime) -> str:
                if bad and t > chg + timedelta(minutes=1) and i % 2 == 0:
                    return L.logfmt(t, "error", "ledger fetch failed", account=f"ac-{30210 + i % 400}",
                                    err=f'Get "https://{host}/v2/accounts/ac-{30210 + i % 400}/postings": '
                                        f'dial tcp 10.30.{4 + i % 3}.{17 + i % 40}:443: i/o timeout')
                return L.logfmt(t, "info", "statement built", account=f"ac-{30210 + i % 400}",
                                postings=40 + i % 90, took_ms=120 + i % 200)
            return every(s, e, 10, line)
        return make
    rb = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
             [c("statement-builder", f"{REGISTRY}/statements/statement-builder:2.5.4",
                env=[{"name": "LEDGER_URL", "value": f"https://{host}"}])])
    wl = inc.deployment("statements", "statement-builder", [rb],
                        {1: [P(log=within(builder(i in (0, 2))), node=nodes[i]) for i in range(4)]})
    for h in wl.pods:
        bad = h.node in (nodes[0], nodes[2])
        series(inc, "statement_ledger_requests_total", "counter", "Ledger API calls by outcome.",
               {"namespace": "statements", "pod": h.name, "outcome": "timeout"},
               counter(AT9 - timedelta(hours=2), 0.0, 0.05 if bad else 0.0, chg))
    plant(inc, "statements", "ledger-client-cert", "token", "ledger-mtls", "tls.key")
    inc.pagerduty("[statements] statement-builder: statement runs timing out", "statements")
    inc.answer_key(
        culprit=("Service", "ledger", "ledger-api-internal"),
        keywords=["preserve_client_ip", "hairpin", "same node"],
        root_cause="ledger-api-internal's NLB target group got preserve_client_ip: callers reaching it through "
                   "the NLB from the same node as the chosen ledger-api target make a hairpin connection that "
                   "times out.",
        category="nlb-client-ip-preservation-hairpin",
        red_herrings=[("Deployment", "ledger", "ledger-api")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 19, 40, tzinfo=UTC)


def partner_api_not_found_alert() -> Incident:
    """A TargetGroupBinding re-pointed at the management port: the ALB sends every request to Actuator (404).

    after: target registration on the wrong port, an AWS Load Balancer Controller support theme: a
    TargetGroupBinding registers pod IPs on the port its serviceRef resolves to; pointed at the Spring Boot
    management port, health checks on /actuator/health still pass, so the target group looks healthy while
    the application's own paths answer 404.

    TargetGroupBinding `partners/partners-api-ip` changed `serviceRef.port` from 80 to 9000 (kubectl edit, 19:12);
    the controller registers the pods on 9000; target 4xx climbs to the whole request rate, partner-api's
    request counter stops and its log goes quiet. Red herring: partner-webhooks rolled a new image.
    """
    inc = start(partner_api_not_found_alert, "Partner API answering 404", AT10, 4010, namespaces=("partners",))
    chg = AT10 - timedelta(minutes=28)
    tg = "arn:aws:elasticloadbalancing:eu-west-1:481223904410:targetgroup/partners-api-ip/3e9a1c7b5d2f4086"
    custom(inc, "TargetGroupBinding", "elbv2.k8s.aws/v1beta1", "targetgroupbindings", "partners", "partners-api-ip",
           {"serviceRef": {"name": "partner-api", "port": 9000}, "targetGroupARN": tg, "targetType": "ip",
            "networking": {"ingress": [{"from": [{"securityGroup": {"groupID": "sg-0e2d7a41c9b3f5186"}}],
                                        "ports": [{"protocol": "TCP"}]}]}},
           {"observedGeneration": 5}, "kubectl-edit", chg, {"f:spec": {"f:serviceRef": {"f:port": {}}}},
           generation=5, first="Terraform")
    inc.service("partners", "partner-api", {"app": "partner-api"}, port=80, target=8080)
    inc.find("Service", "partners", "partner-api")["spec"]["ports"].append(
        {"name": "management", "port": 9000, "protocol": "TCP", "targetPort": 9000})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, min(e, chg + timedelta(seconds=40)), 6, lambda i, t: L.spring(
            t, "INFO", "c.e.partners.api.OrdersController", f"POST /v1/orders partner=p-{100 + i % 12} -> 201",
            thread=f"http-nio-8080-exec-{i % 10}"))
    wl = workload(inc, "partners", "partner-api", api, replicas=3,
                  env=[{"name": "MANAGEMENT_SERVER_PORT", "value": "9000"}])

    def ctrl(pod: str, s: datetime, e: datetime) -> Lines:
        at = chg + timedelta(seconds=4)
        ips = [f"10.0.{k + 1}.{60 + k}" for k in range(len(wl.pods))]
        tgb = "controllers.targetGroupBinding"
        return [(at, aws_zap(at, "info", tgb, "registering targets", arn=tg,
                             targets=[{"AvailabilityZone": None, "Id": ip, "Port": 9000} for ip in ips])),
                (at + timedelta(seconds=1), aws_zap(at + timedelta(seconds=1), "info", tgb, "registered targets",
                                                    arn=tg)),
                (at + timedelta(seconds=2), aws_zap(at + timedelta(seconds=2), "info", tgb, "deRegistering targets",
                                                    arn=tg, targets=[{"Id": ip, "Port": 8080} for ip in ips]))]
    workload(inc, "kube-system", "aws-load-balancer-controller", ctrl, replicas=1)
    for h in wl.pods:
        series(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
               {"namespace": "partners", "pod": h.name, "uri": "/v1/orders", "status": "201", "method": "POST"},
               counter(AT10 - timedelta(hours=2), 4.0, 0.0, chg))
    dims = {"dimension_TargetGroup": "targetgroup/partners-api-ip/3e9a1c7b5d2f4086",
            "dimension_LoadBalancer": "app/partners-public/71c0e5d2a8b94f36"}
    yace(inc, "aws_applicationelb_httpcode_target_4_xx_count_sum", dims,
         lambda t: 30.0 if t < chg + timedelta(minutes=1) else 720.0)
    yace(inc, "aws_applicationelb_healthy_host_count_average", dims, lambda t: 3.0)
    herring(inc, "partners", "partner-webhooks", f"{REGISTRY}/partners/partner-webhooks", "1.12.0", "1.13.0",
            AT10 - timedelta(minutes=50))
    plant(inc, "partners", "partner-api-hmac", "stripe", "partner-hmac", "HMAC_KEY")
    fire = alert(inc, "PartnerApiHigh4xxRate", {"namespace": "partners", "service": "partner-api-alb",
                                               "job": "yace"},
                 "Partner API: most requests answered 4xx at the load balancer",
                 "More than 50% of requests to the partners ALB target group got a 4xx over 10 minutes.",
                 "aws_applicationelb_httpcode_target_4_xx_count_sum / aws_applicationelb_request_count_sum > 0.5")
    send(inc, [fire], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("TargetGroupBinding", "partners", "partners-api-ip"),
        keywords=["9000", "serviceRef", "management port"],
        root_cause="TargetGroupBinding partners-api-ip now resolves serviceRef.port 9000: the ALB sends traffic to "
                   "Spring's management port, where health checks pass but every API path answers 404.",
        category="targetgroupbinding-wrong-service-port",
        red_herrings=[("Deployment", "partners", "partner-webhooks")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 10, 10, tzinfo=UTC)


def node_db_resets_question() -> Incident:
    """A node-tuning DaemonSet revision sets the conntrack established timeout to 300 s: idle pooled DB links die.

    after: the conntrack timeout trap that kernel docs, Kubernetes issue threads and database-driver FAQs
    describe: traffic to a ClusterIP is DNATed and tracked; once an idle pooled connection outlives
    `nf_conntrack_tcp_timeout_established`, its entry is gone and the next packet is dropped as INVALID, so
    the pool hands out dead connections that hang and reset.

    DaemonSet `kube-system/node-tuning` (nodeSelector pool=ingest, only the question's node) got revision 2
    at 09:18 adding `net.netfilter.nf_conntrack_tcp_timeout_established=300`; its pod's sysctl output shows
    it; that node's conntrack entries fall; inventory-api's pod there logs Hikari/PgJDBC I/O errors after
    idle periods while its pods on other nodes do not. Red herring: pgbouncer rolled a new image.
    """
    inc = start(node_db_resets_question, "Database connections resetting on one node", AT11, 4011,
                namespaces=("inventory", "db"))
    chg = AT11 - timedelta(minutes=52)
    nodes = inc.node_names()
    qnode = nodes[3]
    inc.cluster.nodes[3]["metadata"]["labels"]["node.example.com/pool"] = "ingest"
    img = "public.ecr.aws/docker/library/busybox:1.36.1"

    def tmpl(sysctls: list[str]) -> dict[str, Any]:
        script = "".join(f"sysctl -w {x}; " for x in sysctls) + "sleep infinity"
        return {"metadata": {"labels": {"app": "node-tuning"}},
                "spec": {"hostNetwork": True, "nodeSelector": {"node.example.com/pool": "ingest"},
                         "containers": [{"name": "node-tuning", "image": img, "command": ["sh", "-c", script],
                                         "securityContext": {"privileged": True}}]}}
    old = ["net.core.somaxconn=4096", "net.ipv4.tcp_keepalive_time=600"]
    new = [*old, "net.netfilter.nf_conntrack_tcp_timeout_established=300"]
    revision(inc, "DaemonSet", "kube-system", "node-tuning", 1, inc.born + timedelta(days=8), tmpl(old))
    rev2 = revision(inc, "DaemonSet", "kube-system", "node-tuning", 2, chg, tmpl(new))
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "node-tuning", "namespace": "kube-system", "generation": 2,
                               "creationTimestamp": ts(inc.born + timedelta(days=8)), "labels": {"app": "node-tuning"},
                               "annotations": {"deprecated.daemonset.template.generation": "2"}},
                  "spec": {"selector": {"matchLabels": {"app": "node-tuning"}}, "template": tmpl(new),
                           "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
                  "status": {"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberReady": 1,
                             "numberAvailable": 1, "updatedNumberScheduled": 1, "observedGeneration": 2}})
    changed(ds, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    up = chg + timedelta(seconds=6)
    log = "".join(f"{x.replace('=', ' = ')}\n" for x in new)
    daemon_pod(inc, "kube-system", "node-tuning", 0, qnode, img, up, rev2.rsplit("-", 1)[1], log)
    for i, n in enumerate(nodes):
        drop = n == qnode
        series(inc, "node_nf_conntrack_entries", "gauge", "Number of currently allocated flow entries for "
               "connection tracking.", {"job": "node-exporter", "instance": n},
               step(21400.0, 6900.0, chg) if drop else step(19800.0 + 300 * i, 19800.0 + 300 * i, chg))

    def inv(bad: bool) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            def line(i: int, t: datetime) -> str:
                th = f"http-nio-8080-exec-{i % 12}"
                if bad and t > chg + timedelta(minutes=6) and i % 3 == 0:
                    return L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                                    f"HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@"
                                    f"{0x4f2b3c1 + i:x} (This connection has been closed.). Possibly consider "
                                    "using a shorter maxLifetime value.", thread=th)
                if bad and t > chg + timedelta(minutes=6) and i % 3 == 1:
                    return L.spring(t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                                    "An I/O error occurred while sending to the backend.", thread=th)
                return L.spring(t, "INFO", "c.e.inventory.api.StockController",
                                f"GET /v1/stock/sku-{88000 + i % 500} 200", thread=th)
            return every(s, e, 15, line)
        return make
    r = Rev(1, inc.born + timedelta(days=16), "helm upgrade",
            [c("inventory-api", f"{REGISTRY}/inventory/inventory-api:5.0.3",
               env=[{"name": "SPRING_DATASOURCE_URL", "value": "jdbc:postgresql://pgbouncer.db.svc:5432/inventory"},
                    {"name": "SPRING_DATASOURCE_HIKARI_MAX_LIFETIME", "value": "1800000"}])])
    inc.deployment("inventory", "inventory-api", [r],
                   {1: [P(log=within(inv(n == qnode)), node=n) for n in (nodes[0], nodes[1], qnode)]})
    revs = [Rev(1, inc.born + timedelta(days=6), "helm upgrade", [c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1",
                                                                    port=5432)]),
            Rev(2, AT11 - timedelta(minutes=95), "helm upgrade",
                [c("pgbouncer", "docker.io/bitnami/pgbouncer:1.24.0", port=5432)])]
    inc.deployment("db", "pgbouncer", revs, {2: [P(node=nodes[0]), P(node=nodes[1])]})
    inc.service("db", "pgbouncer", {"app": "pgbouncer"}, port=5432, target=5432)
    plant(inc, "inventory", "inventory-db", "password", "inventory-db", "SPRING_DATASOURCE_PASSWORD")
    inc.ask(f"Since this morning everything running on {qnode} keeps getting 'I/O error' and "
            "closed-connection errors talking to Postgres after it has been quiet for a few minutes. The same "
            "apps on other nodes are fine. What changed on that node?")
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "node-tuning"),
        keywords=["conntrack", "nf_conntrack_tcp_timeout_established", "300"],
        root_cause="node-tuning revision 2 sets nf_conntrack_tcp_timeout_established=300 on the ingest node: "
                   "idle pooled connections to the pgbouncer ClusterIP lose their conntrack entry and die.",
        category="conntrack-established-timeout-kills-idle-pools",
        red_herrings=[("Deployment", "db", "pgbouncer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 16, 35, tzinfo=UTC)


def query_router_unavailable_alert() -> Incident:
    """A gRPC client revision pings every 10 s: the servers answer GOAWAY too_many_pings and drop its channels.

    after: gRPC keepalive enforcement described in gRPC's keepalive guide and many issue threads: a client
    whose keepalive time is shorter than the server's enforcement policy (grpc-go default: 5 minutes) is
    sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings"; every connection is torn down repeatedly and in-flight
    calls fail with Unavailable.

    query-router revision 12 (15:58) adds GRPC_KEEPALIVE_TIME=10s; its zap logs show the GOAWAY errors and
    index-shard's grpc-go log `Got too many pings from the client, closing the connection.` (simple: the page
    names query-router). Red herring: search-ui rolled a new image.
    """
    inc = start(query_router_unavailable_alert, "query-router errors", AT12, 4012, namespaces=("search",))
    chg = AT12 - timedelta(minutes=37)
    img = f"{REGISTRY}/search/query-router:4.8.0"
    base = [{"name": "SHARDS_ADDR", "value": "dns:///index-shard-headless.search.svc.cluster.local:7070"}]
    revs = [Rev(11, inc.born + timedelta(days=19), "helm upgrade", [c("query-router", img, env=base)]),
            Rev(12, chg, "helm upgrade", [c("query-router", img, env=[
                *base, {"name": "GRPC_KEEPALIVE_TIME", "value": "10s"},
                {"name": "GRPC_KEEPALIVE_PERMIT_WITHOUT_STREAM", "value": "true"}])])]

    def router(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if i % 3:
                return json.dumps({"level": "info", "ts": t.timestamp(), "caller": "router/search.go:141",
                                   "msg": "query served", "shards": 8, "took_ms": 35 + i % 40})
            return json.dumps({"level": "error", "ts": t.timestamp(), "caller": "router/search.go:188",
                               "msg": "shard query failed", "shard": f"index-shard-{i % 4}",
                               "error": "rpc error: code = Unavailable desc = closing transport due to: connection "
                                        "error: desc = \"error reading from server: EOF\", received prior goaway: "
                                        "code: ENHANCE_YOUR_CALM, debug data: \"too_many_pings\""})
        return every(max(s, chg + timedelta(seconds=40)), e, 5, make)
    inc.deployment("search", "query-router", revs, {12: [P(log=within(router)) for _ in range(3)]})

    def shard(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < chg + timedelta(seconds=60):
                return t.strftime("%Y/%m/%d %H:%M:%S") + f" index-shard: segment merge done docs={120000 + i}"
            return (t.strftime("%Y/%m/%d %H:%M:%S") + " ERROR: [transport] transport: Got too many pings from the "
                    "client, closing the connection.")
        return every(s, e, 30, make)
    inc.statefulset("search", "index-shard", [c("index-shard", f"{REGISTRY}/search/index-shard:9.2.1", port=7070)],
                    [P(log=within(shard)) for _ in range(4)], inc.born + timedelta(days=7), service=7070)
    series(inc, "grpc_client_handled_total", "counter", "Total number of RPCs completed by the client.",
           {"namespace": "search", "job": "query-router", "grpc_method": "Search", "grpc_code": "Unavailable"},
           counter(AT12 - timedelta(hours=2), 0.0, 14.0, chg + timedelta(seconds=40)))
    herring(inc, "search", "search-ui", f"{REGISTRY}/search/search-ui", "3.1.0", "3.2.0", AT12 - timedelta(minutes=60))
    plant(inc, "search", "index-shard-auth", "token", "shard-auth", "SHARD_TOKEN")
    fire = alert(inc, "QueryRouterGrpcErrors", {"namespace": "search", "job": "query-router"},
                 "query-router: shard RPCs failing",
                 "More than 10% of query-router's shard RPCs end Unavailable over 10 minutes.",
                 'sum(rate(grpc_client_handled_total{job="query-router",grpc_code="Unavailable"}[5m])) / '
                 'sum(rate(grpc_client_handled_total{job="query-router"}[5m])) > 0.1', severity="critical")
    send(inc, [fire], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "search", "query-router"),
        keywords=["keepalive", "too_many_pings", "GOAWAY"],
        root_cause="query-router revision 12 sets a 10 s gRPC keepalive: index-shard's servers enforce a "
                   "5-minute minimum, answer GOAWAY too_many_pings and close the connections, so calls fail.",
        category="grpc-keepalive-too-many-pings",
        red_herrings=[("Deployment", "search", "search-ui")])
    return inc


ALL = [storefront_502_question, ratings_latency_burn, order_api_replicas_mismatch, ledger_export_hanging_page,
       supplier_orders_connect_timeouts, log_forwarding_alerts_grouped, public_api_probe_failures,
       invoice_api_billing_timeouts_page, statement_builder_timeouts_page, partner_api_not_found_alert,
       node_db_resets_question, query_router_unavailable_alert]
