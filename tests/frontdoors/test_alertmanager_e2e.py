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
