"""node_lifecycle's reading of acts against wordings it was not built from (issue #12: build for the class).

Shapes: Karpenter >= 1.1 (`disrupting node(s)` naming the node in `disrupted-nodes` or in its command, and the
termination controller's `deleted node`), aws-node-termination-handler (`Node successfully cordoned and drained`,
its `CordonAndDrain` Node event), cluster-autoscaler's `ScaleDown` Node event. Twins: Karpenter's
`DisruptionBlocked` / `DisruptionWaitingReadiness` events (the node stays), `deleted nodeclaim` (no node named
there, its `deleted node` line carries it), a line that names the node and takes nothing away.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agent.triage import node_lifecycle as nl

NODE = "ip-10-4-17-88.eu-central-1.compute.internal"
OTHER = "ip-10-4-22-9.eu-central-1.compute.internal"


def _event(reason: str, message: str, node: str = NODE, source: str = "karpenter") -> dict[str, str]:
    return {"kind": "Node", "name": node, "reason": reason, "message": message, "source": source,
            "last_seen": "2026-09-02T13:40:00Z"}


def test_karpenter_v1_disrupting_nodes_and_deleted_node_lines_are_acts() -> None:
    text = "\n".join([
        '{"level":"INFO","time":"2026-09-02T13:31:02.101Z","logger":"controller","message":"disrupting node(s)",'
        '"controller":"disruption","reason":"underutilized","decision":"delete","disrupted-node-count":1,'
        f'"disrupted-nodes":[{{"Node":{{"name":"{NODE}"}},"NodeClaim":{{"name":"general-7xk2p"}}}}]}}',
        '{"level":"INFO","time":"2026-09-02T13:33:40.512Z","message":"disrupting node(s)","command":"Empty/ab12: '
        f'delete: nodepools=[general]: [{OTHER}] (savings: $0.17)","decision":"delete"}}',
        '{"level":"INFO","time":"2026-09-02T13:32:10.777Z","message":"deleted node","controller":"node.termination",'
        f'"Node":{{"name":"{NODE}"}}}}',
        '{"level":"INFO","time":"2026-09-02T13:32:11.001Z","message":"deleted nodeclaim","NodeClaim":{"name":'
        '"general-7xk2p"}}',
        f'{{"level":"INFO","time":"2026-09-02T13:20:00.000Z","message":"registered nodeclaim","Node":{{"name":"{NODE}"'
        '}}'])
    acts = nl.log_acts(text, "karpenter", [NODE, OTHER])
    assert [(a.node, a.at.minute) for a in acts] == [(NODE, 31), (OTHER, 33), (NODE, 32)]
    assert all(a.by == "karpenter" for a in acts)
    assert acts[0].at == datetime(2026, 9, 2, 13, 31, 2, 101000, tzinfo=UTC)


def test_node_termination_handler_line_and_event_are_acts() -> None:
    line = ('{"level":"info","time":"2026-09-02T13:31:05Z","node_name":"' + NODE + '","message":"Node successfully '
            'cordoned and drained","reason":"Spot ITN received"}')
    [act] = nl.log_acts(line, "node-termination-handler", [NODE])
    assert act.node == NODE
    [event] = nl.event_acts([_event("CordonAndDrain", "Node successfully cordoned and drained",
                                    source="aws-node-termination-handler")])
    assert event.by == "node-termination-handler"


def test_cluster_autoscaler_scale_down_event_is_an_act() -> None:
    [act] = nl.event_acts([_event("ScaleDown", "marked the node as toBeDeleted/unschedulable",
                                  source="cluster-autoscaler")])
    assert act.node == NODE and act.by == "cluster-autoscaler"


def test_karpenter_events_that_keep_the_node_are_no_acts() -> None:
    rows = [_event("DisruptionBlocked", "Node is nominated for a pending pod"),
            _event("DisruptionWaitingReadiness", "Waiting on readiness to continue disruption"),
            _event("DisruptionLaunching", "Launching NodeClaim: Underutilized/Replace"),
            _event("Unconsolidatable", "Can't replace with a cheaper node")]
    assert nl.event_acts(rows) == []
    [act] = nl.event_acts([_event("DisruptionTerminating", "Disrupting Node: Underutilized/Delete")])
    assert act.node == NODE


def test_a_line_naming_the_node_that_takes_nothing_away_is_no_act() -> None:
    line = (f'{{"time":"2026-09-02T13:31:02Z","message":"computed new nodeclaim(s) to fit pod(s)","Node":{{"name":'
            f'"{NODE}"}}}}')
    assert nl.log_acts(line, "karpenter", [NODE]) == []
