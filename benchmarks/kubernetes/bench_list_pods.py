"""Benchmark: list pods across a 5,000-pod cluster with Vigil's k8s_list versus raw kubectl YAML.

Builds a synthetic bundle (5,000 pods over 50 namespaces, a few of them unhealthy: OOMKilled
restarts, CrashLoopBackOff, ImagePullBackOff), serves it with the replay API server, then measures:
- latency of `k8s_list(kind="pods")` over all namespaces through the MCP client (median, p95);
- the token size of that answer against `kubectl get pods -A -o yaml` for the same state;
- whether every unhealthy pod is in Vigil's answer at the default budget.

Run: .venv/bin/python benchmarks/kubernetes/bench_list_pods.py [--pods 5000] [--unhealthy 25] [--runs 5]
Writes benchmarks/results/kubernetes_list_pods.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import yaml
from mcp import Client

from mcp_servers.common.bundle import Bundle
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, estimate_tokens
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import replay_server
from mcp_servers.kubernetes.server import build_server

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "incidents" / "checkout-oom"
RESULTS = ROOT / "benchmarks" / "results" / "kubernetes_list_pods.json"


def build_bundle(target: Path, pods: int, unhealthy: int, namespaces: int = 50) -> list[str]:
    """A bundle whose pods are copies of real ones from checkout-oom; returns the unhealthy names."""
    source = Bundle.load(SOURCE)
    healthy_tpl = next(p for p in source.objects_of("Pod", "shop") if p["metadata"]["name"].startswith("cart-"))
    oom_tpl = next(p for p in source.objects_of("Pod", "shop") if p["metadata"]["name"].startswith("checkout-"))
    crash_tpl = copy.deepcopy(oom_tpl)
    status = crash_tpl["status"]["containerStatuses"][0]
    status["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed"}}
    status["ready"] = False
    pull_tpl = copy.deepcopy(healthy_tpl)
    pull = pull_tpl["status"]["containerStatuses"][0]
    pull["state"] = {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
    pull["ready"] = False
    pull_tpl["status"]["phase"] = "Pending"
    sick = [oom_tpl, crash_tpl, pull_tpl]
    step = max(1, pods // max(1, unhealthy))
    items: list[dict[str, Any]] = []
    bad: list[str] = []
    for i in range(pods):
        ns = f"team-{i % namespaces:02d}"
        is_bad = unhealthy > 0 and i % step == 0 and len(bad) < unhealthy
        pod = copy.deepcopy(sick[len(bad) % 3] if is_bad else healthy_tpl)
        name = f"svc-{i // 20:03d}-{i:05d}"
        pod["metadata"].update(name=name, namespace=ns, uid=f"uid-{i}")
        pod["metadata"].pop("ownerReferences", None)
        pod["metadata"].pop("annotations", None)
        items.append(pod)
        if is_bad:
            bad.append(name)
    cluster = target / "cluster"
    for ns in sorted({p["metadata"]["namespace"] for p in items}):
        (cluster / ns).mkdir(parents=True)
        (cluster / ns / "pods.json").write_text(json.dumps(
            {"kind": "PodList", "apiVersion": "v1", "items": [p for p in items if p["metadata"]["namespace"] == ns]}))
    shutil.copy(SOURCE / "cluster" / "nodes.json", cluster / "nodes.json")
    (target / "manifest.yaml").write_text(yaml.safe_dump({
        "name": "synthetic-5000", "incident_time": source.manifest.incident_time.isoformat(),
        "captured_at": source.captured_at.isoformat(), "cluster": {"context": "bench"}}))
    return bad


async def measure(kubeconfig: Path, runs: int, tmp: Path, budget: int) -> tuple[list[float], str]:
    server = build_server(KubeSettings(kubeconfig=str(kubeconfig)), ServerGuard.for_tests(tmp))
    timings, text = [], ""
    async with Client(server) as c:
        for _ in range(runs):
            started = time.perf_counter()
            result = await c.call_tool("k8s_list", {"kind": "pods", "budget_tokens": budget})
            timings.append(time.perf_counter() - started)
            text = "\n".join(getattr(i, "text", "") for i in result.content)
            assert not result.is_error, text
    return timings, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--unhealthy", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET_TOKENS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bad = build_bundle(tmp / "bundle", args.pods, args.unhealthy)
        with replay_server(tmp / "bundle", tmp / "kubeconfig") as handle:
            env = {**os.environ, "KUBECONFIG": str(handle.kubeconfig), "KUBECACHEDIR": str(tmp / "cache")}
            started = time.perf_counter()
            raw = subprocess.run(["kubectl", "get", "pods", "-A", "-o", "yaml"], env=env, capture_output=True,
                                 text=True, check=True, timeout=300).stdout
            kubectl_s = time.perf_counter() - started
            timings, answer = anyio.run(measure, handle.kubeconfig, args.runs, tmp, args.budget)
    kept = [name for name in bad if name in answer]
    result: dict[str, Any] = {
        "benchmark": "kubernetes_list_pods",
        "pods": args.pods, "unhealthy": len(bad), "runs": args.runs, "budget_tokens": args.budget,
        "vigil_latency_s": {"median": round(statistics.median(timings), 3), "max": round(max(timings), 3),
                            "min": round(min(timings), 3)},
        "vigil_answer_tokens": estimate_tokens(answer),
        "kubectl_yaml_tokens": estimate_tokens(raw),
        "kubectl_yaml_seconds": round(kubectl_s, 3),
        "reduction_factor": round(estimate_tokens(raw) / max(1, estimate_tokens(answer)), 1),
        "unhealthy_kept": len(kept),
        "all_unhealthy_kept": len(kept) == len(bad),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "note": "tokens estimated at 4 characters per token (mcp_servers.common.compact.estimate_tokens)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"pods {args.pods}, unhealthy {len(bad)}")
    latency = result['vigil_latency_s']
    print(f"k8s_list latency: median {latency['median']}s, worst {latency['max']}s")
    print(f"answer: {result['vigil_answer_tokens']} tokens vs kubectl -o yaml {result['kubectl_yaml_tokens']} tokens "
          f"({result['reduction_factor']}x smaller)")
    print(f"unhealthy pods kept: {len(kept)}/{len(bad)}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
