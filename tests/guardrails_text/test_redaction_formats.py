"""Every credential format is redacted wherever it shows up: free text, JSON, YAML, log lines.

The samples in corpus/secrets.jsonl are generated values in each provider's documented shape
(prefix, alphabet, length); none is a live credential. `secret` is the part that must vanish.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.redaction import MARKER, format_names, redact_data, redact_text

MIN_FORMATS = 40


def _free_text(sample: str) -> str:
    return f"While debugging I found {sample} in the pod's environment, please rotate it."


def _json(sample: str) -> str:
    return json.dumps({"level": "error", "config": sample, "service": "checkout"})


def _json_pretty(sample: str) -> str:
    return json.dumps({"env": [{"value": sample}]}, indent=2)


def _yaml(sample: str) -> str:
    return yaml.safe_dump({"metadata": {"name": "checkout"}, "data": {"settings": sample}})


def _log_line(sample: str) -> str:
    return f'2026-11-23T10:00:00Z level=debug msg="loaded settings" value="{sample}" trace_id=4bf92f3577b34da6'


EMBEDDINGS: dict[str, Callable[[str], str]] = {
    "free_text": _free_text,
    "json": _json,
    "json_pretty": _json_pretty,
    "yaml": _yaml,
    "log_line": _log_line,
}


def _secret_variants(sample: dict[str, Any], embedded: str) -> list[str]:
    """The secret as it appears after embedding (JSON escapes a PEM's newlines, YAML may quote)."""
    secret = sample["secret"]
    return [secret, json.dumps(secret)[1:-1]] + [line for line in secret.splitlines() if len(line) >= 16]


def test_at_least_forty_formats_are_covered(secret_samples: list[dict[str, Any]]) -> None:
    kinds = {s["kind"] for s in secret_samples}
    print(f"\nsecret formats with samples: {len(kinds)}; formats known to the redactor: {len(format_names())}")
    assert len(kinds) >= MIN_FORMATS
    # Every format the redactor names has at least one sample, and no sample names an unknown format.
    assert set(format_names()) == kinds


def test_each_sample_is_redacted_as_itself(secret_samples: list[dict[str, Any]]) -> None:
    for sample in secret_samples:
        out = redact_text(sample["text"])
        assert sample["secret"] not in out.text, (sample["id"], out.text)
        assert MARKER.format(kind=sample["kind"]) in out.text, (sample["id"], sample["kind"], out.text)
        assert any(f.kind == sample["kind"] for f in out.findings)


@pytest.mark.parametrize("embedding", sorted(EMBEDDINGS))
def test_each_format_is_redacted_in_every_embedding(secret_samples: list[dict[str, Any]], embedding: str) -> None:
    wrap = EMBEDDINGS[embedding]
    for sample in secret_samples:
        if not sample["embed"]:
            continue
        text = wrap(sample["text"])
        out = redact_text(text)
        for variant in _secret_variants(sample, text):
            assert variant not in out.text, (sample["id"], sample["kind"], embedding, out.text)
        assert "[REDACTED:" in out.text


def test_surrounding_text_is_kept_intact() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    text = f"export GITHUB_TOKEN={token} && make deploy ENV=prod"
    out = redact_text(text)
    assert out.text == "export GITHUB_TOKEN=[REDACTED:github_token] && make deploy ENV=prod"
    (finding,) = out.findings
    assert text[finding.start : finding.end] == token


def test_only_the_value_of_a_key_value_pair_is_replaced() -> None:
    out = redact_text('level=error msg="login failed" password=hunter2 user=bob')
    assert out.text == 'level=error msg="login failed" password=[REDACTED:password_assignment] user=bob'
    out = redact_text("postgres://orders:s3cr3t-P4ss@db.internal:5432/orders")
    assert out.text == "postgres://orders:[REDACTED:url_credentials]@db.internal:5432/orders"


def test_specific_format_wins_over_generic_assignment() -> None:
    token = "xoxb-123456789012-123456789012-" + "AbCdEfGhIjKlMnOpQrStUvWx"
    out = redact_text(f"SLACK_TOKEN={token}")
    assert [f.kind for f in out.findings] == ["slack_token"]


def test_truncated_private_key_does_not_leak_its_first_lines() -> None:
    text = (
        "key: -----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
        "... 40 more lines left out"
    )
    out = redact_text(text)
    assert "MIIEowIBAAKCAQEA" not in out.text
    assert "VTLw7onLRnrq0" not in out.text
    assert "[REDACTED:pem_private_key]" in out.text


def test_generic_assignments_need_entropy_for_tokens_but_not_for_passwords() -> None:
    assert redact_text("auth: enabled").findings == []
    assert redact_text("secretName: checkout-tls").findings == []
    assert redact_text("token_ttl: 1h").findings == []
    assert [f.kind for f in redact_text("client_secret: Zx81kPq0Lm3nB7vC2dF9gH4jK6").findings] == ["secret_assignment"]
    assert [f.kind for f in redact_text("DB_PASSWORD=hunter2").findings] == ["password_assignment"]
    assert [f.kind for f in redact_text('"password": "changeme"').findings] == ["password_assignment"]


def test_references_to_secrets_are_not_secrets() -> None:
    for text in (
        "DB_PASSWORD=${DB_PASSWORD}",
        "password: {{ .Values.db.password }}",
        "API_TOKEN=$(cat /run/secrets/token)",
        "password: ********",
        'password = getpass.getpass("Password: ")',
        "const apiKey = process.env.STRIPE_API_KEY;",
    ):
        assert redact_text(text).findings == [], text


def test_redaction_is_idempotent(secret_samples: list[dict[str, Any]]) -> None:
    for sample in secret_samples:
        once = redact_text(sample["text"]).text
        assert redact_text(once).text == once, sample["id"]


def test_redact_data_applies_to_every_string_in_a_tree(secret_samples: list[dict[str, Any]]) -> None:
    tree = {"items": [{"note": s["text"], "id": s["id"], "n": 1} for s in secret_samples if s["embed"]]}
    red, findings = redact_data(tree)
    dumped = json.dumps(red)
    for s in secret_samples:
        if s["embed"]:
            assert s["secret"] not in dumped, s["id"]
    assert len(findings) >= len(tree["items"])
    assert all(item["n"] == 1 for item in red["items"])


def test_text_after_a_private_key_block_is_kept() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n"
        "-----END RSA PRIVATE KEY-----"
    )
    text = f"tls.key: {key}\nnext key: value here, and more text"
    assert redact_text(text).text == "tls.key: [REDACTED:pem_private_key]\nnext key: value here, and more text"
    out = json.loads(redact_text(json.dumps({"k": key, "other": "visible"})).text)
    assert out == {"k": "[REDACTED:pem_private_key]", "other": "visible"}


def test_long_adversarial_inputs_finish_quickly() -> None:
    """Guard against quadratic or exponential work on hostile input (each is 30-190 kB)."""
    inputs = [
        "a" * 100_000,
        "password=" * 10_000,
        "postgres://u:" * 5_000,
        "-----BEGIN PRIVATE KEY-----\n" + "A" * 100_000,
        "kind: Secret\n" + "data:\n" * 5_000,
        "kind: Secret\n" + "- data:\n  kind: Secret\n" * 3_000,
        '{"kind":"Secret","data":{' + '"a":"b",' * 20_000 + "}}",
        "Authorization: Bearer " * 5_000,
        "name: DB_PASSWORD\nvalue: x\n" * 5_000,
    ]
    for text in inputs:
        started = time.process_time()
        redact_text(text)
        assert time.process_time() - started < 2.0, text[:30]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_redaction_never_fails_and_is_idempotent_on_any_text(text: str) -> None:
    once = redact_text(text)
    for finding in once.findings:
        assert 0 <= finding.start < finding.end <= len(text)
    assert redact_text(once.text).text == once.text
