"""agent.triage.matching_writes: the recent writes a module's reader finds something in, the first per object.

Shape: a timeline with two writes of one Deployment (the first with nothing the reader wants, the second with it), a
later third write of it, a write of another kind, a deletion and a write older than the lead, plus a longer history
read by another module. The callers (ephemeral_growth, state_dropped) keep their kinds, lead and reader.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import ephemeral_growth, state_dropped
from agent.triage.facts import Facts
from agent.triage.matching_writes import first_matching

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def write(kind: str, name: str, ago: timedelta, diff: list[str], kind_of: str = "update") -> dict[str, Any]:
    return {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": kind_of, "diff": diff,
            "object": {"kind": kind, "namespace": "shop", "name": name}}


def facts() -> Facts:
    changes = [write("Deployment", "cart", timedelta(minutes=10), ["image: a -> b"]),
               write("Deployment", "cart", timedelta(minutes=20), ["RETENTION: 1h -> 7d"]),
               write("Deployment", "cart", timedelta(minutes=30), ["RETENTION: 1d -> 1h"]),
               write("ConfigMap", "cart-conf", timedelta(minutes=40), ["RETENTION: 2h -> 3h"]),
               write("Deployment", "gone", timedelta(minutes=5), ["RETENTION: x -> y"], kind_of="deleted"),
               write("Deployment", "old", timedelta(hours=30), ["RETENTION: 1h -> 2h"])]
    history = {"changes": [write("StatefulSet", "ledger", timedelta(hours=20), ["RETENTION: 1h -> 9h"])]}
    return Facts(at=AT, changes={"changes": changes}, changes_id="C1", history=[(history, "H1")])


def retention(change: dict[str, Any]) -> list[str]:
    return [d for d in change.get("diff") or [] if d.startswith("RETENTION")]


def test_first_matching_write_per_object_within_the_lead() -> None:
    got = first_matching(facts(), None, timedelta(hours=24), retention)
    assert [(t.kind, t.name, found, e) for _, e, t, found in got] == [
        ("Deployment", "cart", ["RETENTION: 1h -> 7d"], "C1"),
        ("ConfigMap", "cart-conf", ["RETENTION: 2h -> 3h"], "C1"),
        ("StatefulSet", "ledger", ["RETENTION: 1h -> 9h"], "H1")]


def test_kinds_and_lead_narrow_it() -> None:
    got = first_matching(facts(), ("deployment",), timedelta(hours=48), retention)
    assert [(t.name, change["diff"]) for change, _, t, _ in got] == [("cart", ["RETENTION: 1h -> 7d"]),
                                                                    ("old", ["RETENTION: 1h -> 2h"])]
    assert first_matching(facts(), ("Deployment",), timedelta(minutes=15), retention) == []


def test_callers_keep_their_kinds_lead_and_reader() -> None:
    growth = write("StatefulSet", "streams", timedelta(hours=30),
                   ["spec.template.spec.containers[0] env RETENTION_MS=3600000 -> RETENTION_MS=604800000"])
    stateless = write("FlinkDeployment", "features", timedelta(hours=30),
                      ["spec.job.upgradeMode: savepoint -> stateless"])
    both = Facts(at=AT, changes={"changes": [growth, stateless]}, changes_id="C1")
    assert [t.name for _, _, t, _ in ephemeral_growth._candidates(both)] == ["streams"]  # 48 h, workloads only
    assert state_dropped._candidates(both) == []  # 24 h
    stateless["at"] = (AT - timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert [(t.kind, found[0].new) for _, _, t, found in state_dropped._candidates(both)] == [("FlinkDeployment",
                                                                                              "stateless")]
