"""Round 47 of the held-out incident set: time, clocks and ordering.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). The causes live where
time breaks things: NTP egress, leader-election deadlines, rate-limit windows, overlapping schedules, token
not-before claims, broker timestamp windows, certificate lifetimes, log-shipper time parsing, ZooKeeper ticks,
copied temporary credentials, autoscaler stabilization windows and HTML cache lifetimes.
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
from corpus.kit import REGISTRY, Incident, P, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    ms,
    node,
    plant,
    revision,
    rolled,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def phases(at: datetime, before: Tick, after: Tick, step_s: float = 20) -> Make:
    """Pod logs that tick with `before` until `at` and with `after` from then on."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, step_s, lambda i, t: before(i, t) if t < at else after(i, t))
    return make


def workload(inc: Incident, ns: str, name: str, make: Make, replicas: int = 2, nodes: list[str] | None = None,
             version: str = "", **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble (if any) shows in logs and metrics, not in pod state."""
    from corpus.kit import Rev
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:{version or f'3.{len(name)}.1'}", **kw)])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by Argo CD and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 6}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def builtin(inc: Incident, api: str, kind: str, ns: str, name: str, body: dict[str, Any], manager: str,
            chg: datetime, fields: dict[str, Any]) -> dict[str, Any]:
    """A built-in object created by Helm long ago and last changed by `manager` at `chg`."""
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns, "generation": 4},
                   **body})
    return changed(obj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def gauge(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "gauge", help_, labels, fn, 30)


def tally(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "counter", help_, labels, fn, 30)


def nodelike(inc: Incident, name: str, ns: str, spec: dict[str, Any], at: datetime, old: dict[str, Any],
             new: dict[str, Any]) -> None:
    """A DaemonSet with two ControllerRevisions: `old` long ago and `new` (the running one) at `at`."""
    inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": name, "namespace": ns, "generation": 2, "labels": {"app": name}},
             "spec": {"selector": {"matchLabels": {"app": name}}, "template": new,
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}, **spec},
             "status": {"desiredNumberScheduled": 4, "currentNumberScheduled": 4, "numberReady": 4,
                        "updatedNumberScheduled": 4, "numberAvailable": 4, "observedGeneration": 2}})
    revision(inc, "DaemonSet", ns, name, 1, inc.born + timedelta(days=8), old)
    revision(inc, "DaemonSet", ns, name, 2, at, new)


def tmpl(name: str, image: str, args: list[str] | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod template holding one container."""
    box: dict[str, Any] = {"name": name, "image": image}
    if args:
        box["args"] = args
    if env:
        box["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"metadata": {"labels": {"app": name}}, "spec": {"containers": [box], "hostNetwork": False}}


def envs(values: dict[str, str]) -> list[dict[str, Any]]:
    """Container env entries from a plain mapping."""
    return [{"name": k, "value": v} for k, v in values.items()]


def const(value: float) -> Series:
    """A flat gauge."""
    return lambda t: value


def drifting(since: datetime, per_s: float) -> Series:
    """A clock offset growing `per_s` seconds each second from `since` (a clock nobody disciplines)."""
    return lambda t: round(max(0.0, (t - since).total_seconds()) * per_s, 3)


def minute(t: datetime) -> str:
    """The CronJob controller names each Job after its scheduled time in minutes since the epoch."""
    return str(int(t.timestamp() // 60))


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)


def mfa_question_host() -> Incident:
    """Calico GlobalNetworkPolicy closes UDP 123 egress for the dmz node pool: chrony loses its sources, the node
    clock wanders, TOTP codes checked there fall outside the accepted window.

    after: host firewall changes that silently block NTP, followed by 'invalid code' reports from two-factor login
    on the one machine whose clock drifted, a recurring on-call story in vendor forums and postmortems.
    """
    inc = start(mfa_question_host, "Node rejects one-time codes", AT1, 4701, ("identity", "calico-system"))
    chg = AT1 - timedelta(hours=14)
    dmz = node(inc, 2)
    custom(inc, "GlobalNetworkPolicy", "crd.projectcalico.org/v1", "globalnetworkpolicies", "", "dmz-host-egress",
           {"order": 100, "selector": "nodepool == 'dmz'", "applyOnForward": True, "types": ["Egress"],
            "egress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [443, 5432, 6379]}},
                       {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                       {"action": "Deny"}]},
           {}, "calicoctl", chg, {"f:spec": {"f:egress": {}}}, scope="Cluster")
    drift = lambda t: 0.0 if t < chg else round((t - chg).total_seconds() * 0.0009, 3)  # noqa: E731
    for i, n in enumerate(inc.node_names()):
        gauge(inc, "node_timex_offset_seconds", "Time offset in between local system and reference clock.",
              {"instance": f"{n}:9100", "node": n, "job": "node-exporter"},
              drift if n == dmz else const(0.0004 * (i + 1)))
        gauge(inc, "node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
              {"instance": f"{n}:9100", "node": n, "job": "node-exporter"},
              step(1, 0, chg + timedelta(minutes=17)) if n == dmz else (lambda t: 1.0))

    def bad(i: int, t: datetime) -> str | None:
        if i % 3:
            return None
        return L.js(t, "warn", "totp verification failed", error="code outside allowed window", window=1,
                    step=30, user_id=f"u-{48213 + i}", route="/v1/mfa/verify")
    ok = lambda i, t: L.js(t, "info", "request completed", route="/v1/mfa/verify", status=200,  # noqa: E731
                            latency_ms=12 + i % 9) if i % 4 == 0 else None
    workload(inc, "identity", "mfa-verifier", phases(AT1 - timedelta(hours=2), ok, bad), replicas=1, nodes=[dmz])
    workload(inc, "identity", "mfa-verifier-internal", phases(AT1, ok, ok), replicas=1, nodes=[node(inc, 0)])
    herring(inc, "identity", "login-ui", f"{REGISTRY}/identity/login-ui", "5.2.0", "5.3.0",
            AT1 - timedelta(hours=3))
    plant(inc, "identity", "mfa-seed-key", "token", "totp-seed-kek", "kek")
    inc.ask(f"since this morning people whose login lands on {dmz} say their authenticator codes are refused; "
            f"what's wrong with that node?")
    inc.answer_key(culprit=("GlobalNetworkPolicy", "", "dmz-host-egress"),
                   keywords=["NTP", "UDP 123", "clock", "GlobalNetworkPolicy"],
                   root_cause="GlobalNetworkPolicy dmz-host-egress (calicoctl, 14 h before) allows only TCP 443/5432/"
                              "6379 and DNS egress from the dmz pool; chrony's NTP (UDP 123) is denied, the node "
                              "clock drifts and TOTP codes fall outside the one-step window",
                   category="ntp-egress-denied-by-host-policy",
                   red_herrings=[("Deployment", "identity", "login-ui")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 5, 11, 5, tzinfo=UTC)


def shard_operator_crashloop() -> Incident:
    """Operator release sets leader-election renew deadline 14 s against a 15 s lease on a busy API server: every
    slow renewal loses leadership and the process exits (simple).

    after: controller-runtime and client-go operators restarting with 'leader election lost' after their
    lease/renew/retry durations were tightened, a frequent issue-tracker and on-call report.
    """
    inc = start(shard_operator_crashloop, "shard-operator restarting", AT2, 4702, ("platform-ops",))
    chg = AT2 - timedelta(hours=3)
    old = c("manager", f"{REGISTRY}/platform-ops/shard-operator:1.8.4")
    new = c("manager", f"{REGISTRY}/platform-ops/shard-operator:1.9.0")
    old_args = {"args": ["--leader-elect", "--metrics-bind-address=:8080"]}
    new_args = {"args": ["--leader-elect", "--leader-elect-lease-duration=15s", "--leader-elect-renew-deadline=14s",
                         "--leader-elect-retry-period=2s", "--metrics-bind-address=:8080"]}
    lease = "shard-operator.platform.example.com"

    def logs(pod: str, s: datetime, e: datetime) -> Lines:
        def tick(i: int, t: datetime) -> str | None:
            if e - timedelta(seconds=6) <= t < e - timedelta(seconds=4):
                return L.klog(t, "E", "leaderelection.go:369", f'Failed to update lock: Put "https://10.96.0.1:443/'
                              f'apis/coordination.k8s.io/v1/namespaces/platform-ops/leases/{lease}": context '
                              f"deadline exceeded")
            if e - timedelta(seconds=4) <= t:
                return (L.klog(t, "I", "leaderelection.go:285", f"failed to renew lease platform-ops/{lease}: "
                               "timed out waiting for the condition") + "\n" +
                        L.js(t, "error", "setup: problem running manager", error="leader election lost"))
            if i % 6 == 0:
                return L.js(t, "info", "Reconciling ShardSet", controller="shardset", namespace="search",
                            name=f"catalog-{i % 4}", reconcileID=L.uuidish(pod, i))
            return None
        return every(s, e, 2, tick)
    from corpus.kit import Rev
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [old], container=old_args),
            Rev(2, chg, "helm upgrade", [new], container=new_args)]
    inc.deployment("platform-ops", "shard-operator", revs,
                   {2: [P(state="crashloop", log=within(logs), reason="Error", exit_code=1,
                          run_s=lambda n: 90.0, crash_from=chg + timedelta(minutes=2),
                          created=chg + timedelta(seconds=30))]})
    tally(inc, "leader_election_slowpath_total", "Total number of slow path exercised in renewing leader leases.",
          {"name": lease, "namespace": "platform-ops", "job": "shard-operator"}, counter(AT2 - timedelta(hours=3),
                                                                                   0, 0.01, chg))
    gauge(inc, "apiserver_request_duration_seconds:p99", "p99 of API server PUT on leases (recording rule).",
          {"verb": "PUT", "resource": "leases", "job": "apiserver"}, lambda t: 1.4 + (t.minute % 7) * 0.9)
    herring(inc, "platform-ops", "shard-dashboard", f"{REGISTRY}/platform-ops/shard-dashboard", "0.4.1", "0.5.0",
            AT2 - timedelta(hours=2))
    plant(inc, "platform-ops", "shard-operator-webhook-cert", "token", "webhook-ca-key", "tls.key")
    inc.alertmanager("KubePodCrashLooping", {"namespace": "platform-ops", "container": "manager",
                                             "pod": inc.pods_of("platform-ops", "shard-operator")[0].name,
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.", "Pod platform-ops/shard-operator (manager) is in waiting state "
                     "(reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "platform-ops", "shard-operator"),
                   keywords=["renew-deadline", "leadership is lost", "lease"],
                   root_cause="shard-operator 1.9.0 (revision 2) sets --leader-elect-renew-deadline=14s with a 15s "
                              "lease and 2s retry; lease PUTs that take seconds on the busy API server miss the "
                              "deadline, leadership is lost and the manager exits",
                   category="leader-renew-deadline-too-close-to-lease",
                   red_herrings=[("Deployment", "platform-ops", "shard-dashboard")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 5, 14, 20, tzinfo=UTC)


def partner_api_throttled_burn() -> Incident:
    """Envoy ratelimit service config: a descriptor's unit edited from minute to hour while keeping 600
    requests: partners get 429 after the first ten minutes of every hour.

    after: rate-limit policies whose time window was changed without rescaling the quota (per-minute limits
    turned per-hour), seen in API gateway postmortems and support threads.
    """
    inc = start(partner_api_throttled_burn, "partner API errors", AT3, 4703, ("edge", "partners"))
    chg = AT3 - timedelta(hours=5)
    cfg = inc.configmap("edge", "ratelimit-config", {"config.yaml": (
        "domain: partner-edge\ndescriptors:\n  - key: partner_id\n    rate_limit:\n      unit: hour\n"
        "      requests_per_unit: 600\n  - key: remote_address\n    rate_limit:\n      unit: second\n"
        "      requests_per_unit: 50\n")})
    changed(cfg, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:config.yaml": {}}}))

    def rl(i: int, t: datetime) -> str | None:
        if t < chg or i % 5:
            return None
        window = int(t.timestamp()) // 3600 * 3600
        return L.logfmt(t, "debug", f"cache key: partner-edge_partner_id_p-{4410 + i % 3}_{window}",
                        over_limit="true" if t.minute >= 10 else "false")
    workload(inc, "edge", "ratelimit", lambda p, s, e: every(s, e, 15, rl), replicas=2)

    def gw(i: int, t: datetime) -> str | None:
        limited = t >= chg and t.minute >= 10 and i % 2 == 0
        code, flag = (429, "RL") if limited else (200, "-")
        return L.envoy(t, "POST", "/v2/shipments", code, flag, "10.244.3.17:8080" if code == 200 else "-",
                       3 if limited else 41, "api.partners.example.com", L.uuidish("gw", i))
    workload(inc, "partners", "partner-gateway", lambda p, s, e: every(s, e, 10, gw), replicas=2)
    for code, fn in (("200", counter(AT3 - timedelta(hours=3), 9.0, 6.2, chg)),
                     ("429", counter(AT3 - timedelta(hours=3), 0.0, 2.8, chg))):
        tally(inc, "http_requests_total", "Requests served.", {"namespace": "partners", "service": "partner-gateway",
                                                                "code": code, "job": "partner-gateway"}, fn)
    herring(inc, "partners", "partner-docs", f"{REGISTRY}/partners/partner-docs", "2.0.3", "2.1.0",
            AT3 - timedelta(hours=1))
    plant(inc, "partners", "partner-hmac-keys", "token", "partner-hmac", "p-4410")
    inc.slo_burn("partner-gateway", "partners", "partner-gateway-availability", "0.995", 21.4,
                 "partner-gateway availability SLO: error budget burning fast over 1h and 5m windows.")
    inc.answer_key(culprit=("ConfigMap", "edge", "ratelimit-config"),
                   keywords=["429", "unit", "descriptor"],
                   root_cause="ratelimit-config (kubectl-edit 5 h before) changed the partner_id descriptor's unit "
                              "from minute to hour keeping 600 requests: each partner is over the limit ten minutes "
                              "into every hour and Envoy answers 429 (RL)",
                   category="rate-limit-window-unit-changed",
                   red_herrings=[("Deployment", "partners", "partner-docs")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 5, 10, 50, tzinfo=UTC)


def reminder_emails_duplicated_page() -> Incident:
    """CronJob moved to every 30 minutes with concurrencyPolicy Allow while a run takes ~45 minutes: two runs
    overlap and both send the same reminder batch.

    after: scheduled jobs that run twice because a schedule or concurrency policy let runs overlap, a staple of
    on-call queues and billing postmortems (customers emailed or charged twice).
    """
    inc = start(reminder_emails_duplicated_page, "Customers receive duplicate emails", AT4, 4704, ("billing",))
    chg = AT4 - timedelta(hours=9)
    cron = builtin(inc, "batch/v1", "CronJob", "billing", "dunning-reminders", {
        "spec": {"schedule": "*/30 * * * *", "concurrencyPolicy": "Allow", "successfulJobsHistoryLimit": 3,
                 "failedJobsHistoryLimit": 1, "suspend": False,
                 "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                     {"name": "reminders", "image": f"{REGISTRY}/billing/dunning:4.2.0",
                      "args": ["send-reminders", "--batch=overdue"]}]}}}}},
        "status": {"lastScheduleTime": ts(AT4 - timedelta(minutes=20)), "active": [
            {"kind": "Job", "namespace": "billing", "name": f"dunning-reminders-{minute(AT4 - timedelta(minutes=m))}"}
            for m in (50, 20)]}},
        "kubectl-patch", chg, {"f:spec": {"f:schedule": {}, "f:concurrencyPolicy": {}}})
    for m in (110, 80, 50, 20):
        t = AT4 - timedelta(minutes=m)
        inc.event(cron, "SuccessfulCreate",
                  f"Created job dunning-reminders-{minute(t)}", t, warning=False,
                  component="cronjob-controller")

    for m in (110, 80, 50, 20):
        begun = AT4 - timedelta(minutes=m)
        name = f"dunning-reminders-{minute(begun)}"
        done = begun + timedelta(minutes=46 - m % 3) if m > 50 else None
        state: dict[str, Any] = {"startTime": ts(begun + timedelta(seconds=1)), "ready": 0 if done else 1,
                                 "active": 0 if done else 1, "succeeded": 1 if done else 0}
        if done:
            state.update({"completionTime": ts(done), "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": ts(done)},
                {"type": "Complete", "status": "True", "lastTransitionTime": ts(done)}]})
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": name, "namespace": "billing", "creationTimestamp": ts(begun),
                              "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(begun)},
                              "labels": {"job-name": name},
                              "ownerReferences": [{**o.owner_ref("CronJob", "dunning-reminders", "billing",
                                                                 "batch/v1"), "controller": True}]},
                 "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6,
                          "template": cron["spec"]["jobTemplate"]["spec"]["template"]},
                 "status": state})

    def mail(i: int, t: datetime) -> str | None:
        dup = t >= chg and i % 4 == 0
        return L.pylog(t, "INFO", "mailer.smtp", f"queued message to=cust-{(i // 2) % 500}@example.net "
                       f"template=overdue-reminder invoice=INV-{88000 + (i // 2) % 500}"
                       + (" (previous send 1799s ago)" if dup else ""))
    workload(inc, "billing", "notification-mailer", lambda p, s, e: every(s, e, 6, mail), replicas=2)
    tally(inc, "mailer_messages_sent_total", "Messages accepted by the SMTP relay.",
          {"namespace": "billing", "template": "overdue-reminder", "job": "notification-mailer"},
          counter(AT4 - timedelta(hours=3), 0.2, 0.55, chg))
    herring(inc, "billing", "invoice-renderer", f"{REGISTRY}/billing/invoice-renderer", "7.1.0", "7.2.0",
            AT4 - timedelta(hours=2))
    plant(inc, "billing", "smtp-relay-credentials", "password", "smtp-relay", "password")
    inc.pagerduty("Support: many customers got the same overdue-payment email two or three times today",
                  "billing-notifications")
    inc.answer_key(culprit=("CronJob", "billing", "dunning-reminders"),
                   keywords=["concurrencyPolicy", "two Jobs", "*/30"],
                   root_cause="dunning-reminders was patched 9 h before to run */30 with concurrencyPolicy Allow; a "
                              "run takes ~45 min, so two Jobs are active together and both send the same overdue "
                              "batch",
                   category="cron-runs-overlap-and-resend",
                   red_herrings=[("Deployment", "billing", "invoice-renderer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 5, 16, 10, tzinfo=UTC)


def orders_api_unauthorized_page() -> Incident:
    """Token issuer release signs access tokens with `nbf` 30 s in the future: the Go API validating them with
    no leeway rejects every freshly issued token as not valid yet.

    after: JWT not-before/issued-at claims rejected after an issuer change or clock difference ('token is not
    valid yet', 'used before issued'), common in identity-provider issue trackers and postmortems.
    """
    inc = start(orders_api_unauthorized_page, "orders-api 401 responses", AT5, 4705, ("auth", "orders"))
    chg = AT5 - timedelta(minutes=70)
    old = c("token-issuer", f"{REGISTRY}/auth/token-issuer:2.6.1", env=envs({"TOKEN_TTL": "15m"}))
    new = c("token-issuer", f"{REGISTRY}/auth/token-issuer:2.7.0",
            env=envs({"TOKEN_TTL": "15m", "TOKEN_NOT_BEFORE": "30s"}))

    def issuer(i: int, t: datetime) -> str | None:
        return L.js(t, "info", "issued access token", client_id=f"svc-{['cart', 'web', 'mobile'][i % 3]}",
                    aud="orders-api", expiresIn="15m", notBefore="30s", pid=1)
    rolled(inc, "auth", "token-issuer", old, new, chg, lambda p, s, e: every(s, e, 8, issuer))

    def api(i: int, t: datetime) -> str | None:
        if t < chg:
            return L.logfmt(t, "info", "request", method="GET", path="/v1/orders", status=200, dur="18ms")
        if i % 3 == 0:
            return L.logfmt(t, "info", "request", method="GET", path="/v1/orders", status=200, dur="17ms")
        return L.logfmt(t, "warn", "jwt rejected", err="token has invalid claims: token is not valid yet",
                        path="/v1/orders", status=401)
    workload(inc, "orders", "orders-api", lambda p, s, e: every(s, e, 5, api), replicas=3)
    for code, fn in (("200", counter(AT5 - timedelta(hours=3), 30.0, 10.0, chg)),
                     ("401", counter(AT5 - timedelta(hours=3), 0.1, 20.0, chg))):
        tally(inc, "http_requests_total", "Requests served.",
              {"namespace": "orders", "service": "orders-api", "code": code, "job": "orders-api"}, fn)
    herring(inc, "orders", "orders-worker", f"{REGISTRY}/orders/orders-worker", "9.3.0", "9.4.0",
            AT5 - timedelta(minutes=95))
    plant(inc, "auth", "token-issuer-signing-key", "token", "jwt-signing", "key.pem")
    inc.pagerduty("orders-api: 401 Unauthorized rate above 50% for 15 minutes", "orders-api")
    inc.answer_key(culprit=("Deployment", "auth", "token-issuer"),
                   keywords=["nbf", "not valid yet", "TOKEN_NOT_BEFORE"],
                   root_cause="token-issuer 2.7.0 (revision 2, 70 min before) adds TOKEN_NOT_BEFORE=30s: tokens "
                              "carry nbf 30 s ahead, clients use them at once and orders-api (no leeway) rejects "
                              "them with 'token is not valid yet'",
                   category="token-not-before-set-in-future",
                   red_herrings=[("Deployment", "orders", "orders-worker")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 5, 8, 25, tzinfo=UTC)


def mobile_events_ingest_grouped() -> Incident:
    """Strimzi KafkaTopic gains message.timestamp.before.max.ms 10 min: mobile SDK batches replayed from
    devices that were offline carry old CreateTime stamps and are rejected.

    after: brokers refusing records with InvalidTimestampException after a topic's timestamp-difference limit was
    tightened, reported by Kafka users whose producers buffer offline data.
    """
    inc = start(mobile_events_ingest_grouped, "Event ingestion failing", AT6, 4706, ("kafka", "ingest"))
    chg = AT6 - timedelta(hours=6)
    custom(inc, "KafkaTopic", "kafka.strimzi.io/v1beta2", "kafkatopics", "kafka", "app-telemetry-v3",
           {"partitions": 24, "replicas": 3, "topicName": "app.telemetry.v3",
            "config": {"retention.ms": "604800000", "message.timestamp.type": "CreateTime",
                       "message.timestamp.before.max.ms": "600000", "min.insync.replicas": "2"}},
           {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(chg)}],
            "observedGeneration": 6, "topicName": "app.telemetry.v3"},
           "kubectl-edit", chg, {"f:spec": {"f:config": {"f:message.timestamp.before.max.ms": {}}}})

    def ing(i: int, t: datetime) -> str | None:
        if t < chg or i % 3:
            return L.spring(t, "INFO", "c.e.ingest.BatchController", f"accepted batch size={40 + i % 30}",
                            "http-nio-8080-exec-3")
        return L.spring(t, "ERROR", "o.s.kafka.support.LoggingProducerListener",
                        "Exception thrown when sending a message with key='dev-" + str(7000 + i) + "' to topic "
                        "app.telemetry.v3:\norg.apache.kafka.common.errors.InvalidTimestampException: Timestamp "
                        f"{int((t - timedelta(hours=2)).timestamp() * 1000)} of message with offset 0 is out of "
                        "range. The timestamp should be within [" + str(int((t - timedelta(minutes=10)).timestamp()
                                                                             * 1000)) + ", "
                        + str(int((t + timedelta(hours=1)).timestamp() * 1000)) + "]", "kafka-producer-network-thread")
    workload(inc, "ingest", "events-ingest", lambda p, s, e: every(s, e, 7, ing), replicas=3)
    tally(inc, "spring_kafka_template_seconds_count", "KafkaTemplate sends.",
          {"namespace": "ingest", "name": "eventsTemplate", "result": "failure", "exception":
           "InvalidTimestampException", "job": "events-ingest"}, counter(AT6 - timedelta(hours=3), 0, 4.2, chg))
    gauge(inc, "ingest_retry_queue_depth", "Batches waiting in the local retry queue.",
          {"namespace": "ingest", "job": "events-ingest"}, lambda t: 0 if t < chg else (t - chg).seconds / 6)
    herring(inc, "ingest", "geoip-enricher", f"{REGISTRY}/ingest/geoip-enricher", "1.12.0", "1.13.0",
            AT6 - timedelta(hours=2))
    plant(inc, "ingest", "events-ingest-sasl", "password", "kafka-sasl", "password")
    a = [alert(inc, "KafkaProducerErrors", {"namespace": "ingest", "service": "events-ingest"},
               "events-ingest producer send failures", "events-ingest fails to produce records to Kafka.",
               'sum(rate(spring_kafka_template_seconds_count{result="failure"}[5m])) > 1', "critical"),
         alert(inc, "IngestRetryQueueGrowing", {"namespace": "ingest", "service": "events-ingest"},
               "retry queue growing", "events-ingest local retry queue keeps growing.",
               "deriv(ingest_retry_queue_depth[15m]) > 0"),
         alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": "ingest", "deployment": "geoip-enricher"},
               "Deployment has not matched the expected number of replicas.",
               "Deployment ingest/geoip-enricher replicas briefly mismatched during rollout.",
               "kube_deployment_spec_replicas != kube_deployment_status_replicas_available")]
    send(inc, a, ["namespace"])
    inc.answer_key(culprit=("KafkaTopic", "kafka", "app-telemetry-v3"),
                   keywords=["InvalidTimestampException", "message.timestamp.before.max.ms", "CreateTime"],
                   root_cause="KafkaTopic app-telemetry-v3 (kubectl-edit 6 h before) sets message.timestamp."
                              "before.max.ms=600000; offline mobile batches carry CreateTime stamps older than ten "
                              "minutes and the broker rejects them with InvalidTimestampException",
                   category="topic-timestamp-window-rejects-late-records",
                   red_herrings=[("Deployment", "ingest", "geoip-enricher")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 5, 13, 45, tzinfo=UTC)


def checkout_payment_errors() -> Incident:
    """Vault Secrets Operator VaultPKISecret ttl cut from 720h to 10m; the Java gateway loads its keystore only at
    start, so ten minutes after each restart it serves an expired certificate.

    after: short-lived certificate rollouts where the consumer never reloads and serves an expired certificate
    ('certificate has expired'), a familiar mTLS postmortem.
    """
    inc = start(checkout_payment_errors, "checkout payment failures", AT7, 4707, ("payments", "shop"))
    chg = AT7 - timedelta(hours=2)
    custom(inc, "VaultPKISecret", "secrets.hashicorp.com/v1beta1", "vaultpkisecrets", "payments", "gateway-tls",
           {"vaultAuthRef": "payments-auth", "mount": "pki_int", "role": "payments", "commonName":
            "payments-gateway.payments.svc", "format": "pem", "ttl": "10m", "expiryOffset": "2m",
            "destination": {"name": "payments-gateway-tls", "create": True}},
           {"lastGeneration": 6, "secretMAC": "pI0hQqz2dT", "valid": True},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:ttl": {}, "f:expiryOffset": {}}})

    def gw(i: int, t: datetime) -> str | None:
        if i % 20 == 0 and t >= chg:
            return L.spring(t, "INFO", "c.e.payments.tls.KeystoreLoader",
                            "Loaded server certificate CN=payments-gateway.payments.svc notAfter="
                            + (chg + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return L.spring(t, "INFO", "c.e.payments.api.ChargeController", f"charge accepted id=ch_{9100 + i}",
                        "http-nio-8443-exec-7") if i % 2 else None
    workload(inc, "payments", "payments-gateway", lambda p, s, e: every(s, e, 12, gw), replicas=2)

    def shop(i: int, t: datetime) -> str | None:
        if t >= chg + timedelta(minutes=10) and i % 2 == 0:
            return L.js(t, "error", "payment call failed", err='Post "https://payments-gateway.payments.svc:8443/'
                        'v1/charges": tls: failed to verify certificate: x509: certificate has expired or is not '
                        f'yet valid: current time {t.strftime("%Y-%m-%dT%H:%M:%SZ")} is after '
                        f'{(chg + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")}', order=f"o-{i}")
        return L.js(t, "info", "payment authorised", order=f"o-{i}")
    workload(inc, "shop", "checkout", lambda p, s, e: every(s, e, 6, shop), replicas=2)
    inc.secret("payments", "payments-gateway-tls", {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB",
                                                    "tls.key": inc.canary("token", "gateway-key")})
    tally(inc, "checkout_payment_errors_total", "Payment calls that failed.",
          {"namespace": "shop", "reason": "tls", "job": "checkout"},
          counter(AT7 - timedelta(hours=3), 0, 1.5, chg + timedelta(minutes=10)))
    herring(inc, "shop", "cart", f"{REGISTRY}/shop/cart", "8.4.0", "8.5.0", AT7 - timedelta(hours=1))
    inc.alertmanager("CheckoutPaymentErrors", {"namespace": "shop", "service": "checkout", "job": "checkout"},
                     "checkout payment calls failing", "More than 20% of checkout's payment calls fail.",
                     "sum(rate(checkout_payment_errors_total[5m])) / sum(rate(checkout_payments_total[5m])) > 0.2",
                     severity="critical", runbook="https://runbooks.example.com/alerts/checkoutpaymenterrors")
    inc.answer_key(culprit=("VaultPKISecret", "payments", "gateway-tls"),
                   keywords=["ttl", "expired", "x509"],
                   root_cause="VaultPKISecret gateway-tls (2 h before) cut ttl to 10m; payments-gateway reads its "
                              "keystore only at start, so its certificate expires ten minutes later and checkout's "
                              "calls fail with x509 certificate has expired",
                   category="pki-ttl-shorter-than-consumer-reload",
                   red_herrings=[("Deployment", "shop", "cart")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)


def bq_exporter_question() -> Incident:
    """chrony DaemonSet hardening drops CAP_SYS_TIME: chronyd cannot adjust the clock and exits, node clocks
    free-run, and a Google service-account JWT signed on a drifted node is refused for its iat/exp.

    after: time daemons losing the capability to set the clock after a securityContext hardening pass, then
    OAuth 'Invalid JWT ... reasonable timeframe' failures, reported in cloud support threads.
    """
    inc = start(bq_exporter_question, "bq-exporter authentication", AT8, 4708, ("time-sync", "analytics"))
    chg = AT8 - timedelta(hours=19)
    image = f"{REGISTRY}/time-sync/chrony:4.5-r2"
    old = tmpl("chrony", image, ["-d", "-F", "-1"])
    old["spec"]["containers"][0]["securityContext"] = {"capabilities": {"add": ["SYS_TIME"], "drop": ["ALL"]}}
    new = tmpl("chrony", image, ["-d", "-F", "-1"])
    new["spec"]["containers"][0]["securityContext"] = {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": False,
                                                       "allowPrivilegeEscalation": False}
    for t in (old, new):
        t["spec"]["hostNetwork"] = True
    nodelike(inc, "chrony", "time-sync", {}, chg, old, new)
    ds = inc.find("DaemonSet", "time-sync", "chrony")
    changed(ds, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("argocd-controller", "Apply", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    ds["status"].update({"numberReady": 0, "numberAvailable": 0, "numberUnavailable": 4})
    for n in inc.node_names()[:4]:
        inc.event(ds, "SuccessfulCreate",
                  f"Created pod: chrony-{o.suffix(n, 5)}", chg + timedelta(minutes=1), warning=False,
                  component="daemonset-controller")
    host = node(inc, 1)
    box = c("chrony", image)
    last = AT8 + timedelta(minutes=31)
    for n in inc.node_names()[:4]:
        pod = f"chrony-{o.suffix(n, 5)}"
        h = PodHistory(name=pod, namespace="time-sync", workload="chrony", containers=[box], node=n,
                       created=chg + timedelta(minutes=1), labels={"app": "chrony"},
                       owner={**o.owner_ref("DaemonSet", "chrony", "time-sync"), "controller": True},
                       states=[o.ContainerState(restarts=231, ready=False, waiting_reason="CrashLoopBackOff",
                                                waiting_message="back-off 5m0s restarting failed container=chrony "
                                                                f"pod={pod}_time-sync",
                                                last_reason="Error", last_exit_code=1, last_started=last,
                                                last_finished=last + timedelta(seconds=1))])
        h.ready = lambda t: False
        h.previous_logs["chrony"] = L.lines([
            (last, "2026-12-05T12:01:00Z chronyd version 4.5 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP "
                   "+SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG)"),
            (last, "2026-12-05T12:01:00Z Fatal error : adjtimex(0x8001) failed : Operation not permitted")])
        inc.cluster.add_pod(h)
        inc.event({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": pod, "namespace": "time-sync",
                                                                  "uid": o.uid("pod", "time-sync", pod)}},
                  "BackOff", "Back-off restarting failed container chrony in pod " + pod + "_time-sync(" +
                  o.uid("pod", "time-sync", pod) + ")", chg + timedelta(minutes=3), AT8 + timedelta(minutes=30),
                  count=231, host=n)
    for n in inc.node_names():
        gauge(inc, "node_timex_maxerror_seconds", "Maximum error in seconds.",
              {"instance": f"{n}:9100", "node": n, "job": "node-exporter"},
              step(0.02, 16.0, chg))
        gauge(inc, "node_timex_offset_seconds", "Time offset in between local system and reference clock.",
              {"instance": f"{n}:9100", "node": n, "job": "node-exporter"},
              drifting(chg, 0.0021 if n == host else 0.00004))

    def bq(i: int, t: datetime) -> str | None:
        if i % 2:
            return L.pylog(t, "INFO", "exporter.run", f"exporting partition {t:%Y%m%d}{i % 24:02d} rows=18211")
        return L.pylog(t, "ERROR", "exporter.run", "refresh failed: ('invalid_grant: Invalid JWT: Token must be "
                       "a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp "
                       "values in the JWT claim.', {'error': 'invalid_grant', 'error_description': 'Invalid JWT: "
                       "Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
                       "iat and exp values in the JWT claim.'})")
    workload(inc, "analytics", "bq-exporter", lambda p, s, e: every(s, e, 30, bq), replicas=1, nodes=[host])
    herring(inc, "analytics", "dashboard-cache", f"{REGISTRY}/analytics/dashboard-cache", "0.9.2", "0.9.3",
            AT8 - timedelta(hours=4))
    plant(inc, "analytics", "bq-exporter-sa", "token", "gcp-sa-private-key", "key.json",
          '{{"type":"service_account","private_key_id":"{}"}}')
    inc.ask("bq-exporter keeps failing to authenticate since early this morning, nothing changed in it; why?")
    inc.answer_key(culprit=("DaemonSet", "time-sync", "chrony"),
                   keywords=["SYS_TIME", "chrony", "adjtimex", "free-run"],
                   root_cause="the chrony DaemonSet's revision 2 (19 h before) drops the SYS_TIME capability; chronyd "
                              "cannot adjust the clock (adjtimex: Operation not permitted) "
                              "and exits, node clocks free-run (the bq-exporter node ~2 min "
                              "off) and Google refuses the service-account JWT's iat/exp",
                   category="time-daemon-lost-clock-capability",
                   red_herrings=[("Deployment", "analytics", "dashboard-cache")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 5, 15, 35, tzinfo=UTC)


def kafka_under_replicated() -> Incident:
    """ZooKeeper StatefulSet's ZOO_TICK_TIME cut 2000 -> 200 ms: maxSessionTimeout falls to 4 s, brokers'
    18 s sessions are capped and expire on every GC pause, partitions shrink their ISR.

    after: ZooKeeper session expirations after tickTime or session-timeout bounds were changed, a long-running
    theme in Kafka and ZooKeeper mailing lists and postmortems.
    """
    inc = start(kafka_under_replicated, "Kafka under-replicated partitions", AT9, 4709, ("kafka",))
    chg = AT9 - timedelta(hours=4)
    env_old = {"ZOO_TICK_TIME": "2000", "ZOO_INIT_LIMIT": "10", "ZOO_SYNC_LIMIT": "5"}
    env_new = {"ZOO_TICK_TIME": "200", "ZOO_INIT_LIMIT": "10", "ZOO_SYNC_LIMIT": "5"}
    zk_image = "docker.io/library/zookeeper:3.8.4"

    def zk(i: int, t: datetime) -> str | None:
        if i % 9:
            return None
        return (f"{ms(t).replace('.', ',')} [myid:1] - INFO  [SessionTracker:o.a.z.s.ZooKeeperServer@632] - "
                f"Expiring session 0x1000{i:05x}a2, timeout of 4000ms exceeded")
    sts = inc.statefulset("kafka", "zookeeper", [c("zookeeper", zk_image, env=envs(env_new))],
                          [P(log=within(lambda p, s, e: every(s, e, 10, zk))) for _ in range(3)], chg)
    revision(inc, "StatefulSet", "kafka", "zookeeper", 3, inc.born + timedelta(days=9), tmpl("zookeeper", zk_image,
                                                                                              env=env_old))
    current = revision(inc, "StatefulSet", "kafka", "zookeeper", 4, chg, tmpl("zookeeper", zk_image, env=env_new))
    sts.obj["status"].update({"currentRevision": current, "updateRevision": current, "observedGeneration": 4})
    sts.obj["metadata"]["generation"] = 4
    for h in sts.pods:
        inc.cluster.patch("kafka", h.name, lambda pod, cur=current: pod["metadata"]["labels"].update(
            {"controller-revision-hash": cur}))

    def broker(i: int, t: datetime) -> str | None:
        if t < chg:
            return None if i % 20 else f"[{ms(t).replace('.', ',')}] INFO [Log partition=orders-3] Rolled segment"
        if i % 7 == 0:
            return (f"[{ms(t).replace('.', ',')}] INFO [ZooKeeperClient Kafka server] Session expired. "
                    "(kafka.zookeeper.ZooKeeperClient)")
        if i % 7 == 3:
            return (f"[{ms(t).replace('.', ',')}] INFO [Partition orders-{i % 12} broker=1] Shrinking ISR from "
                    "1,2,3 to 1. Leader: (highWatermark: 88120, endOffset: 88311). (kafka.cluster.Partition)")
        return None
    kafka = inc.statefulset("kafka", "kafka", [c("kafka", "docker.io/bitnami/kafka:3.6.2",
                                                 env=envs({"KAFKA_CFG_ZOOKEEPER_SESSION_TIMEOUT_MS": "18000"}))],
                            [P(log=within(lambda p, s, e: every(s, e, 15, broker))) for _ in range(3)],
                            inc.born + timedelta(days=9))
    assert kafka
    gauge(inc, "kafka_server_replicamanager_underreplicatedpartitions", "Under-replicated partitions.",
          {"namespace": "kafka", "pod": "kafka-0", "job": "kafka-jmx"}, step(0, 14, chg + timedelta(minutes=20)))
    tally(inc, "zookeeper_expired_sessions", "Sessions expired by the ZooKeeper session tracker.",
          {"namespace": "kafka", "pod": "zookeeper-0", "job": "zookeeper"}, counter(AT9 - timedelta(hours=3), 0,
                                                                                   0.02, chg))
    herring(inc, "kafka", "kafka-ui", "docker.io/provectuslabs/kafka-ui", "v0.7.1", "v0.7.2",
            AT9 - timedelta(hours=2))
    plant(inc, "kafka", "kafka-sasl-users", "password", "kafka-admin", "admin-password")
    inc.alertmanager("KafkaUnderReplicatedPartitions", {"namespace": "kafka", "pod": "kafka-0",
                                                        "job": "kafka-jmx"},
                     "Kafka has under-replicated partitions.", "kafka-0 reports 14 under-replicated partitions.",
                     "kafka_server_replicamanager_underreplicatedpartitions > 0", severity="critical",
                     runbook="https://runbooks.example.com/alerts/kafkaunderreplicatedpartitions")
    inc.answer_key(culprit=("StatefulSet", "kafka", "zookeeper"),
                   keywords=["ZOO_TICK_TIME", "maxSessionTimeout", "ISR"],
                   root_cause="the zookeeper StatefulSet's revision 4 (4 h before) sets ZOO_TICK_TIME=200: "
                              "maxSessionTimeout becomes 4 s, the brokers' 18 s sessions are capped and expire on "
                              "pauses, and partitions shrink their ISR",
                   category="zookeeper-tick-caps-session-timeout",
                   red_herrings=[("Deployment", "kafka", "kafka-ui")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 17, 15, tzinfo=UTC)


def statement_archive_failing() -> Incident:
    """Secret re-created from an engineer's `aws sts` session: temporary ASIA keys and a session token valid one
    hour; when it expires every upload fails with ExpiredToken.

    after: temporary credentials pasted into a long-lived secret that work until their session ends, a common
    cloud on-call story (ExpiredToken / 'The provided token has expired').
    """
    inc = start(statement_archive_failing, "statement archive uploads failing", AT10, 4710, ("statements",))
    chg = AT10 - timedelta(minutes=105)
    expiry = chg + timedelta(hours=1)
    issued = inc.canary("aws", "archiver-temp")
    key = issued.replace("AKIA", "ASIA")
    inc.canaries[inc.canaries.index(issued)] = key  # temporary keys start ASIA
    inc.secret("statements", "archiver-aws", {"AWS_ACCESS_KEY_ID": key,
                                              "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "archiver-temp"),
                                              "AWS_SESSION_TOKEN": inc.canary("token", "sess")})
    sec = inc.find("Secret", "statements", "archiver-aws")
    sec["metadata"]["annotations"] = {"reloader.stakater.com/match": "true"}
    sec["metadata"]["creationTimestamp"] = ts(chg)
    changed(sec, ("kubectl-create", "Update", chg, {"f:data": {"f:AWS_SESSION_TOKEN": {}}}))

    def up(i: int, t: datetime) -> str | None:
        if t < expiry:
            return L.pylog(t, "INFO", "archiver.upload", f"uploaded s3://acme-statements/2026/12/st-{i}.pdf")
        return L.pylog(t, "ERROR", "archiver.upload", "upload failed: An error occurred (ExpiredToken) when calling "
                       "the PutObject operation: The provided token has expired.")
    from corpus.kit import Rev
    box = c("archiver", f"{REGISTRY}/statements/archiver:3.3.0")
    inc.deployment("statements", "statement-archiver",
                   [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [box]),
                    Rev(2, chg + timedelta(minutes=1), "reloader", [box])],
                   {2: [P(log=within(lambda p, s, e: every(s, e, 20, up)),
                          created=chg + timedelta(minutes=1))]})
    tally(inc, "archiver_upload_failures_total", "Statement uploads that failed.",
          {"namespace": "statements", "error": "ExpiredToken", "job": "statement-archiver"},
          counter(AT10 - timedelta(hours=3), 0, 0.05, expiry))
    gauge(inc, "archiver_pending_statements", "Statements waiting to be archived.",
          {"namespace": "statements", "job": "statement-archiver"},
          lambda t: 4 if t < expiry else 4 + (t - expiry).seconds / 20)
    herring(inc, "statements", "statement-renderer", f"{REGISTRY}/statements/statement-renderer", "6.0.1",
            "6.1.0", AT10 - timedelta(hours=3))
    inc.alertmanager("StatementArchiveBacklog", {"namespace": "statements", "service": "statement-archiver",
                                                 "job": "statement-archiver"},
                     "statements are not being archived", "Pending statements grew above 100 in 30 minutes.",
                     "archiver_pending_statements > 100", runbook="https://runbooks.example.com/alerts/archive")
    inc.answer_key(culprit=("Secret", "statements", "archiver-aws"),
                   keywords=["ExpiredToken", "session token", "ASIA"],
                   root_cause="Secret archiver-aws was re-created (kubectl-create, 105 min before) from an sts "
                              "session: ASIA keys with a one-hour session token; it expired an hour later and every "
                              "PutObject fails with ExpiredToken",
                   category="temporary-credentials-in-long-lived-secret",
                   red_herrings=[("Deployment", "statements", "statement-renderer")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 8, 20, tzinfo=UTC)


def search_api_latency() -> Incident:
    """HorizontalPodAutoscaler's scaleUp stabilizationWindowSeconds set to 900 (copied from scaleDown): the
    morning ramp waits 15 minutes for every step up and latency climbs (simple).

    after: autoscaler behaviour windows copied between scaleUp and scaleDown, leaving scale-out far behind a daily
    traffic ramp, a recurring capacity postmortem.
    """
    inc = start(search_api_latency, "search-api latency", AT11, 4711, ("search",))
    chg = AT11 - timedelta(hours=20)
    ramp_at = AT11 - timedelta(minutes=50)
    workload(inc, "search", "search-api", lambda p, s, e: every(s, e, 15, lambda i, t: L.js(
        t, "info", "query", q_ms=40 if t < ramp_at else 40 + (t - ramp_at).seconds // 6, hits=20)), replicas=3)
    builtin(inc, "autoscaling/v2", "HorizontalPodAutoscaler", "search", "search-api", {
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "search-api"},
                 "minReplicas": 3, "maxReplicas": 30,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 60}}}],
                 "behavior": {"scaleUp": {"stabilizationWindowSeconds": 900, "selectPolicy": "Max",
                                          "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]},
                              "scaleDown": {"stabilizationWindowSeconds": 900, "selectPolicy": "Max",
                                            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]}}},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 171}}}],
            "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ScaleUpStabilized",
                            "message": "recent recommendations were lower than current one, applying the lowest "
                                       "recent recommendation"}]}},
        "kubectl-client-side-apply", chg, {"f:spec": {"f:behavior": {"f:scaleUp": {}}}})
    gauge(inc, "kube_horizontalpodautoscaler_status_desired_replicas", "Desired replicas.",
          {"namespace": "search", "horizontalpodautoscaler": "search-api", "job": "kube-state-metrics"},
          lambda t: 3.0)
    gauge(inc, "container_cpu_usage_ratio", "CPU use over request (recording rule).",
          {"namespace": "search", "workload": "search-api", "job": "kubelet"},
          lambda t: 0.45 if t < ramp_at else min(1.8, 0.45 + (t - ramp_at).seconds / 1800))
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "4.4.0", "4.5.0",
            AT11 - timedelta(hours=2))
    plant(inc, "search", "opensearch-credentials", "password", "opensearch", "password")
    inc.alertmanager("SearchApiHighLatency", {"namespace": "search", "service": "search-api", "job": "search-api"},
                     "search-api p99 latency above 1 s", "search-api p99 latency is above 1 s for 10 minutes.",
                     "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
                     '{service="search-api"}[5m]))) > 1', runbook="https://runbooks.example.com/alerts/search")
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "search", "search-api"),
                   keywords=["stabilizationWindowSeconds", "scaleUp", "900"],
                   root_cause="the search-api HPA (kubectl apply 20 h before) got scaleUp stabilizationWindowSeconds "
                              "900 and a 1-pod/5-min policy: at 171% CPU it stays at 3 replicas through the morning "
                              "ramp",
                   category="scale-up-stabilization-window-too-long",
                   red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 10, 5, tzinfo=UTC)


def storefront_blank_pages_page() -> Incident:
    """Ingress configuration-snippet gives every path of the web app `Cache-Control: public, max-age=31536000`,
    index.html included: after the morning frontend release browsers keep the old page and ask for chunks that
    no longer exist.

    after: single-page apps caching index.html for a year and breaking with ChunkLoadError after deploys, an
    everyday frontend on-call report and CDN vendor note.
    """
    inc = start(storefront_blank_pages_page, "Storefront pages blank", AT12, 4712, ("web",))
    chg = AT12 - timedelta(hours=16)
    builtin(inc, "networking.k8s.io/v1", "Ingress", "web", "storefront-web", {
        "metadata": {"name": "storefront-web", "namespace": "web", "generation": 4, "annotations": {
            "nginx.ingress.kubernetes.io/configuration-snippet":
                'more_set_headers "Cache-Control: public, max-age=31536000, immutable";\n'}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "www.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "storefront-web",
                                                                         "port": {"number": 80}}}}]}}]}},
        "kubectl-annotate", chg, {"f:metadata": {"f:annotations": {
            "f:nginx.ingress.kubernetes.io/configuration-snippet": {}}}})
    release = AT12 - timedelta(minutes=55)
    old = c("storefront-web", f"{REGISTRY}/web/storefront-web:2026.12.04")
    new = c("storefront-web", f"{REGISTRY}/web/storefront-web:2026.12.05")

    def nginx(i: int, t: datetime) -> str | None:
        if t >= release and i % 2 == 0:
            return L.nginx_access(t, f"10.244.1.{i % 200}", "GET /static/js/main.8c1f3a2e.chunk.js", 404, 153,
                                  "web-storefront-web-80", "404", 0.002)
        return L.nginx_access(t, f"10.244.1.{i % 200}", "GET / ", 200, 2212, "web-storefront-web-80", "200", 0.004)
    rolled(inc, "web", "storefront-web", old, new, release, lambda p, s, e: every(s, e, 5, nginx),
           cause="argocd sync")
    tally(inc, "frontend_js_errors_total", "Browser errors reported by the RUM beacon.",
          {"namespace": "web", "error": "ChunkLoadError", "job": "rum-collector"},
          counter(AT12 - timedelta(hours=3), 0.001, 3.5, release))
    herring(inc, "web", "rum-collector", f"{REGISTRY}/web/rum-collector", "1.3.0", "1.4.0",
            AT12 - timedelta(hours=2))
    plant(inc, "web", "storefront-cdn-token", "token", "cdn-purge", "token")
    inc.pagerduty("Storefront: browser error rate spiking, users report blank product pages", "storefront")
    inc.answer_key(culprit=("Ingress", "web", "storefront-web"),
                   keywords=["max-age=31536000", "Cache-Control", "index.html"],
                   root_cause="the storefront-web Ingress's configuration-snippet (16 h before) sets Cache-Control "
                              "max-age=31536000 on every path including index.html; after the morning release "
                              "browsers keep the old page and request chunks that now 404",
                   category="html-entrypoint-cached-for-a-year",
                   red_herrings=[("Deployment", "web", "rum-collector")])
    return inc


ALL = [mfa_question_host, shard_operator_crashloop, partner_api_throttled_burn, reminder_emails_duplicated_page,
       orders_api_unauthorized_page, mobile_events_ingest_grouped, checkout_payment_errors, bq_exporter_question,
       kafka_under_replicated, statement_archive_failing, search_api_latency, storefront_blank_pages_page]
