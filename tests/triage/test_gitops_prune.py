"""A dependency gone because a GitOps controller pruned it: Flux's Kustomization event after its path moved, Argo
CD's Application sync result after its source moved, and the twins (the same write deleting something else, a
prune after the incident)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, gitops_prune
from agent.triage.facts import Facts

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _topology(caller: str, namespace: str, service: str, service_ns: str) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": namespace, "name": caller},
            "dependencies": [{"target": {"kind": "Service", "namespace": service_ns, "name": service},
                              "healthy": False, "via": "env PRICES_URL",
                              "detail": f"no Service {service_ns}/{service} exists: {service}.{service_ns}.svc "
                                        "does not resolve"}]}


def _write(kind: str, namespace: str, name: str, at: datetime, diff: list[str]) -> dict[str, Any]:
    return {"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by kustomize-controller: {'; '.join(diff)}", "diff": diff}


def _facts(changes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    facts.topologies.append((_topology("checkout", "shop", "prices", "pricing"), "E3"))
    return facts


def _event(message: str, at: datetime, kind: str = "Kustomization") -> dict[str, Any]:
    return {"kind": kind, "namespace": "flux-system", "name": "apps-pricing", "reason": "Progressing",
            "message": message, "last_seen": _iso(at)}


def test_a_flux_kustomization_whose_path_moved_and_pruned_the_service_is_named() -> None:
    facts = _facts([_write("Kustomization", "flux-system", "apps-pricing", AT - timedelta(minutes=50),
                           ["spec.path = './apps/pricing/overlays/eu'"])])
    facts.reads[gitops_prune.READS_KEY] = {"events": [
        (_event("ConfigMap/pricing/prices-config configured\nService/pricing/prices deleted",
                AT - timedelta(minutes=49)), "E40")]}
    [p] = gitops_prune.found(facts)
    message = gitops_prune.finding(p, facts.at)["message"]
    assert message.startswith("Kustomization flux-system/apps-pricing pruned: it deleted Service pricing/prices "
                              "49 min before the incident right after its spec was written "
                              "(spec.path = './apps/pricing/overlays/eu')")
    assert "Left without it: Deployment shop/checkout" in message
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == gitops_prune.CHECK]
    assert (str(ref), evidence) == ("Kustomization flux-system/apps-pricing", ["E40", "E2", "E3"])
    assert [str(e) for e in explains] == ["Service pricing/prices", "Deployment shop/checkout"]


def test_an_argo_cd_application_whose_sync_result_pruned_the_service_is_named() -> None:
    facts = _facts([_write("Application", "argocd", "pricing", AT - timedelta(hours=2),
                           ["spec.source.path = 'envs/prod-eu'"])])
    facts.objects.append(({"kind": "Application", "metadata": {"name": "pricing", "namespace": "argocd"},
                           "status": {"operationState": {"finishedAt": _iso(AT - timedelta(minutes=110)),
                                                         "syncResult": {"resources": [
                                                             {"kind": "Deployment", "namespace": "pricing",
                                                              "name": "prices", "status": "Synced"},
                                                             {"kind": "Service", "namespace": "pricing",
                                                              "name": "prices", "status": "Pruned",
                                                              "message": "pruned"}]}}}}, "E41"))
    [p] = gitops_prune.found(facts)
    assert (str(p.owner), str(p.deleted), p.evidence) == ("Application argocd/pricing", "Service pricing/prices",
                                                          ["E41", "E2", "E3"])
    assert "spec.source.path = 'envs/prod-eu'" in gitops_prune.finding(p, facts.at)["message"]


def test_the_same_write_that_pruned_something_else_is_not_named() -> None:
    facts = _facts([_write("Kustomization", "flux-system", "apps-pricing", AT - timedelta(minutes=50),
                           ["spec.path = './apps/pricing/overlays/eu'"])])
    facts.reads[gitops_prune.READS_KEY] = {"events": [
        (_event("Service/pricing/prices-canary deleted", AT - timedelta(minutes=49)), "E40")]}
    assert gitops_prune.found(facts) == []


def test_a_prune_after_the_incident_is_not_named() -> None:
    facts = _facts([])
    facts.reads[gitops_prune.READS_KEY] = {"events": [
        (_event("Service/pricing/prices deleted", AT + timedelta(minutes=5)), "E40")]}
    assert gitops_prune.found(facts) == []


def test_a_deletion_said_by_a_workload_is_not_a_gitops_prune() -> None:
    facts = _facts([])
    row = _event("Service/pricing/prices deleted", AT - timedelta(minutes=5), kind="Deployment")
    facts.reads[gitops_prune.READS_KEY] = {"events": [(row, "E40")]}
    assert gitops_prune.found(facts) == []


def test_a_flux_controller_log_line_names_the_kustomization_when_events_expired() -> None:
    facts = _facts([_write("Kustomization", "flux-system", "apps-pricing", AT - timedelta(hours=3),
                           ["spec.path = './apps/pricing/overlays/eu'"])])
    line = ('{"ts":"2026-12-01T06:01:02.000Z","level":"info","msg":"garbage collection completed",'
            '"Kustomization":{"name":"apps-pricing","namespace":"flux-system"},'
            '"output":{"Service/pricing/prices":"deleted"}}')
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": [(line, "E44")]}
    [p] = gitops_prune.found(facts)
    assert (str(p.owner), p.at) == ("Kustomization flux-system/apps-pricing", datetime(2026, 12, 1, 6, 1, 2,
                                                                                       tzinfo=UTC))
    assert "2 h 58 min before the incident" in gitops_prune.finding(p, facts.at)["message"]


def test_an_argo_cd_sync_log_line_says_which_application_pruned_it() -> None:
    facts = _facts([])
    pruned = ("time=\"2026-12-01T08:30:00Z\" level=info msg=\"Adding resource result, status: 'Pruned', phase: "
              "'Succeeded', message: 'pruned'\" application=argocd/pricing kind=Service name=prices namespace=pricing")
    synced = pruned.replace("'Pruned'", "'Synced'").replace("'pruned'", "'service/prices configured'")
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": [(synced, "E45")]}
    assert gitops_prune.found(facts) == []
    facts.reads[gitops_prune.READS_KEY]["logs"].append((pruned, "E45"))
    [p] = gitops_prune.found(facts)
    assert str(p.owner) == "Application argocd/pricing" and p.write is None
