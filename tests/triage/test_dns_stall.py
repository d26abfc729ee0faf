"""Lookups that wait out the resolver's 5 s timeout, and the rollout to a musl base image (agent.triage.dns_stall).

Log lines are real HTTP clients' timing formats: got's JSON `timings.phases.dns` in ms (Node.js), a Go service's
logfmt `dns_ms=`, a Python client's `dnsLookup: 5.01s`. The rollout line is the change timeline's own format
(`<container> image OLD -> NEW`). Negative twins: fast lookups, a 3 s stall (not the resolver's timeout), a
single stall, a rollout to a glibc image.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import dns_stall
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
GOT = ('{"level":"warn","msg":"upstream request completed","upstream":"pricing-api.pricing.svc.cluster.local",'
       '"timings":{"phases":{"wait":0,"dns":%d,"tcp":1,"firstByte":38,"total":%d}}}')
LOGFMT = 'level=warn msg="call done" host=ledger.payments.svc dns_ms=%d connect_ms=1 total_ms=%d'


def _log(pod: str, ns: str, lines: list[str]) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"message": lines[0]}, hosts=[],
                       error_classes=set(), previous=False, warnings=[{"message": x} for x in lines[1:]])


def _rollout(ns: str, name: str, old: str, new: str) -> dict[str, Any]:
    line = f"{name} image {old} -> {new}"
    return {"at": (AT - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 32: {line}", "diff": [line]}


def test_timings_at_the_resolver_timeout_in_three_formats() -> None:
    assert [round(s, 3) for s, _ in dns_stall.stalls_in([GOT % (5003, 5044)])] == [5.003]
    assert [round(s, 3) for s, _ in dns_stall.stalls_in([LOGFMT % (10012, 10060)])] == [10.012]
    assert [s for s, _ in dns_stall.stalls_in(["GET /quote dnsLookup: 5.01s connect: 0.002s"])] == [5.01]
    assert dns_stall.stalls_in([GOT % (40, 80), LOGFMT % (3004, 3050)]) == []


def test_a_rollout_to_alpine_is_named_as_the_trigger() -> None:
    logs = [_log("catalog-6d5f8b7c9-x2kfq", "shop", [GOT % (5003, 5044), GOT % (5011, 5060), GOT % (2, 40)])]
    change = _rollout("shop", "catalog", "registry.example.com/shop/catalog:2.4.0-bookworm-slim",
                      "registry.example.com/shop/catalog:2.5.0-alpine3.20")
    [s] = dns_stall.found(Facts(at=AT, logs=logs, changes={"changes": [change]}, changes_id="E2"))
    message = dns_stall.finding(s)["message"]
    assert s.workload.name == "catalog" and s.stalls == 2 and s.image is not None
    assert "musl" in message and "conntrack" in message and "revision 32" in message and "E2" in s.evidence


def test_negative_twins_single_stall_and_glibc_rollout() -> None:
    one = [_log("ledger-client-6d5f8b7c9-m4tzz", "payments", [LOGFMT % (5003, 5040), LOGFMT % (3, 40)])]
    assert dns_stall.found(Facts(at=AT, logs=one)) == []
    stalls = [_log("ledger-client-6d5f8b7c9-m4tzz", "payments", [LOGFMT % (5003, 5040), LOGFMT % (5007, 5050)])]
    glibc = _rollout("payments", "ledger-client", "registry.example.com/ledger:1.0-alpine3.19",
                     "registry.example.com/ledger:1.1-bookworm-slim")
    [s] = dns_stall.found(Facts(at=AT, logs=stalls, changes={"changes": [glibc]}))
    assert s.change is None and "NodeLocal DNSCache" in dns_stall.finding(s)["message"]
