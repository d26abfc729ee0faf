"""An image written by image automation: the policy written before it that chose the tag is the culprit.

Facts as the survey hands them over: the change timeline's writes (a Flux ImagePolicy's `filterTags` written
by kustomize-controller; an Argo CD Application whose Image Updater annotations were edited) and the rollout
the automation made a few minutes later; the ImagePolicy object as `k8s_get` returns it (its status names the
image it chose). Twins: a policy write whose choice is another image, and a policy written after the rollout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from agent.triage.image_automation import found, tag_meaning
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
REPO = "registry.example.com/shop/basket"


def _rollout(old: str, new: str, at: str = "2026-09-01T11:40:00Z") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "revision": 31, "related": [],
            "object": {"kind": "Deployment", "namespace": "shop", "name": "basket"},
            "summary": f"Deployment shop/basket rolled out revision 31: basket image {old} -> {new}",
            "diff": [f"basket image {old} -> {new}"]}


def _flux(at: str = "2026-09-01T11:33:00Z") -> dict[str, Any]:
    return {"at": at, "type": "other", "related": [], "revision": None,
            "object": {"kind": "ImagePolicy", "namespace": "flux-system", "name": "basket-tags"},
            "summary": "ImagePolicy flux-system/basket-tags written by kustomize-controller (generation 3): "
                       "spec.filterTags.pattern = '^(?P<v>.*)$'", "diff": ["spec.filterTags.pattern = '^(?P<v>.*)$'"]}


def _facts(changes: list[dict[str, Any]], latest: str | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    if latest is not None:
        policy = {"kind": "ImagePolicy", "metadata": {"name": "basket-tags", "namespace": "flux-system"},
                  "spec": {"filterTags": {"pattern": "^(?P<v>.*)$"}}, "status": {"latestImage": latest}}
        facts.reads["image_automation"] = {"ImagePolicy/flux-system/basket-tags": (policy, "E9")}
    return facts


def _top(facts: Facts) -> Any:
    return rank(subject_of(alert(alertname="BasketErrors", namespace="shop", service="basket")), facts)[0]


def test_a_flux_image_policy_that_chose_a_dev_build_is_the_culprit() -> None:
    old, new = f"{REPO}:prod-1a2b3c4-1700000000", f"{REPO}:dev-9f8e7d6-1700009000"
    top = _top(_facts([_rollout(old, new), _flux()], latest=new))
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ImagePolicy", "basket-tags")
    assert "image automation" in top.cause and "a dev build" in top.cause[:400] and "filterTags" in top.cause


def test_argo_image_updater_annotations_that_allow_release_candidates() -> None:
    app = {"at": "2026-09-01T11:20:00Z", "type": "other", "related": [], "revision": None,
           "object": {"kind": "Application", "namespace": "argocd", "name": "shop-basket"},
           "summary": "Application argocd/shop-basket written by kubectl-edit",
           "diff": ["metadata.annotations.argocd-image-updater.argoproj.io/image-list = 'basket=" + REPO + "'",
                    "metadata.annotations.argocd-image-updater.argoproj.io/basket.allow-tags = 'regexp:^.*$'"]}
    top = _top(_facts([_rollout(f"{REPO}:1.4.2", f"{REPO}:1.5.0-rc.1"), app]))
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Application", "shop-basket")
    assert "release-candidate (rc) build" in top.cause


def test_an_allow_tags_write_tied_by_the_applications_image_list() -> None:
    app = {"at": "2026-09-01T11:20:00Z", "type": "other", "related": [], "revision": None,
           "object": {"kind": "Application", "namespace": "argocd", "name": "shop-basket"},
           "summary": "Application argocd/shop-basket written by kubectl-edit",
           "diff": ["metadata.annotations.argocd-image-updater.argoproj.io/b.allow-tags = 'regexp:^.*$'"]}
    facts = _facts([_rollout(f"{REPO}:1.4.2", f"{REPO}:1.5.0-SNAPSHOT"), app])
    assert not found(facts), "nothing ties the write to the image yet"
    obj = {"kind": "Application", "metadata": {"name": "shop-basket", "namespace": "argocd", "annotations": {
        "argocd-image-updater.argoproj.io/image-list": f"b={REPO}"}}}
    facts.reads["image_automation"] = {"Application/argocd/shop-basket": (obj, "E8")}
    [chosen] = found(facts)
    assert chosen.policy.name == "shop-basket" and chosen.meaning == "a snapshot build"


def test_a_policy_whose_choice_is_another_image_is_not_blamed() -> None:
    old, new = f"{REPO}:prod-1a2b3c4-1700000000", f"{REPO}:prod-5d6e7f8-1700009000"
    assert not found(_facts([_rollout(old, new), _flux()], latest="registry.example.com/shop/other:dev-1"))


def test_a_policy_written_after_the_rollout_is_not_blamed() -> None:
    old, new = f"{REPO}:prod-1a2b3c4-1700000000", f"{REPO}:dev-9f8e7d6-1700009000"
    assert not found(_facts([_rollout(old, new), _flux(at="2026-09-01T11:50:00Z")], latest=new))


def test_tag_meaning_reads_only_a_new_unmeant_marker() -> None:
    assert tag_meaning("app:prod-1", "app:dev-2") == "a dev build"
    assert tag_meaning("app:1.2.0", "app:1.3.0-SNAPSHOT") == "a snapshot build"
    assert tag_meaning("app:1.2.0-beta.1", "app:1.3.0-beta.2") == ""
    assert tag_meaning("app:1.2.0", "app:1.3.0") == ""
    assert tag_meaning("app:v1.2.0", "app:devops-tools-1") == ""
