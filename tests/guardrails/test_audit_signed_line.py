"""The audit writer serialises each record once less than before (`_signed_line`) and writes the
same bytes: `canonical(sign_record(body, key))`, the same record back, and a chain `verify`
accepts. Bodies with keys on both sides of `hash` or only above it, non-ASCII keys and values,
nested integer keys (reordered by the JSON round trip), tuples, and values JSON cannot hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.audit import AuditKey, AuditLog, _signed_line, canonical, sign_record, verify

KEY = AuditKey(b"k" * 32, "test")


def _before(body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """What the writer did before: sign, then serialise the signed record again."""
    record = sign_record(body, KEY)
    return record, canonical(record)


@pytest.mark.parametrize("body", [
    {"kind": "decision", "seq": 1, "prev": "0" * 64, "arguments": {"symbol": "py:a:b"}, "allowed": True},
    {"kind": "x", "seq": 3, "prev": "p"},  # no key below `hash`
    {"has": 1, "hasi": 2, "hash_x": 3, "H": 4, "Z": 5, "_x": 6, "é": "ü", "seq": 4, "prev": "p"},
    {"nested": {10: "a", 9: "b"}, "t": (1, 2), "when": dt.datetime(2026, 12, 4, tzinfo=dt.UTC), "seq": 5,
     "prev": "p", "f": 1.5, "none": None},
])
def test_the_line_and_record_are_what_the_writer_made_before(body: dict[str, Any]) -> None:
    record, line = _signed_line(body, KEY)
    assert (record, line) == _before(body)
    assert json.loads(line) == record


_KEYS = st.text(alphabet=st.sampled_from("abcghijkstz_HZé"), min_size=1, max_size=6).filter(
    lambda k: k not in ("hash", "kid"))
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=8))
def test_any_body_signs_to_the_same_bytes(body: dict[str, Any]) -> None:
    assert _signed_line(body, KEY) == _before(body)


def test_a_log_written_this_way_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", key=KEY)
    for i in range(5):
        log.append({"kind": "decision", "tool": "get_callers", "arguments": {"symbol": f"s{i}"}}, durable=i % 2 == 0)
    log.append({"kind": "result", "tool": "get_callers"})
    result = verify(tmp_path / "audit.jsonl", key=KEY)
    assert result.ok and result.records == 6, result.problem
