"""Choosing runbooks: alert name first, label matchers refine, keywords score, fallback last."""

from __future__ import annotations

from agent.incident import Incident, from_text
from agent.runbooks.matching import match, score
from agent.runbooks.model import LabelMatcher, MatchRules, Runbook


def _rb(rb_id: str, **rules: object) -> Runbook:
    return Runbook(id=rb_id, title=rb_id, owner="t", version="1", match=MatchRules(**rules))  # type: ignore[arg-type]


def _alert(name: str, **labels: str) -> Incident:
    return Incident(fingerprint="f", title=name, source="alertmanager", labels={"alertname": name, **labels})


OOM = _rb("oom", alertnames=["ContainerOOMKilled"], keywords=["oomkilled", "memory leak"])
CRASH = _rb("crash", alertnames=["KubePodCrashLooping"], keywords=["crashloop", "restarting"],
            labels=[LabelMatcher(name="reason", op="!~", value="OOMKilled")])
SHOP_ONLY = _rb("shop-only", keywords=["restarting"], labels=[LabelMatcher(name="namespace", op="=", value="shop")])
FALLBACK = _rb("generic", fallback=True)
ALL = [FALLBACK, OOM, CRASH, SHOP_ONLY]


def test_alert_name_wins_and_fallback_is_last() -> None:
    found = match(ALL, _alert("ContainerOOMKilled", namespace="web"))
    assert [m.runbook.id for m in found] == ["oom", "generic"]
    assert found[0].reasons == ["alert name ContainerOOMKilled"]
    assert found[-1].score == 0 and found[-1].reasons == ["generic triage, always applicable"]


def test_keywords_are_whole_words_and_explained() -> None:
    found = match(ALL, from_text("checkout pods: looks like a memory leak, oomkilled"))
    assert [m.runbook.id for m in found] == ["oom", "generic"]
    assert found[0].reasons == ["keywords 'oomkilled', 'memory leak'"] and found[0].score == 10
    # Equal scores: the order is stable (by id).
    tied = match(ALL, from_text("restarting, memory leak"))
    assert [m.runbook.id for m in tied] == ["crash", "oom", "shop-only", "generic"]
    assert score(OOM, from_text("the boom room is cold")) is None  # 'oom' inside words does not count


def test_a_failing_label_matcher_rules_a_runbook_out() -> None:
    assert score(SHOP_ONLY, from_text("pods restarting in namespace web")) is None
    in_shop = score(SHOP_ONLY, from_text("pods restarting in namespace shop"))
    assert in_shop is not None and in_shop.score == 15 and 'label namespace="shop"' in in_shop.reasons
    # An absent label is neutral: no points, no exclusion.
    neutral = score(SHOP_ONLY, from_text("pods restarting"))
    assert neutral is not None and neutral.score == 5


def test_negative_matchers_exclude_on_a_present_label() -> None:
    assert score(CRASH, _alert("KubePodCrashLooping", reason="OOMKilled")) is None
    kept = score(CRASH, _alert("KubePodCrashLooping", reason="Error"))
    assert kept is not None and kept.score == 110


def test_labels_alone_do_not_match() -> None:
    assert score(SHOP_ONLY, _alert("SomethingElse", namespace="shop")) is None


def test_only_fallback_when_nothing_matches() -> None:
    found = match(ALL, from_text("the coffee machine is broken"))
    assert [(m.runbook.id, m.reasons) for m in found] == [("generic", ["no specific runbook matched"])]


def test_limit_keeps_the_best() -> None:
    found = match(ALL, from_text("crashloop restarting oomkilled"), limit=1)
    assert [m.runbook.id for m in found] == ["crash", "generic"]
