"""Template mining and the stream-selector check, on their own."""

from __future__ import annotations

import pytest

from mcp_servers.loki.logql import SelectorError, stream_selector, unselective_reason
from mcp_servers.loki.templates import Entry, mine, severity_hint


def _entries(lines: list[str], stream: str = "s") -> list[Entry]:
    return [Entry(i * 1_000_000_000, line, stream) for i, line in enumerate(lines)]


def test_varying_ids_numbers_and_addresses_fold_into_one_template() -> None:
    lines = [f"user {i} logged in from 10.0.0.{i % 250} after {i}ms" for i in range(200)]
    (template,) = mine(_entries(lines))
    assert template.count == 200
    assert template.text == "user <NUM> logged in from <IP> after <DURATION>"
    assert template.first_seen_ns == 0 and template.last_seen_ns == 199 * 1_000_000_000
    assert template.example == lines[0]


def test_severity_and_status_class_are_never_folded_together() -> None:
    lines = [f'level=info msg="request done" id={i}' for i in range(50)]
    lines += [f'level=error msg="request done" id={i}' for i in range(5)]
    lines += [f"GET /cart/{i} 200 12ms" for i in range(50)] + [f"GET /cart/{i} 503 12ms" for i in range(7)]
    templates = {(t.severity, t.status_class): t.count for t in mine(_entries(lines))}
    assert templates == {("", ""): 50, ("error", ""): 5, ("", "2xx"): 50, ("", "5xx"): 7}


def test_new_since_baseline_first_then_by_count() -> None:
    baseline = ["cache hit key=1", "cache hit key=2"]
    window = _entries(["cache hit key=3"] * 30 + ["db timeout after 30s"] * 3)
    templates = mine(window, baseline)
    assert [(t.new, t.count) for t in templates] == [(True, 3), (False, 30)]
    assert templates[1].baseline_count == 2
    assert all(not t.new for t in mine(window))  # no baseline asked: nothing is called new


def test_severity_hint() -> None:
    assert severity_hint("Traceback (most recent call last):") == "error"
    assert severity_hint("WARNING: disk 91% full") == "warn"
    assert severity_hint("all good") == ""


@pytest.mark.parametrize(
    ("query", "selective"),
    [
        ('{app="checkout"}', True),
        ('{namespace="shop", pod=~"checkout-.*"} |= "error"', True),
        ('sum by (pod) (count_over_time({app="checkout"} |= "x" [5m]))', True),
        ('{app=~".*"}', False),
        ('{app=~".+", env!="dev"}', False),
        ('{app=""}', False),
        ('{app!~"x"} |= "{app=\\"checkout\\"}"', False),
    ],
)
def test_selector_selectivity(query: str, selective: bool) -> None:
    assert (unselective_reason(query) is None) is selective


def test_selector_parsing_and_errors() -> None:
    matchers = stream_selector('{a="x\\"y", b=~`c.*`}')
    assert [(m.name, m.op, m.value) for m in matchers] == [("a", "=", 'x"y'), ("b", "=~", "c.*")]
    with pytest.raises(SelectorError, match="no stream selector"):
        stream_selector('count_over_time("x")')
    with pytest.raises(SelectorError, match="cannot read the stream selector"):
        stream_selector("{app}")
    with pytest.raises(SelectorError, match="unterminated string"):
        stream_selector('{app="x}')
