"""A node-level setting a change made wrong for a workload (agent.triage.node_prerequisite, .prerequisites).

The wording catalogue first (each software's own words of a missing node prerequisite), then the mechanism over
facts built as the survey keeps them, in three shapes, each with negative twins:

- tuning: a DaemonSet's command now runs `sysctl -w vm.overcommit_memory=2` and a JVM cannot reserve its heap;
  a ConfigMap's sysctl.conf (mounted by a DaemonSet) lowers vm.max_map_count under Elasticsearch. Twins: the
  DaemonSet sets overcommit 1 (heuristic never refuses), the DaemonSet does not run on the failing node.
- template: an EC2NodeClass re-synced without userData; OpenSearch fails its max_map_count bootstrap check only
  on the node launched from it since; an AKS/CAPI-style template whose kubelet setup leaves inotify low. Twins:
  its userData still sets the key; the same error on an older node too.
- arch: a NodePool admitting arm64, an amd64-only image's `exec format error` on the new node; a Cluster API
  MachineDeployment's Go binary `cannot execute binary file`. Twin: the failing node is amd64 like the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.triage import node_prerequisite as npq
from agent.triage.facts import Facts, Ref
from agent.triage.prerequisites import named

AT = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
OLD = "2026-10-01T00:00:00Z"


# ---- the wording catalogue -------------------------------------------------------------------------

@pytest.mark.parametrize(("lines", "name", "need"), [
    (["2026-11-03T11:00:00.0Z [1] bootstrap checks failed",
      "[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]"],
     "vm.max_map_count", 262144),
    (["OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00000006c0000000, 2147483648, 0) failed; "
      "error='Not enough space' (errno=12)", "# There is insufficient memory for the Java Runtime Environment"],
     "vm.overcommit_memory", None),
    (["fatal error: runtime: cannot allocate memory"], "vm.overcommit_memory", None),
    (["exec /usr/local/bin/python3: exec format error"], "architecture", None),
    (["/app/server: cannot execute binary file: Exec format error"], "architecture", None),
    (["# WARNING: The TCP backlog setting of 511 cannot be enforced because /proc/sys/net/core/somaxconn is set "
      "to the lower value of 128."], "net.core.somaxconn", 511),
    (["Error: ENOSPC: System limit for number of file watchers reached, watch '/app/src'"], "fs.inotify", None),
    (["failed to create fsnotify watcher: too many open files"], "fs.inotify", None),
])
def test_software_wording_names_its_node_prerequisite(lines: list[str], name: str, need: int | None) -> None:
    said = named(lines)
    assert said is not None
    prereq, quoted, got_need = said
    assert prereq.name == name and got_need == need
    assert not quoted[0].startswith("2026-")  # the read's timestamp is not part of what the software said


def test_max_map_count_is_quoted_with_its_bootstrap_check_header() -> None:
    said = named(["[1] bootstrap checks failed", "[1]: max virtual memory areas vm.max_map_count [65530] is too low"])
    assert said is not None and said[1] == ["[1]: max virtual memory areas vm.max_map_count [65530] is too low",
                                            "[1] bootstrap checks failed"]


def test_ordinary_failures_name_no_prerequisite() -> None:
    assert named(["panic: runtime error: invalid memory address or nil pointer dereference",
                  "connection refused to postgres:5432"]) is None


# ---- facts as the survey keeps them ----------------------------------------------------------------

def _pod(name: str, ns: str, node: str, *, fails: bool, created: str = OLD) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "node": node, "created": created,
            "status": "CrashLoopBackOff" if fails else "Running", "restarts": 9 if fails else 0,
            "last_termination_reason": "Error" if fails else None}


def _node(name: str, created: str = OLD, arch: str = "amd64", **labels: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "creationTimestamp": created,
                                         "labels": {"kubernetes.io/arch": arch, **labels}},
            "status": {"nodeInfo": {"architecture": arch}}}


def _facts(changes: list[dict[str, Any]], rows: list[dict[str, Any]], lines: dict[str, list[str]],
           nodes: dict[str, dict[str, Any]] | None = None,
           templates: dict[str, dict[str, Any]] | None = None) -> Facts:
    store = {"pods": {"rows": rows}, "pods_id": "E7", "lines": lines, "log_ids": {p: ["E9"] for p in lines},
             "nodes": nodes or {}, "templates": templates or {}, "evidence": ["E11"]}
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", reads={npq.READS: store})


JVM = ["OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00000006c0000000, 2147483648, 0) failed; "
       "error='Not enough space' (errno=12)", "# There is insufficient memory for the Java Runtime Environment to "
       "continue."]


SUFFIX = {"n1": "x9zqb", "n2": "x9zqc", "n3": "x9zqd"}
"""DaemonSet pod name suffixes (the controller's alphabet has no vowels and no 0, 1 or 3)."""


def _tuner(new_cmd: str, ds_nodes: tuple[str, ...] = ("n1", "n2")) -> Facts:
    line = (f"tuner command ['sh', '-c', 'sysctl -w net.core.somaxconn=32768 && sleep infinity'] -> "
            f"['sh', '-c', '{new_cmd} && sleep infinity']")
    change = {"at": "2026-11-03T11:20:00Z", "type": "rollout",
              "object": {"kind": "DaemonSet", "namespace": "platform", "name": "node-sysctl"}, "diff": [line]}
    rows = [_pod("billing-7d9f8c6b5-xk2bd", "billing", "n1", fails=True, created="2026-11-03T11:40:00Z"),
            _pod("billing-7d9f8c6b5-fg7hj", "billing", "n2", fails=False),
            *[_pod(f"node-sysctl-{SUFFIX[n]}", "platform", n, fails=False) for n in ds_nodes]]
    return _facts([change], rows, {"billing-7d9f8c6b5-xk2bd": JVM})


def test_a_daemonset_that_makes_overcommit_strict_is_named_for_the_jvm_that_cannot_reserve() -> None:
    [fit] = npq.found(_tuner("sysctl -w net.core.somaxconn=32768 vm.overcommit_memory=2 vm.overcommit_ratio=50"))
    assert fit.target == Ref("DaemonSet", "platform", "node-sysctl") and fit.shape == "tuning"
    assert fit.workload == Ref("Deployment", "billing", "billing") and fit.peers == ["billing-7d9f8c6b5-fg7hj"]
    message = npq.finding(fit)["message"]
    assert message.startswith("DaemonSet platform/node-sysctl's write 40 min before the alert sets sysctl "
                              "vm.overcommit_memory=2 (was unset, with vm.overcommit_ratio=50)")
    assert "CommitLimit" in message[:300] and "errno=12" in message[:400]


@pytest.mark.parametrize(("cmd", "ds_nodes"), [
    ("sysctl -w net.core.somaxconn=32768 vm.overcommit_memory=1", ("n1", "n2")),  # heuristic: never refuses
    ("sysctl -w net.core.somaxconn=32768 vm.overcommit_memory=2", ("n2", "n3")),  # not on the failing node
])
def test_a_harmless_value_or_a_daemonset_elsewhere_is_not_blamed(cmd: str, ds_nodes: tuple[str, ...]) -> None:
    assert npq.found(_tuner(cmd, ds_nodes)) == []


def test_a_sysctl_conf_lowered_in_a_configmap_names_it_for_elasticsearch() -> None:
    change = {"at": "2026-11-03T09:00:00Z", "type": "config", "object": {"kind": "ConfigMap", "namespace": "ops",
                                                                          "name": "node-sysctls"},
              "diff": ["sysctl.conf: 'vm.max_map_count = 262144\\nfs.file-max = 2097152' -> "
                       "'vm.max_map_count = 65530\\nfs.file-max = 2097152'"],
              "related": [{"kind": "DaemonSet", "namespace": "ops", "name": "sysctl-applier"}]}
    rows = [_pod("logs-es-data-1", "logging", "n4", fails=True),
            _pod("sysctl-applier-q8w2z", "ops", "n4", fails=False)]
    lines = {"logs-es-data-1": ["ERROR: [1] bootstrap checks failed. You must address the points described below",
                                "bootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count "
                                "[65530] is too low, increase to at least [262144]"]}
    [fit] = npq.found(_facts([change], rows, lines))
    assert fit.target == Ref("ConfigMap", "ops", "node-sysctls") and fit.what.startswith("vm.max_map_count=65530")
    assert fit.workload == Ref("StatefulSet", "logging", "logs-es-data")


# ---- node templates ------------------------------------------------------------------------------

OPENSEARCH = ["[2026-11-03T11:50:02,812][ERROR][o.o.b.OpenSearchBootstrap] [search-2] node validation exception",
              "[1] bootstrap checks failed",
              "[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]"]


def _nodeclass(spec: dict[str, Any], failing_old_node: bool = False) -> Facts:
    change = {"at": "2026-11-03T06:00:00Z", "type": "other",
              "object": {"kind": "EC2NodeClass", "namespace": "", "name": "data-nodes"},
              "diff": ['spec.amiSelectorTerms = [{"alias": "al2023@latest"}]']}
    nodes = {"old1": _node("old1", **{"karpenter.sh/nodepool": "general"}),
             "old2": _node("old2", **{"karpenter.sh/nodepool": "general"}),
             "new1": _node("new1", "2026-11-03T10:00:00Z", **{"karpenter.k8s.aws/ec2nodeclass": "data-nodes"})}
    rows = [_pod("search-0", "data", "old1", fails=False), _pod("search-1", "data", "old2", fails=failing_old_node),
            _pod("search-2", "data", "new1", fails=True, created="2026-11-03T10:02:00Z")]
    template = {"kind": "EC2NodeClass", "metadata": {"name": "data-nodes"}, "spec": spec}
    return _facts([change], rows, {"search-2": OPENSEARCH}, nodes, {"EC2NodeClass data-nodes": template})


def test_a_node_class_without_the_userdata_that_set_the_key_is_named_with_the_bootstrap_check() -> None:
    [fit] = npq.found(_nodeclass({"role": "KarpenterNodeRole", "amiSelectorTerms": [{"alias": "al2023@latest"}]}))
    assert fit.target == Ref("EC2NodeClass", "", "data-nodes") and fit.shape == "template"
    assert fit.workload == Ref("StatefulSet", "data", "search") and fit.node == "new1"
    message = npq.finding(fit)["message"]
    assert message.startswith("EC2NodeClass data-nodes written 6 h 0 min before the alert launches nodes without "
                              "the kernel setting vm.max_map_count")
    assert "no userData" in message and "bootstrap checks failed" in message and "sysctl" in message


def test_a_userdata_that_sets_some_other_key_leaves_the_key_missing() -> None:
    [fit] = npq.found(_nodeclass({"userData": "#!/bin/bash\nsysctl -w net.core.somaxconn=4096\n"}))
    assert fit.what == "its userData sets no vm.max_map_count (sysctl)"


@pytest.mark.parametrize(("spec", "failing_old_node"), [
    ({"userData": "#!/bin/bash\nsysctl -w vm.max_map_count=262144\n"}, False),  # the new nodes have it
    ({"role": "KarpenterNodeRole"}, True),  # an older node fails alike: not what the template made
])
def test_a_template_that_provides_the_key_or_that_the_failures_do_not_split_on_is_not_blamed(
        spec: dict[str, Any], failing_old_node: bool) -> None:
    assert npq.found(_nodeclass(spec, failing_old_node)) == []


def test_a_machine_template_whose_kubelet_setup_leaves_inotify_low_is_named() -> None:
    change = {"at": "2026-11-02T20:00:00Z", "type": "other",
              "object": {"kind": "MachineDeployment", "namespace": "capi", "name": "md-workers"},
              "diff": ["spec.template.spec.version = 'v1.30.4'"]}
    nodes = {"w-old": _node("w-old", **{"cluster.x-k8s.io/deployment-name": "md-workers"}),
             "w-new": _node("w-new", "2026-11-03T02:00:00Z", **{"cluster.x-k8s.io/deployment-name": "md-workers"})}
    rows = [_pod("builder-5c8d7f9b6-bbzqk", "ci", "w-old", fails=False),
            _pod("builder-5c8d7f9b6-vw4mt", "ci", "w-new", fails=True)]
    lines = {"builder-5c8d7f9b6-vw4mt": ["Error: ENOSPC: System limit for number of file watchers reached"]}
    template = {"kind": "MachineDeployment", "spec": {"template": {"spec": {"version": "v1.30.4",
                                                                          "kubeletConfiguration": {"maxPods": 110}}}}}
    [fit] = npq.found(_facts([change], rows, lines, nodes, {"MachineDeployment capi/md-workers": template}))
    assert fit.target == Ref("MachineDeployment", "capi", "md-workers") and fit.prereq.name == "fs.inotify"


# ---- architecture --------------------------------------------------------------------------------

def _pool(kind: str, name: str, label: str, new_arch: str, error: str) -> Facts:
    change = {"at": "2026-11-03T08:00:00Z", "type": "other", "object": {"kind": kind, "namespace": "", "name": name},
              "diff": ['spec.template.spec.requirements = [{"key": "kubernetes.io/arch", "operator": "In", '
                       '"values": ["amd64", "arm64"]}]']}
    nodes = {"a1": _node("a1"), "a2": _node("a2"),
             "g1": _node("g1", "2026-11-03T09:00:00Z", new_arch, **{label: name})}
    rows = [_pod("ocr-6d5f7c8b9-bbzqk", "docs", "a1", fails=False), _pod("ocr-6d5f7c8b9-vw4mt", "docs", "a2",
                                                                         fails=False),
            _pod("ocr-6d5f7c8b9-rr8pn", "docs", "g1", fails=True, created="2026-11-03T09:02:00Z")]
    template = {"kind": kind, "spec": {"template": {"spec": {"requirements": [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}}}}
    return _facts([change], rows, {"ocr-6d5f7c8b9-rr8pn": [error]}, nodes, {f"{kind} {name}": template})


@pytest.mark.parametrize(("kind", "name", "label", "error"), [
    ("NodePool", "general", "karpenter.sh/nodepool", "exec /usr/local/bin/python3: exec format error"),
    ("MachineDeployment", "md-0", "cluster.x-k8s.io/deployment-name",
     "/bin/sh: /app/ocr: cannot execute binary file: Exec format error"),
])
def test_a_pool_admitting_another_architecture_is_named_for_the_exec_format_error(kind: str, name: str, label: str,
                                                                                  error: str) -> None:
    [fit] = npq.found(_pool(kind, name, label, "arm64", error))
    assert fit.target.name == name and fit.shape == "arch"
    message = npq.finding(fit)["message"]
    assert message.startswith(f"{kind} {name} written 4 h 0 min before the alert")
    assert all(w in message[:400] for w in ("arm64", "amd64", "architecture", "xec format error")), message


def test_a_failing_node_of_the_same_architecture_is_not_the_pool_s_doing() -> None:
    assert npq.found(_pool("NodePool", "general", "karpenter.sh/nodepool", "amd64",
                           "exec /usr/local/bin/python3: exec format error")) == []


def test_a_template_setting_nothing_takes_nothing_the_kernel_default_gives() -> None:
    """Strict overcommit is never the default: a new node whose template sets no overcommit key is not why a JVM
    there cannot reserve its heap."""
    facts = _nodeclass({"role": "KarpenterNodeRole"})
    facts.reads[npq.READS]["lines"] = {"search-2": JVM}
    assert npq.found(facts) == []


# ---- OS image ------------------------------------------------------------------------------------

def _image(diff: str) -> Facts:
    change = {"at": "2026-11-03T05:00:00Z", "type": "other",
              "object": {"kind": "EC2NodeClass", "namespace": "", "name": "apps"}, "diff": [diff]}
    label = {"karpenter.k8s.aws/ec2nodeclass": "apps"}
    nodes = {"o1": _node("o1", **label), "o2": _node("o2", **label), "n9": _node("n9", "2026-11-03T07:00:00Z", **label)}
    for name, image in (("o1", "Amazon Linux 2"), ("o2", "Amazon Linux 2"), ("n9", "Amazon Linux 2023.6.20241111")):
        nodes[name]["status"]["nodeInfo"]["osImage"] = image
    rows = [_pod("agent-6c7d8f9b5-bbzqk", "obs", "o1", fails=False), _pod("agent-6c7d8f9b5-vw4mt", "obs", "o2",
                                                                          fails=False),
            _pod("agent-6c7d8f9b5-rr8pn", "obs", "n9", fails=True, created="2026-11-03T07:05:00Z")]
    lines = {"agent-6c7d8f9b5-rr8pn": ["level=fatal msg=\"open /sys/fs/cgroup/memory/memory.limit_in_bytes: no such "
                                       "file or directory\""]}
    template = {"kind": "EC2NodeClass", "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}]}}
    return _facts([change], rows, lines, nodes, {"EC2NodeClass apps": template})


def test_a_node_class_moved_to_a_cgroup_v2_image_is_named_for_the_v1_reader_failing_on_its_new_nodes() -> None:
    [fit] = npq.found(_image('spec.amiSelectorTerms = [{"alias": "al2023@latest"}]'))
    assert fit.shape == "os" and fit.target == Ref("EC2NodeClass", "", "apps")
    message = npq.finding(fit)["message"]
    assert "Amazon Linux 2023" in message[:300] and "memory.limit_in_bytes" in message[:400], message


def test_a_write_that_chose_no_image_is_not_the_os_image_s_cause() -> None:
    assert npq.found(_image('spec.subnetSelectorTerms = [{"tags": {"tier": "private"}}]')) == []


# ---- more shapes: a tuner created anew, a runtime limit a template no longer raises, an image pull ------------

def _created_tuner(spec_text: str, lines: list[str]) -> Facts:
    change = {"at": "2026-11-03T10:00:00Z", "type": "created",
              "object": {"kind": "DaemonSet", "namespace": "ops", "name": "node-tune"}, "diff": []}
    rows = [_pod("search-es-0", "search", "n1", fails=True), _pod("node-tune-x9zqb", "ops", "n1", fails=False)]
    facts = _facts([change], rows, {"search-es-0": lines})
    facts.reads[npq.READS]["tuners"] = {"DaemonSet ops/node-tune": spec_text}
    return facts


def test_a_tuning_daemonset_created_in_the_window_is_read_from_its_spec() -> None:
    spec = '{"spec": {"containers": [{"command": ["sh", "-c", "sysctl -w vm.overcommit_memory=2 && sleep 1d"]}]}}'
    [fit] = npq.found(_created_tuner(spec, JVM))
    assert fit.target == Ref("DaemonSet", "ops", "node-tune") and fit.what.startswith("vm.overcommit_memory=2 (a "
                                                                                       "DaemonSet created then)")


def test_a_created_tuner_that_sets_the_key_high_enough_is_not_blamed() -> None:
    spec = '{"spec": {"initContainers": [{"command": ["sysctl", "-w", "vm.max_map_count=262144"]}]}}'
    assert npq.found(_created_tuner(spec, OPENSEARCH)) == []


ES_NOFILE = ["ERROR: [1] bootstrap checks failed",
             "[1]: max file descriptors [4096] for elasticsearch process is too low, increase to at least [65535]"]


@pytest.mark.parametrize(("spec", "blamed"), [
    ({"role": "KarpenterNodeRole"}, True),
    ({"userData": "[Service]\\nLimitNOFILE=1048576\\n"}, False),  # the template still raises it
])
def test_a_runtime_open_files_limit_the_template_no_longer_raises(spec: dict[str, Any], blamed: bool) -> None:
    facts = _nodeclass(spec)
    facts.reads[npq.READS]["lines"] = {"search-2": ES_NOFILE}
    fits = npq.found(facts)
    assert bool(fits) is blamed
    if fits:
        message = npq.finding(fits[0])["message"]
        assert "LimitNOFILE" in message[:200] and "max file descriptors [4096]" in message, message


def test_an_image_without_the_new_nodes_platform_fails_its_pull_there() -> None:
    facts = _pool("NodePool", "general", "karpenter.sh/nodepool", "arm64", "")
    store = facts.reads[npq.READS]
    pod = "ocr-6d5f7c8b9-rr8pn"
    row = next(r for r in store["pods"]["rows"] if r["name"] == pod)
    row.update(status="ImagePullBackOff", restarts=0, last_termination_reason=None)
    store["lines"] = {pod: ['Failed to pull image "registry.example.com/docs/ocr:2.0": no matching manifest for '
                            'linux/arm64/v8 in the manifest list entries']}
    [fit] = npq.found(facts)
    assert fit.shape == "arch" and "arm64" in fit.what


def test_a_single_replica_moved_to_the_new_architecture_is_compared_with_the_older_nodes() -> None:
    facts = _pool("NodePool", "general", "karpenter.sh/nodepool", "arm64", "exec /app/ocr: exec format error")
    rows = facts.reads[npq.READS]["pods"]["rows"]
    rows[:] = [r for r in rows if r["node"] == "g1"]  # its only pod runs on the new node
    [fit] = npq.found(facts)
    assert "older nodes are amd64" in fit.what
    same = _pool("NodePool", "general", "karpenter.sh/nodepool", "amd64", "exec /app/ocr: exec format error")
    same_rows = same.reads[npq.READS]["pods"]["rows"]
    same_rows[:] = [r for r in same_rows if r["node"] == "g1"]
    assert npq.found(same) == []


def test_a_daemonset_victim_is_named_as_the_scan_named_it() -> None:
    change = {"at": "2026-11-02T20:00:00Z", "type": "other",
              "object": {"kind": "NodePool", "namespace": "", "name": "batch"}, "diff": ["spec.limits.cpu = 400"]}
    label = {"karpenter.sh/nodepool": "batch"}
    nodes = {"b-old": _node("b-old", **label), "b-new": _node("b-new", "2026-11-03T01:00:00Z", **label)}
    rows = [_pod("log-agent-x9zqb", "obs", "b-old", fails=False), _pod("log-agent-x9zqc", "obs", "b-new", fails=True)]
    lines = {"log-agent-x9zqc": ["[error] [input:tail:tail.0] inotify_init(2) failed: too many open files"]}
    facts = _facts([change], rows, lines, nodes, {"NodePool batch": {"kind": "NodePool", "spec": {}}})
    facts.scan = {"findings": [{"check": "pod.crashloop", "object": {"kind": "DaemonSet", "namespace": "obs",
                                                                     "name": "log-agent"}}]}
    [fit] = npq.found(facts)
    assert fit.workload == Ref("DaemonSet", "obs", "log-agent") and fit.prereq.name == "fs.inotify"


def test_a_node_tuning_profile_that_makes_overcommit_strict_is_named() -> None:
    change = {"at": "2026-11-03T11:00:00Z", "type": "other",
              "object": {"kind": "Tuned", "namespace": "openshift-cluster-node-tuning-operator", "name": "apps"},
              "diff": ["spec.profile[0].data '[main]\\n[sysctl]\\nvm.overcommit_memory=0\\n' -> "
                       "'[main]\\n[sysctl]\\nvm.overcommit_memory=2\\n'"]}
    rows = [_pod("billing-7d9f8c6b5-xk2bd", "billing", "n1", fails=True)]
    [fit] = npq.found(_facts([change], rows, {"billing-7d9f8c6b5-xk2bd": JVM}))
    assert fit.target.kind == "Tuned" and fit.what.startswith("vm.overcommit_memory=2 (was 0)")
