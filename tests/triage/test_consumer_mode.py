"""A consumer's subscription made exclusive by a write: one replica consumes, the broker refuses the others (issue
#12, round 22 class: a consumer's exclusivity/subscription mode change).

Written here, not taken from the held-out bundles. Shapes: a Pulsar consumer Deployment whose env turned
`subscriptionType` Shared -> Exclusive, its other pods logging ConsumerBusyException; a RabbitMQ consumer
StatefulSet whose exclusive flag turned on, its other pods logging "ACCESS_REFUSED ... in exclusive use". Negative
twins: a mode made shared, a one-replica consumer, pods that log no refusal. The tool hub is a recorded fake
answering with Kubernetes' shapes (a pod list, grepped logs).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agent.triage import behind, consumer_mode
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, log_text, outcome

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=40)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Hub(RecordingHub):
    """`k8s_list` of pods (E12), `k8s_logs` filtered by `grep` (an evidence id per pod)."""

    def __init__(self, pods: list[str], lines: dict[str, list[str]]) -> None:
        super().__init__(lists={"Pod": [{"name": p} for p in pods]}, ids={"k8s_list": "E12"}, answers={
            "k8s_logs": lambda call, _: outcome(True, {}, log_text(lines.get(call.args["name"], []), call.args),
                                                f"E-{call.args['name']}")})


def _facts(kind: str, name: str, diff: list[str]) -> Facts:
    change = {"at": _iso(WRITE), "type": "rollout", "object": {"kind": kind, "namespace": "orders", "name": name},
              "summary": f"{kind} orders/{name} rolled out: " + "; ".join(diff), "diff": diff}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


PULSAR_DIFF = ["shipper env SHIPPER_PULSAR_SUBSCRIPTION_TYPE='Shared' -> SHIPPER_PULSAR_SUBSCRIPTION_TYPE='Exclusive'"]
BUSY = ("2026-09-02T13:22:10.114Z WARN 1 --- [pulsar-client-io-1-1] o.a.pulsar.client.impl.ConsumerImpl : "
        "[persistent://shop/orders/shipments][shipping] Failed to subscribe: org.apache.pulsar.client.api."
        "PulsarClientException$ConsumerBusyException: Exclusive consumer is already connected")
SHIPPER = ["shipper-6f9c8d7b5-x2k4p", "shipper-6f9c8d7b5-q8w7z", "shipper-6f9c8d7b5-bcdfg"]


def _run(facts: Facts, hub: Hub) -> list[consumer_mode.Exclusive]:
    asyncio.run(consumer_mode.read(Subject(), facts, hub, _iso(AT)))
    return consumer_mode.found(facts)


def test_a_pulsar_subscription_made_exclusive_is_blamed_for_its_refused_replicas() -> None:
    hub = Hub([*SHIPPER, "billing-5d4c3b2a1-zzzzz"], {SHIPPER[1]: [BUSY], SHIPPER[2]: [BUSY],
                                                      SHIPPER[0]: ["shipment 42 sent"]})
    facts = _facts("Deployment", "shipper", PULSAR_DIFF)
    [hit] = _run(facts, hub)
    assert hit.pods == 3 and sorted(hit.refused) == sorted(SHIPPER[1:])
    message = consumer_mode.finding(hit, AT)["message"][:400]
    assert message.startswith("Deployment orders/shipper changed its Pulsar subscription type Shared -> Exclusive")
    assert "ConsumerBusy" in message and "an Exclusive subscription admits one consumer" in message
    [(ref, _, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == consumer_mode.CHECK]
    assert ref == Ref("Deployment", "orders", "shipper") and Ref("Pod", "orders", SHIPPER[1]) in explains


RABBIT_DIFF = ["picker env CONSUMER_EXCLUSIVE='false' -> CONSUMER_EXCLUSIVE='true'"]
REFUSED = ("pika.exceptions.ChannelClosedByBroker: (403, \"ACCESS_REFUSED - queue 'pick-requests' in vhost '/' in "
           "exclusive use\")")


def test_a_rabbitmq_consumer_made_exclusive_is_blamed_for_the_access_refused_replicas() -> None:
    pods = ["picker-0", "picker-1"]
    hub = Hub(pods, {"picker-1": [REFUSED]})
    [hit] = _run(_facts("StatefulSet", "picker", RABBIT_DIFF), hub)
    assert hit.setting == ("CONSUMER_EXCLUSIVE", "false", "true")
    message = consumer_mode.finding(hit, AT)["message"]
    assert "an exclusive consumer holds the queue alone" in message and "in exclusive use" in message


def test_a_mode_made_shared_reads_nothing() -> None:
    hub = Hub(SHIPPER, {SHIPPER[1]: [BUSY]})
    diff = ["shipper env SHIPPER_PULSAR_SUBSCRIPTION_TYPE='Exclusive' -> SHIPPER_PULSAR_SUBSCRIPTION_TYPE='Shared'"]
    assert _run(_facts("Deployment", "shipper", diff), hub) == [] and not hub.calls


def test_a_one_replica_consumer_is_not_blamed() -> None:
    hub = Hub(SHIPPER[:1], {SHIPPER[0]: [BUSY]})
    assert _run(_facts("Deployment", "shipper", PULSAR_DIFF), hub) == []
    assert not any(tool == "k8s_logs" for tool, _ in hub.calls)


def test_replicas_that_log_no_refusal_are_not_blamed() -> None:
    hub = Hub(SHIPPER, {p: ["shipment 42 sent"] for p in SHIPPER})
    assert _run(_facts("Deployment", "shipper", PULSAR_DIFF), hub) == []
