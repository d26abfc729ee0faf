"""What telemetry costs: one scripted investigation (toy MCP server in-process, scripted model) run
with telemetry off, then with every span and metric recorded in memory; and the cost of one span
plus one metric point on its own.

    .venv/bin/python benchmarks/telemetry/bench_overhead.py [--runs 20]

Prints the numbers and writes benchmarks/results/telemetry.json. Measures; never fails on a number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.llm.base import ToolCall  # noqa: E402
from agent.llm.scripted import ScriptedModel  # noqa: E402
from agent.telemetry import in_memory_telemetry, metrics, tracer  # noqa: E402
from tests.telemetry.conftest import investigate  # noqa: E402


def script() -> ScriptedModel:
    return ScriptedModel.of(
        [ToolCall(id="c1", name="k8s_logs", arguments={"name": "payments-x", "namespace": "payments"})],
        '{"summary": "done", "hypotheses": []}',
    )


async def one_investigation() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        await investigate(Path(tmp), script())
        return time.perf_counter() - started


async def interleaved(runs: int) -> tuple[list[float], list[float], int]:
    """Alternate off and on runs so disk and cache noise hits both alike; returns (off, on, spans per run)."""
    off, on, spans = [], [], 0
    for _ in range(runs):
        off.append(await one_investigation())
        setup = in_memory_telemetry()
        on.append(await one_investigation())
        spans = len(setup.span_exporter.get_finished_spans()) if setup.span_exporter else 0
        setup.shutdown()
    return off, on, spans


def span_and_metric(iterations: int) -> float:
    """Microseconds for one span plus one histogram point, as the tool hub records per call."""
    started = time.perf_counter()
    for _ in range(iterations):
        with tracer().start_as_current_span("execute_tool k8s_get") as span:
            if span.is_recording():
                span.set_attribute("gen_ai.tool.name", "k8s_get")
            metrics().record_tool(0.01, tool="k8s_get", server="kubernetes", outcome="ok")
    return (time.perf_counter() - started) / iterations * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(interleaved(2))  # warm imports and catalogs
    off, on, spans = asyncio.run(interleaved(args.runs))
    off_micro = span_and_metric(20_000)
    setup = in_memory_telemetry()
    on_micro = span_and_metric(20_000)
    setup.shutdown()
    results = {
        "runs": args.runs,
        "investigation_ms_off_median": round(statistics.median(off) * 1000, 2),
        "investigation_ms_on_median": round(statistics.median(on) * 1000, 2),
        "investigation_ms_off_min": round(min(off) * 1000, 2),
        "investigation_ms_on_min": round(min(on) * 1000, 2),
        "spans_per_investigation": spans,
        "span_plus_metric_us_off": round(off_micro, 3),
        "span_plus_metric_us_on": round(on_micro, 3),
        "python": sys.version.split()[0],
    }
    for key, value in results.items():
        print(f"{key:34} {value}")
    out = ROOT / "benchmarks" / "results" / "telemetry.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
