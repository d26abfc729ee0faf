"""Fixtures for the change-timeline and topology tests: two bundled incidents served by the real
replay API server (loopback HTTP, the official `kubernetes` client on the other side)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
SCENARIOS = ["checkout-oom", "frontend-dependency-outage"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ReplayHandle]]:
    handles: dict[str, ReplayHandle] = {}
    stack = []
    try:
        for name in SCENARIOS:
            cm = replay_server(Bundle.load(INCIDENTS / name), tmp_path_factory.mktemp(name) / "kubeconfig")
            handles[name] = cm.__enter__()
            stack.append(cm)
        yield handles
    finally:
        for cm in reversed(stack):
            cm.__exit__(None, None, None)
