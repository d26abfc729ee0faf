"""Redaction on blind round 7 and on the classes of miss it exposed.

The corpus (`corpus/secrets_blind7.jsonl`, 171 secret and 80 look-alike lines) was written before
its author read the redaction code; first-contact figures are in
benchmarks/results/guardrails_blind7.json (recall 0.886, benign kept 0.95). The class tests below
use new texts, not the corpus lines, so they check the shape family each fix is about:

- provider prefixes nobody listed (Tencent `AKID...`, Fly.io `FlyV1 fm2_...`), and Authorization
  schemes whose name holds a digit;
- single-dash password options of common clients (`redis-cli -a`, `keytool -storepass`,
  `openssl -passin pass:`, `mongosh -p`, `htpasswd -b`);
- session cookies named `*sid` (`connect.sid`) or `.ASPXAUTH`;
- key vocabulary: one-time-password seeds, SNMP communities, the word for password or secret in
  other languages and scripts, and credential keys with a trailing qualifier (`secret_key_base`);
- values a secret key vouches for that are short, digit-free or base32;
- settings written as `key="..." value="..."` attributes of one XML element;
- labels such as `Unseal Key 1:` before a random token;
- look-alikes: inline code in backticks, documented `EXAMPLE` values, public-key names, digests
  named as files.

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

CORPUS = Path(__file__).parent / "corpus" / "secrets_blind7.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
_RNG = random.Random(77)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _gone(text: str, secret: str) -> bool:
    return secret not in redact_text(text).text


def test_blind7_figures() -> None:
    """Floors at today's figures: a regression shows. Line-level misses are listed in the results file."""
    secrets = [r for r in ROWS if r["label"] == "secret"]
    benign = [r for r in ROWS if r["label"] == "benign"]
    assert len(secrets) >= 110 and len(benign) >= 70
    total = sum(len(r["secrets"]) for r in secrets)
    caught = sum(sum(s not in redact_text(r["text"]).text for s in r["secrets"]) for r in secrets)
    kept = sum(all(k in redact_text(r["text"]).text for k in r["keep"]) for r in benign)
    assert caught / total >= 0.99, caught / total
    assert kept / len(benign) >= 0.98, kept / len(benign)


# --------------------------------------------------------------------------- provider prefixes, schemes


def test_tencent_secret_id_and_the_key_after_it() -> None:
    sid, key = "AKID" + _rand(32), _rand(32)
    text = f"tccli configure set secretId {sid} secretKey {key}"
    out = redact_text(text).text
    assert sid not in out and key not in out
    assert "tccli configure set" in out


def test_fly_token_with_and_without_scheme() -> None:
    token = "fm2_" + _rand(120, _ALNUM + "+/") + "=="
    assert _gone(f"FLY_API_TOKEN=FlyV1 {token}", token)
    assert _gone(f"Authorization: FlyV1 {token}", token)


def test_authorization_scheme_with_a_digit() -> None:
    cred = _rand(40)
    assert _gone(f"Authorization: Hawk2 {cred}", cred)


# --------------------------------------------------------------------------- command-line options


@pytest.mark.parametrize(
    "template",
    [
        "redis-cli -h cache.internal -a {v} PING",
        "keytool -importkeystore -srckeystore a.p12 -srcstorepass {v} -destkeystore b.jks",
        "jarsigner -keystore release.jks -storepass {v} app.apk release",
        "openssl pkcs12 -export -in c.pem -passout pass:{v} -out c.p12",
        "mongosh --host db0 -u admin -p {v} --authenticationDatabase admin",
        "htpasswd -bc /etc/nginx/.htpasswd ops {v}",
    ],
)
def test_single_dash_password_options(template: str) -> None:
    value = _rand(14)
    assert _gone(template.format(v=value), value)


def test_option_values_that_are_references_stay() -> None:
    text = 'redis-cli -a "$REDIS_PASSWORD" PING'
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- cookies


@pytest.mark.parametrize("name", ["connect.sid", "app_sid", ".ASPXAUTH"])
def test_session_cookie_names(name: str) -> None:
    value = "s%3A" + _rand(40)
    assert _gone(f"Cookie: theme=dark; {name}={value}", value)


# --------------------------------------------------------------------------- key vocabulary


def test_otp_seed_under_a_seed_key() -> None:
    seed = _rand(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert _gone(f"operator:\n  totp_seed: {seed}", seed)


def test_snmp_community() -> None:
    community = _rand(16)
    assert _gone(f"snmp_community: {community}", community)
    assert _gone(f"modules:\n  if_mib:\n    auth:\n      community: {community}", community)


def test_default_snmp_community_word_stays() -> None:
    """`community: public` is the well-known default, not a secret this text discloses."""
    assert redact_text("community: public").findings == []


@pytest.mark.parametrize(
    "template",
    [
        "Passwort: {v}",
        "SENHA={v}",
        "wachtwoord = {v}",
        "mot_de_passe={v}",
        "contraseña: {v}",
        "hasło: {v}",
        "пароль: {v}",
        "パスワード：{v}",
        "密码: {v}",
        "비밀번호: {v}",
        "كلمة المرور: {v}",
    ],
)
def test_password_words_of_other_languages(template: str) -> None:
    value = _rand(12) + "!"
    assert _gone(template.format(v=value), value)


def test_secret_words_of_other_languages_need_a_random_value() -> None:
    token = _rand(28)
    assert _gone(f"clave secreta: {token}", token)
    assert _gone(f"密钥: {token}", token)
    plain = "ключ: значение"
    assert redact_text(plain).text == plain


@pytest.mark.parametrize("key", ["secret_key_base", "DB_PASSWORD_PRIMARY", "API_KEY_V2", "signingSecretOld"])
def test_credential_key_with_a_trailing_qualifier(key: str) -> None:
    value = _rand(40)
    assert _gone(f"{key}: {value}", value)


@pytest.mark.parametrize("key", ["password_hash_old", "token_ttl_v2", "secret_name_primary"])
def test_qualified_keys_that_name_something_else_stay(key: str) -> None:
    text = f"{key}: deploy-2026"
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- value shapes under a secret key


@pytest.mark.parametrize("value", ["Kp4+Vw9_Zr2Qx", "tRuVaKpLmQ%zXy!BwEnDg"])
def test_short_or_digit_free_values_under_a_secret_key(value: str) -> None:
    assert _gone(f"WEBHOOK_SIGNING_SECRET={value}", value)


@pytest.mark.parametrize("value", ["v1.24.3-Beta", "CheckoutService", "ReadWriteOnce"])
def test_names_and_versions_under_a_secret_key_stay(value: str) -> None:
    text = f"token_kind: x\nsecret: {value}"
    assert value in redact_text(text).text


# --------------------------------------------------------------------------- XML attribute pairs


def test_key_value_attribute_pairs() -> None:
    token, password = _rand(24), _rand(10) + "#"
    text = (f'<appSettings>\n  <add key="PaymentsApiToken" value="{token}" />\n  <add key="LogLevel" value="Debug" />\n'
            f'</appSettings>\n<property name="db.password" value="{password}"/>')
    out = redact_text(text).text
    assert token not in out and password not in out
    assert '<add key="LogLevel" value="Debug" />' in out


# --------------------------------------------------------------------------- labels


def test_numbered_key_labels() -> None:
    k1, k2 = base64.b64encode(_RNG.randbytes(33)).decode(), base64.b64encode(_RNG.randbytes(33)).decode()
    out = redact_text(f"Recovery Key 1: {k1}\nRecovery Key 2: {k2}").text
    assert k1 not in out and k2 not in out


def test_bare_key_label_before_a_digest_stays() -> None:
    text = "Primary key: 9f2c4e1a7b3d5f6081a2c3d4e5f60718293a4b5c"
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- look-alikes


def test_inline_code_ends_at_the_backtick() -> None:
    """Docs quote a setting as inline code; the closing backtick is not part of the value."""
    text = "Set `password: hunter2` in the demo config only."
    out = redact_text(text).text
    assert "hunter2" not in out and out.endswith("` in the demo config only.")


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "api_key: sk_live_EXAMPLEKEY0000000000000000",
        "export GITHUB_TOKEN=ghp_EXAMPLE0123456789abcdefghijklmnopqr",
    ],
)
def test_documented_example_values_stay(text: str) -> None:
    assert redact_text(text).text == text


@pytest.mark.parametrize("key", ["PublicKey", "server_pubkey", "jwt_verification_key", "public_key"])
def test_public_key_names_stay(key: str) -> None:
    text = f"{key} = {base64.b64encode(_RNG.randbytes(32)).decode()}"
    assert redact_text(text).text == text


def test_digest_named_as_a_file_stays() -> None:
    digest = "".join(_RNG.choice("0123456789abcdef") for _ in range(64))
    text = f"signature uploaded: registry.example.com/app:sha256-{digest}.sig"
    assert redact_text(text).text == text
