"""The audit head rewritten in place (one pwrite per group instead of a temporary file and a rename)
keeps every promise the renamed head made: it names the newest durable record, truncation and a
forged head still show, nothing planted at its path is followed, and `verify` never catches a
writer half way (it reads the head under the log's shared flock, before the log).

Real files on this machine's file system, real threads and processes; no mocks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from guardrails.audit import HEAD_BYTES, AuditKey, AuditLog, verify

KEY = AuditKey(b"k" * 32, "test key")


def _log(tmp_path: Path, fsync: bool = False) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl", fsync=fsync, key=KEY)


def test_the_head_is_rewritten_in_place_and_names_the_newest_record(tmp_path: Path) -> None:
    log = _log(tmp_path, fsync=True)
    first = log.append({"kind": "x", "n": 0})
    inode = log.head_path.stat().st_ino
    for n in range(1, 20):
        last = log.append({"kind": "x", "n": n})
    assert log.head_path.stat().st_ino == inode  # no rename after the first head
    raw = log.head_path.read_bytes()
    assert len(raw) == HEAD_BYTES and raw.endswith(b"\n")
    head = json.loads(raw)
    assert (head["seq"], head["hash"]) == (last["seq"], last["hash"]) != (first["seq"], first["hash"])
    result = verify(log.path, key=KEY)
    assert result.ok and result.head_seq == 20 and result.records == 20
    assert not list(tmp_path.glob("*.tmp"))


def test_truncation_after_in_place_heads_is_still_detected(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for n in range(5):
        log.append({"kind": "x", "n": n})
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(lines[:-1]))
    result = verify(log.path, key=KEY)
    assert not result.ok and "record 5 is missing" in result.problem


def test_a_longer_hand_written_head_is_cut_to_size_on_the_next_write(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x"})
    log.head_path.write_text(json.dumps({"seq": 1, "hash": "0" * 64}) + " " * 900 + "garbage")
    assert not verify(log.path, key=KEY).ok
    log.append({"kind": "x"})
    assert len(log.head_path.read_bytes()) == HEAD_BYTES
    assert verify(log.path, key=KEY).ok


def test_a_head_overwritten_half_way_is_reported_not_passed(tmp_path: Path) -> None:
    """What a torn write would leave (the first half new, the rest old): never a silent pass."""
    log = _log(tmp_path)
    log.append({"kind": "x"})
    old = log.head_path.read_bytes()
    log.append({"kind": "x"})
    new = log.head_path.read_bytes()
    for cut in (1, 40, HEAD_BYTES // 2, 150):
        torn = new[:cut] + old[cut:]
        if torn in (old, new):
            continue
        log.head_path.write_bytes(torn)
        result = verify(log.path, key=KEY)
        assert not result.ok and "head" in result.problem, (cut, result)


def test_a_symlink_planted_at_the_head_is_replaced_not_followed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x"})
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    log.head_path.unlink()
    log.head_path.symlink_to(victim)
    log.append({"kind": "x"})
    assert victim.read_text() == "do not touch\n"
    assert not log.head_path.is_symlink() and verify(log.path, key=KEY).ok


def test_a_fifo_planted_at_the_head_does_not_block_the_writer(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x"})
    log.head_path.unlink()
    os.mkfifo(log.head_path)
    done = threading.Event()
    threading.Thread(target=lambda: (log.append({"kind": "x"}), done.set()), daemon=True).start()
    assert done.wait(10), "the append blocked opening a FIFO"
    assert log.head_path.is_file() and verify(log.path, key=KEY).ok


WRITER = """
import sys
from guardrails.audit import AuditKey, AuditLog
log = AuditLog(sys.argv[1], fsync=False, key=AuditKey(b"k" * 32, "test key"))
for n in range(int(sys.argv[2])):
    log.append({"kind": "x", "n": n})
"""


def test_verify_during_concurrent_appends_never_reports_a_false_problem(tmp_path: Path) -> None:
    """Verifying a live log: the head read under the lock, before the log, is never ahead of it."""
    log = _log(tmp_path)
    log.append({"kind": "start"})
    root = Path(__file__).parents[2]
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(log.path), "300"], cwd=root) for _ in range(2)]
    problems, runs = [], 0
    try:
        while any(w.poll() is None for w in writers):
            result = verify(log.path, key=KEY)
            runs += 1
            if not result.ok:
                problems.append(result.problem)
    finally:
        for w in writers:
            w.wait(60)
    assert all(w.returncode == 0 for w in writers)
    assert runs >= 1 and problems == []
    final = verify(log.path, key=KEY)
    assert final.ok and final.records == 601 and final.head_seq == 601
