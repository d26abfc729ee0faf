"""The audit's share of a first-time code-graph call's guard: the two records, the flush, the head.

    .venv/bin/python benchmarks/codegraph/guard_audit_share.py DB STATE_DIR

Why: `guard_cpu_stages.py` times the middleware's stages, and the audit sits inside two of them (the
decision record in the checks, the result record in `_screen`); this says what the audit's own parts
cost per call: each record's append (the unsynced decision record, the synced result record), and
inside them `fdatasync`, the head's rewrite and the signing. It runs `guard_cpu_stages.measure`
(fresh symbols, the index screened ahead under STATE_DIR's key) with those functions wrapped to add
up the calling thread's CPU (`time.thread_time_ns`), so the figures are per guarded call, inclusive,
with the wrappers' own cost (about a microsecond each) in them; the whole guard is printed beside them
for the share. Waiting for the disk is not CPU and is not counted: the flush's wait is the stdio
bench's `no-fsync` diagnostic.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))  # the tree it is run from, as guard_cpu_stages.py

import guardrails.audit as audit  # noqa: E402
from benchmarks.codegraph import guard_cpu_stages  # noqa: E402

_SPENT: dict[str, list[int]] = defaultdict(list)
"""label -> the thread CPU (ns) of each invocation."""


def _timed(label: Callable[..., str | None], fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            name = label(*args, **kwargs)
            if name:
                _SPENT[name].append(time.thread_time_ns() - start)
    return wrapper


def _append_label(_log: Any, event: dict[str, Any], *, durable: bool = True) -> str:
    return f"append: {event.get('kind')} record ({'synced' if durable else 'not synced'})"


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    audit.AuditLog.append = _timed(_append_label, audit.AuditLog.append)  # type: ignore[method-assign]
    audit._signed_line = _timed(lambda *a, **k: "  of which signing (both records)", audit._signed_line)
    audit.write_head = _timed(lambda *a, **k: "  of which the head's rewrite", audit.write_head)
    real_sync = os.fdatasync
    os.fdatasync = _timed(lambda *a, **k: "  of which fdatasync (kernel CPU)", real_sync)
    out = asyncio.run(guard_cpu_stages.measure(Path(sys.argv[1]), "fresh", Path(sys.argv[2])))
    calls = 2 * 2 * 140  # two tools, a warm-up round and a counted round of 140 calls each
    # Per call: the p50 of one invocation times invocations per call (two signings per call, say), and the mean.
    share = {name: {"p50": round(statistics.median(ns) * len(ns) / calls / 1000, 1),
                    "mean": round(sum(ns) / calls / 1000, 1)}
             for name, ns in sorted(_SPENT.items(), key=lambda item: (item[0].startswith(" "), item[0]))}
    guard = {tool: stages["whole guard"] for tool, stages in out.items()}
    print("whole guard p50, us of CPU:", guard)
    print("audit parts, us of CPU per call (both tools; p50 of an invocation x invocations per call, mean):")
    for name, us in share.items():
        print(f"  {name:48s} {us['p50']:7.1f} {us['mean']:7.1f}")
    print(json.dumps({"whole_guard_p50_us": guard, "audit_us_per_call": share}))


if __name__ == "__main__":
    main()
