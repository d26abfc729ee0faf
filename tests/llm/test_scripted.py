"""The scripted model: deterministic steps, what it was shown, and sloppy calls through repair."""

from __future__ import annotations

import pytest

from agent.llm import (
    STOP_END,
    STOP_TOOL_CALLS,
    Budget,
    BudgetTracker,
    Message,
    ModelError,
    ModelResponse,
    ScriptedModel,
    ScriptedTurn,
    ToolDef,
    Usage,
    sloppy_call,
    tool_call,
)

pytestmark = pytest.mark.anyio

TOOLS = [
    ToolDef(
        name="k8s_events",
        input_schema={
            "type": "object",
            "properties": {"namespace": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["namespace"],
        },
    )
]


async def test_steps_play_in_order_and_turns_are_recorded() -> None:
    model = ScriptedModel.of(
        [tool_call("k8s_events", call_id="e1", namespace="shop")],
        lambda turn: f"saw {len(turn.tool_results)} result(s): {turn.tool_results[0].content}",
    )
    history = [Message(role="user", content="what broke?")]
    first = await model.complete("system prompt", history, TOOLS, max_tokens=100)
    assert first.stop_reason == STOP_TOOL_CALLS
    assert first.tool_calls[0].arguments == {"namespace": "shop"}
    assert first.provider == "scripted" and first.model == "scripted"

    history += [first.as_message(), Message(role="tool", content="BackOff x12", tool_call_id="e1")]
    second = await model.complete("system prompt", history, TOOLS, max_tokens=100)
    assert second.text == "saw 1 result(s): BackOff x12"
    assert second.stop_reason == STOP_END

    assert [t.index for t in model.turns] == [0, 1]
    assert model.turns[0].system == "system prompt" and model.turns[0].tool_names == ["k8s_events"]
    assert len(model.turns[1].messages) == 3
    # What the model saw is a snapshot: later edits to the conversation do not rewrite it.
    history[0].content = "changed"
    assert model.turns[0].messages[0].content == "what broke?"


async def test_running_out_of_script_is_a_model_error() -> None:
    model = ScriptedModel.of("only answer")
    await model.complete("", [], [], max_tokens=10)
    with pytest.raises(ModelError, match="no step for call 2"):
        await model.complete("", [], [], max_tokens=10)


async def test_function_model_repeats_a_fixed_strategy() -> None:
    async def strategy(turn: ScriptedTurn) -> str:
        return f"turn {turn.index}"

    model = ScriptedModel.from_function(strategy)
    answers = [(await model.complete("", [], [], max_tokens=10)).text for _ in range(3)]
    assert answers == ["turn 0", "turn 1", "turn 2"]


async def test_sloppy_calls_go_through_repair() -> None:
    model = ScriptedModel.of(
        [
            sloppy_call("K8S_EVENTS", '{"namespace": "shop", "limit": "5"}'),
            sloppy_call("k8s_events", '{"limit": 5}'),
        ]
    )
    response = await model.complete("", [Message(role="user", content="go")], TOOLS, max_tokens=50)
    good, bad = response.tool_calls
    assert good.name == "k8s_events" and good.arguments == {"namespace": "shop", "limit": 5} and good.error is None
    assert bad.error is not None and "missing required argument 'namespace'" in bad.error
    assert response.repaired  # the fixes are reported


async def test_usage_is_estimated_unless_given_so_budgets_can_run_out() -> None:
    model = ScriptedModel(
        steps=[ModelResponse(text="given", usage=Usage(input_tokens=7, output_tokens=3)), "estimated " * 50],
        repeat_last=True,
    )
    tracker = BudgetTracker(Budget(max_steps=None, max_tokens=250, max_seconds=None, max_usd=None))
    first = await model.complete("s" * 400, [Message(role="user", content="q")], TOOLS, max_tokens=50)
    assert (first.usage.input_tokens, first.usage.output_tokens) == (7, 3)
    tracker.record(first)
    second = await model.complete("s" * 400, [Message(role="user", content="q")], TOOLS, max_tokens=50)
    assert second.usage.input_tokens > 100 and second.usage.output_tokens > 100
    tracker.record(second)
    assert tracker.spent() == "tokens"
    assert tracker.usd == 0.0
