"""Layer 1, validation: the arguments match the tool's schema, then the server puts them in canonical form."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from guardrails.action import Action, Decision, ToolSpec
from guardrails.decision_memo import BoundedLRU, copy_of, value_key
from guardrails.layers.base import ArgumentError, BaseLayer, Call, LayerResult
from guardrails.schema_fastpath import FlatSchema, compile_flat

_SCHEMA_OK = "arguments match the tool's schema"

SCHEMA_DECISIONS: BoundedLRU[Decision] = BoundedLRU(4096)
"""(schema, arguments) -> the schema check's decision: a pure function of the two JSON documents
(guardrails/decision_memo.py), so a question asked again is not walked through jsonschema again.
Arguments a flat schema's fast check accepts (guardrails/schema_fastpath.py) need no memo."""


@dataclass
class ValidationResult(LayerResult):
    canonical: dict[str, Any] = field(default_factory=dict)
    """The arguments the normaliser changed, in their canonical form (empty when none changed)."""


class ValidationLayer(BaseLayer):
    """Unknown tools and schema violations are refused; a normaliser may refuse, naming the argument."""

    name: ClassVar[str] = "validation"
    in_precheck: ClassVar[bool] = True

    async def check(self, call: Call) -> ValidationResult:
        decision = validate_schema(call.action, call.spec)
        if not decision.allowed or call.normalise is None:
            return ValidationResult(decision)
        action = call.action
        before = dict(action.arguments)
        try:
            action.arguments = await call.normalise(action.tool, dict(before))
        except ArgumentError as exc:
            return ValidationResult(Decision(layer="validation", allowed=False, rule="arguments", reason=str(exc)))
        changed = {k: v for k, v in before.items() if action.arguments.get(k) != v}
        if not changed:
            return ValidationResult(decision)
        from guardrails import redaction

        original, _ = redaction.redact_data(changed)
        canonical = {k: action.arguments.get(k) for k in changed}
        return ValidationResult(Decision(
            layer="validation", allowed=True, details={"original": original},
            reason=f"{_SCHEMA_OK}; put in canonical form: " + ", ".join(f"{k}={v!r}" for k, v in canonical.items())),
            canonical)


def validate_schema(action: Action, spec: ToolSpec | None) -> Decision:
    """The arguments against the tool's JSON schema; a tool nobody offers is refused by name."""
    if spec is None:
        return Decision(layer="validation", allowed=False, rule="unknown-tool",
                        reason=f"tool {action.tool!r} is not offered by any connected server")
    schema_json = schema_text(spec.input_schema)
    flat = _flat(schema_json)
    if flat is not None and flat.accepts(action.arguments):  # exact for flat schemas; refusals are worded below
        return Decision(layer="validation", allowed=True, reason=_SCHEMA_OK)
    arguments_key = value_key(action.arguments)
    key = (schema_json, arguments_key)
    if arguments_key is not None:
        known = SCHEMA_DECISIONS.get(key)
        if known is not None:
            return copy_of(known)
    decision = _check_schema(schema_json, action.arguments)
    if arguments_key is not None:
        SCHEMA_DECISIONS.put(key, copy_of(decision))
    return decision


def _check_schema(schema_json: str, arguments: dict[str, Any]) -> Decision:
    import jsonschema

    try:
        validator = _validator(schema_json)
    except jsonschema.SchemaError as exc:
        return Decision(layer="validation", allowed=False, rule="schema",
                        reason=f"the tool's own schema is invalid: {exc.message}")
    error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
        return Decision(layer="validation", allowed=False, rule="schema", reason=f"argument {where}: {error.message}")
    return Decision(layer="validation", allowed=True, reason=_SCHEMA_OK)


_SCHEMA_TEXTS: dict[int, tuple[dict[str, Any], dict[str, Any], str]] = {}
"""id(schema) -> (the schema, a deep copy of it when its text was made, that text)."""
_MAX_SCHEMA_TEXTS = 256


def schema_text(schema: dict[str, Any]) -> str:
    """`json.dumps(schema, sort_keys=True)`, the key the validator and the fast check are compiled under, made
    once per schema object instead of on every call (it was half of this layer's CPU on a code-graph call:
    a server's tool schemas are built once and never change).

    Exact while the schema is not edited in place, and an edit is noticed: the entry holds the schema itself
    (so its id cannot name another object) and a deep copy taken with the text, and the text is reused only
    while the schema still equals that copy (a C-level comparison, a tenth of the encoding's cost)."""
    known = _SCHEMA_TEXTS.get(id(schema))
    if known is not None and known[0] is schema and known[1] == schema:
        return known[2]
    text = json.dumps(schema, sort_keys=True)
    if len(_SCHEMA_TEXTS) >= _MAX_SCHEMA_TEXTS:
        _SCHEMA_TEXTS.clear()
    _SCHEMA_TEXTS[id(schema)] = (schema, copy.deepcopy(schema), text)
    return text


def prepare_validator(spec: ToolSpec) -> None:
    """Compile `spec`'s validator and its fast check now (a server warming up), so no call pays for it."""
    schema_json = schema_text(spec.input_schema)
    _validator(schema_json)
    _flat(schema_json)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    """A checked, compiled validator per distinct schema: building one costs far more than using it."""
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=256)
def _flat(schema_json: str) -> FlatSchema | None:
    """The schema's fast acceptance check (guardrails/schema_fastpath.py), when it is a valid, flat
    object schema of typed properties that jsonschema judges by draft 2020-12; else None."""
    import jsonschema

    try:
        _validator(schema_json)  # the schema passed jsonschema's own check
    except jsonschema.SchemaError:
        return None
    schema = json.loads(schema_json)
    if jsonschema.validators.validator_for(schema) is not jsonschema.Draft202012Validator:
        return None
    return compile_flat(schema)
