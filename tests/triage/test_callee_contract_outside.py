"""agent.triage.callee_contract against wordings from software other than the round it was built from.

Shapes: a GraphQL gateway caller's `Cannot query field` after its subgraph's rollout removed the field; a Go caller's
`cannot unmarshal string into Go struct field Quote.price` after the callee changed the field's type; the JSON
decoders of other stacks (protobuf JsonFormat, Rust serde, kotlinx.serialization, System.Text.Json, PHP, old V8
wording). Twins: a caller whose errors name no field (`undefined is not a function`, gRPC INVALID_ARGUMENT with a
business message, an upper-case env var); the GraphQL caller that failed the same way before the rollout.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, callee_contract
from agent.triage.callee_contract import missing_fields
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 7, 8, 0, tzinfo=UTC)
ROLLED = AT - timedelta(minutes=25)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _stamp(minutes_after_rollout: int) -> str:
    return _iso(ROLLED + timedelta(minutes=minutes_after_rollout))


def _workload(namespace: str, name: str, env: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [
                {"name": name, "image": f"ghcr.io/acme/{name}:7.0.0",
                 "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _run(callee: tuple[str, str], caller: tuple[str, str, str], env: dict[str, str],
         lines: list[str]) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    (callee_ns, callee_name), (caller_ns, caller_name, pod) = callee, caller
    change = {"at": _iso(ROLLED), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": callee_ns, "name": callee_name},
              "summary": f"Deployment {callee_ns}/{callee_name} rolled out revision 12: image "
                         f"ghcr.io/acme/{callee_name}:4.8.1 -> ghcr.io/acme/{callee_name}:4.9.0", "diff": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E4",
                  topologies=[({"pods": [{"name": pod, "namespace": caller_ns}]}, "E5")])
    objects = {("Deployment", caller_ns, caller_name): _workload(caller_ns, caller_name, env),
               ("Deployment", callee_ns, callee_name): _workload(callee_ns, callee_name, {})}
    hub = RecordingHub(objects=objects, logs={pod: lines})
    asyncio.run(callee_contract.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == callee_contract.CHECK]


def test_a_graphql_gateway_that_cannot_query_a_field_its_subgraph_removed() -> None:
    lines = [f'{_stamp(m)} ERROR Validation error of type FieldUndefined: Cannot query field "listPrice" on type '
             f'"Product". @ \'product/listPrice\'' for m in range(2, 8)]
    [(ref, found, _, explains)] = _run(("catalog", "products"), ("edge", "graph-gw", "graph-gw-6d5c7b8f9-kq2xd"),
                                       {"PRODUCTS_SUBGRAPH": "http://products.catalog.svc.cluster.local:4001/graphql"},
                                       lines)
    assert ref == Ref("Deployment", "catalog", "products")
    head = found["message"][:400]
    assert "4.8.1 -> 4.9.0" in head and "listPrice is renamed or removed" in head and "response contract" in head
    assert Ref("Deployment", "edge", "graph-gw") in explains


def test_a_go_caller_whose_struct_field_changed_type_in_the_callees_response() -> None:
    lines = [f'time={_stamp(m)} level=error msg="quote failed" err="json: cannot unmarshal string into Go struct '
             f'field Quote.price of type float64"' for m in range(1, 6)]
    [(ref, found, _, _)] = _run(("rates", "fx"), ("orders", "checkout", "checkout-75f9c6d4b8-h7k2p"),
                                {"FX_ADDR": "fx.rates.svc:8080"}, lines)
    assert ref == Ref("Deployment", "rates", "fx") and "price" in found["message"][:300]


def test_decoders_of_other_stacks_name_the_field_they_cannot_find() -> None:
    said = {
        "com.google.protobuf.InvalidProtocolBufferException: Cannot find field: unitPrice in message shop.Quote":
            "unitPrice",
        "Error: missing field `unit_price` at line 1 column 42": "unit_price",
        "kotlinx.serialization.MissingFieldException: Field 'unit_price' is required for type with serial name "
        "'shop.Quote', but it was missing": "unit_price",
        "System.Text.Json.JsonException: JSON deserialization for type 'Shop.Quote' was missing required properties, "
        "including the following: unitPrice": "unitPrice",
        'Warning: Undefined array key "unit_price" in /app/src/Cart.php on line 40': "unit_price",
        "TypeError: Cannot read property 'amount' of undefined": "amount",
        'UnrecognizedPropertyException: Unrecognized field "unitPrice" (class shop.Quote), not marked as ignorable':
            "unitPrice",
    }
    for line, name in said.items():
        assert list(missing_fields([line])) == [name], line


def test_twin_errors_that_name_no_response_field() -> None:
    assert missing_fields([
        "TypeError: undefined is not a function",
        "rpc error: code = InvalidArgument desc = quantity must be positive",
        "INVALID_ARGUMENT: unknown enum value 7 for enum shop.Tier",
        "json: cannot unmarshal string into Go value of type main.Quote",
        "Undefined index: STRIPE_KEY",
    ]) == {}


def test_twin_the_graphql_caller_failed_the_same_way_before_the_rollout() -> None:
    lines = [f'{_stamp(m)} ERROR Cannot query field "listPrice" on type "Product".' for m in range(-30, 8, 4)]
    assert _run(("catalog", "products"), ("edge", "graph-gw", "graph-gw-6d5c7b8f9-kq2xd"),
                {"PRODUCTS_SUBGRAPH": "http://products.catalog.svc.cluster.local:4001/graphql"}, lines) == []
