"""The Loki MCP tools through the real MCP client, guard middleware and a real HTTP round trip.

Loki itself cannot be installed here: the server under `loki_api.py` answers in the format of
Loki's HTTP API documentation (see its docstring), over real HTTP on loopback.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client
from pydantic import SecretStr

from guardrails.pipeline import default_policy_path
from mcp_servers.common.compact import estimate_tokens
from mcp_servers.common.http_auth import HttpAuth
from mcp_servers.common.server import ServerGuard
from mcp_servers.loki.client import LokiSettings
from mcp_servers.loki.server import build_server
from tests.loki.conftest import BAD_POD, END, INCIDENT, NS, START
from tests.loki.loki_api import Fault, LokiState

pytestmark = pytest.mark.anyio

SELECTOR = '{namespace="shop", app="checkout"}'


@pytest.fixture
async def client(loki_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    server = build_server(LokiSettings(url=loki_url), ServerGuard.for_tests(tmp_path, "loki"))
    async with Client(server) as c:
        yield c


async def call(c: Client, name: str, **args: Any) -> tuple[str, bool]:
    result = await c.call_tool(name, args)
    return "\n".join(getattr(i, "text", "") for i in result.content), bool(result.is_error)


async def test_tools_are_read_only(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"loki_query", "loki_labels", "loki_label_values", "loki_stats"}
    assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
    assert (tools["loki_query"].meta or {}).get("vigil/cost_class") == "logql"


async def test_new_error_template_comes_first_with_counts_and_first_seen(client: Client, state: LokiState) -> None:
    text, error = await call(client, "loki_query", query=SELECTOR, start=str(INCIDENT), end=str(END), limit=5000)
    assert not error, text
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    first = rows[0]
    assert "| NEW |" in first and "payment failed" in first and "connection refused" in first
    assert "| 360 |" in first  # one per 10 s for an hour
    assert "2026-05-01T14:00:00Z" in first  # first seen at the incident
    assert f'pod="{BAD_POD}"' in first
    assert "error" in first
    # the 500s of the bad pod are their own template, new too, not folded into the 200s
    five_xx = [r for r in rows if "5xx" in r]
    assert five_xx and "| NEW |" in five_xx[0] and "| 360 |" in five_xx[0]
    old = [r for r in rows if "cache hit" in r]
    assert old and "NEW" not in old[0]
    assert "Complete: every line in the window was read" in text
    assert "2 templates are new since the baseline" in text
    assert f"{{pod=\"{BAD_POD}\"}}: 1080 lines, 720 of them in new templates" in text
    assert "Baseline: the same query over 2026-05-01T13:00:00Z to 2026-05-01T14:00:00Z" in text
    assert estimate_tokens(text) <= 2000
    # the tool read both windows with nanosecond times
    ranges = [r["params"] for r in state.requests if r["path"] == "/loki/api/v1/query_range"]
    assert {int(p["start"]) for p in ranges} == {INCIDENT * NS, (INCIDENT - 3600) * NS}


async def test_truncation_is_reported(client: Client) -> None:
    text, error = await call(client, "loki_query", query=SELECTOR, start=str(INCIDENT), end=str(END), limit=100,
                             baseline="none")
    assert not error
    assert "100 lines" in text
    assert "TRUNCATED: Loki stopped at the limit of 100 lines, so only the newest part" in text
    assert "Baseline: none asked." in text
    text, _ = await call(client, "loki_query", query=SELECTOR, start=str(INCIDENT), end=str(END), limit=100,
                         direction="forward", baseline="none")
    assert "only the oldest part" in text


async def test_line_filter_and_empty_results(client: Client) -> None:
    text, _ = await call(client, "loki_query", query=SELECTOR + ' |= "payment"', start=str(START),
                         end=str(INCIDENT))
    assert "0 lines" in text and "No lines matched" in text


async def test_metric_queries_are_summarised_like_promql(client: Client, state: LokiState) -> None:
    query = f'sum by (pod) (count_over_time({SELECTOR} |= "error" [1m]))'
    series = []
    for i in range(3):
        pod = f"checkout-{i}"
        values = [[t, "6" if pod == BAD_POD and t >= INCIDENT else "0"] for t in range(INCIDENT - 3600, END, 60)]
        series.append({"metric": {"pod": pod}, "values": values})
    state.matrix[query] = {"resultType": "matrix", "result": series}
    text, error = await call(client, "loki_query", query=query, start=str(INCIDENT - 3600), end=str(END),
                             baseline="none")
    assert not error, text
    first = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert f'pod="{BAD_POD}"' in first and "step 0->6 from 2026-05-01T14:00:00Z" in first


async def test_labels_values_and_stats(client: Client) -> None:
    text, _ = await call(client, "loki_labels", start=str(START), end=str(END))
    assert "3 label names" in text and "app, namespace, pod" in text
    text, _ = await call(client, "loki_label_values", label="pod", query=SELECTOR, start=str(START), end=str(END),
                         limit=2)
    assert "3 values of pod; showing 1-2" in text and "offset=2" in text
    text, _ = await call(client, "loki_stats", query=SELECTOR, start=str(INCIDENT), end=str(END))
    assert "3 streams" in text and f"{3 * 360 * 2 + 360} lines" in text


async def test_cost_guard_selector_range_and_limit(loki_url: str, tmp_path: Path) -> None:
    policy = yaml.safe_load(default_policy_path().read_text())
    policy["limits"][0]["logql"] = {"max_range": "2h", "max_limit": 500}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    guard = ServerGuard.from_files(path, tmp_path / "state", "loki")
    async with Client(build_server(LokiSettings(url=loki_url), guard)) as c:
        text, error = await call(c, "loki_query", query='{app=~".*"}', since="10m", limit=100)
        assert error and "matches every stream" in text and "loki_label_values" in text
        text, error = await call(c, "loki_query", query='{namespace!="x"} |= "a"', since="10m", limit=100)
        assert error and "matches every stream" in text
        text, error = await call(c, "loki_query", query=SELECTOR, start=str(START), end=str(END), limit=100)
        assert error and "range 3h is over the maximum of 2h" in text
        text, error = await call(c, "loki_query", query=SELECTOR, since="1h", limit=1000)
        assert error and "limit 1000 is over the maximum of 500" in text
        text, error = await call(c, "loki_query", query=SELECTOR, end=str(END), limit=1000, since="1h")
        assert error
        # the tool's own default limit (1000) is over this policy's 500: refused in the tool too
        text, error = await call(c, "loki_query", query=SELECTOR, end=str(END), since="1h")
        assert error and "limit 1000 is over the maximum 500" in text


async def test_faults_429_5xx_timeout_and_down(state: LokiState, loki_url: str, tmp_path: Path) -> None:
    guard = ServerGuard.for_tests(tmp_path, "loki")
    async with Client(build_server(LokiSettings(url=loki_url, timeout_seconds=0.5), guard)) as c:
        state.fault = Fault(429, "too many outstanding requests", {"Retry-After": "7"})
        text, error = await call(c, "loki_query", query=SELECTOR, end=str(END))
        assert error and "rate limiting" in text and "retry after 7s" in text and "Traceback" not in text
        state.fault = Fault(502, "upstream connect error")
        text, error = await call(c, "loki_labels")
        assert error and "HTTP 502 (upstream connect error)" in text and "retry shortly" in text
        state.fault = Fault(400, "parse error at line 1, col 12: syntax error: unexpected IDENTIFIER")
        text, error = await call(c, "loki_query", query=SELECTOR + " |= bad", end=str(END))
        assert error and "parse error at line 1, col 12" in text
        state.fault = Fault(200, delay=1.5)
        text, error = await call(c, "loki_stats", query=SELECTOR)
        assert error and "did not answer within 0.5s" in text
    state.fault = None
    async with Client(build_server(LokiSettings(url="http://127.0.0.1:9"), guard)) as c:
        text, error = await call(c, "loki_labels")
        assert error and "is not reachable" in text and "VIGIL_LOKI_URL" in text


async def test_auth_headers_reach_loki(state: LokiState, loki_url: str, tmp_path: Path) -> None:
    auth = HttpAuth(bearer_token=SecretStr("s3cr3t-token"), headers={"X-Scope-OrgID": "team-a"})
    guard = ServerGuard.for_tests(tmp_path, "loki")
    async with Client(build_server(LokiSettings(url=loki_url, auth=auth), guard)) as c:
        await call(c, "loki_labels")
    headers = state.requests[-1]["headers"]
    assert headers["Authorization"] == "Bearer s3cr3t-token"
    assert headers["X-Scope-OrgID"] == "team-a"
    basic = HttpAuth(username="vigil", password=SecretStr("pw"))
    async with Client(build_server(LokiSettings(url=loki_url, auth=basic), guard)) as c:
        await call(c, "loki_labels")
    assert state.requests[-1]["headers"]["Authorization"].startswith("Basic ")
