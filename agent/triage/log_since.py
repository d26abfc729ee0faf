"""Whether a log's lines of one kind all came after a moment, for lines that print no time of their own.

Many access logs carry no timestamp field (Envoy's default text format starts with `[%START_TIME%]` but custom
formats and JSON formats often drop it; Kong's and oauth2-proxy's 401 bodies carry none), so a module that must
know whether a refusal began after a write cannot read the time off the line. The kubelet stamps every line it
stores, and the API's `sinceSeconds` (`k8s_logs since=`) filters on that stamp: reading the same tail twice, once
whole and once since the moment, with the same `grep`, the answer's header counts the matching lines of each
(`logs of ns/pod container c: 1200 lines, 14 containing 'needle'`). More in the whole tail than since the moment
means some were printed before it. The tail bounds what can be seen: with more than `TAIL` lines since the moment,
both reads hold the same lines and the answer is "all after" (nothing before is in view). `since` counts back from
the server's now, which `ago` takes from the wall clock live and from the incident's time in a replay.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Call = Callable[..., Awaitable[Any]]
TAIL = 10000
"""The most lines one `k8s_logs` read returns: both reads take the same tail."""
_COUNT = re.compile(r"\b(\d+) containing ")


@dataclass
class Split:
    """How many lines of a log contain a needle, in the whole tail and since a moment."""

    total: int
    since: int
    evidence: list[str]

    @property
    def before(self) -> int:
        """Lines with the needle printed before the moment (by the kubelet's stamps)."""
        return max(self.total - self.since, 0)


LIVE = timedelta(hours=6)
"""How close to the incident the wall clock must be for the cluster's own "now" to be taken as the wall clock."""


def ago(moment: datetime, incident: datetime, wall: datetime | None = None) -> timedelta:
    """How long before the API server's "now" `moment` was: `since` counts back from that now. Investigated live
    (the wall clock within LIVE after the incident), the server's now is the wall clock; replaying a recorded
    bundle later, it is the bundle's capture, taken as the incident's time (a capture made later shortens the
    window: denials just after the moment then count as before it, which only withholds a finding)."""
    now = wall or datetime.now(UTC)
    base = now if timedelta(0) <= now - incident <= LIVE else incident
    return base - moment


def matching(text: str) -> int | None:
    """The count of matching lines an answer's header gives (None: no header with a grep count). The header is the
    first line, or the second when the server first says why it chose the container."""
    for head in text.splitlines()[:3]:
        if head.startswith("logs of ") and (m := _COUNT.search(head)):
            return int(m.group(1))
    return None


async def split(call: Call, pod: str, namespace: str, container: str, needle: str, ago: timedelta,
                step: str) -> Split | None:
    """Lines of one container's log that contain `needle`, in the whole tail and in the last `ago` (None when a read
    failed or the answers carry no count)."""
    args: dict[str, Any] = {"name": pod, "namespace": namespace, "grep": needle, "tail": TAIL}
    if container:
        args["container"] = container
    whole = await call("k8s_logs", args, f"{step}-all")
    recent = await call("k8s_logs", {**args, "since": f"{max(int(ago.total_seconds()), 1)}s"}, f"{step}-since")
    if whole is None or recent is None or not whole.ok or not recent.ok:
        return None
    total = matching(str(whole.full_text or whole.text or ""))
    since = matching(str(recent.full_text or recent.text or ""))
    if total is None or since is None:
        return None
    return Split(total, since, [e for e in (whole.evidence_id, recent.evidence_id) if e])
