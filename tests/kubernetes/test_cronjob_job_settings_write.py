"""A CronJob's Job settings written after creation (`spec.jobTemplate.spec.activeDeadlineSeconds`,
`backoffLimit`) are changes on the timeline with their current values: no revision records a CronJob's
template, so the managedFields write is the only trace of a deadline cut from an hour to five minutes.
Twins: the same CronJob's container args written (reported once, by the template-write rule, not twice)
and the Job settings set at creation (not a later write)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes import changes

CREATED = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 5, 20, 14, 5, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _cronjob(fields: dict[str, Any], at: datetime) -> dict[str, Any]:
    meta = {"name": "ledger-rollup", "namespace": "finance", "creationTimestamp": _iso(CREATED),
            "managedFields": [{"manager": "helm", "operation": "Update", "time": _iso(at), "fieldsV1": fields}]}
    job = {"activeDeadlineSeconds": 300, "backoffLimit": 1,
           "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "rollup", "image": "registry.local/rollup:4.2", "args": ["--since", "24h"]}]}}}
    return {"kind": "CronJob", "metadata": meta, "spec": {"schedule": "15 2 * * *", "jobTemplate": {"spec": job}}}


def _timeline(obj: dict[str, Any]) -> list[changes.Change]:
    return changes.timeline({"CronJob": [obj]}, WRITTEN - timedelta(hours=6), WRITTEN + timedelta(hours=1))


JOB_SETTINGS: dict[str, Any] = {"f:spec": {"f:jobTemplate": {"f:spec": {"f:activeDeadlineSeconds": {},
                                                                        "f:backoffLimit": {}}}}}


def test_a_cronjobs_job_settings_write_is_a_change_with_the_values_now() -> None:
    [change] = _timeline(_cronjob(JOB_SETTINGS, WRITTEN))
    assert change.object.kind == "CronJob" and change.object.name == "ledger-rollup"
    assert change.at == _iso(WRITTEN)
    assert "spec.jobTemplate.spec.activeDeadlineSeconds written by helm (now 300)" in change.diff
    assert "spec.jobTemplate.spec.backoffLimit written by helm (now 1)" in change.diff


def test_a_template_args_write_is_reported_once_and_a_creation_is_no_write() -> None:
    args: dict[str, Any] = {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"rollup"}': {"f:args": {}}}}}}}}}
    [change] = _timeline(_cronjob(args, WRITTEN))
    assert change.diff == ["rollup args now ['--since', '24h']"]
    assert _timeline(_cronjob(JOB_SETTINGS, CREATED)) == []
