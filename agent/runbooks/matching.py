"""Choosing runbooks for an incident: alert name and labels first, then keywords.

Scores are additive and each part leaves a reason, so `vigil runbooks match` can explain a pick:

* the incident's alert name is one the runbook lists: +100 (the strongest signal there is);
* each label matcher that holds: +10; a matcher that fails on a label the incident *has* rules the
  runbook out (it was written for other workloads); one on a label the incident lacks is neutral;
* each keyword found (whole words, case-insensitive) in the title, question, summaries and
  labels: +5, counted once per keyword, at most +40 in all.

A runbook needs a positive score from its alert name or keywords to be offered; label matchers
alone only refine. The fallback runbook is always last, so there is always an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.incident import Incident
from agent.runbooks.model import Runbook, RunbookMatch

ALERTNAME_SCORE = 100.0
LABEL_SCORE = 10.0
KEYWORD_SCORE = 5.0
KEYWORD_CAP = 40.0


def score(runbook: Runbook, incident: Incident) -> RunbookMatch | None:
    """The runbook's score for the incident with reasons, or None when it does not apply."""
    rules = runbook.match
    reasons: list[str] = []
    total = 0.0
    if incident.alertname and incident.alertname in rules.alertnames:
        total += ALERTNAME_SCORE
        reasons.append(f"alert name {incident.alertname}")
    label_points = 0.0
    for matcher in rules.labels:
        verdict = matcher.evaluate(incident.labels)
        if verdict is False:
            return None
        if verdict is True:
            label_points += LABEL_SCORE
            reasons.append(f"label {matcher}")
    text = incident.text_for_matching().lower()
    hits = [k for k in rules.keywords if _contains_phrase(text, k.lower())]
    keyword_points = min(KEYWORD_CAP, KEYWORD_SCORE * len(hits))
    if hits:
        reasons.append("keywords " + ", ".join(repr(k) for k in hits))
    if total + keyword_points <= 0:
        return None
    return RunbookMatch(runbook=runbook, score=total + label_points + keyword_points, reasons=reasons)


def match(runbooks: Iterable[Runbook], incident: Incident, limit: int | None = None) -> list[RunbookMatch]:
    """Matching runbooks best first, ending with the fallback runbook(s) when there are any."""
    found: list[RunbookMatch] = []
    fallbacks: list[Runbook] = []
    for runbook in runbooks:
        if runbook.match.fallback:
            fallbacks.append(runbook)
            continue
        scored = score(runbook, incident)
        if scored is not None:
            found.append(scored)
    found.sort(key=lambda m: (-m.score, m.runbook.id))
    if limit is not None:
        found = found[:limit]
    reason = "no specific runbook matched" if not found else "generic triage, always applicable"
    found.extend(RunbookMatch(runbook=rb, score=0.0, reasons=[reason]) for rb in fallbacks)
    return found


def _contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word (or whole-phrase) search, so 'oom' does not match 'room'."""
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None
