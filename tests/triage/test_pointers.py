"""Names that point nowhere (agent.triage.pointers): the object holding the reference is blamed, in two wordings each.

Facts are what the survey keeps: topology answers as k8s_topology returns them, log facts as the log extractor
classifies the libraries' own lines, and objects as the API server stores them (a Service of type ExternalName, a
Pod with its initContainerStatuses, a cert-manager.io/v1 Certificate). Client errors are the real wordings: Node.js
`getaddrinfo ENOTFOUND`, Java `UnknownHostException`, busybox nslookup's `** server can't find X: NXDOMAIN`, busybox
nc's `bad address`, libpq's `could not translate host name`, Go crypto/x509, Java JSSE, Python/OpenSSL and Node's
ERR_TLS_CERT_ALTNAME_INVALID.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.cert_names import CHECK as CERT_CHECK
from agent.triage.cert_names import SECRET_CHECK, covers
from agent.triage.external_name import CHECK as EXT_CHECK
from agent.triage.facts import Facts, LogEvidence
from agent.triage.init_wait import CHECK as INIT_CHECK
from agent.triage.pointers import service_of
from tests.triage.test_rank import AT, alert


def log(pod: str, namespace: str, message: str, error_class: str, hosts: list[str], evidence: str = "E4",
        fields: dict[str, Any] | None = None, last: list[str] | None = None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id=evidence, top={
        "template": message, "example": message, "count": 40, "severity": "error", "error_class": error_class,
        "message": message, "fields": fields or {}}, hosts=hosts, error_classes={error_class} if error_class else set(),
        previous=False, last_lines=last or [])


def topology(subject: dict[str, str], pods: list[dict[str, Any]], deps: list[dict[str, Any]],
             secrets: list[dict[str, Any]] | None = None, services: list[str] | None = None) -> dict[str, Any]:
    return {"subject": subject, "pods": pods, "dependencies": deps, "secrets": secrets or [],
            "services": [{"kind": "Service", "namespace": subject["namespace"], "name": s} for s in services or []]}


def service(namespace: str, name: str, external: str | None = None, **annotations: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "ExternalName", "externalName": external} if external else {
        "type": "ClusterIP", "clusterIP": "10.100.3.4", "selector": {"app": name}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace,
                                                                "annotations": annotations}, "spec": spec}


def service_list(namespace: str, names: list[str]) -> dict[str, Any]:
    return {"kind": "ServiceList", "metadata": {"namespace": namespace}, "names": names}


# ---- 1: ExternalName ------------------------------------------------------------------------------------

ORDERS = {"kind": "Deployment", "namespace": "orders", "name": "order-sync"}
ORDER_POD = {"name": "order-sync-7c9d8f6b5-q2w3e", "namespace": "orders", "phase": "Running", "ready": True}


def external_facts(client_log: LogEvidence, objects: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, logs=[client_log])
    facts.topologies.append((topology(ORDERS, [ORDER_POD], [{
        "target": {"kind": "Service", "namespace": "orders", "name": "erp-gateway"}, "via": "env ERP_URL",
        "healthy": None, "detail": "no detail"}]), "E3"))
    facts.objects += [(o, f"E{6 + i}") for i, o in enumerate(objects)]
    return facts


INCIDENT = alert(alertname="OrderSyncFailing", namespace="orders", deployment="order-sync")


def test_an_externalname_to_a_host_coredns_says_does_not_exist_is_blamed() -> None:
    java = log("order-sync-7c9d8f6b5-q2w3e", "orders", "java.net.UnknownHostException: erp-gateway.orders.svc."
               "cluster.local: Name or service not known", "dns_failure", ["erp-gateway.orders.svc.cluster.local"],
               fields={"dns_name": "erp-gateway.orders.svc.cluster.local"})
    facts = external_facts(java, [
        service("orders", "erp-gateway", "sap-prd.mgmt.corp.internal", **{"owner": "erp team, until SAP move"}),
        {"kind": "CoreDNSQueryLog", "metadata": {"name": "coredns-5d78c9869d-abcde", "namespace": "kube-system"},
         "answers": {"sap-prd.mgmt.corp.internal": "NXDOMAIN"}}])
    [top, *_] = rank(subject_of(INCIDENT), facts)
    assert top.check == EXT_CHECK and top.ref is not None and (top.ref.kind, top.ref.name) == ("Service", "erp-gateway")
    assert "ExternalName" in top.cause and "sap-prd.mgmt.corp.internal" in top.cause and "NXDOMAIN" in top.cause
    assert "E6" in top.evidence and "E7" in top.evidence


def test_an_externalname_without_a_dns_log_reads_the_clients_no_such_name() -> None:
    node = log("order-sync-7c9d8f6b5-q2w3e", "orders", "Error: getaddrinfo ENOTFOUND erp-gateway", "dns_failure",
               ["erp-gateway"], fields={"dns_name": "erp-gateway"})
    [top, *_] = rank(subject_of(INCIDENT), external_facts(node, [service("orders", "erp-gateway",
                                                                         "erp.legacy.example.net")]))
    assert top.check == EXT_CHECK and "erp.legacy.example.net" in top.cause and "NXDOMAIN" in top.cause


def test_an_externalname_to_a_deleted_in_cluster_service_names_the_missing_one() -> None:
    refused = log("order-sync-7c9d8f6b5-q2w3e", "orders", "dial tcp: lookup erp-gateway.orders.svc.cluster.local "
                  "on 10.96.0.10:53: no such host", "dns_failure", ["erp-gateway.orders.svc.cluster.local"])
    facts = external_facts(refused, [service("orders", "erp-gateway", "erp-api.integration.svc.cluster.local"),
                                     service_list("integration", ["erp-api-v2", "erp-worker"])])
    [top, *_] = rank(subject_of(INCIDENT), facts)
    assert top.check == EXT_CHECK and "no Service erp-api exists in namespace integration" in top.cause


def test_an_ordinary_service_or_a_resolving_target_blames_no_externalname() -> None:
    err = log("order-sync-7c9d8f6b5-q2w3e", "orders", "Error: getaddrinfo ENOTFOUND erp-gateway", "dns_failure",
              ["erp-gateway"])
    plain = external_facts(err, [service("orders", "erp-gateway")])
    assert all(c.check != EXT_CHECK for c in rank(subject_of(INCIDENT), plain))
    answered = external_facts(err, [service("orders", "erp-gateway", "erp.example.net"),
                                    {"kind": "CoreDNSQueryLog", "metadata": {"name": "c", "namespace": "kube-system"},
                                     "answers": {"erp.example.net": "NOERROR"}}])
    assert all(c.check != EXT_CHECK for c in rank(subject_of(INCIDENT), answered))


# ---- 2: waiting for a host that does not exist -------------------------------------------------------------

SHIP = {"kind": "Deployment", "namespace": "logistics", "name": "shipment-api"}
STUCK_POD = "shipment-api-6d5f7b8c9-zx8cv"
STUCK: dict[str, Any] = {"name": STUCK_POD, "namespace": "logistics", "phase": "Pending", "ready": False,
         "reason": "PodInitializing"}


def pod_waiting(command: list[str], started_ago: timedelta) -> dict[str, Any]:
    started = (AT - started_ago).isoformat().replace("+00:00", "Z")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": STUCK["name"], "namespace": "logistics"},
            "spec": {"initContainers": [{"name": "wait-for-broker", "image": "busybox:1.36", "command": command}],
                     "containers": [{"name": "shipment-api", "image": "shipment-api:4.2.0"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{
                "name": "wait-for-broker", "ready": False, "restartCount": 0, "state": {"running": {
                    "startedAt": started}}}]}}


def init_facts(command: list[str], said: LogEvidence, services: list[str],
               started_ago: timedelta = timedelta(minutes=20)) -> Facts:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [{
        "check": "workload.rollout_stuck", "severity": "critical", "object": SHIP, "owner": SHIP,
        "reason": "ProgressDeadlineExceeded", "message": "Deployment logistics/shipment-api: rollout stuck",
        "details": {}, "evidence": []}]}, logs=[said])
    facts.topologies.append((topology(SHIP, [STUCK], [{
        "target": {"kind": "Service", "namespace": "logistics", "name": "rabbitmq-cluster"}, "via": "env AMQP_HOST",
        "healthy": True, "detail": "3 of 3 endpoints ready"}]), "E3"))
    facts.objects += [(pod_waiting(command, started_ago), "E5"),
                      ({"kind": "ContainerLogRef", "metadata": {"name": STUCK["name"], "namespace": "logistics"},
                        "container": "wait-for-broker", "log": said.evidence_id}, said.evidence_id),
                      (service_list("logistics", services), "E7")]
    return facts


SHIP_ALERT = alert(alertname="KubeDeploymentRolloutStuck", namespace="logistics", deployment="shipment-api")
NC = ["sh", "-c", "until nc -z -w 2 rabbitmq 5672; do echo waiting for rabbitmq; sleep 3; done"]


def test_an_nc_loop_on_a_renamed_broker_blames_the_waiting_workload() -> None:
    said = log(STUCK_POD, "logistics", "", "", [], evidence="E6",
               last=["nc: bad address 'rabbitmq'", "waiting for rabbitmq"])
    said.top = None
    facts = init_facts(NC, said, ["rabbitmq-cluster", "rabbitmq-cluster-headless", "shipment-api"])
    [top, *_] = rank(subject_of(SHIP_ALERT), facts)
    assert top.check == INIT_CHECK and top.ref is not None and top.ref.name == "shipment-api"
    assert "wait-for-broker" in top.cause and "no Service rabbitmq exists" in top.cause
    assert "rabbitmq-cluster" in top.cause and "its env already uses" in top.cause


def test_a_pg_isready_loop_in_another_wording_names_the_lookalike_by_name() -> None:
    command = ["/bin/sh", "-c", "until pg_isready -h shipments-pg -p 5432; do sleep 2; done"]
    said = log(STUCK_POD, "logistics", 'pg_isready: could not translate host name "shipments-pg" to address: '
               "Name or service not known", "dns_failure", ["shipments-pg"], evidence="E6",
               fields={"dns_name": "shipments-pg"}, last=["shipments-pg:5432 - no response"])
    facts = init_facts(command, said, ["shipments-postgresql", "rabbitmq-cluster"])
    [top, *_] = rank(subject_of(SHIP_ALERT), facts)
    assert top.check == INIT_CHECK and "shipments-pg" in top.cause and "shipments-postgresql" in top.cause


def test_a_wait_on_a_service_that_exists_or_a_fresh_init_blames_no_reference() -> None:
    said = log(STUCK_POD, "logistics", "", "", [], evidence="E6", last=["waiting for rabbitmq"])
    exists = init_facts(NC, said, ["rabbitmq", "shipment-api"])
    assert all(c.check != INIT_CHECK for c in rank(subject_of(SHIP_ALERT), exists))
    fresh = init_facts(NC, said, ["rabbitmq-cluster"], started_ago=timedelta(seconds=30))
    assert all(c.check != INIT_CHECK for c in rank(subject_of(SHIP_ALERT), fresh))


# ---- 3: a certificate without the name dialled -----------------------------------------------------------

CLIENT = {"kind": "Deployment", "namespace": "web", "name": "checkout"}
SERVER = {"kind": "Deployment", "namespace": "pricing", "name": "price-api"}
GO = ('Get "https://price-api.pricing.svc:8443/v1/quote": tls: failed to verify certificate: x509: certificate is '
      "valid for price-api.example.com, *.pricing.example.com, not price-api.pricing.svc")
JAVA = "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching price-api.pricing.svc found."


def certificate(secret: str, names: list[str]) -> dict[str, Any]:
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "price-api-serving", "namespace": "pricing"},
            "spec": {"secretName": secret, "dnsNames": names, "issuerRef": {"name": "ca", "kind": "ClusterIssuer"}}}


def cert_facts(message: str, objects: list[dict[str, Any]], hosts: list[str] | None = None) -> Facts:
    said = log("checkout-5b7c8d9e6-k3l4m", "web", message, "tls_error", hosts or ["price-api.pricing.svc"],
               fields={"upstream_host": "price-api.pricing.svc"})
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, logs=[said])
    facts.topologies += [
        (topology(CLIENT, [{"name": "checkout-5b7c8d9e6-k3l4m", "namespace": "web", "phase": "Running",
                            "ready": True}],
                  [{"target": {"kind": "Service", "namespace": "pricing", "name": "price-api"},
                    "via": "env PRICE_URL", "healthy": True, "detail": "2 of 2 ready"}]), "E3"),
        (topology(SERVER, [{"name": "price-api-7f8g9h6j5-p0o9i", "namespace": "pricing", "phase": "Running",
                            "ready": True}], [], secrets=[
            {"secret": {"kind": "Secret", "namespace": "pricing", "name": "price-api-tls"}, "via": "volume certs"},
            {"secret": {"kind": "Secret", "namespace": "pricing", "name": "price-api-db"}, "via": "env DB_PASSWORD"}],
            services=["price-api"]), "E5")]
    facts.objects += [(o, f"E{6 + i}") for i, o in enumerate(objects)]
    return facts


CHECKOUT = alert(alertname="CheckoutErrors", namespace="web", deployment="checkout")


def test_gos_x509_wording_blames_the_certificate_missing_the_dialled_name() -> None:
    facts = cert_facts(GO, [certificate("price-api-tls", ["price-api.example.com", "*.pricing.example.com"])])
    [top, *_] = rank(subject_of(CHECKOUT), facts)
    assert top.check == CERT_CHECK and top.ref is not None and (top.ref.kind, top.ref.name) == (
        "Certificate", "price-api-serving")
    assert "price-api.pricing.svc" in top.cause and "dnsNames" in top.cause and "x509" in top.cause


def test_javas_wording_and_a_secret_without_cert_manager() -> None:
    facts = cert_facts(JAVA, [certificate("price-api-tls", ["price-api.example.com"])])
    [top, *_] = rank(subject_of(CHECKOUT), facts)
    assert top.check == CERT_CHECK and "price-api.pricing.svc" in top.cause
    node = ("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: "
            "price-api.pricing.svc. is not in the cert's altnames: DNS:price-api.example.com")
    [top, *_] = rank(subject_of(CHECKOUT), cert_facts(node, []))
    assert top.check == SECRET_CHECK and top.ref is not None and top.ref.name == "price-api-tls"


def test_a_certificate_that_covers_the_name_is_not_blamed() -> None:
    facts = cert_facts(GO, [certificate("price-api-tls", ["price-api.example.com", "*.pricing.svc"])])
    assert all(c.check != CERT_CHECK for c in rank(subject_of(CHECKOUT), facts))


def test_names_and_wildcards() -> None:
    assert covers(["*.pricing.svc"], "price-api.pricing.svc") and not covers(["*.pricing.svc"], "a.b.pricing.svc")
    assert not covers(["price-api.example.com"], "price-api.pricing.svc")
    assert service_of("db.shop.svc.cluster.local:5432", "x") == ("db", "shop")
    assert service_of("db", "shop") == ("db", "shop") and service_of("api.example.com", "shop") is None


def test_an_entrypoint_script_waiting_in_the_main_container_counts_the_same() -> None:
    """wait-for-it.sh in the image's entrypoint: the pod runs, never gets ready, and says what it waits for."""
    said = log(STUCK_POD, "logistics", "wait-for-it.sh: timeout occurred after waiting 15 seconds for "
               "billing-db:5432", "connection_timeout", ["billing-db:5432"], evidence="E6",
               last=["wait-for-it.sh: waiting 15 seconds for billing-db:5432"])
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, logs=[said])
    running = {**STUCK, "phase": "Running", "reason": ""}
    facts.topologies.append((topology(SHIP, [running], []), "E3"))
    facts.objects.append((service_list("logistics", ["billing-postgres", "shipment-api"]), "E7"))
    [top, *_] = rank(subject_of(SHIP_ALERT), facts)
    assert top.check == INIT_CHECK and top.ref is not None and top.ref.name == "shipment-api"
    assert "its startup script waits for billing-db" in top.cause and "billing-postgres" in top.cause
    facts.topologies[0] = (topology(SHIP, [{**running, "ready": True}], []), "E3")
    assert all(c.check != INIT_CHECK for c in rank(subject_of(SHIP_ALERT), facts))
