"""The fast acceptance check of flat argument schemas (guardrails/schema_fastpath.py) agrees with
jsonschema exactly: on generated flat schemas (typed properties, type lists, required names,
closed or open) and generated arguments (every JSON type, integral floats, bools, extra names), it
accepts exactly what jsonschema accepts; schemas outside the subset get no fast check; and the
validation layer still refuses with jsonschema's wording."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.action import Action, Actor, ToolSpec
from guardrails.layers import validation
from guardrails.schema_fastpath import TYPES, compile_flat

NAMES = ["symbol", "depth", "kind", "limit", "all", "labels", "opts", "x"]
_TYPE = st.sampled_from(sorted(TYPES))
_PROPERTY = st.fixed_dictionaries({}, optional={
    "type": _TYPE | st.lists(_TYPE, min_size=1, max_size=3, unique=True),
    "title": st.text(max_size=5), "default": st.integers() | st.text(max_size=3), "description": st.just("d")})


@st.composite
def flat_schemas(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5))
    schema: dict[str, Any] = {"type": "object", "title": "toolArguments",
                              "properties": {n: draw(_PROPERTY) for n in names}}
    required: list[str] = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    listed, closes, closed = draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))
    if required or listed:
        schema["required"] = required
    if closes:
        schema["additionalProperties"] = not closed
    return schema


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from([0.0, 1.0, -3.0, 2.5])
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4)


@settings(max_examples=600, deadline=None)
@given(flat_schemas(), st.dictionaries(st.sampled_from(NAMES), _VALUES, max_size=5))
def test_the_fast_check_accepts_exactly_what_jsonschema_accepts(schema: dict[str, Any],
                                                                 arguments: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    flat = compile_flat(schema)
    assert flat is not None
    assert flat.accepts(arguments) == jsonschema.Draft202012Validator(schema).is_valid(arguments)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}},
    {"type": "object", "properties": {"n": {"anyOf": [{"type": "string"}, {"type": "null"}]}}},
    {"type": "object", "properties": {"n": {"type": "string", "enum": ["a"]}}},
    {"type": "object", "properties": {"n": {"$ref": "#/$defs/N"}}, "$defs": {"N": {"type": "string"}}},
    {"type": "object", "properties": {"n": {"type": "array", "items": {"type": "string"}}}},
    {"type": "object", "properties": {"n": True}},
    {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"properties": {"n": {"type": "string"}}},
])
def test_schemas_outside_the_subset_get_no_fast_check(schema: dict[str, Any]) -> None:
    assert compile_flat(schema) is None


def test_an_older_draft_is_left_to_jsonschema() -> None:
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
              "properties": {"n": {"type": "integer"}}}
    assert validation._flat(json.dumps(schema, sort_keys=True)) is None  # draft 4: 1.0 is not an integer


def test_refusals_keep_jsonschemas_wording() -> None:
    spec = ToolSpec(name="get_callers", input_schema={
        "type": "object", "properties": {"symbol": {"type": "string"}, "depth": {"type": "integer"}},
        "required": ["symbol"]})
    actor = Actor(name="t", origin="mcp")
    validation.SCHEMA_DECISIONS.clear()

    def reason(arguments: dict[str, Any]) -> tuple[bool, str]:
        decision = validation.validate_schema(Action(actor=actor, tool="get_callers", arguments=arguments), spec)
        return decision.allowed, decision.reason

    assert reason({"symbol": "a", "depth": 2}) == (True, "arguments match the tool's schema")
    assert reason({"symbol": "a", "depth": 2.0}) == (True, "arguments match the tool's schema")
    assert reason({"symbol": 3}) == (False, "argument symbol: 3 is not of type 'string'")
    assert reason({"symbol": "a", "depth": True}) == (False, "argument depth: True is not of type 'integer'")
    assert reason({"depth": 1}) == (False, "argument (arguments): 'symbol' is a required property")
