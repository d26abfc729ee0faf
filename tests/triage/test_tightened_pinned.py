"""A count bound written whole inside a map (its old value unknown), proven by a gauge held at exactly that number.

A broker's queue cap is often written as one map: a RabbitMQ Policy's `definition` (`max-length` with `overflow:
reject-publish`), a NATS JetStream Stream's `maxMsgs` with `discard: new`. The timeline then records only the new
map, and the publishers' errors ("nacked", "message rejected") never name the field. What shows the cap is hit is
the queue's own depth gauge: it climbs and then stays at exactly the written number. Twins: the same write with a
depth that peaks below the number, and a gauge that was already at the number before (no rise) are not named.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from agent.incident import from_text
from agent.triage import subject_of, tightened
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _write(kind: str, ns: str, name: str, line: str) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=150)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-client-side-apply (generation 3): {line}",
            "diff": [line], "related": []}


def _facts(change: dict[str, Any], pod: str, ns: str, error: str) -> Facts:
    log = LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"template": error, "message": error}, hosts=[],
                      error_classes=set(), previous=False)
    topology = {"subject": {"kind": "Deployment", "namespace": ns, "name": pod.rsplit("-", 2)[0]}}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", topologies=[(topology, "E3")], logs=[log])


def _caller(gauge: str, first: float, top: float, last: float) -> Any:
    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "prom_series":
            return SimpleNamespace(ok=True, evidence_id="E20", data={"series": [
                {"__name__": gauge}, {"__name__": "process_cpu_seconds_total"}]})
        if tool == "prom_query_range" and gauge in args["query"]:
            return SimpleNamespace(ok=True, evidence_id="E21", data={"series": [
                {"first": first, "last": last, "max": top}]})
        return None
    return call


def _run(facts: Facts, call: Any, question: str) -> list[tightened.Tightened]:
    asyncio.run(tightened.read(subject_of(from_text(question)), facts, call, AT.isoformat()))
    return tightened.found(facts)


RABBIT = ('spec.definition = {"max-length": 50000, "overflow": "reject-publish", "queue-version": 2}')
NACK = "Publish of shipment 88121 to shipments.created not confirmed: broker returned basic.nack"


def test_a_broker_policy_cap_held_by_the_queue_depth_is_the_bound_hit() -> None:
    facts = _facts(_write("Policy", "broker", "shipment-caps", RABBIT), "shipping-api-6d5f7c9b8d-q8w2e", "shipping",
                   NACK)
    [t] = _run(facts, _caller("rabbitmq_queue_messages_ready", 120, 50000, 50000), "shipping-api returns 503")
    message = tightened.finding(t)["message"]
    assert str(t.target) == "Policy broker/shipment-caps"
    assert "spec.definition.max-length set to 50000" in message and "reject-publish" in message
    assert "rabbitmq_queue_messages_ready rose from 120 to 50000 and stays there" in message, message
    assert "queue-version" not in " ".join(b.name for b in t.bounds)


def test_a_stream_message_cap_held_by_its_message_gauge_is_the_bound_hit() -> None:
    facts = _facts(_write("Stream", "nats", "telemetry", "spec.maxMsgs = 8000"), "ingest-7c9d8f6b5c-k2l3m",
                   "ingest", "nats: message rejected by the server")
    [t] = _run(facts, _caller("nats_stream_total_messages", 10, 8000, 8000), "ingest errors")
    assert str(t.target) == "Stream nats/telemetry" and "exactly the written maxMsgs (8000)" in t.said


def test_a_depth_below_the_cap_or_already_there_before_is_not_the_bound_hit() -> None:
    for first, top, last in ((120, 41000, 39000), (50000, 50000, 50000)):
        facts = _facts(_write("Policy", "broker", "shipment-caps", RABBIT), "shipping-api-6d5f7c9b8d-q8w2e",
                       "shipping", NACK)
        assert _run(facts, _caller("rabbitmq_queue_messages_ready", first, top, last), "shipping-api 503") == []
    facts = _facts(_write("Stream", "nats", "telemetry", "spec.maxMsgs = 8000"), "ingest-7c9d8f6b5c-k2l3m",
                   "ingest", "nats: message rejected by the server")
    assert _run(facts, _caller("nats_stream_total_messages", 10, 7400, 7400), "ingest errors") == []
