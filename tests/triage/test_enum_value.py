"""agent.triage.enum_value: a producer-side change starts emitting an enum value its consumer's decoder rejects.

Shapes (not the round's wording): a flagd ConfigMap switching a flag on, after which a Go order publisher emits
`"state":"ON_HOLD"` and a Python consumer says `ValueError: 'ON_HOLD' is not a valid ShipmentState`; a Rust
producer's own rollout after which a Kotlin consumer says `does not contain element with name 'VOIDED'`; serde's
`unknown variant` and Java's `No enum constant` wordings. Twins: the producer already emitted the value before the
write (the write is not why); a flag switched on in another namespace than the emitter; a bystander's rollout in the
producer's namespace; a flag switched off; a decode error that names no value.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import enum_value
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(minutes=40)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _line(minutes_after_write: int, body: str) -> str:
    return f"{_iso(WRITTEN + timedelta(minutes=minutes_after_write))} {body}"


class Hub:
    """`k8s_list` pods per namespace; `k8s_logs` with a real-server-like header (`N lines, M containing 'x'`),
    filtered by `grep` and `since_time` on each line's stamp."""

    def __init__(self, pods: dict[str, list[str]], logs: dict[str, list[str]]) -> None:
        self.pods, self.logs, self.n = pods, logs, 0

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Any:
        self.n += 1
        eid = f"E{100 + self.n}"
        if tool == "k8s_list":
            rows = [{"name": p, "namespace": args["namespace"], "status": "Running"}
                    for p in self.pods.get(args["namespace"], [])]
            return outcome(True, {"rows": rows}, f"{len(rows)} Pods", eid)
        if tool == "k8s_logs":
            lines = self.logs.get(args["name"], [])
            since = parse_time(args.get("since_time"))
            if since is not None:
                lines = [ln for ln in lines if (parse_time(ln.split(" ", 1)[0]) or since) >= since]
            kept = [ln for ln in lines if str(args.get("grep") or "").lower() in ln.lower()]
            head = f"logs of {args['namespace']}/{args['name']}: {len(lines)} lines, {len(kept)} containing " \
                   f"'{args.get('grep')}'"
            return outcome(True, {}, "\n".join([head, *kept]), eid)
        return None


def _facts(changes: list[dict[str, Any]], consumer: tuple[str, str], said: str) -> Facts:
    log = LogEvidence(pod=consumer[1], namespace=consumer[0], evidence_id="E7", hosts=[], error_classes={"ValueError"},
                      previous=False, top={"exception": said, "example": said})
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])


def _flag_write(namespace: str, name: str, key: str, value: str = "'on'") -> dict[str, Any]:
    return {"at": _iso(WRITTEN), "type": "updated", "object": {"kind": "ConfigMap", "namespace": namespace,
                                                                "name": name},
            "summary": f"ConfigMap {namespace}/{name} written by flux",
            "diff": [f"flags.{key}.defaultVariant = {value}"]}


def _rollout(namespace: str, name: str) -> dict[str, Any]:
    return {"at": _iso(WRITTEN), "type": "rollout", "object": {"kind": "Deployment", "namespace": namespace,
                                                                "name": name},
            "summary": f"Deployment {namespace}/{name} rolled out revision 9: image ghcr.io/x/{name}:1.4.0 -> "
                       f"ghcr.io/x/{name}:1.5.0", "diff": []}


def _run(facts: Facts, hub: Hub) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    asyncio.run(enum_value.read(Subject(), facts, hub, _iso(AT)))
    return enum_value.suspects(facts)


PUBLISHER = "publisher-6b8d9c7f5d-p2x7k"
CONSUMER = ("fulfilment", "shipper-77c9b6d8f4-zk4lq")
PY_SAID = "ValueError: 'ON_HOLD' is not a valid ShipmentState"


def _publisher_lines(before: bool) -> list[str]:
    lines = [_line(m, 'level=info msg="order published" state=CONFIRMED') for m in range(-30, 0, 5)]
    if before:
        lines.append(_line(-20, 'level=info msg="order published" state=ON_HOLD'))
    return lines + [_line(m, 'level=info msg="order published" state=ON_HOLD') for m in range(1, 30, 3)]


def test_a_flagd_configmap_flag_on_then_a_python_consumer_rejects_the_new_state() -> None:
    facts = _facts([_flag_write("orders", "order-flags", "hold-queue")], CONSUMER, PY_SAID)
    hub = Hub({"orders": [PUBLISHER]}, {PUBLISHER: _publisher_lines(before=False)})
    [(ref, found, _, explains)] = _run(facts, hub)
    assert ref == Ref("ConfigMap", "orders", "order-flags")
    assert "ON_HOLD" in found["message"] and "hold-queue" in found["message"]
    assert Ref("Deployment", "fulfilment", "shipper") in explains


def test_a_producer_rollout_then_a_kotlin_consumer_rejects_the_new_variant() -> None:
    producer = "ledger-writer-5d7f8b9c6d-m4q2w"
    lines = [_line(m, '{"level":"INFO","event":"txn","kind":"SETTLED"}') for m in range(-20, 0, 4)]
    lines += [_line(m, '{"level":"INFO","event":"txn","kind":"VOIDED"}') for m in range(2, 30, 4)]
    said = ("kotlinx.serialization.SerializationException: com.corp.TxnKind does not contain element with name "
            "'VOIDED' at path $.kind")
    facts = _facts([_rollout("ledger", "ledger-writer")], ("reports", "statements-6c5d7b8f9d-t8r2p"), said)
    [(ref, found, _, _)] = _run(facts, Hub({"ledger": [producer]}, {producer: lines}))
    assert ref == Ref("Deployment", "ledger", "ledger-writer") and "VOIDED" in found["message"]


def test_other_decoders_name_the_rejected_value() -> None:
    assert enum_value.rejected("Error(\"unknown variant `Paused`, expected one of `Active`, `Closed`\")") == "Paused"
    assert enum_value.rejected("java.lang.IllegalArgumentException: No enum constant com.x.Tier.PLATINUM") == \
        "PLATINUM"
    assert enum_value.rejected('Cannot deserialize value of type `X` from String "GIFT": not one of the values '
                               'accepted for Enum class: [A, B]') == "GIFT"
    assert enum_value.rejected("InvalidProtocolBufferException: Invalid enum value: EXPRESS for enum type: "
                               "shipping.Speed") == "EXPRESS"


def test_twin_the_producer_already_emitted_the_value_before_the_write() -> None:
    facts = _facts([_flag_write("orders", "order-flags", "hold-queue")], CONSUMER, PY_SAID)
    hub = Hub({"orders": [PUBLISHER]}, {PUBLISHER: _publisher_lines(before=True)})
    assert _run(facts, hub) == []


def test_twin_the_flag_was_switched_on_in_another_namespace() -> None:
    facts = _facts([_flag_write("billing", "billing-flags", "hold-queue")], CONSUMER, PY_SAID)
    hub = Hub({"orders": [PUBLISHER], "billing": ["invoicer-7b9c8d6f5d-q4w2x"]},
              {PUBLISHER: _publisher_lines(before=False), "invoicer-7b9c8d6f5d-q4w2x": []})
    assert _run(facts, hub) == []


def test_twin_a_bystander_rollout_in_the_producers_namespace() -> None:
    facts = _facts([_rollout("orders", "order-search")], CONSUMER, PY_SAID)
    hub = Hub({"orders": [PUBLISHER, "order-search-5c6d7x8f9b-k4s2d"]},
              {PUBLISHER: _publisher_lines(before=False), "order-search-5c6d7x8f9b-k4s2d": []})
    assert _run(facts, hub) == []


def test_twin_a_flag_switched_off_or_a_decode_error_without_a_value() -> None:
    off = _facts([_flag_write("orders", "order-flags", "hold-queue", "'off'")], CONSUMER, PY_SAID)
    assert _run(off, Hub({"orders": [PUBLISHER]}, {PUBLISHER: _publisher_lines(before=False)})) == []
    vague = _facts([_flag_write("orders", "order-flags", "hold-queue")], CONSUMER,
                   "System.Text.Json.JsonException: The JSON value could not be converted to Corp.ShipmentState")
    assert _run(vague, Hub({"orders": [PUBLISHER]}, {PUBLISHER: _publisher_lines(before=False)})) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert enum_value in behind.MODULES and behind.WEIGHTS[enum_value.CHECK] == enum_value.WEIGHT
