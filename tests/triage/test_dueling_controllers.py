"""agent.triage.dueling_controllers: two installs of one controller, each leading, fight over a workload.

Shapes: a renamed chart's second operator Deployment (`pg-operator` next to `pgoperator`, the same image repository
at another tag), each holding a Lease of its own name, and a StatefulSet whose image flips back and forth (change-cause
pg-operator); a copy installed in a second namespace under the same name (`cert-sync` in `platform` and in
`platform-v2`), flipping a Deployment's env. Twins: a flip-flopping workload whose controller runs once (another
fight); two installs while the workload rolled out with no reversal; too few rollouts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import dueling_controllers as dc
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def flips(kind: str, ns: str, name: str, field_: str, a: str, b: str, n: int, cause: str) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        old, new = (a, b) if i % 2 == 0 else (b, a)
        out.append({"at": iso(AT - timedelta(minutes=5 * (n - i))), "type": "rollout",
                    "object": {"kind": kind, "namespace": ns, "name": name},
                    "summary": f"{kind} {ns}/{name} rolled out revision {i + 2}: {field_} {old} -> {new} "
                               f"(change-cause: {cause})", "diff": [f"{field_} {old} -> {new}"]})
    return out


def deployment(ns: str, name: str, image: str, created: datetime) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "creationTimestamp": iso(created)},
            "spec": {"template": {"spec": {"containers": [{"name": "manager", "image": image}]}}}}


def lease(ns: str, name: str, holder: str, acquired: datetime) -> dict[str, Any]:
    return {"kind": "Lease", "metadata": {"name": name, "namespace": ns},
            "spec": {"holderIdentity": holder, "acquireTime": iso(acquired)}}


def run(changes: list[dict[str, Any]], installs: list[dict[str, Any]], leases: list[dict[str, Any]]) -> Facts:
    objects: dict[Any, Any] = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o
                               for o in [*installs, *leases]}
    lists: dict[Any, Any] = {("Deployment", ""): [{"name": o["metadata"]["name"],
                                                   "namespace": o["metadata"]["namespace"]} for o in installs]}
    for item in leases:
        lists.setdefault(("Lease", item["metadata"]["namespace"]), []).append({"name": item["metadata"]["name"]})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(dc.read(Subject(namespace="db"), facts, RecordingHub(objects=objects, lists=lists), iso(AT)))
    return facts


def pg_installs() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    old = deployment("pg-system", "pg-operator", "ghcr.io/acme/pg-operator:v2.1.0", AT - timedelta(days=40))
    new = deployment("pg-system", "pgoperator", "ghcr.io/acme/pg-operator:v2.3.0", AT - timedelta(days=3))
    leases = [lease("pg-system", "pg-operator-leader", "pg-operator-7c9d8b6f5-bcdfg_1a2b", AT - timedelta(days=30)),
              lease("pg-system", "pgoperator-lock", "pgoperator-5d6f7b8c9-hjklm", AT - timedelta(hours=2))]
    return [old, new], leases


def test_renamed_chart_second_operator_is_named_with_both_leases() -> None:
    installs, leases = pg_installs()
    changes = flips("StatefulSet", "db", "orders-pg", "postgres image", "pg:15.4", "pg:16.1", 6, "pg-operator")
    hits = dc.suspects(run(changes, installs, leases))
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.namespace, ref.name) == ("pg-system", "pgoperator")
    head = finding["message"][:400]
    assert "two operators" in head and "pgoperator-lock" in head and "pg-operator-leader" in head
    assert "leader election" in head
    assert explained[0].name == "orders-pg"


def test_copy_in_a_second_namespace_is_named() -> None:
    old = deployment("platform", "cert-sync", "quay.io/x/cert-sync:1.0", AT - timedelta(days=60))
    new = deployment("platform-v2", "cert-sync", "quay.io/x/cert-sync:1.1", AT - timedelta(hours=6))
    changes = flips("Deployment", "web", "frontend", "frontend env CERT_HASH", "'aa'", "'bb'", 5, "cert-sync")
    hits = dc.found(run(changes, [old, new], []))
    assert len(hits) == 1 and hits[0].newer.namespace == "platform-v2"


def test_single_install_is_not_a_duel() -> None:
    installs, leases = pg_installs()
    changes = flips("StatefulSet", "db", "orders-pg", "postgres image", "pg:15.4", "pg:16.1", 6, "pg-operator")
    assert dc.found(run(changes, installs[:1], leases[:1])) == []


def test_steady_workload_or_few_rollouts_is_not_a_duel() -> None:
    installs, leases = pg_installs()
    steady = [{"at": iso(AT - timedelta(minutes=10 * i)), "type": "rollout",
               "object": {"kind": "StatefulSet", "namespace": "db", "name": "orders-pg"},
               "summary": f"StatefulSet db/orders-pg rolled out: postgres image pg:16.{i} -> pg:16.{i + 1} "
                          "(change-cause: pg-operator)", "diff": [f"postgres image pg:16.{i} -> pg:16.{i + 1}"]}
              for i in range(5)]
    assert dc.found(run(steady, installs, leases)) == []
    few = flips("StatefulSet", "db", "orders-pg", "postgres image", "pg:15.4", "pg:16.1", 3, "pg-operator")
    assert dc.found(run(few, installs, leases)) == []
