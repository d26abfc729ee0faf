"""A shared third-party API quota used up by another workload that started or grew just before: co_tenant's sibling
for dependencies OUTSIDE the cluster.

A paid API (Google Maps, a geocoder, an SMS or e-mail provider, an LLM endpoint, a cloud API) meters calls per key
or per project: requests per second, per minute, per day. Every workload configured with the same key shares that
budget. When a new one starts (a one-off backfill Job, a re-index, a CronJob's catch-up run, a new consumer scaled
out) and calls as fast as its workers allow, the budget is gone and the provider refuses EVERYONE on the key: the
long-running service the page is about logs the provider's quota wording (Google `OVER_QUERY_LIMIT`, gRPC
`RESOURCE_EXHAUSTED`, `429 Too Many Requests`, `rateLimitExceeded`, `Quota exceeded for quota metric`, AWS
`ThrottlingException`/`TooManyRequestsException`, OpenAI `Rate limit reached`). Nothing of its own changed; the
newcomer is the cause, and throttling it (or giving it its own key) is the fix.

Sharing the key is read from names only: the same Secret (or a copy of it of the same name and key in another
namespace, as replicators and per-namespace copies make), or the same credential env variable fed from a Secret;
a newcomer that reads no key Secret at all shares the budget when its own log is refused by the same provider (the
host the victim's errors name, or the same provider-specific status): a limit metered per source address, spent
through the same cluster egress. A newcomer on another key has another budget.
`read` runs only when a surveyed log says a call was refused for a quota or rate limit: it reads, for each workload
the change timeline says started, was rolled out or scaled in WINDOW before the first such error, its pod template
(the Secrets and env variables it reads: names, never values) and one of its pods' log (its own quota warnings
and rate). `found` is pure. Twins: a newcomer that started after the errors began, one that reads another
key, a quota error from inside the cluster (the API server's priority and fairness, a proxy's own limit).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.value_shape import uses_of

CHECK = "quota.shared_consumer"
WEIGHT = 0.92
"""The newcomer that used up the shared quota outranks the victim's refusals and any rollout beside them."""
STORE = "shared_quota"
WINDOW = timedelta(hours=6)
"""How long before the first quota refusal a newcomer's start still counts (a backfill runs for hours)."""
SLACK = timedelta(minutes=2)
MAX_CANDIDATES = 6
LOG_TAIL = 300

Call = Callable[..., Awaitable[Any]]

QUOTA = re.compile(r"\bOVER_QUERY_LIMIT\b|\bRESOURCE_EXHAUSTED\b|\bOVER_DAILY_LIMIT\b|quota (?:exceeded|exhausted)|"
                   r"exceeded (?:your |the )?(?:\w+ )?(?:quota|rate[- ]?limit)|rate[- ]?limit(?:ed| exceeded| reached)|"
                   r"\b(?:user)?rateLimitExceeded\b|too many requests|\b429\b|ThrottlingException|"
                   r"TooManyRequestsException|RequestLimitExceeded|throttled by (?:the )?(?:provider|api)|"
                   # Azure ('Rate limit is exceeded', code TooManyRequests), Google APIs' RATE_LIMIT_EXCEEDED,
                   # Anthropic's rate_limit_error, Shopify's call budget, S3 SlowDown, DynamoDB's throughput
                   r"rate limit is exceeded|\bTooManyRequests\b|\bRATE_LIMIT_EXCEEDED\b|\brate_limit_error\b|"
                   r"Exceeded \d+ calls per second|\bSlowDown\b|Please reduce your request rate|"
                   r"ProvisionedThroughputExceededException", re.I)
"""A provider's own words for a call refused because a quota or rate budget is spent."""
_PROVIDER_LIMIT = re.compile(r"(?:reached|hit|exceeded|used up) (?:your|the|its) [\w .:/'-]{0,60}?(?:limit|quota)\b"
                             r"[^\"',}]{0,60}", re.I)
"""The provider's sentence naming WHICH budget is spent (HubSpot `You have reached your ten_secondly_rolling limit`,
GitHub `You have exceeded a secondary rate limit`, Zendesk/Shopify `exceeded the ... quota`): often only in the
response body the client logs beside its own words (`request throttled, backing off`)."""
_INSIDE = re.compile(r"apiserver|flowcontrol|priority level|nginx_limit|limit_req|ratelimit\.envoy|"
                     r"local_rate_limit|\.svc\b|cluster\.local", re.I)
"""A limit enforced inside the cluster (the API server's APF, a proxy's own rate limit): another class."""
_CREDENTIAL = re.compile(r"key|token|secret|credential|password|auth", re.I)
_STATUS = re.compile(r"\b(OVER_QUERY_LIMIT|RESOURCE_EXHAUSTED|OVER_DAILY_LIMIT|rateLimitExceeded|"
                     r"ThrottlingException|TooManyRequestsException|RequestLimitExceeded|429|TooManyRequests|"
                     r"RATE_LIMIT_EXCEEDED|rate_limit_error|SlowDown|ProvisionedThroughputExceededException)\b")
_RATE = re.compile(r"\b(?:rate|qps|rps)[=:]\s*[\d.]+\s*(?:/s|per second)?|\b\d+ workers\b|qps_limit[=:]\s*\w+", re.I)
_KEY = re.compile(r"\(key ([^)]+)\)")


@dataclass(frozen=True)
class Cred:
    """One credential a workload reads: the Secret (and key) behind an env variable or mount. Names only."""

    secret: Ref
    key: str
    env: str
    via: str


@dataclass
class Newcomer:
    """A workload that started or grew before the victim's quota refusals and reads the same credential."""

    workload: Ref
    started: datetime
    what: str
    """The timeline's words for the start (`started`, `rolled out`, `scaled`)."""
    shared: str
    """How the credential is shared, in words."""
    victim: Ref
    refused: str
    status: str
    first: datetime
    own: str
    """The newcomer's own log line hitting the same quota, or its rate, or ''."""
    evidence: list[str] = field(default_factory=list)


# ---- the refusals -----------------------------------------------------------------------------


def _texts(log: LogEvidence) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for error in [*([log.top] if log.top else []), *log.more, *log.warnings]:
        text = " ".join(str(error.get(k) or "") for k in ("message", "example", "template"))
        text += " " + " ".join(f"{k}={v}" for k, v in (error.get("fields") or {}).items())
        out.append((text, error))
    return out


def refusal(log: LogEvidence) -> tuple[str, str, datetime | None] | None:
    """(the refusal as printed, the provider's status word, first seen) when the log says a call was refused for
    a quota or rate limit of a provider outside the cluster; None otherwise."""
    for text, error in _texts(log):
        if QUOTA.search(text) and not _INSIDE.search(text):
            status = _STATUS.search(text)
            said = str(error.get("message") or error.get("template") or text)
            limit = _PROVIDER_LIMIT.search(text)
            if limit and limit.group(0).strip() not in said:
                said = f"{said[:120]}: {limit.group(0).strip()}"
            return said[:200], status.group(1) if status else "", parse_time(error.get("first_seen"))
    return None


def refused(facts: Facts) -> list[tuple[LogEvidence, str, str, datetime]]:
    """The surveyed logs refused for a shared quota, with the refusal, its status and when it was first seen."""
    out = []
    for log in facts.logs:
        got = refusal(log)
        if got is not None and got[2] is not None:
            out.append((log, got[0], got[1], got[2]))
    return out


# ---- credentials (names only) -----------------------------------------------------------------


def creds(template_spec: dict[str, Any], namespace: str) -> list[Cred]:
    """The Secrets a pod template's containers read (env, envFrom, volumes), with key and env names."""
    out = []
    for use in uses_of({"spec": template_spec}, namespace):
        if use.target.kind != "Secret":
            continue
        key = _KEY.search(use.via)
        env = use.via.split()[1] if use.via.startswith("env ") else ""
        out.append(Cred(use.target, key.group(1) if key else "", env, use.via))
    return out


def _victim_creds(facts: Facts, log: LogEvidence, workload: str) -> list[Cred]:
    out: list[Cred] = []
    for entry in facts.reads.get(STORE, {}).get("victims") or []:
        if entry.get("pod") == log.pod and entry.get("namespace") == log.namespace:
            out += [Cred(Ref("Secret", c["namespace"], c["name"]), c["key"], c["env"], c["via"])
                    for c in entry.get("creds") or []]
    for data, _ in facts.topologies:
        subject = Ref.of(data.get("subject"))
        pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        if subject is None or (log.pod not in pods and subject.name != workload):
            continue
        for u in data.get("secrets") or []:
            target, via = Ref.of((u or {}).get("secret")), str((u or {}).get("via") or "")
            if target is None or via == "imagePullSecrets":
                continue
            key = _KEY.search(via)
            env = via.split()[1] if via.startswith("env ") else ""
            out.append(Cred(Ref("Secret", target.namespace or log.namespace, target.name),
                            key.group(1) if key else "", env, via))
    return out


def shared(victim: list[Cred], other: list[Cred]) -> str:
    """How `other` shares one of `victim`'s credentials, in words, or '' when it does not."""
    for v in victim:
        for o in other:
            if o.secret == v.secret:
                return f"the same {o.secret} ({o.via})"
            if o.secret.name == v.secret.name and (o.key == v.key or not (o.key and v.key)):
                key = f", key {o.key}" if o.key else ""
                return (f"{o.via.split(' (')[0]} from {o.secret}{key}, a copy of the {v.secret} "
                        "the victim reads")
            if o.env and o.env == v.env and _CREDENTIAL.search(o.env):
                return f"the same credential variable {o.env} (from {o.secret}; the victim's from {v.secret})"
    return ""


def outside(host: str) -> bool:
    """Whether a host the victim's errors name is outside the cluster: a public name (two dots or more), not a
    Service's `.svc` / `cluster.local` name or a `.local`/`.internal` one (an in-cluster limiter is another class)."""
    host = host.lower().rstrip(".")
    return host.count(".") >= 2 and not re.search(r"\.(?:svc|local|internal)(?:\.|:|$)|cluster\.local", host) \
        and not re.fullmatch(r"[\d.:]+", host)


def same_refusal(victim: LogEvidence, status: str, their_log: str) -> str:
    """How a newcomer that reads no key Secret still spends the victim's budget, in words, or '': its own log
    is refused by the same provider the same way (the same host the victim's errors name, or the same
    provider-specific status), as when the provider meters per source address and both leave by the same egress."""
    line = next((ln for ln in their_log.splitlines() if QUOTA.search(ln) and not _INSIDE.search(ln)), "")
    if not line:
        return ""
    hosts = [h for h in victim.hosts if h and outside(h)]
    if any(h in line for h in hosts):
        host = next(h for h in hosts if h in line)
        return f"the same provider {host} through the same cluster egress, its own calls refused the same way"
    if status and status != "429" and status in line:
        return f"the same provider through the same cluster egress, its own calls refused {status} too"
    return ""


# ---- reading (survey) -------------------------------------------------------------------------


_STARTS = {"job": "started", "rollout": "rolled out", "scale": "scaled", "created": "created"}
_KINDS = ("Job", "Deployment", "StatefulSet", "DaemonSet", "CronJob")
_RESUMED = re.compile(r"spec\.suspend\b.*\b(?:now )?'?false\b|spec\.schedule\b", re.I)
"""A CronJob write that makes it run again or on a new cadence (`suspend` set false, `schedule` changed): a
backfill turned from a parked one-off into a recurring job starts calling as surely as a new Job."""


def _resumed(change: dict[str, Any]) -> str:
    """'resumed' / 'rescheduled' when a CronJob write makes it run (again, or more often); '' otherwise."""
    lines = [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]
    hits = [line for line in lines if _RESUMED.search(line)]
    if not hits:
        return ""
    return "resumed" if any("suspend" in line for line in hits) else "rescheduled"


def _starts(facts: Facts, first: datetime, victims: set[tuple[str, str]]) -> list[tuple[Ref, datetime, str, str]]:
    """(workload, when, what happened, evidence) for each workload the timeline says started or grew in WINDOW
    before `first` (not the victims themselves), newest first."""
    out: list[tuple[Ref, datetime, str, str]] = []
    for change, evidence in facts.every_change():
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        what = _STARTS.get(str(change.get("type")))
        if what is None and target is not None and target.kind == "CronJob":
            what = _resumed(change) or None
        if target is None or when is None or what is None or target.kind not in _KINDS:
            continue
        if (target.namespace, target.name) in victims or not first - WINDOW <= when <= first + SLACK:
            continue
        if change.get("type") == "job":
            started = re.search(r"started (\S+Z)", str(change.get("summary") or ""))
            when = parse_time(started.group(1)) if started else when
            if when is None or not first - WINDOW <= when <= first + SLACK:
                continue
        if all(r[0] != target for r in out):
            out.append((target, when, what, evidence))
    return sorted(out, key=lambda r: r[1], reverse=True)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a surveyed log says a provider refused a call for its quota: the victims' pod
    specs (credential names), each recently started workload's pod template and, for a Job, one pod's log."""
    if STORE in facts.reads:
        return
    found_ = refused(facts)
    if not found_:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"victims": [], "workloads": []})
    for log, _, _, _ in found_[:2]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-shared-quota-pod-{log.pod}")
        if got is not None:
            store["victims"].append({"pod": log.pod, "namespace": log.namespace, "evidence": got[1], "creds": [
                {"namespace": c.secret.namespace, "name": c.secret.name, "key": c.key, "env": c.env, "via": c.via}
                for c in creds(got[0].get("spec") or {}, log.namespace)]})
    first = min(f for _, _, _, f in found_)
    victims = {(log.namespace, workload_of_pod(log.pod)) for log, _, _, _ in found_}
    for target, _, _, _ in _starts(facts, first, victims)[:MAX_CANDIDATES]:
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-shared-quota-{target.kind.lower()}-{target.name}")
        if got is None:
            continue
        spec = got[0].get("spec") or {}
        if target.kind == "CronJob":
            spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        template = (spec.get("template") or {}).get("spec") or {}
        entry: dict[str, Any] = {"kind": target.kind, "namespace": target.namespace, "name": target.name,
                                 "evidence": [got[1]], "log": "", "creds": [
            {"namespace": c.secret.namespace, "name": c.secret.name, "key": c.key, "env": c.env, "via": c.via}
            for c in creds(template, target.namespace)]}
        selector = f"job-name={target.name}" if target.kind == "Job" else ",".join(
            f"{k}={v}" for k, v in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items()))
        if selector and target.kind != "CronJob":
            pods = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace, "label_selector": selector},
                              f"survey-shared-quota-pods-{target.name}")
            rows = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
            for row in rows[:1]:
                logs = await call("k8s_logs", {"name": str(row.get("name")), "namespace": target.namespace,
                                               "tail": LOG_TAIL}, f"survey-shared-quota-logs-{target.name}")
                if logs is not None and logs.ok:
                    entry["log"] = str(logs.full_text or "")[:40000]
                    entry["evidence"].append(logs.evidence_id)
        store["workloads"].append(entry)


# ---- judging (rank) ---------------------------------------------------------------------------


def _own_words(log: str) -> str:
    """The newcomer's own line hitting the quota, else the line that says how fast it calls; stamps dropped."""
    lines = [re.sub(r"^\S+Z\s+", "", ln.strip()) for ln in log.splitlines() if ln.strip() and not ln.startswith("==")]
    hit = next((ln for ln in lines if QUOTA.search(ln)), "") or next((ln for ln in lines if _RATE.search(ln)), "")
    return re.sub(r"^\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\s+", "", hit)[:160]


def found(facts: Facts) -> list[Newcomer]:
    """Each victim refused for a quota with the newcomer (started or grown in WINDOW before its first refusal)
    that reads the same credential: the latest one to start before the refusals began."""
    out: list[Newcomer] = []
    entries = {(e["namespace"], e["name"]): e for e in facts.reads.get(STORE, {}).get("workloads") or []}
    seen: set[tuple[str, str]] = set()
    victims = {(log.namespace, workload_of_pod(log.pod)) for log, _, _, _ in refused(facts)}
    for log, said, status, first in refused(facts):
        workload = Ref("", log.namespace, workload_of_pod(log.pod))
        if (workload.namespace, workload.name) in seen:
            continue
        mine = _victim_creds(facts, log, workload.name)
        if not mine:
            continue
        for target, when, what, evidence in _starts(facts, first, victims):
            entry = entries.get((target.namespace, target.name))
            if entry is None or when > first + SLACK:
                continue
            theirs = [Cred(Ref("Secret", c["namespace"], c["name"]), c["key"], c["env"], c["via"])
                      for c in entry.get("creds") or []]
            how = shared(mine, theirs) or ("" if theirs else same_refusal(log, status, str(entry.get("log") or "")))
            if not how:
                continue  # another key, another budget; or no key and not refused by the same provider either
            ids = [e for e in (evidence, log.evidence_id, *(entry.get("evidence") or [])) if e]
            out.append(Newcomer(target, when, what, how, workload, said, status, first, _own_words(entry["log"]),
                                [str(i) for i in ids]))
            seen.add((workload.namespace, workload.name))
            break
    return out


def _credential_words(shared_: str) -> str:
    """The shared credential in words (`GOOGLE_MAPS_API_KEY` -> `the same google maps API key`)."""
    env = re.search(r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|CREDENTIALS?))\b", shared_)
    if env is None:
        return "the same API credential"
    words = [w for w in env.group(1).lower().split("_") if w]
    last = words.pop()
    if last == "key":
        words = [w for w in words if w != "api"] + ["API", "key"]
    else:
        words.append(last)
    acronyms = {"id", "aws", "gcp", "sa"}
    return "the same " + " ".join(w.upper() if w in acronyms else w for w in words)


def finding(n: Newcomer, at: datetime) -> dict[str, Any]:
    """The newcomer's finding: it started just before the shared quota ran out, on the victim's own key."""
    ago = minutes_text(int((n.first - n.started).total_seconds() // 60))
    victim = f"{n.victim.namespace}/{n.victim.name}"
    status = f" ({n.status})" if n.status else ""
    own = f" Its own log: '{n.own}'." if n.own else ""
    via = n.shared if n.shared.startswith("the same provider") else \
        f"the provider with {_credential_words(n.shared)} ({n.shared})"
    message = (f"{n.workload} {n.what} at {n.started.strftime('%H:%M')}, {ago} before {victim}'s first quota "
               f"refusal{status}, and calls {via}: its load uses up the shared quota, so {victim} is refused: "
               f"'{n.refused[:150]}'.{own} Nothing of {victim} "
               f"changed; throttle or pause {n.workload.name} (a rate limit of its own) or give it its own API key "
               "and quota")
    return {"check": CHECK, "severity": "critical", "reason": "SharedQuotaExhausted",
            "object": {"kind": n.workload.kind, "namespace": n.workload.namespace, "name": n.workload.name},
            "message": message, "evidence": [n.refused[:200]],
            "details": {"shared": n.shared, "victim": victim, "status": n.status,
                        "started": n.started.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The newcomer that used up the shared quota; it explains the victim refused on the same key."""
    return [(n.workload, finding(n, facts.at), n.evidence, [n.victim]) for n in found(facts)]
