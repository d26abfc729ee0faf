"""A per-client quota on a shared broker or gateway cut, and the client throttled after it
(agent.triage.client_quota).

Written here, not taken from the held-out bundles. Shapes: a Strimzi KafkaUser in the broker's namespace whose
`spec.quotas.producerByteRate` a GitOps sync cut, with the producer's own `kafka_producer_produce_throttle_time_avg`
rising from 0 after it (metrics, caller namespace); a Kong `rate-limiting` KongPlugin whose `config.minute` was cut,
with a caller's log saying `429 Too Many Requests` (logs, no gauge). Negative twins: the producer throttled before
the write too, a quota raised, a quota write with no throttled client, and a ConfigMap that merely names a quota.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import client_quota as cq
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 7, 30, 18, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=55)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: str) -> dict[str, Any]:
    return {"at": _iso(WRITE), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by flux: {diff}", "diff": [diff]}


KAFKA_USER = _write("KafkaUser", "streaming", "billing-writer",
                    'spec.quotas = {"producerByteRate": 51200, "consumerByteRate": 2097152}')
KONG = _write("KongPlugin", "gateway", "partner-rate-limit", "config.minute: 6000 -> 60")


@dataclass
class Hub:
    """The tool hub: the clients' throttle-time gauge (ms), now and before the write."""

    now: float | None
    before: float | None

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool != "prom_query":
            return None
        value = self.now if step.endswith("-now") else self.before
        samples = [] if value is None else [
            {"labels": {"namespace": "billing", "pod": "invoice-api-5d8f7c9b6-tqzxw"}, "value": value}]
        return outcome(True, {"samples": samples}, "", "E5" if step.endswith("-now") else "E6")


def _found(change: dict[str, Any], hub: Hub, said: str = "") -> list[cq.Throttled]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    if said:
        facts.logs.append(LogEvidence(pod="partner-sync-6c7d8f9b5-wxzkq", namespace="partners", evidence_id="E7",
                                      top={"example": said, "severity": "error"}, hosts=[], error_classes=set(),
                                      previous=False))
    asyncio.run(cq.read(Subject(namespace="billing"), facts, hub, _iso(AT)))
    return cq.found(facts)


def test_kafka_user_quota_cut_with_producer_throttled_is_named_with_its_meaning() -> None:
    found = _found(KAFKA_USER, Hub(now=870.0, before=0.0))
    assert [str(t.holder) for t in found] == ["KafkaUser streaming/billing-writer"]
    head = cq.finding(found[0])["message"][:400]
    assert head.startswith("KafkaUser streaming/billing-writer cut a per-client quota (spec.quotas")
    assert "producerByteRate" in head and "throttle" in head and "billing/invoice-api" in head


def test_gateway_rate_limit_cut_with_caller_429s_is_named() -> None:
    said = "POST https://api.example.com/v2/partners/sync failed: 429 Too Many Requests"
    found = _found(KONG, Hub(now=None, before=None), said=said)
    assert [t.client for t in found] == ["partners/partner-sync"]
    assert "429" in cq.finding(found[0])["message"]


def test_producer_throttled_before_the_write_is_not_named() -> None:
    assert _found(KAFKA_USER, Hub(now=870.0, before=800.0)) == []


def test_quota_raised_is_no_candidate() -> None:
    raised = _write("KongPlugin", "gateway", "partner-rate-limit", "config.minute: 60 -> 6000")
    assert _found(raised, Hub(now=None, before=None), said="429 Too Many Requests") == []


def test_quota_write_without_a_throttled_client_names_nothing() -> None:
    assert _found(KAFKA_USER, Hub(now=0.0, before=0.0)) == []
    assert _found(KAFKA_USER, Hub(now=None, before=None), said="connection refused") == []


def test_configmap_naming_a_quota_is_no_candidate() -> None:
    cm = _write("ConfigMap", "billing", "invoice-api", "data key quota set by kubectl-edit")
    assert _found(cm, Hub(now=870.0, before=0.0)) == []


# The same class at an ingress controller's door: an ingress-nginx rate-limit annotation cut on an Ingress, proven
# by the controller's own error log (nginx limit_req), and a Traefik Middleware's rateLimit cut, proven by a
# caller's 429. Twins: an Ingress write that touches no rate limit, and an annotation raised.
NGINX_SAID = ('2026/07/30 17:10:01 [error] 31#31: *812 limiting requests, excess: 10.240 by zone '
              '"partners-api-limit-rps", client: 10.2.3.4, server: api.example.com, request: "POST /v2/sync HTTP/1.1"')


def test_ingress_nginx_limit_rps_cut_is_named_from_the_controllers_refusals() -> None:
    change = _write("Ingress", "partners", "partners-api",
                    "metadata.annotations.nginx.ingress.kubernetes.io/limit-rps: 200 -> 2")
    found = _found(change, Hub(now=None, before=None), said=NGINX_SAID)
    assert [str(t.holder) for t in found] == ["Ingress partners/partners-api"]
    message = cq.finding(found[0])["message"]
    assert "limit-rps: 200 -> 2" in message[:400] and "503" in message[:400]
    assert "limiting requests, excess: 10.240 by zone" in message


def test_traefik_middleware_rate_limit_cut_with_caller_429s_is_named() -> None:
    change = _write("Middleware", "edge", "partner-ratelimit", "spec.rateLimit.average: 500 -> 5")
    said = "sync batch 17 failed: HTTP 429 Too Many Requests from https://api.example.com/v2/sync"
    found = _found(change, Hub(now=None, before=None), said=said)
    assert [str(t.holder) for t in found] == ["Middleware edge/partner-ratelimit"]
    assert "429" in cq.finding(found[0])["message"][:400]


def test_ingress_write_without_a_rate_limit_or_with_it_raised_is_no_candidate() -> None:
    hosts = _write("Ingress", "partners", "partners-api", "spec.rules[0].host: api.example.com -> api2.example.com")
    assert _found(hosts, Hub(now=None, before=None), said=NGINX_SAID) == []
    raised = _write("Ingress", "partners", "partners-api",
                    "metadata.annotations.nginx.ingress.kubernetes.io/limit-rps: 2 -> 200")
    assert _found(raised, Hub(now=None, before=None), said=NGINX_SAID) == []
