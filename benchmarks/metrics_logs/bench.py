"""Tokens in Vigil's metric and log answers against the raw API JSON, with the anomaly still named.

Run:  .venv/bin/python benchmarks/metrics_logs/bench.py
Writes benchmarks/results/metrics_logs.json and prints a table.

1. PromQL: 50 series x 720 points (3 h at a 15 s step) backfilled into a real Prometheus; one
   series (`pod="api-37"`) steps up to 3x its level two hours in. Compared: the raw
   `/api/v1/query_range` JSON against `prom_query_range` through the MCP server.
2. LogQL: a 10,000-line window in Loki's response format, served over real HTTP by the test
   Loki-format server (no Loki can be installed here), with one error template that starts half-way
   and is absent from the baseline. Compared: the raw JSON and the bare lines against `loki_query`.

Token counts use Vigil's own estimate (mcp_servers.common.compact.estimate_tokens, ~4 chars/token)
for both sides, so the ratio is fair even if the absolute numbers are approximate.
"""

from __future__ import annotations

import json
import logging
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import yaml
from mcp import Client

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.pipeline import default_policy_path  # noqa: E402
from mcp_servers.common.compact import estimate_tokens  # noqa: E402
from mcp_servers.common.server import ServerGuard  # noqa: E402
from mcp_servers.loki.client import LokiSettings  # noqa: E402
from mcp_servers.loki.server import _entries  # noqa: E402
from mcp_servers.loki.server import build_server as build_loki  # noqa: E402
from mcp_servers.loki.templates import mine  # noqa: E402
from mcp_servers.prometheus.client import PromSettings  # noqa: E402
from mcp_servers.prometheus.local import LocalPrometheus  # noqa: E402
from mcp_servers.prometheus.server import build_server as build_prom  # noqa: E402
from tests.loki.loki_api import LokiState, Stream, loki_api  # noqa: E402

START = 1_777_636_800
STEP = 15
POINTS = 720
SERIES = 50
ANOMALOUS = "api-37"
NS = 1_000_000_000


def metrics_file(path: Path) -> None:
    rng = random.Random(42)
    lines = ["# HELP app_inflight_requests In-flight requests.", "# TYPE app_inflight_requests gauge"]
    # 90 minutes of baseline before the 3 h window, then the window itself
    for i in range(SERIES):
        pod = f"api-{i}"
        level = 40 + i
        for k in range(-360, POINTS):
            t = START + k * STEP
            value = level + rng.gauss(0, level * 0.04)
            if pod == ANOMALOUS and k >= 480:
                value *= 3
            lines.append(f'app_inflight_requests{{namespace="prod",pod="{pod}"}} {value:.2f} {t}')
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


async def promql_case(work: Path) -> dict[str, Any]:
    om = work / "bench.om"
    metrics_file(om)
    end = START + (POINTS - 1) * STEP
    with LocalPrometheus(om, self_scrape=False) as prom:
        raw = httpx.get(f"{prom.url}/api/v1/query_range",
                        params={"query": "app_inflight_requests", "start": START, "end": end, "step": STEP}).text
        payload = json.loads(raw)
        points = sum(len(r["values"]) for r in payload["data"]["result"])
        async with Client(build_prom(PromSettings(url=prom.url), ServerGuard.for_tests(work / "p"))) as c:
            began = time.perf_counter()
            result = await c.call_tool("prom_query_range", {"query": "app_inflight_requests", "start": str(START),
                                                            "end": str(end), "step": f"{STEP}s"})
            seconds = time.perf_counter() - began
    text = result.content[0].text  # type: ignore[union-attr]
    first = next((line for line in text.splitlines() if line.startswith("| 1 |")), "")
    return {
        "series": len(payload["data"]["result"]),
        "points": points,
        "raw_json_tokens": estimate_tokens(raw),
        "vigil_tokens": estimate_tokens(text),
        "vigil_answer": text if not first else None,
        "reduction": round(estimate_tokens(raw) / max(1, estimate_tokens(text)), 1),
        "anomaly_ranked_first": f'pod="{ANOMALOUS}"' in first,
        "tool_seconds": round(seconds, 3),
        "first_row": first,
    }


def log_streams() -> list[Stream]:
    rng = random.Random(7)
    streams = []
    for p in range(5):
        entries: list[tuple[int, str]] = []
        for k in range(-2000, 2000):  # 2000 lines of baseline per pod, then 2000 in the window
            ts = (START + 3600) * NS + k * 900_000_000 + p  # one line per 0.9 s: 30 min = 2000 lines
            roll = rng.random()
            if roll < 0.55:
                line = (f'10.2.{p}.{rng.randint(2, 250)} - - "GET /api/items/{rng.randint(1, 10**6)} HTTP/1.1" 200 '
                        f"{rng.randint(200, 9000)} {rng.randint(1, 90)}ms")
            elif roll < 0.85:
                line = f'level=info msg="cache lookup" key=item:{rng.randint(1, 10**5)} hit={rng.random() < 0.8}'
            elif roll < 0.95:
                line = f'level=debug msg="pool stats" active={rng.randint(1, 20)} idle={rng.randint(0, 10)}'
            else:
                line = f'level=warn msg="slow downstream" service=pricing took={rng.randint(300, 900)}ms'
            if p == 3 and k >= 1000 and rng.random() < 0.3:
                line = (f'level=error msg="upstream reset" service=pricing conn={rng.getrandbits(40):x} '
                        f'err="read tcp 10.0.9.{rng.randint(2, 250)}:8080: connection reset by peer"')
            entries.append((ts, line))
        streams.append(Stream({"namespace": "prod", "app": "api", "pod": f"api-{p}"}, entries))
    return streams


async def logql_case(work: Path) -> dict[str, Any]:
    state = LokiState(streams=log_streams())
    start, end = START + 3600, START + 3600 + 1800
    with loki_api(state) as url:
        raw = httpx.get(f"{url}/loki/api/v1/query_range",
                        params={"query": '{app="api"}', "start": start * NS, "end": end * NS, "limit": 10000}).text
        payload = json.loads(raw)
        lines = [v[1] for s in payload["data"]["result"] for v in s["values"]]
        # the shipped policy caps LogQL at 5000 lines; this benchmark reads the whole 10,000-line window
        policy = yaml.safe_load(default_policy_path().read_text())
        policy["limits"][0]["logql"]["max_limit"] = 10000
        (work / "policy.yaml").write_text(yaml.safe_dump(policy))
        guard = ServerGuard.from_files(work / "policy.yaml", work / "l", "loki")
        async with Client(build_loki(LokiSettings(url=url), guard)) as c:
            began = time.perf_counter()
            result = await c.call_tool("loki_query", {"query": '{app="api"}', "start": str(start), "end": str(end),
                                                      "limit": 10000})
            seconds = time.perf_counter() - began
        entries, _ = _entries(payload["data"]["result"])
        began_mining = time.perf_counter()
        templates = mine(entries)
        mining_seconds = time.perf_counter() - began_mining
    text = result.content[0].text  # type: ignore[union-attr]
    first = next((line for line in text.splitlines() if line.startswith("| 1 |")), "")
    return {
        "lines": len(lines),
        "raw_json_tokens": estimate_tokens(raw),
        "raw_lines_tokens": estimate_tokens("\n".join(lines)),
        "templates_in_10k_lines": len(templates),
        "mining_seconds_10k_lines": round(mining_seconds, 3),
        "vigil_tokens": estimate_tokens(text),
        "reduction_vs_raw_lines": round(estimate_tokens("\n".join(lines)) / max(1, estimate_tokens(text)), 1),
        "reduction_vs_raw_json": round(estimate_tokens(raw) / max(1, estimate_tokens(text)), 1),
        "new_error_template_first": "NEW" in first and "upstream reset" in first,
        "tool_seconds": round(seconds, 3),
        "first_row": first,
    }


async def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        promql = await promql_case(work)
        logql = await logql_case(work)
    return {"machine": platform.platform(), "python": platform.python_version(), "promql": promql, "logql": logql}


if __name__ == "__main__":
    logging.disable(logging.INFO)  # the MCP server logs each request at INFO; keep the output to the numbers
    results = anyio.run(main)
    out = ROOT / "benchmarks" / "results" / "metrics_logs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    p, lg = results["promql"], results["logql"]
    print(f"PromQL {p['series']} series x {p['points'] // p['series']} points: raw JSON {p['raw_json_tokens']} "
          f"tokens -> Vigil {p['vigil_tokens']} tokens (x{p['reduction']} fewer); anomaly ranked first: "
          f"{p['anomaly_ranked_first']}; tool call {p['tool_seconds']}s")
    print(f"LogQL {lg['lines']} lines: raw lines {lg['raw_lines_tokens']} tokens, raw JSON {lg['raw_json_tokens']} "
          f"-> Vigil {lg['vigil_tokens']} tokens (x{lg['reduction_vs_raw_lines']} vs lines); "
          f"{lg['templates_in_10k_lines']} templates mined from 10k lines in {lg['mining_seconds_10k_lines']}s; "
          f"new error template first: {lg['new_error_template_first']}")
    print(f"results: {out}")
