"""agent.triage.selector_orphan: an egress allow policy re-keyed to a label its pods do not carry.

Shapes: a Kubernetes NetworkPolicy pair (default deny + allow 443 by `app.kubernetes.io/name`, pods labelled `app`),
a Cilium pair (allow 5432 by `component`, pods labelled `app`), a Calico namespaced policy (`role == ...`, pods
labelled `tier`). Twins: pods carrying both keys, no default deny, another policy still allowing the port, a pod
with the value under no key, failures older than the write, no failures at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts
from agent.triage.policy_path import Endpoint, Port
from agent.triage.selector_orphan import (
    RECORD_KIND,
    Orphaned,
    cut_by_rekey,
    failures_after,
    selector_terms,
    suspects,
)

AT = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 5, 12, 8, 20, tzinfo=UTC)


def k8s(name: str, selector: dict[str, str], egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "reporting"},
            "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Egress"], "egress": egress}}


DENY_ALL = k8s("deny-all-egress", {}, [{"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "UDP",
                                                                                      "port": 53}]}])
ALLOW_HTTPS = k8s("allow-https-out", {"app.kubernetes.io/name": "report-builder"},
                  [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}])
POD = Endpoint("reporting", {"app": "report-builder", "pod-template-hash": "6d9f"})


def test_kubernetes_allow_rekeyed_leaves_pods_to_the_default_deny() -> None:
    cut = cut_by_rekey([DENY_ALL, ALLOW_HTTPS], ALLOW_HTTPS, POD)
    assert cut is not None
    port, _, key, own, _ = cut
    assert (port.number, key, own) == (443, "app.kubernetes.io/name", "app")


def test_pods_carrying_both_keys_are_still_selected() -> None:
    both = Endpoint("reporting", {"app": "report-builder", "app.kubernetes.io/name": "report-builder"})
    assert cut_by_rekey([DENY_ALL, ALLOW_HTTPS], ALLOW_HTTPS, both) is None


def test_without_a_default_deny_the_unselected_pods_go_out_freely() -> None:
    assert cut_by_rekey([ALLOW_HTTPS], ALLOW_HTTPS, POD) is None


def test_another_policy_still_allowing_the_port_is_no_cause() -> None:
    broad = k8s("allow-web-out", {"app": "report-builder"},
                [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}])
    assert cut_by_rekey([DENY_ALL, ALLOW_HTTPS, broad], ALLOW_HTTPS, POD) is None


def test_a_pod_holding_the_value_under_no_key_is_not_the_policys() -> None:
    other = Endpoint("reporting", {"app": "pdf-renderer"})
    assert cut_by_rekey([DENY_ALL, ALLOW_HTTPS], ALLOW_HTTPS, other) is None


def cilium(name: str, selector: dict[str, str], egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": "billing"},
            "spec": {"endpointSelector": {"matchLabels": selector}, "egress": egress}}


def test_cilium_allow_rekeyed_to_component() -> None:
    deny = cilium("egress-lockdown", {}, [{"toEndpoints": [{"matchLabels": {
        "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns"}}],
        "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}]}]}])
    allow = cilium("ledger-db-out", {"k8s:component": "ledger-sync"},
                   [{"toCIDR": ["0.0.0.0/0"], "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}])
    pod = Endpoint("billing", {"app": "ledger-sync"})
    assert selector_terms(allow) == [("component", "ledger-sync")]
    cut = cut_by_rekey([deny, allow], allow, pod)
    assert cut is not None and cut[0] == Port(5432) and cut[2:4] == ("component", "app")
    assert cut_by_rekey([deny, allow], allow, Endpoint("billing", {"app": "ledger-sync",
                                                                   "component": "ledger-sync"})) is None


def test_calico_namespaced_policy_selector_expression() -> None:
    allow = {"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "partner-sftp", "namespace": "exports"},
             "spec": {"order": 100, "selector": "role == 'uploader' && !has(debug)", "types": ["Egress"],
                      "egress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [22]}}]}}
    deny = {"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "deny-out"},
            "spec": {"order": 3000, "selector": "all()", "types": ["Egress"],
                     "egress": [{"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}}]}}
    pod = Endpoint("exports", {"tier": "uploader"})
    cut = cut_by_rekey([allow, deny], allow, pod)
    assert cut is not None and cut[0].number == 22 and cut[2:4] == ("role", "tier")
    assert cut_by_rekey([allow], allow, pod) is None  # no deny: the pod still goes out


def _logs(first_seen: str, example: str, error_class: str = "connection_timeout") -> dict[str, Any]:
    return {"pod": "report-builder-7c9f8d6b5d-x2k4q", "namespace": "reporting", "facts": {"errors": [
        {"template": example, "example": example, "count": 40, "first_seen": first_seen, "last_seen": "x",
         "severity": "error", "error_class": error_class}]}}


def test_failures_that_begin_after_the_write() -> None:
    said = "dial tcp 52.1.2.3:443: i/o timeout"
    assert failures_after(_logs("2026-05-12T08:21:05Z", said), WRITTEN) == (said, "2026-05-12T08:21:05Z")


def test_failures_older_than_the_write_or_none_name_nothing() -> None:
    assert failures_after(_logs("2026-05-12T07:50:00Z", "connect ETIMEDOUT 52.1.2.3:443"), WRITTEN) is None
    assert failures_after(_logs("2026-05-12T08:30:00Z", "invalid report template 'q3'", "validation"),
                          WRITTEN) is None
    assert failures_after(None, WRITTEN) is None


def test_suspect_names_the_policy_and_the_label_keys() -> None:
    facts = Facts(at=AT)
    o = Orphaned(ALLOW_HTTPS, "2026-05-12T08:20:00Z", "reporting", "report-builder-7c9f8d6b5d-x2k4q", Port(443),
                 "app.kubernetes.io/name", "app", "report-builder", "no rule allows it (default deny)",
                 "dial tcp 52.1.2.3:443: i/o timeout", "2026-05-12T08:21:05Z", ["E7", "E9"])
    facts.objects.append(({"kind": RECORD_KIND, "orphan": o}, ""))
    [(ref, finding, evidence, explains)] = suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("NetworkPolicy", "reporting", "allow-https-out")
    assert "app.kubernetes.io/name" in finding["message"] and "app=report-builder" in finding["message"]
    assert "egress" in finding["message"] and evidence == ["E7", "E9"]
    assert explains[0].name == "report-builder"


def test_a_traceback_without_a_time_is_timed_by_the_line_that_printed_it() -> None:
    data = {"facts": {"errors": [
        {"example": "socket.timeout: timed out", "first_seen": None, "severity": "error",
         "error_class": "connection_timeout"},
        {"example": "2026-05-12 08:22:40,120 ERROR upload of batch 88 failed", "first_seen": "2026-05-12 08:22:40,120",
         "severity": "error", "error_class": None}]}}
    assert failures_after(data, WRITTEN) == ("socket.timeout: timed out", "2026-05-12T08:22:40Z")
    data["facts"]["errors"][1]["first_seen"] = "2026-05-12 08:02:40,120"
    assert failures_after(data, WRITTEN) is None


def test_registered_with_its_weight() -> None:
    from agent.triage import behind, selector_orphan
    assert behind.WEIGHTS[selector_orphan.CHECK] == selector_orphan.WEIGHT
