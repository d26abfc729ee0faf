"""Credentials named in a sentence, in the languages operators write in.

Why a module of its own: the assignment detectors in redaction.py read a key, a separator and a value
(`пароль: X`, `Passwort = X`), and `prose_password` reads English `the password is X`. Chat pastes,
tickets and runbooks write the credential as a noun of a sentence instead: `логин Administrator, пароль X,`
(Russian chat), `mot de passe X —` (French), `comunidad SNMP de lectura = X` (qualifiers between the noun
and the separator), `chave da API utilizada: X` (Portuguese), `暗号化キー：X（毎月変更）` (a full-width colon
and parenthesis), `バインドパスワード: X` (a compound noun). The grammar is the same in each: a credential
noun, up to three qualifier words, a separator (ASCII, full-width or none when the value follows the noun
at once), then the value.

Only a value that looks made is taken, so sentences stay: under a password noun, 8+ characters mixing
letters with digits or symbols (`password reset`, `mot de passe oublié`, `пароль изменён` are words); under
a key or token noun, a random-looking value (three character classes and 10+ characters, or 20+ with
letters and digits). A reference (`$VAR`, `%VAR%`, `{{ x }}`, `<password>`), a path or a URL is never one.

Also here, because only the sentence says what it is: an app password of the shape the provider generates,
four groups of four lowercase letters (`xxxx xxxx xxxx xxxx`, Google; `xxxx-xxxx-xxxx-xxxx`, Apple), after
the words `app password` / `app-specific password`; one group at least without a vowel (random letters have
one two times in three; four English words never do).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from guardrails.regex_trie import trie_pattern
from guardrails.secret_shapes import high_entropy_token, shannon_entropy

Span = tuple[int, int, str]
Placeholder = Callable[[str], bool]

_PASSWORD_NOUNS = (
    # English and the languages written in Latin script (accents as written and as ASCII)
    "password", "passwort", "kennwort", "mot de passe", "contraseña", "contrasena", "senha", "palavra-passe",
    "wachtwoord", "lösenord", "losenord", "passord", "adgangskode", "salasana", "hasło", "haslo", "heslo",
    "jelszó", "jelszo", "parola", "parolă", "şifre", "sifre", "mật khẩu", "kata sandi", "geslo", "lozinka",
    # SNMP's password, in the same languages
    "community", "comunidad", "communauté", "communaute", "comunidade", "comunità", "comunita",
    # other scripts (a compound holds them: `バインドパスワード`, `数据库密码`)
    "пароль", "парола", "лозинка", "パスワード", "暗証番号", "密码", "密碼", "口令", "비밀번호", "암호",
    "كلمة المرور", "סיסמה", "पासवर्ड", "รหัสผ่าน", "κωδικός",
)
_KEY_NOUNS = (
    "api key", "api-key", "apikey", "access key", "chave", "clave", "clé", "cle api", "chiave", "sleutel",
    "schlüssel", "schluessel", "nyckel", "klucz", "token", "jeton", "токен", "ключ", "キー", "鍵", "トークン",
    "密钥", "秘钥", "密鑰", "令牌", "키", "토큰",
)
_NOUN = re.compile(trie_pattern(set(_PASSWORD_NOUNS) | set(_KEY_NOUNS)))
_KEY_SET = frozenset(_KEY_NOUNS)
_LATIN_WORD = re.compile(r"[a-zà-ÿ]")
_SEP = r"(?:[:=：]|->|=>|—|–)"
_AFTER_NOUN = re.compile(
    # qualifier words (up to five) need a separator after them (`comunidad SNMP de lectura = X`, `senha do
    # roteador de borda agora é: X`); without qualifiers the
    # separator is optional (`пароль X`)
    r"(?:(?P<qual>(?:[ \t]+[^\s:=：,;.!?()（）\"'「」]{1,24}){1,5}?)[ \t]*(?P<sep>" + _SEP + r")|[ \t]*(?P<sep0>" + _SEP
    + r")?)[ \t]*[\"'`«“「]?(?P<v>[^\s\"'`»”」，。、,;（）()]{6,128})"
)
_TRAILING = ".:;"
_NOT_VALUE_START = ("$", "%", "{", "<", "/", "\\", "[", "http:", "https:", "-", "*", "@", "&", "#")
_CODE_PATH = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)+(?:\(\)?)?")
"""`process.env.STRIPE_API_KEY`, `TokenBucketLimiter.acquire`, `settings.SECRET_KEY`: code that names where a
credential is, after a noun that is really a variable (`const apiKey = ...`, `token: ...` in a code graph)."""
_APP_PASSWORD = re.compile(
    r"(?i)\bapp(?:lication)?(?:[ \t-]+specific)?[ \t-]+pass(?:word|wort)s?\b[^\n]{0,80}?"
    r"(?<![a-z])(?P<v>[a-z]{4}(?P<d>[ \-])[a-z]{4}(?P=d)[a-z]{4}(?P=d)[a-z]{4})(?![a-z])"
)


def _made(value: str) -> bool:
    """A made password: 8+ characters, letters with digits or symbols (not only the `-_.` that join words:
    `kubernetes-sig-network` is a name), not one repeated pattern."""
    if len(value) < 8 or not any(c.isalpha() for c in value):
        return False
    if not any(not c.isalpha() and c not in "-_." for c in value):
        return False
    return shannon_entropy(value) >= 2.8 and not value.replace(".", "").replace("-", "").isdigit()


def _random(value: str) -> bool:
    """A random-looking key: three character classes and 10+ characters, or 20+ letters and digits."""
    classes = (any(c.islower() for c in value) + any(c.isupper() for c in value) + any(c.isdigit() for c in value)
               + any(not c.isalnum() for c in value))
    if len(value) >= 10 and classes >= 3 and shannon_entropy(value) >= 3.0:
        return True
    return (len(value) >= 20 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
            and shannon_entropy(value) >= 3.5)


def _app_password(value: str) -> bool:
    """Four random groups, not four words or a documented example (`abcd-efgh-ijkl-mnop`): a group without a
    vowel, which words and the alphabet's runs do not have."""
    return any(not set(g) & set("aeiouy") for g in re.split(r"[ \-]", value))


def prose_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    """(start, end, kind) of each credential a sentence names; `lowered` is `text.lower()`, same length."""
    out: list[Span] = []
    for n in _NOUN.finditer(lowered):
        noun = n.group()
        latin = _LATIN_WORD.match(noun) is not None
        if latin and ((n.start() > 0 and lowered[n.start() - 1].isalnum())
                      or (n.end() < len(lowered) and lowered[n.end()].isalnum())):
            continue  # inside a longer word (`passwords_file`, `tokenizer`, `clavier`)
        if n.start() > 0 and lowered[n.start() - 1] in "=/._-:$@{[":
            continue  # a value or a path segment (`-field=password`, `secret/token`), not the noun of a sentence
        m = _AFTER_NOUN.match(text, n.end())
        if m is None:
            continue
        if m.group("sep") == "=" and text[m.start("sep") - 1] not in " \t":
            continue  # `token expired jti=<id>`: the last word is the key of a `key=value` pair, not a qualifier
        if m.group("qual") is None and m.group("sep0") is None and not text.startswith((" ", "\t"), n.end()):
            continue  # `password123`, `tokenId`: the noun is part of a word
        value = m.group("v").rstrip(_TRAILING)
        if value.startswith(_NOT_VALUE_START) or "://" in value or placeholder(value) or _CODE_PATH.fullmatch(value):
            continue
        if noun in _KEY_SET:
            ok = _random(value)
            # a long random run is what the entropy detector reports too: the same kind whichever finds it
            kind = "high_entropy_secret" if high_entropy_token(value) else "secret_assignment"
        else:
            ok = _made(value)
            kind = "password_assignment"
        if ok:
            out.append((m.start("v"), m.start("v") + len(value), kind))
    if "pass" in lowered and "app" in lowered:
        for m in _APP_PASSWORD.finditer(text):
            if _app_password(m.group("v")):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    return out


__all__ = ["prose_spans"]
