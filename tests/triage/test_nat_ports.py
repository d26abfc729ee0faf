"""agent.triage.nat_ports: a batch run's burst of new connections uses up a shared NAT's ports; others cannot connect.

Shapes: a GCP Cloud NAT (`nat_allocation_failed` through the Stackdriver exporter) with a one-off Job whose args name
the same provider domain as a Node service's failing calls (`connect ETIMEDOUT`); an AWS NAT gateway
(`ErrorPortAllocation` as YACE names it) with a CronJob's run whose Apache HttpClient log opens connection after
connection (folded by the log tool into a `repeated Nx:` shape) while a Python service's connects time out. Twins:
no failure series, a series failing from the window's start (no onset), a Job started long before the onset, a Job
finished before it, a Job that neither bursts nor calls the destination, victims failing before the onset.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import nat_ports as np_
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 18, 9, 40, tzinfo=UTC)
ONSET = AT - timedelta(minutes=50)
GCP = "stackdriver_nat_gateway_router_googleapis_com_nat_nat_allocation_failed"
AWS = "aws_natgateway_error_port_allocation_sum"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def victim(pod: str, ns: str, said: str, host: str, first: datetime) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5",
                       top={"message": said, "example": said, "first_seen": iso(first), "severity": "error"},
                       hosts=[host], error_classes={"connection_timeout"}, previous=False)


def job(name: str, ns: str, started: datetime, args: list[str], cron: str = "",
        completed: datetime | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": iso(started)}
    if cron:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron, "controller": True}]
    status: dict[str, Any] = {"startTime": iso(started)}
    if completed is not None:
        status["completionTime"] = iso(completed)
    return {"kind": "Job", "metadata": meta, "status": status,
            "spec": {"template": {"spec": {"containers": [{"name": "run", "image": "registry.local/batch:2",
                                                           "args": args}]}}}}


def case(log: LogEvidence, the_job: dict[str, Any], job_log: list[str],
         series: list[dict[str, Any]] | None) -> Facts:
    meta = the_job["metadata"]
    pod = f"{meta['name']}-q7x2k"

    def failures(call: Call, eid: str) -> Any:
        return outcome(True, {"series": series or []}, "", eid)

    lists: dict[str | tuple[str, str], list[dict[str, Any]]] = {
        "Job": [{"name": meta["name"], "namespace": meta["namespace"], "created": meta["creationTimestamp"]}],
        ("Pod", meta["namespace"]): [{"name": pod, "status": "Running"}]}
    hub = RecordingHub(objects={("Job", meta["namespace"], meta["name"]): the_job},
                       lists=lists, logs={pod: job_log}, answers={"prom_query_range": failures})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": []}, changes_id="C1", logs=[log])
    asyncio.run(np_.read(Subject(), facts, hub, iso(AT)))
    return facts


def failing(name: str, onset: datetime = ONSET, peak: float = 310.0) -> list[dict[str, Any]]:
    return [{"labels": {"__name__": name, "gateway_name": "egress-nat"}, "start": iso(onset), "max": peak}]


NODE_VICTIM = victim("notifier-6d8f9c7b5-k2x8p", "alerts",
                     "sms send failed: Error: connect ETIMEDOUT 3.215.77.10:443 (api.twilio.com)", "api.twilio.com",
                     ONSET + timedelta(minutes=4))
BACKFILL = job("media-backfill", "content", ONSET - timedelta(minutes=8),
               ["--source", "https://media.twilio.com/v1", "--parallel", "200"])


def test_cloud_nat_allocation_failed_names_the_job_calling_the_same_provider() -> None:
    facts = case(NODE_VICTIM, BACKFILL, ["fetched 500 recordings", "fetched 1000 recordings"], failing(GCP))
    [(ref, finding, _, explains)] = np_.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("Job", "content", "media-backfill")
    assert explains[0].name == "notifier"
    head = finding["message"][:420]
    assert "NAT gateway" in head and "media.twilio.com" in head and "api.twilio.com" in head and GCP in head


APACHE = [f"repeated {n}x: # DEBUG o.a.h.i.c.DefaultHttpClientConnectionOperator - Connecting to "
          f"assets.vendorcdn.example/#.#.#.#:#" for n in (240,)] + [
    "2026-11-18T08:45:00Z DEBUG o.a.h.i.c.DefaultHttpClientConnectionOperator - Connecting to "
    "assets.vendorcdn.example/203.0.113.9:443", "2026-11-18T08:45:01Z INFO sync done batch=88"]
PY_VICTIM = victim("checkout-7f9c8d6b4-x9q2w", "shop",
                   "requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.stripe.com', port=443): "
                   "Max retries exceeded (connect timeout=5)", "api.stripe.com", ONSET + timedelta(minutes=1))
SYNC_RUN = job("asset-sync-29399460", "media", ONSET - timedelta(minutes=3), ["--all"], cron="asset-sync")


def test_aws_port_allocation_errors_name_the_cronjob_whose_run_bursts() -> None:
    facts = case(PY_VICTIM, SYNC_RUN, APACHE, failing(AWS, peak=1840))
    [hit] = np_.found(facts)
    assert (hit.target.kind, hit.target.name) == ("CronJob", "asset-sync") and hit.job.name == "asset-sync-29399460"
    assert hit.churn >= np_.MIN_CHURN and not hit.their_host
    message = np_.finding(hit, AT)["message"]
    assert "ErrorPortAllocation" in message and "new connection" in message


def test_no_failure_series_names_nothing() -> None:
    assert np_.found(case(PY_VICTIM, SYNC_RUN, APACHE, [])) == []


def test_failures_already_there_at_the_window_start_have_no_onset() -> None:
    facts = case(PY_VICTIM, SYNC_RUN, APACHE, failing(AWS, onset=AT - np_.SPAN))
    assert np_.found(facts) == []


def test_job_started_long_before_the_onset_is_not_named() -> None:
    old = job("asset-sync-29399100", "media", ONSET - timedelta(hours=2), ["--all"], cron="asset-sync")
    assert np_.found(case(PY_VICTIM, old, APACHE, failing(AWS))) == []


def test_job_finished_before_the_onset_is_not_named() -> None:
    done = job("asset-sync-29399460", "media", ONSET - timedelta(minutes=20), ["--all"], cron="asset-sync",
               completed=ONSET - timedelta(minutes=5))
    assert np_.found(case(PY_VICTIM, done, APACHE, failing(AWS))) == []


def test_quiet_job_calling_elsewhere_is_not_named() -> None:
    quiet = job("report-build", "finance", ONSET - timedelta(minutes=6), ["--out", "s3://reports/2026-11"])
    assert np_.found(case(NODE_VICTIM, quiet, ["built 12 reports", "uploaded"], failing(GCP))) == []


def test_victims_failing_before_the_onset_are_not_explained() -> None:
    early = victim("notifier-6d8f9c7b5-k2x8p", "alerts", "sms send failed: Error: connect ETIMEDOUT (api.twilio.com)",
                   "api.twilio.com", ONSET - timedelta(minutes=40))
    assert np_.found(case(early, BACKFILL, ["fetched 500 recordings"], failing(GCP))) == []
