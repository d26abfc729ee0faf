"""Screening verdicts computed ahead (guardrails/attested.py): an attested leaf or answer is screened as a
fresh screening screens it (same tree, findings, text, injection report), over the guardrail corpora and
random strings; anything with a finding is never attested; another rule set, key or forged digest attests
nothing; key-dependent redaction still runs on attested values; memory is bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import attested, redaction
from guardrails.action import Action, Actor
from mcp_servers.common.server import ServerGuard

CORPUS = Path(__file__).resolve().parents[1] / "guardrails_text" / "corpus"
TOKEN = "ghp_" + "Zx81Qm4TbV7cLp2RsW9nK3yHa6dFj0uEoG5i"
KEY = attested.verdict_key(b"k" * 32)
OTHER_KEY = attested.verdict_key(b"o" * 32)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    attested.clear()
    redaction._LEAVES.clear()
    yield
    attested.clear()
    redaction._LEAVES.clear()


def _corpus_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*_blind*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return rows


def _corpus_strings() -> list[str]:
    """Every line of the blind rounds' secret and injection corpora and every credential they list (short
    ones): the strings a structured answer could carry, credentials among them."""
    out: list[str] = []
    for row in _corpus_rows():
        out.extend(part for part in row.get("text", "").splitlines() if part)
        out.extend(row.get("secrets") or [])
    return [s for s in dict.fromkeys(out) if len(s) <= attested.MAX_CHARS]


def _attest_leaves(strings: list[str]) -> set[str]:
    clean = {s for s in strings if attested.leaf_clean(s)}
    attested.attest_leaves(KEY, strings, {attested.mac(KEY, attested.LEAF, s) for s in clean})
    return clean


def _fresh_redaction(tree: Any) -> tuple[Any, list[redaction.SecretFinding]]:
    saved = set(attested.CLEAN)
    attested.CLEAN.clear()
    redaction._LEAVES.clear()
    try:
        return redaction.redact_data(tree)
    finally:
        attested.CLEAN.update(saved)


def test_attested_leaves_redact_as_a_fresh_redaction_over_the_corpora() -> None:
    strings = _corpus_strings()
    assert len(strings) > 2000
    clean = _attest_leaves(strings)
    assert 0 < len(clean) < len(strings) and attested.count()[0] == len(clean)
    for s in clean:
        red = redaction.redact_text(s)
        assert red.text == s and not red.findings
    lines = [line for row in _corpus_rows() if row.get("secrets") for line in row["text"].splitlines()
             if any(secret in line for secret in row["secrets"]) and len(line) <= attested.MAX_CHARS]
    found = [line for line in lines if redaction.redact_text(line).findings]
    assert len(found) > 100 and not any(attested.is_clean(line) for line in found), \
        "a line in which a credential is found is never attested"
    tree = {"rows": [{"symbol": s, "file": s, "line": 1} for s in strings]}
    assert redaction.redact_data(tree) == _fresh_redaction(tree)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=8))
def test_attested_random_leaves_redact_as_a_fresh_redaction(strings: list[str]) -> None:
    attested.clear()
    _attest_leaves(strings)
    tree = {"callers": [{"symbol": s, "file": s} for s in strings], "name": strings[0]}
    assert redaction.redact_data(tree) == _fresh_redaction(tree)


def _screen(guard: ServerGuard, text: str) -> tuple[str, int, float, list[Any]]:
    action = Action(actor=Actor(name="t", origin="mcp"), tool="get_callers", arguments={})
    out = guard.pipeline.screen_result(action, text)
    return out.text, out.secrets_redacted, out.injection.score, out.injection.spans


def test_attested_answers_screen_as_a_fresh_screening_over_the_corpora(tmp_path: Path) -> None:
    guard = ServerGuard.for_tests(tmp_path, "codegraph")
    rows = _corpus_rows()
    texts = list(dict.fromkeys(r["text"] for r in rows[::8] if r.get("text")))  # every file's kinds, a sample
    fresh = {t: _screen(guard, t) for t in texts}
    clean = [t for t in texts if attested.answer_clean(t)]
    assert 0 < len(clean) < len(texts)
    for t in clean:  # the verdict says exactly what a fresh screening says
        assert fresh[t] == (t, 0, 0.0, [])
    # A finding is what the screening reports, not a corpus label: a hostile line the scanner misses has
    # no finding, and which lines the every-eighth sample holds shifts as corpora are added.
    found = [t for t in texts if fresh[t] != (t, 0, 0.0, [])]
    assert found and not any(t in clean for t in found), "no text with a finding is attested"
    assert any(r.get("label") in ("hostile", "secret") and r["text"] in found for r in rows)
    attested.attest_answers(KEY, [attested.mac(KEY, attested.ANSWER, t) for t in clean])
    for t in texts:
        assert attested.is_clean_answer(t) == (t in clean)
        assert _screen(guard, t) == fresh[t]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_a_random_text_is_attested_only_when_its_screening_finds_nothing(text: str) -> None:
    red = redaction.redact_text(text)
    from guardrails import injection

    report = injection.scan(text)
    assert attested.answer_clean(text) == (not red.findings and red.text == text and report.score == 0.0
                                           and not report.spans)


def test_another_key_or_a_forged_digest_attests_nothing() -> None:
    text = "3 callers of py:app.db:connect (app/db.py:4):"
    attested.attest_answers(OTHER_KEY, [attested.mac(KEY, attested.ANSWER, text)])
    assert not attested.is_clean_answer(text), "a digest made with another key"
    attested.attest_answers(KEY, [attested.mac(KEY, attested.LEAF, text)])
    assert not attested.is_clean_answer(text), "a leaf verdict is no answer verdict"
    attested.attest_answers(KEY, [attested.mac(KEY, attested.ANSWER, text)])
    assert attested.is_clean_answer(text)
    assert attested.attest_leaves(KEY, [text], {attested.mac(OTHER_KEY, attested.LEAF, text)}) == 0


def test_a_rule_change_invalidates_every_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "redaction.py").write_text("RULES = 1\n")
    (tmp_path / "weights.json").write_text("{}\n")
    text = "app/db.py"
    try:
        monkeypatch.setattr(attested, "_GUARDRAILS", tmp_path)
        attested.fingerprint.cache_clear()
        attested._fingerprint_bytes.cache_clear()
        before = attested.mac(KEY, attested.ANSWER, text)
        attested.attest_answers(KEY, [before])
        assert attested.is_clean_answer(text)
        (tmp_path / "weights.json").write_text('{"w": 1}\n')
        attested.fingerprint.cache_clear()
        attested._fingerprint_bytes.cache_clear()
        assert attested.mac(KEY, attested.ANSWER, text) != before
        assert not attested.is_clean_answer(text), "verdicts of the old rules no longer match"
    finally:
        monkeypatch.undo()
        attested.fingerprint.cache_clear()
        attested._fingerprint_bytes.cache_clear()


def test_a_credential_is_never_attested() -> None:
    assert not attested.leaf_clean(TOKEN) and not attested.leaf_clean(f"py:app:{TOKEN}")
    assert not attested.answer_clean(f"| py:app:{TOKEN} | app/db.py:3 |")
    assert attested.leaf_clean("app/db.py")


def test_key_dependent_judgements_still_run_on_an_attested_value() -> None:
    value = "correct-horse-battery-staple-9"
    assert _attest_leaves([value]) == {value}, "alone, the value is no credential"
    out, findings = redaction.redact_data({"password": value, "env": [{"name": "DB_PASSWORD", "value": value}]})
    assert value not in json.dumps(out)
    assert [f.kind for f in findings] == ["password_assignment", "k8s_env_secret"]


def test_attestation_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attested, "MAX_LEAVES", 3)
    monkeypatch.setattr(attested, "MAX_ANSWERS", 2)
    strings = [f"app/m{i}.py" for i in range(10)] + ["x" * (attested.MAX_CHARS + 1)]
    assert attested.attest_leaves(KEY, strings, {attested.mac(KEY, attested.LEAF, s) for s in strings}) == 3
    assert attested.attest_answers(KEY, [attested.mac(KEY, attested.ANSWER, s) for s in strings]) == 2
    assert attested.count() == (3, 2)
    attested.clear()
    monkeypatch.setattr(attested, "MAX_LEAVES", 100)
    long = "y" * (attested.MAX_CHARS + 1)
    assert attested.attest_leaves(KEY, [long], {attested.mac(KEY, attested.LEAF, long)}) == 0
