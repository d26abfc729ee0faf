"""meta.k8s.io/v1 Table responses, so `kubectl get` prints the columns it prints for a real cluster.

kubectl asks for `as=Table` and prints whatever columns the server defines; a plain list would
give only NAME and AGE. These column sets follow the API server's own printers for the kinds an
SRE lists most; any other kind gets NAME and AGE, as a real server does for custom resources.
"""

from __future__ import annotations

import re
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


def _hpa_metric(spec: dict[str, Any], current: dict[str, Any] | None) -> str:
    """One `TARGETS` entry as kubectl prints it: `cpu: 45%/70%`, `requests: 12/10 (avg)`, `<unknown>/70%`."""
    kind = spec.get("type", "")
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods", "Object": "object",
           "External": "external"}.get(kind, "")
    body = spec.get(key) or {}
    cur = ((current or {}).get(key) or {}).get("current") or {}
    target = body.get("target") or {}
    name = body.get("name") or (body.get("metric") or {}).get("name") or kind.lower()
    if target.get("averageUtilization") is not None:
        now_ = cur.get("averageUtilization")
        return f"{name}: {'<unknown>' if now_ is None else f'{now_}%'}/{target['averageUtilization']}%"
    goal = target.get("averageValue") or target.get("value")
    now_v = cur.get("averageValue") or cur.get("value")
    suffix = " (avg)" if target.get("averageValue") and kind in ("Object", "External") else ""
    return f"{name}: {now_v or '<unknown>'}/{goal or '<unknown>'}{suffix}"


def _hpa(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    metrics = spec.get("metrics") or []
    currents = status.get("currentMetrics") or []
    targets = [_hpa_metric(m, currents[i] if i < len(currents) else None) for i, m in enumerate(metrics)]
    shown = ", ".join(targets[:2]) + (f" + {len(targets) - 2} more..." if len(targets) > 2 else "")
    return [o["metadata"]["name"], f"{ref.get('kind', '')}/{ref.get('name', '')}", shown or "<none>",
            spec.get("minReplicas", 1), spec.get("maxReplicas", 0), status.get("currentReplicas", 0), h.age(o, now)]


def _job_status(status: dict[str, Any], spec: dict[str, Any]) -> str:
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    for state in ("Failed", "Complete", "FailureTarget", "SuccessCriteriaMet", "Suspended"):
        if conditions.get(state) == "True":
            return state
    return "Suspended" if spec.get("suspend") else "Running"


def _job(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    succeeded = status.get("succeeded", 0)
    completions = spec.get("completions")
    done = f"{succeeded}/{completions}" if completions is not None else f"{succeeded}/1 of {spec.get('parallelism', 1)}"
    start, end = h.parse_ts(status.get("startTime")), h.parse_ts(status.get("completionTime"))
    duration = h.human_duration(((end or now) - start).total_seconds()) if start else ""
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    containers = pod_spec.get("containers") or []
    selector = ",".join(f"{k}={v}" for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items())
    return [o["metadata"]["name"], _job_status(status, spec), done, duration, h.age(o, now),
            ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            selector or "<none>"]


def _cronjob(o: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    pod_spec = ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {})
    containers = pod_spec.get("containers") or []
    last = status.get("lastScheduleTime")
    return [o["metadata"]["name"], spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            str(bool(spec.get("suspend"))), len(status.get("active") or []), h.age(last, now) if last else "<none>",
            h.age(o, now), ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers), "<none>"]


def _ingress(o: dict[str, Any], now: datetime) -> list[Any]:
    spec = o.get("spec") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    lb = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname", "") for i in lb)
    shown_hosts = ",".join(hosts[:4]) + (f" + {len(hosts) - 4} more..." if len(hosts) > 4 else "")
    return [o["metadata"]["name"], spec.get("ingressClassName") or "<none>", shown_hosts or "*", address,
            "80, 443" if spec.get("tls") else "80", h.age(o, now)]


def _priorityclass(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], o.get("value", 0), str(bool(o.get("globalDefault"))), h.age(o, now),
            o.get("preemptionPolicy") or "PreemptLowerPriority"]


def _default(o: dict[str, Any], now: datetime) -> list[Any]:
    return [o["metadata"]["name"], h.age(o, now)]


# ---- custom resources: the CRD's additionalPrinterColumns ---------------------------------------

_STEP = re.compile(r"\.(?P<field>[A-Za-z0-9_-]+)|\[(?P<index>-?\d+|\*)\]"
                   r"|\[\?\(@\.(?P<key>[A-Za-z0-9_.-]+)\s*==\s*(?P<q>[\"'])(?P<value>.*?)(?P=q)\)\]")


def json_path(obj: Any, path: str) -> list[Any]:
    """The values of a CRD printer column's JSONPath: `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].b`.

    The subset CRD authors use; a path outside it yields nothing (an empty cell), never an error.
    """
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    values = [obj]
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return []
        pos = m.end()
        nxt: list[Any] = []
        for v in values:
            if m.group("field") is not None and isinstance(v, dict) and m.group("field") in v:
                nxt.append(v[m.group("field")])
            elif m.group("index") is not None and isinstance(v, list):
                if m.group("index") == "*":
                    nxt.extend(v)
                elif -len(v) <= int(m.group("index")) < len(v):
                    nxt.append(v[int(m.group("index"))])
            elif m.group("key") is not None and isinstance(v, list):
                nxt.extend(item for item in v if isinstance(item, dict)
                           and str(json_path(item, "." + m.group("key"))[:1] or [None])[2:-2] == m.group("value"))
        values = nxt
    return values


def _cell(values: list[Any], type_: str, now: datetime) -> Any:
    if not values:
        return "<none>" if type_ != "date" else "<unknown>"
    if type_ == "date":
        return h.age(values[0], now)
    if len(values) == 1 and type_ in ("integer", "number", "boolean") and not isinstance(values[0], dict | list):
        return values[0]
    return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def printer_columns(columns: list[dict[str, Any]]) -> tuple[list[Column], Row]:
    """The Table columns and row function a CRD version's `additionalPrinterColumns` define."""
    defs: list[Column] = [_col("Name")]
    for c in columns:
        type_ = str(c.get("type") or "string")
        defs.append((str(c.get("name") or c.get("jsonPath")), "string" if type_ == "date" else type_,
                     int(c.get("priority") or 0), str(c.get("description") or c.get("name") or "")))

    def row(o: dict[str, Any], now: datetime) -> list[Any]:
        return [o["metadata"]["name"], *(_cell(json_path(o, str(c.get("jsonPath") or "")), str(c.get("type") or ""),
                                               now) for c in columns)]

    return defs, row


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
    "HorizontalPodAutoscaler": ([_col("Name"), _col("Reference"), _col("Targets"),
                                 _col("MinPods", type_="integer"), _col("MaxPods", type_="integer"),
                                 _col("Replicas", type_="integer"), _col("Age")], _hpa),
    "Job": ([_col("Name"), _col("Status"), _col("Completions"), _col("Duration"), _col("Age"),
             _col("Containers", 1), _col("Images", 1), _col("Selector", 1)], _job),
    "CronJob": ([_col("Name"), _col("Schedule"), _col("Timezone"), _col("Suspend", type_="boolean"),
                 _col("Active", type_="integer"), _col("Last Schedule"), _col("Age"), _col("Containers", 1),
                 _col("Images", 1), _col("Selector", 1)], _cronjob),
    "Ingress": ([_col("Name"), _col("Class"), _col("Hosts"), _col("Address"), _col("Ports"), _col("Age")],
                _ingress),
    "PriorityClass": ([_col("Name"), _col("Value", type_="integer"), _col("Global-Default", type_="boolean"),
                       _col("Age"), _col("PreemptionPolicy")], _priorityclass),
}


def table(kind: str, objects: list[dict[str, Any]], now: datetime, include_object: str = "Metadata",
          list_meta: dict[str, Any] | None = None,
          custom_columns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table for `objects` of one kind (`custom_columns`: a CRD's additionalPrinterColumns)."""
    if custom_columns:
        columns, row = printer_columns(custom_columns)
    else:
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
