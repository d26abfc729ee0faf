"""Tool calls a model wrote as text instead of using the tool-call channel.

Small local models are trained on their own chat templates, and when a server does not parse that
template back into structured calls (or parses only some of it) the calls arrive as plain text.
The shapes are few and well known, so each is read here:

- Qwen / Hermes: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, one tag per call, often
  with prose before it and sometimes without the closing tag when the generation stops;
- Llama 3.x JSON tool calling: `{"name": ..., "parameters": {...}}`, optionally after `<|python_tag|>`;
- Firefunction / functionary: `functools[{...}, ...]`; Mistral: `[TOOL_CALLS][{...}]`;
- a JSON object or list in a Markdown code fence.

An explicit marker (a tag, `functools`, `[TOOL_CALLS]`) says "this is a call", so a call it holds is
returned even for an unknown tool name: the repair step then answers the model with the list of
tools. Bare or fenced JSON is only read when every name is an offered tool and the object has no
keys a call does not have, so prose or a final answer that merely contains JSON is left alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.llm.base import ToolDef

_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)
_LIST_MARKERS = re.compile(r"(?:functools|\[TOOL_CALLS\])\s*(\[.*\])", re.DOTALL)
_PYTHON_TAG = "<|python_tag|>"
_FENCED = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?\s*```", re.DOTALL)
_CALL_KEYS = {"name", "tool", "arguments", "parameters", "args", "id", "type", "function"}


def _decode(text: str) -> Any:
    """The JSON value at the start of `text` (trailing junk such as `<|eot_id|>` ignored), or None."""
    text = text.strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        value, _end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value


def _as_call(item: Any) -> tuple[str, Any] | None:
    """(name, raw arguments) when `item` has the shape of one call, else None."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("function"), dict):
        item = item["function"]
    name = item.get("name") or item.get("tool")
    if not isinstance(name, str) or not name.strip() or set(item) - _CALL_KEYS:
        return None
    return name, item.get("arguments", item.get("parameters", item.get("args")))


def _calls_of(value: Any) -> list[tuple[str, Any]] | None:
    items = value if isinstance(value, list) else [value]
    calls = [_as_call(item) for item in items]
    if not items or any(c is None for c in calls):
        return None
    return [c for c in calls if c is not None]


def text_calls(text: str, tools: list[ToolDef], known: Any) -> list[tuple[str, Any]]:
    """(name, raw arguments) of every call written in `text`, in order; [] when it holds none.

    `known(name)` says whether a name means an offered tool (the repair step's own resolver).
    """
    if not text or not tools:
        return []
    tagged = _TAG.findall(text)
    if tagged:
        found: list[tuple[str, Any]] = []
        for body in tagged:
            calls = _calls_of(_decode(body))
            if calls:
                found += calls
        return found
    marker = _LIST_MARKERS.search(text)
    if marker:
        return _calls_of(_decode(marker.group(1))) or []
    body = text.strip()
    if body.startswith(_PYTHON_TAG):
        body = body[len(_PYTHON_TAG):]
    candidates = [body] if body.startswith(("{", "[")) else _FENCED.findall(text)
    fenced = _FENCED.fullmatch(body)
    if fenced:
        candidates = [fenced.group(1)]
    for candidate in candidates:
        calls = _calls_of(_decode(candidate))
        if calls and all(known(name) for name, _ in calls):
            return calls
    return []
