"""agent.triage.agent_export: a node agent's rollout after which its pod on the named node drops everything.

Shapes (not the round's wording): a Fluent Bit DaemonSet whose new pod on the named node says `failed to flush
chunk` with a TLS error to its Elasticsearch output; a Vector DaemonSet whose pod says `Service call failed. No
retries or retries exhausted` against an HTTP sink. Twins: the agent failed the same way before the rollout; the
rolled-out agent on the named node delivers; the failing agent runs on a node the incident does not name; the
DaemonSet was written without a rollout (a label).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import agent_export
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
ROLLED = AT - timedelta(minutes=25)
NODE = "gke-prod-pool-b-7c1f2a9d-x2lm"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _line(minutes_after_rollout: int, body: str) -> str:
    return f"{_iso(ROLLED + timedelta(minutes=minutes_after_rollout))} {body}"


class Hub:
    """`k8s_list` pods by node (field_selector) and `k8s_logs` text per pod."""

    def __init__(self, on_node: dict[str, list[tuple[str, str]]], logs: dict[str, list[str]]) -> None:
        self.on_node, self.logs = on_node, logs

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_list":
            node = str(args.get("field_selector") or "").split("=", 1)[-1]
            rows = [{"name": p, "namespace": ns} for p, ns in self.on_node.get(node, [])]
            return outcome(True, {"rows": rows}, "pods", "E21")
        if tool == "k8s_logs":
            return outcome(True, {}, "\n".join([f"logs of {args['name']}", *self.logs.get(args["name"], [])]), "E22")
        return None


def _change(name: str, summary: str) -> dict[str, Any]:
    return {"at": _iso(ROLLED), "type": "rollout", "summary": summary, "diff": [],
            "object": {"kind": "DaemonSet", "namespace": "logging", "name": name}}


def _rollout(name: str, image: str) -> dict[str, Any]:
    said = f"DaemonSet logging/{name} rolled out revision 4: {name} image {image}:3.0.6 -> {image}:3.1.9"
    return _change(name, said)


def _run(change: dict[str, Any], nodes: list[str], on_node: dict[str, list[tuple[str, str]]],
         logs: dict[str, list[str]]) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E5")
    asyncio.run(agent_export.read(Subject(nodes=nodes), facts, Hub(on_node, logs), _iso(AT)))
    return agent_export.suspects(facts)


FLUENT = "fluent-bit-k8x2p"
FLUENT_FAIL = [_line(m, "[2026/04/02 14:40:00] [error] [output:es:es.0] failed to flush chunk '1-1712.flb', retry in "
                        "10 seconds: task_id=3, error=TLS handshake failed: unsupported protocol") for m in range(1, 9)]


def test_a_fluent_bit_rollout_that_cannot_flush_from_the_named_node() -> None:
    [(ref, found, _, _)] = _run(_rollout("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit"), [NODE],
                                {NODE: [(FLUENT, "logging"), ("web-6d8f7c9b5d-x7k2p", "shop")]},
                                {FLUENT: FLUENT_FAIL})
    assert ref == Ref("DaemonSet", "logging", "fluent-bit")
    assert NODE in found["message"] and "TLS handshake failed" in found["message"] and "3.1.9" in found["message"]


def test_a_vector_rollout_whose_sink_calls_fail() -> None:
    pod = "vector-9q7zt"
    lines = [_line(m, 'ERROR sink{component_kind="sink" component_id=loki}: vector::sinks::util::retries: '
                      'Service call failed. No retries or retries exhausted. error=Some(Http(403 Forbidden))')
             for m in range(2, 7)]
    [(ref, _, _, _)] = _run(_rollout("vector", "timberio/vector"), [NODE], {NODE: [(pod, "logging")]}, {pod: lines})
    assert ref == Ref("DaemonSet", "logging", "vector")


def test_twin_the_agent_failed_before_the_rollout() -> None:
    older = [_line(-30, FLUENT_FAIL[0].split(" ", 1)[1])]
    assert _run(_rollout("fluent-bit", "fluent-bit"), [NODE], {NODE: [(FLUENT, "logging")]},
                {FLUENT: older + FLUENT_FAIL}) == []


def test_twin_the_rolled_out_agent_delivers() -> None:
    fine = [_line(m, "[info] [output:es:es.0] worker #0 started") for m in range(1, 9)]
    assert _run(_rollout("fluent-bit", "fluent-bit"), [NODE], {NODE: [(FLUENT, "logging")]}, {FLUENT: fine}) == []


def test_twin_the_failing_agent_is_on_a_node_not_named() -> None:
    other = "gke-prod-pool-a-1b2c3d4e-q9zz"
    assert _run(_rollout("fluent-bit", "fluent-bit"), [NODE], {other: [(FLUENT, "logging")], NODE: []},
                {FLUENT: FLUENT_FAIL}) == []
    assert _run(_rollout("fluent-bit", "fluent-bit"), [], {NODE: [(FLUENT, "logging")]}, {FLUENT: FLUENT_FAIL}) == []


def test_twin_a_daemonset_written_without_a_rollout() -> None:
    label = _change("fluent-bit", "DaemonSet logging/fluent-bit labels set: team=platform")
    assert _run(label, [NODE], {NODE: [(FLUENT, "logging")]}, {FLUENT: FLUENT_FAIL}) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert agent_export in behind.MODULES and behind.WEIGHTS[agent_export.CHECK] == agent_export.WEIGHT
