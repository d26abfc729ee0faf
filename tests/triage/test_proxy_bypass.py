"""agent.triage.proxy_bypass: a proxy env source whose NO_PROXY lost the cluster's names sends in-cluster calls to the
egress proxy, which refuses them.

Shapes: a ConfigMap the caller takes with envFrom, rewritten by kubectl-edit, the caller's Python log saying
`403 Forbidden ... (server=squid)` for a `.svc.cluster.local` host; a Kyverno ClusterPolicy that injects the env
at admission (the pod has it, its ReplicaSet's template has not), seen only in a tinyproxy-style access log of the
proxy (the caller logs a bare 502). Twins: the same ConfigMap write whose NO_PROXY keeps `.svc` (the proxy is not
in the path); a callee's own 403 with no proxy word and nothing in the proxy's log; a pod created before the write;
a source last written a month ago.

The read is gated on the incident's symptom (`refusal_symptom`): each case carries what the survey saw first, the
caller's log with its refusal (as the survey keeps it), or, where that log shows none (round 30: the survey read an
older pod, created before the policy), the timeline's write to the policy. Twins: no refusal, no proxy write, no
words for failing requests: nothing is read.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import proxy_bypass as pb
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
PROXY = "http://egress.net-proxy.svc.cluster.local:3128"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def pod(name: str, ns: str, created: datetime, container: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "creationTimestamp": iso(created),
                                        "ownerReferences": [{"kind": "ReplicaSet", "name": name.rsplit("-", 1)[0],
                                                             "controller": True}]},
            "spec": {"containers": [container]}}


def config_map(no_proxy: str, written: datetime) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "egress-env", "namespace": "orders", "managedFields": [
        {"manager": "kubectl-edit", "operation": "Update", "time": iso(written)}]},
        "data": {"HTTP_PROXY": PROXY, "HTTPS_PROXY": PROXY, "NO_PROXY": no_proxy}}


def cm_hub(no_proxy: str, lines: list[str], written: datetime = AT - timedelta(minutes=40),
           created: datetime = AT - timedelta(minutes=30)) -> RecordingHub:
    caller = pod("checkout-7f9c8d6b5-x2k4q", "orders", created,
                 {"name": "checkout", "envFrom": [{"configMapRef": {"name": "egress-env"}}],
                  "env": [{"name": "INVENTORY_URL", "value": "http://inventory.stock.svc.cluster.local:8080"}]})
    return RecordingHub(objects={("Pod", "orders", caller["metadata"]["name"]): caller,
                                 ("ConfigMap", "orders", "egress-env"): config_map(no_proxy, written)},
                        lists={("Pod", "orders"): [{"name": caller["metadata"]["name"]}]},
                        logs={caller["metadata"]["name"]: lines})


def squid_lines(n: int = 4) -> list[str]:
    return [f"2026-11-20 15:{30 + i}:00,000 ERROR checkout.inventory: reserve failed: 403 Forbidden from "
            f"http://inventory.stock.svc.cluster.local:8080/v1/reserve (server=squid/5.7)" for i in range(n)]


def survey_log(pod: str, ns: str, line: str) -> LogEvidence:
    """The caller's log as the survey keeps it: its first error line (no class: the words alone)."""
    top = {"template": line, "example": line, "severity": "error"} if line else None
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[], error_classes=set(),
                       previous=False)


def run(hub: RecordingHub, namespace: str = "orders", names: list[str] | None = None,
        seen: list[LogEvidence] | None = None, changes: list[dict[str, Any]] | None = None,
        problems: set[str] | None = None) -> Facts:
    """The module's read over the hub; the survey saw `seen` (default: the first pod's first served line)."""
    if seen is None:
        first = hub.lists[("Pod", namespace)][0]["name"]
        seen = [survey_log(first, namespace, hub.logs[first][0])]
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="C1", logs=seen)
    subject = Subject(namespace=namespace, names=names or ["checkout"], problems=problems or set())
    asyncio.run(pb.read(subject, facts, hub, iso(AT)))
    return facts


def test_configmap_envfrom_source_named_from_the_callers_log() -> None:
    facts = run(cm_hub("localhost,127.0.0.1,169.254.169.254", squid_lines()))
    hits = pb.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.namespace, ref.name) == ("ConfigMap", "orders", "egress-env")
    assert "NO_PROXY" in finding["message"][:200] and "inventory.stock.svc.cluster.local" in finding["message"]
    assert "squid" in finding["message"] and "kubectl-edit" in finding["message"]
    assert explained[0].name == "checkout-7f9c8d6b5-x2k4q"


def test_no_proxy_covering_svc_is_not_blamed() -> None:
    facts = run(cm_hub("localhost,127.0.0.1,.svc,.cluster.local", squid_lines()))
    assert pb.found(facts) == []


def test_callees_own_403_without_proxy_words_is_not_blamed() -> None:
    lines = [f"2026-11-20 15:{30 + i}:00,000 ERROR checkout.inventory: reserve failed: 403 Forbidden from "
             f"http://inventory.stock.svc.cluster.local:8080/v1/reserve (token lacks scope)" for i in range(4)]
    facts = run(cm_hub("localhost,127.0.0.1", lines))
    assert pb.found(facts) == []


def test_pod_created_before_the_write_and_old_writes_are_not_blamed() -> None:
    before = run(cm_hub("localhost", squid_lines(), written=AT - timedelta(minutes=20),
                        created=AT - timedelta(minutes=50)))
    assert pb.found(before) == []
    old = run(cm_hub("localhost", squid_lines(), written=AT - timedelta(days=30), created=AT - timedelta(days=2)))
    assert pb.found(old) == []


def policy(no_proxy: str, written: datetime) -> dict[str, Any]:
    return {"kind": "ClusterPolicy", "metadata": {"name": "inject-egress", "managedFields": [
        {"manager": "argocd-controller", "operation": "Update", "time": iso(written)}]},
        "spec": {"rules": [{"name": "env", "mutate": {"patchStrategicMerge": {"spec": {"containers": [
            {"(name)": "*", "env": [{"name": "http_proxy", "value": PROXY},
                                    {"name": "no_proxy", "value": no_proxy}]}]}}}}]}}


def injected_hub(no_proxy: str, proxy_log: list[str]) -> RecordingHub:
    caller = pod("billing-5c6d7f8f9-bcdfg", "billing", AT - timedelta(minutes=15),
                 {"name": "billing", "env": [{"name": "LEDGER_ADDR", "value": "ledger.finance.svc:9000"},
                                             {"name": "http_proxy", "value": PROXY},
                                             {"name": "no_proxy", "value": no_proxy}]})
    replica_set = {"kind": "ReplicaSet", "metadata": {"name": "billing-5c6d7f8f9", "namespace": "billing"},
                   "spec": {"template": {"spec": {"containers": [
                       {"name": "billing", "env": [{"name": "LEDGER_ADDR", "value": "ledger.finance.svc:9000"}]}]}}}}
    caller_log = [f"time=2026-11-20T15:5{i}:00Z level=error msg=\"ledger call failed\" status=502" for i in range(3)]
    return RecordingHub(objects={("Pod", "billing", caller["metadata"]["name"]): caller,
                                 ("ReplicaSet", "billing", "billing-5c6d7f8f9"): replica_set,
                                 ("ClusterPolicy", "", "inject-egress"): policy(no_proxy, AT - timedelta(hours=3))},
                        lists={("Pod", "billing"): [{"name": caller["metadata"]["name"]}],
                               ("Pod", "net-proxy"): [{"name": "egress-6b7c8d9f4-qwxrt"}],
                               ("ClusterPolicy", ""): [{"name": "inject-egress"}]},
                        logs={caller["metadata"]["name"]: caller_log, "egress-6b7c8d9f4-qwxrt": proxy_log})


def test_injected_by_a_mutating_policy_seen_in_the_proxys_own_log() -> None:
    denied = [f"1795708{i}00.000 0 10.244.2.9 TCP_DENIED/403 3900 CONNECT ledger.finance.svc:9000 - HIER_NONE/- "
              "text/html" for i in range(3)]
    facts = run(injected_hub("localhost,127.0.0.1", denied), namespace="billing", names=["billing"])
    hits = pb.found(facts)
    assert len(hits) == 1 and hits[0].injected
    assert (hits[0].source.kind, hits[0].source.name) == ("ClusterPolicy", "inject-egress")
    assert "injects into pods at admission" in pb.finding(hits[0], AT)["message"]


def test_injected_policy_twin_proxy_log_allows_the_host() -> None:
    allowed = ["1795708100.000 5 10.244.2.9 TCP_TUNNEL/200 6120 CONNECT api.vendor.example.com:443 - HIER_DIRECT"]
    facts = run(injected_hub("localhost,127.0.0.1", allowed), namespace="billing", names=["billing"])
    assert pb.found(facts) == []


def test_covers_reads_suffixes_as_clients_do() -> None:
    assert pb.covers(".svc,localhost", "a.b.svc")
    assert pb.covers("svc", "a.b.svc")
    assert pb.covers("cluster.local", "a.b.svc.cluster.local")
    assert not pb.covers(".svc", "a.b.svc.cluster.local")
    assert pb.covers("*", "anything")
    assert not pb.covers("localhost,127.0.0.1", "inventory.stock.svc")


def policy_write(ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "update", "object": {"kind": "ClusterPolicy", "namespace": "",
                                                            "name": "inject-egress"},
            "summary": "ClusterPolicy inject-egress written by argocd-controller", "diff": ["spec.rules = [...]"]}


def test_survey_saw_no_refusal_but_the_timeline_has_the_policy_write() -> None:
    """Round 30's shape: the survey's log of the caller is an older pod's, without errors; the policy's write in the
    timeline is what opens the read, and the module then finds the newer pods' refusals itself."""
    denied = [f"1795708{i}00.000 0 10.244.2.9 TCP_DENIED/403 3900 CONNECT ledger.finance.svc:9000 - HIER_NONE/- "
              "text/html" for i in range(3)]
    hub = injected_hub("localhost,127.0.0.1", denied)
    quiet = [survey_log("billing-5c6d7f8f9-old01", "billing", "")]
    assert run(hub, "billing", ["billing"], seen=quiet).reads.get(pb.STORE) is None and hub.calls == []
    facts = run(hub, "billing", ["billing"], seen=quiet, changes=[policy_write(timedelta(hours=3))])
    [hit] = pb.found(facts)
    assert (hit.source.kind, hit.source.name) == ("ClusterPolicy", "inject-egress")


def test_no_refusal_no_proxy_write_reads_nothing() -> None:
    """An incident whose logs refuse nothing, with no proxy or policy write and no words for failing requests: not a
    call of this module, though its pods carry a proxy env that would be found."""
    oom = survey_log("checkout-7f9c8d6b5-x2k4q", "orders", "java.lang.OutOfMemoryError: Java heap space")
    image = {"at": iso(AT - timedelta(minutes=30)), "type": "update", "summary": "Deployment checkout image bumped",
             "object": {"kind": "Deployment", "namespace": "orders", "name": "checkout"}, "diff": ["image: a -> b"]}
    hub = cm_hub("localhost,127.0.0.1", squid_lines())
    assert pb.found(run(hub, seen=[oom], changes=[image])) == [] and hub.calls == []
    assert pb.found(run(cm_hub("localhost,127.0.0.1", squid_lines()), seen=[oom], problems={"http"}))


def test_refusal_symptom_reads_the_survey_logs_writes_and_words() -> None:
    subject = Subject(namespace="orders")
    bare = Facts(at=AT, changes={"changes": []})
    assert not pb.refusal_symptom(subject, bare)
    assert pb.refusal_symptom(Subject(problems={"ingress"}), bare)
    proxied = {"at": iso(AT - timedelta(hours=30)), "type": "update",
               "summary": "ConfigMap egress-env written by kubectl",
               "object": {"kind": "ConfigMap", "namespace": "orders", "name": "egress-env"},
               "diff": ["data key NO_PROXY set"]}
    assert pb.refusal_symptom(subject, Facts(at=AT, changes={"changes": [proxied]}))
    proxied["at"] = iso(AT - timedelta(hours=50))  # older than the LEAD: it cannot be the write
    assert not pb.refusal_symptom(subject, Facts(at=AT, changes={"changes": [proxied]}))
    classed = LogEvidence(pod="p", namespace="orders", evidence_id="L", top={"example": "upstream said no"}, hosts=[],
                          error_classes={"permission_denied"}, previous=False)
    assert pb.refusal_symptom(subject, Facts(at=AT, logs=[classed]))
    for line in ("GET /v1 -> 407 Proxy Authentication Required", "call failed: connection refused", "x-squid-error"):
        assert pb.refusal_symptom(subject, Facts(at=AT, logs=[survey_log("p", "orders", line)])), line
