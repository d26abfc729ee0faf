"""Facts.writes_to: the one filter of the modules that suspect a write to a few kinds of object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage.facts import Facts, Ref

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _at(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _write(minutes_before: int, kind: str, namespace: str, name: str, how: str = "updated") -> dict[str, object]:
    return {"at": _at(minutes_before), "object": {"kind": kind, "namespace": namespace, "name": name}, "type": how}


def _facts() -> Facts:
    facts = Facts(at=AT, changes_id="E1")
    facts.changes = {"changes": [
        _write(30, "CiliumNetworkPolicy", "shop", "egress"), _write(20, "ConfigMap", "shop", "web"),
        _write(10, "IPPool", "", "pool-b", "deleted"), _write(5, "ippool", "", "pool-c", "created"),
    ]}
    # A longer history read by a module: one write older than the survey's window, one it already lists.
    facts.history = [({"changes": [_write(600, "IPPool", "", "pool-a"),
                                   _write(30, "CiliumNetworkPolicy", "shop", "egress")]}, "E9")]
    return facts


def test_kinds_match_in_any_case_with_the_evidence_of_the_read_that_shows_each_write() -> None:
    writes = _facts().writes_to({"ippool", "CILIUMNETWORKPOLICY"})
    assert [(str(ref), e) for _, e, ref in writes] == [
        ("CiliumNetworkPolicy shop/egress", "E1"), ("IPPool pool-b", "E1"), ("ippool pool-c", "E1"),
        ("IPPool pool-a", "E9")]
    assert all(isinstance(ref, Ref) for _, _, ref in writes)


def test_within_keeps_writes_made_at_most_that_long_before_and_deletions_can_be_left_out() -> None:
    facts = _facts()
    recent = facts.writes_to(("IPPool",), within=timedelta(hours=1))
    assert [str(ref) for _, _, ref in recent] == ["IPPool pool-b", "ippool pool-c"]
    kept = facts.writes_to(("IPPool",), within=timedelta(hours=1), deletions=False)
    assert [str(ref) for _, _, ref in kept] == ["ippool pool-c"]
    assert facts.writes_to(("Secret",)) == []
