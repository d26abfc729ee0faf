"""An ACME issuer's solver changed and its Challenges fail (agent.triage.issuer_solver).

Shapes: a ClusterIssuer's HTTP-01 solver moved to an internal ingress class while the name's Ingress is on the
public one (Challenge 404), a namespaced Issuer's DNS-01 solver moved to another provider/credentials (Challenge
AccessDenied). Negative twins: a failing Challenge under an issuer nobody wrote, a written issuer whose Challenge
is valid, a Challenge made before the write with the old solver, an issuer status-only change.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import issuer_solver
from agent.triage.facts import Facts, Ref
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INTERNAL = {"http01": {"ingress": {"ingressClassName": "traefik-private"}}}
PUBLIC = {"http01": {"ingress": {"ingressClassName": "traefik"}}}
ROUTE53 = {"dns01": {"route53": {"region": "eu-west-1", "hostedZoneID": "Z0NEW",
                                 "accessKeyIDSecretRef": {"name": "r53-new", "key": "id"}}}}


def _issuer(kind: str, name: str, solver: dict[str, Any], ns: str = "") -> dict[str, Any]:
    meta = {"name": name, **({"namespace": ns} if ns else {})}
    return {"kind": kind, "metadata": meta, "spec": {"acme": {"server": "https://acme.example/dir",
                                                             "solvers": [solver]}}}


def _cert(ns: str, name: str, host: str, kind: str, issuer: str) -> dict[str, Any]:
    return {"kind": "Certificate", "metadata": {"namespace": ns, "name": name},
            "spec": {"dnsNames": [host], "secretName": name, "issuerRef": {"kind": kind, "name": issuer}}}


def _challenge(ns: str, host: str, issuer: str, solver: dict[str, Any], state: str, reason: str,
               created: str = "2026-11-20T10:00:00Z") -> dict[str, Any]:
    return {"kind": "Challenge", "metadata": {"namespace": ns, "name": f"{host}-1-2-3", "creationTimestamp": created},
            "spec": {"dnsName": host, "issuerRef": {"name": issuer}, "solver": solver},
            "status": {"state": state, "reason": reason}}


def _ingress(ns: str, host: str, klass: str) -> dict[str, Any]:
    return {"kind": "Ingress", "metadata": {"namespace": ns, "name": "site"},
            "spec": {"ingressClassName": klass, "rules": [{"host": host}]}}


def _write(kind: str, name: str, at: str, ns: str = "", kind_of_change: str = "write") -> dict[str, Any]:
    return {"at": at, "type": kind_of_change, "object": {"kind": kind, "namespace": ns, "name": name},
            "diff": ["spec.acme.solvers = [...]"]}


def test_an_http01_solver_on_another_ingress_class_names_the_cluster_issuer() -> None:
    issuer = _issuer("ClusterIssuer", "acme-public", INTERNAL)
    ch = _challenge("docs", "docs.corp.io", "acme-public", INTERNAL, "pending",
                    "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'")
    brk = issuer_solver.judge(_cert("docs", "docs-tls", "docs.corp.io", "ClusterIssuer", "acme-public"), issuer,
                              Ref("ClusterIssuer", "", "acme-public"), [ch], [_ingress("docs", "docs.corp.io",
                                                                                        "traefik")],
                              [_write("ClusterIssuer", "acme-public", "2026-11-20T09:00:00Z")], AT)
    assert brk is not None and (brk.served_by, brk.state) == ("traefik", "pending")
    message = issuer_solver.finding(brk, AT)["message"]
    assert message.startswith("ClusterIssuer acme-public's solver was changed (2026-11-20T09:00:00Z, 3 h")
    assert "HTTP-01 solver via ingressClassName traefik-private" in message and "ingress class traefik" in message


def test_a_dns01_provider_change_names_the_namespaced_issuer() -> None:
    issuer = _issuer("Issuer", "le", ROUTE53, ns="shop")
    ch = _challenge("shop", "pay.shop.io", "le", ROUTE53, "errored",
                    "error presenting challenge: AccessDenied: not authorized to perform "
                    "route53:ChangeResourceRecordSets")
    brk = issuer_solver.judge(_cert("shop", "pay-tls", "pay.shop.io", "Issuer", "le"), issuer,
                              Ref("Issuer", "shop", "le"), [ch], [],
                              [_write("Issuer", "le", "2026-11-20T08:00:00Z", ns="shop")], AT)
    assert brk is not None and brk.served_by == ""
    assert brk.solver == ("DNS-01 solver via route53 (region eu-west-1, hostedZoneID Z0NEW, "
                          "accessKeyIDSecretRef r53-new)")


def test_an_unwritten_issuer_a_passing_challenge_or_an_old_challenge_is_no_suspect() -> None:
    cert = _cert("docs", "docs-tls", "docs.corp.io", "ClusterIssuer", "acme-public")
    ref = Ref("ClusterIssuer", "", "acme-public")
    failing = _challenge("docs", "docs.corp.io", "acme-public", INTERNAL, "pending", "wrong status code '404'")
    written = [_write("ClusterIssuer", "acme-public", "2026-11-20T09:00:00Z")]
    issuer = _issuer("ClusterIssuer", "acme-public", INTERNAL)
    assert issuer_solver.judge(cert, issuer, ref, [failing], [], [], AT) is None
    status_only = [_write("ClusterIssuer", "acme-public", "2026-11-20T09:00:00Z", kind_of_change="condition")]
    assert issuer_solver.judge(cert, issuer, ref, [failing], [], status_only, AT) is None
    valid = _challenge("docs", "docs.corp.io", "acme-public", INTERNAL, "valid", "Successfully authorized domain")
    assert issuer_solver.judge(cert, issuer, ref, [valid], [], written, AT) is None
    old = _challenge("docs", "docs.corp.io", "acme-public", PUBLIC, "pending", "DNS problem: NXDOMAIN",
                     created="2026-11-19T10:00:00Z")
    assert issuer_solver.judge(cert, issuer, ref, [old], [], written, AT) is None


def test_read_follows_the_not_ready_certificate_to_its_issuer_challenges_ingresses_and_a_week_of_writes() -> None:
    objects = {("Certificate", "docs-tls"): _cert("docs", "docs-tls", "docs.corp.io", "ClusterIssuer", "acme-public"),
               ("ClusterIssuer", "acme-public"): _issuer("ClusterIssuer", "acme-public", INTERNAL),
               ("Challenge", "c1"): _challenge("docs", "docs.corp.io", "acme-public", INTERNAL, "pending", "404"),
               ("Ingress", "site"): _ingress("docs", "docs.corp.io", "traefik")}

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_changes":  # the solver was written two days ago: only the longer history shows it
            assert args["window"] == "168h"
            return outcome(True, {"window_start": "2026-11-13T12:00:00Z", "changes": [
                _write("ClusterIssuer", "acme-public", "2026-11-18T09:00:00Z")]}, evidence_id="E9")
        if tool == "k8s_list":
            rows = [{"name": "c1" if args["kind"] == "Challenge" else "site"}]
            return outcome(True, {"rows": rows}, evidence_id="E5")
        return outcome(True, {}, yaml.safe_dump(objects[(args["kind"], args["name"])]), f"E-{args['name']}")

    finding = {"check": "certificate.not_ready", "object": {"kind": "Certificate", "namespace": "docs",
                                                            "name": "docs-tls"}}
    facts = Facts(at=AT, scan={"findings": [finding]}, changes={"changes": []}, changes_id="E2")
    asyncio.run(issuer_solver.read(facts, call))
    assert [(str(b.issuer), b.served_by) for b in issuer_solver.breaks(facts)] == [
        ("ClusterIssuer acme-public", "traefik")]
