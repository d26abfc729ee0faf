"""Properties of the Kubernetes name checks: whatever they accept is a real Kubernetes name and one path segment.

Generated strings mix valid names, near misses (trailing newline, `..`, `%2e`, upper case, 64
characters) and arbitrary text; the checks are compared with the DNS-1123 definitions written out
independently here, not with the module's own patterns.
"""

from __future__ import annotations

import string

import jsonschema
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guardrails.pipeline import ArgumentError
from mcp_servers.kubernetes import names
from mcp_servers.kubernetes.canonical import canonical_arguments
from mcp_servers.kubernetes.resources import BUILTIN

PATH_METACHARACTERS = set("/%?#\\") | set(string.whitespace)

candidates = st.one_of(
    st.from_regex(names.LABEL_PATTERN),  # `$` lets hypothesis add a trailing newline: a near miss
    st.from_regex(names.SUBDOMAIN_PATTERN),
    st.from_regex(names.PATH_SEGMENT_PATTERN),
    st.text(alphabet="ab-.0/%\n :_Z", max_size=70),
    st.text(max_size=80),
)


def is_dns1123_label(value: str) -> bool:
    allowed = set(string.ascii_lowercase + string.digits + "-")
    return (0 < len(value) <= 63 and set(value) <= allowed and value[0].isalnum() and value[-1].isalnum())


def is_dns1123_subdomain(value: str) -> bool:
    return 0 < len(value) <= 253 and all(is_dns1123_label(part) for part in value.split("."))


def one_safe_segment(value: str) -> bool:
    return value not in ("", ".", "..") and ".." not in value and not set(value) & PATH_METACHARACTERS


@settings(max_examples=150, deadline=None)
@given(candidates)
@example("kube-system\n")
@example("shop/../kube-system")
@example("%2e%2e")
@example("a" * 64)
def test_accepted_namespaces_are_dns1123_labels(value: str) -> None:
    if names.is_valid(value, "label"):
        assert is_dns1123_label(value) and one_safe_segment(value)


@settings(max_examples=150, deadline=None)
@given(candidates)
@example("my.app-v1.2")
@example("../../kube-system/pods/x")
@example("a..b")
def test_accepted_object_names_are_dns1123_subdomains(value: str) -> None:
    if names.is_valid(value, "subdomain"):
        assert is_dns1123_subdomain(value) and one_safe_segment(value)


@settings(max_examples=150, deadline=None)
@given(candidates)
@example(".")
@example("..")
@example("system:controller:job-controller")
def test_accepted_path_segment_names_contain_no_path_metacharacters(value: str) -> None:
    if names.is_valid(value, "path-segment"):
        assert one_safe_segment(value) and len(value) <= 253
        for t in BUILTIN[:2]:
            path = t.object_path("shop", value)
            assert path.count("/") == t.object_path("shop", "x").count("/")


@settings(max_examples=150, deadline=None)
@given(name=candidates, namespace=candidates)
def test_what_the_server_lets_through_is_valid(name: str, namespace: str) -> None:
    """The whole validation layer for a pod-log call: the schema (as the guardrail runs it) and the normaliser."""
    schema = {"type": "object", "properties": {
        "name": {"type": "string", "pattern": names.SUBDOMAIN_PATTERN, "maxLength": 253},
        "namespace": {"type": "string", "pattern": names.LABEL_PATTERN, "maxLength": 63}}}
    if not jsonschema.Draft202012Validator(schema).is_valid({"name": name, "namespace": namespace}):
        return
    try:
        canonical_arguments(None, "k8s_logs", {"name": name, "namespace": namespace})  # type: ignore[arg-type]
    except ArgumentError:
        return
    assert is_dns1123_subdomain(name) and one_safe_segment(name)
    assert is_dns1123_label(namespace) and one_safe_segment(namespace)
