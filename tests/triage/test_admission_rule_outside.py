"""admission_rule against admission software and wording it was not built from (issue #12 outside audit).

The module was built from one blind incident (a LimitRange ratio); these shapes come from other software's real
refusal wording:

- Kyverno 1.6+ (`admission webhook "validate.kyverno.svc-fail" denied the request: policy Deployment/NS/NAME for
  resource violation: POLICY: autogen-RULE: 'validation error: ...'`, as kyverno's own docs and `kubectl apply`
  transcripts print it; `autogen-` is the pod rule Kyverno generates for a Deployment's template);
- jsPolicy (loft-sh): a validating JsPolicy calling `deny("...")`; the API server prints
  `admission webhook "NAME" denied the request: MSG` with the JsPolicy's own name as webhook name; its spec's
  `violationPolicy` is Deny (default), Warn or Dry (pkg/apis/policy/v1beta1/jspolicy_types.go);
- a webhook the API server cannot call (its dispatcher's wording, `Internal error occurred: failed calling webhook
  "NAME": failed to call webhook: Post "https://SVC.NS.svc:443/...?timeout=10s": context deadline exceeded`)
  under `failurePolicy: Fail`, seen in a FailedCreate event and, another evidence place, in a GitOps
  controller's log.

Negative twins: the same Kyverno refusal with the policy in Audit, the jsPolicy in Warn, the webhook with
failurePolicy Ignore, the webhook whose backend namespace shows its Deployment down (the backend is the story),
and a configuration whose only recent write is a caBundle rotation.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import admission_rule
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
FIRST = AT - timedelta(minutes=15)

KYVERNO_NEW = ('Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: \n\npolicy '
               'Pod/payments/ledger-5c8d7-x2 for resource violation: \n\nrequire-requests-limits:\n  '
               "autogen-validate-resources: 'validation error: CPU and memory resource requests and limits are "
               "required. rule autogen-validate-resources failed at path /spec/containers/0/resources/limits/'")
JSPOLICY = ('Error creating: admission webhook "deny-latest-tag.acme.io" denied the request: images must not use '
            'the :latest tag (container worker)')
WEBHOOK_DOWN = ('Error creating: Internal error occurred: failed calling webhook "sidecar-check.mesh.acme.io": '
                'failed to call webhook: Post "https://mesh-guard.mesh-system.svc:443/validate?timeout=5s": '
                'context deadline exceeded')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _event(ns: str, name: str, text: str) -> dict[str, Any]:
    return {"type": "Warning", "reason": "FailedCreate", "kind": "ReplicaSet", "namespace": ns, "name": name,
            "message": text, "count": 7, "first_seen": _iso(FIRST)}


def _failed(ns: str, rs: str, owner: str, text: str) -> dict[str, Any]:
    return {"check": "workload.failed_create", "object": {"kind": "ReplicaSet", "namespace": ns, "name": rs},
            "owner": {"kind": "Deployment", "namespace": ns, "name": owner}, "since": _iso(FIRST), "count": 7,
            "details": {"error": text[:200]}, "evidence": [f"FailedCreate: {text[:190]}"]}


def _write(kind: str, name: str, at: datetime, ns: str = "") -> dict[str, Any]:
    return {"at": _iso(at), "type": "custom", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written", "diff": ["spec written"]}


def _facts(ns: str, rs: str, owner: str, text: str, objects: list[dict[str, Any]], writes: list[dict[str, Any]],
           more: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": [_failed(ns, rs, owner, text), *(more or [])]}, scan_id="E1",
                  changes={"changes": writes}, changes_id="E2")
    facts.reads[admission_rule.READS] = {"events": [_event(ns, rs, text)], "events_id": "E9",
                                         "objects": [(o, f"E{10 + i}") for i, o in enumerate(objects)]}
    return facts


def _kyverno_case(action: str) -> Facts:
    policy = {"kind": "ClusterPolicy", "metadata": {"name": "require-requests-limits"},
              "spec": {"validationFailureAction": action, "rules": [
                  {"name": "validate-resources", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                   "validate": {"message": "CPU and memory resource requests and limits are required.",
                                "pattern": {"spec": {"containers": [{"resources": {"limits": {"cpu": "?*"}}}]}}}}]}}
    return _facts("payments", "ledger-5c8d7", "ledger", KYVERNO_NEW, [policy],
                  [_write("ClusterPolicy", "require-requests-limits", AT - timedelta(hours=4))])


def test_kyverno_new_wording_with_an_autogen_rule_blames_the_cluster_policy() -> None:
    [hit] = admission_rule.found(_kyverno_case("Enforce"))
    assert str(hit.target) == "ClusterPolicy require-requests-limits"
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert "validationFailureAction Enforce" in head and "requests and limits are required" in head


def test_kyverno_new_wording_in_audit_is_not_blamed() -> None:
    assert admission_rule.found(_kyverno_case("Audit")) == []


def _jspolicy_case(violation: str) -> Facts:
    policy = {"apiVersion": "policy.jspolicy.com/v1beta1", "kind": "JsPolicy",
              "metadata": {"name": "deny-latest-tag.acme.io"},
              "spec": {"operations": ["CREATE"], "resources": ["pods"], "violationPolicy": violation,
                       "javascript": "if (request.object.spec.containers.some(c => c.image.endsWith(':latest'))) "
                                     "{ deny('images must not use the :latest tag') }"}}
    return _facts("batch", "worker-77f9", "worker", JSPOLICY, [policy],
                  [_write("JsPolicy", "deny-latest-tag.acme.io", AT - timedelta(hours=1))])


def test_jspolicy_deny_blames_the_jspolicy() -> None:
    [hit] = admission_rule.found(_jspolicy_case("Deny"))
    assert str(hit.target) == "JsPolicy deny-latest-tag.acme.io" and hit.asker.name == "worker"
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert "JavaScript validating policy" in head and ":latest tag" in head


def test_jspolicy_in_warn_is_not_blamed() -> None:
    assert admission_rule.found(_jspolicy_case("Warn")) == []


def _webhook_config(policy: str, managed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "mesh-guard", "managedFields": managed or []},
            "webhooks": [{"name": "sidecar-check.mesh.acme.io", "failurePolicy": policy, "timeoutSeconds": 5,
                          "clientConfig": {"service": {"namespace": "mesh-system", "name": "mesh-guard",
                                                       "path": "/validate"}},
                          "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                                     "resources": ["pods"]}]}]}


def _webhook_case(policy: str, down: bool = False) -> Facts:
    more = [{"check": "workload.unavailable", "object": {"kind": "Deployment", "namespace": "mesh-system",
                                                         "name": "mesh-guard"}}] if down else []
    return _facts("shop", "cart-6b5d4", "cart", WEBHOOK_DOWN, [_webhook_config(policy)],
                  [_write("ValidatingWebhookConfiguration", "mesh-guard", AT - timedelta(hours=2))], more)


def test_webhook_switched_to_fail_that_cannot_be_called_blames_the_configuration() -> None:
    [hit] = admission_rule.found(_webhook_case("Fail"))
    assert str(hit.target) == "ValidatingWebhookConfiguration mesh-guard"
    head = admission_rule.finding(hit, AT)["message"][:400]
    assert "failurePolicy Fail" in head and "context deadline exceeded" in head
    assert "Service mesh-system/mesh-guard" in head


def test_webhook_with_failure_policy_ignore_is_not_blamed() -> None:
    assert admission_rule.found(_webhook_case("Ignore")) == []


def test_webhook_whose_backend_is_down_is_not_blamed() -> None:
    assert admission_rule.found(_webhook_case("Fail", down=True)) == []


def test_webhook_configuration_with_only_a_ca_bundle_rotation_is_not_blamed() -> None:
    rotated = [{"manager": "cainjector", "operation": "Apply", "time": _iso(AT - timedelta(hours=1)),
                "fieldsV1": {"f:webhooks": {'k:{"name":"sidecar-check.mesh.acme.io"}': {
                    "f:clientConfig": {"f:caBundle": {}}}}}}]
    config = _webhook_config("Fail", rotated)
    config["metadata"]["creationTimestamp"] = _iso(AT - timedelta(days=90))
    facts = _facts("shop", "cart-6b5d4", "cart", WEBHOOK_DOWN, [config], [])
    assert admission_rule.found(facts) == []


def test_gitops_log_of_a_failed_webhook_call_blames_the_configuration() -> None:
    """Another evidence place: Argo CD's application controller logs the API server's answer when its sync
    creates an object the webhook matches."""
    line = ('level=error msg="Failed to apply resource" application=argocd/shop error="Internal error occurred: '
            'failed calling webhook \\"sidecar-check.mesh.acme.io\\": failed to call webhook: Post '
            '\\"https://mesh-guard.mesh-system.svc:443/validate?timeout=5s\\": dial tcp 10.96.40.12:443: connect: '
            'connection refused"')
    log = LogEvidence(pod="argocd-application-controller-0", namespace="argocd", evidence_id="L1",
                      top={"message": line, "example": line, "first_seen": _iso(FIRST)}, hosts=[],
                      error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [_write("ValidatingWebhookConfiguration", "mesh-guard",
                                                     AT - timedelta(hours=2))]}, changes_id="E2")
    facts.reads[admission_rule.READS] = {"events": [], "objects": [(_webhook_config("Fail"), "E10")]}
    facts.logs = [log]
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "ValidatingWebhookConfiguration mesh-guard"
    assert "connection refused" in admission_rule.finding(hit, AT)["message"][:400]


def test_read_takes_the_webhook_configuration_the_timeline_shows_written() -> None:
    asked: list[tuple[str, str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(arguments.get("kind") or "")))
        if tool == "k8s_get" and arguments.get("kind") == "ValidatingWebhookConfiguration":
            body = yaml.safe_dump(_webhook_config("Fail"))
            return ToolOutcome("E30", tool, arguments, True, body, full_text=body)
        if tool == "k8s_events":
            return ToolOutcome("E31", tool, arguments, True, "", data={"events": [_event("shop", "cart-6b5d4",
                                                                                         WEBHOOK_DOWN)]})
        return ToolOutcome("E32", tool, arguments, False, "not found")

    facts = Facts(at=AT, scan={"findings": [_failed("shop", "cart-6b5d4", "cart", WEBHOOK_DOWN)]}, scan_id="E1",
                  changes={"changes": [_write("ValidatingWebhookConfiguration", "mesh-guard",
                                              AT - timedelta(hours=2))]}, changes_id="E2")
    facts.history_reaches = lambda lead: True  # type: ignore[method-assign,assignment]
    asyncio.run(admission_rule.read(facts, call, _iso(AT)))
    assert ("k8s_get", "ValidatingWebhookConfiguration") in asked
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "ValidatingWebhookConfiguration mesh-guard"
