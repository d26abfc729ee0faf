"""Round 48 of the held-out incident set: contracts and protocols between services.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). The causes live where
one side of a contract changed and the other could not follow: a GraphQL field removed, an enum value a flag
switched on, a gateway plugin that wants Content-Length, an auth header past a server's limit, ALPN enforced by
a client library, a driver that now encrypts by default, mesh retries on a POST, a topic recompressed with a
codec a consumer lacks, an API version's route taken away, a paging default, SCRAM after a database upgrade and
an HTTP client's default timeout.
"""

from __future__ import annotations

import hashlib
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
    herring,
    node,
    plant,
    revision,
    rolled,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def phases(at: datetime, before: Tick, after: Tick, step_s: float = 20) -> Make:
    """Pod logs that tick with `before` until `at` and with `after` from then on."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, step_s, lambda i, t: before(i, t) if t < at else after(i, t))
    return make


def steady(tick: Tick, step_s: float = 20) -> Make:
    """Pod logs that tick the same way all along; each replica starts at its own offset and sequence number."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        digest = int(hashlib.sha256(pod.encode()).hexdigest()[:8], 16)
        off, shift = digest % max(1, int(step_s)), digest % 997
        return every(s + timedelta(seconds=off), e, step_s, lambda i, t: tick(i + shift, t))
    return make


def service(inc: Incident, ns: str, name: str, make: Make, replicas: int = 2, version: str = "",
            nodes: list[str] | None = None, **kw: Any) -> Any:
    """A Deployment running one revision for weeks; its trouble (if any) shows in logs and metrics."""
    rev = Rev(1, inc.born + timedelta(days=13), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:{version or f'4.{len(name) % 9}.2'}", **kw)])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A custom resource (with its CRD) created weeks ago by Argo CD and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 7}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def gauge(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "gauge", help_, labels, fn, 30)


def tally(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "counter", help_, labels, fn, 30)


def tmpl(name: str, image: str, args: list[str] | None = None, env: dict[str, str] | None = None,
         selector: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod template holding one container."""
    box: dict[str, Any] = {"name": name, "image": image}
    if args:
        box["args"] = args
    if env:
        box["env"] = [{"name": k, "value": v} for k, v in env.items()]
    spec: dict[str, Any] = {"containers": [box]}
    if selector:
        spec["nodeSelector"] = selector
    return {"metadata": {"labels": {"app": name}}, "spec": spec}


def const(value: float) -> Series:
    """A flat gauge."""
    return lambda t: value


def rid(seed: str, i: int) -> str:
    return L.uuidish(seed, i)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric level, epoch milliseconds)."""
    import json
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": "", "msg": msg,
                       **fields}, separators=(",", ":"))


def zap(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line."""
    import json
    return json.dumps({"level": level, "ts": round(t.timestamp(), 3), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def dotnet(level: str, category: str, event: int, msg: str) -> str:
    """Microsoft.Extensions.Logging's console formatter: a header line and the message indented below it."""
    return f"{level}: {category}[{event}]\n      {msg}"


# ---- 1: GraphQL field removed ----------------------------------------------------------------------
AT1 = datetime(2026, 12, 5, 10, 20, tzinfo=UTC)


def mobile_home_errors_page() -> Incident:
    """catalog-graphql 3.0.0 removes the deprecated `Product.priceCents` field the mobile BFF still queries.

    after: public write-ups of GraphQL schema changes that dropped a deprecated field while a client still
    selected it: every operation touching it fails validation as a whole, not just the one field.

    The catalog team's 3.0.0 release deletes fields deprecated since 2.30, among them `Product.priceCents`
    (replaced by `price { amount currency }`). mobile-bff's HomeFeed and ProductCard operations still select
    `priceCents`; the GraphQL server rejects the whole document with GRAPHQL_VALIDATION_FAILED and the BFF answers
    502 to the apps. Other clients (the web storefront) moved to `price` months ago and are fine. Red herring: the
    recommendations rollout in web a little earlier.
    """
    chg = AT1 - timedelta(minutes=18)
    inc = start(mobile_home_errors_page, "mobile-bff home feed error rate", AT1, 4801, ("catalog-api", "mobile"))
    ops = ["HomeFeed", "ProductCard", "CartSummary", "SearchResults"]

    def server_after(i: int, t: datetime) -> str:
        op = ops[i % 4]
        if op in ("HomeFeed", "ProductCard") and i % 3 != 2:
            return pino(t, 30, "request completed", operationName=op, clientName="mobile-bff",
                        errors=["GRAPHQL_VALIDATION_FAILED"], responseTime=3 + i % 4)
        return pino(t, 30, "request completed", operationName=op,
                    clientName="mobile-bff" if i % 2 else "storefront-web", responseTime=38 + i % 30)

    def server_before(i: int, t: datetime) -> str:
        return pino(t, 30, "request completed", operationName=ops[i % 4],
                    clientName="mobile-bff" if i % 2 else "storefront-web", responseTime=41 + i % 25)

    def server(pod: str, s: datetime, e: datetime) -> Lines:
        head = [(s, pino(s, 30, "Server ready at http://0.0.0.0:4000/graphql", version="3.0.0")),
                (s + timedelta(seconds=1), pino(s, 30, "schema loaded", types=142, schemaHash="c41f0a9e2b7d"))]
        return head + every(s + timedelta(seconds=2), e, 6, lambda i, t: (server_after if t >= chg else
                                                                           server_before)(i, t))

    old = c("catalog-graphql", f"{REGISTRY}/catalog-api/catalog-graphql:2.41.0", port=4000)
    new = c("catalog-graphql", f"{REGISTRY}/catalog-api/catalog-graphql:3.0.0", port=4000)
    rolled(inc, "catalog-api", "catalog-graphql", old, new, chg, server, replicas=3)

    def bff(i: int, t: datetime) -> str:
        op = "HomeFeed" if i % 2 else "ProductCard"
        if t < chg or i % 3 == 2:
            return pino(t, 30, "request completed", req={"method": "GET", "url": f"/v2/{op.lower()}"},
                        res={"statusCode": 200}, responseTime=88 + i % 40)
        err = {"message": 'Cannot query field "priceCents" on type "Product". Did you mean "price"?',
               "locations": [{"line": 14, "column": 9}], "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
        if i % 2:
            return pino(t, 50, "upstream graphql errors", operationName=op, graphQLErrors=[err],
                        upstream="http://catalog-graphql.catalog-api:4000/graphql")
        return pino(t, 30, "request completed", req={"method": "GET", "url": f"/v2/{op.lower()}"},
                    res={"statusCode": 502}, responseTime=9 + i % 5)

    service(inc, "mobile", "mobile-bff", steady(bff, 7), replicas=3, version="7.12.0", port=3000)
    plant(inc, "mobile", "mobile-bff-secrets", "jwt", "mobile-bff", "SESSION_SIGNING_KEY")
    herring(inc, "web", "recommendations", f"{REGISTRY}/web/recommendations", "0.9.4", "0.9.5",
            AT1 - timedelta(minutes=46))
    for code, before, after in (("200", 42.0, 17.0), ("502", 0.05, 25.0)):
        tally(inc, "http_requests_total", "Requests served by the BFF.",
              {"namespace": "mobile", "service": "mobile-bff", "route": "/v2/homefeed", "code": code},
              counter(AT1 - timedelta(hours=2), before, after, chg))
    tally(inc, "graphql_operation_errors_total", "GraphQL operations answered with errors, by code.",
          {"namespace": "catalog-api", "service": "catalog-graphql", "code": "GRAPHQL_VALIDATION_FAILED"},
          counter(AT1 - timedelta(hours=2), 0.0, 24.0, chg))
    inc.pagerduty("mobile-bff: home feed error rate above 30% (502 from BFF)", "Mobile BFF")
    inc.answer_key(culprit=("Deployment", "catalog-api", "catalog-graphql"),
                   keywords=["priceCents", "GRAPHQL_VALIDATION_FAILED", "3.0.0"],
                   root_cause="catalog-graphql 3.0.0 removed the deprecated Product.priceCents field; mobile-bff's "
                              "HomeFeed and ProductCard queries still select it, so the GraphQL server rejects them "
                              "with GRAPHQL_VALIDATION_FAILED and the BFF answers 502",
                   category="graphql-deprecated-field-removed-under-client",
                   red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ---- 2: flag adds an enum value the consumer does not know -------------------------------------------
AT2 = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)


def order_history_alerts_grouped() -> Incident:
    """FeatureFlag `partial-refunds` switched on: refund events carry a status the Java consumer cannot map.

    after: public incident notes where a producer started emitting a new enum value (behind a feature flag)
    before every consumer could deserialize it, and a strict JSON mapper failed every message carrying it.

    The refunds team flipped `partial-refunds` to `on` in the OpenFeature FeatureFlag with kubectl edit. The
    refunds service now publishes `status: PARTIALLY_REFUNDED` on refund-events. order-history (Spring Kafka,
    Jackson, enum RefundStatus without that value) fails each such record, retries it, dead-letters it and its
    lag climbs. Red herring: the order-search rollout in orders.
    """
    chg = AT2 - timedelta(minutes=27)
    inc = start(order_history_alerts_grouped, "order-history alerts", AT2, 4802, ("refunds", "orders"))
    flags = {"flags": {
        "partial-refunds": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"},
        "refund-to-wallet": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"},
        "instant-refunds-eu": {"state": "DISABLED", "variants": {"on": True, "off": False},
                               "defaultVariant": "off"}}}
    custom(inc, "FeatureFlag", "core.openfeature.dev/v1beta1", "featureflags", "refunds", "refund-flags",
           {"flagSpec": flags}, {}, "kubectl-edit", chg,
           {"f:spec": {"f:flagSpec": {"f:flags": {"f:partial-refunds": {"f:defaultVariant": {}}}}}})

    def refunds(i: int, t: datetime) -> str:
        partial = t >= chg and i % 3 == 0
        return zap(t, "info", "refund/service.go:212", "refund event published", topic="refund-events",
                   refund_id=f"rf_{i:06d}{t.minute:02d}", status="PARTIALLY_REFUNDED" if partial else "REFUNDED",
                   partition=i % 6)

    def flagd(pod: str, s: datetime, e: datetime) -> Lines:
        out = refunds_lines(s, e)
        if s <= chg <= e:
            out.append((chg + timedelta(seconds=2), zap(chg + timedelta(seconds=2), "info",
                        "sync/kubernetes/kubernetes_sync.go:190", "configuration modified",
                        component="sync", sync="kubernetes", resource="refunds/refund-flags")))
        return out

    def refunds_lines(s: datetime, e: datetime) -> Lines:
        return every(s, e, 15, refunds)

    service(inc, "refunds", "refunds-service", flagd, replicas=2, version="2.18.3")

    def consumer(i: int, t: datetime) -> str:
        if t < chg or i % 3:
            return L.spring(t, "INFO", "c.a.orders.history.RefundEventListener",
                            f"applied refund event to order ord_{i:07d}", "ntainer#0-0-C-1")
        if i % 2:
            return "\n".join([
                L.spring(t, "ERROR", "o.s.k.l.KafkaMessageListenerContainer",
                         "Error handler threw an exception", "ntainer#0-0-C-1"),
                "org.springframework.kafka.KafkaException: Seek to current after exception",
                "Caused by: org.springframework.kafka.listener.ListenerExecutionFailedException: Listener method "
                "could not be invoked with the incoming message",
                "Caused by: com.fasterxml.jackson.databind.exc.InvalidFormatException: Cannot deserialize value "
                "of type `com.acme.orders.history.RefundStatus` from String \"PARTIALLY_REFUNDED\": not one of "
                "the values accepted for Enum class: [PENDING, FAILED, REFUNDED]",
                " at [Source: (byte[])\"{\"refundId\":\"rf_0021\",\"status\":\"PARTIALLY_REFUNDED\",...\"; "
                "line: 1, column: 38] (through reference chain: com.acme.orders.history.RefundEvent[\"status\"])",
                "\tat com.fasterxml.jackson.databind.exc.InvalidFormatException.from(InvalidFormatException.java:67)",
                "\tat com.fasterxml.jackson.databind.DeserializationContext.weirdStringException"
                "(DeserializationContext.java:1991)"])
        return L.spring(t, "WARN", "o.s.k.l.DeadLetterPublishingRecoverer",
                        f"Backoff FixedBackOff{{interval=1000, currentAttempts=10, maxAttempts=9}} exhausted for "
                        f"refund-events-{i % 6}@{48211 + i}; publishing to refund-events.DLT", "ntainer#0-0-C-1")

    service(inc, "orders", "order-history", steady(consumer, 9), replicas=2, version="5.3.0")
    herring(inc, "orders", "order-search", f"{REGISTRY}/orders/order-search", "1.9.0", "1.10.0",
            AT2 - timedelta(minutes=52))
    plant(inc, "refunds", "refunds-psp", "stripe", "refunds", "PSP_SECRET_KEY")
    begin_ = AT2 - timedelta(hours=2)
    gauge(inc, "kafka_consumergroup_lag", "Current approximate lag of a consumer group at topic/partition.",
          {"consumergroup": "order-history", "topic": "refund-events", "namespace": "kafka",
           "job": "kafka-exporter"}, lambda t: 3.0 if t < chg else round(3 + (t - chg).total_seconds() * 0.9))
    tally(inc, "spring_kafka_listener_seconds_count", "Kafka listener timings.",
          {"namespace": "orders", "name": "org.springframework.kafka.KafkaListenerEndpointContainer#0-0",
           "result": "failure", "exception": "ListenerExecutionFailedException"},
          counter(begin_, 0.0, 3.1, chg))
    tally(inc, "refund_events_dlt_records_total", "Records published to the dead-letter topic.",
          {"namespace": "orders", "topic": "refund-events.DLT"}, counter(begin_, 0.0, 0.31, chg))
    tally(inc, "openfeature_evaluations_total", "Flag evaluations by flag and variant.",
          {"namespace": "refunds", "flag": "partial-refunds", "variant": "on"}, counter(begin_, 0.0, 0.9, chg))
    lbl = {"namespace": "orders", "service": "order-history", "team": "orders"}
    send(inc, [
        alert(inc, "KafkaConsumerGroupLagHigh", {**lbl, "consumergroup": "order-history", "topic": "refund-events"},
              "order-history lag on refund-events above 1000",
              "Consumer group order-history has been lagging more than 1000 records for 10 minutes.",
              'sum by (consumergroup, topic) (kafka_consumergroup_lag{consumergroup="order-history"}) > 1000'),
        alert(inc, "DeadLetterRecordsPublished", {**lbl, "topic": "refund-events.DLT"},
              "order-history is dead-lettering records",
              "Records are being published to refund-events.DLT.",
              'rate(refund_events_dlt_records_total{namespace="orders"}[5m]) > 0'),
        alert(inc, "KafkaListenerFailures", lbl, "order-history listener failures",
              "More than 1 failed listener invocation per second.",
              'rate(spring_kafka_listener_seconds_count{namespace="orders",result="failure"}[5m]) > 1'),
    ], group=["namespace"])
    inc.answer_key(culprit=("FeatureFlag", "refunds", "refund-flags"),
                   keywords=["partial-refunds", "PARTIALLY_REFUNDED", "enum"],
                   root_cause="the partial-refunds flag was switched on in the refund-flags FeatureFlag; refund "
                              "events now carry status PARTIALLY_REFUNDED, which order-history's Jackson enum "
                              "mapping rejects, so records fail, go to the DLT and lag grows",
                   category="flag-emits-enum-value-consumer-lacks",
                   red_herrings=[("Deployment", "orders", "order-search")])
    return inc


# ---- 3: gateway plugin requires Content-Length ---------------------------------------------------------
AT3 = datetime(2026, 12, 5, 16, 40, tzinfo=UTC)


def document_uploads_burn() -> Incident:
    """A global KongClusterPlugin `request-size-limiting` gains `require_content_length: true`: chunked uploads 411.

    after: gateway and proxy notes where a request-size check began to insist on Content-Length, and clients that
    stream bodies with chunked transfer encoding (no length known up front) were refused.

    Someone tightening upload limits edited the cluster-scoped KongClusterPlugin (label `global: "true"`) with
    kubectl edit. Browser uploads send Content-Length and pass; the branch scanners' Go client streams scans through
    an io.Pipe, so its requests are chunked and Kong answers 411. The documents upload SLO burns. Red herring: the
    thumbnailer rollout in documents.
    """
    chg = AT3 - timedelta(minutes=33)
    inc = start(document_uploads_burn, "document upload SLO burn", AT3, 4803, ("kong", "documents", "branch-scans"))
    custom(inc, "KongClusterPlugin", "configuration.konghq.com/v1", "kongclusterplugins", "", "global-request-size",
           {}, {"conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed",
                                "lastTransitionTime": ts(chg + timedelta(seconds=3))}]},
           "kubectl-edit", chg, {"f:config": {"f:require_content_length": {}, "f:allowed_payload_size": {}}},
           scope="Cluster", labels={"global": "true"})
    plugin = inc.find("KongClusterPlugin", "", "global-request-size")
    plugin.pop("spec")
    plugin["plugin"] = "request-size-limiting"
    plugin["config"] = {"allowed_payload_size": 64, "size_unit": "megabytes", "require_content_length": True}
    plugin["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "kong"}
    plugin["metadata"]["managedFields"][0]["fieldsV1"] = {"f:config": {}, "f:plugin": {}}

    def kong(i: int, t: datetime) -> str:
        scanner = i % 3 != 0
        ip = f"10.42.{7 if scanner else 3}.{20 + i % 9}"
        ua = "Go-http-client/1.1" if scanner else "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
        status = 411 if (scanner and t >= chg) else 201
        size = 61 if status == 411 else 312
        return (f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "POST /documents/v1/uploads HTTP/1.1" '
                f'{status} {size} "-" "{ua}"')

    service(inc, "kong", "kong-gateway", steady(kong, 5), replicas=2, version="3.7.1", port=8000)

    def scanner(i: int, t: datetime) -> str:
        if t < chg:
            return L.logfmt(t, "info", "scan uploaded", branch=f"br-{100 + i % 40}", bytes=2_400_000 + i * 917,
                            status=201, transfer="chunked")
        if i % 4 == 3:
            return L.logfmt(t, "warn", "upload queue growing", pending=40 + (t - chg).seconds // 30)
        return L.logfmt(t, "error", "upload failed", branch=f"br-{100 + i % 40}",
                        err="POST https://api.internal.example.com/documents/v1/uploads: unexpected status 411 "
                            "Length Required",
                        attempt=1 + i % 3)

    service(inc, "branch-scans", "scan-forwarder", steady(scanner, 12), replicas=2, version="1.6.4")

    def api(i: int, t: datetime) -> str:
        return L.logfmt(t, "info", "document stored", id=f"doc_{i:07d}", size=2_300_000 + i * 311,
                        source="scanner" if (t < chg and i % 3) else "web")

    service(inc, "documents", "documents-api", steady(api, 20), replicas=2, version="3.3.0")
    herring(inc, "documents", "thumbnailer", f"{REGISTRY}/documents/thumbnailer", "2.2.0", "2.3.0",
            AT3 - timedelta(minutes=58))
    plant(inc, "branch-scans", "scan-forwarder-api", "token", "scan-forwarder", "API_TOKEN")
    begin_ = AT3 - timedelta(hours=2)
    for code, before, after in (("201", 5.1, 1.6), ("411", 0.0, 3.4)):
        tally(inc, "kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong",
              {"service": "documents.documents-api.80", "route": "documents.documents-api.uploads.00",
               "code": code, "source": "service", "namespace": "kong"}, counter(begin_, before, after, chg))
    gauge(inc, "scan_forwarder_pending_uploads", "Scans waiting to be uploaded.",
          {"namespace": "branch-scans"}, lambda t: 2.0 if t < chg else round(2 + (t - chg).total_seconds() / 9))
    burn = alert(inc, "ErrorBudgetBurn", {"namespace": "documents", "service": "documents-api",
                                          "slo": "document-upload-success", "long": "1h", "short": "5m",
                                          "team": "documents"},
                 "documents-api: error budget burning 44.0x too fast (document-upload-success, objective 0.995)",
                 "Share of upload requests not answered 2xx at the gateway is far above the objective.",
                 'sum(rate(kong_http_requests_total{route=~"documents.*uploads.*",code!~"2.."}[1h])) / '
                 'sum(rate(kong_http_requests_total{route=~"documents.*uploads.*"}[1h])) > (14.4 * (1 - 0.995))',
                 severity="critical")
    send(inc, [burn], group=["alertname", "slo"])
    inc.answer_key(culprit=("KongClusterPlugin", "", "global-request-size"),
                   keywords=["require_content_length", "411", "chunked"],
                   root_cause="the global KongClusterPlugin request-size-limiting was edited to "
                              "require_content_length: true; the scanners' Go client streams uploads with "
                              "chunked transfer encoding, so Kong answers 411 Length Required to every scan upload",
                   category="gateway-requires-content-length-for-chunked",
                   red_herrings=[("Deployment", "documents", "thumbnailer")])
    return inc


# ---- 4: oauth2-proxy forwards a token past Tomcat's header limit -------------------------------------------
AT4 = datetime(2026, 12, 5, 8, 50, tzinfo=UTC)


def admin_console_bad_requests() -> Incident:
    """oauth2-proxy's ConfigMap gains `pass_authorization_header = true`: big ID tokens exceed Tomcat's 8 KB.

    after: public troubleshooting threads where an auth proxy began forwarding the user's ID token as a header
    and the upstream's request-header limit (Tomcat's 8 KB default) answered 400 for users in many groups.

    The SSO team edited oauth2-proxy's config file in its ConfigMap (kubectl edit) to forward the ID token;
    Reloader rolled oauth2-proxy. Users with a few groups are fine; staff with 150+ groups carry a 9-11 KB
    `Authorization: Bearer` header and admin-console (Spring Boot, embedded Tomcat) rejects the request line
    before Spring sees it. Red herring: the admin-console rollout an hour earlier.
    """
    chg = AT4 - timedelta(minutes=41)
    inc = start(admin_console_bad_requests, "admin-console 400 responses", AT4, 4804, ("sso", "backoffice"))
    cfg_old = ('http_address = "0.0.0.0:4180"\nprovider = "oidc"\noidc_issuer_url = "https://login.example.com"\n'
               'upstreams = ["http://admin-console.backoffice:8080/"]\nemail_domains = ["example.com"]\n'
               'cookie_secure = true\nset_xauthrequest = true\nskip_provider_button = true\n')
    cfg = cfg_old + "pass_authorization_header = true\npass_access_token = true\n"
    cm = inc.configmap("sso", "oauth2-proxy", {"oauth2_proxy.cfg": cfg}, at=inc.born + timedelta(days=7),
                       annotations={"meta.helm.sh/release-name": "oauth2-proxy",
                                    "meta.helm.sh/release-namespace": "sso"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=7), {"f:data": {".": {}, "f:oauth2_proxy.cfg": {}}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:oauth2_proxy.cfg": {}}}))

    def proxy(i: int, t: datetime) -> str:
        big = i % 3 == 0
        status = 400 if (t >= chg and big) else 200
        user = f"{'ops' if big else 'agent'}{i % 17}@example.com"
        return (f"10.42.1.{11 + i % 30} - {rid('o2p', i)[:32]} - {user} [{t.strftime('%Y/%m/%d %H:%M:%S')}] "
                f'admin.example.com GET admin-console.backoffice:8080 "/orders/{9000 + i}" HTTP/1.1 '
                f'"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6)" {status} {435 if status == 400 else 18211} '
                f"{0.004 if status == 400 else 0.083:.3f}")

    old = c("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1", port=4180)
    new = c("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1", port=4180)
    wl = rolled(inc, "sso", "oauth2-proxy", old, new, chg + timedelta(seconds=40), steady(proxy, 6),
                cause="reloader")
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "reloader.stakater.com/last-reloaded-from"] = '{"type":"CONFIGMAP","name":"oauth2-proxy"}'

    def console(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 30, lambda i, t: L.spring(t, "INFO", "c.a.b.admin.OrderController",
                                                      f"listed orders page {i % 40}",
                                                      f"http-nio-8080-exec-{1 + i % 9}"))
        first = max(s, chg + timedelta(seconds=70 + len(pod) % 20))
        if first < e:
            out.append((first, "\n".join([
                L.spring(first, "INFO", "o.apache.coyote.http11.Http11Processor",
                         "Error parsing HTTP request header", "http-nio-8080-exec-4"),
                " Note: further occurrences of HTTP request parsing errors will be logged at DEBUG level.",
                "",
                "java.lang.IllegalArgumentException: Request header is too large",
                "\tat org.apache.coyote.http11.Http11InputBuffer.fill(Http11InputBuffer.java:778)",
                "\tat org.apache.coyote.http11.Http11InputBuffer.parseHeader(Http11InputBuffer.java:913)"])))
        return out

    old_c = c("admin-console", f"{REGISTRY}/backoffice/admin-console:6.2.0")
    new_c = c("admin-console", f"{REGISTRY}/backoffice/admin-console:6.3.0")
    rolled(inc, "backoffice", "admin-console", old_c, new_c, AT4 - timedelta(minutes=95), console, replicas=2)
    plant(inc, "sso", "oauth2-proxy", "token", "oauth2-proxy-cookie", "cookie-secret")
    begin_ = AT4 - timedelta(hours=2)
    for status, before, after in (("200", 9.0, 6.1), ("400", 0.01, 2.9)):
        tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
              {"namespace": "sso", "ingress": "admin-console", "service": "oauth2-proxy", "status": status,
               "controller_class": "k8s.io/ingress-nginx"}, counter(begin_, before, after, chg))
    tally(inc, "http_server_requests_seconds_count", "Duration of HTTP server request handling",
          {"namespace": "backoffice", "application": "admin-console", "uri": "/orders/{id}", "status": "200"},
          counter(begin_, 9.0, 6.1, chg))
    send(inc, [alert(inc, "AdminConsoleClientErrors",
                     {"namespace": "backoffice", "service": "admin-console", "team": "backoffice"},
                     "admin-console: 24% of requests answered 400",
                     "More than 10% of requests to the admin console host are answered 400 for 10 minutes.",
                     'sum(rate(nginx_ingress_controller_requests{host="admin.example.com",status="400"}[5m])) / '
                     'sum(rate(nginx_ingress_controller_requests{host="admin.example.com"}[5m])) > 0.1')],
         group=["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "sso", "oauth2-proxy"),
                   keywords=["pass_authorization_header", "Request header is too large"],
                   root_cause="oauth2-proxy's config was edited to pass_authorization_header = true (the ID token as "
                              "an Authorization header); for users in many groups the header exceeds embedded "
                              "Tomcat's 8 KB limit (Request header is too large) and admin-console answers 400",
                   category="auth-proxy-header-exceeds-upstream-limit",
                   red_herrings=[("Deployment", "backoffice", "admin-console")])
    return inc


# ---- 5: a collector upgrade enforces ALPN against a TLS listener that negotiates none ------------------
AT5 = datetime(2026, 12, 6, 8, 25, tzinfo=UTC)


def telemetry_gap_question_host() -> Incident:
    """The canary collector DaemonSet moves to a grpc-go that enforces ALPN; the NLB's TLS listener offers none.

    after: public issue threads from the grpc-go release that began refusing TLS servers which negotiate no ALPN
    protocol ("missing selected ALPN property"), hitting clients behind load balancers with no ALPN policy.

    The observability team canaries collector upgrades with a second DaemonSet, otel-agent-canary, that only
    runs on nodes labelled for it (one node). Its revision 2 moves otelcol-contrib 0.104.0 -> 0.111.0. The agents
    export OTLP/gRPC to otel-gateway through an AWS NLB TLS listener whose Service sets no ALPN policy; the older
    build never checked, the new one fails every handshake. Everything scheduled on that node loses traces and
    logs. Red herring: the loki-gateway rollout in observability.
    """
    chg = AT5 - timedelta(minutes=19)
    inc = start(telemetry_gap_question_host, "telemetry missing from one node", AT5, 4805, ("observability",))
    canary_node = node(inc, 2)
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] == canary_node:
            n["metadata"]["labels"]["telemetry.example.com/collector-canary"] = "true"
    sel = {"telemetry.example.com/collector-canary": "true"}
    args = ["--config=/conf/agent.yaml"]
    old = tmpl("otel-agent-canary", "otel/opentelemetry-collector-contrib:0.104.0", args, selector=sel)
    new = tmpl("otel-agent-canary", "otel/opentelemetry-collector-contrib:0.111.0", args, selector=sel)
    inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": "otel-agent-canary", "namespace": "observability", "generation": 2,
                          "labels": {"app": "otel-agent-canary"}},
             "spec": {"selector": {"matchLabels": {"app": "otel-agent-canary"}}, "template": new,
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
             "status": {"desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberReady": 1,
                        "updatedNumberScheduled": 1, "numberAvailable": 1, "observedGeneration": 2}})
    revision(inc, "DaemonSet", "observability", "otel-agent-canary", 1, inc.born + timedelta(days=9), old)
    rev2 = revision(inc, "DaemonSet", "observability", "otel-agent-canary", 2, chg, new)
    failed = ('"error": "rpc error: code = Unavailable desc = connection error: desc = \\"transport: authentication '
              'handshake failed: credentials: cannot check peer: missing selected ALPN property. If you upgraded '
              'from a grpc-go version earlier than 1.67, your TLS connections may have stopped working due to ALPN '
              'enforcement. For more details, see: https://github.com/grpc/grpc-go/issues/434\\""')

    def agent(i: int, t: datetime) -> str:
        kind = ("traces", "logs")[i % 2]
        stamp = iso(t)
        if i % 5 == 4:
            return (f"{stamp}\terror\tinternal/queue_sender.go:101\tExporting failed. Dropping data.\t"
                    f'{{"kind": "exporter", "data_type": "{kind}", "name": "otlp/gateway", {failed}, '
                    f'"dropped_items": {180 + i % 60}}}')
        return (f"{stamp}\tinfo\tinternal/retry_sender.go:118\tExporting failed. Will retry the request after "
                f'interval.\t{{"kind": "exporter", "data_type": "{kind}", "name": "otlp/gateway", {failed}, '
                f'"interval": "{3 + i % 5}.{i % 9}s"}}')

    def agent_log(pod: str, s: datetime, e: datetime) -> Lines:
        head = [(s, f"{iso(s)}\tinfo\tservice@v0.111.0/service.go:135\tSetting up own telemetry..."),
                (s + timedelta(seconds=1), f"{iso(s)}\tinfo\tservice@v0.111.0/service.go:213\tStarting "
                 f'otelcol-contrib...\t{{"Version": "0.111.0", "NumCPU": 8}}'),
                (s + timedelta(seconds=2), f"{iso(s)}\tinfo\tservice@v0.111.0/service.go:239\tEverything is "
                 "ready. Begin running and processing data.")]
        return head + every(s + timedelta(seconds=9), e, 7, agent)

    created = chg + timedelta(seconds=14)
    name = f"otel-agent-canary-{o.suffix('otel-agent-canary' + canary_node, 5)}"
    box = c("otel-agent-canary", "otel/opentelemetry-collector-contrib:0.111.0", port=4317, readiness_path=None,
            liveness_path=None)
    h = PodHistory(name=name, namespace="observability", workload="otel-agent-canary", containers=[box],
                   node=canary_node, created=created,
                   states=[o.ContainerState(started_at=created + timedelta(seconds=3))],
                   memory=lambda t: 180.0 * 1024 * 1024,
                   labels={"app": "otel-agent-canary", "controller-revision-hash": rev2.rsplit("-", 1)[1]},
                   owner=o.owner_ref("DaemonSet", "otel-agent-canary", "observability"))
    h.logs["otel-agent-canary"] = within(agent_log)(name, created + timedelta(seconds=3), inc.captured)
    inc.cluster.add_pod(h)

    def healthy(i: int, t: datetime) -> str:
        return (f"{iso(t)}\tinfo\tMetrics\t{{\"kind\": \"exporter\", \"data_type\": \"traces\", \"name\": "
                f"\"otlp/gateway\", \"resource spans\": {3 + i % 4}, \"spans\": {140 + i % 90}}}")

    cl = inc.cluster
    stable = cl.daemonset("observability", "otel-agent", "otel/opentelemetry-collector-contrib:0.104.0",
                          inc.born + timedelta(days=9), memory_mi=160, port=4317)
    for h in stable:  # the stable agents avoid the canary node (nodeAffinity NotIn)
        if h.node == canary_node:
            cl.pods.remove(h)
        else:
            h.logs["otel-agent"] = within(steady(healthy, 30))(h.name, inc.captured - timedelta(hours=3),
                                                               inc.captured)
    ds = inc.find("DaemonSet", "observability", "otel-agent")
    ds["spec"]["template"]["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "telemetry.example.com/collector-canary",
                                                     "operator": "NotIn", "values": ["true"]}]}]}}}
    for k in ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady",
              "updatedNumberScheduled"):
        ds["status"][k] = len(stable) - 1

    def gateway(i: int, t: datetime) -> str:
        return (f"{iso(t)}\tinfo\tMetrics\t{{\"kind\": \"receiver\", \"name\": \"otlp\", \"data_type\": "
                f"\"traces\", \"spans\": {420 + i % 100}}}")

    service(inc, "observability", "otel-gateway", steady(gateway, 30), replicas=2, version="0.104.0", port=4317)
    nlb = inc.add({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "otel-gateway-nlb", "namespace": "observability",
                                "annotations": {
                                    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                                    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                                    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert":
                                        "arn:aws:acm:eu-west-1:111122223333:certificate/4f1c2a7e-9d2b-4c51-"
                                        "8a7e-21c3b9f0d6aa",
                                    "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "4317",
                                    "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp"}},
                   "spec": {"type": "LoadBalancer", "selector": {"app": "otel-gateway"},
                            "ports": [{"name": "otlp-grpc", "port": 4317, "targetPort": 4317, "protocol": "TCP"}]},
                   "status": {"loadBalancer": {"ingress": [
                       {"hostname": "k8s-observab-otelgate-5e1f0c2a9b-0d4e6f.elb.eu-west-1.amazonaws.com"}]}}})
    nlb["metadata"]["creationTimestamp"] = ts(inc.born + timedelta(days=6))
    herring(inc, "observability", "loki-gateway", "docker.io/nginxinc/nginx-unprivileged", "1.27.1-alpine",
            "1.27.2-alpine", AT5 - timedelta(minutes=44))
    plant(inc, "observability", "grafana-cloud-otlp", "token", "otlp-basic-auth", "password")
    begin_ = AT5 - timedelta(hours=2)
    for n in inc.node_names():
        broken = n == canary_node
        tally(inc, "otelcol_exporter_sent_spans_total", "Number of spans successfully sent to destination.",
              {"exporter": "otlp/gateway", "namespace": "observability", "node": n},
              counter(begin_, 140.0, 0.0 if broken else 140.0, chg))
        tally(inc, "otelcol_exporter_send_failed_spans_total", "Number of spans in failed attempts to send.",
              {"exporter": "otlp/gateway", "namespace": "observability", "node": n},
              counter(begin_, 0.0, 150.0 if broken else 0.0, chg))
    inc.ask(f"Since about 08:06 nothing running on {canary_node} shows up in Tempo or Loki: traces and logs from "
            "every pod on that host are gone, the other nodes look normal. What is wrong with that node?")
    inc.answer_key(culprit=("DaemonSet", "observability", "otel-agent-canary"),
                   keywords=["ALPN", "otel-agent-canary", "0.111.0"],
                   root_cause="the canary collector DaemonSet otel-agent-canary (only on that node) moved to "
                              "otelcol-contrib 0.111.0, "
                              "whose grpc-go enforces ALPN; the NLB TLS listener in front of otel-gateway negotiates "
                              "no ALPN protocol, so every OTLP export from that node fails the handshake and is "
                              "dropped",
                   category="grpc-client-enforces-alpn-at-tls-listener",
                   red_herrings=[("Deployment", "observability", "loki-gateway")])
    return inc


# ---- 6: a SQL driver that now encrypts by default -------------------------------------------------
AT6 = datetime(2026, 12, 5, 11, 35, tzinfo=UTC)


def claims_api_crashloop() -> Incident:
    """claims-api 4.4.0 moves to Microsoft.Data.SqlClient, whose connections default to Encrypt=true (simple).

    after: the widely reported breaking change of Microsoft.Data.SqlClient 4.0, where `Encrypt` became true by
    default and servers with a self-signed certificate started failing logins with an untrusted-chain error.

    The release swaps System.Data.SqlClient for Microsoft.Data.SqlClient 5.2; the connection string (unchanged,
    from the chart) sets neither Encrypt nor TrustServerCertificate. SQL Server in claims-data presents its
    self-generated certificate, the TLS login fails, EF Core's startup migration throws and the process aborts.
    The old ReplicaSet keeps serving; the rollout stalls. Red herring: the claims-web rollout.
    """
    chg = AT6 - timedelta(minutes=16)
    inc = start(claims_api_crashloop, "claims-api pods crash looping", AT6, 4806, ("claims", "claims-data"))
    conn = [{"name": "ConnectionStrings__Claims",
             "value": "Server=tcp:mssql.claims-data.svc.cluster.local,1433;Database=Claims;User Id=claims_app;"},
            {"name": "ConnectionStrings__ClaimsPassword",
             "valueFrom": {"secretKeyRef": {"name": "claims-sql", "key": "password"}}},
            {"name": "ASPNETCORE_URLS", "value": "http://+:8080"}]

    def good(pod: str, s: datetime, e: datetime) -> Lines:
        head = [(s, dotnet("info", "Microsoft.Hosting.Lifetime", 14, "Now listening on: http://[::]:8080")),
                (s + timedelta(seconds=1), dotnet("info", "Microsoft.Hosting.Lifetime", 0,
                                                  "Application started. Press Ctrl+C to shut down."))]
        return head + every(s + timedelta(seconds=5), e, 60, lambda i, t: dotnet(
            "info", "Claims.Api.Handlers.ClaimQueryHandler", 1001, f"Served claim query in {30 + i % 40} ms"))

    def bad(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, dotnet("info", "Claims.Api.Startup", 0,
                           "Claims.Api 4.4.0 starting (.NET 8.0.11); applying database migrations")),
                (s + timedelta(seconds=2), "\n".join([
                    dotnet("fail", "Microsoft.EntityFrameworkCore.Database.Connection", 20004,
                           "An error occurred using the connection to database 'Claims' on server "
                           "'tcp:mssql.claims-data.svc.cluster.local,1433'."),
                    "Unhandled exception. Microsoft.Data.SqlClient.SqlException (0x80131904): A connection was "
                    "successfully established with the server, but then an error occurred during the pre-login "
                    "handshake. (provider: TCP Provider, error: 35 - An internal exception was caught)",
                    " ---> System.Security.Authentication.AuthenticationException: The remote certificate was "
                    "rejected by the provided RemoteCertificateValidationCallback.",
                    "   at System.Net.Security.SslStream.SendAuthResetSignal(ReadOnlySpan`1 alert, "
                    "ExceptionDispatchInfo exception)",
                    "   at Microsoft.Data.SqlClient.SNI.SNITCPHandle.EnableSsl(UInt32 options)",
                    "   --- End of inner exception stack trace ---",
                    "   at Microsoft.Data.SqlClient.SqlInternalConnection.OnError(SqlException exception, "
                    "Boolean breakConnection, Action`1 wrapCloseInAction)",
                    "   at Microsoft.EntityFrameworkCore.Migrations.Internal.Migrator.Migrate(String "
                    "targetMigration)",
                    "   at Claims.Api.Program.<Main>$(String[] args) in /src/Claims.Api/Program.cs:line 48",
                    "ClientConnectionId:6c1f2d0e-3b7a-4c9e-9a51-0e2f7d4b8a13"]))]

    old = c("claims-api", f"{REGISTRY}/claims/claims-api:4.3.2", env=conn)
    new = c("claims-api", f"{REGISTRY}/claims/claims-api:4.4.0", env=conn)
    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade", [old]), Rev(2, chg, "helm upgrade", [new])]
    wl = inc.deployment("claims", "claims-api", revs,
                        {1: [P(log=within(good)) for _ in range(3)],
                         2: [P(state="crashloop", log=within(bad), reason="Error", exit_code=134,
                               run_s=lambda n: 4.0)]},
                        progress="deadline", replicas=3, max_unavailable="0")
    crashing = wl.pods[-1].name

    def mssql(pod: str, s: datetime, e: datetime) -> Lines:
        t = s
        return [(t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.21 Server      Microsoft SQL Server 2022 (RTM-CU15) "
                    "(KB5041321) - 16.0.4145.4 (X64)"),
                (t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.58 Server      The certificate [Cert Hash(sha1) "
                    "\"3B1F0C7E5A9D2E4B6C8F1A0D7E3C5B9A2F4D6E8C\"] was successfully loaded for encryption."),
                (t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.60 Server      A self-generated certificate was "
                    "successfully loaded for encryption."),
                (t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.71 Server      Server is listening on [ 'any' <ipv4> "
                    "1433]."),
                (t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.90 spid28s     SQL Server is now ready for client "
                    "connections. This is an informational message; no user action is required.")]

    inc.statefulset("claims-data", "mssql", [c("mssql", "mcr.microsoft.com/mssql/server:2022-CU15-ubuntu-22.04",
                                               port=1433, readiness_path=None, liveness_path=None,
                                               memory_limit="8Gi")],
                    [P(log=within(mssql))], inc.born + timedelta(days=2), claims=[("data", "200Gi", "gp3")],
                    service=1433)
    herring(inc, "claims", "claims-web", f"{REGISTRY}/claims/claims-web", "3.8.0", "3.9.0",
            AT6 - timedelta(minutes=38))
    plant(inc, "claims", "claims-sql", "password", "claims-sql", "password")
    inc.pod_series(inc.pods_of("claims", "claims-api"))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "claims", "pod": crashing, "container": "claims-api",
                                            "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f"Pod claims/{crashing} (claims-api) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "claims", "claims-api"),
                   keywords=["Encrypt", "SqlClient", "certificate"],
                   root_cause="claims-api 4.4.0 uses Microsoft.Data.SqlClient, which encrypts connections by "
                              "default; the unchanged connection string sets neither Encrypt=false nor "
                              "TrustServerCertificate, SQL Server's self-generated certificate is not trusted and the "
                              "startup migration aborts the process",
                   category="sql-driver-encrypt-default-untrusted-cert",
                   red_herrings=[("Deployment", "claims", "claims-web")])
    return inc


# ---- 7: mesh retries on a non-idempotent POST ----------------------------------------------------------
AT7 = datetime(2026, 12, 5, 19, 15, tzinfo=UTC)


def duplicate_captures_page() -> Incident:
    """VirtualService gains `retries` with a 2 s perTryTimeout on POST /v1/charges: slow charges are sent twice.

    after: public postmortems of duplicate payments caused by a proxy or mesh retrying a non-idempotent POST after
    a per-try timeout while the first attempt was still being processed upstream.

    A platform engineer applied a "resilience" change to the charge-api VirtualService: three attempts, 2 s per
    try, retryOn 5xx,reset. charge-api calls the PSP and often takes 2-3 s in the evening peak; the client-side
    Envoy gives up on the first attempt at 2 s and re-sends the same request (same x-request-id) while charge-api
    is still capturing. charge-api has no idempotency key on the route, so the PSP captures twice. Reconciliation
    pages. Red herring: the invoice-mailer rollout in billing.
    """
    chg = AT7 - timedelta(minutes=38)
    inc = start(duplicate_captures_page, "duplicate card captures", AT7, 4807, ("billing", "commerce", "finance"))
    host = "charge-api.billing.svc.cluster.local"
    spec = {"hosts": [host], "http": [{
        "match": [{"uri": {"prefix": "/v1/charges"}, "method": {"exact": "POST"}}],
        "route": [{"destination": {"host": host, "port": {"number": 80}}}],
        "timeout": "10s",
        "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,reset,connect-failure"}},
        {"route": [{"destination": {"host": host, "port": {"number": 80}}}], "timeout": "5s"}]}
    vs = custom(inc, "VirtualService", "networking.istio.io/v1", "virtualservices", "billing", "charge-api", spec,
                {}, "kubectl-client-side-apply", chg,
                {"f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                 "f:spec": {"f:http": {}}})
    vs["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":"
                                     "\"networking.istio.io/v1\",\"kind\":\"VirtualService\",\"metadata\":{\"name\":"
                                     "\"charge-api\",\"namespace\":\"billing\"},\"spec\":{...}}"}

    def slow(i: int, t: datetime) -> bool:
        return t >= chg and i % 4 == 1

    def psp(seed: str, i: int) -> str:
        return "ch_3Q" + rid(seed, i).replace("-", "")[:18]

    def app_and_proxy(pod: str, s: datetime, e: datetime) -> tuple[Lines, Lines]:
        """charge-api's structlog lines and its sidecar's inbound access log, one request every 8 s."""
        import json
        app: Lines = []
        proxy: Lines = []
        for i, t in enumerate(L.every(s, e, 8)):
            req = rid(pod, i)
            base = {"event": "charge captured", "level": "info", "request_id": req,
                    "order_id": f"ord_{71000 + 2 * i + len(pod) % 2}"}
            if slow(i, t):
                first, second = t + timedelta(milliseconds=2380 + i % 500), t + timedelta(milliseconds=2912)
                app.append((first, json.dumps({**base, "timestamp": iso(first), "psp_charge_id": psp(pod, i),
                                               "duration_ms": 2380 + i % 500})))
                app.append((second, json.dumps({**base, "timestamp": iso(second),
                                                "psp_charge_id": psp(pod + "/2", i), "duration_ms": 908})))
                proxy.append((t + timedelta(seconds=2), L.envoy(t, "POST", "/v1/charges", 0, "DC", "127.0.0.6:8080",
                                                                2001, host, req, "downstream_remote_disconnect")))
                proxy.append((second, L.envoy(t + timedelta(seconds=2), "POST", "/v1/charges", 200, "-",
                                              "127.0.0.6:8080", 912, host, req, "via_upstream")))
            else:
                done = t + timedelta(milliseconds=640 + i % 700)
                app.append((done, json.dumps({**base, "timestamp": iso(done), "psp_charge_id": psp(pod, i),
                                              "duration_ms": 640 + i % 700})))
                proxy.append((done, L.envoy(t, "POST", "/v1/charges", 200, "-", "127.0.0.6:8080", 640 + i % 700,
                                            host, req, "via_upstream")))
        return app, proxy

    sidecar = c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090, readiness_path=None,
                liveness_path=None)
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("charge-api", f"{REGISTRY}/billing/charge-api:5.6.0"), sidecar])
    w = inc.deployment("billing", "charge-api", [rev],
                       {1: [P(log=within(lambda pod, s, e: app_and_proxy(pod, s, e)[0])) for _ in range(2)]})
    for h in w.pods:
        started = h.created + timedelta(seconds=6)
        h.logs["istio-proxy"] = within(lambda pod, s, e: app_and_proxy(pod, s, e)[1])(h.name, started, inc.captured)

    def orchestrator(i: int, t: datetime) -> str:
        return pino(t, 30, "payment step completed", orderId=f"ord_{71000 + i * 3}", chargeStatus="captured",
                    ms=700 + (i % 9) * 290)

    service(inc, "commerce", "checkout-orchestrator", steady(orchestrator, 24), replicas=2, version="9.1.0")

    def reconciler(i: int, t: datetime) -> str:
        if t < chg + timedelta(minutes=20) or i % 2:
            return L.logfmt(t, "info", "reconciled settlement window", captures=410 + i % 30, orders=410 + i % 30)
        return L.logfmt(t, "error", "duplicate capture", order=f"ord_{71001 + i * 4}",
                        charges=f"{psp('rc', i)},{psp('rc2', i)}", amount_minor=4990 + i * 10,
                        currency="EUR")

    service(inc, "finance", "charge-reconciler", steady(reconciler, 30), replicas=1, version="1.4.0")
    herring(inc, "billing", "invoice-mailer", f"{REGISTRY}/billing/invoice-mailer", "2.0.3", "2.1.0",
            AT7 - timedelta(minutes=61))
    plant(inc, "billing", "charge-api-psp", "stripe", "charge-api", "PSP_API_KEY")
    begin_ = AT7 - timedelta(hours=2)
    tally(inc, "envoy_cluster_upstream_rq_retry", "Total request retries",
          {"namespace": "commerce", "pod": "checkout-orchestrator", "cluster_name": f"outbound|80||{host}"},
          counter(begin_, 0.0, 0.031, chg))
    tally(inc, "envoy_cluster_upstream_rq_per_try_timeout", "Total requests that hit the per try timeout",
          {"namespace": "commerce", "pod": "checkout-orchestrator", "cluster_name": f"outbound|80||{host}"},
          counter(begin_, 0.0, 0.031, chg))
    tally(inc, "psp_captures_total", "Captures created at the payment provider.",
          {"namespace": "billing", "service": "charge-api"}, counter(begin_, 0.125, 0.156, chg))
    tally(inc, "orders_paid_total", "Orders marked paid.", {"namespace": "commerce"},
          counter(begin_, 0.125, 0.125, chg))
    gauge(inc, "reconciliation_duplicate_captures", "Orders with more than one capture in the open window.",
          {"namespace": "finance", "service": "charge-reconciler"},
          lambda t: 0.0 if t < chg + timedelta(minutes=20) else float(int((t - chg).total_seconds() / 32)))
    inc.pagerduty("Reconciliation: 41 orders captured twice in the last hour", "Payments Reconciliation")
    inc.answer_key(culprit=("VirtualService", "billing", "charge-api"),
                   keywords=["perTryTimeout", "retries", "idempotent"],
                   root_cause="the charge-api VirtualService gained retries (3 attempts, 2 s perTryTimeout, "
                              "retryOn 5xx,reset) on POST /v1/charges; charges slower than 2 s are re-sent with the "
                              "same request id while the first attempt still captures, and the route is not "
                              "idempotent, so customers are charged twice",
                   category="mesh-retry-on-non-idempotent-post",
                   red_herrings=[("Deployment", "billing", "invoice-mailer")])
    return inc


# ---- 8: topic recompressed with a codec the consumer lacks ------------------------------------------
AT8 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)


def sessionizer_lag_alert() -> Incident:
    """KafkaTopic `clickstream-v2` gets `compression.type: zstd`: the broker recompresses, kafka-python has no zstd.

    after: public issue threads where a topic-level compression setting made brokers rewrite batches in a codec
    that an older or slimmer client build could not decode, and the consumer stalled on the first such batch.

    To save disk, the data platform team set the topic's compression.type from `producer` to `zstd` with kubectl
    edit. Producers still send gzip; the broker recompresses to zstd. The Java archiver decodes zstd; sessionizer
    (Python, kafka-python, image without the zstandard package) hits the first zstd batch and raises
    UnsupportedCodecError on every poll. Its lag climbs. Red herring: the dashboards-api rollout in analytics.
    """
    chg = AT8 - timedelta(minutes=29)
    stall = chg + timedelta(minutes=3)
    inc = start(sessionizer_lag_alert, "sessionizer consumer lag", AT8, 4808, ("kafka", "analytics"))
    custom(inc, "KafkaTopic", "kafka.strimzi.io/v1beta2", "kafkatopics", "kafka", "clickstream-v2",
           {"partitions": 24, "replicas": 3, "config": {"retention.ms": "259200000", "compression.type": "zstd",
                                                        "min.insync.replicas": "2", "segment.bytes": "536870912"}},
           {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(chg + timedelta(seconds=4))}],
            "observedGeneration": 7, "topicName": "clickstream-v2"},
           "kubectl-edit", chg, {"f:spec": {"f:config": {"f:compression.type": {}}}},
           labels={"strimzi.io/cluster": "events"})
    trace = "\n".join([
        "Traceback (most recent call last):",
        '  File "/app/sessionizer/consumer.py", line 88, in run',
        "    batch = self._consumer.poll(timeout_ms=1000, max_records=500)",
        '  File "/usr/local/lib/python3.11/site-packages/kafka/consumer/group.py", line 655, in poll',
        "    records = self._poll_once(timeout_ms, max_records, update_offsets=update_offsets)",
        '  File "/usr/local/lib/python3.11/site-packages/kafka/consumer/fetcher.py", line 475, in '
        "_unpack_message_set",
        "    for record in batch:",
        '  File "/usr/local/lib/python3.11/site-packages/kafka/record/default_records.py", line 276, in __iter__',
        "    self._maybe_uncompress()",
        '  File "/usr/local/lib/python3.11/site-packages/kafka/record/default_records.py", line 183, in '
        "_maybe_uncompress",
        "    self._assert_has_codec(compression_type)",
        '  File "/usr/local/lib/python3.11/site-packages/kafka/record/default_records.py", line 118, in '
        "_assert_has_codec",
        "    raise UnsupportedCodecError(",
        "kafka.errors.UnsupportedCodecError: UnsupportedCodecError: Libraries for zstd compression codec not "
        "found"])

    def session(i: int, t: datetime) -> str:
        if t < stall:
            return L.pylog(t, "INFO", "sessionizer.consumer",
                           f"committed batch: {420 + i % 80} events, {31 + i % 9} sessions closed")
        return L.pylog(t, "ERROR", "sessionizer.consumer", "poll failed, retrying in 5s\n" + trace)

    service(inc, "analytics", "sessionizer", steady(session, 10), replicas=2, version="2.2.1")

    def archiver(i: int, t: datetime) -> str:
        return L.spring(t, "INFO", "c.a.analytics.archive.BatchWriter",
                        f"wrote {9000 + i % 700} records to s3://clickstream-archive/dt={t:%Y-%m-%d}/",
                        "archive-consumer-0")

    service(inc, "analytics", "clickstream-archiver", steady(archiver, 30), replicas=2, version="3.0.4")
    herring(inc, "analytics", "dashboards-api", f"{REGISTRY}/analytics/dashboards-api", "6.1.0", "6.2.0",
            AT8 - timedelta(minutes=47))
    plant(inc, "analytics", "sessionizer-sasl", "password", "sessionizer-sasl", "sasl.password")
    for group, broken in (("sessionizer", True), ("clickstream-archiver", False)):
        gauge(inc, "kafka_consumergroup_lag", "Current approximate lag of a consumer group at topic/partition.",
              {"consumergroup": group, "topic": "clickstream-v2", "namespace": "kafka", "job": "kafka-exporter"},
              (lambda t: 800.0 if t < stall else round(800 + (t - stall).total_seconds() * 410))
              if broken else const(650.0))
    tally(inc, "kafka_server_brokertopicmetrics_bytesin_total", "Incoming byte rate.",
          {"topic": "clickstream-v2", "namespace": "kafka"}, counter(AT8 - timedelta(hours=2), 2.1e6, 2.1e6, chg))
    tally(inc, "sessionizer_sessions_closed_total", "Sessions closed and emitted.", {"namespace": "analytics"},
          counter(AT8 - timedelta(hours=2), 3.4, 0.0, stall))
    send(inc, [alert(inc, "KafkaConsumerGroupLag", {"namespace": "analytics", "consumergroup": "sessionizer",
                                                    "topic": "clickstream-v2", "team": "analytics"},
                     "sessionizer is 500k records behind on clickstream-v2",
                     "Consumer group sessionizer lag has been above 100000 records for 10 minutes and rising.",
                     'sum by (consumergroup, topic) (kafka_consumergroup_lag{consumergroup="sessionizer"}) > 100000')],
         group=["alertname", "namespace"])
    inc.answer_key(culprit=("KafkaTopic", "kafka", "clickstream-v2"),
                   keywords=["compression.type", "zstd", "UnsupportedCodecError"],
                   root_cause="the clickstream-v2 KafkaTopic's compression.type was changed to zstd, so the broker "
                              "recompresses batches with zstd; sessionizer's kafka-python has no zstd codec and "
                              "fails every poll with UnsupportedCodecError, so its lag grows",
                   category="topic-recompression-codec-missing-in-consumer",
                   red_herrings=[("Deployment", "analytics", "dashboards-api")])
    return inc


# ---- 9: the sunset API version's route removed from the Ingress ---------------------------------------
AT9 = datetime(2026, 12, 6, 8, 5, tzinfo=UTC)


def statement_sync_question() -> Incident:
    """The accounts Ingress is re-applied without the `/v1` path after its sunset date: an old client gets 404.

    after: public notes on API version sunsets, where the deprecated version's route was removed at the gateway on
    schedule while one forgotten integration still called it and had been logging the Sunset warnings for weeks.

    accounts-api announced the v1 sunset (Deprecation and Sunset headers since November). The chart's next release
    drops the `/v1` path from the Ingress. statement-sync still lists statements on `/v1/statements`; ingress-nginx
    now sends those requests to its default backend (404). Red herring: the ledger-writer rollout in ledger-sync.
    """
    chg = AT9 - timedelta(minutes=26)
    inc = start(statement_sync_question, "statement-sync question", AT9, 4809, ("accounts", "ledger-sync"))
    host = "api.internal.example.com"

    def path(p: str, svc: str) -> dict[str, Any]:
        return {"path": p, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}}

    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "accounts-api", "namespace": "accounts", "generation": 9,
                                "labels": {"app.kubernetes.io/managed-by": "Helm",
                                           "helm.sh/chart": "accounts-api-6.0.0"},
                                "annotations": {"meta.helm.sh/release-name": "accounts-api",
                                                "meta.helm.sh/release-namespace": "accounts",
                                                "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
                   "spec": {"ingressClassName": "nginx",
                            "tls": [{"hosts": [host], "secretName": "api-internal-tls"}],
                            "rules": [{"host": host, "http": {"paths": [path("/v2", "accounts-api")]}}]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "10.0.12.40"}]}}})
    changed(ing, ("helm", "Update", chg, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}},
                                          "f:spec": {"f:rules": {}}}))

    def api(i: int, t: datetime) -> str:
        if t < chg and i % 3 == 0:
            return L.js(t, "warn", "deprecated API version called", route="GET /v1/statements",
                        client="statement-sync/1.8.2", sunset="Tue, 01 Dec 2026 00:00:00 GMT")
        return L.js(t, "info", "request", route="GET /v2/accounts/{id}", status=200, duration_ms=12 + i % 30)

    service(inc, "accounts", "accounts-api", steady(api, 15), replicas=2, version="6.0.0")

    def sync(i: int, t: datetime) -> str:
        url = f"https://{host}/v1/statements?since=2026-12-0{5 if t.hour < 9 else 6}T00:00:00Z&page={1 + i % 3}"
        if t < chg:
            if i % 4 == 0:
                return L.pylog(t, "WARNING", "statement_sync.client",
                               "server marks /v1/statements deprecated (Deprecation: true, Sunset: Tue, 01 Dec 2026 "
                               "00:00:00 GMT)")
            return L.pylog(t, "INFO", "statement_sync.worker", f"synced {12 + i % 20} statements")
        return "\n".join([L.pylog(t, "ERROR", "statement_sync.worker", "sync cycle failed"),
                          "Traceback (most recent call last):",
                          '  File "/app/statement_sync/worker.py", line 54, in cycle',
                          "    resp.raise_for_status()",
                          '  File "/usr/local/lib/python3.12/site-packages/requests/models.py", line 1024, in '
                          "raise_for_status",
                          "    raise HTTPError(http_error_msg, response=self)",
                          f"requests.exceptions.HTTPError: 404 Client Error: Not Found for url: {url}"])

    service(inc, "ledger-sync", "statement-sync", steady(sync, 30), replicas=1, version="1.8.2")
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        def access(pod: str, s: datetime, e: datetime) -> Lines:
            def tick(i: int, t: datetime) -> str:
                if i % 2:
                    return L.nginx_access(t, "10.42.2.31", "GET /v2/accounts/ac_" + str(5000 + i), 200, 812,
                                          "accounts-accounts-api-80", "10.42.1.14:8080 200", 0.014)
                if t < chg:
                    return L.nginx_access(t, "10.42.3.8", "GET /v1/statements?page=1", 200, 20411,
                                          "accounts-accounts-api-80", "10.42.1.14:8080 200", 0.081,
                                          ua="python-requests/2.32.3")
                return L.nginx_access(t, "10.42.3.8", "GET /v1/statements?page=1", 404, 146,
                                      "upstream-default-backend", "127.0.0.1:8181 404", 0.001,
                                      ua="python-requests/2.32.3")
            return every(s, e, 30, tick)
        h.logs["ingress-nginx-controller"] = within(access)(h.name, max(h.created, AT9 - timedelta(hours=3)),
                                                            inc.captured)
    herring(inc, "ledger-sync", "ledger-writer", f"{REGISTRY}/ledger-sync/ledger-writer", "4.0.1", "4.1.0",
            AT9 - timedelta(minutes=51))
    plant(inc, "ledger-sync", "statement-sync-client", "token", "statement-sync", "CLIENT_SECRET")
    begin_ = AT9 - timedelta(hours=2)
    for status, before, after in (("200", 0.4, 0.0), ("404", 0.0, 0.4)):
        tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
              {"namespace": "accounts", "ingress": "accounts-api" if status == "200" else "",
               "host": host, "status": status, "path": "/v1" if status == "200" else ""},
              counter(begin_, before, after, chg))
    tally(inc, "statement_sync_statements_total", "Statements synced.", {"namespace": "ledger-sync"},
          counter(begin_, 0.7, 0.0, chg))
    inc.ask("statement-sync hasn't synced a single statement since about 07:40 and keeps logging errors. What broke?")
    inc.answer_key(culprit=("Ingress", "accounts", "accounts-api"),
                   keywords=["/v1", "Ingress", "Sunset"],
                   root_cause="the accounts-api chart release removed the sunset /v1 path from the Ingress; "
                              "statement-sync still calls /v1/statements, which ingress-nginx now sends to the "
                              "default backend, so every sync cycle fails with 404",
                   category="sunset-api-version-route-removed-at-gateway",
                   red_herrings=[("Deployment", "ledger-sync", "ledger-writer")])
    return inc


# ---- 10: an SDK major that stops auto-paginating --------------------------------------------------
AT10 = datetime(2026, 12, 6, 7, 10, tzinfo=UTC)


def unpaid_merchants_alert() -> Incident:
    """The payouts CronJob moves to acmepay SDK 5, whose `list()` returns one page: 100 of ~2,300 merchants paid.

    after: public upgrade notes and issue threads for client SDKs whose new major stopped iterating all pages by
    default (a list call now returns the first page and a cursor), silently truncating batch jobs.

    Helm bumped the CronJob's job template to merchant-payouts 3.0.0 last evening (SDK 4.x -> 5.0). This
    morning's run listed payable balances once, got the first page of 100, paid those and exited 0. The job
    "succeeded"; the reconciler finds 2,200 merchants due and unpaid (simple: the run's own log says how many it
    fetched). Red herring: the payout-reconciler rollout yesterday.
    """
    chg = AT10 - timedelta(hours=15)
    inc = start(unpaid_merchants_alert, "unpaid merchants after payout run", AT10, 4810, ("payouts",))
    ns = "payouts"

    def template(version: str) -> dict[str, Any]:
        return {"spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "merchant-payouts", "image": f"{REGISTRY}/payouts/merchant-payouts:{version}",
             "args": ["run", "--window=daily"],
             "envFrom": [{"secretRef": {"name": "payouts-psp"}}]}]}}}}

    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "merchant-payouts", "namespace": ns, "generation": 5,
                                 "annotations": {"meta.helm.sh/release-name": "payouts",
                                                 "meta.helm.sh/release-namespace": ns}},
                    "spec": {"schedule": "0 6 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "suspend": False,
                             "jobTemplate": template("3.0.0")},
                    "status": {"lastScheduleTime": ts(AT10.replace(hour=6, minute=0)),
                               "lastSuccessfulTime": ts(AT10.replace(hour=6, minute=3, second=12))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {
                "f:containers": {}}}}}}}),
            ("kube-controller-manager", "Update", AT10.replace(hour=6, minute=3, second=12),
             {"f:status": {"f:lastScheduleTime": {}, "f:lastSuccessfulTime": {}}}))
    cron["metadata"]["managedFields"][-1]["subresource"] = "status"

    def run(day: datetime, version: str, logs: Lines, seconds: int) -> None:
        at = day.replace(hour=6, minute=0, second=0)
        name = f"merchant-payouts-{int(at.timestamp() // 60)}"
        done = at + timedelta(seconds=seconds)
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                                    "labels": {"job-name": name},
                                    "ownerReferences": [o.owner_ref("CronJob", "merchant-payouts", ns)]},
                       "spec": {**template(version)["spec"], "completions": 1, "parallelism": 1},
                       "status": {"startTime": ts(at), "completionTime": ts(done), "succeeded": 1, "ready": 0,
                                  "conditions": [{"type": "SuccessCriteriaMet", "status": "True",
                                                  "lastTransitionTime": ts(done)},
                                                 {"type": "Complete", "status": "True",
                                                  "lastTransitionTime": ts(done)}]}})
        pod = f"{name}-{o.suffix(name, 5)}"
        box = c("merchant-payouts", f"{REGISTRY}/payouts/merchant-payouts:{version}", port=None,
                readiness_path=None, liveness_path=None)
        h = PodHistory(name=pod, namespace=ns, workload=name, containers=[box], node=inc.cluster.pick_node(pod),
                       created=at, states=[o.ContainerState(started_at=at + timedelta(seconds=4), ready=False)],
                       labels={"job-name": name, "batch.kubernetes.io/job-name": name},
                       owner=o.owner_ref("Job", name, ns))
        h.ready = lambda t: False
        h.logs["merchant-payouts"] = L.lines(logs)
        inc.cluster.patch(ns, pod, terminated(0, "Completed", at + timedelta(seconds=4), done, phase="Succeeded"))
        inc.cluster.add_pod(h)
        inc.event(job, "SuccessfulCreate", f"Created pod: {pod}", at, warning=False, component="job-controller")
        inc.event(job, "Completed", "Job completed", done, warning=False, component="job-controller")
        inc.event(cron, "SawCompletedJob", f"Saw completed job: {name}, condition: Complete", done, warning=False,
                  component="cronjob-controller")

    day1 = AT10 - timedelta(days=1)
    t0 = day1.replace(hour=6, minute=0, second=5)
    old = [(t0, L.pylog(t0, "INFO", "payouts.main", "merchant-payouts 2.8.1 (acmepay 4.12.0) window=daily"))]
    old += [(t0 + timedelta(seconds=3 + p), L.pylog(t0 + timedelta(seconds=3 + p), "INFO", "payouts.fetch",
                                                    f"balances page {p + 1}: 100 items"))
            for p in range(23)]
    old += [(t0 + timedelta(seconds=27), L.pylog(t0, "INFO", "payouts.fetch", "balances page 24: 18 items")),
            (t0 + timedelta(seconds=29), L.pylog(t0, "INFO", "payouts.main", "payable merchants: 2318")),
            (t0 + timedelta(seconds=241), L.pylog(t0, "INFO", "payouts.main",
                                                  "paid 2318 merchants, total EUR 9,412,118.40; 0 failures"))]
    run(day1, "2.8.1", old, 245)
    t1 = AT10.replace(hour=6, minute=0, second=5)
    new = [(t1, L.pylog(t1, "INFO", "payouts.main", "merchant-payouts 3.0.0 (acmepay 5.0.1) window=daily")),
           (t1 + timedelta(seconds=3), L.pylog(t1 + timedelta(seconds=3), "INFO", "payouts.fetch",
                                               "balances: 100 items (has_more=True)")),
           (t1 + timedelta(seconds=4), L.pylog(t1 + timedelta(seconds=4), "INFO", "payouts.main",
                                               "payable merchants: 100")),
           (t1 + timedelta(seconds=16), L.pylog(t1 + timedelta(seconds=16), "INFO", "payouts.main",
                                                "paid 100 merchants, total EUR 402,871.02; 0 failures"))]
    run(AT10, "3.0.0", new, 20)

    def reconciler(i: int, t: datetime) -> str:
        if t < AT10 - timedelta(minutes=10):
            return zap(t, "info", "reconcile/daily.go:77", "waiting for payout window to close", window="daily")
        return zap(t, "warn", "reconcile/daily.go:131", "merchants due but unpaid", due=2331, paid=100,
                   unpaid=2231, window=AT10.strftime("%Y-%m-%d"))

    old_r = c("payout-reconciler", f"{REGISTRY}/payouts/payout-reconciler:1.11.0")
    new_r = c("payout-reconciler", f"{REGISTRY}/payouts/payout-reconciler:1.12.0")
    rolled(inc, ns, "payout-reconciler", old_r, new_r, AT10 - timedelta(hours=20), steady(reconciler, 60), 1)
    plant(inc, ns, "payouts-psp", "stripe", "payouts", "ACMEPAY_API_KEY")
    gauge(inc, "payouts_unpaid_merchants", "Merchants with a due balance and no payout in the window.",
          {"namespace": ns, "service": "payout-reconciler"},
          lambda t: 0.0 if t < AT10 - timedelta(minutes=10) else 2231.0)
    gauge(inc, "payouts_last_run_merchants_paid", "Merchants paid by the last payout run (pushgateway).",
          {"namespace": ns, "job": "pushgateway", "exported_job": "payout-run"},
          step(2318.0, 100.0, AT10.replace(hour=6, minute=0, second=20)))
    send(inc, [alert(inc, "PayoutsUnpaidMerchants", {"namespace": ns, "service": "payout-reconciler",
                                                     "team": "payouts"},
                     "2231 merchants due but unpaid after the daily payout window",
                     "payout-reconciler reports merchants with a due balance and no payout an hour after the run.",
                     'payouts_unpaid_merchants{namespace="payouts"} > 50', severity="critical")],
         group=["alertname", "namespace"])
    inc.answer_key(culprit=("CronJob", "payouts", "merchant-payouts"),
                   keywords=["acmepay SDK 5", "first page", "has_more"],
                   root_cause="the merchant-payouts CronJob was moved to 3.0.0 with acmepay SDK 5, whose list call "
                              "returns only the first page (has_more=True) instead of iterating; the run paid 100 of "
                              "about 2,300 merchants and exited successfully",
                   category="sdk-major-stops-auto-pagination",
                   red_herrings=[("Deployment", ns, "payout-reconciler")])
    return inc


# ---- 11: SCRAM after a database upgrade, a legacy driver ------------------------------------------
AT11 = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)


def bi_dashboards_page() -> Incident:
    """warehouse-pg StatefulSet revision upgrades Postgres 13 -> 16 with scram-sha-256: an old pgjdbc cannot log in.

    after: the many upgrade threads where Postgres 14+'s SCRAM default (password_encryption and pg_hba
    scram-sha-256) met an application bundling a JDBC driver too old to speak SASL ("authentication type 10").

    The data team rolled warehouse-pg to a revision with postgres 16.6 (a pg_upgrade init container) and host auth
    scram-sha-256; passwords were re-set, so they are stored as SCRAM verifiers. The Go loaders and Python
    notebooks connect fine. report-builder bundles pgjdbc 42.1.4, which cannot answer the SASL request, so every
    dashboard query fails. Red herring: the bi-frontend rollout.
    """
    chg = AT11 - timedelta(minutes=50)
    inc = start(bi_dashboards_page, "BI dashboards failing", AT11, 4811, ("warehouse", "bi"))
    old = tmpl("warehouse-pg", "docker.io/library/postgres:13.16", env={"POSTGRES_HOST_AUTH_METHOD": "md5",
                                                                         "PGDATA": "/var/lib/postgresql/data/pgdata"})
    new = tmpl("warehouse-pg", "docker.io/library/postgres:16.6",
               args=["-c", "password_encryption=scram-sha-256"],
               env={"POSTGRES_HOST_AUTH_METHOD": "scram-sha-256", "PGDATA": "/var/lib/postgresql/data/pgdata"})
    new["spec"]["initContainers"] = [{"name": "pg-upgrade", "image": "docker.io/tianon/postgres-upgrade:13-to-16",
                                      "args": ["--link"]}]

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        head = [(s, L.postgres(s, "LOG", "starting PostgreSQL 16.6 (Debian 16.6-1.pgdg120+1) on x86_64-pc-linux-gnu, "
                               "compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit")),
                (s + timedelta(milliseconds=300), L.postgres(s + timedelta(milliseconds=300), "LOG",
                                                             'listening on IPv4 address "0.0.0.0", port 5432')),
                (s + timedelta(seconds=1), L.postgres(s, "LOG", "database system is ready to accept connections"))]

        def tick(i: int, t: datetime) -> str | None:
            if i % 2:
                return L.postgres(t, "FATAL", "expected SASL response, got message type 88", pid=400 + i)
            if i % 6 == 0:
                return L.postgres(t, "LOG", f"checkpoint complete: wrote {300 + i} buffers (1.8%); 0 WAL file(s) "
                                  "added, 0 removed, 1 recycled", pid=31)
            return None
        return head + every(s + timedelta(seconds=30), e, 20, tick)

    sts = inc.statefulset("warehouse", "warehouse-pg",
                          [c("warehouse-pg", "docker.io/library/postgres:16.6", port=5432, readiness_path=None,
                             liveness_path=None, memory_limit="16Gi")],
                          [P(log=within(pg))], chg, claims=[("data", "500Gi", "gp3")], service=5432)
    sts.obj["spec"]["template"] = new
    sts.obj["metadata"]["generation"] = 4
    sts.obj["status"]["observedGeneration"] = 4
    revision(inc, "StatefulSet", "warehouse", "warehouse-pg", 1, inc.born + timedelta(days=3), old)
    rev2 = revision(inc, "StatefulSet", "warehouse", "warehouse-pg", 2, chg - timedelta(minutes=1), new)
    sts.obj["status"]["currentRevision"] = sts.obj["status"]["updateRevision"] = rev2
    for h in sts.pods:
        h.labels["controller-revision-hash"] = rev2

    def report(i: int, t: datetime) -> str:
        if t < chg + timedelta(minutes=3):
            return L.spring(t, "INFO", "c.a.bi.reports.ReportService", f"rendered dashboard {i % 40} in "
                            f"{300 + i % 700} ms", f"http-nio-8080-exec-{1 + i % 8}")
        return "\n".join([
            L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                     "Servlet.service() for servlet [dispatcherServlet] threw exception",
                     f"http-nio-8080-exec-{1 + i % 8}"),
            "org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection; nested "
            "exception is org.postgresql.util.PSQLException: The authentication type 10 is not supported. Check "
            "that you have configured the pg_hba.conf file to include the client's IP address or subnet, and that "
            "it is using an authentication scheme supported by the driver.",
            "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:614)",
            "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:222)",
            "\tat org.postgresql.Driver.connect(Driver.java:254)"])

    service(inc, "bi", "report-builder", steady(report, 10), replicas=2, version="2.9.7")

    def loader(i: int, t: datetime) -> str:
        return L.logfmt(t, "info", "batch loaded", table="fact_orders", rows=1200 + i % 300, took=f"{1 + i % 4}s")

    service(inc, "warehouse", "etl-loader", steady(loader, 60), replicas=1, version="3.4.0")
    herring(inc, "bi", "bi-frontend", f"{REGISTRY}/bi/bi-frontend", "5.0.2", "5.1.0", AT11 - timedelta(minutes=70))
    plant(inc, "bi", "report-builder-db", "password", "report-builder-db", "password")
    begin_ = AT11 - timedelta(hours=2)
    for status, before, after in (("200", 2.0, 0.1), ("500", 0.0, 1.9)):
        tally(inc, "http_server_requests_seconds_count", "Duration of HTTP server request handling",
              {"namespace": "bi", "application": "report-builder", "uri": "/dashboards/{id}", "status": status},
              counter(begin_, before, after, chg + timedelta(minutes=3)))
    gauge(inc, "pg_stat_database_numbackends", "Number of backends currently connected to this database.",
          {"namespace": "warehouse", "datname": "warehouse", "job": "postgres-exporter"},
          step(38.0, 21.0, chg + timedelta(minutes=3)))
    inc.pagerduty("BI dashboards: report-builder returning 500 for 95% of dashboard loads", "BI Reporting")
    inc.answer_key(culprit=("StatefulSet", "warehouse", "warehouse-pg"),
                   keywords=["scram-sha-256", "authentication type 10", "pgjdbc"],
                   root_cause="warehouse-pg was upgraded to Postgres 16 with scram-sha-256 authentication; "
                              "report-builder's bundled pgjdbc 42.1.4 cannot do SASL (authentication type 10), so "
                              "every dashboard query fails to get a connection",
                   category="database-scram-upgrade-legacy-driver",
                   red_herrings=[("Deployment", "bi", "bi-frontend")])
    return inc


# ---- 12: an HTTP client whose default timeout is 5 s ---------------------------------------------
AT12 = datetime(2026, 12, 5, 13, 10, tzinfo=UTC)


def quote_service_errors() -> Incident:
    """quote-service 2.0.0 moves to httpx, whose default timeout is 5 s: slow underwriting calls fail (simple).

    after: migration notes and issue threads where moving from a client with no default timeout to one with a
    short default (httpx's five seconds) turned slow-but-successful upstream calls into timeouts.

    The release rewrote the underwriting client with httpx and passed no timeout. underwriting-engine answers in
    1-9 s (p95 about 7 s, unchanged for weeks); every call past five seconds now raises ReadTimeout and the quote
    is answered 502. Red herring: the policy-admin rollout in insurance.
    """
    chg = AT12 - timedelta(minutes=22)
    inc = start(quote_service_errors, "quote-service errors", AT12, 4812, ("insurance",))
    trace = "\n".join([
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 72, in '
        "map_httpcore_exceptions",
        "    yield",
        '  File "/usr/local/lib/python3.12/site-packages/httpcore/_backends/anyio.py", line 32, in read',
        "    with map_exceptions(exc_map):",
        "httpcore.ReadTimeout",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "/app/quotes/underwriting.py", line 41, in price',
        '    resp = await self._client.post("/v1/price", json=payload)',
        '  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 86, in '
        "map_httpcore_exceptions",
        "    raise mapped_exc(message) from exc",
        "httpx.ReadTimeout"])

    def quotes(pod: str, s: datetime, e: datetime) -> Lines:
        head = [(s, L.pylog(s, "INFO", "uvicorn.error", "Started server process [1]")),
                (s, L.pylog(s, "INFO", "quotes.app", "quote-service 2.0.0 starting; underwriting client httpx "
                                                    "0.27.2 base_url=http://underwriting-engine.insurance")),
                (s + timedelta(seconds=1), L.pylog(s, "INFO", "uvicorn.error",
                                                   "Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"))]

        def tick(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.pylog(t, "ERROR", "quotes.api", f"underwriting call failed after 5.00s "
                               f"(quote q_{88000 + i}); answering 502\n" + trace)
            return L.pylog(t, "INFO", "uvicorn.access", f'10.42.2.{10 + i % 40}:0 - "POST /quotes HTTP/1.1" 200')
        return head + every(s + timedelta(seconds=4), e, 8, tick)

    old = c("quote-service", f"{REGISTRY}/insurance/quote-service:1.14.3",
            env=[{"name": "UNDERWRITING_URL", "value": "http://underwriting-engine.insurance"}])
    new = c("quote-service", f"{REGISTRY}/insurance/quote-service:2.0.0",
            env=[{"name": "UNDERWRITING_URL", "value": "http://underwriting-engine.insurance"}])
    rolled(inc, "insurance", "quote-service", old, new, chg, quotes, replicas=3)

    def engine(i: int, t: datetime) -> str:
        took = [1.2, 2.8, 6.4, 3.1, 7.9, 1.9, 5.6, 8.7, 2.2][i % 9]
        return L.logfmt(t, "info", "priced", product="motor", factors=31 + i % 12, took=f"{took}s")

    service(inc, "insurance", "underwriting-engine", steady(engine, 6), replicas=3, version="11.2.0")
    herring(inc, "insurance", "policy-admin", f"{REGISTRY}/insurance/policy-admin", "8.3.1", "8.4.0",
            AT12 - timedelta(minutes=49))
    plant(inc, "insurance", "quote-service-rating", "aws", "quote-service", "AWS_ACCESS_KEY_ID")
    begin_ = AT12 - timedelta(hours=2)
    for code, before, after in (("200", 3.0, 2.0), ("502", 0.0, 1.0)):
        tally(inc, "http_requests_total", "Quote requests by status.",
              {"namespace": "insurance", "service": "quote-service", "handler": "/quotes", "code": code},
              counter(begin_, before, after, chg))
    for q, v in (("0.5", 2.9), ("0.95", 7.1), ("0.99", 8.8)):
        gauge(inc, "underwriting_price_duration_seconds", "Time to price a quote request.",
              {"namespace": "insurance", "service": "underwriting-engine", "quantile": q}, const(v))
    send(inc, [alert(inc, "QuoteServiceHighErrorRate", {"namespace": "insurance", "service": "quote-service",
                                                        "team": "insurance"},
                     "quote-service: 33% of quote requests answered 502",
                     "More than 5% of POST /quotes requests failed over the last 10 minutes.",
                     'sum(rate(http_requests_total{service="quote-service",code=~"5.."}[10m])) / '
                     'sum(rate(http_requests_total{service="quote-service"}[10m])) > 0.05', severity="critical")],
         group=["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "insurance", "quote-service"),
                   keywords=["httpx", "ReadTimeout", "default timeout"],
                   root_cause="quote-service 2.0.0 replaced requests with httpx without setting a timeout; httpx's "
                              "default timeout (5 seconds) cuts off underwriting-engine calls that take 5-9 s, "
                              "so a third of quotes fail with ReadTimeout and 502",
                   category="http-client-default-timeout-shorter-than-upstream",
                   red_herrings=[("Deployment", "insurance", "policy-admin")])
    return inc


ALL = [mobile_home_errors_page, order_history_alerts_grouped, document_uploads_burn, admin_console_bad_requests,
       telemetry_gap_question_host, claims_api_crashloop, duplicate_captures_page, sessionizer_lag_alert,
       statement_sync_question, unpaid_merchants_alert, bi_dashboards_page, quote_service_errors]
