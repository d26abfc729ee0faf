"""A node agent given a disk buffer on the host's root volume: when its sink slows, it fills the node's disk.

Log and telemetry agents run as DaemonSets (Vector, Fluent Bit, Fluentd, the OpenTelemetry Collector agent) and can
buffer on disk what their sink has not yet taken: Vector `buffer: {type: disk, max_size}`, Fluent Bit
`storage.type filesystem` with `storage.path` (and `storage.total_limit_size`), a Fluentd `<buffer> @type file`,
the Collector's `file_storage` extension behind a persistent sending queue. Put on a hostPath (`/var/lib/vector`),
that buffer lives on the node's root volume, the one the kubelet watches for `nodefs`. It is harmless while the sink
keeps up; when the sink slows (bulk requests timing out) the buffer grows towards its `max_size` (tens of GiB, more
than the root volume has free), the node reports DiskPressure and the kubelet evicts pods for ephemeral-storage.
With `updateStrategy: OnDelete` (or a rollout in progress) only the nodes whose agent pod restarted run the new
revision, so one node suffers while its peers are fine: the node looks broken; the agent's revision is the cause.

The survey (`read`, reading only) acts only for a node under DiskPressure: it reads each DaemonSet written (or whose
ConfigMap was written) in the LEAD before, the ConfigMaps it mounts, and the node's pods. `found` names the
DaemonSet whose config buffers on disk under a read-write hostPath and whose pod on that node runs its current
template (its image); a memory buffer, a buffer under an emptyDir or claim, or an agent on that node still on the old
revision names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "daemonset.disk_buffer"
WEIGHT = 0.94
"""The agent revision filling the node's disk explains the node's DiskPressure finding and its evictions."""
STORE = "agent_disk_buffer"
LEAD = timedelta(hours=24)
MAX_DAEMONSETS = 4

Call = Callable[..., Awaitable[Any]]

_BUFFERS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("Vector", re.compile(r"(?m)^\s*type\s*[:=]\s*[\"']?disk\b"),
     re.compile(r"(?m)^\s*(?:data_dir|max_size)\s*[:=]\s*[\"']?([^\s\"']+)")),
    ("Filebeat", re.compile(r"(?m)^\s*queue\.disk\s*:|^\s*queue:\s*\n\s+disk\s*:"),
     re.compile(r"(?m)^\s*(?:path|max_size)\s*:\s*[\"']?([^\s\"']+)")),
    ("Fluent Bit", re.compile(r"(?i)storage\.type\s*:?\s*filesystem"),
     re.compile(r"(?i)(?:storage\.path|storage\.total_limit_size)\s*:?\s*(\S+)")),
    ("Fluentd", re.compile(r"(?s)<buffer[^>]*>\s*(?:[^<]*\n)?\s*@type\s+file\b"),
     re.compile(r"(?m)^\s*(?:path|total_limit_size)\s+(\S+)")),
    ("OpenTelemetry Collector", re.compile(r"(?m)^\s*file_storage\b"),
     re.compile(r"(?m)^\s*directory:\s*(\S+)")),
)
"""Each agent's on-disk buffer, and the settings that say where it lives and how large it may grow."""

_SIZE = re.compile(r"(?i)(?:max_size|total_limit_size|storage\.total_limit_size)\s*[:=]?\s*[\"']?(\d+(?:\.\d+)?[ \t]*"
                   r"[kmgt]?i?b?)")


def disk_buffer(text: str) -> tuple[str, list[str], str] | None:
    """(software, the paths/sizes it names, its size limit as said) of a config that buffers on disk, or None."""
    for software, marker, where in _BUFFERS:
        if marker.search(text):
            size = _SIZE.search(text)
            return software, [m.group(1).strip("\"'") for m in where.finditer(text)], size.group(1) if size else ""
    return None


def _size_text(raw: str) -> str:
    """`42949672960` -> `40 GiB`; a size already with a unit stays as said."""
    raw = raw.strip()
    return f"{int(raw) / 2**30:.0f} GiB" if raw.isdigit() and int(raw) >= 2**30 else raw


_NODE_DISK = re.compile(r"DiskPressure|EvictionThresholdMet[^\n]*ephemeral-storage|reclaim ephemeral-storage|"
                        r"(?:FreeDiskSpaceFailed|ImageGCFailed)\b|low on resource: ephemeral-storage", re.I)
"""A node short of root-volume space in the kubelet's words: the DiskPressure condition, its EvictionThresholdMet
event (`Attempting to reclaim ephemeral-storage`), image GC failing to free space."""


def pressured_nodes(facts: Facts) -> list[tuple[str, str]]:
    """Nodes the scan finds under DiskPressure (or the kubelet reclaiming their ephemeral-storage), with when."""
    out: list[tuple[str, str]] = []
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is not None and ref.kind == "Node" and _NODE_DISK.search(f"{f.get('reason')} {f.get('message')}") \
                and ref.name not in {n for n, _ in out}:
            out.append((ref.name, str(f.get("since") or "")))
    return out


def _config_files(spec: dict[str, Any]) -> set[str]:
    """The config files a container's args name (`--config /etc/vector/agent-disk-buffer.yaml`): their base names."""
    args = " ".join(str(a) for c in spec.get("containers") or [] for a in [*(c.get("args") or []),
                                                                           *(c.get("command") or [])])
    return {m.rsplit("/", 1)[-1] for m in re.findall(r"[\w./-]+\.(?:ya?ml|toml|conf|json)", args)}


def _rw_host_paths(spec: dict[str, Any]) -> dict[str, str]:
    """Mount path -> host path of the hostPath volumes a container mounts read-write."""
    host = {str(v.get("name")): str((v.get("hostPath") or {}).get("path") or "") for v in spec.get("volumes") or []
            if isinstance(v, dict) and v.get("hostPath")}
    return {str(m.get("mountPath")): host[str(m.get("name"))] for c in spec.get("containers") or []
            for m in c.get("volumeMounts") or [] if str(m.get("name")) in host and not m.get("readOnly")}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for a node under DiskPressure: the DaemonSets written before, their configs, the node's pods."""
    nodes = pressured_nodes(facts)
    if STORE in facts.reads or not nodes:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"daemonsets": [], "pods": {}})
    wanted: dict[Ref, tuple[dict[str, Any], str]] = {}
    for change, evidence, target in facts.writes_to(("DaemonSet", "ConfigMap"), within=LEAD, deletions=False):
        refs = [target] if target.kind == "DaemonSet" else [r for r in (Ref.of(x) for x in change.get("related")
                                                                             or []) if r and r.kind == "DaemonSet"]
        for ref in refs:
            if ref not in wanted or (target.kind == "DaemonSet" and wanted[ref][0]["object"]["kind"] != "DaemonSet"):
                wanted[ref] = (change, evidence)
    for ref, (change, evidence) in list(wanted.items())[:MAX_DAEMONSETS]:
        got = await get_yaml(call, "DaemonSet", ref.name, ref.namespace, f"survey-disk-buffer-{ref.name}")
        if got is None:
            continue
        spec = ((got[0].get("spec") or {}).get("template") or {}).get("spec") or {}
        entry: dict[str, Any] = {"ref": [ref.kind, ref.namespace, ref.name], "change": change,
                                 "images": sorted({str(c.get("image")) for c in spec.get("containers") or []}),
                                 "host_paths": _rw_host_paths(spec), "strategy": str(
                                     ((got[0].get("spec") or {}).get("updateStrategy") or {}).get("type") or ""),
                                 "buffer": None, "evidence": [e for e in (evidence, got[1]) if e]}
        files = _config_files(spec)
        for name in [str((v.get("configMap") or {}).get("name")) for v in spec.get("volumes") or []
                     if isinstance(v, dict) and (v.get("configMap") or {}).get("name")][:2]:
            cm = await get_yaml(call, "ConfigMap", name, ref.namespace, f"survey-disk-buffer-cm-{name}")
            data = (cm[0].get("data") or {}) if cm else {}
            keys = [k for k in data if k in files] or list(data)
            for key in keys:
                found_buffer = disk_buffer(str(data[key]))
                if found_buffer is not None and cm is not None:
                    entry["buffer"] = [*found_buffer[:1], found_buffer[1], found_buffer[2], name, key]
                    entry["evidence"].append(cm[1])
                    break
            if entry["buffer"]:
                break
        store["daemonsets"].append(entry)
    for node, _ in nodes[:2]:
        listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                            f"survey-disk-buffer-node-{node}")
        if listed is not None and listed.ok and isinstance(listed.data, dict):
            store["pods"][node] = {"rows": [r for r in listed.data.get("rows") or [] if isinstance(r, dict)],
                                   "evidence": listed.evidence_id}


@dataclass
class DiskBuffer:
    """A DaemonSet revision buffering on the node's disk, run on the node under DiskPressure."""

    daemonset: Ref
    node: str
    pod: str
    change: dict[str, Any]
    software: str
    host_path: str
    size: str
    config: str
    strategy: str
    since: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[DiskBuffer]:
    """DaemonSets written before a node's DiskPressure whose current revision buffers on its root volume there."""
    data = facts.reads.get(STORE) or {}
    out: list[DiskBuffer] = []
    for node, since in pressured_nodes(facts):
        began = parse_time(since) or facts.at
        pods = (data.get("pods") or {}).get(node) or {}
        for entry in data.get("daemonsets") or []:
            buffer, written = entry.get("buffer"), parse_time(entry["change"].get("at"))
            if not buffer or written is None or written > began:
                continue
            software, paths, size, cm, key = buffer
            dirs = [str(p) for p in paths if str(p).startswith("/")]
            host = next((h for mount, h in entry["host_paths"].items()
                         if any(d.startswith(mount) for d in dirs) or not dirs), "")
            if not host:
                continue  # the buffer is not under a read-write hostPath: not on the node's root volume
            name = entry["ref"][2]
            mine = [r for r in pods.get("rows") or [] if str(r.get("name") or "").startswith(name + "-")]
            if not mine or not set(map(str, mine[0].get("images") or [])) & set(entry["images"]):
                continue  # no agent pod on the node, or it still runs the old revision
            out.append(DiskBuffer(Ref(*entry["ref"]), node, str(mine[0].get("name")), entry["change"], software,
                                  host, _size_text(size), f"ConfigMap {entry['ref'][1]}/{cm} {key}",
                                  entry["strategy"], since,
                                  [*entry["evidence"], *([pods["evidence"]] if pods.get("evidence") else [])]))
    return out[:1]


def finding(hit: DiskBuffer, at: datetime) -> dict[str, Any]:
    """The revision's meaning first (a disk buffer on the node's root volume), then the node's pressure."""
    written = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - written).total_seconds() // 60))} before the alert" if written else ""
    size = f" of up to {hit.size}" if hit.size else ""
    only = (" (updateStrategy OnDelete: only nodes whose agent restarted run it)" if hit.strategy == "OnDelete"
            else "")
    message = (f"{hit.daemonset} fills {hit.node}'s disk (DiskPressure, the kubelet evicting pods for "
               f"ephemeral-storage): its revision written{ago} makes the {hit.software} agent keep a disk buffer"
               f"{size} on hostPath {hit.host_path}, the node's root volume ({hit.config}), and its pod {hit.pod} "
               f"there runs that revision{only}; as its sink lags the buffer grows into the eviction threshold. "
               f"Move the buffer off the root volume, cap it below the free space, or roll the agent back")
    return {"check": CHECK, "severity": "critical", "reason": "AgentDiskBuffer",
            "object": {"kind": "DaemonSet", "namespace": hit.daemonset.namespace, "name": hit.daemonset.name},
            "message": message, "evidence": [f"{hit.software} disk buffer on hostPath {hit.host_path}"],
            "details": {"node": hit.node, "pod": hit.pod, "host_path": hit.host_path, "size": hit.size}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The agent DaemonSet filling the node's disk; it explains the node's DiskPressure."""
    return [(h.daemonset, finding(h, facts.at), h.evidence, [Ref("Node", "", h.node)]) for h in found(facts)]
