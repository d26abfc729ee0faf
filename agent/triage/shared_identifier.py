"""A change elsewhere that shares a SPECIFIC identifier with a victim's outward errors or its own spec.

When a workload fails in words that point OUTWARD (a timeout, a refused or reset connection, a throttle, a quota,
a 401/403/429/5xx from a server, AccessDenied, "not found" from a dependency) and nothing of its own changed,
the cause is usually a write to something else on its path: a Kafka user's quota, an egress or proxy config, a
bucket or queue policy, a broker's ACL, a gateway's route. The class modules read each of those by its
semantics; this link is the generic one for software nobody has written a module for yet. It relates a write
to the victim by an identifier both sides carry, whatever the kind or namespace of the written object:

- the victim's side: the outward error lines its logs print, and its own pod spec (env values, args, command,
  the ConfigMaps it mounts or reads, and those ConfigMaps' text; Secrets by name only, never by value);
- the change's side: the written object's name, the fields and values its diff and summary quote (the actor
  that wrote it left out), and for a ConfigMap or custom object written without values, its current text.

An identifier is shared when both sides hold it as a whole token or a part of one (a URL's host, a host's first
label, a path segment, a `user@host`'s user). It must be SPECIFIC: shaped like a name (a separator inside, not a
number, a version or a time), not a generic word (api, prod, service, http, default...), not a namespace, not
the victim's own name, and rare in the incident's own text: held by few of its distinct objects (changes,
findings, pods' logs). The rarest shared identifier wins. The write must precede the victim's first outward
error; a victim whose own workload (or what it reads) was written before its errors keeps its own blame.

A victim's outward error may only relay its callee's: when the shared identifier names a workload of the incident
whose own logs fail in its own words (errors naming no other host, none a failure of its own calls or a refusal
of its callers: `index is read-only`, a panic, a 503 it answers itself), that callee fails itself and its callers'
errors are its answers, so a write elsewhere naming it (a mesh policy for its host, a gateway route) is not
linked; a write to the callee itself (its workload, or an object the timeline relates to it) still is.

`read` (reading only) fetches the erroring pods' specs, the ConfigMaps they mount and the current text of
objects written without values; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.shared_identifier"
WEIGHT = 0.86
"""Below every class module that reads a written field's meaning (0.9 and up) and a write the errors name by
the object's own name (related_changes, 0.9): an identifier shared is a weaker link than a meaning read."""
STORE = "shared_identifier"
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
"""Log and change clocks differ a little: an error first printed more than this before the write predates it."""
MAX_PODS = 2
MAX_READS = 6
MAX_HOLDERS = 3
"""An identifier held by more distinct objects of the incident than this is common there, not specific."""

Call = Callable[..., Awaitable[Any]]

OUTWARD_CLASSES = frozenset({"connection_refused", "connection_timeout", "upstream_reset", "unavailable",
                             "no_route", "http_5xx", "auth_failure", "permission_denied", "rate_limited",
                             "connection_limit", "dns_failure", "tls_error"})
"""The log classifier's classes (mcp_servers/common/logfacts/classify.py) that say a CALLED party failed or refused."""
NOT_OWN_CLASSES = frozenset({"connection_refused", "connection_timeout", "upstream_reset", "no_route", "dns_failure",
                             "tls_error", "connection_limit", "auth_failure", "permission_denied", "rate_limited"})
"""Classes that are not a server's own failure: its own calls failing onward (refused, timed out, unresolved), or
its refusal of a caller (a bad password, a denied permission, a throttle), which is what a write elsewhere causes."""
OUTWARD = re.compile(
    r"time[ds]?[ -]?out|timed out|deadline exceeded|refused|reset by peer|connection reset|throttl|quota|"
    r"rate[- ]?limit|exceeded|access ?denied|forbidden|unauthori[sz]ed|not authori[sz]ed|permission denied|"
    r"\b(?:401|403|404|407|429|50[0-4])\b|not found|does not exist|no such|unknown (?:topic|host|queue|bucket|user)|"
    r"not present in metadata|unavailable|no healthy upstream|upstream connect|too many requests", re.I)
"""Words of an error about a called party (any software): timeouts, refusals, throttles, denials, a missing peer."""

GENERIC = frozenset({
    "api", "apis", "prod", "production", "staging", "service", "services", "http", "https", "default", "local",
    "cluster", "svc", "kubernetes", "namespace", "localhost", "example", "internal", "error", "errors", "failed",
    "timeout", "connection", "request", "response", "client", "server", "status", "level", "message", "value",
    "true", "false", "null", "none", "info", "warn", "debug", "data", "spec", "metadata", "config", "configmap",
    "secret", "deployment", "statefulset", "daemonset", "labels", "annotations", "app.kubernetes.io", "www",
    "k8s.io", "kube-system", "cluster.local", "svc.cluster.local", "application/json", "content-type", "utf-8",
    "user-agent", "x-request-id", "trace-id", "span-id", "request-id", "amazonaws.com", "googleapis.com",
    "github.com", "docker.io", "example.com", "example.net", "example.org", "eu-west-1", "us-east-1"})
"""Tokens that name nothing specific in any incident: protocol, platform and log-format words, common domains."""

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@=-]*[A-Za-z0-9]")
_HOSTLIKE = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+$")
_NOT_A_NAME = re.compile(r"^v?\d[\d.:_-]*[a-z]{0,2}$|^\d{4}-\d\d-\d\d|^[0-9a-f]{12,}$|^[a-z]{0,3}\d[\d.]*$")
"""Numbers, versions, durations and sizes (500ms, 2.3.0, v1), dates, hashes: values, not names."""
BY_ACTOR = re.compile(r"\b(?:updated|written|created|deleted|rolled out|patched|applied) by \S+", re.I)
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "CronJob", "Job")
SKIP_KINDS = frozenset({"pod", "event", "replicaset", "controllerrevision", "endpointslice", "endpoints", "lease"})
"""Objects whose writes are consequences (a pod, an endpoint list) rather than anyone's change."""


@dataclass
class Victim:
    """A pod failing outward: its workload, its outward lines, when they began, and what its spec names."""

    workload: Ref
    log: LogEvidence
    lines: list[str]
    first: datetime
    spec_words: list[tuple[str, str]]
    """(where, text): `env KAFKA_USER`, `args`, `ConfigMap x (app.yaml)` with the text each holds."""


@dataclass
class Shared:
    """A write that shares a specific identifier with a victim, and where each side holds it."""

    target: Ref
    change: dict[str, Any]
    victim: Victim
    identifier: str
    field: str
    said: str
    """The victim's line (or spec place) holding the identifier."""
    in_spec: bool
    minutes_before: int
    evidence: list[str]


def parts(token: str) -> set[str]:
    """A token and the names inside it: a URL's host and path segments, a host's first label and parent domains,
    `user@host`'s user, `key=value`'s value, and a hyphenated name's leading names (`orders-db-creds` holds
    `orders-db`: derived names keep their source's name first) (lower case)."""
    token = token.lower().strip(".:/-=@")
    out = {token}
    for piece in re.split(r"[/@=]|:(?!\d)|://", token):
        piece = piece.strip(".:-")
        host = piece.split(":")[0]
        out.update({piece, host})
        segments = host.split("-")  # a name derived from another (a user's Secret `x-jaas`, a partition `topic-3`)
        out.update("-".join(segments[:i]) for i in range(2, len(segments)) if "." not in segments[i - 1])
        if _HOSTLIKE.match(host):  # its first label, and the domains it sits in (an allow-list's `.bank.io`)
            labels = host.split(".")
            out.update([labels[0], *(".".join(labels[i:]) for i in range(1, len(labels) - 1)
                                     if len(labels) - i >= 3 or "-" in labels[i])])
    return {p for p in out if p}


def specific_shape(word: str) -> bool:
    """Shaped like a name someone chose: 5+ chars with a letter and a separator inside (orders-db, iot_producer,
    acs.example.net), not a number, version, date, hash or generic word."""
    return (len(word) >= 5 and bool(re.search(r"[a-z]", word)) and bool(re.search(r"[a-z0-9][-_.][a-z0-9]", word))
            and word not in GENERIC and not _NOT_A_NAME.match(word) and not re.search(r"[/=:@]", word))


def identifiers(text: str) -> set[str]:
    """The name-shaped identifiers a text holds (lower case)."""
    return {p for m in _TOKEN.finditer(text) for p in parts(m.group(0)) if specific_shape(p)}


def outward_lines(log: LogEvidence) -> list[tuple[str, datetime | None]]:
    """The log's error lines about a called party, each with when it was first seen (None: not stamped)."""
    out: list[tuple[str, datetime | None]] = []
    for e in [log.top or {}, *log.more]:
        text = said_by(e)
        if text and (str(e.get("error_class") or "") in OUTWARD_CLASSES or OUTWARD.search(text)):
            out.append((text, parse_time(e.get("first_seen"))))
    return out


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _spec_words(pod: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(where, text) for each env value, args/command, and referenced Secret NAME of a pod spec, and the names of the
    ConfigMaps it mounts or reads (whose text `read` fetches). Secret values are never read."""
    walked = pod_spec_words.walk(pod.get("spec") or {})
    return pod_spec_words.words(walked, secret_names=True), pod_spec_words.configmaps(walked)


def _valueless(change: dict[str, Any]) -> bool:
    """A write whose diff quotes no value (`data key mesh set`): its current text says what it holds now."""
    lines = [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]
    return not any(" = " in ln or "->" in ln or ": " in BY_ACTOR.sub("", ln) for ln in lines)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the specs of up to MAX_PODS pods failing outward, the ConfigMaps they read, and the current
    text of ConfigMaps and custom objects the timeline shows written without values."""
    del subject, at
    store = _store(facts)
    if "pods" in store or not any(outward_lines(log) for log in facts.logs):
        return
    store["pods"], store["objects"] = {}, {}
    reads = 0
    for log in [lg for lg in facts.logs if lg.pod and outward_lines(lg)][:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-shared-identifier-pod-{log.pod}")
        reads += 1
        if got is None:
            continue
        words, configmaps = _spec_words(got[0])
        for name in configmaps[:2]:
            cm = await get_yaml(call, "ConfigMap", name, log.namespace, f"survey-shared-identifier-cm-{name}")
            reads += 1
            if cm is not None:
                words += [(f"ConfigMap {name} ({k})", str(v)[:4000]) for k, v in (cm[0].get("data") or {}).items()]
        store["pods"][log.pod] = {"words": words, "evidence": got[1]}
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if reads >= MAX_READS or target is None or not _valueless(change) or change.get("type") == "deleted":
            continue
        if target.kind == "Secret" or target.kind in _WORKLOAD_KINDS or target.kind.lower() in SKIP_KINDS:
            continue
        if str(target) in store["objects"] or target.kind == "Node":
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-shared-identifier-object-{target.name}")
        reads += 1
        if got is not None:
            body = {k: v for k, v in got[0].items() if k not in ("metadata", "status", "apiVersion", "kind")}
            store["objects"][str(target)] = {"text": str(body)[:6000], "evidence": got[1]}


def victims(facts: Facts) -> list[Victim]:
    pods = _store(facts).get("pods") or {}
    out: list[Victim] = []
    for log in facts.logs:
        lines = outward_lines(log)
        if not log.pod or not lines:
            continue
        first = min((t for _, t in lines if t is not None), default=facts.at)
        workload = Ref("", log.namespace, workload_of_pod(log.pod))
        out.append(Victim(workload, log, [t for t, _ in lines], first, list((pods.get(log.pod) or {}).get("words")
                                                                            or [])))
    return out


def own_change(facts: Facts, victim: Victim) -> bool:
    """Whether the victim's own workload, or what it reads, was written before its errors (not an HPA's rescale):
    then its own change is the likelier cause and the victim keeps its blame."""
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not facts.at - LEAD <= at <= victim.first + SLACK:
            continue
        if "rescaled" in str(change.get("summary") or "") or change.get("type") == "scale":
            continue
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
        if any(r.namespace == victim.workload.namespace and r.name == victim.workload.name
               for r in [target, *related]):
            return True
    return False


def fails_itself(log: LogEvidence) -> bool:
    """Whether a pod's logged errors are its own: it has some, they name no other host, and none is a failure of
    its own calls or a refusal of its callers."""
    errors = [e for e in [log.top or {}, *log.more] if said_by(e)]
    return bool(errors) and not log.hosts and not (log.error_classes & NOT_OWN_CLASSES) \
        and not any(str(e.get("error_class") or "") in NOT_OWN_CLASSES for e in errors)


def _self_failing(facts: Facts, victim: Victim) -> dict[str, Ref]:
    """Workloads of the incident (other than the victim) whose pods fail in their own words, by lower-case name."""
    out: dict[str, Ref] = {}
    for log in facts.logs:
        name = workload_of_pod(log.pod) if log.pod else ""
        if name and not (log.namespace == victim.workload.namespace and name == victim.workload.name) \
                and fails_itself(log):
            out.setdefault(name.lower(), Ref("", log.namespace, name))
    return out


def _names_callee(word: str, callees: dict[str, Ref]) -> Ref | None:
    """The self-failing workload an identifier names (its name, a host's first label, a name derived from it)."""
    return next((ref for name, ref in callees.items() if name in parts(word) or word == name), None)


def _callees_own(change: dict[str, Any], target: Ref, callee: Ref) -> bool:
    """Whether the write is the callee's own: its workload, or an object the timeline relates to it."""
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
    return any(r.name == callee.name and r.namespace in ("", callee.namespace) for r in [target, *related])


def _change_text(change: dict[str, Any], facts: Facts) -> str:
    target = Ref.of(change.get("object"))
    written = " ".join(BY_ACTOR.sub("", str(x)) for x in [change.get("summary") or "", *(change.get("diff") or [])])
    current = ((_store(facts).get("objects") or {}).get(str(target)) or {}).get("text") or ""
    return f"{target.name if target else ''} {written} {current}"


def _holders(facts: Facts) -> dict[str, int]:
    """How many distinct objects of the incident (changed objects, finding objects, pods' logs) hold each
    identifier: the rarity that makes a shared one specific."""
    texts: dict[str, list[str]] = {}
    for change in facts.change_list():
        texts.setdefault(str(change.get("object")), []).append(_change_text(change, facts))
    for f in facts.findings():
        texts.setdefault(str(f.get("object")), []).append(" ".join(
            [str(f.get("message") or ""), *(str(e) for e in f.get("evidence") or [])]))
    for log in facts.logs:
        texts.setdefault(f"pod {log.namespace}/{log.pod}", []).extend(said_by(e) for e in log.entries())
    count: dict[str, int] = {}
    for parts_ in texts.values():
        for word in identifiers(" ".join(parts_)):
            count[word] = count.get(word, 0) + 1
    return count


def _namespaces(facts: Facts) -> set[str]:
    out = {log.namespace for log in facts.logs}
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is not None:
            out.add(target.namespace)
    return {n.lower() for n in out if n}


def _field(change: dict[str, Any]) -> str:
    """What the write changed, as its diff says it (old -> new where known), short."""
    lines = [BY_ACTOR.sub("", str(d)).strip(" ;:") for d in change.get("diff") or []]
    text = "; ".join(ln for ln in lines if ln) or BY_ACTOR.sub("", str(change.get("summary") or "")).strip()
    return text[:180]


def found(facts: Facts) -> list[Shared]:
    """Per victim failing outward with no change of its own, the write before its errors that shares the rarest
    specific identifier with its outward lines or its spec."""
    failing = [v for v in victims(facts) if not own_change(facts, v)]
    if not failing:
        return []
    holders, namespaces = _holders(facts), _namespaces(facts)
    out: list[Shared] = []
    for v in failing:
        own = {v.workload.name.lower(), v.log.pod.lower()}
        line_ids = [(t, identifiers(t)) for t in v.lines]
        spec_ids = [(f"{where} = {text}"[:200], identifiers(text)) for where, text in v.spec_words]
        best: tuple[tuple[int, int, int], Shared] | None = None
        callees = _self_failing(facts, v)
        for change in facts.change_list():
            target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
            if target is None or at is None or target.kind.lower() in SKIP_KINDS:
                continue
            if not facts.at - LEAD <= at <= v.first + SLACK or "rescaled" in str(change.get("summary") or ""):
                continue
            if target.namespace == v.workload.namespace and target.name in own:
                continue
            theirs = identifiers(_change_text(change, facts)) - namespaces - own
            theirs = {w for w in theirs if holders.get(w, 0) <= MAX_HOLDERS and not any(w in o for o in own)
                      and not ((callee := _names_callee(w, callees)) is not None
                               and not _callees_own(change, target, callee))}
            sources = [(0, t, ids, False) for t, ids in line_ids] + [(1, t, ids, True) for t, ids in spec_ids]
            for place, said, ids, in_spec in sources:
                for word in ids & theirs:
                    key = (holders.get(word, 0), place, -len(word))
                    if best is None or key < best[0]:
                        minutes = int((facts.at - at).total_seconds() // 60)
                        evidence = [e for e in (facts.changes_id, v.log.evidence_id) if e]
                        evidence += [e for e in [((_store(facts).get("pods") or {}).get(v.log.pod) or {}).get(
                            "evidence"), ((_store(facts).get("objects") or {}).get(str(target)) or {}).get(
                            "evidence")] if e]
                        best = (key, Shared(target, change, v, word, _field(change), said, in_spec, minutes,
                                            evidence))
        if best is not None and not any(s.target.same_object(best[1].target) for s in out):
            out.append(best[1])
    return out


def finding(s: Shared, at: datetime) -> dict[str, Any]:
    """What changed and the identifier it shares with the victim's errors, early in the message."""
    del at
    victim = s.victim.workload.name
    line = s.victim.lines[0][:200]
    if s.in_spec:
        tie = (f"which {victim} names in its own spec ({s.said[:120]}); its errors point there: '{line}'")
    else:
        tie = f"which name {s.identifier}: '{s.said[:200]}'"
    message = (f"{s.target} changed {s.field} {minutes_text(s.minutes_before)} before {victim}'s errors, "
               f"sharing the identifier {s.identifier}, {tie}. {victim} has no change of its own and its errors "
               f"point outward (a called party refuses, throttles or times out): the write to {s.target} that "
               f"names {s.identifier} is the likelier cause; revert it or fix what it now refuses")
    return {"check": CHECK, "severity": "critical", "object": s.change.get("object"), "reason": "SharedIdentifier",
            "message": message, "evidence": [s.victim.lines[0][:200]],
            "details": {"change_at": s.change.get("at"), "identifier": s.identifier,
                        "victim": str(s.victim.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(changed object, finding, evidence ids, the victim workload's pod) for each shared-identifier link."""
    return [(s.target, finding(s, facts.at), s.evidence, [Ref("Pod", s.victim.log.namespace, s.victim.log.pod),
                                                           s.victim.workload]) for s in found(facts)]
