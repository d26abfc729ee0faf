"""Code knowledge graph benchmarks: accuracy, index speed and memory, re-index, MCP latency.

    .venv/bin/python benchmarks/codegraph/bench.py [--skip-cpython] [--quick]

What it measures (results in benchmarks/results/codegraph.json, summary printed):
1. caller precision/recall on hand-checked cases (benchmarks/codegraph/cases/*.yaml) from real
   projects: the requests and rich sdists (fetched with `pip download --no-deps --no-binary :all:`
   into a temp dir) and this repository;
2. full index of the local CPython's Lib/ (every .py file except site-packages; __pycache__ has
   none) with wall time, CPU time and peak memory of the whole process tree, sampled from /proc;
3. single-file re-index after a body edit and after an interface edit, on a copy of Lib/;
4. get_callers and get_impact_radius (depth 3) over MCP stdio against that index: p50/p95,
   a real `vigil-codegraph` server process, with the guardrail middleware and its audit log;
   and the same answers computed directly on the warm graph (no transport, no guardrails).
   (At most 280 calls: the shipped policy allows an actor 300 calls a minute.)
   Side by side with CodeGraph 1.6.1 when its `codegraph` is on PATH or given by --peer, e.g.
   `npm install --prefix /tmp/cg @colbymchenry/codegraph@1.6.1` (its Linux binary comes in the npm
   package) and `--peer /tmp/cg/node_modules/.bin/codegraph`; the two servers' calls interleave
   one by one, so the machine's load falls on both alike; each server process's CPU time per call
   (from /proc, user + system) is recorded beside its latency. A probe of append + fdatasync where
   the audit log lives, before and after, tells a run on a busy disk apart. Diagnostics: the
   guarded server, the same with the audit fsync off and without the middleware, interleaved in
   one run, then the guarded server alone (see `diagnostics`).
Timings depend on what else runs on the machine; the load average at the start is recorded.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from mcp_servers.codegraph.graph import CodeGraph  # noqa: E402
from mcp_servers.codegraph.indexer import index_repository  # noqa: E402

CPYTHON_LIB = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
RESULTS = ROOT / "benchmarks" / "results" / "codegraph.json"


# ---- accuracy ---------------------------------------------------------------------------------
def fetch_sdist(spec: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                    "-d", str(into), spec], check=True, capture_output=True)
    name = spec.split("==")[0]
    archive = next(p for p in into.iterdir() if p.name.lower().startswith(name) and p.name.endswith(".tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def accuracy(work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tp_all = fp_all = fn_all = 0
    for case_file in sorted((HERE / "cases").glob("*.yaml")):
        spec = yaml.safe_load(case_file.read_text())
        if "sdist" in spec:
            base = fetch_sdist(spec["sdist"], work / spec["project"])
            root = base / spec["root"]
        else:
            root = ROOT / spec["root"]
        db = work / f"{spec['project']}.db"
        report = index_repository(root, db, full=True)
        g = CodeGraph(db)
        tp = fp = fn = 0
        misses: list[str] = []
        extras: list[str] = []
        for plain_target, callers in spec["cases"].items():
            # The case files name symbols as Python writes them; keys carry the language family.
            target = f"py:{plain_target}"
            truth = {f"py:{c}" if ":" in c else c for c in callers}
            got = {c for c, _ in g.callers(target)} if target in g.symbols else set()
            if target not in g.symbols:
                misses.append(f"{target}: not indexed")
            tp += len(truth & got)
            fp += len(got - truth)
            fn += len(truth - got)
            misses += [f"{target} <- {c}" for c in sorted(truth - got)]
            extras += [f"{target} <- {c}" for c in sorted(got - truth)]
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        out[spec["project"]] = {
            "cases": len(spec["cases"]), "true_callers": tp + fn, "found": tp + fp,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "missed": misses, "wrong": extras, "files": report.counts.get("files", 0),
            "index_seconds": report.seconds,
        }
        print(f"accuracy {spec['project']}: precision {out[spec['project']]['precision']:.3f} "
              f"recall {out[spec['project']]['recall']:.3f} ({len(spec['cases'])} symbols, {tp + fn} callers)")
    out["all"] = {"precision": round(tp_all / (tp_all + fp_all), 4), "recall": round(tp_all / (tp_all + fn_all), 4),
                  "true_callers": tp_all + fn_all}
    print(f"accuracy overall: precision {out['all']['precision']:.3f} recall {out['all']['recall']:.3f}")
    return out


# ---- index speed and memory ---------------------------------------------------------------------
def _tree_pss_kib(pid: int) -> int:
    """Memory of a process and all its descendants, from /proc: the sum of their proportional set
    sizes (Pss), so pages forked workers share with the parent are counted once, not per process."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


INDEX_SNIPPET = """
import json, resource, sys, time
from mcp_servers.codegraph.indexer import index_repository
t = time.perf_counter()
r = index_repository(sys.argv[1], sys.argv[2], full=True, workers=int(sys.argv[3]))
wall = time.perf_counter() - t
ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "phases": r.phases, "counts": r.counts, "errors": len(r.errors),
    "cpu": ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime,
    "maxrss_main_mib": ru_self.ru_maxrss / 1024, "maxrss_worker_mib": ru_kids.ru_maxrss / 1024}))
"""


def index_once(src: Path, db: Path, workers: int) -> dict[str, Any]:
    db.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", INDEX_SNIPPET, str(src), str(db), str(workers)],
                            stdout=subprocess.PIPE, cwd=ROOT, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_pss_kib(proc.pid))
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    stdout, _ = proc.communicate()
    stop.set()
    t.join()
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_tree_pss_mib"] = round(peak / 1024, 1)
    if not result["counts"].get("files"):
        raise SystemExit(f"indexing {src} found no files; nothing to measure")
    return result


def cpython_stats(lib: Path) -> dict[str, int]:
    files = [p for p in lib.rglob("*.py") if "site-packages" not in p.parts and "__pycache__" not in p.parts]
    return {"files": len(files), "lines": sum(p.read_bytes().count(b"\n") for p in files),
            "bytes": sum(p.stat().st_size for p in files)}


def reindex_timings(copy: Path, db: Path, runs: int) -> dict[str, Any]:
    target = copy / "json" / "decoder.py"
    original = target.read_text()
    body, iface = [], []
    for i in range(runs):
        edited = original.replace("        end = _w(s, end).end()", f"        end = _w(s, end).end()  # {i}", 1)
        assert edited != original
        target.write_text(edited)
        t = time.perf_counter()
        r = index_repository(copy, db, with_counts=False)
        body.append((time.perf_counter() - t) * 1000)
        assert r.mode == "file", r.mode
        target.write_text(original + f"\n\ndef added_{i}(x):\n    return x\n")
        t = time.perf_counter()
        r = index_repository(copy, db, with_counts=False)
        iface.append((time.perf_counter() - t) * 1000)
        assert r.mode == "dependents", r.mode
        target.write_text(original)
        index_repository(copy, db)
    target.write_text(original)
    index_repository(copy, db)
    return {"body_edit_ms_p50": round(statistics.median(body), 1), "body_edit_ms_max": round(max(body), 1),
            "interface_edit_ms_p50": round(statistics.median(iface), 1), "file": "json/decoder.py", "runs": runs}


# ---- MCP latency ----------------------------------------------------------------------------------
VARIANT_SNIPPET = """
import gc, sys, anyio
from pathlib import Path
from mcp_servers.codegraph.server import build_server, warm_guard
from mcp_servers.codegraph.settings import CodegraphSettings
from mcp_servers.codegraph.stdio import run_stdio
from mcp_servers.common.sdk import lowlevel
from mcp_servers.common.server import ServerGuard
guard = ServerGuard.for_tests(sys.argv[2], "codegraph")
server = build_server(CodegraphSettings(db=Path(sys.argv[1]), reindex=False), guard)
anyio.run(warm_guard, server)  # as `serve` does before the first call
gc.freeze()
if sys.argv[3] == "no-middleware":
    lowlevel(server).middleware.clear()  # diagnostic only: the transport without the guardrails
elif sys.argv[3] == "no-fsync":
    guard.pipeline.audit.fsync = False  # diagnostic only: every layer, but audit records not fsynced
anyio.run(run_stdio, server)
"""
"""Diagnostic servers, to show where the time of a guarded call goes (never how Vigil runs); `guarded`
is the server as `vigil mcp codegraph` builds it."""


Calls = dict[str, list[dict[str, Any]]]
"""Tool name -> the arguments of each timed call."""


async def _stdio_samples(servers: dict[str, tuple[Any, Calls]]) -> dict[str, dict[str, Any]]:
    """p50/p95 of each tool of each server over stdio, one call at a time, after one warm-up call per tool
    (timed too: `first_call_ms`, what the first caller of a fresh server waits).

    `servers`: label -> (stdio parameters, calls); every server gets the same number of tools, in the
    same order, and the same number of calls per tool. With several servers the calls interleave:
    call k of every server's j-th tool runs before call k+1 of any, in an order that rotates, so a
    burst of load from the rest of the machine (disk syncs, other tenants) falls on all of them alike
    instead of on whichever ran during it. The order rotates by one each round ([A, B], [B, A] for two;
    [A, B, C], [B, C, A], [C, A, B] for three): no server always runs in the middle, where it would
    never follow its own previous call (as reversing the order every other round did for three: a
    server at either end ran twice in a row, on warm caches, every other round). Returns label -> tool -> row.
    """
    from contextlib import AsyncExitStack

    from mcp import Client

    labels = list(servers)
    tools = {label: list(calls.items()) for label, (_, calls) in servers.items()}
    out: dict[str, dict[str, Any]] = {label: {} for label in labels}
    async with AsyncExitStack() as stack:
        clients: dict[str, Any] = {}
        pids: dict[str, set[int]] = {}
        for label, (params, _) in servers.items():
            before = _child_pids()
            clients[label] = await stack.enter_async_context(Client(params, read_timeout_seconds=120))
            pids[label] = _child_pids() - before  # the server process this client started
        for label, (params, _) in servers.items():  # and a daemon it hands its calls to (CodeGraph does)
            pids[label] |= _daemons_serving(str(params.cwd)) if params.cwd else set()
        for client in clients.values():
            await client.list_tools()
        for j in range(len(tools[labels[0]])):
            samples: dict[str, list[float]] = {label: [] for label in labels}
            first: dict[str, float] = {}
            for label in labels:  # one untimed warm-up call per tool; its time is kept as first_call_ms
                tool, arg_list = tools[label][j]
                t = time.perf_counter()
                await clients[label].call_tool(tool, arg_list[0])
                first[label] = (time.perf_counter() - t) * 1000
            cpu_before = {label: _tree_cpu_s(pids[label]) for label in labels}
            sys_before = {label: _tree_cpu_s(pids[label], system_only=True) for label in labels}
            for k in range(len(tools[labels[0]][j][1])):
                for label in labels[k % len(labels):] + labels[:k % len(labels)]:
                    tool, arg_list = tools[label][j]
                    t = time.perf_counter()
                    result = await clients[label].call_tool(tool, arg_list[k])
                    samples[label].append((time.perf_counter() - t) * 1000)
                    assert not result.is_error, result
            for label in labels:
                ordered = sorted(samples[label])
                cpu = _tree_cpu_s(pids[label]) - cpu_before[label]
                system = _tree_cpu_s(pids[label], system_only=True) - sys_before[label]
                out[label][tools[label][j][0]] = {
                    "p50_ms": round(statistics.median(ordered), 3),
                    "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3), "calls": len(ordered),
                    "first_call_ms": round(first[label], 1),
                    "server_cpu_ms_per_call": round(cpu * 1000 / len(ordered), 3) if pids[label] else None,
                    "of_which_system_ms": round(system * 1000 / len(ordered), 3) if pids[label] else None}
    return out


def _child_pids() -> set[int]:
    """This process's direct children, from /proc."""
    me = os.getpid()
    found: set[int] = set()
    for task in os.listdir(f"/proc/{me}/task"):
        try:
            with open(f"/proc/{me}/task/{task}/children") as fh:
                found.update(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _daemons_serving(path: str) -> set[int]:
    """Processes not started by this one that serve `path`: CodeGraph's `serve --mcp` is a thin stdio
    proxy to a long-lived daemon (`serve --mcp --path DIR`, reparented to init, reused by later
    servers), which does the work; its CPU time belongs to the calls as much as the proxy's."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and b"--path" in argv and path.encode() in argv and int(entry) != os.getpid():
            found.add(int(entry))
    return found


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(pids: set[int], *, system_only: bool = False) -> float:
    """User + system (or only system: the kernel's share, syscalls such as write and fdatasync) CPU
    seconds of these processes and their descendants, from /proc/<pid>/stat (clock ticks, usually
    10 ms each: over 140 calls a per-call figure is good to ~0.1 ms)."""
    total = 0
    todo = list(pids)
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (0 if system_only else int(fields[11])) + int(fields[12])  # utime, stime (stat's 14, 15)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    return total / _TICK


def _vigil_calls(keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {"get_callers": [{"symbol": k} for k in keys],
            "get_impact_radius": [{"symbol": k, "depth": 3} for k in keys]}


def peer_index(peer: str, lib: Path) -> dict[str, Any]:
    """CodeGraph's own index of the same Lib/ copy (`codegraph init -y`), timed, unless present."""
    if (lib / ".codegraph").is_dir():
        return {"reused": True}
    t = time.perf_counter()
    subprocess.run([peer, "init", "-y", str(lib)], cwd=lib, env=_peer_env(), check=True, capture_output=True)
    return {"wall_s": round(time.perf_counter() - t, 1)}


def _peer_env() -> dict[str, str]:
    return {**os.environ, "CODEGRAPH_TELEMETRY": "0", "DO_NOT_TRACK": "1", "CODEGRAPH_NO_DOWNLOAD": "1",
            "CODEGRAPH_MCP_TOOLS": "callers,impact"}


def peer_server(peer: str, lib: Path, g: CodeGraph, keys: list[str]) -> tuple[Any, Calls]:
    """CodeGraph's MCP server (`codegraph serve --mcp`, its callers and impact tools) and the same
    symbols as Vigil is asked, named the way it takes them: `Class.method` plus the file defining it."""
    from mcp import StdioServerParameters

    named = [{"symbol": g.symbols[k].local, "file": g.symbols[k].path} for k in keys]
    params = StdioServerParameters(command=peer, args=["serve", "--mcp"], cwd=str(lib), env=_peer_env())
    return params, {"codegraph_callers": named, "codegraph_impact": [{**n, "depth": 3} for n in named]}


async def guard_stages(g: CodeGraph, keys: list[str], state: Path) -> dict[str, Any]:
    """Where a guarded call's time goes, stage by stage, in process on the same answers: the policy
    check (schema validation, scope, rate, its audit record written), redaction and injection
    screening of the answer, and the result's audit record with and without its fsync; then the
    whole guard warm and with the caches evicted before each call (see below)."""
    from guardrails import injection, redaction
    from guardrails.action import Action
    from mcp_servers.codegraph import answers
    from mcp_servers.codegraph.server import build_server
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.common.server import ServerGuard, tool_table

    guard = ServerGuard.for_tests(state, "codegraph")
    server = build_server(CodegraphSettings(db=g.db_path, reindex=False), guard, graph=g)
    spec, cost_class = (await tool_table(server))["get_callers"]
    pipeline = guard.pipeline
    texts = {k: answers.callers_answer(g, k) for k in keys}
    stages: dict[str, list[float]] = {}

    def timed(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        out = fn()
        stages.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return out

    injection.scan("warm up")  # the detector's first use loads its model
    for k in keys:
        action = Action(actor=guard.default_actor, tool="get_callers", arguments={"symbol": k})
        t = time.perf_counter()
        await pipeline.check(action, spec, cost_class)
        stages.setdefault("policy check + decision record (not synced)", []).append((time.perf_counter() - t) * 1000)
        red = timed("redaction of the answer", functools.partial(redaction.redact_text, texts[k]))
        timed("injection screening of the answer", functools.partial(injection.scan, red.text))
        timed("result record, fsynced", lambda: pipeline.audit.append({"kind": "result", "tool": "get_callers"}))
        timed("result record, not synced", lambda: pipeline.audit.append({"kind": "result", "tool": "get_callers"},
                                                                            durable=False))
    # The whole guard of one call (check, screening, fsynced result record), warm in a loop and with the
    # CPU caches evicted before each call, as the stdio server finds them after the client and the other
    # servers ran between two of its calls: the stages cost more there than in this loop, all alike.
    evict = bytearray(EVICT_BYTES)
    for label, cold in (("whole guard, warm", False), ("whole guard, caches evicted before each call", True)):
        for k in keys:
            if cold:
                evict[::64] = b"\1" * len(range(0, EVICT_BYTES, 64))
            action = Action(actor=guard.default_actor, tool="get_callers", arguments={"symbol": k})
            t = time.perf_counter()
            await pipeline.check(action, spec, cost_class)
            pipeline.screen_result(action, texts[k])
            stages.setdefault(label, []).append((time.perf_counter() - t) * 1000)
    return {name: round(statistics.median(v), 3) for name, v in stages.items()}


EVICT_BYTES = 32 << 20
"""Written before each call of the cold run: more than the last-level cache of the machines measured."""


async def diagnostics(db: Path, state: Path, keys: list[str]) -> dict[str, Any]:
    """Where a guarded call's time goes over stdio: the guarded server, the same server with the
    audit fsync off, and without the middleware, interleaved call by call in one run, so that the
    differences between them are the fsync and the guardrails, not the moment or the company each
    was measured in; then the guarded server alone, nothing else called between its calls.

    The two runs differ by what runs between two calls of one server: interleaved, the other
    servers and the client do, and each call starts on caches and branch predictors they left
    behind. An interpreter pays more for that than the same guard pipeline in a warm loop, so
    only figures from the same kind of run are compared.
    """
    from mcp import StdioServerParameters

    def variant_server(variant: str, where: str) -> tuple[Any, Calls]:
        return (StdioServerParameters(command=sys.executable, args=["-c", VARIANT_SNIPPET, str(db), str(state / where),
                                                                    variant], cwd=str(ROOT)), _vigil_calls(keys))

    out: dict[str, Any] = {"diagnostics_method": "guarded, no-fsync and no-middleware servers interleaved call by "
                                                 "call in one run; then the guarded server alone"}
    rows = await _stdio_samples({v: variant_server(v, f"diag-{v}") for v in ("guarded", "no-fsync", "no-middleware")})
    rows["alone"] = (await _stdio_samples({"alone": variant_server("guarded", "diag-alone")}))["alone"]
    for variant, tools in rows.items():
        for tool, row in tools.items():
            out[f"{tool}_stdio_{variant.replace('-', '_')}"] = row
            print(f"mcp stdio {tool}, {variant} (diagnostic): p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms, "
                  f"server CPU {row['server_cpu_ms_per_call']} ms per call")
    return out


def fdatasync_probe(directory: Path, records: int = 60) -> dict[str, float]:
    """p50/p95 of one ~600-byte append plus `fdatasync` where the audit log lives, right now: what a
    durable record costs at the moment of the run (other tenants' disk traffic changes it 10x)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "fdatasync-probe.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    samples = []
    try:
        for _ in range(records):
            t = time.perf_counter()
            os.write(fd, b"x" * 600 + b"\n")
            os.fdatasync(fd)
            samples.append((time.perf_counter() - t) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(records * 0.95) - 1], 3)}


async def mcp_latency(db: Path, state: Path, calls: int, peer: str | None = None,
                      lib: Path | None = None) -> dict[str, Any]:
    from mcp import StdioServerParameters

    from mcp_servers.codegraph import answers

    g = CodeGraph(db)
    rng = random.Random(7)
    called = [k for k in g.symbols if g.calls.in_degree(k) > 0]
    keys = rng.sample(called, min(calls, len(called)))
    out: dict[str, Any] = {"loadavg_before": os.getloadavg(), "fdatasync_before": fdatasync_probe(state)}
    # The answer alone, on the warm graph, without transport or guardrails.
    for tool, fn in (("get_callers", lambda k: answers.callers_answer(g, k)),
                     ("get_impact_radius", lambda k: answers.impact_answer(g, k, 3))):
        samples = []
        for key in keys:
            t = time.perf_counter()
            fn(key)
            samples.append((time.perf_counter() - t) * 1000)
        out[f"{tool}_answer_only"] = {"p50_ms": round(statistics.median(samples), 3)}
    # The product: `vigil mcp codegraph` as Claude Code starts it, guardrails and audit log included, its
    # index screened ahead under its audit key as a server that indexed at start has it
    # (mcp_servers/codegraph/verdicts.py; done here in process, before the clock starts).
    from mcp_servers.codegraph.server import use_screening
    from mcp_servers.common.server import ServerGuard

    out["screened_ahead"] = use_screening(g, ServerGuard.for_tests(state / "product", "codegraph"), screen_now=True)
    print(f"screened ahead: {out['screened_ahead']}")
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "mcp_servers.codegraph.cli", "mcp-codegraph", "--db", str(db), "--no-reindex",
        "--state-dir", str(state / "product")], cwd=str(ROOT))
    servers: dict[str, tuple[Any, Calls]] = {"vigil": (params, _vigil_calls(keys))}
    if peer and lib is not None:  # side by side, call by call
        out["codegraph_npm_version"] = subprocess.run([peer, "--version"], env=_peer_env(), capture_output=True,
                                                      text=True, timeout=60).stdout.strip()
        out["codegraph_npm_index"] = peer_index(peer, lib)
        servers["codegraph_npm"] = peer_server(peer, lib, g, keys)
        out["method"] = "Vigil and CodeGraph interleaved call by call (order alternating), same symbols"
    rows = await _stdio_samples(servers)
    out.update(rows["vigil"])
    for tool, row in rows["vigil"].items():
        print(f"mcp stdio {tool}: p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms")
    if "codegraph_npm" in rows:
        theirs = rows["codegraph_npm"]
        out["codegraph_npm"] = {"get_callers": theirs["codegraph_callers"],
                                "get_impact_radius": theirs["codegraph_impact"]}
        for tool, row in out["codegraph_npm"].items():
            ratio = out[tool]["p50_ms"] / row["p50_ms"]
            print(f"CodeGraph (npm) {tool}: p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms; "
                  f"Vigil/CodeGraph p50 {ratio:.2f}x")
    out.update(await diagnostics(db, state, keys))
    out["guard_stages_p50_ms"] = await guard_stages(g, keys, state / "stages")
    for name, ms in out["guard_stages_p50_ms"].items():
        print(f"  guarded call stage, in process: {name}: p50 {ms:.3f} ms")
    out["loadavg_after"] = os.getloadavg()
    out["fdatasync_after"] = fdatasync_probe(state)
    print(f"append + fdatasync where the audit log lives: p50 {out['fdatasync_before']['p50_ms']:.2f} ms before, "
          f"{out['fdatasync_after']['p50_ms']:.2f} ms after")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-cpython", action="store_true", help="accuracy only")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--peer", metavar="BIN", default=shutil.which("codegraph"),
                    help="CodeGraph's `codegraph` executable (npm @colbymchenry/codegraph) to measure side by "
                         "side over MCP stdio on the same Lib/ copy (default: `codegraph` on PATH, if any)")
    ap.add_argument("--latency-only", nargs=2, metavar=("LIB_COPY", "DB"), type=Path,
                    help="only the MCP latency, against an existing index DB of a Lib/ copy (and CodeGraph's "
                         "index in LIB_COPY/.codegraph, built when missing); results are printed, not saved")
    args = ap.parse_args()
    if args.latency_only:
        import anyio

        lib, db = args.latency_only
        with tempfile.TemporaryDirectory(prefix="vigil-codegraph-bench-") as tmp:
            print(json.dumps(anyio.run(lambda: mcp_latency(db, Path(tmp), 140, args.peer, lib)), indent=2))
        return
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()},
                               "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="vigil-codegraph-bench-") as tmp:
        work = Path(tmp)
        results["accuracy"] = accuracy(work)
        if not args.skip_cpython:
            results["cpython_lib"] = {"path": str(CPYTHON_LIB), **cpython_stats(CPYTHON_LIB),
                                      "excluded": "site-packages (third-party), __pycache__"}
            runs = []
            for _ in range(1 if args.quick else 3):
                r = index_once(CPYTHON_LIB, work / "cpython.db", workers=2)
                runs.append(r)
                print(f"full index CPython Lib/: {r['wall']:.2f} s wall, {r['cpu']:.1f} s CPU, "
                      f"peak memory (PSS) of process tree {r['peak_tree_pss_mib']} MiB, phases {r['phases']}")
            best = min(runs, key=lambda r: r["wall"])
            results["full_index"] = {"runs": runs, "best_wall_s": round(best["wall"], 2),
                                     "median_wall_s": round(statistics.median(r["wall"] for r in runs), 2),
                                     "max_peak_tree_pss_mib": max(r["peak_tree_pss_mib"] for r in runs)}
            copy = work / "lib-copy"
            shutil.copytree(CPYTHON_LIB, copy, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
            index_repository(copy, work / "copy.db")
            results["reindex"] = reindex_timings(copy, work / "copy.db", 5 if args.quick else 15)
            print(f"single-file re-index: body edit p50 {results['reindex']['body_edit_ms_p50']} ms, "
                  f"interface edit p50 {results['reindex']['interface_edit_ms_p50']} ms")
            import anyio

            results["mcp_stdio"] = anyio.run(lambda: mcp_latency(work / "cpython.db", work / "state",
                                                                100 if args.quick else 140, args.peer, copy))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
