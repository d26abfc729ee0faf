"""A load balancer's TLS policy raised to a protocol floor: clients that cannot negotiate it are cut at the handshake.

A TLS listener of a cloud load balancer negotiates with the policy its Service (or Ingress) names: AWS
`aws-load-balancer-ssl-negotiation-policy` (`ELBSecurityPolicy-TLS13-1-3-2021-06`: TLS 1.3 only;
`ELBSecurityPolicy-TLS13-1-2-2021-06` or `...-TLS-1-2-Ext-2018-06`: 1.2 and up), the AWS Load Balancer
Controller's `ssl-policy`, Alibaba's `tls-cipher-policy` (`tls_cipher_policy_1_2_strict`), a `min-tls-version`
style key. When the floor rises, the clients that speak only an older protocol (old device firmware, old runtimes,
embedded terminals) fail the TLS handshake AT the load balancer: their requests never reach the pods, which stay
healthy and see only the newer clients, so traffic drops rather than errors. The floor is read from the policy's
own name; a policy whose name states no version (`ELBSecurityPolicy-2016-08`, which admits TLS 1.0) says nothing.
agent.triage.lb_healthcheck names the change and adds this sentence to what it breaks.
"""

from __future__ import annotations

import re

_POLICY_KEY = re.compile(r"ssl-?negotiation-?policy|ssl-?policy|tls-?(?:cipher-?)?policy|min-?tls|tls-?min|"
                         r"ssl-?protocols?|tls-?versions?", re.I)
"""An annotation key naming a TLS listener's negotiation policy or its lowest protocol."""
_FLOOR = re.compile(r"TLS(?:13)?v?[-_ ]?1[-_.]([0-3])(?!\d)|policy[-_]1[-_.]([0-3])(?!\d)|^1\.([0-3])$", re.I)
"""The lowest protocol a policy's name states (`TLS13-1-3`, `TLS-1-2-Ext`, `TLSv1.2`, `policy_1_2_strict`)."""


def floor(key: str, value: str) -> str:
    """The lowest TLS version (`1.3`) a changed TLS policy setting admits, "" when the key is no TLS policy or its
    value states no version."""
    if not _POLICY_KEY.search(key.rsplit("/", 1)[-1]):
        return ""
    found = _FLOOR.search(value.strip())
    if found is None:
        return ""
    return "1." + next(g for g in found.groups() if g is not None)


def problems(values: dict[str, str]) -> list[str]:
    """The handshake sentence when a changed setting raises the listener's TLS floor to 1.2 or above."""
    for key, value in values.items():
        version = floor(key, value)
        if version and version >= "1.2":
            only = "only" if version == "1.3" else "and later only"
            return [f"the TLS listener now admits TLS {version} {only}: clients that speak at most TLS "
                    f"1.{int(version[-1]) - 1} (older "
                    f"device firmware, runtimes, libraries) fail the TLS handshake at the load balancer and never "
                    f"reach the pods, which see only newer clients; restore a policy those clients negotiate"]
    return []
