"""An undeclared numeric targetPort is a lead, unless a recent write just moved the Service's targetPort there.

A number reaches whatever listens on it, declared or not (containerPort is informational), so the scan reports
it as `info` and triage weighs it low. A write that set the Service's targetPort shortly before the incident is
what turns it back into the likely fault: the traffic was just sent to a port nothing declares.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage.facts import Facts, Ref
from agent.triage.rank import CHECK_WEIGHT, _port_weight, targetport_moved

AT = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
LEDGER = {"kind": "Service", "namespace": "pay", "name": "ledger"}


def _facts(minutes_before: int, diff: str) -> Facts:
    at = (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")
    return Facts(at=AT, changes={"changes": [{"at": at, "object": LEDGER, "type": "updated", "diff": [diff]}]})


def _undeclared() -> dict[str, object]:
    return {"check": "service.target_port", "reason": "TargetPortUndeclared", "severity": "info", "object": LEDGER}


def test_a_recent_targetport_write_makes_the_undeclared_number_a_fault() -> None:
    moved = targetport_moved(_facts(20, "spec.ports[0].targetPort 8080 -> 9090"))
    assert moved == {Ref("Service", "pay", "ledger")}
    assert _port_weight([_undeclared()], moved) == CHECK_WEIGHT["service.target_port"]


def test_an_old_write_or_one_to_another_field_leaves_it_a_lead() -> None:
    assert targetport_moved(_facts(60 * 8, "spec.ports[0].targetPort 8080 -> 9090")) == set()
    renamed = targetport_moved(_facts(20, "spec.ports[0].name grpc -> http"))
    assert renamed == set() and _port_weight([_undeclared()], renamed) == 0.0
    other = {Ref("Service", "pay", "ledger-admin")}
    assert _port_weight([_undeclared()], other) == 0.0
