"""agent.triage.unsafe_retry: a route given retries on write methods; the backend performs writes twice.

Written here, not taken from the held-out bundles. Shapes: an Istio VirtualService retrying POST /orders whose
backend's JSON log says `order placed` twice for one request id; a Gateway API HTTPRoute with no method match
retrying toward a mailer whose Envoy access log shows the same POST request id twice. Twins: retries on a GET-only
route; attempts written 0; one request logged as received then done (not a repeat); repeats before the write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, unsafe_retry
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)
IDS = ["4b1f0c2e-8d3a-4e5b-9c7d-1a2b3c4d5e6f", "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"]


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, ns: str, name: str, minutes_before: int = 60) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": ["spec.http written"], "related": []}


def virtual_service(method: str = "POST", attempts: int = 3) -> dict[str, Any]:
    return {"kind": "VirtualService", "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {"http": [{"match": [{"method": {"exact": method}, "uri": {"prefix": "/orders"}}],
                               "route": [{"destination": {"host": "orders-api.shop.svc.cluster.local"}}],
                               "retries": {"attempts": attempts, "perTryTimeout": "1s", "retryOn": "5xx,reset"}}]}}


HTTP_ROUTE = {"kind": "HTTPRoute", "metadata": {"name": "mail", "namespace": "notify"},
              "spec": {"rules": [{"backendRefs": [{"name": "mailer", "port": 8080}],
                                  "retry": {"attempts": 2, "backoff": "100ms"}}]}}


def app_log(minutes_after_write: int = 10, event: str = "order placed") -> str:
    t = AT - timedelta(minutes=60 - minutes_after_write)
    return "\n".join(f'{iso(t + timedelta(seconds=i))} {{"event": "{event}", "request_id": "{rid}", '
                     f'"order": "ord_{900 + i}", "ms": {1100 + i}}}'
                     for i, rid in enumerate([IDS[0], IDS[0], IDS[1], IDS[1]]))


def access_log() -> str:
    t = AT - timedelta(minutes=30)
    return "\n".join(f'{iso(t + timedelta(seconds=i))} [{iso(t)}] "POST /send HTTP/1.1" {code} - "-" 0 88 {ms} '
                     f'"10.0.0.9" "python-requests/2.32" "{rid}" "mailer.notify"'
                     for i, (rid, code, ms) in enumerate([(IDS[0], 0, 1000), (IDS[0], 200, 420), (IDS[1], 0, 1000),
                                                          (IDS[1], 200, 380)]))


def facts_of(routes: list[tuple[dict[str, Any], dict[str, Any]]], logs: dict[str, str]) -> Facts:
    facts = Facts(at=AT, changes_id="C1", changes={"changes": [c for c, _ in routes]})
    facts.reads[unsafe_retry.CHECK] = {"routes": [(c, o, "O1") for c, o in routes],
                                       "logs": {k: (v, "L1") for k, v in logs.items()}}
    return facts


def test_an_istio_retry_on_post_is_named_when_the_backend_placed_orders_twice() -> None:
    [(ref, finding, evidence, _)] = unsafe_retry.suspects(
        facts_of([(change("VirtualService", "shop", "orders"), virtual_service())], {"shop/orders-api": app_log()}))
    assert ref == Ref("VirtualService", "shop", "orders")
    assert "perTryTimeout" in finding["message"] and "idempotent" in finding["message"]
    assert "O1" in evidence and "L1" in evidence


def test_an_httproute_retry_without_method_match_is_named_from_the_access_log() -> None:
    [(ref, finding, _, _)] = unsafe_retry.suspects(
        facts_of([(change("HTTPRoute", "notify", "mail"), HTTP_ROUTE)], {"notify/mailer": access_log()}))
    assert ref == Ref("HTTPRoute", "notify", "mail") and "2 write requests" in finding["message"]


def test_retries_on_a_get_only_route_are_not_named() -> None:
    assert unsafe_retry.suspects(facts_of([(change("VirtualService", "shop", "orders"), virtual_service("GET"))],
                                          {"shop/orders-api": app_log()})) == []


def test_retries_written_to_zero_attempts_are_not_named() -> None:
    assert unsafe_retry.suspects(facts_of([(change("VirtualService", "shop", "orders"),
                                            virtual_service(attempts=0))], {"shop/orders-api": app_log()})) == []


def test_one_request_logged_as_received_then_done_is_not_a_repeat() -> None:
    t = AT - timedelta(minutes=20)
    lines = "\n".join(f'{iso(t + timedelta(seconds=i))} {{"event": "{e}", "request_id": "{rid}"}}'
                      for i, (e, rid) in enumerate([("received", IDS[0]), ("done", IDS[0]), ("received", IDS[1]),
                                                    ("done", IDS[1])]))
    assert unsafe_retry.suspects(facts_of([(change("VirtualService", "shop", "orders"), virtual_service())],
                                          {"shop/orders-api": lines})) == []


def test_repeats_before_the_write_are_not_its_doing() -> None:
    assert unsafe_retry.suspects(facts_of([(change("VirtualService", "shop", "orders"), virtual_service())],
                                          {"shop/orders-api": app_log(minutes_after_write=-30)})) == []


def test_registered_behind_the_survey() -> None:
    assert unsafe_retry in behind.MODULES and behind.WEIGHTS[unsafe_retry.CHECK] == unsafe_retry.WEIGHT
