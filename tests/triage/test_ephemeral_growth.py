"""agent.triage.ephemeral_growth: a workload change that grows what its pod keeps on an unbounded emptyDir, filling
the node's root disk until DiskPressure.

Shapes: a StatefulSet (Kafka Streams) whose revision raised SESSION_STORE_RETENTION_MS 1 h -> 7 d, its pod on the
pressured node mounting an emptyDir without sizeLimit as its state dir; a Deployment (a cache) whose spec field
`cacheSize` was raised 1Gi -> 40Gi, its pod read without volumes so its template says the emptyDir. Twins: the
state on a claim, an emptyDir with sizeLimit, a lowered retention, a raise after the pressure began, the writer's
pod on another node.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import ephemeral_growth as eg
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 2, 4, 15, tzinfo=UTC)
NODE = "ip-10-0-2-21.eu-west-1.compute.internal"
RETENTION = "sessionizer env SESSION_STORE_RETENTION_MS='3600000' -> SESSION_STORE_RETENTION_MS='604800000'"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def pod_spec(volume: dict[str, Any] | None) -> dict[str, Any]:
    if volume is None:
        return {"containers": [{"name": "app"}]}
    return {"containers": [{"name": "app", "volumeMounts": [{"name": "state", "mountPath": "/var/lib/state"}]}],
            "volumes": [{"name": "state", **volume}]}


def rollout(kind: str, name: str, diff: str, ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "rollout", "object": {"kind": kind, "namespace": "clickstream", "name": name},
            "summary": f"{kind} clickstream/{name} rolled out revision 4: {diff}", "diff": [diff]}


def facts_for(change: dict[str, Any], pod: str, volume: dict[str, Any] | None, template: dict[str, Any] | None = None,
              node_of_pod: str = NODE) -> Facts:
    kind, name = change["object"]["kind"], change["object"]["name"]
    scan = {"findings": [{"check": "node.pressure", "severity": "critical", "reason": "DiskPressure",
                          "object": {"kind": "Node", "namespace": "", "name": NODE}, "since": iso(AT - timedelta(
                              minutes=22)), "message": f"Node {NODE}: DiskPressure (kubelet has disk pressure)"}]}
    rows = [{"name": "collector-7f9c8d6b5-x2x9k", "namespace": "clickstream"}]
    if node_of_pod == NODE:
        rows.append({"name": pod, "namespace": "clickstream"})
    objects: dict[Any, Any] = {("Pod", "clickstream", pod): {"kind": "Pod", "spec": pod_spec(volume)}}
    if template is not None:
        objects[(kind, "clickstream", name)] = {"kind": kind, "spec": {"template": {"spec": template}}}
    hub = RecordingHub(objects=objects, lists={"Pod": rows})
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1", scan=scan, scan_id="S1")
    asyncio.run(eg.read(Subject(nodes=[NODE]), facts, hub, iso(AT)))
    return facts


def test_stream_state_retention_raised_on_unbounded_emptydir() -> None:
    facts = facts_for(rollout("StatefulSet", "sessionizer", RETENTION, timedelta(hours=19)), "sessionizer-1",
                      {"emptyDir": {}})
    hits = eg.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("StatefulSet", "sessionizer")
    head = finding["message"][:400]
    assert "SESSION_STORE_RETENTION_MS 3600000 -> 604800000" in head and "emptyDir without sizeLimit" in head
    assert "DiskPressure" in head and "ephemeral-storage" in head and explained[0].name == NODE


def test_cache_size_raised_emptydir_read_from_the_template() -> None:
    change = rollout("Deployment", "image-cache", "spec.cacheSize: 1Gi -> 40Gi", timedelta(hours=3))
    facts = facts_for(change, "image-cache-6d9f7b9c5-bcdfg", None, template=pod_spec({"emptyDir": {}}))
    hits = eg.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "image-cache"
    assert "/var/lib/state" in hits[0][1]["message"]


def test_state_on_a_claim_does_not_fill_the_node() -> None:
    facts = facts_for(rollout("StatefulSet", "sessionizer", RETENTION, timedelta(hours=19)), "sessionizer-1",
                      {"persistentVolumeClaim": {"claimName": "state-sessionizer-1"}})
    assert eg.suspects(facts) == []


def test_emptydir_with_size_limit_is_bounded() -> None:
    facts = facts_for(rollout("StatefulSet", "sessionizer", RETENTION, timedelta(hours=19)), "sessionizer-1",
                      {"emptyDir": {"sizeLimit": "5Gi"}})
    assert eg.suspects(facts) == []


def test_lowered_retention_is_no_growth() -> None:
    lowered = "sessionizer env SESSION_STORE_RETENTION_MS='604800000' -> SESSION_STORE_RETENTION_MS='3600000'"
    facts = facts_for(rollout("StatefulSet", "sessionizer", lowered, timedelta(hours=19)), "sessionizer-1",
                      {"emptyDir": {}})
    assert eg.suspects(facts) == []


def test_raise_after_the_pressure_began() -> None:
    facts = facts_for(rollout("StatefulSet", "sessionizer", RETENTION, timedelta(minutes=10)), "sessionizer-1",
                      {"emptyDir": {}})
    assert eg.suspects(facts) == []


def test_writer_pod_on_another_node() -> None:
    facts = facts_for(rollout("StatefulSet", "sessionizer", RETENTION, timedelta(hours=19)), "sessionizer-1",
                      {"emptyDir": {}}, node_of_pod="ip-10-0-3-9.eu-west-1.compute.internal")
    assert eg.suspects(facts) == []
