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


# Round 43/44 class: a bulk object-store copy on the named node past its network allowance (issue #12). Shapes
# written here: a CronJob's scheduled `gcloud storage rsync` run found only by its pod on the node (no write in the
# timeline, node-exporter labelled by `node` with an unrelated instance address); an Indexed Job of the AWS CLI image
# (entrypoint `aws`, args `s3 sync`) whose ENA pps allowance counter rises. Twins: the run's pod on another node, a
# run started hours before, `s3.max_bandwidth` configured, allowance counters flat.

EXPORTER = "10.0.9.40:9100"


class NodeHub(RecordingHub):
    """Pods on the node (with namespaces), the cluster's Jobs, Job/CronJob YAML by name, and node-exporter series
    labelled `node=` (transmit rate, ENA allowance counters) now and 30 min or an offset before."""

    def __init__(self, objects: dict[str, dict[str, Any]], pods: list[tuple[str, str]], jobs: list[tuple[str, str]],
                 transmit: tuple[float, float], allowance: tuple[float, float] | None) -> None:
        super().__init__(objects=objects, lists={"Pod": [{"namespace": n, "name": p} for n, p in pods],
                                                 "Job": [{"namespace": n, "name": j} for n, j in jobs]},
                         ids={"k8s_nodes": "E10", "k8s_list": "E11", "k8s_get": "E12"}, answers={
                             "k8s_nodes": outcome(True, {"nodes": [{"name": NODE}, {"name": OTHER_NODE}]}, "", "E10")})
        self.transmit, self.allowance = transmit, allowance

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        query = call.args["query"]
        before = "offset" in query
        labels = {"instance": EXPORTER, "node": NODE, "device": "eth0"}
        if "allowance" in query:
            if self.allowance is None:
                return outcome(True, {"samples": []}, "", "E-allow")
            value = self.allowance[0] if before else self.allowance[1]
            return outcome(True, {"samples": [{"labels": {**labels, "__name__": "node_ethtool_pps_allowance_exceeded"},
                                               "value": value}]}, "", "E-allow")
        value = (self.transmit[0] if before else self.transmit[1]) if "transmit" in query else 4e6
        return outcome(True, {"samples": [{"labels": labels, "value": value},
                                          {"labels": {**labels, "node": OTHER_NODE}, "value": 9e6}]}, "", "E-rate")


def _batch(kind: str, name: str, container: dict[str, Any], *, started: datetime | None = None,
           cronjob: str = "", indexed: bool = False) -> dict[str, Any]:
    pod = {"spec": {"restartPolicy": "Never", "containers": [container]}}
    spec: dict[str, Any] = {"jobTemplate": {"spec": {"template": pod}}} if kind == "CronJob" else {"template": pod}
    if indexed:
        spec.update({"completionMode": "Indexed", "completions": 4, "parallelism": 4})
    meta: dict[str, Any] = {"name": name, "namespace": "archive"}
    if cronjob:
        meta["ownerReferences"] = [{"kind": "CronJob", "name": cronjob, "controller": True}]
    return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": spec,
            "status": {"startTime": _iso(started), "active": 1} if started else {}}


GCLOUD = {"name": "copy", "image": "gcr.io/google.com/cloudsdktool/google-cloud-cli:slim",
          "command": ["/bin/sh", "-c", "gcloud storage rsync --recursive /var/exports gs://exports-cold/daily"]}
RUN = "exports-cold-sync-29410560"


def _cron_run(started: datetime) -> dict[str, dict[str, Any]]:
    return {RUN: _batch("Job", RUN, GCLOUD, started=started, cronjob="exports-cold-sync"),
            "exports-cold-sync": _batch("CronJob", "exports-cold-sync", GCLOUD)}


def _node_run(facts: Facts, hub: RecordingHub) -> list[data_movement.Moved]:
    asyncio.run(data_movement.read(Subject(nodes=[NODE]), facts, hub, _iso(AT)))
    return data_movement.found(facts)


def test_a_scheduled_run_on_the_node_blames_its_cronjob_without_a_timeline_write() -> None:
    hub = NodeHub(_cron_run(AT - timedelta(minutes=14)), [("archive", f"{RUN}-k2v9q"), ("shop", "web-6f9c8d7b5-q8w7z")],
                  [("archive", RUN), ("archive", "older-run-29410000")], (5e6, 1.3e9), None)
    [hit] = _node_run(Facts(at=AT, changes={"changes": []}, changes_id="E2"), hub)
    assert hit.target == Ref("CronJob", "archive", "exports-cold-sync") and hit.mover.tool == "gcloud storage copy"
    assert hit.direction == "transmit" and hit.via == f"{RUN}-k2v9q" and hit.allowance == []
    message = data_movement.finding(hit, AT)["message"]
    assert message.startswith("CronJob archive/exports-cold-sync runs a gcloud storage copy with no bandwidth cap")
    assert "from 5 MB/s to 1.3 GB/s" in message and "allowance" not in message


def test_the_same_run_on_another_node_is_not_blamed() -> None:
    hub = NodeHub(_cron_run(AT - timedelta(minutes=14)), [("shop", "web-6f9c8d7b5-q8w7z")], [("archive", RUN)],
                  (5e6, 1.3e9), None)
    assert _node_run(Facts(at=AT, changes={"changes": []}, changes_id="E2"), hub) == []


def test_a_run_started_hours_before_is_not_blamed() -> None:
    hub = NodeHub(_cron_run(AT - timedelta(hours=5)), [("archive", f"{RUN}-k2v9q")], [("archive", RUN)],
                  (5e6, 1.3e9), None)
    assert _node_run(Facts(at=AT, changes={"changes": []}, changes_id="E2"), hub) == []


AWS = {"name": "upload", "image": "public.ecr.aws/aws-cli/aws-cli:2.17.0",
       "args": ["s3", "sync", "/mnt/scans", "s3://scan-archive/raw", "--only-show-errors"]}
AWS_PODS = [("archive", "scan-upload-0-x7k2p"), ("archive", "scan-upload-1-b9w4z"), ("billing", "ledger-0")]


def _aws_facts() -> Facts:
    change = {"at": _iso(AT - timedelta(minutes=20)), "type": "job", "summary": "Job archive/scan-upload started, "
              "running (runs s3 sync /mnt/scans s3://scan-archive/raw; image public.ecr.aws/aws-cli/aws-cli:2.17.0)",
              "object": {"kind": "Job", "namespace": "archive", "name": "scan-upload"}, "diff": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def test_an_indexed_aws_cli_sync_past_the_pps_allowance_is_blamed_with_the_counter() -> None:
    job = _batch("Job", "scan-upload", AWS, started=AT - timedelta(minutes=20), indexed=True)
    hub = NodeHub({"scan-upload": job}, AWS_PODS, [("archive", "scan-upload")], (2e6, 8e8), (120.0, 96000.0))
    [hit] = _node_run(_aws_facts(), hub)
    assert hit.target == Ref("Job", "archive", "scan-upload") and hit.mover.tool == "AWS CLI S3 copy"
    assert hit.allowance == ["pps_allowance_exceeded"] and hit.via == "scan-upload-0-x7k2p"
    assert "NIC allowance counters rose (pps_allowance_exceeded)" in data_movement.finding(hit, AT)["message"]


def test_an_aws_cli_sync_under_max_bandwidth_is_not_blamed() -> None:
    capped = {**AWS, "command": ["/bin/sh", "-c", "aws configure set default.s3.max_bandwidth 40MB/s && "
                                 "aws s3 sync /mnt/scans s3://scan-archive/raw"], "args": []}
    job = _batch("Job", "scan-upload", capped, started=AT - timedelta(minutes=20), indexed=True)
    hub = NodeHub({"scan-upload": job}, AWS_PODS, [("archive", "scan-upload")], (2e6, 8e8), (120.0, 96000.0))
    assert _node_run(_aws_facts(), hub) == []


def test_flat_allowance_counters_are_not_quoted() -> None:
    job = _batch("Job", "scan-upload", AWS, started=AT - timedelta(minutes=20), indexed=True)
    hub = NodeHub({"scan-upload": job}, AWS_PODS, [("archive", "scan-upload")], (2e6, 8e8), (120.0, 120.0))
    [hit] = _node_run(_aws_facts(), hub)
    assert hit.allowance == [] and "allowance" not in data_movement.finding(hit, AT)["message"]


def test_an_entrypoint_image_is_read_as_its_command() -> None:
    spec = {"template": {"spec": {"containers": [{"image": "rclone/rclone:1.68.2", "args": ["copy", "a:", "b:"]}]}}}
    assert data_movement.command_lines(spec) == ["rclone copy a: b: "]
    assert data_movement.unthrottled(data_movement.command_lines(spec)[0]).tool == "rclone copy"  # type: ignore[union-attr]
