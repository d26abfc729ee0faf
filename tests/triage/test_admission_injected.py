"""A container the template never had, added at admission by an injector whose config was written shortly before:
an OpenTelemetry Instrumentation upgrading the Python agent its init container copies (pods OOMKilled), a sidecar
injector webhook whose written args carry the new proxy image (pods crash); and the twins (the injector's write
carries another version than the pod runs, the injector was written long before the pod)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import admission_mutation
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 8, 14, 16, 0, tzinfo=UTC)
M = timedelta(minutes=1)
APP = {"name": "api", "image": "registry.example/reports/api:3.2.0",
       "resources": {"limits": {"memory": "512Mi"}}}


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _objects(injected: dict[str, Any], where: str) -> list[dict[str, Any]]:
    pod: dict[str, Any] = {"kind": "Pod", "metadata": {"name": "reports-api-5d9-x1", "namespace": "reports",
                                       "creationTimestamp": _iso(AT - 30 * M),
                                       "ownerReferences": [{"kind": "ReplicaSet", "name": "reports-api-5d9",
                                                            "controller": True}]},
           "spec": {"containers": [dict(APP)]}}
    pod["spec"].setdefault(where, []).append(injected)
    rs = {"kind": "ReplicaSet", "metadata": {"name": "reports-api-5d9", "namespace": "reports"},
          "spec": {"template": {"spec": {"containers": [dict(APP)]}}}}
    return [pod, rs]


def _facts(reason: str, kind: str, name: str, written: datetime, diff: str) -> Facts:
    owner = {"kind": "Deployment", "namespace": "reports", "name": "reports-api"}
    failing = {"check": "pod.crashloop", "severity": "critical", "object": owner, "owner": owner, "reason": reason,
               "message": f"Deployment reports/reports-api: 2/2 pods {reason} (container api)",
               "details": {"container": "api"}, "pods": ["reports-api-5d9-x1"]}
    change = {"at": _iso(written), "type": "other", "object": {"kind": kind, "namespace": "reports", "name": name},
              "summary": f"{kind} reports/{name} written by kubectl", "diff": [diff]}
    return Facts(at=AT, scan={"findings": [failing]}, scan_id="E1", changes={"changes": [change]}, changes_id="E2")


def _run(facts: Facts, objects: list[dict[str, Any]]) -> list[admission_mutation.Mutated]:
    hub = RecordingHub(objects=keyed(objects), first_id=11,
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    asyncio.run(admission_mutation.read(Subject(namespace="reports"), facts, hub, _iso(AT)))
    return admission_mutation.found(facts)


PY_AGENT = "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.48b0"
AGENT_INIT = {"name": "opentelemetry-auto-instrumentation-python", "image": PY_AGENT}
PROXY = {"name": "mesh-proxy", "image": "docker.io/envoyproxy/envoy:v1.31.2"}


def test_an_instrumentation_that_upgraded_the_injected_agent_is_named() -> None:
    facts = _facts("OOMKilled", "Instrumentation", "python-agents", AT - 75 * M, f"spec.python.image = '{PY_AGENT}'")
    [m] = _run(facts, _objects(AGENT_INIT, "initContainers"))
    assert (str(m.actor), m.what) == ("Instrumentation reports/python-agents", "auto-instrumentation injector config")
    assert m.diffs[0] == ("image", "", PY_AGENT)
    assert "0.48b0" in admission_mutation.finding(m, AT)["message"]


def test_a_sidecar_injector_whose_written_args_carry_the_new_proxy_image_is_named() -> None:
    facts = _facts("CrashLoopBackOff", "MutatingWebhookConfiguration", "mesh-injector", AT - 50 * M,
                   "webhooks[0].clientConfig; injector args --proxy-image=docker.io/envoyproxy/envoy:v1.31.2")
    [m] = _run(facts, _objects(PROXY, "containers"))
    assert (str(m.actor), m.container) == ("MutatingWebhookConfiguration reports/mesh-injector", "mesh-proxy")


def test_an_injector_whose_write_carries_another_version_is_not_named() -> None:
    facts = _facts("OOMKilled", "Instrumentation", "python-agents", AT - 75 * M,
                   "spec.python.image = 'ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:"
                   "0.49b0'")
    assert _run(facts, _objects(AGENT_INIT, "initContainers")) == []


def test_an_injector_written_long_before_the_pod_is_not_named() -> None:
    facts = _facts("OOMKilled", "Instrumentation", "python-agents", AT - timedelta(days=9),
                   f"spec.python.image = '{PY_AGENT}'")
    assert _run(facts, _objects(AGENT_INIT, "initContainers")) == []
