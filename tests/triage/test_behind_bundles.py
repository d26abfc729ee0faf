"""What decides scaling and which workload fills a node's table, end to end, on bundles written here.

Incident bundles written by the corpus generator's own writer (examples/corpus), served by the replay API
server and Debian's Prometheus, investigated blind in runbook-only mode and scored against their answer keys,
as `vigil eval` does. They are not the held-out stories in other words: a Kafka consumer scaled by a KEDA
ScaledObject whose `lagThreshold` a Flux commit raised (kafka-exporter's consumer-group lag alert names the
group and topic, never the workload), and a node whose file-descriptor table fills after a scraper's revision
raised its worker count in its args (the alert names only the node-exporter address). Each has a red herring
of its own.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def step(at: datetime, before: float, after: float) -> Callable[[datetime], float]:
    return lambda t: after if t >= at else before


def ramp(start: datetime, end: datetime, before: float, after: float) -> Callable[[datetime], float]:
    def value(t: datetime) -> float:
        if t <= start:
            return before
        if t >= end:
            return after
        return before + (after - before) * (t - start).total_seconds() / (end - start).total_seconds()
    return value


def plain(inc: Incident, ns: str, name: str, image: str, pods: list[P], at: datetime,
          env: list[dict[str, Any]] | None = None, container: dict[str, Any] | None = None) -> None:
    inc.deployment(ns, name, [Rev(1, at, "helm upgrade", [c(name, image, env=env or [])],
                                  container=container or {})], {1: pods})


def kafka_lag_threshold() -> Incident:
    """Flux applies a commit to ScaledObject payments/ledger-writer-lag raising the kafka trigger's lagThreshold from
    50 to 5000: KEDA's HPA keeps ledger-writer at its 3 minimum replicas while lag on payments.settled climbs."""
    at = datetime(2026, 9, 9, 9, 30, tzinfo=UTC)
    inc = Incident("ledger-lag-keda", title="consumer lag growing", story=kafka_lag_threshold.__doc__ or "", at=at,
                   seed=4471, namespaces=("payments",))
    sync = at - timedelta(minutes=48)
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "scaledobjects.keda.sh"},
             "spec": {"group": "keda.sh", "scope": "Namespaced",
                      "names": {"kind": "ScaledObject", "plural": "scaledobjects", "singular": "scaledobject",
                                "listKind": "ScaledObjectList"},
                      "versions": [{"name": "v1alpha1", "served": True, "storage": True, "schema": {
                          "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}})
    so = inc.add({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                  "metadata": {"name": "ledger-writer-lag", "namespace": "payments", "generation": 4,
                               "creationTimestamp": ts(at - timedelta(days=60))},
                  "spec": {"scaleTargetRef": {"name": "ledger-writer"}, "minReplicaCount": 3, "maxReplicaCount": 24,
                           "triggers": [{"type": "kafka", "metadata": {
                               "bootstrapServers": "kafka-brokers.kafka.svc:9092", "consumerGroup": "ledger-writer",
                               "topic": "payments.settled", "lagThreshold": "5000", "offsetResetPolicy": "latest"}}]},
                  "status": {"hpaName": "keda-hpa-ledger-writer-lag", "externalMetricNames": ["s0-kafka-payments"]}})
    so["metadata"]["managedFields"] = [{"manager": "kustomize-controller", "operation": "Apply",
                                        "apiVersion": "keda.sh/v1alpha1", "time": ts(sync), "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:spec": {"f:triggers": {}}}}]
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "keda-hpa-ledger-writer-lag", "namespace": "payments",
                          "ownerReferences": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                                               "name": "ledger-writer-lag", "uid": so["metadata"]["uid"],
                                               "controller": True}]},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ledger-writer"},
                      "minReplicas": 3, "maxReplicas": 24,
                      "metrics": [{"type": "External", "external": {
                          "metric": {"name": "s0-kafka-payments", "selector": {"matchLabels": {
                              "scaledobject.keda.sh/name": "ledger-writer-lag"}}},
                          "target": {"type": "AverageValue", "averageValue": "5000"}}}]},
             "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [
                 {"type": "External", "external": {"metric": {"name": "s0-kafka-payments"},
                                                   "current": {"averageValue": "3100"}}}]}})

    def writer_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 6, lambda i, t: L.logfmt(
            t, "info", "batch committed", component="ledger-writer", records=500, partition=i % 12)))
    plain(inc, "payments", "ledger-writer", f"{REGISTRY}/payments/ledger-writer:2.3.0",
          [P(log=writer_log), P(log=writer_log), P(log=writer_log)], at - timedelta(days=12))

    def herring_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 40, lambda i, t: L.logfmt(
            t, "warn", "fx rate cache stale, refetching", component="fx-rates", age_s=400 + i)))
    plain(inc, "payments", "fx-rates", f"{REGISTRY}/payments/fx-rates:0.9.2", [P(log=herring_log)],
          at - timedelta(days=30))
    inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
               {"consumergroup": "ledger-writer", "topic": "payments.settled", "partition": "0",
                "namespace": "kafka", "job": "kafka-exporter"}, ramp(sync, at + timedelta(minutes=10), 80, 9300))
    inc.series("kube_horizontalpodautoscaler_spec_target_metric", "gauge", "The metric specifications used by this "
               "autoscaler when calculating the desired replica count.",
               {"namespace": "payments", "horizontalpodautoscaler": "keda-hpa-ledger-writer-lag",
                "metric_name": "s0-kafka-payments", "metric_target_type": "average", "job": "kube-state-metrics"},
               step(sync, 50.0, 5000.0))
    inc.alertmanager("KafkaConsumerGroupLagHigh", {"namespace": "kafka", "consumergroup": "ledger-writer",
                                                   "topic": "payments.settled", "job": "kafka-exporter"},
                     "Consumer group lag is high", "ledger-writer is 9300 messages behind on payments.settled.",
                     'sum by (consumergroup, topic) (kafka_consumergroup_lag) > 2000', severity="critical")
    inc.answer_key(culprit=("ScaledObject", "payments", "ledger-writer-lag"),
                   keywords=["lagThreshold", "minimum replicas", "per replica"],
                   root_cause="The ScaledObject's kafka trigger lagThreshold went from 50 to 5000 per replica: "
                              "KEDA keeps ledger-writer at its minimum replicas while the lag grows.",
                   category="keda-lag-threshold-raised", red_herrings=[("Deployment", "payments", "fx-rates")])
    return inc


def scraper_fd_table() -> Incident:
    """price-scraper revision 4 raises --workers from 20 to 600: the node it runs on reaches its file-max and every
    pod there fails to open sockets. The alert names only the node-exporter's address."""
    at = datetime(2026, 9, 12, 16, 10, tzinfo=UTC)
    inc = Incident("node-fd-table", title="host out of file handles", story=scraper_fd_table.__doc__ or "", at=at,
                   seed=4473, namespaces=("pricing",))
    node = inc.node_names()[1]
    node_ip = inc.cluster.node_ip(node)
    rolled, full = at - timedelta(minutes=40), at - timedelta(minutes=28)
    image = f"{REGISTRY}/pricing/price-scraper:5.1.0"

    def scraper_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=50), end, 30, lambda i, t: L.pylog(
            t, "INFO", "scraper.run", f"scraped {1200 + i * 7} product pages")))
    inc.deployment("pricing", "price-scraper", [
        Rev(3, at - timedelta(days=9), "deploy 5.1.0", [c("price-scraper", image)],
            container={"args": ["--workers=20", "--timeout=10s"]}),
        Rev(4, rolled, "faster scrapes", [c("price-scraper", image)],
            container={"args": ["--workers=600", "--timeout=10s"]})],
        {4: [P(node=node, log=scraper_log)]})
    plain(inc, "pricing", "quote-cache", f"{REGISTRY}/pricing/quote-cache:1.2.0", [P(node=node)],
          at - timedelta(days=20))
    for name in inc.node_names():
        ip = inc.cluster.node_ip(name)
        labels = {"instance": f"{ip}:9100", "job": "node-exporter", "node": name}
        level = ramp(rolled, full, 21000, 1_048_576) if name == node else (lambda t: 18000.0)
        inc.series("node_filefd_allocated", "gauge", "File descriptor statistics: allocated.", dict(labels), level)
        inc.series("node_filefd_maximum", "gauge", "File descriptor statistics: maximum.", dict(labels),
                   lambda t: 1_048_576.0)
    inc.alertmanager("HostFileHandlesExhausted", {"instance": f"{node_ip}:9100", "job": "node-exporter"},
                     "Host is running out of file handles",
                     f"{node_ip}:9100 has allocated almost all of its file handles.",
                     'node_filefd_allocated / node_filefd_maximum > 0.95', severity="critical")
    inc.answer_key(culprit=("Deployment", "pricing", "price-scraper"), keywords=["file descriptor", "workers"],
                   root_cause="price-scraper revision 4 raised --workers from 20 to 600 and fills the node's "
                              "file descriptor table.",
                   category="node-fd-table-exhausted", red_herrings=[("Deployment", "pricing", "quote-cache")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind([kafka_lag_threshold, scraper_fd_table], tmp_path_factory.mktemp("behind"), jobs=1)


def test_the_kafka_trigger_naming_the_group_is_named_with_its_threshold_change(results: dict[str, Any]) -> None:
    row = results["ledger-lag-keda"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("lagThreshold 50 -> 5000 per replica", "minimum replicas (3", "kustomize-controller"):
        assert words in top, (words, top)


def test_the_workload_whose_workers_filled_the_node_s_fd_table_is_named(results: dict[str, Any]) -> None:
    row = results["node-fd-table"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("file descriptor table", "table full", "--workers=20", "more concurrent connections"):
        assert words in top, (words, top)


def etcd_args_compaction() -> Incident:
    """A chart bump of flag-store-etcd rewrites the etcd container's args without --auto-compaction-retention:
    the key history of flags-api's writes grows until the 2 GiB backend quota, etcd raises NOSPACE and flags-api
    cannot save a flag. The page names only flags-api; the claim under etcd is 30% used."""
    from incidentgen import objects as o

    at = datetime(2026, 9, 14, 11, 0, tzinfo=UTC)
    inc = Incident("flags-nospace", title="feature flags cannot be saved", story=etcd_args_compaction.__doc__ or "",
                   at=at, seed=4479, namespaces=("flags",))
    bump, alarm = at - timedelta(days=6), at - timedelta(minutes=25)
    image = "quay.io/coreos/etcd:v3.5.15"
    args_old = ["--data-dir=/var/lib/flag-store-etcd", "--quota-backend-bytes=2147483648",
                "--auto-compaction-mode=periodic", "--auto-compaction-retention=30m"]
    args_new = ["--data-dir=/var/lib/flag-store-etcd", "--quota-backend-bytes=2147483648"]

    def etcd_log(pod: str, start: datetime, end: datetime) -> str:
        first = [(alarm, L.js(alarm, "warn", "alarm raised", caller="etcdserver/server.go:2085", alarm="NOSPACE",
                              **{"from": "2a1f0c9e7d3b4c55"}))]
        rest = [(t, L.js(t, "warn", "failed to apply request", caller="etcdserver/util.go:170",
                         error="etcdserver: mvcc: database space exceeded"))
                for t in L.every(alarm + timedelta(seconds=15), end, 30)]
        return L.lines(first + rest)
    sts = inc.statefulset("flags", "flag-store-etcd", [c("etcd", image, port=2379)], [P(log=etcd_log)], bump,
                          claims=[("data", "10Gi", "gp3")], service=2379)
    sts.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args_new
    current = sts.obj["status"]["currentRevision"]
    for n, (name, args, when) in enumerate([(f"flag-store-etcd-{o.suffix('flag-store-etcd-old', 10)}", args_old,
                                             at - timedelta(days=200)), (current, args_new, bump)]):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": n + 1,
                 "metadata": {"name": name, "namespace": "flags", "creationTimestamp": ts(when),
                              "labels": {"app": "flag-store-etcd"},
                              "ownerReferences": [o.owner_ref("StatefulSet", "flag-store-etcd", "flags")]},
                 "data": {"spec": {"template": {"spec": {"containers": [
                     {"name": "etcd", "image": image, "args": args}]}}}}})

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        ok = [(t, L.js(t, "info", "flag read", flag="checkout.v2")) for t in L.every(end - timedelta(minutes=50),
                                                                                     alarm, 60)]
        bad = [(t, L.js(t, "error", "save flag failed", flag=f"exp-{i}",
                        error="etcdserver: mvcc: database space exceeded"))
               for i, t in enumerate(L.every(alarm + timedelta(seconds=40), end, 45))]
        return L.lines(ok + bad)
    plain(inc, "flags", "flags-api", f"{REGISTRY}/flags/flags-api:4.2.1", [P(log=api_log), P(log=api_log)],
          at - timedelta(days=15), env=[{"name": "ETCD_ENDPOINTS", "value": "http://flag-store-etcd.flags.svc:2379"}])

    def herring_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 50, lambda i, t: L.js(
            t, "warn", "slow audit export", target="s3", ms=2100 + i)))
    plain(inc, "flags", "flags-audit", f"{REGISTRY}/flags/flags-audit:1.0.3", [P(log=herring_log)],
          at - timedelta(days=30))
    labels = {"namespace": "flags", "job": "flag-store-etcd", "instance": "flag-store-etcd-0:2379",
              "pod": "flag-store-etcd-0"}
    inc.series("etcd_mvcc_db_total_size_in_bytes", "gauge", "Total size of the underlying database physically "
               "allocated in bytes.", dict(labels), ramp(at - timedelta(hours=2), alarm, 2.0e9, 2_147_483_648))
    inc.series("etcd_server_quota_backend_bytes", "gauge", "Current backend storage quota size in bytes.",
               dict(labels), lambda t: 2_147_483_648.0)
    claim = {"namespace": "flags", "persistentvolumeclaim": "data-flag-store-etcd-0", "job": "kubelet"}
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume.", dict(claim),
               lambda t: 10 * 1024.0 ** 3)
    inc.series("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume.",
               dict(claim), lambda t: 7 * 1024.0 ** 3)
    inc.alertmanager("FlagSavesFailing", {"namespace": "flags", "deployment": "flags-api"},
                     "flags-api cannot save flags", "Saving feature flags fails for 20 minutes.",
                     'sum(rate(flag_save_errors_total{namespace="flags"}[5m])) > 0', severity="critical")
    inc.answer_key(culprit=("StatefulSet", "flags", "flag-store-etcd"), keywords=["NOSPACE", "quota", "compaction"],
                   root_cause="The chart bump dropped --auto-compaction-retention from etcd's args; the history "
                              "reached the 2 GiB backend quota and etcd raised NOSPACE.",
                   category="etcd-quota-args", red_herrings=[("Deployment", "flags", "flags-audit")])
    return inc


@pytest.fixture(scope="module")
def etcd_result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    [row] = investigate_blind([etcd_args_compaction], tmp_path_factory.mktemp("etcd"), jobs=1).values()
    return row


def test_etcd_s_quota_alarm_is_found_from_a_client_s_page_and_tied_to_the_args_change(etcd_result: Any) -> None:
    top = str(etcd_result.top or "")
    assert etcd_result.verdict == "right", (etcd_result.verdict, top, etcd_result.error)
    for words in ("StatefulSet flags/flag-store-etcd", "NOSPACE", "not the disk", "--auto-compaction-retention"):
        assert words in top, (words, top)
    assert "is full" not in top, top


ADAPTER_RULES = """rules:
- seriesQuery: 'http_server_requests_seconds_count{namespace!="",pod!=""}'
  resources: {template: <<.Resource>>}
  name: {matches: ^http_server_requests_seconds_count$, as: http_server_requests_per_second}
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)
"""


def adapter_rule_edited() -> Incident:
    """A hand edit of ConfigMap custom-metrics/adapter-rules (mounted by the custom-metrics-apiserver Deployment)
    replaces the rule serving orders_per_second with a Spring one: orders-api's HPA reports FailedGetPodsMetric
    and stays at 2 replicas while orders-api's latency climbs. The page names orders-api only."""
    at = datetime(2026, 9, 20, 19, 0, tzinfo=UTC)
    inc = Incident("orders-hpa-adapter", title="orders latency high", story=adapter_rule_edited.__doc__ or "",
                   at=at, seed=4483, namespaces=("orders",))
    edit = at - timedelta(hours=3)
    inc.cluster.add_namespace("custom-metrics", inc.born)
    cm = inc.configmap("custom-metrics", "adapter-rules", {"config.yaml": ADAPTER_RULES}, at - timedelta(days=90))
    cm["metadata"]["managedFields"] = [{"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1",
                                        "time": ts(edit), "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:data": {"f:config.yaml": {}}}}]
    inc.deployment("custom-metrics", "custom-metrics-apiserver", [Rev(
        1, at - timedelta(days=90), "helm install", [c("custom-metrics-apiserver",
                                                       "registry.k8s.io/prometheus-adapter/prometheus-adapter:v0.12.0")],
        pod_spec={"volumes": [{"name": "config", "configMap": {"name": "adapter-rules"}}]},
        container={"args": ["--config=/etc/adapter/config.yaml", "--secure-port=6443"],
                   "volumeMounts": [{"name": "config", "mountPath": "/etc/adapter"}]})], {1: [P()]})
    inc.service("custom-metrics", "custom-metrics-apiserver", {"app": "custom-metrics-apiserver"}, port=443,
                target=6443)

    def orders_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 15, lambda i, t: L.logfmt(
            t, "info", "order placed", status=201, duration_ms=120 if t < at - timedelta(minutes=30) else 1400 + i)))
    plain(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:3.1.0", [P(log=orders_log), P(log=orders_log)],
          at - timedelta(days=10))
    plain(inc, "orders", "orders-mailer", f"{REGISTRY}/orders/orders-mailer:1.0.0", [P(state="crashloop",
          reason="Error", exit_code=1, crash_from=at - timedelta(hours=30),
          log=lambda pod, s, e: L.lines([(s, "Error: SMTP_HOST is not set")]))], at - timedelta(days=10))
    words = ("the HPA was unable to compute the replica count: unable to get metric orders_per_second: unable to "
             "fetch metrics from custom metrics API: the server could not find the metric orders_per_second for pods")
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "orders-api", "namespace": "orders"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders-api"},
                            "minReplicas": 2, "maxReplicas": 16, "metrics": [{"type": "Pods", "pods": {
                                "metric": {"name": "orders_per_second"},
                                "target": {"type": "AverageValue", "averageValue": "25"}}}]},
                   "status": {"currentReplicas": 2, "desiredReplicas": 2, "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                        "message": "the HPA controller was able to get the target's current scale"},
                       {"type": "ScalingActive", "status": "False", "reason": "FailedGetPodsMetric", "message": words,
                        "lastTransitionTime": ts(edit + timedelta(minutes=1))}]}})
    inc.event(hpa, "FailedGetPodsMetric", words.split("count: ", 1)[1], edit + timedelta(minutes=1),
              at - timedelta(seconds=30), count=600, component="horizontal-pod-autoscaler")
    inc.alertmanager("OrdersLatencyHigh", {"namespace": "orders", "service": "orders-api"},
                     "orders-api p95 latency above 1s", "p95 latency of orders-api is 1.4s.",
                     'histogram_quantile(0.95, sum by (le) (rate(http_duration_seconds_bucket[5m]))) > 1',
                     severity="critical")
    inc.answer_key(culprit=("ConfigMap", "custom-metrics", "adapter-rules"),
                   keywords=["orders_per_second", "custom metrics", "FailedGetPodsMetric"],
                   root_cause="A hand edit of the adapter's rules dropped the rule serving orders_per_second; the "
                              "HPA cannot read its metric (FailedGetPodsMetric) and does not scale.",
                   category="adapter-rule-edited", red_herrings=[("Deployment", "orders", "orders-mailer")])
    return inc


@pytest.fixture(scope="module")
def adapter_result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    [row] = investigate_blind([adapter_rule_edited], tmp_path_factory.mktemp("adapter"), jobs=1).values()
    return row


def test_the_adapter_config_serving_the_hpa_s_api_is_named_from_the_victim_s_page(adapter_result: Any) -> None:
    top = str(adapter_result.top or "")
    assert adapter_result.verdict == "right", (adapter_result.verdict, top, adapter_result.error)
    for words in ("ConfigMap custom-metrics/adapter-rules", "no rule naming orders_per_second", "kubectl-edit",
                  "Deployment custom-metrics/custom-metrics-apiserver serves custom.metrics.k8s.io"):
        assert words in top, (words, top)
