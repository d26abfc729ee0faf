"""The session-cookie pattern's leading `(?<!\\w)` (a speed-up) matches exactly what its former spelling did.

Why: blind round 12 gave the pattern two lookbehind branches (`.ASPXAUTH` after a blank, `ASP.NET_SessionId`)
in front of the `\\b` one, and three branches tried at every text position made the format 80% slower. Every
branch needs a non-word character (or the start) before its match, so one `(?<!\\w)` in front changes no match
and lets the engine skip positions inside words. Checked against the former spelling on the secret corpora
and on texts Hypothesis builds from cookie names, separators and values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import redaction

CORPUS = Path(__file__).parents[1] / "guardrails_text" / "corpus"
CURRENT = next(fmt for fmt in redaction.FORMATS
               if fmt.name == "session_cookie" and "aspxauth" in fmt.patterns[0].pattern).patterns[0]
FORMER = re.compile(CURRENT.pattern.replace(r"(?i)(?<!\w)(?:", "(?i)(?:", 1))


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span("s") for m in pattern.finditer(text)]


def test_the_former_spelling_is_what_the_test_compares_against() -> None:
    assert FORMER.pattern != CURRENT.pattern
    assert FORMER.pattern.startswith(r"(?i)(?:(?<![\w.\-])\.aspxauth|")


def test_same_matches_on_the_secret_corpora() -> None:
    for path in sorted(CORPUS.glob("secrets*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                assert _spans(CURRENT, text) == _spans(FORMER, text), text


_PIECES = st.sampled_from([
    ".ASPXAUTH", "ASP.NET_SessionId", "sessionid", "PHPSESSID", "JSESSIONID", "x_sid", "app_session", "sid",
    "remember-me", "remember_web_0123456789abcdef", "__Host-id", "auth_token", "_oauth2_proxy", "=", ";", " ",
    ".", "-", "_", "x", "K", "ſ", "é", "9", "Cookie: ", "abcdefghijklmnop1234", "Q9x#Lm2$Vb7!Tz4@", "\n",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=12))
def test_same_matches_on_built_texts(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _spans(CURRENT, text) == _spans(FORMER, text)


def test_aspxauth_after_a_blank_is_still_redacted() -> None:
    text = "2026-12-05 10:00:01 GET /app - 443 - 10.0.0.9 .ASPXAUTH=8F3A9C1D2B7E4F60A1C3D5E7F9B2C4D6E8"
    assert "8F3A9C1D2B7E4F60A1C3D5E7F9B2C4D6E8" not in redaction.redact_text(text).text
