"""A controller upgraded across a minor or major version, after which it refuses an object nobody wrote
(issue #12, round 41 class: an ingress controller release turned a stricter path validation on by default).

Written here, not taken from the held-out bundles. Shapes: a Traefik Deployment moved v2 -> v3 whose RFC 3339
lines skip an Ingress; a Contour DaemonSet moved 1.27 -> 1.30 whose logfmt line says an HTTPProxy is invalid; an
ingress-nginx-like controller printing year-less klog headers. Negative twins: a patch release (nothing read, nothing
named), the same refusal already printed before the rollout (chronic), a refused object edited after the rollout
(its own write is the story), a refusal that names no object. The tool hub is a recorded fake.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, upgrade_refusal
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
ROLLOUT = AT - timedelta(minutes=20)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rollout(kind: str, ns: str, name: str, old: str, new: str, at: datetime = ROLLOUT) -> dict[str, Any]:
    diff = f"{name} image {old} -> {new}"
    return {"at": _iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 7: {diff}", "diff": [diff]}


def _edit(kind: str, ns: str, name: str, at: datetime) -> dict[str, Any]:
    return {"at": _iso(at), "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-edit: spec.rules", "diff": ["spec.rules"]}


def _run(changes: list[dict[str, Any]], ns: str, pods: list[str], lines: dict[str, list[str]]
         ) -> tuple[list[upgrade_refusal.Refusal], RecordingHub]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    hub = RecordingHub(lists={("Pod", ns): [{"name": p} for p in pods]}, logs=lines)
    asyncio.run(upgrade_refusal.read(Subject(), facts, hub, _iso(AT)))
    return upgrade_refusal.found(facts), hub


TRAEFIK_PODS = ["edge-router-5c7d9f8b6-k2x9q"]
TRAEFIK_SKIP = "ERR Skipping ingress catalog/catalog-web: path \"^/items/(.*)\" is not supported with pathType Exact"


def test_traefik_major_upgrade_that_skips_an_unchanged_ingress_is_named() -> None:
    lines = {TRAEFIK_PODS[0]: [f"{_iso(ROLLOUT + timedelta(seconds=40))} INF Starting provider",
                               f"{_iso(ROLLOUT + timedelta(seconds=45))} {TRAEFIK_SKIP}"]}
    changes = [_rollout("Deployment", "edge", "edge-router", "traefik:v2.11.4", "traefik:v3.1.2")]
    [hit], hub = _run(changes, "edge", TRAEFIK_PODS, lines)
    assert hit.controller == Ref("Deployment", "edge", "edge-router")
    assert hit.refused == Ref("Ingress", "catalog", "catalog-web")
    [(suspect, finding, _, explains)] = upgrade_refusal.suspects(
        Facts(at=AT, changes={"changes": changes}, reads={upgrade_refusal.STORE: _stored(changes, lines)}))
    assert suspect == hit.controller and Ref("Ingress", "catalog", "catalog-web") in explains
    assert "traefik:v2.11.4 -> traefik:v3.1.2" in finding["message"] and "pathType Exact" in finding["message"]
    assert upgrade_refusal.CHECK in behind.WEIGHTS
    assert any(args.get("grep") == "skip" for tool, args in hub.calls if tool == "k8s_logs")


def _stored(changes: list[dict[str, Any]], lines: dict[str, list[str]]) -> list[dict[str, Any]]:
    change = changes[0]
    target = Ref.of(change["object"])
    assert target is not None
    moved = upgrade_refusal.version_move(change)
    pod, text = next(iter(lines.items()))
    return [{"change": change, "target": target, "moved": moved, "pod": pod, "lines": text, "evidence": ["E9"]}]


def test_contour_minor_upgrade_that_marks_an_httpproxy_invalid_is_named() -> None:
    pods = ["envoy-gw-x7k2p"]
    line = (f'time="{_iso(ROLLOUT + timedelta(minutes=2))}" level=error msg="HTTPProxy blog/blog-site is invalid: '
            'prefix \\"/posts/[0-9]+\\" must start with a slash and contain no regex"')
    changes = [_rollout("DaemonSet", "projectcontour", "envoy-gw", "ghcr.io/projectcontour/contour:v1.27.1",
                        "ghcr.io/projectcontour/contour:v1.30.0")]
    [hit], _ = _run(changes, "projectcontour", pods, {pods[0]: [line]})
    assert hit.refused == Ref("HTTPProxy", "blog", "blog-site") and hit.controller.kind == "DaemonSet"


def test_klog_lines_without_a_year_are_dated() -> None:
    pods = ["public-lb-6b8f7d9c4-q2w8x"]
    t = ROLLOUT + timedelta(seconds=30)
    line = (f"E{t:%m%d %H:%M:%S}.000000       7 main.go:90] ingress wiki/wiki-web contains invalid paths: "
            "path /w/(.+) cannot be used with pathType Prefix")
    changes = [_rollout("Deployment", "lb", "public-lb", "example/controller:v1.9.6", "example/controller:v1.10.0")]
    [hit], _ = _run(changes, "lb", pods, {pods[0]: [line]})
    assert hit.refused == Ref("Ingress", "wiki", "wiki-web")


def test_a_patch_release_is_not_read_nor_named() -> None:
    lines = {TRAEFIK_PODS[0]: [f"{_iso(ROLLOUT + timedelta(seconds=45))} {TRAEFIK_SKIP}"]}
    changes = [_rollout("Deployment", "edge", "edge-router", "traefik:v3.1.1", "traefik:v3.1.2")]
    found, hub = _run(changes, "edge", TRAEFIK_PODS, lines)
    assert found == [] and hub.calls == []


def test_a_refusal_printed_before_the_rollout_is_chronic() -> None:
    lines = {TRAEFIK_PODS[0]: [f"{_iso(ROLLOUT - timedelta(hours=3))} {TRAEFIK_SKIP}",
                               f"{_iso(ROLLOUT + timedelta(seconds=45))} {TRAEFIK_SKIP}"]}
    changes = [_rollout("Deployment", "edge", "edge-router", "traefik:v2.11.4", "traefik:v3.1.2")]
    assert _run(changes, "edge", TRAEFIK_PODS, lines)[0] == []


def test_an_object_edited_after_the_rollout_is_its_own_story() -> None:
    lines = {TRAEFIK_PODS[0]: [f"{_iso(ROLLOUT + timedelta(minutes=9))} {TRAEFIK_SKIP}"]}
    changes = [_rollout("Deployment", "edge", "edge-router", "traefik:v2.11.4", "traefik:v3.1.2"),
               _edit("Ingress", "catalog", "catalog-web", ROLLOUT + timedelta(minutes=8))]
    assert _run(changes, "edge", TRAEFIK_PODS, lines)[0] == []


def test_a_refusal_naming_no_object_is_not_named() -> None:
    lines = {TRAEFIK_PODS[0]: [f"{_iso(ROLLOUT + timedelta(seconds=45))} ERR ignoring invalid flag --log.format=txt"]}
    changes = [_rollout("Deployment", "edge", "edge-router", "traefik:v2.11.4", "traefik:v3.1.2")]
    assert _run(changes, "edge", TRAEFIK_PODS, lines)[0] == []
