"""The audit layer: an append-only, hash-chained JSONL log that shows tampering.

Each record is one JSON object on one line, serialised canonically (sorted keys, no spaces) and
carrying `prev`, the SHA-256 of the previous record's line, and `hash`, the SHA-256 of its own
canonical body. Verification re-serialises every record and compares bytes, so any edit, even of
white space, shows.

A hash chain alone cannot notice that the last records were cut off, so the log keeps a small
`<log>.head` file naming the newest record's sequence number and hash, rewritten atomically after
each append. Removal of committed records then shows as a log shorter than its head. A writer
killed between its append and the head update leaves the head one record behind, which is still
consistent (the head is a lower bound). A writer killed in the middle of a line leaves a torn
fragment that was never committed; the next writer cuts it away and says so in its own record.

Several processes may append at once (the agent and every MCP server share one log): an exclusive
`flock` on the log file serialises them. Durability: appends are fsynced by default; the decision to
allow a read-only call is made durable together with that call's result record (one fsync per call).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
_TAIL_READ = 1 << 16


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def record_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


class AuditLog:
    """Appends records to one log file. Safe across threads and processes."""

    def __init__(self, path: str | Path, fsync: bool = True) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, event: dict[str, Any], *, durable: bool = True) -> dict[str, Any]:
        """Write one record and return it with `seq`, `ts`, `prev` and `hash` filled in.

        `durable=False` skips this record's fsync: for a record that a later fsynced one of the same
        call follows (an fsync flushes every earlier write of the file), e.g. an allowed read whose
        result record is written before the answer is returned.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, torn = _last_complete_record(fd)
            body = {k: v for k, v in event.items() if k not in ("seq", "prev", "hash")}
            body["seq"] = (last["seq"] + 1) if last else 1
            body["prev"] = last["hash"] if last else GENESIS
            body.setdefault("ts", datetime.now(UTC).isoformat(timespec="microseconds"))
            if torn:
                os.ftruncate(fd, os.fstat(fd).st_size - torn)
                body["recovered_torn_bytes"] = torn
            body = json.loads(canonical(body))
            record = {**body, "hash": record_hash(body)}
            os.write(fd, canonical(record) + b"\n")
            if self.fsync and durable:
                os.fsync(fd)
            if durable or not self.head_path.exists():  # a lower bound: it follows records known to be on disk
                self._write_head(record)
            return record
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write_head(self, record: dict[str, Any]) -> None:
        # Not fsynced on purpose: the head is a lower bound. The record it names was fsynced first,
        # so after a crash the head can only lag behind the log, never run ahead of it.
        tmp = self.head_path.with_name(self.head_path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": record["seq"], "hash": record["hash"]}))
        os.replace(tmp, self.head_path)

    def records(self) -> Iterator[dict[str, Any]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    yield json.loads(line)


def _last_complete_record(fd: int) -> tuple[dict[str, Any] | None, int]:
    """The newest complete record, and the size of a torn trailing fragment (0 if none)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0
    start = max(0, size - _TAIL_READ)
    while True:
        chunk = os.pread(fd, size - start, start)
        end = chunk.rfind(b"\n")
        torn = len(chunk) - end - 1 if end >= 0 else len(chunk)
        if end >= 0:
            begin = chunk.rfind(b"\n", 0, end) + 1
            if begin > 0 or start == 0:
                return json.loads(chunk[begin:end]), torn
        if start == 0:
            return None, torn
        start = max(0, start - _TAIL_READ)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    """How many records verified."""
    problem: str = ""
    """What is wrong, naming the first bad record by line and sequence number."""
    first_bad_line: int | None = None
    warning: str = ""


def verify(path: str | Path) -> VerifyResult:
    """Check the whole chain and the head. Returns at the first problem."""
    log = Path(path)
    head_path = log.with_name(log.name + ".head")
    if not log.exists():
        return VerifyResult(False, 0, f"{log} does not exist")
    data = log.read_bytes()
    lines = data.split(b"\n")
    trailing = lines.pop()  # b"" when the file ends with a newline
    prev = GENESIS
    count = 0
    for number, line in enumerate(lines, start=1):
        problem = _check_line(line, number, count + 1, prev)
        if problem:
            return VerifyResult(False, count, problem, number)
        record = json.loads(line)
        prev = record["hash"]
        count += 1
    warning = ""
    if trailing:
        warning = (f"line {len(lines) + 1}: incomplete trailing record ({len(trailing)} bytes), "
                   "left by an interrupted writer")
    if head_path.exists():
        try:
            head = json.loads(head_path.read_text())
        except (ValueError, OSError):
            return VerifyResult(False, count, f"head file {head_path} is unreadable")
        if head["seq"] > count:
            return VerifyResult(
                False, count,
                f"record {count + 1} is missing: the head says {head['seq']} records were written, "
                f"the log holds {count} (truncated or records removed)",
                count + 1,
            )
        if head["seq"] >= 1:
            at = json.loads(lines[head["seq"] - 1])
            if at["hash"] != head["hash"]:
                return VerifyResult(False, count, f"record {head['seq']} differs from the one the head recorded",
                                    head["seq"])
    elif count:
        return VerifyResult(
            False, count,
            f"head file {head_path.name} is missing: without it truncation cannot be ruled out "
            "(keep the .head file beside the log when copying it)",
        )
    return VerifyResult(True, count, "", None, warning)


def _check_line(line: bytes, number: int, expected_seq: int, prev: str) -> str:
    where = f"line {number}"
    try:
        record = json.loads(line)
    except ValueError:
        return f"{where}: not valid JSON (modified or corrupted)"
    if not isinstance(record, dict) or "hash" not in record:
        return f"{where}: not an audit record (no hash)"
    body = {k: v for k, v in record.items() if k != "hash"}
    if canonical(record) != line:
        return f"{where} (seq {record.get('seq')}): bytes differ from the canonical form (modified)"
    if record_hash(body) != record["hash"]:
        return f"{where} (seq {record.get('seq')}): content does not match its hash (modified)"
    if record.get("seq") != expected_seq:
        return (f"{where}: sequence {record.get('seq')} where {expected_seq} was expected "
                "(a record was removed, inserted or reordered)")
    if record.get("prev") != prev:
        return (f"{where} (seq {record.get('seq')}): previous-hash link broken "
                "(a record before it was changed or removed)")
    return ""
