"""Fitting the first model turn to a small context window (agent/context_fit.py).

Built from real report and incident objects; the token counts are Vigil's own estimate, the same
one the investigation uses to decide what to send.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from agent.context_fit import fit_first_turn
from agent.incident import from_text
from agent.prompts import LEFT_OUT_NOTE
from agent.report import Hypothesis

SYSTEM = "You are Vigil."


def outcome(n: int) -> SimpleNamespace:
    text = "\n".join(f"pod web/api-{n}-{i} Running 0 restarts node-{i}" for i in range(40))
    return SimpleNamespace(evidence_id=f"E{n}", tool="k8s_list", arguments={"kind": "pods", "namespace": "web"},
                           text=text, ok=True, denied=False, step_id=None)


def hypotheses(count: int) -> list[Hypothesis]:
    return [Hypothesis(cause=f"suspect {n}: " + "a long sentence about what changed and why " * 12,
                       confidence=round(0.9 - n / 100, 2), evidence=["E1"], source="triage") for n in range(count)]


def test_results_are_cut_to_one_line_each_before_any_finding_is_touched() -> None:
    incident = from_text("5xx on api in namespace web", source="cli")
    outcomes = [outcome(n) for n in range(1, 31)]
    found = hypotheses(4)
    whole = fit_first_turn(SYSTEM, incident, None, outcomes, found, [], None)
    fitted = fit_first_turn(SYSTEM, incident, None, outcomes, found, [], whole.tokens // 3)
    assert fitted.fits and fitted.findings_level == 0 and set(fitted.cut) == {o.evidence_id for o in outcomes}
    assert all(h.cause in fitted.message for h in found)
    assert "[E7] k8s_list" in fitted.message and "left out (40 lines)" in fitted.message
    left_out = [line for line in fitted.message.splitlines() if line.endswith("left out (40 lines)")]
    assert left_out and not any(LEFT_OUT_NOTE in line for line in left_out)
    assert f"Results marked 'left out' were cut to fit the context window: {LEFT_OUT_NOTE}." in fitted.message, (
        "how to read a left-out result is said once, in the heading")


def test_a_window_too_small_for_every_finding_keeps_the_strongest_three() -> None:
    incident = from_text("5xx on api in namespace web", source="cli")
    found = hypotheses(12)
    whole = fit_first_turn(SYSTEM, incident, None, [], found, [], None)
    shortened = fit_first_turn(SYSTEM, incident, None, [], found, [], whole.tokens * 2 // 3)
    assert shortened.fits and shortened.findings_level == 1
    assert all(h.cause in shortened.message for h in found[:3]) and found[3].cause not in shortened.message
    assert "suspect 11:" in shortened.message, "a shortened finding is still listed"
    strongest = fit_first_turn(SYSTEM, incident, None, [], found, [], whole.tokens // 3)
    assert strongest.fits and strongest.findings_level == 2
    assert "suspect 2:" in strongest.message and "suspect 3:" not in strongest.message
    assert "9 weaker findings left out" in strongest.message
    hopeless = fit_first_turn(SYSTEM, incident, None, [], found, [], 20)
    assert not hopeless.fits and hopeless.reason and "strongest findings" in hopeless.reason


def test_a_long_survey_too_big_even_as_stubs_drops_uncited_results_but_keeps_cited_ones() -> None:
    """Found when new triage reads grew a corpus incident's survey to 47 results: their one-line stubs alone
    passed a 4k first-turn budget and the small model was never asked. Uncited results go unlisted (counted),
    least important first; the cited one and the findings stay."""
    incident = from_text("5xx on api in namespace web", source="cli")
    outcomes = [outcome(n) for n in range(1, 201)]
    found = hypotheses(2)  # both cite E1
    budget = fit_first_turn(SYSTEM, incident, None, outcomes[:1], found, [], None).tokens + 400
    fitted = fit_first_turn(SYSTEM, incident, None, outcomes, found, [], budget)
    assert fitted.fits and fitted.tokens <= budget, fitted.reason
    assert "[E1] k8s_list" in fitted.message and found[0].cause in fitted.message
    assert "[E200] k8s_list" not in fitted.message
    counted = re.search(r"\((\d+) more results that no finding cites were gathered and omitted", fitted.message)
    assert counted and 0 < int(counted.group(1)) < 200
    listed = len(re.findall(r"^\[E\d+\] k8s_list", fitted.message, re.M))
    assert listed + int(counted.group(1)) == 200, "every result is either listed or counted"
