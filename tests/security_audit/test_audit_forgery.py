"""An attacker who can write the audit log but does not hold its key cannot forge, edit or hide records.

Real files, the real writer and verifier; the attacker knows the log format (it is documented) and
rebuilds the chain the way an unkeyed log would have been built.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from guardrails.audit import GENESIS, AuditKey, AuditLog, canonical, verify

KEY = AuditKey(b"k" * 32, "test key")
OTHER = AuditKey(b"x" * 32, "another key")


def _log(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl", key=KEY)
    for i in range(n):
        log.append({"kind": "decision", "tool": "k8s_get", "allowed": True, "i": i})
    return log


def _sha_rechain(records: list[dict]) -> list[bytes]:
    """What a forger without the key can do: recompute every link with plain SHA-256."""
    prev, out = GENESIS, []
    for seq, record in enumerate(records, start=1):
        body = {k: v for k, v in record.items() if k != "hash"}
        body.update(seq=seq, prev=prev)
        body = json.loads(canonical(body))
        prev = hashlib.sha256(canonical(body)).hexdigest()
        out.append(canonical({**body, "hash": prev}) + b"\n")
    return out


def test_an_appended_record_with_a_recomputed_chain_is_refused(tmp_path):
    log = _log(tmp_path)
    records = list(log.records())
    forged = {**records[-1], "i": 99, "reason": "never happened"}
    with open(log.path, "ab") as f:
        f.write(_sha_rechain([*records, forged])[-1])
    result = verify(log.path, KEY)
    assert not result.ok and "line 6" in result.problem


def test_an_edit_rechained_with_a_rewritten_head_is_refused(tmp_path):
    log = _log(tmp_path)
    records = list(log.records())
    records[1]["allowed"] = False
    lines = _sha_rechain([{k: v for k, v in r.items() if k != "kid"} for r in records])
    log.path.write_bytes(b"".join(lines))
    last = json.loads(lines[-1])
    log.head_path.write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))
    # Without the key the only self-consistent rewrite is an unkeyed one: it is reported as legacy,
    # never as a keyed, intact log, and refused where keyed records are required.
    result = verify(log.path, KEY)
    assert result.keyed == "unkeyed (legacy)" and "rebuilt" in result.warning
    assert not verify(log.path, KEY, require_keyed=True).ok
    # Keeping the signed head of the real log does not help either.
    log2 = _log(tmp_path / "b")
    signed_head = log2.head_path.read_text()
    log2.path.write_bytes(b"".join(lines))
    log2.head_path.write_text(signed_head)
    result = verify(log2.path, KEY)
    assert not result.ok and "head" in result.problem


def test_keeping_kid_but_rechaining_fails_on_the_first_edited_record(tmp_path):
    log = _log(tmp_path)
    records = list(log.records())
    records[2]["reason"] = "edited"
    log.path.write_bytes(b"".join(_sha_rechain(records)))
    result = verify(log.path, KEY)
    assert not result.ok and result.first_bad_line == 1 and "HMAC" in result.problem


def test_an_emptied_log_without_its_head_is_not_intact(tmp_path):
    log = _log(tmp_path)
    log.path.write_bytes(b"")
    log.head_path.unlink()
    result = verify(log.path, KEY)
    assert not result.ok and "head" in result.problem and "empty log" in result.problem


def test_an_emptied_log_with_a_hand_written_unsigned_head_is_not_intact(tmp_path):
    log = _log(tmp_path)
    log.path.write_bytes(b"")
    log.head_path.write_text(json.dumps({"seq": 0, "hash": GENESIS}))
    assert not verify(log.path, KEY).ok


def test_a_wrong_key_is_named_as_such_not_as_tampering(tmp_path):
    log = _log(tmp_path)
    result = verify(log.path, OTHER)
    assert not result.ok and "wrong key" in result.problem and KEY.kid in result.problem


def test_no_key_configured_for_a_keyed_log_is_said_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("VIGIL_AUDIT_KEY_FILE", raising=False)
    log = _log(tmp_path)
    result = verify(log.path)  # no key given, none in the environment, none generated beside the log
    assert not result.ok and "no key is configured" in result.problem


def test_the_key_is_never_written_to_the_log_or_head(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_AUDIT_KEY", "s3cret-audit-key-material-0123456789")
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append({"kind": "decision"})
    assert b"s3cret-audit-key" not in log.path.read_bytes() + log.head_path.read_bytes()
    assert verify(log.path).ok and "keyed" in verify(log.path).keyed
    assert not (tmp_path / "audit.key").exists(), "a configured key means nothing is generated"


def test_a_key_is_generated_beside_the_log_only_when_none_is_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("VIGIL_AUDIT_KEY_FILE", raising=False)
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append({"kind": "decision"})
    key_file = tmp_path / "audit.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert verify(log.path).ok


def test_a_too_short_key_is_refused_with_the_fix(tmp_path, monkeypatch):
    from guardrails.audit import AuditKeyError

    monkeypatch.setenv("VIGIL_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyError, match="at least 16"):
        AuditLog(tmp_path / "audit.jsonl").append({"kind": "x"})


def test_a_legacy_unkeyed_log_still_verifies_and_says_so(tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = _sha_rechain([{"kind": "decision", "i": i} for i in range(3)])
    path.write_bytes(b"".join(lines))
    last = json.loads(lines[-1])
    path.with_name("audit.jsonl.head").write_text(json.dumps({"seq": 3, "hash": last["hash"]}))
    result = verify(path, KEY)
    assert result.ok and result.keyed == "unkeyed (legacy)"
    AuditLog(path, key=KEY).append({"kind": "decision", "i": 3})  # a current writer continues it, keyed
    result = verify(path, KEY)
    assert result.ok and result.records == 4 and "then keyed" in result.keyed
    # ...after which an unkeyed record can no longer be slipped in.
    forged = _sha_rechain([json.loads(x) for x in path.read_bytes().splitlines()] + [{"kind": "forged"}])[-1]
    with open(path, "ab") as f:
        f.write(forged)
    assert not verify(path, KEY).ok


def test_concurrent_threads_share_syncs_and_each_gets_its_own_record(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", key=KEY)
    seqs: list[int] = []

    def writer(n: int) -> None:
        for i in range(n):
            seqs.append(log.append({"kind": "t", "i": i})["seq"])

    threads = [threading.Thread(target=writer, args=(25,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(log.path, KEY)
    assert result.ok and result.records == 200
    assert sorted(seqs) == list(range(1, 201))
    assert log.groups < 200, "records written while another group synced share its successor's sync"


def _rollback_attack(tmp_path: Path, anchor: str) -> tuple[Path, str]:
    """Keep a copy of the log and its head after 3 records, write 3 more, put the copy back."""
    log = AuditLog(tmp_path / "audit.jsonl", key=KEY, anchor=anchor, anchor_every_seconds=0)
    for i in range(3):
        log.append({"kind": "decision", "i": i})
    saved = (log.path.read_bytes(), log.head_path.read_bytes())
    for i in range(3, 6):
        log.append({"kind": "decision", "i": i, "allowed": False, "reason": "the denial someone wants gone"})
    assert not log.anchor_error
    log.path.write_bytes(saved[0])
    log.head_path.write_bytes(saved[1])
    return log.path, anchor


def test_a_rollback_to_an_older_consistent_state_is_caught_by_the_anchor(tmp_path):
    path, anchor = _rollback_attack(tmp_path, str(tmp_path / "elsewhere" / "anchors.db"))
    assert verify(path, KEY).ok, "without the anchor the older state is genuine and cannot be told apart"
    result = verify(path, KEY, anchor=anchor)
    assert not result.ok and "rolled back" in result.problem and "6 records" in result.problem


def test_a_replaced_log_of_the_same_length_is_caught_by_the_anchor(tmp_path):
    anchor = str(tmp_path / "elsewhere" / "anchors.db")
    log = AuditLog(tmp_path / "audit.jsonl", key=KEY, anchor=anchor, anchor_every_seconds=0)
    for i in range(3):
        log.append({"kind": "decision", "i": i})
    other = AuditLog(tmp_path / "other" / "audit.jsonl", key=KEY)  # a key holder's second, different log
    for i in range(3):
        other.append({"kind": "decision", "i": i, "note": "different"})
    log.path.write_bytes(other.path.read_bytes())
    log.head_path.write_bytes(other.head_path.read_bytes())
    result = verify(log.path, KEY, anchor=anchor)
    assert not result.ok and "differs from the one anchored" in result.problem


def test_anchors_in_postgresql(tmp_path, request):
    from tests.frontdoors.conftest import PG_BIN

    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are absent")
    url = request.getfixturevalue("postgres_url")
    path, anchor = _rollback_attack(tmp_path, url)
    result = verify(path, KEY, anchor=anchor)
    assert not result.ok and "rolled back" in result.problem


def test_vigil_audit_verify_tells_a_wrong_key_from_tampering(tmp_path):
    """The CLI as an operator runs it: exit 0 intact, 2 for a key problem, 1 for tampering."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    (tmp_path / "key").write_text("k" * 32)
    log = AuditLog(tmp_path / "audit.jsonl", key_file=tmp_path / "key")
    log.append({"kind": "decision"})

    def vigil(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).with_name("vigil")), "audit", "verify", str(log.path), *args],
                              cwd=tmp_path, env={**env, **extra}, capture_output=True, text=True, timeout=60)

    ok = vigil("--key-file", str(tmp_path / "key"))
    assert ok.returncode == 0 and "keyed (key id" in ok.stdout
    wrong = vigil(VIGIL_AUDIT_KEY="x" * 32)
    assert wrong.returncode == 2 and "wrong key" in wrong.stderr
    log.head_path.unlink()
    missing = vigil("--key-file", str(tmp_path / "key"))
    assert missing.returncode == 1 and "head file" in missing.stderr


def test_a_writer_with_another_key_refuses_instead_of_breaking_the_chain(tmp_path):
    log = _log(tmp_path, 2)
    with pytest.raises(OSError, match="same key"):
        AuditLog(log.path, key=OTHER).append({"kind": "decision"})
    assert verify(log.path, KEY).ok and verify(log.path, KEY).records == 2
