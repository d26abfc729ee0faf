"""A small model of a cluster over time: workloads, pods and what each pod did.

Scenario code describes workloads and pod histories here; the same model then yields the cluster
dump (objects at capture time), the pod logs and the metrics, so the three always agree.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentgen import objects as o

MI = 1024 * 1024


@dataclass
class PodHistory:
    """One pod: its object inputs plus the time series behind its metrics."""

    name: str
    namespace: str
    workload: str
    containers: list[o.Container]
    node: str
    created: datetime
    ended: datetime | None = None
    """When the pod went away (scaled down by a rollout); None if alive at capture."""
    states: list[o.ContainerState] = field(default_factory=list)
    memory: Callable[[datetime], float] | None = None
    restart_times: list[datetime] = field(default_factory=list)
    terminated_reason: str | None = None
    waiting: tuple[datetime, str] | None = None
    ready: Callable[[datetime], bool] = lambda t: True
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    owner: dict[str, Any] | None = None
    logs: dict[str, str] = field(default_factory=dict)
    previous_logs: dict[str, str] = field(default_factory=dict)
    probe_failures: Callable[[datetime], float] | None = None
    """Cumulative failed readiness probes at a time, for prober_probe_total."""
    ip: str | None = None
    """Assigned on first use, so the pod, its events and its endpoints agree."""


@dataclass
class Service:
    name: str
    namespace: str
    selector: dict[str, str]
    port: int = 80
    target: int = 8080
    type_: str = "ClusterIP"


class Cluster:
    """Collects objects and pod histories for one scenario."""

    def __init__(self, name: str, captured: datetime, start: datetime, seed: int) -> None:
        self.name = name
        self.captured = captured
        self.start = start
        self.rng = random.Random(seed)
        self.nodes: list[dict[str, Any]] = []
        self.namespaces: list[str] = []
        self.objects: list[dict[str, Any]] = []
        self.pods: list[PodHistory] = []
        self.events: list[dict[str, Any]] = []
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self._ip = 10

    # ---- infrastructure -------------------------------------------------------------------
    def add_nodes(self, count: int, created: datetime) -> None:
        zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        for i in range(count):
            name = f"ip-10-0-{i + 1}-{20 + i}.eu-west-1.compute.internal"
            obj = o.node(name, i + 1, created, zones[i % 3], now=self.captured)
            obj["kind"], obj["apiVersion"] = "Node", "v1"
            self.nodes.append(obj)

    def node_ip(self, node_name: str) -> str:
        for n in self.nodes:
            if n["metadata"]["name"] == node_name:
                return str(n["status"]["addresses"][0]["address"])
        raise KeyError(node_name)

    def pick_node(self, key: str) -> str:
        index = sum(key.encode()) % len(self.nodes)
        return str(self.nodes[index]["metadata"]["name"])

    def next_pod_ip(self, node_name: str) -> str:
        self._ip += 1
        node_index = [n["metadata"]["name"] for n in self.nodes].index(node_name) + 1
        return f"10.244.{node_index}.{self._ip}"

    def add_namespace(self, name: str, created: datetime) -> None:
        self.namespaces.append(name)
        self.add_object({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": o.uid("namespace", name), "resourceVersion": "10",
                         "creationTimestamp": o.iso(created),
                         "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })

    def add_object(self, obj: dict[str, Any]) -> None:
        self.objects.append(obj)

    def add_service(self, svc: Service, created: datetime) -> None:
        index = len([x for x in self.objects if x["kind"] == "Service"]) + 1
        self.add_object({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": svc.name, "namespace": svc.namespace,
                         "uid": o.uid("service", svc.namespace, svc.name), "resourceVersion": "200",
                         "creationTimestamp": o.iso(created), "labels": {"app": svc.name}},
            "spec": {
                "type": svc.type_,
                "clusterIP": f"172.20.{index // 250}.{index % 250 + 2}",
                "clusterIPs": [f"172.20.{index // 250}.{index % 250 + 2}"],
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [{"name": "http", "port": svc.port, "protocol": "TCP", "targetPort": svc.target}],
                "selector": svc.selector,
                "sessionAffinity": "None",
            },
            "status": {"loadBalancer": {}},
        })

    def add_configmap(self, namespace: str, name: str, data: dict[str, str], created: datetime) -> None:
        self.add_object({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "uid": o.uid("configmap", namespace, name),
                         "resourceVersion": "300", "creationTimestamp": o.iso(created)},
            "data": data,
        })

    def add_secret(self, namespace: str, name: str, data: dict[str, str], created: datetime) -> None:
        """A Secret whose values are canaries: tests assert they never leave the MCP server.

        Like a Secret created with `kubectl apply`, it carries the last-applied annotation, which
        holds the values again in clear: a second path a leak could take.
        """
        import json

        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        applied = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "stringData": data,
                   "metadata": {"name": name, "namespace": namespace}}
        self.add_object({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "uid": o.uid("secret", namespace, name),
                         "resourceVersion": "400", "creationTimestamp": o.iso(created),
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                         json.dumps(applied, sort_keys=True)}},
            "data": encoded,
        })

    # ---- workloads -------------------------------------------------------------------------
    def add_deployment(self, namespace: str, name: str, revisions: list[tuple[int, list[o.Container], datetime, str]],
                       replicas: int, rs_replicas: dict[int, int], created: datetime,
                       status: dict[str, Any], conditions: list[dict[str, Any]],
                       max_surge: str = "25%", max_unavailable: str = "25%") -> dict[int, str]:
        """A Deployment and one ReplicaSet per revision; returns the ReplicaSet names by revision."""
        labels = {"app": name, "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": namespace}
        current = revisions[-1]
        deploy = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": name, "namespace": namespace, "uid": o.uid("deployment", namespace, name),
                "resourceVersion": "5000", "generation": current[0] + 1, "creationTimestamp": o.iso(created),
                "labels": labels,
                "annotations": {"deployment.kubernetes.io/revision": str(current[0])},
            },
            "spec": {
                "replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app": name}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}},
                "template": self._template(name, labels, current[1], None, current[3]),
            },
            "status": {"observedGeneration": current[0] + 1, **status, "conditions": conditions},
        }
        self.add_object(deploy)
        self.deployments[(namespace, name)] = deploy
        names: dict[int, str] = {}
        for number, containers, when, cause in revisions:
            template_hash = o.suffix(f"{namespace}/{name}/rev{number}", 10)
            rs_name = f"{name}-{template_hash}"
            names[number] = rs_name
            count = rs_replicas.get(number, 0)
            rs = {
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name, "namespace": namespace, "uid": o.uid("replicaset", namespace, rs_name),
                    "resourceVersion": str(4000 + number), "generation": 2,
                    "creationTimestamp": o.iso(when),
                    "labels": {**labels, "pod-template-hash": template_hash},
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        "deployment.kubernetes.io/revision": str(number),
                        "kubernetes.io/change-cause": cause,
                    },
                    "ownerReferences": [o.owner_ref("Deployment", name, namespace)],
                },
                "spec": {
                    "replicas": count,
                    "selector": {"matchLabels": {"app": name, "pod-template-hash": template_hash}},
                    "template": self._template(name, labels, containers, template_hash, cause),
                },
                "status": {"replicas": count, "fullyLabeledReplicas": count, "observedGeneration": 2},
            }
            self.add_object(rs)
        return names

    def _template(self, name: str, labels: dict[str, str], containers: list[o.Container],
                  template_hash: str | None, cause: str) -> dict[str, Any]:
        tlabels = dict(labels)
        if template_hash:
            tlabels["pod-template-hash"] = template_hash
        return {
            "metadata": {"labels": tlabels, "annotations": {"kubernetes.io/change-cause": cause}},
            "spec": {"containers": [c.spec() for c in containers], "restartPolicy": "Always",
                     "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"},
        }

    def set_rs_status(self, namespace: str, rs_name: str, ready: int, available: int) -> None:
        for obj in self.objects:
            meta = obj["metadata"]
            if obj["kind"] == "ReplicaSet" and meta["name"] == rs_name and meta["namespace"] == namespace:
                obj["status"]["readyReplicas"] = ready
                obj["status"]["availableReplicas"] = available

    def healthy_deployment(self, namespace: str, name: str, image: str, replicas: int, created: datetime,
                           memory_mi: float = 120, memory_limit: str = "256Mi", port: int | None = 8080,
                           revision: int = 3, extra_annotations: dict[str, str] | None = None,
                           env: list[dict[str, Any]] | None = None, log: Callable[[str], str] | None = None,
                           ) -> list[PodHistory]:
        """A settled background Deployment: one active ReplicaSet, every pod ready, flat memory."""
        container = o.Container(name=name, image=image, memory_limit=memory_limit, port=port, env=env or [])
        old = o.Container(name=name, image=image.rsplit(":", 1)[0] + ":" + _older_tag(image.rsplit(":", 1)[1]),
                          memory_limit=memory_limit, port=port, env=env or [])
        when = created + timedelta(days=2)
        names = self.add_deployment(
            namespace, name,
            [(revision - 1, [old], created, f"deploy {old.image}"), (revision, [container], when,
                                                                      f"deploy {image}")],
            replicas, {revision: replicas}, created,
            status={"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
                    "availableReplicas": replicas},
            conditions=_deploy_conditions(name, names_hint=f"{name}", when=when, ok=True),
        )
        rs_name = names[revision]
        self.set_rs_status(namespace, rs_name, replicas, replicas)
        pods = []
        for i in range(replicas):
            pod_name = f"{rs_name}-{o.suffix(f'{rs_name}-{i}', 5)}"
            base = memory_mi * (0.9 + 0.2 * self.rng.random())
            phase = self.rng.random() * 6.28
            pods.append(self.add_pod(PodHistory(
                name=pod_name, namespace=namespace, workload=name, containers=[container],
                node=self.pick_node(pod_name), created=when + timedelta(minutes=i),
                states=[o.ContainerState(started_at=when + timedelta(minutes=i, seconds=8))],
                memory=_flat_memory(base, phase),
                labels={"app": name, "pod-template-hash": rs_name.rsplit("-", 1)[1]},
                annotations=dict(extra_annotations or {}),
                owner=o.owner_ref("ReplicaSet", rs_name, namespace),
                logs={name: log(pod_name) if log else _generic_log(name, self.captured, self.rng)},
            )))
        return pods

    def daemonset(self, namespace: str, name: str, image: str, created: datetime, memory_mi: float = 40,
                  port: int | None = None) -> list[PodHistory]:
        """A DaemonSet with one ready pod per node."""
        container = o.Container(name=name, image=image, memory_limit="128Mi", memory_request="32Mi",
                                cpu_request="50m", port=port)
        count = len(self.nodes)
        self.add_object({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": namespace, "uid": o.uid("daemonset", namespace, name),
                         "resourceVersion": "900", "generation": 1, "creationTimestamp": o.iso(created),
                         "labels": {"app": name}, "annotations": {"deprecated.daemonset.template.generation": "1"}},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": self._template(name, {"app": name}, [container], None, f"deploy {image}"),
                     "updateStrategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
            "status": {"currentNumberScheduled": count, "desiredNumberScheduled": count,
                       "numberAvailable": count, "numberMisscheduled": 0, "numberReady": count,
                       "observedGeneration": 1, "updatedNumberScheduled": count},
        })
        pods = []
        for i, n in enumerate(self.nodes):
            pod_name = f"{name}-{o.suffix(f'{namespace}/{name}/{i}', 5)}"
            pods.append(self.add_pod(PodHistory(
                name=pod_name, namespace=namespace, workload=name, containers=[container],
                node=n["metadata"]["name"], created=created,
                states=[o.ContainerState(started_at=created + timedelta(seconds=5))],
                memory=_flat_memory(memory_mi * (0.9 + 0.2 * self.rng.random()), i),
                labels={"app": name, "controller-revision-hash": o.suffix(name, 10)},
                owner=o.owner_ref("DaemonSet", name, namespace),
                logs={name: _generic_log(name, self.captured, self.rng)},
            )))
        return pods

    def statefulset(self, namespace: str, name: str, image: str, replicas: int, created: datetime,
                    memory_mi: float = 300, port: int | None = 9090) -> list[PodHistory]:
        container = o.Container(name=name, image=image, memory_limit="2Gi", memory_request="512Mi", port=port)
        self.add_object({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": namespace, "uid": o.uid("statefulset", namespace, name),
                         "resourceVersion": "950", "generation": 1, "creationTimestamp": o.iso(created),
                         "labels": {"app": name}},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": self._template(name, {"app": name}, [container], None, f"deploy {image}"),
                     "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "currentReplicas": replicas,
                       "updatedReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 1,
                       "currentRevision": f"{name}-{o.suffix(name, 10)}",
                       "updateRevision": f"{name}-{o.suffix(name, 10)}"},
        })
        pods = []
        for i in range(replicas):
            pod_name = f"{name}-{i}"
            pods.append(self.add_pod(PodHistory(
                name=pod_name, namespace=namespace, workload=name, containers=[container],
                node=self.pick_node(pod_name), created=created,
                states=[o.ContainerState(started_at=created + timedelta(seconds=20))],
                memory=_flat_memory(memory_mi, i),
                labels={"app": name, "statefulset.kubernetes.io/pod-name": pod_name},
                owner=o.owner_ref("StatefulSet", name, namespace),
                logs={name: _generic_log(name, self.captured, self.rng)},
            )))
        return pods

    def add_pod(self, history: PodHistory) -> PodHistory:
        self.pods.append(history)
        return history

    def pod_object(self, h: PodHistory) -> dict[str, Any]:
        obj = o.pod(
            name=h.name, namespace=h.namespace, labels=h.labels, owner=h.owner, containers=h.containers,
            states=h.states, node_name=h.node, node_ip=self.node_ip(h.node),
            pod_ip=self.pod_ip(h), created=h.created, now=self.captured,
            annotations=h.annotations or None,
        )
        obj["kind"], obj["apiVersion"] = "Pod", "v1"
        return obj

    def pod_ip(self, h: PodHistory) -> str:
        if h.ip is None:
            h.ip = self.next_pod_ip(h.node)
        return h.ip

    def add_event(self, involved: dict[str, Any], reason: str, message: str, first: datetime, last: datetime,
                  count: int = 1, type_: str = "Normal", component: str = "kubelet", host: str | None = None,
                  field_path: str | None = None) -> None:
        ev = o.event(namespace=involved["metadata"].get("namespace", "default"), involved=involved,
                     reason=reason, message=message, first=first, last=last, count=count, type_=type_,
                     component=component, host=host, field_path=field_path)
        ev["kind"], ev["apiVersion"] = "Event", "v1"
        self.events.append(ev)


def _older_tag(tag: str) -> str:
    parts = tag.split(".")
    if len(parts) == 3 and parts[2].isdigit() and int(parts[2]) > 0:
        return f"{parts[0]}.{parts[1]}.{int(parts[2]) - 1}"
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) > 0:
        return f"{parts[0]}.{int(parts[1]) - 1}.9"
    return tag + "-prev"


def _deploy_conditions(name: str, names_hint: str, when: datetime, ok: bool) -> list[dict[str, Any]]:
    return [
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
         "message": "Deployment has minimum availability.", "lastUpdateTime": o.iso(when),
         "lastTransitionTime": o.iso(when)},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "message": f'ReplicaSet "{names_hint}" has successfully progressed.', "lastUpdateTime": o.iso(when),
         "lastTransitionTime": o.iso(when)},
    ]


def _flat_memory(base_mi: float, phase: float) -> Callable[[datetime], float]:
    import math

    def memory(t: datetime) -> float:
        minutes = t.timestamp() / 60
        return (base_mi + 4 * math.sin(minutes / 17 + phase) + 2 * math.sin(minutes / 3.1 + phase)) * MI

    return memory


def _generic_log(name: str, captured: datetime, rng: random.Random) -> str:
    """A few ordinary lines so background pods have logs worth filtering through."""
    lines = []
    t = captured - timedelta(minutes=30)
    for i in range(24):
        t += timedelta(seconds=60 + rng.randint(0, 30))
        if t > captured:
            break
        latency = rng.randint(3, 60)
        if i % 6 == 0:
            lines.append(f"{o.iso(t)} level=info component={name} msg=\"health check ok\"")
        else:
            lines.append(f"{o.iso(t)} level=info component={name} msg=\"request served\" "
                         f"status=200 duration_ms={latency}")
    return "\n".join(lines) + "\n"
