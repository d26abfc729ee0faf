"""A key rotation scheduled more often than its consumers refresh: verifiers refuse what the new key signed.

An issuer that rotates its signing key (a JWKS behind an OIDC/JWT issuer, a certificate, an HMAC or token key) is
safe only when every verifier has fetched the new key before the first thing it signs arrives: API gateways and
JWT middlewares cache the JWKS for hours (Envoy `jwt_authn` `cache_duration`, Kong/NGINX plugins, `jwks-rsa`'s
`cacheMaxAge`, a `cache_ttl` of 24h is common) and refetch on an unknown `kid` only when configured to. Rotate
more often than that cache lives (or activate each new key at once, with no pre-publication overlap) and, after
every rotation, tokens carry a `kid` the verifier's cached set lacks: 401 "kid ... not found in JWKS", "no
matching key", "Unable to find a signing key that matches". Nothing in the verifier changed; the schedule did.

So: a consumer on the incident's path prints a key-id miss, and within `LEAD` before its first one a CronJob
that rotates keys (its name, command, args or image say rotate/rekey/keys/jwks/signing/cert) had its
`spec.schedule` written to fire every P, where P is shorter than the consumer's cache lifetime when one is known
(read from the consumer's env or logs: `cache_ttl`, `cache_duration`, `refresh_interval`, `max_age`) and at most
`SHORT` when none is. The finding says what the cadence means against the cache. A schedule written after the
errors began, a CronJob that rotates nothing, a period the cache outlives or a key-id miss with no scheduled
rotation are not named. `read` gets the CronJobs and the consumer's cache setting; `found` is pure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.tightened import _path_texts, magnitude

CHECK = "change.rotation_cadence"
WEIGHT = 0.93
"""A schedule whose period the verifiers' own error and cache lifetime explain: above the victim's own rollout."""
READS = "rotation_cadence"
LEAD = timedelta(hours=48)
SHORT = timedelta(hours=24)
"""With no cache lifetime found, a rotation at least daily: beneath the JWKS caches most verifiers keep."""
SLACK = timedelta(minutes=2)
HISTORY_WINDOW = "48h"
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]

KID_MISS = re.compile(
    r"\bkid\b[^\n]{0,80}?\bnot found|no (?:matching )?(?:signing )?key[^\n]{0,40}?\bkid\b|unknown (?:kid|key id)|"
    r"key ?id [^\n]{0,60}?not (?:found|present)|Unable to find a signing key that matches|no matching JWK|"
    r"kid [^\n]{0,60}?(?:missing|absent) (?:from|in) (?:the )?JWKS|JWK(?:S|Set)? (?:does not|doesn't) contain|"
    r"no public key (?:found )?for kid|could not find (?:a )?key (?:with|for) kid|KeySourceException|"
    r"JWKSNoMatchingKey|SigningKeyNotFound(?:Error|Exception)|"
    r"Jwks doesn't have key to match kid|no matching key\(s\) found|IDX105(?:01|16)\b|Unable to match key:?\s*kid|"
    r"did not match any keys in TokenValidationParameters|failed to find key with key ID|No key found in \S+ with kid",
    re.I)
"""Key-id misses in verifiers' own wordings (golang jwx/keyfunc, jwks-rsa `SigningKeyNotFoundError`, Nimbus
`KeySourceException`/`Signed JWT rejected: Another algorithm expected, or no matching key(s) found`, PyJWT's
`PyJWKClientError: Unable to find a signing key that matches`, jose `JWKSNoMatchingKey`, gateways' 'kid X not
found in JWKS', Envoy's jwt_authn (Istio RequestAuthentication) `Jwks doesn't have key to match kid or alg from Jwt`,
Spring Security's `no matching key(s) found`, .NET's IDX10501/IDX10516 `Unable to match key: kid` and `did not match
any keys in TokenValidationParameters`, lestrrat jwx's `failed to find key with key ID`, auth0 jwks-rsa-java's
`SigningKeyNotFoundException: No key found in ... with kid`). A token with no kid at all (IDX10503 `Token does not
have a kid`) is not a miss of the cache."""
ROTATES = re.compile(r"rotat|rekey|re-key|roll[-_]?keys?|keys?[-_]?roll|jwks?\b|jwk[-_]|signing|sign[-_]?key|"
                     r"keyctl|cert(?:ificate)?s?[-_]renew|renew[-_]cert", re.I)
CACHE_KEY = re.compile(r"(?:jwks?|jwk|keys?|cert\w*)?[-_. ]?(?:cache[-_. ]?(?:ttl|duration|max[-_. ]?age|"
                       r"lifetime|time)|refresh[-_. ]?(?:interval|period)|max[-_. ]?age|cacheMaxAge|ttl)", re.I)
CACHE_IN_TEXT = re.compile(CACHE_KEY.pattern + r"""["']?\s*[=:]\s*["']?(?P<v>\d+(?:\.\d+)?\s*[a-z]*(?:\d+[a-z]+)*)""",
                           re.I)


# ---- cron ---------------------------------------------------------------------------------------------------


def _field(spec: str, low: int, high: int) -> set[int] | None:
    """The values one cron field allows (`*`, `*/N`, `a-b`, `a-b/N`, lists), or None when not understood."""
    out: set[int] = set()
    for part in spec.split(","):
        m = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", part)
        if m is None:
            return None
        step = int(m[2]) if m[2] else 1
        if m[1] == "*":
            a, b = low, high
        elif "-" in m[1]:
            a, b = (int(x) for x in m[1].split("-"))
        else:
            a = int(m[1])
            b = high if m[2] else a
        out.update(range(a, b + 1, step))
    return out


MACROS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
          "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}


def period(schedule: str) -> timedelta | None:
    """The shortest gap between two runs of a five-field cron schedule (or `@every 1h`), or None."""
    text = schedule.strip().strip("'\"")
    if m := re.fullmatch(r"@every\s+(\S+)", text):
        seconds = magnitude(m[1], "time")
        return timedelta(seconds=seconds) if seconds else None
    fields = MACROS.get(text, text).split()
    if len(fields) != 5:
        return None
    parts = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7)),
                                                       strict=True)]
    if any(p is None for p in parts):
        return None
    minutes, hours, days, months, weekdays = (p or set() for p in parts)
    start = datetime(2026, 1, 5)  # a Monday; 62 days cover a monthly schedule's gap
    runs: list[datetime] = []
    for day in range(62):
        d = start + timedelta(days=day)
        if d.month not in months:
            continue
        dom, dow = d.day in days, (d.isoweekday() % 7) in weekdays or (7 in weekdays and d.isoweekday() == 7)
        restricted = fields[2] != "*" and fields[4] != "*"
        if not ((dom or dow) if restricted else (dom and dow)):
            continue
        runs += [d.replace(hour=h, minute=mi) for h in sorted(hours) for mi in sorted(minutes)]
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    return min(gaps) if gaps else None


def _span(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    return f"{s // 3600} h" if s % 3600 == 0 else f"{s // 60} min"


def _text(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s % 86400 == 0:
        return "daily" if s == 86400 else f"every {s // 86400} days"
    if s % 3600 == 0:
        return "hourly" if s == 3600 else f"every {s // 3600} h"
    return f"every {s // 60} min"


# ---- what was found -----------------------------------------------------------------------------------------


@dataclass
class Rotation:
    """A rotation CronJob's schedule written shortly before a consumer's key-id misses."""

    target: Ref
    schedule: str
    every: timedelta
    error: str
    consumer: Ref | None
    cache: timedelta | None
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _misses(facts: Facts) -> list[tuple[str, Ref | None]]:
    return [(t, o) for t, o in _path_texts(facts) if KID_MISS.search(t)]


def _first_miss(facts: Facts) -> datetime | None:
    seen = [t for log in facts.logs for e in [log.top or {}, *log.more, *log.warnings]
            if KID_MISS.search(str(e.get("example") or e.get("message") or e.get("template") or ""))
            and (t := parse_time(e.get("first_seen"))) is not None]
    return min(seen) if seen else None


_SCHEDULE = re.compile(r"spec\.schedule\b.*?(?:\(now '(?P<now>[^']+)'\)|-> '?(?P<new>[^']+)'?$)")


def _schedule_writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, str, str]]:
    """(write, CronJob, new schedule or "", evidence id) of CronJob schedule writes within LEAD."""
    out = []
    for change, evidence, target in facts.writes_to(("CronJob",), within=LEAD):
        lines = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
        if not any("schedule" in line for line in lines):
            continue
        new = next((m["now"] or m["new"] for line in lines if (m := _SCHEDULE.search(line))), "")
        out.append((change, target, str(new or ""), evidence))
    return out


def found(facts: Facts) -> list[Rotation]:
    """Rotation CronJobs whose newly written period is shorter than the consumers' key cache (or SHORT)."""
    misses = _misses(facts)
    store: dict[str, Any] = facts.reads.get(READS) or {}
    if not misses:
        return []
    first = _first_miss(facts)
    cache_s = store.get("cache_seconds")
    cache = timedelta(seconds=float(cache_s)) if cache_s else None
    out: list[Rotation] = []
    for change, target, new, evidence in _schedule_writes(facts):
        at = parse_time(change.get("at"))
        job = (store.get("cronjobs") or {}).get(str(target)) or {}
        schedule = str(job.get("schedule") or new)
        every = period(schedule) if schedule else None
        if at is None or every is None or not ROTATES.search(" ".join([target.name, *job.get("words", [])])):
            continue
        if first is not None and first < at - SLACK:
            continue  # the misses began before the schedule was written
        if every >= (cache or SHORT + timedelta(seconds=1)):
            continue
        if any(r.target == target for r in out):
            continue
        text, owner = misses[0]
        out.append(Rotation(target, schedule, every, text, owner, cache, int((facts.at - at).total_seconds() // 60),
                            [e for e in (evidence, *(job.get("evidence") or []), *(store.get("evidence") or [])) if e]))
    return out


def finding(r: Rotation) -> dict[str, Any]:
    """The cadence against the cache first, then the consumer's own line and the write."""
    cache = (f"the verifiers cache the key set (JWKS) for {_span(r.cache)}"
             if r.cache else "the verifiers cache the key set (JWKS) longer than that")
    who = f" ({r.consumer})" if r.consumer else ""
    message = (f"{r.target} now rotates its signing key {_text(r.every)} (schedule '{r.schedule}', written "
               f"{minutes_text(r.minutes_before)} before the incident): the rotation period is shorter than the key "
               f"cache, {cache}, so after each rotation tokens signed with the new kid are refused until the cached "
               f"JWKS refreshes; the consumer{who} says '{r.error[:160]}'. Restore the rotation schedule (or publish "
               "keys ahead of activation and refetch the JWKS on an unknown kid)")
    return {"check": CHECK, "severity": "critical", "object": {"kind": r.target.kind, "namespace": r.target.namespace,
                                                               "name": r.target.name},
            "reason": "RotationFasterThanCache", "message": message, "evidence": [r.error[:200], r.schedule],
            "details": {"schedule": r.schedule, "period_s": r.every.total_seconds(),
                        "cache_s": r.cache.total_seconds() if r.cache else None}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the CronJob, its finding, evidence ids, the consumer) for `agent.triage.behind`."""
    return [(r.target, finding(r), r.evidence, [r.consumer] if r.consumer else []) for r in found(facts)]


# ---- reading ------------------------------------------------------------------------------------------------


def cache_lifetime(texts: list[str]) -> timedelta | None:
    """The longest key-cache lifetime a consumer's env values or log lines state (`cache_ttl=24h0m0s`)."""
    best: float = 0.0
    for text in texts:
        for m in CACHE_IN_TEXT.finditer(text):
            seconds = magnitude(m["v"].strip(), "time")
            if seconds and seconds > best:
                best = seconds
    return timedelta(seconds=best) if best else None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the path shows a key-id miss: each schedule-written CronJob (its words and schedule) and
    the erroring consumer's key-cache lifetime (its pod env, then its log lines that name a cache)."""
    misses = _misses(facts)
    if not misses:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    if not _schedule_writes(facts) and not any(h.get("window") == HISTORY_WINDOW for h, _ in facts.history):
        # a schedule edited hours ago bites at each run since: look past the survey's 6 h timeline
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-rotation-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    jobs: dict[str, Any] = store.setdefault("cronjobs", {})
    for _, target, _, _ in _schedule_writes(facts)[:MAX_READS]:
        if str(target) in jobs:
            continue
        got = await get_yaml(call, "CronJob", target.name, target.namespace, f"survey-rotation-{target.name}")
        if got is None:
            continue
        spec = got[0].get("spec") or {}
        pod = ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {})
        words = [str(w) for c in pod.get("containers") or [] if isinstance(c, dict)
                 for w in [c.get("image") or "", *(c.get("command") or []), *(c.get("args") or [])]]
        jobs[str(target)] = {"schedule": str(spec.get("schedule") or ""), "words": words, "evidence": [got[1]]}
    owner = next((o for _, o in misses if o is not None and o.kind == "Pod"), None) or next(
        (Ref("Pod", log.namespace, log.pod) for log in facts.logs if log.pod and any(
            KID_MISS.search(str(e.get("example") or e.get("message") or e.get("template") or ""))
            for e in [log.top or {}, *log.more, *log.warnings])), None)
    if owner is None or "cache_seconds" in store or not any(jobs.values()):
        return
    texts: list[str] = []
    got = await get_yaml(call, "Pod", owner.name, owner.namespace, "survey-rotation-consumer")
    if got is not None:
        for c in ((got[0].get("spec") or {}).get("containers") or []):
            for e in c.get("env") or [] if isinstance(c, dict) else []:
                if isinstance(e, dict) and CACHE_KEY.search(str(e.get("name") or "")):
                    texts.append(f"{e.get('name')}={e.get('value')}")
            texts += [str(a) for a in (c.get("args") or []) if isinstance(c, dict)]
        store.setdefault("evidence", []).append(got[1])
    for word in ("cache", "ttl", "refresh"):
        logs = await call("k8s_logs", {"name": owner.name, "namespace": owner.namespace, "grep": word, "tail": 10000},
                          f"survey-rotation-consumer-log-{word}")
        if logs is not None and logs.ok:
            texts += str(logs.full_text or logs.text).splitlines()[:200]
            store.setdefault("evidence", []).append(logs.evidence_id)
        if cache_lifetime(texts):
            break
    lifetime = cache_lifetime(texts)
    store["cache_seconds"] = lifetime.total_seconds() if lifetime else 0
