"""A guarded read call killed between its two audit records leaves a chain `vigil audit verify` passes.

A read call writes its decision record before the tool runs (not synced) and its result record
after (synced, which makes both durable: one fdatasync per call). Here a real guarded MCP server
runs in a child process whose tool kills the process with SIGKILL in the middle of a call, after the
decision record and before the result record. The log left behind must verify (`vigil audit
verify`, the CLI, exit 0), end with that call's decision and no result for it, and a new writer
must continue the same chain. A second child is killed at an arbitrary moment while it answers
calls in a loop, and the log must verify all the same.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server
from tests.policies import DENY_KUBE_SYSTEM

ROOT = Path(__file__).resolve().parents[2]
VIGIL = Path(sys.executable).with_name("vigil")

CHILD = """
import os, signal, sys, anyio
from mcp import Client
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server
from tests.policies import DENY_KUBE_SYSTEM

guard = ServerGuard.for_tests(sys.argv[1], "crash", policy_path=DENY_KUBE_SYSTEM)
server = create_server("crash", "a server that dies in the middle of a call", guard)


@server.tool(annotations=READ_ONLY)
def k8s_get(kind: str, name: str, namespace: str = "default") -> str:
    if name == "crash":
        os.kill(os.getpid(), signal.SIGKILL)  # after the decision record, before the result record
    return f"{kind} {namespace}/{name}: running"


async def main() -> None:
    async with Client(server) as client:
        for name in sys.argv[2].split(","):
            await client.call_tool("k8s_get", {"kind": "Pod", "name": name, "namespace": "shop"})
        print("ready", flush=True)
        i = 0
        while sys.argv[3] == "loop":
            await client.call_tool("k8s_get", {"kind": "Pod", "name": f"p{i}", "namespace": "shop"})
            i += 1


anyio.run(main)
"""


def _child(state: Path, names: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(state), names, mode], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _cli_verify(log: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_AUDIT")}  # the key beside the log
    return subprocess.run([str(VIGIL), "audit", "verify", str(log)], capture_output=True, text=True, env=env,
                          cwd=log.parent, timeout=120)


@pytest.mark.anyio
async def test_killed_between_decision_and_result_the_chain_verifies_and_continues(tmp_path: Path) -> None:
    child = _child(tmp_path, "a,b,crash", "once")
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, stderr
    log = tmp_path / "audit.jsonl"
    records = _records(log)
    assert [r["kind"] for r in records] == ["decision", "result", "decision", "result", "decision"]
    crashed = records[-1]
    assert crashed["allowed"] is True and crashed["arguments"]["name"] == "crash"
    assert not any(r["kind"] == "result" and r["action_id"] == crashed["action_id"] for r in records)

    checked = _cli_verify(log)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "intact" in checked.stdout and "5 records" in checked.stdout

    # A new writer (the server restarted) continues the same chain after the orphaned decision.
    guard = ServerGuard.for_tests(tmp_path, "crash", policy_path=DENY_KUBE_SYSTEM)
    server = create_server("crash", "restarted", guard)

    @server.tool(annotations=READ_ONLY)
    def k8s_get(kind: str, name: str, namespace: str = "default") -> str:
        """A canned object."""
        return f"{kind} {namespace}/{name}: running"

    async with Client(server) as client:
        await client.call_tool("k8s_get", {"kind": "Pod", "name": "c", "namespace": "shop"})
    records = _records(log)
    assert [r["seq"] for r in records] == list(range(1, 8))
    assert records[5]["prev"] == crashed["hash"]
    checked = _cli_verify(log)
    assert checked.returncode == 0 and "7 records" in checked.stdout, checked.stdout + checked.stderr


def test_killed_at_any_moment_while_answering_the_chain_verifies(tmp_path: Path) -> None:
    child = _child(tmp_path, "a", "loop")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    time.sleep(0.4)  # some tens of calls: killed wherever it happens to be (between records or not)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    log = tmp_path / "audit.jsonl"
    records = _records(log)
    assert len(records) > 4
    checked = _cli_verify(log)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(records)} records" in checked.stdout
