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
from collections.abc import Callable, Mapping, Sequence

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
    "كلمة المرور", "סיסמה", "पासवर्ड", "รหัสผ่าน", "κωδικός", "şifrə", "fjalëkalimi", "fjalekalimi", "գաղտնաբառ",
    # the English loanword in the Indic scripts, written with and without the zero-width non-joiner after the
    # virama (Malayalam, Tamil, Telugu, Kannada, Bengali), and the native words of Georgian, Tamil and Persian
    "പാസ്\u200cവേഡ്", "പാസ്വേഡ്", "பாஸ்வேர்ட்", "கடவுச்சொல்", "పాస్\u200cవర్డ్", "పాస్వర్డ్", "ಪಾಸ್\u200cವರ್ಡ್",
    "ಪಾಸ್ವರ್ಡ್", "পাসওয়ার্ড", "პაროლი", "პაროლით", "رمز عبور", "گذرواژه",
)
_KEY_NOUNS = (
    "api key", "api-key", "apikey", "access key", "chave", "clave", "clé", "cle api", "chiave", "sleutel",
    "schlüssel", "schluessel", "nyckel", "klucz", "token", "jeton", "токен", "ключ", "キー", "鍵", "トークン",
    "密钥", "秘钥", "密鑰", "令牌", "키", "토큰",
    # Danish and Norwegian `key` with its suffixed article (`API-nøglen`, `nøkkelen`), and Swedish `nyckeln`
    "nøgle", "nøglen", "api-nøgle", "api-nøglen", "nøkkel", "nøkkelen", "api-nøkkel", "api-nøkkelen", "nyckeln",
)
NOUNS = frozenset(_PASSWORD_NOUNS) | frozenset(_KEY_NOUNS)
"""Every credential noun, lowercase: redaction.py adds them to its hint index, whose one scan of the lowered
text then hands their positions here (`prose_spans(found=...)`) instead of a scan of this module's own."""
_NOUN_ALL = re.compile(trie_pattern(set(NOUNS)))
_ENGLISH_KEY_NOUNS = frozenset({"api key", "api-key", "apikey", "access key", "token"})
"""English key nouns: the entropy detector already takes a random value near them (its context words), so
ASCII text is not scanned for them here; other languages' key nouns are."""
_ASCII_NOUNS = frozenset(n for n in NOUNS if n.isascii() and n not in _ENGLISH_KEY_NOUNS)
_NOUN_ASCII = re.compile(trie_pattern(set(_ASCII_NOUNS)))
_KEY_SET = frozenset(_KEY_NOUNS)
_KEY_LIKE = frozenset({"password", "community", "token", "apikey", "api-key", "passwort", "kennwort", "senha"})
"""Nouns that are also key names: glued to `:` or `=` they are a key, which the assignment detectors read."""
_LATIN_WORD = re.compile(r"[a-zà-ÿ]")
_SEP = r"(?:[:=：＝՝፡፦]|->|=>|—|–)"
"""ASCII and full-width separators, dashes, and the label marks of Armenian (`՝`) and Ethiopic (`፡`, `፦`)."""
_VALUE = r"[ \t]*[\"'`«“「]?(?P<v>[^\s\"'`»”」，。、,;（）()]{6,128})"
_COPULA = r"(?:ay|ist|est|es|è|é|jest|je|adalah|ialah|là|er|är|ir|yra)(?=[ \t])"
"""`is` in languages that write the value after a copula instead of a colon (Tagalog `password ay X`, German
`Passwort ist X`, Polish `hasło jest X`, Indonesian `kata sandi adalah X`); English `is` is prose_password's."""
_DIRECT = re.compile(r"[ \t]*(?:(?P<sep>" + _SEP + r")|(?P<cop>" + _COPULA + r"))?" + _VALUE)
"""The value right after the noun, with or without a separator (`пароль X`, `mot de passe X`, `キー：X`), or
after the language's word for `is`."""
_QUALIFIED = re.compile(
    r"(?P<qual>(?:[ \t]+[^\s:=：＝,;.!?()（）\"'「」]{1,24}){1,5}?)[ \t]*(?P<sep>" + _SEP + r")" + _VALUE)
"""Up to five qualifier words, then a separator, then the value (`comunidad SNMP de lectura = X`, `senha do
roteador agora é: X`); without a separator the words are a sentence about the credential."""
_AFTER_CHARS = frozenset(" \t:=：＝—–-՝፡፦")
_SEP_ON_LINE = re.compile(r"[^\n]{0,150}?(?:[:=：＝՝፡፦—–]|->)")
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


def _accepted(noun: str, raw: str, placeholder: Placeholder) -> bool:
    """Whether the word after a noun is its value: not a reference or code, and made (password nouns) or
    random (key nouns)."""
    value = raw.rstrip(_TRAILING)
    if not (_random(value) if noun in _KEY_SET else _made(value)):
        return False
    return not (value.startswith(_NOT_VALUE_START) or "://" in value or placeholder(value)
                or _CODE_PATH.fullmatch(value))


def _occurrences(text: str, lowered: str) -> list[tuple[str, int]]:
    """(noun, position) of every noun in `lowered`, in text order; other scripts' nouns only in text that has
    other scripts (one alternation of the ASCII nouns is all most tool output pays)."""
    rx = _NOUN_ASCII if text.isascii() else _NOUN_ALL
    return [(m.group(), m.start()) for m in rx.finditer(lowered)]


def occurrences_from(text: str, found: Mapping[str, Sequence[int]], complete: int) -> list[tuple[str, int]] | None:
    """The same list as `_occurrences`, read from a scan made for other words too: `found` maps each word it
    met (all of `NOUNS` among its words) to its positions in the lowered text, overlapping ones included.

    The noun alternation's `finditer` takes, from left to right, the longest noun at a position and goes on
    after its end; the same walk over the sorted positions gives the same list. None when some noun's list
    holds `complete` or more positions (the scan stops counting there): the caller scans itself.
    """
    nouns = _ASCII_NOUNS if text.isascii() else NOUNS
    hits: list[tuple[int, int, str]] = []
    for word, where in found.items():
        if word in nouns:
            if len(where) >= complete:
                return None
            hits.extend((start, -len(word), word) for start in where)
    if len(hits) > 1:
        hits.sort()
    out: list[tuple[str, int]] = []
    last_end = 0
    for start, neg_len, word in hits:
        if start >= last_end:
            out.append((word, start))
            last_end = start - neg_len
    return out


def prose_spans(text: str, lowered: str, placeholder: Placeholder,
                occurrences: list[tuple[str, int]] | None = None) -> list[Span]:
    """(start, end, kind) of each credential a sentence names; `lowered` is `text.lower()`, same length.
    `occurrences`: the nouns' (noun, position) when a shared scan already found them (`occurrences_from`)."""
    out: list[Span] = []
    if occurrences is None:
        occurrences = _occurrences(text, lowered)
    for noun, start in occurrences:
        end = start + len(noun)
        latin = _LATIN_WORD.match(noun) is not None
        if latin and ((start > 0 and lowered[start - 1].isalnum()) or (end < len(lowered) and lowered[end].isalnum())):
            continue  # inside a longer word (`passwords_file`, `tokenizer`, `clavier`)
        if start > 0 and lowered[start - 1] in "=/._-:$@{[":
            continue  # a value or a path segment (`-field=password`, `secret/token`), not the noun of a sentence
        if end >= len(text) or text[end] not in _AFTER_CHARS:
            continue  # `password123`, `tokenId`, `password.`: the noun is part of a word or ends the sentence
        if text[end] in ":=" and noun in _KEY_LIKE:
            continue  # `password: X`, `token=X`: a key and its value, the assignment detectors' (judged there)
        m = _DIRECT.match(text, end)
        if m is not None and not (m.group("sep") or m.group("cop")) and not text.startswith((" ", "\t"), end):
            m = None
        if m is not None and not _accepted(noun, m.group("v"), placeholder):
            m = None
        if m is None and _SEP_ON_LINE.match(text, end) is not None:
            m = _QUALIFIED.match(text, end)
            if m is not None and m.group("sep") == "=" and text[m.start("sep") - 1] not in " \t":
                continue  # `token expired jti=<id>`: the last word is the key of a `key=value` pair, not a qualifier
        if m is None:
            continue
        value = m.group("v").rstrip(_TRAILING)
        if _accepted(noun, value, placeholder):
            kind = "password_assignment"
            if noun in _KEY_SET:  # a long random run is what the entropy detector reports too: the same kind
                kind = "high_entropy_secret" if high_entropy_token(value) else "secret_assignment"
            out.append((m.start("v"), m.start("v") + len(value), kind))
    if "pass" in lowered and "app" in lowered:
        for m in _APP_PASSWORD.finditer(text):
            if _app_password(m.group("v")):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    return out


__all__ = ["NOUNS", "occurrences_from", "prose_spans"]
