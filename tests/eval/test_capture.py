"""`vigil bundle capture` against a replayed incident, then the capture replayed in turn.

Real parts: the replay API server serving checkout-oom (the "live" cluster, read through the same
GET-only client the MCP server uses), Debian's Prometheus backfilled with its metrics (through
mcp_servers/prometheus/local.py), then the captured bundle served and investigated the one way every
bundle is. The capture must validate and lead to the same investigation result.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.bundle_capture import CAPTURED_METRICS
from agent.cli import app
from agent.config import Config
from agent.eval.answers import load_answer_key
from agent.eval.runner import Case, run_case
from mcp_servers.common.bundle import Bundle, validate_bundle
from mcp_servers.kubernetes.replay import replay_server
from mcp_servers.loki.replay import loki_replay
from mcp_servers.prometheus.local import LocalPrometheus

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "incidents" / "checkout-oom"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("prometheus") is None:
        pytest.skip("Debian's prometheus package is not installed (make test installs it)")
    work = tmp_path_factory.mktemp("capture")
    live = Bundle.load(SOURCE)
    out = work / "captured-oom"
    lines = work / "loki.json"  # the "live" Loki: recorded lines in Loki's push format, served by the Loki replay
    lines.write_text(json.dumps({"streams": [
        {"stream": {"namespace": "shop", "app": "checkout"},
         "values": [[str((1773322800 + 60 * i) * 10**9), f"line {i}"] for i in range(20)]},
        {"stream": {"namespace": "elsewhere", "app": "x"}, "values": [[str(1773322800 * 10**9), "not captured"]]}]}))
    with replay_server(live, work / "kubeconfig") as replay, LocalPrometheus(live.metrics_path) as prom, \
            loki_replay(lines, live.captured_at) as loki_url:
        args = ["bundle", "capture", str(out), "--kubeconfig", str(replay.kubeconfig), "--context", replay.context,
                "--since", "4h", "--prometheus", prom.url, "--loki", loki_url, "--until", "2026-03-12T15:20:00Z",
                "--incident-time", "2026-03-12T14:20:00Z", "--alert", str(SOURCE / "alerts" / "alertmanager.json")]
        for namespace in live.namespaces():
            args += ["--namespace", namespace]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_the_capture_validates_and_holds_what_an_investigation_needs(captured):
    assert not [p for p in validate_bundle(captured) if p.severity == "error"]
    bundle, live = Bundle.load(captured), Bundle.load(SOURCE)
    kinds = ("Pod", "Deployment", "ReplicaSet", "Event", "ConfigMap", "Secret", "Node", "Service", "Endpoints",
             "StatefulSet", "CustomResourceDefinition", "ServiceMonitor")
    for kind in kinds:
        assert len(bundle.objects_of(kind)) == len(live.objects_of(kind)), kind
    assert len(bundle.objects_of("ReplicaSet", "shop")) > len(bundle.objects_of("Deployment", "shop")), \
        "old ReplicaSets (the rollout history) come along"
    previous = [k for k in bundle.logs if k.previous]
    assert previous and all(k.namespace == "shop" for k in previous if k.pod.startswith("checkout"))
    assert any(line[:4].isdigit() for line in next(iter(bundle.logs.values())).splitlines()), "timestamps kept"
    text = "".join(p.read_text(errors="replace") for p in captured.rglob("*") if p.is_file() and p.suffix != ".txt")
    for canary in load_answer_key(SOURCE / "expected.yaml").secret_canaries:
        assert canary not in text
    assert bundle.manifest.metrics_window is not None and bundle.metrics_path is not None
    assert bundle.loki_path is not None
    streams = json.loads(bundle.loki_path.read_text())["streams"]
    assert [(s["stream"]["app"], len(s["values"])) for s in streams] == [("checkout", 20)]


def test_the_capture_replays_to_the_same_investigation(captured, tmp_path):
    key = load_answer_key(SOURCE / "expected.yaml")
    original = run_case(Case(SOURCE, "runbook-only", key, SOURCE / "expected.yaml"), Config(state_dir=tmp_path))
    replayed = run_case(Case(captured, "runbook-only", key, SOURCE / "expected.yaml"), Config(state_dir=tmp_path))
    assert original.verdict == replayed.verdict == "right", (original.error, replayed.error)
    assert (replayed.runbook, replayed.top) == (original.runbook, original.top)


def test_the_captured_series_cover_every_metric_the_runbooks_query():
    used = set()
    for path in (ROOT / "runbooks").glob("*.md"):
        for line in path.read_text().splitlines():
            if "query" in line:
                used.update(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{", line))
    assert used, "the runbooks query metrics"
    assert used <= set(CAPTURED_METRICS), f"add to CAPTURED_METRICS: {sorted(used - set(CAPTURED_METRICS))}"


def test_capture_refuses_a_non_empty_directory_and_needs_a_namespace(tmp_path):
    (tmp_path / "x").write_text("")
    result = CliRunner().invoke(app, ["bundle", "capture", str(tmp_path), "--namespace", "shop",
                                      "--kubeconfig", str(tmp_path / "none")])
    assert result.exit_code == 1 and "not empty" in result.output
    result = CliRunner().invoke(app, ["bundle", "capture", str(tmp_path / "new")])
    assert result.exit_code == 2 and "--namespace" in result.output
