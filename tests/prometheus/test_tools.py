"""The Prometheus MCP tools against a real Debian Prometheus loaded with a generated incident.

Each call goes through the real MCP client and server in-process, with Vigil's guard middleware
and the shipped default policy, exactly as Claude Code's calls would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from guardrails.pipeline import default_policy_path
from mcp_servers.common.compact import estimate_tokens
from mcp_servers.common.server import ServerGuard
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus
from mcp_servers.prometheus.server import build_server
from tests.prometheus.conftest import END, ERRORING_POD, INCIDENT, LEAKING_POD, PODS, START

pytestmark = pytest.mark.anyio

TOOLS = {"prom_query", "prom_query_range", "prom_labels", "prom_label_values", "prom_series", "prom_metadata",
         "prom_alerts", "prom_rules", "prom_targets"}


@pytest.fixture
async def client(prometheus: LocalPrometheus, tmp_path: Path) -> AsyncIterator[Client]:
    server = build_server(PromSettings(url=prometheus.url), ServerGuard.for_tests(tmp_path, "prometheus"))
    async with Client(server) as c:
        yield c


async def call(c: Client, name: str, **args: Any) -> tuple[str, bool]:
    result = await c.call_tool(name, args)
    text = "\n".join(getattr(item, "text", "") for item in result.content)
    return text, bool(result.is_error)


async def test_tools_are_listed_read_only_with_cost_class(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.description
    by_name = {t.name: t for t in tools}
    assert (by_name["prom_query_range"].meta or {}).get("vigil/cost_class") == "promql"
    assert "start" in by_name["prom_query_range"].input_schema["properties"]


async def test_range_query_names_the_leaking_pod_and_when_it_began(client: Client) -> None:
    text, error = await call(client, "prom_query_range", query="container_memory_working_set_bytes",
                             start=str(INCIDENT - 3600), end=str(END))
    assert not error, text
    table_rows = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert table_rows and f'pod="{LEAKING_POD}"' in table_rows[0]
    assert "ramp" in table_rows[0] and "rising" in table_rows[0]
    onset = re.search(r"from (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", table_rows[0])
    assert onset is not None
    assert "2026-05-01T14:5" in onset.group(1) or "2026-05-01T15:0" in onset.group(1)
    assert "Baseline: 2026-05-01T12:00:00Z to 2026-05-01T13:59:30Z" in text
    assert 'Common labels: container_memory_working_set_bytes, container="app", namespace="shop"' in text
    assert "more series not shown" in text and f"of {PODS} series" in text
    assert estimate_tokens(text) <= 2000


async def test_range_query_error_rate_step_is_ranked_first_against_baseline(client: Client) -> None:
    text, error = await call(client, "prom_query_range",
                             query='sum by (pod) (rate(http_requests_total{code="500"}[5m]))',
                             start=str(INCIDENT - 1800), end=str(END), top_k=2)
    assert not error, text
    first = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert f'pod="{ERRORING_POD}"' in first
    assert "step " in first and "2026-05-01T15:0" in first
    vs = re.search(r"\| x(\d+) vs ", first)
    assert vs is not None and int(vs.group(1)) > 50
    assert f"{PODS - 2} more series not shown" in text


async def test_auto_step_and_explicit_step_and_raw_points_within_budget(client: Client) -> None:
    text, _ = await call(client, "prom_query_range", query=f'container_memory_working_set_bytes{{pod="{LEAKING_POD}"}}',
                         start=str(START), end=str(END), baseline="none")
    assert "step 1m:" in text  # 4h / 240 points -> 60s
    assert "Baseline: none asked." in text
    text, _ = await call(client, "prom_query_range", query=f'container_memory_working_set_bytes{{pod="{LEAKING_POD}"}}',
                         start=str(END - 600), end=str(END), step="30s", raw_points=True, budget_tokens=600)
    assert "step 30s:" in text and "21 points" in text
    assert "Raw points (time UTC=value):" in text
    assert "15:50:00=" in text and "16:00:00=" in text
    assert estimate_tokens(text) <= 600


async def test_baseline_without_data_says_so(client: Client) -> None:
    text, error = await call(client, "prom_query_range", query="container_memory_working_set_bytes",
                             start=str(START), end=str(START + 1800))
    assert not error
    assert "no data in the 30m before the window, so no baseline" in text


async def test_instant_query_at_incident_time_and_empty_at_now(client: Client) -> None:
    text, error = await call(client, "prom_query", query="sum by (pod) (rate(http_requests_total[5m]))",
                             time=str(END))
    assert not error
    lines = [line for line in text.splitlines() if line.startswith("| {pod=")]
    assert len(lines) == PODS and ERRORING_POD in lines[0]  # largest value first
    text, _ = await call(client, "prom_query", query="container_memory_working_set_bytes")
    assert "empty result" in text and "pass `time` inside the incident" in text
    text, _ = await call(client, "prom_query", query="scalar(count(container_memory_working_set_bytes))",
                         time=str(END))
    assert "12 (scalar)" in text


async def test_promql_errors_are_verbatim_with_position(client: Client) -> None:
    text, error = await call(client, "prom_query", query="sum(rate(http_requests_total[5m])", time=str(END))
    assert error
    assert "1:34: parse error: unclosed left parenthesis" in text
    assert "Traceback" not in text
    text, error = await call(client, "prom_query_range", query="rate(http_requests_total)",
                             start=str(INCIDENT), end=str(END))
    assert error and "expected type range vector" in text and "1:6" in text
    text, error = await call(client, "prom_query_range", query="up", start=str(END), end=str(START))
    assert error and "is not before end" in text


async def test_discovery_pages_and_filters(client: Client) -> None:
    text, _ = await call(client, "prom_label_values", label="__name__")
    assert "2 values of __name__" in text and "http_requests_total" in text
    text, _ = await call(client, "prom_label_values", label="pod", limit=5)
    assert f"{PODS} values of pod; showing 1-5" in text
    assert "More: call prom_label_values with offset=5." in text
    text, _ = await call(client, "prom_label_values", label="pod", limit=5, offset=10)
    assert "showing 11-12" in text and "More:" not in text
    text, _ = await call(client, "prom_label_values", label="pod", contains="-1")
    assert "3 values of pod containing '-1'" in text  # checkout-1, -10, -11
    text, _ = await call(client, "prom_labels", match="http_requests_total")
    assert "code" in text and "container" not in text
    text, _ = await call(client, "prom_series", match=f'http_requests_total{{pod="{ERRORING_POD}"}}',
                         start=str(START), end=str(END))
    assert "2 series match" in text and "| http_requests_total | 200 | shop |" in text
    text, _ = await call(client, "prom_series", match="nope_total", start=str(START), end=str(END))
    assert "no series match nope_total" in text


async def test_cost_guard_from_the_policy(prometheus: LocalPrometheus, tmp_path: Path) -> None:
    policy = yaml.safe_load(default_policy_path().read_text())
    policy["limits"][0]["promql"] = {"max_range": "2h", "min_step": "30s", "max_series": 5}
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy))
    guard = ServerGuard.from_files(policy_file, tmp_path / "state", "prometheus")
    async with Client(build_server(PromSettings(url=prometheus.url), guard)) as c:
        text, error = await call(c, "prom_query_range", query="up", start=str(START), end=str(END))
        assert error and "range 4h is over the maximum of 2h" in text and "limits.default.promql.max_range" in text
        text, error = await call(c, "prom_query_range", query="up", start=str(INCIDENT), end=str(END), step="15s")
        assert error and "step 15s is below the minimum of 30s" in text
        text, error = await call(c, "prom_query_range", query="container_memory_working_set_bytes",
                                 start=str(INCIDENT), end=str(END))
        assert error and f"returned {PODS} series, over the maximum of 5" in text and "sum by" in text
        text, error = await call(c, "prom_query", query="container_memory_working_set_bytes", time=str(END))
        assert error and "over the maximum of 5" in text
        text, error = await call(c, "prom_query_range", query="sum(container_memory_working_set_bytes)",
                                 start=str(INCIDENT), end=str(END))
        assert not error and "1 series" in text


async def test_limits_follow_the_caller_named_in_meta(prometheus: LocalPrometheus, tmp_path: Path) -> None:
    """The series ceiling is judged in the tool, so the tool must find the caller as the guard did."""
    policy = yaml.safe_load(default_policy_path().read_text())
    tight = {**policy["limits"][0], "id": "tight", "actors": ["tight-bot"],
             "promql": {"max_range": "7d", "min_step": "15s", "max_series": 2}}
    policy["limits"].insert(0, tight)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy))
    guard = ServerGuard.from_files(policy_file, tmp_path / "state", "prometheus")
    args = {"query": "container_memory_working_set_bytes", "time": str(END)}
    async with Client(build_server(PromSettings(url=prometheus.url), guard)) as c:
        tight_result = await c.call_tool("prom_query", args, meta={"vigil/actor": "tight-bot"})  # type: ignore[arg-type]
        assert tight_result.is_error
        assert "over the maximum of 2 (limits 'tight')" in tight_result.content[0].text  # type: ignore[union-attr]
        default_result = await c.call_tool("prom_query", args)
        assert not default_result.is_error
