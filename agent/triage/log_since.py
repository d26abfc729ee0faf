"""Whether a log's lines of one kind all came after a moment, for lines that print no time of their own.

Many access logs carry no timestamp field (Envoy's default text format starts with `[%START_TIME%]` but custom
formats and JSON formats often drop it; Kong's and oauth2-proxy's 401 bodies carry none), so a module that must
know whether a refusal began after a write cannot read the time off the line. The kubelet stamps every line it
stores, and the API's `sinceTime` (`k8s_logs since_time=`) filters on that stamp: reading the same tail twice, once
whole and once since the moment, with the same `grep`, the answer's header counts the matching lines of each
(`logs of ns/pod container c: 1200 lines, 14 containing 'needle'`). More in the whole tail than since the moment
means some were printed before it. The tail bounds what can be seen: with more than `TAIL` lines since the moment,
both reads hold the same lines and the answer is "all after" (nothing before is in view).

The moment goes to the server as an absolute time, never as a duration: a duration (`since=`) counts back from the
API server's now, which this process cannot know (a replayed bundle's server lives at its capture time, a live one
on its own clock), so guessing it made the same bundle split differently at different wall-clock times.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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


def matching(text: str) -> int | None:
    """The count of matching lines an answer's header gives (None: no header with a grep count). The header is the
    first line, or the second when the server first says why it chose the container."""
    for head in text.splitlines()[:3]:
        if head.startswith("logs of ") and (m := _COUNT.search(head)):
            return int(m.group(1))
    return None


def stamp(moment: datetime) -> str:
    """`moment` as `k8s_logs since_time=` takes it (RFC 3339, UTC; a naive time is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def split(call: Call, pod: str, namespace: str, container: str, needle: str, moment: datetime,
                step: str) -> Split | None:
    """Lines of one container's log that contain `needle`, in the whole tail and stamped at or after `moment` (None
    when a read failed or the answers carry no count)."""
    args: dict[str, Any] = {"name": pod, "namespace": namespace, "grep": needle, "tail": TAIL}
    if container:
        args["container"] = container
    whole = await call("k8s_logs", args, f"{step}-all")
    recent = await call("k8s_logs", {**args, "since_time": stamp(moment)}, f"{step}-since")
    if whole is None or recent is None or not whole.ok or not recent.ok:
        return None
    total = matching(str(whole.full_text or whole.text or ""))
    since = matching(str(recent.full_text or recent.text or ""))
    if total is None or since is None:
        return None
    return Split(total, since, [e for e in (whole.evidence_id, recent.evidence_id) if e])
