"""Where a service sits: its pods and nodes, its neighbours, what it depends on, who depends on it.

A symptom is often not its own cause: a frontend fails because its backend has no ready
endpoints, a pod is OOMKilled because a neighbour without a memory limit starved the node, every
call fails because cluster DNS is down. This module answers those questions from the objects
alone, deterministically:

- dependencies come from what the workload is configured to call: env values and ConfigMap data
  (URLs, database DSNs, `host:port`, plain host names) whose host is a Service (`svc`, `svc.ns`,
  `svc.ns.svc.<cluster domain>`, a StatefulSet pod's `pod.svc.ns.svc...`, a ClusterIP), plus hosts
  the caller read in logs; each dependency's health from its EndpointSlices (or Endpoints) and
  the pods behind it;
- dependents are the reverse, over every visible workload;
- Secrets are never read here: a DSN kept in a Secret is not seen (its values never leave).

`read_topology_objects` does the reads; `build_topology` is pure over the lists.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.common.compact import fit_text
from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes.changes import Objects, named_after, pod_template, read_objects
from mcp_servers.kubernetes.client import KubeClient
from mcp_servers.kubernetes.egress import egress_verdict, target_ports
from mcp_servers.kubernetes.egress_dnat import virtual_ip_rule
from mcp_servers.kubernetes.objectref import ObjectRef, ref_key, ref_of
from mcp_servers.kubernetes.reads import _requests
from mcp_servers.kubernetes.settings import bounding

TOPOLOGY_KINDS = ("Pod", "Service", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ConfigMap", "Node",
                  "EndpointSlice", "Endpoints", "NetworkPolicy")
SUBJECT_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service", "Pod")
"""Searched in this order; with one name in one namespace, the workload wins over its Service."""
KIND_ALIASES = {
    "deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
    "statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
    "daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
    "service": "Service", "services": "Service", "svc": "Service",
    "pod": "Pod", "pods": "Pod", "po": "Pod",
}
MAX_NEIGHBOURS = 25
RECENT_RESTART = timedelta(hours=1)
"""A pod (DNS, or behind a dependency) that restarted this recently is not healthy, even if ready now."""
MAX_VALUE_CHARS = 65536
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "::"})
DNS_LABELS = ("kube-dns", "coredns")

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s?#\"'<>]+)")
_KV_HOST = re.compile(r"(?i)(?<![\w-])(?:host|hostname|server|address|addr|data source)\s*=\s*([^\s;,'\"]+)")
_COREFILE_ZONE = re.compile(r"^\s*kubernetes\s+([A-Za-z0-9.-]+)", re.MULTILINE)
_ADDRESS_KEY = re.compile(r"HOST|ADDR|SERVER|ENDPOINT|URL|URI|DSN|SERVICE|SVC|UPSTREAM|BACKEND|BROKER|PEER|"
                          r"TARGET|REMOTE|NODES|CLUSTER|DATABASE|_DB|^DB|REDIS|KAFKA|AMQP|MONGO|POSTGRES|MYSQL|API")
_HOST_PORT = re.compile(rf"(?<![\w./:@-])({_LABEL}(?:\.{_LABEL})*|\d{{1,3}}(?:\.\d{{1,3}}){{3}}):(\d{{2,5}})(?![\w.])")


class Dependency(BaseModel):
    target: ObjectRef = Field(description='Usually a Service; an external host has kind "ExternalHost".')
    via: str = Field(description='Where the reference was found, e.g. "env PAYMENTS_URL".')
    healthy: bool | None = Field(description="Ready endpoints > 0 and backing pods healthy; None when unknown.")
    detail: str


class SecretUse(BaseModel):
    """A Secret the workload's pods read credentials or settings from: by name, never by value."""

    secret: ObjectRef
    via: str = Field(description='How the pods read it, e.g. "env DB_PASSWORD", "envFrom", "volume tls".')


class ConfigSetting(BaseModel):
    """A setting inside a ConfigMap value that bounds a resource (memory, connections, timeout, size,
    rate): the limit an error in the logs may say was reached (mcp_servers.kubernetes.settings)."""

    configmap: ObjectRef
    file: str = Field(description="The ConfigMap key holding it (redis.conf, application.yaml...).")
    setting: str
    value: str
    resource: str
    software: str = ""
    says: str = Field(default="", description="What that software prints at the limit (a regular expression).")
    workload: ObjectRef = Field(description="The workload that reads the ConfigMap (the subject or a dependency's).")


class EgressBlock(BaseModel):
    """A dependency the subject's own NetworkPolicies do not let its pods reach on any of its ports."""

    target: ObjectRef
    policies: list[ObjectRef] = Field(description="The egress-isolating policies selecting the subject's pods.")
    ports: list[str] = Field(description='The dependency\'s pod ports none of their rules allow, e.g. "5432/TCP".')
    detail: str
    why: str = Field(default="", description="The mechanism when the objects show it (an ipBlock holding only the "
                                             "Service's ClusterIP: mcp_servers.kubernetes.egress_dnat).")


class DatastoreClient(BaseModel):
    """A workload that opens connections to a datastore, and how many it may hold per pod when its
    configuration says (a pool size in env or a ConfigMap it reads)."""

    workload: ObjectRef
    replicas: int | None = None
    via: str = Field(description='How it reaches the datastore, e.g. "env DB_HOST" or "Secret shop/orders-db".')
    pool: str = Field(default="", description='Its connection-pool setting, e.g. "HIKARI_MAXIMUM_POOL_SIZE=30".')


class Datastore(BaseModel):
    """A database, cache or pooler the subject may connect to: a Service exposing a datastore port.

    `configured` ones are hosts in its env or ConfigMaps; the others are inferred, for a subject that
    keeps its DSN in a Secret (never read): a Service of its namespace on a datastore port that its
    egress policies allow, named like one of the Secrets or env variables it reads."""

    service: ObjectRef
    port: int
    engine: str
    workload: ObjectRef | None = None
    pods: list[str] = Field(default_factory=list, description="Its running pods, whose logs show the limit.")
    configured: bool
    why: str
    clients: list[DatastoreClient] = Field(default_factory=list,
                                           description="Workloads that connect to it, the subject included.")


class PodPlace(BaseModel):
    name: str
    namespace: str
    node: str
    phase: str
    ready: bool
    reason: str = ""


class Topology(BaseModel):
    """The neighbourhood of one service, workload or pod."""

    subject: ObjectRef
    workloads: list[ObjectRef] = Field(default_factory=list)
    services: list[ObjectRef] = Field(default_factory=list)
    pods: list[PodPlace] = Field(default_factory=list)
    nodes: list[dict[str, Any]] = Field(default_factory=list,
                                        description="name, ready, pressure, requested vs allocatable cpu/memory")
    neighbours: list[PodPlace] = Field(default_factory=list,
                                       description="Other pods on the same nodes: unhealthy, without memory "
                                                   "limit, or writing the node's disk through a hostPath.")
    dependencies: list[Dependency] = Field(default_factory=list)
    dependents: list[ObjectRef] = Field(default_factory=list)
    secrets: list[SecretUse] = Field(default_factory=list,
                                     description="Secrets the pods read (names only): where credentials come from.")
    egress_blocked: list[EgressBlock] = Field(default_factory=list,
                                              description="Dependencies the subject's egress NetworkPolicies deny.")
    settings: list[ConfigSetting] = Field(default_factory=list,
                                          description="Resource-bounding settings in the ConfigMaps the subject "
                                                      "and its in-cluster dependencies read.")
    datastores: list[Datastore] = Field(default_factory=list,
                                        description="Datastores the subject connects to, configured or inferred "
                                                    "(best first), with their other clients.")
    dns: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    hidden_namespaces: list[str] = Field(default_factory=list)


# ---- reading ------------------------------------------------------------------------------

def read_topology_objects(kc: KubeClient, ctx: str) -> tuple[Objects, list[str]]:
    """Everything the topology needs, all namespaces, unfiltered: node requests must count every
    pod. `build_topology` applies the caller's visibility to what it names."""
    objects, _, errors = read_objects(kc, ctx, None, lambda ns: True, TOPOLOGY_KINDS)
    return objects, errors


# ---- small helpers ------------------------------------------------------------------------

def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _ns(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("namespace") or "")


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name") or "")


def _selects(selector: dict[str, Any] | None, labels: dict[str, Any] | None) -> bool:
    """A Service's map selector (or a matchLabels) against labels; empty selects nothing."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _workload_selector(obj: dict[str, Any]) -> dict[str, Any]:
    return ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}


def pod_place(p: dict[str, Any]) -> PodPlace:
    statuses = h.container_statuses(p)
    ready = bool(statuses) and all(c.get("ready") for c in statuses)
    return PodPlace(name=_name(p), namespace=_ns(p), node=str((p.get("spec") or {}).get("nodeName") or ""),
                    phase=str((p.get("status") or {}).get("phase") or "Unknown"), ready=ready,
                    reason=h.pod_problem(p) or "")


def _pod_unhealthy(p: dict[str, Any]) -> str | None:
    """A current problem (not merely old restarts): the status is not healthy or it is not ready."""
    status = h.pod_status(p)
    if status not in h.HEALTHY_POD_STATUSES:
        return status
    if status == "Running" and not pod_place(p).ready:
        return "not ready"
    return None


def _no_memory_limit(p: dict[str, Any]) -> list[str]:
    return [str(c.get("name")) for c in (p.get("spec") or {}).get("containers") or []
            if not ((c.get("resources") or {}).get("limits") or {}).get("memory")]


SYSTEM_HOST_PATHS = ("/proc", "/sys", "/dev", "/run", "/var/run", "/etc", "/lib/modules", "/usr", "/boot",
                     "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/log", "/var/lib/cni",
                     "/opt/cni", "/etc/cni", "/var/lib/calico", "/run/containerd")
"""Host paths node agents mount by design (kubelet, runtime, CNI, logs, kernel): not a workload's data."""


def node_disk_writes(p: dict[str, Any]) -> list[str]:
    """`hostPath PATH at MOUNT` for each host directory a container writes to outside the system
    paths. What a pod writes there is charged to no pod's ephemeral-storage, so when it fills the
    node's disk the kubelet's DiskPressure evictions pick other pods, never the writer."""
    spec = p.get("spec") or {}
    host_paths = {str(v.get("name")): str((v.get("hostPath") or {}).get("path") or "")
                  for v in spec.get("volumes") or [] if v.get("hostPath")}
    out = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for m in c.get("volumeMounts") or []:
            path = host_paths.get(str(m.get("name")))
            if not path or m.get("readOnly") or path == "/" or any(
                    path == s or path.startswith(s + "/") for s in SYSTEM_HOST_PATHS):
                continue
            out.append(f"hostPath {path} at {m.get('mountPath')}")
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Target:
    """Where a configured host points: (kind, namespace, name), the Service if it exists, and why
    the host cannot work when it cannot (empty otherwise)."""

    key: tuple[str, str, str]
    service: dict[str, Any] | None
    problem: str


class _Index:
    """Lookups over the object lists the topology needs."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.services = {(_ns(s), _name(s)): s for s in objects.get("Service") or []}
        self.by_ip = {str((s.get("spec") or {}).get("clusterIP")): s for s in objects.get("Service") or []
                      if (s.get("spec") or {}).get("clusterIP") not in (None, "", "None")}
        self.configmaps = {(_ns(c), _name(c)): c for c in objects.get("ConfigMap") or []}
        self.configmaps_in: dict[str, list[dict[str, Any]]] = {}
        for c in objects.get("ConfigMap") or []:
            self.configmaps_in.setdefault(_ns(c), []).append(c)
        self.replicasets = {(_ns(r), _name(r)): r for r in objects.get("ReplicaSet") or []}
        self.nodes = {_name(n): n for n in objects.get("Node") or []}
        self.pods = list(objects.get("Pod") or [])
        self.namespaces = {ns for ns, _ in self.services} | {_ns(p) for p in self.pods}
        # gRPC and other client-side balancers dial pod IPs, not the ClusterIP: a pod's IP means the
        # Service that selects the pod (the first, by name, when several do).
        for pod in self.pods:
            ip = str((pod.get("status") or {}).get("podIP") or "")
            if not ip or ip in self.by_ip:
                continue
            labels = (pod.get("metadata") or {}).get("labels") or {}
            selecting = sorted((svc for (ns, _), svc in self.services.items() if ns == _ns(pod)
                                and (svc.get("spec") or {}).get("selector")
                                and _selects((svc.get("spec") or {}).get("selector"), labels)), key=_name)
            if selecting:
                self.by_ip[ip] = selecting[0]

    def workloads(self) -> list[dict[str, Any]]:
        return [w for kind in ("Deployment", "StatefulSet", "DaemonSet") for w in self.objects.get(kind) or []]

    def owner(self, pod: dict[str, Any]) -> ObjectRef | None:
        """The workload a pod belongs to: ReplicaSet -> its Deployment, or the direct controller."""
        refs = _meta(pod).get("ownerReferences") or []
        ref = next((x for x in refs if x.get("controller")), refs[0] if refs else None)
        if not ref:
            return None
        kind, name = str(ref.get("kind")), str(ref.get("name"))
        if kind == "ReplicaSet":
            rs = self.replicasets.get((_ns(pod), name))
            up = (_meta(rs).get("ownerReferences") or []) if rs else []
            if up:
                return ObjectRef(kind=str(up[0].get("kind")), namespace=_ns(pod), name=str(up[0].get("name")))
        return ObjectRef(kind=kind, namespace=_ns(pod), name=name)

    @cached_property
    def now(self) -> datetime:
        return self.observed_now()

    @cached_property
    def domain(self) -> str:
        return self.cluster_domain()

    def observed_now(self) -> datetime:
        """The time of the snapshot: the newest node heartbeat (kubelets post one about every
        minute), else the clock; so "recent" means recent to the data, replayed or live."""
        beats = [h.parse_ts(c.get("lastHeartbeatTime")) for n in self.nodes.values()
                 for c in (n.get("status") or {}).get("conditions") or []]
        known = [b for b in beats if b is not None]
        return max(known) if known else datetime.now(UTC)

    def cluster_domain(self) -> str:
        """The cluster DNS domain from CoreDNS's Corefile (`kubernetes cluster.local ...`), else the
        default cluster.local."""
        for (ns, name), cm in self.configmaps.items():
            if ns == "kube-system" and name in DNS_LABELS:
                m = _COREFILE_ZONE.search(str((cm.get("data") or {}).get("Corefile") or ""))
                if m:
                    return m.group(1).lower().rstrip(".")
        return "cluster.local"

    def target(self, host: str, namespace: str, explicit: bool) -> Target | None:
        """What a host from `namespace`'s configuration points at: a Service (with a problem when the
        name cannot resolve, e.g. a misspelt cluster domain), a Service name that does not exist
        (problem set), an external host, or None when it is no host worth naming."""
        host = host.strip().strip("[]").lower().rstrip(".")
        parts = host.split(".")
        problem = ""
        if "svc" in parts[2:]:
            suffix = ".".join(parts[parts.index("svc", 2) + 1:])
            if suffix and suffix != self.domain:
                problem = (f"{host} ends in .svc.{suffix}, not the cluster domain .svc.{self.domain}: "
                           "the name does not resolve")
        svc = self.resolve_host(host, namespace)
        if svc is not None:
            return Target(("Service", _ns(svc), _name(svc)), svc, problem)
        internal: tuple[str, str] | None = None
        if "svc" in parts[2:]:
            i = parts.index("svc", 2)
            internal = (parts[i - 1], parts[i - 2])
        elif len(parts) == 2 and parts[1] in self.namespaces:
            internal = (parts[1], parts[0])
        elif len(parts) == 1 and explicit and host not in LOCAL_HOSTS and not _is_ip(host):
            internal = (namespace, host)
        if internal is not None:
            return Target(("Service", *internal), None,
                          problem or f"no Service {internal[0]}/{internal[1]} exists: {host} does not resolve")
        if explicit and _is_external(host):
            return Target(("ExternalHost", "", host), None, "")
        return None

    def resolve_host(self, host: str, namespace: str) -> dict[str, Any] | None:
        """The Service a host name or ClusterIP means, seen from `namespace`, or None."""
        host = host.strip().strip("[]").lower().rstrip(".")
        if host in self.by_ip:
            return self.by_ip[host]
        parts = host.split(".")
        if len(parts) == 1:
            return self.services.get((namespace, parts[0]))
        if "svc" in parts[1:]:
            i = parts.index("svc", 1)
            if i >= 2:
                return self.services.get((parts[i - 1], parts[i - 2]))
            return None
        if len(parts) == 2:
            return self.services.get((parts[1], parts[0]))
        if len(parts) == 3 and parts[2] in self.namespaces:  # pod.svc.ns of a headless Service
            return self.services.get((parts[2], parts[1]))
        return None


# ---- finding hosts in configuration -------------------------------------------------------

def hosts_in(value: str) -> list[tuple[str, bool]]:
    """Hosts a configuration value points at, each with whether the form is explicit (a URL, a
    DSN, host:port) rather than a bare word that only counts when it names a Service."""
    text = value[:MAX_VALUE_CHARS]
    out: list[tuple[str, bool]] = []
    rest = text
    for m in _URL.finditer(text):
        netloc = m.group(1).rsplit("@", 1)[-1]
        for part in netloc.split(","):
            out.append((_strip_port(part), True))
        rest = rest.replace(m.group(0), " ")
    for m in _KV_HOST.finditer(rest):
        out.append((_strip_port(m.group(1)), True))
    for m in _HOST_PORT.finditer(rest):
        out.append((m.group(1), True))
    bare = text.strip().lower()
    if _HOSTNAME.match(bare) and (not bare.replace(".", "").isdigit() or _is_ip(bare)):
        out.append((bare, False))
    seen: set[str] = set()
    unique = []
    for host, explicit in out:
        host = host.strip().lower()
        if host and host not in seen:
            seen.add(host)
            unique.append((host, explicit))
    return unique


def _strip_port(hostport: str) -> str:
    hostport = hostport.strip()
    if hostport.startswith("["):
        return hostport[1:hostport.find("]")] if "]" in hostport else hostport
    return hostport.split(":", 1)[0] if hostport.count(":") == 1 else hostport


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _names_an_address(key: str) -> bool:
    """Whether the key a value came from says it holds an address (DB_HOST, PAYMENTS_ADDR,
    UPSTREAM, BROKERS ...): a bare word like `redis` counts as a host only under such a key, so a
    LOG_LEVEL of `debug` never becomes a dependency on a Service that happens to be called debug."""
    return bool(_ADDRESS_KEY.search(key.upper()))


def _is_external(host: str) -> bool:
    """An explicit host that is worth naming as an external dependency: a dotted name or an IP."""
    if host in LOCAL_HOSTS or not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
        return not ip.is_loopback and not ip.is_unspecified
    except ValueError:
        return "." in host and bool(_HOSTNAME.match(host)) and not host.replace(".", "").isdigit()


ConfigUse = Literal["env", "envFrom", "volume", "unreferenced"]
"""How a pod reads a ConfigMap key: one env variable (configMapKeyRef), all keys as env (envFrom), a
file of a mounted volume, or not at all (a ConfigMap named after the workload its spec never names)."""

@dataclass(frozen=True)
class ConfigValue:
    """One configuration value a pod template can read, with where it came from kept as data, so that
    the ConfigMap, its key and how it is used are read from fields and never parsed back out of `via`.

    `key` is the name the value sits under: the env variable, the ConfigMap key, or "command"/"args".
    `field` is the container field a value written in the spec sits in; `configmap` is (namespace, name)
    for a value read from a ConfigMap instead, with `use` saying how and `env` naming the variable a
    configMapKeyRef fills."""

    key: str
    value: str
    field: Literal["env", "command", "args"] = "env"
    configmap: tuple[str, str] | None = None
    use: ConfigUse | None = None
    env: str = ""

    @property
    def via(self) -> str:
        """The human account of where the value came from, as reports show it."""
        if self.configmap is None:
            return f"env {self.key}" if self.field == "env" else self.field
        namespace, name = self.configmap
        how = {"env": f" (env {self.env})", "volume": " (volume)",
               "unreferenced": " (named after the workload, not referenced by its spec)"}.get(self.use or "", "")
        return f"configmap {namespace}/{name} key {self.key}{how}"


def config_values(index: _Index, template: dict[str, Any], namespace: str, workload_name: str,
                  app_labels: dict[str, Any]) -> list[ConfigValue]:
    """Every configuration value a pod template can read, Secrets excepted: env literals, env from
    ConfigMap keys, envFrom ConfigMaps, ConfigMap volumes, command and args, and ConfigMaps named or
    labelled after the workload though its spec does not reference them (charts often keep an app's
    settings there)."""
    spec = template.get("spec") or {}
    out: list[ConfigValue] = []
    used: set[str] = set()

    def cm_values(name: str, use: ConfigUse, env: str = "") -> list[ConfigValue]:
        cm = index.configmaps.get((namespace, name))
        used.add(name)
        return [ConfigValue(str(k), str(v), configmap=(namespace, name), use=use, env=env)
                for k, v in ((cm or {}).get("data") or {}).items()]

    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for e in c.get("env") or []:
            if "value" in e:
                out.append(ConfigValue(str(e.get("name")), str(e.get("value") or "")))
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                out += [cv for cv in cm_values(str(ref.get("name")), "env", str(e.get("name")))
                        if cv.key == ref.get("key")]
        for src in c.get("envFrom") or []:
            if "configMapRef" in src:
                out += cm_values(str(src["configMapRef"].get("name")), "envFrom")
        out += [ConfigValue("command", str(arg), field="command") for arg in c.get("command") or []]
        out += [ConfigValue("args", str(arg), field="args") for arg in c.get("args") or []]
    for v in spec.get("volumes") or []:
        names = [str(v["configMap"].get("name"))] if "configMap" in v else []
        names += [str(s["configMap"].get("name")) for s in (v.get("projected") or {}).get("sources") or []
                  if "configMap" in s]
        for name in names:
            out += cm_values(name, "volume")
    app = {workload_name, *(str(app_labels.get(k)) for k in ("app", "app.kubernetes.io/name") if app_labels.get(k))}
    for cm in index.configmaps_in.get(namespace, []):
        name = _name(cm)
        if name not in used and named_after(cm, app):
            out += [ConfigValue(str(k), str(v), configmap=(namespace, name), use="unreferenced")
                    for k, v in (cm.get("data") or {}).items()]
    return out


def _dependency_hosts(index: _Index, values: list[ConfigValue], namespace: str) -> list[tuple[str, Target]]:
    """(via, target) for each host found in configuration values."""
    out = []
    for cv in values:
        for host, explicit in hosts_in(cv.value):
            if not explicit and not _names_an_address(cv.key):
                continue
            target = index.target(host, namespace, explicit)
            if target is not None:
                out.append((cv.via, target))
    return out


# ---- health -------------------------------------------------------------------------------

def service_pods(index: _Index, svc: dict[str, Any]) -> list[dict[str, Any]]:
    """The pods a Service selects in its namespace (none without a selector)."""
    selector = (svc.get("spec") or {}).get("selector")
    return [p for p in index.pods if _ns(p) == _ns(svc) and _selects(selector, _meta(p).get("labels"))]


def service_health(index: _Index, svc: dict[str, Any]) -> tuple[bool | None, str]:
    """Ready endpoints (EndpointSlices, else Endpoints) and the state of the pods behind them."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return None, f"ExternalName -> {spec.get('externalName')} (outside the cluster; health unknown)"
    ns, name = _ns(svc), _name(svc)
    slices = [s for s in index.objects.get("EndpointSlice") or []
              if _ns(s) == ns and (_meta(s).get("labels") or {}).get("kubernetes.io/service-name") == name]
    ready = total = 0
    known = False
    if slices:
        known = True
        for s in slices:
            for e in s.get("endpoints") or []:
                total += 1
                ready += 1 if (e.get("conditions") or {}).get("ready", True) is not False else 0
    else:
        ep = next((e for e in index.objects.get("Endpoints") or [] if _ns(e) == ns and _name(e) == name), None)
        if ep is not None:
            known = True
            for subset in ep.get("subsets") or []:
                ready += len(subset.get("addresses") or [])
                total += len(subset.get("addresses") or []) + len(subset.get("notReadyAddresses") or [])
    selector = spec.get("selector") or {}
    pods = [p for p in index.pods if _ns(p) == ns and _selects(selector, (_meta(p).get("labels") or {}))]
    problems: dict[str, int] = {}
    now = index.now
    for p in pods:
        last = h.last_restart(p)
        why = _pod_unhealthy(p) or ("restarted within the hour" if last and now - last <= RECENT_RESTART else None)
        if why:
            problems[why] = problems.get(why, 0) + 1
    parts = []
    if known:
        parts.append(f"{ready} of {total} endpoints ready")
    else:
        parts.append("no EndpointSlice or Endpoints recorded")
    if selector:
        parts.append(f"{len(pods)} backing pods" + (": " + ", ".join(f"{n} {w}" for w, n in sorted(problems.items()))
                                                     if problems else ", all healthy" if pods else ""))
    else:
        parts.append("no selector (endpoints managed by hand)")
    if not known and not pods:
        return None, "; ".join(parts)
    if known:
        return ready > 0 and not problems, "; ".join(parts)
    return not problems, "; ".join(parts)


def dns_health(index: _Index, visible: Callable[[str], bool]) -> dict[str, Any]:
    """Cluster DNS: the kube-system pods labelled k8s-app=kube-dns/coredns, their Service's
    endpoints, restarts; one place every lookup in the cluster depends on."""
    if not visible("kube-system"):
        return {"visible": False, "note": "kube-system is hidden by policy: DNS health unknown"}
    pods = [p for p in index.pods if _ns(p) == "kube-system" and _is_dns_pod(p)]
    rows = [{"name": _name(p), "node": (p.get("spec") or {}).get("nodeName") or "", "status": h.pod_status(p),
             "ready": pod_place(p).ready, "restarts": h.restarts(p), "problem": h.pod_problem(p) or ""} for p in pods]
    ready = sum(1 for r in rows if r["ready"])
    services = [s for (sns, _), s in index.services.items() if sns == "kube-system"]
    svc = next((s for s in services if _name(s) in DNS_LABELS), None) or next(
        (s for s in services if any(_selects((s.get("spec") or {}).get("selector"), _meta(p).get("labels"))
                                    for p in pods)), None)
    now = index.now
    recent = 0
    for row, p in zip(rows, pods, strict=True):
        last = h.last_restart(p)
        if last is not None and now - last <= RECENT_RESTART:
            recent += 1
            ago = h.human_duration((now - last).total_seconds())
            row["problem"] = (str(row["problem"]) or "restarting") + f"; last restart {ago} before the snapshot"
    out: dict[str, Any] = {"visible": True, "pods_ready": f"{ready}/{len(rows)}", "pods": rows,
                           "restarts": sum(r["restarts"] for r in rows), "restarting_pods": recent}
    if svc is not None:
        healthy, detail = service_health(index, svc)
        out.update({"service": f"kube-system/{_name(svc)}", "service_detail": detail})
    else:
        healthy = None
        out["service"] = "not found"
    out["healthy"] = bool(rows) and ready == len(rows) and healthy is not False and not recent
    if not rows:
        out["note"] = "no CoreDNS/kube-dns pod found in kube-system (another DNS add-on?)"
    return out


def _is_dns_pod(p: dict[str, Any]) -> bool:
    """CoreDNS or kube-dns, by the labels their manifests and charts use, or by name."""
    labels = _meta(p).get("labels") or {}
    if any(labels.get(k) in DNS_LABELS for k in ("k8s-app", "app", "app.kubernetes.io/name")):
        return True
    return any(_name(p).startswith(f"{n}-") for n in DNS_LABELS)


def node_summary(node: dict[str, Any] | None, name: str, requests: dict[str, tuple[float, float, int]]
                 ) -> dict[str, Any]:
    if node is None:
        return {"name": name, "ready": None, "note": "node object not readable"}
    conds = (node.get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
    pressure = [str(c.get("type")) for c in conds if c.get("type") != "Ready" and c.get("status") == "True"]
    alloc = (node.get("status") or {}).get("allocatable") or {}
    cpu_r, mem_r, count = requests.get(name, (0.0, 0.0, 0))
    cpu_a, mem_a = h.parse_quantity(alloc.get("cpu")), h.parse_quantity(alloc.get("memory"))
    return {"name": name, "ready": ready, "pressure": pressure, "problem": h.node_problem(node) or "",
            "cpu_requested": h.fmt_cpu(cpu_r), "cpu_allocatable": h.fmt_cpu(cpu_a),
            "cpu_requested_pct": round(100 * cpu_r / cpu_a) if cpu_a else None,
            "memory_requested": h.fmt_bytes(mem_r), "memory_allocatable": h.fmt_bytes(mem_a),
            "memory_requested_pct": round(100 * mem_r / mem_a) if mem_a else None, "pods": count}


# ---- the subject --------------------------------------------------------------------------

def canonical_kind(kind: str) -> str:
    """Service, Deployment, StatefulSet, DaemonSet or Pod for any usual spelling; ValueError else."""
    if not kind:
        return ""
    found = KIND_ALIASES.get(kind.strip().lower().split(".", 1)[0])  # the server's canonical form: Deployment.apps
    if not found:
        raise ValueError(f"kind {kind!r} is not one topology starts from; use Service, Deployment, StatefulSet, "
                         "DaemonSet or Pod, or leave it empty to search them all")
    return found


def resolve_subject(objects: Objects, name: str, namespace: str, kind: str, visible: Callable[[str], bool]
                    ) -> tuple[dict[str, Any] | None, list[str]]:
    """The object a name means: exact name among the subject kinds (only `kind` when given), in
    `namespace` when given; several namespaces and no hint -> None and the candidates in notes."""
    kinds = [kind] if kind else list(SUBJECT_KINDS)
    found = [o for k in kinds for o in objects.get(k) or []
             if _name(o) == name and visible(_ns(o)) and (not namespace or _ns(o) == namespace)]
    if not found:
        close = sorted({f"{o.get('kind')} {_ns(o)}/{_name(o)}" for k in kinds for o in objects.get(k) or []
                        if name and name in _name(o) and visible(_ns(o))})[:8]
        where = f" in namespace {namespace}" if namespace else " in any visible namespace"
        return None, [f"no {' or '.join(kinds)} named {name!r}{where}"
                      + (f"; close: {', '.join(close)}" if close else "; k8s_list finds names")]
    namespaces = sorted({_ns(o) for o in found})
    if len(namespaces) > 1:
        return None, [f"{name!r} is ambiguous: found in namespaces {', '.join(namespaces)}; pass namespace. "
                      "Candidates: " + ", ".join(f"{o.get('kind')} {_ns(o)}/{name}" for o in found)]
    found.sort(key=lambda o: kinds.index(str(o.get("kind"))))
    return found[0], []


def build_topology(objects: Objects, name: str, namespace: str = "", kind: str = "",
                   log_hosts: Iterable[str] = (), visible: Callable[[str], bool] = lambda ns: True) -> Topology:
    """The topology of `name` over the object lists (see module docstring)."""
    kind = canonical_kind(kind)
    subject, notes = resolve_subject(objects, name, namespace, kind, visible)
    if subject is None:
        return Topology(subject=ObjectRef(kind=kind, namespace=namespace, name=name), notes=notes)
    index = _Index(objects)
    ns, hidden = _ns(subject), set()
    skind = str(subject.get("kind"))
    ns_pods = [p for p in index.pods if _ns(p) == ns]

    # pods and workloads
    if skind == "Pod":
        pods = [subject]
    elif skind == "Service":
        pods = [p for p in ns_pods if _selects((subject.get("spec") or {}).get("selector"), _meta(p).get("labels"))]
    else:
        target = ref_of(subject)
        pods = [p for p in ns_pods if index.owner(p) == target]
        if not pods:
            pods = [p for p in ns_pods if _selects(_workload_selector(subject), _meta(p).get("labels"))]
    workload_refs: list[ObjectRef] = []
    for ref in ([ref_of(subject)] if skind in ("Deployment", "StatefulSet", "DaemonSet") else
                [o for o in (index.owner(p) for p in pods) if o is not None]):
        if ref not in workload_refs:
            workload_refs.append(ref)
    workloads = [w for w in index.workloads() if ref_of(w) in workload_refs]

    # services selecting those pods (or the workload's template)
    label_sets = [_meta(p).get("labels") or {} for p in pods] or [
        (pod_template(w).get("metadata") or {}).get("labels") or {} for w in workloads]
    services = [s for (sns, _), s in index.services.items() if sns == ns
                and any(_selects((s.get("spec") or {}).get("selector"), labels) for labels in label_sets)]
    if skind == "Service" and subject not in services:
        services.insert(0, subject)
    service_keys = {(_ns(s), _name(s)) for s in services}

    # nodes and neighbours
    requests = _requests(index.pods)
    node_names = sorted({str((p.get("spec") or {}).get("nodeName")) for p in pods if (p.get("spec") or {}).get(
        "nodeName")})
    nodes = [node_summary(index.nodes.get(n), n, requests) for n in node_names]
    own = {(_ns(p), _name(p)) for p in pods}
    neighbours: list[tuple[bool, PodPlace]] = []
    for p in index.pods:
        if (p.get("spec") or {}).get("nodeName") not in node_names or (_ns(p), _name(p)) in own:
            continue
        if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        if not visible(_ns(p)):
            hidden.add(_ns(p))
            continue
        why = [x for x in (_pod_unhealthy(p),) if x]
        unlimited = _no_memory_limit(p)
        if unlimited:
            why.append("no memory limit: " + ",".join(unlimited))
        writes = node_disk_writes(p)
        if writes:
            why.append("writes the node's disk: " + ", ".join(writes))
        if why:
            place = pod_place(p)
            place.reason = "; ".join(why)
            neighbours.append((_pod_unhealthy(p) is None, place))
    neighbours.sort(key=lambda x: (x[0], x[1].node, x[1].namespace, x[1].name))
    if len(neighbours) > MAX_NEIGHBOURS:
        notes.append(f"{len(neighbours) - MAX_NEIGHBOURS} more neighbours left out (unhealthy ones kept first)")

    # dependencies
    deps: dict[tuple[str, str, str], tuple[list[str], Target]] = {}
    sources = workloads or pods[:1]
    for src in sources:
        template = pod_template(src)
        labels = (template.get("metadata") or {}).get("labels") or _meta(src).get("labels") or {}
        owner = index.owner(src) if src.get("kind") == "Pod" else None
        values = config_values(index, template, ns, owner.name if owner else _name(src), labels)
        for via, found in _dependency_hosts(index, values, ns):
            _add_dependency(deps, via, found, service_keys)
    for host in log_hosts:
        host = host.strip().lower()
        from_logs = index.target(_strip_port(host), ns, True) if host else None
        if from_logs is not None:
            _add_dependency(deps, f"logs: upstream host {host}", from_logs, service_keys)
        elif host:
            notes.append(f"log host {host!r} matches no Service (seen from namespace {ns}) and is not a DNS name")
    dependencies = []
    for (kind_, dns_, dname), (vias, tgt) in deps.items():
        ref = ObjectRef(kind=kind_, namespace=dns_, name=dname)
        via = "; ".join(vias[:3]) + (f" (+{len(vias) - 3} more)" if len(vias) > 3 else "")
        if dns_ and not visible(dns_):
            hidden.add(dns_)
            dependencies.append(Dependency(target=ref, via=via, healthy=None,
                                           detail="namespace hidden by policy; health not shown"))
        elif tgt.service is not None:
            healthy, detail = service_health(index, tgt.service)
            if tgt.problem:
                healthy, detail = False, f"{tgt.problem}; {detail}"
            dependencies.append(Dependency(target=ref, via=via, healthy=healthy, detail=detail))
        elif tgt.problem:
            dependencies.append(Dependency(target=ref, via=via, healthy=False, detail=tgt.problem))
        else:
            dependencies.append(Dependency(target=ref, via=via, healthy=None,
                                           detail="outside the cluster (no Service by that name); health unknown"))
    dependencies.sort(key=lambda d: ({False: 0, None: 1, True: 2}[d.healthy], d.target.kind, d.target.name))

    # dependents: workloads anywhere whose configuration resolves to one of our Services
    dependents: list[ObjectRef] = []
    own_workloads = {ref_key(ref_of(w)) for w in workloads}
    for w in index.workloads():
        if ref_key(ref_of(w)) in own_workloads or not visible(_ns(w)):
            continue
        template = pod_template(w)
        labels = (template.get("metadata") or {}).get("labels") or {}
        values = config_values(index, template, _ns(w), _name(w), labels)
        if any(t.service is not None and t.key[1:] in service_keys
               for _, t in _dependency_hosts(index, values, _ns(w))):
            dependents.append(ref_of(w))

    secrets = [use for src in sources for use in secret_uses(pod_template(src), ns)]
    stores = datastores(index, pods, sources, ns, [d for d in deps.values() if d[1].service is not None], secrets,
                        visible)
    store_targets = [([s.why], Target(("Service", s.service.namespace, s.service.name),
                                      index.services.get((s.service.namespace, s.service.name)), ""))
                     for s in stores if not s.configured]
    settings = limit_settings(index, sources, [d for d in deps.values() if d[1].service is not None] + store_targets)
    blocked = egress_blocks(index, pods, [d[1] for d in deps.values() if d[1].service is not None])
    notes.append("dependencies come from env, ConfigMaps, command/args and log hosts; Secrets are not read, so a "
                 "DSN kept only in a Secret is not seen")
    return Topology(subject=ref_of(subject), workloads=[ref_of(w) for w in workloads] or workload_refs,
                    services=[ref_of(s) for s in services], pods=[pod_place(p) for p in pods], nodes=nodes,
                    neighbours=[p for _, p in neighbours[:MAX_NEIGHBOURS]], dependencies=dependencies,
                    dependents=dependents, secrets=list({(u.secret.name, u.via): u for u in secrets}.values()),
                    settings=settings, egress_blocked=blocked, datastores=stores,
                    dns=dns_health(index, visible), notes=notes,
                    hidden_namespaces=sorted(hidden))


DATASTORE_PORTS = {5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 6432: "PgBouncer"}
"""The ports datastores listen on by default, and what listens there."""
_ENGINE_WORDS = {"PostgreSQL": ("postgres", "postgresql", "pg", "psql", "pgsql"),
                 "MySQL": ("mysql", "mariadb", "maria"), "Redis": ("redis", "valkey", "cache"),
                 "MongoDB": ("mongo", "mongodb"),
                 "PgBouncer": ("pgbouncer", "bouncer", "pooler")}
_ANY_STORE = ("db", "database", "datasource", "sql", "jdbc", "dsn", "store", "storage")
_NOT_A_NAME = frozenset({"password", "passwd", "pass", "user", "username", "secret", "secrets", "key", "token", "url",
                         "uri", "host", "port", "env", "spring", "app", "config", "credentials", "creds", "auth",
                         "conn", "connection", "string", "name", "value", "tls", "cert", "api"})
"""Words of a Secret's or variable's name that say what kind of value it holds, never which datastore."""
MAX_DATASTORES = 3
_POOL_KEY = re.compile(r"pool|max.?(?:conn|client|connection)s?|connections?.?(?:limit|max)", re.I)


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w}


def _engine(svc: dict[str, Any]) -> tuple[int, str] | None:
    """The datastore port a Service exposes (its port or target port) and what listens there, or None."""
    for port in (svc.get("spec") or {}).get("ports") or []:
        for number in (port.get("port"), port.get("targetPort")):
            if isinstance(number, int) and number in DATASTORE_PORTS:
                return number, DATASTORE_PORTS[number]
        name = str(port.get("name") or "").lower()
        for engine, words in _ENGINE_WORDS.items():
            if any(w == name or name.startswith(w) for w in words[:2]):
                return int(port.get("port") or 0), engine
    return None


def _name_match(svc_name: str, engine: str, names: list[str]) -> tuple[int, str]:
    """How well the names a workload reads (Secrets, env variables) point at a datastore Service: shared
    name words count most, then the datastore's own kind of words; with the best name that matched."""
    svc_words = _words(svc_name) - _NOT_A_NAME
    best: tuple[int, str] = (0, "")
    for name in names:
        words = _words(name) - _NOT_A_NAME
        score = 2 * len(words & svc_words)
        if words & set(_ENGINE_WORDS[engine]):
            score += 2
        elif words & set(_ANY_STORE):
            score += 1
        if score > best[0]:
            best = (score, name)
    return best


def _pool_setting(index: _Index, workload: dict[str, Any]) -> str:
    """The connection-pool size a workload's env or ConfigMaps set (`NAME=value`), or ""."""
    template = pod_template(workload)
    labels = (template.get("metadata") or {}).get("labels") or {}
    for cv in config_values(index, template, _ns(workload), _name(workload), labels):
        text = cv.value if "\n" in cv.value else f"{cv.key}={cv.value}"
        for bound in bounding(text[:MAX_VALUE_CHARS]):
            if bound.resource == "connections" and _POOL_KEY.search(bound.key):
                return f"{bound.key}={bound.value}"
    return ""


def datastores(index: _Index, pods: list[dict[str, Any]], sources: list[dict[str, Any]], namespace: str,
               deps: list[tuple[list[str], Target]], secrets: list[SecretUse],
               visible: Callable[[str], bool]) -> list[Datastore]:
    """The datastores the subject connects to (see `Datastore`), each with the workloads that connect to it.

    Configured: a dependency whose Service exposes a datastore port. Inferred (a DSN kept in a Secret is
    never read): a Service of the subject's namespace on a datastore port, allowed by its egress policies,
    whose name shares words with a Secret or env variable the subject reads; any Secret the subject
    reads that names one is its credentials, and the other workloads reading that Secret are clients too."""
    out: list[Datastore] = []
    configured = {t.key[1:] for _, t in deps}
    for vias, target in deps:
        found = _engine(target.service or {})
        if found is not None:
            out.append(Datastore(service=ObjectRef(kind="Service", namespace=target.key[1], name=target.key[2]),
                                 port=found[0], engine=found[1], configured=True, why=f"configured: {vias[0]}"))
    names = [u.secret.name for u in secrets if u.via != "imagePullSecrets"]
    names += [u.via.split()[-1] for u in secrets if u.via.startswith("env ")]
    if names:
        source = next((p for p in pods if (p.get("status") or {}).get("phase") == "Running"), None)
        policies = list(index.objects.get("NetworkPolicy") or [])
        inferred: list[tuple[int, Datastore]] = []
        for (sns, sname), svc in index.services.items():
            found = _engine(svc)
            if sns != namespace or (sns, sname) in configured or found is None or not visible(sns):
                continue
            score, name = _name_match(sname, found[1], names)
            if score < 2:
                continue
            backends = [p for p in service_pods(index, svc) if (p.get("status") or {}).get("phase") == "Running"]
            if source is not None and backends and policies and not any(
                    egress_verdict(policies, source, backends[0], *port).allowed
                    for port in target_ports(svc, backends[0])):
                continue  # its egress policies deny it: not what it connects to
            inferred.append((score, Datastore(
                service=ref_of(svc), port=found[0], engine=found[1], configured=False,
                why=f"inferred: Service {sns}/{sname} exposes {found[1]}'s port {found[0]} and is named like {name}, "
                    "which the subject reads (its DSN sits in a Secret, not read)")))
        inferred.sort(key=lambda x: (-x[0], x[1].service.name))
        out += [d for _, d in inferred]
    shared = {u.secret.name for u in secrets if u.via != "imagePullSecrets"}
    for store in out[:MAX_DATASTORES]:
        svc = index.services.get((store.service.namespace, store.service.name)) or {}
        behind = [p for p in service_pods(index, svc)]
        owners = [o for o in (index.owner(p) for p in behind) if o is not None]
        store.workload = owners[0] if owners else None
        store.pods = [_name(p) for p in behind if (p.get("status") or {}).get("phase") == "Running"][:5]
        store.clients = _datastore_clients(index, store, shared, visible)
    return out[:MAX_DATASTORES]


def _datastore_clients(index: _Index, store: Datastore, shared: set[str],
                       visible: Callable[[str], bool]) -> list[DatastoreClient]:
    """The workloads of visible namespaces that connect to a datastore: those whose configuration names its
    Service, and (for an inferred one) those reading a credentials Secret the subject reads and named like it."""
    out: list[DatastoreClient] = []
    key = (store.service.namespace, store.service.name)
    for w in index.workloads():
        if (store.workload is not None and ref_key(ref_of(w)) == ref_key(store.workload)) or not visible(_ns(w)):
            continue
        template = pod_template(w)
        labels = (template.get("metadata") or {}).get("labels") or {}
        values = config_values(index, template, _ns(w), _name(w), labels)
        via = next((v for v, t in _dependency_hosts(index, values, _ns(w)) if t.service is not None
                    and t.key[1:] == key), None)
        if via is None and not store.configured and _ns(w) == store.service.namespace:
            reads = [u for u in secret_uses(template, _ns(w)) if u.secret.name in shared]
            named = [u for u in reads if _name_match(store.service.name, store.engine, [u.secret.name, u.via])[0] >= 2]
            via = f"Secret {_ns(w)}/{named[0].secret.name} ({named[0].via})" if named else None
        if via is None:
            continue
        replicas = (w.get("spec") or {}).get("replicas")
        out.append(DatastoreClient(workload=ref_of(w), replicas=replicas if isinstance(replicas, int) else None,
                                   via=via, pool=_pool_setting(index, w)))
    return out


def egress_blocks(index: _Index, pods: list[dict[str, Any]], targets: list[Target]) -> list[EgressBlock]:
    """The in-cluster dependencies that the subject's egress NetworkPolicies deny on every port
    (mcp_servers.kubernetes.egress), judged for one running pod of each side."""
    policies = list(index.objects.get("NetworkPolicy") or [])
    source = next((p for p in pods if (p.get("status") or {}).get("phase") == "Running"), pods[0] if pods else None)
    if not policies or source is None:
        return []
    out = []
    for target in targets:
        svc = target.service or {}
        backends = [p for p in service_pods(index, svc) if (p.get("status") or {}).get("phase") == "Running"]
        if not backends:
            continue
        ports = target_ports(svc, backends[0])
        verdicts = [(port, egress_verdict(policies, source, backends[0], *port)) for port in ports]
        if not verdicts or any(v.allowed for _, v in verdicts):
            continue
        refs = [ObjectRef(kind="NetworkPolicy", namespace=_ns(p), name=_name(p)) for p in verdicts[0][1].policies]
        denied = [f"{n}/{proto}" for (n, _, proto), _ in verdicts]
        names = ", ".join(f"{r.namespace}/{r.name}" for r in refs)
        (number, _, protocol), verdict = verdicts[0]
        out.append(EgressBlock(
            target=ref_of(svc), policies=refs, ports=denied,
            why=virtual_ip_rule(verdict.policies, svc, backends[0], number, protocol),
            detail=f"egress from {_ns(source)}/{_name(source)} to {_ns(svc)}/{_name(svc)} (pod "
                   f"{_name(backends[0])}) on {', '.join(denied)} is allowed by no rule of NetworkPolicy {names}"))
    return out


MAX_SETTINGS = 40


def limit_settings(index: _Index, sources: list[dict[str, Any]],
                   deps: list[tuple[list[str], Target]]) -> list[ConfigSetting]:
    """Resource-bounding settings in the ConfigMaps read by the subject's workloads and by the
    workloads behind the in-cluster Services it depends on (where "used memory > maxmemory" is set)."""
    readers: list[dict[str, Any]] = list(sources)
    for _, target in deps:
        owners = [index.owner(p) for p in service_pods(index, target.service or {})]
        keys = {ref_key(o) for o in owners if o is not None}
        readers += [w for w in index.workloads() if ref_key(ref_of(w)) in keys and w not in readers]
    out: list[ConfigSetting] = []
    seen: set[tuple[str, str, str, str]] = set()
    for w in readers:
        template = pod_template(w)
        labels = (template.get("metadata") or {}).get("labels") or _meta(w).get("labels") or {}
        owner = index.owner(w) if w.get("kind") == "Pod" else None
        for cv in config_values(index, template, _ns(w), owner.name if owner else _name(w), labels):
            if cv.configmap is None:
                continue
            (cm_ns, cm_name), file, value = cv.configmap, cv.key, cv.value
            text = value if "\n" in value or "=" in value or ":" in value else f"{file} {value}"
            for bound in bounding(text[:MAX_VALUE_CHARS]):
                key = (cm_ns, cm_name, file, bound.key)
                if key in seen:
                    continue
                seen.add(key)
                out.append(ConfigSetting(configmap=ObjectRef(kind="ConfigMap", namespace=cm_ns, name=cm_name),
                                         file=file, setting=bound.key, value=bound.value, resource=bound.resource,
                                         software=bound.software, says=bound.says, workload=ref_of(w)))
    return out[:MAX_SETTINGS]


def secret_uses(template: dict[str, Any], namespace: str) -> list[SecretUse]:
    """Every Secret a pod template reads (env, envFrom, volumes, projected volumes, init containers
    included), with how: names only, the Secret objects themselves are never read here."""
    spec = template.get("spec") or {}
    out: list[SecretUse] = []

    def use(name: Any, via: str) -> None:
        if name:
            out.append(SecretUse(secret=ObjectRef(kind="Secret", namespace=namespace, name=str(name)), via=via))

    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for e in c.get("env") or []:
            use(((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name"), f"env {e.get('name')}")
        for src in c.get("envFrom") or []:
            use((src.get("secretRef") or {}).get("name"), "envFrom")
    for v in spec.get("volumes") or []:
        use((v.get("secret") or {}).get("secretName"), f"volume {v.get('name')}")
        for s in (v.get("projected") or {}).get("sources") or []:
            use((s.get("secret") or {}).get("name"), f"volume {v.get('name')}")
    for ref in spec.get("imagePullSecrets") or []:
        use(ref.get("name"), "imagePullSecrets")
    return out


def subject_refs(t: Topology, dependencies: bool = False) -> list[ObjectRef]:
    """The objects of a topology, for `changes.rank_changes`: the subject, its workloads, Services,
    pods and nodes; with `dependencies=True` also the Services it depends on (a change upstream of
    the symptom)."""
    refs = [t.subject, *t.workloads, *t.services,
            *(ObjectRef(kind="Pod", namespace=p.namespace, name=p.name) for p in t.pods),
            *(ObjectRef(kind="Node", name=str(n["name"])) for n in t.nodes)]
    if dependencies:
        refs += [d.target for d in t.dependencies if d.target.kind == "Service"]
    out: list[ObjectRef] = []
    for ref in refs:
        if ref.name and ref not in out:
            out.append(ref)
    return out


def _add_dependency(deps: dict[tuple[str, str, str], tuple[list[str], Target]], via: str, target: Target,
                    own_services: set[tuple[str, str]]) -> None:
    if target.service is not None and target.key[1:] in own_services and not target.problem:
        return  # a service calling itself (its own URL in its config) is not a dependency
    vias, kept = deps.setdefault(target.key, ([], target))
    if target.problem and not kept.problem:  # one broken reference makes the dependency broken
        deps[target.key] = (vias, target)
        vias.insert(0, via)
    elif via not in vias:
        vias.append(via)


# ---- text ---------------------------------------------------------------------------------

def render(t: Topology, budget: int, more_hint: str) -> str:
    """Compact text from the model: problems first in each section."""
    lines = [f"topology of {t.subject}" if t.subject.kind else f"topology of {t.subject.name!r}: not resolved"]
    if t.hidden_namespaces:
        lines.append(f"hidden by policy: {', '.join(t.hidden_namespaces)}")
    if t.workloads:
        lines.append("workloads: " + ", ".join(str(r) for r in t.workloads))
    if t.services:
        lines.append("services: " + ", ".join(str(r) for r in t.services))
    if t.pods:
        bad = [p for p in t.pods if p.reason or not p.ready]
        lines.append(f"pods: {len(t.pods)} ({len(t.pods) - len(bad)} healthy)")
        for p in sorted(t.pods, key=lambda p: (not (p.reason or not p.ready), p.name))[:8]:
            lines.append(f"  {p.name} on {p.node or '-'}: {p.phase}, ready={p.ready}" + (f" [{p.reason}]"
                                                                                      if p.reason else ""))
    if t.dependencies:
        lines.append("dependencies (unhealthy first):")
        for d in t.dependencies:
            state = {True: "healthy", False: "UNHEALTHY", None: "unknown"}[d.healthy]
            lines.append(f"  {d.target}: {state}: {d.detail} (via {d.via})")
    else:
        lines.append("dependencies: none found in env, ConfigMaps or log hosts")
    for b in t.egress_blocked[:4]:
        lines.append(f"egress blocked: {b.detail}")
    if t.settings:
        lines.append("limits in config: " + ", ".join(f"{c.setting} {c.value} ({c.configmap.name} {c.file})"
                                                      for c in t.settings[:8])
                     + (f" (+{len(t.settings) - 8})" if len(t.settings) > 8 else ""))
    for store in t.datastores:
        clients = ", ".join(f"{c.workload.kind} {c.workload.name}"
                            + (f" x{c.replicas}" if c.replicas is not None else "")
                            + (f" ({c.pool})" if c.pool else "") for c in store.clients[:6])
        lines.append(f"datastore {store.service} ({store.engine}, port {store.port}): {store.why}"
                     + (f"; clients: {clients}" if clients else ""))
    if t.secrets:
        lines.append("secrets read: " + ", ".join(f"{u.secret.name} ({u.via})" for u in t.secrets[:8])
                     + (f" (+{len(t.secrets) - 8})" if len(t.secrets) > 8 else ""))
    if t.dependents:
        lines.append("dependents: " + ", ".join(str(r) for r in t.dependents[:12])
                     + (f" (+{len(t.dependents) - 12})" if len(t.dependents) > 12 else ""))
    for n in t.nodes:
        lines.append(f"node {n['name']}: " + (n.get("problem") or "Ready")
                     + (f", cpu requested {n.get('cpu_requested')}/{n.get('cpu_allocatable')}, memory requested "
                        f"{n.get('memory_requested')}/{n.get('memory_allocatable')}, {n.get('pods')} pods"
                        if "pods" in n else f" ({n.get('note', '')})"))
    if t.neighbours:
        lines.append("neighbours on those nodes (unhealthy or without memory limit):")
        for p in t.neighbours[:12]:
            lines.append(f"  {p.namespace}/{p.name} on {p.node}: {p.reason}")
        if len(t.neighbours) > 12:
            lines.append(f"  (+{len(t.neighbours) - 12} more in the structured result)")
    if t.dns:
        if t.dns.get("visible"):
            lines.append(f"cluster DNS: {'healthy' if t.dns.get('healthy') else 'UNHEALTHY'}: pods ready "
                         f"{t.dns.get('pods_ready')}, restarts {t.dns.get('restarts')}, service {t.dns.get('service')}"
                         + (f" ({t.dns['service_detail']})" if t.dns.get("service_detail") else ""))
            for p in t.dns.get("pods") or []:
                if p.get("problem"):
                    lines.append(f"  {p['name']}: {p['problem']}")
        else:
            lines.append(f"cluster DNS: {t.dns.get('note')}")
    lines += [f"note: {n}" for n in t.notes]
    return fit_text("\n".join(lines) + "\n", budget, more_hint)
