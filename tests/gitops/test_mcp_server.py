"""The `propose_change` MCP tool through the real MCP SDK client (in-process), with a real bare
git remote: elicitation when the client supports it, the pending-approval store otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, types

from agent.gitops.settings import GitOpsSettings
from guardrails.approval import PendingApprovalStore
from mcp_servers.common.server import ServerGuard
from mcp_servers.gitops.server import build_server
from tests.gitops.conftest import git

pytestmark = pytest.mark.anyio

ARGS = {"action": "set_memory_limit", "name": "checkout", "namespace": "shop", "value": "768Mi",
        "incident_fingerprint": "mcp-fp-1", "incident_title": "checkout OOMKilled",
        "reason": "OOMKilled at 512Mi", "evidence": ["6 OOMKills in 1h"]}


def server_for(tmp_path: Path, remote: Path, timeout: float | None = None) -> Any:
    policy = None
    if timeout is not None:
        policy = tmp_path / "policy.yaml"
        policy.write_text(f"version: 1\nrules:\n  - id: all\n    tools: [propose_change]\n"
                          f"approval:\n  timeout_seconds: {timeout}\n")
    guard = ServerGuard.from_files(policy, tmp_path, "gitops")
    settings = GitOpsSettings(provider="git", remote=str(remote), workdir=tmp_path / "clone")
    return build_server(settings, guard, tmp_path)


def decisions(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r.get("kind") == "decision"]


async def test_tool_is_annotated_as_writing(tmp_path: Path, remote: Path) -> None:
    async with Client(server_for(tmp_path, remote)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    tool = tools["propose_change"]
    assert tool.annotations is not None and tool.annotations.read_only_hint is False
    assert {"action", "name", "namespace", "incident_fingerprint"} <= set(tool.input_schema["required"])


async def test_elicitation_approval_opens_the_branch(tmp_path: Path, remote: Path) -> None:
    asked: list[str] = []

    async def approve(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True, "approver": "bob"})

    async with Client(server_for(tmp_path, remote), elicitation_callback=approve) as client:
        result = await client.call_tool("propose_change", ARGS)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert "opened" in text and "vigil/mcp-fp-1" in text and "vigil rollback act_" in text
    assert "+              memory: 768Mi" in asked[0]
    assert "memory: 768Mi" in git(remote, "show", "vigil/mcp-fp-1:apps/checkout/overlays/prod/resources.yaml")
    inner = decisions(tmp_path)[-1]
    approval = next(d for d in inner["decisions"] if d["layer"] == "approval")
    assert approval["details"]["approver"] == "bob" and approval["details"]["channel"] == "mcp elicitation"


async def test_declined_elicitation_pushes_nothing(tmp_path: Path, remote: Path) -> None:
    async def decline(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with Client(server_for(tmp_path, remote), elicitation_callback=decline) as client:
        result = await client.call_tool("propose_change", ARGS)
    assert result.is_error
    assert "the user chose decline" in result.content[0].text  # type: ignore[union-attr]
    assert git(remote, "branch", "--list", "vigil/*").strip() == ""
    assert decisions(tmp_path)[-1]["allowed"] is False


async def test_without_elicitation_the_store_decides(tmp_path: Path, remote: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")

    async def approve_from_elsewhere() -> None:  # e.g. a Slack button in another process
        for _ in range(400):
            pending = store.pending()
            if pending:
                assert store.resolve(pending[0]["id"], "slack:U024BE7LH", True, "slack")
                return
            await anyio.sleep(0.05)

    async with Client(server_for(tmp_path, remote)) as client, anyio.create_task_group() as tg:
        tg.start_soon(approve_from_elsewhere)
        result = await client.call_tool("propose_change", ARGS)
    assert not result.is_error, result.content
    approval = next(d for d in decisions(tmp_path)[-1]["decisions"] if d["layer"] == "approval")
    assert approval["details"]["approver"] == "slack:U024BE7LH"


async def test_store_timeout_is_a_refusal(tmp_path: Path, remote: Path) -> None:
    async with Client(server_for(tmp_path, remote, timeout=0.3)) as client:
        result = await client.call_tool("propose_change", ARGS)
    assert result.is_error and "no answer before the timeout" in result.content[0].text  # type: ignore[union-attr]
    assert git(remote, "branch", "--list", "vigil/*").strip() == ""


async def test_bad_remediation_is_a_tool_error_naming_the_field(tmp_path: Path, remote: Path) -> None:
    async with Client(server_for(tmp_path, remote)) as client:
        result = await client.call_tool("propose_change", {**ARGS, "value": "lots"})
    assert result.is_error and "not a Kubernetes quantity" in result.content[0].text  # type: ignore[union-attr]


@pytest.mark.slow
async def test_real_stdio_server_process(tmp_path: Path, remote: Path) -> None:
    """`vigil mcp gitops` as Claude Code runs it: a child process speaking MCP over stdio."""
    import os
    import sys

    from mcp import StdioServerParameters

    async def approve(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"approve": True, "approver": "dana"})

    env = {**os.environ, "VIGIL_GITOPS_PROVIDER": "git", "VIGIL_GITOPS_REMOTE": str(remote)}
    params = StdioServerParameters(command=sys.executable, env=env,
                                   args=["-m", "mcp_servers.gitops.cli", "--state-dir", str(tmp_path / "state")])
    async with Client(params, elicitation_callback=approve) as client:
        result = await client.call_tool("propose_change", ARGS)
    assert not result.is_error, result.content
    assert "memory: 768Mi" in git(remote, "show", "vigil/mcp-fp-1:apps/checkout/overlays/prod/resources.yaml")
    assert '"approver":"dana"' in (tmp_path / "state" / "audit.jsonl").read_text()
