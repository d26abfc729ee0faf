"""agent.triage.final_save_cut: a store's grace period lowered below its final save, then a stale start.

Shapes: a Valkey StatefulSet whose grace period went 90 -> 5 and whose new pod loaded a snapshot hours old; a Kafka
broker StatefulSet whose grace period went from unset (Kubernetes' 30) to 5 and whose broker then found no clean
shutdown file. Twins: a lowered grace period whose store still saved on the way down (a snapshot seconds old), a
raised grace period before an unclean start, an unclean start stamped before the write, a stateless web app.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import final_save_cut as fsc
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 14, 21, 10, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(kind: str, ns: str, name: str, old: str, new: str, at: datetime = WRITE) -> dict[str, Any]:
    line = f"pod terminationGracePeriodSeconds {old} -> {new}"
    return {"at": iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 4: {line}", "diff": [line]}


def run(change: dict[str, Any], pods: list[str], logs: dict[str, list[str]]) -> Facts:
    ns = change["object"]["namespace"]
    hub = RecordingHub(lists={("Pod", ns): [{"name": p} for p in pods]}, logs=logs)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(fsc.read(Subject(namespace=ns), facts, hub, iso(AT)))
    return facts


def stamped(t: datetime, text: str) -> str:
    return f"{iso(t)} {text}"


def test_valkey_grace_cut_then_hours_old_snapshot() -> None:
    logs = {"cart-cache-0": [stamped(WRITE + timedelta(seconds=20), "1:M 20:20:20.000 * Server initialized"),
                             stamped(WRITE + timedelta(seconds=21), "1:M 14 Sep 2026 20:20:21.000 * RDB age 9120 "
                                     "seconds"),
                             stamped(WRITE + timedelta(seconds=40), "1:M * Ready to accept connections tcp")]}
    facts = run(rollout("StatefulSet", "shop", "cart-cache", "'90'", "'5'"), ["cart-cache-0", "cart-api-7d-x"], logs)
    hits = fsc.suspects(facts)
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("StatefulSet", "cart-cache") and explains[0].name == "cart-cache-0"
    message = finding["message"]
    assert "terminationGracePeriodSeconds from 90 to 5" in message and "SIGKILL" in message
    assert "'RDB age 9120 seconds'" in message[:400] and "2 h 32 min old" in message
    assert evidence == ["C1", "E2"]


def test_kafka_broker_grace_from_default_then_no_clean_shutdown_file() -> None:
    logs = {"events-kafka-2": [stamped(WRITE + timedelta(minutes=3), "[2026-09-14 20:23:00,101] INFO [LogLoader "
                                       "partition=orders-3, dir=/var/lib/kafka/data] Attempting recovery for all logs "
                                       "in /var/lib/kafka/data since no clean shutdown file was found")]}
    facts = run(rollout("StatefulSet", "streams", "events-kafka", "unset", "'5'"), ["events-kafka-2"], logs)
    hits = fsc.suspects(facts)
    assert [h[0].name for h in hits] == ["events-kafka"]
    assert "from 30 to 5" in hits[0][1]["message"] and "no clean shutdown file was found" in hits[0][1]["message"]


def test_twin_store_that_still_saved_on_the_way_down() -> None:
    logs = {"cart-cache-0": [stamped(WRITE + timedelta(seconds=21), "1:M * RDB age 7 seconds"),
                             stamped(WRITE + timedelta(seconds=22), "1:M * Done loading RDB, keys loaded: 120044")]}
    facts = run(rollout("StatefulSet", "shop", "cart-cache", "'90'", "'20'"), ["cart-cache-0"], logs)
    assert fsc.suspects(facts) == []


def test_twin_raised_grace_is_not_read_even_before_an_unclean_start() -> None:
    logs = {"events-kafka-2": [stamped(WRITE + timedelta(minutes=3), "no clean shutdown file was found")]}
    facts = run(rollout("StatefulSet", "streams", "events-kafka", "'30'", "'300'"), ["events-kafka-2"], logs)
    assert fsc.suspects(facts) == [] and fsc.lowered(facts) == []


def test_twin_unclean_start_before_the_write_is_not_its_doing() -> None:
    logs = {"orders-db-0": [stamped(WRITE - timedelta(hours=3), "LOG:  database system was interrupted; last known "
                                    "up at 2026-09-14 16:00:01 UTC"),
                            stamped(WRITE + timedelta(minutes=1), "LOG:  database system was shut down at "
                                    "2026-09-14 20:20:40 UTC")]}
    facts = run(rollout("StatefulSet", "shop", "orders-db", "'60'", "'10'"), ["orders-db-0"], logs)
    assert fsc.suspects(facts) == []


def test_twin_stateless_app_with_a_lowered_grace_is_not_named() -> None:
    logs = {"web-6c9f-abcde": [stamped(WRITE + timedelta(minutes=1), "GET /healthz 200")]}
    facts = run(rollout("Deployment", "shop", "web", "'60'", "'10'"), ["web-6c9f-abcde"], logs)
    assert fsc.suspects(facts) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert fsc in behind.MODULES and behind.WEIGHTS[fsc.CHECK] == fsc.WEIGHT
