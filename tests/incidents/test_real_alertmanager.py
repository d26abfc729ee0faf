"""The Alertmanager normaliser against the real thing: Debian's `prometheus-alertmanager`.

We start Alertmanager on 127.0.0.1 with a webhook receiver pointing at a tiny local HTTP server,
post two alerts through its v2 API, and feed whatever Alertmanager delivers to `from_alertmanager`.
Skipped when the binary is not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from agent.incident import from_alertmanager

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None, reason="needs prometheus-alertmanager (apt install prometheus-alertmanager)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    _Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Receiver.bodies
    server.shutdown()


@pytest.fixture
def alertmanager(tmp_path: Path, receiver: tuple[int, list[dict[str, Any]]]) -> Iterator[str]:
    hook_port, _ = receiver
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "route:\n"
        "  receiver: vigil\n"
        "  group_by: [alertname, namespace]\n"
        "  group_wait: 1s\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 1h\n"
        "receivers:\n"
        "  - name: vigil\n"
        "    webhook_configs:\n"
        f"      - url: http://127.0.0.1:{hook_port}/hook\n"
        "        send_resolved: true\n"
    )
    assert BINARY is not None
    process = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("Alertmanager did not become ready in 20 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_real_alertmanager_notification_becomes_one_incident(
    alertmanager: str, receiver: tuple[int, list[dict[str, Any]]]
) -> None:
    _, bodies = receiver
    start = datetime.now(UTC) - timedelta(minutes=3)
    alerts = [
        {
            "labels": {"alertname": "KubePodCrashLooping", "namespace": "payments", "pod": pod,
                       "container": "payments", "severity": "warning"},
            "annotations": {"summary": "Pod is crash looping."},
            "startsAt": start.isoformat(),
            "generatorURL": "http://prometheus.example/graph",
        }
        for pod in ("payments-6d8f7c9b5d-975vt", "payments-6d8f7c9b5d-47jwv")
    ]
    response = httpx.post(f"{alertmanager}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200
    deadline = time.monotonic() + 20
    while not bodies and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bodies, "Alertmanager delivered no webhook in 20 s"

    payload = bodies[0]
    assert payload["version"] == "4"
    incidents = from_alertmanager(payload)
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.alertname == "KubePodCrashLooping"
    assert incident.labels["namespace"] == "payments"
    assert "pod" not in incident.labels
    pods = sorted(a.labels["pod"] for a in incident.alerts)
    assert pods == ["payments-6d8f7c9b5d-47jwv", "payments-6d8f7c9b5d-975vt"]
    assert abs((incident.started_at - start).total_seconds()) < 1
    assert incident.severity == "warning"
    assert incident.status == "firing"
