"""agent.triage.keyed_scaleout: a per-key stage scaled out while its senders do not route by the key.

Shapes: an HPA added on an OpenTelemetry Collector gateway running `tail_sampling` (config by the chart's
`<name>-config` name), its agents exporting with a plain `otlp` exporter to the Service; a Vector aggregator
StatefulSet whose replicas a write raised to 3, a `reduce` transform in the ConfigMap it mounts. Twins: agents using
the `loadbalancing` exporter keyed on traceID, a gateway with only `batch` (stateless), and an HPA holding 1 replica.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import keyed_scaleout as ks
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
GATEWAY = ("receivers:\n  otlp: {}\nprocessors:\n  tail_sampling:\n    decision_wait: 10s\n    policies: []\n"
           "exporters:\n  otlp/tempo:\n    endpoint: tempo:4317\n")
STATELESS = "receivers:\n  otlp: {}\nprocessors:\n  batch: {}\nexporters:\n  otlp/tempo:\n    endpoint: tempo:4317\n"
AGENT_PLAIN = "exporters:\n  otlp:\n    endpoint: traces-gw.tracing.svc:4317\n"
AGENT_LB = ("exporters:\n  loadbalancing:\n    routing_key: traceID\n    protocol:\n      otlp: {}\n    resolver:\n"
            "      dns:\n        hostname: traces-gw-headless.tracing.svc\n")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cm(name: str, ns: str, text: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"config.yaml": text}}


def hpa_case(gateway: str, agent: str, replicas: int = 4) -> Facts:
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "traces-gw", "namespace": "tracing"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "traces-gw"}, "minReplicas": min(2, replicas)},
           "status": {"currentReplicas": replicas}}
    deploy = {"kind": "Deployment", "metadata": {"name": "traces-gw", "namespace": "tracing"},
              "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "otelcol"}]}}}}
    hub = RecordingHub(objects={("HorizontalPodAutoscaler", "tracing", "traces-gw"): hpa,
                                ("Deployment", "tracing", "traces-gw"): deploy,
                                ("ConfigMap", "tracing", "traces-gw-config"):
                                    cm("traces-gw-config", "tracing", gateway),
                                ("ConfigMap", "tracing", "node-agent"): cm("node-agent", "tracing", agent)},
                       lists={("ConfigMap", "tracing"): [{"name": "traces-gw-config"}, {"name": "node-agent"},
                                                         {"name": "kube-root-ca.crt"}]})
    changes = [{"at": iso(AT - timedelta(hours=3)), "type": "created",
                "object": {"kind": "HorizontalPodAutoscaler", "namespace": "tracing", "name": "traces-gw"},
                "summary": "HorizontalPodAutoscaler tracing/traces-gw created", "diff": []},
               {"at": iso(AT - timedelta(hours=2)), "type": "scale",
                "object": {"kind": "Deployment", "namespace": "tracing", "name": "traces-gw"},
                "summary": f"Deployment tracing/traces-gw rescaled by HPA traces-gw: New size: {replicas}"}]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(ks.read(Subject(names=["checkout"]), facts, hub, iso(AT)))
    return facts


def test_hpa_on_tail_sampling_gateway_without_trace_routing_is_named() -> None:
    [(ref, finding, _, explains)] = ks.suspects(hpa_case(GATEWAY, AGENT_PLAIN))
    assert (ref.kind, ref.name) == ("HorizontalPodAutoscaler", "traces-gw")
    head = finding["message"][:400]
    assert "tail_sampling" in head and "loadbalancing exporter" in head and "trace ID" in head
    assert explains[0].name == "traces-gw" and explains[0].kind == "Deployment"


def test_vector_reduce_statefulset_replicas_raised_is_named() -> None:
    sts = {"kind": "StatefulSet", "metadata": {"name": "agg", "namespace": "logs"},
           "spec": {"replicas": 3,
                    "template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "agg-vec"}}]}}}}
    vec = "transforms:\n  sessions:\n    type: reduce\n    group_by: [session_id]\n"
    hub = RecordingHub(objects={("StatefulSet", "logs", "agg"): sts, ("ConfigMap", "logs", "agg-vec"): cm(
        "agg-vec", "logs", vec), ("ConfigMap", "logs", "shipper"): cm("shipper", "logs", "sinks:\n  out:\n    type: "
                                                                      "vector\n    address: agg.logs.svc:6000\n")},
                       lists={("ConfigMap", "logs"): [{"name": "agg-vec"}, {"name": "shipper"}]})
    change = {"at": iso(AT - timedelta(hours=1)), "type": "rollout",
              "object": {"kind": "StatefulSet", "namespace": "logs", "name": "agg"},
              "summary": "StatefulSet logs/agg written by kubectl: spec.replicas 1 -> 3", "diff": ["replicas 1 -> 3"]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(ks.read(Subject(), facts, hub, iso(AT)))
    [hit] = ks.found(facts)
    assert hit.scaler.name == "agg" and hit.stage == "reduce" and hit.replicas == 3 and hit.senders == 1


def test_senders_routing_by_trace_id_are_not_named() -> None:
    assert ks.found(hpa_case(GATEWAY, AGENT_LB.replace("traces-gw-headless", "traces-gw"))) == []


def test_stateless_gateway_scaled_out_is_not_named() -> None:
    assert ks.found(hpa_case(STATELESS, AGENT_PLAIN)) == []


def test_one_replica_is_not_a_split() -> None:
    assert ks.found(hpa_case(GATEWAY, AGENT_PLAIN, replicas=1)) == []
