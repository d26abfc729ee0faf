"""Before/after over MCP stdio: two source trees of Vigil (and CodeGraph, if given), call by call.

    .venv/bin/python benchmarks/codegraph/ab_trees.py LIB_COPY DB TREE_A TREE_B [--peer BIN] [--calls 140]

A change's effect on a guarded call is a millisecond or two, while the load of a shared machine
moves every number by more than that from one minute to the next; measured one after the other,
the before and after runs see different machines. Here both trees' `vigil-codegraph` servers (each
run from its own tree, e.g. `git archive <commit> | tar -x -C /tmp/a`) and CodeGraph's server
answer the same symbols of an existing index DB of a Lib/ copy, interleaved call by call
(benchmarks/codegraph/bench.py's `_stdio_samples`), with the guardrails and a fsynced audit log
each. Prints p50/p95 per server and tool, the server process's CPU per call (user + system, from
/proc, and the system share), and an append + fdatasync probe before and after, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from benchmarks.codegraph.bench import (  # noqa: E402
    Calls,
    _stdio_samples,
    _vigil_calls,
    fdatasync_probe,
    peer_index,
    peer_server,
)
from mcp_servers.codegraph.graph import CodeGraph  # noqa: E402


def tree_server(tree: Path, db: Path, state: Path) -> Any:
    """`vigil-codegraph` as Claude Code starts it, importing Vigil from `tree` only."""
    from mcp import StdioServerParameters

    return StdioServerParameters(command=sys.executable, args=[
        "-m", "mcp_servers.codegraph.cli", "mcp-codegraph", "--db", str(db), "--no-reindex",
        "--state-dir", str(state)], cwd=str(tree), env={**os.environ, "PYTHONPATH": str(tree)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lib", type=Path, help="the Lib/ copy the DB indexes (CodeGraph indexes it too)")
    ap.add_argument("db", type=Path)
    ap.add_argument("trees", type=Path, nargs=2, metavar="TREE", help="two Vigil source trees")
    ap.add_argument("--peer", help="CodeGraph's `codegraph` executable, to measure alongside")
    ap.add_argument("--calls", type=int, default=140)
    args = ap.parse_args()
    import anyio

    g = CodeGraph(args.db)
    keys = random.Random(7).sample([k for k in g.symbols if g.calls.in_degree(k) > 0], args.calls)
    with tempfile.TemporaryDirectory(prefix="vigil-ab-") as tmp:
        state = Path(tmp)
        servers: dict[str, tuple[Any, Calls]] = {
            f"{n}:{tree}": (tree_server(tree.resolve(), args.db.resolve(), state / str(n)), _vigil_calls(keys))
            for n, tree in enumerate(args.trees)}
        if args.peer:
            peer_index(args.peer, args.lib)
            servers["codegraph"] = peer_server(args.peer, args.lib, g, keys)
        before = fdatasync_probe(state)
        rows = anyio.run(lambda: _stdio_samples(servers))
        print(json.dumps({"loadavg": os.getloadavg(), "fdatasync_before": before,
                          "fdatasync_after": fdatasync_probe(state), **rows}, indent=2))


if __name__ == "__main__":
    main()
