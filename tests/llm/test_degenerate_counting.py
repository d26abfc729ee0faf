"""A generation cut at the token limit while counting on is a loop, as the real 0.5B model showed.

The shape comes from a recorded answer (tests/llm/recordings/qwen05b/ledger-deploy-hung.json): an
evidence list numbered past the evidence that exists, `"E1", "E2", ... "E89"`, until max_tokens.
"""

from __future__ import annotations

from agent.llm.degenerate import detect


def test_counting_on_until_the_limit_is_cut_where_the_count_starts() -> None:
    start = '{"summary": "ledger rollout hung", "hypotheses": [{"cause": "quota", "evidence": ['
    text = start + ", ".join(f'"E{i}"' for i in range(1, 90))
    found = detect(text, hit_token_limit=True)
    assert found is not None and found.kind == "counting"
    assert found.kept.startswith(start.strip()[:40]) and '"E30"' not in found.kept


def test_a_short_numbered_list_or_one_that_ended_on_its_own_is_kept() -> None:
    short = "evidence: " + ", ".join(f'"E{i}"' for i in range(1, 12))
    assert detect(short, hit_token_limit=True) is None
    complete = "evidence: " + ", ".join(f'"E{i}"' for i in range(1, 90)) + "]}"
    assert detect(complete, hit_token_limit=False) is None
