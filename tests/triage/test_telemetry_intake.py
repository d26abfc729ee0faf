"""agent.triage.telemetry_intake: missing telemetry a store refuses at an intake limit leads to what set or used it.

Shapes: Loki answering 429 `Ingestion rate limit exceeded` (promtail's `final error sending batch`) with the limit
in its StatefulSet's args and no write in view (the store at its limit); the same refusals after a write to Loki's
config ConfigMap (the write named); a shared Mimir tenant refusing new series (`err-mimir-max-series-per-user`,
relayed by Prometheus remote write) after another namespace's rollout whose scrape job grew from 2k to 400k samples
per scrape (the rollout named, not the paged service's own rollout). Twins: an incident that is not about missing
telemetry (nothing read), a store whose log shows no limit (a 5xx from its storage), and a series limit with no job
standing out (the store at its limit, no workload blamed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import telemetry_intake as ti
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
LOKI_429 = ('level=warn ts=2026-11-16T09:20:00Z caller=grpc_logging.go:76 msg="gRPC" err="rpc error: code = '
            "Code(429) desc = Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting "
            "to ingest '1800' lines totaling '1048000' bytes\"")
PROMTAIL = ('level=error ts=2026-11-16T09:20:00Z caller=client.go:430 component=client host=loki.obs.svc:3100 '
            'msg="final error sending batch" status=429 error="server returned HTTP status 429 Too Many Requests"')
MIMIR = ('ts=2026-11-16T09:20:00Z caller=push.go:130 level=warn user=prod msg="push refused" err="user=prod: per-user '
         'series limit of 1500000 exceeded (err-mimir-max-series-per-user)"')
REMOTE = ('ts=2026-11-16T09:20:00Z caller=dedupe.go:112 level=error component=remote msg="non-recoverable error" '
          'err="server returned HTTP status 400 Bad Request: per-user series limit of 1500000 exceeded '
          '(err-mimir-max-series-per-user)"')
LOGS_MISSING = Subject(labelled_values=["logs", "stop", "showing", "grafana"])
METRICS_ABSENT = Subject(namespace="cart", labelled_values=["cart-api"], phrases=["request-metrics-absent"])


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def pod(name: str, ns: str, owner: str, args: list[str], cm: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "args": args}]}
    if cm:
        spec["volumes"] = [{"name": "conf", "configMap": {"name": cm}}]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns,
                                        "ownerReferences": [{"kind": owner, "name": name.rsplit("-", 1)[0]}]},
            "spec": spec}


def rollout(ns: str, name: str, ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 2", "diff": []}


def run(subject: Subject, hub: RecordingHub, changes: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="C1")
    asyncio.run(ti.read(subject, facts, hub, iso(AT)))
    return facts


def loki_hub(loki_lines: list[str]) -> RecordingHub:
    rows = [{"name": "loki-0", "namespace": "obs", "images": ["docker.io/grafana/loki:3.2.1"]},
            {"name": "promtail-x7k2p", "namespace": "obs", "images": ["docker.io/grafana/promtail:3.2.1"]},
            {"name": "web-6c9d8f7b5d-x2k4q", "namespace": "shop", "images": ["shop/web:1.0"]}]
    args = ["-config.file=/etc/loki/config.yaml", "-distributor.ingestion-rate-limit-mb=4"]
    return RecordingHub(objects={("Pod", "obs", "loki-0"): pod("loki-0", "obs", "StatefulSet", args, "loki-config")},
                        lists={"Pod": rows}, logs={"loki-0": loki_lines, "promtail-x7k2p": [PROMTAIL]})


def test_loki_at_its_ingestion_rate_limit_without_a_write_names_the_store() -> None:
    facts = run(LOGS_MISSING, loki_hub(["ready", LOKI_429]))
    [(ref, finding, _, _)] = ti.suspects(facts)
    assert (ref.kind, ref.name) == ("StatefulSet", "loki") and finding["check"] == ti.CHECK_AT_LIMIT
    head = finding["message"][:320]
    assert "ingestion rate limit" in head and "429" in head and "Loki" in head
    assert "-distributor.ingestion-rate-limit-mb=4" in head


def test_loki_config_written_before_the_refusals_is_named() -> None:
    write = {"at": iso(AT - timedelta(hours=3)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "obs", "name": "loki-config"},
             "summary": "ConfigMap obs/loki-config written by helm: data key config.yaml set", "diff": []}
    facts = run(LOGS_MISSING, loki_hub([LOKI_429]), [write])
    [hit] = ti.found(facts)
    assert hit.culprit.name == "loki-config" and hit.check == ti.CHECK and "final error sending batch" in \
        hit.shipper_said


def mimir_hub(jobs: list[dict[str, Any]]) -> RecordingHub:
    rows = [{"name": "mimir-distributor-7d9f8c6b5d-k2x4z", "namespace": "mimir", "images": ["grafana/mimir:2.14"]},
            {"name": "prometheus-0", "namespace": "monitoring", "images": ["quay.io/prometheus/prometheus:v2.54"]}]
    return RecordingHub(objects={("Pod", "mimir", "mimir-distributor-7d9f8c6b5d-k2x4z"):
                                 pod("mimir-distributor-7d9f8c6b5d-k2x4z", "mimir", "ReplicaSet", [])},
                        lists={"Pod": rows},
                        logs={"mimir-distributor-7d9f8c6b5d-k2x4z": [MIMIR], "prometheus-0": [REMOTE]},
                        answers={"prom_query_range": outcome(True, {"series": jobs})})


def job(name: str, ns: str, first: float, peak: float, trend: str = "rising") -> dict[str, Any]:
    return {"labels": {"job": name, "namespace": ns}, "first": first, "max": peak, "trend": trend}


def test_series_limit_filled_by_another_rollout_names_that_rollout() -> None:
    jobs = [job("search-api", "search", 2000.0, 400000.0), job("cart-api", "cart", 1500.0, 1600.0, "flat")]
    changes = [rollout("cart", "cart-api", timedelta(minutes=15)), rollout("search", "search-api", timedelta(hours=3))]
    facts = run(METRICS_ABSENT, mimir_hub(jobs), changes)
    [(ref, finding, _, explains)] = ti.suspects(facts)
    assert (ref.namespace, ref.name) == ("search", "search-api")
    head = finding["message"][:400]
    assert "cardinality" in head and "series limit" in head and "err-mimir-max-series-per-user" in head
    assert [r.name for r in explains] == ["mimir-distributor"]


def test_series_limit_with_no_job_standing_out_blames_no_workload() -> None:
    jobs = [job("search-api", "search", 2000.0, 2400.0, "flat"), job("cart-api", "cart", 1500.0, 1600.0, "flat")]
    changes = [rollout("cart", "cart-api", timedelta(minutes=15)), rollout("search", "search-api", timedelta(hours=3))]
    [hit] = ti.found(run(METRICS_ABSENT, mimir_hub(jobs), changes))
    assert hit.check == ti.CHECK_AT_LIMIT and hit.culprit.name == "mimir-distributor"


def test_store_failing_on_its_storage_is_no_limit() -> None:
    facts = run(LOGS_MISSING, loki_hub(['level=error msg="failed to flush chunks" err="InternalError: 500"']))
    assert ti.found(facts) == []  # promtail's 429s alone name no store


def test_incident_not_about_missing_telemetry_reads_nothing() -> None:
    hub = loki_hub([LOKI_429])
    facts = run(Subject(namespace="shop", labelled_values=["checkout"], phrases=["high-error-rate"]), hub)
    assert hub.calls == [] and ti.found(facts) == []
