"""A gateway was written to require a Content-Length: clients that stream bodies chunked get 411 Length Required.

HTTP/1.1 lets a client send a body of unknown length with `Transfer-Encoding: chunked`; Go's net/http does so for
any body it cannot size (a pipe, a multipart writer), as do streaming uploaders in Java, Node and curl `-T -`. A
gateway or proxy can be told to refuse such requests: Kong's request-size-limiting `require_content_length`, nginx
`chunked_transfer_encoding off`, Envoy's `allow_chunked_length: false`, a WAF or API-management rule that demands
the header. Browsers and SDKs that send a length keep working; the streaming clients are answered `411 Length
Required` before the backend sees anything, so the backend looks healthy and the clients look broken.

So: a refusal in those words (the client's error, or the gateway's access log answering 411), and a write within
`LEAD` before the first such line, of any kind, whose diff, summary or written fields name a length/chunked setting
(switched on: a setting written off refuses nothing). Not named: a write of another setting of the same plugin
(payload size alone), the length write while clients fail otherwise (413 too large), a write after the refusals
began. When several qualify, the newest wins. Pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.limit_hit import logs_saying
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.length_required"
WEIGHT = 0.92
"""The gateway's write, above the refused clients (the symptom) and the healthy backend."""
LEAD = timedelta(hours=12)
SLACK = timedelta(minutes=2)

REFUSED = re.compile(r"Length Required|HTTP/[12](?:\.[01])?\"? 411\b|status(?: code)?[=: ]+411\b|"
                     r"\b411\b[^\n]{0,20}length|"
                     r"Content-Length (?:header )?(?:is )?required|missing Content-Length|chunked (?:request|body|"
                     r"transfer[- ]encoding) (?:is )?not (?:allowed|supported)", re.I)
"""A gateway's refusal of a request that carries no Content-Length (a chunked body)."""

SETTING = re.compile(r"require[._-]?content[._-]?length|content[._-]?length[._-]?required|"
                     r"chunked[._-]?transfer[._-]?encoding|allow[._-]?chunked[._-]?length|(?:reject|deny|block)[._-]?"
                     r"chunked", re.I)
"""A written setting that decides whether a body without a Content-Length is accepted."""
OFF = re.compile(r"""['"]?\s*[:=]?\s*['"]?(?:false|off|no|0|disabled?)\b""", re.I)
ON = re.compile(r"""['"]?\s*[:=]?\s*['"]?(?:true|on|yes|1|enabled?)\b""", re.I)
"""`allow_chunked_length` / `chunked_transfer_encoding` refuse when written off; `require_...` when written on."""
STATUS_LABELS = ("code", "status", "status_code", "response_code")
"""The label names request counters carry the HTTP status under."""
MIN_REFUSED = 20.0
"""411 answers in the half hour before the incident that count as a refusal (a stray one is a client's bug)."""


@dataclass
class Required:
    """The length write, and the refusals since."""

    target: Ref
    written: datetime
    setting: str
    victims: list[tuple[LogEvidence, str]]
    counted: list[dict[str, Any]]
    evidence: list[str]


def _counted(facts: Facts) -> list[dict[str, Any]]:
    """The series `read` found answering 411 since the write and (almost) never before it."""
    return [r for r in facts.reads.get(CHECK) or [] if isinstance(r, dict)]


def _setting(change: dict[str, Any]) -> str:
    """The length setting the write names, switched to refusing (a diff `a -> b` is judged by its new value)."""
    for text in [*(str(d) for d in change.get("diff") or []), str(change.get("summary") or "")]:
        for hit in SETTING.finditer(text):
            tail = text[hit.end():]
            if "->" in tail[:80]:
                tail = re.sub(r"^\s*['\"]?" + re.escape(hit.group(0)), "", tail.split("->", 1)[1].strip())
            allows = not hit.group(0).lower().startswith(("require", "content", "reject", "deny", "block"))
            if (allows and ON.match(tail)) or (not allows and OFF.match(tail)):
                continue
            start = max(0, hit.start() - 40)
            return ("..." if start else "") + " ".join(text[start:hit.end() + 60].split())
    return ""


def found(facts: Facts) -> list[Required]:
    """The newest length write made within LEAD before the first 411 refusal."""
    refused, counted = logs_saying(facts, REFUSED), _counted(facts)
    if not refused and not counted:
        return []
    firsts = [first for _, _, first in refused if first is not None]
    began = min(firsts) if firsts else facts.at
    out: list[Required] = []
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not (began - LEAD <= at <= began + SLACK) or at > facts.at:
            continue
        setting = _setting(change)
        if not setting or any(r.target.same_object(ref) for r in out):
            continue
        out.append(Required(ref, at, setting, [(log, said) for log, said, _ in refused], counted,
                            [e for e in (evidence, *(log.evidence_id for log, _, _ in refused),
                                         *(str(c.get("evidence") or "") for c in counted)) if e]))
    return sorted(out, key=lambda r: -r.written.timestamp())[:1]


def finding(r: Required, at: datetime) -> dict[str, Any]:
    """The write and its setting first (the headline is cut), then a refusal."""
    if r.victims:
        log, line = r.victims[0]
        hit = REFUSED.search(line)
        start = max(0, hit.start() - 60) if hit else 0
        seen = f"{log.namespace}/{workload_of_pod(log.pod)}: '" + ("..." if start else "") + \
            " ".join(line[start:start + 180].split()) + "'"
    else:
        c = r.counted[0]
        line = f"{c['series']}{{{c['label']}=\"411\"}} {c['before']:.0f} -> {c['after']:.0f} in 30 min"
        seen = f"{line} (before the write -> before the incident)"
    ago = minutes_text(int((at - r.written).total_seconds() // 60))
    message = (f"{r.target} was written {ago} before the alert to require a Content-Length on request bodies "
               f"({r.setting}): clients that stream bodies with chunked transfer encoding (Go's net/http for an "
               f"unsized body, streaming uploaders) are now answered 411 Length Required before the backend sees "
               f"them: {seen}. Turn the requirement off again (or make the clients send a length)")
    return {"check": CHECK, "severity": "critical", "reason": "ContentLengthRequired",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "message": message, "evidence": [r.setting[:200], line[:200]],
            "details": {"written": r.written.isoformat(), "setting": r.setting[:200]}}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a length write is in the timeline: the 411 answers counted by any exported series (a
    gateway's request counter by status code), in the half hour before the write and before the incident. The
    refused clients are often not the workload the alert names, so their logs may not be among the survey's."""
    del subject
    writes = [parse_time(c.get("at")) for c, _ in facts.every_change() if _setting(c)]
    written = min((w for w in writes if w is not None and facts.at - LEAD <= w <= facts.at), default=None)
    if written is None:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(CHECK, [])
    for label in STATUS_LABELS:
        names = await call("prom_query", {"query": f'count by (__name__) ({{{label}="411"}})', "time": at},
                           f"survey-length-required-{label}")
        if names is None or not names.ok or not isinstance(names.data, dict):
            continue
        for name in sorted({str((x.get("labels") or {}).get("__name__") or "") for x in names.data.get("samples") or []
                            if isinstance(x, dict)} - {""})[:3]:
            counts = []
            for moment in (written, facts.at):
                got = await call("prom_query", {"query": f'sum(increase({name}{{{label}="411"}}[30m]))',
                                                "time": moment.isoformat().replace("+00:00", "Z")},
                                 f"survey-length-required-{name}")
                ok = got is not None and got.ok and isinstance(got.data, dict)
                counts.append((sum(_float(x.get("value")) for x in (got.data.get("samples") or [])
                                   if isinstance(x, dict)) if ok else 0.0, got.evidence_id if ok else ""))
            (before, _), (after, evidence) = counts
            if after >= MIN_REFUSED and before < after / 10:
                store.append({"series": name, "label": label, "before": before, "after": after,
                              "evidence": evidence})


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write; it explains the refused clients."""
    out = []
    for r in found(facts):
        victims = list({(log.namespace, workload_of_pod(log.pod)): Ref("", log.namespace, workload_of_pod(log.pod))
                        for log, _ in r.victims}.values())
        out.append((r.target, finding(r, facts.at), r.evidence, victims))
    return out
