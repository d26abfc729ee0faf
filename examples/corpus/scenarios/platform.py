"""Cluster plumbing owned by the platform team: a log shipper that cannot read logs, a drain a PDB blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from corpus import logs as L
from corpus.kit import Incident, P, Rev, c, ts


def fluentbit_no_output() -> Incident:
    """A hardening change runs fluent-bit as uid 65534; it can no longer read /var/log/containers.

    On-call sees: FluentbitNoOutputBytesProcessed (Loki receives nothing). Every fluent-bit pod is
    Running and Ready (its health endpoint answers), and logs '[error] [input:tail:tail.0] read
    error, check permissions'. Loki itself is fine and looks like the suspect.
    """
    at = datetime(2026, 9, 28, 10, 20, tzinfo=UTC)
    inc = Incident("fluentbit-no-output", title="FluentbitNoOutputBytesProcessed", story=(
        "A DaemonSet's new security context denies it the host files it exists to read."), at=at, seed=335,
        namespaces=("logging",))
    change = at - timedelta(minutes=41)
    pods = inc.cluster.daemonset("logging", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", change,
                                 memory_mi=30, port=2020)
    ds = inc.find("DaemonSet", "logging", "fluent-bit")
    ds["metadata"]["generation"] = 4
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "4"
    ds["metadata"]["annotations"]["kubernetes.io/change-cause"] = "logging: run as non-root (SEC-2031)"
    spec = ds["spec"]["template"]["spec"]
    spec["securityContext"] = {"runAsUser": 65534, "runAsGroup": 65534, "runAsNonRoot": True}
    spec["volumes"] = [{"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "varlog", "mountPath": "/var/log", "readOnly": True}]
    ds["status"]["observedGeneration"] = 4
    ds["status"]["updatedNumberScheduled"] = len(pods)
    ds_template = dict(spec)

    def fb(pod: str, start: datetime, end: datetime) -> str:
        head = [(start, f"[{start.strftime('%Y/%m/%d %H:%M:%S')}] [ info] [fluent bit] version=3.1.9, "
                        "commit=431fa79ae2, pid=1"),
                (start, f"[{start.strftime('%Y/%m/%d %H:%M:%S')}] [ info] [output:loki:loki.0] configured, hostname "
                        "loki-gateway.monitoring.svc:80"),
                (start, f"[{start.strftime('%Y/%m/%d %H:%M:%S')}] [ info] [http_server] listen iface=0.0.0.0 "
                        "tcp_port=2020")]
        body = L.ticker(max(start, end - timedelta(minutes=20)), end, 10, lambda i, t: (
            f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [error] [input:tail:tail.0] read error, check permissions: "
            "/var/log/containers/*.log" if i % 2 == 0 else
            f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [ warn] [input:tail:tail.0] error scanning path: "
            "/var/log/containers/*.log"))
        return L.lines([*head, *body])

    for h in pods:
        h.logs["fluent-bit"] = fb(h.name, change + timedelta(seconds=30), inc.captured)
        inc.cluster.patch("logging", h.name, lambda pod: pod["spec"].update(
            securityContext=ds_template["securityContext"], volumes=ds_template["volumes"]))
    revision = pods[0].labels["controller-revision-hash"]
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": f"fluent-bit-{revision}", "namespace": "logging", "creationTimestamp": ts(change),
                          "labels": {"app": "fluent-bit", "controller-revision-hash": revision}},
             "revision": 4, "data": {"spec": {"template": {"spec": ds_template}}}})
    token = inc.canary("token", "loki-tenant")
    inc.configmap("logging", "fluent-bit-config", {
        "fluent-bit.conf": "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n\n"
                           "[OUTPUT]\n    Name loki\n    Match *\n    Host loki-gateway.monitoring.svc\n"
                           f"    Port 80\n    http_user tenant-prod\n    http_passwd {token}\n"})

    def loki(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 30, lambda i, t: L.logfmt(
            t, "info", "request", component="distributor", method="POST", path="/loki/api/v1/push",
            status=204, bytes="0B" if t > change + timedelta(minutes=2) else "48kB", duration=f"{2 + i % 5}ms")))

    inc.deployment("monitoring", "loki-gateway", [Rev(3, at - timedelta(days=25), "loki 3.1.1",
                                                       [c("loki-gateway", "docker.io/grafana/loki:3.1.1", port=3100,
                                                          readiness_path="/ready", liveness_path=None)])],
                   {3: [P(log=loki)] * 2})
    inc.alertmanager("FluentbitNoOutputBytesProcessed", {"namespace": "logging", "job": "fluent-bit"},
                     "Fluent Bit is not shipping logs.",
                     "No bytes sent by any fluent-bit output in the last 15 minutes while inputs are configured.",
                     'sum(rate(fluentbit_output_proc_bytes_total{job="fluent-bit"}[5m])) == 0',
                     runbook="https://wiki.example.com/runbooks/logging")
    inc.answer_key(culprit=("DaemonSet", "logging", "fluent-bit"), keywords=["permission", "65534", "/var/log"],
                   root_cause="DaemonSet logging/fluent-bit now runs as uid 65534 (runAsNonRoot hardening) and cannot "
                              "read /var/log/containers (read error, check permissions), so nothing reaches Loki.",
                   category="daemonset-permission-denied",
                   red_herrings=[("Deployment", "monitoring", "loki-gateway")])
    return inc


def node_upgrade_blocked() -> Incident:
    """A node-group upgrade cannot drain a node: auth-api's PodDisruptionBudget allows zero disruptions.

    Somebody asks why the upgrade failed. The node is cordoned and still runs an auth-api pod;
    the PDB demands minAvailable 2 of 2 replicas, so every eviction is refused (429) until the
    upgrade gives up with PodEvictionFailure. auth-api is healthy; the node is fine.
    """
    at = datetime(2026, 10, 5, 13, 40, tzinfo=UTC)
    inc = Incident("node-upgrade-blocked", title="Question: node group upgrade failed", story=(
        "A PodDisruptionBudget that allows no disruption blocks a node drain."), at=at, seed=336)
    auth = inc.pods_of("auth", "auth-api")
    node_name = auth[0].node
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == node_name)
    began = at - timedelta(minutes=52)
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": ts(began)}]
    node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] = "general-v130"
    inc.event(node, "NodeNotSchedulable", f"Node {node_name} status is now: NodeNotSchedulable", began,
              warning=False, component="kubelet", host=node_name)
    pdb = inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                   "metadata": {"name": "auth-api", "namespace": "auth", "generation": 1},
                   "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "auth-api"}}},
                   "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2,
                              "observedGeneration": 1, "conditions": [{
                                  "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                  "message": "", "observedGeneration": 1,
                                  "lastTransitionTime": ts(at - timedelta(days=30))}]}})
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "frontend", "namespace": "web", "generation": 1},
             "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "frontend"}}},
             "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3,
                        "observedGeneration": 1}})
    del pdb
    inc.ask("Our EKS node group upgrade to general-v130 failed with PodEvictionFailure: 'Reached max retries while "
            "trying to evict pods from nodes in node group'. What is blocking it?")
    inc.answer_key(culprit=("PodDisruptionBudget", "auth", "auth-api"),
                   keywords=["minAvailable", "disruptionsAllowed"],
                   root_cause="PodDisruptionBudget auth/auth-api requires minAvailable 2 while auth-api runs exactly "
                              "2 replicas (disruptionsAllowed 0), so the auth-api pod on the cordoned node can never "
                              "be evicted and the drain fails.",
                   category="pdb-blocks-drain", red_herrings=[("Node", "", node_name)])
    return inc


SCENARIOS = [fluentbit_no_output, node_upgrade_blocked]
