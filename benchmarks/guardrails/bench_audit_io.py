"""What a durable audit record costs on this file system, piece by piece, to choose how to write it.

    .venv/bin/python benchmarks/guardrails/bench_audit_io.py [--dir DIR ...] [--records 400]

Measures, interleaved record by record (so a burst of load from other processes hits every method
alike), p50/p95 in ms of:
- the log's sync: a ~600-byte record appended (`O_APPEND`, the file grows) then `fdatasync`, against
  the same record written into space allocated beforehand, by `posix_fallocate` (unwritten extents)
  and by writing zeros (written blocks), then `fdatasync`. The idea: an append's fdatasync must also
  journal the new size, an overwrite's need not;
- the head: a temporary file and a rename (the head before this change) against an in-place pwrite;
- the whole `AuditLog.append` of one durable record, with the head written in place (as shipped)
  and with the head written through a rename (as before).
Results go to benchmarks/results/audit_io.json, one block per directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails import audit  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "audit_io.json"
RECORD = b'{"a":"' + b"x" * 600 + b'"}\n'
PREALLOCATED = 16 << 20


def _summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3)}


def raw_io(directory: Path, records: int) -> dict[str, dict[str, float]]:
    """The sync and head variants, interleaved."""
    fds = {
        "append_fdatasync": os.open(directory / "append.log", os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640),
        "fallocated_overwrite_fdatasync": os.open(directory / "fallocated.log", os.O_RDWR | os.O_CREAT, 0o640),
        "zero_filled_overwrite_fdatasync": os.open(directory / "zeroed.log", os.O_RDWR | os.O_CREAT, 0o640),
    }
    os.posix_fallocate(fds["fallocated_overwrite_fdatasync"], 0, PREALLOCATED)
    zeros = b"\0" * (1 << 20)
    for _ in range(PREALLOCATED // len(zeros)):
        os.write(fds["zero_filled_overwrite_fdatasync"], zeros)
    for fd in fds.values():
        os.fsync(fd)
    head = directory / "audit.head"
    head_fd = os.open(directory / "inplace.head", os.O_RDWR | os.O_CREAT, 0o640)
    body = json.dumps({"seq": 1, "hash": "a" * 64, "kid": "b" * 16, "mac": "c" * 64}).encode().ljust(255) + b"\n"

    def renamed_head() -> None:
        tmp = directory / "audit.head.tmp"
        tmp.write_bytes(body)
        os.replace(tmp, head)

    offset = 0

    def append_sync(fd: int) -> None:
        os.write(fd, RECORD)
        os.fdatasync(fd)

    def overwrite_sync(fd: int) -> None:
        os.pwrite(fd, RECORD, offset)
        os.fdatasync(fd)

    methods: dict[str, Callable[[], Any]] = {
        "append_fdatasync": lambda: append_sync(fds["append_fdatasync"]),
        "fallocated_overwrite_fdatasync": lambda: overwrite_sync(fds["fallocated_overwrite_fdatasync"]),
        "zero_filled_overwrite_fdatasync": lambda: overwrite_sync(fds["zero_filled_overwrite_fdatasync"]),
        "head_tmp_and_rename": renamed_head,
        "head_pwrite_in_place": lambda: os.pwrite(head_fd, body, 0),
    }
    samples: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(records):
        for name, method in methods.items():
            t = time.perf_counter()
            method()
            samples[name].append((time.perf_counter() - t) * 1000)
        offset += len(RECORD)
    for fd in [*fds.values(), head_fd]:
        os.close(fd)
    return {name: _summary(v) for name, v in samples.items()}


def audit_append(directory: Path, records: int) -> dict[str, dict[str, float]]:
    """`AuditLog.append` of durable records, head in place against head renamed, interleaved."""
    key = audit.AuditKey(b"k" * 32, "bench")
    logs = {"audit_append_head_in_place": audit.AuditLog(directory / "inplace.jsonl", key=key),
            "audit_append_head_renamed": audit.AuditLog(directory / "renamed.jsonl", key=key)}
    in_place = audit.write_head

    def renamed(head_path: Path, seq: int, digest: str, key: audit.AuditKey) -> None:
        head = {"seq": seq, "hash": digest, "kid": key.kid, "mac": audit._head_mac(key, seq, digest)}
        audit._replace_head(head_path, json.dumps(head, sort_keys=True).encode())

    event = {"kind": "result", "tool": "get_callers", "sha256": "0" * 64, "chars": 422}
    samples: dict[str, list[float]] = {name: [] for name in logs}
    try:
        for _ in range(records):
            for name, log in logs.items():
                audit.write_head = renamed if name.endswith("renamed") else in_place  # type: ignore[assignment]
                t = time.perf_counter()
                log.append(event)
                samples[name].append((time.perf_counter() - t) * 1000)
    finally:
        audit.write_head = in_place  # type: ignore[assignment]
    for log in logs.values():
        assert audit.verify(log.path, key=key).ok
    return {name: _summary(v) for name, v in samples.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", action="append", type=Path, help="where to write (repeat; default: the repo and /tmp)")
    ap.add_argument("--records", type=int, default=400)
    args = ap.parse_args()
    results: dict[str, Any] = {"loadavg_before": os.getloadavg(), "records": args.records}
    for base in args.dir or [ROOT, Path(tempfile.gettempdir())]:
        with tempfile.TemporaryDirectory(prefix="vigil-audit-io-", dir=base) as tmp:
            rows = {**raw_io(Path(tmp), args.records), **audit_append(Path(tmp), args.records)}
        results[str(base)] = rows
        for name, row in rows.items():
            print(f"{base}: {name}: p50 {row['p50_ms']:.3f} ms, p95 {row['p95_ms']:.3f} ms")
    results["loadavg_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
