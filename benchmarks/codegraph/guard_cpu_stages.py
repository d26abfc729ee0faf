"""CPU per stage of the guard of one code-graph call, in process: a before/after measure that load moves little.

    .venv/bin/python benchmarks/codegraph/guard_cpu_stages.py DB [fresh|repeat] [STATE_DIR]

Run it from each of two source trees (e.g. `git archive <commit> | tar -x -C /tmp/a`, then
`cd /tmp/a && .venv/bin/python benchmarks/codegraph/guard_cpu_stages.py DB`), alternating, and
compare the medians. The middleware's stages run one by one on the real typed answers of 140
symbols of an existing index DB: each layer's check, the decision record, the screening of the
text with its fsynced result record and the structured copy's redaction (`_screen`), as
mcp_servers/common/server.py runs them. Time is the calling thread's CPU (`time.thread_time_ns`),
so waiting for the flush or for a core taken by other tenants is not counted; the p50 of each
stage is printed, then all of it as JSON. `fresh` asks symbols the process has not seen (after
warming on 140 others, as the stdio bench asks); `repeat` asks the warm-up's symbols again. The
policy's rate limit is raised so that the layers are measured, not its refusal. With STATE_DIR the
guard's audit log and key live there and the index is screened ahead under that key first, as a server
that indexed at start has it (mcp_servers/codegraph/verdicts.py; once per key and index, tens of seconds
on CPython's Lib); without it the key is new and nothing is screened ahead.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))  # the tree it is run from, not necessarily this file's

from guardrails.action import Action  # noqa: E402
from guardrails.layers.base import Call  # noqa: E402
from guardrails.pipeline import _add  # noqa: E402
from mcp_servers.codegraph import answers, render  # noqa: E402
from mcp_servers.codegraph.graph import CodeGraph  # noqa: E402
from mcp_servers.codegraph.server import build_server, warm_guard  # noqa: E402
from mcp_servers.codegraph.settings import CodegraphSettings  # noqa: E402
from mcp_servers.common.server import ServerGuard, _screen, tool_table  # noqa: E402
from mcp_servers.common.structured import typed_result  # noqa: E402

TOOLS = ("get_callers", "get_impact_radius")


def _answer(g: CodeGraph, tool: str, key: str) -> dict[str, Any]:
    """The tool's result as the middleware receives it (a dict: text and structured content)."""
    if tool == "get_callers":
        callers = answers.callers_result(g, key)
        result = typed_result(callers, render.callers_text(callers))
    else:
        impact = answers.impact_result(g, key, 3)
        result = typed_result(impact, render.impact_text(impact))
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


async def measure(db: Path, mode: str, state: Path | None = None) -> dict[str, dict[str, float]]:
    g = CodeGraph(db)
    sample = random.Random(7).sample([k for k in g.symbols if g.calls.in_degree(k) > 0], 280)
    keys, warm_keys = sample[:140], sample[140:]
    guard = ServerGuard.for_tests(state or Path(tempfile.mkdtemp(prefix="vigil-stages-")), "codegraph")
    if state is not None:
        from mcp_servers.codegraph.server import use_screening

        print(f"screened ahead: {use_screening(g, guard, screen_now=True)}", file=sys.stderr)
    server = build_server(CodegraphSettings(db=g.db_path, reindex=False), guard, graph=g)
    pipeline = guard.pipeline
    for limits in pipeline.policy.limits:
        limits.rate.calls = 10**9
    await warm_guard(server)
    table = await tool_table(server)
    out: dict[str, dict[str, float]] = {}
    for tool in TOOLS:
        spec, cost_class = table[tool]
        stages: dict[str, list[float]] = {}

        def add(name: str, since: int, into: dict[str, list[float]] = stages) -> None:
            into.setdefault(name, []).append((time.thread_time_ns() - since) / 1000)

        for round_ in range(2):  # round 0 warms the memos, as a long-running server's are
            for key in warm_keys if round_ == 0 and mode == "fresh" else keys:
                arguments: dict[str, Any] = {"symbol": key} if tool == "get_callers" else {"symbol": key, "depth": 3}
                action = Action(actor=guard.default_actor, tool=tool, arguments=arguments)
                start = time.thread_time_ns()
                call = Call(pipeline, action, spec, cost_class, None, "server:codegraph")
                for layer in pipeline.layers:
                    if not layer.always:
                        t = time.thread_time_ns()
                        result = await layer.check(call)
                        add(f"check: {layer.name}", t)
                        if result.decision is not None:
                            _add(call.verdict, result.decision)
                for layer in pipeline.layers:
                    if layer.always:
                        t = time.thread_time_ns()
                        result = await layer.check(call)
                        add("check: audit decision record", t)
                        if result.decision is not None:
                            call.verdict.decisions.append(result.decision)
                add("check, all layers", start)
                if not call.verdict.allowed:
                    raise RuntimeError(f"refused: {call.verdict.denial}")
                answer = _answer(g, tool, key)
                t = time.thread_time_ns()
                _screen(answer, action, guard)
                add("screening, result record, structured copy (_screen)", t)
                add("whole guard", start)
            if round_ == 0:
                stages.clear()
        out[tool] = {name: round(statistics.median(v), 1) for name, v in stages.items()}
    return out


def main() -> None:
    if len(sys.argv) < 2 or len(sys.argv) > 4 or (len(sys.argv) > 2 and sys.argv[2] not in ("fresh", "repeat")):
        sys.exit(__doc__)
    out = asyncio.run(measure(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "fresh",
                              Path(sys.argv[3]) if len(sys.argv) > 3 else None))
    for tool, stages in out.items():
        print(f"{tool} (p50, us of CPU)")
        for name, us in stages.items():
            print(f"  {name:56s} {us:8.1f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
