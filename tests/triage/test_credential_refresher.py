"""A failing CronJob that renews a registry pull Secret, named for its consumers' refused pulls
(agent.triage.credential_refresher).

Findings in the scan's own shape (pod.image_pull with `pull_secrets`) and CronJobs in Kubernetes' shape.
Two shapes: an ECR refresher (`aws ecr get-login-password`) and a GCP one (`gcloud auth
print-access-token`) writing through a `SECRET_NAME` env var. Twins: a refresher still succeeding, one
that writes another Secret, and no refused pull at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import credential_refresher as cr
from agent.triage.facts import Facts

AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _cronjob(name: str, command: list[str], last_schedule: str, last_success: str | None,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    status = {"lastScheduleTime": last_schedule, **({"lastSuccessfulTime": last_success} if last_success else {})}
    container = {"name": name, "image": "bitnami/kubectl:1.31", "command": command,
                 "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": "platform"},
            "spec": {"schedule": "0 */6 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [container]}}}}}, "status": status}


def _facts(cronjobs: list[dict[str, Any]], pull_secrets: list[str] | None) -> Facts:
    facts = Facts(at=AT)
    if pull_secrets is not None:
        facts.scan = {"findings": [{"check": "pod.image_pull", "severity": "critical",
                                    "object": {"kind": "Deployment", "namespace": "billing", "name": "api"},
                                    "message": "ImagePullBackOff: cannot pull image (403 Forbidden)",
                                    "details": {"pull_secrets": pull_secrets}}]}
    facts.reads[cr.STORE] = {"cronjobs": [(c, f"E{i + 5}", "/bin/sh: 1: aws: not found")
                                          for i, c in enumerate(cronjobs)]}
    return facts


ECR = ["/bin/sh", "-c", "TOKEN=$(aws ecr get-login-password --region eu-west-1); for ns in billing web; do "
       "kubectl -n $ns create secret docker-registry regcred --docker-username=AWS --docker-password=$TOKEN "
       "--dry-run=client -o yaml | kubectl apply -f -; done"]
GCP = ["/bin/sh", "-c", 'kubectl create secret docker-registry "$SECRET_NAME" --docker-server=europe-docker.pkg.dev '
       "--docker-username=oauth2accesstoken --docker-password=$(gcloud auth print-access-token) -o yaml "
       "--dry-run=client | kubectl apply -f -"]


def test_a_failing_ecr_refresher_is_named_for_the_refused_pulls() -> None:
    facts = _facts([_cronjob("ecr-sync", ECR, "2026-11-21T06:00:00Z", "2026-11-20T12:00:00Z")], ["regcred"])
    [found] = cr.found(facts)
    message = cr.finding(found, AT)["message"]
    assert found.cronjob.name == "ecr-sync" and found.secret == "regcred"
    assert "has not succeeded since 21 h 0 min before the alert" in message
    assert "ecr get-login-password" in message and "token expired" in message and "aws: not found" in message


def test_a_gcp_refresher_naming_the_secret_in_its_env_and_never_succeeding() -> None:
    job = _cronjob("gar-token", GCP, "2026-11-21T08:00:00Z", None, env={"SECRET_NAME": "gar-pull"})
    [found] = cr.found(_facts([job], ["gar-pull"]))
    assert "has never succeeded" in cr.finding(found, AT)["message"] and "print-access-token" in found.login


def test_a_healthy_refresher_another_secrets_writer_or_no_refusal_blame_nothing() -> None:
    healthy = _cronjob("ecr-sync", ECR, "2026-11-21T06:00:00Z", "2026-11-21T06:00:09Z")
    assert cr.found(_facts([healthy], ["regcred"])) == []
    failing = _cronjob("ecr-sync", ECR, "2026-11-21T06:00:00Z", "2026-11-20T12:00:00Z")
    assert cr.found(_facts([failing], ["other-pull"])) == []  # the refused Secret is not the one it writes
    assert cr.found(_facts([failing], None)) == []  # no pull refused: a failing job alone is another story
    backup = _cronjob("db-backup", ["/bin/sh", "-c", "pg_dump | gzip > /backup/regcred.gz"], "2026-11-21T06:00:00Z",
                      "2026-11-20T12:00:00Z")
    assert cr.found(_facts([backup], ["regcred"])) == []  # names the word but logs in nowhere
