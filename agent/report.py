"""The investigation report: ranked root-cause hypotheses, each citing the evidence that supports it.

One pydantic model, three renderings: rich for the terminal, Markdown for Slack, PagerDuty notes
and pull requests, JSON for machines. A report is always produced, even when a budget ran out or the
model failed: it is then marked incomplete and says why.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.gitops.remediation import Remediation


class EvidenceRef(BaseModel):
    id: str
    tool: str
    arguments: dict[str, Any]
    ok: bool
    step_id: str | None = None
    excerpt: str = ""
    """The first lines of the (redacted) result, for a reader of the report."""
    injection_flagged: bool = False


class Hypothesis(BaseModel):
    cause: str
    confidence: float = Field(ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)
    """Evidence ids (E1, E2, …) whose results support the hypothesis."""
    source: Literal["runbook", "triage", "model"] = "model"
    """runbook: a conclusion rule; triage: ranked from the cluster-wide scan, changes, topology and logs."""
    rule_id: str | None = None


class RuledOut(BaseModel):
    what: str
    why: str
    evidence: list[str] = Field(default_factory=list)


class Stats(BaseModel):
    model: str = "none (runbook-only)"
    model_turns: int = 0
    tool_calls: int = 0
    prefetched_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    fixed_prompt_tokens: int = 0
    refused_calls: int = 0
    context_window: int | None = None
    """The model's context window in tokens (configured or reported by its server); None: unknown."""
    context_source: str = ""
    """Where context_window came from: config, the server's endpoint, or unknown."""
    first_turn_tokens: int = 0
    """The first model turn (system prompt, tool specs, opening message), estimated (agent/context_fit.py)."""
    first_turn_model_tokens: int | None = None
    """The same in the model's own tokens, where its server has a tokenizer endpoint (llama.cpp)."""
    evidence_cut: int = 0
    """Evidence results shortened or left out of the first turn to fit the context window."""
    degenerate_outputs: int = 0
    """Model outputs cut because they looped or ran away (agent/llm/degenerate.py)."""
    repair_turns: int = 0
    """Turns spent asking the model to fix a final answer that was not in the report format."""


class Report(BaseModel):
    incident_id: str
    fingerprint: str
    title: str
    run_id: str
    runbook_id: str | None = None
    runbook_reasons: list[str] = Field(default_factory=list)
    summary: str = ""
    model_note: str = ""
    """The model's own summary when it was flagged (agent/investigation.py): shown quoted, never as the summary."""
    model_note_flags: list[str] = Field(default_factory=list)
    """Why it was flagged: instructs_reader, injection, contradicts_findings (guardrails/model_text.py)."""
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    ruled_out: list[RuledOut] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    remediation: Remediation | None = None
    """A GitOps change proposal, typed per action (agent/gitops/remediation.py), for `vigil propose` / the
    demo's PR; in JSON the same object (action + fields) as before. A runbook's manual fix is a next step."""
    evidence: list[EvidenceRef] = Field(default_factory=list)
    complete: bool = True
    incomplete_reason: str | None = None
    notes: list[str] = Field(default_factory=list)
    route: list[str] = Field(default_factory=list)
    """With `llm.route`: each step of the cascade (rules, local model, frontier model) and why it was taken."""
    stats: Stats = Field(default_factory=Stats)

    @property
    def top(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None

    def _flag_text(self) -> str:
        from guardrails.model_text import FLAG_TEXT

        return "; ".join(FLAG_TEXT.get(f, f) for f in self.model_note_flags) or "flagged"

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2)

    def to_markdown(self) -> str:
        lines = [f"# Vigil report: {self.title}", ""]
        if not self.complete:
            lines += [f"> **Incomplete**: {self.incomplete_reason}", ""]
        if self.summary:
            lines += [self.summary, ""]
        if self.model_note:
            lines += [f"> **The model's note (flagged: {self._flag_text()})**, quoted, not Vigil's conclusion:"]
            lines += [f"> {line}" for line in self.model_note.splitlines()] + [""]
        lines.append("## Root-cause hypotheses")
        if not self.hypotheses:
            lines.append("No hypothesis is supported by the evidence gathered.")
        for i, h in enumerate(self.hypotheses, 1):
            cites = ", ".join(h.evidence) or "no evidence cited"
            lines.append(f"{i}. **{h.cause}** (confidence {h.confidence:.0%}; evidence: {cites}; from {h.source})")
        if self.ruled_out:
            lines += ["", "## Ruled out"]
            lines += [f"- {r.what}: {r.why}" + (f" ({', '.join(r.evidence)})" if r.evidence else "")
                      for r in self.ruled_out]
        if self.next_steps:
            lines += ["", "## Next steps"] + [f"- {s}" for s in self.next_steps]
        if self.remediation:
            lines += ["", "## Proposed remediation", "```json", json.dumps(self.remediation.as_data(), indent=2), "```"]
        if self.route:
            lines += ["", "## Route"] + [f"- {step}" for step in self.route]
        lines += ["", "## Evidence"]
        for e in self.evidence:
            args = json.dumps(e.arguments, sort_keys=True)
            flag = " ⚠ contained instruction-like text, treated as data" if e.injection_flagged else ""
            lines.append(f"- **{e.id}** `{e.tool} {args}`{'' if e.ok else ' (failed)'}{flag}")
        s = self.stats
        lines += ["", f"_Runbook: {self.runbook_id or 'none'}; model: {s.model}; {s.model_turns} model turns; "
                      f"{s.tool_calls} tool calls ({s.prefetched_calls} prefetched); "
                      f"{s.input_tokens} tokens in, {s.output_tokens} out; ${s.cost_usd:.4f}; {s.seconds:.1f}s; "
                      f"run {self.run_id}_"]
        if s.first_turn_tokens:
            window = (f"a {s.context_window}-token window ({s.context_source})" if s.context_window
                      else "an unknown window")
            lines.append(f"_First model turn: {s.first_turn_tokens} tokens in {window}, {s.evidence_cut} evidence "
                         f"result(s) cut to fit; {s.degenerate_outputs} looping output(s) cut; "
                         f"{s.repair_turns} repair turn(s)_")
        return "\n".join(lines)

    def render_rich(self) -> Any:
        """A rich renderable for the terminal."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        parts: list[Any] = []
        if not self.complete:
            parts.append(Text(f"INCOMPLETE: {self.incomplete_reason}", style="bold yellow"))
        if self.summary:
            parts.append(Text(self.summary))
        if self.model_note:
            note = f"The model's note (flagged: {self._flag_text()}):\n  {self.model_note}"
            parts.append(Text(note, style="yellow"))
        if not self.hypotheses:
            parts.append(Text("No hypothesis is supported by the evidence gathered."))
        for i, h in enumerate(self.hypotheses, 1):
            line = Text(f"{i}. ", style="bold")
            line.append(h.cause, style="bold" if i == 1 else "")
            line.append(f"\n   confidence {h.confidence:.0%} · evidence {', '.join(h.evidence) or 'none'} · "
                        f"from {h.source}", style="dim")
            parts.append(line)
        if self.ruled_out:
            parts.append(Text("Ruled out:", style="bold"))
            parts += [Text(f"  - {r.what}: {r.why}") for r in self.ruled_out]
        if self.next_steps:
            parts.append(Text("Next steps:", style="bold"))
            parts += [Text(f"  - {s}") for s in self.next_steps]
        if self.remediation:
            parts.append(Text("Proposed remediation: " + json.dumps(self.remediation.as_data()), style="cyan"))
        ev = Table("id", "tool", "arguments", "", box=None, show_edge=False)
        for e in self.evidence:
            ev.add_row(e.id, e.tool, json.dumps(e.arguments, sort_keys=True)[:90],
                       ("ok" if e.ok else "failed") + (" ⚠ injection quarantined" if e.injection_flagged else ""))
        if self.route:
            parts.append(Text("Route: " + " → ".join(self.route), style="dim"))
        parts += [Text("Evidence:", style="bold"), ev]
        s = self.stats
        parts.append(Text(f"runbook {self.runbook_id or 'none'} · model {s.model} · {s.model_turns} turns · "
                          f"{s.tool_calls} tool calls ({s.prefetched_calls} prefetched) · "
                          f"{s.input_tokens}/{s.output_tokens} tokens · ${s.cost_usd:.4f} · {s.seconds:.1f}s",
                          style="dim"))
        return Panel(Group(*parts), title=f"Vigil report: {self.title}", border_style="cyan")
