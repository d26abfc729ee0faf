"""agent.triage.written_secret_readers: the reader of a freshly written credential Secret gets its log read.

Shapes: an identity provider (Dex) whose LDAP bind password Secret was re-applied, its log refusing the bind
(OpenLDAP's `ldap_bind: Invalid credentials (49)`) while the paging service only says its token call failed; an API
gateway whose upstream key Secret was rewritten, its log answering `401 Unauthorized: invalid api key`. Both logs are
classified by the real log extractor and credential_write sees their refusal. Twins: a written Secret with no
credential key (a CA bundle); a credential Secret written before the window; a reader whose log was already read;
an incident with no error of its own in words (nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.credential_write import refused
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from agent.triage.written_secret_readers import read
from mcp_servers.common.logfacts.extract import extract
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 7, 2, 10, 30, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(ns: str, name: str, key: str, reader: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "other", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} updated by kubectl-client-side-apply: data key {key} set by "
                       f"kubectl-client-side-apply (used by Deployment {ns}/{reader})",
            "related": [{"kind": "Deployment", "namespace": ns, "name": reader}]}


def victim_log() -> LogEvidence:
    return LogEvidence(pod="wiki-web-6f7d8c9b5-p2q4r", namespace="wiki", evidence_id="L0",
                       top={"error_class": "http_5xx", "severity": "error", "first_seen": iso(AT),
                            "example": "token exchange failed: 500 Internal Server Error"},
                       hosts=[], error_classes={"http_5xx"}, previous=False)


def hub_for(ns: str, pod: str, lines: list[str]) -> RecordingHub:
    data = {"pod": pod, "namespace": ns, "facts": extract(lines).model_dump()}
    return RecordingHub(lists={("Pod", ns): [{"name": pod, "status": "Running"},
                                             {"name": "other-7c8d9f6b5-aaaaa", "status": "Running"}]},
                        answers={"k8s_logs": outcome(True, data, "\n".join(lines), "E7")})


def run(facts: Facts, hub: RecordingHub) -> Facts:
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    return facts


def facts_with(*changes: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes={"changes": list(changes)}, changes_id="C1")
    facts.logs.append(victim_log())
    return facts


DEX_LINES = [f"time=\"2026-07-02T10:0{i}:00Z\" level=error msg=\"ldap: initial bind for user "
             f"\\\"cn=dex,ou=svc,dc=corp\\\" failed: LDAP Result Code 49 \\\"Invalid Credentials\\\"\""
             for i in range(3)]
GATEWAY_LINES = [f"2026-07-02T10:0{i}:10Z level=error msg=\"upstream call failed\" status=401 "
                 f"err=\"401 Unauthorized: invalid api key\"" for i in range(3)]


def test_dex_bind_password_reader_is_read_and_its_refusal_seen() -> None:
    facts = facts_with(write("auth", "dex-ldap", "bindPW", "dex", AT - timedelta(minutes=40)))
    hub = hub_for("auth", "dex-5d6f7c8b9-x7w8z", DEX_LINES)
    run(facts, hub)
    assert hub.tools == ["k8s_list", "k8s_logs"] and hub.calls[1][1]["name"] == "dex-5d6f7c8b9-x7w8z"
    assert [log.pod for log in refused(facts)] == ["dex-5d6f7c8b9-x7w8z"]


def test_gateway_upstream_key_reader_is_read() -> None:
    facts = facts_with(write("edge", "partner-upstream", "upstream-api-key", "gateway", AT - timedelta(minutes=15)))
    hub = hub_for("edge", "gateway-7b8c9d6f5-m2n4p", GATEWAY_LINES)
    run(facts, hub)
    assert [log.namespace for log in refused(facts)] == ["edge"]


def test_a_written_ca_bundle_is_no_credential() -> None:
    facts = facts_with(write("auth", "dex-roots", "ca.crt", "dex", AT - timedelta(minutes=40)))
    hub = hub_for("auth", "dex-5d6f7c8b9-x7w8z", DEX_LINES)
    run(facts, hub)
    assert hub.calls == []


def test_a_credential_written_before_the_window_is_not_followed() -> None:
    facts = facts_with(write("auth", "dex-ldap", "bindPW", "dex", AT - timedelta(hours=5)))
    hub = hub_for("auth", "dex-5d6f7c8b9-x7w8z", DEX_LINES)
    run(facts, hub)
    assert hub.calls == []


def test_a_reader_already_read_is_not_read_again() -> None:
    facts = facts_with(write("auth", "dex-ldap", "bindPW", "dex", AT - timedelta(minutes=40)))
    facts.logs.append(LogEvidence(pod="dex-5d6f7c8b9-x7w8z", namespace="auth", evidence_id="L9", top=None,
                                  hosts=[], error_classes=set(), previous=False))
    hub = hub_for("auth", "dex-5d6f7c8b9-x7w8z", DEX_LINES)
    run(facts, hub)
    assert hub.calls == []


def test_an_incident_with_no_error_in_words_reads_nothing() -> None:
    facts = Facts(at=AT, changes={"changes": [write("auth", "dex-ldap", "bindPW", "dex", AT - timedelta(minutes=40))]},
                  changes_id="C1")
    hub = hub_for("auth", "dex-5d6f7c8b9-x7w8z", DEX_LINES)
    run(facts, hub)
    assert hub.calls == []
