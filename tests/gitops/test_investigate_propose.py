"""`vigil investigate --propose`: the report's fix through `vigil gitops from-report`, against a real
bare git remote, through typer's runner.

The investigation itself is the deterministic stand-in of tests/frontdoors/conftest.py with the
runbook's memory fix as its remediation (installed as `agent.runtime.investigate_incident`): these tests
are about what happens to a report's fix, not about the agent. Everything after it is real: the config,
the guardrail pipeline and audit log, the pending-approval store, `vigil approvals approve` and git.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.gitops.remediation import Remediation
from agent.report import Report
from tests.frontdoors.conftest import FakeInvestigation
from tests.frontdoors.test_approve_to_fix import MEMORY_FIX, bare_remote, branches

QUESTION = "checkout pods OOMKilled in namespace shop"


class Fixing(FakeInvestigation):
    def __init__(self, remediation: dict[str, Any] | None) -> None:
        super().__init__()
        self.remediation = remediation

    async def __call__(self, *args: Any, **kwargs: Any) -> Report:
        report = await super().__call__(*args, **kwargs)
        fix = Remediation.model_validate(self.remediation) if self.remediation else None
        return report.model_copy(update={"remediation": fix})


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Fixing]:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    for name in ("PROVIDER", "REMOTE", "WORKDIR"):
        monkeypatch.delenv(f"VIGIL_GITOPS_{name}", raising=False)
    remote = bare_remote(tmp_path)
    config = tmp_path / "vigil.yaml"
    config.write_text(json.dumps({"state_dir": str(tmp_path / "state"), "gitops": {
        "provider": "git", "remote": str(remote), "workdir": str(tmp_path / "clone")}}))
    fake = Fixing(MEMORY_FIX)
    monkeypatch.setattr("agent.runtime.investigate_incident", fake)
    return config, remote, fake


def run(config: Path, *args: str, user: str = "carol", stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["investigate", QUESTION, *args, "-c", str(config)], env={"USER": user},
                              input=stdin)


def test_pending_files_the_fix_and_another_person_opens_it(setup: tuple[Path, Path, Fixing]) -> None:
    config, remote, fake = setup
    filed = run(config, "--format", "markdown", "--propose", "--pending")
    assert filed.exit_code == 0, filed.output
    assert "Most likely: memory limit too low" in filed.output, "the report comes first"
    [request_id] = set(re.findall(r"apr_[0-9a-f]+", filed.output))
    assert "768Mi" in filed.output and "nothing was pushed" in filed.output
    assert branches(remote) == ["main"] and len(fake.calls) == 1

    approved = CliRunner().invoke(app, ["approvals", "approve", request_id, "--as", "bob", "--config", str(config)])
    assert approved.exit_code == 0, approved.output
    [branch] = [b for b in branches(remote) if b != "main"]
    assert f"branch {branch}" in approved.output


def test_yes_opens_the_branch_at_once_and_a_no_at_the_prompt_pushes_nothing(setup: tuple[Path, Path, Fixing]) -> None:
    config, remote, _ = setup
    declined = run(config, "--format", "markdown", "--propose", stdin="n\n")
    assert declined.exit_code == 1 and branches(remote) == ["main"], declined.output
    opened = run(config, "--format", "markdown", "--propose", "--yes")
    assert opened.exit_code == 0, opened.output
    [branch] = [b for b in branches(remote) if b != "main"]
    assert "vigil rollback act_" in opened.output and branch.startswith("vigil/")


def test_no_fix_to_propose_and_misused_flags_say_so(setup: tuple[Path, Path, Fixing]) -> None:
    config, remote, fake = setup
    fake.remediation = None
    nothing = run(config, "--format", "markdown", "--propose", "--yes")
    assert nothing.exit_code == 1 and "carries no remediation" in nothing.output, nothing.output
    for args, words in [(("--pending",), "add --propose"), (("--yes",), "add --propose"),
                        (("--propose", "--format", "json"), "would not be JSON")]:
        refused = run(config, *args)
        assert refused.exit_code == 2 and words in refused.output, refused.output
    assert branches(remote) == ["main"] and len(fake.calls) == 1, "a refused command investigates nothing"
