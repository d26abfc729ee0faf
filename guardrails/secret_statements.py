"""Credentials that a statement's grammar places, not a `key=value` pair.

Why a module of its own: the assignment detector in redaction.py reads a credential key and the value
right after its `=` or `:`. Many tools write a password as a word of a statement instead, and only the
statement's documented grammar says which word it is:
- SQL: `CREATE USER x WITH PASSWORD '...'`, `IDENTIFIED [WITH plugin] BY '...'` (MySQL, Oracle,
  ClickHouse), `SET PASSWORD ... = '...'`, MSSQL `WITH PASSWORD = N'...'`; Oracle `user/password@db`
  after `jdbc:oracle:thin:` or `CONNECT`; a `.pgpass` line `host:port:db:user:password`;
- network-device and daemon configs: a credential directive (`password`, `secret`, `key`, `key-string`,
  `pre-shared-key`, `authentication-key`, `community`, ...) after its statement head (line start,
  `enable`, `username U`, `neighbor X`, `tacacs-server`, `crypto isakmp`, `set ...`), with the
  encryption-type word or digit Cisco IOS and Junos put between (`password 7 <hex>`, `key 0 <plain>`,
  `pre-shared-key ascii-text "$9$..."`); Junos `$9$` ciphertext (reversible); haproxy `stats auth
  u:p`; strongSwan `ipsec.secrets` (`ids : PSK "..."`); OpenVPN inline `<auth-user-pass>`;
- command lines whose password is a positional word or a single-letter option: `sqlcmd/bcp -P`,
  httpie `-a u:p`, `docker login -p`, `net use \\\\host\\share PASS`, `net user NAME PASS`,
  `psexec -p`, `plink -pw`, `mc alias set NAME URL ACCESS SECRET`, PowerShell `ConvertTo-SecureString
  '...' -AsPlainText`, `NetworkCredential('u', '...')`, `ssh-keygen -N`, `zip -P`, `7z -p`;
- one-value grammars of the same classes (`_SIMPLE_RULES`): Redis `AUTH`/`ACL SETUSER >p`, POP3/FTP
  `PASS`, IMAP `LOGIN`, SNMPv3 users, `plaintext`-marked values, Dovecot `{PLAIN}`, Squid `login=u:p`,
  netsh `Key Content`, PgBouncer and Postfix map lines, DB2/Teradata/SQL*Plus logons, user-management
  calls (`db.changeUserPassword`), `rabbitmqctl add_user`, `mysqladmin password`;
- URLs: tokens a provider documents in the path (conda `/t/<token>/`, webhook `/hooks/<token>`,
  PagerDuty `/integration/<key>/`) and query parameters whose name says credential (`sig`,
  `X-Amz-Signature`, `private_token`, ...). The user-info password of any scheme is the
  `url_credentials` format in redaction.py. Pagination cursors (`page_token`, `nextToken`) are
  positions in a listing, not credentials: `credential_key` keeps them for every detector.

Spans come back with the kind redaction.py already names for that family (`password_assignment`,
`config_directive_password`, `cli_password_flag`, `connection_string_password`, `stdin_secret`,
`url_query_credential`).
Every rule runs only when its anchor word occurs in the lowered text, and every pattern starts at a
literal anchor with bounded repeats, so a long line costs one scan per anchor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import unquote

from guardrails.secret_prose import occurrences_from, prose_spans
from guardrails.secret_shapes import (
    KeyKind,
    credential_key,
    high_entropy_token,
    identifier_like,
    kubernetes_generated_name,
    shannon_entropy,
)

Span = tuple[int, int, str]
Placeholder = Callable[[str], bool]

_PROSE = frozenset({
    "is", "was", "are", "be", "to", "for", "from", "of", "in", "on", "the", "a", "an", "and", "or", "not", "with",
    "by", "as", "at", "if", "it", "this", "that", "new", "old", "none", "null", "required", "expired", "invalid",
    "incorrect", "changed", "reset", "set", "prompt", "random", "values", "externally", "globally", "encryption",
    "authentication", "policy", "expire", "lock", "unlock", "default", "file", "stdin", "env",
})
"""Words that follow a credential word in prose and in statement grammar (`IDENTIFIED BY VALUES`,
`PASSWORD EXPIRE`, `IDENTIFIED EXTERNALLY`): never the credential itself."""


_NOT_LITERAL = ("$", "%", "-", "/", ":", "?", "@", "&", "(")


def _bare(value: str, placeholder: Placeholder) -> bool:
    """An unquoted word in the credential's slot: a credential unless a placeholder, a reference, a
    word of the sentence, or a short plain word (prose such as `password 7 days`)."""
    v = value.rstrip(";,")
    if v[:3] in ("$1$", "$5$", "$6$", "$8$", "$9$", "$y$", "$2a", "$2b", "$2y") and len(v) >= 12:
        return True  # a crypt(3) hash or Junos `$9$` in the credential's slot: offline-crackable or reversible
    if len(v) < 3 or placeholder(v) or v.startswith(_NOT_LITERAL) or v.lower() in _PROSE:
        # `$VAR`, `%prompt`, an option, a sub-expression; a bind parameter (`:pwd`, `?`, `@pwd`, SQL*Plus `&pw`)
        return False
    return len(v) >= 12 or not v.isalpha()


def _quoted(value: str, placeholder: Placeholder) -> bool:
    """A quoted literal in the credential's slot: a credential unless empty or a placeholder."""
    return bool(value) and not placeholder(value) and not value.startswith(("${", "$(", "{{"))


def _strip(span_start: int, value: str) -> tuple[int, int, str, bool]:
    """(start, end, inner, quoted) of a possibly quoted shell/config word."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return span_start + 1, span_start + len(value) - 1, value[1:-1], True
    return span_start, span_start + len(value), value, False


def _word(text: str, start: int, end: int, kind: str, placeholder: Placeholder, out: list[Span]) -> None:
    """Judge the word text[start:end] (quoted or bare) and add it to `out` when it is a credential."""
    s, e, inner, quoted = _strip(start, text[start:end])
    if e > s and (_quoted(inner, placeholder) if quoted else _bare(inner, placeholder)):
        out.append((s, e, kind))


# --------------------------------------------------------------------------- SQL

_SQL_LITERAL = (r"""[NnEeBb]?(?:'(?P<s1>(?:[^'\n]|''){1,256})'|"(?P<s2>[^"\n]{1,256})"|"""
                r"""\$(?P<dq>\w{0,16})\$(?P<s4>[^$\n]{1,256})\$(?P=dq)\$)""")
"""A string literal: standard quotes (a quote doubled inside), a double-quoted identifier-style literal
(Oracle), or PostgreSQL dollar quoting (`$$...$$`, `$tag$...$tag$`)."""


def _literal_group(m: re.Match[str]) -> str:
    """The name of the group that holds the literal's text in a match of a pattern built on `_SQL_LITERAL`."""
    return next(g for g in ("s1", "s2", "s4", "s3") if g in m.re.groupindex and m.group(g) is not None)
_SQL_PASSWORD = re.compile(
    # the literal right after a password keyword of a statement: PASSWORD 'x', PASSWORD = N'x',
    # SET PASSWORD [FOR u] = [PASSWORD(]'x', FROM 'old' TO 'new' (Neo4j), BY PASSWORD = 'x' (MSSQL keys)
    # the keyword is a word of the statement, not a quoted key (`"password": "..."`, `type="password"`)
    r"(?i)(?:password|pwd)(?:[ \t]+for[ \t]+[^\s=]{1,128})?(?:[ \t]*=[ \t]*|[ \t]+)"
    r"(?:password[ \t]*\([ \t]*)?"
    r"(?:(?:from|to)[ \t]+)?" + _SQL_LITERAL
)
_SQL_IDENTIFIED = re.compile(
    # MySQL/MariaDB/ClickHouse/Oracle: IDENTIFIED [WITH plugin] BY|AS 'x' / Oracle IDENTIFIED BY x / "x"
    r"(?i)\bidentified(?:[ \t]+with[ \t]+['\"`]?[\w$]{1,64}['\"`]?)?[ \t]+(?:by|as)(?:[ \t]+password)?[ \t]+"
    r"(?:" + _SQL_LITERAL + r"|(?P<s3>[^\s'\";,()]{1,128}))"
)
_SQL_PASSWORD_BEFORE = re.compile(r"[\w\"'`.\-$]")
"""A character before `password` that makes it part of a name or a quoted key, not a statement word."""
_SQL_NEO4J_FROM = re.compile(r"(?i)\bset[ \t]+password[ \t]+from[ \t]+'[^'\n]{1,256}'[ \t]+to[ \t]+" + _SQL_LITERAL)
_ORACLE_USERPASS = re.compile(
    # jdbc:oracle:thin:user/password@host, CONNECT user/password@db (SQL*Plus, RMAN)
    r"(?i)(?:\bjdbc:oracle:(?:thin|oci8?|kprb):|(?:^|[\s>])conn(?:ect)?[ \t]+)[A-Za-z][\w$#.]{0,63}/"
    r"(?:\"(?P<s1>[^\"\n]{1,128})\"|(?P<s2>[^\s\"/@]{1,128}))@"
)
_PGPASS = re.compile(
    # hostname:port:database:username:password, `*` for any field, `\:` inside a field
    r"[ \t]*(?:\*|[A-Za-z0-9][\w.\-\[\]]{0,253}|\[[0-9a-fA-F:]+\]|(?:[^\s:\\#]|\\:){1,64}):(?:\*|\d{1,5}):"
    r"(?:\*|(?:[^\s:\\]|\\.){1,64}):(?:\*|(?:[^\s:\\]|\\.){1,64}):(?P<s>(?:[^\s\\]|\\.){1,256})[ \t]*(?=\r?\n|$)"
)
_PGPASS_PORT = re.compile(r":(?:\*|\d{1,5}):")
_CLOCK = re.compile(r"[ \t]*\d{1,2}:\d{2}:")


def _finds(lowered: str, word: str) -> list[int]:
    """Every position of `word` in `lowered` (str.find: far cheaper than a case-insensitive regex scan)."""
    out: list[int] = []
    i = lowered.find(word)
    while i >= 0:
        out.append(i)
        i = lowered.find(word, i + 1)
    return out


def _sql_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    kind = "password_assignment"
    for word in ("password", "pwd"):
        for i in _finds(lowered, word):
            m = _SQL_PASSWORD.match(text, i)
            if m is not None and (i == 0 or _SQL_PASSWORD_BEFORE.match(text, i - 1) is None):
                g = _literal_group(m)
                if _quoted(m.group(g), placeholder):
                    out.append((m.start(g), m.end(g), kind))
    if "password from" in lowered:
        for m in _SQL_NEO4J_FROM.finditer(text):
            g = _literal_group(m)
            if _quoted(m.group(g), placeholder):
                out.append((m.start(g), m.end(g), kind))
    for i in _finds(lowered, "identified"):
        m = _SQL_IDENTIFIED.match(text, i)
        if m is None:
            continue
        g = _literal_group(m)
        value = m.group(g)
        if g == "s3" and (not _bare(value, placeholder) or (value.isalpha() and value.isupper())):
            continue  # IDENTIFIED BY VALUES / EXTERNALLY / a keyword, not a literal
        if g != "s3" and not _quoted(value, placeholder):
            continue
        out.append((m.start(g), m.end(g), kind))
    if "oracle:" in lowered or ("conn" in lowered and "@" in text and "/" in text):
        for m in _ORACLE_USERPASS.finditer(text):
            g = "s1" if m.group("s1") is not None else "s2"
            if not placeholder(m.group(g)) and len(m.group(g)) >= 2:
                out.append((m.start(g), m.end(g), "connection_string_password"))
    if text.count(":") >= 4:
        seen: set[int] = set()
        for p in _PGPASS_PORT.finditer(text):
            lo = max(0, p.start() - 300)
            start = text.rfind("\n", lo, p.start()) + 1
            if (start == 0 and lo > 0) or start in seen:
                continue
            seen.add(start)
            m = _PGPASS.match(text, start)
            if m is None:
                continue
            line = m.group(0)
            if line.lstrip().startswith("#") or _CLOCK.match(line) or line.rstrip().endswith(":::"):
                continue  # a comment, a clock time (`10:00:00:...`), a hash dump's `user:rid:lm:nt:::` (its own format)
            if _quoted(m.group("s"), placeholder) and not m.group("s").startswith("$"):
                out.append((m.start("s"), m.end("s"), kind))
    return out


# --------------------------------------------------------------------------- device and daemon configs

_STRONG = (
    r"password|passwd|secret|key-string|authentication-key|auth-key|pre-shared-key|pre-shared-secret|psk|"
    r"psksecret|encrypted-password|plain-text-password-value|md5-password|server-key|shared-secret|"
    r"wpa-psk[ \t]+ascii|community|private-key|preshared-key|plaintext-password|plain-text-password|passphrase"
)
_MODIFIER = (
    r"(?:[ \t]+(?:level[ \t]+\d{1,2}|[0-9]|sha256|sha512|md5|scrypt|pbkdf2|ascii-text|ascii|hex|enc|encrypted|"
    r"unencrypted|cleartext|clear|plain|local|remote|hidden|mschap|chap|pap|simple|cipher|irreversible-cipher|"
    r"\d{1,3}[ \t]+md5))*"
)
_CONFIG_VALUE = r"""[ \t]+(?P<v>"[^"\n]{1,256}"|'[^'\n]{1,256}'|[^\s"'#!][^\s"']{0,255}|![^\s"']{2,255})"""
_DEVICE_HEAD = (
    # what stands before the directive on its line: nothing (an indented directive), or a statement head
    # a unified or normal diff of the config marks its lines (`+ username x password 0 p`, `> key 7 ...`)
    # (unified diff puts its `+`/`-` right before the line, so an unindented directive follows it with no blank)
    r"(?im)^[ \t]*(?:[+\-][ \t]*|[<>][ \t]+)?(?:(?:set|edit|no)[ \t]+(?:[\w.:/\-\[\]@\"]+[ \t]+){0,10}?"
    r"|enable[ \t]+|username[ \t]+\S{1,64}[ \t]+(?:\S{1,64}[ \t]+){0,6}?"
    r"|neighbor[ \t]+\S{1,64}[ \t]+|(?:tacacs|radius)-server(?:[ \t]+host[ \t]+\S{1,64}"
    r"(?:[ \t]+(?:auth-port|acct-port|port|timeout|single-connection)(?:[ \t]+\d{1,5})?)*)?[ \t]+"
    r"|crypto[ \t]+isakmp[ \t]+|crypto[ \t]+ikev[12][ \t]+\S+[ \t]+|ip[ \t]+(?:ospf|rip|ftp|http)[ \t]+"
    r"(?:[\w\-]+[ \t]+\d{1,3}[ \t]+)?|ipv6[ \t]+ospf[ \t]+|area[ \t]+\S+[ \t]+|ntp[ \t]+|snmp-server[ \t]+"
    r"|ppp[ \t]+(?:chap|pap)[ \t]+(?:sent-username[ \t]+\S+[ \t]+)?|ikev[12][ \t]+(?:(?:local|remote)-"
    r"authentication[ \t]+)?|tunnel[ \t]+key[ \t]+|wpa-psk[ \t]+|vrrp[ \t]+\d{1,3}[ \t]+authentication[ \t]+"
    r"(?:text[ \t]+|md5[ \t]+key-chain[ \t]+)?|standby[ \t]+\d{1,4}[ \t]+authentication[ \t]+(?:md5[ \t]+)?"
    # F5 tmsh `create auth user U ... password P ...` (properties in any order); Huawei/H3C `local-user U`
    r"|(?:tmsh[ \t]+)?(?:create|modify)[ \t]+auth[ \t]+user[ \t]+\S{1,64}[ \t]+(?:[^\n]{0,300}?[ \t])?"
    r"|local-user[ \t]+\S{1,64}[ \t]+)?"
)
_DEVICE_DIRECTIVE = re.compile(
    _DEVICE_HEAD + r"(?P<kw>" + _STRONG + r"|key|(?:message-digest|authentication)-key[ \t]+\d{1,3}"
    r"(?:[ \t]+md5)?)(?P<mod>" + _MODIFIER + r")" + _CONFIG_VALUE + r"(?P<rest>[^\n]{0,120})"
)
_DEVICE_ANCHORS = ("pass", "secret", "key", "psk", "community")
"""Substrings every directive word holds: the lines that have one are the only ones the directive rule reads."""
_DIRECTIVE_WORD_END = re.compile(r"[a-z\-]{0,24}[ \t]")
"""A directive word is followed by a blank (its modifiers or its value), never by `:`, `=` or a quote."""
_CISCO_TYPE7 = re.compile(r"\d{2}(?:[0-9A-F]{2}){2,}")
_JUNOS_9 = re.compile(r"\$9\$[A-Za-z0-9./\-]{8,512}(?:\$[A-Za-z0-9./]{20,128})?(?![A-Za-z0-9./\-$])")
_HAPROXY_STATS = re.compile(r"(?i)(?:[+\-]|[<>][ \t])?[ \t]*stats[ \t]+auth[ \t]+[^\s:]{1,64}:(?P<v>\S{1,256})")
_IPSEC_SECRET = re.compile(
    # strongSwan/Libreswan ipsec.secrets: [ids] : TYPE [user-or-file] "secret"
    r"(?m)^[ \t]*[^\n#:\"]{0,300}:[ \t]*(?P<t>PSK|EAP|XAUTH|NTLM|PIN|RSA|ECDSA|P12|PKCS8|BLISS)[ \t]+"
    r"(?P<v>\"[^\"\n]{1,256}\"|'[^'\n]{1,256}'|0[sx][A-Za-z0-9+/=]{2,512}|[^\s\"'#]{1,256})"
    r"(?:[ \t]+(?P<v2>\"[^\"\n]{1,256}\"|'[^'\n]{1,256}'|[^\s\"'#]{1,256}))?"
)
_IPSEC_GATE = re.compile(r":[ \t]*(?:PSK|EAP|XAUTH|NTLM|PIN|RSA|ECDSA|P12|PKCS8|BLISS)[ \t]")
"""Starts with a literal `:`, which the engine finds by a fast search: one cheap scan decides the rule runs."""
_OVPN_INLINE = re.compile(
    # OpenVPN inline credentials: the user name on the first line, the password on the second
    r"<auth-user-pass>[ \t]*\r?\n[^\n]{1,256}\r?\n(?P<v>[^\n<]{1,256}?)[ \t]*\r?\n[ \t]*</auth-user-pass>"
)


_OBJECT_REF = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?/[a-z0-9](?:[a-z0-9.\-]{0,251}[a-z0-9])?")


def _object_reference(value: str) -> bool:
    """`namespace/name` of Kubernetes objects (each part a DNS-1123 name made of words, or one a controller
    generated): how Vigil and kubectl name an object after its kind, never how a device config writes a key."""
    if not _OBJECT_REF.fullmatch(value):
        return False
    return all(identifier_like(part) or kubernetes_generated_name(part) for part in value.split("/"))


def _device_value(kw: str, mod: str, value: str, rest: str, placeholder: Placeholder) -> bool:
    """Whether the word after a config directive (and its type modifiers) is the credential."""
    kw = kw.lower()
    mods = mod.lower().split()
    inner = value.strip("\"'")
    quoted = inner != value
    if inner.startswith("=") or inner == "-->":
        return False  # an ISPF/3270 panel's arrow (`PASSWORD ===> x`): the panel rule reads the field after it
    if "7" in mods:
        return bool(_CISCO_TYPE7.fullmatch(inner))  # IOS type 7: two decimal digits, then hex pairs
    if "cipher" in mods or "irreversible-cipher" in mods:
        return len(inner) >= 8 and not placeholder(inner)  # Huawei `%^%#...%^%#` / `$1a$...$`: ciphertext or hash
    if any(m in ("5", "8", "9") for m in mods):
        return inner.startswith("$") and len(inner) >= 8
    if kw == "key" and not mods and not (high_entropy_token(inner) or _mixed(inner)):
        return False  # a bare `key` also opens key chains (`key 1`) and names (`key config-key`)
    if quoted:
        return _quoted(inner, placeholder)
    if rest.strip() and not rest.lstrip().startswith(_TAILS):
        # more words after the value: a sentence (help text, prose), unless the statement's grammar allows a tail
        return _mixed(inner) and _bare(inner, placeholder)
    if kw == "community":  # SNMP communities are often plain words (`snmp-server community netops2 RO`)
        return (_bare(inner, placeholder) or len(inner) >= 6) and not placeholder(inner)
    return _bare(inner, placeholder)


_TAILS = ("!", "#", "address", "RO", "RW", "ro", "rw", "level", "7", "encrypted", "role", "auth", "priv", "view",
          "1", "2", "3", "4", "5", "6", "8", "9", "0")
"""Words a device statement's grammar allows after the credential (`community X RO 10`, `key X address Y`,
`password X encrypted`, `secret X role network-admin`); any other tail makes the line a sentence."""


def _mixed(value: str) -> bool:
    """Letters with digits or symbols, 8+ characters, not an identifier: how a credential looks."""
    if len(value) < 8 or identifier_like(value):
        return False
    has_alpha = any(c.isalpha() for c in value)
    other = any(not c.isalpha() for c in value)
    return has_alpha and other and shannon_entropy(value) >= 2.8 and not re.fullmatch(r"[\d.:/\-]+[a-z]*", value)


def _line_start(text: str, pos: int, reach: int = 300) -> int:
    """Start of the line holding `pos`, or -1 when it lies more than `reach` back (no statement head is longer)."""
    lo = max(0, pos - reach)
    start = text.rfind("\n", lo, pos) + 1
    return -1 if start == 0 and lo > 0 else start


def _device_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    kind = "config_directive_password"
    starts: set[int] = set()
    for word in _DEVICE_ANCHORS:
        for i in _finds(lowered, word):
            if _DIRECTIVE_WORD_END.match(lowered, i) is None:
                continue  # `password:`, `"secret"`, `API_KEY=`: a key of another syntax, not a directive word
            start = _line_start(text, i)
            if start >= 0:
                starts.add(start)
    for start in sorted(starts):
        m = _DEVICE_DIRECTIVE.match(text, start)
        if m is not None and (m.group("kw") == "Secret" or _object_reference(m.group("v"))):
            continue  # `Secret shop/checkout-db`: the Kubernetes kind and an object's name, not a directive
        if m is not None and _device_value(m.group("kw"), m.group("mod") or "", m.group("v"), m.group("rest"),
                                           placeholder):
            s, e, _, _ = _strip(m.start("v"), m.group("v"))
            out.append((s, e, kind))
    if "$9$" in text:
        for m in _JUNOS_9.finditer(text):
            out.append((m.start(), m.end(), kind))
    for i in _finds(lowered, "stats"):
        start = _line_start(text, i, 64)
        m = _HAPROXY_STATS.match(text, start) if start >= 0 else None
        if m is not None:
            _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    if ":" in text and _IPSEC_GATE.search(text) is not None:
        for m in _IPSEC_SECRET.finditer(text):
            group = "v2" if m.group("t") in ("RSA", "ECDSA", "P12", "PKCS8", "BLISS", "XAUTH") else "v"
            if m.group("t") == "XAUTH" and m.group("v2") is None:
                group = "v"
            if m.group(group) is not None and not m.group(group).startswith("%"):
                s, e, inner, _ = _strip(m.start(group), m.group(group))
                if inner and not placeholder(inner):
                    out.append((s, e, kind))
    if "<auth-user-pass>" in lowered:
        for m in _OVPN_INLINE.finditer(text):
            if not placeholder(m.group("v")):
                out.append((m.start("v"), m.end("v"), kind))
    return out


# --------------------------------------------------------------------------- command lines

_ARG = r"""(?P<v>'[^'\n]{1,256}'|"[^"\n]{1,256}"|[^\s'"][^\s'"]{0,255})"""
_SPAN = r"[^\n|;&]{0,300}?[ \t]"
"""From the command word to one of its options: the rest of the command (not past a pipe or `;`)."""
_FLAG_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (gates, re.compile(pattern + _ARG)) for gates, pattern in (
        # sqlcmd/bcp/osql/isql (SQL Server, Sybase): -P password (capital; -p is something else there)
        (("sqlcmd", "bcp", "osql", "isql", "mssql-cli"),
         r"\b(?i:sqlcmd|bcp|osql|isql|mssql-cli)(?i:\.exe)?\b" + _SPAN + r"-P[ \t]*"),
        # registry logins: docker/podman/buildah/skopeo/nerdctl/oras login -p, crane auth login -p
        ((" login",), r"(?i)\b(?:docker|podman|buildah|skopeo|nerdctl|oras|oc|cf|az|crane[ \t]+auth|helm[ \t]+registry)"
                     r"[ \t]+login\b" + _SPAN + r"-p[ \t=]+"),
        # any CLI's `login` subcommand after its global options (Concourse `fly -t T login -u U -p P`,
        # `argocd login HOST --password P`, `cf login -p`): -p / --password there is the password
        ((" login",), r"(?i)(?:^|[\s;|&(`$>])[\w.\-]{1,32}(?:[ \t]+-{1,2}[\w\-]{1,24}(?:[ \t=]+[^\s\-][^\s]{0,127})?)"
                     r"{0,4}[ \t]+login\b" + _SPAN + r"(?:-p|--password)[ \t=]+"),
        (("psexec", "paexec"), r"(?i)\b(?:psexec|psexec64|paexec)(?:\.exe)?\b" + _SPAN + r"-p[ \t]+"),
        (("plink", "pscp", "psftp", "putty"), r"(?i)\b(?:plink|pscp|psftp|putty)(?:\.exe)?\b" + _SPAN + r"-pw[ \t]+"),
        (("ssh-keygen",), r"\bssh-keygen\b" + _SPAN + r"-[NP][ \t]*"),
        (("zip ",), r"\b(?:zip|unzip|zipcloak)\b" + _SPAN + r"-P[ \t]+"),
        (("7z", "rar "), r"(?i)\b(?:7z|7za|7zz|7zr|unrar|rar)(?:\.exe)?\b" + _SPAN + r"-(?:hp|p)(?=[^\s-])"),
        (("schtasks",), r"(?i)\bschtasks(?:\.exe)?\b" + _SPAN + r"/r?p[ \t]+"),
        (("freerdp",), r"(?i)\b(?:xfreerdp|wlfreerdp|sdl-freerdp)\b" + _SPAN + r"/p:"),
        (("openssl",), r"(?i)\bopenssl\b" + _SPAN + r"-(?:(?:pass|password|passin|passout)[ \t]+pass:|k[ \t]+)"),
        (("influx",), r"(?i)\binflux\b" + _SPAN + r"-password[ \t=]+"),
        (("winrs",), r"(?i)\bwinrs(?:\.exe)?\b" + _SPAN + r"-p(?:assword)?:"),
        (("vsql",), r"\bvsql\b" + _SPAN + r"-w[ \t]*"),
        (("ncftp",), r"\bncftp(?:put|get|ls)?\b" + _SPAN + r"-p[ \t]+"),
        (("vnc",), r"(?i)\b(?:x11vnc|vncviewer|xtightvncviewer)\b" + _SPAN + r"-passwd[ \t]+"),
        (("smbclient",), r"\bsmbclient[ \t]+(?://|\\\\)[^\s]{1,256}[ \t]+(?=[^\s-])"),
        (("--proxy-user",), r"(?i)\bcurl\b" + _SPAN + r"--proxy-user[ =]['\"]?[^\s:'\"]{1,128}:"),
        (("ipmitool",), r"\bipmitool\b" + _SPAN + r"-P[ \t]*"),
        (("racadm",), r"(?i)\bracadm(?:\.exe)?\b" + _SPAN + r"-p[ \t]+"),
        (("etcdctl",), r"\betcdctl\b" + _SPAN + r"--user[ =]['\"]?[^\s:'\"]{1,128}:"),
        (("mkstore",), r"(?i)\bmkstore\b" + _SPAN + r"-(?:create|modify)Credential[ \t]+\S{1,256}[ \t]+"
                       r"\S{1,128}[ \t]+"),
        # single-dash named parameters (PowerShell cmdlets, Java and Go tools): -Password X, -ClientSecret X
        (("-password", "-passwd", "-pwd", "-secretkey", "-secretaccesskey", "-clientsecret", "-apikey",
          "-accesstoken", "-authtoken", "-plaintextpassword"),
         r"(?i)(?<![\w-])-(?:password|passwd|pwd|secretkey|secretaccesskey|clientsecret|apikey|accesstoken|authtoken|"
         r"plaintextpassword)(?:[ \t]+|[:=][ \t]*)"),
        # IoT and database clients whose password option is one letter: mosquitto_pub/sub/rr -P, SAP HANA
        # hdbsql -p; macOS `security add-generic-password ... -w P`; Windows `cmdkey /add:H /user:U /pass:P`
        (("mosquitto_",), r"\bmosquitto_(?:pub|sub|rr)(?:\.exe)?\b" + _SPAN + r"(?:-P|--pw)[ \t]+"),
        (("hdbsql",), r"(?i)\bhdbsql(?:\.exe)?\b" + _SPAN + r"-p[ \t]+"),
        (("add-generic-password", "add-internet-password"),
         r"\bsecurity[ \t]+add-(?:generic|internet)-password\b" + _SPAN + r"-w[ \t]+"),
        (("cmdkey",), r"(?i)\bcmdkey(?:\.exe)?\b" + _SPAN + r"/pass:"),
        # test-cloud runners whose `--key` is the account's record / access key (Cypress Cloud, Currents,
        # BrowserStack Local and its Cypress CLI, Sauce Connect `-k`)
        (("cypress", "currents", "browserstack", "sc ", "sc.exe"),
         r"(?i)(?:\b(?:cypress|currents|browserstack-cypress|browserstacklocal)(?:\.exe)?\b|(?:^|[\s;|&(`$>])sc(?:\.exe)?"
         r"(?=[ \t]))" + _SPAN + r"(?:--record-key|--key|-k|--access-key|--api-key)[ \t=]+"),
        # lftp -u user,pass
        (("lftp",), r"(?i)\blftp\b" + _SPAN + r"-u[ \t]+['\"]?[^\s:,'\"]{1,128},"),
        (("passphrase",), r"(?i)(?<![\w-])--(?:[a-z]+-)?passphrase(?:[ \t]*=[ \t]*|[ \t]+)"),
        # MinIO client: mc alias set NAME URL ACCESSKEY SECRETKEY; mc config host add NAME URL ACCESS SECRET
        (("mc alias", "mc config", "mc.exe"), r"(?i)\bmc(?:\.exe)?[ \t]+(?:alias[ \t]+set|config[ \t]+host[ \t]+add)"
                                              r"[ \t]+\S{1,64}[ \t]+\S{1,512}[ \t]+['\"]?[^\s'\"]{3,128}['\"]?[ \t]+"),
    )
)
"""(words that must occur in the lowered text, pattern ending where the password option's value starts)."""
_CLI_GATE_WORDS = tuple(sorted({g for gates, _ in _FLAG_RULES for g in gates}))
"""Every rule's words, looked up with `in` (a C substring search): most texts hold none and run no pattern."""
_HTTPIE_AUTH = re.compile(r"""[ \t](?:-a|--auth)[ =]['"]?[^\s:,'"]{1,128}:""" + _ARG)
"""httpie / xh `-a user:pass`: found at the option, then the command is checked on the same line."""
_HTTPIE_COMMAND = re.compile(r"(?i)(?:^|[\s;|&(`$>])(?:https?|httpie|xh|xhs)[ \t]")
_NET_COMMAND = re.compile(r"(?i)net(?:\.exe)?[ \t]+(?P<verb>use|user)[ \t]+(?P<args>[^\n|&]{1,600})")
_SHELL_WORD = re.compile(r"""'[^'\n]*'|"[^"\n]*"|[^\s'"]+""")
_SECURESTRING = re.compile(
    r"(?i)\bConvertTo-SecureString\b(?P<args>[^\n|;)]{0,400})"
)
_SECURESTRING_PIPED = re.compile(
    r"""(?P<v>'[^'\n]{1,256}'|"[^"\n]{1,256}")[ \t]*\|[ \t]*ConvertTo-SecureString\b[^\n|;]{0,200}-AsPlainText""",
    re.IGNORECASE,
)
_NETWORK_CREDENTIAL = re.compile(
    r"""(?i)\bNetworkCredential\b[ \t]*(?:\]::new|\))?[ \t]*\([ \t]*(?:'[^'\n]{0,128}'|"[^"\n]{0,128}")[ \t]*,"""
    r"""[ \t]*(?P<v>'[^'\n]{1,256}'|"[^"\n]{1,256}")"""
)
_QUOTED_ARG = re.compile(r"""'[^'\n]{1,256}'|"[^"\n]{1,256}\"""")


def _net_spans(text: str, lowered: str, placeholder: Placeholder, out: list[Span]) -> None:
    """`net use [dev] \\\\host\\share [password|*] [/user:x] [/options]`; `net user NAME PASSWORD [/add]`:
    the password is the one positional word that is not a device, a share or an option."""
    done = 0
    for i in sorted(_finds(lowered, "net ") + _finds(lowered, "net.exe ")):
        m = _NET_COMMAND.match(text, i) if i >= done and (i == 0 or not lowered[i - 1].isalnum()) else None
        if m is None:
            continue
        done = m.end()  # a command's own words are not commands: each character is read once
        base = m.start("args")
        words = [(w.start() + base, w.group()) for w in _SHELL_WORD.finditer(m.group("args"))]
        if m.group("verb").lower() == "user":
            if len(words) >= 2 and not words[0][1].startswith("/") and not words[1][1].startswith("/"):
                start, word = words[1]
                if (word != "*" and any(w.lower().startswith(("/add", "/domain", "/active", "/expires", "/passw"))
                                       for _, w in words[2:])) or len(words) == 2:
                    _word(text, start, start + len(word), "cli_password_flag", placeholder, out)
            continue
        for start, word in words:
            bare = word.strip("'\"")
            if bare.startswith(("/", "\\\\", "//")) or bare == "*" or re.fullmatch(r"[A-Za-z]:|LPT\d:|COM\d:", bare):
                continue
            if bare.lower() in ("delete", "persistent", "yes", "no"):
                continue
            _word(text, start, start + len(word), "cli_password_flag", placeholder, out)
            break


def _cli_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    kind = "cli_password_flag"
    # every flag rule has an option (` -P`, ` /p:`, ` --auth`) or `mc ... set`: one look-up spares the rest
    present: set[str] = set()
    if " -" in text or " /" in text or "mc " in lowered:
        present = {g for g in _CLI_GATE_WORDS if g in lowered}
    for gates, rx in _FLAG_RULES if present else ():
        if not present.isdisjoint(gates):
            for m in rx.finditer(text):
                _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    if " -a" in lowered or " --auth" in lowered:
        for m in _HTTPIE_AUTH.finditer(text):
            start = _line_start(text, m.start())
            if start >= 0 and _HTTPIE_COMMAND.search(text, max(0, start - 1), m.start() + 1) is not None:
                _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    if ("net " in lowered or "net.exe" in lowered) and " use" in lowered:
        _net_spans(text, lowered, placeholder, out)
    if "securestring" in lowered:
        for m in _SECURESTRING.finditer(text):
            if "-asplaintext" not in m.group("args").lower():
                continue
            q = _QUOTED_ARG.search(m.group("args"))
            if q is not None:
                start = m.start("args") + q.start()
                _word(text, start, start + len(q.group()), kind, placeholder, out)
        for m in _SECURESTRING_PIPED.finditer(text):
            _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    if "networkcredential" in lowered:
        for m in _NETWORK_CREDENTIAL.finditer(text):
            _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    return out


# --------------------------------------------------------------------------- one-value rules

_VAL = r"""(?P<v>'[^'\n]{1,256}'|"[^"\n]{1,256}"|[^\s'"][^\s'"]{0,255})"""
_SIMPLE_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (gates, re.compile(pattern), kind) for gates, pattern, kind in (
        # Redis: AUTH [user] pass at a redis prompt or after redis-cli; ACL SETUSER / users.acl `>pass`
        (("auth ",), r"(?im)(?:^[ \t]*(?:[\w.\-]{1,64}:\d{1,5}(?:\[\d+\])?>[ \t]*)?|\bredis-cli\b[^\n|;&]{0,200}?[ \t])"
                     r"AUTH[ \t]+(?:[^\s'\"]{1,64}[ \t]+)?" + _VAL + r"[ \t]*$", "password_assignment"),
        # Redis MONITOR / slowlog / a proxy's command log print each argument quoted: `"AUTH" "user" "pass"`,
        # and HELLO's inline `"AUTH" "user" "pass"` (RESP3 handshake)
        (('"auth"',), r'(?m)"(?:AUTH|auth)"[ \t]+(?:"(?:[^"\\\n]|\\.){1,128}"[ \t]+)?"(?P<v>(?:[^"\\\n]|\\.){1,256})"'
                      r'[ \t]*(?:"(?:SETNAME|setname)"[^\n]{0,200})?\r?$', "password_assignment"),
        (("setuser", "user "), r"(?im)^[ \t]*(?:[\w.\-]{1,64}:\d{1,5}>[ \t]*)?(?:acl[ \t]+setuser|user)[ \t]+\S{1,64}"
                               r"(?:[ \t]+[^\s>]\S{0,64}){0,12}?[ \t]+>(?P<v>[^\s>]{1,256})", "password_assignment"),
        # wire transcripts: POP3/FTP `PASS x`, IMAP `tag LOGIN user pass`
        (("pass ",), r"(?m)^[ \t]*(?:[<>]{1,3}[ \t]*|C:[ \t]*|\w{1,16}>[ \t]*|---> |(?i:quote|literal)[ \t]+)?"
                     r"PASS[ \t]+"
                     r"(?P<v>[^\s*][^\s]{0,255})[ \t]*\r?$",
         "password_assignment"),
        (("login ",), r"(?m)^[ \t]*(?:C:[ \t]*|[<>]{1,3}[ \t]*)?[A-Za-z0-9.]{1,12}[ \t]+(?i:LOGIN)[ \t]+"
                      r"(?:\"[^\"\n]{1,128}\"|[^\s\"]{1,128})[ \t]+" + _VAL + r"[ \t]*$", "password_assignment"),
        # SNMPv3 users: IOS `snmp-server user U G v3 auth sha A priv aes 128 P`, net-snmp `createUser U SHA A AES P`
        (("snmp-server user",), r"(?i)\bsnmp-server[ \t]+user[ \t]+[^\n]{0,200}?[ \t]auth[ \t]+(?:md5|sha\S{0,8})"
                                r"[ \t]+" + _VAL, "config_directive_password"),
        (("snmp-server user",), r"(?i)\bsnmp-server[ \t]+user[ \t]+[^\n]{0,300}?[ \t]priv[ \t]+(?:des|3des|aes)"
                                r"(?:[ \t]+\d{3})?[ \t]+" + _VAL, "config_directive_password"),
        (("createuser",), r"(?i)\bcreateUser[ \t]+(?:-e[ \t]+\S+[ \t]+)?\S+[ \t]+(?:MD5|SHA\S{0,8})[ \t]+" + _VAL,
         "config_directive_password"),
        (("createuser",), r"(?i)\bcreateUser[ \t]+(?:-e[ \t]+\S+[ \t]+)?\S+[ \t]+(?:MD5|SHA\S{0,8})[ \t]+\S+[ \t]+"
                          r"(?:DES|AES\d{0,3})[ \t]+" + _VAL, "config_directive_password"),
        # a value marked clear text after a password directive (Aruba/ProCurve `plaintext`, EdgeOS)
        (("plaintext", "cleartext", "clear-text", "plain-text"),
         r"(?im)^[ \t]*(?:[\w.\-]+[ \t]+){0,8}?[\w\-]*(?:password|secret|key)[\w\-]*[ \t]+(?:[\w.\-]+[ \t]+){0,4}?"
         r"(?:plaintext|cleartext|clear-text|plain-text)(?:-password)?[ \t]+" + _VAL, "config_directive_password"),
        # Dovecot/Cyrus passwd-file scheme prefix: {PLAIN}secret, {CLEARTEXT}secret
        (("{plain}", "{cleartext}", "{clear}"), r"\{(?:PLAIN|CLEARTEXT|CLEAR)(?:\.[A-Za-z0-9]{1,10})?\}"
                                                r"(?P<v>[^\s:]{1,256})", "password_assignment"),
        # Squid cache_peer `login=user:password`
        (("login=",), r"(?<![\w-])login=[^\s:=]{1,64}:(?P<v>[^\s]{1,256})", "password_assignment"),
        # netsh wlan show profile key=clear: `Key Content : X`; WLAN profile XML <keyMaterial>
        (("key content",), r"(?im)^[ \t]*Key Content[ \t]*:[ \t]*(?P<v>[^\r\n]{1,256}?)[ \t]*\r?$",
         "password_assignment"),
        (("keymaterial",), r"(?i)<keyMaterial>(?P<v>[^<\s]{1,256})</keyMaterial>", "password_assignment"),
        # PgBouncer userlist.txt: "user" "password" (plain, md5 or SCRAM), the whole line
        (('" "',), r'(?m)^[ \t]*"[A-Za-z0-9_.@\-]{1,64}"[ \t]+"(?P<v>[^"\s]{1,256})"[ \t]*$', "password_assignment"),
        # DB2 `connect to DB user U using P`; Teradata BTEQ `.logon host/user,password`; Oracle `conn u/p`
        (("using",), r"(?i)\bconnect[ \t]+to[ \t]+\S+[ \t]+user[ \t]+\S+[ \t]+using[ \t]+" + _VAL,
         "connection_string_password"),
        ((".logon",), r"(?i)\.logon[ \t]+[^\s/]{1,128}/[^\s,]{1,64},(?P<v>[^\s;]{1,128})",
         "connection_string_password"),
        (("conn ", "connect "), r"(?im)^[ \t]*(?:SQL>[ \t]*)?conn(?:ect)?[ \t]+[A-Za-z][\w$#]{0,63}/"
                                r"(?P<v>[^\s@/\"']{2,128})[ \t]*$", "connection_string_password"),
        # MSSQL sp_addlogin 'user', 'password'; sp_password 'old', 'new'
        (("sp_addlogin", "sp_password"), r"(?i)\bsp_addlogin[ \t]+(?:@loginame[ \t]*=[ \t]*)?N?'[^'\n]{1,128}'[ \t]*,"
                                         r"[ \t]*(?:@passwd[ \t]*=[ \t]*)?N?" + _VAL, "password_assignment"),
        (("sp_password",), r"(?i)\bsp_password[ \t]+(?:NULL|N?'[^'\n]{0,128}')[ \t]*,[ \t]*N?" + _VAL,
         "password_assignment"),
        # user management calls: db.changeUserPassword('u', 'p'), db.auth('u', 'p'), dbms.security.createUser
        (("changeuserpassword", "db.auth", "createuser(", "changepassword("),
         r"(?i)\b(?:changeUserPassword|db\.auth|dbms\.security\.createUser|dbms\.security\.changeUserPassword)"
         r"[ \t]*\([ \t]*(?:'[^'\n]{1,128}'|\"[^\"\n]{1,128}\")[ \t]*,[ \t]*(?P<v>'[^'\n]{1,256}'|\"[^\"\n]{1,256}\")",
         "password_assignment"),
        (("changepassword(",), r"(?i)\bdbms\.(?:security\.)?changePassword[ \t]*\([ \t]*(?P<v>'[^'\n]{1,256}'|"
                               r"\"[^\"\n]{1,256}\")", "password_assignment"),
        # Postfix sasl_passwd: [relay]:port user:password
        (("]:",), r"(?m)^[ \t]*\[[^\]\s]{1,253}\](?::\d{1,5})?[ \t]+[^\s:]{1,128}:(?P<v>\S{1,256})[ \t]*$",
         "password_assignment"),
        # Redis CONFIG SET requirepass/masterauth at runtime
        (("config set",), r"(?i)\bconfig[ \t]+set[ \t]+(?:requirepass|masterauth)[ \t]+" + _VAL,
         "config_directive_password"),
        # ZooKeeper zkCli `addauth digest user:password`; an ftp prompt's `user NAME PASSWORD`
        (("addauth",), r"\baddauth[ \t]+digest[ \t]+[^\s:]{1,128}:(?P<v>\S{1,256})", "password_assignment"),
        (("ftp>",), r"(?im)^[ \t]*ftp>[ \t]*user[ \t]+\S{1,128}[ \t]+" + _VAL + r"[ \t]*$", "password_assignment"),
        # a literal piped into `sudo -S` (sudo reads the password from stdin)
        (("sudo",), r"\b(?:echo|printf)(?:[ \t]+-[neE]{1,3})*[ \t]+" + _VAL + r"[ \t]*\|[ \t]*sudo[ \t]+"
                    r"(?:-[A-Za-z]+[ \t]+)*-[A-Za-z]*S\b", "stdin_secret"),
        # a here-string into a command that reads a secret from stdin
        (("<<<",), r"(?i)\b(?:vncpasswd|chpasswd|passwd|kinit|cryptsetup|htpasswd|docker[ \t]+login|"
                   r"podman[ \t]+login|vault[ \t]+login|gh[ \t]+auth[ \t]+login)\b[^\n|;&]{0,200}?<<<[ \t]*" + _VAL,
         "stdin_secret"),
        # rabbitmqctl add_user U P / change_password U P; mysqladmin ... password NEW
        (("rabbitmqctl",), r"(?i)\brabbitmqctl(?:\.bat)?\b[^\n|;&]{0,120}?[ \t](?:add_user|change_password)[ \t]+"
                           r"(?:'[^'\n]{1,128}'|\"[^\"\n]{1,128}\"|\S{1,128})[ \t]+" + _VAL, "cli_password_flag"),
        (("mysqladmin",), r"(?i)\bmysqladmin\b[^\n|;&]{0,200}?[ \t]password[ \t]+" + _VAL, "cli_password_flag"),
        # credential stores' set verbs, the password positional: `hdbuserstore [-i] SET KEY ENV USER PASSWORD`
        (("hdbuserstore",), r"(?i)\bhdbuserstore(?:\.exe)?(?:[ \t]+-[a-z]{1,2})*[ \t]+SET[ \t]+\S{1,64}[ \t]+\S{1,256}"
                            r"[ \t]+\S{1,128}[ \t]+" + _VAL, "cli_password_flag"),
        # first-hop redundancy protocols' plain-text authentication (VRRP, HSRP, GLBP): the string after
        # `authentication [text]` is the group's shared password
        (("vrrp", "standby", "glbp"), r"(?im)^[ \t]*(?:[+\-<>][ \t]+)?(?:ip[ \t]+)?(?:vrrp|standby|glbp)[ \t]+\d{1,4}"
                              r"(?:[ \t]+ipv4)?[ \t]+authentication[ \t]+(?:text[ \t]+)?(?!md5\b|key-chain\b)"
                              + _VAL + r"[ \t]*$", "config_directive_password"),
        # Cisco WLC/AireOS: `config radius|tacacs auth|acct|athr add IDX IP PORT ascii|hex SECRET`
        (("config radius", "config tacacs"), r"(?i)\bconfig[ \t]+(?:radius|tacacs)[ \t]+(?:auth|acct|athr)[ \t]+add"
                                             r"[ \t]+\d{1,3}[ \t]+\S{1,64}[ \t]+\d{1,5}[ \t]+(?:ascii|hex)[ \t]+"
                                             + _VAL,
         "config_directive_password"),
        # mainframe: an ISPF/TSO/CICS panel field (`PASSWORD ===> X`, `NEW PASSWORD ===> X`) as a 3270
        # trace or screen scrape shows it; RACF `ALTUSER U PASSWORD(X)` / `PHRASE('...')`
        (("==>",), r"(?im)^[ \t]*(?:new[ \t]+|current[ \t]+|old[ \t]+)?"
                          r"(?:password|passphrase|password[ \t]+phrase|passwort|pass[ \t]*word)[ \t.]*=+>[ \t]*"
                          r"(?P<v>[^\s_][^\s]{0,99})", "password_assignment"),
        (("password(", "phrase("), r"(?i)\b(?:altuser|adduser|alu|au|ldapbind|password)\b[^\n]{0,200}?"
                                   r"\b(?:password|phrase)\([ \t]*(?P<v>'[^'\n]{1,100}'|[^\s)'][^\s)]{0,99})[ \t]*\)",
         "password_assignment"),
        # OS installers and directory daemons: kickstart and slapd.conf `rootpw [--plaintext|--iscrypted] X`,
        # nss/pam ldap.conf and nslcd.conf `bindpw X` / `rootbindpw X`
        (("rootpw", "bindpw"), r"(?im)^[ \t]*(?:rootpw|bindpw|rootbindpw)(?:[ \t]+--(?:plaintext|iscrypted|allow-ssh))*"
                               r"[ \t]+(?!--)" + _VAL, "config_directive_password"),
        # debconf preseed / debconf-set-selections: `OWNER QUESTION password VALUE` (type `password`)
        (("d-i ", "debconf", "password password"),
         r"(?im)^[ \t]*(?:echo[ \t]+[\"']?)?[a-z0-9][\w.+\-]{0,63}[ \t]+[\w.+\-]{1,64}/"
                                      r"[\w./+\-]{1,128}[ \t]+password[ \t]+(?P<v>[^\s\"'][^\n\"']{0,255}?)"
                                      r"[ \t]*[\"']?[ \t]*(?:\|[^\n]*)?$", "password_assignment"),
        # RFC 5424 structured data whose SD-ID *name* is a UUID: the customer token of a hosted syslog intake
        # (Loggly `[TOKEN@41058 tag="x"]`, in rsyslog/syslog-ng templates and on the wire); SD-IDs are names
        # (`timeQuality`, `origin@32473`), a UUID there is the token
        (("@",), r"\[(?P<v>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
                 r"@\d{1,10}(?=[ \t\]])",
         "url_query_credential"),
        # a Wi-Fi network as a QR code payload (ZXing `WIFI:` scheme): `P:` is the passphrase, in any field order
        (("wifi:",), r"(?i)\bWIFI:(?:[A-Z]:(?:\\.|[^;\\\n]){0,128};){0,6}?P:(?P<v>(?:\\.|[^;\\\n\"]){1,128})(?=;)",
         "password_assignment"),
    )
)
"""(substrings one of which the lowered text must hold, pattern with the value as group `v`, kind)."""
_SIMPLE_GATES = tuple(sorted({g for gates, _, _ in _SIMPLE_RULES for g in gates}))
GATE_WORDS = frozenset(g for g in _SIMPLE_GATES if g[0].isalpha())
"""The simple rules' gate words that open with a letter (all lowercase): redaction.py's hint scan looks for
them too, so those gates are read from its positions (`statement_spans(found=...)`) instead of one `in` test
per word. A gate opening with punctuation (`@`, `"`, `==>`) stays an `in` test: in the scan it would stop the
prefix tree at every quote and at-sign of the text, which costs more than the test."""
_PUNCTUATION_GATES = tuple(g for g in _SIMPLE_GATES if g not in GATE_WORDS)


_EXPECT_SEND = re.compile(
    # expect: the string sent right after a password prompt is the password (`send "p\r"`)
    r"(?i)\bexpect[ \t]+[^\n]{0,80}?(?:assword|passphrase|passcode)[^\n]{0,40}\r?\n[ \t]*(?:exp_)?send"
    r"(?:[ \t]+--)?[ \t]+\"(?P<v>[^\"\n]{1,256}?)(?:\\r|\\n)*\""
)


def _simple_spans(text: str, lowered: str, placeholder: Placeholder,
                  found: Mapping[str, Sequence[int]] | None = None) -> list[Span]:
    """`found`: the words a scan that holds every `GATE_WORDS` word met in `lowered` (the gates present)."""
    out: list[Span] = []
    if "send" in lowered and "expect" in lowered:
        for m in _EXPECT_SEND.finditer(text):
            if _quoted(m.group("v"), placeholder) and not m.group("v").startswith("$"):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    if found is None:
        present = {g for g in _SIMPLE_GATES if g in lowered}
    else:
        present = {g for g in found if g in GATE_WORDS} | {g for g in _PUNCTUATION_GATES if g in lowered}
    for gates, rx, kind in _SIMPLE_RULES if present else ():
        if not present.isdisjoint(gates):
            for m in rx.finditer(text):
                _word(text, m.start("v"), m.end("v"), kind, placeholder, out)
    return out


# --------------------------------------------------------------------------- user:password option values

_USERPASS_FLAG = re.compile(
    r"""(?i)(?<![\w-])(?:--?(?:[a-z]{1,12}-)?(?:creds|credentials|auth|basic-auth|user|userpass|user-pass)|-u)"""
    r"""(?:[ \t]+|[ \t]*=[ \t]*)(?P<q>['"]?)(?P<u>[^\s:'"@/=]{1,128}):(?P<v>[^\s'"]{1,256})(?P=q)(?=[\s;|&)]|$)"""
)
"""An option whose value is `user:password`, whatever the tool: `skopeo --src-creds u:p`, `--dest-creds`,
`jenkins-cli -auth u:token`, `curl -u u:p` / `--user`, `wget`-style `--auth`, `--basic-auth u:p`."""
_USERPASS_LINE = re.compile(
    r"""(?im)^[ \t]*-{0,2}(?:user|proxy-user)[ \t]*[=:]?[ \t]*(?P<q>["']?)(?P<u>[^\s:'"@/=]{1,128}):"""
    r"""(?P<v>[^\s'"]{1,256})(?P=q)[ \t]*$"""
)
"""The same option written in a tool's config file, one option a line (`.curlrc`: `user = "u:p"`)."""


def _userpass_value(value: str, placeholder: Placeholder) -> bool:
    """A password, not `uid:gid` (`docker run -u 1000:1000`), a group name (`-u app:app`), a port or a path."""
    v = value.strip("'\"")
    if len(v) < 6 or placeholder(v) or v.isdigit() or v.startswith(("/", "$", "%", "{")):
        return False
    return not (identifier_like(v) and v.isalpha())


def _userpass_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    if ":" not in text:
        return out
    if ("-u" in lowered or "creds" in lowered or "auth" in lowered or "user" in lowered) and (
            " -" in text or "\t-" in text):
        for m in _USERPASS_FLAG.finditer(text):
            if _userpass_value(m.group("v"), placeholder):
                out.append((m.start("v"), m.end("v"), "cli_password_flag"))
    if "user" in lowered:
        for m in _USERPASS_LINE.finditer(text):
            if _userpass_value(m.group("v"), placeholder):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    return out


# --------------------------------------------------------------------------- API keys as a command's argument

_KEY_ARGUMENT = re.compile(
    r"(?i)(?<=[\w.\-])[ \t]+"  # after the tool's name or its subcommand (`ngrok config add-authtoken`)
    r"(?P<verb>init|login|auth|authtoken|add-authtoken|set-?key|set-api-key|setapikey|activate|register)"
    r"[ \t]+(?P<v>[A-Za-z0-9_\-]{20,128})(?=[ \t]*(?:\r?\n|$|[;|&]))"
)
"""Vendor CLIs that take the API key as the one argument of a setup verb: `shodan init KEY`, `ngrok
authtoken KEY`, `ngrok config add-authtoken KEY`, `wandb login KEY`, `snyk auth KEY`, `censys config`.
The verb says credential; the argument's shape (random, not a word, a name or a path) says it is the key."""
_KEY_VERBS = ("init ", "login ", "auth ", "authtoken ", "add-authtoken ", "setkey ", "set-key ", "set-api-key ",
              "setapikey ", "activate ", "register ")


def _key_argument_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    if not any(v in lowered for v in _KEY_VERBS):
        return out
    for m in _KEY_ARGUMENT.finditer(text):
        v = m.group("v")
        hex_key = (len(v) >= 32 and all(c in "0123456789abcdefABCDEF" for c in v)
                   and m.group("verb").lower() in ("login", "auth", "authtoken", "add-authtoken"))
        if not placeholder(v) and (high_entropy_token(v) or hex_key):
            out.append((m.start("v"), m.end("v"), "cli_password_flag"))
    return out


# --------------------------------------------------------------------------- key files of network daemons

_NTP_KEY = re.compile(
    r"(?im)^[ \t]*\d{1,5}[ \t]+(?:M|MD5|SHA|SHA1|SHA224|SHA256|SHA384|SHA512|SHA3-\d{3}|RMD160|TIGER|WHIRLPOOL|"
    r"AES(?:-?(?:128|192|256))?(?:-?CMAC)?|CMAC|SM3|BLAKE2[BS]?)[ \t]+(?:(?:HEX|ASCII):)?(?P<v>[^\s#]{4,256})"
    r"[ \t]*(?:#[^\n]*)?$"
)
"""A symmetric NTP key line, `ID TYPE [HEX:|ASCII:]KEY` (chrony.keys, ntpd's ntp.keys): the key authenticates
time packets; whoever holds it can steer the clock of every client that trusts it. The type is spelt as each
daemon's keygen writes it: ntp-keygen's `AES128CMAC`, chrony's `AES128`, OpenSSL's `AES-128-CMAC`."""
_PPP_HEADER = re.compile(r"(?im)^#[ \t]*client[ \t]+server[ \t]+secret\b|(?:chap|pap|srp)-secrets\b")
_PPP_LINE = re.compile(
    r"""[ \t]*(?!#)(?:"[^"\n]{1,128}"|[^\s"#]{1,128})[ \t]+(?:"[^"\n]{0,128}"|[^\s"]{1,128})[ \t]+"""
    r"""(?P<v>"[^"\n]{1,256}"|[^\s"]{1,256})(?P<ips>(?:[ \t]+(?:\*|-|!?[0-9a-fA-F.:]{2,45}(?:/\d{1,3})?))*)"""
    r"""[ \t]*\r?$"""
)
"""pppd's chap-secrets / pap-secrets table: `client server secret [IP addresses]`, whitespace-separated,
the third column the secret; what follows it can only be addresses (`*`, `-`, an IP or a subnet), so a
line of prose or another table below a mention of the file is not read as one of its rows."""


_EXIM_CLIENT = re.compile(
    r"(?m)^[ \t]*(?P<h>\*?[\w\-]{0,63}(?:\.[\w\-]{1,63}){1,8}):[^\s:#]{1,128}:(?P<v>\S{1,256})[ \t]*\r?$")
"""Exim's `passwd.client`: `host:login:password` per line (the host may be a `*.` wildcard)."""
_NAGIOS_MACRO = re.compile(
    r"(?m)^[ \t]*\$USER\d{1,3}\$[ \t]*=[ \t]*(?P<v>[^\s\"'][^\n]{0,255}?|\"[^\"\n]{1,256}\")[ \t]*\r?$")
"""Nagios/Icinga 1/Naemon `resource.cfg`: `$USERn$=value`, the macros that keep passwords out of the object
files; `$USER1$` is by convention the plugin directory (a path), the others often hold passwords."""
_USER_FILE = re.compile(
    r"(?i)(?:artemis-users|users|realm|jetty-realm)\.properties\b|jmxremote\.password\b|\bjmx\.password\b")
_USER_ROW = re.compile(
    r"(?m)^[ \t]*(?P<u>[A-Za-z_][\w.@\-]{0,63})[ \t]*[=:][ \t]*(?P<v>[^\s,#!][^\s,]{0,511})[ \t]*(?:,[^\n]*)?\r?$")
_JMX_ROW = re.compile(r"(?m)^[ \t]*(?P<u>[A-Za-z_][\w.@\-]{0,63})[ \t]+(?P<v>[^\s#!=:][^\s]{0,255})[ \t]*\r?$")
"""A user-to-password file of a Java server: ActiveMQ Artemis `artemis-users.properties` and ActiveMQ/Karaf
`users.properties` (`user = password[, groups]`), Jetty `realm.properties` (`user: password, role`), JMX
`jmxremote.password` (`role password`). Rows follow the file's name: the left column is a user, the right its
password, in clear, `OBF:` (Jetty's reversible obfuscation), `ENC(...)` (Artemis' codec) or a hash."""
_SNMP_COMMUNITY_KEY = re.compile(
    r"""(?im)^[ \t]*(?:-[ \t]+)?["']?(?:community|community_string|community-string|snmp_community)["']?"""
    r"""[ \t]*[:=][ \t]*"""
    r"""(?P<v>"[^"\n]{1,128}"|'[^'\n]{1,128}'|[^\s"'#,{\[][^\s"',}]{0,127})""")
_SNMP_CONTEXT = re.compile(r"(?i)snmp|\bauths[ \t]*:|\bversion[\"']?[ \t]*[:=][ \t]*[\"']?(?:1|2|2c|v1|v2c)\b")
_DEFAULT_COMMUNITIES = frozenset({"public", "private"})
"""SNMP's factory communities: documented everywhere, redacting them hides nothing (and a config still on them
is a finding an operator needs to see)."""


def _file_rows(text: str, head: int, rx: re.Pattern[str], placeholder: Placeholder, out: list[Span],
               kind: str = "config_directive_password") -> None:
    """The rows of the table that starts on the line after `head`, up to a blank line or 64 rows."""
    pos = text.find("\n", head) + 1
    rows = 0
    while 0 < pos < len(text) and rows < 64:
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        line = text[pos:end]
        if not line.strip():
            break
        rows += 1
        if not line.lstrip().startswith(("#", "!", "//")):
            row = rx.match(text, pos, end)
            if row is not None and row.group("u").count(".") < 2:  # `spring.datasource.url=`: a setting, not a user
                value = row.group("v").strip('"')
                if value and not placeholder(value) and not value.startswith(("${", "$(", "{{")) and "://" not in value:
                    out.append((row.start("v"), row.end("v"), kind))
        pos = end + 1


def _credential_file_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    """Credential files of daemons whose rows have no key word: exim `passwd.client`, Nagios `resource.cfg`
    macros, Java user-to-password property files, and SNMP communities under a bare `community` key."""
    out: list[Span] = []
    if "passwd.client" in lowered:
        for m in _EXIM_CLIENT.finditer(text):
            if not placeholder(m.group("v")) and not m.group("v").isdigit():
                out.append((m.start("v"), m.end("v"), "config_directive_password"))
    if "$user" in lowered:
        for m in _NAGIOS_MACRO.finditer(text):
            value = m.group("v").strip('"')
            if not value.startswith(("/", "$", "%")) and not placeholder(value) and (
                    _mixed(value) or high_entropy_token(value)):
                out.append((m.start("v"), m.end("v"), "config_directive_password"))
    if ".properties" in lowered or ".password" in lowered:
        for m in _USER_FILE.finditer(text):
            jmx = m.group().lower().endswith("password")
            _file_rows(text, m.end(), _JMX_ROW if jmx else _USER_ROW, placeholder, out)
    if "community" in lowered and _SNMP_CONTEXT.search(text) is not None:
        for m in _SNMP_COMMUNITY_KEY.finditer(text):
            value = m.group("v").strip("\"'")
            if (len(value) >= 4 and value.lower() not in _DEFAULT_COMMUNITIES and not placeholder(value)
                    and not value.startswith(("$", "{{", "%"))):
                out.append((m.start("v") + (m.group("v") != value), m.start("v") + (m.group("v") != value)
                            + len(value), "config_directive_password"))
    return out


_FTP_VERB = re.compile(r"(?i)(?:put|get|mput|mget|cd|lcd|bin|binary|ascii|type|mode|site|quit|bye|close|ls|dir|"
                       r"prompt|hash|passive|quote|literal|delete|rename|mkdir)\b")
_JCL_FTP = re.compile(r"(?i)\bPGM=FTP\b(?P<parm>,PARM='[^'\n]{0,100}')?[^\n]*\r?\n(?://[^\n]*\r?\n){0,6}?"
                      r"//[\w#@$]{0,8}[ \t]+DD[ \t]+\*[^\n]*\r?\n")
_FTP_OPEN = re.compile(r"(?im)^[ \t]*open[ \t]+[\w.\-:\[\]]{1,253}(?:[ \t]+\d{1,5})?[ \t]*\r?\n")
_FTP_USER = re.compile(
    r"(?im)^[ \t]*(?:quote[ \t]+|literal[ \t]+)?user[ \t]+[^\s]{1,128}[ \t]+(?P<v>[^\s]{1,256})[ \t]*\r?$")


def _script_lines(text: str, pos: int, count: int) -> list[tuple[int, int]]:
    """The next `count` lines from `pos` that are not FTP verbs: (start, end) of each stripped line."""
    out: list[tuple[int, int]] = []
    while pos < len(text) and len(out) < count:
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        line = text[pos:end].strip()
        if not line or line.startswith(("/*", "//")) or _FTP_VERB.match(line) or " " in line:
            break
        s = text.index(line, pos)
        out.append((s, s + len(line)))
        pos = end + 1
    return out


def _ftp_script_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    """Batch FTP input, where a line's position, not a word, says it is the password: a z/OS job's
    `EXEC PGM=FTP` input (`//SYSIN DD *` or `//INPUT DD *`: the host unless PARM names it, the user, the
    password), a Windows `ftp -s:` script (`open HOST`, then the user, then the password), and the `user NAME
    PASSWORD` line of an `ftp -n` here-document."""
    out: list[Span] = []
    if "pgm=ftp" in lowered:
        for m in _JCL_FTP.finditer(text):
            need = 2 if m.group("parm") and m.group("parm").strip(",PARM='").split() else 3
            lines = _script_lines(text, m.end(), need)
            if len(lines) == need:
                _word(text, lines[-1][0], lines[-1][1], "password_assignment", placeholder, out)
    if "open " in lowered and "\n" in text:
        for m in _FTP_OPEN.finditer(text):
            lines = _script_lines(text, m.end(), 2)
            if len(lines) == 2 and _FTP_VERB.search(text, lines[-1][1], lines[-1][1] + 200) is not None:
                _word(text, lines[-1][0], lines[-1][1], "password_assignment", placeholder, out)
    if "ftp" in lowered and "user " in lowered:
        for m in _FTP_USER.finditer(text):
            _word(text, m.start("v"), m.end("v"), "password_assignment", placeholder, out)
    return out


def _daemon_key_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = _credential_file_spans(text, lowered, placeholder) + _ftp_script_spans(text, lowered, placeholder)
    if "hex:" in lowered or "ascii:" in lowered or "ntp" in lowered or "chrony" in lowered or ".keys" in lowered:
        for m in _NTP_KEY.finditer(text):
            if not placeholder(m.group("v")):
                out.append((m.start("v"), m.end("v"), "config_directive_password"))
    head = _PPP_HEADER.search(text) if "-secrets" in lowered or "# client" in lowered else None
    if head is not None:
        pos = text.find("\n", head.end()) + 1  # the table follows its header or the file's name
        while 0 < pos < len(text):
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            if not text[pos:end].strip():
                break  # a blank line ends the table
            row = _PPP_LINE.match(text, pos, end)
            value = row.group("v").strip('"') if row is not None else ""
            if row is not None and value not in ("", "*", "-") and not value.startswith("@") and not placeholder(value):
                _word(text, row.start("v"), row.end("v"), "config_directive_password", placeholder, out)
            pos = end + 1
    return out


# --------------------------------------------------------------------------- URLs

_PATH_TOKEN = re.compile(
    # conda/anaconda channel tokens `/t/<token>/`, webhook paths `/hooks/<token>`, `/webhook(s)/<token>`
    r"(?i)(?:https?|wss?)://[^\s/'\"<>]{1,253}(?:/[^\s/'\"<>?#]{1,64}){0,4}?"
    # log collectors whose source URL ends in the source's token: Sumo Logic `/receiver/v1/http/<token>`
    # (also `otlp`, `kinesis`), Loggly `/inputs/<token>/tag/...`
    r"/(?P<w>t|hooks|webhooks?|hook|integration|with/key|receiver/v1/(?:http|otlp|kinesis)(?:/[a-z]{1,12})?|inputs)/"
    r"(?:\d{1,20}/)?"
    # Rocket.Chat and others put an id segment, then the token: both go
    r"(?P<s>[A-Za-z0-9_\-]{16,128}(?:/[A-Za-z0-9_\-]{16,128})?)(?![A-Za-z0-9_\-])"
)
_QUERY_PARAM = re.compile(
    # a URL nested in a parameter (`next=`, `redirect_uri=`, `RelayState=`) is percent-encoded once or twice:
    # its `?`, `&` and `=` read `%3F`, `%26`, `%3D` (or `%253F`...), and its credentials are still there
    r"(?:[?&;]|%(?:25)?3[Ff]|%(?:25)?26)(?P<k>[A-Za-z_][\w.\-\[\]]{0,63})(?:=|%(?:25)?3[Dd])"
    r"(?P<s>(?:(?!%26|%2526)[^&\s'\"#<>;]){8,1024})"
)
_SIGNATURE_PARAMS = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature", "sas", "hmac", "jwt",
                               "x-amz-security-token", "security_token", "auth_key", "authkey"})
"""Query parameters that carry a request's signature or a signed grant (Azure SAS `sig`, S3/GCS presigned
URLs): whoever holds the URL holds the access, until it expires. Pagination cursors (`page_token`,
`nextToken`) are not credentials: `credential_key` says so for every detector."""


_BARE_PASSWORD_PARAMS = frozenset({"pass", "pw"})
"""Alone a key `pass` is a test result or a verb (`credential_key` wants a prefix); as a query parameter's
name (`?user=x&pass=y`, the login forms of routers, NVRs and legacy CGI) it is the password."""


_SESSION_PARAMS = frozenset({"sid", "_sid", "sessionid", "session_id", "sessid", "phpsessid", "jsessionid",
                             "aspsessionid", "session", "sessiontoken", "session_token", "ticket", "authticket"})
"""Query parameters (and `;jsessionid=` path parameters) that carry a logged-in session: Synology DSM's `_sid`,
PHP's `PHPSESSID` in URLs, Java's `;jsessionid=`, a CAS `ticket`. Whoever replays the URL is logged in. Only a
long random value counts: `sid=3` (a step), `sid=ORCL` (an Oracle SID) and `sid=S-1-5-21-...` (a Windows
security identifier) are names."""


def _session_value(value: str) -> bool:
    """A session identifier's shape: 16+ characters of one random run, not a Windows SID or a word list."""
    return (len(value) >= 16 and not value.upper().startswith("S-1-") and not identifier_like(value)
            and (high_entropy_token(value) or shannon_entropy(value) >= 3.5))


def _token_body(value: str) -> bool:
    """Random token material: letters and digits, no word parts (a Discourse topic slug is words)."""
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    parts = [p for p in re.split(r"[-_]", value) if p]
    if len(parts) == 1 and not value.islower() and not value.isupper():
        return shannon_entropy(value) >= 3.3 and not identifier_like(value)  # one mixed-case random run
    numeric = sum(1 for p in parts if any(c.isdigit() for c in p))
    return (sum(c.isdigit() for c in value) >= 3 and numeric * 2 >= len(parts)
            and (high_entropy_token(value) or shannon_entropy(value) >= 3.3))


def _url_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    if ("/t/" in lowered or "hook" in lowered or "/integration/" in lowered or "/with/key/" in lowered
            or "/receiver/v1/" in lowered or "/inputs/" in lowered):
        for m in _PATH_TOKEN.finditer(text):
            if _token_body(m.group("s").rsplit("/", 1)[-1]):  # the token judges; an id before it goes along
                out.append((m.start("s"), m.end("s"), "url_query_credential"))
    if "=" in text and ("?" in text or "&" in text):
        for m in _QUERY_PARAM.finditer(text):
            name = m.group("k")
            low = name.lower()
            if low in _SESSION_PARAMS:
                session = unquote(m.group("s"))
                if _session_value(session) and not placeholder(session):
                    out.append((m.start("s"), m.end("s"), "url_query_credential"))
                continue
            kind = (KeyKind.SECRET if low in _SIGNATURE_PARAMS else KeyKind.PASSWORD if low in _BARE_PASSWORD_PARAMS
                    else credential_key(name))
            if kind is None:
                continue
            value = unquote(unquote(m.group("s")))
            if placeholder(value):
                continue
            if kind is KeyKind.PASSWORD or high_entropy_token(value) or (
                    len(value) >= 16 and _mixed(value) and sum(c.isdigit() for c in value) >= 2):
                out.append((m.start("s"), m.end("s"), "url_query_credential"))
    return out


# --------------------------------------------------------------------------- (user, password) given positionally

_AUTH_PAIR = re.compile(
    r"""(?i)(?:\b(?:clusterOptions|PasswordAuthenticator|PlainTextAuthProvider|HTTPBasicAuth|HTTPDigestAuth|"""
    r"""HTTPProxyAuth|BasicAuth|DigestAuth|UsernamePasswordCredentials|UsernamePasswordAuthenticationToken|"""
    r"""PasswordCredential|BasicAuthenticationHeaderValue|basic_auth|http_auth)[ \t]*(?:=[ \t]*)?|"""
    r"""(?<![\w.])auth[ \t]*=[ \t]*)[(\[][ \t]*"""
    r"""(?P<uq>["'])(?P<u>[^"'\r\n]{1,256})(?P=uq)[ \t]*,[ \t]*(?P<pq>["'])(?P<p>[^"'\r\n]{0,256})(?P=pq)[ \t]*[)\]]"""
)
"""A user and a password handed over as two positional arguments: Couchbase `ClusterOptions.clusterOptions(u, p)`
and `PasswordAuthenticator(u, p)`, Cassandra `PlainTextAuthProvider(u, p)`, requests `auth=(u, p)` and
`HTTPBasicAuth(u, p)`, aiohttp `BasicAuth(u, p)`, Apache HttpClient `UsernamePasswordCredentials(u, p)`,
Elasticsearch `basic_auth=(u, p)` / `http_auth=(u, p)`. With an empty password the user is the API key
(Recurly, Stripe, Mailgun's `api` convention aside): then a random-looking user is the secret."""
_AUTH_GATES = ("auth", "clusteroptions", "credential")


def _auth_pair_spans(text: str, lowered: str, placeholder: Placeholder) -> list[Span]:
    out: list[Span] = []
    if ("(" not in text and "[" not in text) or not any(g in lowered for g in _AUTH_GATES):
        return out
    for m in _AUTH_PAIR.finditer(text):
        password = m.group("p")
        if password:
            if not placeholder(password) and not password.startswith("$"):
                out.append((m.start("p"), m.end("p"), "password_assignment"))
            continue
        user = m.group("u")
        if high_entropy_token(user) or (len(user) >= 24 and _mixed(user) and not identifier_like(user)) or (
                len(user) >= 24 and all(c in "0123456789abcdef" for c in user.lower())):
            out.append((m.start("u"), m.end("u"), "password_assignment"))  # the API key as the user name
    return out


def statement_spans(text: str, lowered: str, placeholder: Placeholder,
                    found: Mapping[str, Sequence[int]] | None = None, complete: int = 0) -> list[Span]:
    """(start, end, kind) of every credential a statement's grammar places in `text`.

    `lowered` is `text.lower()` with the same length; `placeholder` tells a mask or reference
    (`${VAR}`, `<password>`, `****`) from a value: redaction.py's own test, so all detectors agree.
    `found`: positions of words in `lowered` from redaction.py's hint scan, which holds every noun of the
    sentence rule (secret_prose.NOUNS) and every gate word of the simple rules (`GATE_WORDS`), so those
    read them there; a word's list of `complete` or more positions may be cut short, and the sentence rule
    then scans for itself (a gate needs only to know the word is there).
    """
    nouns = occurrences_from(text, found, complete) if found is not None else None
    return (_sql_spans(text, lowered, placeholder) + _device_spans(text, lowered, placeholder)
            + _cli_spans(text, lowered, placeholder) + _simple_spans(text, lowered, placeholder, found)
            + _url_spans(text, lowered, placeholder) + _userpass_spans(text, lowered, placeholder)
            + _key_argument_spans(text, lowered, placeholder) + _daemon_key_spans(text, lowered, placeholder)
            + _auth_pair_spans(text, lowered, placeholder) + prose_spans(text, lowered, placeholder, nouns))


__all__ = ["GATE_WORDS", "statement_spans"]
