"""Round 19 of the held-out incident set: the everyday on-call queue of a mid-size company.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor documentation or everyday production failure it re-creates (our own names and
text, nothing copied). Half are simple (one failing object whose cause is in its own spec, events or
logs), half cross-service (the victim pages, a change in a dependency or shared platform piece is the
cause). Bundle names, titles and questions say only the symptom. Log lines follow the real software's
formats (Go's flag package, runc, the kubelet's prober, pgjdbc, PgBouncer, the Elasticsearch client,
klog, Python logging, zap JSON).
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
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


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


def page(inc: Incident, *alerts: dict[str, Any], group: list[str] | None = None) -> None:
    """The Alertmanager v4 notification that paged: one alert, or several grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(list(alerts), group=group or ["alertname", "namespace"])


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced", version: str = "v1") -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]}})


def drop_events(inc: Incident, pod: str, reasons: set[str]) -> None:
    """Remove kit-made events that a pod in this state would not have (a pod still creating never Started)."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def rs_of(inc: Incident, wl: Any, number: int) -> dict[str, Any]:
    return inc.find("ReplicaSet", wl.namespace, wl.rs[number])


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def ds_pod(inc: Incident, ns: str, daemonset: str, node_name: str, created: datetime) -> PodHistory:
    """The pod a DaemonSet starts on a node that joined after the background was built (multi-arch images run)."""
    model = inc.pods_of(ns, daemonset)[0]
    status = inc.find("DaemonSet", ns, daemonset)["status"]
    for field in ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady",
                  "updatedNumberScheduled"):
        status[field] += 1
    name = f"{daemonset}-{o.suffix(daemonset + node_name, 5)}"
    return inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=daemonset, containers=model.containers, node=node_name, created=created,
        states=[o.ContainerState(started_at=created + timedelta(seconds=6))], memory=model.memory,
        labels=dict(model.labels), owner=model.owner, logs=dict(model.logs)))


def http(inc: Incident, ns: str, service: str, ok_rate: float, bad_rate: float, code: str, at: datetime) -> None:
    """http_requests_total of a service: 200s all along, `bad_rate`/s of `code` from `at` on."""
    start = inc.at - timedelta(hours=2)
    base = {"namespace": ns, "service": service, "job": service}
    inc.series("http_requests", "counter", "Total HTTP requests.", {**base, "code": "200"},
               counter(start, ok_rate, ok_rate * 0.7, at), 30)
    inc.series("http_requests", "counter", "Total HTTP requests.", {**base, "code": code},
               counter(start, 0.0, bad_rate, at), 30)


def controller_revisions(inc: Incident, owner: dict[str, Any], stamps: list[tuple[int, datetime, dict[str, Any]]]
                         ) -> None:
    """The ControllerRevisions a DaemonSet or StatefulSet keeps: one per template, stamped when it was created."""
    meta = owner["metadata"]
    for number, at, template in stamps:
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"{meta['name']}-{o.suffix(meta['name'] + str(number), 10)}",
                              "namespace": meta["namespace"], "creationTimestamp": ts(at),
                              "labels": dict(meta.get("labels", {})),
                              "ownerReferences": [{**o.owner_ref(owner["kind"], meta["name"], meta["namespace"]),
                                                   "uid": meta["uid"]}]},
                 "data": {"spec": {"template": template}}, "revision": number})


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 30, 8, 41, tzinfo=UTC)

TILE_USAGE = """Usage of /usr/local/bin/tile-server:
  -cache.dir string
    \tdirectory for rendered tiles (default "/var/cache/tiles")
  -cache.ttl duration
    \thow long a rendered tile is served from cache (default 24h0m0s)
  -listen string
    \taddress to listen on (default ":8080")
  -log.format string
    \tlog format: logfmt or json (default "logfmt")
  -style string
    \tpath of the map style (default "/etc/tiles/style.json")"""


def tile_server_restarts_question() -> Incident:
    """removed-cli-flag-still-passed: a chart bump ships a binary that dropped a flag the args still pass.

    after: everyday upgrade failures where a new major version of a Go service (or an exporter) removes
    a deprecated command-line flag and the Deployment's args, kept by the chart, still pass it: Go's
    flag package prints "flag provided but not defined" and the usage text, and the process exits 2
    before it listens; the new pods crash-loop while the old ReplicaSet keeps serving.

    Renovate bumped maps/tile-server from 2.9.4 to 3.0.0 (revision 2, 25 minutes before the question);
    3.0.0 folded -cache.legacy-ttl into -cache.ttl, but the args still pass --cache.legacy-ttl=24h. The
    surge pod exits 2 with the usage text; the rollout passes its deadline. The nearby change that does
    not matter: a rollout of geocoder in the same namespace.
    """
    inc = Incident("tile-server-restarts-question", title="tile-server keeps restarting", story="", at=AT1,
                   seed=1901, namespaces=("maps",))
    inc.story = tile_server_restarts_question.__doc__ or ""
    change = AT1 - timedelta(minutes=25)
    args = ["--listen=:8080", "--cache.dir=/var/cache/tiles", "--cache.legacy-ttl=24h",
            "--style=/etc/tiles/style.json", "--log.format=logfmt"]

    def serving(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start + timedelta(seconds=1), L.logfmt(start, "info", "tile-server starting", version="2.9.4",
                                                       listen=":8080")),
               (start + timedelta(seconds=2), L.logfmt(start, "warn", "flag -cache.legacy-ttl is deprecated and "
                                                       "will be removed in 3.0; use -cache.ttl"))]
        out += L.ticker(max(start, end - timedelta(hours=2)), end, 60, lambda i, t: L.logfmt(
            t, "info", "cache stats", hits=4100 + i % 37, misses=210 + i % 11, rendered=96 + i % 7))
        return out

    def crashing(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(milliseconds=40), "flag provided but not defined: -cache.legacy-ttl\n"
                 + TILE_USAGE)]

    old = [c("tile-server", f"{REGISTRY}/maps/tile-server:2.9.4", memory_limit="1Gi", memory_request="512Mi")]
    new = [c("tile-server", f"{REGISTRY}/maps/tile-server:3.0.0", memory_limit="1Gi", memory_request="512Mi")]
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", old, container={"args": args}),
            Rev(2, change, "helm upgrade", new, container={"args": args})]
    wl = inc.deployment("maps", "tile-server", revs,
                        {1: [P(log=within(serving)) for _ in range(3)],
                         2: [P(state="crashloop", exit_code=2, run_s=lambda n: 0.1, log=within(crashing))]},
                        progress="deadline", replicas=3)
    inc.service("maps", "tile-server", {"app": "tile-server"})
    app(inc, "maps", "style-cdn", f"{REGISTRY}/maps/style-cdn:1.2.0", 2)
    herring(inc, "maps", "geocoder", f"{REGISTRY}/maps/geocoder", "1.4.0", AT1 - timedelta(minutes=48))
    plant(inc, "maps", "tile-server-mapbox", "token", "mapbox", "MAPBOX_TOKEN")
    inc.pod_series(wl.pods)
    inc.series("kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment.",
               {"namespace": "maps", "deployment": "tile-server", "job": "kube-state-metrics"},
               step(3, 1, change), 30)
    inc.ask("why does tile-server keep restarting since this morning?")
    inc.answer_key(
        culprit=("Deployment", "maps", "tile-server"),
        keywords=["flag", "cache.legacy-ttl", "3.0.0", "removed"],
        root_cause="Revision 2 of Deployment maps/tile-server upgraded the image to 3.0.0, which removed the "
                   "deprecated -cache.legacy-ttl flag; the args still pass --cache.legacy-ttl=24h, so Go's flag "
                   "parser exits 2 (flag provided but not defined) and the new pod crash-loops.",
        category="removed-cli-flag-still-passed", red_herrings=[("Deployment", "maps", "geocoder")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 30, 14, 7, tzinfo=UTC)


def mqtt_broker_crashloop() -> Incident:
    """subpath-mount-file-onto-directory: a chart refactor mounts a config file's subPath over a directory.

    after: the common runc failure when a ConfigMap key mounted with subPath is given a mountPath that is a
    directory in the image (or the other way round): the container never starts, the kubelet reports
    StartError with exit code 128 and "not a directory", and no application log is written at all.

    A values refactor of the MQTT broker's chart (StatefulSet iot/mosquitto, 20 minutes before the page)
    changed the config mount from mountPath /mosquitto/config/mosquitto.conf (subPath mosquitto.conf) to
    mountPath /mosquitto/config with the same subPath: runc cannot mount the file over the image's
    directory. The nearby change that does not matter: a rollout of device-registry in the namespace.
    """
    inc = Incident("mqtt-broker-crashloop", title="MQTT broker pod crash-looping", story="", at=AT2, seed=1902,
                   namespaces=("iot",))
    inc.story = mqtt_broker_crashloop.__doc__ or ""
    change = AT2 - timedelta(minutes=20)
    image = "docker.io/library/eclipse-mosquitto:2.0.20"
    wl = inc.statefulset("iot", "mosquitto", [c("mosquitto", image, port=1883, readiness_path=None,
                                                liveness_path=None, memory_limit="256Mi")],
                         [P(state="crashloop", reason="StartError", exit_code=128, run_s=lambda n: 0.0,
                            created=change + timedelta(seconds=30))], at=change, service=1883)
    sts = wl.obj
    good_mount = {"name": "config", "mountPath": "/mosquitto/config/mosquitto.conf", "subPath": "mosquitto.conf"}
    bad_mount = {"name": "config", "mountPath": "/mosquitto/config", "subPath": "mosquitto.conf"}
    volumes = [{"name": "config", "configMap": {"name": "mosquitto", "defaultMode": 420}}]
    tpl = sts["spec"]["template"]
    tpl["spec"]["volumes"] = volumes
    tpl["spec"]["containers"][0]["volumeMounts"] = [bad_mount]
    old_tpl = {"metadata": tpl["metadata"], "spec": {**tpl["spec"], "containers": [
        {**tpl["spec"]["containers"][0], "volumeMounts": [good_mount]}]}}
    controller_revisions(inc, sts, [(1, inc.born + timedelta(days=6), old_tpl), (2, change, tpl)])
    sts["metadata"]["generation"] = 4
    sts["status"].update({"observedGeneration": 4, "readyReplicas": 0, "availableReplicas": 0})
    sts["status"]["updateRevision"] = f"mosquitto-{o.suffix('mosquitto2', 10)}"
    sts["status"]["currentRevision"] = f"mosquitto-{o.suffix('mosquitto1', 10)}"
    changed(sts, ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"mosquitto"}': {"f:volumeMounts": {'k:{"mountPath":"/mosquitto/config"}': {
            ".": {}, "f:mountPath": {}, "f:name": {}, "f:subPath": {}}}}}}}}}))
    inc.configmap("iot", "mosquitto", {"mosquitto.conf": "listener 1883\nallow_anonymous false\n"
                                       "password_file /mosquitto/passwd/passwd\npersistence true\n"
                                       "persistence_location /mosquitto/data/\n"})
    h = wl.pods[0]

    def mount(pod: dict[str, Any]) -> None:
        pod["spec"]["volumes"] = volumes + pod["spec"].get("volumes", [])
        pod["spec"]["containers"][0]["volumeMounts"] = [bad_mount]
    inc.cluster.patch("iot", h.name, mount)
    uid = inc.cluster.pod_object(h)["metadata"]["uid"]
    msg = ("Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
           "create failed: unable to start container process: error during container init: error mounting "
           f'"/var/lib/kubelet/pods/{uid}/volume-subpaths/config/mosquitto/0" to rootfs at "/mosquitto/config": '
           f"mount /var/lib/kubelet/pods/{uid}/volume-subpaths/config/mosquitto/0:/mosquitto/config (via "
           "/proc/self/fd/6), flags: 0x5001: not a directory: unknown")
    inc.cluster.add_event(inc.cluster.pod_object(h), "Failed", msg, h.created + timedelta(seconds=5),
                          inc.captured - timedelta(seconds=50), count=9, type_="Warning", host=h.node,
                          field_path="spec.containers{mosquitto}")
    app(inc, "iot", "telemetry-ingest", f"{REGISTRY}/iot/telemetry-ingest:5.1.2", 2)
    herring(inc, "iot", "device-registry", f"{REGISTRY}/iot/device-registry", "2.2.0", AT2 - timedelta(minutes=35))
    plant(inc, "iot", "mosquitto-passwd", "password", "broker", "passwd")
    inc.pod_series(wl.pods, memory=False)
    inc.alertmanager("KubePodCrashLooping", {"namespace": "iot", "pod": h.name, "container": "mosquitto",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f'Pod iot/{h.name} (mosquitto) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("StatefulSet", "iot", "mosquitto"),
        keywords=["subPath", "mountPath", "not a directory", "mosquitto.conf"],
        root_cause="The new revision of StatefulSet iot/mosquitto mounts the ConfigMap key mosquitto.conf with "
                   "subPath at mountPath /mosquitto/config, a directory in the image (it was "
                   "/mosquitto/config/mosquitto.conf); runc fails with not a directory, StartError exit 128.",
        category="subpath-mount-file-onto-directory", red_herrings=[("Deployment", "iot", "device-registry")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 1, 10, 22, tzinfo=UTC)


def eta_rollout_stuck() -> Incident:
    """grpc-readiness-probe-without-health-service: a readiness probe moved to gRPC on a server without it.

    after: the native gRPC probes of Kubernetes 1.24+ call grpc.health.v1.Health/Check; a team switching a
    tcpSocket probe to `grpc:` on a server that never registered the health service gets "this server does
    not implement the grpc health protocol" from the kubelet: the new pods run but never turn ready.

    Revision 2 of dispatch/eta-predictor (a Python gRPC service, 30 minutes before the page) replaced the
    readiness probe tcpSocket 50051 with grpc port 50051; the server registers only its own service.
    The new pod stays unready and the rollout passes its progress deadline. The nearby change that does
    not matter: a rollout of route-planner in the same namespace.
    """
    inc = Incident("eta-rollout-stuck", title="eta-predictor rollout not progressing", story="", at=AT3,
                   seed=1903, namespaces=("dispatch",))
    inc.story = eta_rollout_stuck.__doc__ or ""
    change = AT3 - timedelta(minutes=30)

    def server(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start + timedelta(seconds=1), L.pylog(start, "INFO", "eta.server",
                                                      "loading model eta-gbm-2026-11-28 (412 MB)")),
               (start + timedelta(seconds=9), L.pylog(start, "INFO", "eta.server",
                                                      "gRPC server listening on [::]:50051 "
                                                      "(services: eta.v2.EtaPredictor)"))]
        out += L.ticker(start + timedelta(seconds=30), end, 60, lambda i, t: L.pylog(
            t, "INFO", "eta.server", f"predict p50=11.4ms p99=38.{i % 9}ms rpcs={5200 + i % 90}"))
        return out

    ctr = dict(port=50051, liveness_path=None, readiness_path=None, memory_limit="1536Mi", memory_request="1Gi")
    tcp = {"readinessProbe": {"tcpSocket": {"port": 50051}, "periodSeconds": 10, "failureThreshold": 3,
                              "timeoutSeconds": 1, "successThreshold": 1}}
    grpc = {"readinessProbe": {"grpc": {"port": 50051, "service": ""}, "periodSeconds": 10, "failureThreshold": 3,
                               "timeoutSeconds": 1, "successThreshold": 1}}
    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                [c("eta-predictor", f"{REGISTRY}/dispatch/eta-predictor:1.18.0", **ctr)], container=tcp),
            Rev(2, change, "helm upgrade",
                [c("eta-predictor", f"{REGISTRY}/dispatch/eta-predictor:1.18.0", **ctr)], container=grpc)]
    msg = ("Readiness probe failed: this server does not implement the grpc health protocol "
           "(grpc.health.v1.Health): unknown service grpc.health.v1.Health")
    wl = inc.deployment("dispatch", "eta-predictor", revs,
                        {1: [P(log=within(server)) for _ in range(3)],
                         2: [P(state="notready", message=msg, log=within(server))]},
                        progress="deadline", replicas=3)
    inc.service("dispatch", "eta-predictor", {"app": "eta-predictor"}, port=50051, target=50051)
    app(inc, "dispatch", "courier-tracker", f"{REGISTRY}/dispatch/courier-tracker:3.3.1", 2)
    herring(inc, "dispatch", "route-planner", f"{REGISTRY}/dispatch/route-planner", "4.0.3",
            AT3 - timedelta(minutes=44))
    plant(inc, "dispatch", "eta-feature-store", "password", "features", "FEATURE_DB_PASSWORD")
    inc.pod_series(wl.pods)
    for h in wl.pods:
        ok = h.owner is not None and h.owner["name"] == wl.rs[1]
        inc.series("prober_probe", "counter", "Cumulative number of a liveness, readiness or startup probe for a "
                   "container by result.", {"namespace": "dispatch", "pod": h.name, "container": "eta-predictor",
                                            "probe_type": "Readiness", "result": "failed", "job": "kubelet"},
                   counter(inc.at - timedelta(hours=2), 0.0, 0.0 if ok else 0.1, change), 30)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "dispatch", "deployment": "eta-predictor",
                                                    "condition": "Progressing", "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment dispatch/eta-predictor is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false", '
                     'job="kube-state-metrics"} != 0')
    inc.answer_key(
        culprit=("Deployment", "dispatch", "eta-predictor"),
        keywords=["grpc", "health", "readiness", "probe"],
        root_cause="Revision 2 of Deployment dispatch/eta-predictor replaced the tcpSocket readiness probe with a "
                   "grpc probe, but the server does not register the grpc.health.v1.Health service, so the probe "
                   "fails (Unimplemented) and the new pod never becomes ready; the rollout is stuck.",
        category="grpc-readiness-probe-without-health-service",
        red_herrings=[("Deployment", "dispatch", "route-planner")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 1, 9, 50, tzinfo=UTC)


def fx_rates_stale() -> Incident:
    """cronjob-starting-deadline-below-controller-latency: startingDeadlineSeconds cut to a few seconds.

    after: the documented CronJob pitfall (a startingDeadlineSeconds below about ten seconds may never be
    met, because the controller does not start a Job on the exact second) met in practice: someone sets a
    tiny deadline "so late runs are skipped", and from then on every run is reported as missed and skipped.

    A kubectl edit of CronJob finance/fx-rates-refresh (schedule every 15 minutes) at 07:31 set
    startingDeadlineSeconds from 300 to 5; the controller syncs each schedule 10-40 s late, records
    MissSchedule and starts no Job, so the last successful run is from 07:30. The nearby change that
    does not matter: a rollout of fx-quotes-api in the same namespace.
    """
    inc = Incident("fx-rates-stale", title="FX rates not refreshed for two hours", story="", at=AT4, seed=1904,
                   namespaces=("finance",))
    inc.story = fx_rates_stale.__doc__ or ""
    change = datetime(2026, 12, 1, 7, 31, 12, tzinfo=UTC)
    last_ok = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "fx-rates-refresh", "namespace": "finance", "creationTimestamp": ts(inc.born),
                     "generation": 6, "labels": {"app": "fx-rates-refresh"}},
        "spec": {"schedule": "*/15 * * * *", "startingDeadlineSeconds": 5, "concurrencyPolicy": "Forbid",
                 "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                     "restartPolicy": "OnFailure",
                     "containers": [{"name": "fx-rates-refresh", "image": f"{REGISTRY}/finance/fx-rates:2.4.1",
                                     "args": ["refresh", "--provider=ecb", "--provider=oanda"],
                                     "envFrom": [{"secretRef": {"name": "fx-provider"}}],
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                   "limits": {"memory": "256Mi"}}}]}}}}},
        "status": {"lastScheduleTime": ts(last_ok), "lastSuccessfulTime": ts(last_ok + timedelta(seconds=41))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=2), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:startingDeadlineSeconds": {}}}))
    for minutes in (0, 15, 30):
        at = datetime(2026, 12, 1, 7, minutes, tzinfo=UTC)
        name = f"fx-rates-refresh-{int(at.timestamp() // 60)}"
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": name, "namespace": "finance", "creationTimestamp": ts(at + timedelta(seconds=2)),
                              "labels": {"batch.kubernetes.io/job-name": name},
                              "ownerReferences": [o.owner_ref("CronJob", "fx-rates-refresh", "finance",
                                                              api_version="batch/v1")]},
                 "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1},
                 "status": {"startTime": ts(at + timedelta(seconds=2)),
                            "completionTime": ts(at + timedelta(seconds=41)), "succeeded": 1,
                            "conditions": [{"type": "Complete", "status": "True",
                                            "lastProbeTime": ts(at + timedelta(seconds=41)),
                                            "lastTransitionTime": ts(at + timedelta(seconds=41))}]}})
    missed = [datetime(2026, 12, 1, 7, 45, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(9)]
    missed = [t for t in missed if t < inc.captured]
    for t in missed:
        inc.cluster.add_event(cron, "MissSchedule", "Missed scheduled time to start a job: "
                              + t.strftime("%a, %d %b %Y %H:%M:%S +0000"), t + timedelta(seconds=23),
                              t + timedelta(seconds=23), type_="Warning", component="cronjob-controller")

    def quotes(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 120, lambda i, t: L.js(
            t, "warn" if t > last_ok + timedelta(minutes=60) else "info", "serving quote",
            pair="EURUSD", rates_age_s=int((t - last_ok).total_seconds()) if t > last_ok
            else 300 + i % 400))
    app(inc, "finance", "fx-cache", f"{REGISTRY}/finance/fx-cache:1.0.4", 2, log=within(quotes))
    herring(inc, "finance", "fx-quotes-api", f"{REGISTRY}/finance/fx-quotes-api", "3.2.0",
            AT4 - timedelta(minutes=52))
    plant(inc, "finance", "fx-provider", "token", "oanda", "OANDA_API_TOKEN")
    labels = {"namespace": "finance", "cronjob": "fx-rates-refresh", "job": "kube-state-metrics"}
    inc.series("kube_cronjob_status_last_successful_time", "gauge", "LastSuccessfulTime keeps information of "
               "when was the last time the job was completed successfully.", dict(labels),
               lambda t: (last_ok + timedelta(seconds=41)).timestamp() if t >= last_ok + timedelta(seconds=41)
               else (last_ok - timedelta(minutes=15)).timestamp(), 60)
    inc.series("kube_cronjob_spec_starting_deadline_seconds", "gauge", "Deadline in seconds for starting the job "
               "if it misses scheduled time for any reason.", dict(labels), step(300, 5, change), 60)
    inc.alerts["alertmanager.json"] = am.alertmanager([alert(
        inc, "CronJobLastSuccessTooOld", {"namespace": "finance", "cronjob": "fx-rates-refresh",
                                          "job": "kube-state-metrics", "team": "finance-platform"},
        "A CronJob has not completed successfully for over an hour.",
        "CronJob finance/fx-rates-refresh last succeeded 2h 20m ago (expected every 15m).",
        'time() - kube_cronjob_status_last_successful_time{namespace="finance"} > 3600',
        runbook="https://wiki.example.com/runbooks/cronjob-last-success")], group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("CronJob", "finance", "fx-rates-refresh"),
        keywords=["startingDeadlineSeconds", "missed", "MissSchedule", "controller"],
        root_cause="A kubectl edit at 07:31 set startingDeadlineSeconds of CronJob finance/fx-rates-refresh from "
                   "300 to 5; the cronjob controller reaches each schedule later than that, so every run is "
                   "missed (MissSchedule) and no Job has started since 07:30.",
        category="cronjob-starting-deadline-below-controller-latency",
        red_herrings=[("Deployment", "finance", "fx-quotes-api")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 2, 11, 15, tzinfo=UTC)


def edi_gateway_replicas_mismatch() -> Incident:
    """secret-recreated-with-renamed-keys-breaks-volume-items: a cert Secret re-created with other key names.

    after: the frequent FailedMount "references non-existent secret key" seen when a TLS Secret of type
    kubernetes.io/tls (keys tls.crt/tls.key) is replaced by `kubectl create secret generic --from-file`
    (keys named after the files) while a Deployment projects the old keys through volume items: running
    pods keep their old files, every new pod hangs in ContainerCreating.

    The AS2 signing certificate was renewed by hand 50 minutes before the page: Secret partners/as2-signing
    was deleted and re-created generic with keys cert.pem and key.pem. edi-gateway projects tls.crt and
    tls.key; the two pods its HPA added since are stuck in ContainerCreating. The nearby change that does
    not matter: a rollout of partner-portal in the same namespace.
    """
    inc = Incident("edi-gateway-replicas-mismatch", title="edi-gateway has fewer replicas than desired",
                   story="", at=AT5, seed=1905, namespaces=("partners",))
    inc.story = edi_gateway_replicas_mismatch.__doc__ or ""
    change = AT5 - timedelta(minutes=50)
    scale = AT5 - timedelta(minutes=22)
    volumes = [{"name": "signing-cert", "secret": {"secretName": "as2-signing", "defaultMode": 256, "items": [
        {"key": "tls.crt", "path": "signing.crt"}, {"key": "tls.key", "path": "signing.key"}]}}]
    mounts = [{"name": "signing-cert", "mountPath": "/etc/as2", "readOnly": True}]

    def edi(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 45, lambda i, t: L.spring(
            t, "INFO", "c.a.edi.as2.MdnService", f"MDN sent for message <{L.uuidish(pod, i)}@edi.example.com> "
            f"partner=RETAIL-{100 + i % 17} signed=true", thread=f"as2-worker-{i % 8}"))
    rev = Rev(1, inc.born + timedelta(days=16), "helm upgrade",
              [c("edi-gateway", f"{REGISTRY}/partners/edi-gateway:4.2.0", memory_limit="1Gi",
                 memory_request="768Mi")], pod_spec={"volumes": volumes}, container={"volumeMounts": mounts})
    stuck = [P(state="waiting", waiting_reason="ContainerCreating", created=scale + timedelta(seconds=i * 3))
             for i in range(2)]
    wl = inc.deployment("partners", "edi-gateway", [rev], {1: [P(log=within(edi)), P(log=within(edi)), *stuck]},
                        replicas=4)
    for h in wl.pods[2:]:
        drop_events(inc, h.name, {"Pulled", "Failed"})
        h.states[0].waiting_message = None
        inc.cluster.add_event(inc.cluster.pod_object(h), "FailedMount",
                              'MountVolume.SetUp failed for volume "signing-cert" : references non-existent secret '
                              "key: tls.crt", h.created + timedelta(seconds=2), inc.captured - timedelta(seconds=70),
                              count=17, type_="Warning", host=h.node)
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "edi-gateway", "namespace": "partners"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "edi-gateway"},
                            "minReplicas": 2, "maxReplicas": 6,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 70}}}]},
                   "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(scale),
                              "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                                  "averageUtilization": 88, "averageValue": "440m"}}}]}})
    inc.cluster.add_event(hpa, "SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of "
                          "request) above target", scale, scale, count=1,
                          component="horizontal-pod-autoscaler")
    inc.secret("partners", "as2-signing", {"cert.pem": inc.canary("token", "as2-cert"),
                                           "key.pem": inc.canary("aws-secret", "as2-key")})
    sec = inc.find("Secret", "partners", "as2-signing")
    sec["metadata"]["creationTimestamp"] = ts(change)
    changed(sec, ("kubectl-create", "Update", change, {"f:data": {".": {}, "f:cert.pem": {}, "f:key.pem": {}},
                                                       "f:type": {}}))
    herring(inc, "partners", "partner-portal", f"{REGISTRY}/partners/partner-portal", "7.0.1",
            AT5 - timedelta(minutes=31))
    plant(inc, "partners", "edi-sftp", "password", "sftp", "SFTP_PASSWORD")
    inc.pod_series(wl.pods)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "partners", "deployment": "edi-gateway",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment partners/edi-gateway has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("Secret", "partners", "as2-signing"),
        keywords=["tls.crt", "non-existent", "FailedMount", "re-created"],
        root_cause="Secret partners/as2-signing was re-created as a generic Secret with keys cert.pem and key.pem; "
                   "edi-gateway's volume items project tls.crt and tls.key, so new pods fail FailedMount "
                   "(references non-existent secret key: tls.crt) and stay in ContainerCreating.",
        category="secret-recreated-with-renamed-keys-breaks-volume-items",
        red_herrings=[("Deployment", "partners", "partner-portal")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 2, 15, 36, tzinfo=UTC)


def report_renderer_pod_not_ready() -> Incident:
    """ephemeral-storage-request-unit-typo: a scratch-space request written in Gi instead of Mi.

    after: the everyday unit slip in a resources block (Gi for Mi) on a resource people rarely set:
    ephemeral-storage requests count against the node's allocatable local disk, and a 100Gi request fits
    no node, so the scheduler reports "Insufficient ephemeral-storage" and the new pods stay Pending.

    Revision 5 of reports/report-renderer (40 minutes before the page) added requests and limits of
    ephemeral-storage 100Gi for its PDF scratch directory (meant 100Mi); the nodes have about 71Gi
    allocatable. The surge pod is Pending. The nearby change that does not matter: a rollout of
    report-scheduler in the same namespace.
    """
    inc = Incident("report-renderer-pod-not-ready", title="report-renderer pod not ready", story="", at=AT6,
                   seed=1906, namespaces=("reports",))
    inc.story = report_renderer_pod_not_ready.__doc__ or ""
    change = AT6 - timedelta(minutes=40)

    def renderer(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 50, lambda i, t: L.js(
            t, "info", "rendered report", report_id=f"rpt_{40210 + i}", pages=3 + i % 40,
            duration_ms=800 + (i * 37) % 2400))
    base = dict(memory_limit="2Gi", memory_request="1Gi")
    old = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}}
    new = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "100Gi"},
                         "limits": {"memory": "2Gi", "ephemeral-storage": "100Gi"}}}
    revs = [Rev(4, inc.born + timedelta(days=18), "helm upgrade",
                [c("report-renderer", f"{REGISTRY}/reports/report-renderer:6.3.0", **base)], container=old),
            Rev(5, change, "helm upgrade",
                [c("report-renderer", f"{REGISTRY}/reports/report-renderer:6.3.0", **base)], container=new)]
    msg = ("0/4 nodes are available: 4 Insufficient ephemeral-storage. preemption: 0/4 nodes are available: 4 No "
           "preemption victims found for incoming pod.")
    wl = inc.deployment("reports", "report-renderer", revs,
                        {4: [P(log=within(renderer)) for _ in range(3)], 5: [P(state="pending", message=msg)]},
                        progress="progressing", replicas=3)
    inc.service("reports", "report-renderer", {"app": "report-renderer"})
    app(inc, "reports", "report-api", f"{REGISTRY}/reports/report-api:2.8.7", 2)
    herring(inc, "reports", "report-scheduler", f"{REGISTRY}/reports/report-scheduler", "1.9.0",
            AT6 - timedelta(minutes=57))
    plant(inc, "reports", "report-renderer-s3", "aws", "renderer", "AWS_ACCESS_KEY_ID")
    inc.pod_series(wl.pods)
    pending = wl.pods[-1]
    inc.series("kube_pod_status_phase", "gauge", "The pods current phase.",
               {"namespace": "reports", "pod": pending.name, "phase": "Pending", "job": "kube-state-metrics"},
               lambda t: 1.0 if t >= pending.created else None, 30)
    inc.alertmanager("KubePodNotReady", {"namespace": "reports", "pod": pending.name, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod reports/{pending.name} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod, cluster) (max by(namespace, pod, cluster) (kube_pod_status_phase'
                     '{job="kube-state-metrics", phase=~"Pending|Unknown|Failed"})) > 0')
    inc.answer_key(
        culprit=("Deployment", "reports", "report-renderer"),
        keywords=["ephemeral-storage", "100Gi", "Insufficient", "request"],
        root_cause="Revision 5 of Deployment reports/report-renderer requests ephemeral-storage 100Gi (meant "
                   "100Mi); no node has that much allocatable local disk, so the scheduler reports Insufficient "
                   "ephemeral-storage and the new pod stays Pending.",
        category="ephemeral-storage-request-unit-typo",
        red_herrings=[("Deployment", "reports", "report-scheduler")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 9, 5, tzinfo=UTC)
ARM_NODE = "ip-10-0-5-88.eu-west-1.compute.internal"


def node_pods_crashing_question() -> Incident:
    """nodepool-arch-widened-amd64-image-on-arm: a Karpenter NodePool now also launches arm64 instances.

    after: cost-saving moves to Graviton/arm64 capacity where the node template's architecture
    requirement is widened before every image is multi-arch: pods of single-arch (amd64) images that land
    on the new arm64 nodes die at once with "exec format error", while their siblings on amd64 nodes run.

    Karpenter NodePool general (cluster-scoped) was edited three hours before the question to allow
    kubernetes.io/arch In [amd64, arm64]; Karpenter launched an m7g node for a scale-up of ocr-worker
    (an amd64-only Python image); the two pods placed there crash-loop. The nearby change that does not
    matter: a rollout of ocr-api in the same namespace.
    """
    inc = Incident("node-pods-crashing-question", title="pods on one node keep crashing", story="", at=AT7,
                   seed=1907, namespaces=("ocr",))
    inc.story = node_pods_crashing_question.__doc__ or ""
    change = AT7 - timedelta(hours=3)
    launched = AT7 - timedelta(minutes=70)
    arm = o.node(ARM_NODE, 5, launched, "eu-west-1b", now=inc.captured)
    arm["kind"], arm["apiVersion"] = "Node", "v1"
    arm["metadata"]["labels"].update({"kubernetes.io/arch": "arm64", "beta.kubernetes.io/arch": "arm64",
                                      "karpenter.sh/nodepool": "general", "karpenter.sh/capacity-type": "on-demand",
                                      "node.kubernetes.io/instance-type": "m7g.xlarge",
                                      "karpenter.k8s.aws/instance-category": "m"})
    arm["status"]["nodeInfo"]["architecture"] = "arm64"
    inc.cluster.nodes.append(arm)
    for ns, daemonset in (("kube-system", "kube-proxy"), ("kube-system", "aws-node"), ("monitoring", "node-exporter")):
        ds_pod(inc, ns, daemonset, ARM_NODE, launched + timedelta(seconds=20))
    crd(inc, "karpenter.sh", "NodePool", "nodepools", scope="Cluster")
    pool = inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
                    "metadata": {"name": "general", "generation": 7},
                    "spec": {"template": {"spec": {
                        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                        "requirements": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
                            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]},
                            {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["5"]}],
                        "expireAfter": "720h"}},
                        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"},
                        "limits": {"cpu": "200"}},
                    "status": {"resources": {"cpu": "20", "memory": "81920Mi", "nodes": "5"},
                               "conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                               "lastTransitionTime": ts(inc.born), "message": ""}]}})
    changed(pool, ("argocd-controller", "Apply", change, {"f:spec": {"f:template": {"f:spec": {
        "f:requirements": {}}}}}))
    log = within(lambda pod, start, end: [(start + timedelta(milliseconds=30),
                                           "exec /usr/local/bin/python3: exec format error")])

    def worker(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 40, lambda i, t: L.pylog(
            t, "INFO", "ocr.worker", f"job doc_{88100 + i} done pages={1 + i % 12} engine=tesseract-5.3"))
    image = f"{REGISTRY}/ocr/ocr-worker:3.6.2"
    revs = [Rev(1, inc.born + timedelta(days=22), "helm upgrade",
                [c("ocr-worker", image, memory_limit="2Gi", memory_request="1Gi", port=None)])]
    wl = inc.deployment("ocr", "ocr-worker", revs, {1: [
        P(log=within(worker)), P(log=within(worker)), P(log=within(worker)),
        P(state="crashloop", exit_code=1, run_s=lambda n: 0.05, log=log, node=ARM_NODE,
          created=launched + timedelta(minutes=2)),
        P(state="crashloop", exit_code=1, run_s=lambda n: 0.05, log=log, node=ARM_NODE,
          created=launched + timedelta(minutes=2, seconds=4))]}, replicas=5)
    inc.cluster.add_event(arm, "NodeReady", f"Node {ARM_NODE} status is now: NodeReady",
                          launched + timedelta(seconds=50), launched + timedelta(seconds=50), host=ARM_NODE)
    herring(inc, "ocr", "ocr-api", f"{REGISTRY}/ocr/ocr-api", "2.1.0", AT7 - timedelta(minutes=38))
    plant(inc, "ocr", "ocr-storage", "aws", "ocr-bucket", "AWS_ACCESS_KEY_ID")
    inc.pod_series(wl.pods)
    for n in inc.cluster.nodes:
        name = n["metadata"]["name"]
        inc.series("kube_node_info", "gauge", "Information about a cluster node.",
                   {"node": name, "container_runtime_version": "containerd://1.7.22", "kernel_version":
                    "6.1.112-124.190.amzn2023." + ("aarch64" if name == ARM_NODE else "x86_64"),
                    "kubelet_version": "v1.30.4-eks-a737599", "job": "kube-state-metrics"},
                   (lambda t: 1.0 if t >= launched else None) if name == ARM_NODE else (lambda t: 1.0), 120)
    inc.ask(f"what's going on with {ARM_NODE}? everything scheduled there since this morning keeps crashing")
    inc.answer_key(
        culprit=("NodePool", "", "general"),
        keywords=["arm64", "exec format error", "amd64", "architecture"],
        root_cause="Karpenter NodePool general was edited to allow kubernetes.io/arch arm64 as well as amd64; the "
                   "new Graviton (arm64) node runs ocr-worker, whose image is built for amd64 only, so its pods "
                   "there die with exec format error (wrong architecture).",
        category="nodepool-arch-widened-amd64-image-on-arm", red_herrings=[("Deployment", "ocr", "ocr-api")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 3, 13, 48, tzinfo=UTC)


def claims_api_crashloop_page() -> Incident:
    """redis-hardening-renames-config-breaks-session-startup: a shared Redis disables CONFIG with rename-command.

    after: the well-known Spring Session on managed or hardened Redis failure: at start-up Spring Session
    runs CONFIG GET/SET notify-keyspace-events, and a Redis whose CONFIG command is renamed away (a
    hardening baseline, or a managed service) answers "ERR unknown command 'CONFIG'": running pods are
    fine, every pod started after the change dies in its application context.

    The platform team's Redis hardening (ConfigMap cache/sessions-redis-config, three hours before the page)
    added rename-command CONFIG "" (and FLUSHALL, KEYS) and restarted sessions-redis to load it. Twenty
    minutes before the page claims-api's HPA added two pods; both crash-loop on
    enableRedisKeyspaceNotificationsInitializer. The nearby change that does not matter: a rollout of
    claims-ui in the claims namespace.
    """
    inc = Incident("claims-api-crashloop-page", title="claims-api pods crash looping", story="", at=AT8, seed=1908,
                   namespaces=("claims", "cache"))
    inc.story = claims_api_crashloop_page.__doc__ or ""
    change = AT8 - timedelta(hours=3)
    scale = AT8 - timedelta(minutes=20)
    conf = ("bind 0.0.0.0\nport 6379\nprotected-mode yes\nmaxmemory 3gb\nmaxmemory-policy volatile-lru\n"
            "appendonly no\nsave \"\"\ntcp-keepalive 60\nrename-command CONFIG \"\"\nrename-command FLUSHALL \"\"\n"
            "rename-command FLUSHDB \"\"\nrename-command KEYS \"\"\n")
    cm = inc.configmap("cache", "sessions-redis-config", {"redis.conf": conf})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {".": {}, "f:redis.conf": {}}}),
            ("helm", "Update", change, {"f:data": {"f:redis.conf": {}}}))

    def redis(pod: str, start: datetime, end: datetime) -> Lines:
        def r(t: datetime, mark: str, msg: str) -> str:
            return f"1:{mark} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} {msg}"
        out = [(start, r(start, "C", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")),
               (start, r(start, "C", "Redis version=7.2.5, bits=64, commit=00000000, modified=0, pid=1, just started")),
               (start, r(start, "C", "Configuration loaded")),
               (start + timedelta(milliseconds=4), r(start, "M", "Running mode=standalone, port=6379.")),
               (start + timedelta(milliseconds=5), r(start, "M", "Server initialized")),
               (start + timedelta(milliseconds=6), r(start, "M", "Ready to accept connections tcp"))]
        return out
    store = inc.statefulset("cache", "sessions-redis", [c("redis", "docker.io/library/redis:7.2.5", port=6379,
                                                          readiness_path=None, liveness_path=None,
                                                          memory_limit="4Gi")],
                            [P(log=within(redis), created=change + timedelta(minutes=1))], at=inc.born, service=6379)
    store.obj["spec"]["template"]["spec"]["containers"][0]["args"] = ["/etc/redis/redis.conf"]
    store.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "checksum/config"] = "9f1c7e2b5a0d4e8c3b6a1f7d2e9c5b8a4d1e7f3c6b9a2d5e8f1c4b7a0d3e6f92"

    trace = ("org.springframework.context.ApplicationContextException: Failed to start bean "
             "'enableRedisKeyspaceNotificationsInitializer'\n"
             "\tat org.springframework.context.support.DefaultLifecycleProcessor.doStart("
             "DefaultLifecycleProcessor.java:288)\n"
             "\tat org.springframework.context.support.AbstractApplicationContext.finishRefresh("
             "AbstractApplicationContext.java:998)\n"
             "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:335)\n"
             "\tat com.acme.claims.ClaimsApplication.main(ClaimsApplication.java:14)\n"
             "Caused by: org.springframework.data.redis.RedisSystemException: Error in execution\n"
             "\tat org.springframework.data.redis.connection.lettuce.LettuceExceptionConverter.convert("
             "LettuceExceptionConverter.java:52)\n"
             "\tat org.springframework.data.redis.connection.lettuce.LettuceServerCommands.getConfig("
             "LettuceServerCommands.java:176)\n"
             "\tat org.springframework.session.data.redis.config.ConfigureNotifyKeyspaceEventsAction.getNotifyOptions("
             "ConfigureNotifyKeyspaceEventsAction.java:74)\n"
             "\tat org.springframework.session.data.redis.config.annotation.web.http."
             "RedisIndexedHttpSessionConfiguration$EnableRedisKeyspaceNotificationsInitializer.afterPropertiesSet("
             "RedisIndexedHttpSessionConfiguration.java:301)\n"
             "Caused by: io.lettuce.core.RedisCommandExecutionException: ERR unknown command 'CONFIG', with args "
             "beginning with: 'GET' 'notify-keyspace-events' \n"
             "\tat io.lettuce.core.internal.ExceptionFactory.createExecutionException(ExceptionFactory.java:151)\n"
             "\tat io.lettuce.core.internal.ExceptionFactory.createExecutionException(ExceptionFactory.java:120)\n"
             "\tat io.lettuce.core.protocol.AsyncCommand.completeResult(AsyncCommand.java:124)")

    def starting(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(seconds=2), L.spring(start, "INFO", "com.acme.claims.ClaimsApplication",
                                                       "Starting ClaimsApplication v8.4.2 using Java 21.0.5 "
                                                       "with PID 1")),
                (start + timedelta(seconds=7), L.spring(start, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                       "Tomcat initialized with port 8080 (http)")),
                (start + timedelta(seconds=11), L.spring(start, "WARN",
                                                        "ConfigServletWebServerApplicationContext",
                                                        "Exception encountered during context initialization - "
                                                        "cancelling refresh attempt: " + trace.split("\n")[0])),
                (start + timedelta(seconds=11, milliseconds=80), L.spring(
                    start, "ERROR", "o.s.boot.SpringApplication", "Application run failed") + "\n\n" + trace)]

    def serving(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 30, lambda i, t: L.spring(
            t, "INFO", "c.a.claims.web.ClaimController", f"GET /api/v2/claims/{700100 + i} 200 {18 + i % 30}ms",
            thread=f"http-nio-8080-exec-{i % 10}"))
    env = [{"name": "SPRING_DATA_REDIS_HOST", "value": "sessions-redis.cache.svc"},
           {"name": "SPRING_SESSION_REDIS_REPOSITORY_TYPE", "value": "indexed"}]
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade",
              [c("claims-api", f"{REGISTRY}/claims/claims-api:8.4.2", memory_limit="1536Mi", memory_request="1Gi",
                 env=env)])
    crash = [P(state="crashloop", exit_code=1, run_s=lambda n: 14.0, log=within(starting),
               created=scale + timedelta(seconds=3 * i)) for i in range(2)]
    wl = inc.deployment("claims", "claims-api", [rev], {1: [P(log=within(serving)) for _ in range(3)] + crash},
                        replicas=5)
    inc.service("claims", "claims-api", {"app": "claims-api"})
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "claims-api", "namespace": "claims"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "claims-api"},
                            "minReplicas": 3, "maxReplicas": 10,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 65}}}]},
                   "status": {"currentReplicas": 5, "desiredReplicas": 5, "lastScaleTime": ts(scale),
                              "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                                  "averageUtilization": 81, "averageValue": "405m"}}}]}})
    inc.cluster.add_event(hpa, "SuccessfulRescale", "New size: 5; reason: cpu resource utilization (percentage of "
                          "request) above target", scale, scale, count=1, component="horizontal-pod-autoscaler")
    herring(inc, "claims", "claims-ui", f"{REGISTRY}/claims/claims-ui", "5.5.0", AT8 - timedelta(minutes=33))
    plant(inc, "claims", "claims-db", "password", "claims-db", "password")
    inc.pod_series([*wl.pods, *store.pods])
    inc.pagerduty("[FIRING:2] KubePodCrashLooping claims/claims-api (prod-eu-west-1)", "claims-api")
    inc.answer_key(
        culprit=("ConfigMap", "cache", "sessions-redis-config"),
        keywords=["rename-command", "notify-keyspace-events", "unknown command", "Spring Session"],
        root_cause="The Redis hardening in ConfigMap cache/sessions-redis-config added rename-command CONFIG \"\" "
                   "and sessions-redis was restarted with it; claims-api's Spring Session runs CONFIG GET "
                   "notify-keyspace-events at start-up, gets ERR unknown command 'CONFIG', so every new pod fails "
                   "to start and crash-loops.",
        category="redis-hardening-renames-config-breaks-session-startup",
        red_herrings=[("Deployment", "claims", "claims-ui")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 3, 16, 20, tzinfo=UTC)


def insights_errors_burn() -> Incident:
    """search-max-buckets-lowered-breaks-aggregations: a cluster setting cut below what dashboards request.

    after: Elasticsearch's search.max_buckets limit (default 65,536) lowered in a hardening or "protect the
    cluster" change; every aggregation that builds more buckets than the new limit now fails with
    too_many_buckets_exception, which the API in front of it turns into 500s for the wide date ranges.

    The ECK Elasticsearch resource analytics/events-es was edited 55 minutes before the page to set
    search.max_buckets 10000 in its nodeSets' config; ECK rolled the three data nodes. insights-api
    (Node.js) fails every per-hour histogram over more than about a week. The nearby change that does
    not matter: a rollout of dashboards-web in the same namespace.
    """
    inc = Incident("insights-errors-burn", title="insights-api error budget burning", story="", at=AT9,
                   seed=1909, namespaces=("analytics",))
    inc.story = insights_errors_burn.__doc__ or ""
    change = AT9 - timedelta(minutes=55)
    crd(inc, "elasticsearch.k8s.elastic.co", "Elasticsearch", "elasticsearches")
    es = inc.add({"apiVersion": "elasticsearch.k8s.elastic.co/v1", "kind": "Elasticsearch",
                  "metadata": {"name": "events-es", "namespace": "analytics", "generation": 9},
                  "spec": {"version": "8.15.3", "nodeSets": [{
                      "name": "default", "count": 3,
                      "config": {"node.roles": ["master", "data", "ingest"], "search.max_buckets": 10000,
                                 "indices.query.bool.max_clause_count": 4096},
                      "volumeClaimTemplates": [{"metadata": {"name": "elasticsearch-data"}, "spec": {
                          "accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                          "resources": {"requests": {"storage": "500Gi"}}}}]}]},
                  "status": {"health": "green", "phase": "Ready", "availableNodes": 3, "version": "8.15.3",
                             "observedGeneration": 9}})
    changed(es, ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:nodeSets": {}}}))

    def esnode(pod: str, start: datetime, end: datetime) -> Lines:
        def j(t: datetime, level: str, logger: str, msg: str) -> str:
            return ('{"@timestamp":"' + t.strftime("%Y-%m-%dT%H:%M:%S.") + f'{t.microsecond // 1000:03d}Z",'
                    f'"log.level": "{level}", "message":"{msg}", "ecs.version": "1.2.0","service.name":"ES_ECS",'
                    f'"event.dataset":"elasticsearch.server","process.thread.name":"main","log.logger":"{logger}",'
                    f'"elasticsearch.node.name":"{pod}","elasticsearch.cluster.name":"events-es"}}')
        return [(start + timedelta(seconds=20), j(start, "INFO", "org.elasticsearch.node.Node",
                                                   "version[8.15.3], pid[82], build[docker/f97532e]")),
                (start + timedelta(seconds=41), j(start, "INFO", "org.elasticsearch.node.Node", "started {"
                                                   + pod + "}{master, data, ingest}")),
                (start + timedelta(seconds=44), j(start, "INFO",
                                                   "org.elasticsearch.cluster.service.ClusterApplierService",
                                                   "added {" + pod + "}, term: 41, version: 18022, reason: "
                                                   "ApplyCommitRequest"))]
    sts = inc.statefulset("analytics", "events-es-es-default",
                          [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3", port=9200,
                             readiness_path=None, liveness_path=None, memory_limit="8Gi", memory_request="8Gi")],
                          [P(log=within(esnode), created=change + timedelta(minutes=2 + 4 * (2 - i)))
                           for i in range(3)], at=change)
    inc.service("analytics", "events-es-es-http", {"elasticsearch.k8s.elastic.co/cluster-name": "events-es"},
                port=9200, target=9200)

    def insights(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            ms = int(t.timestamp() * 1000)
            if t < change + timedelta(minutes=10) or i % 4:
                return (f'{{"level":30,"time":{ms},"pid":1,"hostname":"{pod}","reqId":"req-{i:x}",'
                        f'"res":{{"statusCode":200}},"responseTime":{40 + i % 90}.3,"msg":"request completed"}}')
            return (f'{{"level":50,"time":{ms},"pid":1,"hostname":"{pod}","reqId":"req-{i:x}","err":{{"type":'
                    '"ResponseError","message":"search_phase_execution_exception\\n\\tCaused by:\\n\\t\\t'
                    "too_many_buckets_exception: Trying to create too many buckets. Must be less than or equal "
                    "to: [10000] but this number of buckets was exceeded. This limit can be set by changing the "
                    '[search.max_buckets] cluster level setting.\\n\\tRoot causes:\\n\\t\\ttoo_many_buckets_exception'
                    ": Trying to create too many buckets. Must be less than or equal to: [10000] but this number of "
                    'buckets was exceeded.","stack":"ResponseError: search_phase_execution_exception\\n    at '
                    "SniffingTransport._request (/app/node_modules/@elastic/transport/lib/Transport.js:543:27)\\n"
                    "    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)\\n    at "
                    "async Client.SearchApi [as search] (/app/node_modules/@elastic/elasticsearch/lib/api/api/"
                    'search.js:66:12)\\n    at async histogram (/app/src/routes/events.js:88:17)",'
                    '"meta":{"statusCode":400}},"route":"/v1/events/histogram","interval":"1h","range":"30d",'
                    '"msg":"events histogram failed"}')
        return L.ticker(max(start, end - timedelta(hours=3)), end, 15, make)
    wl = app(inc, "analytics", "insights-api", f"{REGISTRY}/analytics/insights-api:2.19.0", 3, log=within(insights),
             env=[{"name": "ES_URL", "value": "https://events-es-es-http.analytics.svc:9200"}])
    inc.service("analytics", "insights-api", {"app": "insights-api"})
    herring(inc, "analytics", "dashboards-web", f"{REGISTRY}/analytics/dashboards-web", "11.0.4",
            AT9 - timedelta(minutes=26))
    plant(inc, "analytics", "events-es-elastic-user", "password", "elastic", "elastic")
    inc.pod_series([*wl.pods, *sts.pods])
    http(inc, "analytics", "insights-api", 30.0, 6.5, "500", change + timedelta(minutes=10))
    inc.slo_burn("insights-api", "analytics", "insights-api-availability", "0.995", 21.7,
                 "insights-api is burning its 30d error budget 21.7x too fast over the last hour "
                 "(5xx ratio 17.8%).")
    inc.answer_key(
        culprit=("Elasticsearch", "analytics", "events-es"),
        keywords=["search.max_buckets", "too_many_buckets", "10000", "aggregation"],
        root_cause="The ECK Elasticsearch resource analytics/events-es was edited to set search.max_buckets to "
                   "10000 (default 65536); insights-api's histogram aggregations now exceed it and fail with "
                   "too_many_buckets_exception, returned as 500s.",
        category="search-max-buckets-lowered-breaks-aggregations",
        red_herrings=[("Deployment", "analytics", "dashboards-web")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 10, 12, tzinfo=UTC)


def mobile_timeouts_grouped() -> Incident:
    """kube-proxy-conntrack-max-lowered-table-full: a node networking add-on's conntrack limit cut tenfold.

    after: postmortems of "nf_conntrack: table full, dropping packet": a kube-proxy configuration change
    (conntrack max-per-core / min) lowers nf_conntrack_max on every node; at the morning peak the busiest
    nodes drop new connections, which callers see as connect timeouts and the node exporter as conntrack
    entries pinned at the limit.

    A platform change to the kube-proxy add-on (DaemonSet kube-system/kube-proxy, 100 minutes before the page)
    added --conntrack-max-per-core=2048 --conntrack-min=8192: nf_conntrack_max fell from 131072 to 8192 on the
    4-vCPU nodes. mobile-bff and its callers time out at peak; the grouped notification carries the node
    exporter's conntrack alert and the services' error alerts. The nearby change that does not matter: a
    rollout of blackbox-exporter in monitoring.
    """
    inc = Incident("mobile-timeouts-grouped", title="timeouts across mobile and shop APIs", story="", at=AT10,
                   seed=1910, namespaces=("mobile",))
    inc.story = mobile_timeouts_grouped.__doc__ or ""
    change = AT10 - timedelta(minutes=100)
    peak = AT10 - timedelta(minutes=14)
    ds = inc.find("DaemonSet", "kube-system", "kube-proxy")
    old_args = ["--config=/var/lib/kube-proxy-config/config", "--hostname-override=$(NODE_NAME)"]
    new_args = [*old_args, "--conntrack-max-per-core=2048", "--conntrack-min=8192"]
    tpl = ds["spec"]["template"]
    old_tpl = {"metadata": tpl["metadata"], "spec": {**tpl["spec"], "containers": [
        {**tpl["spec"]["containers"][0], "command": ["kube-proxy"], "args": old_args}]}}
    tpl["spec"]["containers"][0].update({"command": ["kube-proxy"], "args": new_args})
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["status"]["observedGeneration"] = 2
    changed(ds, ("eks", "Apply", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"kube-proxy"}': {"f:args": {}}}}}}}))
    controller_revisions(inc, ds, [(1, inc.born, old_tpl), (2, change, tpl)])
    new_hash = o.suffix("kube-proxy2", 10)
    for i, h in enumerate(inc.pods_of("kube-system", "kube-proxy")):
        h.created = change + timedelta(seconds=20 + 35 * i)
        h.states[0].started_at = h.created + timedelta(seconds=3)
        h.labels["controller-revision-hash"] = new_hash
        h.logs["kube-proxy"] = L.lines([
            (h.created + timedelta(seconds=4), L.klog(h.created, "I", "server_linux.go:69",
                                                       '"Using iptables proxy"')),
            (h.created + timedelta(seconds=4), L.klog(h.created, "I", "server.go:661",
                                                       '"Successfully retrieved node IP(s)" '
                                                       f'IPs=["{inc.cluster.node_ip(h.node)}"]')),
            (h.created + timedelta(seconds=5), L.klog(h.created, "I", "conntrack.go:60",
                                                       '"Setting nf_conntrack_max" nfConntrackMax=8192')),
            (h.created + timedelta(seconds=5), L.klog(h.created, "I", "conntrack.go:120",
                                                       '"Set sysctl" entry="net/netfilter/nf_conntrack_tcp_timeout_'
                                                       'close_wait" value=3600')),
            (h.created + timedelta(seconds=6), L.klog(h.created, "I", "shared_informer.go:320",
                                                       '"Caches are synced" controller="service config"'))])

        def args(pod: dict[str, Any]) -> None:
            pod["spec"]["containers"][0].update({"command": ["kube-proxy"], "args": new_args})
        inc.cluster.patch("kube-system", h.name, args)
    hot = node(inc, 1)
    hot_ip = inc.cluster.node_ip(hot)

    def bff(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < peak or i % 3:
                return L.js(t, "info", "request", method="GET", path="/v3/home", status=200,
                            latency_ms=61 + i % 70)
            return L.js(t, "error", "upstream call failed", upstream="catalog.shop.svc:80",
                        error='Get "http://catalog.shop.svc/v2/products?ids=..": dial tcp 172.20.0.9:80: i/o timeout',
                        latency_ms=3000)
        return L.ticker(max(start, end - timedelta(hours=3)), end, 20, make)
    wl = app(inc, "mobile", "mobile-bff", f"{REGISTRY}/mobile/mobile-bff:12.1.0", 3, log=within(bff))
    inc.service("mobile", "mobile-bff", {"app": "mobile-bff"})
    herring(inc, "monitoring", "blackbox-exporter", "quay.io/prometheus/blackbox-exporter", "v0.25.0",
            AT10 - timedelta(minutes=41))
    plant(inc, "mobile", "mobile-bff-push", "token", "apns", "APNS_AUTH_KEY")
    inc.pod_series(wl.pods)
    for n in inc.node_names():
        ip = inc.cluster.node_ip(n)
        lab = {"instance": f"{ip}:9100", "job": "node-exporter", "namespace": "monitoring"}
        busy = 7900.0 if n == hot else 5200.0
        inc.series("node_nf_conntrack_entries_limit", "gauge", "Maximum size of connection tracking table.",
                   dict(lab), step(131072, 8192, change), 60)
        inc.series("node_nf_conntrack_entries", "gauge", "Number of currently allocated flows for connection "
                   "tracking.", dict(lab), lambda t, b=busy: min(8192.0, b + (900 if t >= peak else 0)), 60)
    http(inc, "mobile", "mobile-bff", 120.0, 18.0, "504", peak)
    http(inc, "shop", "catalog", 210.0, 9.0, "503", peak)
    inc.alerts["alertmanager.json"] = am.alertmanager([
        alert(inc, "NodeHighNumberConntrackEntriesUsed", {"instance": f"{hot_ip}:9100", "job": "node-exporter",
                                                          "namespace": "monitoring"},
              "Number of conntrack are getting close to the limit.", "99.9% of conntrack entries are used.",
              "(node_nf_conntrack_entries / node_nf_conntrack_entries_limit) > 0.75",
              runbook="https://runbooks.prometheus-operator.dev/runbooks/node/nodehighnumberconntrackentriesused"),
        alert(inc, "HTTPErrorRateHigh", {"namespace": "mobile", "service": "mobile-bff", "job": "mobile-bff"},
              "mobile-bff 5xx ratio above 5%.", "14.2% of mobile-bff requests fail with 5xx (mostly 504).",
              'sum(rate(http_requests_total{namespace="mobile",code=~"5.."}[5m])) / '
              'sum(rate(http_requests_total{namespace="mobile"}[5m])) > 0.05',
              runbook="https://wiki.example.com/runbooks/http-error-rate"),
        alert(inc, "HTTPErrorRateHigh", {"namespace": "shop", "service": "catalog", "job": "catalog"},
              "catalog 5xx ratio above 5%.", "6.1% of catalog requests fail with 5xx (mostly 503).",
              'sum(rate(http_requests_total{namespace="shop",code=~"5.."}[5m])) / '
              'sum(rate(http_requests_total{namespace="shop"}[5m])) > 0.05',
              runbook="https://wiki.example.com/runbooks/http-error-rate")], group=["cluster"])
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "kube-proxy"),
        keywords=["conntrack", "nf_conntrack_max", "8192", "table full"],
        root_cause="The kube-proxy DaemonSet's new revision passes --conntrack-max-per-core=2048 "
                   "--conntrack-min=8192, so nf_conntrack_max fell from 131072 to 8192 on every node; at peak the "
                   "conntrack table full condition drops new connections and callers time out.",
        category="kube-proxy-conntrack-max-lowered-table-full",
        red_herrings=[("Deployment", "monitoring", "blackbox-exporter")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)


def kafka_replicas_mismatch() -> Incident:
    """storageclass-immediate-binding-zone-conflict: the default StorageClass re-created with Immediate binding.

    after: the documented topology pitfall of volumeBindingMode Immediate: the CSI driver provisions a new
    volume in a zone chosen before the pod is scheduled, and when the pod's own rules (anti-affinity, node
    pools) leave no node in that zone the pod stays Pending with "volume node affinity conflict".
    WaitForFirstConsumer exists to avoid exactly this.

    The platform team's Terraform re-created StorageClass gp3 five hours before the page and the new
    object has volumeBindingMode Immediate (was WaitForFirstConsumer). streaming/kafka was scaled from 3
    to 4 brokers; data-kafka-3 was provisioned at once in eu-west-1b, whose only node already runs a broker
    (required anti-affinity). kafka-3 is Pending. The nearby change that does not matter: a rollout of
    schema-registry in the same namespace.
    """
    inc = Incident("kafka-replicas-mismatch", title="kafka StatefulSet has fewer ready replicas", story="",
                   at=AT11, seed=1911, namespaces=("streaming",))
    inc.story = kafka_replicas_mismatch.__doc__ or ""
    change = AT11 - timedelta(hours=5)
    scaled = AT11 - timedelta(minutes=28)
    zone_b = node(inc, 1)
    msg = ("0/4 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 3 node(s) had volume node "
           "affinity conflict. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    others = [n for n in inc.node_names() if n != zone_b]
    plans = [P(node=zone_b), P(node=others[0]), P(node=others[1]),
             P(state="pending", message=msg, created=scaled + timedelta(seconds=4))]
    wl = inc.statefulset("streaming", "kafka", [c("kafka", "docker.io/bitnami/kafka:3.8.1", port=9092,
                                                  readiness_path=None, liveness_path=None, memory_limit="6Gi",
                                                  memory_request="4Gi")],
                         plans, at=inc.born + timedelta(days=4), claims=[("data", "200Gi", "gp3")], service=9092)
    sts = wl.obj
    sts["spec"]["template"]["spec"]["affinity"] = {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": {"app": "kafka"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    sts["status"].update({"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 4,
                          "updatedReplicas": 4})
    changed(sts, ("kubectl", "Update", scaled, {"f:spec": {"f:replicas": {}}}))
    zones = {str(n["metadata"]["name"]): n["metadata"]["labels"]["topology.kubernetes.io/zone"]
             for n in inc.cluster.nodes}
    for i, h in enumerate(wl.pods):
        claim = f"data-kafka-{i}"
        pvc = inc.find("PersistentVolumeClaim", "streaming", claim)
        zone = zones[zone_b] if i == 3 else zones[h.node]
        if i == 3:
            pvc["metadata"]["creationTimestamp"] = ts(scaled + timedelta(seconds=1))
            inc.cluster.add_event(pvc, "ProvisioningSucceeded", f"Successfully provisioned volume "
                                  f"{pvc['spec']['volumeName']}", scaled + timedelta(seconds=3),
                                  scaled + timedelta(seconds=3),
                                  component="ebs.csi.aws.com_ebs-csi-controller-7d5c9f8b6-x2lqp_3b1f0c2e")
        inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
                 "metadata": {"name": pvc["spec"]["volumeName"], "creationTimestamp": pvc["metadata"][
                     "creationTimestamp"], "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
                              "finalizers": ["kubernetes.io/pv-protection",
                                             "external-provisioner.volume.kubernetes.io/finalizer"]},
                 "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "200Gi"},
                          "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "streaming", "name": claim,
                                       "uid": pvc["metadata"]["uid"]},
                          "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4",
                                  "volumeHandle": f"vol-0{o.suffix(claim, 16)}"},
                          "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{
                              "key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
                          "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3",
                          "volumeMode": "Filesystem"},
                 "status": {"phase": "Bound"}})
    sc = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                  "metadata": {"name": "gp3", "creationTimestamp": ts(change),
                               "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                  "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
                  "reclaimPolicy": "Delete", "allowVolumeExpansion": True, "volumeBindingMode": "Immediate"})
    changed(sc, ("Terraform", "Update", change, {"f:metadata": {"f:annotations": {}}, "f:parameters": {},
                                                 "f:provisioner": {}, "f:volumeBindingMode": {}}))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "gp2", "creationTimestamp": ts(inc.born)},
             "provisioner": "kubernetes.io/aws-ebs", "parameters": {"type": "gp2", "fsType": "ext4"},
             "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"})
    herring(inc, "streaming", "schema-registry", "docker.io/confluentinc/cp-schema-registry", "7.7.1",
            AT11 - timedelta(minutes=47))
    plant(inc, "streaming", "kafka-sasl", "password", "kafka-admin", "admin-password")
    inc.pod_series(wl.pods)
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "streaming", "statefulset": "kafka",
                                                         "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet streaming/kafka has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     '(kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != '
                     'kube_statefulset_status_replicas{job="kube-state-metrics"})')
    inc.answer_key(
        culprit=("StorageClass", "", "gp3"),
        keywords=["volumeBindingMode", "Immediate", "WaitForFirstConsumer", "volume node affinity conflict"],
        root_cause="StorageClass gp3 was re-created with volumeBindingMode Immediate instead of "
                   "WaitForFirstConsumer; the new broker's volume was provisioned in eu-west-1b before scheduling, "
                   "where anti-affinity leaves no node, so kafka-3 is Pending with volume node affinity conflict.",
        category="storageclass-immediate-binding-zone-conflict",
        red_herrings=[("Deployment", "streaming", "schema-registry")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 17, 3, tzinfo=UTC)


def delivery_quotes_question() -> Incident:
    """shared-third-party-api-quota-exhausted-by-batch-job: a one-off backfill uses the product's API key.

    after: the frequent third-party quota incident: a data team's backfill reuses the production API key
    (same project, same per-minute quota) of a geocoding/maps provider; at full speed it takes the whole
    quota and the customer-facing service starts getting OVER_QUERY_LIMIT / 429 answers.

    A Job data/geocode-backfill, started 45 minutes before the question, geocodes 2.4 million historical
    addresses at about 48 requests/s with the shared key from Secret maps-api; the project's quota is
    3,000 requests per minute. delivery-quotes (Go) gets OVER_QUERY_LIMIT for a third of its lookups
    and answers 502. The nearby change that does not matter: a rollout of driver-app-api in logistics.
    """
    inc = Incident("delivery-quotes-question", title="delivery-quotes failing address lookups", story="",
                   at=AT12, seed=1912, namespaces=("logistics", "data"))
    inc.story = delivery_quotes_question.__doc__ or ""
    started = AT12 - timedelta(minutes=45)
    key = inc.canary("token", "maps-api")
    inc.secret("logistics", "maps-api", {"api-key": key})
    inc.secret("data", "maps-api", {"api-key": key})
    env = [{"name": "GOOGLE_MAPS_API_KEY", "valueFrom": {"secretKeyRef": {"name": "maps-api", "key": "api-key"}}}]

    def backfill(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start + timedelta(seconds=2), L.pylog(start, "INFO", "backfill", "loaded 2400000 addresses "
                                                       "from s3://acme-data/addresses/2019-2025.parquet")),
               (start + timedelta(seconds=3), L.pylog(start, "INFO", "backfill", "geocoding with 48 workers, "
                                                       "provider=google, qps_limit=none"))]
        out += L.ticker(start + timedelta(seconds=60), end, 60, lambda i, t: L.pylog(
            t, "INFO" if i % 5 else "WARNING", "backfill",
            f"progress {(i + 1) * 2860}/2400000 ok={(i + 1) * 2790} retried={(i + 1) * 70} rate=47.7/s"
            if i % 5 else f"OVER_QUERY_LIMIT on {31 + i % 9} requests in the last minute, retrying with backoff"))
        return out
    container = c("geocode-backfill", f"{REGISTRY}/data/address-tools:0.8.0", port=None, readiness_path=None,
                  liveness_path=None, memory_limit="2Gi", env=env)
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "geocode-backfill", "namespace": "data", "creationTimestamp": ts(started),
                                "labels": {"app": "geocode-backfill", "owner": "data-eng"}},
                   "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                            "template": {"spec": {"restartPolicy": "Never", "containers": [
                                {**container.spec(), "args": ["geocode", "--input=s3://acme-data/addresses/"
                                                              "2019-2025.parquet", "--workers=48"]}]}}},
                   "status": {"startTime": ts(started), "active": 1, "ready": 1}})
    changed(job, ("kubectl-create", "Update", started, {"f:spec": {"f:template": {}}}))
    pod_name = f"geocode-backfill-{o.suffix('geocode-backfill', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace="data", workload="geocode-backfill", containers=[container], node=node(inc, 2),
        created=started + timedelta(seconds=1), states=[o.ContainerState(started_at=started + timedelta(seconds=6))],
        labels={"batch.kubernetes.io/job-name": "geocode-backfill", "job-name": "geocode-backfill"},
        owner=o.owner_ref("Job", "geocode-backfill", "data", api_version="batch/v1"),
        logs={"geocode-backfill": L.lines(backfill(pod_name, started + timedelta(seconds=6), inc.captured))}))
    inc.cluster.add_event(job, "SuccessfulCreate", f"Created pod: {pod_name}", started, started,
                          component="job-controller")

    def quotes(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t < started + timedelta(minutes=2) or i % 3:
                return L.js(t, "info", "quote served", zone="DE-BE", eta_min=34 + i % 20, latency_ms=90 + i % 60)
            return L.js(t, "error", "geocode failed", address_hash=f"{i * 7919 % 99991:05x}",
                        status="OVER_QUERY_LIMIT", error_message="You have exceeded your rate-limit for this API.",
                        http_status=502)
        return L.ticker(max(start, end - timedelta(hours=3)), end, 20, make)
    wl = app(inc, "logistics", "delivery-quotes", f"{REGISTRY}/logistics/delivery-quotes:4.11.2", 3,
             log=within(quotes), env=env)
    inc.service("logistics", "delivery-quotes", {"app": "delivery-quotes"})
    herring(inc, "logistics", "driver-app-api", f"{REGISTRY}/logistics/driver-app-api", "9.3.0",
            AT12 - timedelta(minutes=36))
    plant(inc, "logistics", "delivery-quotes-db", "password", "quotes-db", "password")
    inc.pod_series([*wl.pods, h])
    http(inc, "logistics", "delivery-quotes", 25.0, 8.0, "502", started + timedelta(minutes=2))
    for status, before, after in (("OK", 22.0, 15.0), ("OVER_QUERY_LIMIT", 0.0, 7.4)):
        inc.series("geocoder_requests", "counter", "Geocoding API calls by answer status.",
                   {"namespace": "logistics", "service": "delivery-quotes", "status": status,
                    "job": "delivery-quotes"}, counter(inc.at - timedelta(hours=2), before, after,
                                                       started + timedelta(minutes=2)), 30)
    inc.ask("delivery-quotes is failing address lookups since about 16:20, can someone check?")
    inc.answer_key(
        culprit=("Job", "data", "geocode-backfill"),
        keywords=["quota", "OVER_QUERY_LIMIT", "backfill", "API key"],
        root_cause="The Job data/geocode-backfill, started 45 minutes earlier, geocodes 2.4 million addresses at "
                   "about 48 requests/s with the same Google Maps API key (Secret maps-api) as delivery-quotes; "
                   "it exhausts the shared per-minute quota, so delivery-quotes gets OVER_QUERY_LIMIT and 502s.",
        category="shared-third-party-api-quota-exhausted-by-batch-job",
        red_herrings=[("Deployment", "logistics", "driver-app-api")])
    return inc


ALL = [tile_server_restarts_question, mqtt_broker_crashloop, eta_rollout_stuck, fx_rates_stale,
       edi_gateway_replicas_mismatch, report_renderer_pod_not_ready, node_pods_crashing_question,
       claims_api_crashloop_page, insights_errors_burn, mobile_timeouts_grouped, kafka_replicas_mismatch,
       delivery_quotes_question]
