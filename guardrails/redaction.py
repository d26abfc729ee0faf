"""Secret redaction for everything a tool returns.

Tool results (logs, manifests, config, alert payloads) regularly carry credentials by accident: a
token in a debug log, a password in a JDBC URL, a Kubernetes Secret fetched by a broad `get`. None of
that may reach a model, a report or the audit log, so every result passes through here first.

How it works:
- `FORMATS` is a table of credential formats. Each has one or more precompiled regular expressions
  and a few "hints" (substrings such as `ghp_` or `authorization`): a format's expressions only run
  near its hints' occurrences. Most texts contain none of the rare prefixes, so most expressions
  never run; that keeps a 2,000-token result around a millisecond or two.
  Each distinct hint is looked up once per text, and a prefix-tree regex of all of them first proves
  in one scan that none occurs (most code, metrics and log text): then only the hintless formats run.
- Every expression marks the sensitive part with the named group `s` (or the whole match). Only
  that part is replaced by `[REDACTED:<format>]`, so `password=hunter2 user=bob` keeps its shape.
- Overlapping candidates are settled by order: formats earlier in the table (specific prefixes,
  private-key blocks) win over later ones (generic `password=` assignments). Markers left by an
  earlier pass are never touched, so redaction is idempotent.
- Generic key/value assignments are judged by the key: any literal value under a password-like key,
  but only random-looking values under token/secret/key-like keys; references (`${VAR}`,
  `{{ .Values.x }}`, code expressions) are not secrets.
- Kubernetes Secrets are handled by structure, not by guessing at values: in YAML text, JSON text
  and parsed objects, every value under `data`/`stringData` of an object whose `kind` is `Secret`
  is replaced, keys kept. The `last-applied-configuration` annotation, which repeats the whole
  Secret, goes too.

Positions in `SecretFinding` refer to the input text of `redact_text`. For `redact_data` they refer
to the string value that held the secret (0..len for a value replaced as a whole).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from guardrails import secret_runs
from guardrails.attested import CLEAN as _ATTESTED
from guardrails.pure_memo import PureMemo
from guardrails.regex_trie import trie_pattern as _trie_pattern
from guardrails.secret_accounts import account_line_spans
from guardrails.secret_encoded import encoded_spans
from guardrails.secret_envelopes import envelope_spans
from guardrails.secret_html import html_cell_pairs
from guardrails.secret_layouts import (
    aligned_tables,
    anchored_values,
    block_label,
    call_pairs,
    cookie_file_rows,
    dump_pairs,
    fake_provider_values,
    has_consumer_sibling,
    has_secret_sibling,
    has_user_sibling,
    header_tables,
    ini_section,
    is_value_holder,
    key_value_tables,
    list_values,
    quoted_pairs,
    store_resource_values,
    typed_values,
    widen_value,
    xml_pairs,
)
from guardrails.secret_maps import credential_map_values
from guardrails.secret_positional import positional_spans, setter_spans, spaced_record_spans
from guardrails.secret_prose import NOUNS as PROSE_NOUNS
from guardrails.secret_published import public_did_before, published_spans
from guardrails.secret_records import record_pairs
from guardrails.secret_recovery import recovery_spans
from guardrails.secret_shapes import (
    KeyKind,
    base64_credential,
    char_classes,
    credential_key,
    harmless_digest,
    high_entropy_token,
    identifier_like,
    kubernetes_generated_name,
    shannon_entropy,
)
from guardrails.secret_statements import GATE_WORDS as STATEMENT_GATE_WORDS
from guardrails.secret_statements import statement_spans
from guardrails.secret_tool_output import tool_output_spans
from guardrails.secret_typed import typed_value_spans
from guardrails.secret_wraps import CONTINUATION_MARKS, wrapped_end

MARKER = "[REDACTED:{kind}]"
_MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9_]+\]")
_CIPHERTEXT = re.compile(r"ENC\[(?:AES256_GCM|AES256_CBC|PGP|KMS|GCP_KMS|AZURE_KV|AGE),data:[^\]\s]{1,65536}\]")
"""A SOPS-encrypted value (`ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`): ciphertext that only the
KMS or age key opens, kept so that a diff of an encrypted file stays readable; it is left alone."""


@dataclass(frozen=True)
class SecretFinding:
    kind: str
    """The credential format, e.g. aws_access_key_id, github_token, jwt, pem_private_key."""
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: list[SecretFinding] = field(default_factory=list)


@dataclass(frozen=True)
class SecretFormat:
    """One credential format: how to find it and what to call it in the marker."""

    name: str
    """The kind written into `[REDACTED:<name>]`."""
    description: str
    patterns: tuple[re.Pattern[str], ...]
    hints: tuple[str, ...]
    """Lowercase substrings; the patterns run only if one occurs. Empty means always run."""
    accept: Callable[[str], bool] | None = None
    """An extra check on the captured secret (entropy, decoding), for formats a regex alone over-matches."""
    windowed: bool = True
    """Run the patterns only near hint occurrences (false for long multi-line blocks such as PEM keys)."""
    accept_match: Callable[[re.Match[str]], bool] | None = None
    """A check on the whole match, for formats whose verdict depends on a group other than the secret (the
    element name of an XML credential)."""


# --------------------------------------------------------------------------- value checks

_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{[^}]*\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*|\{\{.*\}\}|<[^>]*>|%\([^)]*\)s|%s|
        \*+|x{3,}|X{3,}|\.{3,}|-+|_+|\#+|[•●◦∙·▪■]+|
        # a filter's or a UI's mask word in brackets: Rails `[FILTERED]`, `[MASKED]`, `(hidden)`, `<removed>`
        [\[(<]\ ?(?i:filtered|masked|hidden|removed|sensitive|secret|protected|omitted|scrubbed)\ ?[\])>]|
        \[REDACTED[^\]]*\]?|REDACTED|redacted|null|none|None|nil|true|false|True|False|
        example|your[-_a-z]*|placeholder|
        # Vector's secret reference (`SECRET[backend.key]`): the store and the key where the value lives
        SECRET\[[\w.\-]{1,128}\]|
        # a debugger's pointer (gdb/lldb print `bind_pw = 0x0`, `token = 0x55d3c2e0` for an unset or elided char *)
        0x[0-9a-fA-F]{1,16}|\(nil\)|
        # the words templates put where a value goes (`REPLACE_ME`); not `changeme`/`changeit`, which
        # are real default passwords (Java's cacerts) and the live credential when left in a config
        replace[-_]?me|fill[-_]?me[-_]?in|to[-_]?be[-_]?set|
        env:.*|vault:.*|ref\+.*|file:.*|secretRef.*|valueFrom.*|
        # references into a secret store: the value names where the secret lives, not the secret
        @Microsoft\.KeyVault\(.*\)|https://[\w-]+\.vault\.azure\.net/secrets/.*|
        arn:aws[\w-]*:(?:secretsmanager|ssm):.*|projects/[^/\s]+/secrets/[^\s]+|
        (?:op|sm|gcpsm|awssm|awsssm|azkv|akv|doppler|infisical|bws|vault|secretsmanager|ssm)://.*
    )$""",
    re.VERBOSE,
)


_MASK_RUN = re.compile(r"\*{3,}|•{3,}|…|(?i:redacted|masked)")
_MASK_VISIBLE = 10
"""The most characters a partial mask may leave visible (all pieces together) and still be a mask: scanners
and consoles keep 4 to 8 (`sk-ant-a`, `ghp_` + the last 4)."""


_TEMPLATE_FIELD = re.compile(r"\{(?:[A-Z][A-Z0-9_]{1,63}|[a-z][a-z0-9_]{1,63}|[a-z]+(?:[A-Z][a-z]+){1,6})\}")
"""A single-brace template field, as format strings, URI templates (RFC 6570) and docs write where a value goes:
`{BASE32SECRET}`, `{api_key}`, `{clientSecret}` (camel case of whole words, so a random `{kQ7xZp}` is not one)."""


def _is_placeholder(value: str) -> bool:
    """A reference or a mask, not a secret: `${DB_PASS}`, `****`, `<token>`, `[REDACTED]`, `null`, or a
    partial mask: a secret scanner's or a console's report keeps a few characters and masks the rest
    (`sk-ant-a***REDACTED***`, `ghp_****wXyZ`, `AKIA…7QXA`). More than `_MASK_VISIBLE` visible characters
    beside a mask run is not a mask: `<a real token>***` would leak the token."""
    v = value.strip().strip("\"'")
    if _PLACEHOLDER.match(v):
        return True
    if v.startswith("{") and v.endswith("}") and _TEMPLATE_FIELD.fullmatch(v):
        return True
    if ("*" in v or "…" in v or "•" in v or "EDACT" in v or "edact" in v or "ASKED" in v or "asked" in v) \
            and _MASK_RUN.search(v):
        pieces = _MASK_RUN.split(v)
        return sum(len(p.strip("*•[]()<>")) for p in pieces) <= _MASK_VISIBLE
    return False


def _looks_random(value: str) -> bool:
    """A token-like value: long enough, letters and digits mixed, high entropy, not a placeholder."""
    if len(value) < 16 or _is_placeholder(value) or identifier_like(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    mixed_case = any(c.isupper() for c in value) and any(c.islower() for c in value)
    if not has_alpha or not (has_digit or (mixed_case and len(value) >= 24)):
        return False
    return shannon_entropy(value) >= 3.2


_BASE32_SEED = re.compile(r"[A-Z2-7]{16,128}={0,6}")
_VERSION_LIKE = re.compile(r"v?\d+(?:\.\d+)+[\w.\-+]*")


def _keyed_random(value: str) -> bool:
    """A secret under a key that says secret, in shapes `_looks_random` leaves alone.

    `_looks_random` wants 16 characters with digits, which misses short signing secrets
    (`I+SHBk5x6_TCh3k`), human-made ones of letters and symbols (`pppZsuaJ%hDtXGa!WcdGW`) and
    base32 one-time-password seeds (`JBSWY3DPEHPK3PXP`, capitals that read like words to
    `identifier_like`). The key already says what the value is, so these are taken when they mix
    both cases with digits or symbols (10+ characters), or are base32 of 16+ characters.
    """
    v = value.strip("\"'`")
    if len(v) < 10 or " " in v or _is_placeholder(v):
        return False
    if _BASE32_SEED.fullmatch(v):
        return any(c in "234567" for c in v) and shannon_entropy(v.rstrip("=")) >= 3.0
    if identifier_like(v) or char_classes(v) < 3:
        return False
    if not (any(c.isupper() for c in v) and any(c.islower() for c in v)):
        return False
    return shannon_entropy(v) >= 3.0 and not _VERSION_LIKE.fullmatch(v)


def _password_value(value: str, quoted: bool) -> bool:
    """A password is a password whatever its entropy, but prose like `password: required` is not one."""
    if not value or _is_placeholder(value):
        return False
    if not quoted and value[0] in "=-<>" and value.strip("=-<>") == "":
        return False  # an arrow (`PASSWORD ===> x` on an ISPF/3270 panel, `password => x`): the value follows it
    if not quoted and (value in ("{", "[", "{}", "[]") or (value[0] in "{[" and value.endswith(":"))):
        return False  # `"password": {"type": "string"}`, `password: {type: string}`: an object (a schema field) opens
    if quoted:
        return True
    if len(value) >= 12:
        return True
    return not value.isalpha()


_PROSE_WORDS = re.compile(r"(?i)^(?:incorrect|invalid|wrong|required|expired|missing|empty|correct|reset|changed|"
                          r"rotated|updated|stored|saved|set|sent|hidden|masked|encrypted|hashed|redacted|"
                          r"unknown|unchanged|mandatory|optional|protected|authentication|authenticated|"
                          r"managed|generated|the|a|an|not|too|of|for|from|in|on|to)\b")


def _prose_password(value: str) -> bool:
    """The word after `password is` is a password when it is not a word of the sentence.

    `the password is incorrect.`, `password was reset`, `password is stored in Vault` are prose;
    `the password is Tr0ub4dor&3` or a quoted value is a credential.
    """
    quoted = value[:1] in "`'\""
    v = value.strip("`'\"").rstrip(".,;:)")
    if not v or _is_placeholder(v) or _PROSE_WORDS.match(v) or "(" in v or v.startswith((".", "$")):
        return False
    if quoted:
        return len(v) >= 3
    if identifier_like(v) and v.isalpha():
        return False
    return _password_value(v, quoted=False) and not v.startswith(("http://", "https://", "/"))


def _credential_element(tag: str | None) -> bool:
    """An XML element whose name holds a credential, not a property of one: `<UserSecretsId>` (.NET's name
    for a user-secrets folder), `<TokenLifetime>`, `<PasswordMinLength>` are settings about a credential.
    Judged as a key, also with a prefix (`<Pass>` alone is ambiguous as a key, not as an element)."""
    if tag is None:
        return True
    name = tag.rsplit(":", 1)[-1]
    return credential_key(name) is not None or credential_key("db_" + name) is not None


def _element_key(tag: str, value: str) -> bool:
    """`<transactionKey>EdCa...</transactionKey>`: a key-named element judged like a secret key's value."""
    name = tag.rsplit(":", 1)[-1]
    return credential_key(name) is KeyKind.SECRET and _judge(KeyKind.SECRET, name, value, quoted=True) is not None


def _userinfo_password(value: str) -> bool:
    """A URL's user-info password. Generated passwords hold `?` and `#` unescaped (`pg://u:ab1?@host`) and
    clients split at the last `@` anyway, so they are part of it; a query (`host:8080?mail=a@b`) is not:
    a part after `?`/`#` never holds `=`/`&` (the pattern), and a part before it of digits only is a port."""
    if _is_placeholder(value):
        return False
    cut = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=-1)
    return cut < 0 or not value[:cut].isdigit()


def _cli_value(value: str) -> bool:
    """A literal option value, not `$VAR`, a subexpression (PowerShell `-Password (Read-Host ...)`), another
    option, or a one-letter mistake. A value may start with a dash when a symbol follows it (`-storepass
    -!Qx7...`): an option's name starts with a letter or a dash."""
    if value.startswith("-") and (len(value) < 2 or value[1].isalnum() or value[1] == "-"):
        return False
    return not _is_placeholder(value) and not value.startswith(("$", "(")) and len(value.strip("'\"")) >= 3


def _base64_pem_key(value: str) -> bool:
    """Base64 whose decoding is a PEM private key (kubeconfig client-key-data, tls.key in data)."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY" in decoded


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58check_private(value: str) -> bool:
    """Base58check whose checksum holds and whose version says private key: a WIF (0x80 mainnet, 0xef
    testnet) or a BIP32 extended private key (xprv/tprv/yprv/zprv ...). A random base58 string passes the
    4-byte checksum once in four billion, so this tells a key from an address or a hash."""
    import hashlib

    n = 0
    for c in value:
        i = _B58.find(c)
        if i < 0:
            return False
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(raw) < 5:
        return False
    body, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != check:
        return False
    if value[1:4] == "prv":
        return len(body) == 78
    return body[0] in (0x80, 0xEF) and len(body) in (33, 34)


_PREFIX_NOT_VENDOR = frozenset({
    "sha", "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "blake2b", "xxh", "crc", "crc32",
    "pk", "pub", "public", "publishable", "phc", "client",
})
"""Prefixes of digests (`sha512-<base64>` in an npm lock file): the body is a hash, not a key; and of
public keys made to ship in clients (Stripe `pk_live_`, `*_publishable_`, PostHog's project key `phc_`, the
`client-` SDK keys of feature-flag services, whose server keys are `secret-`/`phx_`)."""
_HEX_NOT_VENDOR = frozenset({
    "trace", "span", "req", "request", "id", "uid", "uuid", "commit", "rev", "build", "run", "job", "cache",
    "layer", "blob", "etag", "hash", "digest", "sum", "oid", "obj", "ref", "tx", "txn", "git", "sha", "image",
    "img", "file", "node", "pod", "task", "event", "evt", "msg", "test", "tmp", "key", "gen", "generation",
    "index", "segment", "batch", "chatcmpl",
})
"""Prefixes that make what follows an id or a content address, not a vendor's key."""


_URLSAFE_BODY = frozenset({"figd", "figu", "figo", "pcsk", "lsv2", "xoxe"})
"""Documented prefixes whose body is base64url with both `-` and `_` (Figma, Pinecone, LangSmith, Slack rotation)."""


_NIX_PUBLIC_KEY = re.compile(r"[\w.\-]*-\d{1,3}:[A-Za-z0-9+/]{43}=")
_TYPED_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")
"""A resource SID as Twilio documents it: two capitals naming the type (`AC` account, `SM` message, `CA` call,
`PN` number), then 32 lowercase hex digits. It identifies a record; the account's auth token is separate."""
_CLOUD_REGION = re.compile(r"(?<![A-Za-z0-9])(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(?:north|south|east|west|"
                           r"central|northeast|northwest|southeast|southwest)-\d{1,2}(?![A-Za-z0-9])")
"""A cloud region (`eu-west-1`, `ap-southeast-2`): names of buckets, stacks and roles carry it, vendor keys never."""


_HEX_KEY_USER = re.compile(r"[0-9a-f]{32,64}")
"""A hex run as a URL's user: a key (Sentry's public key is 32 hex), not a login name."""


_IDENTITY_OBJECT = re.compile(r"\{[^{}]{0,1024}\}")
_KEY_ID_MEMBER = re.compile(r'"accessKeyId"[ \t]*:[ \t]*"$')
_PRINCIPAL_MEMBER = re.compile(r'"(?:principalId|userName|arn)"[ \t]*:')


_AWS_KEY_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")


def _caller_identity(text: str, start: int, end: int) -> bool:
    """An access key id written as the identity that made a call: the `accessKeyId` member of a record that names
    its principal (CloudTrail's `userIdentity`, an access log's caller) and holds no secret. AWS documents the id
    as an identifier that audit logs print; without the secret key, which such a record never holds, it signs
    nothing. The id anywhere else (a config, a command, free text) stays a finding."""
    if end - start != 20 or not _AWS_KEY_ID.fullmatch(text, start, end) \
            or not _KEY_ID_MEMBER.search(text, max(0, start - 24), start):
        return False
    lo = text.rfind("{", max(0, start - 1024), start)
    if lo < 0:
        return False
    obj = _IDENTITY_OBJECT.match(text, lo)
    if obj is None or obj.end() < end:
        return False
    body = obj.group().lower()
    return _PRINCIPAL_MEMBER.search(obj.group()) is not None and "secret" not in body and "sessiontoken" not in body


def _vendor_prefixed(value: str) -> bool:
    """`<prefix>_<body>` / `<prefix>-<body>` is a vendor key when the prefix is short and not a digest's,
    and the body is random: high entropy and mixed, or 40+ hex digits after `<word>_` (`sbp_`, `bkua_`),
    never words (`payments-api-deployment-...`), a UUID or a plain digest."""
    cut = min((i for i in (value.find("_"), value.find("-")) if i > 0), default=-1)
    if cut < 2:
        return False
    prefix, body = value[:cut], value[cut + 1 :]
    if prefix.lower() in _PREFIX_NOT_VENDOR or body.lower().startswith(("publishable", "pub_", "public")):
        return False
    if not (prefix.islower() or (prefix.isupper() and len(prefix) >= 3)) or not prefix[0].isalpha():
        return False  # `RsHL6b_...`: a random base64url string (a JWK modulus) cut at its first `_`, no prefix
    if "-" in body and "_" in body and not (prefix.isupper() and len(prefix) >= 4) and prefix not in _URLSAFE_BODY:
        return False  # both base64url symbols in the body: random key material, not a vendor's body
    if identifier_like(body) or _is_placeholder(body) or kubernetes_generated_name(value) or _named_digest(body):
        return False  # `gradle-deps-Linux-<sha1>`: words, then a digest (a cache key), not a prefix and a body
    if prefix.lower() in _HEX_NOT_VENDOR:
        return False  # `job-<random>`, `trace_<hex>`: an id named by what it identifies
    if _CLOUD_REGION.search(body):
        return False  # `cdk-hnb659fds-assets-<account>-eu-west-1`: a cloud resource named with its region
    if all(c in "0123456789abcdef" for c in body):
        return len(body) >= 40 and value[cut] == "_" and prefix.islower() and prefix.isalpha()
    return high_entropy_token(body) and sum(c.isdigit() for c in body) >= 2


def _discord_token(value: str) -> bool:
    """The first part of a Discord token is the account's snowflake id (17-20 digits) in base64."""
    head = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.isdigit() and 17 <= len(decoded) <= 20


# --------------------------------------------------------------------------- the format table

_FOREIGN_PASSWORD_WORDS: tuple[str, ...] = (
    "passwort", "kennwort", "contraseña", "contrasena", "senha", "mot[ _\\-]de[ _\\-]passe", "wachtwoord",
    "salasana", "passord", "adgangskode", "lösenord", "heslo", "hasło", "haslo", "jelszó", "şifre", "parola",
    "lozinka", "geslo", "parool", "mật khẩu", "пароль", "парола", "лозинка", "パスワード", "密码", "密碼", "口令",
    "비밀번호", "암호", "كلمة المرور", "كلمة السر", "סיסמה", "סיסמא", "पासवर्ड", "รหัสผ่าน", "κωδικός",
    # Tamil, Telugu, Kannada, Malayalam, Gujarati, Punjabi, Bengali; Urdu, Persian; Kazakh, Kyrgyz, Mongolian;
    # Georgian, Armenian; Khmer, Burmese, Lao; Amharic
    "கடவுச்சொல்", "பாஸ்வேர்ட்", "పాస్‌వర్డ్", "పాస్వర్డ్", "ಪಾಸ್‌ವರ್ಡ್", "ಪಾಸ್ವರ್ಡ್", "പാസ്‌വേഡ്", "പാസ്വേഡ്",
    "પાસવર્ડ", "ਪਾਸਵਰਡ", "পাসওয়ার্ড", "পাসওয়ার্ড", "পাসওয়ার্ড", "پاس ورڈ", "پاسورڈ", "رمز عبور", "گذرواژه",
    "کلمه عبور", "құпия сөз", "купуя сөз", "сырсөз", "нууц үг", "პაროლი", "գաղտնաբառ", "ពាក្យសម្ងាត់", "စကားဝှက်",
    "ລະຫັດຜ່ານ", "የይለፍ ቃል",
    # Azerbaijani and Albanian (the Albanian definite form `fjalëkalimi` labels a field)
    "şifrə", "fjalëkalimi", "fjalëkalim", "fjalekalimi",
)
"""The word for password in other languages; ASCII key names (`SENHA=`, `mot_de_passe=`) are also
judged by `credential_key`, this catches the accented and non-Latin spellings and prose labels."""
_FOREIGN_SECRET_WORDS: tuple[str, ...] = (
    "clave secreta", "clé secrète", "cle secrete", "chiave segreta", "chave secreta", "geheimer schlüssel",
    "geheimnis", "секрет", "ключ", "токен", "密钥", "秘钥", "密鑰", "令牌", "秘密鍵", "シークレット", "トークン",
    "토큰", "비밀 키", "비밀키", "مفتاح سري", "מפתח סודי",
    # `<token|key> of access` in Romance and other languages that put the qualifier after the noun
    "jeton d'accès", "jeton d’accès", "jeton d'acces", "jeton d'api", "clé d'accès", "clé d’accès", "clé d'api",
    "clé api", "token de acceso", "token de acesso", "token di accesso", "clave de acceso", "clave de api",
    "chave de acesso", "chave de api", "chiave di accesso", "chiave api", "zugangsschlüssel", "zugangstoken",
    "toegangstoken", "toegangssleutel", "token dostępu", "klucz dostępu", "klucz api", "erişim anahtarı",
    "құпия кілт", "ключ доступу", "ключ доступа", "токен доступа", "அணுகல் டோக்கன்", "رمز الوصول",
)


def _fmt(
    name: str,
    description: str,
    patterns: list[str],
    hints: list[str],
    flags: int = 0,
    accept: Callable[[str], bool] | None = None,
    windowed: bool = True,
    accept_match: Callable[[re.Match[str]], bool] | None = None,
) -> SecretFormat:
    return SecretFormat(
        name=name,
        description=description,
        patterns=tuple(re.compile(p, flags) for p in patterns),
        hints=tuple(hints),
        accept=accept,
        windowed=windowed,
        accept_match=accept_match,
    )


_B = r"(?<![A-Za-z0-9_])"  # token start: not inside a longer word
_E = r"(?![A-Za-z0-9_])"  # token end


def _path_like(value: str) -> bool:
    """A file path, not a key (`~/.ssh/id_ed25519.pub`, `./certs/tls.key`, `/etc/app/key.pem`)."""
    return value.startswith(("/", "~", "./", "../", "$")) or value.count("/") >= 2


_PUBLIC_KEY_OPTION = re.compile(r"(?i)--(?:[a-z]+[-.])*(?:public|pub|host|verify|verification)-key\b")
_CLI_PORT = re.compile(r"[\d:.]+(?:/(?:tcp|udp|sctp))?|[\d.:]+-[\d.:]+")
"""A port or a port mapping (`8080`, `8080:80`, `127.0.0.1:5432:5432/tcp`): what `-p` means to docker, ssh, nc."""
_SNMP_COMMAND = (r"\b(?:snmp(?:walk|get|getnext|bulkwalk|bulkget|set|trap|inform|table|df|netstat|status|delta|test|"
                 r"usm|vacm)|net-snmp-create-v3-user|net-snmp-config)\b")
"""The net-snmp tools that take SNMPv3 passphrases as -A (auth) and -X (privacy) or a community as -c; the
user-creating ones (`net-snmp-create-v3-user -A X -X Y`, `snmpusm`) too."""
_CLI_ARG = r"""(?P<s>'[^'\n]{1,128}'|"[^"\n]{1,128}"|[^\s'"-][^\s'"]{0,127}|-[^\s'"A-Za-z0-9\-][^\s'"]{1,127})"""
"""An option's value on a command line: single-quoted, double-quoted or bare (not another option: a value that
starts with a dash has a symbol after it, `-!Qx7...`, where an option has a letter)."""
_ASSIGN = r"""(?:\\?["'])?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,40}(?:\\?["'])?"""
"""Key, separator, value. Up to 40 blanks after the separator: `kubectl describe` and other tabular
output align every value in a column (`DD_API_KEY:      0f3c...`)."""

FORMATS: tuple[SecretFormat, ...] = (
    # Multi-line key material first: it wins over anything that matches inside its body.
    _fmt(
        "ssh_private_key",
        "OpenSSH private key block",
        [
            r"-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]{0,20000}?-----END OPENSSH PRIVATE KEY-----",
            r"-----BEGIN OPENSSH PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=\s])*",
        ],
        ["openssh private key"],
        windowed=False,
    ),
    _fmt(
        "pgp_private_key",
        "ASCII-armoured PGP private key block",
        [
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]{0,40000}?-----END PGP PRIVATE KEY BLOCK-----",
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----(?:\\n|[A-Za-z0-9+/=:\s.,()]|-(?!----))*",
        ],
        ["pgp private key block"],
        windowed=False,
    ),
    _fmt(
        "pem_private_key",
        "PEM private key (RSA, EC, DSA, PKCS#8, encrypted PKCS#8), also with JSON-escaped newlines",
        [
            r"-----BEGIN (?:[A-Z0-9]+ ){0,2}PRIVATE KEY-----[\s\S]{0,20000}?"
            r"-----END (?:[A-Z0-9]+ ){0,2}PRIVATE KEY-----",
            # A truncated block (a result cut at a budget) must not leak its first lines either. It
            # stops at a `-----` run, so with an END line present the complete match above wins.
            r"-----BEGIN (?:[A-Z0-9]+ ){0,2}PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=:\s,]|-(?!----))*",
        ],
        ["private key-----"],
        windowed=False,
    ),
    _fmt(
        "armored_secret_key",
        "other armoured secret blocks: OpenVPN static keys (tls-auth/tls-crypt), NATS nkey seeds in a .creds "
        "file, SSH2 (RFC 4716 framing) private keys, any `BEGIN ... SECRET KEY` / `SEED` block",
        [
            r"-{4,6}BEGIN (?:OpenVPN Static key V\d|[A-Z0-9 ]{0,24}(?:NKEY SEED|SECRET KEY|PRIVATE SEED))-{4,6}"
            r"[\s\S]{0,20000}?-{4,6}END [A-Za-z0-9 ]{1,40}-{4,6}",
            r"---- BEGIN SSH2 (?:ENCRYPTED )?PRIVATE KEY ----[\s\S]{0,20000}?"
            r"---- END SSH2 (?:ENCRYPTED )?PRIVATE KEY ----",
        ],
        ["static key", "nkey seed", "secret key-", "private seed", "ssh2 encrypted private", "ssh2 private"],
        windowed=False,
    ),
    _fmt(
        "signing_secret_key",
        "minisign / signify secret key: the base64 line under its `untrusted comment: ... secret key` line",
        [r"(?im)^untrusted comment:[^\n]{0,80}secret key[^\n]{0,80}\r?\n(?P<s>[A-Za-z0-9+/]{40,}={0,2})"],
        ["untrusted comment"],
    ),
    _fmt(
        "nkey_seed",
        "NATS nkey seed: `S` + the key type (User, Account, Operator, server N, Cluster, curve X) + base32",
        [r"S(?<![A-Za-z0-9_]S)[UAONCX][A-Z2-7]{56}" + _E],
        [],
        accept=lambda v: shannon_entropy(v) >= 4.0,
    ),
    _fmt(
        "crypto_wallet_key",
        "Bitcoin private key in WIF and BIP32 extended private keys (xprv/tprv/yprv/zprv), checked by base58check",
        # The first character comes first and the look-behind includes it, so the engine skips to those.
        [r"[5KL](?<![1-9A-HJ-NP-Za-km-z][5KL])[1-9A-HJ-NP-Za-km-z]{50,51}+(?![1-9A-HJ-NP-Za-km-z])"],
        [],
        accept=_base58check_private,
    ),
    _fmt(
        "crypto_wallet_key",
        "BIP32 extended private key (xprv/tprv/yprv/zprv/uprv/vprv), checked by base58check",
        [_B + r"[xtyzuv]prv[1-9A-HJ-NP-Za-km-z]{100,108}" + _E],
        ["xprv", "tprv", "yprv", "zprv", "uprv", "vprv"],
        accept=_base58check_private,
    ),
    _fmt(
        "crypto_wallet_key",
        "a WIF-shaped private key named by the words around it (`importprivkey`, `WIF`, `private key`)",
        [r"(?i)\b(?:importprivkey|dumpprivkey|wif|privkey|private[ _\-]?key)\b[\s\S]{0,120}?"
         r"(?<![1-9A-HJ-NP-Za-km-z])(?P<s>[5KLc9][1-9A-HJ-NP-Za-km-z]{50,51})(?![1-9A-HJ-NP-Za-km-z])"],
        ["privkey", "wif", "private"],
        accept=high_entropy_token,
    ),
    _fmt(
        "jwk_private_key",
        "private members of a JSON Web Key (`d`, `p`, `q`, `dp`, `dq`, `qi`, the `k` of an `oct` key)",
        [r"""(?P<kq>\\?["'])(?:d|p|q|dp|dq|qi|k)(?P=kq)\s*:\s*\\?["'](?P<s>[A-Za-z0-9_\-]{16,})\\?["']""",
         r"""(?m)^[ \t]*(?:-[ \t]+)?(?:d|p|q|dp|dq|qi|k)[ \t]*:[ \t]*["']?(?P<s>[A-Za-z0-9_\-]{16,})["']?[ \t]*$"""],
        ['"kty', "'kty", '\\"kty', "kty:"],
        windowed=False,
    ),
    _fmt(
        "mnemonic_phrase",
        "a wallet recovery phrase (BIP39 12-24 words, Monero 25, SLIP39 20/33) after a mnemonic / seed phrase key",
        [r"(?i)(?:mnemonic|seed(?:[ _\-]?(?:phrase|words))?|recovery[ _\-]?phrase|secret[ _\-]?recovery[ _\-]?phrase)"
         r"[\w\-]{0,24}[\"']?(?:[ \t]+(?:is|was)[ \t]*:?|[ \t]*(?:[:=]|=>))[ \t]*[\"'`]?"
         r"(?P<s>[a-z]{3,8}(?:[ \t]+[a-z]{3,8}){11,32})"],
        ["mnemonic", "phrase", "seed"],
    ),
    _fmt(
        "base64_private_key",
        "base64 of a PEM private key (kubeconfig client-key-data, tls.key values)",
        [r"(?P<s>LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2})"],
        ["ls0tls1crudjti"],
        accept=_base64_pem_key,
    ),
    _fmt(
        "putty_private_key",
        "PuTTY private key file",
        [r"PuTTY-User-Key-File-\d: [\s\S]{0,10000}?Private-MAC: [0-9a-f]+"],
        ["putty-user-key-file"],
        windowed=False,
    ),
    # Cloud providers.
    _fmt(
        "aws_access_key_id",
        "AWS access key id (AKIA long-term, ASIA temporary)",
        [_B + r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + _E],
        ["akia", "asia", "abia", "acca", "a3t"],
    ),
    _fmt(
        "aws_secret_access_key",
        "AWS secret access key next to its name",
        [
            r"(?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)"
            + _ASSIGN
            + r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ],
        ["secret"],
    ),
    _fmt(
        "aws_secret_access_key",
        "AWS secret access key in free text: 40 random characters a little after `aws`, `secret key` or a key id",
        [
            r"(?i)(?:aws|secret[_\- ]?(?:access[_\- ]?)?key|(?:AKIA|ASIA)[A-Z0-9]{16})[^\n]{0,100}?(?<![A-Za-z0-9/+=])"
            r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ],
        ["aws", "akia", "asia", "secret_key", "secret key", "secret-key", "secret_access", "secret access",
         "secretkey"],
        accept=lambda v: high_entropy_token(v) and not harmless_digest(v),
    ),
    _fmt(
        "aws_session_token",
        "AWS STS session token",
        [
            r"(?i)(?:aws_?session_?token|session_?token|x-amz-security-token)"
            + _ASSIGN
            + r"(?P<s>[A-Za-z0-9/+]{80,}={0,2})",
            r"(?P<s>(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+]{60,}={0,2})",
        ],
        ["session", "security-token", "iqojb3jpz2lux2vj", "fwogzxivyxdze"],
    ),
    _fmt(
        "gcp_api_key",
        "Google Cloud / Firebase API key",
        [_B + r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"],
        ["aiza"],
    ),
    _fmt(
        "aws_bedrock_api_key",
        "Amazon Bedrock API key: long-term `ABSK` + base64 of `BedrockAPIKey-...`, short-term `bedrock-api-key-`",
        [_B + r"ABSK[A-Za-z0-9+/]{40,}={0,2}", _B + r"bedrock-api-key-[A-Za-z0-9+/=_\-%]{40,}"],
        ["absk", "bedrock-api-key-"],
    ),
    _fmt(
        "yandex_cloud_credential",
        "Yandex Cloud IAM token (`t1.`), API key (`AQVN`) and OAuth token (`y0_`..`y3_`)",
        [_B + r"t1\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{40,}(?![A-Za-z0-9_\-])", _B + r"AQVN[A-Za-z0-9_\-]{35,38}" + _E,
         _B + r"y[0-3]_[A-Za-z0-9_\-]{55,}(?![A-Za-z0-9_\-])"],
        ["t1.", "aqvn", "y0_", "y1_", "y2_", "y3_"],
    ),
    _fmt("gcp_oauth_client_secret", "Google OAuth client secret", [_B + r"GOCSPX-[0-9A-Za-z_\-]{28}"], ["gocspx-"]),
    _fmt("google_oauth_token", "Google OAuth access token", [_B + r"ya29\.[0-9A-Za-z_\-]{30,}"], ["ya29."]),
    _fmt(
        "gcp_service_account_key_id",
        "private_key_id field of a GCP service-account key file",
        [r"""\\?["']private_key_id\\?["']\s*:\s*\\?["'](?P<s>[a-f0-9]{40})\\?["']"""],
        ["private_key_id"],
    ),
    _fmt(
        "azure_storage_account_key",
        "Azure storage account key in a connection string",
        [r"(?i)AccountKey\s*=\s*(?P<s>[A-Za-z0-9+/]{86}==)"],
        ["accountkey"],
    ),
    _fmt(
        "azure_sas_token",
        "signature of an Azure shared access signature URL",
        [r"[?&]sig=(?P<s>[A-Za-z0-9%+/=]{40,})"],
        ["sig="],
    ),
    _fmt(
        "azure_ad_client_secret",
        "Azure AD (Entra) application client secret",
        [r"(?<![A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?![A-Za-z0-9_~.-])"],
        ["q~"],
    ),
    _fmt("alibaba_access_key_id", "Alibaba Cloud AccessKey id", [_B + r"LTAI[A-Za-z0-9]{12,20}" + _E], ["ltai"]),
    _fmt(
        "tencent_cloud_secret_id",
        "Tencent Cloud SecretId (AKID + 32 characters); its SecretKey is caught by the key word after it",
        [_B + r"AKID[A-Za-z0-9]{32}" + _E],
        ["akid"],
    ),
    _fmt(
        "fly_io_token",
        "Fly.io macaroon token (`FlyV1 fm2_...`, `fo1_...`), with or without its scheme word",
        [r"(?i)\bFlyV1\s+(?P<s>f[mo]\d[a-z]?_[A-Za-z0-9+/=_\-]{32,}(?:,f[mo]\d[a-z]?_[A-Za-z0-9+/=_\-]{32,})*)",
         _B + r"(?P<s>fm[12][a-z]?_[A-Za-z0-9+/=_\-]{64,})"],
        ["flyv1", "fm1", "fm2"],
    ),
    _fmt(
        "digitalocean_token",
        "DigitalOcean personal, OAuth or refresh token",
        [_B + r"do[opr]_v1_[a-f0-9]{64}" + _E],
        ["_v1_"],
    ),
    _fmt(
        "tailscale_key",
        "Tailscale auth, API, OAuth client, webhook or SCIM key (`tskey-<kind>-<id>-<secret>`)",
        [_B + r"tskey-(?:auth|api|client|webhook|scim|cli)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{16,}" + _E],
        ["tskey-"],
    ),
    # Source control, CI and package registries.
    _fmt(
        "github_token",
        "GitHub classic PAT, OAuth, user-to-server, server-to-server and refresh tokens",
        [_B + r"gh[pousr]_[A-Za-z0-9]{36,251}" + _E],
        ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    ),
    _fmt(
        "github_fine_grained_pat",
        "GitHub fine-grained personal access token",
        [_B + r"github_pat_[A-Za-z0-9_]{70,100}" + _E],
        ["github_pat_"],
    ),
    _fmt(
        "gitlab_token",
        "GitLab personal, project, group, deploy, runner, CI job, feed, OAuth and agent tokens",
        [_B + r"gl(?:pat|dt|rt|ptt|cbt|ft|soat|imt|agent|oas|ffct)-[A-Za-z0-9_\-]{20,}"],
        ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-", "glimt-", "glagent-", "gloas-", "glffct-"],
    ),
    _fmt(
        "gitlab_runner_registration_token",
        "GitLab runner registration token (legacy GR1348941 prefix)",
        [_B + r"GR1348941[A-Za-z0-9_\-]{20,}"],
        ["gr1348941"],
    ),
    _fmt(
        "atlassian_api_token",
        "Atlassian (Jira, Confluence, Bitbucket) API token or app password",
        [_B + r"(?:ATATT3|ATBB|ATCTT3)[A-Za-z0-9_\-=]{28,}"],
        ["atatt3", "atbb", "atctt3"],
    ),
    _fmt("npm_token", "npm access token", [_B + r"npm_[A-Za-z0-9]{36}" + _E], ["npm_"]),
    _fmt(
        "pypi_token", "PyPI upload token", [_B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"], ["pypi-ageichlwas5vcmc"]
    ),
    _fmt("rubygems_api_key", "RubyGems API key", [_B + r"rubygems_[a-f0-9]{48}" + _E], ["rubygems_"]),
    _fmt(
        "docker_hub_pat",
        "Docker Hub personal (`dckr_pat_`) or organisation (`dckr_oat_`) access token",
        [_B + r"dckr_[a-z]at_[A-Za-z0-9_\-]{20,}"],
        ["dckr_"],
    ),
    _fmt(
        "prefixed_api_key",
        "vendor keys made of a documented prefix and a random body: Supabase `sb_secret_`, Prefect `pnu_`/`pnb_`, "
        "Octopus Deploy `API-`",
        [_B + r"sb_secret_[A-Za-z0-9_\-]{24,}", _B + r"pn[ub]_[A-Za-z0-9]{36}" + _E, _B + r"API-[A-Z0-9]{25,40}" + _E],
        ["sb_secret_", "pnu_", "pnb_", "API-"],
        accept=lambda v: not v.startswith("API-") or sum(c.isdigit() for c in v) >= 3,
    ),
    _fmt(
        "unleash_api_token",
        "Unleash API token `<project>:<environment>.<hex secret>` (`*` or `[]` for all projects)",
        # Anchored on the `:` (the engine skips to it); the environment and the secret are redacted, the
        # project name before the colon is kept. Possessive runs: a name never holds the `.` that ends it.
        [r":(?<=[a-z0-9*\]]:)(?P<s>[a-z0-9][\w\-]{0,63}+\.[a-f0-9]{40,128}+)(?![\w.\-])"],
        [],
        accept=lambda v: shannon_entropy(v.rsplit(".", 1)[1]) >= 3.5,
    ),
    _fmt(
        "ably_api_key",
        "Ably API key `<appId>.<keyId>:<keySecret>`",
        # Anchored on the `.` after the app id (the engine skips to it); the key id and secret are redacted.
        [r"\.(?<=[A-Za-z0-9_\-]{5}\.)(?P<s>[A-Za-z0-9_\-]{5,8}+:[A-Za-z0-9_\-+/=]{30,64}+)(?![\w+/=\-])"],
        [],
        # a Nix binary-cache public key (`cache.nixos.org-1:<base64 of 32 bytes>`, `trusted-public-keys`): the key
        # name ends in `-<n>` and the value is an Ed25519 public key; Ably's secret carries no padding
        accept=lambda v: high_entropy_token(v.split(":", 1)[1]) and not _NIX_PUBLIC_KEY.fullmatch(v),
    ),
    _fmt(
        "rpc_url_key",
        "Web3 RPC provider key in the URL path (Alchemy `/v2/<key>`, Infura `/v3/<key>`, QuickNode, Ankr)",
        [r"(?i)https?://[\w.\-]*(?:alchemy\.com|alchemyapi\.io|infura\.io|quiknode\.pro|ankr\.com)/"
         r"(?:v\d/|rpc/[\w\-]+/)?(?P<s>[A-Za-z0-9_\-]{24,64})(?![A-Za-z0-9_\-])"],
        ["alchemy", "infura", "quiknode", "ankr"],
    ),
    _fmt(
        "bundler_credentials",
        "Bundler source credentials in the environment: `BUNDLE_<HOST>` (dots as `__`) holds `user:password` "
        "or a token",
        [r"(?<![\w])BUNDLE_[A-Z0-9]+(?:___?[A-Z0-9]+)+[ \t]*[=:][ \t]*[\"']?(?P<s>[^\s\"']{6,256})"],
        ["bundle_"],
        accept=lambda v: not _is_placeholder(v) and not v.startswith("$"),
    ),
    _fmt(
        "docker_config_auth",
        "auth / identitytoken entries of a Docker config.json",
        [r"""\\?["'](?:auth|identitytoken)\\?["']\s*:\s*\\?["'](?P<s>[A-Za-z0-9+/=_.\-]{12,})\\?["']"""],
        ['auth"', 'auth\\"', "identitytoken"],
    ),
    _fmt(
        "terraform_cloud_token",
        "Terraform Cloud / Enterprise API token",
        [r"(?i)" + _B + r"[a-z0-9]{14}\.atlasv1\.[a-z0-9_=\-]{60,70}"],
        [".atlasv1."],
    ),
    _fmt(
        "vault_token",
        "HashiCorp Vault service, batch or recovery token",
        [_B + r"hv[sbr]\.[A-Za-z0-9_\-]{24,}"],
        ["hvs.", "hvb.", "hvr."],
    ),
    _fmt(
        "doppler_token",
        "Doppler personal, service, service-account, CLI, SCIM or audit token",
        [_B + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}" + _E],
        ["dp."],
    ),
    _fmt("pulumi_token", "Pulumi access token", [_B + r"pul-[a-f0-9]{40}" + _E], ["pul-"]),
    # PAN-OS XML/REST API keys (`type=keygen`, `X-PAN-KEY`): base64 that always opens with `LUFRPT` (the encoded
    # `-AQ==` version header), in a keygen response's bare `<key>` element, a `key=` query parameter or a header
    _fmt("panos_api_key", "Palo Alto Networks PAN-OS API key",
         [r"(?<![A-Za-z0-9+/=])LUFRPT[A-Za-z0-9+/]{40,512}={0,2}(?![A-Za-z0-9+/=])"], ["lufrpt"]),
    # Chat, paging and SaaS APIs.
    _fmt(
        "slack_token", "Slack bot, user, app-level or config token", [_B + r"xox[abposre]-[A-Za-z0-9\-]{10,}"], ["xox"]
    ),
    _fmt("slack_app_token", "Slack app-level token", [_B + r"xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}"], ["xapp-"]),
    _fmt(
        "slack_webhook_url",
        "Slack incoming-webhook or workflow URL (the path is the credential)",
        [r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/]{20,})"],
        ["hooks.slack.com"],
    ),
    _fmt(
        "discord_webhook_url",
        "Discord webhook URL",
        # the id with the token: the pair is the webhook's address, and the id alone finds its channel and guild
        [r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<s>\d+/[A-Za-z0-9_\-]{60,})"],
        ["discord"],
    ),
    _fmt(
        "teams_webhook_url",
        "Microsoft Teams / Office 365 incoming-webhook URL",
        [r"https://[A-Za-z0-9.\-]*webhook\.office\.com/webhookb2/(?P<s>[^\s\"'<>]{40,})"],
        ["webhook.office.com"],
    ),
    _fmt(
        "telegram_bot_token",
        "Telegram bot token (bot id, colon, 35-character secret), also in a /bot<token>/ URL path",
        # The first digit comes first and the look-behinds include it (same matches as a look-behind
        # before `\d{8,10}`): the engine then skips to digits instead of trying every position.
        [r"\d(?:(?<=/bot\d)|(?<![A-Za-z0-9_]\d))\d{7,9}:[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"],
        [],
        accept=lambda v: high_entropy_token(v.split(":", 1)[1]),
    ),
    _fmt(
        "discord_bot_token",
        "Discord bot or user token: base64 of the numeric account id, a timestamp part and an HMAC part",
        [r"[MNO](?<![A-Za-z0-9_\-.][MNO])[A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}(?![A-Za-z0-9_\-])"],
        [],
        accept=lambda v: _discord_token(v),
    ),
    _fmt(
        "mapbox_token",
        "Mapbox secret, public or temporary access token (sk./pk./tk. followed by a JWT-like body)",
        [_B + r"(?:sk|pk|tk)\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}(?![A-Za-z0-9_\-])"],
        ["sk.eyj", "pk.eyj", "tk.eyj"],
    ),
    _fmt(
        "stripe_key",
        "Stripe secret or restricted key",
        [_B + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99}" + _E],
        ["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
    ),
    _fmt("stripe_webhook_secret", "Stripe webhook signing secret", [_B + r"whsec_[A-Za-z0-9]{32,}" + _E], ["whsec_"]),
    _fmt("twilio_api_key", "Twilio API key SID", [_B + r"SK[0-9a-f]{32}" + _E], ["SK"]),
    _fmt(
        "twilio_auth_token",
        "Twilio auth token or API key secret: 32 hex digits shortly after `twilio`, `auth token` or `api secret`",
        [
            r"(?i)(?:twilio|auth[_\- ]?token|api[_\- ]?secret)"
            r"[\s\S]{0,80}?(?<![A-Za-z0-9_])(?P<s>[0-9a-f]{32})(?![A-Za-z0-9_])"
        ],
        ["twilio", "auth_token", "auth-token", "auth token", "authtoken", "api_secret", "api-secret", "api secret"],
    ),
    _fmt(
        "sendgrid_api_key",
        "SendGrid API key",
        [_B + r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])"],
        ["sg."],
    ),
    _fmt("mailgun_api_key", "Mailgun private API key", [_B + r"key-[0-9a-f]{32}" + _E], ["key-"]),
    _fmt("mailchimp_api_key", "Mailchimp API key", [_B + r"[0-9a-f]{32}-us\d{1,2}" + _E], ["-us"]),
    _fmt(
        "shopify_token",
        "Shopify access, custom-app, private-app or shared secret",
        [_B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _E],
        ["shpat_", "shpca_", "shppa_", "shpss_"],
    ),
    _fmt(
        "datadog_api_key",
        "Datadog API or application key next to its name",
        [r"(?i)(?:dd|datadog)_?(?:api|app(?:lication)?)_?key" + _ASSIGN + r"(?P<s>[a-f0-9]{32,40})" + _E],
        ["dd", "datadog"],
    ),
    _fmt(
        "new_relic_key",
        "New Relic user API key or license key",
        [_B + r"NRAK-[A-Z0-9]{27}" + _E, _B + r"[a-f0-9]{36}NRAL" + _E],
        ["nrak-", "nral"],
    ),
    _fmt(
        "sentry_dsn",
        "Sentry DSN (the key in the user part of the URL)",
        [r"https?://(?P<s>[a-f0-9]{32})(?::[a-f0-9]{32})?@[A-Za-z0-9.\-]*(?:sentry\.io|sentry)[A-Za-z0-9.\-]*/"],
        ["sentry"],
    ),
    _fmt(
        "sentry_auth_token",
        "Sentry organisation or user auth token",
        [_B + r"sntry[su]_[A-Za-z0-9+/=_]{40,}"],
        ["sntrys_", "sntryu_"],
    ),
    _fmt(
        "grafana_token",
        "Grafana Cloud access policy token or service-account token",
        [_B + r"glc_[A-Za-z0-9+/]{32,400}={0,2}", _B + r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}" + _E],
        ["glc_", "glsa_"],
    ),
    _fmt(
        "anthropic_api_key",
        "Anthropic API or admin key",
        [_B + r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_\-]{80,}"],
        ["sk-ant-"],
    ),
    _fmt(
        "openai_api_key",
        "OpenAI project, service-account, admin or legacy user key",
        [
            _B + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}",
            _B + r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}" + _E,
        ],
        ["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
    ),
    _fmt(
        "openrouter_api_key",
        "OpenRouter API key (`sk-or-v1-` + 64 hex)",
        [_B + r"sk-or-v1-[0-9a-f]{64}" + _E],
        ["sk-or-v1-"],
    ),
    _fmt(
        "honeycomb_api_key",
        "Honeycomb v2 API keys: ingest (`hcaik_`, `hcxik_`), management (`hcamk_`, `hcxmk_`), their id and secret "
        "in one string",
        [_B + r"hc[ax][im]k_[0-9a-z]{20,120}" + _E],
        ["hcaik_", "hcxik_", "hcamk_", "hcxmk_"],
    ),
    _fmt(
        "launchdarkly_key",
        "LaunchDarkly server-side SDK key (`sdk-<uuid>`), mobile key (`mob-<uuid>`), Relay Proxy auto-config key "
        "(`rel-<uuid>`): each reads the flags and segments of an environment",
        [r"(?<![\w\-])(?:sdk|mob|rel)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" + _E],
        ["sdk-", "mob-", "rel-"],
    ),
    _fmt("huggingface_token", "Hugging Face access token", [_B + r"hf_[A-Za-z0-9]{34,40}" + _E], ["hf_"]),
    _fmt("databricks_token", "Databricks personal access token", [_B + r"dapi[a-f0-9]{32}(?:-\d)?" + _E], ["dapi"]),
    _fmt("postman_api_key", "Postman API key", [_B + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _E], ["pmak-"]),
    _fmt("linear_api_key", "Linear API key", [_B + r"lin_api_[A-Za-z0-9]{40}" + _E], ["lin_api_"]),
    _fmt(
        "vendor_prefixed_token",
        "a vendor key whose documented prefix is glued to its body with no separator, so the generic prefix rule "
        "cannot cut it: EasyPost's `EZAK` (production) and `EZTK` (test) then 54 characters",
        [_B + r"EZ[AT]K[A-Za-z0-9]{54}" + _E],
        ["ezak", "eztk"],
    ),
    _fmt(
        "age_secret_key",
        "age encryption secret key",
        [_B + r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}" + _E],
        ["age-secret-key-1"],
    ),
    _fmt(
        "jwt",
        "JSON Web Token (Kubernetes service-account tokens, OIDC id tokens, session tokens)",
        # a JOSE header (`eyJ`, base64url of `{"`) then two segments: RFC 7515 lets a JWS carry any payload, so
        # the payload need not be a JSON object (`eyJ`) too; a signature of 8+ characters rules out `alg: none`
        [_B + r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?![A-Za-z0-9_\-])"],
        ["eyj"],
    ),
    _fmt(
        "password_hash",
        "crypt(3) password hash: bcrypt, sha512-crypt, sha256-crypt, yescrypt, argon2",
        [
            r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}",
            r"\$(?:5|6)\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}",
            r"\$y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43}",
            r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}",
            r"\$(?:apr1|1|md5)\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}",
            r"\{(?:SHA|SSHA|SHA256|SSHA256|SHA512|SSHA512|MD5|SMD5)\}[A-Za-z0-9+/]{20,}={0,2}",
            r"\$(?:pbkdf2-sha(?:1|256|512)|scrypt)\$[^\s$]{1,64}\$[./A-Za-z0-9+=]{8,}\$[./A-Za-z0-9+=]{16,}",
        ],
        ["$2", "$5$", "$6$", "$y$", "$argon2", "$apr1$", "$1$", "$md5$", "{sha", "{ssha", "{md5}", "{smd5}",
         "$pbkdf2", "$scrypt$"],
    ),
    _fmt(
        "netrc_password",
        ".netrc / .authinfo entry: `machine H login U password P` on one line or several",
        [
            r"(?i)\bmachine\s+\S+(?:\s+(?:login|port|account)\s+\S+){0,3}\s+password\s+(?P<s>[^\s#]+)",
            r"(?i)(?:^|\n)[ \t]*default(?:\s+(?:login|account)\s+\S+){0,2}\s+password\s+(?P<s>[^\s#]+)",
        ],
        ["password"],
        accept=lambda v: not _is_placeholder(v),
    ),
    # Credentials on a command line: one format, several entries so that each runs only near its own words.
    _fmt(
        "cli_password_flag",
        "password passed to a MySQL/MariaDB client as -pX, or to sshpass as -p X",
        [
            r"(?i)\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow)\b[^\n|;&]{0,200}?"
            r"\s-p(?P<s>[^\s'\"-][^\s'\"]{2,127}|'[^'\n]{1,128}'|\"[^\"\n]{1,128}\")",
            r"(?i)\bsshpass\s+-p\s*(?P<s>'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|[^\s'\"]{1,128})",
        ],
        ["mysql", "mariadb", "sshpass"],
        accept=_cli_value,
    ),
    _fmt(
        "cli_password_flag",
        "the single-dash password options of common clients: redis-cli -a, keytool/jarsigner -storepass "
        "-keypass -srcstorepass, openssl -passin/-passout pass:X, mongo/mongosh -p, htpasswd -b user pass",
        [
            r"\b(?:redis-cli|keydb-cli|valkey-cli)\b[^\n|;&]{0,200}?\s-a\s+(?P<s>'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|"
            r"[^\s'\"-][^\s'\"]{0,127})",
            r"(?<![\w-])-(?:src|dest|new)?(?:storepass|keypass)\s+" + _CLI_ARG,
            # a single-dash password option and its value after a blank, as Firebird isql, Java tools and
            # installers take it (`-password X`, `-user-password X`, `-pwd X`)
            r"(?i)(?<![\w-])-(?:[a-z]+-){0,2}(?:password|passwd|pwd)[ \t]+" + _CLI_ARG,
            r"(?<![\w-])-pass(?:in|out)\s+pass:(?P<s>[^\s'\"]{1,128})",
            r"\b(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)\b[^\n|;&]{0,200}?\s"
            r"(?:-p|--password)[ =](?P<s>'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|[^\s'\"-][^\s'\"]{0,127})",
            r"\bhtpasswd\s+-[a-zA-Z]*b[a-zA-Z]*\s+(?:-\w+\s+)*\S+\s+\S+\s+(?P<s>'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|"
            r"[^\s'\"]{1,128})",
        ],
        ["-cli", "storepass", "keypass", "-passin", "-passout", "mongo", "htpasswd", "-password", "-passwd", "-pwd"],
        accept=_cli_value,
    ),
    _fmt(
        "cli_password_flag",
        "a --password / --token / --secret style option and its value (`--password=X`, `--token X`, "
        "`--master-user-password X`)",
        [
            # up to three words before the credential word: `--master-user-password` (aws rds), `--sql-admin-password`
            r"(?i)(?<![\w-])--(?:[a-z]+[-.]){0,3}(?P<w>password|passwd|pass|pwd|token|secret|api-key|apikey|auth-token|"
            r"client-secret|access-key|secret-key|private-key|bearer|auth|key)(?:[= ]|\s+)(?P<s>'[^'\n]{1,256}'|"
            r"\"[^\"\n]{1,256}\"|[^\s'\"-][^\s'\"]{0,255})",
        ],
        ["pass", "pwd", "token", "secret", "key", "bearer", "auth"],
        accept=_cli_value,
        # a bare `auth` names a scheme as often as a credential (`--auth basic`, `--codec-auth <key>`): random only;
        # so does any other `--<words>-key` (`--master-key X`, `--license-key X`; `--ssh-key ~/.ssh/id`, `--sort-key
        # name` are not), and never a public one (`--public-key`, `--host-key`)
        accept_match=lambda m: (m.group("w").lower() not in ("auth", "key") or _keyed_random(m.group("s"))
                                or high_entropy_token(m.group("s").strip("'\"")))
        and not (m.group("w").lower() == "key" and (_PUBLIC_KEY_OPTION.search(m.group(0)) is not None
                                                     or _path_like(m.group("s").strip("'\"")))),
    ),
    _fmt(
        "cli_password_flag",
        "a single-dash option with `=` as Go's flag package and installers parse them (`-password=X`, "
        "`-api-token=X`, `-key=<random>`): a bare `key` only with a random value, as a file or a name is no key",
        [
            r"(?i)-(?<![\w-]-)(?P<flag>(?:[a-z]+[-.]){0,3}(?:password|passwd|pwd|token|secret|api-key|apikey|"
            r"auth-token|access-key|secret-key|private-key|license-key|key))=(?P<s>'[^'\n]{1,256}'|\"[^\"\n]{1,256}\"|"
            r"[^\s'\"-][^\s'\"]{0,255})",
        ],
        ["pass", "pwd", "token", "secret", "-key="],
        accept=_cli_value,
        accept_match=lambda m: m.group("flag").lower() != "key" or _looks_random(m.group("s"))
        or high_entropy_token(m.group("s")),
    ),
    _fmt(
        "cli_password_flag",
        "a long option whose one-word name ends in a credential word, as daemons spell their config directives "
        "on the command line (redis-server `--requirepass X --masterauth X`, `--adminpass`, `--dbpassword`): "
        "the name is judged as a key, so `--bypass` or `--compass` are not",
        [
            r"(?i)--(?<![\w\-]--)(?P<flag>[a-z]{2,24}(?:pass|passwd|password|pwd|auth))(?:=|[ \t]+)"
            r"(?P<s>'[^'\n]{1,256}'|\"[^\"\n]{1,256}\"|[^\s'\"-][^\s'\"]{0,255})",
        ],
        ["pass ", "pass=", "passwd ", "passwd=", "password ", "password=", "pwd ", "pwd=", "auth ", "auth="],
        accept=_cli_value,
        accept_match=lambda m: credential_key(m.group("flag")) is KeyKind.PASSWORD,
    ),
    _fmt(
        "cli_password_flag",
        "user:password given to curl/wget/git/helm/docker with -u, --user or --creds",
        [
            r"(?i)\b(?:curl|wget|httpie|git|helm|docker|skopeo|oras)\b[^\n|;&]{0,200}?\s(?:-u|--user|"
            r"--creds|--http-user)[ =](?P<q>['\"]?)[^\s:'\"]{1,64}:(?P<s>[^\s'\"]{1,256})(?P=q)",
        ],
        ["-u ", "-u=", "--user", "--creds", "--http-user"],
        accept=lambda v: _cli_value(v) and not v.strip("'\"").isdigit(),  # `docker run --user 1000:1000`: uid:gid
        windowed=False,  # the command name may stand far before the flag, past a long URL
    ),
    _fmt(
        "password_assignment",
        "the password of a plain-text login dialogue (FTP, POP3 `USER x` then `PASS y`) as a capture, strace or "
        "a client's debug output shows it, escaped (`\\r\\n`) or not",
        [r"\bUSER [^\s\"\\]{1,64}(?:\\r\\n|\r?\n)[\s\S]{0,240}?\bPASS (?P<s>[^\s\"\\]{1,128})(?=\\r\\n|\r?\n|\"|$)"],
        ["pass "],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "password_assignment",
        "the answer to a SASL LOGIN password prompt (SMTP `334`, IMAP `+`, POP3 `+`): the server asks in base64 "
        "(`UGFzc3dvcmQ6`, `Password:`; `cGFzc3dvcmQ6`, `password:`) and the client's next line is the password, "
        "base64-encoded, as a session transcript or a debug log (`C:`/`>>>` prefixes) prints it",
        [r"(?:\b334|\+)[ \t]+(?:UGFzc3dvcmQ6|cGFzc3dvcmQ6)[ \t]*(?:\\r\\n|\r?\n)(?:[A-Za-z]{1,8}:|>>>|->)?[ \t]*"
         r"(?P<s>[A-Za-z0-9+/]{4,512}={0,2})(?![A-Za-z0-9+/=])"],
        ["ugfzc3dvcmq6", "cgfzc3dvcmq6"],
        accept=lambda v: v != "*",
    ),
    _fmt(
        "url_credentials",
        "a URL's user-info password inside a percent-encoded URL (a redirect's `next=`, a `url=` parameter): "
        "`scheme%3A%2F%2Fuser%3Apassword%40host`, or encoded twice (`%253A%252F%252F...%2540`) when the URL was a "
        "parameter of a URL that is itself a parameter (`next=` holding a `dsn=`)",
        [r"(?i)%(?P<t>(?:25)?)3A%(?P=t)2F%(?P=t)2F[^%\s/&?#@]{1,64}%(?P=t)3A(?P<s>[^\s&/?#]{1,256}?)%(?P=t)40"],
        ["%3a%2f%2f", "%253a%252f%252f"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "cli_password_flag",
        "an API key given as the user name of HTTP Basic with an empty or dummy password (`curl -u KEY:`, "
        "`-u KEY:X`): the convention of APIs that take the key as the user (Freshdesk, KeyCDN, Stripe, "
        "Lambda Cloud); the password part is blank or one letter, so the user part is the credential",
        [
            r"-(?<![\w-]-)(?:u|-user|-http-user)[ =](?P<q>['\"]?)(?P<s>[^\s:'\"]{16,256}):[A-Za-z]?(?P=q)(?=\s|$)",
        ],
        ["-u ", "-u=", "--user", "--http-user"],
        accept=lambda v: _looks_random(v) or high_entropy_token(v) or _keyed_random(v),
    ),
    _fmt(
        "cli_password_flag",
        "a short password option after a short user option on one command line (`-u root -p 'X'`, `-U admin -P X`, "
        "a PowerShell or shell line continued in between): database shells and cloud CLIs alike; a port "
        "(`-p 8080:80`, `-p 9669`) is not a password",
        [
            r"-(?<![\w-]-)[uU][ \t]+['\"]?[^\s'\"-][^\s'\"]{0,127}['\"]?(?:[ \t]+|[ \t]*[`\\]\r?\n[ \t]*)"
            r"(?:-[A-Za-z][\w-]{0,24}[ \t]+[^\s'\"-][^\s'\"`]{0,63}[ \t]+){0,2}"
            r"-[pP][ \t]+(?P<s>'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|[^\s'\"`-][^\s'\"`]{0,127})",
        ],
        ["-p "],
        accept=lambda v: _cli_value(v) and _CLI_PORT.fullmatch(v.strip("'\"")) is None
        and (v[0] in "'\"" or not (v.isalpha() or identifier_like(v)))  # `mysqladmin -u root -p status` prompts
        and not v.strip("'\"").rstrip().endswith(":"),  # `sudo -u app -p 'Password for %u: '`: a prompt text
    ),
    _fmt(
        "password_assignment",
        "a `user / password` pair a sentence hands over (`seeded with admin / X`, `log in as root / X`, "
        "`credentials: ops / X`): blanks around the slash, and only a made value (three character classes, not a "
        "version or a path), as `read / write` or `nginx / 1.25` are not credentials",
        [r"(?i)\b(?:with|as|login|log[ \t]+in|sign[ \t]+in|credentials?|creds|account)[ \t]*:?[ \t]+"
         r"[A-Za-z][\w.\-@]{0,63}[ \t]+/[ \t]+(?P<s>[^\s'\",/]{6,128})"],
        ["/ "],
        accept=lambda v: _made_credential(v.rstrip(".;:")) and char_classes(v) >= 3
        and not _VERSION_LIKE.fullmatch(v.lstrip("v")),
    ),
    _fmt(
        "cli_password_flag",
        "`user:password` as the argument of a login verb (`dgraph ... login groot:X`, `tool login admin:X`): "
        "taken only when the part after the colon is made (three character classes), as a port, a group or a "
        "tag is not",
        [r"(?i)login(?<![\w-]login)[ \t]+(?:-{1,2}[\w-]{1,24}[ \t]+)*['\"]?[A-Za-z][\w.\-]{0,63}:"
         r"(?P<s>[^\s'\"/]{6,128})"],
        ["login "],
        accept=lambda v: not _is_placeholder(v) and char_classes(v) >= 3 and shannon_entropy(v) >= 3.0,
    ),
    _fmt(
        "cli_password_flag",
        "the password options of directory, database and network clients: ldapsearch/ldapmodify -w X, "
        "cqlsh -p X, snmpwalk/snmpget -c community and -A/-X SNMPv3 passphrases, smbclient -U user%pass, "
        "sqlplus/rman/expdp user/pass@db",
        [
            r"\bldap(?:search|modify|add|delete|passwd|whoami|compare|modrdn|exop|url)\b[^\n|;&]{0,200}?\s-w\s+"
            + _CLI_ARG,
            r"\bcqlsh\b[^\n|;&]{0,200}?\s(?:-p|--password)[ =]" + _CLI_ARG,
            _SNMP_COMMAND + r"[^\n|;&]{0,200}?\s-[cAX][ \t]*" + _CLI_ARG,
            # SNMPv3 gives two passphrases (-A auth, -X privacy): the second one after the first
            _SNMP_COMMAND + r"[^\n|;&]{0,200}?\s-[cAX][ \t]*\S+[^\n|;&]{0,200}?\s-[cAX][ \t]*" + _CLI_ARG,
            r"\b(?:smbclient|rpcclient|smbmap|smbget|smbcacls)\b[^\n|;&]{0,200}?\s(?:-U|--user(?:name)?)[ =]"
            r"['\"]?[^\s%'\"]{1,64}%(?P<s>[^\s'\"]{1,128})",
            r"\b(?:sqlplus|rman|expdp|impdp|sqlldr|dgmgrl)\b(?:[ \t]+(?:-\w+|target|auxiliary|catalog))*[ \t]+"
            r"(?:userid=)?['\"]?[A-Za-z][\w$#]{0,63}/"
            r"(?P<s>[^\s@/'\"]{1,128})@",
        ],
        ["ldap", "cqlsh", "snmp", "smb", "rpcclient", "sqlplus", "rman", "expdp", "impdp", "sqlldr", "dgmgrl"],
        accept=_cli_value,
    ),
    _fmt(
        "config_directive_password",
        "a password given as a directive of a line-oriented config: snmpd `rocommunity X` and "
        "`com2sec name source X`, redis `requirepass X` / `masterauth X`, keepalived `auth_pass X`, "
        "haproxy `insecure-password X`",
        [
            r"(?im)^[+\-]?[ \t]*(?:ro|rw)community6?[ \t]+(?P<s>[^\s#]{1,128})",
            r"(?im)^[+\-]?[ \t]*com2sec6?[ \t]+(?:-Cn[ \t]+\S+[ \t]+)?\S+[ \t]+\S+[ \t]+(?P<s>[^\s#]{1,128})",
            r"(?im)^[+\-]?[ \t]*(?:requirepass|masterauth|auth_pass|authpass)[ \t]+"
            r"(?P<s>\"[^\"\n]{1,128}\"|[^\s#\"]{1,128})",
            r"(?i)\binsecure-password[ \t]+(?P<s>[^\s#]{1,128})",
        ],
        ["community", "com2sec", "requirepass", "masterauth", "auth_pass", "authpass", "insecure-password"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "config_directive_password",
        "a Redis ACL rule that adds a password, `>pass` (`ACL SETUSER name on >pass ~* +@all`, a `user` line of "
        "users.acl or redis.conf, the quoted arguments MONITOR prints); `#<sha256>` adds a hash instead and stays",
        [
            r"(?i)\bsetuser\b[^\n]{0,300}?(?<=[ \t\"'])>(?P<s>[^\s\"']{1,256})",
            r"(?im)^[ \t]*user[ \t]+\S+(?:[ \t]+\S+){0,12}?[ \t]+>(?P<s>[^\s\"']{1,256})",
        ],
        ["setuser", "user "],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "prose_password",
        "a password stated in prose: `the password is X`, `created with password X`, `pwd: X`",
        [
            r"(?i)\b(?:password|passwd|passphrase|passcode|pwd|pass\s?word)s?\s+(?:is|was|set\s+to|changed\s+to|"
            r"reset\s+to|now|will\s+be)\s*(?:now\s+|still\s+)?[:=]?\s*(?P<s>[`'\"][^`'\"\n]{3,128}[`'\"]|[^\s`'\"]{4,128})",
            r"(?i)\b(?:with|using|via)\s+(?:the\s+|a\s+|password\s+)?(?:password|passwd|passphrase|pwd|pass)\b\s*[:=]?\s*"
            r"(?P<s>[`'\"][^`'\"\n]{3,128}[`'\"]|[^\s`'\"]{4,128})",
        ],
        ["pass", "pwd"],
        accept=lambda v: _prose_password(v),
    ),
    _fmt(
        "password_assignment",
        "a password after the word for it in another language or script (`Passwort:`, `contraseña:`, "
        "`mot de passe =`, `пароль:`, `パスワード：`, `密码:`, `비밀번호:`)",
        [r"(?i)(?<![\w])(?:" + "|".join(_FOREIGN_PASSWORD_WORDS) + r")[ \t]*[\"']?[ \t]*[:=：＝՝፡፦][ \t]*"
         r"[\"'「`]?(?P<s>[^\s\"'`」,;，。、]{1,256})"],
        [w.lower() if "[" not in w else "passe" for w in _FOREIGN_PASSWORD_WORDS],
        accept=lambda v: _password_value(v, quoted=False),
    ),
    _fmt(
        "secret_assignment",
        "a random-looking value after the word for secret, key or token in another language or script "
        "(`clave secreta:`, `clé secrète =`, `密钥:`, `ключ:`, `トークン：`)",
        [r"(?i)(?<![\w])(?:" + "|".join(_FOREIGN_SECRET_WORDS) + r")[ \t]*[\"']?[ \t]*[:=：＝][ \t]*[\"'「`]?"
         r"(?P<s>[^\s\"'`」,;，。、]{10,512})"],
        [w.lower() for w in _FOREIGN_SECRET_WORDS],
        accept=lambda v: _looks_random(v) or high_entropy_token(v) or _keyed_random(v),
    ),
    _fmt(
        "xml_credential",
        "password, token or secret as an XML element (<password>X</password>, Maven settings, web.config)",
        [
            r"(?i)<(?P<tag>[\w:.\-]{0,40}(?:password|passwd|pwd|passphrase|secret|token|apikey|api-key|api_key|"
            r"credential)[\w.\-]{0,20})(?:\s[^<>]{0,512})?>(?P<s>[^<\s]{3,256})</(?P=tag)>",
            # CDATA, and a `<Value>` child (Windows unattend.xml `<AdministratorPassword><Value>`)
            r"(?i)<[\w:.\-]{0,40}(?:password|passwd|pwd|passphrase|secret|token|apikey|api-key|api_key|"
            r"credential)[\w.\-]{0,20}>\s*(?:<value>\s*)?<!\[CDATA\[(?P<s>[^\]]{1,512}?)\]\]>",
            r"(?i)<[\w:.\-]{0,40}(?:password|passwd|pwd|passphrase|secret|token|apikey|api-key|api_key|"
            r"credential)[\w.\-]{0,20}>\s*<value>(?P<s>[^<\s]{3,256})</value>",
        ],
        ["pass", "pwd", "secret", "token", "key", "credential"],
        accept=lambda v: not _is_placeholder(v),
        accept_match=lambda m: _credential_element(m.groupdict().get("tag")),
    ),
    _fmt(
        "xml_credential",
        "an XML element whose name ends in a key word that makes it a credential (Authorize.Net "
        "`<transactionKey>`, `<signingKey>`, `<hmacKey>`), holding a random-looking value: `<primaryKey>`, "
        "`<cacheKey>`, `<publicKey>` and words are not",
        [r"<(?P<tag>[\w:.\-]{0,40}[Kk]ey)>(?P<s>[^<\s]{8,256})</(?P=tag)>",
         # the key in a `<value>` child of an element with attributes (ASP.NET Data Protection's key ring
         # `<masterKey p4:requiresEncryption="true" ...><value>...</value>`)
         r"<(?P<tag>[\w:.\-]{0,40}[Kk]ey)(?:\s[^<>]{0,512})?>\s*<(?:[\w.\-]{1,20}:)?[Vv]alue>(?P<s>[^<\s]{8,1024})"
         r"</(?:[\w.\-]{1,20}:)?[Vv]alue>"],
        ["key>", "key "],
        accept_match=lambda m: _element_key(m.group("tag"), m.group("s")),
    ),
    _fmt(
        "keystore_material",
        "a key store's bytes as base64 in an element named for the store (Jenkins `<uploadedKeystoreBytes>`, "
        "`<keystore>`, `<pfxData>`, `<pkcs12>`), wrapped over lines as XML serialisers write it: a PKCS#12 / "
        "JKS file holds private keys, and its password is usually beside it",
        [
            r"<(?P<tag>[\w:.\-]{0,40}(?:[Kk]ey[Ss]tore|PKCS12|[Pp]kcs12|PFX|[Pp]fx|P12|p12|JKS|[Jj]ks)[\w.\-]{0,20})"
            r"(?:\s[^<>]{0,512})?>\s*(?P<s>[A-Za-z0-9+/=][A-Za-z0-9+/=\s]{62,65534}[A-Za-z0-9+/=])\s*</(?P=tag)>",
        ],
        ["keystore", "pkcs12", "pfx", "p12", "jks"],
    ),
    _fmt(
        "pulumi_secret_plaintext",
        "a Pulumi secret decrypted (`pulumi stack export --show-secrets`, state files): the `plaintext` beside the "
        "secret signature key `4dabf18193072939515e22adb298388d` that marks every Pulumi secret value",
        [
            r'"4dabf18193072939515e22adb298388d"\s*:\s*"1b47061264138c4ac30d75fd1eb44270"\s*,\s*"plaintext"\s*:\s*'
            r'"(?P<s>(?:[^"\\\r\n]|\\.){1,4096})"',
            r'"plaintext"\s*:\s*"(?P<s>(?:[^"\\\r\n]|\\.){1,4096})"\s*,\s*"4dabf18193072939515e22adb298388d"\s*:',
        ],
        ["4dabf18193072939515e22adb298388d"],
        accept=lambda v: v not in ('\\"\\"', "null", ""),
    ),
    # Credentials in URLs, headers and connection strings.
    _fmt(
        "url_credentials",
        "password in the user-info part of a URL of any scheme (postgres://user:pass@host, sasl_ssl://u:p@host); "
        "the user may hold `@` (vSphere `administrator@vsphere.local`) and the password runs to the last `@` "
        "before the host, as RFC 3986 and the clients read it",
        [
            # 4096: a registry's temporary token rides as the password (CodeArtifact's `aws:<token>@`, ~1,200)
            r"(?i)(?<![a-z0-9+.\-_])[a-z][a-z0-9+.\-_]{1,30}://(?P<u>[^\s/:'\"<>?#]{0,128}):(?P<s>[^\s/'\"<>?]{1,4096}"
            r"(?:[?#][^\s/'\"<>?#=&]{0,256}){0,4})@[A-Za-z0-9.\-\[\]_]"
        ],
        ["://"],
        accept=_userinfo_password,
        # a password that repeats the user name is a product's documented default (RabbitMQ `guest:guest`, the
        # postgres image's `postgres:postgres`, MinIO's `minioadmin:minioadmin`): every copy of its docs prints it
        accept_match=lambda m: m.group("s") != m.group("u"),
    ),
    _fmt(
        "url_credentials",
        "a URL's user-info user that is itself a key, beside its password: Sentry's legacy DSN "
        "`https://<public key>:<secret key>@host/project`, an object store's `s3://<access key>:<secret>@bucket`; "
        "a random or 32+ hex user is no person's login name",
        [
            r"(?i)(?<![a-z0-9+.\-_])[a-z][a-z0-9+.\-_]{1,30}://(?P<s>[^\s/:'\"<>?#@]{16,128}):[^\s/'\"<>?@]{1,4096}"
            r"@[A-Za-z0-9.\-\[\]_]"
        ],
        ["://"],
        accept=lambda v: _looks_random(v) or high_entropy_token(v) or _HEX_KEY_USER.fullmatch(v) is not None,
    ),
    _fmt(
        "url_credentials",
        "a token in the user part of a URL with no or an empty password (`https://<token>@push.fury.io/`, "
        "packagecloud's `https://<token>:@packagecloud.io/`, Azure DevOps `https://<pat>@dev.azure.com`): "
        "package hosts and git remotes take the token as the user name; a user name (`git@`, `jane.doe@`) stays",
        [
            r"(?i)(?<![a-z0-9+.\-_])[a-z][a-z0-9+.\-_]{1,30}://(?P<s>[A-Za-z0-9_\-.~]{16,256}):?@"
            r"[A-Za-z0-9.\-\[\]_]"
        ],
        ["://"],
        accept=lambda v: not _is_placeholder(v) and (high_entropy_token(v) or _looks_random(v)),
    ),
    _fmt(
        "url_credentials",
        "the password of a Go database/sql DSN (go-sql-driver/mysql, ClickHouse, TiDB): `user:pass@tcp(host:port)/db`, "
        "`user:pass@unix(/path/sock)/db`; no scheme, so the URL format above does not see it",
        [r"(?<![\w.\-])[\w.\-]{1,64}:(?P<s>[^\s@'\"]{1,256})@(?:tcp6?|udp|unix)\("],
        ["@tcp(", "@tcp6(", "@unix(", "@udp("],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "url_query_credential",
        "password, token or key passed as a URL query or form parameter",
        [
            r"(?i)[?&](?:password|passwd|pwd|pass|access_token|refresh_token|id_token|api_key|apikey|"
            r"client_secret|secret|token|auth|key)=(?P<s>[^&\s'\"#<>]{6,256})"
        ],
        ["pass", "pwd", "token", "api_key", "apikey", "secret", "auth", "key="],
        accept=lambda v: not _is_placeholder(v) and (len(v) >= 16 or not v.isalpha()),
    ),
    _fmt(
        "connection_string_password",
        "Password/Pwd field of an ADO.NET, ODBC or JDBC connection string",
        [
            r"(?i);[ \t]*(?:password|pwd)[ \t]*=[ \t]*(?P<s>[^;'\"\r\n]{1,256}?)[ \t]*(?=;|$|[\"'\r\n])",
            r"(?i)(?:^|[\s\"'])(?:password|pwd)[ \t]*=[ \t]*(?P<s>[^;'\"\s]{1,256})[ \t]*;",
        ],
        ["password", "pwd"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "authorization_bearer",
        "Bearer credential in an Authorization header or a curl/HTTP dump",
        [
            r"(?i)\bauthorization\\?[\"']?\s*[:=]\s*\\?[\"']?bearer\s+(?P<s>[A-Za-z0-9._~+/\-]{8,}=*)",
            r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/\-]{20,}=*)",
        ],
        ["bearer"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "authorization_basic",
        "Basic credential (base64 user:password) in an Authorization header",
        [r"(?i)\b(?:proxy-)?authorization\\?[\"']?\s*[:=]\s*\\?[\"']?basic\s+(?P<s>[A-Za-z0-9+/._\-~]{4,}={0,2})"],
        ["basic"],
    ),
    _fmt(
        "authorization_header",
        "any other Authorization scheme (token, SSWS, Digest, ApiKey, sso-key, ...)",
        [
            r"(?i)\b(?:proxy-)?authorization\\?[\"']?\s*[:=]\s*\\?[\"']?(?!bearer\b|basic\b)"
            r"(?:[A-Za-z][A-Za-z0-9\-]{1,24}\s+)?(?P<s>[^\s\"',;]{8,})"
        ],
        ["authorization"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "api_key_header",
        "a request header named by a bare credential word on a command line (`curl -H \"Key: ...\"`, AbuseIPDB; "
        "`-H 'Token: ...'`, `--header 'Apikey: ...'`): the word alone is ambiguous, the header position is not",
        [
            r"(?i)(?:-H|--header)[ \t=]+[\"']?(?:key|token|apikey|api-token|auth-key|access-key|secret|secret-key)"
            r"[ \t]*:[ \t]*(?P<s>[^\s\"',;]{16,512})"
        ],
        ["-h ", "--header"],
        accept=lambda v: not _is_placeholder(v) and (high_entropy_token(v) or _keyed_digest(v) or _looks_random(v)),
    ),
    _fmt(
        "tls_key_log",
        "a TLS key log line (SSLKEYLOGFILE, NSS format): `CLIENT_RANDOM <client random> <master secret>` and the "
        "TLS 1.3 traffic secrets; with it a capture of the session decrypts",
        [
            r"(?m)^[ \t]*(?:CLIENT_RANDOM|CLIENT_EARLY_TRAFFIC_SECRET|CLIENT_HANDSHAKE_TRAFFIC_SECRET|"
            r"SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_\d+|SERVER_TRAFFIC_SECRET_\d+|EXPORTER_SECRET|"
            r"EARLY_EXPORTER_SECRET)[ \t]+[0-9a-fA-F]{16,128}[ \t]+(?P<s>[0-9a-fA-F]{32,256})\b"
        ],
        ["client_random", "traffic_secret", "exporter_secret"],
    ),
    _fmt(
        "password_hash_dump",
        "an NT/LM hash dump line (pwdump, secretsdump, SAM/NTDS): `user:rid:lmhash:nthash:::`; an NT hash logs in "
        "as the user (pass-the-hash) without cracking. The empty-password NT hash is public and stays",
        [
            r"(?m)^[ \t]*(?:[^\s:\\]{1,64}\\)?[^\s:]{1,128}:\d{1,10}:(?P<lm>[0-9a-fA-F]{32}|\*{32}|NO PASSWORD\*{21}):"
            r"(?P<s>[0-9a-fA-F]{32}):::"
        ],
        [":::"],
        accept=lambda v: v.lower() != "31d6cfe0d16ae931b73c59d7e0c089c0",
        windowed=False,  # the line starts up to ~200 characters before its `:::`; `^` keeps the scan cheap
    ),
    _fmt(
        "api_key_header",
        "API-key style request headers (X-Api-Key, Private-Token, X-Vault-Token, ...)",
        [
            r"(?i)\b(?:x-api-key|api-key|x-auth-token|x-access-token|private-token|job-token|x-vault-token|"
            r"x-goog-api-key|ocp-apim-subscription-key|x-functions-key|x-figma-token|x-shopify-access-token|"
            r"dd-api-key|dd-application-key|x-honeycomb-team|x-gitlab-token|x-hub-signature-256)"
            # `name: value`, and `name=value` as OpenTelemetry's OTEL_EXPORTER_OTLP_HEADERS lists headers; the value
            # ends at `@`: `https://x-access-token:<token>@github.com/...` is a URL's user and password, not a header
            r"(?:\\?[\"']?\s*:\s*\\?[\"']?|=)(?P<s>[^\s\"'`,;@]{8,})"
        ],
        ["api-key", "token", "subscription-key", "functions-key", "honeycomb", "signature"],
        accept=lambda v: not _is_placeholder(v),
    ),
    _fmt(
        "session_cookie",
        "session or auth cookie value",
        [
            # `.ASPXAUTH` starts with a dot: after a blank or `;` (a W3C log's cookie field) `\b` cannot stand
            # before it; ASP.NET's own session cookie `ASP.NET_SessionId`. Every branch needs a non-word character
            # (or the start) before it: the leading `(?<!\w)` says so once, and the engine tries the branches only
            # there, not at every position inside a word (three branches per position cost +80% on this format)
            r"(?i)(?<!\w)(?:(?<![\w.\-])\.aspxauth|(?<![\w.\-])asp\.net_sessionid|\b(?:session(?:id)?|sessid|phpsessid|jsessionid|"
            r"(?:[a-z]+[_.\-])?sid|_?[a-z0-9]+_session|"
            r"auth_token|remember_token|_oauth2_proxy|__host-[a-z_\-]+|__secure-[a-z_\-]+|"
            # persistent-login cookies: Spring Security `remember-me`, Devise `remember_user_token`, Laravel
            # `remember_web_<hash>`, `rememberMe`: each logs its holder in again without a password
            r"remember[_\-]?me|remember_[a-z0-9]+_token|remember_web_[0-9a-f]{16,64}))=(?P<s>[^;\s'\"]{16,})"
        ],
        ["sess", "token", "sid=", "aspxauth", "oauth2_proxy", "__host-", "__secure-", "remember"],
        # a Windows security identifier (`sid=S-1-5-21-...`) names an account, it grants nothing; so does a typed
        # resource SID (`sid=SM<32 hex>`, Twilio's documented two-letter type and 32 hex digits: a message, a call)
        accept=lambda v: not _is_placeholder(v) and shannon_entropy(v) >= 3.0 and not v.upper().startswith("S-1-")
        and not _TYPED_SID.fullmatch(v),
    ),
    _fmt(
        "session_cookie",
        "a cookie whose name says its holder is logged in or authenticated",
        [
            # ASP.NET Core's `.AspNetCore.Cookies` / `.AspNetCore.Identity.Application` (and their chunks `C1`),
            # WordPress `wordpress_logged_in_<hash>` / `wordpress_sec_<hash>`, Keycloak `KEYCLOAK_IDENTITY` /
            # `AUTH_SESSION_ID`, and any `*_auth`, `*logged_in*` name
            r"(?i)(?<![\w.\-])(?:\.aspnetcore\.(?:cookies|identity\.application|session)(?:C\d{1,2})?|"
            r"wordpress_(?:logged_in|sec)_[0-9a-f]{32}|keycloak_identity(?:_legacy)?|keycloak_session(?:_legacy)?|"
            r"[\w.\-]{0,32}logged_?in[\w\-]{0,40}|[\w.\-]{0,32}[_.\-]auth(?:_?cookie)?|auth_session_id(?:_legacy)?)"
            r"=(?P<s>[^;\s'\"]{16,})",
        ],
        [".aspnetcore.", "logged_in", "loggedin", "auth=", "auth_cookie=", "keycloak_", "wordpress_sec_",
         "auth_session_id"],
        accept=lambda v: not _is_placeholder(v) and shannon_entropy(v) >= 3.0,
    ),
    _fmt(
        "session_cookie",
        "a long random value a server sets as a cookie, whatever the cookie's name",
        # `Set-Cookie: <any name>=<value>` (RFC 6265): a framework's session store (gorilla/sessions, Flask,
        # Express, Rails) lets the application name the cookie, so the name cannot be relied on; a value of
        # 32+ characters of high entropy is a session or auth token whatever it is called
        [r"(?i)(?<![\w\-])set-cookie:[ \t]*[^=;\s]{1,64}=(?P<s>[^;\s'\"]{32,4096})"],
        ["set-cookie:"],
        accept=lambda v: not _is_placeholder(v) and high_entropy_token(v.strip('"')),
    ),
    _fmt(
        "base64_credentials",
        "base64 that decodes to credentials: .dockerconfigjson, JSON with a password/token, user:password",
        [r"(?<![A-Za-z0-9+/=_\-])(?P<s>[A-Za-z0-9+/_\-]{16,}={0,2})(?![A-Za-z0-9+/=_\-])"],
        [],
        accept=base64_credential,
    ),
    _fmt(
        "dynatrace_token",
        "Dynatrace API / PaaS token `dt0c01.<24 public>.<64 secret>`",
        [_B + r"dt0[a-z]\d{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + _E],
        ["dt0"],
    ),
    _fmt(
        "vendor_prefixed_token",
        "a token in the shape vendors document for their keys: a short prefix naming the vendor and kind "
        "(`gsk_`, `r8_`, `figd_`, `napi_`, `xai-`, `HRKU-`, `pscale_tkn_`, ...) and a long random body",
        # The first letter comes first and the look-behind includes it, so the engine skips to letters.
        [r"[A-Za-z](?<![A-Za-z0-9_\-.+/=][A-Za-z])[A-Za-z0-9]{1,7}+[_\-][A-Za-z0-9_\-]{30,250}+"
         r"(?![A-Za-z0-9_\-+/=.@:])"],
        [],
        accept=_vendor_prefixed,
    ),
    _fmt(
        "kubeconfig_credential",
        "client-key-data, token and password entries of a kubeconfig user",
        [
            r"(?m)^[ \t]*(?:client-key-data|id-token|refresh-token|token|password)[ \t]*:[ \t]*"
            r"[\"']?(?P<s>[A-Za-z0-9+/=._\-~]{16,})[\"']?[ \t]*$"
        ],
        ["client-key-data", "token:", "password:"],
        accept=lambda v: _looks_random(v) or _base64_pem_key(v),
    ),
)

GENERIC_FORMATS: tuple[str, ...] = ("password_assignment", "secret_assignment", "k8s_env_secret", "high_entropy_secret")
"""Formats found by key name rather than by value shape (see `_assignment_candidates`)."""

STRUCTURAL_FORMATS: tuple[str, ...] = ("k8s_secret_data", "k8s_last_applied_secret")
"""Formats found by the shape of a Kubernetes Secret in YAML, JSON or parsed objects."""


TOOL_OUTPUT_FORMATS: tuple[str, ...] = ("tool_printed_secret", "stdin_secret", "ci_debug_secret", "key_vault_secret")
"""Secrets found by the command or store that printed them (see guardrails/secret_tool_output.py)."""


def format_names() -> list[str]:
    """Every distinct credential format this module redacts."""
    names = [f.name for f in FORMATS]
    return sorted(set(names) | set(GENERIC_FORMATS) | set(STRUCTURAL_FORMATS) | set(TOOL_OUTPUT_FORMATS))


# --------------------------------------------------------------------------- generic assignments

_FOREIGN_KEY_PASSWORD: tuple[str, ...] = (
    "пароль", "парола", "лозинка", "パスワード", "暗証番号", "密码", "密碼", "口令", "비밀번호", "암호", "كلمة", "رمز",
    "סיסמה", "סיסמא", "पासवर्ड", "รหัสผ่าน", "κωδικός", "συνθηματικό", "পাসওয়ার্ড", "şifre", "hasło", "jelszó",
    "lösenord", "contraseña", "parolă", "salasõna", "slaptažodis", "lykilorð", "mật",
    "கடவுச்சொல்", "పాస్వర్డ్", "ಪಾಸ್ವರ್ಡ್", "പാസ്വേഡ്", "પાસવર્ડ", "ਪਾਸਵਰਡ", "پاسورڈ", "گذرواژه", "сырсөз",
    "პაროლი", "գաղտնաբառ", "şifrə", "fjalëkalim",
)
"""Password words of non-ASCII key names (`пароль_бд`, `DBパスワード`, `parolă.bazei`), found inside a key."""
_FOREIGN_KEY_SECRET: tuple[str, ...] = (
    "токен", "секрет", "ключ", "トークン", "シークレット", "秘密鍵", "キー", "令牌", "密钥", "秘钥", "密鑰", "토큰",
    "비밀키", "키", "مفتاح", "מפתח", "टोकन", "कुंजी", "โทเค็น", "คีย์", "κλειδί", "διακριτικό", "schlüssel", "clé",
    "klíč", "anahtarı",
)
"""Secret, key and token words of non-ASCII key names (`токен_доступу`, `アクセストークン`, `访问令牌`)."""
_KEY_WORDS = frozenset({
    "pass", "pwd", "pw", "secret", "token", "key", "auth", "cred", "dsn", "salt", "pepper", "signature", "bearer",
    "pat", "seed", "community", "psk", "senha", "kennwort", "contrase", "wachtwoord", "salasana", "adgangskode",
    "heslo", "haslo", "jelszo", "sifre", "parol", "lozinka", "geslo", "geheim", "segret", "chiave", "clave",
    "chave", "sleutel", "schl", "nyckel", "avain", "klucz", "sandi", "laluan", "nenosiri", "wagwoord", "cyfrinair",
    "pasahitza", "contrasinal", "slaptazod", "salasona", "lykilord", "matkhau", "mima", "jeton", "anahtar",
    "fjalekalim", "kunci", "rahasia", "kulcs", "klic", "titok", "gizli", "tajny", "encrypt", "mnemonic", "_sk", "hmac",
    "mdp", "llave", "cheie", "kljuc", "signing", "_pk",
})
_KEYWORD = re.compile(_trie_pattern(set(_KEY_WORDS)))
"""Credential words a key name may contain; `credential_key` decides whether the whole key is one. A
prefix tree: one step per character whatever the number of words."""
_FOREIGN_KEYWORD = re.compile(_trie_pattern(set(_FOREIGN_KEY_PASSWORD + _FOREIGN_KEY_SECRET)))
"""The same for keys in other scripts, run only on text that is not all ASCII."""
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_AFTER_KEY = re.compile(
    # `'hash_salt'] =` (an index), `token(part 1/2)=` (a qualifier), `=> string(16) "..."` (PHP var_dump)
    r"""(?P<kq>\\?["']|&quot;|&\#34;)?\]?(?:[ \t]?\([^()\r\n]{1,32}\)(?=[ \t]*[:=](?!=)))?"""
    # Scala's and Kotlin's Map toString (`Map(db.password -> X, ...)`) write `->` between spaces; an INI value
    # may start on an indented continuation line (`bind_password =` then `    X`), which is no `key =` itself
    r"""(?:[ \t]{0,3}(?::=|=>|[:=]|(?<=[ \t])->(?=[ \t]))[ \t]{0,40}|"""
    r"""[ \t]{0,3}=[ \t]*\r?\n[ \t]{1,40}(?![^\s=:]{1,64}[ \t]*[=:])(?=[^\s\[#;]))"""
    # PHP var_dump's `string(16)`, R str()'s `chr`; a YAML anchor or tag
    # (var_dump prints `=>` at the end of the key's line and `string(16) "..."` on the next)
    r"""(?:(?:\r?\n[ \t]{0,40})?string\(\d{1,6}\)[ \t]*|chr[ \t]+(?=")|[&!][\w!\-]{1,32}[ \t]+(?=\S))?"""
    # a YAML block scalar (`>-`, `|`) or a heredoc (`<<-EOT`): the value starts on the next line
    r"""(?:(?P<ml>[>|][+-]?\d?|<<[-~]?[ \t]*["']?[A-Za-z_]\w{0,31}["']?|@["'])(?=[ \t]*\r?\n)|"""
    # HTML-escaped quotes (JSON inside an HTML attribute or a page): `&quot;password&quot;:&quot;...&quot;`
    r"""(?P<eq>&quot;|&\#34;)(?P<ev>(?:(?!&quot;|&\#34;)[^\r\n"<>]){1,512})(?P=eq)|"""
    r"(?:(?P<tq>'''|\"\"\")(?P<tv>[^\r\n]{1,512}?|\r?\n[^\r\n]{1,512}?(?:\r?\n)?)(?P=tq)|"
    # a literal's prefix or wrapper: T-SQL `N'...'`, PostgreSQL `E'...'`/`U&'...'`, bash ANSI-C `$'...'`, a
    # debug print's wrapper (Rust `Some("...")`, `Secret("...")`); 4096 characters: refresh tokens run long
    # a debugger's char pointer prints its address before the string (gdb `bind_pw = 0x55d3c2e0 "..."`)
    r"""(?:[NnEe]|U&|\$|(?:Some|Secret(?:String|Box)?|Sensitive|Zeroizing|Masked)\(|"""
    r"""0x[0-9a-fA-F]{1,16}[ \t]+(?=["']))?"""
    # inside plain quotes an escaped quote (`"pa\\"ss"`, JSON and most languages) is part of the value; inside
    # escaped quotes (JSON in a JSON string: `\\"password\\":\\"...\\"`) the escaped quote ends it
    r"""(?P<vq>(?P<bs>\\)?["'])(?P<qv>(?:[^"'\r\n\\]|\\[^"'\r\n]|(?(bs)(?!)|\\["'])){1,4096})(?P=vq)|"""
    r"""(?P<bv>[^\s"'`,;&}<>\])]{1,512})))"""
)


_KEY_RUN = re.compile(r"[\w.\-]{0,64}")
_KEY_TAIL = re.compile(r"[\w.\-]{0,64}$")
"""Key characters after and before a key word in text that is not all ASCII: `\\w` takes the letters of
every script (`токен_доступу`, `アクセストークン`)."""


_FOREIGN_HANDLE = re.compile(r"(?:[_\-.]?(?:id|ids|nr)|番号|编号|編號|名|名称|名稱|ｉｄ)$")
"""What ends a key that names a credential's identifier, in any script: `ID` after `キー`/`密钥`/`Schlüssel`."""


def _foreign_key_kind(key: str) -> KeyKind | None:
    """What a key name in another script says: a password word makes it a password, a key/token word a secret."""
    low = key.lower()
    if _FOREIGN_HANDLE.search(low):
        return None  # `APIキーID`, `密钥ID`, `Schlüssel-ID`: the key's identifier, printed so logs can name the key
    if any(w in low for w in _FOREIGN_KEY_PASSWORD):
        return KeyKind.PASSWORD
    if any(w in low for w in _FOREIGN_KEY_SECRET):
        return KeyKind.SECRET
    return None


_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_REFERENCE_START = ("${", "$(", "{{", "<", "%(", "$")


def _is_reference(text: str, value: str, vstart: int, vend: int, spaced: bool) -> bool:
    """An unquoted value that points at a secret instead of being one.

    `${DB_PASSWORD}`, `{{ .Values.password }}`, `$(cat file)`, and code such as
    `password = getpass.getpass(...)`, `apiKey = process.env.API_KEY`, `random_password.db.result`.
    """
    if value.startswith(_REFERENCE_START):
        return True
    if value.startswith("*") and "&" + value[1:] in text:
        return True  # a YAML alias: the value is at its anchor (secret_layouts.anchored_values)
    if "(" in value or text.startswith(("(", "["), vend):
        return True  # a call or an index: code, not a literal
    if _DOTTED.fullmatch(value):
        if any(len(part) >= 20 and (_looks_random(part) or high_entropy_token(part)) for part in value.split(".")):
            return False  # `MTQ0ODEy...NjYx.T8RCqU.r319...`: a dotted token (Discord, JWT-like), not a path
        return value.count(".") >= 2 or spaced
    return False


_TUPLE_VALUE = re.compile(
    r"""["']?[ \t]*,[ \t]*(?:<<)?(?P<q>["'])(?P<v>[^"'\r\n]{1,512})(?P=q)(?:>>)?[ \t]*(?:\}|(?<=['"])[),])""")
"""The value after a key in a tuple: Erlang/Elixir `{password,"..."}`, `{'$write_key',<<"...">>}`, or a settings
row of a SQL dump, `(3,'smtp_password','...')` (a quoted key, closed by `)` or followed by more columns)."""
_TUPLE_OPEN = re.compile(r"(?:\{|(?<=[(,])[ \t]*(?=['\"]))['\"]?\$?$")
"""What opens a tuple before its key: `{`, or `(`/`,` then a quote (a SQL row's column), `$` of Erlang's atom."""
"""The value of a two-element tuple whose first element is the key: Erlang's `{password,"x"}` and
`{password, <<"x">>}` in a proplist that a crash report or `io:format("~p")` prints."""
_BARE_KEY_VENDOR = re.compile(r"[A-Za-z][A-Za-z0-9]{1,7}[_\-][A-Za-z0-9_\-]{16,256}")
"""What a bare `key` must hold to be taken: a short alphanumeric vendor prefix and a token body (Mandrill
`md-...`), not an ARN, a path, a label key or a sentence."""
_SECOND_WORD = re.compile(r" (?P<w>[A-Za-z]{2,12})[ \t]*(?=(?::=|=>|[:=])[ \t])")
"""The second word of a key written with a space, in aligned CLI output (`Secret ID    = ...`)."""
_IN_RESOURCE_NAME = re.compile(r"(?<![\w-])(?:arn|urn):[^\s\"'=]*:$")
"""A colon path such as an ARN or URN up to the current position: its segments are not keys."""


def _assignment_candidates(text: str, lowered: str | None = None) -> list[tuple[int, int, str]]:
    """`DB_PASSWORD=...`, `"apiToken": "..."`, `DB_PASS: ...`, `PASSWORD_PRIMARY=...`: found by the key name.

    Anchoring on a credential word, widening to the whole key around it and looking at what follows
    keeps this linear; a single regex with a free key prefix backtracks at every position. The key
    is judged by `credential_key` (any naming style, prefix or suffix), the value by its shape.
    """
    out: list[tuple[int, int, str]] = []
    if lowered is None:
        lowered = text.lower()
        if len(lowered) != len(text):  # a few letters lowercase to two characters; keep positions exact
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    done: set[int] = set()
    words = _KEYWORD.finditer(lowered)
    if not text.isascii():
        words = sorted([*words, *_FOREIGN_KEYWORD.finditer(lowered)], key=lambda w: w.start())  # type: ignore[assignment]
    ascii_text = text.isascii()
    for kw in words:
        if ascii_text:
            end = kw.end()
            while end < len(text) and text[end] in _KEY_CHARS and end - kw.end() < 64:
                end += 1
        else:
            end = _KEY_RUN.match(text, kw.end()).end()  # type: ignore[union-attr]
        if end in done:
            continue
        done.add(end)
        start = kw.start()
        if ascii_text:
            while start > 0 and text[start - 1] in _KEY_CHARS and kw.start() - start < 64:
                start -= 1
        else:
            lo = max(0, start - 64)
            start = lo + _KEY_TAIL.search(text[lo:start]).start()  # type: ignore[union-attr]
        key = text[start:end]
        if start >= 10 and text.startswith("[REDACTED:", start - 10):
            continue  # the kind inside an earlier marker (`[REDACTED:password_hash_dump]:::`) is no key
        kind: KeyKind | None = None
        if "[" in text[end : end + 8] or text.startswith((":\n", ":\r\n"), end):
            items = list_values(text, end)  # `"api_keys": ["...", "..."]`, `tokens:` then `- ...` lines
            if items:
                kind = _key_kind(text, key, start, end)
                for vstart, vend, value, quoted in items:
                    found = _judge(kind, key, value, quoted) if kind is not None else None
                    if found and not value.startswith(_PUBLIC_KEY_LINE):
                        out.append((vstart, vend, found))
                continue
            alone = _NEXT_LINE_VALUE.match(text, end)  # `Using certificate key:` then the key alone on a line
            if alone is not None:
                named = _named_by_label(text, key, start)
                found = _judge(named, key, alone.group("v"), False) if named is not None else None
                if found:
                    out.append((*alone.span("v"), found))
                continue
        m = _AFTER_KEY.match(text, end)
        if not m and text.startswith(" ", end):
            second = _SECOND_WORD.match(text, end)  # `Secret ID    = ...` (nomad/consul tables): a two-word key
            if second is not None and credential_key(f"{key}_{second.group('w')}") is not None:
                m = _AFTER_KEY.match(text, second.end())
                if m is not None:
                    key, end = f"{key}_{second.group('w')}", second.end()
        if not m and (_line_start_key(text, start) or _ENV_STATEMENT.search(text, max(0, start - 24), start)):
            m = _DIRECTIVE_VALUE.match(text, end)  # `password VhvK3...` alone on a config line, `ENV KEY value`
        if not m and start > 0 and _TUPLE_OPEN.search(text, max(0, start - 4), start):
            pair = _TUPLE_VALUE.match(text, end)  # `{password,"..."}`: an Erlang proplist or an Elixir/Erlang tuple
            if pair is not None and (kind := _key_kind(text, key, start, end)) is not None:
                found = _judge(kind, key, pair.group("v"), True)
                if found:
                    out.append((pair.start("v"), pair.end("v"), found))
            continue
        if not m or m.group("bv") == "{":  # `"adminPassword": { "value": ... }` (ARM parameters): an object opens
            held = _held_value(text, end)
            kind = credential_key(key) if held is not None else None
            if held is None or kind is None:
                continue
            start, end, m = held  # `variable "db_password" { default = ... }`: judged by the block's name
        if start > 0 and text[start - 1] == ":" and _IN_RESOURCE_NAME.search(text, max(0, start - 200), start):
            continue  # `arn:aws:secretsmanager:...:secret:prod/db`: a segment of a name, not a key
        if start > 0 and text[start - 1] in "/ " and _DIGEST_OF_WORD.search(lowered, max(0, start - 24), start):
            continue  # `checksum/secret: <sha256>` (a Helm annotation): the hash of the secret, not the secret
        kind = kind or _key_kind(text, key, start, end)
        bare_key = kind is None and key.strip("\"'`").lower() == "key"
        if kind is None and not bare_key:
            continue
        group = ("tv" if m.group("tq") else "qv" if m.group("qv") is not None else "ev" if m.group("ev") is not None
                 else "ml" if m.group("ml") else "bv")
        quoted = group in ("tv", "qv", "ev")
        value = m.group(group)
        vstart, vend = m.span(group)
        if group == "tv":
            value = value.strip()
            vstart = vstart + (len(m.group("tv")) - len(m.group("tv").lstrip()))
            vend = vstart + len(value)
        if text.startswith(" bytes", vend):
            continue  # `kubectl describe secret` prints sizes, not values
        wide = None if group == "tv" else widen_value(text, vstart, vend, quoted)
        if group == "ml" and wide is None:
            continue
        if wide is not None:
            vstart, vend, value, quoted = wide
        elif not quoted and _is_reference(text, value, vstart, vend, spaced=" " in m.group(0)[: vstart - m.start()]):
            continue
        if group == "bv" and kind is not None and _HOST_ITEM.match(value) and key.rstrip("\"'`").endswith(("s", "S")):
            out.extend(_host_items(text, vstart, kind, key))  # `access-tokens = github.com=<t> git.example=<t>`
            continue
        if kind is None:  # a bare `key`: only a vendor-shaped token (`"key": "md-..."`, Mandrill) says credential
            found = "secret_assignment" if _BARE_KEY_VENDOR.fullmatch(value) and _vendor_prefixed(value) else None
        else:
            found = _judge(kind, key, value, quoted)
        if found:
            out.append((vstart, vend, found))
            if group == "bv" and kind is not None and text.startswith(",", vend) \
                    and key.rstrip("\"'`").endswith(("s", "S")):
                out.extend(_list_items(text, vend, kind, key))
    return out


_NEXT_LINE_VALUE = re.compile(r":[ \t]*\r?\n[ \t]*(?P<v>[^\s:=#\-][^\s:=#]{15,511})[ \t]*\r?(?=\n|$)")
"""A label's value alone on the next line, as installers and CLIs print what they made (kubeadm's `Using
certificate key:` then the key, `Your new API token:` then the token)."""
_LABEL_WORD = re.compile(r"(?P<w>[A-Za-z]{2,16})[ \t]+$")


def _named_by_label(text: str, key: str, start: int) -> KeyKind | None:
    """What a label ending in `key` names: the key itself, or with the word before it (`certificate key`)."""
    kind = credential_key(key)
    if kind is None:
        before = _LABEL_WORD.search(text, max(0, start - 20), start)
        if before is not None:
            kind = credential_key(f"{before.group('w')}_{key}")
    return kind


_HOST_ITEM = re.compile(r"[ \t]*(?P<h>[A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+(?::\d{1,5})?)=(?P<v>[^\s=][^\s]{0,511})")
"""One `host=token` item of a list keyed by host: Nix's `access-tokens = github.com=<t> gitlab.example=PAT:<t>`,
a registry or proxy credential list; the items are separated by blanks."""


def _host_items(text: str, pos: int, kind: KeyKind, key: str) -> list[tuple[int, int, str]]:
    """The tokens of a blank-separated `host=token` list under a plural credential key, each judged on its own
    (a `PAT:`/`OAuth2:` type word before a token, as Nix documents for GitLab, is part of the value)."""
    out: list[tuple[int, int, str]] = []
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    while (item := _HOST_ITEM.match(text, pos, line_end)) is not None:
        found = _judge(kind, key, item.group("v"), False)
        if found:
            out.append((*item.span("v"), found))
        pos = item.end()
    return out


_COMMA_ITEM = re.compile(r""",(?P<v>[^\s"'`,;&}<>\])]{1,512})""")


def _list_items(text: str, pos: int, kind: KeyKind, key: str) -> list[tuple[int, int, str]]:
    """The further items of an unquoted comma-separated value under a plural credential key: Strapi's
    `APP_KEYS=k1,k2`, Django's `SECRET_KEY_FALLBACKS`, `API_TOKENS=a,b` (rotation lists keep old and new
    keys side by side). Each item is judged on its own, like the first."""
    out: list[tuple[int, int, str]] = []
    for _ in range(64):
        m = _COMMA_ITEM.match(text, pos)
        if m is None:
            break
        found = _judge(kind, key, m.group("v"), False)
        if found:
            out.append((m.start("v"), m.end("v"), found))
        pos = m.end()
    return out


_HEADER_CELL = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,31}(?: [A-Za-z0-9_.\-]{1,16}){0,2}")


def _credential_header(cell: str) -> bool:
    """A table header cell that names a credential column (`password`, `API Token`, `secret_key`)."""
    return bool(_HEADER_CELL.fullmatch(cell)) and credential_key(cell.replace(" ", "_")) is not None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?|\d{1,2}/\d{1,2}/\d{2,4}")


def _map_value(value: str) -> bool:
    """An entry of a map labelled as credentials (secret_maps.py): judged as a secret key's value."""
    return _judge(KeyKind.SECRET, "token", value, quoted=True) is not None


_CREDENTIAL_HANDLE = re.compile(r"(?i)(?:token|api[_\- ]?key|secret|credential)[_\- ]?(?:id|name)$")
"""A key/value table's row that names a credential by its handle (`full-tokenid`, `token_id`, `secret name`): the
table describes that credential, so its bare `value` row is the credential's value (Proxmox `pveum user token
add`, a secret manager's `describe` table)."""
_HANDLE_REACH = 400
"""How far apart (characters) a handle row and a `value` row may be and still be rows of one small table."""


def _layout_candidates(text: str, lowered: str) -> list[tuple[int, int, str]]:
    """Values whose key stands apart from them (secret_layouts.py) and values secret-printing tools
    wrote (secret_tool_output.py), judged like any assignment."""
    out: list[tuple[int, int, str]] = []
    keyed: list[tuple[int, int, str]] = []
    first_word = _KEYWORD.search(lowered)
    if first_word is not None:  # every layout below needs a key that names a credential
        keyed = (key_value_tables(text) + call_pairs(text) + xml_pairs(text) + anchored_values(text)
                 + quoted_pairs(text) + typed_values(text) + dump_pairs(text) + html_cell_pairs(text))
        if "\n" in text and ("," in text or "|" in text or "\t" in text or ";" in text or "│" in text):
            keyed += [(s, e, h.replace(" ", "_")) for s, e, h in header_tables(text, _credential_header)]
        if "  " in text and "\n" in text:  # a table aligned with blanks: its header holds a credential word
            heads = (text.rfind("\n", 0, w.start()) + 1 for w in _KEYWORD.finditer(lowered, first_word.start()))
            keyed += [(s, e, h.replace(" ", "_")) for s, e, h in aligned_tables(text, _credential_header, heads)]
        out += [(s, e, "secret_assignment") for s, e in credential_map_values(text, lowered, _map_value)]
    keyed += store_resource_values(text, lowered)  # the resource type names the credential, no key word needed
    handles = [s for s, _, key in keyed if _CREDENTIAL_HANDLE.search(key)]
    for s, e, key in keyed:
        kind = credential_key(key)
        if kind is None and key.lower() == "value" and any(abs(h - s) <= _HANDLE_REACH for h in handles):
            kind, key = KeyKind.SECRET, "token_value"  # the `value` row of a table that describes a token
        value = text[s:e]
        if kind is None or (kind is KeyKind.PASSWORD and any(c.isspace() for c in value)) or _DATE.fullmatch(value):
            continue  # a column of dates (`password_rotated`) or prose is not a column of secrets
        found = _judge(kind, key, value, quoted=True)
        if found:
            out.append((s, e, found))
    for s, e, name in cookie_file_rows(text):
        value = text[s:e]
        if (_SESSION_COOKIE_NAME.fullmatch(name) or credential_key(name) is not None) and len(value) >= 16 \
                and shannon_entropy(value) >= 3.0 and not _is_placeholder(value):
            out.append((s, e, "session_cookie"))
    for s, e in fake_provider_values(text):
        if not _is_placeholder(text[s:e]):
            out.append((s, e, "k8s_secret_data"))
    for s, e, kind_name, named in tool_output_spans(text, lowered):
        value = text[s:e]
        if named is None:
            if not _is_placeholder(value) and len(value) >= 4:
                out.append((s, e, kind_name))
            continue
        key_kind = credential_key(named)
        found = _judge(key_kind, named, value, quoted=True) if key_kind is not None else None
        if found:
            out.append((s, e, kind_name))
    return out


_DIRECTIVE_VALUE = re.compile(
    r"""[ \t]+(?:(?P<vq>["'])(?P<qv>[^"'\r\n]{1,256})(?P=vq)|(?P<bv>[^\s"'`;#][^\s"'`;]{0,255}))"""
    r"""(?P<ml>)(?P<tq>)(?P<ev>(?!))?"""  # the groups `_AFTER_KEY` has, never set here
    # then at most a few plain words: the scopes or actions the credential is for (squid `cachemgr_passwd X
    # info menu`, an ACL line `secret X read write`); a second value-shaped token ends nothing, so no match.
    # A value ending in a comma or a stop is a sentence's word (a comment wrapped after "the\npassword
    # database, ..."): a directive's value is not punctuated, so no words may follow it then
    r"""(?:(?<![,.:!?])(?:[ \t]+[A-Za-z][\w\-]{0,31}){1,8})?[ \t]*;?[ \t]*(?=\r?\n|$)"""
)
"""The value of a line-oriented config directive (fluentd, mosquitto, squid, nginx): `key value` and nothing
else on the line but the plain words that scope it; the key must name a credential (`password`,
`remote_password`, `auth_token`)."""


_PUBLIC_KEY_LINE = ("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")
"""An OpenSSH public key line in a list of keys (`authorized_keys`): public material."""
_ENV_STATEMENT = re.compile(
    r"(?:^|\n)[ \t]*(?:ENV|setenv|SetEnv|set[ \t]+-[a-zA-Z]{1,3}|Environment|:setvar|set|define|let)[ \t]+\$?$"
)
"""Statements that set a variable to the rest of the line without `=`: Dockerfile `ENV KEY value`, csh
`setenv KEY value`, Apache `SetEnv KEY value`, fish `set -gx KEY value`, sqlcmd `:setvar NAME "value"`, Tcl and
nginx `set name value` / `set $name value`, a makefile's or a macro language's `define NAME value`."""


def _line_start_key(text: str, start: int) -> bool:
    """Only blanks before `start` on its line (walks back over the indent, not the whole line), or a diff's
    `+`/`-` in the first column then blanks: a unified diff of a config file (ansible `--diff`, puppet's
    `content changed`, `git diff`) marks each line so and leaves the directive what it was."""
    i = start
    while i > 0 and text[i - 1] in " \t" and start - i < 64:
        i -= 1
    if i > 0 and text[i - 1] in "+-" and (i == 1 or text[i - 2] == "\n"):
        i -= 1
    return i == 0 or text[i - 1] == "\n"


_BLOCK_OPEN = re.compile(r"""["']?[ \t]*(?:[:=][ \t]*)?(?:\{|(?::[ \t]*)?(?:#[^\n]*)?\r?\n)""")
_HOLDER = re.compile(r"""(?i)(?<![\w.\-])["']?(?:default|value|default_?value|initial_?value)(?=["']?[ \t]*(?:=|:))""")


def _held_value(text: str, end: int) -> tuple[int, int, re.Match[str]] | None:
    """A credential key that opens a block (`variable "db_password" {`, `DBPassword:` then indented
    lines) and the `default`/`value` inside it: (holder start, holder end, its `_AFTER_KEY` match)."""
    b = _BLOCK_OPEN.match(text, end)
    if b is None:
        return None
    lo, hi = b.end(), min(len(text), b.end() + 300)
    close = text.find("}", lo, hi)
    h = _HOLDER.search(text, lo, close if close >= 0 else hi)
    if h is None:
        return None
    m = _AFTER_KEY.match(text, h.end())
    if m is None:
        return None
    return h.start(), h.end(), m


_SNMP_VERSION_SIBLING = re.compile(
    r"""(?i)["']?(?:snmp_?)?version["']?[ \t]*[:=][ \t]*["']?v?(?:1|2c?|3)["']?(?![\w.])""")
"""The SNMP version beside a bare `community` key: `{"version": "2", "community": ...}`; a community of people
has no protocol version next to it."""


def _key_kind(text: str, key: str, start: int, end: int) -> KeyKind | None:
    """What the key at text[start:end] says its value is, by its name, or where the name alone is not
    enough by its surroundings: a parent mapping (`signing: key:`), an INI section (`[api]` `key=`), the
    block a `default`/`value` sits in (`variable "db_password" { default = ... }`), a user name set
    beside a bare `pass` (`user=acme,pass=...`), a consumer beside a bare `key` (an API gateway's key
    credential), or its script (`токен_доступу`)."""
    kind = credential_key(key)
    if kind is not None:
        return kind
    if not key.isascii():
        return _foreign_key_kind(key)
    kind = _kind_from_parent(text, start, end)
    if kind is not None:
        return kind
    if is_value_holder(key):
        label = block_label(text, start)
        return credential_key(label) if label else None
    bare = key.strip("\"'` -_.").lower()
    if credential_key("db_" + bare) is None:
        return None  # not a bare credential word
    section = ini_section(text, start)
    if section is not None and any(w in _PARENT_CONTEXT for w in re.findall(r"[a-z]+", section.lower())):
        return credential_key(f"{section}_{bare}")
    if bare in ("pass", "pw", "passe", "parola", "pwd") and has_user_sibling(text, start):
        return KeyKind.PASSWORD
    if bare == "community" and _SNMP_VERSION_SIBLING.search(text, max(0, start - 160), min(len(text), end + 240)):
        return KeyKind.PASSWORD  # an SNMP community beside the protocol version (Zabbix, LibreNMS, Observium APIs)
    if bare == "key" and "consumer" in text and has_consumer_sibling(text, start):
        return KeyKind.SECRET  # Kong key-auth: the key issued to the consumer beside it
    if bare == "key" and "secret" in text and has_secret_sibling(text, start):
        return KeyKind.SECRET  # OPNsense `apikey.txt`, Pusher, exchange clients: the key of a key/secret pair
    return None


_DIGEST_ALGORITHM = r"(?:hmac-)?(?:sha(?:1|224|256|384|512)|md5|blake2b?|sha3-\d{3}):"
"""An algorithm tag glued before a digest (`hmac-sha256:`), shared by `_TAGGED_DIGEST` and `_DIGEST_TAG`."""
_TAGGED_DIGEST = re.compile(r"(?i)" + _DIGEST_ALGORITHM + r"[A-Za-z0-9+/_\-]{8,}={0,2}$")
"""A value that is a digest tagged with its algorithm (Vault's audit log HMACs every credential field it writes)."""
_SCRAM_VERIFIER = re.compile(r"SCRAM-SHA-(?:1|256|512)\$\d{1,7}:[A-Za-z0-9+/]{8,}={0,2}\$"
                             r"[A-Za-z0-9+/]{16,}={0,2}:[A-Za-z0-9+/]{16,}={0,2}")
"""A SCRAM verifier (RFC 5803: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`), the form
PostgreSQL's `rolpassword`, pgbouncer's userlist and LDAP's `authPassword` keep in a password column."""


def _judge(kind: KeyKind, key: str, value: str, quoted: bool) -> str | None:
    """The finding a value under a key of `kind` makes, or None: any literal under a password key (not
    prose, not a symbol), a random-looking or vouched-for digest-shaped value under a secret key."""
    if kind is KeyKind.PASSWORD:
        if _SCRAM_VERIFIER.fullmatch(value):
            return None  # what the server stores to check a password, not one: it cannot log in
        if _password_value(value, quoted) and not _names_a_symbol(key, value):
            return "password_assignment"
        return None
    if _is_placeholder(value) or _TAGGED_DIGEST.match(value):
        return None  # `hmac-sha256:<b64>`: what an audit log writes in place of the credential
    if len(value) < 40 and key.rstrip("\"'`").endswith(("pk", "PK", "Pk")):
        return None  # `user_pk: 01HF...` (a ULID), `order_pk`: record keys; a wallet key is 32+ bytes encoded
    if _looks_random(value) or high_entropy_token(value) or _keyed_random(value) or _keyed_digest(value):
        return "secret_assignment"
    return None


_PARENT_CONTEXT = frozenset({
    "encryption", "encrypt", "crypto", "cipher", "signing", "sign", "hmac", "jwt", "jws", "session", "cookie",
    "csrf", "xsrf", "master", "private", "aes", "kms", "api", "auth", "oauth", "oidc", "license", "webhook",
    "secret", "secrets", "credentials", "token", "tokens", "tls", "ssl", "ssh", "gpg", "pgp",
})
"""Parent keys that make a bare child key (`key:`, `salt:`, `signature:`) a credential."""


def _kind_from_parent(text: str, start: int, end: int) -> KeyKind | None:
    """A bare ambiguous key takes its meaning from the mapping it sits in.

    `key:` alone is a map key, a toleration key, a sort key; under `encryption:`, `signing:`,
    `jwt:` or `"cookie": {...}` it is the key. The parent's name acts as the prefix that
    `credential_key` wants (`encryption.key`), and only parents that name cryptographic or
    credential material count, so `tolerations: - key: node-role...` stays as it is; so does a parent that
    is itself a credential's name (APISIX `admin_key:` listing `- name: admin` / `key: <hex>`).
    """
    if credential_key("db_" + text[start:end]) is None:
        return None  # not a bare credential word (`key`, `salt`, `signature`, `pass`, ...)
    parent = block_label(text, start)
    if parent is None:
        return None
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", parent)}
    if not words & _PARENT_CONTEXT and credential_key(parent) is None:
        return None  # neither a credential context (`signing:`) nor a credential itself (`admin_key:`, `api_keys:`)
    return credential_key(f"{parent}_{text[start:end]}")


def _names_a_symbol(key: str, value: str) -> bool:
    """A password-like key whose value is a name, not a secret.

    `passwordEncoder: BCryptPasswordEncoder`, `password_hasher:Argon2PasswordHasher.verify` (a code
    graph answer), `pass: 12` (a test count). A key that only *starts* with password (a prefix key)
    holds an identifier often enough that identifiers are never taken as its value; a dotted
    identifier path is never a password.
    """
    if value.isdigit() and len(value) < 6:
        return True
    if value[-1] in "@:#!%&?^~+=-":
        return False  # a name never ends in a separator or a symbol; a made password does (`Tx0BTOUvt:4@`)
    if identifier_like(value) and any(c in value for c in ".:/"):
        return True
    parts = re.findall(r"[A-Z]+(?![a-z])|[A-Za-z][a-z]*", key)
    suffix = parts[-1].lower() if parts else ""
    # a key that names a password outright (`psk`, `community`, `Passwort`) holds one even when it reads like a
    # name with digits (`Falcon2029#i0BP`, `identifier_like` by its word parts)
    return not suffix.startswith(_PASSWORD_SUFFIXES) and identifier_like(value)


_PASSWORD_SUFFIXES = ("pass", "pwd", "pw", "psk", "wpapsk", "community", "kennwort", "senha", "wachtwoord", "mdp",
                      "contrase", "parol", "haslo", "heslo", "salasana", "losenord")
"""Last words of a key that say password (any value under them is one), as `_names_a_symbol` reads them."""


_CONTEXT_WORD = re.compile(
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\- ]?key|access[_\- ]?key|private[_\- ]?key|"
    r"secret[_\- ]?(?:key|id)|credential|creds?|auth|bearer|signature|license[_\- ]?key|"
    r"k(?<![\w\-]k)(?<!public k)(?<!pub k)(?<!verification k)(?<!verify k)(?<!host k)ey"
    r"(?=[ \t]*(?:#?\d{1,2}[ \t]*)?[:=]))"
    r"(?![a-z])"
)
"""Run on the lowercased text; the word must end there (`authentication`, `tokenizer` are not context).
`_INFLECTED_CONTEXT` adds the forms this one does not take.
Every alternative starts with a letter, so the engine skips to those: the look-behinds of the bare
`key` come after its `k` and include it (the same matches as before it)."""
_INFLECTED_CONTEXT = re.compile(r"token(?:ul|ului|ii|i|en|et)(?![a-z])")
_CAMEL_KEY = re.compile(r"Key(?![a-z])")
"""Context words `_CONTEXT_WORD` does not take: `token` with the case or article suffix the languages that
borrowed it glue on (Romanian `tokenul de acces X`, Swahili and Azerbaijani `tokeni X`, Norwegian `tokenet X`;
English `tokens` and `tokenizer` stay out), and a `key` that ends a longer word, which counts only as the
capital `Key` of a camel-case name that `credential_key` reads as a credential (`writeKey X`, `licenseKey X`)."""
_CAMEL_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*Key$")
"""The camel-case word a `Key` ends (`writeKey`, `masterKey`), judged whole by `credential_key`."""
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-.~=])[A-Za-z0-9+/_\-.~]{20,512}={0,2}(?![A-Za-z0-9+/_\-.~=])")
_CONTEXT_REACH = 48
"""Characters between a credential word and a token for the word to vouch for it (same line)."""
_HANDLE_SUFFIX = re.compile(r"[_\-.]?(?:accessor|id|ids|name|names|arn|ttl|type|fingerprint)(?![a-z])")
"""A suffix that makes a credential word name a handle to the credential, not the credential: Vault's
`token_accessor` (looks a token up or revokes it, cannot authenticate), `token_id`, `key_name`, `secret_arn`,
`token_ttl`. The keyed detectors judge such keys by `credential_key`; this keeps the entropy detector
from taking the handle's random value for the secret. (`secret_id`, an AppRole credential, is a context
word of its own and never reaches this check.)"""


_NAMED_DIGEST = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_.\-]{0,160}?)[-_.](?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|"
                           r"[0-9a-f]{128})")


def _named_digest(value: str) -> bool:
    """A content-addressed name: words, then a hex digest of a hash's exact length (`node-modules-Linux-<sha256>`,
    a CI cache key from `hashFiles`; `deps-<sha1>`, `layer_<sha256>`). Only the entropy detector asks: with no
    key naming it, a digest after a name is the name of a content, and the vendor formats and keyed
    detectors still judge a hex key under a credential key."""
    m = _NAMED_DIGEST.fullmatch(value)
    return m is not None and identifier_like(m.group("name"))


def _entropy_candidates(text: str, lowered: str | None = None) -> list[tuple[int, int, str]]:
    """Unknown token shapes: a long, high-entropy token shortly after a credential word on its line.

    Every format in the table has a known shape; this catches the ones nobody listed (a vendor's new
    key prefix, an internal API key). Both conditions are needed: randomness alone would take trace
    ids and digests, a word alone would take prose. Digests, UUIDs, identifiers and URLs are exempt.
    """
    out: list[tuple[int, int, str]] = []
    last_end = -1
    if lowered is None:
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    words: list[re.Match[str]] = list(_CONTEXT_WORD.finditer(lowered))
    extra: list[re.Match[str]] = []
    if "token" in lowered:
        extra += _INFLECTED_CONTEXT.finditer(lowered)
    if "Key" in text:  # a `Key` that ends a camel-case word; the match is on the text, its positions the same
        extra += (k for k in _CAMEL_KEY.finditer(text) if k.start() > 0 and text[k.start() - 1].islower())
    if extra:
        words = sorted(words + extra, key=lambda m: m.start())
    for w in words:
        if w.start() < last_end:
            continue
        if _HANDLE_SUFFIX.match(lowered, w.end()):
            continue  # `token_accessor`, `token_id`, `api_key_name`: the key names a handle to the secret
        if w.group().lower() == "key" and w.start() > 0 and lowered[w.start() - 1].isalpha():
            # `writeKey X`, `licenseKey X`: a camel-case compound that names a credential; `monkey`, `hotkey` do not
            word = _CAMEL_WORD.search(text, max(0, w.start() - 40), w.end())
            if text[w.start()] != "K" or word is None or credential_key(word.group()) is None:
                continue
        line_end = text.find("\n", w.end())
        limit = min(len(text) if line_end < 0 else line_end, w.end() + _CONTEXT_REACH + 512)
        for t in _TOKEN.finditer(text, w.end(), limit):
            if t.start() - w.end() > _CONTEXT_REACH:
                break
            value = t.group()
            if text.startswith(("(", "["), t.end()):
                continue  # a call or an index: code
            if "://" in text[max(0, t.start() - 12) : t.start()] or value.count("/") >= 3:
                continue  # a URL or a path, not a token
            if _is_placeholder(value) or _named_digest(value):
                continue
            if w.group() == "key" and kubernetes_generated_name(value):
                continue  # `{"key": "ingress-nginx-controller-7d9f8b6c5d-x2x9q"}`: a label selector's pod name
            if _DIGEST_TAG.search(lowered, max(0, t.start() - 16), t.start()) or _in_verifier(lowered, t.start()):
                continue  # `hmac-sha256:<b64>` (Vault's audit HMACs), a SCRAM verifier's parts: digests
            if text[t.start() - 1 : t.start()] == ":" and public_did_before(text, t.start()):
                continue  # `did:key:z6Mk...`: a public key written as an identifier (secret_published.py)
            if high_entropy_token(value.rstrip("=")) or (
                # a bare `key` (`Unseal Key 1:`) vouches for random tokens only: `cache: key: <sha>` is a digest;
                # so does a word named as the thing hashed (`checksum/secret: <sha256>`, `digest of the token`)
                w.group() != "key" and _TIGHT_GAP.fullmatch(lowered, w.end(), t.start()) and _keyed_digest(value)
                and not _DIGEST_OF_WORD.search(lowered, max(0, w.start() - 24), w.start())
            ):
                start, end = t.start(), t.end()
                if text[start - 1 : start] in ("'", '"') and text.startswith(text[start - 1], end):
                    wide = widen_value(text, start, end, True)  # `'part1' +` newline `'part2'`: one key
                    if wide is not None:
                        end = wide[1]
                out.append((start, end, "high_entropy_secret"))
                last_end = end
                break
    return out


_PATH_TOKEN = re.compile(r"/(?P<v>[A-Za-z0-9_\-]{64,1024})(?:={1,2})?(?=[/?#\s\"'<>),;\\]|$)")
"""A URL path segment of 64+ token characters: the capability code of a URL that is its own credential (a log
collector's HTTP source `/receiver/v1/http/<code>`, a chat webhook `/hooks/<code>`, a signed upload path)."""


_PATH_HEAD = re.compile(r"(?:(?<![\w+/=])[a-z][a-z0-9+.\-]{1,30}://[\w.\-:@\[\]]{1,253}|(?<![\w+/=.~-]))"
                        r"(?:/[\w.\-~%@:]{1,40}){0,12}/$")
"""The URL or absolute path a segment ends: a scheme and host, or a path from its root, through short named
segments (`https://host/api/webhooks/<id>/`, `/receiver/v1/http/`); a `/` inside a base64 run has none."""


def _path_token_candidates(text: str) -> list[tuple[int, int, str]]:
    """Path segments that are random codes (`_PATH_TOKEN`), with no key naming them: the URL is the credential.
    Names (`/a-very-long-kebab-case-article-slug-...`), hex digests and base32 content ids are no code: only a
    high-entropy segment mixing both cases and digits is one."""
    out: list[tuple[int, int, str]] = []
    for m in _PATH_TOKEN.finditer(text):
        value = m.group("v")
        head = _PATH_HEAD.search(text, max(0, m.start() - 256), m.start() + 1)
        if head is None:
            continue  # a `/` inside a base64 run (a public key, a data URI), not a path's separator
        if high_entropy_token(value) and any(c.isupper() for c in value) and any(c.islower() for c in value) \
                and not _is_placeholder(value):
            out.append((m.start("v"), m.end("v"), "url_path_token"))
    return out


_DIGEST_TAG = re.compile(r"(?<![a-z0-9])" + _DIGEST_ALGORITHM + "$")
"""An algorithm tag glued before a value: what follows is that algorithm's output, not the credential."""


def _in_verifier(lowered: str, start: int) -> bool:
    """A token that is a part (salt, stored key, server key) of the SCRAM verifier it sits in."""
    i = lowered.rfind("scram-sha-", max(0, start - 160), start)
    return i >= 0 and not any(c in " \t\r\n\"'" for c in lowered[i:start])


_DIGEST_OF_WORD = re.compile(
    r"(?:checksum|digest|fingerprint|sha\d{1,3}|md5|hash)[ \t/_.\-:]*(?:of[ \t]+(?:the[ \t]+)?)?$"
)
"""A digest word right before a credential word: the value that follows is the hash of the credential."""
_TIGHT_GAP = re.compile(r"""[ \t]*(?:(?:is|was|now|=|:|-)[ \t]*){0,2}["'`]?""")
"""What may stand between a credential word and the value it names: `api key: X`, `token is X`, `secret=X`."""


def _keyed_digest(value: str) -> bool:
    """A digest- or UUID-shaped value the credential word right before it vouches for.

    Hex strings and UUIDs are exempt from the entropy rule because trace ids and checksums look the
    same; but many vendors' keys are exactly that shape (32-hex API keys, UUID API keys), and
    `api key: 7d1f...` or `the token is 5f0c-...` says which one it is.
    """
    v = value.strip("\"'`")
    return len(v) >= 20 and harmless_digest(v) and sum(c.isdigit() for c in v) >= 4


_ENV_PAIR = re.compile(
    r"""(?im)name:[ \t]*["']?(?P<name>[A-Za-z0-9_.\-]*(?:password|passwd|pass|pwd|secret|token|api_?key|"""
    r"""access_?key|private_?key|credentials?|auth)[A-Za-z0-9_\-]{0,8})["']?[ \t]*\r?\n[ \t]*(?:-[ \t]+)?value:[ \t]*"""
    r"""(?:(?P<q>["'])(?P<qv>[^"'\r\n]{1,512})(?P=q)|(?P<bv>[^\s"'#][^\r\n#]{0,511}?))[ \t]*(?:#.*)?$"""
)


_ENV_PAIR_JSON = re.compile(
    r'\\?"name\\?"\s*:\s*\\?"(?P<name>[A-Za-z0-9_.\-]{1,64})\\?"\s*,\s*\\?"value\\?"\s*:\s*'
    r'\\?"(?P<qv>(?:[^"\\\r\n]|\\[^"]){1,512})\\?"|'
    r'\\?"value\\?"\s*:\s*\\?"(?P<qv2>(?:[^"\\\r\n]|\\[^"]){1,512})\\?"\s*,\s*\\?"name\\?"\s*:\s*'
    r'\\?"(?P<name2>[A-Za-z0-9_.\-]{1,64})\\?"'
)


_SESSION_COOKIE_NAME = re.compile(
    r"(?i)(?:session(?:id)?|sessid|phpsessid|jsessionid|connect\.sid|(?:[a-z0-9]+[_.\-])?sid|_?[a-z0-9]+[_.\-]session|"
    r"\.aspxauth|\.aspnetcore\.(?:session|cookies)|remember_[a-z0-9_]+|remember-?me|_oauth2_proxy|__host-[\w\-]+|__secure-[\w\-]+)"
)
"""Cookie names that carry a session (the names `session_cookie` looks for after `=`), for cookies
written as a name/value pair: a HAR export, a browser's cookie JSON, a Selenium or Playwright dump."""


def _env_value_sensitive(name: str, value: str) -> bool:
    if _SESSION_COOKIE_NAME.fullmatch(name):
        return len(value) >= 16 and not _is_placeholder(value) and shannon_entropy(value) >= 3.0
    kind = credential_key(name)
    if kind is KeyKind.PASSWORD:
        return _password_value(value, quoted=True)
    return kind is KeyKind.SECRET and (_looks_random(value) or _base64_pem_key(value))


def _env_pair_candidates(text: str) -> list[tuple[int, int, str]]:
    """Env entries `- name: DB_PASSWORD` / `value: ...` in YAML, `{"name": ..., "value": ...}` in JSON text."""
    out: list[tuple[int, int, str]] = []
    if '"name' in text or 'name\\"' in text:
        for m in _ENV_PAIR_JSON.finditer(text):
            group = "qv" if m.group("qv") is not None else "qv2"
            name = m.group("name") or m.group("name2")
            if _env_value_sensitive(name, m.group(group)):
                out.append((*m.span(group), "k8s_env_secret"))
    for name, vstart, vend, value in record_pairs(text):  # `{"OutputKey": ..., "OutputValue": ...}`, either order
        if _env_value_sensitive(name, value):
            out.append((vstart, vend, "secret_assignment"))
    for m in _ENV_PAIR.finditer(text):
        quoted = m.group("qv") is not None
        group = "qv" if quoted else "bv"
        value = m.group(group)
        name = m.group("name")
        if _env_value_sensitive(name, value):
            vstart, vend = m.span(group)
            out.append((vstart, vend, "k8s_env_secret"))
    return out


_ATTRIBUTE_PAIR = re.compile(
    r"""(?i)(?<![\w-])(?:key|name)[ \t]*=[ \t]*(?P<kq>["'])(?P<name>[\w.:\-]{1,64})(?P=kq)[ \t]+"""
    r"""(?:[\w:\-]{1,32}[ \t]*=[ \t]*["'][^"'\r\n]{0,64}["'][ \t]+){0,2}"""
    r"""value[ \t]*=[ \t]*(?P<vq>["'])(?P<v>[^"'\r\n]{1,512})(?P=vq)"""
)


def _attribute_pair_candidates(text: str) -> list[tuple[int, int, str]]:
    """Settings written as a name attribute and a value attribute of one element.

    .NET `<add key="AuthToken" value="..."/>`, Ant and Maven `<property name="db.password"
    value="..."/>`, Tomcat `<Parameter name="..." value="..."/>`: the key that says what the value is
    sits in another attribute, so neither the assignment detector nor `xml_credential` sees the pair.
    """
    if "value" not in text and "VALUE" not in text and "Value" not in text:
        return []
    out: list[tuple[int, int, str]] = []
    for m in _ATTRIBUTE_PAIR.finditer(text):
        kind = credential_key(m.group("name"))
        value = m.group("v")
        password = kind is KeyKind.PASSWORD and _password_value(value, quoted=True)
        secret = kind is KeyKind.SECRET and not _is_placeholder(value) and (
            _looks_random(value) or high_entropy_token(value) or _keyed_random(value)
        )
        if password or secret:
            out.append((*m.span("v"), "xml_credential"))
    return out


# --------------------------------------------------------------------------- Kubernetes Secrets in YAML

_YAML_SECRET_KIND = re.compile(r"(?m)^[ \t]*(?:-[ \t]+)?kind:[ \t]*[\"']?Secret[\"']?[ \t]*$")
_YAML_KEY_LINE = re.compile(r"^(?P<ind>[ ]*)(?P<dash>-[ ]+)?(?P<key>[^\s:#][^:#]*?|\"[^\"]*\"|'[^']*'):(?:[ ]+|$)")
_YAML_DATA_LINE = re.compile(r"^(?P<ind>[ ]*)(?P<dash>-[ ]+)?(?P<key>data|stringData):[ \t]*(?:#.*)?$")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _line_col(line: str) -> tuple[int, bool]:
    """The column a YAML key starts at, and whether the line opens a list item (`- key:`)."""
    stripped = line.lstrip(" ")
    ind = len(line) - len(stripped)
    if stripped.startswith("- "):
        rest = stripped[2:]
        return ind + 2 + (len(rest) - len(rest.lstrip(" "))), True
    return ind, False


def _yaml_secret_spans(text: str) -> list[tuple[int, int, str]]:
    """Values under `data:`/`stringData:` of YAML mappings whose `kind` is `Secret`.

    Works line by line on `kubectl get -o yaml` shaped text (single objects, `---` streams and
    `kind: List` items) so the rest of the text keeps its exact layout.
    """
    if not _YAML_SECRET_KIND.search(text):
        return []
    lines = text.splitlines(keepends=True)
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    mapping_of, secret_mappings = _yaml_mappings(lines)
    spans: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        m = _YAML_DATA_LINE.match(body)
        if m:
            col, _ = _line_col(body)
            if mapping_of.get(i) in secret_mappings:  # a placeholder (`<set-by-external-secrets>`) holds no secret
                values = _yaml_block_values(lines, offsets, i, col)
                spans.extend(v for v in values if not _is_placeholder(text[v[0] : v[1]]))
        elif _LAST_APPLIED in body:
            spans.extend(_yaml_last_applied(lines, offsets, i))
    return spans


def _yaml_mappings(lines: list[str]) -> tuple[dict[int, int], set[int]]:
    """Which block mapping each key line belongs to, and which mappings say `kind: Secret`.

    One pass with a stack of open mappings by column: a line at a shallower column closes deeper
    mappings, a `- ` item starts a new mapping, `---` starts a new document. Linear in the lines,
    so a hostile text with thousands of `data:` lines costs no more than an ordinary one.
    """
    mapping_of: dict[int, int] = {}
    secret: set[int] = set()
    stack: list[tuple[int, int]] = []  # (column, mapping id)
    next_id = 0
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped == "---":
            stack.clear()
            continue
        col, dash = _line_col(body)
        while stack and stack[-1][0] > col:
            stack.pop()
        if stack and stack[-1][0] == col and not dash:
            mid = stack[-1][1]
        else:
            if stack and stack[-1][0] == col:
                stack.pop()
            mid = next_id
            next_id += 1
            stack.append((col, mid))
        mapping_of[i] = mid
        if _YAML_SECRET_KIND.match(body):
            secret.add(mid)
    return mapping_of, secret


def _yaml_block_values(lines: list[str], offsets: list[int], i: int, col: int) -> list[tuple[int, int, str]]:
    """Spans of every value in the block mapping that starts after line i (keys are kept)."""
    spans: list[tuple[int, int, str]] = []
    child_col: int | None = None
    j = i + 1
    current: list[int] | None = None  # [start, end] of the value being collected
    while j < len(lines):
        raw = lines[j]
        body = raw.rstrip("\r\n")
        if body.strip():
            c, _ = _line_col(body)
            if c <= col:
                break
            if child_col is None:
                child_col = c
            if c == child_col:
                if current:
                    spans.append((current[0], current[1], "k8s_secret_data"))
                    current = None
                km = _YAML_KEY_LINE.match(body)
                if km:
                    vstart = km.end()
                    if vstart < len(body):
                        current = [offsets[j] + vstart, offsets[j] + len(body)]
                    else:
                        current = None
                        # An empty value followed by deeper lines is a multi-line scalar.
                        current = [offsets[j] + len(body), offsets[j] + len(body)]
            elif current is not None:
                current[1] = offsets[j] + len(body)
        j += 1
    if current:
        spans.append((current[0], current[1], "k8s_secret_data"))
    return [s for s in spans if s[1] > s[0]]


def _yaml_last_applied(lines: list[str], offsets: list[int], i: int) -> list[tuple[int, int, str]]:
    """The last-applied annotation of a Secret repeats its data as JSON: drop the whole value."""
    body = lines[i].rstrip("\r\n")
    col, _ = _line_col(body)
    key_end = body.find(_LAST_APPLIED) + len(_LAST_APPLIED)
    rest_start = body.find(":", key_end) + 1
    while rest_start < len(body) and body[rest_start] in " \t":
        rest_start += 1
    start = offsets[i] + rest_start
    end = offsets[i] + len(body)
    j = i + 1
    while j < len(lines):
        nb = lines[j].rstrip("\r\n")
        if nb.strip():
            c, _ = _line_col(nb)
            if c <= col:
                break
            end = offsets[j] + len(nb)
        j += 1
    value = "".join(lines[k] for k in range(i, j))
    if re.search(r"""\\?["']kind\\?["']\s*:\s*\\?["']Secret""", value):
        return [(start, end, "k8s_last_applied_secret")]
    return []


# --------------------------------------------------------------------------- Kubernetes Secrets in JSON

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
_JSON_SECRET_KIND = re.compile(r'"kind"\s*:\s*"Secret"')


@dataclass
class _Obj:
    kind: str | None = None
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def _json_secret_spans(text: str) -> list[tuple[int, int, str]]:
    """String values under `data`/`stringData` of JSON objects whose `kind` is `"Secret"`.

    A token-level walk (strings, brackets, colons) over the text: it works on pretty or compact JSON
    and on JSON embedded in other text, and needs no full parse, so positions stay exact.
    """
    if not _JSON_SECRET_KIND.search(text) and _LAST_APPLIED not in text:
        return []
    spans: list[tuple[int, int, str]] = []
    # Each stack entry: ("obj", _Obj, pending_key, data_owner) or ("arr", None, None, data_owner)
    stack: list[tuple[str, _Obj | None, list[str | None], _Obj | None]] = []
    expect_value_for: str | None = None
    for tok in _JSON_TOKEN.finditer(text):
        t = tok.group()
        if t == "{":
            owner = None
            if stack and stack[-1][0] == "obj" and expect_value_for in ("data", "stringData"):
                owner = stack[-1][1]
            stack.append(("obj", _Obj(), [None], owner))
            expect_value_for = None
        elif t == "[":
            stack.append(("arr", None, [None], None))
            expect_value_for = None
        elif t in ("}", "]"):
            if not stack:
                continue
            typ, obj, _, _ = stack.pop()
            if typ == "obj" and obj is not None and obj.kind == "Secret":
                spans.extend(obj.spans)
            expect_value_for = None
        elif t == ":":
            if stack and stack[-1][0] == "obj":
                expect_value_for = stack[-1][2][0]
        elif t == ",":
            expect_value_for = None
            if stack and stack[-1][0] == "obj":
                stack[-1][2][0] = None
        elif t.startswith('"'):
            if not stack or stack[-1][0] != "obj":
                continue
            typ, obj, pending, owner = stack[-1]
            if expect_value_for is None and pending[0] is None:
                pending[0] = t[1:-1]
                continue
            key = expect_value_for
            if key == "kind" and obj is not None:
                obj.kind = t[1:-1]
            elif owner is not None:
                owner.spans.append((tok.start() + 1, tok.end() - 1, "k8s_secret_data"))
            elif key == _LAST_APPLIED and re.search(r'\\?"kind\\?"\s*:\s*\\?"Secret', t):
                spans.append((tok.start() + 1, tok.end() - 1, "k8s_last_applied_secret"))
            expect_value_for = None
        else:
            expect_value_for = None
    return [s for s in spans if s[1] > s[0]]


# --------------------------------------------------------------------------- redact_text


_BACK = 64
"""How far before a hint a match may start (`postgres` before `://`, 36 hex digits before `NRAL`)."""
_FORWARD = 2048
"""How far after a hint a match may end (the longest single-line tokens are under 1,500 characters)."""
_DENSE = 64
"""Hint occurrences beyond which scanning the whole text is cheaper than scanning windows."""


@dataclass(frozen=True)
class _HintIndex:
    """Every hint of `FORMATS`, each looked up once per text however many formats share it.

    `lowercase` matches any hint that is looked up in the lowercased text; `cased` are the hints
    with capitals (looked up in the original text). Together they prove in one scan that no hint
    occurs, which is what most tool results (code, metrics, log lines without credentials) show:
    then only the formats without hints run.
    """

    lowercase: re.Pattern[str]
    lowercase_hints: tuple[str, ...]
    cased: tuple[str, ...]

    @classmethod
    def of(cls, formats: tuple[SecretFormat, ...], words: frozenset[str] = frozenset()) -> _HintIndex:
        """`words`: lowercase words found by the same scan for other detectors (secret_prose.NOUNS)."""
        hints = {hint for fmt in formats for hint in fmt.hints} | words
        lower = {hint for hint in hints if hint == hint.lower()}
        return cls(re.compile(_trie_pattern(lower)), tuple(sorted(lower)), tuple(sorted(hints - lower)))

    def positions(self, text: str, lowered: str) -> dict[str, list[int]]:
        """Where each hint occurs ({} when none does); a hint's list stops past `_DENSE` occurrences,
        where a format stops looking at positions anyway."""
        found: dict[str, list[int]] = {}
        first = self.lowercase.search(lowered)
        if first is not None and not _walk_hints(self.lowercase, self.lowercase_hints, lowered, first, found):
            found.clear()
            _collect(self.lowercase_hints, lowered, found)
        _collect(self.cased, text, found)
        return found


_WALK_STEPS = 4 * _DENSE
"""How many hint positions `_walk_hints` visits before a text dense in hints is left to `_collect`."""


def _walk_hints(trie: re.Pattern[str], hints: tuple[str, ...], hay: str, match: re.Match[str] | None,
                found: dict[str, list[int]]) -> bool:
    """Every position where a hint starts, found with the prefix tree, from `match` (its first one) on.

    The tree matches the longest hint starting at a position, and every other hint starting there is
    a prefix of that one, so a position's hints are the longest one's prefixes that are hints; the
    next search starts one character later, so hints inside or overlapping another are found too.
    This replaces one `str.find` per hint (a hundred and more) by one search per occurrence, which
    for text holding a few hints is several times cheaper. Returns False, having stopped, past
    `_WALK_STEPS` positions: `_collect` is then cheaper and gives the same answer.
    """
    steps = 0
    while match is not None:
        steps += 1
        if steps > _WALK_STEPS:
            return False
        start, longest = match.start(), match.group()
        for hint in _prefix_hints(hints, longest):
            where = found.setdefault(hint, [])
            if len(where) <= _DENSE:
                where.append(start)
        match = trie.search(hay, start + 1)
    return True


def _prefix_hints(hints: tuple[str, ...], longest: str) -> tuple[str, ...]:
    """The hints `longest` starts with (itself included), shortest first, remembered per hint tuple.

    Keyed by the tuple's identity, not its value: a `functools.cache` on (hints, longest) hashed the whole
    tuple of 400+ hints at every call (tuples do not keep their hash), 2.4 us per hint occurrence, most of
    the hint scan's cost. The tuple is kept alive beside its table, so its id is never reused."""
    entry = _PREFIX_TABLES.get(id(hints))
    if entry is None:
        entry = _PREFIX_TABLES[id(hints)] = (hints, {})
    table = entry[1]
    prefixes = table.get(longest)
    if prefixes is None:
        prefixes = table[longest] = tuple(sorted((h for h in hints if longest.startswith(h)), key=len))
    return prefixes


_PREFIX_TABLES: dict[int, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {}
"""`_prefix_hints`' tables: id(hints) -> (hints, {longest hint: its prefixes that are hints})."""


def _collect(hints: tuple[str, ...], hay: str, found: dict[str, list[int]]) -> None:
    for hint in hints:
        i = hay.find(hint)
        if i < 0:
            continue
        where = found[hint] = []
        while i >= 0 and len(where) <= _DENSE:
            where.append(i)
            i = hay.find(hint, i + 1)


@cache
def _hint_index() -> _HintIndex:
    """The hint index of `FORMATS`, built on first use (compiling it at import would slow every start), with
    the sentence rule's credential nouns and the statement rules' gate words: one scan finds them all (a word
    no format names selects no format)."""
    return _HintIndex.of(FORMATS, PROSE_NOUNS | STATEMENT_GATE_WORDS)


def _hint_windows(fmt: SecretFormat, length: int, hints: dict[str, list[int]]) -> list[tuple[int, int]]:
    """Merged ranges around each occurrence of the format's hints in a text of `length` characters
    (`hints`: `_HintIndex.positions` of the text); the whole text when unwindowed or when hints are
    dense; [] when no hint of the format occurs.
    """
    whole = [(0, length)]
    if not fmt.hints:
        return whole
    positions: list[int] = []
    for hint in fmt.hints:
        positions += hints.get(hint, ())
        if len(positions) > _DENSE:
            return whole
    if not positions:
        return []
    if not fmt.windowed:
        return whole
    positions.sort()
    ranges: list[tuple[int, int]] = []
    for pos in positions:
        lo, hi = max(0, pos - _BACK), min(length, pos + _FORWARD)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


def _formats_to_run(found: tuple[str, ...]) -> tuple[int, ...]:
    """The priorities (1-based positions in `FORMATS`) of the formats that can match a text holding
    the hints `found`: those without hints and those with one of them, in priority order. Any other
    format has no window in the text; skipping it here spares a look at each of its hints."""
    if not found:
        return _hint_map().unhinted
    by_hint = _hint_map().by_hint
    wanted = set(_hint_map().unhinted)
    for hint in found:
        wanted.update(by_hint.get(hint, ()))
    return tuple(sorted(wanted))


@dataclass(frozen=True)
class _HintMap:
    unhinted: tuple[int, ...]
    by_hint: dict[str, tuple[int, ...]]


@cache
def _run_gated() -> frozenset[int]:
    """The priorities of the formats that cannot match a text without a run of token characters
    (`secret_runs.gated`, read from their patterns), found on first use like `_hint_index`."""
    return frozenset(prio for prio, fmt in enumerate(FORMATS, start=1) if secret_runs.gated(fmt.patterns))


@cache
def _hint_map() -> _HintMap:
    """Which formats each hint serves, built on first use like `_hint_index`."""
    by_hint: dict[str, list[int]] = {}
    for prio, fmt in enumerate(FORMATS, start=1):
        for hint in fmt.hints:
            by_hint.setdefault(hint, []).append(prio)
    unhinted = tuple(prio for prio, fmt in enumerate(FORMATS, start=1) if not fmt.hints)
    return _HintMap(unhinted, {hint: tuple(prios) for hint, prios in by_hint.items()})


def _finditer_ranges(pattern: re.Pattern[str], text: str, ranges: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Matches of `pattern` inside the ranges, each match once.

    A match that runs into the end of its window was cut there, not by the pattern: a token longer
    than the window (base64 of a 2048-bit key is about 2,300 characters) would otherwise leave its
    tail in the output. Such a match is taken again from the same start with the rest of the text.
    """
    seen: set[tuple[int, int]] = set()
    out: list[re.Match[str]] = []
    for lo, hi in ranges:
        for m in pattern.finditer(text, lo, hi):
            if m.end() == hi < len(text):
                m = pattern.match(text, m.start()) or m
            if m.span() not in seen:
                seen.add(m.span())
                out.append(m)
    return out


_ESCAPED_SEPARATOR = re.compile(r"\\u00(?:3[dDaA]|26)")
"""A separator written as a Unicode escape: Java `.properties` (`key\u003dvalue`, which native2ascii and config
migrators write), Go's and .NET's JSON encoders (`a=1\u0026token=X` inside a URL string)."""


def _unescaped_separators(text: str) -> str:
    """`text` with each escaped `=`, `:` and `&` read as the character and five blanks after it: the same length,
    so every span found in it is a span of `text`, and the value after it starts a token of its own."""
    return _ESCAPED_SEPARATOR.sub(lambda m: {"d": "=", "a": ":", "6": "&"}[m.group()[-1].lower()] + "     ", text)


def _candidates(text: str) -> list[tuple[int, int, int, str]]:
    """Every (priority, start, end, kind) any detector proposes; lower priority number wins."""
    if "\\u00" in text:
        text = _unescaped_separators(text)
    lowered = text.lower()
    found: list[tuple[int, int, int, str]] = []
    for s, e, kind in _yaml_secret_spans(text) + _json_secret_spans(text):
        found.append((0, s, e, kind))
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    hints = _hint_index().positions(text, lowered)
    # A text without 16 token characters in a row (most names, paths, labels) cannot hold a match of
    # the formats whose patterns all need one (guardrails/secret_runs.py): they are not run on it.
    first_run = secret_runs.RUN_RE.search(text)
    skip = _run_gated() if first_run is None else frozenset()
    for prio in _formats_to_run(tuple(hints)):
        if prio in skip:
            continue
        fmt = FORMATS[prio - 1]
        ranges = _hint_windows(fmt, len(text), hints)
        if not ranges:
            continue
        for pattern in fmt.patterns:
            for m in _finditer_ranges(pattern, text, ranges):
                group = "s" if "s" in pattern.groupindex else 0
                s, e = m.span(group)
                if e <= s:
                    continue
                if fmt.accept is not None and not fmt.accept(m.group(group)):
                    continue
                if _filled_template(m.group(group)):
                    continue
                if fmt.accept_match is not None and not fmt.accept_match(m):
                    continue
                found.append((prio, s, e, fmt.name))
    generic_prio = len(FORMATS) + 1
    for s, e, kind in (
        _env_pair_candidates(text) + _assignment_candidates(text, lowered) + _attribute_pair_candidates(text)
        + _layout_candidates(text, lowered) + statement_spans(text, lowered, _is_placeholder, hints, _DENSE + 1)
        + recovery_spans(text, lowered) + account_line_spans(text, _made_credential)
        + positional_spans(text, lowered, _made_credential) + typed_value_spans(text, _typed_judge)
        + spaced_record_spans(text, _made_credential) + setter_spans(text, lowered, _made_credential)
        + (_path_token_candidates(text) if first_run is not None and "/" in text else [])
        + (encoded_spans(text, _made_credential, 0 if first_run is None else first_run.start())
           if first_run is not None or "\\x" in text else [])
    ):
        found.append((generic_prio, s, e, kind))
    for s, e, kind in _entropy_candidates(text, lowered):
        found.append((generic_prio + 1, s, e, kind))
    if "\n" in text:  # a line's last token may go on below it (secret_wraps.py: long lines, or a lone random run)
        for i, (p, s, e, k) in enumerate(found):
            if e - s > 1 and text.startswith(CONTINUATION_MARKS, e - 1) and text.startswith(("\n", "\r\n"), e):
                e -= 1  # a value pattern that took the wrap sign (`--key=ab12↵`) as one of its characters
            if e < len(text) and (text[e] in "\r\n" or text.startswith(CONTINUATION_MARKS, e)):
                found[i] = (p, s, wrapped_end(text, s, e, _wrapped_piece), k)
    return [c for c in found if not _documented_example(text, c[1], c[2]) and not _caller_identity(text, c[1], c[2])]


_FILLERS = ("XXXXXXXX", "xxxxxxxx", "********", "########")
"""Eight of one filler character in a row: no generated key holds that run by chance (one in 62**7)."""


def _filled_template(value: str) -> bool:
    """A vendor's prefix with its body filled in by a template or a docs page (`lin_api_XXXX...`,
    `sk_live_xxxxxxxx...`, `glpat-********************`): the format's shape, no credential. Only a value
    whose filler run is most of it: a real key is never half one repeated character."""
    for run in _FILLERS:
        if run in value:
            return value.count(run[0]) * 2 >= len(value)
    return False


def _typed_judge(type_name: str, value: str) -> str | None:
    """A value held by a resource of `type_name` (secret_typed.py), judged as if the type were its key."""
    kind = credential_key(type_name)
    return _judge(kind, type_name, value, True) if kind is not None else None


def _made_credential(word: str) -> bool:
    """A decoded run (secret_encoded.py) that is a made password or token: three character classes or a
    high-entropy run; never a name, a digest, a number, a URL, a path or an address."""
    if word.isdigit() or identifier_like(word) or harmless_digest(word) or _is_placeholder(word):
        return False
    if "://" in word or word.count("/") >= 2 or ("@" in word and "." in word.rsplit("@", 1)[-1]):
        return False
    return (char_classes(word) >= 3 and shannon_entropy(word) >= 3.0) or high_entropy_token(word)


def _wrapped_piece(piece: str) -> bool:
    """A line's opening run that continues a wrapped token: random, not a name or a word."""
    return (not identifier_like(piece) and not kubernetes_generated_name(piece)
            and (high_entropy_token(piece) or _looks_random(piece)))


def _documented_example(text: str, start: int, end: int) -> bool:
    """A value that says it is an example: AWS's documented pair `AKIAIOSFODNN7EXAMPLE` /
    `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, and every vendor doc that copies the convention.
    Uppercase `EXAMPLE` inside a short token is a documentation marker, never chance."""
    if end - start <= 128 and "EXAMPLE" in text[start:end]:
        return True
    # the sentence before the value, on its line and within _SAMPLE_REACH: the newline is looked for in that
    # reach only, as a look back to the line's start crossed a one-line JSON result once per candidate
    lo = max(0, start - _SAMPLE_REACH)
    line = text.rfind("\n", lo, start)
    begin = lo if line < 0 else line + 1
    if _PUBLISHED_SAMPLE.search(text, begin, start) is not None:
        return True
    near = text[max(begin, start - 40) : start].lower()  # `_SAMPLE_NAMED` only where one of its words is near
    return (("sampl" in near or "exampl" in near or "illustrat" in near or "dummy" in near)
            and _SAMPLE_NAMED.search(text, begin, start) is not None)


_SAMPLE_REACH = 80
"""How far before a value `_PUBLISHED_SAMPLE` is looked for: the sentence that introduces it."""


_PUBLISHED_SAMPLE = re.compile(r"(?i)\b(?:published|documented|public)[ \t]+(?:[\w-]+[ \t]+){0,2}"
                               r"(?:sample|example|demo|placeholder)[ \t]+(?:[\w-]+[ \t]+)?(?:key|token|secret)\b")
"""A sentence that calls the value right after it a published sample (`the docs use the published sample key
X`): a vendor's documentation value that every copy of the docs prints, not anyone's credential."""


_SAMPLE_NAMED = re.compile(r"(?i)\b(?:sample|example|illustrative|dummy)[ \t]+(?:api[ \t]+)?(?:key|token|jwt)"
                           r"(?:[ \t]+(?:is|reads))?[ \t]*:?[ \t]*[\"'`]?$")
"""A value the words right before it call a sample (`the jwt.io sample token is X`, `example key: X`): docs and
tutorials introduce the value they print so; a tool reporting a live credential does not call it one."""


class _Intervals:
    """Disjoint [start, end) intervals kept sorted; `add` refuses one that overlaps (O(log n) search)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < end:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True


def redact_text(text: str) -> Redacted:
    """Replace every credential in `text` with `[REDACTED:<format>]`, leaving the rest as it was."""
    if not text:
        return Redacted(text=text)
    candidates = _candidates(text)
    if not candidates:
        return Redacted(text=text)
    # Higher priority first, then longer spans; keep each candidate that overlaps nothing kept.
    candidates.sort(key=lambda c: (c[0], -(c[2] - c[1]), c[1]))
    # Markers from an earlier pass are not secrets: redacting twice must change nothing.
    taken = _Intervals()
    for m in _MARKER_RE.finditer(text):
        taken.add(m.start(), m.end())
    if "ENC[" in text:
        for m in _CIPHERTEXT.finditer(text):
            taken.add(m.start(), m.end())
    for s, e in published_spans(text):  # SealedSecret ciphertext: public by design (secret_published.py)
        taken.add(s, e)
    for s, e in envelope_spans(text):  # ansible-vault, PGP/age messages (secret_envelopes.py)
        taken.add(s, e)
    kept: list[tuple[int, int, str]] = []
    for _, s, e, kind in candidates:
        if taken.add(s, e):
            kept.append((s, e, kind))
    kept.sort()
    if not kept:
        return Redacted(text=text)
    parts: list[str] = []
    last = 0
    for s, e, kind in kept:
        parts.append(text[last:s])
        parts.append(MARKER.format(kind=kind))
        last = e
    parts.append(text[last:])
    return Redacted(text="".join(parts), findings=[SecretFinding(kind, s, e) for s, e, kind in kept])


# --------------------------------------------------------------------------- redact_data

def _is_secret_object(value: dict[str, Any]) -> bool:
    return value.get("kind") == "Secret" and ("data" in value or "stringData" in value or "apiVersion" in value)


_LEAVES: PureMemo[Redacted] = PureMemo(lambda text: redact_text(text), keep=lambda red: not red.findings)
"""`redact_text` of the short strings of structured data, remembered across calls (guardrails/pure_memo.py):
file paths, symbol keys, namespaces and labels recur from one tool answer to the next. A string that held a
secret is not kept (redacted again when it recurs). `redact_text` is looked up when called, so a test that
wraps it sees every string the memo does not answer."""


def redact_data(value: Any) -> tuple[Any, list[SecretFinding]]:
    """Redact a JSON-like tree (dicts, lists, strings) without changing its shape.

    Kubernetes Secret objects keep their keys and lose every value; a string under a key that names
    a password or token is judged as such; every other string goes through `redact_text`. The input
    is not modified.
    """
    findings: list[SecretFinding] = []
    return _walk(value, findings, {}), findings


def _whole(kind: str, value: Any, findings: list[SecretFinding]) -> str:
    findings.append(SecretFinding(kind, 0, len(value) if isinstance(value, str) else 0))
    return MARKER.format(kind=kind)


def _walk(value: Any, findings: list[SecretFinding], seen: dict[str, Any]) -> Any:
    """`seen`: each distinct string's redaction within one tree. A structured answer repeats its strings (file
    paths, kinds, labels in every row); `redact_text` is a pure function of the string, so one pass per distinct
    string gives the same tree and the same findings at a fraction of the cost; across trees, `_LEAVES`
    remembers the short ones. Strings and scalars under a dict key are handled in the dict's loop, not by a
    call each: a code-graph answer is hundreds of rows of five keys, and the calls were most of its cost."""
    if isinstance(value, str):
        return _leaf(value, findings, seen)
    if isinstance(value, list | tuple):
        return [_walk(v, findings, seen) for v in value]
    if not isinstance(value, dict):
        return value
    secret_object = _is_secret_object(value)
    env_name = value.get("name") if isinstance(value.get("name"), str) else None
    out: dict[Any, Any] = {}
    for key, item in value.items():
        skey = key if type(key) is str else str(key)
        if isinstance(item, str):
            if _sensitive_pair(skey, item):
                kind = "password_assignment" if credential_key(skey) is KeyKind.PASSWORD else "secret_assignment"
                out[key] = _whole(kind, item, findings)
            elif (
                skey == "value"
                and env_name is not None
                and item
                and not _is_placeholder(item)
                and _env_value_sensitive(env_name, item)
            ):
                out[key] = _whole("k8s_env_secret", item, findings)
            else:
                out[key] = _leaf(item, findings, seen)
        elif item is None or type(item) in _PLAIN_SCALARS:
            out[key] = item  # what `_walk` returns for them, without the call
        elif secret_object and skey in ("data", "stringData") and isinstance(item, dict):
            out[key] = {k: _whole("k8s_secret_data", v, findings) for k, v in item.items()}
        elif skey == "metadata" and secret_object and isinstance(item, dict):
            out[key] = _secret_metadata(item, findings, seen)
        else:
            out[key] = _walk(item, findings, seen)
    return out


_PLAIN_SCALARS = frozenset({int, float, bool})
"""Exact types `_walk` returns unchanged (a str subclass or a container subclass still takes the long way)."""


def _leaf(value: str, findings: list[SecretFinding], seen: dict[str, Any]) -> str:
    if value in _ATTESTED:  # screened ahead under this rule set, keyed (guardrails/attested.py)
        return value
    red = seen.get(value)
    if red is None:
        red = seen[value] = _LEAVES(value)
    if red.findings:
        findings.extend(red.findings)
    return red.text


def _sensitive_pair(key: str, value: str) -> bool:
    kind = credential_key(key)
    if kind is KeyKind.PASSWORD:
        return _password_value(value, quoted=True)
    if kind is KeyKind.SECRET:
        return _looks_random(value) or _base64_pem_key(value) or base64_credential(value)
    return False


def _secret_metadata(meta: dict[str, Any], findings: list[SecretFinding], seen: dict[str, Any]) -> dict[str, Any]:
    """A Secret's metadata, with the last-applied annotation (a full copy of the Secret) dropped whole."""
    annotations = meta.get("annotations")
    if not (isinstance(annotations, dict) and _LAST_APPLIED in annotations):
        return dict(_walk(meta, findings, seen))
    rest = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
    out = dict(_walk({k: v for k, v in meta.items() if k != "annotations"}, findings, seen))
    new_ann = dict(_walk(rest, findings, seen))
    new_ann[_LAST_APPLIED] = _whole("k8s_last_applied_secret", annotations[_LAST_APPLIED], findings)
    out["annotations"] = new_ann
    return out


__all__ = [
    "FORMATS",
    "MARKER",
    "Redacted",
    "SecretFinding",
    "SecretFormat",
    "format_names",
    "redact_data",
    "redact_text",
    "shannon_entropy",
]
