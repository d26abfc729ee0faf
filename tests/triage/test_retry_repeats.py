"""agent.triage.retry_repeats: a retried batch Job whose attempts each redo the work the failed ones did.

Shapes: a CronJob `invoice-charger` whose run was retried after a gateway error, each attempt charging the same
batches again (`charged batch 3/40 (120 invoices)`), with a kubectl-patch write of backoffLimit in its
managedFields; a plain Job `webhook-replay` whose attempts post the same offsets again. Twins: a second attempt
that resumes from where the first stopped; a single attempt; attempts that only repeat a connect-and-retry loop;
backoffLimit 0.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import retry_repeats as rr
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 5, 2, 2, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cronjob(name: str, backoff: int, patched_hours: float | None = None) -> dict[str, Any]:
    managed = [{"manager": "helm", "operation": "Update", "time": iso(AT - timedelta(days=40)), "fieldsV1": {}}]
    if patched_hours is not None:
        managed.append({"manager": "kubectl-patch", "operation": "Update",
                        "time": iso(AT - timedelta(hours=patched_hours)),
                        "fieldsV1": {"f:spec": {"f:jobTemplate": {"f:spec": {"f:backoffLimit": {}}}}}})
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": "payments", "managedFields": managed},
            "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"backoffLimit": backoff}}}}


def charges(upto: int, start: int = 1, stamp: str = "2026-05-02T01:0") -> list[str]:
    lines = [f"{stamp}0:00Z level=info msg=\"charger starting\" batches=40"]
    lines += [f"{stamp}{n % 10}:{n:02d}Z level=info msg=\"charged batch {n}/40 (120 invoices)\"" for n in
              range(start, upto + 1)]
    return [*lines, f"{stamp}9:59Z level=error msg=\"gateway returned 502 for batch {upto + 1}\""]


def run(objects: dict[Any, Any], pods: list[str], logs: dict[str, list[str]], ns: str, names: list[str]) -> Facts:
    lists: dict[Any, list[dict[str, Any]]] = {("Pod", ns): [{"name": p} for p in pods]}
    for kind, namespace, name in objects:
        lists.setdefault((kind, namespace), []).append({"name": name})
    hub = RecordingHub(objects=objects, lists=lists, logs=logs)
    facts = Facts(at=AT)
    asyncio.run(rr.read(Subject(namespace=ns, labelled_values=names), facts, hub, iso(AT)))
    return facts


CHARGER_PODS = ["invoice-charger-29611260-bq7xz", "invoice-charger-29611260-k4mnp", "invoice-charger-29611260-t9wrs"]


def charger(backoff: int = 4, later: list[list[str]] | None = None, patched: float | None = 9) -> Facts:
    second, third = later or [charges(5, stamp="2026-05-02T01:2"), charges(3, stamp="2026-05-02T01:4")]
    logs = {CHARGER_PODS[0]: charges(6), CHARGER_PODS[1]: second, CHARGER_PODS[2]: third}
    return run({("CronJob", "payments", "invoice-charger"): cronjob("invoice-charger", backoff, patched)},
               CHARGER_PODS, logs, "payments", ["invoice-charger"])


def test_cronjob_attempts_charging_the_same_batches_are_named_with_the_write() -> None:
    [(ref, finding, _, _)] = rr.suspects(charger())
    assert (ref.kind, ref.namespace, ref.name) == ("CronJob", "payments", "invoice-charger")
    assert "backoffLimit 4 (written by kubectl-patch 9 h 0 min before" in finding["message"]
    assert "idempotent" in finding["message"] and "charged batch" in finding["message"]
    assert finding["details"]["attempts"] == 3


def test_plain_job_posting_the_same_offsets_again_is_named() -> None:
    pods = ["webhook-replay-x7k2p", "webhook-replay-m4q8z"]
    lines = ["posting 1500 webhooks to partner endpoint"] + [f"posted offset {n} ok" for n in (500, 1000, 1500)]
    job = {"kind": "Job", "metadata": {"name": "webhook-replay", "namespace": "hooks"}, "spec": {"backoffLimit": 2}}
    facts = run({("Job", "hooks", "webhook-replay"): job}, pods, {p: lines for p in pods}, "hooks", ["webhook-replay"])
    [(ref, finding, _, _)] = rr.suspects(facts)
    assert (ref.kind, ref.name) == ("Job", "webhook-replay") and "posted offset 1500 ok" in finding["message"]


def test_resuming_attempt_names_nothing() -> None:
    second = ['2026-05-02T01:20:00Z level=info msg="resuming after batch 6"', *charges(9, start=7)[1:]]
    third = ['2026-05-02T01:40:00Z level=info msg="resuming after batch 9"', *charges(14, start=10)[1:]]
    assert rr.suspects(charger(later=[second, third])) == []


def test_single_attempt_names_nothing() -> None:
    facts = run({("CronJob", "payments", "invoice-charger"): cronjob("invoice-charger", 4)}, CHARGER_PODS[:1],
                {CHARGER_PODS[0]: charges(6)}, "payments", ["invoice-charger"])
    assert rr.suspects(facts) == []


def test_attempts_repeating_only_a_retry_loop_name_nothing() -> None:
    loop = ["connecting to ledger-db at 10.20.0.7:5432"] + [f"attempt {n} failed: connection refused, retrying in "
                                                             f"{n * 5}s" for n in range(1, 6)]
    facts = run({("CronJob", "payments", "invoice-charger"): cronjob("invoice-charger", 4)}, CHARGER_PODS,
                {p: loop for p in CHARGER_PODS}, "payments", ["invoice-charger"])
    assert rr.suspects(facts) == []


def test_backoff_limit_zero_names_nothing() -> None:
    assert rr.suspects(charger(backoff=0)) == []


def test_incident_naming_no_cronjob_or_job_reads_no_logs() -> None:
    hub = RecordingHub(objects={}, lists={("CronJob", "payments"): [{"name": "nightly-export"}]}, logs={})
    facts = Facts(at=AT)
    asyncio.run(rr.read(Subject(namespace="payments", labelled_values=["checkout-api"]), facts, hub, iso(AT)))
    assert [c[0] for c in hub.calls] == ["k8s_list", "k8s_list"] and rr.suspects(facts) == []


def test_no_logs_are_read_for_a_single_attempt_or_backoff_limit_zero() -> None:
    objects = {("CronJob", "payments", "invoice-charger"): cronjob("invoice-charger", 4)}
    lists = {("Pod", "payments"): [{"name": CHARGER_PODS[0]}], ("CronJob", "payments"): [{"name": "invoice-charger"}]}
    single = RecordingHub(objects=objects, lists=lists, logs={CHARGER_PODS[0]: charges(6)})
    asyncio.run(rr.read(Subject(namespace="payments", labelled_values=["invoice-charger"]), Facts(at=AT), single,
                        iso(AT)))
    assert "k8s_logs" not in [c[0] for c in single.calls]
    objects = {("CronJob", "payments", "invoice-charger"): cronjob("invoice-charger", 0)}
    lists[("Pod", "payments")] = [{"name": p} for p in CHARGER_PODS]
    zero = RecordingHub(objects=objects, lists=lists, logs={p: charges(6) for p in CHARGER_PODS})
    asyncio.run(rr.read(Subject(namespace="payments", labelled_values=["invoice-charger"]), Facts(at=AT), zero,
                        iso(AT)))
    assert [c[0] for c in zero.calls] == ["k8s_list", "k8s_list", "k8s_get"]


def test_jobs_are_listed_only_when_a_named_run_shows_retries() -> None:
    hub = RecordingHub(objects={}, lists={("Pod", "payments"): [{"name": "checkout-api-7d9f8b6c5d-x2k9q"}]}, logs={})
    asyncio.run(rr.read(Subject(namespace="payments", labelled_values=["checkout-api"]), Facts(at=AT), hub, iso(AT)))
    assert [c[1].get("kind") for c in hub.calls] == ["CronJob", "Pod"]
