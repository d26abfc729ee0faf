"""An Ingress a controller admitted is never reported as having a missing IngressClass.

Controllers write `status.loadBalancer.ingress` only for the Ingresses of their class, so an address
there proves the class is served, whatever the IngressClass list holds (an incomplete bundle, a
filtered listing). The twin without status, and the one with a listed, different class, keep the
finding.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)


def _ingress(admitted: bool, cls: str = "nginx") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "reports", "namespace": "reporting", "creationTimestamp": "2026-10-01T00:00:00Z"},
        "spec": {"ingressClassName": cls, "rules": [{"host": "reports.example.com"}]}}
    if admitted:
        obj["status"] = {"loadBalancer": {"ingress": [{"hostname": "k8s-ingress-1.elb.eu-west-1.amazonaws.com"}]}}
    return obj


def _classes_found(objects: list[dict[str, Any]], listed: set[str]) -> list[str]:
    snap = Snapshot.from_objects(copy.deepcopy(objects), listed=listed)
    return [f.check for f in scan(snap, NOW, ["ingress"]).findings if f.check == "ingress.missing_class"]


def test_an_admitted_ingress_keeps_its_class_whatever_the_list_holds() -> None:
    assert _classes_found([_ingress(True)], {"Ingress", "IngressClass"}) == []  # no IngressClass listed at all
    traefik = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "traefik"}}
    assert _classes_found([_ingress(True), traefik], {"Ingress", "IngressClass"}) == []


def test_an_ingress_nobody_admitted_still_has_its_missing_class_reported() -> None:
    assert _classes_found([_ingress(False)], {"Ingress", "IngressClass"}) == ["ingress.missing_class"]
    traefik = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "traefik"}}
    assert _classes_found([_ingress(False), traefik], {"Ingress", "IngressClass"}) == ["ingress.missing_class"]
