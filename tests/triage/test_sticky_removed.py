"""agent.triage.sticky_removed: a routing object written without session affinity before its multi-replica backend
began to lose per-pod (in-memory) sessions.

Shapes: an ingress-nginx Ingress re-synced by Argo CD without `affinity: cookie`, the Spring app's lines read by grep
(`Request requested invalid session id`); a Service whose `sessionAffinity: ClientIP` a chart dropped, an Express app
saying `session not found` in its classified log. Twins: the Ingress still carries cookie affinity; a single
replica; sessions lost before the write; a written Ingress that routes to another Service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.sticky_removed import READS, affinity, found, lost, suspects

AT = datetime(2026, 12, 4, 8, 25, tzinfo=UTC)
SPRING = ("2026-12-04T08:03:00.000Z  WARN 1 --- [http-nio-8080-exec-3] o.s.s.w.session.SessionManagementFilter  : "
          "Request requested invalid session id 00000192F549EECC")
EXPRESS = '{"level":"warn","msg":"session not found for sid, redirecting to /login","status":302}'


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def ingress(annotations: dict[str, str], backend: str = "claims") -> dict[str, Any]:
    return {"kind": "Ingress", "metadata": {"name": "claims", "namespace": "legacy", "annotations": annotations},
            "spec": {"rules": [{"host": "claims.example.com", "http": {"paths": [
                {"path": "/", "backend": {"service": {"name": backend, "port": {"number": 80}}}}]}}]}}


def spring(obj: dict[str, Any], replicas: int = 3, written: datetime = AT - timedelta(minutes=27)) -> Facts:
    facts = Facts(at=AT)
    facts.logs = [LogEvidence(pod="claims-5c4b7d8f9-x2k4q", namespace="legacy", evidence_id="L1", top=None,
                              hosts=[], error_classes=set(), previous=False)]
    facts.reads[READS] = {"pods": {"legacy/claims": replicas}, "lines": [("legacy", "claims-5c4b7d8f9-x2k4q", SPRING)],
                          "routes": [{"key": "Ingress legacy/claims", "kind": "Ingress", "namespace": "legacy",
                                      "name": "claims", "at": iso(written), "by": "argocd-controller",
                                      "object": obj, "evidence": ["E2", "E9"]}]}
    return facts


NGINX_NOW = {"nginx.ingress.kubernetes.io/proxy-body-size": "20m", "argocd.argoproj.io/tracking-id": "x"}


def test_wordings_and_affinity_settings() -> None:
    assert lost({"message": SPRING}) and lost({"message": EXPRESS})
    assert not lost({"message": "session expired after 30 min idle"}) and not lost({"message": "GET / 200"})
    assert affinity(ingress({"nginx.ingress.kubernetes.io/affinity": "cookie"}))
    assert affinity({"spec": {"sessionAffinity": "ClientIP"}})
    assert affinity({"spec": {"trafficPolicy": {"loadBalancer": {"consistentHash": {"httpCookie": {"name": "s"}}}}}})
    assert not affinity(ingress(NGINX_NOW)) and not affinity({"spec": {"sessionAffinity": "None"}})


def test_ingress_synced_without_cookie_affinity_is_named() -> None:
    hits = suspects(spring(ingress(NGINX_NOW)))
    assert len(hits) == 1
    ref, finding, _, explains = hits[0]
    assert (ref.kind, ref.name) == ("Ingress", "claims") and explains[0].name == "claims"
    head = finding["message"][:400]
    for word in ("affinity", "sticky", "annotation", "in-memory", "3 replicas", "invalid session id"):
        assert word in head, word


def test_service_that_lost_session_affinity_is_named_from_the_classified_log() -> None:
    facts = Facts(at=AT)
    entry = {"message": EXPRESS, "example": EXPRESS, "first_seen": iso(AT - timedelta(minutes=40)),
             "severity": "warning"}
    facts.logs = [LogEvidence(pod="shop-7f9c8d6b4-m4n8p", namespace="web", evidence_id="L1", top=None, hosts=[],
                              error_classes=set(), previous=False, warnings=[entry])]
    service = {"kind": "Service", "metadata": {"name": "shop", "namespace": "web"},
               "spec": {"sessionAffinity": "None", "selector": {"app": "shop"}}}
    facts.reads[READS] = {"pods": {"web/shop": 2}, "lines": [],
                          "routes": [{"key": "Service web/shop", "kind": "Service", "namespace": "web", "name": "shop",
                                      "at": iso(AT - timedelta(minutes=50)), "by": "helm", "object": service,
                                      "evidence": ["E2"]}]}
    hits = found(facts)
    assert len(hits) == 1 and str(hits[0].route) == "Service web/shop" and hits[0].replicas == 2


def test_twins_affinity_kept_one_replica_lost_before_or_another_backend() -> None:
    assert not found(spring(ingress({**NGINX_NOW, "nginx.ingress.kubernetes.io/affinity": "cookie"})))
    assert not found(spring(ingress(NGINX_NOW), replicas=1))
    assert not found(spring(ingress(NGINX_NOW), written=AT - timedelta(minutes=10)))   # after 08:03's first loss
    assert not found(spring(ingress(NGINX_NOW, backend="claims-ocr")))
