"""An image-only rollout whose pods, given args naming a background role and no command, now start a web server.

Facts as the survey hands them over: the rollout's diff in template_diff's words, the workload's containers and
one pod's server/role log messages as `read` files them. Twins: a worker that also serves metrics (its role still
logs), a command set in the pod spec, args that are a server's flags, a rollout that changed the args too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import entrypoint_role, rank, subject_of
from agent.triage.facts import Facts
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
IMAGE = "mailer image reg/mailer:1.9 -> reg/mailer:2.0"
FASTIFY = '{"level":30,"msg":"Server listening at http://0.0.0.0:3000"}'
UVICORN = "2026-09-01T11:41:02Z INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)"


def _facts(lines: list[str], *, args: list[str] | None = None, command: list[str] | None = None,
           diff: list[str] | None = None) -> Facts:
    change: dict[str, Any] = {
        "at": "2026-09-01T11:40:00Z", "type": "rollout", "revision": 3, "related": [],
        "object": {"kind": "Deployment", "namespace": "mail", "name": "mailer"},
        "summary": "Deployment mail/mailer rolled out revision 3: " + IMAGE, "diff": diff or [IMAGE]}
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": [change]}, changes_id="E2")
    facts.reads[entrypoint_role.READS] = {"mail/mailer": {
        "containers": {"mailer": {"command": command, "args": ["worker"] if args is None else args}},
        "spec_id": "E3", "lines": [entrypoint_role.message_of(ln) for ln in lines], "logs_id": "E4"}}
    return facts


def test_node_server_started_where_args_name_a_worker_is_the_suspect() -> None:
    facts = _facts([FASTIFY])
    [lost] = entrypoint_role.found(facts)
    assert lost.said == "Server listening at http://0.0.0.0:3000" and lost.args == ["worker"]
    suspects = rank(subject_of(alert(alertname="QueueBacklog", namespace="mail", deployment="mailer")), facts)
    assert suspects[0].ref is not None and suspects[0].ref.name == "mailer"
    assert "ENTRYPOINT" in suspects[0].cause[:200] and "no consumers" in suspects[0].cause[:400]


def test_python_celery_args_and_uvicorn_started() -> None:
    [lost] = entrypoint_role.found(_facts([UVICORN], args=["celery", "-A", "app", "worker"]))
    assert lost.said.startswith("INFO:     Uvicorn running on")


def test_a_worker_that_also_serves_metrics_is_left_alone() -> None:
    lines = ['{"msg":"metrics server listening on :9090"}', '{"msg":"consumer registered on queue mail.send"}']
    assert entrypoint_role.found(_facts(lines)) == []


def test_command_set_server_flags_or_changed_args_are_not_this() -> None:
    assert entrypoint_role.found(_facts([FASTIFY], command=["/app/bin/worker"])) == []
    assert entrypoint_role.found(_facts([FASTIFY], args=["--port=3000"])) == []
    changed = [IMAGE, "mailer args ['worker'] -> ['worker', '--concurrency=4']"]
    assert entrypoint_role.found(_facts([FASTIFY], diff=changed)) == []
