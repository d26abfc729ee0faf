"""Clients see HTTP errors the service never logged: the proxy in front is read (agent.triage.front_proxy).

Pod rows are the Kubernetes MCP server's own `k8s_list` rows (ListRow: images, status); the access-log line is
Kong's default (NGINX combined) format for a request its rate-limiting plugin answered 429. Negative twins: an
incident that is not about HTTP errors, one whose service already logged its errors, pods that are not proxies
or not running.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agent.incident import from_alertmanager
from agent.triage import front_proxy, governing_limits
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject, subject_of


def _subject(summary: str) -> Subject:
    labels = {"alertname": "MobileApiHighClientErrorRate", "namespace": "mobile", "severity": "critical"}
    notes = {"summary": summary, "description": summary}
    payload = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "{}", "groupLabels": {},
               "commonLabels": labels, "commonAnnotations": notes, "externalURL": "",
               "alerts": [{"status": "firing", "labels": labels, "annotations": notes,
                           "startsAt": "2026-05-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                           "fingerprint": "abc", "generatorURL": ""}]}
    [incident] = from_alertmanager(payload)
    return subject_of(incident)


FACTS = Facts(at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC))


def test_http_errors_nobody_logged_want_the_proxies() -> None:
    assert front_proxy.wanted(_subject("Mobile API 4xx ratio above 20%"), FACTS)
    assert front_proxy.wanted(_subject("Checkout 5xx error rate burns the SLO"), FACTS)
    assert not front_proxy.wanted(_subject("Pod is crash looping"), FACTS)
    logged = Facts(at=FACTS.at, logs=[LogEvidence(pod="bff-7d9f8-x2kfq", namespace="mobile", evidence_id="E5",
                                                  top={"message": "upstream timed out"}, hosts=[],
                                                  error_classes={"timeout"}, previous=False)])
    assert not front_proxy.wanted(_subject("Mobile API 4xx ratio above 20%"), logged)


def test_proxies_are_running_gateway_pods_one_per_workload_gateways_first() -> None:
    rows = [{"name": "mobile-bff-6d5f8b7c9-x2kfq", "namespace": "mobile", "status": "Running",
             "images": ["registry.example.com/mobile/bff:2.14.1"]},
            {"name": "edge-envoy-6d5f8b7c9-m4tzz", "namespace": "shop", "status": "Running",
             "images": ["envoyproxy/envoy:v1.31.2"]},
            {"name": "kong-gateway-2pbl2kc9pk-fcl8h", "namespace": "kong", "status": "Running",
             "images": ["kong/kong-gateway:3.8"]},
            {"name": "kong-gateway-2pbl2kc9pk-sxh2f", "namespace": "kong", "status": "Running",
             "images": ["kong/kong-gateway:3.8"]},
            {"name": "traefik-5b6c7d8f9-h7ndl", "namespace": "traefik", "status": "CrashLoopBackOff",
             "images": ["traefik:v3.1"]}]
    picked = [r["name"] for r in front_proxy.proxies(rows)]
    assert picked == ["kong-gateway-2pbl2kc9pk-fcl8h", "edge-envoy-6d5f8b7c9-m4tzz"]


def test_an_access_log_line_answered_429_is_a_gateway_rate_limit() -> None:
    line = ('10.0.1.11 - - [25/Nov/2026:12:31:12 +0000] "POST /v2/cart HTTP/1.1" 429 41 "-" "okhttp/4.12.0" '
            'kong_request_id: "8cc591e1-c455-41e9-ade0-405c2921"')
    [family] = [g for g in governing_limits.LIMITS if g.name == "gateway_rate_limit"]
    assert family.error.search(line)
    assert not family.error.search(line.replace('" 429 ', '" 200 '))
