"""agent.triage.callee_contract when the caller's env names no address but its own field-failure lines do.

Class: a server release removes or renames a field (a GraphQL schema field, a JSON/REST response field) that a
caller still selects or reads; the caller's address for it lives in a file or a constant, and only its failure
lines say where the failed call went. Shapes: a graphql-java gateway (`Field 'x' in type 'Y' is undefined`) whose
lines carry `endpoint=http://name.ns:port/graphql`; a Go REST client (`json: unknown field`) whose lines carry
`url=http://name.ns.svc:port/...`; a .NET Hot Chocolate client. Twins: the failure lines name a Service with the
same name in another namespace than the one rolled out; the rolled-out callee appears only on timeout lines while
the field failures name another host.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, callee_contract
from agent.triage.callee_contract import line_addresses, missing_fields
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)
ROLLED = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _stamp(minutes_after_rollout: int) -> str:
    return _iso(ROLLED + timedelta(minutes=minutes_after_rollout))


def _bare(namespace: str, name: str) -> dict[str, Any]:
    """A workload whose env names no address at all (the address is baked into the image's config file)."""
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": f"quay.io/corp/{name}:2.3.0",
                                                           "env": [{"name": "LOG_LEVEL", "value": "info"}]}]}}}}


def _run(callee: tuple[str, str], caller: tuple[str, str, str],
         lines: list[str]) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    (callee_ns, callee_name), (caller_ns, caller_name, pod) = callee, caller
    change = {"at": _iso(ROLLED), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": callee_ns, "name": callee_name},
              "summary": f"Deployment {callee_ns}/{callee_name} rolled out revision 5: image "
                         f"quay.io/corp/{callee_name}:5.2.0 -> quay.io/corp/{callee_name}:6.0.0", "diff": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                  topologies=[({"pods": [{"name": pod, "namespace": caller_ns}]}, "E3")])
    objects = {("Deployment", caller_ns, caller_name): _bare(caller_ns, caller_name),
               ("Deployment", callee_ns, callee_name): _bare(callee_ns, callee_name)}
    hub = RecordingHub(objects=objects, logs={pod: lines})
    asyncio.run(callee_contract.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == callee_contract.CHECK]


def test_a_graphql_java_gateway_whose_failures_name_the_subgraph_endpoint() -> None:
    lines = [f"{_stamp(m)} ERROR c.n.g.ExecutionStrategy - subgraph call failed endpoint=http://listings.marketplace:"
             f"8081/graphql errors=[Validation error (FieldUndefined@[offer/legacySku]) : Field 'legacySku' in type "
             f"'Offer' is undefined]" for m in range(3, 9)]
    caller = ("storefront", "gateway", "gateway-5f7d9c8b6d-q8wzt")
    [(ref, found, _, explains)] = _run(("marketplace", "listings"), caller, lines)
    assert ref == Ref("Deployment", "marketplace", "listings")
    assert "legacySku is renamed or removed" in found["message"] and "5.2.0 -> 6.0.0" in found["message"]
    assert Ref("Deployment", "storefront", "gateway") in explains


def test_a_go_rest_client_whose_decode_errors_carry_the_url() -> None:
    lines = [f'time={_stamp(m)} level=error msg="settlement fetch failed" url=http://ledger.finance.svc:9000/v2/'
             f'entries err="json: unknown field \\"postingKind\\""' for m in range(1, 7)]
    [(ref, found, _, _)] = _run(("finance", "ledger"), ("billing", "invoicer", "invoicer-7c9d5b8f4c-xk2pq"), lines)
    assert ref == Ref("Deployment", "finance", "ledger") and "postingKind" in found["message"][:400]


def test_hot_chocolate_wording_names_the_field() -> None:
    said = "HotChocolate: The field `discountRate` does not exist on the type `Basket`. url=http://baskets.shop:5000/"
    assert set(missing_fields([said])) == {"discountRate"}
    assert line_addresses([said]) == [("baskets", "shop", "http://baskets.shop:5000")]


def test_twin_the_named_host_is_a_namesake_in_another_namespace() -> None:
    lines = [f"{_stamp(m)} ERROR subgraph call failed endpoint=http://listings.legacy-market:8081/graphql "
             f"Field 'legacySku' in type 'Offer' is undefined" for m in range(3, 9)]
    assert _run(("marketplace", "listings"), ("storefront", "gateway", "gateway-5f7d9c8b6d-q8wzt"), lines) == []


def test_twin_the_rolled_out_callee_appears_only_on_timeout_lines() -> None:
    lines = []
    for m in range(1, 7):
        lines.append(f'time={_stamp(m)} level=warn msg="retrying" url=http://ledger.finance.svc:9000/v2/entries '
                     f'err="context deadline exceeded"')
        lines.append(f'time={_stamp(m)} level=error msg="rates fetch failed" url=http://fx.rates.svc:8080/v1 '
                     f'err="json: unknown field \\"midRate\\""')
    assert _run(("finance", "ledger"), ("billing", "invoicer", "invoicer-7c9d5b8f4c-xk2pq"), lines) == []


def test_twin_a_failure_line_without_a_field_gives_no_address() -> None:
    said = "ERROR POST http://ledger.finance.svc:9000/v2/entries failed: 503 Service Unavailable"
    assert line_addresses([said]) == []
