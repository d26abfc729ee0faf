"""DNS lookups failing at a resolver address, and the failing workload that serves it (agent.triage.resolver_down).

Two shapes: a node-local DNS cache DaemonSet (its log binds a link-local address) OOMKilled after a rollout cut its
memory limit, the victims' Go lookups timing out there; a cluster DNS Deployment (its log binds the Service IP)
crash looping, the victims' lookups refused, no rollout. Negative twins: the serving workload is healthy (no scan
finding); the victims' error is an answer (NXDOMAIN, `no such host`), not a failed exchange; the failing workload
serves another address.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agent.triage import rank, resolver_down
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject

AT = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)


def _log(ns: str, pod: str, line: str, eid: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id=eid, top={"message": line}, hosts=[], error_classes=set(),
                       previous=False)


def _facts(victim_line: str, server: Ref, server_pod: str, binds: str, check: str = "pod.oomkilled",
           rollout: str | None = None) -> Facts:
    changes = [{"at": "2026-05-02T09:00:00Z", "type": "rollout",
                "object": {"kind": server.kind, "namespace": server.namespace, "name": server.name},
                "summary": f"{server} rolled out", "diff": [rollout]}] if rollout else []
    findings = [{"check": check, "severity": "critical",
                 "object": {"kind": server.kind, "namespace": server.namespace, "name": server.name},
                 "message": f"{server}: 3/3 pods failing"}] if check else []
    facts = Facts(at=AT, scan_id="E1", changes_id="E2", scan={"findings": findings}, changes={"changes": changes})
    facts.logs = [_log("billing", "invoicer-6c8d7f9b5c-k2j4x", victim_line, "E10"),
                  _log(server.namespace, server_pod, binds, "E11")]
    return facts


GO_TIMEOUT = ("send failed: dial tcp: lookup smtp.mail.example.org on 169.254.25.10:53: read udp "
              "10.8.1.4:51234->169.254.25.10:53: i/o timeout")
NODE_CACHE = Ref("DaemonSet", "dns-system", "dns-cache")


def test_a_node_local_cache_oomkilled_after_its_limit_cut_is_named() -> None:
    facts = _facts(GO_TIMEOUT, NODE_CACHE, "dns-cache-x8k2p", "cluster.local.:53 on 169.254.25.10",
                   rollout="cache memory limit 200Mi -> 40Mi")
    [r] = resolver_down.found(facts)
    assert r.server == NODE_CACHE and r.how == "i/o timeout" and r.change == "cache memory limit 200Mi -> 40Mi"
    [top, *_] = rank(Subject(namespace="billing", names=["invoicer"]), facts)
    assert top.ref == NODE_CACHE and "memory limit 200Mi -> 40Mi" in top.cause and "169.254.25.10" in top.cause


def test_a_crashlooping_cluster_dns_refusing_lookups_is_named_without_a_rollout() -> None:
    dns = Ref("Deployment", "kube-system", "kube-dns")
    line = ("lookup orders-db.data.svc.cluster.local on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: "
            "connection refused")
    facts = _facts(line, dns, "kube-dns-7b9c8d6f5c-q8w2z", "[INFO] plugin/reload: .:53 on 10.96.0.10",
                   check="pod.crashloop")
    [r] = resolver_down.found(facts)
    assert r.server == dns and r.how == "connection refused" and r.change == ""


def test_a_healthy_resolver_is_not_named() -> None:
    assert resolver_down.found(_facts(GO_TIMEOUT, NODE_CACHE, "dns-cache-x8k2p", "cluster.local.:53 on 169.254.25.10",
                                      check="")) == []


def test_an_nxdomain_answer_is_not_a_resolver_failure() -> None:
    line = "dial tcp: lookup smtp.mail.example.org on 169.254.25.10:53: no such host"
    assert resolver_down.found(_facts(line, NODE_CACHE, "dns-cache-x8k2p", "cluster.local.:53 on 169.254.25.10")) == []


def test_a_failing_workload_serving_another_address_is_not_named() -> None:
    assert resolver_down.found(_facts(GO_TIMEOUT, NODE_CACHE, "dns-cache-x8k2p", "cluster.local.:53 on 10.96.0.10")) \
        == []
