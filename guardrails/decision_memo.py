"""Bounded memos of the parts of a verdict that are pure functions of the call, not of the moment.

Why: every call through the guard re-ran the JSON-schema check of its arguments (jsonschema walks
the schema for each call: 50-90 us for a code-graph call) and re-matched every policy rule (30-50 us),
although both answers depend only on what is asked: the schema check on (schema, arguments), the
policy's rules on (actor, tool, the resources touched) under one policy. An agent asks the same
questions again and again (the callers, then the impact, of the same symbol; the same namespace's
pods), so those answers are remembered, at most `max_entries` of them, least recently used dropped.

What is never remembered: anything that depends on state or time (the rate window, the team budget,
query cost windows measured from now, approval). Those run on every call, so a remembered decision
never lets a call through that the live layers would refuse.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # the audit writer imports this module for `is_json_native`, without pydantic's models
    from guardrails.action import Decision

V = TypeVar("V")

MAX_KEY_CHARS = 4096
"""Arguments with a string longer than this are judged afresh (a long query is rarely asked twice)."""

_JSON_SCALARS = (str, int, float, bool, type(None))


class BoundedLRU(Generic[V]):
    """At most `max_entries` answers, the least recently used dropped first. Safe across threads."""

    def __init__(self, max_entries: int = 4096) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        """Counted under the lock: for benchmarks and tests."""

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


def copy_of(decision: Decision) -> Decision:
    """A copy of a remembered decision that shares nothing mutable with it (its `details` included):
    a caller may change its copy, never the memo. Built by the model's validator, which with pydantic 2.14
    costs less than `model_construct` even with every field given (2.6 against 4.2 us here: the latter
    runs its field loop and default-factory checks in Python)."""
    from guardrails.action import Decision

    return Decision(layer=decision.layer, allowed=decision.allowed, reason=decision.reason, rule=decision.rule,
                    details=copy.deepcopy(decision.details) if decision.details else {})


class _Unkeyable(Exception):
    """Raised inside `value_key` for a value that gets no key."""


def value_key(value: Any) -> Hashable | None:
    """A hashable key equal for two values exactly when they are the same JSON document, or None
    when `value` is not made of JSON's own types only.

    Each scalar is keyed with its type, since Python calls `1`, `1.0` and `True` equal and a schema
    does not (an integer, a number, a boolean); dict keys are sorted. So a JSON-schema check, or any
    pure function of the document, gives two values with the same key the same answer. Anything else
    (a tuple, which a schema check does not read as an array; a str or int subclass; a non-string
    dict key; more than 16 levels) gets no key and is judged afresh, as is a string longer than
    `MAX_KEY_CHARS` (a long query is rarely asked twice, and would cost memory).
    """
    try:
        return _key(value, 0)
    except _Unkeyable:
        return None


def _key(value: Any, depth: int) -> Hashable:
    kind = type(value)
    if kind is str:
        if len(value) > MAX_KEY_CHARS:
            raise _Unkeyable
        return value
    if kind in _JSON_SCALARS:
        return (kind, value)
    if depth > 16:
        raise _Unkeyable
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise _Unkeyable
        return (dict, tuple(sorted((k, _key(v, depth + 1)) for k, v in value.items())))
    if kind is list:
        return (list, tuple(_key(v, depth + 1) for v in value))
    raise _Unkeyable


def is_json_native(value: Any, depth: int = 0) -> bool:
    """True when `value` is built of JSON's own types only (dicts with str keys, lists, str, int,
    float, bool, None; no subclasses), at most 16 levels deep: then `json.loads(json.dumps(value))`
    equals `value`, and a reader of its JSON parses exactly it.

    Scalars inside a container are judged in the container's loop, not by a call each: the audit
    writer asks this of every record, and a decision record holds some forty scalars in a few dicts."""
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return True
    if depth > 16:
        return False
    # Loops rather than all(...): a generator's frame per container cost as much as the checks it made.
    if kind is list:
        for item in value:  # noqa: SIM110
            if type(item) not in _SCALAR_TYPES and not is_json_native(item, depth + 1):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALAR_TYPES and not is_json_native(item, depth + 1)):
                return False
        return True
    return False


_SCALAR_TYPES = frozenset(_JSON_SCALARS)
"""`_JSON_SCALARS` as a set: what `type(x) in` looks up in one step."""
