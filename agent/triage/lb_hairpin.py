"""Client IP preservation switched on for an internal load balancer: in-cluster callers hairpin and time out.

A network load balancer that preserves the client's source IP (AWS NLB target-group attribute
`preserve_client_ip.enabled=true`, OCI network load balancer `is-preserve-source: "true"`, ...)
hands the target a packet whose source is the caller's own address. When the caller runs inside
the cluster (the load balancer is internal, so its clients are in the VPC) and the load balancer
picks a target on the same node as the caller, the target answers its own node directly: the
reply never passes back through the load balancer, the caller drops it, and the connection hangs
until it times out. Only calls that land on a same-node target fail, so the failures are partial
and look random; the backends are healthy. This module reads that pair (preservation on, internal
scheme) from the Service's annotations, in the words of several clouds; agent.triage.lb_healthcheck
names the change and adds this sentence to what it breaks.
"""

from __future__ import annotations

import re

_PRESERVE_KEY = re.compile(r"preserve[_-]?(?:client[_-]?ip|source)", re.I)
"""An annotation whose own name is the switch (OCI `is-preserve-source`, `...preserve-client-ip`)."""
_PRESERVE_ATTR = re.compile(r"preserve[_-]?client[_-]?ip(?:\.enabled)?\s*[=:]\s*\"?true", re.I)
"""The switch inside an attribute list (AWS `target-group-attributes: preserve_client_ip.enabled=true,...`)."""
_ON = ("true", "1", "yes", "on", "enabled")


def preserves_client_ip(values: dict[str, str]) -> str:
    """The `key=value` that switches client IP preservation on among the changed settings ("" when none)."""
    for key, value in values.items():
        short = key.rsplit("/", 1)[-1]
        if _PRESERVE_KEY.search(short) and value.strip().lower() in _ON:
            return f"{short}={value}"
        found = _PRESERVE_ATTR.search(value)
        if found:
            return found.group(0).replace('"', "")
    return ""


def internal(annotations: dict[str, str]) -> bool:
    """Whether the Service's load balancer is internal (its clients are inside the network), in any cloud's words:
    `*-internal: "true"` (AWS legacy, Azure, OCI), `*-scheme: internal` (AWS), `*load-balancer-type: Internal`
    (GKE)."""
    for key, value in annotations.items():
        short, text = str(key).rsplit("/", 1)[-1].lower(), str(value).strip().lower()
        if short.endswith("internal") and (text in _ON or "/" in text):
            return True
        if (short.endswith("scheme") or short.endswith("load-balancer-type")) and text == "internal":
            return True
    return False


def problems(annotations: dict[str, str], values: dict[str, str]) -> list[str]:
    """The hairpin sentence when the changed settings switch client IP preservation on for an internal load
    balancer; nothing otherwise (an internet-facing one has its clients outside, where no hairpin forms)."""
    switch = preserves_client_ip(values)
    if not switch or not internal(annotations):
        return []
    return [f"client IP preservation on ({switch}) for an internal load balancer: an in-cluster caller sent to a "
            f"target on the same node hairpins (the target answers the caller's own address directly, bypassing the "
            f"load balancer) and times out while the backends stay healthy; switch preservation off or call the "
            f"Service by its in-cluster name"]
