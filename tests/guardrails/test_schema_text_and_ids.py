"""Per-call work hoisted off the guarded path (issue #17): the schema's text made once per schema object,
and action ids from 64 random bits. Same results as before, and an edited schema is noticed."""

from __future__ import annotations

import json
import re

from guardrails.action import Action, Actor, ToolSpec, new_id
from guardrails.layers import validation
from guardrails.layers.validation import schema_text, validate_schema

SCHEMA = {"type": "object", "properties": {"symbol": {"type": "string"}, "depth": {"type": "integer"}},
          "required": ["symbol"], "additionalProperties": False}


def test_schema_text_is_the_sorted_encoding_and_made_once() -> None:
    schema = json.loads(json.dumps(SCHEMA))
    text = schema_text(schema)
    assert text == json.dumps(schema, sort_keys=True)
    assert schema_text(schema) is text, "the same schema object: the text is not encoded again"


def test_an_edited_schema_gets_its_new_text_and_its_new_verdict() -> None:
    schema = json.loads(json.dumps(SCHEMA))
    spec = ToolSpec(name="probe", input_schema=schema)
    action = Action(actor=Actor(name="a"), tool="probe", arguments={"symbol": "x", "extra": 1})
    assert not validate_schema(action, spec).allowed  # additionalProperties false
    spec.input_schema["additionalProperties"] = True  # edited in place, behind the frozen model's back
    assert schema_text(spec.input_schema) == json.dumps(spec.input_schema, sort_keys=True)
    assert validate_schema(action, spec).allowed
    spec.input_schema["properties"]["symbol"]["type"] = "integer"  # a nested edit too
    assert schema_text(spec.input_schema) == json.dumps(spec.input_schema, sort_keys=True)
    assert not validate_schema(action, spec).allowed


def test_the_schema_texts_are_bounded() -> None:
    for n in range(validation._MAX_SCHEMA_TEXTS + 10):
        schema = {"type": "object", "title": f"s{n}"}
        assert schema_text(schema) == json.dumps(schema, sort_keys=True)
        assert len(validation._SCHEMA_TEXTS) <= validation._MAX_SCHEMA_TEXTS


def test_ids_keep_their_spelling_and_do_not_repeat() -> None:
    ids = {new_id("act") for _ in range(20000)}
    assert len(ids) == 20000
    assert all(re.fullmatch(r"act_[0-9a-f]{16}", i) for i in ids)
    action = Action(actor=Actor(name="a"), tool="t")
    assert re.fullmatch(r"act_[0-9a-f]{16}", action.id) and re.fullmatch(r"run_[0-9a-f]{16}", action.run_id)
    assert len({c for i in ids for c in i[4:]}) == 16, "every hex digit occurs: not a fixed nibble anywhere"
    assert {i[4 + 12] for i in ids} != {"4"}, "no uuid4 version nibble left"
