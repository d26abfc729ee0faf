"""A per-client quota or rate limit on a shared broker or gateway written down, and the client now throttled.

A shared broker or gateway meters each client against a quota of its own: Kafka's per-user quotas (Strimzi
`KafkaUser.spec.quotas`: `producerByteRate`, `consumerByteRate` in bytes/s, `requestPercentage` of broker
threads; `kafka-configs --alter --entity-type users`), an API gateway's per-consumer rate limit (Kong's
`rate-limiting` plugin `config.second/minute/hour`, Envoy Gateway's `BackendTrafficPolicy.rateLimit`
`requests`/`unit`, Envoy's local rate limit `tokens_per_fill`/`max_tokens`). Cut it and nothing fails loudly:
a Kafka broker answers every produce request with a throttle time and mutes the connection that long, so the
producer's buffer fills, sends take seconds and batches expire (`Expiring N record(s) for TOPIC-P: ... ms has
passed since batch creation`); a gateway answers 429. The client's error blames the broker or the network; the
cause is the quota object, usually in the broker's or gateway's namespace, written by GitOps or a copy of
another environment's values.

So: a write within `LEAD` to a quota object (its kind a per-client quota holder, or its diff naming a quota
key), followed on a client by throttling: the client's own throttle-time gauge (`kafka_producer_produce_
throttle_time_avg|max`, `kafka_consumer_fetch_manager_fetch_throttle_time_avg`) above `THROTTLE_MS` now while it
was under it before the write, or, where no gauge is exported, the client's log saying it was throttled in the
software's words (the expiry above, `429 Too Many Requests`, `API rate limit exceeded`, `local_rate_limited`).
A client whose throttling predates the write, a quota write with no throttled client, or a quota RAISED (the
write's values above the old ones, where the timeline shows both) is not named. `read` reads the gauges; `found`
is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.client_quota"
WEIGHT = 0.93
"""A quota write whose client's own throttle gauge or words confirm it, from the write on: above the client's
failing line (which blames the broker) and a bare write."""
READS = "client_quota"
LEAD = timedelta(hours=24)
THROTTLE_MS = 100.0
"""A throttle time this long per request is the broker enforcing a quota (an idle quota reads 0)."""
HOLDERS = ("KafkaUser", "KongPlugin", "KongClusterPlugin", "BackendTrafficPolicy", "RateLimitPolicy",
           "EnvoyFilter", "Middleware", "Ingress")
"""Kinds whose writes can set a per-client quota or rate limit (Traefik's Middleware `spec.rateLimit`; an
Ingress only through a rate-limit annotation, which QUOTA_KEYS must find in its diff)."""
QUOTA_KEYS = re.compile(r"producerByteRate|consumerByteRate|requestPercentage|producer_byte_rate|"
                        r"consumer_byte_rate|request_percentage|\bquotas?\b|rateLimit|rate[-_]limit|"
                        r"requests_per_unit|tokens_per_fill|max_tokens|config\.(?:second|minute|hour)\b|"
                        # ingress-nginx (limit-rps/rpm/connections), HAProxy ingress (rate-limit-requests)
                        r"\blimit-(?:rps|rpm|connections)\b|rate-limit-requests", re.I)
GAUGES = ("kafka_producer_produce_throttle_time_avg", "kafka_producer_produce_throttle_time_max",
          "kafka_consumer_fetch_manager_fetch_throttle_time_avg", "kafka_consumer_fetch_throttle_time_avg")
WORDS = re.compile(r"Expiring \d+ record\(s\)|throttl(?:ed|ing) (?:by|due to) (?:the )?(?:broker|quota)|"
                   r"429 Too Many Requests|\bToo Many Requests\b|API rate limit exceeded|rate limit exceeded|"
                   r"local_rate_limited|"
                   # nginx / ingress-nginx limit_req and limit_conn refusals, in the controller's error log
                   r"limiting (?:requests|connections)[^\n]{0,40}by zone", re.I)
MEANS = {"KafkaUser": "the brokers now throttle that user's requests (each answer carries a throttle time and the "
                      "connection is muted that long), so its producer's buffer fills, sends take seconds and "
                      "batches expire",
         "Ingress": "the ingress controller now refuses that client's requests above the new rate (ingress-nginx's "
                    "limit_req answers 503 by default, limit-req-status-code; HAProxy's rate-limit-requests 403)",
         "": "the gateway now rejects that client's requests above the new rate with 429"}


@dataclass
class Throttled:
    """A quota write and the client throttled after it."""

    holder: Ref
    change: dict[str, Any]
    client: str
    """namespace/workload of the throttled client."""
    how: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def quota_writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, str]]:
    """(write, object, evidence) of writes within LEAD to a quota holder that touch a quota key."""
    out = []
    for change, evidence, ref in facts.writes_to(None, within=LEAD):
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        keyed = QUOTA_KEYS.search(text)
        if keyed and (ref.kind in HOLDERS or (ref.kind == "ConfigMap" and "quota" not in keyed.group(0).lower())) \
                and not _raised(text):
            out.append((change, ref, evidence))
    return out


def _raised(text: str) -> bool:
    """Whether every `old -> new` number pair of the write's text goes up (a quota raised is no cut)."""
    pairs = [(float(a), float(b)) for a, b in re.findall(r"(\d+(?:\.\d+)?)\s*->\s*(\d+(?:\.\d+)?)", text)]
    return bool(pairs) and all(b > a for a, b in pairs)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a quota write is in the window: the clients' throttle-time gauges now and just before
    the earliest such write."""
    writes = quota_writes(facts)
    if not writes:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"now": {}, "before": {}, "evidence": []})
    first = min(parse_time(c.get("at")) or facts.at for c, _, _ in writes)
    query = f'max by (namespace, pod) ({{__name__=~"{"|".join(GAUGES)}"}})'
    for key, moment in (("now", at), ("before", (first - timedelta(minutes=2)).isoformat().replace("+00:00", "Z"))):
        got = await call("prom_query", {"query": query, "time": moment}, f"survey-client-quota-{key}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            continue
        for s in got.data.get("samples") or []:
            labels = s.get("labels") or {} if isinstance(s, dict) else {}
            if isinstance(s, dict) and isinstance(s.get("value"), int | float) and labels.get("pod"):
                client = f"{labels.get('namespace') or ''}/{workload_of_pod(str(labels['pod']))}"
                store[key][client] = max(float(s["value"]), store[key].get(client, 0.0))
        store["evidence"].append(got.evidence_id)


def _said(facts: Facts) -> list[tuple[str, str, str]]:
    """(client, line, evidence) of logs the survey read whose entries say the client was throttled."""
    out = []
    for log in facts.logs:
        for entry in log.entries():
            line = said_by(entry)
            said = WORDS.search(line)
            if said:  # quoted from its refusal words when a long prefix (timestamp, worker ids) comes first
                out.append((f"{log.namespace}/{workload_of_pod(log.pod)}",
                            line[said.start():] if said.start() > 60 else line, log.evidence_id))
                break
    return out


def found(facts: Facts) -> list[Throttled]:
    """Quota writes followed by a client throttled (gauge up from under THROTTLE_MS, else the client's words)."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Throttled] = []
    for change, ref, evidence in quota_writes(facts):
        at = parse_time(change.get("at"))
        if at is None or any(t.holder == ref for t in out):
            continue
        now, before = store.get("now") or {}, store.get("before") or {}
        gauged = sorted(((v, c) for c, v in now.items() if v >= THROTTLE_MS), reverse=True)
        fresh = [(v, c) for v, c in gauged if before.get(c, 0.0) < THROTTLE_MS]
        minutes = int((facts.at - at).total_seconds() // 60)
        if fresh:
            v, client = fresh[0]
            how = (f"{client}'s produce/fetch throttle time is {v:.0f} ms per request (was "
                   f"{before.get(client, 0.0):.0f} ms before the write)")
            out.append(Throttled(ref, change, client, how, minutes,
                                 [e for e in (evidence, *store.get("evidence", [])) if e]))
            continue
        if gauged:
            continue  # throttled before the write too: not what this write did
        said = _said(facts)
        if said:
            client, line, log_id = said[0]
            out.append(Throttled(ref, change, client, f"{client} logs '{line[:160]}'", minutes,
                                 [e for e in (evidence, log_id) if e]))
    return out


def finding(t: Throttled) -> dict[str, Any]:
    """What the quota write means for its client first, then the throttle evidence, then the write."""
    diff = "; ".join(str(d) for d in t.change.get("diff") or [])[:180]
    means = MEANS.get(t.holder.kind, MEANS[""])
    message = (f"{t.holder} cut a per-client quota ({diff}), {minutes_text(t.minutes_before)} before the "
               f"incident: {means}. {t.how}. Restore the previous quota (throttle evidence: the client's own, "
               f"not the broker's health)")
    return {"check": CHECK, "severity": "critical", "object": t.change.get("object"), "reason": "QuotaThrottles",
            "message": message, "evidence": [t.how[:200]],
            "details": {"client": t.client, "holder": str(t.holder)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the quota holder, its finding, evidence ids, the throttled client) for `agent.triage.behind`."""
    out = []
    for t in found(facts):
        ns, _, name = t.client.partition("/")
        out.append((t.holder, finding(t), t.evidence, [Ref("Deployment", ns, name)]))
    return out
