"""A config object written just before its reader began crash-looping on a data error: the data is the cause.

Controllers and services that load configuration from the cluster (an operator's informer over a custom kind, a
policy engine compiling every policy object, a gateway or rate limiter reading its rules from a ConfigMap) crash at
start-up when one object holds what their code does not expect: a field left blank (`perRegion: null`, an empty
string), a list where a map was expected, a number that does not parse. The crash is in the READER (Java's
`NullPointerException ... because the return value of "...getPerRegion()" is null`, Jackson's
`MismatchedInputException`, Go's `nil pointer dereference` / `cannot unmarshal`, Python's `'NoneType' object is not
subscriptable` / `KeyError`, Node's `Cannot read properties of null`), every replica fails the same way because each
one reads the same object, and everything calling the reader fails after it (an ext_authz gateway failing closed
with 403 UAEX, a webhook's `failurePolicy: Fail`). Rolling the reader back does not help; fixing or deleting the
object does.

`found` (pure over the facts) names a written object when: a workload crash-loops (scan `pod.crashloop`, or a
previous container's logs read) with an error that is about DATA (null/missing value, parse or type mismatch); a
ConfigMap or an object of a custom kind (not a built-in workload kind) was created or written within WINDOW before
the incident; and the reader is tied to it by what it printed: its error or last lines name the object
(`partners/partner-burst-limits`), or the error names a field the write set blank or changed (`getPerRegion()` is
the written `spec.limits.perRegion = null`), or the timeline says the reader uses it (a mounted ConfigMap), or its
words name the object's custom kind (`informer for BackupPlans`) and that object is the only one of it written.
Twin: the reader itself rolled out a new image in the same window (new code may be what fails: the rollout
classes name it), or nothing ties the object to the reader. Values are read only from the timeline's diff of a
non-Secret object.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "config.data_crashes_reader"
WEIGHT = 0.93
"""The object whose data crashes its reader outranks the crash loop it causes and the callers failing after it."""
WINDOW = timedelta(hours=6)
"""How long before the incident a write still counts (a reader restarts into the same crash for hours)."""
ROLLOUT_NEAR = timedelta(hours=1)
"""A rollout of the reader's own image this close to the write makes new code as likely as the data: not this."""

BUILTIN = frozenset({
    "deployment", "statefulset", "daemonset", "replicaset", "pod", "job", "cronjob", "service", "secret",
    "namespace", "node", "persistentvolumeclaim", "persistentvolume", "serviceaccount", "role", "rolebinding",
    "clusterrole", "clusterrolebinding", "horizontalpodautoscaler", "poddisruptionbudget", "networkpolicy",
    "ingress", "endpoints", "endpointslice", "storageclass", "priorityclass", "limitrange", "resourcequota",
    "helmrelease"})
"""Kinds that are not configuration DATA a reader parses (workloads, access, scheduling): other classes."""

DATA_ERROR = re.compile(
    r"NullPointerException|because the return value of .{0,200}? is null|because \"[^\"]+\" is null|"
    r"MismatchedInputException|JsonMappingException|JsonParseException|InvalidFormatException|"
    r"UnrecognizedPropertyException|NumberFormatException|DateTimeParseException|ClassCastException|"
    r"nil pointer dereference|cannot unmarshal|json: unknown field|yaml: unmarshal errors|error unmarshal|"
    r"invalid character .{1,20} looking for|strconv\.\w+: parsing|"
    r"'NoneType' object (?:is not subscriptable|has no attribute|is not iterable)|\bKeyError\b|"
    r"ValidationError|could not (?:convert|parse)|TypeError: Cannot read propert(?:y|ies) of (?:null|undefined)|"
    r"(?:null|undefined) is not an object|Cannot convert undefined or null|SyntaxError: Unexpected token|"
    r"mapping values are not allowed|expected (?:a |an )?(?:map|object|string|number|array|list)|"
    # .NET: NullReferenceException, System.Text.Json / Newtonsoft conversion, FormatException
    r"NullReferenceException|Object reference not set to an instance of an object|JSON value could not be "
    r"converted|JsonSerializationException|JsonReaderException|Input string was not in a correct format|"
    # Rust (serde, unwrap on a missing value), Kotlin (jackson-module-kotlin, non-null parameters)
    r"missing field `|invalid type: \w+|unknown variant `|called `Option::unwrap\(\)` on a `None` value|"
    r"MissingKotlinParameterException|Parameter specified as non-null is null|"
    # Go: nil interface conversion, an empty list indexed, a bad duration; Java enums and SnakeYAML
    r"interface conversion: interface \{\} is nil|index out of range \[\d+\] with length 0|time: invalid duration|"
    r"No enum constant|org\.yaml\.snakeyaml\.\w+\.\w+Exception|"
    # Python (int('') / float(None), PyYAML, json), Ruby (nil, Psych), Node (JSON.parse of '')
    r"invalid literal for int\(\) with base|could not convert string to float|yaml\.(?:scanner|parser)\.\w+Error|"
    r"JSONDecodeError|undefined method [`'][^`']+' for nil|Psych::SyntaxError|Unexpected end of JSON input", re.I)
"""A crash about the DATA being handled (a null, a missing key, a value of the wrong type or syntax), as the
runtimes word it: Java/Jackson, .NET, Go, Rust/serde, Kotlin, Python, Ruby, Node."""
_ACCESSOR = re.compile(r"\b(?:get|is)([A-Z]\w*)\(\)|\"(\w+)\" is null|'(\w+)'\]?|\.(\w+) is (?:null|undefined)|"
                       r"field (\w+)|key (\w+)|properties of (?:null|undefined) \(reading '(\w+)'\)|"
                       r"(?:missing|unknown) field `(\w+)`|undefined method [`'](\w+)' for nil")
"""Where an error names a field: a Java getter (`getPerRegion()` -> perRegion), a quoted key, `reading 'x'`."""
_BLANK = re.compile(r"=\s*(?:null|None|''|\"\"|\[\]|\{\})\s*$|\bremoved\b|-> (?:null|''|\"\")\s*$", re.I)
_FIELD = re.compile(r"^([\w.\[\]-]+)\s*(?:=|:|->|changed|removed|set)")


@dataclass
class DataCrash:
    """A config object written shortly before its reader began to crash on a data error."""

    target: Ref
    written: datetime
    how: str
    """`created by kubectl-client-side-apply`, `updated by helm`."""
    fields: list[str]
    """The written fields the error names (blank ones first), or the whole diff's first items."""
    blank: bool
    reader: Ref
    error: str
    tie: str
    """What ties the reader to the object, in words."""
    log: LogEvidence
    evidence: list[str] = field(default_factory=list)


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _crashing(facts: Facts) -> set[tuple[str, str]]:
    """(namespace, workload) the scan says crash-loops."""
    out = set()
    for f in facts.findings():
        if str(f.get("check")) in ("pod.crashloop", "pod.restarting", "pod.start_error"):
            ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
            if ref is not None:
                out.add((ref.namespace, ref.name))
    return out


def _texts(log: LogEvidence) -> list[str]:
    out = []
    for error in [*([log.top] if log.top else []), *log.more]:
        out += [str(error.get(k) or "") for k in ("example", "message", "template", "exception")]
    return [t for t in out if t] + list(log.last_lines)


def data_error(log: LogEvidence) -> str:
    """The log's error about data, as printed, or ''."""
    for error in [*([log.top] if log.top else []), *log.more]:
        for key in ("example", "message", "template"):
            text = str(error.get(key) or "")
            if DATA_ERROR.search(text):
                exception = str(error.get("exception") or "")
                return text if not exception or exception in text else f"{exception}: {text}"
    return next((ln for ln in log.last_lines if DATA_ERROR.search(ln)), "")


def named_fields(error: str) -> set[str]:
    """The field names an error names, normalised (`getPerRegion()` -> `perregion`)."""
    out = set()
    for m in _ACCESSOR.finditer(error):
        name = next((g for g in m.groups() if g), "")
        if name and len(name) > 2:
            out.add(_words(name))
    return out


def _written_fields(change: dict[str, Any]) -> list[tuple[str, bool]]:
    """(field path, whether the write left it blank) for each diff line of the change."""
    out = []
    for line in change.get("diff") or []:
        m = _FIELD.match(str(line).strip())
        if m:
            out.append((m.group(1), bool(_BLANK.search(str(line)))))
    return out


def _own_rollout(facts: Facts, reader: Ref, near: datetime) -> bool:
    """Whether the reader rolled out a new image close to the write (its new code may be what crashes)."""
    for change, _ in facts.every_change():
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or when is None or change.get("type") != "rollout":
            continue
        if target.name == reader.name and target.namespace == reader.namespace and abs(when - near) <= ROLLOUT_NEAR:
            text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
            if re.search(r"\bimage\b", text):
                return True
    return False


def _used_by(change: dict[str, Any], reader: Ref) -> bool:
    """Whether the timeline says the written object is used by the reader (a ConfigMap it mounts or reads)."""
    for r in change.get("related") or []:
        user = Ref.of(r)
        if user is not None and user.name == reader.name and user.namespace in ("", reader.namespace):
            return True
    return False


_AUTHZ = re.compile(r"UAEX|ext_authz_(?:error|denied)|external authori[sz]ation (?:failed|error)|"
                    r"auth_request (?:unexpected status|failed)", re.I)
"""A caller's proxy failing a request because its external authorization service did not answer (Envoy ext_authz
failing closed, nginx auth_request)."""


def _callers(facts: Facts, reader: Ref) -> list[tuple[Ref, str]]:
    """Other surveyed workloads whose proxy fails requests on its external authorization check, with the line."""
    out: list[tuple[Ref, str]] = []
    for log in facts.logs:
        workload = Ref("", log.namespace, workload_of_pod(log.pod))
        if workload == reader or any(w == workload for w, _ in out):
            continue
        line = next((t for t in _texts(log) if _AUTHZ.search(t)), "")
        if line:
            out.append((workload, line))
    return out


def _kind_named(kind: str, said: str) -> bool:
    """Whether the reader's words name a custom kind (`QuotaPolicy`, `quotapolicies`, `quota policy`)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "[ _-]?", kind)
    return re.search(rf"\b{spaced}(?:s|es|ies)?\b|\b{kind[:-1]}ies\b", said, re.I) is not None


def _written_of_kind(facts: Facts, kind: str) -> int:
    """How many distinct objects of a kind the timeline shows written within WINDOW."""
    names = set()
    for _, _, target in facts.writes_to((kind,), within=WINDOW):
        names.add((target.namespace, target.name))
    return len(names)


def found(facts: Facts) -> list[DataCrash]:
    """For each crash-looping reader whose error is about data, the config object written before that it reads."""
    crashing = _crashing(facts)
    out: list[DataCrash] = []
    seen: set[tuple[str, str]] = set()
    for log in facts.logs:
        reader = Ref("", log.namespace, workload_of_pod(log.pod))
        if (reader.namespace, reader.name) in seen:
            continue
        if not log.previous and (reader.namespace, reader.name) not in crashing:
            continue
        error = data_error(log)
        if not error:
            continue
        said = " ".join(_texts(log))
        fields_named = named_fields(error)
        best: tuple[tuple[int, datetime], DataCrash] | None = None
        for change, evidence in facts.every_change():
            target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
            if target is None or when is None or target.kind.lower() in BUILTIN:
                continue
            if not facts.at - WINDOW <= when <= facts.at:
                continue
            written = _written_fields(change)
            hit = [(f, b) for f, b in written if _words(f.rsplit(".", 1)[-1]) in fields_named]
            full = f"{target.namespace}/{target.name}" if target.namespace else target.name
            ties = []
            if full in said or re.search(rf"(?<![\w-]){re.escape(target.name)}(?![\w-])", said):
                ties.append(f"its log names {full}")
            if hit:
                ties.append(f"its error names the written field {hit[0][0].rsplit('.', 1)[-1]}")
            if _used_by(change, reader):
                ties.append(f"it reads {target.kind} {target.name}")
            if not ties and target.kind != "ConfigMap" and _kind_named(target.kind, said) \
                    and _written_of_kind(facts, target.kind) == 1:
                ties.append(f"its log names the kind {target.kind}, and {full} is the only one written")
            if not ties:
                continue  # nothing says this reader reads this object
            if _own_rollout(facts, reader, when):
                continue  # the reader's own new image at the same time: new code as likely as the data
            summary = str(change.get("summary") or "")
            how = re.search(r"\b((?:created|updated|written) by [\w.,-]+)", summary)
            ordered = sorted(hit, key=lambda fb: not fb[1]) or written[:2]
            crash = DataCrash(target, when, how.group(1) if how else "written", [f for f, _ in ordered],
                              any(b for _, b in hit), reader, error[:240], " and ".join(ties), log,
                              [e for e in (evidence, log.evidence_id) if e])
            key = (len(ties) + (2 if hit else 0), when)
            if best is None or key > best[0]:
                best = (key, crash)
        if best is not None:
            seen.add((reader.namespace, reader.name))
            out.append(best[1])
    return out


def _diff_line(change_fields: list[str], facts: Facts, target: Ref) -> str:
    for change, _ in facts.every_change():
        if Ref.of(change.get("object")) == target:
            lines = [str(d) for d in change.get("diff") or [] if any(str(d).startswith(f) for f in change_fields)]
            return "; ".join(lines[:2])
    return ""


def _short(error: str) -> str:
    """The error with package paths dropped (`java.lang.NullPointerException` -> `NullPointerException`,
    `dev.acme.quota.model.Limits.getPerRegion()` -> `Limits.getPerRegion()`) so the field it names fits early."""
    return re.sub(r"\b(?:[a-z_][\w$]*\.)+(?=[A-Z])", "", error)


def _authz_quote(line: str) -> str:
    """The proxy's own mark of the failed check (`403 UAEX ext_authz_error`), not the whole access line."""
    hit = _AUTHZ.search(line)
    if hit is None:
        return line[:80]
    status = list(re.finditer(r"\b[45]\d\d\b", line[:hit.start()]))
    start = status[-1].start() if status and hit.start() - status[-1].start() < 40 else hit.start()
    return line[start:hit.end()].strip()


def finding(crash: DataCrash, facts: Facts) -> dict[str, Any]:
    """The object's finding: its write, the field, the reader's crash on it, and what that means."""
    ago = minutes_text(int((facts.at - crash.written).total_seconds() // 60))
    reader = f"{crash.reader.namespace}/{crash.reader.name}"
    written = _diff_line(crash.fields, facts, crash.target)
    field_words = (f" with {written}" if written else "")
    blank = " (left blank)" if crash.blank else ""
    callers = _callers(facts, crash.reader)
    after = (f"; {callers[0][0].namespace}/{callers[0][0].name}'s ext_authz check on it fails closed "
             f"('{_authz_quote(callers[0][1])}')") if callers else ""
    message = (f"{crash.target} was {crash.how} at {crash.written.strftime('%H:%M')} ({ago} before the alert)"
               f"{field_words}{blank}, and {reader}, which reads it, crash-loops on that data: "
               f"'{_short(crash.error)[:160]}'{after}. The object's data is the cause, not the reader's code "
               f"({crash.tie}; "
               f"its image did not change): fix the field or remove {crash.target} and {crash.reader.name} starts "
               f"again; whatever calls {crash.reader.name} fails until then")
    return {"check": CHECK, "severity": "critical", "reason": "ConfigDataCrashesReader",
            "object": {"kind": crash.target.kind, "namespace": crash.target.namespace, "name": crash.target.name},
            "message": message, "evidence": [crash.error[:200]],
            "details": {"reader": reader, "fields": crash.fields, "tie": crash.tie,
                        "written": crash.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The config object whose data crashes its reader; it explains the reader."""
    return [(c.target, finding(c, facts), c.evidence, [c.reader, *(w for w, _ in _callers(facts, c.reader))])
            for c in found(facts)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the change timeline's diff and the crash-looping reader's logs, already surveyed, suffice."""
    return None
