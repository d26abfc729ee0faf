"""A GPU sharing setting written shortly before GPU workloads run out of GPU memory.

The NVIDIA device plugin (standalone or under the GPU operator) reads a config whose `sharing` section may split
each physical GPU into several schedulable `nvidia.com/gpu`: `timeSlicing.resources[].replicas: 4` advertises every
GPU four times and gives the pods that land on it NO memory isolation (they share the card's whole framebuffer,
first come first served); `mps.resources[].replicas: N` caps each client at 1/N of the memory. Either way a pod that
used a whole card before (a model loaded in 17 GiB of a 24 GiB A10G) now shares it: the next pod on the same GPU
fails `torch.OutOfMemoryError: CUDA out of memory`, `cudaErrorMemoryAllocation`, `CUDA_ERROR_OUT_OF_MEMORY`,
TensorFlow's `RESOURCE_EXHAUSTED: OOM when allocating tensor`, and crash-loops. Nothing in the workload changed;
the nodes now advertise more GPUs (`nvidia.com/gpu` allocatable 4 on a one-GPU node, GPU feature discovery's
`nvidia.com/gpu.replicas` and `nvidia.com/gpu.sharing-strategy` labels) and the scheduler packs pods accordingly.

So: GPU out-of-memory errors in the incident's logs or findings; a ConfigMap (or any object the timeline shows
written within `LEAD`) whose content is a device plugin sharing config with replicas above 1; the finding names that
object and says what it means early (time-slicing, the replicas, the shared GPU, CUDA out of memory), with the nodes'
advertised count and the workload's pods that share a node when read. Twins: a GPU OOM with no sharing change (a
bigger model), a sharing config written with `replicas: 1`, a sharing change with no GPU memory error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "gpu.sharing_oversubscribed"
WEIGHT = 0.94
"""Above the crash-looping pod's own finding and a bare config write: the errors are the GPU's memory and the
written sharing setting is what put several pods on one GPU."""
STORE = "gpu_sharing"
LEAD = timedelta(days=2)
MAX_READS = 6
GPU_OOM = re.compile(r"CUDA out of memory|cudaErrorMemoryAllocation|CUDA_ERROR_OUT_OF_MEMORY|"
                     r"CUBLAS_STATUS_ALLOC_FAILED|OutOfMemoryError: CUDA|hipErrorOutOfMemory|HIP out of memory|"
                     r"RESOURCE_EXHAUSTED: OOM when allocating|out of memory on device|GPU (?:is )?out of memory|"
                     r"RESOURCE_EXHAUSTED: Out of memory while trying to allocate|CUDA error: out of memory|"
                     r"CUDA failure 2: out of memory|cudaMalloc(?:Async)? failed: out of memory", re.I)
"""GPU memory exhaustion in PyTorch's, the CUDA runtime's/driver's, cuBLAS's, ROCm's, TensorFlow's, JAX/XLA's and
ONNX Runtime's words."""
_SHARING_HINT = re.compile(r"timeSlicing|time-slicing|\bmps\b|sharing", re.I)
_PLUGIN_RELEASE = re.compile(r"device-plugin|gpu-operator|\bnvdp\b", re.I)
"""An object named after the NVIDIA device plugin or GPU operator (a HelmRelease, an Argo CD Application) whose
values may carry the sharing config as a YAML string (the chart's `config.map.<name>`)."""
Call = Callable[..., Awaitable[Any]]


@dataclass
class Shared:
    """A written sharing config that splits each GPU among several pods, and the GPU OOM it explains."""

    config: Ref
    strategy: str
    """`time-slicing` or `MPS`."""
    resource: str
    replicas: int
    said: str
    written_by: str
    written_at: datetime
    minutes_before: int
    nodes: list[str] = field(default_factory=list)
    """`node (4 nvidia.com/gpu advertised)` for nodes that carry the errors' pods, when read."""
    crowded: str = ""
    """`2 llm-inference pods on node X`, when the pods were read."""
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _oom(facts: Facts) -> list[tuple[str, str, str]]:
    """(the line that says it, namespace, pod or workload name) for each GPU out-of-memory error seen."""
    out: list[tuple[str, str, str]] = []
    for log in facts.logs:
        for text in [said_by(e) for e in log.entries()] + list(log.last_lines):
            m = GPU_OOM.search(text)
            if m:
                out.append((text[max(0, m.start() - 40):m.start() + 160], log.namespace, log.pod))
                break
    for f in facts.findings():
        text = f"{f.get('message')} {' '.join(str(e) for e in f.get('evidence') or [])}"
        m = GPU_OOM.search(text)
        obj = Ref.of(f.get("object"))
        if m and obj is not None:
            out.append((text[max(0, m.start() - 40):m.start() + 160], obj.namespace, obj.name))
    return out


def sharing(obj: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(strategy, resource, replicas) for each sharing rule with replicas above 1 in a device plugin config: a
    ConfigMap's data values (YAML or JSON), or an object's spec holding the same `sharing` section."""
    docs: list[Any] = []
    for value in (obj.get("data") or {}).values():
        if isinstance(value, str) and _SHARING_HINT.search(value):
            try:
                docs.append(yaml.safe_load(value))
            except yaml.YAMLError:
                continue
    docs.append(obj.get("spec"))
    out: list[tuple[str, str, int]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            share = node.get("sharing")
            if isinstance(share, dict):
                for key, name in (("timeSlicing", "time-slicing"), ("mps", "MPS")):
                    for res in (share.get(key) or {}).get("resources") or [] if isinstance(share.get(key), dict) \
                            else []:
                        raw = res.get("replicas") if isinstance(res, dict) else None
                        replicas = int(raw) if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()) \
                            else 0
                        if replicas > 1:
                            out.append((name, str(res.get("name") or "nvidia.com/gpu"), replicas))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, str) and "\n" in node and _SHARING_HINT.search(node):
            try:  # a chart value holding the plugin's config file as text
                walk(yaml.safe_load(node))
            except yaml.YAMLError:
                return

    for doc in docs:
        walk(doc)
    return out


def _written(facts: Facts, ref: Ref) -> tuple[str, datetime, str] | None:
    best: tuple[str, datetime, str] | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if target.same_object(ref) and at is not None and (best is None or at > best[1]):
            by = written_by(change) or str(change.get("summary") or "").split(" updated by ")[-1].split(":")[0]
            best = (by or "a write", at, evidence)
    return best


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a GPU ran out of memory: the 48 h history when the survey's is shorter, the ConfigMaps
    (and other objects) written within it that look like a sharing config, and the nodes and pods of the errors'
    namespace."""
    errors = _oom(facts)
    if not errors:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"configs": [], "nodes": {}, "pods": [], "evidence": []})
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": f"{int(LEAD.total_seconds() // 3600)}h"},
                         "survey-gpu-sharing-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    seen: set[str] = set()
    for change, _, target in facts.writes_to(None, within=LEAD, deletions=False):
        text = f"{target.name} {change.get('summary')} {' '.join(str(d) for d in change.get('diff') or [])}"
        if str(target) in seen or len(seen) >= MAX_READS or (
                target.kind not in ("ConfigMap", "ClusterPolicy") and not _SHARING_HINT.search(text)
                and not _PLUGIN_RELEASE.search(target.name)):
            continue
        seen.add(str(target))
        obj = facts.object_named(target.kind, target.namespace, target.name)
        if obj is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace,
                                 f"survey-gpu-sharing-{target.name}")
            if got is None:
                continue
            obj = got[0]
            store["evidence"].append(got[1])
        if sharing(obj):
            store["configs"].append((target, obj))
    if not store["configs"]:
        return
    namespace = errors[0][1]
    pods = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, "survey-gpu-sharing-pods")
    rows = [r for r in ((pods.data or {}).get("rows") or [] if pods is not None and pods.ok
                        and isinstance(pods.data, dict) else []) if isinstance(r, dict)]
    store["pods"] = rows
    for node in sorted({str(r.get("node")) for r in rows if r.get("node")})[:4]:
        got = await get_yaml(call, "Node", node, "", f"survey-gpu-sharing-node-{node}")
        if got is not None:
            store["nodes"][node] = got[0]
            store["evidence"].append(got[1])


def _crowded(rows: list[dict[str, Any]], names: set[str]) -> str:
    """`2 pods of llm-inference on node X` for the busiest node among the errors' workloads' pods."""
    by_node: dict[str, list[str]] = {}
    for r in rows:
        name = str(r.get("name") or "")
        if r.get("node") and any(name.startswith(n) or n.startswith(name) for n in names):
            by_node.setdefault(str(r["node"]), []).append(name)
    busy = max(by_node.items(), key=lambda kv: len(kv[1]), default=("", []))
    return f"{len(busy[1])} of those pods on node {busy[0]}" if len(busy[1]) > 1 else ""


def found(facts: Facts) -> list[Shared]:
    """The written sharing config that explains the GPU out-of-memory errors (the newest written, when several)."""
    errors = _oom(facts)
    store: dict[str, Any] = facts.reads.get(STORE) or {}
    if not errors or not store.get("configs"):
        return []
    best: Shared | None = None
    for ref, obj in store["configs"]:
        write = _written(facts, ref)
        rules = sharing(obj)
        if write is None or not rules:
            continue
        strategy, resource, replicas = max(rules, key=lambda r: r[2])
        by, at, evidence = write
        nodes = []
        for name, node in (store.get("nodes") or {}).items():
            advertised = ((node.get("status") or {}).get("allocatable") or {}).get(resource)
            if advertised is not None and str(advertised) not in ("0", ""):
                nodes.append(f"{name} ({advertised} {resource} advertised)")
        names = {e[2] for e in errors}
        workloads = sorted({re.sub(r"-[a-z0-9]{5,10}-[a-z0-9]{5}$", "", n) for n in names})
        shared = Shared(ref, strategy, resource, replicas, errors[0][0], by, at,
                        int((facts.at - at).total_seconds() // 60), nodes,
                        _crowded(store.get("pods") or [], names | set(workloads)),
                        [Ref("Deployment", errors[0][1], w) for w in workloads[:2]],
                        [e for e in (evidence, *(store.get("evidence") or [])) if e])
        if best is None or shared.written_at > best.written_at:
            best = shared
    return [best] if best is not None else []


def finding(s: Shared) -> dict[str, Any]:
    """What the setting means first (each GPU shared N ways, without memory isolation), then the errors."""
    name = f"{s.config.namespace}/{s.config.name}" if s.config.namespace else s.config.name
    isolation = ("with no memory isolation (the pods on it compete for its whole memory)"
                 if s.strategy == "time-slicing" else f"each pod capped at 1/{s.replicas} of its memory")
    crowd = f" ({s.crowded})" if s.crowded else ""
    where = f" Nodes: {'; '.join(s.nodes[:2])}." if s.nodes else ""
    message = (f"{s.config.kind} {name} turns on GPU {s.strategy} with replicas: {s.replicas} (written by "
               f"{s.written_by} {minutes_text(s.minutes_before)} before the incident): each physical GPU becomes a "
               f"shared GPU advertised as {s.replicas} {s.resource}, {isolation}, so pods that each needed a whole "
               f"card now share one and fail with CUDA out of memory{crowd}. Restore replicas: 1 (or a sharing mode "
               f"with memory isolation, MIG) for these workloads.{where} Error: {s.said}")
    return {"check": CHECK, "severity": "critical", "reason": "GPUSharedWithoutMemory",
            "object": {"kind": s.config.kind, "namespace": s.config.namespace, "name": s.config.name},
            "message": message, "evidence": [s.said],
            "details": {"strategy": s.strategy, "replicas": s.replicas, "resource": s.resource,
                        "written_by": s.written_by, "written_at": s.written_at.isoformat()},
            "since": s.written_at.isoformat()}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the sharing config, its finding, evidence ids, the workloads whose GPU memory it shares)."""
    return [(s.config, finding(s), s.evidence, s.explains) for s in found(facts)]
