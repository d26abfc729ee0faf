"""A node's listen queue overflowing after something on the node lowered the kernel limit that bounds it.

Two shapes, end to end on bundles written here with the corpus generator's writer, served by the replay API
server and Debian's Prometheus and investigated blind in runbook-only mode (as `vigil eval` does):

- a DaemonSet's init container runs `sysctl -w net.core.somaxconn=512` (its revision before wrote 4096); the
  page names only the node-exporter address of one node; a Deployment rolled on the same node (an image bump)
  is the red herring;
- a DaemonSet mounts a ConfigMap holding sysctl.conf and applies it; a hand edit lowers
  `net.core.somaxconn = 8192` to `= 256`; the question names the node by its host name.

node-exporter's `node_netstat_TcpExt_ListenOverflows`/`ListenDrops` are the kernel's TcpExt counters
(/proc/net/netstat). The negative twins are unit tests over the facts: a counter that barely moves, a
revision that raised the limit or touched another key, a ConfigMap no pod on the node mounts.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import node_exhaustion
from agent.triage.facts import Facts, Ref
from agent.triage.kernel_settings import Setting, changed, values
from agent.triage.node_exhaustion import TABLES, Exhausted
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402

LISTEN = next(t for t in TABLES if t.counter)
AT = datetime(2026, 10, 6, 15, 30, tzinfo=UTC)


# ---- the settings a diff line moves ----------------------------------------------------------------------------


def test_settings_are_read_in_each_shape_a_node_is_tuned() -> None:
    assert values("sysctl -w net.core.somaxconn=1024 net.ipv4.tcp_max_syn_backlog=2048") == {
        "net.core.somaxconn": 1024, "net.ipv4.tcp_max_syn_backlog": 2048}
    assert values("echo 128 > /proc/sys/net/core/somaxconn") == {"net.core.somaxconn": 128}
    assert values("{'name': 'net.core.somaxconn', 'value': '4096'}") == {"net.core.somaxconn": 4096}
    assert values("'fs.file-max = 100000\\nvm.swappiness = 10'") == {"fs.file-max": 100000, "vm.swappiness": 10}
    assert values("somaxconn 1024 in the docs") == {}


def test_only_a_key_whose_value_moved_is_a_change() -> None:
    line = "tuner command ['sysctl -w net.core.somaxconn=4096 vm.swappiness=10'] -> " \
           "['sysctl -w net.core.somaxconn=4096 vm.swappiness=60']"
    assert changed(line) == [Setting("vm.swappiness", 10, 60)]
    assert changed("sysctl -w net.core.somaxconn=4096") == []
    [lowered] = changed("a net.core.somaxconn=4096 -> b net.core.somaxconn=1024")
    assert str(lowered) == "net.core.somaxconn 4096 -> 1024"


# ---- the listen queue and who lowered its limit (facts) --------------------------------------------------------


def _labels(name: str, node: str = "ip-10-1-4-7.ec2.internal") -> dict[str, Any]:
    return {"__name__": name, "instance": node, "job": "node-exporter"}


def test_a_listen_counter_that_rose_is_a_full_queue_and_a_trickle_is_not() -> None:
    node = "ip-10-1-4-7.ec2.internal"
    rose = [(_labels(LISTEN.counter), 5400.0), (_labels(str(LISTEN.drops)), 5500.0)]
    found = node_exhaustion._full(node, rose, set())
    assert found is not None and found.table is LISTEN and found.drops == 5500.0
    assert node_exhaustion._full(node, [(_labels(LISTEN.counter), 3.0)], set()) is None
    assert node_exhaustion._full("ip-10-1-4-8.ec2.internal", rose, set()) is None


def listen_facts(changes: list[dict[str, Any]],
                 mounts: dict[tuple[str, str], Ref] | None = None) -> tuple[Facts, Exhausted]:
    facts = Facts(at=AT)
    facts.changes = {"changes": changes}
    found = Exhausted("ip-10-1-4-7.ec2.internal", LISTEN, 5400, 0, 5500, onset="2026-10-06T15:05:00Z",
                      pods=[("kube-system", "net-tuning-x7k2p"), ("shop", "storefront-6d9f8b7c5d-x2x9q")],
                      evidence=["E9"])
    node_exhaustion._blame(found, facts, mounts)
    facts.objects.append(({"kind": node_exhaustion.RECORD_KIND, "found": found}, ""))
    return facts, found


def _ds(diff: list[str], at: str = "2026-10-06T09:40:00Z") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "DaemonSet", "namespace": "kube-system",
                                                    "name": "net-tuning"},
            "summary": "DaemonSet kube-system/net-tuning revision 5", "diff": diff}


STOREFRONT = {"at": "2026-10-06T14:40:00Z", "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "shop", "name": "storefront"},
              "summary": "Deployment shop/storefront revision 8", "diff": ["storefront image s:1.4 -> s:1.5"]}


def test_a_daemonset_revision_lowering_somaxconn_hours_before_is_named_over_a_closer_image_bump() -> None:
    facts, found = listen_facts([_ds(["net-tuning initContainers args ['sysctl -w net.core.somaxconn=4096'] -> "
                                      "['sysctl -w net.core.somaxconn=512']"]), STOREFRONT])
    assert found.culprit == Ref("DaemonSet", "kube-system", "net-tuning")
    [(_, f, _, explains)] = node_exhaustion.suspects(facts)
    for words in ("net.core.somaxconn 4096 -> 512", "listen queue", "overflows", "ListenOverflows"):
        assert words in f["message"], (words, f["message"])
    assert explains == [Ref("Node", "", "ip-10-1-4-7.ec2.internal")]


def test_a_revision_that_raised_the_limit_or_moved_another_key_is_not_the_setting_blamed() -> None:
    for diff in (["net-tuning args ['sysctl -w net.core.somaxconn=512'] -> ['sysctl -w net.core.somaxconn=4096']"],
                 ["net-tuning args ['sysctl -w vm.swappiness=10'] -> ['sysctl -w vm.swappiness=60']"]):
        _, found = listen_facts([_ds(diff), STOREFRONT])
        if "somaxconn=512'] -> " in diff[0]:  # raised: still the key of the table, read as what moved
            assert found.settings == [Setting("net.core.somaxconn", 512, 4096)]
        else:  # another key: the closest change wins, no kernel setting is claimed
            assert found.culprit == Ref("Deployment", "shop", "storefront") and found.settings == []


def _cm(name: str, old: str, new: str) -> dict[str, Any]:
    return {"at": "2026-10-06T12:10:00Z", "type": "config", "object": {"kind": "ConfigMap", "namespace":
                                                                       "kube-system", "name": name},
            "summary": f"ConfigMap kube-system/{name} updated by kubectl-edit",
            "diff": [f"data key sysctl.conf {old!r} -> {new!r} (outside kubectl apply)"]}


def test_a_mounted_configmap_lowering_the_limit_is_named_with_the_daemonset_that_applies_it() -> None:
    cm = _cm("node-sysctls", "net.core.somaxconn = 8192\n", "net.core.somaxconn = 256\n")
    facts, found = listen_facts([cm, STOREFRONT], {("kube-system", "node-sysctls"):
                                                   Ref("DaemonSet", "kube-system", "net-tuning")})
    assert found.culprit == Ref("ConfigMap", "kube-system", "node-sysctls")
    [(_, f, _, _)] = node_exhaustion.suspects(facts)
    assert "net.core.somaxconn 8192 -> 256" in f["message"] and "mounted by DaemonSet kube-system/net-tuning" in \
        f["message"], f["message"]


def test_a_configmap_no_pod_on_the_node_mounts_is_not_blamed() -> None:
    cm = _cm("other-sysctls", "net.core.somaxconn = 8192\n", "net.core.somaxconn = 256\n")
    _, found = listen_facts([cm, STOREFRONT], {})
    assert found.culprit == Ref("Deployment", "shop", "storefront") and found.settings == []


# ---- end to end -------------------------------------------------------------------------------------------------


def _counter(start: datetime, rate_before: float, rate_after: float, change: datetime) -> Callable[[datetime], float]:
    def value(t: datetime) -> float:
        upto = min(t, change)
        return rate_before * max(0.0, (upto - start).total_seconds()) + \
            rate_after * max(0.0, (t - change).total_seconds())
    return value


def _tuner(inc: Incident, name: str, pod_spec: Callable[[int], dict[str, Any]], revisions: dict[int, datetime],
           nodes: list[str]) -> None:
    """A privileged DaemonSet on `nodes` whose pod template per revision is `pod_spec(rev)`, with its
    ControllerRevisions as the API server keeps them."""
    ns = "kube-system"
    pods = inc.cluster.daemonset(ns, name, "docker.io/library/busybox:1.36.1", inc.born + timedelta(days=3),
                                 memory_mi=1)
    inc.cluster.pods = [p for p in inc.cluster.pods if not (p.workload == name and p.node not in nodes)]
    last = max(revisions)
    ds = inc.find("DaemonSet", ns, name)
    ds["spec"]["template"] = {"metadata": {"labels": {"app": name}}, "spec": pod_spec(last)}
    ds["metadata"]["generation"] = last
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = str(last)
    for rev, when in revisions.items():
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"{name}-{o.suffix(f'{name}{rev}', 10)}", "namespace": ns,
                              "creationTimestamp": ts(when),
                              "labels": {"app": name, "controller-revision-hash": o.suffix(f"{name}{rev}", 10)},
                              "ownerReferences": [o.owner_ref("DaemonSet", name, ns)]},
                 "revision": rev, "data": {"spec": {"template": {"metadata": {"labels": {"app": name}},
                                                                 "spec": pod_spec(rev), "$patch": "replace"}}}})
    for i, h in enumerate(p for p in pods if p.node in nodes):
        h.created = revisions[last] + timedelta(seconds=30 + 40 * i)
        h.states[0].started_at = h.created + timedelta(seconds=4)


def _overflows(inc: Incident, hit: str, start: datetime, peak: datetime, by_ip: bool) -> None:
    for n in inc.node_names():
        labels = {"instance": f"{inc.cluster.node_ip(n)}:9100", "node": n} if by_ip else {"instance": n}
        labels["job"] = "node-exporter"
        rate = 41.0 if n == hit else 0.0
        inc.series("node_netstat_TcpExt_ListenOverflows", "unknown", "Statistic TcpExtListenOverflows.",
                   dict(labels), _counter(start, 0.0, rate, peak))
        inc.series("node_netstat_TcpExt_ListenDrops", "unknown", "Statistic TcpExtListenDrops.",
                   dict(labels), _counter(start, 0.0, rate * 1.02, peak))


def init_container_sysctl() -> Incident:
    """net-tuning's revision 6 init container writes net.core.somaxconn=512 (revision 5: 4096) on the ingress
    pool; at the evening peak the node's accept queues overflow. The page names the node-exporter address."""
    inc = Incident("ingress-node-accept-queue", title="SYN drops on an ingress node", at=AT, seed=8821,
                   story=init_container_sysctl.__doc__ or "", namespaces=("shop",))
    hit = inc.node_names()[1]
    rolled, peak = AT - timedelta(hours=5), AT - timedelta(minutes=25)

    def spec(rev: int) -> dict[str, Any]:
        value = {5: 4096, 6: 512}[rev]
        return {"hostNetwork": True, "initContainers": [
            {"name": "sysctl", "image": "docker.io/library/busybox:1.36.1", "securityContext": {"privileged": True},
             "command": ["sh", "-c"], "args": [f"sysctl -w net.core.somaxconn={value}"]}],
            "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.9"}]}
    _tuner(inc, "net-tuning", spec, {5: inc.born + timedelta(days=8), 6: rolled}, [hit])
    inc.deployment("shop", "storefront", [
        Rev(7, inc.born + timedelta(days=10), "deploy 1.4", [c("storefront", f"{REGISTRY}/shop/storefront:1.4")]),
        Rev(8, AT - timedelta(minutes=50), "deploy 1.5", [c("storefront", f"{REGISTRY}/shop/storefront:1.5")])],
        {8: [P(node=hit)]})
    _overflows(inc, hit, AT - timedelta(hours=2), peak, by_ip=True)
    ip = inc.cluster.node_ip(hit)
    inc.alertmanager("NodeListenQueueOverflow", {"instance": f"{ip}:9100", "job": "node-exporter"},
                     "Listen queue overflows on a node",
                     f"{ip}:9100 drops connections: its listen queues overflow.",
                     "rate(node_netstat_TcpExt_ListenOverflows[5m]) > 1", severity="critical")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "net-tuning"), keywords=["somaxconn", "listen queue"],
                   root_cause="net-tuning revision 6 lowers net.core.somaxconn from 4096 to 512; the node's accept "
                              "queues overflow at the peak.",
                   category="sysctl-daemonset-lowers-somaxconn", red_herrings=[("Deployment", "shop", "storefront")])
    return inc


def configmap_sysctl() -> Incident:
    """node-tuning applies the sysctl.conf of the ConfigMap it mounts; a hand edit lowers net.core.somaxconn from
    8192 to 256 and the node's listen queues overflow. The question names the node by host name."""
    inc = Incident("tuning-configmap-accept-queue", title="timeouts through one node", at=AT, seed=8822,
                   story=configmap_sysctl.__doc__ or "", namespaces=("shop",))
    hit = inc.node_names()[2]
    edited, peak = AT - timedelta(hours=3), AT - timedelta(minutes=20)

    def spec(rev: int) -> dict[str, Any]:
        return {"hostNetwork": True, "containers": [
            {"name": "apply", "image": "docker.io/library/busybox:1.36.1", "securityContext": {"privileged": True},
             "command": ["sh", "-c", "sysctl -p /etc/node-tuning/sysctl.conf && sleep infinity"],
             "volumeMounts": [{"name": "conf", "mountPath": "/etc/node-tuning"}]}],
            "volumes": [{"name": "conf", "configMap": {"name": "node-sysctls"}}]}
    _tuner(inc, "node-tuning", spec, {2: inc.born + timedelta(days=6)}, [hit])
    old = "net.core.somaxconn = 8192\nnet.ipv4.tcp_fin_timeout = 30\n"
    new = "net.core.somaxconn = 256\nnet.ipv4.tcp_fin_timeout = 30\n"
    cm = inc.configmap("kube-system", "node-sysctls", {"sysctl.conf": new}, at=inc.born + timedelta(days=6),
                       annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                           {"apiVersion": "v1", "kind": "ConfigMap", "data": {"sysctl.conf": old},
                            "metadata": {"name": "node-sysctls", "namespace": "kube-system"}})})
    cm["metadata"]["managedFields"] = [
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": ts(edited),
         "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:sysctl.conf": {}}}}]
    inc.deployment("shop", "storefront", [
        Rev(3, inc.born + timedelta(days=10), "deploy 2.0", [c("storefront", f"{REGISTRY}/shop/storefront:2.0")]),
        Rev(4, AT - timedelta(minutes=45), "deploy 2.1", [c("storefront", f"{REGISTRY}/shop/storefront:2.1")])],
        {4: [P(node=hit)]})
    _overflows(inc, hit, AT - timedelta(hours=2), peak, by_ip=False)
    inc.ask(f"Requests through {hit} time out since this afternoon. What is wrong with that node?")
    inc.answer_key(culprit=("ConfigMap", "kube-system", "node-sysctls"), keywords=["somaxconn", "listen queue"],
                   root_cause="A hand edit of node-sysctls lowered net.core.somaxconn from 8192 to 256; node-tuning "
                              "applies it and the node's accept queues overflow.",
                   category="sysctl-configmap-lowers-somaxconn", red_herrings=[("Deployment", "shop", "storefront")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([init_container_sysctl, configmap_sysctl], tmp_path_factory.mktemp("kernel"), jobs=1)


def test_the_daemonset_whose_init_container_lowered_somaxconn_is_named(results: dict[str, Any]) -> None:
    row = results["ingress-node-accept-queue"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("net.core.somaxconn 4096 -> 512", "listen queue", "ListenOverflows"):
        assert words in top, (words, top)


def test_the_configmap_the_tuner_mounts_is_named_with_the_tuner(results: dict[str, Any]) -> None:
    row = results["tuning-configmap-accept-queue"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("net.core.somaxconn 8192 -> 256", "mounted by DaemonSet kube-system/node-tuning"):
        assert words in top, (words, top)
