"""Fitting the first model turn to the model's context window.

The first turn carries everything Vigil already knows: the incident, the runbook's steps, the
findings of its rules and triage, and the evidence behind them. With a frontier model that is
cheap; with a small local model an 8k window fills up before the question is asked, and the server
either rejects the request or silently drops the start of the prompt. So the turn is fitted:

- tool results go in whole while they fit, then the least important are shortened to their first
  lines and finally left out as one line each (the call, which the model can repeat), least important
  first (evidence that no finding cites, then the runbook's, then the survey's, then cited evidence);
- the runbook's prose goes before cited evidence does; its step titles and calls always stay;
- the findings and suspects are the compact conclusion of the evidence: only when every result is left
  out are the weaker ones shortened, then left out, the three strongest kept;
- last, evidence no finding cites is not listed at all (only counted), least important first;
- tool specs are compacted (first sentence of each description) when they would take much of it.

An opening that cannot fit even then is reported, not sent: the report says why it is incomplete.
The budget for the first turn is half the window (later turns add tool results), and never more
than the window less the answer's allowance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.llm.base import ToolDef, prompt_size
from agent.prompts import OMITTED, first_user_message
from mcp_servers.common.compact import estimate_tokens

TOOLS_SHARE = 0.4
"""Tool specs taking more than this share of the budget are compacted."""
REPLY_RESERVE = 256
"""Tokens kept free besides the answer's allowance (chat template markers, the model's turn header)."""
_SENTENCE = re.compile(r"^(.+?(?<!e\.g)(?<!i\.e)[.!?])(?:\s|$)", re.DOTALL)
_DROPPED_KEYS = {"title", "examples", "$comment", "pattern", "minLength", "maxLength", "minimum", "maximum",
                 "exclusiveMinimum", "exclusiveMaximum", "format"}
"""Constraints the server and the tool-call repair still enforce; the model does not need to read them."""
VIGIL_ARGUMENTS = {"context", "budget_tokens"}
"""Arguments Vigil fills itself (the incident's cluster context, the result budget): not offered in compact specs."""


@dataclass
class FirstTurn:
    """The fitted opening: what to send and what it cost."""

    message: str
    tools: list[ToolDef]
    tokens: int
    """System prompt, tool specs and message, estimated."""
    budget: int | None
    cut: list[str] = field(default_factory=list)
    """Evidence ids shortened or left out."""
    compact_tools: bool = False
    fits: bool = True
    reason: str | None = None
    findings_level: int = 0
    """How far the findings were shortened (agent/prompts.py findings_block): 0 not at all."""


def first_turn_budget(window: int | None, max_output_tokens: int) -> int | None:
    """Tokens the first turn may take in a window of `window`; None when the window is unknown."""
    if not window:
        return None
    return max(0, min(window // 2, window - max_output_tokens - REPLY_RESERVE))


def _first_sentence(text: str, limit: int) -> str:
    text = " ".join(text.split())
    match = _SENTENCE.match(text)
    short = match.group(1) if match else text
    return short if len(short) <= limit else short[: limit - 3] + "..."


def _compact_schema(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED_KEYS:
                continue
            if key == "description" and isinstance(value, str):
                out[key] = _first_sentence(value, 80)
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: _compact_schema(sub) for name, sub in value.items() if name not in VIGIL_ARGUMENTS}
            elif key == "default" and value is None:
                continue
            else:
                out[key] = _compact_schema(value)
        branches = out.get("anyOf")
        if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
            # Optional[X] as JSON Schema spells it: X is all the model needs to know.
            out.pop("anyOf")
            out.update(next(b for b in branches if b != {"type": "null"}))
        return out
    if isinstance(node, list):
        return [_compact_schema(v) for v in node]
    return node


def compact_tool(tool: ToolDef) -> ToolDef:
    """The same tool with one-sentence descriptions and no titles or examples in its schema."""
    return ToolDef(name=tool.name, description=_first_sentence(tool.description, 160),
                   input_schema=_compact_schema(tool.input_schema))


def _importance(outcomes: list[Any], hypotheses: list[Any]) -> list[str]:
    """Evidence ids, least important first: uncited non-runbook, uncited runbook, then cited (weakest first)."""
    cited: list[str] = []
    for h in hypotheses:
        cited += [e for e in h.evidence if e not in cited]
    ids = [o.evidence_id for o in outcomes]
    survey = [i for o, i in zip(outcomes, ids, strict=True) if not _is_runbook_step(o) and i not in cited]
    steps = [i for o, i in zip(outcomes, ids, strict=True) if _is_runbook_step(o) and i not in cited]
    return list(reversed(survey)) + list(reversed(steps)) + [i for i in reversed(cited) if i in ids]


def _is_runbook_step(outcome: Any) -> bool:
    return bool(outcome.step_id) and not str(outcome.step_id).startswith("survey")


def fit_first_turn(system: str, incident: Any, runbook: Any | None, outcomes: list[Any], hypotheses: list[Any],
                   tools: list[ToolDef], budget: int | None) -> FirstTurn:
    """The opening message and tool specs, fitted to `budget` tokens (None: no limit, all in whole)."""
    levels: dict[str, int] = {}
    runbook_text = True
    findings_level = 0

    def build(specs: list[ToolDef]) -> tuple[str, int]:
        message = first_user_message(incident, runbook, outcomes, hypotheses, levels, runbook_text=runbook_text,
                                     findings_level=findings_level)
        return message, prompt_size(system, specs) + estimate_tokens(message)

    message, tokens = build(tools)
    if budget is None or tokens <= budget:
        return FirstTurn(message, tools, tokens, budget)
    specs, compacted = tools, False
    if prompt_size(system, tools) > TOOLS_SHARE * budget:
        specs, compacted = [compact_tool(t) for t in tools], True
        message, tokens = build(specs)
    order = _importance(outcomes, hypotheses)
    # Shorten everything to its head before leaving anything out; the runbook's prose goes just
    # before cited evidence is touched.
    cited_from = next((n for n, i in enumerate(order) if any(i in h.evidence for h in hypotheses)), len(order))
    plan: list[tuple[str, int] | None] = [(i, 1) for i in order[:cited_from]] + [None]
    plan += [(i, 1) for i in order[cited_from:]] + [(i, 2) for i in order]
    for step in plan:
        if tokens <= budget:
            break
        if step is None:
            runbook_text = False
        else:
            evidence_id, level = step
            levels[evidence_id] = max(levels.get(evidence_id, 0), level)
        message, tokens = build(specs)
    # Last, the findings themselves: the weaker ones shortened, then only the strongest, shortened.
    # They are Vigil's own conclusions, which the model can re-derive with its tools; a window too
    # small for all of them still gets the leading suspects rather than no model turn at all.
    while tokens > budget and findings_level < 2:
        findings_level += 1
        message, tokens = build(specs)
    # Then evidence no finding cites is not even listed, least important first: a long survey's one-line
    # stubs alone can outgrow a small window, and the model can repeat any call it needs.
    for evidence_id in order[:cited_from]:
        if tokens <= budget:
            break
        levels[evidence_id] = OMITTED
        message, tokens = build(specs)
    cut = [i for i in order if levels.get(i)]
    if tokens <= budget:
        return FirstTurn(message, specs, tokens, budget, cut, compacted, findings_level=findings_level)
    reason = (f"the model's context window is too small for even the compact first turn: it needs about "
              f"{tokens} tokens with every tool result left out, uncited ones not listed, and only the strongest "
              "findings, shortened, "
              f"and the window leaves {budget} for it; "
              "use a model with a larger context window (llm.context_window, docs/providers.md)")
    return FirstTurn(message, specs, tokens, budget, cut, compacted, fits=False, reason=reason,
                     findings_level=findings_level)
