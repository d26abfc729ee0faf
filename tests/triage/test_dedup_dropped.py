"""A metrics query layer's deduplication removed: HA replicas counted twice (agent.triage.dedup_dropped).

Written here, not taken from the held-out bundles. Shapes: a VictoriaMetrics vmselect StatefulSet whose rollout
dropped `-dedup.minScrapeInterval=30s`; a Mimir runtime-overrides ConfigMap that turned a tenant's
`accept_ha_samples` from true to false; a Thanos Compact rollout that dropped `--deduplication.replica-label`.
Negative twins: the replica label swapped for another (still deduplicating), the interval shortened (still on),
the flag added rather than removed, and the same removal written after the incident began.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import dedup_dropped as dd
from agent.triage.facts import Facts

AT = datetime(2026, 10, 3, 9, 0, tzinfo=UTC)


def _args(kind: str, ns: str, name: str, container: str, old: list[str], new: list[str],
          ago: timedelta = timedelta(minutes=45)) -> dict[str, Any]:
    return {"at": (AT - ago).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out a new revision", "diff": [f"{container} args {old} -> {new}"]}


def _facts(*changes: dict[str, Any]) -> Facts:
    return Facts(at=AT, changes={"changes": list(changes)}, changes_id="C1")


VMSELECT = ["-storageNode=vmstorage-0:8401", "-dedup.minScrapeInterval=30s", "-search.maxQueryDuration=60s"]


def test_a_vmselect_rollout_that_drops_its_dedup_interval_is_named() -> None:
    facts = _facts(_args("StatefulSet", "vm", "vmselect", "vmselect", VMSELECT,
                         [VMSELECT[0], VMSELECT[2]]))
    [(ref, found, evidence, _)] = dd.suspects(facts)
    assert (ref.kind, ref.name) == ("StatefulSet", "vmselect") and evidence == ["C1"]
    head = found["message"][:500]
    assert "-dedup.minScrapeInterval=30s -> (unset)" in head and "twice" in head and "45 min" in head


def test_a_tenant_override_that_stops_accepting_ha_samples_is_named() -> None:
    change = {"at": (AT - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "mimir", "name": "mimir-runtime"},
              "summary": "ConfigMap mimir/mimir-runtime updated by argocd",
              "diff": ["runtime.yaml overrides.team-payments.accept_ha_samples 'true' -> 'false'"]}
    [d] = dd.found(_facts(change))
    assert d.family.name == "HA tracker" and d.old == "true" and d.new == "false"
    assert "HA tracker" in dd.finding(d)["message"]


def test_a_compactor_rollout_that_drops_its_replica_label_is_named() -> None:
    old = ["compact", "--wait", "--deduplication.replica-label=replica", "--retention.resolution-raw=30d"]
    facts = _facts(_args("Deployment", "obs", "metrics-compactor", "compactor", old, [old[0], old[1], old[3]]))
    [d] = dd.found(facts)
    assert d.setting == "--deduplication.replica-label" and d.old == "replica"


def test_a_replica_label_swapped_for_another_names_nothing() -> None:
    old = ["query", "--query.replica-label=replica", "--endpoint=dnssrv+_grpc._tcp.sidecars"]
    new = ["query", "--query.replica-label=prometheus_replica", "--endpoint=dnssrv+_grpc._tcp.sidecars"]
    assert dd.found(_facts(_args("Deployment", "obs", "querier", "querier", old, new))) == []


def test_a_shorter_dedup_interval_names_nothing() -> None:
    new = [VMSELECT[0], "-dedup.minScrapeInterval=15s", VMSELECT[2]]
    assert dd.found(_facts(_args("StatefulSet", "vm", "vmselect", "vmselect", VMSELECT, new))) == []


def test_a_dedup_setting_added_names_nothing() -> None:
    assert dd.found(_facts(_args("StatefulSet", "vm", "vmselect", "vmselect", [VMSELECT[0]], VMSELECT))) == []


def test_the_same_removal_after_the_incident_began_names_nothing() -> None:
    late = _args("StatefulSet", "vm", "vmselect", "vmselect", VMSELECT, [VMSELECT[0], VMSELECT[2]],
                 ago=timedelta(minutes=-20))
    assert dd.found(_facts(late)) == []
