"""meta.k8s.io/v1 Table responses, so `kubectl get` prints the columns it prints for a real cluster.

kubectl asks for `as=Table` and prints whatever columns the server defines; a plain list would
give only NAME and AGE. These column sets follow the API server's own printers for the kinds an
SRE lists most; any other kind gets NAME and AGE, as a real server does for custom resources.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes import health as h

Column = tuple[str, str, int, str]  # name, type, priority, description
Row = Callable[[dict[str, Any], datetime], list[Any]]


def _col(name: str, priority: int = 0, type_: str = "string", description: str = "") -> Column:
    return (name, type_, priority, description or name)


def _pod(o: dict[str, Any], now: datetime) -> list[Any]:
    status, spec = o.get("status") or {}, o.get("spec") or {}
    return [o["metadata"]["name"], h.pod_ready(o), h.pod_status(o), h.restarts_cell(o, now), h.age(o, now),
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>", "<none>"]


def _deployment(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    selector = ",".join(f"{k}={v}" for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items())
    return [o["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), h.age(o, now),
            ",".join(c["name"] for c in containers), ",".join(c["image"] for c in containers), selector]


def _replicaset(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [o["metadata"]["name"], spec.get("replicas", 0), status.get("replicas", 0),
            status.get("readyReplicas", 0), h.age(o, now), ",".join(c["name"] for c in containers),
            ",".join(c["image"] for c in containers)]


def _statefulset(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    return [o["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", h.age(o, now)]


def _daemonset(o: dict[str, Any], now: datetime) -> list[Any]:
    s = o.get("status") or {}
    selector = ((o.get("spec") or {}).get("template") or {}).get("spec", {}).get("nodeSelector") or {}
    return [o["metadata"]["name"], s.get("desiredNumberScheduled", 0), s.get("currentNumberScheduled", 0),
            s.get("numberReady", 0), s.get("updatedNumberScheduled", 0), s.get("numberAvailable", 0),
            ",".join(f"{k}={v}" for k, v in selector.items()) or "<none>", h.age(o, now)]


def _service(o: dict[str, Any], now: datetime) -> list[Any]:
    spec = o.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    ingress = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or "<none>"
    selector = ",".join(f"{k}={v}" for k, v in (spec.get("selector") or {}).items()) or "<none>"
    return [o["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), external,
            ports or "<none>", h.age(o, now), selector]


def _node(o: dict[str, Any], now: datetime) -> list[Any]:
    status = o.get("status") or {}
    ready: dict[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    state = "Ready" if ready.get("status") == "True" else "NotReady"
    if (o.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = o["metadata"].get("labels") or {}
    roles = ",".join(sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))) or "<none>"
    info = status.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    return [o["metadata"]["name"], state, roles, h.age(o, now), info.get("kubeletVersion", ""),
            addresses.get("InternalIP", "<none>"), addresses.get("ExternalIP", "<none>"), info.get("osImage", ""),
            info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


def _namespace(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], (o.get("status") or {}).get("phase", "Active"), h.age(o, now)]


def _event(o: dict[str, Any], now: datetime) -> list[Any]:
    inv = o.get("involvedObject") or {}
    last = o.get("lastTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp")
    first = o.get("firstTimestamp") or o.get("eventTime")
    source = o.get("source") or {}
    src = ", ".join(x for x in (source.get("component"), source.get("host")) if x)
    return [h.age(last, now), o.get("type", ""), o.get("reason", ""),
            f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}", inv.get("fieldPath", ""), src,
            o.get("message", "").strip(), h.age(first, now), o.get("count", 1), o["metadata"]["name"]]


def _configmap(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), h.age(o, now)]


def _secret(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}), h.age(o, now)]


def _endpoints(o: dict[str, Any], now: datetime) -> list[Any]:
    shown: list[str] = []
    for subset in o.get("subsets") or []:
        ports = [p.get("port") for p in subset.get("ports") or []] or [None]
        for a in subset.get("addresses") or []:
            shown.extend(f"{a.get('ip')}:{p}" if p else str(a.get("ip")) for p in ports)
    text = ",".join(shown[:3]) + (f" + {len(shown) - 3} more..." if len(shown) > 3 else "")
    return [o["metadata"]["name"], text or "<none>", h.age(o, now)]


def _endpointslice(o: dict[str, Any], now: datetime) -> list[Any]:
    ports = ",".join(str(p.get("port")) for p in o.get("ports") or []) or "<unset>"
    ready = [a for e in o.get("endpoints") or [] if (e.get("conditions") or {}).get("ready", True)
             for a in e.get("addresses") or []]
    text = ",".join(ready[:3]) + (f" + {len(ready) - 3} more..." if len(ready) > 3 else "")
    return [o["metadata"]["name"], o.get("addressType", ""), ports, text or "<unset>", h.age(o, now)]


def _default(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], h.age(o, now)]


TABLES: dict[str, tuple[list[Column], Row]] = {
    "Pod": ([_col("Name", type_="string"), _col("Ready"), _col("Status"), _col("Restarts", type_="string"),
             _col("Age"), _col("IP", 1), _col("Node", 1), _col("Nominated Node", 1), _col("Readiness Gates", 1)],
            _pod),
    "Deployment": ([_col("Name"), _col("Ready"), _col("Up-to-date", type_="integer"),
                    _col("Available", type_="integer"), _col("Age"), _col("Containers", 1), _col("Images", 1),
                    _col("Selector", 1)], _deployment),
    "ReplicaSet": ([_col("Name"), _col("Desired", type_="integer"), _col("Current", type_="integer"),
                    _col("Ready", type_="integer"), _col("Age"), _col("Containers", 1), _col("Images", 1)],
                   _replicaset),
    "StatefulSet": ([_col("Name"), _col("Ready"), _col("Age")], _statefulset),
    "DaemonSet": ([_col("Name"), _col("Desired", type_="integer"), _col("Current", type_="integer"),
                   _col("Ready", type_="integer"), _col("Up-to-date", type_="integer"),
                   _col("Available", type_="integer"), _col("Node Selector"), _col("Age")], _daemonset),
    "Service": ([_col("Name"), _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"),
                 _col("Age"), _col("Selector", 1)], _service),
    "Node": ([_col("Name"), _col("Status"), _col("Roles"), _col("Age"), _col("Version"), _col("Internal-IP", 1),
              _col("External-IP", 1), _col("OS-Image", 1), _col("Kernel-Version", 1),
              _col("Container-Runtime", 1)], _node),
    "Namespace": ([_col("Name"), _col("Status"), _col("Age")], _namespace),
    "Event": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Subobject", 1),
               _col("Source", 1), _col("Message"), _col("First Seen", 1), _col("Count", 1, "integer"),
               _col("Name", 1)], _event),
    "ConfigMap": ([_col("Name"), _col("Data", type_="integer"), _col("Age")], _configmap),
    "Endpoints": ([_col("Name"), _col("Endpoints"), _col("Age")], _endpoints),
    "EndpointSlice": ([_col("Name"), _col("AddressType"), _col("Ports"), _col("Endpoints"), _col("Age")],
                      _endpointslice),
    "Secret": ([_col("Name"), _col("Type"), _col("Data", type_="integer"), _col("Age")], _secret),
}


def table(kind: str, objects: list[dict[str, Any]], now: datetime, include_object: str = "Metadata",
          list_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table for `objects` of one kind."""
    columns, row = TABLES.get(kind, ([_col("Name"), _col("Age")], _default))
    rows = []
    for obj in objects:
        entry: dict[str, Any] = {"cells": row(obj, now)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                               "metadata": obj.get("metadata") or {}}
        rows.append(entry)
    definitions = [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": d,
                    "priority": p} for n, t, p, d in columns]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta or {},
            "columnDefinitions": definitions, "rows": rows}
