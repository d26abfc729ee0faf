"""What round 24 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, callers page for their callees' changes, the round speaks several real log formats, and the
host question and the canary really carry the evidence their stories claim.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout24`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout24/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout24")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _logs(root: Path) -> str:
    return "".join(p.read_text() for p in sorted((root / "cluster").rglob("*.txt")))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout24").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_callers_page_for_a_change_in_another_namespace(built: Built) -> None:
    """The round's theme: in at least four incidents the page (or question) is about a caller and the culprit
    lives in a namespace the alert never mentions."""
    bundles, answers = built
    elsewhere = []
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        ns = key["culprit"]["namespace"]
        if f'"{ns}"' not in said and f"{ns}/" not in said and f"{ns}." not in said:
            elsewhere.append(name)
    assert len(elsewhere) >= 4, elsewhere


@pytest.mark.parametrize(("bundle", "needle"), [
    ("thumbnail-latency-question", '"level":40'),  # pino JSON
    ("order-rejections-page", 'level=warn msg="order rejected"'),  # logfmt
    ("storefront-errors-grouped", '"DownstreamStatus":503,"OriginStatus":0'),  # Traefik JSON access log
    ("product-page-rpc-errors", "503 UPE upstream_reset_before_response_started{protocol_error}"),  # Envoy
    ("search-api-errors", "WARNING:  Exceeded concurrency limit."),  # uvicorn
    ("basket-errors-burn", "KeyError: 'unit_price'"),  # Python traceback
    ("connect-workers-restarting", "Terminating due to java.lang.OutOfMemoryError: Metaspace"),  # JVM
    ("card-auth-errors-page", "connect: cannot assign requested address"),  # Go log
])
def test_evidence_is_in_the_real_softwares_log_format(built: Built, bundle: str, needle: str) -> None:
    assert needle in _logs(_bundle(built, bundle))


def test_host_question_node_alone_runs_the_new_agent_revision(built: Built) -> None:
    """The question names one node: only its otel-agent pod carries the new ControllerRevision's hash (OnDelete),
    and only the Java pods on that node fail to export to port 4317."""
    root = _bundle(built, "node-traces-missing-question")
    question = (root / "alerts" / "question.txt").read_text()
    revisions = json.loads((root / "extra" / "controllerrevisions.json").read_text())["items"]
    newest = max(revisions, key=lambda r: r["revision"])["metadata"]["labels"]["controller-revision-hash"]
    agents = [p for p in _items(root, "monitoring", "pods.json") if p["metadata"]["name"].startswith("otel-agent-")]
    updated = [p["spec"]["nodeName"] for p in agents if p["metadata"]["labels"]["controller-revision-hash"] == newest]
    assert len(updated) == 1 and updated[0] in question
    failing = {p.parent.name for p in (root / "cluster" / "claims").rglob("logs.txt") if ":4317" in p.read_text()}
    on_node = {p["metadata"]["name"] for p in _items(root, "claims", "pods.json")
               if p["spec"]["nodeName"] == updated[0]}
    assert failing and failing == on_node


def test_canary_splits_the_rollout_between_two_versions(built: Built) -> None:
    """The Rollout owns a stable and a canary ReplicaSet; only the canary runs the release that renamed the field."""
    root = _bundle(built, "basket-errors-burn")
    owned = [r for r in _items(root, "pricing", "replicasets.json")
             if any(o["kind"] == "Rollout" and o["name"] == "price-quote" for o in r["metadata"]["ownerReferences"])]
    images = sorted(r["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for r in owned)
    assert images == ["2.2.4", "2.3.0"]
    rollout = json.loads((root / "extra" / "rollouts.json").read_text())["items"][0]
    assert rollout["status"]["currentStepIndex"] == 1 and rollout["spec"]["strategy"]["canary"]["steps"][0] == {
        "setWeight": 50}
