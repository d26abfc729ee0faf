"""Where a keyed value really lies when its syntax is more than `key = "value"`.

Why a module of its own: the assignment detector in redaction.py finds a credential key and reads the
value right after it. Real configs and logs write that value in many syntaxes the simple reading cuts
short or misses, and each is a documented grammar, not a guess:
- continued or concatenated values: a shell word built of adjacent quoted parts (`'ab'"'"'cd'`), a
  Java properties line ending in `\\`, Python's implicit concatenation of adjacent literals inside
  parentheses, a YAML block scalar (`password: >-` then indented lines), a heredoc (`<<-EOT` ... `EOT`,
  HCL and shell);
- keys that are not next to their value: a table whose header names the column (CSV, TSV, Markdown),
  a two-column `Key  Value` table (`vault kv get`, `consul kv`, `kubectl describe`), a call whose first
  argument names the value (`define('AUTH_KEY', '...')`, `setenv("DB_PASS", "...")`), a `default` or
  `value` inside a block labelled with the credential's name (`variable "db_password" { default = ... }`,
  a CloudFormation parameter), a bare `key=` under an INI section such as `[api]`.
Everything here is text structure; whether a key names a credential and whether a value looks like
one is judged by redaction.py with `credential_key` and its value checks, so all detectors agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_QUOTE_RUN = re.compile(r"""'[^'\r\n]{0,512}'|"(?:[^"\\\r\n]|\\.){0,512}"|[^\s'";&|)]{1,512}""")
_BLOCK_SCALAR = re.compile(r"[>|][+-]?\d?[ \t]*(?:#[^\n]*)?(?=\r?\n)")
_HEREDOC = re.compile(r"<<(?P<dash>[-~]?)[ \t]*(?P<q>[\"']?)(?P<tag>[A-Za-z_][A-Za-z0-9_]{0,31})(?P=q)[ \t]*\r?\n")
_IMPLICIT_CONCAT = re.compile(r"""\(\s*(?P<body>(?:(?P<q>["'])[^"'\r\n]{1,256}(?P=q)\s*){2,16})\)""")
_LITERAL = re.compile(r"""(["'])([^"'\r\n]{1,256})\1""")
_KEY_START = re.compile(r"[A-Za-z_][\w.\-]{0,63}[ \t]*[=:]")
_YAML_ANCHOR = re.compile(
    r"""(?m)(?:^|[ \t:\-\[,])&(?P<a>[\w.\-]{1,64})[ \t]+(?P<v>"(?:[^"\\\r\n]|\\.){1,512}"|'[^'\r\n]{1,512}'|"""
    r"""[^\s#&*|>\[{][^\r\n#]{0,511}?)[ \t]*(?:#[^\r\n]*)?$"""
)
_YAML_ALIAS = re.compile(
    r"""(?m)(?P<k>["']?[A-Za-z_][\w.\-]{0,63}["']?)[ \t]*:[ \t]+\*(?P<a>[\w.\-]{1,64})[ \t]*(?:#.*)?$"""
)


def anchored_values(text: str) -> list[tuple[int, int, str]]:
    """YAML anchors whose value an alias carries to a key: `x-db: &dbpass "..."` and later
    `DB_PASSWORD: *dbpass`. The anchor's line may name nothing (`x-db`, a compose extension field); the
    key at the alias says what the value is. Returns (value start, value end, the alias's key) per use;
    redaction.py judges the key and the value as for any assignment."""
    if ": *" not in text or "&" not in text:
        return []
    anchors: dict[str, tuple[int, int]] = {}
    for m in _YAML_ANCHOR.finditer(text):
        s, e = m.span("v")
        if text[s] in "'\"":
            s, e = s + 1, e - 1
        anchors.setdefault(m.group("a"), (s, e))
    out: list[tuple[int, int, str]] = []
    for m in _YAML_ALIAS.finditer(text) if anchors else ():
        span = anchors.get(m.group("a"))
        if span is not None:
            out.append((span[0], span[1], m.group("k").strip("\"'")))
    return out


def widen_value(text: str, vstart: int, vend: int, quoted: bool) -> tuple[int, int, str, bool] | None:
    """The full extent of a value that continues past what a one-line reading took.

    `vstart`/`vend` span the value as first read (inside its quotes when `quoted`). Returns the new
    span, the value's logical text (continuations and quotes removed) and whether it was quoted, or
    None when the first reading is complete. The span may include the syntax between the parts (a
    backslash-newline, the quotes of a concatenation): it is replaced as a whole.
    """
    if quoted:
        return _shell_concatenation(text, vstart, vend)
    value = text[vstart:vend]
    if value == "(" or (value.startswith("(") and text.startswith("(", vstart)):
        return _implicit_concatenation(text, vstart)
    if value.startswith("<<"):
        return _heredoc(text, vstart)
    if value in ('@"', "@'"):
        return _here_string(text, vstart)
    scalar = _BLOCK_SCALAR.match(text, vstart)
    if scalar is not None and scalar.end() >= vend:
        return _block_scalar(text, vstart)
    if value.endswith("\\") and text.startswith("\n", vend):
        return _line_continuation(text, vstart, vend)
    return None


_CONCAT_OP = re.compile(r"""[ \t]*(?:\r?\n[ \t]*)?(?:\+|\.\.|\.|\|\||&)[ \t]*(?:\r?\n[ \t]*)?"""
                        r"""(?P<q>["'])(?P<v>[^"'\r\n]{1,256})(?P=q)"""
                        # no operator: C, C++, Python and Go-template adjacency `"ab" "cd"` on one line
                        r"""|[ \t]+(?P<q2>")(?P<v2>[^"\r\n]{1,256})(?P=q2)""")
"""One more literal after a concatenation operator, on the same line or the next (`'ab' +` newline `'cd'`, or
the operator leading the continued line): a key split over lines to dodge scanners is still one key."""


def _operator_concatenation(text: str, vstart: int, vend: int) -> tuple[int, int, str, bool] | None:
    """`"ab" + "cd"` (Java, Go, JS, Python), `"ab" .. "cd"` (Lua), `'ab' . 'cd'` (PHP, Perl), `'ab' || 'cd'`
    (SQL), `"ab" & "cd"` (VB), `"ab" "cd"` (C and Python adjacency): literals joined are one value."""
    parts = [text[vstart:vend]]
    pos, end = vend + 1, vend
    for _ in range(16):
        m = _CONCAT_OP.match(text, pos)
        if m is None:
            break
        group = "v" if m.group("v") is not None else "v2"
        parts.append(m.group(group))
        end, pos = m.end(group), m.end()
    if len(parts) == 1:
        return None
    return vstart, end, "".join(parts), True


def _shell_concatenation(text: str, vstart: int, vend: int) -> tuple[int, int, str, bool] | None:
    """`'S1GL'"'"'n4dF'`: a shell word of adjacent quoted and bare parts is one value."""
    pos = vend + 1  # past the closing quote
    if pos >= len(text) or text[pos] not in "'\"":
        return _operator_concatenation(text, vstart, vend)
    parts = [text[vstart:vend]]
    end = vend
    for _ in range(16):
        m = _QUOTE_RUN.match(text, pos)
        if m is None or m.start() != pos:
            break
        run = m.group()
        if run[0] in "'\"":
            parts.append(run[1:-1])
            end = m.end() - 1
        else:
            parts.append(run)
            end = m.end()
        pos = m.end()
        if pos >= len(text) or text[pos].isspace():
            break
    if len(parts) == 1:
        return None
    return vstart, end, "".join(parts), True


def _implicit_concatenation(text: str, vstart: int) -> tuple[int, int, str, bool] | None:
    """`TOKEN = (\\n "abc"\\n "def"\\n)`: Python joins adjacent literals into one string."""
    m = _IMPLICIT_CONCAT.match(text, vstart)
    if m is None:
        return None
    parts = [lit.group(2) for lit in _LITERAL.finditer(m.group("body"))]
    return m.start("body") + 1, m.end("body") - 1, "".join(parts), True


def _heredoc(text: str, vstart: int) -> tuple[int, int, str, bool] | None:
    """`<<-EOT` ... `EOT`: the lines in between are the value (HCL, shell, Ruby)."""
    m = _HEREDOC.match(text, vstart)
    if m is None:
        return None
    body_start = m.end()
    tag = m.group("tag")
    pos, close = body_start, -1
    for _ in range(16):  # a secret's heredoc is a few lines; look no further than 16
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        if text[pos:line_end].strip() == tag:
            close = pos
            break
        if nl < 0:
            break
        pos = nl + 1
    if close <= body_start:
        return None
    body = text[body_start:close].rstrip("\r\n")
    stripped = body.strip()
    if not stripped:
        return None
    first = body_start + (len(body) - len(body.lstrip()))
    return first, first + len(stripped), " ".join(stripped.split()), True


def _here_string(text: str, vstart: int) -> tuple[int, int, str, bool] | None:
    """PowerShell `@"` ... `"@` (or `@'` ... `'@`): the lines in between are the value."""
    close = text[vstart + 1] + "@"
    body_start = text.find("\n", vstart) + 1
    end = text.find("\n" + close, body_start, body_start + 2048)
    if body_start <= 0 or end < 0:
        return None
    body = text[body_start:end]
    stripped = body.strip()
    if not stripped:
        return None
    first = body_start + (len(body) - len(body.lstrip()))
    return first, first + len(stripped), stripped, True


_LIST_OPEN = re.compile(r"""["']?[ \t]*(?::|=|=>)[ \t]*\[""")
_LIST_ITEM = re.compile(
    r"""[ \t\r\n]*(?:(?P<q>["'])(?P<qv>[^"'\r\n]{1,512})(?P=q)|(?P<bv>[^\s,\]"']{1,512}))[ \t\r\n]*(?:,|(?=\]))"""
)
_SEQ_HEAD = re.compile(r"""["']?[ \t]*:[ \t]*(?:#[^\n]*)?\r?\n""")
_SEQ_ITEM = re.compile(
    r"""(?P<ind>[ \t]*)-[ \t]+(?:(?P<q>["'])(?P<qv>[^"'\r\n]{1,512})(?P=q)|(?P<bv>[^\s#"'][^\r\n#]{0,511}?))"""
    r"""[ \t]*(?:#[^\n]*)?(?:\r?\n|$)"""
)


def list_values(text: str, end: int) -> list[tuple[int, int, str, bool]]:
    """The items of a list a key holds: `"api_keys": ["a", "b"]` / `TOKENS = ['a', 'b']` (inline) or a YAML
    block sequence (`tokens:` then `- a` lines). (start, end, value, quoted) per item, at most 64."""
    out: list[tuple[int, int, str, bool]] = []
    m = _LIST_OPEN.match(text, end)
    if m is not None:
        pos = m.end()
        for _ in range(64):
            item = _LIST_ITEM.match(text, pos)
            if item is None:
                break
            group = "qv" if item.group("qv") is not None else "bv"
            out.append((item.start(group), item.end(group), item.group(group), group == "qv"))
            pos = item.end()
            if text.startswith("]", pos):
                break
        return out
    m = _SEQ_HEAD.match(text, end)
    if m is None:
        return out
    pos = m.end()
    for _ in range(64):
        item = _SEQ_ITEM.match(text, pos)
        if item is None or (item.group("bv") is not None and _KEY_START.match(item.group("bv"))):
            break  # `- name: x`: a list of mappings, whose keys say what each value is
        group = "qv" if item.group("qv") is not None else "bv"
        out.append((item.start(group), item.end(group), item.group(group), group == "qv"))
        pos = item.end()
    if not out:
        scalar = _next_line_scalar(text, end, m.end())
        if scalar is not None:
            out.append(scalar)
    return out


_NEXT_LINE = re.compile(r"(?P<ind>[ ]+)(?P<v>[^\s#\"'\-\[{|>&!*%@`][^\s]{0,255})[ \t]*(?:\r?\n|$)")
_INDENT = re.compile(r"[ ]*")


def _next_line_scalar(text: str, key_end: int, pos: int) -> tuple[int, int, str, bool] | None:
    """`password:` then the value alone on the next, deeper line, and the mapping going on shallower: Salt's
    `nested` outputter (`salt '*' pillar.items`), a YAML plain scalar on its own line. One token only: a
    deeper line of several words, or a deeper line followed by more deeper lines, is a paragraph or a nested
    mapping, not this key's value."""
    line_start = text.rfind("\n", 0, key_end) + 1
    key_indent = _INDENT.match(text, line_start).end() - line_start  # type: ignore[union-attr]
    m = _NEXT_LINE.match(text, pos)
    if m is None or len(m.group("ind")) <= key_indent or _KEY_START.match(m.group("v")):
        return None
    after = m.end()
    deeper_after = _INDENT.match(text, after).end() - after > key_indent  # type: ignore[union-attr]
    if after < len(text) and m.group(0).endswith("\n") and deeper_after:
        return None
    return m.start("v"), m.end("v"), m.group("v"), False


def _block_scalar(text: str, vstart: int) -> tuple[int, int, str, bool] | None:
    """`password: >-` / `|` then more-indented lines: a YAML folded or literal block is the value."""
    line_start = text.rfind("\n", 0, vstart) + 1
    key_indent = len(text[line_start:vstart]) - len(text[line_start:vstart].lstrip(" -"))
    pos = text.find("\n", vstart)
    if pos < 0:
        return None
    pos += 1
    first = last = -1
    lines: list[str] = []
    while pos < len(text) and len(lines) < 64:
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end]
        stripped = line.strip()
        if stripped:
            indent = len(line) - len(line.lstrip(" "))
            if indent <= key_indent:
                break
            if first < 0:
                first = pos + indent
            last = pos + len(line.rstrip())
            lines.append(stripped)
        pos = line_end + 1
    if first < 0:
        return None
    return first, last, " ".join(lines), True


def _line_continuation(text: str, vstart: int, vend: int) -> tuple[int, int, str, bool] | None:
    """`key=abc\\` then `    def`: a Java properties (or shell) line continued on the next one."""
    parts = [text[vstart : vend - 1]]
    end = vend
    for _ in range(8):
        if not (text.startswith("\\", end - 1) and text.startswith("\n", end)):
            break
        nl = text.find("\n", end + 1)
        line_end = len(text) if nl < 0 else nl
        nxt = text[end + 1 : line_end].strip()
        if not nxt or any(c.isspace() for c in nxt) or _KEY_START.match(nxt):
            break  # a blank line, prose, or the next `key=` entry
        parts.append(nxt.rstrip("\\"))
        end = end + 1 + text[end + 1 : line_end].rfind(nxt) + len(nxt)
    if len(parts) == 1:
        return None
    return vstart, end, "".join(parts), False


# --------------------------------------------------------------------------- keys away from their value

_VALUE_HOLDER_KEYS = frozenset({"default", "value", "defaultvalue", "default_value", "initial_value", "initialvalue"})
"""Keys that only say "the value": what the value is comes from the block they sit in."""
_YAML_HEAD = re.compile(r"[ \t]*(?:-[ \t]+)?[\"']?(?P<k>[A-Za-z0-9_.\-]{1,64})[\"']?[ \t]*:[ \t]*(?:#.*)?$")


def is_value_holder(key: str) -> bool:
    """`default`, `Default`, `value`: a key whose meaning is its block's label."""
    return key.strip("\"'").lower() in _VALUE_HOLDER_KEYS


def block_label(text: str, start: int) -> str | None:
    """The label of the block that encloses position `start`: `variable "db_password" {` (HCL),
    `DBPassword:` above a more-indented `Default:` (YAML, CloudFormation), `"db_password": {` (JSON), the key
    of the list whose item holds it (`admin_key:` above `- name: admin` / `key: ...`)."""
    depth = 0
    lo = max(0, start - 600)
    line_start = text.rfind("\n", 0, start) + 1
    indent = len(text[line_start:start]) - len(text[line_start:start].lstrip(" \t-"))
    if text[line_start:start].strip(" \t-\"'") == "":
        pos = line_start - 1
        for _ in range(24):  # YAML: the nearest less-indented line that opens a mapping
            if pos <= lo:
                break
            prev = text.rfind("\n", 0, pos) + 1
            line = text[prev:pos]
            stripped = line.lstrip(" ")
            if stripped and not stripped.startswith("#") and len(line) - len(stripped) < indent:
                m = _YAML_HEAD.match(line)
                if m:
                    return m.group("k")
                if stripped.startswith("- "):
                    indent = len(line) - len(stripped)  # `- name: admin` opens the item: the list's key labels it
                    pos = prev - 1
                    continue
                break
            pos = prev - 1
    for i in range(start - 1, lo - 1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                head = text[max(lo, i - 100) : i + 1]
                m = re.search(r"""["']?(?P<k>[A-Za-z0-9_.\-]{1,64})["']?[ \t]*(?:[:=][ \t]*)?\{$""", head)
                return m.group("k") if m else None
            depth -= 1
    return None


_INI_SECTION = re.compile(r"(?m)^[ \t]*\[(?P<s>[A-Za-z0-9_.\- ]{1,48})\][ \t]*$")


def ini_section(text: str, start: int) -> str | None:
    """The `[section]` an INI line belongs to (`[api]` above `key=...` in a zuliprc), if any."""
    if start > 0 and text[start - 1] != "\n":
        return None  # not at the start of its line: not an INI entry
    lo = max(0, start - 2000)
    pos = text.rfind("\n[", lo, start)
    while pos >= lo:
        m = _INI_SECTION.match(text, pos + 1)
        if m is not None and m.end() <= start:
            return m.group("s")
        pos = text.rfind("\n[", lo, pos)
    m = _INI_SECTION.match(text, 0) if lo == 0 else None
    return m.group("s") if m is not None and m.end() <= start else None


_USER_SIBLING = re.compile(
    r"(?i)(?<![\w-])[\"'\[]?(?:user|username|user_name|login|uid|usr|email|account)[\"'\]]{0,2}[ \t]*(?:=>?|:)"
)


def has_user_sibling(text: str, start: int) -> bool:
    """A user name set within the same record (same line, or the lines just before): `user=acme,pass=...`,
    `["user"]=> ... ["pass"]=>`. A bare `pass` or `pw` key beside a user name is that user's password."""
    lo = max(0, start - 240)
    return _USER_SIBLING.search(text, lo, start) is not None


_SECRET_SIBLING = re.compile(r"""(?im)(?:^|[\s,{;])["']?(?:api[_\-]?)?secret["']?[ \t]*[:=]""")


def has_secret_sibling(text: str, start: int) -> bool:
    """A `secret` set beside a bare `key` (its line, the line before or the two after): the key half of an API key
    pair. OPNsense/pfSense `apikey.txt` (`key=` then `secret=`), Pusher and Bitbucket OAuth consumers
    (`key:` / `secret:`), exchange clients (`{"key": ..., "secret": ...}`): the key authenticates with the
    secret and is issued with it, so it is not a map key or a sort key there."""
    lo = text.rfind("\n", 0, max(0, text.rfind("\n", 0, start))) + 1
    hi = start
    for _ in range(3):
        nl = text.find("\n", hi + 1)
        hi = len(text) if nl < 0 else nl
    return _SECRET_SIBLING.search(text, lo, min(hi, start + 600)) is not None


_COOKIE_ROW = re.compile(
    r"(?m)^(?:#HttpOnly_)?[\w.\-]{1,253}\t(?:TRUE|FALSE)\t[^\t\n]{1,1024}\t(?:TRUE|FALSE)\t-?\d{1,12}\t"
    r"(?P<n>[^\t\n]{1,256})\t(?P<v>[^\t\r\n]{1,8192})\r?$"
)


def cookie_file_rows(text: str) -> list[tuple[int, int, str]]:
    """The cookies of a Netscape cookie file (curl `-c`/`-b`, wget `--save-cookies`, yt-dlp, browser export
    extensions): seven tab-separated columns, domain, subdomains flag, path, secure flag, expiry, name,
    value. (start, end, name) per value; the cookie's name says whether it is a session."""
    if "\t" not in text or ("TRUE\t" not in text and "FALSE\t" not in text):
        return []
    return [(m.start("v"), m.end("v"), m.group("n")) for m in _COOKIE_ROW.finditer(text)]


_CONSUMER_KEY = re.compile(r"""(?i)["']?consumer(?:_id|Id)?["']?[ \t]*[:=]""")


def has_consumer_sibling(text: str, start: int) -> bool:
    """A bare `key` in the same JSON object as a `consumer`: an API gateway's key credential issued to that
    consumer (Kong's key-auth entity `{"id": ..., "key": ..., "consumer": {"id": ...}}`, its `/key-auths`
    listing). The object is the nearest unclosed `{` before `start` to its closing `}`, within 1 KB."""
    depth, lo = 0, max(0, start - 400)
    open_at = -1
    for i in range(start - 1, lo - 1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                open_at = i
                break
            depth -= 1
    if open_at < 0:
        return False
    depth, hi = 0, min(len(text), start + 600)
    close_at = hi
    for i in range(start, hi):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                close_at = i
                break
            depth -= 1
    return _CONSUMER_KEY.search(text, open_at, close_at) is not None


_FAKE_HEAD = re.compile(r"(?m)^(?P<ind>[ \t]*)fake:[ \t]*(?:#[^\n]*)?\r?$")
_FAKE_VALUE = re.compile(
    r"""[ \t]*(?:-[ \t]+)?value:[ \t]*"""
    r"""(?:(?P<q>["'])(?P<qv>[^"'\r\n]{1,4096})(?P=q)|(?P<bv>[^\s"'#|>][^\r\n#]{0,4095}?))"""
    r"""[ \t]*(?:#[^\n]*)?\r?$"""
)


def fake_provider_values(text: str) -> list[tuple[int, int]]:
    """The literal secrets of an External Secrets `SecretStore` / `ClusterSecretStore` with the `fake`
    provider: every `value:` under `spec.provider.fake.data` is the secret it serves, written in the manifest
    (staging and CI stores use it to hand real webhook keys and passwords to `ExternalSecret`s)."""
    if "fake:" not in text or "SecretStore" not in text:
        return []
    out: list[tuple[int, int]] = []
    for head in _FAKE_HEAD.finditer(text):
        indent = len(head.group("ind"))
        pos = head.end() + 1
        while pos < len(text):
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            line = text[pos:end]
            stripped = line.lstrip(" \t")
            if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= indent:
                break  # the provider block ended
            m = _FAKE_VALUE.fullmatch(line)
            if m is not None:
                group = "qv" if m.group("qv") is not None else "bv"
                out.append((pos + m.start(group), pos + m.end(group)))
            pos = end + 1
    return out


# --------------------------------------------------------------------------- tables

_SPLIT = {",": re.compile(r","), ";": re.compile(r";"), "\t": re.compile(r"\t"), "|": re.compile(r"\|")}
_MD_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)+\|?[ \t]*$")
_KV_HEADER = re.compile(r"(?im)^[ \t]*(?:key|name|field|setting|variable|property)[ \t]{2,}value[ \t]*$")
_KV_ROW = re.compile(r"^[ \t]*(?P<k>[^\s]{1,64})[ \t]{2,}(?P<v>\S(?:[^\r\n]{0,510}\S)?)[ \t]*$")


_BOX_RULE = re.compile(r"[ \t]*[─━┼┬┴├┤┌┐└┘═╪╞╡╔╗╚╝╠╣╦╩╬+\-|:]+[ \t]*")
"""A rule line of a drawn table (`├────┼────┤`, `+----+----+`): no cells."""
_KEY_HEADS = frozenset({"key", "name", "field", "setting", "variable", "property", "parameter", "secret", "output"})


def _cells(line: str, sep: str) -> list[tuple[int, int]]:
    """Spans of the cells of a delimited line, trimmed of blanks, backticks and quotes."""
    spans: list[tuple[int, int]] = []
    pos = 0
    pieces = line.split(sep)
    if sep in "|│":
        if line.strip().startswith(sep):
            pos = line.index(sep) + 1
            pieces = line[pos:].split(sep)
        if pieces and pieces[-1].strip() == "":
            pieces = pieces[:-1]
    for piece in pieces:
        lead = len(piece) - len(piece.lstrip(" \t`\"'"))
        core = piece.strip(" \t`\"'")
        spans.append((pos + lead, pos + lead + len(core)))
        pos += len(piece) + 1
    return spans


_COPY_HEAD = re.compile(
    r"(?i)COPY[ \t]+[\w.\"]{1,128}[ \t]*\((?P<cols>[^()\n]{1,1024})\)[ \t]+FROM[ \t]+stdin;[ \t]*\r?$")
"""A pg_dump data block's head (`COPY public.users (id, email, api_secret) FROM stdin;`): its column list is the
header of the tab-separated rows that follow, up to `\\.`."""


def header_tables(text: str, is_credential: object) -> list[tuple[int, int, str]]:
    """Cells of delimited tables (CSV, TSV, `;`, Markdown) under a header cell that names a credential.

    `is_credential(header)` says whether a header cell names one. Returns (start, end, header) per cell;
    rows with another cell count than the header end the table.
    """
    out: list[tuple[int, int, str]] = []
    if "\n" not in text:
        return out
    lines = text.split("\n")
    offsets: list[int] = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines) - 1:
        line = lines[i]
        if len(line) > 400:
            i += 1
            continue  # a header is a short line of column names
        copy = _COPY_HEAD.match(line) if line.startswith(("COPY ", "copy ")) else None
        sep = "\t" if copy is not None else next(
            (s for s in ("|", "│", "\t", ",", ";") if line.count(s) >= (1 if s in "\t|│" else 2)), None)
        if sep is None:
            i += 1
            continue
        if copy is not None:  # pg_dump: the column list is in the statement, the rows below are tab-separated
            heads = [c.strip().strip('"') for c in copy.group("cols").split(",")]
        else:
            heads = [line[a:b] for a, b in _cells(line, sep)]
        cols = [j for j, h in enumerate(heads) if h and len(h) <= 40 and is_credential(h)]  # type: ignore[operator]
        lowered = [h.lower() for h in heads]
        # a `NAME | VALUE` table (doppler, pulumi, az -o table): each row's value is named by its own key cell
        key_col = next((j for j, h in enumerate(lowered) if h in _KEY_HEADS), -1)
        value_col = lowered.index("value") if "value" in lowered else -1
        if (not cols and (key_col < 0 or value_col < 0)) or len(heads) < 2:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (_MD_RULE.match(lines[j]) or _BOX_RULE.fullmatch(lines[j])):
            j += 1
        while j < len(lines):
            row = lines[j]
            if _BOX_RULE.fullmatch(row):
                j += 1
                continue
            spans = _cells(row, sep)
            if len(spans) != len(heads) or not row.strip():
                break
            for c in cols:
                a, b = spans[c]
                if b > a:
                    out.append((offsets[j] + a, offsets[j] + b, heads[c]))
            if key_col >= 0 and value_col >= 0:
                (ka, kb), (a, b) = spans[key_col], spans[value_col]
                if b > a and kb > ka:
                    out.append((offsets[j] + a, offsets[j] + b, row[ka:kb]))
            j += 1
        i = max(j, i + 1)
    return out


_ALIGNED_CELL = r"[A-Za-z][\w.\-]{0,31}(?: [A-Za-z][\w.\-]{0,15})?"
_ALIGNED_HEAD = re.compile(r"[ \t]*" + _ALIGNED_CELL + r"(?:[ \t]{2,}" + _ALIGNED_CELL + r"){1,11}[ \t]*\r?(?=\n|$)")
_ALIGNED_GAP = re.compile(r"[ \t]{2,}")
_ALIGNED_RULE = re.compile(r"[ \t\-=─━]*")
_KEY_NAME_HEADS = frozenset({"keyname", "key name", "key_name"})
"""A name column that says its rows are keys (`az storage account keys list -o table`: KeyName, Value)."""


def _aligned_cells(line: str) -> list[tuple[int, int]]:
    """Cells of a line aligned with runs of two or more blanks (a cell may hold single spaces)."""
    spans: list[tuple[int, int]] = []
    pos = len(line) - len(line.lstrip(" \t"))
    end = len(line.rstrip(" \t\r"))
    for gap in _ALIGNED_GAP.finditer(line, pos, end):
        spans.append((pos, gap.start()))
        pos = gap.end()
    if pos < end:
        spans.append((pos, end))
    return spans


def aligned_tables(text: str, is_credential: object, line_starts: Iterable[int]) -> list[tuple[int, int, str]]:
    """Cells of a table aligned with blanks under a header cell that names a credential, as CLIs print
    their default table output (`doctl databases user get`: `Name  Role  Password`; `kubeadm token list`:
    `TOKEN  TTL  EXPIRES ...`), and the `Value` cells of a table whose name column says its rows are keys
    (`az storage account keys list -o table`: `KeyName  Permissions  Value`). Rows must have the header's
    cell count; a rule line (`-----  ----`) is skipped and a blank or ragged line ends the table.
    `line_starts`: the starts of the lines that may be a header (those holding a credential word; the caller
    found them). (start, end, key) per cell."""
    out: list[tuple[int, int, str]] = []
    if "  " not in text or "\n" not in text:
        return out
    for ls in sorted(set(line_starts)):
        h = _ALIGNED_HEAD.match(text, ls)
        if h is None:
            continue
        heads = [h.group()[a:b] for a, b in _aligned_cells(h.group())]
        cols = [j for j, c in enumerate(heads) if is_credential(c)]  # type: ignore[operator]
        lowered = [c.lower() for c in heads]
        keyed = "value" in lowered and any(c in _KEY_NAME_HEADS for c in lowered)
        if not cols and not keyed:
            continue
        if keyed:
            cols.append(lowered.index("value"))
        pos = h.end() + 1
        for _ in range(200):
            if pos >= len(text):
                break
            nl = text.find("\n", pos)
            line_end = len(text) if nl < 0 else nl
            line = text[pos:line_end]
            if _ALIGNED_RULE.fullmatch(line) and line.strip():
                pos = line_end + 1
                continue
            spans = _aligned_cells(line)
            if len(spans) != len(heads):
                break
            for c in cols:
                a, b = spans[c]
                out.append((pos + a, pos + b, "secret_key" if keyed and lowered[c] == "value" else heads[c]))
            pos = line_end + 1
    return out


def key_value_tables(text: str) -> list[tuple[int, int, str]]:
    """Rows of a two-column `Key  Value` table aligned with blanks (`vault kv get`, `vault read`,
    `consul kv`, `az ... -o table`): (start, end, key) for each row's value."""
    out: list[tuple[int, int, str]] = []
    if "alue" not in text and "ALUE" not in text:
        return out
    for h in _KV_HEADER.finditer(text):
        pos = h.end() + 1
        for _ in range(200):
            if pos >= len(text):
                break
            nl = text.find("\n", pos)
            line_end = len(text) if nl < 0 else nl
            line = text[pos:line_end]
            if not line.strip():
                break
            m = _KV_ROW.match(line)
            if m is None:
                break
            if not set(m.group("k")) <= set("-="):
                out.append((pos + m.start("v"), pos + m.end("v"), m.group("k")))
            pos = line_end + 1
    return out


_XML_PAIR = re.compile(
    r"""(?i)<(?P<kt>key|name)>[ \t]*(?P<k>[\w.\- ]{1,64}?)[ \t]*</(?P=kt)>\s*"""
    r"""<(?P<vt>value|string|data)(?:\s[^<>]{0,120})?>(?:<!\[CDATA\[)?(?P<v>[^<\r\n]{1,512}?)(?:\]\]>)?</(?P=vt)>"""
    r"""|<[\w:.\-]{1,40}\s[^<>]{0,120}?\bname\s*=\s*["'](?P<k2>[\w.\- ]{1,64})["'][^<>]{0,120}>\s*"""
    r"""<value(?:\s[^<>]{0,120})?>(?P<v2>[^<\r\n]{1,512})</value>"""
    # an element named by its `name`/`key` attribute holding the value as its text: Hibernate and log4j2
    # `<property name="...password">X</property>`, java.util.Properties XML `<entry key="db.password">X</entry>`
    r"""|<(?P<et>[\w:.\-]{1,40})\s[^<>]{0,120}?\b(?:name|key)\s*=\s*["'](?P<k3>[\w.\- ]{1,64})["'][^<>/]{0,120}>"""
    r"""(?:<!\[CDATA\[)?(?P<v3>[^<\r\n]{1,512}?)(?:\]\]>)?</(?P=et)>"""
)


def xml_pairs(text: str) -> list[tuple[int, int, str]]:
    """Settings written as a name element and a value element: a macOS plist (`<key>APIToken</key>`
    `<string>...</string>`), a KeePass export (`<Key>Password</Key><Value>...</Value>`), .NET settings
    (`<setting name="ApiKey"><value>...</value>`), an element named by its attribute (Hibernate's
    `<property name="hibernate.connection.password">`, Java's XML properties `<entry key="...">`).
    (start, end, name) per value."""
    if "</key>" not in text and "</Key>" not in text and "</name>" not in text and "</value>" not in text \
            and "</Value>" not in text and not ("</" in text and ("name=" in text or "key=" in text)):
        return []
    out: list[tuple[int, int, str]] = []
    for m in _XML_PAIR.finditer(text):
        if m.group("v") is not None:
            out.append((m.start("v"), m.end("v"), m.group("k").replace(" ", "_")))
        elif m.group("v3") is not None:
            out.append((m.start("v3"), m.end("v3"), m.group("k3").replace(" ", "_")))
        else:
            out.append((m.start("v2"), m.end("v2"), m.group("k2").replace(" ", "_")))
    return out


_CALL_PAIR = re.compile(
    r"""(?i)\b(?:define|setenv|putenv|set|setdefault|env|config|settings|option|add|put)[ \t]*\([ \t]*"""
    r"""(?P<kq>["'])(?P<k>[A-Za-z0-9_.\-]{1,64})(?P=kq)[ \t]*,[ \t]*"""
    r"""(?P<vq>["'])(?P<v>(?:(?!(?P=vq))[^\r\n]){1,512})(?P=vq)[ \t]*[,)]"""
)


_SETTER_CALL = re.compile(
    r"""(?:\.|->|::|\b)(?P<m>(?:set|with)_?(?P<k>[A-Za-z][A-Za-z0-9_]{1,48})|(?P<k2>password|passwd|apiKey|api_key|"""
    r"""secret|token|authToken|auth_token|secretKey|secret_key|accessToken|access_token|clientSecret|"""
    r"""client_secret))[ \t]*\([ \t]*(?P<vq>["'])(?P<v>(?:(?!(?P=vq))[^\r\n\\]){1,512})(?P=vq)[ \t]*\)"""
)


def call_pairs(text: str) -> list[tuple[int, int, str]]:
    """`define( 'AUTH_KEY', '...' )` (WordPress), `setenv("DB_PASS", "...")`, `os.environ.setdefault(...)`,
    `config.set('api.token', '...')`: a call whose first argument names the second. Also a setter or a
    builder method whose name names its one literal argument: `->setPassword('...')` (PHP SDK configuration
    objects such as ClickSend's, Guzzle), `.setApiKey("...")` (SendGrid, Java clients), `.withPassword("...")`
    (Testcontainers, builders), `.password("...")` / `.token("...")` (fluent builders: Spring's `User.withUsername`,
    OkHttp `Credentials`): the name after `set`/`with` is the key."""
    if "(" not in text:
        return []
    out = [(m.start("v"), m.end("v"), m.group("k")) for m in _CALL_PAIR.finditer(text)]
    if "('" in text or '("' in text or "( " in text:  # a literal as the first argument: the only setter read here
        for m in _SETTER_CALL.finditer(text):
            out.append((m.start("v"), m.end("v"), m.group("k") or m.group("k2")))
    return out


_QUOTED_PAIR = re.compile(
    r"""(?m)^[ \t]*[(\[]?'(?P<k>[A-Za-z:][\w.\-]{0,63})',[ \t]*'(?P<v>[^'\r\n]{1,1024})'[)\]]?,?[ \t]*\r?$"""
)


_FIELD_NAME = re.compile(r"[a-z]+(?:_[a-z]+)+")


def quoted_pairs(text: str) -> list[tuple[int, int, str]]:
    """Header name/value pairs printed one per line as two single-quoted strings: Envoy's debug log
    (`router decoding headers:` then `'x-api-key', '<value>'`), a Python list of header tuples
    (`('X-Auth-Token', '<value>'),`). Single quotes only: a JSON array of two names is not a pair."""
    if "', '" not in text and "',\t'" not in text and "','" not in text:
        return []
    # `'password', 'confirm_password'`: two field names in a tuple, not a header and its value
    return [(m.start("v"), m.end("v"), m.group("k")) for m in _QUOTED_PAIR.finditer(text)
            if not _FIELD_NAME.fullmatch(m.group("v"))]


_TYPED_VALUE = re.compile(
    r'"(?P<k>[A-Za-z_][\w.\-]{0,63})"[ \t]*:[ \t]*\{[ \t]*"(?:S|B|string|bytes|stringValue|StringValue|'
    r'bytesValue|BinaryValue)"[ \t]*:[ \t]*"(?P<v>(?:[^"\\\r\n]|\\.){1,4096})"[ \t]*\}'
)


def typed_values(text: str) -> list[tuple[int, int, str]]:
    """A field whose value is wrapped in a one-key object naming its type, as typed JSON encodings write
    every value: Avro's JSON encoding of a union (`"pw": {"string": "..."}`), DynamoDB JSON (`{"S": "..."}`,
    `aws dynamodb get-item`, stream records), Firestore/protobuf `Value` (`{"stringValue": "..."}`). The
    field's name is the key; the wrapper is syntax."""
    if '{"' not in text and "{ \"" not in text:
        return []
    return [(m.start("v"), m.end("v"), m.group("k")) for m in _TYPED_VALUE.finditer(text)]


_VAR_DUMP = re.compile(
    r'(?m)^[ \t]*\["(?P<k>[A-Za-z_][\w]{0,63})"(?::"[^"\r\n]{0,200}")?(?::(?:private|protected|public))?\]=>'
    r'[ \t]*\r?\n[ \t]*string\(\d{1,6}\)[ \t]"(?P<v>[^\r\n]{1,4096})"[ \t]*\r?$'
)
_PRINT_R = re.compile(
    r'(?m)^[ \t]*\[(?P<k>[A-Za-z_][\w]{0,63})(?::[\w\\]{1,200})?(?::(?:private|protected))?\][ \t]=>[ \t]'
    r'(?P<v>\S[^\r\n]{0,4095}?)[ \t]*\r?$'
)


def dump_pairs(text: str) -> list[tuple[int, int, str]]:
    """Properties in PHP's debug dumps, where the value is not beside its key: `var_dump` writes
    `["bindPassword":"App\\Ldap":private]=>` and the value on the next line as `string(16) "..."`;
    `print_r` writes `[password:protected] => ...` (no quotes, the value to the line end)."""
    out: list[tuple[int, int, str]] = []
    if "]=>" in text:
        out += [(m.start("v"), m.end("v"), m.group("k")) for m in _VAR_DUMP.finditer(text)]
    if "] => " in text:
        out += [(m.start("v"), m.end("v"), m.group("k")) for m in _PRINT_R.finditer(text)
                if not m.group("v").startswith(("Array", "stdClass Object", "("))]
    return out


_STORE_RESOURCE = re.compile(
    r"(?i)(?:aws:ssm/parameter:Parameter|aws:secretsmanager/secretVersion:SecretVersion|aws_ssm_parameter|"
    r"aws_secretsmanager_secret_version|gcp:secretmanager/secretVersion:SecretVersion|"
    r"google_secret_manager_secret_version|azure(?:-native)?:keyvault[/:][\w/:]{0,40}Secret|azurerm_key_vault_secret|"
    r"vault:(?:generic|kv)/[\w/:]{0,40}Secret\w{0,12}|vault_(?:generic|kv)_secret\w{0,12})"
)
_STORE_VALUE = re.compile(
    r"""(?im)^[ \t]*[+~\-]?[ \t]*["']?(?P<k>value|secret_?string|secret_?data|data_?json|insecure_?value)["']?[ \t]*"""
    r"""[:=][ \t]*(?:(?:\([^)\r\n]{0,40}\)|"[^"\r\n]{0,256}")[ \t]*->[ \t]*)?"""  # a change: old -> new
    r"""(?P<q>["'])(?P<v>(?:(?!(?P=q))[^\r\n\\]|\\.){1,4096})(?P=q)"""
)
_STORE_GATE = re.compile(
    r"ssm[/_]parameter|secret_?version|secret_manager|keyvault|key_vault_secret|vault[:_](?:generic|kv)"
)
"""A cheap first look on the lowered text (literals, no IGNORECASE): the resource types `_STORE_RESOURCE` reads."""
_STORE_REACH = 1200
"""How far below a resource header its value is looked for (a diff lists a few arguments per resource)."""




def store_resource_values(text: str, lowered: str) -> list[tuple[int, int, str]]:
    """The value a secret or parameter store resource is given in an IaC plan or diff (`pulumi up` shows
    `+ aws:ssm/parameter:Parameter: (create)` then `value: "..."` once a secret was unwrapped by `apply`;
    Terraform plans of `aws_ssm_parameter`, `google_secret_manager_secret_version`, `azurerm_key_vault_secret`).
    A change (`(sensitive value) -> "..."`) gives the new value. The key is only `value`; the resource type
    says what it holds, so it is returned under the key `secret` and judged as a secret key's value
    (random-looking only: a region stays; a URL is an endpoint)."""
    out: list[tuple[int, int, str]] = []
    if ("ssm" not in lowered and "version" not in lowered and "vault" not in lowered) \
            or _STORE_GATE.search(lowered) is None:
        return out
    for r in _STORE_RESOURCE.finditer(text):
        for m in _STORE_VALUE.finditer(text, r.end(), min(len(text), r.end() + _STORE_REACH)):
            if "://" not in m.group("v"):  # an endpoint stored as a parameter; its user-info is url_credentials'
                out.append((m.start("v"), m.end("v"), "secret"))
    return out


__all__ = [
    "aligned_tables",
    "block_label",
    "call_pairs",
    "cookie_file_rows",
    "dump_pairs",
    "fake_provider_values",
    "has_consumer_sibling",
    "has_secret_sibling",
    "has_user_sibling",
    "header_tables",
    "ini_section",
    "is_value_holder",
    "key_value_tables",
    "list_values",
    "quoted_pairs",
    "store_resource_values",
    "typed_values",
    "widen_value",
    "xml_pairs",
]
