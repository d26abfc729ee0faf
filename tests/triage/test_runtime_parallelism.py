"""A runtime's parallelism unsized from its CPU limit, and the CFS throttling that followed
(agent.triage.runtime_parallelism).

Written here, not taken from the held-out bundles. Shapes: a Go service's rollout dropping `GOMAXPROCS` (set from
`limits.cpu`) with its pods then throttled in most CFS periods; a Java StatefulSet whose `JAVA_TOOL_OPTIONS` gains
`-XX:-UseContainerSupport`; a JVM whose `-XX:ActiveProcessorCount` is raised. Negative twins: throttling already
high before the write, a rise hours after it, the count LOWERED (sized down to the limit), GOMAXPROCS set where it
was unset, the flag already present before, and a write with no throttling after. `read` is driven through a
recorded fake of the tool hub in the range tool's shape (each series' step, its time and the levels around it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import runtime_parallelism as rp
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 8, 19, 10, 40, tzinfo=UTC)
WRITE = AT - timedelta(minutes=70)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rollout(kind: str, ns: str, name: str, line: str, at: datetime = WRITE) -> dict[str, Any]:
    return {"at": _iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 9: {line}", "diff": [line], "revision": 9}


GO = _rollout("Deployment", "payments", "settle-api", "settle-api env GOMAXPROCS=<resourceFieldRef> -> unset")
JAVA = _rollout("StatefulSet", "search", "indexer",
                "indexer env JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75 -> -XX:MaxRAMPercentage=75 "
                "-XX:-UseContainerSupport")
APC = _rollout("Deployment", "orders", "order-api",
               "order-api args ['-XX:ActiveProcessorCount=2', '-jar', 'app.jar'] -> "
               "['-XX:ActiveProcessorCount=16', '-jar', 'app.jar']")


@dataclass
class Hub:
    """The tool hub: the workload (CPU limit 2) and the throttled-share series with one step."""

    before: float
    after: float
    rose: datetime

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool == "k8s_get":
            obj = {"kind": args["kind"], "metadata": {"name": args["name"], "namespace": args["namespace"]},
                   "spec": {"template": {"spec": {"containers": [
                       {"name": args["name"], "resources": {"limits": {"cpu": "2"}}}]}}}}
            text = yaml.safe_dump(obj)
            return outcome(True, {}, text, "E4")
        if tool == "prom_query_range":
            return outcome(True, {"series": [{"labels": {"pod": "x"}, "change": {
                "at": _iso(self.rose), "shape": "step", "before": self.before, "after": self.after}}]}, "", "E5")
        return None


def _found(change: dict[str, Any], hub: Hub) -> list[rp.Unsized]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    asyncio.run(rp.read(Subject(namespace=change["object"]["namespace"]), facts, hub, _iso(AT)))
    return rp.found(facts)


def test_go_service_losing_gomaxprocs_is_named_with_what_it_means() -> None:
    found = _found(GO, Hub(0.03, 0.71, WRITE + timedelta(minutes=4)))
    assert len(found) == 1
    message = rp.finding(found[0])["message"]
    assert message.startswith("Deployment payments/settle-api revision 9 unsized its Go runtime's parallelism")
    head = message[:400]
    assert "GOMAXPROCS" in head and "CPU limit of 2" in head and "CFS quota" in head and "71%" in head


def test_jvm_container_support_switched_off_is_named() -> None:
    found = _found(JAVA, Hub(0.05, 0.55, WRITE + timedelta(minutes=20)))
    assert [u.setting.runtime for u in found] == ["JVM"]
    assert "UseContainerSupport" in rp.finding(found[0])["message"]


def test_jvm_active_processor_count_raised_is_named() -> None:
    found = _found(APC, Hub(0.02, 0.4, WRITE + timedelta(minutes=2)))
    assert [u.target.name for u in found] == ["order-api"]


def test_throttling_already_high_before_the_write_is_not_named() -> None:
    assert _found(GO, Hub(0.5, 0.8, WRITE + timedelta(minutes=4))) == []


def test_throttling_rising_hours_after_the_write_is_not_named() -> None:
    assert _found(GO, Hub(0.03, 0.7, WRITE + timedelta(hours=5))) == []


def test_throttling_before_the_write_is_not_named() -> None:
    assert _found(GO, Hub(0.03, 0.7, WRITE - timedelta(minutes=40))) == []


def test_no_throttling_after_the_write_names_nothing() -> None:
    assert _found(GO, Hub(0.02, 0.08, WRITE + timedelta(minutes=4))) == []


def test_sizing_down_is_no_candidate() -> None:
    assert rp.unsizing("api env GOMAXPROCS=8 -> 2") is None
    assert rp.unsizing("api env GOMAXPROCS=unset -> 2") is None
    assert rp.unsizing("api env UV_THREADPOOL_SIZE=16 -> 4") is None
    assert rp.unsizing("api args ['-XX:ActiveProcessorCount=8'] -> ['-XX:ActiveProcessorCount=2']") is None
    assert rp.unsizing("api env JAVA_OPTS=-XX:-UseContainerSupport -> -XX:-UseContainerSupport -Xss1m") is None
    assert rp.unsizing("api env GOMAXPROCS=2 -> 8") is not None
    assert rp.unsizing("api env UV_THREADPOOL_SIZE=4 -> 64") is not None
    changed = _rollout("Deployment", "payments", "settle-api", "settle-api env GOMAXPROCS=4 -> 1")
    assert _found(changed, Hub(0.03, 0.7, WRITE + timedelta(minutes=4))) == []


# Other runtimes' own names for the same count: a PyTorch/numpy worker losing OMP_NUM_THREADS, a .NET API whose
# DOTNET_PROCESSOR_COUNT was raised, a tokio service's TOKIO_WORKER_THREADS raised. Twins: each sized down.
OMP = _rollout("Deployment", "ml", "embedder", "embedder env OMP_NUM_THREADS=2 -> unset")
DOTNET = _rollout("Deployment", "shop", "basket-api", "basket-api env DOTNET_PROCESSOR_COUNT=2 -> 32")


def test_openmp_threads_taken_away_is_named() -> None:
    found = _found(OMP, Hub(0.04, 0.62, WRITE + timedelta(minutes=6)))
    assert [u.setting.runtime for u in found] == ["OpenMP/BLAS"]
    assert "OMP_NUM_THREADS" in rp.finding(found[0])["message"][:400]


def test_dotnet_processor_count_raised_is_named() -> None:
    found = _found(DOTNET, Hub(0.02, 0.5, WRITE + timedelta(minutes=3)))
    assert [u.target.name for u in found] == ["basket-api"]
    assert rp.unsizing("edge env TOKIO_WORKER_THREADS=2 -> 64") is not None


def test_other_runtimes_sized_down_are_no_candidate() -> None:
    assert rp.unsizing("embedder env OMP_NUM_THREADS=unset -> 2") is None
    assert rp.unsizing("basket-api env DOTNET_PROCESSOR_COUNT=32 -> 2") is None
    assert rp.unsizing("edge env TOKIO_WORKER_THREADS=64 -> 2") is None
