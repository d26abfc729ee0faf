"""A server's concurrency cap cut, and the server saturated at it, end to end (agent.triage.concurrency_cap).

Incident bundles written with the corpus generator's writer, served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode as `vigil eval` does. Two shapes of the class, each with a
negative twin:

- Spring Boot on Jetty, the cap in the container's args: catalog-api rolls out with
  `--server.jetty.threads.max=200` -> `=12`; at the peak Micrometer's `jetty_threads_busy` sits at
  `jetty_threads_config_max` (12) and the Go storefront in another namespace logs `context deadline exceeded
  (Client.Timeout exceeded while awaiting headers)` calling it. Twin: the same cut, but the peak needs only 7
  threads (busy far below the new cap): the cut is not blamed.
- PHP-FPM, the cap in a pool file of a ConfigMap edited with kubectl (old value in the last-applied
  configuration): `pm.max_children = 30` -> `6`, and the pool master warns `server reached pm.max_children
  setting (6), consider raising it` from the edit on (the timeline cannot show a long file's old side, so the
  pool's own words echoing the new value confirm it is the cap). Twin: the cap RAISED (20 -> 30) because the
  pool already reached 20 before the edit, and it reaches 30 after: saturation predates the write, no cap cut
  is blamed.
- Rails on Puma, the cap in a rollout's env: `RAILS_MAX_THREADS` 16 -> 3; yabeda-puma's `puma_pool_capacity`
  sits at 0 and `puma_backlog` at 14 from the peak on. Twin: the pool already ran out and the backlog already
  formed before the rollout (a traffic story): the cut is not blamed.
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


def _catalog(name: str, new: str, peak: int) -> Incident:
    """storefront-web (Go) calls catalog-api (Spring Boot on Jetty); a rollout sets Jetty's thread cap to `new`;
    from 25 min before the alert the peak needs `peak` threads per pod."""
    at = datetime(2026, 11, 26, 19, 40, tzinfo=UTC)
    inc = Incident(name, title="storefront pages slow", story="", at=at, seed=951,
                   namespaces=("storefront", "catalog"))
    rollout, surge = at - 70 * M, at - 25 * M
    cap = int(new)
    saturated = peak >= cap

    def web_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if saturated and t >= surge:
                return json.dumps({"level": "error", "ts": _ts(t), "caller": "catalog/client.go:58",
                                   "msg": "catalog lookup failed", "sku": f"SKU-{4000 + i}",
                                   "error": f'Get "http://catalog-api.catalog.svc.cluster.local:8080/api/items/'
                                            f'{4000 + i}": context deadline exceeded (Client.Timeout exceeded '
                                            f"while awaiting headers)"})
            return json.dumps({"level": "info", "ts": _ts(t), "msg": "page rendered", "path": f"/p/{i}",
                               "duration_ms": 80 + i % 40})
        return L.lines(L.ticker(start, end, 6, line))

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 60, lambda i, t: (
            f"{_ts(t)}  INFO 1 --- [   scheduling-1] c.e.catalog.PriceCache : refreshed {9000 + i} prices")))

    def api() -> Any:
        return c("catalog-api", f"{REGISTRY}/catalog/catalog-api:5.2.1", env=[])

    args = ["java", "-jar", "/app/catalog-api.jar", "--server.port=8080"]
    inc.deployment("catalog", "catalog-api",
                   [Rev(3, at - timedelta(days=9), "deploy 5.2.1", [api()],
                        container={"args": [*args, "--server.jetty.threads.max=200"]}),
                    Rev(4, rollout, "helm upgrade", [api()],
                        container={"args": [*args, f"--server.jetty.threads.max={new}"]})],
                   {4: [P(log=api_log), P(log=api_log)]})
    inc.service("catalog", "catalog-api", {"app": "catalog-api"}, port=8080, target=8080)
    inc.deployment("storefront", "storefront-web",
                   [Rev(12, at - timedelta(days=3), "deploy 2.9.0",
                        [c("storefront-web", f"{REGISTRY}/storefront/storefront-web:2.9.0")])],
                   {12: [P(log=web_log), P(log=web_log)]})
    inc.service("storefront", "storefront-web", {"app": "storefront-web"})
    pods = [{"namespace": "catalog", "pod": h.name, "job": "catalog-api"}
            for h in inc.pods_of("catalog", "catalog-api")]
    for labels in pods:
        inc.series("jetty_threads_config_max", "gauge", "The maximum number of allowed threads in the pool",
                   dict(labels), lambda t: 200.0 if t < rollout else float(cap))
    for labels in pods:
        inc.series("jetty_threads_busy", "gauge", "The number of busy threads in the pool", dict(labels),
                   lambda t: float(peak) if t >= surge else 5.0)
    inc.alertmanager("StorefrontLatencyHigh", {"namespace": "storefront", "service": "storefront-web"},
                     "storefront-web p99 above 3s", "Storefront pages take more than 3 seconds for 20% of users.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket'
                     '{service="storefront-web"}[5m]))) > 3', starts=at)
    inc.answer_key(culprit=("Deployment", "catalog", "catalog-api"), keywords=["server.jetty.threads.max", "Jetty"],
                   root_cause="The rollout cut Jetty's max threads to 12: requests queue, callers time out.",
                   category="jetty-max-threads-cut", red_herrings=[])
    return inc


def _blog(name: str, old: str, new: str, full_before: bool) -> Incident:
    """blog-php's pool file in a ConfigMap edited with kubectl (the timeline cannot show a long value's old
    side): pm.max_children `old` -> `new`; the pool then reaches `new` children under the evening's traffic,
    and (`full_before`) already reached `old` before the edit."""
    at = datetime(2026, 11, 27, 21, 15, tzinfo=UTC)
    inc = Incident(name, title="blog answering slowly", story="", at=at, seed=952, namespaces=("blog",))
    edit = at - 50 * M

    def pool(children: str) -> str:
        return ("[www]\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\n"
                f"pm.max_children = {children}\npm.start_servers = 2\npm.min_spare_servers = 1\n"
                "pm.max_spare_servers = 3\npm.max_requests = 500\n")

    data = {"www.conf": pool(new)}
    applied = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "blog-php-pool",
                                                                                 "namespace": "blog"},
                          "data": {"www.conf": pool(old)}})
    cm = inc.configmap("blog", "blog-php-pool", data, at=at - timedelta(days=30), annotations={LAST_APPLIED: applied})
    cm["metadata"].setdefault("managedFields", []).append({
        "manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": _ts(edit),
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:www.conf": {}}}})

    def log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str | None:
            if (t >= edit + 10 * M or (full_before and t < edit)) and i % 3 == 0:
                return (f"[{t.strftime('%d-%b-%Y %H:%M:%S')}] WARNING: [pool www] server reached pm.max_children "
                        f"setting ({new if t >= edit else old}), consider raising it")
            return f'10.0.{i % 8}.{i % 200} -  {t.strftime("%d/%b/%Y:%H:%M:%S")} +0000 "GET /index.php" 200'
        return L.lines(L.ticker(start, end, 20, line))

    inc.deployment("blog", "blog-php",
                   [Rev(7, at - timedelta(days=14), "deploy 6.4.2",
                        [c("blog-php", f"{REGISTRY}/blog/blog-php:6.4.2", port=9000, readiness_path=None,
                           liveness_path=None)],
                        pod_spec={"volumes": [{"name": "pool", "configMap": {"name": "blog-php-pool"}}]},
                        container={"volumeMounts": [{"name": "pool", "mountPath": "/usr/local/etc/php-fpm.d"}]})],
                   {7: [P(log=log), P(log=log)]})
    inc.service("blog", "blog-php", {"app": "blog-php"}, port=9000, target=9000)
    inc.alertmanager("BlogLatencyHigh", {"namespace": "blog", "service": "blog-php"},
                     "blog p95 above 5s", "Blog pages take more than five seconds.",
                     'histogram_quantile(0.95, sum by (le) (rate(nginx_http_request_duration_seconds_bucket'
                     '{namespace="blog"}[5m]))) > 5', starts=at)
    inc.answer_key(culprit=("ConfigMap", "blog", "blog-php-pool"), keywords=["pm.max_children", "PHP-FPM"],
                   root_cause="pm.max_children cut to 6: requests wait for a PHP-FPM child.",
                   category="php-fpm-max-children-cut", red_herrings=[])
    return inc


def _shop(name: str, busy_before: bool) -> Incident:
    """shop-web (Rails on Puma) rolls out with RAILS_MAX_THREADS 16 -> 3; yabeda-puma's gauges show no free
    thread and requests in the backlog from the afternoon peak on, and (`busy_before`) already before it."""
    at = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)
    inc = Incident(name, title="shop pages slow", story="", at=at, seed=953, namespaces=("shop",))
    rollout, peak = at - 90 * M, at - 30 * M

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 15, lambda i, t: (
            f'I, [{_ts(t)} #1]  INFO -- : [req-{i:06d}] Completed 200 OK in {120 + i % 60}ms')))

    def web(threads: str) -> Any:
        return c("shop-web", f"{REGISTRY}/shop/shop-web:41.2.0", port=3000,
                 env=[{"name": "RAILS_ENV", "value": "production"}, {"name": "RAILS_MAX_THREADS", "value": threads}])

    inc.deployment("shop", "shop-web", [Rev(40, at - timedelta(days=4), "deploy 41.2.0", [web("16")]),
                                        Rev(41, rollout, "helm upgrade", [web("3")])],
                   {41: [P(log=log), P(log=log)]})
    inc.service("shop", "shop-web", {"app": "shop-web"}, port=80, target=3000)
    pods = [{"namespace": "shop", "pod": h.name, "job": "shop-web"} for h in inc.pods_of("shop", "shop-web")]

    def busy(t: datetime) -> bool:
        return t >= peak or (busy_before and rollout - 50 * M <= t < rollout - 10 * M)

    for labels in pods:
        inc.series("puma_max_threads", "gauge", "Number of maximum threads for puma", dict(labels),
                   lambda t: 16.0 if t < rollout else 3.0)
    for labels in pods:
        inc.series("puma_pool_capacity", "gauge", "Number of allocatable threads", dict(labels),
                   lambda t: 0.0 if busy(t) else (10.0 if t < rollout else 2.0))
    for labels in pods:
        inc.series("puma_backlog", "gauge", "Number of requests waiting to be processed by a thread", dict(labels),
                   lambda t: 14.0 if busy(t) else 0.0)
    inc.alertmanager("ShopWebLatencyHigh", {"namespace": "shop", "service": "shop-web"},
                     "shop-web p95 above 4s", "Shop pages take more than four seconds.",
                     'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
                     '{service="shop-web"}[5m]))) > 4', starts=at)
    inc.answer_key(culprit=("Deployment", "shop", "shop-web"), keywords=["RAILS_MAX_THREADS", "Puma"],
                   root_cause="RAILS_MAX_THREADS cut to 3: requests wait in Puma's backlog.",
                   category="puma-threads-cut", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((lambda: _catalog("catalog-threads-cut", "12", 12),
                              lambda: _catalog("catalog-threads-spare", "12", 7),
                              lambda: _blog("blog-children-cut", "30", "6", False),
                              lambda: _blog("blog-children-raised", "20", "30", True),
                              lambda: _shop("shop-threads-cut", False),
                              lambda: _shop("shop-threads-busy-before", True)),
                             tmp_path_factory.mktemp("concurrency-cap"))


def _top(results: dict[str, object], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("catalog-threads-cut", ("Deployment catalog/catalog-api cut catalog-api's Jetty threads",
                             "--server.jetty.threads.max 200 -> 12", "jetty_threads_busy at 12 = "
                             "jetty_threads_config_max", "requests queue", "storefront/storefront-web fails",
                             "deadline exceeded")),
    ("blog-children-cut", ("ConfigMap blog/blog-php-pool cut blog-php's PHP-FPM worker processes",
                           "pm.max_children set to 6 (old value not recorded)",
                           "server reached pm.max_children setting (6)")),
    ("shop-threads-cut", ("Deployment shop/shop-web cut shop-web's Puma threads per worker",
                          "RAILS_MAX_THREADS 16 -> 3", "puma_pool_capacity at 0", "puma_backlog up to 14")),
])
def test_the_cut_cap_and_its_saturation_are_named(results: dict[str, object], bundle: str,
                                                   words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = _top(results, bundle)
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["catalog-threads-spare", "blog-children-raised", "shop-threads-busy-before"])
def test_a_cut_with_slots_to_spare_or_a_raised_cap_is_not_blamed(results: dict[str, object], bundle: str) -> None:
    top = _top(results, bundle)
    assert "every slot is busy" not in top, top
