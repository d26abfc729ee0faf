"""An unthrottled bulk row copy inside a database saturating the disk of the node its server runs on.

Written here, not taken from any bundle. Shapes: a gh-ost Job (the tool's image, so its entrypoint is `gh-ost`) with
an empty `--max-load=` copying into a MySQL server whose pod runs on the named node; a pt-archiver Job with no
`--sleep` moving rows out of a MariaDB server on the node. Twins: the same gh-ost run with a `--max-load` threshold,
the same pt-archiver run with `--sleep`, a disk whose busy share did not move, and a server that runs on another node.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from agent.toolhub import ToolOutcome
from agent.triage import data_movement
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 8, 11, 3, 0, tzinfo=UTC)
START = AT - timedelta(minutes=40)
NODE = "aks-pool2-31415926-vmss000004"
OTHER = "aks-pool2-31415926-vmss000001"


class Hub(RecordingHub):
    """Nodes, the node's pods, the Job's YAML, and the node's disk busy share now and before (by `offset`)."""

    def __init__(self, job: dict[str, Any], pods: list[str], busy: tuple[float, float]) -> None:
        super().__init__(objects={}, lists={"Pod": [{"name": p} for p in pods]},
                         ids={"k8s_nodes": "E10", "k8s_list": "E11", "k8s_get": "E12"}, answers={
                             "k8s_nodes": outcome(True, {"nodes": [{"name": NODE}, {"name": OTHER}]}, "", "E10"),
                             "k8s_get": outcome(True, {}, yaml.safe_dump(job), "E12")})
        self.busy = busy

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        if "node_disk_io_time_seconds_total" not in call.args["query"]:
            return outcome(True, {"samples": []}, "", "E-net")
        before, now = self.busy
        value = before if "offset" in call.args["query"] else now
        return outcome(True, {"samples": [{"labels": {"node": NODE, "device": "sdc"}, "value": value},
                                          {"labels": {"node": NODE, "device": "sda"}, "value": 0.05},
                                          {"labels": {"node": OTHER, "device": "sdc"}, "value": 0.99}]}, "", "E-disk")


def _job(name: str, image: str, args: list[str]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "catalog"},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image, "args": args}]}}}}


def _facts(name: str, summary: str) -> Facts:
    change = {"at": START.isoformat().replace("+00:00", "Z"), "type": "job",
              "object": {"kind": "Job", "namespace": "catalog", "name": name}, "summary": summary, "diff": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _ghost(load: str) -> list[str]:
    return ["--host=products-mysql.db.svc", "--database=catalog", "--table=products",
            "--alter=ADD COLUMN gtin CHAR(14)", "--chunk-size=50000", load, "--allow-on-master", "--execute"]


def _archiver(extra: list[str]) -> list[str]:
    return ["pt-archiver", "--source", "h=orders-mariadb,D=shop,t=events",
            "--dest", "h=orders-mariadb,D=archive,t=events", "--where",
            "created_at < NOW() - INTERVAL 90 DAY", "--limit", "10000", *extra]


SERVER_PODS = ["products-mysql-0", "orders-mariadb-0", "fluent-bit-k2x9p"]


def _run(facts: Facts, hub: Hub) -> list[data_movement.Moved]:
    asyncio.run(data_movement.read(Subject(names=[NODE]), facts, hub, AT.isoformat().replace("+00:00", "Z")))
    return data_movement.found(facts)


def test_a_gh_ost_copy_with_an_empty_max_load_on_the_nodes_database_is_blamed() -> None:
    job = _job("ghost-products-gtin", "ghcr.io/github/gh-ost:1.1.6", _ghost("--max-load="))
    [hit] = _run(_facts("ghost-products-gtin", "Job catalog/ghost-products-gtin created (runs gh-ost --host=products"),
                 Hub(job, SERVER_PODS, (0.12, 0.97)))
    assert hit.via == "products-mysql-0" and hit.direction == "disk"
    message = data_movement.finding(hit, AT)["message"]
    assert message.startswith("Job catalog/ghost-products-gtin runs a gh-ost online schema change with no --max-load")
    assert "from 12% to 97% busy" in message and "--chunk-size=50000 --max-load=" in message


def test_a_pt_archiver_without_sleep_is_blamed() -> None:
    job = _job("archive-events", "percona/percona-toolkit:3.6", _archiver([]))
    [hit] = _run(_facts("archive-events", "Job catalog/archive-events created (runs pt-archiver --source h=orders"),
                 Hub(job, SERVER_PODS, (0.2, 0.9)))
    assert hit.via == "orders-mariadb-0" and hit.mover.missing == "--sleep throttle"


@pytest.mark.parametrize("job", [
    _job("ghost-products-gtin", "ghcr.io/github/gh-ost:1.1.6", _ghost("--max-load=Threads_running=25")),
    _job("archive-events", "percona/percona-toolkit:3.6", _archiver(["--sleep", "1"])),
])
def test_the_same_copies_with_their_throttle_are_not_blamed(job: dict[str, Any]) -> None:
    name = job["metadata"]["name"]
    assert _run(_facts(name, f"Job catalog/{name} created"),
                Hub(job, SERVER_PODS, (0.12, 0.97))) == []


def test_a_disk_that_did_not_move_or_a_server_elsewhere_is_not_blamed() -> None:
    job = _job("ghost-products-gtin", "ghcr.io/github/gh-ost:1.1.6", _ghost("--max-load="))
    summary = "Job catalog/ghost-products-gtin created (runs gh-ost --host=products"
    assert _run(_facts("ghost-products-gtin", summary), Hub(job, SERVER_PODS, (0.6, 0.9))) == []
    assert _run(_facts("ghost-products-gtin", summary), Hub(job, ["fluent-bit-k2x9p"], (0.12, 0.97))) == []
