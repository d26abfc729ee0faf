"""Fixtures for the Kubernetes tests: the bundled incidents served by the replay API server.

The replay server is real HTTP on loopback, so the official `kubernetes` client and the real
`kubectl` binary talk to it exactly as they would to a cluster's API server.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
SCENARIOS = ["checkout-oom", "payments-bad-config", "catalog-bad-image", "frontend-dependency-outage"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def bundles() -> dict[str, Bundle]:
    return {name: Bundle.load(INCIDENTS / name) for name in SCENARIOS}


@pytest.fixture(scope="session")
def replays(bundles: dict[str, Bundle], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ReplayHandle]]:
    """One replay server per scenario for the whole session (they are read-only, so shareable)."""
    handles: dict[str, ReplayHandle] = {}
    stack = []
    try:
        for name, bundle in bundles.items():
            cm = replay_server(bundle, tmp_path_factory.mktemp(name) / "kubeconfig")
            handles[name] = cm.__enter__()
            stack.append(cm)
        yield handles
    finally:
        for cm in reversed(stack):
            cm.__exit__(None, None, None)


class Kubectl:
    """Runs the real kubectl against one replay server, with its own discovery cache dir."""

    def __init__(self, handle: ReplayHandle, cache: Path) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(handle.kubeconfig), "KUBECACHEDIR": str(cache)}

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["kubectl", *args], env=self.env, capture_output=True, text=True, timeout=60)
        if ok:
            assert result.returncode == 0, f"kubectl {' '.join(args)} failed: {result.stderr}"
        return result


@pytest.fixture
def kubectl_for(replays: dict[str, ReplayHandle], tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(name: str) -> Kubectl:
        return Kubectl(replays[name], tmp_path / f"kubecache-{name}")

    return make
