"""A small, safe substitution language for runbooks: `{{ labels.pod | default("x") }}`.

Why not Jinja: the values substituted come from alerts, which anyone who can fire an alert writes.
Here the only things a template can do are look up a value and apply a fixed filter; values are
inserted once and never re-read as template text, so a label value of ``{{ labels.x }}`` stays
literal. For tool arguments (`safe=True`) a substituted value must also look like a label value
(letters, digits and ``_.:/@+,=-``): a quote or brace could otherwise escape a PromQL selector.

Grammar::

    {{ ROOT.KEY [| FILTER]... }}
    ROOT    labels | annotations | incident | match
    FILTER  default("literal") | default(ROOT.KEY) | lower | upper | double | workload

Several `default`s are tried in order: `{{ labels.deployment | default(labels.service) | default("x") }}`.

`double` doubles a Kubernetes quantity (`256Mi` -> `512Mi`, `500m` -> `1000m`, `3` -> `6`): the
one piece of arithmetic remediation templates need ("raise the limit") without an expression
language.
`workload` turns a Deployment's pod name into the Deployment's (`checkout-7d9f8b6c5d-x2x4z` ->
`checkout`) and leaves any other name as it is.

A default literal is written by the runbook author, so it is trusted and not held to the
tool-argument character set (`default(".*")` is fine in a PromQL regex matcher).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROOTS = ("labels", "annotations", "incident", "match")
INCIDENT_FIELDS = frozenset(
    {"id", "fingerprint", "title", "severity", "source", "status", "started_at", "alertname",
     "window_start", "window_end"}
)
"""`window_start` is an hour before the start; `window_end` an hour after it, or now if sooner."""
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/@+,=-]*")
MAX_VALUE_CHARS = 253
"""The longest value substituted into a tool argument (a Kubernetes name is at most 253)."""
MAX_TEXT_VALUE_CHARS = 200
"""The longest value substituted into human text (findings): longer values are cut."""

_BLOCK = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_REF = r"(labels|annotations|incident|match)\.([A-Za-z_][A-Za-z0-9_]*)"
_EXPR = re.compile(rf"\s*{_REF}\s*((?:\|.*)?)$", re.DOTALL)
_FILTER = re.compile(
    rf"\|\s*(?:(lower|upper|double|workload)|default\s*\(\s*(?:\"([^\"]*)\"|'([^']*)'|{_REF})\s*\))\s*"
)


class TemplateError(ValueError):
    """A template that cannot be read (bad syntax, unknown root or filter)."""


class MissingValue(LookupError):
    """A reference with no value and no default: the step using it is skipped."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"no value for {ref}")


class UnsafeValue(ValueError):
    """A value whose characters could change the meaning of a tool argument."""

    def __init__(self, ref: str, value: str) -> None:
        self.ref = ref
        shown = value if len(value) <= 40 else value[:40] + "..."
        super().__init__(f"value of {ref} ({shown!r}) has characters not allowed in a tool argument")


@dataclass(frozen=True)
class Ref:
    root: str
    key: str

    def __str__(self) -> str:
        return f"{self.root}.{self.key}"


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Expression:
    ref: Ref
    fallbacks: tuple[Ref | Literal, ...] = field(default_factory=tuple)
    """`default(...)` filters in order: the first that has a value wins."""
    transforms: tuple[str, ...] = field(default_factory=tuple)

    def refs(self) -> list[Ref]:
        return [self.ref, *(f for f in self.fallbacks if isinstance(f, Ref))]


@dataclass
class Context:
    """The values a template can see. Build one with `agent.runbooks.plan.context_for`."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    incident: Mapping[str, str] = field(default_factory=dict)
    match: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, ref: Ref) -> str | None:
        value = getattr(self, ref.root).get(ref.key)
        return None if value is None or value == "" else str(value)


def parse_expression(text: str) -> Expression:
    """Read the inside of one `{{ }}`; raise TemplateError saying what is wrong."""
    found = _EXPR.match(text)
    if not found:
        raise TemplateError(
            f"cannot read {{{{{text}}}}}; write {{{{ labels.NAME }}}}, {{{{ annotations.NAME }}}}, "
            "{{ incident.FIELD }} or {{ match.NAME }}"
        )
    ref = Ref(found.group(1), found.group(2))
    rest = found.group(3).strip()
    fallbacks: list[Ref | Literal] = []
    transforms: list[str] = []
    while rest:
        flt = _FILTER.match(rest)
        if not flt:
            raise TemplateError(
                f"unknown filter in {{{{{text}}}}}; use default(\"x\"), lower, upper, double or workload"
            )
        if flt.group(1):
            transforms.append(flt.group(1))
        elif flt.group(4):
            fallbacks.append(Ref(flt.group(4), flt.group(5)))
        else:
            fallbacks.append(Literal(flt.group(2) if flt.group(2) is not None else flt.group(3)))
        rest = rest[flt.end() :]
    return Expression(ref, tuple(fallbacks), tuple(transforms))


def expressions(text: str) -> list[Expression]:
    """Every expression in a string; raises TemplateError on the first bad one or a stray brace."""
    result = [parse_expression(m.group(1)) for m in _BLOCK.finditer(text)]
    leftover = _BLOCK.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise TemplateError(f"unbalanced '{{{{' or '}}}}' in {text!r}")
    return result


def check(text: str, roots: Iterable[str] = ROOTS) -> list[str]:
    """Problems with a template string, as messages (empty when it is fine)."""
    allowed = set(roots)
    try:
        found = expressions(text)
    except TemplateError as exc:
        return [str(exc)]
    problems = []
    for expr in found:
        for ref in expr.refs():
            if ref.root not in allowed:
                problems.append(f"{{{{ {ref} }}}} is not available here (use {', '.join(sorted(allowed))})")
            elif ref.root == "incident" and ref.key not in INCIDENT_FIELDS:
                problems.append(
                    f"incident has no field {ref.key!r} (fields: {', '.join(sorted(INCIDENT_FIELDS))})"
                )
    return problems


def render(text: str, context: Context, safe: bool = False) -> str:
    """Substitute every expression in `text`, once, left to right.

    `safe=True` is for tool arguments: each value must match SAFE_VALUE. Otherwise (human text)
    values are flattened to one line and cut to MAX_TEXT_VALUE_CHARS.
    Raises MissingValue, UnsafeValue or TemplateError.
    """
    # Validate first so that a broken template never half-renders.
    expressions(text)

    def substitute(found: re.Match[str]) -> str:
        expr = parse_expression(found.group(1))
        value = context.lookup(expr.ref)
        trusted = False
        for fallback in expr.fallbacks:
            if value is not None:
                break
            if isinstance(fallback, Literal):
                value, trusted = fallback.text, True
            else:
                value = context.lookup(fallback)
        if value is None:
            raise MissingValue(str(expr.ref))
        for transform in expr.transforms:
            value = _transform(transform, value, str(expr.ref))
        if safe and trusted:
            return value
        if safe:
            if len(value) > MAX_VALUE_CHARS or not SAFE_VALUE.fullmatch(value):
                raise UnsafeValue(str(expr.ref), value)
            return value
        flat = " ".join(value.split())
        return flat if len(flat) <= MAX_TEXT_VALUE_CHARS else flat[: MAX_TEXT_VALUE_CHARS - 3] + "..."

    return _BLOCK.sub(substitute, text)


_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)")


_DEPLOYMENT_POD = re.compile(r"(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}")
"""A pod of a Deployment: NAME-<ReplicaSet hash>-<5 random>, both from Kubernetes' safe alphabet."""


def _transform(name: str, value: str, ref: str) -> str:
    if name == "workload":
        found = _DEPLOYMENT_POD.fullmatch(value)
        return found.group(1) if found else value
    if name == "lower":
        return value.lower()
    if name == "upper":
        return value.upper()
    found = _QUANTITY.fullmatch(value.strip())
    if not found:
        raise MissingValue(f"{ref} | double (value {value[:40]!r} is not a quantity like 256Mi)")
    doubled = float(found.group(1)) * 2
    number = str(int(doubled)) if doubled.is_integer() else f"{doubled:g}"
    return number + found.group(2)


def render_data(data: Any, context: Context, safe: bool = False) -> Any:
    """Render every string inside nested dicts and lists; other values pass through unchanged."""
    if isinstance(data, str):
        return render(data, context, safe=safe)
    if isinstance(data, Mapping):
        return {key: render_data(value, context, safe=safe) for key, value in data.items()}
    if isinstance(data, list):
        return [render_data(item, context, safe=safe) for item in data]
    return data


def strings_in(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string inside nested data with its path, so lint can check each template in place."""
    if isinstance(data, str):
        return [(path, data)]
    if isinstance(data, Mapping):
        return [item for key, value in data.items() for item in strings_in(value, (*path, str(key)))]
    if isinstance(data, list):
        return [item for index, value in enumerate(data) for item in strings_in(value, (*path, index))]
    return []
