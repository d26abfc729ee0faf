"""The typed answers (MCP output schemas) of the Kubernetes read tools.

The text answers (render.py, reads.py) stay exactly as they were: runbook rules and people read
them. These models carry the same facts for programs, built from the very objects and rows the
text is rendered from, so a rule can ask `containers[?last_termination.reason=='OOMKilled']`
instead of matching a table cell with a regular expression. They are small and flat on purpose:
JMESPath expressions in runbooks read them (docs/runbooks.md, "Expressions").
Secret values never appear here: Secrets contribute their key names only, and env entries say
where a value comes from, never a Secret's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes import render as r

MAX_ROWS = 500
"""Most rows a listing carries in its structured content (the text is cut by its token budget)."""


def _ts(value: Any) -> str | None:
    """RFC 3339 to the second, as the text prints it; None when absent or unreadable."""
    text = r.ts(value)
    return None if text == "-" else text


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---- shared pieces ---------------------------------------------------------------------------

class Condition(BaseModel):
    """One status condition; `bad` marks what the text marks with `!`."""

    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    since: str | None = None
    bad: bool = False


def conditions_of(conditions: Sequence[dict[str, Any]]) -> list[Condition]:
    """Conditions judged as the text marks them (render.condition_bad)."""
    return [Condition(type=str(c.get("type")), status=str(c.get("status")), reason=c.get("reason"),
                      message=c.get("message"), since=_ts(c.get("lastTransitionTime")), bad=r.condition_bad(c))
            for c in conditions]


class EventRow(BaseModel):
    """One distinct event (same type, reason, object and message merged, counts summed)."""

    type: str | None = None
    reason: str | None = None
    kind: str | None = None
    """The involved object's kind."""
    name: str | None = None
    """The involved object's name."""
    namespace: str = ""
    message: str = ""
    count: int = 1
    first_seen: str | None = None
    last_seen: str | None = None
    source: str = ""
    """Who reported it: the reporting controller, else the source component (`sigs.k8s.io/descheduler`)."""


def event_rows(ordered: Sequence[dict[str, Any]]) -> list[EventRow]:
    """Rows from events already deduplicated and ordered by render.ordered_events."""
    out = []
    for e in ordered[:MAX_ROWS]:
        inv = e.get("involvedObject") or {}
        out.append(EventRow(type=e.get("type"), reason=e.get("reason"), kind=inv.get("kind"), name=inv.get("name"),
                            namespace=(e.get("metadata") or {}).get("namespace") or inv.get("namespace") or "",
                            message=(e.get("message") or "").strip(), count=int(e.get("count") or 1),
                            first_seen=_ts(e.get("firstTimestamp")), last_seen=_ts(e.get("lastTimestamp")),
                            source=str(e.get("reportingController") or (e.get("source") or {}).get("component")
                                       or "")))
    return out


# ---- pods ------------------------------------------------------------------------------------

class Termination(BaseModel):
    """A container's last termination (the crash before the current instance)."""

    reason: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    message: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class Probe(BaseModel):
    """A readiness, liveness or startup probe, flattened."""

    type: Literal["readiness", "liveness", "startup"]
    handler: str
    """httpGet, tcpSocket, grpc or exec."""
    port: str | None = None
    path: str | None = None
    command: list[str] = Field(default_factory=list)
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    timeout_seconds: int = 1
    failure_threshold: int = 3
    success_threshold: int = 1


class Port(BaseModel):
    container_port: int | None = None
    name: str | None = None
    protocol: str = "TCP"


class Container(BaseModel):
    """One container of a pod: spec (image, probes, ports, resources) and status."""

    name: str
    init: bool = False
    image: str | None = None
    state: Literal["running", "waiting", "terminated", "unknown"] = "unknown"
    reason: str | None = None
    """The waiting or terminated reason now (CrashLoopBackOff, ImagePullBackOff, OOMKilled...)."""
    exit_code: int | None = None
    """The exit code when terminated now."""
    message: str | None = None
    started_at: str | None = None
    ready: bool = False
    restarts: int = 0
    last_termination: Termination | None = None
    probes: list[Probe] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    requests: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)
    memory_limit_bytes: float | None = None
    """The memory limit as a number of bytes (None: no limit)."""
    env: list[str] = Field(default_factory=list)
    """`NAME='value'`, or where the value comes from (`NAME=<secret name/key>`): never a Secret's value."""


def _probe(kind: Literal["readiness", "liveness", "startup"], spec: dict[str, Any]) -> Probe:
    handler = next((k for k in ("httpGet", "tcpSocket", "grpc", "exec") if k in spec), "unknown")
    body = spec.get(handler) or {}
    port = body.get("port")
    return Probe(type=kind, handler=handler, port=None if port is None else str(port), path=body.get("path"),
                 command=[str(x) for x in body.get("command") or []],
                 initial_delay_seconds=int(spec.get("initialDelaySeconds") or 0),
                 period_seconds=int(spec.get("periodSeconds") or 10),
                 timeout_seconds=int(spec.get("timeoutSeconds") or 1),
                 failure_threshold=int(spec.get("failureThreshold") or 3),
                 success_threshold=int(spec.get("successThreshold") or 1))


_PROBES: tuple[tuple[Literal["readiness", "liveness", "startup"], str], ...] = (
    ("readiness", "readinessProbe"), ("liveness", "livenessProbe"), ("startup", "startupProbe"))


def container_of(spec: dict[str, Any], status: dict[str, Any] | None, init: bool = False) -> Container:
    """A container from its spec and its status entry (None before the kubelet reported it)."""
    res = spec.get("resources") or {}
    limits = {str(k): str(v) for k, v in (res.get("limits") or {}).items()}
    c = Container(name=str(spec.get("name")), init=init, image=spec.get("image"),
                  requests={str(k): str(v) for k, v in (res.get("requests") or {}).items()}, limits=limits,
                  memory_limit_bytes=h.parse_quantity(limits["memory"]) if "memory" in limits else None,
                  ports=[Port(container_port=_int(p.get("containerPort")), name=p.get("name"),
                              protocol=p.get("protocol") or "TCP") for p in spec.get("ports") or []],
                  probes=[_probe(kind, spec[key]) for kind, key in _PROBES if isinstance(spec.get(key), dict)],
                  env=[r.env_text(e) for e in spec.get("env") or []])
    if not status:
        return c
    c.ready, c.restarts = bool(status.get("ready")), int(status.get("restartCount") or 0)
    state = status.get("state") or {}
    for name in ("running", "waiting", "terminated"):
        if name in state:
            detail = state[name] or {}
            c.state = name  # type: ignore[assignment]
            c.reason, c.message = detail.get("reason"), detail.get("message")
            c.exit_code = _int(detail.get("exitCode"))
            c.started_at = _ts(detail.get("startedAt"))
            break
    last = (status.get("lastState") or {}).get("terminated")
    if last:
        c.last_termination = Termination(reason=last.get("reason"), exit_code=_int(last.get("exitCode")),
                                         signal=_int(last.get("signal")), message=last.get("message"),
                                         started_at=_ts(last.get("startedAt")), finished_at=_ts(last.get("finishedAt")))
    return c


class PodFacts(BaseModel):
    """A pod's health: what `k8s_describe`/`k8s_get` of a Pod and each row of `k8s_list` pods know."""

    name: str
    namespace: str = ""
    phase: str | None = None
    status: str
    """kubectl's STATUS: a waiting/terminated reason beats the phase (CrashLoopBackOff, OOMKilled...)."""
    reason: str | None = None
    """The pod-level reason (Evicted, NodeLost...)."""
    ready: str
    """`ready/total` app containers."""
    ready_containers: int = 0
    total_containers: int = 0
    restarts: int = 0
    last_restart: str | None = None
    node: str | None = None
    problem: str | None = None
    owners: list[str] = Field(default_factory=list)
    """Direct owners, `Kind/name`."""
    conditions: list[Condition] = Field(default_factory=list)
    containers: list[Container] = Field(default_factory=list)
    """Init containers first (in their order), then the app containers."""


def pod_facts(pod: dict[str, Any]) -> PodFacts:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    containers: list[Container] = []
    for key, status_key, init in (("initContainers", "initContainerStatuses", True),
                                  ("containers", "containerStatuses", False)):
        statuses = {s.get("name"): s for s in status.get(status_key) or []}
        containers.extend(container_of(c, statuses.get(c.get("name")), init) for c in spec.get(key) or [])
    last = h.last_restart(pod)
    apps = [c for c in containers if not c.init]
    return PodFacts(name=str(meta.get("name")), namespace=meta.get("namespace") or "", phase=status.get("phase"),
                    status=h.pod_status(pod), reason=status.get("reason"), ready=h.pod_ready(pod),
                    ready_containers=sum(1 for c in h.container_statuses(pod) if c.get("ready")),
                    total_containers=len(apps), restarts=h.restarts(pod),
                    last_restart=last.strftime("%Y-%m-%dT%H:%M:%SZ") if last else None,
                    node=spec.get("nodeName"), problem=h.pod_problem(pod),
                    owners=[f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or []],
                    conditions=conditions_of(status.get("conditions") or []), containers=containers)


# ---- k8s_list --------------------------------------------------------------------------------

class ListRow(BaseModel):
    """One object of a listing; fields that do not apply to the kind are null."""

    name: str
    namespace: str = ""
    status: str | None = None
    """Pods: kubectl's STATUS; Nodes: Ready or NotReady; Events: the type."""
    ready: str | None = None
    """Pods: ready/total containers; workloads: ready/desired replicas."""
    restarts: int | None = None
    node: str | None = None
    images: list[str] = Field(default_factory=list)
    created: str | None = None
    problem: str | None = None
    last_termination_reason: str | None = None
    """Pods: the first container's last termination reason found (OOMKilled, Error...)."""
    last_exit_code: int | None = None


class ListAnswer(BaseModel):
    """The structured answer of k8s_list."""

    kind: str
    namespace: str = ""
    """The namespace listed; empty for all namespaces or a cluster-scoped kind."""
    total: int
    """Objects listed (before problems_only)."""
    unhealthy: int
    problem_counts: dict[str, int] = Field(default_factory=dict)
    """Problems with numbers masked (`restarted Nx (last: OOMKilled)`), and how many rows have each."""
    rows: list[ListRow] = Field(default_factory=list)
    """Unhealthy first, then by namespace and name (only unhealthy ones with problems_only)."""
    left_out: int = 0
    """Rows not carried here (over `limit` or the structured cap)."""
    hidden_namespaces: list[str] = Field(default_factory=list)
    truncated: bool = False
    """The API listing was cut at its item cap."""


def _list_row(kind: str, o: dict[str, Any], problem: str | None) -> ListRow:
    meta, spec, status = o.get("metadata") or {}, o.get("spec") or {}, o.get("status") or {}
    row = ListRow(name=str(meta.get("name")), namespace=meta.get("namespace") or "", problem=problem,
                  created=_ts(meta.get("creationTimestamp")))
    if kind == "Pod":
        row.status, row.ready, row.restarts, row.node = h.pod_status(o), h.pod_ready(o), h.restarts(o), \
            spec.get("nodeName")
        row.images = r.images(o)
        last = next(((c.get("lastState") or {}).get("terminated") for c in h.container_statuses(o)
                     if (c.get("lastState") or {}).get("terminated")), None)
        if last:
            row.last_termination_reason, row.last_exit_code = last.get("reason"), _int(last.get("exitCode"))
    elif kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        row.ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
        row.images = r.images(o)
    elif kind == "DaemonSet":
        row.ready = f"{status.get('numberReady', 0)}/{status.get('desiredNumberScheduled', 0)}"
        row.images = r.images(o)
    elif kind == "Node":
        row.status = "NotReady" if problem and "NotReady" in problem else "Ready"
    elif kind == "Event":
        row.status = o.get("type")
    return row


def list_answer(kind: str, items: list[dict[str, Any]], *, namespace: str, hidden: Sequence[str],
                limit: int | None, truncated: bool, problems_only: bool) -> ListAnswer:
    """The same ranking and counting as render.list_answer, as data."""
    ranked, problems = r.rank_by_health(items)
    counts = r.problem_counts(problems)
    pairs = [(o, p) for o, p in zip(ranked, problems, strict=True) if p or not problems_only]
    keep = min(len(pairs), MAX_ROWS if limit is None else min(limit, MAX_ROWS))
    return ListAnswer(kind=kind, namespace=namespace, total=len(items), unhealthy=sum(1 for p in problems if p),
                      problem_counts=counts, rows=[_list_row(kind, o, p) for o, p in pairs[:keep]],
                      left_out=len(pairs) - keep, hidden_namespaces=sorted(hidden), truncated=truncated)


# ---- k8s_events ------------------------------------------------------------------------------

class EventsAnswer(BaseModel):
    """The structured answer of k8s_events: distinct events, warnings first, then newest first."""

    namespace: str = ""
    records: int
    """Event records read before merging."""
    distinct: int
    warnings: int
    events: list[EventRow] = Field(default_factory=list)
    left_out: int = 0
    hidden_namespaces: list[str] = Field(default_factory=list)


def events_answer(ordered: Sequence[dict[str, Any]], records: int, namespace: str,
                  hidden: Sequence[str]) -> EventsAnswer:
    rows = event_rows(ordered)
    return EventsAnswer(namespace=namespace, records=records, distinct=len(ordered),
                        warnings=sum(1 for e in ordered if e.get("type") == "Warning"), events=rows,
                        left_out=len(ordered) - len(rows), hidden_namespaces=sorted(hidden))


# ---- k8s_rollout_history ---------------------------------------------------------------------

class Revision(BaseModel):
    """One revision of a workload, with what changed against the one before."""

    revision: int
    name: str
    """The ReplicaSet or ControllerRevision."""
    created: str | None = None
    images: list[str] = Field(default_factory=list)
    pods: str = "-"
    """ready/desired pods of a Deployment's ReplicaSet; `-` for ControllerRevisions."""
    change_cause: str = ""
    changes: list[str] = Field(default_factory=list)
    """The pod-template diff to the revision before (`app image a:1 -> a:2`, `app memory limit ...`)."""


class RolloutHistory(BaseModel):
    """The structured answer of k8s_rollout_history; revisions oldest first."""

    kind: str
    namespace: str
    name: str
    current_revision: int | None = None
    previous_revision: int | None = None
    """The rollback candidate."""
    revisions: list[Revision] = Field(default_factory=list)


def revisions_of(rows: Sequence[dict[str, Any]]) -> list[Revision]:
    """Models from reads.revisions' rows (the same rows the text prints)."""
    return [Revision(revision=int(x["revision"]), name=str(x["name"]), created=_ts(x.get("created_at")),
                     images=[i for i in str(x.get("images") or "").split(",") if i], pods=str(x.get("pods") or "-"),
                     change_cause=str(x.get("cause") or ""), changes=list(x.get("changes") or []))
            for x in rows]


def rollout_history(obj: dict[str, Any], rows: Sequence[dict[str, Any]]) -> RolloutHistory:
    meta = obj.get("metadata") or {}
    revs = revisions_of(rows)
    return RolloutHistory(kind=str(obj.get("kind")), namespace=meta.get("namespace") or "", name=str(meta.get("name")),
                          current_revision=revs[-1].revision if revs else None,
                          previous_revision=revs[-2].revision if len(revs) > 1 else None, revisions=revs)


# ---- k8s_nodes and k8s_top -------------------------------------------------------------------

class NodeRow(BaseModel):
    """One node: conditions, pressure, schedulability, and requests against allocatable."""

    name: str
    ready: bool
    problem: str | None = None
    pressure: list[str] = Field(default_factory=list)
    """MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable when True."""
    unschedulable: bool = False
    taints: list[str] = Field(default_factory=list)
    """`key=value:Effect`."""
    conditions: list[Condition] = Field(default_factory=list)
    cpu_allocatable: float = 0.0
    """Cores."""
    cpu_requested: float = 0.0
    memory_allocatable: float = 0.0
    """Bytes."""
    memory_requested: float = 0.0
    pods: int = 0
    """Pods placed on the node and not finished."""
    pod_capacity: int | None = None
    kubelet: str = ""
    os_image: str = ""
    """`status.nodeInfo.osImage` (Amazon Linux 2023, Bottlerocket OS 1.20, Ubuntu 22.04.4 LTS)."""
    kernel: str = ""
    runtime: str = ""
    """`status.nodeInfo.containerRuntimeVersion` (containerd://1.7.22)."""
    created: str = ""
    group: str = ""
    """The node group that made it, from the provisioner's own label (Karpenter NodePool, EKS/GKE/AKS pool)."""
    instance_type: str = ""


NODE_GROUP_LABELS = ("karpenter.sh/nodepool", "karpenter.sh/provisioner-name", "eks.amazonaws.com/nodegroup",
                     "alpha.eksctl.io/nodegroup-name", "cloud.google.com/gke-nodepool",
                     "kubernetes.azure.com/agentpool", "node.kubernetes.io/nodegroup",
                     "cluster.x-k8s.io/deployment-name")
"""Labels provisioners put on their nodes naming the group (or template) each node came from."""


class NodesAnswer(BaseModel):
    """The structured answer of k8s_nodes: nodes with problems first."""

    total: int
    with_problems: int
    nodes: list[NodeRow] = Field(default_factory=list)


def taints_of(node_spec: dict[str, Any]) -> list[str]:
    """A node's taints as `key=value:Effect` (`key:Effect` without a value)."""
    return [f"{t.get('key')}" + (f"={t['value']}" if t.get("value") else "") + f":{t.get('effect')}"
            for t in node_spec.get("taints") or []]


def node_row(n: dict[str, Any], requested: tuple[float, float, int]) -> NodeRow:
    status, spec = n.get("status") or {}, n.get("spec") or {}
    meta, info = n.get("metadata") or {}, status.get("nodeInfo") or {}
    labels = meta.get("labels") or {}
    alloc = status.get("allocatable") or {}
    conditions = status.get("conditions") or []
    ready: dict[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
    cpu_r, mem_r, count = requested
    return NodeRow(name=n["metadata"]["name"], ready=ready.get("status") == "True", problem=h.node_problem(n),
                   pressure=[str(c.get("type")) for c in conditions
                             if c.get("type") != "Ready" and c.get("status") == "True"],
                   unschedulable=bool(spec.get("unschedulable")),
                   taints=taints_of(spec),
                   conditions=conditions_of(conditions), cpu_allocatable=h.parse_quantity(alloc.get("cpu")),
                   cpu_requested=round(cpu_r, 4), memory_allocatable=h.parse_quantity(alloc.get("memory")),
                   memory_requested=mem_r, pods=count, pod_capacity=_int(alloc.get("pods")),
                   kubelet=info.get("kubeletVersion", ""), os_image=info.get("osImage", ""),
                   kernel=info.get("kernelVersion", ""), runtime=info.get("containerRuntimeVersion", ""),
                   created=str(meta.get("creationTimestamp") or ""),
                   group=next((str(labels[k]) for k in NODE_GROUP_LABELS if labels.get(k)), ""),
                   instance_type=str(labels.get("node.kubernetes.io/instance-type") or ""))


class UsageRow(BaseModel):
    """Current usage of one pod or node from metrics-server."""

    name: str
    namespace: str = ""
    cpu_cores: float
    memory_bytes: float
    memory_limit_bytes: float | None = None
    """Pods: the summed memory limits of the containers (None: no limit)."""
    percent_of_limit: float | None = None
    """Pods: memory against the limit; nodes: memory against allocatable."""
    cpu_percent: float | None = None
    """Nodes: CPU against allocatable."""


class TopAnswer(BaseModel):
    """The structured answer of k8s_top: pods closest to their memory limit first, or nodes by memory."""

    what: Literal["pods", "nodes"]
    namespace: str = ""
    at: str | None = None
    """The metrics' timestamp (nodes)."""
    rows: list[UsageRow] = Field(default_factory=list)


# ---- k8s_get and k8s_describe ----------------------------------------------------------------

class Replicas(BaseModel):
    desired: int | None = None
    ready: int = 0
    updated: int = 0
    available: int = 0


class WorkloadPod(BaseModel):
    """A pod of a described workload."""

    name: str
    ready: str
    status: str
    restarts: int
    problem: str | None = None


class Endpoints(BaseModel):
    """Which pods back a described Service."""

    ready: list[str] = Field(default_factory=list)
    not_ready: list[str] = Field(default_factory=list)


class ObjectAnswer(BaseModel):
    """The structured answer of k8s_get and k8s_describe, for any kind.

    The kind-specific parts are null or empty where they do not apply: `pod` for Pods, `replicas`
    and `images` for workloads, `secret_keys` for Secrets (never values), `revisions`, `pods`,
    `endpoints`, `owner_chain` and `events` only from k8s_describe."""

    kind: str
    name: str
    namespace: str = ""
    created: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    owners: list[str] = Field(default_factory=list)
    """Direct owners, `Kind/name`."""
    problem: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    pod: PodFacts | None = None
    replicas: Replicas | None = None
    images: list[str] = Field(default_factory=list)
    revision: int | None = None
    secret_keys: list[str] = Field(default_factory=list)
    allocatable: dict[str, str] = Field(default_factory=dict)
    """Nodes: allocatable resources."""
    taints: list[str] = Field(default_factory=list)
    unschedulable: bool = False
    service_type: str | None = None
    selector: dict[str, str] = Field(default_factory=dict)
    data_keys: list[str] = Field(default_factory=list)
    """ConfigMaps: the keys (values are in the text)."""
    owner_chain: list[str] = Field(default_factory=list)
    """k8s_describe: controllers above the object, `Kind/name` with `[problem]` when unhealthy."""
    revisions: list[Revision] = Field(default_factory=list)
    """k8s_describe of a Deployment: the latest revisions."""
    pods: list[WorkloadPod] = Field(default_factory=list)
    """k8s_describe of a workload: its pods, unhealthy first."""
    endpoints: Endpoints | None = None
    events: list[EventRow] = Field(default_factory=list)
    """k8s_describe: the object's events and warnings on its pods, warnings first."""


def object_answer(obj: dict[str, Any]) -> ObjectAnswer:
    """What k8s_get's summary says about `obj`, as data (describe adds its parts to it)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status")
    status = status if isinstance(status, dict) else {}
    kind = str(obj.get("kind"))
    out = ObjectAnswer(kind=kind, name=str(meta.get("name")), namespace=meta.get("namespace") or "",
                       created=_ts(meta.get("creationTimestamp")),
                       labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
                       owners=[f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or []],
                       problem=h.problem(obj), conditions=conditions_of(status.get("conditions") or []))
    if kind == "Pod":
        out.pod = pod_facts(obj)
        out.images = r.images(obj)
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        out.replicas = Replicas(desired=_int(spec.get("replicas")), ready=int(status.get("readyReplicas") or 0),
                                updated=int(status.get("updatedReplicas") or 0),
                                available=int(status.get("availableReplicas") or 0))
        out.images = r.images(obj)
        out.revision = _int((meta.get("annotations") or {}).get("deployment.kubernetes.io/revision"))
    elif kind == "Node":
        out.allocatable = {str(k): str(v) for k, v in (status.get("allocatable") or {}).items()}
        out.taints = taints_of(spec)
        out.unschedulable = bool(spec.get("unschedulable"))
    elif kind == "Secret":
        out.secret_keys = r.secret_keys(obj)
    elif kind == "ConfigMap":
        out.data_keys = sorted(obj.get("data") or {})
    elif kind == "Service":
        out.service_type = spec.get("type")
        out.selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    return out
