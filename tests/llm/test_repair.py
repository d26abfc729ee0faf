"""Tool-call repair: what a sloppy small model sends, what Vigil makes of it."""

from __future__ import annotations

import pytest

from agent.llm import RawToolCall, ToolCall, ToolDef, repair_tool_call
from agent.llm.repair import apply_repairs, calls_in_text

QUERY_RANGE = ToolDef(
    name="prom_query_range",
    description="Range query.",
    input_schema={
        "type": "object",
        "$defs": {"Step": {"type": "string", "pattern": "^[0-9]+[smh]$"}},
        "properties": {
            "query": {"type": "string"},
            "start": {"type": "string"},
            "end": {"type": "string", "default": "now"},
            "step": {"$ref": "#/$defs/Step"},
            "limit": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000}, {"type": "null"}]},
            "ratio": {"type": "number"},
            "dedupe": {"type": "boolean"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "order": {"type": "string", "enum": ["asc", "desc"]},
            "options": {
                "type": "object",
                "properties": {"timeout_s": {"type": "integer"}},
                "additionalProperties": False,
            },
        },
        "required": ["query", "start"],
        "additionalProperties": False,
    },
)
LIST = ToolDef(name="k8s_list", input_schema={"type": "object", "properties": {"kind": {"type": "string"}}})
LOGS = ToolDef(name="k8s_logs", input_schema={"type": "object", "properties": {"pod": {"type": "string"}}})
TOOLS = [QUERY_RANGE, LIST, LOGS]


def repair(name: str, arguments: object) -> tuple[ToolCall | None, list[str], str | None]:
    result = repair_tool_call(RawToolCall("c1", name, arguments), TOOLS)
    return result.call, result.notes, result.error


def test_valid_call_passes_untouched() -> None:
    call, notes, error = repair("prom_query_range", {"query": "up", "start": "now-1h", "limit": 10})
    assert error is None and notes == []
    assert call == ToolCall(id="c1", name="prom_query_range", arguments={"query": "up", "start": "now-1h", "limit": 10})


@pytest.mark.parametrize(
    "arguments",
    [
        '{"query": "up", "start": "now-1h"}',
        '```json\n{"query": "up", "start": "now-1h"}\n```',
        '"{\\"query\\": \\"up\\", \\"start\\": \\"now-1h\\"}"',
        {"name": "prom_query_range", "arguments": {"query": "up", "start": "now-1h"}},
    ],
    ids=["json-string", "fenced", "double-encoded", "envelope"],
)
def test_argument_encodings_are_decoded(arguments: object) -> None:
    call, notes, error = repair("prom_query_range", arguments)
    assert error is None
    assert call is not None and call.arguments == {"query": "up", "start": "now-1h"}
    assert notes, "every repair is noted"


def test_scalars_are_coerced_by_schema() -> None:
    call, notes, error = repair(
        "prom_query_range",
        {
            "query": "up",
            "start": 1700000000,
            "limit": "50",
            "ratio": "0.5",
            "dedupe": "TRUE",
            "labels": "pod",
            "order": "DESC",
            "options": '{"timeout_s": "30"}',
        },
    )
    assert error is None, error
    assert call is not None
    assert call.arguments == {
        "query": "up",
        "start": "1700000000",
        "limit": 50,
        "ratio": 0.5,
        "dedupe": True,
        "labels": ["pod"],
        "order": "desc",
        "options": {"timeout_s": 30},
    }
    assert len(notes) == 8


def test_nulls_and_unknown_arguments() -> None:
    call, notes, error = repair(
        "prom_query_range", {"Query": "up", "start": "now-1h", "ratio": None, "limit": None, "verbose": True}
    )
    assert error is None
    assert call is not None
    # limit allows null (anyOf with null) so it stays; ratio does not, so the null is dropped.
    assert call.arguments == {"query": "up", "start": "now-1h", "limit": None}
    joined = " ".join(notes)
    assert "'Query' renamed to 'query'" in joined
    assert "'ratio' dropped" in joined
    assert "'verbose' dropped" in joined


def test_missing_optional_arguments_are_fine_and_required_ones_are_named() -> None:
    call, _, error = repair("prom_query_range", {"query": "up", "start": "now-1h"})
    assert error is None and call is not None and "end" not in call.arguments

    call, _, error = repair("prom_query_range", {"query": "up"})
    assert call is None
    assert error is not None and "missing required argument 'start'" in error and "string" in error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"query": "up", "start": "now-1h", "limit": "many"}, "'limit' must be integer or null"),
        ({"query": "up", "start": "now-1h", "dedupe": "maybe"}, "'dedupe' must be boolean"),
        ({"query": "up", "start": "now-1h", "order": "sideways"}, "'order' must be one of"),
        ({"query": "up", "start": "now-1h", "limit": 5000}, "'limit': 5000 is greater than the maximum of 1000"),
        ({"query": "up", "start": "now-1h", "step": "5 minutes"}, "'step': '5 minutes' does not match"),
        ("{query: up}", "not valid JSON"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_unrepairable_calls_explain_themselves(arguments: object, expected: str) -> None:
    call, _, error = repair("prom_query_range", arguments)
    assert call is None
    assert error is not None and expected in error
    assert "call it again" in error or "send a JSON object" in error


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("K8S_LIST", "k8s_list"),
        ("k8s-logs", "k8s_logs"),
        ("functions.k8s_list", "k8s_list"),
        ("prom_query", "prom_query_range"),
    ],
)
def test_tool_names_are_resolved(given: str, resolved: str) -> None:
    arguments = {"query": "up", "start": "now"} if resolved == "prom_query_range" else {}
    call, notes, error = repair(given, arguments)
    assert error is None and call is not None and call.name == resolved
    assert any(given in n for n in notes)


def test_ambiguous_or_unknown_names_are_errors() -> None:
    call, _, error = repair("k8s", {})  # prefix of two tools
    assert call is None and error is not None and "unknown tool 'k8s'" in error
    call, _, error = repair("k8s_lst", {})
    assert error is not None and "Did you mean k8s_list" in error


def test_apply_repairs_keeps_errors_on_the_call_and_fills_missing_ids() -> None:
    calls, notes = apply_repairs(
        [RawToolCall("", "k8s_list", '{"kind": "Pod"}'), RawToolCall("", "nope", {"x": 1})], TOOLS
    )
    assert [c.id for c in calls] == ["vigil_call_0", "vigil_call_1"]
    assert calls[0].error is None and calls[0].arguments == {"kind": "Pod"}
    assert calls[1].error is not None and calls[1].name == "nope" and calls[1].arguments == {"x": 1}
    assert any("call id generated" in n for n in notes)


def test_calls_in_text_only_reads_pure_json_naming_known_tools() -> None:
    found = calls_in_text('[{"name": "k8s_list", "arguments": {"kind": "Pod"}}, {"name": "k8s_logs"}]', TOOLS)
    assert [(c.name, c.arguments) for c in found] == [("k8s_list", {"kind": "Pod"}), ("k8s_logs", None)]
    assert calls_in_text('I would call {"name": "k8s_list"} next', TOOLS) == []
    assert calls_in_text('{"name": "rm_rf", "arguments": {}}', TOOLS) == []
    assert calls_in_text('{"name": "k8s_list", "arguments": {}, "reason": "x"}', TOOLS) == []


def test_a_tagged_union_is_coerced_against_the_branch_its_tag_names() -> None:
    """The final answer's remediation is pydantic's discriminated union; the first object branch is the wrong one."""
    from agent.llm.final_answer import final_answer_tool

    tool = final_answer_tool()
    workload = {"name": "payments", "namespace": "payments"}

    def remediation(value: dict) -> tuple[ToolCall | None, list[str], str | None]:
        result = repair_tool_call(RawToolCall("1", tool.name, {"remediation": {**value, "workload": workload}}),
                                  [tool])
        return result.call, result.notes, result.error

    call, notes, error = remediation({"action": "Set_Probe", "probe": "readiness", "settings": {"timeoutSeconds": "5"}})
    assert error is None and call is not None
    assert call.arguments["remediation"] == {"action": "set_probe", "probe": "readiness",
                                             "settings": {"timeoutSeconds": 5}, "workload": workload}
    assert any("read as" in n for n in notes) and any("timeoutSeconds" in n for n in notes)
    call, _, error = remediation({"action": "set_image", "image": "shop/payments:1.4.1"})
    assert error is None and call is not None and call.arguments["remediation"]["image"] == "shop/payments:1.4.1"
    _, _, error = remediation({"action": "set_memory_limit", "memory": "1Gi"})
    assert error is not None and "'remediation.value'" in error, "the field its own action needs, by name"
    _, _, error = remediation({"action": "drop_table"})
    assert error is not None and "'remediation.action' must be one of" in error and "set_env" in error
