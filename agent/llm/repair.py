"""Repairing the sloppy tool calls that small local models make.

Small models served by Ollama, vLLM or LM Studio often get the shape of a tool call slightly wrong:
arguments arrive as a JSON string (sometimes inside Markdown code fences, sometimes encoded twice),
numbers and booleans arrive as strings, an optional argument is sent as null, a tool name has the
wrong case or is cut short. Each of those has exactly one sensible reading, so it is fixed here and
noted. Anything with more than one reading is not guessed: it becomes an error message that names
the field and the expected type, which goes back to the model as the tool result so it can retry.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from agent.llm.base import ToolCall, ToolDef

_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_NAME_PREFIXES = ("functions.", "function.", "tools.", "default_api.")
_INT = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass
class RawToolCall:
    """A tool call exactly as the wire delivered it, before any decoding."""

    id: str
    name: str
    arguments: object = None
    """A dict, a JSON string, None, or whatever else the model produced."""


@dataclass
class RepairResult:
    """The outcome of repairing one call: a valid call, or an error the model can act on."""

    call: ToolCall | None
    notes: list[str] = field(default_factory=list)
    """What was changed, one sentence each; empty when the call was already valid."""
    error: str | None = None


class _Invalid(Exception):
    """A value that cannot be coerced; the message names the field and the expected type."""


def strip_fences(text: str) -> str:
    """The inside of a Markdown code fence, or the text itself when it is not fenced."""
    match = _FENCE.match(text)
    return match.group(1).strip() if match else text.strip()


def _short(value: object) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _norm(name: str) -> str:
    return name.strip().strip("'\"`").lower().replace("-", "_").replace(" ", "_")


def resolve_tool_name(name: str, tools: list[ToolDef]) -> tuple[ToolDef | None, str | None]:
    """The tool a possibly misspelt name means, and a note when the name had to be fixed.

    Accepted fixes: surrounding quotes or whitespace, a "functions." style prefix, different case
    or hyphens for underscores, and a unique prefix of one tool's name (at least three letters).
    """
    by_name = {t.name: t for t in tools}
    if name in by_name:
        return by_name[name], None
    cleaned = name.strip().strip("'\"`")
    for prefix in _NAME_PREFIXES:
        if cleaned.lower().startswith(prefix):
            cleaned = cleaned[len(prefix) :]
    wanted = _norm(cleaned)
    same = [t for t in tools if _norm(t.name) == wanted]
    if len(same) == 1:
        return same[0], f"tool name '{name}' read as '{same[0].name}'"
    if len(wanted) >= 3:
        prefixed = [t for t in tools if _norm(t.name).startswith(wanted)]
        if len(prefixed) == 1:
            return prefixed[0], f"tool name '{name}' read as '{prefixed[0].name}' (unique prefix)"
    return None, None


def _unknown_tool_message(name: str, tools: list[ToolDef]) -> str:
    if not tools:
        return f"unknown tool '{name}': no tools are available in this step; answer in text instead"
    names = [t.name for t in tools]
    close = difflib.get_close_matches(_norm(name), names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    listed = ", ".join(names[:40]) + (" ..." if len(names) > 40 else "")
    return f"unknown tool '{name}'.{hint} Available tools: {listed}"


def decode_arguments(raw: object, tool: str) -> tuple[dict[str, Any], list[str]]:
    """Arguments as a dict, decoding JSON strings (fenced or double-encoded) on the way.

    Raises _Invalid with an actionable message when no object can be read out of them.
    """
    notes: list[str] = []
    value = raw
    for _ in range(3):
        if value is None or (isinstance(value, str) and not value.strip()):
            return {}, notes
        if isinstance(value, dict):
            return value, notes
        if not isinstance(value, str):
            break
        text = strip_fences(value)
        if text != value.strip():
            notes.append(f"{tool}: arguments unwrapped from a code fence")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Invalid(
                f"arguments for tool '{tool}' are not valid JSON ({exc.msg} at position {exc.pos}); "
                'send a JSON object such as {"name": "value"}'
            ) from exc
        notes.append(f"{tool}: arguments decoded from a JSON string")
    raise _Invalid(f"arguments for tool '{tool}' must be a JSON object, got {_short(value)}")


def _unwrap_envelope(args: dict[str, Any], tool: ToolDef) -> tuple[dict[str, Any], str | None]:
    """Some models wrap the arguments as {"name": tool, "arguments": {...}}; unwrap that."""
    props = tool.input_schema.get("properties") or {}
    if set(args) <= {"name", "arguments", "parameters"} and "name" not in props and len(args) == 2:
        inner = args.get("arguments", args.get("parameters"))
        name = args.get("name")
        if isinstance(name, str) and _norm(name) == _norm(tool.name) and isinstance(inner, dict):
            return inner, f"{tool.name}: arguments unwrapped from a name/arguments envelope"
    return args, None


class _Coercer:
    """Walks a value against a JSON schema, fixing what has one reading and noting each fix."""

    def __init__(self, root: dict[str, Any], tool: str) -> None:
        self.root = root
        self.tool = tool
        self.notes: list[str] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            ref = str(schema["$ref"])
            if not ref.startswith("#/"):
                return {}
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        return schema

    def note(self, path: str, what: str) -> None:
        self.notes.append(f"{self.tool}: argument '{path}' {what}")

    def coerce(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        schema = self.resolve(schema)
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return self._coerce_union(value, [self.resolve(b) for b in branches], path)
        types = schema.get("type")
        if types is None:
            if "properties" in schema and isinstance(value, dict):
                return self.coerce_object(value, schema, path)
            return self._coerce_enum(value, schema, path)
        type_list = [types] if isinstance(types, str) else list(types)
        if any(_is_type(value, t) for t in type_list):
            value = self._coerce_inside(value, schema, path)
            return self._coerce_enum(value, schema, path)
        errors = []
        for t in type_list:
            try:
                fixed = _convert(value, t)
            except _Invalid as exc:
                errors.append(str(exc))
                continue
            self.note(path, f"coerced from {_short(value)} to {t} {_short(fixed)}")
            fixed = self._coerce_inside(fixed, schema, path)
            return self._coerce_enum(fixed, schema, path)
        expected = " or ".join(type_list)
        raise _Invalid(f"argument '{path}' must be {_describe(expected, schema)}, got {_short(value)}")

    def _coerce_union(self, value: Any, branches: list[dict[str, Any]], path: str) -> Any:
        tagged = self._tagged(value, branches, path)
        if tagged is not None:
            return self.coerce_object(tagged[1], tagged[0], path)
        for branch in branches:
            if _matches(value, branch):
                return self.coerce(value, branch, path)
        errors: list[_Invalid] = []
        for branch in branches:
            if branch.get("type") == "null":
                continue
            saved = list(self.notes)
            try:
                return self.coerce(value, branch, path)
            except _Invalid as exc:
                self.notes = saved
                errors.append(exc)
        if len(errors) == 1 and isinstance(value, dict):  # an optional object: its own error says more
            raise errors[0]
        expected = " or ".join(str(b.get("type", "value")) for b in branches)
        raise _Invalid(f"argument '{path}' must be {expected}, got {_short(value)}")

    def _tagged(self, value: Any, branches: list[dict[str, Any]], path: str) -> tuple[dict[str, Any], Any] | None:
        """(branch, value) for a tagged union, pydantic's discriminated union, where every object branch pins
        the same property with `const`: the branch `value`'s tag picks (a tag in the wrong case is read as
        the right one). None when the branches are not tagged that way."""
        tags: list[tuple[dict[str, Any], str, Any]] = []
        for branch in branches:
            tag = _tag(branch)
            if tag is not None:
                tags.append((branch, *tag))
        if not isinstance(value, dict) or not tags or len({key for _, key, _ in tags}) != 1:
            return None
        key, wanted = tags[0][1], value.get(tags[0][1])
        for branch, _, const in tags:
            if wanted == const:
                return branch, value
        where = f"{path}.{key}" if path else key
        same = [(b, c) for b, _, c in tags if isinstance(c, str) and str(wanted).strip().lower() == c.lower()]
        if len(same) == 1:
            self.note(where, f"read as {_short(same[0][1])}")
            return same[0][0], {**value, key: same[0][1]}
        allowed = ", ".join(str(c) for _, _, c in tags)
        raise _Invalid(f"argument '{where}' must be one of {allowed}, got {_short(wanted)}")

    def _coerce_inside(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, dict) and ("properties" in schema or "additionalProperties" in schema):
            return self.coerce_object(value, schema, path)
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [self.coerce(v, schema["items"], f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def _coerce_enum(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        allowed = schema.get("enum")
        if not allowed or value in allowed:
            return value
        if isinstance(value, str):
            same = [a for a in allowed if isinstance(a, str) and a.lower() == value.strip().lower()]
            if len(same) == 1:
                self.note(path, f"read as {_short(same[0])}")
                return same[0]
        raise _Invalid(f"argument '{path}' must be one of {_short(allowed)}, got {_short(value)}")

    def coerce_object(self, args: dict[str, Any], schema: dict[str, Any], path: str = "") -> dict[str, Any]:
        schema = self.resolve(schema)
        props: dict[str, Any] = schema.get("properties") or {}
        required: list[str] = list(schema.get("required") or [])
        extra = schema.get("additionalProperties")
        lower = {k.lower(): k for k in props}
        out: dict[str, Any] = {}
        for key, value in args.items():
            where = f"{path}.{key}" if path else key
            target = key
            if key not in props and not props and isinstance(extra, dict):  # a map: {"timeoutSeconds": "5"}
                out[key] = self.coerce(value, extra, where)
                continue
            if key not in props and props:
                if key.lower() in lower and lower[key.lower()] not in args:
                    target = lower[key.lower()]
                    self.note(where, f"renamed to '{target}'")
                elif isinstance(extra, dict):
                    out[key] = self.coerce(value, extra, where)
                    continue
                elif extra is True:
                    out[key] = value
                    continue
                else:
                    self.note(where, "dropped: the tool has no such argument")
                    continue
            sub = props.get(target)
            if sub is None:
                out[target] = value
                continue
            if value is None and target not in required and not _allows_null(self.resolve(sub)):
                self.note(where, "dropped: null given for an optional argument")
                continue
            out[target] = self.coerce(value, sub, f"{path}.{target}" if path else target)
        for key in required:
            if key in out:
                continue
            sub = self.resolve(props.get(key, {}))
            where = f"{path}.{key}" if path else key
            if "default" in sub:
                out[key] = sub["default"]
                self.note(where, f"missing; filled with its default {_short(sub['default'])}")
                continue
            raise _Invalid(f"missing required argument '{where}' ({_describe(sub.get('type', 'value'), sub)})")
        return out


def _describe(expected: Any, schema: dict[str, Any]) -> str:
    text = " or ".join(expected) if isinstance(expected, list) else str(expected)
    if schema.get("enum"):
        text += f" (one of {_short(schema['enum'])})"
    if schema.get("description"):
        text += f": {str(schema['description'])[:80]}"
    return text


def _tag(schema: dict[str, Any]) -> tuple[str, Any] | None:
    """(property, value) that a union branch pins with `const` (its discriminator), or None."""
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and "const" in sub:
            return name, sub["const"]
    return None


def _allows_null(schema: dict[str, Any]) -> bool:
    types = schema.get("type")
    if types == "null" or (isinstance(types, list) and "null" in types):
        return True
    return any(b.get("type") == "null" for b in (schema.get("anyOf") or schema.get("oneOf") or []))


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    return True


def _matches(value: Any, schema: dict[str, Any]) -> bool:
    types = schema.get("type")
    if types is None:
        return False
    names = [types] if isinstance(types, str) else types
    return any(_is_type(value, t) for t in names)


def _convert(value: Any, name: str) -> Any:
    """Convert `value` to JSON type `name` when exactly one reading exists, else raise _Invalid."""
    if name == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if _INT.match(text):
                return int(text)
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if number.is_integer():
                return int(number)
    elif name == "number":
        if isinstance(value, str):
            text = value.strip()
            if _INT.match(text):
                return int(text)
            try:
                number = float(text)
            except ValueError:
                pass
            else:
                if number == number and number not in (float("inf"), float("-inf")):
                    return number
    elif name == "boolean":
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
    elif name == "string":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif name == "array":
        if isinstance(value, str):
            text = strip_fences(value)
            if text.startswith("["):
                try:
                    parsed = json.loads(text)
                except json.JSONDecodeError:
                    parsed = None
                if isinstance(parsed, list):
                    return parsed
        if isinstance(value, str | int | float | dict) and not isinstance(value, bool):
            return [value]
    elif name == "object":
        if isinstance(value, str):
            try:
                parsed = json.loads(strip_fences(value))
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
    elif name == "null" and isinstance(value, str) and value.strip().lower() in ("null", "none", ""):
        return None
    raise _Invalid(f"cannot read {_short(value)} as {name}")


def _schema_errors(args: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Constraint violations (ranges, patterns, lengths) the coercion step does not judge."""
    try:
        validator_cls = jsonschema.validators.validator_for(schema)
        validator = validator_cls(schema)
        errors = sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path))
    except (jsonschema.exceptions.SchemaError, TypeError, ValueError):
        return []
    out = []
    for err in errors[:3]:
        if err.context:
            # An anyOf/oneOf failure: the branch that failed on something other than type says why.
            specific = [e for e in err.context if e.validator != "type"]
            err = (specific or list(err.context))[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(arguments)"
        out.append(f"argument '{where}': {err.message}")
    return out


def repair_tool_call(call: ToolCall | RawToolCall, tools: list[ToolDef]) -> RepairResult:
    """Fix what has one reading in `call`; otherwise explain, naming the field and expected type."""
    tool, name_note = resolve_tool_name(call.name, tools)
    if tool is None:
        from guardrails.pipeline import audit_unrunnable_call  # the pipeline only when a refusal happens

        message = _unknown_tool_message(call.name, tools)
        audit_unrunnable_call(call.name, call.arguments if isinstance(call.arguments, dict) else {}, message)
        return RepairResult(None, [], message)
    notes = [name_note] if name_note else []
    try:
        args, decode_notes = decode_arguments(call.arguments, tool.name)
        notes += decode_notes
        args, envelope_note = _unwrap_envelope(args, tool)
        if envelope_note:
            notes.append(envelope_note)
        coercer = _Coercer(tool.input_schema, tool.name)
        args = coercer.coerce_object(args, tool.input_schema)
        notes += coercer.notes
    except _Invalid as exc:
        return RepairResult(None, notes, f"tool '{tool.name}': {exc}. Fix the arguments and call it again.")
    problems = _schema_errors(args, tool.input_schema)
    if problems:
        return RepairResult(
            None, notes, f"tool '{tool.name}': {'; '.join(problems)}. Fix the arguments and call it again."
        )
    return RepairResult(ToolCall(id=call.id, name=tool.name, arguments=args), notes, None)


def apply_repairs(calls: list[ToolCall | RawToolCall], tools: list[ToolDef]) -> tuple[list[ToolCall], list[str]]:
    """Repair every call of one response; unrepairable calls come back carrying `error`.

    Calls without an id (some OpenAI-compatible servers omit it) get a stable generated one, so the
    tool results can still be matched to them.
    """
    fixed: list[ToolCall] = []
    notes: list[str] = []
    seen: set[str] = set()
    for index, call in enumerate(calls):
        call_id = call.id or f"vigil_call_{index}"
        if call_id in seen:
            call_id = f"{call_id}_{index}"
        if call_id != call.id:
            notes.append(f"{call.name}: call id generated as '{call_id}'")
        seen.add(call_id)
        result = repair_tool_call(RawToolCall(call_id, call.name, call.arguments), tools)
        notes += result.notes
        if result.call is not None:
            fixed.append(result.call)
        else:
            args = call.arguments if isinstance(call.arguments, dict) else {}
            fixed.append(ToolCall(id=call_id, name=call.name, arguments=args, error=result.error))
    return fixed, notes


def calls_in_text(text: str, tools: list[ToolDef]) -> list[RawToolCall]:
    """Tool calls a model wrote as text instead of using the tool-call channel (agent/llm/text_calls.py).

    Tagged forms (Qwen's `<tool_call>`, `functools[...]`, `[TOOL_CALLS]`) always count; bare or
    fenced JSON only when every name resolves to an offered tool; prose that merely mentions JSON
    is left alone.
    """
    from agent.llm.text_calls import text_calls

    def known(name: str) -> bool:
        return resolve_tool_name(name, tools)[0] is not None

    return [RawToolCall(f"vigil_text_call_{index}", name, args)
            for index, (name, args) in enumerate(text_calls(text, tools, known))]
