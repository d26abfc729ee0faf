"""Held-out incidents: written blind to Vigil's triage and runbooks, measured once per round.

Each function builds one `Incident` with the corpus kit (examples/corpus/kit.py). The stories are
failure types the development corpus lacks, or the same type in a clearly different shape; the
docstring of each says what happened, what the on-call sees and what the real cause is. Bundle
names and titles say only the symptom.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _kit import init_crashloop  # noqa: E402
from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402


def _ts_kafka(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def order_events_lag() -> Incident:
    """A chart refactor moves the Kafka client TLS Secret's mount; the consumer cannot find its truststore.

    On-call sees: a consumer-group lag alert from kafka-exporter on `order-events`. The consumer
    pods of the new revision crash at start (Spring Boot fails to create the Kafka consumer
    factory: /etc/kafka/secrets/truststore.jks does not exist) while the old pod is gone after the
    rollout's surge. The brokers log routine group rebalances and look guilty.
    Real cause: revision 19 mounts Secret kafka-client-tls at /etc/kafka/tls, the application
    still reads /etc/kafka/secrets/truststore.jks.
    """
    at = datetime(2026, 10, 6, 3, 17, tzinfo=UTC)
    inc = Incident("order-events-consumer-lag", title="KafkaConsumerGroupLagHigh: fulfilment / order-events",
                   story="", at=at, seed=901, namespaces=("fulfilment", "streaming"))
    deploy_at = at - timedelta(minutes=27)
    store_pw = inc.canary("password", "truststore")
    sasl = inc.canary("password", "sasl-fulfilment")
    inc.secret("fulfilment", "kafka-client-tls", {"truststore.jks": "MIIKeAIBAzCCCj4GCSqGSIb3DQEHAaCCCi8EggorMIIK",
                                                  "truststore-password": store_pw})
    env = [{"name": "SPRING_KAFKA_BOOTSTRAP_SERVERS", "value": "kafka-0.kafka.streaming.svc:9093,"
                                                              "kafka-1.kafka.streaming.svc:9093"},
           {"name": "SPRING_KAFKA_SSL_TRUST_STORE_LOCATION", "value": "file:/etc/kafka/secrets/truststore.jks"},
           {"name": "SPRING_KAFKA_SSL_TRUST_STORE_PASSWORD", "valueFrom": {"secretKeyRef": {
               "name": "kafka-client-tls", "key": "truststore-password"}}},
           {"name": "KAFKA_SASL_JAAS", "value": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                                                f'username="fulfilment" password="{sasl}";'}]
    old_vol = {"volumes": [{"name": "kafka-tls", "secret": {"secretName": "kafka-client-tls"}}]}
    old_img = f"{REGISTRY}/fulfilment/order-events-consumer:3.8.0"
    new_img = f"{REGISTRY}/fulfilment/order-events-consumer:3.8.1"

    def crash(pod: str, start: datetime, end: datetime) -> str:
        t = start + timedelta(seconds=4)
        trace = "\n".join([
            L.spring(t, "ERROR", "o.s.boot.SpringApplication", "Application run failed"),
            "org.springframework.context.ApplicationContextException: Failed to start bean "
            "'org.springframework.kafka.config.internalKafkaListenerEndpointRegistry'",
            "\tat org.springframework.context.support.DefaultLifecycleProcessor.doStart(DefaultLifecycleProcessor.java:"
            "288)",
            "Caused by: org.apache.kafka.common.KafkaException: Failed to construct kafka consumer",
            "\tat org.apache.kafka.clients.consumer.internals.LegacyKafkaConsumer.<init>(LegacyKafkaConsumer.java:265)",
            "Caused by: org.apache.kafka.common.KafkaException: Failed to load SSL keystore "
            "/etc/kafka/secrets/truststore.jks of type JKS",
            "\tat org.apache.kafka.common.security.ssl.DefaultSslEngineFactory$FileBasedStore.load("
            "DefaultSslEngineFactory.java:382)",
            "Caused by: java.nio.file.NoSuchFileException: /etc/kafka/secrets/truststore.jks",
            "\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:92)",
            "\tat java.base/java.nio.file.Files.newInputStream(Files.java:160)"])
        return L.lines([(start, L.spring(start, "INFO", "c.a.f.OrderEventsConsumerApplication",
                                         "Starting OrderEventsConsumerApplication v3.8.1 using Java 21.0.4")),
                        (start + timedelta(seconds=3), L.spring(
                            start + timedelta(seconds=3), "INFO", "o.a.k.clients.consumer.ConsumerConfig",
                            "ConsumerConfig values: group.id = order-events-fulfilment, security.protocol = "
                            "SASL_SSL, ssl.truststore.location = /etc/kafka/secrets/truststore.jks")),
                        (t, trace)])

    inc.deployment("fulfilment", "order-events-consumer", [
        Rev(18, at - timedelta(days=12), "helm upgrade fulfilment 3.8.0",
            [c("order-events-consumer", old_img, port=8081, env=env, memory_limit="1Gi")],
            pod_spec=old_vol, container={"volumeMounts": [{"name": "kafka-tls", "mountPath": "/etc/kafka/secrets",
                                                           "readOnly": True}]}),
        Rev(19, deploy_at, "helm upgrade fulfilment 3.8.1 (chart 2.0: common library chart)",
            [c("order-events-consumer", new_img, port=8081, env=env, memory_limit="1Gi")],
            pod_spec=old_vol, container={"volumeMounts": [{"name": "kafka-tls", "mountPath": "/etc/kafka/tls",
                                                           "readOnly": True}]}),
    ], {19: [P("crashloop", log=crash, run_s=lambda n: 7.5)] * 2}, progress="deadline", replicas=2,
        max_surge="0", max_unavailable="100%")

    def broker(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 5 == 0:
                return (f"[{_ts_kafka(t)}] INFO [GroupCoordinator 0]: Preparing to rebalance group "
                        "order-events-fulfilment in state PreparingRebalance with old generation "
                        f"{311 + i} (__consumer_offsets-17) (reason: Removing member consumer-order-events-1-"
                        f"{L.uuidish(pod, i)} on LeaveGroup) (kafka.coordinator.group.GroupCoordinator)")
            if i % 5 == 1:
                return (f"[{_ts_kafka(t)}] INFO [GroupCoordinator 0]: Group order-events-fulfilment with generation "
                        f"{312 + i} is now empty (__consumer_offsets-17) (kafka.coordinator.group.GroupCoordinator)")
            return (f"[{_ts_kafka(t)}] INFO [SocketServer listenerType=BROKER, nodeId=0] Failed authentication with "
                    f"/10.244.{i % 3}.{40 + i % 7} (channelId=10.244.0.12:9093-10.244.{i % 3}.{40 + i % 7}:4{i % 9}"
                    "112-3) (SSL handshake failed) (org.apache.kafka.common.network.Selector)"
                    if i % 11 == 3 else
                    f"[{_ts_kafka(t)}] INFO [Log partition=order-events-{i % 12}, dir=/var/lib/kafka/data] Rolled new "
                    f"log segment at offset {88120431 + i * 977} in 3 ms. (kafka.log.LocalLog)")
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 23, line))

    inc.statefulset("streaming", "kafka", [c("kafka", "docker.io/bitnami/kafka:3.7.1", port=9093, memory_limit="6Gi",
                                             memory_request="4Gi", readiness_path=None, liveness_path=None)],
                    [P(log=broker)] * 2, at - timedelta(days=60), claims=[("data", "500Gi", "gp3")], service=9093)
    for part in range(3):
        inc.series("kafka_consumergroup_lag", "gauge", "Current approximate lag of a consumer group at "
                   "topic/partition", {"consumergroup": "order-events-fulfilment", "topic": "order-events",
                                       "partition": str(part), "job": "kafka-exporter", "namespace": "streaming"},
                   lambda t, part=part: 40.0 + part * 7 if t < deploy_at + timedelta(minutes=1) else
                   40.0 + (t - deploy_at).total_seconds() * (35 + part * 3))
    inc.alerts["alertmanager.json"] = _am(inc, "KafkaConsumerGroupLagHigh", {
        "namespace": "streaming", "consumergroup": "order-events-fulfilment", "topic": "order-events",
        "job": "kafka-exporter", "service": "kafka-exporter", "severity": "critical"},
        "Consumer group order-events-fulfilment is lagging on order-events",
        "Consumer group order-events-fulfilment has lag 184220 on topic order-events and it keeps growing "
        "(no commits for 25m).",
        'sum by (consumergroup, topic) (kafka_consumergroup_lag{consumergroup="order-events-fulfilment"}) > 50000',
        at)
    inc.answer_key(culprit=("Deployment", "fulfilment", "order-events-consumer"),
                   keywords=["truststore.jks", "/etc/kafka/tls"],
                   root_cause="Revision 19 of fulfilment/order-events-consumer mounts Secret kafka-client-tls at "
                              "/etc/kafka/tls while the consumer still loads /etc/kafka/secrets/truststore.jks, so "
                              "it crashes at start (NoSuchFileException) and the group stops consuming.",
                   category="crashloop-missing-mounted-file",
                   red_herrings=[("StatefulSet", "streaming", "kafka")])
    return inc


def _am(inc: Incident, alertname: str, labels: dict[str, str], summary: str, description: str, expr: str,
        starts: datetime) -> dict[str, Any]:
    """An Alertmanager v4 webhook for a non-kube-prometheus rule (exporter alerts keep their own labels)."""
    from incidentgen import alerts as am
    full = {"alertname": alertname, **labels, "prometheus": "monitoring/kube-prometheus-stack-prometheus",
            "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://wiki.example.com/runbooks/{alertname.lower()}"}
    return am.alertmanager([am.alert(full, ann, starts, expr)], group=["alertname", "namespace"])


def catalog_web_not_ready() -> Incident:
    """A Django app's readiness check waits on Elasticsearch, whose heap was cut to 512m in a values clean-up.

    On-call sees: KubePodNotReady on a catalog-web pod; gunicorn logs say the readiness view timed
    out talking to Elasticsearch. catalog-web itself did not change and looks guilty. The
    Elasticsearch nodes are Running and Ready but log long old-generation GC pauses and circuit
    breaker trips since their restart with ES_JAVA_OPTS -Xms512m -Xmx512m (it was 4g).
    """
    at = datetime(2026, 10, 9, 14, 2, tzinfo=UTC)
    inc = Incident("catalog-web-not-ready", title="KubePodNotReady: catalog/catalog-web",
                   story="", at=at, seed=902, namespaces=("catalog",))
    es_change = at - timedelta(minutes=48)
    es_pw = inc.canary("password", "elastic")
    secret_key = inc.canary("token", "django-secret-key")

    def es_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S,") + f"{t.microsecond // 1000:03d}"
            if i % 3 == 0:
                return (f"[{stamp}][WARN ][o.e.m.j.JvmGcMonitorService] [{pod}] [gc][{4100 + i}] overhead, spent "
                        f"[{3 + i % 4}.{i % 9}s] collecting in the last [{4 + i % 4}.1s]")
            if i % 3 == 1:
                return (f"[{stamp}][WARN ][o.e.i.b.HierarchyCircuitBreakerService] [{pod}] attempting to trigger G1GC "
                        "due to high heap usage [509835264]")
            return (f"[{stamp}][INFO ][o.e.m.j.JvmGcMonitorService] [{pod}] [gc][old][{4100 + i}][{90 + i}] "
                    f"duration [{2 + i % 5}.{i % 7}s], collections [1]/[{3 + i % 4}.3s], total [{2 + i % 5}.{i % 7}s]"
                    f"/[{700 + i}s], memory [498.2mb]->[471.9mb]/[512mb]")
        head = [(start, f"[{start.strftime('%Y-%m-%dT%H:%M:%S,000')}][INFO ][o.e.e.NodeEnvironment] [{pod}] heap size "
                        "[512mb], compressed ordinary object pointers [true]")]
        return L.lines([*head, *L.ticker(end - timedelta(minutes=30), end, 19, line)])

    es_c = c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.1", port=9200, memory_limit="6Gi",
             memory_request="4Gi", readiness_path=None, liveness_path=None,
             env=[{"name": "ES_JAVA_OPTS", "value": "-Xms512m -Xmx512m"},
                  {"name": "ELASTIC_PASSWORD", "value": es_pw}])
    inc.statefulset("catalog", "elasticsearch", [es_c], [P(log=es_log, memory_mi=930)] * 3, es_change,
                    claims=[("data", "200Gi", "gp3")], service=9200)
    ip = inc.find("Service", "catalog", "elasticsearch")["spec"]["clusterIP"]

    def web(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("[%Y-%m-%d %H:%M:%S +0000]")
            if i % 4 == 0:
                return (f"{stamp} [{7 + i % 3}] [ERROR] django.request: Service Unavailable: /readyz/ "
                        f"(elasticsearch: ConnectionTimeout caused by - ReadTimeoutError(HTTPConnectionPool("
                        f"host='elasticsearch.catalog.svc', port=9200): Read timed out. (read timeout=1.0)))")
            if i % 4 == 1:
                return (f'10.244.{i % 3}.1 - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET /readyz/ HTTP/1.1" 503 '
                        f'61 "-" "kube-probe/1.30"')
            return (f'10.244.{i % 3}.{20 + i % 9} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET /api/products/'
                    f'?q=lamp&page={i % 4} HTTP/1.1" {504 if i % 2 else 200} {0 if i % 2 else 8812} "-" '
                    f'"Mozilla/5.0" rt={5.0 if i % 2 else 0.412}')
        return L.lines([(start, f"{start.strftime('[%Y-%m-%d %H:%M:%S +0000]')} [1] [INFO] Starting gunicorn 23.0.0"),
                        *L.ticker(max(start, end - timedelta(minutes=25)), end, 17, line)])

    env = [{"name": "DJANGO_SETTINGS_MODULE", "value": "catalog.settings.prod"},
           {"name": "DJANGO_SECRET_KEY", "value": secret_key},
           {"name": "ELASTICSEARCH_URL", "value": f"http://elastic:{es_pw}@elasticsearch.catalog.svc:9200"}]
    inc.deployment("catalog", "catalog-web", [
        Rev(31, at - timedelta(days=8), "deploy catalog-web 2024.41.2",
            [c("catalog-web", f"{REGISTRY}/catalog/catalog-web:2024.41.2", port=8000, env=env,
               readiness_path="/readyz/", memory_limit="768Mi")])],
        {31: [P(log=web), P("notready", log=web, message='Readiness probe failed: Get "http://{ip}:8000/readyz/": '
                                                         "context deadline exceeded (Client.Timeout exceeded while "
                                                         "awaiting headers)"),
              P(log=web)]}, replicas=3)
    del ip
    inc.service("catalog", "catalog-web", {"app": "catalog-web"}, port=80, target=8000)
    es = inc.find("StatefulSet", "catalog", "elasticsearch")
    es["metadata"]["annotations"] = {"meta.helm.sh/release-name": "elasticsearch",
                                     "kubernetes.io/change-cause": "helm upgrade elasticsearch: values clean-up"}
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": f"elasticsearch-{o.suffix('es-old', 10)}", "namespace": "catalog",
                          "creationTimestamp": ts(at - timedelta(days=60)), "labels": {"app": "elasticsearch"}},
             "revision": 6, "data": {"spec": {"template": {"spec": {"containers": [{
                 "name": "elasticsearch", "env": [{"name": "ES_JAVA_OPTS", "value": "-Xms4g -Xmx4g"}]}]}}}}})
    pod = inc.pods_of("catalog", "catalog-web")[1].name
    inc.alertmanager("KubePodNotReady", {"namespace": "catalog", "pod": pod, "job": "kube-state-metrics"},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod catalog/{pod} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase'
                     '{job="kube-state-metrics", phase=~"Pending|Unknown|Failed"}) ) > 0')
    inc.answer_key(culprit=("StatefulSet", "catalog", "elasticsearch"), keywords=["512m", "GC"],
                   root_cause="The Elasticsearch StatefulSet was restarted with ES_JAVA_OPTS -Xms512m -Xmx512m (was "
                              "4g); its nodes spend seconds in GC, catalog-web's readiness check to Elasticsearch "
                              "times out after 1 s and the pod goes NotReady.",
                   category="readiness-slow-dependency",
                   red_herrings=[("Deployment", "catalog", "catalog-web")])
    return inc


def storefront_deploy_hung() -> Incident:
    """A Rails release precompiles assets in an init container whose memory limit is 256Mi; it is OOMKilled.

    On-call sees: a PagerDuty incident 'storefront deploy not finishing'. The new pod sits in
    Init:CrashLoopBackOff; the init container assets-precompile ends with exit 137 OOMKilled
    while webpack/sprockets compile. Postgres logs show a migration lock from the same release
    and look guilty.
    """
    at = datetime(2026, 10, 14, 9, 41, tzinfo=UTC)
    inc = Incident("storefront-deploy-hung", title="storefront deploy not finishing",
                   story="", at=at, seed=903, namespaces=("storefront",))
    deploy_at = at - timedelta(minutes=33)
    master_key = inc.canary("token", "rails-master-key")
    db_pw = inc.canary("password", "storefront-db")
    env = [{"name": "RAILS_ENV", "value": "production"}, {"name": "RAILS_MASTER_KEY", "value": master_key},
           {"name": "DATABASE_URL", "value": f"postgres://storefront:{db_pw}@storefront-db.storefront.svc/storefront"}]
    init: dict[str, Any] = {
        "name": "assets-precompile", "image": f"{REGISTRY}/storefront/web:7.12.0",
        "command": ["bundle", "exec", "rails", "assets:precompile"], "env": env,
        "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "volumeMounts": [{"name": "assets", "mountPath": "/app/public/assets"}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent"}

    def puma(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            rid = L.uuidish(pod, i)
            return (f"I, [{t.strftime('%Y-%m-%dT%H:%M:%S.%f')} #1]  INFO -- : [{rid}] Completed 200 OK in "
                    f"{40 + i % 70}ms (Views: {12 + i % 20}.1ms | ActiveRecord: {5 + i % 9}.4ms | Allocations: "
                    f"{9000 + i * 13})")
        return L.lines([(start, "=> Booting Puma"), (start, "Puma starting in cluster mode..."),
                        *L.ticker(end - timedelta(minutes=15), end, 21, line)])

    wl = inc.deployment("storefront", "storefront-web", [
        Rev(57, at - timedelta(days=5), "storefront 7.11.4", [c("storefront-web", f"{REGISTRY}/storefront/web:7.11.4",
                                                                port=3000, env=env, memory_limit="1Gi")],
            pod_spec={"volumes": [{"name": "assets", "emptyDir": {}}]}),
        Rev(58, deploy_at, "storefront 7.12.0: assets compiled at start (init container)",
            [c("storefront-web", f"{REGISTRY}/storefront/web:7.12.0", port=3000, env=env, memory_limit="1Gi")],
            pod_spec={"initContainers": [init], "volumes": [{"name": "assets", "emptyDir": {}}]}),
    ], {57: [P(log=puma)] * 3, 58: [P("running")]}, replicas=3, max_surge="1", max_unavailable="0",
        progress="deadline")
    log = L.lines([
        (deploy_at, "yarn install v1.22.22"),
        (deploy_at + timedelta(seconds=9), "[4/4] Building fresh packages..."),
        (deploy_at + timedelta(seconds=20), "Done in 19.84s."),
        (deploy_at + timedelta(seconds=21), "yarn run v1.22.22"),
        (deploy_at + timedelta(seconds=21), "$ webpack --config ./config/webpack/production.js"),
        (deploy_at + timedelta(seconds=38), "<s> [webpack.Progress] 65% building 1712/1954 entries 8811/9120 "
                                            "dependencies 1409/2237 modules"),
    ])
    init_crashloop(inc, wl, init, "OOMKilled", 137, 42.0, log)

    def pg(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([
            (end - timedelta(minutes=31), L.postgres(end - timedelta(minutes=31), "LOG", "process 4411 still waiting "
                                                     "for AccessExclusiveLock on relation 16522 of database 16384 "
                                                     "after 1000.112 ms", pid=4411)),
            (end - timedelta(minutes=31), L.postgres(end - timedelta(minutes=31), "STATEMENT",
                                                     'ALTER TABLE "spree_orders" ADD "gift_note" text', pid=4411)),
            (end - timedelta(minutes=30), L.postgres(end - timedelta(minutes=30), "LOG", "process 4411 acquired "
                                                     "AccessExclusiveLock on relation 16522 of database 16384 after "
                                                     "41220.017 ms", pid=4411)),
            *L.ticker(end - timedelta(minutes=20), end, 120, lambda i, t: L.postgres(
                t, "LOG", "checkpoint complete: wrote 412 buffers (2.5%); 0 WAL file(s) added, 0 removed, 1 recycled",
                pid=31))])

    inc.statefulset("storefront", "storefront-db", [c("postgres", "docker.io/library/postgres:15.8", port=5432,
                                                      memory_limit="4Gi", readiness_path=None, liveness_path=None)],
                    [P(log=pg)], at - timedelta(days=90), claims=[("data", "100Gi", "gp3")], service=5432)
    inc.service("storefront", "storefront-web", {"app": "storefront-web"}, port=80, target=3000)
    inc.pagerduty("[Deploy] storefront 7.12.0 deploy not finishing, 1/4 pods new, ArgoCD app storefront Progressing "
                  "for 30m", "Storefront (Rails)")
    inc.answer_key(culprit=("Deployment", "storefront", "storefront-web"), keywords=["assets-precompile", "OOMKilled",
                                                                                   "256Mi"],
                   root_cause="storefront 7.12.0 (revision 58) adds init container assets-precompile with a 256Mi "
                              "memory limit; webpack is OOMKilled (exit 137) on every try, the pod stays in "
                              "Init:CrashLoopBackOff and the rollout stalls.",
                   category="init-container-oom",
                   red_herrings=[("StatefulSet", "storefront", "storefront-db")])
    return inc


def nightly_rollup_overdue() -> Incident:
    """The nightly rollup CronJob pins an image tag that the registry's retention policy has since deleted.

    On-call sees: KubeJobNotCompleted for the 02:00 run, twelve hours later. Its pod never started:
    ImagePullBackOff, the registry answers 'not found' for rollup:2026.09.28 (retention keeps the
    last 20 tags; the job was never rebuilt). The dashboard API logs that it serves stale
    partitions and looks guilty.
    """
    at = datetime(2026, 10, 21, 14, 0, tzinfo=UTC)
    inc = Incident("nightly-rollup-overdue", title="KubeJobNotCompleted: analytics/nightly-rollup-29353560",
                   story="", at=at, seed=904, namespaces=("analytics",))
    wh_pw = inc.canary("password", "warehouse-rollup")
    aws_key, aws_secret = inc.canary("aws", "rollup-s3"), inc.canary("aws-secret", "rollup-s3")
    image = f"{REGISTRY}/analytics/rollup:2026.09.28"
    env = [{"name": "WAREHOUSE_DSN", "value": f"postgresql://rollup:{wh_pw}@warehouse.analytics.svc:5432/dw"},
           {"name": "AWS_ACCESS_KEY_ID", "value": aws_key}, {"name": "AWS_SECRET_ACCESS_KEY", "value": aws_secret}]
    container = c("rollup", image, port=None, env=env, memory_limit="2Gi", readiness_path=None, liveness_path=None)
    job_name = "nightly-rollup-29353560"
    started = at - timedelta(hours=12)
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "nightly-rollup", "namespace": "analytics", "generation": 4,
                                 "creationTimestamp": ts(at - timedelta(days=200))},
                    "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                             "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                                 "containers": [container.spec()], "restartPolicy": "Never"}}}}},
                    "status": {"lastScheduleTime": ts(started),
                               "lastSuccessfulTime": ts(started - timedelta(days=1) + timedelta(minutes=47)),
                               "active": [{"kind": "Job", "namespace": "analytics", "name": job_name,
                                           "apiVersion": "batch/v1"}]}})
    labels = {"batch.kubernetes.io/job-name": job_name, "job-name": job_name,
              "batch.kubernetes.io/controller-uid": o.uid("job", "analytics", job_name),
              "controller-uid": o.uid("job", "analytics", job_name)}
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "analytics", "labels": dict(labels),
                                "creationTimestamp": ts(started),
                                "ownerReferences": [o.owner_ref("CronJob", "nightly-rollup", "analytics", "batch/v1")]},
                   "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1,
                            "selector": {"matchLabels": {
                                "batch.kubernetes.io/controller-uid": labels["controller-uid"]}},
                            "template": {"metadata": {"labels": dict(labels)},
                                         "spec": {"containers": [container.spec()], "restartPolicy": "Never"}}},
                   "status": {"active": 1, "ready": 0, "startTime": ts(started), "terminating": 0,
                              "uncountedTerminatedPods": {}}})
    pod_name = f"{job_name}-{o.suffix(job_name, 5)}"
    msg = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{image}": failed to resolve reference "{image}": {image}: not found')
    h = inc._pod("analytics", job_name, pod_name, Rev(1, started, "cronjob", [container]),
                 P("waiting", waiting_reason="ImagePullBackOff", message=msg, created=started), 0, dict(labels),
                 o.owner_ref("Job", job_name, "analytics", "batch/v1"))
    inc.cluster.patch("analytics", h.name, lambda pod: pod["spec"].update(restartPolicy="Never"))
    inc.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", started, warning=False,
              component="job-controller")
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name}", started, warning=False,
              component="cronjob-controller")
    prev = started - timedelta(days=1)
    inc.event(cron, "SawCompletedJob", "Saw completed job: nightly-rollup-29352120, status: Complete",
              prev + timedelta(minutes=47), warning=False, component="cronjob-controller")

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.logfmt(t, "warn", "rollup partition missing, serving previous day", partition="2026-10-20",
                                served="2026-10-19", dashboard=["revenue", "retention", "funnel"][i % 3])
            return L.logfmt(t, "info", "http request", method="GET", path="/api/dashboards/revenue",
                            status=200, dur=f"{31 + i % 50}ms")
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 29, line))

    inc.deployment("analytics", "dashboard-api", [
        Rev(12, at - timedelta(days=3), "dashboard-api 1.19.0",
            [c("dashboard-api", f"{REGISTRY}/analytics/dashboard-api:1.19.0")])], {12: [P(log=api)] * 2})
    inc.service("analytics", "dashboard-api", {"app": "dashboard-api"})
    inc.alertmanager("KubeJobNotCompleted", {"namespace": "analytics", "job_name": job_name,
                                             "job": "kube-state-metrics"},
                     "Job did not complete in time",
                     f"Job analytics/{job_name} is taking more than 12h 0m 0s to complete.",
                     'time() - max by (namespace, job_name, cluster) (kube_job_status_start_time{job='
                     '"kube-state-metrics"} and kube_job_status_active{job="kube-state-metrics"} > 0) > 43200')
    inc.answer_key(culprit=("CronJob", "analytics", "nightly-rollup"),
                   keywords=["2026.09.28", "not found", "ImagePullBackOff"],
                   root_cause="CronJob analytics/nightly-rollup still pins image rollup:2026.09.28, which the "
                              "registry no longer has (not found); tonight's Job pod is stuck in ImagePullBackOff "
                              "and no rollup ran, so the dashboards serve yesterday's partition.",
                   category="cronjob-image-tag-deleted",
                   red_herrings=[("Deployment", "analytics", "dashboard-api")])
    return inc


def _no_cpu_request(container: str) -> Any:
    def drop(spec: dict[str, Any]) -> None:
        for ct in spec["containers"]:
            if ct["name"] == container:
                ct["resources"] = {"limits": {"memory": "64Mi"}, "requests": {"memory": "64Mi"}}
    return drop


def quotes_api_autoscaling_question() -> Incident:
    """A logging sidecar without a CPU request blinds the HPA: utilisation cannot be computed for the pods.

    Somebody asks in chat why quotes-api does not scale out while it is slow. The HPA sits at
    its minimum (3) with ScalingActive=False: 'missing request for cpu in container log-forwarder'.
    Revision 23 added the log-forwarder sidecar with only a memory limit. pgbouncer logs pool
    saturation warnings and looks guilty; it is a victim of too few API pods queueing.
    """
    at = datetime(2026, 10, 27, 18, 25, tzinfo=UTC)
    inc = Incident("quotes-api-slow-question", title="question: quotes-api slow, not scaling out",
                   story="", at=at, seed=905, namespaces=("pricing",))
    change = at - timedelta(days=1, hours=3)
    db_pw = inc.canary("password", "quotes-db")
    env = [{"name": "DB_URL", "value": f"postgres://quotes:{db_pw}@pgbouncer.pricing.svc:6432/quotes"}]
    main = c("quotes-api", f"{REGISTRY}/pricing/quotes-api:8.4.0", port=9000, env=env, cpu_request="500m",
             memory_limit="512Mi")
    sidecar = c("log-forwarder", "docker.io/fluent/fluent-bit:3.1.9", port=None, readiness_path=None,
                liveness_path=None)

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 9, lambda i, t: L.js(
            t, "warn" if i % 3 == 0 else "info",
            "slow request" if i % 3 == 0 else "request", method="POST", path="/v2/quotes",
            status=200 if i % 7 else 503, latency_ms=2400 + (i * 137) % 1900 if i % 3 == 0 else 640 + i % 300,
            inflight=61 + i % 20, caller="http/server.go:118")))

    wl = inc.deployment("pricing", "quotes-api", [
        Rev(22, at - timedelta(days=16), "quotes-api 8.4.0", [main]),
        Rev(23, change, "platform: add log-forwarder sidecar (LOG-412)", [main, sidecar]),
    ], {23: [P(log=api, memory_mi=410)] * 3}, replicas=3)
    drop = _no_cpu_request("log-forwarder")
    drop(wl.obj["spec"]["template"]["spec"])
    drop(inc.find("ReplicaSet", "pricing", wl.rs[23])["spec"]["template"]["spec"])
    for h in wl.pods:
        inc.cluster.patch("pricing", h.name, lambda pod: drop(pod["spec"]))
    first = wl.pods[0].name
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "quotes-api", "namespace": "pricing", "creationTimestamp": ts(at - timedelta(days=90))},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quotes-api"},
                 "minReplicas": 3, "maxReplicas": 12,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 65}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [{"type": ""}],
                   "lastScaleTime": ts(at - timedelta(days=2)),
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                        "message": "the HPA controller was able to get the target's current scale",
                        "lastTransitionTime": ts(at - timedelta(days=90))},
                       {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                        "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                                   f"missing request for cpu in container log-forwarder of Pod {first}",
                        "lastTransitionTime": ts(change + timedelta(minutes=1))},
                       {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                        "message": "the desired count is within the acceptable range",
                        "lastTransitionTime": ts(at - timedelta(days=2))}]}})
    inc.event(hpa, "FailedGetResourceMetric", f"failed to get cpu utilization: missing request for cpu in container "
              f"log-forwarder of Pod {first}", change + timedelta(minutes=1), inc.captured - timedelta(seconds=15),
              count=1800, component="horizontal-pod-autoscaler")
    inc.event(hpa, "FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1), first error is: failed to "
              "get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container "
              f"log-forwarder of Pod {first}", change + timedelta(minutes=1), inc.captured - timedelta(seconds=15),
              count=1800, component="horizontal-pod-autoscaler")

    def pgb(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC"
            if i % 2:
                return (f"{stamp} [1] WARNING C-0x{5581 + i:x}a0: quotes/quotes@10.244.{i % 3}.{30 + i % 8}:{41000 + i}"
                        " pooler error: query_wait_timeout")
            return (f"{stamp} [1] LOG stats: {310 + i} xacts/s, {1900 + i} queries/s, in {88000 + i} B/s, out "
                    f"{412000 + i} B/s, xact {95000 + i * 11} us, query {21000 + i} us, wait {1800000 + i * 1000} us")
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 30, line))

    inc.deployment("pricing", "pgbouncer", [Rev(4, at - timedelta(days=50), "pgbouncer 1.23.1", [
        c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", port=6432, readiness_path=None, liveness_path=None)])],
        {4: [P(log=pgb)] * 2})
    inc.service("pricing", "pgbouncer", {"app": "pgbouncer"}, port=6432, target=6432)
    inc.service("pricing", "quotes-api", {"app": "quotes-api"}, port=80, target=9000)
    inc.ask("quotes-api in pricing has been slow for the last hour (p99 > 2s) but the autoscaler isn't adding "
            "pods, it just sits at 3. Anyone know why?")
    inc.answer_key(culprit=("Deployment", "pricing", "quotes-api"),
                   keywords=["log-forwarder", "missing request for cpu"],
                   root_cause="Revision 23 of pricing/quotes-api added the log-forwarder sidecar without a CPU "
                              "request; the HPA cannot compute CPU utilisation (missing request for cpu in container "
                              "log-forwarder), stays at 3 replicas and the service saturates.",
                   category="hpa-blind-missing-cpu-request",
                   red_herrings=[("Deployment", "pricing", "pgbouncer")])
    return inc


def inventory_grpc_errors() -> Incident:
    """A baseline egress NetworkPolicy allows DNS and HTTPS out, but not the in-cluster database port.

    On-call sees: an error-budget burn on checkout's calls to inventory. inventory (a Go gRPC
    service) answers codes.Unavailable; its logs show pgx dial i/o timeouts to inventory-db on
    5432. The database is healthy and looks guilty; nothing was deployed. The security team
    applied NetworkPolicy inventory/baseline-egress 26 minutes before the alert.
    """
    at = datetime(2026, 11, 3, 11, 12, tzinfo=UTC)
    inc = Incident("checkout-inventory-errors", title="Error budget burn: checkout place-order availability",
                   story="", at=at, seed=906, namespaces=("inventory", "data"))
    applied = at - timedelta(minutes=26)
    db_pw = inc.canary("password", "inventory-db")
    jwt = inc.canary("jwt", "inventory-svc")
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "baseline-egress", "namespace": "inventory", "creationTimestamp": ts(applied),
                          "generation": 1, "labels": {"policy.example.com/tier": "baseline"},
                          "annotations": {"policy.example.com/ticket": "SEC-3307"},
                          "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                             "apiVersion": "networking.k8s.io/v1", "time": ts(applied)}]},
             "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                      "egress": [
                          {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                                          "kube-system"}},
                                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                          {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12"]}}],
                           "ports": [{"protocol": "TCP", "port": 443}]}]}})
    inc.statefulset("data", "inventory-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                               memory_limit="8Gi", readiness_path=None, liveness_path=None)],
                    [P(log=lambda p, s, e: L.lines(L.ticker(e - timedelta(minutes=40), e, 300, lambda i, t: L.postgres(
                        t, "LOG", "checkpoint complete: wrote 2210 buffers (13.5%); 0 WAL file(s) added, 0 removed, "
                        f"2 recycled; write={170 + i}.4 s, sync=0.004 s, total={170 + i}.9 s", pid=28))))],
                    at - timedelta(days=120), claims=[("data", "300Gi", "gp3")], service=5432)
    db_ip = inc.find("Service", "data", "inventory-db")["spec"]["clusterIP"]

    def inv(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < applied + timedelta(minutes=3):
                return L.js(t, "info", "finished unary call", **{"grpc.method": "ReserveStock",
                            "grpc.service": "inventory.v1.Inventory", "grpc.code": "OK", "grpc.time_ms": 7 + i % 9})
            if i % 2:
                return L.js(t, "error", "reserve stock failed", **{
                    "grpc.method": "ReserveStock", "grpc.code": "Unavailable",
                    "error": f"failed to connect to `user=inventory database=inventory`: {db_ip}:5432 (inventory-db."
                             f"data.svc.cluster.local): dial error: dial tcp {db_ip}:5432: i/o timeout"})
            return L.js(t, "warn", "pgxpool: acquire connection", **{"error": "context deadline exceeded",
                        "pool.total_conns": 0, "pool.idle_conns": 0})
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 14, line))

    env = [{"name": "DATABASE_URL", "value": f"postgres://inventory:{db_pw}@inventory-db.data.svc.cluster.local:5432/"
                                             "inventory?pool_max_conns=20"},
           {"name": "SERVICE_TOKEN", "value": jwt}]
    inc.deployment("inventory", "inventory", [
        Rev(41, at - timedelta(days=4), "inventory v2.31.0",
            [c("inventory", f"{REGISTRY}/inventory/inventory:v2.31.0", port=9090, env=env, readiness_path=None)])],
        {41: [P(log=inv)] * 3})
    inc.service("inventory", "inventory", {"app": "inventory"}, port=9090, target=9090)

    def checkout(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < applied + timedelta(minutes=3) or i % 3 == 0:
                return L.pylog(t, "INFO", "checkout.api", f"order placed order_id=o-{991200 + i} took_ms={80 + i % 40}")
            return L.pylog(t, "ERROR", "checkout.inventory", "ReserveStock failed: <_InactiveRpcError of RPC that "
                           "terminated with: status = StatusCode.UNAVAILABLE details = \"failed to connect to `user="
                           "inventory database=inventory`\" debug_error_string = \"UNKNOWN:Error received from peer "
                           "ipv4:10.244.1.57:9090\">")
        return L.lines(L.ticker(end - timedelta(minutes=35), end, 11, line))

    for h in inc.pods_of("shop", "checkout"):
        h.logs["checkout"] = checkout(h.name, h.created, inc.captured)
    inc.slo_burn("checkout", "shop", "checkout-place-order", "0.995", 22.7,
                 "place-order availability: 5xx ratio 18.9% over 5m; 2h burn rate 22.7.")
    inc.answer_key(culprit=("NetworkPolicy", "inventory", "baseline-egress"), keywords=["5432", "egress"],
                   root_cause="NetworkPolicy inventory/baseline-egress (applied 26 min before the alert) allows only "
                              "DNS and 443 to outside addresses, so inventory's connections to inventory-db on port "
                              "5432 time out (egress blocked) and ReserveStock fails with Unavailable, which checkout "
                              "surfaces as 5xx.",
                   category="networkpolicy-blocks-database-egress",
                   red_herrings=[("StatefulSet", "data", "inventory-db"), ("Deployment", "shop", "checkout")])
    return inc


ROUTER_CONFIG = """receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
exporters:
  tempo:
    endpoint: tempo-distributor.observability.svc:4317
    headers:
      x-scope-orgid: prod
processors:
  batch:
    timeout: 5s
\tbatch_size: 8192
  tail_sampling:
    decision_wait: 10s
"""


def traces_missing_question() -> Incident:
    """A hand-applied change to the trace router's config file puts a tab in YAML; the router exits on reload.

    Somebody asks in chat why traces stopped arriving in Tempo. trace-router pods crash-loop since
    Reloader rolled them after ConfigMap trace-router-config changed: 'yaml: line 14: found
    character that cannot start any token' (a tab before batch_size). Tempo's distributor logs
    'no healthy ingesters' warnings from an unrelated ring rebalance and looks guilty.
    """
    at = datetime(2026, 11, 7, 16, 48, tzinfo=UTC)
    inc = Incident("traces-missing-question", title="question: no traces in Tempo since ~16:25",
                   story="", at=at, seed=907, namespaces=("observability",))
    edit = at - timedelta(minutes=24)
    tenant_token = inc.canary("token", "tempo-tenant")
    cm = inc.configmap("observability", "trace-router-config", {"router.yaml": ROUTER_CONFIG.replace(
        "x-scope-orgid: prod", f"x-scope-orgid: prod\n      authorization: Bearer {tenant_token}")},
        at=at - timedelta(days=70))
    cm["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    cm["metadata"]["managedFields"] = [
        {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1", "time": ts(edit),
         "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:router.yaml": {}}}}]
    cm["metadata"]["resourceVersion"] = "918277"
    img = f"{REGISTRY}/observability/trace-router:0.14.2"

    def crash(pod: str, start: datetime, end: datetime) -> str:
        def z(t: datetime, lvl: str, msg: str) -> str:
            return f"{t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond // 1000:03d}Z\t{lvl}\t{msg}"
        return L.lines([
            (start, z(start, "info", "trace-router 0.14.2 (go1.23.2) starting\t"
                             "{\"config\": \"/etc/router/router.yaml\"}")),
            (start + timedelta(milliseconds=12), z(start, "error", "cannot load configuration\t{\"error\": "
                                                   "\"yaml: line 14: found character that cannot start any token\"}")),
            (start + timedelta(milliseconds=13), "Error: failed to get config: cannot unmarshal the configuration: "
                                                 "yaml: line 14: found character that cannot start any token")])

    first = edit + timedelta(seconds=40)
    inc.deployment("observability", "trace-router", [
        Rev(9, first - timedelta(seconds=5), "reloader: trace-router-config changed",
            [c("trace-router", img, port=4317, readiness_path=None, liveness_path=None,
               env=[{"name": "GOMEMLIMIT", "value": "400MiB"}])],
            pod_spec={"volumes": [{"name": "config", "configMap": {"name": "trace-router-config"}}]},
            container={"volumeMounts": [{"name": "config", "mountPath": "/etc/router"}]})],
        {9: [P("crashloop", log=crash, exit_code=1, run_s=lambda n: 0.3, crash_from=first)] * 2},
        annotations={"configmap.reloader.stakater.com/reload": "trace-router-config"})
    inc.service("observability", "trace-router", {"app": "trace-router"}, port=4317, target=4317)

    def tempo(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 6 == 0:
                return L.logfmt(t, "warn", "pusher failed to consume trace data", caller="distributor.go:678",
                                err="at least 2 live replicas required, could only find 1 - unhealthy instances: "
                                    f"10.244.2.{71 + i % 3}:9095")
            return L.logfmt(t, "info", "ring state", caller="lifecycler.go:573", ring="ingester",
                            healthy=3 if i % 6 else 2, tokens=384)
        return L.lines(L.ticker(end - timedelta(minutes=45), end, 41, line))

    inc.deployment("observability", "tempo-distributor", [
        Rev(5, at - timedelta(days=33), "tempo 2.6.0", [c("tempo-distributor", "docker.io/grafana/tempo:2.6.0",
                                                          port=3200, readiness_path="/ready", liveness_path=None)])],
        {5: [P(log=tempo)] * 2})
    inc.ask("Grafana shows no new traces in Tempo since about 16:25 for any service. Did something break in the "
            "tracing pipeline?")
    inc.answer_key(culprit=("ConfigMap", "observability", "trace-router-config"),
                   keywords=["line 14", "found character that cannot start any token"],
                   root_cause="A kubectl apply of ConfigMap observability/trace-router-config left a tab at line 14 "
                              "(before batch_size); the router fails to parse router.yaml (yaml: line 14: found "
                              "character that cannot start any token) and crash-loops, so no spans reach Tempo.",
                   category="crashloop-config-syntax",
                   red_herrings=[("Deployment", "observability", "tempo-distributor")])
    return inc


def fraud_scorer_replicas() -> Incident:
    """The registry robot account behind the pull secret expired; only pods on fresh nodes need to pull.

    On-call sees: KubeDeploymentReplicasMismatch on risk/fraud-scorer after the HPA scaled it from 3
    to 5: the two new pods land on nodes that never pulled the image and get 401 Unauthorized
    from Harbor's token service. No deploy; the three old pods keep serving from cached images.
    feature-store logs timeouts under the traffic spike and looks guilty.
    """
    at = datetime(2026, 11, 12, 20, 7, tzinfo=UTC)
    inc = Incident("fraud-scorer-replicas-mismatch", title="KubeDeploymentReplicasMismatch: risk/fraud-scorer",
                   story="", at=at, seed=908, namespaces=("risk",))
    robot = inc.canary("token", "harbor-robot")
    inc.secret("risk", "harbor-robot", {".dockerconfigjson": '{"auths":{"harbor.example.com":{"username":'
                                                             f'"robot$risk+puller","password":"{robot}"}}}}}}'})
    sec = inc.find("Secret", "risk", "harbor-robot")
    sec["type"] = "kubernetes.io/dockerconfigjson"
    sec["metadata"]["annotations"] = {"harbor.example.com/robot-expires-at": "2026-11-12T00:00:00Z",
                                      "harbor.example.com/robot": "robot$risk+puller"}
    image = "harbor.example.com/risk/fraud-scorer:5.2.0"
    msg = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve reference '
           f'"{image}": failed to authorize: failed to fetch oauth token: unexpected status from GET request to '
           "https://harbor.example.com/service/token?scope=repository%3Arisk%2Ffraud-scorer%3Apull&service=harbor-"
           "registry: 401 Unauthorized")

    def scorer(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 8, lambda i, t: L.spring(
            t, "WARN" if i % 4 == 0 else "INFO", "c.e.risk.ScoringController",
            f"score txn=tx_{771000 + i} latency={1100 + i * 37 % 900}ms queue={40 + i % 30}" if i % 4 == 0 else
            f"score txn=tx_{771000 + i} latency={90 + i % 60}ms", thread=f"http-nio-8080-exec-{1 + i % 16}")))

    wl = inc.deployment("risk", "fraud-scorer", [
        Rev(14, at - timedelta(days=19), "fraud-scorer 5.2.0", [c("fraud-scorer", image, memory_limit="2Gi")],
            pod_spec={"imagePullSecrets": [{"name": "harbor-robot"}]})],
        {14: [P(log=scorer)] * 3 + [P("waiting", waiting_reason="ImagePullBackOff", message=msg,
                                      created=at - timedelta(minutes=14), node=inc.node_names()[-1])] * 2},
        replicas=5)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "fraud-scorer", "namespace": "risk"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fraud-scorer"},
                      "minReplicas": 3, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                          "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
             "status": {"currentReplicas": 5, "desiredReplicas": 5, "lastScaleTime": ts(at - timedelta(minutes=14))}})
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[14]} to 5 from 3",
              at - timedelta(minutes=14), warning=False, component="deployment-controller")

    def fs(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 15, lambda i, t: L.go_std(
            t, f"WARN redis: {['GET', 'HGETALL', 'MGET'][i % 3]} features:acct:{50120 + i} took {180 + i % 90}ms "
               "(slowlog threshold 100ms)" if i % 2 else f"served {200 + i} feature lookups in last 15s")))

    inc.deployment("risk", "feature-store", [Rev(6, at - timedelta(days=40), "feature-store 1.4.2", [
        c("feature-store", f"{REGISTRY}/risk/feature-store:1.4.2")])], {6: [P(log=fs)] * 2})
    inc.service("risk", "fraud-scorer", {"app": "fraud-scorer"})
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "risk", "deployment": "fraud-scorer",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment risk/fraud-scorer has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("Secret", "risk", "harbor-robot"), keywords=["401", "expired"],
                   root_cause="The Harbor robot account in pull secret risk/harbor-robot expired (2026-11-12); new "
                              "fraud-scorer pods on nodes without a cached image get 401 Unauthorized from the "
                              "registry token service and stay in ImagePullBackOff.",
                   category="image-pull-secret-expired",
                   red_herrings=[("Deployment", "risk", "feature-store")])
    return inc



def reports_export_timeouts() -> Incident:
    """An ingress hardening commit sets proxy-read-timeout to 5 s; report exports take 8 to 20 s and get 504.

    On-call sees: an error-budget burn on the reports service (ingress-level SLO). ingress-nginx
    logs 'upstream timed out (110: Operation timed out) while reading response header from
    upstream' and 504s on /exports; the Rails app logs the same requests completing 200 in 9-17 s,
    and its slow-query warnings make it look guilty. The Ingress changed 38 minutes earlier
    (an Argo CD sync of 'harden ingress defaults').
    """
    at = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
    inc = Incident("reports-error-budget", title="Error budget burn: reports availability",
                   story="", at=at, seed=909, namespaces=("reporting",))
    change = at - timedelta(minutes=38)
    key_base = inc.canary("token", "rails-secret-key-base")
    stripe = inc.canary("stripe", "reports-billing")
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "reports", "namespace": "reporting", "generation": 7,
                                "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "5",
                                                "nginx.ingress.kubernetes.io/proxy-send-timeout": "5",
                                                "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
                                                "argocd.argoproj.io/tracking-id": "reports:networking.k8s.io/"
                                                                                  "Ingress:reporting/reports"},
                                "managedFields": [{"manager": "argocd-controller", "operation": "Apply",
                                                   "apiVersion": "networking.k8s.io/v1", "time": ts(change)}]},
                   "spec": {"ingressClassName": "nginx",
                            "tls": [{"hosts": ["reports.example.com"], "secretName": "reports-tls"}],
                            "rules": [{"host": "reports.example.com", "http": {"paths": [
                                {"path": "/", "pathType": "Prefix",
                                 "backend": {"service": {"name": "reports-web", "port": {"number": 80}}}}]}}]},
                   "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-77ad21c9e0-"
                                                                        "41aa09b2c1d3e4f5.elb.eu-west-1.amazonaws.com"}]}}})
    inc.event(ing, "Sync", "Scheduled for sync", change + timedelta(seconds=3), warning=False,
              component="nginx-ingress-controller")
    inc.service("reporting", "reports-web", {"app": "reports-web"}, port=80, target=3000)
    svc_ip = inc.find("Service", "reporting", "reports-web")["spec"]["clusterIP"]
    del svc_ip

    def rails(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            rid = L.uuidish(pod, i)
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")
            if i % 4 == 0:
                return (f"I, [{stamp} #1]  INFO -- : [{rid}] Completed 200 OK in {9000 + i * 311 % 8000}ms (Views: "
                        f"41.0ms | ActiveRecord: {8700 + i * 311 % 7900}.2ms | Allocations: 1812211)")
            if i % 4 == 1:
                return (f"W, [{stamp} #1]  WARN -- : [{rid}] Slow query ({6100 + i * 97 % 5000}ms): SELECT "
                        "line_items.* FROM line_items INNER JOIN invoices ON ... WHERE invoices.account_id = $1")
            if i % 4 == 2:
                return (f"I, [{stamp} #1]  INFO -- : [{rid}] Started GET \"/exports/{8000 + i}.csv\" for "
                        f"10.244.{i % 3}.9 at {t.strftime('%Y-%m-%d %H:%M:%S')} +0000")
            return (f"I, [{stamp} #1]  INFO -- : [{rid}] Completed 200 OK in {40 + i % 60}ms (Views: 12.9ms | "
                    "ActiveRecord: 9.1ms | Allocations: 20112)")
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 13, line))

    env = [{"name": "SECRET_KEY_BASE", "value": key_base}, {"name": "STRIPE_API_KEY", "value": stripe}]
    inc.deployment("reporting", "reports-web", [
        Rev(88, at - timedelta(days=6), "reports 2026.45.1", [c("reports-web", f"{REGISTRY}/reporting/web:2026.45.1",
                                                               port=3000, env=env, memory_limit="1536Mi")])],
        {88: [P(log=rails)] * 3})
    ctrl = inc.pods_of("ingress-nginx", "ingress-nginx-controller")

    def nginx(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            up = f"10.244.{1 + i % 3}.{50 + i % 5}:3000"
            if t < change + timedelta(minutes=1):
                return L.nginx_access(t, f"81.2.{i % 200}.{i % 250}", f"GET /exports/{8000 + i}.csv", 200, 1841221,
                                      "reporting-reports-web-80", "200", 11.204)
            if i % 3 == 0:
                return L.nginx_error(t, "upstream timed out (110: Operation timed out) while reading response header "
                                        f"from upstream, client: 81.2.{i % 200}.{i % 250}, "
                                        "server: reports.example.com, "
                                        f'request: "GET /exports/{8000 + i}.csv HTTP/2.0", upstream: "http://{up}/'
                                        f'exports/{8000 + i}.csv", host: "reports.example.com"', conn=9000 + i)
            if i % 3 == 1:
                return L.nginx_access(t, f"81.2.{i % 200}.{i % 250}", f"GET /exports/{8000 + i}.csv", 504, 160,
                                      "reporting-reports-web-80", "504", 5.001)
            return L.nginx_access(t, f"81.2.{i % 200}.{i % 250}", "GET /invoices?page=2", 200, 23112,
                                  "reporting-reports-web-80", "200", 0.071)
        return L.lines(L.ticker(end - timedelta(minutes=45), end, 7, line))

    for h in ctrl:
        h.logs[h.containers[0].name] = nginx(h.name, h.created, inc.captured)
    inc.slo_burn("reports-web", "reporting", "reports-availability", "0.99", 9.8,
                 "reports.example.com availability (ingress 5xx ratio) 2h burn rate 9.8; mostly 504 on /exports.")
    inc.answer_key(culprit=("Ingress", "reporting", "reports"), keywords=["proxy-read-timeout", "504"],
                   root_cause="Ingress reporting/reports now sets nginx.ingress.kubernetes.io/proxy-read-timeout to "
                              "5 s (Argo CD sync 38 min earlier); CSV exports take 8-17 s, so ingress-nginx times "
                              "out reading the upstream and answers 504.",
                   category="ingress-timeout-too-low",
                   red_herrings=[("Deployment", "reporting", "reports-web")])
    return inc


def _redis_ts(t: datetime) -> str:
    return f"{t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d}"


def login_failures_page() -> Incident:
    """The session Redis runs with maxmemory-policy noeviction since a chart bump; at maxmemory every write fails.

    On-call sees: a PagerDuty incident 'login failures'. The login service (Node.js, ioredis)
    logs 'OOM command not allowed when used memory > maxmemory' on SET; reads still work. The
    Redis pod is Running and Ready and not OOMKilled (the container has headroom); login pods
    return 500 and look guilty. ConfigMap identity/sessions-redis-config changed two days ago
    from allkeys-lru to noeviction; memory reached maxmemory 1gb twenty minutes before the page.
    """
    at = datetime(2026, 11, 24, 7, 55, tzinfo=UTC)
    inc = Incident("login-failures-page", title="Login failures: identity login 5xx > 20%",
                   story="", at=at, seed=910, namespaces=("identity",))
    bump = at - timedelta(days=2, hours=4)
    redis_pw = inc.canary("password", "sessions-redis")
    signing = inc.canary("jwt", "login-signing")
    cm = inc.configmap("identity", "sessions-redis-config", {
        "redis.conf": "bind 0.0.0.0\nport 6379\nmaxmemory 1gb\nmaxmemory-policy noeviction\nappendonly no\n"
                      "save \"\"\ntcp-keepalive 60\n"}, at=at - timedelta(days=200))
    cm["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "redis-20.1.0"}
    cm["metadata"]["managedFields"] = [{"manager": "helm", "operation": "Update", "apiVersion": "v1",
                                        "time": ts(bump), "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:data": {"f:redis.conf": {}}}}]
    full = at - timedelta(minutes=21)

    def redis(pod: str, start: datetime, end: datetime) -> str:
        head = [(start, f"1:C {_redis_ts(start)} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
                (start, f"1:C {_redis_ts(start)} # Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1"),
                (start, f"1:M {_redis_ts(start)} * Server initialized"),
                (start, f"1:M {_redis_ts(start)} * Ready to accept connections tcp")]
        body = L.ticker(end - timedelta(minutes=40), end, 60, lambda i, t: (
            f"1:M {_redis_ts(t)} * {10000 + i * 3} changes in 60 seconds. Saving..." if t < full else
            f"1:M {_redis_ts(t)} # WARNING: used_memory {1073741824 + i * 911}B reached maxmemory; policy noeviction, "
            "rejecting writes") if i % 5 == 0 else None)
        return L.lines([*head, *body])

    inc.statefulset("identity", "sessions-redis", [c("redis", "docker.io/bitnami/redis:7.4.1", port=6379,
                                                     memory_limit="2Gi", memory_request="1Gi", readiness_path=None,
                                                     liveness_path=None,
                                                     env=[{"name": "REDIS_PASSWORD", "value": redis_pw}])],
                    [P(log=redis, memory_mi=1090)], bump + timedelta(minutes=3), service=6379)
    sts = inc.find("StatefulSet", "identity", "sessions-redis")
    sts["spec"]["template"]["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "sessions-redis-config"}}]

    def login(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < full or i % 3 == 0:
                return L.js(t, "info", "login ok", route="POST /v1/login", status=200, took=41 + i % 30,
                            pid=1, hostname=pod)
            if i % 3 == 1:
                return L.js(t, "error", "session store write failed", route="POST /v1/login", status=500,
                            err={"type": "ReplyError", "message": "OOM command not allowed when used memory > "
                                 "'maxmemory'.", "command": {"name": "set", "args": [f"sess:{L.uuidish(pod, i)}",
                                                                                   "[redacted]", "EX", "86400"]}},
                            pid=1, hostname=pod)
            return L.js(t, "warn", "refresh token rotation failed", route="POST /v1/token/refresh", status=500,
                        err="ReplyError: OOM command not allowed when used memory > 'maxmemory'.", pid=1,
                        hostname=pod)
        return L.lines(L.ticker(end - timedelta(minutes=35), end, 9, line))

    env = [{"name": "REDIS_URL", "value": f"redis://:{redis_pw}@sessions-redis.identity.svc:6379/0"},
           {"name": "JWT_SIGNING_KEY", "value": signing}]
    inc.deployment("identity", "login", [
        Rev(27, at - timedelta(days=9), "login 3.3.0", [c("login", f"{REGISTRY}/identity/login:3.3.0", port=3000,
                                                          env=env)])], {27: [P(log=login)] * 3})
    inc.service("identity", "login", {"app": "login"}, port=80, target=3000)
    redis_pod = inc.pods_of("identity", "sessions-redis")[0].name
    inc.series("redis_memory_used_bytes", "gauge", "used_memory metric", {
        "namespace": "identity", "pod": redis_pod, "job": "redis-exporter", "instance": f"{redis_pod}:9121"},
        lambda t: float(min(1073741824, 1073741824 - (full - t).total_seconds() * 52000)))
    inc.series("redis_rejected_connections_total", "counter", "rejected_connections metric", {
        "namespace": "identity", "pod": redis_pod, "job": "redis-exporter", "instance": f"{redis_pod}:9121"},
        lambda t: 0.0)
    inc.pagerduty("Login failures: POST /v1/login 5xx ratio 31% (threshold 20%) - identity/login", "Identity Platform")
    inc.answer_key(culprit=("ConfigMap", "identity", "sessions-redis-config"), keywords=["noeviction", "maxmemory"],
                   root_cause="ConfigMap identity/sessions-redis-config sets maxmemory 1gb with maxmemory-policy "
                              "noeviction (since a chart bump two days ago); the session Redis reached maxmemory and "
                              "rejects every write with OOM command not allowed, so logins fail with 500.",
                   category="redis-maxmemory-noeviction",
                   red_herrings=[("Deployment", "identity", "login")])
    return inc


def ledger_replicas_question() -> Incident:
    """A StatefulSet pod cannot come back: its EBS volume lives in eu-west-1c, where no schedulable node is left.

    On-call sees: KubeStatefulSetReplicasMismatch for payments-ledger/ledger-db. ledger-db-2 is
    Pending: '1 node(s) were unschedulable, 3 node(s) had volume node affinity conflict'. The only
    eu-west-1c node was cordoned for a kernel patch this morning; the PersistentVolume for
    data-ledger-db-2 has node affinity topology.ebs.csi.aws.com/zone=eu-west-1c. The other two
    members log replication lag warnings and look guilty.
    """
    at = datetime(2026, 11, 30, 12, 15, tzinfo=UTC)
    inc = Incident("ledger-db-replicas-mismatch", title="KubeStatefulSetReplicasMismatch: payments-ledger/ledger-db",
                   story="", at=at, seed=911, namespaces=("payments-ledger",))
    cordon = at - timedelta(hours=2, minutes=10)
    repl_pw = inc.canary("password", "ledger-replication")
    nodes = inc.cluster.nodes
    zone_c = [n for n in nodes if n["metadata"]["labels"].get("topology.kubernetes.io/zone") == "eu-west-1c"]
    others = [n for n in nodes if n not in zone_c]
    target = zone_c[0]
    tname = target["metadata"]["name"]
    target["spec"]["unschedulable"] = True
    target["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                 "timeAdded": ts(cordon)}]
    inc.event(target, "NodeNotSchedulable", f"Node {tname} status is now: NodeNotSchedulable", cordon,
              warning=False, component="kubelet", host=tname)

    def pg(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 45, lambda i, t: L.postgres(
            t, "WARNING" if i % 2 else "LOG",
            f"replication slot \"ledger_db_2\" is inactive; WAL retained {12 + i // 2} GB" if i % 2 else
            "checkpoint complete: wrote 802 buffers (4.9%); 0 WAL file(s) added, 0 removed, 0 recycled", pid=41)))

    msg = ("0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) had volume node affinity conflict. "
           "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    env = [{"name": "POSTGRES_REPLICATION_PASSWORD", "value": repl_pw}]
    inc.statefulset("payments-ledger", "ledger-db", [
        c("postgres", "docker.io/bitnami/postgresql-repmgr:16.4.0", port=5432, memory_limit="8Gi", env=env,
          readiness_path=None, liveness_path=None)],
        [P(log=pg, node=others[0]["metadata"]["name"]), P(log=pg, node=others[1]["metadata"]["name"]),
         P("pending", message=msg, created=cordon + timedelta(minutes=4))],
        at - timedelta(days=150), claims=[("data", "500Gi", "gp3")], service=5432)
    for i, zone in enumerate(["eu-west-1a", "eu-west-1b", "eu-west-1c"]):
        claim = f"data-ledger-db-{i}"
        inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
                 "metadata": {"name": "pvc-" + o.uid("pvc", "payments-ledger", claim),
                              "labels": {"topology.kubernetes.io/zone": zone},
                              "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"}},
                 "spec": {"capacity": {"storage": "500Gi"}, "accessModes": ["ReadWriteOnce"],
                          "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp3",
                          "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "payments-ledger", "name": claim},
                          "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": f"vol-0{o.suffix(claim, 16)}",
                                  "fsType": "ext4"},
                          "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{
                              "key": "topology.ebs.csi.aws.com/zone", "operator": "In", "values": [zone]}]}]}}},
                 "status": {"phase": "Bound"}})
    sts = inc.find("StatefulSet", "payments-ledger", "ledger-db")
    sts["status"].update({"readyReplicas": 2, "availableReplicas": 2})
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "payments-ledger", "statefulset": "ledger-db",
                                                         "job": "kube-state-metrics"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet payments-ledger/ledger-db has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     '(kube_statefulset_status_replicas_ready{job="kube-state-metrics"} != kube_statefulset_status_'
                     'replicas{job="kube-state-metrics"}) and (changes(kube_statefulset_status_replicas_updated'
                     '{job="kube-state-metrics"}[10m]) == 0)')
    inc.answer_key(culprit=("Node", "", tname), keywords=["volume node affinity conflict", "eu-west-1c"],
                   root_cause=f"Node {tname}, the only node in eu-west-1c, was cordoned; ledger-db-2's volume "
                              "data-ledger-db-2 is an EBS volume pinned to eu-west-1c, so the pod is Pending with "
                              "volume node affinity conflict on every other node.",
                   category="statefulset-volume-zone-unschedulable",
                   red_herrings=[("StatefulSet", "payments-ledger", "ledger-db")])
    return inc


ALL = [order_events_lag, catalog_web_not_ready, storefront_deploy_hung, nightly_rollup_overdue,
       quotes_api_autoscaling_question, inventory_grpc_errors, traces_missing_question, fraud_scorer_replicas,
       reports_export_timeouts, login_failures_page, ledger_replicas_question]
