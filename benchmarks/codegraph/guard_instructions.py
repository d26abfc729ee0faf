"""Instructions the guard spends on one first-time code-graph call: a before/after measure no load moves.

    .venv/bin/python benchmarks/codegraph/guard_instructions.py DB [--tool get_callers] [--calls 30] [--tree DIR ...]
        [--state DIR]

Why: on the shared 2-core machine the guard's CPU time (guard_cpu_stages.py) moves by 10-30% with
the other tenants' load (a shared cache, a busy disk's flush in the calling thread), more than most
changes to it. Callgrind counts the user-space instructions executed instead, which depend only on
the code and its input: run under `valgrind --tool=callgrind` with `PYTHONHASHSEED=0`, the same tree
gives the same count on any load. It misses kernel time (the audit log's syscalls and `fdatasync`)
and cache effects, so it ranks code changes, not latencies.

For each tree (default: the current directory) this runs itself under callgrind: it builds the
guarded code-graph server's middleware stages as guard_cpu_stages.py does, warms them on 140 other
symbols (a long-running server's memos), builds the answers, then counts only the `--calls`
first-time calls (every layer's check, the decision record, `_screen` with its fsynced result
record), between `os.getppid()` and `os.getpgrp()` markers (callgrind's `--zero-before` and
`--dump-before`). Prints millions of instructions per call per tree, as JSON. Needs valgrind; takes
a few minutes per tree (the interpreter runs about 50x slower under it). With `--state DIR` the guard's
audit log and key live in DIR, and the index is screened ahead under that key before the counted run
(outside callgrind, by the tree's own code), as a server that indexed at start has it
(mcp_servers/codegraph/verdicts.py); give each tree its own DB copy and DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TOOLS = ("get_callers", "get_impact_radius")


def workload(db: Path, tool: str, calls: int, state: Path | None = None) -> None:
    """The counted run, inside callgrind, importing Vigil from the current directory."""
    sys.path.insert(0, str(Path.cwd()))
    from guardrails.action import Action
    from guardrails.layers.base import Call
    from guardrails.pipeline import _add
    from mcp_servers.codegraph import answers, render
    from mcp_servers.codegraph.graph import CodeGraph
    from mcp_servers.codegraph.server import build_server, warm_guard
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.common.server import ServerGuard, _screen, tool_table
    from mcp_servers.common.structured import typed_result

    g = CodeGraph(db)
    sample = random.Random(7).sample([k for k in g.symbols if g.calls.in_degree(k) > 0], 140 + calls)
    guard = ServerGuard.for_tests(state or Path(tempfile.mkdtemp(prefix="vigil-instr-")), "codegraph")
    server = build_server(CodegraphSettings(db=g.db_path, reindex=False), guard, graph=g)
    pipeline = guard.pipeline
    for limits in pipeline.policy.limits:
        limits.rate.calls = 10**9
    loop = asyncio.new_event_loop()
    loop.run_until_complete(warm_guard(server))
    spec, cost_class = loop.run_until_complete(tool_table(server))[tool]

    def prepared(keys: list[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out = []
        for key in keys:
            if tool == "get_callers":
                callers = answers.callers_result(g, key)
                result = typed_result(callers, render.callers_text(callers))
                arguments: dict[str, Any] = {"symbol": key}
            else:
                impact = answers.impact_result(g, key, 3)
                result = typed_result(impact, render.impact_text(impact))
                arguments = {"symbol": key, "depth": 3}
            out.append((arguments, result.model_dump(mode="json", by_alias=True, exclude_none=True)))
        return out

    async def run(batch: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        for arguments, answer in batch:
            action = Action(actor=guard.default_actor, tool=tool, arguments=arguments)
            call = Call(pipeline, action, spec, cost_class, None, "server:codegraph")
            for layer in pipeline.layers:
                if not layer.always:
                    result = await layer.check(call)
                    if result.decision is not None:
                        _add(call.verdict, result.decision)
            for layer in pipeline.layers:
                if layer.always:
                    result = await layer.check(call)
                    if result.decision is not None:
                        call.verdict.decisions.append(result.decision)
            if not call.verdict.allowed:
                raise RuntimeError(f"refused: {call.verdict.denial}")
            _screen(answer, action, guard)

    loop.run_until_complete(run(prepared(sample[calls:])))  # warm-up, not counted
    batch = prepared(sample[:calls])  # built before the counted part
    os.getppid()  # callgrind --zero-before=os_getppid: counting starts
    loop.run_until_complete(run(batch))
    os.getpgrp()  # callgrind --dump-before=os_getpgrp: counting stops


def screen(db: Path, state: Path) -> None:
    """Screen the index ahead under the key of the guard whose state is `state` (the tree's own code)."""
    sys.path.insert(0, str(Path.cwd()))
    from mcp_servers.codegraph.graph import CodeGraph
    from mcp_servers.codegraph.server import use_screening
    from mcp_servers.common.server import ServerGuard

    print(use_screening(CodeGraph(db), ServerGuard.for_tests(state, "codegraph"), screen_now=True), file=sys.stderr)


def count(tree: Path, db: Path, tool: str, calls: int, state: Path | None = None) -> float:
    """Millions of instructions per call of the tree's guard, read from callgrind's dump."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
    if state is not None:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), str(db.resolve()), "--screen", str(state)],
                       cwd=tree, env=env, check=True)
    with tempfile.TemporaryDirectory(prefix="vigil-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--zero-before=os_getppid", "--dump-before=os_getpgrp",
             f"--callgrind-out-file={out}", sys.executable, str(Path(__file__).resolve()), str(db.resolve()),
             "--workload", "--tool", tool, "--calls", str(calls), *(["--state", str(state)] if state else [])],
            cwd=tree, env=env, check=True,
            capture_output=True)
        dumps = sorted(Path(tmp).glob("callgrind.out.*"))  # the dump taken at os_getpgrp
        if not dumps:
            raise RuntimeError("callgrind wrote no dump at os.getpgrp(): was the workload run?")
        summary = re.search(r"^summary: (\d+)", dumps[0].read_text(), re.M)
        if summary is None:
            raise RuntimeError(f"no summary line in {dumps[0]}")
        return int(summary.group(1)) / calls / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="an index DB of a Lib/ copy (bench.py builds one)")
    ap.add_argument("--tool", choices=TOOLS, default="get_callers")
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--tree", type=Path, action="append", help="a Vigil source tree (repeatable; default: cwd)")
    ap.add_argument("--state", type=Path, help="the guard's state dir; the index is screened ahead under its key")
    ap.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--screen", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.screen:
        screen(args.db, args.screen)
        return
    if args.workload:
        workload(args.db, args.tool, args.calls, args.state)
        return
    trees = args.tree or [Path.cwd()]
    state = args.state.resolve() if args.state else None
    print(json.dumps({str(t): round(count(t.resolve(), args.db, args.tool, args.calls, state), 3) for t in trees}))


if __name__ == "__main__":
    main()
