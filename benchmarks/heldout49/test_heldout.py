"""What round 49 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the hardening change and what it did to the application it hurt.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout49`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout49/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout49")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str, name: str = "logs.txt") -> str:
    """The logs of every pod of `ns` whose name starts with `prefix`, joined (`name`: which file)."""
    found = []
    for p in sorted((root / "cluster" / ns).iterdir()):
        if p.is_dir() and p.name.startswith(prefix):
            found += [f.read_text() for f in sorted(p.glob(name))]
    return "".join(found)


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"]
               if m["manager"] != "kube-controller-manager" and not m.get("subresource"))


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _metric(root: Path, name: str, **labels: str) -> list[float]:
    values = []
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            values.append(float(value))
    return values


def _nodes(root: Path) -> list[str]:
    return [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]


def _pods(root: Path, ns: str, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _all(root, "Pod")
            if p["metadata"]["namespace"] == ns and p["metadata"]["name"].startswith(prefix)]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout49").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only report-api, one only a node), three PagerDuty events, an SLO burn
    and one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("report-api ") and "reports-pg" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "wallet-api-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "basket-errors-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert "basket-redis" not in json.dumps(grouped)


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The cluster-scoped Bundle without public roots, the SeccompProfile without clone3 and the cluster-scoped
    ClusterImagePolicy in enforce mode, each changed before the incident and seen in the hurt application."""
    root = _bundle(built, "notification-sends-failing-page")
    bundle = _one(root, "Bundle", "platform-ca-bundle")
    assert "namespace" not in bundle["metadata"] and _last_change(bundle) < _incident(root)
    assert not any(s.get("useDefaultCAs") for s in bundle["spec"]["sources"])
    assert _one(root, "ConfigMap", "platform-ca-bundle")["metadata"]["managedFields"][-1]["manager"] == "trust-manager"
    logs = _logs(root, "notify", "notification-dispatcher-")
    assert "CERTIFICATE_VERIFY_FAILED" in logs and "host='api.sendgrid.com'" in logs
    assert "templates.notify.svc" in logs  # internal calls (company CA) still succeed

    root = _bundle(built, "content-ssr-replicas-missing")
    profile = _one(root, "SeccompProfile", "node-runtime")
    allowed = profile["spec"]["syscalls"][0]["names"]
    assert "clone3" not in allowed and "clone" not in allowed
    assert profile["spec"]["defaultAction"] == "SCMP_ACT_ERRNO" and _last_change(profile) < _incident(root)
    pods = _pods(root, "content", "content-ssr-")
    crashing = [p for p in pods if p["status"]["containerStatuses"][0].get("state", {}).get("waiting")]
    assert len(crashing) == 2 and all(p["metadata"]["creationTimestamp"] > _last_change(profile) for p in crashing)
    assert all(p["metadata"]["creationTimestamp"] < _last_change(profile) for p in pods if p not in crashing)
    assert "uv_thread_create" in _logs(root, "content", "content-ssr-", "*.previous.txt")

    root = _bundle(built, "feature-freshness-page")
    policy = _one(root, "ClusterImagePolicy", "internal-images-signed")
    assert "namespace" not in policy["metadata"] and policy["spec"]["mode"] == "enforce"
    assert _last_change(policy) < _incident(root)
    denied = [e for e in _all(root, "Event") if e["reason"] == "FailedCreate"]
    assert denied and "no matching signatures" in denied[0]["message"]
    assert "internal-images-signed" in denied[0]["message"]


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed field and the hurt application shows what it did."""
    root = _bundle(built, "storefront-edge-crashloop")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("storefront-edge-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    assert "securityContext" not in sets[0]["spec"]["template"]["spec"]["containers"][0]
    assert sets[-1]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    assert "(30: Read-only file system)" in _logs(root, "edge", "storefront-edge-", "*.previous.txt")

    root = _bundle(built, "basket-errors-grouped")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "basket-redis"), key=lambda r: r["revision"])
    boxes = [r["data"]["spec"]["template"]["spec"]["containers"][0] for r in revisions]
    assert "securityContext" not in boxes[0] and boxes[1]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert 'failed switching to "redis": operation not permitted' in _logs(root, "basket", "basket-redis-")
    assert "connect: connection refused" in _logs(root, "basket", "basket-api-")

    root = _bundle(built, "invoice-export-job-stuck")
    cronjob = _one(root, "CronJob", "invoice-export")
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert template["securityContext"]["runAsNonRoot"] is True and "runAsUser" not in template["securityContext"]
    assert any("image has non-numeric user (node)" in e["message"] for e in _all(root, "Event"))

    root = _bundle(built, "wallet-api-burn")
    ns = _one(root, "Namespace", "wallet")
    assert ns["metadata"]["annotations"]["config.linkerd.io/default-inbound-policy"] == "all-authenticated"
    assert _last_change(ns) < _incident(root)
    assert "server.name=all-authenticated" in _logs(root, "wallet", "wallet-api-")
    assert '"GET /v1/balance HTTP/2.0" 403' in _logs(root, "ingress-nginx", "ingress-nginx-controller-")

    root = _bundle(built, "bot-scores-stalled-alert")
    conf = _one(root, "ConfigMap", "fluent-bit-pipeline")["data"]["fluent-bit.conf"]
    assert "Remove client_ip" in conf
    assert "missing field `client_ip`" in _logs(root, "trust-safety", "bot-scorer-")
    assert max(_metric(root, "bot_scorer_records_dropped_total", reason="missing_field")) > 0

    root = _bundle(built, "report-api-question")
    cert = _one(root, "Secret", "reports-pg-tls")
    assert _last_change(cert) < _incident(root)
    assert "x509: certificate signed by unknown authority" in _logs(root, "analytics", "report-api-")
    assert "tlsv1 alert unknown ca" in _logs(root, "data", "reports-pg-")

    root = _bundle(built, "pdf-exports-question-host")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    host = next(n for n in _nodes(root) if n in question)
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "node-sysctl-hardening"),
                       key=lambda r: r["revision"])
    args = [r["data"]["spec"]["template"]["spec"]["containers"][0]["args"] for r in revisions]
    assert "--set=user.max_user_namespaces=0" in args[1] and "--set=user.max_user_namespaces=0" not in args[0]
    hardening = _pods(root, "node-security", "node-sysctl-hardening-")
    updated = [p["spec"]["nodeName"] for p in hardening if p["spec"]["containers"][0]["image"].endswith(":1.5.0")]
    assert updated == [host]
    failing = [p["spec"]["nodeName"] for p in _pods(root, "docs", "pdf-renderer-")
               if "No usable sandbox" in _logs(root, "docs", p["metadata"]["name"])]
    assert failing == [host]

    root = _bundle(built, "shipment-tracking-stale-page")
    ingress = _one(root, "Ingress", "partner-hooks")
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "on"
    assert _last_change(ingress) < _incident(root)
    edge = _logs(root, "ingress-nginx", "ingress-nginx-controller-")
    assert '400 246 "-" "ParcelWave-Webhooks/3.1"' in edge and '202 2 "-" "NorthwindFreight-Hooks/2.4"' in edge

    root = _bundle(built, "backoffice-logins-failing")
    settings = _one(root, "ConfigMap", "backoffice-settings")
    assert settings["data"]["CSRF_COOKIE_SECURE"] == "True" and _last_change(settings) < _incident(root)
    assert "Forbidden (CSRF cookie not set.): /admin/login/" in _logs(root, "ops", "backoffice-")
    assert "ssl-redirect" in json.dumps(_one(root, "Ingress", "backoffice")["metadata"]["annotations"])
