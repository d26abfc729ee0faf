"""Outside audit of agent.triage.workload_id: other meshes, the ServiceAccount as the name, SPIRE issuing none.

Written here from the software's own wording, not from any benchmark bundle. Shapes: a caller Deployment moved to
another ServiceAccount under Linkerd, the callee's proxy logging `Request denied server.group=policy.linkerd.io`
(its MeshTLSAuthentication lists the old identity); the same rename under Istio, the caller printing the 403 body
`RBAC: access denied`; a ClusterSPIFFEID whose podSelector was edited, the workload's go-spiffe client told `no
identity issued`; an IstioOperator's `meshConfig.trustDomain` edited, Envoy's RBAC debug line `enforced denied,
matched policy`. Negative twins: a Deployment write that changes only its image before the same RBAC denial; a
ServiceAccount rename followed by the Kubernetes API's own `forbidden` (API RBAC, not a peer refusing an
identity); a Linkerd denial with no identity write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import workload_id as wi
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LINKERD = ('[  3021.112s]  INFO ThreadId(01) inbound:server{port=8080}: linkerd_app_inbound::policy::authorize::http: '
           'Request denied server.group=policy.linkerd.io server.kind=server server.name=orders-http route.group= '
           'route.kind=default route.name=default client.tls=Some(Established { client_id: Some(ClientId(Name('
           '"storefront-v2.shop.serviceaccount.identity.linkerd.cluster.local"))), negotiated_protocol: None }) '
           'client.ip=10.42.1.17')
ISTIO_BODY = ('ERROR [http-nio-8080-exec-4] c.e.s.OrdersClient : POST http://orders.shop.svc:8080/v1/orders failed: '
              '403 Forbidden: "RBAC: access denied"')
NO_ID = ('level=error msg="unable to fetch X509 SVID" error="rpc error: code = PermissionDenied desc = no identity '
         'issued"')
ENVOY_RBAC = ("2026-11-20T07:31:22.500Z\tdebug\tenvoy rbac\tenforced denied, matched policy none\tthread=21")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: str, minutes: int = 35) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller: {diff}", "diff": [diff]}


def _found(changes: list[dict[str, Any]], pod: str, ns: str, line: str) -> list[wi.Renamed]:
    log = LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"message": line, "example": line}, hosts=[],
                      error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])
    asyncio.run(wi.read(Subject(), facts, RecordingHub(objects={}), _iso(AT)))
    return wi.found(facts)


SA_RENAME = _write("Deployment", "shop", "storefront",
                   "spec.template.spec.serviceAccountName: storefront -> storefront-v2")


def test_linkerd_callee_denies_the_renamed_service_account() -> None:
    got = _found([SA_RENAME], "orders-7b9cd8f6d5-x2z8q", "shop", LINKERD)
    assert [(str(r.target), r.refused_by) for r in got] == [("Deployment shop/storefront", "orders")]
    message = wi.finding(got[0])["message"]
    assert message.startswith("Deployment shop/storefront changed its ServiceAccount")
    assert "storefront-v2" in message and "Request denied" in message


def test_istio_rbac_body_after_a_service_account_rename() -> None:
    got = _found([SA_RENAME], "storefront-5d6f7c8b9d-k2j4h", "shop", ISTIO_BODY)
    assert [str(r.target) for r in got] == ["Deployment shop/storefront"]


def test_spire_selector_edit_leaves_workloads_without_identity() -> None:
    edit = _write("ClusterSPIFFEID", "", "payments", "spec.podSelector.matchLabels: spiffe.io/spire-managed-identity")
    got = _found([edit], "payments-6d8c7b9f4d-z9y8x", "pay", NO_ID)
    assert [str(r.target) for r in got] == ["ClusterSPIFFEID payments"]
    assert "no identity issued" in wi.finding(got[0])["message"]


def test_istio_operator_trust_domain_with_envoy_rbac_debug() -> None:
    edit = _write("IstioOperator", "istio-system", "installed-state",
                  "spec.meshConfig.trustDomain: corp.example -> prod.corp.example")
    got = _found([edit], "ledger-6b7c8d9f5b-zx8cv", "books", ENVOY_RBAC)
    assert [(str(r.target), r.template) for r in got] == [("IstioOperator istio-system/installed-state",
                                                           "prod.corp.example")]


def test_image_only_deployment_write_is_no_identity_change() -> None:
    image = _write("Deployment", "shop", "storefront", "spec.template.spec.containers[0].image: storefront:4.2")
    assert _found([image], "storefront-5d6f7c8b9d-k2j4h", "shop", ISTIO_BODY) == []


def test_kubernetes_api_forbidden_is_not_a_peer_refusing_an_identity() -> None:
    api = ('pods is forbidden: User "system:serviceaccount:shop:storefront-v2" cannot list resource "pods" in API '
           'group "" in the namespace "shop"')
    assert _found([SA_RENAME], "storefront-5d6f7c8b9d-k2j4h", "shop", api) == []


def test_linkerd_denial_without_an_identity_write_names_nothing() -> None:
    assert _found([], "orders-7b9cd8f6d5-x2z8q", "shop", LINKERD) == []
