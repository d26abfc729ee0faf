"""agent.triage.relabel_cut: a Namespace relabel that a NetworkPolicy's namespaceSelector relied on.

Two shapes (a caller admitted by namespace label AND pod label; a scraper admitted by namespace label alone) and
negative twins: the label kept, another peer still admitting the caller by name, a peer whose pods live
elsewhere, a write of annotations only, and a caller whose failing line is about another namespace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.relabel_cut import (
    RECORD_KIND,
    RelabelCut,
    failing_line,
    label_write,
    relied_peers,
    suspects,
    timeline_write,
)

AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def policy(ns: str, dest: dict[str, str], peers: list[dict[str, Any]], port: int = 8080) -> dict[str, Any]:
    """A Kubernetes NetworkPolicy admitting `peers` to the pods `dest` selects on `port`."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-callers", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": dest}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": port}]}]}}


BY_TEAM = {"namespaceSelector": {"matchLabels": {"team": "storefront"}},
           "podSelector": {"matchLabels": {"app": "cart"}}}


def test_peer_relying_on_a_lost_namespace_label_is_found() -> None:
    pol = policy("billing", {"app": "invoices"}, [BY_TEAM])
    found = relied_peers(pol, "shop-web", {"owner": "commerce"}, [{"app": "cart"}, {"app": "search"}])
    assert found == [({"team": "storefront"}, {"app": "cart"}, 8080)]


def test_scraper_admitted_by_namespace_label_alone() -> None:
    pol = policy("db", {"app": "postgres-exporter"},
                 [{"namespaceSelector": {"matchLabels": {"monitoring": "enabled"}}}], port=9187)
    found = relied_peers(pol, "observability", {"tier": "platform"}, [{"app.kubernetes.io/name": "prometheus"}])
    assert found == [({"monitoring": "enabled"}, {"app.kubernetes.io/name": "prometheus"}, 9187)]


def test_label_kept_is_no_cause() -> None:
    pol = policy("billing", {"app": "invoices"}, [BY_TEAM])
    assert relied_peers(pol, "shop-web", {"team": "storefront", "owner": "commerce"}, [{"app": "cart"}]) == []


def test_another_peer_still_admitting_by_name_is_no_cause() -> None:
    pol = policy("billing", {"app": "invoices"},
                 [BY_TEAM, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop-web"}}}])
    assert relied_peers(pol, "shop-web", {"owner": "commerce"}, [{"app": "cart"}]) == []


def test_peer_for_pods_the_namespace_does_not_run_is_no_cause() -> None:
    pol = policy("billing", {"app": "invoices"}, [BY_TEAM])
    assert relied_peers(pol, "batch", {"owner": "data"}, [{"app": "nightly-export"}]) == []


def test_label_write_from_managed_fields_ignores_the_creation_name_label() -> None:
    ns = {"metadata": {"name": "shop-web", "managedFields": [
        {"manager": "kube-apiserver", "time": "2026-01-01T00:00:00Z",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:kubernetes.io/metadata.name": {}}}}},
        {"manager": "flux", "time": "2026-03-04T09:40:00Z",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:owner": {}}}}}]}}
    assert label_write(ns) == ("2026-03-04T09:40:00Z", "flux")
    ns["metadata"]["managedFields"] = ns["metadata"]["managedFields"][:1]
    assert label_write(ns) == ("", "")


def _change(diff: list[str]) -> dict[str, Any]:
    return {"at": "2026-03-04T09:50:00Z", "type": "other", "object": {"kind": "Namespace", "name": "shop-web"},
            "summary": "Namespace shop-web written by argocd-controller: " + "; ".join(diff), "diff": diff}


def test_timeline_write_of_labels_counts_annotations_do_not() -> None:
    facts = Facts(at=AT, changes={"changes": [_change(["metadata.labels.owner = 'commerce'"])]}, changes_id="E1")
    assert timeline_write(facts, "shop-web") == ("2026-03-04T09:50:00Z", "argocd-controller")
    assert timeline_write(facts, "other") == ("", "")
    only_notes = Facts(at=AT, changes={"changes": [_change(["metadata.annotations.note = 'x'"])]}, changes_id="E1")
    assert timeline_write(only_notes, "shop-web") == ("", "")


def _logs(line: str) -> dict[str, Any]:
    return {"facts": {"errors": [{"example": line, "severity": "error", "error_class": "timeout"}]}}


def test_failing_line_needs_an_unopened_connection_into_the_policy_namespace() -> None:
    go = "dial tcp: connect to invoices.billing.svc.cluster.local:8080: i/o timeout"
    assert failing_line(_logs(go), "billing", ["invoices"]) == go
    py = "requests.exceptions.ConnectTimeout: HTTPConnectionPool(host='invoices', port=8080): timed out"
    assert failing_line(_logs(py), "billing", ["invoices"]) == py
    assert failing_line(_logs("dial tcp search.catalog.svc:80: i/o timeout"), "billing", ["invoices"]) == ""
    assert failing_line(_logs("invoices.billing.svc answered 500 internal error"), "billing", ["invoices"]) == ""


def test_suspect_names_the_namespace_and_the_policy_early() -> None:
    cut = RelabelCut("shop-web", {"owner": "commerce"}, "2026-03-04T09:50:00Z", "argocd-controller",
                     Ref("NetworkPolicy", "billing", "allow-callers"), {"team": "storefront"}, 8080,
                     "cart-6f7d9c-abcde", "i/o timeout", ["E1", "E2"])
    facts = Facts(at=AT, objects=[({"kind": RECORD_KIND, "cut": cut}, "")])
    [(ref, finding, evidence, explains)] = suspects(facts)
    assert ref == Ref("Namespace", "", "shop-web")
    head = finding["message"][:300]
    for word in ("relabelled", "NetworkPolicy billing/allow-callers", "namespaceSelector team=storefront",
                 "labels", "10 min before"):
        assert word in head
    assert evidence == ["E1", "E2"]
    assert Ref("NetworkPolicy", "billing", "allow-callers") in explains
