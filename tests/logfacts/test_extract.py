"""Grouping, ordering, baseline, hosts and robustness of `extract` over whole windows."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_servers.common.logfacts import LogFacts, extract
from mcp_servers.common.logfacts.mask import template


def test_missing_config_outranks_repeated_info_and_a_generic_warning() -> None:
    lines = [f'{{"level":"info","msg":"request served","path":"/cart/{i}","status":200}}' for i in range(200)]
    lines += ["WARN  [pool-1] c.e.Cache - cache warm-up slow"] * 30
    lines += ['{"level":"error","msg":"startup check failed","error":"STRIPE_API_KEY is not set"}']
    facts = extract(lines)
    assert facts.lines == 231 and facts.formats == {"json": 201, "leveled": 30}
    first = facts.errors[0]
    assert first.error_class == "missing_config" and first.fields["env_var"] == "STRIPE_API_KEY" and first.count == 1
    assert [e.severity for e in facts.errors] == ["error", "warning"]
    assert facts.errors[1].count == 30
    assert facts.status_codes == {"200": 200}


def test_causes_rank_before_symptoms_of_the_same_severity() -> None:
    lines = ['level=error msg="request failed" status=500 path=/pay'] * 50
    lines += ['level=error msg="db ping" err="dial tcp 10.0.3.4:5432: connect: connection refused"'] * 3
    lines += ["level=error msg=\"boom\""] * 80
    classes = [e.error_class for e in extract(lines).errors]
    assert classes == ["connection_refused", "http_5xx", None]


def test_baseline_marks_only_new_error_kinds_and_they_come_first() -> None:
    old = [f'level=error msg="cache miss storm" shard={i}' for i in range(40)]
    baseline = old[:10]
    window = [*old, 'level=error msg="ledger call" err="dial tcp: lookup ledger on 10.96.0.10:53: no such host"']
    facts = extract(window, baseline=baseline)
    assert [(e.new, e.error_class) for e in facts.errors] == [(True, "dns_failure"), (False, None)]
    assert extract(window).errors[0].new is None  # no baseline: unknown, not False
    assert all(e.new for e in extract(window, baseline=[]).errors)


def test_variable_parts_fold_into_one_template_with_first_and_last_seen() -> None:
    lines = [f"2026-03-01T10:0{i}:00Z level=error msg=\"charge {i}a7f3c9e2b1d4 failed after {i * 100}ms\" "
             f"order=8c1f2c0e-1d2a-4c1b-9a55-1e1e1e1e1e1{i}" for i in range(5)]
    (err,) = extract(lines).errors
    assert err.count == 5 and err.template == "charge <hex> failed after <duration>"
    assert (err.first_seen, err.last_seen) == ("2026-03-01T10:00:00Z", "2026-03-01T10:04:00Z")
    assert err.example == lines[0][21:]  # the runtime timestamp is not part of the line's own text
    assert template("user 'bob' from 10.1.2.3:4431 at 2026-03-01 10:00:00") == "user <quoted> from <ip> at <time>"


def test_hosts_are_upstreams_of_error_lines_most_frequent_first() -> None:
    lines = ['level=error msg="call" err="dial tcp 10.0.3.4:5432: connect: connection refused"'] * 2
    lines += ['level=error msg="call" err="Get \\"http://inventory.shop:8080/stock\\": context deadline exceeded"'] * 5
    lines += ['level=info msg="call ok" upstream=quiet.shop:80'] * 9
    assert extract(lines).hosts == ["inventory.shop", "10.0.3.4"]


def test_max_errors_keeps_the_most_salient_and_counts_the_rest() -> None:
    lines = [f"ERROR job{n} failed" for n in "abcdefghij"] + ["FATAL DB_HOST is not set"]
    facts = extract(lines, max_errors=3)
    assert len(facts.errors) == 3 and facts.errors_left_out == 8
    assert facts.errors[0].error_class == "missing_config" and facts.errors[0].severity == "fatal"


def test_odd_input_never_raises() -> None:
    lines = ["", "   ", "{not json", "{}", "[]", '{"level": {"nested": true}, "msg": 5}', "\x00\x01\x02 binary",
             "x" * 100_000, "=" * 50, "a=b", '"unterminated', "\t\tat orphan.Frame(Orphan.java:1)",
             "Traceback (most recent call last):", "panic: ", "Caused by:", "ERROR", json.dumps({"msg": None})]
    facts = extract(lines)
    assert facts.lines == sum(1 for ln in lines if ln.strip())
    for err in facts.errors:
        assert len(err.example) <= 300 and len(err.template) <= 300


def test_a_huge_record_is_cut_but_every_line_is_counted() -> None:
    lines = ["java.lang.IllegalStateException: boom", *[f"\tat a.B.m{i}(B.java:{i})" for i in range(1000)]]
    facts = extract(lines)
    assert facts.lines == 1001 and facts.formats == {"stacktrace": 1001}
    assert facts.traces[0].exception == "java.lang.IllegalStateException" and len(facts.traces[0].frames) == 5


def test_empty_window() -> None:
    facts = extract([])
    assert facts.lines == 0 and facts.errors == [] and facts.traces == [] and facts.hosts == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=200),
    st.sampled_from(["Traceback (most recent call last):", '  File "x.py", line 1, in f', "ValueError: x",
                     "panic: boom", "goroutine 1 [running]:", "main.f()", "\t/x.go:1 +0x1", "\tat a.B.c(B.java:1)",
                     "Caused by: java.io.IOException: x", "    at f (/a.js:1:2)", "", '{"level":"error","msg":"',
                     "level=error msg=", "<13>", "[2026-03-01T10:00:00Z] \"GET / HTTP/1.1\" 503 UF"]),
), max_size=40))
def test_any_sequence_of_lines_gives_consistent_facts(lines: list[str]) -> None:
    facts = extract(lines)
    assert sum(1 for ln in lines if ln.strip()) <= facts.lines <= len(lines)  # blank lines count inside a Go dump
    assert sum(facts.formats.values()) == facts.lines
    assert sum(e.count for e in facts.errors) <= facts.lines
    LogFacts.model_validate_json(facts.model_dump_json())
