"""A guarded read call over MCP leaves exactly the records it promises, on disk before the answer.

The promise of the middleware for a read tool: one decision record (written before the tool runs,
not yet synced: a read has no effect to precede) and one result record, hash-chained, and synced
with `fdatasync` (which covers every earlier write of the file) before the answer is returned. A
denial's record is synced at once, since nothing follows it. The syncs are observed by wrapping the
real `os.fdatasync` (it still runs): at each sync of the log, the log's size is noted, so a test
can tell which records a sync made durable. The log, its head and the chain are then read back from
disk and verified as `vigil audit verify` does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from guardrails.action import Action, Actor, Decision, Risk, Verdict
from guardrails.audit import verify
from guardrails.pipeline import _add
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio


def _build(tmp_path: Path) -> tuple[Any, Path]:
    guard = ServerGuard.for_tests(tmp_path, "toy", policy_path=DENY_KUBE_SYSTEM)
    server = create_server("toy", "a toy server for the durability tests", guard)

    @server.tool(annotations=READ_ONLY)
    def k8s_get(kind: str, name: str, namespace: str = "default") -> str:
        """A canned object, with a secret in it for the redaction to take out."""
        return f"{kind} {namespace}/{name}: env DATABASE_URL=postgres://app:s3cr3tPassw0rd@db:5432/app"

    return server, tmp_path / "audit.jsonl"


@pytest.fixture
def log_syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(file, size when synced) for every fdatasync the process makes during the test."""
    seen: list[tuple[str, int]] = []
    real = os.fdatasync

    def observed(fd: int) -> None:
        real(fd)
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), os.fstat(fd).st_size))

    monkeypatch.setattr(os, "fdatasync", observed)
    return seen


def _records(audit: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit.read_text().splitlines()]


async def test_a_read_call_leaves_a_decision_and_a_result_synced_before_the_answer(
        tmp_path: Path, log_syncs: list[tuple[str, int]]) -> None:
    server, audit = _build(tmp_path)
    async with Client(server) as client:
        result = await client.call_tool("k8s_get", {"kind": "Pod", "name": "api", "namespace": "shop"})
        size_when_answered = audit.stat().st_size  # the answer is back: what is on disk now
        syncs_when_answered = list(log_syncs)
    assert not result.is_error
    text = result.content[0].text
    assert "s3cr3tPassw0rd" not in text
    records = _records(audit)
    assert [r["kind"] for r in records] == ["decision", "result"]
    decision, outcome = records
    assert decision["allowed"] is True and decision["tool"] == "k8s_get"
    assert outcome["action_id"] == decision["action_id"] and outcome["prev"] == decision["hash"]
    assert outcome["sha256"] == hashlib.sha256(text.encode()).hexdigest()  # the text returned, as screened
    # One sync of the log, after both records were written, and before the answer came back.
    log_path = str(audit.resolve())
    assert [size for path, size in syncs_when_answered if path == log_path] == [size_when_answered]
    checked = verify(audit)
    assert checked.ok and checked.records == 2 and checked.head_seq == 2, checked.problem


async def test_a_denied_call_is_synced_before_the_refusal(tmp_path: Path, log_syncs: list[tuple[str, int]]) -> None:
    server, audit = _build(tmp_path)
    async with Client(server) as client:
        result = await client.call_tool("k8s_get", {"kind": "Pod", "name": "x", "namespace": "kube-system"})
        size_when_answered = audit.stat().st_size
    assert result.is_error
    assert [r["kind"] for r in _records(audit)] == ["decision"]
    assert (str(audit.resolve()), size_when_answered) in log_syncs
    assert verify(audit).ok


async def test_consecutive_read_calls_chain_and_each_is_synced(
        tmp_path: Path, log_syncs: list[tuple[str, int]]) -> None:
    server, audit = _build(tmp_path)
    sizes = []
    async with Client(server) as client:
        for name in ("a", "b", "c"):
            await client.call_tool("k8s_get", {"kind": "Pod", "name": name, "namespace": "shop"})
            sizes.append(audit.stat().st_size)
    log_path = str(audit.resolve())
    assert [size for path, size in log_syncs if path == log_path] == sizes
    records = _records(audit)
    assert [r["kind"] for r in records] == ["decision", "result"] * 3
    assert [r["seq"] for r in records] == list(range(1, 7))
    assert verify(audit).ok


def test_merged_decisions_are_valid_decisions() -> None:
    """`_add` builds the merged scoping decision without validating it again: it must be one that
    validation accepts, equal to the validated form."""
    verdict = Verdict(action=Action(actor=Actor(name="t", origin="mcp"), tool="k8s_get", arguments={},
                                    risk=Risk.READ))
    _add(verdict, Decision(layer="scoping", allowed=True, rule="r1", reason="in scope", details={"a": 1}))
    _add(verdict, Decision(layer="scoping", allowed=True, reason="within rate", details={"b": 2}))
    merged = verdict.decisions[-1]
    assert len(verdict.decisions) == 1
    assert merged == Decision.model_validate(merged.model_dump())
    assert (merged.rule, merged.reason, merged.details) == ("r1", "in scope; within rate", {"b": 2, "a": 1})
