"""The spine's commands as a user runs them: real subprocesses of the installed `vigil` script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

VIGIL = [str(Path(sys.executable).with_name("vigil"))]


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(VIGIL + list(args), capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_version_and_help():
    assert run("--version").stdout.startswith("vigil ")
    out = run("--help").stdout
    for command in ("policy", "audit", "config"):
        assert command in out


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "rules:\n"
        "  - {id: no-kube-system, effect: deny, namespaces: [kube-system]}\n"
        "  - {id: oncall-k8s, actors: [alice], tools: ['k8s_*']}\n"
        "  - {id: prs, tools: [propose_change], repo_paths: ['apps/**']}\n"
    )
    return path


def test_policy_check_allow_exits_zero_and_audits(policy_file, tmp_path):
    audit = tmp_path / "audit.jsonl"
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"namespace": {"type": "string"}}}))
    result = run("policy", "check", "--policy", str(policy_file), "--actor", "alice", "--tool", "k8s_list",
                 "--args", '{"namespace": "shop"}', "--schema", str(schema), "--audit", str(audit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "oncall-k8s" in result.stdout and "ALLOW" in result.stdout
    record = json.loads(audit.read_text().splitlines()[0])
    assert record["allowed"] is True and record["actor"] == "alice"
    assert run("audit", "verify", str(audit)).returncode == 0


def test_policy_check_deny_names_rule_and_exits_one(policy_file, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    result = run("policy", "check", "--policy", str(policy_file), "--actor", "alice", "--tool", "k8s_logs",
                 "--args", '{"namespace": "kube-system"}', "--schema", str(schema))
    assert result.returncode == 1
    assert "no-kube-system" in result.stdout and "DENY" in result.stdout


def test_policy_check_write_needs_rollback_and_approval(policy_file, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    base = ["policy", "check", "--policy", str(policy_file), "--actor", "alice", "--tool", "propose_change",
            "--args", '{"path": "apps/checkout/deploy.yaml"}', "--schema", str(schema), "--risk", "medium"]
    no_plan = run(*base)
    assert no_plan.returncode == 1 and "rollback-required" in no_plan.stdout
    no_approver = run(*base, "--rollback", "revert the PR")
    assert no_approver.returncode == 1 and "approval" in no_approver.stdout
    approved = run(*base, "--rollback", "revert the PR", "--approver", "bob")
    assert approved.returncode == 0, approved.stdout
    assert "approved by bob" in approved.stdout


def test_policy_check_rejects_bad_json_and_bad_policy(policy_file, tmp_path):
    bad_args = run("policy", "check", "--policy", str(policy_file), "--actor", "a", "--tool", "t", "--args", "[1]")
    assert bad_args.returncode == 2 and "JSON object" in bad_args.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [{id: x, effect: sometimes}]\n")
    bad_policy = run("policy", "check", "--policy", str(broken), "--actor", "a", "--tool", "t")
    assert bad_policy.returncode == 2 and "rules.0.effect" in bad_policy.stderr


def test_audit_verify_names_tampered_record(tmp_path):
    from guardrails.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl", fsync=False)
    for i in range(4):
        log.append({"kind": "decision", "tool": "k8s_get", "allowed": True, "reason": f"r{i}"})
    lines = log.path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"r1"', '"r9"')
    log.path.write_text("".join(lines))
    result = run("audit", "verify", str(log.path))
    assert result.returncode == 1
    assert "line 2" in result.stderr and "seq 2" in result.stderr


def test_audit_show_prints_records(tmp_path):
    from guardrails.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl", fsync=False)
    log.append({"kind": "decision", "actor": "alice", "tool": "k8s_get", "allowed": False, "reason": "nope"})
    out = run("audit", "show", str(log.path)).stdout
    assert "alice" in out and "k8s_get" in out and "deny" in out


def test_config_check_explains_errors_with_field_paths(tmp_path):
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text("llm:\n  provider: gpt\n  api_key: sk-live-123\nbudget:\n  max_steps: lots\nbogus: 1\n")
    result = run("config", "check", "--config", str(cfg))
    assert result.returncode == 1
    text = result.stderr
    assert "llm" in text and "api_key_env" in text
    assert "budget.max_steps" in text and "whole number" in text
    assert "bogus" in text and "remove it" in text
    assert "sk-live-123" not in text + result.stdout


def test_config_check_ok_with_env_override(tmp_path):
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text("llm:\n  provider: anthropic\n  model: claude-sonnet-4-5\n  api_key_env: ANTHROPIC_API_KEY\n")
    env = {"PATH": "/usr/bin:/bin", "VIGIL__LLM__PROVIDER": "openai"}
    result = run("config", "check", "--config", str(cfg), env=env)
    assert result.returncode == 0, result.stderr
    assert "provider=openai" in result.stdout


def test_policy_check_knows_builtin_tools_without_a_schema_file():
    """The tool's real schema and cost class come from Vigil's own servers (agent/toolcatalog.py)."""
    too_long = run("policy", "check", "--actor", "alice", "--tool", "prom_query_range",
                   "--args", '{"query": "up", "start": "now-30d", "end": "now"}')
    assert too_long.returncode == 1 and "limits.default.promql.max_range" in too_long.stdout
    bad_args = run("policy", "check", "--actor", "alice", "--tool", "k8s_logs", "--args", '{"namespace": "shop"}')
    assert bad_args.returncode == 1 and "validation" in bad_args.stdout and "'name' is a required" in bad_args.stdout
    fine = run("policy", "check", "--actor", "alice", "--tool", "k8s_logs", "--args",
               '{"namespace": "shop", "name": "checkout-1"}')
    assert fine.returncode == 0, fine.stdout
