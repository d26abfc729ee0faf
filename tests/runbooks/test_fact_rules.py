"""Conclusion rules as expressions over structured tool results, and steps checked against a policy.

The facts below are in the shape of the scan's and the log tools' output schemas; every shipped
runbook's fact rules are evaluated against them, so a rule that names a field the tools do not
return, or a JMESPath typo, fails here rather than staying silent at 3 a.m.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from typer.testing import CliRunner

from agent.incident import from_text
from agent.runbooks.catalog import SHIPPED_DIR, Catalog
from agent.runbooks.conclusions import conclude
from agent.runbooks.lint import lint_paths
from agent.runbooks.lint_policy import lint_against_policy
from agent.runbooks.parser import parse_file
from guardrails.pipeline import default_policy_path
from guardrails.policy import load_policy
from tests.policies import DENY_KUBE_SYSTEM

CATALOG = Catalog.load([SHIPPED_DIR])
INCIDENT = from_text("something is wrong in namespace shop")


def scan_with(*findings: dict[str, object]) -> dict[str, object]:
    return {"findings": list(findings), "scanned": {"Pod": 40}, "hidden_namespaces": [], "errors": []}


OOM = {"check": "pod.oomkilled", "severity": "critical", "object": {"kind": "Deployment", "namespace": "shop",
                                                                    "name": "cart"},
       "owner": {"kind": "Deployment", "namespace": "shop", "name": "cart"}, "reason": "OOMKilled",
       "message": "Deployment shop/cart: 2/2 pods OOMKilled (container cart), memory limit 256Mi",
       "details": {"limit": "256Mi", "container": "cart"}, "evidence": [], "since": None, "pods": [], "count": 2}


def test_a_fact_rule_fires_on_the_structure_and_fills_its_finding() -> None:
    runbook = CATALOG.get("oomkilled")
    assert runbook is not None
    conclusion = conclude(runbook, INCIDENT, {}, {"survey.scan": scan_with(OOM)})
    [finding] = [f for f in conclusion.findings if f.rule_id == "oom-facts"]
    assert "256Mi" in finding.text and "Deployment shop/cart" in finding.text
    assert finding.cites == ["survey.scan"]


def test_no_such_fact_rules_out_and_no_facts_leave_it_undecided() -> None:
    runbook = CATALOG.get("oomkilled")
    assert runbook is not None
    quiet = conclude(runbook, INCIDENT, {}, {"survey.scan": scan_with()})
    assert "oom-facts" in {r.rule_id for r in quiet.ruled_out}
    blind = conclude(runbook, INCIDENT, {}, {})
    assert "oom-facts" in {u.rule_id for u in blind.undetermined}


def test_log_facts_name_the_missing_setting() -> None:
    runbook = CATALOG.get("crashloopbackoff")
    assert runbook is not None
    logs = {"logs": [{"pod": "api-7d9f8b6c5d-x2x4z", "namespace": "shop", "previous": True, "hosts": [],
                      "errors": [{"severity": "error", "error_class": "missing_config",
                                  "message": "Environment variable DEPLOY_ENV is undefined",
                                  "fields": {"env_var": "DEPLOY_ENV"}}]}]}
    conclusion = conclude(runbook, INCIDENT, {}, {"survey.logs": logs})
    [finding] = [f for f in conclusion.findings if f.rule_id == "crash-config-facts"]
    assert "DEPLOY_ENV is undefined" in finding.text and "api-7d9f8b6c5d-x2x4z" in finding.text


def test_every_shipped_runbook_lints_clean_and_has_a_fact_rule_or_defers_to_triage() -> None:
    assert not lint_paths([SHIPPED_DIR])
    for runbook in CATALOG.runbooks:
        uses_facts = any(c.expr for rule in runbook.rules for c in _conditions(rule.when))
        assert uses_facts or not runbook.rules, f"{runbook.id} has only text rules"


def _conditions(condition):  # type: ignore[no-untyped-def]
    yield condition
    for child in (condition.all or []) + (condition.any or []) + ([condition.not_] if condition.not_ else []):
        yield from _conditions(child)


def test_a_bad_expression_is_a_lint_error_with_its_line(tmp_path: Path) -> None:
    source = (SHIPPED_DIR / "oomkilled.md").read_text()
    broken = source.replace("findings[?check==''pod.oomkilled''] | [0]", "findings[?check==''pod.oomkilled'' | [0]")
    assert broken != source
    path = tmp_path / "oomkilled.md"
    path.write_text(broken)
    issues = lint_paths([path])
    assert [i.code for i in issues] == ["bad-expression"] and issues[0].line > 0


def test_steps_the_policy_denies_are_lint_errors_naming_the_rule() -> None:
    runbooks = [r for r in (parse_file(p).runbook for p in sorted(SHIPPED_DIR.glob("*.md"))) if r]
    assert not lint_against_policy(runbooks, load_policy(default_policy_path()), "the shipped policy")
    denied = lint_against_policy(runbooks, load_policy(DENY_KUBE_SYSTEM), "a strict policy")
    assert denied and {i.code for i in denied} == {"policy-denied"}
    assert all("deny-kube-system" in i.message and "dns-failures" in i.path for i in denied)


def test_the_cli_lints_against_the_policy_it_is_given(tmp_path: Path) -> None:
    from agent.cli import app

    policy = tmp_path / "policy.yaml"
    policy.write_text(dedent("""\
        version: 1
        rules:
          - {id: no-events, effect: deny, tools: [k8s_events], namespaces: [kube-system]}
          - {id: read, effect: allow, tools: ["k8s_*", "prom_*", "loki_*"]}
        """))
    result = CliRunner().invoke(app, ["runbooks", "lint", "--policy", str(policy)])
    assert result.exit_code == 1 and "no-events" in result.output and "dns-failures" in result.output
