"""A config file's setting that moved the workload's series, end to end (agent.triage.setting_effect).

Four incident bundles written with the corpus generator's own writer (examples/corpus), served by the
replay API server and Debian's Prometheus, investigated blind in runbook-only mode, as `vigil eval`
does. Two shapes of the class, each with a negative twin:

- JSON with a previous version: `kubectl edit` of search-api's `settings.json` (its last-applied
  configuration still holds the old file) cuts `cache.ttl_s` from 300 to 0; the pricing calls of
  search-api (pino JSON logs, nothing about the edit) jump twentyfold that minute. Twin: the same edit,
  but the call rate had already stepped 50 minutes before it (a traffic change): not the setting.
- properties with only the current value: orders-api (Go, logfmt) reloads `app.properties` and logs
  `changed=orders.items.eager_fetch`; MySQL's performance-schema counter for the per-order item lookup
  (`... WHERE order_id = ?`, labelled with the `orders` schema, exporter in another namespace)
  multiplies: an N+1 query pattern. Twin: the same reload, no series moves: no setting blamed.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _edited(cm: dict[str, Any], manager: str, at: datetime, key: str) -> None:
    cm["metadata"].setdefault("managedFields", []).append({
        "manager": manager, "operation": "Update", "apiVersion": "v1", "time": _ts(at), "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {f"f:{key}": {}}}})


def _mounting(cm: str, path: str) -> dict[str, Any]:
    return {"pod_spec": {"volumes": [{"name": "config", "configMap": {"name": cm}}]},
            "container": {"volumeMounts": [{"name": "config", "mountPath": path}]}}


def _search(name: str, stepped_early: bool) -> Incident:
    at = datetime(2026, 11, 26, 15, 10, tzinfo=UTC)
    inc = Incident(name, title="search-api latency", story="", at=at, seed=931, namespaces=("catalog",))
    edit = at - 16 * M
    step = edit - 50 * M if stepped_early else edit
    old, new = '{"cache":{"ttl_s":300},"fuzzy":true}', '{"cache":{"ttl_s":0},"fuzzy":true}'
    applied = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "data": {"settings.json": old},
                          "metadata": {"name": "search-api-config", "namespace": "catalog"}})
    cm = inc.configmap("catalog", "search-api-config", {"settings.json": new}, at=at - timedelta(days=40),
                       annotations={LAST_APPLIED: applied})
    _edited(cm, "kubectl-edit", edit, "settings.json")

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 70 * M), end, 6, lambda i, t: L.js(
            t, "info", "search served", path=f"/v2/search?q=item{i % 50}", status=200,
            ms=(420 + i % 90) if t >= step else (38 + i % 12))))

    inc.deployment("catalog", "search-api", [Rev(4, at - timedelta(days=9), "deploy 5.2.0",
                                                 [c("search-api", f"{REGISTRY}/catalog/search-api:5.2.0")],
                                                 **_mounting("search-api-config", "/etc/search"))],
                   {4: [P(log=log), P(log=log)]})
    inc.service("catalog", "search-api", {"app": "search-api"})
    inc.series("http_client_requests", "counter", "Outgoing HTTP requests.",
               {"namespace": "catalog", "peer": "pricing-api", "job": "search-api"},
               lambda t: (t - at + timedelta(hours=2)).total_seconds() * 5
               + max(0.0, (t - step).total_seconds()) * 95)
    inc.alertmanager("SearchApiLatencyHigh", {"namespace": "catalog", "service": "search-api"},
                     "search-api p99 latency above 300 ms", "search-api p99 latency is 520 ms.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_server_duration_seconds_bucket'
                     '{service="search-api"}[5m]))) > 0.3', starts=at)
    inc.answer_key(culprit=("ConfigMap", "catalog", "search-api-config"), keywords=["ttl_s", "300 -> 0"],
                   root_cause="The edit of search-api-config set cache ttl_s from 300 to 0: every search now calls "
                              "pricing-api.", category="config-setting-effect", red_herrings=[])
    return inc


def _orders(name: str, moved: bool) -> Incident:
    at = datetime(2026, 11, 27, 9, 45, tzinfo=UTC)
    inc = Incident(name, title="orders-api slow", story="", at=at, seed=932, namespaces=("orders", "db"))
    edit = at - 23 * M
    props = "orders.items.eager_fetch=false\norders.page_size=50\nhttp.read_timeout=30s\n"
    cm = inc.configmap("orders", "orders-api-config", {"app.properties": props}, at=at - timedelta(days=70))
    _edited(cm, "kubectl-edit", edit, "app.properties")

    def log(pod: str, start: datetime, end: datetime) -> str:
        out = []
        for i, t in enumerate(L.every(max(start, at - 60 * M), end, 7)):
            if edit <= t < edit + timedelta(seconds=7):
                out.append((t, L.logfmt(t, "info", "configuration reloaded", path="/config/app.properties",
                                        changed="orders.items.eager_fetch")))
            slow = moved and t >= edit
            out.append((t, L.logfmt(t, "info", "handled request", route="/v1/orders", status=200,
                                    elapsed=f"{1400 + i % 200 if slow else 30 + i % 15}ms")))
        return L.lines(out)

    inc.deployment("orders", "orders-api", [Rev(9, at - timedelta(days=4), "deploy 3.8.2",
                                                [c("orders-api", f"{REGISTRY}/orders/orders-api:3.8.2")],
                                                **_mounting("orders-api-config", "/config"))],
                   {9: [P(log=log), P(log=log)]})
    inc.service("orders", "orders-api", {"app": "orders-api"})
    inc.statefulset("db", "mysql-main", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306)], [P()],
                    at - timedelta(days=90), service=3306)
    inc.series("mysql_perf_schema_events_statements", "counter", "The total count of events statements by "
               "digest.", {"namespace": "db", "schema": "orders", "digest": "9f3c2a",
                           "digest_text": "SELECT * FROM `order_items` WHERE `order_id` = ?"},
               lambda t: (t - at + timedelta(hours=2)).total_seconds() * 3
               + (max(0.0, (t - edit).total_seconds()) * 240 if moved else 0.0))
    inc.alertmanager("OrdersApiLatencyHigh", {"namespace": "orders", "service": "orders-api"},
                     "orders-api p95 latency above 500 ms", "orders-api p95 latency is 1.5 s.",
                     'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
                     '{service="orders-api"}[5m]))) > 0.5', starts=at)
    inc.answer_key(culprit=("ConfigMap", "orders", "orders-api-config"), keywords=["eager_fetch", "N+1"],
                   root_cause="orders.items.eager_fetch=false makes orders-api load each order's items with its "
                              "own query (N+1).", category="config-setting-effect", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((lambda: _search("search-ttl-cut", False), lambda: _search("search-ttl-early", True),
                              lambda: _orders("orders-eager-fetch", True), lambda: _orders("orders-flat", False)),
                             tmp_path_factory.mktemp("setting-effect"))


def _top(results: dict[str, object], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("search-ttl-cut", ("ConfigMap catalog/search-api-config", "settings.json: cache.ttl_s 300 -> 0",
                        'http_client_requests_total{peer="pricing-api"} rate', "min before the alert")),
    ("orders-eager-fetch", ("ConfigMap orders/orders-api-config", "orders.items.eager_fetch set to false",
                            "N+1 query pattern", "mysql_perf_schema_events_statements_total",
                            "changed=orders.items.eager_fetch")),
])
def test_the_setting_and_the_series_it_moved_are_named(results: dict[str, object], bundle: str,
                                                        words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = _top(results, bundle)
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["search-ttl-early", "orders-flat"])
def test_no_setting_is_blamed_without_a_series_that_moved_with_it(results: dict[str, object], bundle: str) -> None:
    """The twins: the same writes, but nothing stepped at them (or it stepped long before): no effect claimed."""
    top = _top(results, bundle)
    assert "watch these series return" not in top and "N+1" not in top, top
