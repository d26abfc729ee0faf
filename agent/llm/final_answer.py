"""The model's final answer as a typed object, and the tool through which a model hands it in.

The answer used to be a regex over a fenced JSON block, taken unchecked: a confidence of "high", a
hypothesis without a cause or a remediation with a made-up field went straight into the report.
Now one pydantic model says what an answer is. A model that can call tools calls `submit_answer`,
whose input schema is that model's JSON schema (so the provider shows the model the exact shape);
a small model that writes text still may, and its fenced JSON is validated through the same model.
Either way an invalid answer comes back as a list of what is wrong, field by field, for one repair
turn (agent/investigation.py).

`submit_answer` is Vigil's own: the loop takes it before any tool server sees a call, and it never
becomes evidence.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.gitops.remediation import Remediation
from agent.llm.base import ToolDef, tool_spec_text
from mcp_servers.common.compact import estimate_tokens

FINAL_ANSWER_TOOL = "submit_answer"
"""The final-answer tool's name; a tool server's tool of the same name is not offered to the model."""

_MAX_ERRORS = 4


class AnswerHypothesis(BaseModel):
    """One root cause the model proposes, with the evidence ids that support it."""

    cause: str = Field(min_length=1, description="The root cause in one sentence, naming the object.")
    confidence: float = Field(ge=0, le=1, description="0.0 to 1.0.")
    evidence: list[str] = Field(default_factory=list, description='Evidence ids such as ["E1", "E3"].')


class AnswerRuledOut(BaseModel):
    """A cause the evidence excludes, and why."""

    what: str = Field(min_length=1)
    why: str = ""
    evidence: list[str] = Field(default_factory=list)


class FinalAnswer(BaseModel):
    """The model's conclusion. Extra keys are ignored (small models add some), wrong types are not."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(default="", description="One or two sentences.")
    hypotheses: list[AnswerHypothesis] = Field(default_factory=list,
                                               description="Most likely first; each cites evidence ids.")
    ruled_out: list[AnswerRuledOut] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    remediation: Remediation | None = Field(
        default=None, description="A GitOps fix for a human to approve, or null. Only the fields its action takes.")

    @field_validator("hypotheses", "ruled_out", "next_steps", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        """`null` for a list is a small model's way of saying "none"; it has one reading."""
        return [] if value is None else value


def answer_errors(exc: ValidationError) -> str:
    """The validation errors in a sentence a model can act on: each field path and what is wrong."""
    parts = []
    for error in exc.errors()[:_MAX_ERRORS]:
        where = ".".join(str(p) for p in error["loc"] if not _is_union_tag(p)) or "(answer)"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"`{where}`: {message}")
    more = len(exc.errors()) - _MAX_ERRORS
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _is_union_tag(part: object) -> bool:
    """Pydantic puts the chosen action's tag in an error's path (remediation.set_env.name); the model never wrote it."""
    return isinstance(part, str) and part.startswith(("set_", "rollback_"))


def validate_answer(data: object) -> tuple[FinalAnswer | None, str | None]:
    """(the answer, None), or (None, what is wrong with it, field by field)."""
    if not isinstance(data, dict):
        return None, "the answer is not a JSON object"
    try:
        return FinalAnswer.model_validate(data), None
    except ValidationError as exc:
        return None, f"the answer does not fit the report format: {answer_errors(exc)}"


def salvage(data: object) -> tuple[FinalAnswer | None, str | None]:
    """The answer without its remediation, when only the remediation is wrong: (answer, why it was dropped).

    Used after the repair turn, so good hypotheses are not lost to a malformed fix; the fix is then
    the rules' (or none), as for any remediation Vigil does not take.
    """
    if not isinstance(data, dict) or data.get("remediation") is None:
        return None, None
    try:
        Remediation.model_validate(data["remediation"])
    except ValidationError as exc:
        why = answer_errors(exc)
    else:
        return None, None
    answer, problem = validate_answer({k: v for k, v in data.items() if k != "remediation"})
    return (answer, why) if problem is None else (None, None)


def _schema() -> dict[str, Any]:
    """FinalAnswer's JSON schema without titles or class docstrings (paid for on every turn; titles repeat
    the names, docstrings are written for Vigil's developers). Field descriptions stay."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if not (k in ("title", "additionalProperties") and isinstance(v, str | bool))}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    schema: dict[str, Any] = strip(FinalAnswer.model_json_schema())
    for node in [schema, *schema.get("$defs", {}).values()]:
        node.pop("description", None)
    return schema


BUDGET_SHARE = 8
"""The tool is offered only when its schema is at most 1/8 of the first turn's budget: in a small window
(an 8k local model) its ~1.3k tokens would push evidence out, and such models answer in text anyway."""


def fits(budget: int | None) -> bool:
    """Does the final-answer tool fit a first turn of `budget` tokens (None: the window is unknown)?"""

    return budget is None or estimate_tokens(tool_spec_text(final_answer_tool())) * BUDGET_SHARE <= budget


def final_answer_tool() -> ToolDef:
    """The tool a model calls with its final answer; its input schema is FinalAnswer's."""
    return ToolDef(name=FINAL_ANSWER_TOOL,
                   description="Hand in your final answer (call it once, when you are done investigating). "
                               "Cite only evidence ids shown to you.",
                   input_schema=_schema())
