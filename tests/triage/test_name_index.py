"""agent.triage.name_index: a question's words checked against the cluster's workloads before any is guessed at.

Shapes: a question whose workload word comes after three ordinary words (`mailer` after `password reset emails`),
found as a Deployment in another namespace; a StatefulSet named in a question. Twins: an alert whose labels
name the subject (no lists read), a word that is only a prefix of a workload's name, lists that fail. And the
negated verbs of questions (`aren't`, `doesn’t`) are not candidate names.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage.name_index import resolve_words
from agent.triage.subject import Subject, words_in
from tests.triage.doubles import outcome

QUESTION = "why aren't password reset emails going out from mailer? users say they never get them"


def lister(rows: dict[str, list[tuple[str, str]]], ok: bool = True) -> tuple[Any, list[dict[str, Any]]]:
    asked: list[dict[str, Any]] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        assert tool == "k8s_list"
        asked.append(args)
        return outcome(ok, {"rows": [{"name": n, "namespace": ns} for n, ns in rows.get(args["kind"], [])]})
    return call, asked


def question_subject(text: str) -> Subject:
    return Subject(names=words_in(text))


def test_negated_verbs_are_not_candidate_names() -> None:
    words = words_in(QUESTION + "; it doesn\u2019t retry and isn't queued")
    assert "aren" not in words and "doesn" not in words and "isn" not in words
    assert "mailer" in words and "password" in words


def test_a_workload_word_after_ordinary_words_is_resolved_first() -> None:
    subject = question_subject(QUESTION)
    assert subject.names.index("mailer") >= 3  # the shape alone would not try it among the first three
    call, asked = lister({"Deployment": [("mailer", "notify"), ("password-api", "auth")]})
    resolved: set[str] = set()
    asyncio.run(resolve_words(subject, resolved, call))
    assert resolved == {"mailer"}
    assert [a["kind"] for a in asked] == ["Deployment", "StatefulSet", "DaemonSet", "CronJob"]
    assert all("namespace" not in a for a in asked)  # every namespace the policy shows


def test_a_statefulset_named_in_a_question() -> None:
    subject = question_subject("orders are slow to save, is ledger-db ok?")
    call, _ = lister({"StatefulSet": [("ledger-db", "databases")]})
    resolved: set[str] = set()
    asyncio.run(resolve_words(subject, resolved, call))
    assert resolved == {"ledger-db"}


def test_labels_that_name_the_subject_need_no_lists() -> None:
    subject = Subject(names=["checkout", "mailer"], from_labels={"checkout"})
    call, asked = lister({"Deployment": [("mailer", "notify")]})
    resolved: set[str] = set()
    asyncio.run(resolve_words(subject, resolved, call))
    assert resolved == set() and asked == []


def test_a_prefix_of_a_name_and_failed_lists_resolve_nothing() -> None:
    subject = question_subject("why is mail slow?")
    call, _ = lister({"Deployment": [("mailer", "notify")]})
    resolved: set[str] = set()
    asyncio.run(resolve_words(subject, resolved, call))
    assert resolved == set()
    call, _ = lister({"Deployment": [("mailer", "notify")]}, ok=False)
    asyncio.run(resolve_words(question_subject(QUESTION), resolved, call))
    assert resolved == set()
