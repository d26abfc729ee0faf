"""Workload identity names changed by a template, peers refuse the new IDs (agent.triage.workload_id).

Written here, not taken from the held-out bundles. Shapes: a SPIRE ClusterSPIFFEID template edited, the paged
caller only sees `tls: bad certificate` and the callee's `unexpected ID` is read from the host the caller names;
Istio's mesh trust domain edited in its ConfigMap, the callee (the subject) logs the RBAC denial itself. Negative
twins: a ConfigMap write that names no trust domain, the same handshake failure with no identity write, a template
written while the caller fails with a plain timeout.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import workload_id as wi
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 9, 14, 0, tzinfo=UTC)
CALLER = ('{"level":"error","msg":"quote failed","error":"rpc error: code = Unavailable desc = connection error: '
          'desc = \\"transport: authentication handshake failed: remote error: tls: bad certificate\\"",'
          '"target":"pricing.catalog.svc:9443"}')
CALLEE = 'http: TLS handshake error from 10.2.0.7:51234: unexpected ID "spiffe://corp.io/k8s/ns/cart/sa/cart"'
RBAC = ('[2026-10-09T13:50:00.000Z] "POST /ledger.v1/Post HTTP/2" 403 - rbac_access_denied_matched_policy[none] '
        '"-" 0 19 0 - "-" "grpc-go/1.66" "x" "ledger.books.svc" "-"')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: str, minutes: int = 40) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written by argocd-controller: {diff}", "diff": [diff]}


def _log(pod: str, ns: str, text: str, hosts: list[str] | None = None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"message": text, "example": text},
                       hosts=hosts or [], error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


SPIRE = _write("ClusterSPIFFEID", "", "workloads",
               "spec.spiffeIDTemplate = 'spiffe://corp.io/k8s/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.Sa }}'")


def _hub() -> RecordingHub:
    return RecordingHub(lists={("Pod", "catalog"): [{"name": "pricing-mldjdxrhbk-cvl4l"}, {"name": "search-1-x"}]},
                        logs={"pricing-mldjdxrhbk-cvl4l": [CALLEE, "rates served caller=spiffe://corp.io/ns/cart/sa/cart"]})


def _run(facts: Facts, hub: RecordingHub) -> list[wi.Renamed]:
    asyncio.run(wi.read(Subject(), facts, hub, _iso(AT)))
    return wi.found(facts)


def test_spire_template_named_with_the_callees_refusal() -> None:
    facts = _facts([SPIRE], [_log("cart-7c9-q1w2e", "cart", CALLER, ["pricing.catalog.svc:9443"])])
    hub = _hub()
    got = _run(facts, hub)
    assert [str(r.target) for r in got] == ["ClusterSPIFFEID workloads"]
    assert got[0].refused_by == "pricing" and got[0].template.startswith("spiffe://corp.io/k8s/ns/{{ .PodMeta")
    message = wi.finding(got[0])["message"]
    assert message.startswith("ClusterSPIFFEID workloads changed the workload identity (SPIFFE ID) template")
    assert "unexpected ID" in message and "bad certificate" in message
    assert ("k8s_logs", {"name": "pricing-mldjdxrhbk-cvl4l", "namespace": "catalog", "grep": "spiffe", "tail": 2000}) \
        in hub.calls


def test_istio_trust_domain_with_the_callee_as_subject() -> None:
    facts = _facts([_write("ConfigMap", "istio-system", "istio", "data.mesh: trustDomain: prod.corp.io")],
                   [_log("ledger-6b7-z9y8x", "books", RBAC)])
    got = _run(facts, RecordingHub(objects={}))
    assert [str(r.target) for r in got] == ["ConfigMap istio-system/istio"]
    assert got[0].template == "prod.corp.io" and got[0].refusal.startswith("rbac_access_denied")


def test_configmap_without_identity_fields_is_not_named() -> None:
    facts = _facts([_write("ConfigMap", "istio-system", "istio", "data.mesh: accessLogFile: /dev/stdout")],
                   [_log("ledger-6b7-z9y8x", "books", RBAC)])
    assert _run(facts, RecordingHub(objects={})) == []


def test_handshake_failure_without_identity_write_reads_and_names_nothing() -> None:
    facts = _facts([], [_log("cart-7c9-q1w2e", "cart", CALLER, ["pricing.catalog.svc:9443"])])
    hub = _hub()
    assert _run(facts, hub) == [] and hub.calls == []


def test_template_write_with_a_plain_timeout_is_not_named() -> None:
    facts = _facts([SPIRE], [_log("cart-7c9-q1w2e", "cart", "dial tcp 10.0.0.9:9443: i/o timeout")])
    assert _run(facts, _hub()) == []
