"""The template language: lookups, defaults, filters, and the safety rules for tool arguments."""

from __future__ import annotations

import pytest

from agent.runbooks.templating import (
    Context,
    MissingValue,
    TemplateError,
    UnsafeValue,
    check,
    render,
    render_data,
)

CTX = Context(
    labels={"namespace": "shop", "pod": "checkout-7d9f8b6c5d-x2x4z", "quote": 'a"b', "nested": "{{ labels.pod }}"},
    annotations={"summary": "line one\nline two   spaced"},
    incident={"started_at": "2026-03-12T14:20:00Z"},
    match={"limit": "512Mi", "cores": "500m"},
)


def test_lookup_and_whitespace() -> None:
    assert render("{{labels.namespace}}/{{ labels.pod }}", CTX, safe=True) == "shop/checkout-7d9f8b6c5d-x2x4z"
    assert render("at {{ incident.started_at }}", CTX, safe=True) == "at 2026-03-12T14:20:00Z"


def test_defaults_are_tried_in_order() -> None:
    assert render('{{ labels.deployment | default(labels.service) | default("web") }}', CTX, safe=True) == "web"
    assert render("{{ labels.deployment | default(labels.namespace) }}", CTX, safe=True) == "shop"
    assert render("{{ labels.deployment | default('') }}", CTX, safe=True) == ""


def test_missing_value_without_default_raises() -> None:
    with pytest.raises(MissingValue) as caught:
        render("{{ labels.deployment | default(labels.service) }}", CTX, safe=True)
    assert caught.value.ref == "labels.deployment"


def test_values_are_never_reread_as_templates() -> None:
    assert render("{{ labels.nested }}", CTX) == "{{ labels.pod }}"


def test_tool_arguments_refuse_values_that_could_break_quoting() -> None:
    with pytest.raises(UnsafeValue, match=r"labels\.quote"):
        render('pod="{{ labels.quote }}"', CTX, safe=True)
    # A default written by the runbook author is trusted.
    assert render('ns=~"{{ labels.absent | default(".*") }}"', CTX, safe=True) == 'ns=~".*"'
    # Human text accepts it, flattened to one line.
    assert render("{{ labels.quote }} / {{ annotations.summary }}", CTX) == 'a"b / line one line two spaced'


def test_long_values_are_cut_in_text() -> None:
    ctx = Context(annotations={"description": "x" * 500})
    assert len(render("{{ annotations.description }}", ctx)) == 200


def test_filters() -> None:
    assert render("{{ labels.pod | workload }}", CTX, safe=True) == "checkout"
    assert render("{{ labels.namespace | workload | upper }}", CTX, safe=True) == "SHOP"
    assert render("{{ match.limit | double }} {{ match.cores | double }}", CTX, safe=True) == "1024Mi 1000m"
    with pytest.raises(MissingValue):
        render("{{ labels.namespace | double }}", CTX, safe=True)


def test_render_data_walks_nested_values() -> None:
    data = {"kind": "Pod", "limit": 50, "names": ["{{ labels.pod | workload }}"],
            "sub": {"ns": "{{ labels.namespace }}"}}
    expected = {"kind": "Pod", "limit": 50, "names": ["checkout"], "sub": {"ns": "shop"}}
    assert render_data(data, CTX, safe=True) == expected


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ secrets.token }}", "cannot read"),
        ("{{ labels.pod | eval }}", "unknown filter"),
        ("{{ labels.pod ", "unbalanced"),
        ("{{ incident.password }}", "incident has no field"),
        ("{{ labels.pod }}}}", "unbalanced"),
    ],
)
def test_check_reports_problems(template: str, problem: str) -> None:
    problems = check(template)
    assert problems and problem in problems[0]
    with pytest.raises((TemplateError, MissingValue)):
        render(template, CTX)


def test_check_limits_roots() -> None:
    assert check("{{ match.limit }}", roots=("labels",)) == [
        "{{ match.limit }} is not available here (use labels)"
    ]
    assert check("{{ labels.pod | default(match.limit) }}", roots=("labels", "match")) == []
