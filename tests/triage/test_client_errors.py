"""A dependency's rollout blamed for a client's errors quotes the client's own words beside the diff.

Facts in the tools' output shapes (topology dependencies, k8s_changes rollout lines, log facts);
the client errors are grpc-go's (zap's `error` field), grpc-java's and an HTTP client's 413.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import alert

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BFF = {"kind": "Deployment", "namespace": "bff", "name": "storefront-bff"}
STOCK = {"kind": "Deployment", "namespace": "inventory", "name": "stock-service"}

CLIENT_SAYS = [
    ("ListStock failed", {"error": "rpc error: code = ResourceExhausted desc = grpc: received message larger than "
                                   "max (5242880 vs. 4194304)"}, "rate_limited", "4194304"),
    ("io.grpc.StatusRuntimeException: RESOURCE_EXHAUSTED: gRPC message exceeds maximum size 4194304: 6291456", {},
     "rate_limited", "max receive message size"),
    ("POST http://stock-service.inventory.svc:9090/v1/reserve returned 413 Request Entity Too Large", {},
     "http_4xx", "body size limit"),
]


def _facts(message: str, fields: dict[str, str], error_class: str) -> Facts:
    rollout = {"at": "2026-05-01T11:35:00Z", "type": "rollout", "object": STOCK,
               "summary": "Deployment inventory/stock-service rolled out revision 13: stock-service image "
                          "stock-service:3.8.4 -> stock-service:3.9.0",
               "diff": ["stock-service image stock-service:3.8.4 -> stock-service:3.9.0"], "related": []}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, changes_id="E2", changes={"changes": [rollout]})
    facts.topologies.append(({"subject": BFF, "pods": [{"name": "storefront-bff-7c9d8f6b5d-x2x9z", "namespace": "bff"}],
                              "dependencies": [{"target": {"kind": "Service", "namespace": "inventory",
                                                           "name": "stock-service"},
                                                "via": "env STOCK_ADDR", "healthy": True}]}, "E3"))
    top = {"message": message, "template": message, "example": message, "severity": "error",
           "error_class": error_class, "fields": fields, "count": 30}
    facts.logs.append(LogEvidence(pod="storefront-bff-7c9d8f6b5d-x2x9z", namespace="bff", evidence_id="E4", top=top,
                                  hosts=[], error_classes={error_class}, previous=False))
    return facts


@pytest.mark.parametrize(("message", "fields", "error_class", "detail"), CLIENT_SAYS)
def test_the_rollout_finding_quotes_the_clients_error(message: str, fields: dict[str, str], error_class: str,
                                                      detail: str) -> None:
    suspects = rank(subject_of(alert(alertname="ErrorBudgetBurn", namespace="bff", service="storefront-bff")),
                    _facts(message, fields, error_class))
    top = suspects[0]
    assert top.ref is not None and top.ref.name == "stock-service"
    assert "its client storefront-bff fails since" in top.cause and detail in top.cause
    assert "3.9.0" in top.cause


def test_no_client_error_no_quote() -> None:
    facts = _facts("request served", {}, "none")
    facts.logs[0].top = None
    suspects = rank(subject_of(alert(alertname="ErrorBudgetBurn", namespace="bff", service="storefront-bff")), facts)
    assert all("fails since" not in s.cause for s in suspects)
