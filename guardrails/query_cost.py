"""What a PromQL or LogQL query costs from the inside: look-back, resolution, and unbounded selectors.

A window of one hour says little when the query text reads `rate(x[10y])`, `max_over_time(y[100y:1s])`,
`z offset 10y`, `w @ 0` or `{__name__=~".+"}`. The policy's cost check (guardrails/policy.py,
`Policy.check_costs`, the one place that judges cost) asks this module for the facts and compares
them with the caller's ceilings:

- **look-back**: how far before the earliest evaluation time the query reads. Along each path from
  the root to a selector, range selectors, subquery ranges and positive offsets add up (nested
  subqueries included); an `@ <timestamp>` pins evaluation, so its distance before the window start
  counts in full (`@ start()` and `@ end()` stay inside the window). Negative offsets are not
  subtracted: a shorter look-back is never assumed.
- **resolution**: the step of every subquery that names one (`[1h:1s]` -> 1s).
- **unbounded selectors**: Prometheus refuses a selector whose every matcher matches the empty
  string; Vigil also refuses one whose only narrowing is a negative matcher or a regex that
  matches every name (`{__name__=~".+"}`, `{job=~".*|x"}`): it would read every series. Whether a
  regex matches everything is decided by trying it on varied probe names, not by a list of
  spellings, so `.{1,}` or `[^"]+` are caught as well as `.+`.

PromQL is parsed by `promql-parser` (a maintained binding of the Rust port of Prometheus' own
parser); regexes are tried with RE2 (`google-re2`), Prometheus' own regex engine, in linear time.
LogQL has no such package; its reader here understands strings (with escapes and raw backticks),
stream selectors, range selectors and `offset`, which is all its cost depends on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

_PROBES = ("a", "z", "up", "x9", "Z_", "http_requests_total", "kube_pod_info", "node:cpu:rate5m", "_", "__name__",
           "shop", "kube-system", "200", "checkout-7d9f4-x2k1", "10.0.3.7:9100", "GET /cart HTTP/1.1", "Ärger",
           "a.b.c", "-", "{}", "q" * 40)
"""Varied names and label values: a regex that full-matches all of them selects everything."""

_METRIC_NAMES = ("up", "scrape_duration_seconds", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                 "container_memory_working_set_bytes", "container_cpu_usage_seconds_total", "kube_pod_info",
                 "kube_deployment_status_replicas", "http_requests_total", "http_request_duration_seconds_bucket",
                 "grpc_server_handled_total", "process_cpu_seconds_total", "process_resident_memory_bytes",
                 "go_goroutines", "go_gc_duration_seconds", "prometheus_tsdb_head_series", "apiserver_request_total",
                 "etcd_server_has_leader", "coredns_dns_requests_total", "nginx_ingress_controller_requests",
                 "jvm_memory_used_bytes", "pg_stat_database_xact_commit", "redis_connected_clients",
                 "kafka_consumergroup_lag", "instance:node_cpu:rate5m", "job:http_requests:rate5m", "ALERTS",
                 "ALERTS_FOR_STATE", "a", "Z_", "x9", "_")
"""Metric names from many exporters: a `__name__` regex matching a third of them or more is as good as
every metric (`[a-z_:].*` misses only the odd upper-case name, yet selects everything that exists)."""
NAME_SHARE_LIMIT = 1 / 3


class QueryError(ValueError):
    """The query cannot be read; the message quotes where and says what to write."""


MAX_QUERY_CHARS = 16384
"""Longer than any query a person or a model writes, short enough to read in well under a millisecond."""


def _check_length(query: str) -> None:
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query)} characters long, over {MAX_QUERY_CHARS}; "
                         "split it or aggregate with recording rules")


@dataclass
class QueryCost:
    lookback_seconds: float = 0.0
    lookback_at: str = ""
    """The part of the query responsible for the longest look-back."""
    finest_step_seconds: float | None = None
    finest_step_at: str = ""
    unbounded: list[str] = field(default_factory=list)
    """Selectors that would read every series or stream, as written in the query."""
    parse_error: str | None = None
    """Set when the figures are an upper bound read from text that did not parse."""

    def look(self, seconds: float, where: str) -> None:
        if seconds > self.lookback_seconds:
            self.lookback_seconds, self.lookback_at = seconds, where

    def resolution(self, seconds: float, where: str) -> None:
        if self.finest_step_seconds is None or seconds < self.finest_step_seconds:
            self.finest_step_seconds, self.finest_step_at = seconds, where


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@lru_cache(maxsize=512)
def _re2(regex: str) -> Any | None:
    """The regex compiled by RE2, the engine and syntax Prometheus and Loki use, or None if it does not compile.

    Never Python's `re`: a caller's `(a+)+$` would backtrack for minutes inside the guardrail, while
    RE2 runs in linear time, whatever the pattern."""
    import re2

    options = re2.Options()
    options.dot_nl = True  # Prometheus anchors matchers as ^(?s:...)$
    options.log_errors = False
    try:
        return re2.compile(regex, options)
    except re2.error:
        return None


@lru_cache(maxsize=512)
def matches_everything(regex: str) -> bool:
    """Would this (anchored) regex match every name? Unreadable regexes count as yes: unjudgeable."""
    compiled = _re2(regex)
    return compiled is None or all(compiled.fullmatch(p) for p in _PROBES)


@lru_cache(maxsize=512)
def name_share(regex: str) -> float:
    """The share of common metric names a `__name__` regex matches (1.0 when it cannot be read)."""
    compiled = _re2(regex)
    if compiled is None:
        return 1.0
    return sum(1 for n in _METRIC_NAMES if compiled.fullmatch(n)) / len(_METRIC_NAMES)


def selective(op: str, value: str, label: str = "") -> bool:
    """Does a matcher narrow what is read? Equality with a value, or a regex that neither matches
    the empty string (series without the label) nor everything (for `__name__`: not a third or more
    of common metric names). Negative matchers never narrow."""
    if op == "=":
        return value != ""
    if op == "=~":
        compiled = _re2(value)
        if compiled is None or compiled.fullmatch("") is not None or matches_everything(value):
            return False
        return label != "__name__" or name_share(value) < NAME_SHARE_LIMIT
    return False


# -- PromQL ---------------------------------------------------------------------------------------------

_PROM_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def promql_cost(query: str, reference_ts: float) -> QueryCost:
    """Look-back, finest subquery step and unbounded selectors of a PromQL expression.

    `reference_ts` is the earliest evaluation time (the window start, or the instant), against which
    an `@ <timestamp>` modifier's distance is measured."""
    import promql_parser

    _check_length(query)
    try:
        expr = promql_parser.parse(query)
    except ValueError as exc:
        # Prometheus reports its own parse errors with a position, which helps the caller more than
        # ours; so a query that does not parse may still go there, but only if an upper bound of its
        # cost, read from the bare text, is within every limit. If the two parsers ever disagree,
        # the query is still judged.
        return _promql_upper_bound(query, str(exc))
    cost = QueryCost()
    _walk(expr, 0.0, reference_ts, cost)
    return cost


_TOKEN = re.compile(r"[A-Za-z0-9_.]+|[:\[\]]|offset\b", re.IGNORECASE)
_COMPUTED = re.compile(r"\[[^\[\]]*[-+*/^%()][^\[\]]*\]|offset\s*-?\s*\(", re.IGNORECASE)


def _promql_upper_bound(query: str, error: str) -> QueryCost:
    """A cost no smaller than the real one, from the text alone: every duration summed (ranges,
    subqueries and offsets can only add up; a bare number in a range or after `offset` counts as
    seconds), every subquery step, every name-less selector. An `@` modifier or a computed
    duration (`[1h*24]`) cannot be bounded this way, so such a query is refused with the parse error."""
    from guardrails.timeparse import parse_duration

    code = _code_only(query, quotes="\"`'")
    computed = _COMPUTED.search(code)
    if "@" in code or computed:
        what = f"the computed duration {computed.group(0)!r}" if computed else "an @ modifier"
        raise QueryError(f"the PromQL query cannot be parsed ({error}), and {what} in it cannot be judged "
                         "without parsing; fix the syntax")
    cost = QueryCost(parse_error=error)
    tokens = _TOKEN.findall(code)  # one linear pass: no pattern here can backtrack on a caller's text
    total, in_range = 0.0, False
    for i, token in enumerate(tokens):
        in_range = (in_range or token == "[") and token != "]"
        after_offset = i > 0 and tokens[i - 1].lower() == "offset"
        seconds = _duration_token(token, parse_duration, bare_seconds=in_range or after_offset)
        if seconds is None:
            continue
        total += seconds
        if i and tokens[i - 1] == ":":
            cost.resolution(seconds, f":{token}")
    cost.look(total, "every duration in the query, summed")
    for i in _outside_strings(query, "{", quotes="\"`'"):
        j = i - 1
        while j >= 0 and query[j].isspace():
            j -= 1
        if j >= 0 and (query[j].isalnum() or query[j] in "_:"):
            continue  # `name{...}`: the metric name narrows
        try:
            matchers = _selector_at(query, i)
        except QueryError:
            continue  # Prometheus refuses it too
        if not any(m.selective for m in matchers):
            cost.unbounded.append("{" + ", ".join(str(m) for m in matchers) + "}")
    return cost


def _duration_token(token: str, parse: Any, bare_seconds: bool) -> float | None:
    """Seconds of a duration literal such as `5m` or `1h30m` (or of a bare number, where one means
    seconds); None for anything else."""
    if not token[0].isdigit() or (token[-1].isdigit() and not bare_seconds):
        return None
    try:
        return float(parse(token))
    except ValueError:
        return None


def _seconds(value: timedelta | None) -> float:
    return value.total_seconds() if value is not None else 0.0


def _pinned(at: Any, reference_ts: float) -> float | None:
    """Seconds an `@` modifier reaches before the reference time (None without `@`)."""
    if at is None:
        return None
    if str(at.type).endswith(".At"):
        return max(0.0, reference_ts - at.at.timestamp())
    return 0.0  # start() / end(): inside the window already judged


def _walk(node: Any, outer: float, ref: float, cost: QueryCost) -> None:
    import promql_parser as p

    if isinstance(node, p.MatrixSelector | p.VectorSelector):
        vs = node.vector_selector if isinstance(node, p.MatrixSelector) else node
        rng = _seconds(node.range) if isinstance(node, p.MatrixSelector) else 0.0
        pinned = _pinned(vs.at, ref)
        base = outer if pinned is None else pinned
        cost.look(base + rng + max(0.0, _seconds(vs.offset)), _clip(str(node)))
        if not _prom_bounded(vs):
            cost.unbounded.append(_clip(str(vs)))
    elif isinstance(node, p.SubqueryExpr):
        pinned = _pinned(node.at, ref)
        inner = (outer if pinned is None else pinned) + _seconds(node.range) + max(0.0, _seconds(node.offset))
        cost.look(inner, _clip(str(node)))
        if node.step is not None:
            cost.resolution(_seconds(node.step), _clip(str(node)))
        _walk(node.expr, inner, ref, cost)
    elif isinstance(node, p.AggregateExpr):
        _walk(node.expr, outer, ref, cost)
        if node.param is not None:
            _walk(node.param, outer, ref, cost)
    elif isinstance(node, p.BinaryExpr):
        _walk(node.lhs, outer, ref, cost)
        _walk(node.rhs, outer, ref, cost)
    elif isinstance(node, p.Call):
        for arg in node.args:
            _walk(arg, outer, ref, cost)
    elif isinstance(node, p.ParenExpr | p.UnaryExpr):
        _walk(node.expr, outer, ref, cost)


def _prom_bounded(vs: Any) -> bool:
    if vs.name:
        return True
    groups = [vs.matchers.matchers] if vs.matchers.matchers else []
    groups += list(vs.matchers.or_matchers or [])
    if not groups:
        return False
    return all(any(selective(_PROM_OPS.get(str(m.op).rsplit(".", 1)[-1], "?"), m.value, m.name) for m in g)
               for g in groups)


# -- LogQL ----------------------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*')
_RANGE = re.compile(r"\[\s*([0-9][0-9a-zA-Z.]*)\s*(?::\s*[0-9a-zA-Z.]*\s*)?\]")
_OFFSET = re.compile(r"\boffset\s+(-?[0-9][0-9a-zA-Z.]*)", re.IGNORECASE)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    @property
    def selective(self) -> bool:
        """Does this matcher narrow the streams (rather than exclude a few or match all)?"""
        return selective(self.op, self.value, self.name)

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def logql_selectors(query: str) -> list[list[Matcher]]:
    """The matchers of every stream selector in `query` (a metric query may hold several)."""
    selectors: list[list[Matcher]] = []
    for start in _outside_strings(query, "{"):
        selectors.append(_selector_at(query, start))
    if not selectors:
        raise QueryError('the query has no stream selector; start it with one such as {namespace="shop", '
                         'app="checkout"}')
    return selectors


def logql_cost(query: str) -> QueryCost:
    """Look-back (range selectors plus offsets) and unselective stream selectors of a LogQL query.

    LogQL has no subqueries, so the look-back is the longest range plus the largest offset."""
    from guardrails.timeparse import parse_duration

    _check_length(query)
    cost = QueryCost()
    for matchers in logql_selectors(query):
        if not any(m.selective for m in matchers):
            cost.unbounded.append("{" + ", ".join(str(m) for m in matchers) + "}")
    code = _code_only(query)
    ranges = [(_duration(m.group(1), parse_duration), m.group(0)) for m in _RANGE.finditer(code)]
    offsets = [(max(0.0, _duration(m.group(1), parse_duration)), m.group(0)) for m in _OFFSET.finditer(code)]
    longest = max(ranges, default=(0.0, ""))
    furthest = max(offsets, default=(0.0, ""))
    where = " ".join(x for x in (longest[1], furthest[1]) if x)
    cost.look(longest[0] + furthest[0], where)
    return cost


def _duration(text: str, parse: Any) -> float:
    try:
        return float(parse(text.lstrip("-"))) * (-1 if text.startswith("-") else 1)
    except ValueError as exc:
        raise QueryError(f"cannot read the duration {text!r} in the query: {exc}") from None


def _outside_strings(query: str, char: str, quotes: str = "\"`") -> list[int]:
    """Indexes of `char` outside string literals."""
    found, i = [], 0
    while i < len(query):
        if query[i] in quotes:
            _, i = _string(query, i, quotes)
            continue
        if query[i] == char:
            found.append(i)
        i += 1
    return found


def _code_only(query: str, quotes: str = "\"`") -> str:
    """The query with every string literal blanked, so `[10y]` inside a line filter is not a range."""
    out, i = [], 0
    while i < len(query):
        if query[i] in quotes:
            _, j = _string(query, i, quotes)
            out.append('""')
            i = j
            continue
        out.append(query[i])
        i += 1
    return "".join(out)


def _selector_at(query: str, start: int) -> list[Matcher]:
    matchers: list[Matcher] = []
    i = start + 1
    while True:
        while i < len(query) and query[i] in " \t\n,":
            i += 1
        if i < len(query) and query[i] == "}":
            return matchers
        m = _MATCHER.match(query, i)
        if not m:
            raise QueryError(f"cannot read the stream selector at character {i + 1}: {query[i:i + 30]!r}; "
                             'write matchers like name="value", name=~"regex"')
        value, i = _string(query, m.end())
        matchers.append(Matcher(m.group(1), m.group(2), value))


def _string(query: str, i: int, quotes: str = "\"`'") -> tuple[str, int]:
    """A quoted string starting at `i` ("..." or '...' with escapes, `...` raw); returns (value, next index)."""
    if i >= len(query) or query[i] not in quotes:
        raise QueryError(f"expected a quoted value at character {i + 1}; quote label values with \"...\"")
    quote = query[i]
    out = []
    j = i + 1
    while j < len(query):
        ch = query[j]
        if quote != "`" and ch == "\\" and j + 1 < len(query):
            out.append(query[j + 1])
            j += 2
            continue
        if ch == quote:
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise QueryError(f"unterminated string starting at character {i + 1}")


def unbounded_streams_reason(selectors: list[str]) -> str:
    """Why LogQL selectors that match every stream are refused, and what to write instead."""
    shown = ", ".join(selectors[:3])
    return (f"the stream selector {shown} matches every stream, which makes Loki read every chunk in the window; "
            'add an equality matcher such as {namespace="shop", app="checkout"} (loki_labels and '
            "loki_label_values list what exists)")


def unbounded_series_reason(selectors: list[str]) -> str:
    """Why PromQL selectors that match every series are refused, and what to write instead."""
    shown = ", ".join(selectors[:3])
    return (f"the selector {shown} matches every series (no metric name and no label matcher that narrows); "
            'name the metric or add an equality matcher such as {job="api"} (prom_label_values lists what exists)')
