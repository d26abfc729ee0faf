"""agent.triage.node_config_agent against runtimes and node writers its round never showed (issue #12).

The class: a privileged DaemonSet that writes the container runtime's or the kubelet's config on its nodes rolls
out, and new pods there fail at sandbox/container creation. Shapes with other runtimes and writers: a CRI-O
writer setting `cgroup_manager = "cgroupfs"` (CRI-O: `cri-o configured with cgroupfs cgroup manager, but received
systemd slice as parent`), a CRI-O writer whose drop-in lacks the pods' handler (`failed to find runtime handler
gvisor from runtime list`), a kubelet-config writer dropping `allowedUnsafeSysctls` (pods rejected
`SysctlForbidden`). Twins: a host-path reader (node-exporter) that speaks of no runtime, a kubelet writer rolled
after the rejections began, a workload failing for its own image (ErrImagePull is not a runtime failure).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from agent.triage import node_config_agent
from tests.triage.test_node_config_agent import AT, _daemonset, _facts, _found, _hub

CRIO_CGROUP = ('Failed to create pod sandbox: rpc error: code = Unknown desc = cri-o configured with cgroupfs cgroup '
               'manager, but received systemd slice as parent: /kubepods.slice/kubepods-burstable.slice/'
               'kubepods-burstable-pod1.slice')
CRIO_HANDLER = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to find runtime handler gvisor '
                'from runtime list map[crun:0xc000a1 runc:0xc000a2]')
SYSCTL = 'SysctlForbidden: Pod forbidden sysctl: "net.core.somaxconn" not allowlisted'
IMAGE = 'Failed to pull image "shop/checkout:9": rpc error: code = NotFound desc = failed to resolve reference'


def _writer(name: str, configmap: str) -> dict[str, Any]:
    return _daemonset(name, True, [{"name": "conf", "configMap": {"name": configmap}},
                                   {"name": "host", "hostPath": {"path": "/"}}])


def _cm(name: str, key: str, text: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "kube-system"}, "data": {key: text}}


CRIO_CONF = _cm("crio-dropins", "10-cgroup.conf", '[crio.runtime]\ncgroup_manager = "cgroupfs"\n'
                                                  'conmon_cgroup = "pod"\n')
CRIO_RUNTIMES = _cm("crio-runtimes", "20-runtimes.conf",
                    '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\n'
                    'runtime_path = "/usr/bin/crun"\n')
KUBELET = _cm("kubelet-tuning", "kubelet-patch.yaml", "cgroupDriver: systemd\nallowedUnsafeSysctls: []\n")


@pytest.mark.parametrize(("ds", "cm", "said", "meaning", "setting"), [
    ("crio-tuner", CRIO_CONF, CRIO_CGROUP, "cgroup_manager no longer matches", 'cgroup_manager = "cgroupfs"'),
    ("crio-runtimes", CRIO_RUNTIMES, CRIO_HANDLER, "runtime handler", 'default_runtime = "crun"'),
    ("kubelet-tuner", KUBELET, SYSCTL, "allowedUnsafeSysctls", "cgroupDriver: systemd"),
])
def test_other_runtimes_and_kubelet_writers_are_named(ds: str, cm: dict[str, Any], said: str, meaning: str,
                                                      setting: str) -> None:
    hub = _hub([_writer(ds, cm["metadata"]["name"]), cm], ds, ["n0", "n1", "n2"], [("n1", "x"), ("n2", "y")], said,
               [f"wrote /host/etc/{ds}.conf", "systemctl restart crio kubelet"])
    [agent] = _found(hub, _facts(ds, AT - timedelta(minutes=45), said))
    assert str(agent.daemonset) == f"DaemonSet kube-system/{ds}" and agent.failing_nodes == ["n1", "n2"]
    assert any(s.startswith(setting) for s in agent.settings)
    message = node_config_agent.finding(agent, AT)["message"][:400]
    assert meaning in message


def test_a_host_path_reader_that_speaks_of_no_runtime_is_not_named() -> None:
    exporter = {"kind": "DaemonSet", "metadata": {"name": "node-exporter", "namespace": "kube-system"},
                "spec": {"template": {"spec": {"hostPID": True, "volumes": [
                    {"name": "proc", "hostPath": {"path": "/proc"}}], "containers": [
                    {"name": "node-exporter", "image": "quay.io/prometheus/node-exporter:v1.8.2",
                     "args": ["--path.procfs=/host/proc"]}]}}}}
    hub = _hub([exporter], "node-exporter", ["n0", "n1", "n2"], [("n1", "x")], CRIO_CGROUP, ["listening on :9100"])
    assert _found(hub, _facts("node-exporter", AT - timedelta(minutes=45), CRIO_CGROUP)) == []


def test_a_kubelet_writer_rolled_after_the_rejections_began_is_not_named() -> None:
    hub = _hub([_writer("kubelet-tuner", "kubelet-tuning"), KUBELET], "kubelet-tuner", ["n0", "n1"], [("n1", "x")],
               SYSCTL, ["patched kubelet config"])
    assert _found(hub, _facts("kubelet-tuner", AT - timedelta(minutes=5), SYSCTL)) == []


def test_a_workloads_own_image_failure_is_not_a_runtime_failure() -> None:
    hub = _hub([_writer("crio-tuner", "crio-dropins"), CRIO_CONF], "crio-tuner", ["n0", "n1"], [("n1", "x")], IMAGE,
               ["systemctl restart crio"])
    facts = _facts("crio-tuner", AT - timedelta(minutes=45), IMAGE)
    assert facts.scan is not None
    for finding in facts.scan["findings"]:  # the scan's own words for an image pull, not a sandbox
        finding.update(reason="ErrImagePull", message=f"Deployment shop/checkout: 2/5 pods ErrImagePull: {IMAGE}",
                       evidence=[IMAGE])
    assert _found(hub, facts) == []
