"""group_lb_setting: a load-balancer-wide annotation written on one Ingress of a shared ALB IngressGroup reaches every
member (issue #12, round 43 class: a shared ALB's web ACL blocks another team's traffic).

Written here, not taken from the held-out bundles. Shapes: an `inbound-cidrs` narrowed on a docs Ingress (the
timeline names the key) that a checkout Ingress shares a group with; a WAF classic `waf-acl-id` written on a
partner-portal Ingress whose read kept managedFields. Twins: the same write in another group, a write days old,
the victim setting the same value itself, a per-Ingress annotation (`healthcheck-path`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import group_lb_setting
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
P = "alb.ingress.kubernetes.io/"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def ingress(ns: str, name: str, group: str, extra: dict[str, str] | None = None,
            managed: tuple[datetime, list[str]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "annotations": {P + "group.name": group, **(extra or {})}}
    if managed:
        meta["managedFields"] = [{"manager": "kubectl-annotate", "time": _iso(managed[0]), "fieldsV1": {
            "f:metadata": {"f:annotations": {f"f:{k}": {} for k in managed[1]}}}}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": {"rules": [
        {"http": {"paths": [{"backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}}


def write(ns: str, name: str, key: str, when: datetime) -> dict[str, Any]:
    return {"at": _iso(when), "type": "updated", "object": {"kind": "Ingress", "namespace": ns, "name": name},
            "summary": f"Ingress {ns}/{name} written by kubectl-annotate: metadata.annotations.{key}", "diff": []}


def run(objs: list[dict[str, Any]], changes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    hub = RecordingHub(objects={("Ingress", o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objs},
                       lists={"Ingress": [{"name": o["metadata"]["name"], "namespace": o["metadata"]["namespace"]}
                                          for o in objs]})
    asyncio.run(group_lb_setting.read(Subject(namespace="checkout", names=["checkout-web"]), facts, hub, _iso(AT)))
    return facts


VICTIM = ingress("checkout", "checkout-web", "storefront")
CIDRS = {P + "inbound-cidrs": "10.0.0.0/8"}


def test_inbound_cidrs_narrowed_on_a_group_member_is_named() -> None:
    docs = ingress("docs", "docs-site", "storefront", CIDRS)
    [(ref, finding, _, victims)] = group_lb_setting.suspects(
        run([docs, VICTIM], [write("docs", "docs-site", P + "inbound-cidrs", AT - timedelta(minutes=40))]))
    assert ref == Ref("Ingress", "docs", "docs-site") and victims == [Ref("Ingress", "checkout", "checkout-web")]
    assert "IngressGroup 'storefront'" in finding["message"] and "inbound-cidrs" in finding["message"]


def test_a_waf_classic_acl_read_from_managed_fields_is_named() -> None:
    portal = ingress("partners", "partner-portal", "storefront", {P + "waf-acl-id": "a1b2c3d4-acl"},
                     managed=(AT - timedelta(hours=2), [P + "waf-acl-id"]))
    write_line = {"at": _iso(AT - timedelta(hours=2)), "type": "updated", "summary": "Ingress partners/partner-portal "
                  "updated", "object": {"kind": "Ingress", "namespace": "partners", "name": "partner-portal"}}
    [(ref, finding, _, _)] = group_lb_setting.suspects(run([portal, VICTIM], [write_line]))
    assert ref == Ref("Ingress", "partners", "partner-portal") and "web ACL" in finding["message"]


def test_twin_a_member_of_another_group_is_not_named() -> None:
    docs = ingress("docs", "docs-site", "internal-tools", CIDRS)
    facts = run([docs, VICTIM], [write("docs", "docs-site", P + "inbound-cidrs", AT - timedelta(minutes=40))])
    assert group_lb_setting.suspects(facts) == []


def test_twin_a_write_days_old_is_not_named() -> None:
    docs = ingress("docs", "docs-site", "storefront", CIDRS)
    facts = run([docs, VICTIM], [write("docs", "docs-site", P + "inbound-cidrs", AT - timedelta(days=3))])
    assert group_lb_setting.suspects(facts) == []


def test_twin_the_victim_setting_the_same_value_is_not_named() -> None:
    docs = ingress("docs", "docs-site", "storefront", CIDRS)
    victim = ingress("checkout", "checkout-web", "storefront", CIDRS)
    facts = run([docs, victim], [write("docs", "docs-site", P + "inbound-cidrs", AT - timedelta(minutes=40))])
    assert group_lb_setting.suspects(facts) == []


def test_twin_a_per_ingress_annotation_is_not_named() -> None:
    docs = ingress("docs", "docs-site", "storefront", {P + "healthcheck-path": "/healthz"})
    facts = run([docs, VICTIM], [write("docs", "docs-site", P + "healthcheck-path", AT - timedelta(minutes=40))])
    assert group_lb_setting.suspects(facts) == []
