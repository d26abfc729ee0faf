"""dns_scope: the DNS controller's scope narrowed through its Helm chart's values (issue #12 audit).

ExternalDNS is mostly installed from a chart (kubernetes-sigs or Bitnami); a GitOps tool then writes the values,
not the Deployment's args: `spec.values.domainFilters` on a Flux HelmRelease, `txtOwnerId` in an Argo CD
Application's values. Shapes: a HelmRelease narrowing domainFilters off the incident's host; an Application whose
txtOwnerId changed. Twins: domainFilters widened, and narrowed to a list that still covers the host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import dns_scope
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)


def _facts(kind: str, name: str, diff: list[str]) -> Facts:
    change: dict[str, Any] = {"at": "2026-07-14T07:40:00Z", "type": "config",
                              "object": {"kind": kind, "namespace": "flux-system", "name": name},
                              "summary": f"{kind} flux-system/{name} written", "diff": diff}
    return Facts(at=AT, scan={"findings": []}, changes={"changes": [change]}, changes_id="E2")


def _found(facts: Facts, hosts: list[str]) -> list[tuple[str, str, list[str]]]:
    dns_scope.read(Subject(hosts=hosts), facts)
    return [(str(n.target), n.flag, n.hosts) for n in dns_scope.found(facts)]


def test_helmrelease_domain_filters_narrowed_off_the_host_and_its_twins() -> None:
    narrowed = _facts("HelmRelease", "external-dns",
                      ["spec.values.domainFilters ['shop.io', 'pay.shop.io'] -> ['internal.shop.io']"])
    assert _found(narrowed, ["checkout.shop.io"]) == [
        ("HelmRelease flux-system/external-dns", "domain-filter", ["checkout.shop.io"])]
    assert "--domain-filter" in dns_scope.finding(dns_scope.found(narrowed)[0], AT)["message"]
    widened = _facts("HelmRelease", "external-dns",
                     ["spec.values.domainFilters ['internal.shop.io'] -> ['internal.shop.io', 'shop.io']"])
    assert _found(widened, ["checkout.shop.io"]) == []
    still = _facts("HelmRelease", "external-dns", ["spec.values.domainFilters ['io'] -> ['shop.io']"])
    assert _found(still, ["checkout.shop.io"]) == []


def test_application_txt_owner_id_changed() -> None:
    facts = _facts("Application", "external-dns",
                   ["spec.source.helm.valuesObject.txtOwnerId 'prod-eu' -> 'prod-eu-2'"])
    assert _found(facts, ["api.shop.io"]) == [("Application flux-system/external-dns", "txt-owner-id", ["api.shop.io"])]
