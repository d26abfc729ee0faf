"""A rollout that rendered a setting EMPTY (`--max-conns=`, `VAR=""`): the template's value went missing.

A chart upgrade that adds or renames a value renders it from the release's values; when the upgrade reuses
the old release's values (`helm upgrade --reuse-values`, Argo CD/Flux values kept from a previous chart), the
new chart's defaults never arrive and `{{ .Values.x }}` renders as nothing. The container then starts with a
flag whose value is the empty string, or an env var set to "", and the program refuses it (Go's `flag`:
`invalid value "" for flag -x`, a Java `NumberFormatException: For input string: ""`, Python's `invalid int
value: ''`) and exits. The image bump in the same rollout is the obvious suspect and usually innocent: the
cause is the empty value and the values that produced it. Read from the rollout's own diff (args and env, old
-> new), held against the workload's own crash or error log, with the chart version (`helm.sh/chart`) of the
workload read once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.arg_flags import flags
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import Call, get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.empty_value"
WEIGHT = 0.95
"""An empty value the program refuses is the cause of its crash, above the crash itself and the image bump."""

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
WITHIN = timedelta(hours=6)
BARE = "\0bare"
"""A flag given with no value at all (`--daemonize`): a switch, not an empty value."""

ARGS = re.compile(r"^(?P<container>\S+) (?:args|command) (?P<old>\[.*\]|None) -> (?P<new>\[.*\])$")
ENV = re.compile(r"^(?P<container>\S+) env (?P<old>.+?) -> (?P<key>[A-Za-z_][\w.-]*)=(?P<new>''|\"\"|None|<unset>)$")
EMPTY_REFUSED = re.compile(r"invalid (?:\w+ )?value \"\"|invalid (?:\w+ )?value: ''|For input string: \"\"|"
                           r"(?:empty|blank) (?:value|string)|must not be (?:empty|blank)|cannot be empty|"
                           r"strconv\.\w+: parsing \"\"|parse error|ParseIntError|invalid digit|"
                           r"invalid literal for \w+\(\) with base \d+: ''|could not convert string to \w+: ''|"
                           r"cannot parse \w+ from empty string|invalid duration \"\"|"
                           r"Input string was not in a correct format|\(NaN\)|\bis NaN\b|got NaN\b", re.I)
"""Programs' words for refusing an empty setting: Go flag/strconv/time.ParseDuration, Java's NumberFormatException,
Python's int('')/float('') and argparse, Rust's ParseIntError, .NET's FormatException, Node's NaN from
parseInt('') (`Received type number (NaN)`), validators."""
CHART = re.compile(r"-v?(\d+\.\d+\.\d+[\w.+-]*)$")


@dataclass
class Emptied:
    """A workload's setting a recent rollout rendered empty, and the workload's log that refuses it."""

    target: Ref
    key: str
    before: str
    minutes: int
    log: LogEvidence | None
    said: str
    cause: str
    chart: str
    evidence: list[str]


def _args(text: str) -> list[str] | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def emptied_keys(diff: list[str]) -> list[tuple[str, str, str]]:
    """(container, key, old value) for each flag or env var a rollout's diff shows turned empty: `-x=20` ->
    `-x=`, `X='20'` -> `X=''`, or newly added empty. A switch given with no value is not empty."""
    out: list[tuple[str, str, str]] = []
    for line in diff:
        line = str(line)
        args = ARGS.match(line)
        if args:
            old, new = _args(args["old"]) or [], _args(args["new"]) or []
            before, now = flags(old, BARE), flags(new, BARE)
            out += [(args["container"], key, before.get(key, "(unset)")) for key, value in now.items()
                    if value == "" and before.get(key) != ""]
            continue
        env = ENV.match(line)
        if env:
            was = env["old"].split("=", 1)[1].strip("'\"") if "=" in env["old"] else "(unset)"
            if was not in ("", "None"):
                out.append((str(env["container"]), str(env["key"]), was))
    return out


def _said(log: LogEvidence, key: str) -> str:
    """The log's error that names the key or refuses an empty value, as printed."""
    bare = key.lstrip("-")
    for entry in [*log.entries(), *({"message": line} for line in log.last_lines)]:
        text = " ".join(str(entry.get(k) or "") for k in ("exception", "message", "example"))
        if (bare and bare.lower() in text.lower()) or EMPTY_REFUSED.search(text):
            return str(entry.get("example") or entry.get("message") or "")
    return ""


def _owns(workload: str, pod: str) -> bool:
    """Whether the pod is the workload's own, not a sibling's whose name only starts with it (`api` vs
    `api-gateway-...`): by the controller's pod-name suffix, or for a name the suffix rules cannot read, by at most
    the two hash parts after the workload's name."""
    owner = workload_of_pod(pod)
    if owner != pod:
        return owner == workload
    rest = pod[len(workload) + 1:] if pod.startswith(workload + "-") else ""
    return bool(rest) and rest.count("-") <= 1 and all(any(c.isdigit() for c in part) for part in rest.split("-"))


def _crashing(facts: Facts, target: Ref) -> str:
    """The scan's crash or failed-start finding of the workload, as it says it."""
    for f in facts.findings():
        obj = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        if obj is not None and obj.same_object(target) and str(f.get("check") or "").startswith("pod."):
            return str(f.get("message") or "")
    return ""


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault("empty_value", {})


def found(facts: Facts) -> list[Emptied]:
    """Rollouts within hours of the alert that rendered a setting empty, where the workload's own log refuses it
    (or names it). An empty value nothing complains about is left alone."""
    out: list[Emptied] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in WORKLOADS or not facts.at - WITHIN <= at <= facts.at:
            continue
        keys = emptied_keys([str(d) for d in change.get("diff") or []])
        if not keys:
            continue
        logs = [log for log in facts.logs if log.namespace == target.namespace and _owns(target.name, log.pod)]
        for _, key, before in keys:
            said, log = next(((s, lg) for lg in logs if (s := _said(lg, key))), ("", None))
            if not said:
                continue
            chart, chart_id = _store(facts).get(f"{target.namespace}/{target.name}", ("", ""))
            cause = str(change.get("summary") or "")
            out.append(Emptied(target, key, before, int((facts.at - at).total_seconds() // 60), log, said[:160],
                               cause, chart, [e for e in (facts.changes_id, log.evidence_id if log else None,
                                                          chart_id) if e]))
            break
    return out


def finding(e: Emptied, facts: Facts) -> dict[str, Any]:
    """The workload as the suspect: the empty value first, what rendered it, and the program's refusal."""
    shown = f"{e.key}=" if e.key.startswith("-") else f'{e.key}=""'
    version = CHART.search(e.chart)
    by_helm = bool(e.chart) or "helm" in e.cause.lower()
    rendered = (f"an empty value rendered by the upgrade to chart {version.group(1)} ({e.chart})" if version
                else "an empty value rendered by the Helm upgrade" if by_helm else "an empty value in the new template")
    why = (" Values reused from the previous release (helm upgrade --reuse-values, or kept by a GitOps controller) "
           "lack the new chart's defaults, so a value it added or renamed renders empty" if by_helm else "")
    crash = _crashing(facts, e.target)
    message = (f"{e.target} rolled out {shown} (was {e.before}): {rendered}, refused by the program: '{e.said}'."
               f"{why} ({e.minutes} min before the alert" + (f"; {crash}" if crash else "") + "). Set the value"
               + (" or upgrade with the new chart's defaults (--reset-then-reuse-values)" if by_helm else ""))
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": e.target.kind, "namespace": e.target.namespace, "name": e.target.name},
            "reason": "EmptyValueRendered", "message": message, "evidence": [e.said, e.cause[:200]],
            "details": {"key": e.key, "before": e.before, "chart": e.chart, "minutes_before": e.minutes}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the chart label of the workloads whose recent rollout rendered a value empty."""
    store = _store(facts)
    for change in facts.change_list()[:20]:
        target = Ref.of(change.get("object"))
        if target is None or target.kind not in WORKLOADS or not emptied_keys(change.get("diff") or []):
            continue
        key = f"{target.namespace}/{target.name}"
        if key in store or len(store) >= 3:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-empty-{target.name}")
        labels = ((got[0].get("metadata") or {}).get("labels") or {}) if got else {}
        store[key] = (str(labels.get("helm.sh/chart") or ""), got[1] if got else "")
