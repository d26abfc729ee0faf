"""Round 32 of the held-out incident set: external dependencies and managed services seen from the cluster.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are changes to what connects the cluster to things outside it: managed databases and
caches driven from custom resources, cloud queues, third-party API credentials and regions, egress
proxies and policies, private endpoints, CDN origins and node SNAT. Most pages are on the applications
they hurt; about a third are simple (the cause sits in the failing object's own spec, events or logs).
Log lines follow the real software's formats (Python logging, Squid access log, Spring Boot with
HikariCP/pgjdbc, pino JSON, Go logfmt with aws-sdk-go-v2 and pgx, ingress-nginx, Node undici, botocore).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import changed, crd, every, node, send, start, step  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted; a long run
    keeps its last three hours, as a capture with `--since 3h` would."""
    def log(pod: str, start: datetime, end: datetime) -> str:
        begin = max(start, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, begin, end) if begin <= x[0] <= end))
    return log


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


def victim(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
           replicas: int = 3, **kw: Any) -> Any:
    """The paged workload: running pods whose logs say what they suffer."""
    return app(inc, ns, name, f"{REGISTRY}/{ns}/{name}:3.{len(name)}.1", replicas, log=within(make), **kw)


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
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago and last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 9}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec,
                   "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def job_pod(inc: Incident, ns: str, job: str, container: str, image: str, started: datetime, done: datetime,
            node_name: str, log: str) -> PodHistory:
    """The kept pod of a Job run that completed (exit 0), with its log, as `kubectl get pods` still lists it."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(container, image, port=None)], node=node_name,
        created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=2), ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={container: log}))
    h.ended = None
    h.memory = None
    h.ready = lambda t: False
    inc.cluster.patch(ns, name, terminated(0, "Completed", started + timedelta(seconds=2), done, phase="Succeeded"))
    return h


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 30, 10, 14, tzinfo=UTC)


def pick_lists_failing_page() -> Incident:
    """proxy-env-no-proxy-rewritten-in-cluster-calls-via-egress-proxy: NO_PROXY overwritten, not appended.

    after: the corporate-proxy outages teams describe when HTTP(S)_PROXY is set for a workload: an edit to
    the shared proxy environment (adding the cloud API domain) replaces NO_PROXY instead of extending it;
    after the next restart every in-cluster call is sent to the egress proxy, which denies internal hosts.

    The ConfigMap fulfil/outbound-proxy-env (envFrom of picking-api) was edited at 09:49 to route AWS API
    calls direct: NO_PROXY became `localhost,127.0.0.1,169.254.169.254,.amazonaws.com`, losing `.svc`,
    `.cluster.local` and the pod CIDR. picking-api's pods were restarted at 09:56 (a routine rollout restart)
    and picked it up: Python requests now sends http://stock-service.warehouse.svc.cluster.local to
    Squid (platform/egress-proxy), which answers TCP_DENIED/403 (ERR_ACCESS_DENIED). stock-service itself is
    healthy and saw its traffic from picking-api vanish. Red herring: stock-service's own rollout at 09:35.
    """
    inc = start(pick_lists_failing_page, "Pick lists failing in fulfil", AT1, seed=3201,
                namespaces=("fulfil", "warehouse", "platform"))
    edit, restart = AT1 - timedelta(minutes=25), AT1 - timedelta(minutes=18)
    old_np = "localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local,10.0.0.0/8,172.20.0.0/16"
    new_np = "localhost,127.0.0.1,169.254.169.254,.amazonaws.com"
    cm = inc.configmap("fulfil", "outbound-proxy-env", {
        "HTTP_PROXY": "http://egress-proxy.platform.svc.cluster.local:3128",
        "HTTPS_PROXY": "http://egress-proxy.platform.svc.cluster.local:3128",
        "NO_PROXY": new_np, "no_proxy": new_np})
    cm["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration":
                                     '{"data":{"NO_PROXY":"' + old_np + '"}}'}
    changed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {".": {}, "f:HTTP_PROXY": {},
                                                                             "f:HTTPS_PROXY": {}}}),
            ("kubectl-edit", "Update", edit, {"f:data": {"f:NO_PROXY": {}, "f:no_proxy": {}}}))

    def picking(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < restart:
                return L.pylog(t, "INFO", "picking.api", f"built pick list PL-{88000 + i} lines=14 stock_calls=14")
            sku = f"SKU-{40210 + (i * 37) % 900}"
            return (L.pylog(t, "ERROR", "picking.stock",
                            f"stock lookup failed for {sku}: 403 Forbidden from "
                            f"http://stock-service.warehouse.svc.cluster.local:8080/v1/stock/{sku} "
                            "(server=squid/5.7, x-squid-error=ERR_ACCESS_DENIED 0)") + "\n" +
                    L.pylog(t, "ERROR", "picking.api", f"POST /v1/picklists 502 build failed: stock unavailable "
                                                       f"request_id={L.uuidish(pod, i)}"))
        return every(s, e, 20, line)

    envfrom = {"envFrom": [{"configMapRef": {"name": "outbound-proxy-env"}}]}
    revs = [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                [c("picking-api", f"{REGISTRY}/fulfil/picking-api:2.8.3")], container=envfrom),
            Rev(2, restart, "kubectl rollout restart", [c("picking-api", f"{REGISTRY}/fulfil/picking-api:2.8.3")],
                container=envfrom)]
    inc.deployment("fulfil", "picking-api", revs, {2: [P(log=within(picking)) for _ in range(3)]})

    def squid(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            epoch = f"{t.timestamp():.3f}"
            if t < restart:
                return (f"{epoch}    412 10.244.2.{30 + i % 9} TCP_TUNNEL/200 6120 CONNECT "
                        "sqs.eu-west-1.amazonaws.com:443 - HIER_DIRECT/52.95.120.12 -")
            if i % 2:
                return (f"{epoch}    388 10.244.3.{11 + i % 7} TCP_TUNNEL/200 5311 CONNECT "
                        "api.stripe.com:443 - HIER_DIRECT/54.187.174.169 -")
            sku = f"SKU-{40210 + (i * 37) % 900}"
            return (f"{epoch}      0 10.244.1.{17 + i % 3} TCP_DENIED/403 3921 GET "
                    f"http://stock-service.warehouse.svc.cluster.local:8080/v1/stock/{sku} - HIER_NONE/- text/html")
        return every(s, e, 15, line)

    victim(inc, "platform", "egress-proxy", squid, replicas=2)
    inc.configmap("platform", "egress-proxy-squid", {"squid.conf": (
        "acl internal_dst dstdomain .svc .cluster.local\nacl allowed_dst dstdomain .amazonaws.com .stripe.com "
        ".sendgrid.net\nhttp_access deny internal_dst\nhttp_access allow allowed_dst\nhttp_access deny all\n"
        "http_port 3128\n")})
    herring(inc, "warehouse", "stock-service", f"{REGISTRY}/warehouse/stock-service", "5.2.0",
            AT1 - timedelta(minutes=39))
    inc.service("warehouse", "stock-service", {"app": "stock-service"})
    inc.service("platform", "egress-proxy", {"app": "egress-proxy"}, port=3128, target=3128)
    plant(inc, "fulfil", "picking-api-db", "password", "picking-db", "DB_PASSWORD")
    http_codes(inc, "fulfil", "picking-api", (6.0, 1.5), (0.02, 4.4), restart, "502")
    http_codes(inc, "warehouse", "stock-service", (42.0, 8.0), (0.0, 0.0), restart, "500")
    inc.pagerduty("Pick lists failing: picking-api 5xx ratio 74% over 10 min (fulfil)", "Fulfilment API")
    inc.answer_key(culprit=("ConfigMap", "fulfil", "outbound-proxy-env"),
                   keywords=["NO_PROXY", "proxy", "squid", "403"],
                   root_cause="An edit to ConfigMap fulfil/outbound-proxy-env replaced NO_PROXY with a list that no "
                              "longer excludes .svc/.cluster.local; after picking-api restarted, its calls to "
                              "stock-service go through the Squid egress proxy, which denies them with 403 "
                              "(ERR_ACCESS_DENIED)",
                   category="no-proxy-list-overwritten-internal-calls-sent-to-egress-proxy",
                   red_herrings=[("Deployment", "warehouse", "stock-service")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 37, tzinfo=UTC)


def ledger_writes_failing() -> Incident:
    """managed-db-server-ca-changed-client-trusts-old-root: the DB instance's CA moved, the app pins the old one.

    after: the RDS certificate-authority rotations (rds-ca-2019 retired) that broke clients verifying the
    server with a bundled root: the managed resource's `caCertIdentifier` is changed with applyImmediately,
    the instance restarts with a certificate from the new CA, and every client that verifies against the
    old root file fails its TLS handshake while the database itself is healthy.

    The Crossplane managed resource Instance ledger-prod-pg (rds.aws.upbound.io, cluster-scoped) was edited
    at 14:02 by the platform team's CA-rotation sweep: caCertIdentifier rds-ca-2019 -> rds-ca-ecc384-g1,
    applyImmediately true. RDS rebooted the instance at 14:09. ledger-writer (Spring Boot, HikariCP, pgjdbc
    with sslmode=verify-full and sslrootcert from ConfigMap ledger/rds-ca-bundle holding only the 2019 root)
    cannot open new connections: PKIX path building failed. Red herring: ledger-reports' rollout at 14:20.
    """
    inc = start(ledger_writes_failing, "Ledger writes failing (ledger)", AT2, seed=3202, namespaces=("ledger",))
    edit, reboot = AT2 - timedelta(minutes=35), AT2 - timedelta(minutes=28)
    host = "ledger-prod-pg.cx8fq2example.eu-west-1.rds.amazonaws.com"
    custom(inc, "Instance", "rds.aws.upbound.io", "v1beta1", "instances", "", "ledger-prod-pg",
           {"forProvider": {"region": "eu-west-1", "engine": "postgres", "engineVersion": "16.4",
                            "instanceClass": "db.r6g.xlarge", "allocatedStorage": 500, "multiAz": True,
                            "caCertIdentifier": "rds-ca-ecc384-g1", "applyImmediately": True,
                            "dbSubnetGroupName": "prod-data", "username": "ledger_admin",
                            "passwordSecretRef": {"namespace": "crossplane-system", "name": "ledger-prod-pg-master",
                                                  "key": "password"}},
            "providerConfigRef": {"name": "aws-prod"},
            "writeConnectionSecretToRef": {"namespace": "ledger", "name": "ledger-prod-pg-conn"}},
           {"atProvider": {"address": host, "port": 5432, "caCertIdentifier": "rds-ca-ecc384-g1",
                           "status": "available", "engineVersion": "16.4"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "Available",
                            "lastTransitionTime": ts(reboot + timedelta(minutes=6))},
                           {"type": "Synced", "status": "True", "reason": "ReconcileSuccess",
                            "lastTransitionTime": ts(edit + timedelta(seconds=20))}]},
           "kubectl-patch", edit,
           {"f:spec": {"f:forProvider": {"f:caCertIdentifier": {}, "f:applyImmediately": {}}}},
           scope="Cluster")
    inc.configmap("ledger", "rds-ca-bundle", {"rds-ca-2019-root.pem": "-----BEGIN CERTIFICATE-----\n"
                  "MIIEBjCCAu6gAwIBAgIJAMc0ZzaSUK51MA0GCSqGSIb3DQEBCwUAMIGPMQswCQYD\n-----END CERTIFICATE-----\n"})

    def writer(pod: str, s: datetime, e: datetime) -> Lines:
        pkix = ("org.postgresql.util.PSQLException: SSL error: PKIX path building failed: "
                "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification "
                "path to requested target\n"
                "\tat org.postgresql.ssl.MakeSSL.convert(MakeSSL.java:43)\n"
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.enableSSL(ConnectionFactoryImpl.java:584)\n"
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.tryConnect(ConnectionFactoryImpl.java:168)\n"
                "\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:364)\n"
                "Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
                "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification "
                "path to requested target")

        def line(i: int, t: datetime) -> str | None:
            if t < reboot:
                return L.spring(t, "INFO", "c.a.ledger.posting.PostingService",
                                f"posted journal batch JB-{71000 + i} entries=48", thread="posting-3")
            if t < reboot + timedelta(minutes=1):
                return L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                                "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@"
                                f"{0x3a1f00 + i:x} (This connection has been closed.). Possibly consider using a "
                                "shorter maxLifetime value.", thread="posting-3")
            if i % 3 == 0:
                return L.spring(t, "WARN", "com.zaxxer.hikari.pool.HikariPool",
                                f"HikariPool-1 - Pool is empty, failed to create/setup connection ({pod})\n" + pkix,
                                thread="HikariPool-1 connection adder")
            return L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                            "Servlet.service() for servlet [dispatcherServlet] threw exception "
                            "[org.springframework.transaction.CannotCreateTransactionException: Could not open JPA "
                            "EntityManager for transaction] with root cause\n"
                            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, "
                            "request timed out after 30000ms (total=0, active=0, idle=0, waiting=12)",
                            thread=f"http-nio-8080-exec-{i % 9 + 1}")
        return every(s, e, 20, line)

    victim(inc, "ledger", "ledger-writer", writer, env=[
        {"name": "SPRING_DATASOURCE_URL",
         "value": f"jdbc:postgresql://{host}:5432/ledger?sslmode=verify-full"
                  "&sslrootcert=/etc/rds-ca/rds-ca-2019-root.pem"}])
    plant(inc, "ledger", "ledger-prod-pg-conn", "password", "ledger-db", "password")
    herring(inc, "ledger", "ledger-reports", f"{REGISTRY}/ledger/ledger-reports", "1.14.2",
            AT2 - timedelta(minutes=17))
    http_codes(inc, "ledger", "ledger-writer", (14.0, 1.0), (0.01, 9.5), reboot, "500")
    inc.series("aws_rds_database_connections_average", "gauge", "CloudWatch metric AWS/RDS DatabaseConnections",
               {"job": "aws_rds", "dbinstance_identifier": "ledger-prod-pg", "region": "eu-west-1"},
               step(64.0, 3.0, reboot), step_s=60)
    send(inc, [alert(inc, "LedgerWriterHighErrorRate",
                     {"namespace": "ledger", "service": "ledger-writer", "job": "ledger-writer"},
                     "ledger-writer is failing 90% of requests",
                     "ledger-writer 5xx ratio is 0.9 over the last 10 minutes; journal postings are not written.",
                     'sum(rate(http_requests_total{namespace="ledger",service="ledger-writer",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="ledger",service="ledger-writer"}[5m])) > 0.2',
                     "critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Instance", "", "ledger-prod-pg"),
                   keywords=["caCertIdentifier", "CA", "PKIX", "certificate"],
                   root_cause="The Crossplane RDS Instance ledger-prod-pg had its caCertIdentifier changed to "
                              "rds-ca-ecc384-g1 with applyImmediately; after the reboot the server certificate is "
                              "issued by a CA that ledger-writer's pinned rds-ca-2019 root bundle does not contain, "
                              "so pgjdbc's verify-full TLS handshake fails (PKIX path building failed)",
                   category="managed-db-ca-identifier-changed-client-pins-old-root",
                   red_herrings=[("Deployment", "ledger", "ledger-reports")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 10, 41, tzinfo=UTC)


def session_api_errors_question() -> Incident:
    """cache-in-transit-encryption-required-plaintext-clients-reset: a managed cache now refuses plain TCP.

    after: ElastiCache's documented two-step path to in-transit encryption on a live replication group
    (transitEncryptionMode `preferred` while clients move to TLS, then `required`), skipped: the group is
    set straight to required, and every client still speaking plain RESP is disconnected.

    The ACK ReplicationGroup accounts/sessions-cache (elasticache.services.k8s.aws) was edited at 10:18:
    transitEncryptionEnabled true, transitEncryptionMode required. The modification finished at 10:31.
    session-api (Node.js, ioredis, plain `redis://` URL) now gets its connections reset and every session
    lookup fails with ECONNRESET / "Connection is closed". Red herring: profile-api's rollout at 10:25.
    """
    inc = start(session_api_errors_question, "session-api errors", AT3, seed=3203, namespaces=("accounts",))
    edit, done = AT3 - timedelta(minutes=23), AT3 - timedelta(minutes=10)
    endpoint = "master.sessions-cache.q7xkbe.euw1.cache.amazonaws.com"
    custom(inc, "ReplicationGroup", "elasticache.services.k8s.aws", "v1alpha1", "replicationgroups", "accounts",
           "sessions-cache",
           {"replicationGroupID": "sessions-cache", "description": "session store for session-api",
            "engine": "redis", "engineVersion": "7.1", "cacheNodeType": "cache.r7g.large",
            "numNodeGroups": 1, "replicasPerNodeGroup": 1, "automaticFailoverEnabled": True,
            "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
            "transitEncryptionMode": "required", "cacheSubnetGroupName": "prod-cache",
            "securityGroupIDs": ["sg-0c41a7e5d2f9b0e13"]},
           {"ackResourceMetadata": {"arn": "arn:aws:elasticache:eu-west-1:412907311845:replicationgroup:"
                                           "sessions-cache", "ownerAccountID": "412907311845",
                                    "region": "eu-west-1"},
            "status": "available", "transitEncryptionEnabled": True, "transitEncryptionMode": "required",
            "nodeGroups": [{"nodeGroupID": "0001", "status": "available",
                            "primaryEndpoint": {"address": endpoint, "port": 6379}}],
            "conditions": [{"type": "ACK.ResourceSynced", "status": "True",
                            "lastTransitionTime": ts(done)}]},
           "kubectl-edit", edit, {"f:spec": {"f:transitEncryptionEnabled": {}, "f:transitEncryptionMode": {}}})

    def session(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            ms = int(t.timestamp() * 1000)
            if t < done:
                return ('{"level":30,"time":' + str(ms) + ',"pid":1,"hostname":"' + pod +
                        '","req":{"method":"GET","url":"/v1/sessions/current"},"res":{"statusCode":200},'
                        '"responseTime":3,"msg":"request completed"}')
            if i % 4 == 0:
                return ('{"level":50,"time":' + str(ms) + ',"pid":1,"hostname":"' + pod +
                        '","msg":"[ioredis] Unhandled error event: Error: read ECONNRESET\\n    at TCP.onStreamRead '
                        '(node:internal/stream_base_commons:218:20)"}')
            return ('{"level":50,"time":' + str(ms) + ',"pid":1,"hostname":"' + pod +
                    '","req":{"method":"GET","url":"/v1/sessions/current"},"res":{"statusCode":503},'
                    '"err":{"type":"Error","message":"Connection is closed.","stack":"Error: Connection is closed.\\n'
                    '    at close (/app/node_modules/ioredis/built/redis/event_handler.js:189:25)\\n'
                    '    at Socket.<anonymous> (/app/node_modules/ioredis/built/redis/event_handler.js:156:20)"},'
                    '"msg":"session lookup failed"}')
        return every(s, e, 12, line)

    victim(inc, "accounts", "session-api", session, env=[
        {"name": "REDIS_URL", "value": f"redis://{endpoint}:6379/0"}])
    herring(inc, "accounts", "profile-api", f"{REGISTRY}/accounts/profile-api", "2.31.0", AT3 - timedelta(minutes=16))
    plant(inc, "accounts", "session-signing", "token", "session-hmac", "SESSION_SECRET")
    http_codes(inc, "accounts", "session-api", (55.0, 4.0), (0.0, 40.0), done, "503")
    inc.series("aws_elasticache_curr_connections_average", "gauge", "CloudWatch metric AWS/ElastiCache CurrConnections",
               {"job": "aws_elasticache", "cache_cluster_id": "sessions-cache-001", "region": "eu-west-1"},
               step(180.0, 2.0, done), step_s=60)
    inc.ask("why is session-api throwing errors since about 10:30?")
    inc.answer_key(culprit=("ReplicationGroup", "accounts", "sessions-cache"),
                   keywords=["transitEncryptionMode", "TLS", "in-transit", "ECONNRESET"],
                   root_cause="The ACK ReplicationGroup accounts/sessions-cache was switched to "
                              "in-transit encryption (transitEncryptionEnabled, transitEncryptionMode required) in one "
                              "step; the cache now refuses plaintext connections and session-api's ioredis client, "
                              "still using redis:// without TLS, is reset (ECONNRESET, Connection is closed)",
                   category="managed-cache-transit-encryption-required-plaintext-client",
                   red_herrings=[("Deployment", "accounts", "profile-api")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 16, 22, tzinfo=UTC)


def invoice_dead_letters_rising() -> Incident:
    """queue-visibility-timeout-below-processing-time-redelivery: messages reappear while still being worked.

    after: the SQS guidance that a queue's visibility timeout must exceed the consumer's processing time
    (AWS recommends several times it): a clean-up of queue settings cuts it, in-flight messages become
    visible again mid-work, other consumers take them, deletes fail on expired receipt handles, documents
    are rendered and mailed twice, and after maxReceiveCount the redrive policy moves them to the DLQ.

    The ACK Queue billing/render-queue (sqs.services.k8s.aws; SQS queue prod-invoice-render) was edited at
    15:40: visibilityTimeout "300" -> "30" (aligned with the other queues of the namespace). invoice-renderer
    (Go, aws-sdk-go-v2) takes 40-90 s per invoice PDF; from 15:41 its DeleteMessage calls fail with "The
    receipt handle has expired", receive counts climb to 3 and messages land in prod-invoice-render-dlq.
    Red herring: invoice-api's rollout at 16:05.
    """
    inc = start(invoice_dead_letters_rising, "Invoice dead letters rising (billing)", AT4, seed=3204,
                namespaces=("billing",))
    edit = AT4 - timedelta(minutes=42)
    url = "https://sqs.eu-west-1.amazonaws.com/412907311845/prod-invoice-render"
    custom(inc, "Queue", "sqs.services.k8s.aws", "v1alpha1", "queues", "billing", "render-queue",
           {"queueName": "prod-invoice-render", "visibilityTimeout": "30", "messageRetentionPeriod": "1209600",
            "receiveMessageWaitTimeSeconds": "20", "delaySeconds": "0",
            "redrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:412907311845:prod-invoice-render-dlq",'
                             '"maxReceiveCount":3}'},
           {"queueURL": url, "ackResourceMetadata": {"arn": "arn:aws:sqs:eu-west-1:412907311845:prod-invoice-render",
                                                      "ownerAccountID": "412907311845", "region": "eu-west-1"},
            "conditions": [{"type": "ACK.ResourceSynced", "status": "True",
                            "lastTransitionTime": ts(edit + timedelta(seconds=9))}]},
           "kubectl-client-side-apply", edit, {"f:spec": {"f:visibilityTimeout": {}}})
    for name, vis in (("mail-queue", "30"), ("export-queue", "60")):
        inc.add({"apiVersion": "sqs.services.k8s.aws/v1alpha1", "kind": "Queue",
                 "metadata": {"name": name, "namespace": "billing"},
                 "spec": {"queueName": f"prod-invoice-{name.split('-')[0]}", "visibilityTimeout": vis,
                          "receiveMessageWaitTimeSeconds": "20"},
                 "status": {"conditions": [{"type": "ACK.ResourceSynced", "status": "True",
                                            "lastTransitionTime": ts(inc.born + timedelta(days=20))}]}})

    def renderer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            inv = f"INV-2026-{310400 + i * 3 + len(pod) % 3}"
            if t < edit:
                return L.logfmt(t, "info", "invoice rendered and mailed", invoice=inv, duration=f"{48 + i % 40}.2s",
                                receive_count=1)
            if i % 3 == 0:
                return L.logfmt(t, "error", "delete message failed", invoice=inv, queue="prod-invoice-render",
                                err="operation error SQS: DeleteMessage, https response error StatusCode: 400, "
                                    f"RequestID: {L.uuidish(pod, i)}, InvalidParameterValue: Value "
                                    "AQEBx3v9...Zw== for parameter ReceiptHandle is invalid. Reason: The receipt "
                                    "handle has expired.")
            if i % 3 == 1:
                return L.logfmt(t, "warn", "message redelivered while a previous receive is still processing",
                                invoice=inv, receive_count=2 + i % 2, approximate_first_receive="71s ago")
            return L.logfmt(t, "info", "invoice rendered and mailed", invoice=inv, duration=f"{52 + i % 37}.8s",
                            receive_count=2)
        return every(s, e, 25, line)

    victim(inc, "billing", "invoice-renderer", renderer, env=[{"name": "QUEUE_URL", "value": url}])
    herring(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api", "7.3.0", AT4 - timedelta(minutes=17))
    plant(inc, "billing", "smtp-relay", "password", "smtp", "SMTP_PASSWORD")
    begin = AT4 - timedelta(hours=2)
    inc.series("aws_sqs_approximate_number_of_messages_visible_average", "gauge",
               "CloudWatch metric AWS/SQS ApproximateNumberOfMessagesVisible",
               {"job": "aws_sqs", "queue_name": "prod-invoice-render-dlq", "region": "eu-west-1"},
               lambda t: 0.0 if t < edit + timedelta(minutes=4) else
               round((t - edit - timedelta(minutes=4)).total_seconds() / 60 * 6.5), step_s=60)
    inc.series("aws_sqs_number_of_messages_received_sum", "gauge", "CloudWatch metric AWS/SQS NumberOfMessagesReceived",
               {"job": "aws_sqs", "queue_name": "prod-invoice-render", "region": "eu-west-1"},
               step(22.0, 61.0, edit), step_s=60)
    inc.series("invoices_mailed", "counter", "Invoice e-mails sent.",
               {"namespace": "billing", "job": "invoice-renderer"}, counter(begin, 0.35, 0.8, edit))
    send(inc, [alert(inc, "SQSDeadLetterQueueNotEmpty",
                     {"queue_name": "prod-invoice-render-dlq", "job": "aws_sqs", "namespace": "billing"},
                     "Dead-letter queue prod-invoice-render-dlq has 250 visible messages",
                     "Messages are being moved to prod-invoice-render-dlq after exhausting their receives.",
                     'max(aws_sqs_approximate_number_of_messages_visible_average{queue_name=~".*-dlq"}) > 0')],
         ["alertname", "queue_name"])
    inc.answer_key(culprit=("Queue", "billing", "render-queue"),
                   keywords=["visibilityTimeout", "receipt handle", "redelivered", "processing time"],
                   root_cause="The ACK Queue billing/render-queue had its visibilityTimeout cut from 300 to 30 "
                              "seconds, below invoice-renderer's 40-90 s processing time: messages are redelivered "
                              "mid-work, deletes fail because the receipt handle has expired, invoices are mailed "
                              "twice and after 3 receives the redrive policy moves them to the dead-letter queue",
                   category="queue-visibility-timeout-below-consumer-processing-time",
                   red_herrings=[("Deployment", "billing", "invoice-api")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 9, 8, tzinfo=UTC)


def card_captures_burn() -> Incident:
    """payment-api-key-replaced-with-restricted-key-missing-permission: a rotated key lacks one permission.

    after: payment-provider key rotations done by creating a restricted key for least privilege: the new
    key is written to the Secret and the pods restart, but it lacks the write permission one endpoint
    needs, and the provider answers 403 with a permission error on every charge.

    The Secret pay/psp-credentials (STRIPE_SECRET_KEY) was replaced at 08:41 by a hand edit with a new
    restricted key (rk_live_...) as part of a key-rotation ticket; Reloader restarted payment-gateway at
    08:42. Creating PaymentIntents now fails: StripePermissionError 403, the key lacks
    rak_payment_intent_write. Refund and balance reads still work. Red herring: fraud-scoring's rollout at
    08:50.
    """
    inc = start(card_captures_burn, "Card captures failing", AT5, seed=3205, namespaces=("pay",))
    edit, restart = AT5 - timedelta(minutes=27), AT5 - timedelta(minutes=26)
    token = inc.canary("token", "stripe-restricted")
    key = "rk_live_51N" + token
    inc.canaries[inc.canaries.index(token)] = key  # the planted value is the whole restricted key
    inc.secret("pay", "psp-credentials", {"STRIPE_SECRET_KEY": key,
                                          "STRIPE_WEBHOOK_SECRET": "whsec_" + inc.canary("token", "whsec-pay")})
    sec = inc.find("Secret", "pay", "psp-credentials")
    sec["metadata"]["annotations"] = {"reloader.stakater.com/match": "true"}
    changed(sec, ("external-secrets", "Update", inc.born + timedelta(days=30), {"f:data": {".": {}}}),
            ("kubectl-edit", "Update", edit, {"f:data": {"f:STRIPE_SECRET_KEY": {}}}))

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            ms = str(int(t.timestamp() * 1000))
            if i % 4 == 3:
                return ('{"level":30,"time":' + ms + ',"pid":1,"hostname":"' + pod + '","msg":"refund created",'
                        '"refund":"re_3Q' + L.uuidish(pod, i)[:12] + '","status":"succeeded"}')
            return ('{"level":50,"time":' + ms + ',"pid":1,"hostname":"' + pod + '","msg":"stripe request failed",'
                    '"err":{"type":"StripePermissionError","statusCode":403,"raw":{"message":"The provided key '
                    '\'rk_live_*********************' + token[-4:] + '\' does not have the required permissions for '
                    'this endpoint on account \'acct_1N8xq2Example\'. Having the \'rak_payment_intent_write\' '
                    'permission would allow this request to continue.","type":"invalid_request_error"},'
                    '"requestId":"req_' + L.uuidish(pod, i)[:14] + '"},"endpoint":"POST /v1/payment_intents",'
                    '"order":"ORD-' + str(551200 + i) + '"}')
        return every(s, e, 15, line)

    img = f"{REGISTRY}/pay/payment-gateway:4.9.2"
    env = {"envFrom": [{"secretRef": {"name": "psp-credentials"}}]}
    revs = [Rev(1, inc.born + timedelta(days=18), "helm upgrade", [c("payment-gateway", img)], container=env),
            Rev(2, restart, "reloader.stakater.com/auto: psp-credentials", [c("payment-gateway", img)],
                container=env)]
    inc.deployment("pay", "payment-gateway", revs, {2: [P(log=within(gateway)) for _ in range(3)]},
                   annotations={"reloader.stakater.com/auto": "true"})
    herring(inc, "pay", "fraud-scoring", f"{REGISTRY}/pay/fraud-scoring", "0.44.0", AT5 - timedelta(minutes=18))
    http_codes(inc, "pay", "payment-gateway", (9.0, 1.2), (0.01, 7.0), restart, "502")
    inc.slo_burn("payment-gateway", "pay", "card-capture-availability", "0.999", 31.0,
                 "payment-gateway successful capture ratio is 15% over the last hour (objective 99.9%).")
    inc.answer_key(culprit=("Secret", "pay", "psp-credentials"),
                   keywords=["restricted key", "permission", "403", "Stripe"],
                   root_cause="Secret pay/psp-credentials was edited to a new Stripe restricted key (rk_live_) that "
                              "lacks the rak_payment_intent_write permission; after Reloader restarted "
                              "payment-gateway every PaymentIntent creation fails with a 403 permission error",
                   category="payment-provider-restricted-key-missing-write-permission",
                   red_herrings=[("Deployment", "pay", "fraud-scoring")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 13, 51, tzinfo=UTC)


def sms_sender_failures() -> Incident:
    """sms-api-region-switched-credentials-valid-only-in-home-region: a regional endpoint rejects the key.

    after: SMS/voice vendors' regional processing (Twilio's `edge`/`region`): API keys exist per region, so
    pointing a client at a new regional host with the existing (US1) credentials gets 401 Authenticate
    (error 20003) on every send. Simple: the change and the errors are both in the failing workload.

    sms-sender's release at 13:22 (Deployment notify/sms-sender revision 2) adds TWILIO_REGION=ie1 and
    TWILIO_EDGE=dublin for data residency; its TWILIO_API_KEY/SECRET are US1 keys. Every message create goes
    to api.dublin.ie1.twilio.com and fails with HTTP 401, code 20003. Red herring: email-sender at 13:30.
    """
    inc = start(sms_sender_failures, "sms-sender failures (notify)", AT6, seed=3206, namespaces=("notify",))
    rollout = AT6 - timedelta(minutes=29)
    plant(inc, "notify", "twilio-api", "token", "twilio-secret", "TWILIO_API_SECRET")

    def sender(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if i % 5 == 4:
                return L.pylog(t, "INFO", "sms.worker", f"dequeued batch size=20 queue=otp-sms pending={140 + i}")
            return L.pylog(t, "ERROR", "sms.worker",
                           f"send failed to=+44******{(4410 + i) % 10000:04d} template=otp attempt={1 + i % 3}\n"
                           "Traceback (most recent call last):\n"
                           '  File "/app/sms/worker.py", line 88, in send\n'
                           "    msg = self.client.messages.create(to=to, from_=self.sender, body=body)\n"
                           '  File "/usr/local/lib/python3.12/site-packages/twilio/rest/api/v2010/account/message/'
                           '__init__.py", line 828, in create\n'
                           "    payload = self._version.create(method=\"POST\", uri=self._uri, data=data, "
                           "headers=headers)\n"
                           "twilio.base.exceptions.TwilioRestException: HTTP 401 error: Unable to create record: "
                           "Authenticate\n"
                           "  POST https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC4f1c2e0example/"
                           "Messages.json\n  code=20003 more_info=https://www.twilio.com/docs/errors/20003")
        return every(s, e, 20, line)

    base = [{"name": "TWILIO_ACCOUNT_SID", "value": "AC4f1c2e0example"},
            {"name": "TWILIO_API_KEY", "valueFrom": {"secretKeyRef": {"name": "twilio-api", "key": "TWILIO_API_KEY"}}},
            {"name": "TWILIO_API_SECRET",
             "valueFrom": {"secretKeyRef": {"name": "twilio-api", "key": "TWILIO_API_SECRET"}}}]
    revs = [Rev(1, inc.born + timedelta(days=21), "helm upgrade",
                [c("sms-sender", f"{REGISTRY}/notify/sms-sender:1.17.0", env=base)]),
            Rev(2, rollout, "helm upgrade",
                [c("sms-sender", f"{REGISTRY}/notify/sms-sender:1.18.0",
                   env=[*base, {"name": "TWILIO_REGION", "value": "ie1"},
                        {"name": "TWILIO_EDGE", "value": "dublin"}])])]
    inc.deployment("notify", "sms-sender", revs, {2: [P(log=within(sender)) for _ in range(2)]})
    herring(inc, "notify", "email-sender", f"{REGISTRY}/notify/email-sender", "3.2.0", AT6 - timedelta(minutes=21))
    begin = AT6 - timedelta(hours=2)
    for status, (before, after) in (("sent", (3.0, 0.0)), ("failed", (0.0, 2.6))):
        inc.series("sms_messages", "counter", "SMS send attempts by outcome.",
                   {"namespace": "notify", "job": "sms-sender", "status": status},
                   counter(begin, before, after, rollout + timedelta(minutes=1)))
    send(inc, [alert(inc, "SMSSendFailureRateHigh",
                     {"namespace": "notify", "deployment": "sms-sender", "job": "sms-sender"},
                     "sms-sender fails 100% of sends",
                     "No SMS was sent by notify/sms-sender in the last 20 minutes; one-time passwords are not "
                     "delivered.",
                     'sum(rate(sms_messages_total{namespace="notify",status="failed"}[10m])) / '
                     'sum(rate(sms_messages_total{namespace="notify"}[10m])) > 0.5', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "notify", "sms-sender"),
                   keywords=["TWILIO_REGION", "ie1", "20003", "credentials"],
                   root_cause="sms-sender revision 2 sets TWILIO_REGION=ie1 / TWILIO_EDGE=dublin while its API "
                              "credentials are US1 keys; Twilio's ie1 region rejects them with HTTP 401 "
                              "Authenticate (error 20003), so no SMS is sent",
                   category="sms-vendor-region-switched-home-region-credentials",
                   red_herrings=[("Deployment", "notify", "email-sender")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 19, 4, tzinfo=UTC)


def order_services_failing_grouped() -> Incident:
    """cost-scheduler-tag-filter-widened-stops-production-database: an office-hours stopper hits prod.

    after: the cloud cost-saving schedulers (instance schedulers, "stop non-prod at night" jobs) whose
    selection is widened by a tag or name filter edit and that then stop a production database at the
    evening run; the database is cleanly stopped, so nothing in it logs an error, and every client fails.

    The CronJob finops/rds-office-hours-stop (weekdays 19:00) was edited at 11:15 to add the new staging
    cluster of the orders team: its filter went from `env=staging` to `team=orders`, which also matches
    the production Aurora cluster orders-prod-aurora. Its 19:00 run stopped both clusters (stop-db-cluster,
    Status stopping). orders-api, orders-worker and the Postgres exporter lose the database at 19:01.
    Red herring: orders-admin's rollout at 18:40.
    """
    inc = start(order_services_failing_grouped, "Order services failing (orders)", AT7, seed=3207,
                namespaces=("orders", "finops"))
    edit, run = AT7 - timedelta(hours=7, minutes=49), AT7 - timedelta(minutes=4)
    stopped = run + timedelta(seconds=50)
    host = "orders-prod-aurora.cluster-cx8fq2example.eu-west-1.rds.amazonaws.com"
    image = "public.ecr.aws/aws-cli/aws-cli:2.17.44"
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "rds-office-hours-stop", "namespace": "finops", "generation": 6,
                     "labels": {"app.kubernetes.io/part-of": "cost-scheduler"}},
        "spec": {"schedule": "0 19 * * 1-5", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "suspend": False,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "serviceAccountName": "rds-scheduler", "restartPolicy": "Never",
                     "containers": [{"name": "stop", "image": image, "command": ["/bin/sh", "-c"],
                                     "args": ["for c in $(aws rds describe-db-clusters --query "
                                              "\"DBClusters[?TagList[?Key=='team' && Value=='orders']]."
                                              "DBClusterIdentifier\" --output text); do aws rds stop-db-cluster "
                                              "--db-cluster-identifier $c --query DBCluster.[DBClusterIdentifier,"
                                              "Status] --output text; done"]}]}}}}},
        "status": {"lastScheduleTime": ts(run), "lastSuccessfulTime": ts(stopped)}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=10), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", edit,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    job = f"rds-office-hours-stop-{int(run.timestamp()) // 60}"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "finops", "creationTimestamp": ts(run),
                          "labels": {"batch.kubernetes.io/job-name": job},
                          "ownerReferences": [o.owner_ref("CronJob", "rds-office-hours-stop", "finops",
                                                          api_version="batch/v1")]},
             "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1},
             "status": {"startTime": ts(run), "completionTime": ts(stopped), "succeeded": 1, "ready": 0,
                        "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": ts(stopped),
                                        "lastTransitionTime": ts(stopped)}]}})
    log = L.lines([(run + timedelta(seconds=38), "orders-staging-aurora\tstopping"),
                   (stopped, "orders-prod-aurora\tstopping")])
    job_pod(inc, "finops", job, "stop", image, run, stopped, node(inc, 1), log)
    cron_obj = inc.find("CronJob", "finops", "rds-office-hours-stop")
    inc.event(cron_obj, "SuccessfulCreate", f"Created job {job}", run, warning=False, component="cronjob-controller")
    inc.event(cron_obj, "SawCompletedJob", f"Saw completed job: {job}, status: Complete", stopped, warning=False,
              component="cronjob-controller")
    down = stopped + timedelta(seconds=20)

    def pgx(pod: str, i: int) -> str:
        return (f"failed to connect to `host={host} user=orders database=orders`: dial error (dial tcp "
                f"10.0.21.{77 + i % 2}:5432: connect: connection refused)")

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < down:
                return L.logfmt(t, "info", "request", method="GET", path="/v1/orders", status=200,
                                duration_ms=11 + i % 9)
            return L.logfmt(t, "error", "request failed", method="POST", path="/v1/orders", status=503,
                            err=pgx(pod, i), request_id=L.uuidish(pod, i))
        return every(s, e, 15, line)

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < down:
                return L.logfmt(t, "info", "job done", queue="fulfilment", job_id=f"j-{91000 + i}")
            return L.logfmt(t, "error", "job failed, will retry", queue="fulfilment", job_id=f"j-{91000 + i}",
                            attempt=1 + i % 5, err=pgx(pod, i))
        return every(s, e, 30, line)

    def exporter(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < down:
                return None
            return (f'ts={t.strftime("%Y-%m-%dT%H:%M:%S")}.{i % 1000:03d}Z caller=collector.go:199 level=error '
                    'msg="collector failed" name=database duration_seconds=0.0021 err="dial tcp 10.0.21.77:5432: '
                    'connect: connection refused"')
        return every(s, e, 30, line)

    victim(inc, "orders", "orders-api", api, env=[{"name": "DATABASE_HOST", "value": host}])
    victim(inc, "orders", "orders-worker", worker, replicas=2, env=[{"name": "DATABASE_HOST", "value": host}])
    victim(inc, "orders", "orders-db-exporter", exporter, replicas=1)
    herring(inc, "orders", "orders-admin", f"{REGISTRY}/orders/orders-admin", "2.6.0", AT7 - timedelta(minutes=24))
    plant(inc, "orders", "orders-db", "password", "orders-db", "DATABASE_PASSWORD")
    http_codes(inc, "orders", "orders-api", (21.0, 2.0), (0.02, 18.0), down, "503")
    inc.series("pg_up", "gauge", "Whether the last scrape of metrics from PostgreSQL was able to connect to the "
               "server (1 for yes, 0 for no).", {"namespace": "orders", "job": "orders-db-exporter",
                                                   "server": f"{host}:5432"}, step(1.0, 0.0, down), step_s=30)
    inc.series("aws_rds_database_connections_average", "gauge", "CloudWatch metric AWS/RDS DatabaseConnections",
               {"job": "aws_rds", "dbclusteridentifier": "orders-prod-aurora", "region": "eu-west-1"},
               lambda t: 120.0 if t < stopped else None, step_s=60)
    send(inc, [
        alert(inc, "PostgresqlDown",
              {"namespace": "orders", "job": "orders-db-exporter", "service": "orders-db-exporter"},
              "Postgresql down (orders-prod-aurora)", "pg_up is 0 for the orders database.",
              'pg_up{namespace="orders"} == 0', "critical"),
        alert(inc, "HTTPErrorRateHigh", {"namespace": "orders", "service": "orders-api", "job": "orders-api"},
              "orders-api 5xx ratio above 50%", "orders-api is failing most requests.",
              'sum(rate(http_requests_total{namespace="orders",code=~"5.."}[5m])) by (service) / '
              'sum(rate(http_requests_total{namespace="orders"}[5m])) by (service) > 0.1', "critical"),
        alert(inc, "JobQueueNotDraining", {"namespace": "orders", "service": "orders-worker", "job": "orders-worker"},
              "orders-worker has not completed a job in 3 minutes", "The fulfilment queue is growing.",
              'sum(rate(jobs_completed_total{namespace="orders"}[5m])) == 0')], ["namespace"])
    inc.answer_key(culprit=("CronJob", "finops", "rds-office-hours-stop"),
                   keywords=["stop-db-cluster", "Aurora", "stopped", "tag"],
                   root_cause="The cost-saving CronJob finops/rds-office-hours-stop was edited to select clusters "
                              "by the tag team=orders instead of env=staging; its 19:00 run called stop-db-cluster "
                              "on the production Aurora cluster orders-prod-aurora too, so the database is stopped "
                              "and every orders client gets connection refused",
                   category="cost-scheduler-filter-widened-stops-production-database",
                   red_herrings=[("Deployment", "orders", "orders-admin")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 8, 33, tzinfo=UTC)


def telemetry_forwarding_stalled_page() -> Incident:
    """egress-policy-excludes-vpc-cidr-blocks-private-endpoint: "internet only" egress cuts the VPC endpoint.

    after: egress NetworkPolicies written as `0.0.0.0/0 except the private ranges` to keep a namespace off
    internal networks, in VPCs where cloud APIs are reached through interface endpoints with private DNS:
    the API hostname resolves to an address inside the excluded range, so the "internet" rule silently
    blocks the cloud API while every real internet host still works.

    A NetworkPolicy telemetry/restrict-egress was applied at 08:02 by the security team's baseline: egress
    to kube-dns, to pods of the namespace, and to 0.0.0.0/0 except 10.0.0.0/8 on 443. The VPC has an SQS
    interface endpoint with private DNS, so sqs.eu-west-1.amazonaws.com resolves to 10.0.38.112 /
    10.0.52.9. event-forwarder (Go, aws-sdk-go-v2) times out on every SendMessageBatch; its calls to the
    public analytics API still succeed. Red herring: event-api's rollout at 08:15.
    """
    inc = start(telemetry_forwarding_stalled_page, "Telemetry forwarding stalled (telemetry)", AT8, seed=3208,
                namespaces=("telemetry",))
    applied = AT8 - timedelta(minutes=31)
    pol = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "restrict-egress", "namespace": "telemetry", "creationTimestamp": ts(applied),
                     "generation": 1, "labels": {"policy.example.com/baseline": "egress-v2"}},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                 "egress": [
                     {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                              "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                      "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                     {"to": [{"podSelector": {}}]},
                     {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12",
                                                                             "192.168.0.0/16"]}}],
                      "ports": [{"protocol": "TCP", "port": 443}]}]}})
    changed(pol, ("kubectl-client-side-apply", "Update", applied, {"f:spec": {"f:egress": {}, "f:podSelector": {},
                                                                               "f:policyTypes": {}}}))

    def forwarder(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < applied:
                return L.logfmt(t, "info", "batch forwarded", queue="prod-telemetry-events", messages=10,
                                duration="38ms")
            if i % 4 == 3:
                return L.logfmt(t, "info", "analytics export ok", endpoint="https://api.segment.io/v1/batch",
                                events=250)
            ip = "10.0.38.112" if i % 2 else "10.0.52.9"
            return L.logfmt(t, "error", "send batch failed", queue="prod-telemetry-events", messages=10,
                            err="operation error SQS: SendMessageBatch, exceeded maximum number of attempts, 3, "
                                "https response error StatusCode: 0, RequestID: , request send failed, Post "
                                f"\"https://sqs.eu-west-1.amazonaws.com/\": dial tcp {ip}:443: i/o timeout",
                            buffered=1200 + i * 40)
        return every(s, e, 20, line)

    victim(inc, "telemetry", "event-forwarder", forwarder)
    herring(inc, "telemetry", "event-api", f"{REGISTRY}/telemetry/event-api", "9.0.3", AT8 - timedelta(minutes=18))
    plant(inc, "telemetry", "segment-write-key", "token", "segment", "SEGMENT_WRITE_KEY")
    begin = AT8 - timedelta(hours=2)
    for result, (before, after) in (("ok", (14.0, 0.0)), ("error", (0.0, 0.9))):
        inc.series("forwarder_batches", "counter", "SQS batches sent by result.",
                   {"namespace": "telemetry", "job": "event-forwarder", "result": result},
                   counter(begin, before, after, applied + timedelta(seconds=30)))
    inc.series("forwarder_buffered_events", "gauge", "Events waiting in the forwarder's buffer.",
               {"namespace": "telemetry", "job": "event-forwarder"},
               lambda t: 40.0 if t < applied else 40.0 + (t - applied).total_seconds() * 6.0, step_s=30)
    inc.pagerduty("Telemetry events not forwarded for 30 min: event-forwarder SQS sends failing (telemetry)",
                  "Telemetry pipeline")
    inc.answer_key(culprit=("NetworkPolicy", "telemetry", "restrict-egress"),
                   keywords=["NetworkPolicy", "VPC endpoint", "10.0.0.0/8", "egress"],
                   root_cause="NetworkPolicy telemetry/restrict-egress allows HTTPS only to 0.0.0.0/0 except "
                              "10.0.0.0/8; sqs.eu-west-1.amazonaws.com resolves to the SQS VPC endpoint's private "
                              "10.0.x.x addresses, so event-forwarder's SendMessageBatch calls time out while "
                              "public hosts still work",
                   category="egress-policy-excludes-private-range-of-cloud-api-endpoint",
                   red_herrings=[("Deployment", "telemetry", "event-api")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 12, 18, tzinfo=UTC)


def storefront_cdn_errors() -> Incident:
    """ingress-host-renamed-cdn-origin-host-unmatched: the CDN's origin Host header no longer has a rule.

    after: CDN-fronted sites where the CDN fetches from an origin hostname and the origin's routing is keyed
    on that Host: a tidy-up renames the Ingress host to the public name, cache hits keep working, and every
    cache miss gets the ingress controller's default-backend 404, which the CDN then serves and caches.

    The Ingress web/storefront-origin was edited at 11:52: its rule host origin.shop.example.com became
    www.shop.example.com ("the CDN serves www anyway"). CloudFront (distribution E2QWRUHAEXAMPLE) still
    sends Host: origin.shop.example.com, so ingress-nginx answers misses from upstream-default-backend with
    404. The CDN's 4xx rate climbs as cached objects expire; storefront's pods see their traffic fall.
    Red herring: storefront-ssr-cache's rollout at 12:02.
    """
    inc = start(storefront_cdn_errors, "Storefront CDN errors (web)", AT9, seed=3209)
    edit = AT9 - timedelta(minutes=26)
    ing = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "storefront-origin", "namespace": "web", "generation": 4,
                     "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": ["www.shop.example.com"], "secretName": "storefront-origin-tls"}],
                 "rules": [{"host": "www.shop.example.com", "http": {"paths": [
                     {"path": "/", "pathType": "Prefix",
                      "backend": {"service": {"name": "storefront", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-3f9c1e7a2b-1d2e3f4a5b6c7d8e"
                                                             ".elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {"f:rules": {}, "f:tls": {}}}),
            ("kubectl-edit", "Update", edit, {"f:spec": {"f:rules": {}, "f:tls": {}}}))
    inc.secret("web", "storefront-origin-tls", {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIFexample\n"
                                                           "-----END CERTIFICATE-----\n",
                                                "tls.key": inc.canary("token", "origin-tls-key")})

    def ssr(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t > edit and i % 3:
                return None
            return L.js(t, "info", "rendered", path=f"/p/{1200 + i % 400}", status=200, ms=41 + i % 30)
        return every(s, e, 10, line)

    victim(inc, "web", "storefront", ssr)
    inc.service("web", "storefront", {"app": "storefront"}, port=80, target=8080)

    def nginx(pod: str) -> str:
        def line(i: int, t: datetime) -> str | None:
            ip = f"130.176.{88 + i % 5}.{20 + i % 200}"
            if t < edit or i % 4 == 0:
                return L.nginx_access(t, ip, f"GET /p/{1200 + i % 400}", 200, 18211, "web-storefront-80",
                                      "200", 0.043, ua="Amazon CloudFront")
            return L.nginx_access(t, ip, f"GET /static/img/p/{1200 + i % 400}.webp", 404, 146,
                                  "upstream-default-backend", "404", 0.001, ua="Amazon CloudFront")
        begin = inc.captured - timedelta(hours=3, seconds=-(sum(pod.encode()) % 5))
        return L.lines(every(begin, inc.captured, 6, line))

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs[h.containers[0].name] = nginx(h.name)
    herring(inc, "web", "storefront-ssr-cache", f"{REGISTRY}/web/storefront-ssr-cache", "1.9.0",
            AT9 - timedelta(minutes=16))
    inc.series("aws_cloudfront_4xx_error_rate_average", "gauge", "CloudWatch metric AWS/CloudFront 4xxErrorRate",
               {"job": "aws_cloudfront", "distribution_id": "E2QWRUHAEXAMPLE", "region": "Global"},
               lambda t: 0.4 if t < edit else min(38.0, 0.4 + (t - edit).total_seconds() / 60 * 1.6), step_s=60)
    inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
               {"namespace": "ingress-nginx", "job": "ingress-nginx-controller-metrics", "ingress": "",
                "host": "_", "status": "404", "exported_namespace": ""},
               counter(AT9 - timedelta(hours=2), 0.05, 9.0, edit))
    http_codes(inc, "web", "storefront", (30.0, 8.0), (0.0, 0.0), edit, "500")
    send(inc, [alert(inc, "CDNErrorRateHigh",
                     {"distribution_id": "E2QWRUHAEXAMPLE", "job": "aws_cloudfront", "site": "www.shop.example.com",
                      "namespace": "web"},
                     "CloudFront 4xx error rate is 31% for www.shop.example.com",
                     "More than 5% of viewer requests to the storefront distribution return 4xx.",
                     'aws_cloudfront_4xx_error_rate_average{distribution_id="E2QWRUHAEXAMPLE"} > 5', "critical")],
         ["alertname", "distribution_id"])
    inc.answer_key(culprit=("Ingress", "web", "storefront-origin"),
                   keywords=["Host", "origin", "default backend", "404"],
                   root_cause="The Ingress web/storefront-origin's host was renamed from origin.shop.example.com to "
                              "www.shop.example.com; CloudFront still requests the origin with Host "
                              "origin.shop.example.com, which matches no rule, so ingress-nginx answers cache "
                              "misses from the default backend with 404",
                   category="ingress-host-renamed-cdn-origin-host-unmatched",
                   red_herrings=[("Deployment", "web", "storefront-ssr-cache")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 15, 47, tzinfo=UTC)


def edge_node_calls_timing_out_question() -> Incident:
    """cni-external-snat-enabled-public-subnet-node-loses-internet: pods on a public-subnet node go dark.

    after: the VPC CNI's documented caveat for AWS_VPC_K8S_CNI_EXTERNALSNAT: with it true the node no longer
    SNATs pod traffic leaving the VPC and relies on a NAT gateway; that is right for private subnets, but
    pods on a node in a public subnet (routed to an internet gateway) send packets with private source
    addresses that never come back. In-cluster traffic is unaffected.

    The DaemonSet kube-system/aws-node was upgraded at 14:57 by the networking team (helm): the new
    template sets AWS_VPC_K8S_CNI_EXTERNALSNAT=true (for the private node groups that move to a NAT
    gateway). The one node of the edge group sits in a public subnet; since its aws-node pod restarted,
    every pod on it times out on outbound connections (link-preview, shipping-rates), while their replicas
    on other nodes are fine. Red herring: og-image-renderer's rollout at 15:30.
    """
    inc = start(edge_node_calls_timing_out_question, "Outbound timeouts from one node", AT10, seed=3210,
                namespaces=())
    change = AT10 - timedelta(minutes=50)
    edge = node(inc, 3)
    for i, n in enumerate(inc.cluster.nodes):
        n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] = "edge" if i == 3 else "general"
        n["metadata"]["labels"]["network.example.com/subnet-tier"] = "public" if i == 3 else "private"
    ds = inc.find("DaemonSet", "kube-system", "aws-node")
    old_env = [{"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"}, {"name": "WARM_ENI_TARGET", "value": "1"},
               {"name": "AWS_VPC_K8S_CNI_EXTERNALSNAT", "value": "false"},
               {"name": "AWS_VPC_K8S_CNI_RANDOMIZESNAT", "value": "prng"}]
    new_env = [dict(e) for e in old_env]
    new_env[2]["value"] = "true"
    old_hash, new_hash = o.suffix("aws-node/old", 10), o.suffix("aws-node/new", 10)
    ds["spec"]["template"]["spec"]["containers"][0]["env"] = new_env
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.6")
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["status"]["observedGeneration"] = 2
    changed(ds, ("helm", "Update", change,
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"aws-node"}': {
                     "f:env": {'k:{"name":"AWS_VPC_K8S_CNI_EXTERNALSNAT"}': {"f:value": {}}}, "f:image": {}}}}}}}))
    for number, (hsh, env, at) in enumerate(((old_hash, old_env, inc.born), (new_hash, new_env, change)), 1):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"aws-node-{hsh}", "namespace": "kube-system", "creationTimestamp": ts(at),
                              "labels": {"app": "aws-node", "controller-revision-hash": hsh},
                              "ownerReferences": [o.owner_ref("DaemonSet", "aws-node", "kube-system")]},
                 "revision": number,
                 "data": {"spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": env}]}}}}})
    for i, h in enumerate(inc.pods_of("kube-system", "aws-node")):
        up = change + timedelta(seconds=35 * (i + 1))
        h.created = up
        h.states[0].started_at = up + timedelta(seconds=4)
        h.labels["controller-revision-hash"] = new_hash
        h.containers = [c("aws-node", ds["spec"]["template"]["spec"]["containers"][0]["image"], env=new_env,
                          memory_limit="128Mi", memory_request="32Mi", cpu_request="50m", port=None)]
        h.logs[h.containers[0].name] = L.lines([
            (up + timedelta(seconds=4), '{"level":"info","ts":"' + ts(up) + '","caller":"entrypoint.sh",'
             '"msg":"Validating env variables ..."}'),
            (up + timedelta(seconds=5), '{"level":"info","ts":"' + ts(up) + '","caller":"entrypoint.sh",'
             '"msg":"Install CNI binaries.."}'),
            (up + timedelta(seconds=9), '{"level":"info","ts":"' + ts(up) + '","caller":"entrypoint.sh",'
             '"msg":"Checking for IPAM connectivity ... "}'),
            (up + timedelta(seconds=12), '{"level":"info","ts":"' + ts(up) + '","caller":"entrypoint.sh",'
             '"msg":"Copying config file ... "}'),
            (up + timedelta(seconds=13), '{"level":"info","ts":"' + ts(up) + '","caller":"entrypoint.sh",'
             '"msg":"Successfully copied CNI plugin binary and config file."}')])
        inc.event(inc.cluster.pod_object(h), "Started", "Started container aws-node", up + timedelta(seconds=4),
                  warning=False, host=h.node)
        inc.event(ds, "SuccessfulCreate", f"Created pod: {h.name}", up, warning=False,
                  component="daemonset-controller")
    on_edge = change + timedelta(seconds=35 * 4)

    def preview(hit: bool) -> Callable[[str, datetime, datetime], Lines]:
        return lambda pod, s, e: every(s, e, 20, partial(preview_line, hit))

    def preview_line(hit: bool, i: int, t: datetime) -> str | None:
        ms = str(int(t.timestamp() * 1000))
        if not hit or t < on_edge:
            return ('{"level":30,"time":' + ms + ',"msg":"preview fetched","url":"https://news.example.org/a/'
                    + str(9000 + i) + '","ms":' + str(180 + i % 90) + '}')
        return ('{"level":50,"time":' + ms + ',"msg":"preview fetch failed","url":"https://news.example.org/a/'
                + str(9000 + i) + '","err":{"type":"TypeError","message":"fetch failed","stack":"TypeError: '
                'fetch failed\\n    at node:internal/deps/undici/undici:13502:13\\n    at async fetchPreview '
                '(/app/src/fetch.js:41:17)","cause":{"name":"ConnectTimeoutError","code":'
                '"UND_ERR_CONNECT_TIMEOUT","message":"Connect Timeout Error (attempted address: '
                'news.example.org:443, timeout: 10000ms)"}}}')

    def rates(hit: bool) -> Callable[[str, datetime, datetime], Lines]:
        return lambda pod, s, e: every(s, e, 30, partial(rates_line, hit))

    def rates_line(hit: bool, i: int, t: datetime) -> str | None:
        if not hit or t < on_edge:
            return L.pylog(t, "INFO", "rates.carriers", f"quote ok carrier=dhl-express ms={210 + i % 70}")
        return L.pylog(t, "ERROR", "rates.carriers",
                       "quote failed carrier=dhl-express: HTTPSConnectionPool(host='express.api.dhl.com', "
                       "port=443): Max retries exceeded with url: /mydhlapi/rates (Caused by "
                       "ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at 0x7f3c2a1e4d10>, "
                       "'Connection to express.api.dhl.com timed out. (connect timeout=5)'))")

    others = [n for n in inc.node_names() if n != edge]
    for ns, name, make, nodes in (("web", "link-preview", preview, [edge, edge, others[0]]),
                                  ("shop", "shipping-rates", rates, [edge, others[1]])):
        rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c(name, f"{REGISTRY}/{ns}/{name}:2.4.0")])
        inc.deployment(ns, name, [rev], {1: [P(log=within(make(n == edge)), node=n) for n in nodes]})
    herring(inc, "web", "og-image-renderer", f"{REGISTRY}/web/og-image-renderer", "0.12.0",
            AT10 - timedelta(minutes=17))
    plant(inc, "shop", "dhl-api", "token", "dhl-key", "DHL_API_KEY")
    begin = AT10 - timedelta(hours=2)
    for h in inc.pods_of("web", "link-preview") + inc.pods_of("shop", "shipping-rates"):
        bad = h.node == edge
        inc.series("outbound_request_errors", "counter", "Outbound HTTP requests that failed to connect.",
                   {"namespace": h.namespace, "pod": h.name, "job": h.workload, "node": h.node},
                   counter(begin, 0.0, 0.05 if bad else 0.0, on_edge), step_s=30)
    inc.ask(f"everything running on {edge} times out calling external APIs since about 15:00, other nodes "
            "look fine. what's going on with that node?")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "aws-node"),
                   keywords=["AWS_VPC_K8S_CNI_EXTERNALSNAT", "SNAT", "public subnet", "aws-node"],
                   root_cause="The aws-node DaemonSet upgrade set AWS_VPC_K8S_CNI_EXTERNALSNAT=true, so nodes no "
                              "longer SNAT pod traffic leaving the VPC; the edge node sits in a public subnet with "
                              "no NAT gateway route, so its pods' outbound connections (private source IPs) time "
                              "out while pods on private-subnet nodes keep working",
                   category="cni-external-snat-on-public-subnet-node",
                   red_herrings=[("Deployment", "web", "og-image-renderer")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 4, 17, 26, tzinfo=UTC)


def payout_api_errors() -> Incident:
    """iam-db-auth-token-generated-once-expires-after-fifteen-minutes: new connections fail after 15 min.

    after: the move to IAM database authentication in RDS/Aurora, where the auth token is a password valid
    for 15 minutes: a release generates it once at startup and hands it to the connection pool as a static
    password, so the pool works until it needs a new connection more than 15 minutes later, then
    PAM authentication failed. Simple: the change and the errors are in the failing workload.

    payout-api revision 2 (16:51) switches to DB_AUTH_MODE=iam and removes DB_PASSWORD; the token
    is built once in the app's settings module. Fifteen minutes after the pods started, every new
    connection (pool growth, recycled connections) is refused: FATAL: PAM authentication failed for user
    "payout_app"; requests that get an old pooled connection still succeed. Red herring: payout-scheduler's
    rollout at 17:05.
    """
    inc = start(payout_api_errors, "payout-api errors (treasury)", AT11, seed=3211, namespaces=("treasury",))
    rollout = AT11 - timedelta(minutes=35)
    expiry = rollout + timedelta(minutes=15, seconds=40)
    host = "treasury-prod.cx8fq2example.eu-west-1.rds.amazonaws.com"
    plant(inc, "treasury", "payout-db", "password", "payout-db", "DB_PASSWORD")

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if i == 0:
                return L.js(t, "info", "generated RDS IAM auth token", db_host=host, db_user="payout_app",
                            region="eu-west-1", logger="payouts.settings")
            if t < expiry or i % 3 == 0:
                return L.js(t, "info", "payout created", payout_id=f"po_{77100 + i}", status=201,
                            logger="payouts.api")
            return L.js(t, "error", "request failed", path="/v1/payouts", status=500, logger="payouts.api",
                        exc_info="Traceback (most recent call last):\n  File \"/usr/local/lib/python3.12/"
                        "site-packages/sqlalchemy/engine/base.py\", line 146, in __init__\n    self._dbapi_connection"
                        " = engine.raw_connection()\nsqlalchemy.exc.OperationalError: (psycopg2.OperationalError) "
                        f"connection to server at \"{host}\" (10.0.44.12), port 5432 failed: FATAL:  PAM "
                        "authentication failed for user \"payout_app\"\n\n(Background on this error at: "
                        "https://sqlalche.me/e/20/e3q8)")
        return every(s, e, 20, line)

    base = [{"name": "DB_HOST", "value": host}, {"name": "DB_USER", "value": "payout_app"},
            {"name": "DB_POOL_SIZE", "value": "5"}, {"name": "DB_MAX_OVERFLOW", "value": "15"}]
    revs = [Rev(1, inc.born + timedelta(days=16), "helm upgrade",
                [c("payout-api", f"{REGISTRY}/treasury/payout-api:5.0.3",
                   env=[*base, {"name": "DB_PASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": "payout-db", "key": "DB_PASSWORD"}}}])]),
            Rev(2, rollout, "helm upgrade",
                [c("payout-api", f"{REGISTRY}/treasury/payout-api:5.1.0",
                   env=[*base, {"name": "DB_AUTH_MODE", "value": "iam"}])],
                pod_spec={"serviceAccountName": "payout-api"})]
    inc.deployment("treasury", "payout-api", revs, {2: [P(log=within(api)) for _ in range(3)]})
    herring(inc, "treasury", "payout-scheduler", f"{REGISTRY}/treasury/payout-scheduler", "2.2.0",
            AT11 - timedelta(minutes=21))
    http_codes(inc, "treasury", "payout-api", (7.0, 2.5), (0.0, 4.5), expiry, "500")
    send(inc, [alert(inc, "PayoutAPIErrorRateHigh",
                     {"namespace": "treasury", "service": "payout-api", "job": "payout-api"},
                     "payout-api 5xx ratio 64%", "payout-api has been failing most payout requests for 15 minutes.",
                     'sum(rate(http_requests_total{namespace="treasury",service="payout-api",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="treasury",service="payout-api"}[5m])) > 0.1',
                     "critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "treasury", "payout-api"),
                   keywords=["IAM", "token", "PAM authentication", "15 minutes"],
                   root_cause="payout-api revision 2 switched to RDS IAM database authentication but generates "
                              "the auth token once at startup; the token expires after 15 minutes, so every new "
                              "pool connection since then fails with PAM authentication failed for payout_app",
                   category="iam-db-auth-token-generated-once-expires",
                   red_herrings=[("Deployment", "treasury", "payout-scheduler")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 8, 12, tzinfo=UTC)


def notification_fanout_crashloop() -> Incident:
    """pubsub-client-region-changed-topic-arn-other-region-startup-check: the topic lives in another region.

    after: region moves of one service at a time, where a client's region setting is changed (copied from
    a service already moved) while the topic it publishes to stays in the old region: SNS answers the
    cross-region ARN with InvalidParameter, and a startup check turns that into a crash loop. Simple: the
    change and the error are in the failing workload.

    notification-fanout revision 2 (08:01) sets AWS_REGION=eu-central-1 (was eu-west-1); its TOPIC_ARN is
    still arn:aws:sns:eu-west-1:...:order-events. The startup check GetTopicAttributes raises
    InvalidParameterException: Invalid parameter: TopicArn, the process exits 1 and the pods crash-loop;
    revision 1's pods were scaled away. Red herring: notification-preferences' rollout at 07:55.
    """
    inc = start(notification_fanout_crashloop, "notification-fanout crash looping (comms)", AT12, seed=3212,
                namespaces=("comms",))
    rollout = AT12 - timedelta(minutes=11)
    arn = "arn:aws:sns:eu-west-1:412907311845:order-events"
    plant(inc, "comms", "fcm-server-key", "token", "fcm", "FCM_SERVER_KEY")

    def fanout(pod: str, s: datetime, e: datetime) -> str:
        return L.lines([
            (s + timedelta(seconds=1), L.pylog(s + timedelta(seconds=1), "INFO", "fanout.main",
                                               "starting notification-fanout 3.4.0 region=eu-central-1")),
            (s + timedelta(seconds=2), "Traceback (most recent call last):\n"
             '  File "/app/fanout/main.py", line 61, in <module>\n    main()\n'
             '  File "/app/fanout/main.py", line 44, in main\n    check_topic(sns, settings.TOPIC_ARN)\n'
             '  File "/app/fanout/checks.py", line 12, in check_topic\n'
             "    sns.get_topic_attributes(TopicArn=topic_arn)\n"
             '  File "/usr/local/lib/python3.12/site-packages/botocore/client.py", line 569, in _api_call\n'
             "    return self._make_api_call(operation_name, kwargs)\n"
             '  File "/usr/local/lib/python3.12/site-packages/botocore/client.py", line 1023, in _make_api_call\n'
             "    raise error_class(parsed_response, operation_name)\n"
             "botocore.errorfactory.InvalidParameterException: An error occurred (InvalidParameter) when calling "
             "the GetTopicAttributes operation: Invalid parameter: TopicArn")])

    base = [{"name": "TOPIC_ARN", "value": arn}]
    revs = [Rev(1, inc.born + timedelta(days=19), "helm upgrade",
                [c("notification-fanout", f"{REGISTRY}/comms/notification-fanout:3.3.2",
                   env=[*base, {"name": "AWS_REGION", "value": "eu-west-1"}])]),
            Rev(2, rollout, "helm upgrade",
                [c("notification-fanout", f"{REGISTRY}/comms/notification-fanout:3.4.0",
                   env=[*base, {"name": "AWS_REGION", "value": "eu-central-1"}])])]
    crash = P(state="crashloop", log=fanout, reason="Error", exit_code=1, run_s=lambda n: 2.5)
    inc.deployment("comms", "notification-fanout", revs, {1: [P(), P()], 2: [crash]}, progress="progressing",
                   replicas=2)
    herring(inc, "comms", "notification-preferences", f"{REGISTRY}/comms/notification-preferences", "1.6.0",
            AT12 - timedelta(minutes=17))
    inc.pod_series(inc.pods_of("comms", "notification-fanout"), memory=False)
    send(inc, [alert(inc, "KubePodCrashLooping",
                     {"namespace": "comms", "pod": inc.pods_of("comms", "notification-fanout")[-1].name,
                      "container": "notification-fanout", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod comms/{inc.pods_of('comms', 'notification-fanout')[-1].name} (notification-fanout) is "
                     "in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "comms", "notification-fanout"),
                   keywords=["AWS_REGION", "eu-central-1", "TopicArn", "region"],
                   root_cause="notification-fanout revision 2 sets AWS_REGION=eu-central-1 while its SNS topic "
                              "ARN is in eu-west-1; the startup GetTopicAttributes call fails with InvalidParameter "
                              "(Invalid parameter: TopicArn) and the process exits, so the new pods crash-loop",
                   category="sns-client-region-changed-topic-in-other-region",
                   red_herrings=[("Deployment", "comms", "notification-preferences")])
    return inc


ALL = [pick_lists_failing_page, ledger_writes_failing, session_api_errors_question, invoice_dead_letters_rising,
       card_captures_burn, sms_sender_failures, order_services_failing_grouped, telemetry_forwarding_stalled_page,
       storefront_cdn_errors, edge_node_calls_timing_out_question, payout_api_errors, notification_fanout_crashloop]
