"""Data moved without a throttle saturating a node the question names (issue #12, round 22 class: data movement
without a throttle).

Written here, not taken from the held-out bundles. Shapes: a hand-run Kafka reassignment Job (`--execute`, no
`--throttle`) whose target broker runs on the node, its receive rate jumping; an rsync CronJob run without
`--bwlimit` whose own pod runs on the node, its transmit rate jumping. Negative twins: the same reassignment with
`--throttle`, a node whose rate did not move, a mover linked to nothing on the node, a question naming no node.
The tool hub is a recorded fake answering with Kubernetes' and Prometheus' shapes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import behind, data_movement
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
START = AT - timedelta(minutes=9)
NODE = "ip-10-0-3-17.eu-west-1.compute.internal"
OTHER_NODE = "ip-10-0-1-4.eu-west-1.compute.internal"
OTHER_NODE = "ip-10-0-1-4.eu-west-1.compute.internal"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Hub(RecordingHub):
    """Nodes, the node's pods, one Job's YAML, and node-exporter rates now and before (by `offset`)."""

    def __init__(self, job: dict[str, Any], pods: list[str], rates: dict[str, tuple[float, float]]) -> None:
        super().__init__(objects={}, lists={"Pod": [{"name": p} for p in pods]},
                         ids={"k8s_nodes": "E10", "k8s_list": "E11", "k8s_get": "E12"}, answers={
                             "k8s_nodes": outcome(True, {"nodes": [{"name": NODE}, {"name": OTHER_NODE}]}, "", "E10"),
                             "k8s_get": outcome(True, {}, yaml.safe_dump(job), "E12")})
        self.rates = rates

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        direction = "receive" if "receive" in call.args["query"] else "transmit"
        before, now = self.rates[direction]
        value = before if "offset" in call.args["query"] else now
        return outcome(True, {"samples": [{"labels": {"instance": NODE, "device": "eth0"}, "value": value},
                                          {"labels": {"instance": OTHER_NODE, "device": "eth0"}, "value": 9e6}]},
                       "", f"E-{direction}")


def _job(kind: str, name: str, args: list[str]) -> dict[str, Any]:
    spec = {"template": {"spec": {"containers": [{"name": "main", "image": "tools:1", "args": args}]}}}
    return {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": name, "namespace": "data"},
            "spec": {"jobTemplate": {"spec": spec}} if kind == "CronJob" else spec}


def _facts(kind: str, name: str, summary: str) -> Facts:
    change = {"at": _iso(START), "type": "job", "object": {"kind": kind, "namespace": "data", "name": name},
              "summary": summary, "diff": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


REASSIGN = ["bin/kafka-reassign-partitions.sh", "--bootstrap-server", "logs-kafka-bootstrap:9092",
            "--reassignment-json-file", "/plan/move.json", "--execute"]
REASSIGN_LINE = ("Job data/move-partitions started, running (runs bin/kafka-reassign-partitions.sh --bootstrap-server "
                 "logs-kafka-bootstrap:9092 --reassignment-json-file /pl")
POD_ON_NODE = ["logs-kafka-2", "node-exporter-x2k4p", "web-6f9c8d7b5-q8w7z"]


def _run(facts: Facts, hub: Hub, names: list[str] | None = None) -> list[data_movement.Moved]:
    asyncio.run(data_movement.read(Subject(names=names if names is not None else [NODE.split(".")[0]]), facts, hub,
                                   _iso(AT)))
    return data_movement.found(facts)


def test_an_unthrottled_kafka_reassignment_onto_the_nodes_broker_is_blamed() -> None:
    hub = Hub(_job("Job", "move-partitions", REASSIGN), POD_ON_NODE, {"receive": (30e6, 1.1e9), "transmit": (3e7, 4e7)})
    facts = _facts("Job", "move-partitions", REASSIGN_LINE)
    [hit] = _run(facts, hub)
    assert hit.direction == "receive" and hit.via == "logs-kafka-2" and hit.mover.missing == "--throttle"
    message = data_movement.finding(hit, AT)["message"][:400]
    assert message.startswith("Job data/move-partitions runs a Kafka partition reassignment with no --throttle")
    assert "under-replicated" in message and "from 30 MB/s to 1.1 GB/s" in message
    [(ref, _, _, _)] = [s for s in behind.suspects(facts) if s[1]["check"] == data_movement.CHECK]
    assert ref == Ref("Job", "data", "move-partitions")


def test_an_rsync_cronjob_without_bwlimit_running_on_the_node_is_blamed() -> None:
    args = ["rsync", "-a", "/export/", "rsync://backup-store.backup.svc/export/"]
    hub = Hub(_job("CronJob", "export-sync", args), ["export-sync-29410020-bcdfg", "web-6f9c8d7b5-q8w7z"],
              {"receive": (2e7, 2e7), "transmit": (1e7, 9e8)})
    [hit] = _run(_facts("CronJob", "export-sync", "CronJob data/export-sync run started (runs rsync -a /export/)"),
                 hub)
    assert hit.direction == "transmit" and hit.mover.missing == "--bwlimit"


def test_a_throttled_reassignment_is_not_blamed() -> None:
    hub = Hub(_job("Job", "move-partitions", [*REASSIGN, "--throttle", "50000000"]), POD_ON_NODE,
              {"receive": (30e6, 1.1e9), "transmit": (3e7, 4e7)})
    assert _run(_facts("Job", "move-partitions", REASSIGN_LINE), hub) == []


def test_a_node_whose_rate_did_not_move_is_not_blamed() -> None:
    hub = Hub(_job("Job", "move-partitions", REASSIGN), POD_ON_NODE, {"receive": (30e6, 60e6), "transmit": (3e7, 4e7)})
    assert _run(_facts("Job", "move-partitions", REASSIGN_LINE), hub) == []


def test_a_mover_linked_to_nothing_on_the_node_is_not_blamed() -> None:
    hub = Hub(_job("Job", "move-partitions", REASSIGN), ["web-6f9c8d7b5-q8w7z"],
              {"receive": (30e6, 1.1e9), "transmit": (3e7, 4e7)})
    assert _run(_facts("Job", "move-partitions", REASSIGN_LINE), hub) == []


def test_a_question_naming_no_node_reads_nothing() -> None:
    hub = Hub(_job("Job", "move-partitions", REASSIGN), POD_ON_NODE, {"receive": (30e6, 1.1e9), "transmit": (3e7, 4e7)})
    assert _run(_facts("Job", "move-partitions", REASSIGN_LINE), hub, names=["checkout"]) == [] and not hub.calls
