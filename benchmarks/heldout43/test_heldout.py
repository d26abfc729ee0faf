"""What round 43 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the cloud-facing change and what it did to the hurt application.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout43`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout43/test_heldout.py
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout43")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str) -> str:
    """The current logs of every pod of `ns` whose name starts with `prefix`, joined."""
    return "".join((p / "logs.txt").read_text() for p in sorted((root / "cluster" / ns).iterdir())
                   if p.is_dir() and p.name.startswith(prefix) and (p / "logs.txt").exists())


def _events(root: Path, reason: str) -> list[dict[str, Any]]:
    return [e for e in _all(root, "Event") if e.get("reason") == reason]


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


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


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout43").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def _env(container: dict[str, Any], name: str) -> str:
    return str(next(e["value"] for e in container["env"] if e["name"] == name))


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only mail-sender, one only a node), two PagerDuty events, an SLO burn and
    one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("mail-sender:") and "notify" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2
    burn = json.loads((_bundle(built, "login-errors-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "photo-uploads-failing-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The parameter group forcing TLS against a client that disables it, the cluster-scoped cache parameter
    group that stopped evictions, and the bucket that makes a cross-account reader pay."""
    root = _bundle(built, "shipping-quotes-failing-page")
    group = _one(root, "DBParameterGroup", "shipping-pg15")
    assert group["spec"]["parameterOverrides"]["rds.force_ssl"] == "1"
    assert _last_change(group) < _incident(root)
    assert _one(root, "DBInstance", "shipping-db")["spec"]["dbParameterGroupName"] == "shipping-pg15"
    quoter = _one(root, "Deployment", "rate-quoter")["spec"]["template"]["spec"]["containers"][0]
    assert _env(quoter, "PGSSLMODE") == "disable"
    assert "no encryption" in _logs(root, "shipping", "rate-quoter")

    root = _bundle(built, "login-errors-burn")
    params = _one(root, "ParameterGroup", "sessions-redis7")
    assert "namespace" not in params["metadata"]
    assert {"name": "maxmemory-policy", "value": "noeviction"} in params["spec"]["forProvider"]["parameter"]
    assert _one(root, "ReplicationGroup", "sessions")["spec"]["forProvider"]["parameterGroupName"] == "sessions-redis7"
    evictions = _metric(root, "aws_elasticache_evictions_sum")
    assert evictions[0] > 100 and evictions[-1] == 0
    assert "OOM command not allowed" in _logs(root, "identity", "session-api")

    root = _bundle(built, "partner-feed-import-stale")
    bucket = _one(root, "Bucket", "acme-partner-feeds")
    assert bucket["spec"]["requestPayment"]["payer"] == "Requester"
    owner = bucket["status"]["ackResourceMetadata"]["ownerAccountID"]
    role = _one(root, "ServiceAccount", "feed-importer")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert owner not in role
    assert "Status Code: 403" in _logs(root, "catalog-ingest", "feed-importer")


def test_cloud_facing_changes_and_their_effects(built: Built) -> None:
    """The WAF on a shared ALB group, the stale egress ranges, the wrong-region endpoint, the node's network
    allowance, the lapsed registry token, the connection ceiling, the half-done rotation, the TLS policy and
    the vCPU quota are each in their bundles."""
    root = _bundle(built, "photo-uploads-failing-grouped")
    site, uploads = _one(root, "Ingress", "marketing-site"), _one(root, "Ingress", "upload-api")
    assert "alb.ingress.kubernetes.io/wafv2-acl-arn" in site["metadata"]["annotations"]
    assert "alb.ingress.kubernetes.io/wafv2-acl-arn" not in uploads["metadata"]["annotations"]
    group = "alb.ingress.kubernetes.io/group.name"
    assert site["metadata"]["annotations"][group] == uploads["metadata"]["annotations"][group]
    assert _metric(root, "aws_wafv2_blocked_requests_sum")

    root = _bundle(built, "reset-emails-question")
    policy = _one(root, "NetworkPolicy", "egress-saas")
    blocks = [ipaddress.ip_network(t["ipBlock"]["cidr"]) for rule in policy["spec"]["egress"]
              for t in rule["to"] if "ipBlock" in t]
    log = _logs(root, "notify", "mail-sender")
    dialed = {ipaddress.ip_address(line.split("dial tcp ")[1].split(":")[0])
              for line in log.splitlines() if "dial tcp " in line}
    assert blocks and dialed and not any(ip in net for ip in dialed for net in blocks)

    root = _bundle(built, "monthly-statements-page")
    assert "eu-central-1" in _one(root, "ConfigMap", "aws-endpoints")["data"]["AWS_ENDPOINT_URL_S3"]
    assert "PermanentRedirect" in _logs(root, "billing", "statement-renderer")

    root = _bundle(built, "node-timeouts-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    cron = _one(root, "CronJob", "media-archive-sync")
    args = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["--numworkers", "256"]
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("media-archive-sync-")]
    assert len(pods) == 1 and pods[0]["spec"]["nodeName"] in question
    exceeded = {n: _metric(root, "node_ethtool_bw_out_allowance_exceeded", node=n)[-1]
                for n in (x["metadata"]["name"] for x in _all(root, "Node"))}
    assert [n for n, v in exceeded.items() if v > 0] == [pods[0]["spec"]["nodeName"]]

    root = _bundle(built, "reviews-widget-pods-not-ready")
    assert _one(root, "CronJob", "ecr-token-refresh")["spec"]["schedule"] == "0 6 * * *"
    written = _last_change(_one(root, "Secret", "vendor-ecr"))
    assert (_when(_incident(root)) - _when(written)).total_seconds() > 12 * 3600
    assert [e for e in _events(root, "Failed") if "403 Forbidden" in e["message"]]

    root = _bundle(built, "order-service-errors-high")
    pools = sorted(_env(r["spec"]["template"]["spec"]["containers"][0], "DB_POOL_MIN")
                   for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("promo-engine-"))
    assert pools == ["5", "60"]
    assert max(_metric(root, "aws_rds_database_connections_average")) == 683
    assert "Too many connections" in _logs(root, "orders", "order-service")

    root = _bundle(built, "storefront-sign-in-failing")
    job = _one(root, "Job", "rotate-okta-storefront-20261205")
    assert job["status"]["failed"] == 1
    rotator = _logs(root, "identity-ops", "rotate-okta-storefront-20261205")
    assert "lifecycle/deactivate -> 200" in rotator and "Forbidden" in rotator
    assert "invalid_client" in _logs(root, "storefront", "storefront-web")

    root = _bundle(built, "terminal-authorizations-dropped")
    svc = _one(root, "Service", "terminal-edge")
    policy_name = svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"]
    assert policy_name == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    after = [line for line in _logs(root, "pos", "terminal-auth").splitlines()
             if "authorize{" in line and line[:19] > _incident(root)[:19]]
    assert after and not [line for line in after if 'fw="4.' in line]

    root = _bundle(built, "search-api-rollout-stuck")
    assert _one(root, "HorizontalPodAutoscaler", "flash-sale-web")["spec"]["minReplicas"] == 40
    assert "VcpuLimitExceeded" in _logs(root, "karpenter", "karpenter")
    pending = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("search-api-")
               and p["status"]["phase"] == "Pending"]
    assert len(pending) == 2
