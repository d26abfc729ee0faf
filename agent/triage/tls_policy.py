"""A TLS policy raised on a server, gateway or mesh, and the clients that cannot meet it now fail the handshake.

Servers and proxies carry a TLS policy of their own: the lowest protocol version they accept (Envoy Gateway
ClientTrafficPolicy `tls.minVersion`, Istio/Envoy `minProtocolVersion` / `tls_minimum_protocol_version`, Traefik
TLSOption `minVersion: VersionTLS13`, ingress-nginx's `ssl-protocols`, HAProxy's `ssl-min-ver`, a Go server's
`tls-min-version`), the cipher suites they offer (`cipherSuites`, `ssl-ciphers`), and whether they demand a client
certificate (Istio PeerAuthentication `mtls.mode: STRICT`, `auth-tls-verify-client`). Raising one is invisible on
the server (it keeps serving the clients that can) and breaks the old ones: a Java 8 batch job, an OpenSSL 1.0
script, an embedded device. They fail before any HTTP is spoken, in their TLS library's own words:

- version: Java `Received fatal alert: protocol_version`, OpenSSL `tlsv1 alert protocol version` /
  `unsupported protocol` / `no protocols available`, Go `tls: protocol version not supported`, Python
  `TLSV1_ALERT_PROTOCOL_VERSION`, .NET `do not possess a common algorithm`;
- cipher: Java `Received fatal alert: handshake_failure`, OpenSSL `sslv3 alert handshake failure` / `no shared
  cipher`, Go `no cipher suite supported by both client and server`;
- client certificate: `certificate required`, `peer did not return a certificate`.

The suspect is the policy write, made before the refusals, whose changed field governs what the refusal names
(a minimum version for a version alert; a version or cipher change for a handshake_failure, which some stacks
send for either; a client-certificate mode for a missing certificate), and that did not lower the bar (a write
from 1.3 to 1.2 widens: not it). Refusals already in the logs before the write rule it out. Pure: reads the
survey's logs, scan findings and change timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time

CHECK = "change.tls_policy_raised"
WEIGHT = 0.93
"""A policy write whose field is exactly what the clients' TLS library refuses: above the failing client's own
symptoms (a failed Job, a crash-looping caller), which it explains."""
LEAD = timedelta(hours=24)
"""How far before the first refusal the write may lie: a nightly job meets a policy raised the evening before."""

REFUSALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Java/JSSE `protocol_version`, `No appropriate protocol`, `... is not accepted by client preferences`,
    # `Client requested protocol TLSv1.1 is not enabled or supported in server context`; OpenSSL and Node
    # (`ERR_SSL_NO_PROTOCOLS_AVAILABLE`), BoringSSL/Envoy (`OPENSSL_internal:UNSUPPORTED_PROTOCOL`), Go, Python,
    # rustls (`received fatal alert: ProtocolVersion`), .NET (`sent a TLS alert: 'ProtocolVersion'`).
    ("version", re.compile(r"protocol_version|alert protocol version|unsupported[ _]protocol|"
                           r"no[ _]protocols[ _]available|protocol version not supported|"
                           r"client offered only unsupported versions|ALERT_PROTOCOL_VERSION|"
                           r"do not possess a common algorithm|wrong[ _]version[ _]number|"
                           r"No appropriate protocol|is not accepted by client preferences|"
                           r"requested protocol \S+ is not enabled or supported|"
                           r"alert[:\s(]*'?ProtocolVersion", re.I)),
    # Java `handshake_failure` / `no cipher suites in common`, OpenSSL `sslv3 alert handshake failure` / `no shared
    # cipher`, BoringSSL/Envoy and Node `NO_SHARED_CIPHER`, Go, rustls `HandshakeFailure` / `no ciphersuites in
    # common`, .NET `'HandshakeFailure'`.
    ("cipher", re.compile(r"handshake_failure|alert handshake failure|tls: handshake failure|no[ _]shared[ _]cipher|"
                          r"no cipher ?suites? (?:supported by both|in common)|ALERT_HANDSHAKE_FAILURE|"
                          r"insufficient_security|no matching cipher|alert[:\s(]*'?HandshakeFailure|"
                          r"NoCipherSuitesInCommon", re.I)),
    # Go/OpenSSL `certificate required`, BoringSSL `TLSV1_CERTIFICATE_REQUIRED` / `PEER_DID_NOT_RETURN_A_CERTIFICATE`,
    # Java server `Empty client certificate chain`, rustls `CertificateRequired` / `peer sent no certificates`.
    ("client_cert", re.compile(r"certificate[ _]required|peer[ _]did[ _]not[ _]return[ _]a[ _]certificate|"
                               r"didn't provide a certificate|Empty client certificate chain|"
                               r"alert[:\s(]*'?CertificateRequired|peer sent no certificates", re.I)),
)
"""A TLS library's refusal, by what the server refused: the protocol version, the ciphers, a missing client cert."""

FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a minimum (Envoy/Istio, Traefik `minVersion`, Kubernetes `--tls-min-version`, HAProxy `ssl-min-ver`, Postgres
    # `ssl_min_protocol_version`, Node `--tls-min-v1.3`) or the list allowed (nginx `ssl_protocols`, Apache
    # `SSLProtocol`, Kafka `ssl.enabled.protocols`, Spring `server.ssl.enabled-protocols`, Tomcat
    # `sslEnabledProtocols`, Redis `tls-protocols`, MySQL `tls_version`, JSSE `jdk.tls.server.protocols`,
    # `jdk.tls.disabledAlgorithms`).
    ("version", re.compile(r"min_?(?:imum_?)?(?:tls_?|protocol_?)?version|minTLSVersion|tls_?min_?version|"
                           r"tls-min-version|ssl[-_]protocols|ssl-min-ver|min_protocol|MinVersion|tls-min-v1|"
                           r"enabled[-_.]?protocols|(?:ssl|tls)[-_.]?(?:server\.|client\.)?protocols?\b|"
                           r"tls_version|disabledAlgorithms", re.I)),
    ("cipher", re.compile(r"cipher", re.I)),
    # Istio `mtls.mode`, nginx `ssl_verify_client`, Traefik `clientAuth`, Kafka `ssl.client.auth`, Spring
    # `server.ssl.client-auth`, Redis `tls-auth-clients`, Postgres pg_hba `clientcert`, Consul `verify_incoming`.
    ("client_cert", re.compile(r"mtls|peerauthentication|verify[-_]client|client_?validation|"
                               r"require_?client_?cert|client[-_.]?auth|auth[-_]clients|clientcert|"
                               r"verify[-_]incoming", re.I)),
)
"""The policy field a write changed, by what it governs."""

EXPLAINS: dict[str, set[str]] = {
    "version": {"version", "cipher"},  # some stacks answer a version they refuse with handshake_failure
    "cipher": {"cipher"},
    "client_cert": {"client_cert"},
}
"""Which refusals a changed field can cause."""

MEANING = {
    "version": "the server refused the client's TLS protocol version",
    "cipher": "client and server share no cipher suite (or version)",
    "client_cert": "the server demands a client certificate the client does not send",
}

VERSION = re.compile(r"(?:TLS|VersionTLS|TLSv|TLS_?V)?\s*(1[._]?[0-3])\b|\bTLSV?1_([0-3])\b", re.I)
DIFF_VALUES = re.compile(r"'([^']*)'\s*->\s*'([^']*)'|=\s*'([^']*)'|now '([^']*)'")


@dataclass
class Raised:
    """A TLS policy written before clients began failing the handshake with the refusal it governs."""

    policy: Ref
    change: dict[str, Any]
    governs: str
    """version, cipher or client_cert: the field's class."""
    refusal: str
    """The client's line that shows the refusal, as printed."""
    clients: list[Ref]
    """The workloads whose logs or findings show it."""
    minutes_before: int
    new_value: str
    evidence: list[str] = field(default_factory=list)


def _version(text: str) -> float | None:
    """The lowest TLS version a value names ("1.3", "VersionTLS13", "TLSv1.2 TLSv1.3", "TLSV1_2"), or None."""
    found = _versions(text)
    return min(found) if found else None


def _versions(text: str) -> set[float]:
    """Every TLS version a value names (a disabled-algorithms list names several)."""
    out = set()
    for m in VERSION.finditer(text):
        raw = (m.group(1) or f"1{m.group(2)}").replace("_", "").replace(".", "")
        if len(raw) == 2:
            out.add(float(f"{raw[0]}.{raw[1]}"))
    return out


def _values(change: dict[str, Any]) -> tuple[str, str]:
    """(old value, new value) of the change's first diff line that says one; old is "" when not printed."""
    for line in [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]:
        m = DIFF_VALUES.search(line)
        if m:
            return (m.group(1) or ""), (m.group(2) or m.group(3) or m.group(4) or "")
    return "", ""


def governs(change: dict[str, Any]) -> str:
    """The class of TLS policy field the change wrote ("" when none): the diff's field path decides."""
    text = " ".join(str(d) for d in change.get("diff") or []) + " " + str(change.get("summary") or "")
    if not re.search(r"tls|ssl|cipher|mtls|peerauthentication|certificate", text, re.I):
        return ""
    return next((name for name, pattern in FIELDS if pattern.search(text)), "")


def widened(kind: str, old: str, new: str, disables: bool = False) -> bool:
    """Whether the write lowered the bar (a smaller minimum version, mTLS relaxed): then it cannot refuse more.
    `disables`: the field lists the versions refused (JSSE `jdk.tls.disabledAlgorithms`), so a version added to it
    raises the bar."""
    if kind == "version" and disables:
        return not (_versions(new) - _versions(old))
    if kind == "version":
        before, after = _version(old), _version(new)
        return after is None or (before is not None and after <= before)
    if kind == "client_cert":  # Istio PERMISSIVE/DISABLE, nginx off/optional, Spring want/none, Kafka requested/none
        return bool(re.search(r"PERMISSIVE|DISABLE|\boff\b|optional|\bwant\b|\bnone\b|\brequested\b", new, re.I)) \
            or new.lower() in ("false", "no")
    return False


def refusal(text: str) -> str:
    """The class of TLS refusal a line shows ("" when none)."""
    return next((name for name, pattern in REFUSALS if pattern.search(text)), "")


def _sightings(facts: Facts) -> list[tuple[str, str, Ref | None, datetime | None, str]]:
    """(refusal class, line, workload, when, evidence id) for every TLS refusal in the survey's logs and findings."""
    out: list[tuple[str, str, Ref | None, datetime | None, str]] = []
    for log in facts.logs:
        pod = Ref("Pod", log.namespace, log.pod)
        lines = [str(e.get("example") or e.get("message") or "") for e in [log.top or {}, *log.more]]
        for line in lines + list(log.last_lines):
            kind = refusal(line)
            if kind:
                out.append((kind, line.strip()[:220], pod, None, log.evidence_id))
    for finding in facts.findings():
        text = str(finding.get("message") or "") + " " + " ".join(str(e) for e in finding.get("evidence") or [])
        kind = refusal(text)
        if kind:
            owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
            m = next(p.search(text) for name, p in REFUSALS if name == kind)
            quoted = re.search(r"'([^']*" + re.escape(m.group(0)) + r"[^']*)'", text) if m else None
            out.append((kind, (quoted.group(1) if quoted else text)[:220], owner,
                        parse_time(finding.get("since")), facts.scan_id or ""))
    return out


def found(facts: Facts) -> list[Raised]:
    """TLS policy writes, newest first, whose field governs the refusals the clients' logs show after them."""
    seen = _sightings(facts)
    if not seen:
        return []
    out: list[Raised] = []
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        kind = governs(change)
        if target is None or at is None or not kind or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        old, new = _values(change)
        disables = bool(re.search(r"disabled", " ".join(str(d) for d in change.get("diff") or []), re.I))
        if widened(kind, old, new, disables):
            continue
        hits = [s for s in seen if s[0] in EXPLAINS[kind]]
        if not hits or any(when is not None and when < at for _, _, _, when, _ in hits):
            continue
        clients = sorted(dict.fromkeys(r for _, _, r, _, _ in hits if r is not None), key=lambda r: r.kind == "Pod")
        best = min(hits, key=lambda s: (s[0] != kind, s[2] is None or s[2].kind == "Pod"))
        out.append(Raised(target, change, kind, best[1], clients, int((facts.at - at).total_seconds() // 60), new,
                          [e for e in (evidence, *(s[4] for s in hits)) if e]))
    out.sort(key=lambda r: r.minutes_before)
    return out[:1]


def finding(r: Raised) -> dict[str, Any]:
    """The policy, the field and value it now holds, what that refuses, and the client's own words."""
    diff = "; ".join(str(d) for d in (r.change.get("diff") or [])[:2])[:200]
    what = {"version": "raised the minimum TLS version", "cipher": "narrowed the TLS cipher suites",
            "client_cert": "made client certificates (mTLS) mandatory"}[r.governs]
    value = f" to {r.new_value}" if r.new_value and r.governs == "version" else ""
    version = _version(r.new_value) if r.governs == "version" else None
    tls = f"TLS {version:.1f}" if version else "the new policy"
    clients = ", ".join(str(c) for c in r.clients[:2]) or "its clients"
    message = (f"{r.policy} {what}{value} ({diff}), {minutes_text(r.minutes_before)} before the incident: clients "
               f"that cannot negotiate {tls} now fail the TLS handshake: {clients} logs '{r.refusal}' "
               f"({MEANING[refusal(r.refusal) or r.governs]}). Restore the previous policy for these clients or "
               f"upgrade their TLS stack")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "TLSPolicyRaised",
            "message": message, "evidence": [r.refusal[:200], diff],
            "details": {"governs": r.governs, "value": r.new_value, "clients": [str(c) for c in r.clients],
                        "change_at": r.change.get("at")}}
