"""One investigation: runbook, prefetch, model turns, report.

The loop is deliberately small. Choosing the runbook lives in agent/runbooks, the tool-call path
(guardrails, MCP, redaction, quarantine, budgets per result) in agent/toolhub, budgets and the model
interface in agent/llm, the prompt in agent/prompts, the report and its rendering in agent/report.
What is left here is the order of things:

1. match a runbook and fill its tool calls from the incident's labels;
2. run those calls in parallel before the model says anything;
3. evaluate the runbook's conclusion rules on that evidence (this alone is runbook-only mode);
4. with a model: turns until it answers or a budget is spent, refusing identical repeated calls;
5. merge the model's answer with the rule findings into one ranked report, never a bare error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import Span

from agent.context_fit import FirstTurn, first_turn_budget, fit_first_turn
from agent.gitops.remediation import Remediation
from agent.incident import Incident
from agent.llm.base import (
    STOP_MAX_TOKENS,
    Message,
    Model,
    ModelError,
    ModelResponse,
    ToolCall,
    ToolDef,
    Usage,
    prompt_size,
    tool_spec_text,
)
from agent.llm.budget import Budget, BudgetTracker
from agent.llm.context_window import ContextWindow
from agent.llm.degenerate import detect
from agent.llm.final_answer import FINAL_ANSWER_TOOL, FinalAnswer, final_answer_tool, salvage, validate_answer
from agent.llm.final_answer import fits as final_answer_fits
from agent.llm.route import RouteSettings, local_answer_problem, rules_conclusive, straight_to_frontier
from agent.model_answer import (
    grounding_problem,
    parse_answer,
    read_answer,
    remediation_problem,
    repair_request,
    specificity_problem,
    workload_of,
)
from agent.prompts import SYSTEM_PROMPT
from agent.report import EvidenceRef, Hypothesis, Report, RuledOut
from agent.runbooks.catalog import Catalog
from agent.runbooks.conclusions import conclude
from agent.runbooks.model import Conclusion, Runbook, RunbookMatch
from agent.runbooks.plan import plan_calls
from agent.telemetry import instrument_model, metrics, tracer
from agent.toolhub import ToolHub, ToolOutcome
from agent.triage import Candidate, Facts, rank, runbook_for, subject_of, survey, survey_evidence_ids, survey_facts
from guardrails.action import Action
from guardrails.pipeline import MODEL_CALL_TOOL
from mcp_servers.common.compact import estimate_tokens

Progress = Callable[[str, dict[str, Any]], None]
"""Called with an event name and details: `runbook`, `skipped`, `prefetch`, `tool`, `model`, `refused`, `done`."""


class Investigator:
    def __init__(self, hub: ToolHub, model: Model | None, catalog: Catalog, *, budget: Budget | None = None,
                 context_label: str = "cluster", default_context: str | None = None,
                 cluster_contexts: dict[str, str] | None = None,
                 max_output_tokens: int = 2000, progress: Progress | None = None,
                 route: RouteSettings | None = None, escalation: Model | None = None) -> None:
        self.hub = hub
        self.model = model
        self.catalog = catalog
        self.budget = budget or Budget()
        self.context_label = context_label
        self.default_context = default_context
        self.cluster_contexts = cluster_contexts or {}
        self.max_output_tokens = max_output_tokens
        self.progress = progress or (lambda event, details: None)
        self.route = route
        """`llm.route`: the cascade from rules to this model to `escalation` (agent/llm/route.py)."""
        self.escalation = escalation

    @property
    def team(self) -> str:
        """Whose budget and ledger rows this investigation counts against."""
        return self.hub.actor.team or self.hub.actor.name

    async def investigate(self, incident: Incident) -> Report:
        """One trace per investigation: the root `investigate` span holds every step, model and tool span."""
        with tracer().start_as_current_span("investigate") as span:
            if span.is_recording():
                span.set_attributes({"vigil.incident.id": incident.id,
                                     "vigil.incident.fingerprint": incident.fingerprint, "vigil.team": self.team,
                                     "vigil.actor": self.hub.actor.name,
                                     "vigil.run_id": self.hub.run_id, "gen_ai.operation.name": "invoke_agent"})
            report = await self._investigate(incident, span)
            metrics().record_investigation(report.stats.seconds, team=self.team, runbook=report.runbook_id,
                                           complete=report.complete)
            return report

    async def _investigate(self, incident: Incident, span: Span) -> Report:
        started = time.monotonic()
        subject = subject_of(incident)
        surveyed = await survey(self.hub, subject, incident.started_at,
                                lambda tool, arguments: self._with_context(tool, arguments, incident))
        suspects = rank(subject, surveyed.facts, surveyed.resolved)
        self.progress("survey", {"calls": len(surveyed.outcomes), "suspects": len(suspects),
                                 "outcomes": [{"id": o.evidence_id, "tool": o.tool, "ok": o.ok, "step": o.step_id}
                                              for o in surveyed.outcomes]})
        match = self._choose_runbook(incident, suspects)
        runbook = match.runbook if match else None
        runbook_reasons = match.reasons if match else []
        if span.is_recording():
            span.set_attribute("vigil.runbook.id", runbook.id if runbook else "none")
        self.progress("runbook", {"id": runbook.id if runbook else None, "reasons": runbook_reasons})
        planned = _with_suspect_labels(incident, suspects[0]) if suspects else incident
        prefetched = await self._prefetch(runbook, planned)
        evidence = {o.step_id: o.full_text for o in prefetched if o.ok and o.step_id}
        facts = {**survey_facts(surveyed), **{o.step_id: o.data for o in prefetched if o.ok and o.step_id and o.data}}
        conclusion = conclude(runbook, planned, evidence, facts) if runbook else None
        report = Report(incident_id=incident.id, fingerprint=incident.fingerprint, title=incident.title,
                        run_id=self.hub.run_id, runbook_id=runbook.id if runbook else None,
                        runbook_reasons=runbook_reasons)
        if conclusion is not None:
            _apply_conclusion(report, conclusion, prefetched, survey_evidence_ids(surveyed))
        _apply_suspects(report, suspects)
        if not report.hypotheses and surveyed.facts.scan is not None:
            report.next_steps += _unknown_next_steps(surveyed.facts)
        if self.model is not None:
            await self._reason(report, incident, runbook, surveyed.outcomes + prefetched, conclusion, suspects)
        else:
            report.summary = _runbook_summary(report)
        report.notes += [f"server {name} was unavailable: {why}" for name, why in self.hub.unavailable.items()]
        if not self.hub.tools():
            report.notes.append("no tool server is connected, so nothing could be checked: configure kubernetes, "
                                "prometheus, loki or codegraph in vigil.yaml (docs/configuration.md), or try "
                                "`vigil demo` to see a full investigation of a bundled incident")
        if self.hub.outcomes and not any(o.ok for o in self.hub.outcomes) and report.complete:
            report.complete = False
            report.incomplete_reason = ("every evidence call failed or was refused, so nothing was checked: "
                                        + _first_failure(self.hub.outcomes))
        report.evidence = [_evidence_ref(o) for o in self.hub.outcomes]
        report.stats.tool_calls = len(self.hub.outcomes)
        report.stats.prefetched_calls = len(prefetched) + len(surveyed.outcomes)
        report.stats.refused_calls = sum(1 for o in self.hub.outcomes if o.denied)
        report.stats.seconds = round(time.monotonic() - started, 3)
        if span.is_recording():
            span.set_attributes({"vigil.complete": report.complete, "vigil.tool_calls": report.stats.tool_calls,
                                 "vigil.model_turns": report.stats.model_turns,
                                 "gen_ai.usage.input_tokens": report.stats.input_tokens,
                                 "gen_ai.usage.output_tokens": report.stats.output_tokens})
            if report.incomplete_reason:
                span.set_attribute("vigil.incomplete_reason", report.incomplete_reason)
        self.progress("done", {"complete": report.complete})
        return report

    def _choose_runbook(self, incident: Incident, suspects: list[Candidate]) -> RunbookMatch | None:
        """The alert's own runbook; when its words match none (only the fallback), the runbook of the top suspect."""
        match = self.catalog.best(incident)
        if suspects and (match is None or match.score <= 0):
            wanted = runbook_for(suspects[0])
            chosen = self.catalog.get(wanted) if wanted else None
            if chosen is not None:
                reason = f"the top suspect's problem ({suspects[0].check}: {suspects[0].ref}) has this runbook"
                return RunbookMatch(runbook=chosen, score=0.0, reasons=[reason])
        return match

    # -- prefetch ----------------------------------------------------------------------------------------
    async def _prefetch(self, runbook: Runbook | None, incident: Incident) -> list[ToolOutcome]:
        if runbook is None:
            return []
        plan = plan_calls(runbook, incident)
        for skipped in plan.skipped:
            self.progress("skipped", {"step": skipped.step_id, "reason": skipped.reason})
        calls = [(c.step_id, c.tool, self._with_context(c.tool, dict(c.arguments), incident)) for c in plan.calls]
        self.progress("prefetch", {"calls": [f"{tool}" for _, tool, _ in calls]})
        runbook_id = runbook.id

        async def one(step_id: str, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
            with tracer().start_as_current_span(f"runbook_step {step_id}") as step_span:
                if step_span.is_recording():
                    step_span.set_attributes({"vigil.runbook.id": runbook_id, "vigil.runbook.step": step_id,
                                              "gen_ai.tool.name": tool})
                outcome = await self.hub.call(tool, arguments, step_id=step_id)
            self.progress("tool", {"id": outcome.evidence_id, "tool": tool, "ok": outcome.ok, "step": step_id})
            return outcome

        return list(await asyncio.gather(*(one(*c) for c in calls)))

    def _with_context(self, tool: str, arguments: dict[str, Any], incident: Incident) -> dict[str, Any]:
        """The incident's cluster label picks the kube context, so several clusters never get mixed up."""
        hub_tool = self.hub.get(tool)
        properties = (hub_tool.spec.input_schema.get("properties") or {}) if hub_tool else {}
        if "context" in properties and not arguments.get("context"):
            cluster = incident.labels.get(self.context_label)
            context = self.cluster_contexts.get(cluster, cluster) if cluster else self.default_context
            if context:
                arguments["context"] = context
        return arguments

    # -- model turns -------------------------------------------------------------------------------------
    async def _reason(self, report: Report, incident: Incident, runbook: Runbook | None,
                      prefetched: list[ToolOutcome], conclusion: Conclusion | None,
                      suspects: list[Candidate]) -> None:
        """The model's turns; with `llm.route`, the cascade, each step's reason in `report.route`."""
        assert self.model is not None
        route = self.route
        if route is None:
            await self._model_turns(report, incident, runbook, prefetched, self.model)
            return
        conclusive = rules_conclusive(report, route)
        if conclusive:
            report.route.append(conclusive)
            report.summary = _runbook_summary(report)
            return
        critical = straight_to_frontier(incident.severity, route) if self.escalation else None
        if critical and self.escalation is not None:
            report.route.append(critical)
            await self._model_turns(report, incident, runbook, prefetched, self.escalation)
            return
        before = report.model_copy(deep=True)
        report.route.append("local model: the rules and triage are inconclusive")
        await self._model_turns(report, incident, runbook, prefetched, self.model)
        problem = local_answer_problem(report, route) if self.escalation is not None else None
        if problem is None or self.escalation is None:
            return
        # The local answer is set aside: its tally and notes stay, its conclusions do not.
        local = report.stats.model_copy()
        kept = {"route": [*report.route, f"frontier model: {problem}"],
                "notes": [*report.notes, f"the local model's answer was set aside: {problem}"]}
        for name in Report.model_fields:
            setattr(report, name, kept.get(name, getattr(before, name)))
        await self._model_turns(report, incident, runbook, prefetched, self.escalation)
        stats = report.stats
        stats.model = f"{local.model} -> {stats.model}"
        stats.model_turns += local.model_turns
        stats.input_tokens += local.input_tokens
        stats.output_tokens += local.output_tokens
        stats.cost_usd = round(stats.cost_usd + local.cost_usd, 6)

    async def _model_turns(self, report: Report, incident: Incident, runbook: Runbook | None,
                           prefetched: list[ToolOutcome], chosen: Model) -> None:
        model = instrument_model(chosen)
        allowed = set(runbook.tools) if runbook and runbook.tools else None
        tools = [ToolDef(name=t.name, description=t.description, input_schema=t.spec.input_schema)
                 for t in self.hub.tools(allowed) if t.name != FINAL_ANSWER_TOOL]
        tracker = BudgetTracker(self.budget)
        report.stats.model = f"{chosen.provider}:{chosen.name}"
        window = await _context_window(chosen)
        # The final-answer tool is the loop's own: offered beside the evidence tools, never run on a server.
        if final_answer_fits(first_turn_budget(window.tokens, self.max_output_tokens)):
            tools.append(final_answer_tool())
        else:
            report.notes.append(f"the {FINAL_ANSWER_TOOL} tool was not offered, to fit the model's context window "
                                f"of {window.tokens} tokens; its answer was read from its text")
        fitted = await self._fit_first_turn(report, chosen, window, incident, runbook, prefetched, tools)
        tools = fitted.tools
        report.stats.fixed_prompt_tokens = prompt_size(SYSTEM_PROMPT, tools)
        if not fitted.fits:
            report.complete = False
            report.incomplete_reason = fitted.reason
            report.summary = _runbook_summary(report)
            return
        messages = [Message(role="user", content=fitted.message)]
        seen = {_call_key(o.tool, o.arguments): o.evidence_id for o in prefetched}
        left_out = {o.evidence_id: o for o in prefetched if o.evidence_id in fitted.cut}
        final: ModelResponse | None = None
        unusable: ModelResponse | None = None
        while True:
            spent = tracker.spent()
            if spent:
                report.complete = False
                report.incomplete_reason = f"the {spent} budget ran out before the model concluded"
                break
            refusal = await self._check_team_budget(tracker, model, messages, tools)
            if refusal:
                report.complete = False
                report.incomplete_reason = refusal
                break
            allowance = tracker.output_allowance(self.max_output_tokens)
            if window.tokens:
                room = window.tokens - prompt_size(SYSTEM_PROMPT, tools) - sum(estimate_tokens(m.content)
                                                                               for m in messages)
                if room < 256:
                    report.complete = False
                    report.incomplete_reason = (f"the conversation outgrew the model's context window of "
                                                f"{window.tokens} tokens before the model concluded")
                    break
                allowance = min(allowance, room)
            try:
                response = await model.complete(SYSTEM_PROMPT, messages, tools, allowance)
            except ModelError as exc:
                if unusable is not None:  # the repair turn failed: the unusable answer is the answer
                    report.notes.append(f"the turn asking the model to fix its answer failed: {exc}")
                    final = unusable
                    break
                report.complete = False
                report.incomplete_reason = f"the model failed: {exc}"
                break
            cost = tracker.record(response)
            self._record_usage(response, cost)
            self.progress("model", {"turn": tracker.steps, "tool_calls": len(response.tool_calls),
                                    "tokens": response.usage.total})
            report.notes += [f"repaired: {note}" for note in response.repaired]
            if _cut_degenerate(response, report):
                self.progress("degenerate", {"turn": tracker.steps})
            messages.append(response.as_message())  # keeps provider data such as thinking blocks
            submitted = _submitted(response)
            if submitted is not None or not response.tool_calls:
                problem = _answer_of(response)[1]
                if problem and report.stats.repair_turns == 0:
                    # One chance to fix the answer; a second failure falls back to the rules and suspects.
                    report.stats.repair_turns += 1
                    unusable = response
                    messages += _repair_messages(response, submitted, problem)
                    continue
                final = response
                break
            messages += await self._run_calls(response.tool_calls, seen, incident, left_out)
        status = tracker.status()
        report.stats.model_turns = status.steps
        report.stats.input_tokens = status.input_tokens
        report.stats.output_tokens = status.output_tokens
        report.stats.cost_usd = round(status.usd, 6)
        if final is not None:
            _apply_model_answer(report, final, _evidence_texts(self.hub.outcomes), _alert_words(incident))
        elif not report.summary:
            report.summary = _runbook_summary(report)

    async def _fit_first_turn(self, report: Report, chosen: Model, window: ContextWindow, incident: Incident,
                              runbook: Runbook | None, prefetched: list[ToolOutcome],
                              tools: list[ToolDef]) -> FirstTurn:
        """The opening fitted to the window (agent/context_fit.py), measured with the model's own
        tokenizer where its server has one; a count over budget refits once to the measured ratio."""
        budget = first_turn_budget(window.tokens, self.max_output_tokens)
        fitted = fit_first_turn(SYSTEM_PROMPT, incident, runbook, prefetched, report.hypotheses, tools, budget)
        counter = getattr(chosen, "count_tokens", None)
        counted = None
        if window.tokenize_url and counter is not None:
            counted = await counter(_first_turn_text(fitted))
            if counted and budget and counted > budget and fitted.fits:
                fitted = fit_first_turn(SYSTEM_PROMPT, incident, runbook, prefetched, report.hypotheses, tools,
                                        budget * fitted.tokens // counted)
                counted = await counter(_first_turn_text(fitted))
        report.stats.context_window, report.stats.context_source = window.tokens, window.source
        report.stats.first_turn_tokens, report.stats.first_turn_model_tokens = fitted.tokens, counted
        report.stats.evidence_cut = len(fitted.cut)
        if fitted.cut:
            report.notes.append(f"to fit the model's context window of {window.tokens} tokens, evidence "
                                f"{', '.join(fitted.cut)} went to the model shortened or left out")
        if fitted.findings_level:
            report.notes.append(f"to fit the model's context window of {window.tokens} tokens, Vigil's weaker "
                                "findings went to the model shortened" + (" or left out" if fitted.findings_level > 1
                                                                          else ""))
        return fitted

    async def _run_calls(self, calls: list[ToolCall], seen: dict[str, str], incident: Incident,
                         left_out: dict[str, ToolOutcome] | None = None) -> list[Message]:
        left_out = left_out if left_out is not None else {}

        async def one(call: ToolCall) -> Message:
            if call.error:
                return Message(role="tool", tool_call_id=call.id, name=call.name, content=call.error)
            key = _call_key(call.name, call.arguments)
            if key in seen and seen[key] in left_out:
                # Evidence cut from the first turn: the model asked for it, as the opening told it to.
                return Message(role="tool", tool_call_id=call.id, name=call.name,
                               content=left_out.pop(seen[key]).for_model())
            if key in seen:
                return Message(role="tool", tool_call_id=call.id, name=call.name,
                               content=f"refused: this exact call was already made as [{seen[key]}]; use that "
                                       "result, or change the arguments to learn something new")
            arguments = self._with_context(call.name, dict(call.arguments), incident)
            outcome = await self.hub.call(call.name, arguments)
            seen[key] = outcome.evidence_id
            self.progress("tool", {"id": outcome.evidence_id, "tool": call.name, "ok": outcome.ok})
            return Message(role="tool", tool_call_id=call.id, name=call.name, content=outcome.for_model())

        return list(await asyncio.gather(*(one(c) for c in calls)))

    async def _check_team_budget(self, tracker: BudgetTracker, model: Model, messages: list[Message],
                                 tools: list[ToolDef]) -> str | None:
        """Ask the pipeline whether the team may spend this turn's input; the reason to stop, or None.

        Checked before every turn, not once per investigation, so a team that runs out midway stops
        at the next turn with its report so far. The refusal is audited like any other denial.
        """
        estimated = prompt_size(SYSTEM_PROMPT, tools) + sum(estimate_tokens(m.content) for m in messages)
        priced = ModelResponse(model=model.name, provider=model.provider, usage=Usage(input_tokens=estimated))
        action = Action(actor=self.hub.actor, tool=MODEL_CALL_TOOL, run_id=self.hub.run_id,
                        arguments={"model": f"{model.provider}:{model.name}"}, estimated_tokens=estimated,
                        estimated_cost_usd=tracker.prices.cost(priced) or 0.0)
        verdict = await self.hub.pipeline.check_model_call(action)
        denial = verdict.denial
        if denial is None:
            return None
        self.progress("refused", {"what": "model call", "reason": denial.reason})
        return f"the model call was refused by the team budget: {denial.reason} (rule {denial.rule})"

    def _record_usage(self, response: ModelResponse, cost: float) -> None:
        pipeline = self.hub.pipeline
        actor = self.hub.actor
        metrics().record_llm_usage(provider=response.provider, model=response.model, team=self.team,
                                   input_tokens=response.usage.input_tokens,
                                   output_tokens=response.usage.output_tokens, usd=cost)
        if pipeline.ledger is not None:
            pipeline.ledger.record(team=self.team, actor=actor.name, provider=response.provider,
                                   model=response.model, input_tokens=response.usage.input_tokens,
                                   output_tokens=response.usage.output_tokens, usd=cost, run_id=self.hub.run_id)


def _call_key(tool: str, arguments: dict[str, Any]) -> str:
    return tool + json.dumps(arguments, sort_keys=True, default=str)


def _evidence_ref(outcome: ToolOutcome) -> EvidenceRef:
    excerpt = "\n".join(outcome.text.splitlines()[:6])
    return EvidenceRef(id=outcome.evidence_id, tool=outcome.tool, arguments=outcome.arguments, ok=outcome.ok,
                       step_id=outcome.step_id, excerpt=excerpt[:600],
                       injection_flagged=bool(outcome.injection and outcome.injection.suspicious))


def _apply_conclusion(report: Report, conclusion: Conclusion, prefetched: list[ToolOutcome],
                      survey_ids: dict[str, str]) -> None:
    by_step = {o.step_id: o.evidence_id for o in prefetched if o.step_id}
    by_step.update(survey_ids)
    remedied = False
    for finding in conclusion.findings:
        report.hypotheses.append(Hypothesis(cause=finding.text, confidence=finding.confidence, source="runbook",
                                            rule_id=finding.rule_id,
                                            evidence=[by_step[s] for s in finding.cites if s in by_step]))
        if finding.remediation and not remedied and not finding.remediation.missing:
            remedied = True
            _take_rule_remediation(report, finding.rule_id, finding.remediation.action, finding.remediation.fields)
    for ruled in conclusion.ruled_out:
        report.ruled_out.append(RuledOut(what=ruled.title, why=ruled.reason,
                                         evidence=[by_step[s] for s in ruled.cites if s in by_step]))
    for undecided in conclusion.undetermined:
        missing = ", ".join(undecided.missing_steps)
        report.notes.append(f"could not decide '{undecided.title}': no evidence from {missing}")
    failed = [o for o in prefetched if not o.ok]
    for o in failed:
        arguments = json.dumps(o.arguments, sort_keys=True)
        report.next_steps.append(f"Re-run {o.tool} {arguments}: it failed ({o.text[:160]})")
    report.hypotheses.sort(key=lambda h: h.confidence, reverse=True)


async def _context_window(model: Model) -> ContextWindow:
    """The model's context window where its provider can tell (configured or asked from its server)."""
    finder = getattr(model, "context_window", None)
    if finder is None:
        return ContextWindow(None, "unknown")
    try:
        return await finder()
    except Exception:  # a window lookup must never cost the investigation; the window is then unknown
        return ContextWindow(None, "unknown")


def _first_turn_text(fitted: FirstTurn) -> str:
    return "\n".join([SYSTEM_PROMPT, *(tool_spec_text(t) for t in fitted.tools), fitted.message])


def _evidence_texts(outcomes: list[ToolOutcome]) -> dict[str, str]:
    """Each evidence id with everything its result says (text and structured facts), for checking claims."""
    return {o.evidence_id: o.full_text + ("\n" + json.dumps(o.data, default=str) if o.data else "")
            for o in outcomes}


def _cut_degenerate(response: ModelResponse, report: Report) -> bool:
    """Cut a looping or runaway output where the loop starts, count it, say so; True when cut."""
    found = detect(response.text, hit_token_limit=response.stop_reason == STOP_MAX_TOKENS)
    if found is None:
        return False
    response.text = found.kept
    report.stats.degenerate_outputs += 1
    report.notes.append(f"the model's output degenerated ({found.kind}: {found.detail}) and was cut")
    return True


def _submitted(response: ModelResponse) -> ToolCall | None:
    """The response's final-answer call (the last, if it made several), or None."""
    return next((c for c in reversed(response.tool_calls) if c.name == FINAL_ANSWER_TOOL), None)


def _answer_of(response: ModelResponse) -> tuple[FinalAnswer | None, str | None, object]:
    """The response's answer, validated: from its `submit_answer` call, else from its text.

    (answer, None, data), or (None, what is wrong, the data as given) for one not in the report format.
    """
    call = _submitted(response)
    if call is None:
        data = parse_answer(response.text)[0]
        return (*read_answer(response.text), data)
    if call.error:  # the tool-call repair step already named the field and the expected type
        return None, call.error, call.arguments
    return (*validate_answer(call.arguments), call.arguments)


def _repair_messages(response: ModelResponse, submitted: ToolCall | None, problem: str) -> list[Message]:
    """The turn that asks for a fixed answer: a tool result for every call of a `submit_answer` turn
    (providers want each call answered; the other calls are not run), else one user message."""
    if submitted is None:
        return [Message(role="user", content=repair_request(problem))]
    return [Message(role="tool", tool_call_id=c.id, name=c.name,
                    content=repair_request(problem) if c is submitted else
                    f"not run: it came with {FINAL_ANSWER_TOOL}, which ends the investigation")
            for c in response.tool_calls]


def _alert_words(incident: Incident) -> list[str]:
    """What the alert itself says (title, labels, summaries): a model hypothesis made only of this
    and state words restates the symptom (agent/model_answer.specificity_problem)."""
    return [incident.title, " ".join(f"{v} {incident.labels.get('namespace', '')}/{v}"
                                     for v in incident.labels.values())]


def _apply_model_answer(report: Report, response: ModelResponse, evidence: dict[str, str],
                        alert_words: list[str] | None = None) -> None:
    """Merge the model's validated answer into the report; one not in the report format is noted, not fatal.

    An answer whose only fault is its remediation keeps its hypotheses (the fix is then the rules').
    A model hypothesis leads only when it is grounded (agent/model_answer.py): it cites evidence that
    exists and names no object that evidence does not mention. Ungrounded ones follow every rule
    finding and suspect, and an answer with nothing grounded is shown as the model's note.
    """
    answer, problem, data = _answer_of(response)
    if answer is None:
        answer, why = salvage(data)
        if answer is not None:
            report.notes.append(f"the model's remediation{_target_text(data)} was not used: it is not valid ({why})")
    if answer is None:
        report.notes.append(f"the model's final answer was not in the report format ({problem}); "
                            "the rule findings and suspects stand, its text is shown as its note")
        shown = response.text.strip() or json.dumps(data, default=str)
        report.model_note = shown[:2000]
        report.model_note_flags = ["not in the report format"]
        report.summary = _runbook_summary(report)
        return
    known_ids = set(evidence)
    report.summary = answer.summary[:2000]
    dropped: set[str] = set()

    def cites(ids: list[str]) -> list[str]:
        dropped.update(i for i in ids if i not in known_ids)
        return [i for i in ids if i in known_ids]

    grounded: list[Hypothesis] = []
    ungrounded: list[tuple[Hypothesis, str]] = []
    for h in answer.hypotheses:
        hypothesis = Hypothesis(cause=h.cause, confidence=h.confidence, evidence=cites(h.evidence), source="model")
        why = (grounding_problem(hypothesis.cause, hypothesis.evidence, evidence)
               or specificity_problem(hypothesis.cause, alert_words or [report.title], evidence))
        if why:
            ungrounded.append((hypothesis, why))
        else:
            grounded.append(hypothesis)
    # The model saw the rule findings; its grounded ranking comes first, rule findings it did not restate
    # follow, unless its words are flagged (guardrails/model_text.py): then the rule findings keep the lead.
    ranked = sorted(grounded, key=lambda h: h.confidence, reverse=True)
    flagged = _screen_model_summary(report, ranked + [h for h, _ in ungrounded])
    if flagged:
        report.hypotheses = report.hypotheses + ranked
    else:
        report.hypotheses = ranked + report.hypotheses
    _demote_ungrounded(report, ungrounded, flagged or bool(ranked))
    for r in answer.ruled_out:
        report.ruled_out.append(RuledOut(what=r.what, why=r.why, evidence=cites(r.evidence)))
    report.next_steps += [s for s in answer.next_steps if s]
    if answer.remediation is not None:
        _take_model_remediation(report, answer.remediation, evidence)
    if dropped:
        report.notes.append(f"dropped citations of evidence that does not exist: {', '.join(sorted(dropped))}")


def _target_text(data: object) -> str:
    """` (ACTION on NS/NAME)` for a remediation as the model wrote it, as far as it can be read."""
    remediation = data.get("remediation") if isinstance(data, dict) else None
    if not isinstance(remediation, dict):
        return ""
    target = workload_of(remediation)
    where = f" on {'/'.join(p for p in target if p)}" if target else ""
    return f" ({remediation.get('action')}{where})"


def _take_rule_remediation(report: Report, rule_id: str, action: str, fields: dict[str, Any]) -> None:
    """A runbook rule's remediation, typed: a manual one is a next step for a human, an invalid one a note."""
    if action == "manual":
        reason = str(fields.get("reason") or "the runbook marks this fix as one a human makes")
        report.next_steps.append(f"By hand (rule {rule_id}): {reason}")
        return
    try:
        report.remediation = Remediation.model_validate({**fields, "action": action})
    except ValueError as exc:
        report.notes.append(f"the remediation of rule {rule_id} ({action}) is not valid, so none is proposed: "
                            f"{' '.join(str(exc).split())[:300]}")


def _demote_ungrounded(report: Report, ungrounded: list[tuple[Hypothesis, str]], summary_kept: bool) -> None:
    """Ungrounded model hypotheses rank below every other one; with nothing grounded they are only a note."""
    if not ungrounded:
        return
    for hypothesis, why in ungrounded:
        report.notes.append(f"the model's hypothesis '{hypothesis.cause[:120]}' {why}; it does not lead")
    others = [h for h in report.hypotheses if h.source != "model"]
    if others:
        floor = min(h.confidence for h in others)
        for hypothesis, _ in ungrounded:
            hypothesis.confidence = round(min(hypothesis.confidence, max(0.0, floor - 0.05)), 2)
        report.hypotheses += [h for h, _ in sorted(ungrounded, key=lambda pair: pair[0].confidence, reverse=True)]
    if not summary_kept and not report.model_note:
        report.model_note = report.summary or "; ".join(h.cause for h, _ in ungrounded)
        report.model_note_flags = ["cites no evidence that supports it"]
        report.summary = _runbook_summary(report)


def _take_model_remediation(report: Report, remediation: Remediation, evidence: dict[str, str]) -> None:
    """The model's remediation replaces the rule's only for the workload the evidence and top finding name."""
    top = next(((h.cause, h.evidence) for h in report.hypotheses if h.source != "model"), None)
    rule = report.remediation.as_data() if report.remediation else None
    why = remediation_problem(remediation.as_data(), rule, top, evidence)
    if why:
        report.notes.append(f"the model's remediation ({remediation.action}) was not used: {why}")
        return
    report.remediation = remediation


def _with_suspect_labels(incident: Incident, suspect: Candidate) -> Incident:
    """The incident as the runbook's steps see it: labels it lacks are filled from the top suspect.

    An alert that names a Deployment but no pod, or a question that names nothing, still gets its
    pod steps run on a real failing pod. Labels the alert carries always win.
    """
    ref = suspect.ref
    if ref is None:
        return incident
    extra: dict[str, str] = {}
    if ref.namespace:
        extra["namespace"] = ref.namespace
    kind = ref.kind.lower()
    if kind in ("deployment", "statefulset", "daemonset", "job", "cronjob", "service", "node",
                "persistentvolumeclaim", "horizontalpodautoscaler"):
        extra[kind] = ref.name
    if kind == "pod":
        extra["pod"] = ref.name
    missing = {k: v for k, v in extra.items() if not incident.labels.get(k)}
    if not missing:
        return incident
    return incident.model_copy(update={"labels": {**missing, **incident.labels}})


def _apply_suspects(report: Report, suspects: list[Candidate]) -> None:
    """Merge triage's suspects with the runbook's findings into one ranking.

    Both cite evidence; triage reads structured facts of the whole cluster, a runbook rule reads one
    runbook's text. When they agree (the rule names the top suspect) the rule's finding keeps its
    place; when they disagree, the suspect backed by the cluster-wide facts leads.
    """
    if not suspects:
        return
    top = suspects[0]
    # A rule that restates a suspect's facts adds nothing but a second line: the suspect says more.
    report.hypotheses = [h for h in report.hypotheses if not (
        h.source == "runbook" and any(h.cause.rstrip(".") in s.cause or _restates(h, s) for s in suspects))]
    corroborated = False
    for hypothesis in report.hypotheses:
        agrees = top.ref is not None and top.ref.name.lower() in hypothesis.cause.lower()
        if hypothesis.source == "runbook" and not agrees:
            hypothesis.confidence = round(min(hypothesis.confidence, max(0.05, top.confidence - 0.05)), 2)
        corroborated = corroborated or (hypothesis.source == "runbook" and agrees)
    if corroborated:  # two independent readings of the evidence name the same object: more certain
        top.confidence = min(0.97, max(top.confidence + 0.05, max(h.confidence for h in report.hypotheses) + 0.01))
    for suspect in suspects:
        if any(suspect.cause == h.cause for h in report.hypotheses):
            continue
        report.hypotheses.append(Hypothesis(cause=suspect.cause, confidence=round(suspect.confidence, 2),
                                            evidence=suspect.evidence, source="triage",
                                            rule_id=f"triage:{suspect.check}" if suspect.check else "triage"))
    report.hypotheses.sort(key=lambda h: h.confidence, reverse=True)


def _restates(hypothesis: Hypothesis, suspect: Candidate) -> bool:
    """A fact rule over the survey alone (its evidence is the suspect's own) that names the suspect's object."""
    return (bool(hypothesis.evidence) and set(hypothesis.evidence) <= set(suspect.evidence)
            and suspect.ref is not None and str(suspect.ref) in hypothesis.cause)


def _unknown_next_steps(facts: Facts) -> list[str]:
    """An honest unknown still says what was looked at and where to look next."""
    findings = facts.findings()
    steps = [f"Nothing the scan found ({len(findings)} problem(s) cluster-wide) relates to this incident; "
             "check the alerting service's own metrics and logs for the symptom's start time"]
    if facts.change_list():
        steps.append(f"Review the {len(facts.change_list())} change(s) in the window before the symptom "
                     f"({facts.changes_id})")
    from agent.triage import subject_resolve  # what the alert carried that nothing in the cluster answered to

    return steps + subject_resolve.tried(facts)


def _first_failure(outcomes: list[ToolOutcome]) -> str:
    first = outcomes[0]
    return f"{first.tool}: {' '.join(first.text.split())[:200]}"


def _screen_model_summary(report: Report, model_hypotheses: list[Hypothesis]) -> bool:
    """A model's summary that instructs the reader, carries injection or contradicts the rule findings
    is not shown as the summary: it becomes the quoted, flagged model note. True when flagged."""
    from guardrails.model_text import screen_model_text

    rule_findings = [h.cause for h in report.hypotheses if h.source != "model"]
    said = "\n".join([report.summary, *(h.cause for h in model_hypotheses)])
    verdict = screen_model_text(said, rule_findings)
    if not verdict.flagged:
        return False
    report.model_note, report.model_note_flags = report.summary, list(verdict.flags)
    lead = f" The strongest rule finding: {rule_findings[0]}" if rule_findings else ""
    report.summary = (f"The model's answer was flagged ({verdict.describe()}); it is shown below as its note, "
                      f"and Vigil's own findings lead.{lead}")
    report.notes.append(f"the model's answer was flagged: {verdict.describe()}")
    return True


def _runbook_summary(report: Report) -> str:
    mode = "Runbook-only triage" if report.stats.model_turns == 0 else "The model did not conclude usably"
    if report.top is None:
        return f"{mode}: the runbook's checks support no root cause; see the evidence and next steps."
    count = len(report.hypotheses)
    return (f"{mode}: the conclusion rules of runbook {report.runbook_id} found {count} "
            f"hypothes{'is' if count == 1 else 'es'} in the evidence, strongest first.")

