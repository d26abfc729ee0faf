"""What a changed core spec field means (agent.triage.field_meaning), read from the diff lines the real change
timeline writes (mcp_servers.kubernetes.changes: managedFields writes, last-applied diffs, rollout template
diffs), and a field write named as the cause when the victim prints the signature only that field explains.

Objects are hand-written in the API server's shape (managedFields, last-applied configuration, ReplicaSet
revisions); the token errors are the real wording of the Kubernetes Python client (`incluster_config.py`) and
client-go (`rest.InClusterConfig` reading the token file). Each case has a negative twin.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.triage import field_meaning, rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.kubernetes.changes import timeline
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PYTHON_TOKEN = "kubernetes.config.config_exception.ConfigException: Service token file does not exist."
GO_TOKEN = ("error creating in-cluster config: open /var/run/secrets/kubernetes.io/serviceaccount/token: no such "
            "file or directory")


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _written(kind: str, name: str, ns: str, body: dict[str, Any], fields: dict[str, Any], minutes: int,
             manager: str = "kubectl-patch", applied: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z",
                            "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "v1",
                                               "time": _stamp(minutes), "fieldsType": "FieldsV1",
                                               "fieldsV1": fields}]}
    if applied is not None:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}
    return {"apiVersion": "v1", "kind": kind, "metadata": meta, **body}


def _changes(*objs: dict[str, Any]) -> list[dict[str, Any]]:
    objects: dict[str, list[dict[str, Any]]] = {}
    for o in objs:
        objects.setdefault(o["kind"], []).append(o)
    return [c.model_dump() for c in timeline(objects, AT - timedelta(hours=6), AT)]


def _service(policy: str) -> dict[str, Any]:
    return _written("Service", "stock-api", "inventory",
                    {"spec": {"selector": {"app": "stock-api"}, "internalTrafficPolicy": policy,
                              "ports": [{"port": 80, "targetPort": 8080}]}},
                    {"f:spec": {"f:internalTrafficPolicy": {}}}, 20)


def _account(name: str, ns: str, automount: bool, *, applied: bool = False) -> dict[str, Any]:
    return _written("ServiceAccount", name, ns, {"automountServiceAccountToken": automount},
                    {"f:automountServiceAccountToken": {}}, 30, manager="argocd-controller",
                    applied={"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": True}
                    if applied else None)


def test_service_traffic_policy_meaning_from_a_managed_fields_write_and_its_harmless_twin() -> None:
    [local] = _changes(_service("Local"))
    said = field_meaning.said(local)
    assert "internalTrafficPolicy Cluster (default) -> Local" in said
    assert "own node" in said and "no local endpoint" in said and "time out" in said
    [cluster] = _changes(_service("Cluster"))
    assert field_meaning.said(cluster) == ""


def test_pod_template_fields_from_a_rollout_diff_mean_what_kubernetes_does() -> None:
    drained = {"spec": {"terminationGracePeriodSeconds": 45, "containers": [{
        "name": "web", "image": "web:1", "lifecycle": {"preStop": {"exec": {"command": ["sleep", "15"]}}}}]}}
    bare = {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}
    web = {"kind": "Deployment", "namespace": "shop", "name": "web"}
    change = {"object": web, "diff": template_diff(drained, bare)}
    found = {r.meaning.field: r for r in field_meaning.reads(change)}
    assert set(found) == {"lifecycle.preStop", "terminationGracePeriodSeconds"}
    assert "SIGTERM" in found["lifecycle.preStop"].sentence() and "502" in found["lifecycle.preStop"].sentence()
    assert found["terminationGracePeriodSeconds"].change_text() == "45 -> unset"
    # the twin: the drain added back and a longer grace period explain nothing bad
    back = {"object": change["object"], "diff": template_diff(bare, drained)}
    assert field_meaning.reads(back) == []
    # a Deployment's selector is not a Service's: the Service meaning is not read into it
    deploy = {"object": {"kind": "Deployment", "namespace": "shop", "name": "web"},
              "diff": ["spec.selector.matchLabels.app: 'web' -> 'web-v2'"]}
    assert field_meaning.said(deploy) == ""


def _crashing(pod: str, ns: str, message: str) -> LogEvidence:
    top = {"template": message, "example": message, "count": 15, "severity": "fatal", "error_class": "crash",
           "message": message, "fields": {}}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=top, hosts=[], error_classes={"crash"},
                       previous=True)


def _image_bump(ns: str, name: str) -> dict[str, Any]:
    return {"at": _stamp(18), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 12: {name} image {name}:4.2.0 -> {name}:4.2.1",
            "diff": [f"{name} image {name}:4.2.0 -> {name}:4.2.1"], "revision": 12}


def _crashloop(ns: str, name: str, pod: str, message: str) -> dict[str, Any]:
    return {"check": "pod.crashloop", "severity": "critical", "object": {"kind": "Pod", "namespace": ns, "name": pod},
            "owner": {"kind": "Deployment", "namespace": ns, "name": name}, "reason": "CrashLoopBackOff",
            "message": f"Deployment {ns}/{name}: 1/3 pods CrashLoopBackOff; its logs say '{message}'",
            "details": {}, "evidence": [message], "since": _stamp(15), "pods": [pod], "count": 1}


def _facts(account: dict[str, Any], ns: str, name: str, message: str) -> Facts:
    pod = f"{name}-6b7c8d9f5d-k2m4p"
    changes = [*_changes(account), _image_bump(ns, name)]
    return Facts(at=AT, scan_id="E1", scan={"findings": [_crashloop(ns, name, pod, message)]},
                 changes={"changes": changes}, changes_id="E2", logs=[_crashing(pod, ns, message)])


def test_the_service_account_whose_token_automount_was_disabled_outranks_an_image_bump_python_client() -> None:
    facts = _facts(_account("reporting-jobs", "reporting", False), "reporting", "report-scheduler", PYTHON_TOKEN)
    ranked = rank(subject_of(from_text("report-scheduler in namespace reporting is crash looping")), facts)
    top = ranked[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ServiceAccount", "reporting-jobs")
    assert "automountServiceAccountToken true (default) -> false" in top.cause and "token" in top.cause
    assert any(v.name == "report-scheduler" for v in top.victims)
    assert all(c.confidence < top.confidence for c in ranked[1:])  # the image bump's Deployment comes after


def test_client_go_wording_and_a_last_applied_old_value_name_the_account_too() -> None:
    facts = _facts(_account("controller", "ops", False, applied=True), "ops", "node-labeler", GO_TOKEN)
    [top, *_] = rank(subject_of(from_text("node-labeler in namespace ops keeps restarting")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ServiceAccount", "controller")
    assert "automountServiceAccountToken true -> false" in top.cause  # the old value known, not the default


def test_negative_twins_another_error_another_namespace_or_automount_turned_on() -> None:
    refused = "psycopg.OperationalError: connection to server at 10.0.3.4, port 5432 failed: Connection refused"
    other_error = _facts(_account("reporting-jobs", "reporting", False), "reporting", "report-scheduler", refused)
    assert field_meaning.suspects(other_error) == []
    elsewhere = _facts(_account("reporting-jobs", "batch", False), "reporting", "report-scheduler", PYTHON_TOKEN)
    assert field_meaning.suspects(elsewhere) == []
    enabled = _facts(_account("reporting-jobs", "reporting", True), "reporting", "report-scheduler", PYTHON_TOKEN)
    assert field_meaning.suspects(enabled) == []
    [top, *_] = rank(subject_of(from_text("report-scheduler in namespace reporting is crash looping")), other_error)
    assert top.ref is not None and top.ref.kind != "ServiceAccount"
