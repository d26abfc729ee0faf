"""A route's timeout set below the backend's response time (agent.triage.time_limit, route kinds).

A proxy enforces a route's timeout on the upstream: past it, Envoy answers 504 with flag `UT` (upstream request
timeout) and nginx logs `upstream timed out`, while the backend still finishes the request and logs its own
duration without any timeout. So the backend's logged durations over the new limit are the proof, even where the
limit's old value is not recorded. The timeline shortens a spec field written whole to 80 characters (the
formatter's own `_short`), so the limit inside the route's rules is read back from the route object.

Shapes: a Gateway API HTTPRoute whose `spec.rules` were written whole with `timeouts.request: 2s` (value read
back from the object), an Istio VirtualService whose `spec.http[0].timeout` went 30s -> 3s (arrow diff). Twins:
the route's limit above every duration, the backend fast, a Contour `timeoutPolicy.idle` (bounds no work).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import time_limit
from agent.triage.facts import Facts
from mcp_servers.kubernetes.any_changes import _short

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOLDER = "Deployment billing/invoice-renderer"
WORKLOADS = {"billing": [{"kind": "Deployment", "namespace": "billing", "name": "invoice-renderer"},
                         {"kind": "Deployment", "namespace": "billing", "name": "fonts-sync"}]}


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rendered(seconds: list[float], since: float = 20) -> list[str]:
    """The backend's own JSON access lines after the write: it finishes every request, no timeout."""
    return [f'{_stamp(since - i)} {{"ts":"{_stamp(since - i)}","level":"info","msg":"invoice rendered",'
            f'"duration_ms":{int(s * 1000)},"status":200}}' for i, s in enumerate(seconds)]


def _httproute(request_timeout: str) -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "invoices", "namespace": "billing"},
            "spec": {"parentRefs": [{"name": "eg", "namespace": "gateway"}],
                     "rules": [{"backendRefs": [{"name": "invoice-renderer", "port": 8080}],
                                "matches": [{"path": {"type": "PathPrefix", "value": "/invoices"}}],
                                "timeouts": {"request": request_timeout}}]}}


def _whole_write(route: dict[str, Any], minutes: int = 30) -> dict[str, Any]:
    line = f"spec.rules = {_short(route['spec']['rules'])}"
    return {"at": _stamp(minutes), "type": "other",
            "object": {"kind": route["kind"], "namespace": "billing", "name": route["metadata"]["name"]},
            "summary": f"{route['kind']} billing/{route['metadata']['name']} written by argocd-controller: {line}",
            "diff": [line], "related": []}


def _facts(change: dict[str, Any], lines: list[str], route: dict[str, Any] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    if route is not None:
        facts.objects.append((route, "E9"))
    facts.reads[time_limit.READS] = {"lines": {HOLDER: {"invoice-renderer-7d9c-aaaaa": lines}},
                                     "related": [HOLDER], "p99": {}, "workloads": WORKLOADS,
                                     "log_ids": {HOLDER: ["E11"]}}
    return facts


def test_the_timeline_shortens_the_rules_so_the_limit_is_only_in_the_object() -> None:
    route = _httproute("2s")
    assert "timeouts" not in _whole_write(route)["diff"][0]  # cut at 80 characters
    assert time_limit._maybe_limit(_whole_write(route))


def test_an_httproute_request_timeout_below_the_backends_render_time_is_the_cause() -> None:
    route = _httproute("2s")
    [cut] = time_limit.found(_facts(_whole_write(route), _rendered([3.1, 4.4, 6.9, 8.7, 1.2]), route))
    assert cut.limit.key == "spec.rules[0].timeouts.request" and cut.limit.after == 2.0
    message = time_limit.finding(cut)["message"]
    head = message[:400]
    assert head.startswith("HTTPRoute billing/invoices set a route timeout shorter than the upstream's")
    assert "timeouts.request set to 2s" in head and "8.7 s" in head and "invoice-renderer" in head
    assert "504" in message and "backend still finishes" in message


def test_an_istio_virtualservice_timeout_lowered_below_logged_durations() -> None:
    change = {"at": _stamp(40), "type": "other",
              "object": {"kind": "VirtualService", "namespace": "billing", "name": "invoice-renderer"},
              "summary": "VirtualService billing/invoice-renderer written by kubectl-edit",
              "diff": ["spec.http[0].timeout: '30s' -> '3s'"], "related": []}
    [cut] = time_limit.found(_facts(change, _rendered([2.0, 4.8, 5.5])))
    assert cut.limit.text() == "spec.http[0].timeout 30s -> 3s (30 s -> 3 s)"
    assert "upstream" in time_limit.finding(cut)["message"][:120]


def test_negative_twins_a_limit_above_the_work_or_a_fast_backend() -> None:
    roomy = _httproute("30s")
    assert time_limit.found(_facts(_whole_write(roomy), _rendered([3.1, 4.4, 8.7]), roomy)) == []
    tight = _httproute("2s")
    assert time_limit.found(_facts(_whole_write(tight), _rendered([0.2, 0.4, 0.3]), tight)) == []
    assert time_limit.found(_facts(_whole_write(tight), _rendered([3.1, 4.4, 8.7]))) == []  # route never read


def test_negative_twin_an_idle_timeout_in_a_timeouts_block_bounds_no_work() -> None:
    assert time_limit.is_time_limit("spec.rules[0].timeouts.backendRequest")
    assert time_limit.is_time_limit("spec.routes[0].timeoutPolicy.response")
    assert not time_limit.is_time_limit("spec.routes[0].timeoutPolicy.idle")
    proxy: dict[str, Any] = {"apiVersion": "projectcontour.io/v1", "kind": "HTTPProxy",
                             "metadata": {"name": "invoices", "namespace": "billing"},
                             "spec": {"routes": [{"services": [{"name": "invoice-renderer", "port": 8080}],
                                                  "timeoutPolicy": {"idle": "1s"}}]}}
    line = f"spec.routes = {_short(proxy['spec']['routes'])}"
    change = {"at": _stamp(30), "type": "other",
              "object": {"kind": "HTTPProxy", "namespace": "billing", "name": "invoices"},
              "summary": line, "diff": [line], "related": []}
    assert time_limit.found(_facts(change, _rendered([3.1, 4.4, 8.7]), proxy)) == []
