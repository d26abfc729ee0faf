"""Round 45 of the held-out incident set: database internals as the cause of application incidents.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes live inside the databases the applications lean on: isolation levels and metadata
locks in MySQL, a single huge DELETE lagging replicas, planner cost settings, memory settings that get the
postmaster's children OOM-killed, standby replay delay, a disruption budget that lets a MongoDB replica set
lose its majority, Elasticsearch shard limits and dynamic mappings, Redis snapshot forks, a replication
NetworkPolicy, a retryable-writes switch and a consistency level. Most pages are on what these hurt;
about a third are simple. Log lines follow the real software's formats.
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
from corpus.kit import REGISTRY, Incident, P, c, o, ts  # noqa: E402
from corpus.podstate import steady, terminated  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    ms,
    plant,
    ramp,
    revision,
    rolled,
    send,
    series,
    start,
    step,
    within,
    workload,
)

Lines = list[tuple[datetime, str]]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent)."""
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert({"alertname": name, **labels, "severity": severity, **PROM}, ann, inc.at, expr)


def owned(inc: Incident, body: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
          first: str = "helm") -> dict[str, Any]:
    """Any object created long ago by `first` and last written by `manager` at `chg`."""
    obj = inc.add(body)
    return changed(obj, (first, "Update" if first == "helm" else "Apply", inc.born + timedelta(days=4),
                         {"f:metadata": {}}), (manager, "Update", chg, fields))


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 5) -> dict[str, Any]:
    """A custom resource and its CRD, created long ago by Argo CD and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    body = {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status}
    return owned(inc, body, manager, chg, fields, first="argocd-controller")


def db(inc: Incident, ns: str, name: str, image: str, make: Callable[[str, datetime, datetime], Lines],
       members: int = 1, node_name: str | None = None, plans: list[P] | None = None) -> Any:
    """A database StatefulSet whose pods run (unless `plans` says otherwise); what it says is in its logs."""
    plans = plans or [P(log=within(make), node=node_name) for _ in range(members)]
    return inc.statefulset(ns, name, [c(name, image)], plans, inc.born + timedelta(days=6),
                           claims=[("data", "200Gi", "gp3")])


def job(inc: Incident, ns: str, name: str, image: str, args: list[str], started: datetime,
        make: Callable[[str, datetime, datetime], Lines], node_name: str | None = None,
        labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A batch/v1 Job still running at capture, with its one pod and that pod's log."""
    uid = o.uid("job", ns, name)
    own = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "job-name": name}
    container = c(name.rsplit("-", 1)[0], image, port=None)
    template = {**container.spec(), "args": args}
    body = {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "generation": 1,
                         "creationTimestamp": ts(started), "labels": {**own, **(labels or {})}},
            "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 0, "completionMode": "NonIndexed",
                     "suspend": False, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                     "template": {"metadata": {"labels": own},
                                  "spec": {"containers": [template], "restartPolicy": "Never"}}},
            "status": {"active": 1, "ready": 1, "startTime": ts(started), "uncountedTerminatedPods": {}}}
    obj = inc.add(body)
    changed(obj, ("kubectl-create", "Update", started, {"f:spec": {}}))
    pod = f"{name}-{o.suffix(ns + name, 5)}"
    cl = inc.cluster
    h = PodHistory(name=pod, namespace=ns, workload=name, containers=[container],
                   node=node_name or cl.pick_node(pod), created=started,
                   states=[o.ContainerState(started_at=started + timedelta(seconds=3), ready=True)],
                   memory=steady(180), labels=own,
                   owner={**o.owner_ref("Job", name, ns, "batch/v1"), "controller": True})
    h.logs[container.name] = within(make)(pod, started, inc.captured)
    cl.patch(ns, pod, lambda p: p["spec"].update({"restartPolicy": "Never"}))
    cl.add_pod(h)
    return obj


def done_job(inc: Incident, ns: str, name: str, image: str, started: datetime, ended: datetime,
             make: Callable[[str, datetime, datetime], Lines], owner: str) -> None:
    """A finished Job a CronJob created (and its completed pod)."""
    uid = o.uid("job", ns, name)
    own = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "job-name": name}
    container = c(owner, image, port=None)
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": ts(started),
                          "labels": own, "ownerReferences": [{**o.owner_ref("CronJob", owner, ns, "batch/v1"),
                                                              "controller": True}]},
             "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 0,
                      "template": {"metadata": {"labels": own},
                                   "spec": {"containers": [container.spec()], "restartPolicy": "Never"}}},
             "status": {"startTime": ts(started), "completionTime": ts(ended), "succeeded": 1,
                        "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": ts(ended)}]}})
    pod = f"{name}-{o.suffix(ns + name, 5)}"
    cl = inc.cluster
    h = PodHistory(name=pod, namespace=ns, workload=name, containers=[container], node=cl.pick_node(pod),
                   created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=3),
                                                             ready=False)],
                   memory=steady(120), labels=own,
                   owner={**o.owner_ref("Job", name, ns, "batch/v1"), "controller": True})
    h.logs[container.name] = within(make)(pod, started, ended)
    h.ready = lambda t: False
    cl.patch(ns, pod, lambda p: p["spec"].update({"restartPolicy": "Never"}))
    cl.patch(ns, pod, terminated(0, "Completed", started + timedelta(seconds=3), ended, phase="Succeeded"))
    cl.add_pod(h)


def mysql_log(t: datetime, level: str, code: str, msg: str, thread: int = 0, subsystem: str = "Server") -> str:
    """MySQL 8's error log: `2026-12-05T02:14:03.123456Z 0 [Warning] [MY-010055] [Server] msg`."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {thread} [{level}] [{code}] [{subsystem}] {msg}"


def pg(t: datetime, pid: int, level: str, msg: str) -> str:
    """PostgreSQL's stderr with log_line_prefix '%m [%p] ' (CloudNativePG writes the same text in its JSON)."""
    return L.postgres(t, level, msg, pid=pid)


def cnpg(t: datetime, pod: str, level: str, msg: str) -> str:
    """CloudNativePG instance manager's JSON line wrapping one postgres log record."""
    return json.dumps({"level": "info", "ts": f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z", "logger": "postgres",
                       "msg": "record", "logging_pod": pod,
                       "record": {"log_time": t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC",
                                  "error_severity": level, "message": msg}}, separators=(",", ":"))


def es(t: datetime, level: str, logger: str, node: str, msg: str) -> str:
    """Elasticsearch 8's console log pattern (as ECK runs it without JSON)."""
    return f"[{t.strftime('%Y-%m-%dT%H:%M:%S,')}{t.microsecond // 1000:03d}][{level:<5}][{logger}] [{node}] {msg}"


def redis(t: datetime, pid: int, role: str, msg: str) -> str:
    """Redis 7's log line: `pid:role dd Mon yyyy HH:MM:SS.mmm * msg`."""
    return f"{pid}:{role} {t.strftime('%d %b %Y %H:%M:%S.')}{t.microsecond // 1000:03d} * {msg}"


def mongo(t: datetime, sev: str, comp: str, ident: int, msg: str, **attr: object) -> str:
    """mongod 6's structured JSON log."""
    return json.dumps({"t": {"$date": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"},
                       "s": sev, "c": comp, "id": ident, "ctx": "conn", "msg": msg, "attr": attr},
                      separators=(",", ":"))


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """pino's JSON line (epoch milliseconds, numeric level)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": "app", "msg": msg,
                       **fields}, separators=(",", ":"))


def dotnet(t: datetime, level: str, category: str, msg: str) -> list[str]:
    """ASP.NET Core's console formatter: a `level: Category[0]` header, then the indented message."""
    return [f"{level}: {category}[0]", f"      {msg}"]


def tick(s: datetime, e: datetime, step_s: float, make: Callable[[int, datetime], str | None]) -> Lines:
    return every(s, e, step_s, make)


# ---- 1: MySQL isolation level ---------------------------------------------------------------------------


def login_api_question() -> Incident:
    """my.cnf ConfigMap sets `transaction_isolation = SERIALIZABLE`: plain SELECTs take shared locks, login
    updates wait and time out (Error 1205).

    after: the everyday on-call story where a database setting changed "for correctness" turns every
    autocommit-off read into a locking read and an application starts reporting lock wait timeouts.
    """
    at = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)
    inc = start(login_api_question, "login-api failing since this morning", at, 4501, ("identity", "mysql"))
    chg = at - timedelta(minutes=52)
    cnf = ("[mysqld]\nbind-address = 0.0.0.0\nmax_connections = 600\ninnodb_buffer_pool_size = 12G\n"
           "innodb_lock_wait_timeout = 50\ninnodb_print_all_deadlocks = 1\n"
           "transaction_isolation = SERIALIZABLE\nslow_query_log = 1\nlong_query_time = 1\n")
    cm = inc.configmap("mysql", "identity-mysql-config", {"my.cnf": cnf})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:my.cnf": {}}}))

    def mysqld(pod: str, s: datetime, e: datetime) -> Lines:
        boot = chg + timedelta(minutes=3)
        out: Lines = [(boot, mysql_log(boot, "System", "MY-010931", "/usr/sbin/mysqld: ready for connections. "
                                       "Version: '8.0.36'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
                                       "MySQL Community Server - GPL."))]
        for t in L.every(boot + timedelta(minutes=2), e, 170):
            out += [(t, mysql_log(t, "Note", "MY-012468", "Transactions deadlock detected, dumping detailed "
                                  "information. (lock0lock.cc:6482)", 0, "InnoDB")),
                    (t, mysql_log(t, "Note", "MY-012469", "*** (1) TRANSACTION:", 0, "InnoDB")),
                    (t, mysql_log(t, "Note", "MY-012469", "*** (1) WAITING FOR THIS LOCK TO BE GRANTED: RECORD LOCKS "
                                  "space id 41 page no 5512 n bits 96 index PRIMARY of table `identity`.`users` "
                                  "trx id 88123904 lock_mode X locks rec but not gap waiting", 0, "InnoDB")),
                    (t, mysql_log(t, "Note", "MY-012469", "*** (2) HOLDS THE LOCK(S): RECORD LOCKS space id 41 "
                                  "page no 5512 n bits 96 index PRIMARY of table `identity`.`users` trx id "
                                  "421883190113 lock mode S locks rec but not gap", 0, "InnoDB")),
                    (t, mysql_log(t, "Note", "MY-012469", "*** WE ROLL BACK TRANSACTION (2)", 0, "InnoDB"))]
        return out

    db(inc, "mysql", "identity-mysql", "mysql:8.0.36", mysqld,
       plans=[P(log=within(mysqld), created=chg + timedelta(minutes=2, seconds=30))])

    def login(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=4), e, 9, lambda i, t: L.js(
            t, "error", "update last_login", caller="store/users.go:212", user_id=100233 + i,
            error="Error 1205 (HY000): Lock wait timeout exceeded; try restarting transaction", took="50.01s"))

    workload(inc, "identity", "login-api", login, replicas=3)
    herring(inc, "identity", "mfa-sms-sender", f"{REGISTRY}/identity/mfa-sms-sender", "1.8.2", "1.8.3",
            at - timedelta(minutes=70))
    series(inc, "mysql_global_status_innodb_row_lock_waits_total", "counter", "Generic counter metric.",
           {"instance": "identity-mysql-0", "namespace": "mysql"}, counter(at - timedelta(hours=3), 0.01, 3.4, chg))
    series(inc, "mysql_global_status_innodb_row_lock_current_waits", "gauge", "Generic gauge metric.",
           {"instance": "identity-mysql-0", "namespace": "mysql"}, step(0, 41, chg))
    plant(inc, "mysql", "identity-mysql-root", "password", "mysql-root", "MYSQL_ROOT_PASSWORD")
    inc.ask("login-api has been throwing errors and slow logins since about 08:50. Anyone know why?")
    inc.answer_key(culprit=("ConfigMap", "mysql", "identity-mysql-config"),
                   keywords=["SERIALIZABLE", "lock wait", "isolation"],
                   root_cause="transaction_isolation set to SERIALIZABLE in my.cnf: reads take shared locks and "
                              "login updates hit lock wait timeouts (Error 1205)",
                   category="mysql_serializable_isolation_lock_waits",
                   red_herrings=[("Deployment", "identity", "mfa-sms-sender")])
    return inc


# ---- 2: MySQL metadata lock ---------------------------------------------------------------------------


def checkout_stalled_page() -> Incident:
    """A plain `ALTER TABLE orders` Job waits for a metadata lock behind an idle open transaction; every new
    query on `orders` queues behind it ("Waiting for table metadata lock").

    after: public MySQL postmortems of a DDL that could not start because a forgotten transaction held the
    table's metadata lock, and all traffic to the table piled up behind the pending exclusive lock.
    """
    at = datetime(2026, 12, 4, 14, 22, tzinfo=UTC)
    inc = start(checkout_stalled_page, "checkout requests hanging", at, 4502, ("shop", "mysql"))
    began = at - timedelta(minutes=9)

    def ddl(pod: str, s: datetime, e: datetime) -> Lines:
        t1, t2 = began + timedelta(seconds=5), began + timedelta(seconds=6)
        return [(t1, f"{ms(t1)} INFO  migrate: applying 20261204_1402_orders_gift_note"),
                (t2, f"{ms(t2)} INFO  migrate: ALTER TABLE orders ADD COLUMN gift_note VARCHAR(280) NULL, "
                 "ALGORITHM=INSTANT")]

    job(inc, "shop", "orders-schema-0142", f"{REGISTRY}/shop/shop-migrations:4.12.0", ["migrate", "up"], began, ddl)

    def mysqld(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(began + timedelta(minutes=1), e, 60, lambda i, t: mysql_log(
            t, "Note", "MY-010914", f"Aborted connection {55120 + i} to db: 'shop' user: 'checkout' host: "
            "'10.42.3.17' (Got timeout reading communication packets).", 55120 + i))

    db(inc, "mysql", "shop-mysql", "mysql:8.0.36", mysqld)

    def checkout(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in L.every(began + timedelta(seconds=30), e, 12):
            out += [(t, x) for x in dotnet(t, "fail", "Shop.Checkout.OrderService",
                                           "MySqlConnector.MySqlException (0x80004005): The Command Timeout "
                                           "expired before the operation completed.")]
        return out

    workload(inc, "shop", "checkout-api", checkout, replicas=3)
    herring(inc, "shop", "recommendations", f"{REGISTRY}/shop/recommendations", "7.2.0", "7.3.0",
            at - timedelta(minutes=25))
    series(inc, "mysql_info_schema_processlist_threads", "gauge", "The number of threads split by current state.",
           {"instance": "shop-mysql-0", "state": "waiting for table metadata lock"}, step(0, 212, began))
    series(inc, "mysql_info_schema_innodb_trx_oldest_seconds", "gauge", "Age of the oldest running transaction.",
           {"instance": "shop-mysql-0"}, lambda t: (t - (at - timedelta(hours=5))).total_seconds())
    plant(inc, "shop", "checkout-db", "password", "checkout-db", "DB_PASSWORD")
    inc.pagerduty("[FIRING] checkout-api p99 latency > 10s (shop)", "checkout-api")
    inc.answer_key(culprit=("Job", "shop", "orders-schema-0142"),
                   keywords=["metadata lock", "ALTER TABLE", "idle transaction"],
                   root_cause="the migration's ALTER TABLE waits for the metadata lock held by a long idle "
                              "transaction; all queries on orders queue behind the pending DDL lock",
                   category="mysql_ddl_metadata_lock_queue",
                   red_herrings=[("Deployment", "shop", "recommendations")])
    return inc


# ---- 3: one huge DELETE lags replicas --------------------------------------------------------------------


def order_status_stale() -> Incident:
    """A purge CronJob rewritten from batched deletes to one 38M-row DELETE: the replica applies it as one
    transaction for an hour, Seconds_Behind_Source climbs and order-status reads from the replica are stale.

    after: public write-ups of a single giant delete or update that replicated as one event and left every
    read replica behind for as long as it took to apply.
    """
    at = datetime(2026, 12, 5, 3, 55, tzinfo=UTC)
    inc = start(order_status_stale, "order status not updating", at, 4503, ("orders", "mysql"))
    chg = at - timedelta(hours=7)
    ran = at - timedelta(minutes=70)
    body = {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "events-purge", "namespace": "orders", "generation": 6},
            "spec": {"schedule": "30 2 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                     "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                         {"name": "purge", "image": "mysql:8.0.36", "command": ["mysql", "-h", "orders-mysql",
                          "-e", "DELETE FROM orders.order_events WHERE created_at < NOW() - INTERVAL 90 DAY"]}]}}}}},
            "status": {"lastScheduleTime": ts(ran), "lastSuccessfulTime": ts(ran + timedelta(minutes=19))}}
    owned(inc, body, "kubectl-edit", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {}}}})
    done_job(inc, "orders", "events-purge-29417730", "mysql:8.0.36", ran, ran + timedelta(minutes=19),
             lambda p, s, e: [(e - timedelta(seconds=2), "Query OK, 38214907 rows affected (18 min 52.31 sec)")],
             "events-purge")

    def replica(pod: str, s: datetime, e: datetime) -> Lines:
        stuck = ran + timedelta(minutes=20)  # from here on the applier is inside the one huge transaction
        return tick(s, e, 120, lambda i, t: mysql_log(
            t, "Note", "MY-010559", "Multi-threaded replica statistics for channel '': seconds elapsed = 120; "
            f"events assigned = {88412230 + int((min(t, stuck) - s).total_seconds()) * 75}; worker queues "
            "filled over overrun level = 0; waited due a Worker queue full = 0; waited due the total size = 0; "
            "waited at clock conflicts = 0 waited (count) when Workers occupied = 0 waited when Workers "
            "occupied = 0", 12, "Repl"))

    db(inc, "mysql", "orders-mysql-replica", "mysql:8.0.36", replica)

    def status(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(ran + timedelta(minutes=21), e, 15, lambda i, t: L.pylog(
            t, "WARNING", "order_status.views", f"order {77120031 + i} shipped in warehouse feed but status row "
            "still 'packed'"))

    workload(inc, "orders", "order-status", status, replicas=2)
    herring(inc, "orders", "invoice-renderer", f"{REGISTRY}/orders/invoice-renderer", "3.1.0", "3.1.1",
            at - timedelta(minutes=40))
    series(inc, "mysql_slave_status_seconds_behind_master", "gauge", "Generic metric from SHOW SLAVE STATUS.",
           {"instance": "orders-mysql-replica-0", "namespace": "mysql"}, ramp(0, 60, ran + timedelta(minutes=20)))
    plant(inc, "orders", "orders-mysql-reader", "password", "orders-reader", "MYSQL_PASSWORD")
    send(inc, [alert(inc, "OrderStatusStale", {"namespace": "orders", "service": "order-status"},
                     "order-status serves outdated order states",
                     "More than 5% of order-status lookups disagree with the warehouse feed for 10 minutes.",
                     'order_status_mismatch_ratio{namespace="orders"} > 0.05')], ["alertname", "namespace"])
    inc.answer_key(culprit=("CronJob", "orders", "events-purge"),
                   keywords=["DELETE", "replica lag", "Seconds_Behind"],
                   root_cause="the purge CronJob now runs one 38M-row DELETE; replicated as one transaction it "
                              "causes replica lag (Seconds_Behind_Source an hour) and order-status reads stale rows",
                   category="mysql_single_transaction_purge_replica_lag",
                   red_herrings=[("Deployment", "orders", "invoice-renderer")])
    return inc


# ---- 4: work_mem and the OOM killer ---------------------------------------------------------------------


def payments_db_recovery_page() -> Incident:
    """CloudNativePG Cluster's `work_mem` raised 16MB -> 1GB: parallel hash joins exceed the pod limit, a backend
    is OOM-killed and the postmaster restarts every session (recovery mode).

    after: PostgreSQL operators' postmortems of a memory setting raised per operation that multiplied by
    sorts, hashes and parallel workers until the kernel killed a backend and the whole server reset.
    """
    at = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)
    inc = start(payments_db_recovery_page, "payment captures failing", at, 4504, ("payments", "payments-db"))
    chg = at - timedelta(hours=2, minutes=10)
    custom(inc, "Cluster", "postgresql.cnpg.io/v1", "clusters", "payments-db", "payments-pg",
           {"instances": 3, "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
            "postgresql": {"parameters": {"shared_buffers": "4GB", "work_mem": "1GB", "max_connections": "400",
                                          "max_parallel_workers_per_gather": "4"}},
            "resources": {"requests": {"memory": "12Gi"}, "limits": {"memory": "12Gi"}},
            "storage": {"size": "500Gi", "storageClass": "gp3"}},
           {"phase": "Cluster in healthy state", "readyInstances": 3, "currentPrimary": "payments-pg-1"},
           "kubectl-edit", chg, {"f:spec": {"f:postgresql": {"f:parameters": {"f:work_mem": {}}}}})

    def instance(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in L.every(chg + timedelta(minutes=20), e, 1500):
            out += [(t, cnpg(t, pod, "LOG", "server process (PID 48211) was terminated by signal 9: Killed")),
                    (t, cnpg(t, pod, "LOG", "terminating any other active server processes")),
                    (t + timedelta(seconds=2), cnpg(t, pod, "FATAL", "the database system is in recovery mode"))]
        return out

    for n in (1, 2, 3):
        cnpg_pod(inc, "payments-db", "payments-pg", n, instance if n == 1 else quiet)

    def captures(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=20), e, 300, lambda i, t: pino(
            t, 50, "capture failed", err={"type": "DatabaseError", "code": "57P03",
                                          "message": "the database system is in recovery mode"}))

    workload(inc, "payments", "capture-service", captures, replicas=2)
    herring(inc, "payments", "fx-rates", f"{REGISTRY}/payments/fx-rates", "2.4.0", "2.5.0", at - timedelta(hours=1))
    series(inc, "container_oom_events_total", "counter", "Count of out of memory events observed for the container.",
           {"namespace": "payments-db", "pod": "payments-pg-1", "container": "postgres"},
           counter(at - timedelta(hours=3), 0, 1 / 1500, chg + timedelta(minutes=20)))
    plant(inc, "payments-db", "payments-pg-app", "password", "payments-app", "password")
    inc.pagerduty("payments-pg: postgres reset all client connections 3 times in the last hour", "payments-pg")
    inc.answer_key(culprit=("Cluster", "payments-db", "payments-pg"),
                   keywords=["work_mem", "signal 9", "recovery mode"],
                   root_cause="work_mem raised to 1GB: hash joins in parallel workers exceed the 12Gi limit, a "
                              "backend is killed by signal 9 and postgres resets every connection into recovery mode",
                   category="postgres_work_mem_backend_oom_reset",
                   red_herrings=[("Deployment", "payments", "fx-rates")])
    return inc


def quiet(pod: str, s: datetime, e: datetime) -> Lines:
    """A CloudNativePG standby with nothing to say but its checkpoints."""
    return tick(s, e, 300, lambda i, t: cnpg(t, pod, "LOG", "restartpoint complete: wrote 1811 buffers (0.4%)"))


def cnpg_pod(inc: Incident, ns: str, cluster: str, n: int, make: Callable[[str, datetime, datetime], Lines]) -> None:
    """One CloudNativePG instance pod: the operator owns pods directly (no StatefulSet)."""
    pod = f"{cluster}-{n}"
    container = c("postgres", "ghcr.io/cloudnative-pg/postgresql:16.4", port=5432, memory_request="12Gi",
                  memory_limit="12Gi", cpu_request="4")
    role = "primary" if n == 1 else "replica"
    labels = {"cnpg.io/cluster": cluster, "cnpg.io/instanceName": pod, "cnpg.io/instanceRole": role,
              "cnpg.io/podRole": "instance", "role": role}
    h = PodHistory(name=pod, namespace=ns, workload=cluster, containers=[container],
                   node=inc.cluster.pick_node(pod), created=inc.born + timedelta(days=8),
                   states=[o.ContainerState(started_at=inc.born + timedelta(days=8, seconds=9), ready=True)],
                   memory=steady(9000), labels=labels,
                   owner={**o.owner_ref("Cluster", cluster, ns, "postgresql.cnpg.io/v1"), "controller": True})
    h.logs["postgres"] = within(make)(pod, inc.born, inc.captured)
    inc.cluster.add_pod(h)


# ---- 5: planner cost flip ------------------------------------------------------------------------------


def search_api_latency_burn() -> Incident:
    """Crossplane-managed RDS ParameterGroup (cluster-scoped) sets `random_page_cost` 1.1 -> 4: the planner
    switches the listing query from an index scan to a sequential scan of 60M rows.

    after: public postmortems where a planner cost or statistics change flipped a hot query's plan and
    latency jumped with no code change; pg_stat_statements showed the same query, ten times slower.
    """
    at = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
    inc = start(search_api_latency_burn, "search-api error budget burning", at, 4505, ("search",))
    chg = at - timedelta(hours=1, minutes=35)
    custom(inc, "ParameterGroup", "rds.aws.upbound.io/v1beta1", "parametergroups", "", "catalog-pg16",
           {"forProvider": {"region": "eu-west-1", "family": "postgres16", "description": "catalog databases",
                            "parameter": [{"name": "random_page_cost", "value": "4", "applyMethod": "immediate"},
                                          {"name": "effective_io_concurrency", "value": "200",
                                           "applyMethod": "immediate"}]},
            "providerConfigRef": {"name": "aws-prod"}},
           {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Synced", "status": "True"}]},
           "kubectl-edit", chg, {"f:spec": {"f:forProvider": {"f:parameter": {}}}}, scope="Cluster")

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in L.every(s, e, 20):
            slow = t >= chg + timedelta(minutes=2)
            out += [(t, x) for x in dotnet(t, "warn" if slow else "info", "Microsoft.EntityFrameworkCore.Database."
                                           "Command", f"Executed DbCommand ({4800 if slow else 38}ms) "
                                           "[Parameters=[@p0='?'], CommandType='Text', CommandTimeout='5'] SELECT "
                                           "p.id, p.title FROM products p WHERE p.category_id = @p0 ORDER BY "
                                           "p.rank LIMIT 50")]
        return out

    workload(inc, "search", "search-api", api, replicas=3)
    herring(inc, "search", "autocomplete", f"{REGISTRY}/search/autocomplete", "5.0.3", "5.1.0",
            at - timedelta(hours=1))
    series(inc, "pg_stat_user_tables_seq_scan", "counter", "Number of sequential scans initiated on this table",
           {"datname": "catalog", "relname": "products", "server": "catalog-db:5432"},
           counter(at - timedelta(hours=3), 0.001, 2.5, chg))
    series(inc, "pg_stat_statements_mean_exec_time_seconds", "gauge", "Mean time spent in the statement",
           {"datname": "catalog", "queryid": "-4171133920374", "server": "catalog-db:5432"},
           step(0.035, 4.7, chg))
    plant(inc, "search", "catalog-db", "password", "catalog-ro", "PGPASSWORD")
    inc.slo_burn("search-api", "search", "search-availability", "0.995", 16.2,
                 "search-api is answering 5xx (timeouts) on category listings.")
    inc.answer_key(culprit=("ParameterGroup", "", "catalog-pg16"),
                   keywords=["random_page_cost", "sequential scan", "plan"],
                   root_cause="random_page_cost raised from 1.1 to 4 in the RDS parameter group: the listing query "
                              "plan flips to a sequential scan of products and times out",
                   category="postgres_planner_cost_plan_flip",
                   red_herrings=[("Deployment", "search", "autocomplete")])
    return inc


# ---- 6: Elasticsearch shard limit -----------------------------------------------------------------------


def app_logs_missing_alert() -> Incident:
    """ECK Elasticsearch `cluster.max_shards_per_node` set 1000 -> 300: the midnight daily indices cannot be
    created ("would add [2] shards ... maximum normal shards open") and Fluent Bit's bulk writes fail.

    after: vendor notes and postmortems of logging clusters that stopped ingesting at the day's index
    rollover because the open-shard limit was reached.
    """
    at = datetime(2026, 12, 6, 0, 25, tzinfo=UTC)
    inc = start(app_logs_missing_alert, "no application logs since midnight", at, 4506, ("logging",))
    chg = at - timedelta(hours=9)
    custom(inc, "Elasticsearch", "elasticsearch.k8s.elastic.co/v1", "elasticsearches", "logging", "applogs",
           {"version": "8.15.3", "nodeSets": [{"name": "hot", "count": 3,
                                                "config": {"node.roles": ["master", "data_hot", "ingest"],
                                                           "cluster.max_shards_per_node": 300}}]},
           {"health": "green", "phase": "Ready", "availableNodes": 3, "version": "8.15.3"},
           "kubectl-edit", chg, {"f:spec": {"f:nodeSets": {}}})
    rollover = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)

    def node(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(rollover, e, 60, lambda i, t: es(
            t, "WARN", "o.e.a.b.TransportBulkAction", pod, "failed to create index [logs-app-2026.12.06]: "
            "java.lang.IllegalArgumentException: Validation Failed: 1: this action would add [2] shards, but "
            "this cluster currently has [899]/[900] maximum normal shards open;"))

    db(inc, "logging", "applogs-es-hot", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3", node, members=3)

    def fluentbit(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(rollover + timedelta(seconds=10), e, 30, lambda i, t: (
            f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [error] [output:es:es.0] HTTP status=400 URI=/_bulk, "
            "response:{\"error\":{\"type\":\"validation_exception\",\"reason\":\"Validation Failed: 1: this action "
            "would add [2] shards, but this cluster currently has [899]/[900] maximum normal shards open;\"}}"))

    workload(inc, "logging", "fluent-bit-aggregator", fluentbit, replicas=2)
    herring(inc, "logging", "kibana-proxy", f"{REGISTRY}/logging/kibana-proxy", "1.4.0", "1.5.0",
            at - timedelta(hours=2))
    series(inc, "fluentbit_output_errors_total", "counter", "Number of output errors.",
           {"namespace": "logging", "name": "es.0"}, counter(at - timedelta(hours=3), 0, 2.1, rollover))
    series(inc, "elasticsearch_cluster_health_active_shards", "gauge", "Aggregate total of all shards.",
           {"cluster": "applogs"}, const_series(899))
    plant(inc, "logging", "applogs-es-elastic-user", "password", "elastic", "elastic")
    send(inc, [alert(inc, "FluentBitOutputErrors", {"namespace": "logging", "name": "es.0"},
                     "Fluent Bit cannot deliver to Elasticsearch",
                     "Output es.0 has reported errors for 15 minutes; application logs are not indexed.",
                     'rate(fluentbit_output_errors_total{name="es.0"}[5m]) > 0')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Elasticsearch", "logging", "applogs"),
                   keywords=["max_shards_per_node", "shards open", "rollover"],
                   root_cause="cluster.max_shards_per_node lowered to 300 on the 3-node cluster: at the midnight "
                              "rollover the new daily index would exceed the shards open limit and every bulk fails",
                   category="elasticsearch_shard_limit_blocks_new_index",
                   red_herrings=[("Deployment", "logging", "kibana-proxy")])
    return inc


def const_series(value: float) -> Series:
    return lambda t: value


# ---- 7: dynamic mapping conflict (simple) ----------------------------------------------------------------


def audit_writer_rejections() -> Incident:
    """audit-writer 2.6.0 sends `details` as an object where the index maps it as text: every such document is
    rejected with mapper_parsing_exception (simple).

    after: common Elasticsearch incidents where a producer changed a field's JSON type and dynamic mapping
    conflicts silently dropped documents in bulk responses.
    """
    at = datetime(2026, 12, 4, 10, 10, tzinfo=UTC)
    inc = start(audit_writer_rejections, "audit-writer rejections", at, 4507, ("audit",))
    chg = at - timedelta(minutes=48)
    old = c("audit-writer", f"{REGISTRY}/audit/audit-writer:2.5.4",
            env=[{"name": "AUDIT_DETAILS_FORMAT", "value": "string"}])
    new = c("audit-writer", f"{REGISTRY}/audit/audit-writer:2.6.0",
            env=[{"name": "AUDIT_DETAILS_FORMAT", "value": "object"}])

    def writer(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=1), e, 20, lambda i, t: L.spring(
            t, "ERROR", "c.a.audit.BulkIndexer", "bulk item failed index=audit-2026.12 status=400 "
            "type=mapper_parsing_exception reason=failed to parse field [details] of type [text] in document "
            f"with id '{L.uuidish('aw', i)}'. Preview of field's value: '{{actor=svc-billing}}'", "bulk-1"))

    rolled(inc, "audit", "audit-writer", old, new, chg, writer)
    herring(inc, "audit", "audit-ui", f"{REGISTRY}/audit/audit-ui", "4.2.0", "4.3.0", at - timedelta(minutes=30))
    series(inc, "audit_bulk_item_failures_total", "counter", "Bulk items rejected by Elasticsearch",
           {"namespace": "audit", "service": "audit-writer"}, counter(at - timedelta(hours=3), 0, 4.0, chg))
    plant(inc, "audit", "audit-es-writer", "password", "audit-es", "ES_PASSWORD")
    send(inc, [alert(inc, "AuditWriterRejections", {"namespace": "audit", "service": "audit-writer"},
                     "audit-writer: documents rejected by Elasticsearch",
                     "audit-writer has had bulk item failures for 15 minutes.",
                     'rate(audit_bulk_item_failures_total{service="audit-writer"}[5m]) > 0')],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "audit", "audit-writer"),
                   keywords=["mapper_parsing_exception", "details", "mapping"],
                   root_cause="release 2.6.0 sends details as an object; the index mapping says text and rejects the "
                              "documents with mapper_parsing_exception",
                   category="elasticsearch_field_type_mapping_conflict",
                   red_herrings=[("Deployment", "audit", "audit-ui")])
    return inc


# ---- 8: retryable writes off (simple) --------------------------------------------------------------------


def cart_service_write_errors() -> Incident:
    """cart-service 3.2.0 connects with `retryWrites=false`: the routine primary step-down during a mongod
    patch rollout now surfaces as NotWritablePrimary errors to users (simple).

    after: MongoDB driver issues and postmortems where writes failed through an ordinary election because
    retryable writes had been turned off in the connection string.
    """
    at = datetime(2026, 12, 5, 13, 15, tzinfo=UTC)
    inc = start(cart_service_write_errors, "cart-service errors", at, 4508, ("cart",))
    chg = at - timedelta(hours=3)
    uri = "mongodb://cart-mongo-0.cart-mongo,cart-mongo-1.cart-mongo,cart-mongo-2.cart-mongo/cart?replicaSet=rs0"
    old = c("cart-service", f"{REGISTRY}/cart/cart-service:3.1.7",
            env=[{"name": "MONGODB_URI", "value": uri + "&w=majority"}])
    new = c("cart-service", f"{REGISTRY}/cart/cart-service:3.2.0",
            env=[{"name": "MONGODB_URI", "value": uri + "&w=majority&retryWrites=false"}])
    stepdown = at - timedelta(minutes=6)

    def svc(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(stepdown, stepdown + timedelta(seconds=14), 1, lambda i, t: pino(
            t, 50, "cart update failed", err={"type": "MongoServerError", "code": 10107,
                                              "codeName": "NotWritablePrimary", "message": "not primary"}))

    rolled(inc, "cart", "cart-service", old, new, chg, svc, replicas=3)

    def member(pod: str, s: datetime, e: datetime) -> Lines:
        if not pod.endswith("-0"):  # only the primary steps down
            return []
        return [(stepdown, mongo(stepdown, "I", "REPL", 21358, "Replica set state transition",
                                 newState="SECONDARY", oldState="PRIMARY")),
                (stepdown, mongo(stepdown, "I", "COMMAND", 21338, "Stepping down from primary in response to "
                                 "replSetStepDown"))]

    db(inc, "cart", "cart-mongo", "percona/percona-server-mongodb:6.0.18-15", member, members=3)
    herring(inc, "cart", "promo-engine", f"{REGISTRY}/cart/promo-engine", "8.0.1", "8.0.2", at - timedelta(hours=1))
    series(inc, "http_requests_total", "counter", "Total HTTP requests.",
           {"namespace": "cart", "service": "cart-service", "code": "500"},
           counter(at - timedelta(hours=3), 0.001, 0.9, stepdown))
    plant(inc, "cart", "cart-mongo-users", "password", "cart-app", "MONGODB_PASSWORD")
    send(inc, [alert(inc, "CartServiceErrors", {"namespace": "cart", "service": "cart-service"},
                     "cart-service 5xx spike", "cart-service returned 500 on more than 2% of writes.",
                     'sum(rate(http_requests_total{service="cart-service",code=~"5.."}[5m])) > 0.5')],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "cart", "cart-service"),
                   keywords=["retryWrites", "NotWritablePrimary", "step-down"],
                   root_cause="release 3.2.0 sets retryWrites=false in MONGODB_URI: an ordinary primary step-down "
                              "fails in-flight writes with NotWritablePrimary",
                   category="mongodb_retryable_writes_disabled",
                   red_herrings=[("Deployment", "cart", "promo-engine")])
    return inc


# ---- 9: PDB lets a replica set lose its majority ----------------------------------------------------------


def profile_writes_failing_page() -> Incident:
    """PodDisruptionBudget for the 3-member MongoDB replica set edited to `maxUnavailable: 2`: a node-group
    upgrade evicts two members at once, no majority, no primary; profile writes time out.

    after: MongoDB-on-Kubernetes postmortems in which a relaxed disruption budget let voluntary evictions take
    down the replica set's majority and elections could not succeed.
    """
    at = datetime(2026, 12, 3, 22, 48, tzinfo=UTC)
    inc = start(profile_writes_failing_page, "profile updates failing", at, 4509, ("profiles", "mongo"))
    chg = at - timedelta(hours=4)
    drain = at - timedelta(minutes=8)
    owned(inc, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": "profiles-rs", "namespace": "mongo", "generation": 3},
                "spec": {"maxUnavailable": 2, "selector": {"matchLabels": {"app": "profiles-rs"}}},
                "status": {"currentHealthy": 1, "desiredHealthy": 1, "disruptionsAllowed": 0, "expectedPods": 3,
                           "observedGeneration": 3}},
          "kubectl-edit", chg, {"f:spec": {"f:maxUnavailable": {}}})

    def member(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(drain + timedelta(minutes=1), e, 30, lambda i, t: mongo(
            t, "I", "ELECTION", 4615655, "Not starting an election, since we are not electable",
            reason="Not standing for election because I cannot see a majority"))

    waiting = ("0/9 nodes are available: 3 node(s) had volume node affinity conflict, 6 node(s) were "
               "unschedulable. preemption: 0/9 nodes are available: 9 Preemption is not helpful for scheduling.")
    rs = db(inc, "mongo", "profiles-rs", "mongo:6.0.19", member,
            plans=[P(state="pending", message=waiting, created=drain), P(state="pending", message=waiting,
                                                                          created=drain), P(log=within(member))])
    for h in rs.pods[:2]:
        pod_ref = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": h.name, "namespace": "mongo",
                                                                "uid": o.uid("pod", "mongo", h.name)}}
        inc.event(pod_ref, "Evicted", "Evicted pod by the cluster autoscaler drain", drain, warning=False,
                  component="cluster-autoscaler")

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(drain + timedelta(seconds=40), e, 10, lambda i, t: L.pylog(
            t, "ERROR", "profiles.repo", "update_one failed: pymongo.errors.ServerSelectionTimeoutError: No "
            "replica set members match selector \"Primary()\", Timeout: 30s"))

    workload(inc, "profiles", "profile-api", api, replicas=2)
    herring(inc, "profiles", "avatar-resizer", f"{REGISTRY}/profiles/avatar-resizer", "1.9.0", "1.10.0",
            at - timedelta(minutes=50))
    series(inc, "mongodb_rs_members_health", "gauge", "Replica set member health",
           {"rs_nm": "rs0", "member_idx": "profiles-rs-0"}, step(1, 0, drain))
    series(inc, "mongodb_rs_members_health", "gauge", "Replica set member health",
           {"rs_nm": "rs0", "member_idx": "profiles-rs-1"}, step(1, 0, drain))
    plant(inc, "profiles", "profiles-mongo", "password", "profiles-app", "MONGO_PASSWORD")
    inc.pagerduty("profile-api: write error rate critical", "profile-api")
    inc.answer_key(culprit=("PodDisruptionBudget", "mongo", "profiles-rs"),
                   keywords=["maxUnavailable", "majority", "evict"],
                   root_cause="the replica set's PDB maxUnavailable 2 allows two of three members down; a drain "
                              "evicted two, no majority remains to elect a primary",
                   category="pdb_allows_replica_set_majority_loss",
                   red_herrings=[("Deployment", "profiles", "avatar-resizer")])
    return inc


# ---- 10: NetworkPolicy cuts streaming replication ----------------------------------------------------------


def account_balances_stale() -> Incident:
    """A default-deny NetworkPolicy in the database namespace allows 5432 only from application namespaces:
    the standby's walreceiver cannot reach the primary, replay stops and reads from the `-ro` Service go stale.

    after: public write-ups of network rules added for hardening that silently broke database replication;
    applications reading from replicas saw old data while writes kept succeeding.
    """
    at = datetime(2026, 12, 1, 15, 20, tzinfo=UTC)
    inc = start(account_balances_stale, "balances not refreshing", at, 4510, ("accounts", "accounts-db"))
    chg = at - timedelta(minutes=75)
    policy = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                      "metadata": {"name": "postgres-ingress", "namespace": "accounts-db", "generation": 1,
                                   "creationTimestamp": ts(chg)},
                "spec": {"podSelector": {"matchLabels": {"app": "accounts-pg"}}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                             "kubernetes.io/metadata.name": "accounts"}}}], "ports": [{"port": 5432}]}]}})
    changed(policy, ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:ingress": {}, "f:podSelector": {},
                                                                               "f:policyTypes": {}}}))

    def standby(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=1), e, 5, lambda i, t: pg(
            t, 3100 + i, "FATAL", "could not connect to the primary server: connection to server at "
            "\"accounts-pg-0.accounts-pg\" (10.42.1.23), port 5432 failed: timeout expired"))

    db(inc, "accounts-db", "accounts-pg", "postgres:16.4", standby, members=2)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=5), e, 30, lambda i, t: L.js(
            t, "warn", "balance read older than last transfer", account=f"acc_{4410 + i}", lag_s=300 + i * 30))

    workload(inc, "accounts", "balance-api", api, replicas=2)
    herring(inc, "accounts", "statement-mailer", f"{REGISTRY}/accounts/statement-mailer", "2.0.0", "2.0.1",
            at - timedelta(minutes=30))
    series(inc, "pg_replication_lag_seconds", "gauge", "Replication lag behind primary in seconds",
           {"instance": "accounts-pg-1", "namespace": "accounts-db"}, ramp(0.2, 60, chg))
    plant(inc, "accounts-db", "accounts-pg-replication", "password", "replicator", "REPLICATION_PASSWORD")
    send(inc, [alert(inc, "BalanceReadsStale", {"namespace": "accounts", "service": "balance-api"},
                     "balance-api serves balances older than the latest transfer",
                     "Read-after-transfer checks fail for more than 10% of accounts.",
                     'balance_stale_reads_ratio{namespace="accounts"} > 0.1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("NetworkPolicy", "accounts-db", "postgres-ingress"),
                   keywords=["replication", "walreceiver", "NetworkPolicy"],
                   root_cause="the new ingress NetworkPolicy admits 5432 only from the accounts namespace: "
                              "the standby's walreceiver cannot connect, replication stops, reads go stale",
                   category="networkpolicy_blocks_streaming_replication",
                   red_herrings=[("Deployment", "accounts", "statement-mailer")])
    return inc


# ---- 11: Redis snapshot forks (grouped) --------------------------------------------------------------------


def ratelimit_timeouts_grouped() -> Incident:
    """Redis StatefulSet revision adds `--save 60 1000` to a 24 GB cache: a BGSAVE fork every minute stalls
    the server for ~700 ms and the API gateway's rate-limit calls time out.

    after: Redis latency incidents traced to fork() of a large dataset for RDB snapshots (latest_fork_usec in
    the hundreds of milliseconds) after persistence was switched on.
    """
    at = datetime(2026, 12, 2, 19, 5, tzinfo=UTC)
    inc = start(ratelimit_timeouts_grouped, "gateway rate limiter timing out", at, 4511, ("edge", "cache"))
    chg = at - timedelta(hours=2)
    args_old = ["--maxmemory", "26gb", "--save", ""]
    args_new = ["--maxmemory", "26gb", "--save", "60 1000"]
    names = [revision(inc, "StatefulSet", "cache", "ratelimit-redis", n, when,
                      {"spec": {"containers": [{"name": "redis", "image": "redis:7.2.5", "args": args}]}})
             for n, when, args in ((1, inc.born + timedelta(days=6), args_old), (2, chg, args_new))]

    def server(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in L.every(chg + timedelta(minutes=1), e, 60):
            out += [(t, redis(t, 1, "M", "1000 changes in 60 seconds. Saving...")),
                    (t, redis(t, 1, "M", "Background saving started by pid 8812")),
                    (t + timedelta(seconds=41), redis(t + timedelta(seconds=41), 8812, "C",
                                                      "Fork CoW for RDB: current 612 MB, peak 612 MB, average 301 MB")),
                    (t + timedelta(seconds=42), redis(t + timedelta(seconds=42), 1, "M",
                                                      "Background saving terminated with success"))]
        return out

    sts = db(inc, "cache", "ratelimit-redis", "redis:7.2.5", server).obj
    sts["spec"]["template"]["spec"]["containers"][0]["args"] = args_new
    sts["status"].update({"currentRevision": names[1], "updateRevision": names[1]})

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(chg + timedelta(minutes=1), e, 60, lambda i, t: L.logfmt(
            t, "error", "rate limit check failed, failing open", component="ratelimit",
            err="dial tcp 10.42.7.9:6379: i/o timeout", duration="500.2ms"))

    workload(inc, "edge", "api-gateway", gateway, replicas=3)
    herring(inc, "edge", "geoip-lookup", f"{REGISTRY}/edge/geoip-lookup", "0.9.1", "0.9.2",
            at - timedelta(minutes=45))
    series(inc, "redis_latest_fork_usec", "gauge", "latest_fork_usec metric",
           {"instance": "ratelimit-redis-0:6379", "namespace": "cache"}, step(0, 712000, chg))
    series(inc, "redis_rdb_changes_since_last_save", "gauge", "rdb_changes_since_last_save metric",
           {"instance": "ratelimit-redis-0:6379", "namespace": "cache"}, lambda t: 400 + t.second * 20)
    plant(inc, "cache", "ratelimit-redis-auth", "token", "redis-auth", "REDIS_PASSWORD")
    labels = {"namespace": "edge", "service": "api-gateway"}
    send(inc, [alert(inc, "GatewayRateLimitErrors", labels, "api-gateway rate limiter failing open",
                     "Rate-limit lookups are timing out.", 'rate(ratelimit_errors_total{namespace="edge"}[5m]) > 1'),
               alert(inc, "GatewayLatencyHigh", labels, "api-gateway p99 above 600ms",
                     "p99 latency spikes every minute.",
                     'histogram_quantile(0.99, rate(gateway_request_duration_seconds_bucket[5m])) > 0.6'),
               alert(inc, "RedisForkTooSlow", {"namespace": "cache", "service": "ratelimit-redis",
                                               "instance": "ratelimit-redis-0:6379"},
                     "ratelimit-redis: last fork took more than 250ms",
                     "Forking the Redis process blocks it; clients see the stall as latency.",
                     'redis_latest_fork_usec{service="ratelimit-redis"} > 250000')],
         ["cluster"])
    inc.answer_key(culprit=("StatefulSet", "cache", "ratelimit-redis"),
                   keywords=["save", "fork", "BGSAVE"],
                   root_cause="the Redis revision enables RDB snapshots (save 60 1000) on a 24 GB dataset: the "
                              "BGSAVE fork every minute blocks Redis ~700 ms and rate-limit calls time out",
                   category="redis_rdb_fork_latency_stalls",
                   red_herrings=[("Deployment", "edge", "geoip-lookup")])
    return inc


# ---- 12: gh-ost without throttling (host question) ---------------------------------------------------------


def node_disk_latency_question() -> Incident:
    """A gh-ost Job started with `--max-load=` empty and `--chunk-size=20000`: the row copy saturates the
    MySQL primary's gp3 volume; everything on that node waits on I/O.

    after: online schema change tools run without their throttling flags, copying rows as fast as the
    primary's storage allowed, so latency rose for everything sharing the host.
    """
    at = datetime(2026, 12, 4, 2, 40, tzinfo=UTC)
    inc = start(node_disk_latency_question, "node sluggish", at, 4512, ("inventory", "mysql"))
    host = inc.node_names()[1]
    began = at - timedelta(minutes=50)

    def ghost(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(began + timedelta(seconds=30), e, 30, lambda i, t: (
            f"Copy: {(i + 1) * 600000}/58122340 {(i + 1) * 1.03:.1f}%; Applied: 0; Backlog: 0/1000; "
            f"Time: {(i + 1) * 30}s(total), {(i + 1) * 30}s(copy); streamer: mysql-bin.004417:{88123 + i * 90}; "
            f"Lag: 0.02s, HeartbeatLag: 0.05s, State: migrating; ETA: {max(0, 2900 - i * 30)}s"))

    job(inc, "inventory", "ghost-stock-levels-3118", f"{REGISTRY}/tools/gh-ost:1.1.6",
        ["--host=inventory-mysql", "--database=inventory", "--table=stock_levels",
         "--alter=ADD INDEX idx_sku_wh (sku, warehouse_id)", "--chunk-size=20000", "--max-load=",
         "--critical-load=Threads_running=1000", "--execute"], began, ghost)

    def mysqld(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(began + timedelta(minutes=5), e, 120, lambda i, t: mysql_log(
            t, "Warning", "MY-012574", "InnoDB: page_cleaner: 1000ms intended loop took 4823ms. The settings "
            "might not be optimal. (flushed=2012 and evicted=0, during the time.)"))

    db(inc, "mysql", "inventory-mysql", "mysql:8.0.36", mysqld, node_name=host)

    def neighbour(pod: str, s: datetime, e: datetime) -> Lines:
        return tick(began + timedelta(minutes=6), e, 25, lambda i, t: L.pylog(
            t, "WARNING", "celery.worker", "Task inventory.sync_stock_levels took 31.2s (soft time limit 30s)"))

    workload(inc, "inventory", "stock-sync", neighbour, replicas=1, nodes=[host])
    herring(inc, "inventory", "label-printer", f"{REGISTRY}/inventory/label-printer", "2.2.0", "2.3.0",
            at - timedelta(minutes=35))
    series(inc, "node_disk_io_time_seconds_total", "counter", "Total seconds spent doing I/Os.",
           {"instance": host, "device": "nvme1n1"}, counter(at - timedelta(hours=3), 0.08, 0.99, began))
    series(inc, "node_pressure_io_waiting_seconds_total", "counter", "Total time processes waited on I/O.",
           {"instance": host}, counter(at - timedelta(hours=3), 0.01, 0.8, began))
    plant(inc, "inventory", "ghost-credentials", "password", "ghost", "GHOST_PASSWORD")
    inc.ask(f"Everything scheduled on {host} got slow about 50 minutes ago and the disk latency panel is red. "
            "What is going on with that node?")
    inc.answer_key(culprit=("Job", "inventory", "ghost-stock-levels-3118"),
                   keywords=["gh-ost", "max-load", "chunk-size"],
                   root_cause="the gh-ost migration runs with no --max-load throttle and --chunk-size 20000: the copy "
                              "saturates the MySQL primary's volume on that node",
                   category="online_schema_change_unthrottled_copy",
                   red_herrings=[("Deployment", "inventory", "label-printer")])
    return inc


ALL = [login_api_question, checkout_stalled_page, order_status_stale, payments_db_recovery_page,
       search_api_latency_burn, app_logs_missing_alert, audit_writer_rejections, cart_service_write_errors,
       profile_writes_failing_page, account_balances_stale, ratelimit_timeouts_grouped, node_disk_latency_question]
