"""A GPU sharing config written shortly before GPU workloads run out of GPU memory (agent.triage.gpu_sharing).

Shapes: PyTorch's `CUDA out of memory` in a pod's log after a GPU operator time-slicing ConfigMap went to
`replicas: 4` (YAML data, the write in the survey's timeline, two of the pods on one node); TensorFlow's
`RESOURCE_EXHAUSTED: OOM when allocating tensor` in a scan finding after a standalone device plugin's JSON config
turned on MPS with 2 replicas (the write only in the 48 h history). Twins: the same OOM with no sharing write (a
bigger model), a sharing config written with `replicas: 1`, a sharing write older than 48 h, and a sharing write with
no GPU memory error (nothing read).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import gpu_sharing
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)
TORCH = ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB. GPU 0 has a total capacity of "
         "23.6 GiB of which 88.0 MiB is free.")
TF = ("tensorflow.python.framework.errors_impl.ResourceExhaustedError: RESOURCE_EXHAUSTED: OOM when allocating "
      "tensor with shape[64,512,512] on /job:localhost/replica:0/task:0/device:GPU:0")


def ts(delta: timedelta) -> str:
    return (AT - delta).isoformat().replace("+00:00", "Z")


def slicing(replicas: int) -> dict[str, Any]:
    text = ("version: v1\nsharing:\n  timeSlicing:\n    resources:\n    - name: nvidia.com/gpu\n"
            f"      replicas: {replicas}\n")
    return {"kind": "ConfigMap", "metadata": {"name": "device-plugin-config", "namespace": "nvidia"},
            "data": {"a100": text}}


def write(name: str, ns: str, ago: timedelta) -> dict[str, Any]:
    return {"at": ts(ago), "type": "updated", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} written by argocd: data key set", "diff": []}


def run(objects: list[dict[str, Any]], *, logs: list[LogEvidence] | None = None, finding: str = "",
        timeline: list[dict[str, Any]] | None = None, history: list[dict[str, Any]] | None = None,
        ) -> tuple[list[dict[str, Any]], RecordingHub]:
    served: dict[Any, Any] = {(o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]): o
                              for o in objects}
    pods = [{"name": "embedder-6f7d8c9b5-abcde", "node": "gpu-a"}, {"name": "embedder-6f7d8c9b5-fghij",
                                                                     "node": "gpu-a"}]
    hub = RecordingHub(objects=served, lists={"Pod": pods}, answers={
        "k8s_changes": lambda call, eid: outcome(True, {"changes": history or [],
                                                        "window_start": ts(timedelta(days=2))}, "", eid)})
    scan = {"findings": [{"check": "pod.crashloop", "message": f"Deployment ml/vision: crashloop; logs say '{finding}'",
                          "object": {"kind": "Deployment", "namespace": "ml", "name": "vision"}}]} if finding else None
    facts = Facts(at=AT, scan=scan, changes={"changes": timeline or []}, changes_id="E2", logs=logs or [])
    asyncio.run(gpu_sharing.read(Subject(namespace="ml"), facts, hub, ts(timedelta(0))))
    return [s[1] for s in gpu_sharing.suspects(facts)], hub


def torch_log() -> LogEvidence:
    return LogEvidence("embedder-6f7d8c9b5-abcde", "ml", "E5", {"message": TORCH, "severity": "fatal"}, [], set(),
                       True)


def gpu_node(advertised: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": "gpu-a"}, "status": {"allocatable": {"nvidia.com/gpu": advertised}}}


def test_time_slicing_replicas_with_torch_oom_is_named() -> None:
    got, _ = run([slicing(4), gpu_node("4")], logs=[torch_log()],
                 timeline=[write("device-plugin-config", "nvidia", timedelta(minutes=50))])
    assert len(got) == 1 and got[0]["object"] == {"kind": "ConfigMap", "namespace": "nvidia",
                                                  "name": "device-plugin-config"}
    head = got[0]["message"][:400]
    assert "time-slicing with replicas: 4" in head and "shared GPU" in head and "CUDA out of memory" in head
    assert "no memory isolation" in head and "2 of those pods on node gpu-a" in head
    assert "gpu-a (4 nvidia.com/gpu advertised)" in got[0]["message"]


def test_mps_config_in_json_with_tensorflow_oom_from_a_finding_and_older_history() -> None:
    mps = {"kind": "ConfigMap", "metadata": {"name": "nvdp-config", "namespace": "kube-system"}, "data": {
        "config.json": json.dumps({"version": "v1", "sharing": {"mps": {"resources": [
            {"name": "nvidia.com/gpu", "replicas": 2}]}}})}}
    got, hub = run([mps], finding=TF, history=[write("nvdp-config", "kube-system", timedelta(hours=20))])
    assert len(got) == 1 and got[0]["object"]["name"] == "nvdp-config"
    head = got[0]["message"][:400]
    assert "MPS with replicas: 2" in head and "capped at 1/2" in head
    assert "k8s_changes" in hub.tools


def test_gpu_oom_without_a_sharing_write_is_not_named() -> None:
    got, _ = run([slicing(4)], logs=[torch_log()])
    assert got == []


def test_sharing_written_with_one_replica_is_not_named() -> None:
    got, _ = run([slicing(1)], logs=[torch_log()],
                 timeline=[write("device-plugin-config", "nvidia", timedelta(minutes=50))])
    assert got == []


def test_sharing_written_long_ago_is_not_named() -> None:
    got, _ = run([slicing(4)], logs=[torch_log()], history=[write("device-plugin-config", "nvidia", timedelta(days=6))])
    assert got == []


def test_sharing_write_without_gpu_memory_errors_reads_nothing() -> None:
    got, hub = run([slicing(4)], timeline=[write("device-plugin-config", "nvidia", timedelta(minutes=50))])
    assert got == [] and hub.calls == []
