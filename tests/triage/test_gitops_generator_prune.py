"""A dependency gone because a generator stopped yielding the GitOps object that applied it: the child's deletion
(its finalizer) took the dependency along, and the generator written before it is the suspect. Argo CD's
ApplicationSet and Flux's Kustomization-of-Kustomizations, each with twins (the generator deleted another child,
the generator written only after the deletion, a deletion line for another object)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import behind, gitops_prune
from agent.triage.facts import Facts

AT = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _facts(writes: list[tuple[str, str, str, datetime, str]]) -> Facts:
    changes = [{"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
                "summary": f"{kind} {ns}/{name} written: {diff}", "diff": [diff]}
               for kind, ns, name, at, diff in writes]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "web", "name": "checkout-gw"},
                              "dependencies": [{"target": {"kind": "Service", "namespace": "billing",
                                                           "name": "ledger"}, "healthy": False,
                                                "detail": "no Service billing/ledger exists: ledger.billing.svc "
                                                          "does not resolve"}]}, "E3"))
    return facts


def _argo_lines(deleted_name: str, child: str) -> list[tuple[str, str]]:
    t1, t2 = _iso(AT - timedelta(minutes=40)), _iso(AT - timedelta(minutes=39))
    return [(f'time="{t1}" level=info msg="Deleted application" app={child} applicationset=gitops/platform-apps',
             "E50"),
            (f'time="{t2}" level=info msg="Deleting resource" application=gitops/billing-ledger kind=Service '
             f"name={deleted_name} namespace=billing", "E51")]


SET_WRITE = ("ApplicationSet", "gitops", "platform-apps", AT - timedelta(minutes=42),
             "spec.generators = [{'list': {'elements': [{'app': 'billing-api'}]}}]")


def test_an_applicationset_that_stopped_generating_the_application_is_named_through_it() -> None:
    facts = _facts([SET_WRITE])
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": _argo_lines("ledger", "billing-ledger")}
    [p] = gitops_prune.found(facts)
    assert (str(p.owner), str(p.via), str(p.deleted)) == ("ApplicationSet gitops/platform-apps",
                                                          "Application gitops/billing-ledger", "Service billing/ledger")
    message = gitops_prune.finding(p, facts.at)["message"]
    assert "deleted Application billing-ledger and with it Service billing/ledger" in message
    assert "generator no longer yields Application billing-ledger" in message and "spec.generators" in message
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == gitops_prune.CHECK]
    assert str(ref) == "ApplicationSet gitops/platform-apps" and evidence[:2] == ["E51", "E50"]
    assert "Application gitops/billing-ledger" in [str(e) for e in explains]


def test_a_flux_parent_kustomization_that_dropped_its_child_is_named_through_it() -> None:
    facts = _facts([("Kustomization", "flux-system", "tenants", AT - timedelta(hours=2),
                     "spec.path = './tenants/prod-only'")])
    child = {"kind": "Kustomization", "namespace": "flux-system", "name": "tenant-billing", "reason": "Progressing",
             "message": "Deployment/billing/ledger deleted\nService/billing/ledger deleted",
             "last_seen": _iso(AT - timedelta(minutes=118))}
    parent = {"kind": "Kustomization", "namespace": "flux-system", "name": "tenants", "reason": "Progressing",
              "message": "Kustomization/flux-system/tenant-billing deleted",
              "last_seen": _iso(AT - timedelta(minutes=118, seconds=20))}
    facts.reads[gitops_prune.READS_KEY] = {"events": [(child, "E60"), (parent, "E61")]}
    [p] = gitops_prune.found(facts)
    assert (str(p.owner), str(p.via)) == ("Kustomization flux-system/tenants",
                                          "Kustomization flux-system/tenant-billing")
    assert "spec.path = './tenants/prod-only'" in gitops_prune.finding(p, facts.at)["message"]


def test_an_applicationset_that_deleted_another_application_is_not_named() -> None:
    facts = _facts([SET_WRITE])
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": _argo_lines("ledger", "billing-reports")}
    [p] = gitops_prune.found(facts)
    assert (str(p.owner), p.via) == ("Application gitops/billing-ledger", None)


def test_a_generator_written_only_after_the_deletion_is_not_named() -> None:
    kind, ns, name, _, diff = SET_WRITE
    facts = _facts([(kind, ns, name, AT - timedelta(minutes=10), diff)])
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": _argo_lines("ledger", "billing-ledger")}
    [p] = gitops_prune.found(facts)
    assert str(p.owner) == "Application gitops/billing-ledger" and p.via is None


def test_a_deleting_line_for_another_object_names_nobody() -> None:
    facts = _facts([SET_WRITE])
    facts.reads[gitops_prune.READS_KEY] = {"events": [], "logs": _argo_lines("ledger-cache", "billing-ledger")}
    assert gitops_prune.found(facts) == []
