"""What round 38 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the bundle really carries the change, what it did to the telemetry or the queue, and what the
victim (or the dashboard about it) shows.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout38`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout38/test_heldout.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout38")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _logs(root: Path, ns: str, prefix: str, previous: bool = False) -> dict[str, str]:
    """Pod name -> its current (or previous) logs, for the pods of `ns` whose name starts with `prefix`."""
    found = {}
    for p in sorted((root / "cluster" / ns).iterdir()):
        if not (p.is_dir() and p.name.startswith(prefix)):
            continue
        files = sorted(p.glob("*.previous.txt")) if previous else [p / "logs.txt"]
        found[p.name] = "".join(f.read_text() for f in files if f.exists())
    return found


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


def _within_hour_before(stamp: str, incident: str) -> bool:
    return stamp < incident and stamp[:10] == incident[:10] and int(incident[11:13]) - int(stamp[11:13]) <= 1


def _metric(root: Path, name: str, **labels: str) -> list[float]:
    """The samples (in file order) of the series named `name` whose labels include `labels`."""
    values = []
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            values.append(float(value))
    return values


def _revisions(root: Path, ns: str, deployment: str) -> list[dict[str, Any]]:
    return sorted((r for r in _items(root, ns, "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == deployment),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout38").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload, no namespace), two PagerDuty events, an SLO burn, a
    grouped notification of three alerts; three or four incidents are simple (the page names the culprit)."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions, simple = [], 0
    for name, key in keys.items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        simple += key["culprit"]["name"] in said
    assert len(questions) == 2
    namespaces = {k["culprit"]["namespace"] for k in keys.values()} | {"payments"}
    assert any("ledger-writer" in q and not any(f" {ns}" in q for ns in namespaces if ns) for q in questions)
    assert 3 <= simple <= 4
    burn = json.loads((_bundle(built, "order-events-freshness-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "queue-backlog-alerts-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The Prometheus, collector, Logstash, PodMonitor and trigger-authentication resources hold the changed
    setting, changed within about the hour before the page; the trigger authentication is cluster-scoped."""
    cases = (("checkout-latency-slo-no-data", "Prometheus", "kube-prometheus-stack-prometheus",
              lambda o: {"sourceLabels": ["__name__"], "action": "drop", "regex": ".+_bucket"}
              in o["spec"]["remoteWrite"][0]["writeRelabelConfigs"]),
             ("checkout-request-rate-drop", "OpenTelemetryCollector", "otel-gateway",
              lambda o: o["spec"]["config"]["service"]["pipelines"]["traces"]["processors"].index(
                  "probabilistic_sampler") >= 0
              and "spanmetrics" in o["spec"]["config"]["service"]["pipelines"]["traces"]["exporters"]),
             ("ledger-logs-gap-question", "Logstash", "ingest",
              lambda o: 'timezone => "Europe/Berlin"' in o["spec"]["pipelines"][0]["config.string"]),
             ("payments-api-target-down", "PodMonitor", "payments-api", lambda o: o["spec"]["sampleLimit"] == 4000),
             ("order-events-freshness-burn", "ClusterTriggerAuthentication", "rabbitmq-shared",
              lambda o: o["spec"]["secretTargetRef"][0]["name"] == "rabbitmq-keda-monitoring"))
    for name, kind, obj_name, holds in cases:
        root = _bundle(built, name)
        obj = _one(root, kind, obj_name)
        assert holds(obj), name
        assert _within_hour_before(_last_change(obj), _incident(root)), name
    cta = _one(_bundle(built, "order-events-freshness-burn"), "ClusterTriggerAuthentication", "rabbitmq-shared")
    assert "namespace" not in cta["metadata"]


def test_pipeline_effects_are_in_the_telemetry(built: Built) -> None:
    """Remote write drops samples while checkout's local histogram keeps growing; span-derived calls fall to a
    tenth while the ingress count stays; every payments-api scrape is rejected though its sample count is steady."""
    root = _bundle(built, "checkout-latency-slo-no-data")
    dropped = _metric(root, "prometheus_remote_storage_samples_dropped_total")
    assert dropped[-1] - dropped[-2] > 50 * (dropped[1] - dropped[0])
    local = _metric(root, "http_server_request_duration_seconds_bucket", le="0.25")
    assert local[-1] > local[-2] > 0
    assert "Completed loading of configuration file" in "".join(_logs(root, "monitoring", "prometheus-0").values())

    root = _bundle(built, "checkout-request-rate-drop")
    spans = _metric(root, "traces_span_metrics_calls_total", service_name="checkout")
    ingress = _metric(root, "nginx_ingress_controller_requests", ingress="checkout")
    assert (spans[-1] - spans[-2]) * 5 < spans[1] - spans[0]
    assert abs((ingress[-1] - ingress[-2]) - (ingress[1] - ingress[0])) < 0.05 * (ingress[1] - ingress[0])

    root = _bundle(built, "payments-api-target-down")
    assert _metric(root, "up", job="payments/payments-api")[-1] == 0.0
    samples = _metric(root, "scrape_samples_scraped", job="payments/payments-api")
    assert min(samples) > 4000
    sets = _revisions(root, "payments", "payments-api")
    assert sets[-1]["metadata"]["creationTimestamp"] < _last_change(_one(root, "PodMonitor", "payments-api"))


def test_timezone_shift_leaves_the_service_and_ingestion_alone(built: Built) -> None:
    """ledger-writer logs UTC without an offset and keeps logging (errors too); Logstash restarted after the
    edit and indexes at the usual rate."""
    root = _bundle(built, "ledger-logs-gap-question")
    logs = "".join(_logs(root, "payments", "ledger-writer").values())
    assert re.search(r"Z \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR ledger\.writer", logs)
    assert "+0100" not in logs and "+01:00" not in logs
    edited = _last_change(_one(root, "Logstash", "ingest"))
    (ls,) = [p for p in _items(root, "logging", "pods.json") if p["metadata"]["name"].startswith("ingest-ls")]
    assert ls["metadata"]["creationTimestamp"] > edited
    out = _metric(root, "logstash_stats_pipeline_events_out")
    assert out[-1] - out[-2] > 0.9 * (out[1] - out[0])


def test_simple_revisions_differ_in_the_named_setting(built: Built) -> None:
    """sidekiq's newest ReplicaSet drops the queue weights and logs only import jobs; fulfilment-worker's newest
    logs non-determinism on replay; thanos-query's newest drops the replica label while two replicas stream."""
    root = _bundle(built, "password-reset-mail-delayed")
    old, new = (r["spec"]["template"]["spec"]["containers"][0]["command"]
                for r in _revisions(root, "accounts", "sidekiq")[-2:])
    assert "mailers,2" in old and "mailers" in new and not any("," in a for a in new[5:])
    logs = "".join(_logs(root, "accounts", "sidekiq").values())
    assert "class=CustomerImportJob" in logs and "MailDeliveryJob" not in logs

    root = _bundle(built, "fulfilment-workflows-stuck")
    images = [r["spec"]["template"]["spec"]["containers"][0]["image"]
              for r in _revisions(root, "fulfilment", "fulfilment-worker")[-2:]]
    assert [i.rsplit(":", 1)[1] for i in images] == ["3.8.2", "3.9.0"]
    assert "[TMPRL1100] nondeterministic workflow" in "".join(_logs(root, "fulfilment", "fulfilment-worker").values())

    root = _bundle(built, "queue-backlog-alerts-grouped")
    old, new = (r["spec"]["template"]["spec"]["containers"][0]["args"]
                for r in _revisions(root, "monitoring", "thanos-query")[-2:])
    assert "--query.replica-label=prometheus_replica" in old and not any("replica-label" in a for a in new)
    thanos = "".join(_logs(root, "monitoring", "thanos-query").values())
    assert thanos.count("adding new sidecar") == 4  # two sidecars seen by each of the two query pods
    per_replica = _metric(root, "rabbitmq_queue_messages_ready", queue="invoice-render")
    assert max(per_replica) < 5000 < 2 * min(per_replica)


def test_async_failures_show_in_the_workers(built: Built) -> None:
    """Airflow's pool is full of marketing back-fill runs; KEDA cannot read either queue; the statement Job has
    retried four failed pods that each began at account 1; report-worker's acks fail after RabbitMQ's timeout."""
    root = _bundle(built, "finance-close-dag-late-page")
    dag = _one(root, "ConfigMap", "dags-marketing")["data"]["marketing_attribution.py"]
    assert "catchup=True" in dag and "datetime(2025, 1, 1" in dag
    sched = "".join(_logs(root, "airflow", "airflow-scheduler").values())
    assert "0 open slots in pool default_pool" in sched and "next_dagrun for marketing_attribution to 2025-" in sched

    root = _bundle(built, "order-events-freshness-burn")
    keda = "".join(_logs(root, "keda", "keda-operator").values())
    assert "access to vhost 'orders' refused for user 'monitoring'" in keda
    assert {"order-events-consumer", "email-sender"} <= set(re.findall(r'"scaledObject.Name": "([a-z-]+)"', keda))
    hpa = _one(root, "HorizontalPodAutoscaler", "keda-hpa-order-events-consumer")
    assert hpa["status"]["conditions"][1]["reason"] == "FailedGetExternalMetric"

    root = _bundle(built, "statement-emails-repeated")
    cron = _one(root, "CronJob", "monthly-statements")
    assert cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 6
    pods = [p for p in _items(root, "billing", "pods.json") if p["metadata"]["name"].startswith("monthly-statements")]
    assert sorted(p["status"]["phase"] for p in pods) == ["Failed"] * 4 + ["Running"]
    logs = _logs(root, "billing", "monthly-statements")
    assert all("resume=False" in text and "sent 1000/24117" in text for text in logs.values())

    root = _bundle(built, "nightly-reports-undelivered-page")
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("rabbitmq-")), key=lambda r: r["revision"])
    images = [r["data"]["spec"]["template"]["spec"]["containers"][0]["image"] for r in revisions]
    assert images == ["docker.io/library/rabbitmq:3.8.9-management", "docker.io/library/rabbitmq:3.13.7-management"]
    assert "Timeout value used: 1800000 ms" in "".join(_logs(root, "messaging", "rabbitmq-0").values())
    previous = "".join(_logs(root, "reporting", "report-worker", previous=True).values())
    assert "PRECONDITION_FAILED - delivery acknowledgement" in previous and "Channel is closed." in previous


def test_host_question_only_that_node_runs_the_new_agent(built: Built) -> None:
    """Only the question's node runs statsd-agent revision 2 (port 9125), created after the other agents; the
    node counts UDP NoPorts and its agent receives no packets, while the apps still send to 8125."""
    root = _bundle(built, "node-apps-zero-throughput-question")
    question = (root / "alerts" / "question.txt").read_text()
    agents = [p for p in _items(root, "observability", "pods.json") if p["metadata"]["name"].startswith("statsd-agent")]
    new = [p for p in agents if p["spec"]["containers"][0]["ports"][0]["hostPort"] == 9125]
    assert len(new) == 1 and new[0]["spec"]["nodeName"] in question
    assert all(p["spec"]["containers"][0]["ports"][0]["hostPort"] == 8125 for p in agents if p not in new)
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("statsd-agent-")), key=lambda r: r["revision"])
    assert new[0]["metadata"]["labels"]["controller-revision-hash"] == revisions[-1]["metadata"]["name"].rsplit("-")[-1]
    assert _one(root, "DaemonSet", "statsd-agent")["spec"]["updateStrategy"]["type"] == "OnDelete"
    qnode = new[0]["spec"]["nodeName"]
    noports = _metric(root, "node_netstat_Udp_NoPorts", instance=qnode)
    assert noports[-1] - noports[-2] > 1000
    packets = _metric(root, "statsd_exporter_udp_packets_total", pod=new[0]["metadata"]["name"])
    assert packets[-1] == packets[-2]
    intake = _one(root, "Deployment", "order-intake")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "STATSD_PORT", "value": "8125"} in intake
