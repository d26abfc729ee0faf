"""End to end: the real Alertmanager (Debian package) posts to a real `vigil serve` process on loopback,
which investigates with the real `investigate_incident` (runbook-only) against the bundled checkout-oom
incident: the Kubernetes replay API server and a real Prometheus loaded with the incident's metrics.
The alert is fired through Alertmanager's API v2; resolving it closes the incident."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from agent.queue import open_queue
from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import replay_server
from tests.frontdoors.conftest import AM_TOKEN, free_port
from tests.frontdoors.test_durability import serve, wait_for

pytestmark = pytest.mark.slow

BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "checkout-oom"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@contextmanager
def alertmanager(tmp_path: Path, webhook_url: str) -> Iterator[str]:
    """Alertmanager with one receiver: `vigil serve`, bearer token from a file, short group timers."""
    token_file = tmp_path / "vigil-token"
    token_file.write_text(AM_TOKEN)
    config = {
        "route": {"receiver": "vigil", "group_by": ["alertname", "namespace"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "1h"},
        "receivers": [{"name": "vigil", "webhook_configs": [{
            "url": webhook_url, "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials_file": str(token_file)}}}]}],
    }
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    assert ALERTMANAGER is not None
    proc = subprocess.Popen([ALERTMANAGER, f"--config.file={tmp_path / 'alertmanager.yml'}",
                             f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address="], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url) or proc.poll() is not None, seconds=30)
        assert proc.poll() is None, (tmp_path / "alertmanager.log").read_text()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_alertmanager_to_vigil_serve_to_report(tmp_path: Path) -> None:
    if ALERTMANAGER is None:
        pytest.skip("prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager")
    from mcp_servers.prometheus.local import LocalPrometheus

    bundle = Bundle.load(BUNDLE)
    alert = json.loads((BUNDLE / "alerts" / "alertmanager.json").read_text())["alerts"][0]
    with replay_server(bundle, tmp_path / "kubeconfig") as replay, \
            LocalPrometheus(bundle.metrics_path) as prom:
        config = {
            "state_dir": str(tmp_path / "state"),
            "kubernetes": {"kubeconfig": str(replay.kubeconfig), "context": replay.context,
                           "clusters": {bundle.manifest.cluster.name: replay.context}},
            "prometheus": {"url": prom.url},
        }
        with serve(tmp_path, workers=1, name="serve", config=config) as (vigil_url, _), \
                alertmanager(tmp_path, f"{vigil_url}/webhooks/alertmanager") as am_url:
            fired = httpx.post(f"{am_url}/api/v2/alerts", json=[{
                "labels": alert["labels"], "annotations": alert["annotations"], "startsAt": alert["startsAt"],
                "generatorURL": alert["generatorURL"]}])
            assert fired.status_code == 200, fired.text
            queue = open_queue(f"sqlite:///{tmp_path / 'state' / 'jobs.db'}")
            wait_for(lambda: any(j.state == "done" for j in queue.list()), seconds=90)
            [job] = queue.list()
            assert job.source == "alertmanager" and job.result is not None
            report = job.result["report"]
            assert report["runbook_id"] == "oomkilled"
            top = report["hypotheses"][0]
            assert "oom" in top["cause"].lower() or "memory" in top["cause"].lower(), top
            assert top["evidence"], "the top hypothesis cites evidence"
            assert any(e["ok"] and e["tool"].startswith("k8s_") for e in report["evidence"])
            assert any(e["ok"] and e["tool"].startswith("prom_") for e in report["evidence"])
            assert job.result["markdown"].startswith("# Vigil report:")

            resolved = httpx.post(f"{am_url}/api/v2/alerts", json=[{
                "labels": alert["labels"], "annotations": alert["annotations"], "startsAt": alert["startsAt"],
                "endsAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}])
            assert resolved.status_code == 200
            wait_for(lambda: (queue.get(job.id) or job).incident_status == "resolved", seconds=30)


@pytest.mark.anyio
async def test_webhook_report_reaches_slack_with_the_chart_of_what_moved(tmp_path: Path, recorder: Any) -> None:
    """The same incident through the real investigation, reported to a Slack channel: the Block Kit report
    names the OOM finding and the chart is drawn from the investigation's own Prometheus range queries."""
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings
    from mcp_servers.prometheus.local import LocalPrometheus
    from tests.frontdoors.conftest import Service

    bundle = Bundle.load(BUNDLE)
    payload = json.loads((BUNDLE / "alerts" / "alertmanager.json").read_text())
    with replay_server(bundle, tmp_path / "kubeconfig") as replay, LocalPrometheus(bundle.metrics_path) as prom:
        config = Config.model_validate({
            "state_dir": str(tmp_path / "state"),
            "kubernetes": {"kubeconfig": str(replay.kubeconfig), "context": replay.context,
                           "clusters": {bundle.manifest.cluster.name: replay.context}},
            "prometheus": {"url": prom.url}})
        settings = ServeSettings.model_validate({"workers": 1, "slack": {"api_url": recorder.url + "/api/",
                                                                         "report_channel": "C-INCIDENTS"}})
        slack = AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/")
        app = create_app(settings, config, slack_client=slack, environ={"VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vigil") as client:
            service = Service(app, app.state.door, client, None, recorder, {})  # type: ignore[arg-type]
            response = await client.post("/webhooks/alertmanager", json=payload,
                                         headers={"Authorization": f"Bearer {AM_TOKEN}"})
            assert response.status_code == 202
            await service.run_jobs(seconds=60)
        job = app.state.door.queue.sync.list()[0]
        app.state.door.queue.sync.close()
    assert job.state == "done" and job.result["delivered"] == ["slack"], job.last_error
    posts = [c.form_or_json() for c in recorder.calls("chat.postMessage")]
    assert posts[0]["channel"] == "C-INCIDENTS" and "Investigating" in posts[0]["text"]
    report = next(p for p in posts if str(p.get("text", "")).startswith("Vigil report"))
    blocks = json.dumps(report["blocks"])
    assert "Root-cause hypotheses" in blocks and ("OOM" in blocks or "memory" in blocks)
    uploads = [r for r in recorder.requests if r.path.startswith("/upload/")]
    assert uploads and uploads[0].body.count(b"\x89PNG") == 1, "the chart of the series that moved"
