"""agent.triage.redrive_job: a Job that moved dead-lettered messages back, the live queue's consumer failing on them.

Shapes: an SQS `start-message-move-task` Job in an ops namespace (source/target URLs, ApproximateNumberOfMessagesMoved)
and a Node consumer crashing with a TypeError; a Python replayer moving `orders.DLT` back to Kafka `orders` and a
consumer failing with a KeyError in the same namespace. Twins: a migration Job (no move), a crashing consumer of
another queue, and a consumer of the refilled queue failing on a refused connection (not message content).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import redrive_job as rj
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)
SQS = "https://sqs.eu-west-1.amazonaws.com/481516234200"
SQS_JOB = [f"INFO redrive: source={SQS}/labels-dlq target={SQS}/labels", "INFO redrive: moved 2500 messages",
           "INFO StartMessageMoveTask finished: ApproximateNumberOfMessagesMoved=4812 status=COMPLETED"]
NODE_CRASH = [f'{{"level":30,"msg":"polling {SQS}/labels"}}',
              "TypeError: Cannot read properties of undefined (reading 'postcode')", "    at buildLabel (label.js:58)"]


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def case(job_ns: str, job: str, job_log: list[str], victim_ns: str, victim: str, victim_log: list[str]) -> Facts:
    job_pod, victim_pod = f"{job}-x7k2p", f"{victim}-zvhcd8n69n-9w6c9"
    lists = {("Pod", job_ns): [{"name": job_pod}], ("Pod", victim_ns): [{"name": victim_pod}]}
    if job_ns == victim_ns:
        lists = {("Pod", job_ns): [{"name": job_pod}, {"name": victim_pod}]}
    hub = RecordingHub(lists=lists, logs={job_pod: job_log, victim_pod: victim_log})
    changes = [{"at": iso(AT - timedelta(minutes=21)), "type": "job",
                "object": {"kind": "Job", "namespace": job_ns, "name": job},
                "summary": f"Job {job_ns}/{job} started, completed"}]
    scan: dict[str, Any] = {"findings": [{"severity": "critical", "check": "pod.crashloop",
                                          "object": {"kind": "Deployment", "namespace": victim_ns, "name": victim},
                                          "message": f"Deployment {victim_ns}/{victim}: 3/3 pods CrashLoopBackOff"}]}
    facts = Facts(at=AT, scan=scan, changes={"changes": changes}, changes_id="C1")
    asyncio.run(rj.read(Subject(names=[victim]), facts, hub, iso(AT)))
    return facts


def test_sqs_redrive_job_names_the_job_over_the_crashing_consumer() -> None:
    facts = case("ops", "sqs-redrive-labels", SQS_JOB, "shipping", "label-worker", NODE_CRASH)
    hits = rj.found(facts)
    assert [str(h.job) for h in hits] == ["Job ops/sqs-redrive-labels"]
    message = rj.finding(hits[0], AT)["message"]
    assert message.startswith("Job ops/sqs-redrive-labels redrove 4812 dead-letter messages from labels-dlq back "
                              "onto the live queue labels 21 min before")
    assert "TypeError" in message and "poison" in message[:400]
    assert rj.suspects(facts)[0][3][0].name == "label-worker"


def test_kafka_dlt_replayer_and_a_python_consumer() -> None:
    log = ["replaying from=orders.DLT to=orders", "replayed 311 records"]
    crash = ["consuming topic=orders group=billing", "KeyError: 'customer_id'", "Traceback (most recent call last):"]
    hits = rj.found(case("billing", "replay-orders-dlt", log, "billing", "invoice-consumer", crash))
    assert [(str(h.job), h.live, h.count) for h in hits] == [("Job billing/replay-orders-dlt", "orders", 311)]


def test_a_migration_job_names_nothing() -> None:
    log = ["Applying migration 0042_labels", "migrated 12 tables"]
    assert rj.found(case("ops", "db-migrate", log, "shipping", "label-worker", NODE_CRASH)) == []


def test_a_crashing_consumer_of_another_queue_names_nothing() -> None:
    crash = [f'{{"msg":"polling {SQS}/invoices"}}', "TypeError: Cannot read properties of undefined (reading 'x')"]
    assert rj.found(case("ops", "sqs-redrive-labels", SQS_JOB, "shipping", "invoice-worker", crash)) == []


def test_a_consumer_failing_on_its_connection_names_nothing() -> None:
    crash = [f'{{"msg":"polling {SQS}/labels"}}', "Error: connect ECONNREFUSED 10.0.0.7:443"]
    assert rj.found(case("ops", "sqs-redrive-labels", SQS_JOB, "shipping", "label-worker", crash)) == []
