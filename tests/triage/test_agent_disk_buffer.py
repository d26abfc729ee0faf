"""agent.triage.agent_disk_buffer: a log agent's disk buffer on the node's root volume fills it (DiskPressure).

Shapes: a Vector DaemonSet rolled out (OnDelete) with `--config agent-disk-buffer.yaml` (`type: disk`, `max_size`
40 GiB, `data_dir` on a hostPath), its pod on the pressured node running the new image; a Fluent Bit DaemonSet whose
ConfigMap alone was written to `storage.type filesystem` with `storage.path` under a hostPath. Twins: a memory
buffer, a disk buffer under an emptyDir, the agent on that node still on the old image, and no node under
DiskPressure (nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import agent_disk_buffer as adb
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
NODE = "node-a-17"
VECTOR_DISK = ("data_dir: /var/lib/vector\nsinks:\n  es:\n    type: elasticsearch\n    buffer:\n      type: disk\n"
               "      max_size: 42949672960\n      when_full: block\n")
VECTOR_MEMORY = "sinks:\n  es:\n    type: elasticsearch\n    buffer:\n      type: memory\n      max_events: 10000\n"
FLUENT_BIT = ("[SERVICE]\n    storage.path /var/fluent-bit/state/\n    storage.total_limit_size 30G\n[INPUT]\n"
              "    Name tail\n    storage.type filesystem\n")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def iso_ago(ago: timedelta) -> str:
    return iso(AT - ago)


def daemonset(name: str, image: str, data_mount: str, volume: dict[str, Any], args: list[str]) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": "obs"},
            "spec": {"updateStrategy": {"type": "OnDelete"}, "template": {"spec": {
                "containers": [{"name": name, "image": image, "args": args,
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/agent"},
                                                 {"name": "data", "mountPath": data_mount},
                                                 {"name": "logs", "mountPath": "/var/log", "readOnly": True}]}],
                "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}}, {"name": "data", **volume},
                            {"name": "logs", "hostPath": {"path": "/var/log"}}]}}}}


def scan() -> dict[str, Any]:
    return {"findings": [{"check": "node.pressure", "reason": "DiskPressure", "since": iso_ago(timedelta(hours=1)),
                          "object": {"kind": "Node", "name": NODE},
                          "message": f"Node {NODE}: DiskPressure (kubelet has disk pressure)"}]}


def case(ds: dict[str, Any], conf: dict[str, str], changes: list[dict[str, Any]], node_image: str,
         pressured: bool = True) -> tuple[Facts, RecordingHub]:
    name = ds["metadata"]["name"]
    cm = {"kind": "ConfigMap", "metadata": {"name": f"{name}-config", "namespace": "obs"}, "data": conf}
    hub = RecordingHub(objects={("DaemonSet", "obs", name): ds, ("ConfigMap", "obs", f"{name}-config"): cm},
                       lists={"Pod": [{"name": f"{name}-x7k2p", "namespace": "obs", "images": [node_image]},
                                      {"name": "web-6c9d8f7b5d-x2k4q", "namespace": "shop", "images": ["web:1"]}]})
    facts = Facts(at=AT, scan=scan() if pressured else {"findings": []}, changes={"changes": changes},
                  changes_id="C1")
    asyncio.run(adb.read(Subject(nodes=[NODE]), facts, hub, iso(AT)))
    return facts, hub


def rollout(name: str) -> dict[str, Any]:
    return {"at": iso_ago(timedelta(hours=6)), "type": "rollout",
            "object": {"kind": "DaemonSet", "namespace": "obs", "name": name},
            "summary": f"DaemonSet obs/{name} rolled out revision 4", "diff": []}


VECTOR = daemonset("vector", "timberio/vector:0.42.0", "/var/lib/vector",
                   {"hostPath": {"path": "/var/lib/vector", "type": "DirectoryOrCreate"}},
                   ["--config", "/etc/agent/agent-disk-buffer.yaml"])


def test_vector_disk_buffer_on_hostpath_names_the_daemonset() -> None:
    facts, _ = case(VECTOR, {"agent.yaml": VECTOR_MEMORY, "agent-disk-buffer.yaml": VECTOR_DISK},
                    [rollout("vector")], "timberio/vector:0.42.0")
    [(ref, finding, _, explains)] = adb.suspects(facts)
    assert (ref.kind, ref.name) == ("DaemonSet", "vector") and explains[0].name == NODE
    head = finding["message"][:400]
    assert "disk buffer" in head and "DiskPressure" in head and "ephemeral-storage" in head and "40 GiB" in head


def test_fluent_bit_config_write_alone_names_its_daemonset() -> None:
    ds = daemonset("fluent-bit", "fluent/fluent-bit:3.1", "/var/fluent-bit",
                   {"hostPath": {"path": "/var/fluent-bit"}}, [])
    write = {"at": iso_ago(timedelta(hours=3)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "obs", "name": "fluent-bit-config"},
             "summary": "ConfigMap obs/fluent-bit-config written by helm", "diff": [],
             "related": [{"kind": "DaemonSet", "namespace": "obs", "name": "fluent-bit"}]}
    facts, _ = case(ds, {"fluent-bit.conf": FLUENT_BIT}, [write], "fluent/fluent-bit:3.1")
    [hit] = adb.found(facts)
    assert hit.software == "Fluent Bit" and hit.host_path == "/var/fluent-bit" and hit.size == "30G"


def test_memory_buffer_is_not_named() -> None:
    facts, _ = case(VECTOR, {"agent-disk-buffer.yaml": VECTOR_MEMORY}, [rollout("vector")], "timberio/vector:0.42.0")
    assert adb.found(facts) == []


def test_disk_buffer_on_an_emptydir_is_not_the_root_volume() -> None:
    ds = daemonset("vector", "timberio/vector:0.42.0", "/var/lib/vector", {"emptyDir": {}},
                   ["--config", "/etc/agent/agent-disk-buffer.yaml"])
    facts, _ = case(ds, {"agent-disk-buffer.yaml": VECTOR_DISK}, [rollout("vector")], "timberio/vector:0.42.0")
    assert adb.found(facts) == []


def test_agent_on_that_node_still_on_the_old_revision_is_not_named() -> None:
    facts, _ = case(VECTOR, {"agent-disk-buffer.yaml": VECTOR_DISK}, [rollout("vector")], "timberio/vector:0.41.1")
    assert adb.found(facts) == []


def test_no_disk_pressure_reads_nothing() -> None:
    facts, hub = case(VECTOR, {"agent-disk-buffer.yaml": VECTOR_DISK}, [rollout("vector")],
                      "timberio/vector:0.42.0", pressured=False)
    assert hub.calls == [] and adb.found(facts) == []
