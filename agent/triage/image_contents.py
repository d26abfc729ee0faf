"""What a new image's CONTENTS change, said back when its errors begin with the rollout.

An image revision changes more than the code: the base image decides which files exist and which user the
process runs as. Two such changes fail in their own recognisable way right after the rollout, and the errors
never name the image:

- **No CA bundle.** An image rebuilt `FROM scratch` (or a distroless/static base, or a slim base without the
  `ca-certificates` package) has no `/etc/ssl/certs`; every TLS call to a PUBLIC endpoint then fails
  verification in the TLS library's words — Go `x509: certificate signed by unknown authority`, Java `PKIX path
  building failed`, Python `CERTIFICATE_VERIFY_FAILED ... unable to get local issuer certificate`, Node
  `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, curl `(60) ... local issuer certificate`. A public endpoint's certificate
  chains to a well-known root that any CA bundle holds, so the client's missing bundle is the cause. Its twin,
  a private CA or an internal server's new certificate, is `upstream_trust`'s and `governing_settings`' (the
  trust bundle a process mounts): an internal host (`*.svc`, `*.cluster.local`, a private IP, a bare name)
  never gets this sentence.
- **A new non-root user.** An image whose Dockerfile now says `USER 65532` (distroless `nonroot`, Chainguard,
  Bitnami's 1001) starts the process without root; a volume written by the old root process stays root-owned,
  so opening its files fails `permission denied` (Go `open ...: permission denied`, Python `PermissionError:
  [Errno 13]`, Node `EACCES`, Java `AccessDeniedException`) unless the pod sets `securityContext.fsGroup` (the
  kubelet then chowns the volume to that group) or a `runAsUser` matching the owner.

Both are read from the candidate's own text (its quoted errors and the change it names), so the sentence is only
said where the text shows the image change AND the failure the new contents cause; the UID is quoted when the
text carries it (a start-up line's `uid`, `runAsUser`, `USER`).
"""

from __future__ import annotations

import ipaddress
import re

from agent.triage.tls_words import NO_TRUSTED_ROOT

IMAGE_CHANGED = re.compile(r"\bimage\s+(?P<old>[^\s,;()]+?)\s*(?:->|→)\s*(?P<new>[^\s,;()]+)", re.I)
"""A change summary's image diff ("<container> image repo:1.2 -> repo:1.3", mcp_servers/kubernetes/reads.py)."""

TRUST_ERROR = NO_TRUSTED_ROOT
"""A TLS client's 'no trusted root for this chain', in Go, Java, Python/OpenSSL, Node and curl words (the one
table, tls_words; curl's `(60) SSL certificate problem:` is read by the reason after it)."""

NOT_TRUST = re.compile(
    r"self[- ]signed certificate|certificate has expired|certificate is valid for|not valid for any names|"
    r"Hostname mismatch|doesn't match|certificate is not yet valid", re.I)
"""A server-side certificate problem (its own self-signed cert, expiry, wrong name): not the client's bundle. Not
tls_words' EXPIRY / NAME_MISMATCH: this vetoes the whole candidate text, so it keeps only words that speak of a
certificate (theirs take 'does not match', 'has expired' on a line already known to be a TLS error)."""

HOSTS = re.compile(
    r"https?://(?P<url>[A-Za-z0-9.-]+)|host='(?P<py>[A-Za-z0-9.-]+)'|upstream_host=(?P<kv>[A-Za-z0-9.-]+)|"
    r"\b(?:Post|Get|Put|Dial|dial tcp|connect to) \\?\"?(?P<go>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?", re.I)
"""Where a TLS call went: a URL, Python urllib3's host='...', a log's upstream_host=, Go's verb + host."""

INTERNAL_SUFFIX = re.compile(
    r"(?:\.svc|\.cluster\.local|\.local|\.internal|\.lan|\.corp|\.intranet|\.home\.arpa|\.localdomain|"
    r"\.consul|\.example)$", re.I)
"""Names that resolve only inside a cluster or an organisation (RFC 6762/8375, Kubernetes, Consul)."""

DENIED = re.compile(
    r"(?:open|mkdir|create|stat|write|rename|remove|chmod|openat)\s+(?P<go>/[^\s:'\"]+):\s*permission denied|"
    r"PermissionError: \[Errno 13\] Permission denied: '(?P<py>/[^']+)'|"
    r"EACCES: permission denied,\s*\w+\s+'(?P<node>/[^']+)'|"
    r"AccessDeniedException:\s*(?P<java>/\S+)|"
    r"(?P<c>/[\w./-]+):\s*Permission denied", re.I)
"""A file under an absolute path the process may not open, in Go, Python, Node, Java and C/shell words."""

SYSTEM_PATHS = re.compile(r"^/(?:proc|sys|dev|etc|run/secrets|var/run/secrets|root)\b")
"""Paths an unprivileged user is never meant to write, whatever the volume: not a volume-ownership question."""

UID = re.compile(
    r"(?:\buid\"?\s*[=:]\s*\"?|runAsUser\"?\s*[=:]\s*\"?|\bUSER\s+|user\s+id\s+)(?P<uid>\d{1,10})\b", re.I)
"""The process's user id where the text says it (a start-up log's uid, a securityContext, a Dockerfile USER)."""

OWNERSHIP_SET = re.compile(r"\bfsGroup\b|fsGroupChangePolicy|runAsUser\s*[=:]\s*\"?0\b", re.I)
"""Text that already speaks of the volume's group or a root user: the non-root sentence would be a guess."""


def _internal(host: str) -> bool:
    """A host only a cluster or an organisation resolves: a bare name, an internal suffix or a private IP."""
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or bool(INTERNAL_SUFFIX.search(host))
    return address.is_private or address.is_loopback or address.is_link_local


def public_hosts(text: str) -> list[str]:
    """The hosts `text`'s TLS calls went to, when every one of them is public; empty if any is internal."""
    hosts = [next(g for g in m.groups() if g) for m in HOSTS.finditer(text)]
    hosts = list(dict.fromkeys(h.rstrip(".").lower() for h in hosts if h))
    if not hosts or any(_internal(h) for h in hosts):
        return []
    return hosts


def image_changed(text: str) -> bool:
    """Whether the text names a change of some container's image to another one."""
    return any(m.group("old") != m.group("new") for m in IMAGE_CHANGED.finditer(text))


def missing_ca_bundle(text: str) -> str:
    """The sentence for a new image whose TLS calls to public endpoints fail verification, or ""."""
    if not image_changed(text) or TRUST_ERROR.search(text) is None or NOT_TRUST.search(text):
        return ""
    hosts = public_hosts(text)
    if not hosts:
        return ""
    return (f"the new image lacks the CA certificates bundle (/etc/ssl/certs): its TLS calls to the public "
            f"endpoint {hosts[0]}, whose certificate chains to a well-known root, fail x509 'unknown authority' "
            "verification from the rollout on, the sign of an image rebuilt FROM scratch or a distroless/slim "
            "base without the ca-certificates package; roll back, or copy the CA bundle into the image")


def non_root_volume(text: str) -> str:
    """The sentence for a new image whose process may no longer write the files on its volume, or ""."""
    if not image_changed(text) or OWNERSHIP_SET.search(text):
        return ""
    denied = DENIED.search(text)
    if denied is None:
        return ""
    path = next(g for g in denied.groups() if g)
    if SYSTEM_PATHS.match(path):
        return ""
    uid = UID.search(text)
    user = f"non-root UID {uid.group('uid')}" if uid and uid.group("uid") != "0" else "a non-root user"
    return (f"permission denied on {path} right after the image changed: the new image runs as {user} and the "
            "pod sets no fsGroup/runAsUser, so the root-owned volume the old image wrote is not writable; set "
            "securityContext.fsGroup to the image's group (or chown the volume), or roll back")


def meanings(text: str) -> list[str]:
    """Every sentence `text` supports, in the order above."""
    return [s for s in (missing_ca_bundle(text), non_root_volume(text)) if s]
