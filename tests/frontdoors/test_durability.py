"""`vigil serve` as a real process: a webhook answered 2xx survives SIGKILL, and a burst of duplicates
makes one investigation while every request is accounted for. The investigation is the real one
(`investigate_incident`, runbook-only, no cluster configured: its report says which checks failed)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.queue import open_queue
from tests.frontdoors.conftest import AM_TOKEN, free_port
from tests.frontdoors.test_webhooks import alertmanager_payload

pytestmark = pytest.mark.slow


@contextmanager
def serve(tmp_path: Path, workers: int, name: str, env_extra: dict[str, str] | None = None,
          config: dict[str, Any] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start `vigil serve` (the module entry the `vigil` CLI mounts) and wait until it accepts connections."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config_file = tmp_path / "vigil.yaml"
    config_file.write_text(json.dumps(config or {"state_dir": str(tmp_path / "state")}))
    env = {**os.environ, "VIGIL_CONFIG": str(config_file), "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN,
           "VIGIL_SERVE__LEASE_SECONDS": "3", **(env_extra or {})}
    log = (tmp_path / f"{name}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli.serve", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / f"{name}.log").read_text())
            time.sleep(0.05)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


def wait_for(predicate: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_a_webhook_answered_2xx_survives_sigkill(tmp_path: Path) -> None:
    body = alertmanager_payload()
    with serve(tmp_path, workers=0, name="first") as (url, proc):
        response = httpx.post(f"{url}/webhooks/alertmanager", json=body,
                              headers={"Authorization": f"Bearer {AM_TOKEN}"})
        assert response.status_code == 202
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    job_id = response.json()["jobs"][0]["job"]
    queue = open_queue(f"sqlite:///{tmp_path / 'state' / 'jobs.db'}")
    stored = queue.get(job_id)
    assert stored is not None and stored.state == "queued", "committed before the 2xx"
    with serve(tmp_path, workers=1, name="second") as (url, _):
        wait_for(lambda: (queue.get(job_id) or stored).state == "done")
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200 and ready.json()["ready"]
    done = queue.get(job_id)
    assert done is not None and done.result is not None
    assert done.result["markdown"].startswith("# Vigil report:")
    assert done.attempts == 1


def test_a_burst_for_one_incident_makes_one_investigation_and_loses_nothing(tmp_path: Path) -> None:
    body = json.dumps(alertmanager_payload()).encode()
    burst = 40

    async def fire(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(client.post(
                f"{url}/webhooks/alertmanager", content=body,
                headers={"Authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"})
                for _ in range(burst)))

    with serve(tmp_path, workers=2, name="burst") as (url, _):
        responses = asyncio.run(fire(url))
        assert [r.status_code for r in responses] == [202] * burst
        job_ids = {r.json()["jobs"][0]["job"] for r in responses}
        assert len(job_ids) == 1, "every duplicate joined the one job"
        queue = open_queue(f"sqlite:///{tmp_path / 'state' / 'jobs.db'}")
        [job_id] = job_ids
        wait_for(lambda: (queue.get(job_id) or None) is not None and queue.get(job_id).state == "done")  # type: ignore[union-attr]
        metrics = httpx.get(f"{url}/metrics").text
    job = queue.get(job_id)
    assert job is not None and job.deliveries == burst, "none lost: each request is counted on the job"
    assert queue.counts() == {"queued": 0, "running": 0, "done": 1, "dead": 0, "cancelled": 0}
    audit = [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines() if line]
    reports = [r for r in audit if r.get("kind") == "report"]
    assert len(reports) == 1 and reports[0]["fingerprint"] == job.dedupe_key
    assert f'vigil_webhook_requests_total{{outcome="accepted",source="alertmanager"}} {burst}' in metrics


def test_a_job_killed_mid_investigation_runs_again_after_restart(tmp_path: Path) -> None:
    """The first process is killed while the investigation runs (it is stuck starting an external MCP
    server that never answers). Its lease is 300 s, yet the restarted process on the same host proves
    the first one dead and runs the job again at once."""
    state = str(tmp_path / "state")
    stalled = {"state_dir": state, "servers": [{"name": "stalled", "command": ["sleep", "60"]}]}
    queue = open_queue(f"sqlite:///{tmp_path / 'state' / 'jobs.db'}")
    long_lease = {"VIGIL_SERVE__LEASE_SECONDS": "300"}
    with serve(tmp_path, workers=1, name="first", config=stalled, env_extra=long_lease) as (url, proc):
        response = httpx.post(f"{url}/webhooks/alertmanager", json=alertmanager_payload(),
                              headers={"Authorization": f"Bearer {AM_TOKEN}"})
        assert response.status_code == 202
        job_id = response.json()["jobs"][0]["job"]
        wait_for(lambda: (queue.get(job_id) or None) is not None and queue.get(job_id).state == "running")  # type: ignore[union-attr]
        os.killpg(proc.pid, signal.SIGKILL)  # the server and the stalled child it started
        proc.wait(timeout=10)
    with serve(tmp_path, workers=1, name="second", config={"state_dir": state}, env_extra=long_lease):
        wait_for(lambda: queue.get(job_id).state == "done", seconds=40)  # type: ignore[union-attr]
    job = queue.get(job_id)
    assert job is not None and job.attempts == 2 and job.result is not None
    assert job.result["markdown"].startswith("# Vigil report:")
