"""A new image whose accelerator runtime is newer than the nodes' driver: the framework falls back to the CPU.

A GPU framework links a CUDA (or ROCm) runtime that needs a minimum kernel driver on the node. An image rebuilt on
a newer runtime (PyTorch `+cu121`, a `-cuda12` tag, a new TensorFlow or ONNX Runtime release) on nodes whose
driver is older does not crash: the framework says so once at start-up, in its own words, and carries on without
the device — PyTorch `The NVIDIA driver on your system is too old (found version 11040)`, the CUDA runtime's `CUDA
driver version is insufficient for CUDA runtime version` (cudaErrorInsufficientDriver), TensorFlow `Could not find
cuda drivers` / `kernel driver version ... does not match`, JAX `CUDA backend failed to initialize ... Falling back
to cpu`, ROCm `hipErrorInsufficientDriver`. Everything then runs on the CPU: latency multiplies, requests time out,
and the only errors in view are the victims' 504s, long after the start-up warning left the log's tail.

So: a workload of the incident whose rollout within `LEAD` changed an image, and whose pods' logs (read with a
`driver` filter, since the line is printed once at start-up) carry the mismatch wording at or after the rollout.
The finding names the workload and says what it means first. Twins: the same warning with no image change (the
nodes' driver moved: not this), an image change whose pods say nothing of the driver, a warning older than the
rollout. `found` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.symptomatic import symptomatic
from agent.triage.time_limit import line_time

CHECK = "change.accelerator_fallback"
WEIGHT = 0.93
"""Above the victims' timeouts and the slow workload's own latency findings: its pods say the device is unused."""
STORE = "accelerator_fallback"
LEAD = timedelta(hours=24)
MAX_PODS = 2
KINDS = ("Deployment", "StatefulSet", "DaemonSet")
TAIL = 5000
"""Lines read back from the end before the `driver` filter keeps its few: the start-up line is hours back."""
MISMATCH = re.compile(
    r"driver (?:on your system )?is too old|driver version is insufficient|InsufficientDriver|"
    r"insufficient (?:cuda |nvidia )?driver|forward compatibility was attempted|could not find cuda drivers|"
    r"kernel driver version .{0,40}does not match|(?:cuda|gpu|rocm|hip) backend failed to initiali[sz]e|"
    r"requires (?:an )?(?:nvidia )?driver (?:version )?>=? ?[\d.]+", re.I)
"""A framework's start-up words for a runtime that the node's driver is too old to serve."""
CPU = re.compile(r"fall(?:ing|s)? back to (?:the )?cpu|device(?:_name)?[:=]\s*['\"]?cpu\b|using (?:the )?cpu\b|"
                 r"running on (?:the )?cpu|cuda (?:is )?not available", re.I)
"""Words that the work went to the CPU (quoted when present; the mismatch alone suffices)."""


@dataclass
class Fallback:
    """A workload rolled out onto a runtime its nodes' driver cannot serve."""

    workload: Ref
    change: dict[str, Any]
    images: list[str]
    said: str
    cpu: str
    pods: list[str]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _image_rollouts(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, list[str]]]:
    """(change, evidence, workload, its image diff lines) of rollouts within the lead that changed an image."""
    out = []
    for change, evidence, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        images = [str(d) for d in change.get("diff") or [] if re.search(r"\bimage\b.* -> ", str(d))]
        if images:
            out.append((change, evidence, target, images))
    return out


def _pods(facts: Facts, workload: Ref) -> list[tuple[str, str]]:
    """The pods of the workload whose logs the survey read (the incident's own)."""
    return list(dict.fromkeys((log.namespace, log.pod) for log in facts.logs if log.namespace == workload.namespace
                              and workload_of_pod(log.pod) == workload.name))[:MAX_PODS]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, for a workload of the incident rolled out onto a new image: its pods' lines that name the
    driver (printed once at start-up, long gone from the tail the survey read). Only a workload the incident
    points at (named, in the subject's topology, or failing: agent.triage.symptomatic) is read: a healthy release
    elsewhere in the window, whose pod's log some other read kept, is not."""
    del at
    kept: dict[str, Any] = {"lines": {}, "evidence": {}}
    for workload in [w for _, _, w, _ in _image_rollouts(facts) if symptomatic(subject, facts, w)][:2]:
        for ns, pod in _pods(facts, workload):
            got = await call("k8s_logs", {"name": pod, "namespace": ns, "grep": "driver", "tail": TAIL},
                             f"survey-accelerator-fallback-{pod}")
            if got is None or not got.ok:
                continue
            text = str(getattr(got, "full_text", "") or getattr(got, "text", "") or "")
            kept["lines"][f"{ns}/{pod}"] = text.splitlines()
            kept["evidence"][f"{ns}/{pod}"] = got.evidence_id
    if kept["lines"]:
        facts.reads[STORE] = kept


def found(facts: Facts) -> list[Fallback]:
    """Each image rollout whose pods say, at or after it, that the nodes' driver is too old for their runtime."""
    kept = facts.reads.get(STORE)
    if not isinstance(kept, dict):
        return []
    out: list[Fallback] = []
    for change, evidence, workload, images in _image_rollouts(facts):
        at = parse_time(change.get("at"))
        if at is None or any(f.workload.same_object(workload) for f in out):
            continue
        said, cpu, pods, ids = "", "", [], [evidence]
        for ns, pod in _pods(facts, workload):
            lines = kept["lines"].get(f"{ns}/{pod}") or []
            hits = [ln for ln in lines if MISMATCH.search(ln) and ((t := line_time(ln)) is None or t >= at)]
            if not hits:
                continue
            said = said or hits[-1].strip()[:240]
            cpu = cpu or next((ln.strip()[:160] for ln in lines if CPU.search(ln)), "")
            pods.append(pod)
            ids.append(str(kept["evidence"].get(f"{ns}/{pod}") or ""))
        if said:
            out.append(Fallback(workload, change, images, said, cpu, pods, int((facts.at - at).total_seconds() // 60),
                                [i for i in ids if i]))
    return out


def finding(f: Fallback) -> dict[str, Any]:
    """What it means first: the new image's runtime needs a newer driver than the nodes have, so the work runs on
    the CPU; then the rollout and the pods' own words."""
    cpu = f" and '{f.cpu}'" if f.cpu else ""
    message = (f"{f.workload}'s rollout {minutes_text(f.minutes_before)} before the incident ships an accelerator "
               f"runtime newer than the nodes' driver supports ({'; '.join(f.images)[:220]}): its pods say "
               f"'{f.said}'{cpu}, so the framework falls back to the CPU and every request runs many times slower. "
               f"Roll {f.workload} back to an image built for the nodes' driver version (or upgrade the driver on "
               f"those nodes).")
    return {"check": CHECK, "severity": "critical", "reason": "AcceleratorDriverMismatch",
            "object": {"kind": f.workload.kind, "namespace": f.workload.namespace, "name": f.workload.name},
            "message": message, "evidence": [f.said[:200], *f.images[:1]],
            "details": {"pods": f.pods, "images": f.images, "change_at": f.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload behind the slow pods; it explains itself and its pods."""
    return [(f.workload, finding(f), f.evidence, [f.workload, *(Ref("Pod", f.workload.namespace, p) for p in f.pods)])
            for f in found(facts)]
