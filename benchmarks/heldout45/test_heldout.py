"""What round 45 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the database change and what it did to the hurt application.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout45`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout45/test_heldout.py
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
    return heldout_built("heldout45")


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


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


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
    builders = by_name("heldout45").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only login-api, one only a node), three PagerDuty events, an SLO burn and
    one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("login-api ") and "mysql" not in q.lower() for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "search-api-latency-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "ratelimit-timeouts-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The CloudNativePG Cluster's work_mem with the killed backend, the cluster-scoped RDS ParameterGroup's
    random_page_cost with the climbing sequential scans, and the Elasticsearch shard limit matching the
    rejected bulk writes."""
    root = _bundle(built, "payments-db-recovery-page")
    cluster = _one(root, "Cluster", "payments-pg")
    assert cluster["spec"]["postgresql"]["parameters"]["work_mem"] == "1GB"
    assert _last_change(cluster) < _incident(root)
    assert "terminated by signal 9: Killed" in _logs(root, "payments-db", "payments-pg-1")
    assert "57P03" in _logs(root, "payments", "capture-service")
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("payments-pg-")]
    assert len(pods) == 3 and {p["metadata"]["ownerReferences"][0]["kind"] for p in pods} == {"Cluster"}

    root = _bundle(built, "search-api-latency-burn")
    group = _one(root, "ParameterGroup", "catalog-pg16")
    assert "namespace" not in group["metadata"]
    params = {p["name"]: p["value"] for p in group["spec"]["forProvider"]["parameter"]}
    assert params["random_page_cost"] == "4"
    scans = _metric(root, "pg_stat_user_tables_seq_scan", relname="products")
    assert scans == sorted(scans) and scans[-1] - scans[-2] > 100 * max(1.0, scans[1] - scans[0])

    root = _bundle(built, "app-logs-missing-alert")
    es = _one(root, "Elasticsearch", "applogs")
    hot = es["spec"]["nodeSets"][0]
    limit = hot["config"]["cluster.max_shards_per_node"] * hot["count"]
    assert f"/[{limit}] maximum normal shards open" in _logs(root, "logging", "fluent-bit-aggregator")


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """The isolation level and the lock wait timeouts, the migration's ALTER and the metadata-lock queue, the
    one-statement purge and the replica lag, the retryWrites switch, the two-member disruption budget with two
    members pending, the ingress policy without the standbys, the snapshot revision, the unthrottled gh-ost."""
    root = _bundle(built, "login-api-question")
    assert "transaction_isolation = SERIALIZABLE" in _one(root, "ConfigMap", "identity-mysql-config")["data"]["my.cnf"]
    assert "Error 1205 (HY000)" in _logs(root, "identity", "login-api")

    root = _bundle(built, "checkout-stalled-page")
    assert "ALTER TABLE orders" in _logs(root, "shop", "orders-schema-0142")
    assert max(_metric(root, "mysql_info_schema_processlist_threads",
                       state="waiting for table metadata lock")) > 100

    root = _bundle(built, "order-status-stale")
    cron = _one(root, "CronJob", "events-purge")
    command = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[-1].startswith("DELETE FROM") and "LIMIT" not in command[-1]
    lag = _metric(root, "mysql_slave_status_seconds_behind_master")
    assert lag == sorted(lag) and lag[-1] > 1800

    root = _bundle(built, "cart-service-write-errors")
    uris = {_env(r["spec"]["template"]["spec"]["containers"][0])["MONGODB_URI"].endswith("retryWrites=false")
            for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("cart-service-")}
    assert uris == {True, False}
    assert "NotWritablePrimary" in _logs(root, "cart", "cart-service")

    root = _bundle(built, "profile-writes-failing-page")
    assert _one(root, "PodDisruptionBudget", "profiles-rs")["spec"]["maxUnavailable"] == 2
    members = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("profiles-rs-")]
    assert sorted(p["status"]["phase"] for p in members) == ["Pending", "Pending", "Running"]

    root = _bundle(built, "account-balances-stale")
    policy = _one(root, "NetworkPolicy", "postgres-ingress")
    sources = [f["namespaceSelector"]["matchLabels"] for r in policy["spec"]["ingress"] for f in r["from"]]
    assert sources == [{"kubernetes.io/metadata.name": "accounts"}]
    assert "could not connect to the primary server" in _logs(root, "accounts-db", "accounts-pg-")

    root = _bundle(built, "ratelimit-timeouts-grouped")
    revisions = sorted(_all(root, "ControllerRevision"), key=lambda r: r["revision"])
    saves = [r["data"]["spec"]["template"]["spec"]["containers"][0]["args"][-1] for r in revisions
             if r["metadata"]["ownerReferences"][0]["name"] == "ratelimit-redis"]
    assert saves == ["", "60 1000"]
    assert "Background saving started" in _logs(root, "cache", "ratelimit-redis-0")


def test_the_copy_runs_against_the_question_node(built: Built) -> None:
    """The question names the node of the MySQL primary the unthrottled gh-ost copies against, and only that
    node's disk is busy."""
    root = _bundle(built, "node-disk-latency-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    primary = _one(root, "Pod", "inventory-mysql-0")["spec"]["nodeName"]
    assert primary in question
    args = _one(root, "Job", "ghost-stock-levels-3118")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--max-load=" in args and "--chunk-size=20000" in args
    busy = _metric(root, "node_disk_io_time_seconds_total", instance=primary)
    assert busy[-1] - busy[-2] > 50


def test_a_third_are_simple_and_the_rest_name_only_a_victim(built: Built) -> None:
    """Four pages name the object whose own spec and logs hold the cause; the other eight never name it."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    simple = set()
    for root in bundles:
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        if keys[root.name]["culprit"]["name"] in said:
            simple.add(root.name)
    assert simple == {"payments-db-recovery-page", "audit-writer-rejections", "cart-service-write-errors",
                      "ratelimit-timeouts-grouped"}
