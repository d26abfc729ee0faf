"""A node lifecycle controller's rollout that turned off its interruption handling before nodes vanished: a
termination handler DaemonSet whose spot draining switch went to false, a provisioner whose queue flag was dropped
(read through the hub's two-day timeline); and the twins (a rollout that dropped another setting, no node lost
since, the handling turned on rather than off, a node lost before the rollout)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind
from agent.triage import interruption_dropped as idr
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 9, 9, 11, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rollout(kind: str, ns: str, name: str, at: datetime, diff: list[str]) -> dict[str, Any]:
    return {"at": _iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 4", "diff": diff}


def _node_gone(name: str, at: datetime) -> dict[str, Any]:
    return {"at": _iso(at), "type": "deleted", "object": {"kind": "Node", "namespace": "", "name": name},
            "summary": f"Node {name}: RemovingNode x1, last: Removing Node {name} from Controller", "diff": []}


NTH = ("DaemonSet", "kube-system", "spot-termination-handler")
DRAINING_OFF = "handler env ENABLE_SPOT_INTERRUPTION_DRAINING='true' -> 'false'"


def test_termination_handler_whose_draining_went_off_is_named() -> None:
    changes = [_rollout(*NTH, AT - timedelta(hours=5), ["handler image v1.22.0 -> v1.23.1", DRAINING_OFF]),
               _node_gone("worker-spot-3", AT - timedelta(hours=1))]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    [found] = idr.found(facts)
    assert found.controller == Ref(*NTH) and found.setting == "ENABLE_SPOT_INTERRUPTION_DRAINING"
    assert found.nodes == ["worker-spot-3"]
    assert "interruption" in idr.finding(found)["message"]


def test_provisioner_queue_flag_dropped_is_read_from_the_two_day_timeline() -> None:
    rollout = _rollout("Deployment", "provisioning", "node-provisioner", AT - timedelta(hours=30),
                       ["controller arg --interruption-queue=prod-events -> unset"])
    history = {"window_start": _iso(AT - timedelta(hours=48)),
               "changes": [rollout, _node_gone("pool-b-7", AT - timedelta(hours=3))]}
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2")
    hub = RecordingHub(answers={"k8s_changes": outcome(True, history, "", "E5")})
    asyncio.run(idr.read(Subject(), facts, hub, _iso(AT)))
    [found] = idr.found(facts)
    assert found.controller == Ref("Deployment", "provisioning", "node-provisioner")
    assert found.setting == "--interruption-queue" and found.evidence == ["E5"]


def test_a_rollout_that_dropped_another_setting_is_not_named() -> None:
    changes = [_rollout(*NTH, AT - timedelta(hours=5), ["handler env LOG_LEVEL='debug' -> unset"]),
               _node_gone("worker-spot-3", AT - timedelta(hours=1))]
    assert idr.found(Facts(at=AT, changes={"changes": changes})) == []


def test_no_node_lost_since_is_not_named() -> None:
    changes = [_rollout(*NTH, AT - timedelta(hours=5), [DRAINING_OFF]),
               _node_gone("worker-spot-3", AT - timedelta(hours=6))]
    assert idr.found(Facts(at=AT, changes={"changes": changes})) == []


def test_handling_turned_on_is_not_named() -> None:
    changes = [_rollout(*NTH, AT - timedelta(hours=5),
                        ["handler env ENABLE_SPOT_INTERRUPTION_DRAINING (unset) -> 'true'"]),
               _node_gone("worker-spot-3", AT - timedelta(hours=1))]
    assert idr.found(Facts(at=AT, changes={"changes": changes})) == []


def test_registered_with_the_behind_links() -> None:
    assert idr in behind.MODULES and behind.WEIGHTS[idr.CHECK] == idr.WEIGHT
