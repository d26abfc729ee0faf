"""Names of people and programs as the approval rules read them: validated, then compared by look.

An approver name arrives as text a caller typed (the HTTP approvals API's `approver`, `vigil approvals
--as`) or a door derived (`slack:U024BE7LH`). Before any comparison or record it is checked here:

* no control, format, surrogate, private-use or unassigned characters and no spaces or separators:
  `alice\\u0000bob` and `alice\\u200b` print as `alice` in a log or a Slack message, so a record
  holding them lies to whoever reads it, and the self-approval rule would see another person;
* Unicode-normalised (NFKC), so the full-width `ａｌｉｃｅ` is recorded as `alice`;
* at most `MAX_IDENTITY_CHARS` characters.

`identity_key` is what the self-approval rule compares: the NFKC form, case-folded, with combining
marks dropped and letters of other scripts that look like Latin ones (`alıce`, Cyrillic `аlice`)
folded to them. Two names with one key are one person to that rule; the comparison may call two
different people one (refusing an approval someone else must then give), never one person two.
"""

from __future__ import annotations

import unicodedata

from guardrails.injection import _CONFUSABLE  # the one look-alike table the injection scanner folds with

MAX_IDENTITY_CHARS = 200
"""Slack ids, e-mail addresses and `mcp:<client>` names are far shorter; a name past this is no name."""

_REFUSED_CATEGORIES = {
    "Cc": "a control character", "Cf": "an invisible format character", "Cs": "a lone surrogate",
    "Co": "a private-use character", "Cn": "an unassigned code point", "Zs": "a space",
    "Zl": "a line separator", "Zp": "a paragraph separator",
}
"""Unicode general categories no identity may hold, with how a refusal names them."""


class IdentityError(ValueError):
    """A name that cannot stand for a person; the message says which character and why."""


def clean_identity(raw: str, field: str = "approver") -> str:
    """`raw` as it is recorded (NFKC), or IdentityError naming the first character that is refused.

    The characters are checked before and after normalisation: NFKC turns some compatibility
    spaces into plain ones and leaves format characters in place, and either is refused."""
    if not raw:
        raise IdentityError(f"{field}: empty; name the person deciding")
    if len(raw) > MAX_IDENTITY_CHARS:
        raise IdentityError(f"{field}: {len(raw)} characters; at most {MAX_IDENTITY_CHARS}")
    name = unicodedata.normalize("NFKC", raw)
    for text in (raw, name):
        for index, char in enumerate(text):
            category = unicodedata.category(char)
            if category in _REFUSED_CATEGORIES or char.isspace():
                what = _REFUSED_CATEGORIES.get(category, "white space")
                raise IdentityError(f"{field}: holds {what} (U+{ord(char):04X}) at position {index}; an identity "
                                    "is printable text without spaces")
    if len(name) > MAX_IDENTITY_CHARS:
        raise IdentityError(f"{field}: {len(name)} characters once normalised (NFKC); at most {MAX_IDENTITY_CHARS}")
    return name


def identity_key(name: str) -> str:
    """The form two names are compared in: NFKC, case-folded, format characters and combining marks
    dropped, look-alike letters of other scripts folded to Latin. Takes any text, clean or not (a
    requester recorded before validation existed still compares)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    decomposed = unicodedata.normalize("NFD", folded.translate(_CONFUSABLE))
    kept = (c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) not in ("Cf", "Cc"))
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


def same_identity(a: str, b: str) -> bool:
    """Whether the approval rules take `a` and `b` for one person (`identity_key` equal)."""
    return identity_key(a) == identity_key(b)
