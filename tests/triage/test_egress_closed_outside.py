"""egress_closed against datapaths it was not built from (issue #12: build for the class).

Shapes: Calico's own policies closing egress (a projectcalico.org/v3 GlobalNetworkPolicy with `types: [Egress]`
allowing DNS only; a namespaced Calico NetworkPolicy with `types: [Egress]` and no egress rule: deny all), proven
by Calico Felix's `calico_denied_packets`, whose `policy` label (`tier|name|action|rule`) names the written policy.
Twins: Calico's denials attributed to another policy; a Calico policy of `types: [Ingress]` only (no drop counter
even asked).
"""

from __future__ import annotations

from typing import Any

from agent.triage import egress_closed
from tests.triage.test_egress_closed import AT, Hub, _facts, _run


def _global(types: list[str]) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "deny-external-egress"},
            "spec": {"selector": "projectcalico.org/namespace == 'orders'", "types": types,
                     "egress": [{"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}}]}}


def _drops(policy: str) -> list[dict[str, Any]]:
    return [{"labels": {"policy": policy, "srcIP": "10.42.3.17"}, "value": 340.0}]


def test_calico_global_policy_closing_egress_is_blamed_from_felixs_denied_packets() -> None:
    hub = Hub({"deny-external-egress": _global(["Egress"])},
              now=_drops("default|default.deny-external-egress|deny|-1"), then=[])
    [hit] = _run(_facts("GlobalNetworkPolicy", "", "deny-external-egress", ["spec.types"]), hub)
    assert hit.datapath and "340 packets dropped by policy" in hit.proof
    message = egress_closed.finding(hit, AT)["message"]
    assert message.startswith("GlobalNetworkPolicy deny-external-egress closed egress for the pods it selects")


def test_calico_namespaced_deny_all_egress_is_blamed() -> None:
    lockdown = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": {"name": "lockdown", "namespace": "orders"},
                "spec": {"selector": "all()", "types": ["Egress"]}}
    assert egress_closed.restricts_egress(lockdown)
    hub = Hub({"lockdown": lockdown}, now=_drops("default|orders/default.lockdown|deny|-1"), then=[])
    [hit] = _run(_facts("NetworkPolicy", "orders", "lockdown", ["spec.types"]), hub)
    assert hit.target.name == "lockdown"


def test_calico_denials_of_another_policy_are_not_this_ones() -> None:
    hub = Hub({"deny-external-egress": _global(["Egress"])},
              now=_drops("platform|platform.block-metadata|deny|0"), then=[])
    assert _run(_facts("GlobalNetworkPolicy", "", "deny-external-egress", ["spec.types"]), hub) == []


def test_a_calico_ingress_only_policy_reads_no_drops() -> None:
    ingress_only = _global(["Ingress"])
    ingress_only["spec"].pop("egress")
    hub = Hub({"deny-external-egress": ingress_only}, now=_drops("default|default.deny-external-egress|deny|-1"))
    assert _run(_facts("GlobalNetworkPolicy", "", "deny-external-egress", ["spec.types"]), hub) == []
    assert not any(tool == "prom_query" for tool, _ in hub.calls)
