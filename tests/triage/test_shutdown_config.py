"""Errors at pod terminations: the revision that weakened graceful shutdown (agent.triage.shutdown_config).

Units on Kubernetes' own shapes (a ReplicaSet's and a StatefulSet ControllerRevision's pod template),
then four incident bundles written with the corpus writer, served by the replay API server and
Prometheus recorder, investigated blind in runbook-only mode as `vigil eval` does:

- catalog-web (ingress-nginx, 502/503): revision 8 of a Helm chart drops `lifecycle.preStop` (httpGet
  /drain) and the 60 s grace period; today's revision 9 (an image bump) stops the old pods and the
  controller counts 502s for seconds after each one. Twin: revision 8 keeps its preStop and grace
  period (the same bursts): no revision is blamed for weakening a drain it kept.
- ledger-api (Istio, 503): revision 4 drops the readinessProbe and cuts the grace period from 40 s to
  10 s; revision 5 rolls out. Twin: the 503s run all along, before the terminations as much as after:
  not errors that come with terminations, so no revision is blamed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import shutdown_config as sc
from agent.triage.facts import Facts, Ref
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

M = timedelta(minutes=1)


def _rs(revision: int, spec: dict[str, Any], min_ready: int | None = None) -> dict[str, Any]:
    rs: dict[str, Any] = {"kind": "ReplicaSet", "spec": {"template": {"spec": spec}}}
    if min_ready is not None:
        rs["spec"]["minReadySeconds"] = min_ready
    return {"revision": revision, "name": f"web-{revision}", "created": "2026-11-30T10:00:00Z", "object": rs}


def test_a_dropped_prestop_and_shorter_grace_are_losses() -> None:
    before = sc.shutdown_of(_rs(3, {"terminationGracePeriodSeconds": 60, "containers": [
        {"name": "web", "lifecycle": {"preStop": {"exec": {"command": ["sleep", "20"]}}},
         "readinessProbe": {"httpGet": {"path": "/ready"}}}]}, min_ready=10))
    after = sc.shutdown_of(_rs(4, {"containers": [{"name": "web", "readinessProbe": {"httpGet": {"path": "/r"}}}]}))
    lost = sc.losses(before, after)
    assert "container web's preStop hook (exec sleep 20) removed" in lost
    assert "terminationGracePeriodSeconds 60 -> 30" in lost  # left out: Kubernetes' default of 30
    assert "minReadySeconds 10 -> 0" in lost
    assert sc.losses(after, before) == []  # strengthening is no loss


def test_a_controller_revision_sleep_action_and_readiness() -> None:
    def rev(n: int, container: dict[str, Any]) -> dict[str, Any]:
        return {"revision": n, "name": f"db-{n}", "object": {"kind": "ControllerRevision", "data": {"spec": {
            "template": {"spec": {"terminationGracePeriodSeconds": 40, "containers": [container]}}}}}}
    before = sc.shutdown_of(rev(1, {"name": "db", "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                                    "readinessProbe": {"tcpSocket": {"port": 5432}}}))
    after = sc.shutdown_of(rev(2, {"name": "db", "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}))
    assert before.pre_stop == {"db": "sleep 5s"}
    assert sc.losses(before, after) == ["container db's readinessProbe removed"]
    assert sc.losses(before, before) == []


def test_terminations_are_the_workloads_own_stops_in_the_window() -> None:
    facts = Facts(at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    rows = [{"reason": "SuccessfulDelete", "kind": "ReplicaSet", "name": "web-7c9f8d6b5",
             "message": "Deleted pod: web-7c9f8d6b5-x2k4q", "first_seen": "2026-11-30T11:55:00Z"},
            {"reason": "SuccessfulCreate", "kind": "ReplicaSet", "name": "web-7c9f8d6b5",
             "message": "Created pod: web-7c9f8d6b5-z9z9z", "first_seen": "2026-11-30T11:54:00Z"},
            {"reason": "Killing", "kind": "Pod", "name": "webhook-7c9f8d6b5-abcde",
             "message": "Stopping container webhook", "first_seen": "2026-11-30T11:56:00Z"},
            {"reason": "SuccessfulDelete", "kind": "ReplicaSet", "name": "web-7c9f8d6b5",
             "message": "Deleted pod: web-7c9f8d6b5-old00", "first_seen": "2026-11-30T06:00:00Z"}]
    stops = sc.terminations(rows, Ref("Deployment", "shop", "web"), facts)
    assert stops == [datetime(2026, 11, 30, 11, 55, tzinfo=UTC)]


# ---- end to end --------------------------------------------------------------------------------

def _counter(rate: Callable[[datetime], float], origin: datetime, step_s: int = 30) -> Callable[[datetime], float]:
    """A counter whose per-second rate at each time is `rate(t)`."""
    def value(t: datetime) -> float:
        total, s = 0.0, origin
        while s < t:
            total += rate(s) * step_s
            s += timedelta(seconds=step_s)
        return round(total)
    return value


def _catalog(name: str, keeps_drain: bool) -> Incident:
    at = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)
    inc = Incident(name, title="catalog: error spikes", story="", at=at, seed=381, namespaces=("catalog",))
    rev9 = at - 4 * M
    drain = {"lifecycle": {"preStop": {"httpGet": {"path": "/drain", "port": 8080}}}}
    kept = ({"terminationGracePeriodSeconds": 60}, drain) if keeps_drain else ({}, {})
    revs = [Rev(7, at - timedelta(days=6), "helm upgrade catalog-web 3.4.2",
                [c("catalog-web", f"{REGISTRY}/catalog/web:3.4.2", port=8080)],
                pod_spec={"terminationGracePeriodSeconds": 60}, container=drain),
            Rev(8, at - timedelta(hours=30), "helm upgrade catalog-web 4.0.0 (shared app chart)",
                [c("catalog-web", f"{REGISTRY}/catalog/web:4.0.0", port=8080)], pod_spec=kept[0], container=kept[1]),
            Rev(9, rev9, "helm upgrade catalog-web 4.0.1",
                [c("catalog-web", f"{REGISTRY}/catalog/web:4.0.1", port=8080)], pod_spec=kept[0], container=kept[1])]

    def web(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 13, lambda i, t: L.js(t, "info", "GET /items 200", ms=20 + i % 30)))

    wl = inc.deployment("catalog", "catalog-web", revs, {9: [P(log=web, created=rev9 + timedelta(seconds=30 * i))
                                                             for i in range(2)]})
    inc.service("catalog", "catalog-web", {"app": "catalog-web"}, port=80, target=8080)
    rs = inc.find("ReplicaSet", "catalog", wl.rs[8])
    stops = [rev9 + timedelta(seconds=30 + 30 * i) for i in range(2)]
    for i, t in enumerate(stops):
        inc.event(rs, "SuccessfulDelete", f"Deleted pod: {wl.rs[8]}-old{i}x", t, warning=False,
                  component="replicaset-controller")

    def bad(t: datetime) -> float:
        return 7.0 if any(timedelta(0) <= t - s < timedelta(seconds=30) for s in stops) else 0.0
    for code, rate in (("502", bad), ("503", lambda t: bad(t) / 2), ("200", lambda t: 90.0)):
        inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {"namespace": "catalog", "ingress": "catalog-web", "service": "catalog-web", "status": code,
                    "controller_class": "k8s.io/ingress-nginx", "job": "ingress-nginx"},
                   _counter(rate, at - timedelta(hours=2)), step_s=30)
    inc.alertmanager("CatalogErrorSpikes", {"namespace": "catalog", "service": "catalog-web"},
                     "catalog-web 5xx spikes", "catalog-web answered 5xx to 4% of requests over 2 minutes.",
                     'sum(rate(nginx_ingress_controller_requests{service="catalog-web",status=~"5.."}[2m])) / '
                     'sum(rate(nginx_ingress_controller_requests{service="catalog-web"}[2m])) > 0.02', starts=at)
    inc.answer_key(culprit=("Deployment", "catalog", "catalog-web"), keywords=["preStop", "SIGTERM"],
                   root_cause="revision 8 dropped the preStop drain", category="prestop-removed", red_herrings=[])
    return inc


def _ledger(name: str, aligned: bool) -> Incident:
    at = datetime(2026, 11, 27, 9, 10, tzinfo=UTC)
    inc = Incident(name, title="ledger-api availability", story="", at=at, seed=382, namespaces=("ledger",))
    rev5 = at - 3 * M
    probe = {"readinessProbe": {"httpGet": {"path": "/health/ready", "port": 9000}, "periodSeconds": 5}}
    revs = [Rev(3, at - timedelta(days=9), "argocd sync 1f0c2e7", [c("ledger-api", f"{REGISTRY}/ledger/api:2.7.0",
                                                                        port=9000)],
                pod_spec={"terminationGracePeriodSeconds": 40}, container=probe),
            Rev(4, at - timedelta(days=2), "argocd sync 9ab41d0", [c("ledger-api", f"{REGISTRY}/ledger/api:2.8.0",
                                                                       port=9000, readiness_path=None)],
                pod_spec={"terminationGracePeriodSeconds": 10}),
            Rev(5, rev5, "argocd sync 5c3e882", [c("ledger-api", f"{REGISTRY}/ledger/api:2.8.1", port=9000,
                                                     readiness_path=None)],
                pod_spec={"terminationGracePeriodSeconds": 10})]

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 17, lambda i, t: L.logfmt(t, "info", "posted entry", status=201)))

    wl = inc.deployment("ledger", "ledger-api", revs, {5: [P(log=api, created=rev5 + timedelta(seconds=15 * i))
                                                           for i in range(3)]})
    inc.service("ledger", "ledger-api", {"app": "ledger-api"}, port=9000, target=9000)
    rs = inc.find("ReplicaSet", "ledger", wl.rs[4])
    stops = [rev5 + timedelta(seconds=20 + 15 * i) for i in range(3)]
    for i, t in enumerate(stops):
        inc.event(rs, "SuccessfulDelete", f"Deleted pod: {wl.rs[4]}-gone{i}", t, warning=False,
                  component="replicaset-controller")

    def bad(t: datetime) -> float:
        if not aligned:
            return 3.0  # the same 503s all along: not the terminations
        return 5.0 if any(timedelta(0) <= t - s < timedelta(seconds=30) for s in stops) else 0.0
    for code, rate in (("503", bad), ("200", lambda t: 40.0)):
        inc.series("istio_requests", "counter", "Total requests.",
                   {"destination_workload_namespace": "ledger", "destination_workload": "ledger-api",
                    "destination_service": "ledger-api.ledger.svc.cluster.local", "response_code": code,
                    "reporter": "destination", "job": "istio-proxies"},
                   _counter(rate, at - timedelta(hours=2)), step_s=30)
    inc.alertmanager("LedgerApiAvailability", {"namespace": "ledger", "destination_workload": "ledger-api"},
                     "ledger-api availability below objective", "ledger-api answered 503 to callers.",
                     'sum(rate(istio_requests_total{destination_workload="ledger-api",response_code=~"5.."}[5m]))'
                     ' > 0', starts=at)
    inc.answer_key(culprit=("Deployment", "ledger", "ledger-api"), keywords=["readinessProbe", "SIGTERM"],
                   root_cause="revision 4 dropped readiness and grace", category="shutdown-weakened", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _catalog("catalog-drain-dropped", False),
                              lambda: _catalog("catalog-drain-kept", True),
                              lambda: _ledger("ledger-readiness-dropped", True),
                              lambda: _ledger("ledger-steady-503", False)), tmp_path_factory.mktemp("shutdown"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("catalog-drain-dropped", ("Deployment catalog/catalog-web", "502", "SIGTERM", "Revision 8",
                               "preStop hook (httpGet /drain) removed", "terminationGracePeriodSeconds 60 -> 30",
                               "revision 9, the latest rollout")),
    ("ledger-readiness-dropped", ("Deployment ledger/ledger-api", "503", "SIGTERM", "Revision 4",
                                  "readinessProbe removed", "terminationGracePeriodSeconds 40 -> 10")),
])
def test_the_revision_that_weakened_the_drain_is_named(results: dict[str, Any], bundle: str,
                                                       words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["catalog-drain-kept", "ledger-steady-503"])
def test_no_revision_is_blamed_without_a_loss_or_without_aligned_errors(results: dict[str, Any],
                                                                       bundle: str) -> None:
    top = _top(results, bundle)
    assert "dropped its graceful shutdown" not in top, top


def _image_rs(revision: int, image: str, command: list[str]) -> sc.Shutdown:
    return sc.shutdown_of(_rs(revision, {"containers": [
        {"name": "api", "image": image, "lifecycle": {"preStop": {"exec": {"command": command}}}}]}))


RUNC_SLEEP = ('PreStopHook failed: rpc error: code = Unknown desc = failed to exec in container: '
              'OCI runtime exec failed: exec failed: unable to start container process: '
              'exec: "sleep": executable file not found in $PATH: unknown')
NO_SHELL = ("command '/bin/sh -c sleep 10' exited with 126: OCI runtime exec failed: exec failed: "
            'container_linux.go:380: starting container process caused: '
            'exec: \\"/bin/sh\\": stat /bin/sh: no such file or directory: unknown')


def test_an_image_change_that_drops_the_hooks_binary_broke_the_drain() -> None:
    revs = [_image_rs(3, "reg/api:1.0", ["sleep", "15"]), _image_rs(4, "reg/api:2.0-distroless", ["sleep", "15"]),
            _image_rs(5, "reg/api:2.0-distroless", ["sleep", "15"])]
    before, after, words = sc.broken_hook(revs, [RUNC_SLEEP]) or (None, None, "")
    assert before is not None and after is not None
    assert (before.revision, after.revision) == (3, 4)
    assert "preStop hook (exec sleep 15) can no longer run" in words and "no sleep binary" in words
    shell = [_image_rs(1, "reg/w:7", ["/bin/sh", "-c", "sleep 10"]), _image_rs(2, "reg/w:8-scratch",
                                                                              ["/bin/sh", "-c", "sleep 10"])]
    got = sc.broken_hook(shell, [NO_SHELL])
    assert got is not None and got[1].revision == 2 and "no sh binary" in got[2]


def test_a_hook_failure_without_an_image_change_or_for_another_reason_blames_no_revision() -> None:
    same_image = [_image_rs(3, "reg/api:1.0", ["sleep", "15"]), _image_rs(4, "reg/api:1.0", ["sleep", "15"])]
    assert sc.broken_hook(same_image, [RUNC_SLEEP]) is None  # the hook never ran: no revision changed that
    changed = [_image_rs(3, "reg/api:1.0", ["sleep", "15"]), _image_rs(4, "reg/api:2.0", ["sleep", "15"])]
    assert sc.broken_hook(changed, ["command 'sleep 15' exited with 137: "]) is None  # killed, not missing
    assert sc.broken_hook(changed, []) is None
    other_binary = [_image_rs(3, "reg/api:1.0", ["/drain.sh"]), _image_rs(4, "reg/api:2.0", ["/drain.sh"])]
    assert sc.broken_hook(other_binary, [RUNC_SLEEP]) is None  # the missing binary is not the hook's
    assert sc.missing_binary("command 'sh -c sleep 10' exited with 127: sh: sleep: not found") == "sleep"
