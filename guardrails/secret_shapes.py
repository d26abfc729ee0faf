"""Value and key shapes the redactor reasons with: randomness, identifiers, credential key names.

Why a module of its own: redaction.py holds the table of *formats*; this module answers the
questions every generic detector asks about a candidate, in one place, so that the assignment
detector, the entropy detector and `redact_data` agree:
- is this value random enough to be a token (`shannon_entropy`, `looks_random`)?
- is it an identifier of code or infrastructure rather than a secret (`identifier_like`, `harmless_digest`)?
  `HTTPDigestAuth.handle_401`, `checkout.v1.PaymentService/Charge`, `sha256:...`, a UUID, a git SHA;
- does a key name say "credential" (`credential_key`), in any syntax: `DB_PASS`, `dbPwd`,
  `PASSWORD_PRIMARY`, `x-api-token`, `SECRET_KEY`, `mysqlRootPassword`?
- does a base64 blob decode to credentials (`base64_credential`): a `.dockerconfigjson`, `user:pass`?
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from enum import Enum
from functools import lru_cache

# --------------------------------------------------------------------------- randomness


def shannon_entropy(value: str) -> float:
    """Bits per character; random tokens score high (> 3.5), words and names low."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGEST = re.compile(r"(?i)(?:sha(?:1|224|256|384|512)|md5|blake2b?|xxh\d*)[:=\-][0-9a-f]{16,}")
_SRI = re.compile(r"sha(?:256-[A-Za-z0-9+/]{43}=?|384-[A-Za-z0-9+/]{64}|512-[A-Za-z0-9+/]{86}(?:==)?)")
"""A Subresource Integrity digest (`integrity` in npm/yarn lock files, `<script integrity=...>`): the
base64 of a published file's hash, made to be shipped next to the file; its length is fixed by the hash."""
_VOWELS = frozenset("aeiouyAEIOUY")
_CAMEL_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SEPARATORS = re.compile(r"[._\-:/#$@]+")


_INNER_DIGITS = re.compile(r"(?<=[A-Za-z])\d+(?=[A-Za-z])")
"""Digit runs with letters on both sides: a name has one or two (`log4j`, `k8s`, `oauth2client`), a
random lowercase token (Akamai's `akab-...` client tokens) many."""
_FILE_SUFFIX = re.compile(r"(?:\.[A-Za-z]{1,8}){1,2}$")


def harmless_digest(value: str) -> bool:
    """A content address or id: hex digests (git SHAs, image digests, trace ids), UUIDs, `sha256:...`.

    A digest named as a file keeps being one: `sha256-<hex>.sig` (a cosign signature tag),
    `<hex>.tar.gz`, `<sha1>.pack`; the short alphabetic suffix is dropped before the check.
    """
    v = value.strip("\"'")
    if "." in v:
        v = _FILE_SUFFIX.sub("", v) or v
    return bool(_HEX.fullmatch(v) or _UUID.fullmatch(v) or _DIGEST.fullmatch(v) or (_UUID.search(v) and len(v) < 48)
                or _SRI.fullmatch(v))


def identifier_like(value: str) -> bool:
    """A name built from words: a symbol, a dotted path, a Kubernetes object or a label.

    `HTTPDigestAuth.handle_401`, `requests.auth:HTTPDigestAuth`, `getUserById`, `payments-api`,
    `io.grpc.ManagedChannel`. Split at separators and case changes, a name is a few word-like parts
    (letters with a vowel, or a short number); a random token falls apart into many one- and
    two-character fragments or parts without vowels.
    """
    if len(_INNER_DIGITS.findall(value)) >= 3:
        return False  # `pp173acgkn3skrpy-0tufsp1z`: digits scattered inside words are random, not a name's `v2`
    parts: list[str] = []
    for chunk in _SEPARATORS.split(value.strip("\"'`")):
        if not chunk:
            continue
        if not chunk.isalnum() or not chunk.isascii():
            return False
        parts.extend(_CAMEL_SPLIT.findall(chunk))
    letters = [p for p in parts if not p.isdigit()]
    if not letters or any(len(p) > 4 for p in parts if p.isdigit()):
        return False
    # A name is mostly whole words; a random token split at case changes is mostly one- and
    # two-letter fragments (`Ib`, `s`, `Rd`, `Jn`), even when each fragment happens to hold a vowel.
    fragments = sum(1 for p in letters if len(p) <= 2)
    if fragments >= 4 and fragments * 3 >= len(letters):
        return False
    wordy = sum(1 for p in letters if _wordlike(p))
    short = sum(1 for p in letters if len(p) <= 4 and not _wordlike(p))
    # Abbreviations (`kv`, `v2`, `O` in OAuth2, `ctx`) are fine among words, not as the whole name.
    return wordy >= 1 and wordy + short == len(letters) and short <= max(1, wordy // 2)


_K8S_NAME = re.compile(r"[a-z0-9]([a-z0-9\-]{0,251}[a-z0-9])?")
_K8S_SUFFIX = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{5,10}|\d{1,10}|[0-9a-f]{4,16}|[a-z0-9]{4,5}")
"""What controllers and cloud node pools append to an owner's name: a ReplicaSet's pod-template-hash and
a pod's random suffix (apimachinery's vowel-free alphabet, so they never spell words), a StatefulSet
ordinal, a CronJob's scheduled-minute number, a node group's hex id or UUID groups and the short
random tail of a cloud node name (`gke-prod-default-pool-9c3a8b2e-5xq7`)."""


def kubernetes_generated_name(value: str) -> bool:
    """A Kubernetes object name a controller made from its owner's (`ingress-nginx-controller-7d9f8b6c5d-x2x9q`,
    `web-0`, `backup-29403720-kx4wq`): lowercase DNS-1123, the owner's part a name of words, then at most
    six generated segments (a UUID is five). Why: the random-looking tail makes the whole read as a vendor token
    (`<prefix>-<random body>`), and redacting pod names blinds every investigation that must read them."""
    if not _K8S_NAME.fullmatch(value) or "-" not in value:
        return False
    parts = value.split("-")
    generated = 0
    while len(parts) > 1 and generated < 6 and _K8S_SUFFIX.fullmatch(parts[-1]):
        parts.pop()
        generated += 1
    # A number between the owner's words is a counter the controller keeps (Knative's zero-padded revision
    # generation: `quote-api-00012-deployment-<hash>-<id>`), not randomness: the words around it decide.
    words = [p for p in parts if not p.isdigit()]
    return generated > 0 and bool(words) and identifier_like("-".join(words))


_CONSONANT_RUN = re.compile(r"[^aeiouyAEIOUY0-9]{5,}")


def _wordlike(part: str) -> bool:
    """A part that reads as a word or an acronym: a vowel, no long consonant run, or a short all-caps run."""
    if part.isupper() and 2 <= len(part) <= 5:
        return True
    return len(part) >= 2 and any(c in _VOWELS for c in part) and not _CONSONANT_RUN.search(part)


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, symbol the value mixes (`-_.` are name separators, not symbols)."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() and c not in "-_." for c in value)
    )


def high_entropy_token(value: str) -> bool:
    """A token no known format claims but which looks machine-generated: long, mixed, high entropy.

    Length >= 20, entropy at least 0.8 bits short of the maximum its length allows (and >= 3.5),
    three character classes (or two over 32 characters), not a digest, UUID or identifier.
    """
    v = value.strip("\"'`")
    if len(v) < 20 or harmless_digest(v) or identifier_like(v):
        return False
    classes = char_classes(v)
    if classes < 2 or (classes == 2 and len(v) < 32):
        return False
    if sum(c.isdigit() for c in v) < 2 and len(v) < 32:
        return False
    entropy = shannon_entropy(v)
    return entropy >= 3.5 and entropy >= min(4.5, math.log2(len(v))) - 0.8


# --------------------------------------------------------------------------- credential key names


class KeyKind(Enum):
    PASSWORD = "password"
    """Any literal under it is a secret (`DB_PASSWORD`, `redisPass`, `MYSQL_PWD`)."""
    SECRET = "secret"
    """Random-looking values under it are secrets (`API_TOKEN`, `SECRET_KEY`, `MAPS_KEY`)."""


_WORD_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_FOREIGN_PASSWORD_PARTS = frozenset({
    # The word for password in other languages, as ASCII key names write it (`Passwort`, `SENHA`,
    # `mot_de_passe`, `wachtwoord`, `haslo`). Non-Latin scripts are matched by a format of their own.
    "passwort", "kennwort", "senha", "contrasena", "contrasenya", "passe", "wachtwoord", "salasana",
    "passord", "adgangskode", "losenord", "heslo", "haslo", "jelszo", "sifre", "parola", "lozinka", "geslo",
    "parool", "wachtwort",
    # French `mdp` (mot de passe, as `BDD_MDP` / `mdp_admin` write it)
    "mdp",
    # Indonesian and Malay `kata sandi` / `kata laluan`, Swahili, Afrikaans, Welsh, Basque, Galician,
    # Latvian, Lithuanian, Estonian, Icelandic, Vietnamese and Chinese pinyin spellings.
    "sandi", "katasandi", "laluan", "katalaluan", "nenosiri", "wagwoord", "cyfrinair", "pasahitza",
    "contrasinal", "parole", "slaptazodis", "salasona", "lykilord", "matkhau", "mima",
})
_PASSWORD_PARTS = frozenset({"password", "passwd", "passphrase", "passcode", "pass", "pwd", "pw", "pword",
                             "community", "rocommunity", "rwcommunity", "psk", "wpapsk", "mnemonic",
                             "seedphrase", "requirepass", "masterauth", "masterpass", "passhash"}) \
    | _FOREIGN_PASSWORD_PARTS
"""`community` is an SNMP community string: the password of SNMP v1/v2c (snmp.yml, telegraf); `psk` a
pre-shared key (wpa_supplicant `psk=`, IPsec, hostapd `wpa_psk`), a passphrase whatever its shape;
`mnemonic` / `seed phrase` a wallet's BIP39 recovery words, which are its private key."""
_FOREIGN_SECRET_PARTS = frozenset({
    "geheim", "geheimnis", "segreto", "segreta", "secreto", "secreta", "secreet", "sekret", "salaisuus",
    "chiave", "clave", "chave", "sleutel", "schluessel", "schlussel", "cle", "nyckel", "avain", "klucz",
    "jeton", "anahtar", "kunci", "rahasia", "kulcs", "klic", "titok", "gizli", "tajny",
    # Spanish (Latin America) `llave`, Romanian `cheie`, Croatian/Serbian/Bosnian `kljuc`
    "llave", "cheie", "kljuc",
})
_SECRET_PARTS = frozenset({
    "secret", "token", "apikey", "key", "credential", "credentials", "auth", "cred", "creds", "privatekey",
    "accesskey", "secretkey", "authtoken", "bearer", "pat", "dsn", "signature", "salt", "pepper", "seed",
    "otpseed", "totp", "hotp", "skey", "privkey", "authkey", "encrypt", "authtok", "sk", "hmac", "signing", "pk",
}) | _FOREIGN_SECRET_PARTS
"""`seed` (`mfa_seed`, `totp_seed`) is the shared secret of one-time-password generators; `skey` the
abbreviation vendors use for a secret key beside its public `ikey` (Duo, `ssh-keygen` docs); `encrypt`
the gossip key of Consul and Serf (`encrypt = "<base64>"`); `authtok` SSSD's bind password
(`ldap_default_authtok`); `sk` the secret half of an AK/SK pair (`OSS_SK`, `HUAWEI_SK`); `signing` a signing
secret named by its use alone (`webhook_signing`, Stripe/Slack webhook configs: the key that signs); `pk` a
wallet's private key as deployment scripts abbreviate it (`DEPLOYER_PK`, `ETH_PK`), with a prefix only and
judged in redaction.py as key material (40+ characters: a database's primary key is a number, a UUID or a ULID)."""
_SECRET_KEY_SUFFIXES = ("secret", "token", "apikey", "authkey", "privkey", "hmackey", "masterkey", "signingkey",
                        "sessionkey", "encryptionkey", "schluessel", "schlussel", "sleutel", "nyckel", "nokkel",
                        "noegle", "geheimnis")
"""Closed compounds that end a key name (`CLIENTSECRET`, `GHTOKEN`, `TS_AUTHKEY`, `jwtSigningkey`), and the
key words of languages that write compounds as one word (German `zugangsschluessel`, Dutch
`toegangssleutel`, Swedish `apinyckel`, Norwegian `tilgangsnokkel`, Danish `adgangsnoegle`)."""
_PASSWORD_KEY_SUFFIXES = ("password", "passwd", "passphrase", "passwort", "kennwort", "wachtwoord", "passord",
                          "salasana", "losenord")
"""The same for password words (`PGPASSWORD`, `datenbankpasswort`, `benutzerkennwort`, `rootwachtwoord`)."""
_SERVICE_PREFIXES = frozenset({"ssh", "sftp", "ftp", "smtp", "imap", "pop", "ldap", "vnc", "rdp", "db", "sql", "mysql",
                               "pg", "redis", "amqp", "mq", "snmp", "proxy", "http", "wifi", "wpa", "sudo", "root",
                               "admin", "user", "smb", "cifs", "rsync", "irc", "xmpp", "sip"})
"""Protocols and accounts whose name is glued to `pass`/`pw` in one word (`SSHPASS`, `SMTPPASS`, `ROOTPW`); a
closed compound ending in `pass` is otherwise a word (`bypass`, `compass`, `overpass`)."""
_NUMBERED = re.compile(r"([a-z]{2,24}?)(\d{1,2})")
_PUBLIC_PARTS = frozenset({"publickey", "pubkey", "pub", "public", "verificationkey", "verifykey", "publishable",
                           "authorized", "known", "trusted",
                           # `public` in the languages whose key words are known (`clave_publica`,
                           # `cle_publique`, `chiave_pubblica`, `oeffentlicher_schluessel`, `klucz_publiczny`)
                           "publica", "publico", "publique", "pubblica", "pubblico", "publiczny", "oeffentlich",
                           "oeffentlicher", "openbaar", "openbare", "julkinen"})
"""Key names that hold public material (`PublicKey`, `server_pubkey`, `jwt_verification_key`,
`stripePublishableKey`: a publishable key is made to be shipped in web and mobile clients; `ssh_authorized_keys`,
`known_hosts`, `trusted_keys`: the public keys a host accepts)."""
_DIGEST_OF = frozenset({"checksum", "digest", "fingerprint", "sha1", "sha256", "sha512", "md5", "crc", "crc32"})
"""First words of a key that holds a hash *of* a credential (Helm's `checksum/secret`, `sha256_token`,
`fingerprint_ssh_key`): the value is a digest, computed so that a change can be seen without the secret."""
_ID_KEY_PREFIXES = frozenset({
    "idempotency", "dedup", "dedupe", "deduplication", "cache", "partition", "sort", "shard", "foreign", "lookup",
    "row", "correlation", "request", "message", "event", "trace", "span", "object", "bucket", "group",
    "incident", "alert", "issue", "s3", "blob", "asset", "hash", "range", "item", "record", "document",
})
"""Words before a final `key` that make it the key of a record, not of a lock: `idempotency_key`,
`cache_key`, `partitionKey`, `sort_key`, `object_key` and `S3Key` (an object's path in a bucket), `correlation-key`,
PagerDuty's `incident_key` and an alert's dedup key, DynamoDB's `hash_key`/`range_key`, a Jira `issueKey`."""
_CURSOR_WORDS = frozenset({"page", "next", "continuation", "cursor", "pagination", "resumption", "resume", "skip",
                           "delta", "sync", "scroll"})
"""Words before `token` that make it a pagination cursor (`page_token`, AWS `NextToken`, `continuation_token`,
Graph `$skiptoken`/`$deltatoken`, Todoist `sync_token`): the server hands it to every caller to resume a
listing; it grants nothing."""
_QUALIFIERS = frozenset({
    "base", "primary", "secondary", "old", "new", "prev", "previous", "next", "current", "fallback",
    "backup", "rotated", "legacy", "prod", "production", "staging", "stage", "dev", "live", "test",
    "b64", "base64", "hex", "raw", "value", "val", "plain", "plaintext", "encoded", "ro", "rw",
})
"""Trailing words that qualify a credential key without changing what it holds (`secret_key_base`,
`DB_PASSWORD_PRIMARY`, `API_KEY_V2`, `signing_secret_old`)."""
_NOT_A_VALUE = frozenset({
    # A key that *names* where a credential lives, or describes it, does not hold one.
    "file", "path", "dir", "ref", "name", "names", "id", "env", "length", "len", "policy", "hash", "type",
    "url", "uri", "endpoint", "header", "expiry", "expires", "ttl", "age", "enabled", "required", "mode",
    "count", "size", "format", "method", "provider", "source", "version", "rotation", "prefix", "suffix",
    "field", "kind", "label", "selector", "store", "backend", "handler", "mount", "cmd", "command",
    "min", "max", "regex", "pattern", "strength", "hint", "reset", "changed", "updated", "created", "at",
    "accessor",
})
_BARE_AMBIGUOUS = frozenset({"pass", "pw", "key", "pat", "dsn", "salt", "pepper", "signature", "bearer", "seed", "sk",
                             "passe", "parola", "chiave", "clave", "chave", "sleutel", "cle", "nyckel",
                             "avain", "klucz", "geheim", "community",
                             "mdp", "llave", "cheie", "kljuc", "pk"})
"""Alone: a test result, a verb, a map key, a header word. With a prefix (`DB_PASS`): a credential."""
_PROPERTY_PARTS = _NOT_A_VALUE | _DIGEST_OF | frozenset({
    "user", "username", "login", "email", "host", "hostname", "port", "issuer", "audience", "aud", "scope",
    "scopes", "algorithm", "alg", "arn", "alias", "region", "account", "owner", "kid", "keyid", "usage", "use",
    "spec", "lifetime", "timeout", "interval", "days", "seconds", "duration", "expiration", "exp", "limit",
    "capacity", "bucket", "vault", "server", "service", "length", "bits", "curve", "location", "rotate",
    "refresh", "validity", "valid", "complexity", "history", "attempts", "retries", "lock", "lockout",
    "description", "comment", "note", "notes", "tag", "tags",
})
"""Words after a credential word that make the key a property of the credential, not the credential:
`TOKEN_AUDIENCE`, `KEY_ALIAS`, `SECRET_ARN`, `PASSWORD_HISTORY`, `TOKEN_EXPIRATION`, `API_KEY_ID`."""
_ANYWHERE_PARTS = (_PASSWORD_PARTS | _SECRET_PARTS | {"mnemonic", "seedphrase"}) - {"auth", "cred", "pat", "signature"}
"""Credential words that name the value wherever they stand in the key (`AWS_BEARER_TOKEN_BEDROCK`,
`MAILJET_APIKEY_PRIVATE`, `parola.bazei.de.date`), when no property word follows them."""
_PAIRS = ("passwd", "password", "passphrase", "apikey", "accesskey", "secretkey", "privatekey", "authtoken",
          "publickey", "pubkey", "verificationkey", "verifykey", "otpseed", "seedphrase", "katasandi",
          "katalaluan")


_PLURALS = {"passwords": "password", "tokens": "token", "secrets": "secret", "keys": "key", "apikeys": "apikey",
            "passphrases": "passphrase", "seeds": "seed", "salts": "salt"}
_VERSION = re.compile(r"v\d{1,3}")


def _key_parts(key: str) -> list[str]:
    raw = key.strip("\"'` -_.")
    parts = [p.lower() for p in _WORD_SPLIT.findall(raw)]
    # `apiKey`, `api_key`, `API-KEY` all become one part so that prefixes and suffixes compare alike.
    merged: list[str] = []
    for p in parts:
        if merged and merged[-1] + p in _PAIRS:
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    return merged


_KEY_MEMO_CHARS = 128
"""Key names up to this length are remembered by `credential_key` (longer ones are judged each time)."""


def credential_key(key: str) -> KeyKind | None:
    """What a key name says its value is: `_credential_key`, remembered for short names.

    Why: `redaction.redact_data` asks it for every key of every object of a structured answer (the code
    graph's `symbol`, `file`, `line` in each of hundreds of rows), which was a third of that redaction's
    CPU. The answer depends on the name alone (fixed word tables), so a remembered one is the answer;
    bounded: names up to `_KEY_MEMO_CHARS` characters, at most 4,096 of them, least recently used dropped.
    """
    if len(key) > _KEY_MEMO_CHARS:
        return _credential_key(key)
    return _remembered_key(key)


@lru_cache(maxsize=4096)
def _remembered_key(key: str) -> KeyKind | None:
    return _credential_key(key)


def _credential_key(key: str) -> KeyKind | None:
    """What a key name says its value is, whatever its syntax (snake, kebab, camel, SCREAMING, dotted).

    The credential word must be the last part (`DB_PASS`, `apiToken`, `aws.secret_access_key`) or
    the first part followed only by a qualifier (`PASSWORD_PRIMARY`, `TOKEN_GITHUB`); keys that name
    a place or property of a credential (`password_file`, `token_url`, `secret_name`) are not.
    A bare `pass` or `pw` needs a prefix (`db_pass`): alone it is a test result or a verb.
    """
    parts = _key_parts(key)
    if len(parts) > 8 and "." in key.rstrip("."):
        return _credential_key(key.rstrip(".").rsplit(".", 1)[-1])  # a long property path: its last segment names it
    if not parts or len(parts) > 8:
        return None
    numbered = _NUMBERED.fullmatch(parts[-1])
    if numbered and (numbered.group(1) in _PASSWORD_PARTS or numbered.group(1) in _SECRET_PARTS
                     or numbered.group(1).endswith(_PASSWORD_KEY_SUFFIXES + _SECRET_KEY_SUFFIXES)):
        parts[-1] = numbered.group(1)  # `password2`, `token1`, `key2` (az acr's two passwords): a numbered credential
    if parts[-1] in _PLURALS:
        parts[-1] = _PLURALS[parts[-1]]  # `api_keys`, `tokens`, `passwords`: a list of the credential
    if len(parts) >= 2 and parts[-2:] == ["secret", "id"]:
        return KeyKind.SECRET  # Consul's `SecretID`, Vault AppRole's `secret_id`: the credential itself
    if len(parts) >= 2 and parts[-1] == "id" and (parts[-2] in ("apikey", "accesskey")
                                                  or (parts[-2] == "key" and parts[-3:-2] in (["api"], ["access"]))):
        return KeyKind.SECRET  # `api_key_id` beside `api_key_secret` (Veracode HMAC, AWS): half of the pair, random
    if len(parts) >= 2 and parts[-1] == "key" and parts[-2] in ("publish", "subscribe"):
        return None  # pub/sub keys made to ship in clients (PubNub); the secret is `secret_key`, `*.publish.secret`
    if any(p in _PUBLIC_PARTS for p in parts):
        return None  # `PublicKey`, `server_public_key`: public material, not a credential
    while len(parts) > 1 and (parts[-1] in _QUALIFIERS or parts[-1].isdigit() or _VERSION.fullmatch(parts[-1])):
        parts = parts[:-1]  # `secret_key_base`, `DB_PASSWORD_PRIMARY`, `API_KEY_2`: judge the key they qualify
    last, first, single = parts[-1], parts[0], len(parts) == 1
    if last in _NOT_A_VALUE or (not single and first in _DIGEST_OF):
        return None
    if last == "key" and len(parts) >= 2 and parts[-2] in _ID_KEY_PREFIXES:
        return None  # `idempotency_key`, `cache_key`: an identifier of a record
    if last.endswith("token") and (last[:-5] in _CURSOR_WORDS or (len(parts) >= 2 and parts[-2] in _CURSOR_WORDS)):
        return None  # `page_token`, `nextToken`, `$skiptoken`: a position in a listing, not a credential
    if last in _PASSWORD_PARTS:
        return None if single and last in _BARE_AMBIGUOUS else KeyKind.PASSWORD
    if last.isalpha() and last.endswith(_PASSWORD_KEY_SUFFIXES):
        return KeyKind.PASSWORD  # PGPASSWORD, MYSQLPASSWORD, datenbankpasswort
    if last.endswith(("pass", "pw")) and last[: -4 if last.endswith("pass") else -2] in _SERVICE_PREFIXES:
        return KeyKind.PASSWORD  # `SSHPASS` (read by `sshpass -e`), `SMTPPASS`, `LDAPPW`: a protocol's password
    if last in _SECRET_PARTS:
        return None if single and last in _BARE_AMBIGUOUS else KeyKind.SECRET
    if last.isalpha() and last.endswith(_SECRET_KEY_SUFFIXES):
        return KeyKind.SECRET  # CLIENTSECRET, GHTOKEN, TS_AUTHKEY
    if not single and first in _PASSWORD_PARTS - _BARE_AMBIGUOUS:
        return KeyKind.PASSWORD
    if not single and first in ("secret", "token", "apikey", "credential", "credentials"):
        return KeyKind.SECRET
    for i, part in enumerate(parts[:-1]):
        if part in _ANYWHERE_PARTS and not (i == 0 and part == "key"):
            if any(p in _PROPERTY_PARTS or p in _ID_KEY_PREFIXES for p in parts[i + 1:]):
                return None  # `TOKEN_AUDIENCE`, `SECRET_KEY_ARN`, `password.policy.length`
            return KeyKind.SECRET  # `AWS_BEARER_TOKEN_BEDROCK`: random-looking values only
    return None


# --------------------------------------------------------------------------- encoded credentials

_USER_PASS = re.compile(r"[\w.@+\-]{1,64}:[^\s:]{6,128}")
_CRED_JSON_KEYS = (
    "auths", "auth", "password", "passwd", "token", "identitytoken", "secret", "credentials", "private_key",
)


def base64_credential(value: str) -> bool:
    """Base64 that decodes to credentials: a docker config (`{"auths": ...}`), JSON with a password or
    token key, or `user:password` (the form of HTTP basic auth and docker `auth` entries)."""
    v = value.strip("\"'")
    if len(v) < 16 or len(v) % 4 == 1:
        return False
    try:
        raw = base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
        except (binascii.Error, ValueError):
            return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    stripped = decoded.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            lowered = stripped.lower()
            return any(f'"{k}"' in lowered for k in _CRED_JSON_KEYS)
        return isinstance(obj, dict) and _json_has_credential(obj)
    if _USER_PASS.fullmatch(stripped):
        password = stripped.split(":", 1)[1]
        return not password.isalpha() and not password.isdigit() and not identifier_like(password)
    return False


def _json_has_credential(obj: object, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(obj, dict):
        for k, v in obj.items():
            if str(k).lower() in _CRED_JSON_KEYS and v not in (None, "", {}, []):
                return True
            # `{"smtp_password": "..."}`, `{"apiToken": "..."}`: any key name that says credential, with a value
            if isinstance(v, str) and len(v) >= 6 and credential_key(str(k)) is not None:
                return True
            if _json_has_credential(v, depth + 1):
                return True
    if isinstance(obj, list):
        return any(_json_has_credential(v, depth + 1) for v in obj[:50])
    return False


__all__ = [
    "KeyKind",
    "base64_credential",
    "char_classes",
    "credential_key",
    "harmless_digest",
    "high_entropy_token",
    "identifier_like",
    "shannon_entropy",
]
