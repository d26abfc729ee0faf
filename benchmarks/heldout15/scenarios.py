"""Round 15 of the held-out incident set: twelve platform incidents whose victims live in application namespaces.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied), the third what the bundle holds. The cause is a platform change (storage, mesh, admission,
autoscaling, node templates, certificates, GitOps, operators' custom resources, RBAC, CSI, Service
routing); the alert or question names the victim. Log lines follow the real software's formats
(klog, Envoy, Go, Node.js, Python logging, Spring Boot, Hazelcast, CloudNativePG JSON, Flux JSON).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from corpus.podstate import never_started, volume  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen import emit  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402
from incidentgen.metrics import MetricsWriter  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def start(build: Callable[[], Incident], name: str, title: str, at: datetime, seed: int,
          namespaces: tuple[str, ...] = (), minutes_after: int = 35) -> Incident:
    """An incident whose story is the builder's docstring (the answer, kept out of the bundle)."""
    return Incident(name, title=title, story=build.__doc__ or "", at=at, seed=seed, namespaces=namespaces,
                    minutes_after=minutes_after)


def within(make: Callable[[str, datetime, datetime], Lines], hours: float | None = 3) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted.

    A long-running container's steady lines are generated for its last `hours` only, as a capture with
    `--since` keeps them (weeks of one line per 15 s would be hundreds of MB); None: the whole run, for a log
    whose lines at the container's start matter and which bounds its own steady lines.
    """
    def log(pod: str, s: datetime, e: datetime) -> str:
        begin = s if hours is None else max(s, e - timedelta(hours=hours))
        return L.lines(sorted(x for x in make(pod, begin, e) if s <= x[0] <= e))
    return log


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(begin: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - begin).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def writer(inc: Incident) -> MetricsWriter:
    """The incident's metrics file (two hours before the alert to the capture)."""
    if inc.metrics is None:
        inc.metrics = MetricsWriter(inc.at - timedelta(hours=2), inc.captured)
    return inc.metrics


def finish(inc: Incident, focus: set[tuple[str, str]],
           available: dict[tuple[str, str], Series] | None = None) -> None:
    """Every pod's and Deployment's kube-state-metrics/cAdvisor series: the background noise around the victim."""
    m = writer(inc)
    emit.pod_metrics(inc.cluster, m, focus)
    emit.deployment_metrics(inc.cluster, m, focus, available or {})
    for fam in m.families.values():  # pod-level series of multi-container pods come once, as exporters give them
        seen: set[tuple[tuple[str, str], ...]] = set()
        kept = []
        for labels, samples in fam.series:
            key = tuple(sorted(labels.items()))
            if key not in seen:
                seen.add(key)
                kept.append((labels, samples))
        fam.series = kept


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
        nodes: list[str] | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    plans = [P(log=log, node=nodes[i % len(nodes)] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def planned(inc: Incident, ns: str, name: str, revision: int, count: int) -> dict[str, str]:
    """Pod name -> pod IP of a Deployment revision not built yet (the kit's naming and node choice), so that logs
    written before the pods exist (a server's peers, a member list) name the addresses the pods will have; `pin`
    gives the built pods those addresses."""
    rs = f"{name}-{o.suffix(f'{ns}/{name}/rev{revision}', 10)}"
    out = {}
    for i in range(count):
        pod = f"{rs}-{o.suffix(f'{rs}-{i}', 5)}"
        index = inc.node_names().index(inc.cluster.pick_node(pod)) + 1
        out[pod] = f"10.244.{index}.{200 + 11 * i + sum(name.encode()) % 10}"
    return out


def pin(wl: Any, ips: dict[str, str]) -> None:
    for h in wl.pods:
        h.ip = ips[h.name]


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", runbook: str | None = None) -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": runbook or f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def grouped(inc: Incident, alerts: list[dict[str, Any]], by: list[str]) -> None:
    """A grouped Alertmanager notification (several alerts in one webhook)."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=by)


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced", version: str = "v1",
        short: list[str] | None = None) -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the replay."""
    names: dict[str, Any] = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()}
    if short:
        names["shortNames"] = short
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "names": names, "scope": scope,
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}},
                                    "subresources": {"status": {}}}]},
             "status": {"acceptedNames": names, "storedVersions": [version]}})


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def drop_events(inc: Incident, pod: str, reasons: set[str]) -> None:
    """Remove kit-made events that a pod in this state would not have (a pod still creating never Started)."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def job_name(cron: str, scheduled: datetime) -> str:
    """The name the CronJob controller gives a run: the scheduled time in minutes since the epoch."""
    return f"{cron}-{int(scheduled.timestamp() // 60)}"


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 9, 10, 40, tzinfo=UTC)


def metrics_store_replicas_missing() -> Incident:
    """storageclass-kms-key-volume-provisioning-fails: a StorageClass recreated with a KMS key the CSI driver can't use.

    after: public EKS/EBS CSI issues and vendor notes where an encrypted StorageClass names a customer-managed
    KMS key whose key policy does not grant the driver's role kms:CreateGrant: EC2 creates the volume, cannot
    encrypt it, deletes it at once, and the provisioner reports InvalidVolume.NotFound for every new claim.

    Terraform recreated StorageClass gp3-encrypted at 05:52 with kmsKeyId pointing at the security account's
    new key (was alias/aws/ebs). Existing volumes are unaffected; at 10:15 the team scaled StatefulSet
    tsdb/victoria-storage from 3 to 5 for capacity, and the two new claims never provision: the new pods stay
    Pending. Evidence: ProvisioningFailed events on the PVCs, csi-provisioner's klog errors in kube-system, the
    StorageClass's managedFields and creation time, csi_sidecar_operations metrics. Red herring: vmselect's
    rollout in the same namespace.
    """
    inc = start(metrics_store_replicas_missing, "metrics-store-replicas-missing",
                "victoria-storage replicas missing after scale-up", AT1, 1501, ("tsdb",))
    changed_at = AT1 - timedelta(hours=4, minutes=48)
    scaled = AT1 - timedelta(minutes=25)
    key_new = "arn:aws:kms:eu-west-1:731204958812:key/5b7e2c1a-9d4f-4e0b-8c61-2f3a9d7e4b10"
    sc = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                  "metadata": {"name": "gp3-encrypted", "creationTimestamp": ts(changed_at),
                               "labels": {"app.kubernetes.io/managed-by": "terraform"},
                               "annotations": {"platform.example.com/tf-module": "eks-storage/v3.4.0"}},
                  "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain", "allowVolumeExpansion": True,
                  "volumeBindingMode": "WaitForFirstConsumer",
                  "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": key_new,
                                 "csi.storage.k8s.io/fstype": "ext4"}})
    changed(sc, ("Terraform", "Update", changed_at,
                 {"f:parameters": {".": {}, "f:encrypted": {}, "f:kmsKeyId": {}, "f:type": {}},
                  "f:provisioner": {}, "f:reclaimPolicy": {}, "f:volumeBindingMode": {}}))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "gp2", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "kubernetes.io/aws-ebs", "reclaimPolicy": "Delete",
             "volumeBindingMode": "WaitForFirstConsumer",
             "parameters": {"type": "gp2", "fsType": "ext4"}})

    def storage_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 60, lambda i, t: L.klog(
            t, "I", "storage.go:412", f'"merged parts" partition="2026_11" rows={88000 + i * 731} '
                                      f'duration="{1.2 + (i % 5) * 0.1:.1f}s"'))
    sts = inc.statefulset("tsdb", "victoria-storage",
                          [c("victoria-storage", "docker.io/victoriametrics/vmstorage:v1.106.1-cluster", port=8482,
                             memory_limit="8Gi", memory_request="6Gi", cpu_request="2")],
                          [P(log=within(storage_log)) for _ in range(3)], inc.born + timedelta(days=6),
                          claims=[("data", "500Gi", "gp3-encrypted")], service=8482)
    sts.obj["spec"]["replicas"] = 5
    sts.obj["status"].update({"replicas": 5, "currentReplicas": 5, "updatedReplicas": 5})
    changed(sts.obj, ("helm", "Update", scaled, {"f:spec": {"f:replicas": {}}}))
    inc.event(sts.obj, "SuccessfulCreate", "create Claim data-victoria-storage-3 Pod victoria-storage-3 in "
              "StatefulSet victoria-storage success", scaled + timedelta(seconds=2), warning=False,
              component="statefulset-controller")
    inc.event(sts.obj, "SuccessfulCreate", "create Pod victoria-storage-3 in StatefulSet victoria-storage "
              "successful", scaled + timedelta(seconds=2), warning=False, component="statefulset-controller")
    csi_ctrl = next(iter(planned(inc, "kube-system", "ebs-csi-controller", 1, 1)))
    for ordinal in (3, 4):
        pod = f"victoria-storage-{ordinal}"
        claim = f"data-{pod}"
        created = scaled + timedelta(seconds=2 + 30 * (ordinal - 3))
        pvc = inc.pvc("tsdb", claim, "500Gi", "gp3-encrypted", labels={"app": "victoria-storage"}, phase="Pending")
        pvc["metadata"]["creationTimestamp"] = ts(created)
        pvc["metadata"]["annotations"] = {
            "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
            "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
            "volume.kubernetes.io/selected-node": node(inc, ordinal - 2)}
        vol = f"vol-0{o.suffix(claim + 'vol', 16).lower()}"
        inc.event(pvc, "WaitForFirstConsumer", "waiting for first consumer to be created before binding",
                  created, warning=False, component="persistentvolume-controller")
        inc.event(pvc, "ExternalProvisioning", "Waiting for a volume to be created either by the external "
                  "provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is "
                  "delayed, please verify that the provisioner is running and correctly registered.",
                  created + timedelta(seconds=1), inc.captured - timedelta(seconds=20), count=140, warning=False,
                  component="persistentvolume-controller")
        inc.event(pvc, "Provisioning", f'External provisioner is provisioning volume for claim "tsdb/{claim}"',
                  created + timedelta(seconds=1), inc.captured - timedelta(minutes=2), count=14, warning=False,
                  component=f"ebs.csi.aws.com_{csi_ctrl}_2f8c1d7e-4a61-4bb2-9d0e-51c7a3e9f204")
        inc.event(pvc, "ProvisioningFailed", f'failed to provision volume with StorageClass "gp3-encrypted": rpc '
                  f'error: code = Internal desc = Could not create volume "pvc-{o.uid("pvc", "tsdb", claim)}": '
                  f"failed to get an available volume in EC2: InvalidVolume.NotFound: The volume '{vol}' does not "
                  "exist.", created + timedelta(seconds=9), inc.captured - timedelta(minutes=2), count=14,
                  component=f"ebs.csi.aws.com_{csi_ctrl}_2f8c1d7e-4a61-4bb2-9d0e-51c7a3e9f204")
        h = inc._pod("tsdb", "victoria-storage", pod, Rev(1, created, "helm upgrade", sts.pods[0].containers),
                     P(state="pending", created=created,
                       message=f'running PreBind plugin "VolumeBinding": binding volumes: provisioning failed '
                               f'for PVC "{claim}"'),
                     ordinal, {"app": "victoria-storage", "statefulset.kubernetes.io/pod-name": pod},
                     o.owner_ref("StatefulSet", "victoria-storage", "tsdb"))
        inc.cluster.patch("tsdb", pod, volume("data", claim, "/var/lib/victoria-storage"))
        sts.pods.append(h)

    def provisioner_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s + timedelta(seconds=3), L.klog(s + timedelta(seconds=3), "I", "leaderelection.go:268",
                                                        "successfully acquired lease kube-system/ebs-csi-aws-com"))]
        for ordinal in (3, 4):
            claim = f"data-victoria-storage-{ordinal}"
            first = scaled + timedelta(seconds=3 + 30 * (ordinal - 3))
            for i, t in enumerate(L.every(first, e, 300)):
                vol = f"vol-0{o.suffix(f'{claim}{i}', 16).lower()}"
                out.append((t, L.klog(t, "I", "controller.go:1366",
                                      f'provision "tsdb/{claim}" class "gp3-encrypted": started')))
                out.append((t + timedelta(seconds=7), L.klog(
                    t + timedelta(seconds=7), "W", "controller.go:934",
                    f'Retrying syncing claim "{o.uid("pvc", "tsdb", claim)}", failure {i}')))
                out.append((t + timedelta(seconds=7), L.klog(
                    t + timedelta(seconds=7), "E", "controller.go:957",
                    f'error syncing claim "{o.uid("pvc", "tsdb", claim)}": failed to provision volume with '
                    f'StorageClass "gp3-encrypted": rpc error: code = Internal desc = Could not create volume '
                    f'"pvc-{o.uid("pvc", "tsdb", claim)}": failed to get an available volume in EC2: '
                    f"InvalidVolume.NotFound: The volume '{vol}' does not exist.")))
        return out

    def pv_of(ordinal: int) -> str:
        return o.uid("pvc", "tsdb", f"data-victoria-storage-{ordinal}")

    def plugin_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for ordinal in (3, 4):
            first = scaled + timedelta(seconds=3 + 30 * (ordinal - 3))
            for i, t in enumerate(L.every(first, e, 300)):
                vol = f"vol-0{o.suffix(f'data-victoria-storage-{ordinal}{i}', 16).lower()}"
                out.append((t + timedelta(seconds=1), L.klog(
                    t + timedelta(seconds=1), "I", "controller.go:104",
                    f'"CreateVolume: called" args={{"name":"pvc-{pv_of(ordinal)}",'
                    f'"capacity_range":{{"required_bytes":536870912000}},"parameters":{{"encrypted":"true",'
                    f'"kmsKeyId":"{key_new}","type":"gp3"}}}}')))
                out.append((t + timedelta(seconds=6), L.klog(
                    t + timedelta(seconds=6), "E", "driver.go:107",
                    f'"GRPC error" err="rpc error: code = Internal desc = Could not create volume: failed to get an '
                    f"available volume in EC2: InvalidVolume.NotFound: The volume '{vol}' does not exist.\"")))
        return out
    ctrl = inc.deployment("kube-system", "ebs-csi-controller", [Rev(
        1, inc.born + timedelta(days=2), "helm upgrade",
        [c("ebs-plugin", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.36.0", port=9808),
         c("csi-provisioner", "public.ecr.aws/eks-distro/kubernetes-csi/external-provisioner:v5.1.0-eks-1-31-8",
           port=None)])], {1: [P(log=within(plugin_log))]})
    ctrl.pods[0].logs["csi-provisioner"] = L.lines(sorted(provisioner_log("", ctrl.pods[0].created, inc.captured)))
    herring(inc, "tsdb", "vmselect", "docker.io/victoriametrics/vmselect", "v1.106.0-cluster",
            AT1 - timedelta(minutes=50))
    plant(inc, "tsdb", "vmauth-credentials", "password", "vmauth", "password")

    m = writer(inc)
    base = {"namespace": "tsdb", "statefulset": "victoria-storage", "job": "kube-state-metrics"}
    m.add("kube_statefulset_replicas", "gauge", "Number of desired pods for a StatefulSet.", dict(base),
          step(3, 5, scaled), 30)
    m.add("kube_statefulset_status_replicas_ready", "gauge", "The number of ready replicas per StatefulSet.",
          dict(base), lambda t: 3.0, 30)
    for ordinal in (3, 4):
        created = scaled + timedelta(seconds=2 + 30 * (ordinal - 3))
        m.add("kube_persistentvolumeclaim_status_phase", "gauge",
              "The phase the persistent volume claim is currently in.",
              {"namespace": "tsdb", "persistentvolumeclaim": f"data-victoria-storage-{ordinal}", "phase": "Pending",
               "job": "kube-state-metrics"}, lambda t: 1.0, 30, since=created)
    sidecar = {"driver_name": "ebs.csi.aws.com", "method_name": "/csi.v1.Controller/CreateVolume",
               "job": "ebs-csi-controller"}
    m.add("csi_sidecar_operations_seconds_count", "counter", "Container Storage Interface operation duration.",
          {**sidecar, "grpc_status_code": "OK"}, counter(m.start, 0.0004, 0.0, changed_at), 30)
    m.add("csi_sidecar_operations_seconds_count", "counter", "Container Storage Interface operation duration.",
          {**sidecar, "grpc_status_code": "Internal"}, counter(m.start, 0.0, 2 / 300, scaled), 30)
    finish(inc, {("tsdb", "victoria-storage"), ("kube-system", "ebs-csi-controller")})
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "tsdb", "statefulset": "victoria-storage",
                                                         "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet tsdb/victoria-storage has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_statefulset_status_replicas_ready{job="kube-state-metrics",namespace="tsdb"} != '
                     'kube_statefulset_replicas{job="kube-state-metrics",namespace="tsdb"}')
    inc.answer_key(
        culprit=("StorageClass", "", "gp3-encrypted"),
        keywords=["StorageClass", "KMS key", "provision", "kmsKeyId"],
        root_cause="StorageClass gp3-encrypted was recreated by Terraform with kmsKeyId set to a KMS key the EBS CSI "
                   "driver's role may not use; EC2 deletes each new encrypted volume, so the new claims of "
                   "victoria-storage never provision (InvalidVolume.NotFound) and the scaled-up pods stay Pending",
        category="storageclass-kms-key-volume-provisioning-fails",
        red_herrings=[("Deployment", "tsdb", "vmselect")])
    return inc



# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 10, 15, 20, tzinfo=UTC)


def payout_batch_failing_page() -> Incident:
    """mesh-authorization-policy-omits-caller-principal: an Istio AuthorizationPolicy narrowed to listed principals.

    after: service-mesh zero-trust rollouts described in public postmortems and Istio's own troubleshooting
    notes: an ALLOW policy that lists source principals denies every workload not on the list, and Envoy
    answers 403 "RBAC: access denied" with response details rbac_access_denied_matched_policy[none].

    At 14:34 the platform team's "zero-trust phase 2" commit replaced AuthorizationPolicy ledger/ledger-api-allow
    (was: allow from namespaces payouts and checkout) with principals cluster.local/ns/checkout/sa/checkout and
    cluster.local/ns/payouts/sa/payout-api. payout-worker runs as ServiceAccount payout-worker, so every call it
    makes to ledger-api is refused. Evidence: the worker's Python tracebacks (payouts), ledger-api's istio-proxy
    access log and istio_requests_total by source (ledger), the policy's managedFields. Red herring: payout-api's
    rollout.
    """
    inc = start(payout_batch_failing_page, "payout-batch-failing-page", "payout batches failing", AT2, 1502,
                ("payouts", "ledger"))
    changed_at = AT2 - timedelta(minutes=46)
    crd(inc, "security.istio.io", "AuthorizationPolicy", "authorizationpolicies", short=["ap"])
    crd(inc, "security.istio.io", "PeerAuthentication", "peerauthentications", short=["pa"])
    pol = inc.add({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                   "metadata": {"name": "ledger-api-allow", "namespace": "ledger", "generation": 4,
                                "labels": {"app.kubernetes.io/managed-by": "argocd",
                                           "platform.example.com/policy-tier": "zero-trust"},
                                "annotations": {"argocd.argoproj.io/tracking-id":
                                                "mesh-policies:security.istio.io/AuthorizationPolicy:ledger/"
                                                "ledger-api-allow"}},
                   "spec": {"selector": {"matchLabels": {"app": "ledger-api"}}, "action": "ALLOW",
                            "rules": [{"from": [{"source": {"principals": [
                                "cluster.local/ns/checkout/sa/checkout",
                                "cluster.local/ns/payouts/sa/payout-api"]}}],
                                "to": [{"operation": {"ports": ["8080"]}}]},
                                {"from": [{"source": {"namespaces": ["monitoring"]}}],
                                 "to": [{"operation": {"ports": ["15020"]}}]}]}})
    changed(pol, ("argocd-controller", "Apply", changed_at,
                  {"f:spec": {"f:action": {}, "f:rules": {}, "f:selector": {}}}))
    inc.add({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
             "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}})
    inc.cluster.add_namespace("istio-system", inc.born)
    for ns in ("payouts", "ledger"):
        inc.find("Namespace", "", ns)["metadata"]["labels"]["istio.io/rev"] = "1-23-2"

    def worker_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            batch = 88120 + i // 6
            if t < changed_at:
                return L.pylog(t, "INFO", "payouts.worker", f"batch {batch}: posted entry {i % 6 + 1}/6 to ledger "
                                                            f"(201 Created in {38 + i % 17} ms)")
            url = "http://ledger-api.ledger.svc.cluster.local:8080/v1/entries"
            return (L.pylog(t, "ERROR", "payouts.worker", f"batch {batch}: ledger post failed, batch left in "
                                                           "state PENDING_LEDGER")
                    + "\nTraceback (most recent call last):\n"
                    '  File "/app/payouts/worker.py", line 141, in post_batch\n'
                    "    resp.raise_for_status()\n"
                    '  File "/usr/local/lib/python3.12/site-packages/requests/models.py", line 1024, in '
                    "raise_for_status\n"
                    "    raise HTTPError(http_error_msg, response=self)\n"
                    f"requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: {url}\n"
                    + L.pylog(t, "WARNING", "payouts.ledger_client", "ledger responded 403 body='RBAC: access "
                                                                      "denied' server=envoy"))
        return L.ticker(s, e, 20, line)
    worker = app(inc, "payouts", "payout-worker", f"{REGISTRY}/payouts/payout-worker:2.9.4", 2, within(worker_log),
                 port=None)
    worker.obj["spec"]["template"]["spec"]["serviceAccountName"] = "payout-worker"
    herring(inc, "payouts", "payout-api", f"{REGISTRY}/payouts/payout-api", "4.2.0", AT2 - timedelta(minutes=28))

    def ledger_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 45, lambda i, t: L.js(t, "info", "entry committed", entry_id=f"le_{771000 + i}",
                                                     source="checkout" if i % 3 else "payout-api",
                                                     latency_ms=12 + i % 9))
    ledger = app(inc, "ledger", "ledger-api", f"{REGISTRY}/ledger/ledger-api:5.0.3", 2, within(ledger_log))
    proxy = c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090, memory_limit="1Gi")
    for h in ledger.pods:
        h.containers = [*h.containers, proxy]
        h.states = [*h.states, o.ContainerState(started_at=h.created + timedelta(seconds=4))]
        rows: Lines = []
        own = f"{inc.cluster.pod_ip(h)}:8080"
        for i, t in enumerate(L.every(max(h.created, inc.captured - timedelta(hours=2)), inc.captured, 20)):
            rid = L.uuidish(h.name, i)
            if t < changed_at:
                rows.append((t, L.envoy(t, "POST", "/v1/entries", 201, "-", own, 41, "ledger-api.ledger."
                                        "svc.cluster.local:8080", rid, "via_upstream")))
            else:
                rows.append((t, L.envoy(t, "POST", "/v1/entries", 403, "-", "-", 0,
                                        "ledger-api.ledger.svc.cluster.local:8080", rid,
                                        "rbac_access_denied_matched_policy[none]")))
                rows.append((t + timedelta(seconds=7), L.envoy(
                    t + timedelta(seconds=7), "POST", "/v1/entries", 201, "-", own, 37,
                    "ledger-api.ledger.svc.cluster.local:8080", L.uuidish(h.name + "ok", i), "via_upstream")))
        h.logs["istio-proxy"] = L.lines(rows)
    inc.service("ledger", "ledger-api", {"app": "ledger-api"}, port=8080, target=8080)
    plant(inc, "ledger", "ledger-db", "password", "ledger-db", "password")
    plant(inc, "payouts", "bank-api", "token", "bank-api", "api-token")

    m = writer(inc)
    for src, sa, before, after in (("payout-worker", "payout-worker", 0.05, 0.0),
                                   ("payout-api", "payout-api", 0.4, 0.4),
                                   ("checkout", "checkout", 1.1, 1.1)):
        base = {"namespace": "ledger", "destination_workload": "ledger-api", "destination_workload_namespace":
                "ledger", "source_workload": src, "source_principal": f"spiffe://cluster.local/ns/"
                f"{'payouts' if src != 'checkout' else 'checkout'}/sa/{sa}", "reporter": "destination",
                "job": "istio-proxy"}
        m.add("istio_requests", "counter", "Total requests.", {**base, "response_code": "201",
                                                               "response_flags": "-"},
              counter(m.start, before, after, changed_at), 30)
        if src == "payout-worker":
            m.add("istio_requests", "counter", "Total requests.", {**base, "response_code": "403",
                                                                   "response_flags": "-"},
                  counter(m.start, 0.0, 0.05, changed_at), 30)
    m.add("payouts_batches", "counter", "Payout batches by final state.",
          {"namespace": "payouts", "service": "payout-worker", "state": "pending_ledger", "job": "payout-worker"},
          counter(m.start, 0.0, 0.008, changed_at), 30)
    finish(inc, {("payouts", "payout-worker"), ("ledger", "ledger-api")})
    inc.pagerduty("[FIRING:1] PayoutBatchFailures payouts (payout-worker): 100% of payout batches stuck in "
                  "PENDING_LEDGER for 15m", "Payouts")
    inc.answer_key(
        culprit=("AuthorizationPolicy", "ledger", "ledger-api-allow"),
        keywords=["AuthorizationPolicy", "principals", "service account", "RBAC: access denied"],
        root_cause="Istio AuthorizationPolicy ledger/ledger-api-allow was rewritten to ALLOW only listed principals; "
                   "payout-worker's service account payout-worker is not among them, so Envoy refuses its calls to "
                   "ledger-api with 403 RBAC: access denied",
        category="mesh-authorization-policy-omits-caller-principal",
        red_herrings=[("Deployment", "payouts", "payout-api")])
    return inc



# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 12, 14, 6, tzinfo=UTC)


def _job(inc: Incident, ns: str, cron: str, name: str, started: datetime, done: datetime | None,
         template: dict[str, Any]) -> dict[str, Any]:
    """A Job as the CronJob controller creates it; `done` None: still active."""
    status: dict[str, Any] = {"startTime": ts(started), "ready": 0, "uncountedTerminatedPods": {}}
    if done is None:
        status["active"] = 1
    else:
        status.update({"succeeded": 1, "completionTime": ts(done), "conditions": [
            {"type": "Complete", "status": "True", "lastProbeTime": ts(done), "lastTransitionTime": ts(done)}]})
    return inc.add({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(started),
                                 "labels": {"batch.kubernetes.io/job-name": name, "job-name": name},
                                 "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(started)},
                                 "ownerReferences": [o.owner_ref("CronJob", cron, ns, "batch/v1")]},
                    "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 2, "completionMode": "NonIndexed",
                             "suspend": False, "template": template},
                    "status": status})


def nightly_statements_job_overdue() -> Incident:
    """sidecar-injection-keeps-job-pods-running: a namespace labelled for Istio injection; Job pods never finish.

    after: the long-standing Istio/Kubernetes Job problem that many teams have written up: once a namespace
    gets automatic sidecar injection, a Job's pod carries istio-proxy too; the main container exits 0 but the
    proxy keeps running, so the pod never completes, the Job stays active and the CronJob (concurrencyPolicy
    Forbid) skips later runs.

    Yesterday at 16:40 the mesh onboarding ticket ran `kubectl label namespace statements
    istio-injection=enabled`. Tonight's 02:00 run of CronJob statements/statement-export finished its export at
    02:41 (exit 0) but its pod still runs istio-proxy; the Job is still active twelve hours later. Evidence:
    the Namespace's labels and managedFields, the pod's two container states, yesterday's Job (no sidecar,
    Complete) beside tonight's, kube_job_status_active. Red herring: statement-api's rollout this morning (its
    new pods got the sidecar too and are fine).
    """
    inc = start(nightly_statements_job_overdue, "nightly-statements-job-overdue", "statement-export job overdue",
                AT3, 1503, ("statements",))
    labelled = AT3 - timedelta(hours=21, minutes=26)
    ns_obj = inc.find("Namespace", "", "statements")
    ns_obj["metadata"]["labels"].update({"istio-injection": "enabled", "team": "finance-platform"})
    changed(ns_obj, ("kubectl-create", "Update", inc.born + timedelta(days=3),
                     {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}, "f:team": {}}}}),
            ("kubectl-label", "Update", labelled, {"f:metadata": {"f:labels": {"f:istio-injection": {}}}}))
    inc.cluster.add_namespace("istio-system", inc.born)
    inc.cluster.healthy_deployment("istio-system", "istiod", "docker.io/istio/pilot:1.23.2", 2,
                                   inc.born + timedelta(days=1), memory_mi=310, memory_limit="1Gi")

    image = f"{REGISTRY}/statements/statement-export:3.4.1"
    main = c("statement-export", image, port=None, memory_limit="2Gi", memory_request="1Gi")
    template = {"metadata": {"labels": {"app": "statement-export"}},
                "spec": {"containers": [main.spec()], "restartPolicy": "Never",
                         "serviceAccountName": "statement-export"}}
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "statement-export", "namespace": "statements", "generation": 2,
                          "creationTimestamp": ts(inc.born + timedelta(days=4))},
             "spec": {"schedule": "0 2 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                      "startingDeadlineSeconds": 600, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                      "suspend": False, "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}},
             "status": {"active": [{"apiVersion": "batch/v1", "kind": "Job", "namespace": "statements",
                                    "name": job_name("statement-export", AT3.replace(hour=2, minute=0))}],
                        "lastScheduleTime": ts(AT3.replace(hour=2, minute=0)),
                        "lastSuccessfulTime": ts(AT3.replace(hour=2, minute=0) - timedelta(days=1) +
                                                 timedelta(minutes=39, seconds=12))}})

    def export_log(begin: datetime, rows: int, minutes: int) -> str:
        out: Lines = [(begin + timedelta(seconds=3), L.pylog(begin + timedelta(seconds=3), "INFO", "statements.export",
                                                             "starting monthly-to-date export run"))]
        for i in range(1, 9):
            t = begin + timedelta(minutes=minutes * i / 9)
            out.append((t, L.pylog(t, "INFO", "statements.export", f"shard {i}/8: wrote {rows // 8} statements to "
                                                                   f"s3://acme-statements-prod/{begin:%Y/%m/%d}/"
                                                                   f"part-{i:04d}.parquet")))
        end = begin + timedelta(minutes=minutes)
        out.append((end, L.pylog(end, "INFO", "statements.export", f"export finished: {rows} statements in "
                                                                   f"{minutes * 60 + 11}.4s, exiting 0")))
        return L.lines(out)

    runs = [(AT3.replace(hour=2, minute=0) - timedelta(days=1), 39, 18112, False),
            (AT3.replace(hour=2, minute=0), 41, 18367, True)]
    proxy = c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090, memory_limit="1Gi",
              readiness_path="/healthz/ready", liveness_path=None)
    for begin, minutes, rows, injected in runs:
        name = job_name("statement-export", begin)
        done = begin + timedelta(minutes=minutes, seconds=12)
        job = _job(inc, "statements", "statement-export", name, begin, None if injected else done, template)
        pod = f"{name}-{o.suffix(name + 'pod', 5)}"
        containers = [main, proxy] if injected else [main]
        states = [o.ContainerState(started_at=begin + timedelta(seconds=6), ready=False)]
        if injected:
            states.append(o.ContainerState(started_at=begin + timedelta(seconds=5)))
        h = inc.cluster.add_pod(PodHistory(
            name=pod, namespace="statements", workload="statement-export", containers=containers,
            node=inc.cluster.pick_node(pod), created=begin + timedelta(seconds=1), states=states,
            memory=lambda t: 64 * 1024 * 1024, labels={"app": "statement-export", "job-name": name,
                                                       "batch.kubernetes.io/job-name": name},
            owner=o.owner_ref("Job", name, "statements", "batch/v1"),
            logs={"statement-export": export_log(begin, rows, minutes)}))
        h.ready = lambda t: False
        end_main = begin + timedelta(minutes=minutes, seconds=11)

        def patch(podobj: dict[str, Any], injected: bool = injected, end_main: datetime = end_main,
                  begin: datetime = begin) -> None:
            podobj["spec"]["restartPolicy"] = "Never"
            podobj["spec"]["serviceAccountName"] = podobj["spec"]["serviceAccount"] = "statement-export"
            cs = podobj["status"]["containerStatuses"]
            cs[0].update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 0, "reason": "Completed", "startedAt": ts(begin + timedelta(seconds=6)),
                "finishedAt": ts(end_main), "containerID": cs[0].get("containerID", "")}}})
            if injected:
                podobj["metadata"]["annotations"] = {
                    "sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                               '"volumes":["workload-socket","credential-socket","workload-certs",'
                                               '"istio-envoy","istio-data","istio-podinfo","istio-token",'
                                               '"istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}',
                    "kubectl.kubernetes.io/default-container": "statement-export"}
                podobj["metadata"]["labels"]["security.istio.io/tlsMode"] = "istio"
                podobj["metadata"]["labels"]["service.istio.io/canonical-name"] = "statement-export"
                podobj["spec"]["initContainers"] = [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.23.2",
                                                     "args": ["istio-iptables", "-p", "15001", "-z", "15006",
                                                              "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "",
                                                              "-b", "*", "-d", "15090,15021,15020"]}]
                podobj["status"]["phase"] = "Running"
                for cond in podobj["status"]["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond.update({"status": "False", "reason": "ContainersNotReady",
                                     "message": "containers with unready status: [statement-export]",
                                     "lastTransitionTime": ts(end_main)})
            else:
                podobj["status"]["phase"] = "Succeeded"
                for cond in podobj["status"]["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond.update({"status": "False", "reason": "PodCompleted", "lastTransitionTime": ts(end_main)})
                        cond.pop("message", None)
        inc.cluster.patch("statements", pod, patch)
        if injected:
            h.logs["istio-proxy"] = L.lines([
                (begin + timedelta(seconds=2), f"{ts(begin + timedelta(seconds=2))}\tinfo\tFLAG: --concurrency=\"2\""),
                (begin + timedelta(seconds=3), f"{ts(begin + timedelta(seconds=3))}\tinfo\tsds\tSDS server for "
                                               "workload certificates started, listening on "
                                               "\"var/run/secrets/workload-spiffe-uds/socket\""),
                (begin + timedelta(seconds=4), f"{ts(begin + timedelta(seconds=4))}\tinfo\tcache\tgenerated new "
                                               "workload certificate\tlatency=88.2ms ttl=23h59m59.91s"),
                (begin + timedelta(seconds=5), f"{ts(begin + timedelta(seconds=5))}\tinfo\tEnvoy proxy is ready"),
                *[(t, f"{ts(t)}\tinfo\tcache\tgenerated new workload certificate\tlatency=71.4ms "
                      "ttl=23h59m59.93s") for t in L.every(begin + timedelta(hours=12), inc.captured, 43200)],
                (begin + timedelta(minutes=41, seconds=20),
                 f'[{ts(begin + timedelta(minutes=41, seconds=20))}] "PUT /acme-statements-prod/'
                 f'{begin:%Y/%m/%d}/part-0008.parquet HTTP/1.1" 200 - via_upstream - "-" 18432991 0 2211 2207 "-" '
                 '"Boto3/1.35.44 md/Botocore#1.35.44 ua/2.0 os/linux#6.1.112" "-" "acme-statements-prod.s3.eu-west-'
                 '1.amazonaws.com" "52.218.60.89:443" PassthroughCluster 10.244.3.41:50112 52.218.60.89:443 '
                 '10.244.3.41:50110 - allow_any')])
        inc.event(job, "SuccessfulCreate", f"Created pod: {pod}", begin + timedelta(seconds=1), warning=False,
                  component="job-controller")
        if not injected:
            inc.event(job, "Completed", "Job completed", done, warning=False, component="job-controller")
    cron = inc.find("CronJob", "statements", "statement-export")
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name('statement-export', runs[1][0])}", runs[1][0],
              warning=False, component="cronjob-controller")
    inc.event(cron, "SawCompletedJob", f"Saw completed job: {job_name('statement-export', runs[0][0])}, status: "
              "Complete", runs[0][0] + timedelta(minutes=39, seconds=13), warning=False, component="cronjob-controller")

    def api_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 40, lambda i, t: L.logfmt(t, "info", "request served", method="GET",
                                                         path=f"/v1/statements/{4410000 + i * 7}", status=200,
                                                         duration_ms=14 + i % 11))
    api_revs = [Rev(5, inc.born + timedelta(days=20), "helm upgrade", [c("statement-api", f"{REGISTRY}/statements/"
                                                                        "statement-api:1.18.0")]),
                Rev(6, AT3 - timedelta(hours=3, minutes=10), "helm upgrade",
                    [c("statement-api", f"{REGISTRY}/statements/statement-api:1.18.2")])]
    api = inc.deployment("statements", "statement-api", api_revs, {6: [P(log=within(api_log)), P(log=within(api_log))]})
    for h in api.pods:
        h.containers = [*h.containers, proxy]
        h.states = [*h.states, o.ContainerState(started_at=h.created + timedelta(seconds=4))]
    plant(inc, "statements", "statement-export-s3", "aws-secret", "statement-export", "AWS_SECRET_ACCESS_KEY")

    m = writer(inc)
    for begin, minutes, _, injected in runs:
        name = job_name("statement-export", begin)
        done = begin + timedelta(minutes=minutes, seconds=12)
        base = {"namespace": "statements", "job_name": name, "job": "kube-state-metrics"}
        finished = inc.captured + timedelta(days=1) if injected else done  # tonight's run never finishes
        m.add("kube_job_status_active", "gauge", "The number of actively running pods.", dict(base),
              step(1.0, 0.0, finished), 60)
        m.add("kube_job_status_succeeded", "gauge", "The number of pods which reached Phase Succeeded.", dict(base),
              step(0.0, 1.0, finished), 60)
        m.add("kube_job_status_start_time", "gauge", "StartTime represents time when the job was acknowledged by "
              "the Job Manager.", dict(base), lambda t, b=begin: b.timestamp(), 60)
    last_ok = (runs[0][0] + timedelta(minutes=39, seconds=12)).timestamp()
    m.add("kube_cronjob_status_last_successful_time", "gauge", "LastSuccessfulTime keeps information of when was "
          "the last time the job was completed successfully.",
          {"namespace": "statements", "cronjob": "statement-export", "job": "kube-state-metrics"},
          lambda t: last_ok, 60)
    finish(inc, {("statements", "statement-export"), ("statements", "statement-api")})
    today = job_name("statement-export", runs[1][0])
    inc.alertmanager("KubeJobNotCompleted", {"namespace": "statements", "job_name": today,
                                             "job": "kube-state-metrics"},
                     "Job did not complete in time",
                     f"Job statements/{today} is taking more than 12h 0m 0s to complete.",
                     'time() - max by (namespace, job_name, cluster) (kube_job_status_start_time{job="kube-state-'
                     'metrics"} and kube_job_status_active{job="kube-state-metrics"} > 0) > 43200')
    inc.answer_key(
        culprit=("Namespace", "", "statements"),
        keywords=["istio-injection", "sidecar", "istio-proxy", "never completes"],
        root_cause="Namespace statements was labelled istio-injection=enabled yesterday; the statement-export Job's "
                   "pod now carries the istio-proxy sidecar, which keeps running after the export exits 0, so the "
                   "pod never completes and the Job stays active",
        category="sidecar-injection-keeps-job-pods-running",
        red_herrings=[("Deployment", "statements", "statement-api")])
    return inc



# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 13, 12, 25, tzinfo=UTC)


def hpa(inc: Incident, ns: str, name: str, lo: int, hi: int, current: int, desired: int, cpu_now: int,
        behavior: dict[str, Any] | None = None, conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An autoscaling/v2 HPA on CPU utilisation with its status as the controller writes it."""
    spec: dict[str, Any] = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                            "minReplicas": lo, "maxReplicas": hi,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 70}}}]}
    if behavior:
        spec["behavior"] = behavior
    return inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                    "spec": spec,
                    "status": {"currentReplicas": current, "desiredReplicas": desired,
                               "lastScaleTime": ts(inc.at - timedelta(minutes=5)),
                               "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                                   "averageUtilization": cpu_now, "averageValue": f"{cpu_now * 5}m"}}}],
                               "conditions": conditions or []}})


def search_capacity_grouped() -> Incident:
    """admission-policy-cel-rule-blocks-scale-up: a ValidatingAdmissionPolicy now denies pods without a CPU limit.

    after: Kubernetes ValidatingAdmissionPolicy (CEL) rollouts and the older policy-engine incidents public
    write-ups describe: a baseline policy tightened cluster-wide in Deny mode leaves running pods alone, so
    nothing breaks until a controller has to create a pod; then the ReplicaSet controller's creates are
    refused and an HPA scale-up at peak never materialises.

    At 10:02 the platform team added a validation to ValidatingAdmissionPolicy pod-baseline (bound with
    validationActions [Deny] to every namespace labelled tenant-tier=apps): every container must set
    resources.limits.cpu. search-api sets none. At the lunchtime peak the HPA asks for 9 replicas; the
    ReplicaSet controller's creates fail with "ValidatingAdmissionPolicy 'pod-baseline' with binding
    'pod-baseline-apps' denied request", four pods carry the load and latency climbs. Evidence: FailedCreate
    events on the ReplicaSet (search), the cluster-scoped policy's managedFields, HPA status and metrics. Red
    herring: search-indexer's rollout.
    """
    inc = start(search_capacity_grouped, "search-capacity-grouped", "search-api capacity alerts", AT4, 1504,
                ("search",))
    changed_at = AT4 - timedelta(hours=2, minutes=23)
    peak = AT4 - timedelta(minutes=22)
    inc.find("Namespace", "", "search")["metadata"]["labels"]["tenant-tier"] = "apps"
    for ns in ("shop", "payments", "web"):
        inc.find("Namespace", "", ns)["metadata"]["labels"]["tenant-tier"] = "apps"
    pol = inc.add({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
                   "metadata": {"name": "pod-baseline", "generation": 7,
                                "labels": {"app.kubernetes.io/managed-by": "argocd",
                                           "platform.example.com/owner": "platform-security"}},
                   "spec": {"failurePolicy": "Fail",
                            "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                                    "operations": ["CREATE"],
                                                                    "resources": ["pods"]}]},
                            "validations": [
                                {"expression": "object.spec.containers.all(c, !has(c.securityContext) || "
                                               "!has(c.securityContext.privileged) || "
                                               "c.securityContext.privileged == false)",
                                 "message": "privileged containers are not allowed"},
                                {"expression": "object.spec.containers.all(c, has(c.resources.limits) && "
                                               "'cpu' in c.resources.limits)",
                                 "message": "containers must set resources.limits.cpu"}]},
                   "status": {"observedGeneration": 7, "typeChecking": {}}})
    changed(pol, ("argocd-controller", "Apply", changed_at,
                  {"f:spec": {"f:failurePolicy": {}, "f:matchConstraints": {}, "f:validations": {}}}))
    inc.add({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
             "metadata": {"name": "pod-baseline-apps", "creationTimestamp": ts(inc.born + timedelta(days=6))},
             "spec": {"policyName": "pod-baseline", "validationActions": ["Deny"],
                      "matchResources": {"namespaceSelector": {"matchLabels": {"tenant-tier": "apps"}}}}})

    def search_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t >= peak
            ms = (1400 + (i * 37) % 1900) if slow else (45 + (i * 7) % 60)
            return L.js(t, "warn" if slow and ms > 2000 else "info", "search served",
                        route="/v2/search", status=200 if ms < 3000 else 504, duration_ms=ms,
                        inflight=(180 + i % 40) if slow else (20 + i % 9))
        return L.ticker(s, e, 15, line)
    rev = Rev(14, inc.born + timedelta(days=16), "helm upgrade",
              [c("search-api", f"{REGISTRY}/search/search-api:7.3.0", cpu_request="500m", memory_limit="1Gi")])
    wl = inc.deployment("search", "search-api", [rev], {14: [P(log=within(search_log)) for _ in range(4)]},
                        replicas=9)
    changed(wl.obj, ("helm", "Update", rev.at, {"f:spec": {"f:template": {}}}),
            ("kube-controller-manager", "Update", peak, {"f:spec": {"f:replicas": {}}}))
    rs = inc.find("ReplicaSet", "search", wl.rs[14])
    rs["spec"]["replicas"] = 9
    rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = "9"
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[14]} to 9 from 4", peak, warning=False,
              component="deployment-controller")
    inc.event(rs, "FailedCreate", f'Error creating: pods "{wl.rs[14]}-" is forbidden: '
              "ValidatingAdmissionPolicy 'pod-baseline' with binding 'pod-baseline-apps' denied request: containers "
              "must set resources.limits.cpu", peak + timedelta(seconds=1), inc.captured - timedelta(seconds=50),
              count=19, component="replicaset-controller")
    h = hpa(inc, "search", "search-api", 4, 12, 4, 9, 151, conditions=[
        {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
         "message": "recommended size matches current size", "lastTransitionTime": ts(peak)},
        {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
         "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                    "(percentage of request)", "lastTransitionTime": ts(inc.born)},
        {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
         "message": "the desired count is within the acceptable range", "lastTransitionTime": ts(peak)}])
    inc.event(h, "SuccessfulRescale", "New size: 9; reason: cpu resource utilization (percentage of request) above "
              "target", peak, warning=False, component="horizontal-pod-autoscaler")
    inc.service("search", "search-api", {"app": "search-api"})
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "2.11.0",
            AT4 - timedelta(minutes=55))
    plant(inc, "search", "opensearch-credentials", "password", "opensearch", "password")

    m = writer(inc)
    hb = {"namespace": "search", "horizontalpodautoscaler": "search-api", "job": "kube-state-metrics"}
    m.add("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas of pods "
          "managed by this autoscaler.", dict(hb), step(4, 9, peak), 30)
    m.add("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of pods "
          "managed by this autoscaler.", dict(hb), lambda t: 4.0, 30)
    m.add("kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "Upper limit for the number of pods that can "
          "be set by the autoscaler; cannot be smaller than MinReplicas.", dict(hb), lambda t: 12.0, 30)
    emit.http_metrics(m, "search", "search-api",
                      {"200": lambda t: 140.0 if t >= peak else 60.0, "504": lambda t: 9.0 if t >= peak else 0.0},
                      lambda t, le: (0.35 if le < 2.5 else 0.8) if t >= peak else (0.97 if le >= 0.1 else 0.6))
    finish(inc, {("search", "search-api")}, {("search", "search-api"): lambda t: 4.0})
    labels = {"namespace": "search", "job": "kube-state-metrics"}
    grouped(inc, [
        alert(inc, "KubeHpaReplicasMismatch", {**labels, "horizontalpodautoscaler": "search-api"},
              "HPA has not matched desired number of replicas.",
              "HPA search/search-api has not matched the desired number of replicas for longer than 15 minutes.",
              'kube_horizontalpodautoscaler_status_desired_replicas{job="kube-state-metrics"} != '
              'kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics"}'),
        alert(inc, "KubeDeploymentReplicasMismatch", {**labels, "deployment": "search-api"},
              "Deployment has not matched the expected number of replicas.",
              "Deployment search/search-api has not matched the expected number of replicas for longer than 15 "
              "minutes.", 'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                          'kube_deployment_status_replicas_available{job="kube-state-metrics"}'),
        alert(inc, "SearchApiLatencyHigh", {"namespace": "search", "service": "search-api", "job": "search-api"},
              "search-api p99 latency above 2s", "p99 latency of search-api is 3.4s (SLO 800ms) for 10 minutes.",
              'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="search",'
              'service="search-api"}[5m]))) > 2', severity="critical",
              runbook="https://wiki.example.com/search/runbooks/latency")], ["namespace"])
    inc.answer_key(
        culprit=("ValidatingAdmissionPolicy", "", "pod-baseline"),
        keywords=["ValidatingAdmissionPolicy", "CPU limit", "denied", "scale-up"],
        root_cause="ValidatingAdmissionPolicy pod-baseline gained a Deny rule requiring resources.limits.cpu; "
                   "search-api sets no CPU limit, so the ReplicaSet controller's pod creates are denied "
                   "(FailedCreate) and the HPA's scale-up from 4 to 9 never happens",
        category="admission-policy-cel-rule-blocks-scale-up",
        red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 16, 8, 50, tzinfo=UTC)


def catalog_latency_page() -> Incident:
    """hpa-scale-up-policy-throttles-peak: an HPA's behavior.scaleUp limited to one pod per ten minutes.

    after: autoscaling postmortems where a "smoother scaling" change (HPA v2 behavior policies, meant to protect
    a database from connection storms) made scale-up far slower than the traffic ramp: the HPA reports
    ScalingLimited/ScaleUpLimit while the service saturates.

    At 03:05 a GitOps sync set HorizontalPodAutoscaler catalog/catalog-api's behavior.scaleUp to
    policies [{type: Pods, value: 1, periodSeconds: 600}] with selectPolicy Min (default behaviour allows
    doubling every 15 s). When the Monday campaign email lands at 08:30 the HPA wants 18 replicas and adds one
    every ten minutes; p99 latency passes 2 s. Evidence: the HPA's spec, managedFields, ScalingLimited
    condition and one-pod SuccessfulRescale events, desired vs current metrics, CPU-saturated Spring logs. Red
    herring: catalog-images' rollout.
    """
    inc = start(catalog_latency_page, "catalog-latency-page", "catalog-api latency page", AT5, 1505, ("catalog",),
                minutes_after=25)
    changed_at = AT5 - timedelta(hours=5, minutes=45)
    ramp = AT5 - timedelta(minutes=20)
    steps = [ramp + timedelta(minutes=10 * i) for i in range(5)]  # 5, 6, 7, 8, 9 replicas

    def api_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < ramp:
                return L.spring(t, "INFO", "c.a.catalog.web.ProductController", f"GET /api/v2/products/"
                                f"{30000 + i * 13} 200 in {40 + i % 30} ms", thread=f"http-nio-8080-exec-{i % 40 + 1}")
            ms = 1800 + (i * 53) % 2600
            return L.spring(t, "WARN", "c.a.catalog.web.SlowRequestFilter", f"GET /api/v2/products/{30000 + i * 13} "
                            f"took {ms} ms (threads busy 200/200, queue {40 + i % 60})",
                            thread=f"http-nio-8080-exec-{i % 200 + 1}")
        return L.ticker(s, e, 12, line)
    rev = Rev(31, inc.born + timedelta(days=22), "helm upgrade",
              [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:12.4.2", cpu_request="1", memory_limit="2Gi",
                 memory_request="1536Mi")])
    plans = [P(log=within(api_log)) for _ in range(4)]
    plans += [P(log=within(api_log), created=t + timedelta(seconds=3)) for t in steps]
    wl = inc.deployment("catalog", "catalog-api", [rev], {31: plans}, replicas=9)
    desired = 18
    h = hpa(inc, "catalog", "catalog-api", 4, 30, 9, 9, 188, behavior={
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Min",
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 600}]},
        "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}},
        conditions=[
            {"type": "AbleToScale", "status": "True", "reason": "ScaleUpStabilized",
             "message": "recent recommendations were lower than current one, applying the lowest recent "
                        "recommendation", "lastTransitionTime": ts(steps[-1])},
            {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
             "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                        "(percentage of request)", "lastTransitionTime": ts(inc.born)},
            {"type": "ScalingLimited", "status": "True", "reason": "ScaleUpLimit",
             "message": "the desired replica count is increasing faster than the maximum scale rate",
             "lastTransitionTime": ts(ramp)}])
    changed(h, ("kube-controller-manager", "Update", steps[-1], {"f:status": {}}),
            ("argocd-controller", "Apply", changed_at, {"f:spec": {"f:behavior": {"f:scaleDown": {}, "f:scaleUp": {
                ".": {}, "f:policies": {}, "f:selectPolicy": {}, "f:stabilizationWindowSeconds": {}}}}}))
    h["metadata"]["managedFields"][0]["subresource"] = "status"
    for i, t in enumerate(steps):
        inc.event(h, "SuccessfulRescale", f"New size: {5 + i}; reason: cpu resource utilization (percentage of "
                  "request) above target", t, warning=False, component="horizontal-pod-autoscaler")
        inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[31]} to {5 + i} from {4 + i}", t,
                  warning=False, component="deployment-controller")
    inc.service("catalog", "catalog-api", {"app": "catalog-api"})
    herring(inc, "catalog", "catalog-images", f"{REGISTRY}/catalog/catalog-images", "3.2.0",
            AT5 - timedelta(minutes=70))
    plant(inc, "catalog", "catalog-db", "password", "catalog-db", "password")

    m = writer(inc)
    hb = {"namespace": "catalog", "horizontalpodautoscaler": "catalog-api", "job": "kube-state-metrics"}

    def current(t: datetime) -> float:
        return 4.0 + sum(1 for x in steps if x <= t)
    m.add("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas of pods "
          "managed by this autoscaler.", dict(hb), current, 30)
    m.add("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of pods "
          "managed by this autoscaler.", dict(hb), current, 30)
    m.add("kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "Upper limit for the number of pods that can "
          "be set by the autoscaler; cannot be smaller than MinReplicas.", dict(hb), lambda t: 30.0, 30)
    m.add("kube_horizontalpodautoscaler_status_condition", "gauge", "The condition of this autoscaler.",
          {**hb, "condition": "ScalingLimited", "status": "true"}, lambda t: 1.0 if t >= ramp else 0.0, 30)
    m.add("kube_horizontalpodautoscaler_status_target_metric", "gauge", "The metric value used by this autoscaler "
          "when calculating the desired replica count.", {**hb, "metric_name": "cpu", "metric_target_type":
                                                          "utilization"},
          lambda t: 52.0 if t < ramp else round(desired * 70 / current(t)), 30)
    emit.http_metrics(m, "catalog", "catalog-api",
                      {"200": lambda t: 900.0 if t >= ramp else 260.0, "503": lambda t: 30.0 if t >= ramp else 0.0},
                      lambda t, le: (0.2 if le < 1 else 0.55 if le < 5 else 0.9) if t >= ramp else
                      (0.98 if le >= 0.1 else 0.7))
    finish(inc, {("catalog", "catalog-api")}, {("catalog", "catalog-api"): current})
    inc.pagerduty("[FIRING:1] CatalogApiLatencyP99 catalog (catalog-api): p99 3.1s > 2s for 10m", "Catalog")
    inc.answer_key(
        culprit=("HorizontalPodAutoscaler", "catalog", "catalog-api"),
        keywords=["HPA", "scaleUp", "behavior", "periodSeconds"],
        root_cause="a GitOps sync set the catalog-api HPA's behavior.scaleUp policy to 1 pod per periodSeconds 600 "
                   "(selectPolicy Min), so at the traffic ramp the HPA adds one replica every ten minutes while it "
                   "wants 18 (ScalingLimited ScaleUpLimit) and catalog-api saturates",
        category="hpa-scale-up-policy-throttles-peak",
        red_herrings=[("Deployment", "catalog", "catalog-images")])
    return inc



# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 17, 11, 5, tzinfo=UTC)


def ds_pod(inc: Incident, ns: str, ds: str, node_name: str, created: datetime) -> PodHistory:
    """The pod a DaemonSet starts on a node that joined after the others."""
    model = next(p for p in inc.cluster.pods if p.namespace == ns and p.workload == ds)
    name = f"{ds}-{o.suffix(f'{ns}/{ds}/{node_name}', 5)}"
    return inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=ds, containers=model.containers, node=node_name, created=created,
        states=[o.ContainerState(started_at=created + timedelta(seconds=9))], memory=model.memory,
        labels=dict(model.labels), owner=model.owner, logs=dict(model.logs)))


def node_pods_aws_errors_question() -> Incident:
    """imds-hop-limit-blocks-pod-node-credentials: a Karpenter EC2NodeClass set httpPutResponseHopLimit to 1.

    after: AWS and Karpenter documentation and public incident notes on IMDSv2: with httpTokens required and a
    PUT response hop limit of 1, the token response cannot cross the extra network hop into a pod's network
    namespace, so SDKs in pods that rely on the node's instance profile time out fetching credentials; only
    nodes launched after the change are affected.

    At 07:02 a CIS-hardening commit synced EC2NodeClass al2023-general's metadataOptions.httpPutResponseHopLimit
    from 2 to 1. Karpenter launched one node since, ip-10-0-5-24 (09:15), for the morning scale-up. On it,
    fluent-bit cannot ship to CloudWatch and the thumbnailer pod cannot upload to S3 ("no EC2 IMDS role found",
    context deadline exceeded); the same workloads on the four older nodes are fine. Evidence: the node's
    creation time and NodeClaim, the cluster-scoped EC2NodeClass and its managedFields, per-pod errors and
    metrics split by node, Karpenter's launch log. Red herring: media-api's rollout.
    """
    inc = start(node_pods_aws_errors_question, "node-pods-aws-errors-question", "one node's pods failing AWS calls",
                AT6, 1506, ("media", "logging", "karpenter"))
    changed_at = AT6 - timedelta(hours=4, minutes=3)
    launched = AT6 - timedelta(hours=1, minutes=50)
    new = "ip-10-0-5-24.eu-west-1.compute.internal"
    n = o.node(new, 5, launched, "eu-west-1b", now=inc.captured)
    n["kind"], n["apiVersion"] = "Node", "v1"
    inc.cluster.nodes.append(n)
    for nd in inc.cluster.nodes:
        nd["metadata"]["labels"].update({"karpenter.sh/nodepool": "general", "karpenter.sh/capacity-type":
                                         "on-demand", "karpenter.k8s.aws/ec2nodeclass": "al2023-general",
                                         "karpenter.sh/registered": "true", "karpenter.sh/initialized": "true"})
        nd["metadata"]["annotations"]["karpenter.k8s.aws/ec2nodeclass-hash"] = (
            "4417820310929917301" if nd is n else "10882349412011264317")
        nd["metadata"]["annotations"]["karpenter.k8s.aws/ec2nodeclass-hash-version"] = "v4"
    for ns, ds in (("kube-system", "kube-proxy"), ("kube-system", "aws-node"), ("monitoring", "node-exporter")):
        ds_pod(inc, ns, ds, new, launched + timedelta(seconds=40))
        obj = inc.find("DaemonSet", ns, ds)
        for k in ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady",
                  "updatedNumberScheduled"):
            obj["status"][k] = 5
    crd(inc, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", scope="Cluster", short=["ec2nc"])
    crd(inc, "karpenter.sh", "NodePool", "nodepools", scope="Cluster")
    crd(inc, "karpenter.sh", "NodeClaim", "nodeclaims", scope="Cluster")
    nc = inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
                  "metadata": {"name": "al2023-general", "generation": 9,
                               "finalizers": ["karpenter.k8s.aws/termination"],
                               "annotations": {"karpenter.k8s.aws/ec2nodeclass-hash": "4417820310929917301",
                                               "karpenter.k8s.aws/ec2nodeclass-hash-version": "v4"}},
                  "spec": {"amiFamily": "AL2023", "amiSelectorTerms": [{"alias": "al2023@v20241031"}],
                           "role": "KarpenterNodeRole-prod-eu-west-1",
                           "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                           "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                           "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                                               "httpPutResponseHopLimit": 1, "httpTokens": "required"},
                           "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                               "volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True}}]},
                  "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "",
                                             "lastTransitionTime": ts(inc.born)}],
                             "instanceProfile": "prod-eu-west-1_1290381720381"}})
    changed(nc, ("argocd-controller", "Apply", changed_at,
                 {"f:spec": {"f:metadataOptions": {"f:httpEndpoint": {}, "f:httpPutResponseHopLimit": {},
                                                   "f:httpTokens": {}}}}))
    inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
             "metadata": {"name": "general"},
             "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                             "name": "al2023-general"},
                                            "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                              "values": ["on-demand"]}]}},
                      "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m",
                                     "budgets": [{"nodes": "0", "schedule": "0 6 * * mon-fri", "duration": "12h"}]},
                      "limits": {"cpu": "400"}}})
    for nd in inc.cluster.nodes:
        claim = f"general-{o.suffix(nd['metadata']['name'], 5)}"
        inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim",
                 "metadata": {"name": claim, "creationTimestamp": nd["metadata"]["creationTimestamp"],
                              "labels": {"karpenter.sh/nodepool": "general"}},
                 "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                           "name": "al2023-general"}},
                 "status": {"nodeName": nd["metadata"]["name"], "providerID": nd["spec"]["providerID"],
                            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "",
                                            "lastTransitionTime": nd["metadata"]["creationTimestamp"]}]}})

    thumb_rs = f"thumbnailer-{o.suffix('media/thumbnailer/rev8', 10)}"
    stranded = f"{thumb_rs}-{o.suffix(f'{thumb_rs}-2', 5)}"  # the thumbnailer pod Karpenter launched the node for

    def karpenter_log(pod: str, s: datetime, e: datetime) -> Lines:
        t = launched - timedelta(seconds=50)
        claim = f"general-{o.suffix(new, 5)}"
        base = {"commit": "9b5f1a3", "controller": "provisioner"}
        return [(t, L.js(t, "INFO", "found provisionable pod(s)", **base,
                         Pods=f"media/{stranded}", duration="88ms")),
                (t, L.js(t, "INFO", "computed new nodeclaim(s) to fit pod(s)", **base, nodeclaims=1, pods=1)),
                (t + timedelta(seconds=1), L.js(t + timedelta(seconds=1), "INFO", "created nodeclaim", **base,
                                                NodePool={"name": "general"}, NodeClaim={"name": claim},
                                                requests={"cpu": "2210m", "memory": "3784Mi", "pods": "9"},
                                                instance_types="c6i.xlarge, m6i.xlarge, m7i.xlarge and 12 other(s)")),
                (t + timedelta(seconds=4), L.js(t + timedelta(seconds=4), "INFO", "launched nodeclaim",
                                                commit="9b5f1a3", controller="nodeclaim.lifecycle",
                                                NodeClaim={"name": claim}, provider_id=n["spec"]["providerID"],
                                                instance_type="m6i.xlarge", zone="eu-west-1b",
                                                capacity_type="on-demand", allocatable={"cpu": "3920m",
                                                                                        "memory": "14162Mi"})),
                (launched + timedelta(seconds=38), L.js(launched + timedelta(seconds=38), "INFO", "registered "
                                                        "nodeclaim", commit="9b5f1a3", controller="nodeclaim.lifecycle",
                                                        NodeClaim={"name": claim}, Node={"name": new})),
                *[(x, L.js(x, "INFO", "pod(s) have a preferred TopologySpreadConstraint which can prevent "
                                       "consolidation", commit="9b5f1a3", controller="disruption"))
                  for x in L.every(s, e, 1800)]]
    kp = app(inc, "karpenter", "karpenter", "public.ecr.aws/karpenter/controller:1.0.6", 1, within(karpenter_log),
             port=8000)
    kp.obj["spec"]["template"]["spec"]["serviceAccountName"] = "karpenter"

    inc.cluster.daemonset("logging", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
                          inc.born + timedelta(days=2), memory_mi=38, port=2020)
    for h in inc.pods_of("logging", "fluent-bit"):
        def fb(t: datetime, i: int, bad: bool, h: PodHistory = h) -> str:
            stamp = t.strftime("%Y/%m/%d %H:%M:%S")
            if not bad:
                return f"[{stamp}] [ info] [output:cloudwatch_logs:cloudwatch_logs.0] Sent {40 + i % 30} events to " \
                       f"CloudWatch for stream {h.node}.kube.var.log.containers"
            return (f"[{stamp}] [error] [imds] unable to retrieve IMDSv2 token: connection timed out (PUT "
                    f"http://169.254.169.254/latest/api/token)\n"
                    f"[{stamp}] [error] [aws_credentials] Failed to retrieve credentials from EC2 Instance Metadata "
                    f"Service\n[{stamp}] [error] [output:cloudwatch_logs:cloudwatch_logs.0] Failed to create log "
                    f"stream {h.node}.kube.var.log.containers\n[{stamp}] [ warn] [engine] failed to flush chunk "
                    f"'1-{int(t.timestamp())}.{i}.flb', retry in {10 + i % 50} seconds: task_id={i % 12}, "
                    "input=tail.0 > output=cloudwatch_logs.0 (out_id=0)")
        begin = max(h.created, inc.captured - timedelta(hours=2))
        h.logs["fluent-bit"] = L.lines([(t, fb(t, i, h.node == new)) for i, t in enumerate(L.every(begin, inc.captured,
                                                                                                     60))])

    def thumb_log(pod: str, s: datetime, e: datetime) -> Lines:
        bad = pod == stranded

        def line(i: int, t: datetime) -> str:
            key = f"uploads/2026/11/17/{L.uuidish(pod, i)[:18]}.jpg"
            if not bad:
                return L.js(t, "info", "thumbnail stored", bucket="acme-media-prod", key=key, sizes="64,256,1024",
                            ms=120 + i % 90)
            return L.js(t, "error", "thumbnail upload failed", bucket="acme-media-prod", key=key,
                        error="operation error S3: PutObject, get identity: get credentials: failed to refresh cached "
                              "credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, canceled, "
                              "context deadline exceeded", attempt=3)
        return L.ticker(s, e, 30, line)
    thumb_rev = Rev(8, inc.born + timedelta(days=18), "helm upgrade",
                    [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:1.14.2", memory_limit="1Gi",
                       env=[{"name": "AWS_REGION", "value": "eu-west-1"},
                            {"name": "MEDIA_BUCKET", "value": "acme-media-prod"}])])
    nodes = inc.node_names()
    thumb = inc.deployment("media", "thumbnailer", [thumb_rev], {8: [
        P(log=within(thumb_log), node=nodes[0]), P(log=within(thumb_log), node=nodes[2]),
        P(log=within(thumb_log), node=new, created=launched + timedelta(minutes=1))]})
    herring(inc, "media", "media-api", f"{REGISTRY}/media/media-api", "6.0.3", AT6 - timedelta(minutes=40))
    plant(inc, "media", "cdn-signing-key", "token", "cdn", "private-key")

    m = writer(inc)
    for h in inc.pods_of("logging", "fluent-bit"):
        bad = h.node == new
        m.add("fluentbit_output_errors", "counter", "Number of output errors.",
              {"namespace": "logging", "pod": h.name, "name": "cloudwatch_logs.0", "job": "fluent-bit"},
              counter(m.start, 0.0, 1 / 60 if bad else 0.0, launched), 60)
        m.add("fluentbit_output_proc_records", "counter", "Number of processed output records.",
              {"namespace": "logging", "pod": h.name, "name": "cloudwatch_logs.0", "job": "fluent-bit"},
              counter(m.start, 0.8, 0.0 if bad else 0.8, launched), 60)
    for h in thumb.pods:
        bad = h.node == new
        for result, rate in (("ok", 0.0 if bad else 1 / 30), ("error", 1 / 30 if bad else 0.0)):
            m.add("thumbnail_uploads", "counter", "Thumbnail uploads by result.",
                  {"namespace": "media", "pod": h.name, "result": result, "job": "thumbnailer"},
                  counter(m.start, 1 / 30 if result == "ok" else 0.0, rate, launched), 30)
    finish(inc, {("media", "thumbnailer"), ("logging", "fluent-bit")})
    inc.ask(f"Pods running on {new} keep failing their AWS calls (S3 uploads, CloudWatch shipping) while the same "
            "pods on other nodes are fine. What's wrong with that node?")
    inc.answer_key(
        culprit=("EC2NodeClass", "", "al2023-general"),
        keywords=["EC2NodeClass", "httpPutResponseHopLimit", "IMDS", "hop limit"],
        root_cause="EC2NodeClass al2023-general was changed to metadataOptions httpPutResponseHopLimit 1 (IMDSv2 "
                   "required); node ip-10-0-5-24, launched after the change, gives pods no IMDS token across the "
                   "extra hop, so pods relying on the node role cannot get credentials (hop limit too low)",
        category="imds-hop-limit-blocks-pod-node-credentials",
        red_herrings=[("Deployment", "media", "media-api")])
    return inc



# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 18, 16, 12, tzinfo=UTC)


def bank_transfers_failing_page() -> Incident:
    """certificate-usages-drop-client-auth: a cert-manager Certificate re-issued with usages lacking client auth.

    after: mTLS outages in public write-ups and cert-manager issues where a shared chart or a values clean-up set
    a Certificate's usages to server auth only; cert-manager re-issues at once (the spec changed), the client
    reloads the new pair, and the server's Go TLS stack rejects it: "x509: certificate specified an incompatible
    key usage"; the client sees "remote error: tls: bad certificate".

    At 14:40 the platform-certs library chart 2.0 rendered Certificate transfers/transfer-api-client with usages
    [digital signature, key encipherment, server auth] (was: client auth). cert-manager issued
    CertificateRequest transfer-api-client-7 at 14:40; transfer-api hot-reloads the Secret at 14:41 and every
    call to bank-gateway fails its handshake. Evidence: the Certificate's spec, events and managedFields, the
    new CertificateRequest, transfer-api's errors (transfers), bank-gateway's handshake errors (gateway),
    handshake metrics. Red herring: bank-gateway's own rollout an hour earlier.
    """
    inc = start(bank_transfers_failing_page, "bank-transfers-failing-page", "outbound bank transfers failing", AT7,
                1507, ("transfers", "gateway", "cert-manager"))
    changed_at = AT7 - timedelta(minutes=92)
    reload_at = changed_at + timedelta(seconds=58)
    crd(inc, "cert-manager.io", "Certificate", "certificates", short=["cert", "certs"])
    crd(inc, "cert-manager.io", "CertificateRequest", "certificaterequests", short=["cr", "crs"])
    crd(inc, "cert-manager.io", "ClusterIssuer", "clusterissuers", scope="Cluster")
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "internal-ca"},
             "spec": {"ca": {"secretName": "internal-ca-keypair"}},
             "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KeyPairVerified",
                                        "message": "Signing CA verified", "lastTransitionTime": ts(inc.born)}]}})
    ready = [{"type": "Ready", "status": "True", "reason": "Ready", "message": "Certificate is up to date and has "
              "not expired", "lastTransitionTime": ts(changed_at + timedelta(seconds=3)), "observedGeneration": 6}]
    cert = inc.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                    "metadata": {"name": "transfer-api-client", "namespace": "transfers", "generation": 6,
                                 "labels": {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart":
                                            "platform-certs-2.0.0"},
                                 "annotations": {"meta.helm.sh/release-name": "transfer-api",
                                                 "meta.helm.sh/release-namespace": "transfers"}},
                    "spec": {"secretName": "transfer-api-client-tls", "commonName": "transfer-api.transfers",
                             "dnsNames": ["transfer-api.transfers.svc.cluster.local"], "duration": "720h0m0s",
                             "renewBefore": "240h0m0s", "issuerRef": {"name": "internal-ca", "kind": "ClusterIssuer",
                                                                      "group": "cert-manager.io"},
                             "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                             "usages": ["digital signature", "key encipherment", "server auth"]},
                    "status": {"conditions": ready, "notBefore": ts(changed_at),
                               "notAfter": ts(changed_at + timedelta(days=30)),
                               "renewalTime": ts(changed_at + timedelta(days=20)), "revision": 7}})
    changed(cert, ("cert-manager-certificates-readiness", "Update", changed_at + timedelta(seconds=3),
                   {"f:status": {"f:conditions": {}, "f:notAfter": {}, "f:revision": {}}}),
            ("helm", "Update", changed_at, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}},
                                            "f:spec": {"f:privateKey": {}, "f:usages": {}}}))
    cert["metadata"]["managedFields"][0]["subresource"] = "status"
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
             "metadata": {"name": "transfer-api-client-7", "namespace": "transfers",
                          "creationTimestamp": ts(changed_at + timedelta(seconds=1)),
                          "annotations": {"cert-manager.io/certificate-name": "transfer-api-client",
                                          "cert-manager.io/certificate-revision": "7",
                                          "cert-manager.io/private-key-secret-name": "transfer-api-client-x8k2q"},
                          "ownerReferences": [o.owner_ref("Certificate", "transfer-api-client", "transfers",
                                                          "cert-manager.io/v1")]},
             "spec": {"issuerRef": {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"},
                      "usages": ["digital signature", "key encipherment", "server auth"],
                      "request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"},
             "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "cert-manager.io",
                                        "message": "Certificate request has been approved by cert-manager.io",
                                        "lastTransitionTime": ts(changed_at + timedelta(seconds=1))},
                                       {"type": "Ready", "status": "True", "reason": "Issued",
                                        "message": "Certificate fetched from issuer successfully",
                                        "lastTransitionTime": ts(changed_at + timedelta(seconds=2))}]}})
    for reason, msg, dt in (("Issuing", "Fields on existing CertificateRequest resource not up to date: "
                                        "[spec.usages]", 0),
                            ("Generated", "Stored new private key in temporary Secret resource "
                                          "\"transfer-api-client-x8k2q\"", 0),
                            ("Requested", "Created new CertificateRequest resource \"transfer-api-client-7\"", 1),
                            ("Issuing", "The certificate has been successfully issued", 3)):
        inc.event(cert, reason, msg, changed_at + timedelta(seconds=dt), warning=False, component="cert-manager-"
                  "certificates-trigger" if dt == 0 and reason == "Issuing" else "cert-manager-certificates-issuing")
    inc.cluster.healthy_deployment("cert-manager", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.16.1",
                                   1, inc.born + timedelta(days=1), memory_mi=70, port=9402)
    tls_key = inc.canary("token", "transfer-api-client-key")
    inc.secret("transfers", "transfer-api-client-tls", {"tls.key": tls_key, "tls.crt": "-----BEGIN CERTIFICATE-----",
                                                        "ca.crt": "-----BEGIN CERTIFICATE-----"})

    def api_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            tid = f"tr_{L.uuidish(pod, i)[:12]}"
            if t < reload_at:
                return L.js(t, "info", "transfer submitted", transfer_id=tid, bank="bank-gateway", status=202,
                            latency_ms=180 + i % 70)
            return L.js(t, "error", "bank gateway call failed", transfer_id=tid,
                        error='Post "https://bank-gateway.gateway.svc.cluster.local:8443/v1/transfers": remote error: '
                              'tls: bad certificate', retry_in="30s")
        rows = L.ticker(s, e, 20, line)
        if s <= reload_at <= e:
            rows.append((reload_at, L.js(reload_at, "info", "client certificate reloaded",
                                         path="/etc/tls/client/tls.crt", not_after=ts(changed_at + timedelta(days=30)),
                                         serial="5f:21:9a:0c:7e:44:b1:d2")))
        return rows
    callers = app(inc, "transfers", "transfer-api", f"{REGISTRY}/transfers/transfer-api:3.7.1", 2, within(api_log),
                  env=[{"name": "BANK_GATEWAY_URL", "value": "https://bank-gateway.gateway.svc.cluster.local:8443"},
                       {"name": "TLS_CLIENT_CERT_DIR", "value": "/etc/tls/client"}])
    caller_ips = [inc.cluster.pod_ip(h) for h in callers.pods]

    def gw_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < reload_at:
                return L.go_std(t, f"transfer accepted id=tr_{L.uuidish(pod, i)[:12]} client_cn=transfer-api.transfers")
            peer = f"{caller_ips[i % len(caller_ips)]}:{40000 + i * 7 % 20000}"
            return L.go_std(t, f"http: TLS handshake error from {peer}:"
                               " tls: failed to verify certificate: x509: certificate specified an incompatible key "
                               "usage")
        return L.ticker(s, e, 20, line)
    gw_revs = [Rev(11, inc.born + timedelta(days=14), "helm upgrade", [c("bank-gateway", f"{REGISTRY}/gateway/"
                                                                         "bank-gateway:2.3.0", port=8443)]),
               Rev(12, AT7 - timedelta(minutes=150), "helm upgrade",
                   [c("bank-gateway", f"{REGISTRY}/gateway/bank-gateway:2.3.1", port=8443)])]
    inc.deployment("gateway", "bank-gateway", gw_revs, {12: [P(log=within(gw_log)), P(log=within(gw_log))]})
    inc.service("gateway", "bank-gateway", {"app": "bank-gateway"}, port=8443, target=8443)
    inc.service("transfers", "transfer-api", {"app": "transfer-api"})
    plant(inc, "gateway", "bank-partner-credentials", "token", "bank-partner", "api-key")

    m = writer(inc)
    for result, before, after in (("ok", 0.1, 0.0), ("failed", 0.0, 0.1)):
        m.add("transfers_submitted", "counter", "Transfers submitted to the bank gateway by result.",
              {"namespace": "transfers", "service": "transfer-api", "result": result, "job": "transfer-api"},
              counter(m.start, before, after, reload_at), 30)
    m.add("bank_gateway_tls_handshake_errors", "counter", "TLS handshakes that failed on the gateway listener.",
          {"namespace": "gateway", "service": "bank-gateway", "job": "bank-gateway"},
          counter(m.start, 0.0, 0.1, reload_at), 30)
    m.add("certmanager_certificate_expiration_timestamp_seconds", "gauge", "The date after which the certificate "
          "expires. Expressed as a Unix Epoch Time.", {"namespace": "transfers", "name": "transfer-api-client",
                                                       "issuer_name": "internal-ca", "issuer_kind": "ClusterIssuer",
                                                       "issuer_group": "cert-manager.io", "job": "cert-manager"},
          step((changed_at + timedelta(days=10)).timestamp(), (changed_at + timedelta(days=30)).timestamp(),
               changed_at), 60)
    finish(inc, {("transfers", "transfer-api"), ("gateway", "bank-gateway")})
    inc.pagerduty("[FIRING:1] OutboundTransfersFailing transfers (transfer-api): 100% of bank transfer submissions "
                  "failing for 10m", "Transfers")
    inc.answer_key(
        culprit=("Certificate", "transfers", "transfer-api-client"),
        keywords=["usages", "client auth", "key usage", "Certificate"],
        root_cause="the platform-certs chart re-rendered cert-manager Certificate transfer-api-client with usages "
                   "server auth only (no client auth); cert-manager re-issued it and bank-gateway now rejects "
                   "transfer-api's mTLS client certificate (x509: incompatible key usage)",
        category="certificate-usages-drop-client-auth",
        red_herrings=[("Deployment", "gateway", "bank-gateway")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 19, 13, 35, tzinfo=UTC)


def order_tracking_errors_burn() -> Incident:
    """gitops-prune-deletes-live-service: a Flux Kustomization's path moved to an overlay without the Service.

    after: GitOps incidents teams publish where a repository restructure points a Flux Kustomization (or an Argo
    CD Application) at a new directory that lacks one manifest; with prune enabled the controller garbage-
    collects the live object, here a Service, and every caller's DNS lookup fails.

    At 13:11 the "split prod by region" merge changed Kustomization flux-system/apps-inventory's spec.path from
    ./apps/inventory/overlays/prod to ./apps/inventory/overlays/prod-eu, which has no service.yaml. Flux
    pruned Service inventory/stock-api; the stock-api pods still run. tracking-api gets ENOTFOUND for
    stock-api.inventory.svc.cluster.local and answers 502. Evidence: the Kustomization's spec, managedFields,
    events and status inventory, kustomize-controller's log (flux-system), the missing Service and its
    EndpointSlice, the callers' errors and CoreDNS NXDOMAIN metrics. Red herring: tracking-web's rollout.
    """
    inc = start(order_tracking_errors_burn, "order-tracking-errors-burn", "order tracking error budget burn", AT8, 1508,
                ("tracking", "inventory", "flux-system"))
    changed_at = AT8 - timedelta(minutes=24)
    pruned = changed_at + timedelta(seconds=41)
    rev_new = "main@sha1:7c2e9f14b0a3d6e8f1c5a2b9d4e7f0a1c3b5d8e2"
    crd(inc, "kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", short=["ks"])
    crd(inc, "source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", short=["gitrepo"])
    inc.add({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
             "metadata": {"name": "platform-apps", "namespace": "flux-system"},
             "spec": {"interval": "1m0s", "url": "ssh://git@github.example.com/acme/platform-apps",
                      "ref": {"branch": "main"}, "secretRef": {"name": "platform-apps-deploy-key"}},
             "status": {"artifact": {"revision": rev_new, "lastUpdateTime": ts(changed_at - timedelta(seconds=30))}}})
    entries = ["inventory_stock-api_apps_Deployment", "inventory_stock-api-config__ConfigMap",
               "inventory_stock-api_autoscaling_HorizontalPodAutoscaler", "inventory_stock-api__ServiceAccount"]
    ks = inc.add({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                  "metadata": {"name": "apps-inventory", "namespace": "flux-system", "generation": 12,
                               "labels": {"kustomize.toolkit.fluxcd.io/name": "flux-system",
                                          "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
                  "spec": {"interval": "10m0s", "path": "./apps/inventory/overlays/prod-eu", "prune": True,
                           "wait": False, "timeout": "5m0s", "targetNamespace": "inventory",
                           "sourceRef": {"kind": "GitRepository", "name": "platform-apps"}},
                  "status": {"lastAppliedRevision": rev_new, "lastAttemptedRevision": rev_new,
                             "observedGeneration": 12,
                             "inventory": {"entries": [{"id": e, "v": "v1"} for e in entries]},
                             "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                                             "message": f"Applied revision: {rev_new}",
                                             "lastTransitionTime": ts(pruned), "observedGeneration": 12}]}})
    changed(ks, ("kustomize-controller", "Apply", changed_at, {"f:spec": {"f:path": {}, "f:prune": {},
                                                                            "f:targetNamespace": {}}}))
    inc.event(ks, "Progressing", "Service/inventory/stock-api deleted", pruned, warning=False,
              component="kustomize-controller")
    inc.event(ks, "ReconciliationSucceeded", "Reconciliation finished in 1.412s, next run in 10m0s", pruned,
              inc.captured - timedelta(minutes=9), count=3, warning=False, component="kustomize-controller")

    def flux_log(pod: str, s: datetime, e: datetime) -> Lines:
        base = {"controller": "kustomization", "controllerGroup": "kustomize.toolkit.fluxcd.io",
                "controllerKind": "Kustomization"}
        out: Lines = []
        for i, t in enumerate(L.every(s, e, 600)):
            ks_ = {"name": "apps-inventory" if i % 2 else "apps-tracking", "namespace": "flux-system"}
            out.append((t, L.js(t, "info", "server-side apply completed", **base, Kustomization=ks_,
                                revision="main@sha1:0b8d1e4f", output={})))
        out.append((pruned - timedelta(seconds=1), L.js(pruned - timedelta(seconds=1), "info",
                                                        "server-side apply completed", **base,
                                                        Kustomization={"name": "apps-inventory",
                                                                       "namespace": "flux-system"}, revision=rev_new,
                                                        output={"ConfigMap/inventory/stock-api-config": "unchanged",
                                                                "Deployment/inventory/stock-api": "unchanged",
                                                                "HorizontalPodAutoscaler/inventory/stock-api":
                                                                    "unchanged"})))
        out.append((pruned, L.js(pruned, "info", "garbage collection completed", **base,
                                 Kustomization={"name": "apps-inventory", "namespace": "flux-system"},
                                 output={"Service/inventory/stock-api": "deleted"})))
        return out
    app(inc, "flux-system", "kustomize-controller", "ghcr.io/fluxcd/kustomize-controller:v1.4.0", 1, within(flux_log),
        port=8080)
    app(inc, "flux-system", "source-controller", "ghcr.io/fluxcd/source-controller:v1.4.1", 1, port=9090)
    app(inc, "inventory", "stock-api", f"{REGISTRY}/inventory/stock-api:8.1.0", 3,
        within(lambda pod, s, e: L.ticker(s, e, 60, lambda i, t: L.js(t, "info", "stock snapshot refreshed",
                                                                      skus=48211 + i, ms=310 + i % 40))))

    def tracking_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            order = f"ORD-{7710000 + i * 3}"
            if t < pruned:
                return L.js(t, "info", "tracking served", order=order, status=200, ms=60 + i % 40)
            return (L.js(t, "error", "stock lookup failed", order=order,
                         err="getaddrinfo ENOTFOUND stock-api.inventory.svc.cluster.local") + "\n"
                    "Error: getaddrinfo ENOTFOUND stock-api.inventory.svc.cluster.local\n"
                    "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26) {\n"
                    "  errno: -3008,\n  code: 'ENOTFOUND',\n  syscall: 'getaddrinfo',\n"
                    "  hostname: 'stock-api.inventory.svc.cluster.local'\n}")
        return L.ticker(s, e, 15, line)
    app(inc, "tracking", "tracking-api", f"{REGISTRY}/tracking/tracking-api:4.2.6", 3, within(tracking_log),
        env=[{"name": "STOCK_API_URL", "value": "http://stock-api.inventory.svc.cluster.local"}])
    inc.service("tracking", "tracking-api", {"app": "tracking-api"})
    herring(inc, "tracking", "tracking-web", f"{REGISTRY}/tracking/tracking-web", "9.4.0", AT8 - timedelta(minutes=38))
    plant(inc, "flux-system", "platform-apps-deploy-key", "token", "deploy-key", "identity")
    plant(inc, "tracking", "carrier-api", "token", "carrier", "token")

    m = writer(inc)
    emit.http_metrics(m, "tracking", "tracking-api",
                      {"200": lambda t: 8.0 if t >= pruned else 60.0, "502": lambda t: 52.0 if t >= pruned else 0.1},
                      lambda t, le: 0.97 if le >= 0.1 else 0.6)
    m.add("coredns_dns_responses", "counter", "Counter of response status codes.",
          {"namespace": "kube-system", "server": "dns://:53", "zone": ".", "view": "", "rcode": "NXDOMAIN",
           "job": "coredns"}, counter(m.start, 0.6, 70.0, pruned), 30)
    m.add("gotk_reconcile_condition", "gauge", "The current condition status of a GitOps Toolkit resource "
          "reconciliation.", {"exported_namespace": "flux-system", "kind": "Kustomization", "name": "apps-inventory",
                              "type": "Ready", "status": "True", "job": "kustomize-controller"}, lambda t: 1.0, 60)
    finish(inc, {("tracking", "tracking-api"), ("inventory", "stock-api")})
    inc.slo_burn("tracking-api", "tracking", "tracking-availability", "99.9%", 31.4,
                 "tracking-api is burning its 30-day error budget 31.4x too fast (1h and 5m windows): most responses "
                 "are 502.")
    inc.answer_key(
        culprit=("Kustomization", "flux-system", "apps-inventory"),
        keywords=["Kustomization", "prune", "deleted", "Service"],
        root_cause="Flux Kustomization apps-inventory's path was moved to the prod-eu overlay, which lacks the "
                   "stock-api Service; with prune enabled Flux deleted Service inventory/stock-api, so tracking-api's "
                   "lookups of stock-api.inventory.svc get ENOTFOUND",
        category="gitops-prune-deletes-live-service",
        red_herrings=[("Deployment", "tracking", "tracking-web")])
    return inc



# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 11, 20, 10, 18, tzinfo=UTC)


def _cnpg_record(t: datetime, pod: str, severity: str, message: str, state: str = "00000", user: str = "",
                 peer: str = "") -> str:
    """One PostgreSQL log record as the CloudNativePG instance manager wraps it (JSON)."""
    import json
    record = {"log_time": t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC",
              "user_name": user, "database_name": user, "process_id": str(31000 + t.second * 17),
              "connection_from": peer, "session_id": f"{int(t.timestamp()):x}.{t.second:x}", "session_line_num": "1",
              "session_start_time": t.strftime("%Y-%m-%d %H:%M:%S UTC"), "transaction_id": "0",
              "error_severity": severity, "sql_state_code": state, "message": message,
              "backend_type": "client backend" if user else "postmaster", "query_id": "0"}
    return json.dumps({"level": "info", "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z",
                       "logger": "postgres", "msg": "record", "logging_pod": pod, "record": record},
                      separators=(",", ":"))


def loyalty_api_question() -> Incident:
    """pg-hba-rejects-non-tls-clients: a CloudNativePG Cluster's pg_hba now rejects connections without TLS.

    after: database-hardening incidents described in public postmortems and CloudNativePG/PostgreSQL docs: a
    `hostnossl ... reject` rule added to pg_hba is applied with a configuration reload, existing sessions
    survive, and each client that connects with sslmode=disable fails with "pg_hba.conf rejects connection ...
    no encryption" as its pool recycles connections.

    At 09:40 an Argo CD sync of the database repo added `hostnossl all all 0.0.0.0/0 reject` to Cluster
    loyalty-db/loyalty-pg's spec.postgresql.pg_hba. loyalty-api's JDBC URL carries sslmode=disable; HikariCP
    retires connections after maxLifetime and every new one is refused, so more and more requests fail with 500.
    Evidence: the Cluster's spec and managedFields, the instances' JSON records (SIGHUP reload, FATAL 28000),
    loyalty-api's PSQLException stack traces and env, connection metrics. Red herring: loyalty-web's rollout.
    """
    inc = start(loyalty_api_question, "loyalty-api-question", "loyalty-api errors question", AT9, 1509,
                ("loyalty", "loyalty-db", "cnpg-system"))
    changed_at = AT9 - timedelta(minutes=38)
    reload_at = changed_at + timedelta(seconds=12)
    crd(inc, "postgresql.cnpg.io", "Cluster", "clusters")
    client_ips = planned(inc, "loyalty", "loyalty-api", 1, 3)
    clients = sorted(client_ips.values())
    cl = inc.add({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                  "metadata": {"name": "loyalty-pg", "namespace": "loyalty-db", "generation": 5,
                               "labels": {"app.kubernetes.io/managed-by": "argocd"}},
                  "spec": {"instances": 2, "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
                           "primaryUpdateStrategy": "unsupervised",
                           "postgresql": {"parameters": {"max_connections": "300", "shared_buffers": "1GB",
                                                         "log_connections": "off"},
                                          "pg_hba": ["hostssl all all 10.244.0.0/16 scram-sha-256",
                                                     "hostnossl all all 0.0.0.0/0 reject"]},
                           "bootstrap": {"initdb": {"database": "loyalty", "owner": "loyalty"}},
                           "storage": {"size": "100Gi", "storageClass": "gp3"}},
                  "status": {"instances": 2, "readyInstances": 2, "currentPrimary": "loyalty-pg-1",
                             "targetPrimary": "loyalty-pg-1", "phase": "Cluster in healthy state",
                             "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
                                             "message": "Cluster is Ready", "lastTransitionTime": ts(inc.born)}]}})
    changed(cl, ("argocd-controller", "Apply", changed_at, {"f:spec": {"f:postgresql": {"f:pg_hba": {}}}}))
    pg = c("postgres", "ghcr.io/cloudnative-pg/postgresql:16.4", port=5432, memory_limit="4Gi",
           memory_request="2Gi")
    for i in (1, 2):
        name = f"loyalty-pg-{i}"
        rows: Lines = []
        for t in L.every(inc.captured - timedelta(hours=2), inc.captured, 90):
            rows.append((t, _cnpg_record(t, name, "LOG", "checkpoint complete: wrote 812 buffers (5.0%); 0 WAL "
                                         "file(s) added, 0 removed, 1 recycled")))
        rows.append((reload_at, _cnpg_record(reload_at, name, "LOG", "received SIGHUP, reloading configuration files")))
        rows.append((reload_at, L.js(reload_at, "info", "Installed configuration file", logger="instance-manager",
                                     logging_pod=name, pgdata="/var/lib/postgresql/data/pgdata",
                                     filename="pg_hba.conf")))
        if i == 1:
            for j, t in enumerate(L.every(reload_at + timedelta(seconds=20), inc.captured, 9)):
                peer = f"{clients[j % len(clients)]}:{51000 + j * 13 % 9000}"
                rows.append((t, _cnpg_record(t, name, "FATAL", f'pg_hba.conf rejects connection for host '
                                                             f'"{peer.split(":")[0]}", user "loyalty", database '
                                                             '"loyalty", no encryption', "28000", "loyalty", peer)))
        rows.sort()
        h = inc.cluster.add_pod(PodHistory(
            name=name, namespace="loyalty-db", workload="loyalty-pg", containers=[pg],
            node=inc.node_names()[i], created=inc.born + timedelta(days=8),
            states=[o.ContainerState(started_at=inc.born + timedelta(days=8, seconds=20))],
            memory=lambda t: 1900 * 1024 * 1024,
            labels={"cnpg.io/cluster": "loyalty-pg", "cnpg.io/instanceName": name,
                    "cnpg.io/instanceRole": "primary" if i == 1 else "replica",
                    "role": "primary" if i == 1 else "replica"},
            owner=o.owner_ref("Cluster", "loyalty-pg", "loyalty-db", "postgresql.cnpg.io/v1"),
            logs={"postgres": L.lines(rows)}))
        assert h
    for svc, role in (("loyalty-pg-rw", "primary"), ("loyalty-pg-ro", "replica")):
        inc.service("loyalty-db", svc, {"cnpg.io/cluster": "loyalty-pg", "role": role}, port=5432, target=5432)
    app(inc, "cnpg-system", "cnpg-controller-manager", "ghcr.io/cloudnative-pg/cloudnative-pg:1.24.1", 1, port=9443)
    plant(inc, "loyalty-db", "loyalty-pg-app", "password", "loyalty-pg-app", "password")

    def api_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            member = f"M{88100000 + i * 17}"
            share = min(1.0, max(0.0, (t - reload_at).total_seconds() / 1800))
            if t < reload_at or (i % 10) >= share * 10:
                return L.spring(t, "INFO", "c.a.loyalty.api.PointsController", f"GET /v1/members/{member}/points 200 "
                                f"in {22 + i % 30} ms", thread=f"http-nio-8080-exec-{i % 50 + 1}")
            peer = client_ips[pod]
            return (L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase", "loyalty-pool - Failed to create/setup "
                             "connection: FATAL: pg_hba.conf rejects connection for host "
                             f'"{peer}", user "loyalty", database "loyalty", no encryption',
                             thread="loyalty-pool connection adder") + "\n" +
                    L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]", "Servlet.service() for servlet "
                             "[dispatcherServlet] threw exception", thread=f"http-nio-8080-exec-{i % 50 + 1}") + "\n"
                    "org.postgresql.util.PSQLException: FATAL: pg_hba.conf rejects connection for host "
                    f'"{peer}", user "loyalty", database "loyalty", no encryption\n'
                    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:"
                    "693)\n\tat org.postgresql.core.v3.ConnectionFactoryImpl.tryConnect(ConnectionFactoryImpl.java:"
                    "203)\n\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl"
                    ".java:258)\n\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:368)\n"
                    "\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:476)")
        return L.ticker(s, e, 10, line)
    api = app(inc, "loyalty", "loyalty-api", f"{REGISTRY}/loyalty/loyalty-api:2.21.0", 3, within(api_log),
        env=[{"name": "SPRING_DATASOURCE_URL",
              "value": "jdbc:postgresql://loyalty-pg-rw.loyalty-db.svc:5432/loyalty?sslmode=disable"},
             {"name": "SPRING_DATASOURCE_HIKARI_MAX_LIFETIME", "value": "1800000"},
             {"name": "SPRING_DATASOURCE_PASSWORD",
              "valueFrom": {"secretKeyRef": {"name": "loyalty-db-credentials", "key": "password"}}}])
    pin(api, client_ips)
    inc.service("loyalty", "loyalty-api", {"app": "loyalty-api"})
    plant(inc, "loyalty", "loyalty-db-credentials", "password", "loyalty-db-credentials", "password")
    herring(inc, "loyalty", "loyalty-web", f"{REGISTRY}/loyalty/loyalty-web", "5.8.0", AT9 - timedelta(minutes=55))

    m = writer(inc)
    emit.http_metrics(m, "loyalty", "loyalty-api",
                      {"200": lambda t: 120.0 * (1 - min(1.0, max(0.0, (t - reload_at).total_seconds() / 1800))),
                       "500": lambda t: 120.0 * min(1.0, max(0.0, (t - reload_at).total_seconds() / 1800))},
                      lambda t, le: 0.96 if le >= 0.1 else 0.7)
    m.add("cnpg_backends_total", "gauge", "Number of backends", {"namespace": "loyalty-db", "pod": "loyalty-pg-1",
                                                                 "datname": "loyalty", "usename": "loyalty",
                                                                 "state": "idle", "job": "loyalty-pg"},
          lambda t: 60.0 if t < reload_at else max(0.0, 60 - (t - reload_at).total_seconds() / 30), 30)
    finish(inc, {("loyalty", "loyalty-api"), ("loyalty-db", "loyalty-pg")})
    inc.ask("loyalty-api has been throwing more and more 500s for the last half hour; the pods look healthy. Why?")
    inc.answer_key(
        culprit=("Cluster", "loyalty-db", "loyalty-pg"),
        keywords=["pg_hba", "hostnossl", "sslmode=disable", "no encryption"],
        root_cause="the CloudNativePG Cluster loyalty-pg's pg_hba gained a hostnossl ... reject rule; loyalty-api "
                   "connects with sslmode=disable, so every new pooled connection is refused (pg_hba.conf rejects "
                   "connection ... no encryption) and requests fail as the pool recycles",
        category="pg-hba-rejects-non-tls-clients",
        red_herrings=[("Deployment", "loyalty", "loyalty-web")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 23, 17, 44, tzinfo=UTC)


def fraud_check_timeouts_grouped() -> Incident:
    """internal-traffic-policy-local-blackholes-callers: a Service switched to internalTrafficPolicy Local.

    after: Kubernetes networking incidents and kube-proxy documentation on internalTrafficPolicy: with Local,
    a client pod only reaches endpoints on its own node; on nodes with no backend kube-proxy drops the traffic
    ("has no local endpoints"), so callers on some nodes time out while identical callers elsewhere work.

    At 17:12 someone patched Service geo/geoip (a "keep lookups node-local" latency idea) to
    internalTrafficPolicy: Local. geoip-server's two pods run on two of the four nodes; the fraud-check pods on
    the other two nodes now get `dial tcp 172.20.x.x:80: i/o timeout`. Evidence: the Service's spec and
    managedFields (geo), per-pod errors and metrics (risk) that split by node, pod placement. Red herring: the
    weekly GeoIP database ConfigMap update.
    """
    inc = start(fraud_check_timeouts_grouped, "fraud-check-timeouts-grouped", "fraud-check upstream errors", AT10, 1510,
                ("risk", "geo"))
    changed_at = AT10 - timedelta(minutes=32)
    nodes = inc.node_names()
    app(inc, "geo", "geoip-server", f"{REGISTRY}/geo/geoip-server:3.0.4", 2,
        within(lambda pod, s, e: L.ticker(s, e, 60, lambda i, t: L.logfmt(t, "info", "lookups served",
                                                                          count=4100 + i * 3, p99_ms=3))),
        nodes=[nodes[0], nodes[2]])
    inc.service("geo", "geoip", {"app": "geoip-server"}, port=80, target=8080)
    svc = inc.find("Service", "geo", "geoip")
    svc["spec"]["internalTrafficPolicy"] = "Local"
    changed(svc, ("kubectl-client-side-apply", "Update", inc.born, {"f:spec": {"f:ports": {}, "f:selector": {}}}),
            ("kubectl-patch", "Update", changed_at, {"f:spec": {"f:internalTrafficPolicy": {}}}))
    cm = inc.configmap("geo", "geoip-db-version", {"GEOIP_DB_EDITION": "GeoIP2-City",
                                                   "GEOIP_DB_BUILD": "2026-11-20"}, at=inc.born)
    changed(cm, ("geoipupdate-cron", "Update", AT10 - timedelta(minutes=61), {"f:data": {"f:GEOIP_DB_BUILD": {}}}))
    cluster_ip = svc["spec"]["clusterIP"]

    def fraud_log(pod: str, s: datetime, e: datetime) -> Lines:
        bad = pod in stranded

        def line(i: int, t: datetime) -> str:
            tx = f"tx_{L.uuidish(pod, i)[:10]}"
            if t < changed_at or not bad:
                return L.js(t, "info", "scored", tx=tx, score=round(0.02 + (i % 13) / 100, 2), geo_ms=2 + i % 3)
            return L.js(t, "error", "geo lookup failed, scoring without location", tx=tx,
                        err=f'Get "http://geoip.geo.svc.cluster.local/v1/lookup?ip=81.2.{i % 250}.{i * 7 % 250}": '
                            f"dial tcp {cluster_ip}:80: i/o timeout", fallback="deny-high-risk")
        return L.ticker(s, e, 15, line)
    rs = f"fraud-check-{o.suffix('risk/fraud-check/rev1', 10)}"
    names = [f"{rs}-{o.suffix(f'{rs}-{i}', 5)}" for i in range(4)]
    stranded = {names[1], names[3]}
    fc = app(inc, "risk", "fraud-check", f"{REGISTRY}/risk/fraud-check:6.2.0", 4, within(fraud_log), nodes=nodes,
             env=[{"name": "GEOIP_URL", "value": "http://geoip.geo.svc.cluster.local"}])
    inc.service("risk", "fraud-check", {"app": "fraud-check"})
    plant(inc, "risk", "fraud-model-registry", "aws-secret", "fraud-model", "AWS_SECRET_ACCESS_KEY")

    m = writer(inc)
    for h in fc.pods:
        bad = h.name in stranded
        for result, before, after in (("ok", 6.0, 0.0 if bad else 6.0), ("timeout", 0.0, 6.0 if bad else 0.0)):
            m.add("fraud_geo_lookups", "counter", "Geo lookups made while scoring, by result.",
                  {"namespace": "risk", "pod": h.name, "result": result, "job": "fraud-check"},
                  counter(m.start, before, after, changed_at), 30)
    for decision, before, after in (("allow", 23.6, 21.6), ("deny", 0.4, 2.4)):
        m.add("fraud_decisions", "counter", "Scoring decisions.",
              {"namespace": "risk", "service": "fraud-check", "decision": decision, "job": "fraud-check"},
              counter(m.start, before, after, changed_at), 30)
    finish(inc, {("risk", "fraud-check"), ("geo", "geoip-server")})
    alerts = [alert(inc, "FraudCheckUpstreamTimeouts", {"namespace": "risk", "pod": pod, "job": "fraud-check"},
                    "fraud-check pod failing upstream lookups",
                    f"Pod risk/{pod}: 100% of upstream lookups time out for 10 minutes; transactions are scored "
                    "without location and high-risk ones denied.",
                    'sum by (namespace, pod) (rate(fraud_geo_lookups_total{result="timeout"}[5m])) / sum by '
                    '(namespace, pod) (rate(fraud_geo_lookups_total[5m])) > 0.5',
                    runbook="https://wiki.example.com/risk/runbooks/fraud-check") for pod in sorted(stranded)]
    alerts.append(alert(inc, "FraudCheckDeclineRateHigh", {"namespace": "risk", "service": "fraud-check",
                                                           "job": "fraud-check"},
                        "fraud-check declines above normal", "Decline rate 9.8% (normal 1.5%) for 10 minutes.",
                        'sum(rate(fraud_decisions_total{decision="deny"}[10m])) / sum(rate(fraud_decisions_total'
                        '[10m])) > 0.05', runbook="https://wiki.example.com/risk/runbooks/fraud-check"))
    grouped(inc, alerts, ["namespace"])
    inc.answer_key(
        culprit=("Service", "geo", "geoip"),
        keywords=["internalTrafficPolicy", "Local", "no local endpoints", "node"],
        root_cause="Service geo/geoip was patched to internalTrafficPolicy Local; fraud-check pods on nodes without "
                   "a geoip-server pod have no local endpoints, so kube-proxy drops their traffic and lookups time "
                   "out while pods on the other nodes work",
        category="internal-traffic-policy-local-blackholes-callers",
        red_herrings=[("ConfigMap", "geo", "geoip-db-version")])
    return inc



# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def accounts_db_pod_not_ready() -> Incident:
    """csi-node-plugin-registration-path-wrong: the EBS CSI node DaemonSet rendered with another distro's kubelet dir.

    after: CSI driver upgrade incidents in public issue trackers and vendor notes: when the node plugin's
    registration and kubelet hostPaths do not match the kubelet's real root dir, node-driver-registrar starts
    but the kubelet never calls it; the old registration vanished with the old pods, so every new mount fails
    with "driver name ebs.csi.aws.com not found in the list of registered CSI drivers".

    At 08:31 the aws-ebs-csi-driver chart was upgraded with a values file copied from the edge clusters (k0s):
    node.kubeletPath /var/lib/k0s/kubelet. DaemonSet kube-system/ebs-csi-node rolled every node (revision 4);
    node-driver-registrar's kubelet-registration-probe fails and it restarts. At 09:08 accounts-postgres-1 was
    rescheduled (its node was drained for patching) and has sat in ContainerCreating since. Evidence: the
    victim's FailedMount events (accounts), the DaemonSet's hostPaths, ControllerRevisions and managedFields,
    the registrar's klog lines and liveness failures (kube-system). Red herring: accounts-api's rollout.
    """
    inc = start(accounts_db_pod_not_ready, "accounts-db-pod-not-ready", "accounts-postgres-1 not ready", AT11, 1511,
                ("accounts",))
    upgraded = AT11 - timedelta(minutes=59)
    moved = AT11 - timedelta(minutes=22)
    img = {"plugin": "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0",
           "registrar": "public.ecr.aws/eks-distro/kubernetes-csi/node-driver-registrar:v2.12.0-eks-1-31-8",
           "probe": "public.ecr.aws/eks-distro/kubernetes-csi/livenessprobe:v2.14.0-eks-1-31-8"}

    def template(root: str, plugin_image: str) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": "ebs-csi-node", "app.kubernetes.io/name": "aws-ebs-csi-driver"}},
                "spec": {"serviceAccountName": "ebs-csi-node-sa", "priorityClassName": "system-node-critical",
                         "tolerations": [{"operator": "Exists"}],
                         "containers": [
                             {"name": "ebs-plugin", "image": plugin_image,
                              "args": ["node", "--endpoint=$(CSI_ENDPOINT)", "--logging-format=text", "--v=2"],
                              "securityContext": {"privileged": True},
                              "volumeMounts": [{"name": "kubelet-dir", "mountPath": root,
                                                "mountPropagation": "Bidirectional"},
                                               {"name": "plugin-dir", "mountPath": "/csi"},
                                               {"name": "device-dir", "mountPath": "/dev"}]},
                             {"name": "node-driver-registrar", "image": img["registrar"],
                              "args": ["--csi-address=$(ADDRESS)",
                                       "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)", "--v=2"],
                              "env": [{"name": "ADDRESS", "value": "/csi/csi.sock"},
                                      {"name": "DRIVER_REG_SOCK_PATH",
                                       "value": f"{root}/plugins/ebs.csi.aws.com/csi.sock"}],
                              "livenessProbe": {"exec": {"command": ["/csi-node-driver-registrar",
                                                                     "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)",
                                                                     "--mode=kubelet-registration-probe"]},
                                                "initialDelaySeconds": 30, "periodSeconds": 90, "timeoutSeconds": 15},
                              "volumeMounts": [{"name": "plugin-dir", "mountPath": "/csi"},
                                               {"name": "registration-dir", "mountPath": "/registration"},
                                               {"name": "probe-dir", "mountPath": f"{root}/plugins/ebs.csi.aws.com/"}]},
                             {"name": "liveness-probe", "image": img["probe"], "args": ["--csi-address=/csi/csi.sock"],
                              "volumeMounts": [{"name": "plugin-dir", "mountPath": "/csi"}]}],
                         "volumes": [
                             {"name": "kubelet-dir", "hostPath": {"path": root, "type": "Directory"}},
                             {"name": "plugin-dir", "hostPath": {"path": f"{root}/plugins/ebs.csi.aws.com/",
                                                                 "type": "DirectoryOrCreate"}},
                             {"name": "registration-dir", "hostPath": {"path": f"{root}/plugins_registry/",
                                                                       "type": "Directory"}},
                             {"name": "device-dir", "hostPath": {"path": "/dev", "type": "Directory"}},
                             {"name": "probe-dir", "hostPath": {"path": f"{root}/plugins/ebs.csi.aws.com/",
                                                                "type": "DirectoryOrCreate"}}]}}
    new_t = template("/var/lib/k0s/kubelet", img["plugin"])
    old_t = template("/var/lib/kubelet", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.36.0")
    nodes = inc.node_names()
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "ebs-csi-node", "namespace": "kube-system", "generation": 4,
                               "labels": {"app.kubernetes.io/name": "aws-ebs-csi-driver",
                                          "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart":
                                          "aws-ebs-csi-driver-2.38.1"},
                               "annotations": {"deprecated.daemonset.template.generation": "4",
                                               "meta.helm.sh/release-name": "aws-ebs-csi-driver",
                                               "meta.helm.sh/release-namespace": "kube-system"}},
                  "spec": {"selector": {"matchLabels": {"app": "ebs-csi-node"}}, "template": new_t,
                           "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%",
                                                                                         "maxSurge": 0}}},
                  "status": {"currentNumberScheduled": 4, "desiredNumberScheduled": 4, "numberAvailable": 4,
                             "numberMisscheduled": 0, "numberReady": 4, "observedGeneration": 4,
                             "updatedNumberScheduled": 4}})
    changed(ds, ("helm", "Update", upgraded, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}},
                                              "f:spec": {"f:template": {"f:spec": {"f:containers": {},
                                                                                   "f:volumes": {}}}}}))
    hashes = {}
    for number, t_, when in ((3, old_t, inc.born + timedelta(days=10)), (4, new_t, upgraded)):
        h = o.suffix(f"ebs-csi-node-rev{number}", 10)
        hashes[number] = h
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"ebs-csi-node-{h}", "namespace": "kube-system", "creationTimestamp": ts(when),
                              "labels": {"app": "ebs-csi-node", "controller-revision-hash": h},
                              "ownerReferences": [o.owner_ref("DaemonSet", "ebs-csi-node", "kube-system")]},
                 "revision": number, "data": {"spec": {"template": {**t_, "$patch": "replace"}}}})
    inc.event(ds, "SuccessfulDelete", f"Deleted pod: ebs-csi-node-{o.suffix('old0', 5)}", upgraded, warning=False,
              component="daemonset-controller")
    plugin = c("ebs-plugin", img["plugin"], port=9808)
    registrar = c("node-driver-registrar", img["registrar"], port=None)
    probe = c("liveness-probe", img["probe"], port=None)
    for i, nd in enumerate(nodes):
        created = upgraded + timedelta(seconds=30 + 70 * i)
        name = f"ebs-csi-node-{o.suffix(f'ebs-csi-node/{nd}/4', 5)}"
        runs = list(L.every(created + timedelta(seconds=2), inc.captured, 300))
        restarts = max(0, len(runs) - 1)

        def reg_log(begin: datetime) -> str:
            rows = [(begin, "main.go:135] Version: v2.12.0"),
                    (begin, "main.go:136] Running node-driver-registrar in mode="),
                    (begin + timedelta(milliseconds=4), 'main.go:157] Attempting to open a gRPC connection with: '
                                                        '"/csi/csi.sock"'),
                    (begin + timedelta(milliseconds=9), "connection.go:234] Connecting to unix:///csi/csi.sock"),
                    (begin + timedelta(milliseconds=611), "main.go:164] Calling CSI driver to discover driver name"),
                    (begin + timedelta(milliseconds=613), 'main.go:173] CSI driver name: "ebs.csi.aws.com"'),
                    (begin + timedelta(milliseconds=614), "node_register.go:55] Starting Registration Server at: "
                                                          "/registration/ebs.csi.aws.com-reg.sock"),
                    (begin + timedelta(milliseconds=615), "node_register.go:64] Registration Server started at: "
                                                          "/registration/ebs.csi.aws.com-reg.sock"),
                    (begin + timedelta(milliseconds=615), 'node_register.go:88] Skipping HTTP server because '
                                                          'endpoint is set to: ""')]
            return L.lines((t, L.klog(t, "I", src.split("] ")[0], src.split("] ", 1)[1]))
                           for t, src in rows)
        states = [o.ContainerState(started_at=created + timedelta(seconds=2)),
                  o.ContainerState(started_at=runs[-1], restarts=restarts, last_reason="Error" if restarts else None,
                                   last_exit_code=2 if restarts else None,
                                   last_started=runs[-2] if restarts else None,
                                   last_finished=runs[-1] - timedelta(seconds=1) if restarts else None),
                  o.ContainerState(started_at=created + timedelta(seconds=2))]
        ph = inc.cluster.add_pod(PodHistory(
            name=name, namespace="kube-system", workload="ebs-csi-node", containers=[plugin, registrar, probe],
            node=nd, created=created, states=states, memory=lambda t: 31 * 1024 * 1024,
            labels={"app": "ebs-csi-node", "controller-revision-hash": hashes[4], "pod-template-generation": "4"},
            owner=o.owner_ref("DaemonSet", "ebs-csi-node", "kube-system"),
            logs={"ebs-plugin": L.lines([
                (created + timedelta(seconds=2), L.klog(created + timedelta(seconds=2), "I", "driver.go:84",
                                                        '"Driver Information" Driver="ebs.csi.aws.com" '
                                                        'Version="v1.37.0"')),
                (created + timedelta(seconds=2), L.klog(created + timedelta(seconds=2), "I", "node.go:119",
                                                        '"regionFromSession Node service" region="eu-west-1"')),
                (created + timedelta(seconds=3), L.klog(created + timedelta(seconds=3), "I", "driver.go:151",
                                                        '"Listening for connections" address="/csi/csi.sock"'))]),
                  "node-driver-registrar": reg_log(runs[-1])},
            previous_logs={"node-driver-registrar": reg_log(runs[-2])} if restarts else {}))
        ph.restart_times = [r - timedelta(seconds=1) for r in runs[1:]]
        def as_rendered(p: dict[str, Any], t_: dict[str, Any] = new_t) -> None:
            """The pod carries its template's hostPaths, mounts and probes (the evidence of the wrong root)."""
            for cont in p["spec"]["containers"]:
                spec_c = next(x for x in t_["spec"]["containers"] if x["name"] == cont["name"])
                cont.update({k: v for k, v in spec_c.items() if k != "image"})
                if cont["name"] != "ebs-plugin":
                    cont.pop("ports", None)
            p["spec"].update({"volumes": t_["spec"]["volumes"], "serviceAccountName": "ebs-csi-node-sa",
                              "serviceAccount": "ebs-csi-node-sa", "priorityClassName": "system-node-critical",
                              "tolerations": t_["spec"]["tolerations"]})
        inc.cluster.patch("kube-system", name, as_rendered)
        podobj = inc.cluster.pod_object(ph)
        if restarts:
            inc.cluster.add_event(podobj, "Unhealthy", "Liveness probe failed: F" + runs[1].strftime("%m%d %H:%M:%S")
                                  + ".412871      41 main.go:159] Kubelet plugin registration hasn't succeeded yet, "
                                    "file=/var/lib/k0s/kubelet/plugins/ebs.csi.aws.com/registration doesn't exist.",
                                  runs[1] - timedelta(seconds=95), inc.captured - timedelta(seconds=70),
                                  count=restarts * 3, type_="Warning", host=nd,
                                  field_path="spec.containers{node-driver-registrar}")
            inc.cluster.add_event(podobj, "Killing", "Container node-driver-registrar failed liveness probe, will be "
                                  "restarted", runs[1] - timedelta(seconds=1), runs[-1] - timedelta(seconds=1),
                                  count=restarts, host=nd, field_path="spec.containers{node-driver-registrar}")

    pg = c("accounts-postgres", "docker.io/bitnami/postgresql:16.4.0-debian-12-r14", port=5432, memory_limit="4Gi",
           memory_request="2Gi")
    sts = inc.statefulset("accounts", "accounts-postgres", [pg], [P(), P(created=moved, node=nodes[2])],
                          inc.born + timedelta(days=5), claims=[("data", "200Gi", "gp3")], service=5432)
    victim = sts.pods[1]
    victim.states = [o.ContainerState(waiting_reason="ContainerCreating", ready=False)]
    victim.memory = None
    victim.ready = lambda t: False
    victim.logs = {}
    victim.waiting = (moved, "ContainerCreating")
    inc.cluster.patch("accounts", victim.name, never_started)
    sts.obj["status"].update({"readyReplicas": 1, "availableReplicas": 1})
    drop_events(inc, victim.name, {"Pulled", "Created", "Started"})
    vobj = inc.cluster.pod_object(victim)
    pv = f"pvc-{o.uid('pvc', 'accounts', 'data-accounts-postgres-1')}"
    inc.cluster.add_event(vobj, "SuccessfulAttachVolume", f'AttachVolume.Attach succeeded for volume "{pv}"',
                          moved + timedelta(seconds=6), moved + timedelta(seconds=6),
                          component="attachdetach-controller")
    inc.cluster.add_event(vobj, "FailedMount", f'MountVolume.MountDevice failed for volume "{pv}" : kubernetes.io/csi: '
                          "attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not "
                          "found in the list of registered CSI drivers", moved + timedelta(seconds=8),
                          inc.captured - timedelta(seconds=40), count=19, type_="Warning", host=nodes[2])
    inc.cluster.add_event(vobj, "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[data], "
                          "unattached volumes=[], failed to process volumes=[]: timed out waiting for the condition",
                          moved + timedelta(minutes=2, seconds=8), inc.captured - timedelta(minutes=1), count=9,
                          type_="Warning", host=nodes[2])
    herring(inc, "accounts", "accounts-api", f"{REGISTRY}/accounts/accounts-api", "10.3.0",
            AT11 - timedelta(minutes=35))
    plant(inc, "accounts", "accounts-postgres", "password", "accounts-postgres", "postgres-password")

    m = writer(inc)
    m.add("kube_statefulset_status_replicas_ready", "gauge", "The number of ready replicas per StatefulSet.",
          {"namespace": "accounts", "statefulset": "accounts-postgres", "job": "kube-state-metrics"},
          step(2, 1, moved), 30)
    m.add("storage_operation_duration_seconds_count", "counter", "Storage operation duration",
          {"node": nodes[2], "operation_name": "volume_mount", "status": "fail-unknown", "migrated": "false",
           "volume_plugin": "kubernetes.io/csi:ebs.csi.aws.com", "job": "kubelet"},
          counter(m.start, 0.0, 1 / 120, moved), 30)
    finish(inc, {("accounts", "accounts-postgres"), ("kube-system", "ebs-csi-node")})
    inc.alertmanager("KubePodNotReady", {"namespace": "accounts", "pod": "accounts-postgres-1",
                                         "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     "Pod accounts/accounts-postgres-1 has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod, cluster) (max by(namespace, pod, cluster) (kube_pod_status_phase{job='
                     '"kube-state-metrics", phase=~"Pending|Unknown|Failed"}) * on(namespace, pod, cluster) group_left'
                     '(owner_kind) topk by(namespace, pod, cluster) (1, max by(namespace, pod, owner_kind, cluster) '
                     '(kube_pod_owner{owner_kind!="Job"}))) > 0')
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "ebs-csi-node"),
        keywords=["CSI", "registration", "kubelet path", "not registered"],
        root_cause="the ebs-csi-node DaemonSet was upgraded with the k0s kubelet path (/var/lib/k0s/kubelet); its "
                   "node-driver-registrar registers where the kubelet never looks, so ebs.csi.aws.com is not "
                   "registered on any node (CSI registration fails) and accounts-postgres-1's volume cannot mount",
        category="csi-node-plugin-registration-path-wrong",
        red_herrings=[("Deployment", "accounts", "accounts-api")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 11, 25, 12, 40, tzinfo=UTC)


def session_service_question() -> Incident:
    """rbac-clusterrole-trim-breaks-peer-discovery: a ClusterRole trimmed; new Hazelcast members cannot discover peers.

    after: "least privilege" RBAC clean-ups in public postmortems that remove endpoints read access an embedded
    cluster (Hazelcast, Infinispan, Akka) uses for Kubernetes discovery: running members stay clustered, and
    every member started afterwards gets 403, starts standalone, and users whose requests land there lose
    their session state.

    At 10:31 an Argo CD sync of the RBAC repo reduced ClusterRole app-discovery (bound in sessions by RoleBinding
    session-service-discovery) to get/list pods only, dropping endpoints and endpointslices. At 12:05 the HPA
    added two session-service pods; both log "Kubernetes API access is forbidden" and run as one-member clusters,
    so users are logged out at random. Evidence: the ClusterRole's rules and managedFields (cluster scope), the new
    pods' Hazelcast logs vs the old ones' "Members {size:3}", apiserver 403 metrics. Red herring: login-ui's
    rollout.
    """
    inc = start(session_service_question, "session-service-question", "random logouts question", AT12, 1512,
                ("sessions",))
    changed_at = AT12 - timedelta(hours=2, minutes=9)
    scaled = AT12 - timedelta(minutes=35)
    role = inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "app-discovery", "labels": {"app.kubernetes.io/managed-by": "argocd",
                                                                     "rbac.example.com/tier": "workload"}},
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]})
    changed(role, ("argocd-controller", "Apply", changed_at, {"f:rules": {}}))
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "session-service-discovery", "namespace": "sessions"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "app-discovery"},
             "subjects": [{"kind": "ServiceAccount", "name": "session-service", "namespace": "sessions"}]})
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "session-service",
                                                                        "namespace": "sessions"}})
    ips = planned(inc, "sessions", "session-service", 9, 5)
    names = list(ips)

    def hz(t: datetime, level: str, logger: str, msg: str, ip: str) -> str:
        return (f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} [{level:>5}] "
                f"[hz.session.cached.thread-{1 + t.second % 8}] [{logger}]: [{ip}]:5701 [sessions] [5.4.1] {msg}")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        ip = ips[pod]
        new = s >= scaled - timedelta(minutes=1)
        props = ("Kubernetes Discovery properties: { service-dns: null, service-name: session-service, namespace: "
                 "sessions, resolve-not-ready-addresses: true, expose-externally: null}")
        rows: Lines = [(s, hz(s, "INFO", "c.h.s.d.i.DiscoveryService", props, ip))]
        if new:
            rows.append((s + timedelta(seconds=2), hz(
                s + timedelta(seconds=2), "WARN", "c.h.k.KubernetesClient",
                "Kubernetes API access is forbidden! Starting standalone. To use Hazelcast Kubernetes discovery, "
                "configure the required RBAC. For 'session-service' service account in 'sessions' namespace "
                "execute: 'kubectl apply -f https://raw.githubusercontent.com/hazelcast/hazelcast/master/"
                "kubernetes-rbac.yaml'", ip) + "\ncom.hazelcast.kubernetes.RestClientException: Failure executing: GET "
                "at: https://kubernetes.default.svc/api/v1/namespaces/sessions/endpoints/session-service. Message: "
                '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints '
                '\\"session-service\\" is forbidden: User \\"system:serviceaccount:sessions:session-service\\" cannot '
                'get resource \\"endpoints\\" in API group \\"\\" in the namespace \\"sessions\\"","reason":'
                '"Forbidden","details":{"name":"session-service","kind":"endpoints"},"code":403}. HTTP Error Code: 403'
                "\n\tat com.hazelcast.kubernetes.RestClient.checkHttpOk(RestClient.java:186)"
                "\n\tat com.hazelcast.kubernetes.KubernetesClient.callGet(KubernetesClient.java:462)"))
            rows.append((s + timedelta(seconds=4), hz(s + timedelta(seconds=4), "INFO", "c.h.i.c.ClusterService",
                                                      f"\n\nMembers {{size:1, ver:1}} [\n\tMember [{ip}]:5701 - "
                                                      f"{L.uuidish(pod, 0)} this\n]\n", ip)))
        else:
            members = "".join(f"\tMember [{ips[n]}]:5701 - {L.uuidish(n, 0)}{' this' if n == pod else ''}\n"
                              for n in names[:3])
            rows.append((s + timedelta(seconds=9), hz(s + timedelta(seconds=9), "INFO", "c.h.i.c.ClusterService",
                                                      f"\n\nMembers {{size:3, ver:3}} [\n{members}]\n", ip)))
        for i, t in enumerate(L.every(max(s, e - timedelta(hours=2)), e, 30)):
            if new:
                rows.append((t, L.spring(t, "WARN", "c.a.sessions.SessionFilter",
                                         f"session sid={L.uuidish(pod, i)[:16]} not found in cluster map; "
                                         "issuing 401 and clearing cookie",
                                         thread=f"http-nio-8080-exec-{i % 40 + 1}")))
            else:
                rows.append((t, L.spring(t, "INFO", "c.a.sessions.SessionFilter",
                                         f"session sid={L.uuidish(pod, i)[:16]} refreshed (ttl 1800s)",
                                         thread=f"http-nio-8080-exec-{i % 40 + 1}")))
        return rows
    rev = Rev(9, inc.born + timedelta(days=15), "helm upgrade",
              [c("session-service", f"{REGISTRY}/sessions/session-service:3.2.0", memory_limit="2Gi",
                 memory_request="1Gi", env=[{"name": "HZ_CLUSTERNAME", "value": "sessions"},
                                            {"name": "HZ_NETWORK_JOIN_KUBERNETES_ENABLED", "value": "true"},
                                            {"name": "HZ_NETWORK_JOIN_KUBERNETES_SERVICENAME",
                                             "value": "session-service"}])],
              pod_spec={"serviceAccountName": "session-service"})
    plans = [P(log=within(log, None), created=inc.born + timedelta(days=15, minutes=i)) for i in range(3)]
    plans += [P(log=within(log, None), created=scaled + timedelta(seconds=10 * i)) for i in range(2)]
    wl = inc.deployment("sessions", "session-service", [rev], {9: plans})
    pin(wl, ips)
    hpa_obj = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                       "metadata": {"name": "session-service", "namespace": "sessions"},
                       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                   "name": "session-service"}, "minReplicas": 3, "maxReplicas": 8,
                                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                    "type": "Utilization", "averageUtilization": 65}}}]},
                       "status": {"currentReplicas": 5, "desiredReplicas": 5, "lastScaleTime": ts(scaled)}})
    inc.event(hpa_obj, "SuccessfulRescale", "New size: 5; reason: cpu resource utilization (percentage of request) "
              "above target", scaled, warning=False, component="horizontal-pod-autoscaler")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[9]} to 5 from 3", scaled, warning=False,
              component="deployment-controller")
    inc.service("sessions", "session-service", {"app": "session-service"})
    herring(inc, "sessions", "login-ui", f"{REGISTRY}/sessions/login-ui", "7.7.0", AT12 - timedelta(minutes=50))
    plant(inc, "sessions", "session-signing-key", "jwt", "session-signing", "signing-key")

    m = writer(inc)
    m.add("apiserver_request", "counter", "Counter of apiserver requests broken out for each verb, dry run value, "
          "group, version, resource, scope, component, and HTTP response code.",
          {"verb": "GET", "group": "", "version": "v1", "resource": "endpoints", "scope": "resource",
           "component": "apiserver", "code": "403", "job": "apiserver"},
          counter(m.start, 0.0, 2 / 600, scaled), 30)
    for pod in names:
        m.add("hazelcast_cluster_size", "gauge", "Number of members in the cluster this member sees.",
              {"namespace": "sessions", "pod": pod, "job": "session-service"},
              (lambda t: 1.0) if pod in names[3:] else (lambda t: 3.0), 30,
              since=scaled if pod in names[3:] else None)
    m.add("session_lookups", "counter", "Session lookups by result.",
          {"namespace": "sessions", "service": "session-service", "result": "miss", "job": "session-service"},
          counter(m.start, 0.02, 1.6, scaled), 30)
    finish(inc, {("sessions", "session-service")})
    inc.ask("Users keep getting logged out at random since lunchtime; session-service pods are all green. What "
            "changed?")
    inc.answer_key(
        culprit=("ClusterRole", "", "app-discovery"),
        keywords=["ClusterRole", "endpoints", "forbidden", "Hazelcast"],
        root_cause="ClusterRole app-discovery was trimmed to pods get/list, dropping endpoints read; the two "
                   "session-service pods started since get 403 forbidden from the API, Hazelcast discovery falls "
                   "back to standalone, and sessions on them are not shared",
        category="rbac-clusterrole-trim-breaks-peer-discovery",
        red_herrings=[("Deployment", "sessions", "login-ui")])
    return inc


ALL = [metrics_store_replicas_missing, payout_batch_failing_page, nightly_statements_job_overdue,
       search_capacity_grouped, catalog_latency_page, node_pods_aws_errors_question, bank_transfers_failing_page,
       order_tracking_errors_burn, loyalty_api_question, fraud_check_timeouts_grouped, accounts_db_pod_not_ready,
       session_service_question]
