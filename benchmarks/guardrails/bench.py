"""Guardrail pipeline overhead per action (p50/p99) and audit appends per second.

Run: .venv/bin/python benchmarks/guardrails/bench.py   (writes benchmarks/results/guardrails.json)

What is measured:
- `check` on a read action (validation, scoping, rollback, approval below threshold, an fsynced
  audit append): the cost every tool call pays;
- `screen_result` on a ~2,000-token tool result (redaction + injection scan + audit append);
- audit appends per second with fsync (the default durability mode) and without;
- the same from 8 threads appending at once, each waiting for its own record to be durable: what
  group commit (one sync per group of records) buys a server answering concurrent calls.
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

from guardrails.action import Action, Actor, ToolSpec
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import load_policy

SPEC = ToolSpec(name="k8s_get", input_schema={
    "type": "object",
    "properties": {"kind": {"type": "string"}, "name": {"type": "string"}, "namespace": {"type": "string"}},
    "required": ["kind", "name"],
})
RESULT = "\n".join(
    f"| checkout-7d9f8b6c4-{i:05d} | shop | Running | 1/1 | {i % 7} | 3h | node-{i % 5} | 10.0.{i % 250}.{i % 200} |"
    for i in range(90)
)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "n": len(ordered),
    }


async def bench_check(pipeline: Pipeline, n: int) -> dict[str, float]:
    actor = Actor(name="bench", origin="agent")
    samples = []
    for i in range(n):
        action = Action(actor=actor, tool="k8s_get", arguments={"kind": "Pod", "name": f"p{i}", "namespace": "shop"})
        start = time.perf_counter()
        verdict = await pipeline.check(action, SPEC)
        samples.append(time.perf_counter() - start)
        assert verdict.allowed
    return percentiles(samples)


def bench_screen(pipeline: Pipeline, n: int) -> dict[str, float]:
    action = Action(actor=Actor(name="bench"), tool="k8s_list")
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        pipeline.screen_result(action, RESULT)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def bench_appends(path: Path, fsync: bool, seconds: float = 2.0) -> float:
    log = AuditLog(path, fsync=fsync)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        log.append({"kind": "decision", "tool": "k8s_get", "allowed": True, "reason": "bench"})
        count += 1
    return round(count / (time.perf_counter() - start), 1)


def bench_concurrent_appends(path: Path, threads: int = 8, seconds: float = 2.0) -> dict[str, float]:
    log = AuditLog(path)
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def writer(n: int) -> None:
        while time.perf_counter() < stop:
            log.append({"kind": "decision", "tool": "k8s_get", "allowed": True, "reason": "bench", "t": n})
            counts[n] += 1

    start = time.perf_counter()
    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    groups = getattr(log, "groups", 0) or sum(counts)  # an AuditLog without group commit syncs every record
    return {"appends_per_second": round(sum(counts) / elapsed, 1),
            "records_per_sync": round(sum(counts) / groups, 2)}


def main() -> None:
    policy = load_policy(default_policy_path())
    policy.limits[0].rate.calls = 10**9  # measure the layers, not the rate limiter's refusal
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        pipeline = Pipeline(policy, AuditLog(root / "audit.jsonl"), where="bench")
        results = {
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "check_read_action": asyncio.run(bench_check(pipeline, 2000)),
            "screen_result_2k_tokens": bench_screen(pipeline, 500),
            "audit_appends_per_second_fsync": bench_appends(root / "a.jsonl", True),
            "audit_appends_per_second_no_fsync": bench_appends(root / "b.jsonl", False),
            "audit_fsync_8_threads": bench_concurrent_appends(root / "c.jsonl"),
        }
    out = Path(__file__).resolve().parents[1] / "results" / "guardrails.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
