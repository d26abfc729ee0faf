"""Small additions to the corpus kit that held-out scenarios need: an init container stuck in a crash loop.

The corpus kit models the main container's states; an init container that keeps dying (a download
that fails, a migration killed for memory) is patched onto the pod object here, so the pod, its
conditions and its events read the way the kubelet leaves them.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus.kit import Incident, Workload, o, ts  # noqa: E402
from incidentgen.scenarios import crash_cycle, cycle_states  # noqa: E402


def init_crashloop(inc: Incident, wl: Workload, init: dict[str, Any], reason: str, exit_code: int,
                   run_s: float, log: str) -> None:
    """Put the last pod of `wl` in Init:CrashLoopBackOff on `init` (its spec), with logs and kubelet events."""
    h = wl.pods[-1]
    ns, main = h.namespace, h.containers[0].name
    runs, waiting, _ = crash_cycle(h.created + timedelta(seconds=3), inc.captured, lambda n: run_s)
    state = cycle_states(runs, waiting, reason, exit_code, h.name, ns, init["name"])
    h.states[0].ready = False
    h.states[0].waiting_reason = "PodInitializing"
    h.ready = lambda t: False
    h.memory = None

    def patch(pod: dict[str, Any]) -> None:
        status = pod["status"]
        status["phase"] = "Pending"
        status["initContainerStatuses"] = [{
            "name": init["name"], "image": init["image"], "imageID": o.image_id(init["image"]), "ready": False,
            "restartCount": state.restarts, "started": False,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": state.waiting_message or ""}}
            if state.waiting_reason else {"running": {"startedAt": ts(h.created)}},
            "lastState": {"terminated": {"exitCode": exit_code, "reason": reason,
                                         "startedAt": ts(state.last_started or h.created),
                                         "finishedAt": ts(state.last_finished or h.created),
                                         "containerID": o.container_id(pod["metadata"]["name"] + "/init")}}}]
        for cs in status["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"waiting": {"reason": "PodInitializing"}},
                       "lastState": {}})
            cs.pop("containerID", None)
        for cond in status["conditions"]:
            if cond["type"] == "Initialized":
                cond.update({"status": "False", "reason": "ContainersNotInitialized",
                             "message": f"containers with incomplete status: [{init['name']}]"})
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "ContainersNotReady",
                             "message": f"containers with unready status: [{main}]"})

    inc.cluster.patch(ns, h.name, patch)
    inc.cluster.events = [e for e in inc.cluster.events if not (
        e["involvedObject"]["name"] == h.name and e["reason"] in ("Pulled", "Created", "Started"))]
    obj = inc.cluster.pod_object(h)
    fp = f"spec.initContainers{{{init['name']}}}"
    ends = [r.end for r in runs if r.end]
    for why, msg in (("Pulled", f'Container image "{init["image"]}" already present on machine'),
                     ("Created", f"Created container {init['name']}"),
                     ("Started", f"Started container {init['name']}")):
        inc.cluster.add_event(obj, why, msg, runs[0].start, runs[-1].start, count=len(runs), host=h.node,
                              field_path=fp)
    inc.cluster.add_event(obj, "BackOff", f"Back-off restarting failed container {init['name']} in pod "
                          f"{h.name}_{ns}({obj['metadata']['uid']})", ends[0], ends[-1],
                          count=3 * len(ends), type_="Warning", host=h.node, field_path=fp)
    inc.log_block(ns, h.name, init["name"], log)
    inc.log_block(ns, h.name, init["name"], log, previous=True)
