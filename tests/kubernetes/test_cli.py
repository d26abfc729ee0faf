"""The sub-apps the `vigil` CLI mounts: bundle validate, replay serve, mcp kubernetes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mcp_servers.kubernetes.cli import app, bundle_app, replay_app
from tests.kubernetes.conftest import INCIDENTS

runner = CliRunner()


def test_validate_ok_and_broken(tmp_path: Path) -> None:
    ok = runner.invoke(bundle_app, ["validate", str(INCIDENTS / "checkout-oom")])
    assert ok.exit_code == 0 and "ok" in ok.output and "44 pods" in " ".join(ok.output.split())
    broken = tmp_path / "b"
    shutil.copytree(INCIDENTS / "checkout-oom", broken)
    (broken / "alerts" / "pagerduty.json").write_text("[]")
    result = runner.invoke(bundle_app, ["validate", str(broken)])
    assert result.exit_code == 1 and "pagerduty" in result.output and "1 error(s)" in result.output


def test_replay_serve_refuses_a_broken_bundle(tmp_path: Path) -> None:
    result = runner.invoke(replay_app, ["serve", str(tmp_path)])
    assert result.exit_code == 1 and "manifest.yaml" in result.output


def test_mcp_http_needs_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_MCP_TOKEN", raising=False)
    result = runner.invoke(app, ["--http", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2 and "needs callers" in result.output


@pytest.mark.slow
def test_replay_serve_process_writes_a_kubeconfig_and_answers(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "mcp_servers.kubernetes.replay_main",
                             str(INCIDENTS / "catalog-bad-image"), "--port", str(port),
                             "--kubeconfig-out", str(kubeconfig)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/version", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert kubeconfig.exists() and f"http://127.0.0.1:{port}" in kubeconfig.read_text()
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/namespaces/shop/pods").json()["kind"] == "PodList"
    finally:
        proc.terminate()
        proc.wait(10)
