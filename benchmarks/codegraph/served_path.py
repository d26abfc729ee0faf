"""What the guarded code-graph server spends on one call, from the request's bytes in to the answer's bytes out.

    .venv/bin/python benchmarks/codegraph/served_path.py DB [--tool get_callers] [--calls 60] [--variant guarded]
        [--cpu | --profile | --instructions] [--tree DIR ...]

Why: guard_cpu_stages.py and guard_instructions.py time the guard's stages called one by one; a stdio call
also pays the SDK (JSON-RPC parsing, pydantic validation of the request and of the result, the output
schema check, serialisation) and the middleware's own glue around the stages (the call's `Action`, the
answer's copies). This runs the real server in process on the same transport `vigil mcp codegraph` uses
(mcp_servers/codegraph/stdio.py's line reader and writer over OS pipes), feeds it the bytes the SDK's
client sends (the 2026-07-28 protocol: every request carries its `_meta`), and reads each answer line back
before sending the next request, so every figure covers the whole served path of one call.

The index is screened ahead for the asked symbols only (their default answers and the leaves the real
screening attests: mcp_servers/codegraph/verdicts.py), under this process's audit key, as a server that
indexed at start has them; the policy's rate limit is raised so that the layers, not its refusal, are
measured. The audit log is fsynced as in production (a temporary state dir).

- `--cpu`: thread CPU per call (`time.thread_time_ns`; the client's write and read of a line included,
  the flush's wait not), p50 and mean over `--calls` first-time calls after `--warm` warm-up ones.
- `--profile`: cProfile of the counted calls, the top functions by own time (`SORT=cumulative`, `TOP=N` to
  change; `NO_FSYNC=1`, diagnostic only, turns the audit's flush off so that the CPU around it shows).
- `--instructions`: callgrind's count of user-space instructions per counted call (PYTHONHASHSEED=0; no
  load moves it), for each `--tree`; a few minutes per tree.
`--variant no-middleware` drops every middleware (diagnostic only, as bench.py's server of that name);
`--variant sdk-middleware` drops only the guard, keeping the SDK's own (its span, `requestState`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOOLS = ("get_callers", "get_impact_radius")
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "mcp", "version": "0.1.0"},
        "io.modelcontextprotocol/clientCapabilities": {}}


def _request(n: int, method: str, params: dict[str, Any]) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": {**params, "_meta": META}},
                       separators=(",", ":")) + "\n").encode()


def _attest(g: Any, keys: list[str], tool: str, guard: Any) -> None:
    """Screen ahead, for `keys` only, what verdicts.screen would store for them, and attest it."""
    from guardrails import attested
    from mcp_servers.codegraph import answers, render, verdicts

    key = attested.verdict_key(guard.pipeline.audit.key.secret)
    texts: list[str] = []
    strings: set[str] = set()
    for k in keys:
        if tool == "get_callers":
            callers = answers.callers_result(g, k)
            texts.append(render.callers_text(callers))
            dumped = callers.model_dump(mode="json")
        else:
            impact = answers.impact_result(g, k, 3)
            texts.append(render.impact_text(impact))
            dumped = impact.model_dump(mode="json")
        stack: list[Any] = [dumped]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                strings.add(item)
    leaves = strings & verdicts.leaf_strings(g)
    attested.attest_leaves(key, leaves, {attested.mac(key, attested.LEAF, s) for s in leaves if attested.leaf_clean(s)})
    attested.attest_answers(key, [attested.mac(key, attested.ANSWER, t) for t in texts if attested.answer_clean(t)])


async def serve_and_call(db: Path, tool: str, calls: int, warm: int, variant: str, mode: str) -> dict[str, Any]:
    sys.path.insert(0, str(Path.cwd()))
    from mcp.server.stdio import stdio_server

    from mcp_servers.codegraph.graph import CodeGraph
    from mcp_servers.codegraph.server import build_server, warm_guard
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.codegraph.stdio import MAX_LINE_BYTES, _Lines, _Out
    from mcp_servers.common.sdk import lowlevel
    from mcp_servers.common.server import ServerGuard

    g = CodeGraph(db)
    sample = random.Random(7).sample([k for k in g.symbols if g.calls.in_degree(k) > 0], warm + calls)
    guard = ServerGuard.for_tests(Path(tempfile.mkdtemp(prefix="vigil-served-")), "codegraph")
    server = build_server(CodegraphSettings(db=g.db_path, reindex=False), guard, graph=g)
    for limits in guard.pipeline.policy.limits:
        limits.rate.calls = 10**9
    _attest(g, sample, tool, guard)
    await warm_guard(server)
    low = lowlevel(server)
    if variant == "no-middleware":
        low.middleware.clear()
    elif variant == "sdk-middleware":  # the SDK's own middleware (its span, requestState) without the guard
        low.middleware[:] = [m for m in low.middleware if not getattr(m, "__qualname__", "").startswith("_guard")]
    if os.environ.get("NO_FSYNC"):
        guard.pipeline.audit.fsync = False  # profiling only: the flush's wait hides the CPU around it
    gc.freeze()

    loop = asyncio.get_running_loop()
    to_server_r, to_server_w = os.pipe()
    to_client_r, to_client_w = os.pipe()

    async def reader_of(fd: int, limit: int) -> asyncio.StreamReader:
        reader = asyncio.StreamReader(limit=limit)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0))
        return reader

    async def writer_of(fd: int) -> asyncio.StreamWriter:
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                            os.fdopen(fd, "wb", buffering=0))
        return asyncio.StreamWriter(transport, protocol, None, loop)

    server_in, server_out = await reader_of(to_server_r, MAX_LINE_BYTES), await writer_of(to_client_w)
    client_in, client_out = await reader_of(to_client_r, MAX_LINE_BYTES), await writer_of(to_server_w)

    async def run_server() -> None:
        async with stdio_server(_Lines(server_in), _Out(server_out)) as (read_stream, write_stream):  # type: ignore[arg-type]
            await low.run(read_stream, write_stream, low.create_initialization_options())

    task = asyncio.create_task(run_server())
    n = 0

    async def ask(method: str, params: dict[str, Any]) -> dict[str, Any]:
        nonlocal n
        n += 1
        client_out.write(_request(n, method, params))
        await client_out.drain()
        line = await client_in.readuntil(b"\n")
        return json.loads(line)

    await ask("server/discover", {})
    await ask("tools/list", {})

    def arguments(key: str) -> dict[str, Any]:
        return {"symbol": key} if tool == "get_callers" else {"symbol": key, "depth": 3}

    for key in sample[calls:]:  # warm-up, not counted
        answer = await ask("tools/call", {"name": tool, "arguments": arguments(key)})
        if "result" not in answer or answer["result"].get("isError"):
            raise RuntimeError(f"refused or failed: {str(answer)[:300]}")
    lines = [_request(n + 1 + i, "tools/call", {"name": tool, "arguments": arguments(k)})
             for i, k in enumerate(sample[:calls])]
    cpu: list[float] = []
    profiler = None
    if mode == "profile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    os.getppid()  # callgrind --zero-before=os_getppid: counting starts
    for line in lines:
        t = time.thread_time_ns()
        client_out.write(line)
        await client_out.drain()
        answer_line = await client_in.readuntil(b"\n")
        cpu.append((time.thread_time_ns() - t) / 1000)
    os.getpgrp()  # callgrind --dump-before=os_getpgrp: counting stops
    if profiler is not None:
        profiler.disable()
        import pstats

        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("SORT", "tottime"))
        stats.print_stats(int(os.environ.get("TOP", "45")))
    answer = json.loads(answer_line)
    if "result" not in answer or answer["result"].get("isError"):
        raise RuntimeError(f"refused or failed: {str(answer)[:300]}")
    client_out.close()
    await asyncio.wait_for(task, 10)
    return {"tool": tool, "variant": variant, "calls": calls, "cpu_us_p50": round(statistics.median(cpu), 1),
            "cpu_us_mean": round(statistics.fmean(cpu), 1)}


def count(tree: Path, db: Path, tool: str, calls: int, warm: int, variant: str) -> float:
    """Millions of instructions per counted call of `tree`'s served path, from callgrind's dump."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory(prefix="vigil-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--zero-before=os_getppid", "--dump-before=os_getpgrp",
             f"--callgrind-out-file={out}", sys.executable, str(Path(__file__).resolve()), str(db.resolve()),
             "--tool", tool, "--calls", str(calls), "--warm", str(warm), "--variant", variant, "--workload"],
            cwd=tree, env=env, check=True, capture_output=True)
        dumps = sorted(Path(tmp).glob("callgrind.out.*"))
        if not dumps:
            raise RuntimeError("callgrind wrote no dump at os.getpgrp(): was the workload run?")
        summary = re.search(r"^summary: (\d+)", dumps[0].read_text(), re.M)
        if summary is None:
            raise RuntimeError(f"no summary line in {dumps[0]}")
        return int(summary.group(1)) / calls / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="an index DB of a Lib/ copy (bench.py builds one); only read")
    ap.add_argument("--tool", choices=TOOLS, default="get_callers")
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--warm", type=int, default=140)
    ap.add_argument("--variant", choices=("guarded", "sdk-middleware", "no-middleware"), default="guarded")
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--cpu", action="store_true")
    what.add_argument("--profile", action="store_true")
    what.add_argument("--instructions", action="store_true")
    what.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tree", type=Path, action="append", help="a Vigil source tree (repeatable; default: cwd)")
    args = ap.parse_args()
    if args.instructions:
        trees = args.tree or [Path.cwd()]
        print(json.dumps({str(t): round(count(t.resolve(), args.db, args.tool, args.calls, args.warm, args.variant), 3)
                          for t in trees}))
        return
    mode = "profile" if args.profile else "cpu"
    print(json.dumps(asyncio.run(serve_and_call(args.db, args.tool, args.calls, args.warm, args.variant, mode))))


if __name__ == "__main__":
    main()
