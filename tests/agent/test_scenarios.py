"""The demo end to end beyond the root cause: its pull request and `vigil rollback`, and the survey's hop.

Real parts: the replay API server serving each bundle over the Kubernetes REST paths, the official
kubernetes client inside Vigil's Kubernetes MCP server, Debian's Prometheus backfilled with the
bundle's metrics, the Prometheus MCP server, the guardrail pipeline and audit log, the shipped
runbook catalog, and real git. That every bundled incident names its root cause, end to end, is
tests/runbooks/test_scenarios.py.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from agent.config import Config
from agent.demo import run_demo
from guardrails.audit import verify

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

needs_prometheus = pytest.mark.skipif(shutil.which("prometheus") is None,
                                      reason="Debian's prometheus package is not installed (make test installs it)")


@needs_prometheus
async def test_demo_proposes_the_rollback_and_vigil_rollback_restores_the_bytes(tmp_path):
    """The demo's pull request (a branch on a bare remote), merged by a human, then undone."""
    from agent.demo import GITOPS_FIXTURE
    from agent.gitops.rollback import open_revert
    from agent.runtime import Runtime
    from guardrails.action import Actor
    from guardrails.approval import PreApproved

    config = Config(state_dir=tmp_path / "state")
    report = await run_demo("checkout-oom", config=config, approve=True, out=Console(file=io.StringIO()),
                            interactive=False)
    assert report.remediation and report.remediation["action"] == "rollback_image"
    assert report.remediation["image"].endswith(":1.8.2")
    proposal = [r for r in _records(config.audit_path) if r.get("tool") == "propose_change" and "allowed" in r][-1]
    assert proposal["allowed"] is True
    approval = next(d for d in proposal["decisions"] if d["layer"] == "approval")
    assert approval["details"]["channel"] == "vigil demo --yes"

    remote = config.state_dir.resolve() / "demo" / "checkout-oom" / "gitops-remote.git"
    path = "apps/checkout/overlays/prod/kustomization.yaml"
    branch = proposal["arguments"]["branch"]
    proposed = _git(remote, "show", f"{branch}:{path}")
    assert 'newTag: "1.8.2"   # ' in proposed, "the edit keeps the line's comment in its column"
    _git(remote, "update-ref", "refs/heads/main", branch)  # a reviewer merges the pull request

    pipeline = Runtime.from_config(config, PreApproved("bob")).pipeline
    revert = await open_revert(proposal["action_id"], pipeline, Actor(name="alice", origin="cli"),
                               workdir=tmp_path / "revert-clone")
    assert revert.ok, revert.reason
    restored = _git(remote, "show", f"{revert.branch}:{path}")
    assert restored == (GITOPS_FIXTURE / path).read_text(), "the revert restores the original bytes"
    assert verify(config.audit_path).ok


def _git(remote: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(remote), *args], capture_output=True, text=True, check=True).stdout


def _records(path: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text().splitlines()]


@needs_prometheus
async def test_when_the_alerting_service_fails_its_calls_the_survey_reads_the_dependency_too(tmp_path):
    """frontend returns 503s because recommendations is not Ready: one hop further, its own logs."""
    report = await run_demo("frontend-dependency-outage", config=Config(state_dir=tmp_path / "state"),
                            approve=False, out=Console(file=io.StringIO()), propose_change=False, interactive=False)
    hops = [e for e in report.evidence if (e.step_id or "").startswith("survey-hop")]
    assert [(e.tool, e.ok) for e in hops] == [("k8s_topology", True), ("k8s_logs", True)]
    assert hops[1].arguments["name"].startswith("recommendations-")
    assert report.top is not None and "recommendations" in report.top.cause
    assert "feature-store" in report.top.cause, "the dependency's own logs say what it waits on"
