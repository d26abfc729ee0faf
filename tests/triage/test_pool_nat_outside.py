"""agent.triage.pool_nat against pool shapes and timeout wordings its round never showed (issue #12).

The class: a node-scoped pod address pool / datapath config (Calico IPPool `nodeSelector`, CiliumNodeConfig)
without outgoing NAT, written before the pods of the nodes it selects lost everything outside the cluster. Shapes:
a Calico pool pinned to one host by `kubernetes.io/hostname` whose `natOutgoing` is simply absent (the field's
default is false), Ruby `Net::OpenTimeout`; a pool selected by `has(...)` with NAT on whose CIDR the failing pod's
address comes from (.NET on Windows, 10060); a CiliumNodeConfig turning `enable-bpf-masquerade` off (Java
`SocketTimeoutException: connect timed out`). Twins: a pool reserved for no node (`!all()`), a node config with
masquerade left on and no CIDR, a pod on the selected node failing with a TLS error (not a lost route).
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.triage import pool_nat
from agent.triage.subject import Subject
from tests.triage.test_pool_nat import ASKED, NODES, change, run

RUBY = ("2026-11-09T13:10:00Z E, [2026-11-09T13:10:00 #1] ERROR -- : Net::OpenTimeout: Failed to open TCP "
        "connection to api.mail.example.net:443 (execution expired)")
DOTNET = ("2026-11-09T13:10:00Z fail: System.Net.Http.HttpRequestException: A connection attempt failed because "
          "the connected party did not properly respond after a period of time (api.mail.example.net:443)")
JAVA = ("2026-11-09T13:10:00Z ERROR java.net.SocketTimeoutException: connect timed out at "
        "java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect")
TLS = ("2026-11-09T13:10:00Z ERROR x509: certificate signed by unknown authority while calling "
       "https://api.mail.example.net")


def pool(selector: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "pool-x"},
            "spec": {"cidr": "10.250.0.0/16", "nodeSelector": selector, **extra}}


def node_config(defaults: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNodeConfig",
            "metadata": {"name": "gpu-nodes", "namespace": "kube-system"},
            "spec": {"nodeSelector": {"matchExpressions": [{"key": "accel", "operator": "Exists"}]},
                     "defaults": defaults}}


def test_a_host_pinned_calico_pool_with_nat_left_at_its_default_is_named() -> None:
    facts = run(change("IPPool", "", "pool-x"), pool(f"kubernetes.io/hostname == '{NODES[2]}'"), ASKED, False,
                "10.250.3.14", {n: {"kubernetes.io/hostname": n} for n in NODES}, line=RUBY)
    [(ref, finding, _, _)] = pool_nat.suspects(facts)
    assert ref.name == "pool-x"
    head = finding["message"][:400]
    assert "natOutgoing: false" in head and NODES[2] in head and "SNAT" in head


def test_a_has_selected_pool_with_nat_on_is_named_when_the_failing_pod_lives_in_it() -> None:
    facts = run(change("IPPool", "", "pool-x"), pool("has(dmz)", natOutgoing=True), Subject(names=["mailer"]), True,
                "10.250.7.2", {NODES[2]: {"dmz": "1"}}, line=DOTNET)
    [(ref, finding, _, explains)] = pool_nat.suspects(facts)
    assert ref.name == "pool-x" and "10.250.0.0/16" in finding["message"][:400] and explains[0].name == "mailer"


def test_a_node_config_turning_bpf_masquerade_off_is_named_for_a_java_connect_timeout() -> None:
    facts = run(change("CiliumNodeConfig", "kube-system", "gpu-nodes"),
                node_config({"enable-bpf-masquerade": "false"}), Subject(names=["mailer"]), True, "10.0.3.14",
                {NODES[2]: {"accel": "h100"}}, line=JAVA)
    [(ref, finding, _, _)] = pool_nat.suspects(facts)
    assert ref.name == "gpu-nodes" and "enable-bpf-masquerade: false" in finding["message"][:400]


@pytest.mark.parametrize(("kind", "obj"), [
    ("IPPool", pool("!all()")),
    ("CiliumNodeConfig", node_config({"enable-bpf-masquerade": "true", "bpf-lb-mode": "dsr"})),
])
def test_a_pool_for_no_node_or_a_config_with_masquerade_on_is_not_named(kind: str, obj: dict[str, Any]) -> None:
    ns = "kube-system" if kind == "CiliumNodeConfig" else ""
    name = obj["metadata"]["name"]
    facts = run(change(kind, ns, name), obj, Subject(names=["mailer"]), True, "10.0.3.14",
                {NODES[2]: {"accel": "h100"}}, line=JAVA)
    assert pool_nat.suspects(facts) == []


def test_a_tls_failure_on_the_selected_node_is_not_a_lost_route() -> None:
    facts = run(change("IPPool", "", "pool-x"), pool(f"kubernetes.io/hostname == '{NODES[2]}'"), ASKED, False,
                "10.250.3.14", {n: {"kubernetes.io/hostname": n} for n in NODES}, line=TLS)
    assert pool_nat.suspects(facts) == []
