"""An IngressClass is called missing only when the listing could have shown it.

A recording (a bundle made from `kubectl cluster-info dump` plus hand-picked objects) that holds no IngressClass
at all left the cluster-scoped classes out; an Ingress naming a class there gets "not collected: cannot check"
(info, `absence_known: false`), never "does not exist". A recording that did collect classes, and a live
listing, keep the claim. A controller's own sync event on the Ingress says a controller of its class builds it;
cert-manager's ingress-shim events (written on any annotated Ingress) do not.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan

LONG_AGO = "2024-03-02T06:00:00Z"
"""A moment hours (years) before the wall clock: a snapshot whose newest event is that old is a recording."""


def _ingress(cls: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "docs", "namespace": "portal", "creationTimestamp": "2024-01-10T00:00:00Z"},
            "spec": {"ingressClassName": cls, "rules": [{"host": "docs.example.org"}]}}


def _event(reason: str, kind: str = "Ingress", name: str = "docs", ns: str = "portal",
           at: str = LONG_AGO) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{name}.{reason.lower()}", "namespace": ns},
            "involvedObject": {"kind": kind, "namespace": ns, "name": name}, "reason": reason, "type": "Normal",
            "message": "m", "firstTimestamp": at, "lastTimestamp": at, "count": 1}


def _class(name: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": name}}


def _found(objects: list[dict[str, Any]]) -> list[Any]:
    snap = Snapshot.from_objects(copy.deepcopy(objects), listed={"Ingress", "IngressClass", "Event"})
    now = datetime.now(UTC)
    return [f for f in scan(snap, now, ["ingress"]).findings if f.check == "ingress.missing_class"]


def test_a_recording_without_any_ingressclass_cannot_say_the_class_is_missing() -> None:
    unrelated = _event("Pulled", kind="Pod", name="api-7d9", ns="portal")  # makes the snapshot a recording
    [f] = _found([_ingress("traefik"), unrelated])
    assert f.severity == "info" and f.details["absence_known"] is False
    assert "does not exist" not in f.message and "nothing serves" not in f.message
    assert "not collected" in f.message


def test_a_recording_that_collected_classes_keeps_the_claim() -> None:
    unrelated = _event("Pulled", kind="Pod", name="api-7d9", ns="portal")
    [f] = _found([_ingress("nginx"), _class("haproxy"), unrelated])
    assert f.severity == "warning" and f.details["absence_known"] is True
    assert "IngressClass nginx does not exist (known: haproxy)" in f.message


def test_a_live_listing_with_no_class_keeps_the_claim() -> None:
    recent = _event("Pulled", kind="Pod", name="api-7d9", ns="portal",
                    at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    [f] = _found([_ingress("contour"), _class("haproxy"), recent])
    assert "IngressClass contour does not exist" in f.message


def test_a_controller_sync_event_on_the_ingress_shows_its_class_is_served() -> None:
    assert _found([_ingress("nginx"), _class("haproxy"), _event("Sync")]) == []  # ingress-nginx, GCE
    assert _found([_ingress("alb"), _class("haproxy"), _event("SuccessfullyReconciled")]) == []  # AWS LB controller


def test_cert_manager_events_on_the_ingress_do_not_show_a_controller() -> None:
    [f] = _found([_ingress("nginx"), _class("haproxy"), _event("CreateCertificate")])
    assert "IngressClass nginx does not exist" in f.message
    [g] = _found([_ingress("nginx"), _class("haproxy"), _event("Sync", name="other-ingress")])  # another Ingress
    assert "IngressClass nginx does not exist" in g.message
