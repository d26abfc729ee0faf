"""agent.triage.node_agent_socket: a node agent's new revision, rolled to the named node, serves its unix socket
under another hostPath than the one its workloads mount.

Shapes: SPIRE's agent moved from /run/spire/sockets to /run/spire/agent-sockets, a Go gRPC workload failing `dial unix
/run/spire/sockets/agent.sock: connect: no such file or directory` (its hostPath mount known); a CSI node plugin
moved under /var/lib/kubelet/plugins, the kubelet-style client `Still connecting to unix:///.../csi.sock ...
connection refused` (no mount known: the socket's directory stands for it).
Twins: the pod on the node is the old revision; the template still serves the directory; the rollout is complete;
the template's host paths are nowhere near.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts
from agent.triage.node_agent_socket import READS, beside, dialled, found, suspects

NODE = "ip-10-0-3-22.eu-west-1.compute.internal"
GO = ('{"level":"error","msg":"unable to create X509Source","error":"workloadapi: unable to fetch X509 SVID: rpc '
      'error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix '
      '/run/spire/sockets/agent.sock: connect: no such file or directory\\""}')
CSI = ("E1204 10:01:00 connection.go:183] Still connecting to unix:///var/lib/kubelet/plugins/secrets.csi/csi.sock"
       " failed: connect: connection refused")


def facts(line: str, mounts: list[str], paths: list[str], newest: bool = True, updated: int = 1) -> Facts:
    f = Facts(at=datetime(2026, 12, 4, 20, 30, tzinfo=UTC))
    got = dialled(line)
    assert got is not None
    clients: list[dict[str, Any]] = [{"pod": "pricing/quote-5c4b7d8f9-x2k4q", "socket": got[0], "line": got[1],
                                      "mounts": mounts, "evidence": ["L1"]}]
    f.reads[READS] = {"node": NODE, "clients": clients,
                      "daemonsets": [{"ref": "agents/node-agent", "paths": paths, "updated": updated, "desired": 4,
                                      "newest_here": newest, "evidence": ["D1"]}]}
    return f


def test_dial_wordings_and_paths() -> None:
    assert dialled(GO) == ("/run/spire/sockets/agent.sock", GO)
    csi = dialled(CSI)
    assert csi is not None and csi[0] == "/var/lib/kubelet/plugins/secrets.csi/csi.sock"
    assert dialled("dial tcp 10.0.0.1:443: connect: connection refused") is None
    assert beside("/run/spire/sockets", "/run/spire/agent-sockets") and not beside("/run/spire", "/run/other")


def test_spire_agent_socket_moved_is_named_with_both_paths() -> None:
    hits = suspects(facts(GO, ["/run/spire/sockets"], ["/run/spire/agent-sockets"]))
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("DaemonSet", "node-agent")
    head = finding["message"][:400]
    assert "/run/spire/agent-sockets" in head and "/run/spire/sockets" in head and "socket" in head and NODE in head


def test_csi_plugin_socket_moved_without_the_client_mount_known() -> None:
    hits = found(facts(CSI, [], ["/var/lib/kubelet/plugins/secrets-store.csi"]))
    assert len(hits) == 1 and hits[0].client_path == "/var/lib/kubelet/plugins/secrets.csi"


def test_twins_old_revision_here_still_served_rollout_done_or_paths_elsewhere() -> None:
    assert not found(facts(GO, ["/run/spire/sockets"], ["/run/spire/agent-sockets"], newest=False))
    assert not found(facts(GO, ["/run/spire/sockets"], ["/run/spire/sockets"]))
    assert not found(facts(GO, ["/run/spire"], ["/run/spire"]))
    assert not found(facts(GO, ["/run/spire/sockets"], ["/run/spire/agent-sockets"], updated=4))
    assert not found(facts(GO, ["/run/spire/sockets"], ["/var/log/agent"]))
