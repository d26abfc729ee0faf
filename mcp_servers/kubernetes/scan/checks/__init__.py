"""The scan's checks, one module per area; each exposes `CHECK_IDS` and `run(snapshot, now)`.

`AREAS` is the one list of them: the scan runs it in order, the tool validates `checks` against
it, and docs/scan.md documents each id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import ModuleType

from mcp_servers.kubernetes.scan.checks import (
    autoscaling,
    certificates,
    cronblock,
    digests,
    dns,
    ephemeral,
    gateway,
    imagefs,
    ingress,
    injected,
    jobs,
    nodes,
    podnet,
    pods,
    policy,
    preemption,
    quota,
    rbac,
    reachability,
    routes,
    services,
    spread,
    storage,
    volumes,
    vpaconflict,
    webhooks,
    workloads,
)
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CheckFn = Callable[[Snapshot, datetime], list[ScanFinding]]

AREAS: dict[str, ModuleType] = {
    "pods": pods, "workloads": workloads, "services": services, "ingress": ingress, "gateway": gateway,
    "storage": storage,
    "nodes": nodes, "autoscaling": autoscaling, "jobs": jobs, "policy": policy, "certificates": certificates,
    "webhooks": webhooks, "quota": quota, "rbac": rbac, "dns": dns, "volumes": volumes,
    "reachability": reachability,
    "cronblock": cronblock, "podnet": podnet, "ephemeral": ephemeral, "spread": spread,
    "digests": digests,
    "injected": injected, "vpaconflict": vpaconflict, "preemption": preemption,
    "imagefs": imagefs,
    "routes": routes,  # Ingress routes that collide or churn the controller (routes.py)
}

ALL_CHECK_IDS: tuple[str, ...] = tuple(cid for module in AREAS.values() for cid in module.CHECK_IDS)
