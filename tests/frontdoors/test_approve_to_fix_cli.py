"""Approve-to-fix from the command line, through typer's runner against a real bare git remote:
`vigil gitops from-report R.json --pending` files the report's fix for another person, `vigil approvals
approve ID --as bob` records the decision and opens the pull request in that process; a refused or
repeated approval pushes nothing more."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.approvals import app as approvals_app
from agent.cli.gitops import app as gitops_app
from agent.gitops.remediation import Remediation
from agent.report import EvidenceRef, Hypothesis, Report
from tests.frontdoors.test_approve_to_fix import MEMORY_FIX, bare_remote, branches


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    for name in ("PROVIDER", "REMOTE", "WORKDIR"):
        monkeypatch.delenv(f"VIGIL_GITOPS_{name}", raising=False)
    remote = bare_remote(tmp_path)
    config = tmp_path / "vigil.yaml"
    config.write_text(json.dumps({"state_dir": str(tmp_path / "state"), "gitops": {
        "provider": "git", "remote": str(remote), "workdir": str(tmp_path / "clone")}}))
    report = Report(incident_id="inc_cli", fingerprint="cli-fix-1", title="checkout OOMKilled in shop",
                    run_id="run_cli", summary="memory limit too low",
                    hypotheses=[Hypothesis(cause="checkout exceeds 512Mi", confidence=0.8, evidence=["E1"],
                                           source="runbook")],
                    evidence=[EvidenceRef(id="E1", tool="k8s_describe", arguments={}, ok=True)],
                    remediation=Remediation.model_validate(MEMORY_FIX))
    report_file = tmp_path / "report.json"
    report_file.write_text(report.model_dump_json())
    return config, remote, report_file


def test_pending_from_report_then_approved_at_the_cli_opens_the_branch(setup: tuple[Path, Path, Path]) -> None:
    config, remote, report_file = setup
    runner = CliRunner()
    filed = runner.invoke(gitops_app, ["from-report", str(report_file), "--pending", "--config", str(config)],
                          env={"USER": "carol"})
    assert filed.exit_code == 0, filed.output
    [request_id] = set(re.findall(r"apr_[0-9a-f]+", filed.output))
    assert "768Mi" in filed.output and branches(remote) == ["main"], "the diff shown, nothing pushed"

    approved = runner.invoke(approvals_app, ["approve", request_id, "--as", "bob", "--config", str(config)])
    assert approved.exit_code == 0, approved.output
    [branch] = [b for b in branches(remote) if b != "main"]
    assert f"branch {branch}" in approved.output and "pull request" in approved.output

    again = runner.invoke(approvals_app, ["approve", request_id, "--as", "bob", "--config", str(config)])
    assert again.exit_code == 1 and "already" in again.output
    assert len(branches(remote)) == 2


def test_a_denied_fix_pushes_nothing_and_a_bad_report_is_refused(setup: tuple[Path, Path, Path],
                                                                  tmp_path: Path) -> None:
    config, remote, report_file = setup
    runner = CliRunner()
    filed = runner.invoke(gitops_app, ["from-report", str(report_file), "--pending", "--config", str(config)])
    [request_id] = set(re.findall(r"apr_[0-9a-f]+", filed.output))
    denied = runner.invoke(approvals_app, ["deny", request_id, "--as", "bob", "--config", str(config)])
    assert denied.exit_code == 0 and branches(remote) == ["main"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a report"}')
    refused = runner.invoke(gitops_app, ["from-report", str(bad), "--config", str(config)])
    assert refused.exit_code == 2 and "not a Vigil report" in refused.output
