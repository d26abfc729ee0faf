"""Kernel limits a node networking agent sets from its own flags, read from a change's diff lines.

Some node agents write a kernel limit themselves at start: kube-proxy sets `net.netfilter.nf_conntrack_max` to
max(`--conntrack-max-per-core` x CPUs, `--conntrack-min`) (the same fields in its KubeProxyConfiguration:
`conntrack.maxPerCore`, `conntrack.min`) and logs `"Setting nf_conntrack_max" nfConntrackMax=8192`. A revision that
lowers one of those flags lowers the node's conntrack table on every node it rolls to, though no sysctl key
appears in the diff. A flag absent on the old side held the agent's documented default (kube-proxy: 32768 per core,
131072 minimum), so adding `--conntrack-min=8192` is a change from 131072. Each flag read here is tied to the
sysctl key it bounds, so agent.triage.kernel_settings can treat it as that key (`moved`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """One agent flag that sets a kernel limit: how it is written, the key it bounds, the agent's default."""

    agent: str
    name: str
    pattern: re.Pattern[str]
    key: str
    default: int


CONNTRACK_MAX = "net.netfilter.nf_conntrack_max"

FLAGS: tuple[Flag, ...] = (
    Flag("kube-proxy", "--conntrack-max-per-core",
         re.compile(r"--conntrack-max-per-core[=\s]+[\"']?(\d+)|\bmaxPerCore[\"']?\s*:\s*[\"']?(\d+)"),
         CONNTRACK_MAX, 32768),
    Flag("kube-proxy", "--conntrack-min",
         re.compile(r"--conntrack-min[=\s]+[\"']?(\d+)|\bconntrack\b[^-]{0,80}?\bmin[\"']?\s*:\s*[\"']?(\d+)", re.S),
         CONNTRACK_MAX, 131072),
)
"""The flags read; a new agent's flag is one more row (its documented default on the old side)."""

AGENT_WORDS = re.compile(r"kube-proxy|KubeProxyConfiguration|conntrack", re.I)
"""A diff line that can hold one of the flags at all (the default is assumed only for such a line)."""


@dataclass(frozen=True)
class Moved:
    """One flag whose value the line changed: the key it bounds and the two values."""

    flag: Flag
    old: int
    new: int


def _value(flag: Flag, text: str) -> int | None:
    found = [int(a or b) for a, b in flag.pattern.findall(text.replace("\\n", "\n"))]
    return found[-1] if found else None


def moved_flags(line: str) -> list[Moved]:
    """The agent flags a diff line (`old -> new`) changed; a flag only on the new side moved from the default,
    a flag only on the old side (removed) went back to the default."""
    before, arrow, after = line.partition(" -> ")
    if not arrow or not AGENT_WORDS.search(line):
        return []
    out = []
    for flag in FLAGS:
        old, new = _value(flag, before), _value(flag, after)
        if old is None and new is None:
            continue
        old = flag.default if old is None else old
        new = flag.default if new is None else new
        if old != new:
            out.append(Moved(flag, old, new))
    return out
