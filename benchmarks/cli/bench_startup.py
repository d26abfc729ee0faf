"""Benchmark: how fast the `vigil` command answers, and how fast each `vigil mcp NAME` server is ready.

Issue 17 (start-up). Targets: `vigil --help` and `vigil --version` under 0.3 s; every MCP server
answers `initialize` under 1 s from spawn. Measured as a user meets them: a fresh process of the
installed console script each run (median of --runs), wall time and CPU time (user+sys of the child,
which a busy shared machine inflates less than wall time). The `python -X importtime` breakdown
names the modules that cost the most, so a regression shows where it came from.

The MCP servers are spawned by the official MCP client over stdio (what Claude Code does) with
settings that need no live backend (an unreachable kubeconfig, Prometheus and Loki URLs; gitops not
configured; codegraph on a one-file repository): time from spawn to `initialize` answered and to
`tools/list` answered. Nothing is called, so no backend is contacted.

Run: .venv/bin/python benchmarks/cli/bench_startup.py [--runs 5] [--mcp-runs 3] [--only NAME ...]
Writes benchmarks/results/cli_startup.json. To measure another checkout of Vigil with the same
script (a before/after pair), put it first on PYTHONPATH and pass --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "cli_startup.json"
CLI_TARGET_S = 0.3
MCP_TARGET_S = 1.0
SERVERS = ["kubernetes", "prometheus", "loki", "codegraph", "gitops", "investigate"]


def vigil_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).with_name("vigil")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from agent.cli import main; sys.exit(main())"]


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user+sys) and exit status of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def measure_command(args: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    walls, cpus, codes = [], [], set()
    timed_run([*vigil_command(), *args], env)  # warm the page cache and .pyc files once
    for _ in range(runs):
        wall, cpu, code = timed_run([*vigil_command(), *args], env)
        walls.append(wall)
        cpus.append(cpu)
        codes.add(code)
    return {"command": " ".join(["vigil", *args]), "runs": runs, "median_wall_s": round(statistics.median(walls), 3),
            "median_cpu_s": round(statistics.median(cpus), 3), "min_wall_s": round(min(walls), 3),
            "exit_codes": sorted(codes)}


def import_breakdown(args: list[str], env: dict[str, str], top: int = 12) -> dict[str, Any]:
    """`python -X importtime` of one command: total import time and the costliest direct imports."""
    code = f"import sys; sys.argv = ['vigil', *{args!r}]; from agent.cli import main; main()"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    rows: list[tuple[str, int, int, int]] = []  # module, self us, cumulative us, depth
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((name.strip(), int(self_us), int(cumulative_us), depth))
    top_level = sorted((r for r in rows if r[3] <= 1), key=lambda r: -r[2])[:top]
    by_self = sorted(rows, key=lambda r: -r[1])[:top]
    return {
        "command": " ".join(["vigil", *args]),
        "modules_imported": len(rows),
        "total_import_ms": round(sum(r[1] for r in rows) / 1000, 1),
        "top_cumulative_ms": {name: round(cum / 1000, 1) for name, _, cum, _ in top_level},
        "top_self_ms": {name: round(own / 1000, 1) for name, own, _, _ in by_self},
    }


def _fixtures(scratch: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Arguments and environment for each server: no live backend is needed to initialize and list tools."""
    kubeconfig = scratch / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: bench\n"
        "clusters: [{name: bench, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: bench, user: {token: not-a-real-token}}]\n"
        "contexts: [{name: bench, context: {cluster: bench, user: bench}}]\n", encoding="utf-8")
    repo = scratch / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def handler():\n    return helper()\n\n\ndef helper():\n    return 1\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    state = ["--state-dir", str(scratch / "state")]
    return {
        "kubernetes": (["--kubeconfig", str(kubeconfig), *state], {}),
        "prometheus": (["--url", "http://127.0.0.1:9", *state], {}),
        "loki": (["--url", "http://127.0.0.1:9", *state], {}),
        "codegraph": (["--repo", str(repo), *state], {}),
        "gitops": (state, {}),
        "investigate": ([], {"VIGIL__STATE_DIR": str(scratch / "state")}),
    }


async def _ready_once(name: str, args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    from mcp import Client, StdioServerParameters

    command = vigil_command()
    params = StdioServerParameters(command=command[0], args=[*command[1:], "mcp", name, *args], env=env,
                                   cwd=str(cwd))
    started = time.perf_counter()
    async with Client(params) as client:
        initialized = time.perf_counter() - started
        tools = await client.list_tools()
        listed = time.perf_counter() - started
    return initialized, listed, len(tools.tools)


def measure_servers(names: list[str], runs: int, base_env: dict[str, str]) -> list[dict[str, Any]]:
    import anyio

    results = []
    with tempfile.TemporaryDirectory(prefix="vigil-bench-startup-") as tmp:
        scratch = Path(tmp)
        fixtures = _fixtures(scratch)
        for name in names:
            args, extra_env = fixtures[name]
            env = {**base_env, **extra_env}
            anyio.run(_ready_once, name, args, env, scratch)  # warm .pyc files and caches once
            inits, lists, counts = [], [], set()
            for _ in range(runs):
                initialized, listed, count = anyio.run(_ready_once, name, args, env, scratch)
                inits.append(initialized)
                lists.append(listed)
                counts.add(count)
            results.append({"server": name, "command": " ".join(["vigil mcp", name, *args]).replace(tmp, "$TMP"),
                            "runs": runs, "median_initialize_s": round(statistics.median(inits), 3),
                            "median_tools_list_s": round(statistics.median(lists), 3),
                            "max_initialize_s": round(max(inits), 3), "tools": sorted(counts),
                            "meets_target": statistics.median(inits) < MCP_TARGET_S})
            print(f"mcp {name:<12} initialize {statistics.median(inits):.3f}s  tools/list "
                  f"{statistics.median(lists):.3f}s  ({sorted(counts)} tools)", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per CLI command (median)")
    parser.add_argument("--mcp-runs", type=int, default=3, help="runs per MCP server (median)")
    parser.add_argument("--only", nargs="*", choices=SERVERS, help="only these MCP servers")
    parser.add_argument("--no-mcp", action="store_true", help="skip the MCP servers")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    options = parser.parse_args()
    env = {**os.environ, "COLUMNS": "100", "PYTHONDONTWRITEBYTECODE": "0"}
    env.pop("VIGIL_CONFIG", None)
    commands = []
    for args in (["--help"], ["--version"], ["mcp", "--help"], ["code", "--help"], ["config", "check"]):
        row = measure_command(args, options.runs, env)
        row["meets_target"] = row["median_wall_s"] < CLI_TARGET_S if args[0] in ("--help", "--version") else None
        commands.append(row)
        print(f"{row['command']:<22} wall {row['median_wall_s']:.3f}s  cpu {row['median_cpu_s']:.3f}s", flush=True)
    breakdown = [import_breakdown(["--help"], env), import_breakdown(["code", "--help"], env)]
    servers = [] if options.no_mcp else measure_servers(options.only or SERVERS, options.mcp_runs, env)
    result = {
        "benchmark": "cli_startup",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "checkout": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                   text=True, check=False).stdout.strip(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
        "targets": {"help_and_version_s": CLI_TARGET_S, "mcp_initialize_s": MCP_TARGET_S},
        "commands": commands,
        "imports": breakdown,
        "mcp_servers": servers,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
