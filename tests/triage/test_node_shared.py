"""A shared node or cluster resource run out: the change that used it up or capped it is named, not the victim.

Unit tests over the facts the survey hands to ranking (scan findings, log facts, the change timeline, the pods'
nodes and the victims' warning events, in the tools' structured shapes). The victims' words are the real
software's: promtail's and systemd's "too many open files" when inotify instances run out, the scheduler's
NodeVolumeLimits "node(s) exceed max volume count", the scheduler's "Insufficient cpu"/"Insufficient memory"
and cluster-autoscaler's NotTriggerScaleUp "max node group size reached", the AWS VPC CNI's "failed to assign
an IP address to container". Each resource comes in two wordings or shapes, each with negative twins: the
consumer was added on other nodes, the exhaustion began before the change, the change moved an unrelated
setting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import node_shared
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 11, 19, 7, 48, tzinfo=UTC)
NODES = ("ip-10-0-1-20.ec2.internal", "ip-10-0-2-21.ec2.internal", "ip-10-0-3-22.ec2.internal")


SUFFIXES = ("6bq52", "9qqvc", "t45hk", "xnncf", "z4gsq", "7nmtv")
"""Pod name suffixes in the alphabet Kubernetes generates them from (no vowels, no 0/1/3)."""


def _pod(ns: str, name: str, node: str) -> dict[str, Any]:
    return {"namespace": ns, "name": name, "node": node}


def _facts(findings: list[dict[str, Any]], changes: list[dict[str, Any]], pods: list[dict[str, Any]],
           logs: list[LogEvidence] | None = None, events: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": findings}, scan_id="E1", changes={"changes": changes}, changes_id="E2",
                  logs=logs or [])
    facts.reads[node_shared.RECORD] = {"pods": pods, "events": events or [], "evidence": ["E9"]}
    return facts


def _log(ns: str, pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top={"message": message, "severity": "error"},
                       hosts=[], error_classes=set(), previous=True)


def _crashloop(ns: str, name: str) -> dict[str, Any]:
    return {"check": "pod.crashloop", "severity": "critical", "object": {"kind": "DaemonSet", "namespace": ns,
                                                                         "name": name},
            "message": f"DaemonSet {ns}/{name}: 3/3 pods CrashLoopBackOff (last exit Error code 1)"}


def _created_ds(ns: str, name: str, at: str) -> dict[str, Any]:
    return {"at": at, "type": "created", "object": {"kind": "DaemonSet", "namespace": ns, "name": name},
            "summary": f"DaemonSet {ns}/{name} created", "diff": []}


def _culprits(facts: Facts) -> list[str]:
    return [str(ref) for ref, _, _, _ in node_shared.suspects(facts)]


# ---- inotify instances: a node agent created on the same nodes ------------------------------------------------


def _agent_pods(nodes: tuple[str, ...]) -> list[dict[str, Any]]:
    return [_pod("security", f"fim-agent-{SUFFIXES[i]}", n) for i, n in enumerate(nodes)]


def _shipper_pods() -> list[dict[str, Any]]:
    return [_pod("logging", f"promtail-{SUFFIXES[i]}", n) for i, n in enumerate(NODES)]


PROMTAIL = ('level=error caller=main.go:170 msg="error creating promtail" error="failed to make file target '
            'manager: too many open files"')
SYSTEMD = "Failed to allocate directory watch: Too many open files"


def test_a_node_agent_created_on_the_victims_nodes_is_named_for_a_shippers_too_many_open_files() -> None:
    for shipper, words in (("promtail", PROMTAIL), ("journal-forwarder", SYSTEMD)):
        pods = [_pod("logging", f"{shipper}-{SUFFIXES[i]}", n) for i, n in enumerate(NODES)] + _agent_pods(NODES)
        facts = _facts([_crashloop("logging", shipper)], [
            _created_ds("security", "fim-agent", "2026-11-18T15:17:00Z"),
            {"at": "2026-11-19T07:08:00Z", "type": "rollout", "object": {"kind": "DaemonSet", "namespace": "logging",
                                                                         "name": shipper},
             "summary": f"DaemonSet logging/{shipper}: all 3 pods recreated since 2026-11-19T07:08:00Z"}],
            pods, logs=[_log("logging", f"{shipper}-{SUFFIXES[0]}", words)])
        [(ref, found, evidence, explains)] = node_shared.suspects(facts)
        assert ref == Ref("DaemonSet", "security", "fim-agent")
        assert Ref("DaemonSet", "logging", shipper) in explains and "E2" in evidence
        message = found["message"]
        assert "inotify" in message and "fs.inotify.max_user_instances" in message and NODES[0] in message
        assert "2026-11-18T15:17:00Z" in message and "too many open files" in message.lower()


def test_a_node_agent_whose_pods_run_on_other_nodes_is_not_named() -> None:
    facts = _facts([_crashloop("logging", "promtail")], [_created_ds("security", "fim-agent", "2026-11-18T15:17:00Z")],
                   _shipper_pods() + _agent_pods(("ip-10-0-9-99.ec2.internal",)),
                   logs=[_log("logging", "promtail-6bq52", PROMTAIL)])
    assert _culprits(facts) == []


def test_a_node_agent_created_after_the_victims_failures_began_is_not_named() -> None:
    events = [{"type": "Warning", "reason": "BackOff", "kind": "Pod", "namespace": "logging", "name": "promtail-6bq52",
               "message": "error creating promtail: too many open files", "first_seen": "2026-11-18T09:00:00Z"}]
    facts = _facts([_crashloop("logging", "promtail")], [_created_ds("security", "fim-agent", "2026-11-18T15:17:00Z")],
                   _shipper_pods() + _agent_pods(NODES), logs=[_log("logging", "promtail-6bq52", PROMTAIL)],
                   events=events)
    assert _culprits(facts) == []


def test_a_restart_with_no_revision_adds_no_consumer() -> None:
    restart = {"at": "2026-11-19T05:00:00Z", "type": "rollout",
               "object": {"kind": "Deployment", "namespace": "web", "name": "frontend"},
               "summary": "Deployment web/frontend: all 3 pods recreated since 2026-11-19T05:00:00Z (a restart or an "
                          "update with no visible revision)"}
    pods = [*_shipper_pods(), _pod("web", "frontend-7d9fbc6d8b-x2k4p", NODES[0])]
    facts = _facts([_crashloop("logging", "promtail")], [restart], pods,
                   logs=[_log("logging", "promtail-6bq52", PROMTAIL)])
    assert _culprits(facts) == []


# ---- volume attach slots: a workload with claims scaled onto the same nodes -----------------------------------


def _pending_db(message: str) -> dict[str, Any]:
    return {"check": "pod.pending", "severity": "critical",
            "object": {"kind": "StatefulSet", "namespace": "orders", "name": "orders-db"},
            "message": "StatefulSet orders/orders-db: 1/3 pods Pending", "evidence": [message]}


SCHEDULER = ("FailedScheduling: 0/4 nodes are available: 2 node(s) exceed max volume count, 2 node(s) had volume "
             "node affinity conflict.")
ATTACHER = ('AttachVolume.Attach failed for volume "pvc-4f1c" : rpc error: code = Internal desc = Could not attach '
            'volume "vol-0ab1" to node "i-0c2d": maximum number of attachments reached')


def _db_pods() -> list[dict[str, Any]]:
    return [_pod("orders", "orders-db-0", NODES[0]), _pod("orders", "orders-db-2", NODES[1])]


def _scaled(ns: str, name: str, at: str, line: str) -> dict[str, Any]:
    return {"at": at, "type": "scale", "object": {"kind": "StatefulSet", "namespace": ns, "name": name},
            "summary": f"StatefulSet {ns}/{name} written by helm: spec.replicas", "diff": [line]}


def test_a_statefulset_scaled_onto_the_same_nodes_is_named_for_exceed_max_volume_count() -> None:
    for words in (SCHEDULER, ATTACHER):
        pods = _db_pods() + [_pod("ci", f"buildkitd-{i}", NODES[i % 2]) for i in range(6)]
        facts = _facts([_pending_db(words)], [
            _scaled("ci", "buildkitd", "2026-11-18T16:11:00Z", "spec.replicas written by helm (now 24)"),
            {"at": "2026-11-19T07:30:00Z", "type": "rollout",
             "object": {"kind": "Deployment", "namespace": "web", "name": "shop"},
             "summary": "Deployment web/shop rolled out revision 4", "diff": ["shop image shop:1.2 -> shop:1.3"]}],
            [*pods, _pod("web", "shop-7d9fbc6d8b-x2k4p", NODES[0])])
        [(ref, found, _, explains)] = node_shared.suspects(facts)
        assert ref == Ref("StatefulSet", "ci", "buildkitd") and Ref("StatefulSet", "orders", "orders-db") in explains
        assert "volume attach slots" in found["message"] and "now 24" in found["message"]
        assert NODES[0] in found["message"] and "allocatable.count" in found["message"]


def test_a_statefulset_scaled_onto_other_nodes_is_not_named_for_the_attach_limit() -> None:
    pods = _db_pods() + [_pod("ci", f"buildkitd-{i}", NODES[2]) for i in range(6)]
    facts = _facts([_pending_db(SCHEDULER)],
                   [_scaled("ci", "buildkitd", "2026-11-18T16:11:00Z", "spec.replicas written by helm (now 24)")], pods)
    assert _culprits(facts) == []


# ---- schedulable capacity: the autoscaler's cap lowered --------------------------------------------------------


def _pending_deploy(words: str) -> dict[str, Any]:
    return {"check": "pod.pending", "severity": "critical",
            "object": {"kind": "Deployment", "namespace": "fulfilment", "name": "pick-planner"},
            "message": f"Deployment fulfilment/pick-planner: 3/8 pods Pending, FailedScheduling: {words}"}


def _autoscaler(at: str, line: str) -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "Deployment", "namespace": "kube-system",
                                                    "name": "cluster-autoscaler"},
            "summary": "Deployment kube-system/cluster-autoscaler rolled out revision 5", "diff": [line]}


NODES_FLAG = ("cluster-autoscaler command ['./cluster-autoscaler', '--cloud-provider=aws', "
              "'--nodes=3:12:eks-general-20260301', '--scale-down-utilization-threshold=0.5', "
              "'--skip-nodes-with-local-storage=false', '--expander=least-waste'] -> ['./cluster-autoscaler', "
              "'--cloud-provider=aws', '--nodes=3:4:eks-general-20260301', '--scale-down-utilization-threshold=0.5', "
              "'--skip-nodes-with-local-storage=false', '--expander=least-waste']")
TOTAL_FLAG = "cluster-autoscaler args ['--max-nodes-total=40'] -> ['--max-nodes-total=6']"
SCALE_UP = {"at": "2026-11-19T07:40:00Z", "type": "scale",
            "object": {"kind": "Deployment", "namespace": "fulfilment", "name": "pick-planner"},
            "summary": "Deployment fulfilment/pick-planner rescaled by HPA pick-planner: now 8 replicas", "diff": []}


def test_the_autoscalers_lowered_node_cap_is_named_for_insufficient_cpu_or_memory() -> None:
    for words, line, shown in (("0/4 nodes are available: 4 Insufficient cpu.", NODES_FLAG,
                                "--nodes=3:12:eks-general-20260301 -> --nodes=3:4:eks-general-20260301"),
                               ("0/6 nodes are available: 6 Insufficient memory.", TOTAL_FLAG, "--max-nodes-total=6")):
        facts = _facts([_pending_deploy(words)], [SCALE_UP, _autoscaler("2026-11-18T17:52:00Z", line)],
                       [_pod("kube-system", "cluster-autoscaler-6f8d9c7b5d-q2w3e", NODES[2])])
        [(ref, found, _, explains)] = node_shared.suspects(facts)
        assert ref == Ref("Deployment", "kube-system", "cluster-autoscaler")
        assert Ref("Deployment", "fulfilment", "pick-planner") in explains
        assert found["reason"] == "SharedResourceCapped" and shown in found["message"]
        assert "max node group size reached" in found["message"] and len(found["message"]) < 900


def test_the_autoscaler_event_alone_names_the_victim_and_the_cap() -> None:
    events = [{"type": "Normal", "reason": "NotTriggerScaleUp", "kind": "Pod", "namespace": "fulfilment",
               "name": "pick-planner-6d5f7c8b9d-x2k4p", "first_seen": "2026-11-19T07:41:00Z",
               "message": "pod didn't trigger scale-up: 1 max node group size reached"}]
    facts = _facts([], [_autoscaler("2026-11-19T06:00:00Z", TOTAL_FLAG)], [], events=events)
    assert _culprits(facts) == ["Deployment kube-system/cluster-autoscaler"]


def test_an_autoscaler_change_after_the_pods_went_pending_or_of_another_flag_is_not_named() -> None:
    events = [{"type": "Warning", "reason": "FailedScheduling", "kind": "Pod", "namespace": "fulfilment",
               "name": "pick-planner-6d5f7c8b9d-x2k4p", "first_seen": "2026-11-19T05:00:00Z",
               "message": "0/4 nodes are available: 4 Insufficient cpu."}]
    late = _facts([_pending_deploy("0/4 nodes are available: 4 Insufficient cpu.")],
                  [_autoscaler("2026-11-19T06:30:00Z", NODES_FLAG)], [], events=events)
    assert _culprits(late) == []
    other = _facts([_pending_deploy("0/4 nodes are available: 4 Insufficient cpu.")],
                   [_autoscaler("2026-11-19T06:30:00Z", "cluster-autoscaler args ['--scale-down-delay-after-add=10m'] "
                                                        "-> ['--scale-down-delay-after-add=30m']")], [])
    assert _culprits(other) == []


# ---- pod IPs: the CNI's warm pool settings removed -------------------------------------------------------------


def test_the_cni_change_that_removed_the_warm_ip_settings_is_named_for_failed_ip_assignment() -> None:
    node = {"check": "node.pod_ips_exhausted", "severity": "critical",
            "object": {"kind": "Node", "name": NODES[2]},
            "message": f"Node {NODES[2]}: the CNI cannot assign pod IP addresses here (plugin type=\"aws-cni\" "
                       "failed (add): add cmd: failed to assign an IP address to container)"}
    diff = ["aws-node image amazon-k8s-cni:v1.18.5 -> amazon-k8s-cni:v1.19.0",
            "aws-node env MINIMUM_IP_TARGET='10' -> unset", "aws-node env WARM_IP_TARGET='5' -> unset"]
    cni: dict[str, Any] = {"at": "2026-11-19T03:50:00Z", "type": "rollout",
           "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": "aws-node"},
           "summary": "DaemonSet kube-system/aws-node rolled out revision 2",
           "diff": diff}
    proxy = {"at": "2026-11-19T07:00:00Z", "type": "rollout",
             "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": "kube-proxy"},
             "summary": "DaemonSet kube-system/kube-proxy rolled out revision 3",
             "diff": ["kube-proxy image kube-proxy:v1.30.3 -> kube-proxy:v1.30.4"]}
    pods = [_pod("kube-system", f"aws-node-{SUFFIXES[i]}", n) for i, n in enumerate(NODES)]
    pods += [_pod("kube-system", f"kube-proxy-{SUFFIXES[i + 3]}", n) for i, n in enumerate(NODES)]
    [(ref, found, _, _)] = node_shared.suspects(_facts([node], [cni, proxy], pods))
    assert ref == Ref("DaemonSet", "kube-system", "aws-node")
    assert "WARM_IP_TARGET='5' -> unset" in found["message"] and "subnet" in found["message"][:400]
    assert "IP address" in found["message"][:400]
    only_image = {**cni, "diff": diff[:1]}  # image bumps cap nothing and add no pod: nothing is named
    assert _culprits(_facts([node], [only_image, proxy], pods)) == []


def test_no_shared_resource_words_no_suspect() -> None:
    facts = _facts([_crashloop("logging", "promtail")], [_created_ds("security", "fim-agent", "2026-11-18T15:17:00Z")],
                   _shipper_pods() + _agent_pods(NODES),
                   logs=[_log("logging", "promtail-6bq52", "error: config file /etc/promtail.yaml: no such file")])
    assert _culprits(facts) == []


def test_a_node_agents_image_bump_adds_no_watcher_but_a_new_host_path_does() -> None:
    def rollout(line: str) -> dict[str, Any]:
        return {"at": "2026-11-19T02:00:00Z", "type": "rollout",
                "object": {"kind": "DaemonSet", "namespace": "security", "name": "fim-agent"},
                "summary": "DaemonSet security/fim-agent rolled out revision 3", "diff": [line]}

    pods = _shipper_pods() + _agent_pods(NODES)
    logs = [_log("logging", "promtail-6bq52", PROMTAIL)]
    bump = _facts([_crashloop("logging", "promtail")], [rollout("fim-agent image fim-agent:1.2.0 -> fim-agent:1.2.1")],
                  pods, logs=logs)
    assert _culprits(bump) == []
    watches = _facts([_crashloop("logging", "promtail")],
                     [rollout("fim-agent volumes [] -> [{'name': 'host', 'hostPath': {'path': '/'}}]")], pods,
                     logs=logs)
    assert _culprits(watches) == ["DaemonSet security/fim-agent"]


def _agent_rollout(line: str) -> dict[str, Any]:
    return {"at": "2026-11-19T07:20:00Z", "type": "rollout",
            "object": {"kind": "DaemonSet", "namespace": "security", "name": "runtime-guard"},
            "summary": f"DaemonSet security/runtime-guard rolled out revision 9: {line}", "diff": [line]}


def test_a_node_agent_whose_requests_were_raised_on_every_node_is_named_for_insufficient_cpu() -> None:
    """A DaemonSet's rollout raising its per-node request takes allocatable cpu on every node at once; the same
    rollout lowering it (or touching only its image) adds no consumer."""
    pending = [_pending_deploy("0/4 nodes are available: 4 Insufficient cpu.")]
    raised = _facts(pending, [_agent_rollout("runtime-guard cpu request 100m -> 1500m")], [])
    assert _culprits(raised) == ["DaemonSet security/runtime-guard"]
    lowered = _facts(pending, [_agent_rollout("runtime-guard cpu request 1500m -> 100m")], [])
    assert _culprits(lowered) == []
    image = _facts(pending, [_agent_rollout("runtime-guard image guard:5.1.0 -> guard:5.2.0")], [])
    assert _culprits(image) == []
