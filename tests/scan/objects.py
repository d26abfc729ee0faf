"""Small Kubernetes objects for the scan's unit tests, shaped as the API server returns them.

Each builder gives a healthy object by default; a test changes only the fields its check reads, so
a positive and its healthy twin differ in exactly the fact under test.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def ts(minutes_ago: float = 0) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, ns: str = "shop", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}", "creationTimestamp": ts(600), **extra}


def deployment(name: str, ns: str = "shop", replicas: int = 2, ready: int | None = None,
               labels: dict[str, str] | None = None, image: str = "registry.example.com/app:1.0") -> dict[str, Any]:
    labels = labels or {"app": name}
    ready = replicas if ready is None else ready
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, ns),
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready,
                       "conditions": [{"type": "Available", "status": "True" if ready >= replicas else "False",
                                       "reason": "MinimumReplicasAvailable" if ready >= replicas
                                       else "MinimumReplicasUnavailable", "lastTransitionTime": ts(30)},
                                      {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                                       "lastTransitionTime": ts(300)}]}}


def replicaset(name: str, deploy: str, ns: str = "shop", replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": meta(name, ns, ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment",
                                                         "name": deploy, "controller": True}]),
            "spec": {"replicas": replicas}, "status": {"replicas": replicas, "readyReplicas": replicas}}


def pod(name: str, ns: str = "shop", owner: tuple[str, str] | None = None, labels: dict[str, str] | None = None,
        image: str = "registry.example.com/app:1.0", memory_limit: str | None = "256Mi",
        ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Running, Ready pod with one container `app`."""
    m = meta(name, ns, labels=labels or {"app": "web"})
    if owner:
        m["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}]
    container: dict[str, Any] = {"name": "app", "image": image,
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    if memory_limit:
        container["resources"]["limits"] = {"memory": memory_limit}
    if ports is not None:
        container["ports"] = ports
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m,
            "spec": {"nodeName": "node-1", "restartPolicy": "Always", "containers": [container]},
            "status": {"phase": "Running", "startTime": ts(120),
                       "conditions": [{"type": "PodScheduled", "status": "True"},
                                      {"type": "Ready", "status": "True", "lastTransitionTime": ts(110)}],
                       "containerStatuses": [{"name": "app", "image": image, "ready": True, "restartCount": 0,
                                              "started": True, "state": {"running": {"startedAt": ts(115)}}}]}}


def set_container(p: dict[str, Any], *, ready: bool = False, state: dict[str, Any] | None = None,
                  last: dict[str, Any] | None = None, restarts: int = 0) -> dict[str, Any]:
    """The same pod with its container's state replaced (and the pod's Ready condition to match)."""
    p = copy.deepcopy(p)
    cs = p["status"]["containerStatuses"][0]
    cs.update(ready=ready, restartCount=restarts)
    if state is not None:
        cs["state"] = state
    if last is not None:
        cs["lastState"] = {"terminated": last}
    for cond in p["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond["status"] = "True" if ready else "False"
            cond["reason"] = None if ready else "ContainersNotReady"
    return p


def event(kind: str, name: str, reason: str, message: str, ns: str = "shop", type_: str = "Warning",
          count: int = 1, first: float = 30, last: float = 1) -> dict[str, Any]:
    """A core/v1 Event."""
    return {"apiVersion": "v1", "kind": "Event", "metadata": meta(f"{name}.{reason}.{abs(hash(message)) % 10**8}", ns),
            "involvedObject": {"kind": kind, "name": name, "namespace": ns}, "reason": reason, "message": message,
            "type": type_, "count": count, "firstTimestamp": ts(first), "lastTimestamp": ts(last)}


def new_event(kind: str, name: str, reason: str, note: str, ns: str = "shop", count: int = 1) -> dict[str, Any]:
    """An events.k8s.io/v1 Event (regarding/note/series)."""
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": meta(f"{name}.{reason}.new", ns), "regarding": {"kind": kind, "name": name, "namespace": ns},
            "reason": reason, "note": note, "type": "Warning", "eventTime": ts(20),
            "series": {"count": count, "lastObservedTime": ts(2)}}


def service(name: str, ns: str = "shop", selector: dict[str, str] | None = None,
            target_port: int | str = 8080) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns),
            "spec": {"type": "ClusterIP", "selector": selector if selector is not None else {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "targetPort": target_port}]}}


def endpoints(name: str, ns: str = "shop", ready: int = 1) -> dict[str, Any]:
    addresses = [{"ip": f"10.0.0.{i + 1}"} for i in range(ready)]
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta(name, ns),
            "subsets": [{"addresses": addresses, "ports": [{"port": 8080}]}] if ready else []}


def node(name: str = "node-1", ready: bool = True, pressure: str | None = None,
         cordoned: bool = False) -> dict[str, Any]:
    conditions = [{"type": t, "status": "True" if t == pressure else "False", "reason": f"Kubelet{t}",
                   "message": f"kubelet has {t}", "lastTransitionTime": ts(20)}
                  for t in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    conditions.append({"type": "Ready", "status": "True" if ready else "Unknown",
                       "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                       "message": "kubelet is posting ready status" if ready
                       else "Kubelet stopped posting node status.",
                       "lastHeartbeatTime": ts(0), "lastTransitionTime": ts(25)})
    n: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": f"uid-{name}"},
                         "spec": {}, "status": {"conditions": conditions}}
    if cordoned:
        n["spec"] = {"unschedulable": True, "taints": [{"key": "node.kubernetes.io/unschedulable",
                                                         "effect": "NoSchedule", "timeAdded": ts(40)}]}
    return n


def configmap(name: str, ns: str = "shop", keys: tuple[str, ...] = ("config.yaml",)) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, ns), "data": {k: "x" for k in keys}}


def secret(name: str, ns: str = "shop", data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta(name, ns),
            "data": data or {"password": "c2VjcmV0"}}
