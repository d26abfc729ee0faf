"""`vigil eval` wraps each model to record its requests; the wrapper must not hide what the model knows.

Found with a real 0.5B model (benchmarks/local_model): without the window, the eval's first turn went
unfitted (13.6k tokens) and an 8k server refused it.
"""

from __future__ import annotations

import pytest

from agent.eval.models import RecordingModel
from agent.llm.scripted import ScriptedModel


@pytest.mark.anyio
async def test_the_recorder_passes_on_the_models_window_and_tokenizer() -> None:
    inner = ScriptedModel.of()
    inner.window, inner.tokenizer = 8192, lambda text: len(text.split())
    recorded = RecordingModel(inner)
    window = await recorded.context_window()
    assert (window.tokens, window.source) == (8192, "scripted")
    assert await recorded.count_tokens("three small words") == 3


@pytest.mark.anyio
async def test_a_model_that_knows_neither_reports_unknown() -> None:
    class Bare(ScriptedModel):
        context_window = None  # type: ignore[assignment]
        count_tokens = None  # type: ignore[assignment]

    recorded = RecordingModel(Bare.of())
    assert (await recorded.context_window()).tokens is None
    assert await recorded.count_tokens("x") is None
