"""Redaction on blind round 6 and on the classes of miss it exposed.

The corpus (`corpus/secrets_blind6.jsonl`) was written before its author read the redaction code;
its first-contact figures are in benchmarks/results/guardrails_blind6.json. The class tests below
use new texts, not the corpus lines, so they check the shape family each fix is about:

- a token longer than a format's search window lost only its head (base64 of a private key);
- values aligned in a column after the key (`kubectl describe` env) were not seen as assignments;
- a bare `key:` under a parent that names cryptographic material (`encryption:`, `jwt:`) was
  skipped as an ordinary map key;
- a reference into a secret store (Key Vault, Secrets Manager, SSM, Secret Manager, 1Password)
  under a password key was redacted as if it were the password;
- "webhook" before an event id counted as a credential word.

All values are generated for the test; none is a live credential.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

from guardrails.redaction import redact_text

CORPUS = Path(__file__).parent / "corpus" / "secrets_blind6.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
_RNG = random.Random(61)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("row", [r for r in ROWS if r["label"] == "secret"], ids=lambda r: r["id"])
def test_blind6_secret_substrings_are_gone(row: dict) -> None:
    out = redact_text(row["text"]).text
    left = [s for s in row["secrets"] if s in out]
    assert not left, f"{row['kind']}: {left}"


@pytest.mark.parametrize("row", [r for r in ROWS if r["label"] == "benign"], ids=lambda r: r["id"])
def test_blind6_benign_lookalikes_stay(row: dict) -> None:
    out = redact_text(row["text"]).text
    gone = [s for s in row["keep"] if s not in out]
    assert not gone, f"{row['kind']}: {gone}"


def test_blind6_corpus_size() -> None:
    """The round is measured on enough lines to mean something (the task asked ~80 / ~60)."""
    assert sum(r["label"] == "secret" for r in ROWS) >= 80
    assert sum(r["label"] == "benign" for r in ROWS) >= 60


# --------------------------------------------------------------------------- a token longer than the window


def _pem_b64(bits_bytes: int) -> str:
    body = base64.b64encode(bytes(_RNG.getrandbits(8) for _ in range(bits_bytes))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\nMIIJKQIBAAKCAgEA{lines}\n-----END RSA PRIVATE KEY-----\n"
    return base64.b64encode(pem.encode()).decode()


@pytest.mark.parametrize("nbytes", [1200, 2400, 4800])
def test_base64_private_key_longer_than_window_goes_whole(nbytes: int) -> None:
    """A 2048/4096/8192-bit key as client-key-data: no tail of it may survive the marker."""
    value = _pem_b64(nbytes)
    assert len(value) > 2048
    text = f"users:\n- name: admin\n  user:\n    client-key-data: {value}\n    username: admin\n"
    out = redact_text(text).text
    assert value[-64:] not in out and value[:64] not in out
    assert out.endswith("    username: admin\n")


def test_long_provider_token_in_log_line_goes_whole() -> None:
    """The same cut applies to any windowed format, e.g. a long PyPI token far past its hint."""
    token = "pypi-AgEIcHlwaS5vcmc" + _rand(3000, _ALNUM + "-_")
    out = redact_text(f"twine upload -p {token} dist/*").text
    assert token[-40:] not in out and "dist/*" in out


# --------------------------------------------------------------------------- aligned columns


def test_kubectl_describe_aligned_env_values() -> None:
    hexkey, tok = _rand(32, "0123456789abcdef"), _rand(40)
    pw = _rand(18)
    text = (
        "    Environment:\n"
        f"      DD_API_KEY:              {hexkey}\n"
        f"      INTERNAL_API_TOKEN:      {tok}\n"
        f"      REPLICA_DB_PASSWORD:     {pw}\n"
        "      LOG_LEVEL:               info\n"
    )
    out = redact_text(text).text
    assert hexkey not in out and tok not in out and pw not in out
    assert "LOG_LEVEL:               info" in out


def test_aligned_reference_is_still_a_reference() -> None:
    text = "      DB_PASSWORD:     <set to the key 'password' in secret 'orders-db'>  Optional: false"
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- bare key under a crypto parent


@pytest.mark.parametrize(
    "text_template",
    [
        "signing:\n  algorithm: HS512\n  key: {v}\n",
        "session:\n  cookie:\n    key: {v}\n",
        '{{"hmac": {{"alg": "sha256", "key": "{v}"}}}}',
        "jwt:\n  # rotated monthly\n  salt: {v}\n",
    ],
)
def test_bare_key_under_crypto_parent_is_a_secret(text_template: str) -> None:
    value = _rand(44)
    out = redact_text(text_template.format(v=value)).text
    assert value not in out


@pytest.mark.parametrize(
    "text",
    [
        "tolerations:\n- key: node-role.kubernetes.io/control-plane\n  operator: Exists\n",
        "cache:\n  key: 0f6c7b2d9e4a1f3b8c5d0e7a2b9c4d1e6f3a8b5c0d7e2f9a4b1c6d3e8f5a0b7c\n",
        "sort:\n  key: createdAt\n  order: desc\n",
        '{"configMapKeyRef": {"name": "app", "key": "application.properties"}}',
    ],
)
def test_bare_key_elsewhere_is_left_alone(text: str) -> None:
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- secret-store references


@pytest.mark.parametrize(
    "text",
    [
        'password: "@Microsoft.KeyVault(VaultName=kv-prod;SecretName=orders-db;SecretVersion=7e1c)"',
        "DB_PASSWORD=arn:aws:ssm:eu-west-1:123456789012:parameter/prod/orders/db-password",
        "db_password: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders-XyZ12a",
        "password: projects/shop-prod/secrets/orders-db-password/versions/3",
        "GITHUB_TOKEN=op://Production/GitHub deploy/token",
        "client_secret: https://kv-prod-weu.vault.azure.net/secrets/oidc-client/4b8e2f6a9c1d4e7f8a2b5c9d0e3f6a1b",
    ],
)
def test_secret_store_references_are_not_secrets(text: str) -> None:
    assert redact_text(text).text == text


def test_a_real_value_next_to_a_reference_still_goes() -> None:
    pw = _rand(20)
    text = f'DB_PASSWORD_REF=arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db\nDB_PASSWORD="{pw}"'
    out = redact_text(text).text
    assert pw not in out and "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db" in out


# --------------------------------------------------------------------------- webhook is a channel, not a credential


def test_event_ids_after_webhook_stay() -> None:
    evt = "evt_1Q" + _rand(22)
    text = f"received webhook {evt} type=invoice.paid livemode=true"
    assert redact_text(text).text == text


def test_webhook_secret_still_goes() -> None:
    value = _rand(40)
    out = redact_text(f"the webhook signing secret is {value}").text
    assert value not in out
