"""Round 27 of the held-out incident set: the delivery pipeline and what its changes break, written blind.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are changes on their way to the cluster (base images, image ENTRYPOINT and USER,
Helm values and post-renderers, Kustomize generators, Argo Rollouts analysis, Flux image automation,
mesh injection, migrations run as Jobs, agent DaemonSets) and most pages are on the applications they
hurt; about a third are simple (the cause sits in the failing object's own spec, events or logs). Log
lines follow the real software's formats (Go logfmt, Go flag usage, Python tracebacks, Alembic,
PostgreSQL, pino JSON, Fastify, Spring Boot, MySQL Connector/J, go-sql-driver, Envoy access log, Argo
Rollouts' logrus text, Falco JSON).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]
ACCOUNT = "123456789012"


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


def ramp(before: float, per_s: float, at: datetime, ceiling: float | None = None) -> Series:
    """A gauge flat at `before` until `at`, then moving `per_s` each second (a disk filling), capped."""
    def value(t: datetime) -> float:
        v = before + per_s * max(0.0, (t - at).total_seconds())
        return min(v, ceiling) if ceiling is not None and per_s > 0 else (max(v, ceiling) if ceiling is not None
                                                                          else v)
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
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def send(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """Alertmanager's webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced", version: str = "v1",
        columns: list[dict[str, Any]] | None = None) -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    ver: dict[str, Any] = {"name": version, "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}
    if columns:
        ver["additionalPrinterColumns"] = columns
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [ver]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def drop_events(inc: Incident, pod: str, reasons: tuple[str, ...]) -> None:
    """Remove kit-made events a pod in this state would not have (a sandbox that never started never Pulled)."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def evicted(message: str, at: datetime) -> Callable[[dict[str, Any]], None]:
    """The status the kubelet's eviction manager leaves on a pod it evicted (phase Failed, reason Evicted)."""
    def patch(pod: dict[str, Any]) -> None:
        status = pod["status"]
        status.update({"phase": "Failed", "reason": "Evicted", "message": message})
        for cs in status["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be located "
                "when the pod was terminated", "startedAt": ts(at - timedelta(hours=2)), "finishedAt": ts(at)}}})
        status["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                     "lastTransitionTime": ts(at), "reason": "TerminationByKubelet",
                                     "message": message})
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "PodFailed", "lastTransitionTime": ts(at)})
                cond.pop("message", None)
    return patch


def job_pod(inc: Incident, ns: str, job: str, image: str, started: datetime, node_name: str, log: str,
            **kw: Any) -> PodHistory:
    """The (kept) pod of a Job run, with its log; its final state is patched on by the caller."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(job.rsplit("-", 1)[0], image, port=None, **kw)],
        node=node_name, created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=4),
                                                                  ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"),
        logs={job.rsplit("-", 1)[0]: log}))
    h.ended = None
    return h


def job_object(inc: Incident, ns: str, cronjob: str, job: str, started: datetime, failed_at: datetime,
               message: str) -> dict[str, Any]:
    """A batch/v1 Job the CronJob controller created, failed at its backoff limit."""
    obj = inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job, "namespace": ns, "creationTimestamp": ts(started),
                     "labels": {"batch.kubernetes.io/job-name": job},
                     "ownerReferences": [o.owner_ref("CronJob", cronjob, ns, api_version="batch/v1")]},
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                 "template": {"spec": {"restartPolicy": "Never"}}},
        "status": {"startTime": ts(started), "failed": 1, "terminating": 0, "ready": 0,
                   "conditions": [
                       {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(failed_at), "lastTransitionTime": ts(failed_at)},
                       {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(failed_at), "lastTransitionTime": ts(failed_at)}]}})
    inc.event(obj, "SuccessfulCreate", f"Created pod: {job}-{o.suffix(job + '/pod', 5)}", started, warning=False,
              component="job-controller")
    inc.event(obj, "BackoffLimitExceeded", message, failed_at, component="job-controller")
    return obj


def cronjob(inc: Incident, ns: str, name: str, schedule: str, image: str, last: datetime,
            container: dict[str, Any]) -> dict[str, Any]:
    """A batch/v1 CronJob with its last schedule time."""
    spec = {**c(name, image, port=None).spec(), **container}
    return inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(inc.born + timedelta(days=6)),
                     "generation": 4},
        "spec": {"schedule": schedule, "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid", "suspend": False,
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "restartPolicy": "Never", "containers": [spec]}}}}},
        "status": {"lastScheduleTime": ts(last)}})


def job_name(cron: str, scheduled: datetime) -> str:
    """The name the CronJob controller gives a run: the scheduled time in minutes since the epoch."""
    return f"{cron}-{int(scheduled.timestamp() // 60)}"


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str = "500") -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def node_created(inc: Incident, index: int, at: datetime, labels: dict[str, str]) -> dict[str, Any]:
    """Mark a background node as one launched at `at` (a replacement from a node template), with its labels."""
    n = inc.cluster.nodes[index]
    n["metadata"]["creationTimestamp"] = ts(at)
    n["metadata"]["labels"].update(labels)
    return n


def go_trace(t: datetime, lines_: list[str]) -> Lines:
    """Several lines printed at once (a usage text, a traceback): one (time, text) entry."""
    return [(t, "\n".join(lines_))]


def controller_revision(inc: Incident, ns: str, owner: str, number: int, at: datetime,
                        data: dict[str, Any], kind: str = "DaemonSet") -> dict[str, Any]:
    """The ControllerRevision a DaemonSet or StatefulSet controller writes for each template change."""
    name = f"{owner}-{o.suffix(f'{ns}/{owner}/{number}', 10)}"
    return inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                                 "labels": {"app": owner, "controller-revision-hash": name.rsplit("-", 1)[1]},
                                 "ownerReferences": [o.owner_ref(kind, owner, ns)]},
                    "revision": number, "data": data})


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric levels, epoch-millisecond time), as Node services print them."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": fields.pop(
        "hostname", "app"), "msg": msg, **fields}, separators=(",", ":"))


def logrus(t: datetime, level: str, msg: str, **fields: object) -> str:
    """logrus's text formatter (Argo Rollouts' controller log)."""
    extra = " ".join(f'{k}="{v}"' if " " in str(v) else f"{k}={v}" for k, v in fields.items())
    return f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level={level} msg="{msg}" {extra}'.rstrip()


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 10, 40, tzinfo=UTC)


def payout_submissions_failing_page() -> Incident:
    """scratch-base-image-missing-ca-certificates: an image rebuilt FROM scratch has no CA bundle for outbound TLS.

    after: the common "we slimmed the image and every HTTPS call fails" report: a Go service's Dockerfile
    final stage switched from a distroless base to `FROM scratch` to cut size, without copying
    /etc/ssl/certs; Go's crypto/x509 finds no system roots and every call to the payment provider fails
    with "certificate signed by unknown authority".

    payouts/payout-dispatcher 2.8.0 (rolled 10:05) runs on a scratch image without CA certificates: every
    POST to the provider's API fails x509 verification; PagerDuty pages on payout submissions failing.
    """
    inc = Incident("payout-submissions-failing-page", title="Payout submissions failing",
                   story=payout_submissions_failing_page.__doc__ or "", at=AT1, seed=2701, namespaces=("payouts",))
    change = AT1 - timedelta(minutes=35)
    plant(inc, "payouts", "payout-provider-credentials", "token", "adyen-api", "ADYEN_API_KEY")
    provider = "https://balanceplatform-api-live.adyen.com/btl/v4/transfers"

    def good(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 45, lambda i, t: L.logfmt(
            t, "info", "payout submitted", batch=f"b-{4100 + i}", provider="adyen", status=202,
            duration_ms=180 + i % 60))

    def bad(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start, L.logfmt(start, "info", "starting payout-dispatcher", version="2.8.0", listen=":8080")),
               (start + timedelta(seconds=1), L.logfmt(start + timedelta(seconds=1), "info",
                                                        "connected to queue", queue="payouts.submit"))]
        out += L.ticker(start + timedelta(seconds=20), end, 30, lambda i, t: L.logfmt(
            t, "error", "submit payout failed", batch=f"b-{4300 + i}", provider="adyen", attempt=1 + i % 3,
            err=f'Post "{provider}": tls: failed to verify certificate: x509: certificate signed by unknown '
                f'authority'))
        return out

    env = [{"name": "ADYEN_API_KEY", "valueFrom": {"secretKeyRef": {"name": "payout-provider-credentials",
                                                                   "key": "ADYEN_API_KEY"}}}]
    img = f"{REGISTRY}/payouts/payout-dispatcher"
    revs = [Rev(6, inc.born + timedelta(days=20), "helm upgrade", [c("payout-dispatcher", f"{img}:2.7.4", env=env)]),
            Rev(7, change, "helm upgrade", [c("payout-dispatcher", f"{img}:2.8.0", env=env)])]
    inc.deployment("payouts", "payout-dispatcher", revs, {7: [P(log=within(bad)), P(log=within(bad))]})
    inc.series("payout_submissions", "counter", "Payout submissions to the provider by result.",
               {"namespace": "payouts", "job": "payout-dispatcher", "result": "error"},
               counter(AT1 - timedelta(hours=2), 0.0, 0.8, change))
    inc.series("payout_submissions", "counter", "Payout submissions to the provider by result.",
               {"namespace": "payouts", "job": "payout-dispatcher", "result": "accepted"},
               counter(AT1 - timedelta(hours=2), 0.8, 0.0, change))
    app(inc, "payouts", "payout-api", f"{REGISTRY}/payouts/payout-api:5.2.1", 2, log=within(good))
    herring(inc, "payouts", "payout-reports", f"{REGISTRY}/payouts/payout-reports", "1.9.0",
            AT1 - timedelta(minutes=50))
    inc.pagerduty("Payout submissions failing: 0 accepted in 15 min (payouts)", "Payouts")
    inc.answer_key(
        culprit=("Deployment", "payouts", "payout-dispatcher"),
        keywords=["CA certificates", "x509", "scratch", "unknown authority"],
        root_cause=("payout-dispatcher 2.8.0 (revision 7) was rebuilt FROM scratch without CA certificates "
                    "(/etc/ssl/certs): every TLS call to the provider fails x509 'certificate signed by unknown "
                    "authority'. Roll back to 2.7.4 or copy the CA bundle into the image."),
        category="scratch-base-image-missing-ca-certificates",
        red_herrings=[("Deployment", "payouts", "payout-reports")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 2, 6, 14, tzinfo=UTC)


def statements_job_failed() -> Incident:
    """base-image-missing-tzdata-zoneinfo: a CronJob's image moved to an Alpine base without tzdata.

    after: the everyday "works on my laptop" time-zone failure: a Python image re-based on a slim Alpine
    variant that ships no /usr/share/zoneinfo and no `tzdata` wheel; zoneinfo.ZoneInfo("Europe/Berlin")
    raises ZoneInfoNotFoundError at the first scheduled run.

    reporting/daily-statements' image was bumped to 4.1.0 (python:3.12-alpine base) yesterday afternoon;
    the 06:00 run dies at start with ZoneInfoNotFoundError; KubeJobFailed pages.
    """
    inc = Incident("statements-job-failed", title="Job daily statements failed",
                   story=statements_job_failed.__doc__ or "", at=AT2, seed=2702, namespaces=("reporting",))
    change = AT2 - timedelta(hours=15)
    plant(inc, "reporting", "statements-db", "password", "statements-db", "PGPASSWORD")
    scheduled = AT2 - timedelta(minutes=14)
    job = job_name("daily-statements", scheduled)
    img = f"{REGISTRY}/reporting/statements:4.1.0"
    cron = cronjob(inc, "reporting", "daily-statements", "0 6 * * *", img, scheduled,
                   {"env": [{"name": "REPORT_TZ", "value": "Europe/Berlin"}],
                    "command": ["python", "-m", "statements.run"]})
    changed(cron, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("argocd-controller", "Apply", change,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                 'k:{"name":"daily-statements"}': {"f:image": {}}}}}}}}}))
    cron["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "reporting:batch/CronJob:reporting/"
                                                                          "daily-statements"}
    started = scheduled + timedelta(seconds=2)
    tb = ["Traceback (most recent call last):",
          '  File "<frozen runpy>", line 198, in _run_module_as_main',
          '  File "<frozen runpy>", line 88, in _run_code',
          '  File "/app/statements/run.py", line 61, in <module>',
          "    main()",
          '  File "/app/statements/run.py", line 38, in main',
          '    tz = ZoneInfo(os.environ.get("REPORT_TZ", "UTC"))',
          "         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
          '  File "/usr/local/lib/python3.12/zoneinfo/_common.py", line 24, in load_tzdata',
          '    raise ZoneInfoNotFoundError(f"No time zone found with key {key}")',
          "zoneinfo._common.ZoneInfoNotFoundError: 'No time zone found with key Europe/Berlin'"]
    t0 = started + timedelta(seconds=5)
    log = L.lines([(t0, L.pylog(t0, "INFO", "statements.run", "daily statements 4.1.0 starting, run date "
                                "2026-12-01")), *go_trace(t0 + timedelta(seconds=1), tb)])
    h = job_pod(inc, "reporting", job, img, started, node(inc, 1), log)
    inc.cluster.patch("reporting", h.name, terminated(1, "Error", t0, t0 + timedelta(seconds=1)))
    job_object(inc, "reporting", "daily-statements", job, started, started + timedelta(seconds=9),
               "Job has reached the specified backoff limit")
    app(inc, "reporting", "statements-api", f"{REGISTRY}/reporting/statements-api:2.3.0", 2)
    herring(inc, "reporting", "report-viewer", f"{REGISTRY}/reporting/report-viewer", "3.1.0",
            AT2 - timedelta(hours=9))
    inc.alertmanager("KubeJobFailed", {"namespace": "reporting", "job_name": job, "job": "kube-state-metrics",
                                       "service": "kube-prometheus-stack-kube-state-metrics"},
                     "Job failed to complete.", f"Job reporting/{job} failed to complete. Removing failed job "
                     "after investigation should clear this alert.",
                     'kube_job_failed{job="kube-state-metrics",namespace=~".*"} > 0')
    inc.answer_key(
        culprit=("CronJob", "reporting", "daily-statements"),
        keywords=["tzdata", "ZoneInfoNotFoundError", "Europe/Berlin", "alpine"],
        root_cause=("CronJob reporting/daily-statements' image was bumped to statements 4.1.0, re-based on "
                    "python:3.12-alpine without tzdata (no /usr/share/zoneinfo): ZoneInfo('Europe/Berlin') "
                    "raises ZoneInfoNotFoundError and the 06:00 Job fails. Install tzdata in the image or roll "
                    "the CronJob back to 4.0.3."),
        category="base-image-missing-tzdata-zoneinfo",
        red_herrings=[("Deployment", "reporting", "report-viewer")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 15, 25, tzinfo=UTC)


def ledger_store_replicas_mismatch() -> Incident:
    """image-user-changed-volume-permission-denied: a new image runs as a non-root UID that cannot write its volume.

    after: the familiar distroless migration failure: an image switched to the `nonroot` base (USER
    65532) while the pod spec sets no fsGroup, so the process cannot open the files that the old root
    image wrote on the persistent volume: "permission denied" and a crash loop on the first updated pod.

    ledger/ledger-store 3.0.0 (StatefulSet, rolled 15:02) runs as UID 65532; ledger-store-2, the first pod
    the rolling update replaced, cannot open its WAL on the root-owned volume and crash-loops.
    """
    inc = Incident("ledger-store-replicas-mismatch", title="StatefulSet ledger-store has replicas not ready",
                   story=ledger_store_replicas_mismatch.__doc__ or "", at=AT3, seed=2703, namespaces=("ledger",))
    change = AT3 - timedelta(minutes=23)
    plant(inc, "ledger", "ledger-store-peers", "token", "raft-peer", "PEER_TOKEN")
    img = f"{REGISTRY}/ledger/ledger-store"

    def ok(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 60, lambda i, t: L.js(t, "info", "raft: applied entries", node=pod,
                                                           term=87, index=4_410_200 + 37 * i))

    def crash(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start, L.js(start, "info", "starting ledger-store", version="3.0.0", uid=65532, gid=65532,
                             data_dir="/var/lib/ledger-store")),
                (start + timedelta(milliseconds=40), L.js(
                    start + timedelta(milliseconds=40), "fatal", "open write-ahead log",
                    error="open /var/lib/ledger-store/wal/0000000000000087-0000000000435a18.wal: permission denied",
                    caller="wal/wal.go:212"))]

    wl = inc.statefulset("ledger", "ledger-store",
                         [c("ledger-store", f"{img}:3.0.0", port=7400, memory_limit="2Gi", memory_request="1Gi")],
                         [P(log=within(ok)), P(log=within(ok)),
                          P(state="crashloop", log=within(crash), run_s=lambda n: 0.2)],
                         change, claims=[("data", "50Gi", "gp3")], service=7400)
    obj = wl.obj
    old = controller_revision(inc, "ledger", "ledger-store", 4, inc.born + timedelta(days=11),
                              {"spec": {"template": {"spec": {"containers": [{"name": "ledger-store",
                                                                              "image": f"{img}:2.9.3"}]}}}},
                              kind="StatefulSet")
    new = controller_revision(inc, "ledger", "ledger-store", 5, change,
                              {"spec": {"template": {"spec": {"containers": [{"name": "ledger-store",
                                                                              "image": f"{img}:3.0.0"}]}}}},
                              kind="StatefulSet")
    obj["spec"]["template"]["spec"]["securityContext"] = {"runAsNonRoot": True}
    obj["status"].update({"currentRevision": old["metadata"]["name"], "updateRevision": new["metadata"]["name"],
                          "readyReplicas": 2, "availableReplicas": 2, "currentReplicas": 2, "updatedReplicas": 1})
    changed(obj, ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"ledger-store"}': {"f:image": {}}}}}}}))
    for h in wl.pods[:2]:
        def old_image(pod: dict[str, Any], rev: str = old["metadata"]["name"]) -> None:
            pod["spec"]["containers"][0]["image"] = f"{img}:2.9.3"
            pod["status"]["containerStatuses"][0]["image"] = f"{img}:2.9.3"
            pod["metadata"]["labels"]["controller-revision-hash"] = rev
        inc.cluster.patch("ledger", h.name, old_image)
    inc.cluster.patch("ledger", wl.pods[2].name, lambda pod: pod["metadata"]["labels"].update(
        {"controller-revision-hash": new["metadata"]["name"]}))
    inc.pod_series(wl.pods)
    app(inc, "ledger", "ledger-api", f"{REGISTRY}/ledger/ledger-api:8.4.2", 2)
    herring(inc, "ledger", "ledger-reconciler", f"{REGISTRY}/ledger/ledger-reconciler", "1.12.0",
            AT3 - timedelta(minutes=40))
    inc.alertmanager("KubeStatefulSetReplicasMismatch",
                     {"namespace": "ledger", "statefulset": "ledger-store", "job": "kube-state-metrics",
                      "container": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet ledger/ledger-store has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != '
                     'kube_statefulset_status_replicas{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("StatefulSet", "ledger", "ledger-store"),
        keywords=["permission denied", "UID 65532", "fsGroup", "non-root"],
        root_cause=("ledger-store 3.0.0 moved to a non-root distroless image (USER UID 65532) and the "
                    "StatefulSet sets no fsGroup: the updated pod ledger-store-2 cannot open its WAL on the "
                    "root-owned volume (permission denied) and crash-loops. Add securityContext.fsGroup 65532 "
                    "(or chown the volume) or roll back to 2.9.3."),
        category="image-user-changed-volume-permission-denied",
        red_herrings=[("Deployment", "ledger", "ledger-reconciler")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)


def stock_service_crashloop() -> Incident:
    """helm-reuse-values-new-chart-value-empty: `helm upgrade --reuse-values` renders a flag the old values lack.

    after: Helm's documented --reuse-values trap: the upgrade merges the last release's values and ignores
    the new chart's values.yaml, so a value that chart 5.0 introduced (with a default) renders empty; the
    Go binary's flag parser rejects `--max-db-conns=` and the new pods exit 2 with the usage text.

    inventory/stock-service upgraded to chart 5.0.0 with --reuse-values at 10:48: args carry
    `--max-db-conns=` (empty) and every new pod exits 2; KubePodCrashLooping fires.
    """
    inc = Incident("stock-service-crashloop", title="Pod inventory/stock-service is crash looping",
                   story=stock_service_crashloop.__doc__ or "", at=AT4, seed=2704, namespaces=("inventory",))
    change = AT4 - timedelta(minutes=17)
    plant(inc, "inventory", "stock-db", "password", "stock-db", "DB_PASSWORD")
    img = f"{REGISTRY}/inventory/stock-service"

    def ok(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 50, lambda i, t: L.go_std(
            t, f"stock: reserved {3 + i % 7} items order=o-{88100 + i} in {12 + i % 9}ms"))

    usage = ['invalid value "" for flag -max-db-conns: parse error',
             "Usage of /usr/local/bin/stock-service:",
             "  -db-dsn string", "    \tpostgres connection string (env DB_DSN)",
             "  -listen string", '    \taddress to serve on (default ":8080")',
             "  -max-db-conns int", "    \tmaximum open database connections (default 10)",
             "  -reservation-ttl duration", "    \thow long a reservation holds stock (default 15m0s)"]

    def crash(pod: str, start: datetime, end: datetime) -> Lines:
        return go_trace(start, usage)

    def args(conns: str) -> dict[str, Any]:
        return {"args": ["-listen=:8080", "-db-dsn=$(DB_DSN)", f"-max-db-conns={conns}", "-reservation-ttl=15m"]}

    revs = [Rev(11, inc.born + timedelta(days=18), "helm upgrade", [c("stock-service", f"{img}:4.6.2")],
                container=args("20")),
            Rev(12, change, "helm upgrade", [c("stock-service", f"{img}:5.0.0")], container=args(""))]
    wl = inc.deployment("inventory", "stock-service", revs,
                        {11: [P(log=within(ok)), P(log=within(ok)), P(log=within(ok))],
                         12: [P(state="crashloop", log=within(crash), exit_code=2, run_s=lambda n: 0.1)]},
                        progress="progressing", replicas=3,
                        labels={"helm.sh/chart": "stock-service-5.0.0", "app.kubernetes.io/managed-by": "Helm"},
                        annotations={"meta.helm.sh/release-name": "stock-service",
                                     "meta.helm.sh/release-namespace": "inventory"})
    inc.pod_series(wl.pods)
    inc.configmap("inventory", "stock-service-settings", {"RESERVATION_TTL": "15m", "LOG_FORMAT": "text"})
    herring(inc, "inventory", "stock-sync", f"{REGISTRY}/inventory/stock-sync", "2.2.0", AT4 - timedelta(minutes=30))
    crashing = wl.pods[-1]
    inc.alertmanager("KubePodCrashLooping",
                     {"namespace": "inventory", "pod": crashing.name, "container": "stock-service",
                      "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod inventory/{crashing.name} (stock-service) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("Deployment", "inventory", "stock-service"),
        keywords=["max-db-conns", "reuse-values", "empty value", "chart 5.0.0"],
        root_cause=("The Helm upgrade of stock-service to chart 5.0.0 (revision 12) reused the old release's "
                    "values (--reuse-values), so the value chart 5.0.0 added renders an empty value: args "
                    "`-max-db-conns=` fail flag parsing ('invalid value \"\" for flag -max-db-conns') and the new "
                    "pods exit 2. Upgrade with the new chart defaults (--reset-then-reuse-values) or set the value."),
        category="helm-reuse-values-new-chart-value-empty",
        red_herrings=[("Deployment", "inventory", "stock-sync")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
SUCCESS_OLD = ('sum(rate(http_requests_total{service="{{args.service-name}}",code!~"5.."}[5m])) / '
               'sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))')
SUCCESS_NEW = ('sum(rate(http_server_requests_seconds_count{service="{{args.service-name}}",status!~"5.."}[5m])) / '
               'sum(rate(http_server_requests_seconds_count{service="{{args.service-name}}"}[5m]))')


def checkout_releases_aborted_question() -> Incident:
    """analysis-template-query-empty-result-aborts-canaries: a shared analysis query renamed to a metric the app lacks.

    after: Argo Rollouts' well-known empty-result failure: a Prometheus metric provider query that
    returns an empty vector makes `result[0]` fail with "reflect: slice index out of range", the
    measurement is an Error, and after consecutiveErrorLimit the canary is aborted; here a platform
    change "standardised" a cluster-wide template on the Spring/Micrometer metric name.

    The ClusterAnalysisTemplate success-rate was edited at 08:40 (Argo CD sync of the platform repo) to
    query http_server_requests_seconds_count; checkout-api exports http_requests_total, so every canary
    analysis errors and Argo Rollouts aborts the release. Someone asks why in chat.
    """
    inc = Incident("checkout-releases-aborted-question", title="checkout-api releases keep getting rolled back",
                   story=checkout_releases_aborted_question.__doc__ or "", at=AT5, seed=2705,
                   namespaces=("checkout", "argo-rollouts", "shipping"))
    change = AT5 - timedelta(hours=5, minutes=50)
    plant(inc, "checkout", "checkout-api-secrets", "stripe", "checkout", "STRIPE_SECRET_KEY")
    for kind, plural, scope in (("Rollout", "rollouts", "Namespaced"), ("AnalysisRun", "analysisruns", "Namespaced"),
                                ("AnalysisTemplate", "analysistemplates", "Namespaced"),
                                ("ClusterAnalysisTemplate", "clusteranalysistemplates", "Cluster")):
        crd(inc, kind, "argoproj.io", plural, scope=scope, version="v1alpha1")
    template = inc.add({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate",
        "metadata": {"name": "success-rate", "generation": 6,
                     "labels": {"app.kubernetes.io/instance": "platform-delivery"},
                     "annotations": {"argocd.argoproj.io/tracking-id":
                                     "platform-delivery:argoproj.io/ClusterAnalysisTemplate:/success-rate"}},
        "spec": {"args": [{"name": "service-name"}],
                 "metrics": [{"name": "success-rate", "interval": "1m", "count": 5, "failureLimit": 1,
                              "consecutiveErrorLimit": 4, "successCondition": "result[0] >= 0.99",
                              "provider": {"prometheus": {
                                  "address": "http://kube-prometheus-stack-prometheus.monitoring:9090",
                                  "query": SUCCESS_NEW}}}]}})
    changed(template, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
            ("argocd-controller", "Apply", change, {"f:spec": {"f:metrics": {}}}))
    img = f"{REGISTRY}/checkout/checkout-api"
    app(inc, "checkout", "checkout-api", f"{img}:6.14.0", 4)
    aborted_at = AT5 - timedelta(minutes=6)
    run = "checkout-api-6f9d8c7b45-31-2"
    msg = ('Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
           '"Error Message: reflect: slice index out of range"')
    rollout = inc.add({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "checkout-api", "namespace": "checkout", "generation": 31},
        "spec": {"replicas": 4, "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout-api"},
                 "strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {"duration": "2m"}},
                                                   {"analysis": {"templates": [{"templateName": "success-rate",
                                                                                "clusterScope": True}],
                                                                 "args": [{"name": "service-name",
                                                                           "value": "checkout-api"}]}},
                                                   {"setWeight": 50}, {"pause": {"duration": "5m"}}]}}},
        "status": {"phase": "Degraded", "abort": True, "currentStepIndex": 0, "stableRS": "5c7d9f8b66",
                   "currentPodHash": "6f9d8c7b45", "message": f"RolloutAborted: Rollout aborted update to revision "
                   f"31: {msg}", "replicas": 4, "availableReplicas": 4, "updatedReplicas": 0,
                   "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted",
                                   "message": f"Rollout aborted update to revision 31: {msg}",
                                   "lastUpdateTime": ts(aborted_at), "lastTransitionTime": ts(aborted_at)}]}})
    changed(rollout, ("argocd-controller", "Apply", AT5 - timedelta(minutes=16),
                      {"f:spec": {"f:template": {}}}))
    for i, (name, ago) in enumerate(((run, 6), ("checkout-api-8b4c6d9f71-30-2", 140), ("checkout-api-7d5f9c8a62-29-2",
                                                                                      310))):
        done = AT5 - timedelta(minutes=ago)
        inc.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
                 "metadata": {"name": name, "namespace": "checkout", "creationTimestamp": ts(done - timedelta(
                     minutes=5)), "ownerReferences": [o.owner_ref("Rollout", "checkout-api", "checkout",
                                                                  api_version="argoproj.io/v1alpha1")]},
                 "spec": {"metrics": template["spec"]["metrics"],
                          "args": [{"name": "service-name", "value": "checkout-api"}]},
                 "status": {"phase": "Error", "message": msg, "startedAt": ts(done - timedelta(minutes=5)),
                            "metricResults": [{"name": "success-rate", "phase": "Error", "count": 5, "error": 5,
                                               "consecutiveError": 5, "message": msg}]}})
        inc.event(rollout, "RolloutAborted", f"Rollout aborted update to revision {31 - i}: {msg}", done,
                  component="rollouts-controller")

    def controller(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 300, lambda i, t: logrus(t, "info", "Reconciliation completed",
                                                             generation=31, namespace="shipping",
                                                             rollout="shipping-api", time_ms="11.2"))
        for ago in (6, 140, 310):
            t = AT5 - timedelta(minutes=ago)
            out += [(t - timedelta(minutes=4, seconds=i * 60), logrus(
                t - timedelta(minutes=4, seconds=i * 60), "warning", "Measurement had error",
                analysisrun=run, metric="success-rate", namespace="checkout",
                error="reflect: slice index out of range")) for i in range(5)]
            out.append((t, logrus(t, "info", f"Rollout aborted update: {msg}", namespace="checkout",
                                  rollout="checkout-api")))
        return out

    app(inc, "argo-rollouts", "argo-rollouts", "quay.io/argoproj/argo-rollouts:v1.7.2", 1, log=within(controller),
        port=8090)
    http_codes(inc, "checkout", "checkout-api", (42.0, 42.0), (0.02, 0.02), AT5)
    for code in ("200", "500"):
        inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "shipping", "service": "shipping-api", "job": "shipping-api", "status": code,
                    "uri": "/api/shipments"},
                   counter(AT5 - timedelta(hours=2), 12.0 if code == "200" else 0.01, 12.0 if code == "200"
                           else 0.01, AT5))
    app(inc, "shipping", "shipping-api", f"{REGISTRY}/shipping/shipping-api:3.3.1", 2)
    herring(inc, "checkout", "checkout-web", f"{REGISTRY}/checkout/checkout-web", "9.0.4", AT5 - timedelta(hours=2))
    inc.ask("why does every checkout-api release get rolled back since this morning?")
    inc.answer_key(
        culprit=("ClusterAnalysisTemplate", "", "success-rate"),
        keywords=["ClusterAnalysisTemplate", "empty result", "http_server_requests_seconds_count",
                  "slice index out of range"],
        root_cause=("The ClusterAnalysisTemplate success-rate was changed at 08:40 to query "
                    "http_server_requests_seconds_count, which checkout-api does not export (it exports "
                    "http_requests_total): the query returns an empty result, each measurement errors with "
                    "'reflect: slice index out of range', and Argo Rollouts aborts every canary after the "
                    "consecutive error limit. Restore the query or give checkout-api its own AnalysisTemplate."),
        category="analysis-template-query-empty-result-aborts-canaries",
        red_herrings=[("Deployment", "checkout", "checkout-web")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 9, 45, tzinfo=UTC)


def product_feed_export_failing() -> Incident:
    """migration-job-drops-column-still-read-by-consumer: a schema migration Job drops a column another service reads.

    after: the expand/contract mistake many postmortems describe: a release's migration, run as an
    Argo CD PreSync hook Job, drops a column in the same release that stops writing it, while a
    different team's service still selects it; that service fails with "column ... does not exist".

    catalog/catalog-migrate-0118 (hook Job of catalog-api 7.0.0, 09:02) drops products.legacy_sku; the
    feed exporter in namespace feeds still selects it and every export fails; its own alert fires.
    """
    inc = Incident("product-feed-export-failing", title="Product feed exports failing",
                   story=product_feed_export_failing.__doc__ or "", at=AT6, seed=2706,
                   namespaces=("catalog", "feeds"))
    ran = AT6 - timedelta(minutes=43)
    plant(inc, "catalog", "catalog-db-owner", "password", "catalog-owner", "password")
    plant(inc, "feeds", "feed-exporter-db", "password", "feed-reader", "DATABASE_PASSWORD")
    img = f"{REGISTRY}/catalog/catalog-api:7.0.0"
    job = "catalog-migrate-0118"
    t0 = ran + timedelta(seconds=6)
    mig = L.lines([
        (t0, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."),
        (t0, "INFO  [alembic.runtime.migration] Will assume transactional DDL."),
        (t0 + timedelta(seconds=1), "INFO  [alembic.runtime.migration] Running upgrade 0117_sku_backfill -> "
                                    "0118_drop_legacy_sku, drop products.legacy_sku (replaced by sku)"),
        (t0 + timedelta(seconds=3), "INFO  [catalog.migrate] migrations complete, head=0118_drop_legacy_sku")])
    h = job_pod(inc, "catalog", job, img, ran, node(inc, 2), mig)
    inc.cluster.patch("catalog", h.name, terminated(0, "Completed", t0, t0 + timedelta(seconds=4),
                                                    phase="Succeeded"))
    obj = inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job, "namespace": "catalog", "creationTimestamp": ts(ran),
                     "labels": {"batch.kubernetes.io/job-name": job, "app.kubernetes.io/instance": "catalog"},
                     "annotations": {"argocd.argoproj.io/hook": "PreSync",
                                     "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
        "spec": {"backoffLimit": 1, "completions": 1, "parallelism": 1, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "catalog-migrate", "image": img,
                                                      "command": ["alembic", "upgrade", "head"]}]}}},
        "status": {"startTime": ts(ran), "completionTime": ts(t0 + timedelta(seconds=5)), "succeeded": 1,
                   "ready": 0, "conditions": [{"type": "Complete", "status": "True",
                                               "lastProbeTime": ts(t0 + timedelta(seconds=5)),
                                               "lastTransitionTime": ts(t0 + timedelta(seconds=5))}]}})
    inc.event(obj, "SuccessfulCreate", f"Created pod: {h.name}", ran, warning=False, component="job-controller")
    inc.event(obj, "Completed", "Job completed", t0 + timedelta(seconds=5), warning=False,
              component="job-controller")
    dropped = ran + timedelta(seconds=8)
    revs = [Rev(41, inc.born + timedelta(days=16), "argocd sync",
                [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:6.9.2")]),
            Rev(42, ran + timedelta(minutes=1), "argocd sync", [c("catalog-api", img)])]
    inc.deployment("catalog", "catalog-api", revs, {42: [P(), P(), P()]})
    query = ("SELECT p.id, p.legacy_sku, p.title, p.price_cents, p.currency FROM products p WHERE p.updated_at > "
             "%(since)s ORDER BY p.id")
    tb = ["Traceback (most recent call last):",
          '  File "/app/feeds/export.py", line 88, in run_export',
          "    rows = conn.execute(PRODUCTS_SQL, {\"since\": since}).fetchall()",
          '  File "/usr/local/lib/python3.11/site-packages/psycopg2/extras.py", line 146, in execute',
          "    return super().execute(query, vars)",
          "psycopg2.errors.UndefinedColumn: column p.legacy_sku does not exist",
          "LINE 1: SELECT p.id, p.legacy_sku, p.title, p.price_cents, p.curren...",
          "                     ^",
          'HINT:  Perhaps you meant to reference the column "p.sku".']

    def exporter(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < dropped:
                return L.pylog(t, "INFO", "feeds.export", f"export google-merchant: wrote {41200 + i} products "
                               "in 38.2s")
            return None
        out = L.ticker(start, end, 300, line)
        for t in L.every(max(start, dropped + timedelta(seconds=40)), end, 300):
            out.append((t, L.pylog(t, "ERROR", "feeds.export", "export google-merchant failed")))
            out += go_trace(t, tb)
        return out

    app(inc, "feeds", "feed-exporter", f"{REGISTRY}/feeds/feed-exporter:2.4.1", 1, log=within(exporter))

    def pg(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 600, lambda i, t: L.postgres(t, "LOG", "checkpoint complete: wrote 812 buffers "
                                                                 "(0.6%); 0 WAL file(s) added, 0 removed, 1 recycled",
                                                                 pid=67))
        for t in L.every(max(start, dropped + timedelta(seconds=40)), end, 300):
            out.append((t, L.postgres(t, "ERROR", "column p.legacy_sku does not exist at character 14", pid=9312)))
            out.append((t, L.postgres(t, "HINT", 'Perhaps you meant to reference the column "p.sku".', pid=9312)))
            out.append((t, L.postgres(t, "STATEMENT", query.replace("%(since)s", "$1"), pid=9312)))
        return out

    inc.statefulset("catalog", "catalog-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432)],
                    [P(log=within(pg))], inc.born + timedelta(days=2), service=5432)
    inc.series("feed_export_runs", "counter", "Feed export runs by result.",
               {"namespace": "feeds", "job": "feed-exporter", "feed": "google-merchant", "result": "failed"},
               counter(AT6 - timedelta(hours=2), 0.0, 1 / 300, dropped))
    inc.series("feed_export_last_success_timestamp_seconds", "gauge", "Unix time of the last successful export.",
               {"namespace": "feeds", "job": "feed-exporter", "feed": "google-merchant"},
               lambda t: float(int(min(t, dropped).timestamp()) // 300 * 300))
    herring(inc, "catalog", "image-resizer", f"{REGISTRY}/catalog/image-resizer", "1.18.0", AT6 - timedelta(minutes=25))
    inc.alertmanager("ProductFeedExportFailing",
                     {"namespace": "feeds", "feed": "google-merchant", "job": "feed-exporter", "team": "growth"},
                     "Product feed export has not succeeded for 30 minutes.",
                     "Feed google-merchant has had no successful export since "
                     f"{(dropped - timedelta(minutes=3)).strftime('%H:%M')} UTC; failed runs are increasing.",
                     "time() - feed_export_last_success_timestamp_seconds > 1800 and "
                     "increase(feed_export_runs_total{result=\"failed\"}[30m]) > 0",
                     runbook="https://wiki.example.com/growth/runbooks/feed-export")
    inc.answer_key(
        culprit=("Job", "catalog", "catalog-migrate-0118"),
        keywords=["legacy_sku", "dropped column", "migration", "UndefinedColumn"],
        root_cause=("The PreSync hook migration Job catalog/catalog-migrate-0118 (catalog-api 7.0.0) dropped "
                    "products.legacy_sku (a dropped column) while feeds/feed-exporter still selects it: every "
                    "export fails with psycopg2 UndefinedColumn 'column p.legacy_sku does not exist'. Restore the "
                    "column (expand/contract) or ship the exporter's query change first."),
        category="migration-job-drops-column-still-read-by-consumer",
        red_herrings=[("Deployment", "catalog", "image-resizer")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 13, 20, tzinfo=UTC)


def storefront_errors_burn() -> Incident:
    """kustomize-configmap-generator-replace-drops-keys: an overlay's generator replaces the base ConfigMap whole.

    after: Kustomize's configMapGenerator semantics: an overlay that means to override one key but says
    `behavior: replace` (not `merge`) emits a ConfigMap with only the overlay's literals; the hashed name
    changes, the Deployment rolls onto it, and the service falls back to built-in defaults for the keys it
    lost (here, its pricing dependency's URL defaults to localhost).

    Argo CD synced the prod overlay at 12:58: ConfigMap cart/basket-api-config-8m2g7k4c9t holds only
    LOG_LEVEL; basket-api's pricing calls go to 127.0.0.1:8080 and fail; the storefront's SLO burns.
    """
    inc = Incident("storefront-basket-errors-burn", title="storefront-web error budget burn",
                   story=storefront_errors_burn.__doc__ or "", at=AT7, seed=2707, namespaces=("cart", "storefront"))
    change = AT7 - timedelta(minutes=22)
    plant(inc, "cart", "basket-api-secrets", "token", "session-signing", "SESSION_SECRET")
    full = {"LOG_LEVEL": "info", "PRICING_URL": "http://pricing-api.pricing.svc.cluster.local:8080",
            "INVENTORY_URL": "http://stock-service.inventory.svc.cluster.local:8080",
            "REDIS_URL": "redis://basket-redis.cart.svc.cluster.local:6379/0", "BASKET_TTL_DAYS": "30"}
    tracking = {"argocd.argoproj.io/tracking-id": "cart-prod:/ConfigMap:cart/basket-api-config"}
    old = inc.configmap("cart", "basket-api-config-h5t2f9bd6k", full, at=inc.born + timedelta(days=15),
                        annotations=tracking)
    changed(old, ("argocd-controller", "Apply", inc.born + timedelta(days=15), {"f:data": {}}))
    new = inc.configmap("cart", "basket-api-config-8m2g7k4c9t", {"LOG_LEVEL": "debug"}, at=change,
                        annotations=tracking)
    changed(new, ("argocd-controller", "Apply", change, {"f:data": {"f:LOG_LEVEL": {}}}))
    img = f"{REGISTRY}/cart/basket-api:4.2.0"

    def basket(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start, pino(start, 40, "PRICING_URL not set, defaulting to http://localhost:8080", hostname=pod)),
               (start, pino(start, 40, "INVENTORY_URL not set, defaulting to http://localhost:8081", hostname=pod)),
               (start + timedelta(seconds=1), pino(start + timedelta(seconds=1), 30,
                                                   "Server listening at http://0.0.0.0:8080", hostname=pod))]
        out += L.ticker(start + timedelta(seconds=15), end, 20, lambda i, t: pino(
            t, 50, "pricing lookup failed", hostname=pod, reqId=f"req-{i:x}",
            err={"type": "Error", "message": "connect ECONNREFUSED 127.0.0.1:8080",
                 "stack": "Error: connect ECONNREFUSED 127.0.0.1:8080\n    at TCPConnectWrap.afterConnect [as "
                          "oncomplete] (node:net:1607:16)", "errno": -111, "code": "ECONNREFUSED",
                 "syscall": "connect", "address": "127.0.0.1", "port": 8080}))
        return out

    def env_from(cm: str) -> dict[str, Any]:
        return {"envFrom": [{"configMapRef": {"name": cm}}, {"secretRef": {"name": "basket-api-secrets"}}]}

    revs = [Rev(23, inc.born + timedelta(days=15), "argocd sync",
                [c("basket-api", f"{REGISTRY}/cart/basket-api:4.2.0")],
                container=env_from("basket-api-config-h5t2f9bd6k")),
            Rev(24, change + timedelta(seconds=4), "argocd sync", [c("basket-api", img)],
                container=env_from("basket-api-config-8m2g7k4c9t"))]
    inc.deployment("cart", "basket-api", revs, {24: [P(log=within(basket)), P(log=within(basket)),
                                                      P(log=within(basket))]})
    broke = change + timedelta(minutes=1)

    def web(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            bad = t >= broke and i % 3 == 0
            req = "POST /api/basket/items" if i % 3 == 0 else f"GET /products/sku-{1200 + i}"
            up = "10.244.3.17:8080" if i % 3 == 0 else "10.244.2.9:8080"
            rt = 0.004 if bad else 0.041
            return (f'10.0.{i % 7}.{40 + i % 90} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "{req} HTTP/1.1" '
                    f'{503 if bad else 200} {61 if bad else 4211} "-" "Mozilla/5.0 (X11; Linux x86_64)" '
                    f'rt={rt:.3f} uct="0.001" uht="{rt - 0.001:.3f}" urt="{rt - 0.001:.3f}" upstream="{up}"')
        return L.ticker(start, end, 7, line)

    app(inc, "storefront", "storefront-web", f"{REGISTRY}/storefront/storefront-web:12.8.0", 2, log=within(web))
    http_codes(inc, "storefront", "storefront-web", (31.0, 21.0), (0.01, 10.0), broke, code="503")
    http_codes(inc, "cart", "basket-api", (10.5, 0.2), (0.0, 10.3), broke, code="503")
    herring(inc, "storefront", "search-suggest", f"{REGISTRY}/storefront/search-suggest", "2.0.7",
            AT7 - timedelta(minutes=40))
    inc.slo_burn("storefront-web", "storefront", "storefront-availability", "0.999", 33.4,
                 "storefront-web is returning 503 for about a third of requests; the 1h and 5m burn rates are both "
                 "above 14.4x.")
    inc.answer_key(
        culprit=("ConfigMap", "cart", "basket-api-config-8m2g7k4c9t"),
        keywords=["configMapGenerator", "behavior: replace", "PRICING_URL", "localhost"],
        root_cause=("The prod overlay's Kustomize configMapGenerator used behavior: replace instead of merge: "
                    "the new ConfigMap cart/basket-api-config-8m2g7k4c9t holds only LOG_LEVEL, basket-api rolled "
                    "onto it and, without PRICING_URL, calls localhost (127.0.0.1:8080, ECONNREFUSED): basket "
                    "requests fail with 503 and storefront-web's SLO burns. Use behavior: merge."),
        category="kustomize-configmap-generator-replace-drops-keys",
        red_herrings=[("Deployment", "storefront", "search-suggest")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 10, 40, tzinfo=UTC)


def order_apis_errors_grouped() -> Incident:
    """mesh-injection-server-first-protocol-database: a database namespace opted into sidecar injection.

    after: Istio's documented server-first protocol caveat: MySQL speaks first on a new connection, so a
    sidecar that must sniff the protocol of a port without a protocol prefix waits for client bytes that
    never come; every new database connection stalls until the client's connect timeout. It appears as
    soon as a database namespace is labelled for injection and its pods restart.

    The platform team labelled namespace mysql-shared `istio-injection=enabled` at 10:12 and restarted the
    MySQL StatefulSet; fulfilment-api and orders-api cannot open new connections; a grouped alert fires.
    """
    inc = Incident("order-apis-errors-grouped", title="HTTP error rate high in fulfilment and orders",
                   story=order_apis_errors_grouped.__doc__ or "", at=AT8, seed=2708,
                   namespaces=("mysql-shared", "fulfilment", "orders", "istio-system"))
    labelled = AT8 - timedelta(minutes=28)
    restarted = labelled + timedelta(minutes=3)
    plant(inc, "mysql-shared", "mysql-root", "password", "mysql-root", "MYSQL_ROOT_PASSWORD")
    ns = inc.find("Namespace", "", "mysql-shared")
    ns["metadata"]["labels"]["istio-injection"] = "enabled"
    changed(ns, ("kubectl-create", "Update", inc.born, {"f:metadata": {}}),
            ("kubectl-label", "Update", labelled, {"f:metadata": {"f:labels": {"f:istio-injection": {}}}}))
    proxy_img = "docker.io/istio/proxyv2:1.23.2"

    def mysql(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start, f"{start.strftime('%Y-%m-%dT%H:%M:%S')}.118237Z 0 [System] [MY-010116] [Server] "
                        "/usr/sbin/mysqld (mysqld 8.0.39) starting as process 1"),
                (start + timedelta(seconds=6), f"{(start + timedelta(seconds=6)).strftime('%Y-%m-%dT%H:%M:%S')}"
                 ".402113Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: "
                 "'8.0.39'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL."),
                *L.ticker(start + timedelta(minutes=2), end, 60, lambda i, t:
                          f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.0{i % 9}1200Z {1400 + i} [Note] [MY-010914] [Server] "
                          f"Aborted connection {1400 + i} to db: 'orders' user: 'orders' host: '127.0.0.6' (Got "
                          "timeout reading communication packets).")]

    db = inc.statefulset("mysql-shared", "mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306,
                                                     memory_limit="4Gi", readiness_path=None, liveness_path=None)],
                         [P(log=within(mysql), created=restarted)], inc.born, claims=[("data", "200Gi", "gp3")],
                         service=3306)
    db.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "kubectl.kubernetes.io/restartedAt"] = ts(restarted)
    svc = inc.find("Service", "mysql-shared", "mysql")
    svc["spec"]["ports"][0]["name"] = "db"
    pod = db.pods[0]

    def inject(obj: dict[str, Any]) -> None:
        obj["metadata"].setdefault("annotations", {}).update({
            "sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                       '"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token",'
                                       '"istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}'})
        obj["metadata"]["labels"].update({"security.istio.io/tlsMode": "istio",
                                          "service.istio.io/canonical-name": "mysql"})
        obj["spec"]["initContainers"] = [{"name": "istio-init", "image": proxy_img,
                                          "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
                                                   "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d",
                                                   "15090,15021,15020"]}]
        obj["spec"]["containers"].append({"name": "istio-proxy", "image": proxy_img,
                                          "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster"
                                                   ".local", "--proxyLogLevel=warning"],
                                          "ports": [{"containerPort": 15090, "name": "http-envoy-prom"}]})
        first = obj["status"]["containerStatuses"][0]
        obj["status"]["containerStatuses"].append({**first, "name": "istio-proxy", "image": proxy_img,
                                                   "imageID": o.image_id(proxy_img),
                                                   "containerID": o.container_id(obj["metadata"]["name"] + "/px")})

    inc.cluster.patch("mysql-shared", pod.name, inject)

    def envoy_tcp(i: int, t: datetime) -> str:
        return (f'[{t.strftime("%Y-%m-%dT%H:%M:%S")}.{i % 1000:03d}Z] "- - -" 0 - - - "-" 0 0 10001 - "-" "-" "-" '
                f'"-" "10.244.{1 + i % 3}.{20 + i % 40}:3306" inbound|3306|| 127.0.0.6:{40000 + i} '
                f'10.244.4.31:3306 10.244.{1 + i % 3}.{20 + i % 40}:{50000 + i} - -')
    inc.log_block("mysql-shared", pod.name, "istio-proxy",
                  L.lines(L.ticker(restarted + timedelta(minutes=1), inc.captured, 20, lambda i, t: envoy_tcp(i, t))))
    broke = restarted + timedelta(minutes=1)

    def fulfil(pod_: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, min(end, broke), 90, lambda i, t: L.spring(
            t, "INFO", "c.a.f.shipments.ShipmentService", f"allocated shipment s-{7700 + i}",
            thread="http-nio-8080-exec-3"))
        for i, t in enumerate(L.every(max(start, broke), end, 45)):
            out.append((t, L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                                    "HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@"
                                    f"{0x3f2a11 + i:x} (No operations allowed after connection closed.). Possibly "
                                    "consider using a shorter maxLifetime value.", thread="http-nio-8080-exec-7")))
            out.append((t + timedelta(seconds=10), L.spring(
                t + timedelta(seconds=10), "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                "Servlet.service() for servlet [dispatcherServlet] threw exception\n"
                "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\n"
                "The last packet sent successfully to the server was 0 milliseconds ago. The driver has not received "
                "any packets from the server.\n"
                "\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:175)\n"
                "\tat com.mysql.cj.jdbc.ConnectionImpl.createNewIO(ConnectionImpl.java:825)\n"
                "\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:476)\n"
                "Caused by: java.net.SocketTimeoutException: Read timed out\n"
                "\tat com.mysql.cj.protocol.a.NativeProtocol.readServerCapabilities(NativeProtocol.java:490)",
                thread="http-nio-8080-exec-7")))
        return out

    def orders(pod_: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, min(end, broke), 60, lambda i, t: L.logfmt(t, "info", "order placed",
                                                                        order=f"o-{99100 + i}", ms=23 + i % 11))
        for i, t in enumerate(L.every(max(start, broke), end, 30)):
            out.append((t, L.go_std(t, "[mysql] packets.go:58 read tcp 10.244.2.41:"
                                       f"{51200 + i}->172.20.0.9:3306: i/o timeout")))
            out.append((t, L.logfmt(t, "error", "place order failed", order=f"o-{99400 + i}",
                                    err="driver: bad connection")))
        return out

    app(inc, "fulfilment", "fulfilment-api", f"{REGISTRY}/fulfilment/fulfilment-api:3.12.1", 2, log=within(fulfil))
    app(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:8.1.0", 3, log=within(orders))
    http_codes(inc, "fulfilment", "fulfilment-api", (14.0, 9.0), (0.01, 5.0), broke)
    http_codes(inc, "orders", "orders-api", (22.0, 15.0), (0.02, 7.0), broke)
    herring(inc, "orders", "orders-worker", f"{REGISTRY}/orders/orders-worker", "8.1.0", AT8 - timedelta(minutes=45))
    alerts = [alert(inc, "HTTPErrorRateHigh", {"namespace": ns_, "service": svc_, "job": svc_},
                    f"{svc_} is returning 5xx for {pct}% of requests.",
                    f"{svc_} in namespace {ns_} has a 5xx ratio of {pct}% over the last 5 minutes.",
                    f'sum(rate(http_requests_total{{namespace="{ns_}",code=~"5.."}}[5m])) / '
                    f'sum(rate(http_requests_total{{namespace="{ns_}"}}[5m])) > 0.05', severity="critical")
              for ns_, svc_, pct in (("fulfilment", "fulfilment-api", 36), ("orders", "orders-api", 32))]
    send(inc, alerts, ["alertname"])
    inc.answer_key(
        culprit=("Namespace", "", "mysql-shared"),
        keywords=["istio-injection", "sidecar", "server-first", "protocol sniffing"],
        root_cause=("Namespace mysql-shared was labelled istio-injection=enabled and MySQL restarted with an "
                    "istio-proxy sidecar. MySQL is a server-first protocol and its Service port is named db "
                    "(no protocol prefix), so the "
                    "sidecar waits on protocol sniffing for client bytes while the client waits for the server "
                    "greeting: new connections from fulfilment-api and orders-api time out. Remove the label (or "
                    "name the port tcp-mysql / exclude port 3306) and restart MySQL."),
        category="mesh-injection-server-first-protocol-database",
        red_herrings=[("Deployment", "orders", "orders-worker")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)
PROD_TAG = "prod-3e9a1c4-1764838800"
DEV_TAG = "dev-4f1c2ab-1764863100"


def card_payments_failing_page() -> Incident:
    """flux-image-policy-filter-selects-dev-tags: an image automation filter widened to match development builds.

    after: Flux image automation's tag-filter pitfall: an ImagePolicy's filterTags pattern, loosened to
    also accept a new tag prefix, matches the development builds too; with numerical ordering on the
    extracted timestamp the newest dev build wins, the ImageUpdateAutomation commits it and the cluster
    runs a build compiled with the sandbox configuration.

    ImagePolicy flux-system/payment-gateway-builds' pattern was edited at 15:31 to `^[a-z]+-...`; Flux
    rolled payments/payment-gateway to a dev-* build at 15:38 that calls the provider's sandbox with the
    live key: every charge gets 401; PagerDuty pages on card payments failing.
    """
    inc = Incident("gateway-charges-failing-page", title="Card payments failing",
                   story=card_payments_failing_page.__doc__ or "", at=AT9, seed=2709,
                   namespaces=("payments", "flux-system"))
    edit = AT9 - timedelta(minutes=34)
    rolled = edit + timedelta(minutes=7)
    key = plant(inc, "payments", "payment-gateway-provider", "stripe", "gateway-live", "PROVIDER_SECRET_KEY")
    group = "image.toolkit.fluxcd.io"
    for kind, plural in (("ImageRepository", "imagerepositories"), ("ImagePolicy", "imagepolicies"),
                         ("ImageUpdateAutomation", "imageupdateautomations")):
        crd(inc, kind, group, plural, version="v1beta2")
    repo_img = f"{REGISTRY}/payments/payment-gateway"
    inc.add({"apiVersion": f"{group}/v1beta2", "kind": "ImageRepository",
             "metadata": {"name": "payment-gateway", "namespace": "flux-system"},
             "spec": {"image": repo_img, "interval": "5m", "secretRef": {"name": "registry-auth"}},
             "status": {"canonicalImageName": repo_img, "lastScanResult": {"tagCount": 412,
                                                                           "scanTime": ts(AT9 - timedelta(minutes=3)),
                                                                           "latestTags": [DEV_TAG, PROD_TAG]}}})
    policy = inc.add({
        "apiVersion": f"{group}/v1beta2", "kind": "ImagePolicy",
        "metadata": {"name": "payment-gateway-builds", "namespace": "flux-system", "generation": 5},
        "spec": {"imageRepositoryRef": {"name": "payment-gateway"},
                 "filterTags": {"pattern": r"^[a-z]+-[a-f0-9]{7}-(?P<ts>[0-9]+)$", "extract": "$ts"},
                 "policy": {"numerical": {"order": "asc"}}},
        "status": {"latestImage": f"{repo_img}:{DEV_TAG}", "previousImage": f"{repo_img}:{PROD_TAG}",
                   "observedGeneration": 5,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                   "message": f"Latest image tag for '{repo_img}' updated from {PROD_TAG} to "
                                              f"{DEV_TAG}", "lastTransitionTime": ts(edit + timedelta(seconds=30))}]}})
    changed(policy, ("kustomize-controller", "Apply", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("kustomize-controller", "Apply", edit, {"f:spec": {"f:filterTags": {"f:pattern": {}}}}))
    inc.add({"apiVersion": f"{group}/v1beta2", "kind": "ImageUpdateAutomation",
             "metadata": {"name": "payments-apps", "namespace": "flux-system"},
             "spec": {"interval": "5m", "sourceRef": {"kind": "GitRepository", "name": "fleet"},
                      "git": {"checkout": {"ref": {"branch": "main"}},
                              "commit": {"author": {"name": "fluxcdbot", "email": "flux@example.com"},
                                         "messageTemplate": "chore: update images"}, "push": {"branch": "main"}},
                      "update": {"path": "./apps/payments/prod", "strategy": "Setters"}},
             "status": {"lastAutomationRunTime": ts(rolled - timedelta(minutes=2)),
                        "lastPushCommit": "9c1e2f7a0b4d", "lastPushTime": ts(rolled - timedelta(minutes=2))}})
    env = [{"name": "PROVIDER_SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "payment-gateway-provider",
                                                                         "key": "PROVIDER_SECRET_KEY"}}}]

    def gw(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start, L.js(start, "info", "payment-gateway starting", build=DEV_TAG, profile="development",
                            provider_base_url="https://api.sandbox.cardprovider.example/v2")),
               (start, L.js(start, "warn", "development profile active: provider calls go to the sandbox"))]
        out += L.ticker(start + timedelta(seconds=20), end, 15, lambda i, t: L.js(
            t, "error", "charge failed", order=f"o-{51200 + i}", provider_status=401,
            provider_error="authentication_error: Invalid API key provided: sk_live_****" + key[-4:],
            duration_ms=88 + i % 30))
        return out

    revs = [Rev(57, inc.born + timedelta(days=30), "flux", [c("payment-gateway", f"{repo_img}:{PROD_TAG}", env=env)]),
            Rev(58, rolled, "flux", [c("payment-gateway", f"{repo_img}:{DEV_TAG}", env=env)])]
    inc.deployment("payments", "payment-gateway", revs, {58: [P(log=within(gw)), P(log=within(gw)),
                                                             P(log=within(gw))]},
                   labels={"kustomize.toolkit.fluxcd.io/name": "payments-prod",
                           "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
    for result, (before, after) in (("succeeded", (3.2, 0.0)), ("failed", (0.01, 3.1))):
        inc.series("payment_charges", "counter", "Card charges by result.",
                   {"namespace": "payments", "job": "payment-gateway", "result": result},
                   counter(AT9 - timedelta(hours=2), before, after, rolled))
    herring(inc, "payments", "refund-service", f"{REGISTRY}/payments/refund-service", "4.0.2",
            AT9 - timedelta(minutes=55))
    inc.pagerduty("Card payments failing: charge success rate 0% (payment-gateway)", "Payments")
    inc.answer_key(
        culprit=("ImagePolicy", "flux-system", "payment-gateway-builds"),
        keywords=["ImagePolicy", "filterTags", "dev build", "image automation"],
        root_cause=("The Flux ImagePolicy flux-system/payment-gateway-builds' filterTags pattern was widened to "
                    "^[a-z]+-..., which matches dev-* tags; numerical ordering picked a dev build and image "
                    f"automation rolled payment-gateway to {DEV_TAG}, built with the development profile "
                    "(sandbox provider URL), so the live key gets 401 on every charge. Restore the prod- pattern "
                    "and roll back to the prod build."),
        category="flux-image-policy-filter-selects-dev-tags",
        red_herrings=[("Deployment", "payments", "refund-service")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 1, 8, 50, tzinfo=UTC)


def invoice_queue_backlog() -> Incident:
    """image-entrypoint-changed-args-start-web-server: a new image's ENTRYPOINT turns the worker's args into a server.

    after: the Docker ENTRYPOINT/CMD interaction many teams hit: Kubernetes `args` replace the image's CMD
    and are passed to its ENTRYPOINT; a Dockerfile rewrite changed the ENTRYPOINT from a dispatching shell
    script to `node dist/server.js`, so the Deployment's `args: ["worker"]` now starts the HTTP server and no
    queue consumer runs at all. Pods are Running and healthy; the queue fills.

    billing/invoice-renderer 3.0.0 rolled at 07:55; its pods print only "Server listening"; RabbitMQ queue
    invoices.render has no consumers and its backlog pages.
    """
    inc = Incident("invoice-queue-backlog", title="RabbitMQ queue invoices.render backlog growing",
                   story=invoice_queue_backlog.__doc__ or "", at=AT10, seed=2710, namespaces=("billing", "rabbitmq"))
    change = AT10 - timedelta(minutes=55)
    plant(inc, "billing", "rabbitmq-credentials", "password", "billing-amqp", "AMQP_PASSWORD")
    img = f"{REGISTRY}/billing/invoice-renderer"

    def server(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start, pino(start, 30, "invoice-renderer 3.0.0 (node v22.11.0)", hostname=pod)),
                (start + timedelta(milliseconds=300), pino(start + timedelta(milliseconds=300), 30,
                                                           "Server listening at http://0.0.0.0:3000", hostname=pod)),
                (start + timedelta(milliseconds=310), pino(start + timedelta(milliseconds=310), 30,
                                                           "Server listening at http://[::]:3000", hostname=pod))]

    revs = [Rev(4, inc.born + timedelta(days=21), "argocd sync",
                [c("invoice-renderer", f"{img}:2.9.1", port=None, readiness_path=None, liveness_path=None)],
                container={"args": ["worker"]}),
            Rev(5, change, "argocd sync",
                [c("invoice-renderer", f"{img}:3.0.0", port=None, readiness_path=None, liveness_path=None)],
                container={"args": ["worker"]})]
    inc.deployment("billing", "invoice-renderer", revs, {5: [P(log=within(server)) for _ in range(3)]})
    consumers_gone = change + timedelta(minutes=1)

    def broker(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 600, lambda i, t: f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 9}31872+00:00 [info] "
                       "<0.1278.0> accepting AMQP connection 10.244.1.{} -> 10.244.5.12:5672".format(30 + i % 50))
        for i in range(3):
            t = change + timedelta(seconds=20 + 25 * i)
            if start <= t <= end:
                out.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')}.402118+00:00 [info] <0.{2210 + i}.0> closing "
                               f"AMQP connection <0.{2210 + i}.0> (10.244.{1 + i}.{60 + i}:{43120 + i} -> "
                               "10.244.5.12:5672, vhost: 'billing', user: 'billing')"))
        return sorted(out)

    inc.statefulset("rabbitmq", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                                port=5672, memory_limit="2Gi")],
                    [P(log=within(broker))], inc.born, service=5672)
    labels = {"namespace": "rabbitmq", "job": "rabbitmq", "vhost": "billing", "queue": "invoices.render"}
    inc.series("rabbitmq_queue_consumers", "gauge", "Consumers on a queue", dict(labels), step(3, 0, consumers_gone))
    inc.series("rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers", dict(labels),
               ramp(12, 1.9, consumers_gone))
    inc.series("rabbitmq_queue_messages_published", "counter", "Messages published to a queue", dict(labels),
               counter(AT10 - timedelta(hours=2), 1.9, 1.9, AT10))
    herring(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api", "6.3.0", AT10 - timedelta(minutes=70))
    inc.alertmanager("RabbitMQQueueBacklog", {"namespace": "rabbitmq", "vhost": "billing", "queue": "invoices.render",
                                              "job": "rabbitmq", "team": "billing"},
                     "Queue invoices.render is growing and has no consumers.",
                     "Queue billing/invoices.render has 5400 messages ready and 0 consumers for 30 minutes.",
                     'rabbitmq_queue_messages_ready{queue="invoices.render"} > 1000 and '
                     'rabbitmq_queue_consumers{queue="invoices.render"} == 0',
                     runbook="https://wiki.example.com/billing/runbooks/queue-backlog")
    inc.answer_key(
        culprit=("Deployment", "billing", "invoice-renderer"),
        keywords=["ENTRYPOINT", "args", "no consumers", "web server"],
        root_cause=("invoice-renderer 3.0.0 (revision 5) changed the image ENTRYPOINT to `node dist/server.js`; "
                    "the Deployment's args [\"worker\"] are now passed to that entrypoint, so the pods start the "
                    "web server (\"Server listening at :3000\") instead of the queue worker: invoices.render has "
                    "no consumers and its backlog grows. Set command to the worker entrypoint or roll back to 2.9.1."),
        category="image-entrypoint-changed-args-start-web-server",
        red_herrings=[("Deployment", "billing", "invoice-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 2, 12, 35, tzinfo=UTC)


def search_api_replicas_mismatch() -> Incident:
    """helmrelease-postrenderer-patch-targets-every-deployment: a name-less post-renderer patch hits all Deployments.

    after: Flux HelmRelease post-renderers apply Kustomize patches to the rendered chart; a patch whose
    target selects only `kind: Deployment` (no name) applies to every Deployment of the release. Here a
    256Mi memory limit meant for the chart's small exporter also lands on the JVM API, whose new pods are
    OOMKilled while starting.

    HelmRelease search/search-stack gained a postRenderers patch at 12:02; helm-controller re-rendered the
    release and search-api's new ReplicaSet has limits.memory 256Mi: OOMKilled crash loop, rollout stuck.
    """
    inc = Incident("search-api-replicas-mismatch", title="Deployment search/search-api has replicas unavailable",
                   story=search_api_replicas_mismatch.__doc__ or "", at=AT11, seed=2711, namespaces=("search",))
    change = AT11 - timedelta(minutes=33)
    plant(inc, "search", "search-api-opensearch", "password", "opensearch-search-api", "OPENSEARCH_PASSWORD")
    group = "helm.toolkit.fluxcd.io"
    crd(inc, "HelmRelease", group, "helmreleases", version="v2")
    patch = ("- op: add\n  path: /spec/template/spec/containers/0/resources/limits/memory\n  value: 256Mi\n")
    release = inc.add({
        "apiVersion": f"{group}/v2", "kind": "HelmRelease",
        "metadata": {"name": "search-stack", "namespace": "search", "generation": 14},
        "spec": {"interval": "10m", "releaseName": "search-stack",
                 "chart": {"spec": {"chart": "search-stack", "version": "3.8.1",
                                    "sourceRef": {"kind": "HelmRepository", "name": "internal-charts",
                                                  "namespace": "flux-system"}}},
                 "values": {"api": {"replicas": 3, "resources": {"limits": {"memory": "2Gi"}}},
                            "exporter": {"enabled": True}},
                 "postRenderers": [{"kustomize": {"patches": [{"target": {"kind": "Deployment"},
                                                               "patch": patch}]}}]},
        "status": {"lastAttemptedRevision": "3.8.1", "lastAttemptedGeneration": 14, "observedGeneration": 14,
                   "history": [{"chartName": "search-stack", "chartVersion": "3.8.1", "version": 23,
                                "status": "deployed", "firstDeployed": ts(change + timedelta(minutes=1))}],
                   "conditions": [{"type": "Ready", "status": "True", "reason": "UpgradeSucceeded",
                                   "message": "Helm upgrade succeeded for release search/search-stack.v23 with "
                                              "chart search-stack@3.8.1",
                                   "lastTransitionTime": ts(change + timedelta(minutes=1))}]}})
    changed(release, ("kustomize-controller", "Apply", inc.born + timedelta(days=10), {"f:spec": {}}),
            ("kustomize-controller", "Apply", change, {"f:spec": {"f:postRenderers": {}}}))
    img = f"{REGISTRY}/search/search-api:5.2.0"

    def boot(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start, L.spring(start, "INFO", "c.e.search.SearchApiApplication",
                                 "Starting SearchApiApplication v5.2.0 using Java 21.0.5 with PID 1")),
                (start + timedelta(seconds=4), L.spring(start + timedelta(seconds=4), "INFO",
                                                        "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                        "Tomcat initialized with port 8080 (http)")),
                (start + timedelta(seconds=9), L.spring(start + timedelta(seconds=9), "INFO",
                                                        "c.e.search.index.SynonymCache",
                                                        "loading synonym dictionaries (14 locales)"))]

    def ok(pod: str, start: datetime, end: datetime) -> Lines:
        return boot(pod, start, end) + L.ticker(start + timedelta(seconds=30), end, 120, lambda i, t: L.spring(
            t, "INFO", "c.e.search.api.QueryController", f"served {840 + i} queries, p95 41ms",
            thread="scheduling-1"))

    jvm = {"env": [{"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75"}]}
    revs = [Rev(18, inc.born + timedelta(days=12), "helm upgrade",
                [c("search-api", img, memory_limit="2Gi", memory_request="1536Mi")], container=jvm),
            Rev(19, change + timedelta(minutes=1), "helm upgrade",
                [c("search-api", img, memory_limit="256Mi", memory_request="1536Mi")], container=jvm)]
    wl = inc.deployment("search", "search-api", revs,
                        {18: [P(log=within(ok)), P(log=within(ok)), P(log=within(ok))],
                         19: [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(boot),
                                run_s=lambda n: 12.0, memory_mi=255)]},
                        progress="progressing", replicas=3,
                        labels={"helm.toolkit.fluxcd.io/name": "search-stack",
                                "helm.toolkit.fluxcd.io/namespace": "search"})
    inc.pod_series(wl.pods)
    ex = [Rev(6, inc.born + timedelta(days=12), "helm upgrade",
              [c("search-exporter", f"{REGISTRY}/search/search-exporter:1.4.0", memory_limit="512Mi")]),
          Rev(7, change + timedelta(minutes=1), "helm upgrade",
              [c("search-exporter", f"{REGISTRY}/search/search-exporter:1.4.0", memory_limit="256Mi")])]
    inc.deployment("search", "search-exporter", ex, {7: [P()]})
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "2.7.0", AT11 - timedelta(minutes=50))
    inc.alertmanager("KubeDeploymentReplicasMismatch",
                     {"namespace": "search", "deployment": "search-api", "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment search/search-api has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(
        culprit=("HelmRelease", "search", "search-stack"),
        keywords=["postRenderers", "memory limit", "OOMKilled", "patch target"],
        root_cause=("HelmRelease search/search-stack gained a postRenderers Kustomize patch whose patch target is "
                    "every Deployment (kind only, no name): it sets a 256Mi memory limit meant for search-exporter "
                    "on search-api too, whose JVM pods are OOMKilled while starting and the rollout stalls. Add a "
                    "name to the patch target."),
        category="helmrelease-postrenderer-patch-targets-every-deployment",
        red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def node_slow_question() -> Incident:
    """security-agent-daemonset-all-events-cpu: an agent DaemonSet's new flag makes it trace every syscall.

    after: the runtime-security agent overhead reports: Falco's `-A` option makes the driver capture all
    events, including the high-volume ones it ignores by default; on a node with heavy network and file
    traffic the agent eats several cores, drops events and starves the pods beside it.

    DaemonSet security/falco was re-applied at 07:48 with `-A`; on the node that runs the busy gateway it
    uses ~3 cores, the node's CPU saturates and every pod there slows down. Someone asks about the node.
    """
    inc = Incident("node-slow-question", title="what is slowing one node down?",
                   story=node_slow_question.__doc__ or "", at=AT12, seed=2712, namespaces=("security", "edge"))
    change = AT12 - timedelta(hours=1, minutes=42)
    plant(inc, "security", "falco-sidekick-webhook", "slack", "falco-alerts", "SLACK_WEBHOOK_TOKEN")
    cl = inc.cluster
    busy = node(inc, 2)
    pods = cl.daemonset("security", "falco", "docker.io/falcosecurity/falco:0.39.2", inc.born + timedelta(days=3),
                        memory_mi=180)
    ds = inc.find("DaemonSet", "security", "falco")
    container = ds["spec"]["template"]["spec"]["containers"][0]
    container["args"] = ["/usr/bin/falco", "-A", "-o", "engine.kind=modern_ebpf", "-o",
                         "json_output=true"]
    container["resources"]["limits"]["cpu"] = "4"
    ds["metadata"]["generation"] = 7
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "7"
    ds["status"]["observedGeneration"] = 7
    controller_revision(inc, "security", "falco", 6, inc.born + timedelta(days=20),
                        {"spec": {"template": {"spec": {"containers": [{"name": "falco", "args": [
                            "/usr/bin/falco", "-o", "engine.kind=modern_ebpf", "-o", "json_output=true"]}]}}}})
    controller_revision(inc, "security", "falco", 7, change, {"spec": {"template": {"spec": {"containers": [
        {"name": "falco", "args": container["args"]}]}}}})
    changed(ds, ("argocd-controller", "Apply", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"falco"}': {"f:args": {}}}}}}}))
    start = change + timedelta(minutes=1)
    for h in pods:
        if h.node != busy:
            continue
        t0 = max(start, inc.captured - timedelta(hours=2))
        entries = [(t, json.dumps({"hostname": busy, "output": "Falco internal: syscall event drop. "
                                   f"{41000 + i * 377} system calls dropped in last second.",
                                   "output_fields": {"n_drops": 41000 + i * 377, "n_evts": 912000 + i * 1301},
                                   "priority": "Critical", "rule": "Falco internal: syscall event drop",
                                   "source": "syscall", "time": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                                  separators=(",", ":")))
                   for i, t in enumerate(L.every(t0, inc.captured, 30))]
        h.logs = {"falco": L.lines(entries)}
    for h in pods:
        cores = 3.1 if h.node == busy else 0.35
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed by the container in "
                   "core-seconds", {"namespace": "security", "pod": h.name, "container": "falco", "node": h.node,
                                    "job": "kubelet"},
                   counter(AT12 - timedelta(hours=2), 0.08, cores, start))
    for n in inc.node_names():
        idle = 0.12 if n == busy else 0.55
        inc.series("node_cpu_seconds", "counter", "Seconds the CPUs spent in each mode.",
                   {"instance": n, "job": "node-exporter", "mode": "idle", "cpu": "0"},
                   counter(AT12 - timedelta(hours=2), 0.6, idle, start))
    edge = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
               [c("edge-gateway", f"{REGISTRY}/edge/edge-gateway:2.11.0", cpu_request="1")])
    inc.deployment("edge", "edge-gateway", [edge], {1: [P(node=busy), P(node=busy)]})
    herring(inc, "edge", "edge-config-reloader", f"{REGISTRY}/edge/edge-config-reloader", "0.9.0",
            AT12 - timedelta(minutes=30))
    inc.ask(f"why is everything on {busy} so slow since this morning?")
    inc.answer_key(
        culprit=("DaemonSet", "security", "falco"),
        keywords=["Falco", "-A", "syscall", "CPU"],
        root_cause=("DaemonSet security/falco was re-applied at 07:48 with -A (capture all syscall events, "
                    f"including the high-volume ones ignored by default): on {busy}, which carries the busy edge "
                    "gateway, falco uses about 3 CPU cores and drops events, saturating the node's CPU so every pod "
                    "there slows down. Remove -A (or raise base_syscalls filtering) and roll the DaemonSet back."),
        category="security-agent-daemonset-all-events-cpu",
        red_herrings=[("Deployment", "edge", "edge-config-reloader")])
    return inc


ALL = [payout_submissions_failing_page, statements_job_failed, ledger_store_replicas_mismatch, stock_service_crashloop,
       checkout_releases_aborted_question, product_feed_export_failing, storefront_errors_burn,
       order_apis_errors_grouped, card_payments_failing_page, invoice_queue_backlog, search_api_replicas_mismatch,
       node_slow_question]
