"""A short-lived credential obtained ONCE at startup: auth refusals begin a fixed lifetime after each pod start.

Token-based authentication swaps a static password for a credential that expires: an RDS IAM database auth token
(valid 15 minutes), a Cloud SQL IAM or Google OAuth access token (1 hour), an STS AssumeRole session (1 hour by
default), an Azure AD token (60-90 minutes), a projected ServiceAccount token read once (1 hour). A client that
generates it once when the process starts, instead of per connection (a pool's `do_connect` hook, the
connector's IAM mode, the SDK's refreshing provider), works for exactly that lifetime: existing pooled
connections keep working, and every new one is refused from then on, in the server's words (PostgreSQL `PAM
authentication failed` for an IAM user, MySQL `Access denied for user`, AWS `ExpiredToken` / `The security token
included in the request is expired`, a 401 `token expired`).

The evidence is time, not wording: the first refusal in each pod comes one lifetime (within a margin) after that
pod's container started, and something says the workload authenticates with such a token (its spec's env or
args name IAM/token auth, its own startup line says it generated a token, or its latest revision's diff switched
to it). The suspect is the workload, through the revision that introduced the token auth when the timeline holds
one. Twins: refusals from the first minute (a wrong credential, not an expiry), refusals at a time matching no
lifetime, a password-authenticated workload. `read` (reading only) fetches the refused pods (start time, env
values; Secrets by name only) and greps their logs for a token line; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "workload.token_once_expired"
WEIGHT = 0.93
"""The revision that made the workload authenticate with a token it never refreshes: above the refusals (the
symptom) and a neighbour's rollout in the same window."""
STORE = "token_lifetime"
MAX_PODS = 3
LOG_TAIL = 5000

Call = Callable[..., Awaitable[Any]]

REFUSED = re.compile(r"PAM authentication failed|password authentication failed|Access denied for user|"
                     r"ExpiredToken|security token included in the request is expired|token (?:has |is )?expired|"
                     r"expired token|Login failed for user|invalid_token|\b401\b[^\n]{0,60}(?:expired|token)|"
                     r"authentication failed|ExpiredAuthenticationToken|Lifetime validation failed|jwt expired|"
                     r"invalid authentication credentials|AuthenticationFailed|Unauthenticated[^\n]{0,80}expired",
                     re.I)
"""A server refusing a credential, in the words an expired token meets: AWS `ExpiredToken`, Azure Resource
Manager's `ExpiredAuthenticationToken`, Azure Storage's and Microsoft.IdentityModel's `Lifetime validation failed.
The token is expired`, Google's `Request had invalid authentication credentials` (401 UNAUTHENTICATED), Node's
`jwt expired`, SQL Server's `Login failed for user '<token-identified principal>'`."""

LIFETIMES: tuple[tuple[re.Pattern[str], int, int, str], ...] = (
    (re.compile(r"rds[^\n]{0,40}iam|iam[^\n]{0,40}(?:rds|db|database)|generate_db_auth_token|rds-db:connect|"
                r"DB_AUTH_MODE\W{0,4}iam|(?:db|database)[_ -]?auth[^\n]{0,20}iam", re.I),
     15, 15, "an RDS IAM auth token"),
    (re.compile(r"cloud ?sql[^\n]{0,40}iam|auto-iam-authn|enable_iam_auth", re.I), 60, 60, "a Cloud SQL IAM token"),
    (re.compile(r"assume[_ -]?role|sts[^\n]{0,20}session|AWS_ROLE_ARN", re.I), 60, 60, "an STS session"),
    (re.compile(r"azure[^\n]{0,20}(?:ad|entra)|\bentra\b|\baad\b|login\.microsoftonline|managed[_ -]?identity|"
                r"DefaultAzureCredential|ManagedIdentityCredential|database\.windows\.net|management\.azure\.com|"
                r"AZURE_(?:CLIENT_ID|FEDERATED_TOKEN_FILE)", re.I), 60, 90, "an Azure AD (Entra ID) access token"),
    (re.compile(r"access[_ -]?token|oauth|bearer", re.I), 60, 60, "an access token"),
)
"""(what says the workload authenticates with it, its shortest and longest lifetime in minutes, its name in
words). Azure AD gives access tokens a random lifetime between 60 and 90 minutes; the others are fixed."""
STATED = re.compile(r"\b(?:expires_in|expiresIn|expires in|lease_duration|leaseDuration|ttl)\b\W{0,4}(\d+)\s*"
                    r"(ms|s|m|h|sec\w*|min\w*|hours?)?", re.I)
"""A token line that states the lifetime it was issued with (OAuth's `"expires_in": 3599`, Vault's
`lease_duration=1800`, `ttl=30m`): read in seconds unless a unit says otherwise. It wins over the table."""
TOKEN_LINE = re.compile(r"(?:generat|obtain|fetch|creat|got|issu|request|acquir)\w*[^\n]{0,40}\btoken\b", re.I)
MARGIN = (0.85, 1.25)
"""How far from one lifetime after the start a first refusal may lie (clocks, the pool's next new connection)."""
EARLY = timedelta(minutes=3)
"""Refusals this soon after start are a wrong credential, never an expiry."""


@dataclass
class Expired:
    """A workload whose refusals began one token lifetime after its pods started."""

    workload: Ref
    pod: str
    started: datetime
    first: datetime
    lifetime: int
    token: str
    said: str
    why: str
    """What says it uses such a token (`env DB_AUTH_MODE = iam`, its startup line)."""
    revision: dict[str, Any] | None
    evidence: list[str]
    longest: int = 0
    """The longest lifetime such a token may be given (Azure AD's 90 of 60-90 minutes); 0: fixed."""


def refusal(log: LogEvidence) -> tuple[str, datetime | None]:
    """The credential refusal in a pod's errors and when it was first seen."""
    hits = [e for e in [log.top or {}, *log.more] if REFUSED.search(_words(e))]
    first = min((t for t in (parse_time(e.get("first_seen")) for e in hits) if t is not None), default=None)
    said = next((str(hits[0].get(k)) for k in ("message", "example", "template")
                 if hits and REFUSED.search(str(hits[0].get(k) or ""))), "")
    return said, first


def _words(entry: dict[str, Any]) -> str:
    """Every wording of one log error: a long example line may be cut before the refusal its message holds."""
    return " ".join([said_by(entry), *(str(entry.get(k) or "") for k in ("message", "template"))])


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _started(pod: dict[str, Any]) -> str | None:
    """When the pod's (first) container last started running."""
    for c in (pod.get("status") or {}).get("containerStatuses") or []:
        running = ((c or {}).get("state") or {}).get("running") or {}
        if running.get("startedAt"):
            return str(running["startedAt"])
    return str((pod.get("status") or {}).get("startTime") or "") or None


def _env(pod: dict[str, Any]) -> list[str]:
    """`NAME = value` of each plain env value and the args lines (Secret references are never read)."""
    out: list[str] = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        out += [f"env {e.get('name')} = {e.get('value')}" for e in (c or {}).get("env") or []
                if isinstance(e, dict) and e.get("value")]
        line = " ".join(str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])])
        if line:
            out.append(f"args {line}")
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when pods' errors are credential refusals: each refused pod's start and env, and its log's
    token lines."""
    del subject, at
    store = _store(facts)
    refused = [lg for lg in facts.logs if lg.pod and refusal(lg)[0]]
    if "pods" in store or not refused:
        return
    store["pods"] = {}
    for log in refused[:MAX_PODS]:
        entry: dict[str, Any] = {"started": None, "env": [], "lines": [], "evidence": []}
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-token-lifetime-pod-{log.pod}")
        if got is not None:
            entry.update(started=_started(got[0]), env=_env(got[0]))
            entry["evidence"].append(got[1])
        lines = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": LOG_TAIL,
                                        "grep": "token"}, f"survey-token-lifetime-log-{log.pod}")
        if lines is not None and lines.ok:
            hits = [ln for ln in str(lines.full_text or "").splitlines() if TOKEN_LINE.search(ln)]
            if hits:
                entry["lines"] = [h[:300] for h in hits[:3]]
                entry["evidence"].append(lines.evidence_id)
        store["pods"][log.pod] = entry


def _revision(facts: Facts, workload: Ref, before: datetime) -> dict[str, Any] | None:
    """The workload's latest rollout before its pods started whose diff names the token auth."""
    best: dict[str, Any] | None = None
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or change.get("type") != "rollout" or at > before + timedelta(minutes=2):
            continue
        if target.namespace == workload.namespace and target.name == workload.name \
                and (best is None or str(change.get("at")) > str(best.get("at"))):
            best = change
    return best


def stated_minutes(text: str) -> float | None:
    """The lifetime a token line states it was issued with, in minutes (`"expires_in": 3599` -> 60)."""
    m = STATED.search(text)
    if m is None or int(m.group(1)) <= 0:
        return None
    unit = (m.group(2) or "s").lower()
    seconds = {"ms": 0.001, "m": 60.0, "h": 3600.0}.get(unit, 60.0 if unit.startswith("min") else
                                                          3600.0 if unit.startswith("hour") else 1.0)
    minutes = int(m.group(1)) * seconds / 60
    return minutes if minutes >= 5 else None


def _lifetimes(places: list[str]) -> list[tuple[re.Pattern[str], int, int, str]]:
    """The table, after a lifetime one of the token's own lines states (the issuer's word beats the default)."""
    for place in places:
        if TOKEN_LINE.search(place) or re.search(r"\btoken\b", place, re.I):
            minutes = stated_minutes(place)
            if minutes is not None:
                pattern = re.compile(re.escape(place[:200]))
                return [(pattern, round(minutes), round(minutes), "a token issued for a stated lifetime"),
                        *LIFETIMES]
    return list(LIFETIMES)


def found(facts: Facts) -> list[Expired]:
    """Per refused workload, the token lifetime its first refusal lands on after its pod's start."""
    pods = _store(facts).get("pods") or {}
    out: list[Expired] = []
    for log in facts.logs:
        said, first = refusal(log)
        entry = pods.get(log.pod) or {}
        started = parse_time(entry.get("started"))
        if not said or first is None or started is None or first - started < EARLY:
            continue
        workload = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
        if any(o.workload.same_object(workload) for o in out):
            continue
        revision = _revision(facts, workload, started)
        places = [*(entry.get("env") or []), *(entry.get("lines") or []),
                  *([str(d) for d in revision.get("diff") or []] if revision else [])]
        elapsed = (first - started).total_seconds() / 60
        for pattern, lifetime, longest, token in _lifetimes(places):
            why = next((p for p in places if pattern.search(p)), None)
            if why is None or not MARGIN[0] * lifetime <= elapsed <= MARGIN[1] * longest:
                continue
            evidence = [e for e in (log.evidence_id, facts.changes_id if revision else None) if e]
            out.append(Expired(workload, log.pod, started, first, lifetime, token, said, why[:160], revision,
                               evidence + [str(e) for e in entry.get("evidence") or []], longest))
            break
    return out


def _quote(said: str) -> str:
    hit = REFUSED.search(said)
    start = max(0, hit.start() - 40) if hit else 0
    return ("..." if start else "") + said[start:start + 120]


def finding(e: Expired) -> dict[str, Any]:
    """The workload's finding: the token it fetched once, its lifetime, the refusals from then on."""
    minutes = round((e.first - e.started).total_seconds() / 60)
    rev = ""
    if e.revision is not None:
        number = re.search(r"revision (\d+)", str(e.revision.get("summary") or ""))
        rev = f" revision {number.group(1)}" if number else " latest revision"
    span = f"{e.lifetime}-{e.longest}" if e.longest > e.lifetime else f"{e.lifetime}"
    message = (f"{e.workload}{rev} authenticates with {e.token} ({e.why}) but obtains it ONCE at startup: the token "
               f"expires after {span} minutes, and {minutes} minutes after pod {e.pod} started "
               f"({e.started.strftime('%H:%M')}) its new connections began to be refused: '{_quote(e.said)}'. "
               f"Existing pooled connections keep working, every new one fails; generate the token per connection "
               f"(or use a refreshing provider), or roll back the revision that switched to token auth")
    return {"check": CHECK, "severity": "critical", "reason": "TokenObtainedOnce",
            "object": {"kind": e.workload.kind, "namespace": e.workload.namespace, "name": e.workload.name},
            "message": message, "evidence": [e.said[:200]],
            "details": {"lifetime_minutes": e.lifetime, "started": e.started.isoformat().replace("+00:00", "Z"),
                        "first_refused": e.first.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload whose once-fetched token expired; it explains its own refused pods."""
    return [(e.workload, finding(e), e.evidence, [Ref("Pod", e.workload.namespace, e.pod)]) for e in found(facts)]
