"""The `propose_change` MCP tool through the real MCP SDK client (in-process), with a real bare
git remote: elicitation when the policy lets the caller approve this risk for itself, otherwise a
pending request that someone else decides, after which the same call opens the pull request."""

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


def server_for(tmp_path: Path, remote: Path, timeout: float | None = None, self_approval: str | None = None) -> Any:
    policy = None
    if timeout is not None or self_approval is not None:
        policy = tmp_path / "policy.yaml"
        policy.write_text(f"version: 1\nrules:\n  - id: all\n    tools: [propose_change]\n"
                          f"approval:\n  timeout_seconds: {timeout or 900}\n"
                          f"  self_approval_max: {self_approval or 'low'}\n")
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


async def test_elicitation_approval_opens_the_branch_where_the_policy_allows_self_approval(
        tmp_path: Path, remote: Path) -> None:
    asked: list[str] = []

    async def approve(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True, "approver": "bob"})

    async with Client(server_for(tmp_path, remote, self_approval="medium"), elicitation_callback=approve) as client:
        result = await client.call_tool("propose_change", ARGS)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert "opened" in text and "vigil/mcp-fp-1" in text and "vigil rollback act_" in text
    assert "+              memory: 768Mi" in asked[0]
    assert "memory: 768Mi" in git(remote, "show", "vigil/mcp-fp-1:apps/checkout/overlays/prod/resources.yaml")
    inner = decisions(tmp_path)[-1]
    approval = next(d for d in inner["decisions"] if d["layer"] == "approval")
    # The approver is the caller the server identified, not the name the form carried.
    assert approval["details"]["approver"] == "mcp-client" and approval["details"]["channel"] == "mcp elicitation"


async def test_declined_elicitation_pushes_nothing(tmp_path: Path, remote: Path) -> None:
    async def decline(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with Client(server_for(tmp_path, remote, self_approval="medium"), elicitation_callback=decline) as client:
        result = await client.call_tool("propose_change", ARGS)
    assert result.is_error
    assert "the user chose decline" in result.content[0].text  # type: ignore[union-attr]
    assert git(remote, "branch", "--list", "vigil/*").strip() == ""
    assert decisions(tmp_path)[-1]["allowed"] is False


async def test_without_self_approval_the_store_decides_and_the_same_call_then_opens(tmp_path: Path,
                                                                                     remote: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    async with Client(server_for(tmp_path, remote)) as client:
        first = await client.call_tool("propose_change", ARGS)
        text = first.content[0].text  # type: ignore[union-attr]
        assert not first.is_error and text.startswith("pending approval apr_"), text
        assert git(remote, "branch", "--list", "vigil/*").strip() == ""
        again = await client.call_tool("propose_change", ARGS)  # no new request while one waits
        assert len(store.pending()) == 1 and store.pending()[0]["id"] in again.content[0].text  # type: ignore[union-attr]
        assert store.resolve(store.pending()[0]["id"], "slack:U024BE7LH", True, "slack")  # e.g. a Slack button
        result = await client.call_tool("propose_change", ARGS)
    assert not result.is_error, result.content
    assert "memory: 768Mi" in git(remote, "show", "vigil/mcp-fp-1:apps/checkout/overlays/prod/resources.yaml")
    approval = next(d for d in decisions(tmp_path)[-1]["decisions"] if d["layer"] == "approval")
    assert approval["details"]["approver"] == "slack:U024BE7LH"


async def test_an_expired_request_is_never_used(tmp_path: Path, remote: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    async with Client(server_for(tmp_path, remote, timeout=0.2)) as client:
        await client.call_tool("propose_change", ARGS)
        first = store.history("mcp-client", "propose_change")[0]["id"]
        await anyio.sleep(0.3)
        assert not store.resolve(first, "slack:U024BE7LH", True, "slack"), "too late to decide"
        result = await client.call_tool("propose_change", ARGS)
    assert "pending approval" in result.content[0].text  # type: ignore[union-attr]
    assert first not in result.content[0].text  # type: ignore[union-attr]
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
    assert "pending approval apr_" in result.content[0].text  # type: ignore[union-attr]
    assert git(remote, "branch", "--list", "vigil/*").strip() == ""
    assert '"approver":"dana"' not in (tmp_path / "state" / "audit.jsonl").read_text()
