"""Benchmark: the cluster-wide scan over a synthetic 5,000-pod cluster with 25 planted problems.

Builds the objects in code (50 namespaces, Deployments with ReplicaSets and Services, nodes,
events), plants 25 problems of different kinds, then measures `scan()` + `render()` (median of
--runs) and the token size of the text at the default budget, and checks that every planted
problem is named in that text. Targets: at most 2 s and 2,000 tokens, every problem kept.

Run: .venv/bin/python benchmarks/scan/bench_scan.py [--pods 5000] [--runs 5]
Writes benchmarks/results/scan.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, estimate_tokens
from mcp_servers.kubernetes.scan import Snapshot, scan
from mcp_servers.kubernetes.scan.render import render

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "scan.json"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TARGET_SECONDS = 2.0
TARGET_TOKENS = 2000


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(name: str, ns: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "uid": f"{ns}-{name}", "creationTimestamp": ts(2000), **extra}


def _pod(name: str, ns: str, app: str, rs: str, node: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(name, ns, labels={"app": app},
                              ownerReferences=[{"kind": "ReplicaSet", "name": rs, "controller": True}]),
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": f"registry.example.com/{app}:1.0",
                                                       "ports": [{"name": "http", "containerPort": 8080}],
                                                       "resources": {"limits": {"memory": "256Mi"},
                                                                     "requests": {"cpu": "50m",
                                                                                  "memory": "128Mi"}}}]},
            "status": {"phase": "Running", "startTime": ts(1900),
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(1890)}],
                       "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0,
                                              "state": {"running": {"startedAt": ts(1895)}}}]}}


def _event(kind: str, ns: str, name: str, reason: str, message: str, count: int = 5) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": _meta(f"{name}.{reason}", ns),
            "involvedObject": {"kind": kind, "namespace": ns, "name": name}, "reason": reason, "message": message,
            "type": "Warning", "count": count, "firstTimestamp": ts(40), "lastTimestamp": ts(1)}


def build(pods: int, namespaces: int = 50, per_app: int = 4) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Healthy objects for `pods` pods, then 25 planted problems; returns objects and (check, name) planted."""
    objs: list[dict[str, Any]] = []
    nodes = [f"node-{i:02d}" for i in range(20)]
    for n in nodes:
        objs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
                     "spec": {}, "status": {"conditions": [
                         {"type": "Ready", "status": "True", "lastHeartbeatTime": ts(0)},
                         {"type": "MemoryPressure", "status": "False"}, {"type": "DiskPressure", "status": "False"}]}})
    apps: dict[str, list[dict[str, Any]]] = {}
    for i in range(pods // per_app):
        ns, app = f"team-{i % namespaces:02d}", f"svc-{i:04d}"
        rs = f"{app}-5f7d"
        labels = {"app": app}
        objs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(app, ns),
                     "spec": {"replicas": per_app, "selector": {"matchLabels": labels},
                              "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                                  {"name": "app", "image": f"registry.example.com/{app}:1.0"}]}}},
                     "status": {"readyReplicas": per_app, "conditions": [
                         {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})
        objs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                     "metadata": _meta(rs, ns, ownerReferences=[{"kind": "Deployment", "name": app,
                                                                 "controller": True}]),
                     "spec": {"replicas": per_app}, "status": {"readyReplicas": per_app}})
        group = [_pod(f"{rs}-{j:02d}", ns, app, rs, nodes[(i + j) % len(nodes)]) for j in range(per_app)]
        apps[app] = group
        objs.extend(group)
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta(app, ns),
                     "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http"}]}})
        objs.append({"apiVersion": "v1", "kind": "Endpoints", "metadata": _meta(app, ns),
                     "subsets": [{"addresses": [{"ip": f"10.{i // 250}.{i % 250}.{j}"} for j in range(per_app)]}]})
    planted: list[tuple[str, str]] = []
    names = sorted(apps)

    def app_pods(k: int) -> tuple[str, list[dict[str, Any]]]:
        return names[k], apps[names[k]]

    def container(p: dict[str, Any], **state: Any) -> None:
        cs = p["status"]["containerStatuses"][0]
        cs.update(state)
        if not cs.get("ready", True):
            p["status"]["conditions"][0]["status"] = "False"

    # 1 OOMKilled
    app, group = app_pods(3)
    for p in group[:3]:
        container(p, restartCount=6, lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                                               "startedAt": ts(10), "finishedAt": ts(3)}})
    planted.append(("pod.oomkilled", app))
    # 2 CrashLoopBackOff
    app, group = app_pods(11)
    for p in group[:2]:
        container(p, ready=False, restartCount=12, state={"waiting": {"reason": "CrashLoopBackOff"}},
                  lastState={"terminated": {"reason": "Error", "exitCode": 1, "message": "panic: nil map"}})
    planted.append(("pod.crashloop", app))
    # 3 image pull
    app, group = app_pods(19)
    for p in group[:2]:
        container(p, ready=False, state={"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling"}})
        objs.append(_event("Pod", p["metadata"]["namespace"], p["metadata"]["name"], "Failed",
                           f'Failed to pull image "registry.example.com/{app}:1.0": rpc error: code = NotFound '
                           "desc = manifest unknown"))
    planted.append(("pod.image_pull", app))
    # 4 pending, insufficient memory
    app, group = app_pods(27)
    for p in group[:2]:
        p["spec"].pop("nodeName")
        p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                           "reason": "Unschedulable"}]}
        objs.append(_event("Pod", p["metadata"]["namespace"], p["metadata"]["name"], "FailedScheduling",
                           "0/20 nodes are available: 20 Insufficient memory."))
    planted.append(("pod.pending", app))
    # 5 not ready, readiness probe
    app, group = app_pods(35)
    for p in group:
        p["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
        container(p, ready=False)
        objs.append(_event("Pod", p["metadata"]["namespace"], p["metadata"]["name"], "Unhealthy",
                           "Readiness probe failed: HTTP probe failed with statuscode: 503"))
    ep = next(o for o in objs if o["kind"] == "Endpoints" and o["metadata"]["name"] == app)
    ep["subsets"] = []
    planted += [("pod.not_ready", app), ("service.no_endpoints", app)]
    # 6 evicted
    app, group = app_pods(43)
    evicted = copy.deepcopy(group[0])
    evicted["metadata"]["name"] += "-ev"
    evicted["status"] = {"phase": "Failed", "reason": "Evicted",
                         "message": "The node was low on resource: ephemeral-storage."}
    objs.append(evicted)
    planted.append(("pod.evicted", app))
    # 7 config error
    app, group = app_pods(51)
    group[0]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": f"{app}-settings"}}]
    container(group[0], ready=False, state={"waiting": {"reason": "CreateContainerConfigError",
                                                        "message": f'configmap "{app}-settings" not found'}})
    planted.append(("pod.config_error", app))
    # 8 init container failure
    app, group = app_pods(59)
    group[0]["spec"]["initContainers"] = [{"name": "migrate", "image": "migrate:1"}]
    group[0]["status"]["initContainerStatuses"] = [{"name": "migrate", "restartCount": 4, "state": {
        "waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}}]
    planted.append(("pod.init_failed", app))
    # 9 service selecting nothing
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta("legacy-api", "team-07"),
                 "spec": {"selector": {"app": "legacy-api"}, "ports": [{"port": 80}]}})
    planted.append(("service.selector_mismatch", "legacy-api"))
    # 10 ingress to a missing service
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": _meta("storefront", "team-08"),
                 "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {
                     "service": {"name": "storefront-v2", "port": {"number": 80}}}}]}}]}})
    planted.append(("ingress.missing_backend", "storefront"))
    # 11 PVC with a missing StorageClass
    objs.append({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"}})
    objs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": _meta("data-pg-0", "team-09"),
                 "spec": {"storageClassName": "fast-nvme"}, "status": {"phase": "Pending"}})
    planted.append(("pvc.missing_storage_class", "data-pg-0"))
    # 12, 13 nodes
    objs[0]["status"]["conditions"][0].update(status="Unknown", reason="NodeStatusUnknown",
                                              message="Kubelet stopped posting node status.")
    objs[1]["status"]["conditions"][2].update(status="True", reason="KubeletHasDiskPressure",
                                              message="kubelet has disk pressure")
    planted += [("node.not_ready", nodes[0]), ("node.pressure", nodes[1])]
    # 14 HPA at max
    objs.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta("svc-0100",
                                                                                                      "team-00"),
                 "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "svc-0100"}, "minReplicas": 2,
                          "maxReplicas": 4}, "status": {"currentReplicas": 4, "desiredReplicas": 4}})
    planted.append(("hpa.at_max", "svc-0100"))
    # 15 failed Job, 16 failing CronJob
    objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta("db-migrate", "team-10"),
                 "status": {"failed": 7, "conditions": [{"type": "Failed", "status": "True",
                                                         "reason": "BackoffLimitExceeded", "message": "limit"}]}})
    objs.append({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta("report", "team-11"),
                 "spec": {"schedule": "0 * * * *"}})
    objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta("report-29000", "team-11",
                                                                             ownerReferences=[{"kind": "CronJob",
                                                                                               "name": "report"}]),
                 "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}})
    planted += [("job.failed", "db-migrate"), ("cronjob.failing", "report")]
    # 17 PDB allowing no disruption
    objs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta("svc-0200", "team-00"),
                 "spec": {"maxUnavailable": 0}, "status": {"disruptionsAllowed": 0, "currentHealthy": 4,
                                                            "desiredHealthy": 4, "expectedPods": 4}})
    planted.append(("pdb.no_disruptions", "svc-0200"))
    # 18 NetworkPolicy blocking DNS
    app, group = app_pods(67)
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": _meta("lockdown", group[0]["metadata"]["namespace"]),
                 "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Egress"],
                          "egress": [{"ports": [{"port": 5432}]}]}})
    planted.append(("netpol.blocks_dns", "lockdown"))
    # 19 certificate expiring
    objs.append({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": _meta("api-tls", "team-12"),
                 "spec": {"secretName": "api-tls"}, "status": {"notAfter": ts(-60 * 24 * 5), "conditions": [
                     {"type": "Ready", "status": "True"}]}})
    planted.append(("certificate.expiring", "api-tls"))
    # 20 webhook with a missing service
    objs.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                 "metadata": {"name": "gatekeeper"}, "webhooks": [{"name": "check.gatekeeper.sh", "clientConfig": {
                     "service": {"namespace": "team-13", "name": "gatekeeper-webhook"}}}]})
    planted.append(("webhook.missing_service", "gatekeeper"))
    # 21 quota exhausted, 22 FailedCreate because of it
    objs.append({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta("compute", "team-14"),
                 "status": {"hard": {"pods": "40"}, "used": {"pods": "40"}}})
    objs.append(_event("ReplicaSet", "team-14", "svc-0014-5f7d", "FailedCreate",
                       'pods "svc-0014-5f7d-x" is forbidden: exceeded quota: compute, requested: pods=1'))
    planted += [("quota.exhausted", "compute"), ("workload.failed_create", "svc-0014")]
    # 23 RBAC denial
    objs.append(_event("Pod", "team-15", "svc-0015-5f7d-00", "Failed",
                       'configmaps "x" is forbidden: User "system:serviceaccount:team-15:default" cannot list '
                       'resource "configmaps" in API group "" in the namespace "team-15"'))
    planted.append(("rbac.forbidden", "svc-0015"))
    # 24 cluster DNS down
    for i in range(2):
        objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": _meta(
            f"coredns-6d4b-{i}", "kube-system", labels={"k8s-app": "kube-dns"}),
            "spec": {"nodeName": nodes[2], "containers": [{"name": "coredns"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                       "containerStatuses": [{"name": "coredns", "ready": False, "restartCount": 30,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                              "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}})
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta("kube-dns", "kube-system"),
                 "spec": {"selector": {"k8s-app": "kube-dns"}, "ports": [{"port": 53, "protocol": "UDP"}]}})
    objs.append({"apiVersion": "v1", "kind": "Endpoints", "metadata": _meta("kube-dns", "kube-system"),
                 "subsets": []})
    planted.append(("dns.unhealthy", "kube-dns"))
    # 25 stuck rollout
    stuck = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == names[75])
    stuck["status"]["conditions"] = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                      "message": "ReplicaSet has timed out progressing."}]
    planted.append(("workload.rollout_stuck", names[75]))
    return objs, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    objects, planted = build(args.pods)
    started = time.perf_counter()
    snapshot = Snapshot.from_objects(objects)
    snapshot_s = time.perf_counter() - started
    times: list[float] = []
    text, truncated, findings = "", 0, 0
    for _ in range(args.runs):
        snap = Snapshot.from_objects(objects)  # fresh indexes each run: nothing cached between runs
        t0 = time.perf_counter()
        result = scan(snap, NOW)
        text, truncated = render(result, DEFAULT_BUDGET_TOKENS)
        times.append(time.perf_counter() - t0)
        findings = len(result.findings)
    lines = text.splitlines()
    kept = [(check, name) for check, name in planted
            if any(line.split(" ", 2)[1:2] == [check] and name in line for line in lines)]
    missing = sorted(set(planted) - set(kept))
    tokens = estimate_tokens(text)
    out = {
        "benchmark": "scan",
        "pods": sum(1 for o in objects if o["kind"] == "Pod"),
        "objects": len(objects),
        "planted_problems": len(planted),
        "findings": findings,
        "runs": args.runs,
        "scan_and_render_s": {"median": round(statistics.median(times), 3), "max": round(max(times), 3),
                              "min": round(min(times), 3)},
        "snapshot_index_s": round(snapshot_s, 3),
        "text_tokens": tokens,
        "budget_tokens": DEFAULT_BUDGET_TOKENS,
        "findings_left_out_of_text": truncated,
        "problems_kept": len(kept),
        "problems_missing": [f"{c} {n}" for c, n in missing],
        "all_problems_kept": not missing,
        "targets": {"seconds": TARGET_SECONDS, "tokens": TARGET_TOKENS},
        "met": statistics.median(times) <= TARGET_SECONDS and tokens <= TARGET_TOKENS and not missing,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "note": "tokens estimated at 4 characters per token (mcp_servers.common.compact.estimate_tokens)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    del snapshot


if __name__ == "__main__":
    main()
