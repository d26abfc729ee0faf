"""A synthetic check whose own request changed: the probe fails while the site it watches answers everyone else.

A synthetic check (a prometheus-operator `Probe`, a VictoriaMetrics `VMProbe`, a `ScrapeConfig` of blackbox
targets, the Blackbox Exporter's `modules:` file in a ConfigMap) decides how it asks (the module, the HTTP method,
headers, body, path) and what it accepts (`valid_status_codes`, `fail_if_*`). A write that swaps the module
(`http_2xx` -> `http_post_2xx`, copied from another check) or narrows what is accepted makes the probe ask
something the site refuses (405 Method Not Allowed for a POST to a GET page, 404 for a path, 401 without the
header) or refuse what the site rightly answers (a 200 when 204 is now wanted). `probe_success` drops to 0 and the
page says the site is down, while customers' requests succeed: the page is false, and the check's write is what
to undo.

What tells the two apart is the answer the prober got, in its own log (the Blackbox Exporter's `Invalid HTTP
response status code, wanted 2xx` with `status_code=405`) or its metric (`probe_http_status_code`): an answer
below 500 means the site answered and the check did not like the answer. A 5xx, a timeout, a refused connection
or no answer at all means the site (or the path to it) is failing, and the write is not named.

The survey (`read`, reading only) acts only when the incident is a probe's (an alert value or word says probe,
blackbox, synthetic or uptime), reads each check object written in the LEAD before it, the prober's log (the pod
of the exporter the Probe names, or of the workload reading the written ConfigMap) and the check's status-code
metric. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject

CHECK = "change.synthetic_check"
WEIGHT = 0.94
"""The check's own write explains a page that no failure of the site does: above a rollout near the alert."""
STORE = "synthetic_check"
LEAD = timedelta(hours=24)
MAX_WRITES = 3
LOG_TAIL = 400

CHECK_KINDS = {"Probe", "VMProbe", "ScrapeConfig", "VMScrapeConfig", "ServiceMonitor", "PodMonitor"}
"""Objects that schedule a prober's requests (the operator names a Probe's job `probe/<namespace>/<name>`)."""

_PROBE_WORDS = re.compile(r"\bprobe|blackbox|synthetic|uptime|heartbeat[- ]?check|ping[- ]?check", re.I)
"""The words an incident about a synthetic check carries in its alert's name, labels or prose."""

_REQUEST_FIELDS = re.compile(
    r"\bmodule\b|\bmethod\b|valid_status_codes|valid_http_versions|fail_if_\w+|\bprober\b|\bheaders?\b|\bbody\b|"
    r"\bpath\b|no_follow_redirects|follow_redirects|basic_auth|bearer_token|tls_config|preferred_ip_protocol|"
    r"\bparams\b|\burl\b|\btargets?\b", re.I)
"""What a write to a check may have changed about the request it sends or the answer it accepts."""

_MODULES_FILE = re.compile(r"(?m)^\s*modules:\s*$[\s\S]*?^\s+prober:\s*\w+")
"""The Blackbox Exporter's modules file (`modules:` with a `prober:` per module), as a ConfigMap holds it."""

_STATUS = re.compile(r"(?:status[_ ]?code|HTTP status|\bstatus)\W{0,3}(\d{3})\b", re.I)
_FAILED = re.compile(r"Invalid HTTP response status code|wanted 2xx|Probe failed|probe_success\W+0|"
                     r"status code (?:was )?not (?:in|valid)|unexpected status|server returned HTTP status|"
                     r"Request failed with status code|\bFailing:|expected status|success=false", re.I)
"""A prober's words for a check that failed on the answer it got: the Blackbox Exporter (`Invalid HTTP response
status code, wanted 2xx` status_code=405), Prometheus' scrape error (`server returned HTTP status 404 Not Found`),
Uptime Kuma's monitor (`Failing: Request failed with status code 405`), Gatus (`success=false` with the status)."""

Call = Callable[..., Awaitable[Any]]


def probe_incident(subject: Subject) -> bool:
    """Whether the incident is a synthetic check's: its alert's values, phrases or names speak of a probe."""
    words = " ".join([*subject.labelled_values, *subject.phrases, *subject.names])
    return bool(_PROBE_WORDS.search(words))


def _modules_file(text: str) -> bool:
    return bool(_MODULES_FILE.search(text))


def _check_write(change: dict[str, Any], target: Ref) -> bool:
    """Whether a timeline write is to a synthetic check's request or acceptance (or to a modules file)."""
    said = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
    if target.kind in CHECK_KINDS:
        return bool(_REQUEST_FIELDS.search(said)) or not change.get("diff")
    return target.kind == "ConfigMap" and bool(re.search(r"blackbox|modules|prober", said, re.I))


def _names_check(subject: Subject, target: Ref, obj: dict[str, Any] | None) -> bool:
    """Whether the incident names this check: its job (`probe/<ns>/<name>`, `jobName`), its name, or a target host."""
    spec = (obj or {}).get("spec") or {}
    jobs = {target.name.lower(), _job(target).lower(), str(spec.get("jobName") or "").lower()} - {""}
    values = {v.lower() for v in subject.labelled_values}
    if jobs & values:
        return True
    statics = " ".join(str(s) for s in _targets(spec)).lower()
    return any(h.lower() in statics for h in subject.hosts if len(h) >= 4)


def _job(target: Ref) -> str:
    """The job name the operator gives the check's scrape (`probe/<ns>/<name>`, `scrapeConfig/<ns>/<name>`)."""
    prefix = "scrapeConfig" if target.kind in ("ScrapeConfig", "VMScrapeConfig") else "probe"
    return f"{prefix}/{target.namespace}/{target.name}"


def _targets(spec: dict[str, Any]) -> list[str]:
    """The check's static targets: a Probe's or VMProbe's `targets.staticConfig`, a ScrapeConfig's `staticConfigs`."""
    config = (spec.get("targets") or {}).get("staticConfig") or {}
    static = config.get("static") or config.get("targets") or []  # prometheus-operator / VictoriaMetrics VMProbe
    out = [str(s) for s in static] if isinstance(static, list) else []
    for group in spec.get("staticConfigs") or spec.get("static_configs") or []:
        if isinstance(group, dict) and isinstance(group.get("targets"), list):
            out += [str(t) for t in group["targets"]]
    return out


def _prober_service(spec: dict[str, Any], namespace: str) -> Ref | None:
    """The exporter a check sends its requests through: a Probe's `prober.url`, a VMProbe's `vmProberSpec.url`, a
    ScrapeConfig's relabelling of `__address__` to `blackbox-exporter.monitoring.svc:9115`."""
    url = str((spec.get("prober") or spec.get("vmProberSpec") or {}).get("url") or "")
    if not url:  # a ScrapeConfig of blackbox targets sends them to the exporter by relabelling __address__
        url = next((str(r.get("replacement") or "") for r in spec.get("relabelings") or spec.get(
            "relabel_configs") or [] if isinstance(r, dict) and str(r.get("targetLabel") or r.get(
                "target_label") or "") == "__address__" and ":" in str(r.get("replacement") or "")), "")
    host = re.sub(r"^\w+://", "", url).split(":")[0].split("/")[0]
    if not host:
        return None
    parts = host.split(".")
    return Ref("Deployment", parts[1] if len(parts) > 1 and parts[1] != "svc" else namespace, parts[0])


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for a probe's incident: the written checks, their prober's log and status-code metric."""
    if STORE in facts.reads or not probe_incident(subject):
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False)[:40]:
        if len(store) >= MAX_WRITES or not _check_write(change, target):
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-synthetic-{target.name}")
        obj = got[0] if got else None
        entry: dict[str, Any] = {"ref": [target.kind, target.namespace, target.name], "change": change,
                                 "evidence": [e for e in (evidence, got[1] if got else "") if e], "spec": {},
                                 "named": False, "line": "", "statuses": []}
        if target.kind == "ConfigMap":
            data = " ".join(str(v) for v in ((obj or {}).get("data") or {}).values())
            if obj is not None and not _modules_file(data):
                continue
            entry["named"] = True  # a modules file serves every probe: the incident's probe among them
            prober = next((r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None), None)
        else:
            spec = (obj or {}).get("spec") or {}
            entry["spec"] = {k: spec.get(k) for k in ("module", "jobName", "prober", "vmProberSpec") if k in spec}
            entry["named"] = _names_check(subject, target, obj)
            prober = _prober_service(spec, target.namespace)
        if not entry["named"]:
            continue
        if prober is not None:
            pod = await pod_of(call, prober, f"survey-synthetic-pods-{prober.name}")
            if pod:
                logs = await call("k8s_logs", {"name": pod, "namespace": prober.namespace, "tail": LOG_TAIL},
                                  f"survey-synthetic-log-{pod}")
                text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
                failed = [ln for ln in text.splitlines() if _FAILED.search(ln) and _STATUS.search(ln)]
                if failed and logs is not None:
                    entry["line"] = " ".join(failed[-1].split())[:300]
                    entry["statuses"] += [int(m.group(1)) for ln in failed[-20:] for m in [_STATUS.search(ln)] if m]
                    entry["evidence"].append(logs.evidence_id)
        jobs = [] if target.kind == "ConfigMap" else sorted(
            {re.escape(str(j)) for j in (entry["spec"].get("jobName"), _job(target))
             if j})  # the operator's `probe/<ns>/<name>`, or the jobName it was given
        selector = f'{{job=~"{"|".join(jobs)}"}}' if jobs else ""
        got_metric = await call("prom_query", {"query": f"max by (job, instance) (probe_http_status_code{selector})",
                                               "time": at}, f"survey-synthetic-status-{target.name}")
        if got_metric is not None and got_metric.ok and isinstance(got_metric.data, dict):
            values = [s.get("value") for s in got_metric.data.get("samples") or [] if isinstance(s, dict)]
            codes = [int(v) for v in values if isinstance(v, int | float) and v > 0]
            if codes:
                entry["statuses"] += codes
                entry["metric"] = codes[0]
                entry["evidence"].append(got_metric.evidence_id)
        store.append(entry)


@dataclass
class FalsePage:
    """A check written before its probe failed on an answer the site gave (not a failure of the site)."""

    check: Ref
    written: datetime
    by: str
    what: str
    status: int
    line: str
    from_metric: bool
    evidence: list[str] = field(default_factory=list)


def _what(change: dict[str, Any], spec: dict[str, Any]) -> str:
    diff = [str(d) for d in change.get("diff") or [] if _REQUEST_FIELDS.search(str(d))]
    if diff:
        return "; ".join(diff)[:160]
    if spec.get("module"):
        return f"module {spec['module']}"
    summary = str(change.get("summary") or "")
    return summary.split(": ", 1)[1][:160] if ": " in summary else "its request"


def found(facts: Facts) -> list[FalsePage]:
    """Checks written before their probe failed on a site's answer below 500 (the site answered; the check refused)."""
    out: list[FalsePage] = []
    for entry in facts.reads.get(STORE) or []:
        statuses = [s for s in entry.get("statuses") or [] if isinstance(s, int)]
        if not entry.get("named") or not statuses:
            continue
        if any(s >= 500 for s in statuses) or not all(200 <= s < 500 and s not in (408, 429) for s in statuses):
            continue  # the site failed (5xx), timed out or throttled: not the check's own request
        change = entry["change"]
        when = parse_time(change.get("at"))
        if when is None:
            continue
        status = max(set(statuses), key=statuses.count)
        out.append(FalsePage(Ref(*entry["ref"]), when, written_by(change), _what(change, entry.get("spec") or {}),
                             status, str(entry.get("line") or ""), not entry.get("line"),
                             list(entry.get("evidence") or [])))
    return out[:1]


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 406: "Not Acceptable", 415: "Unsupported Media Type"}


def finding(hit: FalsePage, at: datetime) -> dict[str, Any]:
    """What the write means first (the probe asks or accepts differently), then the answer that shows it."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    answer = f"{hit.status} {_REASONS.get(hit.status, '')}".strip()
    seen = f"the prober's log: {hit.line[:160]}" if hit.line else f"probe_http_status_code = {hit.status}"
    message = (f"{hit.check} (a synthetic check) was written{' by ' + hit.by if hit.by else ''} {ago} before the "
               f"page: {hit.what}. Its probe now sends a request the site refuses (or refuses the site's answer): "
               f"the site answers the probe {answer}, not a server error or a timeout, so probe_success is 0 while "
               f"the site is up; a false page from the check's own module/request ({seen}). Revert the check's "
               f"write")
    return {"check": CHECK, "severity": "critical", "reason": "SyntheticCheckChanged",
            "object": {"kind": hit.check.kind, "namespace": hit.check.namespace, "name": hit.check.name},
            "message": message, "evidence": [hit.line or f"probe_http_status_code {hit.status}"],
            "details": {"status": hit.status, "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The check whose own write fails its probe against a site that answers."""
    return [(h.check, finding(h, facts.at), h.evidence, []) for h in found(facts)]
