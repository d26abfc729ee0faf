"""The scan's text: rendered from the result, detail dropped before problems, cuts counted."""

from __future__ import annotations

from mcp_servers.common.compact import estimate_tokens
from mcp_servers.kubernetes.scan import ObjectRef, ScanFinding, ScanResult, Snapshot
from mcp_servers.kubernetes.scan.snapshot import normalize_event
from tests.scan.objects import event, new_event


def finding(i: int, severity: str = "warning") -> ScanFinding:
    return ScanFinding(check="pod.crashloop", severity=severity,  # type: ignore[arg-type]
                       object=ObjectRef(kind="Deployment", namespace="team", name=f"svc-{i:03d}"),
                       reason="CrashLoopBackOff", message=f"Deployment team/svc-{i:03d}: 2/2 pods CrashLoopBackOff",
                       evidence=["x" * 150, "y" * 150], pods=[f"svc-{i:03d}-a", f"svc-{i:03d}-b"], count=2,
                       since="2026-05-01T11:00:00Z")


def test_every_problem_keeps_its_line_before_any_evidence_is_shown() -> None:
    from mcp_servers.kubernetes.scan.render import render

    result = ScanResult(findings=[finding(i, "critical" if i < 3 else "warning") for i in range(20)],
                        scanned={"Pod": 40})
    text, left_out = render(result, 700)
    assert left_out == 0 and all(f"svc-{i:03d}:" in text for i in range(20))
    assert estimate_tokens(text) <= 700
    assert "x" * 150 not in text.split("svc-019:")[1]  # the least severe lost their detail first


def test_a_budget_too_small_for_every_line_counts_what_it_left_out() -> None:
    from mcp_servers.kubernetes.scan.render import render

    result = ScanResult(findings=[finding(i) for i in range(60)], scanned={"Pod": 120},
                        hidden_namespaces=["kube-system"], errors=["HorizontalPodAutoscaler: not served",
                                                                   "Secret: forbidden by RBAC"])
    text, left_out = render(result, 600, "narrow with k8s_scan(...)")
    shown = text.count("WARN pod.crashloop")
    assert left_out == 60 - shown > 0 and f"[{left_out} more findings left out ({left_out} warning)" in text
    assert "hidden by policy: kube-system" in text
    assert "could not list: HorizontalPodAutoscaler (not served); Secret (forbidden by RBAC)" in text


def test_an_event_served_by_both_event_apis_counts_once() -> None:
    old = event("Pod", "api-0", "BackOff", "Back-off restarting failed container", count=4)
    new = new_event("Pod", "api-0", "BackOff", "Back-off restarting failed container", count=4)
    new["metadata"]["name"] = old["metadata"]["name"]
    snap = Snapshot.from_objects([old, new])
    assert len(snap.events) == 1
    e = normalize_event(new)
    assert (e.kind, e.name, e.message, e.count) == ("Pod", "api-0", "Back-off restarting failed container", 4)
