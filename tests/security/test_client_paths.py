"""The client's own fence: whatever reaches it, a name or namespace stays one segment of the API path.

These call the Kubernetes client directly, with no guardrail in front, against the replay API
server (real HTTP), so they show the last line holds even if every check before it were bypassed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from mcp_servers.kubernetes.client import KubeClient, KubeError, KubeSettings
from mcp_servers.kubernetes.replay import ReplayHandle


@pytest.mark.parametrize(("namespace", "name"), [
    ("shop", "../../kube-system/pods/coredns-94t6p94mg7-5q6mn"),
    ("shop/../kube-system", "coredns-94t6p94mg7-5q6mn"),
    ("shop", ".."),
    ("shop", "%2e%2e"),
    ("shop", "x?labelSelector=a"),
    ("..", "x"),
])
def test_unsafe_segments_never_reach_the_api(replay: ReplayHandle, namespace: str, name: str) -> None:
    kc = KubeClient(KubeSettings(kubeconfig=str(replay.kubeconfig)))
    ctx = kc.resolve_context(None)
    pods = kc.resolve_kind(ctx, "pods")
    with pytest.raises(KubeError) as refused:
        kc.get_object(ctx, pods, namespace, name)
    assert refused.value.status == 400 and "path" in refused.value.message
    with pytest.raises(KubeError):
        kc.get_text(ctx, f"/api/v1/namespaces/{namespace}/pods/{name}/log")
    kc.close()


def test_a_dotted_name_is_one_quoted_segment(replay: ReplayHandle) -> None:
    kc = KubeClient(KubeSettings(kubeconfig=str(replay.kubeconfig)))
    ctx = kc.resolve_context(None)
    nodes = kc.resolve_kind(ctx, "nodes")
    node = kc.get_object(ctx, nodes, None, "ip-10-0-1-20.eu-west-1.compute.internal")
    assert node["metadata"]["name"] == "ip-10-0-1-20.eu-west-1.compute.internal"
    assert nodes.object_path(None, "system:node:x") == "/api/v1/nodes/system:node:x"
    kc.close()


def test_the_kubeconfig_is_reread_when_it_changes(replay: ReplayHandle, tmp_path: Path) -> None:
    config = yaml.safe_load(replay.kubeconfig.read_text())
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    kc = KubeClient(KubeSettings(kubeconfig=str(path)))
    before, _ = kc.context_names()
    config["contexts"].append({"name": "added", "context": dict(config["contexts"][0]["context"])})
    path.write_text(yaml.safe_dump(config))
    later = time.time() + 5  # a new mtime even on coarse-grained file systems
    os.utime(path, (later, later))
    after, _ = kc.context_names()
    assert "added" not in before and "added" in after
