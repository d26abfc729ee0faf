"""What an access annotation written onto an Ingress does: who the controller now refuses, and with which answer.

An Ingress's annotations are controller configuration. A handful of them decide who may reach the host at all:
a source-address allow-list (ingress-nginx `whitelist-source-range` / `allowlist-source-range`, HAProxy's
`allow-list`, Traefik v1's `whitelist-source-range`), a deny-list, or an external/basic authentication gate. When
one is copied onto a public host (from an internal admin Ingress, by a sync or a hand edit), the backend looks
healthy and every outside client gets the controller's refusal: ingress-nginx logs `access forbidden by rule` and
answers 403, an auth gate answers 401. The write is only a timeline entry "annotation X written"; this module
reads the annotation's documented meaning and its current value (which CIDRs, private or public) so the finding
says what the change means, not merely that it happened.

An annotation that does not restrict (a body size, a timeout), an allow-list that admits everyone (`0.0.0.0/0`),
or a removed restriction (no current value) has no refusal meaning here: None, and the caller keeps its generic
wording. `meaning` is pure.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

CHECK = "change.ingress_access_restricted"
WEIGHT = 0.9
"""A write whose documented effect is to refuse clients, on the Ingress of the failing host: above a mere write on
the path (unverified.WEIGHT) and a not-Ready bystander, below a finding that already names the failure."""

_DIFF = re.compile(r"^metadata\.annotations\.(?P<key>\S+) .*?\(now '(?P<value>[^']*)'?\)?\s*$")


@dataclass(frozen=True)
class Gate:
    """One access annotation as its controller documents it."""

    kind: str
    """`allow` (source ranges admitted), `deny` (source ranges refused) or `auth` (credentials demanded)."""
    controller: str
    refusal: str
    """What a refused client gets, in the controller's own words."""


_GATES: dict[str, Gate] = {
    "nginx.ingress.kubernetes.io/whitelist-source-range":
        Gate("allow", "ingress-nginx", "403 Forbidden ('access forbidden by rule' in the controller's log)"),
    "nginx.ingress.kubernetes.io/allowlist-source-range":
        Gate("allow", "ingress-nginx", "403 Forbidden ('access forbidden by rule' in the controller's log)"),
    "nginx.ingress.kubernetes.io/denylist-source-range":
        Gate("deny", "ingress-nginx", "403 Forbidden ('access forbidden by rule' in the controller's log)"),
    "nginx.ingress.kubernetes.io/auth-url":
        Gate("auth", "ingress-nginx", "401 Unauthorized (or the auth service's refusal)"),
    "nginx.ingress.kubernetes.io/auth-type":
        Gate("auth", "ingress-nginx", "401 Unauthorized"),
    "haproxy.org/allow-list": Gate("allow", "HAProxy ingress", "403 Forbidden"),
    "haproxy.org/whitelist": Gate("allow", "HAProxy ingress", "403 Forbidden"),
    "haproxy.org/deny-list": Gate("deny", "HAProxy ingress", "403 Forbidden"),
    "ingress.kubernetes.io/whitelist-source-range": Gate("allow", "the ingress controller", "403 Forbidden"),
    "traefik.ingress.kubernetes.io/whitelist-source-range": Gate("allow", "Traefik", "403 Forbidden"),
    "haproxy.router.openshift.io/ip_whitelist": Gate("allow", "the OpenShift router", "a refused connection"),
    "haproxy.router.openshift.io/ip_allowlist": Gate("allow", "the OpenShift router", "a refused connection"),
}


def _networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The CIDRs of a source-range value (comma or space separated), or None when a part is not a CIDR."""
    out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for part in re.split(r"[,\s]+", value.strip()):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            return None
    return out or None


_INTERNAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                                "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128")]
"""Addresses only a private network reaches (RFC 1918, carrier-grade NAT, loopback, link-local, IPv6 ULA): not
Python's `is_private`, which also counts the documentation ranges a real allow-list may name."""


def _internal(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return any(network.version == inner.version and network.subnet_of(inner)  # type: ignore[arg-type]
               for inner in _INTERNAL)


def _allow_meaning(gate: Gate, key: str, value: str) -> str | None:
    networks = _networks(value)
    if networks is None or any(n.prefixlen == 0 for n in networks):
        return None  # unreadable, or it admits every address: nothing is refused by it
    if all(_internal(n) for n in networks):
        who = (f"an allow-list of internal CIDRs only ({value}): {gate.controller} refuses every client from "
               f"outside (the internet, partners, customers)")
    else:
        who = f"an allow-list ({value}): {gate.controller} refuses every client outside these ranges"
    return f"{key} now restricts the host to {who} with {gate.refusal} before the request reaches the backend"


def meaning(diff: Iterable[str]) -> str | None:
    """What the first access annotation written in a change's diff now does, or None when none restricts."""
    for line in diff:
        m = _DIFF.match(str(line))
        if m is None:
            continue
        key, value = m["key"], m["value"].strip()
        gate = _GATES.get(key)
        if gate is None or not value:
            continue
        if gate.kind == "allow":
            said = _allow_meaning(gate, key, value)
        elif gate.kind == "deny":
            networks = _networks(value)
            said = None if networks is None else (
                f"{key} now makes {gate.controller} refuse clients from {value} (a deny-list) with {gate.refusal}"
                + (", which is every address" if any(n.prefixlen == 0 for n in networks) else ""))
        else:
            said = (f"{key} now puts an authentication gate ({value[:80]}) in front of the host: {gate.controller} "
                    f"answers clients without the expected credentials with {gate.refusal} before the backend")
        if said:
            return said
    return None
