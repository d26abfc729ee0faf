"""A hostile MCP caller hiding cost inside PromQL and LogQL text (issue 14, item 3).

PromQL runs against the real Debian Prometheus (mcp_servers/prometheus/local.py) loaded with the
generated incident of tests/prometheus; LogQL against the Loki API server of tests/loki, which
answers in Loki's documented response format (no Loki can be installed here). Both MCP servers run
in-process behind their guardrail middleware and are called with the official MCP client.
Policy: the test policy of conftest.py (PromQL max_range 7d, min_step 15s, max_series 500;
LogQL max_range 24h).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from guardrails.action import Actor
from guardrails.policy import Policy
from guardrails.scope import Scope
from mcp_servers.common.server import ServerGuard
from mcp_servers.loki.client import LokiSettings
from mcp_servers.loki.server import build_server as build_loki
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus
from mcp_servers.prometheus.server import build_server as build_prometheus
from tests.loki.conftest import END as LOKI_END
from tests.loki.conftest import START as LOKI_START
from tests.loki.conftest import incident_streams
from tests.loki.loki_api import LokiState, loki_api
from tests.prometheus.conftest import END, INCIDENT, incident_openmetrics
from tests.security.conftest import audit_records

REFUSED = "Refused by Vigil's guardrails"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    data = tmp_path_factory.mktemp("om") / "incident.om"
    data.write_text(incident_openmetrics(), encoding="utf-8")
    with LocalPrometheus(data) as prom:
        yield prom


@pytest.fixture
async def prom(prometheus: LocalPrometheus, policy_file: Path, tmp_path: Path) -> AsyncIterator[Client]:
    guard = ServerGuard.from_files(policy_file, tmp_path, "prometheus")
    async with Client(build_prometheus(PromSettings(url=prometheus.url), guard)) as c:
        yield c


@pytest.fixture
async def loki(policy_file: Path, tmp_path: Path) -> AsyncIterator[tuple[Client, LokiState]]:
    state = LokiState(streams=incident_streams())
    with loki_api(state) as url:
        guard = ServerGuard.from_files(policy_file, tmp_path, "loki")
        async with Client(build_loki(LokiSettings(url=url), guard)) as c:
            yield c, state


async def _call(c: Client, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    result = await c.call_tool(tool, args)
    return bool(result.is_error), "\n".join(getattr(i, "text", "") for i in result.content)


PROMQL_BYPASSES: list[tuple[str, str]] = [
    ("max_over_time(http_requests_total[100y:1s])", "maximum of 7d"),
    ("rate(http_requests_total[10y])", "maximum of 7d"),
    ("sum(rate(http_requests_total[5m] offset 10y))", "maximum of 7d"),
    ("http_requests_total @ 0", "maximum of 7d"),
    ("sum(rate(http_requests_total[5m] @ 1000000000))", "maximum of 7d"),
    ("max_over_time(max_over_time(http_requests_total[4d])[4d:1m])", "maximum of 7d"),
    ("max_over_time(rate(http_requests_total[5m])[1h:1s])", "minimum of 15s"),
    ('{__name__=~".+"}', "at most 500 series"),
    ('{__name__=~".*"}', "at most 500 series"),
    ('count({__name__=~".{1,}"})', "at most 500 series"),
    ('{__name__=~"http_.*|[^x]*"}', "at most 500 series"),
    ('{__name__=~"[a-z_:].*"}', "at most 500 series"),  # misses only odd names: as good as all of them
    ('{__name__=~"(node|kube|container|http|process|go)_.*|up"}', "at most 500 series"),
    ('{pod!="checkout-1"}', "at most 500 series"),
    ('{code=~"2..|.*"}', "at most 500 series"),
    ("sum(rate(http_requests_total[10y])", "maximum of 7d"),  # does not even parse: bounded from its text
    ("sum(rate(http_requests_total[315360000])", "maximum of 7d"),  # bare seconds, unparseable
    ("rate(http_requests_total[315360000])", "maximum of 7d"),  # bare seconds, parsed
]
PROMQL_UNJUDGEABLE = [
    "sum(rate(http_requests_total[1h*24*365])",  # a computed duration (a Prometheus 3 feature flag)
    "sum(http_requests_total offset (10y)",
    "sum(http_requests_total @ 0",
]


@pytest.mark.anyio
async def test_promql_bypasses_are_refused_naming_the_ceiling(prom: Client, tmp_path: Path) -> None:
    for query, ceiling in PROMQL_BYPASSES:
        error, text = await _call(prom, "prom_query", {"query": query, "time": str(END)})
        assert error and text.startswith(REFUSED) and ceiling in text, (query, text)
        error, text = await _call(prom, "prom_query_range", {"query": query, "start": str(INCIDENT),
                                                             "end": str(END), "step": "1m"})
        assert error and text.startswith(REFUSED) and ceiling in text, (query, text)
    error, text = await _call(prom, "prom_series", {"match": '{__name__=~".+"}', "start": str(INCIDENT),
                                                    "end": str(END)})
    assert error and "matches every series" in text
    for query in PROMQL_UNJUDGEABLE:
        error, text = await _call(prom, "prom_query", {"query": query, "time": str(END)})
        assert error and text.startswith(REFUSED) and "cannot be judged without parsing" in text, (query, text)
    denials = [r for r in audit_records(tmp_path) if r["kind"] == "decision"]
    assert len(denials) == 2 * len(PROMQL_BYPASSES) + 1 + len(PROMQL_UNJUDGEABLE)
    assert not any(r["allowed"] for r in denials)
    assert {r["rule"] for r in denials} == {"limits.default.promql.max_range", "limits.default.promql.min_step",
                                            "limits.default.promql.max_series", "query"}
    assert not [r for r in audit_records(tmp_path) if r["kind"] == "result"], "no refused query may run"


@pytest.mark.anyio
async def test_normal_promql_is_still_answered(prom: Client) -> None:
    answered = [
        'rate(http_requests_total{namespace="shop"}[5m])',
        "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))",
        'max_over_time(sum(rate(http_requests_total{code="500"}[5m]))[1h:1m])',
        'max_over_time(rate(http_requests_total{pod="checkout-3"}[5m])[6d:1h] offset 1h)',
        'http_requests_total{code="500"} @ end()',
        '{__name__="http_requests_total", pod="checkout-3"}',
        '{__name__=~"http_requests_.*", code="500"}',
    ]
    for query in answered:
        error, text = await _call(prom, "prom_query", {"query": query, "time": str(END)})
        assert not error, (query, text)
    _, rate = await _call(prom, "prom_query", {"query": answered[2], "time": str(END)})
    assert "(scalar)" in rate or "| {" in rate
    # A syntax error that is cheap by any reading still reaches Prometheus, which names the position.
    error, text = await _call(prom, "prom_query", {"query": "sum(rate(http_requests_total[5m])", "time": str(END)})
    assert error and "parse error" in text and not text.startswith(REFUSED)


LOGQL_BYPASSES: list[tuple[str, str]] = [
    ('count_over_time({app="checkout"}[10y])', "maximum of 24h"),
    ('sum(rate({app="checkout"} |= "error" [5m] offset 30d))', "maximum of 24h"),
    ('sum(rate({app="checkout"}[5m])) / sum(rate({app=~".+"}[5m]))', "matches every stream"),
    ('{app=~".{1,}"} |= "x"', "matches every stream"),
    ('{app=~"checkout|.*"}', "matches every stream"),
    ('{namespace!="kube-system"}', "matches every stream"),
    ('count_over_time({app="checkout"}[1h30m] offset 23h)', "maximum of 24h"),
]


@pytest.mark.anyio
async def test_logql_bypasses_are_refused_and_normal_queries_answered(loki: tuple[Client, LokiState],
                                                                      tmp_path: Path) -> None:
    client, state = loki
    for query, reason in LOGQL_BYPASSES:
        error, text = await _call(client, "loki_query", {"query": query, "start": str(LOKI_END - 3600),
                                                         "end": str(LOKI_END), "limit": 100})
        assert error and text.startswith(REFUSED) and reason in text, (query, text)
    error, text = await _call(client, "loki_stats", {"query": '{app=~".+"}', "since": "1h"})
    assert error and "matches every stream" in text
    assert state.requests == [], "a refused query must never reach Loki"
    start = str(LOKI_START)
    for query in ('{namespace="shop", app="checkout"} |= "error"', '{app="checkout"} |= "[10y] offset 30d"'):
        error, text = await _call(client, "loki_query", {"query": query, "start": start,
                                                         "end": str(LOKI_START + 3600), "baseline": "none"})
        assert not error, (query, text)
    metric = 'sum by (pod) (count_over_time({app="checkout"} |= "error" [5m]))'
    state.matrix[metric] = {"resultType": "matrix", "result": []}
    error, text = await _call(client, "loki_query", {"query": metric, "start": start, "end": str(LOKI_START + 3600),
                                                     "baseline": "none"})
    assert not error, text


# -- properties: the policy's arithmetic, for query shapes nobody wrote down -----------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
durations = st.tuples(st.integers(min_value=1, max_value=400), st.sampled_from(list(_UNITS)))
MAX_RANGE = 7 * 86400


@settings(max_examples=150, deadline=None)
@given(rng=durations, offset=durations, sub=durations, step=durations)
def test_nested_look_back_is_refused_exactly_when_it_sums_past_the_ceiling(rng: tuple[int, str],
                                                                           offset: tuple[int, str],
                                                                           sub: tuple[int, str],
                                                                           step: tuple[int, str]) -> None:
    def text(d: tuple[int, str]) -> str:
        return f"{d[0]}{d[1]}"

    def secs(d: tuple[int, str]) -> int:
        return d[0] * _UNITS[d[1]]

    query = (f'max_over_time(rate(http_requests_total{{job="a"}}[{text(rng)}] offset {text(offset)})'
             f"[{text(sub)}:{text(step)}])")
    scope = Scope(query=query, reference_ts=datetime(2026, 5, 1, tzinfo=UTC).timestamp())
    decision = Policy().check_costs(Actor(name="fuzz"), None, scope, "promql")
    too_far = secs(rng) + secs(offset) + secs(sub) > MAX_RANGE
    too_fine = secs(step) < 15
    assert decision.allowed is (not too_far and not too_fine), (query, decision.reason)
    if too_far:
        assert decision.rule == "limits.default.promql.max_range" and "maximum of 7d" in decision.reason
    elif too_fine:
        assert decision.rule == "limits.default.promql.min_step" and "minimum of 15s" in decision.reason


def test_hostile_regexes_and_sizes_are_judged_not_executed_by_backtracking() -> None:
    """Regexes are tried with RE2 (linear, as in Prometheus): a pattern that would make Python's `re`
    backtrack for hours against the guardrail's probe names is judged like any other."""
    policy, actor = Policy(), Actor(name="hostile")

    def judge(query: str, cost_class: str = "promql") -> tuple[bool, str]:
        decision = policy.check_costs(actor, None, Scope(query=query, reference_ts=0.0), cost_class)
        return decision.allowed, decision.reason

    assert judge('{__name__=~"(q+)+$"}')[0]  # narrows (only q, qq, ...): allowed, and answered at once
    assert not judge('{__name__=~"(.*)*(.+)+"}')[0]  # matches everything
    assert not judge('{app=~"(.*a){25}|.*"} |= "x"', "logql")[0]
    allowed, reason = judge("up + " * 4000 + "up")
    assert not allowed and "over 16384" in reason
    allowed, reason = judge('count_over_time({app="x"}[' + "9" * 400 + "d])", "logql")
    assert not allowed and "maximum of 24h" in reason
