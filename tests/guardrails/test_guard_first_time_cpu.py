"""The first-time-answer speed-ups of the guard (issue #17) answer exactly what the plain way answers.

- The token-run gate (guardrails/secret_runs.py): derived from the formats' patterns; a format it
  gates never matches a text without a run, on the corpora, on every format's own examples and on
  random strings (the superset property); and `redact_text` gives the same text and findings with
  the gate and without it.
- `credential_key` remembered: the same kind as `_credential_key`, bounded, long names not kept.
- `redact_data`'s walk with strings and scalars handled in the dict's loop: the same tree and
  findings as the former walk (kept here as the reference), on random trees.
- `is_json_native` with scalars judged in the container's loop: the same answer as the former one.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import redaction, secret_runs
from guardrails.decision_memo import is_json_native
from guardrails.secret_shapes import KeyKind, _credential_key, _remembered_key, credential_key

CORPUS = Path(__file__).resolve().parents[1] / "guardrails_text" / "corpus"


def _corpus_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


TEXTS = _corpus_texts()
SECRETS = [json.loads(line)["secret"] for path in sorted(CORPUS.glob("secrets*.jsonl"))
           for line in path.read_text(encoding="utf-8").splitlines()
           if line.strip() and isinstance(json.loads(line).get("secret"), str)]
GATED = [fmt for fmt in redaction.FORMATS if secret_runs.gated(fmt.patterns)]
RUN_ALPHABET = "AKSGbcde0123456789+/=_-.: \n\"'@x$"


def _strings() -> list[str]:
    """Corpus texts, their words and lines (the short strings of structured data), secrets, random runs."""
    rng = random.Random(17)
    out = list(TEXTS) + SECRETS
    for text in TEXTS:
        out += text.split() + text.splitlines()
    out += ["".join(rng.choice(RUN_ALPHABET) for _ in range(rng.randint(1, 80))) for _ in range(3000)]
    return sorted(set(out))


STRINGS = _strings()


# -- the token-run gate ------------------------------------------------------------------------------


def test_the_gate_is_read_from_the_patterns_and_covers_the_unhinted_formats() -> None:
    names = {fmt.name for fmt in GATED}
    # the formats every string used to run (no hint to wait for) are the ones the gate was made for
    assert {"base64_credentials", "discord_bot_token", "telegram_bot_token", "vendor_prefixed_token",
            "nkey_seed", "crypto_wallet_key", "ably_api_key", "unleash_api_token"} <= names
    assert len(GATED) < len(redaction.FORMATS)  # formats written otherwise are left alone


@pytest.mark.parametrize(("pattern", "gated"), [
    (r"[A-Za-z0-9]{16}", True),
    (r"xoxb-(?P<s>[a-z0-9\-]{20,})", True),  # through a plain group
    (r"[A-Za-z0-9]{15}", False),  # too short a run
    (r"(?i)[a-z0-9]{20}", False),  # IGNORECASE: [a-z] matches U+017F and U+212A too
    (r"(?i:[a-z0-9]{20})", False),  # scoped IGNORECASE
    (r"a|[A-Za-z0-9]{20}", False),  # an alternative without the run
    (r"(?:x[A-Za-z0-9]{20})?", False),  # optional
    (r"\w{20}", False),  # a category: Unicode letters are outside the class
    (r"[^\s]{20}", False),  # a negated class
    (r"[A-Za-z0-9.]{20}", False),  # '.' is outside the class
    (r"(?=[A-Za-z0-9]{20})", False),  # a look-ahead is not part of the match
])
def test_pattern_analysis(pattern: str, gated: bool) -> None:
    assert secret_runs.pattern_needs_run(re.compile(pattern)) is gated


def _gated_match_without_run(text: str) -> str | None:
    for fmt in GATED:
        for pattern in fmt.patterns:
            for m in pattern.finditer(text):
                if secret_runs.RUN_RE.search(m.group()) is None:
                    return f"{fmt.name} matched {m.group()!r} without a run"
    return None


def test_no_gated_format_matches_without_a_run_on_the_corpora_and_examples() -> None:
    """The superset property on every corpus text, its words and lines, every listed secret and random strings:
    whatever a gated format matches holds a run, so a text without one holds no match."""
    for text in STRINGS:
        assert _gated_match_without_run(text) is None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from([*RUN_ALPHABET, "ſ", "K", "é", "٣"]), max_size=120))
def test_no_gated_format_matches_without_a_run_on_random_text(text: str) -> None:
    assert _gated_match_without_run(text) is None


def _redacted(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    red = redaction.redact_text(text)
    return red.text, [(f.kind, f.start, f.end) for f in red.findings]


def test_redaction_is_the_same_with_and_without_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    with_gate = [_redacted(text) for text in STRINGS]
    monkeypatch.setattr(redaction, "_run_gated", lambda: frozenset())
    without = [_redacted(text) for text in STRINGS]
    assert with_gate == without
    assert sum(1 for text, _ in with_gate if "[REDACTED:" in text) > 300  # the corpora's secrets are found


def test_the_gate_skips_formats_only_where_no_run_is() -> None:
    assert secret_runs.RUN_RE.search("py:encodings.cp1250:getregentry") is None
    assert secret_runs.RUN_RE.search("MTA4NzYzNDU2Nzg5MDEyMzQ1Ng") is not None
    token = "MTA4NzYzNDU2Nzg5MDEyMzQ1Ng.GhIjKl.abcdefghijklmnopqrstuvwxyz0123"  # Discord bot token shape
    assert "[REDACTED:" in redaction.redact_text(f"DISCORD={token}").text


# -- credential_key ----------------------------------------------------------------------------------


def test_remembered_credential_key_answers_as_afresh() -> None:
    names = {w.strip("\"'`:=") for text in TEXTS for w in re.split(r"[\s,;{}()\[\]]+", text) if w}
    names |= {"password", "DB_PASS", "apiToken", "secret_name", "token_url", "page_token", "PublicKey", "SecretID"}
    for name in sorted(names):
        assert credential_key(name) is _credential_key(name), name
    assert credential_key("DB_PASSWORD") is KeyKind.PASSWORD


def test_credential_key_memo_is_bounded_and_keeps_no_long_name() -> None:
    assert _remembered_key.cache_info().maxsize == 4096
    before = _remembered_key.cache_info().currsize
    long_name = "x_" * 100 + "password"
    assert credential_key(long_name) is _credential_key(long_name)
    assert _remembered_key.cache_info().currsize == before  # judged, not kept
    for i in range(5000):
        credential_key(f"key_{i}")
    assert _remembered_key.cache_info().currsize <= 4096


# -- redact_data's walk ------------------------------------------------------------------------------


def _reference_walk(value: Any, findings: list[redaction.SecretFinding], seen: dict[str, Any]) -> Any:
    """`redaction._walk` as it was before strings and scalars were handled in the dict's loop."""
    if isinstance(value, str):
        red = seen.get(value)
        if red is None:
            red = seen[value] = redaction.redact_text(value)
        findings.extend(red.findings)
        return red.text
    if isinstance(value, list | tuple):
        return [_reference_walk(v, findings, seen) for v in value]
    if not isinstance(value, dict):
        return value
    secret_object = redaction._is_secret_object(value)
    env_name = value.get("name") if isinstance(value.get("name"), str) else None
    out: dict[Any, Any] = {}
    for key, item in value.items():
        skey = str(key)
        if secret_object and skey in ("data", "stringData") and isinstance(item, dict):
            out[key] = {k: redaction._whole("k8s_secret_data", v, findings) for k, v in item.items()}
        elif skey == "metadata" and secret_object and isinstance(item, dict):
            meta_findings: list[redaction.SecretFinding] = []
            out[key] = redaction._secret_metadata(item, meta_findings, {})
            findings.extend(meta_findings)
        elif isinstance(item, str) and redaction._sensitive_pair(skey, item):
            kind = "password_assignment" if _credential_key(skey) is KeyKind.PASSWORD else "secret_assignment"
            out[key] = redaction._whole(kind, item, findings)
        elif (skey == "value" and isinstance(item, str) and env_name is not None and item
              and not redaction._is_placeholder(item) and redaction._env_value_sensitive(env_name, item)):
            out[key] = redaction._whole("k8s_env_secret", item, findings)
        else:
            out[key] = _reference_walk(item, findings, seen)
    return out


KEYS = st.sampled_from(["password", "token", "name", "value", "apiKey", "db_pass", "symbol", "file", "line",
                        "kind", "data", "stringData", "metadata", "secret_name", "callers", 3, True])
LEAVES = st.one_of(st.sampled_from(TEXTS[:400] + SECRETS[:200] + ["Secret", "DB_PASSWORD", "hunter2hunter2", ""]),
                   st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
TREES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                     st.dictionaries(KEYS, inner, max_size=5)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_redact_data_walk_is_the_former_walk(tree: Any) -> None:
    got, found = redaction.redact_data(tree)
    want_findings: list[redaction.SecretFinding] = []
    want = _reference_walk(tree, want_findings, {})
    assert got == want
    assert [(f.kind, f.start, f.end) for f in found] == [(f.kind, f.start, f.end) for f in want_findings]


def test_redact_data_still_redacts_secrets_and_keeps_scalars() -> None:
    tree = {"kind": "Secret", "apiVersion": "v1", "data": {"a": "YWJj"},
            "rows": [{"symbol": "py:a:b", "line": 3, "ok": True, "x": None, "ratio": 0.5, "password": "hunter2!x"},
                     {"name": "DB_PASSWORD", "value": "s3cr3t-Value-9"}]}
    out, findings = redaction.redact_data(tree)
    assert out["data"] == {"a": "[REDACTED:k8s_secret_data]"}
    row = out["rows"][0]
    assert (row["symbol"], row["line"], row["ok"], row["x"], row["ratio"]) == ("py:a:b", 3, True, None, 0.5)
    assert row["password"] == "[REDACTED:password_assignment]"
    assert out["rows"][1]["value"].startswith("[REDACTED:")
    assert len(findings) == 3


# -- is_json_native ----------------------------------------------------------------------------------


def _reference_native(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind in (str, int, float, bool, type(None)):
        return True
    if depth > 16:
        return False
    if kind is list:
        return all(_reference_native(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(k) is str and _reference_native(v, depth + 1) for k, v in value.items())
    return False


class _Str(str):
    pass


NATIVE = st.recursive(
    st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
              st.just(_Str("s")), st.just(b"b"), st.just((1, 2))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=3), st.integers()),
                                                                          inner, max_size=4)),
    max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(NATIVE)
def test_is_json_native_is_the_former_check(value: Any) -> None:
    assert is_json_native(value) is _reference_native(value)


def test_is_json_native_depth_limit() -> None:
    deep: Any = 1
    for _ in range(18):
        deep = [deep]
    assert is_json_native(deep) is _reference_native(deep) is False
    assert is_json_native([[1]]) is True
