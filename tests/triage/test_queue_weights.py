"""agent.triage.queue_weights: a job worker's queue list lost its weights and a later queue starves.

Shapes: a Faktory-style worker Deployment whose env `WORKER_QUEUES` went from `critical,5 events,2 webhooks,1` to
`critical events webhooks` while the alert labels the `webhooks` queue; a ConfigMap of a Sidekiq-style YAML
queue list (`[[default, 4], [notifications, 1]]` -> `[default, notifications]`) read by a StatefulSet, the alert
naming `notifications`. Twins: the alert names the first queue; weights changed but kept; a rollout that leaves
the queue list alone; weights dropped while the incident names no queue of the list.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import queue_weights as qw
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 7, 21, 3, 30, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, diff: list[str], related: list[dict[str, str]] | None = None,
          minutes: int = 70) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "rollout" if kind != "ConfigMap" else "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written: x",
            "diff": diff, "related": related or []}


def facts_for(changes: list[dict[str, Any]], labels: list[str]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(qw.read(Subject(namespace="ops", labelled_values=labels), facts, None, iso(AT)))  # type: ignore[arg-type]
    return facts


ENV = ("worker env WORKER_QUEUES='critical,5 events,2 webhooks,1' -> WORKER_QUEUES='critical events webhooks'")
YAML = ("data key worker.yml 'concurrency: 8 queues: [[default, 4], [notifications, 1]]' -> "
        "'concurrency: 8 queues: [default, notifications]'")


def test_env_queue_list_without_weights_starves_the_labelled_queue() -> None:
    facts = facts_for([write("Deployment", "hooks", "job-runner", [ENV])], ["webhooks", "hooks"])
    [(ref, finding, evidence, _)] = qw.suspects(facts)
    assert (ref.kind, ref.name) == ("Deployment", "job-runner") and evidence == ["C1"]
    assert "weights" in finding["message"] and "strict" in finding["message"]
    assert "critical, events hold jobs the webhooks queue" in finding["message"]


def test_configmap_yaml_pairs_dropped_names_the_reading_statefulset() -> None:
    reader = {"kind": "StatefulSet", "namespace": "notify", "name": "notifier"}
    facts = facts_for([write("ConfigMap", "notify", "worker-config", [YAML], [reader])], ["notifications"])
    [(ref, finding, _, _)] = qw.suspects(facts)
    assert (ref.kind, ref.name) == ("StatefulSet", "notifier") and "default,4 notifications,1" in finding["message"]


def test_alert_on_the_first_queue_names_nothing() -> None:
    assert qw.suspects(facts_for([write("Deployment", "hooks", "job-runner", [ENV])], ["critical"])) == []


def test_weights_changed_but_kept_name_nothing() -> None:
    kept = "worker env WORKER_QUEUES='critical,5 events,2 webhooks,1' -> WORKER_QUEUES='critical,8 events,2 webhooks,1'"
    assert qw.suspects(facts_for([write("Deployment", "hooks", "job-runner", [kept])], ["webhooks"])) == []


def test_rollout_leaving_the_queue_list_alone_names_nothing() -> None:
    image = "worker image reg/jobs:4.1 -> reg/jobs:4.2"
    assert qw.suspects(facts_for([write("Deployment", "hooks", "job-runner", [image])], ["webhooks"])) == []


def test_incident_naming_no_queue_of_the_list_names_nothing() -> None:
    assert qw.suspects(facts_for([write("Deployment", "hooks", "job-runner", [ENV])], ["checkout", "latency"])) == []


def test_host_port_lists_are_not_weights() -> None:
    peers = "cache args ['--peers=cache-a:11, cache-b:12'] -> ['--peers=cache-a cache-b']"
    assert qw.weights_dropped(peers) is None


# ---- quoted-key weight maps (issue #12 audit: only Sidekiq's `name,N` / `name: N` / `[name, N]` were read) -------

ASYNQ = ("""worker env ASYNQ_QUEUES='{"critical":6,"default":3,"low":1}' -> """
         """ASYNQ_QUEUES='["critical","default","low"]'""")
PYMAP = "data key settings.py 'QUEUES = {'reports': 5, 'exports': 1}' -> 'QUEUES = ['reports', 'exports']'"


def test_a_json_weight_map_turned_into_a_list_starves_the_later_queue() -> None:
    facts = facts_for([write("Deployment", "jobs", "asynq-worker", [ASYNQ])], ["low"])
    [(ref, finding, _, _)] = qw.suspects(facts)
    assert ref.name == "asynq-worker" and "critical,6 default,3 low,1" in finding["message"]
    assert "critical, default hold jobs the low queue" in finding["message"]


def test_a_python_weight_map_in_a_configmap_names_its_reader() -> None:
    reader = {"kind": "Deployment", "namespace": "bi", "name": "report-worker"}
    facts = facts_for([write("ConfigMap", "bi", "worker-settings", [PYMAP], [reader])], ["exports"])
    [(ref, finding, _, _)] = qw.suspects(facts)
    assert (ref.kind, ref.name) == ("Deployment", "report-worker") and "exports queue" in finding["message"]


def test_a_json_weight_map_whose_weights_only_change_names_nothing() -> None:
    kept = ("""worker env ASYNQ_QUEUES='{"critical":6,"default":3,"low":1}' -> """
            """ASYNQ_QUEUES='{"critical":9,"default":3,"low":1}'""")
    assert qw.suspects(facts_for([write("Deployment", "jobs", "asynq-worker", [kept])], ["low"])) == []


def test_a_quoted_host_port_map_is_not_weights() -> None:
    hosts = """cache env PEERS='{"cache-a":11211,"cache-b":11212}' -> PEERS='["cache-a","cache-b"]'"""
    assert qw.weights_dropped(hosts) is None
    reader = {"kind": "Deployment", "namespace": "bi", "name": "report-worker"}
    assert qw.suspects(facts_for([write("ConfigMap", "bi", "worker-settings", [PYMAP], [reader])], ["reports"])) == []
