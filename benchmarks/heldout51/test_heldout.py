"""What round 51 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the configuration change and what it did to the application it hurt.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout51`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout51/test_heldout.py
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
    return heldout_built("heldout51")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str, ns: str | None = None) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name
                and (ns is None or i["metadata"].get("namespace", "") == ns))


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


def _nodes(root: Path) -> list[str]:
    return [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]


def _pods(root: Path, ns: str, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _all(root, "Pod")
            if p["metadata"]["namespace"] == ns and p["metadata"]["name"].startswith(prefix)]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout51").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only loyalty-api, one only a node), three PagerDuty events, an SLO burn
    and one grouped notification of three alerts that never names the messaging release."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("loyalty-api ") and "platform-shared-env" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "checkout-orders-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "order-events-alerts-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert "events-bus" not in json.dumps(grouped) and "messaging" not in json.dumps(grouped)


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The FeatureFlagSource with a second source, the cluster-scoped ClusterExternalSecret on the staging path
    and the HelmRelease on the restructured chart, each changed before the incident and seen in the victim."""
    root = _bundle(built, "checkout-orders-burn")
    source = _one(root, "FeatureFlagSource", "checkout", "checkout")
    assert [s["source"] for s in source["spec"]["sources"]] == ["checkout/checkout-flags", "promotions/promo-flags"]
    assert _last_change(source) < _incident(root)
    own = _one(root, "FeatureFlag", "checkout-flags")["spec"]["flagSpec"]["flags"]["use-cart-v2"]
    promo = _one(root, "FeatureFlag", "promo-flags")["spec"]["flagSpec"]["flags"]["use-cart-v2"]
    assert own["defaultVariant"] == "off" and promo["defaultVariant"] == "on"
    logs = _logs(root, "checkout", "checkout-")
    assert "ENOTFOUND cart-v2.checkout.svc.cluster.local" in logs and "promotions/promo-flags" in logs

    root = _bundle(built, "seller-payouts-failing-page")
    ces = _one(root, "ClusterExternalSecret", "psp-credentials")
    assert "namespace" not in ces["metadata"] and _last_change(ces) < _incident(root)
    assert ces["spec"]["externalSecretSpec"]["data"][0]["remoteRef"]["key"] == "staging/psp/payouts"
    secret = _one(root, "Secret", "psp-credentials", "payouts")
    assert secret["metadata"]["managedFields"][-1]["manager"] == "external-secrets"
    assert "No such destination" in _logs(root, "payouts", "payouts-api-")

    root = _bundle(built, "order-events-alerts-grouped")
    release = _one(root, "HelmRelease", "events-bus", "messaging")
    assert release["spec"]["chart"]["spec"]["version"].startswith("1.")
    assert "jetstream" in release["spec"]["values"]["nats"] and _last_change(release) < _incident(root)
    conf = _one(root, "ConfigMap", "events-bus-config", "messaging")["data"]["nats.conf"]
    assert "jetstream" not in conf
    assert "Starting JetStream" not in _logs(root, "messaging", "events-bus-")
    assert "nats: jetstream not enabled" in _logs(root, "orders", "order-outbox-")


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed field and the hurt application shows what it did."""
    root = _bundle(built, "accounts-service-crashloop")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("config-server-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    labels = [_env(r["spec"]["template"]["spec"]["containers"][0])["SPRING_CLOUD_CONFIG_SERVER_GIT_DEFAULT_LABEL"]
              for r in sets]
    assert labels == ["main", "release-2026.12"]
    assert "Failed to configure a DataSource" in _logs(root, "accounts", "accounts-service-", "*.txt")

    root = _bundle(built, "loyalty-scaleup-question")
    shared = _one(root, "Secret", "platform-shared-env", "loyalty")
    assert _last_change(shared) < _incident(root)
    deploy = _one(root, "Deployment", "loyalty-api", "loyalty")
    sources = deploy["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert sources[-1] == {"secretRef": {"name": "platform-shared-env"}}
    pods = _pods(root, "loyalty", "loyalty-api-")
    crashing = [p for p in pods if p["status"]["containerStatuses"][0].get("state", {}).get("waiting")]
    assert len(crashing) == 2 and all(p["metadata"]["creationTimestamp"] > _last_change(shared) for p in crashing)
    assert all(p["metadata"]["creationTimestamp"] < _last_change(shared) for p in pods if p not in crashing)
    assert "platform_reporting" in _logs(root, "loyalty", "loyalty-api-", "*.txt")

    root = _bundle(built, "stock-sync-crashloop")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "stock-sync"), key=lambda r: r["revision"])
    urls = [_env(r["data"]["spec"]["template"]["spec"]["containers"][0])["INVENTORY_URL"] for r in revisions]
    assert "$(INVENTORY_HOST)" in urls[0] and "${INVENTORY_HOST}" in urls[1]
    assert 'invalid character "{" in host name' in _logs(root, "inventory", "stock-sync-", "*.txt")

    root = _bundle(built, "ledger-import-errors-alert")
    cron = _one(root, "CronJob", "fx-rates-publisher", "treasury")
    opts = _env(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0])["JAVA_TOOL_OPTIONS"]
    assert "-Duser.language=de" in opts and _last_change(cron) < _incident(root)
    assert "could not convert string to float: '1,0842'" in _logs(root, "ledger", "ledger-importer-")

    root = _bundle(built, "catalog-pages-503-alert")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("catalog-edge-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    mounts = [r["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] for r in sets]
    assert not any("subPath" in m for m in mounts[0]) and any(m.get("subPath") == "cds.yaml" for m in mounts[1])
    xds = _one(root, "ConfigMap", "catalog-edge-xds", "catalog")
    assert "search-v2" in xds["data"]["cds.yaml"] and _last_change(xds) > sets[1]["metadata"]["creationTimestamp"]
    assert _one(root, "Deployment", "search-v1", "search")["spec"]["replicas"] == 0
    assert " 503 UF,URX " in _logs(root, "catalog", "catalog-edge-")

    root = _bundle(built, "search-api-timeouts-page")
    job = next(j for j in _all(root, "Job") if j["metadata"]["name"].startswith("consul-kv-import-"))
    assert _env(job["spec"]["template"]["spec"]["containers"][0])["KV_ENV"] == "staging"
    assert "config/search-api/upstream_timeout_ms" in _logs(root, "consul", "consul-kv-import-")
    logs = _logs(root, "search", "search-api-")
    assert "kill -HUP 1" in logs and "timed out after 50ms" in logs

    root = _bundle(built, "node-errors-question-host")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    host = next(n for n in _nodes(root) if n in question)
    ds = _one(root, "DaemonSet", "unleash-edge", "flags")
    assert ds["spec"]["updateStrategy"]["type"] == "OnDelete" and _last_change(ds) < _incident(root)
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "unleash-edge"), key=lambda r: r["revision"])
    newest = revisions[-1]["metadata"]["labels"]["controller-revision-hash"]
    relays = _pods(root, "flags", "unleash-edge-")
    assert [p["spec"]["nodeName"] for p in relays if p["metadata"]["labels"]["controller-revision-hash"] == newest] \
        == [host]
    failing = [p["spec"]["nodeName"] for p in _pods(root, "storefront", "storefront-web-")
               if "ECONNREFUSED" in _logs(root, "storefront", p["metadata"]["name"])]
    assert failing == [host]

    root = _bundle(built, "tenant-api-errors-page")
    shards = _one(root, "ConfigMap", "tenant-shards", "tenancy")
    assert json.loads(shards["data"]["tenants.json"])["globex-bank"] == "pg-shard-5"
    assert _last_change(shards) < _incident(root)
    assert not [s for s in _all(root, "StatefulSet") if s["metadata"]["name"] == "pg-shard-5"]
    assert "Failed to connect to pg-shard-5" in _logs(root, "tenancy", "tenant-api-")

    root = _bundle(built, "notifications-crashloop-alert")
    conf = _one(root, "ConfigMap", "notifier-config", "notify")
    assert "{{ .Release.Namespace }}" in conf["data"]["consumer.properties"] and _last_change(conf) < _incident(root)
    assert "No resolvable bootstrap urls" in _logs(root, "notify", "notifier-", "*.txt")
