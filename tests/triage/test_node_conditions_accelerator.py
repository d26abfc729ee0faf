"""A node whose accelerator failed while the node stays Ready (issue #12, round 36): a GPU health checker's
condition (an Xid, an ECC fault, an AMD device gone) on the node, and the pods there that hold the device failing
every kernel with a device error, in two vendors' words; twins: a healthy-polarity GPU condition, a fault
condition whose pods fail for another reason, a pod that ran out of device memory (its own size, not the device).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.triage import node_conditions
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NODE = "gpu-pool-7"
XID = {"type": "GpuXidFault", "status": "True", "reason": "DoubleBitEccError",
       "message": "XID 48 reported by the driver on 0000:3b:00.0"}
AMD = {"type": "AcceleratorUnhealthy", "status": "True", "reason": "AmdgpuResetFailed",
       "message": "amdgpu 0000:c1:00.0: GPU reset failed, device lost"}


def _read(condition: dict[str, Any], lines: list[str]) -> Facts:
    """Runs `read` over one node carrying `condition` and one incident pod on it that logged `lines`."""
    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_nodes":
            return outcome(True, {"nodes": [{"name": NODE, "conditions": [
                {"type": "Ready", "status": "True"}, {**condition}]}]}, evidence_id="N1")
        if tool == "k8s_list":
            return outcome(True, {"rows": [{"namespace": "vision", "name": "tagger-6c8d9f7b5c-p4k2m"},
                                           {"namespace": "kube-system", "name": "kube-proxy-x1"}]}, evidence_id="P1")
        if tool == "k8s_logs" and args.get("name") == "tagger-6c8d9f7b5c-p4k2m":
            return outcome(True, full_text="\n".join(lines), evidence_id="L1")
        return None

    facts = Facts(at=AT)
    asyncio.run(node_conditions.read(Subject(namespace="vision"), facts, call, "2026-11-02T09:00:00Z"))
    return facts


def test_an_xid_condition_names_the_node_behind_a_tensorflow_pod_s_cuda_failures() -> None:
    facts = _read(XID, ["I serving batch 88", "E InternalError: CUDA_ERROR_ECC_UNCORRECTABLE: uncorrectable ECC "
                        "error encountered", "I serving batch 89"])
    [(ref, f, evidence, explains)] = node_conditions.suspects(facts)
    assert ref == Ref("Node", "", NODE) and evidence == ["N1", "P1", "L1"]
    assert "GpuXidFault=True" in f["message"] and "accelerator failed" in f["message"]
    assert Ref("Deployment", "vision", "tagger") in explains


def test_an_amd_device_lost_condition_names_the_node_behind_hip_errors() -> None:
    facts = _read(AMD, ["loading shard 2", "RuntimeError: HIP error: hipErrorNoDevice", "request 500"])
    [(ref, f, _, _)] = node_conditions.suspects(facts)
    assert ref == Ref("Node", "", NODE) and "hipErrorNoDevice" in f["message"]


def test_a_healthy_polarity_gpu_condition_means_nothing() -> None:
    assert node_conditions.meaning_of({"type": "NvidiaDriverReady", "status": "True", "reason": "DriverLoaded"}) \
        == ("", "")
    assert node_conditions.suspects(_read({"type": "GPUHealthy", "status": "True", "reason": "AllGood"},
                                          ["RuntimeError: CUDA error: an illegal memory access"])) == []


def test_a_fault_condition_whose_pods_fail_otherwise_names_nothing() -> None:
    facts = _read(XID, ["psycopg2.OperationalError: could not connect to server: Connection refused"])
    assert node_conditions.suspects(facts) == []


def test_a_pod_out_of_device_memory_is_not_the_device_s_fault() -> None:
    for line in ("RuntimeError: CUDA error: out of memory",
                 "E InternalError: CUDA_ERROR_OUT_OF_MEMORY: out of memory",
                 "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"):
        assert node_conditions.suspects(_read(XID, [line])) == [], line
