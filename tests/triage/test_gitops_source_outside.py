"""gitops_source against GitOps software it was not built from (issue #12: build for the class).

Shapes: a Carvel kapp-controller App whose `spec.fetch` git ref was moved to another branch, after which kapp (its
deploy step) rewrote a Deployment in the namespace its `deploy[].kapp.intoNs` names; a kapp-controller
PackageInstall whose `spec.packageRef` version constraint was bumped, followed by kapp's rollout in its own
namespace. Twins: the App's write followed by a person's `kubectl scale` (their own act), and by kapp's write in
a namespace the App does not deploy to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage.facts import Ref
from agent.triage.gitops_source import destination, found, suspects
from tests.triage.test_gitops_source import AT, change, facts_of, scaled

KAPP_APP: dict[str, Any] = {
    "apiVersion": "kappctrl.k14s.io/v1alpha1", "kind": "App", "metadata": {"name": "orders", "namespace": "carvel"},
    "spec": {"serviceAccountName": "orders-deployer",
             "fetch": [{"git": {"url": "https://git.example.com/orders-config", "ref": "origin/staging"}}],
             "template": [{"ytt": {}}], "deploy": [{"kapp": {"intoNs": "orders-prod"}}]}}
PACKAGE: dict[str, Any] = {
    "apiVersion": "packaging.carvel.dev/v1alpha1", "kind": "PackageInstall",
    "metadata": {"name": "ledger", "namespace": "ledger"},
    "spec": {"packageRef": {"refName": "ledger.corp.example.com", "versionSelection": {"constraints": "2.0.0"}}}}


def _app_write() -> dict[str, Any]:
    field = "spec.fetch[0].git.ref = origin/staging"
    return change("App", "carvel", "orders", AT - timedelta(minutes=40),
                  f"App carvel/orders written by kubectl-edit (generation 7): {field}", [field])


def test_kapp_controller_app_fetching_another_branch_then_kapp_scaled_blames_the_app() -> None:
    assert destination(KAPP_APP) == "orders-prod"
    facts = facts_of([_app_write(), *scaled("orders-prod", AT - timedelta(minutes=37), "kapp")], [KAPP_APP])
    [(ref, finding, _, explains)] = suspects(facts)
    assert ref == Ref("App", "carvel", "orders") and explains == [Ref("Deployment", "orders-prod", "orders")]
    assert finding["message"].startswith("kapp-controller App carvel/orders changed what it renders 40 min")
    assert "spec.fetch[0].git.ref" in finding["message"] and "replicas 4 -> 1" in finding["message"]


def test_package_install_version_bump_then_kapp_rollout_blames_the_package_install() -> None:
    bump = change("PackageInstall", "ledger", "ledger", AT - timedelta(minutes=30),
                  "PackageInstall ledger/ledger written by tanzu-cli: spec.packageRef.versionSelection.constraints",
                  ["spec.packageRef.versionSelection.constraints 1.4.2 -> 2.0.0"])
    rollout = change("Deployment", "ledger", "ledger-api", AT - timedelta(minutes=28),
                     "Deployment ledger/ledger-api written by kapp: spec.template.spec.containers[…].image",
                     ["spec.template.spec.containers[…].image written by kapp"], "rollout")
    [(ref, _, _, explains)] = suspects(facts_of([bump, rollout], [PACKAGE]))
    assert ref == Ref("PackageInstall", "ledger", "ledger")
    assert explains == [Ref("Deployment", "ledger", "ledger-api")]


def test_twin_a_person_scaling_after_the_app_write_is_not_its_sync() -> None:
    facts = facts_of([_app_write(), *scaled("orders-prod", AT - timedelta(minutes=37), "kubectl-scale")],
                     [KAPP_APP])
    assert found(facts) == []


def test_twin_kapp_writing_outside_the_apps_destination_is_not_its_sync() -> None:
    facts = facts_of([_app_write(), *scaled("orders-staging", AT - timedelta(minutes=37), "kapp")], [KAPP_APP])
    assert found(facts) == []
