"""A network policy written just before the page cuts the clients' path to the paged service, end to end.

Bundles written here with the corpus generator's writer, served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode and scored against their answer keys (as `vigil eval`):

- a Cilium CiliumClusterwideNetworkPolicy whose egress allow-list (toPorts 53, 443, 5432) leaves Kafka's 9092
  out; the page is Kafka's (no writes to a topic), the client is a Go service in another namespace whose log
  says `dial tcp 10.96.14.7:9092: i/o timeout` (Go's net package wording);
- a Kubernetes NetworkPolicy in the destination's namespace that admits PostgreSQL's 5432 only from the `api`
  namespace; the `reports` namespace's Python worker fails with psycopg's `connection to server at ...
  port 5432 failed: timeout expired`; the page is the database's (connections dropped).

The negative twin: the same Cilium policy, with 9092 on its allow-list, while Kafka is paged for a reason of
its own: the policy must not be named.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

AT = datetime(2026, 8, 18, 9, 40, tzinfo=UTC)


def crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str) -> None:
    """The CustomResourceDefinition a custom resource needs to be served at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True, "schema": {
                          "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def app(inc: Incident, ns: str, name: str, port: int, log: Callable[[str, datetime, datetime], str] | None = None,
        replicas: int = 1) -> None:
    inc.deployment(ns, name, [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                                  [c(name, f"{REGISTRY}/{ns}/{name}:1.0.0", port=port)])],
                   {1: [P(log=log) for _ in range(replicas)]})
    inc.service(ns, name, {"app": name}, port=port, target=port)


def cilium_kafka(allow_kafka: bool = False) -> Incident:
    """baseline-egress (a CiliumClusterwideNetworkPolicy) applied 25 minutes before: every pod outside
    kube-system may reach DNS, 443 and 5432 only; ledger-writer's produces to Kafka time out."""
    name = "cilium-egress-kafka-ok" if allow_kafka else "cilium-egress-kafka"
    inc = Incident(name, title="no writes to the ledger topic", story=cilium_kafka.__doc__ or "", at=AT, seed=9031,
                   namespaces=("streaming", "ledger"))
    applied = AT - timedelta(minutes=25)
    crd(inc, "cilium.io", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", "v2", "Cluster")
    ports = [{"port": "53", "protocol": "UDP"}, {"port": "443", "protocol": "TCP"},
             {"port": "5432", "protocol": "TCP"}] + ([{"port": "9092", "protocol": "TCP"}] if allow_kafka else [])
    policy = inc.add({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                      "metadata": {"name": "baseline-egress", "generation": 1},
                      "spec": {"endpointSelector": {"matchExpressions": [
                          {"key": "k8s:io.kubernetes.pod.namespace", "operator": "NotIn",
                           "values": ["kube-system", "monitoring"]}]},
                          "egress": [{"toEntities": ["cluster", "world"], "toPorts": [{"ports": ports}]}]}})
    policy["metadata"]["creationTimestamp"] = ts(applied)

    def writer(pod: str, s: datetime, e: datetime) -> str:
        return L.lines(L.ticker(s, e, 15, lambda i, t: L.go_std(t, (
            f"ledger: produced batch {9000 + i} to ledger-entries" if t < applied or allow_kafka else
            "ledger: produce to ledger-entries failed: kafka: client has run out of available brokers to talk "
            "to: dial tcp kafka.streaming.svc.cluster.local:9092: i/o timeout"))))
    app(inc, "ledger", "ledger-writer", 8080, writer)
    app(inc, "streaming", "kafka", 9092)
    app(inc, "ledger", "ledger-api", 8080)
    labels = {"namespace": "streaming", "topic": "ledger-entries", "service": "kafka"}
    inc.series("kafka_topic_partition_current_offset", "gauge", "Current offset of a partition", labels,
               lambda t: 5_000_000.0 + 40 * max(0.0, (min(t, applied) - AT + timedelta(hours=3)).total_seconds()))
    inc.alertmanager("KafkaTopicNoWrites", {"namespace": "streaming", "service": "kafka", "topic": "ledger-entries"},
                     "No writes to a Kafka topic", "Topic ledger-entries of streaming/kafka received no writes "
                     "for 15 minutes.", "delta(kafka_topic_partition_current_offset[15m]) == 0",
                     severity="critical")
    inc.answer_key(culprit=("CiliumClusterwideNetworkPolicy", "", "baseline-egress"),
                   keywords=["9092", "egress"],
                   root_cause="baseline-egress allows egress to 53, 443 and 5432 only; Kafka's 9092 is left out "
                              "and ledger-writer's produces time out.",
                   category="cilium-clusterwide-policy-omits-port",
                   red_herrings=[("Deployment", "ledger", "ledger-api")])
    return inc


def k8s_postgres() -> Incident:
    """db/postgres-ingress (a NetworkPolicy in the database's namespace) applied 40 minutes before admits 5432
    only from namespace api; the reports namespace's worker can no longer connect."""
    inc = Incident("k8s-ingress-postgres", title="reporting database connections dropped",
                   story=k8s_postgres.__doc__ or "", at=AT, seed=9032, namespaces=("db", "api", "reports"))
    applied = AT - timedelta(minutes=40)
    policy = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                      "metadata": {"name": "postgres-ingress", "namespace": "db", "generation": 1},
                      "spec": {"podSelector": {"matchLabels": {"app": "postgres"}}, "policyTypes": ["Ingress"],
                               "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                                   "kubernetes.io/metadata.name": "api"}}}],
                                   "ports": [{"port": 5432, "protocol": "TCP"}]}]}})
    policy["metadata"]["creationTimestamp"] = ts(applied)

    def worker(pod: str, s: datetime, e: datetime) -> str:
        return L.lines(L.ticker(s, e, 20, lambda i, t: L.pylog(t, "INFO" if t < applied else "ERROR", "reports.job", (
            f"report batch {i} written" if t < applied else
            'psycopg.OperationalError: connection failed: connection to server at "postgres.db.svc.cluster.local"'
            ' (10.96.3.9), port 5432 failed: timeout expired'))))
    app(inc, "reports", "report-worker", 8080, worker)
    app(inc, "db", "postgres", 5432)
    app(inc, "api", "orders-api", 8080)
    labels = {"namespace": "db", "service": "postgres", "datname": "reports"}
    inc.series("pg_stat_database_numbackends", "gauge", "Number of backends", labels,
               lambda t: 24.0 if t < applied else 3.0)
    inc.alertmanager("PostgresConnectionsDropped", {"namespace": "db", "service": "postgres"},
                     "PostgreSQL backends dropped", "Backends of db/postgres for database reports fell from 24 to 3.",
                     "pg_stat_database_numbackends < 5", severity="warning")
    inc.answer_key(culprit=("NetworkPolicy", "db", "postgres-ingress"), keywords=["5432", "ingress"],
                   root_cause="postgres-ingress admits 5432 only from namespace api; report-worker in reports "
                              "times out.", category="k8s-ingress-policy-omits-namespace",
                   red_herrings=[("Deployment", "api", "orders-api")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([cilium_kafka, k8s_postgres, lambda: cilium_kafka(allow_kafka=True)],
                             tmp_path_factory.mktemp("policy"), jobs=1)


def test_a_cilium_clusterwide_allow_list_without_the_port_is_named_from_the_broker_s_page(
        results: dict[str, Any]) -> None:
    row = results["cilium-egress-kafka"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("CiliumClusterwideNetworkPolicy baseline-egress", "port 9092/TCP", "ledger-writer"):
        assert words in top, (words, top)


def test_an_ingress_policy_in_the_database_s_namespace_is_named_with_the_client_it_shuts_out(
        results: dict[str, Any]) -> None:
    row = results["k8s-ingress-postgres"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("NetworkPolicy db/postgres-ingress", "ingress", "port 5432/TCP", "report-worker"):
        assert words in top, (words, top)


def test_the_same_policy_with_the_port_on_its_list_is_not_named(results: dict[str, Any]) -> None:
    row = results["cilium-egress-kafka-ok"]
    assert "baseline-egress" not in str(row.top or ""), row.top
