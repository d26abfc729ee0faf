"""A callee's rollout that broke the response contract its callers read: a field renamed, removed or renumbered.

A service's new version can stay healthy by every measure of its own (Ready, 200/OK, no errors in its logs) while
the payload it answers no longer matches what its callers were built against: a JSON field renamed
(`unit_price` -> `unitPrice`) or removed, a protobuf field given a new field number (wire-incompatible: an old
reader never finds the field and reads its default, 0 or empty). The failure shows only on the caller's side,
in one of two shapes:

- the caller fails on a field it cannot find: Python's `KeyError: 'unit_price'`, JavaScript's
  `Cannot read properties of undefined (reading 'unit_price')`, Jackson's `Unrecognized field "unitPrice"` or
  missing creator property, Go's `json: unknown field "unitPrice"`, pydantic's `Field required`, Ruby's
  `key not found: :unit_price`;
- the caller reads the field's default value and acts on it: its failure lines (rejections, warnings,
  errors) all carry the same field at 0 / empty / null (`available_qty=0`, `"price": null`).

When the callee is an Argo Rollout or a Flagger canary, only the share of calls the canary answers fails.

The survey (`read`, reading only) looks at the callers whose logs it read: their lines since the start of the
symptom, the addresses their env names (`http://name.ns.svc/...`, `name.ns.svc:port`) or their field-failure lines
name (the endpoint a failed call went to), and the recent rollouts
of the workloads behind those addresses (from the change timeline). A callee is named when it rolled out before
the caller's first such line and none of those lines predate the rollout (a caller that already failed that way
is not failing because of it). `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.callee_contract"
WEIGHT = 0.93
"""A callee's rollout whose callers fail on (or read the default of) one response field since: stronger than
the callers' own symptom and a bare 'rolled out before' change."""
RECORD_KIND = "vigil.dev/CalleeContract"
LEAD = timedelta(hours=6)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Rollout", "DaemonSet")
MAX_CALLERS = 3
MIN_DEFAULTED = 5
"""Failure lines carrying the same field at its default before the zero counts as the pattern, not a chance."""
Call = Callable[..., Awaitable[Any]]

MISSING = [
    re.compile(r"\bKeyError: ['\"](?P<f>[\w.-]+)['\"]"),
    re.compile(r"Cannot read propert(?:y|ies) of (?:undefined|null) \(reading ['\"](?P<f>[\w.-]+)['\"]\)"),
    re.compile(r"undefined is not an object \(evaluating '[\w.]*\.(?P<f>\w+)'\)"),
    re.compile(r"Unrecognized field \\?\"(?P<f>[\w.-]+)\\?\""),
    re.compile(r"[Mm]issing (?:required )?(?:creator )?(?:property|field|key) ['\"]?(?P<f>[\w.-]+)"),
    re.compile(r"json: unknown field \\?\"(?P<f>[\w.-]+)\\?\""),
    re.compile(r"key not found: :?['\"]?(?P<f>[\w.-]+)"),
    re.compile(r"No such (?:field|key|property):? ['\"]?(?P<f>[\w.-]+)"),
    re.compile(r"JSONObject\[\\?\"(?P<f>[\w.-]+)\\?\"\] not found"),
    re.compile(r"\b(?P<f>[a-z][\w.]*)\n?\s+Field required"),
    re.compile(r"Cannot query field \\?\"(?P<f>[\w.-]+)\\?\" on type"),
    re.compile(r"Field '(?P<f>[\w.-]+)' in type '[\w.-]+' is undefined"),
    re.compile(r"The field [`'\"](?P<f>[\w.-]+)[`'\"] does not exist on the type"),
    re.compile(r"cannot unmarshal \w+ into Go struct field (?:[\w]+\.)*(?P<f>\w+) of type"),
    re.compile(r"Cannot find field: (?P<f>[\w.-]+) in message"),
    re.compile(r"Cannot read property ['\"](?P<f>[\w.-]+)['\"] of (?:undefined|null)"),
    re.compile(r"\bmissing field `(?P<f>[\w.-]+)`"),
    re.compile(r"Field '(?P<f>[\w.-]+)' is required for type with serial name"),
    re.compile(r"was missing required properties,? including the following: (?P<f>[\w.-]+)"),
    re.compile(r"Undefined (?:array key|index):? ['\"]?(?P<f>[\w.-]+)"),
]
"""How a caller says a response field it reads is not there or no longer has the type it was built for (Python,
JavaScript old and new V8 wording, Jackson, Go's `unknown field` and `cannot unmarshal ... into Go struct field`,
Ruby, org.json, pydantic, GraphQL's `Cannot query field` (graphql-js, gqlgen), graphql-java's `Field 'x' in type
'Y' is undefined`, Hot Chocolate's `The field `x` does not exist on the type`, protobuf JsonFormat's `Cannot find
field`, Rust serde's `missing field`, kotlinx.serialization, System.Text.Json's required properties, PHP's
undefined key): the field's name is group `f`. A bare `undefined is not a function` or a gRPC INVALID_ARGUMENT
that names no field is not one."""
_FAILURE = re.compile(r"\blevel=\"?(?:warn|warning|error|err|fatal)\b|\"level\"\s*:\s*\"(?:warn|warning|error|fatal)\"|"
                      r"\b(?:WARN|WARNING|ERROR|FATAL)\b|\b(?:reject\w*|fail\w*|denied|invalid|refus\w*)\b", re.I)
"""A line that reports a failure or a refusal: where a caller acts on a value it misread."""
_PAIR = re.compile(r"(?:(?<=\s)|^|(?<=[{,]))\"?(?P<k>[A-Za-z][\w.]*[A-Za-z_])\"?\s*[=:]\s*"
                   r"(?P<v>\"[^\"]*\"|[^\s,}]+)")
_DEFAULTS = frozenset({"0", "0.0", "\"\"", "''", "null", "nil", "none", "\"0\"", "false", "[]", "{}"})
_NOT_FIELDS = frozenset({"level", "lvl", "msg", "message", "ts", "time", "timestamp", "caller", "logger", "status",
                         "code", "error", "err", "errors", "retry", "retries", "attempt", "exit", "exitcode",
                         "restarts", "duration", "elapsed", "took", "latency", "pid", "line", "bytes", "size", "len",
                         "length", "bytes_sent", "bytes_received", "body_bytes_sent", "content_length", "port",
                         "tid", "thread", "goroutine", "offset", "partition"})
"""Keys a log line carries about itself, not a value read from a response."""
_STAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)")
"""The first timestamp of a line: the runtime's prefix, logfmt's `time=`, JSON's `"ts":`."""
_ADDRESS = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://)?(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\."
                      r"(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.svc(?:\.[a-z.]+)?)?(?::\d+)?(?=[/\s:'\"]|$)")
_TAG = re.compile(r":([\w][\w.-]{0,40})$")


@dataclass(frozen=True)
class Signal:
    """What a caller's lines say about one response field."""

    shape: str
    """`missing` (the caller fails on a field it cannot find) or `default` (it acts on the field's default)."""
    field_name: str
    line: str
    count: int
    first: datetime | None
    before: bool = False
    """Whether a line of that shape (same field) predates the callee's rollout."""


@dataclass
class Broken:
    """A callee rollout and the caller whose lines show the contract it broke."""

    callee: Ref
    caller: str
    caller_namespace: str
    address: str
    signal: Signal
    change: dict[str, Any]
    minutes_before: int
    version: str = ""
    canary: str = ""
    evidence: list[str] = field(default_factory=list)


def _stamp(line: str) -> datetime | None:
    m = _STAMP.search(line[:80])
    return parse_time(m.group(1).replace(" ", "T").replace(",", ".")) if m else None


def _raw(text: str) -> list[str]:
    """The log answer's own lines: without its header, its `repeated Nx:` shapes (numbers masked as `#`) and its
    `[... left out]` notes."""
    return [ln for ln in text.splitlines()[1:]
            if ln.strip() and not ln.startswith(("repeated ", "[", "===="))]


def missing_fields(lines: list[str]) -> dict[str, tuple[str, int, datetime | None]]:
    """Each field the caller's lines say it could not find: (the first such line, how many, when first)."""
    out: dict[str, tuple[str, int, datetime | None]] = {}
    for line in lines:
        for pattern in MISSING:
            m = pattern.search(line)
            if m is None:
                continue
            name = m.group("f").strip(".")
            if name.isupper():
                break  # an env var or constant (`KeyError: 'DATABASE_URL'`), not a response field
            line_, count, first = out.get(name, (line.strip(), 0, _stamp(line)))
            out[name] = (line_, count + 1, first)
            break
    return out


def defaulted_fields(lines: list[str]) -> dict[str, tuple[str, int, datetime | None]]:
    """Each field that every failure line carrying it holds at its default (0, empty, null), seen on at least
    `MIN_DEFAULTED` failure lines: the value a decoder gives a field it no longer finds on the wire."""
    seen: dict[str, list[tuple[str, bool]]] = {}
    for line in lines:
        if not _FAILURE.search(line):
            continue
        body = line.strip()
        for pair in _PAIR.finditer(body):
            key = pair.group("k")
            if key.lower() in _NOT_FIELDS or key.lower().endswith(("_id", "id", "time", "_at")):
                continue
            seen.setdefault(key, []).append((line.strip(), pair.group("v").strip().lower() in _DEFAULTS))
    out: dict[str, tuple[str, int, datetime | None]] = {}
    for key, rows in seen.items():
        if len(rows) >= MIN_DEFAULTED and all(d for _, d in rows):
            out[key] = (rows[0][0], len(rows), _stamp(rows[0][0]))
    return out


def addresses(workload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(Service name, namespace, the value) of each in-cluster address a workload's env or args name."""
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    values: list[str] = []
    for c in spec.get("containers") or []:
        values += [str(e.get("value")) for e in c.get("env") or [] if isinstance(e, dict) and e.get("value")]
        values += [str(a) for a in [*(c.get("args") or []), *(c.get("command") or [])]]
    out: list[tuple[str, str, str]] = []
    for value in values:
        for m in _ADDRESS.finditer(value):
            if ".svc" in m.group(0) or re.search(r":\d+", m.group(0)):
                out.append((m.group("name"), m.group("ns"), value))
    return list(dict.fromkeys(out))


def line_addresses(lines: list[str]) -> list[tuple[str, str, str]]:
    """(Service name, namespace, the line) of each in-cluster address a caller's own field-failure lines name.

    Many clients log the endpoint a failed call went to (`"upstream":"http://search.catalog:4000/graphql"`,
    `POST http://quotes.rates.svc:8080/v2/quote failed`, Apollo's `url`, Go's `Post "http://..."`), while the
    address they read may sit in a file or a constant, not the env. Only the lines that carry a missing-field
    signal count: the address those failures name is the callee whose response lacked the field."""
    out: list[tuple[str, str, str]] = []
    for line in lines:
        if not any(pattern.search(line) for pattern in MISSING):
            continue
        for m in _ADDRESS.finditer(line):
            if ".svc" in m.group(0) or re.search(r":\d+", m.group(0)):
                out.append((m.group("name"), m.group("ns"), m.group(0)))
    return list(dict.fromkeys(out))


def canary_share(rollout: dict[str, Any]) -> str:
    """`50% of the traffic (setWeight 50, 2/4 replicas on the new version)`: the share of calls an Argo Rollout's
    canary takes now, from its steps up to the current one; Flagger's status.canaryWeight; "" when neither says."""
    status = rollout.get("status") or {}
    if isinstance(status.get("canaryWeight"), (int, float)) and status["canaryWeight"]:
        return f"{status['canaryWeight']}% of the traffic (Flagger canaryWeight)"
    steps = (((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}).get("steps") or []
    index = status.get("currentStepIndex")
    if not isinstance(index, int) or not steps:
        return ""
    weights = [int(s["setWeight"]) for s in steps[:index + 1] if isinstance(s, dict) and s.get("setWeight")]
    if not weights or weights[-1] >= 100:
        return ""
    updated, total = status.get("updatedReplicas"), status.get("replicas")
    pods = f", {updated}/{total} replicas on the new version" if updated is not None and total else ""
    return f"{weights[-1]}% of the traffic (setWeight {weights[-1]}{pods})"


def version_of(workload: dict[str, Any], change: dict[str, Any]) -> str:
    """The new version the rollout runs: the `old -> new` tag its change line names, else its image's tag."""
    said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
    arrow = re.search(r":([\w][\w.-]{0,40}) -> \S+?:([\w][\w.-]{0,40})\b", said)
    if arrow:
        return f"{arrow.group(1)} -> {arrow.group(2)}"
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    tags = [m.group(1) for c in spec.get("containers") or [] if (m := _TAG.search(str(c.get("image") or "")))]
    return tags[0] if tags else ""


def _rollouts(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to workloads (any of `WORKLOAD_KINDS`) that touched their pod template or image."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, _, target in facts.writes_to(WORKLOAD_KINDS, within=LEAD, deletions=False):
        said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
        if not re.search(r"image|template|rolled out|revision", said):
            continue
        if not any(t.same_object(target) for _, t in out):
            out.append((change, target))
    return out


def signals(lines: list[str], since: datetime) -> list[Signal]:
    """The contract signals of a caller's lines, each marked when a line of it predates `since`."""
    out: list[Signal] = []
    for shape, found in (("missing", missing_fields(lines)), ("default", defaulted_fields(lines))):
        for name, (line, count, first) in found.items():
            out.append(Signal(shape, name, line, count, first, before=first is not None and first < since))
    return sorted(out, key=lambda s: (s.shape != "missing", -s.count))


def _caller_pods(facts: Facts) -> list[tuple[str, str]]:
    """(pod, namespace) of the alert's subject (its topology's pods), then of each workload whose logs the survey
    read: the callers whose lines may show a contract their callee broke (a caller that only warns is not in
    the survey's failing logs, yet its subject's topology names it)."""
    pods: list[tuple[str, str]] = []
    if facts.topologies:
        pods += [(str(p.get("name")), str(p.get("namespace") or "")) for p in facts.topologies[0][0].get("pods") or []
                 if isinstance(p, dict) and p.get("name") and p.get("namespace")]
    pods += [(log.pod, log.namespace) for log in facts.logs if log.pod and log.namespace]
    return pods


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each caller's recent lines, its env's addresses, and the callee rollouts behind them."""
    rollouts = _rollouts(facts)
    if not rollouts:
        return
    seen: set[tuple[str, str]] = set()
    for pod, namespace in _caller_pods(facts):
        caller = (namespace, workload_of_pod(pod))
        if caller in seen or len(seen) >= MAX_CALLERS:
            continue
        seen.add(caller)
        got = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 300},
                         f"survey-contract-{pod}")
        if got is None or not got.ok:
            continue
        lines = _raw(str(got.full_text))
        if not missing_fields(lines) and not defaulted_fields(lines):
            continue
        workload = await get_yaml(call, "Deployment", caller[1], caller[0], f"survey-contract-caller-{caller[1]}")
        if workload is None:
            continue
        for name, namespace, value in list(dict.fromkeys([*addresses(workload[0]), *line_addresses(lines)])):
            for change, target in rollouts:
                if target.namespace != namespace or target.name != name:
                    continue
                when = parse_time(change.get("at"))
                if when is None:
                    continue
                usable = [s for s in signals(lines, when) if not s.before]
                if not usable:
                    continue
                callee = await get_yaml(call, target.kind, target.name, target.namespace,
                                        f"survey-contract-callee-{target.name}")
                obj = callee[0] if callee else {}
                facts.objects.append(({"kind": RECORD_KIND, "broken": Broken(
                    target, caller[1], caller[0], value, usable[0], change,
                    int((facts.at - when).total_seconds() // 60), version_of(obj, change),
                    canary_share(obj) if target.kind == "Rollout" or obj.get("kind") == "Canary" else "",
                    [e for e in (facts.changes_id or "", got.evidence_id, workload[1],
                                 callee[1] if callee else "") if e])}, ""))
                return


def finding(b: Broken) -> dict[str, Any]:
    """What the callee's new version broke, for which caller, and the caller's own words, meaning first."""
    version = f" {b.version}" if b.version else ""
    if b.canary:
        rolled = f"{b.callee}'s canary{version} ({b.canary})"
        share = f"on the {b.canary.split('%')[0]}% of calls the canary answers"
    else:
        rolled = f"{b.callee}'s rollout{version}"
        share = "on every call since"
    when = f"{minutes_text(b.minutes_before)} before the incident"
    if b.signal.shape == "missing":
        meaning = (f"changed the response contract its caller {b.caller_namespace}/{b.caller} reads: the field "
                   f"{b.signal.field_name} is renamed or removed in the new version's response, and the caller, "
                   f"built against the old one, fails on it {share} ({b.signal.count} lines: "
                   f"'{b.signal.line[:160]}')")
    else:
        meaning = (f"changed the response contract its caller {b.caller_namespace}/{b.caller} reads: since then the "
                   f"caller's failures all carry {b.signal.field_name} at its default value ({b.signal.count} "
                   f"lines), the value a decoder gives a field it no longer finds where it was: a protobuf field "
                   f"number changed (wire-incompatible) or a JSON field renamed in the new version, so the caller "
                   f"reads the default, not the callee's answer ('{b.signal.line[:160]}')")
    message = (f"{rolled}, {when}, {meaning}. The callee itself looks healthy; roll it back or make the change "
               f"compatible (keep the old field/number) before the callers move")
    return {"check": CHECK, "severity": "critical", "object": {"kind": b.callee.kind,
                                                               "namespace": b.callee.namespace,
                                                               "name": b.callee.name},
            "reason": "ResponseContractBroken", "message": message,
            "evidence": [b.signal.line[:200], f"caller address {b.address[:120]}"],
            "details": {"field": b.signal.field_name, "shape": b.signal.shape, "caller": b.caller,
                        "version": b.version, "canary": b.canary, "change_at": b.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The callee whose rollout broke the contract, explaining the caller's failures."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for obj, _ in facts.objects:
        b = obj.get("broken") if obj.get("kind") == RECORD_KIND else None
        if isinstance(b, Broken):
            out.append((b.callee, finding(b), list(dict.fromkeys(b.evidence)),
                        [Ref("Deployment", b.caller_namespace, b.caller)]))
    return out
