"""A client without a mesh sidecar calling a Service whose policy demands mTLS: the policy is blamed.

Policies are security.istio.io/v1 PeerAuthentications as the API server stores them (namespace-wide without a
selector, mesh-wide in istio-system, workload-specific with `selector.matchLabels` and `portLevelMtls`) and a
Namespace with Linkerd's `config.linkerd.io/default-inbound-policy` annotation. Pods are what k8s_get answers
(containers by name, `istio-proxy` / `linkerd-proxy` for the sidecars). Client errors are the libraries' own:
Python requests ("Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')") and Node.js
("Error: socket hang up" / ECONNRESET), classified upstream_reset as the log facts do.
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.mesh import CHECK
from tests.triage.test_rank import AT, alert

CLIENT = {"kind": "Deployment", "namespace": "billing", "name": "invoice-batch"}
SERVER = {"kind": "Deployment", "namespace": "tax", "name": "tax-rates"}
PY_RESET = ("HTTPConnectionPool(host='tax-rates.tax.svc.cluster.local', port=8080): Max retries exceeded with url: "
            "/v2/rates (Caused by ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by "
            "peer')))")
NODE_RESET = "FetchError: request to http://tax-rates.tax:8080/v2/rates failed, reason: socket hang up (ECONNRESET)"


def pod(name: str, namespace: str, containers: list[str], labels: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": c} for c in containers], "initContainers": []}}


def peer_auth(namespace: str, mode: str, selector: dict[str, str] | None = None,
              ports: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    if ports:
        spec["portLevelMtls"] = ports
    return {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": "default" if not selector else "tax-rates", "namespace": namespace,
                         "creationTimestamp": "2026-05-01T11:40:00Z"}, "spec": spec}


def facts_with(objects: list[dict[str, Any]], message: str = PY_RESET, client_sidecar: bool = False) -> Facts:
    log = LogEvidence(pod="invoice-batch-6b8c9d7f5-r4t7w", namespace="billing", evidence_id="E4", top={
        "template": message, "example": message, "count": 12, "severity": "error", "error_class": "upstream_reset",
        "message": message, "fields": {}}, hosts=[], error_classes={"upstream_reset"}, previous=False)
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, logs=[log])
    facts.topologies += [
        ({"subject": CLIENT, "pods": [{"name": "invoice-batch-6b8c9d7f5-r4t7w", "namespace": "billing", "node": "n1",
                                       "phase": "Running", "ready": True}],
          "dependencies": [{"target": {"kind": "Service", "namespace": "tax", "name": "tax-rates"},
                            "via": "env TAX_URL", "healthy": True, "detail": "2 of 2 endpoints ready"}]}, "E3"),
        ({"subject": SERVER, "services": [{"kind": "Service", "namespace": "tax", "name": "tax-rates"}],
          "pods": [{"name": "tax-rates-5f6d7c8b9-m2n4p", "namespace": "tax", "node": "n2", "phase": "Running",
                    "ready": True}]}, "E5")]
    client = ["invoice-batch", "istio-proxy"] if client_sidecar else ["invoice-batch"]
    facts.objects += [(pod("invoice-batch-6b8c9d7f5-r4t7w", "billing", client, {"app": "invoice-batch"}), "E6"),
                      (pod("tax-rates-5f6d7c8b9-m2n4p", "tax", ["tax-rates", "istio-proxy"], {"app": "tax-rates"}),
                       "E7")]
    facts.objects += [(o, f"E{8 + i}") for i, o in enumerate(objects)]
    return facts


INCIDENT = alert(alertname="KubeJobFailed", namespace="billing", deployment="invoice-batch")


def test_a_namespace_wide_strict_policy_is_blamed_for_a_plaintext_client() -> None:
    facts = facts_with([peer_auth("istio-system", "PERMISSIVE"), peer_auth("tax", "STRICT")])
    [top, *_] = rank(subject_of(INCIDENT), facts)
    assert top.check == CHECK and top.ref is not None and (top.ref.kind, top.ref.namespace, top.ref.name) == (
        "PeerAuthentication", "tax", "default")
    assert "STRICT" in top.cause and "namespace tax" in top.cause and "no istio-proxy container" in top.cause
    assert "20 min before the alert" in top.cause and "E9" in top.evidence


def test_a_mesh_wide_policy_and_a_workload_policy_decide_in_istios_order() -> None:
    mesh_wide = facts_with([peer_auth("istio-system", "STRICT")], message=NODE_RESET)
    [top, *_] = rank(subject_of(INCIDENT), mesh_wide)
    assert top.ref is not None and top.ref.namespace == "istio-system" and "the whole mesh" in top.cause
    assert "socket hang up" in top.cause
    exempted = facts_with([peer_auth("istio-system", "STRICT"), peer_auth("tax", "PERMISSIVE", {"app": "tax-rates"})])
    assert all(c.check != CHECK for c in rank(subject_of(INCIDENT), exempted))


def test_linkerds_default_inbound_policy_is_read_from_the_namespace() -> None:
    facts = facts_with([{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "tax", "annotations": {"config.linkerd.io/default-inbound-policy": "all-authenticated"}}}])
    facts.objects[1] = (pod("tax-rates-5f6d7c8b9-m2n4p", "tax", ["linkerd-proxy", "tax-rates"], {}), "E7")
    [top, *_] = rank(subject_of(INCIDENT), facts)
    assert top.check == CHECK and top.ref is not None and (top.ref.kind, top.ref.name) == ("Namespace", "tax")
    assert "all-authenticated" in top.cause and "no linkerd-proxy container" in top.cause


def test_a_meshed_client_or_a_permissive_namespace_blames_no_policy() -> None:
    meshed = facts_with([peer_auth("tax", "STRICT")], client_sidecar=True)
    assert all(c.check != CHECK for c in rank(subject_of(INCIDENT), meshed))
    permissive = facts_with([peer_auth("tax", "PERMISSIVE")])
    assert all(c.check != CHECK for c in rank(subject_of(INCIDENT), permissive))
