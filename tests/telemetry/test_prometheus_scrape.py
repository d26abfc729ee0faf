"""`metrics_exposition()` checked by the real Prometheus tools from Debian.

`promtool check metrics` lints the text the way Prometheus maintainers recommend; then a real
Prometheus (mcp_servers.prometheus.local.LocalPrometheus) scrapes a loopback endpoint serving the
exposition, and the numbers come back through its query API.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from agent.telemetry import Telemetry, metrics, metrics_exposition

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="the Debian prometheus package is absent")


def record_some() -> None:
    current = metrics()
    current.record_llm_usage(provider="anthropic", model="claude-sonnet-4-5", team="payments",
                             input_tokens=1200, output_tokens=300, usd=0.0081)
    current.record_investigation(12.5, team="payments", runbook="oomkilled", complete=True)
    current.record_tool(0.25, tool="k8s_logs", server="kubernetes", outcome="error")
    current.record_denial(layer="scoping", rule="deny-kube-system", tool="k8s_get", where="agent")
    current.record_approval(outcome="approved", channel="slack")


def test_promtool_accepts_the_exposition(telemetry: Telemetry) -> None:
    record_some()
    body, content_type = metrics_exposition()
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    checked = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    text = body.decode()
    for name in ("vigil_llm_tokens_total", "vigil_llm_cost_usd_total", "vigil_investigation_duration_seconds_bucket",
                 "vigil_tool_duration_seconds_bucket", "vigil_tool_errors_total", "vigil_guardrail_denials_total",
                 "vigil_approvals_total"):
        assert f"\n{name}{{" in text, name


@pytest.fixture
def metrics_endpoint() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server dispatches on this name
            body, content_type = metrics_exposition()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("prometheus") is None, reason="the Debian prometheus package is absent")
def test_a_real_prometheus_scrapes_the_numbers(telemetry: Telemetry, metrics_endpoint: str) -> None:
    from mcp_servers.prometheus.local import LocalPrometheus

    record_some()
    scrape = {"job_name": "vigil", "scrape_interval": "1s", "static_configs": [{"targets": [metrics_endpoint]}]}
    with LocalPrometheus(self_scrape=False, extra_scrape_configs=[scrape]) as prom:
        query = 'sum by (gen_ai_token_type) (vigil_llm_tokens_total{vigil_team="payments"})'
        deadline = time.monotonic() + 30
        while True:
            answer = httpx.get(f"{prom.url}/api/v1/query", params={"query": query}, timeout=10).json()
            results = answer["data"]["result"]
            if len(results) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    values = {r["metric"]["gen_ai_token_type"]: float(r["value"][1]) for r in results}
    assert values == {"input": 1200.0, "output": 300.0}
