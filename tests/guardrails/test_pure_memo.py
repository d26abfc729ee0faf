"""The cross-call memo of leaf redaction (guardrails/pure_memo.py): the same tree and findings as a fresh
`redact_text` of every string, second time as first; bounded in entries and string length; safe under threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from guardrails import redaction
from guardrails.pure_memo import PureMemo

TOKEN = "ghp_" + "Zx81Qm4TbV7cLp2RsW9nK3yHa6dFj0uEoG5i"
AWS = "AKIA" + "QYLPMN5HHHFPZAM2"


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    redaction._LEAVES.clear()
    yield
    redaction._LEAVES.clear()


def _tree() -> dict[str, object]:
    return {"symbol": "py:app.db:connect", "file": "app/db.py", "callers": [
        {"symbol": "py:app.api:login", "file": "app/api.py", "line": 3, "note": f"token={TOKEN}"},
        {"symbol": "py:app.cli:main", "file": "app/db.py", "line": 9, "note": f"key {AWS} in a comment"}],
        "password": "hunter2-but-longer", "left_out": 0}


def test_a_remembered_tree_is_redacted_as_a_fresh_one_with_the_same_findings() -> None:
    first, found_first = redaction.redact_data(_tree())
    assert redaction._LEAVES.misses > 0 and redaction._LEAVES.hits == 0
    second, found_second = redaction.redact_data(_tree())
    assert redaction._LEAVES.hits == 5, "the second tree's five strings without a secret come from the memo"
    assert first == second and found_first == found_second
    assert TOKEN not in str(second) and AWS not in str(second) and "hunter2" not in str(second)
    assert [f.kind for f in found_second].count("password_assignment") == 1
    # and what the memo answers is what redact_text itself says of each string
    for note in (f"token={TOKEN}", f"key {AWS} in a comment", "app/db.py"):
        assert redaction._LEAVES(note) == redaction.redact_text(note)


def test_a_string_that_held_a_secret_is_not_kept_and_is_counted_in_every_tree() -> None:
    tree = {"rows": [{"note": f"token={TOKEN}", "file": "app/db.py"}]}
    counts = [len(redaction.redact_data(tree)[1]) for _ in range(3)]
    assert counts == [1, 1, 1]
    assert len(redaction._LEAVES) == 1, "only the path is remembered, never the credential"
    assert redaction._LEAVES.hits == 2 and redaction._LEAVES.misses == 4


def test_entries_and_string_length_are_bounded() -> None:
    calls: list[str] = []

    def upper(s: str) -> str:
        calls.append(s)
        return s.upper()

    memo = PureMemo(upper, max_entries=3, max_chars=5)
    for s in ("a", "b", "c", "d"):
        assert memo(s) == s.upper()
    assert len(memo) == 3
    memo("a")  # the oldest was dropped: computed again
    assert calls.count("a") == 2
    memo("d")
    assert calls.count("d") == 1
    long = "x" * 6
    memo(long)
    memo(long)
    assert calls.count(long) == 2, "a string over max_chars is never kept"
    with pytest.raises(ValueError):
        PureMemo(str.upper, max_entries=0)


def test_keep_decides_which_answers_are_remembered() -> None:
    calls: list[str] = []

    def shout(s: str) -> str:
        calls.append(s)
        return s.upper()

    memo = PureMemo(shout, keep=lambda answer: "X" not in answer)
    for s in ("ab", "xy", "ab", "xy"):
        assert memo(s) == s.upper()
    assert calls == ["ab", "xy", "xy"] and len(memo) == 1


def test_threads_share_one_memo_within_its_bound() -> None:
    memo = PureMemo(str.upper, max_entries=50, max_chars=16)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(2000):
                s = f"s{(i * 7 + offset) % 300}"
                assert memo(s) == s.upper()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(memo) <= 50
