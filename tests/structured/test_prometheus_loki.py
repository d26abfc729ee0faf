"""The Prometheus and Loki tools answer typed content (an MCP output schema) beside unchanged text.

Prometheus is the real Debian binary loaded with the generated incident of tests/prometheus
(checkout-7 leaks memory from 15:00Z, checkout-3's 5xx rate jumps at the same moment). Loki cannot
be installed here: its tools read tests/loki/loki_api.py, which answers in the format of Loki's HTTP
API documentation. Calls go through the official MCP client, which validates each structured answer
against the tool's declared output schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import jmespath
import pytest
from mcp import Client

from mcp_servers.common.server import ServerGuard
from mcp_servers.loki.client import LokiSettings
from mcp_servers.loki.server import build_server as loki_server
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus, free_port
from mcp_servers.prometheus.server import build_server as prom_server
from tests.loki.conftest import incident_streams
from tests.loki.loki_api import LokiState, loki_api
from tests.prometheus.conftest import INCIDENT
from tests.prometheus.test_local_and_live import RULES
from tests.structured.calls import LOKI_CALLS, PROM_CALLS, load, text_of, texts

pytestmark = pytest.mark.anyio

PROM_TYPED = ["prom_query", "prom_query_range", "prom_labels", "prom_label_values", "prom_series", "prom_metadata",
              "prom_alerts", "prom_rules", "prom_targets"]


@pytest.fixture
def loki_url() -> Iterator[str]:
    with loki_api(LokiState(streams=incident_streams())) as url:
        yield url


def _prom(prometheus: LocalPrometheus, tmp_path: Path) -> Any:
    return prom_server(PromSettings(url=prometheus.url), ServerGuard.for_tests(tmp_path, "prometheus"))


async def _data(c: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await c.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_prometheus_tools_declare_schemas_and_keep_their_text(prometheus: LocalPrometheus,
                                                                    tmp_path: Path) -> None:
    golden = load("prometheus")
    async with Client(_prom(prometheus, tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        results = await texts(c, PROM_CALLS)
    for name in PROM_TYPED:
        assert (tools[name].output_schema or {}).get("properties"), name
    for k, result in results.items():
        assert text_of(result) == golden[k], k
        assert result.structured_content is not None, k


async def test_range_query_series_carry_rank_trend_change_and_baseline(prometheus: LocalPrometheus,
                                                                       tmp_path: Path) -> None:
    async with Client(_prom(prometheus, tmp_path)) as c:
        mem = await _data(c, "prom_query_range", query="container_memory_working_set_bytes",
                          start="2026-05-01T14:30:00Z", end="2026-05-01T16:00:00Z")
        errors = await _data(c, "prom_query_range", query='sum by (pod) (rate(http_requests_total{code="500"}[5m]))',
                             start="2026-05-01T14:00:00Z", end="2026-05-01T16:00:00Z", top_k=3)
    assert mem["series_count"] == 12 and len(mem["series"]) == 12 and mem["left_out"] == 0
    assert mem["baseline_start"] and mem["common_labels"]["__name__"] == "container_memory_working_set_bytes"
    top = mem["series"][0]
    assert top["rank"] == 1 and top["labels"]["pod"] == "checkout-7" and top["shown"]
    assert top["trend"] == "rising" and top["last"] > top["first"] and top["max"] >= top["last"]
    began = datetime.fromisoformat(top["change"]["at"].replace("Z", "+00:00"))
    assert abs(began.timestamp() - INCIDENT) <= 300 and top["ratio_to_baseline"] > 1  # the leak starts at 15:00Z
    assert all(s["trend"] == "flat" for s in mem["series"][1:])
    assert [s["rank"] for s in mem["series"]] == list(range(1, 13))
    # the expressions docs/mcp-servers/prometheus.md shows, as a runbook rule would evaluate them
    assert jmespath.search("series[?trend=='rising'] | [0].labels.pod", mem) == "checkout-7"
    assert [x["pod"] for x in jmespath.search("series[?ratio_to_baseline > `1.2`].labels", mem)] == ["checkout-7"]
    assert sum(1 for s in errors["series"] if s["shown"]) == 3
    assert errors["series"][0]["labels"] == {"pod": "checkout-3"}
    assert errors["series"][0]["change"]["shape"] in ("step", "ramp")


async def test_instant_and_discovery_answers(prometheus: LocalPrometheus, tmp_path: Path) -> None:
    at = "2026-05-01T15:30:00Z"
    async with Client(_prom(prometheus, tmp_path)) as c:
        vector = await _data(c, "prom_query", query="container_memory_working_set_bytes", time=at)
        scalar = await _data(c, "prom_query", query="scalar(sum(container_memory_working_set_bytes))", time=at)
        empty = await _data(c, "prom_query", query="nope_metric", time=at)
        matrix = await _data(c, "prom_query", query="container_memory_working_set_bytes[5m]", time=at)
        values = await _data(c, "prom_label_values", label="pod", start="2026-05-01T15:00:00Z",
                             end="2026-05-01T16:00:00Z", limit=4, offset=1)
        series = await _data(c, "prom_series", match='http_requests_total{pod="checkout-1"}',
                             start="2026-05-01T15:00:00Z", end="2026-05-01T16:00:00Z")
    assert vector["result_type"] == "vector" and vector["series_count"] == 12
    assert vector["samples"][0]["labels"]["pod"] == "checkout-7"  # the leak: the largest value first
    assert vector["samples"][0]["value"] >= vector["samples"][-1]["value"]
    assert scalar["result_type"] == "scalar" and scalar["value"] == 4054079807
    assert empty["result_type"] == "empty" and empty["samples"] == []
    assert matrix["result_type"] == "matrix" and matrix["range"]["series"][0]["points"] == 11
    assert values == {"what": "values of pod", "contains": None, "total": 12, "offset": 1,
                      "names": ["checkout-1", "checkout-10", "checkout-11", "checkout-2"], "next_offset": 5}
    assert series["total"] == 2 and {s["code"] for s in series["series"]} == {"200", "500"}
    assert series["series"][0]["__name__"] == "http_requests_total" and series["next_offset"] is None


async def test_loki_tools_declare_schemas_and_keep_their_text(loki_url: str, tmp_path: Path) -> None:
    golden = load("loki")
    async with Client(loki_server(LokiSettings(url=loki_url), ServerGuard.for_tests(tmp_path, "loki"))) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        results = await texts(c, LOKI_CALLS)
        stats = await _data(c, "loki_stats", query='{namespace="shop", app="checkout"}',
                            start="2026-05-01T14:00:00Z", end="2026-05-01T15:00:00Z")
        pods = await _data(c, "loki_label_values", label="pod", start="2026-05-01T12:00:00Z",
                           end="2026-05-01T15:00:00Z", limit=2)
    assert all((t.output_schema or {}).get("properties") for t in tools.values())
    for k, result in results.items():
        assert text_of(result) == golden[k], k
    assert (stats["streams"], stats["entries"]) == (3, 2520) and stats["bytes"] > 0
    assert stats["start"].startswith("2026-05-01T14:00:00")
    assert pods["names"] == ["cart-0", "checkout-0"] and pods["total"] == 4 and pods["next_offset"] == 2


async def test_alerts_rules_and_targets_as_data(tmp_path: Path) -> None:
    """A live Prometheus evaluating rules (tests/prometheus/test_local_and_live.py's) and scraping a
    port nobody listens on; polled until the rule evaluations and the failed scrape have happened."""
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    dead = {"job_name": "checkout", "scrape_interval": "1s", "scrape_timeout": "500ms",
            "static_configs": [{"targets": [f"127.0.0.1:{free_port()}"]}]}
    with LocalPrometheus(rule_files=[rules], extra_scrape_configs=[dead]) as prom:
        async with Client(_prom(prom, tmp_path)) as c:
            deadline = time.monotonic() + 20
            while True:
                alerts = await _data(c, "prom_alerts")
                rules_ = await _data(c, "prom_rules")
                targets = await _data(c, "prom_targets")
                ready = (alerts["firing"] and any(r["health"] == "err" for r in rules_["rules"])
                         and any(t["health"] == "down" and t["last_error"] for t in targets["targets"])
                         and targets["by_job"].get("prometheus") == {"up": 1})
                if ready or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.5)
            unhealthy = await _data(c, "prom_targets", only_unhealthy=True)
    first = alerts["alerts"][0]
    assert first["state"] == "firing" and first["name"] == "CheckoutErrorBudgetBurn"
    assert first["severity"] == "critical" and first["labels"] == {"service": "checkout"}
    assert first["summary"] == "checkout is burning its error budget" and first["active_since"].endswith("Z")
    assert any(a["name"] == "SlowBurn" and a["state"] == "pending" for a in alerts["alerts"])
    assert rules_["rules"][0]["name"] == "BrokenRule" and rules_["rules"][0]["last_error"]  # unhealthy first
    assert {r["name"]: r["type"] for r in rules_["rules"]}["job:up:sum"] == "recording"
    assert {r["name"]: r["for_seconds"] for r in rules_["rules"]}["SlowBurn"] == 3600
    assert targets["by_job"]["checkout"] == {"down": 1} and targets["by_job"]["prometheus"] == {"up": 1}
    assert targets["targets"][0]["health"] == "down" and "refused" in targets["targets"][0]["last_error"]
    assert [t["job"] for t in unhealthy["targets"]] == ["checkout"] and unhealthy["total"] == 2
