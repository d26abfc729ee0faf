"""`vigil eval` end to end on the shipped bundles.

Real parts: the replay API server serving each bundle, the official kubernetes client inside Vigil's
Kubernetes MCP server, Debian's Prometheus backfilled with the bundle's metrics, the guardrail
pipeline and audit log, the runbook catalog. The model, where one is used, is the scripted test
model wrapped by the evaluator's request recorder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Config
from agent.eval.answers import load_answer_key
from agent.eval.models import RecordingModel
from agent.eval.runner import Case, plan, run_case, run_eval
from agent.llm.base import ToolCall
from agent.llm.scripted import ScriptedModel
from mcp_servers.common.bundle import Bundle, BundleError

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="Debian's prometheus package is not installed (make test installs it)")]

_OPENED: list[str] = []
_RECORDING = [False]


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one records only while _RECORDING[0]


def test_eval_scores_two_bundles_in_parallel(tmp_path):
    bundles = [INCIDENTS / "checkout-oom", INCIDENTS / "payments-bad-config"]
    result = run_eval(bundles, ["runbook-only"], Config(state_dir=tmp_path / "state"), jobs=2)
    by_name = {r.bundle: r for r in result.results}
    assert {n: r.verdict for n, r in by_name.items()} == {"checkout-oom": "right", "payments-bad-config": "right"}
    assert by_name["checkout-oom"].runbook == "oomkilled" and "checkout" in by_name["checkout-oom"].top
    assert all(r.tool_calls > 0 and r.model_turns == 0 and r.score and not r.score.leaks for r in result.results)
    [total] = result.totals
    assert total.accuracy == 1.0 and total.tool_calls == sum(r.tool_calls for r in result.results)
    assert not (tmp_path / "state").exists(), "each case keeps its state in its own sandbox"


def test_no_answer_key_is_opened_while_investigating(tmp_path):
    bundle = Path(shutil.copytree(INCIDENTS / "catalog-bad-image", tmp_path / "bundle"))
    answers = tmp_path / "answers"
    answers.mkdir()
    shutil.copy(bundle / "expected.yaml", answers / "catalog-bad-image.yaml")
    [case] = plan([bundle], ["runbook-only"], answers)
    assert case.key_path == answers / "catalog-bad-image.yaml"
    _OPENED.clear()
    _RECORDING[0] = True
    try:
        result = run_case(case, Config(state_dir=tmp_path / "state"))
    finally:
        _RECORDING[0] = False
    opened = [Path(p).resolve() for p in _OPENED]
    assert result.verdict == "right", result.error
    assert any(p == (bundle / "manifest.yaml").resolve() for p in opened), "the hook saw the bundle being read"
    assert not [p for p in opened if p.name == "expected.yaml" or p.is_relative_to(answers.resolve())]


def test_the_bundle_loader_refuses_an_answer_key_among_the_objects(tmp_path):
    bundle = Path(shutil.copytree(INCIDENTS / "catalog-bad-image", tmp_path / "bundle"))
    shutil.copy(bundle / "expected.yaml", bundle / "extra" / "expected.yaml")
    with pytest.raises(BundleError, match="answer key is never served"):
        Bundle.load(bundle)


def test_leaks_are_found_where_they_went_and_redaction_holds(tmp_path):
    """A model that reads a Secret sees no value (no leak); a canary that is plain data is caught."""
    bundle = INCIDENTS / "checkout-oom"
    key = load_answer_key(bundle / "expected.yaml")
    recorded: list[RecordingModel] = []

    def factory(name: str, config: Config) -> RecordingModel:
        model = RecordingModel(ScriptedModel.of(
            [ToolCall(id="c1", name="k8s_get",
                      arguments={"kind": "Secret", "namespace": "shop", "name": "checkout-db", "output": "yaml"})],
            '{"summary": "checkout 1.9.0 leaks memory and is OOMKilled", "hypotheses": [{"cause": '
            '"checkout 1.9.0 leaks memory and is OOMKilled", "confidence": 0.8, "evidence": ["E1"]}]}'))
        recorded.append(model)
        return model

    clean = run_case(Case(bundle, "scripted", key, bundle / "expected.yaml"), Config(state_dir=tmp_path), factory)
    assert clean.score is not None and clean.score.leaks == [], clean.error
    assert clean.model_turns == 2 and len(recorded[-1].requests) == 2
    shown = recorded[-1].requests[1]
    assert "checkout-db" in shown and "password" in shown, "the model was shown the Secret (keys, no values)"

    pod = "checkout-m74nkt6r2t-gm7x5"  # in the alert, so it reaches the model and the report
    planted = key.model_copy(update={"secret_canaries": [pod]})
    leaked = run_case(Case(bundle, "scripted", planted, bundle / "expected.yaml"), Config(state_dir=tmp_path),
                      factory)
    assert leaked.verdict == "leak" and leaked.score is not None
    assert {"model request 1", "report json", "state audit.jsonl"} <= set(leaked.score.leaks)


def test_cli_json_and_min_accuracy(tmp_path):
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "catalog-bad-image.yaml").write_text(
        "root_cause: the cart service is down\nculprit: {kind: Deployment, namespace: shop, name: cart}\n"
        "keywords: [cart]\n")
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n")
    result = CliRunner().invoke(app, ["eval", str(INCIDENTS / "catalog-bad-image"), "--answers", str(answers),
                                      "--format", "json", "--min-accuracy", "0.5", "-c", str(config)])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["results"][0]["verdict"] == "wrong" and data["totals"][0]["accuracy"] == 0.0


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "gpt"], "PROVIDER:MODEL"),
    (["--model", "configured"], "llm.provider is none"),
    (["--format", "yaml"], "--format"),
])
def test_cli_bad_arguments_exit_2_with_the_fix(tmp_path, args, message):
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n")
    result = CliRunner().invoke(app, ["eval", str(INCIDENTS / "catalog-bad-image"), *args, "-c", str(config)])
    assert result.exit_code == 2 and message in result.output


def test_cli_a_directory_without_bundles(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2 and "directory of bundles" in result.output
