"""kube_reads.pod_of: the one way a class finds a workload's pod to read its logs from."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage.facts import Ref
from agent.triage.kube_reads import pod_of


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
