"""agent.triage.scale_down_delay: a rollout's scale-down delay cut to nothing, callers failing at the scale-down.

Shapes: a blue/green Rollout whose delay went to 0 (Helm), its ingress-nginx controller logging `connect() failed
(111: Connection refused)` from the second the old ReplicaSet went to zero; a canary Rollout with SMI traffic routing
whose delay was edited to 2, a Node caller logging ECONNREFUSED. Twins: a basic canary (no trafficRouting), the delay
left at 30, failures that began long before the scale-down, no scale-down since the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import scale_down_delay as sdd
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 2, 14, 30, tzinfo=UTC)
DOWN = AT - timedelta(minutes=6)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(name: str, line: str, ago: timedelta = timedelta(hours=3)) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": "Rollout", "namespace": "shop", "name": name},
            "summary": f"Rollout shop/{name} written by helm: {line}", "diff": [line]}


def rollout(name: str, strategy: dict[str, Any]) -> str:
    return yaml.safe_dump({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                           "metadata": {"name": name, "namespace": "shop"}, "spec": {"strategy": strategy}})


def error(example: str, first: datetime, klass: str, count: int = 30) -> dict[str, Any]:
    return {"template": "x", "example": example, "count": count, "first_seen": iso(first),
            "last_seen": iso(first + timedelta(seconds=40)), "error_class": klass}


def run(change: dict[str, Any], strategy: dict[str, Any], errors: list[dict[str, Any]], caller: str,
        down: datetime | None = DOWN) -> Facts:
    name = change["object"]["name"]
    events = [{"reason": "ScalingReplicaSet", "kind": "Rollout", "name": name, "namespace": "shop",
               "message": f"Scaled down ReplicaSet {name}-7f9c (revision 8) from 3 to 0",
               "first_seen": iso(down), "last_seen": iso(down)}] if down else []

    def logs(call: Any, eid: str) -> ToolOutcome:
        return ToolOutcome(eid, "k8s_logs", call.args, True, "logs", full_text="logs",
                           data={"facts": {"errors": errors}})

    hub = RecordingHub(objects={("Rollout", "shop", name): rollout(name, strategy)},
                       answers={"k8s_events": ToolOutcome("E9", "k8s_events", {}, True, "events",
                                                          data={"events": events}),
                                "k8s_logs": logs})
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1",
                  logs=[LogEvidence(caller, "shop", "L1", None, [], set(), False)])
    asyncio.run(sdd.read(Subject(namespace="shop", names=["storefront"]), facts, hub, iso(AT)))
    return facts


BLUE_GREEN = {"blueGreen": {"activeService": "basket-active", "previewService": "basket-preview",
                            "scaleDownDelaySeconds": 0}}
NGINX_REFUSED = ('2026/08/02 14:24:01 [error] 31#31: *88 connect() failed (111: Connection refused) while connecting '
                 'to upstream, upstream: "http://10.1.4.7:8080/basket"')


def test_blue_green_delay_zero_ingress_refusals_at_the_scale_down() -> None:
    facts = run(write("basket", "spec.strategy.blueGreen.scaleDownDelaySeconds written by helm (now '0')"),
                BLUE_GREEN, [error(NGINX_REFUSED, DOWN + timedelta(seconds=1), "connection_refused")],
                "ingress-nginx-controller-6d5f7-abcde")
    hits = sdd.suspects(facts)
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("Rollout", "basket") and explains[0].name.startswith("ingress-nginx")
    message = finding["message"]
    assert "scaleDownDelaySeconds was set to 0 by helm" in message and "(blueGreen)" in message
    assert "30 failures within 3 min of the scale-down at 14:24:00" in message and "Connection refused" in message
    assert "C1" in evidence


def test_smi_canary_delay_edited_to_two_node_caller_refused() -> None:
    canary = {"canary": {"scaleDownDelaySeconds": 2, "trafficRouting": {"smi": {"rootService": "pricing"}}}}
    said = "Error: connect ECONNREFUSED 10.1.9.3:3000 at TCPConnectWrapper.afterConnect"
    facts = run(write("pricing", "spec.strategy.canary.scaleDownDelaySeconds 30 -> 2"), canary,
                [error(said, DOWN + timedelta(seconds=20), "other")], "storefront-7c9d8-qwert")
    hits = sdd.suspects(facts)
    assert [h[0].name for h in hits] == ["pricing"] and "trafficRouting smi" in hits[0][1]["message"]


def test_twin_basic_canary_without_traffic_routing() -> None:
    canary = {"canary": {"scaleDownDelaySeconds": 0, "steps": [{"setWeight": 50}]}}
    facts = run(write("pricing", "spec.strategy.canary.scaleDownDelaySeconds = 0"), canary,
                [error(NGINX_REFUSED, DOWN, "connection_refused")], "storefront-7c9d8-qwert")
    assert sdd.suspects(facts) == []


def test_twin_delay_left_at_thirty() -> None:
    strategy = {"blueGreen": {"activeService": "basket-active", "scaleDownDelaySeconds": 30}}
    facts = run(write("basket", "spec.strategy.blueGreen.scaleDownDelaySeconds = 30"), strategy,
                [error(NGINX_REFUSED, DOWN, "connection_refused")], "ingress-nginx-controller-6d5f7-abcde")
    assert sdd.written(facts) == [] and sdd.suspects(facts) == []


def test_twin_failures_that_began_before_the_scale_down() -> None:
    facts = run(write("basket", "spec.strategy.blueGreen.scaleDownDelaySeconds = 0"), BLUE_GREEN,
                [error(NGINX_REFUSED, DOWN - timedelta(minutes=40), "connection_refused", count=900)],
                "ingress-nginx-controller-6d5f7-abcde")
    assert sdd.suspects(facts) == []


def test_twin_no_scale_down_since_the_write() -> None:
    facts = run(write("basket", "spec.strategy.blueGreen.scaleDownDelaySeconds = 0"), BLUE_GREEN,
                [error(NGINX_REFUSED, DOWN, "connection_refused")], "ingress-nginx-controller-6d5f7-abcde",
                down=None)
    assert sdd.suspects(facts) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert sdd in behind.MODULES and behind.WEIGHTS[sdd.CHECK] == sdd.WEIGHT
