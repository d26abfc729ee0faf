"""LocalPrometheus itself, and the tools that need a live Prometheus: alerts, rules and targets.

Alerting rules are evaluated against "now", so these tests run a real Prometheus with a rule file
and a real scrape of itself and of a port nobody listens on, and wait (briefly) for it to act.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from mcp_servers.common.server import ServerGuard
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus, LocalPrometheusError, free_port
from mcp_servers.prometheus.server import build_server

RULES = """\
groups:
  - name: vigil-test
    rules:
      - alert: CheckoutErrorBudgetBurn
        expr: vector(1)
        labels: {severity: critical, service: checkout}
        annotations: {summary: "checkout is burning its error budget"}
      - alert: SlowBurn
        expr: vector(1)
        for: 1h
        labels: {severity: warning}
      - alert: BrokenRule
        expr: >-
          vector(1) * on()
          (label_replace(vector(1), "a", "x", "", "") or label_replace(vector(1), "a", "y", "", ""))
      - record: job:up:sum
        expr: sum by (job) (up)
"""


def test_missing_binary_and_bad_input_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LocalPrometheusError, match=r"`no-such-prometheus` binary is not on PATH.*apt-get install"):
        LocalPrometheus(prometheus_binary="no-such-prometheus").start()
    with pytest.raises(LocalPrometheusError, match="does not exist"):
        LocalPrometheus(tmp_path / "missing.om").start()
    bad = tmp_path / "bad.om"
    bad.write_text("this is { not openmetrics\n")
    with pytest.raises(LocalPrometheusError, match="promtool could not backfill"):
        LocalPrometheus(bad).start()


def test_start_stop_and_cleanup(incident_file: Path) -> None:
    prom = LocalPrometheus(incident_file, self_scrape=False)
    with prom:
        assert prom.running
        workdir = prom.workdir
        answer = httpx.get(f"{prom.url}/api/v1/query", params={"query": "count(http_requests_total)",
                                                                "time": "1777651200"}).json()
        assert answer["data"]["result"][0]["value"][1] == "24"
    assert not prom.running and not workdir.exists()
    with pytest.raises(LocalPrometheusError, match="not running"):
        _ = prom.url


def test_a_taken_fixed_port_fails_clearly(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(LocalPrometheusError, match="did not become ready"):
            LocalPrometheus(port=port, self_scrape=False, startup_timeout=5).start()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    rules = tmp_path_factory.mktemp("rules") / "rules.yml"
    rules.write_text(RULES)
    dead = {"job_name": "checkout", "scrape_interval": "1s", "scrape_timeout": "500ms",
            "static_configs": [{"targets": [f"127.0.0.1:{free_port()}"]}]}
    with LocalPrometheus(rule_files=[rules], extra_scrape_configs=[dead]) as prom:
        yield prom


@pytest.fixture
async def client(live: LocalPrometheus, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(PromSettings(url=live.url), ServerGuard.for_tests(tmp_path))) as c:
        yield c


async def _eventually(c: Client, tool: str, args: dict[str, Any], want: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        result = await c.call_tool(tool, args)
        text = "\n".join(getattr(i, "text", "") for i in result.content)
        if want in text:
            return text
        import anyio

        await anyio.sleep(0.5)
    raise AssertionError(f"{tool} never showed {want!r}; last answer:\n{text}")


@pytest.mark.anyio
@pytest.mark.slow
async def test_alerts_firing_first_and_pending(client: Client) -> None:
    text = await _eventually(client, "prom_alerts", {}, "| firing |")
    lines = [line for line in text.splitlines() if line.startswith("| ") and "alert" not in line[:8]]
    assert lines[0].startswith("| CheckoutErrorBudgetBurn | firing | critical |")
    assert "service=checkout" in lines[0] and "checkout is burning its error budget" in lines[0]
    assert any(line.startswith("| SlowBurn | pending | warning |") for line in lines)
    text = await _eventually(client, "prom_alerts", {"state": "pending"}, "SlowBurn")
    assert "CheckoutErrorBudgetBurn" not in text


@pytest.mark.anyio
@pytest.mark.slow
async def test_rules_show_health_and_errors(client: Client) -> None:
    text = await _eventually(client, "prom_rules", {}, "| err |")
    broken = next(line for line in text.splitlines() if "BrokenRule" in line)
    assert "| err |" in broken and "found duplicate series for the match group" in broken
    assert "| SlowBurn | alerting | pending | ok |" in text and "| 1h |" in text
    assert text.index("BrokenRule") < text.index("SlowBurn")  # unhealthy first
    text = await _eventually(client, "prom_rules", {"type": "record"}, "job:up:sum")
    assert "SlowBurn" not in text


@pytest.mark.anyio
@pytest.mark.slow
async def test_targets_down_first_with_last_error(client: Client) -> None:
    text = await _eventually(client, "prom_targets", {}, "prometheus: 1 up")
    text = await _eventually(client, "prom_targets", {}, "connection refused")
    rows = [line for line in text.splitlines() if line.startswith("| checkout") or line.startswith("| prometheus")]
    assert rows[0].startswith("| checkout |") and "| down |" in rows[0]
    assert "checkout: 1 down" in text
    text = await _eventually(client, "prom_targets", {"only_unhealthy": True}, "down")
    assert "| prometheus |" not in text


def test_prometheus_is_stopped_when_the_owner_exits_without_closing(incident_file: Path) -> None:
    import subprocess
    import sys

    script = ("from mcp_servers.prometheus.local import LocalPrometheus\n"
              f"p = LocalPrometheus({str(incident_file)!r}, self_scrape=False)\n"
              "p.start()\n"
              "print(p._proc.pid, p.workdir, flush=True)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    pid, workdir = out.stdout.split()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
        if "zombie" in status:
            break
        time.sleep(0.1)
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else "gone"
    assert status == "gone" or "zombie" in status
    assert not Path(workdir).exists()


@pytest.mark.anyio
@pytest.mark.slow
async def test_metadata_from_a_real_scrape(client: Client) -> None:
    text = await _eventually(client, "prom_metadata", {"contains": "prometheus_http_requests"},
                             "prometheus_http_requests_total")
    row = next(line for line in text.splitlines() if line.startswith("| prometheus_http_requests_total |"))
    assert "| counter |" in row and "HTTP requests" in row
    text = await _eventually(client, "prom_metadata", {"metric": "no_such_metric"}, "no metadata found")
    assert "backfilled data carries no metadata" in text
