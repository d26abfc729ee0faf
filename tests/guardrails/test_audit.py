"""The audit log is tamper-evident: any single edit, deletion, reordering or truncation is found."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.audit import AuditLog, verify

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write_log(directory: Path, events: list[dict]) -> Path:
    log = AuditLog(directory / "audit.jsonl", fsync=False)
    for event in events:
        log.append(event)
    return log.path


events_strategy = st.lists(
    st.fixed_dictionaries({
        "tool": st.sampled_from(["k8s_get", "prom_query", "propose_change"]),
        "allowed": st.booleans(),
        "reason": st.text(min_size=0, max_size=30),
    }),
    min_size=2, max_size=12,
)


def _fresh_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audit")


@SETTINGS
@given(events=events_strategy)
def test_untouched_log_always_verifies(tmp_path_factory, events):
    path = _write_log(_fresh_dir(tmp_path_factory), events)
    result = verify(path)
    assert result.ok, result.problem
    assert result.records == len(events)


@SETTINGS
@given(events=events_strategy, data=st.data())
def test_any_single_byte_modification_is_detected(tmp_path_factory, events, data):
    path = _write_log(_fresh_dir(tmp_path_factory), events)
    raw = bytearray(path.read_bytes())
    position = data.draw(st.integers(0, len(raw) - 2))  # the final newline is covered by truncation
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    raw[position] = replacement
    path.write_bytes(bytes(raw))
    assert not verify(path).ok


@SETTINGS
@given(events=events_strategy, data=st.data())
def test_deleting_any_record_is_detected(tmp_path_factory, events, data):
    path = _write_log(_fresh_dir(tmp_path_factory), events)
    lines = path.read_bytes().splitlines(keepends=True)
    del lines[data.draw(st.integers(0, len(lines) - 1))]
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert not result.ok
    assert result.problem


@SETTINGS
@given(events=events_strategy, data=st.data())
def test_reordering_records_is_detected(tmp_path_factory, events, data):
    path = _write_log(_fresh_dir(tmp_path_factory), events)
    lines = path.read_bytes().splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 2))
    j = data.draw(st.integers(i + 1, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    path.write_bytes(b"".join(lines))
    assert not verify(path).ok


@SETTINGS
@given(events=events_strategy, data=st.data())
def test_truncation_anywhere_is_detected(tmp_path_factory, events, data):
    path = _write_log(_fresh_dir(tmp_path_factory), events)
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1))
    path.write_bytes(raw[:cut])
    assert not verify(path).ok


def test_problem_names_the_first_bad_record(tmp_path):
    path = _write_log(tmp_path, [{"n": i} for i in range(5)])
    lines = path.read_text().splitlines(keepends=True)
    record = json.loads(lines[2])
    record["n"] = 99
    lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    path.write_text("".join(lines))
    result = verify(path)
    assert not result.ok
    assert result.first_bad_line == 3
    assert "seq 3" in result.problem and "modified" in result.problem


def test_missing_head_file_fails_verification(tmp_path):
    path = _write_log(tmp_path, [{"n": 1}])
    path.with_name(path.name + ".head").unlink()
    result = verify(path)
    assert not result.ok and "head" in result.problem


def _append_forever(path: str) -> None:
    log = AuditLog(path)
    i = 0
    while True:
        log.append({"kind": "test", "i": i, "padding": "x" * 500})
        i += 1


def test_sigkill_mid_append_leaves_verifiable_log_and_next_writer_recovers(tmp_path):
    path = tmp_path / "audit.jsonl"
    code = f"from tests.guardrails.test_audit import _append_forever; _append_forever({str(path)!r})"
    root = Path(__file__).resolve().parents[2]
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=root)
        deadline = time.monotonic() + 10
        while (not path.exists() or path.stat().st_size < 20_000) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        result = verify(path)
        assert result.ok, result.problem
        assert result.records > 10
    before = verify(path).records
    AuditLog(path).append({"kind": "after-crash"})
    after = verify(path)
    assert after.ok and after.records == before + 1
    assert not after.warning


def _concurrent_writer(path: str, n: int) -> None:
    log = AuditLog(path, fsync=False)
    for i in range(n):
        log.append({"kind": "test", "pid": os.getpid(), "i": i})


def test_concurrent_writers_keep_one_valid_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_concurrent_writer, args=(str(path), 100)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    result = verify(path)
    assert result.ok, result.problem
    assert result.records == 400


def _group_forever(path: str) -> None:
    """Eight threads appending fsynced records to one log, so the kill lands inside a group."""
    log = AuditLog(path)  # its key is generated beside the log, where the verifier finds it

    def loop(t: int) -> None:
        i = 0
        while True:
            record = log.append({"kind": "test", "t": t, "i": i, "padding": "x" * 300})
            with open(path + f".acked.{t}", "a") as f:  # what the caller was told is durable
                f.write(f"{record['seq']}\n")
            i += 1

    for t in range(8):
        threading.Thread(target=loop, args=(t,), daemon=True).start()
    time.sleep(3600)


def test_sigkill_during_a_group_leaves_durable_records_that_verify(tmp_path):
    path = tmp_path / "audit.jsonl"
    root = Path(__file__).resolve().parents[2]
    code = f"from tests.guardrails.test_audit import _group_forever; _group_forever({str(path)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root)
    deadline = time.monotonic() + 20
    while (not path.exists() or path.stat().st_size < 60_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    result = verify(path)
    assert result.ok, result.problem
    acked = [int(x) for f in tmp_path.glob("audit.jsonl.acked.*") for x in f.read_text().split()]
    assert acked and max(acked) <= result.records, "every acknowledged record survived and verifies"
    after = AuditLog(path)
    after.append({"kind": "after-crash"})
    assert verify(path).ok
