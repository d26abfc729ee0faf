"""Changes made by someone other than a rollout: a GitOps controller writing back a hand hotfix
(agent.triage.gitops_revert) and a one-shot Job whose statement set a server setting (agent.triage.job_changes).

Units on the rollout-history and statement shapes, then incident bundles written with the corpus writer,
served by the replay API server and investigated blind in runbook-only mode as `vigil eval` does:

- Argo CD: shop/cart-worker's memory limit was raised by `kubectl set resources` at night; selfHeal is turned
  on in Application argocd/cart-worker-prod in the morning and the controller syncs git's 256Mi back: the
  pods are OOMKilled again. The same with selfHeal on for weeks (the Application is found by listing, not
  by the timeline). Twin: every revision came from git (no hand write): nothing was reverted.
- Flux: payments/ledger-api was hot-fixed with `kubectl set image` to 4.1.1; the Kustomization
  flux-system/ledger-api is resumed (spec.suspend false) and kustomize-controller applies 4.1.0 back a minute
  later, with no change-cause of its own (the hand write's annotation is copied on); the old image's crash
  returns.
- A MySQL Job's args run `SET PERSIST max_connections = 60`; orders-api (Go) gets `Error 1040: Too many
  connections`.
- A PostgreSQL Job runs a script from a mounted ConfigMap, `ALTER ROLE ledger_ro SET statement_timeout TO
  '5s'`; report-api (Java) gets `canceling statement due to statement timeout`. Twin: the script sets only
  work_mem: no Job is named.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import gitops_revert, job_changes
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

M = timedelta(minutes=1)


# ---- units ------------------------------------------------------------------------------------


def _rev(n: int, cause: str, changes: list[str]) -> dict[str, Any]:
    return {"revision": n, "name": f"w-{n}", "created": f"2026-11-20T0{n % 10}:00:00Z", "change_cause": cause,
            "changes": changes}


def test_a_hand_value_a_controller_wrote_back_is_a_revert() -> None:
    history = {"revisions": [
        _rev(4, "argocd sync 1a2b3c4", []),
        _rev(5, "kubectl set resources deployment/w --limits=memory=1Gi", ["w memory limit 256Mi -> 1Gi"]),
        _rev(6, "argocd sync 9f8e7d6", ["w memory limit 1Gi -> 256Mi"])]}
    [(fld, manual, git, earlier, later)] = gitops_revert.reverts(history)
    assert (fld, manual, git, earlier["revision"], later["revision"]) == ("w memory limit", "1Gi", "256Mi", 5, 6)


@pytest.mark.parametrize("causes", [
    ("argocd sync 1111111", "argocd sync 2222222"),  # git itself went up and back: no hand write
    ("kubectl set resources deployment/w --limits=memory=1Gi", "kubectl rollout undo deployment/w"),  # a person
])
def test_no_revert_without_a_hand_write_and_a_controller_write(causes: tuple[str, str]) -> None:
    history = {"revisions": [_rev(5, causes[0], ["w memory limit 256Mi -> 1Gi"]),
                             _rev(6, causes[1], ["w memory limit 1Gi -> 256Mi"])]}
    assert gitops_revert.reverts(history) == []


def test_a_controller_writing_a_new_value_is_no_revert() -> None:
    history = {"revisions": [_rev(5, "kubectl edit deployment/w", ["w memory limit 256Mi -> 1Gi"]),
                             _rev(6, "flux kustomize-controller apply", ["w memory limit 1Gi -> 768Mi"])]}
    assert gitops_revert.reverts(history) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("psql -c \"ALTER ROLE ledger_ro SET statement_timeout TO '5s';\"", [("statement_timeout", "'5s'")]),
    ("2026-11-30T01:12:03.000000000Z ALTER SYSTEM SET max_connections = 50;", [("max_connections", "50")]),
    ("mysql -e 'SET PERSIST max_connections = 60'", [("max_connections", "60")]),
    ("redis-cli -h cache CONFIG SET maxmemory 64mb", [("maxmemory", "64mb")]),
])
def test_statements_and_the_settings_they_set(text: str, expected: list[tuple[str, str]]) -> None:
    [statement] = job_changes.statements(text)
    assert job_changes.settings_set(statement) == expected


@pytest.mark.parametrize("text", [
    "SELECT count(*) FROM invoices WHERE created_at > now() - interval '1 day'",
    "echo 'set up done'",
    "ALTER ROLE app WITH PASSWORD 'x'",  # a statement, but no setting: never quoted as one
])
def test_reads_and_settingless_statements_set_nothing(text: str) -> None:
    assert [s for st in job_changes.statements(text) for s in job_changes.settings_set(st)] == []


# ---- end to end -------------------------------------------------------------------------------


def _crd(inc: Incident, group: str, kind: str, plural: str, version: str) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": "Namespaced",
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def _managed(obj: dict[str, Any], manager: str, at: datetime, fields: dict[str, Any]) -> None:
    obj["metadata"].setdefault("managedFields", []).append({
        "manager": manager, "operation": "Update", "apiVersion": str(obj.get("apiVersion")), "time": ts(at),
        "fieldsType": "FieldsV1", "fieldsV1": fields})


def _argocd(name: str, hand: bool, heal_written: bool = True) -> Incident:
    at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    inc = Incident(name, title="cart-worker crash-looping", story="", at=at, seed=4201, namespaces=("shop", "argocd"))
    night, heal = at - timedelta(hours=10), at - 40 * M
    _crd(inc, "argoproj.io", "Application", "applications", "v1alpha1")
    app = inc.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                   "metadata": {"name": "cart-worker-prod", "namespace": "argocd", "generation": 40},
                   "spec": {"project": "shop", "destination": {"server": "https://kubernetes.default.svc",
                                                               "namespace": "shop"},
                            "source": {"repoURL": "https://git.example.com/shop/deploy.git", "targetRevision": "main",
                                       "path": "cart-worker/prod"},
                            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}},
                   "status": {"sync": {"status": "Synced"}, "health": {"status": "Degraded"}}})
    _managed(app, "argocd-server", heal if heal_written else at - timedelta(days=40),
             {"f:spec": {"f:syncPolicy": {"f:automated": {"f:selfHeal": {}}}}})
    image = f"{REGISTRY}/shop/cart-worker:3.4.0"
    base = {"requests": {"cpu": "200m", "memory": "256Mi"}}
    middle = "kubectl set resources deployment/cart-worker --limits=memory=1Gi" if hand else "argocd sync 5d4c3b2"

    def worker(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 20, lambda i, t: L.js(t, "info", "cart batch processed", batch=i)))
    inc.deployment("shop", "cart-worker", [
        Rev(7, at - timedelta(days=12), "argocd sync 0a1b2c3", [c("cart-worker", image, port=None)],
            container={"resources": {**base, "limits": {"memory": "256Mi"}}}),
        Rev(8, night, middle, [c("cart-worker", image, port=None)],
            container={"resources": {**base, "limits": {"memory": "1Gi"}}}),
        Rev(9, heal + M, "argocd sync 7e6f5a4", [c("cart-worker", image, port=None)],
            container={"resources": {**base, "limits": {"memory": "256Mi"}}})],
        {9: [P(state="crashloop", reason="OOMKilled", exit_code=137, log=worker, run_s=lambda n: 80.0,
               crash_from=at - 25 * M) for _ in range(2)]})
    inc.ask("cart-worker keeps restarting since this morning, why?")
    inc.answer_key(culprit=("Application", "argocd", "cart-worker-prod"), keywords=["reverted"],
                   root_cause="selfHeal synced git's memory limit over the hand hotfix", category="gitops-revert",
                   red_herrings=[])
    return inc


def _flux(name: str) -> Incident:
    at = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    inc = Incident(name, title="ledger-api crash-looping", story="", at=at, seed=4202,
                   namespaces=("payments", "flux-system"))
    fix, resumed = at - timedelta(hours=5), at - 30 * M
    hand = "kubectl set image deployment/ledger-api ledger-api=registry/payments/ledger-api:4.1.1"
    _crd(inc, "kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", "v1")
    ks = inc.add({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                  "metadata": {"name": "ledger-api", "namespace": "flux-system", "generation": 12},
                  "spec": {"interval": "5m", "path": "./apps/ledger-api/production", "prune": True, "suspend": False,
                           "sourceRef": {"kind": "GitRepository", "name": "platform"}, "targetNamespace": "payments"},
                  "status": {"lastAppliedRevision": "main@sha1:8c7d6e5f", "inventory": {"entries": [
                      {"id": "payments_ledger-api_apps_Deployment", "v": "v1"}]}}})
    _managed(ks, "kubectl-patch", resumed, {"f:spec": {"f:suspend": {}}})

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 5, lambda i, t: L.js(
            t, "error", "panic: runtime error: invalid memory address or nil pointer dereference", goroutine=1)))
    inc.deployment("payments", "ledger-api", [
        Rev(20, at - timedelta(days=3), "flux kustomize-controller main@sha1:1a2b3c4d",
            [c("ledger-api", f"{REGISTRY}/payments/ledger-api:4.1.0", port=8080)]),
        Rev(21, fix, hand, [c("ledger-api", f"{REGISTRY}/payments/ledger-api:4.1.1", port=8080)]),
        Rev(22, resumed + M, hand,  # Flux sets no change-cause: the hand write's annotation is copied on
            [c("ledger-api", f"{REGISTRY}/payments/ledger-api:4.1.0", port=8080)])],
        {22: [P(state="crashloop", reason="Error", exit_code=2, log=api, crash_from=at - 28 * M)
              for _ in range(2)]})
    inc.ask("ledger-api is crash-looping again, what changed?")
    inc.answer_key(culprit=("Kustomization", "flux-system", "ledger-api"), keywords=["reverted"],
                   root_cause="resumed Kustomization applied git's image over the hotfix", category="gitops-revert",
                   red_herrings=[])
    return inc


def _job(inc: Incident, ns: str, name: str, done: datetime, container: dict[str, Any],
         volumes: list[dict[str, Any]] | None = None) -> None:
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(done - M),
                          "labels": {"app.kubernetes.io/managed-by": "Helm"}},
             "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [container],
                                            **({"volumes": volumes} if volumes else {})}}},
             "status": {"succeeded": 1, "startTime": ts(done - M), "completionTime": ts(done),
                        "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": ts(done)}]}})


def _mysql_job(name: str) -> Incident:
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    inc = Incident(name, title="orders-api errors", story="", at=at, seed=4203, namespaces=("orders", "db-ops"))
    done = at - 45 * M
    _job(inc, "db-ops", "mysql-tune-connections", done, {
        "name": "mysql", "image": "docker.io/library/mysql:8.4.3",
        "command": ["sh", "-c"],
        "args": ["mysql -h orders-mysql.orders.svc -uroot -e 'SET PERSIST max_connections = 60'"],
        "env": [{"name": "MYSQL_PWD", "valueFrom": {"secretKeyRef": {"name": "mysql-root", "key": "password"}}}]})

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t > done + 10 * M and i % 2 == 0:
                return L.js(t, "error", "list orders failed", error="Error 1040: Too many connections")
            return L.js(t, "info", "orders listed", count=20 + i % 7)
        return L.lines(L.ticker(at - 60 * M, end, 10, line))
    inc.deployment("orders", "orders-api", [Rev(5, at - timedelta(days=6), "helm upgrade orders-api", [
        c("orders-api", f"{REGISTRY}/orders/api:2.8.0", port=8080,
          env=[{"name": "MYSQL_HOST", "value": "orders-mysql.orders.svc"}])])], {5: [P(log=api), P(log=api)]})
    inc.ask("Why does orders-api return errors for half an hour?")
    inc.answer_key(culprit=("Job", "db-ops", "mysql-tune-connections"), keywords=["max_connections"],
                   root_cause="a Job lowered max_connections", category="job-setting", red_herrings=[])
    return inc


def _pg_script_job(name: str, sets_timeout: bool) -> Incident:
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    inc = Incident(name, title="report-api failing", story="", at=at, seed=4204, namespaces=("reports", "platform"))
    done = at - timedelta(hours=3)
    script = "ALTER ROLE ledger_ro SET work_mem TO '64MB';\n"
    if sets_timeout:
        script += "ALTER ROLE ledger_ro SET statement_timeout TO '5s';\n"
    inc.configmap("platform", "role-defaults-sql", {"apply.sql": script}, at=done - 5 * M)
    _job(inc, "platform", "role-defaults", done, {
        "name": "psql", "image": "docker.io/library/postgres:16.4", "command": ["psql", "-f", "/sql/apply.sql"],
        "env": [{"name": "PGHOST", "value": "ledger-pg.platform.svc"}],
        "volumeMounts": [{"name": "sql", "mountPath": "/sql"}]},
        [{"name": "sql", "configMap": {"name": "role-defaults-sql"}}])

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t > at - 40 * M and i % 2 == 0:
                return L.spring(t, "ERROR", "c.l.reports.ExportJob", f"export e-{i} failed: org.postgresql.util."
                                "PSQLException: ERROR: canceling statement due to statement timeout")
            return L.spring(t, "INFO", "c.l.reports.ExportJob", f"export e-{i} written")
        return L.lines(L.ticker(at - 60 * M, end, 15, line))
    inc.deployment("reports", "report-api", [Rev(9, at - timedelta(days=9), "helm upgrade report-api", [
        c("report-api", f"{REGISTRY}/reports/api:5.0.2", port=8080,
          env=[{"name": "DB_URL", "value": "jdbc:postgresql://ledger-pg.platform.svc:5432/ledger?user=ledger_ro"}])])],
        {9: [P(log=api)]})
    inc.ask("report-api exports fail since this morning, why?")
    inc.answer_key(culprit=("Job", "platform", "role-defaults"), keywords=["statement_timeout"],
                   root_cause="a Job set the role's statement_timeout", category="job-setting", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _argocd("argocd-selfheal", True), lambda: _argocd("argocd-all-git", False),
                              lambda: _argocd("argocd-selfheal-long-on", True, heal_written=False),
                              lambda: _flux("flux-resumed"), lambda: _mysql_job("mysql-job-args"),
                              lambda: _pg_script_job("pg-job-script", True),
                              lambda: _pg_script_job("pg-job-other-setting", False)),
                             tmp_path_factory.mktemp("h42"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("argocd-selfheal", ("Application argocd/cart-worker-prod reverted", "memory limit 1Gi -> 256Mi", "selfHeal",
                         "OOMKilled returned", "kubectl set resources", "Put the fix in git")),
    ("argocd-selfheal-long-on", ("Application argocd/cart-worker-prod reverted", "memory limit 1Gi -> 256Mi",
                                 "OOMKilled returned", "Put the fix in git")),
    ("flux-resumed", ("Kustomization flux-system/ledger-api reverted", "ledger-api:4.1.1 ->", "spec.suspend",
                      "kubectl set image", "Put the fix in git")),
    ("mysql-job-args", ("Job db-ops/mysql-tune-connections", "SET PERSIST max_connections = 60", "1040")),
    ("pg-job-script", ("Job platform/role-defaults", "ALTER ROLE ledger_ro SET statement_timeout TO '5s'",
                       "ConfigMap platform/role-defaults-sql", "role ledger_ro", "ledger-pg.platform.svc")),
])
def test_the_object_that_made_the_change_heads_the_report(results: dict[str, Any], bundle: str,
                                                          words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert all(w in top for w in words), top


def test_a_history_written_only_by_git_names_no_revert(results: dict[str, Any]) -> None:
    top = _top(results, "argocd-all-git")
    assert "reverted" not in top and "hotfix" not in top, top


def test_a_job_that_set_another_setting_is_not_named(results: dict[str, Any]) -> None:
    top = _top(results, "pg-job-other-setting")
    assert "Job platform/role-defaults" not in top, top


def test_a_secret_setting_is_never_quoted() -> None:
    from agent.triage.facts import Facts, LogEvidence

    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    facts = Facts(at=at)
    facts.logs.append(LogEvidence(pod="cart-7d9f8b6c5d-x2x4z", namespace="shop", evidence_id="E1",
                                  top={"message": "OOM command not allowed when used memory > 'maxmemory'."},
                                  hosts=[], error_classes=set(), previous=False))
    job = {"metadata": {"name": "redis-tune", "namespace": "cache"}, "status": {"completionTime": ts(at - 30 * M)},
           "spec": {"template": {"spec": {"containers": [{"name": "cli", "command": ["sh", "-c", (
               "redis-cli CONFIG SET requirepass hunter2-VIGIL-CANARY; redis-cli CONFIG SET maxmemory 64mb")]}]}}}}
    facts.reads[job_changes.STORE] = [{"job": job, "evidence": ["E2"], "scripts": {}, "logs": ""}]
    [found] = job_changes.found(facts)
    said = str(job_changes.finding(found, at))
    assert found.setting == "maxmemory" and "CONFIG SET maxmemory 64mb" in said
    assert "hunter2" not in said


def test_a_revision_right_after_a_gitops_write_is_the_controllers_without_a_cause() -> None:
    """Argo CD and Flux set no change-cause: the hand write's annotation stays on the Deployment and is copied to
    the controller's ReplicaSet. A revision within minutes of the GitOps object's write counts as its sync;
    the same history with no such write is a person's own undo."""
    hand = "kubectl set resources deployment/w --limits=memory=1Gi"
    history = {"revisions": [
        {**_rev(5, hand, ["w memory limit 256Mi -> 1Gi"]), "created": "2026-11-20T01:00:00Z"},
        {**_rev(6, hand, ["w memory limit 1Gi -> 256Mi"]), "created": "2026-11-20T08:56:00Z"}]}
    synced = [datetime(2026, 11, 20, 8, 55, tzinfo=UTC)]
    assert [r[:3] for r in gitops_revert.reverts(history, synced)] == [("w memory limit", "1Gi", "256Mi")]
    assert gitops_revert.reverts(history, []) == []
    assert gitops_revert.reverts(history, [datetime(2026, 11, 20, 6, 0, tzinfo=UTC)]) == []
