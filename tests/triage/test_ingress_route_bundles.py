"""Ingress routes that collide or churn the controller, end to end (scan check routes, agent.triage.ingress_routes).

Bundles written with the corpus generator's own writer (examples/corpus), served by the replay API server and
investigated blind in runbook-only mode, as `vigil eval` does:

- overlap: a preview Ingress in `shop-preview` is created 25 minutes before the page with the production host
  `store.example.com` and path `/checkout` on the same IngressClass as production's `/`; ingress-nginx sends
  every checkout to the single preview pod, which is OOMKilled under production load. The Ingress is the
  cause, the OOMKilled preview pod its victim. Twin: the same preview Ingress on another IngressClass (its own
  controller, so it takes nothing) and the preview pod OOMKilled of its own: the Ingress must not be named.
- churn: a platform operator (`env-manager`) re-creates its five Ingresses on every resync; the ingress-nginx
  controller pods record 310 reloads (RELOAD events) and were OOMKilled 12 minutes before capture; users ask
  why websockets drop. Twin: a controller that reloaded a handful of times and never restarted, after the
  same operator's first rollout: the operator must not be named.
"""

from __future__ import annotations

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

from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

M = timedelta(minutes=1)


def _ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _ingress(inc: Incident, ns: str, name: str, host: str, path: str, svc: str, created: datetime, manager: str,
             cls: str = "nginx") -> dict[str, Any]:
    return inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": _ts(created),
                                 "managedFields": [{"manager": manager, "operation": "Update",
                                                    "apiVersion": "networking.k8s.io/v1", "time": _ts(created),
                                                    "fieldsType": "FieldsV1",
                                                    "fieldsV1": {"f:spec": {"f:rules": {}}}}]},
                    "spec": {"ingressClassName": cls, "rules": [{"host": host, "http": {"paths": [
                        {"path": path, "pathType": "Prefix",
                         "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}]},
                    "status": {"loadBalancer": {"ingress": [{"hostname": "lb-7.elb.eu-west-1.amazonaws.com"}]}}})


def _overlap(name: str, same_class: bool) -> Incident:
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    inc = Incident(name, title="store errors", story="", at=at, seed=6001, namespaces=("shop", "shop-preview"))
    _ingress(inc, "shop", "store-web", "store.example.com", "/", "store-web", inc.born + timedelta(days=4), "helm")
    _ingress(inc, "shop-preview", "checkout-preview", "store.example.com", "/checkout", "checkout-next",
             at - 25 * M, "kubectl-create", "nginx" if same_class else "nginx-preview")
    inc.deployment("shop", "store-web", [Rev(14, at - timedelta(days=6), "deploy 9.2.0",
                                                 [c("store-web", f"{REGISTRY}/shop/store-web:9.2.0", port=8080)])],
                   {14: [P(), P(), P()]})
    inc.service("shop", "store-web", {"app": "store-web"}, port=80, target=8080)
    inc.deployment("shop-preview", "checkout-next", [Rev(2, at - timedelta(days=1), "deploy pr-412",
                                                         [c("checkout-next", f"{REGISTRY}/shop/checkout:pr-412",
                                                            port=8080)])],
                   {2: [P(state="crashloop", reason="OOMKilled", exit_code=137, run_s=lambda n: 240.0,
                          crash_from=at - 20 * M)]})
    inc.service("shop-preview", "checkout-next", {"app": "checkout-next"}, port=80, target=8080)
    inc.slo_burn("store-web", "shop", "store-availability", "0.999", 18.0,
                 "store.example.com availability 1h burn rate 18; 5xx and 404 on /checkout since 09:35.")
    culprit = ("Ingress", "shop-preview", "checkout-preview") if same_class else \
        ("Deployment", "shop-preview", "checkout-next")
    inc.answer_key(culprit=culprit, keywords=["checkout"], category="ingress-host-overlap", red_herrings=[],
                   root_cause="A preview Ingress with the production host takes /checkout to the preview pod.")
    return inc


def _churn(name: str, looping: bool) -> Incident:
    at = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    inc = Incident(name, title="websockets drop", story="", at=at, seed=6002,
                   namespaces=("platform", "envs", "realtime"))
    captured = inc.captured
    inc.deployment("platform", "env-manager", [Rev(5, at - 3 * timedelta(hours=1), "deploy 2.0.0",
                                                   [c("manager", f"{REGISTRY}/platform/env-manager:2.0.0",
                                                      port=8080)])], {5: [P()]})
    for i in range(5):
        inc.service("envs", f"env-{i}-web", {"app": f"env-{i}-web"})
        _ingress(inc, "envs", f"env-{i}", f"env-{i}.envs.example.com", "/", f"env-{i}-web",
                 captured - timedelta(seconds=20 + 7 * i) if looping else at - 50 * M, "env-manager")
    inc.deployment("realtime", "notify-gateway", [Rev(3, at - timedelta(days=9), "deploy 1.8.1",
                                                      [c("gateway", f"{REGISTRY}/realtime/notify-gateway:1.8.1",
                                                         port=8080)])], {3: [P(), P()]})
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        inc.event({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "ingress-nginx", "name": h.name,
                                                                   "uid": f"uid-{h.name}"}},
                  "RELOAD",
                   "NGINX reload triggered due to a change in configuration", at - 55 * M, captured - M,
                   count=310 if looping else 4, warning=False, component="nginx-ingress-controller")
        if looping:
            def oom(pod: dict[str, Any]) -> None:
                cs = pod["status"]["containerStatuses"][0]
                cs["restartCount"] = 3
                cs["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                                  "startedAt": _ts(captured - 42 * M),
                                                  "finishedAt": _ts(captured - 12 * M)}}
            inc.cluster.patch("ingress-nginx", h.name, oom)
    inc.ask("Users say websocket connections to notify-gateway keep getting cut since this afternoon. Why?")
    culprit = ("Deployment", "platform", "env-manager")
    inc.answer_key(culprit=culprit, keywords=["reload"], category="ingress-controller-churn", red_herrings=[],
                   root_cause="env-manager re-creates its Ingresses on every resync; ingress-nginx reloads and OOMs.")
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((lambda: _overlap("store-preview-overlap", True),
                              lambda: _overlap("store-preview-own-class", False),
                              lambda: _churn("envs-ingress-churn", True),
                              lambda: _churn("envs-rollout-calm", False)), tmp_path_factory.mktemp("routes"))


def _top(results: dict[str, object], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


def test_the_ingress_that_took_the_production_path_is_named(results: dict[str, object]) -> None:
    top = _top(results, "store-preview-overlap")
    assert top.startswith("Ingress shop-preview/checkout-preview"), top
    assert "store.example.com/checkout" in top and "shop/store-web" in top


def test_a_preview_ingress_on_its_own_class_is_not_blamed(results: dict[str, object]) -> None:
    top = _top(results, "store-preview-own-class")
    assert "checkout-preview" not in top, top


def test_the_operator_whose_writes_keep_the_controller_reloading_is_named(results: dict[str, object]) -> None:
    top = _top(results, "envs-ingress-churn")
    assert top.startswith("Deployment platform/env-manager"), top
    assert "reloaded 620 times" in top or "reloaded 310 times" in top, top


def test_a_calm_rollout_of_the_same_operator_is_not_churn(results: dict[str, object]) -> None:
    top = _top(results, "envs-rollout-calm")
    assert "reloaded" not in top, top
