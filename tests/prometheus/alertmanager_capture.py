"""Run Debian's real Alertmanager against a local receiver and capture the webhook payloads it sends.

Used by the test that checks Alertmanager really speaks webhook version 4, and runnable to refresh
the shipped examples:

    .venv/bin/python -m tests.prometheus.alertmanager_capture examples/alertmanager

An alert goes in through Alertmanager's API v2 (`POST /api/v2/alerts`), exactly as Prometheus
sends it; Alertmanager groups it and POSTs the notification to our receiver. Resolving the alert
(the same labels with `endsAt` in the past) produces the `resolved` notification.
"""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from mcp_servers.prometheus.local import free_port

BINARY = "prometheus-alertmanager"

ALERT_LABELS = {"alertname": "KubePodCrashLooping", "severity": "critical", "namespace": "shop",
                "pod": "checkout-m74nkt6r2t-gm7x5", "container": "checkout", "cluster": "prod-eu-west-1"}
ALERT_ANNOTATIONS = {"summary": "Pod shop/checkout-m74nkt6r2t-gm7x5 is crash looping",
                     "description": "Container checkout restarted 6 times in the last 30 minutes (OOMKilled).",
                     "runbook_url": "https://runbooks.example.com/KubePodCrashLooping"}


@contextmanager
def receiver() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A loopback webhook receiver; yields its URL and a queue of the JSON bodies it received."""
    bodies: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            bodies.put(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alertmanager", bodies
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def alertmanager(webhook_url: str) -> Iterator[str]:
    """A real Alertmanager on a free loopback port, clustering off, routing everything to `webhook_url`."""
    binary = shutil.which(BINARY)
    if binary is None:
        raise RuntimeError(f"{BINARY} is not installed; `apt-get install -y prometheus-alertmanager`")
    with tempfile.TemporaryDirectory(prefix="vigil-am-") as tmp:
        config = {
            "route": {"receiver": "vigil", "group_by": ["alertname", "namespace"], "group_wait": "1s",
                      "group_interval": "1s", "repeat_interval": "4h"},
            "receivers": [{"name": "vigil", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
        }
        (Path(tmp) / "am.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = (Path(tmp) / "am.log").open("wb")
        proc = subprocess.Popen(
            [binary, f"--config.file={tmp}/am.yml", f"--storage.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
             "--web.external-url=http://alertmanager.example:9093", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (Path(tmp) / "am.log").read_text(errors="replace")[-500:]
                    raise RuntimeError(f"alertmanager did not become ready: {tail}")
                time.sleep(0.1)
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def post_alert(am_url: str, starts: datetime, ends: datetime | None = None) -> None:
    alert: dict[str, Any] = {"labels": ALERT_LABELS, "annotations": ALERT_ANNOTATIONS,
                             "startsAt": starts.isoformat().replace("+00:00", "Z"),
                             "generatorURL": "http://prometheus.example:9090/graph?g0.expr=increase"
                                             "%28kube_pod_container_status_restarts_total%5B30m%5D%29+%3E+3"}
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    response = httpx.post(f"{am_url}/api/v2/alerts", json=[alert], timeout=5)
    response.raise_for_status()


def wait_for(bodies: queue.Queue[dict[str, Any]], status: str, seconds: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            body = bodies.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if body.get("status") == status:
            return body
    raise TimeoutError(f"no {status} notification from alertmanager within {seconds}s")


def capture() -> tuple[dict[str, Any], dict[str, Any]]:
    """Fire one alert, then resolve it; return the (firing, resolved) webhook payloads."""
    with receiver() as (hook, bodies), alertmanager(hook) as am:
        starts = datetime.now(UTC) - timedelta(minutes=3)
        post_alert(am, starts)
        firing = wait_for(bodies, "firing")
        post_alert(am, starts, ends=datetime.now(UTC) - timedelta(seconds=1))
        resolved = wait_for(bodies, "resolved")
    return firing, resolved


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "examples/alertmanager")
    out.mkdir(parents=True, exist_ok=True)
    firing, resolved = capture()
    (out / "webhook-v4-firing.json").write_text(json.dumps(firing, indent=2) + "\n")
    (out / "webhook-v4-resolved.json").write_text(json.dumps(resolved, indent=2) + "\n")
    print(f"wrote {out}/webhook-v4-firing.json and webhook-v4-resolved.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
