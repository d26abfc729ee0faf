"""A node whose clock is wrong is blamed for the time checks its pods fail, not the issuer or the keys.

The log lines are the libraries' own wording: golang-jwt v5 ("token has invalid claims: token used
before issued"), PyJWT ("ImmatureSignatureError: The token is not yet valid (iat)"), Go's crypto/x509
("certificate has expired or is not yet valid: current time ... is before ..."), the AWS SDKs
("RequestTimeTooSkewed: The difference between the request time and the current time is too large"),
and jsonwebtoken's expiry ("TokenExpiredError: jwt expired"), which is not a clock error. The gauges
are node_exporter's timex collector as Prometheus answers an instant query (prom_query's samples).
"""

from __future__ import annotations

from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.clock import CHECK, clock_line
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import AT, alert

API = {"kind": "Deployment", "namespace": "accounts", "name": "profile-api"}
PODS = {"profile-api-6d9f7c8b5-x2k8p": "node-a", "profile-api-6d9f7c8b5-q7wzm": "node-b",
        "profile-api-6d9f7c8b5-h4n9t": "node-c"}


def log(pod: str, message: str, *, severity: str = "warning", error_class: str | None = None) -> LogEvidence:
    top = {"template": message, "example": message, "count": 120, "severity": severity,
           "error_class": error_class, "message": message, "fields": {}}
    return LogEvidence(pod=pod, namespace="accounts", evidence_id=f"E{len(pod) % 7 + 4}", top=top, hosts=[],
                       error_classes={error_class} if error_class else set(), previous=False)


def quiet(pod: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="accounts", evidence_id="E8", top=None, hosts=[], error_classes=set(),
                       previous=False)


def gauges(node: str, offset: float, synced: int) -> tuple[dict[str, Any], str]:
    def sample(name: str, value: float) -> dict[str, Any]:
        labels = {"__name__": name, "job": "node-exporter", "instance": "10.0.2.12:9100", "node": node}
        return {"labels": labels, "series": name, "value": value, "raw": str(value)}
    healthy = {"labels": {"__name__": "node_timex_offset_seconds", "instance": "10.0.1.11:9100", "node": "node-a"},
               "series": "", "value": 0.0002, "raw": "0.0002"}
    return {"query": "node_timex", "samples": [sample("node_timex_offset_seconds", offset),
                                               sample("node_timex_sync_status", synced), healthy]}, "E5"


def facts_with(logs: list[LogEvidence], metrics: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, logs=logs, metrics=metrics or [])
    facts.topologies.append(({"subject": API, "pods": [
        {"name": name, "namespace": "accounts", "node": node, "phase": "Running", "ready": True}
        for name, node in PODS.items()], "dependencies": []}, "E3"))
    return facts


GO_JWT = ('{"level":"warn","msg":"rejecting bearer token","error":"token has invalid claims: token used before '
          'issued","path":"/v1/profile"}')
PYJWT = "jwt.exceptions.ImmatureSignatureError: The token is not yet valid (iat)"


def test_time_check_errors_on_one_nodes_pods_blame_the_node() -> None:
    facts = facts_with([log("profile-api-6d9f7c8b5-q7wzm", GO_JWT), quiet("profile-api-6d9f7c8b5-x2k8p"),
                        quiet("profile-api-6d9f7c8b5-h4n9t")])
    [top, *_] = rank(subject_of(alert(alertname="HighUnauthorizedRate", namespace="accounts",
                                      deployment="profile-api")), facts)
    assert top.check == CHECK and top.ref is not None and top.ref.kind == "Node" and top.ref.name == "node-b"
    assert "token used before issued" in top.cause and "profile-api-6d9f7c8b5-q7wzm" in top.cause
    assert "2 of the same workload on other nodes do not" in top.cause


def test_the_gauges_give_the_offset_and_a_chat_question_finds_it() -> None:
    facts = facts_with([log("profile-api-6d9f7c8b5-q7wzm", PYJWT, severity="error")],
                       metrics=[gauges("node-b", -3.5, 0)])
    question = from_text("users of profile-api get logged out at random, about a third of calls are 401")
    [top, *_] = rank(subject_of(question), facts)
    assert top.ref is not None and top.ref.name == "node-b"
    assert "3.5 s behind" in top.cause and "node_timex_sync_status 0" in top.cause and "E5" in top.evidence


def test_other_wordings_of_a_wrong_clock_are_recognised() -> None:
    x509 = ("Get \"https://vault.secrets.svc:8200/v1/auth\": tls: failed to verify certificate: x509: certificate "
            "has expired or is not yet valid: current time 2026-05-01T11:58:10Z is before 2026-05-01T11:59:02Z")
    aws = ("An error occurred (RequestTimeTooSkewed) when calling the PutObject operation: The difference between "
           "the request time and the current time is too large.")
    chrony = "chronyd[612]: System clock wrong by -41.203 seconds"
    for line in (x509, aws, chrony, PYJWT, GO_JWT, "IDX10222: Lifetime validation failed. The token is not yet valid."):
        assert clock_line(log("p", line)), line
    for line in ("TokenExpiredError: jwt expired", "x509: certificate signed by unknown authority",
                 "invalid token: signature is invalid"):
        assert not clock_line(log("p", line)), line


def test_no_node_is_blamed_without_a_clock_signal_that_points_at_one() -> None:
    incident = subject_of(alert(alertname="HighUnauthorizedRate", namespace="accounts", deployment="profile-api"))
    expired = facts_with([log("profile-api-6d9f7c8b5-q7wzm", "TokenExpiredError: jwt expired",
                              error_class="auth_failure"), quiet("profile-api-6d9f7c8b5-x2k8p")])
    assert all(c.check != CHECK for c in rank(incident, expired))
    everywhere = facts_with([log(p, GO_JWT) for p in PODS])  # every node alike: the issuer's clock, not a node's
    assert all(c.check != CHECK for c in rank(incident, everywhere))
    elsewhere = facts_with([quiet("profile-api-6d9f7c8b5-x2k8p")], metrics=[gauges("node-z", 12.0, 0)])
    assert all(c.check != CHECK for c in rank(incident, elsewhere))


def test_a_drifting_node_without_failing_time_checks_is_listed_below_what_the_incident_shows() -> None:
    from agent.triage.clock import DRIFT
    from tests.triage.test_rank import finding
    incident = subject_of(alert(alertname="KubePodCrashLooping", namespace="accounts", deployment="profile-api"))
    alone = facts_with([quiet("profile-api-6d9f7c8b5-x2k8p")], metrics=[gauges("node-b", 2.5, 0)])
    [top, *_] = rank(incident, alone)
    assert top.check == DRIFT and top.ref is not None and top.ref.name == "node-b" and "2.5 s ahead of" in top.cause
    crash = facts_with([quiet("profile-api-6d9f7c8b5-x2k8p")], metrics=[gauges("node-b", 2.5, 0)])
    crash.scan = {"findings": [finding("pod.crashloop", "Pod", "accounts", "profile-api-6d9f7c8b5-x2k8p",
                                       "Deployment accounts/profile-api: 1/3 pods CrashLoopBackOff (exit 1)",
                                       owner=API, pods=["profile-api-6d9f7c8b5-x2k8p"])]}
    ranked = rank(incident, crash)
    assert ranked[0].check == "pod.crashloop" and any(c.check == DRIFT for c in ranked[1:])
