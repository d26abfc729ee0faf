"""The replay server serves a custom resource at its CRD's served version, as an API server converts it.

A recording that holds a CRD serving only v1 beside objects dumped at v1alpha1 (a CRD upgraded after the dump, or
hand-written) must not split the kind into two types: discovery prefers v1, so clients would see no objects.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.replay import served_versions
from mcp_servers.kubernetes.resources import registry_for


def _crd(versions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.io"},
            "spec": {"group": "example.io", "scope": "Namespaced", "versions": versions,
                     "names": {"kind": "Widget", "plural": "widgets"}}}


def _widget(version: str) -> dict[str, Any]:
    return {"apiVersion": f"example.io/{version}", "kind": "Widget",
            "metadata": {"name": "w", "namespace": "ns"}, "spec": {"size": 3}}


def test_an_object_at_an_unserved_version_is_served_at_the_storage_version() -> None:
    crd = _crd([{"name": "v1beta1", "served": True}, {"name": "v1", "served": True, "storage": True}])
    [_, widget] = served_versions([crd, _widget("v1alpha1")])
    assert widget["apiVersion"] == "example.io/v1" and widget["spec"] == {"size": 3}
    types = registry_for([crd, widget], frozenset())
    assert [t.version for t in types if t.kind == "Widget"] == ["v1beta1", "v1"]  # no guessed v1alpha1 type


def test_served_versions_and_kinds_without_a_crd_are_left_alone() -> None:
    crd = _crd([{"name": "v1beta1", "served": True}, {"name": "v1", "served": True, "storage": True}])
    beta = _widget("v1beta1")
    assert served_versions([crd, beta])[1] is beta
    alone = _widget("v1alpha1")
    assert served_versions([alone]) == [alone]
    core = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    assert served_versions([crd, core])[1] is core
