"""Absence honesty (mcp_servers.kubernetes.scan.collected): "does not exist" only when the kind was listed,
completely, in that namespace; otherwise "not collected: cannot check".

Objects are built in the API server's shape (tests/scan/objects.py). A live snapshot is one whose node
heartbeat is current (the wall clock); a recording is one whose newest heartbeat is days old, as in an
incident bundle served by the replay server. Each case has a twin that must read the other way.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan
from mcp_servers.kubernetes.scan.collected import TLS_SECRET, absence, is_recording
from tests.scan.objects import meta, node, pod, secret

LISTED = {"Pod", "Node", "Secret", "Service", "Ingress", "IngressClass", "Event"}
RECORDED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _node_at(at: datetime) -> dict[str, Any]:
    n = node()
    for cond in n["status"]["conditions"]:
        cond["lastHeartbeatTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return n


def _tls_ingress(secret_name: str, ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("storefront", ns),
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["shop.example.com"], "secretName": secret_name}],
                     "rules": [{"host": "shop.example.com"}]}}


def _tls_secret(name: str, ns: str = "shop") -> dict[str, Any]:
    return {**secret(name, ns, {"tls.crt": "Y3J0", "tls.key": "a2V5"}), "type": TLS_SECRET}


def _findings(objects: list[dict[str, Any]], listed: set[str] = LISTED) -> list[Any]:
    snap = Snapshot.from_objects(objects, listed=listed)
    return [f for f in scan(snap, datetime.now(UTC), ["ingress.missing_tls_secret"]).findings]


def test_live_listing_says_the_tls_secret_does_not_exist_and_its_twin_with_the_secret_is_silent() -> None:
    live = _node_at(datetime.now(UTC))
    [f] = _findings([live, _tls_ingress("shop-tls"), secret("db-password")])
    assert f.reason == "SecretNotFound" and f.severity == "warning" and "which does not exist" in f.message
    assert f.details["absence_known"] is True
    assert _findings([live, _tls_ingress("shop-tls"), _tls_secret("shop-tls")]) == []


def test_a_recording_without_any_tls_secret_cannot_say_it_is_missing() -> None:
    """A shared dump (docs/bundles.md: Secrets under extra/ are hand-picked) that holds no TLS Secret at
    all left key material out: the Ingress's Secret is 'not collected', never 'does not exist'."""
    recorded = _node_at(RECORDED_AT)
    [f] = _findings([recorded, _tls_ingress("shop-tls"), secret("db-password")])
    assert f.reason == "SecretNotCollected" and f.severity == "info"
    assert "not collected" in f.message and "does not exist" not in f.message and "cannot check" in f.message
    # the twin: the recording does hold TLS Secrets (another Ingress's), so this one's absence is real
    [real] = _findings([recorded, _tls_ingress("shop-tls"), _tls_secret("api-tls", "api")])
    assert real.reason == "SecretNotFound" and "does not exist" in real.message


def test_a_running_pod_using_a_secret_the_list_lacks_proves_the_list_partial() -> None:
    """The kubelet does not start a container whose secretKeyRef or secret volume is missing: a running
    pod that uses Secret session-key proves a Secret list without it incomplete."""
    live = _node_at(datetime.now(UTC))
    web = pod("web-7d9c-abcde")
    web["spec"]["containers"][0]["env"] = [{"name": "SESSION_KEY", "valueFrom": {
        "secretKeyRef": {"name": "session-key", "key": "key"}}}]
    [f] = _findings([live, web, _tls_ingress("shop-tls")])
    assert f.reason == "SecretNotCollected" and "pod web-7d9c-abcde runs with Secret session-key" in f.message
    # the twin by volume: the same, mounted; and a pod that is not running proves nothing
    mounted = copy.deepcopy(pod("web-7d9c-fghij"))
    mounted["spec"]["volumes"] = [{"name": "keys", "secret": {"secretName": "session-key"}}]
    [g] = _findings([live, mounted, _tls_ingress("shop-tls")])
    assert g.reason == "SecretNotCollected"
    waiting = copy.deepcopy(web)
    waiting["status"]["phase"] = "Pending"
    waiting["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CreateContainerConfigError"}}
    [h] = _findings([live, waiting, _tls_ingress("shop-tls")])
    assert h.reason == "SecretNotFound"


def test_absence_reasons_for_an_unlisted_kind_and_an_unscanned_namespace() -> None:
    snap = Snapshot.from_objects([_node_at(datetime.now(UTC))], listed={"Node", "Pod"})
    snap.errors.append("Secret: forbidden by RBAC")
    refused = absence(snap, "Secret", "shop")
    assert not refused.known and refused.why == "Secrets were not collected (forbidden by RBAC)"
    narrowed = Snapshot.from_objects([], listed={"Secret"}, namespace="payments")
    assert absence(narrowed, "Secret", "shop").why == "namespace shop was not collected"
    assert absence(narrowed, "Secret", "payments").known


def test_recording_is_told_by_the_newest_heartbeat_against_the_wall_clock() -> None:
    wall = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    old = Snapshot.from_objects([_node_at(wall - timedelta(days=2))])
    fresh = Snapshot.from_objects([_node_at(wall - timedelta(seconds=20))])
    assert is_recording(old, wall) and not is_recording(fresh, wall)


def test_a_pods_missing_references_are_only_claimed_from_a_listing_no_running_pod_contradicts() -> None:
    """refs.missing_refs walks a failing pod's env and volumes against the Secret list: with a running pod
    of the namespace using a Secret the list lacks, the walk claims nothing (the kubelet's own 'secret
    "db-creds" not found' still speaks for the failing pod); without it, db-creds is missing."""
    from mcp_servers.kubernetes.scan.checks.refs import missing_refs

    failing = pod("orders-5c8d-qwert")
    failing["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "db-creds"}}]
    failing["status"]["phase"] = "Pending"
    failing["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CreateContainerConfigError"}}
    runner = pod("api-7d9c-abcde")
    runner["spec"]["volumes"] = [{"name": "key", "secret": {"secretName": "api-key"}}]
    complete = Snapshot.from_objects([failing, runner, secret("api-key")], listed=LISTED)
    assert [m["secret"] for m in missing_refs(complete, failing, None)] == ["db-creds"]
    partial = Snapshot.from_objects([failing, runner], listed=LISTED)
    assert missing_refs(partial, failing, None) == []
