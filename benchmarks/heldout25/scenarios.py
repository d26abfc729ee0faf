"""Round 25 of the held-out incident set: twelve networking and edge incidents (DNS, CNI, kube-proxy, load
balancers, gateways, external-dns, WAF, certificate chains, egress NAT).

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor documentation or everyday production failure it re-creates (our own names and
text, nothing copied). The alert or question names the victim; the change sits on the culprit, often in
another namespace or at cluster scope. Log lines follow the real software's formats (CoreDNS, klog,
ingress-nginx access and error logs, Envoy access logs, logfmt, JSON, Spring Boot, Python, Go).
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


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
    """Alertmanager's v4 webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced",
        version: str = "v1") -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def ticks(start: datetime, end: datetime, step_s: float, make: Callable[[int, datetime], str | None]) -> Lines:
    """(t, line) for every step from start to end where `make` has something to say."""
    return L.ticker(start, end, step_s, make)


def set_logs(inc: Incident, ns: str, workload: str, make: Callable[[str], Lines]) -> None:
    """Replace the logs of a background workload's pods with what they printed in this incident."""
    for h in inc.pods_of(ns, workload):
        h.logs[h.containers[0].name] = L.lines(sorted(make(h.name)))


def http(inc: Incident, ns: str, service: str, ok: float, bad: float, code: str, at: datetime) -> None:
    """http_requests_total of a service: `ok`/s of 200 throughout, `bad`/s of `code` from `at` on."""
    start = inc.at - timedelta(hours=2)
    labels = {"namespace": ns, "service": service, "job": service}
    inc.series("http_requests_total", "counter", "Total HTTP requests.", {**labels, "code": "200"},
               counter(start, ok, ok * 0.7 if bad else ok, at), 30)
    inc.series("http_requests_total", "counter", "Total HTTP requests.", {**labels, "code": code},
               counter(start, 0.0, bad, at), 30)


def swap_cni(inc: Incident, name: str, image: str) -> None:
    """Replace the background's AWS VPC CNI DaemonSet with another CNI agent on every node."""
    cl = inc.cluster
    cl.objects = [x for x in cl.objects if not (x["kind"] == "DaemonSet" and x["metadata"]["name"] == "aws-node")]
    cl.pods = [p for p in cl.pods if p.workload != "aws-node"]
    cl.daemonset("kube-system", name, image, inc.born, memory_mi=120)


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def start(build: Callable[[], Incident], title: str, at: datetime, seed: int, namespaces: tuple[str, ...] = (),
          skip: set[tuple[str, str]] | None = None) -> Incident:
    """An incident named after its builder; its story is the builder's docstring (kept out of the bundle)."""
    return Incident(build.__name__.replace("_", "-"), title=title, story=build.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces, skip=skip)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 8, 40, tzinfo=UTC)


def name_lookups_failing_grouped() -> Incident:
    """coredns-forward-to-node-cache-loop: CoreDNS now forwards to the node-local cache, which forwards back.

    after: CoreDNS's documented `loop` plugin failure (CrashLoopBackOff with "Loop ... detected for zone")
    that teams hit when the upstream of `forward` resolves back to CoreDNS itself, e.g. through a
    NodeLocal DNSCache address.

    A platform engineer edited ConfigMap kube-system/coredns at 08:24 to "use the node cache for external
    names": `forward . /etc/resolv.conf` became `forward . 169.254.20.10`. node-local-dns sends everything it
    does not cache to the kube-dns Service, i.e. back to CoreDNS; CoreDNS's loop plugin detects its own
    HINFO probe and exits. Both replicas crash-loop, cluster DNS answers nothing, and the frontend's
    lookups fail (EAI_AGAIN). The red herring is cluster-autoscaler's rollout in kube-system at 08:15.
    """
    inc = start(name_lookups_failing_grouped, "Pods restarting in kube-system, frontend errors", AT1, 2501,
                skip={("kube-system", "coredns")})
    chg = AT1 - timedelta(minutes=16)
    cm = inc.find("ConfigMap", "kube-system", "coredns")
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . /etc/resolv.conf", "forward . 169.254.20.10")
    if "169.254.20.10" not in cm["data"]["Corefile"]:
        cm["data"]["Corefile"] = (".:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local "
                                  "in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa "
                                  "ip6.arpa\n    }\n    prometheus :9153\n    forward . 169.254.20.10\n    cache 30\n"
                                  "    loop\n    reload\n    loadbalance\n}\n")
    changed(cm, ("kubectl-edit", "Update", chg, {"f:data": {"f:Corefile": {}}}))
    inc.cluster.daemonset("kube-system", "node-local-dns", "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1",
                          inc.born, memory_mi=18)

    def dns_log(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, ".:53"), (s + timedelta(milliseconds=3),
                              "[INFO] plugin/reload: Running configuration SHA512 = 7d1c3a0f5b2e9c41d8f6a3b0e2c95d7"
                              "a1f4e8b6c3d2a09f7e5b4c1d8a6f3e2b9c0d7a4f1e8b5c2d9a6f3e0b7c4d1a8f5e"),
                (s + timedelta(milliseconds=4), "CoreDNS-1.11.3"),
                (s + timedelta(milliseconds=5), "linux/amd64, go1.21.11, a6338e9"),
                (s + timedelta(seconds=1), '[FATAL] plugin/loop: Loop (127.0.0.1:38818 -> :53) detected for zone ".", '
                 'see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.'
                 '3688648895315093531."')]
    rev = Rev(1, inc.born + timedelta(days=7), "eks addon", [c("coredns", "registry.k8s.io/coredns/coredns:v1.11.3",
                                                                port=None, memory_limit="170Mi")])
    dns = inc.deployment("kube-system", "coredns", [rev],
                         {1: [P(state="crashloop", log=within(dns_log), crash_from=chg + timedelta(seconds=20),
                                run_s=lambda n: 1.5) for _ in range(2)]}, replicas=2)

    def fe_log(pod: str, s: datetime, e: datetime) -> Lines:
        return ticks(max(s, chg), e, 9, lambda i, t: L.js(
            t, "error", "upstream request failed",
            err=f"getaddrinfo EAI_AGAIN {['recommendations.web', 'auth-api.auth'][i % 2]}",
            path="/", req_id=L.uuidish(pod, i)))
    for h in inc.pods_of("web", "frontend"):
        h.logs[h.containers[0].name] = L.lines(fe_log(h.name, inc.at - timedelta(hours=1), inc.captured))
    herring(inc, "kube-system", "cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler", "v1.30.2",
            AT1 - timedelta(minutes=25))
    plant(inc, "kube-system", "route53-credentials", "aws", "route53", "aws_access_key_id")
    inc.pod_series(dns.pods, memory=False)
    http(inc, "web", "frontend", 40, 22, "502", chg)
    inc.series("coredns_dns_requests_total", "counter", "Counter of DNS requests made per zone, protocol and family.",
               {"namespace": "kube-system", "job": "coredns", "zone": ".", "proto": "udp", "type": "A"},
               counter(AT1 - timedelta(hours=2), 310, 0, chg), 30)
    pods = [h.name for h in dns.pods]
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "kube-system", "pod": p, "container": "coredns",
                                                  "job": "kube-state-metrics"},
                     "Pod is crash looping.", f'Pod kube-system/{p} (coredns) is in waiting state (reason: '
                     '"CrashLoopBackOff").', 'max_over_time(kube_pod_container_status_waiting_reason{reason='
                     '"CrashLoopBackOff", job="kube-state-metrics"}[5m]) >= 1') for p in pods]
         , ["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "kube-system", "coredns"), keywords=["loop", "forward", "Corefile"],
                   root_cause="The Corefile edit made CoreDNS forward to the node-local DNS cache 169.254.20.10, "
                   "which forwards back to CoreDNS: the loop plugin detects the forwarding loop and CoreDNS "
                   "crash-loops, so cluster DNS fails everywhere.", category="coredns-forward-to-node-cache-loop",
                   red_herrings=[("Deployment", "kube-system", "cluster-autoscaler")])
    return inc


# ---- shared shape of the remaining incidents ------------------------------------------------------
def custom(inc: Incident, kind: str, group: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           manager: str, chg: datetime, fields: dict[str, Any], scope: str = "Namespaced",
           version: str = "v1") -> dict[str, Any]:
    """A custom resource (with its CRD) last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec})
    return changed(obj, (manager, "Update", chg, fields))


def victim(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
           replicas: int = 3) -> Any:
    """The paged workload: running pods whose logs say what they suffer."""
    return app(inc, ns, name, f"{REGISTRY}/{ns}/{name}:2.{len(name)}.0", replicas, log=within(make))


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)


def orders_db_timeouts_page() -> Incident:
    """security-group-for-pods-omits-database-access: a SecurityGroupPolicy gives new pods an SG RDS refuses.

    after: AWS VPC CNI "security groups for pods" rollouts in which a SecurityGroupPolicy's group lacks the
    rule the database's security group admits, so only pods created after the policy lose the database.

    At 12:10 the platform team applied SecurityGroupPolicy orders/orders-pods-sg (selector app=orders-api,
    groups sg-0c4e7a19d2b5f6e83 only). Pods created earlier keep the node's security groups and work; the
    two pods the HPA added at 13:55 got a branch ENI with the new group only, which the RDS security group
    does not admit: their Hikari pool times out connecting and half the traffic fails. The red herring is
    a config-only rollout of orders/invoice-mailer at 13:40.
    """
    inc = start(orders_db_timeouts_page, "orders-api database timeouts", AT2, 2502, namespaces=("orders",))
    chg, scaled = AT2 - timedelta(minutes=115), AT2 - timedelta(minutes=10)
    db = "orders-db.cluster-cq7x2kd1w9pa.eu-west-1.rds.amazonaws.com"

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        if s < scaled:
            return ticks(s, e, 300, lambda i, t: L.spring(t, "INFO", "c.a.orders.web.OrderController",
                                                          f"order {40000 + i} accepted", "http-nio-8080-exec-3"))
        trace = ("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request "
                 "timed out after 30000ms.\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException"
                 "(HikariPool.java:696)\nCaused by: org.postgresql.util.PSQLException: The connection attempt "
                 f"failed.\nCaused by: java.net.SocketTimeoutException: Connect timed out ({db}:5432)")
        return ticks(s, e, 20, lambda i, t: L.spring(t, "ERROR", "com.zaxxer.hikari.pool.HikariPool",
                                                     trace, "http-nio-8080-exec-7"))
    image = f"{REGISTRY}/orders/orders-api:4.2.1"
    rev = Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c("orders-api", image)])
    plans = [P(log=within(log)) for _ in range(3)] + [
        P(state="notready", created=scaled + timedelta(seconds=20 * i), log=within(log),
          message="Readiness probe failed: HTTP probe failed with statuscode: 503") for i in range(2)]
    wl = inc.deployment("orders", "orders-api", [rev], {1: plans})
    for h in wl.pods[3:]:
        inc.cluster.patch("orders", h.name, lambda pod: pod["metadata"].setdefault("annotations", {}).update(
            {"vpc.amazonaws.com/pod-eni": '[{"eniId":"eni-0b7f2a9c41d3e5f60","ifAddress":"02:5e:9b:11:c4:7d",'
             '"privateIp":"10.0.41.87","vlanId":1,"subnetCidr":"10.0.40.0/22"}]'}))
    custom(inc, "SecurityGroupPolicy", "vpcresources.k8s.aws", "securitygrouppolicies", "orders", "orders-pods-sg",
           {"podSelector": {"matchLabels": {"app": "orders-api"}},
            "securityGroups": {"groupIds": ["sg-0c4e7a19d2b5f6e83"]}},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:securityGroups": {}, "f:podSelector": {}}},
           version="v1beta1")
    herring(inc, "orders", "invoice-mailer", f"{REGISTRY}/orders/invoice-mailer", "1.7.0", AT2 - timedelta(minutes=25))
    plant(inc, "orders", "orders-db", "password", "orders-db", "password")
    http(inc, "orders", "orders-api", 30, 12, "500", scaled)
    inc.pagerduty("[FIRING] orders-api: 5xx above 20% and DB connection timeouts (orders)", "orders-api")
    inc.answer_key(culprit=("SecurityGroupPolicy", "orders", "orders-pods-sg"),
                   keywords=["SecurityGroupPolicy", "security group", "branch ENI"],
                   root_cause="SecurityGroupPolicy orders-pods-sg gives pods created after it a branch ENI with "
                   "only security group sg-0c4e7a19d2b5f6e83, which the RDS security group does not admit: the "
                   "new orders-api pods time out connecting to PostgreSQL.",
                   category="security-group-for-pods-omits-database-access",
                   red_herrings=[("Deployment", "orders", "invoice-mailer")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 10, 20, tzinfo=UTC)


def carrier_rates_question() -> Incident:
    """cilium-dns-proxy-rule-refuses-external-names: a CiliumNetworkPolicy's DNS rule allows only in-cluster names.

    after: Cilium's DNS proxy (toFQDNs with `rules.dns`) answering REFUSED for every name a policy's DNS
    pattern does not match, a documented and often-reported lockdown mistake.

    At 09:50 CiliumNetworkPolicy logistics/restrict-egress was tightened: its DNS rule to kube-dns changed
    from `matchPattern: "*"` to `matchPattern: "*.cluster.local"`. The proxy now refuses lookups of the
    carriers' APIs; shipping-quotes (Go) logs "server misbehaving" and returns quotes without rates. The
    red herring is a rollout of logistics/label-printer at 10:02.
    """
    inc = start(carrier_rates_question, "shipping-quotes missing carrier rates", AT3, 2503, namespaces=("logistics",))
    chg = AT3 - timedelta(minutes=30)
    swap_cni(inc, "cilium", "quay.io/cilium/cilium:v1.16.3")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            host = ["api.carrier-one.example.com", "rates.parcelnet.example.eu"][i % 2]
            if t < chg:
                return L.go_std(t, f"quote {i}: rates from {host} in 212ms")
            return L.go_std(t, f'quote {i}: carrier rates: Get "https://{host}/v2/rates": dial tcp: lookup {host} '
                            "on 172.20.0.10:53: server misbehaving")
        return ticks(s, e, 15, line)
    victim(inc, "logistics", "shipping-quotes", log)
    custom(inc, "CiliumNetworkPolicy", "cilium.io", "ciliumnetworkpolicies", "logistics", "restrict-egress",
           {"endpointSelector": {}, "egress": [
               {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                 "k8s-app": "kube-dns"}}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                             "rules": {"dns": [{"matchPattern": "*.cluster.local"}]}}]},
               {"toFQDNs": [{"matchPattern": "*.example.com"}, {"matchPattern": "*.example.eu"}],
                "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]},
           "argocd-controller", chg, {"f:spec": {"f:egress": {}}}, version="v2")
    herring(inc, "logistics", "label-printer", f"{REGISTRY}/logistics/label-printer", "3.1.0",
            AT3 - timedelta(minutes=18))
    plant(inc, "logistics", "carrier-api-keys", "token", "carrier-one", "CARRIER_ONE_TOKEN")
    inc.series("hubble_dns_responses_total", "counter", "Number of DNS responses observed.",
               {"namespace": "logistics", "job": "hubble", "rcode": "Refused", "qtypes": "A"},
               counter(AT3 - timedelta(hours=2), 0, 1.6, chg), 30)
    inc.ask("why is shipping-quotes returning quotes without carrier rates since this morning?")
    inc.answer_key(culprit=("CiliumNetworkPolicy", "logistics", "restrict-egress"),
                   keywords=["DNS proxy", "matchPattern", "REFUSED"],
                   root_cause="CiliumNetworkPolicy restrict-egress's DNS rule was narrowed to matchPattern "
                   "*.cluster.local: Cilium's DNS proxy answers REFUSED for the carriers' API names, so "
                   "lookups fail with server misbehaving.", category="cilium-dns-proxy-rule-refuses-external-names",
                   red_herrings=[("Deployment", "logistics", "label-printer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)


def checkout_latency_one_second() -> Incident:
    """kube-proxy-ipvs-conn-reuse-one-second-stalls: kube-proxy switched to IPVS; reused ports stall for 1 s.

    after: the well-known kube-proxy IPVS issue (net.ipv4.vs.conn_reuse_mode) where new connections that
    reuse a source port of a TIME_WAIT entry are dropped and retried after a one-second SYN timeout.

    At 15:55 the kube-proxy DaemonSet was re-rendered with `--proxy-mode=ipvs` (was iptables). storefront's
    checkout-web opens a new connection per call to pricing; under load a share of calls hit reused ports
    and take exactly one second longer, p99 goes from 90 ms to 1.1 s. The red herring is a pricing rollout
    at 16:10.
    """
    inc = start(checkout_latency_one_second, "checkout-web p99 latency high", AT4, 2504,
                namespaces=("storefront",))
    chg = AT4 - timedelta(minutes=35)
    ds = inc.find("DaemonSet", "kube-system", "kube-proxy")
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config", "--proxy-mode=ipvs",
        "--ipvs-scheduler=rr", "--hostname-override=$(NODE_NAME)"]
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    changed(ds, ("eks", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    set_logs(inc, "kube-system", "kube-proxy", lambda pod: [
        (chg + timedelta(seconds=40), L.klog(chg + timedelta(seconds=40), "I", "server_linux.go:233",
                                             '"Using ipvs Proxier"')),
        (chg + timedelta(seconds=41), L.klog(chg + timedelta(seconds=41), "I", "proxier.go:357",
                                             '"IPVS scheduler not specified, use rr by default"')),
        (chg + timedelta(seconds=42), L.klog(chg + timedelta(seconds=42), "I", "server.go:872",
                                             '"Version info" version="v1.30.4"'))])

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t >= chg and i % 4 == 0
            ms = 1000 + 70 + i % 40 if slow else 60 + i % 30
            return L.pylog(t, "WARNING" if slow else "INFO", "checkout.pricing",
                           f"POST http://pricing.storefront.svc/quote status=200 elapsed_ms={ms}")
        return ticks(s, e, 12, line)
    victim(inc, "storefront", "checkout-web", log)
    app(inc, "storefront", "pricing", f"{REGISTRY}/storefront/pricing:6.4.0", 3)
    herring(inc, "storefront", "pricing-rules-sync", f"{REGISTRY}/storefront/pricing-rules-sync", "0.8.2",
            AT4 - timedelta(minutes=20))
    plant(inc, "storefront", "pricing-api", "token", "pricing", "API_TOKEN")
    base = {"namespace": "storefront", "service": "checkout-web", "job": "checkout-web"}
    for le, before, after in (("0.1", 50.0, 37.0), ("0.5", 50.5, 38.0), ("1", 51.0, 38.5), ("2", 51.0, 51.0),
                              ("+Inf", 51.0, 51.0)):
        inc.series("http_request_duration_seconds_bucket", "counter", "Request latency.", {**base, "le": le},
                   counter(AT4 - timedelta(hours=2), before, after, chg), 30)
    inc.series("node_ipvs_connections_total", "counter", "The total number of connections made.",
               {"job": "node-exporter", "instance": node(inc, 0)}, counter(AT4 - timedelta(hours=2), 0, 95, chg), 30)
    inc.alertmanager("CheckoutLatencyHigh", {"namespace": "storefront", "service": "checkout-web"},
                     "checkout-web p99 latency above 800ms",
                     "histogram_quantile(0.99) of checkout-web requests is 1.1s (SLO 400ms).",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"storefront",service="checkout-web"}[5m]))) > 0.8')
    inc.answer_key(culprit=("DaemonSet", "kube-system", "kube-proxy"), keywords=["IPVS", "conn_reuse_mode", "SYN"],
                   root_cause="kube-proxy was switched to IPVS mode; with conn_reuse_mode new connections reusing a "
                   "TIME_WAIT source port are dropped and the SYN is retransmitted after one second, so a share of "
                   "checkout-web's calls to pricing take 1 s longer.",
                   category="kube-proxy-ipvs-conn-reuse-one-second-stalls",
                   red_herrings=[("Deployment", "storefront", "pricing-rules-sync")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 7, 15, tzinfo=UTC)


def storefront_bad_requests_page() -> Incident:
    """lb-proxy-protocol-enabled-controller-not-parsing: the NLB now sends PROXY headers nginx does not expect.

    after: AWS Load Balancer Controller / ingress-nginx incidents where
    `aws-load-balancer-proxy-protocol: "*"` is turned on without `use-proxy-protocol: "true"` in the
    controller's ConfigMap: every connection starts with "PROXY TCP4 ..." and nginx answers 400.

    A Helm upgrade of ingress-nginx at 07:02 added the proxy-protocol annotation to Service
    ingress-nginx/ingress-nginx-controller (to get client IPs). The controller ConfigMap was not changed;
    plain-HTTP requests get 400 and TLS handshakes fail. The red herring is web/banner-service's rollout.
    """
    inc = start(storefront_bad_requests_page, "www storefront synthetic check failing", AT5, 2505)
    chg = AT5 - timedelta(minutes=13)
    svc = inc.find("Service", "ingress-nginx", "ingress-nginx-controller")
    svc["spec"]["type"] = "LoadBalancer"
    svc["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*"}
    svc["status"] = {"loadBalancer": {"ingress": [
        {"hostname": "k8s-ingressn-ingressn-3f9a1c7e2b-5d0e8a4c1f7b2e93.elb.eu-west-1.amazonaws.com"}]}}
    changed(svc, ("helm", "Update", chg, {"f:metadata": {"f:annotations": {
        "f:service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": {}}}}))
    inc.configmap("ingress-nginx", "ingress-nginx-controller", {"allow-snippet-annotations": "false",
                                                                "use-forwarded-headers": "true"})

    def nginx(pod: str) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(AT5 - timedelta(minutes=40), inc.captured, 7)):
            ip = f"203.0.113.{10 + i % 80}"
            if t < chg:
                out.append((t, L.nginx_access(t, ip, "GET /", 200, 5120, "web-frontend-80", "200", 0.041)))
            else:
                out.append((t, f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "PROXY TCP4 {ip} 10.0.12.5 '
                            f'{40000 + i} 80" 400 150 "-" "-" 0 0.000 [] [] - - - - {L.uuidish(pod, i)[:32]}'))
        return out
    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", nginx)
    herring(inc, "web", "banner-service", f"{REGISTRY}/web/banner-service", "2.2.0", AT5 - timedelta(minutes=8))
    plant(inc, "web", "frontend-session", "token", "session", "SESSION_KEY")
    inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
               {"namespace": "ingress-nginx", "job": "ingress-nginx-controller", "ingress": "", "status": "400",
                "host": ""}, counter(AT5 - timedelta(hours=2), 0.01, 60, chg), 30)
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox", "instance": "https://www.example.shop/"}, step(1, 0, chg + timedelta(minutes=1)), 30)
    inc.pagerduty("Synthetic check failed: https://www.example.shop/ returns HTTP 400 from all locations",
                  "Storefront")
    inc.answer_key(culprit=("Service", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["proxy protocol", "400", "use-proxy-protocol"],
                   root_cause="The Helm upgrade added aws-load-balancer-proxy-protocol to the ingress-nginx "
                   "controller Service but not use-proxy-protocol to the controller ConfigMap: the NLB prepends a "
                   "proxy protocol header nginx does not parse, so every request gets 400.",
                   category="lb-proxy-protocol-enabled-controller-not-parsing",
                   red_herrings=[("Deployment", "web", "banner-service")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 11, 45, tzinfo=UTC)


def profile_api_throttled() -> Incident:
    """gateway-wide-local-rate-limit-throttles-all-routes: a rate limit meant for one route targets the Gateway.

    after: Envoy Gateway / Envoy local rate-limit incidents where a BackendTrafficPolicy attached to the
    whole Gateway (instead of one HTTPRoute) applies a per-route bucket to every API behind it: 429s with
    the RL response flag.

    At 11:20 the edge team applied BackendTrafficPolicy edge/gateway-defaults to protect a login route from
    credential stuffing; its targetRef is Gateway edge/public and its local limit is 100 requests per
    minute. Every route of the Gateway shares the limit; accounts/profile-api (mobile app) gets mostly 429
    from Envoy while its pods are idle. The red herring is accounts/avatar-resizer's rollout.
    """
    inc = start(profile_api_throttled, "profile-api requests failing for mobile clients", AT6, 2506,
                namespaces=("accounts", "edge", "envoy-gateway-system"))
    chg = AT6 - timedelta(minutes=25)
    crd(inc, "Gateway", "gateway.networking.k8s.io", "gateways")
    inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": "public", "namespace": "edge"},
             "spec": {"gatewayClassName": "envoy", "listeners": [
                 {"name": "https", "port": 443, "protocol": "HTTPS", "allowedRoutes": {"namespaces": {"from": "All"}},
                  "tls": {"certificateRefs": [{"name": "public-tls"}]}}]}})
    custom(inc, "BackendTrafficPolicy", "gateway.envoyproxy.io", "backendtrafficpolicies", "edge",
           "gateway-defaults",
           {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public"}],
            "rateLimit": {"type": "Local", "local": {"rules": [{"limit": {"requests": 100, "unit": "Minute"}}]}}},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:rateLimit": {}, "f:targetRefs": {}}},
           version="v1alpha1")

    def envoy(pod: str) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(AT6 - timedelta(minutes=45), inc.captured, 3)):
            limited = t >= chg and i % 5 != 0
            out.append((t, L.envoy(t, "GET", f"/v1/profile/{7000 + i % 300}", 429 if limited else 200,
                                   "RL" if limited else "-", "-" if limited else "10.244.3.41:8080",
                                   0 if limited else 23, "api.example.app", L.uuidish(pod, i),
                                   "local_rate_limited" if limited else "via_upstream")))
        return out
    app(inc, "envoy-gateway-system", "envoy-edge-public-7c1f9a2b", "docker.io/envoyproxy/envoy:distroless-v1.32.1",
        2, log=within(lambda pod, s, e: envoy(pod)))
    victim(inc, "accounts", "profile-api", lambda pod, s, e: ticks(s, e, 60, lambda i, t: L.js(
        t, "info", "request served", path="/v1/profile", status=200, duration_ms=18 + i % 9)))
    herring(inc, "accounts", "avatar-resizer", f"{REGISTRY}/accounts/avatar-resizer", "1.4.0",
            AT6 - timedelta(minutes=15))
    plant(inc, "accounts", "profile-api-jwt", "jwt", "profile-api", "signing-key")
    inc.series("envoy_http_local_rate_limit_rate_limited", "counter", "Requests rate limited.",
               {"namespace": "envoy-gateway-system", "job": "envoy",
                "envoy_local_http_ratelimit_prefix": "http_local_rate_limiter"},
               counter(AT6 - timedelta(hours=2), 0, 34, chg), 30)
    http(inc, "accounts", "profile-api", 42, 0, "500", chg)
    inc.alertmanager("ProfileApiTooManyRequests", {"namespace": "accounts", "service": "profile-api"},
                     "More than 50% of profile-api requests answered 429",
                     "The mobile app's profile calls to api.example.app/v1/profile get HTTP 429 (edge metrics).",
                     'sum(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="4"}[5m])) > 10')
    inc.answer_key(culprit=("BackendTrafficPolicy", "edge", "gateway-defaults"),
                   keywords=["rate limit", "targetRef", "429"],
                   root_cause="BackendTrafficPolicy gateway-defaults attaches a local rate limit of 100 requests per "
                   "minute through its targetRef to the whole Gateway public instead of one route: Envoy answers "
                   "429 for every route, profile-api included.",
                   category="gateway-wide-local-rate-limit-throttles-all-routes",
                   red_herrings=[("Deployment", "accounts", "avatar-resizer")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 15, 10, tzinfo=UTC)


def partner_portal_errors_burn() -> Incident:
    """backend-tls-root-bundle-missing-intermediate: the proxy's backend CA bundle cannot verify the chain.

    after: reverse-proxy backend-TLS incidents (Traefik ServersTransport, Envoy upstream validation) in which
    a CA bundle rotation ships only the new root while the backends present a leaf without its
    intermediate: "x509: certificate signed by unknown authority" and 500s at the proxy.

    At 14:40 ServersTransport partners/portal-backend-tls was switched from Secret internal-ca-bundle
    (root and intermediate) to internal-ca-2026 (the new root only). The partner-portal pods serve a leaf
    issued by the intermediate and do not send the chain; Traefik fails every backend handshake and answers
    500. The red herring is a rollout of partners/partner-docs.
    """
    inc = start(partner_portal_errors_burn, "partner-portal error budget burn", AT7, 2507,
                namespaces=("partners", "traefik"))
    chg = AT7 - timedelta(minutes=30)
    custom(inc, "ServersTransport", "traefik.io", "serverstransports", "partners", "portal-backend-tls",
           {"serverName": "partner-portal.partners.svc", "rootCAs": [{"secret": "internal-ca-2026"}]},
           "kubectl-edit", chg, {"f:spec": {"f:rootCAs": {}}}, version="v1alpha1")
    inc.secret("partners", "internal-ca-2026", {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB...root-2026\n"
                                                          "-----END CERTIFICATE-----\n"})
    inc.secret("partners", "internal-ca-bundle", {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB...root-2024\n"
                                                            "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n"
                                                            "MIIB...issuing-ca-2\n-----END CERTIFICATE-----\n"})

    def traefik(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg:
                return (f'198.51.100.{20 + i % 50} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET /orders '
                        f'HTTP/2.0" 200 4411 "-" "-" {i} "partners-portal-partners-portal-example-com@kubernetescrd" '
                        '"https://10.244.1.52:8443" 38ms')
            return (f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=debug msg="\'500 Internal Server Error\' '
                    'caused by: tls: failed to verify certificate: x509: certificate signed by unknown authority '
                    '(possibly because of \\"x509: ECDSA verification failure\\" while trying to verify candidate '
                    'authority certificate \\"Acme Internal Issuing CA 2\\")"')
        return ticks(s, e, 6, line)
    app(inc, "traefik", "traefik", "docker.io/library/traefik:v2.11.14", 2, log=within(traefik))
    victim(inc, "partners", "partner-portal", lambda pod, s, e: ticks(s, e, 120, lambda i, t: L.pylog(
        t, "INFO", "portal.health", "health check ok")))
    herring(inc, "partners", "partner-docs", f"{REGISTRY}/partners/partner-docs", "5.0.3",
            AT7 - timedelta(minutes=12))
    plant(inc, "partners", "partner-portal-oauth", "token", "oauth", "client-secret")
    http(inc, "partners", "partner-portal", 25, 24, "500", chg)
    inc.slo_burn("partner-portal", "partners", "partner-portal-availability", "0.995", 38.0,
                 "partner-portal is failing 49% of requests at the edge (5xx) over the last hour.")
    inc.answer_key(culprit=("ServersTransport", "partners", "portal-backend-tls"),
                   keywords=["rootCAs", "intermediate", "x509"],
                   root_cause="ServersTransport portal-backend-tls's rootCAs now name Secret internal-ca-2026, the "
                   "new root alone; the backend's certificate is issued by an intermediate that the bundle no "
                   "longer contains, so Traefik fails x509 verification and answers 500.",
                   category="backend-tls-root-bundle-missing-intermediate",
                   red_herrings=[("Deployment", "partners", "partner-docs")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def sale_site_not_resolving() -> Incident:
    """dns-controller-registry-prefix-change-conflicting-batch: a TXT registry prefix change makes every batch fail.

    after: external-dns incidents after a change of `--txt-prefix`: existing records lose their ownership
    TXT, the controller plans creates for records that already exist and Route 53 rejects the whole change
    batch (InvalidChangeBatch), so new hostnames are never published.

    At 08:50 the external-dns chart upgrade (Deployment external-dns/external-dns revision 2) added
    `--txt-prefix=cname-`. marketing's new Ingress spring-sale (created 08:55) never gets its record: every
    batch also tries to create the existing records again and fails. The red herring is the rollout of
    marketing/landing-cms at 09:10.
    """
    inc = start(sale_site_not_resolving, "spring-sale site not resolving", AT8, 2508,
                namespaces=("marketing", "external-dns"))
    chg = AT8 - timedelta(minutes=40)
    image = "registry.k8s.io/external-dns/external-dns:v0.15.0"
    args = ["--source=ingress", "--source=service", "--provider=aws", "--registry=txt",
            "--txt-owner-id=prod-eu-west-1", "--domain-filter=example.shop", "--policy=upsert-only"]

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            return L.logfmt(t, "error", "Failure in zone example.shop. [Id: /hostedzone/Z04718272KQ9X1EXAMPLE] when "
                            "submitting change batch: InvalidChangeBatch: [Tried to create resource record set "
                            "[name='www.example.shop.', type='CNAME'] but it already exists, Tried to create "
                            "resource record set [name='cname-www.example.shop.', type='TXT'] but it already "
                            "exists] status code: 400")
        return ticks(s + timedelta(seconds=30), e, 60, line)
    revs = [Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c("external-dns", image, port=7979)],
                container={"args": args}),
            Rev(2, chg, "helm upgrade", [c("external-dns", image, port=7979)],
                container={"args": [*args, "--txt-prefix=cname-"]})]
    inc.deployment("external-dns", "external-dns", revs, {2: [P(log=within(log))]})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "spring-sale", "namespace": "marketing",
                          "creationTimestamp": ts(chg + timedelta(minutes=5))},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "spring-sale.example.shop", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": "sale-web", "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [
                 {"hostname": "k8s-ingressn-ingressn-3f9a1c7e2b-5d0e8a4c1f7b2e93.elb.eu-west-1.amazonaws.com"}]}}})
    victim(inc, "marketing", "sale-web", lambda pod, s, e: ticks(s, e, 300, lambda i, t: L.js(
        t, "info", "warmup complete", pages=42)), replicas=2)
    inc.service("marketing", "sale-web", {"app": "sale-web"})
    herring(inc, "marketing", "landing-cms", f"{REGISTRY}/marketing/landing-cms", "8.2.0", AT8 - timedelta(minutes=20))
    plant(inc, "external-dns", "external-dns-aws", "aws-secret", "route53", "aws_secret_access_key")
    inc.series("external_dns_controller_last_sync_timestamp_seconds", "gauge",
               "Timestamp of last successful sync with the DNS provider",
               {"namespace": "external-dns", "job": "external-dns"},
               lambda t: min(t, chg).timestamp() // 60 * 60, 30)
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox", "instance": "https://spring-sale.example.shop/"}, step(0, 0, chg), 30)
    inc.alertmanager("BlackboxProbeFailed", {"job": "blackbox", "instance": "https://spring-sale.example.shop/"},
                     "Probe failed for https://spring-sale.example.shop/",
                     "probe_success is 0: lookup spring-sale.example.shop: no such host (NXDOMAIN) since launch.",
                     'probe_success{job="blackbox"} == 0', severity="critical")
    inc.answer_key(culprit=("Deployment", "external-dns", "external-dns"),
                   keywords=["txt-prefix", "InvalidChangeBatch", "ownership"],
                   root_cause="external-dns revision 2 added --txt-prefix=cname-: existing records lose their TXT "
                   "ownership records, every change batch tries to create records that already exist and Route 53 "
                   "rejects it with InvalidChangeBatch, so spring-sale.example.shop is never created.",
                   category="dns-controller-registry-prefix-change-conflicting-batch",
                   red_herrings=[("Deployment", "marketing", "landing-cms")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)


def checkout_forbidden_rate_high() -> Incident:
    """waf-switched-from-detection-to-blocking: an Ingress's WAF rule engine turned On blocks real checkouts.

    after: OWASP CRS / ModSecurity rollouts in which `SecRuleEngine DetectionOnly` is switched to `On`
    without tuning: legitimate JSON bodies exceed the inbound anomaly score and get 403.

    At 12:35 Ingress shop/checkout's modsecurity-snippet was changed from `SecRuleEngine DetectionOnly`
    to `SecRuleEngine On`. Checkout submits (JSON with addresses and free-text notes) trigger CRS rules
    942100/932115 and are denied by rule 949110. The red herring is shop/recommend-widget's rollout.
    """
    inc = start(checkout_forbidden_rate_high, "checkout HTTP 403 rate high", AT9, 2509)
    chg = AT9 - timedelta(minutes=25)
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "checkout", "namespace": "shop", "annotations": {
                       "nginx.ingress.kubernetes.io/enable-modsecurity": "true",
                       "nginx.ingress.kubernetes.io/enable-owasp-core-rules": "true",
                       "nginx.ingress.kubernetes.io/modsecurity-snippet":
                           "SecRuleEngine On\nSecRequestBodyAccess On\nSecAuditEngine RelevantOnly\n"}},
                   "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
                       {"path": "/api/checkout", "pathType": "Prefix",
                        "backend": {"service": {"name": "checkout", "port": {"number": 80}}}}]}}]}})
    changed(ing, ("kubectl-edit", "Update", chg, {"f:metadata": {"f:annotations": {
        "f:nginx.ingress.kubernetes.io/modsecurity-snippet": {}}}}))

    def nginx(pod: str) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(AT9 - timedelta(minutes=40), inc.captured, 11)):
            ip = f"198.51.100.{5 + i % 90}"
            blocked = t >= chg and i % 3 != 0
            if blocked:
                out.append((t, L.nginx_error(t, f'[client {ip}] ModSecurity: Access denied with code 403 (phase 2). '
                            "Matched \"Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: "
                            "`10' ) [file \"/etc/nginx/owasp-modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION."
                            'conf"] [line "80"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded (Total '
                            'Score: 10)"] [data ""] [severity "2"] [ver "OWASP_CRS/3.3.5"] [maturity "0"] '
                            '[accuracy "0"] [tag "application-multi"] [tag "anomaly-evaluation"] [hostname '
                            f'"10.244.1.17"] [uri "/api/checkout/submit"] [unique_id "{L.uuidish(pod, i)[:24]}"] '
                            f'[ref ""], client: {ip}, server: shop.example.com, request: "POST /api/checkout/submit '
                            'HTTP/1.1", host: "shop.example.com"', conn=2000 + i)))
                out.append((t, L.nginx_access(t, ip, "POST /api/checkout/submit", 403, 146, "", "", 0.004)))
            else:
                out.append((t, L.nginx_access(t, ip, "POST /api/checkout/submit", 200, 612, "shop-checkout-80",
                                              "200", 0.183)))
        return out
    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", nginx)
    herring(inc, "shop", "recommend-widget", f"{REGISTRY}/shop/recommend-widget", "0.6.0", AT9 - timedelta(minutes=10))
    plant(inc, "shop", "checkout-psp", "stripe", "checkout", "STRIPE_KEY")
    inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
               {"namespace": "ingress-nginx", "job": "ingress-nginx-controller", "exported_namespace": "shop",
                "ingress": "checkout", "status": "403", "host": "shop.example.com"},
               counter(AT9 - timedelta(hours=2), 0.0, 3.1, chg), 30)
    inc.alertmanager("IngressHigh4xxRate", {"namespace": "shop", "ingress": "checkout", "status": "403"},
                     "Ingress shop/checkout answers 403 to 66% of requests",
                     "nginx_ingress_controller_requests{ingress=\"checkout\",status=\"403\"} rose from 0 to 3/s.",
                     'sum(rate(nginx_ingress_controller_requests{ingress="checkout",status="403"}[5m])) / '
                     'sum(rate(nginx_ingress_controller_requests{ingress="checkout"}[5m])) > 0.1')
    inc.answer_key(culprit=("Ingress", "shop", "checkout"), keywords=["ModSecurity", "SecRuleEngine", "anomaly score"],
                   root_cause="The Ingress's modsecurity-snippet switched SecRuleEngine from DetectionOnly to On: "
                   "ModSecurity with the OWASP CRS now blocks checkout submits whose inbound anomaly score exceeds "
                   "the threshold (rule 949110) with 403.", category="waf-switched-from-detection-to-blocking",
                   red_herrings=[("Deployment", "shop", "recommend-widget")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 17, 20, tzinfo=UTC)


def card_charges_rejected() -> Incident:
    """egress-gateway-moved-to-unlisted-nat-ip: payment egress leaves through a gateway the PSP does not allowlist.

    after: egress-gateway / NAT changes (Cilium egress gateway, cloud NAT re-creation) after which a partner
    that allowlists source IPs rejects the traffic: 403 "IP not allowed" from the provider.

    At 16:55 the cluster-scoped CiliumEgressGatewayPolicy payments-egress was moved from the nat-a gateway
    nodes (egress IP 52.49.17.200, allowlisted at the PSP) to the new nat-b pool (52.49.17.201, not
    allowlisted). Every charge from namespace payments is refused with 403 ip_not_allowed. The red herring
    is a rollout of payments/payouts-scheduler.
    """
    inc = start(card_charges_rejected, "card charges rejected by PSP", AT10, 2510)
    chg = AT10 - timedelta(minutes=25)
    swap_cni(inc, "cilium", "quay.io/cilium/cilium:v1.16.3")
    custom(inc, "CiliumEgressGatewayPolicy", "cilium.io", "ciliumegressgatewaypolicies", "", "payments-egress",
           {"selectors": [{"podSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "payments"}}}],
            "destinationCIDRs": ["0.0.0.0/0"], "excludedCIDRs": ["10.0.0.0/8", "172.20.0.0/16"],
            "egressGateway": {"nodeSelector": {"matchLabels": {"egress-gateway": "nat-b"}},
                              "egressIP": "52.49.17.201"}},
           "terraform-provider-kubernetes", chg, {"f:spec": {"f:egressGateway": {}}}, scope="Cluster", version="v2")

    def log(pod: str) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg:
                return L.js(t, "info", "charge captured", psp="gateway.psp.example.com", status=201,
                            amount_cents=1200 + i, duration_ms=240 + i % 50)
            return L.js(t, "error", "charge failed", psp="gateway.psp.example.com", status=403,
                        body='{"error":"ip_not_allowed","message":"Requests from 52.49.17.201 are not permitted '
                        'for this account"}', attempt=1 + i % 3)
        return ticks(AT10 - timedelta(minutes=50), inc.captured, 8, line)
    set_logs(inc, "payments", "payments", log)
    herring(inc, "payments", "payouts-scheduler", f"{REGISTRY}/payments/payouts-scheduler", "2.9.1",
            AT10 - timedelta(minutes=14))
    plant(inc, "payments", "psp-live-keys", "stripe", "psp-live", "secret-key")
    http(inc, "payments", "payments", 18, 11, "502", chg)
    inc.alertmanager("PaymentsChargeFailuresHigh", {"namespace": "payments", "service": "payments"},
                     "Card charges failing: PSP returns 403",
                     "payments cannot capture charges; the PSP rejects requests with HTTP 403 since 16:56.",
                     'sum(rate(http_requests_total{namespace="payments",service="payments",code=~"5.."}[5m])) > 1',
                     severity="critical")
    inc.answer_key(culprit=("CiliumEgressGatewayPolicy", "", "payments-egress"),
                   keywords=["egress gateway", "allowlist", "source IP"],
                   root_cause="The CiliumEgressGatewayPolicy payments-egress now sends the namespace's traffic "
                   "through the nat-b egress gateway with source IP 52.49.17.201, which is not on the PSP's "
                   "allowlist: every charge is refused with 403 ip_not_allowed.",
                   category="egress-gateway-moved-to-unlisted-nat-ip",
                   red_herrings=[("Deployment", "payments", "payouts-scheduler")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 6, 50, tzinfo=UTC)


def node_outbound_unreachable_question() -> Incident:
    """ip-pool-without-outgoing-nat-on-new-nodes: pods of a new address pool reach nothing outside the cluster.

    after: Calico IPPool mistakes (`natOutgoing: false` on a pool whose addresses the VPC does not route)
    that leave pods on some nodes able to talk in-cluster but time out to every external address.

    At 05:10 a new Calico IPPool pool-b (10.250.0.0/16, natOutgoing false, nodeSelector pool == 'batch')
    was created for the nodes a new NodePool labels `pool=batch`; one node has joined it. Pods scheduled
    there get pool-b addresses, which leave the node un-NATed and never come back: the newsletter-sender
    pod on it times out calling its mail API, pods elsewhere are fine. The red herring is marketing's
    campaign-api rollout.
    """
    inc = start(node_outbound_unreachable_question, "pods on one node time out to the internet", AT11, 2511,
                namespaces=("marketing",))
    chg = AT11 - timedelta(minutes=100)
    swap_cni(inc, "calico-node", "docker.io/calico/node:v3.28.2")
    target = node(inc, 3)
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] == target:
            n["metadata"]["labels"]["pool"] = "batch"
    custom(inc, "IPPool", "crd.projectcalico.org", "ippools", "", "pool-b",
           {"cidr": "10.250.0.0/16", "blockSize": 26, "ipipMode": "Never", "vxlanMode": "Never",
            "natOutgoing": False, "nodeSelector": "pool == 'batch'", "allowedUses": ["Workload", "Tunnel"]},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:cidr": {}, "f:natOutgoing": {}, "f:nodeSelector": {}}},
           scope="Cluster")
    inc.add({"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
             "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "ipipMode": "Never", "vxlanMode": "CrossSubnet",
                      "natOutgoing": True, "nodeSelector": "all()"}})

    def mailer(pod: str, s: datetime, e: datetime) -> Lines:
        return ticks(s, e, 45, lambda i, t: L.pylog(
            t, "ERROR", "newsletter.send",
            "requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.mailer.example.net', port=443): Max "
            "retries exceeded with url: /v3/messages (Caused by ConnectTimeoutError(<urllib3.connection."
            "HTTPSConnection object at 0x7f3a2c1e5d90>, 'Connection to api.mailer.example.net timed out. "
            "(connect timeout=10)'))"))
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("newsletter-sender", f"{REGISTRY}/marketing/newsletter-sender:1.12.0")])
    wl = inc.deployment("marketing", "newsletter-sender", [rev],
                        {1: [P(log=within(mailer), node=target, created=chg + timedelta(minutes=30))]})
    inc.cluster.patch("marketing", wl.pods[0].name, lambda pod: pod["metadata"].setdefault("annotations", {}).update(
        {"cni.projectcalico.org/ipv4pools": '["pool-b"]', "cni.projectcalico.org/podIP": "10.250.3.14/32"}))
    inc.cluster.patch("marketing", wl.pods[0].name, lambda pod: pod["status"].update(
        {"podIP": "10.250.3.14", "podIPs": [{"ip": "10.250.3.14"}]}))
    herring(inc, "marketing", "campaign-api", f"{REGISTRY}/marketing/campaign-api", "3.3.0",
            AT11 - timedelta(minutes=30))
    plant(inc, "marketing", "mailer-api", "token", "mailer", "MAILER_API_KEY")
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox-node", "instance": target, "target": "https://www.google.com"},
               step(1, 0, chg + timedelta(minutes=30)), 30)
    inc.ask(f"pods on {target} can't reach anything outside the cluster, other nodes are fine. what changed?")
    inc.answer_key(culprit=("IPPool", "", "pool-b"), keywords=["natOutgoing", "IPPool", "SNAT"],
                   root_cause="The new Calico IPPool pool-b (10.250.0.0/16) has natOutgoing false and selects the "
                   "batch nodes: pods there get addresses the VPC does not route and their traffic to the "
                   "internet leaves without SNAT, so it never returns.",
                   category="ip-pool-without-outgoing-nat-on-new-nodes",
                   red_herrings=[("Deployment", "marketing", "campaign-api")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)


def report_downloads_failing() -> Incident:
    """route-request-timeout-below-backend-latency: an HTTPRoute's request timeout cut below the reports' runtime.

    after: Gateway API `timeouts.request` (and ingress proxy timeouts) set from a generic template:
    long-running endpoints get 504 "upstream request timeout" from Envoy (response flag UT).

    At 09:15 an Argo CD sync of the reports chart added `timeouts: {request: 2s}` to HTTPRoute
    reports/report-api. Monthly reports take 3 to 9 s to render: Envoy (Contour) answers 504 UT while
    the backend keeps working and logs the finished reports. The red herring is reports/pdf-fonts-sync.
    """
    inc = start(report_downloads_failing, "report downloads failing", AT12, 2512,
                namespaces=("reports", "projectcontour"))
    chg = AT12 - timedelta(minutes=25)
    custom(inc, "HTTPRoute", "gateway.networking.k8s.io", "httproutes", "reports", "report-api",
           {"parentRefs": [{"name": "contour", "namespace": "projectcontour"}],
            "hostnames": ["reports.example.com"],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                       "backendRefs": [{"name": "report-api", "port": 80}],
                       "timeouts": {"request": "2s"}}]},
           "argocd-controller", chg, {"f:spec": {"f:rules": {}}})

    def backend(pod: str, s: datetime, e: datetime) -> Lines:
        return ticks(s, e, 20, lambda i, t: L.js(t, "info", "report rendered", report=f"monthly-{i % 40}",
                                                 duration_ms=3100 + (i * 373) % 5800, status=200))
    victim(inc, "reports", "report-api", backend, replicas=2)

    def envoy(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            cut = t >= chg
            return L.envoy(t, "GET", f"/v1/reports/monthly-{i % 40}.pdf", 504 if cut else 200,
                           "UT" if cut else "-", "10.244.2.33:8080", 2000 if cut else 3100 + (i * 373) % 5800,
                           "reports.example.com", L.uuidish(pod, i),
                           "response_timeout" if cut else "via_upstream")
        return ticks(s, e, 10, line)
    app(inc, "projectcontour", "envoy", "docker.io/envoyproxy/envoy:v1.31.3", 2, log=within(envoy))
    herring(inc, "reports", "pdf-fonts-sync", f"{REGISTRY}/reports/pdf-fonts-sync", "1.0.4",
            AT12 - timedelta(minutes=12))
    plant(inc, "reports", "report-api-s3", "aws", "reports-bucket", "AWS_ACCESS_KEY_ID")
    http(inc, "reports", "report-api", 2, 0, "500", chg)
    inc.series("envoy_cluster_upstream_rq_timeout", "counter", "Total requests that timed out waiting for a response",
               {"namespace": "projectcontour", "job": "envoy", "envoy_cluster_name": "reports/report-api/80"},
               counter(AT12 - timedelta(hours=2), 0, 1.8, chg), 30)
    inc.alertmanager("HTTPRouteHigh5xxRate", {"namespace": "reports", "httproute": "report-api"},
                     "HTTPRoute reports/report-api: 90% of requests answered 504",
                     "Envoy answers 504 for reports.example.com downloads.",
                     'sum(rate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"reports/report-api/.*",'
                     'envoy_response_code_class="5"}[5m])) > 0.5')
    inc.answer_key(culprit=("HTTPRoute", "reports", "report-api"), keywords=["timeouts", "2s", "upstream"],
                   root_cause="The Argo CD sync added timeouts.request 2s to HTTPRoute report-api; reports take 3 to "
                   "9 s, so Envoy gives up on the upstream and answers 504 (UT, upstream request timeout).",
                   category="route-request-timeout-below-backend-latency",
                   red_herrings=[("Deployment", "reports", "pdf-fonts-sync")])
    return inc


ALL = [name_lookups_failing_grouped, orders_db_timeouts_page, carrier_rates_question, checkout_latency_one_second,
       storefront_bad_requests_page, profile_api_throttled, partner_portal_errors_burn, sale_site_not_resolving,
       checkout_forbidden_rate_high, card_charges_rejected, node_outbound_unreachable_question,
       report_downloads_failing]
