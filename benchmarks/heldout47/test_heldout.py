"""What round 47 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the clock, window or lifetime change and what it did to the hurt
workload.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout47`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout47/test_heldout.py
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
    return heldout_built("heldout47")


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


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout47").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only a workload, one only a node), three PagerDuty events, an SLO burn and
    one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("bq-exporter ") and "chrony" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "partner-api-throttled-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "mobile-events-ingest-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The cluster-scoped GlobalNetworkPolicy without NTP, the KafkaTopic's timestamp window and the
    VaultPKISecret's ten-minute lifetime, each changed before the incident and seen in the victim's logs."""
    root = _bundle(built, "mfa-question-host")
    gnp = _one(root, "GlobalNetworkPolicy", "dmz-host-egress")
    assert "namespace" not in gnp["metadata"] and _last_change(gnp) < _incident(root)
    allowed = {p for rule in gnp["spec"]["egress"] if rule["action"] == "Allow"
               for p in rule.get("destination", {}).get("ports", [])}
    assert 123 not in allowed and gnp["spec"]["egress"][-1] == {"action": "Deny"}
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    dmz = next(n for n in inc_nodes(root) if n in question)
    assert max(_metric(root, "node_timex_offset_seconds", node=dmz)) > 30
    assert all(max(_metric(root, "node_timex_offset_seconds", node=n)) < 0.01 for n in inc_nodes(root) if n != dmz)
    assert "code outside allowed window" in _logs(root, "identity", "mfa-verifier-")

    root = _bundle(built, "mobile-events-ingest-grouped")
    topic = _one(root, "KafkaTopic", "app-telemetry-v3")
    assert topic["spec"]["config"]["message.timestamp.before.max.ms"] == "600000"
    assert "InvalidTimestampException" in _logs(root, "ingest", "events-ingest")

    root = _bundle(built, "checkout-payment-errors")
    pki = _one(root, "VaultPKISecret", "gateway-tls")
    assert pki["spec"]["ttl"] == "10m" and _last_change(pki) < _incident(root)
    assert "certificate has expired" in _logs(root, "shop", "checkout-")


def inc_nodes(root: Path) -> list[str]:
    return [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed field and the hurt workload shows what it did."""
    root = _bundle(built, "shard-operator-crashloop")
    args = {tuple(r["spec"]["template"]["spec"]["containers"][0].get("args", [])) for r in _all(root, "ReplicaSet")
            if r["metadata"]["name"].startswith("shard-operator-")}
    assert any("--leader-elect-renew-deadline=14s" in a for a in args) and len(args) == 2
    assert "leader election lost" in _logs(root, "platform-ops", "shard-operator-")

    root = _bundle(built, "partner-api-throttled-burn")
    config = _one(root, "ConfigMap", "ratelimit-config")
    assert "unit: hour\n      requests_per_unit: 600" in config["data"]["config.yaml"]
    assert " 429 RL " in _logs(root, "partners", "partner-gateway-")

    root = _bundle(built, "reminder-emails-duplicated-page")
    cron = _one(root, "CronJob", "dunning-reminders")
    assert cron["spec"]["concurrencyPolicy"] == "Allow" and len(cron["status"]["active"]) == 2
    running = [j for j in _all(root, "Job") if j["metadata"]["name"].startswith("dunning-reminders-")
               and j["status"].get("active")]
    assert len(running) == 2 and "previous send 1799s ago" in _logs(root, "billing", "notification-mailer-")

    root = _bundle(built, "orders-api-unauthorized-page")
    envs = [_env(r["spec"]["template"]["spec"]["containers"][0]) for r in _all(root, "ReplicaSet")
            if r["metadata"]["name"].startswith("token-issuer-")]
    assert sorted(e.get("TOKEN_NOT_BEFORE", "") for e in envs) == ["", "30s"]
    assert "token is not valid yet" in _logs(root, "orders", "orders-api-")

    root = _bundle(built, "bq-exporter-question")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "chrony"), key=lambda r: r["revision"])
    caps = [r["data"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"].get("add")
            for r in revisions]
    assert caps == [["SYS_TIME"], None]
    assert "adjtimex(0x8001) failed : Operation not permitted" in _logs(root, "time-sync", "chrony-",
                                                                       "chrony.previous.txt")
    assert "reasonable timeframe" in _logs(root, "analytics", "bq-exporter-")

    root = _bundle(built, "kafka-under-replicated")
    ticks = [_env(r["data"]["spec"]["template"]["spec"]["containers"][0])["ZOO_TICK_TIME"]
             for r in sorted(_all(root, "ControllerRevision"), key=lambda r: r["revision"])
             if r["metadata"]["ownerReferences"][0]["name"] == "zookeeper"]
    assert ticks == ["2000", "200"]
    assert "Shrinking ISR" in _logs(root, "kafka", "kafka-")

    root = _bundle(built, "statement-archive-failing")
    secret = _one(root, "Secret", "archiver-aws")
    assert set(secret["data"]) >= {"AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"}
    assert _last_change(secret) < _incident(root)
    assert "(ExpiredToken)" in _logs(root, "statements", "statement-archiver-")

    root = _bundle(built, "search-api-latency")
    hpa = _one(root, "HorizontalPodAutoscaler", "search-api")
    assert hpa["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 900
    assert hpa["status"]["currentReplicas"] == hpa["spec"]["minReplicas"]

    root = _bundle(built, "storefront-blank-pages-page")
    ingress = _one(root, "Ingress", "storefront-web")
    assert "max-age=31536000" in ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/configuration-snippet"]
    assert '" 404 ' in _logs(root, "web", "storefront-web-")
