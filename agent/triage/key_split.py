"""A Secret holding an app's signing key WRITTEN while the pods of one workload started on both sides of the write:
the replicas now sign and verify with different keys.

A web framework signs its session cookies and CSRF tokens with one secret (Django `SECRET_KEY`, Rails
`secret_key_base`, Flask/itsdangerous `SECRET_KEY`, Express `session` secret, Laravel `APP_KEY`, a JWT HMAC key).
A chart that renders that value with `randAlphaNum` (no `lookup` of the existing one) gives it a NEW random value
on every `helm upgrade`; an operator re-applies a generated Secret. Nothing restarts: the pods running before the
write keep the old key (read once, at start, from env or a file), and any pod started after it (a scale-up, an
eviction, a node drain) loads the new one. A request signed by one replica and answered by another fails: Django
`CSRF verification failed` / `Session data corrupted` / `BadSignature`, Rails `InvalidAuthenticityToken` /
`MessageVerifier::InvalidSignature`, Laravel `The MAC is invalid`, ASP.NET `antiforgery token could not be
decrypted`, a JWT `signature is invalid`: 403s and logouts on a fraction of requests. The event that started the
new pods (the scale-up) is what the timeline shows; the write is the cause.

Told apart from its twins: every running pod started after the write (one key everywhere: signing_secret's
class, a key that no longer matches a SENDER's), none did (nobody loaded it yet), the data keys written are not
a signing key (a database password), the rejections began before the newer pods started. The Secret's values are
never read: only its managedFields (when, by whom, which data keys) and the pods' start times. `found` is pure.

The `k8s_get` tool strips managedFields, so the Secret's write is usually known from the change timeline instead
(`data key K set by MANAGER`, which the server builds from the same managedFields). When the pods started at
different times and no write of a Secret they read is in view, the shared 48 h timeline is read
(`managed_writes.reach`); a write older than that is out of view.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import credential_write as cw
from agent.triage import managed_writes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "credential.signing_key_split"
WEIGHT = 0.93
"""As signing_secret: the write that split the replicas' keys is the thing to put back (or pin), above the
scale-up that merely started pods with the new key and above the rejecting workload's own errors."""

_REJECTED = re.compile(
    r"csrf verification failed|csrf token (?:from \w+ )?(?:incorrect|invalid|mismatch)|invalid csrf token|"
    r"csrf token mismatch|session data corrupted|\bBadSignature\b|\bBadTimeSignature\b|invalidauthenticitytoken|"
    r"can't verify csrf token authenticity|messageverifier::invalidsignature|messageencryptor::invalidmessage|"
    r"the mac is invalid|tokenmismatchexception|antiforgery token could not be decrypted|"
    r"key \{?[0-9a-f-]+\}? was not found in the key ring|signature is invalid|invalid signature|"
    r"signature verification failed|signature mismatch|signature has been tampered|"
    r"failed to (?:decode|decrypt|verify) (?:the )?(?:session|cookie)|session cookie (?:signature|tampered)", re.I)
"""The frameworks' own words for a session, cookie or CSRF token signed with another key than the one held."""
_NOT_THE_KEY = re.compile(r"expired|too old|clock skew|missing|not set|absent|no csrf|referer", re.I)
"""A token that expired, a missing cookie or Referer check: not a key mismatch."""
_KEY_NAME = re.compile(r"secret_?key|key_?base|session|cookie|signing|hmac|jwt|csrf|app_?key|encrypt|"
                       r"secret_?token|master_?key|token_?secret|^secret$", re.I)
"""A data key named as a signing or encryption key (not a password, a URL, a certificate)."""
_NOT_KEY_NAME = re.compile(r"password|passwd|url|dsn|host|user|\.crt|\.pem|cert|ca\.|database", re.I)
STORE = "key_split"
MAX_WORKLOADS = 2
MAX_PODS = 8
MAX_SECRETS = 4
SETTLE = timedelta(minutes=2)
"""How long before the newer pods started a rejection may be first seen and still be theirs (clocks, buffering)."""


@dataclass
class Split:
    """A signing-key Secret written between the start times of one workload's running pods."""

    secret: Ref
    written: datetime
    by: str
    keys: list[str]
    workload: Ref
    older: list[str]
    newer: list[str]
    newer_started: datetime
    said: str
    first_rejected: datetime
    evidence: list[str] = field(default_factory=list)


def rejects(entry: dict[str, Any]) -> bool:
    """Whether one classified log entry (error or warning) is a session/CSRF/signature rejected by the held key."""
    text = " ".join(str(entry.get(k) or "") for k in ("message", "example", "template"))
    return bool(_REJECTED.search(text)) and not _NOT_THE_KEY.search(text)


def signing_key(name: str) -> bool:
    """Whether a Secret data key's NAME says it holds a signing or encryption key."""
    return bool(_KEY_NAME.search(name)) and not _NOT_KEY_NAME.search(name)


def rejecting(facts: Facts) -> list[LogEvidence]:
    """The surveyed logs whose errors or warnings reject sessions, CSRF tokens or signatures."""
    return [log for log in facts.logs if any(rejects(e) for e in log.entries())]


def key_writes(secret: dict[str, Any]) -> list[tuple[datetime, str, list[str]]]:
    """(when, manager, data keys) of each managedFields entry of a Secret that wrote data keys: names only."""
    out: list[tuple[datetime, str, list[str]]] = []
    for entry in (secret.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        at = parse_time(entry.get("time"))
        data = ((entry.get("fieldsV1") or {}).get("f:data") or {}) | ((entry.get("fieldsV1") or {})
                                                                        .get("f:stringData") or {})
        keys = [k[2:] for k in data if isinstance(k, str) and k.startswith("f:")]
        if at is not None and keys:
            out.append((at, str(entry.get("manager") or ""), keys))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, and only when a surveyed log rejects sessions or CSRF tokens: the rejecting workload's pods
    (start times, the Secrets they reference) and those Secrets' metadata (managedFields; values are never kept)."""
    if STORE in facts.reads:
        return
    logs = rejecting(facts)
    if not logs:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"workloads": []})
    seen: set[tuple[str, str]] = set()
    for log in logs:
        workload = workload_of_pod(log.pod)
        if (log.namespace, workload) in seen or len(seen) >= MAX_WORKLOADS:
            continue
        seen.add((log.namespace, workload))
        listed = await call("k8s_list", {"kind": "Pod", "namespace": log.namespace},
                            f"survey-key-split-pods-{workload}")
        ok = listed is not None and listed.ok and isinstance(listed.data, dict)
        rows = (listed.data.get("rows") or []) if ok else []
        names = [str(r.get("name")) for r in rows if isinstance(r, dict)
                 and workload_of_pod(str(r.get("name") or "")) == workload] or [log.pod]
        entry: dict[str, Any] = {"workload": workload, "namespace": log.namespace, "pods": [], "secrets": [],
                                 "evidence": [listed.evidence_id] if listed is not None and listed.ok else []}
        secrets: list[str] = []
        for name in names[:MAX_PODS]:
            got = await get_yaml(call, "Pod", name, log.namespace, f"survey-key-split-pod-{name}")
            if got is None:
                continue
            pod, evidence = got
            status = pod.get("status") or {}
            entry["pods"].append({"pod": name, "started": status.get("startTime"), "phase": status.get("phase"),
                                  "deleting": bool((pod.get("metadata") or {}).get("deletionTimestamp")),
                                  "reads": [{"name": r.target.name, "via": r.via}
                                            for r in cw.pod_reads(pod, log.namespace)]})
            entry["evidence"].append(evidence)
            secrets += [r.target.name for r in cw.pod_reads(pod, log.namespace)
                        if not r.via.startswith("Reloader") and r.target.name not in secrets]
        for name in secrets[:MAX_SECRETS]:
            got = await get_yaml(call, "Secret", name, log.namespace, f"survey-key-split-secret-{name}")
            if got is None:
                continue
            entry["secrets"].append({"name": name, "evidence": got[1],
                                     "writes": [{"at": w.isoformat(), "by": by, "keys": keys}
                                                for w, by, keys in key_writes(got[0])]})
        store["workloads"].append(entry)
        starts = {p.get("started") for p in entry["pods"] if p.get("started")}
        if len(starts) > 1 and not _writes(facts, log.namespace, entry):
            # pods started at different times (a split is possible) and no write of a Secret they read is in view:
            # k8s_get strips managedFields, so look for it in the longer timeline the server builds from them
            await managed_writes.reach(facts, call, at, "survey-shared-history")


def _writes(facts: Facts, namespace: str, entry: dict[str, Any]) -> list[tuple[Ref, datetime, str, list[str], str]]:
    """Every signing-key write known for the Secrets the workload reads: managedFields read here, then the
    timeline's writes to those Secrets (whose diff names the data key)."""
    out: list[tuple[Ref, datetime, str, list[str], str]] = []
    names = {str(s.get("name")) for s in entry.get("secrets") or []}
    names |= {str(r.get("name")) for p in entry.get("pods") or [] for r in p.get("reads") or []}
    for s in entry.get("secrets") or []:
        for w in s.get("writes") or []:
            at = parse_time(w.get("at"))
            keys = [k for k in w.get("keys") or [] if signing_key(str(k))]
            if at is not None and keys:
                out.append((Ref("Secret", namespace, str(s["name"])), at, str(w.get("by") or ""), keys,
                            str(s.get("evidence") or "")))
    for change, evidence, target in facts.writes_to(("Secret",), deletions=False):
        if target.name not in names or target.namespace not in ("", namespace):
            continue
        at = parse_time(change.get("at"))
        text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
        keys = list(dict.fromkeys(k for k in re.findall(r"data key (\S+)", text) if signing_key(k)))
        if at is not None and keys:
            by = cw_by(change)
            out.append((Ref("Secret", namespace, target.name), at, by, keys, evidence))
    return out


def cw_by(change: dict[str, Any]) -> str:
    """Who a timeline write to a Secret names (`updated by X:` or `written by X:`)."""
    summary = str(change.get("summary") or "")
    hit = re.search(r"(?:updated|written) by ([\w.:-]+)", summary)
    return hit.group(1).rstrip(":") if hit else ""


def _first_rejection(facts: Facts, namespace: str, workload: str) -> tuple[str, datetime | None]:
    said, first = "", None
    for log in facts.logs:
        if log.namespace != namespace or workload_of_pod(log.pod) != workload:
            continue
        for e in log.entries():
            if not rejects(e):
                continue
            seen = parse_time(e.get("first_seen"))
            if seen is not None and (first is None or seen < first):
                first, said = seen, cw._strip_stamp(said_by(e))[:200]
    return said, first


def found(facts: Facts) -> list[Split]:
    """For each rejecting workload: the signing-key Secret it reads whose latest write falls between its running
    pods' start times, with rejections first seen once a pod started after the write was serving."""
    out: list[Split] = []
    for entry in (facts.reads.get(STORE) or {}).get("workloads") or []:
        namespace, workload = str(entry.get("namespace")), str(entry.get("workload"))
        said, first = _first_rejection(facts, namespace, workload)
        if first is None:
            continue
        pods = [(str(p["pod"]), t) for p in entry.get("pods") or []
                if (t := parse_time(p.get("started"))) is not None and not p.get("deleting")
                and p.get("phase") in (None, "Running")]
        writes = sorted(_writes(facts, namespace, entry), key=lambda w: w[1], reverse=True)
        for secret, written, by, keys, evidence in writes[:1]:
            older = [p for p, t in pods if t < written]
            newer = sorted(((p, t) for p, t in pods if t >= written), key=lambda x: x[1])
            if not older or not newer or written > facts.at:
                continue
            if first < newer[0][1] - SETTLE:
                continue
            out.append(Split(secret, written, by, keys, Ref("", namespace, workload), older,
                             [p for p, _ in newer], newer[0][1], said, first,
                             [e for e in [evidence, *(entry.get("evidence") or [])] if e]))
    return out


def _how(by: str) -> str:
    if by.lower().startswith("helm"):
        return "by a helm upgrade (helm re-rendered a random value: the chart generates it instead of looking up the " \
               "existing one), so it was regenerated"
    return f"by {by} (a new value written over the old one: regenerated)" if by else "with a regenerated value"


def finding(hit: Split, at: datetime) -> dict[str, Any]:
    """The Secret's finding: the key split across replicas first, then which pods hold which key."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    keys = ", ".join(hit.keys[:2])
    w = hit.workload.name
    message = (f"{hit.secret} ({keys}: {w}'s signing key) was rewritten {_how(hit.by)} {ago} before the alert while "
               f"{w}'s replicas kept running: {len(hit.older)} pods started before it still sign with the old "
               f"{keys}, {len(hit.newer)} started after it ({hit.newer_started.strftime('%H:%M')}) use the new one, "
               f"so sessions, cookies and CSRF tokens signed by one replica are rejected by the others "
               f"('{hit.said[:110]}', since {hit.first_rejected.strftime('%H:%M')}). The pods that started then "
               f"(scale-up, reschedule) only exposed the split. Pin {keys} to one stable value (put the old one back "
               f"or keep it across upgrades) and restart every replica of {w} so all read the same key")
    return {"check": CHECK, "severity": "critical", "reason": "SigningKeySplit",
            "object": {"kind": "Secret", "namespace": hit.secret.namespace, "name": hit.secret.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"keys": hit.keys, "by": hit.by, "workload": f"{hit.workload.namespace}/{w}",
                        "older_pods": hit.older, "newer_pods": hit.newer,
                        "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "first_rejected": hit.first_rejected.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The Secret whose rewritten signing key splits the workload's replicas; it explains that workload."""
    return [(h.secret, finding(h, facts.at), h.evidence, [h.workload]) for h in found(facts)]
