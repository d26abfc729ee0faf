"""Resolving the subject from what an alert carries: a URL's host, a scrape target's IP, an exporter's value.

The objects are Kubernetes' own shapes (networking.k8s.io/v1 Ingress, gateway.networking.k8s.io/v1 HTTPRoute,
v1 Service, Strimzi KafkaTopic, RabbitMQ messaging-topology Queue); the proxy log lines are ingress-nginx's,
Envoy's and Traefik's default formats. `resolve` is driven by a stand-in for the tool hub that answers
`k8s_list` and `k8s_get` from a list of such objects the way the Kubernetes tools do (rows with name and
namespace; a field selector on `status.podIP`; `-o yaml` as text); the matching itself is pure and tested
directly. Every shape has a negative twin: a value nothing in the cluster serves resolves to nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import yaml

from agent.incident import extract_labels
from agent.toolhub import ToolOutcome
from agent.triage import subject_of, subject_resolve
from agent.triage.facts import Facts, Ref
from agent.triage.rollout_budget import allowed, budgets
from agent.triage.subject import Subject
from agent.triage.subject_resolve import (
    RESOLVED_KIND,
    external_names,
    finding,
    host_matches,
    objects_named,
    resolve,
    served_by_routes,
    service_host,
    tried,
    upstreams_in_logs,
    written,
)
from agent.triage.subject_values import addresses, phrases
from tests.triage.test_rank import AT, alert


def ingress(ns: str, name: str, host: str, service: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": service, "port": {"number": 80}}}}]}}]}}


def route(ns: str, name: str, hostnames: list[str], backend: str, backend_ns: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": backend, "port": 8080}
    if backend_ns:
        ref["namespace"] = backend_ns
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": name,
                                                                                           "namespace": ns},
            "spec": {"parentRefs": [{"name": "public", "namespace": "infra"}], "hostnames": hostnames,
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [ref]}]}}


def service(ns: str, name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}}


def kafka_topic(name: str, topic_name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"partitions": 12, "replicas": 3, "config": {"retention.ms": "604800000"}}
    if topic_name:
        spec["topicName"] = topic_name
    return {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
            "metadata": {"name": name, "namespace": "kafka", "labels": {"strimzi.io/cluster": "events"}},
            "spec": spec}


def rabbit_queue(name: str, queue: str) -> dict[str, Any]:
    return {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Queue", "metadata": {"name": name, "namespace": "mq"},
            "spec": {"name": queue, "vhost": "/billing", "durable": True, "rabbitmqClusterReference": {
                "name": "rabbit"}, "arguments": {"x-max-length": 10000}}}


def pod(ns: str, name: str, ip: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]},
            "status": {"phase": "Running", "podIP": ip}}


# ---- pure matching -----------------------------------------------------------------------------------------

def test_a_host_is_the_backend_of_the_ingress_rule_or_route_serving_it() -> None:
    routes = [ingress("shop", "storefront", "shop.example.com", "web"),
              ingress("docs", "docs", "*.docs.example.com", "docs-site"),
              route("edge", "pay", ["pay.example.org"], "pay-api", "payments")]
    [by_ingress] = served_by_routes("shop.example.com", routes)
    assert by_ingress.ref == Ref("Service", "shop", "web") and by_ingress.rank == 0
    [by_route] = served_by_routes("pay.example.org", routes)
    assert by_route.ref == Ref("Service", "payments", "pay-api") and "HTTPRoute edge/pay" in by_route.how
    [wild] = served_by_routes("v2.docs.example.com", routes)
    assert wild.ref == Ref("Service", "docs", "docs-site") and wild.rank == 1
    assert served_by_routes("blog.example.com", routes) == []  # nothing serves it: no guess
    assert not host_matches("*.docs.example.com", "a.b.docs.example.com") and host_matches("x.com.", "x.com")


def test_in_cluster_names_and_external_names_are_their_service() -> None:
    namespaces = {"payments", "shop"}
    for host in ("ledger.payments", "ledger.payments.svc", "ledger.payments.svc.cluster.local"):
        assert service_host(host, namespaces) == Ref("Service", "payments", "ledger"), host
    assert service_host("ledger.finance.svc.cluster.local", namespaces) is None  # no such namespace
    assert service_host("www.example.com", namespaces) is None
    aliases = [service("shop", "psp", type="ExternalName", externalName="api.psp.example.net"),
               service("shop", "web")]
    [alias] = external_names("api.psp.example.net", aliases)
    assert alias.ref == Ref("Service", "shop", "psp")
    assert external_names("api.other.example.net", aliases) == []


def test_a_proxy_log_naming_the_host_names_the_upstream_service() -> None:
    services = {"catalogue": {"product-pages"}, "shop": {"web"}, "ingress-nginx": {"ingress-nginx-controller"}}
    nginx = ('2026/11/25 10:30:18 [error] 31#31: *9047 no live upstreams while connecting to upstream, client: '
             '203.0.113.79, server: www.shop.example, request: "GET /p/1 HTTP/1.1", upstream: '
             '"http://catalogue-product-pages-80/p/1", host: "www.shop.example"')
    folded = nginx.replace("-80/", "-#/")  # the log tool folds repeated lines' numbers
    envoy = ('[2026-11-25T10:30:18.000Z] "GET /cart HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" '
             '"a1" "shop.example.com" "-" outbound|80||web.shop.svc.cluster.local - 10.244.0.7:8080 - -')
    traefik = ('{"ClientHost":"203.0.113.5","DownstreamStatus":502,"RequestHost":"shop.example.com",'
               '"RequestMethod":"GET","RequestPath":"/","RouterName":"shop-storefront-shop-example-com@kubernetes",'
               '"ServiceName":"shop-web-80@kubernetes","ServiceURL":"http://10.244.1.9:80"}')
    for text in (nginx, folded):
        assert [r for r, _ in upstreams_in_logs("www.shop.example", text, services)] == [
            Ref("Service", "catalogue", "product-pages")]
    assert [r for r, _ in upstreams_in_logs("shop.example.com", envoy, services)] == [Ref("Service", "shop", "web")]
    assert [r for r, _ in upstreams_in_logs("shop.example.com", traefik, services)] == [Ref("Service", "shop", "web")]
    assert upstreams_in_logs("blog.example.com", f"{nginx}\n{envoy}", services) == []  # lines of other hosts
    assert upstreams_in_logs("www.shop.example", nginx, {"catalogue": {"search"}}) == []  # no such Service


def test_a_value_names_a_custom_resource_by_name_or_by_its_broker_name() -> None:
    topics = [kafka_topic("ledger-events"), kafka_topic("orders-v2", topic_name="orders")]
    assert [m.ref.name for m in objects_named("ledger-events", topics, 1)] == ["ledger-events"]
    [by_field] = objects_named("orders", topics, 1)
    assert by_field.ref == Ref("KafkaTopic", "kafka", "orders-v2") and by_field.rank == 2
    [queue] = objects_named("invoice-jobs", [rabbit_queue("invoices", "invoice-jobs")], 1)
    assert queue.ref == Ref("Queue", "mq", "invoices")
    assert objects_named("payments", [*topics, rabbit_queue("invoices", "invoice-jobs")], 1) == []


def test_addresses_and_phrases_are_read_from_labels_and_words() -> None:
    assert addresses([{"instance": "10.244.1.30:8080", "job": "api"}, {"target": "http://10.0.0.5/metrics"},
                      {"instance": "https://www.acme.shop/p/1"}, {"instance": "999.1.1.1:80"}]) == [
        "10.244.1.30:8080", "10.0.0.5"]
    assert "ledger-events" in phrases("SettlementsWithoutLedgerEvents")
    assert "invoice-jobs" in phrases("", "Messages pile up in invoice jobs")
    subject = subject_of(alert(alertname="TargetDown", instance="10.244.1.30:8080", job="orders"))
    assert subject.addresses == ["10.244.1.30:8080"]


# ---- resolving through the tools ---------------------------------------------------------------------------

def _hub(objects: list[dict[str, Any]], logs: dict[str, str] | None = None) -> tuple[Any, list[tuple[str, dict]]]:
    """A stand-in for the tool hub answering as the Kubernetes tools do, from `objects`."""
    asked: list[tuple[str, dict[str, Any]]] = []
    plural = {"ingresses": "Ingress", "httproutes": "HTTPRoute", "services": "Service", "pods": "Pod",
              "kafkatopics.kafka.strimzi.io": "KafkaTopic", "queues.rabbitmq.com": "Queue",
              "customresourcedefinitions": "CustomResourceDefinition"}
    crds = [{"kind": "CustomResourceDefinition", "metadata": {"name": p}} for p in plural if "." in p
            and any(o["kind"] == plural[p] for o in objects)]

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments))
        eid = f"E{len(asked)}"
        if tool == "k8s_list":
            kind = plural.get(arguments["kind"], arguments["kind"])
            items = crds if kind == "CustomResourceDefinition" else [o for o in objects if o["kind"] == kind]
            selector = arguments.get("field_selector", "")
            if selector.startswith("status.podIP="):
                items = [o for o in items if o["status"]["podIP"] == selector.split("=", 1)[1]]
            rows = [{"name": o["metadata"]["name"], "namespace": o["metadata"].get("namespace", ""),
                     "images": [c["image"] for c in o.get("spec", {}).get("containers", [])]} for o in items]
            return ToolOutcome(eid, tool, arguments, True, "", data={"rows": rows})
        if tool == "k8s_get":
            kind = plural.get(arguments["kind"], arguments["kind"])
            found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == arguments["name"]
                     and o["metadata"].get("namespace", "") == arguments["namespace"]]
            text = yaml.safe_dump(found[0]) if found else "not found"
            return ToolOutcome(eid, tool, arguments, bool(found), text, full_text=text)
        if tool == "k8s_logs":
            text = (logs or {}).get(arguments["name"], "")
            return ToolOutcome(eid, tool, arguments, bool(text), text, full_text=text)
        return ToolOutcome(eid, tool, arguments, False, "no such tool")

    return call, asked


def _subject(**labels: str) -> Subject:
    return subject_of(alert(**labels))


def test_resolve_follows_a_probe_url_to_the_service_and_an_address_to_its_pod() -> None:
    cluster = [ingress("shop", "storefront", "shop.example.com", "web"), service("shop", "web"),
               route("edge", "pay", ["pay.example.org"], "pay-api", "payments"), service("payments", "pay-api"),
               pod("orders", "orders-api-7d9c5b6f8-x2k4q", "10.244.1.30")]
    call, _ = _hub(cluster)
    for url, want in (("https://shop.example.com/cart", Ref("Service", "shop", "web")),
                      ("https://pay.example.org/health", Ref("Service", "payments", "pay-api"))):
        result = asyncio.run(resolve(_subject(alertname="BlackboxProbeFailed", instance=url, job="blackbox"), call))
        assert result.best()[0].ref == want, url
    result = asyncio.run(resolve(_subject(alertname="TargetDown", instance="10.244.1.30:9090"), call))
    assert [m.ref for m in result.matches] == [Ref("Pod", "orders", "orders-api-7d9c5b6f8-x2k4q")]
    nothing = asyncio.run(resolve(_subject(alertname="BlackboxProbeFailed", instance="https://blog.example.com/",
                                           job="blackbox"), call))
    assert not [m for m in nothing.matches if m.ref.kind in ("Service", "Pod")]
    assert "host blog.example.com" in nothing.tried
    missing = asyncio.run(resolve(_subject(alertname="TargetDown", instance="10.244.9.9:9090"), call))
    assert not [m for m in missing.matches if m.ref.kind == "Pod"]


def test_resolve_falls_back_to_an_external_name_then_to_the_proxys_own_log() -> None:
    controller = pod("ingress-nginx", "ingress-nginx-controller-7d9c5b6f8-x2k4q", "10.244.0.9")
    controller["spec"]["containers"][0]["image"] = "registry.k8s.io/ingress-nginx/controller:v1.11.2"
    line = ('2026/11/25 10:30:18 [error] 31#31: *9047 no live upstreams while connecting to upstream, client: '
            '203.0.113.79, server: www.acme.shop, request: "GET /p/1 HTTP/1.1", upstream: '
            '"http://catalogue-product-pages-80/p/1", host: "www.acme.shop"')
    cluster = [service("shop", "psp-gateway", type="ExternalName", externalName="pay.psp.example.net"),
               service("catalogue", "product-pages"), controller]
    call, asked = _hub(cluster, {controller["metadata"]["name"]: line})
    alias = asyncio.run(resolve(_subject(alertname="BlackboxProbeFailed", instance="https://pay.psp.example.net/"),
                                call))
    assert [m.ref for m in alias.best()][:1] == [Ref("Service", "shop", "psp-gateway")]
    proxied = asyncio.run(resolve(_subject(alertname="BlackboxProbeFailed", instance="https://www.acme.shop/p/1"),
                                  call))
    assert [m.ref for m in proxied.best()][:1] == [Ref("Service", "catalogue", "product-pages")]
    assert ("k8s_logs", {"name": controller["metadata"]["name"], "namespace": "ingress-nginx",
                         "grep": "www.acme.shop"}) in asked
    other = asyncio.run(resolve(_subject(alertname="BlackboxProbeFailed", instance="https://blog.acme.shop/"), call))
    assert not [m for m in other.matches if m.ref.kind == "Service"]  # the proxy never served that host


def test_resolve_finds_the_topic_or_queue_an_exporter_names_and_nothing_for_other_values() -> None:
    cluster = [kafka_topic("ledger-events"), kafka_topic("orders-v2", topic_name="orders"),
               rabbit_queue("invoices", "invoice-jobs")]
    call, _ = _hub(cluster)
    cases = [({"alertname": "KafkaConsumerGroupLag", "namespace": "kafka", "consumergroup": "fulfilment",
               "topic": "orders"}, Ref("KafkaTopic", "kafka", "orders-v2")),
             ({"alertname": "SettlementsWithoutLedgerEvents"}, Ref("KafkaTopic", "kafka", "ledger-events")),
             ({"alertname": "RabbitMQQueueMessagesReady", "namespace": "mq", "queue": "invoice-jobs",
               "vhost": "/billing"}, Ref("Queue", "mq", "invoices"))]
    for labels, want in cases:
        result = asyncio.run(resolve(_subject(**labels), call))
        assert [m.ref for m in result.best()][:1] == [want], labels
    other = asyncio.run(resolve(_subject(alertname="KafkaConsumerGroupLag", consumergroup="billing",
                                         topic="payments"), call))
    assert other.matches == []


# ---- judging ---------------------------------------------------------------------------------------------

def _facts_with(match_ref: Ref, change_at: Any, value: str, how: str = "KafkaTopic kafka/ledger-events is named "
                "ledger-events") -> Facts:
    record = {"kind": RESOLVED_KIND, "tried": ["names ledger-events"], "matches": [
        {"object": {"kind": match_ref.kind, "namespace": match_ref.namespace, "name": match_ref.name},
         "value": value, "how": how, "rank": 3}]}
    history = {"changes": [{"at": change_at.isoformat().replace("+00:00", "Z"), "type": "other",
                            "object": {"kind": match_ref.kind, "namespace": match_ref.namespace,
                                       "name": match_ref.name},
                            "diff": ["spec.config.retention.ms = '3600000'"]}]}
    return Facts(at=AT, objects=[(record, "")], history=[(history, "E7")])


def test_a_write_to_the_resolved_resource_is_the_suspect_within_a_week_only() -> None:
    topic = Ref("KafkaTopic", "kafka", "ledger-events")
    [w] = written(_facts_with(topic, AT - timedelta(hours=14, minutes=20), "ledger-events"))
    f = finding(w, "change.related_object")
    assert w.evidence == ["E7"] and "retention.ms = '3600000'" in f["message"] and "14 h 20 min" in f["message"]
    assert written(_facts_with(topic, AT - timedelta(days=9), "ledger-events")) == []  # too long before
    assert written(_facts_with(Ref("Certificate", "shop", "web"), AT - timedelta(hours=1), "web")) == []  # scan's


def test_unknown_says_what_was_tried_only_when_nothing_resolved() -> None:
    empty = Facts(at=AT, objects=[({"kind": RESOLVED_KIND, "tried": ["host blog.example.com"], "matches": []}, "")])
    assert "host blog.example.com" in tried(empty)[0]
    assert tried(_facts_with(Ref("KafkaTopic", "kafka", "x"), AT, "x")) == []


# ---- a rollout strategy that keeps no pod ----------------------------------------------------------------

def _strategy_facts(unavailable: str, surge: str, pods: int) -> Facts:
    diff = [f"spec.strategy.rollingUpdate.maxSurge written by helm (now '{surge}')",
            f"spec.strategy.rollingUpdate.maxUnavailable written by helm (now '{unavailable}')"]
    change = {"at": (AT - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"), "type": "other",
              "object": {"kind": "Deployment", "namespace": "catalogue", "name": "product-pages"}, "diff": diff}
    topology = {"subject": {"kind": "Deployment", "namespace": "catalogue", "name": "product-pages"},
                "pods": [{"name": f"product-pages-7d9c5b6f8-x2k4{'bcdfghjk'[i]}", "phase": "Running"}
                         for i in range(pods)]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", topologies=[(topology, "E3")])


def test_a_strategy_that_lets_a_rollout_take_every_pod_is_the_suspect() -> None:
    for unavailable, surge, pods in (("100%", "0", 4), ("4", "0", 4), ("5", "0%", 3)):
        [b] = budgets(_strategy_facts(unavailable, surge, pods))
        assert b.target == Ref("Deployment", "catalogue", "product-pages") and b.max_unavailable == unavailable
    for unavailable, surge, pods in (("25%", "0", 4), ("100%", "25%", 4), ("1", "0", 3)):
        assert budgets(_strategy_facts(unavailable, surge, pods)) == [], (unavailable, surge, pods)
    assert allowed("25%", 3, False) == 0 and allowed("25%", 3, True) == 1


def test_the_consumer_an_exporter_names_for_the_topic_and_its_line_about_it() -> None:
    """kafka-exporter's series name the consumer group reading a topic; its pod's line naming the topic (a
    partition printed as `topic-N`) is quoted, a failure line before a routine one."""
    line_ok = "2026-11-28T08:40:06Z INFO [Consumer clientId=r-0, groupId=reconciler] Adding partitions: ledger-events-0"
    line_bad = ("2026-11-28T08:40:08Z INFO [Consumer clientId=r-0, groupId=reconciler] Fetch position "
                "FetchPosition{offset=1882210} is out of range for partition ledger-events-0, resetting offset")
    asked: list[tuple[str, dict[str, Any]]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments))
        if tool == "prom_query":
            samples = [{"labels": {"__name__": "kafka_consumergroup_lag", "consumergroup": "reconciler",
                                   "topic": "ledger-events", "partition": "3"}, "value": 0.0}]
            return ToolOutcome("E1", tool, arguments, True, "", data={"samples": samples})
        if tool == "k8s_topology" and arguments["name"] == "reconciler":
            return ToolOutcome("E2", tool, arguments, True, "", data={
                "subject": {"kind": "Deployment", "namespace": "finance", "name": "reconciler"},
                "pods": [{"name": "reconciler-7d9c5b6f8-x2k4q", "namespace": "finance", "phase": "Running"}]})
        if tool == "k8s_logs":
            text = f"logs of finance/reconciler-7d9c5b6f8-x2k4q\n{line_ok}\n{line_bad}\nsettlement 77120 has no event"
            return ToolOutcome("E3", tool, arguments, True, text, full_text=text)
        return ToolOutcome("E9", tool, arguments, False, "not found")

    [consumer] = asyncio.run(subject_resolve._consumers(Ref("KafkaTopic", "kafka", "ledger-events"), call, "now"))
    assert consumer["object"] == {"kind": "Deployment", "namespace": "finance", "name": "reconciler"}
    assert "out of range" in consumer["lines"][0] and len(consumer["lines"]) == 2
    facts = _facts_with(Ref("KafkaTopic", "kafka", "ledger-events"), AT - timedelta(hours=3), "ledger-events")
    facts.objects[0][0]["consumers"] = [consumer]
    [w] = written(facts)
    assert w.victims == [Ref("Deployment", "finance", "reconciler")] and "out of range" in finding(w, "c")["message"]
    [(_, query)] = [a for a in asked if a[0] == "prom_query"]
    assert 'topic="ledger-events"' in query["query"]
    [other] = asyncio.run(subject_resolve._consumers(Ref("KafkaTopic", "kafka", "payments"), call, "now"))
    assert other["lines"] == []  # its pod never names that topic: no line is quoted for it


def test_a_url_in_a_pagerduty_title_is_no_namespace() -> None:
    labels = extract_labels("[FIRING:1] BlackboxProbeFailed https://www.acme.shop/p/40001 (blackbox)")
    assert "namespace" not in labels and "pod" not in labels
    labels = extract_labels("[FIRING:1] KubePodCrashLooping payments/api-7d9c5b6f8-x2k4q (api)")
    assert labels["namespace"] == "payments" and labels["pod"] == "api-7d9c5b6f8-x2k4q"
