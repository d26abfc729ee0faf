"""The canary search reads the state directory as a consistent set even while SQLite tidies it.

SQLite deletes a database's `-shm`/`-wal` files when its last connection closes. A held-out run
once listed `usage.db-shm`, lost it before reading it, and scored the case as an error. Here a real
file really vanishes between the listing and the read (the read of it unlinks it first, as a
closing connection would), and the search must still return every file that exists, contents
included, without raising.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.eval.runner import _state_files


def test_a_file_that_vanishes_mid_read_is_read_again_as_a_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "usage.db").write_bytes(b"pages with VIGIL-CANARY-x")
    shm = state / "usage.db-shm"
    shm.write_bytes(b"shared memory")
    real_read = Path.read_bytes
    vanished: list[Path] = []

    def read_bytes(self: Path) -> bytes:
        if self.name.endswith("-shm") and not vanished:
            self.unlink()  # the last connection closes between the listing and this read
            vanished.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    files = _state_files(state)
    assert vanished == [shm]
    assert files == {"state usage.db": b"pages with VIGIL-CANARY-x"}


def test_a_directory_that_keeps_changing_is_an_error_not_a_partial_read(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    state.mkdir()

    def read_bytes(self: Path) -> bytes:
        raise FileNotFoundError(self)

    (state / "audit.jsonl").write_text("{}")
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(RuntimeError, match="kept vanishing"):
        _state_files(state)


def test_a_missing_state_directory_has_no_files(tmp_path: Path) -> None:
    assert _state_files(tmp_path / "absent") == {}
