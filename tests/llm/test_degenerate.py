"""Loops and runaway generations are cut where they start; normal answers are left alone.

The texts in recordings/small_models/degenerate_outputs.json are representative of what small local
models write when they loop (written from observed failures, not captured verbatim).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.llm.degenerate import detect
from tests.llm.conftest import RECORDINGS

OUTPUTS = json.loads((RECORDINGS / "small_models" / "degenerate_outputs.json").read_text())


@pytest.mark.parametrize("case", OUTPUTS["degenerate"], ids=[c["shape"] for c in OUTPUTS["degenerate"]])
def test_a_loop_is_found_and_cut_before_it_repeats(case: dict[str, Any]) -> None:
    found = detect(case["text"], hit_token_limit=case["stop"] == "max_tokens")
    assert found is not None and found.kind == case["kind"]
    assert found.kept.endswith(case["kept_ends_with"])
    assert len(found.kept) < len(case["text"]) / 3


@pytest.mark.parametrize("case", OUTPUTS["normal"], ids=[c["shape"] for c in OUTPUTS["normal"]])
def test_a_normal_answer_is_not_cut(case: dict[str, Any]) -> None:
    assert detect(case["text"], hit_token_limit=True) is None


def test_low_diversity_alone_is_no_runaway_without_the_token_limit() -> None:
    text = OUTPUTS["degenerate"][2]["text"]
    assert detect(text, hit_token_limit=False) is None
