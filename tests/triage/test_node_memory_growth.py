"""A node under MemoryPressure: the pod that grew, and its owner's config write that unbounded it
(agent.triage.node_memory_growth).

Two shapes: a Fluent Bit DaemonSet whose classic `fluent-bit.conf` lost `Mem_Buf_Limit` on its tail input, and an
OpenTelemetry Collector Deployment whose `config.yaml` pipelines lost `memory_limiter`; the series are shaped as
`prom_query_range` answers them (labels, first, max, change). Negative twins: the written file still bounds the
buffer (Fluent Bit YAML with mem_buf_limit, a classic input with filesystem storage); the whole node grew alike
(no one grower stands out); the write came after the growth began; another workload's config was written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import node_memory_growth as nm
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 7, 3, 4, 0, tzinfo=UTC)
NODE = "worker-b-17"
FLUENT_BIT = ("[SERVICE]\n    Flush 5\n\n[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n\n"
              "[OUTPUT]\n    Name loki\n    Match kube.*\n    Host loki-gateway.observability.svc\n")
FLUENT_BIT_BOUNDED = FLUENT_BIT.replace("    Tag kube.*\n", "    Tag kube.*\n    Mem_Buf_Limit 50MB\n", 1)
FLUENT_BIT_YAML = ("service:\n  flush: 5\npipeline:\n  inputs:\n    - name: tail\n"
                   "      path: /var/log/containers/*.log\n"
                   "      mem_buf_limit: 50MB\n  outputs:\n    - name: es\n      match: '*'\n")
FLUENT_BIT_FS = FLUENT_BIT.replace("    Tag kube.*\n", "    Tag kube.*\n    storage.type filesystem\n", 1)
OTEL = ("receivers:\n  otlp:\n    protocols:\n      grpc: {}\nprocessors:\n  batch: {}\nexporters:\n  otlphttp:\n"
        "    endpoint: http://tempo.tracing:4318\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
        "      processors: [batch]\n      exporters: [otlphttp]\n")
OTEL_BOUNDED = OTEL.replace("processors: [batch]", "processors: [memory_limiter, batch]")


def _series(pod: str, ns: str, first: float, peak: float, onset: str | None = None) -> dict[str, Any]:
    return {"labels": {"namespace": ns, "pod": pod}, "first": first, "max": peak, "last": peak,
            "change": {"at": onset, "shape": "ramp"} if onset else None}


def _facts(grower: tuple[str, str], data: dict[str, str], written: str = "2026-07-03T02:10:00Z",
           other_growth: float = 10e6, user: str | None = None) -> Facts:
    pod, ns = grower
    owner = nm.workload_ref(ns, pod)
    change = {"at": written, "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": "agent-conf"},
              "summary": f"ConfigMap {ns}/agent-conf updated by argocd: data key {next(iter(data))} set",
              "diff": [f"data key {next(iter(data))} set"],
              "related": [{"kind": owner.kind, "namespace": ns, "name": user or owner.name}]}
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": [change]}, scan={"findings": [
        {"check": "node.pressure", "severity": "warning", "object": {"kind": "Node", "name": NODE},
         "reason": "MemoryPressure", "message": f"Node {NODE}: MemoryPressure; 2 pod(s) evicted",
         "details": {"node": NODE, "condition": "MemoryPressure"}, "since": "2026-07-03T03:50:00Z"},
        {"check": "pod.evicted", "severity": "warning", "object": {"kind": "Deployment", "namespace": "shop",
                                                                     "name": "cart"},
         "owner": {"kind": "Deployment", "namespace": "shop", "name": "cart"}, "reason": "Evicted",
         "message": f"Deployment shop/cart: 1/3 pods Evicted, node {NODE} low on memory",
         "details": {"node": NODE, "resource": "memory"}}]})
    series = [_series(pod, ns, 60e6, 2.4e9, "2026-07-03T02:15:00Z"),
              _series("cart-7d9f8c6b5d-abcde", "shop", 300e6, 300e6 + other_growth)]
    configs = [{"change": change, "configmap": Ref("ConfigMap", ns, "agent-conf"), "data": data}] \
        if not user else []
    facts.reads[nm.STORE] = [{"node": NODE, "pressure": datetime(2026, 7, 3, 3, 50, tzinfo=UTC), "series": series,
                              "evidence": ["E30", "E31"], "configs": configs}]
    return facts


def test_fluent_bit_without_mem_buf_limit_is_named_over_the_node() -> None:
    facts = _facts(("log-shipper-x7k2p", "logging"), {"fluent-bit.conf": FLUENT_BIT})
    [top, *_] = rank(subject_of(from_text(f"pods keep getting evicted on node {NODE}")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ConfigMap", "agent-conf")
    assert "fluent-bit without Mem_Buf_Limit" in top.cause and "memory" in top.cause
    assert "57.2Mi -> 2.24Gi" in top.cause and "E31" in top.evidence


def test_an_otel_collector_without_memory_limiter() -> None:
    facts = _facts(("otel-gateway-6b7c9d8f5c-p2x9q", "observability"), {"config.yaml": OTEL})
    [u] = nm.found(facts)
    assert u.agent.bound == "memory_limiter" and u.owner == Ref("Deployment", "observability", "otel-gateway")
    assert Ref("Deployment", "shop", "cart") in u.evicted


def test_a_file_that_still_bounds_the_buffer_is_not_blamed() -> None:
    for data in ({"fluent-bit.conf": FLUENT_BIT_BOUNDED}, {"fluent-bit.yaml": FLUENT_BIT_YAML},
                 {"fluent-bit.conf": FLUENT_BIT_FS}):
        assert nm.found(_facts(("log-shipper-x7k2p", "logging"), data)) == [], data
    assert nm.found(_facts(("otel-gateway-6b7c9d8f5c-p2x9q", "observability"), {"config.yaml": OTEL_BOUNDED})) == []


def test_no_one_grower_standing_out_blames_nothing() -> None:
    assert nm.found(_facts(("log-shipper-x7k2p", "logging"), {"fluent-bit.conf": FLUENT_BIT}, other_growth=2e9)) == []


def test_a_write_after_the_growth_began_is_not_its_cause() -> None:
    facts = _facts(("log-shipper-x7k2p", "logging"), {"fluent-bit.conf": FLUENT_BIT}, written="2026-07-03T03:00:00Z")
    assert nm.found(facts) == []


def test_only_the_growers_owners_writes_are_read() -> None:
    facts = _facts(("log-shipper-x7k2p", "logging"), {"fluent-bit.conf": FLUENT_BIT}, user="metrics-agent")
    assert nm._config_writes(facts, Ref("DaemonSet", "logging", "log-shipper"),
                             datetime(2026, 7, 3, 2, 15, tzinfo=UTC)) == []
    assert nm.found(facts) == []


def test_the_agents_config_files_are_told_apart() -> None:
    yaml_agent, otel_agent = nm.agent_of(FLUENT_BIT_YAML), nm.agent_of(OTEL)
    assert yaml_agent is not None and yaml_agent.software == "fluent-bit" and yaml_agent.bounded(FLUENT_BIT_YAML)
    assert not yaml_agent.bounded(FLUENT_BIT_YAML.replace("      mem_buf_limit: 50MB\n", ""))
    assert otel_agent is not None and otel_agent.software == "opentelemetry-collector"
    assert nm.agent_of("worker_processes 1;\nhttp { server { listen 80; } }\n") is None


def _limit_facts(diff: str, written: str = "2026-07-03T01:40:00Z") -> Facts:
    facts = _facts(("log-shipper-x7k2p", "logging"), {"fluent-bit.conf": FLUENT_BIT_BOUNDED})
    assert facts.changes is not None
    facts.changes["changes"].append({
        "at": written, "type": "rollout",
        "object": {"kind": "DaemonSet", "namespace": "logging", "name": "log-shipper"},
        "summary": f"DaemonSet logging/log-shipper rolled out revision 7: {diff}", "diff": [diff], "revision": 7,
        "related": []})
    return facts


def test_a_rollout_that_removed_the_growers_memory_limit() -> None:
    facts = _limit_facts("shipper memory limit 256Mi -> none")
    [top, *_] = rank(subject_of(from_text(f"pods keep getting evicted on node {NODE}")), facts)
    assert top.ref == Ref("DaemonSet", "logging", "log-shipper")
    assert "memory limit 256Mi -> none" in top.cause and "MemoryPressure" in top.cause


def test_a_raised_or_unrelated_limit_change_is_not_a_removal() -> None:
    assert nm.limits_removed(_limit_facts("shipper memory limit 256Mi -> 512Mi")) == []
    assert nm.limits_removed(_limit_facts("shipper cpu limit 200m -> none")) == []
    assert nm.limits_removed(_limit_facts("shipper memory limit 256Mi -> none", written="2026-07-03T03:30:00Z")) == []
