"""agent.triage.callee_contract: a callee's rollout that broke the response contract its callers read.

Shapes: a JSON field renamed in an Argo Rollout canary (a Node caller's `Cannot read properties of undefined`, its
canary share read from the Rollout's steps), a JSON field removed in a Deployment (Python `KeyError`), a protobuf
field renumbered (a Go caller's rejections all carry the field at 0, JSON log lines). Twins: the caller failed the
same way before the rollout; the caller's failures carry varying values (no default); the caller names no address
of the rolled-out workload; the caller's errors name no field (connection refused).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, callee_contract
from agent.triage.callee_contract import canary_share, defaulted_fields, missing_fields
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
ROLLED = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _workload(kind: str, namespace: str, name: str, env: dict[str, str], image: str = "") -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [
                {"name": name, "image": image or f"registry.example.com/{name}:1.0.0",
                 "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _facts(kind: str, namespace: str, name: str, summary: str, caller_pod: str, caller_ns: str) -> Facts:
    change = {"at": _iso(ROLLED), "type": "rollout", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": summary, "diff": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                 topologies=[({"pods": [{"name": caller_pod, "namespace": caller_ns}]}, "E3")])


def _run(facts: Facts, objects: dict[tuple[str, str, str], dict[str, Any]], logs: dict[str, list[str]]) -> list[
        tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    hub = RecordingHub(objects=objects, logs=logs)
    asyncio.run(callee_contract.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == callee_contract.CHECK]


def _stamp(minutes_after_rollout: int) -> str:
    return _iso(ROLLED + timedelta(minutes=minutes_after_rollout))


CANARY = {"kind": "Rollout", "metadata": {"name": "quotes", "namespace": "pricing"},
          "spec": {"template": {"spec": {"containers": [{"name": "quotes",
                                                         "image": "registry.example.com/quotes:5.1.0"}]}},
                   "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 100}]}}},
          "status": {"currentStepIndex": 1, "replicas": 5, "updatedReplicas": 1}}


def test_a_canary_renaming_a_json_field_is_blamed_for_the_node_callers_undefined_reads() -> None:
    facts = _facts("Rollout", "pricing", "quotes", "Rollout pricing/quotes written by argocd: spec.template",
                   "cart-7d9f8b6c5-bcdfg", "web")
    lines = [f"{_stamp(m)} TypeError: Cannot read properties of undefined (reading 'amount_cents')"
             for m in range(3, 9)]
    objects = {("Deployment", "web", "cart"): _workload("Deployment", "web", "cart",
                                                        {"QUOTES_URL": "http://quotes.pricing.svc:8080/v2"}),
               ("Rollout", "pricing", "quotes"): CANARY}
    [(ref, found, evidence, explains)] = _run(facts, objects, {"cart-7d9f8b6c5-bcdfg": lines})
    assert ref == Ref("Rollout", "pricing", "quotes")
    head = found["message"][:400]
    assert "canary 5.1.0" in head and "20% of the traffic" in head
    assert "amount_cents is renamed or removed" in head and "response contract" in head
    assert Ref("Deployment", "web", "cart") in explains and "E2" in evidence


def test_a_deployment_dropping_a_field_is_blamed_for_the_python_keyerror() -> None:
    facts = _facts("Deployment", "billing", "invoices",
                   "Deployment billing/invoices rolled out revision 4: invoices image r/invoices:3.2.0 -> "
                   "r/invoices:3.3.0", "payout-5c6d7b8f9-zzzzz", "finance")
    lines = ["Traceback (most recent call last):", '  File "/app/payout.py", line 12, in settle',
             "KeyError: 'net_amount'"] * 4
    objects = {("Deployment", "finance", "payout"): _workload("Deployment", "finance", "payout",
                                                             {"INVOICES": "invoices.billing.svc.cluster.local:80"}),
               ("Deployment", "billing", "invoices"): _workload("Deployment", "billing", "invoices", {})}
    [(ref, found, _, _)] = _run(facts, objects, {"payout-5c6d7b8f9-zzzzz": lines})
    assert ref == Ref("Deployment", "billing", "invoices")
    assert found["message"].startswith("Deployment billing/invoices's rollout 3.2.0 -> 3.3.0")
    assert "net_amount" in found["message"][:300] and "every call since" in found["message"]


def test_a_renumbered_protobuf_field_read_as_zero_is_blamed_from_json_log_lines() -> None:
    facts = _facts("Deployment", "stock", "levels", "Deployment stock/levels rolled out revision 7: levels image "
                   "r/levels:2.0.0 -> r/levels:2.1.0", "checkout-6f7c8b9d2-qqqqq", "shop")
    lines = [f'{{"ts":"{_stamp(m)}","level":"error","msg":"cannot reserve","sku":"A{m}","on_hand":0,'
             f'"wanted":{m % 3 + 1}}}' for m in range(1, 9)]
    objects = {("Deployment", "shop", "checkout"): _workload("Deployment", "shop", "checkout",
                                                            {"LEVELS_ADDR": "levels.stock.svc:50051"}),
               ("Deployment", "stock", "levels"): _workload("Deployment", "stock", "levels", {})}
    [(ref, found, _, _)] = _run(facts, objects, {"checkout-6f7c8b9d2-qqqqq": lines})
    assert ref == Ref("Deployment", "stock", "levels")
    head = found["message"][:400]
    assert "on_hand at its default value" in head and "protobuf field number" in head and "2.1.0" in head


def test_twin_the_caller_failed_the_same_way_before_the_rollout() -> None:
    facts = _facts("Deployment", "stock", "levels", "Deployment stock/levels rolled out revision 7: levels image "
                   "r/levels:2.0.0 -> r/levels:2.1.0", "checkout-6f7c8b9d2-qqqqq", "shop")
    lines = [f"time={_stamp(m)} level=warn msg=\"order rejected\" on_hand=0" for m in range(-20, 10, 3)]
    objects = {("Deployment", "shop", "checkout"): _workload("Deployment", "shop", "checkout",
                                                            {"LEVELS_ADDR": "levels.stock.svc:50051"}),
               ("Deployment", "stock", "levels"): _workload("Deployment", "stock", "levels", {})}
    assert _run(facts, objects, {"checkout-6f7c8b9d2-qqqqq": lines}) == []


def test_twin_a_caller_that_does_not_call_the_rolled_out_workload() -> None:
    facts = _facts("Deployment", "billing", "invoices", "Deployment billing/invoices rolled out revision 4: "
                   "invoices image r/invoices:3.2.0 -> r/invoices:3.3.0", "payout-5c6d7b8f9-zzzzz", "finance")
    objects = {("Deployment", "finance", "payout"): _workload("Deployment", "finance", "payout",
                                                             {"LEDGER": "ledger.books.svc:80"})}
    assert _run(facts, objects, {"payout-5c6d7b8f9-zzzzz": ["KeyError: 'net_amount'"] * 3}) == []


def test_twin_errors_that_name_no_field_or_carry_real_values() -> None:
    assert missing_fields(["KeyError: 'DATABASE_URL'", "dial tcp 10.0.0.4:50051: connect: connection refused",
                           "KeyboardInterrupt", "upstream returned 503"]) == {}
    varying = [f"level=warn msg=\"order rejected\" available={n} requested=3" for n in (0, 2, 0, 1, 0, 0)]
    assert defaulted_fields(varying) == {}
    few = ["level=warn msg=\"order rejected\" available=0"] * 2
    assert defaulted_fields(few) == {}
    assert defaulted_fields(["level=error msg=\"upstream failed\" bytes=0 retries=0"] * 6) == {}
    assert "available" in defaulted_fields(["level=warn msg=\"order rejected\" available=0"] * 6)


def test_canary_share_from_steps_and_flagger_weight() -> None:
    assert canary_share(CANARY).startswith("20% of the traffic (setWeight 20, 1/5 replicas")
    assert canary_share({"status": {"canaryWeight": 10}}).startswith("10% of the traffic")
    done = {**CANARY, "status": {"currentStepIndex": 2}}
    assert canary_share(done) == ""
