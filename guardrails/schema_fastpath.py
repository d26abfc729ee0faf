"""An exact, fast acceptance check for the flat argument schemas MCP tools publish.

Why: jsonschema walks a schema keyword by keyword, building a validator per step, so checking
`{"symbol": "py:json.decoder:JSONDecoder.raw_decode"}` against the code graph's schema costs 40-50
us on every call, for a question asked for the first time as for the tenth (a remembered decision,
guardrails/decision_memo.py, only helps the tenth). The schemas the MCP SDK generates from a tool's
signature are nearly all flat: an object whose properties each have a primitive `type`, some of
them required, annotations (`title`, `default`, ...) beside. For exactly that subset, and for the
draft jsonschema picks for them (2020-12, the default), validity is a few isinstance checks.

Only acceptance is decided here: a schema outside the subset compiles to None, and arguments this
check does not accept go to jsonschema, which finds the error and words it. So the fast path can
only say "valid" where jsonschema says so too (tests/guardrails/test_schema_fastpath.py checks both
directions on generated schemas and arguments), and every refusal keeps jsonschema's message.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "deprecated", "readOnly",
                         "writeOnly"})
"""Keywords that describe and never constrain (draft 2020-12's meta-data and comment vocabularies)."""


def _integer(value: Any) -> bool:
    # As jsonschema's draft 6+ type checker: a bool is not an integer, an integral float is.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": _integer,
    "number": _number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}
"""jsonschema's draft 2020-12 type checks (jsonschema/_types.py), one for one."""


@dataclass(frozen=True)
class FlatSchema:
    """An object schema of typed properties: what is required, each property's allowed types, and
    whether properties it does not name are refused (`additionalProperties: false`)."""

    required: tuple[str, ...]
    properties: Mapping[str, tuple[Callable[[Any], bool], ...]]
    """Property name -> its type checks, any of which accepts (empty: any value)."""
    closed: bool

    def accepts(self, arguments: Any) -> bool:
        if not isinstance(arguments, dict):
            return False
        if any(name not in arguments for name in self.required):
            return False
        for name, value in arguments.items():
            checks = self.properties.get(name)
            if checks is None:
                if self.closed:
                    return False
                continue
            if checks and not any(check(value) for check in checks):
                return False
        return True


def compile_flat(schema: Any) -> FlatSchema | None:
    """The schema as a `FlatSchema`, or None when it uses anything outside the subset (then only
    jsonschema judges it). The schema must already have passed jsonschema's own schema check."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    if set(schema) - ANNOTATIONS - {"type", "properties", "required", "additionalProperties"}:
        return None
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    additional = schema.get("additionalProperties", True)
    if not isinstance(properties, dict) or not isinstance(additional, bool) or not isinstance(required, list):
        return None
    if not all(isinstance(name, str) for name in required):
        return None
    checks: dict[str, tuple[Callable[[Any], bool], ...]] = {}
    for name, sub in properties.items():
        if not isinstance(sub, dict) or set(sub) - ANNOTATIONS - {"type"}:
            return None
        kinds = sub.get("type")
        if kinds is None:
            checks[name] = ()
            continue
        names = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(names, list) or not names or not all(isinstance(k, str) and k in TYPES for k in names):
            return None
        checks[name] = tuple(TYPES[k] for k in names)
    return FlatSchema(tuple(required), checks, closed=not additional)
