"""Prohibitions addressed to a reader: "never bypass the approval gate; escalate to the IC instead".

Runbook lines, alert annotations and ConfigMap notes warn the on-call NOT to take a control away. They
share words with an attack that removes the control (an address to the reader, "bypass", "approval",
"delete", "disable"), so the classifier (injection_model.py) read the first example above as an order.
This module finds the clauses where a negation scopes over a control-removing verb, so the classifier
does not read them; the rest of the text is still read.

Why this opens no hole:
- only removal verbs count (bypass, skip, disable, delete, override ...): a negated safeguard verb
  ("do not ask for approval", "don't log this", "no need to ask anyone") takes the control away, so
  those clauses stay read;
- the negation must scope over the verb (English: adjacent, a few filler words at most; other
  languages: in the same clause), and a "don't forget to" / "don't hesitate to" clause is no prohibition;
- a prohibition followed by a turn ("except", "unless", "but", "this time", "this once", "kidding",
  "ausser", "pero", "sauf", "ただし", "但是" ...) within 400 characters is a decoy and is not set aside
  at all; so is one whose passage, once it is set aside, still turns to the model (the scanner checks
  that, injection.py).
"""

from __future__ import annotations

import re

_REMOVAL = (
    # English (stems: bypass/bypassing/bypassed)
    r"bypass\w*|circumvent\w*|skip\w*|disabl\w*|delet\w*|remov\w*|overrid\w*|overrode|turn\w*\s+off|switch\w*\s+off|"
    r"deactivat\w*|suppress\w*|silenc\w*|mut(?:e|es|ed|ing)\b|purg\w*|wip(?:e|es|ed|ing)\b|drop\w*|force[\s-]push\w*|"
    r"work\w*\s+around|sidestep\w*|evad\w*|short-circuit\w*|"
    # German
    r"umgeh\w*|umgang\w*|überspring\w*|übersprung\w*|deaktivier\w*|lösch\w*|abschalt\w*|ausschalt\w*|entfern\w*|"
    # Spanish
    r"omit\w*|salt(?:ar|es|e|éis|arse|arte)\b|desactiv\w*|elimin\w*|borr\w*|anul\w*|"
    # French
    r"contourn\w*|désactiv\w*|supprim\w*|saut\w*|outrepass\w*|"
    # Japanese and Chinese (no word breaks)
    r"回避|スキップ|バイパス|無効|削除|省略|迂回|绕过|跳过|禁用|删除|关闭|停用|省略"
)
_REMOVAL_RE = re.compile(_REMOVAL, re.I)

_EN_NEGATION = re.compile(
    r"(?i)\b(?:never|do\s+not|don'?t|must\s+not|mustn'?t|should\s+not|shouldn'?t|"
    r"may\s+not|under\s+no\s+circumstances(?:\s+should\s+you)?|avoid|not\s+to|no\s+one\s+(?:may|should))"
    r"(?:\s+(?:ever|even|try\s+to|attempt\s+to|be|be\s+tempted\s+to|you|yourself|simply|manually|just))*\s+"
    r"(?P<verb>" + _REMOVAL + r")"
)
"""An English negation with the removal verb right after it ("never bypass", "must not be bypassed",
"avoid deleting"): the negation's scope is the verb, not something said later."""

_OTHER_NEGATION = re.compile(
    r"(?i)\b(?:niemals|nie|nicht|keinesfalls|auf\s+keinen\s+fall|nunca|jamás|jamais|ne|n')\b|"
    r"\bno\s+(?:(?:se|lo|la|los|las|te)\s+)?(?=" + _REMOVAL + r")|"
    r"しないで|しないこと|してはいけ|しては|禁止|不要|禁止|切勿|不得|严禁|别|請勿|请勿"
)
"""Negations of the other languages; their verb may come before ("Gate umgehen ist verboten", "回避しないで")
or after ("nunca omitas", "不要绕过"), so both must lie in one clause."""

_NOT_PROHIBITION = re.compile(
    r"(?i)forget|hesitate|fail\s+to|vergiss|vergessen|zöger|olvid|dudes|oubli|hésit|忘|躊躇|犹豫"
)
"""Words that turn a negation into a push: "don't forget to disable", "zögern Sie nicht zu löschen"."""

_CONDITION = re.compile(r"(?i)^\W*(?:if|when|unless|wenn|falls|si|cuando|quand|lorsque)\b|如果|もし|若是")
"""A clause that states a condition ("If the AI does not disable the rule ...") forbids nothing."""

_REACH = 30
"""Characters between a non-English negation and its verb: "nicht im Bericht" far from a `delete` in a command
is not its scope."""

_CLAUSE_END = re.compile(r"[.;!?,:\n。；！？，、：]")

_TURN = re.compile(
    r"(?i)\b(?:except|unless|but|however|though|although|this\s+time|this\s+once|just\s+this|for\s+this\s+one|actually|"
    r"anyway|regardless|kidding|joking|ausnahmsweise|solo\s+esta\s+vez|pour\s+cette\s+fois|"
    r"außer|ausser|aber|jedoch|diesmal|dieses\s+mal|excepto|salvo|pero|sin\s+embargo|esta\s+vez|sauf|mais|"
    r"cependant|cette\s+fois|sinon)\b|ただし|但し|今回|でも|けど|除非|除了|但是|不过|这次|可是|下不为例"
)
"""A turn after the prohibition: what comes after is the real request, so the prohibition is a decoy."""


_TURN_REACH = 400
"""Characters after a prohibition searched for a turn (a decoy's real request follows it closely)."""


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _CLAUSE_END.finditer(text, start, end):
        if m.start() > start:
            spans.append((start, m.end()))
        start = m.end()
    if start < end:
        spans.append((start, end))
    return spans


def _prohibits(clause: str) -> bool:
    """Whether a clause forbids a control-removing action (see the module docstring)."""
    if _NOT_PROHIBITION.search(clause) or _CONDITION.search(clause):
        return False
    if _EN_NEGATION.search(clause):
        return True
    for neg in _OTHER_NEGATION.finditer(clause):
        lo, hi = max(0, neg.start() - _REACH), neg.end() + _REACH
        if _REMOVAL_RE.search(clause[lo:hi]) is not None:
            return True
    return False


def prohibition_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The clauses of `text[start:end]` that forbid the reader to remove a control; [] when a turn follows.

    Called by the scanner only for the passage the classifier found hostile (injection.py), so ordinary
    logs never pay for it."""
    end = len(text) if end is None else end
    if _REMOVAL_RE.search(text, start, end) is None:
        return []
    spans = [(s, e) for s, e in _clauses(text, start, end) if _prohibits(text[s:e])]
    if not spans:
        return []
    if _TURN.search(text, spans[0][0], spans[-1][1] + _TURN_REACH) is not None:
        return []
    return spans


__all__ = ["prohibition_spans"]
