"""agent.triage.gitops_source: a GitOps object's patch whose target matches every object of a kind.

Shapes: a Flux HelmRelease gains a `postRenderers` kustomize patch (a memory limit) whose target is kind
Deployment only, after which helm-controller rewrote two Deployments; an Argo CD Application's
`source.kustomize.patches` with a kind-only target; a Flux Kustomization's `patches`. Twins: the same patch
with a name or a label selector in its target says nothing about a wide target.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage.facts import Ref
from agent.triage.gitops_source import suspects, wide_patches
from tests.triage.test_gitops_source import AT, change, facts_of

LIMIT = "- op: add\n  path: /spec/template/spec/containers/0/resources/limits/memory\n  value: 256Mi\n"


def _release(target: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "docs-stack", "namespace": "docs"},
            "spec": {"chart": {"spec": {"chart": "docs-stack", "version": "1.2.0"}},
                     "postRenderers": [{"kustomize": {"patches": [{"target": target, "patch": LIMIT}]}}]}}


def _rollout(name: str, at: Any) -> dict[str, Any]:
    return change("Deployment", "docs", name, at, f"Deployment docs/{name} rolled out revision 4: {name} memory "
                  "limit 2Gi -> 256Mi (change-cause: helm-controller upgrade)", [f"{name} memory limit 2Gi -> 256Mi"],
                  "rollout")


def test_a_helmrelease_postrenderer_patch_targeting_every_deployment_is_said_first() -> None:
    write = change("HelmRelease", "docs", "docs-stack", AT - timedelta(minutes=30),
                   "HelmRelease docs/docs-stack written by kustomize-controller (generation 6): spec.postRenderers = "
                   "[...]", ["spec.postRenderers = [{\"kustomize\": {\"patches\": [...]}}]"])
    facts = facts_of([write, _rollout("docs-api", AT - timedelta(minutes=29)),
                      _rollout("docs-exporter", AT - timedelta(minutes=29))], [_release({"kind": "Deployment"})])
    found = {str(explains[0]): finding["message"] for _, finding, _, explains in suspects(facts)}
    assert set(found) == {"Deployment docs/docs-api", "Deployment docs/docs-exporter"}
    head = found["Deployment docs/docs-api"][:400]
    assert "postRenderers kustomize patch target is kind Deployment with no name or selector" in head
    assert "applies to every Deployment" in head and "256Mi" in head


def test_argo_and_flux_kustomize_patches_are_read_too() -> None:
    app = {"kind": "Application", "spec": {"source": {"kustomize": {"patches": [
        {"target": {"kind": "StatefulSet", "group": "apps"}, "patch": "- op: replace\n  path: /spec/replicas\n"}]}}}}
    kustomization = {"kind": "Kustomization", "spec": {"patches": [{"target": {"kind": "Deployment"},
                                                                    "patch": LIMIT}]}}
    assert "patch target is kind StatefulSet with no name or selector" in wide_patches(app)
    assert wide_patches(kustomization).startswith("its kustomize patch target is kind Deployment")


def test_twin_a_named_or_selected_target_is_not_wide() -> None:
    assert wide_patches(_release({"kind": "Deployment", "name": "docs-exporter"})) == ""
    assert wide_patches(_release({"kind": "Deployment", "labelSelector": "app=docs-exporter"})) == ""
    assert wide_patches({"kind": "HelmRelease", "spec": {"values": {"replicas": 2}}}) == ""


def test_twin_a_named_target_keeps_the_plain_source_message() -> None:
    write = change("HelmRelease", "docs", "docs-stack", AT - timedelta(minutes=30),
                   "HelmRelease docs/docs-stack written by kustomize-controller: spec.postRenderers = [...]",
                   ["spec.postRenderers = [...]"])
    facts = facts_of([write, _rollout("docs-exporter", AT - timedelta(minutes=29))],
                     [_release({"kind": "Deployment", "name": "docs-exporter"})])
    (ref, finding, _, _), = suspects(facts)
    assert ref == Ref("HelmRelease", "docs", "docs-stack") and "no name or selector" not in finding["message"]
