"""A node-configuration agent rolled out and new pods on its nodes cannot get a sandbox: a privileged hostPID
DaemonSet copying the AL2023 containerd config (SystemdCgroup = true, from a ConfigMap its log names) onto
cgroupfs nodes, a hostPath agent whose mounted CRI-O config drops the kata runtime handler; and the twins (a
plain log shipper rolled, the agent rolled after the failures began, a failing node the agent does not run on)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, node_config_agent
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
CGROUP = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create containerd task: failed '
          'to create shim task: OCI runtime create failed: runc create failed: expected cgroupsPath to be of format '
          '"slice:prefix:name" for systemd cgroups, got "/kubepods/burstable/pod1/abc" instead: unknown')
HANDLER = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime '
           'for "kata" is configured')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _daemonset(name: str, privileged: bool, volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"template": {"spec": {"hostPID": privileged, "volumes": volumes or [], "containers": [
                {"name": name, "image": f"platform/{name}:2", "env": [{"name": "VARIANT", "value": "v2"}],
                 "securityContext": {"privileged": privileged}}]}}}}


def _hub(objects: list[dict[str, Any]], agent: str, agent_nodes: list[str], failing: list[tuple[str, str]],
         said: str, log: list[str]) -> RecordingHub:
    pods = [{"name": f"checkout-7c9d8b6f5d-x2k4{'qrstv'[i]}", "status": "ContainerCreating", "node": n}
            for i, (n, _) in enumerate(failing)] + [{"name": "checkout-7c9d8b6f5d-zz9kq", "status": "Running",
                                                     "node": "n0"}]
    lists: dict[Any, list[dict[str, Any]]] = {
        ("Pod", "shop"): pods,
        ("Pod", "kube-system"): [{"name": f"{agent}-x2k4{'qrstv'[i]}", "status": "Running", "node": n}
                                 for i, n in enumerate(agent_nodes)],
        ("ConfigMap", "kube-system"): [{"name": o["metadata"]["name"]} for o in objects if o["kind"] == "ConfigMap"]}
    events = {"events": [{"name": p["name"], "reason": "FailedCreatePodSandBox", "message": said}
                         for p in pods[:-1]]}
    return RecordingHub(objects=keyed(objects), lists=lists, logs={f"{agent}-x2k4q": log},
                        answers={"k8s_events": outcome(True, events, "")},
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


def _facts(agent: str, rolled: datetime, said: str) -> Facts:
    owner = {"kind": "Deployment", "namespace": "shop", "name": "checkout"}
    return Facts(at=AT, scan={"findings": [
        {"check": "pod.sandbox", "object": owner, "owner": owner, "reason": "FailedCreatePodSandBox",
         "since": _iso(AT - timedelta(minutes=15)),
         "message": f"Deployment shop/checkout: 2/5 pods FailedCreatePodSandBox: {said[:120]}…",
         "evidence": [f"FailedCreatePodSandBox: {said[:150]}…"]}]},
        changes={"changes": [{"at": _iso(rolled), "type": "rollout", "diff": ["env VARIANT='v1' -> VARIANT='v2'"],
                              "summary": f"DaemonSet kube-system/{agent} rolled out revision 4",
                              "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": agent}}]},
        changes_id="E2")


def _found(hub: RecordingHub, facts: Facts) -> list[node_config_agent.Agent]:
    asyncio.run(node_config_agent.read(Subject(namespace="shop"), facts, hub, _iso(AT)))
    return node_config_agent.found(facts)


CONTAINERD = {"kind": "ConfigMap", "metadata": {"name": "node-tuner-configs", "namespace": "kube-system"},
              "data": {"containerd-v1.toml": "[plugins.runc.options]\nSystemdCgroup = false\n",
                       "containerd-v2.toml": "[plugins.runc.options]\nSystemdCgroup = true\n"}}
TUNER_LOG = ["+ cp /etc/cfg/containerd-v2.toml /host/etc/containerd/config.toml", "restarting containerd"]


def test_containerd_config_agent_explains_sandbox_failures() -> None:
    hub = _hub([_daemonset("node-tuner", True), CONTAINERD], "node-tuner", ["n0", "n1", "n2"],
               [("n1", "x"), ("n2", "y")], CGROUP, TUNER_LOG)
    found = _found(hub, _facts("node-tuner", AT - timedelta(minutes=50), CGROUP))
    assert [(str(a.daemonset), a.failing_nodes) for a in found] == [("DaemonSet kube-system/node-tuner", ["n1", "n2"])]
    assert found[0].settings[0] == "SystemdCgroup = true (ConfigMap kube-system/node-tuner-configs containerd-v2.toml)"
    assert found[0].said == CGROUP  # the event's whole words, not the finding's clipped ones
    message = node_config_agent.finding(found[0], AT)["message"][:400]
    assert "FailedCreatePodSandBox" in message and "cgroup driver" in message and "SystemdCgroup" in message
    assert node_config_agent.CHECK in behind.WEIGHTS


def test_crio_agent_with_a_mounted_config_explains_a_missing_handler() -> None:
    crio = {"kind": "ConfigMap", "metadata": {"name": "crio-conf", "namespace": "kube-system"},
            "data": {"crio.conf": "[crio.runtime]\ndefault_runtime_name = \"crun\"\n"}}
    ds = _daemonset("crio-setup", False, [{"name": "conf", "configMap": {"name": "crio-conf"}},
                                          {"name": "etc", "hostPath": {"path": "/etc/crio"}}])
    hub = _hub([ds, crio], "crio-setup", ["n1", "n2"], [("n1", "x")], HANDLER, ["wrote /host/etc/crio/crio.conf"])
    found = _found(hub, _facts("crio-setup", AT - timedelta(hours=2), HANDLER))
    assert [str(a.daemonset) for a in found] == ["DaemonSet kube-system/crio-setup"]
    assert "runtime handler" in node_config_agent.finding(found[0], AT)["message"]


def test_plain_agent_late_rollout_or_uncovered_node_is_not_named() -> None:
    shipper = _hub([_daemonset("log-shipper", False)], "log-shipper", ["n0", "n1", "n2"], [("n1", "x")], CGROUP,
                   ["shipping to loki"])
    assert _found(shipper, _facts("log-shipper", AT - timedelta(minutes=50), CGROUP)) == []
    late = _hub([_daemonset("node-tuner", True), CONTAINERD], "node-tuner", ["n0", "n1", "n2"], [("n1", "x")],
                CGROUP, TUNER_LOG)
    assert _found(late, _facts("node-tuner", AT - timedelta(minutes=5), CGROUP)) == []
    elsewhere = _hub([_daemonset("node-tuner", True), CONTAINERD], "node-tuner", ["n0", "n1"],
                     [("n1", "x"), ("n7", "y")], CGROUP, TUNER_LOG)
    assert _found(elsewhere, _facts("node-tuner", AT - timedelta(minutes=50), CGROUP)) == []
