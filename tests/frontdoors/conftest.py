"""Fixtures for the front-door tests: a recorder standing in for Slack's and PagerDuty's APIs, a
throwaway real PostgreSQL cluster, request signing, and a deterministic investigation function."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.incident import Incident
from agent.report import EvidenceRef, Hypothesis, Report

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- a recorder for outgoing Slack Web API and PagerDuty REST calls ------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form_or_json(self) -> dict[str, Any]:
        """Slack's SDK sends JSON for most methods, form data or query parameters for some; read any."""
        from urllib.parse import parse_qsl, urlsplit

        fields: dict[str, Any] = dict(parse_qsl(urlsplit(self.path).query))
        text = self.body.decode("utf-8", "replace")
        if self.headers.get("content-type", "").startswith("application/json"):
            fields.update(json.loads(text or "{}"))
        else:
            fields.update(parse_qsl(text))
        return fields


@dataclass
class Recorder:
    """A real local HTTP server that answers like Slack's Web API (`/api/<method>`) and PagerDuty's REST
    API (`/incidents/<id>/notes`) in their documented response shapes, and keeps every request."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    fail_paths: set[str] = field(default_factory=set)
    """Paths that answer 500 (to exercise retries)."""
    _ts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?")[0].endswith(suffix)]

    def answer(self, method: str, path: str) -> tuple[int, dict[str, Any]]:
        if path in self.fail_paths:
            return 500, {"error": "recorder told to fail"}
        with self._lock:
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
        if path.startswith("/incidents/") and path.endswith("/notes"):
            return 201, {"note": {"id": f"PNOTE{self._ts}", "content": "..."}}
        name = path.removeprefix("/api/")
        if name == "auth.test":
            return 200, {"ok": True, "user_id": "UVIGILBOT", "bot_id": "BVIGIL", "team_id": "T1", "user": "vigil"}
        if name == "files.getUploadURLExternal":
            return 200, {"ok": True, "upload_url": f"{self.url}/upload/F{self._ts}", "file_id": f"F{self._ts}"}
        if name == "files.completeUploadExternal":
            return 200, {"ok": True, "files": [{"id": f"F{self._ts}", "title": "chart"}]}
        if path.startswith("/upload/"):
            return 200, {"ok": True}
        return 200, {"ok": True, "ts": ts, "channel": "C1", "message": {"ts": ts}}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            rec.requests.append(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                         body))
            status, payload = rec.answer(self.command, self.path.split("?")[0])
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


# -- signing --------------------------------------------------------------------------------------------


def slack_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 scheme: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": sig}


# -- a deterministic investigation ---------------------------------------------------------------------


class FakeInvestigation:
    """Stands in for `investigate_incident` where a test is about the front door, not the agent: it
    returns a report built from the incident, records each call, and can be told to fail or wait."""

    def __init__(self, fail_times: int = 0, delay: float = 0.0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_times = fail_times
        self.delay = delay

    async def __call__(self, incident: Incident, config: Any, *, actor: Any, approver: Any = None,
                       progress: Any = None) -> Report:
        import anyio

        self.calls.append({"incident": incident, "actor": actor, "approver": approver})
        if progress:
            progress("runbook", {"id": "pod-oomkilled", "reasons": []})
            progress("tool", {"id": "E1", "tool": "k8s_describe", "ok": True})
        if self.delay:
            await anyio.sleep(self.delay)
        if len(self.calls) <= self.fail_times:
            raise RuntimeError("the model provider timed out")
        if progress:
            progress("done", {"complete": True})
        return Report(
            incident_id=incident.id, fingerprint=incident.fingerprint, title=incident.title, run_id="run_test",
            runbook_id="pod-oomkilled", summary=f"Most likely: memory limit too low for {incident.title}",
            hypotheses=[Hypothesis(cause="container exceeds its memory limit", confidence=0.8, evidence=["E1"],
                                   source="runbook")],
            evidence=[EvidenceRef(id="E1", tool="k8s_describe", arguments={"namespace": "shop"}, ok=True)],
        )


# -- a throwaway PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL 15 cluster (Debian package) in a temp dir on a free loopback port."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are absent (/usr/lib/postgresql/15/bin); apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="vigil-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser; cannot start PostgreSQL as an unprivileged user")
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "vigil", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200",
                    "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://vigil@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


# -- the service under test, in process ------------------------------------------------------------------

SLACK_SECRET = "slack-signing-secret-for-tests"
PD_SECRETS = ("pd-secret-old", "pd-secret-new")
AM_TOKEN = "alertmanager-token-for-tests"


@dataclass
class Service:
    app: Any
    door: Any
    client: Any
    fake: FakeInvestigation
    recorder: Recorder
    environ: dict[str, str]

    async def run_jobs(self, seconds: float = 5.0) -> None:
        """Run the worker pool until the queue has nothing queued or running (or `seconds` pass)."""
        import anyio

        pool = self.door.pool
        async with anyio.create_task_group() as tg:
            tg.start_soon(pool.run)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                counts = await self.door.queue.counts()
                if counts["queued"] == 0 and counts["running"] == 0 and not pool.running:
                    break
                await anyio.sleep(0.02)
            pool.stop()
        pool._stop.clear()


@pytest.fixture
async def service(tmp_path: Path, recorder: Recorder) -> Any:
    """`vigil serve`'s app with a recorder behind Slack and PagerDuty and a deterministic investigation."""
    import httpx
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_PAGERDUTY_SIGNING_SECRET": ",".join(PD_SECRETS), "VIGIL_PAGERDUTY_API_TOKEN": "pd-api-token",
               "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN}
    settings = ServeSettings.model_validate({
        "workers": 2, "retry_base_seconds": 0.0, "max_body_bytes": 64_000,
        "pagerduty": {"api_url": recorder.url, "from_email": "oncall@example.com"},
        "slack": {"api_url": recorder.url + "/api/"},
    })
    fake = FakeInvestigation()
    slack = AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/")
    app = create_app(settings, Config(state_dir=tmp_path / "state"), investigate=fake, slack_client=slack,
                     environ=environ)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vigil") as client:
        yield Service(app, app.state.door, client, fake, recorder, environ)
    app.state.door.queue.sync.close()
