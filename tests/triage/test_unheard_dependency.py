"""unheard_dependency: a configured in-cluster host no Service answers is no cause while the user's logs, in view,
fail with something else and never fail to resolve it; it stays one when they fail to resolve or are silent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.unheard_dependency import unheard

AT = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
DEP = {"target": {"kind": "Service", "namespace": "jobs", "name": "queue"}, "healthy": False, "via": "env QUEUE_URL",
       "detail": "no Service jobs/queue exists: queue.jobs does not resolve"}


def _log(message: str, hosts: list[str] | None = None) -> LogEvidence:
    entry: dict[str, Any] = {"template": message, "message": message, "severity": "error"}
    return LogEvidence(pod="worker-6d8f7c9b5-abcde", namespace="jobs", evidence_id="E5", top=entry,
                       hosts=hosts or [], error_classes=set(), previous=False)


def _facts(logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, logs=logs)


POOL = "ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool within 5.000 seconds"


def test_a_client_failing_with_another_error_does_not_make_the_missing_name_a_cause() -> None:
    assert unheard(DEP, _facts([_log(POOL)]))


def test_node_resolution_failure_naming_the_host_keeps_the_claim() -> None:
    assert not unheard(DEP, _facts([_log("Error: getaddrinfo ENOTFOUND queue.jobs")]))


def test_go_lookup_failure_without_the_full_host_keeps_the_claim() -> None:
    assert not unheard(DEP, _facts([_log("dial tcp: lookup queue on 10.96.0.10:53: no such host")]))


def test_a_log_naming_the_host_keeps_the_claim() -> None:
    assert not unheard(DEP, _facts([_log("Error: connect ETIMEDOUT", hosts=["queue.jobs.svc.cluster.local"])]))


def test_silent_users_keep_the_claim() -> None:
    assert not unheard(DEP, _facts([]))


def test_other_dependency_problems_are_not_judged_here() -> None:
    dep = {**DEP, "detail": "0/2 endpoints ready"}
    assert not unheard(dep, _facts([_log(POOL)]))


def _answer(status: str, host: str = "queue.jobs.svc:8443", message: str = "lookup failed") -> LogEvidence:
    entry: dict[str, Any] = {"template": message, "message": message, "severity": "error",
                             "fields": {"status": status, "upstream_host": host}}
    return LogEvidence(pod="worker-6d8f7c9b5-abcde", namespace="jobs", evidence_id="E5", top=entry,
                       hosts=[host.split(":")[0]], error_classes=set(), previous=False)


def test_a_host_that_answered_with_an_application_status_resolved() -> None:
    """A 401 (or 404, 429) from the host proves its name resolved and a server replied: the Service exists beyond
    the objects read, so 'no Service exists' is not the cause (JSON and logfmt callers alike)."""
    assert unheard(DEP, _facts([_answer("401")]))
    assert unheard(DEP, _facts([_answer("429", host="queue.jobs:80", message="rate limited")]))


def test_a_5xx_or_a_failure_to_connect_keeps_the_claim() -> None:
    """A 502/503 may come from a proxy in between; no status at all is a failure to reach: both keep the claim."""
    assert not unheard(DEP, _facts([_answer("503")]))
    assert not unheard(DEP, _facts([_answer("")]))
    assert not unheard(DEP, _facts([_answer("401"), _log("Error: getaddrinfo ENOTFOUND queue.jobs")]))


def test_a_graphql_caller_failing_on_a_field_of_the_hosts_answer_heard_it() -> None:
    said = ('upstream graphql errors: Cannot query field "legacyId" on type "Job". '
            'upstream=http://queue.jobs:4000/graphql')
    assert unheard(DEP, _facts([_log(said, hosts=["queue.jobs"])]))


def test_a_python_caller_keyerror_on_the_hosts_json_heard_it() -> None:
    said = "KeyError: 'visibility_timeout' while reading url=http://queue.jobs.svc:8080/v1/lease"
    assert unheard(DEP, _facts([_log(said, hosts=["queue.jobs.svc"])]))


def test_a_cut_example_whose_entry_names_the_host_as_its_upstream_heard_it() -> None:
    cut = '{"msg":"upstream errors","errors":[{"message":"Cannot query field \\"legacyId\\" on type \\"Job\\"."}]…'
    log = _log(cut, hosts=["queue.jobs"])
    assert log.top is not None
    log.top["fields"] = {"upstream_host": "http://queue.jobs:4000/graphql"}
    assert unheard(DEP, _facts([log]))


def test_twin_a_refused_connection_naming_the_host_keeps_the_claim() -> None:
    assert not unheard(DEP, _facts([_log("connect ECONNREFUSED queue.jobs:5672", hosts=["queue.jobs"])]))


def test_twin_a_field_failure_of_another_host_beside_a_lookup_failure_keeps_the_claim() -> None:
    other = _log('Cannot query field "sku" on type "Item" from http://catalog.shop:4000/graphql', ["catalog.shop"])
    assert not unheard(DEP, _facts([other, _log("Error: getaddrinfo ENOTFOUND queue.jobs")]))
