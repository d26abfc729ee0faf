"""Every runbook tool call fits the live tool's input schema.

The runbooks are written against tool names and argument names that other servers define. This
test lists the tools of the real Kubernetes and Prometheus MCP servers (in process, no cluster
needed to list) and validates each planned call's arguments against the tool's JSON schema, so a
renamed argument breaks here rather than at 3 a.m.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from agent.incident import Incident, from_payload
from agent.runbooks.catalog import SHIPPED_DIR, Catalog
from agent.runbooks.plan import plan_calls
from agent.runbooks.tools import KNOWN_TOOLS

CATALOG = Catalog.load([SHIPPED_DIR])
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
TYPICAL = {"alertname": "X", "namespace": "shop", "pod": "checkout-7d9f8b6c5d-x2x4z", "container": "checkout",
           "deployment": "checkout", "service": "checkout", "node": "node-1", "persistentvolumeclaim": "data-0",
           "horizontalpodautoscaler": "checkout", "name": "api-tls"}


async def _schemas(tmp_path: Path) -> dict[str, dict[str, Any]]:
    from mcp_servers.common.server import ServerGuard
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.server import build_server as kubernetes_server
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.server import build_server as prometheus_server

    guard = ServerGuard.for_tests(tmp_path)
    schemas: dict[str, dict[str, Any]] = {}
    for server in (kubernetes_server(KubeSettings(), guard), prometheus_server(PromSettings(), guard)):
        async with Client(server) as client:
            for tool in (await client.list_tools()).tools:
                schemas[tool.name] = tool.input_schema
    return schemas


@pytest.mark.anyio
async def test_every_planned_call_fits_the_tool_schema(tmp_path: Path) -> None:
    schemas = await _schemas(tmp_path)
    assert {"k8s_describe", "k8s_logs", "prom_query", "prom_query_range"} <= set(schemas)
    assert set(schemas) <= KNOWN_TOOLS, f"tools missing from KNOWN_TOOLS: {set(schemas) - KNOWN_TOOLS}"
    checked = 0
    for runbook in CATALOG.runbooks:
        incident = Incident(fingerprint="f", title="t", source="alertmanager", labels=TYPICAL)
        for call in plan_calls(runbook, incident).calls:
            if call.tool not in schemas:
                continue
            unknown = set(call.arguments) - set(schemas[call.tool].get("properties", {}))
            assert not unknown, f"{runbook.id} step {call.step_id}: {call.tool} has no argument {sorted(unknown)}"
            try:
                jsonschema.validate(call.arguments, schemas[call.tool])
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{runbook.id} step {call.step_id}: {call.tool}{json.dumps(call.arguments)}: {exc.message}")
            checked += 1
    assert checked >= 50


@pytest.mark.parametrize(
    ("alert", "runbook_id"),
    [
        ("checkout-oom/alerts/alertmanager.json", "oomkilled"),
        ("checkout-oom/alerts/pagerduty.json", "oomkilled"),
        ("payments-bad-config/alerts/alertmanager.json", "crashloopbackoff"),
        ("catalog-bad-image/alerts/alertmanager.json", "stuck-rollout"),
        ("frontend-dependency-outage/alerts/alertmanager.json", "high-5xx-rate"),
    ],
)
def test_bundled_alerts_pick_their_runbook(alert: str, runbook_id: str) -> None:
    path = EXAMPLES / alert
    if not path.exists():
        pytest.skip(f"{alert} is not bundled")
    [incident] = from_payload(json.loads(path.read_text()))
    assert CATALOG.match(incident)[0].runbook.id == runbook_id
    assert plan_calls(CATALOG.match(incident)[0].runbook, incident).calls
