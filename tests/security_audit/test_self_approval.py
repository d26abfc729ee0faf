"""An MCP client cannot approve its own pull request, whatever it answers or claims to be.

The official MCP SDK client drives the GitOps server in-process against a real bare git remote; it
answers the server's elicitation for itself in every spelling an attacker might try. The request
then waits for `vigil approvals approve` (run through its typer app with a real config file and the
real SQLite store), and a branch appears on the remote only after a person other than the requester
approved and the same call was made again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types
from typer.testing import CliRunner

from agent.cli.approvals import app as approvals_app
from agent.gitops.settings import GitOpsSettings
from guardrails.approval import PendingApprovalStore
from mcp_servers.common.server import ServerGuard
from mcp_servers.gitops.server import build_server
from tests.gitops.conftest import git
from tests.gitops.test_mcp_server import ARGS

pytestmark = pytest.mark.anyio

SPELLINGS = [
    {"approve": True, "approver": "alice"},
    {"approve": "yes", "approver": "alice"},
    {"approve": "true", "approver": "security-team"},
    {"approve": 1},
    {"approve": True, "approver": "mcp-client"},
]


def _server(tmp_path: Path, remote: Path, self_approval: str = "low") -> Any:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  - id: all\n    tools: [propose_change]\n"
                      f"approval:\n  self_approval_max: {self_approval}\n")
    guard = ServerGuard.from_files(policy, tmp_path, "gitops")
    settings = GitOpsSettings(provider="git", remote=str(remote), workdir=tmp_path / "clone")
    return build_server(settings, guard, tmp_path)


def _branches(remote: Path) -> str:
    return git(remote, "branch", "--list", "vigil/*").strip()


def _cli(tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {tmp_path}\npolicy: {tmp_path / 'policy.yaml'}\n")
    return CliRunner().invoke(approvals_app, [*args, "--config", str(config)])


@pytest.mark.parametrize("answer", SPELLINGS, ids=lambda a: json.dumps(a))
async def test_answering_its_own_elicitation_pushes_nothing(tmp_path: Path, remote: Path, answer: dict) -> None:
    asked: list[str] = []

    async def self_approve(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content=answer)

    async with Client(_server(tmp_path, remote), elicitation_callback=self_approve) as client:
        result = await client.call_tool("propose_change", ARGS)
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("pending approval apr_") and "vigil approvals approve apr_" in text
    assert asked == [], "above the self-approval limit the caller is not even asked"
    assert _branches(remote) == ""
    assert "alice" not in (tmp_path / "audit.jsonl").read_text()


@pytest.mark.parametrize("answer", SPELLINGS[:3], ids=lambda a: json.dumps(a))
async def test_where_self_approval_is_allowed_the_recorded_approver_is_the_caller(tmp_path: Path, remote: Path,
                                                                                  answer: dict) -> None:
    async def self_approve(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content=answer)

    async with Client(_server(tmp_path, remote, "medium"), elicitation_callback=self_approve) as client:
        result = await client.call_tool("propose_change", ARGS)
    assert not result.is_error, result.content
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"approver":"mcp-client"' in audit and "alice" not in audit and "security-team" not in audit


async def test_only_a_person_other_than_the_requester_releases_the_push(tmp_path: Path, remote: Path) -> None:
    async def self_approve(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"approve": True, "approver": "bob"})

    server = _server(tmp_path, remote)
    async with Client(server, elicitation_callback=self_approve) as client:
        pending = await client.call_tool("propose_change", ARGS)
    request_id = pending.content[0].text.split()[2].rstrip(",")  # type: ignore[union-attr]
    listed = _cli(tmp_path, "list")
    assert listed.exit_code == 0 and request_id in listed.output

    own = _cli(tmp_path, "approve", request_id, "--as", "mcp-client")  # the requester, from the terminal
    assert own.exit_code == 1 and "Another person must approve it" in own.output
    async with Client(server) as client:
        still = await client.call_tool("propose_change", ARGS)
    assert request_id in still.content[0].text and _branches(remote) == ""  # type: ignore[union-attr]

    approved = _cli(tmp_path, "approve", request_id, "--as", "bob")
    assert approved.exit_code == 0, approved.output
    assert _branches(remote) == "", "approving alone pushes nothing"
    async with Client(server) as client:
        done = await client.call_tool("propose_change", ARGS)
    assert not done.is_error and "opened" in done.content[0].text  # type: ignore[union-attr]
    assert _branches(remote) == "vigil/mcp-fp-1"
    approval = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()
                if '"kind":"decision"' in x][-1]
    layer = next(d for d in approval["decisions"] if d["layer"] == "approval")
    assert layer["details"]["approver"] == "bob" and layer["details"]["channel"] == "cli approvals"

    again = _cli(tmp_path, "approve", request_id, "--as", "carol")
    assert again.exit_code == 1 and "already used" in again.output


async def test_an_out_of_band_answer_naming_the_requester_is_refused_by_the_pipeline(tmp_path: Path,
                                                                                     remote: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    server = _server(tmp_path, remote)
    async with Client(server) as client:
        await client.call_tool("propose_change", ARGS)
        # A channel that does not check (an HTTP call, a Slack workspace the requester controls) says so.
        assert store.resolve(store.pending()[0]["id"], "mcp-client", True, "http")
        result = await client.call_tool("propose_change", ARGS)
    assert result.is_error and "cannot approve its own" in result.content[0].text  # type: ignore[union-attr]
    assert _branches(remote) == ""


async def test_deny_from_the_cli_is_final_for_that_request(tmp_path: Path, remote: Path) -> None:
    server = _server(tmp_path, remote)
    async with Client(server) as client:
        pending = await client.call_tool("propose_change", ARGS)
        request_id = pending.content[0].text.split()[2].rstrip(",")  # type: ignore[union-attr]
        assert _cli(tmp_path, "deny", request_id, "--as", "bob", "--note", "wrong service").exit_code == 0
        refused = await client.call_tool("propose_change", ARGS)
    assert refused.is_error and "wrong service" in refused.content[0].text  # type: ignore[union-attr]
    assert _branches(remote) == ""
    assert _cli(tmp_path, "approve", "apr_nonexistent", "--as", "bob").exit_code == 2
