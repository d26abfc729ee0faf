"""A node networking agent's own flag lowered the kernel table it sizes (issue #12, round 19 class).

kube-proxy sets `nf_conntrack_max` from `--conntrack-max-per-core` / `--conntrack-min` (or the same fields of its
KubeProxyConfiguration in a ConfigMap): a revision that adds `--conntrack-min=8192` lowers the node's conntrack
table though no sysctl key is in the diff. Written here, not taken from the held-out bundles: the DaemonSet-args
shape and the mounted-ConfigMap shape, the node named only by its exporter address (which its Node name does not
spell), and twins (an image-only kube-proxy revision, a `min:` of some other config, flags unchanged).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import node_exhaustion
from agent.triage.agent_flags import CONNTRACK_MAX, moved_flags
from agent.triage.facts import Facts, Ref
from agent.triage.kernel_settings import Setting, changed
from agent.triage.node_exhaustion import TABLES, Exhausted
from tests.triage.doubles import outcome

CONNTRACK = next(t for t in TABLES if t.used == "node_nf_conntrack_entries")
AT = datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
NODE = "ip-10-0-2-21.eu-west-1.compute.internal"
ARGS = ("kube-proxy args ['--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'] -> "
        "['--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)', "
        "'--conntrack-max-per-core=2048', '--conntrack-min=8192']")
CONF = ("data key config.conf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\\nkind: KubeProxyConfiguration\\n"
        "conntrack:\\n  maxPerCore: 32768\\n  min: 131072\\nmode: iptables\\n' -> 'apiVersion: "
        "kubeproxy.config.k8s.io/v1alpha1\\nkind: KubeProxyConfiguration\\nconntrack:\\n  maxPerCore: 1024\\n  "
        "min: 4096\\nmode: iptables\\n'")


def test_flags_in_args_and_in_kube_proxy_configuration_move_nf_conntrack_max() -> None:
    assert changed(ARGS) == [Setting(CONNTRACK_MAX, 32768, 2048, "kube-proxy --conntrack-max-per-core"),
                             Setting(CONNTRACK_MAX, 131072, 8192, "kube-proxy --conntrack-min")]
    assert [(m.old, m.new) for m in moved_flags(CONF)] == [(32768, 1024), (131072, 4096)]
    assert "net.netfilter.nf_conntrack_max via kube-proxy --conntrack-min 131072 -> 8192" in [str(s) for s in
                                                                                             changed(ARGS)]


def test_twins_move_nothing() -> None:
    assert changed("kube-proxy image registry.k8s.io/kube-proxy:v1.30.3 -> registry.k8s.io/kube-proxy:v1.30.4") == []
    assert changed("data key pool.yaml 'min: 4\\nmax: 10' -> 'min: 2\\nmax: 10'") == []  # another config's min
    same = "kube-proxy args ['--conntrack-min=8192', '-v=2'] -> ['--conntrack-min=8192', '-v=4']"
    assert changed(same) == []


def _facts(changes: list[dict[str, Any]], mounts: dict[tuple[str, str], Ref] | None = None) -> tuple[Facts,
                                                                                                       Exhausted]:
    facts = Facts(at=AT, changes={"changes": changes})
    found = Exhausted(NODE, CONNTRACK, 8192, 8192, None, onset="2026-08-01T08:40:00Z",
                      pods=[("kube-system", "kube-proxy-kkbh9"), ("shop", "catalog-6d9f8b7c5d-x2x9q")],
                      evidence=["E9"])
    node_exhaustion._blame(found, facts, mounts)
    facts.objects.append(({"kind": node_exhaustion.RECORD_KIND, "found": found}, ""))
    return facts, found


CATALOG = {"at": "2026-08-01T08:10:00Z", "type": "rollout",
           "object": {"kind": "Deployment", "namespace": "shop", "name": "catalog"},
           "summary": "Deployment shop/catalog revision 8", "diff": ["catalog image c:2.1 -> c:2.2"]}


def test_the_kube_proxy_revision_is_named_over_a_closer_image_bump_with_the_table_full() -> None:
    proxy = {"at": "2026-08-01T08:32:00Z", "type": "rollout",
             "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": "kube-proxy"},
             "summary": "DaemonSet kube-system/kube-proxy rolled out revision 2", "diff": [ARGS]}
    facts, found = _facts([proxy, CATALOG])
    assert found.culprit == Ref("DaemonSet", "kube-system", "kube-proxy")
    [(_, f, _, _)] = node_exhaustion.suspects(facts)
    head = f["message"][:400]
    assert head.startswith("DaemonSet kube-system/kube-proxy lowered a kernel limit of node")
    assert "nf_conntrack_max" in head and "8192" in head and "conntrack table is full" in head


def test_the_kube_proxy_configmap_is_named_with_the_daemonset_that_applies_it() -> None:
    cm = {"at": "2026-08-01T08:20:00Z", "type": "config",
          "object": {"kind": "ConfigMap", "namespace": "kube-system", "name": "kube-proxy-config"},
          "summary": "ConfigMap kube-system/kube-proxy-config updated", "diff": [CONF]}
    facts, found = _facts([cm, CATALOG], {("kube-system", "kube-proxy-config"):
                                          Ref("DaemonSet", "kube-system", "kube-proxy")})
    assert found.culprit == Ref("ConfigMap", "kube-system", "kube-proxy-config") and found.settings
    [(_, f, _, _)] = node_exhaustion.suspects(facts)
    assert "mounted by DaemonSet kube-system/kube-proxy" in f["message"] and "1024" in f["message"]


def test_an_image_only_kube_proxy_revision_is_not_a_setting_blamed() -> None:
    proxy = {"at": "2026-08-01T06:00:00Z", "type": "rollout",
             "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": "kube-proxy"},
             "summary": "DaemonSet kube-system/kube-proxy revision 3",
             "diff": ["kube-proxy image registry.k8s.io/kube-proxy:v1.30.3 -> registry.k8s.io/kube-proxy:v1.30.4"]}
    _, found = _facts([proxy, CATALOG])
    assert found.settings == [] and found.culprit == Ref("Deployment", "shop", "catalog")


def _node_yaml(name: str, ip: str) -> str:
    return (f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\nstatus:\n  addresses:\n  - type: InternalIP\n"
            f"    address: {ip}\n  - type: Hostname\n    address: {name}\n")


def test_an_exporter_address_finds_its_node_by_the_nodes_own_addresses() -> None:
    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        assert tool == "k8s_get" and args["kind"] == "Node"
        ip = {"ip-10-0-1-20.eu-west-1.compute.internal": "10.0.1.11", NODE: "10.0.2.12"}[args["name"]]
        return outcome(True, {}, _node_yaml(args["name"], ip), f"E-{args['name']}", text=_node_yaml(args["name"], ip))

    names = ["ip-10-0-1-20.eu-west-1.compute.internal", NODE]
    assert asyncio.run(node_exhaustion._nodes_at(call, names, {"10.0.2.12"})) == [NODE]
    assert asyncio.run(node_exhaustion._nodes_at(call, names, {"10.0.9.9"})) == []
