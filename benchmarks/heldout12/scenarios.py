"""Round 12 of the held-out incident set: six platform and six application incidents, written blind.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer): the first line names the failure type so later rounds can avoid repeating it, the second
paragraph (`after: ...`) names the kind of public write-up the mechanism was drawn from (re-created
with our own names and text, nothing copied). Bundle names, titles and questions say only the
symptom. Log lines follow the real software's formats (ingress-nginx, CoreDNS, Karpenter, gunicorn,
Spring Boot, PostgreSQL, Python logging, zap JSON) and metric names are the exporters' own.
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

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]


# ---- helpers ---------------------------------------------------------------------------------------
def story(fn: Callable[..., Incident]) -> str:
    """The scenario's docstring: the story, and the answer, of the incident it builds."""
    return (fn.__doc__ or "").strip()


def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function keeping only the lines inside the container's run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed_by(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> None:
    """managedFields (manager, operation, time, fields) as the API server records them: the change's trace."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj.get("apiVersion", "v1"), "time": ts(t),
         "fieldsType": "FieldsV1", "fieldsV1": f} for m, op, t, f in entries]


def crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str) -> None:
    """The CustomResourceDefinition a custom-resource culprit needs to be served (and found)."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def step(before: float, after: float, at: datetime) -> Callable[[datetime], float]:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Callable[[datetime], float]:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        return round(before * early + after * max(0.0, (t - at).total_seconds()), 3)
    return value


def deploy(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
           revs: list[tuple[datetime, str, dict[str, Any]]] | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run; `revs` adds later revisions (time, cause, first-container fields)."""
    history = [Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])]
    for i, (at, cause, fields) in enumerate(revs or [], start=2):
        history.append(Rev(i, at, cause, [c(name, image, **kw)], container=fields))
    return inc.deployment(ns, name, history, {history[-1].number: [P(log=log) for _ in range(replicas)]})


def secret(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> None:
    """A Secret with one real-shaped credential, recorded as a canary: it must never reach a report."""
    inc.secret(ns, name, {key: inc.canary(kind, label)})


def grouped(inc: Incident, alerts: list[tuple[str, dict[str, str], str, str, str]], group: list[str]) -> None:
    """One Alertmanager notification carrying several firing alerts."""
    payload = []
    for name, labels, summary, description, expr in alerts:
        full = {"alertname": name, **labels, "severity": labels.get("severity", "warning"),
                "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
        ann = {"summary": summary, "description": description,
               "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kafka/{name.lower()}"}
        payload.append(am.alert(full, ann, inc.at, expr))
    inc.alerts["alertmanager.json"] = am.alertmanager(payload, group=group)


def herring_rollout(inc: Incident, ns: str, name: str, image: str, at: datetime) -> None:
    """An unrelated, harmless rollout during the incident window: the plausible suspect."""
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start + timedelta(seconds=2), L.js(start, "info", "server started", port=8080)),
                        (start + timedelta(seconds=3), L.js(start, "info", "feature flags loaded", count=41))])
    deploy(inc, ns, name, image, 2, log, revs=[(at, "helm upgrade", {"image": image.rsplit(":", 1)[0] + ":9.9.1"})])


# ---- 1 (platform) ----------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 24, 10, 12, tzinfo=UTC)


def login_broken_page() -> Incident:
    """The ingress controller's global proxy-buffer-size cut to 4k: responses with big headers fail with 502.

    after: ingress-nginx "upstream sent too big header while reading response header from upstream"
    write-ups (SSO callbacks setting several large cookies overflow the proxy's header buffer).

    A platform values "clean-up" at 09:40 sets `proxy-buffer-size: "4k"` (was 16k) in ConfigMap
    ingress-nginx/ingress-nginx-controller. auth/auth-api's SSO callback answers with ~9 KB of
    Set-Cookie headers (session + id token chunks); nginx cannot buffer the response header and returns
    502 to every login. Other pages work. The page is on login; the cause is in another namespace.
    Red herring: auth-api's own rollout yesterday afternoon changed only its image.
    """
    inc = Incident("login-broken-page", title="Customers cannot log in", story="", at=AT1, seed=1201,
                   skip={("auth", "auth-api")})
    change = AT1 - timedelta(minutes=32)
    cm = inc.configmap("ingress-nginx", "ingress-nginx-controller",
                       {"allow-snippet-annotations": "false", "use-forwarded-headers": "true",
                        "proxy-buffer-size": "4k", "ssl-redirect": "true", "large-client-header-buffers": "4 16k"},
                       at=inc.born)
    changed_by(cm, ("helm", "Update", inc.born, {"f:data": {"f:allow-snippet-annotations": {}}}),
               ("argocd-controller", "Apply", change, {"f:data": {"f:proxy-buffer-size": {}}}))

    def nginx_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 41, lambda i, t: L.nginx_access(
            t, f"81.2.{i % 200}.{i % 50}", "GET /account/orders", 200, 5211, "web-frontend-80", "200", 0.041))
        out += L.ticker(start, min(end, change), 67, lambda i, t: L.nginx_access(
            t, f"81.2.{i % 200}.9", f"GET /auth/callback?code={L.uuidish('code', i)[:18]}", 302, 0,
            "auth-auth-api-80", "302", 0.088))
        out += L.ticker(max(start, change), end, 67, lambda i, t: L.nginx_error(
            t, f"upstream sent too big header while reading response header from upstream, client: "
               f"81.2.{i % 200}.9, server: www.example.com, request: \"GET /auth/callback?code="
               f"{L.uuidish('code', i)[:18]} HTTP/1.1\", "
               f"upstream: \"http://10.244.1.{30 + i % 2}:8080/auth/callback\", "
               "host: \"www.example.com\"", conn=8800 + i))
        out += L.ticker(max(start, change), end, 67, lambda i, t: L.nginx_access(
            t + timedelta(milliseconds=3), f"81.2.{i % 200}.9", f"GET /auth/callback?code={L.uuidish('code', i)[:18]}",
            502, 552, "auth-auth-api-80", "502", 0.090))
        return out
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs[h.containers[0].name] = within(nginx_log)(h.name, AT1 - timedelta(hours=3), inc.captured)

    def app_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 67, lambda i, t: L.js(
            t, "info", "sso callback complete", user=f"u-{48000 + i}", cookies=["__Host-session",
                                                                               "id_token.0", "id_token.1"],
            set_cookie_bytes=9120 + i % 300))
    deploy(inc, "auth", "auth-api", f"{REGISTRY}/auth/auth-api:1.0.9", 2, within(app_log),
           revs=[(AT1 - timedelta(hours=19), "helm upgrade", {"image": f"{REGISTRY}/auth/auth-api:1.1.0"})])
    secret(inc, "auth", "auth-oidc-client", "token", "oidc-client", "client-secret")
    inc.series("nginx_ingress_controller_requests", "counter", "Total number of client requests",
               {"namespace": "auth", "ingress": "auth-api", "status": "502", "method": "GET"},
               counter(AT1 - timedelta(hours=2), 0.0, 0.25, change))
    inc.pagerduty("Customers cannot log in: login success rate 0% (synthetic check www.example.com/login)",
                  "customer-login")
    inc.answer_key(culprit=("ConfigMap", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["proxy-buffer-size", "too big header", "502"],
                   root_cause="The ingress-nginx controller ConfigMap's proxy-buffer-size was cut to 4k: the SSO "
                              "callback's large Set-Cookie response headers no longer fit, nginx logs upstream sent "
                              "too big header and answers 502 to every login.",
                   category="ingress-proxy-buffer-too-small",
                   red_herrings=[("Deployment", "auth", "auth-api")])
    return inc


# ---- 2 (platform) ----------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 14, 3, tzinfo=UTC)


def frontend_replicas_missing() -> Incident:
    """The overprovisioning PriorityClass is marked globalDefault: new pods can no longer preempt the placeholders.

    after: cluster-overprovisioner write-ups (pause pods at a negative priority hold headroom; once
    every pod shares that priority, nothing yields and scale-ups stay Pending).

    At 11:20 a platform change sets `globalDefault: true` on PriorityClass overprovisioning (value -10),
    meant for a batch namespace. Pods without a priorityClassName now get priority -10 too, the same as
    the placeholder pause pods of kube-system/cluster-overprovisioner, so the scheduler finds no
    preemption victims. web/frontend's new pods after an HPA scale-up stay Pending with "No preemption
    victims found for incoming pod". Evidence: the PriorityClass's change, the pods' priority, events.
    Red herring: grafana's failing readiness probe.
    """
    inc = Incident("frontend-replicas-missing", title="frontend has fewer replicas than desired", story="",
                   at=AT2, seed=1202, skip={("web", "frontend")})
    change = AT2 - timedelta(hours=2, minutes=43)
    pc = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                  "metadata": {"name": "overprovisioning", "creationTimestamp": ts(inc.born + timedelta(days=9))},
                  "value": -10, "globalDefault": True, "preemptionPolicy": "PreemptLowerPriority",
                  "description": "Placeholder pods that hold spare capacity; evicted first."})
    changed_by(pc, ("helm", "Update", inc.born + timedelta(days=9), {"f:value": {}, "f:description": {}}),
               ("kubectl-edit", "Update", change, {"f:globalDefault": {}}))
    deploy(inc, "kube-system", "cluster-overprovisioner", "registry.k8s.io/pause:3.9", 4, None,
           cpu_request="1500m", memory_request="2Gi", memory_limit="2Gi", port=None, readiness_path=None,
           liveness_path=None)
    msg = ("0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: "
           "4 No preemption victims found for incoming pod.")

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 30, lambda i, t: L.js(t, "info", "request", path="/", status=200,
                                                          duration_ms=40 + i % 30))
    rev = Rev(1, inc.born + timedelta(days=7), "helm upgrade",
              [c("frontend", f"{REGISTRY}/web/frontend:5.7.3", cpu_request="500m")])
    created = AT2 - timedelta(minutes=9)
    wl = inc.deployment("web", "frontend", [rev], {1: [P(log=within(log)) for _ in range(3)]
                                                   + [P(state="pending", message=msg, created=created)
                                                      for _ in range(3)]}, replicas=6)
    for h in wl.pods:
        def prio(pod: dict[str, Any], new: bool = h.created >= change) -> None:
            pod["spec"]["priority"] = -10 if new else 0
            if new:
                pod["spec"]["priorityClassName"] = "overprovisioning"
        inc.cluster.patch("web", h.name, prio)
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "frontend", "namespace": "web"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend"},
                            "minReplicas": 3, "maxReplicas": 12,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 65}}}]},
                   "status": {"currentReplicas": 6, "desiredReplicas": 6}})
    inc.event(hpa, "SuccessfulRescale", "New size: 6; reason: cpu resource utilization (percentage of request) "
              "above target", created - timedelta(seconds=15), warning=False,
              component="horizontal-pod-autoscaler")
    secret(inc, "web", "frontend-session", "token", "frontend-session", "cookie-secret")
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "web", "deployment": "frontend",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment web/frontend has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("PriorityClass", "", "overprovisioning"),
                   keywords=["globalDefault", "priority", "preemption"],
                   root_cause="PriorityClass overprovisioning was made globalDefault: new pods get priority -10, the "
                              "same as the overprovisioner's placeholder pods, so preemption finds no victims and "
                              "the new frontend pods stay Pending.",
                   category="priorityclass-global-default",
                   red_herrings=[("Deployment", "monitoring", "grafana")])
    return inc


# ---- 3 (platform) ----------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 25, 8, 47, tzinfo=UTC)


def partner_webhooks_forbidden_burn() -> Incident:
    """The ingress LoadBalancer Service flipped to externalTrafficPolicy Cluster: client IPs are SNATed away.

    after: write-ups of source-IP allowlists breaking behind kube-proxy (externalTrafficPolicy Local
    keeps the client address; Cluster replaces it with a node IP).

    A Service clean-up at 08:05 changes ingress-nginx/ingress-nginx-controller from
    externalTrafficPolicy Local to Cluster. nginx now sees node addresses (10.0.x.x) instead of the
    payment partner's, and the partner-webhooks Ingress's whitelist-source-range answers 403. Evidence:
    only the Service's change and the access logs' client addresses. Red herring: the payments
    webhook-signing Secret, which looks like a rotation suspect but is unchanged.
    """
    inc = Incident("partner-webhooks-forbidden-burn", title="partner webhook deliveries rejected", story="",
                   at=AT3, seed=1203)
    change = AT3 - timedelta(minutes=42)
    svc = inc.find("Service", "ingress-nginx", "ingress-nginx-controller")
    svc["spec"].update({"type": "LoadBalancer", "externalTrafficPolicy": "Cluster",
                        "healthCheckNodePort": None})
    svc["spec"].pop("healthCheckNodePort")
    svc["metadata"]["annotations"] = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    changed_by(svc, ("helm", "Update", inc.born, {"f:spec": {"f:type": {}}}),
               ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:externalTrafficPolicy": {}}}))
    nodes = [inc.cluster.node_ip(n) for n in inc.node_names()]

    def nginx_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            client = "185.60.20.14" if t < change else nodes[i % len(nodes)]
            ok = t < change
            return L.nginx_access(t, client, "POST /partner/webhooks/settlement", 200 if ok else 403,
                                  18 if ok else 146, "payments-payments-80" if ok else "-", "200" if ok else "",
                                  0.031 if ok else 0.0, ua="PartnerBank-Webhooks/2.1")
        out = L.ticker(start, end, 23, line)
        out += L.ticker(max(start, change), end, 97, lambda i, t: L.nginx_error(
            t, f'access forbidden by rule, client: {nodes[i % len(nodes)]}, server: hooks.example.com, '
               'request: "POST /partner/webhooks/settlement HTTP/1.1", host: "hooks.example.com"', conn=510 + i))
        return out
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs[h.containers[0].name] = within(nginx_log)(h.name, AT3 - timedelta(hours=3), inc.captured)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "partner-webhooks", "namespace": "payments",
                          "annotations": {"nginx.ingress.kubernetes.io/whitelist-source-range":
                                          "185.60.20.0/24,185.60.21.0/24"}},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "hooks.example.com", "http": {"paths": [
                 {"path": "/partner/webhooks", "pathType": "Prefix",
                  "backend": {"service": {"name": "payments", "port": {"number": 80}}}}]}}]}})
    secret(inc, "payments", "partner-webhook-signing", "token", "partner-signing", "hmac-key")
    inc.slo_burn("partner-webhooks", "payments", "partner-webhooks-availability", "99.5%", 41.0,
                 "Partner settlement webhooks are failing: 100% of deliveries in the last 30 minutes were not "
                 "accepted.")
    inc.answer_key(culprit=("Service", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["externalTrafficPolicy", "source IP", "whitelist", "403"],
                   root_cause="The ingress controller's Service was changed to externalTrafficPolicy Cluster: "
                              "kube-proxy SNATs the client so nginx sees node IPs; the source IP no longer matches "
                              "the Ingress whitelist-source-range and partner webhooks get 403.",
                   category="external-traffic-policy-source-ip",
                   red_herrings=[("Secret", "payments", "partner-webhook-signing")])
    return inc


# ---- 4 (platform) ----------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 25, 16, 21, tzinfo=UTC)


def sessions_redis_restarting() -> Incident:
    """A Karpenter NodePool switched to spot-only capacity: the single sessions Redis is interrupted again and again.

    after: spot-interruption postmortems (stateful singletons landing on spot capacity after a cost
    change; two-minute interruption notices, then the node is gone).

    A cost change at 07:30 sets the `default` NodePool's karpenter.sh/capacity-type requirement to
    ["spot"] (was on-demand). New nodes are spot; the single-replica sessions Redis is interrupted
    three times, users are logged out. Evidence: the NodePool (cluster-scoped CRD) managedFields, node
    labels, SpotInterrupted / Disrupting events, Karpenter's log. Red herring: redis's memory graph.
    """
    inc = Incident("sessions-redis-restarting", title="sessions store restarting, users logged out", story="",
                   at=AT4, seed=1204, namespaces=("karpenter",))
    change = AT4 - timedelta(hours=8, minutes=51)
    crd(inc, "karpenter.sh", "NodePool", "nodepools", "v1", "Cluster")
    pool = inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
                    "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws",
                                                                    "kind": "EC2NodeClass", "name": "default"},
                                                   "requirements": [
                                                       {"key": "karpenter.sh/capacity-type", "operator": "In",
                                                        "values": ["spot"]},
                                                       {"key": "kubernetes.io/arch", "operator": "In",
                                                        "values": ["amd64"]}]}},
                             "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                                            "consolidateAfter": "5m"}},
                    "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}]}})
    changed_by(pool, ("kubectl", "Update", inc.born, {"f:spec": {"f:disruption": {}}}),
               ("argocd-controller", "Apply", change,
                {"f:spec": {"f:template": {"f:spec": {"f:requirements": {}}}}}))
    interruptions = [AT4 - timedelta(minutes=m) for m in (131, 64, 2)]
    for i, n in enumerate(inc.cluster.nodes):
        n["metadata"]["labels"]["karpenter.sh/capacity-type"] = "spot" if i < 2 else "on-demand"
        n["metadata"]["labels"]["karpenter.sh/nodepool"] = "default"
    redis = inc.find("StatefulSet", "shop", "redis")
    for h in inc.pods_of("shop", "redis"):
        st = h.states[0]
        st.restarts, st.last_reason, st.last_exit_code = 3, "Error", 0
        st.last_finished = interruptions[-1]
        st.started_at = interruptions[-1] + timedelta(seconds=95)
        h.created = interruptions[-1] + timedelta(seconds=40)
        h.node = inc.node_names()[1]
    for i, t in enumerate(interruptions):
        n = inc.cluster.nodes[i % 2]
        inc.event(n, "SpotInterrupted", "Spot interruption warning was triggered", t, warning=True,
                  component="karpenter")
        inc.event(n, "DisruptionTerminating", "Disrupting Node: Interrupted", t + timedelta(seconds=3),
                  warning=False, component="karpenter")
    inc.event(redis, "SuccessfulCreate", "create Pod redis-0 in StatefulSet redis successful",
              interruptions[0] + timedelta(seconds=40), interruptions[-1] + timedelta(seconds=40), count=3,
              warning=False, component="statefulset-controller")

    def karpenter_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(interruptions):
            node = inc.node_names()[i % 2]
            out.append((t, L.js(t, "INFO", "initiating delete from interruption message", logger="controller",
                                queue="karpenter-prod-eu-west-1", messageKind="spot_interrupted",
                                NodeClaim={"name": f"default-{o.suffix(node, 5)}"}, action="CordonAndDrain",
                                Node={"name": node})))
            out.append((t + timedelta(seconds=30), L.js(
                t, "INFO", "created nodeclaim", logger="controller", NodePool={"name": "default"},
                requests={"cpu": "1210m", "memory": "1400Mi", "pods": "9"},
                instance_types="c6a.xlarge, c6i.xlarge, m6a.xlarge and 27 other(s)")))
        return out
    deploy(inc, "karpenter", "karpenter", "public.ecr.aws/karpenter/controller:1.0.6", 1,
           within(karpenter_log), port=8000)
    for h in inc.pods_of("karpenter", "karpenter"):
        h.node = inc.node_names()[3]
    secret(inc, "shop", "sessions-redis-auth", "password", "redis-auth", "redis-password")
    inc.series("redis_memory_used_bytes", "gauge", "used_memory metric",
               {"namespace": "shop", "pod": "redis-0", "job": "redis-exporter"},
               lambda t: 610e6 if t.minute % 30 < 25 else 690e6)
    inc.alertmanager("KubePodCrashLooping", {"namespace": "shop", "pod": "redis-0", "container": "redis",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     "Pod shop/redis-0 (redis) has restarted 3 times in the last 3 hours.",
                     'increase(kube_pod_container_status_restarts_total{job="kube-state-metrics"}[3h]) >= 3')
    inc.answer_key(culprit=("NodePool", "", "default"),
                   keywords=["spot", "interruption", "capacity-type"],
                   root_cause="The Karpenter NodePool default was changed to capacity-type spot only: the nodes "
                              "running the single sessions Redis are reclaimed by spot interruption again and again.",
                   category="nodepool-spot-only-capacity",
                   red_herrings=[("StatefulSet", "shop", "redis")])
    return inc


# ---- 5 (platform) ----------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 26, 12, 40, tzinfo=UTC)

COREFILE_NO_CACHE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    loop
    reload
    loadbalance
}
"""


def card_payments_timeouts_page() -> Incident:
    """CoreDNS's cache plugin removed from the Corefile: every external lookup goes to the VPC resolver,
    which drops packets over its per-interface limit.

    after: AWS's documented Route 53 Resolver limit of 1024 packets per second per network interface,
    hit in several EKS write-ups once DNS caching was lost.

    A "tidy the Corefile" change at 11:58 drops `cache 30` from ConfigMap kube-system/coredns.
    CoreDNS now forwards every external query; the two CoreDNS pods exceed the VPC resolver's
    packets-per-second limit and upstream queries time out. payments' calls to the PSP fail with
    EAI_AGAIN / lookup timeouts. Red herring: the payments-config ConfigMap.
    """
    inc = Incident("card-payments-timeouts-page", title="Card payments timing out", story="", at=AT5,
                   seed=1205)
    change = AT5 - timedelta(minutes=42)
    cm = inc.find("ConfigMap", "kube-system", "coredns")
    cm["data"]["Corefile"] = COREFILE_NO_CACHE
    changed_by(cm, ("eks", "Update", inc.born, {"f:data": {}}),
               ("kubectl-edit", "Update", change, {"f:data": {"f:Corefile": {}}}))

    def dns_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), "[INFO] plugin/reload: Running configuration SHA512 = "
                       "7a1c0f0b4e2d")]
        names = ["gateway.psp.example.com", "sqs.eu-west-1.amazonaws.com", "api.sendgrid.com"]
        out += L.ticker(max(start, change + timedelta(seconds=30)), end, 7, lambda i, t: (
            f"[ERROR] plugin/errors: 2 {names[i % 3]}"
            f". {'A' if i % 2 else 'AAAA'}: read udp 10.244.{i % 4}.{20 + i % 9}:{40000 + i * 7 % 9000}->10.0.0.2:53: "
            "i/o timeout"))
        out.append((change + timedelta(seconds=12), "[INFO] Reloading"))
        out.append((change + timedelta(seconds=13), "[INFO] plugin/reload: Running configuration SHA512 = "
                    "e55b1d0d94a3"))
        out.append((change + timedelta(seconds=13), "[INFO] Reloading complete"))
        return out
    for h in inc.pods_of("kube-system", "coredns"):
        h.logs[h.containers[0].name] = within(dns_log)(h.name, AT5 - timedelta(hours=3), inc.captured)

    def pay_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, change + timedelta(minutes=1)), end, 19, lambda i, t: L.logfmt(
            t, "error", "charge failed", provider="psp", attempt=1 + i % 3,
            err="Post \"https://gateway.psp.example.com/v2/charges\": dial tcp: lookup gateway.psp.example.com "
                "on 172.20.0.10:53: read udp 10.244.1.31:51234->172.20.0.10:53: i/o timeout"))
    for h in inc.pods_of("payments", "payments"):
        h.logs[h.containers[0].name] = within(pay_log)(h.name, AT5 - timedelta(hours=3), inc.captured)
    pc = inc.find("ConfigMap", "payments", "payments-config")
    changed_by(pc, ("kubectl-edit", "Update", AT5 - timedelta(hours=5), {"f:data": {"f:LOG_LEVEL": {}}}))
    pc["data"]["LOG_LEVEL"] = "debug"
    for h in inc.pods_of("kube-system", "coredns"):
        base = {"namespace": "kube-system", "pod": h.name, "job": "coredns"}
        inc.series("coredns_cache_hits_total", "counter", "The count of cache hits.",
                   {**base, "server": "dns://:53", "type": "success"},
                   counter(AT5 - timedelta(hours=2), 610, 0, change))
        inc.series("coredns_forward_requests_total", "counter", "Counter of requests made per upstream.",
                   {**base, "to": "10.0.0.2:53"}, counter(AT5 - timedelta(hours=2), 45, 1180, change))
        inc.series("coredns_forward_responses_total", "counter", "Counter of responses received per upstream.",
                   {**base, "to": "10.0.0.2:53", "rcode": "NOERROR"},
                   counter(AT5 - timedelta(hours=2), 45, 690, change))
    secret(inc, "payments", "psp-live-key", "stripe", "psp-live", "api-key")
    inc.pagerduty("Card payments timing out: authorisation p99 > 10s, success 71%", "payments")
    inc.answer_key(culprit=("ConfigMap", "kube-system", "coredns"),
                   keywords=["cache", "Corefile", "DNS", "i/o timeout"],
                   root_cause="The cache plugin was removed from the CoreDNS Corefile: every external DNS lookup is "
                              "forwarded to the VPC resolver, which drops packets over its limit, so lookups end in "
                              "i/o timeout and card payments time out.",
                   category="coredns-cache-plugin-removed",
                   red_herrings=[("ConfigMap", "payments", "payments-config")])
    return inc



# ---- 6 (platform, question naming only a host) -----------------------------------------------------
AT6 = datetime(2026, 11, 26, 19, 5, tzinfo=UTC)


def node_db_unreachable_question() -> Incident:
    """A Karpenter EC2NodeClass's securityGroupSelectorTerms changed: new nodes lack the security group the
    database admits.

    after: EKS write-ups of nodes launched with the wrong security groups (the database's inbound rule
    names the node security group; nodes without it cannot open connections to it).

    A Terraform tag clean-up moves the `karpenter.sh/discovery` tag, and at 16:20 the EC2NodeClass
    `default` is updated to select security groups by `Name: eks-cluster-sg-*` only. Nodes launched
    before keep the old node group; the one launched at 18:12 (ip-10-0-4-23) gets only the cluster
    security group, which the RDS instance's inbound rule does not allow. Pods scheduled there time out
    connecting to Postgres; the same workloads on other nodes are fine. Red herring: aws-node (the CNI).
    """
    inc = Incident("node-db-unreachable-question", title="pods on one node cannot reach things", story="",
                   at=AT6, seed=1206, namespaces=("karpenter",))
    host = inc.node_names()[3]
    change = AT6 - timedelta(hours=2, minutes=45)
    launched = AT6 - timedelta(minutes=53)
    crd(inc, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", "v1", "Cluster")
    ncls = inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
                    "spec": {"role": "KarpenterNodeRole-prod-eu-west-1", "amiSelectorTerms": [{"alias": "al2@latest"}],
                             "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                             "securityGroupSelectorTerms": [{"tags": {"Name": "eks-cluster-sg-prod-eu-west-1-*"}}]},
                    "status": {"securityGroups": [{"id": "sg-0c1f5e7a2b9d40e11",
                                                   "name": "eks-cluster-sg-prod-eu-west-1-1843512209"}],
                               "conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}]}})
    changed_by(ncls, ("kubectl", "Update", inc.born, {"f:spec": {"f:role": {}, "f:amiSelectorTerms": {}}}),
               ("terraform-provider-kubernetes", "Apply", change, {"f:spec": {"f:securityGroupSelectorTerms": {}}}))
    for n in inc.cluster.nodes:
        n["metadata"]["labels"].update({"karpenter.sh/nodepool": "default",
                                        "karpenter.k8s.aws/ec2nodeclass": "default"})
    inc.cluster.nodes[3]["metadata"]["creationTimestamp"] = ts(launched)
    for h in inc.cluster.pods:
        if h.node == host and h.created < launched:
            h.created = launched + timedelta(seconds=50)
            for st in h.states:
                if st.started_at is not None:
                    st.started_at = launched + timedelta(seconds=58)

    def db_errors(i: int, t: datetime) -> str:
        return L.logfmt(t, "error", "database unavailable", host="orders.c9xk2mpa.eu-west-1.rds.amazonaws.com",
                        err="dial tcp 10.0.12.40:5432: connect: connection timed out")
    for h in inc.cluster.pods:
        if h.node == host and h.namespace in ("shop", "payments", "auth"):
            h.logs[h.containers[0].name] = L.lines(L.ticker(launched + timedelta(minutes=1), inc.captured, 31,
                                                            db_errors))

    def karpenter_log(pod: str, start: datetime, end: datetime) -> Lines:
        return [(launched - timedelta(seconds=70), L.js(
                    launched, "INFO", "created nodeclaim", logger="controller", NodePool={"name": "default"},
                    requests={"cpu": "2310m", "memory": "3100Mi", "pods": "11"},
                    instance_types="m6a.xlarge, m6i.xlarge and 18 other(s)")),
                (launched - timedelta(seconds=40), L.js(
                    launched, "INFO", "launched nodeclaim", logger="controller",
                    NodeClaim={"name": "default-8xk2q"}, instance_type="m6a.xlarge", zone="eu-west-1d",
                    capacity_type="on-demand", security_groups=["sg-0c1f5e7a2b9d40e11"])),
                (launched, L.js(launched, "INFO", "registered nodeclaim", logger="controller",
                                NodeClaim={"name": "default-8xk2q"}, Node={"name": host}))]
    deploy(inc, "karpenter", "karpenter", "public.ecr.aws/karpenter/controller:1.0.6", 1, within(karpenter_log),
           port=8000)
    secret(inc, "shop", "orders-rds", "password", "orders-rds", "password")
    inc.ask(f"Everything scheduled on {host} since it came up keeps timing out on the database; the same "
            "pods elsewhere are fine. What's wrong with that node?")
    inc.answer_key(culprit=("EC2NodeClass", "", "default"),
                   keywords=["security group", "securityGroupSelectorTerms", "RDS"],
                   root_cause="The EC2NodeClass default's securityGroupSelectorTerms were changed: nodes launched "
                              "since get only the cluster security group, which the RDS inbound rule does not allow, "
                              "so pods on the new node time out connecting to the database.",
                   category="nodeclass-security-group-selector",
                   red_herrings=[("DaemonSet", "kube-system", "aws-node")])
    return inc


# ---- 7 (application) -------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def fulfilment_lag_grouped() -> Incident:
    """A new service copies another's Kafka group.id: the two share one consumer group and split its partitions.

    after: consumer-group collision write-ups (a copy-pasted group id; half the partitions go to a
    consumer that ignores the events, so orders silently stop shipping).

    analytics/order-audit revision 3 (08:52) sets KAFKA_GROUP_ID=fulfilment-orders, the group of
    fulfilment/order-fulfilment. Both join one group; the rebalance gives order-audit partitions
    orders-3..5, it only records the events and commits offsets, so those orders never ship; lag alerts
    on fulfilment's side. Red herring: payments/ledger's rollout at 09:10.
    """
    inc = Incident("fulfilment-lag-grouped", title="orders not shipping, consumer lag alerts", story="", at=AT7,
                   seed=1207, namespaces=("fulfilment", "analytics"))
    change = AT7 - timedelta(minutes=38)

    def ful_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(change + timedelta(seconds=4), L.spring(
            change, "INFO", "o.a.k.c.c.internals.ConsumerCoordinator",
            "[Consumer clientId=consumer-fulfilment-orders-1, groupId=fulfilment-orders] Request joining group "
            "due to: group is already rebalancing", thread="ntainer#0-0-C-1")),
               (change + timedelta(seconds=6), L.spring(
                   change, "INFO", "o.a.k.c.c.internals.ConsumerCoordinator",
                   "[Consumer clientId=consumer-fulfilment-orders-1, groupId=fulfilment-orders] Revoke previously "
                   "assigned partitions orders-0, orders-1, orders-2, orders-3, orders-4, orders-5",
                   thread="ntainer#0-0-C-1")),
               (change + timedelta(seconds=9), L.spring(
                   change, "INFO", "o.s.k.l.KafkaMessageListenerContainer",
                   "fulfilment-orders: partitions assigned: [orders-0, orders-1, orders-2]",
                   thread="ntainer#0-0-C-1"))]
        out += L.ticker(start, end, 45, lambda i, t: L.spring(
            t, "INFO", "c.e.fulfilment.ShipmentService", f"Created shipment for order {880000 + i} "
            f"(partition orders-{i % 3 if t > change else i % 6})", thread="ntainer#0-0-C-1"))
        return out
    deploy(inc, "fulfilment", "order-fulfilment", f"{REGISTRY}/fulfilment/order-fulfilment:2.9.3", 1,
           within(ful_log))

    def audit_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start + timedelta(seconds=3), L.js(start, "info", "kafka consumer started",
                                                   group="fulfilment-orders", topics=["orders", "refunds"])),
               (start + timedelta(seconds=8), L.js(start, "info", "partitions assigned",
                                                   partitions=["orders-3", "orders-4", "orders-5", "refunds-0"]))]
        out += L.ticker(start + timedelta(seconds=10), end, 15, lambda i, t: L.js(
            t, "info", "audit record stored", topic="orders", partition=3 + i % 3, offset=5510200 + i))
        return out
    deploy(inc, "analytics", "order-audit", f"{REGISTRY}/analytics/order-audit:0.7.0", 1, within(audit_log),
           revs=[(AT7 - timedelta(days=6), "helm upgrade", {}),
                 (change, "helm upgrade", {"env": [{"name": "KAFKA_GROUP_ID", "value": "fulfilment-orders"},
                                                   {"name": "KAFKA_TOPICS", "value": "orders,refunds"}]})])
    herring_rollout(inc, "payments", "ledger-reports", f"{REGISTRY}/payments/ledger-reports:2.0.0",
                    AT7 - timedelta(minutes=20))
    for part in range(6):
        inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at "
                   "Topic/Partition", {"consumergroup": "fulfilment-orders", "topic": "orders",
                                       "partition": str(part), "job": "kafka-exporter"},
                   (lambda t: 4.0) if part < 3 else
                   (lambda t: max(4.0, (t - change).total_seconds() * 0.8)))
    inc.series("kafka_consumergroup_members", "gauge", "Amount of members in a consumer group",
               {"consumergroup": "fulfilment-orders", "job": "kafka-exporter"}, step(1, 2, change))
    secret(inc, "analytics", "order-audit-kafka", "password", "kafka-scram", "sasl-password")
    expr = 'sum by (consumergroup, topic, partition) (kafka_consumergroup_lag) > 1000'
    grouped(inc, [("KafkaConsumerGroupLagHigh", {"namespace": "fulfilment", "consumergroup": "fulfilment-orders",
                                                 "topic": "orders", "partition": str(p), "severity": "critical"},
                   "Kafka consumer group lag is high.",
                   f"Consumer group fulfilment-orders lag on orders/{p} is above 1000 for 10 minutes.", expr)
                  for p in (3, 4, 5)], ["alertname", "consumergroup"])
    inc.answer_key(culprit=("Deployment", "analytics", "order-audit"),
                   keywords=["group.id", "consumer group", "rebalance", "partitions"],
                   root_cause="order-audit's new revision joined the consumer group fulfilment-orders (a copied "
                              "group.id): the rebalance gave it half the partitions, it commits their offsets "
                              "without shipping, so those orders pile up as lag.",
                   category="kafka-shared-consumer-group-id",
                   red_herrings=[("Deployment", "payments", "ledger-reports")])
    return inc


# ---- 8 (application) -------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 27, 13, 15, tzinfo=UTC)


def cart_latency_high() -> Incident:
    """A new cart janitor runs Redis KEYS over the whole keyspace every minute: Redis blocks, every caller waits.

    after: Redis latency postmortems (KEYS is O(N) and single-threaded Redis serves nothing while it runs).

    shop/cart-janitor (created this morning, 10:05) sweeps abandoned carts with `KEYS cart:*` over 2.3M
    keys each minute; each call blocks Redis for ~1.4 s. cart's p99 goes from 20 ms to 1.6 s and some
    calls hit their 1 s timeout. Evidence: mostly Redis metrics (commands, duration, slowlog) and the
    janitor's creation. Red herring: search's rollout.
    """
    inc = Incident("cart-latency-high", title="cart p99 latency high", story="", at=AT8, seed=1208)
    born = AT8 - timedelta(hours=3, minutes=10)

    def janitor_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 60, lambda i, t: L.pylog(
            t, "INFO", "janitor.sweep", f"pattern=cart:* scanned={2_301_000 + i * 40} expired={12 + i % 7} "
                                        f"took={1.3 + (i % 5) / 10:.1f}s"))
    inc.deployment("shop", "cart-janitor", [Rev(1, born, "kubectl apply",
                                                [c("cart-janitor", f"{REGISTRY}/shop/cart-janitor:0.1.0")])],
                   {1: [P(log=within(janitor_log), created=born)]})
    jan = inc.find("Deployment", "shop", "cart-janitor")
    jan["metadata"]["creationTimestamp"] = ts(born)
    changed_by(jan, ("kubectl-client-side-apply", "Update", born, {"f:spec": {"f:template": {}}}))

    def cart_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, born), end, 29, lambda i, t: L.logfmt(
            t, "warn", "slow redis call", cmd="HGETALL", key=f"cart:{i * 7919 % 100000}",
            duration_ms=900 + i * 37 % 700) if i % 3 else L.logfmt(
            t, "error", "redis call failed", cmd="HGETALL", err="redis: i/o timeout"))
    for h in inc.pods_of("shop", "cart"):
        h.logs[h.containers[0].name] = within(cart_log)(h.name, AT8 - timedelta(hours=3), inc.captured)
    herring_rollout(inc, "shop", "search-indexer", f"{REGISTRY}/shop/search-indexer:3.1.0",
                    AT8 - timedelta(minutes=25))
    base = {"namespace": "shop", "pod": "redis-0", "job": "redis-exporter"}
    for cmd, before, after in (("hgetall", 410.0, 300.0), ("keys", 0.0, 1 / 60), ("scan", 0.2, 0.2)):
        inc.series("redis_commands_total", "counter", "Total number of calls per command",
                   {**base, "cmd": cmd}, counter(AT8 - timedelta(hours=2), before, after, born))
    inc.series("redis_commands_duration_seconds_total", "counter", "Total amount of time in seconds spent per "
               "command", {**base, "cmd": "keys"}, counter(AT8 - timedelta(hours=2), 0, 1.4 / 60, born))
    inc.series("redis_slowlog_length", "gauge", "Total slowlog", dict(base),
               lambda t: 0.0 if t < born else min(128.0, (t - born).total_seconds() / 60))
    inc.series("redis_connected_clients", "gauge", "Number of client connections", dict(base),
               step(42, 180, born))
    secret(inc, "shop", "cart-janitor-redis", "password", "janitor-redis", "redis-password")
    inc.alertmanager("CartLatencyHigh", {"namespace": "shop", "service": "cart", "job": "cart"},
                     "cart p99 latency above 500ms",
                     "cart's p99 request latency has been above 500ms for 15 minutes (now 1.6s).",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{'
                     'namespace="shop",service="cart"}[5m]))) > 0.5',
                     runbook="https://wiki.example.com/runbooks/cart-latency")
    inc.answer_key(culprit=("Deployment", "shop", "cart-janitor"),
                   keywords=["KEYS", "blocks", "slowlog"],
                   root_cause="The new cart-janitor runs Redis KEYS cart:* over millions of keys every minute; "
                              "KEYS blocks single-threaded Redis for over a second (slowlog grows), so cart's Redis "
                              "calls wait and time out.",
                   category="redis-keys-command-blocking",
                   red_herrings=[("Deployment", "shop", "search-indexer")])
    return inc



# ---- 9 (application, question naming a workload) ---------------------------------------------------
AT9 = datetime(2026, 11, 28, 11, 40, tzinfo=UTC)


def new_products_unsearchable_question() -> Incident:
    """An indexer revision maps every seller attribute as a dynamic field: the index hits its total fields limit.

    after: Elasticsearch "mapping explosion" write-ups (dynamic mapping of user-supplied keys until
    index.mapping.total_fields.limit, 1000, rejects every new document).

    shop/catalog-indexer revision 6 (06:50) sets INDEX_SELLER_ATTRIBUTES=all: each seller's free-form
    attributes become new dynamic fields of the `products` index. By 07:12 the mapping reaches 1000
    fields and Elasticsearch rejects every document that adds one ("Limit of total fields [1000] has
    been exceeded"); products created since are not searchable. search itself is healthy. Red herring:
    the Elasticsearch data volume at 81%.
    """
    inc = Incident("new-products-unsearchable-question", title="new products missing from search", story="",
                   at=AT9, seed=1209)
    change = AT9 - timedelta(hours=4, minutes=50)
    full = change + timedelta(minutes=22)
    reason = "Limit of total fields [1000] has been exceeded while adding new fields [{n}]"

    def es_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S,") + f"{t.microsecond // 1000:03d}"
            return (f"[{stamp}][DEBUG][o.e.a.b.TransportShardBulkAction] [search-es-0] [products][{i % 3}] failed "
                    f"to execute bulk item (index) index {{[products][_doc][sku-{7_100_000 + i}]}}\n"
                    f"java.lang.IllegalArgumentException: {reason.format(n=1 + i % 4)}")
        return L.ticker(max(start, full), end, 17, line)
    inc.statefulset("shop", "search-es", [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
                                            port=9200, memory_limit="8Gi", memory_request="8Gi")],
                    [P(log=within(es_log))], inc.born, claims=[("data", "200Gi", "gp3")], service=9200)

    def idx_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=2), L.pylog(start, "INFO", "indexer.main",
                                                             "seller attributes mode=all (dynamic)"))]
        out += L.ticker(start + timedelta(seconds=5), min(end, full), 60, lambda i, t: L.pylog(
            t, "INFO", "indexer.bulk", f"indexed 500 documents into products in {0.4 + i % 3 / 10:.1f}s"))
        out += L.ticker(max(start, full), end, 60, lambda i, t: L.pylog(
            t, "ERROR", "indexer.bulk", "elasticsearch.helpers.BulkIndexError: 500 document(s) failed to index. "
            f"first error: {{'type': 'illegal_argument_exception', 'reason': '{reason.format(n=2)}'}}"))
        return out
    deploy(inc, "shop", "catalog-indexer", f"{REGISTRY}/shop/catalog-indexer:5.3.0", 1, within(idx_log),
           revs=[(AT9 - timedelta(days=8), "helm upgrade", {"env": [{"name": "INDEX_SELLER_ATTRIBUTES",
                                                                     "value": "curated"}]}),
                 (change, "helm upgrade", {"env": [{"name": "INDEX_SELLER_ATTRIBUTES", "value": "all"}]})])
    inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
               {"namespace": "shop", "persistentvolumeclaim": "data-search-es-0", "job": "kubelet"},
               lambda t: 0.81 * 200 * 2**30)
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
               {"namespace": "shop", "persistentvolumeclaim": "data-search-es-0", "job": "kubelet"},
               lambda t: 200.0 * 2**30)
    inc.series("elasticsearch_indices_docs", "gauge", "Count of documents on this node",
               {"namespace": "shop", "index": "products", "job": "elasticsearch-exporter"},
               lambda t: 7_100_000 + max(0.0, (min(t, full) - (AT9 - timedelta(hours=2))).total_seconds()) * 8)
    secret(inc, "shop", "search-es-credentials", "password", "es-elastic", "elastic-password")
    inc.ask("Sellers say products they listed this morning can't be found in search, older ones are fine. "
            "search looks healthy. What's going on?")
    inc.answer_key(culprit=("Deployment", "shop", "catalog-indexer"),
                   keywords=["total fields", "mapping", "dynamic"],
                   root_cause="catalog-indexer's new revision indexes every seller attribute as a dynamic field: "
                              "the products index mapping hit its limit of total fields (1000) and Elasticsearch "
                              "rejects every new document.",
                   category="elasticsearch-mapping-field-limit",
                   red_herrings=[("PersistentVolumeClaim", "shop", "data-search-es-0")])
    return inc


# ---- 10 (application) ------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 28, 10, 20, tzinfo=UTC)


def invoice_downloads_failing_page() -> Incident:
    """A chart sets gunicorn's --timeout to 5 s: workers rendering big PDFs are killed mid-request (502).

    after: gunicorn "WORKER TIMEOUT" write-ups (the arbiter SIGKILLs a worker silent past --timeout; the
    proxy sees the connection drop and answers 502).

    billing/invoice-pdf revision 5 (09:48) passes `--timeout 5` (was 60) from a shared Python chart
    default. Invoices with many lines take 6-20 s to render; the gunicorn arbiter kills those workers
    and ingress-nginx returns 502 "upstream prematurely closed connection". Red herring: gunicorn's own
    "Perhaps out of memory?" hint and the invoice-templates ConfigMap edited this morning.
    """
    inc = Incident("invoice-downloads-failing-page", title="Invoice PDF downloads failing", story="", at=AT10,
                   seed=1210, namespaces=("billing",))
    change = AT10 - timedelta(minutes=32)

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        def g(t: datetime, level: str, msg: str) -> str:
            return f"[{t.strftime('%Y-%m-%d %H:%M:%S')} +0000] [1] [{level}] {msg}"
        out: Lines = [(start, g(start, "INFO", "Starting gunicorn 22.0.0")),
                      (start, g(start, "INFO", "Listening at: http://0.0.0.0:8080 (1)")),
                      (start, g(start, "INFO", "Using worker: sync"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=40), end, 53)):
            pid = 40 + i
            out.append((t, g(t, "CRITICAL", f"WORKER TIMEOUT (pid:{pid})")))
            out.append((t + timedelta(milliseconds=8), g(t, "ERROR", f"Worker (pid:{pid}) was sent SIGKILL! "
                                                                     "Perhaps out of memory?")))
            out.append((t + timedelta(milliseconds=30), g(t, "INFO", f"Booting worker with pid: {pid + 100}")))
        return out
    args = ["gunicorn", "invoices.wsgi:application", "--bind=0.0.0.0:8080", "--workers=4"]
    deploy(inc, "billing", "invoice-pdf", f"{REGISTRY}/billing/invoice-pdf:4.2.0", 2, within(log),
           revs=[(AT10 - timedelta(days=9), "helm upgrade", {"args": [*args, "--timeout=60"]}),
                 (change, "helm upgrade", {"args": [*args, "--timeout=5"]})])
    inc.service("billing", "invoice-pdf", {"app": "invoice-pdf"})
    tpl = inc.configmap("billing", "invoice-templates", {"footer.html": "<p>Thank you for your business.</p>"},
                        at=inc.born)
    changed_by(tpl, ("kubectl-edit", "Update", AT10 - timedelta(hours=2), {"f:data": {"f:footer.html": {}}}))

    def nginx_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, change), end, 53, lambda i, t: L.nginx_error(
            t, "upstream prematurely closed connection while reading response header from upstream, client: "
               f"91.4.{i % 90}.3, server: billing.example.com, request: \"GET /invoices/INV-{2026110000 + i}.pdf "
               "HTTP/1.1\", upstream: \"http://10.244.2.17:8080/invoices/\"", conn=7000 + i))
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs[h.containers[0].name] = within(nginx_log)(h.name, AT10 - timedelta(hours=3), inc.captured)
    secret(inc, "billing", "invoice-pdf-s3", "aws", "invoice-bucket", "AWS_ACCESS_KEY_ID")
    inc.pagerduty("Invoice PDF downloads failing: 502s on billing.example.com/invoices", "billing")
    inc.answer_key(culprit=("Deployment", "billing", "invoice-pdf"),
                   keywords=["gunicorn", "--timeout", "WORKER TIMEOUT"],
                   root_cause="invoice-pdf's new revision runs gunicorn with --timeout 5 (was 60): the arbiter "
                              "kills workers rendering large PDFs (WORKER TIMEOUT, SIGKILL) and nginx answers 502.",
                   category="gunicorn-worker-timeout-too-low",
                   red_herrings=[("ConfigMap", "billing", "invoice-templates")])
    return inc


# ---- 11 (application) ------------------------------------------------------------------------------
AT11 = datetime(2026, 11, 29, 15, 8, tzinfo=UTC)


def payouts_sent_twice() -> Incident:
    """A Celery broker visibility_timeout cut below the task run time: long payout tasks are redelivered and run twice.

    after: Celery-on-Redis write-ups (an unacknowledged task is redelivered to another worker once the
    visibility timeout passes; with acks_late, long tasks run again).

    A hand edit yesterday at 16:05 sets BROKER_VISIBILITY_TIMEOUT=300 (was 43200) in ConfigMap
    payments/payouts-worker-config ("faster recovery after worker crashes"). Settlement payout tasks
    take 8-12 minutes; after 300 s Redis redelivers them and a second worker sends the same payouts.
    Red herring: payout-notifier's rollout this afternoon.
    """
    inc = Incident("payouts-sent-twice", title="Partner payouts sent twice", story="", at=AT11, seed=1211)
    change = AT11 - timedelta(hours=23, minutes=3)
    cfg = inc.configmap("payments", "payouts-worker-config",
                        {"BROKER_URL": "redis://payouts-redis.payments:6379/0", "BROKER_VISIBILITY_TIMEOUT": "300",
                         "TASK_ACKS_LATE": "true", "WORKER_CONCURRENCY": "4"}, at=inc.born)
    changed_by(cfg, ("helm", "Update", inc.born, {"f:data": {"f:BROKER_URL": {}, "f:TASK_ACKS_LATE": {}}}),
               ("kubectl-edit", "Update", change, {"f:data": {"f:BROKER_VISIBILITY_TIMEOUT": {}}}))
    batches = [AT11 - timedelta(minutes=m) for m in (58, 41, 22)]

    seen: list[str] = []

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        """The first worker takes each batch; the second gets it again when the visibility timeout passes."""
        if pod not in seen:
            seen.append(pod)
        second = seen.index(pod) == 1
        out: Lines = [(start + timedelta(seconds=3), f"[{start:%Y-%m-%d %H:%M:%S},204: INFO/MainProcess] "
                       "Connected to redis://payouts-redis.payments:6379/0"),
                      (start + timedelta(seconds=4), f"[{start:%Y-%m-%d %H:%M:%S},391: INFO/MainProcess] "
                       "celery@payouts-worker ready.")]
        for i, b in enumerate(batches):
            tid = L.uuidish("payout", i)
            got = b + timedelta(seconds=301 if second else 0)
            done = got + timedelta(seconds=610 + 40 * i)
            out.append((got, f"[{got:%Y-%m-%d %H:%M:%S},{110 + i:03d}: INFO/MainProcess] Task "
                             f"payouts.tasks.run_settlement_batch[{tid}] received"))
            out.append((done, f"[{done:%Y-%m-%d %H:%M:%S},{520 + i:03d}: INFO/ForkPoolWorker-2] Task "
                              f"payouts.tasks.run_settlement_batch[{tid}] succeeded in {610.0 + 40 * i:.1f}s: "
                              f"{{'batch': 'SB-{20261129 * 10 + i}', 'payouts': {180 + i * 13}}}"))
        return out
    deploy(inc, "payments", "payouts-worker", f"{REGISTRY}/payments/payouts-worker:2.6.1", 2, within(log),
           readiness_path=None, liveness_path=None, port=None)
    herring_rollout(inc, "payments", "payout-notifier", f"{REGISTRY}/payments/payout-notifier:1.4.0",
                    AT11 - timedelta(hours=2))
    inc.series("payouts_sent_total", "counter", "Payouts sent to the bank API",
               {"namespace": "payments", "job": "payouts-worker"},
               counter(AT11 - timedelta(hours=2), 0.1, 0.62, AT11 - timedelta(hours=1)))
    secret(inc, "payments", "bank-api-credentials", "token", "bank-api", "client-secret")
    inc.alertmanager("PayoutBatchReconciliationMismatch", {"namespace": "payments", "service": "payouts",
                                                           "severity": "critical"},
                     "Payouts sent exceed the settlement batches' totals",
                     "In the last hour 2.0x more payouts were sent to the bank than settlement batches contain.",
                     'sum(increase(payouts_sent_total[1h])) / sum(increase(settlement_batch_payouts_total[1h])) > 1.05',
                     severity="critical", runbook="https://wiki.example.com/runbooks/payout-reconciliation")
    inc.answer_key(culprit=("ConfigMap", "payments", "payouts-worker-config"),
                   keywords=["visibility_timeout", "redelivered", "Celery"],
                   root_cause="BROKER_VISIBILITY_TIMEOUT (Celery's broker visibility_timeout) was cut to 300 s while "
                              "payout tasks run for ten minutes: Redis redelivered each unacknowledged task to a "
                              "second worker, which sent the same payouts again.",
                   category="celery-visibility-timeout-redelivery",
                   red_herrings=[("Deployment", "payments", "payout-notifier")])
    return inc


# ---- 12 (application) ------------------------------------------------------------------------------
AT12 = datetime(2026, 11, 29, 20, 33, tzinfo=UTC)


def large_basket_checkouts_burn() -> Incident:
    """A release embeds product snapshots in the order event: big orders exceed Kafka's max.request.size.

    after: Kafka RecordTooLargeException write-ups (a payload change pushes some messages past the
    producer's 1 MB max.request.size; only the biggest requests fail).

    orders/orders-api revision 12 (19:55) adds full product snapshots to each OrderPlaced event.
    Orders with more than ~40 lines serialize to over 1,048,576 bytes; the Spring Kafka producer throws
    RecordTooLargeException and checkout answers 500 for big baskets only. Red herring: order-history's
    rollout at 20:10.
    """
    inc = Incident("large-basket-checkouts-burn", title="checkout failures for some customers", story="",
                   at=AT12, seed=1212, namespaces=("orders",))
    change = AT12 - timedelta(minutes=38)

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 23, lambda i, t: L.spring(
            t, "INFO", "c.e.orders.api.OrderController", f"order {9_300_000 + i} placed lines={2 + i % 9}",
            thread=f"http-nio-8080-exec-{i % 20 + 1}"))
        out += L.ticker(start, end, 97, lambda i, t: L.spring(
            t, "ERROR", "o.s.k.support.LoggingProducerListener",
            f"Exception thrown when sending a message with key='{9_400_000 + i}' and payload='OrderPlaced(orderId="
            f"{9_400_000 + i}, lines={41 + i % 30}, ...)' to topic orders.events:\n"
            f"org.apache.kafka.common.errors.RecordTooLargeException: The message is {1_300_000 + 9_173 * i} bytes "
            "when serialized which is larger than 1048576, which is the value of the max.request.size configuration.",
            thread=f"http-nio-8080-exec-{i % 20 + 1}"))
        return out
    deploy(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:4.12.0", 3, within(log),
           revs=[(AT12 - timedelta(days=6), "helm upgrade", {"image": f"{REGISTRY}/orders/orders-api:4.11.0"}),
                 (change, "helm upgrade", {"image": f"{REGISTRY}/orders/orders-api:4.12.0"})])
    herring_rollout(inc, "orders", "order-history", f"{REGISTRY}/orders/order-history:2.2.0",
                    AT12 - timedelta(minutes=23))
    inc.series("kafka_producer_record_error_total", "counter", "The total number of record sends that resulted "
               "in errors", {"namespace": "orders", "job": "orders-api", "topic": "orders.events"},
               counter(AT12 - timedelta(hours=2), 0.0, 0.011, change))
    secret(inc, "orders", "orders-kafka-scram", "password", "orders-kafka", "sasl-password")
    inc.slo_burn("orders-api", "orders", "checkout-availability", "99.9%", 19.5,
                 "orders-api: 2.8% of POST /orders requests in the last hour returned 5xx.")
    inc.answer_key(culprit=("Deployment", "orders", "orders-api"),
                   keywords=["RecordTooLargeException", "max.request.size", "message size"],
                   root_cause="orders-api's new revision embeds product snapshots in the order event: for big "
                              "baskets the message size passes the producer's max.request.size (1 MB), Kafka "
                              "refuses it with RecordTooLargeException and checkout returns 500.",
                   category="kafka-record-too-large",
                   red_herrings=[("Deployment", "orders", "order-history")])
    return inc


ALL = [login_broken_page, frontend_replicas_missing, partner_webhooks_forbidden_burn,
       sessions_redis_restarting, card_payments_timeouts_page, node_db_unreachable_question, fulfilment_lag_grouped,
       cart_latency_high, new_products_unsearchable_question, invoice_downloads_failing_page,
       payouts_sent_twice, large_basket_checkouts_burn]
