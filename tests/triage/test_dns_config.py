"""A write to the cluster DNS configuration before the subject's names stopped resolving
(agent.triage.dns_config). Changes are in `k8s_changes`' shape; the log lines are the resolver errors
as Go's net package, Java and Node.js print them; the Corefile is in CoreDNS's own syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import dns_config, related_changes
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
COREFILE = (".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n    }\n"
            "    forward . /etc/resolv.conf\n}\n"
            "bank.example.net:53 {\n    cache 30\n    forward . 10.9.0.2 10.9.0.3\n}\n")


def _change(name: str, minutes: int, key: str = "Corefile", user: str = "coredns") -> dict:
    return {"at": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
            "object": {"kind": "ConfigMap", "namespace": "kube-system", "name": name},
            "summary": f"ConfigMap kube-system/{name} updated by kubectl-edit: data key {key} set",
            "diff": [f"data key {key} set by kubectl-edit"],
            "related": [{"kind": "Deployment", "namespace": "kube-system", "name": user}]}


def _facts(message: str, changes: list[dict], objects: list | None = None) -> Facts:
    log = LogEvidence(pod="payments-7d9-abcde", namespace="pay", evidence_id="ev-log", top={"message": message},
                      hosts=[], error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": changes}, changes_id="ev-ch", logs=[log], objects=objects or [])


def test_go_lookup_failure_after_a_corefile_edit_quotes_the_stub_block() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
          "data": {"Corefile": COREFILE}}
    facts = _facts("dial tcp: lookup sftp.bank.example.net on 10.96.0.10:53: no such host",
                   [_change("coredns", 30)], [(cm, "ev-cm")])
    found = related_changes.related(facts)
    assert [str(f.target) for f in found] == ["ConfigMap kube-system/coredns"]
    f = related_changes.finding(found[0])
    assert f["check"] == related_changes.CHECK
    assert "bank.example.net:53 { forward . 10.9.0.2 10.9.0.3 }" in f["message"]
    assert "sftp.bank.example.net" in f["message"]


def test_java_unknown_host_after_a_dns_workloads_config_without_the_object() -> None:
    facts = _facts("java.net.UnknownHostException: ledger.internal.example: Name or service not known",
                   [_change("node-local-dns", 45, key="Corefile.base", user="node-local-dns")])
    found = dns_config.changes(facts)
    assert len(found) == 1 and found[0].host == "ledger.internal.example" and found[0].block == ""


def test_no_dns_error_or_an_old_or_unrelated_edit_is_no_suspect() -> None:
    assert dns_config.changes(_facts("connection refused", [_change("coredns", 30)])) == []
    node = "getaddrinfo EAI_AGAIN api.partner.example"
    assert dns_config.changes(_facts(node, [_change("coredns", 60 * 8)])) == []
    assert dns_config.changes(_facts(node, [_change("app-settings", 10, key="settings.yaml", user="web")])) == []
    assert dns_config.changes(_facts(node, [_change("coredns", 10)]))[0].host == "api.partner.example"
