"""Strings attested clean for redaction (guardrails/attested.py): a structure redacted with attested leaves
is the structure a fresh redaction gives, with the same findings, over the guardrail corpora's strings and
random ones; another rule-set fingerprint attests nothing; key-dependent judgements still run; bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import attested, redaction

CORPUS = Path(__file__).resolve().parents[1] / "guardrails_text" / "corpus"
TOKEN = "ghp_" + "Zx81Qm4TbV7cLp2RsW9nK3yHa6dFj0uEoG5i"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    attested.clear()
    redaction._LEAVES.clear()
    yield
    attested.clear()
    redaction._LEAVES.clear()


def _corpus_strings() -> list[str]:
    """Every line of the blind rounds' secret and injection corpora and every credential they list (short
    ones): the strings a structured answer could carry, credentials among them."""
    out: list[str] = []
    for path in sorted(CORPUS.glob("*_blind*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            out.extend(part for part in row.get("text", "").splitlines() if part)
            out.extend(row.get("secrets") or [])
    return [s for s in dict.fromkeys(out) if len(s) <= attested.MAX_CHARS]


def _fresh_redaction(tree: Any) -> tuple[Any, list[redaction.SecretFinding]]:
    saved = set(attested.CLEAN)
    attested.clear()
    redaction._LEAVES.clear()
    try:
        return redaction.redact_data(tree)
    finally:
        attested.attest(attested.fingerprint(), saved)


def test_attested_leaves_redact_as_a_fresh_scan_over_the_corpora() -> None:
    strings = _corpus_strings()
    assert len(strings) > 2000
    clean = attested.clean_of(strings)
    assert 0 < len(clean) < len(strings), "the corpora hold credentials, which are never attested"
    for s in clean:
        red = redaction.redact_text(s)
        assert red.text == s and not red.findings
    assert attested.attest(attested.fingerprint(), clean) == len(clean)
    tree = {"rows": [{"symbol": s, "file": s, "line": 1} for s in strings]}
    assert redaction.redact_data(tree) == _fresh_redaction(tree)
    held = [s for s in strings if s not in set(clean)]
    assert any(TOKEN[:4] in s or "AKIA" in s for s in held), "a credential is not attested"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=8))
def test_attested_random_strings_redact_as_a_fresh_scan(strings: list[str]) -> None:
    attested.clear()
    attested.attest(attested.fingerprint(), attested.clean_of(strings))
    tree = {"callers": [{"symbol": s, "file": s} for s in strings], "name": strings[0]}
    assert redaction.redact_data(tree) == _fresh_redaction(tree)


def test_a_credential_is_never_attested() -> None:
    assert attested.clean_of([TOKEN, f"py:app:{TOKEN}", "app/db.py"]) == ["app/db.py"]


def test_another_rule_set_fingerprint_attests_nothing() -> None:
    assert attested.attest("0" * 64, ["app/db.py"]) == 0
    assert not attested.is_clean("app/db.py")
    assert attested.attest(attested.fingerprint(), ["app/db.py"]) == 1
    assert attested.is_clean("app/db.py")


def test_the_fingerprint_covers_the_rule_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "redaction.py").write_text("RULES = 1\n")
    (tmp_path / "weights.json").write_text("{}\n")
    monkeypatch.setattr(attested, "_GUARDRAILS", tmp_path)
    attested.fingerprint.cache_clear()
    try:
        before = attested.fingerprint()
        (tmp_path / "weights.json").write_text('{"w": 1}\n')
        attested.fingerprint.cache_clear()
        assert attested.fingerprint() != before, "a changed data file is another rule set"
        (tmp_path / "weights.json").write_text("{}\n")
        attested.fingerprint.cache_clear()
        assert attested.fingerprint() == before
    finally:
        monkeypatch.undo()
        attested.fingerprint.cache_clear()


def test_key_dependent_judgements_still_run_on_an_attested_value() -> None:
    value = "correct-horse-battery-staple-9"
    assert attested.clean_of([value]) == [value], "alone, the value is no credential"
    attested.attest(attested.fingerprint(), [value])
    out, findings = redaction.redact_data({"password": value, "env": [{"name": "DB_PASSWORD", "value": value}]})
    assert value not in json.dumps(out)
    assert [f.kind for f in findings] == ["password_assignment", "k8s_env_secret"]


def test_attestation_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attested, "MAX_ATTESTED", 3)
    added = attested.attest(attested.fingerprint(), [f"app/m{i}.py" for i in range(10)] + ["x" * 300])
    assert added == 3 and attested.count() == 3
    attested.clear()
    monkeypatch.setattr(attested, "MAX_ATTESTED", 100)
    assert attested.attest(attested.fingerprint(), ["x" * (attested.MAX_CHARS + 1), "ok.py"]) == 1
    assert attested.clean_of(["y" * (attested.MAX_CHARS + 1)]) == []
