"""Kubernetes object and namespace names, validated the way the API server validates them.

A name or namespace becomes a segment of a REST path, so an unchecked `shop/../kube-system` or
`../../kube-system/pods/x` would read somewhere the policy never judged. The patterns here are
published in the tools' JSON schemas (the guardrail's validation layer refuses a bad value before
the tool runs, naming the field) and checked again in code where a name meets a URL:

- a namespace is a DNS-1123 label (`kube-system`, at most 63 characters);
- most objects (pods, deployments, services, config maps, nodes ...) have DNS-1123 subdomain names
  (`my.app-v1.2`, at most 253 characters);
- the rest (RBAC roles such as `system:controller:foo`, custom resources) have "path segment"
  names; we accept a conservative form of those: letters, digits and `-_.:@+~`, no `..`, never
  `.` alone, and none of the characters that mean something in a URL or a selector
  (`/ % ? # , = ! \\`, whitespace).

Each pattern avoids look-arounds so that both pydantic's Rust regex engine and `jsonschema` read it.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253

_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
LABEL_PATTERN = rf"^{_LABEL}$"
"""A DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric."""
SUBDOMAIN_PATTERN = rf"^{_LABEL}(?:\.{_LABEL})*$"
"""A DNS-1123 subdomain: labels joined by single dots (length checked separately: 253)."""
_SEG = r"[A-Za-z0-9_:@+~-]+"
PATH_SEGMENT_PATTERN = rf"^\.?{_SEG}(?:\.{_SEG})*\.?$"
"""A path-segment-safe name: no `/`, `%`, `..`, not `.` alone, no URL or selector metacharacters."""
OPTIONAL_LABEL_PATTERN = rf"^(?:{_LABEL})?$"
"""A namespace argument where empty means every namespace."""

NameRule = Literal["label", "subdomain", "path-segment"]

_COMPILED = {
    "label": (re.compile(LABEL_PATTERN), DNS1123_LABEL_MAX),
    "subdomain": (re.compile(SUBDOMAIN_PATTERN), DNS1123_SUBDOMAIN_MAX),
    "path-segment": (re.compile(PATH_SEGMENT_PATTERN), DNS1123_SUBDOMAIN_MAX),
}

_FIX = {
    "label": "a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters, e.g. 'shop'",
    "subdomain": "a DNS-1123 subdomain: lower-case letters, digits, '-' and single dots, e.g. 'my.app-v1.2'",
    "path-segment": "letters, digits and -_.:@+~ only (no '/', '%', '..' or whitespace)",
}

# Built-in API groups whose objects all have DNS-1123 subdomain names (RBAC is the exception:
# its names are path segments, e.g. `system:controller:attachdetach-controller`).
SUBDOMAIN_GROUPS = frozenset({"", "apps", "batch", "networking.k8s.io", "discovery.k8s.io", "policy",
                              "autoscaling", "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io",
                              "node.k8s.io", "apiextensions.k8s.io", "events.k8s.io", "metrics.k8s.io"})


class InvalidName(ValueError):
    """A name that cannot be a Kubernetes name; the message names the argument and the fix."""


def is_valid(value: str, rule: NameRule) -> bool:
    """Does `value` satisfy `rule` (pattern and length)?"""
    pattern, longest = _COMPILED[rule]
    return len(value) <= longest and pattern.fullmatch(value) is not None


def check(value: str, rule: NameRule, argument: str) -> str:
    """Return `value` when valid, else raise InvalidName naming `argument` and what a valid one looks like."""
    if not is_valid(value, rule):
        raise InvalidName(f"argument {argument!r}: {value!r} is not a valid Kubernetes name; use {_FIX[rule]}")
    return value


def rule_for(group: str) -> NameRule:
    """Which name rule objects of an API group follow."""
    return "subdomain" if group in SUBDOMAIN_GROUPS else "path-segment"


def safe_segment(value: str) -> bool:
    """May `value` be one segment of a REST path? (Never `.`/`..`, never a separator or escape.)"""
    return bool(value) and value not in (".", "..") and not any(c in value for c in "/%?#\\") and value.isprintable()


# -- types for tool signatures: their patterns land in the tools' JSON schemas ------------------------

ObjectName = Annotated[str, Field(min_length=1, max_length=DNS1123_SUBDOMAIN_MAX, pattern=PATH_SEGMENT_PATTERN,
                                  description="Object name, e.g. checkout-7d9f or my.app-v1.2.")]
PodName = Annotated[str, Field(min_length=1, max_length=DNS1123_SUBDOMAIN_MAX, pattern=SUBDOMAIN_PATTERN,
                               description="Pod name (a DNS-1123 subdomain).")]
NamespaceOrAll = Annotated[str, Field(max_length=DNS1123_LABEL_MAX, pattern=OPTIONAL_LABEL_PATTERN,
                                      description="Namespace (a DNS-1123 label); empty means all namespaces.")]
ObjectNamespace = Annotated[str, Field(max_length=DNS1123_LABEL_MAX, pattern=OPTIONAL_LABEL_PATTERN,
                                       description="The object's namespace (empty for cluster-scoped kinds).")]
RequiredNamespace = Annotated[str, Field(min_length=1, max_length=DNS1123_LABEL_MAX, pattern=LABEL_PATTERN,
                                         description="The namespace (a DNS-1123 label).")]
KIND_PATTERN = r"^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)*$"
"""A kind spelling: `Pod`, `pods`, `po`, `deployments.apps`, `ServiceMonitor.monitoring.coreos.com`.
No whitespace, trailing dot or slash. Not in the schema: the server's normaliser refuses a bad
spelling with the close matches discovery knows, which a schema pattern error cannot list."""
KindName = Annotated[str, Field(min_length=1, max_length=DNS1123_SUBDOMAIN_MAX,
                                description="Resource kind: Pod, pods, po, deploy, svc, deployments.apps, "
                                            "ServiceMonitor, crd ...")]
