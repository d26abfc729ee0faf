"""The tool calls whose text must not change when the tools gained structured content.

`golden/*.json` holds each call's text captured before the change (`python -m
tests.structured.calls` rewrote it then); the tests replay the same calls and compare byte for
byte, because runbook rules and other tests read that text with regular expressions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).with_name("golden")

KUBE_CALLS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "checkout-oom": [
        ("k8s_list", {"kind": "pods"}),
        ("k8s_list", {"kind": "pods", "namespace": "shop", "problems_only": True}),
        ("k8s_list", {"kind": "deployments", "namespace": "shop"}),
        ("k8s_list", {"kind": "secrets", "namespace": "shop"}),
        ("k8s_list", {"kind": "services", "namespace": "shop"}),
        ("k8s_get", {"kind": "deployment", "name": "checkout", "namespace": "shop"}),
        ("k8s_get", {"kind": "node", "name": "ip-10-0-1-20.eu-west-1.compute.internal"}),
        ("k8s_get", {"kind": "pod", "name": "checkout-m74nkt6r2t-897mv", "namespace": "shop"}),
        ("k8s_get", {"kind": "pod", "name": "checkout-m74nkt6r2t-897mv", "namespace": "shop", "output": "yaml"}),
        ("k8s_describe", {"kind": "pod", "name": "checkout-m74nkt6r2t-897mv", "namespace": "shop"}),
        ("k8s_describe", {"kind": "node", "name": "ip-10-0-1-20.eu-west-1.compute.internal"}),
        ("k8s_get", {"kind": "secret", "name": "checkout-db", "namespace": "shop"}),
        ("k8s_describe", {"kind": "secret", "name": "checkout-db", "namespace": "shop"}),
        ("k8s_describe", {"kind": "statefulset", "name": "redis", "namespace": "shop"}),
        ("k8s_describe", {"kind": "deployment", "name": "checkout", "namespace": "shop"}),
        ("k8s_describe", {"kind": "service", "name": "checkout", "namespace": "shop"}),
        ("k8s_events", {"namespace": "shop"}),
        ("k8s_events", {}),
        ("k8s_rollout_history", {"name": "checkout", "namespace": "shop"}),
        ("k8s_nodes", {}),
        ("k8s_top", {"what": "pods", "namespace": "shop"}),
        ("k8s_top", {"what": "nodes"}),
    ],
    "payments-bad-config": [
        ("k8s_list", {"kind": "pods"}),
        ("k8s_events", {"namespace": "payments", "warnings_only": True}),
        ("k8s_rollout_history", {"name": "payments", "namespace": "payments"}),
    ],
    "catalog-bad-image": [
        ("k8s_list", {"kind": "pods", "namespace": "shop"}),
        ("k8s_list", {"kind": "nodes"}),
    ],
}
"""Calls per replayed incident (pod and node names are the bundles' own)."""


PROM_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("prom_query", {"query": "container_memory_working_set_bytes", "time": "2026-05-01T15:30:00Z"}),
    ("prom_query", {"query": "sum(container_memory_working_set_bytes)", "time": "2026-05-01T15:30:00Z"}),
    ("prom_query", {"query": "scalar(sum(container_memory_working_set_bytes))", "time": "2026-05-01T15:30:00Z"}),
    ("prom_query", {"query": "container_memory_working_set_bytes[5m]", "time": "2026-05-01T15:30:00Z"}),
    ("prom_query", {"query": "nope_metric", "time": "2026-05-01T15:30:00Z"}),
    ("prom_query_range", {"query": "container_memory_working_set_bytes", "start": "2026-05-01T15:00:00Z",
                          "end": "2026-05-01T16:00:00Z"}),
    ("prom_query_range", {"query": "sum by (pod) (rate(http_requests_total{code=\"500\"}[5m]))",
                          "start": "2026-05-01T14:00:00Z", "end": "2026-05-01T16:00:00Z", "top_k": 3}),
    ("prom_query_range", {"query": "container_memory_working_set_bytes{pod=\"checkout-7\"}", "baseline": "none",
                          "start": "2026-05-01T15:00:00Z", "end": "2026-05-01T15:10:00Z", "raw_points": True}),
    ("prom_series", {"match": "http_requests_total{pod=\"checkout-1\"}", "start": "2026-05-01T15:00:00Z",
                     "end": "2026-05-01T16:00:00Z"}),
    ("prom_series", {"match": "container_memory_working_set_bytes", "start": "2026-05-01T15:00:00Z",
                     "end": "2026-05-01T16:00:00Z", "limit": 5, "offset": 2}),
    ("prom_series", {"match": "nope_metric", "start": "2026-05-01T15:00:00Z", "end": "2026-05-01T16:00:00Z"}),
    ("prom_labels", {"start": "2026-05-01T15:00:00Z", "end": "2026-05-01T16:00:00Z"}),
    ("prom_label_values", {"label": "pod", "start": "2026-05-01T15:00:00Z", "end": "2026-05-01T16:00:00Z",
                           "limit": 4, "offset": 1}),
    ("prom_label_values", {"label": "__name__", "contains": "http", "start": "2026-05-01T15:00:00Z",
                           "end": "2026-05-01T16:00:00Z"}),
    ("prom_metadata", {}),
]
"""Calls on the generated incident of tests/prometheus/conftest.py (fixed data, fixed times)."""

LOKI_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("loki_labels", {"start": "2026-05-01T12:00:00Z", "end": "2026-05-01T15:00:00Z"}),
    ("loki_label_values", {"label": "pod", "start": "2026-05-01T12:00:00Z", "end": "2026-05-01T15:00:00Z",
                           "limit": 2}),
    ("loki_label_values", {"label": "app", "query": "{namespace=\"shop\"}", "contains": "ch",
                           "start": "2026-05-01T12:00:00Z", "end": "2026-05-01T15:00:00Z"}),
    ("loki_stats", {"query": "{namespace=\"shop\", app=\"checkout\"}", "start": "2026-05-01T14:00:00Z",
                    "end": "2026-05-01T15:00:00Z"}),
]
"""Calls on the generated incident of tests/loki/conftest.py."""


def key(scenario: str, tool: str, args: dict[str, Any]) -> str:
    return f"{scenario} {tool} {json.dumps(args, sort_keys=True)}"


def load(name: str) -> dict[str, str]:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


async def texts(client: Any, calls: list[tuple[str, dict[str, Any]]], scenario: str = "") -> dict[str, Any]:
    """Each call's result by `key`, through an open MCP client."""
    out = {}
    for tool, args in calls:
        out[key(scenario, tool, args)] = await client.call_tool(tool, args)
    return out


def text_of(result: Any) -> str:
    return "\n".join(getattr(i, "text", "") for i in result.content)


async def _capture() -> None:  # pragma: no cover - run by hand, once, before the text may change
    import tempfile

    from mcp import Client

    from mcp_servers.common.bundle import Bundle
    from mcp_servers.common.server import ServerGuard
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.replay import replay_server
    from mcp_servers.kubernetes.server import build_server as kube_server
    from mcp_servers.loki.client import LokiSettings
    from mcp_servers.loki.server import build_server as loki_server
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.local import LocalPrometheus
    from mcp_servers.prometheus.server import build_server as prom_server
    from tests.kubernetes.conftest import INCIDENTS
    from tests.loki.conftest import incident_streams
    from tests.loki.loki_api import LokiState, loki_api
    from tests.policies import DENY_KUBE_SYSTEM
    from tests.prometheus.conftest import incident_openmetrics

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        kube: dict[str, str] = {}
        for scenario, calls in KUBE_CALLS.items():
            with replay_server(Bundle.load(INCIDENTS / scenario), base / f"{scenario}.kubeconfig") as handle:
                guard = ServerGuard.for_tests(base / scenario, policy_path=DENY_KUBE_SYSTEM)
                async with Client(kube_server(KubeSettings(kubeconfig=str(handle.kubeconfig)), guard)) as c:
                    kube.update({k: text_of(v) for k, v in (await texts(c, calls, scenario)).items()})
        (GOLDEN / "kubernetes.json").write_text(json.dumps(kube, indent=1, sort_keys=True), encoding="utf-8")
        om = base / "incident.om"
        om.write_text(incident_openmetrics(), encoding="utf-8")
        with LocalPrometheus(om) as prom:
            guard = ServerGuard.for_tests(base / "prom", "prometheus")
            async with Client(prom_server(PromSettings(url=prom.url), guard)) as c:
                found = {k: text_of(v) for k, v in (await texts(c, PROM_CALLS)).items()}
        (GOLDEN / "prometheus.json").write_text(json.dumps(found, indent=1, sort_keys=True), encoding="utf-8")
        with loki_api(LokiState(streams=incident_streams())) as url:
            guard = ServerGuard.for_tests(base / "loki", "loki")
            async with Client(loki_server(LokiSettings(url=url), guard)) as c:
                found = {k: text_of(v) for k, v in (await texts(c, LOKI_CALLS)).items()}
        (GOLDEN / "loki.json").write_text(json.dumps(found, indent=1, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    import anyio

    anyio.run(_capture)
