"""The setting an error's meaning names, on the side it lives, and who changed it (agent.triage.governing_change).

Error texts are the real wording of each component: the HotSpot JVM's PKIX failure ("PKIX path building
failed ... unable to find valid certification path to requested target"), Python's ssl module through
requests ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer
certificate"), grpc-go's server ("transport: Got too many pings from the client, closing the connection")
and grpc-java's client ("Connection closed after GOAWAY. HTTP/2 error code: ENHANCE_YOUR_CALM, debug data:
too_many_pings"), PostgreSQL behind a transaction pooler (`prepared statement "S_1" does not exist`,
`prepared statement "S_3" already exists`). Changes are the timeline's own line formats (rollout env and
args lines, `data key K set by M`, `data key K 'old' -> 'new'`). Objects read by `read` (Pod, Certificate,
Issuer, ClusterIssuer) are served as YAML text in the API server's shape by a local `call`, the way the hub
answers `k8s_get -o yaml`; no real API server runs for these unit shapes (the held-out round 8 bundles run
the same code end to end against the replayed cluster). Each family has two shapes and negative twins.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import governing_change as gc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, lines: list[str], minutes: int = 30,
            type_: str = "config") -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated: {lines[0]}", "diff": lines, "related": []}


def _topology(name: str, ns: str) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": ns, "name": name},
            "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}],
            "services": [{"kind": "Service", "namespace": ns, "name": name}], "dependencies": []}


def _log(pod: str, ns: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"template": message, "message": message},
                       hosts=[], error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], subject: tuple[str, str], logs: list[LogEvidence],
           reads: dict[str, Any] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", topologies=[(_topology(*subject), "E3")],
                 logs=logs, reads={gc.READS: reads} if reads else {})


def _served(objects: dict[tuple[str, str, str], dict[str, Any]]) -> Any:
    """A `call` answering `k8s_get -o yaml` from objects keyed by (kind, namespace, name), like the hub does."""
    seen: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        seen.append(step)
        key = (arguments.get("kind", ""), arguments.get("namespace", ""), arguments.get("name", ""))
        obj = objects.get(key)
        text = yaml.safe_dump(obj) if obj else f"{key} not found"
        return ToolOutcome(f"E{len(seen) + 20}", tool, arguments, obj is not None, text, full_text=text)

    call.seen = seen  # type: ignore[attr-defined]
    return call


def _pod(name: str, ns: str, volumes: list[dict[str, Any]], env: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"volumes": volumes, "containers": [{"name": "app", "image": "app:1", "env": env or []}]}}


# ---- TLS trust: the erroring process's own trust bundle ------------------------------------------------

PKIX = ('I/O error on POST request for "https://bank-gateway.internal/v2/settle": PKIX path building failed: '
        "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to "
        "requested target")
PY_SSL = ("requests.exceptions.SSLError: HTTPSConnectionPool(host='ledger.internal', port=443): Max retries exceeded "
          "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
          "failed: unable to get local issuer certificate (_ssl.c:1006)')))")


def test_a_jvm_truststore_configmap_rewritten_explains_pkix_failures() -> None:
    cm = _change("ConfigMap", "payments", "jvm-cacerts", ["data key cacerts set by kubectl-create"], 40)
    worker = _log("settle-7c9d-k2j4h", "payments", PKIX)
    facts = _facts([cm], ("settle", "payments"), [worker], {"pod_words": ["jvm-cacerts"]})
    [g] = gc.found(facts)
    message = gc.finding(g)["message"]
    assert g.target.name == "jvm-cacerts" and "cacerts rewritten" in message
    assert "mounted or referenced by the erroring pod" in message and "40 min before" in message
    assert "CA bundle" in message and "PKIX" in message
    other = _change("ConfigMap", "payments", "feature-flags", ["data key flags.yaml set by kubectl-edit"], 40)
    assert gc.found(_facts([other], ("settle", "payments"), [worker], {"pod_words": ["jvm-cacerts"]})) == []
    fine = _log("settle-7c9d-k2j4h", "payments", "I/O error on POST: Connection refused")
    assert gc.found(_facts([cm], ("settle", "payments"), [fine], {"pod_words": ["jvm-cacerts"]})) == []


def test_a_python_ca_bundle_secret_rewritten_explains_certificate_verify_failed() -> None:
    secret = _change("Secret", "ledger", "internal-ca", ["data key ca-bundle.crt set by kubectl-apply"], 25)
    client = _log("ledger-sync-5b6f-q1w2e", "ledger", PY_SSL)
    pod = _pod("ledger-sync-5b6f-q1w2e", "ledger", [{"name": "ca", "secret": {"secretName": "internal-ca"}}],
               [{"name": "REQUESTS_CA_BUNDLE", "value": "/etc/ssl/internal/ca-bundle.crt"}])
    facts = _facts([secret], ("ledger-sync", "ledger"), [client])
    call = _served({("Pod", "ledger", "ledger-sync-5b6f-q1w2e"): pod})
    asyncio.run(gc.read(Subject(names=["ledger-sync"]), facts, call))
    [g] = gc.found(facts)
    assert g.target.kind == "Secret" and g.setting.key == "ca-bundle.crt"
    assert "mounted or referenced" in g.how
    elsewhere = _change("Secret", "billing", "billing-ca", ["data key ca-bundle.crt set by kubectl-apply"], 25)
    facts = _facts([elsewhere], ("ledger-sync", "ledger"), [client])
    asyncio.run(gc.read(Subject(names=["ledger-sync"]), facts, _served({("Pod", "ledger", "ledger-sync-5b6f-q1w2e"):
                                                                        pod})))
    assert gc.found(facts) == []  # another namespace's bundle the pod does not mount


# ---- gRPC keepalive: the clients that call the server, or the client's own settings ---------------------

GO_SERVER = "ERROR: [transport] transport: Got too many pings from the client, closing the connection."
JAVA_CLIENT = ("io.grpc.StatusRuntimeException: UNAVAILABLE: Connection closed after GOAWAY. HTTP/2 error code: "
               "ENHANCE_YOUR_CALM, debug data: too_many_pings")


def _client_rollout(value: str, addr: str = "rates-grpc.rates.svc:9090") -> dict[str, Any]:
    lines = [f"engine env GRPC_ARG_KEEPALIVE_TIME_MS (unset) -> GRPC_ARG_KEEPALIVE_TIME_MS='{value}'"]
    return _change("Deployment", "quoting", "engine", lines, 20, "rollout")


def test_a_client_keepalive_cut_in_another_namespace_explains_the_servers_too_many_pings() -> None:
    server = _log("rates-grpc-6d7f-a8s9d", "rates", GO_SERVER)
    client = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "engine", "namespace": "quoting"},
              "spec": {"template": {"spec": {"containers": [{"name": "engine", "env": [
                  {"name": "RATES_ADDR", "value": "rates-grpc.rates.svc:9090"}]}]}}}}
    facts = _facts([_client_rollout("10000")], ("rates-grpc", "rates"), [server])
    asyncio.run(gc.read(Subject(names=["rates-grpc"]), facts, _served({("Deployment", "quoting", "engine"): client})))
    [g] = gc.found(facts)
    message = gc.finding(g)["message"]
    assert "GRPC_ARG_KEEPALIVE_TIME_MS: (unset) -> 10000" in message and "client of rates-grpc" in message
    assert "ENHANCE_YOUR_CALM" in message
    slow = _facts([_client_rollout("600000")], ("rates-grpc", "rates"), [server])  # 10 min: above the minimum
    asyncio.run(gc.read(Subject(names=["rates-grpc"]), slow, _served({("Deployment", "quoting", "engine"): client})))
    assert gc.found(slow) == []
    stranger = {**client, "spec": {"template": {"spec": {"containers": [{"name": "engine", "env": [
        {"name": "FX_ADDR", "value": "fx.fx.svc:9090"}]}]}}}}
    unrelated = _facts([_client_rollout("10000")], ("rates-grpc", "rates"), [server])
    asyncio.run(gc.read(Subject(names=["rates-grpc"]), unrelated,
                        _served({("Deployment", "quoting", "engine"): stranger})))
    assert gc.found(unrelated) == []  # a client of someone else


def test_a_java_clients_own_keepalive_config_explains_its_goaway() -> None:
    old = "grpc:\\n  client:\\n    rates:\\n      keepAliveTime: 300s\\n"
    line = f"data key application.yaml '{old}' -> '{old.replace('300s', '10s')}'"
    cm = _change("ConfigMap", "quoting", "engine-config", [line], 15)
    client = _log("engine-5f6g-h7j8k", "quoting", JAVA_CLIENT)
    facts = _facts([cm], ("engine", "quoting"), [client], {"pod_words": ["engine-config"]})
    [g] = gc.found(facts)
    assert (g.setting.key, g.setting.old, g.setting.new) == ("keepAliveTime", "300s", "10s")
    raised = _change("ConfigMap", "quoting", "engine-config", [line.replace("10s", "T").replace("300s", "10s")
                                                                .replace("T", "600s")], 15)
    assert gc.found(_facts([raised], ("engine", "quoting"), [client], {"pod_words": ["engine-config"]})) == []


# ---- the pooler in between ---------------------------------------------------------------------------

INI = ("[databases]\norders = host=orders-pg.data.svc port=5432\n\n[pgbouncer]\nlisten_port = 6432\n"
       "pool_mode = {mode}\nmax_client_conn = 1000\n{extra}")
PREPARED = 'org.postgresql.util.PSQLException: ERROR: prepared statement "S_1" does not exist'


def _bouncer(mode: str, extra: str = "") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pgbouncer", "namespace": "data"},
            "data": {"pgbouncer.ini": INI.format(mode=mode, extra=extra)}}


def test_pgbouncer_pool_mode_transaction_explains_vanished_prepared_statements() -> None:
    cm = _change("ConfigMap", "data", "pgbouncer", ["data key pgbouncer.ini set by kubectl-edit"], 22)
    api = _log("orders-api-4d5f-g6h7j", "orders", PREPARED)

    def run(obj: dict[str, Any]) -> list[gc.GoverningChange]:
        facts = _facts([cm], ("orders-api", "orders"), [api])
        asyncio.run(gc.read(Subject(names=["orders-api"]), facts, _served({("ConfigMap", "data", "pgbouncer"): obj})))
        return gc.found(facts)

    [g] = run(_bouncer("transaction"))
    assert "pool_mode now transaction" in gc.finding(g)["message"] and g.target.name == "pgbouncer"
    assert run(_bouncer("session")) == []
    assert run(_bouncer("transaction", "max_prepared_statements = 200\n")) == []  # PgBouncer >= 1.21 keeps them


def test_odyssey_pool_switched_to_transaction_explains_duplicate_prepared_statements() -> None:
    conf = 'database default {{\\n  user default {{\\n    pool "{mode}"\\n  }}\\n}}\\n'
    line = f"data key odyssey.conf '{conf.format(mode='session')}' -> '{conf.format(mode='transaction')}'"
    cm = _change("ConfigMap", "data", "odyssey", [line], 12)
    api = _log("orders-api-4d5f-g6h7j", "orders", 'ERROR: prepared statement "S_3" already exists')
    [g] = gc.found(_facts([cm], ("orders-api", "orders"), [api]))
    assert (g.setting.key, g.setting.old, g.setting.new) == ("pool", "session", "transaction")
    back = f"data key odyssey.conf '{conf.format(mode='transaction')}' -> '{conf.format(mode='session')}'"
    assert gc.found(_facts([_change("ConfigMap", "data", "odyssey", [back], 12)], ("orders-api", "orders"),
                           [api])) == []


# ---- the issuer of the certificate the subject serves -------------------------------------------------

def _issuer(kind: str, ns: str, server: str, minutes: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "public", "managedFields": [{
        "manager": "kubectl-edit", "operation": "Update", "time": _stamp(minutes), "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {"f:acme": {"f:server": {}}}}}]}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "cert-manager.io/v1", "kind": kind, "metadata": meta,
            "spec": {"acme": {"server": server, "privateKeySecretRef": {"name": "acme-account"}}}}


def _certificate(kind: str) -> dict[str, Any]:
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "api-example-com", "namespace": "edge"},
            "spec": {"secretName": "api-example-com-tls", "issuerRef": {"kind": kind, "name": "public"}}}


RENEWED = _change("Certificate", "edge", "api-example-com", ["notBefore -> 2026-06-01T09:00:00Z"], 180, "certificate")
STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
PROD = "https://acme-v02.api.letsencrypt.org/directory"


def _issued(kind: str, ns: str, server: str) -> list[gc.GoverningChange]:
    facts = _facts([RENEWED], ("api-gateway", "edge"), [_log("api-gateway-1a2b-c3d4e", "edge", "inbound 3/min")])
    objects = {("Certificate", "edge", "api-example-com"): _certificate(kind),
               (kind, ns, "public"): _issuer(kind, ns, server, 14 * 60)}
    asyncio.run(gc.read(Subject(names=["api-gateway"]), facts, _served(objects)))
    return gc.found(facts)


def test_a_cluster_issuer_pointed_at_acme_staging_explains_the_renewed_untrusted_certificate() -> None:
    [g] = _issued("ClusterIssuer", "", STAGING)
    message = gc.finding(g)["message"]
    assert g.target.kind == "ClusterIssuer" and "acme-staging-v02" in message and "840 min before" in message
    assert "Certificate edge/api-example-com" in message and "untrusted" in message
    assert _issued("ClusterIssuer", "", PROD) == []


def test_a_namespaced_issuer_pointed_at_staging_is_found_and_production_is_not() -> None:
    [g] = _issued("Issuer", "edge", "https://acme.example-ca.net/staging/directory")
    assert (g.target.kind, g.target.namespace) == ("Issuer", "edge")
    assert _issued("Issuer", "edge", "https://acme.example-ca.net/v2/directory") == []
