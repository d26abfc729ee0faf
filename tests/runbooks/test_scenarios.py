"""Runbook-only mode names the expected root cause for every bundled incident scenario.

Real components end to end, no model: each scenario's recorded Alertmanager webhook becomes an
incident, the catalog picks a runbook, its tool calls run through the real Kubernetes MCP server
(official client, guardrail middleware) against the replay API server serving the bundle, and
through the real Prometheus MCP server against Debian's `prometheus` loaded with the bundle's
metrics. The conclusion rules then read the tools' actual text. The test compares the best
finding and its remediation with the scenario's expected.yaml.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from agent.incident import from_alertmanager
from agent.runbooks.catalog import SHIPPED_DIR, Catalog
from agent.runbooks.conclusions import conclude
from agent.runbooks.model import Conclusion
from agent.runbooks.plan import plan_calls

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
SCENARIOS = sorted(p.name for p in EXAMPLES.glob("*") if (p / "expected.yaml").exists())

RUNBOOK_FOR = {
    "checkout-oom": "oomkilled",
    "payments-bad-config": "crashloopbackoff",
    "catalog-bad-image": "stuck-rollout",
    "frontend-dependency-outage": "high-5xx-rate",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SCENARIOS, reason="no bundled scenarios under examples/incidents"),
    pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                       reason="needs the prometheus package (apt install prometheus)"),
]


async def _run_runbook(bundle: Path, tmp_path: Path) -> tuple[str, Conclusion, dict[str, str]]:
    from mcp_servers.common.server import ServerGuard
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.replay import replay_server
    from mcp_servers.kubernetes.server import build_server as kubernetes_server
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.local import LocalPrometheus
    from mcp_servers.prometheus.server import build_server as prometheus_server

    payload = json.loads((bundle / "alerts" / "alertmanager.json").read_text())
    [incident] = from_alertmanager(payload)
    runbook = Catalog.load([SHIPPED_DIR]).match(incident)[0].runbook
    plan = plan_calls(runbook, incident)
    evidence: dict[str, str] = {}
    metrics = sorted((bundle / "metrics").glob("*"))
    with replay_server(bundle, tmp_path / "kubeconfig") as replay, LocalPrometheus(metrics) as prom:
        guard = ServerGuard.for_tests(tmp_path)
        kube = kubernetes_server(KubeSettings(kubeconfig=str(replay.kubeconfig), context=replay.context), guard)
        metrics_server = prometheus_server(PromSettings(url=prom.url), guard)
        async with Client(kube) as kube_client, Client(metrics_server) as prom_client:
            kube_tools = {t.name for t in (await kube_client.list_tools()).tools}
            for call in plan.calls:
                client = kube_client if call.tool in kube_tools else prom_client
                result = await client.call_tool(call.tool, call.arguments)
                text = "\n".join(getattr(part, "text", "") for part in result.content)
                assert not result.is_error or "not found" in text, f"{call.tool} failed: {text}"
                if not result.is_error:
                    evidence[call.step_id] = text
    return runbook.id, conclude(runbook, incident, evidence), evidence


def _validate_remediation(fields: dict[str, Any]) -> None:
    """Non-manual proposals must be valid input for the GitOps side's remediation model."""
    gitops = pytest.importorskip("agent.gitops.remediation")
    gitops.Remediation.model_validate(fields)


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_runbook_only_mode_names_the_root_cause(scenario: str, tmp_path: Path) -> None:
    bundle = EXAMPLES / scenario
    expected = yaml.safe_load((bundle / "expected.yaml").read_text())
    runbook_id, conclusion, evidence = await _run_runbook(bundle, tmp_path)
    assert conclusion.findings, f"{runbook_id}: no finding; ruled out {conclusion.ruled_out}"
    top = conclusion.findings[0]
    culprit = expected["culprit"]["name"]
    assert culprit in top.text, f"{top.rule_id}: {top.text}"
    assert set(top.cites) & set(evidence), f"the finding cites {top.cites}, none of which gave evidence"
    if scenario in RUNBOOK_FOR:
        assert runbook_id == RUNBOOK_FOR[scenario]

    if expected.get("bad_image") and expected.get("bad_image") != expected.get("good_image"):
        assert expected["bad_image"] in top.text
    remedy = expected.get("remediation", {})
    if remedy.get("action") == "rollback":
        assert top.remediation is not None and top.remediation.action == "rollback_image"
        assert top.remediation.fields["image"] == remedy["to_image"]
        assert top.remediation.missing == []
        _validate_remediation(top.remediation.fields)
    if "config_change" in expected:
        change = expected["config_change"]
        assert change["env"] in top.text and f"'{change['from']}'" in top.text
        assert expected["code"]["exception"].split(":")[0] in top.text
        assert top.remediation is not None and top.remediation.action == "set_env"
        assert (top.remediation.fields["name"], top.remediation.fields["value"]) == (change["env"], change["from"])
        _validate_remediation(top.remediation.fields)
    if expected.get("symptom"):
        # The alerting service is the victim: the finding must name the upstream, not blame it.
        assert expected["symptom"]["name"] != culprit
        assert top.rule_id == "dependency-failure"
        assert top.remediation is None
