"""Facts.writes_to: the one filter of the modules that suspect a write to a few kinds of object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage.facts import Facts, Ref, written_by

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


def test_any_kind_with_kinds_none_and_a_window_that_ends_at_a_given_moment() -> None:
    facts = _facts()
    assert [str(ref) for _, _, ref in facts.writes_to(None, within=timedelta(minutes=25))] == [
        "ConfigMap shop/web", "IPPool pool-b", "ippool pool-c"]
    # timed from a symptom first seen 15 min before the incident: the write 20 min before is 5 min before it,
    # the writes 10 and 5 min before came after it
    first = AT - timedelta(minutes=15)
    assert [str(ref) for _, _, ref in facts.writes_to(None, within=timedelta(minutes=10), until=first)] == [
        "ConfigMap shop/web"]


def test_timeline_only_leaves_out_the_longer_histories_other_modules_read() -> None:
    facts = _facts()
    assert [str(ref) for _, _, ref in facts.writes_to(("IPPool",))] == [
        "IPPool pool-b", "ippool pool-c", "IPPool pool-a"]
    assert [(str(ref), e) for _, e, ref in facts.writes_to(("IPPool",), timeline_only=True)] == [
        ("IPPool pool-b", "E1"), ("ippool pool-c", "E1")]


def test_recent_writes_is_the_timeline_s_first_non_deletion_per_object() -> None:
    facts = _facts()
    facts.changes = {"changes": [*(facts.changes or {})["changes"], _write(3, "ConfigMap", "shop", "web")]}
    got = facts.recent_writes(("ConfigMap", "IPPool"), timedelta(hours=1))
    # the first of web's two writes; pool-b was deleted, pool-a is in a longer history only
    assert [(str(ref), c["at"]) for c, ref in got] == [("ConfigMap shop/web", _at(20)), ("ippool pool-c", _at(5))]


def test_newest_write_else_the_creation_the_object_records() -> None:
    facts = _facts()
    facts.changes = {"changes": [_write(50, "StorageClass", "", "fast"), _write(40, "StorageClass", "", "fast"),
                                 _write(30, "StorageClass", "", "slow")]}
    got = facts.newest_write("StorageClass", "fast")
    assert got is not None and got[0]["at"] == _at(40) and got[1] == "E1"
    made = {"metadata": {"creationTimestamp": _at(90), "managedFields": [{"manager": "helm"}, {"manager": "kubectl"}]}}
    again = facts.newest_write("StorageClass", "zonal", made, created="(re)created")
    assert again is not None and again[1] == ""
    assert again[0]["at"] == _at(90) and again[0]["summary"] == "StorageClass zonal (re)created by helm, kubectl"
    assert facts.newest_write("StorageClass", "zonal", {"metadata": {}}) is None
    assert facts.newest_write("StorageClass", "zonal") is None


def test_written_by_names_the_manager_a_summary_says() -> None:
    assert written_by({"summary": "ConfigMap shop/web written by kubectl-edit: data.mode"}) == "kubectl-edit"
    assert written_by({"summary": "Deployment shop/web written by helm (now '3')"}) == "helm"
    assert written_by({"summary": "Deployment shop/web rolled out (revision 4)"}) == ""
    assert written_by({}) == ""
