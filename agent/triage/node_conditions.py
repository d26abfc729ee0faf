"""A node condition beyond the kubelet's own, and the pods on that node whose errors it explains.

The kubelet sets Ready and the pressure conditions; a node that stays Ready keeps its pods in their Services.
node-problem-detector (and cloud agents built like it) adds conditions of its own from the kernel log and the
container runtime: `ReadonlyFilesystem` (ext4 "Remounting filesystem read-only" after an I/O error),
`KernelDeadlock` (a task hung in D state), `CorruptDockerOverlay2`, `FrequentContainerdRestart`,
`FrequentKubeletRestart`, `FrequentUnregisterNetDevice`; GPU health checkers (NVIDIA's, DCGM-based ones) add an
Xid or ECC condition when an accelerator faults or falls off the bus... None of them makes the node NotReady, so the
incident shows as a few pods of a workload failing (only those on that node) while its other replicas are
fine, and the workload itself (or its last rollout) looks guilty. The cause is the node.

`read` lists the nodes; only when one carries a True condition outside the kubelet's set does it list the
pods there and read the logs of the incident's pods among them. A pod whose log says what the condition
means (a read-only node filesystem: "read-only file system", EROFS; a failing disk: "input/output error")
is a victim; the node is the suspect. A node with such a condition but no pod of the incident failing the
way it says is no suspect (conditions linger, and an unrelated one explains nothing). `suspects` is pure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage import node_exhaustion
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject, workload_of_pod

CHECK = "node.condition"
WEIGHT = 0.92
RECORD_KIND = "vigil.dev/NodeCondition"
KUBELET = frozenset({"Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"})
"""The conditions the kubelet (and the node controller) set: the cluster scan judges these already."""
MAX_NODES = 3
MAX_LOGS = 4

_READ_ONLY = r"read-only file ?system|\bEROFS\b|errno 30\b"
_IO = r"input/output error|\bEIO\b|I/O error|errno 5\b"
_HUNG = r"blocked for more than \d+ seconds|hung_task|context deadline exceeded|i/o timeout"
_RUNTIME = r"containerd\.sock|dockershim|failed to (?:create|start) (?:shim|containerd task)|" \
    r"error reading from server: EOF"
_OVERLAY = r"overlay(?:2|fs)?\b.*(?:error|corrupt|stale)|stale file handle|structure needs cleaning"

_DEVICE = r"CUDA error(?!: out of memory)|CUDA_ERROR_(?!OUT_OF_MEMORY)\w+|cudaError(?!MemoryAllocation)\w+|" \
    r"no CUDA-capable device|GPU (?:is lost|has fallen off)|NCCL (?:error|WARN .*(?:unhandled|system) error)|" \
    r"\bNVML\b.*(?:error|unknown)|hipError\w+|HIP error|uncorrectable ECC|nrt_\w+ failed|Neuron(?:Runtime)? error"
"""A program's words for an accelerator that stopped answering (CUDA, NCCL, NVML, ROCm/HIP, AWS Neuron): out of
memory is the workload's own size, not the device's fault."""
_DEVICE_CUE = r"\bxid|fallen off the bus|\becc\b.*error|(?:gpu|accelerator|nvidia|neuron|cuda|nvlink|rocm|amdgpu)" \
    r"\w*\s*(?:error|fault|fail|lost|unhealthy|problem|degraded)"
"""A condition saying a node's accelerator failed (a driver Xid, an ECC or NVLink fault, a health checker's
unhealthy verdict); a condition such as GPUHealthy=True says the opposite and does not match."""

MEANINGS: tuple[tuple[str, str, str], ...] = (
    (_DEVICE_CUE, _DEVICE,
     "the node's accelerator failed (driver fault, fell off the bus): a pod already holding it stays Ready and in "
     "service while every kernel it launches fails with a device error, so only the requests it serves fail"),
    (r"read-?only", _READ_ONLY + "|" + _IO,
     "the node's filesystem was remounted read-only: every write of a pod there (emptyDir, logs, container "
     "layer) fails with 'read-only file system' while the node stays Ready and keeps its pods in service"),
    (r"deadlock|hung|blocked", _HUNG,
     "a kernel task is hung on the node (D state): I/O and syscalls of its pods stall and time out"),
    (r"overlay|corrupt", _OVERLAY + "|" + _IO,
     "the container runtime's overlay storage is corrupt: pods there fail to read or write their layers"),
    (r"containerd|docker|kubelet|runtime|restart", _RUNTIME,
     "the node's container runtime or kubelet keeps restarting: exec, logs and container starts fail there"),
    (r"disk|filesystem|io\b|ebs|nvme", _IO,
     "the node's disk reports I/O errors: reads and writes of its pods fail"),
)
"""(words of the condition's type/reason/message, what a victim's log says, what it means)."""


@dataclass
class Found:
    """A node with a non-kubelet True condition, and the incident's pods on it failing as it says."""

    node: str
    condition: str
    reason: str
    message: str
    since: str
    meaning: str
    victims: list[tuple[str, str, str]] = field(default_factory=list)
    """(namespace, pod, the log line that fits)."""
    pods: int = 0
    evidence: list[str] = field(default_factory=list)


def meaning_of(condition: dict[str, Any]) -> tuple[str, str]:
    """(victim log pattern, meaning) for a condition, from its type, reason and message; ("", "") if unknown."""
    words = " ".join(str(condition.get(k) or "") for k in ("type", "reason", "message"))
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words).lower()  # ReadonlyFilesystem -> readonly filesystem
    words = words.replace("readonly", "read-only")
    for cue, pattern, meaning in MEANINGS:
        if re.search(cue, words):
            return pattern, meaning
    return "", ""


def extra_conditions(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A node row's True conditions that the kubelet does not set."""
    return [c for c in row.get("conditions") or [] if isinstance(c, dict) and str(c.get("status")) == "True"
            and str(c.get("type")) not in KUBELET]


def _mine(subject: Subject, facts: Facts, namespace: str, pod: str) -> bool:
    """Whether a pod on the node is the incident's: named, of its namespace, or one whose logs the survey read."""
    if pod in subject.pods or any(log.pod == pod for log in facts.logs):
        return True
    workload = workload_of_pod(pod)
    return (bool(subject.namespace) and namespace == subject.namespace) or workload in subject.names


def fitting_line(text: str, pattern: str) -> str:
    """The last log line that says what the condition means, or ""."""
    lines = [ln for ln in text.splitlines() if re.search(pattern, ln, re.I)]
    return lines[-1].strip()[:220] if lines else ""


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the nodes; for one with a condition beyond the kubelet's, its pods and their logs."""
    listed = await call("k8s_nodes", {}, "survey-node-conditions")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    rows = [r for r in listed.data.get("nodes") or [] if isinstance(r, dict) and r.get("name")]
    flagged = [(r, c) for r in rows for c in extra_conditions(r)][:MAX_NODES]
    for row, condition in flagged:
        pattern, meaning = meaning_of(condition)
        if not pattern:
            continue
        node = str(row["name"])
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          f"survey-node-conditions-pods-{node}")
        prow = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok and \
            isinstance(pods.data, dict) else []
        placed = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in prow
                  if isinstance(r, dict) and r.get("name")]
        mine = [(ns, p) for ns, p in placed if _mine(subject, facts, ns, p)][:MAX_LOGS]
        if not mine:
            continue
        found = Found(node, str(condition.get("type")), str(condition.get("reason") or ""),
                      str(condition.get("message") or ""), str(condition.get("since") or ""), meaning,
                      pods=len(placed), evidence=[listed.evidence_id, pods.evidence_id])
        logs = await asyncio.gather(*(call("k8s_logs", {"name": p, "namespace": ns, "tail": 300},
                                           f"survey-node-conditions-logs-{p}") for ns, p in mine))
        for (ns, p), outcome in zip(mine, logs, strict=True):
            text = (outcome.full_text or "") if outcome is not None and outcome.ok else ""
            line = fitting_line(text, pattern)
            if line:
                found.victims.append((ns, p, line))
                found.evidence.append(outcome.evidence_id)
        if found.victims:
            facts.objects.append(({"kind": RECORD_KIND, "found": found}, ""))


def found(facts: Facts) -> list[Found]:
    """The nodes `read` kept."""
    return [o["found"] for o, _ in facts.objects if o.get("kind") == RECORD_KIND and isinstance(o.get("found"), Found)]


def finding(f: Found) -> dict[str, Any]:
    """The node's condition, what it means, then its failing pods and one of their lines (about 400 chars)."""
    since = f" since {f.since}" if f.since else ""
    reason = f" ({f.reason}: {f.message[:140]})" if f.message else f" ({f.reason})" if f.reason else ""
    pods = ", ".join(sorted({p for _, p, _ in f.victims}))
    message = (f"Node {f.node} has condition {f.condition}=True{since}{reason} while it stays Ready: {f.meaning}. "
               f"Pods of the incident on it fail so: {pods} ('{f.victims[0][2][:160]}'); "
               f"{f.pods} pods run on the node")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "Node", "namespace": "", "name": f.node},
            "reason": f.reason or f.condition, "message": message,
            "evidence": [f"{f.node} {f.condition}=True {f.reason}".strip(), f.victims[0][2][:160]],
            "details": {"node": f.node, "condition": f.condition, "since": f.since,
                        "victims": [p for _, p, _ in f.victims]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The node behind each condition; it explains the failing pods there and their workloads."""
    out = []
    for f in found(facts):
        explains = [Ref("Pod", ns, p) for ns, p, _ in f.victims]
        explains += list(dict.fromkeys(node_exhaustion.workload_ref(ns, p) for ns, p, _ in f.victims))
        out.append((Ref("Node", "", f.node), finding(f), list(dict.fromkeys(e for e in f.evidence if e)), explains))
    return out
