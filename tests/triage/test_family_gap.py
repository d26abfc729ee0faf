"""family_gap: an egress allow-list that lets the outside world out as IPv4 only, on a cluster that uses IPv6."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.triage import family_gap
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 14, 9, 30, tzinfo=UTC)
POD = "ledger-feed-5d8c7b9f4-k2m7q"
NS = "billing"

GO_V6 = ['2026-08-14T09:01:02Z level=error msg="push failed" err="Post \\"https://hooks.bank.example/v2\\": dial tcp '
         '[2a02:6b8:c0e:500::7]:443: i/o timeout"']
JAVA_V6 = ["2026-08-14 09:01:02.311 ERROR [feed] c.e.FeedClient : export failed: java.net.SocketTimeoutException: "
           "Connect timed out (to /2606:4700:10::6816:1a2b, 104.22.26.43 next)"]
GO_V4 = ['2026-08-14T09:01:02Z level=error msg="push failed" err="Post \\"https://hooks.bank.example/v2\\": dial tcp '
         '198.51.100.20:443: i/o timeout"']


def pod(v6: bool) -> dict[str, Any]:
    ips = [{"ip": "10.8.3.4"}, *([{"ip": "fd00:10:8:3::4"}] if v6 else [])]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": POD, "namespace": NS, "labels": {"app": "ledger-feed"}},
            "spec": {"nodeName": "node-a"}, "status": {"podIPs": ips}}


def netpol(*cidrs: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "egress-allow", "namespace": NS,
                         "managedFields": [{"manager": "kubectl", "time": "2026-08-14T08:55:00Z"}]},
            "spec": {"podSelector": {"matchLabels": {"app": "ledger-feed"}}, "policyTypes": ["Egress"],
                     "egress": [{"to": [{"namespaceSelector": {}}]},
                                {"to": [{"ipBlock": {"cidr": c}} for c in cidrs],
                                 "ports": [{"port": 443, "protocol": "TCP"}]}]}}


def calico(rule: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "default-egress"},
            "spec": {"selector": "all()", "types": ["Egress"],
                     "egress": [{"action": "Allow", "protocol": "UDP",
                                 "destination": {"ports": [53], "selector": "k8s-app == 'kube-dns'"}}, rule]}}


def run(lines: list[str], policy: dict[str, Any], *, v6_pod: bool, node_v6: bool = False) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.logs = [LogEvidence(pod=POD, namespace=NS, evidence_id="L1",
                              top={"example": lines[0], "error_class": "connection_timeout", "severity": "error"},
                              hosts=[], error_classes={"connection_timeout"}, previous=False)]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"},
            "spec": {"podCIDRs": ["10.8.3.0/24", *(["fd00:10:8:3::/64"] if node_v6 else [])]}}
    calico_kind = policy["kind"] == "GlobalNetworkPolicy"
    plural = "globalnetworkpolicies" if calico_kind else "networkpolicies"
    crds = [{"name": "globalnetworkpolicies.crd.projectcalico.org"}] if calico_kind else []
    hub = RecordingHub(
        objects={("pods", NS, POD): pod(v6_pod), ("nodes", "", "node-a"): node,
                 (plural, policy["metadata"].get("namespace", ""), policy["metadata"]["name"]): policy},
        lists={"customresourcedefinitions": crds,
               plural: [{"name": policy["metadata"]["name"], "namespace": policy["metadata"].get("namespace", "")}]},
        logs={POD: lines})
    asyncio.run(family_gap.read(Subject(names=["ledger-feed"]), facts, hub, "2026-08-14T09:30:00Z"))
    return facts


def test_a_networkpolicy_with_only_the_ipv4_world_is_named_for_a_go_timeout_to_an_ipv6_address() -> None:
    (found,) = family_gap.suspects(run(GO_V6, netpol("0.0.0.0/0"), v6_pod=True))
    ref, finding, evidence, explains = found
    assert "L1" not in evidence and evidence
    assert (ref.kind, ref.namespace, ref.name) == ("NetworkPolicy", NS, "egress-allow")
    assert "IPv6" in finding["message"] and "0.0.0.0/0" in finding["message"]
    assert finding["details"]["ipv6"] == "2a02:6b8:c0e:500::7"
    assert explains[0].name == "ledger-feed"


def test_a_calico_allow_rule_limited_to_ipversion_4_is_named_for_a_java_timeout_on_a_dual_stack_node() -> None:
    rule = {"action": "Allow", "ipVersion": 4, "destination": {"ports": [443]}}
    (found,) = family_gap.suspects(run(JAVA_V6, calico(rule), v6_pod=False, node_v6=True))
    assert found[0].name == "default-egress"
    assert found[1]["details"]["ipv4"] == "104.22.26.43"


def test_twin_the_same_policy_with_an_ipv6_world_range_is_not_named() -> None:
    assert family_gap.suspects(run(GO_V6, netpol("0.0.0.0/0", "::/0"), v6_pod=True)) == []
    rule = {"action": "Allow", "destination": {"ports": [443]}}  # no ipVersion: both families
    assert family_gap.suspects(run(JAVA_V6, calico(rule), v6_pod=False, node_v6=True)) == []


def test_twin_an_ipv4_only_cluster_is_not_named() -> None:
    assert family_gap.suspects(run(GO_V6, netpol("0.0.0.0/0"), v6_pod=False)) == []


def test_twin_failures_to_an_ipv4_address_are_not_named() -> None:
    assert family_gap.suspects(run(GO_V4, netpol("0.0.0.0/0"), v6_pod=True)) == []


def cilium(egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "base"},
            "spec": {"endpointSelector": {"matchExpressions": [
                {"key": "k8s:io.kubernetes.pod.namespace", "operator": "NotIn", "values": ["kube-system"]}]},
                "egress": egress}}


def test_gap_reads_cilium_cidr_sets_and_entities() -> None:
    v4_only = cilium([{"toEndpoints": [{}]}, {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}]}])
    judged = family_gap.gap([v4_only], NS, {"app": "x"}, "2001:db8:1::5", "203.0.113.9")
    assert judged is not None and judged[1] == ["0.0.0.0/0"]
    world = cilium([{"toEntities": ["world"]}])
    assert family_gap.gap([world], NS, {}, "2001:db8:1::5", "203.0.113.9") is None
    both = cilium([{"toCIDR": ["0.0.0.0/0", "::/0"]}])
    assert family_gap.gap([both], NS, {}, "2001:db8:1::5", "") is None
    # a namespace the clusterwide policy leaves out is not judged by it
    assert family_gap.gap([v4_only], "kube-system", {}, "2001:db8:1::5", "203.0.113.9") is None
    # a narrow IPv4 range that does not hold the destination's IPv4 side is no one-family gap
    narrow = cilium([{"toCIDR": ["192.0.2.0/24"]}])
    assert family_gap.gap([narrow], NS, {}, "2001:db8:1::5", "203.0.113.9") is None


def test_a_policy_naming_destinations_by_dns_name_is_not_judged() -> None:
    fqdn = cilium([{"toCIDR": ["0.0.0.0/0"]}, {"toFQDNs": [{"matchName": "hooks.bank.example"}]}])
    assert family_gap.gap([fqdn], NS, {}, "2001:db8:1::5", "203.0.113.9") is None


def test_a_policy_whose_selector_does_not_take_the_pod_is_not_named() -> None:
    other_app = netpol("0.0.0.0/0")
    other_app["spec"]["podSelector"] = {"matchLabels": {"app": "statement-mailer"}}
    excluded = netpol("0.0.0.0/0")
    excluded["spec"]["podSelector"] = {"matchExpressions": [{"key": "app", "operator": "NotIn",
                                                             "values": ["ledger-feed"]}]}
    assert family_gap.suspects(run(GO_V6, other_app, v6_pod=True)) == []
    assert family_gap.suspects(run(GO_V6, excluded, v6_pod=True)) == []
    taken = netpol("0.0.0.0/0")
    taken["spec"]["podSelector"] = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["ledger-feed"]}]}
    assert len(family_gap.suspects(run(GO_V6, taken, v6_pod=True))) == 1


# ---- the gate: the failing pods' logs are read again only when an address family is at stake ------------------------
def gated(said: str, full: list[str], *, written: str = "", seen_pod: bool = False) -> tuple[Facts, RecordingHub]:
    """`said` is what the survey classified of the pod's log; `full` what a re-read of it answers. `written`: the kind
    of an egress policy written 35 min before; `seen_pod`: the pod (dual-stack) was already read by the survey."""
    facts = Facts(at=AT, changes_id="C1")
    if written:
        facts.changes = {"changes": [{"at": "2026-08-14T08:55:00Z", "type": "other",
                                      "object": {"kind": written, "namespace": NS, "name": "egress-allow"},
                                      "summary": f"{written} {NS}/egress-allow written by kubectl-apply",
                                      "diff": ["spec.egress changed"]}]}
    if seen_pod:
        facts.objects.append((pod(True), "P0"))
    facts.logs = [LogEvidence(pod=POD, namespace=NS, evidence_id="L1",
                              top={"example": said, "error_class": "connection_timeout", "severity": "error"},
                              hosts=[], error_classes={"connection_timeout"}, previous=False)]
    hub = RecordingHub(
        objects={("pods", NS, POD): pod(True), ("nodes", "", "node-a"): {"kind": "Node",
                                                                            "metadata": {"name": "node-a"}},
                 ("networkpolicies", NS, "egress-allow"): netpol("0.0.0.0/0")},
        lists={"customresourcedefinitions": [], "networkpolicies": [{"name": "egress-allow", "namespace": NS}]},
        logs={POD: full})
    asyncio.run(family_gap.read(Subject(names=["ledger-feed"]), facts, hub, "2026-08-14T09:30:00Z"))
    return facts, hub


def test_gate_a_timeout_to_an_ipv4_address_with_nothing_of_ipv6_around_reads_nothing() -> None:
    facts, hub = gated(GO_V4[0], GO_V4)
    assert hub.calls == [] and family_gap.suspects(facts) == []


PY_TIMEOUT = ("urllib3.exceptions.ConnectTimeoutError: (<urllib3.connection.HTTPSConnection object at 0x7f3a>, "
              "'Connection to hooks.bank.example timed out. (connect timeout=10)')")
CURL_V6 = ["*   Trying [2a02:6b8:c0e:500::7]:443...", "* connect to 2a02:6b8:c0e:500::7 port 443 failed: Timed out"]
RUST_TIMEOUT = ('error sending request: hyper::Error(Connect, ConnectError("tcp connect error", Os { code: 110, '
                'kind: TimedOut }))')
RUST_V6 = ["2026-08-14T09:01:02Z WARN feed: connecting to [2606:4700:10::6816:1a2b]:443 (hooks.bank.example)"]


def test_gate_a_dual_stack_pod_already_read_opens_it_when_the_classified_line_names_no_address() -> None:
    facts, _ = gated(PY_TIMEOUT, CURL_V6, seen_pod=True)
    assert [f[1]["details"]["ipv6"] for f in family_gap.suspects(facts)] == ["2a02:6b8:c0e:500::7"]
    assert gated(PY_TIMEOUT, CURL_V6)[1].calls == []  # the same line, no family seen anywhere: nothing read


def test_gate_an_egress_policy_written_in_the_lead_opens_it_when_the_classified_line_names_no_address() -> None:
    facts, _ = gated(RUST_TIMEOUT, RUST_V6, written="NetworkPolicy")
    assert [f[0].name for f in family_gap.suspects(facts)] == ["egress-allow"]
    assert gated(RUST_TIMEOUT, RUST_V6, written="ConfigMap")[1].calls == []  # another kind's write: not this class


def test_gate_family_words_open_it_without_an_address() -> None:
    for said in ("OSError: [Errno 97] Address family not supported by protocol",
                 "java.net.SocketException: Network is unreachable (connect failed)",
                 'dial tcp [2001:db8::]:443: connect: cannot assign requested address'):
        assert family_gap.family_symptom(gated(said, [])[0], [(NS, POD, said)]), said
