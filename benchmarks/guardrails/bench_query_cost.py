"""What the hostile-caller checks add to a call: in-query cost rules and Kubernetes argument normalising.

Run: .venv/bin/python benchmarks/guardrails/bench_query_cost.py   (writes benchmarks/results/query_cost.json)

What is measured (p50/p99 per call):
- `Policy.check_costs` on typical PromQL queries (parse with promql-parser, walk, compare), and on
  an unparseable one (the text-bound fallback);
- the same for LogQL;
- the Kubernetes server's normaliser (`canonical_arguments`: names, selectors, kind through the
  cached discovery of a replay API server) for a k8s_get and a k8s_list call.
"""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from guardrails.action import Actor
from guardrails.policy import Policy
from guardrails.scope import Scope
from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.canonical import canonical_arguments
from mcp_servers.kubernetes.client import KubeClient, KubeSettings
from mcp_servers.kubernetes.replay import replay_server

ROOT = Path(__file__).resolve().parents[2]
PROMQL = [
    'rate(http_requests_total{job="api"}[5m])',
    "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"api\"}[5m])))",
    'max_over_time(sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="shop"}[5m]))[6h:1m])',
]
LOGQL = ['sum by (pod) (count_over_time({namespace="shop", app="checkout"} |= "error" [5m]))',
         '{namespace="shop", app="checkout"} |= "payment failed" | logfmt | level="error"']


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 4),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 4), "n": len(ordered)}


def timed(fn: Callable[[], object], n: int) -> dict[str, float]:
    fn()  # warm caches (parser import, discovery)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def main() -> None:
    policy, actor = Policy(), Actor(name="bench")
    now = time.time()
    results: dict[str, object] = {"python": platform.python_version(), "machine": platform.machine()}
    def judge(scope: Scope, cost_class: str) -> Callable[[], object]:
        return lambda: policy.check_costs(actor, None, scope, cost_class)

    for i, query in enumerate(PROMQL):
        results[f"promql_{i}"] = timed(judge(Scope(query=query, reference_ts=now, window_seconds=3600), "promql"), 2000)
    broken = Scope(query="sum(rate(http_requests_total{job=\"api\"}[5m])", reference_ts=now)
    results["promql_unparseable"] = timed(lambda: policy.check_costs(actor, None, broken, "promql"), 2000)
    for i, query in enumerate(LOGQL):
        results[f"logql_{i}"] = timed(judge(Scope(query=query), "logql"), 2000)
    bundle = Bundle.load(ROOT / "examples" / "incidents" / "checkout-oom")
    with tempfile.TemporaryDirectory() as tmp, replay_server(bundle, Path(tmp) / "kubeconfig") as handle:
        kc = KubeClient(KubeSettings(kubeconfig=str(handle.kubeconfig)))
        get = {"kind": "deploy", "name": "checkout", "namespace": "shop"}
        listing = {"kind": "pods", "namespace": "shop", "label_selector": "app in (checkout,cart),tier!=cache"}
        results["k8s_normalise_get"] = timed(lambda: canonical_arguments(kc, "k8s_get", get), 2000)
        results["k8s_normalise_list"] = timed(lambda: canonical_arguments(kc, "k8s_list", listing), 2000)
        kc.close()
    out = ROOT / "benchmarks" / "results" / "query_cost.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
