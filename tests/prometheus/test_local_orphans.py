"""A LocalPrometheus never outlives the process that started it, even one killed with SIGKILL.

Real processes throughout: a Python child starts a real Prometheus (Debian package) through
LocalPrometheus, the test SIGKILLs the child, and checks what is left.
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

from agent.process_identity import ProcessId
from mcp_servers.prometheus.local import reap_orphans

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OWNER = """
import json, sys, threading, time
from mcp_servers.prometheus.local import LocalPrometheus
prom = LocalPrometheus(self_scrape=False)
if sys.argv[1] == "thread":  # started from another thread: no PDEATHSIG, the pid file must do
    t = threading.Thread(target=prom.start)
    t.start()
    t.join()
else:
    prom.start()
print(json.dumps({"pid": prom._proc.pid, "workdir": str(prom.workdir)}), flush=True)
time.sleep(120)
"""


def start_owner(tmp_path: Path, how: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    if not Path("/usr/bin/prometheus").exists():
        pytest.skip("the prometheus binary is absent (apt-get install prometheus)")
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen([sys.executable, "-c", OWNER, how], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=ROOT)
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line, "the owner did not start Prometheus"
    return owner, json.loads(line)


def wait_gone(process: ProcessId, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.gone():
            return True
        time.sleep(0.05)
    return process.gone()


def test_sigkill_of_the_owner_takes_its_prometheus_along(tmp_path: Path) -> None:
    owner, info = start_owner(tmp_path, "main")
    prometheus = ProcessId.of(info["pid"])
    assert not prometheus.gone()
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    assert wait_gone(prometheus, 15), "Prometheus outlived its SIGKILLed owner"
    assert Path(info["workdir"]).exists()
    assert Path(info["workdir"]) in reap_orphans(tmp_path), "the next start removes the dead owner's temp dir"
    assert not Path(info["workdir"]).exists()


def test_the_next_start_reaps_an_orphan_the_kernel_did_not_stop(tmp_path: Path) -> None:
    owner, info = start_owner(tmp_path, "thread")
    prometheus = ProcessId.of(info["pid"])
    live_owner, live_info = start_owner(tmp_path, "main")
    try:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        time.sleep(0.5)
        assert not prometheus.gone(), "started from a thread, it survives its owner until reaped"
        assert reap_orphans(tmp_path) == [Path(info["workdir"])]
        assert wait_gone(prometheus, 15) and not Path(info["workdir"]).exists()
        assert Path(live_info["workdir"]).exists() and not ProcessId.of(live_info["pid"]).gone(), \
            "a Prometheus whose owner lives is left alone"
    finally:
        live_owner.terminate()
        live_owner.wait()
