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
from tests.telemetry.conftest import CANARY, LOG_LINE, attrs, finished, investigate, payments_incident

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
    spans = finished(telemetry)
    (root,) = named(spans, "investigate")
    trace_id = root.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    assert root.parent is None
    assert attrs(root)["vigil.incident.id"] == report.incident_id
    assert attrs(root)["vigil.incident.fingerprint"] == report.fingerprint
    assert attrs(root)["vigil.runbook.id"] == report.runbook_id == "crashloopbackoff"
    assert attrs(root)["vigil.team"] == "payments"
    assert attrs(root)["vigil.complete"] is True

    steps = [s for s in in_trace if s.name.startswith(("runbook_step ", "survey_step "))]
    assert len(steps) == report.stats.prefetched_calls >= 3
    assert any(s.name.startswith("survey_step ") for s in steps), "the survey's calls are traced too"
    for step in steps:
        assert parent_of(step, in_trace) is root
        (tool_span,) = [s for s in in_trace if parent_of(s, in_trace) is step]
        assert tool_span.name == f"execute_tool {attrs(step)['gen_ai.tool.name']}"
        assert attrs(tool_span)["vigil.runbook.step"] == attrs(step)["vigil.runbook.step"]

    chats = named(in_trace, "chat scripted")
    assert len(chats) == report.stats.model_turns == 2
    for chat in chats:
        assert parent_of(chat, in_trace) is root
        assert attrs(chat)["gen_ai.operation.name"] == "chat"
        assert attrs(chat)["gen_ai.system"] == attrs(chat)["gen_ai.provider.name"] == "scripted"
        assert attrs(chat)["gen_ai.request.model"] == attrs(chat)["gen_ai.response.model"] == "scripted"
        assert attrs(chat)["gen_ai.request.max_tokens"] == 2000
    assert attrs(chats[0])["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attrs(chats[1])["gen_ai.response.finish_reasons"] == ("end",)
    assert sum(attrs(c)["gen_ai.usage.input_tokens"] for c in chats) == report.stats.input_tokens
    assert sum(attrs(c)["gen_ai.usage.output_tokens"] for c in chats) == report.stats.output_tokens
    # the hash is of exactly what the model was shown on that turn
    for chat, turn in zip(chats, model.turns, strict=True):
        assert attrs(chat)["vigil.prompt.sha256"] == prompt_sha256(turn.system, turn.messages)
    assert attrs(chats[0])["vigil.prompt.sha256"] != attrs(chats[1])["vigil.prompt.sha256"]


async def test_server_spans_join_the_agents_tool_span(tmp_path, telemetry):
    await investigate(tmp_path, script())
    spans = finished(telemetry)
    (root,) = named(spans, "investigate")
    model_logs = [s for s in named(spans, "execute_tool k8s_logs") if parent_of(s, spans) is root]
    assert len(model_logs) == 1
    tool_span = model_logs[0]
    assert attrs(tool_span)["vigil.guardrail.allowed"] is True
    assert attrs(tool_span)["vigil.tool.server"] == "toy"
    (server_span,) = [s for s in named(spans, "tools/call k8s_logs") if parent_of(s, spans) is tool_span]
    assert server_span.context.trace_id == root.context.trace_id
    assert attrs(server_span)["gen_ai.tool.name"] == "k8s_logs"
    guards = [s for s in spans if s.name == "guardrail k8s_logs"]
    agent_guard = next(s for s in guards if parent_of(s, spans) is tool_span)
    server_guard = next(s for s in guards if parent_of(s, spans) is server_span)
    assert attrs(agent_guard)["vigil.guardrail.where"] == "agent"
    assert attrs(server_guard)["vigil.guardrail.where"] == "server:toy"
    assert attrs(server_guard)["vigil.guardrail.allowed"] is True
    layers = [attrs(e)["vigil.guardrail.layer"] for e in agent_guard.events]
    assert layers == ["validation", "scoping", "rollback", "approval", "audit"]


async def test_a_denied_call_says_which_rule_and_never_reaches_the_server(tmp_path, telemetry):
    await investigate(tmp_path, script())
    spans = finished(telemetry)
    (root,) = named(spans, "investigate")
    (denied,) = [s for s in named(spans, "execute_tool k8s_describe") if parent_of(s, spans) is root]
    assert attrs(denied)["vigil.guardrail.allowed"] is False
    assert attrs(denied)["vigil.guardrail.rule"] == "deny-kube-system"
    assert attrs(denied)["vigil.guardrail.layer"] == "scoping"
    assert attrs(denied)["vigil.tool.outcome"] == "denied"
    (guard,) = [s for s in spans if parent_of(s, spans) is denied]
    assert guard.name == "guardrail k8s_describe"
    assert attrs(guard)["vigil.guardrail.allowed"] is False
    assert attrs(guard)["vigil.guardrail.rule"] == "deny-kube-system"


async def test_no_prompt_or_tool_text_in_any_attribute(tmp_path, telemetry):
    await investigate(tmp_path, script())
    texts = attribute_texts(finished(telemetry))
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
        await investigate(tmp_path, ScriptedModel.of('{"summary": "done", "hypotheses": []}'), incident=incident)
        (chat,) = named(finished(setup), "chat scripted")
        redacted = attrs(chat)["vigil.prompt.redacted"]
        assert token not in redacted and "[REDACTED:github_token]" in redacted
        assert len(redacted) <= 2100
        assert len(attrs(chat)["vigil.prompt.sha256"]) == 64
    finally:
        setup.shutdown()


async def test_telemetry_off_records_nothing(tmp_path):
    """With no setup (or after shutdown) the spans are dropped and the run behaves the same."""
    setup = in_memory_telemetry()
    exporter = setup.span_exporter
    assert exporter is not None
    setup.shutdown()
    report, _ = await investigate(tmp_path, script())
    assert report.complete and report.stats.model_turns == 2
    assert exporter.get_finished_spans() == ()
