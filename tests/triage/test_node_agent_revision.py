"""A node agent's new revision running on some nodes only, taking the named node's CPU (agent.triage.node_cpu_hog with
agent.triage.agent_revision).

Shapes: a profiler DaemonSet (OnDelete, one pod of four replaced) whose rollout raised its sampling frequency, on a
cluster that keeps only kube-prometheus' `instance:node_cpu_utilisation:rate5m` (the node's cores come from the
Node's allocatable); a log shipper DaemonSet whose RollingUpdate is half done, its rollout adding workers and
dropping its CPU limit, the split told by its pods' creation times. Negative twins: the agent's rollout is two days
old (the hog is still named, the rollout does not lead); the agent on the named node uses as little as its siblings
(no hog at all); a fleet on one revision (no split is claimed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.incident import from_text
from agent.toolhub import ToolOutcome
from agent.triage import agent_revision, rank, subject_of
from agent.triage import node_cpu_hog as hog
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
NODE = "ip-10-4-2-9.us-west-2.compute.internal"


def _t(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _ds(name: str, ns: str, strategy: str, updated: int, desired: int) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": ns, "generation": 2},
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {"desiredNumberScheduled": desired, "updatedNumberScheduled": updated}}


def _agent_pod(name: str, ns: str, ds: str, cpu_limit: bool = False) -> dict[str, Any]:
    limits = {"memory": "256Mi", **({"cpu": "500m"} if cpu_limit else {})}
    return {"metadata": {"name": name, "namespace": ns, "creationTimestamp": _t(50),
                         "ownerReferences": [{"kind": "DaemonSet", "name": ds, "controller": True}]},
            "spec": {"containers": [{"name": ds, "resources": {"requests": {"cpu": "50m"}, "limits": limits}}]},
            "status": {"qosClass": "Burstable"}}


def _rollout(kind: str, ns: str, name: str, minutes_before: float, diff: list[str]) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 2: {diff[0]}", "diff": diff, "revision": 2}


PROFILER_DIFF = ["profiler args ['--node=$(NODE_NAME)', '--sampling-frequency=19'] -> "
                 "['--node=$(NODE_NAME)', '--sampling-frequency=997']"]


def _cluster(ds: dict[str, Any], pod: dict[str, Any], pods: list[dict[str, Any]],
             agent_cpu: list[tuple[str, float]], node_usage: list[tuple[str, str, float]]) -> Any:
    """The hub: k8s_nodes (allocatable only), prom_query (no raw node series, the recording rule), the pod and
    DaemonSet YAML, the DaemonSet's pods listed."""
    name, ns = ds["metadata"]["name"], ds["metadata"]["namespace"]

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_nodes":
            other = "ip-10-4-1-3.us-west-2.compute.internal"
            return outcome(True, {"nodes": [{"name": NODE, "cpu_allocatable": 3.91},
                                             {"name": other, "cpu_allocatable": 3.91}]}, "", "E10")
        if tool == "prom_query":
            q = args["query"]
            if "node=" in q:
                return outcome(True, {"samples": [{"labels": {"namespace": n, "pod": p}, "value": v}
                                                   for n, p, v in node_usage]}, "", "E11")
            if hog.UTILISATION in q:
                return outcome(True, {"samples": [{"labels": {"instance": NODE}, "value": 0.97}]}, "", "E12")
            if f'pod=~"{name}-' in q:
                return outcome(True, {"samples": [{"labels": {"pod": p}, "value": v} for p, v in agent_cpu]}, "", "E13")
            return outcome(True, {"samples": []}, "", "E14")
        if tool == "k8s_get":
            obj = pod if args["kind"] == "Pod" else ds
            return outcome(True, {}, yaml.safe_dump(obj), "E15" if args["kind"] == "Pod" else "E16")
        if tool == "k8s_list":
            return outcome(True, {"rows": pods}, evidence_id="E17")
        return outcome(False, None, evidence_id="E99")

    return call, ns


def _read(call: Any, changes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": changes}, scan={"findings": []})
    asyncio.run(hog.read(Subject(nodes=[NODE]), facts, call, AT.isoformat()))
    return facts


def _profiler(rollout_minutes: float, agent_cores: float = 2.6) -> Facts:
    pod = _agent_pod("profiler-x7k2p", "observability", "profiler")
    pods = [{"name": "profiler-x7k2p", "node": NODE, "created": _t(50)},
            *({"name": f"profiler-{s}", "node": f"ip-10-4-{i}-3", "created": _t(60 * 24 * 9)}
              for i, s in ((1, "b4m9q"), (3, "c8n2w"), (4, "d2p5z")))]
    call, _ = _cluster(_ds("profiler", "observability", "OnDelete", 1, 4), pod, pods,
                       [("profiler-x7k2p", agent_cores), ("profiler-b4m9q", 0.03), ("profiler-c8n2w", 0.02)],
                       [("observability", "profiler-x7k2p", agent_cores), ("shop", "cart-6d9f7c8b5d-q2w8x", 0.2)])
    return _read(call, [_rollout("DaemonSet", "observability", "profiler", rollout_minutes, PROFILER_DIFF)])


def test_a_profiler_revision_on_one_node_leads_with_its_flag_change_and_the_split() -> None:
    facts = _profiler(55)
    [h] = hog.found(facts)
    assert h.culprit == Ref("DaemonSet", "observability", "profiler") and h.cores == 3.91
    assert h.busy is not None and abs(h.busy - 0.97 * 3.91) < 1e-6
    assert h.split is not None and h.split.updated == 1 and h.split.desired == 4 and h.split.older_siblings == 3
    [top, *_] = rank(subject_of(from_text(f"everything on {NODE} is slow, other nodes fine. what is wrong?")), facts)
    assert top.ref == Ref("DaemonSet", "observability", "profiler")
    head = top.cause[:400]
    assert head.startswith("DaemonSet observability/profiler revision 2, 55 min before changed "
                           "--sampling-frequency 19 -> 997")
    assert "2.6 CPU cores of its 3.91" in head and "E13" in top.evidence and "E2" in top.evidence
    message = hog.finding(h, AT)["message"]
    assert "only 1 of its 4 pods run the new revision" in message and "at most 0.03" in message


def test_a_two_day_old_rollout_does_not_lead() -> None:
    [h] = hog.found(_profiler(60 * 48))
    assert h.rollout is None
    message = hog.finding(h, AT)["message"]
    assert message.startswith("Pod observability/profiler-x7k2p (DaemonSet observability/profiler)")


def test_an_agent_as_light_as_its_siblings_is_no_hog() -> None:
    assert hog.found(_profiler(55, agent_cores=0.04)) == []


def test_a_log_shipper_half_rolled_out_is_told_by_its_pods_ages() -> None:
    pod = _agent_pod("shipper-k9w2m", "logging", "shipper")
    pods = [{"name": "shipper-k9w2m", "node": NODE, "created": _t(20)},
            {"name": "shipper-p4x8v", "node": "n1", "created": _t(60 * 30)}]
    ds = _ds("shipper", "logging", "RollingUpdate", 0, 0)
    ds["status"] = {}  # an older API server's status without the update counts
    call, _ = _cluster(ds, pod, pods, [("shipper-k9w2m", 3.1), ("shipper-p4x8v", 0.2)],
                       [("logging", "shipper-k9w2m", 3.1), ("web", "api-7c9d8f6b5c-z2x4q", 0.3)])
    diff = ["shipper args ['--workers', '2', '--buffer=8M'] -> ['--workers', '16', '--buffer=8M']",
            "shipper cpu limit 500m -> none"]
    facts = _read(call, [_rollout("DaemonSet", "logging", "shipper", 25, diff)])
    [h] = hog.found(facts)
    message = hog.finding(h, AT)["message"]
    assert message.startswith("DaemonSet logging/shipper revision 2, 25 min before changed --workers 2 -> 16; "
                              "shipper cpu limit 500m -> none")
    assert "newer than its 1 siblings" in message and "at most 0.20" in message


def test_a_fleet_on_one_revision_claims_no_split() -> None:
    entry = {"daemonset": Ref("DaemonSet", "logging", "shipper"), "node": NODE, "pod": "shipper-k9w2m",
             "object": _ds("shipper", "logging", "RollingUpdate", 4, 4),
             "pods": [{"name": "shipper-k9w2m", "created": _t(600)}, {"name": "shipper-p4x8v", "created": _t(20)}]}
    assert agent_revision.split(entry) is None


def test_moved_args_reads_flag_forms() -> None:
    line = "agent args ['--a=1', '--b', '2', '--c'] -> ['--a=1', '--b', '3', '--d=x']"
    assert agent_revision.moved_args(line) == ["--b 2 -> 3", "--c (set) -> (unset)", "--d (unset) -> x"]
    assert agent_revision.moved_args("agent image a:1 -> a:2") == []
