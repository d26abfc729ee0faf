"""LLM layer benchmark: what Vigil's provider layer adds per model call, and repair throughput.

Run: .venv/bin/python benchmarks/llm/bench.py [--calls 200]

A local HTTP server answers every request with the same recorded tool-use response (from
tests/llm/recordings), so the numbers measure the SDK, the wire conversion and the repair step,
not a provider's inference time. Results go to benchmarks/results/llm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio

from agent.llm import LLMSettings, Message, ToolDef, build_model, close_model
from agent.llm.repair import RawToolCall, repair_tool_call

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = ROOT / "tests" / "llm" / "recordings"
TOOLS = [
    ToolDef(
        name="k8s_logs",
        input_schema={
            "type": "object",
            "properties": {
                "namespace": {"type": "string"},
                "pod": {"type": "string"},
                "tail": {"type": "integer"},
                "previous": {"type": "boolean"},
                "container": {"type": "string"},
            },
            "required": ["namespace", "pod"],
        },
    ),
    ToolDef(name="prom_query", input_schema={"type": "object", "properties": {"query": {"type": "string"}}}),
    ToolDef(name="k8s_events", input_schema={"type": "object", "properties": {"namespace": {"type": "string"}}}),
    ToolDef(name="k8s_describe", input_schema={"type": "object", "properties": {"name": {"type": "string"}}}),
]


def serve(body: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    payload = json.dumps(body).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def first_body(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))["exchanges"][0]["body"]


async def time_provider(settings: dict[str, Any], calls: int) -> dict[str, float]:
    model = build_model(LLMSettings.model_validate(settings))
    assert model is not None
    history = [Message(role="user", content="what broke in payments?")]
    samples = []
    try:
        for _ in range(calls):
            started = time.perf_counter()
            response = await model.complete("You are Vigil.", history, TOOLS, max_tokens=512)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.tool_calls
    finally:
        await close_model(model)
    samples.sort()
    return {
        "calls": calls,
        "mean_ms": round(statistics.fmean(samples), 3),
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
    }


def time_repair(rounds: int) -> dict[str, float]:
    sloppy = RawToolCall(
        "c1",
        "K8S_Logs",
        '"```json\\n{\\"namespace\\": \\"payments\\", \\"pod\\": \\"p\\", \\"tail\\": \\"200\\", '
        '\\"previous\\": \\"true\\", \\"container\\": null}\\n```"',
    )
    clean = RawToolCall("c2", "k8s_logs", {"namespace": "payments", "pod": "p", "tail": 200})
    out: dict[str, float] = {}
    for label, call in (("sloppy", sloppy), ("clean", clean)):
        started = time.perf_counter()
        for _ in range(rounds):
            result = repair_tool_call(call, TOOLS)
            assert result.call is not None
        elapsed = time.perf_counter() - started
        out[f"{label}_us_per_call"] = round(elapsed / rounds * 1e6, 2)
    return out


async def main(calls: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    anthropic_server, anthropic_url = serve(first_body("anthropic/parallel_tool_use.json"))
    openai_server, openai_url = serve(first_body("openai/parallel_tool_calls.json"))
    ollama_server, ollama_url = serve(first_body("openai/ollama_sloppy_tool_call.json"))
    try:
        os.environ.setdefault("VIGIL_BENCH_KEY", "dummy-benchmark-key")
        common = {"api_key_env": "VIGIL_BENCH_KEY", "max_retries": 0}
        results["anthropic_sdk"] = await time_provider(
            {"provider": "anthropic", "model": "claude-sonnet-5-5", "base_url": anthropic_url, **common}, calls
        )
        results["openai_sdk"] = await time_provider(
            {"provider": "openai", "model": "gpt-4.1", "base_url": f"{openai_url}/v1", **common}, calls
        )
        results["ollama_sloppy_with_repair"] = await time_provider(
            {"provider": "ollama", "model": "qwen2.5:3b", "base_url": f"{ollama_url}/v1", "max_retries": 0}, calls
        )
    finally:
        for server in (anthropic_server, openai_server, ollama_server):
            server.shutdown()
            server.server_close()
    results["repair"] = time_repair(5000)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    numbers = anyio.run(main, args.calls)
    for name, value in numbers.items():
        print(f"{name:28} {value}")
    out = ROOT / "benchmarks" / "results" / "llm.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")
