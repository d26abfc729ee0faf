"""agent.triage.keyed_scaleout against software and config syntax its round-30 incident did not use.

Shapes: a Grafana Alloy gateway (`otelcol.connector.servicegraph "default" {`, River syntax) whose replicas a write
raised to 3 while the Alloy agents send to its Service with a plain `otelcol.exporter.otlp`; a Vector aggregator in
TOML (`type = "aggregate"`) put under a new HPA, a Fluent Bit forwarder sending to its Service. Twins: the Alloy
agents sending through `otelcol.exporter.loadbalancing` keyed on traceID, a Vector TOML stage that is stateless
(`type = "remap"`), and another class's change (an HPA added on an nginx web tier: no per-key stage, no finding).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import keyed_scaleout as ks
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ALLOY_GW = ('otelcol.receiver.otlp "in" {\n  grpc {}\n  output { traces = [otelcol.connector.servicegraph.default.'
            'input] }\n}\n\notelcol.connector.servicegraph "default" {\n  dimensions = ["http.method"]\n  output {\n'
            '    metrics = [otelcol.exporter.prometheus.out.input]\n  }\n}\n')
ALLOY_AGENT = ('otelcol.exporter.otlp "gw" {\n  client {\n    endpoint = "alloy-gw.obs.svc:4317"\n  }\n}\n')
ALLOY_AGENT_LB = ('otelcol.exporter.loadbalancing "gw" {\n  routing_key = "traceID"\n  resolver {\n    dns {\n'
                  '      hostname = "alloy-gw-headless.obs.svc"\n    }\n  }\n  protocol {\n    otlp {}\n  }\n}\n')
VECTOR_AGG = ('[sources.in]\ntype = "fluent"\naddress = "0.0.0.0:24224"\n\n'
              '[transforms.per_tenant]\ntype = "aggregate"\ninputs = ["in"]\ninterval_ms = 10000\n\n'
              '[sinks.out]\ntype = "prometheus_remote_write"\n'
              'inputs = ["per_tenant"]\nendpoint = "http://mimir/api/v1/push"\n')
FORWARDER = ("[OUTPUT]\n    Name forward\n    Match *\n    Host metrics-agg.pipeline.svc.cluster.local\n"
             "    Port 24224\n")
NGINX = "server {\n  listen 8080;\n  location / {\n    proxy_pass http://shop-api:8080;\n  }\n}\n"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cm(name: str, ns: str, key: str, text: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {key: text}}


def alloy_case(agent: str) -> Facts:
    sts = {"kind": "StatefulSet", "metadata": {"name": "alloy-gw", "namespace": "obs"},
           "spec": {"replicas": 3, "template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "gw"}}]}}}}
    hub = RecordingHub(objects={("StatefulSet", "obs", "alloy-gw"): sts,
                                ("ConfigMap", "obs", "gw"): cm("gw", "obs", "config.alloy", ALLOY_GW),
                                ("ConfigMap", "obs", "alloy-agent"): cm("alloy-agent", "obs", "config.alloy", agent)},
                       lists={("ConfigMap", "obs"): [{"name": "gw"}, {"name": "alloy-agent"}]})
    change = {"at": iso(AT - timedelta(minutes=90)), "type": "rollout",
              "object": {"kind": "StatefulSet", "namespace": "obs", "name": "alloy-gw"},
              "summary": "StatefulSet obs/alloy-gw written by helm: spec.replicas 1 -> 3",
              "diff": ["spec.replicas: 1 -> 3"]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C4")
    asyncio.run(ks.read(Subject(names=["service-graph"]), facts, hub, iso(AT)))
    return facts


def hpa_case(name: str, conf_key: str, conf: str, sender: str, ns: str = "pipeline") -> tuple[Facts, RecordingHub]:
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "namespace": ns},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": name}, "minReplicas": 2},
           "status": {"currentReplicas": 4}}
    deploy = {"kind": "Deployment", "metadata": {"name": name, "namespace": ns},
              "spec": {"replicas": 4, "template": {"spec": {
                  "volumes": [{"name": "c", "configMap": {"name": f"{name}-conf"}}]}}}}
    hub = RecordingHub(objects={("HorizontalPodAutoscaler", ns, name): hpa, ("Deployment", ns, name): deploy,
                                ("ConfigMap", ns, f"{name}-conf"): cm(f"{name}-conf", ns, conf_key, conf),
                                ("ConfigMap", ns, "forwarder"): cm("forwarder", ns, "fluent-bit.conf", sender)},
                       lists={("ConfigMap", ns): [{"name": f"{name}-conf"}, {"name": "forwarder"}]})
    change = {"at": iso(AT - timedelta(hours=2)), "type": "created",
              "object": {"kind": "HorizontalPodAutoscaler", "namespace": ns, "name": name},
              "summary": f"HorizontalPodAutoscaler {ns}/{name} created", "diff": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C4")
    asyncio.run(ks.read(Subject(), facts, hub, iso(AT)))
    return facts, hub


def test_alloy_servicegraph_gateway_scaled_without_trace_routing_is_named() -> None:
    [(ref, finding, evidence, explains)] = ks.suspects(alloy_case(ALLOY_AGENT))
    assert (ref.kind, ref.name) == ("StatefulSet", "alloy-gw") and "C4" in evidence and explains == []
    head = finding["message"][:400]
    assert "servicegraph" in head and "3 replicas" in head and "trace ID" in head and "1 sender config" in head


def test_vector_toml_aggregate_under_a_new_hpa_is_named() -> None:
    facts, _ = hpa_case("metrics-agg", "vector.toml", VECTOR_AGG, FORWARDER)
    [hit] = ks.found(facts)
    assert hit.scaler.kind == "HorizontalPodAutoscaler" and hit.stage == "aggregate" and hit.replicas == 4
    assert hit.senders == 1


def test_alloy_agents_routing_by_trace_id_are_not_named() -> None:
    assert ks.found(alloy_case(ALLOY_AGENT_LB.replace("alloy-gw-headless", "alloy-gw"))) == []


def test_stateless_vector_toml_stage_is_not_named() -> None:
    facts, _ = hpa_case("metrics-agg", "vector.toml", VECTOR_AGG.replace('"aggregate"', '"remap"'), FORWARDER)
    assert ks.found(facts) == []


def test_hpa_on_a_web_tier_is_another_class() -> None:
    facts, hub = hpa_case("storefront", "default.conf", NGINX, "", ns="shop")
    assert ks.found(facts) == [] and ("ConfigMap", "forwarder") not in [
        (a.get("kind"), a.get("name")) for _, a in hub.calls]  # no per-key stage: its senders are not read
