"""The thread-free stdio transport, driven as a client would: JSON-RPC lines on a real pipe.

A real server process is started; the test writes the protocol by hand so that it can also send
what no SDK client sends (a line far over the size limit) and check what comes back on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mcp_types

from tests.codegraph.conftest import REPO_ROOT

SERVER = """
import os, sys, anyio
from mcp.server.mcpserver import MCPServer
from mcp_servers.codegraph import stdio
stdio.MAX_LINE_BYTES = 4096
server = MCPServer("noisy")

@server.tool()
async def noisy(word: str) -> str:
    '''Writes to stdout the way careless code does, then answers.'''
    print("stray print")
    os.write(1, b"stray write to fd 1\\n")
    return word.upper()

anyio.run(stdio.run_stdio, server)
"""


def _request(rid: int, method: str, params: dict[str, object]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n"


def test_stray_output_and_oversized_lines_do_not_break_the_wire(tmp_path: Path) -> None:
    init = _request(1, "initialize", {"protocolVersion": mcp_types.LATEST_PROTOCOL_VERSION, "capabilities": {},
                                      "clientInfo": {"name": "t", "version": "0"}})
    notified = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n"
    oversized = '{"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"pad": "' + "x" * 20_000 + '"}}\n'
    call = _request(3, "tools/call", {"name": "noisy", "arguments": {"word": "ok"}})
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(init + notified + oversized + call)
        proc.stdin.flush()
        messages = []
        for line in proc.stdout:  # every line on stdout must be a JSON-RPC message
            messages.append(json.loads(line))
            if messages[-1].get("id") == 3:
                break
        proc.stdin.close()  # how an MCP client ends a stdio session
        assert proc.wait(timeout=30) == 0
        stderr = proc.stderr.read()
    finally:
        proc.kill()
    by_id = {m.get("id"): m for m in messages}
    assert by_id[1]["result"]["serverInfo"]["name"] == "noisy"
    assert 2 not in by_id  # the oversized request was dropped, not half-read
    assert by_id[3]["result"]["content"][0]["text"] == "OK"
    assert "stray print" in stderr and "stray write to fd 1" in stderr
