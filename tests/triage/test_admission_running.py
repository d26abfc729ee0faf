"""agent.triage.admission_mutation, pods that run (do not fail) with what a mutating actor injected: the runtime
quotes the injection in its own log, and the actor was written shortly before the pod was admitted.

Shapes: a Gatekeeper Assign (its mutations annotation) adding `_JAVA_OPTIONS=-XX:MaxRAMPercentage=20` to a
StatefulSet's pods, the JVM saying `Picked up _JAVA_OPTIONS: ...` then timing out; a webhook-style injector config
leaving no annotation whose written spec carries a new agent image `dd-lib-python-init:v3.1.0` (an injected init
container), the agent logging `ddtrace v3.1.0` before its exports fail. Twins: the same injection the log never
quotes (a policy adding env nobody reads); the same quote with the actor written after the pod was admitted; no
mutating write in the timeline at all (nothing is read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import admission_mutation as am
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def app(env: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": "app", "image": "registry.example.org/team/app:7.1", **({"env": env} if env else {})}


def objects(pod_spec: dict[str, Any], notes: dict[str, str], template: dict[str, Any],
            admitted: datetime = AT - timedelta(minutes=40)) -> list[dict[str, Any]]:
    pod = {"kind": "Pod", "metadata": {"name": "ledger-0", "namespace": "acct", "creationTimestamp": iso(admitted),
                                       "annotations": notes,
                                       "ownerReferences": [{"kind": "StatefulSet", "name": "ledger",
                                                            "controller": True}]}, "spec": pod_spec}
    owner = {"kind": "StatefulSet", "metadata": {"name": "ledger", "namespace": "acct"},
             "spec": {"template": {"spec": template}}}
    return [pod, owner]


def write(kind: str, name: str, ago: timedelta, diff: str, ns: str = "") -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written by flux-kustomize-controller", "diff": [diff]}


def run(objs: list[dict[str, Any]], lines: list[str], changes: list[dict[str, Any]]) -> tuple[list[am.Mutated],
                                                                                               RecordingHub]:
    hub = RecordingHub(objects=keyed(objs), logs={"ledger-0": lines},
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    top = {"template": lines[-1], "example": lines[-1], "severity": "error"}
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1",
                  logs=[LogEvidence(pod="ledger-0", namespace="acct", evidence_id="L1", top=top, hosts=[],
                                    error_classes=set(), previous=False)])
    asyncio.run(am.read(Subject(namespace="acct", names=["ledger"]), facts, hub, iso(AT)))
    return am.found(facts), hub


JVM_ENV = [{"name": "_JAVA_OPTIONS", "value": "-XX:MaxRAMPercentage=20"}]
JVM_NOTE = {am.GATEKEEPER_MUTATIONS: "Assign//jvm-memory-defaults:3"}
JVM_LINES = ["Picked up _JAVA_OPTIONS: -XX:MaxRAMPercentage=20",
             *[f"2026-08-03 08:{30 + i}:00 WARN c.e.ledger.Pool - request timed out after 5000 ms" for i in range(5)]]


def test_gatekeeper_assign_env_the_jvm_quotes_is_named() -> None:
    objs = objects({"containers": [app(JVM_ENV)]}, JVM_NOTE, {"containers": [app()]})
    found, _ = run(objs, JVM_LINES, [write("Assign", "jvm-memory-defaults", timedelta(hours=2), "spec.parameters")])
    [hit] = found
    assert (hit.actor.kind, hit.actor.name) == ("Assign", "jvm-memory-defaults") and hit.running
    assert (hit.workload.kind, hit.workload.name) == ("StatefulSet", "ledger")
    message = am.finding(hit, AT)["message"]
    assert "Picked up _JAVA_OPTIONS" in message and "run with it" in message


AGENT = "registry.example.org/apm/dd-lib-python-init:v3.1.0"
AGENT_LINES = ["2026-08-03 08:20:01 INFO ddtrace v3.1.0 started, agent url http://trace-agent.apm:8126",
               *[f"2026-08-03 08:{21 + i}:00 ERROR ddtrace.internal.writer failed to send traces: 404 Not Found"
                 for i in range(4)]]


def agent_objects(admitted: datetime = AT - timedelta(minutes=40)) -> list[dict[str, Any]]:
    spec = {"initContainers": [{"name": "apm-lib-init", "image": AGENT}], "containers": [app()]}
    return objects(spec, {}, {"containers": [app()]}, admitted)


def test_injector_config_without_annotation_whose_write_carries_the_agent_image_is_named() -> None:
    found, _ = run(agent_objects(), AGENT_LINES,
                   [write("MutatingWebhookConfiguration", "apm-injector", timedelta(hours=3), f"image = '{AGENT}'")])
    [hit] = found
    assert hit.actor.name == "apm-injector" and hit.running


def test_twin_injection_the_log_never_quotes_is_not_named() -> None:
    objs = objects({"containers": [app(JVM_ENV)]}, JVM_NOTE, {"containers": [app()]})
    found, _ = run(objs, JVM_LINES[1:], [write("Assign", "jvm-memory-defaults", timedelta(hours=2), "spec")])
    assert found == []
    found, _ = run(agent_objects(), AGENT_LINES[1:],
                   [write("MutatingWebhookConfiguration", "apm-injector", timedelta(hours=3), f"image = '{AGENT}'")])
    assert found == []


def test_twin_actor_written_after_the_pod_was_admitted_is_not_named() -> None:
    found, _ = run(agent_objects(admitted=AT - timedelta(hours=5)), AGENT_LINES,
                   [write("MutatingWebhookConfiguration", "apm-injector", timedelta(hours=3), f"image = '{AGENT}'")])
    assert found == []


def test_no_mutating_write_in_the_timeline_reads_nothing() -> None:
    objs = objects({"containers": [app(JVM_ENV)]}, JVM_NOTE, {"containers": [app()]})
    found, hub = run(objs, JVM_LINES, [write("ConfigMap", "ledger-config", timedelta(hours=1), "data.x", "acct")])
    assert found == [] and hub.calls == []


def test_kyverno_annotation_read_either_way_round() -> None:
    note = "add-jvm.jvm-env.kyverno.io: added /spec/containers/0/env"
    pod = {"metadata": {"annotations": {am.KYVERNO_PATCHES: note}}}
    names = [a.name for a, _, _ in am.named_actors(pod)]
    assert names == ["jvm-env", "add-jvm"]
