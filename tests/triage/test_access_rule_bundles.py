"""A Role narrowed before its account's 403s, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server, investigated in
runbook-only mode as `vigil eval` does. report-worker's leader election reads its lock ConfigMap through Role
report-worker; a Helm upgrade rewrites the Role 40 minutes before the alert, and from then on client-go prints the
API server's 403 (`cannot get resource "configmaps"`); a rollout of another workload in the namespace after the
write is a red herring. The twin: the same write widened the Role (get is still granted) and the 403s come from
elsewhere: the Role is not named.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
AT = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
WRITE = AT - 40 * M


def _worker(since: datetime) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, since), end, 30, lambda i, t: L.klog(
            t, "E", "leaderelection.go:332", 'error retrieving resource lock reports/report-worker: configmaps '
            '"report-worker" is forbidden: User "system:serviceaccount:reports:report-worker" cannot get resource '
            '"configmaps" in API group "" in the namespace "reports"')))
    return log


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 300, lambda i, t: L.logfmt(t, "info", "request served", status=200)))


def _incident(name: str, seed: int, verbs: list[str]) -> Incident:
    inc = Incident(name, title="report-worker stalled", story="a Role trimmed", at=AT, seed=seed,
                   namespaces=("reports",))
    inc.deployment("reports", "report-worker", [Rev(3, AT - timedelta(days=8), "deploy 3.1.0", [
        c("worker", f"{REGISTRY}/reports/report-worker:3.1.0", port=None)],
        pod_spec={"serviceAccountName": "report-worker"})], {3: [P(log=_worker(WRITE + 2 * M))]})
    inc.deployment("reports", "report-ui", [
        Rev(5, AT - timedelta(days=12), "deploy 5.0.0", [c("ui", f"{REGISTRY}/reports/report-ui:5.0.0")]),
        Rev(6, AT - 15 * M, "deploy 5.0.1", [c("ui", f"{REGISTRY}/reports/report-ui:5.0.1")])], {6: [P(log=_quiet)]})
    role: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "report-worker", "namespace": "reports", "managedFields": [{
            "manager": "helm", "operation": "Update", "apiVersion": "rbac.authorization.k8s.io/v1",
            "time": WRITE.isoformat().replace("+00:00", "Z"), "fieldsType": "FieldsV1",
            "fieldsV1": {"f:rules": {}}}]},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": verbs},
                  {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update"]}]}
    inc.add(role)
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "report-worker", "namespace": "reports"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "report-worker"},
             "subjects": [{"kind": "ServiceAccount", "name": "report-worker", "namespace": "reports"}]})
    inc.ask("report-worker stopped producing reports 40 minutes ago; what changed?")
    if "get" not in verbs:
        inc.answer_key(culprit=("Role", "reports", "report-worker"), keywords=["forbidden", "configmaps"],
                       root_cause="Role report-worker lost get on configmaps; leader election is refused.",
                       category="rbac-role-trim", red_herrings=[("Deployment", "reports", "report-ui")])
    else:
        inc.answer_key(culprit=("Deployment", "reports", "report-worker"), keywords=["forbidden"],
                       root_cause="refused for a reason this bundle does not hold", category="unexplained",
                       red_herrings=[("Role", "reports", "report-worker")])
    return inc


def trimmed() -> Incident:
    """The Role's write left configmaps with list only."""
    return _incident("report-worker-role-trimmed", 1201, ["list"])


def widened() -> Incident:
    """The twin: the write added watch; get is still granted."""
    return _incident("report-worker-role-widened", 1202, ["get", "list", "watch"])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((trimmed, widened), tmp_path_factory.mktemp("access-rule"))


def test_the_trimmed_role_is_named_with_what_it_no_longer_grants(results: dict[str, object]) -> None:
    row = results["report-worker-role-trimmed"]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert top.startswith("Role reports/report-worker narrowed"), top
    assert "no longer get configmaps" in top and "serviceaccount reports/report-worker" in top, top


def test_a_role_that_still_grants_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["report-worker-role-widened"], "top", "") or "")
    assert "narrowed" not in top, top
