"""A node short of PIDs, end to end: the survey asks Prometheus who holds them and reads that rollout's history.

An incident bundle written by the corpus generator's own writer (examples/corpus), served by the replay API server
and Debian's Prometheus, investigated blind in runbook-only mode and scored against its answer key, as `vigil eval`
does. It is not the held-out story in other words: a Python thumbnailer (not a Node.js renderer) whose 5.0 image
dropped tini from its command, ImageMagick children left as zombies, three pods of it on one node of four, victims
that log glibc's "fork: Resource temporarily unavailable", and a red herring logging errors of its own. The alert
is a node-condition page phrased by hand.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def thumbnailer_zombies() -> Incident:
    """thumbnailer 5.0 runs python as PID 1 without tini; ImageMagick's children become zombies and fill the node."""
    at = datetime(2026, 10, 14, 3, 20, tzinfo=UTC)
    inc = Incident("media-node-pids", title="node pid pressure", story=thumbnailer_zombies.__doc__ or "", at=at,
                   seed=931, namespaces=("media",))
    nodes = inc.node_names()
    hot = nodes[2]
    rolled = at - timedelta(hours=3, minutes=40)
    pressure = at - timedelta(minutes=6)
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == hot)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "PIDPressure":
            cond.update({"status": "True", "reason": "KubeletHasInsufficientPID",
                         "message": "kubelet has insufficient PID available", "lastTransitionTime": ts(pressure)})
    inc.event(node, "NodeHasInsufficientPID", f"Node {hot} status is now: NodeHasInsufficientPID", pressure,
              warning=False, host=hot)

    def worker_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=50)), end, 12, lambda i, t: L.pylog(
            t, "INFO", "thumbnailer.jobs", f"thumbnail {9100 + i} done: 4 sizes in {300 + i % 90}ms")))

    old = [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:4.9.2")]
    new = [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:5.0.0")]
    wl = inc.deployment("media", "thumbnailer", [
        Rev(30, at - timedelta(days=18), "deploy 4.9.2", old,
            container={"command": ["/sbin/tini", "--"], "args": ["python", "-m", "thumbnailer"]}),
        Rev(31, rolled, "deploy 5.0.0: python 3.13 base", new,
            container={"command": ["python"], "args": ["-m", "thumbnailer"]})],
        {31: [P(log=worker_log, node=hot), P(log=worker_log, node=hot), P(log=worker_log, node=hot)]})
    for h in wl.pods:
        lab = {"namespace": "media", "pod": h.name, "container": "thumbnailer", "job": "kubelet",
               "metrics_path": "/metrics/cadvisor", "node": hot}
        inc.series("container_processes", "gauge", "Number of processes running inside the container.", lab,
                   lambda t, h=h: None if t < h.created else 9 + (t - h.created).total_seconds() * 0.9)
        inc.series("container_threads", "gauge", "Number of threads running inside the container", dict(lab),
                   lambda t, h=h: None if t < h.created else 30 + (t - h.created).total_seconds() * 0.9)
    labels = {"node": hot, "job": "node-exporter", "instance": "10.0.3.14:9100"}
    inc.series("node_processes_state", "gauge", "Number of processes in each state.", {**labels, "state": "Z"},
               lambda t: max(0.0, (t - rolled).total_seconds()) * 2.6)
    herring = [p for p in inc.cluster.pods if p.namespace == "web" and p.workload == "recommendations"]
    for h in herring[:1]:
        h.logs[h.containers[0].name] = L.lines(L.ticker(at - timedelta(minutes=60), inc.captured, 40, lambda i, t:
                                                        L.pylog(t, "ERROR", "recs.cache",
                                                                f"redis timeout reading key recs:{i} after 250ms")))
    inc.alertmanager("NodePIDPressure", {"node": hot, "condition": "PIDPressure", "job": "kube-state-metrics",
                                         "namespace": "monitoring"},
                     "A node is running out of process IDs.", f"{hot} reports PIDPressure; pods there cannot fork.",
                     'kube_node_status_condition{condition="PIDPressure",status="true"} == 1')
    inc.answer_key(culprit=("Deployment", "media", "thumbnailer"), keywords=["tini", "zombie", "PID"],
                   root_cause="thumbnailer 5.0.0 dropped tini; python as PID 1 never reaps ImageMagick's children, "
                              "whose zombies exhaust the node's PIDs.",
                   category="node-pid-exhaustion", red_herrings=[("Deployment", "web", "recommendations")])
    return inc


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> object:
    [row] = investigate_blind([thumbnailer_zombies], tmp_path_factory.mktemp("node-pids"), jobs=1).values()
    return row


def test_the_workload_holding_the_pids_is_named_with_the_init_it_dropped(result: object) -> None:
    top = str(getattr(result, "top", "") or "")
    assert getattr(result, "verdict", None) == "right", (getattr(result, "verdict", None), top,
                                                          getattr(result, "error", ""))
    for words in ("Deployment media/thumbnailer", "PIDPressure", "zombie", "dropped tini", "revision 31"):
        assert words in top, (words, top)
