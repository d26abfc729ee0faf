"""Round 24 of the held-out incident set: service-to-service contracts and application runtimes.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem or everyday production failure it re-creates (our own names and text, nothing copied).
Most pages land on a caller while the change sits in a callee, a shared agent or a shared config
object; about a third are simple (the cause in the failing object's own spec, events or logs). Log
lines follow the real software's formats (Java/Kafka Connect, pino JSON, Go `log`, logfmt, Python
tracebacks, uvicorn, Spring Kafka, Traefik JSON access logs, Envoy access logs, grpc-java).
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
from corpus.kit import Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted; a long run
    keeps its last three hours (what the kubelet's rotated log still holds of a chatty service)."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, max(start, end - timedelta(hours=3)), end)
                                                  if start <= x[0] <= end))


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


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def crd(inc: Incident, group: str, version: str, kind: str, plural: str, scope: str = "Namespaced",
        columns: list[dict[str, Any]] | None = None) -> None:
    """A CustomResourceDefinition as the operator's chart installs it (so its custom resources are served)."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "additionalPrinterColumns": columns or [],
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def http_series(inc: Incident, ns: str, service: str, ok: Series, bad: Series, code: str = "503",
                job: str | None = None) -> None:
    """Request counters as the usual HTTP instrumentation exports them: 2xx and one error code."""
    start = inc.at - timedelta(hours=2)
    for status, rate in (("200", ok), (code, bad)):
        inc.series("http_requests_total", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": job or service, "code": status},
                   _integrate(start, rate), step_s=30)


def _integrate(start: datetime, rate: Series) -> Series:
    """A counter from a per-second rate sampled in 30 s steps (monotonic by construction)."""
    def value(t: datetime) -> float:
        total, cur = 0.0, start
        while cur < t:
            total += rate(cur) * 30
            cur += timedelta(seconds=30)
        return round(total, 1)
    return value


# ---- 1: simple, the StatefulSet's own spec and logs -------------------------------------------------
AT1 = datetime(2026, 11, 30, 8, 41, tzinfo=UTC)


def connect_workers_restarting() -> Incident:
    """jvm-metaspace-cap-below-plugin-class-footprint: a values change caps Kafka Connect's Metaspace at 96m.

    after: JVM services that load many classes (Kafka Connect with a dozen connector plugins, app
    servers) dying with `java.lang.OutOfMemoryError: Metaspace` after someone "tunes" the JVM flags
    with a MaxMetaspaceSize copied from a small service; with ExitOnOutOfMemoryError the worker exits 3
    while scanning plugins, and the StatefulSet crash-loops.

    A platform values clean-up (helm, 40 minutes before the page) adds `-XX:MaxMetaspaceSize=96m` to
    KAFKA_JVM_PERFORMANCE_OPTS of StatefulSet integration/kafka-connect. Every worker now runs out of
    Metaspace while loading its connector plugins and exits. The UI Deployment rolled out the same
    morning and is unrelated.
    """
    inc = Incident("connect-workers-restarting", title="kafka-connect pods keep restarting",
                   story=connect_workers_restarting.__doc__ or "", at=AT1, seed=2401, namespaces=("integration",))
    changed_at = AT1 - timedelta(minutes=40)
    opts = "-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:MaxMetaspaceSize=96m -XX:+ExitOnOutOfMemoryError"
    plugins = ["debezium-connector-postgres", "kafka-connect-s3", "kafka-connect-jdbc", "kafka-connect-elasticsearch",
               "kafka-connect-http", "debezium-connector-mysql", "kafka-connect-avro-converter"]

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, f"[{start:%Y-%m-%d %H:%M:%S},020] INFO Kafka Connect worker initializing ... "
                              "(org.apache.kafka.connect.cli.ConnectDistributed)")]
        out.append((start + timedelta(milliseconds=300), f"[{start:%Y-%m-%d %H:%M:%S},301] INFO WorkerInfo values: "
                    f"\tjvm.args = -Xms1g, -Xmx1g, {', '.join(opts.split())} "
                    "(org.apache.kafka.connect.runtime.WorkerInfo)"))
        for i, p in enumerate(plugins):
            t = start + timedelta(seconds=1 + i * 1.5)
            out.append((t, f"[{t:%Y-%m-%d %H:%M:%S},{100 + i:03d}] INFO Loading plugin from: "
                        f"/usr/share/confluent-hub-components/{p} (org.apache.kafka.connect.runtime.isolation."
                        "DelegatingClassLoader)"))
        t = start + timedelta(seconds=12)
        out.append((t, "Terminating due to java.lang.OutOfMemoryError: Metaspace"))
        return out

    wl = inc.statefulset("integration", "kafka-connect", [c("kafka-connect", "confluentinc/cp-kafka-connect:7.6.1",
                                                           memory_limit="2Gi", memory_request="1536Mi",
                                                           env=[{"name": "KAFKA_HEAP_OPTS", "value": "-Xms1g -Xmx1g"},
                                                                {"name": "KAFKA_JVM_PERFORMANCE_OPTS", "value": opts},
                                                                {"name": "CONNECT_BOOTSTRAP_SERVERS",
                                                                 "value": "kafka-bootstrap.kafka:9092"}])],
                          [P("crashloop", log=within(log), exit_code=3, run_s=lambda n: 13.0,
                             created=changed_at + timedelta(seconds=30 + 40 * i)) for i in range(3)],
                          inc.born, service=8083)
    changed(wl.obj, ("helm", "Update", changed_at,
                     {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"kafka-connect"}': {
                         "f:env": {'k:{"name":"KAFKA_JVM_PERFORMANCE_OPTS"}': {".": {}, "f:value": {}}}}}}}}}))
    wl.obj["metadata"]["annotations"] = {"meta.helm.sh/release-name": "kafka-connect"}
    herring(inc, "integration", "connect-ui", "registry.example.com/integration/connect-ui", "2.4.0",
            AT1 - timedelta(hours=2, minutes=10))
    plant(inc, "integration", "connect-sasl", "password", "connect-sasl", "sasl-password")
    inc.pod_series(wl.pods)
    inc.alertmanager("KubePodCrashLooping", {"namespace": "integration", "pod": "kafka-connect-0",
                                             "container": "kafka-connect", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     "Pod integration/kafka-connect-0 (kafka-connect) is in waiting state "
                     "(reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",'
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("StatefulSet", "integration", "kafka-connect"),
                   keywords=["Metaspace", "MaxMetaspaceSize", "OutOfMemoryError", "96m"],
                   root_cause="A helm values change added -XX:MaxMetaspaceSize=96m to kafka-connect's JVM options "
                              "(StatefulSet integration/kafka-connect); loading the connector plugins needs more "
                              "Metaspace, so every worker dies with java.lang.OutOfMemoryError: Metaspace and "
                              "crash-loops.",
                   category="jvm-metaspace-cap-below-plugin-class-footprint",
                   red_herrings=[("Deployment", "integration", "connect-ui")])
    return inc


# ---- 2: simple, the Deployment's own revision (chat, workload only) -------------------------------
AT2 = datetime(2026, 11, 30, 11, 5, tzinfo=UTC)


def thumbnail_latency_question() -> Incident:
    """libuv-threadpool-size-one-serializes-image-work: a right-sizing change sets UV_THREADPOOL_SIZE=1.

    after: Node.js services whose heavy work runs on libuv's worker pool (sharp/libvips, zlib, crypto,
    fs, dns.lookup) slowing to a crawl when the pool is shrunk: the event loop stays idle (low lag)
    while every resize waits in the pool's queue; a common "match threads to CPUs" tuning mistake.

    Revision 6 of Deployment media/thumbnailer (a CPU right-sizing PR, two hours before) cut the CPU
    request to 500m and set UV_THREADPOOL_SIZE from 16 to 1. sharp queues every resize behind one
    worker thread: p99 goes from 300 ms to 9 s while event-loop lag stays near zero. The upload
    service's rollout the same morning is unrelated.
    """
    inc = Incident("thumbnail-latency-question", title="thumbnails slow since late morning",
                   story=thumbnail_latency_question.__doc__ or "", at=AT2, seed=2402, namespaces=("media",))
    rolled = AT2 - timedelta(hours=2)

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(t: datetime, level: int, msg: str, **kw: Any) -> str:
            return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               **kw, "msg": msg}, separators=(",", ":"))
        out: Lines = [(start + timedelta(seconds=1), line(start, 30, "thumbnailer listening", port=8080,
                                                         sharpConcurrency=1, libvips="8.15.2"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=20), end, 11)):
            wait = 6200 + (i * 377) % 3100
            url = f"/r/w_480/{i * 7919 % 99991}.jpg"
            out.append((t, line(t, 40, "request completed", req={"method": "GET", "url": url},
                                res={"statusCode": 200}, responseTime=wait, queueMs=wait - 180)))
            if i % 9 == 0:
                out.append((t, line(t, 40, "sharp queue backlog", queue=31 + i % 17, process=1)))
        return out

    revs = [Rev(5, inc.born + timedelta(days=20), "helm upgrade",
                [c("thumbnailer", "registry.example.com/media/thumbnailer:3.8.2", cpu_request="2",
                   memory_limit="1Gi", env=[{"name": "UV_THREADPOOL_SIZE", "value": "16"}])]),
            Rev(6, rolled, "helm upgrade",
                [c("thumbnailer", "registry.example.com/media/thumbnailer:3.8.2", cpu_request="500m",
                   memory_limit="1Gi", env=[{"name": "UV_THREADPOOL_SIZE", "value": "1"}])])]
    wl = inc.deployment("media", "thumbnailer", revs, {6: [P(log=within(log)) for _ in range(3)]})
    inc.service("media", "thumbnailer", {"app": "thumbnailer"})
    herring(inc, "media", "media-upload", "registry.example.com/media/media-upload", "5.1.0",
            AT2 - timedelta(hours=1, minutes=20))
    plant(inc, "media", "thumbnailer-s3", "aws-secret", "thumbnailer-s3", "AWS_SECRET_ACCESS_KEY")
    for h in wl.pods:
        base = {"namespace": "media", "pod": h.name, "job": "thumbnailer"}
        inc.series("nodejs_eventloop_lag_seconds", "gauge", "Lag of event loop in seconds.", base,
                   lambda t: 0.003, step_s=30)
    for le, before, after in (("0.5", 0.99, 0.02), ("2.5", 1.0, 0.05), ("10", 1.0, 0.97), ("+Inf", 1.0, 1.0)):
        inc.series("http_request_duration_seconds_bucket", "counter", "Duration of HTTP requests in seconds.",
                   {"namespace": "media", "service": "thumbnailer", "le": le},
                   counter(inc.at - timedelta(hours=2), 40 * before, 40 * after, rolled), step_s=30)
    pods = inc.pods_of("media", "thumbnailer")
    inc.pod_series(pods)
    inc.ask("why are thumbnailer responses taking eight seconds or more since late morning?")
    inc.answer_key(culprit=("Deployment", "media", "thumbnailer"),
                   keywords=["UV_THREADPOOL_SIZE", "libuv", "thread pool", "concurrency"],
                   root_cause="Revision 6 of Deployment media/thumbnailer set UV_THREADPOOL_SIZE=1 (was 16): "
                              "sharp runs resizes on the libuv thread pool, so concurrency drops to one and "
                              "requests queue for seconds while the event loop is idle.",
                   category="libuv-threadpool-size-one-serializes-image-work",
                   red_herrings=[("Deployment", "media", "media-upload")])
    return inc


# ---- 3: simple-ish, the caller's own ConfigMap --------------------------------------------------------
AT3 = datetime(2026, 12, 1, 14, 22, tzinfo=UTC)


def card_auth_errors_page() -> Incident:
    """http-client-keepalives-disabled-ephemeral-port-exhaustion: a Go client's keep-alives turned off.

    after: high-throughput Go (and Java) callers that open one TCP connection per request once
    keep-alives are disabled (DisableKeepAlives, `Connection: close`): sockets pile up in TIME_WAIT on
    the node, the ephemeral port range runs out and dials fail with `connect: cannot assign requested
    address`, a well-known outage pattern behind NAT and in busy pods.

    A hand edit of ConfigMap payments/payment-router-http (70 minutes before the page) sets
    UPSTREAM_DISABLE_KEEPALIVES to "true" "to spread load over new fraud-scoring pods", followed by a
    rollout restart. payment-router now dials fraud-scoring for every authorisation; TIME_WAIT sockets
    climb to ~28k and a third of dials fail. fraud-scoring's own rollout is unrelated.
    """
    inc = Incident("card-auth-errors-page", title="card authorisations failing",
                   story=card_auth_errors_page.__doc__ or "", at=AT3, seed=2403)
    edited = AT3 - timedelta(minutes=70)
    cm = inc.configmap("payments", "payment-router-http",
                       {"UPSTREAM_URL": "http://fraud-scoring.payments.svc:8080", "UPSTREAM_TIMEOUT": "800ms",
                        "UPSTREAM_MAX_IDLE_CONNS_PER_HOST": "64", "UPSTREAM_DISABLE_KEEPALIVES": "true"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {"f:UPSTREAM_URL": {}}}),
            ("kubectl-edit", "Update", edited, {"f:data": {"f:UPSTREAM_DISABLE_KEEPALIVES": {}}}))

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.go_std(start, "payment-router 2.14.1 listening on :8080 "
                                                             "upstream=http://fraud-scoring.payments.svc:8080"))]
        for i, t in enumerate(L.every(start + timedelta(minutes=6), end, 4)):
            if i % 3 == 0:
                port = 8080
                out.append((t, L.go_std(t, f"authorise id={L.uuidish(pod, i)[:18]} err=\"Post \\\"http://fraud-scoring."
                                           f"payments.svc:{port}/v1/score\\\": dial tcp 172.20.0.41:{port}: connect: "
                                           "cannot assign requested address\"")))
            else:
                out.append((t, L.go_std(t, f"authorise id={L.uuidish(pod, i)[:18]} status=approved dur=41ms")))
        return out

    env = [{"name": "PORT", "value": "8080"}]
    revs = [Rev(3, inc.born + timedelta(days=15), "helm upgrade",
                [c("payment-router", "registry.example.com/payments/payment-router:2.14.1", env=env)],
                container={"envFrom": [{"configMapRef": {"name": "payment-router-http"}}]}),
            Rev(4, edited + timedelta(minutes=2), "kubectl rollout restart",
                [c("payment-router", "registry.example.com/payments/payment-router:2.14.1", env=env)],
                container={"envFrom": [{"configMapRef": {"name": "payment-router-http"}}]})]
    wl = inc.deployment("payments", "payment-router", revs, {4: [P(log=within(log)) for _ in range(3)]})
    inc.find("Deployment", "payments", "payment-router")["spec"]["template"]["metadata"].setdefault(
        "annotations", {})["kubectl.kubernetes.io/restartedAt"] = ts(edited + timedelta(minutes=2))
    herring(inc, "payments", "fraud-scoring", "registry.example.com/payments/fraud-scoring", "7.2.0",
            AT3 - timedelta(hours=1, minutes=35))
    inc.service("payments", "fraud-scoring", {"app": "fraud-scoring"})
    plant(inc, "payments", "payment-router-hmac", "token", "payment-router-hmac", "hmac-key")
    for n in sorted({h.node for h in wl.pods}):
        inc.series("node_sockstat_TCP_tw", "gauge", "Number of TCP sockets in state tw.",
                   {"instance": n, "job": "node-exporter"},
                   lambda t: 900.0 if t < edited else min(28200.0, 900 + (t - edited).total_seconds() * 40),
                   step_s=30)
    http_series(inc, "payments", "payment-router", lambda t: 60.0 if t < AT3 - timedelta(minutes=50) else 40.0,
                lambda t: 0.0 if t < AT3 - timedelta(minutes=50) else 20.0, code="502")
    inc.pod_series(wl.pods)
    inc.pagerduty("[FIRING:1] payment-router: card authorisation error rate 33% (threshold 5%)", "payments-oncall")
    inc.answer_key(culprit=("ConfigMap", "payments", "payment-router-http"),
                   keywords=["keep-alive", "TIME_WAIT", "ephemeral port", "cannot assign requested address"],
                   root_cause="A hand edit of ConfigMap payments/payment-router-http set UPSTREAM_DISABLE_KEEPALIVES="
                              "true: payment-router opens a new TCP connection (no keep-alive) per call, sockets "
                              "pile up in TIME_WAIT, the ephemeral port range runs out and dials fail with "
                              "'connect: cannot assign requested address'.",
                   category="http-client-keepalives-disabled-ephemeral-port-exhaustion",
                   red_herrings=[("Deployment", "payments", "fraud-scoring")])
    return inc


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
        **kw: Any) -> Any:
    """A long-running Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


# ---- 4: a callee's release renumbers a protobuf field; the caller rejects orders ------------------
AT4 = datetime(2026, 12, 1, 16, 48, tzinfo=UTC)


def order_rejections_page() -> Incident:
    """protobuf-field-renumbered-callers-read-zero: a .proto clean-up moves available_qty to a new tag.

    after: gRPC/protobuf contract breaks where a provider "tidies" a message and renumbers or reuses
    field tags: old clients still decode the message without an error, but read the moved field as its
    default (0, "", false), so the caller silently makes wrong decisions; protobuf's rule is never to
    change a field's number.

    Deployment inventory/availability-api 4.2.0 (revision 9, 25 minutes before the page) ships a
    regenerated availability.proto in which `available_qty` moved from field 2 to field 5 (field 2 now
    reserved). order-intake, still built against 4.1, reads available_qty as 0 for every SKU and
    rejects orders as out of stock; availability-api itself is healthy. order-history's rollout is
    unrelated.
    """
    inc = Incident("order-rejections-page", title="orders rejected as out of stock",
                   story=order_rejections_page.__doc__ or "", at=AT4, seed=2404, namespaces=("inventory", "orders"))
    rolled = AT4 - timedelta(minutes=25)

    def callee_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.logfmt(start, "info", "starting availability-api",
                                                             version="4.2.0", proto="availability.v1",
                                                             grpc_port=9090))]
        for i, t in enumerate(L.every(start + timedelta(seconds=30), end, 20)):
            out.append((t, L.logfmt(t, "info", "finished unary call", **{"grpc.method": "CheckAvailability",
                                    "grpc.code": "OK", "grpc.time_ms": 3 + i % 5, "skus": 1 + i % 6})))
        return out

    def caller_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=20), end, 9)):
            sku = f"SKU-{(i * 7919) % 90000 + 10000}"
            if t < rolled:
                out.append((t, L.logfmt(t, "info", "order accepted", order=L.uuidish(pod, i)[:13], lines=1 + i % 4)))
            else:
                out.append((t, L.logfmt(t, "warn", "order rejected", order=L.uuidish(pod, i)[:13],
                                        reason="OUT_OF_STOCK",
                                        sku=sku, available_qty=0, requested=1 + i % 3)))
        return out

    revs = [Rev(8, inc.born + timedelta(days=18), "helm upgrade",
                [c("availability-api", "registry.example.com/inventory/availability-api:4.1.3", port=9090)]),
            Rev(9, rolled, "helm upgrade",
                [c("availability-api", "registry.example.com/inventory/availability-api:4.2.0", port=9090)])]
    inc.deployment("inventory", "availability-api", revs, {9: [P(log=within(callee_log)) for _ in range(3)]})
    inc.service("inventory", "availability-api", {"app": "availability-api"}, port=9090, target=9090)
    wl = app(inc, "orders", "order-intake", "registry.example.com/orders/order-intake:6.3.0", 3, within(caller_log),
             env=[{"name": "AVAILABILITY_ADDR", "value": "availability-api.inventory.svc:9090"}])
    herring(inc, "orders", "order-history", "registry.example.com/orders/order-history", "2.9.0",
            AT4 - timedelta(minutes=50))
    plant(inc, "orders", "order-intake-db", "password", "order-intake-db", "password")
    start = inc.at - timedelta(hours=2)
    for reason, before, after in (("accepted", 12.0, 0.3), ("out_of_stock", 0.2, 11.8)):
        inc.series("orders_intake_total", "counter", "Orders received by outcome.",
                   {"namespace": "orders", "service": "order-intake", "outcome": reason},
                   counter(start, before, after, rolled), step_s=30)
    inc.series("grpc_server_handled_total", "counter", "Total number of RPCs completed on the server.",
               {"namespace": "inventory", "service": "availability-api", "grpc_method": "CheckAvailability",
                "grpc_code": "OK"}, counter(start, 14.0, 14.0, rolled), step_s=30)
    inc.pod_series(wl.pods)
    inc.pagerduty("order-intake: OUT_OF_STOCK rejections at 97% of orders", "orders-oncall")
    inc.answer_key(culprit=("Deployment", "inventory", "availability-api"),
                   keywords=["protobuf", "field number", "available_qty", "4.2.0"],
                   root_cause="availability-api 4.2.0 (Deployment inventory/availability-api revision 9) changed the "
                              "protobuf field number of available_qty (2 -> 5); order-intake, built against the old "
                              "schema, decodes it as 0 and rejects every order as out of stock.",
                   category="protobuf-field-renumbered-callers-read-zero",
                   red_herrings=[("Deployment", "orders", "order-history")])
    return inc


# ---- 5: an Argo Rollouts canary renames a JSON field; the caller 500s ------------------------------
AT5 = datetime(2026, 12, 2, 10, 14, tzinfo=UTC)


def basket_errors_burn() -> Incident:
    """json-field-renamed-in-canary-breaks-caller: a canary step sends half the traffic to a renamed field.

    after: REST contract breaks between teams: a provider renames a response field (snake_case to
    camelCase) in a minor release and a progressive rollout sends part of the traffic to it; callers
    that index the old key fail on exactly that share of requests (`KeyError`), which looks like a
    flaky dependency rather than a deploy.

    Argo Rollout pricing/price-quote moved to 2.3.0 (30 minutes before the page); its canary step holds
    at 50 %. 2.3.0 returns `unitPrice` instead of `unit_price`. basket-api (Flask/gunicorn) raises
    KeyError: 'unit_price' on every request that the canary answers, about half of them: the SLO burns.
    The wishlist rollout is unrelated.
    """
    inc = Incident("basket-errors-burn", title="basket SLO burning",
                   story=basket_errors_burn.__doc__ or "", at=AT5, seed=2405, namespaces=("pricing",))
    rolled = AT5 - timedelta(minutes=30)
    crd(inc, "argoproj.io", "v1alpha1", "Rollout", "rollouts",
        columns=[{"name": "Desired", "type": "integer", "jsonPath": ".spec.replicas"},
                 {"name": "Available", "type": "integer", "jsonPath": ".status.availableReplicas"}])
    stable, canary = "6c9f7d8b54", "85d4f6c7b9"
    ro = inc.add({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "price-quote", "namespace": "pricing", "generation": 14,
                     "annotations": {"rollout.argoproj.io/revision": "14"}},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "price-quote"}},
                 "template": {"metadata": {"labels": {"app": "price-quote"}},
                              "spec": {"containers": [{"name": "price-quote",
                                                       "image": "registry.example.com/pricing/price-quote:2.3.0",
                                                       "ports": [{"containerPort": 8080}]}]}},
                 "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]}}},
        "status": {"phase": "Paused", "message": "CanaryPauseStep", "currentStepIndex": 1, "replicas": 4,
                   "updatedReplicas": 2, "readyReplicas": 4, "availableReplicas": 4, "stableRS": stable,
                   "currentPodHash": canary, "pauseConditions": [{"reason": "CanaryPauseStep",
                                                                 "startTime": ts(rolled + timedelta(minutes=2))}]}})
    changed(ro, ("argocd-controller", "Apply", rolled,
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                     'k:{"name":"price-quote"}': {"f:image": {}}}}}}}),
            ("argo-rollouts", "Update", rolled + timedelta(minutes=2), {"f:status": {"f:currentStepIndex": {}}}))
    for version, h, created in (("2.2.4", stable, inc.born + timedelta(days=14)), ("2.3.0", canary, rolled)):
        rs_name = f"price-quote-{h}"
        inc.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "metadata": {"name": rs_name, "namespace": "pricing", "creationTimestamp": ts(created),
                              "labels": {"app": "price-quote", "rollouts-pod-template-hash": h},
                              "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                   "name": "price-quote", "uid": ro["metadata"]["uid"],
                                                   "controller": True, "blockOwnerDeletion": True}]},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "price-quote",
                                                                      "rollouts-pod-template-hash": h}},
                          "template": {"metadata": {"labels": {"app": "price-quote", "rollouts-pod-template-hash": h}},
                                       "spec": {"containers": [{"name": "price-quote", "image":
                                                                f"registry.example.com/pricing/price-quote:{version}"}]}}},
                 "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}})
        container = c("price-quote", f"registry.example.com/pricing/price-quote:{version}")
        for i in range(2):
            pod = f"{rs_name}-{o.suffix(rs_name + str(i), 5)}"
            start = max(created, inc.captured - timedelta(days=2)) + timedelta(seconds=20 + 30 * i)
            text = L.lines([(start + timedelta(seconds=2), L.js(start, "info", "price-quote started", version=version,
                                                                 api="v1"))])
            inc.cluster.add_pod(PodHistory(
                name=pod, namespace="pricing", workload="price-quote", containers=[container],
                node=inc.cluster.pick_node(pod), created=start - timedelta(seconds=6),
                states=[o.ContainerState(started_at=start)], memory=lambda t: 1.7e8,
                labels={"app": "price-quote", "rollouts-pod-template-hash": h},
                owner=o.owner_ref("ReplicaSet", rs_name, "pricing"), logs={"price-quote": text}))
    inc.service("pricing", "price-quote", {"app": "price-quote"})

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=30), end, 7)):
            if t > rolled and i % 2 == 0:
                out.append((t, L.pylog(t, "ERROR", "basket.app", "Exception on /v2/basket/price [POST]\n"
                                       "Traceback (most recent call last):\n"
                                       '  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 1473, in '
                                       "wsgi_app\n    response = self.full_dispatch_request()\n"
                                       '  File "/app/basket/pricing.py", line 88, in price_lines\n'
                                       '    line.total = quote["unit_price"] * line.qty\n'
                                       "KeyError: 'unit_price'")))
                out.append((t, f'10.244.3.{i % 200} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "POST /v2/basket/price '
                               f'HTTP/1.1" 500 265 "-" "okhttp/4.12.0"'))
            else:
                out.append((t, f'10.244.3.{i % 200} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "POST /v2/basket/price '
                               f'HTTP/1.1" 200 1432 "-" "okhttp/4.12.0"'))
        return out

    wl = app(inc, "shop", "basket-api", "registry.example.com/shop/basket-api:12.0.3", 3, within(log),
             env=[{"name": "PRICE_QUOTE_URL", "value": "http://price-quote.pricing.svc/v1/quote"}])
    herring(inc, "shop", "wishlist", "registry.example.com/shop/wishlist", "1.18.0", AT5 - timedelta(minutes=55))
    plant(inc, "pricing", "price-quote-fx", "token", "price-quote-fx", "fx-api-key")
    http_series(inc, "shop", "basket-api", lambda t: 30.0 if t < rolled else 15.0,
                lambda t: 0.02 if t < rolled else 15.0, code="500")
    inc.pod_series(wl.pods)
    inc.slo_burn("basket-api", "shop", "basket-api-availability", "99.9%", 480.0,
                 "basket-api is burning its 30-day error budget 480x too fast: about half of POST /v2/basket/price "
                 "requests fail with 500.")
    inc.answer_key(culprit=("Rollout", "pricing", "price-quote"),
                   keywords=["unit_price", "renamed", "canary", "2.3.0"],
                   root_cause="Argo Rollout pricing/price-quote's canary (2.3.0, 50% of traffic) renamed the JSON "
                              "response field unit_price to unitPrice; basket-api still reads unit_price and raises "
                              "KeyError on every request the canary answers.",
                   category="json-field-renamed-in-canary-breaks-caller",
                   red_herrings=[("Deployment", "shop", "wishlist")])
    return inc


# ---- 6: a Schema custom resource relaxes compatibility; the consumer cannot deserialize -------------
AT6 = datetime(2026, 12, 2, 13, 37, tzinfo=UTC)


def ledger_consumer_lag_alert() -> Incident:
    """avro-compatibility-none-drops-required-field: a Schema CR set to NONE lets a producer drop a field.

    after: schema-registry incidents where a subject's compatibility is relaxed (BACKWARD -> NONE) to
    push a "small" change, the registry accepts a writer schema without a field the consumers' reader
    schema requires (no default), and every consumer stops on the first new record with
    `AvroTypeException ... missing required field`, while lag climbs.

    The payments team's Schema payments/payment-events-value (Confluent for Kubernetes, 45 minutes before
    the page) sets compatibilityLevel NONE and registers version 7 without `currency`; payment-service
    starts producing with schema id 412. ledger-writer's Spring Kafka container fails on partition
    payment-events-3 offset 1882213 and its consumer-group lag grows. ledger-api's rollout is unrelated.
    """
    inc = Incident("ledger-consumer-lag-alert", title="ledger-writer consumer group lagging",
                   story=ledger_consumer_lag_alert.__doc__ or "", at=AT6, seed=2406, namespaces=("ledger",))
    applied = AT6 - timedelta(minutes=45)
    produced = applied + timedelta(minutes=4)
    crd(inc, "platform.confluent.io", "v1beta1", "Schema", "schemas",
        columns=[{"name": "Format", "type": "string", "jsonPath": ".spec.data.format"},
                 {"name": "Compatibility", "type": "string", "jsonPath": ".spec.compatibilityLevel"},
                 {"name": "Version", "type": "integer", "jsonPath": ".status.version"}])
    fields = [{"name": "payment_id", "type": "string"}, {"name": "amount_minor", "type": "long"},
              {"name": "merchant_id", "type": "string"}, {"name": "captured_at", "type":
                                                          {"type": "long", "logicalType": "timestamp-millis"}}]
    schema = {"type": "record", "name": "PaymentEvent", "namespace": "com.acme.payments", "fields": fields}
    cm = inc.configmap("payments", "payment-events-value-schema", {"schema": json.dumps(schema, indent=2)})
    changed(cm, ("kubectl-client-side-apply", "Update", applied, {"f:data": {"f:schema": {}}}))
    sc = inc.add({"apiVersion": "platform.confluent.io/v1beta1", "kind": "Schema",
                  "metadata": {"name": "payment-events-value", "namespace": "payments", "generation": 7},
                  "spec": {"data": {"configRef": "payment-events-value-schema", "format": "avro"},
                           "compatibilityLevel": "NONE",
                           "schemaRegistryClusterRef": {"name": "schemaregistry", "namespace": "confluent"}},
                  "status": {"format": "avro", "id": 412, "version": 7, "compatibilityLevel": "NONE",
                             "subject": "payment-events-value", "state": "Created",
                             "schemaRegistryEndpoint": "http://schemaregistry.confluent.svc:8081"}})
    changed(sc, ("kubectl-client-side-apply", "Update", applied,
                 {"f:spec": {"f:compatibilityLevel": {}, "f:data": {"f:configRef": {}}}}),
            ("confluent-operator", "Update", applied + timedelta(seconds=8),
             {"f:status": {"f:id": {}, "f:version": {}}}))

    def producer(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 30)):
            sid = 398 if t < produced else 412
            out.append((t, L.spring(t, "INFO", "c.a.payments.events.PaymentEventPublisher",
                                    f"published batch of {40 + i % 9} events to payment-events (schema id {sid})",
                                    thread="kafka-producer-network-thread")))
        return out

    app(inc, "payments", "payment-service", "registry.example.com/payments/payment-service:5.4.1", 2, within(producer))

    def consumer(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 15)):
            if t < produced:
                out.append((t, L.spring(t, "INFO", "c.a.ledger.PaymentEventListener",
                                        f"posted {30 + i % 11} ledger entries", thread="ntainer#0-0-C-1")))
                continue
            out.append((t, L.spring(t, "ERROR", "o.s.k.l.KafkaMessageListenerContainer",
                                    "Consumer exception\njava.lang.IllegalStateException: This error handler cannot "
                                    "process 'SerializationException's directly; please consider configuring an "
                                    "'ErrorHandlingDeserializer' in the value and/or key deserializer\n"
                                    "Caused by: org.apache.kafka.common.errors.RecordDeserializationException: Error "
                                    "deserializing key/value for partition payment-events-3 at offset 1882213. If "
                                    "needed, please seek past the record to continue consumption.\n"
                                    "Caused by: org.apache.kafka.common.errors.SerializationException: Error "
                                    "deserializing Avro message for id 412\n"
                                    "Caused by: org.apache.avro.AvroTypeException: Found com.acme.payments."
                                    "PaymentEvent, expecting com.acme.payments.PaymentEvent, missing required field "
                                    "currency\n\tat org.apache.avro.io.ResolvingDecoder.doAction(ResolvingDecoder.java:"
                                    "308)", thread="ntainer#0-0-C-1")))
        return out

    wl = app(inc, "ledger", "ledger-writer", "registry.example.com/ledger/ledger-writer:3.2.0", 2, within(consumer))
    herring(inc, "ledger", "ledger-api", "registry.example.com/ledger/ledger-api", "8.1.0", AT6 - timedelta(hours=1))
    plant(inc, "ledger", "ledger-kafka-sasl", "password", "ledger-kafka-sasl", "sasl.jaas.password")
    for part in range(6):
        lagging = part == 3
        inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
                   {"consumergroup": "ledger-writer", "topic": "payment-events", "partition": str(part),
                    "job": "kafka-exporter", "namespace": "kafka"},
                   (lambda t, lag=lagging: 12.0 if t < produced else
                    (12 + (t - produced).total_seconds() * (7.5 if lag else 0.0))), step_s=30)
    inc.pod_series(wl.pods)
    inc.alertmanager("KafkaConsumerGroupLagHigh", {"consumergroup": "ledger-writer", "topic": "payment-events",
                                                   "namespace": "ledger", "job": "kafka-exporter"},
                     "Consumer group ledger-writer is lagging on payment-events.",
                     "Consumer group ledger-writer has a lag of 17k messages on payment-events and it keeps growing.",
                     'sum by (consumergroup, topic) (kafka_consumergroup_lag{consumergroup="ledger-writer"}) > 5000',
                     severity="critical")
    inc.answer_key(culprit=("Schema", "payments", "payment-events-value"),
                   keywords=["Avro", "compatibility", "currency", "NONE"],
                   root_cause="The Schema payments/payment-events-value was set to compatibilityLevel NONE and version "
                              "7 dropped the required field currency; payment-service produces with schema id 412 and "
                              "ledger-writer's Avro reader fails ('missing required field currency') on "
                              "payment-events-3, so its lag grows.",
                   category="avro-compatibility-none-drops-required-field",
                   red_herrings=[("Deployment", "ledger", "ledger-api")])
    return inc


# ---- 7: a Traefik circuit-breaker expression counts 404s; callers get 503s (grouped) ---------------
AT7 = datetime(2026, 12, 3, 9, 52, tzinfo=UTC)


def storefront_errors_grouped() -> Incident:
    """circuit-breaker-expression-counts-client-errors: a breaker that trips on normal 404s.

    after: circuit-breaker incidents where the trip condition is widened (HTTP 4xx counted as failures,
    thresholds far below the normal error share): the breaker opens on healthy traffic and the proxy
    answers 503 itself for the fallback window, over and over, while the backend never sees the
    requests (Traefik's circuitBreaker middleware, Envoy outlier detection, resilience4j).

    Middleware catalog/catalog-breaker (Traefik, 45 minutes before the page, Argo CD) changes its
    expression from `NetworkErrorRatio() > 0.30` to `ResponseCodeRatio(400, 600, 0, 600) > 0.05`.
    catalog-api answers 404 for about 9 % of lookups (delisted SKUs), so the breaker keeps opening;
    Traefik returns 503 with no upstream call; storefront and the blackbox probe page together.
    catalog-indexer's rollout is unrelated.
    """
    inc = Incident("storefront-errors-grouped", title="storefront errors and product page probe failing",
                   story=storefront_errors_grouped.__doc__ or "", at=AT7, seed=2407,
                   namespaces=("catalog", "traefik"))
    edited = AT7 - timedelta(minutes=45)
    crd(inc, "traefik.io", "v1alpha1", "Middleware", "middlewares")
    crd(inc, "traefik.io", "v1alpha1", "IngressRoute", "ingressroutes")
    mw = inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                  "metadata": {"name": "catalog-breaker", "namespace": "catalog", "generation": 4,
                               "labels": {"app.kubernetes.io/instance": "catalog"}},
                  "spec": {"circuitBreaker": {"expression": "ResponseCodeRatio(400, 600, 0, 600) > 0.05",
                                              "checkPeriod": "100ms", "fallbackDuration": "10s",
                                              "recoveryDuration": "10s"}}})
    changed(mw, ("argocd-controller", "Apply", edited, {"f:spec": {"f:circuitBreaker": {"f:expression": {}}}}))
    inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
             "metadata": {"name": "catalog-api", "namespace": "catalog"},
             "spec": {"entryPoints": ["web"], "routes": [{"match": "PathPrefix(`/v1/products`)", "kind": "Rule",
                                                         "middlewares": [{"name": "catalog-breaker"}],
                                                         "services": [{"name": "catalog-api", "port": 80}]}]}})

    def origin(pod: str, start: datetime, end: datetime) -> Lines:
        return [(t, L.js(t, "info", "request", method="GET", path=f"/v1/products/{i * 7919 % 99991}",
                          status=404 if i % 11 == 0 else 200, duration_ms=12 + i % 9))
                for i, t in enumerate(L.every(start, end, 6)) if t < edited or i % 4 == 0]

    app(inc, "catalog", "catalog-api", "registry.example.com/catalog/catalog-api:9.7.2", 3, within(origin))
    inc.service("catalog", "catalog-api", {"app": "catalog-api"})

    def proxy(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 3)):
            tripped = t > edited and (t.minute * 60 + t.second) % 30 < 20
            out.append((t, json.dumps({
                "ClientHost": f"10.244.{i % 4}.{20 + i % 50}", "DownstreamStatus": 503 if tripped else 200,
                "OriginStatus": 0 if tripped else 200, "OriginDuration": 0 if tripped else 14000000,
                "Duration": 90000 if tripped else 15200000, "RequestMethod": "GET",
                "RequestPath": f"/v1/products/{i * 104729 % 99991}",
                "RouterName": "catalog-catalog-api-6b1e@kubernetescrd",
                "ServiceName": "catalog-catalog-api-6b1e@kubernetescrd", "entryPointName": "web",
                "level": "info", "msg": "", "time": t.strftime("%Y-%m-%dT%H:%M:%SZ")}, separators=(",", ":"))))
        return out

    app(inc, "traefik", "traefik", "traefik:v3.1.4", 2, within(proxy), port=8000)
    def front(pod: str, start: datetime, end: datetime) -> Lines:
        return [(t, L.js(t, "error", "upstream request failed", upstream="http://traefik.traefik.svc/v1/products",
                         status=503, body="Service Unavailable", route="/products/:id"))
                for i, t in enumerate(L.every(start, end, 5)) if t > edited and (t.minute * 60 + t.second) % 30 < 20]

    app(inc, "web", "storefront", "registry.example.com/web/storefront:22.4.0", 3, within(front))
    herring(inc, "catalog", "catalog-indexer", "registry.example.com/catalog/catalog-indexer", "4.4.0",
            AT7 - timedelta(hours=1, minutes=5))
    plant(inc, "catalog", "catalog-api-db", "password", "catalog-api-db", "password")
    start = inc.at - timedelta(hours=2)
    for code, before, after in (("200", 80.0, 28.0), ("404", 8.0, 3.0), ("503", 0.0, 57.0)):
        inc.series("traefik_service_requests_total", "counter", "How many HTTP requests processed on a service.",
                   {"service": "catalog-catalog-api-6b1e@kubernetescrd", "code": code, "method": "GET",
                    "protocol": "http", "job": "traefik", "namespace": "traefik"},
                   counter(start, before, after, edited), step_s=30)
    for code, before, after in (("200", 80.0, 28.0), ("404", 8.0, 3.0)):
        inc.series("http_requests_total", "counter", "Total HTTP requests.",
                   {"namespace": "catalog", "service": "catalog-api", "job": "catalog-api", "code": code},
                   counter(start, before, after, edited), step_s=30)
    http_series(inc, "web", "storefront", lambda t: 50.0 if t < edited else 30.0,
                lambda t: 0.05 if t < edited else 20.0, code="503", job="storefront")
    alerts = [
        alert(inc, "HTTPErrorRateHigh", {"namespace": "web", "service": "storefront", "job": "storefront"},
              "storefront 5xx ratio above 5%", "storefront answers 40% of requests with 503.",
              'sum(rate(http_requests_total{service="storefront",code=~"5.."}[5m])) / '
              'sum(rate(http_requests_total{service="storefront"}[5m])) > 0.05', "critical"),
        alert(inc, "TraefikServiceHighErrorRate", {"namespace": "traefik", "job": "traefik",
                                                  "service": "catalog-catalog-api-6b1e@kubernetescrd"},
              "Traefik service returns many 5xx", "More than 30% of requests to a Traefik service end in 5xx.",
              'sum(rate(traefik_service_requests_total{code=~"5.."}[5m])) by (service) / '
              'sum(rate(traefik_service_requests_total[5m])) by (service) > 0.3', "critical"),
        alert(inc, "BlackboxProbeFailed", {"namespace": "monitoring", "job": "blackbox",
                                          "instance": "https://www.example.com/products/4711"},
              "Probe failed", "The blackbox probe of the product page has failed for 5 minutes.",
              'probe_success{job="blackbox"} == 0', "critical")]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["severity"])
    inc.answer_key(culprit=("Middleware", "catalog", "catalog-breaker"),
                   keywords=["circuit breaker", "ResponseCodeRatio", "404", "expression"],
                   root_cause="Traefik Middleware catalog/catalog-breaker's circuit breaker expression was changed to "
                              "ResponseCodeRatio(400, 600, 0, 600) > 0.05; catalog-api's normal 404s (about 9%) trip "
                              "it, so Traefik answers 503 itself and storefront fails.",
                   category="circuit-breaker-expression-counts-client-errors",
                   red_herrings=[("Deployment", "catalog", "catalog-indexer")])
    return inc


# ---- 8: a Service port renamed; the mesh stops treating the callee as gRPC ------------------------
AT8 = datetime(2026, 12, 3, 15, 9, tzinfo=UTC)


def product_page_rpc_errors() -> Incident:
    """mesh-protocol-sniffing-port-renamed-http-breaks-grpc: a Service port renamed from grpc to http.

    after: Istio's explicit protocol selection by Service port name (`grpc`, `http`, `http2`) or
    appProtocol: a "naming convention" change renames a gRPC port to `http`, the sidecars proxy it as
    HTTP/1.1, and every gRPC call fails with `upstream connect error or disconnect/reset before headers.
    reset reason: protocol error` in the callers, while the callee's pods are healthy.

    A chart change (35 minutes before the page) renames the port of Service ratings/ratings-grpc from
    `grpc` to `http`. product-page's grpc-java client gets UNAVAILABLE for every GetRatings call; its
    Envoy sidecar logs 503 UPE. The ratings-api rollout the same afternoon is unrelated.
    """
    inc = Incident("product-page-rpc-errors", title="product-page RPC errors",
                   story=product_page_rpc_errors.__doc__ or "", at=AT8, seed=2408, namespaces=("ratings", "catalogue"))
    edited = AT8 - timedelta(minutes=35)
    herring(inc, "ratings", "ratings-api", "registry.example.com/ratings/ratings-api", "3.3.0",
            AT8 - timedelta(hours=1, minutes=40))
    inc.service("ratings", "ratings-grpc", {"app": "ratings-api"}, port=9090, target=9090)
    svc = inc.find("Service", "ratings", "ratings-grpc")
    svc["spec"]["ports"][0]["name"] = "http"
    svc["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "Helm"
    changed(svc, ("helm", "Update", edited, {"f:spec": {"f:ports": {'k:{"port":9090,"protocol":"TCP"}': {
        "f:name": {}}}}}))

    def caller(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 8)):
            if t < edited:
                continue
            rid = L.uuidish(pod, i)
            out.append((t, L.spring(t, "WARN", "c.a.catalogue.RatingsClient",
                                    "GetRatings failed, rendering without ratings: io.grpc.StatusRuntimeException: "
                                    "UNAVAILABLE: upstream connect error or disconnect/reset before headers. reset "
                                    f"reason: protocol error (request_id={rid})", thread="http-nio-8080-exec-4")))
        return out

    def sidecar(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 8)):
            ok = t < edited
            out.append((t, f'[{t:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}Z] "POST /ratings.v1.Ratings/GetRatings HTTP/2" '
                           f'{200 if ok else 503} {"-" if ok else "UPE"} '
                           f'{"via_upstream" if ok else "upstream_reset_before_response_started{protocol_error}"} '
                           f'"-" 41 {212 if ok else 95} {4 if ok else 1} - "-" "grpc-java-netty/1.63.0" '
                           f'"{L.uuidish(pod, i)}" "ratings-grpc.ratings.svc.cluster.local:9090" '
                           f'"10.244.2.{31 + i % 3}:9090" outbound|9090||ratings-grpc.ratings.svc.cluster.local'))
        return out

    wl = app(inc, "catalogue", "product-page", "registry.example.com/catalogue/product-page:14.2.0", 3, within(caller),
             env=[{"name": "RATINGS_TARGET", "value": "dns:///ratings-grpc.ratings.svc.cluster.local:9090"}])
    for h in wl.pods:
        h.containers = [*h.containers, c("istio-proxy", "docker.io/istio/proxyv2:1.22.3", port=15090)]
        h.states = [*h.states, o.ContainerState(started_at=h.created + timedelta(seconds=4))]
        h.logs["istio-proxy"] = within(sidecar)(h.name, h.created, inc.captured)
    plant(inc, "catalogue", "product-page-cms", "token", "product-page-cms", "cms-token")
    start = inc.at - timedelta(hours=2)
    for code, before, after in (("OK", 25.0, 0.0), ("UNAVAILABLE", 0.0, 25.0)):
        inc.series("grpc_client_completed_rpcs_total", "counter", "Total number of completed client RPCs.",
                   {"namespace": "catalogue", "service": "product-page", "grpc_service": "ratings.v1.Ratings",
                    "grpc_method": "GetRatings", "grpc_code": code}, counter(start, before, after, edited), step_s=30)
    inc.series("istio_requests_total", "counter", "Requests seen by the sidecars.",
               {"namespace": "catalogue", "source_workload": "product-page", "destination_service":
                "ratings-grpc.ratings.svc.cluster.local", "response_code": "503", "response_flags": "UPE",
                "reporter": "source"}, counter(start, 0.0, 25.0, edited), step_s=30)
    inc.pod_series(wl.pods)
    inc.alertmanager("GrpcClientErrorRateHigh", {"namespace": "catalogue", "service": "product-page",
                                                 "grpc_service": "ratings.v1.Ratings"},
                     "product-page: gRPC client calls failing",
                     "100% of product-page's outbound calls to ratings.v1.Ratings end UNAVAILABLE.",
                     'sum(rate(grpc_client_completed_rpcs_total{grpc_code!="OK"}[5m])) by (service) / '
                     'sum(rate(grpc_client_completed_rpcs_total[5m])) by (service) > 0.2')
    inc.answer_key(culprit=("Service", "ratings", "ratings-grpc"),
                   keywords=["port name", "protocol", "HTTP/1.1", "Istio"],
                   root_cause="Service ratings/ratings-grpc's port name was changed from grpc to http: Istio selects "
                              "the protocol by port name and proxies the gRPC calls as HTTP/1.1, so product-page's "
                              "calls fail with 'reset reason: protocol error' (503 UPE).",
                   category="mesh-protocol-sniffing-port-renamed-http-breaks-grpc",
                   red_herrings=[("Deployment", "ratings", "ratings-api")])
    return inc


# ---- 9: the feature-flag SDK key swapped to staging's; the caller routes to a service prod lacks ---
AT9 = datetime(2026, 12, 4, 10, 26, tzinfo=UTC)


def order_api_errors_burn() -> Incident:
    """flag-sdk-key-from-other-environment-serves-staging-flags: a Secret now holds staging's SDK key.

    after: remote-config/feature-flag incidents where a service is pointed at another environment's flag
    set (a staging SDK key or environment id pasted into production): flags that are on in staging
    switch on in production with nothing deployed, and the code path they guard calls a dependency that
    does not exist there.

    Someone re-applied Secret commerce/flags-sdk with the staging SDK key while debugging a flag
    (kubectl apply, 55 minutes before the page; the reloader then restarted order-api). In staging
    `payments-v2-routing` is on, so order-api sends payments to payments-v2.payments.svc, which does
    not exist in production: getaddrinfo ENOTFOUND, 502s, the SLO burns. order-notifier's rollout is
    unrelated.
    """
    inc = Incident("order-api-errors-burn", title="order-api availability SLO burning",
                   story=order_api_errors_burn.__doc__ or "", at=AT9, seed=2409, namespaces=("commerce",))
    applied = AT9 - timedelta(minutes=55)
    restarted = applied + timedelta(minutes=1)
    key = inc.canary("token", "flags-sdk")
    inc.secret("commerce", "flags-sdk", {"sdk-key": key})
    sec = inc.find("Secret", "commerce", "flags-sdk")
    sec["metadata"]["annotations"] = {"flags.example.com/environment": "staging"}
    changed(sec, ("kubectl-client-side-apply", "Update", applied, {"f:data": {"f:sdk-key": {}},
                                                                   "f:metadata": {"f:annotations": {}}}))

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.js(start, "info", "[LaunchDarkly] Opened LaunchDarkly stream "
                                                          "connection")),
                      (start + timedelta(seconds=2), L.js(start, "info", "flag evaluated", flag="payments-v2-routing",
                                                          value=True, reason={"kind": "FALLTHROUGH"}))]
        for i, t in enumerate(L.every(start + timedelta(seconds=10), end, 6)):
            if i % 5 < 2:
                out.append((t, L.js(t, "info", "order placed", order=L.uuidish(pod, i)[:13], payment="card")))
            else:
                out.append((t, L.js(t, "error", "payment call failed", order=L.uuidish(pod, i)[:13],
                                    err={"type": "Error", "message": "getaddrinfo ENOTFOUND payments-v2.payments.svc",
                                         "code": "ENOTFOUND", "stack": "Error: getaddrinfo ENOTFOUND payments-v2."
                                         "payments.svc\n    at GetAddrInfoReqWrap.onlookupall [as oncomplete] "
                                         "(node:dns:118:26)"})))
        return out

    env = [{"name": "LD_SDK_KEY", "valueFrom": {"secretKeyRef": {"name": "flags-sdk", "key": "sdk-key"}}},
           {"name": "PAYMENTS_URL", "value": "http://payments-api.payments.svc:8080"}]
    revs = [Rev(11, inc.born + timedelta(days=16), "helm upgrade",
                [c("order-api", "registry.example.com/commerce/order-api:8.12.0", env=env)]),
            Rev(12, restarted, "reloader restart",
                [c("order-api", "registry.example.com/commerce/order-api:8.12.0", env=env)])]
    wl = inc.deployment("commerce", "order-api", revs, {12: [P(log=within(log)) for _ in range(3)]})
    inc.find("Deployment", "commerce", "order-api")["spec"]["template"]["metadata"].setdefault(
        "annotations", {})["reloader.stakater.com/last-reloaded-from"] = json.dumps(
        {"type": "SECRET", "name": "flags-sdk", "namespace": "commerce", "hash": "9c2e41b7f0"})
    herring(inc, "commerce", "order-notifier", "registry.example.com/commerce/order-notifier", "2.5.0",
            AT9 - timedelta(hours=1, minutes=30))
    http_series(inc, "commerce", "order-api", lambda t: 20.0 if t < restarted else 8.0,
                lambda t: 0.01 if t < restarted else 12.0, code="502")
    inc.pod_series(wl.pods)
    inc.slo_burn("order-api", "commerce", "order-api-availability", "99.95%", 1200.0,
                 "order-api fails 60% of order submissions with 502.")
    inc.answer_key(culprit=("Secret", "commerce", "flags-sdk"),
                   keywords=["SDK key", "staging", "flag", "payments-v2"],
                   root_cause="Secret commerce/flags-sdk was re-applied with the staging feature-flag SDK key; "
                              "order-api now evaluates staging's flags, payments-v2-routing is on, and it calls "
                              "payments-v2, which does not exist in production (getaddrinfo ENOTFOUND).",
                   category="flag-sdk-key-from-other-environment-serves-staging-flags",
                   red_herrings=[("Deployment", "commerce", "order-notifier")])
    return inc


# ---- 10: a key-rotation CronJob now runs hourly; the gateway's cached JWKS lacks the new kid --------
AT10 = datetime(2026, 12, 4, 13, 3, tzinfo=UTC)


def gateway_unauthorized_page() -> Incident:
    """signing-key-rotated-faster-than-jwks-cache: a rotation CronJob's schedule edited to hourly.

    after: token-verification outages where the issuer starts signing with a new key before the
    verifiers have fetched it (JWKS cached for hours, no pre-publication overlap): every token signed
    with the new `kid` is refused with 401 until the cache refreshes; rotating more often than the
    cache TTL makes it permanent.

    CronJob auth/signing-key-rotate's schedule was edited from monthly to `0 * * * *` (6 hours before
    the page). Each run creates a key, publishes it and activates it at once; api-gateway caches the
    JWKS for 24h, so after every rotation new tokens fail with `kid ... not found in JWKS`. The
    rate-limiter rollout is unrelated.
    """
    inc = Incident("gateway-unauthorized-page", title="api-gateway 401 spike",
                   story=gateway_unauthorized_page.__doc__ or "", at=AT10, seed=2410, namespaces=("edge",))
    edited = AT10 - timedelta(hours=6)
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "signing-key-rotate", "namespace": "auth", "generation": 3,
                               "creationTimestamp": ts(inc.born)},
                  "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                           "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                               "restartPolicy": "Never", "serviceAccountName": "key-rotator",
                               "containers": [{"name": "rotate", "image": "registry.example.com/auth/keyctl:1.9.0",
                                               "args": ["rotate", "--activate=immediate", "--publish=jwks"]}]}}}}},
                  "status": {"lastScheduleTime": ts(AT10.replace(minute=0)),
                             "lastSuccessfulTime": ts(AT10.replace(minute=0) + timedelta(seconds=14))}})
    changed(cj, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:jobTemplate": {}}}),
            ("kubectl-edit", "Update", edited, {"f:spec": {"f:schedule": {}}}))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for k in range(3):
        run = AT10.replace(minute=0) - timedelta(hours=2 - k)
        name = f"signing-key-rotate-{int((run - epoch).total_seconds() // 60)}"
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": name, "namespace": "auth", "creationTimestamp": ts(run),
                              "labels": {"job-name": name},
                              "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                                   "name": "signing-key-rotate", "uid": cj["metadata"]["uid"],
                                                   "controller": True}]},
                 "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 2},
                 "status": {"startTime": ts(run), "completionTime": ts(run + timedelta(seconds=14)), "succeeded": 1,
                            "conditions": [{"type": "Complete", "status": "True",
                                            "lastTransitionTime": ts(run + timedelta(seconds=14))}]}})
        inc.event(inc.find("Job", "auth", name), "Completed", "Job completed", run + timedelta(seconds=14),
                  warning=False, component="job-controller")
        inc.event(cj, "SawCompletedJob", f"Saw completed job: {name}, status: Complete", run + timedelta(seconds=15),
                  warning=False, component="cronjob-controller")

    def issuer(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for run in L.every(AT10.replace(minute=0) - timedelta(hours=5), end, 3600):
            out.append((run + timedelta(seconds=20), L.logfmt(run + timedelta(seconds=20), "info",
                                                              "signing key activated", kid=f"k-{run:%Y%m%d-%H%M}",
                                                              alg="RS256", source="keystore")))
        for i, t in enumerate(L.every(start, end, 20)):
            out.append((t, L.logfmt(t, "info", "token issued", client_id=f"app-{i % 7}", grant="refresh_token")))
        return out

    app(inc, "auth", "token-issuer", "registry.example.com/auth/token-issuer:4.6.2", 2, within(issuer))

    def gw(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=2), L.logfmt(start, "info", "jwks loaded",
                                                              url="http://token-issuer.auth.svc/.well-known/jwks.json",
                                                              keys=2, cache_ttl="24h0m0s"))]
        for i, t in enumerate(L.every(start, end, 5)):
            run = t.replace(minute=0, second=0, microsecond=0)
            if t - edited > timedelta(hours=1) and i % 3:
                out.append((t, L.logfmt(t, "warn", "jwt verification failed",
                                        err=f"kid k-{run:%Y%m%d-%H%M} not found in JWKS", route="/v1/orders",
                                        status=401)))
            else:
                out.append((t, L.logfmt(t, "info", "request", route="/v1/orders", status=200, dur_ms=31 + i % 20)))
        return out

    wl = app(inc, "edge", "api-gateway", "registry.example.com/edge/api-gateway:2.31.0", 3, within(gw))
    herring(inc, "edge", "rate-limiter", "registry.example.com/edge/rate-limiter", "1.7.0", AT10 - timedelta(hours=1))
    plant(inc, "auth", "signing-keystore", "password", "signing-keystore", "keystore-password")
    http_series(inc, "edge", "api-gateway", lambda t: 90.0 if t < edited + timedelta(hours=1) else 40.0,
                lambda t: 0.5 if t < edited + timedelta(hours=1) else 50.0, code="401")
    inc.pod_series(wl.pods)
    inc.pagerduty("api-gateway: HTTP 401 responses at 55% of requests (normally <1%)", "edge-oncall")
    inc.answer_key(culprit=("CronJob", "auth", "signing-key-rotate"),
                   keywords=["kid", "JWKS", "rotation", "hourly"],
                   root_cause="CronJob auth/signing-key-rotate's schedule was edited to hourly; each rotation "
                              "activates a new signing key at once while api-gateway caches the JWKS for 24h, so "
                              "tokens with the new kid are rejected (kid not found in JWKS) with 401.",
                   category="signing-key-rotated-faster-than-jwks-cache",
                   red_herrings=[("Deployment", "edge", "rate-limiter")])
    return inc


# ---- 11: a node agent's new template drops its gRPC receiver; only one node has it (host question) -----
AT11 = datetime(2026, 12, 4, 16, 40, tzinfo=UTC)


def node_traces_missing_question() -> Incident:
    """otlp-grpc-receiver-dropped-on-updated-node-agent: an OnDelete DaemonSet's new template listens on 4318 only.

    after: telemetry-agent incidents where a collector config "simplification" drops the OTLP/gRPC
    receiver (4317) that the apps' SDKs and Java agents export to through the node's hostPort: export
    fails with connection refused and spans vanish; with an OnDelete update strategy only the nodes
    whose agent pod was recreated run the new config, so the symptom follows a node.

    DaemonSet monitoring/otel-agent (updateStrategy OnDelete) got a new template 40 minutes before the
    question: its receivers are now `otlp: protocols: http` only. The agent pod on one node was
    recreated since (node maintenance) and runs it; every Java service on that node logs `Failed to
    export spans ... Failed to connect to .../<node-ip>:4317`. otel-gateway's rollout is unrelated.
    """
    inc = Incident("node-traces-missing-question", title="traces missing from one node",
                   story=node_traces_missing_question.__doc__ or "", at=AT11, seed=2411,
                   namespaces=("claims",))
    templated = AT11 - timedelta(minutes=40)
    recreated = AT11 - timedelta(minutes=22)
    target = node(inc, 1)
    pods = inc.cluster.daemonset("monitoring", "otel-agent", "otel/opentelemetry-collector-contrib:0.108.0",
                                 inc.born + timedelta(days=2), memory_mi=180, port=4317)
    ds = inc.find("DaemonSet", "monitoring", "otel-agent")
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "otel/opentelemetry-collector-contrib:0.108.0"
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 4318, "hostPort": 4318, "name": "otlp-http", "protocol": "TCP"}]
    ds["status"].update({"observedGeneration": 2, "updatedNumberScheduled": 1})
    changed(ds, ("argocd-controller", "Apply", templated,
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"otel-agent"}': {
                     "f:ports": {}}}, "f:volumes": {}}}}}))
    cm = inc.configmap("monitoring", "otel-agent-config", {"relay.yaml": (
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 0.0.0.0:4318\n"
        "processors:\n  batch: {}\n  memory_limiter:\n    check_interval: 1s\n    limit_percentage: 80\n"
        "exporters:\n  otlp:\n    endpoint: otel-gateway.monitoring.svc:4317\n    tls:\n      insecure: true\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [memory_limiter, batch]\n"
        "      exporters: [otlp]\n")})
    changed(cm, ("argocd-controller", "Apply", templated, {"f:data": {"f:relay.yaml": {}}}))
    old_hash, new_hash = "5f8b9c6d4d", "7c9d8f5b6c"
    for rev, h, at in ((1, old_hash, inc.born + timedelta(days=2)), (2, new_hash, templated)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"otel-agent-{h}", "namespace": "monitoring", "creationTimestamp": ts(at),
                              "labels": {"app": "otel-agent", "controller-revision-hash": h},
                              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "otel-agent",
                                                   "uid": ds["metadata"]["uid"], "controller": True}]},
                 "revision": rev, "data": {"spec": {"template": {"$patch": "replace"}}}})
    for h in pods:
        h.labels["controller-revision-hash"] = old_hash
        if h.node == target:
            h.labels["controller-revision-hash"] = new_hash
            h.created = recreated
            h.states = [o.ContainerState(started_at=recreated + timedelta(seconds=4))]
            h.logs["otel-agent"] = L.lines([
                (recreated + timedelta(seconds=5), f"{recreated:%Y-%m-%dT%H:%M:%S}.112Z\tinfo\tservice@v0.108.0/"
                 "service.go:212\tStarting otelcol-contrib...\t{\"Version\": \"0.108.0\", \"NumCPU\": 4}"),
                (recreated + timedelta(seconds=6), f"{recreated:%Y-%m-%dT%H:%M:%S}.541Z\tinfo\totlpreceiver@v0.108.0/"
                 "otlp.go:153\tStarting HTTP server\t{\"kind\": \"receiver\", \"name\": \"otlp\", \"data_type\": "
                 "\"traces\", \"endpoint\": \"0.0.0.0:4318\"}"),
                (recreated + timedelta(seconds=6), f"{recreated:%Y-%m-%dT%H:%M:%S}.560Z\tinfo\tservice@v0.108.0/"
                 "service.go:238\tEverything is ready. Begin running and processing data.")])
    ip = inc.cluster.node_ip(target)

    def java(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 10)):
            out.append((t, L.spring(t, "INFO", "c.a.claims.ClaimController", f"claim {40000 + i} assessed",
                                    thread="http-nio-8080-exec-2")))
        return out

    def java_on_target(pod: str, start: datetime, end: datetime) -> Lines:
        out = java(pod, start, end)
        for t in L.every(max(start, recreated), end, 30):
            out.append((t, f"[otel.javaagent {t:%Y-%m-%d %H:%M:%S}:{t.microsecond // 1000:03d} +0000] "
                           "[OkHttp http://" + ip + ":4317/...] ERROR io.opentelemetry.exporter.internal.grpc."
                           "GrpcExporter - Failed to export spans. The request could not be executed. Full error "
                           f"message: Failed to connect to /{ip}:4317"))
        return out

    env = [{"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
           {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://$(NODE_IP):4317"},
           {"name": "JAVA_TOOL_OPTIONS", "value": "-javaagent:/otel/opentelemetry-javaagent.jar"}]
    for name in ("claims-api", "claims-assessor"):
        others = [n for n in inc.node_names() if n != target]
        rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                  [c(name, f"registry.example.com/claims/{name}:3.1.{len(name)}", env=env)])
        inc.deployment("claims", name, [rev], {1: [P(log=within(java_on_target), node=target),
                                                   P(log=within(java), node=others[0]),
                                                   P(log=within(java), node=others[1])]})
    herring(inc, "monitoring", "otel-gateway", "otel/opentelemetry-collector-contrib", "0.107.0",
            AT11 - timedelta(hours=1, minutes=10))
    plant(inc, "claims", "claims-api-db", "password", "claims-api-db", "password")
    start = inc.at - timedelta(hours=2)
    for n in inc.node_names():
        on = n == target
        inc.series("otelcol_receiver_accepted_spans", "counter", "Number of spans successfully pushed into the "
                   "pipeline.", {"receiver": "otlp", "transport": "grpc", "node": n, "job": "otel-agent",
                                 "namespace": "monitoring"},
                   counter(start, 120.0, 0.0 if on else 120.0, recreated), step_s=30)
    inc.ask(f"why have traces stopped arriving from everything running on {target} for the last twenty minutes?")
    inc.answer_key(culprit=("DaemonSet", "monitoring", "otel-agent"),
                   keywords=["4317", "gRPC", "receiver", "OTLP"],
                   root_cause="DaemonSet monitoring/otel-agent's new template (OnDelete, so only the recreated agent "
                              "on that node runs it) removed the OTLP gRPC receiver on port 4317; the Java agents on "
                              "that node export to NODE_IP:4317, get connection refused and drop their spans.",
                   category="otlp-grpc-receiver-dropped-on-updated-node-agent",
                   red_herrings=[("Deployment", "monitoring", "otel-gateway")])
    return inc


# ---- 12: simple, an ASGI server's own concurrency limit ---------------------------------------------
AT12 = datetime(2026, 12, 5, 8, 18, tzinfo=UTC)


def search_api_errors() -> Incident:
    """asgi-server-concurrency-limit-returns-503: uvicorn --limit-concurrency set to 8 through a ConfigMap.

    after: Python ASGI/WSGI servers whose admission limits are set far below real concurrency (uvicorn's
    --limit-concurrency, gunicorn's --worker-connections, Hypercorn's backlog): the server itself answers
    503 once the limit is reached, with its own warning line, and the app never sees the request.

    A hand edit of ConfigMap search/search-api-server (an hour before the page) adds
    UVICORN_LIMIT_CONCURRENCY=8 "to protect the database", followed by a rollout restart. At peak each
    pod holds 20-40 connections; uvicorn logs "Exceeded concurrency limit." and answers 503 to a third
    of requests. search-indexer's rollout is unrelated.
    """
    inc = Incident("search-api-errors", title="search-api returning errors",
                   story=search_api_errors.__doc__ or "", at=AT12, seed=2412, namespaces=("search",))
    edited = AT12 - timedelta(minutes=60)
    restarted = edited + timedelta(minutes=3)
    cm = inc.configmap("search", "search-api-server", {"UVICORN_HOST": "0.0.0.0", "UVICORN_PORT": "8000",
                                                       "UVICORN_WORKERS": "4", "UVICORN_LIMIT_CONCURRENCY": "8",
                                                       "UVICORN_TIMEOUT_KEEP_ALIVE": "5"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {"f:UVICORN_WORKERS": {}}}),
            ("kubectl-edit", "Update", edited, {"f:data": {"f:UVICORN_LIMIT_CONCURRENCY": {}}}))

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C "
                                                     "to quit)"),
                      (start + timedelta(seconds=1), "INFO:     Started parent process [1]")]
        for i, t in enumerate(L.every(start + timedelta(seconds=3), end, 2)):
            client = f"10.244.{i % 4}.{30 + i % 90}:{40000 + i * 37 % 20000}"
            if i % 3 == 0:
                out.append((t, "WARNING:  Exceeded concurrency limit."))
                out.append((t, f'INFO:     {client} - "GET /v2/search?q=item{i % 500} HTTP/1.1" 503 '
                                  "Service Unavailable"))
            else:
                out.append((t, f'INFO:     {client} - "GET /v2/search?q=item{i % 500} HTTP/1.1" 200 OK'))
        return out

    env = [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "search-api-db", "key": "url"}}}]
    revs = [Rev(7, inc.born + timedelta(days=11), "helm upgrade",
                [c("search-api", "registry.example.com/search/search-api:5.9.1", port=8000, env=env)],
                container={"envFrom": [{"configMapRef": {"name": "search-api-server"}}],
                           "command": ["uvicorn", "search.main:app"]}),
            Rev(8, restarted, "kubectl rollout restart",
                [c("search-api", "registry.example.com/search/search-api:5.9.1", port=8000, env=env)],
                container={"envFrom": [{"configMapRef": {"name": "search-api-server"}}],
                           "command": ["uvicorn", "search.main:app"]})]
    wl = inc.deployment("search", "search-api", revs, {8: [P(log=within(log)) for _ in range(3)]})
    inc.service("search", "search-api", {"app": "search-api"}, target=8000)
    herring(inc, "search", "search-indexer", "registry.example.com/search/search-indexer", "2.2.0",
            AT12 - timedelta(minutes=90))
    db = inc.canary("password", "search-api-db")
    inc.secret("search", "search-api-db", {"url": f"postgresql://search:{db}@search-db.search.svc:5432/search"})
    http_series(inc, "search", "search-api", lambda t: 90.0 if t < restarted else 60.0,
                lambda t: 0.0 if t < restarted else 30.0, code="503")
    inc.pod_series(wl.pods)
    inc.alertmanager("HTTPErrorRateHigh", {"namespace": "search", "service": "search-api", "job": "search-api"},
                     "search-api 5xx ratio above 5%", "search-api answers a third of its requests with HTTP 5xx.",
                     'sum(rate(http_requests_total{service="search-api",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{service="search-api"}[5m])) > 0.05', severity="critical")
    inc.answer_key(culprit=("ConfigMap", "search", "search-api-server"),
                   keywords=["limit-concurrency", "concurrency limit", "uvicorn", "503"],
                   root_cause="A hand edit of ConfigMap search/search-api-server set UVICORN_LIMIT_CONCURRENCY=8 "
                              "(uvicorn --limit-concurrency); above 8 concurrent connections per worker uvicorn logs "
                              "'Exceeded concurrency limit.' and answers 503 itself.",
                   category="asgi-server-concurrency-limit-returns-503",
                   red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


ALL = [connect_workers_restarting, thumbnail_latency_question, card_auth_errors_page, order_rejections_page,
       basket_errors_burn, ledger_consumer_lag_alert, storefront_errors_grouped, product_page_rpc_errors,
       order_api_errors_burn, gateway_unauthorized_page, node_traces_missing_question, search_api_errors]
