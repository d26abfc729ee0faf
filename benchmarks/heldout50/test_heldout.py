"""What round 50 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the change that moved load between tiers and what it did to the
application that paged.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout50`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout50/test_heldout.py
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
    return heldout_built("heldout50")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str) -> str:
    """The current logs of every pod of `ns` whose name starts with `prefix`, joined."""
    return "".join(f.read_text() for p in sorted((root / "cluster" / ns).iterdir())
                   if p.is_dir() and p.name.startswith(prefix) for f in sorted(p.glob("logs.txt")))


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last(root: Path, name: str, **labels: str) -> list[float]:
    """The last sample of every series `name` with `labels`."""
    found: dict[str, float] = {}
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            found[head] = float(value)
    return list(found.values())


def _pods(root: Path, ns: str, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _all(root, "Pod")
            if p["metadata"]["namespace"] == ns and p["metadata"]["name"].startswith(prefix)]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout50").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only checkout-service, one only a node), three PagerDuty events, two SLO
    burns and one grouped notification of three alerts that never names the CronJob."""
    bundles, _ = built
    questions = [q for b in bundles if (q := yaml.safe_load((b / "manifest.yaml").read_text()).get("question"))]
    assert len(questions) == 2
    assert any(q.startswith("checkout-service ") for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burns = [b.name for b in bundles if (b / "alerts" / "alertmanager.json").exists() and json.loads(
        (b / "alerts" / "alertmanager.json").read_text())["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"]
    assert sorted(burns) == ["checkout-latency-burn", "storefront-availability-burn"]
    grouped = json.loads((_bundle(built, "price-quotes-timeouts-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3 and "cache-maintenance" not in json.dumps(grouped)


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The ScaledObject's raised ceiling with the importer at 30 pods and Postgres refusing billing-api, the
    cluster-scoped KongClusterPlugin failing closed on Redis with Kong's errors, and the RabbitMQ Policy's
    reject-publish limit with the order API's nacks."""
    root = _bundle(built, "invoice-creation-errors-page")
    scaled = _one(root, "ScaledObject", "ledger-importer")
    assert scaled["spec"]["maxReplicaCount"] == 30 and _last_change(scaled) < _incident(root)
    assert len(_pods(root, "ledger", "ledger-importer-")) == 30
    assert "53300: sorry, too many clients already" in _logs(root, "billing", "billing-api-")
    assert _last(root, "pg_settings_max_connections") == [300.0]

    root = _bundle(built, "feed-errors-alert")
    plugin = _one(root, "KongClusterPlugin", "global-rate-limiting")
    assert "namespace" not in plugin["metadata"] and plugin["metadata"]["labels"]["global"] == "true"
    assert plugin["config"]["policy"] == "redis" and plugin["config"]["fault_tolerant"] is False
    assert _last_change(plugin) < _incident(root)
    edge = _logs(root, "kong", "kong-gateway-")
    assert "[rate-limiting] failed to get usage: timeout" in edge and '"GET /v2/feed HTTP/1.1" 500' in edge
    assert "status=200" in _logs(root, "feed", "feed-api-")  # the service behind the gateway is fine

    root = _bundle(built, "order-publish-failures-page")
    policy = _one(root, "Policy", "orders-limits")
    assert policy["spec"]["definition"]["overflow"] == "reject-publish"
    assert policy["spec"]["definition"]["max-length"] == 20000 and _last_change(policy) < _incident(root)
    assert "Setting policy 'orders-limits'" in _logs(root, "messaging", "rabbitmq-server-")
    assert "not confirmed: ack=false" in _logs(root, "orders", "order-api-")
    assert max(_last(root, "rabbitmq_queue_messages_ready", queue="orders.placed")) == 20000


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed setting and the application that paged shows what it did."""
    root = _bundle(built, "catalog-origin-saturated-page")
    vcl = _one(root, "ConfigMap", "varnish-vcl")
    assert "unset req.http.Cookie" not in vcl["data"]["default.vcl"] and _last_change(vcl) < _incident(root)
    assert "/api/catalog/" not in vcl["data"]["default.vcl"].split("sub vcl_backend_response")[0]
    assert " pass " in _logs(root, "edge", "varnish-cache-")
    assert "server reached pm.max_children" in _logs(root, "catalog", "catalog-api-")

    root = _bundle(built, "price-quotes-timeouts-grouped")
    cron = _one(root, "CronJob", "cache-maintenance")
    assert "FLUSHALL" in " ".join(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"])
    job = next(j for j in _all(root, "Job") if j["metadata"]["name"].startswith("cache-maintenance-"))
    assert job["status"]["startTime"] < _incident(root)
    assert "context deadline exceeded" in _logs(root, "pricing", "pricing-api-")

    root = _bundle(built, "checkout-latency-burn")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("inventory-grpc-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    envs = [{e["name"] for e in r["spec"]["template"]["spec"]["containers"][0]["env"]} for r in sets]
    assert "GRPC_MAX_CONNECTION_AGE" in envs[0] and "GRPC_MAX_CONNECTION_AGE" not in envs[-1]
    assert len(_pods(root, "inventory", "inventory-grpc-")) == 8
    busy = _last(root, "grpc_server_handled_total", grpc_method="Reserve")
    assert sorted(busy)[-4] > 50 * sorted(busy)[3]  # four pods take the calls, four new ones almost none
    assert "DEADLINE_EXCEEDED" in _logs(root, "checkout", "checkout-api-")

    root = _bundle(built, "profile-api-latency-alert")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "sessions-memcached"),
                       key=lambda r: r["revision"])
    args = [r["data"]["spec"]["template"]["spec"]["containers"][0]["args"] for r in revisions]
    assert "4096" in args[0] and "-c" not in args[1]
    assert "Too many open connections" in _logs(root, "profile", "profile-api-")

    root = _bundle(built, "checkout-service-question")
    conf = _one(root, "ConfigMap", "checkout-service-config")["data"]["application.yaml"]
    assert "slowCallDurationThreshold: 150ms" in conf
    assert "CircuitBreaker 'inventory' is OPEN" in _logs(root, "commerce", "checkout-service-")
    assert " 200 " in _logs(root, "stock", "inventory-service-")

    root = _bundle(built, "storefront-availability-burn")
    boot = _one(root, "ConfigMap", "edge-envoy-bootstrap")
    assert "max_heap_size_bytes: 268435456" in boot["data"]["envoy.yaml"] and _last_change(boot) < _incident(root)
    assert '503 OM overload' in _logs(root, "edge-proxy", "edge-envoy-")

    root = _bundle(built, "node-cpu-pinned-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    service = _one(root, "Service", "fx-rates")
    assert service["spec"]["trafficDistribution"] == "PreferClose" and _last_change(service) < _incident(root)
    host = next(n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]
                if n["metadata"]["name"] in question)
    on_host = [p for p in _pods(root, "rates", "fx-rates-") if p["spec"]["nodeName"] == host]
    assert len(on_host) == 1
    assert "slow request" in _logs(root, "rates", on_host[0]["metadata"]["name"])

    root = _bundle(built, "payouts-api-latency-alert")
    assert _last_change(_one(root, "Secret", "payouts-db-dsn")) < _incident(root)
    assert "max_conns=4" in _logs(root, "payouts", "payouts-api-")
    assert _last(root, "pgxpool_max_conns") == [4.0]

    root = _bundle(built, "listings-api-saturated-alert")
    ingress = _one(root, "Ingress", "marketplace-public")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-next-upstream-tries"] == "0"
    assert "timeout" in notes["nginx.ingress.kubernetes.io/proxy-next-upstream"] and _last_change(ingress) < \
        _incident(root)
    assert "504, 504, 504, 504, 504, 504" in _logs(root, "ingress-nginx", "ingress-nginx-controller-")
