"""A feature-flag source written so a key its clients evaluate is gone: every client silently serves the default.

Feature-flag SDKs (OpenFeature with the flagd provider, LaunchDarkly, Unleash, GO Feature Flag, Flipt) never
fail a request over a flag: when the provider does not know the key the client asks for, the evaluation ends
with the error code `FLAG_NOT_FOUND` (or `TYPE_MISMATCH` when the variants' type changed, `PARSE_ERROR`) and
the SDK returns the default the code passed in. A feature switches off for every user, a business metric drops
(a payment method's share, sign-ups), and nothing crashes. The clients and the flag daemon log it in their own
words (`flag evaluation failed ... errorCode=FLAG_NOT_FOUND flagKey=...`, `using default value`, `Flag not
found: ...`, `unknown feature flag ...`).

This module pairs a write in the last day to an object that holds flag definitions (an OpenFeature
`FeatureFlag`/`FeatureFlagConfiguration`, a ConfigMap with a flagd/GO Feature Flag/Unleash document, any
object whose content has a `flags`/`features` map) with those evaluation errors, read from the pods of the
incident's namespace and of the flag object's namespace (the flag daemon), from the write on. A key reported
missing that the object no longer defines, while a key of the same words does (`checkout-klarna-enabled` ->
`checkout.klarna.enabled`) or the previous version (last-applied configuration) had it, is the write's doing:
the finding names the flag object, the key old -> new, and that clients serve the default. Errors older than
the write, keys the object still defines, and keys it never had are not. Reading only; Secrets never read.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.flag_key_missing"
WEIGHT = 0.93
LEAD = timedelta(hours=24)
READS = "flag_key"
MAX_OBJECTS = 3
MAX_PODS = 4
"""Pods read per namespace, one per workload: the clients and the flag daemon."""

Call = Callable[..., Awaitable[Any]]

FLAG_KIND = re.compile(r"flag|feature|toggle", re.I)
"""Kinds and names of objects that may hold flag definitions (FeatureFlag, FeatureFlagConfiguration, a
`feature-flags` ConfigMap)."""
FLAG_WORDS = re.compile(r"\bflags?\b|defaultVariant|variants|variations|\"features\"|flagSpec", re.I)

CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"FLAG_NOT_FOUND|flag (?:was )?not found|unknown (?:feature )?flag|no such flag|flag \S+ (?:does "
                r"not exist|not found)|Flag not found", re.I), "FLAG_NOT_FOUND"),
    (re.compile(r"TYPE_MISMATCH|type mismatch", re.I), "TYPE_MISMATCH"),
    (re.compile(r"PARSE_ERROR", re.I), "PARSE_ERROR"),
)
"""The evaluation error codes of the OpenFeature spec and their plain-words forms."""

KEYS = (
    re.compile(r"\"?flag[_-]?key\"?\s*[:=]\s*[\"']?([\w.:/-]+)", re.I),
    re.compile(r"\"flag\"\s*:\s*\"([\w.:/-]+)\"", re.I),
    re.compile(r"\bflag[= ](?!not\b|was\b|evaluation\b)([\w.:/-]+[\w])\b(?=.*(?:not found|FLAG_NOT_FOUND|does not "
               r"exist))", re.I),
    re.compile(r"flag(?: key)? ['\"`]([\w.:/-]+)['\"`]", re.I),
    re.compile(r"Flag not found:? ['\"]?([\w.:/-]+)", re.I),
)
"""Where the key sits in SDK and daemon wording: `flagKey=...`, `"flagKey":"..."`, `flag 'x' not found`."""

REPEATED = re.compile(r"^repeated (\d+)x:\s*")
"""How the log tool prints a run of identical lines (their numbers masked): the run's length."""
DEFAULT = re.compile(r"\"?default[_ ]?value\"?\s*[:=]\s*\"?([\w.-]+)", re.I)


@dataclass
class Miss:
    """One evaluation error for a key: its code, when first seen, the line, and the default served."""

    key: str
    code: str
    first: datetime | None
    line: str
    pod: str
    namespace: str
    default: str = ""
    count: int = 1


@dataclass
class Fit:
    """A flag object written before its clients started missing a key it no longer defines."""

    target: Ref
    at: datetime
    old_key: str
    new_key: str
    how: str
    code: str
    default: str
    said: str
    count: int
    clients: list[Ref]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def normal(key: str) -> str:
    """A key's words without separators or case: `checkout-klarna-enabled` and `checkout.klarna.enabled` agree."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _document(value: Any) -> Any:
    """A string holding JSON or YAML (a ConfigMap's flags file) as its value; anything else as itself."""
    if isinstance(value, str) and len(value) < 512 * 1024 and (value.strip()[:1] in "{[" or (
            "\n" in value and ":" in value)):
        try:
            return json.loads(value)
        except ValueError:
            try:
                return yaml.safe_load(value)
            except yaml.YAMLError:
                return value
    return value


def flag_keys(value: Any, depth: int = 0) -> set[str]:
    """Every flag key a document defines: the keys of a `flags` map (flagd, OpenFeature), the `key`/`name` of a
    `flags`/`features` list (Unleash, LaunchDarkly exports), the top keys of a GO Feature Flag file (maps with
    `variations`)."""
    value = _document(value)
    out: set[str] = set()
    if depth > 8:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k) in ("flags", "features", "featureFlags") and isinstance(v, dict):
                out.update(str(x) for x in v)
            elif str(k) in ("flags", "features", "featureFlags") and isinstance(v, list):
                out.update(str(i.get("key") or i.get("name")) for i in v if isinstance(i, dict)
                           and (i.get("key") or i.get("name")))
            elif isinstance(v, dict) and ("variations" in v or "defaultVariant" in v) and depth <= 1:
                out.add(str(k))
            elif str(k) not in ("managedFields", "status"):
                out |= flag_keys(v, depth + 1)
    elif isinstance(value, list):
        for item in value:
            out |= flag_keys(item, depth + 1)
    return out


def _previous(obj: dict[str, Any]) -> set[str] | None:
    """The keys of the version before the last apply, from `kubectl.kubernetes.io/last-applied-configuration`
    when it differs from now (client-side apply keeps the applied document there)."""
    note = ((obj.get("metadata") or {}).get("annotations") or {}).get(
        "kubectl.kubernetes.io/last-applied-configuration")
    if not isinstance(note, str):
        return None
    try:
        applied = json.loads(note)
    except ValueError:
        return None
    return flag_keys(applied.get("spec") if "spec" in applied else applied.get("data")) if isinstance(
        applied, dict) else None


def _time(line: str) -> datetime | None:
    """When a log line was written: an ISO timestamp in it, or pino/zap's epoch `time`/`ts` field."""
    m = re.search(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)", line)
    if m:
        text = m.group(1).replace(" ", "T")
        return parse_time(text if re.search(r"Z|[+-]\d\d:?\d\d$", text) else text + "Z")
    m = re.search(r"\"(?:time|ts|timestamp)\"\s*:\s*(\d{10}(?:\.\d+)?|\d{13})\b", line)
    if m:
        number = float(m.group(1))
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    return None


def misses(text: str, pod: str, namespace: str) -> list[Miss]:
    """The evaluation errors of one log, one per key and code, with the first time each was seen."""
    out: dict[tuple[str, str], Miss] = {}
    for line in text.splitlines():
        code = next((name for pattern, name in CODES if pattern.search(line)), None)
        if code is None:
            continue
        key = next((m.group(1) for p in KEYS if (m := p.search(line))), None)
        if not key:
            continue
        when = _time(line)
        d = DEFAULT.search(line)
        r = REPEATED.match(line.strip())
        times = int(r.group(1)) if r else 1
        seen = out.get((key, code))
        if seen is None:
            out[(key, code)] = Miss(key, code, when, REPEATED.sub("", line.strip())[:300], pod, namespace,
                                    d.group(1) if d else "", times)
        else:
            seen.count += times
            if when is not None and (seen.first is None or when < seen.first):
                seen.first = when
            if d and not seen.default:
                seen.default = d.group(1)
    return list(out.values())


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {"objects": [], "misses": [], "evidence": []})


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime]]:
    """Writes within LEAD to objects that may hold flag definitions (by kind or name, or flag words written)."""
    out: list[tuple[dict[str, Any], Ref, datetime]] = []
    for change, _ in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or ref.kind == "Secret" or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        holds = FLAG_KIND.search(ref.kind) or (ref.kind in ("ConfigMap", "") and (
            FLAG_KIND.search(ref.name) or FLAG_WORDS.search(text)))
        if holds and not any(ref.same_object(r) for _, r, _ in out):
            out.append((change, ref, at))
    return out


def _renamed(key: str, now: set[str], before: set[str] | None) -> tuple[str, str] | None:
    """What became of a key the object no longer defines: (new key, how) for a same-words or near key, ('', how)
    when the previous version had it; None when nothing says the write took it away."""
    if key in now:
        return None
    same = [k for k in now if normal(k) == normal(key)]
    near = difflib.get_close_matches(key, sorted(now), n=1, cutoff=0.8)
    if same or near:
        return (same or near)[0], "renamed"
    if before is not None and key in before:
        return "", "removed"
    return None


def found(facts: Facts) -> list[Fit]:
    """Flag objects written before their clients began missing a key the write renamed or removed."""
    store = facts.reads.get(READS) or {}
    out: list[Fit] = []
    found_misses = [Miss(**m) for m in store.get("misses") or []]
    for entry in store.get("objects") or []:
        target, at = Ref.of(entry.get("ref")), parse_time(entry.get("at"))
        now, before = set(entry.get("keys") or []), entry.get("before")
        if target is None or at is None or not now:
            continue
        groups: dict[str, list[Miss]] = {}
        for miss in found_misses:
            groups.setdefault(miss.key, []).append(miss)
        best: Fit | None = None
        for key, group in groups.items():
            firsts = [m.first for m in group if m.first is not None]
            if firsts and min(firsts) < at - timedelta(minutes=1):
                continue  # the key was missing before this write
            fate = _renamed(key, now, set(before) if isinstance(before, list) else None)
            if fate is None and any(m.code == "TYPE_MISMATCH" for m in group) and key in now:
                fate = (key, "changed its variants' type")
            if fate is None:
                continue
            count = sum(m.count for m in group)
            if best is not None and count <= best.count:
                continue
            clients: list[Ref] = []
            for m in group:
                ref = Ref("", m.namespace, workload_of_pod(m.pod))
                if ref.namespace != target.namespace and not any(ref.same_object(c) for c in clients):
                    clients.append(ref)
            lead = next((m for m in group if m.namespace != target.namespace), group[0])
            default = next((m.default for m in group if m.default), "")
            best = Fit(target, at, key, fate[0], fate[1], lead.code, default, lead.line, count, clients,
                       int((facts.at - at).total_seconds() // 60),
                       [e for e in [*entry.get("evidence", []), *store.get("evidence", [])] if e])
        if best is not None:
            out.append(best)
    return out


def finding(f: Fit) -> dict[str, Any]:
    """The flag object, the key old -> new, the evaluation error code, and that clients serve the default."""
    if f.how == "renamed":
        what = f"renamed flag key {f.old_key} -> {f.new_key}"
    elif f.how == "removed":
        what = f"removed flag key {f.old_key}"
    else:
        what = f"{f.how} for flag key {f.old_key}"
    default = f" ({f.default})" if f.default else ""
    who = ", ".join(f"{c.namespace}/{c.name}" for c in f.clients) or "its clients"
    message = (f"{f.target} {what} {minutes_text(f.minutes_before)} before the incident: {who} still evaluate "
               f"the old flag key, the provider answers {f.code} and the SDK serves the default value{default}, "
               f"so the feature is silently off for every user ({f.count}x since the write: '{f.said[:160]}'). "
               f"Restore the old key (or keep both) until the clients read the new one")
    return {"check": CHECK, "severity": "critical", "object": {"kind": f.target.kind, "namespace":
                                                               f.target.namespace, "name": f.target.name},
            "reason": "FlagKeyMissing", "message": message, "evidence": [f.said[:200]],
            "details": {"old_key": f.old_key, "new_key": f.new_key, "code": f.code, "change_at": f.at.isoformat()}}


# ---- reading (survey) -----------------------------------------------------------------------------------


async def _logs(call: Call, namespace: str, store: dict[str, Any]) -> None:
    """The evaluation errors in one pod per workload of a namespace (lines with `flag` in them)."""
    pods = await call("k8s_list", {"kind": "pods", "namespace": namespace}, f"survey-flag-key-pods-{namespace}")
    rows = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
    seen: set[str] = set()
    for row in rows:
        name = str(row.get("name") or "") if isinstance(row, dict) else ""
        if not name or workload_of_pod(name) in seen or str(row.get("status") or "Running") != "Running":
            continue
        seen.add(workload_of_pod(name))
        if len(seen) > MAX_PODS:
            break
        got = await call("k8s_logs", {"name": name, "namespace": namespace, "grep": "flag", "tail": 3000},
                         f"survey-flag-key-logs-{name}")
        text = str(getattr(got, "full_text", "") or "") if got is not None and got.ok else ""
        found_misses = misses(text, name, namespace)
        if found_misses:
            store["misses"] += [m.__dict__ for m in found_misses]
            store["evidence"].append(got.evidence_id)


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only, when a flag-holding object was written in the last day: the object (its keys now and as last
    applied), then the flag evaluation errors of the incident's namespace and of the object's namespace."""
    writes = candidates(facts)
    if not writes:
        return
    store = _store(facts)
    namespaces: list[str] = []
    for change, ref, _ in writes[:MAX_OBJECTS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-flag-key-{ref.name}")
        if got is None:
            continue
        keys = flag_keys(got[0].get("spec") if "spec" in got[0] else got[0].get("data"))
        if not keys:
            continue
        before = _previous(got[0])
        store["objects"].append({"ref": {"kind": ref.kind or str(got[0].get("kind") or ""), "namespace":
                                         ref.namespace, "name": ref.name}, "at": change.get("at"),
                                 "keys": sorted(keys), "before": sorted(before) if before is not None else None,
                                 "evidence": [got[1], facts.changes_id or ""]})
        namespaces.append(ref.namespace)
    if not store["objects"]:
        return
    for namespace in dict.fromkeys([subject.namespace, *namespaces]):
        if namespace and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace):
            await _logs(call, namespace, store)
