"""A time limit cut below the work it bounds (agent.triage.time_limit).

Rollout diffs come from the API server's pod templates through the timeline's own formatter
(`mcp_servers.kubernetes.reads.template_diff`); ConfigMap writes are hand-written objects with managedFields and
(when a tool recorded it) the last-applied configuration, read through the real change timeline. Log lines are
the real wording of each software: gunicorn's arbiter (`[CRITICAL] WORKER TIMEOUT`), Celery's worker (`Task
x[id] received`, `succeeded in 610.0s`), Go's net/http client (`context deadline exceeded (Client.Timeout
exceeded while awaiting headers)`), a Spring service's `took 4.2s`, a Pub/Sub subscriber's `deliveryAttempt=2`.

Shapes: a server's worker timeout in args (wording only), a broker visibility timeout in a ConfigMap key with
no old value (durations + the same task received twice), a client timeout in milliseconds under a dependency's
p99, an ISO-8601 request timeout in env (logged durations), an ack deadline inside a YAML file. Negative twins:
the timeout raised, lowered but still well above the work, a timeout error with no time limit written, an
unrelated workload's timeouts in the ConfigMap's namespace, and an idle timeout (bounds no work) lowered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import time_limit
from agent.triage.facts import Facts
from mcp_servers.kubernetes.changes import timeline
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _t(minutes: float) -> datetime:
    return AT - timedelta(minutes=minutes)


def _stamp(minutes: float) -> str:
    return _t(minutes).strftime("%Y-%m-%dT%H:%M:%SZ")


def _template(name: str, args: list[str] | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": f"registry.example.com/{name}:1.0"}
    if args:
        container["args"] = args
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"spec": {"containers": [container]}}


def _rollout(ns: str, name: str, old: dict[str, Any], new: dict[str, Any], minutes: int = 30) -> dict[str, Any]:
    lines = template_diff(old, new)
    return {"at": _stamp(minutes), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 4: {lines[0]}", "diff": lines, "related": []}


def _configmap(ns: str, name: str, data: dict[str, str], key: str, minutes: int,
               applied: dict[str, str] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ConfigMap edited by hand `minutes` ago (its key's old value recorded only when `applied` is given), and the
    change timeline's view of it."""
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z",
                            "managedFields": [
                                {"manager": "helm", "operation": "Update", "apiVersion": "v1",
                                 "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                                 "fieldsV1": {"f:data": {f"f:{k}": {} for k in data if k != key}}},
                                {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1",
                                 "time": _stamp(minutes), "fieldsType": "FieldsV1",
                                 "fieldsV1": {"f:data": {f"f:{key}": {}}}}]}
    if applied is not None:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": applied})}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
    changes = [c.model_dump() for c in timeline({"ConfigMap": [obj]}, AT - timedelta(hours=24), AT)]
    return obj, changes


def _facts(changes: list[dict[str, Any]], lines: dict[str, dict[str, list[str]]], related: list[str],
           objects: list[dict[str, Any]] | None = None, p99: dict[str, list[Any]] | None = None,
           workloads: dict[str, list[dict[str, str]]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    facts.objects += [(o, "E9") for o in objects or []]
    facts.reads[time_limit.READS] = {"lines": lines, "related": related, "p99": p99 or {},
                                     "workloads": workloads or {}, "log_ids": {h: ["E11"] for h in lines}}
    return facts


def _gunicorn(minutes_ago: list[float]) -> list[str]:
    out = []
    for i, m in enumerate(minutes_ago):
        t = _t(m).strftime("%Y-%m-%d %H:%M:%S")
        out += [f"[{t} +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:{40 + i})",
                f"[{t} +0000] [1] [ERROR] Worker (pid:{40 + i}) was sent SIGKILL! Perhaps out of memory?"]
    return out


GUNICORN = ["gunicorn", "reports.wsgi:application", "--bind=0.0.0.0:8000", "--workers=4"]


# ---- values and names ---------------------------------------------------------------------------------


def test_values_in_any_unit_and_names_that_bound_work() -> None:
    assert time_limit.seconds("PT5S", "requestTimeout") == 5
    assert time_limit.seconds("PT1M30S", "requestTimeout") == 90
    assert time_limit.seconds("500", "LEDGER_TIMEOUT_MS") == 0.5
    assert time_limit.seconds("500", "request.timeout.ms") == 0.5
    assert time_limit.seconds("5s", "upstream_timeout") == 5
    assert time_limit.seconds("300", "BROKER_VISIBILITY_TIMEOUT") == 300
    assert time_limit.is_time_limit("--timeout") and time_limit.is_time_limit("ackDeadlineSeconds")
    assert time_limit.is_time_limit("visibility_timeout") and time_limit.is_time_limit("LEDGER_TIMEOUT_MS")
    for name in ("idleTimeout", "keepalive_timeout", "CONNECT_TIMEOUT_MS", "terminationGracePeriodSeconds",
                 "cache_ttl", "retry_backoff_ms"):
        assert not time_limit.is_time_limit(name), name
    assert time_limit.durations_in("Task a.b[1f2e] succeeded in 610.0s: {'ok': 1}") == [610.0]
    assert time_limit.durations_in('level=info msg=done duration_ms=900 timeout_ms=500') == [0.9]
    assert time_limit.durations_in('{"msg": "call failed", "timeout": "500ms"}') == []


# ---- shape 1: a server's worker timeout in its args ---------------------------------------------------


def test_a_worker_timeout_cut_in_args_is_named_by_its_own_timeout_wording() -> None:
    change = _rollout("reports", "report-render", _template("report-render", [*GUNICORN, "--timeout=90"]),
                      _template("report-render", [*GUNICORN, "--timeout=10"]))
    holder = "Deployment reports/report-render"
    facts = _facts([change], {holder: {"report-render-7d9f8-abcde": _gunicorn([20, 12, 3])}}, [holder])
    [cut] = time_limit.found(facts)
    message = time_limit.finding(cut)["message"]
    assert str(cut.limit.target) == holder
    assert message.startswith(f"{holder} cut a time limit below the work it governs: "
                              "gunicorn --timeout 90 -> 10 (90 s -> 10 s)")
    assert "WORKER TIMEOUT" in message[:400] and "E2" in cut.evidence and "E11" in cut.evidence


def test_negative_twins_timeout_raised_and_timeouts_before_the_write() -> None:
    raised = _rollout("reports", "report-render", _template("report-render", [*GUNICORN, "--timeout=10"]),
                      _template("report-render", [*GUNICORN, "--timeout=90"]))
    holder = "Deployment reports/report-render"
    logs = {holder: {"report-render-7d9f8-abcde": _gunicorn([20, 12, 3])}}
    assert time_limit.found(_facts([raised], logs, [holder])) == []
    cut = _rollout("reports", "report-render", _template("report-render", [*GUNICORN, "--timeout=90"]),
                   _template("report-render", [*GUNICORN, "--timeout=10"]), minutes=30)
    before = {holder: {"report-render-7d9f8-abcde": _gunicorn([300, 200, 90])}}  # all older than the write
    assert time_limit.found(_facts([cut], before, [holder])) == []
    assert time_limit.found(_facts([cut], logs, [])) == []  # nothing relates the holder to the incident


def test_negative_twin_a_timeout_error_with_no_time_limit_written() -> None:
    image_only = _rollout("reports", "report-render", _template("report-render", [*GUNICORN, "--timeout=10"]),
                          {"spec": {"containers": [{"name": "report-render", "image": "registry.example.com/r:2.0",
                                                    "args": [*GUNICORN, "--timeout=10"]}]}})
    holder = "Deployment reports/report-render"
    logs = {holder: {"report-render-7d9f8-abcde": _gunicorn([20, 12, 3])}}
    assert time_limit.found(_facts([image_only], logs, [holder])) == []


def test_negative_twin_an_idle_timeout_lowered_bounds_no_work() -> None:
    change = _rollout("reports", "report-render",
                      _template("report-render", [*GUNICORN, "--keep-alive-timeout=75"]),
                      _template("report-render", [*GUNICORN, "--keep-alive-timeout=2"]))
    holder = "Deployment reports/report-render"
    logs = {holder: {"report-render-7d9f8-abcde": _gunicorn([20, 12, 3])}}
    assert time_limit.found(_facts([change], logs, [holder])) == []


# ---- shape 2: a broker visibility timeout in a ConfigMap key, old value not recorded ---------------------


def _celery(pod_delay: float, start_minutes: list[float], runtime: float) -> list[str]:
    out = []
    for i, m in enumerate(start_minutes):
        got = _t(m) + timedelta(seconds=pod_delay)
        done = got + timedelta(seconds=runtime)
        tid = f"9c1e{i}a7b-2f44-4d1e-9b7a-0c2d5e6f{i}a8b"
        out.append(f"[{got:%Y-%m-%d %H:%M:%S},101: INFO/MainProcess] Task exports.tasks.build_archive[{tid}] received")
        out.append(f"[{done:%Y-%m-%d %H:%M:%S},512: INFO/ForkPoolWorker-1] Task exports.tasks.build_archive[{tid}] "
                   f"succeeded in {runtime:.1f}s: {{'files': 1200}}")
    return out


def test_a_visibility_timeout_below_the_task_runtime_redelivers_the_task() -> None:
    data = {"BROKER_URL": "redis://exports-redis:6379/0", "VISIBILITY_TIMEOUT": "120", "ACKS_LATE": "true"}
    obj, changes = _configmap("exports", "archiver-settings", data, "VISIBILITY_TIMEOUT", minutes=600)
    holder = "Deployment exports/archiver"
    logs = {holder: {"archiver-5c7d9-aaaaa": _celery(0, [80, 50], 400.0),
                     "archiver-5c7d9-bbbbb": _celery(121, [80, 50], 400.0)}}
    workloads = {"exports": [{"kind": "Deployment", "namespace": "exports", "name": "archiver"}]}
    [cut] = time_limit.found(_facts(changes, logs, [holder], [obj], workloads=workloads))
    message = time_limit.finding(cut)["message"]
    assert str(cut.limit.target) == "ConfigMap exports/archiver-settings"
    assert "VISIBILITY_TIMEOUT set to 120 (2 min; old value not recorded)" in message[:200]
    assert "6 min 40 s" in message[:300] and "received 2 times" in message and "run twice" in message


def test_negative_twin_visibility_timeout_still_well_above_the_runtime() -> None:
    data = {"BROKER_URL": "redis://exports-redis:6379/0", "VISIBILITY_TIMEOUT": "3600"}
    obj, changes = _configmap("exports", "archiver-settings", data, "VISIBILITY_TIMEOUT", minutes=600,
                              applied={"BROKER_URL": "redis://exports-redis:6379/0", "VISIBILITY_TIMEOUT": "43200"})
    assert any(d.startswith("data key VISIBILITY_TIMEOUT '43200' -> '3600'") for d in changes[0]["diff"])
    holder = "Deployment exports/archiver"
    logs = {holder: {"archiver-5c7d9-aaaaa": _celery(0, [80, 50], 400.0)}}
    workloads = {"exports": [{"kind": "Deployment", "namespace": "exports", "name": "archiver"}]}
    assert time_limit.found(_facts(changes, logs, [holder], [obj], workloads=workloads)) == []


# ---- shape 3: a client timeout in milliseconds below the dependency's p99 -------------------------------


GO_CLIENT = ('{ts}\tERROR\tpricing/client.go:61\tquote call failed\t{{"error": "Get \\"http://quotes.quotes-svc.svc.'
             'cluster.local/v1/quote\\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"}}')


def test_a_client_timeout_under_the_dependency_p99_is_named_with_the_p99() -> None:
    data = {"QUOTES_URL": "http://quotes.quotes-svc.svc.cluster.local", "QUOTES_TIMEOUT_MS": "300"}
    obj, changes = _configmap("pricing", "pricing-env", data, "QUOTES_TIMEOUT_MS", minutes=25,
                              applied={**data, "QUOTES_TIMEOUT_MS": "3000"})
    holder = "Deployment pricing/pricing-api"
    lines = [GO_CLIENT.format(ts=_t(m).strftime("%Y-%m-%dT%H:%M:%S.000Z")) for m in (15, 9, 2)]
    workloads = {"pricing": [{"kind": "Deployment", "namespace": "pricing", "name": "pricing-api"}]}
    p99 = {holder: [0.71, "http_server_request_duration_seconds in quotes-svc", "E14"]}
    [cut] = time_limit.found(_facts(changes, {holder: {"pricing-api-6b8c-x1": lines}}, [holder], [obj], p99,
                                    workloads))
    message = time_limit.finding(cut)["message"]
    assert "QUOTES_TIMEOUT_MS 3000 -> 300 (3 s -> 300 ms)" in message[:200]
    assert "p99 710 ms of http_server_request_duration_seconds in quotes-svc" in message[:300]
    assert "E14" in cut.evidence


def test_negative_twins_client_timeout_above_p99_and_an_unrelated_workload_timing_out() -> None:
    data = {"QUOTES_URL": "http://quotes.quotes-svc.svc.cluster.local", "QUOTES_TIMEOUT_MS": "2000"}
    obj, changes = _configmap("pricing", "pricing-env", data, "QUOTES_TIMEOUT_MS", minutes=25,
                              applied={**data, "QUOTES_TIMEOUT_MS": "5000"})
    holder = "Deployment pricing/pricing-api"
    workloads = {"pricing": [{"kind": "Deployment", "namespace": "pricing", "name": "pricing-api"}]}
    fast = [f"{_t(m).strftime('%Y-%m-%dT%H:%M:%S.000Z')}\tINFO\tquote ok\t{{\"duration_ms\": 40}}" for m in (9, 2)]
    p99 = {holder: [0.08, "http_server_request_duration_seconds in quotes-svc", "E14"]}
    assert time_limit.found(_facts(changes, {holder: {"pricing-api-6b8c-x1": fast}}, [holder], [obj], p99,
                                   workloads)) == []
    # lowered below nothing measured, and the only timeouts in the namespace name neither the limit nor a duration
    unrecorded_obj, unrecorded = _configmap("pricing", "pricing-env", {**data, "QUOTES_TIMEOUT_MS": "300"},
                                            "QUOTES_TIMEOUT_MS", minutes=25)
    other = [GO_CLIENT.format(ts=_t(m).strftime("%Y-%m-%dT%H:%M:%S.000Z")) for m in (15, 9)]
    assert time_limit.found(_facts(unrecorded, {holder: {"pricing-api-6b8c-x1": other}}, [holder],
                                   [unrecorded_obj], workloads=workloads)) == []


# ---- shape 4: an ISO-8601 request timeout in env; shape 5: an ack deadline in a YAML file ---------------


def test_an_iso_duration_in_env_below_logged_request_durations() -> None:
    old = _template("ledger-sync", env={"SPRING_MVC_ASYNC_REQUEST_TIMEOUT": "PT30S"})
    new = _template("ledger-sync", env={"SPRING_MVC_ASYNC_REQUEST_TIMEOUT": "PT2S"})
    change = _rollout("ledger", "ledger-sync", old, new, minutes=40)
    holder = "Deployment ledger/ledger-sync"
    lines = [f"{_t(m).strftime('%Y-%m-%d %H:%M:%S.000')}  INFO 1 --- [nio-8080-exec-3] c.e.l.SyncController : "
             f"sync batch took {s}s" for m, s in ((30, 4.2), (20, 3.8), (10, 5.1))]
    [cut] = time_limit.found(_facts([change], {holder: {"ledger-sync-55f-x": lines}}, [holder]))
    message = time_limit.finding(cut)["message"]
    assert "SPRING_MVC_ASYNC_REQUEST_TIMEOUT PT30S -> PT2S (30 s -> 2 s)" in message[:200]
    assert "the work takes up to 5.1 s (3 logged durations over the limit)" in message[:300]


def test_an_ack_deadline_inside_a_yaml_file_with_redelivery() -> None:
    old = "subscription:\n  name: invoices-sub\n  ackDeadlineSeconds: 600\n"
    new = "subscription:\n  name: invoices-sub\n  ackDeadlineSeconds: 30\n"
    obj, changes = _configmap("billing", "invoice-consumer", {"consumer.yaml": new}, "consumer.yaml", minutes=90,
                              applied={"consumer.yaml": old})
    holder = "Deployment billing/invoice-consumer"
    lines = [f"{_t(m).strftime('%Y-%m-%dT%H:%M:%SZ')} level=warn msg=\"message received\" id=msg-20260601{m:04d} "
             f"deliveryAttempt=2" for m in (60, 40)]
    lines += [f"{_t(m).strftime('%Y-%m-%dT%H:%M:%SZ')} level=info msg=\"invoice rendered\" elapsed=95s"
              for m in (58, 38)]
    workloads = {"billing": [{"kind": "Deployment", "namespace": "billing", "name": "invoice-consumer"}]}
    [cut] = time_limit.found(_facts(changes, {holder: {"invoice-consumer-1": lines}}, [holder], [obj],
                                    workloads=workloads))
    message = time_limit.finding(cut)["message"]
    assert "subscription.ackDeadlineSeconds 600 -> 30 (10 min -> 30 s)" in message[:200]
    assert "95 s" in message and "redelivered" in message


def test_negative_twin_a_lowered_timeout_whose_logs_only_print_their_settings() -> None:
    change = _rollout("reports", "report-render", _template("report-render", [*GUNICORN, "--timeout=90"]),
                      _template("report-render", [*GUNICORN, "--timeout=10"]))
    holder = "Deployment reports/report-render"
    t = _t(25).strftime("%Y-%m-%d %H:%M:%S")
    startup = [f"[{t} +0000] [1] [INFO] Starting gunicorn 22.0.0 (workers=4, timeout=10)",
               f"[{t} +0000] [1] [INFO] Listening at: http://0.0.0.0:8000 (1)"]
    assert time_limit.found(_facts([change], {holder: {"report-render-7d9f8-abcde": startup}}, [holder])) == []


def test_negative_twin_a_limit_of_unknown_history_with_long_work_but_nothing_cut_short() -> None:
    data = {"BROKER_URL": "redis://exports-redis:6379/0", "VISIBILITY_TIMEOUT": "120"}
    obj, changes = _configmap("exports", "archiver-settings", data, "VISIBILITY_TIMEOUT", minutes=600)
    holder = "Deployment exports/archiver"
    logs = {holder: {"archiver-5c7d9-aaaaa": _celery(0, [80, 50], 400.0)}}  # one consumer, each task once
    workloads = {"exports": [{"kind": "Deployment", "namespace": "exports", "name": "archiver"}]}
    assert time_limit.found(_facts(changes, logs, [holder], [obj], workloads=workloads)) == []


@pytest.mark.parametrize("line", [
    "upstream request timeout",  # Envoy's route timeout, as it answers and logs it (flag UT)
    "RequestError: Timeout awaiting 'request' for 5000ms",  # got, Node
    "Error: ESOCKETTIMEDOUT",  # request, Node
])
def test_other_software_s_own_timeout_wording_counts(line: str) -> None:
    """Wording taken from Envoy's and Node clients' documentation, not from a round's generator."""
    assert time_limit.TIMEOUT_WORDS.search(line)


def test_a_settings_line_is_still_no_timeout() -> None:
    assert not time_limit.TIMEOUT_WORDS.search("starting with request_timeout=5s upstream_timeout=30s")
