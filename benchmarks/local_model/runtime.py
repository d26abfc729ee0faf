"""The local model runtime: node-llama-cpp installed into a cache directory, and server.mjs started on it.

Why a separate module: bench.py measures; this one only installs and runs the server, so the
weights, the runtime and the measuring can each be checked on their own.
The runtime is pinned (`npm i -E node-llama-cpp@3.21.1`, its prebuilt CPU binary), bound to
127.0.0.1 only, and runs with 1 thread by default because the machine is shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RUNTIME_PACKAGE = "node-llama-cpp@3.21.1"
DEFAULT_RUNTIME_DIR = Path(os.environ.get("VIGIL_LOCAL_RUNTIME", Path.home() / ".cache" / "vigil" / "node-llama"))
SERVER_SCRIPT = Path(__file__).with_name("server.mjs")


class LocalRuntimeError(RuntimeError):
    """The runtime could not be installed or the server did not come up; the message says why."""


def ensure_runtime(runtime_dir: Path = DEFAULT_RUNTIME_DIR) -> Path:
    """Install node-llama-cpp (exact version) into `runtime_dir` when missing; the script path to run there.

    server.mjs is copied next to node_modules so Node's ESM resolution finds the package (ESM
    ignores NODE_PATH).
    """
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise LocalRuntimeError("node and npm are needed for the local model runtime (apt-get install nodejs npm)")
    runtime_dir.mkdir(parents=True, exist_ok=True)
    package_json = runtime_dir / "package.json"
    if not package_json.exists():
        package_json.write_text(json.dumps({"name": "vigil-local-model-runtime", "private": True,
                                            "type": "module"}) + "\n", encoding="utf-8")
    installed = runtime_dir / "node_modules" / "node-llama-cpp" / "package.json"
    wanted = RUNTIME_PACKAGE.rsplit("@", 1)[1]
    if not installed.exists() or json.loads(installed.read_text(encoding="utf-8")).get("version") != wanted:
        result = subprocess.run(["npm", "i", "-E", RUNTIME_PACKAGE], cwd=runtime_dir, capture_output=True,
                                text=True, timeout=900, check=False)
        if result.returncode != 0:
            raise LocalRuntimeError(f"npm i -E {RUNTIME_PACKAGE} failed: {result.stderr[-400:]}")
    script = runtime_dir / SERVER_SCRIPT.name
    shutil.copyfile(SERVER_SCRIPT, script)
    return script


@dataclass
class Server:
    """A running server: its OpenAI-compatible base URL, the served model name and its exchange log."""

    base_url: str
    name: str
    context_window: int
    log: Path
    process: subprocess.Popen[bytes]


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll GET /v1/models until it answers; fail early when the process dies."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalRuntimeError(f"the model server exited with status {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise LocalRuntimeError(f"the model server was not ready after {timeout_s:.0f}s")


@contextmanager
def serve(weights: Path, *, name: str, port: int = 8091, context_window: int = 8192, threads: int = 1,
          log: Path, runtime_dir: Path = DEFAULT_RUNTIME_DIR, stderr: Path | None = None,
          ready_timeout_s: float = 180.0) -> Iterator[Server]:
    """Start server.mjs on 127.0.0.1:`port` for `weights`, wait until it answers, stop it afterwards."""
    script = ensure_runtime(runtime_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    err_file = (stderr or log.with_suffix(".server.log")).open("wb")
    cmd = ["node", str(script), "--model", str(weights), "--port", str(port), "--ctx", str(context_window),
           "--threads", str(threads), "--name", name, "--log", str(log)]
    process = subprocess.Popen(cmd, cwd=runtime_dir, stdout=err_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_ready(base_url, process, ready_timeout_s)
        yield Server(base_url, name, context_window, log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        err_file.close()
