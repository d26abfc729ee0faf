"""The audit log's descriptors kept open between groups (guardrails/held_file.py) write exactly where a
fresh `open` of the path would: a rotated log, a replaced head, a forked child and an edited tail are each
followed as before, and the chain still verifies or still shows tampering. The head spelled out without
the JSON encoder is byte for byte what the encoder writes.

Real files, a real fork; no mocks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from guardrails.audit import AuditKey, AuditLog, _head_mac, canonical, verify
from guardrails.held_file import HeldFile

KEY = AuditKey(b"h" * 32, "test key")


def _log(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl", key=KEY)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_descriptor_serves_every_group_while_the_path_names_the_same_file(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for n in range(6):
        log.append({"kind": "x", "n": n}, durable=n % 2 == 1)
    assert log._log_file.opens == 1 and log._head_file.opens == 1
    assert verify(log.path, key=KEY).ok and len(_lines(log.path)) == 6


def test_a_rotated_log_is_left_alone_and_the_new_file_at_the_path_is_written(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x", "n": 0})
    rotated = tmp_path / "audit.jsonl.1"
    log.path.rename(rotated)
    log.append({"kind": "x", "n": 1})
    assert [r["n"] for r in _lines(rotated)] == [0]
    fresh = _lines(log.path)
    assert [r["n"] for r in fresh] == [1] and fresh[0]["seq"] == 1  # a new file: a new chain, as before
    assert log._log_file.opens == 2


def test_a_log_replaced_by_one_of_the_same_size_is_read_again_not_trusted_from_memory(tmp_path: Path) -> None:
    """The remembered (size, last record) belongs to the file it was read from: a different file of the
    very same size at the path (another chain) is continued from its own last record."""
    log = _log(tmp_path)
    log.append({"kind": "x", "n": 0})
    other = tmp_path / "other.jsonl"
    other_log = AuditLog(other, key=KEY)
    other_log.append({"kind": "x", "n": 9})
    assert other.stat().st_size == log.path.stat().st_size
    os.replace(other, log.path)
    os.replace(other.with_name("other.jsonl.head"), log.head_path)
    record = log.append({"kind": "x", "n": 1})
    assert record["prev"] == _lines(log.path)[0]["hash"] and record["seq"] == 2
    assert verify(log.path, key=KEY).ok


def test_an_edited_tail_of_the_held_file_is_read_again(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for n in range(3):
        log.append({"kind": "x", "n": n})
    lines = log.path.read_bytes().splitlines(keepends=True)
    with open(log.path, "r+b") as f:  # the same inode, one record shorter
        f.truncate(len(b"".join(lines[:2])))
    assert verify(log.path, key=KEY).problem.startswith("record 3 is missing")
    log.append({"kind": "x", "n": 3})
    assert _lines(log.path)[-1]["seq"] == 3  # chained onto what the file holds, not what memory said


def test_a_symlink_planted_at_a_held_head_is_not_followed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x"})
    log.append({"kind": "x"})  # the head's descriptor is held now
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    log.head_path.unlink()
    log.head_path.symlink_to(victim)
    log.append({"kind": "x"})
    assert victim.read_text() == "do not touch\n"
    assert not log.head_path.is_symlink() and verify(log.path, key=KEY).ok


def test_a_forked_child_opens_its_own_descriptor_and_the_parent_keeps_its_own(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append({"kind": "x", "who": "parent"})
    pid = os.fork()
    if pid == 0:  # the child: its own open file (and so its own flock), the parent's left open
        code = 1
        try:
            log.append({"kind": "x", "who": "child"})
            code = 0 if log._log_file.opens == 2 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    log.append({"kind": "x", "who": "parent"})  # the parent's descriptor still works, the chain continues
    assert [r["who"] for r in _lines(log.path)] == ["parent", "child", "parent"]
    assert log._log_file.opens == 1 and verify(log.path, key=KEY).ok


def test_tampering_still_shows_with_held_descriptors(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for n in range(4):
        log.append({"kind": "decision", "allowed": True, "n": n})
    raw = log.path.read_text().replace('"allowed":true,"hash"', '"allowed":false,"hash"', 1)
    log.path.write_text(raw)
    assert "does not match its HMAC" in verify(log.path, key=KEY).problem


def test_close_then_fd_opens_again(tmp_path: Path) -> None:
    path = tmp_path / "f"
    held = HeldFile(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    first = held.fd()
    assert held.fd() == first
    held.close()
    with pytest.raises(OSError):
        os.fstat(first)
    assert held.fd() >= 0 and held.opens == 2


@pytest.mark.parametrize("seq, digest", [(1, "0" * 64), (123456, "ab" * 32), (7, "f00d"), (10**12, "Z9")])
def test_the_spelled_out_head_is_what_the_json_encoder_writes(tmp_path: Path, seq: int, digest: str) -> None:
    expected_mac = KEY.mac(canonical({"domain": "vigil-audit-head-v1", "seq": seq, "hash": digest, "kid": KEY.kid}))
    assert _head_mac(KEY, seq, digest) == expected_mac
    from guardrails.audit import write_head

    head = tmp_path / "h"
    write_head(head, seq, digest, KEY)
    expected = json.dumps({"seq": seq, "hash": digest, "kid": KEY.kid, "mac": expected_mac}, sort_keys=True).encode()
    assert head.read_bytes().rstrip() == expected


@pytest.mark.parametrize("seq, digest", [(True, "ab"), (3.0, "ab"), (4, 'a"b'), (5, "é"), (6, "a b")])
def test_a_head_of_odd_values_takes_the_encoder(tmp_path: Path, seq: object, digest: str) -> None:
    expected_mac = KEY.mac(canonical({"domain": "vigil-audit-head-v1", "seq": seq, "hash": digest, "kid": KEY.kid}))
    assert _head_mac(KEY, seq, digest) == expected_mac  # type: ignore[arg-type]
