"""The span tree of a scripted investigation, read back from the in-memory span exporter.

The model is agent.llm.scripted.ScriptedModel and the tools come from a small in-process MCP server
(the official SDK's in-memory transport), so the tree is deterministic: one trace, a root
`investigate` span, a `runbook_step` span per prefetched call, a `chat` span per model turn, an
`execute_tool` span per call with the server's own `tools/call` span under it, and a `guardrail`
span for every pipeline decision on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from agent.config import TelemetrySettings
from agent.llm.base import ToolCall
from agent.llm.scripted import ScriptedModel
from agent.prompts import SYSTEM_PROMPT
from agent.telemetry import in_memory_telemetry
from agent.telemetry.model import prompt_sha256
from tests.telemetry.conftest import CANARY, LOG_LINE, investigate, payments_incident

pytestmark = pytest.mark.anyio

ANSWER = '{"summary": "bad FX_RATE_SOURCE_TIMEOUT", "hypotheses": [{"cause": "bad env", "confidence": 0.9}]}'


def script() -> ScriptedModel:
    """Turn 1 reads logs (allowed) and describes a kube-system pod (denied by policy); turn 2 answers."""
    return ScriptedModel.of(
        [ToolCall(id="c1", name="k8s_logs", arguments={"name": "payments-x", "namespace": "payments"}),
         ToolCall(id="c2", name="k8s_describe", arguments={"kind": "Pod", "name": "x", "namespace": "kube-system"})],
        ANSWER,
    )


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def parent_of(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


def attribute_texts(spans: Sequence[ReadableSpan]) -> list[str]:
    """Every attribute value of every span and span event, as text."""
    texts: list[str] = []
    for span in spans:
        sources: list[Any] = [span.attributes or {}] + [e.attributes or {} for e in span.events]
        for attributes in sources:
            for value in attributes.values():
                texts += [str(v) for v in value] if isinstance(value, tuple | list) else [str(value)]
        texts.append(span.name)
        if span.status.description:
            texts.append(span.status.description)
    return texts


async def test_one_trace_with_steps_model_calls_tools_and_guardrails(tmp_path, telemetry):
    model = script()
    report, _ = await investigate(tmp_path, model)
    spans = telemetry.span_exporter.get_finished_spans()
    (root,) = named(spans, "investigate")
    trace_id = root.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    assert root.parent is None
    assert root.attributes["vigil.incident.id"] == report.incident_id
    assert root.attributes["vigil.incident.fingerprint"] == report.fingerprint
    assert root.attributes["vigil.runbook.id"] == report.runbook_id == "crashloopbackoff"
    assert root.attributes["vigil.team"] == "payments"
    assert root.attributes["vigil.complete"] is True

    steps = [s for s in in_trace if s.name.startswith("runbook_step ")]
    assert len(steps) == report.stats.prefetched_calls >= 3
    for step in steps:
        assert parent_of(step, in_trace) is root
        (tool_span,) = [s for s in in_trace if parent_of(s, in_trace) is step]
        assert tool_span.name == f"execute_tool {step.attributes['gen_ai.tool.name']}"
        assert tool_span.attributes["vigil.runbook.step"] == step.attributes["vigil.runbook.step"]

    chats = named(in_trace, "chat scripted")
    assert len(chats) == report.stats.model_turns == 2
    for chat in chats:
        assert parent_of(chat, in_trace) is root
        assert chat.attributes["gen_ai.operation.name"] == "chat"
        assert chat.attributes["gen_ai.system"] == chat.attributes["gen_ai.provider.name"] == "scripted"
        assert chat.attributes["gen_ai.request.model"] == chat.attributes["gen_ai.response.model"] == "scripted"
        assert chat.attributes["gen_ai.request.max_tokens"] == 2000
    assert chats[0].attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert chats[1].attributes["gen_ai.response.finish_reasons"] == ("end",)
    assert sum(c.attributes["gen_ai.usage.input_tokens"] for c in chats) == report.stats.input_tokens
    assert sum(c.attributes["gen_ai.usage.output_tokens"] for c in chats) == report.stats.output_tokens
    # the hash is of exactly what the model was shown on that turn
    for chat, turn in zip(chats, model.turns, strict=True):
        assert chat.attributes["vigil.prompt.sha256"] == prompt_sha256(turn.system, turn.messages)
    assert chats[0].attributes["vigil.prompt.sha256"] != chats[1].attributes["vigil.prompt.sha256"]


async def test_server_spans_join_the_agents_tool_span(tmp_path, telemetry):
    await investigate(tmp_path, script())
    spans = telemetry.span_exporter.get_finished_spans()
    (root,) = named(spans, "investigate")
    model_logs = [s for s in named(spans, "execute_tool k8s_logs") if parent_of(s, spans) is root]
    assert len(model_logs) == 1
    tool_span = model_logs[0]
    assert tool_span.attributes["vigil.guardrail.allowed"] is True
    assert tool_span.attributes["vigil.tool.server"] == "toy"
    (server_span,) = [s for s in named(spans, "tools/call k8s_logs") if parent_of(s, spans) is tool_span]
    assert server_span.context.trace_id == root.context.trace_id
    assert server_span.attributes["gen_ai.tool.name"] == "k8s_logs"
    guards = [s for s in spans if s.name == "guardrail k8s_logs"]
    agent_guard = next(s for s in guards if parent_of(s, spans) is tool_span)
    server_guard = next(s for s in guards if parent_of(s, spans) is server_span)
    assert agent_guard.attributes["vigil.guardrail.where"] == "agent"
    assert server_guard.attributes["vigil.guardrail.where"] == "server:toy"
    assert server_guard.attributes["vigil.guardrail.allowed"] is True
    layers = [e.attributes["vigil.guardrail.layer"] for e in agent_guard.events]
    assert layers == ["validation", "scoping", "rollback", "approval", "audit"]


async def test_a_denied_call_says_which_rule_and_never_reaches_the_server(tmp_path, telemetry):
    await investigate(tmp_path, script())
    spans = telemetry.span_exporter.get_finished_spans()
    (root,) = named(spans, "investigate")
    (denied,) = [s for s in named(spans, "execute_tool k8s_describe") if parent_of(s, spans) is root]
    assert denied.attributes["vigil.guardrail.allowed"] is False
    assert denied.attributes["vigil.guardrail.rule"] == "deny-kube-system"
    assert denied.attributes["vigil.guardrail.layer"] == "scoping"
    assert denied.attributes["vigil.tool.outcome"] == "denied"
    (guard,) = [s for s in spans if parent_of(s, spans) is denied]
    assert guard.name == "guardrail k8s_describe"
    assert guard.attributes["vigil.guardrail.allowed"] is False
    assert guard.attributes["vigil.guardrail.rule"] == "deny-kube-system"


async def test_no_prompt_or_tool_text_in_any_attribute(tmp_path, telemetry):
    await investigate(tmp_path, script())
    texts = attribute_texts(telemetry.span_exporter.get_finished_spans())
    joined = "\n".join(texts)
    assert CANARY not in joined  # in the incident title, the first user message and the logs
    assert LOG_LINE[:30] not in joined
    assert SYSTEM_PROMPT.strip()[:60] not in joined
    assert "crashlooping in namespace payments" not in joined
    hashes = [t for t in texts if re.fullmatch(r"[0-9a-f]{64}", t)]
    assert len(hashes) == 2  # one prompt hash per model turn and nothing else hash-like


async def test_redacted_mode_records_the_newest_message_without_secrets(tmp_path):
    setup = in_memory_telemetry(TelemetrySettings(record_prompts="redacted"))
    try:
        token = "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8"
        incident = payments_incident()
        incident.title += f" token {token}"
        await investigate(tmp_path, ScriptedModel.of("I am done"), incident=incident)
        (chat,) = named(setup.span_exporter.get_finished_spans(), "chat scripted")
        redacted = chat.attributes["vigil.prompt.redacted"]
        assert token not in redacted and "[REDACTED:github_token]" in redacted
        assert len(redacted) <= 2100
        assert len(chat.attributes["vigil.prompt.sha256"]) == 64
    finally:
        setup.shutdown()


async def test_telemetry_off_records_nothing(tmp_path):
    """With no setup (or after shutdown) the spans are dropped and the run behaves the same."""
    setup = in_memory_telemetry()
    exporter = setup.span_exporter
    setup.shutdown()
    report, _ = await investigate(tmp_path, script())
    assert report.complete and report.stats.model_turns == 2
    assert exporter.get_finished_spans() == ()
