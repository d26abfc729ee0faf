"""The Slack report's chart: which series moved, the PNG itself, and the upload into the thread. The
series come from a real Prometheus loaded with the checkout-oom incident's metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.report import EvidenceRef, Report
from agent.server import chart
from tests.frontdoors.conftest import FakeInvestigation, Service

BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "checkout-oom"
INCIDENT = datetime.fromisoformat("2026-03-12T14:20:00+00:00").timestamp()
QUERY = 'container_memory_working_set_bytes{namespace="shop"}'
RANGE = {"query": QUERY, "start": "2026-03-12T12:20:00Z", "end": "2026-03-12T15:20:00Z", "step": "2m"}


@pytest.fixture(scope="module")
def prometheus_url() -> Iterator[str]:
    from mcp_servers.prometheus.local import LocalPrometheus, LocalPrometheusError

    try:
        with LocalPrometheus(BUNDLE / "metrics" / "metrics.om.txt") as prom:
            yield prom.url
    except LocalPrometheusError as exc:
        pytest.skip(f"a local Prometheus cannot start here: {exc}")


def test_moved_keeps_what_changed_in_the_window_and_drops_flat_series() -> None:
    flat = chart.Series("flat", [(t, 100.0 + (t % 3)) for t in range(0, 200, 10)])
    step = chart.Series("step", [(t, 100.0 if t < 100 else 300.0) for t in range(0, 200, 10)])
    small = chart.Series("small", [(t, 100.0 if t < 100 else 140.0) for t in range(0, 200, 10)])
    chosen = chart.moved([flat, small, step], window_start=100, window_end=200)
    assert [s.name for s in chosen] == ["step", "small"]
    assert chart.moved([flat], 100, 200) == []
    assert chart.movement(chart.Series("late", [(150, 1.0)]), 100, 200) == 0.0, "no baseline, no claim"


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_leaking_pods_are_charted_from_real_prometheus(prometheus_url: str, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as client:
        series = await chart.fetch_range_series(client, prometheus_url, RANGE)
    assert len(series) > 1
    chosen = chart.moved(series, INCIDENT, INCIDENT + 3600)
    assert chosen and all('container="checkout"' in s.name for s in chosen), [s.name for s in chosen]
    png = chart.render_png(chosen, INCIDENT, INCIDENT + 3600, "checkout pods OOMKilled")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert all(s.query == QUERY for s in chosen)
    names = chart.legend_names(chosen)
    assert all(n.startswith('pod="checkout-') for n in names) and len(set(names)) == len(names)
    assert chart._bytes(512 * 2**20) == "512 MiB" and chart._bytes(1.5 * 2**30) == "1.5 GiB"
    (tmp_path / "chart.png").write_bytes(png)


class RangeQueryInvestigation(FakeInvestigation):
    """Reports a range query over the incident's memory series, as the OOM runbook does."""

    async def __call__(self, incident: Any, config: Any, **kwargs: Any) -> Report:
        report = await super().__call__(incident, config, **kwargs)
        report.evidence.append(EvidenceRef(id="E2", tool="prom_query_range", arguments=RANGE, ok=True))
        return report


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_slack_report_uploads_the_chart_into_the_thread(service: Service, prometheus_url: str) -> None:
    from agent.incident import from_text
    from mcp_servers.prometheus.client import PromSettings

    door = service.door
    door.config = door.config.model_copy(update={"prometheus": PromSettings(url=prometheus_url)})
    door.investigate = RangeQueryInvestigation()
    incident = from_text("checkout OOMKilled in namespace shop", source="slack").model_copy(
        update={"started_at": datetime.fromtimestamp(INCIDENT, UTC)})
    await door.submit(incident, reply={"slack": {"channel": "C1", "thread_ts": "1700000000.000777", "user": "U1"}},
                      ref="slack:C1:1700000000.000777")
    await service.run_jobs(seconds=20)
    png = [u for u in service.recorder.requests if u.path.startswith("/upload/")]
    assert png and b"\x89PNG" in png[0].body, "the PNG reached Slack's upload URL"
    [complete] = service.recorder.calls("files.completeUploadExternal")
    fields = complete.form_or_json()
    assert fields.get("thread_ts") == "1700000000.000777" and fields.get("channel_id") == "C1"
