"""What round 31 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the scheduled-work incidents leave the traces Kubernetes really writes (CronJob events, Job
counts against a quota, a node's condition), and the round mixes its front doors and log formats.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout31`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout31/test_heldout.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout31")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _extra(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _events(root: Path, ns: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / "events.json").read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout31").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_forbid_cronjob_skips_while_its_hung_job_is_active(built: Built) -> None:
    """The CronJob is Forbid with no run deadline, one Job of it never finished, and the controller says why it
    skipped the later schedules; the last applied config still shows the old policy and deadline."""
    root = _bundle(built, "reconciliation-report-missing")
    cronjob = next(i for i in _extra(root, "CronJob") if i["metadata"]["name"] == "ledger-export")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert "activeDeadlineSeconds" not in cronjob["spec"]["jobTemplate"]["spec"]
    applied = json.loads(cronjob["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert applied["spec"]["concurrencyPolicy"] == "Allow"
    active = [j for j in _extra(root, "Job") if "completionTime" not in j["status"]]
    assert [j["metadata"]["name"] for j in active] == [a["name"] for a in cronjob["status"]["active"]]
    skipped = [e for e in _events(root, "finance") if e["reason"] == "JobAlreadyActive"]
    assert skipped and skipped[0]["count"] >= 5


def test_job_quota_is_full_and_the_cronjob_says_so(built: Built) -> None:
    """The quota's hard count equals the Jobs that exist, and only the CronJob's own events tell why no Job runs."""
    root = _bundle(built, "hourly-invoice-run-question")
    quota = next(i for i in _extra(root, "ResourceQuota") if i["metadata"]["name"] == "batch-objects")
    jobs = [j for j in _extra(root, "Job") if j["metadata"]["namespace"] == "invoicing"]
    assert (
        int(quota["spec"]["hard"]["count/jobs.batch"]) == len(jobs) == int(quota["status"]["used"]["count/jobs.batch"])
    )
    refused = [e for e in _events(root, "invoicing") if e["reason"] == "FailedCreate"]
    assert len(refused) == 3
    assert all(
        "exceeded quota: batch-objects" in e["message"] and e["involvedObject"]["kind"] == "CronJob" for e in refused
    )


def test_host_question_node_alone_has_disk_pressure(built: Built) -> None:
    """The question names one node: that node alone reports DiskPressure and the disk-pressure taint, and the
    evicted pod ran there."""
    root = _bundle(built, "node-pods-keep-evicted-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    pressured = [
        n["metadata"]["name"]
        for n in nodes
        if any(c["type"] == "DiskPressure" and c["status"] == "True" for c in n["status"]["conditions"])
    ]
    assert len(pressured) == 1 and pressured[0] in question
    pods = json.loads((root / "cluster" / "clickstream" / "pods.json").read_text())["items"]
    evicted = [p for p in pods if p["status"].get("reason") == "Evicted"]
    assert [p["spec"]["nodeName"] for p in evicted] == pressured
    assert "ephemeral-storage" in evicted[0]["status"]["message"]


def test_front_doors_are_mixed(built: Built) -> None:
    """Two or more chat questions (one naming no namespace), a grouped Alertmanager notification, PagerDuty
    v3 and an SLO burn."""
    bundles, _ = built
    questions, grouped, pagerduty, burns = [], 0, 0, 0
    for root in bundles:
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        for name in manifest["alerts"]:
            payload = json.loads((root / name).read_text())
            pagerduty += "event" in payload
            grouped += len(payload.get("alerts", [])) > 1
            burns += any(a["labels"]["alertname"] == "ErrorBudgetBurn" for a in payload.get("alerts", []))
    assert len(questions) >= 2 and grouped >= 1 and pagerduty >= 2 and burns >= 2
    assert any("invoicing" not in q and "invoice-hourly" in q for q in questions)


FORMATS = {
    "json": re.compile(r'^\{"'),
    "python-logging": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) "),
    "celery": re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: INFO/"),
    "logfmt": re.compile(r'^time="[^"]+" level=\w+ msg='),
    "spark-log4j": re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) "),
    "envoy": re.compile(r'^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] "(GET|POST) '),
    "logback": re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z +(INFO|WARN|ERROR) 1 --- "),
}


def test_round_uses_several_log_formats(built: Built) -> None:
    """The evidence is in the formats the real software prints, at least four of them across the round."""
    bundles, _ = built
    seen: set[str] = set()
    for root in bundles:
        for path in root.glob("cluster/*/*/logs.txt"):
            for line in path.read_text().splitlines():
                text = line.split(" ", 1)[1] if line[:4].isdigit() and "T" in line[:11] else line
                seen.update(name for name, pattern in FORMATS.items() if pattern.match(text))
    assert len(seen) >= 4, seen
