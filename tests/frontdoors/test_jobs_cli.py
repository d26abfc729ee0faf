"""`vigil jobs`: the queue as an operator sees it, dead letters included, and retrying one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.jobs import jobs_app
from agent.queue.sqlite import SQLiteQueue


def test_list_show_and_retry_a_dead_letter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli import jobs

    monkeypatch.setattr(jobs.console, "width", 200)
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    queue = SQLiteQueue(tmp_path / "jobs.db")
    ok = queue.enqueue("investigate", "fpA", {"incident": {"title": "checkout OOMKilled"}}, source="alertmanager")
    dead = queue.enqueue("investigate", "fpB", {"incident": {"title": "payments crashloop"}}, source="pagerduty",
                         max_attempts=1)
    first = queue.claim("w", 30)
    assert first is not None and first.id == ok.job_id
    queue.complete(first.id, "w", {"markdown": "# Vigil report: checkout OOMKilled\n\nMost likely: a leak",
                                   "delivered": ["slack"]})
    second = queue.claim("w", 30)
    assert second is not None
    queue.fail(second.id, "w", "PagerDuty refused the note: HTTP 401")
    runner = CliRunner()
    env = {"VIGIL_CONFIG": ""}

    listed = runner.invoke(jobs_app, ["list", "--queue-url", url], env=env)
    assert listed.exit_code == 0, listed.output
    assert dead.job_id in listed.output and "dead" in listed.output and "PagerDuty refused" in listed.output

    only_dead = runner.invoke(jobs_app, ["list", "--state", "dead", "--json", "--queue-url", url], env=env)
    rows = [json.loads(line) for line in only_dead.output.splitlines()]
    assert [r["id"] for r in rows] == [dead.job_id] and rows[0]["last_error"].startswith("PagerDuty refused")

    shown = runner.invoke(jobs_app, ["show", ok.job_id, "--queue-url", url], env=env)
    assert shown.exit_code == 0 and "Most likely: a leak" in shown.output and "delivered to: slack" in shown.output

    assert runner.invoke(jobs_app, ["retry", ok.job_id, "--queue-url", url], env=env).exit_code == 1
    retried = runner.invoke(jobs_app, ["retry", dead.job_id, "--queue-url", url], env=env)
    assert retried.exit_code == 0
    revived = queue.get(dead.job_id)
    assert revived is not None and (revived.state, revived.attempts) == ("queued", 0)

    bad = runner.invoke(jobs_app, ["list", "--state", "lost", "--queue-url", url], env=env)
    assert bad.exit_code == 2 and "unknown state lost" in bad.output
    missing = runner.invoke(jobs_app, ["show", "job_nope", "--queue-url", url], env=env)
    assert missing.exit_code == 1


def test_piped_list_is_full_width_rows_and_json_on_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    queue = SQLiteQueue(tmp_path / "jobs.db")
    title = "Checkout pods OOMKilled after the 14:05 deploy of checkout-api in namespace shop, region eu-west-1"
    job = queue.enqueue("investigate", "fpLong", {"incident": {"title": title}}, source="alertmanager")
    runner = CliRunner()
    plain = runner.invoke(jobs_app, ["list", "--queue-url", url], env={"VIGIL_CONFIG": "", "COLUMNS": "80"})
    header, row = plain.output.splitlines()
    assert header.split("\t")[:5] == ["job", "state", "kind", "source", "incident"]
    assert row.split("\t")[:5] == [job.job_id, "queued", "investigate", "alertmanager", title], "nothing cut"
    as_json = runner.invoke(jobs_app, ["list", "--format", "json", "--queue-url", url], env={"VIGIL_CONFIG": ""})
    [data] = [json.loads(line) for line in as_json.output.splitlines()]
    assert data["id"] == job.job_id and data["payload"]["incident"]["title"] == title
    bad = runner.invoke(jobs_app, ["list", "--format", "yaml", "--queue-url", url], env={"VIGIL_CONFIG": ""})
    assert bad.exit_code == 2 and "yaml" in bad.output
