"""`python -m mcp_servers.kubernetes.replay_main BUNDLE [--port N] [--kubeconfig-out PATH]`:
the replay server on its own, the same command `vigil replay serve` runs."""

from __future__ import annotations

import typer

from mcp_servers.kubernetes.cli import replay_serve

if __name__ == "__main__":  # pragma: no cover - exercised as a subprocess in the tests
    typer.run(replay_serve)
