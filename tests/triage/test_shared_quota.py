"""agent.triage.shared_quota: a third-party API quota used up by a newcomer that reads the victim's own key.

Shapes: a geocoding backfill Job in another namespace reading a same-named copy of the victim's API-key Secret
(Google `OVER_QUERY_LIMIT` in a JSON field; the Job's own log hits the same quota); a Deployment rolled out in the
victim's namespace that reads the very same Secret and calls an LLM API (`429 Rate limit reached`); a CronJob's run
sharing only the credential env variable name (gRPC `RESOURCE_EXHAUSTED`). Twins: the newcomer started after the
refusals began; it reads another key; the refusal is the API server's own priority-and-fairness 429; an error that
is not a quota at all. Names only: no Secret value is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.shared_quota import STORE, found, refusal, suspects

AT = datetime(2026, 8, 20, 11, 0, tzinfo=UTC)
GOOGLE = "geocode failed: You have exceeded your rate-limit for this API."


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def victim_log(pod: str, ns: str, message: str, first: datetime, fields: dict[str, str] | None = None) -> LogEvidence:
    top = {"message": message, "template": message, "first_seen": iso(first), "severity": "error",
           "error_class": "rate_limited", "fields": fields or {}}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"rate_limited"}, previous=False)


def cred(ns: str, name: str, key: str, env: str) -> dict[str, str]:
    return {"namespace": ns, "name": name, "key": key, "env": env, "via": f"env {env} (key {key})"}


def facts_for(victim_ns: str, victim: str, message: str, fields: dict[str, str] | None, first: datetime,
              newcomer: tuple[str, str, str], change: dict[str, Any], victim_creds: list[dict[str, str]],
              their_creds: list[dict[str, str]], log: str = "") -> Facts:
    kind, ns, name = newcomer
    pod = f"{victim}-7d9c8b6f5d-x2k4q"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [change]}
    facts.logs = [victim_log(pod, victim_ns, message, first, fields)]
    facts.reads[STORE] = {
        "victims": [{"pod": pod, "namespace": victim_ns, "evidence": "P1", "creds": victim_creds}],
        "workloads": [{"kind": kind, "namespace": ns, "name": name, "evidence": ["W1"], "log": log,
                       "creds": their_creds}]}
    return facts


def backfill(started: datetime = AT - timedelta(minutes=45), first: datetime = AT - timedelta(minutes=43),
             key: str = "api-key", secret: str = "maps-api") -> Facts:
    """routing/eta-api refused OVER_QUERY_LIMIT; batch/address-backfill Job started with a copy of its key."""
    change = {"at": iso(started), "type": "job", "object": {"kind": "Job", "namespace": "batch",
                                                            "name": "address-backfill"},
              "summary": f"Job batch/address-backfill started {iso(started)}, running (runs geocode --workers=64)"}
    log = ("2026-08-20T10:16:00Z INFO geocoding 900000 addresses with 64 workers\n"
           "2026-08-20T10:17:00Z WARNING OVER_QUERY_LIMIT on 40 requests in the last minute, retrying\n")
    return facts_for("routing", "eta-api", GOOGLE, {"status": "OVER_QUERY_LIMIT"}, first,
                     ("Job", "batch", "address-backfill"), change,
                     [cred("routing", "maps-api", "api-key", "MAPS_API_KEY")],
                     [cred("batch", secret, key, "GEO_KEY")], log)


def summariser(at: datetime = AT - timedelta(minutes=20)) -> Facts:
    """support/ticket-bot gets 429 from its LLM provider after support/summariser rolled out on the same Secret."""
    change = {"at": iso(at), "type": "rollout", "object": {"kind": "Deployment", "namespace": "support",
                                                           "name": "summariser"},
              "summary": "Deployment support/summariser rolled out revision 1"}
    return facts_for("support", "ticket-bot",
                     "openai.RateLimitError: Error code: 429 - Rate limit reached for requests per min",
                     None, AT - timedelta(minutes=15), ("Deployment", "support", "summariser"), change,
                     [cred("support", "llm-keys", "token", "OPENAI_API_KEY")],
                     [cred("support", "llm-keys", "token", "OPENAI_API_KEY")])


def test_a_backfill_job_on_a_copy_of_the_key_is_named_with_its_own_quota_warning() -> None:
    (n,) = found(backfill())
    assert str(n.workload) == "Job batch/address-backfill" and n.status == "OVER_QUERY_LIMIT"
    _, finding, _, explains = suspects(backfill())[0]
    head = finding["message"][:400]
    for words in ("Job batch/address-backfill started at 10:15", "OVER_QUERY_LIMIT", "API key", "shared quota",
                  "a copy of the Secret routing/maps-api"):
        assert words in head, (words, head)
    assert "OVER_QUERY_LIMIT on 40 requests" in finding["message"] and [str(r) for r in explains] == [
        "routing/eta-api"]


def test_a_rollout_reading_the_very_same_secret_is_named_for_a_429() -> None:
    (n,) = found(summariser())
    assert n.workload.name == "summariser" and "the same Secret support/llm-keys" in n.shared
    assert "429" in suspects(summariser())[0][1]["message"][:300]


def test_the_same_credential_variable_shares_the_budget() -> None:
    change = {"at": iso(AT - timedelta(minutes=30)), "type": "job",
              "object": {"kind": "Job", "namespace": "ops", "name": "reindex-29310"},
              "summary": f"Job ops/reindex-29310 started {iso(AT - timedelta(minutes=30))}, running"}
    facts = facts_for("search", "indexer", "status = StatusCode.RESOURCE_EXHAUSTED details = \"Quota exceeded for "
                      "quota metric 'Requests' of service 'vision.googleapis.com'\"", None, AT - timedelta(minutes=25),
                      ("Job", "ops", "reindex-29310"), change, [cred("search", "gcp-sa", "key.json", "GCP_API_KEY")],
                      [cred("ops", "vision-sa", "key.json", "GCP_API_KEY")])
    (n,) = found(facts)
    assert n.status == "RESOURCE_EXHAUSTED" and "GCP_API_KEY" in n.shared


def egress(their_log: str, hosts: list[str]) -> Facts:
    """search/indexer and a new ops/crawler share no key name; the crawler's own log says how it is refused."""
    change = {"at": iso(AT - timedelta(minutes=50)), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "ops", "name": "crawler"},
              "summary": "Deployment ops/crawler rolled out revision 1"}
    facts = facts_for("search", "indexer", "fetch failed: 429 Too Many Requests", None, AT - timedelta(minutes=45),
                      ("Deployment", "ops", "crawler"), change, [cred("search", "geo-key", "key", "GEO_TOKEN")],
                      [], their_log)
    facts.logs[0].hosts = hosts
    return facts


def test_a_newcomer_refused_by_the_same_host_shares_the_egress_budget() -> None:
    (n,) = found(egress("WARN GET https://api.geo.example.com/v3/lookup -> 429 Too Many Requests",
                        ["api.geo.example.com"]))
    assert n.workload.name == "crawler" and "same cluster egress" in n.shared
    assert "calls the same provider api.geo.example.com" in suspects(egress(
        "WARN GET https://api.geo.example.com/v3/lookup -> 429 Too Many Requests", ["api.geo.example.com"]))[0][1][
        "message"]


def test_a_newcomer_refused_by_another_provider_is_not_named() -> None:
    assert found(egress("WARN GET https://api.other.example.org/x -> 429 Too Many Requests",
                        ["api.geo.example.com"])) == []
    assert found(egress("WARN 429 Too Many Requests", [])) == []
    assert found(egress("WARN POST http://loki.logging.svc.cluster.local/push 429 Too Many Requests",
                        ["loki.logging.svc.cluster.local"])) == []  # an in-cluster receiver's limit
    assert found(egress("INFO crawled 200 pages", ["api.geo.example.com"])) == []


def test_a_newcomer_that_started_after_the_refusals_is_not_named() -> None:
    assert found(backfill(started=AT - timedelta(minutes=30), first=AT - timedelta(minutes=43))) == []


def test_a_newcomer_on_another_key_is_not_named() -> None:
    assert found(backfill(secret="routing-keys")) == []
    assert found(backfill(key="places-key")) == []


def test_inside_the_cluster_limits_and_other_errors_are_not_quota_refusals() -> None:
    apf = LogEvidence(pod="p", namespace="n", evidence_id="L", top={
        "message": "the server has received too many requests and has asked us to try again later (429) "
                   "flowcontrol priority level workload-low", "first_seen": iso(AT)}, hosts=[],
                      error_classes={"rate_limited"}, previous=False)
    assert refusal(apf) is None
    other = LogEvidence(pod="p", namespace="n", evidence_id="L", top={"message": "HTTP 401 Unauthorized",
                                                                      "first_seen": iso(AT)}, hosts=[],
                        error_classes={"auth_failure"}, previous=False)
    assert refusal(other) is None
