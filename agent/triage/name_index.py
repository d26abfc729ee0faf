"""The words of a question checked against the workloads the cluster has, before any word is guessed at.

A question names a workload in prose ("why aren't password reset emails going out from mailer?"): every word of
it is a candidate name, and the survey asks the topology tool about the likeliest few only (each ask is a call).
Likeliness by shape (a hyphen or digit first) cannot tell `mailer` from `password`: the cluster can. When no
label named the subject and the scan resolved nothing, one list per workload kind, across every namespace the
policy lets Vigil see, says which candidate words are real workloads; those go first (`resolved`). An exact name
only: a word that is a prefix of a workload's name is still a guess, and nothing is added when the lists fail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agent.triage.subject import Subject

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
"""The kinds a question names by their workload name (their pods carry it as a prefix)."""


async def resolve_words(subject: Subject, resolved: set[str], call: Callable[..., Awaitable[Any]]) -> None:
    """Add to `resolved` the subject's guessed words that are the exact name of a workload somewhere."""
    guesses = [n for n in subject.names if n not in subject.from_labels]
    if subject.from_labels or resolved or not guesses:
        return
    for kind in KINDS:
        outcome = await call("k8s_list", {"kind": kind}, f"survey-names-{kind.lower()}")
        if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
            continue
        names = {str(row.get("name") or "") for row in outcome.data.get("rows") or [] if isinstance(row, dict)}
        resolved.update(word for word in guesses if word in names)
