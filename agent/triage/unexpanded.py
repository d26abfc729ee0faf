"""A placeholder that reached the program unexpanded: the configuration it reads still holds `${X}` or `{{ x }}`.

Configuration passes through several expanders before a program reads it, and each expands only its own syntax:

* the kubelet expands `$(NAME)` in a container's env values, command and args, and only to variables defined
  earlier in the same container's env; `${NAME}` (shell syntax) is passed through as written unless a shell runs
  the command, and a `$(NAME)` whose variable is undefined (or defined later in the list) stays literal too;
* Helm renders `{{ ... }}` in a chart's templates only: template text inside a value stays literal unless the
  chart pipes that value through `tpl`, so a chart version that stops doing so, or a value moved to a place the
  chart does not render, delivers `{{ .Release.Namespace }}` as written;
* a ConfigMap's data is delivered as written: Kubernetes substitutes nothing in it (envsubst, Flux postBuild or
  the program's own resolver must, and a program that resolves `${X}` itself prints it literally when it did not).

The program then fails on the literal text, in its own words, and its error quotes it: Go's `parse
"http://${HOST}:8080": invalid character "{" in host name`, the Kafka client's `Couldn't resolve server
kafka.{{ .Release.Namespace }}.svc:9092`, Java's `URISyntaxException: Illegal character in authority`, Python's
`Invalid URL`, `getaddrinfo ENOTFOUND ${DB_HOST}`. Nothing else in the cluster looks wrong: the rollout that
delivered it is the moment, the placeholder is the cause.

`found` is pure over the facts: a failing line of a workload's own log that quotes a placeholder, and the write
that put exactly that placeholder where the workload reads it: its own rollout's env/args/command diff (new value
holds it, old did not), or a ConfigMap written within LEAD whose data holds it (read by `read`). A placeholder no
error quotes, one a failing log quotes that no recent write put in place, or an informational line that prints a
template is no cause. `read` (reading only, and only when such a line is in view) fetches the data of the
ConfigMaps written within LEAD in the failing pods' namespaces. Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, all_said, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.unexpanded"
WEIGHT = 0.95
"""The write that delivered a literal placeholder explains the crash and the failed lookups it causes: above the
crash-loop, the unresolvable name and the image bump of the same rollout."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "unexpanded"
MAX_CONFIG_READS = 4
MAX_TEXT = 20000
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "CronJob", "Job")

PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][\w.:-]{0,80}\}|\$\([A-Za-z_]\w{0,80}\)|\{\{-?[^{}\n]{1,80}?-?\}\}|"
                         r"#\{[A-Za-z_][\w.]{0,80}\}|%\{[A-Za-z_][\w.:]{0,80}\}|<%=?[^%<>\n]{1,80}%>|"
                         r"(?<![\w@])@[A-Z][A-Z0-9_]{1,60}@(?![\w@])|(?<!\w)__[A-Z][A-Z0-9_]{0,60}[A-Z0-9]__(?!\w)")
"""Expansion syntaxes left as written: shell/envsubst `${X}`, the kubelet's `$(X)`, Go/Helm/Jinja `{{ x }}`, Ruby/
Spring-EL/Octopus `#{x}`, Puppet/Hiera/Fluentd `%{x}`, ERB `<%= x %>`, and the tokens build and release tools
replace: Maven/Gradle resource filtering and autoconf `@NAME@`, pipeline token replacers' `__NAME__` (upper case
only, so an e-mail address or a Python dunder is none)."""
FAILING = re.compile(r"invalid|illegal|malformed|unexpected|pars(?:e|ing)|resolv|no such host|unknown host|"
                     r"ENOTFOUND|not known|could ?n[o']t|cannot|can't|unable|fail|refus|error|exception|bad ", re.I)
"""A line that reports a failure (the program's own refusal of the value), not one that only prints it."""
SEVERE = frozenset({"error", "fatal", "critical", "warning", "warn", "panic"})
WRITER = re.compile(r"\b(?:updated|written|created|applied) by ([\w./-]+)")
DIFF = re.compile(r"^(?P<container>\S+) (?P<what>env|args|command) (?P<old>.*?) -> (?P<new>.*)$")


@dataclass
class Unexpanded:
    """A placeholder a workload's program received as written, and the write that put it there."""

    target: Ref
    token: str
    said: str
    log: LogEvidence
    workload: Ref | None
    where: str
    """The written text holding the placeholder (the env/args value, or the ConfigMap's line)."""
    before: str
    """The value it replaced (a rollout's old value), "" when not known."""
    writer: str
    minutes: int
    chart: str = ""
    evidence: list[str] = field(default_factory=list)
    explains: list[Ref] = field(default_factory=list)
    """The reader, and the Services a name built around the placeholder seems to point at (`kafka.{{ x }}.svc`
    looks like the Service `kafka`; `${DB_HOST}` like one named so): a lookup that fails for the literal text."""


def _norm(token: str) -> str:
    """`{{ .Release.Namespace }}` and `{{.Release.Namespace}}` are the same placeholder."""
    return re.sub(r"\s+", "", token)


def tokens_in(text: str) -> list[str]:
    """The placeholders a text holds, as written, first occurrence first."""
    return list(dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(text or "")))


def failing_lines(log: LogEvidence) -> list[tuple[str, str]]:
    """(placeholder, line) for each line of the log that quotes a placeholder while reporting a failure: a
    classified error or warning entry, or a last line in a failing wording. An info line printing a template is
    not one."""
    out: list[tuple[str, str]] = []
    for entry in log.entries():
        said = all_said(entry)
        severe = str(entry.get("severity") or "").lower() in SEVERE or bool(entry.get("error_class"))
        if said and (severe or FAILING.search(said)):
            out += [(t, said) for t in tokens_in(said)]
    for line in log.last_lines:
        if FAILING.search(line):
            out += [(t, line) for t in tokens_in(line)]
    return out


def _owner(log: LogEvidence) -> str:
    return workload_of_pod(log.pod)


def _minutes(facts: Facts, at_text: Any) -> int | None:
    at = parse_time(at_text)
    if at is None or not facts.at - LEAD <= at <= facts.at + SLACK:
        return None
    return int((facts.at - at).total_seconds() // 60)


def _from_rollout(facts: Facts, log: LogEvidence, token: str, said: str) -> Unexpanded | None:
    """The workload's own rollout whose env/args/command diff wrote the placeholder (new value has it, old not)."""
    want = _norm(token)
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        minutes = _minutes(facts, change.get("at"))
        if target is None or minutes is None or target.kind not in WORKLOADS \
                or target.namespace != log.namespace or target.name != _owner(log):
            continue
        for line in change.get("diff") or []:
            m = DIFF.match(str(line))
            if m is None or want not in _norm(m["new"]) or want in _norm(m["old"]):
                continue
            if m["what"] == "env":
                where, before = m["new"], (m["old"].split("=", 1)[1] if "=" in m["old"] else "")
            else:  # the one argument that holds it, not the whole list
                part = next((p for p in re.split(r"',\s*'|\[|\]", m["new"]) if want in _norm(p)), m["new"])
                where, before = m["what"] + " " + part.strip("'"), ""
            return Unexpanded(target, token, said, log, target, where, before, str(change.get("summary") or ""),
                              minutes, evidence=[e for e in (facts.changes_id, log.evidence_id) if e])
    return None


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _config_changes(facts: Facts, namespaces: set[str]) -> list[tuple[Ref, dict[str, Any], int]]:
    """ConfigMaps written within LEAD in these namespaces, latest first."""
    out: list[tuple[Ref, dict[str, Any], int]] = []
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        minutes = _minutes(facts, change.get("at"))
        if target is not None and minutes is not None and target.kind == "ConfigMap" \
                and target.namespace in namespaces:
            out.append((target, change, minutes))
    return sorted(out, key=lambda c: c[2])


def _reads_workload(change: dict[str, Any], workload: str) -> bool:
    return any((Ref.of(r) or Ref("", "", "")).name == workload for r in change.get("related") or [])


def _from_config(facts: Facts, log: LogEvidence, token: str, said: str) -> Unexpanded | None:
    """A ConfigMap written within LEAD whose data holds the placeholder; one the timeline says the workload reads
    goes first."""
    want = _norm(token)
    owner = _owner(log)
    hits: list[tuple[bool, Ref, dict[str, Any], int, str, str, str]] = []
    for target, change, minutes in _config_changes(facts, {log.namespace}):
        text, evidence_id, chart = _store(facts).get(f"{target.namespace}/{target.name}", ("", "", ""))
        line = next((ln.strip() for ln in str(text).splitlines() if want in _norm(ln)), "")
        if line:
            hits.append((_reads_workload(change, owner), target, change, minutes, line, evidence_id, chart))
    if not hits:
        return None
    _, target, change, minutes, line, evidence_id, chart = sorted(hits, key=lambda h: (not h[0], h[3]))[0]
    workload = next((r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                     and r.name == owner), None)
    return Unexpanded(target, token, said, log, workload, line[:200], "", str(change.get("summary") or ""),
                      minutes, chart, [e for e in (facts.changes_id, log.evidence_id, evidence_id) if e])


HOSTLIKE = r"[\w.-]*"


def pointed_at(token: str, said: str, namespace: str) -> list[Ref]:
    """The Services a name holding the placeholder reads as: its first label before it, or the placeholder."""
    out: list[Ref] = []
    for m in re.finditer(HOSTLIKE + re.escape(token) + HOSTLIKE, said):
        head = m.group(0).split(token, 1)[0].split(".", 1)[0].strip("-.")
        for name in (head, token):
            ref = Ref("Service", namespace, name.lower())
            if name and ref not in out:
                out.append(ref)
    return out


def found(facts: Facts) -> list[Unexpanded]:
    """Placeholders a workload's failing log quotes, each with the recent write that delivered it."""
    out: list[Unexpanded] = []
    seen: set[str] = set()
    for log in facts.logs:
        for token, said in failing_lines(log):
            key = f"{log.namespace}/{_owner(log)}/{_norm(token)}"
            if key in seen:
                continue
            seen.add(key)
            hit = _from_rollout(facts, log, token, said) or _from_config(facts, log, token, said)
            if hit is not None and not any(h.target.same_object(hit.target) for h in out):
                reader = hit.workload if hit.workload is not None and not hit.workload.same_object(hit.target) \
                    else None
                hit.explains = [*([reader] if reader else []), *pointed_at(token, said, log.namespace)]
                out.append(hit)
    return out


def _why(token: str, in_config: bool) -> str:
    """What expands this syntax, and why it did not here: the documented semantics of each expander, kept short
    (a finding's first 400 characters are what a reader sees)."""
    if token.startswith("{{"):
        return ("Helm renders {{ }} only in chart templates; template text inside a value stays literal unless the "
                "chart passes it through tpl")
    if token.startswith(("@", "__")):
        return ("a build or release tool (resource filtering, autoconf, a pipeline's token replacer) replaces this "
                "token, and it did not run on this value")
    if token.startswith(("%{", "<%")):
        return "a template engine (Hiera, ERB, the program's own) replaces this, and it did not render this value"
    if token.startswith("$(") and not in_config:
        return "the kubelet leaves $(VAR) literal when VAR is not defined earlier in the container's env"
    if in_config:
        return ("Kubernetes substitutes nothing in a ConfigMap's data, and no renderer (envsubst, a GitOps "
                "substitution, the program's own resolver) replaced it")
    return ("Kubernetes expands only $(VAR) in env, command and args; ${VAR} reaches the program as literal text "
            "unless a shell runs it")


def finding(u: Unexpanded, facts: Facts) -> dict[str, Any]:
    """The write as the suspect: the placeholder as delivered, what leaves it unexpanded, the program's refusal."""
    in_config = u.target.kind == "ConfigMap"
    if in_config:
        by = WRITER.search(u.writer)
        written = f"written by {by.group(1)}" if by else "written"
        version = f", chart {u.chart}" if u.chart else ""
        head = (f"{u.target} ({written}{version}, {minutes_text(u.minutes)} before the alert) holds {u.token} "
                f"unexpanded: '{u.where[:120]}'")
        fix = "Render the value (or pass it through tpl) so the program gets the real one"
    else:
        was = f" (was {u.before[:80]})" if u.before else ""
        head = (f"{u.target} rolled out {u.where[:120]}{was} {minutes_text(u.minutes)} before the alert: the program "
                f"got {u.token} as literal text")
        fix = ("Write the reference as $(VAR) with VAR defined earlier in the env, or expand it in the program"
               if not u.token.startswith("{{") else "Render the value before it reaches the pod spec")
    reader = f"{u.workload}, which reads it, says" if in_config and u.workload else "Its log says"
    message = f"{head}. {_why(u.token, in_config)}. {reader}: '{u.said[:160]}'. {fix}."
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": u.target.kind, "namespace": u.target.namespace, "name": u.target.name},
            "reason": "PlaceholderUnexpanded", "message": message, "evidence": [u.said[:200], u.where[:200]],
            "details": {"placeholder": u.token, "minutes_before": u.minutes, "chart": u.chart}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the data of ConfigMaps written within LEAD in the namespaces of pods whose failing
    log quotes a placeholder (never a Secret)."""
    namespaces = {log.namespace for log in facts.logs if failing_lines(log)}
    if not namespaces:
        return
    store = _store(facts)
    for target, _, _ in _config_changes(facts, namespaces)[:MAX_CONFIG_READS]:
        key = f"{target.namespace}/{target.name}"
        if key in store:
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-unexpanded-{target.name}")
        if got is None:
            store[key] = ("", "", "")
            continue
        obj, evidence_id = got
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        text = "\n".join(f"{k}: {v}" if "\n" not in str(v) else str(v) for k, v in (data or {}).items())
        labels = (obj.get("metadata") or {}).get("labels") or {}
        store[key] = (text[:MAX_TEXT], evidence_id, str(labels.get("helm.sh/chart") or ""))
