"""agent.triage.gitops_source: a GitOps object's rendering input written, then its controller rewrote a workload.

Shapes: an Argo CD Application whose `helm.valueFiles` lost the environment's file (its history says which), after
which argocd-controller scaled the Deployment to the chart default; a Flux HelmRelease (in flux-system, deploying
to another namespace by `targetNamespace`) whose chart version was bumped, after which helm-controller rolled the
StatefulSet out. Twins: a person's `kubectl scale` after the write; a write to the sync policy only
(gitops_revert's class); a controller write in a namespace the object does not deploy to; a workload written
before the source; and `read` reading the written object through the hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage.facts import Facts, Ref
from agent.triage.gitops_source import STORE, destination, found, lost, read, suspects
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)

APP: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
    "metadata": {"name": "orders-prod", "namespace": "argocd"},
    "spec": {"source": {"repoURL": "https://git.example.com/apps.git", "path": "charts/orders",
                        "helm": {"valueFiles": ["values.yaml"]}},
             "destination": {"namespace": "shop"}},
    "status": {"history": [
        {"id": 40, "source": {"path": "charts/orders", "helm": {"valueFiles": ["values.yaml", "values-eu.yaml"]}}},
        {"id": 41, "source": {"path": "charts/orders", "helm": {"valueFiles": ["values.yaml"]}}}]}}

RELEASE: dict[str, Any] = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
    "metadata": {"name": "search", "namespace": "flux-system"},
    "spec": {"targetNamespace": "catalog", "chart": {"spec": {"chart": "opensearch", "version": "2.21.0"}}}}


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, ns: str, name: str, at: datetime, summary: str, diff: list[str],
           kind_of: str = "other") -> dict[str, Any]:
    return {"at": iso(at), "type": kind_of, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": summary, "diff": diff}


def app_write(at: datetime, field: str = 'spec.source.helm.valueFiles = ["values.yaml"]') -> dict[str, Any]:
    return change("Application", "argocd", "orders-prod", at,
                  f"Application argocd/orders-prod written by argocd-server (generation 12): {field}", [field])


def scaled(ns: str, at: datetime, manager: str) -> list[dict[str, Any]]:
    """The two lines the timeline gives for one scale: the event, and the managedFields write of the same minute."""
    return [change("Deployment", ns, "orders", at, f"Deployment {ns}/orders: Scaled down replica set orders-5d8 to "
                   "1 from 4", [], "scale"),
            change("Deployment", ns, "orders", at, f"Deployment {ns}/orders written by {manager}: spec.replicas",
                   [f"spec.replicas written by {manager} (now 1)"], "scale")]


def facts_of(changes: list[dict[str, Any]], objects: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.reads[STORE] = [(o, f"O{i}") for i, o in enumerate(objects)]
    return facts


def test_argo_values_file_dropped_then_controller_scaled_blames_the_application() -> None:
    facts = facts_of([app_write(AT - timedelta(minutes=30)), *scaled("shop", AT - timedelta(minutes=29),
                                                                       "argocd-controller")], [APP])
    (ref, finding, evidence, explains), = suspects(facts)
    assert ref == Ref("Application", "argocd", "orders-prod")
    assert explains == [Ref("Deployment", "shop", "orders")]
    head = finding["message"][:400]
    assert "argocd/orders-prod" in head and "valueFiles dropped values-eu.yaml" in head
    assert "defaults" in head and "replicas 4 -> 1" in head
    assert set(evidence) == {"C1", "O0"}


def test_flux_helmrelease_chart_bumped_then_helm_controller_rolled_out_elsewhere() -> None:
    bump = change("HelmRelease", "flux-system", "search", AT - timedelta(minutes=50),
                  "HelmRelease flux-system/search written by kustomize-controller: spec.chart.spec.version",
                  ["spec.chart.spec.version written by kustomize-controller (now '2.21.0')"])
    rollout = change("StatefulSet", "catalog", "search", AT - timedelta(minutes=45),
                     "StatefulSet catalog/search written by helm-controller: spec.template.spec.containers[…].image",
                     ["spec.template.spec.containers[…].image written by helm-controller"], "rollout")
    (ref, finding, _, explains), = suspects(facts_of([bump, rollout], [RELEASE]))
    assert ref == Ref("HelmRelease", "flux-system", "search")
    assert explains == [Ref("StatefulSet", "catalog", "search")]
    assert finding["message"].startswith("Flux HelmRelease flux-system/search changed what it renders 50 min")
    assert "spec.chart.spec.version" in finding["message"] and "rendered from the changed source" in finding["message"]


def test_destination_reads_argo_flux_and_the_objects_own_namespace() -> None:
    assert destination(APP) == "shop" and destination(RELEASE) == "catalog"
    assert destination({"kind": "Kustomization", "metadata": {"namespace": "apps"}, "spec": {}}) == "apps"


def test_lost_says_list_entries_dropped_and_scalars_changed() -> None:
    assert "dropped values-eu.yaml" in lost(APP)
    moved = {"status": {"history": [{"source": {"targetRevision": "v1.4"}}, {"source": {"targetRevision": "main"}}]}}
    assert lost(moved) == 'targetRevision "v1.4" -> "main"'
    assert lost({"status": {"history": [{"source": {}}]}}) == ""


def test_twin_a_person_scaled_after_the_write_is_not_the_sync() -> None:
    facts = facts_of([app_write(AT - timedelta(minutes=30)), *scaled("shop", AT - timedelta(minutes=25),
                                                                       "kubectl-scale")], [APP])
    assert found(facts) == []


def test_twin_a_sync_policy_write_is_not_a_rendering_change() -> None:
    policy = app_write(AT - timedelta(minutes=30), "spec.syncPolicy.automated.selfHeal = true")
    facts = facts_of([policy, *scaled("shop", AT - timedelta(minutes=29), "argocd-controller")], [APP])
    assert found(facts) == []


def test_twin_a_controller_write_outside_the_destination_is_not_this_sources() -> None:
    facts = facts_of([app_write(AT - timedelta(minutes=30)), *scaled("billing", AT - timedelta(minutes=29),
                                                                       "argocd-controller")], [APP])
    assert found(facts) == []


def test_twin_a_workload_written_before_the_source_or_long_after_is_not_its_sync() -> None:
    before = facts_of([app_write(AT - timedelta(minutes=30)), *scaled("shop", AT - timedelta(minutes=35),
                                                                        "argocd-controller")], [APP])
    after = facts_of([app_write(AT - timedelta(minutes=90)), *scaled("shop", AT - timedelta(minutes=20),
                                                                       "argocd-controller")], [APP])
    assert found(before) == [] and found(after) == []


def test_twin_no_object_read_makes_no_claim() -> None:
    facts = facts_of([app_write(AT - timedelta(minutes=30)), *scaled("shop", AT - timedelta(minutes=29),
                                                                       "argocd-controller")], [])
    assert found(facts) == []


def test_read_gets_the_written_gitops_object_through_the_hub() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        calls.append((tool, args))
        return outcome(True, full_text=yaml.safe_dump(APP), evidence_id="E7")

    facts = facts_of([app_write(AT - timedelta(minutes=30))], [])
    del facts.reads[STORE]
    asyncio.run(read(Subject(), facts, call, iso(AT)))
    assert calls == [("k8s_get", {"kind": "Application", "name": "orders-prod", "namespace": "argocd",
                                  "output": "yaml"})]
    assert facts.reads[STORE] == [(APP, "E7")]
