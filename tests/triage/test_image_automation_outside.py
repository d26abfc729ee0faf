"""image_automation against tools and evidence places it was not built from (issue #12: build for the class).

Round 27 gave one shape (a Flux ImagePolicy's filterTags widened, its status naming the dev build it chose). The
class: a tag-selection policy written before an automation rolled the tag it picked. Shapes here: Keel, whose
policy is an annotation on the workload itself (`keel.sh/policy` widened to `all`, then Keel rolls an alpha);
Argo CD Image Updater's `update-strategy: newest-build` annotation (an edge build picked by build date); Argo CD
Image Updater v1's ImageUpdater resource, tied by its spec's `imageName`; a Flux ImagePolicy whose
`policy.semver.range` now admits pre-releases, tied by the newer `status.latestRef`. Twins: an image bump with no
policy write at all (a Renovate PR auto-synced by Argo CD), a Keel annotation written on ANOTHER workload, a Keel
annotation and an image written in the same apply (a person's release), and tag words that only look alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from agent.triage.image_automation import found, tag_meaning
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
REPO = "ghcr.io/acme/ledger"


def _write(kind: str, ns: str, name: str, diff: list[str], at: str = "2026-09-01T11:20:00Z",
           by: str = "kubectl-annotate") -> dict[str, Any]:
    return {"at": at, "type": "other", "related": [], "revision": None,
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by {by}", "diff": diff}


def _rollout(old: str, new: str, name: str = "ledger", at: str = "2026-09-01T11:41:00Z",
             by: str = "keel") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "revision": 12, "related": [],
            "object": {"kind": "Deployment", "namespace": "bank", "name": name},
            "summary": f"Deployment bank/{name} rolled out revision 12 (written by {by}): ledger image {old} -> {new}",
            "diff": [f"ledger image {old} -> {new}"]}


def _facts(changes: list[dict[str, Any]], store: dict[str, Any] | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    if store:
        facts.reads["image_automation"] = store
    return facts


def _top(facts: Facts) -> Any:
    return rank(subject_of(alert(alertname="LedgerErrors", namespace="bank", service="ledger")), facts)[0]


KEEL_WRITE = ["metadata.annotations.keel.sh/policy minor -> all", "metadata.annotations.keel.sh/trigger = 'poll'"]


def test_keel_policy_widened_on_the_workload_then_keel_rolled_an_alpha() -> None:
    facts = _facts([_write("Deployment", "bank", "ledger", KEEL_WRITE),
                    _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-alpha.2")])
    [chosen] = found(facts)
    assert chosen.meaning == "an alpha build"
    top = _top(facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Deployment", "ledger")
    head = top.cause[:400]
    assert "image automation policy (Keel" in head and "an alpha build" in head and "keel.sh/policy" in head


def test_argo_image_updater_newest_build_strategy_picks_an_edge_build() -> None:
    app = _write("Application", "argocd", "bank-ledger", [
        f"metadata.annotations.argocd-image-updater.argoproj.io/image-list = 'ledger={REPO}'",
        "metadata.annotations.argocd-image-updater.argoproj.io/ledger.update-strategy semver -> newest-build"])
    top = _top(_facts([app, _rollout(f"{REPO}:2026.08.28", f"{REPO}:2026.09.01-edge", by="argocd-application-"
                                                                                          "controller")]))
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Application", "bank-ledger")
    assert "an edge build" in top.cause[:400] and "update-strategy" in top.cause


def test_argo_image_updater_v1_image_updater_resource_tied_by_its_spec() -> None:
    write = _write("ImageUpdater", "argocd", "bank-images",
                   ["spec.applicationRefs[0].images[0].commonUpdateSettings.allowTags = 'regexp:^.*$'"],
                   by="argocd-server")
    obj = {"apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater",
           "metadata": {"name": "bank-images", "namespace": "argocd"},
           "spec": {"applicationRefs": [{"namePattern": "bank-*", "images": [
               {"alias": "ledger", "imageName": f"{REPO}:1.x",
                "commonUpdateSettings": {"allowTags": "regexp:^.*$"}}]}]}}
    facts = _facts([write, _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-SNAPSHOT", by="argocd-application-controller")],
                   {"ImageUpdater/argocd/bank-images": (obj, "E7")})
    [chosen] = found(facts)
    assert chosen.policy.kind == "ImageUpdater" and "its spec names" in chosen.said
    assert chosen.meaning == "a snapshot build"


def test_flux_semver_range_admitting_prereleases_tied_by_latest_ref() -> None:
    write = _write("ImagePolicy", "flux-system", "ledger", ["spec.policy.semver.range '>=1.0.0' -> '>=1.0.0-0'"],
                   by="kustomize-controller")
    obj = {"kind": "ImagePolicy", "metadata": {"name": "ledger", "namespace": "flux-system"},
           "spec": {"imageRepositoryRef": {"name": "ledger"}, "policy": {"semver": {"range": ">=1.0.0-0"}}},
           "status": {"latestRef": {"name": REPO, "tag": "1.9.0-beta.1"}}}
    facts = _facts([write, _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-beta.1", by="kustomize-controller")],
                   {"ImagePolicy/flux-system/ledger": (obj, "E7")})
    top = _top(facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ImagePolicy", "ledger")
    assert "a beta build" in top.cause[:400] and "semver" in top.cause


def test_twin_an_image_bump_with_no_policy_write_is_not_automation() -> None:
    renovate = _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-rc.1", by="argocd-application-controller")
    renovate["summary"] += " (sync of commit 'chore(deps): update ghcr.io/acme/ledger to v1.9.0-rc.1' by renovate[bot])"
    assert found(_facts([renovate])) == []


def test_twin_a_keel_annotation_on_another_workload_is_not_this_ones_policy() -> None:
    facts = _facts([_write("Deployment", "bank", "ledger-worker", KEEL_WRITE),
                    _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-alpha.2")])
    assert found(facts) == []


def test_twin_a_keel_annotation_written_with_the_image_is_a_persons_release() -> None:
    facts = _facts([_write("Deployment", "bank", "ledger", KEEL_WRITE, at="2026-09-01T11:41:00Z", by="kubectl"),
                    _rollout(f"{REPO}:1.8.3", f"{REPO}:1.9.0-alpha.2", by="kubectl")])
    assert found(facts) == []


def test_tag_words_that_only_look_alike_mean_nothing() -> None:
    assert tag_meaning("app:1.1.0", "app:1.2.0-qa.1") == "a qa build"
    assert tag_meaning("app:1.1.0", "app:1.2.0-dirty") == "a dirty build"
    assert tag_meaning("app:1.1.0", "app:quality-2") == ""
    assert tag_meaning("app:1.1.0", "app:edgeproxy-1.2") == ""
