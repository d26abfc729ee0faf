"""Stateful dependencies and start-up steps: a database down, a full volume, an init container failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from incidentgen.scenarios import crash_cycle, cycle_states

from corpus import logs as L
from corpus.kit import MI, REGISTRY, Incident, P, Rev, c, o, ts


def orders_api_error_budget() -> Incident:
    """A chart upgrade switches orders-postgres to an image running as uid 1001; the data directory belongs to 999.

    On-call sees: an error-budget burn on orders-api, whose Java logs are full of PSQLException
    'Connection refused' (Caused by: java.net.ConnectException). orders-api and orders-worker are
    victims. The database pod crash-loops: FATAL data directory has wrong ownership.
    """
    at = datetime(2026, 4, 21, 18, 25, tzinfo=UTC)
    inc = Incident("orders-api-error-budget", title="Error budget burn: orders-api availability",
                   story="The database StatefulSet crash-loops after a security-context change; clients fail.",
                   at=at, seed=330, namespaces=("orders",))
    upgraded = at - timedelta(minutes=19)

    def pg(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([
            (start, L.postgres(start, "FATAL", 'data directory "/var/lib/postgresql/data/pgdata" has wrong ownership')),
            (start, L.postgres(start, "HINT", "The server must be started by the user that owns the data directory."))])

    db = inc.statefulset("orders", "orders-postgres",
                         [c("postgres", "docker.io/bitnami/postgresql:16.4.0-debian-12-r9", port=5432,
                            memory_limit="4Gi", memory_request="2Gi", readiness_path=None, liveness_path=None)],
                         [P("crashloop", log=pg, created=upgraded, run_s=lambda n: 0.3)], upgraded,
                         claims=[("data", "100Gi", "gp3")], service=5432)
    spec = db.obj["spec"]["template"]["spec"]
    spec["securityContext"] = {"runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001,
                               "fsGroupChangePolicy": "OnRootMismatch"}
    db.obj["metadata"]["annotations"] = {"meta.helm.sh/release-name": "orders-postgres"}
    db.obj["status"]["currentRevision"] = f"orders-postgres-{o.suffix('orders-postgres/15', 10)}"
    ip = inc.find("Service", "orders", "orders-postgres")["spec"]["clusterIP"]
    pw = inc.canary("password", "orders-app")

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < upgraded or i % 3:
                return L.spring(t, "INFO", "c.e.orders.web.OrderController", f"POST /v1/orders 201 {22 + i % 30}ms",
                                thread=f"http-nio-8080-exec-{1 + i % 6}")
            return "\n".join([
                L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                         "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@5e3a1f9c",
                         thread="HikariPool-1 housekeeper"),
                L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                         "Servlet.service() for servlet [dispatcherServlet] threw exception",
                         thread=f"http-nio-8080-exec-{1 + i % 6}"),
                "org.postgresql.util.PSQLException: Connection to orders-postgres.orders.svc:5432 refused. Check that "
                "the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:352)",
                "\tat org.postgresql.core.ConnectionFactory.openConnection(ConnectionFactory.java:54)",
                "\tat org.postgresql.jdbc.PgConnection.<init>(PgConnection.java:273)",
                "\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:476)",
                f"Caused by: java.net.ConnectException: Connection refused ({ip}:5432)",
                "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)",
                "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:542)",
                "\t... 24 common frames omitted"])
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 15, line))

    env = [{"name": "SPRING_DATASOURCE_URL", "value": "jdbc:postgresql://orders-postgres.orders.svc:5432/orders"},
           {"name": "SPRING_DATASOURCE_PASSWORD", "value": pw}]
    inc.deployment("orders", "orders-api", [Rev(12, at - timedelta(days=6), "helm upgrade orders-api 4.2.1",
                                                 [c("orders-api", f"{REGISTRY}/orders/orders-api:4.2.1", env=env)])],
                   {12: [P(log=api)] * 3})

    def worker(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 45, lambda i, t: L.js(
            t, "error", "batch failed", error=f"connect ECONNREFUSED {ip}:5432", retry_in_ms=5000)))

    inc.deployment("orders", "orders-worker", [Rev(7, at - timedelta(days=6), "helm upgrade orders-worker 4.2.1",
                                                    [c("orders-worker", f"{REGISTRY}/orders/orders-worker:4.2.1",
                                                       port=None)])], {7: [P(log=worker)]})
    inc.slo_burn("orders-api", "orders", "orders-api-availability", "0.999", 210.0,
                 "orders-api is failing 21% of requests; budget burning 210x.")
    inc.answer_key(culprit=("StatefulSet", "orders", "orders-postgres"),
                   keywords=["ownership", "1001", "CrashLoopBackOff"],
                   root_cause="StatefulSet orders/orders-postgres now runs as uid 1001 (runAsUser) after the chart "
                              "upgrade, but its data directory is owned by the old postgres user, so Postgres exits "
                              "(wrong ownership) and is in CrashLoopBackOff; orders-api's connections are refused.",
                   category="dependency-database-down",
                   red_herrings=[("Deployment", "orders", "orders-api"), ("Deployment", "orders", "orders-worker")])
    return inc


def sessions_volume_filling_up() -> Incident:
    """The sessions Redis's 2Gi volume fills with AOF rewrites; Redis refuses writes (MISCONF).

    On-call sees: KubePersistentVolumeFillingUp for data-redis-0. session-api's Node logs show
    ReplyError MISCONF on every login; session-api is the victim, the full volume the cause.
    """
    at = datetime(2026, 5, 7, 21, 45, tzinfo=UTC)
    inc = Incident("sessions-volume-filling-up", title="KubePersistentVolumeFillingUp: sessions/data-redis-0",
                   story="A PersistentVolume fills up; the database on it stops accepting writes.",
                   at=at, seed=331, namespaces=("sessions",))
    full = at - timedelta(minutes=16)

    def redis(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < full:
                return f"1:M {_redis_time(t)} * 10000 changes in 60 seconds. Saving..."
            return [f"1:M {_redis_time(t)} # Write error saving DB on "
                    "disk: No space left on device",
                    f"1:M {_redis_time(t)} # Error writing to the AOF "
                    "file: No space left on device",
                    f"1:M {_redis_time(t)} # Background saving error"][i % 3]
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 30, line))

    inc.statefulset("sessions", "redis", [c("redis", "docker.io/library/redis:7.2.5", port=6379, memory_limit="1Gi",
                                            readiness_path=None, liveness_path=None)],
                    [P(log=redis, created=at - timedelta(days=33))], at - timedelta(days=33),
                    claims=[("data", "2Gi", "gp3")], service=6379)
    pvc = "data-redis-0"
    cap = 2 * 1024 * MI
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
               {"namespace": "sessions", "persistentvolumeclaim": pvc, "job": "kubelet"}, lambda t: float(cap), 120)
    inc.series("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume",
               {"namespace": "sessions", "persistentvolumeclaim": pvc, "job": "kubelet"},
               lambda t: float(max(0, int(cap * 0.16 - (t - (at - timedelta(hours=2))).total_seconds() / 6300 * cap
                                          * 0.16)))
               if t < full else 0.0, 120)
    secret = inc.canary("token", "session-signing")

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < full or i % 2:
                return L.js(t, "info", "session refreshed", sid=f"s:{o.suffix(str(i), 12)}", responseTime=4 + i % 7)
            return "\n".join([
                L.js(t, "error", "failed to create session", err="ReplyError"),
                "ReplyError: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
                "to disk. Commands that may modify the data set are disabled, because this instance is configured to "
                "report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please "
                "check the Redis logs for details about the RDB error.",
                "    at parseError (/app/node_modules/redis-parser/lib/parser.js:179:12)",
                "    at parseType (/app/node_modules/redis-parser/lib/parser.js:302:14)",
                "    at JavascriptRedisParser.execute (/app/node_modules/redis-parser/lib/parser.js:563:20)",
                "    at Socket.<anonymous> (/app/node_modules/ioredis/built/DataHandler.js:31:20)",
                "    at Socket.emit (node:events:519:28)",
                "    at addChunk (node:internal/streams/readable:559:12)"])
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 19, line))

    inc.deployment("sessions", "session-api", [Rev(4, at - timedelta(days=12), "session-api 3.1.0", [
        c("session-api", f"{REGISTRY}/sessions/session-api:3.1.0",
          env=[{"name": "SESSION_SECRET", "value": secret}, {"name": "REDIS_URL", "value": "redis://redis:6379"}])])],
        {4: [P(log=api)] * 2})
    inc.alertmanager("KubePersistentVolumeFillingUp", {"namespace": "sessions", "persistentvolumeclaim": pvc,
                                                       "job": "kubelet", "metrics_path": "/metrics"},
                     "PersistentVolume is filling up.",
                     f"The PersistentVolume claimed by {pvc} in Namespace sessions is only 0% free.",
                     'kubelet_volume_stats_available_bytes{job="kubelet", metrics_path="/metrics"} / '
                     'kubelet_volume_stats_capacity_bytes{job="kubelet", metrics_path="/metrics"} < 0.03',
                     severity="critical")
    inc.answer_key(culprit=("PersistentVolumeClaim", "sessions", pvc), keywords=["No space left", "2Gi", "MISCONF"],
                   root_cause="The 2Gi volume data-redis-0 of the sessions Redis is full (No space left on device), so "
                              "Redis cannot persist and rejects writes with MISCONF; session-api logins fail.",
                   category="pvc-full", red_herrings=[("Deployment", "sessions", "session-api")])
    return inc


def notifier_rollout_stuck() -> Incident:
    """notifier 2.0 adds an init container that downloads templates from a path the template store does not serve.

    On-call sees: KubeDeploymentRolloutStuck (ProgressDeadlineExceeded). The new pod is in
    Init:CrashLoopBackOff; fetch-templates' curl gets 404 for /v2/bundles/prod.tar.gz; the
    template-store is healthy and serves /v1 only.
    """
    at = datetime(2026, 6, 30, 10, 5, tzinfo=UTC)
    inc = Incident("notifier-rollout-stuck", title="KubeDeploymentRolloutStuck: notifications/notifier",
                   story="A new init container fails on every start; the rollout passes its deadline.",
                   at=at, seed=332, namespaces=("notifications",))
    deploy_at = at - timedelta(minutes=24)
    init: dict[str, Any] = {"name": "fetch-templates", "image": "docker.io/curlimages/curl:8.9.1",
            "command": ["sh", "-c", "curl -fsS http://template-store.notifications.svc/v2/bundles/prod.tar.gz "
                                    "-o /templates/bundle.tgz && tar -xzf /templates/bundle.tgz -C /templates"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
            "volumeMounts": [{"name": "templates", "mountPath": "/templates"}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent"}
    smtp = inc.canary("password", "smtp")
    ann = {"notifications.example.com/smtp-url": f"smtp://notifier:{smtp}@smtp.mailgun.org:587"}
    img_old, img_new = f"{REGISTRY}/notifications/notifier:1.9.3", f"{REGISTRY}/notifications/notifier:2.0.0"

    def ok(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=15), end, 50, lambda i, t: L.logfmt(
            t, "info", "email sent", template=["order-confirmation", "password-reset"][i % 2], took_ms=210 + i % 90)))

    wl = inc.deployment("notifications", "notifier", [
        Rev(6, at - timedelta(days=21), "notifier 1.9.3", [c("notifier", img_old)]),
        Rev(7, deploy_at, "notifier 2.0.0: templates from template-store", [c("notifier", img_new)],
            pod_spec={"initContainers": [init], "volumes": [{"name": "templates", "emptyDir": {}}]}),
    ], {6: [P(log=ok)] * 2, 7: [P("running")]}, replicas=2, max_surge="1", max_unavailable="0",
        progress="deadline", annotations={})
    inc.find("Deployment", "notifications", "notifier")["spec"]["template"]["metadata"]["annotations"].update(ann)
    h = wl.pods[-1]
    h.annotations.update(ann)
    runs, waiting, _ = crash_cycle(h.created + timedelta(seconds=3), inc.captured, lambda n: 0.2)
    state = cycle_states(runs, waiting, "Error", 22, h.name, "notifications", "fetch-templates")
    h.states[0].ready = False
    h.states[0].waiting_reason = "PodInitializing"
    h.ready = lambda t: False
    h.memory = None
    inc.cluster.patch("notifications", h.name, _init_failing(init["image"], state, h.created))
    # The main container never started: drop the start events a running pod would have.
    inc.cluster.events = [e for e in inc.cluster.events if not (
        e["involvedObject"]["name"] == h.name and e["reason"] in ("Pulled", "Created", "Started"))]

    def curl(pod: str, start: datetime) -> str:
        return L.lines([(start, "curl: (22) The requested URL returned error: 404")])

    inc.log_block("notifications", h.name, "fetch-templates", curl(h.name, runs[-1].start))
    inc.log_block("notifications", h.name, "fetch-templates", curl(h.name, runs[-2].start), previous=True)
    obj = inc.cluster.pod_object(h)
    fp = "spec.initContainers{fetch-templates}"
    ends = [r.end for r in runs if r.end]
    for reason, msg in (("Pulled", f'Container image "{init["image"]}" already present on machine'),
                        ("Created", "Created container fetch-templates"),
                        ("Started", "Started container fetch-templates")):
        inc.cluster.add_event(obj, reason, msg, runs[0].start, runs[-1].start, count=len(runs), host=h.node,
                              field_path=fp)
    inc.cluster.add_event(obj, "BackOff", f"Back-off restarting failed container fetch-templates in pod "
                          f"{h.name}_notifications({obj['metadata']['uid']})", ends[0], ends[-1],
                          count=3 * len(ends), type_="Warning", host=h.node, field_path=fp)

    def store(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 37, lambda i, t: L.nginx_access(
            t, f"10.244.{1 + i % 3}.{60 + i % 9}", "GET /v2/bundles/prod.tar.gz" if i % 2 else
            "GET /v1/bundles/prod.tar.gz", 404 if i % 2 else 200, 153 if i % 2 else 482113,
            "-", "", 0.001, ua="curl/8.9.1")))

    inc.deployment("notifications", "template-store", [Rev(2, at - timedelta(days=40), "template-store 0.4.0",
                                                            [c("template-store", "docker.io/library/nginx:1.27.1",
                                                               port=80, readiness_path="/", liveness_path=None)])],
                   {2: [P(log=store)]})
    inc.service("notifications", "template-store", {"app": "template-store"}, port=80, target=80)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "notifications", "deployment": "notifier",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment notifications/notifier is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false",'
                     'job="kube-state-metrics"} != 0')
    inc.answer_key(culprit=("Deployment", "notifications", "notifier"), keywords=["fetch-templates", "404", "/v2/"],
                   root_cause="notifier 2.0.0 (revision 7) adds init container fetch-templates, which downloads "
                              "/v2/bundles/prod.tar.gz from template-store; the store serves only /v1, curl exits 22 "
                              "on the 404, the pod stays in Init:CrashLoopBackOff and the rollout times out.",
                   category="init-container-failing",
                   red_herrings=[("Deployment", "notifications", "template-store")])
    return inc


def _redis_time(t: datetime) -> str:
    return f"{t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d}"


def _init_failing(image: str, state: o.ContainerState, created: datetime) -> Any:
    def patch(pod: dict[str, Any]) -> None:
        status = pod["status"]
        status["phase"] = "Pending"
        waiting = {"reason": "CrashLoopBackOff", "message": state.waiting_message or ""}
        status["initContainerStatuses"] = [{
            "name": "fetch-templates", "image": image, "imageID": o.image_id(image), "ready": False,
            "restartCount": state.restarts, "started": False,
            "state": {"waiting": waiting} if state.waiting_reason else {"running": {"startedAt": ts(created)}},
            "lastState": {"terminated": {"exitCode": 22, "reason": "Error",
                                         "startedAt": ts(state.last_started or created),
                                         "finishedAt": ts(state.last_finished or created),
                                         "containerID": o.container_id(pod["metadata"]["name"] + "/init")}}}]
        for cs in status["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"waiting": {"reason": "PodInitializing"}},
                       "lastState": {}})
            cs.pop("containerID", None)
        for cond in status["conditions"]:
            if cond["type"] == "Initialized":
                cond.update({"status": "False", "reason": "ContainersNotInitialized",
                             "message": "containers with incomplete status: [fetch-templates]"})
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "ContainersNotReady",
                             "message": "containers with unready status: [notifier]"})
    return patch


SCENARIOS = [orders_api_error_budget, sessions_volume_filling_up, notifier_rollout_stuck]
