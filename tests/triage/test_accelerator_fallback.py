"""An image whose accelerator runtime is newer than the nodes' driver, so the framework runs on the CPU
(agent.triage.accelerator_fallback, issue #12 round 36).

Shapes: a PyTorch Deployment whose new image says `The NVIDIA driver on your system is too old` and then uses the
CPU; an ONNX Runtime StatefulSet whose CUDA provider fails `CUDA driver version is insufficient for CUDA runtime
version` and falls back to the CPU provider. Twins: the same warning with no image change (an env change only), an
image change whose pods say nothing of the driver, a warning printed before the rollout.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.triage import accelerator_fallback as af
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import grep, outcome

AT = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
TORCH = ["2026-11-12T08:30:02Z /opt/venv/lib/python3.12/site-packages/torch/cuda/__init__.py:129: UserWarning: CUDA "
         "initialization: The NVIDIA driver on your system is too old (found version 11080).",
         "2026-11-12T08:30:04Z INFO ranker: loaded cross-encoder on device=cpu",
         "2026-11-12T09:58:00Z INFO POST /rank 200 2210ms"]
ORT = ["2026-11-12T09:05:10Z [E:onnxruntime:Default, cuda_call.cc:118 CudaCall] CUDA failure 35: CUDA driver version "
       "is insufficient for CUDA runtime version ; GPU=0 ; expr=cudaSetDevice(info_.device_id);",
       "2026-11-12T09:05:10Z UserWarning: Falling back to ['CPUExecutionProvider'] and retrying.",
       "2026-11-12T09:59:00Z WARN slow inference batch=16 took=4.1s"]


def _facts(kind: str, ns: str, name: str, pod: str, diff: list[str], at: str) -> Facts:
    change = {"at": at, "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} rolled out", "diff": diff}
    log = LogEvidence(pod=pod, namespace=ns, evidence_id="E4", top=None, hosts=[], error_classes=set(),
                      previous=False)
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])


def _found(facts: Facts, lines: list[str], subject: Subject | None = None,
           asked: list[str] | None = None) -> list[af.Fallback]:
    """read then found; the subject defaults to the incident naming the rolled-out workload (its alert's label)."""
    if subject is None:
        target = facts.change_list()[0]["object"]
        subject = Subject(namespace=target["namespace"], names=[target["name"]])

    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        assert tool == "k8s_logs" and args["grep"] == "driver"
        if asked is not None:
            asked.append(str(args["name"]))
        return outcome(True, full_text="\n".join(grep(lines, args)), evidence_id="E9")
    asyncio.run(af.read(subject, facts, call, "2026-11-12T10:00:00Z"))
    return af.found(facts)


def test_a_torch_image_on_an_older_driver_is_named_with_its_start_up_warning() -> None:
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker image reg/ranker:2.3-cu118 -> reg/ranker:2.4-cu124"], "2026-11-12T08:28:00Z")
    [f] = _found(facts, TORCH)
    assert f.workload == Ref("Deployment", "search", "ranker") and f.pods == ["ranker-6b8d9c7f5-k2x9p"]
    message = af.finding(f)["message"]
    assert "driver on your system is too old" in message and "cu124" in message and "CPU" in message
    [(ref, _, evidence, explains)] = af.suspects(facts)
    assert ref == f.workload and evidence == ["E2", "E9"] and f.workload in explains


def test_an_onnx_runtime_image_whose_cuda_provider_falls_back_is_named() -> None:
    facts = _facts("StatefulSet", "ml", "scorer", "scorer-1",
                   ["scorer image ort-serve:1.17-cuda11 -> ort-serve:1.20-cuda12"], "2026-11-12T09:04:00Z")
    [f] = _found(facts, ORT)
    assert f.workload.kind == "StatefulSet" and "insufficient for CUDA runtime" in f.said


def test_the_warning_without_an_image_change_is_not_named() -> None:
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker env BATCH_SIZE='16' -> BATCH_SIZE='32'"], "2026-11-12T08:28:00Z")
    assert _found(facts, TORCH) == []


def test_an_image_change_whose_pods_say_nothing_of_the_driver_is_not_named() -> None:
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker image reg/ranker:2.3 -> reg/ranker:2.4"], "2026-11-12T08:28:00Z")
    assert _found(facts, ["2026-11-12T08:30:04Z INFO ranker: loaded cross-encoder on device=cuda:0"]) == []


def test_a_warning_older_than_the_rollout_is_not_the_rollout_s() -> None:
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker image reg/ranker:2.3 -> reg/ranker:2.4"], "2026-11-12T09:30:00Z")
    assert _found(facts, TORCH) == []


def test_a_rollout_the_incident_does_not_point_at_is_not_read() -> None:
    """A healthy release elsewhere in the window (its pod's log kept by some other read, the alert about another
    service, nothing failing) is not read: no log call, nothing named."""
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker image reg/ranker:2.3-cu118 -> reg/ranker:2.4-cu124"], "2026-11-12T08:28:00Z")
    asked: list[str] = []
    assert _found(facts, TORCH, Subject(namespace="search", names=["search-api"]), asked) == []
    assert asked == []


def test_a_rollout_whose_pods_the_scan_finds_failing_is_read_though_the_alert_names_another() -> None:
    facts = _facts("Deployment", "search", "ranker", "ranker-6b8d9c7f5-k2x9p",
                   ["ranker image reg/ranker:2.3-cu118 -> reg/ranker:2.4-cu124"], "2026-11-12T08:28:00Z")
    facts.scan = {"findings": [{"check": "pod.not_ready", "severity": "warning", "reason": "ReadinessProbeFailed",
                                "object": {"kind": "Deployment", "namespace": "search", "name": "ranker"},
                                "pods": ["ranker-6b8d9c7f5-k2x9p"]}]}
    asked: list[str] = []
    [f] = _found(facts, TORCH, Subject(namespace="search", names=["search-api"]), asked)
    assert f.workload.name == "ranker" and asked == ["ranker-6b8d9c7f5-k2x9p"]
