"""Runbook engine benchmark: catalog load, matching, planning and, with --live, the prefetch.

    .venv/bin/python benchmarks/runbooks/bench_runbooks.py [--live] [--repeat N]

Offline it times loading and linting the shipped catalog, matching each bundled alert, and
filling its tool calls, and counts the calls a runbook prefetches before the model's first turn.
With --live it also runs each scenario's calls in parallel through the real Kubernetes MCP server
(replay API server) and Prometheus MCP server (Debian's prometheus), times the prefetch, and
checks that runbook-only mode names the expected culprit. Results go to
benchmarks/results/runbooks.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.incident import from_payload  # noqa: E402
from agent.runbooks.catalog import SHIPPED_DIR, Catalog  # noqa: E402
from agent.runbooks.conclusions import conclude  # noqa: E402
from agent.runbooks.plan import plan_calls  # noqa: E402

EXAMPLES = ROOT / "examples" / "incidents"


def _ms(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples) * 1000, 3), "max_ms": round(max(samples) * 1000, 3)}


def offline(repeat: int) -> dict[str, Any]:
    loads = []
    for _ in range(repeat):
        start = time.perf_counter()
        catalog = Catalog.load([SHIPPED_DIR])
        loads.append(time.perf_counter() - start)
    scenarios: dict[str, Any] = {}
    for alert in sorted(EXAMPLES.glob("*/alerts/*.json")):
        [incident] = from_payload(json.loads(alert.read_text()))[:1]
        timings, plans = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            best = catalog.match(incident)[0]
            plan = plan_calls(best.runbook, incident)
            timings.append(time.perf_counter() - start)
            plans.append(plan)
        key = f"{alert.parent.parent.name}/{alert.name}"
        scenarios[key] = {
            "runbook": best.runbook.id,
            "prefetched_calls": len(plans[-1].calls),
            "skipped_steps": len(plans[-1].skipped),
            "match_and_plan": _ms(timings),
        }
    return {"runbooks": len(catalog.runbooks), "catalog_load_and_lint": _ms(loads), "scenarios": scenarios}


async def _live_one(bundle: Path, tmp: Path) -> dict[str, Any]:
    import anyio
    import yaml
    from mcp import Client

    from mcp_servers.common.server import ServerGuard
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.replay import replay_server
    from mcp_servers.kubernetes.server import build_server as kubernetes_server
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.local import LocalPrometheus
    from mcp_servers.prometheus.server import build_server as prometheus_server

    [incident] = from_payload(json.loads((bundle / "alerts" / "alertmanager.json").read_text()))
    runbook = Catalog.load([SHIPPED_DIR]).match(incident)[0].runbook
    plan = plan_calls(runbook, incident)
    evidence: dict[str, str] = {}
    with replay_server(bundle, tmp / "kubeconfig") as replay, \
            LocalPrometheus(sorted((bundle / "metrics").glob("*"))) as prom:
        guard = ServerGuard.for_tests(tmp)
        kube = kubernetes_server(KubeSettings(kubeconfig=str(replay.kubeconfig), context=replay.context), guard)
        metrics = prometheus_server(PromSettings(url=prom.url), guard)
        async with Client(kube) as kube_client, Client(metrics) as prom_client:
            kube_tools = {t.name for t in (await kube_client.list_tools()).tools}

            async def one(step_id: str, tool: str, arguments: dict[str, Any]) -> None:
                client = kube_client if tool in kube_tools else prom_client
                result = await client.call_tool(tool, arguments)
                if not result.is_error:
                    evidence[step_id] = "\n".join(getattr(p, "text", "") for p in result.content)

            start = time.perf_counter()
            async with anyio.create_task_group() as group:
                for call in plan.calls:
                    group.start_soon(one, call.step_id, call.tool, call.arguments)
            prefetch = time.perf_counter() - start
    start = time.perf_counter()
    conclusion = conclude(runbook, incident, evidence)
    rules = time.perf_counter() - start
    expected = yaml.safe_load((bundle / "expected.yaml").read_text())
    top = conclusion.findings[0] if conclusion.findings else None
    return {
        "runbook": runbook.id,
        "prefetched_calls": len(plan.calls),
        "calls_with_evidence": len(evidence),
        "prefetch_wall_ms": round(prefetch * 1000, 1),
        "rules_ms": round(rules * 1000, 3),
        "evidence_chars": sum(len(t) for t in evidence.values()),
        "top_finding": top.rule_id if top else None,
        "names_culprit": bool(top and (expected["culprit"]["name"] in top.text or (
            top.remediation is not None and top.remediation.fields.get("workload", {}).get("name")
            == expected["culprit"]["name"]))),
    }


def live() -> dict[str, Any]:
    import anyio

    results: dict[str, Any] = {}
    for bundle in sorted(p for p in EXAMPLES.glob("*") if (p / "expected.yaml").exists()):
        with tempfile.TemporaryDirectory() as tmp:
            results[bundle.name] = anyio.run(_live_one, bundle, Path(tmp))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", action="store_true", help="also run the scenarios against real servers")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    result: dict[str, Any] = {"offline": offline(args.repeat)}
    if args.live:
        result["live"] = live()
    out = ROOT / "benchmarks" / "results" / "runbooks.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
