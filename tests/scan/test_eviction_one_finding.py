"""One finding per eviction cause: a storage-limit eviction is `pod.evicted_storage_limit` only, never also a
plain `pod.evicted`; a node-pressure eviction stays `pod.evicted`.

Messages are the kubelet eviction manager's own wordings (the pod's status.message, or the Evicted event
when the status carries another one).
"""

from __future__ import annotations

from mcp_servers.kubernetes.scan import scan
from mcp_servers.kubernetes.scan.snapshot import Snapshot
from tests.scan.objects import NOW, event
from tests.scan.test_storage_evictions import CONTAINER, EMPTYDIR, NODE_PRESSURE, POD_TOTAL, evicted, workload


def checks(objects: list[dict[str, object]]) -> list[str]:
    return sorted(f.check for f in scan(Snapshot.from_objects(objects), NOW, ["pods", "ephemeral"]).findings
                  if f.reason == "Evicted")


def test_storage_limit_evictions_are_reported_once_in_each_wording() -> None:
    for message in (EMPTYDIR, CONTAINER, POD_TOTAL):
        objs = [*workload(), evicted("renderer-7f9-a", message, 10), evicted("renderer-7f9-b", message, 5)]
        assert checks(objs) == ["pod.evicted_storage_limit"], message


def test_the_limit_named_only_by_the_event_still_gives_one_finding() -> None:
    p = evicted("renderer-7f9-a", "", 5)
    p["status"]["message"] = "The node had condition: [DiskPressure]. "
    objs = [*workload(), p, event("Pod", "renderer-7f9-a", "Evicted", CONTAINER, first=6, last=5)]
    assert checks(objs) == ["pod.evicted_storage_limit"]


def test_node_pressure_evictions_stay_plain_evictions() -> None:
    objs = [*workload(), evicted("renderer-7f9-a", NODE_PRESSURE, 5)]
    assert checks(objs) == ["pod.evicted"]
    both = [*workload(), evicted("renderer-7f9-a", NODE_PRESSURE, 5), evicted("renderer-7f9-b", EMPTYDIR, 4)]
    assert checks(both) == ["pod.evicted", "pod.evicted_storage_limit"]
