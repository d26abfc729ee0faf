"""Redaction on blind round 8 and on the classes of miss it exposed.

The corpus (`corpus/secrets_blind8.jsonl`, 211 secret and 81 look-alike lines) was written before
its author read the redaction code; first-contact figures are in
benchmarks/results/guardrails_blind8.json (recall 0.955, benign kept 0.951). The class tests below
use new texts, not the corpus lines, so they check the shape family each fix is about:

- provider formats nobody listed: Tailscale `tskey-<kind>-...`, Discord bot tokens (base64 of a
  numeric id, a timestamp and an HMAC part), also as a dotted value that used to read as a code path;
- password options of directory, database and network clients (`ldapsearch -w`, `cqlsh -p`,
  `snmpwalk -c`, `smbclient -U user%pass`, `sqlplus user/pass@db`) and directives of line-oriented
  configs (`rocommunity`, `requirepass`, `auth_pass`);
- key vocabulary: `skey` (Duo), `psk` (Wi-Fi, IPsec), `*authkey`;
- session cookies written as a name/value pair (HAR exports, browser cookie JSON);
- look-alikes: SOPS ciphertext, publishable keys, digests of a secret (`checksum/secret`), record
  keys (`idempotency_key`, `cache_key`).

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

CORPUS = Path(__file__).parent / "corpus" / "secrets_blind8.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
_RNG = random.Random(88)
_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _gone(text: str, secret: str) -> bool:
    return secret not in redact_text(text).text


def test_blind8_figures() -> None:
    """Floors at today's figures: a regression shows. Line-level misses are listed in the results file."""
    secrets = [r for r in ROWS if r["label"] == "secret"]
    benign = [r for r in ROWS if r["label"] == "benign"]
    assert len(secrets) >= 110 and len(benign) >= 70
    total = sum(len(r["secrets"]) for r in secrets)
    caught = sum(sum(s not in redact_text(r["text"]).text for s in r["secrets"]) for r in secrets)
    kept = sum(all(k in redact_text(r["text"]).text for k in r["keep"]) for r in benign)
    assert caught / total >= 0.99, caught / total
    assert kept / len(benign) >= 0.98, kept / len(benign)


# --------------------------------------------------------------------------- provider formats


@pytest.mark.parametrize("kind", ["auth", "api", "client", "webhook"])
def test_tailscale_keys_of_every_kind(kind: str) -> None:
    key = f"tskey-{kind}-k{_rand(10)}CNTRL-{_rand(32)}"
    assert _gone(f"tailscale up --authkey={key} --hostname=ci-runner", key)
    assert _gone(f'{{"tailscale": {{"key": "{key}"}}}}', key)


def _discord_token() -> str:
    account = base64.urlsafe_b64encode(("2" + _rand(17, "0123456789")).encode()).decode().rstrip("=")
    return f"{account}.{_rand(6, _ALNUM + '-_')}.{_rand(38, _ALNUM + '-_')}"


def test_discord_bot_token_bare_and_under_its_key() -> None:
    token = _discord_token()
    assert _gone(f"INFO bot login ok with {token} (shard 0)", token)
    assert _gone(f"BOT_TOKEN={token}", token)  # a dotted value: not a code path like `process.env.X`


def test_dotted_code_references_stay() -> None:
    for text in ("api_token = settings.secrets.api_token", "password = os.environ.get_password"):
        assert redact_text(text).text == text


def test_dotted_words_that_are_not_a_discord_id_stay() -> None:
    # Same shape (three dotted parts), but the first part does not decode to a numeric account id.
    text = "release Mxyzptlkqrstuvwxabcdefghi.abcdef.thisisjustalongwordsequencewithoutdigits ok"
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- command lines, directives


@pytest.mark.parametrize(
    "template",
    [
        "ldapmodify -x -H ldap://dc2 -D 'cn=admin,dc=corp' -w {pw} -f change.ldif",
        'ldapwhoami -x -D "uid=ops,ou=people,dc=corp" -w "{pw}"',
        "cqlsh -u admin --password={pw} cass.svc 9042",
        "snmpget -v2c -c {pw} 10.0.0.1 sysUpTime.0",
        "snmpwalk -v3 -l authPriv -u mon -a SHA -A {pw} -x AES -X {pw} 10.0.0.2",
        "smbclient //fs01/share -U 'CORP\\\\backup%{pw}' -c 'ls'",
        "rman target sys/{pw}@PRODCDB",
        "expdp -s scott/{pw}@//db:1521/PDB1 schemas=HR",
    ],
)
def test_client_password_options(template: str) -> None:
    pw = _rand(14)
    text = template.format(pw=pw)
    out = redact_text(text).text
    assert pw not in out, out
    assert out.split()[0] == text.split()[0]  # the command stays readable


@pytest.mark.parametrize(
    "config",
    [
        "# snmpd.conf\nrwcommunity {pw} 192.168.0.0/16\n",
        "com2sec readonly 10.0.0.0/8 {pw}\n",
        "# redis.conf\nport 6379\nmasterauth {pw}\nrequirepass \"{pw}\"\n",
        "vrrp_instance VI_1 {{\n  authentication {{\n    auth_type PASS\n    auth_pass {pw}\n  }}\n}}",
        "userlist admins\n  user ops insecure-password {pw}\n",
    ],
)
def test_line_oriented_config_directives(config: str) -> None:
    pw = _rand(12)
    assert _gone(config.format(pw=pw), pw)


def test_directive_words_in_prose_stay() -> None:
    text = "Set requirepass in redis.conf and restart; see the SNMP docs for rocommunity."
    assert "requirepass in" in redact_text(text).text


# --------------------------------------------------------------------------- key vocabulary


@pytest.mark.parametrize("key", ["skey", "duo_skey", "wpa_psk", "psk", "TS_AUTHKEY", "nodeAuthkey"])
def test_key_words_for_secrets(key: str) -> None:
    value = _rand(28)
    assert _gone(f"{key} = {value}", value)


def test_session_cookie_as_name_value_pair() -> None:
    value = _rand(64, _ALNUM + "%")
    for name in ("shop_session", "PHPSESSID", "connect.sid", "remember_web_59ba36"):
        text = json.dumps({"cookies": [{"name": name, "value": value, "httpOnly": True}]})
        assert _gone(text, value), name


def test_ordinary_cookie_pairs_stay() -> None:
    text = json.dumps({"cookies": [{"name": "theme", "value": "dark-high-contrast-2024"}]})
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- look-alikes kept


def test_sops_ciphertext_is_kept_and_plain_neighbours_are_not() -> None:
    enc = f"ENC[AES256_GCM,data:{_rand(40, _ALNUM + '+/')},iv:{_rand(43, _ALNUM + '+/')}=,tag:{_rand(22)}==,type:str]"
    plain = _rand(20)
    out = redact_text(f"db:\n  password: {enc}\n  replica_password: {plain}\n").text
    assert enc in out
    assert plain not in out


def test_publishable_key_names_are_public() -> None:
    value = "pk_live_" + _rand(60)
    text = f'{{"stripePublishableKey": "{value}"}}'
    assert redact_text(text).text == text


def test_digest_of_a_secret_is_kept_and_the_secret_is_not() -> None:
    digest = _rand(64, _HEX)
    annotations = f"annotations:\n  checksum/secret: {digest}\n  checksum/config: {_rand(64, _HEX)}"
    assert digest in redact_text(annotations).text
    token = _rand(40)
    assert _gone(f"client_secret: {token}", token)


@pytest.mark.parametrize("key", ["idempotency_key", "cacheKey", "partition-key", "correlation_key"])
def test_record_keys_are_not_credentials(key: str) -> None:
    value = f"{_rand(8, _HEX)}-{_rand(4, _HEX)}-4{_rand(3, _HEX)}-a{_rand(3, _HEX)}-{_rand(12, _HEX)}"
    text = f'{{"{key}": "{value}"}}'
    assert redact_text(text).text == text


def test_routing_key_is_still_a_credential() -> None:
    # A PagerDuty routing key is a secret; only record-key prefixes (idempotency, cache, ...) are exempt.
    value = _rand(32, _HEX)
    assert _gone(f"routing_key: {value}", value)
