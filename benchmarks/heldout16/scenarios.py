"""Round 16 of the held-out incident set: twelve incidents of one on-call week, across the stack.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem or everyday production failure it re-creates (our own names and text, nothing copied).
Deploys, config, dependencies, capacity, networking and data each get their share; in five incidents
the culprit sits in another namespace than the victim, and two pages are grouped notifications.
Bundle names, titles and questions say only the symptom. Log lines follow the real software's formats
(Spring Boot and HikariCP, CPython tracebacks, Node.js/pino, PostgreSQL, Flyway, containerd, Envoy,
ingress-nginx, Kafka clients, Fluent Bit, Loki).
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

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


# ---- helpers ---------------------------------------------------------------------------------------
def start(build: Callable[[], Incident], title: str, at: datetime, seed: int, namespaces: tuple[str, ...],
          skip: set[tuple[str, str]] | None = None) -> Incident:
    """An incident named after its builder whose story is the builder's docstring (kept out of the bundle)."""
    return Incident(build.__name__.replace("_", "-"), title=title, story=build.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces, skip=skip)


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


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
        node: str | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log, node=node) for _ in range(replicas)]})


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


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced",
        version: str = "v1") -> None:
    """The CustomResourceDefinition a custom resource needs to be served."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def rs_of(inc: Incident, wl: Any, number: int) -> dict[str, Any]:
    return inc.find("ReplicaSet", wl.namespace, wl.rs[number])


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def http_counters(inc: Incident, ns: str, service: str, ok: Series, errors: Series, code: str = "500") -> None:
    """The request counters a service's HTTP instrumentation exports, 2xx and one error class."""
    for status, fn in (("200", ok), (code, errors)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "code": status, "job": service}, fn, step_s=30)


def job_object(inc: Incident, ns: str, name: str, image: str, command: list[str], started: datetime,
               finished: datetime | None, failed: bool, owner: dict[str, Any] | None = None,
               annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A batch/v1 Job as the Job controller leaves it: running, complete or failed at its backoff limit."""
    status: dict[str, Any] = {"startTime": ts(started)}
    if finished is None:
        status.update({"active": 1, "ready": 1})
    elif failed:
        status.update({"failed": 1, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit",
             "lastProbeTime": ts(finished), "lastTransitionTime": ts(finished)}]})
    else:
        status.update({"succeeded": 1, "completionTime": ts(finished), "conditions": [
            {"type": "Complete", "status": "True", "lastProbeTime": ts(finished),
             "lastTransitionTime": ts(finished)}]})
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": ts(started),
                            "labels": {"job-name": name}, "annotations": annotations or {}}
    if owner:
        meta["ownerReferences"] = [owner]
    return inc.add({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                 "template": {"metadata": {"labels": {"job-name": name}},
                              "spec": {"restartPolicy": "Never",
                                       "containers": [{"name": name.rsplit("-", 1)[0] if owner else "migrate",
                                                       "image": image, "command": command}]}}},
        "status": status})


def job_pod(inc: Incident, job: dict[str, Any], log: str, started: datetime, finished: datetime | None,
            exit_code: int) -> None:
    """The Job's pod with its log: still running, or terminated with `exit_code` (phase Succeeded/Failed)."""
    ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
    spec = job["spec"]["template"]["spec"]["containers"][0]
    rev = Rev(1, started, "job", [c(spec["name"], spec["image"], port=None, readiness_path=None,
                                    liveness_path=None)])
    pod_name = f"{name}-{o.suffix(name, 5)}"
    h = inc._pod(ns, name, pod_name, rev, P(log=lambda p, s, e: log, created=started), 0,
                 {"job-name": name, "batch.kubernetes.io/job-name": name},
                 o.owner_ref("Job", name, ns, api_version="batch/v1"))
    if finished is None:
        return

    def terminate(pod: dict[str, Any]) -> None:
        pod["spec"]["restartPolicy"] = "Never"
        pod["status"]["phase"] = "Failed" if exit_code else "Succeeded"
        for cond in pod["status"].get("conditions", []):
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "PodCompleted"})
        for cs in pod["status"]["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": exit_code, "reason": "Error" if exit_code else "Completed",
                "startedAt": ts(started + timedelta(seconds=4)), "finishedAt": ts(finished),
                "containerID": cs.get("containerID", "")}}})
    h.ready = lambda t: False
    h.memory = None
    inc.cluster.patch(ns, pod_name, terminate)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 16, 10, 4, tzinfo=UTC)


def settlement_writer_errors_page() -> Incident:
    """jvm-dns-cache-pins-old-db-writer: a JVM flag caches DNS forever; after a DB failover writes go to the old writer.

    after: postmortems of managed-database failovers (Aurora, Cloud SQL, Azure) where a Java service
    kept its cached address of the cluster endpoint: the failover moved the DNS name to the new writer
    in 30 s, but a JVM started with an infinite DNS cache (`-Dsun.net.inetaddr.ttl=-1`, added as a
    "DNS performance" tweak) reconnected to the old address, now a read-only replica, for as long as
    the pods lived.

    ConfigMap finance/settlement-writer-jvm gained `-Dsun.net.inetaddr.ttl=-1` in JAVA_TOOL_OPTIONS
    yesterday (kubectl edit, then a rollout restart). At 10:02 the RDS cluster failed over; the endpoint
    settlement-db.cluster-c9xk2p.eu-west-1.rds.amazonaws.com now points at the new writer 10.40.13.19,
    but every settlement-writer pod keeps reconnecting to 10.40.12.87, the demoted instance: every
    UPDATE fails with SQLSTATE 25006 "cannot execute UPDATE in a read-only transaction". The red
    herring is statement-renderer's rollout twenty minutes earlier.
    """
    inc = start(settlement_writer_errors_page, "settlement-writer errors since 10:02", AT1, 161, ("finance",))
    fail = AT1 - timedelta(minutes=2)
    edit = AT1 - timedelta(hours=19)
    endpoint = "settlement-db.cluster-c9xk2p.eu-west-1.rds.amazonaws.com"
    opts = "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -Dsun.net.inetaddr.ttl=-1"
    cm = inc.configmap("finance", "settlement-writer-jvm", {"JAVA_TOOL_OPTIONS": opts,
                                                            "SPRING_PROFILES_ACTIVE": "prod"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {".": {}, "f:SPRING_PROFILES_ACTIVE": {}}}),
            ("kubectl-edit", "Update", edit, {"f:data": {"f:JAVA_TOOL_OPTIONS": {}}}))

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s + timedelta(seconds=1), f"Picked up JAVA_TOOL_OPTIONS: {opts}"),
                      (s + timedelta(seconds=9), L.spring(s + timedelta(seconds=9), "INFO",
                                                          "com.zaxxer.hikari.HikariDataSource",
                                                          "HikariPool-1 - Start completed."))]
        for i, t in enumerate(L.every(max(s, AT1 - timedelta(minutes=40)), e, 20)):
            if t < fail:
                out.append((t, L.spring(t, "INFO", "c.a.settlement.BatchSettler",
                                        f"settled batch {88120 + i} rows=412 in 183 ms", "settle-1")))
            elif t < fail + timedelta(seconds=40):
                out.append((t, L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                                        "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@"
                                        "5f1c22ab (This connection has been closed.). Possibly consider using a "
                                        "shorter maxLifetime value.", "settle-1")))
            else:
                out.append((t, L.spring(t, "WARN", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                                        "SQL Error: 0, SQLState: 25006", "settle-1")))
                out.append((t, L.spring(t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                                        "ERROR: cannot execute UPDATE in a read-only transaction", "settle-1")))
                if i % 6 == 0:
                    out.append((t, L.spring(t, "INFO", "c.a.settlement.DbHealth",
                                            f"connected to {endpoint}/10.40.12.87:5432 (pg_is_in_recovery=t)",
                                            "settle-1")))
        return out

    env = [{"name": "JAVA_TOOL_OPTIONS", "valueFrom": {"configMapKeyRef": {"name": "settlement-writer-jvm",
                                                                           "key": "JAVA_TOOL_OPTIONS"}}},
           {"name": "DB_URL", "value": f"jdbc:postgresql://{endpoint}:5432/settlement"}]
    image = f"{REGISTRY}/finance/settlement-writer:5.3.2"
    revs = [Rev(5, inc.born + timedelta(days=20), "helm upgrade", [c("settlement-writer", image, env=env,
                                                                        memory_limit="1Gi")]),
            Rev(6, edit + timedelta(minutes=6), "kubectl rollout restart",
                [c("settlement-writer", image, env=env, memory_limit="1Gi")])]
    inc.deployment("finance", "settlement-writer", revs, {6: [P(log=within(log), memory_mi=610) for _ in range(3)]})
    herring(inc, "finance", "statement-renderer", f"{REGISTRY}/finance/statement-renderer", "2.0.4",
            AT1 - timedelta(minutes=22))
    plant(inc, "finance", "settlement-db-credentials", "password", "settlement", "password")
    start_m = AT1 - timedelta(hours=2)
    http_counters(inc, "finance", "settlement-writer", counter(start_m, 21.0, 13.0, fail),
                  counter(start_m, 0.01, 8.0, fail))
    inc.series("hikaricp_connections_active", "gauge", "Active connections", {
        "namespace": "finance", "pool": "HikariPool-1", "job": "settlement-writer"}, step(6, 10, fail), step_s=30)
    inc.pagerduty("settlement-writer: HTTP 5xx ratio 38% (threshold 5%)", "Finance settlement")
    inc.answer_key(
        culprit=("ConfigMap", "finance", "settlement-writer-jvm"), keywords=["DNS", "cache", "failover", "inetaddr"],
        root_cause="ConfigMap settlement-writer-jvm added -Dsun.net.inetaddr.ttl=-1 to JAVA_TOOL_OPTIONS (kubectl "
                   "edit yesterday): the JVM caches DNS forever, so after the 10:02 database failover the pods kept "
                   "connecting to the old writer address, now a read-only replica, and every UPDATE fails (25006)",
        category="jvm-dns-cache-pins-old-db-writer",
        red_herrings=[("Deployment", "finance", "statement-renderer")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 17, 14, 20, tzinfo=UTC)


def address_lookup_crashloop() -> Incident:
    """transitive-dependency-major-bump-breaks-import: an unpinned dependency jumps a major; the app dies at import.

    after: the many services broken when urllib3 2.0 shipped (May 2023): an unpinned `requests` pulled
    urllib3 2.x, which refuses to import on OpenSSL older than 1.1.1, and images built on Amazon
    Linux 2 / CentOS 7 Python (OpenSSL 1.0.2k-fips) crashed at start-up.

    address-lookup 3.6.0 (revision 2, rolled out at 14:14) was rebuilt from the same Amazon Linux 2
    base with an unpinned requirements file; pip resolved urllib3 2.2.3. Every new pod exits 1 at
    `import requests` with "urllib3 v2.0 only supports OpenSSL 1.1.1+"; the rollout is stuck with two
    crash-looping new pods while the old ReplicaSet still serves. The red herring is geo-tiles'
    rollout forty minutes earlier.
    """
    inc = start(address_lookup_crashloop, "address-lookup pods restarting", AT2, 162, ("geo",))
    tb = ("Traceback (most recent call last):\n"
          '  File "/app/address_lookup/main.py", line 7, in <module>\n'
          "    import requests\n"
          '  File "/usr/local/lib/python3.9/site-packages/requests/__init__.py", line 43, in <module>\n'
          "    import urllib3\n"
          '  File "/usr/local/lib/python3.9/site-packages/urllib3/__init__.py", line 42, in <module>\n'
          "    raise ImportError(\n"
          "ImportError: urllib3 v2.0 only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with "
          "'OpenSSL 1.0.2k-fips  26 Jan 2017'. See: https://github.com/urllib3/urllib3/issues/2168")

    def crash(pod: str, s: datetime, e: datetime) -> str:
        return L.lines([(s + timedelta(seconds=1), "[entrypoint] starting gunicorn address_lookup.main:app"),
                        (s + timedelta(seconds=2), tb)])

    def ok(pod: str, s: datetime, e: datetime) -> Lines:
        return [(t, f'10.244.3.{9 + i % 40} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET /v1/lookup?'
                    f'postcode=EC{i % 9}A HTTP/1.1" 200 {410 + i % 70} "-" "okhttp/4.12.0"')
                for i, t in enumerate(L.every(max(s, AT2 - timedelta(minutes=30)), e, 45))]

    old = f"{REGISTRY}/geo/address-lookup:3.5.2"
    new = f"{REGISTRY}/geo/address-lookup:3.6.0"
    env = [{"name": "PYTHON_VERSION", "value": "3.9.16"}, {"name": "BASE_IMAGE", "value": "amazonlinux:2"}]
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c("address-lookup", old, env=env)]),
            Rev(2, AT2 - timedelta(minutes=6), "helm upgrade", [c("address-lookup", new, env=env)])]
    wl = inc.deployment("geo", "address-lookup", revs,
                        {1: [P(log=within(ok)) for _ in range(3)],
                         2: [P(state="crashloop", log=crash, run_s=lambda n: 2.5) for _ in range(2)]},
                        progress="progressing", replicas=4)
    herring(inc, "geo", "geo-tiles", f"{REGISTRY}/geo/geo-tiles", "1.12.0", AT2 - timedelta(minutes=40))
    plant(inc, "geo", "maps-provider", "token", "maps", "api-key")
    inc.pod_series(wl.pods)
    pod = next(h for h in wl.pods if h.name.startswith(wl.rs[2]))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "geo", "pod": pod.name, "container": "address-lookup",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod geo/{pod.name} (address-lookup) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("Deployment", "geo", "address-lookup"), keywords=["urllib3", "OpenSSL", "ImportError"],
        root_cause="address-lookup 3.6.0 (revision 2) was rebuilt with unpinned requirements and pulled urllib3 2.x, "
                   "which raises ImportError at import on the base image's OpenSSL 1.0.2k; every new pod crashes, "
                   "the rollout is stuck; pin urllib3<2 or roll back to 3.5.2",
        category="transitive-dependency-major-bump-breaks-import",
        red_herrings=[("Deployment", "geo", "geo-tiles")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 18, 9, 40, tzinfo=UTC)


def rate_calculator_errors_burn() -> Incident:
    """prestop-hook-binary-missing-in-distroless: a distroless image leaves `preStop: sleep` without a sleep binary.

    after: public write-ups of 502s on every scale-down after a team moved to distroless or scratch
    images: the `preStop: exec: [sleep, 15]` hook that held terminating pods until the ingress
    controller dropped them fails at once ("executable file not found"), so pods exit while they are
    still in the upstream list.

    rate-calculator 4.2.0 (revision 8, yesterday 18:30) switched to gcr.io/distroless/java21; the pod
    template still carries the preStop exec `sleep 15`. Since then every pod termination logs
    FailedPreStopHook and the JVM gets SIGTERM at once; this morning's HPA scale-downs and scale-ups
    churn pods and ingress-nginx answers 502 ("connect() failed (111: Connection refused)") for
    requests sent to pods already gone. The red herring is tariff-admin's rollout this morning.
    """
    inc = start(rate_calculator_errors_burn, "rate-calculator error budget burning", AT3, 163, ("tariffs",),
                skip={("ingress-nginx", "ingress-nginx-controller")})
    rel = AT3 - timedelta(hours=15, minutes=10)
    hook = {"lifecycle": {"preStop": {"exec": {"command": ["sleep", "15"]}}},
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]}
    old = f"{REGISTRY}/tariffs/rate-calculator:4.1.3"
    new = f"{REGISTRY}/tariffs/rate-calculator:4.2.0"
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=70"}]
    downs = [AT3 - timedelta(minutes=m) for m in (52, 38, 21, 9, 3)]

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        return [(t, L.spring(t, "INFO", "c.a.tariffs.RateController", f"quote computed lane=EU-{i % 17} in 41 ms",
                             "http-nio-8080-exec-3")) for i, t in enumerate(L.every(max(s, AT3 - timedelta(hours=1)),
                                                                                    e, 60))]
    revs = [Rev(7, inc.born + timedelta(days=25), "helm upgrade", [c("rate-calculator", old, env=env)],
                container=hook),
            Rev(8, rel, "helm upgrade rate-calculator 4.2.0 (base image gcr.io/distroless/java21-debian12:nonroot)",
                [c("rate-calculator", new, env=env)], container=hook)]
    wl = inc.deployment("tariffs", "rate-calculator", revs, {8: [P(log=within(log), memory_mi=520) for _ in range(4)]})
    for i, t in enumerate(downs):
        gone = f"{wl.rs[8]}-{o.suffix(f'gone-{i}', 5)}"
        involved = {"kind": "Pod", "apiVersion": "v1",
                    "metadata": {"name": gone, "namespace": "tariffs", "uid": o.uid("pod", "tariffs", gone)}}
        inc.event(involved, "FailedPreStopHook",
                  f'PreStopHook failed: rpc error: code = Unknown desc = failed to exec in container: failed to '
                  f'start exec "{o.suffix(gone, 12)}": OCI runtime exec failed: exec failed: unable to start '
                  f'container process: exec: "sleep": executable file not found in $PATH: unknown',
                  t, host=node(inc, i % 4))
        inc.event(involved, "Killing", "Stopping container rate-calculator", t, warning=False, host=node(inc, i % 4))
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "rate-calculator", "namespace": "tariffs"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "rate-calculator"},
                            "minReplicas": 3, "maxReplicas": 12,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 65}}}]},
                   "status": {"currentReplicas": 4, "desiredReplicas": 4, "currentMetrics": [
                       {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 61,
                                                                                     "averageValue": "61m"}}}]}})
    for i, t in enumerate(downs):
        inc.event(hpa, "SuccessfulRescale", f"New size: {4 + (i % 2)}; reason: "
                  + ("All metrics below target" if i % 2 else "cpu resource utilization (percentage of request) "
                                                              "above target"), t - timedelta(seconds=20),
                  warning=False, component="horizontal-pod-autoscaler")

    def ingress_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT3 - timedelta(hours=1)), e, 7)):
            bad = any(d <= t < d + timedelta(seconds=25) for d in downs)
            out.append((t, L.nginx_access(t, f"81.2.{i % 200}.{i % 7 + 3}", "POST /api/v3/rates/quote",
                                          502 if bad else 200, 150 if bad else 912, "tariffs-rate-calculator-8080",
                                          "502" if bad else "200", 0.002 if bad else 0.048)))
            if bad:
                out.append((t, L.nginx_error(t, "connect() failed (111: Connection refused) while connecting to "
                                                f"upstream, client: 81.2.{i % 200}.{i % 7 + 3}, "
                                                "server: api.example.com, "
                                                'request: "POST /api/v3/rates/quote HTTP/1.1", upstream: '
                                                f'"http://10.244.{i % 4 + 1}.{40 + i % 30}:8080/api/v3/rates/quote"')))
        return out
    app(inc, "ingress-nginx", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3", 2,
        log=within(ingress_log))
    herring(inc, "tariffs", "tariff-admin", f"{REGISTRY}/tariffs/tariff-admin", "1.7.0", AT3 - timedelta(minutes=70))
    plant(inc, "tariffs", "rates-db", "password", "rates", "password")
    start_m = AT3 - timedelta(hours=2)

    def errors(t: datetime) -> float:
        return round(sum(min(25.0, max(0.0, (t - d).total_seconds())) * 3.1 for d in downs if t > d), 3)
    http_counters(inc, "tariffs", "rate-calculator", counter(start_m, 55.0, 55.0, AT3), errors, code="502")
    inc.slo_burn("rate-calculator", "tariffs", "rate-calculator-availability", "0.999", 16.2,
                 "rate-calculator has burned 3.1% of its 30-day error budget in the last hour (5xx at the edge).")
    inc.answer_key(
        culprit=("Deployment", "tariffs", "rate-calculator"), keywords=["preStop", "distroless", "sleep"],
        root_cause="rate-calculator 4.2.0 (revision 8) moved to a distroless image without a sleep binary; the "
                   "preStop exec hook `sleep 15` fails (FailedPreStopHook), pods stop at once while still in the "
                   "ingress upstreams, so each scale-down or restart returns 502s",
        category="prestop-hook-binary-missing-in-distroless",
        red_herrings=[("Deployment", "tariffs", "tariff-admin")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 19, 11, 15, tzinfo=UTC)


def storefront_checkout_timeouts_page() -> Incident:
    """namespace-relabel-breaks-networkpolicy-selector: a caller namespace loses the label a NetworkPolicy admits.

    after: incidents after organisations "standardised" namespace labels (team -> owner, cost-center)
    through GitOps: a NetworkPolicy in another team's namespace admitted callers by
    `namespaceSelector: {team: ...}`, the relabel silently removed them, and their connections were
    dropped (timeouts, not refusals).

    At 11:11 Argo CD applied the platform repo's new namespace labels to Namespace webshop: `team:
    webshop` became `owner: digital-commerce`. NetworkPolicy orders/orders-api-allow-callers admits
    only namespaces labelled `team: webshop` (and ingress-nginx); from then on storefront-bff's calls to
    orders-api time out (axios ECONNABORTED) and checkout fails, while orders-api itself is healthy and
    sees its traffic vanish. The red herring is orders-worker's rollout at 10:55.
    """
    inc = start(storefront_checkout_timeouts_page, "storefront checkout requests timing out", AT4, 164,
                ("webshop", "orders"))
    relabel = AT4 - timedelta(minutes=4)
    ns_obj = inc.find("Namespace", "", "webshop")
    ns_obj["metadata"]["labels"] = {"kubernetes.io/metadata.name": "webshop", "owner": "digital-commerce",
                                    "cost-center": "cc-4410", "app.kubernetes.io/managed-by": "argocd"}
    changed(ns_obj, ("kube-apiserver", "Update", inc.born + timedelta(days=3),
                     {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}),
            ("argocd-controller", "Apply", relabel,
             {"f:metadata": {"f:labels": {"f:owner": {}, "f:cost-center": {}, "f:app.kubernetes.io/managed-by": {}}}}))
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "orders-api-allow-callers", "namespace": "orders",
                          "creationTimestamp": ts(inc.born + timedelta(days=11))},
             "spec": {"podSelector": {"matchLabels": {"app": "orders-api"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [
                          {"namespaceSelector": {"matchLabels": {"team": "webshop"}},
                           "podSelector": {"matchLabels": {"app": "storefront-bff"}}},
                          {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                          {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                          "ports": [{"protocol": "TCP", "port": 8080}]}]}})

    def bff(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT4 - timedelta(minutes=40)), e, 15)):
            rid = L.uuidish(pod, i)
            if t < relabel + timedelta(seconds=3):
                out.append((t, L.js(t, "info", "request completed", reqId=rid, method="POST", url="/api/checkout",
                                    statusCode=201, responseTime=212)))
            else:
                out.append((t, L.js(t, "error", "checkout failed", reqId=rid, upstream=(
                    "http://orders-api.orders.svc.cluster.local/v2/orders"), err={
                    "type": "AxiosError", "message": "timeout of 3000ms exceeded", "code": "ECONNABORTED"})))
                out.append((t, L.js(t, "info", "request completed", reqId=rid, method="POST", url="/api/checkout",
                                    statusCode=504, responseTime=3004)))
        return out

    def orders(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT4 - timedelta(minutes=40)), e, 20)):
            if t < relabel:
                out.append((t, L.logfmt(t, "info", "order created", order_id=f"ord_{771200 + i}", caller="webshop",
                                        duration_ms=38)))
            elif i % 3 == 0:
                out.append((t, L.logfmt(t, "info", "GET /healthz", status=200, duration_ms=1)))
        return out
    app(inc, "webshop", "storefront-bff", f"{REGISTRY}/webshop/storefront-bff:7.4.1", 3, log=within(bff))
    app(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:12.0.3", 3, log=within(orders))
    herring(inc, "orders", "orders-worker", f"{REGISTRY}/orders/orders-worker", "12.0", AT4 - timedelta(minutes=20))
    plant(inc, "orders", "orders-db", "password", "orders", "password")
    start_m = AT4 - timedelta(hours=2)
    http_counters(inc, "webshop", "storefront-bff", counter(start_m, 14.0, 0.3, relabel),
                  counter(start_m, 0.0, 13.5, relabel), code="504")
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": "orders", "service": "orders-api", "code": "201", "job": "orders-api"},
               counter(start_m, 13.8, 0.0, relabel), step_s=30)
    inc.pagerduty("storefront-bff: checkout success rate 4% (SLO 99%)", "Storefront")
    inc.answer_key(
        culprit=("Namespace", "", "webshop"), keywords=["NetworkPolicy", "namespaceSelector", "labels"],
        root_cause="Argo CD relabelled Namespace webshop (team: webshop replaced by owner: digital-commerce); "
                   "NetworkPolicy orders-api-allow-callers in orders admits callers by namespaceSelector team=webshop, "
                   "so since the relabel the storefront-bff connections to orders-api are dropped and checkout "
                   "times out; restore the labels or fix the policy",
        category="namespace-relabel-breaks-networkpolicy-selector",
        red_herrings=[("Deployment", "orders", "orders-worker")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 20, 13, 35, tzinfo=UTC)


def shipment_writes_slow_page() -> Incident:
    """blocking-schema-migration-locks-hot-table: an index built without CONCURRENTLY; writes queue behind its lock.

    after: public postmortems of schema migrations run during business hours (GitLab, Heroku customers,
    many Rails/Django shops): `CREATE INDEX` without CONCURRENTLY takes a SHARE lock on a large table
    for many minutes, every INSERT/UPDATE waits behind it and the application's statement timeout
    turns the wait into errors.

    Helm's pre-upgrade hook Job fulfil/shipment-api-migrate-91 started at 13:27 and runs Flyway V91,
    `CREATE INDEX idx_shipments_carrier_ref ON shipments (carrier_ref)` on a 60-million-row table.
    PostgreSQL logs `still waiting for RowExclusiveLock` for every writer; shipment-api's inserts fail
    with "canceling statement due to statement timeout" (5 s). The red herring is label-printer's
    rollout half an hour earlier.
    """
    inc = start(shipment_writes_slow_page, "shipment-api write latency above 5 s", AT5, 165, ("fulfil",))
    began = AT5 - timedelta(minutes=8)
    job = job_object(inc, "fulfil", "shipment-api-migrate-91", f"{REGISTRY}/fulfil/shipment-api-migrations:91",
                     ["flyway", "migrate"], began, None, False,
                     annotations={"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5",
                                  "helm.sh/hook-delete-policy": "before-hook-creation"})
    changed(job, ("helm", "Update", began, {"f:metadata": {"f:annotations": {}}, "f:spec": {"f:template": {}}}))
    mig = L.lines([
        (began + timedelta(seconds=5), "Flyway Community Edition 10.15.0 by Redgate"),
        (began + timedelta(seconds=6), "Database: jdbc:postgresql://fulfil-db:5432/fulfil (PostgreSQL 15.7)"),
        (began + timedelta(seconds=7), 'Successfully validated 91 migrations (execution time 00:00.212s)'),
        (began + timedelta(seconds=7), 'Current version of schema "public": 90'),
        (began + timedelta(seconds=8), 'Migrating schema "public" to version "91 - shipments carrier ref index"'),
    ])
    job_pod(inc, job, mig, began, None, 0)
    lock_t = began + timedelta(seconds=9)

    def db(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(lock_t, L.postgres(lock_t, "LOG", "statement: CREATE INDEX idx_shipments_carrier_ref ON "
                                                         "public.shipments USING btree (carrier_ref)", pid=3977))]
        for i, t in enumerate(L.every(lock_t + timedelta(seconds=2), e, 9)):
            pid = 4100 + i
            out.append((t, L.postgres(t, "LOG", f"process {pid} still waiting for RowExclusiveLock on relation "
                                                f"16412 of database 16384 after 1000.{110 + i % 800:03d} ms", pid=pid)))
            out.append((t, L.postgres(t, "DETAIL", f"Process holding the lock: 3977. Wait queue: {pid}, "
                                                   f"{pid + 1}, {pid + 2}.", pid=pid)))
            out.append((t, L.postgres(t, "STATEMENT", "INSERT INTO shipments (order_id, carrier, carrier_ref, "
                                                      "status) VALUES ($1, $2, $3, $4)", pid=pid)))
            out.append((t + timedelta(seconds=4), L.postgres(t + timedelta(seconds=4), "ERROR",
                                                             "canceling statement due to statement timeout",
                                                             pid=pid)))
        return out
    dbset = inc.statefulset("fulfil", "fulfil-db", [c("postgres", "docker.io/library/postgres:15.7", port=5432,
                                                      memory_limit="8Gi")],
                            [P(log=within(db), memory_mi=5200)], inc.born + timedelta(days=2),
                            claims=[("data", "500Gi", "gp3")], service=5432)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT5 - timedelta(minutes=40)), e, 12)):
            if t < lock_t:
                out.append((t, L.logfmt(t, "info", "shipment created", order=f"o-{55100 + i}", duration_ms=24)))
            else:
                out.append((t, L.logfmt(t, "error", "create shipment", order=f"o-{55100 + i}", duration_ms=5002,
                                        err="pq: canceling statement due to statement timeout")))
        return out
    app(inc, "fulfil", "shipment-api", f"{REGISTRY}/fulfil/shipment-api:8.13.0", 3, log=within(api))
    herring(inc, "fulfil", "label-printer", f"{REGISTRY}/fulfil/label-printer", "3.2.0", AT5 - timedelta(minutes=31))
    plant(inc, "fulfil", "fulfil-db-app", "password", "fulfil-db", "password")
    start_m = AT5 - timedelta(hours=2)
    http_counters(inc, "fulfil", "shipment-api", counter(start_m, 9.0, 0.4, lock_t), counter(start_m, 0.0, 8.6, lock_t))
    for mode, before, after in (("rowexclusivelock", 4, 61), ("sharelock", 0, 1), ("accesssharelock", 12, 14)):
        inc.series("pg_locks_count", "gauge", "Number of locks", {
            "namespace": "fulfil", "pod": dbset.pods[0].name, "datname": "fulfil", "mode": mode,
            "job": "postgres-exporter"}, step(before, after, lock_t), step_s=30)
    inc.pagerduty("shipment-api: p99 POST /v2/shipments above 5s for 5m", "Fulfilment")
    inc.answer_key(
        culprit=("Job", "fulfil", "shipment-api-migrate-91"), keywords=["migration", "lock", "CONCURRENTLY"],
        root_cause="the pre-upgrade migration Job shipment-api-migrate-91 runs CREATE INDEX without CONCURRENTLY on "
                   "the shipments table: it holds a SHARE lock for the whole build, every insert waits on the lock and "
                   "hits the 5 s statement timeout",
        category="blocking-schema-migration-locks-hot-table",
        red_herrings=[("Deployment", "fulfil", "label-printer")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 21, 8, 50, tzinfo=UTC)


def pods_not_ready_grouped() -> Incident:
    """registry-credential-refresher-broken-token-expired: the ECR pull-secret CronJob fails; 12 h later pulls fail.

    after: a common EKS/ECR failure on clusters whose nodes pull with an imagePullSecret refreshed by a
    CronJob (`aws ecr get-login-password` every few hours, tokens valid 12 h): a change broke the
    refresher, nobody watched its Jobs, and half a day later every pod that lands on a node without the
    image cached fails to pull with 403.

    CronJob platform-ops/ecr-credentials-sync's image was swapped yesterday at 17:10 from the team's
    ecr-sync image to bitnami/kubectl:1.31, which has no aws CLI: every run since 18:00 fails with
    "aws: not found". The ecr-pull Secrets in invoicing and notify were last refreshed at 12:00 and
    expired at midnight; the morning's new pods (invoice-api, mailer) sit in ImagePullBackOff with
    403 Forbidden from the registry. The red herring is cost-exporter's rollout in platform-ops.
    """
    inc = start(pods_not_ready_grouped, "Pods not ready in invoicing and notify", AT6, 166,
                ("platform-ops", "invoicing", "notify"))
    swap = datetime(2026, 11, 20, 17, 10, tzinfo=UTC)
    last_ok = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    script = ("set -eu; TOKEN=$(aws ecr get-login-password --region eu-west-1); for ns in invoicing notify; do "
              "kubectl -n $ns create secret docker-registry ecr-pull --docker-server=" + ECR +
              " --docker-username=AWS --docker-password=$TOKEN --dry-run=client -o yaml | kubectl apply -f -; done")
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "ecr-credentials-sync", "namespace": "platform-ops",
                     "creationTimestamp": ts(inc.born + timedelta(days=6))},
        "spec": {"schedule": "0 */6 * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 1,
                 "failedJobsHistoryLimit": 3, "suspend": False,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "serviceAccountName": "ecr-credentials-sync", "restartPolicy": "Never",
                     "containers": [{"name": "ecr-credentials-sync", "image": "docker.io/bitnami/kubectl:1.31",
                                     "command": ["/bin/sh", "-c", script]}]}}}}},
        "status": {"lastScheduleTime": ts(datetime(2026, 11, 21, 6, 0, tzinfo=UTC)),
                   "lastSuccessfulTime": ts(last_ok)}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-set", "Update", swap,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                 'k:{"name":"ecr-credentials-sync"}': {"f:image": {}}}}}}}}}))
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": "ecr-credentials-sync",
             "uid": o.uid("cronjob", "platform-ops", "ecr-credentials-sync"), "controller": True,
             "blockOwnerDeletion": True}
    for hour in (18, 24, 30):
        t = datetime(2026, 11, 20, 0, 0, tzinfo=UTC) + timedelta(hours=hour)
        name = f"ecr-credentials-sync-{int(t.timestamp()) // 60}"
        job = job_object(inc, "platform-ops", name, "docker.io/bitnami/kubectl:1.31", ["/bin/sh", "-c", script],
                         t, t + timedelta(seconds=9), True, owner=owner)
        inc.event(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", t + timedelta(seconds=9),
                  component="job-controller")
        inc.event(cron, "SawCompletedJob", f"Saw completed job: {name}, status: Failed", t + timedelta(seconds=10),
                  warning=False, component="cronjob-controller")
        if hour == 30:
            job_pod(inc, job, L.lines([(t + timedelta(seconds=4), "/bin/sh: 1: aws: not found")]), t,
                    t + timedelta(seconds=5), 127)
    victims = []
    for ns, name, tag in (("invoicing", "invoice-api", "2.8.1"), ("notify", "mailer", "6.0.2")):
        image = f"{ECR}/{ns}/{name}:{tag}"
        msg = (f'Failed to pull image "{image}": rpc error: code = Unknown desc = failed to pull and unpack image '
               f'"{image}": failed to resolve reference "{image}": unexpected status from HEAD request to '
               f"https://{ECR}/v2/{ns}/{name}/manifests/{tag}: 403 Forbidden")
        rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c(name, image)],
                  pod_spec={"imagePullSecrets": [{"name": "ecr-pull"}]})
        wl = inc.deployment(ns, name, [rev], {1: [P(), P(), P(state="waiting", waiting_reason="ImagePullBackOff",
                                                              message=msg, created=AT6 - timedelta(minutes=19))]},
                            replicas=3)
        secret = inc.canary("token", f"ecr-{ns}")
        inc.secret(ns, "ecr-pull", {".dockerconfigjson": '{"auths":{"' + ECR + '":{"username":"AWS","password":"'
                                    + secret + '"}}}'})
        sobj = inc.find("Secret", ns, "ecr-pull")
        sobj["metadata"].setdefault("annotations", {})["ecr-sync.platform.example.com/refreshed-at"] = ts(last_ok)
        changed(sobj, ("kubectl-client-side-apply", "Update", last_ok, {"f:data": {"f:.dockerconfigjson": {}}}))
        victims.append(wl.pods[-1])
        inc.series("kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container is waiting",
                   {"namespace": ns, "pod": wl.pods[-1].name, "container": name, "reason": "ImagePullBackOff",
                    "job": "kube-state-metrics"}, step(0, 1, AT6 - timedelta(minutes=18)), step_s=30)
    herring(inc, "platform-ops", "cost-exporter", f"{REGISTRY}/platform/cost-exporter", "0.9.3",
            AT6 - timedelta(minutes=55))
    inc.series("kube_cronjob_status_last_successful_time", "gauge", "LastSuccessfulTime keeps information of when "
               "was the last time the job was successfully completed.",
               {"namespace": "platform-ops", "cronjob": "ecr-credentials-sync", "job": "kube-state-metrics"},
               lambda t: last_ok.timestamp(), step_s=60)
    alerts = [alert(inc, "KubePodNotReady", {"namespace": h.namespace, "pod": h.name, "job": "kube-state-metrics"},
                    "Pod has been in a non-ready state for more than 15 minutes.",
                    f"Pod {h.namespace}/{h.name} has been in a non-ready state for longer than 15 minutes.",
                    'sum by (namespace, pod) (kube_pod_status_phase{job="kube-state-metrics", '
                    'phase=~"Pending|Unknown|Failed"}) > 0') for h in victims]
    alerts.append(alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": "invoicing", "deployment": "invoice-api",
                                                                "job": "kube-state-metrics"},
                        "Deployment has not matched the expected number of replicas.",
                        "Deployment invoicing/invoice-api has not matched the expected number of replicas for "
                        "longer than 15 minutes.",
                        'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                        'kube_deployment_status_replicas_available{job="kube-state-metrics"}'))
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["cluster"])
    inc.answer_key(
        culprit=("CronJob", "platform-ops", "ecr-credentials-sync"), keywords=["ECR", "token", "expired"],
        root_cause="CronJob ecr-credentials-sync's image was swapped to bitnami/kubectl, which has no aws CLI; every "
                   "run since yesterday 18:00 failed, the ecr-pull Secrets were not refreshed and their 12 h ECR token "
                   "expired, so new pods get 403 pulling from ECR (ImagePullBackOff)",
        category="registry-credential-refresher-broken-token-expired",
        red_herrings=[("Deployment", "platform-ops", "cost-exporter")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 22, 15, 5, tzinfo=UTC)


def basket_errors_burn() -> Incident:
    """mesh-fault-injection-applied-to-production: a game-day VirtualService with an abort fault hits production.

    after: chaos-engineering mishaps described in public write-ups: a fault-injection rule meant for
    staging (or left over after a game day) applied with the wrong kube context, so a share of real
    requests to a dependency is answered 503 by the callers' own sidecars ("fault filter abort",
    response flag FI) while the dependency itself sees nothing wrong.

    At 14:53 `kubectl apply` put the game-day manifest VirtualService inventory/stock-levels into
    production: `fault.abort` 30 % with httpStatus 503 on every route. basket-api's Envoy sidecar
    answers 30 % of its stock lookups itself with 503 FI; basket-api fails adds to basket; stock-levels'
    own metrics stay clean. The red herring is stock-importer's rollout in inventory.
    """
    inc = start(basket_errors_burn, "basket-api error budget burn", AT7, 167, ("basket", "inventory"))
    applied = AT7 - timedelta(minutes=12)
    crd(inc, "networking.istio.io", "VirtualService", "virtualservices", version="v1beta1")
    host = "stock-levels.inventory.svc.cluster.local"
    vs = inc.add({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "stock-levels", "namespace": "inventory", "generation": 4,
                     "annotations": {"chaos.example.com/experiment": "gameday-2026-11-stock-degradation",
                                     "chaos.example.com/environment": "staging"}},
        "spec": {"hosts": [host], "http": [{
            "fault": {"abort": {"percentage": {"value": 30.0}, "httpStatus": 503}},
            "route": [{"destination": {"host": host, "port": {"number": 80}}}],
            "timeout": "2s"}]}})
    changed(vs, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {"f:hosts": {}, "f:http": {}}}),
            ("kubectl-client-side-apply", "Update", applied,
             {"f:metadata": {"f:annotations": {"f:chaos.example.com/experiment": {},
                                               "f:chaos.example.com/environment": {}}}, "f:spec": {"f:http": {}}}))

    def basket(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT7 - timedelta(minutes=40)), e, 10)):
            if t >= applied and i % 3 == 0:
                out.append((t, L.spring(t, "WARN", "c.a.basket.StockClient",
                                        f"stock lookup failed sku=SKU-{40000 + i * 7} status=503 body=\"fault filter "
                                        "abort\"", "http-nio-8080-exec-7")))
                out.append((t, L.spring(t, "ERROR", "c.a.basket.BasketController",
                                        "POST /v1/baskets/items -> 503 ServiceUnavailable: stock unavailable",
                                        "http-nio-8080-exec-7")))
            else:
                out.append((t, L.spring(t, "INFO", "c.a.basket.BasketController",
                                        "POST /v1/baskets/items -> 200 in 36 ms", "http-nio-8080-exec-2")))
        return out
    img = f"{REGISTRY}/basket/basket-api:3.3.0"
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c("basket-api", img), c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090,
                                       readiness_path=None, liveness_path=None)])
    wl = inc.deployment("basket", "basket-api", [rev], {1: [P(log=within(basket)) for _ in range(3)]})
    for h in wl.pods:
        lines = [(t, L.envoy(t, "GET", f"/v1/stock/SKU-{40000 + i * 7}", 503 if t >= applied and i % 3 == 0 else 200,
                             "FI" if t >= applied and i % 3 == 0 else "-", "-" if t >= applied and i % 3 == 0
                             else f"10.244.2.{60 + i % 9}:8080", 0 if t >= applied and i % 3 == 0 else 9, host,
                             L.uuidish(h.name, i),
                             "fault_filter_abort" if t >= applied and i % 3 == 0 else "via_upstream"))
                 for i, t in enumerate(L.every(AT7 - timedelta(minutes=40), inc.captured, 10))]
        inc.log_block("basket", h.name, "istio-proxy", L.lines(lines))
    app(inc, "inventory", "stock-levels", f"{REGISTRY}/inventory/stock-levels:2.2.0", 3)
    herring(inc, "inventory", "stock-importer", f"{REGISTRY}/inventory/stock-importer", "5.1.0",
            AT7 - timedelta(minutes=38))
    plant(inc, "inventory", "stock-db", "password", "stock", "password")
    start_m = AT7 - timedelta(hours=2)
    for code, flags, fn in (("200", "-", counter(start_m, 30.0, 21.0, applied)),
                            ("503", "FI", counter(start_m, 0.0, 9.0, applied))):
        inc.series("istio_requests", "counter", "Total requests.", {
            "namespace": "basket", "reporter": "source", "source_workload": "basket-api",
            "source_workload_namespace": "basket", "destination_service": host,
            "destination_workload": "stock-levels" if code == "200" else "unknown",
            "response_code": code, "response_flags": flags, "job": "envoy-stats"}, fn, step_s=30)
    http_counters(inc, "inventory", "stock-levels", counter(start_m, 30.0, 21.0, applied),
                  counter(start_m, 0, 0, applied))
    http_counters(inc, "basket", "basket-api", counter(start_m, 12.0, 8.5, applied),
                  counter(start_m, 0.0, 3.5, applied), code="503")
    inc.slo_burn("basket-api", "basket", "basket-api-availability", "0.995", 58.0,
                 "basket-api 5xx ratio is 29% over the last 5 minutes; the 1h window burns the budget 58x.")
    inc.answer_key(
        culprit=("VirtualService", "inventory", "stock-levels"),
        keywords=["fault injection", "VirtualService", "abort"],
        root_cause="a game-day VirtualService stock-levels with fault injection (abort 30% httpStatus 503) was "
                   "kubectl-applied to production at 14:53; basket-api's sidecar answers 30% of stock lookups with "
                   "503 (response flag FI, fault filter abort) so basket adds fail; delete the fault block",
        category="mesh-fault-injection-applied-to-production",
        red_herrings=[("Deployment", "inventory", "stock-importer")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 23, 11, 20, tzinfo=UTC)


def node_load_high_question() -> Incident:
    """required-pod-affinity-packs-one-node: a required podAffinity to a one-pod cache puts every replica on one node.

    after: capacity incidents where a team added `requiredDuringSchedulingIgnoredDuringExecution`
    podAffinity (topologyKey hostname) to sit next to a cache "for latency"; with small CPU requests
    the scheduler happily stacked every replica on the one node running the cache, which then ran at
    full CPU and slowed every neighbour.

    thumbnail-render revision 4 (10:45) requires co-location with app=media-cache; the single
    media-cache pod runs on the third node, so all eight new replicas were scheduled there (requests
    200m, each uses ~0.5 core). That node's load climbs past 30 and neighbours on it slow down; the
    question names only the node. The red herring is upload-api's rollout in the same namespace.
    """
    inc = start(node_load_high_question, "one node overloaded", AT8, 168, ("media",))
    hot = node(inc, 2)
    rolled = AT8 - timedelta(minutes=35)
    affinity = {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "media-cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}}
    img = f"{REGISTRY}/media/thumbnail-render:2.4.0"

    def render(pod: str, s: datetime, e: datetime) -> Lines:
        return [(t, L.logfmt(t, "info", "rendered", asset=f"img_{i * 13 % 99991}", sizes=6,
                             duration_ms=int(380 + 60 * min(40, (t - rolled).total_seconds() / 60) * (1 + i % 3))))
                for i, t in enumerate(L.every(s, e, 20))]
    revs = [Rev(3, inc.born + timedelta(days=16), "helm upgrade", [c("thumbnail-render", img, cpu_request="200m",
                                                                     memory_limit="1Gi")]),
            Rev(4, rolled, "helm upgrade", [c("thumbnail-render", img, cpu_request="200m", memory_limit="1Gi")],
                pod_spec=affinity)]
    wl = inc.deployment("media", "thumbnail-render", revs, {4: [P(log=within(render), node=hot, memory_mi=400)
                                                               for _ in range(8)]})
    app(inc, "media", "media-cache", "docker.io/library/redis:7.4.1", 1, node=hot, port=6379)
    herring(inc, "media", "upload-api", f"{REGISTRY}/media/upload-api", "4.0.1", AT8 - timedelta(minutes=55))
    plant(inc, "media", "cdn-signing", "aws-secret", "cdn", "secret-access-key")
    for i, n in enumerate(inc.node_names()):
        inc.series("node_load1", "gauge", "1m load average.", {"instance": n, "node": n, "job": "node-exporter"},
                   step(1.4 + i * 0.3, 33.0 if n == hot else 1.3 + i * 0.3, rolled + timedelta(minutes=2)), step_s=30)
        inc.series("node_cpu_seconds", "counter", "Seconds the CPUs spent in each mode.",
                   {"instance": n, "node": n, "mode": "idle", "job": "node-exporter"},
                   counter(AT8 - timedelta(hours=2), 3.1, 0.05 if n == hot else 3.1, rolled + timedelta(minutes=2)),
                   step_s=30)
    start_m = AT8 - timedelta(hours=2)
    for h in wl.pods:
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "media", "pod": h.name, "container": "thumbnail-render", "node": hot,
                    "job": "kubelet"}, counter(start_m, 0.0, 0.5, h.created), step_s=30)
    inc.ask(f"{hot} has had a load average over 30 since about 11:00 and anything running on it is crawling. "
            "What happened to that node?")
    inc.answer_key(
        culprit=("Deployment", "media", "thumbnail-render"), keywords=["podAffinity", "same node", "replicas"],
        root_cause="thumbnail-render revision 4 added a required podAffinity (topologyKey hostname) to the single "
                   "media-cache pod, so the scheduler put all eight replicas on the same node; with 200m requests "
                   "they use ~4 cores and saturate that node",
        category="required-pod-affinity-packs-one-node",
        red_herrings=[("Deployment", "media", "upload-api")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 11, 24, 15, 40, tzinfo=UTC)


def partner_quotes_question() -> Incident:
    """secret-trailing-newline-invalid-header: a key re-created from a file keeps its newline; the header is refused.

    after: the classic `kubectl create secret generic --from-file` (or `echo` without -n) mistake seen
    in countless issue threads: the value ends in "\\n", and Node.js refuses to send it in a header
    (ERR_INVALID_CHAR), Go's net/http likewise; the service fails every outbound call while the key
    itself is valid.

    At 15:15 someone rotated the partner key by deleting and re-creating Secret travel/partner-api-key
    from a file (manager kubectl-create); Reloader restarted partner-quotes at 15:17. Every quote
    request now dies in the client with `TypeError [ERR_INVALID_CHAR]: Invalid character in header
    content ["x-api-key"]` and returns 500. The red herring is itinerary-api's rollout half an hour
    earlier.
    """
    inc = start(partner_quotes_question, "partner-quotes failing", AT9, 169, ("travel",))
    made = AT9 - timedelta(minutes=25)
    restart = made + timedelta(minutes=2)
    key = inc.canary("token", "partner-api")
    inc.secret("travel", "partner-api-key", {"api-key": key + "\n"})
    sobj = inc.find("Secret", "travel", "partner-api-key")
    sobj["metadata"]["creationTimestamp"] = ts(made)
    sobj["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    changed(sobj, ("kubectl-create", "Update", made, {"f:data": {".": {}, "f:api-key": {}}, "f:type": {}}))
    stack = ("TypeError [ERR_INVALID_CHAR]: Invalid character in header content [\"x-api-key\"]\n"
             "    at ClientRequest.setHeader (node:_http_outgoing:662:3)\n"
             "    at new ClientRequest (node:_http_client:291:14)\n"
             "    at request (node:https:377:10)\n"
             "    at /app/node_modules/undici-compat/lib/request.js:88:17\n"
             "    at PartnerClient.quote (/app/src/partner/client.js:54:22)\n"
             "    at async QuoteService.fetch (/app/src/quotes/service.js:31:18)")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s + timedelta(seconds=2), L.js(s + timedelta(seconds=2), "info", "partner-quotes listening",
                                                      port=8080, node="v20.17.0"))]
        for i, t in enumerate(L.every(s + timedelta(seconds=20), e, 25)):
            rid = L.uuidish(pod, i)
            out.append((t, L.js(t, "error", "partner quote failed", reqId=rid, partner="skyfare",
                                err={"type": "TypeError", "code": "ERR_INVALID_CHAR",
                                     "message": 'Invalid character in header content ["x-api-key"]', "stack": stack})))
            out.append((t, L.js(t, "info", "request completed", reqId=rid, url="/v1/quotes", statusCode=500,
                                responseTime=4)))
        return out

    env = [{"name": "PARTNER_API_KEY", "valueFrom": {"secretKeyRef": {"name": "partner-api-key", "key": "api-key"}}},
           {"name": "PARTNER_URL", "value": "https://api.skyfare.example.net/v2"}]
    img = f"{REGISTRY}/travel/partner-quotes:1.19.2"
    revs = [Rev(3, inc.born + timedelta(days=21), "helm upgrade", [c("partner-quotes", img, env=env)]),
            Rev(4, restart, "reloader.stakater.com: secret partner-api-key changed",
                [c("partner-quotes", img, env=env)])]
    inc.deployment("travel", "partner-quotes", revs, {4: [P(log=within(log)) for _ in range(2)]},
                        annotations={"secret.reloader.stakater.com/reload": "partner-api-key"})
    herring(inc, "travel", "itinerary-api", f"{REGISTRY}/travel/itinerary-api", "2.6.0", AT9 - timedelta(minutes=33))
    plant(inc, "travel", "bookings-db", "password", "bookings", "password")
    start_m = AT9 - timedelta(hours=2)
    http_counters(inc, "travel", "partner-quotes", counter(start_m, 6.0, 0.0, restart),
                  counter(start_m, 0.0, 6.0, restart))
    inc.series("partner_requests", "counter", "Outbound partner API requests by result.",
               {"namespace": "travel", "partner": "skyfare", "result": "sent", "job": "partner-quotes"},
               counter(start_m, 6.0, 0.0, restart), step_s=30)
    inc.ask("Why is partner-quotes failing every quote request since about 15:20?")
    inc.answer_key(
        culprit=("Secret", "travel", "partner-api-key"), keywords=["trailing newline", "header", "API key"],
        root_cause="Secret partner-api-key was re-created from a file at 15:15 and its API key value ends in a "
                   "trailing newline; after Reloader restarted partner-quotes, Node.js refuses the x-api-key header "
                   "(ERR_INVALID_CHAR) and every quote fails; re-create the Secret without the newline",
        category="secret-trailing-newline-invalid-header",
        red_herrings=[("Deployment", "travel", "itinerary-api")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 25, 10, 10, tzinfo=UTC)


def www_down_page() -> Incident:
    """force-ssl-redirect-loop-behind-tls-offload: an Ingress forces HTTPS while TLS ends at the NLB: 308 for ever.

    after: a frequent ingress-nginx support thread ("ERR_TOO_MANY_REDIRECTS"): TLS terminates at an
    AWS NLB/ELB that forwards plain TCP, so nginx sees every request as http; an annotation forcing the
    HTTPS redirect (with no PROXY protocol or X-Forwarded-Proto trust) answers 308 to https again, for
    ever.

    At 10:04 Argo CD synced Ingress marketing/public-site with `nginx.ingress.kubernetes.io/force-ssl-
    redirect: "true"` (a security review finding). The ingress-nginx Service is an NLB terminating TLS
    on 443 and forwarding to the controller's port 80. Every request to www.example.com gets 308 to
    itself; no request reaches the site's pods; the blackbox probe fails after 10 redirects. The red
    herring is newsletter-api's rollout.
    """
    inc = start(www_down_page, "www.example.com down for visitors", AT10, 170, ("marketing",),
                skip={("ingress-nginx", "ingress-nginx-controller")})
    synced = AT10 - timedelta(minutes=6)
    ing = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "public-site", "namespace": "marketing", "generation": 7,
                     "annotations": {"nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
                                     "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "www.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "public-site", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [
            {"hostname": "a1b2c3d4e5f60718-1234567890.elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("argocd-controller", "Update", inc.born + timedelta(days=10),
                  {"f:spec": {"f:rules": {}}, "f:metadata": {"f:annotations": {
                      "f:nginx.ingress.kubernetes.io/proxy-body-size": {}}}}),
            ("argocd-controller", "Update", synced,
             {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/force-ssl-redirect": {}}}}))
    lb = inc.find("Service", "ingress-nginx", "ingress-nginx-controller")
    lb["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert":
            "arn:aws:acm:eu-west-1:123456789012:certificate/8c1f0e6a-44d2-4b7a-9f0e-2a77d3c1b9e4",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
        "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp"}
    lb["spec"].update({"type": "LoadBalancer",
                       "ports": [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"},
                                 {"name": "https", "port": 443, "targetPort": 80, "protocol": "TCP"}]})
    lb["status"] = {"loadBalancer": {"ingress": [
        {"hostname": "a1b2c3d4e5f60718-1234567890.elb.eu-west-1.amazonaws.com"}]}}

    def nginx(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT10 - timedelta(minutes=40)), e, 4)):
            client = f"86.{12 + i % 40}.{i % 250}.{7 + i % 9}"
            path = ["/", "/pricing", "/blog/kubernetes-costs", "/contact"][i % 4]
            if t < synced:
                out.append((t, L.nginx_access(t, client, f"GET {path}", 200, 18400, "marketing-public-site-80",
                                              "200", 0.021)))
            else:
                for k in range(3):
                    tt = t + timedelta(milliseconds=40 * k)
                    out.append((tt, L.nginx_access(tt, client, f"GET {path}", 308, 164, "marketing-public-site-80",
                                                   "", 0.000)))
        return out
    app(inc, "ingress-nginx", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3", 2,
        log=within(nginx))

    def site(pod: str, s: datetime, e: datetime) -> Lines:
        return [(t, L.nginx_access(t, "10.244.1.12", "GET /", 200, 18400, "-", "", 0.004))
                for t in L.every(max(s, AT10 - timedelta(minutes=40)), min(e, synced), 20)]
    app(inc, "marketing", "public-site", f"{REGISTRY}/marketing/public-site:2026.11.3", 2, log=within(site))
    inc.service("marketing", "public-site", {"app": "public-site"}, port=80, target=8080)
    herring(inc, "marketing", "newsletter-api", f"{REGISTRY}/marketing/newsletter-api", "1.4.0",
            AT10 - timedelta(minutes=28))
    plant(inc, "marketing", "cms-token", "token", "cms", "token")
    start_m = AT10 - timedelta(hours=2)
    for region in ("eu-west-1", "us-east-1", "ap-southeast-1"):
        labels = {"instance": "https://www.example.com/", "job": f"blackbox-{region}"}
        inc.series("probe_success", "gauge", "Displays whether or not the probe was a success", dict(labels),
                   step(1, 0, synced + timedelta(seconds=30)), step_s=30)
        inc.series("probe_http_redirects", "gauge", "The number of redirects", dict(labels),
                   step(0, 10, synced + timedelta(seconds=30)), step_s=30)
    for status, fn in (("200", counter(start_m, 40.0, 0.0, synced)), ("308", counter(start_m, 0.0, 120.0, synced))):
        inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {"namespace": "marketing", "ingress": "public-site", "service": "public-site", "status": status,
                    "host": "www.example.com", "job": "ingress-nginx"}, fn, step_s=30)
    inc.pagerduty("[FIRING:3] BlackboxProbeFailed https://www.example.com/ (blackbox, 3 regions)", "Website")
    inc.answer_key(
        culprit=("Ingress", "marketing", "public-site"), keywords=["force-ssl-redirect", "redirect loop",
                                                                  "TLS termination"],
        root_cause="Ingress public-site gained nginx.ingress.kubernetes.io/force-ssl-redirect at 10:04, but TLS "
                   "termination happens at the NLB, which forwards plain HTTP to ingress-nginx; every request is "
                   "answered 308 to https again, a redirect loop, and nothing reaches the site",
        category="force-ssl-redirect-loop-behind-tls-offload",
        red_herrings=[("Deployment", "marketing", "newsletter-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 11, 27, 0, 6, tzinfo=UTC)


def click_events_not_arriving() -> Incident:
    """broker-topic-autocreate-disabled-dated-topics: topic auto-creation turned off; a new daily topic never appears.

    after: Kafka incidents when a platform team set `auto.create.topics.enable=false` (a sound hardening)
    without inventorying producers that relied on it: a client writing to a new topic name (here one
    per day) blocks in metadata fetches and fails with "Topic ... not present in metadata after 60000
    ms" / UNKNOWN_TOPIC_OR_PARTITION.

    StatefulSet streaming/event-broker (Bitnami Kafka) was rolled yesterday at 15:10 with
    KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE=false. click-collector in analytics writes to one topic per day
    (clickstream-YYYY-MM-DD); at midnight it switched to clickstream-2026-11-27, which nobody created:
    every send times out and events are dropped. Yesterday's topic still works for late events. The red
    herring is the connect-ui rollout in streaming.
    """
    inc = start(click_events_not_arriving, "click events not arriving in analytics", AT11, 171,
                ("streaming", "analytics"))
    rolled = AT11 - timedelta(hours=9)
    midnight = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    env = [{"name": "KAFKA_CFG_PROCESS_ROLES", "value": "controller,broker"},
           {"name": "KAFKA_CFG_NUM_PARTITIONS", "value": "6"},
           {"name": "KAFKA_CFG_DEFAULT_REPLICATION_FACTOR", "value": "3"},
           {"name": "KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE", "value": "false"}]

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = rolled + timedelta(minutes=2)
        return [(t0, "[2026-11-26 15:12:03,118] INFO KafkaConfig values: "),
                (t0, "\tauto.create.topics.enable = false"),
                (t0, "\tauto.leader.rebalance.enable = true"),
                (t0, "\tdefault.replication.factor = 3"),
                (t0, "\tnum.partitions = 6"),
                (t0 + timedelta(seconds=9), "[2026-11-26 15:12:12,402] INFO [KafkaRaftServer nodeId=1] Kafka Server "
                                            "started (kafka.server.KafkaRaftServer)")]
    wl = inc.statefulset("streaming", "event-broker",
                         [c("kafka", "docker.io/bitnami/kafka:3.8.1", port=9092, memory_limit="6Gi", env=env)],
                         [P(log=within(broker), memory_mi=3100, created=rolled + timedelta(minutes=4 * i))
                          for i in range(3)], rolled, claims=[("data", "1Ti", "gp3")], service=9092)
    changed(wl.obj, ("helm", "Update", inc.born + timedelta(days=4), {"f:spec": {"f:replicas": {}}}),
            ("helm", "Update", rolled, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"kafka"}': {"f:env": {'k:{"name":"KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE"}': {}}}}}}}}))
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": wl.obj["status"]["updateRevision"], "namespace": "streaming",
                          "creationTimestamp": ts(rolled), "labels": {"app": "event-broker"},
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "event-broker",
                                               "uid": o.uid("statefulset", "streaming", "event-broker"),
                                               "controller": True, "blockOwnerDeletion": True}]},
             "data": {"spec": {"template": {"spec": {"containers": [{"name": "kafka", "env": env}]}}}},
             "revision": 7})

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT11 - timedelta(minutes=40)), e, 15)):
            if t < midnight:
                out.append((t, L.spring(t, "INFO", "c.a.clicks.BatchPublisher",
                                        "flushed 500 events to clickstream-2026-11-26 in 14 ms", "publisher-1")))
            else:
                out.append((t, L.spring(t, "WARN", "org.apache.kafka.clients.NetworkClient",
                                        f"[Producer clientId=click-collector-1] Error while fetching metadata with "
                                        f"correlation id {9100 + i} : "
                                        "{clickstream-2026-11-27=UNKNOWN_TOPIC_OR_PARTITION}",
                                        "kafka-producer-network-thread | click-collector-1")))
                if i % 4 == 0:
                    out.append((t, L.spring(t, "ERROR", "c.a.clicks.BatchPublisher",
                                            "send failed, dropping batch of 500 events: org.apache.kafka.common.errors."
                                            "TimeoutException: Topic clickstream-2026-11-27 not present in metadata "
                                            "after 60000 ms.", "publisher-1")))
        return out
    app(inc, "analytics", "click-collector", f"{REGISTRY}/analytics/click-collector:3.0.7", 3, log=within(collector),
        env=[{"name": "KAFKA_BOOTSTRAP", "value": "event-broker.streaming.svc:9092"},
             {"name": "TOPIC_PATTERN", "value": "clickstream-%Y-%m-%d"}])
    herring(inc, "streaming", "connect-ui", f"{REGISTRY}/streaming/connect-ui", "0.9.7", AT11 - timedelta(hours=2))
    plant(inc, "analytics", "warehouse-loader", "aws", "warehouse", "access-key-id")
    start_m = AT11 - timedelta(hours=2)
    inc.series("kafka_producer_record_send", "counter", "The total number of records sent.",
               {"namespace": "analytics", "client_id": "click-collector-1", "job": "click-collector"},
               counter(start_m, 330.0, 0.0, midnight), step_s=30)
    inc.series("kafka_producer_record_error", "counter", "The total number of record sends that resulted in "
               "errors.", {"namespace": "analytics", "client_id": "click-collector-1", "job": "click-collector"},
               counter(start_m, 0.0, 330.0, midnight), step_s=30)
    inc.series("kafka_topic_partitions", "gauge", "Number of partitions for this Topic",
               {"namespace": "streaming", "topic": "clickstream-2026-11-26", "job": "kafka-exporter"},
               lambda t: 6.0, step_s=60)
    inc.alertmanager("ClickCollectorSendErrors", {"namespace": "analytics", "service": "click-collector",
                                                  "job": "click-collector"},
                     "click-collector is failing to publish events.",
                     "click-collector record error rate is 330/s (100% of sends) for 5 minutes.",
                     'sum(rate(kafka_producer_record_error_total{namespace="analytics"}[5m])) > 1',
                     runbook="https://wiki.example.com/runbooks/analytics/click-collector")
    inc.answer_key(
        culprit=("StatefulSet", "streaming", "event-broker"),
        keywords=["auto.create.topics.enable", "topic", "UNKNOWN_TOPIC_OR_PARTITION"],
        root_cause="StatefulSet event-broker was rolled with KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE=false "
                   "(auto.create.topics.enable=false); click-collector writes to a new daily topic that used to be "
                   "auto-created, so since midnight every send fails with UNKNOWN_TOPIC_OR_PARTITION / not present in "
                   "metadata; create the topic or provision daily topics",
        category="broker-topic-autocreate-disabled-dated-topics",
        red_herrings=[("Deployment", "streaming", "connect-ui")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 11, 28, 10, 20, tzinfo=UTC)


def log_pushes_rejected_grouped() -> Incident:
    """log-agent-offsets-on-emptydir-reship-flood: the log agent's offset DB moves to an emptyDir; restarts re-ship all.

    after: Fluent Bit / Promtail incidents where the tail input's offset database lost its hostPath
    (a Pod Security clean-up replaced it with an emptyDir): with `Read_from_Head On` every agent pod
    re-reads every file on its node from the start after a restart, and the burst trips the log
    backend's ingestion rate limit (Loki 429) for everyone.

    DaemonSet logging/log-forwarder was updated at 09:55: the `positions` volume holding
    /var/lib/fluent-bit/flb_kube.db became an emptyDir. The new pods re-read every container log on
    their nodes from the head; Loki's distributors reject pushes with 429 "Ingestion rate limit
    exceeded", fresh logs from every team are delayed or dropped. The alerts are about Loki. The red
    herring is event-exporter's rollout in logging.
    """
    inc = start(log_pushes_rejected_grouped, "Loki rejecting pushes", AT12, 172, ("logging", "loki"))
    updated = AT12 - timedelta(minutes=25)
    cfg = ("[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n    Read_from_Head On\n"
           "    DB /var/lib/fluent-bit/flb_kube.db\n    Mem_Buf_Limit 50MB\n\n[OUTPUT]\n    Name loki\n"
           "    Match kube.*\n    Host loki-gateway.loki.svc\n    Port 80\n    Labels job=fluent-bit\n")
    inc.configmap("logging", "log-forwarder-config", {"fluent-bit.conf": cfg})
    pods = inc.cluster.daemonset("logging", "log-forwarder", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", inc.born,
                                 memory_mi=60, port=2020)
    ds = inc.find("DaemonSet", "logging", "log-forwarder")
    spec = ds["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}},
                       {"name": "positions", "emptyDir": {}},
                       {"name": "config", "configMap": {"name": "log-forwarder-config"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "varlog", "mountPath": "/var/log", "readOnly": True},
                                             {"name": "positions", "mountPath": "/var/lib/fluent-bit"},
                                             {"name": "config", "mountPath": "/fluent-bit/etc/"}]
    changed(ds, ("helm", "Update", inc.born + timedelta(days=1), {"f:spec": {"f:template": {}}}),
            ("helm", "Update", updated, {"f:spec": {"f:template": {"f:spec": {"f:volumes": {
                'k:{"name":"positions"}': {"f:emptyDir": {}, "f:hostPath": None}}}}}}))
    def mounts(pod: dict[str, Any]) -> None:
        pod["spec"]["volumes"] = spec["volumes"]
        pod["spec"]["containers"][0]["volumeMounts"] = spec["containers"][0]["volumeMounts"]
    for i, h in enumerate(pods):
        inc.cluster.patch("logging", h.name, mounts)
        h.created = updated + timedelta(seconds=30 + 20 * i)
        h.states[0].started_at = h.created + timedelta(seconds=4)
        s = h.states[0].started_at
        assert s is not None
        lines: Lines = [(s, "Fluent Bit v3.1.9"),
                        (s + timedelta(seconds=1), f"[{s:%Y/%m/%d %H:%M:%S}] [ info] [input:tail:tail.0] "
                                                   "initializing"),
                        (s + timedelta(seconds=1), f"[{s:%Y/%m/%d %H:%M:%S}] [ info] [input:tail:tail.0] db: "
                                                   "delete unmonitored stale inodes from the database: count=0"),
                        (s + timedelta(seconds=2), f"[{s:%Y/%m/%d %H:%M:%S}] [ info] [input:tail:tail.0] "
                                                   "inotify_fs_add(): inode=2099771 watch_fd=1 name=/var/log/"
                                                   "containers/coredns-6d4b75cb6d-x2l9q_kube-system_coredns.log")]
        for k, t in enumerate(L.every(s + timedelta(seconds=20), inc.captured, 15)):
            lines.append((t, f"[{t:%Y/%m/%d %H:%M:%S}] [error] [output:loki:loki.0] loki-gateway.loki.svc:80, "
                             "HTTP status=429"))
            lines.append((t, f"[{t:%Y/%m/%d %H:%M:%S}] [ warn] [engine] failed to flush chunk "
                             f"'1-{int(t.timestamp())}.{k:06d}.flb', retry in {7 + k % 20} seconds: task_id={k % 64}, "
                             "input=tail.0 > output=loki.0 (out_id=0)"))
        h.logs["log-forwarder"] = L.lines(lines)
    limit_msg = ("Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest "
                 "'9811' lines totaling '1048532' bytes, reduce log volume or contact your Loki administrator to see "
                 "if the limit can be increased")

    def loki(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, AT12 - timedelta(minutes=40)), e, 10)):
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            if t < updated + timedelta(seconds=40):
                if i % 6 == 0:
                    out.append((t, f"level=info ts={stamp} caller=flush.go:167 msg=\"flushing stream\" "
                                   f"user=fake fp={o.suffix(str(i), 16)} immediate=false num_chunks=1"))
            else:
                out.append((t, f"level=warn ts={stamp} caller=grpc_logging.go:76 method=/logproto.Pusher/Push "
                               f"duration={180 + i % 90}.{i % 1000:03d}µs msg=gRPC "
                               f"err=\"rpc error: code = Code(429) desc = {limit_msg}\""))
        return out
    wl = inc.statefulset("loki", "loki-write", [c("loki", "docker.io/grafana/loki:3.2.1", port=3100,
                                                  memory_limit="4Gi")],
                         [P(log=within(loki), memory_mi=1900) for _ in range(3)], inc.born + timedelta(days=2),
                         claims=[("data", "50Gi", "gp3")], service=3100)
    herring(inc, "logging", "event-exporter", f"{REGISTRY}/logging/event-exporter", "1.7.0",
            AT12 - timedelta(minutes=41))
    plant(inc, "loki", "loki-s3", "aws", "loki-chunks", "AWS_ACCESS_KEY_ID")
    start_m = AT12 - timedelta(hours=2)
    inc.series("loki_distributor_bytes_received", "counter", "The total number of uncompressed bytes received "
               "per tenant", {"namespace": "loki", "tenant": "fake", "job": "loki-write"},
               counter(start_m, 1.1e6, 4.19e6, updated), step_s=30)
    inc.series("loki_discarded_samples", "counter", "The total number of samples that were discarded.",
               {"namespace": "loki", "tenant": "fake", "reason": "rate_limited", "job": "loki-write"},
               counter(start_m, 0.0, 21000.0, updated + timedelta(seconds=40)), step_s=30)
    for h in pods:
        inc.series("fluentbit_input_bytes", "counter", "Number of input bytes.",
                   {"namespace": "logging", "pod": h.name, "name": "tail.0", "job": "log-forwarder"},
                   counter(start_m, 280e3, 9.5e6, h.created), step_s=30)
    alerts = [
        alert(inc, "LokiDiscardedSamplesHigh", {"namespace": "loki", "tenant": "fake", "reason": "rate_limited"},
              "Loki is discarding samples.", "Tenant fake: 21k samples/s discarded (reason rate_limited).",
              'sum by (tenant, reason) (rate(loki_discarded_samples_total[5m])) > 100',
              runbook="https://wiki.example.com/runbooks/loki/discarded-samples"),
        alert(inc, "LokiRequestLatency", {"namespace": "loki", "job": "loki-write", "route": "loki_api_v1_push"},
              "Loki request latency is high.", "loki-write loki_api_v1_push is experiencing 2.3s 99th percentile "
              "latency.", 'histogram_quantile(0.99, sum(rate(loki_request_duration_seconds_bucket'
              '{route!~"(?i).*tail.*"}[5m])) by (le, job, route)) > 1', runbook="https://wiki.example.com/runbooks/loki/request-latency"),
        alert(inc, "CPUThrottlingHigh", {"namespace": "loki", "pod": wl.pods[0].name, "container": "loki"},
              "Processes experience elevated CPU throttling.",
              f"71% throttling of CPU in namespace loki for container loki in pod {wl.pods[0].name}.",
              'sum(increase(container_cpu_cfs_throttled_periods_total{container!=""}[5m])) by (container, pod, '
              'namespace) / sum(increase(container_cpu_cfs_periods_total[5m])) by (container, pod, namespace) > '
              '(25 / 100)', severity="info")]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["namespace"])
    inc.answer_key(
        culprit=("DaemonSet", "logging", "log-forwarder"), keywords=["emptyDir", "offset", "Read_from_Head"],
        root_cause="the log-forwarder DaemonSet update moved the tail offset database (flb_kube.db) to an emptyDir; "
                   "with Read_from_Head On the restarted Fluent Bit pods re-read every log file from the start and "
                   "the flood exceeds Loki's ingestion rate limit (429), so logs are delayed and dropped",
        category="log-agent-offsets-on-emptydir-reship-flood",
        red_herrings=[("Deployment", "logging", "event-exporter")])
    return inc


ALL = [settlement_writer_errors_page, address_lookup_crashloop, rate_calculator_errors_burn,
       storefront_checkout_timeouts_page, shipment_writes_slow_page, pods_not_ready_grouped, basket_errors_burn,
       node_load_high_question, partner_quotes_question, www_down_page, click_events_not_arriving,
       log_pushes_rejected_grouped]
