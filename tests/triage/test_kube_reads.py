"""kube_reads.pod_of: the one way a class finds a workload's pod to read its logs from; pods_at_ends: its oldest and
newest pods, each read once."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage.facts import Ref
from agent.triage.kube_reads import pod_of, pods_at_ends


def _lister(rows: Any, ok: bool = True) -> tuple[Any, list[tuple[str, dict[str, Any], str]]]:
    asked: list[tuple[str, dict[str, Any], str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments, step))
        return ToolOutcome("E1", tool, arguments, ok, "", data={"rows": rows} if rows is not None else None)

    return call, asked


def test_pod_of_picks_the_workloads_own_pod_not_a_prefix_sibling() -> None:
    call, asked = _lister([{"name": "api-gateway-7d9f8b6c5d-x2k4q"}, {"name": "api-7d9f8b6c5d-zq2rt"},
                           {"name": "api-7d9f8b6c5d-bcdfg"}])
    assert asyncio.run(pod_of(call, Ref("Deployment", "shop", "api"), "step-pods")) == "api-7d9f8b6c5d-zq2rt"
    assert asked == [("k8s_list", {"kind": "Pod", "namespace": "shop"}, "step-pods")]


def test_pod_of_reads_a_statefulset_member_by_ordinal() -> None:
    call, _ = _lister([{"name": "cassandra-2"}, "not a row"])
    assert asyncio.run(pod_of(call, Ref("StatefulSet", "db", "cassandra"), "s")) == "cassandra-2"


def test_pod_of_is_empty_when_the_list_fails_or_shows_none() -> None:
    failed, _ = _lister([{"name": "api-7d9f8b6c5d-zq2rt"}], ok=False)
    assert asyncio.run(pod_of(failed, Ref("Deployment", "shop", "api"), "s")) == ""
    nothing, _ = _lister(None)
    assert asyncio.run(pod_of(nothing, Ref("Deployment", "shop", "api"), "s")) == ""
    others, _ = _lister([{"name": "web-7d9f8b6c5d-zq2rt"}])
    assert asyncio.run(pod_of(others, Ref("Deployment", "shop", "api"), "s")) == ""


def test_pod_of_running_skips_a_pod_that_is_not_running() -> None:
    rows = [{"name": "dex-5d6f7c8b9-x7w8z", "status": "CrashLoopBackOff"}, {"name": "dex-5d6f7c8b9-k2x9p"},
            {"name": "dex-5d6f7c8b9-bcdfg", "status": "Running"}]
    call, _ = _lister(rows)
    assert asyncio.run(pod_of(call, Ref("Deployment", "auth", "dex"), "s", running=True)) == "dex-5d6f7c8b9-k2x9p"
    assert asyncio.run(pod_of(call, Ref("Deployment", "auth", "dex"), "s")) == "dex-5d6f7c8b9-x7w8z"
    failing, _ = _lister([rows[0]])
    assert asyncio.run(pod_of(failing, Ref("Deployment", "auth", "dex"), "s", running=True)) == ""


def test_pods_at_ends_reads_the_oldest_and_newest_pods_once_each_in_creation_order() -> None:
    rows = [{"name": f"api-7d9f8b6c5d-{c}", "created": f"2026-10-0{i}T00:00:00Z"}
            for i, c in ((3, "dddd4"), (1, "bbbbx"), (5, "gggg6"), (2, "cccc2"), (4, "ffff5"))]
    rows.append({"name": "api-gateway-7d9f8b6c5d-x2k4q", "created": "2026-10-09T00:00:00Z"})
    asked: list[tuple[str, dict[str, Any], str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments, step))
        if tool == "k8s_list":
            return ToolOutcome("L1", tool, arguments, True, "", data={"rows": rows})
        text = f"kind: Pod\nmetadata: {{name: {arguments['name']}}}"
        return ToolOutcome("G1", tool, arguments, True, "", full_text=text)

    api = Ref("Deployment", "shop", "api")
    got = asyncio.run(pods_at_ends(call, api, 1, 2, "s"))
    assert [p["metadata"]["name"][-5:] for p, _ in got] == ["bbbbx", "ffff5", "gggg6"]
    assert got[0][0]["metadata"]["creationTimestamp"] == "2026-10-01T00:00:00Z"  # the listed creation
    assert [step for _, _, step in asked] == ["s-pods-api", "s-pod-api-7d9f8b6c5d-bbbbx",
                                               "s-pod-api-7d9f8b6c5d-ffff5", "s-pod-api-7d9f8b6c5d-gggg6"]
    asked.clear()
    rows[:] = rows[:2]  # fewer pods than both ends ask for: each read once
    assert [p["metadata"]["name"][-5:] for p, _ in asyncio.run(pods_at_ends(call, api, 2, 2, "s"))] == \
        ["bbbbx", "dddd4"]
    assert len(asked) == 3
