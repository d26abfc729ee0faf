"""acme_client: an ACME client's own challenge settings rewritten, and the CA refusing its challenges since.

issuer_solver's class for clients that are not cert-manager. Shapes: Traefik's certificate resolver moved to an
entry point the CA cannot reach (args rollout; lego's `Unable to obtain ACME certificate for domains` with
`urn:ietf:params:acme:error:unauthorized`); Caddy's Caddyfile switched to a DNS provider (ConfigMap the timeline
says Caddy reads; certmagic's JSON `challenge failed` with `urn:ietf:params:acme:error:dns`). Twins: the same
refusal with no write, a refusal that began before the write, a write to Traefik that touches only its log level.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import acme_client
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 9, 30, 6, 0, tzinfo=UTC)
TRAEFIK = ('time="2026-09-30T05:40:12Z" level=error msg="Unable to obtain ACME certificate for domains '
           '\\"shop.example.com\\": unable to generate a certificate for the domains [shop.example.com]: error: one '
           'or more domains had a problem:\\n[shop.example.com] acme: error: 403 :: urn:ietf:params:acme:error:'
           'unauthorized :: Invalid response from http://shop.example.com/.well-known/acme-challenge/Xq9: 404" '
           'providerName=le.acme')
CADDY = ('{"level":"error","ts":1790000000,"logger":"tls.obtain","msg":"challenge failed","identifier":'
         '"api.example.org","challenge_type":"dns-01","problem":{"type":"urn:ietf:params:acme:error:dns",'
         '"detail":"No TXT record found at _acme-challenge.api.example.org"}}')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _log(pod: str, ns: str, line: str, first: datetime) -> LogEvidence:
    top = {"message": line, "example": line, "first_seen": _iso(first), "severity": "error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[], error_classes=set(),
                       previous=False)


def _change(kind: str, ns: str, name: str, diff: str, at: datetime, related: str = "") -> dict[str, Any]:
    return {"at": _iso(at), "type": "rollout" if kind != "ConfigMap" else "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": [{"kind": "Deployment", "namespace": ns, "name": related}] if related else []}


ENTRY = ("traefik args ['--certificatesresolvers.le.acme.httpchallenge.entrypoint=web'] -> "
         "['--certificatesresolvers.le.acme.httpchallenge.entrypoint=internal']")


def _traefik(diff: str = ENTRY, first: datetime = AT - timedelta(minutes=20)) -> Facts:
    facts = Facts(at=AT, changes={"changes": [_change("Deployment", "edge", "traefik", diff,
                                                      AT - timedelta(hours=5))]}, changes_id="E2")
    facts.logs = [_log("traefik-6d8f9c7b5-x2k4p", "edge", TRAEFIK, first)]
    return facts


def test_traefik_resolver_moved_to_an_unreachable_entry_point() -> None:
    [hit] = acme_client.found(_traefik())
    assert str(hit.target) == "Deployment edge/traefik" and hit.problem == "unauthorized"
    assert hit.domain == "shop.example.com"
    message = acme_client.finding(hit, AT)["message"]
    assert message.startswith("Deployment edge/traefik changed its ACME client's challenge settings")
    assert "did not find the token" in message[:400]


def test_caddy_caddyfile_switched_to_a_dns_provider() -> None:
    diff = ("data.Caddyfile 'api.example.org {\\n  reverse_proxy api:8080\\n}' -> 'api.example.org {\\n  tls {\\n"
            "    dns route53\\n  }\\n  reverse_proxy api:8080\\n}'")
    facts = Facts(at=AT, changes={"changes": [_change("ConfigMap", "web", "caddy-config", diff,
                                                      AT - timedelta(hours=2), related="caddy")]}, changes_id="E2")
    facts.logs = [_log("caddy-7c9d5b6f8-q2wzx", "web", CADDY, AT - timedelta(minutes=90))]
    [hit] = acme_client.found(facts)
    assert str(hit.target) == "ConfigMap web/caddy-config" and hit.problem == "dns"
    assert hit.domain == "api.example.org"


def test_twins_no_write_earlier_refusals_and_an_unrelated_write() -> None:
    no_write = _traefik()
    no_write.changes = {"changes": []}
    assert acme_client.found(no_write) == []
    assert acme_client.found(_traefik(first=AT - timedelta(hours=9))) == []
    log_level = "traefik args ['--log.level=INFO'] -> ['--log.level=DEBUG']"
    assert acme_client.found(_traefik(diff=log_level)) == []


def test_the_rewritten_client_tops_the_ranking() -> None:
    from agent.incident import from_text
    from agent.triage import rank, subject_of
    from agent.triage.facts import Ref

    facts = _traefik()
    facts.scan, facts.scan_id = {"findings": []}, "E1"
    best = rank(subject_of(from_text("certificate for shop.example.com was not renewed, browsers see an expired "
                                     "certificate")), facts)[0]
    assert best.ref == Ref("Deployment", "edge", "traefik") and "ACME" in best.cause[:200]
