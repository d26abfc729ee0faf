"""`vigil gitops ...` and `vigil rollback` through typer's runner, against a real bare git remote."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.gitops import app, rollback_command
from tests.gitops.conftest import DEMO_REPO, MEMORY_FIX, git

runner = CliRunner()


def vigil() -> typer.Typer:
    """The two entry points mounted as the coordinator mounts them."""
    root = typer.Typer()
    root.add_typer(app, name="gitops")
    root.command("rollback")(rollback_command)
    return root


@pytest.fixture
def env(tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return {"VIGIL__STATE_DIR": str(tmp_path / "state"), "VIGIL_GITOPS_REMOTE": str(remote),
            "VIGIL_GITOPS_PROVIDER": "git", "USER": "carol"}


def test_plan_prints_the_validated_diff_and_writes_nothing() -> None:
    before = (DEMO_REPO / "apps/checkout/overlays/prod/resources.yaml").read_text()
    result = runner.invoke(vigil(), ["gitops", "plan", "-r", json.dumps(MEMORY_FIX), "--repo-dir", str(DEMO_REPO)])
    assert result.exit_code == 0, result.output
    assert "+              memory: 768Mi" in result.output
    assert "kustomize overlay apps/checkout/overlays/prod" in result.output
    assert (DEMO_REPO / "apps/checkout/overlays/prod/resources.yaml").read_text() == before


def test_locate_names_the_values_file() -> None:
    result = runner.invoke(vigil(), ["gitops", "locate", "frontend", "-n", "web", "--repo-dir", str(DEMO_REPO)])
    assert result.exit_code == 0 and "charts/frontend/values-prod.yaml" in result.output


def test_bad_remediation_json_names_the_fix() -> None:
    result = runner.invoke(vigil(), ["gitops", "plan", "-r", "{not json"])
    assert result.exit_code == 2 and "is not JSON" in result.output


def test_propose_asks_and_a_no_pushes_nothing(env: dict[str, str], remote: Path) -> None:
    result = runner.invoke(vigil(), ["gitops", "propose", "-r", json.dumps(MEMORY_FIX), "--fingerprint", "cli-1"],
                           env=env, input="n\n")
    assert result.exit_code == 1
    assert "Approve as carol? [y/N]" in result.output
    assert "refused" in result.output and "answered 'n'" in result.output
    assert git(remote, "branch", "--list", "vigil/*").strip() == ""


def test_propose_yes_then_rollback_yes(env: dict[str, str], remote: Path, tmp_path: Path) -> None:
    result = runner.invoke(vigil(), ["gitops", "propose", "-r", json.dumps(MEMORY_FIX), "--fingerprint", "cli-2",
                                     "--yes"], env=env)
    assert result.exit_code == 0, result.output
    action_id = re.findall(r"act_[0-9a-f]{16}", result.output)[0]
    audit = [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    approval = next(d for d in audit[-2]["decisions"] if d["layer"] == "approval")
    assert approval["details"] == {**approval["details"], "approver": "carol", "channel": "cli --yes"}
    git(remote, "update-ref", "refs/heads/main", "refs/heads/vigil/cli-2")  # merged
    undo = runner.invoke(vigil(), ["rollback", action_id, "--yes"], env=env)
    assert undo.exit_code == 0, undo.output
    path = "apps/checkout/overlays/prod/resources.yaml"
    assert git(remote, "show", f"vigil/revert-cli-2:{path}") == (DEMO_REPO / path).read_text()


def test_rollback_of_unknown_action_says_what_to_check(env: dict[str, str]) -> None:
    result = runner.invoke(vigil(), ["rollback", "act_nope", "--yes"], env=env)
    assert result.exit_code == 1 and "no rollback plan is stored for act_nope" in result.output
