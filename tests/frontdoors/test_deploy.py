"""deploy/: the manifests rendered by the real `kubectl kustomize` (offline), checked for what the design
promises: read-only RBAC that cannot read Secrets, probes on the service's health endpoints, a
NetworkPolicy, no secret values in plain text, and the PostgreSQL multi-replica option."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.config import load_config
from agent.server.settings import load_serve_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
READ_VERBS = {"get", "list", "watch"}


def render(overlay: str) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is absent: cannot render the kustomizations (apt-get install kubectl)")
    return _render(overlay)


@functools.cache
def _render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "kubernetes" / overlay)], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("overlay", ["base", "postgresql"])
def test_rbac_is_read_only_and_blind_to_secrets(overlay: str) -> None:
    docs = render(overlay)
    [role] = by_kind(docs, "ClusterRole")
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= READ_VERBS, rule
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"] and "*" not in rule["verbs"]
        assert not any(r == "secrets" or r.startswith("secrets/") for r in rule["resources"]), rule
    assert not by_kind(docs, "Role") and not by_kind(docs, "RoleBinding"), "no namespaced grants on the side"
    [binding] = by_kind(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vigil", "namespace": "vigil"}]


@pytest.mark.parametrize(("overlay", "kind"), [("base", "Deployment"), ("postgresql", "StatefulSet")])
def test_workload_probes_security_and_secret_handling(overlay: str, kind: str) -> None:
    docs = render(overlay)
    [workload] = [d for d in by_kind(docs, kind) if d["metadata"]["name"] == "vigil"]
    pod = workload["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["serviceAccountName"] == "vigil"
    for env in container["env"]:
        if any(word in env["name"] for word in ("TOKEN", "SECRET", "PASSWORD", "QUEUE_URL")):
            assert "valueFrom" in env and "secretKeyRef" in env["valueFrom"], env
    [service] = [d for d in by_kind(docs, "Service") if d["metadata"]["name"] == "vigil"]
    labels = workload["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items(), "the Service reaches the pods"


def test_network_policy_limits_both_directions() -> None:
    docs = render("base")
    [policy] = by_kind(docs, "NetworkPolicy")
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    [deployment] = by_kind(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    ingress_ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    assert ingress_ports == {8080}


COREDNS_POD_LABELS = {"k8s-app": "kube-dns", "pod-template-hash": "5dd5756b68"}
"""The labels the cluster DNS pods carry (CoreDNS as kubeadm, kind, GKE, EKS and AKS deploy it)."""


@pytest.mark.parametrize("overlay", ["base", "postgresql"])
def test_every_selector_selects_the_pods_it_means(overlay: str) -> None:
    """The labels kustomize adds must not leak into selectors of pods that are not ours: a NetworkPolicy
    peer in another namespace (cluster DNS) keeps exactly its own selector, and every selector of ours
    matches the pod template of one of our workloads."""
    docs = render(overlay)
    templates = [d["spec"]["template"]["metadata"]["labels"] for d in render("base") + render("postgresql")
                 if d["kind"] in ("Deployment", "StatefulSet")]  # base also lets Vigil reach the optional database

    def selects_ours(selector: dict[str, str]) -> bool:
        return any(selector.items() <= labels.items() for labels in templates)

    for workload in [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]:
        assert workload["spec"]["selector"]["matchLabels"].items() <= \
            workload["spec"]["template"]["metadata"]["labels"].items()
    for service in by_kind(docs, "Service"):
        assert selects_ours(service["spec"]["selector"]), service["metadata"]["name"]
    dns_rules = 0
    for policy in by_kind(docs, "NetworkPolicy"):
        assert selects_ours(policy["spec"]["podSelector"]["matchLabels"]), policy["metadata"]["name"]
        peers = [peer for rule in policy["spec"].get("egress", []) + policy["spec"].get("ingress", [])
                 for peer in rule.get("to", []) + rule.get("from", [])]
        for peer in peers:
            pods = (peer.get("podSelector") or {}).get("matchLabels")
            if pods is None:
                continue
            if "namespaceSelector" in peer:  # pods of other namespaces: none of our labels
                assert pods.items() <= COREDNS_POD_LABELS.items(), (policy["metadata"]["name"], pods)
                dns_rules += 1
            else:
                assert selects_ours(pods), (policy["metadata"]["name"], pods)
    assert dns_rules == 1, "the DNS egress rule is there and matches the cluster DNS pods"


def test_every_secret_key_the_manifests_read_is_in_the_documented_commands() -> None:
    """An operator creates the Secrets from docs/frontdoors.md; a key the pods read but the commands
    omit is a pod that will not start (or a front door that stays off)."""
    docs_text = (DEPLOY.parent / "docs" / "frontdoors.md").read_text()
    commands = re.findall(r"kubectl -n vigil create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)", docs_text)
    documented = {(name, key) for name, args in commands for key in re.findall(r"--from-literal=([\w-]+)=", args)}
    read = set()
    for overlay in ("base", "postgresql"):
        for doc in render(overlay):
            read |= {(ref["name"], ref["key"]) for ref in _secret_refs(doc)}
    assert read and read <= documented, read - documented


def _secret_refs(node: Any) -> list[dict[str, str]]:
    if isinstance(node, dict):
        found = [node["secretKeyRef"]] if "secretKeyRef" in node else []
        return found + [ref for value in node.values() for ref in _secret_refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _secret_refs(item)]
    return []


def test_postgresql_option_runs_several_replicas_on_a_shared_queue() -> None:
    docs = render("postgresql")
    assert not by_kind(docs, "Deployment") and not by_kind(docs, "PersistentVolumeClaim")
    [vigil] = [d for d in by_kind(docs, "StatefulSet") if d["metadata"]["name"] == "vigil"]
    assert vigil["spec"]["replicas"] >= 2
    env = {e["name"]: e for e in vigil["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["VIGIL_SERVE__QUEUE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "vigil-postgresql"
    assert any(d["metadata"]["name"] == "vigil-postgresql" for d in by_kind(docs, "NetworkPolicy"))


def test_shipped_configs_validate(tmp_path: Path) -> None:
    docs = render("base")
    [configmap] = by_kind(docs, "ConfigMap")
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(configmap["data"]["vigil.yaml"])
    config = load_config(cluster, environ={})
    assert config.kubernetes.in_cluster and str(config.state_dir) == "/var/lib/vigil"
    assert load_serve_settings(None, config, environ={"VIGIL_SERVE__WORKERS": "2"}).workers == 2
    image = load_config(DEPLOY / "vigil.container.yaml", environ={})
    assert image.kubernetes.in_cluster


def test_dockerfile_runs_unprivileged_and_ships_the_runbooks() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    user = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user and not user[-1].split()[1].startswith(("0", "root"))
    # The wheel built in the first stage carries the catalog as data files (share/vigil/runbooks).
    assert "COPY runbooks ./runbooks" in text
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    assert '"share/vigil/runbooks" = ["runbooks/*.md"]' in pyproject
    assert 'ENTRYPOINT ["vigil"]' in text and "EXPOSE 8080" in text
    for copied in ("agent", "guardrails", "mcp_servers", "runbooks", "pyproject.toml"):
        assert (DEPLOY.parent / copied).exists(), f"the Dockerfile copies {copied}, which must exist"


def test_slack_app_manifest_matches_what_the_app_handles() -> None:
    from agent.server.settings import SlackDoor

    manifest = yaml.safe_load((DEPLOY / "slack-app-manifest.yaml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SlackDoor().command
    settings = manifest["settings"]
    urls = {command["url"], settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    assert all(url.endswith("/slack/events") for url in urls)
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.channels", "message.groups"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "files:write", "app_mentions:read"} <= scopes
    assert not settings["socket_mode_enabled"], "Vigil's Slack app runs in HTTP mode"


def _resource(kind: str) -> str:
    """The plural resource name Kubernetes serves a kind under (the kinds the scan lists are regular)."""
    lower = kind.lower()
    if lower.endswith("s"):
        return lower if lower == "endpoints" else lower + "es"
    if lower.endswith("y") and lower[-2] not in "aeiou":
        return lower[:-1] + "ies"  # NetworkPolicy -> networkpolicies, Gateway -> gateways
    return lower + "s"


def _granted(role: dict[str, Any]) -> set[tuple[str, str]]:
    return {(group, res) for rule in role["rules"] for group in rule["apiGroups"] for res in rule["resources"]
            if {"get", "list"} <= set(rule["verbs"])}


@pytest.mark.parametrize("overlay", ["base", "postgresql"])
def test_rbac_grants_every_kind_the_scan_lists_but_secrets(overlay: str) -> None:
    """A kind the scan wants and the role does not grant is a check that silently never runs on a real cluster
    (the read comes back forbidden and the scan carries on): the role and the scan's list move together."""
    from mcp_servers.kubernetes.scan.snapshot import WANTED

    [role] = by_kind(render(overlay), "ClusterRole")
    granted = _granted(role)
    missing = [(w.group, _resource(w.kind)) for w in WANTED
               if w.kind != "Secret" and (w.group, _resource(w.kind)) not in granted]
    assert missing == []
