"""`vigil investigate --bundle`, `--at` and `vigil demo PATH`: any bundle, served the one way the demo
serves it (replay API server, Debian's Prometheus backfilled from its metrics), at its incident time."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agent.cli import app
from agent.cli.investigate import parse_at

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
needs_prometheus = pytest.mark.skipif(shutil.which("prometheus") is None,
                                      reason="Debian's prometheus package is not installed (make test installs it)")


def invoke(tmp_path: Path, *args: str) -> tuple[int, str]:
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n")
    result = CliRunner().invoke(app, [*args, "-c", str(config)])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_parse_at():
    now = datetime(2026, 3, 12, 14, 20, tzinfo=UTC)
    assert parse_at("-2h", now) == datetime(2026, 3, 12, 12, 20, tzinfo=UTC)
    assert parse_at("-1h30m", now) == datetime(2026, 3, 12, 12, 50, tzinfo=UTC)
    assert parse_at("2026-03-12T10:00:00Z") == datetime(2026, 3, 12, 10, tzinfo=UTC)
    assert parse_at("2026-03-12T12:00:00+02:00") == datetime(2026, 3, 12, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_at("yesterday")


@needs_prometheus
@pytest.mark.slow
def test_a_question_is_asked_at_the_bundles_time_shifted_by_at(tmp_path):
    code, out = invoke(tmp_path, "investigate", "--bundle", str(INCIDENTS / "checkout-oom"),
                       "checkout pods keep restarting in namespace shop", "--at", "-30m", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    times = {e["arguments"].get("at") or e["arguments"].get("time") for e in report["evidence"]} - {None}
    assert times == {"2026-03-12T13:50:00Z"}, "every windowed call counts from incident_time - 30m"
    assert all(e["ok"] for e in report["evidence"])


@needs_prometheus
@pytest.mark.slow
def test_an_alert_naming_any_cluster_is_investigated_on_the_replay(tmp_path):
    payload = json.loads((INCIDENTS / "payments-bad-config" / "alerts" / "alertmanager.json").read_text())
    payload["commonLabels"]["cluster"] = "some-cluster-nobody-configured"
    for alert in payload["alerts"]:
        alert["labels"]["cluster"] = "some-cluster-nobody-configured"
    alert_file = tmp_path / "alert.json"
    alert_file.write_text(json.dumps(payload))
    code, out = invoke(tmp_path, "investigate", "--bundle", str(INCIDENTS / "payments-bad-config"),
                       "--alert", str(alert_file), "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    k8s = [e for e in report["evidence"] if e["tool"].startswith("k8s_")]
    assert k8s and all(e["ok"] and e["arguments"]["context"] == "replay-payments-bad-config" for e in k8s)
    assert "payments" in report["hypotheses"][0]["cause"]


@needs_prometheus
@pytest.mark.slow
def test_a_bundle_without_alerts_asks_its_manifest_question_and_demo_takes_a_path(tmp_path):
    bundle = Path(shutil.copytree(INCIDENTS / "catalog-bad-image", tmp_path / "mine"))
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
    manifest["alerts"] = []
    manifest["name"] = "mine"
    manifest["question"] = "the catalog rollout in namespace shop is stuck"
    (bundle / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    code, out = invoke(tmp_path, "demo", str(bundle), "--no-pr", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["title"] == manifest["question"]
    assert "catalog" in report["hypotheses"][0]["cause"]


def test_bad_inputs_say_what_to_fix(tmp_path):
    code, out = invoke(tmp_path, "investigate", "--bundle", str(INCIDENTS / "checkout-oom"), "q", "--at", "soon")
    assert code == 2 and "RFC 3339" in out
    code, out = invoke(tmp_path, "investigate", "--bundle", str(tmp_path / "nope"), "q")
    assert code == 2 and "is not valid" in out
    code, out = invoke(tmp_path, "demo", str(tmp_path / "nope"))
    assert code == 2 and "neither a bundle directory" in out
    code, out = invoke(tmp_path, "investigate", "q", "--at", "-2 hours")
    assert code == 2 and "cannot read" in out
