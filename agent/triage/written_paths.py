"""Where a changed config tells a program to write files, when no volume holds that place.

A file a container writes outside every volume it mounts lands in its writable layer: that counts toward the
container's ephemeral-storage (its limit, and the node's disk), and it is gone when the pod is. A logging config
that adds a file appender (log4j2 `RollingFile fileName=`, logback `<file>`, Python `filename:`, nginx
`access_log`, a `log_file =` or `path:` setting) under an unmounted directory makes the pods fill that layer until
the kubelet evicts them. `storage_change` already ties such a config change to the evictions; this module says
WHAT the change makes the pods write and why it counts as ephemeral storage.

Read (reading only) for each ConfigMap that `storage_change` suspects: the ConfigMap's data and the workload's
container mounts. Secrets are never read. Only the setting's name and the path are quoted, never other values.
Twins: a path under a mounted volume (a claim, an emptyDir), a config writing only to stdout/stderr or /dev.
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import Call, get_yaml

READS = "written_paths"
MAX_READS = 2

_SETTING = re.compile(
    r"(?P<key>[\w.-]*(?:file(?:name|pattern|path)?|log|dir(?:ectory)?|path|output|access_log|error_log)[\w.-]*)"
    r"[\"']?\s*(?:=|:|>|\s)\s*[\"']?(?P<path>/[\w.%{}\-/]+)", re.I)
"""A setting that names an absolute path a program writes to (`fileName="/x/y.log"`, `log_file = /x`,
`path: /x`, `<file>/x</file>`, `access_log /x`)."""
_NOT_FILES = re.compile(r"^/(?:dev|proc|sys)/")
"""Paths that are not files on a filesystem (`/dev/stdout`, `/proc/self/fd/1`)."""
_TAG = re.compile(r"<\s*([A-Za-z][\w.:-]*)[^<>]*$")


def _who(text: str, start: int) -> str:
    """The XML element a match sits in (`RollingFile`), else the setting's own name."""
    tag = _TAG.search(text[max(0, start - 300):start])
    return tag.group(1) if tag else ""


def file_settings(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(data key, setting, path) for each absolute file path a config's data names as a place to write."""
    out = []
    for key, value in sorted(data.items()):
        text = str(value or "")
        for m in _SETTING.finditer(text):
            path = m.group("path")
            if _NOT_FILES.match(path):
                continue
            who = _who(text, m.start()) or m.group("key")
            setting = f"{who} {m.group('key')}" if who != m.group("key") else who
            out.append((str(key), setting, path))
    return out


def mount_paths(workload: dict[str, Any]) -> list[str]:
    """The directories the workload's containers mount a volume at (a file mounted by subPath is not one)."""
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [str(m.get("mountPath")).rstrip("/") for c in [*(spec.get("initContainers") or []),
                                                          *(spec.get("containers") or [])]
            for m in c.get("volumeMounts") or [] if m.get("mountPath") and not m.get("subPath")]


def unmounted(data: dict[str, Any], workload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The config's file settings whose path no volume of the workload holds: they write its writable layer."""
    mounts = mount_paths(workload)
    return [(k, s, p) for k, s, p in file_settings(data)
            if not any(p == m or p.startswith(m + "/") for m in mounts)]


def outside(facts: Facts, target: Ref) -> list[str]:
    """What the read found for one ConfigMap, as text for the finding (`RollingFile fileName /app/logs/x.log
    (key log4j2.xml)`)."""
    found = (facts.reads.get(READS) or {}).get(str(target)) or []
    return [f"{s} {p} (key {k})" for k, s, p in found]


async def read(facts: Facts, call: Call) -> None:
    """For each ConfigMap `storage_change` suspects of filling a workload's storage, its data and the workload's
    mounts (at most MAX_READS pairs)."""
    from agent.triage import storage_change

    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    done = 0
    for filling in storage_change.fillings(facts):
        if filling.target.kind != "ConfigMap" or str(filling.target) in store or done >= MAX_READS:
            continue
        done += 1
        config = await get_yaml(call, "ConfigMap", filling.target.name, filling.target.namespace,
                                f"survey-written-paths-{filling.target.name}")
        workload = await get_yaml(call, filling.workload.kind, filling.workload.name, filling.workload.namespace,
                                  f"survey-written-paths-{filling.workload.name}")
        if config is None or workload is None or not isinstance(config[0].get("data"), dict):
            continue
        store[str(filling.target)] = unmounted(config[0]["data"], workload[0])
