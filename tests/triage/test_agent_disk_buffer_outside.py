"""agent.triage.agent_disk_buffer against agents, config formats and kubelet wording its round-30 incident did not use.

Shapes: a Filebeat DaemonSet given `queue.disk` (path under a hostPath, `max_size: 30GB`) on a node the kubelet
reports only by its EvictionThresholdMet event (`Attempting to reclaim ephemeral-storage`, no DiskPressure word);
an OpenTelemetry Collector agent whose ConfigMap alone was written to a `file_storage` extension on a hostPath; a
Vector agent configured in TOML (`type = "disk"`, `max_size = 32212254720`). Twins: Filebeat's memory queue, the
disk queue on a hostPath mounted read-only into another path (the buffer under an emptyDir), and a node reclaiming
memory (MemoryPressure: another class, nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import agent_disk_buffer as adb
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
NODE = "ip-10-4-17-201.ec2.internal"
FILEBEAT = ("filebeat.inputs:\n  - type: filestream\n    paths: [/var/log/containers/*.log]\nqueue.disk:\n"
            "  path: /usr/share/filebeat/data/diskqueue\n  max_size: 30GB\noutput.logstash:\n"
            "  hosts: [logstash:5044]\n")
FILEBEAT_MEM = FILEBEAT.replace("queue.disk:\n  path: /usr/share/filebeat/data/diskqueue\n  max_size: 30GB\n",
                                "queue.mem:\n  events: 4096\n")
OTEL = ("extensions:\n  file_storage/queue:\n    directory: /var/lib/otelcol/queue\n    timeout: 10s\nexporters:\n"
        "  otlphttp:\n    endpoint: https://logs.example.net\n    sending_queue:\n      storage: file_storage/queue\n"
        "service:\n  extensions: [file_storage/queue]\n")
VECTOR_TOML = ('data_dir = "/var/lib/vector"\n\n[sinks.out]\ntype = "http"\ninputs = ["k8s"]\n'
               'uri = "https://logs.example.net"\n\n[sinks.out.buffer]\ntype = "disk"\nmax_size = 32212254720\n')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def daemonset(name: str, image: str, mount: str, volume: dict[str, Any], read_only: bool = False) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": "logging"},
            "spec": {"updateStrategy": {"type": "RollingUpdate"}, "template": {"spec": {
                "containers": [{"name": name, "image": image,
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/agent"},
                                                 {"name": "data", "mountPath": mount, "readOnly": read_only}]}],
                "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}},
                            {"name": "data", **volume}]}}}}


def node_finding(reason: str, message: str) -> dict[str, Any]:
    return {"findings": [{"check": "events.node", "reason": reason, "since": iso(AT - timedelta(minutes=30)),
                          "object": {"kind": "Node", "name": NODE}, "message": message}]}


RECLAIM_DISK = node_finding("EvictionThresholdMet", "Attempting to reclaim ephemeral-storage")
PRESSURE = node_finding("DiskPressure", f"Node {NODE}: DiskPressure (kubelet has disk pressure)")


def case(ds: dict[str, Any], conf: str, scan: dict[str, Any], change_kind: str = "DaemonSet"
         ) -> tuple[Facts, RecordingHub]:
    name = ds["metadata"]["name"]
    image = ds["spec"]["template"]["spec"]["containers"][0]["image"]
    cm = {"kind": "ConfigMap", "metadata": {"name": f"{name}-config", "namespace": "logging"},
          "data": {"agent.conf": conf}}
    target = name if change_kind == "DaemonSet" else f"{name}-config"
    change = {"at": iso(AT - timedelta(hours=5)), "type": "rollout" if change_kind == "DaemonSet" else "config",
              "object": {"kind": change_kind, "namespace": "logging", "name": target},
              "summary": f"{change_kind} logging/{target} written by helm", "diff": [],
              "related": [{"kind": "DaemonSet", "namespace": "logging", "name": name}]}
    hub = RecordingHub(objects={("DaemonSet", "logging", name): ds, ("ConfigMap", "logging", f"{name}-config"): cm},
                       lists={"Pod": [{"name": f"{name}-q9z4t", "namespace": "logging", "images": [image]}]})
    facts = Facts(at=AT, scan=scan, changes={"changes": [change]}, changes_id="C5")
    asyncio.run(adb.read(Subject(nodes=[NODE]), facts, hub, iso(AT)))
    return facts, hub


FB = daemonset("filebeat", "docker.elastic.co/beats/filebeat:8.15.3", "/usr/share/filebeat/data",
               {"hostPath": {"path": "/var/lib/filebeat-data", "type": "DirectoryOrCreate"}})


def test_filebeat_disk_queue_on_hostpath_found_from_the_kubelets_reclaim_event() -> None:
    facts, _ = case(FB, FILEBEAT, RECLAIM_DISK)
    [(ref, finding, evidence, explains)] = adb.suspects(facts)
    assert (ref.kind, ref.name) == ("DaemonSet", "filebeat") and explains[0].name == NODE and "C5" in evidence
    head = finding["message"][:400]
    assert "Filebeat" in head and "disk buffer of up to 30GB" in head and "/var/lib/filebeat-data" in head


def test_otel_collector_file_storage_config_write_names_its_daemonset() -> None:
    ds = daemonset("otel-agent", "otel/opentelemetry-collector-contrib:0.114.0", "/var/lib/otelcol",
                   {"hostPath": {"path": "/var/lib/otelcol"}})
    facts, _ = case(ds, OTEL, PRESSURE, change_kind="ConfigMap")
    [hit] = adb.found(facts)
    assert hit.software == "OpenTelemetry Collector" and hit.host_path == "/var/lib/otelcol"


def test_vector_toml_disk_buffer_names_the_daemonset() -> None:
    ds = daemonset("vector", "timberio/vector:0.43.0-debian", "/var/lib/vector",
                   {"hostPath": {"path": "/var/lib/vector"}})
    facts, _ = case(ds, VECTOR_TOML, PRESSURE)
    [hit] = adb.found(facts)
    assert hit.software == "Vector" and hit.size == "30 GiB"


def test_filebeat_memory_queue_is_not_named() -> None:
    facts, _ = case(FB, FILEBEAT_MEM, RECLAIM_DISK)
    assert adb.found(facts) == []


def test_disk_queue_under_an_emptydir_is_not_named() -> None:
    ds = daemonset("filebeat", "docker.elastic.co/beats/filebeat:8.15.3", "/usr/share/filebeat/data",
                   {"emptyDir": {"sizeLimit": "2Gi"}})
    facts, _ = case(ds, FILEBEAT, RECLAIM_DISK)
    assert adb.found(facts) == []


def test_read_only_hostpath_holds_no_buffer() -> None:
    ds = daemonset("filebeat", "docker.elastic.co/beats/filebeat:8.15.3", "/usr/share/filebeat/data",
                   {"hostPath": {"path": "/var/lib/filebeat-data"}}, read_only=True)
    facts, _ = case(ds, FILEBEAT, RECLAIM_DISK)
    assert adb.found(facts) == []


def test_node_reclaiming_memory_reads_nothing() -> None:
    facts, hub = case(FB, FILEBEAT, node_finding("EvictionThresholdMet", "Attempting to reclaim memory"))
    assert hub.calls == [] and adb.found(facts) == []
