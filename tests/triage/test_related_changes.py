"""Writes to objects of any kind (custom resources, ServiceAccounts) in the change timeline, and their
relation to the subject (agent.triage.related_changes). Objects are hand-written in the API server's
own shape (managedFields, last-applied configuration); error texts are the real wording of Kyverno,
OPA Gatekeeper, Envoy and the Kafka Java client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from agent.triage import related_changes
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.kubernetes.changes import timeline

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _obj(kind: str, api: str, name: str, ns: str, spec: dict, fields: dict, minutes: int, applied: dict | None = None,
         manager: str = "argocd-controller") -> dict:
    meta: dict = {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 5,
                  "managedFields": [{"manager": manager, "operation": "Apply", "apiVersion": api,
                                     "time": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                     "fieldsType": "FieldsV1", "fieldsV1": fields}]}
    if ns:
        meta["namespace"] = ns
    if applied is not None:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


KYVERNO = _obj("ClusterPolicy", "kyverno.io/v1", "disallow-latest-tag", "",
               {"validationFailureAction": "Enforce", "rules": [{"name": "r", "match": {"any": [{"resources": {
                   "kinds": ["Pod"]}}]}}]}, {"f:spec": {"f:validationFailureAction": {}}}, 50)
GATEKEEPER = _obj("K8sRequiredLabels", "constraints.gatekeeper.sh/v1beta1", "must-have-team", "",
                  {"enforcementAction": "deny", "match": {"kinds": [{"kinds": ["Pod"]}]}},
                  {"f:spec": {"f:enforcementAction": {}}}, 20, applied={"spec": {"enforcementAction": "dryrun"}})
TOPIC = _obj("KafkaTopic", "kafka.strimzi.io/v1beta2", "payments.settled", "kafka",
             {"config": {"retention.ms": "600000"}}, {"f:spec": {"f:config": {"f:retention.ms": {}}}}, 90,
             applied={"spec": {"config": {"retention.ms": "604800000"}}}, manager="kubectl-client-side-apply")
VS = _obj("VirtualService", "networking.istio.io/v1", "checkout-routes", "shop",
          {"hosts": ["checkout.shop.svc.cluster.local"], "http": [{"timeout": "50ms"}]},
          {"f:spec": {"f:http": {}}}, 15)
SA = _obj("ServiceAccount", "v1", "exporter", "reports", {}, {"f:metadata": {"f:annotations": {
    "f:eks.amazonaws.com/role-arn": {}}}}, 30)
SA["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/other"}


def _changes(*objs: dict) -> list[dict]:
    objects: dict = {}
    for o in objs:
        objects.setdefault(o["kind"], []).append(o)
    return [c.model_dump() for c in timeline(objects, AT - timedelta(hours=6), AT)]


def test_timeline_reports_writes_to_custom_and_core_kinds_with_values() -> None:
    by_kind = {c["object"]["kind"]: c for c in _changes(KYVERNO, GATEKEEPER, TOPIC, SA)}
    assert by_kind["ClusterPolicy"]["diff"] == ["spec.validationFailureAction = 'Enforce'"]
    assert by_kind["K8sRequiredLabels"]["diff"] == ["spec.enforcementAction: 'dryrun' -> 'deny'"]
    assert by_kind["KafkaTopic"]["diff"] == ["spec.config.retention.ms: '604800000' -> '600000'"]
    assert "arn:aws:iam::1:role/other" in by_kind["ServiceAccount"]["diff"][0]
    assert "kubectl-client-side-apply" in by_kind["KafkaTopic"]["summary"]


def test_a_write_outside_the_window_or_at_creation_is_not_a_change() -> None:
    old = _obj("ClusterPolicy", "kyverno.io/v1", "old-policy", "", {}, {"f:spec": {"f:x": {}}}, 60 * 24)
    assert _changes(old) == []


def _facts(changes: list[dict], findings: list[dict], logs: list[LogEvidence] | None = None,
           topologies: list | None = None) -> Facts:
    return Facts(at=AT, scan={"findings": findings}, changes={"changes": changes}, changes_id="ev-ch",
                 logs=logs or [], topologies=topologies or [])


def _failed_create(text: str) -> dict:
    return {"check": "workload.failed_create", "object": {"kind": "ReplicaSet", "namespace": "web", "name": "web-1"},
            "owner": {"kind": "Deployment", "namespace": "web", "name": "web"}, "message": text, "evidence": [text]}


def test_policy_named_in_a_kyverno_denial_is_the_suspect() -> None:
    text = ('Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: resource Pod/web/ was '
            "blocked due to the following policies disallow-latest-tag: validate-image-tag: 'An image tag is "
            "required'")
    found = related_changes.related(_facts(_changes(KYVERNO, GATEKEEPER), [_failed_create(text)]))
    assert [str(r.target) for r in found] == ["ClusterPolicy disallow-latest-tag"]
    f = related_changes.finding(found[0])
    assert "Enforce" in f["message"] and "disallow-latest-tag" in f["evidence"][0]
    assert [str(v) for v in found[0].victims] == ["Deployment web/web"]


def test_constraint_named_in_a_gatekeeper_denial_with_old_and_new_value() -> None:
    text = ('Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [must-have-team] you '
            'must provide labels: {"team"}')
    found = related_changes.related(_facts(_changes(KYVERNO, GATEKEEPER), [_failed_create(text)]))
    assert [str(r.target) for r in found] == ["K8sRequiredLabels must-have-team"]
    assert "'dryrun' -> 'deny'" in related_changes.finding(found[0])["message"]


def _log(pod: str, message: str, hosts: list[str] | None = None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="shop", evidence_id="ev-log", top={"message": message},
                       hosts=hosts or [], error_classes=set(), previous=False)


def test_topic_named_in_a_consumer_error() -> None:
    log = _log("ledger-0", "org.apache.kafka.clients.consumer.OffsetOutOfRangeException: Fetch position "
                           "FetchPosition{offset=1042} is out of range for partition payments.settled-3")
    found = related_changes.related(_facts(_changes(TOPIC, KYVERNO), [], [log]))
    assert [str(r.target) for r in found] == ["KafkaTopic kafka/payments.settled"]
    assert "604800000" in related_changes.finding(found[0])["message"]


def test_route_to_the_subjects_dependency_relates_by_host() -> None:
    log = _log("frontend-abc-1", "upstream request timeout 504 calling checkout", hosts=["checkout:8080"])
    found = related_changes.related(_facts(_changes(VS), [], [log]))
    assert [r.how for r in found] == ["routes calls to checkout.shop.svc.cluster.local"]
    topo = [({"subject": {"kind": "Deployment", "namespace": "shop", "name": "frontend"},
              "dependencies": [{"target": {"kind": "Service", "namespace": "shop", "name": "checkout"}}]}, "ev-t")]
    assert related_changes.related(_facts(_changes(VS), [], [], topo))[0].target.name == "checkout-routes"


def test_unrelated_write_is_not_a_suspect() -> None:
    log = _log("frontend-abc-1", "connection refused dialing db:5432", hosts=["db:5432"])
    assert related_changes.related(_facts(_changes(KYVERNO, VS, TOPIC), [], [log])) == []


def test_policy_selecting_the_subjects_pods_by_label() -> None:
    authz = _obj("AuthorizationPolicy", "security.istio.io/v1", "deny-all-but-gateway", "shop",
                 {"selector": {"matchLabels": {"app": "checkout"}}, "action": "ALLOW", "rules": []},
                 {"f:spec": {"f:rules": {}}}, 12)
    log = _log("checkout-abc-1", "RBAC: access denied", hosts=[])
    topo = [({"subject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"}}, "ev-t")]
    found = related_changes.related(_facts(_changes(authz), [], [log], topo))
    assert [r.how for r in found] == ["selects the pods labelled app=checkout"]
    other = [({"subject": {"kind": "Deployment", "namespace": "shop", "name": "cart"}}, "ev-t")]
    assert related_changes.related(_facts(_changes(authz), [], [log], other)) == []


def test_a_custom_resource_created_in_the_window_is_a_change_with_its_settings() -> None:
    """A KongClusterPlugin that did not exist an hour ago (its creation is its only managedFields entry) shows
    as `created`, with who created it and what it sets; one created a week ago does not."""
    plugin = {"apiVersion": "configuration.konghq.com/v1", "kind": "KongClusterPlugin", "plugin": "rate-limiting",
              "config": {"minute": 60, "limit_by": "ip", "policy": "local"},
              "metadata": {"name": "global-rate-limiting", "creationTimestamp": "2026-06-01T11:56:00Z",
                           "managedFields": [{"manager": "argocd-controller", "operation": "Apply",
                                              "time": "2026-06-01T11:56:00Z", "fieldsType": "FieldsV1",
                                              "fieldsV1": {"f:config": {"f:minute": {}}}}]}}
    [created] = _changes(plugin)
    assert created["type"] == "created" and created["object"]["name"] == "global-rate-limiting"
    assert "config.limit_by = 'ip'" in created["diff"] and "plugin = 'rate-limiting'" in created["diff"]
    assert "created by argocd-controller" in created["summary"]
    week_old = {**plugin, "metadata": {**plugin["metadata"], "creationTimestamp": "2026-05-25T11:56:00Z",
                                       "managedFields": []}}
    assert _changes(week_old) == []
