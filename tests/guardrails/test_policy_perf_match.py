"""The policy's compiled glob lists (`guardrails.policy._match`) answer exactly as fnmatch does,
pattern by pattern: over the shipped policy's own patterns and tool names, and over patterns and
names Hypothesis builds from glob characters, brackets, dots, slashes, newlines and letters."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.action import Actor
from guardrails.pipeline import default_policy_path
from guardrails.policy import _match, load_policy
from guardrails.scope import Scope

_ALPHABET = st.sampled_from(list("ab*?[]!-^./\\\n k_"))


def _reference(value: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(value, p) for p in patterns)


@settings(max_examples=600, deadline=None)
@given(value=st.text(_ALPHABET, max_size=8), patterns=st.lists(st.text(_ALPHABET, max_size=6), max_size=4))
def test_glob_lists_match_as_fnmatch_does(value: str, patterns: list[str]) -> None:
    assert _match(value, patterns) == _reference(value, patterns)


def test_the_shipped_policy_judges_tools_as_fnmatch_does() -> None:
    policy = load_policy(default_policy_path())
    tools = ["get_callers", "get_impact_radius", "k8s_get", "k8s_", "prom_query", "loki_x", "propose_change",
             "investigate", "unknown", "", "get_callers\n", "K8S_get"]
    actor = Actor(name="mcp-client", origin="mcp")
    for rule in policy.rules:
        for tool in tools:
            assert _match(tool, rule.tools) == _reference(tool, rule.tools), (rule.id, tool)
            assert rule.applies_to(actor, tool) == _reference(tool, rule.tools), (rule.id, tool)
    assert policy.evaluate_rules(actor, "get_callers", Scope()).allowed
    assert not policy.evaluate_rules(actor, "get_callers\n", Scope()).allowed
    assert not policy.evaluate_rules(actor, "k8s_get", Scope(kind="Secret")).allowed


def test_a_list_changed_in_place_is_judged_by_its_new_patterns() -> None:
    """The compiled form is keyed by the patterns themselves, never by the list object."""
    patterns = ["get_*"]
    assert _match("get_callers", patterns)
    patterns[0] = "k8s_*"
    assert not _match("get_callers", patterns)
    assert _match("k8s_get", patterns)
