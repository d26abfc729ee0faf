"""An Ingress backend Service the listing lacks while the namespace's endpoints are kept for it: the list is
partial, so the scan says "not collected: cannot check", never "does not exist" (mcp_servers.kubernetes.scan.
collected._served). Written here in our own words.

Shapes: an EndpointSlice labelled kubernetes.io/service-name for the backend; a legacy Endpoints object of the
backend's name (no EndpointSlice listed). Twins: the same Ingress with endpoints kept only for other, listed
Services (the backend is really missing), and a live listing with no endpoints at all for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import endpoints, meta, node, service

LISTED = {"Pod", "Node", "Service", "Endpoints", "EndpointSlice", "Ingress", "Event"}


def _ingress(backend: str, ns: str = "media") -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("gallery", ns),
            "spec": {"rules": [{"host": "gallery.example.net", "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": backend, "port": {"number": 8080}}}}]}}]}}


def _slice(service_name: str, ns: str = "media") -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {**meta(f"{service_name}-x7k2p", ns),
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["10.4.2.9"], "conditions": {"ready": True}}]}


def _backend_findings(objects: list[dict[str, Any]], listed: set[str] = LISTED) -> list[Any]:
    snap = Snapshot.from_objects([node(), *objects], listed=listed)
    return [f for f in scan(snap, datetime.now(UTC), ["ingress.missing_backend"]).findings]


def test_an_endpointslice_kept_for_the_backend_makes_its_absence_unknown() -> None:
    [f] = _backend_findings([_ingress("gallery-web"), service("thumbs", "media"), _slice("gallery-web")])
    assert f.reason == "ServiceNotCollected" and f.severity == "info" and f.details["absence_known"] is False
    assert "does not exist" not in f.message and "EndpointSlice gallery-web-x7k2p" in f.message


def test_legacy_endpoints_of_the_backends_name_make_its_absence_unknown() -> None:
    [f] = _backend_findings([_ingress("gallery-web"), endpoints("gallery-web", "media")],
                            listed=LISTED - {"EndpointSlice"})
    assert f.reason == "ServiceNotCollected" and "Endpoints gallery-web" in f.message


def test_endpoints_only_for_listed_services_leave_the_backend_missing() -> None:
    [f] = _backend_findings([_ingress("gallery-web"), service("thumbs", "media"), _slice("thumbs"),
                             endpoints("thumbs", "media")])
    assert f.reason == "ServiceNotFound" and f.severity == "critical" and "does not exist" in f.message
    assert f.details["absence_known"] is True


def test_no_endpoints_at_all_leave_the_backend_missing() -> None:
    [f] = _backend_findings([_ingress("gallery-web")])
    assert f.reason == "ServiceNotFound"
