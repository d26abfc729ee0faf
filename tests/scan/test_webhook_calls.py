"""Webhooks named by the API server's own errors in controller events, healthy backend or not.

Event messages are in the API server's wording (k8s.io/apiserver's admission webhook errors as
the ReplicaSet, StatefulSet and Job controllers record them in FailedCreate events): a call that
times out, is refused, fails TLS, finds no endpoints; a webhook that answers with a denial.
"""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.kubernetes.scan import Snapshot, scan
from mcp_servers.kubernetes.scan.checks.webhooks import call_error_class
from tests.scan.objects import NOW, deployment, endpoints, event, pod, replicaset, service

LISTED = {"Pod", "Event", "ReplicaSet", "Deployment", "Service", "Endpoints", "MutatingWebhookConfiguration",
          "ValidatingWebhookConfiguration"}


def config(kind: str, name: str, hook: str, *, url: str | None = None, policy: str = "Fail") -> dict[str, Any]:
    client: dict[str, Any] = {"url": url} if url else {"service": {"namespace": "platform", "name": name,
                                                                   "port": 443, "path": "/mutate"}}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": [{"name": hook, "clientConfig": client, "failurePolicy": policy, "timeoutSeconds": 10,
                          "rules": [{"operations": ["CREATE"], "resources": ["pods"]}]}]}


def healthy_backend(name: str) -> list[dict[str, Any]]:
    return [pod(f"{name}-1", ns="platform", labels={"app": name}), service(name, ns="platform", selector={"app": name}),
            endpoints(name, ns="platform", ready=1)]


def findings(objects: list[dict[str, Any]]) -> list[Any]:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["webhooks"]).findings


@pytest.mark.parametrize(("error", "expected"), [
    ('Post "https://injector.platform.svc:443/mutate?timeout=10s": context deadline exceeded', "timeout"),
    ('Post "https://opa.policy.svc:443/v1/admit?timeout=5s": dial tcp 10.96.12.7:443: i/o timeout', "timeout"),
    ('Post "https://kyverno-svc.kyverno.svc:443/mutate": dial tcp 10.100.3.4:443: connect: connection refused',
     "refused"),
    ('Post "https://istiod.istio-system.svc:443/inject": tls: failed to verify certificate: x509: certificate '
     'signed by unknown authority', "tls"),
    ('Post "https://gatekeeper-webhook-service.gatekeeper-system.svc:443/v1/admit": no endpoints available for '
     'service "gatekeeper-webhook-service"', "no_endpoints"),
    ('Post "https://hooks.example.net/admit": dial tcp: lookup hooks.example.net on 10.96.0.10:53: no such host',
     "dns"),
])
def test_call_errors_are_classified_by_what_failed(error: str, expected: str) -> None:
    assert call_error_class(error) == expected


def test_a_webhook_the_api_server_cannot_call_is_named_even_with_a_healthy_backend() -> None:
    """The backend has a ready endpoint (the red herring); the events say the API server's calls time out."""
    message = ('Error creating: Internal error occurred: failed calling webhook "inject.sidecar.example.com": '
               'failed to call webhook: Post "https://sidecar-injector.platform.svc:443/mutate?timeout=10s": '
               'context deadline exceeded')
    objects = [config("MutatingWebhookConfiguration", "sidecar-injector", "inject.sidecar.example.com"),
               *healthy_backend("sidecar-injector"), deployment("notifier"), replicaset("notifier-7f", "notifier"),
               event("ReplicaSet", "notifier-7f", "FailedCreate", message, count=23)]
    [finding] = findings(objects)
    assert finding.check == "webhook.calls_failing" and finding.severity == "critical"
    assert str(finding.object) == "MutatingWebhookConfiguration sidecar-injector"
    assert finding.details["error_class"] == "timeout" and finding.details["failure_policy"] == "Fail"
    assert finding.details["blocked"] == ["ReplicaSet shop/notifier-7f"]
    assert "inject.sidecar.example.com" in finding.message and "23 times" in finding.message
    # The same cluster without the events: nothing to say about the webhook.
    assert findings(objects[:-1]) == []


def test_a_denial_names_the_validating_webhook_and_its_reason_and_a_url_webhook_is_covered() -> None:
    denied = ('Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: policy '
              'disallow-latest-tag: image tag latest is not allowed')
    wrapped = ('Error creating: Internal error occurred: failed calling webhook "check.policy.example.net": '
               'failed to call webhook: Post "https://policy.example.net/check": dial tcp 203.0.113.9:443: '
               'connect: connection refused')
    objects = [config("ValidatingWebhookConfiguration", "kyverno-resource-validating", "validate.kyverno.svc-fail"),
               config("ValidatingWebhookConfiguration", "external-policy", "check.policy.example.net",
                      url="https://policy.example.net/check", policy="Ignore"),
               *healthy_backend("kyverno-resource-validating"), replicaset("web-1a", "web"),
               event("ReplicaSet", "web-1a", "FailedCreate", denied, count=4), replicaset("api-2b", "api"),
               event("ReplicaSet", "api-2b", "FailedCreate", wrapped)]
    by_config = {f.object.name: f for f in findings(objects)}
    deny = by_config["kyverno-resource-validating"]
    assert deny.check == "webhook.denied" and "image tag latest is not allowed" in deny.details["error"]
    external = by_config["external-policy"]
    assert external.check == "webhook.calls_failing" and external.severity == "warning"
    assert external.details["target"] == "https://policy.example.net/check"
    assert external.details["error_class"] == "refused"


def test_an_event_naming_another_webhook_does_not_blame_this_one() -> None:
    message = 'Internal error occurred: failed calling webhook "other.example.com": context deadline exceeded'
    objects = [config("MutatingWebhookConfiguration", "sidecar-injector", "inject.sidecar.example.com"),
               *healthy_backend("sidecar-injector"), replicaset("notifier-7f", "notifier"),
               event("ReplicaSet", "notifier-7f", "FailedCreate", message)]
    assert findings(objects) == []


def test_the_older_api_server_wording_names_the_webhook_too() -> None:
    """Before 1.15 the API server wrote `failed calling admission webhook "<name>"` (Istio's injector on EKS, as
    reported in istio/istio#13840)."""
    message = ('Error creating: Internal error occurred: failed calling admission webhook "sidecar-injector.istio.io": '
               'Post https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: net/http: request '
               'canceled (Client.Timeout exceeded while awaiting headers)')
    objects = [config("MutatingWebhookConfiguration", "istio-sidecar-injector", "sidecar-injector.istio.io"),
               *healthy_backend("istio-sidecar-injector"), replicaset("my-service-8c567f849", "my-service"),
               event("ReplicaSet", "my-service-8c567f849", "FailedCreate", message, count=13)]
    [finding] = findings(objects)
    assert finding.check == "webhook.calls_failing" and finding.details["error_class"] == "timeout"


def test_an_untrusted_serving_certificate_names_the_ca_bundle_and_contradicts_a_missing_service() -> None:
    """A TLS handshake failed on trust: a server answered, so "the Service does not exist" (an unlisted or
    partial dump) is not claimed; the caBundle is what to look at. An expired certificate is not a trust gap."""
    untrusted = ('Error creating: Internal error occurred: failed calling webhook "validate.guard.example.io": '
                 'failed to call webhook: Post "https://guard.platform.svc:443/validate?timeout=10s": tls: failed to '
                 'verify certificate: x509: certificate signed by unknown authority (possibly because of "crypto/rsa: '
                 'verification error" while trying to verify candidate authority certificate "guard-ca")')
    objects = [config("ValidatingWebhookConfiguration", "guard", "validate.guard.example.io"),
               replicaset("orders-5c", "orders"), event("ReplicaSet", "orders-5c", "FailedCreate", untrusted, count=9)]
    [finding] = findings(objects)  # no webhook.missing_service beside it, though no Service is listed
    assert finding.check == "webhook.calls_failing" and "caBundle" in finding.message
    assert "x509: certificate signed by unknown authority" in finding.message
    expired = untrusted.replace("certificate signed by unknown authority", "certificate has expired or is not yet "
                                "valid: current time 2026-05-01T12:00:00Z is after 2026-04-30T00:00:00Z")
    [other] = findings([*objects[:-1], event("ReplicaSet", "orders-5c", "FailedCreate", expired)])
    assert "caBundle" not in other.message
    # Without the events the unlisted Service is still reported missing.
    assert [f.check for f in findings(objects[:1])] == ["webhook.missing_service"]
