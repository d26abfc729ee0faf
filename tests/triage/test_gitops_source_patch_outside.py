"""gitops_source's wide kustomize patch target against shapes it was not built from (issue #12: build for the class).

Round 27 gave one shape: a Flux HelmRelease's `postRenderers` kustomize patch whose target was `kind: Deployment`
alone. The class is a patch in a GitOps object that selects every object of a kind it renders. Shapes here: a Flux
Kustomization (kustomize.toolkit.fluxcd.io/v1) whose patch target names `name: ".*"` (kustomize's selectors are
anchored regexes, so that is every Deployment), followed by kustomize-controller rewriting two Deployments; an
Argo CD multi-source Application whose second source's `kustomize.patches` target is a kind and a namespace only;
a Flux v1beta2 Kustomization's `patchesJson6902` (the older field name). Twins: a regex that picks some names
(`.*-worker`, `^api$`), a label selector, a strategic-merge patch (applies by the name it carries), and a wide
patch written to an object whose controller then wrote nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage.facts import Ref
from agent.triage.gitops_source import found, suspects, wide_patches
from tests.triage.test_gitops_source import AT, change, facts_of

REPLICAS = "- op: replace\n  path: /spec/replicas\n  value: 1\n"
PROBE = "- op: replace\n  path: /spec/template/spec/containers/0/readinessProbe/timeoutSeconds\n  value: 1\n"


def _kustomization(target: dict[str, Any], field: str = "patches") -> dict[str, Any]:
    return {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "payments", "namespace": "flux-system"},
            "spec": {"interval": "5m", "path": "./apps/payments", "prune": True, "targetNamespace": "payments",
                     "sourceRef": {"kind": "GitRepository", "name": "platform"},
                     field: [{"target": target, "patch": PROBE}]}}


def _synced(name: str, minutes: int) -> dict[str, Any]:
    return change("Deployment", "payments", name, AT - timedelta(minutes=minutes),
                  f"Deployment payments/{name} rolled out revision 9 (written by kustomize-controller): readiness "
                  "probe timeoutSeconds 5 -> 1", [f"{name} readinessProbe timeoutSeconds 5 -> 1"], "rollout")


def _write(minutes: int = 25) -> dict[str, Any]:
    return change("Kustomization", "flux-system", "payments", AT - timedelta(minutes=minutes),
                  "Kustomization flux-system/payments written by kubectl-edit (generation 14): spec.patches",
                  ['spec.patches = [{"target": {...}, "patch": "..."}]'])


def test_a_flux_kustomization_patch_whose_target_name_is_match_all_reaches_every_deployment() -> None:
    facts = facts_of([_write(), _synced("payments-api", 23), _synced("payments-worker", 23)],
                     [_kustomization({"kind": "Deployment", "name": ".*"})])
    said = {str(explains[0]): finding["message"] for ref, finding, _, explains in suspects(facts)
            if ref == Ref("Kustomization", "flux-system", "payments")}
    assert set(said) == {"Deployment payments/payments-api", "Deployment payments/payments-worker"}
    head = said["Deployment payments/payments-worker"][:400]
    assert "kustomize patch target is kind Deployment with no name or selector" in head
    assert "applies to every Deployment" in head and "timeoutSeconds" in head


def test_an_argo_multi_source_kustomize_patch_scoped_by_namespace_only_is_wide() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "payments", "namespace": "argocd"},
           "spec": {"destination": {"namespace": "payments"}, "sources": [
               {"repoURL": "https://charts.example.com", "chart": "payments", "targetRevision": "4.2.0"},
               {"repoURL": "https://git.example.com/overlays", "path": "payments/prod", "kustomize": {"patches": [
                   {"target": {"kind": "StatefulSet", "namespace": "payments"}, "patch": REPLICAS}]}}]}}
    assert wide_patches(app).startswith("its kustomize patch target is kind StatefulSet with no name or selector")


def test_a_flux_v1beta2_patches_json6902_target_is_read_too() -> None:
    old = _kustomization({"group": "apps", "version": "v1", "kind": "StatefulSet"}, field="patchesJson6902")
    assert "every StatefulSet it renders" in wide_patches(old)


def test_twin_a_regex_that_picks_some_names_or_a_selector_is_not_wide() -> None:
    assert wide_patches(_kustomization({"kind": "Deployment", "name": ".*-worker"})) == ""
    assert wide_patches(_kustomization({"kind": "Deployment", "name": "^payments-api$"})) == ""
    assert wide_patches(_kustomization({"kind": "Deployment", "annotationSelector": "probe-tuning=fast"})) == ""
    merge = {"kind": "Kustomization", "spec": {"patchesStrategicMerge": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "payments-api"}}]}}
    assert wide_patches(merge) == "", "a strategic-merge patch applies to the object its own metadata names"


def test_twin_a_wide_patch_its_controller_did_not_sync_blames_nothing() -> None:
    person = change("Deployment", "payments", "payments-api", AT - timedelta(minutes=20),
                    "Deployment payments/payments-api written by kubectl-edit: spec.template", ["spec.template"],
                    "rollout")
    facts = facts_of([_write(), person], [_kustomization({"kind": "Deployment", "name": ".*"})])
    assert found(facts) == []
