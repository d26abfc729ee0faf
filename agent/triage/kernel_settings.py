"""Kernel settings (sysctls) a change wrote, read from the change's diff lines.

A node's kernel limits are set by whoever runs privileged on it: a DaemonSet's container or init container
(`sysctl -w net.core.somaxconn=1024`, `echo 1024 > /proc/sys/net/core/somaxconn`), a sysctl.conf it mounts
from a ConfigMap (`net.core.somaxconn = 1024`), or a pod's own `securityContext.sysctls` (`name:
net.core.somaxconn, value: '1024'`). A diff line shows the old text, `->`, and the new one; what changed is
each key whose number differs on the two sides, so that a finding can say `net.core.somaxconn 65535 -> 1024`
and tie it to the kernel table that key bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.triage.agent_flags import moved_flags

_KEY = r"(?:net|fs|vm|kernel|user)\.[a-z0-9_][a-z0-9_.\-]*[a-z0-9_]"
_ASSIGN = re.compile(rf"\b({_KEY})\s*[=:]\s*[\"']?(\d+)", re.I)
"""`sysctl -w key=value`, a sysctl.conf line `key = value`, or YAML `key: value`."""
_PROC = re.compile(r"echo\s+[\"']?(\d+)[\"']?\s*>+\s*/proc/sys/([\w/.\-]+)", re.I)
"""`echo value > /proc/sys/net/core/somaxconn`: the same key written through procfs."""
_NAMED = re.compile(rf"name\W{{1,6}}({_KEY})\W{{1,6}}value\W{{1,6}}(\d+)", re.I)
"""A pod's `securityContext.sysctls` entry as a diff prints it: `{'name': 'net.core.somaxconn', 'value': '1024'}`."""


@dataclass(frozen=True)
class Setting:
    """One kernel setting a change moved: its key and the number on each side."""

    key: str
    old: int
    new: int
    via: str = ""
    """The agent flag that sets the key, when the diff moved a flag rather than the key (agent.triage.agent_flags):
    `kube-proxy --conntrack-min`."""

    def __str__(self) -> str:
        if self.via:
            return f"{self.key} via {self.via} {self.old} -> {self.new}"
        return f"{self.key} {self.old} -> {self.new}"


def values(text: str) -> dict[str, int]:
    """The kernel settings a text assigns (the last assignment of a key wins, as it does on the node)."""
    out: dict[str, int] = {}
    text = text.replace("\\n", "\n")  # a ConfigMap value quoted in a diff line keeps its newlines escaped
    for key, value in _ASSIGN.findall(text):
        out[key.lower()] = int(value)
    for key, value in _NAMED.findall(text):
        out[key.lower()] = int(value)
    for value, path in _PROC.findall(text):
        out[path.strip("/").replace("/", ".").lower()] = int(value)
    return out


def changed(line: str) -> list[Setting]:
    """The settings a diff line (`old -> new`) changed; a key on one side only is not a change of value."""
    before, arrow, after = line.partition(" -> ")
    if not arrow:
        return []
    old, new = values(before), values(after)
    out = [Setting(k, old[k], v) for k, v in new.items() if k in old and old[k] != v]
    return out + [Setting(m.flag.key, m.old, m.new, f"{m.flag.agent} {m.flag.name}") for m in moved_flags(line)]


def moved(lines: list[str], keys: tuple[str, ...]) -> list[Setting]:
    """Of the settings these diff lines changed, those among `keys` (the ones that bound one kernel table)."""
    wanted = {k.lower() for k in keys}
    out: list[Setting] = []
    for line in lines:
        out.extend(s for s in changed(line) if s.key in wanted and s not in out)
    return out
