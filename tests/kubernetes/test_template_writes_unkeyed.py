"""A managedFields entry that owns a pod template's containers list without naming a container (`f:containers:
{}`, as a hand-written or summarised recording gives it) is still a template write: the containers' command, args
and literal env are reported as they are now. Twins: a keyed entry that wrote only the image (no setting field),
and the same unkeyed entry at the object's creation (a creation is not a later write)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes import template_writes

CREATED = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 3, 9, 11, 20, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _cronjob(fields: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "tmp-sweeper", "namespace": "batch",
                                            "creationTimestamp": _iso(CREATED),
                                            "managedFields": [{"manager": "kubectl-edit", "operation": "Update",
                                                               "time": _iso(at), "fieldsV1": fields}]},
            "spec": {"schedule": "*/30 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "sweep", "image": "alpine:3.20", "args": ["--older-than", "0s"],
                 "env": [{"name": "BUCKET_PREFIX", "value": "tmp/"}]}]}}}}}}


def _deployment(fields: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": "router", "namespace": "edge", "creationTimestamp": _iso(CREATED),
            "managedFields": [{"manager": "argocd", "time": _iso(WRITTEN), "fieldsV1": fields}]}
    return {"kind": "Deployment", "metadata": meta,
            "spec": {"template": {"spec": {"containers": [{"name": "envoy", "image": "envoy:v1.31",
                                                           "command": ["envoy", "--concurrency", "1"]}]}}}}


def _writes(kind: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    return template_writes.writes({kind: [obj]}, (kind,), lambda t: t is not None, lambda _: False)


UNKEYED_JOB: dict[str, Any] = {
    "f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}


def test_an_unkeyed_containers_write_reports_what_the_containers_set_now() -> None:
    [w] = _writes("CronJob", _cronjob(UNKEYED_JOB, WRITTEN))
    assert w["managers"] == ["kubectl-edit"]
    assert "sweep args now ['--older-than', '0s']" in w["diff"] and "sweep env BUCKET_PREFIX now 'tmp/'" in w["diff"]
    [d] = _writes("Deployment", _deployment({"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    assert d["diff"] == ["envoy command now ['envoy', '--concurrency', '1']"]


def test_an_image_only_keyed_write_and_a_creation_are_not_template_setting_writes() -> None:
    image_only: dict[str, Any] = {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"envoy"}': {"f:image": {}}}}}}}
    assert _writes("Deployment", _deployment(image_only)) == []
    assert _writes("CronJob", _cronjob(UNKEYED_JOB, CREATED + timedelta(seconds=30))) == []


def test_a_write_that_owns_the_whole_template_reports_the_containers_settings_now() -> None:
    """A recording that lists only the pod template (`f:template: {}`) or its spec, naming nothing inside."""
    whole_job: dict[str, Any] = {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {}}}}}
    [w] = _writes("CronJob", _cronjob(whole_job, WRITTEN))
    assert "sweep args now ['--older-than', '0s']" in w["diff"]
    [d] = _writes("Deployment", _deployment({"f:spec": {"f:template": {"f:spec": {}}}}))
    assert d["diff"] == ["envoy command now ['envoy', '--concurrency', '1']"]


def test_a_template_write_naming_only_its_metadata_or_the_schedule_is_not_a_settings_write() -> None:
    restart: dict[str, Any] = {"f:spec": {"f:template": {"f:metadata": {"f:annotations": {
        "f:kubectl.kubernetes.io/restartedAt": {}}}}}}
    assert _writes("Deployment", _deployment(restart)) == []
    assert _writes("CronJob", _cronjob({"f:spec": {"f:schedule": {}}}, WRITTEN)) == []
