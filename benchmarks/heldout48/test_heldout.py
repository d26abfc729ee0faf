"""What round 48 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the contract or protocol change and what it did to the other side.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout48`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout48/test_heldout.py
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
    return heldout_built("heldout48")


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


def _images(root: Path, ns: str, prefix: str) -> list[str]:
    """The first container image of every ReplicaSet of `ns` whose name starts with `prefix`."""
    return sorted(r["spec"]["template"]["spec"]["containers"][0]["image"] for r in _all(root, "ReplicaSet")
                  if r["metadata"]["namespace"] == ns and r["metadata"]["name"].startswith(prefix))


def _nodes(root: Path) -> list[str]:
    return [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout48").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only statement-sync, one only a node), three PagerDuty events, an SLO burn
    and one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("statement-sync ") and "accounts" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "document-uploads-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "order-history-alerts-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The cluster-scoped KongClusterPlugin that requires Content-Length, the FeatureFlag's new default, the
    VirtualService's per-try retries and the KafkaTopic's zstd, each changed before the incident and seen on
    the other side of the contract."""
    root = _bundle(built, "document-uploads-burn")
    plugin = _one(root, "KongClusterPlugin", "global-request-size")
    assert "namespace" not in plugin["metadata"] and _last_change(plugin) < _incident(root)
    assert plugin["plugin"] == "request-size-limiting" and plugin["config"]["require_content_length"] is True
    assert plugin["metadata"]["labels"]["global"] == "true"
    assert "411 Length Required" in _logs(root, "branch-scans", "scan-forwarder-")
    assert '" 411 ' in _logs(root, "kong", "kong-gateway-")

    root = _bundle(built, "order-history-alerts-grouped")
    flag = _one(root, "FeatureFlag", "refund-flags")
    assert flag["spec"]["flagSpec"]["flags"]["partial-refunds"]["defaultVariant"] == "on"
    assert _last_change(flag) < _incident(root)
    history = _logs(root, "orders", "order-history-")
    assert 'from String "PARTIALLY_REFUNDED": not one of the values accepted' in history
    assert "PARTIALLY_REFUNDED" in _logs(root, "refunds", "refunds-service-")

    root = _bundle(built, "duplicate-captures-page")
    vs = _one(root, "VirtualService", "charge-api")
    retries = vs["spec"]["http"][0]["retries"]
    assert retries["perTryTimeout"] == "2s" and retries["attempts"] == 3
    assert vs["spec"]["http"][0]["match"][0]["method"] == {"exact": "POST"}
    pods = _logs(root, "billing", "charge-api-").splitlines()
    proxy = "\n".join(line for line in pods if '"POST /v1/charges HTTP/1.1"' in line)
    captures = "\n".join(line for line in pods if '"event": "charge captured"' in line)
    cut = [line.split('"')[-6] for line in proxy.splitlines() if " 0 DC " in line]
    assert cut and all(proxy.count(f'"{request}"') == 2 for request in cut)  # the same request id, twice
    assert all(captures.count(f'"{request}"') == 2 for request in cut)  # and captured twice
    assert "duplicate capture" in _logs(root, "finance", "charge-reconciler-")

    root = _bundle(built, "sessionizer-lag-alert")
    topic = _one(root, "KafkaTopic", "clickstream-v2")
    assert topic["spec"]["config"]["compression.type"] == "zstd" and _last_change(topic) < _incident(root)
    assert "Libraries for zstd compression codec not found" in _logs(root, "analytics", "sessionizer-")
    assert max(_metric(root, "kafka_consumergroup_lag", consumergroup="sessionizer")) > 100000
    assert max(_metric(root, "kafka_consumergroup_lag", consumergroup="clickstream-archiver")) < 1000


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed field and the other side shows what it did."""
    root = _bundle(built, "mobile-home-errors-page")
    assert _images(root, "catalog-api", "catalog-graphql-")[-1].endswith(":3.0.0")
    assert 'Cannot query field \\"priceCents\\" on type \\"Product\\"' in _logs(root, "mobile", "mobile-bff-")

    root = _bundle(built, "admin-console-bad-requests")
    config = _one(root, "ConfigMap", "oauth2-proxy")
    assert "pass_authorization_header = true" in config["data"]["oauth2_proxy.cfg"]
    assert _last_change(config) < _incident(root)
    assert "Request header is too large" in _logs(root, "backoffice", "admin-console-")

    root = _bundle(built, "telemetry-gap-question-host")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    host = next(n for n in _nodes(root) if n in question)
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "otel-agent-canary"),
                       key=lambda r: r["revision"])
    images = [r["data"]["spec"]["template"]["spec"]["containers"][0]["image"] for r in revisions]
    assert [i.rsplit(":", 1)[1] for i in images] == ["0.104.0", "0.111.0"]
    canary = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("otel-agent-canary-")]
    assert [p["spec"]["nodeName"] for p in canary] == [host]
    assert "missing selected ALPN property" in _logs(root, "observability", "otel-agent-canary-")
    nlb = _one(root, "Service", "otel-gateway-nlb")
    assert not any("alpn" in k for k in nlb["metadata"]["annotations"])
    assert max(_metric(root, "otelcol_exporter_send_failed_spans_total", node=host)) > 0
    assert all(max(_metric(root, "otelcol_exporter_send_failed_spans_total", node=n)) == 0
               for n in _nodes(root) if n != host)

    root = _bundle(built, "claims-api-crashloop")
    assert [i.rsplit(":", 1)[1] for i in _images(root, "claims", "claims-api-")] == ["4.3.2", "4.4.0"]
    previous = _logs(root, "claims", "claims-api-", "claims-api.previous.txt")
    assert "Microsoft.Data.SqlClient.SqlException" in previous
    assert "self-generated certificate" in _logs(root, "claims-data", "mssql-")

    root = _bundle(built, "statement-sync-question")
    ingress = _one(root, "Ingress", "accounts-api")
    paths = [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert paths == ["/v2"] and _last_change(ingress) < _incident(root)
    assert "404 Client Error: Not Found for url: https://api.internal.example.com/v1/statements" in _logs(
        root, "ledger-sync", "statement-sync-")
    assert "Sunset:" in _logs(root, "ledger-sync", "statement-sync-")

    root = _bundle(built, "unpaid-merchants-alert")
    cron = _one(root, "CronJob", "merchant-payouts")
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":3.0.0")
    assert _last_change(cron) < _incident(root)
    jobs = [j for j in _all(root, "Job") if j["metadata"]["name"].startswith("merchant-payouts-")]
    assert len(jobs) == 2 and all(j["status"]["succeeded"] == 1 for j in jobs)
    runs = _logs(root, "payouts", "merchant-payouts-")
    assert "payable merchants: 2318" in runs and "payable merchants: 100" in runs and "has_more=True" in runs

    root = _bundle(built, "bi-dashboards-page")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "warehouse-pg"), key=lambda r: r["revision"])
    auth = [{e["name"]: e["value"] for e in r["data"]["spec"]["template"]["spec"]["containers"][0]["env"]}
            ["POSTGRES_HOST_AUTH_METHOD"] for r in revisions]
    assert auth == ["md5", "scram-sha-256"]
    assert "The authentication type 10 is not supported" in _logs(root, "bi", "report-builder-")

    root = _bundle(built, "quote-service-errors")
    assert [i.rsplit(":", 1)[1] for i in _images(root, "insurance", "quote-service-")] == ["1.14.3", "2.0.0"]
    quotes = _logs(root, "insurance", "quote-service-")
    assert "httpx.ReadTimeout" in quotes and "after 5.00s" in quotes
    assert max(_metric(root, "underwriting_price_duration_seconds", quantile="0.95")) > 5
