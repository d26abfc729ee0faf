"""The first `investigate` call loads the agent without stalling the server's other requests.

Blind hostile catalogue 6 (`mcp6-long-call-abandoned-and-cancelled`) found it: on a fresh checkout the
first call imported the agent on the event loop, and a `notifications/cancelled` sent meanwhile on
another connection went unanswered for over ten seconds. Here the loader is made slow on purpose (a
synchronous sleep, standing in for the cold import) and a ticker on the same event loop measures the
longest time the loop was not available while the call ran.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest
from mcp import Client

from agent.config import Config
from mcp_servers.common.server import ServerGuard
from mcp_servers.investigate import server as investigate_server
from tests.frontdoors.conftest import FakeInvestigation

pytestmark = pytest.mark.anyio

COLD_IMPORT_S = 1.0


async def test_loading_the_agent_does_not_block_the_event_loop(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeInvestigation()

    def slow_loader() -> FakeInvestigation:
        time.sleep(COLD_IMPORT_S)  # what importing agent.runtime does to the thread it runs on
        return fake

    monkeypatch.setattr(investigate_server, "_default_investigate", slow_loader)
    server = investigate_server.build_server(Config(state_dir=tmp_path),
                                             ServerGuard.for_tests(tmp_path, "investigate"))  # no runner: loads
    gaps: list[float] = []
    done = anyio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await anyio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async with Client(server) as client, anyio.create_task_group() as group:
        warm = await client.call_tool("investigate", {"question": " "})  # the guard's first use; loads nothing
        assert warm.is_error and not fake.calls
        group.start_soon(ticker)
        await anyio.sleep(0.1)
        result = await client.call_tool("investigate", {"question": "checkout pods OOMKilled in namespace shop"})
        done.set()
    assert not result.is_error and fake.calls, "the call still ran, with the loaded runner"
    assert max(gaps) < COLD_IMPORT_S / 2, f"the event loop stalled {max(gaps):.2f}s while the agent loaded"
