"""Every server in the shipped .mcp.json starts in a fresh clone and answers a tool call.

A fresh clone has no vigil.yaml, no kubeconfig, no Prometheus or Loki, no code index and no GitOps
repository. Each entry is started the way Claude Code starts it (its command and args, its `env`
with `${VAR:-default}` expanded from an environment without any VIGIL_ variable, in a directory
holding only .mcp.json) with the official MCP client over stdio; it must list its tools, and a call
must come back either as a result or as a tool error that says what to configure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CALLS: dict[str, tuple[str, dict[str, Any], bool, str]] = {
    # entry: (tool, arguments, is an error, words the answer must hold)
    "vigil-investigate": ("investigate", {"question": "checkout pods OOMKilled in namespace shop"}, False,
                          "nothing was checked"),
    "vigil-kubernetes": ("k8s_list", {"kind": "pods"}, True, "kubeconfig"),
    "vigil-prometheus": ("prom_alerts", {}, True, "VIGIL_PROMETHEUS_URL"),
    "vigil-loki": ("loki_labels", {}, True, "VIGIL_LOKI_URL"),
    "vigil-codegraph": ("search_symbols", {"query": "main"}, False, "(no rows)"),  # it indexes the empty directory
    "vigil-gitops": ("propose_change", {"action": "set_memory_limit", "name": "checkout", "namespace": "shop",
                                       "incident_fingerprint": "f1", "incident_title": "OOMKilled",
                                       "value": "512Mi"}, True, "VIGIL_GITOPS_REMOTE"),
}


def expand(value: str, environ: dict[str, str]) -> str:
    """Claude Code's expansion in .mcp.json: `${VAR}` and `${VAR:-default}`."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: environ.get(m.group(1)) or (m.group(2) or ""), value)


@pytest.mark.slow
async def test_every_entry_starts_in_a_fresh_clone(tmp_path: Path) -> None:
    entries: dict[str, Any] = json.loads((ROOT / ".mcp.json").read_text())["mcpServers"]
    assert set(entries) == set(CALLS), "each .mcp.json entry needs a fresh-clone check here"
    shutil.copy(ROOT / ".mcp.json", tmp_path / ".mcp.json")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "KUBECONFIG"}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    environ["HOME"] = str(tmp_path)  # no ~/.kube/config either
    answers: dict[str, tuple[list[str], bool, str]] = {}

    async def run(name: str, entry: dict[str, Any]) -> None:
        env = {**environ, **{k: expand(v, environ) for k, v in (entry.get("env") or {}).items()}}
        params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd=str(tmp_path))
        tool, arguments, _, _ = CALLS[name]
        with anyio.fail_after(90):
            async with Client(params) as client:
                tools = [t.name for t in (await client.list_tools()).tools]
                result = await client.call_tool(tool, arguments)
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        answers[name] = (tools, bool(result.is_error), text)

    async with anyio.create_task_group() as group:
        for name, entry in entries.items():
            group.start_soon(run, name, entry)
    for name, (tool, _, is_error, words) in CALLS.items():
        tools, error, text = answers[name]
        assert tool in tools, (name, tools)
        assert error is is_error and words in text, (name, text)
        assert "Traceback" not in text
    assert not (tmp_path / "vigil.yaml").exists()
