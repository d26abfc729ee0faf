"""Which symptoms a finding's class can explain, and whether the incident shows one of them.

A finding may be true and still not be the cause of *this* incident. An Ingress whose TLS Secret is
missing is served by ingress-nginx (and Traefik, HAProxy, Contour) with the controller's default, self-signed
certificate: clients see certificate errors (x509, handshake, `CERTIFICATE_VERIFY_FAILED`, a browser's
warning) and nothing else. Plain-HTTP callers, HTTP status codes (413, 502, 5xx bursts), latency and
crashes are all outside what it can do. An expired or not-ready cert-manager Certificate is the same
class. Ranking such a finding first for a burst of 502s or a 413 names the wrong object.

So each narrow class declares the symptoms it can explain (`EXPLAINS`, keyed by scan check or check
prefix), and the incident's own symptoms are read from what it says (`Subject.problems`, from the
alert's or the question's words) and from the error classes of the logs the survey read. A finding
whose declared symptoms the incident does not show is a *misfit*: the ranking keeps it but never
puts it above a case that can explain the incident (`order`), and a case's headline is a fitting
finding when it has one (`headline_key`). A class that declares nothing explains anything, so the
mechanism only ever moves the narrow classes down, never drops a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

TLS = "tls"
"""Certificate and handshake errors: x509, TLS handshake, CERTIFICATE_VERIFY_FAILED, an untrusted certificate."""

EXPLAINS: tuple[tuple[str, frozenset[str]], ...] = (
    ("ingress.missing_tls_secret", frozenset({TLS})),  # the controller serves its default certificate
    ("certificate.", frozenset({TLS})),  # cert-manager: not ready, expired, expiring
)
"""Scan check (exact id, or a prefix ending in '.') -> the only symptoms a finding of it can explain."""

ALL: frozenset[str] = frozenset(s for _, symptoms in EXPLAINS for s in symptoms)
"""Every declared symptom: a case that has not been told the incident's symptoms lets every finding fit."""

TLS_PROBLEM = "certificate"
"""The kind of problem (agent.triage.subject.PROBLEM_WORDS) whose words say certificate/TLS/https."""
TLS_LOG_CLASS = "tls_error"
"""The log classifier's class for certificate and handshake errors (mcp_servers/common/logfacts/classify.py)."""


def declared(finding: dict[str, Any]) -> frozenset[str] | None:
    """The symptoms a finding's class can explain; None when the class explains any symptom."""
    check = str(finding.get("check") or "")
    for key, symptoms in EXPLAINS:
        if check == key or (key.endswith(".") and check.startswith(key)):
            return symptoms
    return None


def shown(problems: Iterable[str], log_classes: Iterable[set[str]]) -> frozenset[str]:
    """The declared symptoms the incident shows: in its words (`problems`) or in its logs' error classes."""
    out: set[str] = set()
    if TLS_PROBLEM in set(problems) or any(TLS_LOG_CLASS in classes for classes in log_classes):
        out.add(TLS)
    return frozenset(out)


def fits(finding: dict[str, Any], symptoms: frozenset[str]) -> bool:
    """Whether a finding can explain what the incident shows (a class that declares nothing always can)."""
    can = declared(finding)
    return can is None or bool(can & symptoms)


def headline_key(symptoms: frozenset[str], weight: Callable[[dict[str, Any]], float]) -> Callable[
        [dict[str, Any]], tuple[bool, float]]:
    """A sort key choosing a case's headline finding: one that fits first, then the heaviest."""
    return lambda f: (fits(f, symptoms), weight(f))


C = TypeVar("C")


SHOWN_ABOVE = 0.3
"""The score a case needs to be offered at all (agent.triage.rank); a misfit that passed it still passes."""


def order(scored: list[tuple[float, C]], findings: Callable[[C], list[dict[str, Any]]],
          symptoms: frozenset[str]) -> list[tuple[float, C]]:
    """Scored cases, those with a fitting finding first (each group keeps its score order).

    A misfit's score is also lowered just under the weakest fitting case that is offered, because
    the score becomes the candidate's confidence and later steps order by it: reordering alone would
    be undone there.
    """
    def misfit(case: C) -> bool:
        return not any(fits(f, symptoms) for f in findings(case))

    offered = [s for s, c in scored if s > SHOWN_ABOVE and not misfit(c)]
    if not offered:
        return list(scored)
    cap = round(min(offered) - 0.005, 3)
    out = [(s if not misfit(c) else max(min(s, cap), min(s, SHOWN_ABOVE + 0.001)), c) for s, c in scored]
    return sorted(out, key=lambda sc: misfit(sc[1]))


def fitting(findings: list[dict[str, Any]], symptoms: frozenset[str]) -> list[dict[str, Any]]:
    """The findings that can explain the incident; all of them when none can (the case is then a misfit)."""
    return [f for f in findings if fits(f, symptoms)] or findings
