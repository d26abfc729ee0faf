"""agent.triage.pod_dns_settings: a pod's own DNS settings, written shortly before, that cannot resolve its names.

Shapes (own rollout): a StatefulSet that turned on hostNetwork under dnsPolicy ClusterFirst, its Java client's
`UnknownHostException` for a `.svc.cluster.local` name; a Deployment set to dnsPolicy Default, Node's
`getaddrinfo ENOTFOUND` for a `.svc` name. Shapes (admission): a Gatekeeper mutator named by the pod's annotation
that set ndots 2, busybox's `bad address` for `<svc>.<ns>.svc`; a namespaced Kyverno Policy with no annotation
whose spec carries ndots, Ruby's `Name does not resolve` for `<svc>.<ns>`. Twins: dnsPolicy Default failing on
a public host; a rollout that changed only the image; a fully qualified name under ndots 1; a policy written after
the pod was created.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pod_dns_settings
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, namespace: str, name: str, minutes_before: int, diff: str,
          kind_of: str = "rollout") -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": kind_of,
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written: {diff}", "diff": [diff], "related": []}


def pod(namespace: str, name: str, spec: dict[str, Any], created_before: int = 30,
        notes: dict[str, str] | None = None, owner: tuple[str, str] = ("ReplicaSet", "x")) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "annotations": notes or {},
                         "creationTimestamp": iso(AT - timedelta(minutes=created_before)),
                         "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}]},
            "spec": {"containers": [{"name": "app", "image": "registry.local/app:1"}], **spec}}


def run(namespace: str, name: str, line: str, first_before: int, changes: list[dict[str, Any]],
        objects: dict[tuple[str, str, str], dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = [LogEvidence(pod=name, namespace=namespace, evidence_id="L1",
                              top={"example": line, "first_seen": iso(AT - timedelta(minutes=first_before)),
                                   "severity": "error"}, hosts=[], error_classes={"dns_failure"}, previous=False)]
    asyncio.run(pod_dns_settings.read(Subject(names=[name]), facts, RecordingHub(objects=objects), iso(AT)))
    return facts


NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}

JAVA = ("2026-10-14 08:41:02.118 ERROR [ledger-writer] o.h.e.j.s.SqlExceptionHelper - Connection failed: "
        "java.net.UnknownHostException: orders-db.data.svc.cluster.local")
NODE = "2026-10-14T08:40:11.004Z error: getaddrinfo ENOTFOUND cache.shop.svc at GetAddrInfoReqWrap.onlookup"
BUSYBOX = "wget: bad address 'search.catalog.svc'"
RUBY = ("E, [2026-10-14T08:39:00.000000 #1] ERROR -- : Faraday::ConnectionFailed: Failed to open TCP connection "
        "to billing.finance:8080 (getaddrinfo: Name does not resolve)")


def test_a_statefulset_rollout_turning_on_host_network_is_named_for_its_cluster_name_lookups() -> None:
    p = pod("data", "ledger-writer-0", {"hostNetwork": True}, owner=("StatefulSet", "ledger-writer"))
    facts = run("data", "ledger-writer-0", JAVA, 18,
                [write("StatefulSet", "data", "ledger-writer", 22, "pod hostNetwork None -> True")],
                {("Pod", "data", "ledger-writer-0"): p})
    [(ref, finding, evidence, _)] = pod_dns_settings.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("StatefulSet", "data", "ledger-writer")
    assert "hostNetwork true" in finding["message"] and "UnknownHostException" in finding["message"]
    assert finding["details"]["own_cause"] is True and "L1" in evidence


def test_a_deployment_set_to_dns_policy_default_is_named_for_a_short_svc_name() -> None:
    p = pod("shop", "cart-7d9f8c6b5-k2x9q", {"dnsPolicy": "Default"}, owner=("ReplicaSet", "cart-7d9f8c6b5"))
    facts = run("shop", "cart-7d9f8c6b5-k2x9q", NODE, 9,
                [write("Deployment", "shop", "cart", 12, "pod dnsPolicy 'ClusterFirst' -> 'Default'")],
                {("Pod", "shop", "cart-7d9f8c6b5-k2x9q"): p})
    [(ref, finding, _, _)] = pod_dns_settings.suspects(facts)
    assert (ref.kind, ref.name) == ("Deployment", "cart") and "dnsPolicy Default" in finding["message"]


def test_dns_policy_default_failing_on_a_public_host_is_not_named() -> None:
    line = "2026-10-14T08:40:11.004Z error: getaddrinfo ENOTFOUND api.courier.example.com"
    p = pod("shop", "cart-7d9f8c6b5-k2x9q", {"dnsPolicy": "Default"}, owner=("ReplicaSet", "cart-7d9f8c6b5"))
    facts = run("shop", "cart-7d9f8c6b5-k2x9q", line, 9,
                [write("Deployment", "shop", "cart", 12, "pod dnsPolicy 'ClusterFirst' -> 'Default'")],
                {("Pod", "shop", "cart-7d9f8c6b5-k2x9q"): p})
    assert pod_dns_settings.suspects(facts) == []


def test_a_rollout_that_changed_only_the_image_is_not_named() -> None:
    p = pod("shop", "cart-7d9f8c6b5-k2x9q", {"dnsPolicy": "Default"}, owner=("ReplicaSet", "cart-7d9f8c6b5"))
    facts = run("shop", "cart-7d9f8c6b5-k2x9q", NODE, 9,
                [write("Deployment", "shop", "cart", 12, "cart image shop/cart:2.1 -> shop/cart:2.2")],
                {("Pod", "shop", "cart-7d9f8c6b5-k2x9q"): p})
    assert pod_dns_settings.suspects(facts) == []


def gatekeeper_pod(ndots: str) -> dict[str, Any]:
    return pod("catalog", "indexer-5b7c9d-q8w2e", {"dnsConfig": {"options": [{"name": "ndots", "value": ndots}]}},
               created_before=20, notes={"gatekeeper.sh/mutations": "Assign//pod-dns-ndots:3"},
               owner=("ReplicaSet", "indexer-5b7c9d"))


def test_a_gatekeeper_mutator_named_on_the_pod_that_lowered_ndots_is_named() -> None:
    facts = run("catalog", "indexer-5b7c9d-q8w2e", BUSYBOX, 19,
                [write("Assign", "", "pod-dns-ndots", 55, "spec.parameters.assign.value = ...", "other")],
                {("Pod", "catalog", "indexer-5b7c9d-q8w2e"): gatekeeper_pod("2")})
    [(ref, finding, _, explains)] = pod_dns_settings.suspects(facts)
    assert (ref.kind, ref.name) == ("Assign", "pod-dns-ndots")
    assert "ndots 2" in finding["message"] and "gatekeeper.sh/mutations" in finding["message"]
    assert finding["details"]["own_cause"] is False and explains[1].name == "indexer"


def test_a_fully_qualified_cluster_name_under_a_low_ndots_is_not_named() -> None:
    line = "wget: bad address 'search.catalog.svc.cluster.local'"
    facts = run("catalog", "indexer-5b7c9d-q8w2e", line, 19,
                [write("Assign", "", "pod-dns-ndots", 55, "spec.parameters.assign.value = ...", "other")],
                {("Pod", "catalog", "indexer-5b7c9d-q8w2e"): gatekeeper_pod("1")})
    assert pod_dns_settings.suspects(facts) == []


KYVERNO_POLICY = {"apiVersion": "kyverno.io/v1", "kind": "Policy", "metadata": {"name": "dns-tune", "namespace": "web"},
                  "spec": {"rules": [{"name": "opts", "mutate": {"patchStrategicMerge": {"spec": {"dnsConfig": {
                      "options": [{"name": "ndots", "value": "1"}]}}}}}]}}


def ruby_run(policy_before: int) -> Facts:
    p = pod("web", "invoicer-6f8d7c-z1x2c", {"dnsConfig": {"options": [{"name": "ndots", "value": "1"}]}},
            created_before=25, owner=("ReplicaSet", "invoicer-6f8d7c"))
    return run("web", "invoicer-6f8d7c-z1x2c", RUBY, 24,
               [write("Policy", "web", "dns-tune", policy_before, "spec.rules = [...]", "other")],
               {("Pod", "web", "invoicer-6f8d7c-z1x2c"): p, ("Policy", "web", "dns-tune"): KYVERNO_POLICY,
                ("Namespace", "", "finance"): NAMESPACE})


def test_an_unannotated_policy_whose_spec_sets_ndots_is_named_for_a_service_dot_namespace_name() -> None:
    [(ref, finding, _, _)] = pod_dns_settings.suspects(ruby_run(90))
    assert (ref.kind, ref.namespace, ref.name) == ("Policy", "web", "dns-tune")
    assert "billing.finance" in finding["message"] and "its spec sets ndots" in finding["message"]


def test_a_policy_written_after_the_pod_was_created_is_not_named() -> None:
    assert pod_dns_settings.suspects(ruby_run(10)) == []


def test_a_dotted_name_whose_second_label_is_no_namespace_is_not_a_cluster_name() -> None:
    assert pod_dns_settings.cluster_name("billing.finance", {"finance"})
    assert not pod_dns_settings.cluster_name("billing.finance", set())
    assert pod_dns_settings.unresolvable("api.example.com", {"dnsPolicy": "Default"}, {"example"}) is None
