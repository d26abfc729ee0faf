"""A controller did what its newly written config told it, end to end, on bundles written here.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode and scored as `vigil eval` does. Not the held-out stories in
other words: an HPA whose scale-up policy a Helm upgrade slowed to 2 pods per 15 min (another workload's rollout as
red herring) and its twin whose policy is 40 days old; a month-end CronJob in a namespace annotated for Linkerd
injection, whose pod keeps running on linkerd-proxy after the close-out exited 0; an Argo CD Application whose
source path moved and whose sync pruned the Service a Go caller looks up (`no such host`), and its twin where the
sync result shows the Service synced (deleted by someone else): the Application is not named.
"""

from __future__ import annotations

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
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)


def _busy(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(end - 30 * M, end, 20, lambda i, t: L.logfmt(
        t, "warn", "request slow", path="/search", status=200, duration_ms=2400 + i % 300)))


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(end - 30 * M, end, 120, lambda i, t: L.logfmt(t, "info", "batch indexed", docs=400)))


def _hpa_incident(name: str, seed: int, written: timedelta, culprit: bool) -> Incident:
    at = datetime(2026, 10, 3, 18, 0, tzinfo=UTC)
    inc = Incident(name, title="query-api latency", story="an HPA held back by its scale-up policy", at=at,
                   seed=seed, namespaces=("search",))
    inc.deployment("search", "query-api", [Rev(3, at - timedelta(days=9), "helm upgrade", [
        c("query-api", f"{REGISTRY}/search/query-api:5.2.0")])], {3: [P(log=_busy) for _ in range(6)]})
    inc.deployment("search", "query-indexer", [
        Rev(1, at - timedelta(days=30), "helm install", [c("query-indexer", f"{REGISTRY}/search/query-indexer:1.0.0")]),
        Rev(2, at - 35 * M, "helm upgrade", [c("query-indexer", f"{REGISTRY}/search/query-indexer:1.0.1")])],
        {2: [P(log=_quiet)]})
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "query-api", "namespace": "search", "managedFields": [
                       {"manager": "helm", "operation": "Update", "apiVersion": "autoscaling/v2",
                        "time": ts(at - written), "fieldsType": "FieldsV1",
                        "fieldsV1": {"f:spec": {"f:behavior": {"f:scaleUp": {"f:policies": {}}}}}}]},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "query-api"},
                            "minReplicas": 3, "maxReplicas": 40,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 60}}}],
                            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Min",
                                                     "policies": [{"type": "Pods", "value": 2,
                                                                   "periodSeconds": 900}]}}},
                   "status": {"currentReplicas": 6, "desiredReplicas": 6, "lastScaleTime": ts(at - 5 * M),
                              "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                                  "averageUtilization": 170}}}],
                              "conditions": [
                                  {"type": "AbleToScale", "status": "True", "reason": "ScaleUpStabilized",
                                   "message": "recent recommendations were lower than current one"},
                                  {"type": "ScalingLimited", "status": "True", "reason": "ScaleUpLimit",
                                   "message": "the desired replica count is increasing faster than the maximum "
                                              "scale rate", "lastTransitionTime": ts(at - 35 * M)}]}})
    for size, ago in ((4, 35), (6, 20)):
        inc.event(hpa, "SuccessfulRescale", f"New size: {size}; reason: cpu resource utilization (percentage of "
                  "request) above target", at - ago * M, warning=False, component="horizontal-pod-autoscaler")
    inc.alertmanager("QueryApiLatencyHigh", {"namespace": "search", "service": "query-api"},
                     "query-api p99 latency above 1s", "query-api p99 latency is 2.4s for 10 minutes.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"search"}[5m]))) > 1', severity="critical")
    if culprit:
        inc.answer_key(culprit=("HorizontalPodAutoscaler", "search", "query-api"),
                       keywords=["behavior.scaleUp", "periodSeconds", "ScaleUpLimit"],
                       root_cause="helm wrote a scaleUp policy of 2 pods per 900 s; the HPA cannot follow the load.",
                       category="hpa-scale-up-policy", red_herrings=[("Deployment", "search", "query-indexer")])
    else:
        inc.answer_key(culprit=("Deployment", "search", "query-api"), keywords=["load"],
                       root_cause="Load grew; the scale-up policy is of long standing.", category="unexplained",
                       red_herrings=[("HorizontalPodAutoscaler", "search", "query-api")])
    return inc


def hpa_new_policy() -> Incident:
    """helm wrote query-api's HPA scaleUp policy (2 pods per 900 s) 4 h before the latency page."""
    return _hpa_incident("query-latency-hpa-policy", 7311, timedelta(hours=4), True)


def hpa_old_policy() -> Incident:
    """The twin: the same policy, written 40 days ago."""
    return _hpa_incident("query-latency-hpa-old-policy", 7312, timedelta(days=40), False)


def _job_pod(name: str, job: str, created: datetime, node: str, finished: datetime,
             proxy: bool) -> dict[str, Any]:
    containers = [{"name": "close-out", "image": f"{REGISTRY}/ledger/close-out:2.0.3"}]
    statuses: list[dict[str, Any]] = [{"name": "close-out", "ready": False, "restartCount": 0,
                                       "image": f"{REGISTRY}/ledger/close-out:2.0.3",
                                       "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                "startedAt": ts(created + M),
                                                                "finishedAt": ts(finished)}}}]
    if proxy:
        containers.append({"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge-24.11.8"})
        statuses.append({"name": "linkerd-proxy", "ready": True, "restartCount": 0,
                         "image": "cr.l5d.io/linkerd/proxy:edge-24.11.8",
                         "state": {"running": {"startedAt": ts(created + M)}}})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "ledger", "creationTimestamp": ts(created),
                         "labels": {"job-name": job, "app": "month-close"},
                         "annotations": {"linkerd.io/proxy-version": "edge-24.11.8"} if proxy else {},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                              "uid": f"uid-{job}", "controller": True}]},
            "spec": {"nodeName": node, "restartPolicy": "Never", "containers": containers},
            "status": {"phase": "Running" if proxy else "Succeeded", "startTime": ts(created),
                       "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"
                                       if proxy else "PodCompleted"}],
                       "containerStatuses": statuses}}


def linkerd_job() -> Incident:
    """Namespace ledger annotated linkerd.io/inject=enabled 2 days ago; month-close's run since keeps running."""
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    inc = Incident("month-close-overdue", title="month-close overdue", story=linkerd_job.__doc__ or "", at=at,
                   seed=7313, namespaces=("ledger",))
    ns = next(o for o in inc.cluster.objects if o.get("kind") == "Namespace" and o["metadata"]["name"] == "ledger")
    ns["metadata"]["annotations"] = {"linkerd.io/inject": "enabled"}
    ns["metadata"]["managedFields"] = [{"manager": "kubectl-annotate", "operation": "Update", "apiVersion": "v1",
                                        "time": ts(at - timedelta(days=2)), "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:metadata": {"f:annotations": {"f:linkerd.io/inject": {}}}}}]
    inc.deployment("ledger", "ledger-api", [Rev(2, at - timedelta(days=8), "helm upgrade", [
        c("ledger-api", f"{REGISTRY}/ledger/ledger-api:3.3.0")])], {2: [P(log=_quiet)]})
    node = inc.node_names()[0]
    template = {"metadata": {"labels": {"app": "month-close"}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "close-out", "image": f"{REGISTRY}/ledger/close-out:2.0.3"}]}}
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "month-close", "namespace": "ledger"},
             "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}})
    for job, started, done in (("month-close-29870000", at - timedelta(days=2, hours=6), True),
                               ("month-close-29871440", at - timedelta(hours=6), False)):
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": job, "namespace": "ledger", "uid": f"uid-{job}",
                              "creationTimestamp": ts(started),
                              "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "month-close",
                                                   "controller": True}]},
                 "spec": {"template": template},
                 "status": {"startTime": ts(started), **({"succeeded": 1, "completionTime": ts(started + 40 * M),
                                                          "conditions": [{"type": "Complete", "status": "True"}]}
                                                         if done else {"active": 1})}})
        inc.add(_job_pod(f"{job}-q8z4x", job, started, node, started + 40 * M, proxy=not done))
    inc.alertmanager("KubeJobNotCompleted", {"namespace": "ledger", "job_name": "month-close-29871440",
                                             "job": "kube-state-metrics"},
                     "Job did not complete in time",
                     "Job ledger/month-close-29871440 is taking more than 5h 0m 0s to complete.",
                     "time() - max by (namespace, job_name) (kube_job_status_start_time and kube_job_status_active > "
                     "0) > 18000")
    inc.answer_key(culprit=("Namespace", "", "ledger"), keywords=["linkerd.io/inject", "linkerd-proxy", "sidecar"],
                   root_cause="The ledger namespace was annotated for Linkerd injection; the proxy outlives the job.",
                   category="sidecar-injection-keeps-job-pods-running",
                   red_herrings=[("Deployment", "ledger", "ledger-api")])
    return inc


def crd(inc: Incident, group: str, kind: str, plural: str, version: str) -> None:
    """The CustomResourceDefinition a custom resource needs to be served at all."""
    names = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()}
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": "Namespaced", "names": names,
                      "versions": [{"name": version, "served": True, "storage": True, "schema": {
                          "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": names, "storedVersions": [version]}})


def _argo_incident(name: str, seed: int, pruned: bool) -> Incident:
    at = datetime(2026, 10, 20, 11, 0, tzinfo=UTC)
    sync = at - 80 * M
    inc = Incident(name, title="basket-api errors", story="an Argo CD sync pruned the prices Service", at=at, seed=seed,
                   namespaces=("basket", "pricing"))
    inc.cluster.add_namespace("argocd", inc.born)
    crd(inc, "argoproj.io", "Application", "applications", "v1alpha1")

    def basket_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, sync + M), end, 15, lambda i, t: L.logfmt(
            t, "error", "price lookup failed", order=f"A-{7700 + i}",
            err="Get \"http://prices.pricing.svc.cluster.local:8080/v1/price\": dial tcp: lookup "
                "prices.pricing.svc.cluster.local on 10.96.0.10:53: no such host")))
    inc.deployment("basket", "basket-api", [Rev(4, at - timedelta(days=6), "helm upgrade", [
        c("basket-api", f"{REGISTRY}/basket/basket-api:4.0.2",
          env=[{"name": "PRICES_URL", "value": "http://prices.pricing.svc.cluster.local:8080"}])])],
        {4: [P(log=basket_log), P(log=basket_log)]})
    inc.deployment("basket", "basket-web", [
        Rev(1, at - timedelta(days=20), "helm install", [c("basket-web", f"{REGISTRY}/basket/basket-web:2.0.0")]),
        Rev(2, at - 20 * M, "helm upgrade", [c("basket-web", f"{REGISTRY}/basket/basket-web:2.0.1")])],
        {2: [P(log=_quiet)]})
    inc.deployment("pricing", "prices", [Rev(1, at - timedelta(days=40), "argocd sync", [
        c("prices", f"{REGISTRY}/pricing/prices:1.9.0", port=8080)])], {1: [P(log=_quiet)]})
    resources = [{"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "pricing", "name": "prices",
                  "status": "Synced", "message": "deployment.apps/prices unchanged", "syncPhase": "Sync"},
                 {"version": "v1", "kind": "Service", "namespace": "pricing", "name": "prices",
                  "status": "Pruned" if pruned else "Synced",
                  "message": "pruned" if pruned else "service/prices unchanged", "syncPhase": "Sync"}]
    inc.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
             "metadata": {"name": "pricing-prod", "namespace": "argocd", "generation": 31,
                          "creationTimestamp": ts(at - timedelta(days=60)),
                          "managedFields": [{"manager": "argocd-server", "operation": "Update",
                                             "apiVersion": "argoproj.io/v1alpha1", "time": ts(sync - 2 * M),
                                             "fieldsType": "FieldsV1",
                                             "fieldsV1": {"f:spec": {"f:source": {"f:path": {}}}}}]},
             "spec": {"project": "default", "destination": {"server": "https://kubernetes.default.svc",
                                                            "namespace": "pricing"},
                      "source": {"repoURL": "https://git.example.com/platform/apps.git", "path": "pricing/envs/prod-v2",
                                 "targetRevision": "main"},
                      "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}},
             "status": {"sync": {"status": "Synced", "revision": "4be1c0d"},
                        "health": {"status": "Healthy"},
                        "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
                                           "startedAt": ts(sync), "finishedAt": ts(sync + M),
                                           "syncResult": {"revision": "4be1c0d", "resources": resources}}}})
    inc.alertmanager("BasketErrorRateHigh", {"namespace": "basket", "service": "basket-api"},
                     "basket-api 5xx rate above 5%", "basket-api is answering 5xx on 38% of requests.",
                     'sum(rate(http_requests_total{namespace="basket",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="basket"}[5m])) > 0.05', severity="critical")
    if pruned:
        inc.answer_key(culprit=("Application", "argocd", "pricing-prod"), keywords=["pruned", "Service", "source.path"],
                       root_cause="The Application's source path moved to a tree without the prices Service; "
                                  "automated prune deleted it.", category="gitops-prune-deletes-live-service",
                       red_herrings=[("Deployment", "basket", "basket-web")])
    else:
        inc.answer_key(culprit=("Service", "pricing", "prices"), keywords=["prices"],
                       root_cause="The prices Service is gone; the sync did not prune it.", category="unexplained",
                       red_herrings=[("Application", "argocd", "pricing-prod")])
    return inc


def argo_pruned() -> Incident:
    """Argo CD's automated sync of pricing-prod, after its source path moved, pruned Service pricing/prices."""
    return _argo_incident("basket-prices-pruned", 7314, True)


def argo_not_pruned() -> Incident:
    """The twin: the same write and sync, whose result shows the Service synced (it went some other way)."""
    return _argo_incident("basket-prices-gone", 7315, False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((hpa_new_policy, hpa_old_policy, linkerd_job, argo_pruned,
                                                                argo_not_pruned), tmp_path_factory.mktemp("controller"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("query-latency-hpa-policy", ("HPA search/query-api is throttled by its own behavior.scaleUp policy "
                                  "(2 pods per periodSeconds 900", "written by helm 4 h 0 min before")),
    ("month-close-overdue", ("Namespace ledger was annotated linkerd.io/inject=enabled since the last run (its pod "
                             "month-close-29870000-q8z4x had no linkerd-proxy)",
                             "linkerd-proxy sidecar", "never completes")),
    ("basket-prices-pruned", ("Application argocd/pricing-prod pruned: it deleted Service pricing/prices",
                                "spec.source.path")),
])
def test_the_config_the_controller_obeyed_is_named(results: dict[str, Any], bundle: str,
                                                   words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_a_scale_up_policy_of_long_standing_is_not_named(results: dict[str, Any]) -> None:
    top = str(getattr(results["query-latency-hpa-old-policy"], "top", "") or "")
    assert "is throttled by its own" not in top, top


def test_a_service_the_sync_did_not_prune_does_not_name_the_application(results: dict[str, Any]) -> None:
    top = str(getattr(results["basket-prices-gone"], "top", "") or "")
    assert "pricing-prod pruned" not in top, top
