"""A TLS client refusing a certificate that does not cover the name it dialled: the Certificate is the cause.

Every TLS stack says it in its own words: Go `x509: certificate is valid for A, B, not C`, Java `No
subject alternative DNS name matching C found`, OpenSSL/Python `Hostname mismatch, certificate is not
valid for 'C'`, curl `no alternative certificate subject name matches target host name 'C'`, Node.js
`ERR_TLS_CERT_ALTNAME_INVALID ... Host: C. is not in the cert's altnames: DNS:A`, rustls `certificate
not valid for name "C"`. The server is healthy and the client is right to refuse: the names in the
certificate are what changed, and with cert-manager they come from a Certificate's `spec.dnsNames`
(re-issued at once when that list is edited).

The survey follows the name: the Service C names, the Secrets its pods mount, the cert-manager
Certificates of that namespace (k8s_get YAML), and the one whose `spec.secretName` is a mounted
Secret. Its dnsNames not covering C makes it the suspect, naming the missing SAN. Without
cert-manager, the mounted Secret is named instead (its values are never read).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.pointers import Call, Suspect, log_texts, meta, objects, service_of
from agent.triage.subject import workload_of_pod

CHECK = "certificate.name_mismatch"
WEIGHT = 0.9
SECRET_CHECK = "certificate.secret_name_mismatch"
SECRET_WEIGHT = 0.8
MAX_CERTIFICATES = 6

_NAME = r"(?:\*\.)?[\w-]+(?:\.[\w-]+)*"
_MISMATCH: list[tuple[re.Pattern[str], int | None, int | None]] = [
    # (pattern, group of the name dialled, group of the names the certificate holds)
    (re.compile(rf"certificate is valid for ((?:{_NAME}(?:, )?)+), not ({_NAME})"), 2, 1),      # Go crypto/x509
    (re.compile(rf"certificate is not valid for any names, but wanted to match ({_NAME})"), 1, None),
    (re.compile(rf"No subject alternative DNS name matching ({_NAME}) found"), 1, None),          # Java JSSE
    (re.compile(rf"No name matching ({_NAME}) found"), 1, None),
    (re.compile(rf"[Hh]ostname mismatch, certificate is not valid for '({_NAME})'"), 1, None),  # Python/OpenSSL
    (re.compile(rf"hostname '({_NAME})' doesn't match ((?:'?{_NAME}'?(?:,? (?:or )?)?)+)"), 1, 2),
    (re.compile(rf"subject name matches target host name '({_NAME})'"), 1, None),             # curl
    (re.compile(rf"Host: ({_NAME}?)\.? is not in the cert's altnames: ((?:DNS:{_NAME}(?:, )?)+)"), 1, 2),  # Node
    (re.compile(rf"certificate not valid for name \"({_NAME})\""), 1, None),                   # rustls
    (re.compile(r"ERR_TLS_CERT_ALTNAME_INVALID|RemoteCertificateNameMismatch|hostname mismatch|"
                r"NotValidForName|SSLPeerUnverifiedException: Hostname", re.I), None, None),
]
"""The TLS stacks' own wordings of "this certificate does not cover the name I dialled"."""


@dataclass
class Mismatch:
    log: LogEvidence
    wanted: str
    valid: list[str]
    said: str


@dataclass
class Uncovered:
    mismatch: Mismatch
    server: Ref
    secret: Ref
    mount: str
    certificate: Ref | None
    dns_names: list[str]
    evidence: list[str] = field(default_factory=list)


def mismatches(facts: Facts) -> list[Mismatch]:
    """Each log whose TLS errors say the certificate does not cover the name dialled."""
    out: list[Mismatch] = []
    for log in facts.logs:
        for text in log_texts(log):
            for pattern, want, valid in _MISMATCH:
                m = pattern.search(text)
                if m is None:
                    continue
                wanted = m.group(want) if want else _dialled(log)
                if not wanted:
                    continue
                names = re.findall(_NAME, m.group(valid).replace("DNS:", "")) if valid else []
                out.append(Mismatch(log, wanted.lower().rstrip("."), [n.lower() for n in names],
                                    " ".join(text.split())[:220]))
                break
            if out and out[-1].log is log:
                break
    return out


def _dialled(log: LogEvidence) -> str:
    """The host a TLS error without its own name was dialling (the log facts' upstream host)."""
    for error in [log.top or {}, *log.more]:
        host = (error.get("fields") or {}).get("upstream_host")
        if host:
            return str(host)
    return log.hosts[0] if log.hosts else ""


def covers(names: list[str], host: str) -> bool:
    """Whether a certificate's DNS names cover a host (a wildcard covers exactly one leftmost label)."""
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host or (name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]):
            return True
    return False


def _server(facts: Facts, m: Mismatch) -> tuple[Ref, list[tuple[Ref, str]]] | None:
    """The workload behind the Service the client dialled, with the Secrets its pods mount as volumes."""
    target = service_of(m.wanted, m.log.namespace)
    if target is None:
        return None
    name, namespace = target
    for data, _ in facts.topologies:
        services = [Ref.of(s) for s in data.get("services") or []]
        subject = Ref.of(data.get("subject"))
        if subject is None or not any(s is not None and s.name == name and s.namespace in ("", namespace)
                                      for s in services):
            continue
        mounted = [(r, str(s.get("via"))) for s in data.get("secrets") or [] if isinstance(s, dict)
                   and (r := Ref.of(s.get("secret"))) is not None and str(s.get("via") or "").startswith("volume")]
        return subject, mounted
    return None


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the dialled Service's topology when not read yet, then its namespace's Certificates."""
    found = mismatches(facts)
    if not found:
        return
    m = found[0]
    target = service_of(m.wanted, m.log.namespace)
    if target is None:
        return
    if _server(facts, m) is None:
        outcome = await call("k8s_topology", {"name": target[0], "namespace": target[1]}, f"survey-tls-{target[0]}")
        if outcome is not None and outcome.ok and outcome.data:
            facts.topologies.append((outcome.data, outcome.evidence_id))
    listed = await list_names(call, "certificates", target[1], f"survey-certificates-{target[1]}")
    if listed is None:
        return
    got = await asyncio.gather(*(get_yaml(call, "certificates", n, target[1], f"survey-certificate-{n}")
                                 for n in sorted(listed[0])[:MAX_CERTIFICATES]))
    facts.objects += [g for g in got if g is not None]


def uncovered(facts: Facts) -> list[Uncovered]:
    """The Certificate (or, without one, the Secret) serving a name its certificate does not cover."""
    out: list[Uncovered] = []
    for m in mismatches(facts):
        server = _server(facts, m)
        if server is None or not server[1]:
            continue
        workload, mounted = server
        certificates = [(o, e) for o, e in objects(facts, "Certificate")
                        if str(o.get("apiVersion") or "").startswith("cert-manager.io/")]
        for secret, via in mounted:
            cert = next(((o, e) for o, e in certificates if meta(o).get("namespace") == secret.namespace
                         and (o.get("spec") or {}).get("secretName") == secret.name), None)
            if cert is None:
                if m.valid and not covers(m.valid, m.wanted) and "tls" in f"{secret.name} {via}".lower():
                    out.append(Uncovered(m, workload, secret, via, None, m.valid, [m.log.evidence_id]))
                    break
                continue
            spec = cert[0].get("spec") or {}
            names = [str(n) for n in spec.get("dnsNames") or []]
            if covers(names, m.wanted):
                continue
            ref = Ref("Certificate", str(meta(cert[0]).get("namespace")), str(meta(cert[0]).get("name")))
            out.append(Uncovered(m, workload, secret, via, ref, names, [cert[1], m.log.evidence_id]))
            break
        if out:
            break
    return out


def finding(u: Uncovered) -> dict[str, Any]:
    """The finding on the Certificate (or Secret): the facts first, the client's words as evidence."""
    m = u.mismatch
    client = workload_of_pod(m.log.pod)
    names = ", ".join(u.dns_names) or "none"
    if u.certificate is not None:
        message = (f"{u.certificate} (cert-manager) issues Secret {u.secret.name}, which {u.server} serves "
                   f"({u.mount}); its spec.dnsNames [{names}] lack {m.wanted}, the name {client} dials: x509 "
                   f"verification fails. Fix: add {m.wanted} to spec.dnsNames")
        check, ref = CHECK, u.certificate
    else:
        message = (f"Secret {u.secret} holds the certificate {u.server} serves ({u.mount}); it is valid for "
                   f"[{names}], not {m.wanted}, the name {client} dials, so x509 verification fails. Fix: re-issue it "
                   f"with {m.wanted} among its subject alternative names, or have clients dial a name it covers")
        check, ref = SECRET_CHECK, u.secret
    return {"check": check, "severity": "critical",
            "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
            "reason": "CertificateNameMismatch", "message": message, "evidence": [m.said],
            "details": {"dns_names": u.dns_names, "missing_name": m.wanted, "secret": u.secret.name,
                        "client": client}}


def suspects(facts: Facts) -> list[Suspect]:
    return [Suspect(u.certificate or u.secret, finding(u), u.mismatch.log, list(dict.fromkeys(u.evidence)))
            for u in uncovered(facts)]
