"""A proxy's trust in its backends' certificates changed, and it now fails to verify them (x509).

A proxy that speaks TLS to its upstream verifies the backend's certificate against a CA bundle of its own
configuration: Traefik's ServersTransport `rootCAs` (`rootCAsSecrets`), Istio's DestinationRule
`trafficPolicy.tls.caCertificates` / `credentialName`, Gateway API's BackendTLSPolicy
`validation.caCertificateRefs`, Contour's HTTPProxy `upstreamValidation.caSecret`, ingress-nginx's
`proxy-ssl-secret` / nginx's `proxy_ssl_trusted_certificate`, and the name it checks (`serverName`,
`subjectAltName(s)`, `proxy-ssl-name`). Replace the bundle by one that no longer chains to the backend's issuer
(a new root without the intermediate that signed the backend's certificate, another CA) and every request
through the proxy fails verification: the proxy logs the x509 error in its TLS library's words (Go's `x509:
certificate signed by unknown authority`, OpenSSL's `unable to get local issuer certificate` /
`certificate verify failed`, Envoy's `CERTIFICATE_VERIFY_FAILED`, nginx's `upstream SSL certificate verify
error`) and answers 500/502/503. The backend is healthy and logs nothing; the clients see the proxy's errors.

The suspect is a write in the day before to a trust field of any object (a proxy CR, an Ingress annotation, a
ConfigMap of nginx configuration) after which some read log shows a verification error toward a peer, none of
the same errors before it (errors already there rule it out), and not an expiry (`certificate has expired` is
the backend's certificate, not the trust). Pure: reads the change timeline and the survey's logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject_resolve import PROXY_IMAGES
from agent.triage.time_limit import line_time
from agent.triage.tls_words import EXPIRY, NAME_MISMATCH, UNCHAINED

CHECK = "change.upstream_trust"
WEIGHT = 0.93
"""A write to the very bundle the proxy's x509 errors fail against explains every error behind the proxy: above
the victims' symptoms and the unrelated rollouts."""
LEAD = timedelta(hours=24)
READS = "upstream_trust"
MAX_PODS = 3
TAIL = 2000
MAX_COPIES = 4
"""ConfigMaps/Secrets written in the last day read to find a distributed bundle's copies among them."""
GREP = "certific"
"""What every verification error says (certificate, certification path), case-insensitive: the proxy may log it
at debug level, where no error classifier looks, so its lines are read raw; an answer over budget condenses
them (`repeated 650x: ...`, numbers masked) and keeps the newest raw: only the raw ones are read."""

Call = Callable[..., Awaitable[Any]]

TRUST_FIELD = re.compile(
    r"rootCAs(?:Secrets)?|caCertificates?(?:Refs)?|\bcaSecret|\btrustedCA|upstreamValidation|"
    r"proxy[-_]ssl[-_](?:secret|trusted[-_]certificate|name|verify)|credentialName|subjectAltNames?|"
    r"\bserverName\b|\bwellKnownCACertificates|insecureSkipVerify|\bsni\b", re.I)
"""Fields that say which CAs a proxy trusts for its upstream, or which name it verifies."""
TRUST_KINDS = ("Bundle", "ClusterBundle", "ClusterTrustBundle")
"""Objects whose whole spec is a trust bundle that a controller copies to every client that mounts it: cert-manager
trust-manager's Bundle (its `sources` are the roots, its `target` the ConfigMaps/Secrets in selected namespaces) and
Kubernetes' ClusterTrustBundle (`trustBundle`, read through projected volumes). Any spec write to one changes what
every such client trusts, not one proxy's upstream."""


@dataclass
class Distrust:
    """A trust write and the verification errors that followed it."""

    target: Ref
    change: dict[str, Any]
    fields: list[str]
    errors: list[str]
    where: list[str]
    """`namespace/pod` of the logs that show the errors."""
    minutes_before: int
    evidence: list[str] = field(default_factory=list)
    generated: list[Ref] = field(default_factory=list)
    """The copies its controller writes (objects whose controller ownerReference is this one): they changed
    because it did, so they are its victims, never its cause."""
    public_roots_dropped: bool = False
    """A distributed bundle whose sources, read now, no longer include the public (default) CA package."""

    @property
    def mismatch(self) -> bool:
        return any(NAME_MISMATCH.search(e) for e in self.errors) and not any(UNCHAINED.search(e)
                                                                             for e in self.errors)


def _trust_lines(change: dict[str, Any]) -> list[str]:
    """The diff lines (else the summary) of a write that touch a trust field, with their values."""
    lines = [str(d) for d in change.get("diff") or [] if TRUST_FIELD.search(str(d))]
    if not lines and TRUST_FIELD.search(str(change.get("summary") or "")):
        lines = [str(change.get("summary"))]
    if not lines and distributes_trust(change):
        lines = [str(d) for d in change.get("diff") or [] if str(d).startswith(("spec.", "trustBundle"))]
    return lines


def distributes_trust(change: dict[str, Any]) -> bool:
    """Whether the write is to a trust-distribution object (TRUST_KINDS): its bundle reaches clients everywhere."""
    return str((change.get("object") or {}).get("kind") or "") in TRUST_KINDS


def _verification_errors(facts: Facts) -> list[tuple[str, datetime | None, datetime | None, str, str]]:
    """(line, first seen, last seen, namespace/pod, evidence id) of every x509 verification error of the logs read,
    expiries left out."""
    out = []
    for log in facts.logs:
        for entry in log.entries():
            text = said_by(entry)
            if not text or EXPIRY.search(text) or not (UNCHAINED.search(text) or (
                    NAME_MISMATCH.search(text) and re.search(r"x509|certificate|tls|ssl", text, re.I))):
                continue
            out.append((text, parse_time(entry.get("first_seen")), parse_time(entry.get("last_seen")),
                        f"{log.namespace}/{log.pod}", log.evidence_id))
    for pod, lines, evidence_id in (facts.reads.get(READS) or {}).get("lines") or []:
        for line in lines:
            if EXPIRY.search(line) or not (UNCHAINED.search(line) or (
                    NAME_MISMATCH.search(line) and re.search(r"x509|certificate|tls|ssl", line, re.I))):
                continue
            t = line_time(line)
            out.append((line.strip(), t, t, pod, evidence_id))
    return out


def found(facts: Facts) -> list[Distrust]:
    """Each recent trust write followed by verification errors that were not there before it (pure)."""
    errors = _verification_errors(facts)
    if not errors:
        return []
    out: list[Distrust] = []
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD or change.get("type") == "deleted":
            continue
        lines = _trust_lines(change)
        if not lines or any(d.target.same_object(target) for d in out):
            continue
        before = [e for e in errors if e[1] is not None and e[1] < at - timedelta(minutes=1)]
        after = [e for e in errors if (seen := e[2] or e[1]) is None or seen >= at]
        if before or not after:
            continue  # the errors predate the write, or none followed it
        minutes = int((facts.at - at).total_seconds() // 60)
        read: dict[str, Any] = next((r for r in (facts.reads.get(READS) or {}).get("objects") or []
                                     if (ref := Ref.of(r.get("ref"))) is not None and target.same_object(ref)), {})
        out.append(Distrust(target, change, lines, [e[0] for e in after], list(dict.fromkeys(e[3] for e in after)),
                            minutes, [x for x in dict.fromkeys([evidence, *(e[4] for e in after)]) if x],
                            [r for r in (Ref.of(g) for g in read.get("generated") or []) if r is not None],
                            bool(read) and distributes_trust(change) and not read.get("default_cas")))
    out.sort(key=lambda d: d.minutes_before)
    return out[:1]


def finding(got: Distrust) -> dict[str, Any]:
    """The finding: the trust field written and the x509 error first (the headline quotes ~400 characters)."""
    written = "; ".join(line[:120] for line in got.fields[:2])
    error = got.errors[0]
    quote = (UNCHAINED.search(error) or NAME_MISMATCH.search(error) or re.search(r"x509", error))
    said = error[max(0, quote.start() - 10): quote.end() + 30].strip() if quote else error[:100]
    if distributes_trust(got.change) and not got.mismatch:
        return _bundle_finding(got, written, said, error)
    meaning = ("the name the proxy now verifies is not in the backend's certificate" if got.mismatch else
               "the trusted CA bundle no longer chains to the backend certificate's issuer (a root without the "
               "intermediate that signed it, or another CA)")
    message = (f"{got.target} changed the proxy's upstream TLS trust ({written}) "
               f"{minutes_text(got.minutes_before)} before the incident: the proxy now fails x509 verification of "
               f"the backend's certificate: {meaning} ('{said}'), so every request through it errors (500/502) "
               f"while the backend is healthy. Restore the previous CA bundle or add the intermediate to it")
    return {"check": CHECK, "severity": "critical", "object": got.change.get("object"),
            "reason": "UpstreamTrustChanged", "message": message, "evidence": [error[:200], *got.where[:2]],
            "details": {"fields": got.fields[:4], "change_at": got.change.get("at"), "seen_in": got.where[:4]}}


def _bundle_finding(got: Distrust, written: str, said: str, error: str) -> dict[str, Any]:
    """A distributed trust bundle's write: every client that mounts its copies now fails to verify its servers."""
    where = ", ".join(got.where[:3])
    copies = f" (copied into {', '.join(str(g) for g in got.generated[:2])})" if got.generated else ""
    if got.public_roots_dropped:
        message = (f"{got.target} (the trust bundle distributed to its clients{copies}) was written ({written}) "
                   f"{minutes_text(got.minutes_before)} before the incident and its sources now hold only private "
                   "CAs: no public root is left (trust-manager's useDefaultCAs source or defaultCAs, the default "
                   "package of public root CAs, is gone). A client that trusts only this bundle (REQUESTS_CA_BUNDLE, "
                   "SSL_CERT_FILE, a mounted ca.crt or truststore) now fails to verify every public endpoint "
                   f"('{said}' in {where}) while internal servers signed by the listed CAs still verify. Add the "
                   "default CAs back to the bundle's sources (useDefaultCAs: true)")
        return {"check": CHECK, "severity": "critical", "object": got.change.get("object"),
                "reason": "TrustBundlePublicRootsDropped", "message": message,
                "evidence": [error[:200], *got.where[:2]],
                "details": {"fields": got.fields[:4], "change_at": got.change.get("at"), "seen_in": got.where[:4],
                            "explains": [str(g) for g in got.generated]}}
    message = (f"{got.target} (the trust bundle distributed to its clients) was written ({written}) "
               f"{minutes_text(got.minutes_before)} before the incident, and its clients now fail to verify their "
               f"servers ('{said}' in {where}): the bundle no longer carries the root CA the servers' certificates "
               f"chain to (an old root removed before every serving certificate was re-issued from the new one, "
               f"or the sources replaced). Put the removed root CA back until the servers' certificates chain to "
               f"the new root")
    return {"check": CHECK, "severity": "critical", "object": got.change.get("object"),
            "reason": "TrustBundleChanged", "message": message, "evidence": [error[:200], *got.where[:2]],
            "details": {"fields": got.fields[:4], "change_at": got.change.get("at"), "seen_in": got.where[:4]}}


# ---- reading ------------------------------------------------------------------------------------------


def _trust_writes(facts: Facts) -> list[Ref]:
    """The objects whose trust fields a write of the last day touched."""
    out: list[Ref] = []
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is not None and at is not None and timedelta(0) <= facts.at - at <= LEAD and _trust_lines(change) \
                and not any(t.same_object(target) for t in out):
            out.append(target)
    return out


def default_cas(spec: dict[str, Any]) -> bool:
    """Whether a distributed bundle's spec includes the public (default) CA package: trust-manager's Bundle
    `sources: [{useDefaultCAs: true}]`, its ClusterBundle's `defaultCAs` (any provider), Kubernetes'
    ClusterTrustBundle holds only what it lists (never a default package)."""
    if any(isinstance(src, dict) and src.get("useDefaultCAs") is True for src in spec.get("sources") or []):
        return True
    defaults = spec.get("defaultCAs")
    return isinstance(defaults, dict) and bool(defaults.get("provider"))


def _generated(facts: Facts, owner: Ref, objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Of the objects read, those whose controller ownerReference is `owner`: the copies its controller writes."""
    out = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        if any(isinstance(o, dict) and o.get("controller") and o.get("kind") == owner.kind and o.get("name") ==
               owner.name for o in meta.get("ownerReferences") or []):
            out.append({"kind": str(obj.get("kind") or ""), "namespace": str(meta.get("namespace") or ""),
                        "name": str(meta.get("name"))})
    return out


async def _read_bundles(facts: Facts, call: Call, targets: list[Ref]) -> None:
    """A distributed bundle's current spec (does it still include the default CAs?) and, of the ConfigMaps and
    Secrets written in the last day, the copies its controller wrote (their controller ownerReference)."""
    bundles = [t for t in targets if t.kind in TRUST_KINDS]
    if not bundles:
        return
    written: list[Ref] = []
    for change, _ in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is not None and at is not None and ref.kind in ("ConfigMap", "Secret") and \
                timedelta(0) <= facts.at - at <= LEAD and not any(w.same_object(ref) for w in written):
            written.append(ref)
    copies = []
    for ref in written[:MAX_COPIES]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-upstream-trust-copy-{ref.name}")
        if got is not None:
            copies.append(got[0])
    store = facts.reads.setdefault(READS, {})
    for bundle in bundles:
        got = await get_yaml(call, bundle.kind, bundle.name, bundle.namespace, f"survey-upstream-trust-{bundle.name}")
        if got is None:
            continue
        store.setdefault("objects", []).append({
            "ref": {"kind": bundle.kind, "namespace": bundle.namespace, "name": bundle.name},
            "default_cas": bundle.kind == "ClusterTrustBundle" or default_cas(got[0].get("spec") or {}),
            "generated": _generated(facts, bundle, copies)})


async def read(facts: Facts, call: Call) -> None:
    """Reading only: when a trust field was written in the last day, the verification lines (grep `certific`) of
    the cluster's proxy pods and of the pods beside the written object (a sidecar's DestinationRule)."""
    targets = _trust_writes(facts)
    if not targets:
        return
    await _read_bundles(facts, call, targets)
    listed = await call("k8s_list", {"kind": "pods"}, "survey-upstream-trust-pods")
    rows = [r for r in (listed.data or {}).get("rows") or [] if isinstance(r, dict)] \
        if listed is not None and listed.ok and isinstance(listed.data, dict) else []
    proxies = [r for r in rows if str(r.get("status")) == "Running"
               and any(p in " ".join(str(i) for i in r.get("images") or []).lower() for p in PROXY_IMAGES)]
    beside = [r for r in rows if str(r.get("status")) == "Running"
              and any(str(r.get("namespace")) == t.namespace for t in targets)]
    chosen: list[dict[str, Any]] = []
    for row in [*proxies, *beside]:
        if row not in chosen and len(chosen) < MAX_PODS:
            chosen.append(row)
    store = facts.reads.setdefault(READS, {})
    for row in chosen:
        ns, name = str(row.get("namespace") or ""), str(row.get("name"))
        got = await call("k8s_logs", {"name": name, "namespace": ns, "tail": TAIL, "grep": GREP},
                         f"survey-upstream-trust-logs-{name}")
        if got is None or not got.ok:
            continue
        text = str(getattr(got, "full_text", "") or got.text or "")
        lines = [ln for ln in text.splitlines() if GREP in ln.lower() and not ln.startswith("repeated ")]
        store.setdefault("lines", []).append((f"{ns}/{name}", lines, str(got.evidence_id)))
