"""Locating, editing and validating against the demo GitOps repository (real files, real kubectl render)."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.gitops.edits import ChangeSet, NoChangeNeeded, plan_change
from agent.gitops.locate import LocateError, RepoIndex, locate
from agent.gitops.remediation import Remediation, Workload
from agent.gitops.validate import ValidationFailed, validate_change
from tests.gitops.conftest import DEMO_REPO

CHECKOUT = {"name": "checkout", "namespace": "shop"}
PAYMENTS = {"name": "payments", "namespace": "payments"}
CATALOG = {"name": "catalog", "namespace": "shop"}
FRONTEND = {"name": "frontend", "namespace": "web"}

# remediation -> {path: (removed lines, added lines)}
OLD_MEM = "              memory: 512Mi   # raised from 384Mi in INC-1042"
OLD_TAG = '    newTag: "1.9.0"   # release train 47'
TIMEOUT = '              value: "5s"   # CHG-2291: align with the gateway\'s own timeout'
CURRENCY = "      - CURRENCY_PROVIDER=ecb   # INC-977: frankfurter was retired"
CASES: list[tuple[dict[str, Any], dict[str, tuple[list[str], list[str]]] | None]] = [
    ({"action": "set_memory_limit", "workload": CHECKOUT, "value": "768Mi"},
     {"apps/checkout/overlays/prod/resources.yaml": ([OLD_MEM], [OLD_MEM.replace("512Mi", "768Mi")])}),
    ({"action": "rollback_image", "workload": CHECKOUT, "image": "1.8.2", "from_revision": 3},
     {"apps/checkout/overlays/prod/kustomization.yaml": ([OLD_TAG], [OLD_TAG.replace("1.9.0", "1.8.2")])}),
    ({"action": "rollback_image", "workload": CATALOG, "image": "registry.example.com/shop/catalog:2.4.0"},
     {"apps/catalog/overlays/prod/kustomization.yaml": (["  newTag: v2.4.1  # release train 19"],
                                                        ["  newTag: 2.4.0   # release train 19"])}),
    ({"action": "set_replicas", "workload": CATALOG, "value": 6},
     {"apps/catalog/overlays/prod/kustomization.yaml": (["  count: 3"], ["  count: 6"])}),
    ({"action": "set_hpa_bounds", "workload": CHECKOUT, "max_replicas": 20},
     {"apps/checkout/overlays/prod/hpa.yaml": (["  maxReplicas: 12"], ["  maxReplicas: 20"])}),
    ({"action": "set_env", "workload": PAYMENTS, "name": "GATEWAY_URL", "value": "https://gateway.example.com/v2"},
     {"apps/payments/overlays/prod/env.yaml": (['              value: "https://gateway.example.com/v3"'],
                                               ['              value: "https://gateway.example.com/v2"'])}),
    ({"action": "set_env", "workload": PAYMENTS, "name": "GATEWAY_TIMEOUT", "value": "5"},
     {"apps/payments/overlays/prod/env.yaml": ([TIMEOUT], [TIMEOUT.replace('"5s" ', '"5"  ')])}),
    ({"action": "set_configmap_value", "workload": PAYMENTS, "configmap": "payments-config",
      "key": "RETRY_BUDGET", "value": "10"},
     {"apps/payments/overlays/prod/kustomization.yaml": ([], ["      - RETRY_BUDGET=10"])}),
    ({"action": "set_configmap_value", "workload": PAYMENTS, "configmap": "payments-config",
      "key": "CURRENCY_PROVIDER", "value": "boe"},
     {"apps/payments/overlays/prod/kustomization.yaml": ([CURRENCY], [CURRENCY.replace("ecb", "boe")])}),
    ({"action": "set_env", "workload": FRONTEND, "name": "UPSTREAM_TIMEOUT_MS", "value": "2000"},
     {"charts/frontend/values-prod.yaml": (['  UPSTREAM_TIMEOUT_MS: "800"'], ['  UPSTREAM_TIMEOUT_MS: "2000"'])}),
    ({"action": "set_image", "workload": FRONTEND, "image": "5.11.4"},
     {"charts/frontend/values-prod.yaml": (['  tag: "5.7.3"'], ['  tag: "5.11.4"'])}),
    ({"action": "set_hpa_bounds", "workload": FRONTEND, "min_replicas": 6, "max_replicas": 20},
     {"charts/frontend/values-prod.yaml": (["  minReplicas: 3", "  maxReplicas: 10"],
                                           ["  minReplicas: 6", "  maxReplicas: 20"])}),
    ({"action": "set_resources", "workload": PAYMENTS, "limits": {"memory": "1Gi"}},
     None),  # creates an overlay patch: checked in its own test
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO_REPO, tmp_path / "repo")
    return tmp_path / "repo"


def _apply(repo: Path, data: dict) -> tuple[Remediation, ChangeSet]:
    r = Remediation.model_validate(data)
    index = RepoIndex(repo)
    change = plan_change(index, locate(index, r.workload, "prod"), r)
    for file in change.changes:
        (repo / file.path).write_text(file.after)
    return r, change


@pytest.mark.parametrize(("data", "expected"), CASES,
                         ids=[f"{c[0]['action']}-{c[0]['workload']['name']}" for c in CASES])
def test_edit_is_minimal_and_valid(repo: Path, data: dict, expected: dict | None) -> None:
    r, change = _apply(repo, data)
    validate_change(repo, change, r)  # renders kustomize overlays with real kubectl
    if expected is None:
        return
    assert {c.path for c in change.changes} == set(expected)
    for c in change.changes:
        before, after = (c.before or "").splitlines(), c.after.splitlines()
        removed = [ln[1:] for ln in difflib.ndiff(before, after) if ln.startswith("- ")]
        added = [ln[1:] for ln in difflib.ndiff(before, after) if ln.startswith("+ ")]
        assert ([x[1:] for x in removed], [x[1:] for x in added]) == expected[c.path]


def test_new_overlay_patch_is_created_and_registered(repo: Path) -> None:
    r, change = _apply(repo, {"action": "set_probe", "workload": CATALOG, "probe": "readiness",
                              "settings": {"timeoutSeconds": 3}})
    validate_change(repo, change, r)
    paths = {c.path for c in change.changes}
    assert paths == {"apps/catalog/overlays/prod/kustomization.yaml",
                     "apps/catalog/overlays/prod/catalog-deployment-patch.yaml"}
    kust = (repo / "apps/catalog/overlays/prod/kustomization.yaml").read_text()
    assert kust.endswith("patches:\n- path: catalog-deployment-patch.yaml\n")
    assert any("created patch" in n for n in change.notes)


def test_locates_each_layout() -> None:
    index = RepoIndex(DEMO_REPO)
    assert locate(index, Workload(**CHECKOUT), "prod").overlay_dir == "apps/checkout/overlays/prod"
    assert locate(index, Workload(name="checkout", namespace="shop-staging"), "staging").overlay_dir == \
        "apps/checkout/overlays/staging"
    helm = locate(index, Workload(**FRONTEND), "prod")
    assert (helm.layout, helm.values_file) == ("helm", "charts/frontend/values-prod.yaml")


def test_locate_error_lists_what_exists() -> None:
    with pytest.raises(LocateError, match=r"no file .* defines Deployment web/checkout.*Known Deployments"):
        locate(RepoIndex(DEMO_REPO), Workload(name="checkout", namespace="web"), "prod")


def test_plain_manifest_layout(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    text = (DEMO_REPO / "apps/catalog/base/deployment.yaml").read_text().replace(
        "  name: catalog\n", "  name: catalog\n  namespace: shop\n", 1)
    (tmp_path / "deploy/catalog.yaml").write_text(text)
    r, change = _apply(tmp_path, {"action": "set_memory_limit", "workload": CATALOG, "value": "200Mi"})
    validate_change(tmp_path, change, r)
    assert change.location.layout == "manifest"
    assert "limits: {memory: 200Mi}" in (tmp_path / "deploy/catalog.yaml").read_text()


def test_limit_below_request_is_refused(repo: Path) -> None:
    r, change = _apply(repo, {"action": "set_memory_limit", "workload": CATALOG, "value": "64Mi"})
    with pytest.raises(ValidationFailed, match=r"requests\.memory 128Mi is above limits\.memory 64Mi"):
        validate_change(repo, change, r)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize renders the overlay)")
def test_overridden_edit_is_caught_by_rendering(repo: Path) -> None:
    # A later overlay patch that pins the value makes the edit ineffective: validation must say so.
    r, change = _apply(repo, {"action": "set_env", "workload": CHECKOUT, "name": "CART_CACHE_SIZE", "value": "100"})
    (repo / "apps/checkout/overlays/prod/zz.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: checkout\n          env:\n            - name: CART_CACHE_SIZE\n"
        "              value: \"9\"\n")
    kust = repo / "apps/checkout/overlays/prod/kustomization.yaml"
    kust.write_text(kust.read_text() + "  - path: zz.yaml\n")
    with pytest.raises(ValidationFailed, match="does not take effect"):
        validate_change(repo, change, r)


def test_same_value_needs_no_change(repo: Path) -> None:
    with pytest.raises(NoChangeNeeded):
        _apply(repo, {"action": "set_replicas", "workload": CATALOG, "value": 3})


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "set_memory_limit", "workload": CHECKOUT}, "needs `value`"),
    ({"action": "set_memory_limit", "workload": CHECKOUT, "value": "lots"}, "not a Kubernetes quantity"),
    ({"action": "set_hpa_bounds", "workload": CHECKOUT, "min_replicas": 5, "max_replicas": 2}, "must not exceed"),
    ({"action": "set_probe", "workload": CHECKOUT, "probe": "readiness", "settings": {"bogus": 1}},
     "not a probe setting"),
    ({"action": "drop_table", "workload": CHECKOUT}, "action"),
])
def test_bad_remediations_name_the_field(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Remediation.model_validate(data)


def test_image_to_another_repository_and_to_a_digest(repo: Path) -> None:
    r, change = _apply(repo, {"action": "set_image", "workload": CATALOG,
                              "image": "mirror.example.com/shop/catalog:2.4.0"})
    validate_change(repo, change, r)  # the rendered image must be exactly the new one
    kust = (repo / "apps/catalog/overlays/prod/kustomization.yaml").read_text()
    assert "  newName: mirror.example.com/shop/catalog\n" in kust and "newTag: 2.4.0" in kust
    digest = "sha256:" + "ab" * 32
    r, change = _apply(repo, {"action": "set_image", "workload": CATALOG,
                              "image": f"mirror.example.com/shop/catalog@{digest}"})
    validate_change(repo, change, r)
    kust = (repo / "apps/catalog/overlays/prod/kustomization.yaml").read_text()
    assert f"digest: {digest}" in kust and "newTag" not in kust


def test_plain_manifest_image_tag_keeps_repository(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    text = (DEMO_REPO / "apps/catalog/base/deployment.yaml").read_text().replace(
        "  name: catalog\n", "  name: catalog\n  namespace: shop\n", 1)
    (tmp_path / "deploy/catalog.yaml").write_text(text)
    r, change = _apply(tmp_path, {"action": "rollback_image", "workload": CATALOG, "image": "2.3.9",
                                  "from_revision": 10})
    validate_change(tmp_path, change, r)
    assert "image: registry.example.com/shop/catalog:2.3.9\n" in (tmp_path / "deploy/catalog.yaml").read_text()


def test_deployer_objects_decide_where_a_fix_goes(repo: Path) -> None:
    """Overlays named `production-eu` instead of the environment: the Argo CD Application (or a Flux
    Kustomization) that syncs the directory names it."""
    (repo / "apps/checkout/overlays/prod").rename(repo / "apps/checkout/overlays/production-eu")
    app = repo / "clusters/prod/checkout.yaml"
    app.write_text(app.read_text().replace("apps/checkout/overlays/prod", "apps/checkout/overlays/production-eu"))
    assert locate(RepoIndex(repo), Workload(**CHECKOUT), "prod").overlay_dir == "apps/checkout/overlays/production-eu"
    app.unlink()
    (repo / "clusters/prod/flux.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: checkout\n"
        "spec:\n  path: ./apps/checkout/overlays/production-eu\n  targetNamespace: shop\n  interval: 5m\n"
        "  sourceRef: {kind: GitRepository, name: gitops}\n")
    r, change = _apply(repo, {"action": "set_memory_limit", "workload": CHECKOUT, "value": "768Mi"})
    validate_change(repo, change, r)
    assert change.paths == ["apps/checkout/overlays/production-eu/resources.yaml"]


def test_argo_helm_application_names_the_values_file(repo: Path) -> None:
    (repo / "charts/frontend/values-prod.yaml").rename(repo / "charts/frontend/values-eu-prod.yaml")
    app = repo / "clusters/prod/frontend.yaml"
    app.write_text(app.read_text().replace("- values-prod.yaml", "- values-eu-prod.yaml"))
    assert locate(RepoIndex(repo), Workload(**FRONTEND), "prod").values_file == "charts/frontend/values-eu-prod.yaml"


def test_a_deployer_for_another_environment_does_not_win(repo: Path) -> None:
    """staging runs in the same namespace here; the prod Application must not send a staging fix to prod."""
    kust = repo / "apps/checkout/overlays/staging/kustomization.yaml"
    kust.write_text(kust.read_text().replace("namespace: shop-staging", "namespace: shop"))
    assert locate(RepoIndex(repo), Workload(**CHECKOUT), "staging").overlay_dir == "apps/checkout/overlays/staging"
    assert locate(RepoIndex(repo), Workload(**CHECKOUT), "prod").overlay_dir == "apps/checkout/overlays/prod"
