"""agent.triage.restartless_rotation: an operator rotated a credential Secret and nothing restarted its readers.

Shapes: a VaultStaticSecret whose MySQL password was rotated on its period, read by a Java service through envFrom
(HikariCP `Access denied for user`), the object never had a restart list; a VaultDynamicSecret for MongoDB whose
lease was re-issued, read by a Go worker through a file (no reference by name, `Authentication failed` a minute
after the write), its restart list removed by a GitOps write. Twins: the refused pods started after the rotation;
the object restarts the refused workload; refusals that began before the rotation; an unreferenced reader refused
hours after the write; no refusal at all (nothing is read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.restartless_rotation import CHECK, read, suspects
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
ROTATED = AT - timedelta(minutes=9)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def secret_write(ns: str, name: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "other", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} updated by vault-secrets-operator: data key password set",
            "diff": ["data.password set"]}


def pod(ns: str, name: str, started: datetime) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "status": {"startTime": iso(started - timedelta(seconds=5)),
                       "containerStatuses": [{"name": "app", "state": {"running": {"startedAt": iso(started)}}}]}}


def deployment(ns: str, name: str, env_from: str = "") -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": f"registry.local/{name}:1"}
    if env_from:
        container["envFrom"] = [{"secretRef": {"name": env_from}}]
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"template": {"spec": {"containers": [container]}}}}


def refused_log(ns: str, pod_name: str, first: datetime, said: str) -> LogEvidence:
    return LogEvidence(pod=pod_name, namespace=ns, evidence_id="L1",
                       top={"error_class": "auth_failure", "severity": "error", "example": said, "message": said,
                            "first_seen": iso(first), "count": 40},
                       hosts=[], error_classes={"auth_failure"}, previous=False)


def static_secret(targets: list[dict[str, str]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "kv-v2", "mount": "db", "path": "inventory/mysql", "refreshAfter": "1h",
                            "destination": {"name": "inventory-mysql", "create": True}}
    if targets is not None:
        spec["rolloutRestartTargets"] = targets
    return {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret",
            "metadata": {"name": "inventory-mysql", "namespace": "stock"}, "spec": spec}


JAVA_REFUSAL = ("HikariPool-1 - Exception during pool initialization: java.sql.SQLException: Access denied for user "
                "'inventory'@'10.4.2.17' (using password: YES)")


def static_case(started: datetime, first: datetime, targets: list[dict[str, str]] | None = None
                ) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [secret_write("stock", "inventory-mysql", ROTATED)]}
    facts.logs = [refused_log("stock", "inventory-svc-6c9d7f8b4d-h2k9p", first, JAVA_REFUSAL)]
    hub = RecordingHub(
        objects={("VaultStaticSecret", "stock", "inventory-mysql"): static_secret(targets),
                 ("Pod", "stock", "inventory-svc-6c9d7f8b4d-h2k9p"):
                     pod("stock", "inventory-svc-6c9d7f8b4d-h2k9p", started),
                 ("Deployment", "stock", "inventory-svc"): deployment("stock", "inventory-svc", "inventory-mysql")},
        lists={("VaultStaticSecret", "stock"): [{"name": "inventory-mysql"}]})
    return facts, hub


def dynamic_case(started: datetime, first: datetime) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        secret_write("ledger", "ledger-mongo-creds", ROTATED),
        {"at": iso(AT - timedelta(hours=5)), "type": "other",
         "object": {"kind": "VaultDynamicSecret", "namespace": "ledger", "name": "mongo-lease"},
         "summary": "VaultDynamicSecret ledger/mongo-lease written by flux-kustomize (generation 3): "
                    "spec.rolloutRestartTargets removed", "diff": ["spec.rolloutRestartTargets removed"]}]}
    facts.logs = [refused_log("ledger", "ledger-worker-7b8c9d6f5-zq4rt", first,
                              'level=error msg="connect mongo" err="connection() error: auth error: sasl conversation '
                              'error: unable to authenticate using mechanism \\"SCRAM-SHA-256\\": '
                              '(AuthenticationFailed) Authentication failed."')]
    dynamic = {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultDynamicSecret",
               "metadata": {"name": "mongo-lease", "namespace": "ledger"},
               "spec": {"mount": "mongodb", "path": "creds/ledger", "destination": {"name": "ledger-mongo-creds"}}}
    hub = RecordingHub(
        objects={("VaultDynamicSecret", "ledger", "mongo-lease"): dynamic,
                 ("Pod", "ledger", "ledger-worker-7b8c9d6f5-zq4rt"):
                     pod("ledger", "ledger-worker-7b8c9d6f5-zq4rt", started),
                 ("Deployment", "ledger", "ledger-worker"): deployment("ledger", "ledger-worker")},
        lists={("VaultDynamicSecret", "ledger"): [{"name": "mongo-lease"}]})
    return facts, hub


def run(facts: Facts, hub: RecordingHub) -> list[tuple[Any, dict[str, Any], list[str], list[Any]]]:
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    return suspects(facts)


def test_static_secret_rotated_under_a_java_reader_names_the_object() -> None:
    got = run(*static_case(started=AT - timedelta(days=3), first=ROTATED + timedelta(seconds=50)))
    assert len(got) == 1
    ref, found, _, explains = got[0]
    assert (ref.kind, ref.name) == ("VaultStaticSecret", "inventory-mysql")
    assert found["check"] == CHECK
    assert "rolloutRestartTargets" in found["message"] and "rotated" in found["message"]
    assert "Access denied" in found["message"] and "which reads it" in found["message"]
    assert [str(r) for r in explains] == ["Deployment stock/inventory-svc"]


def test_dynamic_lease_read_through_a_file_names_the_object_and_the_removal() -> None:
    got = run(*dynamic_case(started=AT - timedelta(days=1), first=ROTATED + timedelta(minutes=1)))
    assert len(got) == 1
    ref, found, _, _ = got[0]
    assert (ref.kind, ref.name) == ("VaultDynamicSecret", "mongo-lease")
    assert "flux-kustomize" in found["message"] and "refused right after it" in found["message"]


def test_pods_started_after_the_rotation_loaded_the_new_credentials() -> None:
    assert run(*static_case(started=ROTATED + timedelta(minutes=2), first=ROTATED + timedelta(minutes=3))) == []
    assert run(*dynamic_case(started=ROTATED + timedelta(minutes=1), first=ROTATED + timedelta(minutes=2))) == []


def test_object_that_restarts_the_reader_is_not_blamed() -> None:
    facts, hub = static_case(started=AT - timedelta(days=3), first=ROTATED + timedelta(seconds=50),
                             targets=[{"kind": "Deployment", "name": "inventory-svc"}])
    assert run(facts, hub) == []
    # a list that restarts only some other workload still leaves this reader behind
    facts, hub = static_case(started=AT - timedelta(days=3), first=ROTATED + timedelta(seconds=50),
                             targets=[{"kind": "Deployment", "name": "inventory-report"}])
    assert len(run(facts, hub)) == 1


def test_refusals_older_than_the_rotation_are_not_its_doing() -> None:
    assert run(*static_case(started=AT - timedelta(days=3), first=ROTATED - timedelta(minutes=20))) == []


def test_unreferenced_reader_refused_long_after_the_write_is_not_linked() -> None:
    facts, hub = dynamic_case(started=AT - timedelta(days=1), first=ROTATED + timedelta(minutes=1))
    facts.changes["changes"][0]["at"] = iso(AT - timedelta(hours=4))  # type: ignore[index]
    assert run(facts, hub) == []


def test_no_refusal_reads_nothing() -> None:
    facts, hub = static_case(started=AT - timedelta(days=3), first=ROTATED + timedelta(seconds=50))
    facts.logs = []
    assert run(facts, hub) == [] and hub.calls == []
