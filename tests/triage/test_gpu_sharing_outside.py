"""GPU sharing turned on in shapes other than the first incident's (agent.triage.gpu_sharing).

Outside shapes: a Flux HelmRelease of the NVIDIA device plugin chart whose values carry the plugin's config file as a
YAML string (`config.map.default`) turning on time-slicing (replicas written as a string), with JAX/XLA's
"RESOURCE_EXHAUSTED: Out of memory while trying to allocate" in the logs; an MPS config with ONNX Runtime's
"CUDA failure 2: out of memory" in a finding. Twins: a MIG partitioning change (mig-parted's `mig-configs`, the
MIG strategy) is no sharing setting; the same HelmRelease written with replicas 1; the same write with no GPU memory
error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import gpu_sharing as g
from agent.triage.facts import LogEvidence
from tests.triage.test_gpu_sharing import run, ts

XLA = ("jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED: Out of memory while trying to allocate 9.31GiB. "
       "BufferAssignment OOM Debugging.")
ORT = ("onnxruntime.capi.onnxruntime_pybind11_state.Fail: [ONNXRuntimeError] : 1 : FAIL : CUDA failure 2: out of "
       "memory ; GPU=0 ; hostname=ranker-7d9c ; expr=cudaMalloc((void**)&p, size);")


def release(replicas: str) -> dict[str, Any]:
    config = ("version: v1\nflags:\n  migStrategy: none\nsharing:\n  timeSlicing:\n    renameByDefault: false\n"
              f"    resources:\n    - name: nvidia.com/gpu\n      replicas: \"{replicas}\"\n")
    return {"kind": "HelmRelease", "metadata": {"name": "nvidia-device-plugin", "namespace": "gpu-system"},
            "spec": {"chart": {"spec": {"chart": "nvidia-device-plugin", "version": "0.17.0"}},
                     "values": {"config": {"map": {"default": config}}, "gfd": {"enabled": True}}}}


def released(name: str, kind: str, ns: str, ago: timedelta) -> dict[str, Any]:
    return {"at": ts(ago), "type": "updated", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by flux: spec.values", "diff": []}


def jax_log() -> LogEvidence:
    return LogEvidence("embedder-6f7d8c9b5-abcde", "ml", "E5", {"message": XLA, "severity": "error"}, [], set(),
                       True)


def test_a_helm_release_carrying_the_plugin_config_as_text_is_named() -> None:
    got, _ = run([release("4")], logs=[jax_log()],
                 timeline=[released("nvidia-device-plugin", "HelmRelease", "gpu-system", timedelta(hours=3))])
    assert len(got) == 1 and got[0]["object"] == {"kind": "HelmRelease", "namespace": "gpu-system",
                                                  "name": "nvidia-device-plugin"}
    head = got[0]["message"][:400]
    assert "time-slicing with replicas: 4" in head and "no memory isolation" in head and "CUDA out of memory" in head


def test_the_same_release_with_one_replica_or_no_gpu_error_is_not_named() -> None:
    timeline = [released("nvidia-device-plugin", "HelmRelease", "gpu-system", timedelta(hours=3))]
    assert run([release("1")], logs=[jax_log()], timeline=timeline)[0] == []
    assert run([release("4")], timeline=timeline)[0] == []


def test_mps_with_onnx_runtime_out_of_memory_in_a_finding() -> None:
    mps = {"kind": "ConfigMap", "metadata": {"name": "nvdp-sharing", "namespace": "kube-system"}, "data": {
        "h100": "version: v1\nsharing:\n  mps:\n    resources:\n    - name: nvidia.com/gpu\n      replicas: 3\n"}}
    got, _ = run([mps], finding=ORT, timeline=[released("nvdp-sharing", "ConfigMap", "kube-system",
                                                        timedelta(hours=1))])
    assert len(got) == 1 and "MPS with replicas: 3" in got[0]["message"][:400]
    assert "capped at 1/3" in got[0]["message"][:400]


def test_a_mig_partitioning_change_is_no_sharing_setting() -> None:
    mig = {"kind": "ConfigMap", "metadata": {"name": "default-mig-parted-config", "namespace": "gpu-operator"},
           "data": {"config.yaml": "version: v1\nmig-configs:\n  all-1g.10gb:\n  - devices: all\n    mig-enabled: "
                                   "true\n    mig-devices:\n      1g.10gb: 7\n"}}
    assert g.sharing(mig) == []
    got, _ = run([mig], logs=[jax_log()], timeline=[released("default-mig-parted-config", "ConfigMap",
                                                               "gpu-operator", timedelta(hours=1))])
    assert got == []
