"""Builders for realistic Kubernetes objects: nodes, workloads with owner chains, pods, events.

The shapes follow what the API server returns (status, conditions, container states, owner
references, revision annotations), because the replay server serves them unchanged and real
kubectl must print them as it would for a live cluster.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_UID_NAMESPACE = uuid.UUID("6f1c2a52-3b0e-4c41-9d57-2f0b8a7c1e11")


def iso(t: datetime) -> str:
    """RFC 3339 in UTC with a Z, as the API server writes timestamps."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(*parts: str) -> str:
    """A stable UID for an object, so regenerating gives the same bytes."""
    return str(uuid.uuid5(_UID_NAMESPACE, "/".join(parts)))


def suffix(seed: str, length: int) -> str:
    """A Kubernetes-style random name suffix, derived from a seed."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def container_id(seed: str) -> str:
    return "containerd://" + hashlib.sha256(seed.encode()).hexdigest()


def image_id(image: str) -> str:
    repo = image.rsplit(":", 1)[0]
    return f"{repo}@sha256:" + hashlib.sha256(image.encode()).hexdigest()


@dataclass
class Container:
    """One container of a pod template."""

    name: str
    image: str
    cpu_request: str = "100m"
    memory_request: str = "128Mi"
    memory_limit: str = "256Mi"
    cpu_limit: str | None = None
    port: int | None = 8080
    env: list[dict[str, Any]] = field(default_factory=list)
    readiness_path: str | None = "/healthz/ready"
    liveness_path: str | None = "/healthz/live"

    def spec(self) -> dict[str, Any]:
        limits: dict[str, str] = {"memory": self.memory_limit}
        if self.cpu_limit:
            limits["cpu"] = self.cpu_limit
        spec: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "resources": {
                "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
                "limits": limits,
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
        if self.port:
            spec["ports"] = [{"name": "http", "containerPort": self.port, "protocol": "TCP"}]
        if self.env:
            spec["env"] = self.env
        if self.port and self.readiness_path:
            spec["readinessProbe"] = {
                "httpGet": {"path": self.readiness_path, "port": self.port, "scheme": "HTTP"},
                "periodSeconds": 10,
                "timeoutSeconds": 2,
                "failureThreshold": 3,
                "successThreshold": 1,
            }
        if self.port and self.liveness_path:
            spec["livenessProbe"] = {
                "httpGet": {"path": self.liveness_path, "port": self.port, "scheme": "HTTP"},
                "periodSeconds": 20,
                "timeoutSeconds": 2,
                "failureThreshold": 3,
                "successThreshold": 1,
            }
        return spec


@dataclass
class ContainerState:
    """What a container is doing at capture time."""

    restarts: int = 0
    ready: bool = True
    started_at: datetime | None = None
    waiting_reason: str | None = None
    waiting_message: str | None = None
    last_reason: str | None = None
    last_exit_code: int | None = None
    last_started: datetime | None = None
    last_finished: datetime | None = None


def node(name: str, index: int, created: datetime, zone: str, cpu: int = 4, memory_gi: int = 16,
         role: str | None = None, conditions: dict[str, tuple[str, str, str]] | None = None,
         now: datetime | None = None) -> dict[str, Any]:
    """A node with capacity, allocatable, the four standard conditions and node info."""
    heartbeat = iso(now or created)
    standard = {
        "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
    }
    standard.update(conditions or {})
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m6i.xlarge",
        "topology.kubernetes.io/region": "eu-west-1",
        "topology.kubernetes.io/zone": zone,
    }
    if role:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    allocatable_mem = memory_gi * 1024 * 1024 - 700 * 1024
    return {
        "metadata": {
            "name": name,
            "uid": uid("node", name),
            "resourceVersion": str(1000 + index),
            "creationTimestamp": iso(created),
            "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {
            "podCIDR": f"10.244.{index}.0/24",
            "podCIDRs": [f"10.244.{index}.0/24"],
            "providerID": f"aws:///{zone}/i-0{hashlib.sha256(name.encode()).hexdigest()[:16]}",
        },
        "status": {
            "capacity": {"cpu": str(cpu), "ephemeral-storage": "83873772Ki",
                         "memory": f"{memory_gi * 1024 * 1024}Ki", "pods": "110"},
            "allocatable": {"cpu": f"{cpu * 1000 - 90}m", "ephemeral-storage": "76224326324",
                            "memory": f"{allocatable_mem}Ki", "pods": "110"},
            "conditions": [
                {"type": kind, "status": s, "reason": r, "message": m,
                 "lastHeartbeatTime": heartbeat, "lastTransitionTime": iso(created)}
                for kind, (s, r, m) in standard.items()
            ],
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.{index}.{10 + index}"},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid("boot", name),
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.1.112-124.190.amzn2023.x86_64",
                "kubeProxyVersion": "v1.30.4",
                "kubeletVersion": "v1.30.4",
                "machineID": hashlib.md5(name.encode()).hexdigest(),
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.6.20241031",
                "systemUUID": uid("system", name),
            },
        },
    }


def pod(*, name: str, namespace: str, labels: dict[str, str], owner: dict[str, Any] | None,
        containers: list[Container], states: list[ContainerState], node_name: str, node_ip: str,
        pod_ip: str, created: datetime, now: datetime, annotations: dict[str, str] | None = None,
        service_account: str = "default", phase: str | None = None) -> dict[str, Any]:
    """A pod with conditions and container statuses consistent with the given states."""
    statuses = []
    for c, st in zip(containers, states, strict=True):
        status: dict[str, Any] = {
            "name": c.name,
            "image": c.image,
            "imageID": "" if st.waiting_reason in ("ImagePullBackOff", "ErrImagePull") else image_id(c.image),
            "ready": st.ready and st.waiting_reason is None,
            "restartCount": st.restarts,
            "started": st.waiting_reason is None,
        }
        if st.waiting_reason:
            status["state"] = {"waiting": {"reason": st.waiting_reason, "message": st.waiting_message or ""}}
        else:
            status["state"] = {"running": {"startedAt": iso(st.started_at or created)}}
            status["containerID"] = container_id(f"{namespace}/{name}/{c.name}/{st.restarts}")
        if st.last_reason:
            status["lastState"] = {"terminated": {
                "exitCode": st.last_exit_code if st.last_exit_code is not None else 1,
                "reason": st.last_reason,
                "startedAt": iso(st.last_started or created),
                "finishedAt": iso(st.last_finished or created),
                "containerID": container_id(f"{namespace}/{name}/{c.name}/{st.restarts - 1}"),
            }}
            if st.waiting_reason is not None:
                status["containerID"] = container_id(f"{namespace}/{name}/{c.name}/{st.restarts - 1}")
        else:
            status["lastState"] = {}
        statuses.append(status)
    all_ready = all(s["ready"] for s in statuses)
    any_pulling = any(st.waiting_reason in ("ImagePullBackOff", "ErrImagePull") for st in states)
    ready_time = iso(max((st.started_at or created) for st in states))
    not_ready_names = ", ".join(s["name"] for s in statuses if not s["ready"])
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": iso(created + timedelta(seconds=2))},
        {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": iso(created)},
        {"type": "Ready", "status": "True" if all_ready else "False", "lastProbeTime": None,
         "lastTransitionTime": ready_time},
        {"type": "ContainersReady", "status": "True" if all_ready else "False", "lastProbeTime": None,
         "lastTransitionTime": ready_time},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": iso(created)},
    ]
    if not all_ready:
        reason = "ContainersNotReady"
        for cond in conditions[2:4]:
            cond["reason"] = reason
            cond["message"] = f"containers with unready status: [{not_ready_names}]"
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid("pod", namespace, name),
        "resourceVersion": str(int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)),
        "creationTimestamp": iso(created),
        "labels": labels,
    }
    if annotations:
        metadata["annotations"] = annotations
    if owner:
        metadata["ownerReferences"] = [owner]
        if owner["kind"] == "ReplicaSet":
            metadata["generateName"] = name.rsplit("-", 1)[0] + "-"
    return {
        "metadata": metadata,
        "spec": {
            "containers": [c.spec() for c in containers],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": service_account,
            "serviceAccount": service_account,
            "nodeName": node_name,
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
            ],
        },
        "status": {
            "phase": phase or ("Pending" if any_pulling else "Running"),
            "conditions": conditions,
            "hostIP": node_ip,
            "hostIPs": [{"ip": node_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": iso(created),
            "containerStatuses": statuses,
            "qosClass": "Burstable",
        },
    }


def owner_ref(kind: str, name: str, namespace: str, api_version: str = "apps/v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid(kind.lower(), namespace, name),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def event(*, namespace: str, involved: dict[str, Any], reason: str, message: str, first: datetime,
          last: datetime, count: int = 1, type_: str = "Normal", component: str = "kubelet",
          host: str | None = None, field_path: str | None = None) -> dict[str, Any]:
    """A core/v1 Event about `involved` (an object dict with metadata and kind)."""
    meta = involved["metadata"]
    name = f"{meta['name']}.{hashlib.sha256((reason + message + iso(first)).encode()).hexdigest()[:16]}"
    obj: dict[str, Any] = {
        "kind": involved["kind"],
        "namespace": meta.get("namespace", namespace),
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": involved["apiVersion"],
        "resourceVersion": meta.get("resourceVersion", "1"),
    }
    if field_path:
        obj["fieldPath"] = field_path
    source: dict[str, Any] = {"component": component}
    if host:
        source["host"] = host
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid("event", namespace, name),
            "resourceVersion": str(int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)),
            "creationTimestamp": iso(first),
        },
        "involvedObject": obj,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": iso(first),
        "lastTimestamp": iso(last),
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }
