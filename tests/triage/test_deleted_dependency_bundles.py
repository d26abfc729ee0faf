"""A Secret deleted by a reaper controller whose age threshold was cut, end to end: bundles of our own, investigated
blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. A shape unlike the round's janitor CronJob
deleting a ConfigMap with kubectl's words: a long-running Deployment `ops/secret-reaper` rolled out with
`--max-age=24h` (was 720h) logs `Deleted Secret payments/psp-signing` in kube-janitor's wording, and the new
psp-gateway pods fail CreateContainerConfigError for the Secret; another Deployment's rollout in payments is a red
herring. The twin: the same reaper rollout whose log deletes other Secrets only (the missing one was not its
doing), which must not be named.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
AT = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(max(start, end - timedelta(hours=2)), end, 300,
                            lambda i, t: L.logfmt(t, "info", "request served", took_ms=12 + i % 7)))


def _incident(name: str, seed: int, deletes_victim: bool) -> Incident:
    rolled = AT - 2 * 60 * M
    inc = Incident(name, title="psp-gateway replicas not available", story="a secret reaper with a cut max age",
                   at=AT, seed=seed, namespaces=("payments", "ops"))
    gone = "payments/psp-signing" if deletes_victim else "ops/ci-token-7"

    def reaper_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([
            (rolled + 2 * M, "reaper: scanning Secrets older than 24h in namespaces ops, payments"),
            (rolled + 3 * M, f"Deleting Secret {gone} (age 31d > 24h).."),
            (rolled + 3 * M, f"Deleted Secret {gone}"),
            (rolled + 4 * M, "reaper: 1 deleted, next scan in 1h")])

    image = f"{REGISTRY}/ops/secret-reaper:1.6.0"
    inc.deployment("ops", "secret-reaper", [
        Rev(3, AT - timedelta(days=30), "helm upgrade", [c("secret-reaper", image)],
            container={"args": ["--max-age=720h", "--kinds=Secret"]}),
        Rev(4, rolled, "helm upgrade", [c("secret-reaper", image)],
            container={"args": ["--max-age=24h", "--kinds=Secret"]})], {4: [P(log=reaper_log)]})
    gateway = c("psp-gateway", f"{REGISTRY}/payments/psp-gateway:5.2.1",
                env=[{"name": "SIGNING_KEY", "valueFrom": {"secretKeyRef": {"name": "psp-signing", "key": "key"}}}])
    message = 'secret "psp-signing" not found'
    inc.deployment("payments", "psp-gateway", [Rev(7, AT - timedelta(days=40), "helm upgrade", [gateway])], {7: [
        P(log=_quiet), P(log=_quiet),
        P(state="waiting", waiting_reason="CreateContainerConfigError", message=message, created=AT - 25 * M)]})
    inc.deployment("payments", "refund-worker", [
        Rev(11, AT - timedelta(days=9), "deploy 3.0.2", [c("refund-worker", f"{REGISTRY}/payments/refund:3.0.2")]),
        Rev(12, AT - 35 * M, "deploy 3.0.3", [c("refund-worker", f"{REGISTRY}/payments/refund:3.0.3")])],
        {12: [P(log=_quiet)]})
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "payments", "deployment": "psp-gateway"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment payments/psp-gateway has not matched the expected number of replicas for longer "
                     "than 15 minutes.", "kube_deployment_spec_replicas > kube_deployment_status_replicas_available",
                     severity="warning", starts=AT - 10 * M)
    if deletes_victim:
        inc.answer_key(culprit=("Deployment", "ops", "secret-reaper"), keywords=["deleted", "Secret", "psp-signing"],
                       root_cause="secret-reaper's max age was cut to 24h; it deleted the live Secret psp-signing.",
                       category="cleanup-controller-deletes-live-secret",
                       red_herrings=[("Deployment", "payments", "refund-worker")])
    else:
        inc.answer_key(culprit=("Deployment", "payments", "psp-gateway"), keywords=["psp-signing"],
                       root_cause="the Secret was never created for this environment; the reaper deleted others.",
                       category="unexplained", red_herrings=[("Deployment", "ops", "secret-reaper")])
    return inc


def reaped() -> Incident:
    """The reaper's log deletes the very Secret the gateway's new pod misses."""
    return _incident("psp-gateway-secret-reaped", 4811, True)


def reaped_other() -> Incident:
    """The twin: the same rollout of the reaper deleted another Secret only."""
    return _incident("psp-gateway-secret-reaped-other", 4812, False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((reaped, reaped_other), tmp_path_factory.mktemp("deleted-dependency"))


def test_the_reaper_that_deleted_the_needed_secret_is_named(results: dict[str, object]) -> None:
    row = results["psp-gateway-secret-reaped"]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert top.startswith("Deployment ops/secret-reaper deleted Secret payments/psp-signing"), top


def test_a_reaper_that_deleted_other_secrets_only_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["psp-gateway-secret-reaped-other"], "top", "") or "")
    assert not top.startswith("Deployment ops/secret-reaper"), top
