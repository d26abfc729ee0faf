"""Rendering PromQL results: what each row shows, and what is said once instead of per row."""

from __future__ import annotations

from mcp_servers.common.compact import estimate_tokens
from mcp_servers.prometheus.render import RangeAnswer, common_labels, label_text, render_instant, render_range


def test_common_labels_and_label_text() -> None:
    a = {"__name__": "up", "job": "api", "instance": "a:9090"}
    b = {"__name__": "up", "job": "api", "instance": "b:9090"}
    assert common_labels([a, b]) == {"__name__": "up", "job": "api"}
    assert label_text(a, common_labels([a, b])) == '{instance="a:9090"}'
    assert common_labels([a]) == {"__name__": "up"}  # one series: keep what identifies it
    assert label_text({"__name__": "up"}) == "up"


def test_instant_vector_sorted_with_scalar_and_empty_answers() -> None:
    result = [{"metric": {"pod": "a"}, "value": [1.0, "2"]}, {"metric": {"pod": "b"}, "value": [1.0, "NaN"]},
              {"metric": {"pod": "c"}, "value": [1.0, "30"]}]
    text = render_instant("x", 0.0, result, 2000)
    rows = [line for line in text.splitlines() if line.startswith("| {")]
    assert [r.split("|")[1].strip() for r in rows] == ['{pod="c"}', '{pod="a"}', '{pod="b"}']
    assert render_instant("scalar(1)", 0.0, [0.0, "1"], 2000).endswith("1 (scalar)")
    assert "empty result" in render_instant("x", 0.0, [], 2000)


def test_range_answer_stays_within_budget_with_many_series() -> None:
    results = [{"metric": {"pod": f"p{i}", "namespace": "n"},
                "values": [[float(t), str((i % 7) + (50 if i == 42 and t > 300 else 0))] for t in range(0, 600, 10)]}
               for i in range(200)]
    text = render_range(RangeAnswer(query="q", start=0, end=590, step=10, results=results, top_k=100,
                                    budget_tokens=800))
    assert estimate_tokens(text) <= 800
    assert '| 1 | {pod="p42"}' in text
    assert "more series not shown" in text or "more rows left out" in text
