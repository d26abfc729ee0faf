"""The runbook catalog knows the tools of the servers actually connected, read or write by annotation.

An Argo CD MCP server's `argocd_app_get` is no Vigil tool, so offline a runbook that calls it is left
out with an `unknown-tool` issue; connected (a real MCP server in process, annotated read-only), the
same runbook is in the catalog. A connected tool without the read-only annotation is a write, and a
runbook step may never call it.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from agent.config import Config
from agent.runtime import Runtime
from agent.toolhub import ToolHub
from guardrails.action import Actor
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server

pytestmark = pytest.mark.anyio

RUNBOOK = dedent("""\
    ---
    id: argocd-drift
    title: Argo CD application out of sync
    owner: platform
    version: 1.0.0
    tools: [{tool}]
    match:
      alertnames: [ArgoCdAppOutOfSync]
    ---

    # Argo CD application out of sync

    ## Steps

    ### 1. The application {{#app}}
    ```tool
    {tool}:
      name: "{{{{ labels.name }}}}"
    ```
    """)


def argocd_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = create_server("argocd", "a stand-in Argo CD MCP server", ServerGuard.for_tests(tmp_path, "argocd"))

    @server.tool(annotations=READ_ONLY)
    def argocd_app_get(name: str) -> str:
        """One application's sync and health status."""
        return f"{name}: OutOfSync, Healthy"

    @server.tool()
    def argocd_app_sync(name: str) -> str:
        """Sync an application (a write: no read-only annotation)."""
        return f"{name}: synced"

    return server


async def test_a_runbook_for_a_connected_servers_tool_is_in_the_catalog(tmp_path: Path) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "argocd-drift.md").write_text(RUNBOOK.format(tool="argocd_app_get"))
    sync = RUNBOOK.format(tool="argocd_app_sync").replace("argocd-drift", "argocd-sync")
    (books / "argocd-sync.md").write_text(sync)
    runtime = Runtime.from_config(Config(state_dir=tmp_path / "state", runbook_dirs=[books]))
    offline = runtime.catalog()
    assert offline.get("argocd-drift") is None
    assert any(i.code == "unknown-tool" and "argocd_app_get" in i.message for i in offline.issues)
    async with ToolHub(runtime.pipeline, Actor(name="agent", origin="agent"), "run_catalog") as hub:
        await hub.connect("argocd", argocd_server(tmp_path))
        connected = runtime.catalog(hub.tools())
    assert connected.get("argocd-drift") is not None, [str(i) for i in connected.issues]
    assert connected.get("argocd-sync") is None
    assert any(i.code == "write-tool" and "argocd_app_sync" in i.message for i in connected.issues)
