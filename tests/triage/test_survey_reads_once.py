"""Within one survey an identical read is made once: later steps that want it get the first outcome.

A real ToolHub (the runtime's guardrail pipeline, Vigil's Kubernetes MCP server) over the replay API
server serving the bundled checkout-oom incident: every call below crosses the pipeline, the MCP
session and real HTTP, so `hub.outcomes` (what the report lists, one evidence id each) counts the reads
that were really made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.config import Config, KubernetesSettings
from agent.demo import bundle_incident
from agent.runtime import Runtime
from agent.server_builders import kubernetes
from agent.toolhub import ToolHub
from agent.triage import subject_of
from agent.triage.facts import Facts
from agent.triage.survey import SurveyReads, SurveyResult, read_key, survey
from guardrails.action import Actor
from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server

BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "checkout-oom"
AT = datetime(2026, 5, 1, 15, 30, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayHandle]:
    with replay_server(Bundle.load(BUNDLE), tmp_path_factory.mktemp("replay") / "kubeconfig") as handle:
        yield handle


@pytest.fixture
async def hub(replay: ReplayHandle, tmp_path: Path) -> AsyncIterator[ToolHub]:
    config = Config(state_dir=tmp_path / "state",
                    kubernetes=KubernetesSettings(kubeconfig=replay.kubeconfig, context=replay.context))
    runtime = Runtime.from_config(config)
    server = kubernetes(config, runtime.server_guard("kubernetes"))
    assert server is not None
    async with ToolHub(runtime.pipeline, Actor(name="agent", origin="agent"), "run_reads_once") as tool_hub:
        await tool_hub.connect("kubernetes", server)
        yield tool_hub


def _with_context(replay: ReplayHandle) -> Any:
    def add(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        arguments.setdefault("context", replay.context)  # as the investigator adds the incident's cluster
        return arguments

    return add


@pytest.mark.anyio
async def test_an_identical_read_is_made_once(hub: ToolHub, replay: ReplayHandle) -> None:
    result = SurveyResult(Facts(at=AT))
    reads = SurveyReads(hub, result, _with_context(replay))
    first = await reads.call("k8s_nodes", {}, "survey-node-tables-nodes")
    again = await reads.call("k8s_nodes", {}, "survey-node-conditions")
    assert first is not None and first.ok, first
    assert again is first, "the second step gets the first outcome, and so cites its evidence id"
    other = await reads.call("k8s_list", {"kind": "nodes"}, "survey-nodes-listed")  # other arguments: a new read
    missing = [await reads.call("k8s_logs", {"name": "no-such-pod", "namespace": "shop", "tail": 300}, f"logs-{i}")
               for i in range(2)]
    assert missing[0] is not None and not missing[0].ok and missing[1] is missing[0], "a failure is not asked again"
    assert [o.evidence_id for o in hub.outcomes] == [o.evidence_id for o in result.outcomes] \
        == [first.evidence_id, other.evidence_id if other else "", missing[0].evidence_id]
    assert first.step_id == "survey-node-tables-nodes", "listed once, under the step that asked first"


@pytest.mark.anyio
async def test_concurrent_identical_reads_share_one_call(hub: ToolHub, replay: ReplayHandle) -> None:
    result = SurveyResult(Facts(at=AT))
    reads = SurveyReads(hub, result, _with_context(replay))
    outcomes = await asyncio.gather(*(reads.call("k8s_list", {"kind": "customresourcedefinitions"}, step)
                                      for step in ("resolve-crds", "survey-scaling-crds", "survey-policies-crds")))
    assert outcomes[0] is not None and outcomes[0].ok, outcomes[0]
    assert outcomes[1] is outcomes[0] and outcomes[2] is outcomes[0]
    assert len(hub.outcomes) == 1 and result.outcomes == [outcomes[0]]
    assert await reads.call("k8s_not_connected", {}, "x") is None, "a tool that is not connected is not asked"


@pytest.mark.anyio
async def test_a_whole_survey_reads_nothing_twice(hub: ToolHub, replay: ReplayHandle) -> None:
    incident = bundle_incident(Bundle.load(BUNDLE))
    result = await survey(hub, subject_of(incident), incident.started_at, _with_context(replay))
    keys = [read_key(o.tool, o.arguments) for o in hub.outcomes]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert [o.evidence_id for o in result.outcomes] == [o.evidence_id for o in hub.outcomes]
    assert len(hub.outcomes) > 5, "the survey did read the cluster"
    assert result.facts.scan_id in {o.evidence_id for o in hub.outcomes}
