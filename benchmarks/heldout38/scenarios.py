"""Round 38 of the held-out incident set: observability pipelines and asynchronous work.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit in the telemetry pipeline itself (remote-write relabelling, trace sampling in
front of span metrics, a log pipeline's date parsing, HA deduplication at the query layer, a scrape's
sample limit, a node-local StatsD agent) or in asynchronous work (Sidekiq queue ordering, Airflow
catch-up runs, KEDA's shared trigger authentication, Temporal workflow replay, a retried non-idempotent
CronJob, RabbitMQ's delivery acknowledgement timeout). Most pages are on the applications they hurt or
on what the telemetry claims about them; about a third are simple (the cause is in the paged object's
own spec, revisions or logs). Log lines follow the real software's formats.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
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
    ramp,
    revision,
    send,
    series,
    since,
    start,
    step,
    until,
    within,
    wobble,
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


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 10, 25, tzinfo=UTC)


def checkout_latency_slo_no_data() -> Incident:
    """Prometheus remote write gains a drop rule for every `_bucket` series: the central latency SLO has no data.

    after: cost-reduction postmortems on hosted metrics (Mimir, Cortex, Grafana Cloud, Amazon Managed
    Prometheus) where a write_relabel_configs rule meant for a few expensive histograms matched all of
    them, and the central ruler's latency SLOs and dashboards went blank while the local Prometheus kept
    every series.

    The kube-prometheus-stack Prometheus resource in monitoring was changed by a Helm upgrade 48 minutes
    before the page: its remoteWrite writeRelabelConfigs gained `{sourceLabels: [__name__], regex: .+_bucket,
    action: drop}`. Prometheus reloaded its configuration; from then on 23k samples per second are dropped
    before remote write and Mimir receives 45% fewer samples, every histogram bucket among them. The
    central ruler's checkout latency SLI is `absent()`. Locally, checkout's histogram is intact and
    checkout serves normally. The red herring is the prometheus-operator upgrade minutes later.
    """
    at = AT1
    inc = start(checkout_latency_slo_no_data, "Checkout latency SLO has no data at the central ruler", at, 3801)
    chg = at - timedelta(minutes=48)
    old_rule = {"sourceLabels": ["__name__"], "action": "drop",
                "regex": "apiserver_request_duration_seconds_bucket|etcd_request_duration_seconds_bucket"}
    new_rule = {"sourceLabels": ["__name__"], "action": "drop", "regex": ".+_bucket"}
    spec = {"replicas": 1, "retention": "24h", "version": "v2.54.1", "externalLabels": {"cluster": "prod-eu-west-1"},
            "serviceMonitorSelector": {}, "podMonitorSelector": {}, "ruleSelector": {},
            "remoteWrite": [{"url": "https://mimir.obs.example.com/api/v1/push",
                             "basicAuth": {"username": {"name": "mimir-remote-write", "key": "username"},
                                           "password": {"name": "mimir-remote-write", "key": "password"}},
                             "queueConfig": {"capacity": 10000, "maxSamplesPerSend": 2000, "maxShards": 50},
                             "writeRelabelConfigs": [old_rule, new_rule]}]}
    prom = custom(inc, "Prometheus", "monitoring.coreos.com/v1", "prometheuses", "monitoring",
                  "kube-prometheus-stack-prometheus", spec,
                  {"availableReplicas": 1, "replicas": 1, "updatedReplicas": 1,
                   "conditions": [{"type": "Available", "status": "True", "observedGeneration": 12},
                                  {"type": "Reconciled", "status": "True", "observedGeneration": 12}]},
                  "helm", chg, {"f:spec": {"f:remoteWrite": {}}, "f:metadata": {"f:labels": {"f:chart": {}}}},
                  generation=12, first="helm")
    prom["metadata"]["labels"] = {"app": "kube-prometheus-stack-prometheus", "chart": "kube-prometheus-stack-65.1.1",
                                  "app.kubernetes.io/managed-by": "Helm", "release": "kube-prometheus-stack"}
    prom["metadata"]["annotations"] = {"meta.helm.sh/release-name": "kube-prometheus-stack",
                                       "meta.helm.sh/release-namespace": "monitoring"}
    plant(inc, "monitoring", "mimir-remote-write", "password", "mimir", "password")
    q = "4b1f2c"

    def prom_log(pod: str, s: datetime, e: datetime) -> Lines:
        def lf(t: datetime, caller: str, level: str, msg: str, extra: str = "") -> str:
            return f"ts={gomillis(t)} caller={caller} level={level} msg=\"{msg}\" {extra}".rstrip()
        out = every(s, e, 7200, lambda i, t: lf(t, "compact.go:576", "info", "write block", "component=tsdb"))
        out += every(s + timedelta(minutes=3), e, 1800, lambda i, t: lf(
            t, "head.go:1324", "info", "Head GC completed", "component=tsdb duration=31.2ms"))
        r = chg + timedelta(seconds=41)
        ms = [r + timedelta(milliseconds=3 * i) for i in range(5)]
        out += [(ms[0], lf(r, "main.go:1372", "info", "Loading configuration file",
                       "filename=/etc/prometheus/config_out/prometheus.env.yaml")),
                (ms[1], lf(ms[1], "dedupe.go:112", "info", "Stopping remote storage...",
                       f"component=remote remote_name={q} url=https://mimir.obs.example.com/api/v1/push")),
                (ms[2], lf(ms[2], "dedupe.go:112", "info", "Starting WAL watcher", f"component=remote queue={q}")),
                (ms[3], lf(ms[3], "dedupe.go:112", "info", "Replaying WAL", f"component=remote queue={q}")),
                (ms[4], lf(ms[4], "main.go:1412", "info", "Completed loading of configuration file",
                       "filename=/etc/prometheus/config_out/prometheus.env.yaml totalDuration=52.4ms "
                       "db_storage=1.1µs remote_storage=2.3ms web_handler=630ns query_engine=720ns "
                       "scrape=310.8µs scrape_sd=1.6ms notify=22.1µs rules=18.4ms"))]
        return out
    ph = inc.pods_of("monitoring", "prometheus")[0]
    pod_log(ph, "prometheus", prom_log, inc.captured - timedelta(hours=3), inc.captured)
    herring(inc, "monitoring", "kube-prometheus-stack-operator", "quay.io/prometheus-operator/prometheus-operator",
            "v0.76.1", "v0.76.2", at - timedelta(minutes=31))
    begin = at - timedelta(hours=2)
    rw = {"namespace": "monitoring", "pod": ph.name, "remote_name": q,
          "url": "https://mimir.obs.example.com/api/v1/push"}
    series(inc, "prometheus_remote_storage_samples_total", "counter", "Total number of samples sent to remote storage.",
           rw, counter(begin, 52140, 28870, chg))
    series(inc, "prometheus_remote_storage_samples_dropped_total", "counter",
           "Total number of samples which were dropped after being read from the WAL before being sent via "
           "remote write, either via relabelling, due to being too old or unintentionally because of an "
           "unknown reference ID.", rw, counter(begin, 410, 23680, chg))
    series(inc, "cortex_distributor_received_samples_total", "counter",
           "The total number of received samples, excluding rejected and deduped samples.",
           {"user": "prod-eu-west-1", "job": "mimir/distributor"}, counter(begin, 52120, 28850, chg))
    series(inc, "http_server_request_duration_seconds_count", "counter", "Duration of HTTP server requests.",
           {"namespace": "shop", "service": "checkout", "job": "checkout"}, counter(begin, 141, 139, chg))
    for le, share in (("0.1", 0.71), ("0.25", 0.93), ("+Inf", 1.0)):
        series(inc, "http_server_request_duration_seconds_bucket", "counter", "Duration of HTTP server requests.",
               {"namespace": "shop", "service": "checkout", "job": "checkout", "le": le},
               counter(begin, 141 * share, 139 * share, chg))
    send(inc, [alert(inc, "CheckoutLatencySLINoData", {"namespace": "shop", "service": "checkout",
                                                       "sloth_slo": "requests-latency", "tenant": "prod-eu-west-1"},
                     "checkout: latency SLI has no data for 15m",
                     "The checkout latency SLO (99% under 250 ms) cannot be evaluated: the SLI query returns no "
                     "series in tenant prod-eu-west-1.",
                     'absent(sum(rate(http_server_request_duration_seconds_bucket{namespace="shop",'
                     'service="checkout",le="0.25"}[5m])))', "critical",
                     source={"ruler": "mimir", "cluster": "prod-eu-west-1"})], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Prometheus", "monitoring", "kube-prometheus-stack-prometheus"),
        keywords=["writeRelabelConfigs", "_bucket"],
        root_cause="The Prometheus resource's remote write writeRelabelConfigs gained a drop rule with regex "
                   ".+_bucket in the Helm upgrade: every histogram _bucket series is dropped before remote "
                   "write, so Mimir no longer receives checkout's latency buckets and the central SLI is absent "
                   "while local data and the service are fine.",
        category="remote-write-relabel-drops-all-histogram-buckets",
        red_herrings=[("Deployment", "monitoring", "kube-prometheus-stack-operator")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 2, 14, 40, tzinfo=UTC)


def checkout_request_rate_drop() -> Incident:
    """A trace collector samples 10% of traces ahead of its span-metrics connector: request rates read 10x low.

    after: OpenTelemetry Collector issue threads and vendor notes on span-derived RED metrics, where
    head sampling placed in the same traces pipeline that feeds the spanmetrics connector made every
    request-rate panel and traffic alert built on those metrics drop by the sampling ratio.

    Someone edited the OpenTelemetryCollector `otel-gateway` (observability) with kubectl 41 minutes before
    the page to add `probabilistic_sampler: {sampling_percentage: 10}` to the traces pipeline, to cut Tempo
    storage. The same pipeline exports to the `spanmetrics` connector, so `traces_span_metrics_calls_total`
    for checkout falls from ~118/s to ~12/s; the operator rolled the collector Deployment. The ingress and
    checkout's own counters show unchanged traffic, and the sampler's own counter shows nine traces in ten
    dropped. The red herring is a promotions rollout in shop.
    """
    at = AT2
    inc = start(checkout_request_rate_drop, "Checkout request rate far below last week", at, 3802, ("observability",))
    chg = at - timedelta(minutes=41)
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"},
                                             "http": {"endpoint": "0.0.0.0:4318"}}}},
        "processors": {"memory_limiter": {"check_interval": "1s", "limit_percentage": 80,
                                          "spike_limit_percentage": 20},
                       "batch": {"send_batch_size": 8192, "timeout": "2s"},
                       "probabilistic_sampler": {"sampling_percentage": 10}},
        "connectors": {"spanmetrics": {"histogram": {"explicit": {"buckets": ["5ms", "25ms", "100ms", "250ms",
                                                                              "1s", "5s"]}},
                                       "dimensions": [{"name": "http.route"}, {"name": "http.response.status_code"}],
                                       "metrics_flush_interval": "15s"}},
        "exporters": {"otlp/tempo": {"endpoint": "tempo-distributor.observability:4317", "tls": {"insecure": True}},
                      "prometheusremotewrite": {"endpoint": "http://prometheus.monitoring:9090/api/v1/write",
                                                "resource_to_telemetry_conversion": {"enabled": True}}},
        "service": {"pipelines": {
            "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "probabilistic_sampler", "batch"],
                       "exporters": ["otlp/tempo", "spanmetrics"]},
            "metrics/spanmetrics": {"receivers": ["spanmetrics"], "processors": ["batch"],
                                    "exporters": ["prometheusremotewrite"]}}}}
    custom(inc, "OpenTelemetryCollector", "opentelemetry.io/v1beta1", "opentelemetrycollectors", "observability",
           "otel-gateway", {"mode": "deployment", "replicas": 2,
                            "image": "otel/opentelemetry-collector-contrib:0.111.0", "config": config},
           {"image": "otel/opentelemetry-collector-contrib:0.111.0", "version": "0.111.0",
            "scale": {"replicas": 2, "statusReplicas": "2/2", "selector": "app.kubernetes.io/instance=observability."
                                                                            "otel-gateway"}},
           "kubectl-edit", chg, {"f:spec": {"f:config": {"f:processors": {"f:probabilistic_sampler": {}},
                                                         "f:service": {"f:pipelines": {"f:traces": {}}}}}},
           generation=9)

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        b = s + timedelta(seconds=1)
        steps = [("service@v0.111.0/service.go:135", "Setting up own telemetry..."),
                 ("memorylimiter@v0.111.0/memorylimiter.go:151", "Using percentage memory limiter"),
                 ("service@v0.111.0/service.go:207", "Starting otelcol-contrib...\t{\"Version\": \"0.111.0\", "
                                                     "\"NumCPU\": 4}"),
                 ("extensions/extensions.go:39", "Starting extensions..."),
                 ("otlpreceiver@v0.111.0/otlp.go:112", "Starting GRPC server\t{\"kind\": \"receiver\", \"name\": "
                                                       "\"otlp\", \"data_type\": \"traces\", \"endpoint\": "
                                                       "\"0.0.0.0:4317\"}"),
                 ("service@v0.111.0/service.go:230", "Everything is ready. Begin running and processing data.")]
        return [(b + timedelta(milliseconds=40 * i), f"{gomillis(b + timedelta(milliseconds=40 * i))}\tinfo\t{w}\t{m}")
                for i, (w, m) in enumerate(steps)]
    revs = [Rev(4, inc.born + timedelta(days=15), "opentelemetry-operator",
                [c("otc-container", "otel/opentelemetry-collector-contrib:0.111.0", port=4317)]),
            Rev(5, chg + timedelta(seconds=9), "opentelemetry-operator",
                [c("otc-container", "otel/opentelemetry-collector-contrib:0.111.0", port=4317)])]
    inc.deployment("observability", "otel-gateway-collector", revs, {5: [P(log=within(collector)) for _ in range(2)]})
    plant(inc, "observability", "tempo-tenant", "token", "tempo", "X-Scope-OrgID-token")
    herring(inc, "shop", "promotions", f"{REGISTRY}/shop/promotions", "1.12.0", "1.13.0", at - timedelta(minutes=26))
    begin = at - timedelta(hours=2)
    series(inc, "traces_span_metrics_calls_total", "counter", "Number of spans (spanmetrics connector).",
           {"service_name": "checkout", "span_kind": "SPAN_KIND_SERVER", "status_code": "STATUS_CODE_UNSET",
            "job": "otel-gateway"}, counter(begin, 118.2, 11.9, chg + timedelta(seconds=40)))
    series(inc, "otelcol_processor_probabilistic_sampler_count_traces_sampled", "counter",
           "Count of traces that were sampled or not", {"sampled": "false", "job": "otel-gateway-collector"},
           counter(begin, 0.0, 431.0, chg + timedelta(seconds=40)))
    series(inc, "otelcol_processor_probabilistic_sampler_count_traces_sampled", "counter",
           "Count of traces that were sampled or not", {"sampled": "true", "job": "otel-gateway-collector"},
           counter(begin, 0.0, 47.8, chg + timedelta(seconds=40)))
    series(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {"namespace": "shop", "ingress": "checkout", "status": "200", "job": "ingress-nginx"},
           counter(begin, 119.0, 120.4, chg))
    series(inc, "http_requests", "counter", "Total HTTP requests.",
           {"namespace": "shop", "service": "checkout", "job": "checkout", "code": "200"},
           counter(begin, 118.5, 119.6, chg))
    send(inc, [alert(inc, "CheckoutRequestRateLow", {"namespace": "shop", "service_name": "checkout"},
                     "checkout server request rate is 90% below the same time last week",
                     "sum(rate(traces_span_metrics_calls_total{service_name=\"checkout\"}[10m])) is 11.9/s; last "
                     "week at this time it was 117.6/s.",
                     'sum(rate(traces_span_metrics_calls_total{service_name="checkout",span_kind="SPAN_KIND_SERVER"}'
                     '[10m])) < 0.5 * sum(rate(traces_span_metrics_calls_total{service_name="checkout",'
                     'span_kind="SPAN_KIND_SERVER"}[10m] offset 1w))', "critical")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("OpenTelemetryCollector", "observability", "otel-gateway"),
        keywords=["probabilistic_sampler", "spanmetrics"],
        root_cause="The OpenTelemetryCollector otel-gateway was edited to add a probabilistic_sampler at 10% to "
                   "the traces pipeline that also feeds the spanmetrics connector: span-derived request rates "
                   "for checkout fell to a tenth while real traffic (ingress and the service's own counters) is "
                   "unchanged; the alert is a telemetry artefact.",
        category="head-sampling-ahead-of-span-metrics",
        red_herrings=[("Deployment", "shop", "promotions")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 3, 10, 45, tzinfo=UTC)


def ledger_logs_gap_question() -> Incident:
    """A shared Logstash pipeline's date filter gains `timezone => Europe/Berlin`: UTC logs land an hour in the past.

    after: log-pipeline postmortems and Elastic forum threads where a date filter's timezone, added for one
    source that logs local time, was applied to sources that log UTC without an offset: their events were
    indexed an hour early, "last 15 minutes" searches came back empty and log-based alerts went silent.

    The ECK Logstash resource `ingest` (logging) was edited with kubectl 38 minutes before the question: the
    payments branch of its pipeline now parses `log_ts` with `timezone => "Europe/Berlin"`; ECK restarted
    ingest-ls-0 a minute later. ledger-writer (payments) keeps writing UTC timestamps without an offset and
    its errors continue; Logstash and Elasticsearch index at the usual rate. Its documents since 10:08 carry
    @timestamp one hour earlier, so Kibana's recent window is empty. The red herring is Kibana's upgrade.
    """
    at = AT3
    inc = start(ledger_logs_gap_question, "ledger-writer logs missing from Kibana", at, 3803, ("logging",))
    chg = at - timedelta(minutes=38)
    pipeline = (
        "input { beats { port => 5044 } }\n"
        "filter {\n"
        "  if [kubernetes][namespace] == \"payments\" {\n"
        "    grok { match => { \"message\" => \"^%{TIMESTAMP_ISO8601:log_ts} %{LOGLEVEL:level} "
        "%{NOTSPACE:logger}: %{GREEDYDATA:msg}\" } }\n"
        "    date { match => [\"log_ts\", \"yyyy-MM-dd HH:mm:ss,SSS\"] timezone => \"Europe/Berlin\" "
        "target => \"@timestamp\" }\n"
        "  }\n"
        "}\n"
        "output { elasticsearch { hosts => [\"${LOGS_ES_HOSTS}\"] data_stream => true } }\n")
    custom(inc, "Logstash", "logstash.k8s.elastic.co/v1alpha1", "logstashes", "logging", "ingest",
           {"version": "8.15.3", "count": 1, "elasticsearchRefs": [{"name": "logs", "clusterName": "logs"}],
            "pipelines": [{"pipeline.id": "main", "config.string": pipeline}],
            "services": [{"name": "beats", "service": {"spec": {"ports": [{"port": 5044, "name": "beats"}]}}}]},
           {"availableNodes": 1, "expectedNodes": 1, "version": "8.15.3", "observedGeneration": 6,
            "elasticsearchAssociationsStatus": {"logging/logs": "Established"}},
           "kubectl-edit", chg, {"f:spec": {"f:pipelines": {}}}, generation=6)

    def logstash(pod: str, s: datetime, e: datetime) -> Lines:
        def ls(t: datetime, level: str, logger: str, msg: str) -> str:
            stamp = f"{t.strftime('%Y-%m-%dT%H:%M:%S')},{t.microsecond // 1000:03d}"
            return f"[{stamp}][{level:<5}][{logger:<25}][main] {msg}"
        b = s + timedelta(seconds=14)
        out = [(b, ls(b, "INFO", "logstash.outputs.elasticsearch", "Elasticsearch version determined (8.15.3) "
                                                                    "{:es_version=>8}")),
               (b + timedelta(seconds=2), ls(b + timedelta(seconds=2), "INFO", "logstash.javapipeline",
                                             'Starting pipeline {:pipeline_id=>"main", "pipeline.workers"=>4, '
                                             '"pipeline.batch.size"=>125, "pipeline.batch.delay"=>50}')),
               (b + timedelta(seconds=4), ls(b + timedelta(seconds=4), "INFO", "logstash.javapipeline",
                                             'Pipeline started {"pipeline.id"=>"main"}')),
               (b + timedelta(seconds=5), ls(b + timedelta(seconds=5), "INFO", "org.logstash.beats.Server",
                                             "Starting server on port: 5044"))]
        return out
    wl = inc.statefulset("logging", "ingest-ls", [c("logstash", "docker.elastic.co/logstash/logstash:8.15.3",
                                                    port=5044)], [P(log=within(logstash))],
                         chg + timedelta(seconds=55))
    wl.obj["metadata"]["ownerReferences"] = [o.owner_ref("Logstash", "ingest", "logging",
                                                         "logstash.k8s.elastic.co/v1alpha1")]

    def ledger(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if i % 23 == 7:
                return L.pylog(t, "ERROR", "ledger.writer", f"posting batch {88000 + i} failed, will retry: "
                                                           "could not serialize access due to concurrent update")
            return L.pylog(t, "INFO", "ledger.writer", f"posted batch {88000 + i} entries={40 + i % 17} "
                                                       f"lag_ms={110 + i % 60}")
        return every(s, e, 20, line)
    workload(inc, "payments", "ledger-writer", ledger, replicas=2)
    herring(inc, "logging", "kibana", "docker.elastic.co/kibana/kibana", "8.15.2", "8.15.3",
            at - timedelta(minutes=29))
    plant(inc, "logging", "logs-es-elastic-user", "password", "elastic", "elastic")
    begin = at - timedelta(hours=2)
    series(inc, "logstash_stats_pipeline_events_out", "counter", "Pipeline events out",
           {"pipeline": "main", "namespace": "logging", "job": "logstash-exporter"},
           counter(begin, 2210, 2190, chg + timedelta(minutes=1)))
    series(inc, "elasticsearch_indices_indexing_index_total", "counter", "Total index calls",
           {"index": ".ds-logs-payments-default-2026.12.01-000004", "job": "elasticsearch-exporter"},
           counter(begin, 402, 398, chg))
    inc.ask("ledger-writer's logs stopped showing up in Kibana at about 10:08: the last 15 minutes are empty and "
            "our log-based error alert for it went quiet. Is ledger-writer down?")
    inc.answer_key(
        culprit=("Logstash", "logging", "ingest"),
        keywords=["timezone", "date filter"],
        root_cause="The Logstash pipeline of the ECK resource ingest was edited: the payments date filter now "
                   "parses log_ts with timezone Europe/Berlin, but ledger-writer logs UTC without an offset, so "
                   "its events are indexed one hour in the past and Kibana's recent window is empty; the service "
                   "and ingestion are fine.",
        category="log-pipeline-date-filter-wrong-timezone",
        red_herrings=[("Deployment", "logging", "kibana")])
    return inc


# ---- 4: simple -------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 8, 20, tzinfo=UTC)


def password_reset_mail_delayed() -> Incident:
    """A Sidekiq revision drops its queue weights: strict order starves the mailers queue behind a bulk import.

    after: Sidekiq wiki and support threads on queue priorities, where `-q critical -q default -q mailers`
    without weights is strict ordering: a lower queue is only served when every queue above it is empty,
    so a long import in `default` held back transactional email for an hour.

    Revision 8 of Deployment sidekiq (accounts), rolled out 52 minutes before the alert, changed the
    command's queue flags from `-q critical,6 -q default,3 -q mailers,2 -q low,1` to the same queues without
    weights. A customer import is filling `default`; the workers only run CustomerImportJob since the
    rollout and mailers latency climbs past 45 minutes. The red herring is accounts-web's rollout.
    """
    at = AT4
    inc = start(password_reset_mail_delayed, "Password reset emails delayed by ~45 minutes", at, 3804, ("accounts",))
    chg = at - timedelta(minutes=52)
    old = ["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "critical,6", "-q", "default,3",
           "-q", "mailers,2", "-q", "low,1"]
    new = ["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "critical", "-q", "default",
           "-q", "mailers", "-q", "low"]
    env = [{"name": "RAILS_ENV", "value": "production"}, {"name": "SIDEKIQ_CONCURRENCY", "value": "10"},
           {"name": "REDIS_URL", "value": "redis://redis-accounts.accounts:6379/0"}]

    def sidekiq(pod: str, s: datetime, e: datetime) -> Lines:
        tid = o.suffix(pod, 4).lower()

        def sk(t: datetime, msg: str, extra: str = "") -> str:
            return f"{gomillis(t)} pid=1 tid={tid} {extra}INFO: {msg}"
        b = s + timedelta(seconds=3)
        out = [(b, sk(b, "Booted Rails 7.1.4 application in production environment")),
               (b + timedelta(milliseconds=5), sk(b + timedelta(milliseconds=5),
                                                  "Running in ruby 3.3.5 (2024-09-03 revision ef084cc8f4) +YJIT "
                                                  "[x86_64-linux]")),
               (b + timedelta(milliseconds=9), sk(b + timedelta(milliseconds=9),
                                                  "Sidekiq 7.3.2 connecting to Redis with options {:size=>12, "
                                                  ":pool_name=>\"internal\", :url=>\"redis://redis-accounts.accounts"
                                                  ":6379/0\"}")),
               (b + timedelta(seconds=1), sk(b + timedelta(seconds=1), "Starting processing, hit Ctrl-C to stop"))]

        def job(i: int, t: datetime) -> str | None:
            jid = L.uuidish(pod, i).replace("-", "")[:24]
            return sk(t, "done", f"class=CustomerImportJob jid={jid} elapsed={1.6 + (i % 9) / 10:.3f} ")
        out += every(b + timedelta(seconds=4), e, 2.5, job)
        return out
    revs = [Rev(7, inc.born + timedelta(days=21), "helm upgrade",
                [c("sidekiq", f"{REGISTRY}/accounts/app:2024.11.3", env=env, port=None, readiness_path=None,
                   liveness_path=None)], container={"command": old}),
            Rev(8, chg, "helm upgrade",
                [c("sidekiq", f"{REGISTRY}/accounts/app:2024.12.1", env=env, port=None, readiness_path=None,
                   liveness_path=None)], container={"command": new})]
    inc.deployment("accounts", "sidekiq", revs, {8: [P(log=within(sidekiq)) for _ in range(3)]})
    herring(inc, "accounts", "accounts-web", f"{REGISTRY}/accounts/app", "2024.11.3", "2024.12.1",
            at - timedelta(minutes=24))
    plant(inc, "accounts", "smtp-relay", "password", "smtp", "SMTP_PASSWORD")
    begin = at - timedelta(hours=2)
    imp = chg - timedelta(minutes=20)
    for queue, lat, enq in (("critical", step(0.4, 0.6, chg), step(0, 1, chg)),
                            ("default", ramp(0.8, 6.0, imp), ramp(3, 160, imp)),
                            ("mailers", ramp(1.1, 60.0, chg), ramp(2, 9.5, chg)),
                            ("low", ramp(4.0, 60.0, chg), ramp(10, 3, chg))):
        labels = {"namespace": "accounts", "queue": queue, "job": "sidekiq-exporter"}
        series(inc, "sidekiq_queue_latency_seconds", "gauge", "The number of seconds the oldest job in the queue "
               "has been waiting.", labels, lat)
        series(inc, "sidekiq_queue_enqueued_jobs", "gauge", "The number of enqueued jobs in the queue.", labels, enq)
    series(inc, "sidekiq_jobs_executed_total", "counter", "Total jobs executed.",
           {"namespace": "accounts", "queue": "mailers", "job": "sidekiq-exporter"}, counter(begin, 3.8, 0.0, chg))
    series(inc, "sidekiq_jobs_executed_total", "counter", "Total jobs executed.",
           {"namespace": "accounts", "queue": "default", "job": "sidekiq-exporter"}, counter(begin, 2.1, 11.9, chg))
    send(inc, [alert(inc, "SidekiqQueueLatencyHigh", {"namespace": "accounts", "queue": "mailers",
                                                      "job": "sidekiq-exporter"},
                     "Sidekiq queue mailers is 45 minutes behind",
                     "sidekiq_queue_latency_seconds{queue=\"mailers\"} is 2731 s (threshold 300 s) on accounts; "
                     "password reset and sign-up emails are waiting.",
                     'max by (namespace, queue) (sidekiq_queue_latency_seconds{queue="mailers"}) > 300')],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "accounts", "sidekiq"),
        keywords=["weights", "strict"],
        root_cause="Revision 8 of the sidekiq Deployment removed the queue weights from its -q flags; without "
                   "weights Sidekiq polls queues in strict order, so while the customer import keeps default "
                   "busy the mailers queue is never served.",
        category="sidekiq-queue-weights-removed",
        red_herrings=[("Deployment", "accounts", "accounts-web")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 4, 7, 5, tzinfo=UTC)


def finance_close_dag_late_page() -> Incident:
    """A DAG re-published with a start_date two years back and catch-up on: hundreds of runs fill the shared pool.

    after: Airflow issue threads and data-platform postmortems where moving a DAG's start_date into the past
    with catchup enabled (the default) made the scheduler create a run for every missed interval; the
    back-fill took every slot of default_pool and other teams' SLA-bound DAGs sat queued.

    The ConfigMap dags-marketing (airflow), mounted into the scheduler and workers, was applied at 05:55
    with marketing_attribution.py changed to `start_date=pendulum.datetime(2025, 1, 1)` and `catchup=True`
    (it used to start on 2026-11-20 with catchup off). The scheduler creates DagRuns for 2025-01-01 onwards,
    default_pool's 128 slots are all taken by marketing_attribution tasks and finance_daily_close's tasks
    wait with "Not scheduling since there are 0 open slots in pool default_pool". The red herring is the
    webserver's rollout.
    """
    at = AT5
    inc = start(finance_close_dag_late_page, "finance_daily_close missed its 07:00 UTC deadline", at, 3805,
                ("airflow",))
    chg = at - timedelta(minutes=70)
    dag = (
        "import pendulum\n"
        "from airflow import DAG\n"
        "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n"
        "from airflow.operators.python import PythonOperator\n\n"
        "with DAG(\n"
        "    dag_id=\"marketing_attribution\",\n"
        "    schedule=\"@daily\",\n"
        "    start_date=pendulum.datetime(2025, 1, 1, tz=\"UTC\"),\n"
        "    catchup=True,\n"
        "    max_active_runs=64,\n"
        "    tags=[\"marketing\"],\n"
        ") as dag:\n"
        "    touchpoints = PythonOperator(task_id=\"load_touchpoints\", python_callable=load_touchpoints)\n"
        "    model = PythonOperator(task_id=\"fit_attribution\", python_callable=fit_attribution)\n"
        "    touchpoints >> model\n")
    cm = inc.configmap("airflow", "dags-marketing", {"marketing_attribution.py": dag},
                       at=inc.born + timedelta(days=30))
    changed(cm, ("argocd-controller", "Apply", inc.born + timedelta(days=30), {"f:data": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:data": {"f:marketing_attribution.py": {}}}))

    def airflow(t: datetime, src: str, msg: str, level: str = "INFO") -> str:
        return f"[{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}+0000] {{{src}}} {level} - {msg}"

    def scheduler(pod: str, s: datetime, e: datetime) -> Lines:
        def tick(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(seconds=40):
                return airflow(t, "scheduler_job_runner.py:1608", "Adopting or resetting orphaned tasks for active "
                                                                  "dag runs") if i % 20 == 0 else None
            n = int((t - chg).total_seconds() // 5)
            day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n)
            if i % 3 == 0 and day < datetime(2026, 12, 3, tzinfo=UTC):
                nxt = day + timedelta(days=1)
                return airflow(t, "dag.py:4143", f"Setting next_dagrun for marketing_attribution to "
                                                 f"{nxt.strftime('%Y-%m-%d')} 00:00:00+00:00, run_after="
                                                 f"{(nxt + timedelta(days=1)).strftime('%Y-%m-%d')} 00:00:00+00:00")
            if i % 3 == 1:
                return airflow(t, "scheduler_job_runner.py:423", "Figuring out tasks to run in "
                                                                 f"Pool(name=default_pool) with 0 open slots and "
                                                                 f"{300 + n * 2} task instances ready to be queued")
            return airflow(t, "scheduler_job_runner.py:451", "Not scheduling since there are 0 open slots in pool "
                                                             "default_pool")
        return every(s, e, 15, tick)

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        def run(i: int, t: datetime) -> str | None:
            if t < chg:
                return (f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d}: INFO/ForkPoolWorker-"
                        f"{1 + i % 16}] Task airflow.providers.celery.executors.celery_executor_utils.execute_command"
                        f"[{L.uuidish(pod, i)}] succeeded in {30 + i % 40}.2s: None") if i % 10 == 0 else None
            day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=(i * 7) % 600)
            return airflow(t, "task_command.py:467", f"Running <TaskInstance: marketing_attribution.load_touchpoints "
                                                    f"scheduled__{day.strftime('%Y-%m-%d')}T00:00:00+00:00 [queued]> "
                                                    f"on host {pod}")
        return every(s, e, 30, run)
    image = "apache/airflow:2.10.3-python3.11"
    inc.deployment("airflow", "airflow-scheduler", [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                                                        [c("scheduler", image, port=8974)])],
                   {1: [P(log=within(scheduler))]})
    inc.deployment("airflow", "airflow-worker", [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                                                     [c("worker", image, port=8793)])],
                   {1: [P(log=within(worker)) for _ in range(4)]})
    herring(inc, "airflow", "airflow-webserver", "apache/airflow", "2.10.2-python3.11", "2.10.3-python3.11",
            at - timedelta(minutes=35))
    plant(inc, "airflow", "airflow-connections", "password", "warehouse", "AIRFLOW_CONN_WAREHOUSE",
          "postgresql://etl:{}@warehouse.data.svc:5432/finance")
    sched = chg + timedelta(minutes=2)
    series(inc, "airflow_pool_open_slots", "gauge", "Number of open slots in the pool", {"pool": "default_pool",
                                                                                   "job": "airflow-statsd"},
           step(101, 0, sched))
    series(inc, "airflow_pool_queued_slots", "gauge", "Number of queued slots in the pool",
           {"pool": "default_pool", "job": "airflow-statsd"}, ramp(0, 9.0, sched))
    series(inc, "airflow_pool_running_slots", "gauge", "Number of running slots in the pool",
           {"pool": "default_pool", "job": "airflow-statsd"}, step(27, 128, sched))
    series(inc, "airflow_dagrun_duration_success", "gauge", "Seconds taken for a DagRun to reach success state",
           {"dag_id": "finance_daily_close", "job": "airflow-statsd"}, lambda t: 1710.0)
    inc.pagerduty("[Airflow SLA] finance_daily_close has not finished by 07:00 UTC: ledger close blocked",
                  "Finance data platform")
    inc.answer_key(
        culprit=("ConfigMap", "airflow", "dags-marketing"),
        keywords=["catchup", "start_date"],
        root_cause="The dags-marketing ConfigMap was applied with marketing_attribution's start_date moved to "
                   "2025-01-01 and catchup=True: the scheduler back-fills hundreds of daily runs whose tasks take "
                   "every default_pool slot, so finance_daily_close's tasks are never scheduled.",
        category="airflow-catchup-backfill-exhausts-pool",
        red_herrings=[("Deployment", "airflow", "airflow-webserver")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)


def order_events_freshness_burn() -> Incident:
    """A cluster-wide KEDA trigger authentication switched to a RabbitMQ user with no access to the vhost.

    after: KEDA issue threads and platform-team postmortems where a shared ClusterTriggerAuthentication was
    re-pointed at another secret: every ScaledObject using it failed to read its queue, the HPAs held their
    current replicas and consumers could not keep up at the morning peak.

    The cluster-scoped ClusterTriggerAuthentication rabbitmq-shared was updated by Terraform 55 minutes before
    the page: its `host` parameter now comes from secret rabbitmq-keda-monitoring (user monitoring) instead of
    rabbitmq-keda (user keda-scaler). RabbitMQ refuses the monitoring user on vhost orders, keda-operator logs
    `NOT_ALLOWED - access to vhost 'orders' refused for user 'monitoring'` for both ScaledObjects, their HPAs
    report FailedGetExternalMetric and order-events-consumer stays at two replicas while order-events grows.
    The red herring is order-api's rollout.
    """
    at = AT6
    inc = start(order_events_freshness_burn, "order-events processing freshness SLO burning", at, 3806,
                ("keda", "orders", "notifications"))
    chg = at - timedelta(minutes=55)
    crd(inc, "ClusterTriggerAuthentication", "keda.sh", "clustertriggerauthentications", "Cluster", "v1alpha1")
    cta = inc.add({"apiVersion": "keda.sh/v1alpha1", "kind": "ClusterTriggerAuthentication",
                   "metadata": {"name": "rabbitmq-shared", "generation": 3},
                   "spec": {"secretTargetRef": [{"parameter": "host", "name": "rabbitmq-keda-monitoring",
                                                 "key": "amqp-uri"}]}})
    changed(cta, ("Terraform", "Apply", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("Terraform", "Apply", chg, {"f:spec": {"f:secretTargetRef": {}}}))
    plant(inc, "keda", "rabbitmq-keda", "password", "keda-scaler", "amqp-uri",
          "amqp://keda-scaler:{}@rabbitmq.messaging.svc:5672/orders")
    plant(inc, "keda", "rabbitmq-keda-monitoring", "password", "monitoring", "amqp-uri",
          "amqp://monitoring:{}@rabbitmq.messaging.svc:5672/orders")
    err = "error establishing rabbitmq connection: Exception (530) Reason: \\\"NOT_ALLOWED - access to vhost " \
          "'orders' refused for user 'monitoring'\\\""
    crd(inc, "ScaledObject", "keda.sh", "scaledobjects", "Namespaced", "v1alpha1")
    for ns, name, queue in (("orders", "order-events-consumer", "order-events"),
                            ("notifications", "email-sender", "email-outbox")):
        so = inc.add({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                      "metadata": {"name": name, "namespace": ns, "generation": 2},
                      "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": 2, "maxReplicaCount": 30,
                               "triggers": [{"type": "rabbitmq", "metadata": {"queueName": queue, "mode": "QueueLength",
                                                                              "value": "50", "vhostName": "orders"},
                                             "authenticationRef": {"name": "rabbitmq-shared",
                                                                   "kind": "ClusterTriggerAuthentication"}}]},
                      "status": {"scaleTargetKind": "apps/v1.Deployment", "originalReplicaCount": 2,
                                 "hpaName": f"keda-hpa-{name}",
                                 "conditions": [{"type": "Ready", "status": "False",
                                                 "reason": "ScaledObjectCheckFailed",
                                                 "message": "Triggers defined in ScaledObject are not working "
                                                            "correctly"},
                                                {"type": "Active", "status": "Unknown"},
                                                {"type": "Fallback", "status": "False"}]}})
        changed(so, ("argocd-controller", "Apply", inc.born + timedelta(days=8), {"f:spec": {}}))
        inc.event(so, "KEDAScalerFailed", err.replace("\\", ""), chg + timedelta(seconds=30),
                  inc.captured - timedelta(seconds=20), count=220, component="keda-operator")
        inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                 "metadata": {"name": f"keda-hpa-{name}", "namespace": ns,
                              "labels": {"app.kubernetes.io/managed-by": "keda-operator", "scaledobject.keda.sh/name":
                                         name}},
                 "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                          "minReplicas": 2, "maxReplicas": 30,
                          "metrics": [{"type": "External", "external": {
                              "metric": {"name": f"s0-rabbitmq-{queue}",
                                         "selector": {"matchLabels": {"scaledobject.keda.sh/name": name}}},
                              "target": {"type": "AverageValue", "averageValue": "50"}}}]},
                 "status": {"currentReplicas": 2, "desiredReplicas": 2, "conditions": [
                     {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale"},
                     {"type": "ScalingActive", "status": "False", "reason": "FailedGetExternalMetric",
                      "message": f"the HPA was unable to compute the replica count: unable to get external metric "
                                 f"{ns}/s0-rabbitmq-{queue}/&LabelSelector{{MatchLabels:map[string]string{{"
                                 f"scaledobject.keda.sh/name: {name},}},MatchExpressions:[]LabelSelectorRequirement{{}}"
                                 f",}}: unable to fetch metrics from external metrics API: rpc error: code = Unknown "
                                 f"desc = {err.replace(chr(92), '')}"}]}})

    def keda(pod: str, s: datetime, e: datetime) -> Lines:
        def tick(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(seconds=30):
                return (f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')}\tINFO\tReconciling ScaledObject\t{{\"controller\": "
                        f"\"scaledobject\", \"ScaledObject\": {{\"name\":\"order-events-consumer\",\"namespace\":"
                        f"\"orders\"}}}}") if i % 40 == 0 else None
            ns, name = (("orders", "order-events-consumer"), ("notifications", "email-sender"))[i % 2]
            return (f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')}\tERROR\tscale_handler\terror getting scale decision\t"
                    f"{{\"scaledObject.Namespace\": \"{ns}\", \"scaledObject.Name\": \"{name}\", \"scaler\": "
                    f"\"rabbitMQScaler\", \"error\": \"{err}\"}}")
        return every(s, e, 15, tick)
    inc.deployment("keda", "keda-operator", [Rev(1, inc.born + timedelta(days=10), "helm upgrade",
                                                 [c("keda-operator", "ghcr.io/kedacore/keda:2.15.1", port=8080)])],
                   {1: [P(log=within(keda))]})

    def consumer(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.spring(
            t, "INFO", "c.e.orders.events.OrderEventListener", f"processed {590 + i % 23} order events in last 30s "
            f"(avg {48 + i % 9} ms)", thread="ntContainer#0-1"))
    workload(inc, "orders", "order-events-consumer", consumer, replicas=2)
    workload(inc, "notifications", "email-sender", consumer, replicas=2)
    herring(inc, "orders", "order-api", f"{REGISTRY}/orders/order-api", "5.2.0", "5.3.0", at - timedelta(minutes=25))
    begin = at - timedelta(hours=2)
    peak = at - timedelta(minutes=50)
    series(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
           {"vhost": "orders", "queue": "order-events", "job": "rabbitmq"}, ramp(35, 410, peak))
    series(inc, "keda_scaler_errors_total", "counter", "The total number of errors encountered for each scaler",
           {"namespace": "orders", "scaledObject": "order-events-consumer", "scaler": "rabbitMQScaler",
            "job": "keda-operator"}, counter(begin, 0, 0.066, chg))
    series(inc, "kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas",
           {"namespace": "orders", "horizontalpodautoscaler": "keda-hpa-order-events-consumer",
            "job": "kube-state-metrics"}, step(2, 2, chg))
    send(inc, [alert(inc, "ErrorBudgetBurn", {"namespace": "orders", "service": "order-events-consumer",
                                              "slo": "order-event-freshness", "long": "1h", "short": "5m",
                                              "team": "orders"},
                     "order-events-consumer: error budget burning 18.2x too fast (order-event-freshness, "
                     "objective 99%)",
                     "More than 1% of order events are older than 60 s when processed; oldest ready message is "
                     "19 minutes old.",
                     'sum(rate(order_events_processed_late_total[1h])) / sum(rate(order_events_processed_total[1h])) '
                     '> (14.4 * (1 - 0.99))', "critical")], ["alertname", "slo"])
    inc.answer_key(
        culprit=("ClusterTriggerAuthentication", "", "rabbitmq-shared"),
        keywords=["ClusterTriggerAuthentication", "vhost"],
        root_cause="Terraform re-pointed the cluster-scoped ClusterTriggerAuthentication rabbitmq-shared at the "
                   "rabbitmq-keda-monitoring secret; its user has no access to vhost orders, so KEDA's RabbitMQ "
                   "scaler fails for every ScaledObject using it, the HPAs cannot get their external metric and "
                   "order-events-consumer stays at two replicas while the queue grows.",
        category="keda-shared-trigger-auth-user-without-vhost-access",
        red_herrings=[("Deployment", "orders", "order-api")])
    return inc


# ---- 7: simple -------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 2, 11, 30, tzinfo=UTC)


def fulfilment_workflows_stuck() -> Incident:
    """A worker release inserts an activity into a running workflow's code without versioning: replay fails.

    after: Temporal community threads and SDK docs on determinism, where a deploy that changed the order of
    activities in workflow code (without workflow.GetVersion or a new workflow type) made every workflow
    already in flight fail its workflow tasks with a non-determinism error after the worker restarted.

    Revision 15 of Deployment fulfilment-worker (fulfilment), 3.9.0, rolled out 35 minutes before the alert,
    schedules a new CheckFraud activity before ReserveStock in FulfilOrder. Workflows started under 3.8.2
    replay their history, find ReserveStock where the new code schedules CheckFraud, and the Go SDK logs
    `[TMPRL1100] nondeterministic workflow` on every attempt; in-flight orders stop progressing while new
    ones complete. The red herring is the Temporal web UI upgrade.
    """
    at = AT7
    inc = start(fulfilment_workflows_stuck, "FulfilOrder workflow tasks failing on fulfilment-worker", at, 3807,
                ("fulfilment", "temporal"))
    chg = at - timedelta(minutes=35)
    env = [{"name": "TEMPORAL_ADDRESS", "value": "temporal-frontend.temporal:7233"},
           {"name": "TEMPORAL_NAMESPACE", "value": "default"}, {"name": "TEMPORAL_TASK_QUEUE", "value": "fulfilment"}]

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        def go(t: datetime, level: str, msg: str) -> str:
            return f"{t.strftime('%Y/%m/%d %H:%M:%S')} {level:<5} {msg}"
        b = s + timedelta(seconds=2)
        out = [(b, go(b, "INFO", f"Started Worker Namespace default TaskQueue fulfilment WorkerID 1@{pod}@"))]

        def fail(i: int, t: datetime) -> str:
            wid = f"order-{881200 + (i * 37) % 4000}"
            return go(t, "WARN", f"Failed to process workflow task. Namespace default TaskQueue fulfilment WorkerID "
                                 f"1@{pod}@ WorkflowType FulfilOrder WorkflowID {wid} RunID {L.uuidish(wid, 1)} "
                                 f"Attempt {1 + i % 5} Error [TMPRL1100] nondeterministic workflow: history event is "
                                 f"ActivityTaskScheduled: (ActivityId:5, ActivityType:(Name:ReserveStock), "
                                 f"TaskQueue:(Name:fulfilment, Kind:Normal)), replay command is ScheduleActivityTask: "
                                 f"(ActivityId:5, ActivityType:(Name:CheckFraud), TaskQueue:(Name:fulfilment))")
        out += every(b + timedelta(seconds=20), e, 9, fail)
        return out
    revs = [Rev(14, inc.born + timedelta(days=25), "helm upgrade",
                [c("worker", f"{REGISTRY}/fulfilment/fulfilment-worker:3.8.2", env=env, port=9090)]),
            Rev(15, chg, "helm upgrade",
                [c("worker", f"{REGISTRY}/fulfilment/fulfilment-worker:3.9.0", env=env, port=9090)])]
    inc.deployment("fulfilment", "fulfilment-worker", revs, {15: [P(log=within(worker)) for _ in range(3)]})
    herring(inc, "temporal", "temporal-web", "temporalio/ui", "2.31.2", "2.32.0", at - timedelta(minutes=20))
    plant(inc, "fulfilment", "temporal-client-tls", "token", "mtls", "tls.key")
    begin = at - timedelta(hours=2)
    base = {"namespace": "default", "task_queue": "fulfilment", "workflow_type": "FulfilOrder",
            "job": "fulfilment-worker"}
    series(inc, "temporal_workflow_task_execution_failed_total", "counter", "Workflow task execution failures",
           {**base, "failure_reason": "NonDeterminismError"}, counter(begin, 0, 0.33, chg + timedelta(seconds=40)))
    series(inc, "temporal_workflow_completed_total", "counter", "Workflows completed",
           base, counter(begin, 1.9, 0.2, chg + timedelta(seconds=40)))
    send(inc, [alert(inc, "TemporalWorkflowTaskFailing", {"namespace": "fulfilment",
                                                          "deployment": "fulfilment-worker",
                                                          "workflow_type": "FulfilOrder"},
                     "FulfilOrder workflow tasks are failing on fulfilment-worker",
                     "rate(temporal_workflow_task_execution_failed_total{workflow_type=\"FulfilOrder\"}[5m]) is "
                     "0.33/s; completed FulfilOrder workflows dropped to 0.2/s.",
                     'sum by (workflow_type) (rate(temporal_workflow_task_execution_failed_total[5m])) > 0.05',
                     "critical")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "fulfilment", "fulfilment-worker"),
        keywords=["nondeterministic", "GetVersion"],
        root_cause="fulfilment-worker 3.9.0 (revision 15) changed FulfilOrder's workflow code to schedule a "
                   "CheckFraud activity before ReserveStock without GetVersion or a new workflow type; workflows "
                   "started under 3.8.2 fail replay with a nondeterministic workflow error and stop progressing.",
        category="workflow-code-change-breaks-replay",
        red_herrings=[("Deployment", "temporal", "temporal-web")])
    return inc


# ---- 8: simple -------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 1, 5, 40, tzinfo=UTC)


def statement_emails_repeated() -> Incident:
    """A CronJob's job template gets `backoffLimit: 6`: a non-idempotent mail run restarts from the first customer.

    after: postmortems of duplicate customer emails and charges where retries were added to a batch job
    that is not idempotent: each retried pod started the whole run again and everyone before the failure
    point was sent the same message several times.

    The CronJob monthly-statements (billing) was edited with kubectl the evening before: its jobTemplate's
    backoffLimit went from 0 to 6. The 04:00 run failed after ~8,200 statements on an SMTP 421 rate limit;
    the Job controller started a new pod which begins at account 1 again. Four pods have failed and a fifth
    is running, 33,000 statements are counted for 24,117 accounts. The red herring is an edit to the
    statement template ConfigMap.
    """
    at = AT8
    inc = start(statement_emails_repeated, "Customers receiving their monthly statement several times", at, 3808,
                ("billing",))
    chg = datetime(2026, 11, 30, 17, 12, tzinfo=UTC)
    run = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    job_name = f"monthly-statements-{int(run.timestamp() // 60)}"
    image = f"{REGISTRY}/billing/statements:4.2.0"
    template = {"spec": {"backoffLimit": 6, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "statements", "image": image,
                                                  "args": ["python", "-m", "statements.run", "--period", "previous"],
                                                  "envFrom": [{"secretRef": {"name": "smtp-credentials"}}]}]}}}}
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "monthly-statements", "namespace": "billing", "generation": 5},
                    "spec": {"schedule": "0 4 1 * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3, "suspend": False,
                             "jobTemplate": template},
                    "status": {"lastScheduleTime": ts(run),
                               "active": [{"kind": "Job", "namespace": "billing", "name": job_name,
                                           "apiVersion": "batch/v1"}]}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:backoffLimit": {}}}}}),
            ("kube-controller-manager", "Update", run, {"f:status": {"f:active": {}, "f:lastScheduleTime": {}}}))
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "billing", "creationTimestamp": ts(run),
                                "labels": {"job-name": job_name},
                                "ownerReferences": [o.owner_ref("CronJob", "monthly-statements", "billing",
                                                                "batch/v1")]},
                   "spec": template["spec"],
                   "status": {"startTime": ts(run), "active": 1, "failed": 4, "ready": 1,
                              "uncountedTerminatedPods": {}}})
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name}", run, warning=False, component="cronjob-controller")
    ctr = c("statements", image, port=None, readiness_path=None, liveness_path=None)

    def mail_log(fail: bool, s: datetime, e: datetime) -> str:
        out = [(s, L.pylog(s, "INFO", "statements.run", "starting statement run for period 2026-11 (24117 accounts, "
                                                       "resume=False)"))]
        for i in range(1, 9):
            t = s + timedelta(seconds=i * 118)
            if t < e:
                out.append((t, L.pylog(t, "INFO", "statements.mailer", f"sent {i * 1000}/24117 statements")))
        if fail:
            out.append((e - timedelta(seconds=1), L.pylog(
                e - timedelta(seconds=1), "ERROR", "statements.mailer",
                "sending statement for account 8214 failed\nTraceback (most recent call last):\n"
                "  File \"/app/statements/mailer.py\", line 88, in send\n    smtp.send_message(msg)\n"
                "  File \"/usr/local/lib/python3.12/smtplib.py\", line 986, in send_message\n"
                "    return self.sendmail(from_addr, to_addrs, flatmsg, mail_options,\n"
                "  File \"/usr/local/lib/python3.12/smtplib.py\", line 908, in sendmail\n"
                "    raise SMTPDataError(code, resp)\n"
                "smtplib.SMTPDataError: (421, b'4.7.28 Our system has detected an unusual rate of mail from your "
                "account. Try again later.')")))
        return L.lines(out)
    t = run + timedelta(seconds=2)
    for k in range(5):
        name = f"{job_name}-{o.suffix(f'{job_name}/{k}', 5)}"
        dur = timedelta(minutes=16, seconds=48 + 9 * k)
        end = t + dur if k < 4 else inc.captured
        h = inc.cluster.add_pod(PodHistory(
            name=name, namespace="billing", workload=job_name, containers=[ctr], node=node(inc, k % 4), created=t,
            states=[o.ContainerState(started_at=t + timedelta(seconds=4), ready=k == 4)],
            labels={"job-name": job_name, "batch.kubernetes.io/job-name": job_name},
            owner=o.owner_ref("Job", job_name, "billing", "batch/v1"),
            logs={"statements": mail_log(k < 4, t + timedelta(seconds=4), end)}))
        if k < 4:
            inc.cluster.patch("billing", name, terminated(1, "Error", t + timedelta(seconds=4), end))
        inc.event(job, "SuccessfulCreate", f"Created pod: {name}", t, warning=False, component="job-controller")
        h.memory = None if k < 4 else (lambda x: 140.0 * 1048576)
        t = end + timedelta(seconds=10 * (2 ** k))
    tmpl = inc.configmap("billing", "statement-template", {"statement.html.j2": "<html><!-- v2026.11b --></html>"})
    changed(tmpl, ("kubectl-client-side-apply", "Update", chg + timedelta(hours=3, minutes=20), {"f:data": {}}))
    plant(inc, "billing", "smtp-credentials", "password", "smtp", "SMTP_PASSWORD")

    def sent(x: datetime) -> float | None:
        if x < run:
            return 0.0
        return min(33100.0, round((x - run).total_seconds() * 8.2))
    series(inc, "statements_sent_total", "counter", "Statements e-mailed by the statements run.",
           {"namespace": "billing", "cronjob": "monthly-statements", "job": "pushgateway"}, sent)
    series(inc, "kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed.",
           {"namespace": "billing", "job_name": job_name, "job": "kube-state-metrics"},
           lambda x: None if x < run else float(min(4, int((x - run).total_seconds() // 1050))))
    send(inc, [alert(inc, "StatementSendsExceedAccounts", {"namespace": "billing", "cronjob": "monthly-statements"},
                     "More statements e-mailed this run than there are billable accounts",
                     "statements_sent_total for the 2026-11 run is 33,100 against 24,117 billable accounts.",
                     'max(statements_sent_total{cronjob="monthly-statements"}) > on() billing_accounts_billable',
                     "critical")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("CronJob", "billing", "monthly-statements"),
        keywords=["backoffLimit", "idempotent"],
        root_cause="The monthly-statements CronJob's jobTemplate backoffLimit was edited from 0 to 6; the run is "
                   "not idempotent (no resume or sent-marker), so every retried pod after the SMTP 421 failure "
                   "starts again at the first account and re-sends statements already delivered.",
        category="retried-batch-job-not-idempotent",
        red_herrings=[("ConfigMap", "billing", "statement-template")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 15, 10, tzinfo=UTC)


def queue_backlog_alerts_grouped() -> Incident:
    """Thanos Query loses its replica label: both Prometheus replicas are summed and queue depths read double.

    after: Thanos issue threads and monitoring postmortems where a chart upgrade dropped
    `--query.replica-label`: the query layer stopped deduplicating an HA Prometheus pair, every `sum()` over
    them doubled and rules evaluated through it paged for backlogs that did not exist.

    Revision 9 of Deployment thanos-query (monitoring), rolled out 30 minutes before the page with the chart
    upgrade to v0.36.1, no longer passes `--query.replica-label=prometheus_replica`. Its store endpoints are the
    two sidecars of prometheus replicas 0 and 1 (external label prometheus_replica); the Thanos Ruler queries
    through it, so `sum by (queue) (rabbitmq_queue_messages_ready)` is twice the real depth and three queues of
    documents cross 5000 together. Each replica's own series show ~2,800 and the consumers are keeping up.
    The red herring is the blackbox-exporter rollout.
    """
    at = AT9
    inc = start(queue_backlog_alerts_grouped, "Three document queues backlogged at once", at, 3809, ("documents",))
    chg = at - timedelta(minutes=30)
    common = ["query", "--grpc-address=0.0.0.0:10901", "--http-address=0.0.0.0:10902", "--log.format=logfmt",
              "--endpoint=dnssrv+_grpc._tcp.prometheus-operated.monitoring.svc.cluster.local",
              "--endpoint=dnssrv+_grpc._tcp.thanos-storegateway.monitoring.svc.cluster.local"]
    old = [*common[:4], "--query.replica-label=prometheus_replica", "--query.auto-downsampling", *common[4:]]
    new = [*common[:4], "--query.auto-downsampling", *common[4:]]

    def thanos(pod: str, s: datetime, e: datetime) -> Lines:
        def lf(t: datetime, caller: str, msg: str, extra: str = "") -> str:
            return f"level=info ts={gomillis(t)} caller={caller} msg=\"{msg}\" {extra}".rstrip()
        b = s + timedelta(seconds=1)
        out = [(b, lf(b, "main.go:77", "Tracing will be disabled")),
               (b + timedelta(milliseconds=30), lf(b + timedelta(milliseconds=30), "query.go:845",
                                                   "starting query node")),
               (b + timedelta(milliseconds=60), lf(b + timedelta(milliseconds=60), "http.go:73",
                                                   "listening for requests and metrics",
                                                   "service=http/server component=query address=0.0.0.0:10902 "))]
        for k in range(2):
            t = b + timedelta(seconds=5, milliseconds=k)
            out.append((t, lf(t, "endpointset.go:425", "adding new sidecar with [storeEndpoints rulesAPI exemplarsAPI "
                                                       "targetsAPI MetricMetadataAPI]",
                              f"component=endpointset address=10.244.{k + 1}.23:10901 extLset=\"{{cluster=\\\"prod-eu-"
                              f"west-1\\\", prometheus=\\\"monitoring/kube-prometheus-stack-prometheus\\\", "
                              f"prometheus_replica=\\\"prometheus-kube-prometheus-stack-prometheus-{k}\\\"}}\" ")))
        t = b + timedelta(seconds=5, milliseconds=9)
        out.append((t, lf(t, "endpointset.go:425", "adding new store with [storeEndpoints]",
                          "component=endpointset address=10.244.3.40:10901 extLset=\"\" ")))
        return out
    revs = [Rev(8, inc.born + timedelta(days=18), "helm upgrade",
                [c("query", "quay.io/thanos/thanos:v0.35.1", port=10902)], container={"args": old}),
            Rev(9, chg, "helm upgrade", [c("query", "quay.io/thanos/thanos:v0.36.1", port=10902)],
                container={"args": new})]
    inc.deployment("monitoring", "thanos-query", revs, {9: [P(log=within(thanos)) for _ in range(2)]})
    herring(inc, "monitoring", "blackbox-exporter", "quay.io/prometheus/blackbox-exporter", "v0.25.0", "v0.25.1",
            at - timedelta(minutes=14))
    plant(inc, "monitoring", "thanos-objstore", "aws-secret", "thanos-s3", "objstore.yml",
          "type: S3\nconfig:\n  bucket: acme-thanos-prod\n  endpoint: s3.eu-west-1.amazonaws.com\n"
          "  access_key: AKIAQ3EXAMPLE7THANOS\n  secret_key: {}\n")

    def workers(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.js(t, "info", "batch done", queue=("invoice-render", "email-send",
                                                                                  "pdf-export")[i % 3],
                                                 acked=180 + i % 30, backlog_seen=2700 + (i * 13) % 300))
    workload(inc, "documents", "doc-workers", workers, replicas=4)
    queues = {"invoice-render": 2806, "email-send": 2711, "pdf-export": 2590}
    for q, depth in queues.items():
        for r in range(2):
            series(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
                   {"vhost": "/", "queue": q, "namespace": "documents", "job": "rabbitmq",
                    "prometheus_replica": f"prometheus-kube-prometheus-stack-prometheus-{r}"},
                   wobble(depth))
    alerts = [alert(inc, "RabbitMQQueueBacklogHigh", {"namespace": "documents", "vhost": "/", "queue": q},
                    f"Queue {q} has more than 5000 ready messages",
                    f"sum(rabbitmq_queue_messages_ready{{queue=\"{q}\"}}) is {2 * d + 22} (threshold 5000) for 10m.",
                    f'sum by (namespace, vhost, queue) (rabbitmq_queue_messages_ready{{queue="{q}"}}) > 5000',
                    source={"thanos_ruler": "monitoring/thanos-ruler", "cluster": "prod-eu-west-1"})
              for q, d in queues.items()]
    send(inc, alerts, ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "monitoring", "thanos-query"),
        keywords=["replica-label", "deduplication"],
        root_cause="Revision 9 of thanos-query dropped --query.replica-label=prometheus_replica; without it Thanos "
                   "Query does no deduplication of the two Prometheus replicas, so the ruler's sums double and the "
                   "three queues only appear to exceed 5000 (each replica sees about 2,800).",
        category="query-layer-ha-dedup-lost",
        red_herrings=[("Deployment", "monitoring", "blackbox-exporter")])
    return inc


# ---- 10: simple ------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)


def payments_api_target_down() -> Incident:
    """A PodMonitor's sampleLimit lowered below what its target exposes: every scrape is rejected, target down.

    after: Prometheus Operator issue threads and platform notes on per-target sample limits, where a limit
    set as a cardinality guard sat below a healthy application's normal series count: Prometheus failed
    every scrape with "sample limit exceeded", the target showed down and its dashboards went blank.

    The PodMonitor payments-api (payments) was patched 22 minutes before the alert with `sampleLimit: 4000`.
    payments-api exposes ~6,130 samples per scrape, unchanged for days; since the patch up is 0 for all three
    pods and prometheus_target_scrapes_exceeded_sample_limit_total climbs, while the service keeps answering
    (Spring logs, ingress counters). The red herring is payments-api's own rollout 40 minutes before.
    """
    at = AT10
    inc = start(payments_api_target_down, "payments-api targets down", at, 3810)
    chg = at - timedelta(minutes=22)
    custom(inc, "PodMonitor", "monitoring.coreos.com/v1", "podmonitors", "payments", "payments-api",
           {"selector": {"matchLabels": {"app": "payments-api"}}, "sampleLimit": 4000,
            "podMetricsEndpoints": [{"port": "http", "path": "/actuator/prometheus", "interval": "30s"}]},
           {}, "kubectl-patch", chg, {"f:spec": {"f:sampleLimit": {}}}, generation=4)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 45, lambda i, t: L.spring(
            t, "INFO", "c.e.payments.api.PaymentController", f"authorised payment {L.uuidish(pod, i)[:13]} in "
            f"{80 + i % 40} ms", thread=f"http-nio-8080-exec-{1 + i % 9}"))
    revs = [Rev(31, inc.born + timedelta(days=22), "helm upgrade",
                [c("payments-api", f"{REGISTRY}/payments/payments-api:7.4.0", port=8080)]),
            Rev(32, at - timedelta(minutes=40), "helm upgrade",
                [c("payments-api", f"{REGISTRY}/payments/payments-api:7.4.1", port=8080)])]
    wl = inc.deployment("payments", "payments-api", revs, {32: [P(log=within(api)) for _ in range(3)]})
    plant(inc, "payments", "payments-api-db", "password", "pgpool", "SPRING_DATASOURCE_PASSWORD")
    begin = at - timedelta(hours=2)
    cut = chg + timedelta(seconds=35)
    for h in wl.pods:
        labels = {"job": "payments/payments-api", "namespace": "payments", "pod": h.name,
                  "instance": f"{inc.cluster.pod_ip(h)}:8080"}
        born = h.created
        series(inc, "up", "gauge", "Whether the target was scraped.", labels,
           since(born, step(1.0, 0.0, cut)), step_s=30)
        series(inc, "scrape_samples_scraped", "gauge", "Samples scraped.", labels,
           since(born, lambda t: 6130.0 + t.minute % 3), step_s=30)
        series(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
           {**labels, "uri": "/v1/payments", "status": "200"},
           since(born, until(cut, counter(born, 9.5, 9.5, cut))))
    series(inc, "prometheus_target_scrapes_exceeded_sample_limit_total", "counter",
           "Total number of scrapes that hit the sample limit and were rejected.",
           {"job": "prometheus", "namespace": "monitoring"}, counter(begin, 0, 0.1, cut))
    series(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {"namespace": "payments", "ingress": "payments-api", "status": "200", "job": "ingress-nginx"},
           counter(begin, 28.4, 28.9, cut))
    send(inc, [alert(inc, "TargetDown", {"job": "payments/payments-api", "namespace": "payments",
                                         "service": "payments-api"},
                     "One or more targets are unreachable.",
                     "100% of the payments/payments-api targets in payments namespace are down.",
                     '100 * (count by (job, namespace, service) (up == 0) / count by (job, namespace, service) (up)) '
                     '> 10')], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("PodMonitor", "payments", "payments-api"),
        keywords=["sampleLimit", "sample limit"],
        root_cause="The payments-api PodMonitor was patched with sampleLimit 4000 while the pods expose about "
                   "6,130 samples; Prometheus rejects every scrape for exceeding the sample limit, so up is 0 and "
                   "the metrics vanish although the service is healthy.",
        category="scrape-sample-limit-below-normal-series",
        red_herrings=[("Deployment", "payments", "payments-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 2, 13, 45, tzinfo=UTC)


def node_apps_zero_throughput_question() -> Incident:
    """A node-local StatsD agent revision listens on 9125 instead of 8125; the one node that took it loses app metrics.

    after: statsd_exporter and node-agent upgrade stories where a chart's new default port (the exporter's
    own 9125) replaced the 8125 that applications were configured to send to: UDP packets to the node's
    agent were silently refused and dashboards showed zero traffic for every pod on the nodes updated.

    The DaemonSet statsd-agent (observability, updateStrategy OnDelete) was upgraded by Helm at 09:40: revision
    2 listens on `:9125` and publishes hostPort 9125/UDP (revision 1: 8125). OnDelete left the old pods alone
    until someone deleted the agent pod on the node in the question at 13:17 to restart it; its replacement is
    the only pod on revision 2. Apps there still send to $(HOST_IP):8125, the node counts UDP NoPorts and the
    agent receives nothing, so every app on that node reads 0 req/s while traffic is served. The red herring
    is the mapping ConfigMap's edit.
    """
    at = AT11
    inc = start(node_apps_zero_throughput_question, "Apps on one node show zero throughput", at, 3811,
                ("observability",))
    qnode = node(inc, 2)
    upgrade = at - timedelta(hours=4, minutes=5)
    recreated = datetime(2026, 12, 2, 13, 17, 14, tzinfo=UTC)
    image = "prom/statsd-exporter:v0.27.1"
    pods = inc.cluster.daemonset("observability", "statsd-agent", image, inc.born + timedelta(days=6), port=9102)

    def tmpl(port: int) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": "statsd-agent"}},
                "spec": {"containers": [{"name": "statsd-agent", "image": image,
                                         "args": [f"--statsd.listen-udp=:{port}", "--statsd.listen-tcp=",
                                                  "--statsd.mapping-config=/etc/statsd/mapping.yml"],
                                         "ports": [{"name": "statsd-udp", "containerPort": port, "hostPort": port,
                                                    "protocol": "UDP"},
                                                   {"name": "metrics", "containerPort": 9102, "protocol": "TCP"}]}]}}
    r1 = revision(inc, "DaemonSet", "observability", "statsd-agent", 1, inc.born + timedelta(days=6), tmpl(8125))
    r2 = revision(inc, "DaemonSet", "observability", "statsd-agent", 2, upgrade, tmpl(9125))
    ds = inc.find("DaemonSet", "observability", "statsd-agent")
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    spec = ds["spec"]["template"]["spec"]["containers"][0]
    spec.update({k: v for k, v in tmpl(9125)["spec"]["containers"][0].items() if k in ("args", "ports")})
    ds["status"].update({"observedGeneration": 2, "updatedNumberScheduled": 1})
    changed(ds, ("helm", "Update", upgrade, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}},
                                                        "f:updateStrategy": {}}}))

    def agent_log(port: int) -> Callable[[str, datetime, datetime], Lines]:
        def log(pod: str, s: datetime, e: datetime) -> Lines:
            b = s + timedelta(seconds=1)
            return [(b, f"ts={gomillis(b)} caller=main.go:305 level=info msg=\"Starting StatsD -> Prometheus "
                        f"Exporter\" version=\"(version=0.27.1, branch=HEAD, revision=2b1a1d3)\""),
                    (b + timedelta(milliseconds=4), f"ts={gomillis(b + timedelta(milliseconds=4))} caller=main.go:356 "
                                                    f"level=info msg=\"Accepting StatsD Traffic\" udp=:{port} tcp= "
                                                    "unixgram="),
                    (b + timedelta(milliseconds=6), f"ts={gomillis(b + timedelta(milliseconds=6))} caller=main.go:357 "
                                                    "level=info msg=\"Accepting Prometheus Requests\" addr=:9102")]
        return log
    for h in pods:
        moved = h.node == qnode
        if moved:
            h.created = recreated
            h.states[0].started_at = recreated + timedelta(seconds=5)
        h.labels["controller-revision-hash"] = (r2 if moved else r1).rsplit("-", 1)[1]
        port = 9125 if moved else 8125
        h.logs["statsd-agent"] = within(agent_log(port))(h.name, h.created + timedelta(seconds=5), inc.captured)

        def patch(pod: dict[str, Any], port: int = port) -> None:
            ctr = pod["spec"]["containers"][0]
            ctr.update({k: v for k, v in tmpl(port)["spec"]["containers"][0].items() if k in ("args", "ports")})
        inc.cluster.patch("observability", h.name, patch)
        if moved:
            obj = inc.cluster.pod_object(h)
            inc.event(obj, "Scheduled", f"Successfully assigned observability/{h.name} to {qnode}", recreated,
                      warning=False, component="default-scheduler")
            inc.event(obj, "Started", "Started container statsd-agent", recreated + timedelta(seconds=5),
                      warning=False, host=qnode)
            inc.event(ds, "SuccessfulCreate", f"Created pod: {h.name}", recreated, warning=False,
                      component="daemonset-controller")
    env = [{"name": "STATSD_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
           {"name": "STATSD_PORT", "value": "8125"}]

    def intake(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 40, lambda i, t: json.dumps(
            {"level": 30, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
             "req": {"method": "POST", "url": "/v1/orders"}, "res": {"statusCode": 201},
             "responseTime": 31 + i % 40, "msg": "request completed"}, separators=(",", ":")))
    nodes = inc.node_names()
    wl = workload(inc, "shop", "order-intake", intake, replicas=4, nodes=nodes, env=env)
    herring_cm = inc.configmap("observability", "statsd-mapping",
                               {"mapping.yml": "mappings:\n- match: \"orderintake.*.requests\"\n  name: "
                                               "\"orderintake_requests_total\"\n  labels:\n    route: \"$1\"\n"})
    changed(herring_cm, ("kubectl-client-side-apply", "Update", at - timedelta(minutes=50), {"f:data": {}}))
    plant(inc, "observability", "grafana-cloud", "token", "grafana-cloud", "api-key", "glc_{}")
    begin = at - timedelta(hours=2)
    cut = recreated
    for h in wl.pods:
        dead = h.node == qnode
        series(inc, "orderintake_requests_total", "counter", "Requests (from StatsD).",
               {"namespace": "shop", "pod": h.name, "node": h.node, "job": "statsd-agent"},
               counter(begin, 24.0, 0.0 if dead else 24.3, cut))
    for h in pods:
        dead = h.node == qnode
        series(inc, "statsd_exporter_udp_packets_total", "counter", "The total number of StatsD packets received "
               "over UDP.", {"namespace": "observability", "pod": h.name, "node": h.node, "job": "statsd-agent"},
               counter(begin, 310.0, 0.0 if dead else 312.0, cut))
    for n in nodes:
        series(inc, "node_netstat_Udp_NoPorts", "counter", "Statistic UdpNoPorts.",
               {"instance": n, "job": "node-exporter"}, counter(begin, 0.2, 309.0 if n == qnode else 0.2, cut))
    inc.ask(f"Dashboards show every app on {qnode} doing 0 requests/s since about 13:17, while the same services "
            "on the other nodes look normal and nobody has complained. What is wrong with that node?")
    inc.answer_key(
        culprit=("DaemonSet", "observability", "statsd-agent"),
        keywords=["9125", "hostPort"],
        root_cause="The statsd-agent DaemonSet's revision 2 listens on :9125 with hostPort 9125 instead of 8125; "
                   "with OnDelete only the pod recreated on the rebooted node runs it, so apps there still sending "
                   "StatsD to the host's 8125 are refused and their metrics read zero while traffic is served.",
        category="node-metrics-agent-port-moved",
        red_herrings=[("ConfigMap", "observability", "statsd-mapping")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 5, 50, tzinfo=UTC)


def nightly_reports_undelivered_page() -> Incident:
    """A RabbitMQ upgrade brings the 30-minute delivery acknowledgement timeout; 40-minute report jobs never ack.

    after: RabbitMQ upgrade notes and user threads about consumer_timeout (default since 3.8.15): consumers
    that hold an unacknowledged delivery longer than 30 minutes get their channel closed with
    PRECONDITION_FAILED, the message is requeued and long-running jobs loop forever.

    The StatefulSet rabbitmq (messaging) was upgraded from 3.8.9 to 3.13.7 at 23:40 (ControllerRevision 4).
    report-worker (reporting) takes one report at a time with manual ack after rendering, about 40 minutes
    for the nightly usage reports. Since 00:30 every delivery hits the default 1800000 ms timeout: RabbitMQ
    logs the channel exception, pika gets `Channel.Close (406) PRECONDITION_FAILED - delivery acknowledgement
    on channel 1 timed out`, the ack fails and the worker restarts; the same reports are redelivered and none
    is delivered. The red herring is report-api's rollout.
    """
    at = AT12
    inc = start(nightly_reports_undelivered_page, "Nightly usage reports not delivered", at, 3812,
                ("messaging", "reporting"))
    chg = datetime(2026, 12, 4, 23, 40, tzinfo=UTC)
    night = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)

    def rabbit(pod: str, s: datetime, e: datetime) -> Lines:
        def rl(t: datetime, level: str, pid: str, msg: str) -> str:
            return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond:06d}+00:00 [{level}] <0.{pid}.0> {msg}"
        b = s + timedelta(seconds=3)
        out = [(b, rl(b, "info", "230", " Starting RabbitMQ 3.13.7 on Erlang 26.2.5.5 [jit]")),
               (b + timedelta(milliseconds=2), rl(b + timedelta(milliseconds=2), "info", "230",
                                                  " Copyright (c) 2007-2024 Broadcom Inc and/or its subsidiaries")),
               (b + timedelta(seconds=9), rl(b + timedelta(seconds=9), "info", "44", "Server startup complete; 6 "
                                                                                      "plugins started."))]
        if not pod.endswith("-0"):
            return out
        t = night + timedelta(minutes=30, seconds=3)
        k = 0
        while t < e:
            chp = 4000 + 37 * k
            port = 51000 + 17 * k
            out.append((t, rl(t, "error", str(chp), f"Channel error on connection <0.{chp - 12}.0> "
                                                    f"(10.244.2.{31 + k % 3}:{port} -> 10.244.1.17:5672, vhost: "
                                                    "'reports', user: 'report-worker'), channel 1:")))
            out.append((t + timedelta(microseconds=80), rl(
                t + timedelta(microseconds=80), "error", str(chp),
                "operation none caused a channel exception precondition_failed: delivery acknowledgement on channel "
                "1 timed out. Timeout value used: 1800000 ms. This timeout value can be configured, see consumers "
                "doc guide to learn more")))
            t += timedelta(minutes=10, seconds=7)
            k += 1
        return out
    wl = inc.statefulset("messaging", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                                     port=5672, memory_limit="2Gi")],
                         [P(log=within(rabbit)) for _ in range(3)], chg + timedelta(minutes=2))
    sts = wl.obj

    def tmpl(tag: str) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": "rabbitmq"}},
                "spec": {"containers": [{"name": "rabbitmq", "image": f"docker.io/library/rabbitmq:{tag}",
                                         "ports": [{"containerPort": 5672, "name": "amqp"}]}]}}
    revision(inc, "StatefulSet", "messaging", "rabbitmq", 3, inc.born + timedelta(days=2), tmpl("3.8.9-management"))
    r4 = revision(inc, "StatefulSet", "messaging", "rabbitmq", 4, chg, tmpl("3.13.7-management"))
    sts["metadata"]["generation"] = 4
    sts["status"].update({"observedGeneration": 4, "currentRevision": r4, "updateRevision": r4})
    changed(sts, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for h in wl.pods:
        h.labels["controller-revision-hash"] = r4

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        tenant = 1000 + sum(pod.encode()) % 300
        t0 = s + timedelta(seconds=2)
        out = [(t0, L.pylog(t0, "INFO", "report_worker", "connected to amqp://rabbitmq.messaging:5672/reports, "
                                                         "prefetch=1, queue=report-jobs")),
               (t0 + timedelta(seconds=1), L.pylog(t0 + timedelta(seconds=1), "INFO", "report_worker",
                                                   f"received job report=monthly-usage tenant={tenant} "
                                                   "delivery_tag=1 redelivered=True")),
               (t0 + timedelta(seconds=3), L.pylog(t0 + timedelta(seconds=3), "INFO", "report_worker",
                                                   "rendering 418 pages (estimated 39 min)"))]
        close = t0 + timedelta(minutes=30, seconds=1)
        if close < e:
            out.append((close, L.pylog(close, "WARNING", "pika.channel",
                                       "Received remote Channel.Close (406): 'PRECONDITION_FAILED - delivery "
                                       "acknowledgement on channel 1 timed out. Timeout value used: 1800000 ms. This "
                                       "timeout value can be configured, see consumers doc guide to learn more' on "
                                       "<Channel number=1 OPEN conn=<SelectConnection OPEN transport=<pika.adapters."
                                       "utils.io_services_utils._AsyncPlaintextTransport object at 0x7f3c2a1e5d50> "
                                       "params=<URLParameters host=rabbitmq.messaging port=5672 "
                                       "virtual_host=reports ssl=False>>>")))
        if e - timedelta(seconds=2) > close:
            out.append((e - timedelta(seconds=1), L.pylog(
                e - timedelta(seconds=1), "ERROR", "report_worker",
                f"report monthly-usage tenant={tenant} rendered, ack failed\n"
                "Traceback (most recent call last):\n"
                "  File \"/app/report_worker/consume.py\", line 71, in on_message\n"
                "    ch.basic_ack(delivery_tag=method.delivery_tag)\n"
                "  File \"/usr/local/lib/python3.12/site-packages/pika/adapters/blocking_connection.py\", line 2119, "
                "in basic_ack\n    self._impl.basic_ack(delivery_tag=delivery_tag, multiple=multiple)\n"
                "  File \"/usr/local/lib/python3.12/site-packages/pika/channel.py\", line 230, in basic_ack\n"
                "    self._raise_if_not_open()\n"
                "  File \"/usr/local/lib/python3.12/site-packages/pika/channel.py\", line 1407, in _raise_if_not_open\n"
                "    raise exceptions.ChannelWrongStateError('Channel is closed.')\n"
                "pika.exceptions.ChannelWrongStateError: Channel is closed.")))
        return out
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("report-worker", f"{REGISTRY}/reporting/report-worker:1.19.0", port=None, readiness_path=None,
                 liveness_path=None)])
    inc.deployment("reporting", "report-worker", [rev], {1: [
        P(state="crashloop", log=within(worker), run_s=lambda n, k=k: 2390.0 + 11 * n + 3 * k,
          crash_from=night + timedelta(seconds=20 * k)) for k in range(3)]})
    herring(inc, "reporting", "report-api", f"{REGISTRY}/reporting/report-api", "2.6.0", "2.7.0",
            at - timedelta(minutes=40))
    plant(inc, "reporting", "report-worker-amqp", "password", "report-worker", "AMQP_URL",
          "amqp://report-worker:{}@rabbitmq.messaging:5672/reports")
    plant(inc, "messaging", "rabbitmq-erlang-cookie", "token", "cookie", ".erlang.cookie")
    begin = at - timedelta(hours=2)
    q = {"vhost": "reports", "queue": "report-jobs", "job": "rabbitmq"}
    series(inc, "rabbitmq_queue_messages_unacked", "gauge", "Messages delivered to consumers but not yet acknowledged",
           q, lambda t: 3.0)
    series(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers", q,
           lambda t: 1237.0)
    series(inc, "rabbitmq_channel_messages_redelivered_total", "counter", "Total number of messages redelivered",
           q, counter(begin, 0.005, 0.005, at))
    series(inc, "reports_delivered_total", "counter", "Reports rendered and delivered",
           {"namespace": "reporting", "job": "report-worker", "report": "monthly-usage"}, lambda t: 0.0)
    series(inc, "rabbitmq_identity_info", "gauge", "RabbitMQ node & cluster identity info",
           {"rabbitmq_node": "rabbit@rabbitmq-0.rabbitmq.messaging", "rabbitmq_cluster": "rabbitmq",
            "rabbitmq_version": "3.13.7", "job": "rabbitmq"}, lambda t: 1.0)
    inc.pagerduty("Nightly usage reports: 0 of 1,240 delivered by 05:45 UTC", "Reporting")
    inc.answer_key(
        culprit=("StatefulSet", "messaging", "rabbitmq"),
        keywords=["consumer_timeout", "acknowledgement"],
        root_cause="The rabbitmq StatefulSet was upgraded from 3.8.9 to 3.13.7, which enforces the default "
                   "consumer_timeout of 30 minutes; report-worker holds each delivery unacknowledged for about "
                   "40 minutes, so RabbitMQ closes the channel (delivery acknowledgement timed out), the ack fails, "
                   "the worker restarts and the report is redelivered forever.",
        category="broker-upgrade-ack-timeout-long-jobs",
        red_herrings=[("Deployment", "reporting", "report-api")])
    return inc


ALL = [checkout_latency_slo_no_data, checkout_request_rate_drop, ledger_logs_gap_question, password_reset_mail_delayed,
       finance_close_dag_late_page, order_events_freshness_burn, fulfilment_workflows_stuck, statement_emails_repeated,
       queue_backlog_alerts_grouped, payments_api_target_down, node_apps_zero_throughput_question,
       nightly_reports_undelivered_page]
