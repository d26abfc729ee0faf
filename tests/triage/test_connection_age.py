"""A server's connection-age bound removed by a rollout, confirmed by idle scale-out pods (issue #12, round 50).

Written here, not taken from the held-out bundles. Two shapes: a Go gRPC server whose revision dropped its
`--max-connection-age=2m` flag, behind a headless Service, read through per-pod call rates; a JVM HTTP/2 server whose
revision set `SERVER_MAX_CONNECTION_AGE` to 0 (unbounded), behind a ClusterIP Service, read through per-pod CPU.
Negative twins: the revision kept the bound (only the image moved) with the same skew; the bound removed while the
scale-out's pods share the load evenly; a grace period removed (no bound at all); and no pod created after the
rollout. The store is shaped as `read` writes it; `read` itself runs against a recording hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.toolhub import ToolOutcome
from agent.triage import connection_age as ca
from agent.triage import subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 10, 9, 15, 30, tzinfo=UTC)
REVISED = AT - timedelta(days=2)
OLD = [f"ledger-rpc-6c9d8f7b5-{s}" for s in ("b2k4p", "q8w7r", "z6v5t")]
NEW = [f"ledger-rpc-6c9d8f7b5-{s}" for s in ("m9n2b", "x4c7d", "h2j5l")]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _created() -> dict[str, str]:
    return {**{p: _iso(REVISED + timedelta(minutes=1)) for p in OLD},
            **{p: _iso(AT - timedelta(minutes=25)) for p in NEW}}


def _entry(removed: str, load: dict[str, dict[str, float]], headless: bool = True, service: str = "ledger-rpc",
           created: dict[str, str] | None = None) -> dict[str, Any]:
    return {"service": service, "namespace": "ledger", "workload": "ledger-rpc", "kind": "Deployment",
            "headless": headless, "revision": "7", "revised": _iso(REVISED), "removed": removed,
            "created": created or _created(), "load": load, "callers": ["payments"], "evidence": ["E30", "E31"]}


def _facts(*entries: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2")
    facts.reads[ca.READS] = {"services": list(entries)}
    return facts


SKEWED = {**{p: 410.0 for p in OLD}, **{p: 3.0 for p in NEW}}


def test_a_grpc_flag_dropped_with_idle_new_pods_names_the_server() -> None:
    removed = ca.removed_bound("server args ['--listen=:50051', '--max-connection-age=2m'] -> ['--listen=:50051']")
    assert removed == "--max-connection-age=2m"
    [u] = ca.found(_facts(_entry(removed, {"calls": SKEWED})))
    assert u.workload == Ref("Deployment", "ledger", "ledger-rpc") and u.newer == sorted(NEW)
    message = ca.finding(u, AT)["message"]
    assert message.startswith("Deployment ledger/ledger-rpc, reached through the headless Service ledger/ledger-rpc, "
                              "revision 7 (48 h 0 min before) removed its connection-age bound "
                              "(--max-connection-age=2m); after its scale-out calls: the 3 older pods carry 99% of "
                              "it, the 3 newer ones idle")
    assert "headless Service ledger/ledger-rpc" in message and "GOAWAY" in message
    [(ref, _, evidence, explains)] = ca.suspects(_facts(_entry(removed, {"calls": SKEWED})))
    assert ref == u.workload and explains == [Ref("Service", "ledger", "ledger-rpc")] and "E30" in evidence


def test_an_http2_server_whose_age_was_zeroed_is_named_by_cpu() -> None:
    removed = ca.removed_bound("app env SERVER_MAX_CONNECTION_AGE='10m' -> SERVER_MAX_CONNECTION_AGE='0'")
    assert removed == "SERVER_MAX_CONNECTION_AGE='10m'"
    cpu = {**{p: 0.98 for p in OLD}, **{p: 0.04 for p in NEW}}
    [u] = ca.found(_facts(_entry(removed, {"cpu": cpu}, headless=False, service="ledger-h2")))
    message = ca.finding(u, AT)["message"]
    assert "cpu: the 3 older pods carry 96% of it" in message and "through Service ledger/ledger-h2" in message


def test_twin_a_revision_that_kept_the_bound_is_not_named() -> None:
    assert ca.removed_bound("server image reg/ledger-rpc:3.1 -> reg/ledger-rpc:3.2") == ""
    assert ca.removed_bound("server args ['--max-connection-age=2m'] -> ['--max-connection-age=5m']") == ""
    assert ca.found(_facts(_entry("", {"calls": SKEWED}))) == []


def test_twin_new_pods_sharing_the_load_are_not_the_bound() -> None:
    even = {p: 200.0 for p in OLD + NEW}
    assert ca.found(_facts(_entry("--max-connection-age=2m", {"calls": even}))) == []


def test_twin_a_grace_period_is_no_bound_and_a_rollout_without_scale_out_is_not_named() -> None:
    assert ca.removed_bound("app env GRPC_MAX_CONNECTION_AGE_GRACE='30s' -> unset") == ""
    rollout_only = {p: _iso(REVISED + timedelta(minutes=2)) for p in OLD + NEW}
    assert ca.found(_facts(_entry("--max-connection-age=2m", {"calls": SKEWED}, created=rollout_only))) == []


class Hub(RecordingHub):
    """EndpointSlices, a rollout history, pod rows and per-pod samples, as the survey's tools answer them."""

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_rollout_history":
            return outcome(True, {"revisions": [
                {"revision": 6, "created": _iso(REVISED - timedelta(days=20)), "changes": []},
                {"revision": 7, "created": _iso(REVISED), "changes": [
                    "server image reg/ledger-rpc:3.1 -> reg/ledger-rpc:4.0",
                    "server args ['--listen=:50051', '--max-connection-age=2m'] -> ['--listen=:50051']"]}]}, "", eid)
        if call.tool == "prom_query":
            if "grpc_server_handled_total" not in call.args["query"]:
                return outcome(True, {"samples": []}, "", eid)
            return outcome(True, {"samples": [{"labels": {"pod": p}, "value": v} for p, v in SKEWED.items()]}, "",
                           eid)
        return super().answer(call, eid)


def test_read_follows_the_callers_log_to_the_service_and_its_workload() -> None:
    log = LogEvidence(pod="payments-api-5f6d7c8b9-k2p4q", namespace="payments", evidence_id="E5",
                      top={"message": "rpc error: code = DeadlineExceeded desc = context deadline exceeded while "
                                      "dialing ledger-rpc.ledger.svc.cluster.local:50051", "severity": "error"},
                      hosts=[], error_classes={"timeout"}, previous=False)
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])
    slice_: dict[str, Any] = {"kind": "EndpointSlice", "metadata": {"name": "ledger-rpc-8xk2p", "namespace": "ledger"},
              "endpoints": [{"targetRef": {"kind": "Pod", "name": p}} for p in OLD + NEW]}
    service: dict[str, Any] = {"kind": "Service", "metadata": {"name": "ledger-rpc", "namespace": "ledger"},
               "spec": {"clusterIP": "None"}}
    pods = [{"name": p, "created": t} for p, t in _created().items()]
    hub = Hub(objects={("EndpointSlice", "ledger-rpc-8xk2p"): slice_, ("Service", "ledger-rpc"): service},
              lists={("EndpointSlice", "ledger"): [{"name": "ledger-rpc-8xk2p"}], ("Pod", "ledger"): pods})
    subject = subject_of(from_text("payments-api times out calling the ledger"))
    asyncio.run(ca.read(subject, facts, hub, _iso(AT)))
    [u] = ca.found(facts)
    assert u.removed == "--max-connection-age=2m" and u.headless and u.service == Ref("Service", "ledger", "ledger-rpc")


def _headline(removed: str, headless: bool) -> str:
    """The candidate's text as the ranking quotes it: the finding's message cut at 400 characters."""
    [u] = ca.found(_facts(_entry(removed, {"calls": SKEWED}, headless=headless)))
    return ca.finding(u, AT)["message"][:400]


LONG_ENVOY = ("envoy.yaml common_http_protocol_options {idle_timeout: 3600s, max_connection_duration: 300s, "
              "max_headers_count: 100, headers_with_underscores_action: REJECT_REQUEST} -> {idle_timeout: 3600s, "
              "max_headers_count: 100, headers_with_underscores_action: REJECT_REQUEST}")
LONG_NGINX = ("nginx.conf http { keepalive_timeout 75s; keepalive_time 1h; keepalive_requests 1000; http2_max_"
              "concurrent_streams 128; client_body_timeout 60s; } -> http { keepalive_timeout 75s; "
              "http2_max_concurrent_streams 128; client_body_timeout 60s; }")


def test_headline_keeps_the_headless_service_behind_a_long_envoy_duration_removal() -> None:
    assert "headless Service ledger/ledger-rpc" in _headline(LONG_ENVOY, headless=True)


def test_headline_keeps_the_headless_service_behind_a_long_nginx_keepalive_removal() -> None:
    assert "headless Service ledger/ledger-rpc" in _headline(LONG_NGINX, headless=True)


def test_twin_a_clusterip_service_is_not_called_headless() -> None:
    for removed in (LONG_ENVOY, LONG_NGINX):
        headline = _headline(removed, headless=False)
        assert "headless" not in headline and "Service ledger/ledger-rpc" in headline
