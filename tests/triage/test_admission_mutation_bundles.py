"""A Gatekeeper mutator that forces runAsNonRoot on every pod, end to end: bundles of our own, investigated blind and
scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. A shape unlike the round's Kyverno image
rewrite: a Gatekeeper `Assign` (mutations.gatekeeper.sh, cluster-scoped) applied 2 h before sets the pod-level
`securityContext.runAsNonRoot: true`; pdf-render's rollout 30 min ago admits pods that carry it (the pod's
`gatekeeper.sh/mutations` annotation names the mutator) and the kubelet refuses them: `container has runAsNonRoot
and image will run as root`. The rollout itself (a new image tag) is the red herring. The twin: the same mutator
applied three months ago (the mutation is not new: the image is), which must not be named.
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
AT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
REFUSED = "container has runAsNonRoot and image will run as root (pod: \"pdf-render-x\", container: pdf-render)"


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(max(start, end - timedelta(hours=2)), end, 300,
                            lambda i, t: L.logfmt(t, "info", "rendered", pages=1 + i % 9)))


def _crd(inc: Incident) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "assign.mutations.gatekeeper.sh"},
             "spec": {"group": "mutations.gatekeeper.sh", "scope": "Cluster",
                      "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
                      "names": {"kind": "Assign", "plural": "assign", "singular": "assign", "listKind": "AssignList"}},
             "status": {"acceptedNames": {"kind": "Assign", "plural": "assign"},
                        "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})


def _incident(name: str, seed: int, mutator_age: timedelta, culprit: bool) -> Incident:
    applied, rolled = AT - mutator_age, AT - 30 * M
    inc = Incident(name, title="pdf-render rollout stuck", story="a mutator forcing runAsNonRoot", at=AT, seed=seed,
                   namespaces=("docs",))
    _crd(inc)
    inc.add({"apiVersion": "mutations.gatekeeper.sh/v1", "kind": "Assign",
             "metadata": {"name": "default-run-as-non-root", "generation": 1, "creationTimestamp": ts(applied),
                          "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                             "apiVersion": "mutations.gatekeeper.sh/v1", "time": ts(applied),
                                             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
             "spec": {"applyTo": [{"groups": [""], "kinds": ["Pod"], "versions": ["v1"]}],
                      "match": {"scope": "Namespaced", "kinds": [{"apiGroups": ["*"], "kinds": ["Pod"]}]},
                      "location": "spec.securityContext.runAsNonRoot",
                      "parameters": {"assign": {"value": True}}}})
    revs = [Rev(11, AT - timedelta(days=14), "deploy 4.2.0", [c("pdf-render", f"{REGISTRY}/docs/pdf-render:4.2.0")]),
            Rev(12, rolled, "deploy 4.3.0", [c("pdf-render", f"{REGISTRY}/docs/pdf-render:4.3.0")])]
    wl = inc.deployment("docs", "pdf-render", revs, {
        11: [P(log=_quiet), P(log=_quiet)],
        12: [P(state="waiting", waiting_reason="CreateContainerConfigError", message=REFUSED, created=rolled + M)]},
        progress="progressing", replicas=2, max_surge="1", max_unavailable="0")

    def mutated(pod: dict[str, Any]) -> None:
        pod["spec"].setdefault("securityContext", {})["runAsNonRoot"] = True
        pod["metadata"].setdefault("annotations", {})["gatekeeper.sh/mutations"] = "Assign//default-run-as-non-root:1"

    inc.cluster.patch("docs", wl.pods[-1].name, mutated)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "docs", "deployment": "pdf-render"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment docs/pdf-render is not progressing for longer than 15 minutes.",
                     "kube_deployment_status_condition{condition=\"Progressing\", status=\"false\"} != 0",
                     severity="warning", starts=AT - 10 * M)
    if culprit:
        inc.answer_key(culprit=("Assign", "", "default-run-as-non-root"),
                       keywords=["runAsNonRoot", "admission", "securityContext"],
                       root_cause="a Gatekeeper Assign applied 2 h before forces runAsNonRoot on every pod.",
                       category="mutating-policy-forces-run-as-non-root",
                       red_herrings=[("Deployment", "docs", "pdf-render")])
    else:
        inc.answer_key(culprit=("Deployment", "docs", "pdf-render"), keywords=["runAsNonRoot"],
                       root_cause="the new image runs as root; the mutator is months old.", category="unexplained",
                       red_herrings=[("Assign", "", "default-run-as-non-root")])
    return inc


def fresh_mutator() -> Incident:
    """The Assign was applied 2 h before the rollout's pods were admitted."""
    return _incident("pdf-render-assign-fresh", 5101, timedelta(hours=2), True)


def old_mutator() -> Incident:
    """The twin: the Assign is three months old."""
    return _incident("pdf-render-assign-old", 5102, timedelta(days=90), False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((fresh_mutator, old_mutator), tmp_path_factory.mktemp("admission-mutation"))


def test_the_fresh_mutator_is_named(results: dict[str, object]) -> None:
    row = results["pdf-render-assign-fresh"]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert top.startswith("Assign default-run-as-non-root (Gatekeeper mutator) rewrites Deployment "
                          "docs/pdf-render"), top
    assert "container has runAsNonRoot and image will run as root" in top[:400], top


def test_a_mutator_three_months_old_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["pdf-render-assign-old"], "top", "") or "")
    assert not top.startswith("Assign default-run-as-non-root"), top
