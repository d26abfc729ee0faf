"""admission_rule: a controller refused at admission by a rule object written shortly before.

Shapes: a LimitRange's maxLimitRequestRatio refusing a Deployment's new pods (FailedCreate on the ReplicaSet, the
object not named, found among the namespace's LimitRanges); a ResourceQuota at its claim count refusing a
StatefulSet's next PersistentVolumeClaim; a Kyverno ClusterPolicy whose verifyImages key was replaced; an
operator's log passing on a pods quota refusal (another evidence place); a namespace's Pod Security enforce label.
Twins: the same refusals with the rule unchanged for weeks, a rule written after the refusals began, a quota
raised since, a Kyverno validate rule in Audit, and a refusal that quotes no rule (a missing ServiceAccount).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import admission_rule
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
RATIO = ('Error creating: pods "billing-7d9f-abcde" is forbidden: memory max limit to request ratio per Container '
         'is 1.5, but provided ratio is 4.000000')
CLAIM = ('create Claim data-kafka-2 for Pod kafka-2 in StatefulSet kafka failed error: persistentvolumeclaims '
         '"data-kafka-2" is forbidden: exceeded quota: team-quota, requested: persistentvolumeclaims=1, '
         'used: persistentvolumeclaims=2, limited: persistentvolumeclaims=2')
KYVERNO = ('Error creating: admission webhook "mutate.kyverno.svc-fail" denied the request: \n\nresource '
           'Pod/orders/ was blocked due to the following policies \n\ncheck-images:\n  require-signed: '
           "'failed to verify image ghcr.io/acme/orders:3.1.0: .attestors[0].entries[0].keys: no matching "
           "signatures:\n'")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _failed(kind: str, ns: str, name: str, owner: tuple[str, str], text: str, since: datetime) -> dict[str, Any]:
    return {"check": "workload.failed_create", "object": {"kind": kind, "namespace": ns, "name": name},
            "owner": {"kind": owner[0], "namespace": ns, "name": owner[1]}, "since": _iso(since), "count": 9,
            "details": {"error": text[:200]}, "evidence": [f"FailedCreate: {text[:190]}"]}


def _event(kind: str, ns: str, name: str, text: str, first: datetime) -> dict[str, Any]:
    return {"type": "Warning", "reason": "FailedCreate", "kind": kind, "namespace": ns, "name": name,
            "message": text, "count": 9, "first_seen": _iso(first)}


def _write(kind: str, ns: str, name: str, at: datetime) -> dict[str, Any]:
    return {"at": _iso(at), "type": "custom", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written", "diff": ["spec written"]}


def _facts(findings: list[dict[str, Any]], events: list[dict[str, Any]], objects: list[dict[str, Any]],
           writes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, scan={"findings": findings}, scan_id="E1", changes={"changes": writes}, changes_id="E2")
    facts.reads[admission_rule.READS] = {"events": events, "events_id": "E9",
                                         "objects": [(o, f"E{10 + i}") for i, o in enumerate(objects)]}
    return facts


def _limitrange(ratio: str = "1.5") -> dict[str, Any]:
    return {"kind": "LimitRange", "metadata": {"name": "defaults", "namespace": "billing"},
            "spec": {"limits": [{"type": "Container", "maxLimitRequestRatio": {"memory": ratio}}]}}


def _ratio_case(written: datetime, ratio: str = "1.5") -> Facts:
    first = AT - timedelta(minutes=20)
    return _facts([_failed("ReplicaSet", "billing", "billing-7d9f", ("Deployment", "billing"), RATIO, first)],
                  [_event("ReplicaSet", "billing", "billing-7d9f", RATIO, first)], [_limitrange(ratio)],
                  [_write("LimitRange", "billing", "defaults", written)])


def test_limitrange_ratio_refusing_a_rollout_blames_the_limitrange_and_says_its_rule() -> None:
    [hit] = admission_rule.found(_ratio_case(AT - timedelta(minutes=50)))
    assert str(hit.target) == "LimitRange billing/defaults" and str(hit.asker) == "Deployment billing/billing"
    message = admission_rule.finding(hit, AT)["message"]
    head = message[:400]
    assert head.startswith("LimitRange billing/defaults") and "maxLimitRequestRatio" in head
    assert "forbidden" in head and "ratio of 4" in head and "1.5 times" in head


def test_limitrange_unchanged_for_weeks_is_not_blamed() -> None:
    assert admission_rule.found(_ratio_case(AT - timedelta(days=30))) == []


def test_limitrange_written_after_the_refusals_began_is_not_blamed() -> None:
    assert admission_rule.found(_ratio_case(AT - timedelta(minutes=5))) == []


def test_limitrange_changed_again_since_the_refusal_is_not_blamed() -> None:
    assert admission_rule.found(_ratio_case(AT - timedelta(minutes=50), ratio="8")) == []


def _quota_case(written: datetime, hard: str = "2") -> Facts:
    first = AT - timedelta(minutes=30)
    quota = {"kind": "ResourceQuota", "metadata": {"name": "team-quota", "namespace": "streaming"},
             "spec": {"hard": {"persistentvolumeclaims": hard}}}
    return _facts([_failed("StatefulSet", "streaming", "kafka", ("StatefulSet", "kafka"), CLAIM, first)],
                  [_event("StatefulSet", "streaming", "kafka", CLAIM, first)], [quota],
                  [_write("ResourceQuota", "streaming", "team-quota", written)])


def test_quota_at_its_claim_count_refusing_a_statefulset_claim() -> None:
    [hit] = admission_rule.found(_quota_case(AT - timedelta(hours=7)))
    assert str(hit.target) == "ResourceQuota streaming/team-quota" and str(hit.asker) == "StatefulSet streaming/kafka"
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert "persistentvolumeclaims 2 with 2 already used" in head and "claim" in head
    assert "exceeded quota" in head


def test_quota_raised_since_the_refusal_or_old_is_not_blamed() -> None:
    assert admission_rule.found(_quota_case(AT - timedelta(hours=7), hard="5")) == []
    assert admission_rule.found(_quota_case(AT - timedelta(days=20))) == []


def _policy(rule: dict[str, Any], action: str = "Enforce") -> dict[str, Any]:
    return {"kind": "ClusterPolicy", "metadata": {"name": "check-images"},
            "spec": {"validationFailureAction": action, "rules": [rule]}}


def _kyverno_case(policy: dict[str, Any], text: str = KYVERNO) -> Facts:
    first = AT - timedelta(minutes=15)
    return _facts([_failed("ReplicaSet", "orders", "orders-5c", ("Deployment", "orders"), text, first)],
                  [_event("ReplicaSet", "orders", "orders-5c", text, first)], [policy],
                  [_write("ClusterPolicy", "", "check-images", AT - timedelta(minutes=40))])


def test_kyverno_verify_images_key_replaced_says_what_the_rule_checks() -> None:
    verify = {"name": "require-signed", "verifyImages": [{"imageReferences": ["ghcr.io/acme/*"], "attestors": [
        {"entries": [{"keys": {"publicKeys": "-----BEGIN PUBLIC KEY-----"}}]}]}]}
    [hit] = admission_rule.found(_kyverno_case(_policy(verify)))
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert head.startswith("ClusterPolicy check-images") and "verifyImages" in head
    assert "cosign signatures" in head and "public keys" in head and "no matching signatures" in head
    assert "for ghcr.io/acme/orders:3.1.0" in head


def test_kyverno_validate_rule_in_audit_is_not_blamed() -> None:
    text = KYVERNO.replace("require-signed", "require-labels")
    validate = {"name": "require-labels", "validate": {"message": "label team is required"}}
    assert admission_rule.found(_kyverno_case(_policy(validate, action="Audit"), text)) == []


def test_refusal_that_quotes_no_rule_names_nothing() -> None:
    text = 'Error creating: pods "x-1" is forbidden: error looking up service account orders/orders: not found'
    assert admission_rule.governors(text, "orders") == []


def test_operator_log_passing_on_a_pods_quota_refusal() -> None:
    line = ('{"level":"error","msg":"failed to create worker pod","error":"pods \\"spark-exec-7\\" is forbidden: '
            'exceeded quota: compute, requested: pods=1, used: pods=40, limited: pods=40"}')
    log = LogEvidence(pod="spark-operator-7c9d8f6b5d-x4x2q", namespace="analytics", evidence_id="L1",
                      top={"message": line, "example": line, "first_seen": _iso(AT - timedelta(minutes=10))},
                      hosts=[], error_classes=set(), previous=False)
    quota = {"kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": "analytics"},
             "spec": {"hard": {"pods": "40"}}}
    facts = _facts([], [], [quota], [_write("ResourceQuota", "analytics", "compute", AT - timedelta(hours=2))])
    facts.logs = [log]
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "ResourceQuota analytics/compute" and hit.asker.name == "spark-operator"
    assert "one more pod" in admission_rule.finding(hit, AT)["message"]


def test_pod_security_enforce_label_written_on_the_namespace() -> None:
    text = ('Error creating: pods "agent-x1" is forbidden: violates PodSecurity "restricted:latest": '
            'allowPrivilegeEscalation != false (container "agent" must set securityContext.allowPrivilegeEscalation'
            '=false)')
    first = AT - timedelta(minutes=8)
    ns = {"kind": "Namespace", "metadata": {"name": "telemetry", "labels": {
        "pod-security.kubernetes.io/enforce": "restricted"}}}
    facts = _facts([_failed("ReplicaSet", "telemetry", "agent-9f", ("Deployment", "agent"), text, first)], [], [ns],
                   [_write("Namespace", "", "telemetry", AT - timedelta(minutes=30))])
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "Namespace telemetry"
    assert "pod-security.kubernetes.io/enforce=restricted" in admission_rule.finding(hit, AT)["message"]


def _gatekeeper_case(action: str) -> Facts:
    text = ('Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [require-cost-center] '
            'you must provide labels: {"cost-center"}')
    first = AT - timedelta(minutes=12)
    constraint = {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sRequiredLabels",
                  "metadata": {"name": "require-cost-center"},
                  "spec": {"enforcementAction": action, "parameters": {"labels": ["cost-center"]}}}
    return _facts([_failed("ReplicaSet", "search", "indexer-6f", ("Deployment", "indexer"), text, first)],
                  [_event("ReplicaSet", "search", "indexer-6f", text, first)], [constraint],
                  [_write("K8sRequiredLabels", "", "require-cost-center", AT - timedelta(hours=3))])


def test_gatekeeper_constraint_switched_to_deny() -> None:
    [hit] = admission_rule.found(_gatekeeper_case("deny"))
    assert str(hit.target) == "K8sRequiredLabels require-cost-center"
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert "enforcementAction deny" in head and "cost-center" in head


def test_gatekeeper_constraint_in_dryrun_is_not_blamed() -> None:
    assert admission_rule.found(_gatekeeper_case("dryrun")) == []


def test_validating_admission_policy_names_the_validation_that_refused() -> None:
    text = ("Error creating: pods \"api-7f-x\" is forbidden: ValidatingAdmissionPolicy 'baseline' with binding "
            "'baseline-apps' denied request: containers must set resources.limits.cpu")
    first = AT - timedelta(minutes=25)
    policy = {"kind": "ValidatingAdmissionPolicy", "metadata": {"name": "baseline"}, "spec": {"validations": [
        {"expression": "object.spec.hostNetwork != true", "message": "no host network"},
        {"expression": "object.spec.containers.all(c, has(c.resources.limits.cpu))",
         "message": "containers must set resources.limits.cpu"}]}}
    facts = _facts([_failed("ReplicaSet", "web", "api-7f", ("Deployment", "api"), text, first)],
                   [_event("ReplicaSet", "web", "api-7f", text, first)], [policy],
                   [_write("ValidatingAdmissionPolicy", "", "baseline", AT - timedelta(hours=2))])
    [hit] = admission_rule.found(facts)
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert head.startswith("ValidatingAdmissionPolicy baseline") and "limits.cpu" in head
    assert "hostNetwork" not in head


def test_read_takes_the_refusal_from_the_deployment_condition_when_the_events_expired() -> None:
    """No FailedCreate event left (events live about an hour): the Deployment's ReplicaFailure condition keeps the
    ReplicaSet's last create error, so it is read, then the ResourceQuota it quotes."""
    text = ('pods "ingest-5b7c9d8f6d-q2w4x" is forbidden: exceeded quota: batch-quota, requested: requests.cpu=2, '
            'used: requests.cpu=14, limited: requests.cpu=16')
    deploy = {"kind": "Deployment", "metadata": {"name": "ingest", "namespace": "etl"}, "status": {"conditions": [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": text,
         "lastTransitionTime": _iso(AT - timedelta(minutes=90))}]}}
    quota = {"kind": "ResourceQuota", "metadata": {"name": "batch-quota", "namespace": "etl"},
             "spec": {"hard": {"requests.cpu": "16"}}}
    asked: list[tuple[str, str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(arguments.get("kind") or "")))
        if tool == "k8s_get":
            obj = deploy if arguments.get("kind") == "Deployment" else quota
            body = yaml.safe_dump(obj)
            return ToolOutcome("E30", tool, arguments, True, body, full_text=body)
        return ToolOutcome("E31", tool, arguments, True, "", data={"changes": [
            _write("ResourceQuota", "etl", "batch-quota", AT - timedelta(hours=5))]})

    facts = Facts(at=AT, scan={"findings": [{"check": "workload.unavailable", "object": {
        "kind": "Deployment", "namespace": "etl", "name": "ingest"}}]}, scan_id="E1")
    asyncio.run(admission_rule.read(facts, call, _iso(AT)))
    assert ("k8s_get", "Deployment") in asked and ("k8s_get", "ResourceQuota") in asked
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "ResourceQuota etl/batch-quota" and str(hit.asker) == "Deployment etl/ingest"
    assert "requests.cpu 16 with 14 already used" in admission_rule.finding(hit, AT)["message"]


def test_read_reads_nothing_without_a_refusal() -> None:
    asked: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(tool)
        return ToolOutcome("E30", tool, arguments, True, "")

    asyncio.run(admission_rule.read(Facts(at=AT, scan={"findings": []}), call, _iso(AT)))
    assert asked == []
