"""A proxy in front was written to forward more headers (a token, claims, groups) than the upstream accepts.

An auth proxy or gateway in front of an app can add headers to every request it forwards: oauth2-proxy's
`pass_authorization_header` / `pass_access_token` / `set_xauthrequest` (the ID or access token, the user's groups),
ingress-nginx `auth-response-headers`, Traefik ForwardAuth `authResponseHeaders`, Envoy ext_authz
`allowed_upstream_headers` / `headers_to_add`, a Kong or APISIX plugin that injects the JWT or its claims. A token
grows with the user's groups and claims; the app's server refuses a request whose headers exceed its limit (Tomcat
and Jetty 8 KB, Go net/http 1 MB, Node 16 KB, nginx `large_client_header_buffers`), so the users with the largest
tokens get 400/431 while everyone else works: the proxy answers the upstream's 400, the app looks like the culprit.
The upstream's words: Tomcat `Request header is too large`, Jetty/Kestrel/gunicorn `Request Header Fields Too
Large` or `Request headers too long`, Node `HPE_HEADER_OVERFLOW`, nginx `Request Header Or Cookie Too Large` /
`client sent too long header line`, Envoy `header_overflow` / `headers count or size exceeds limit`, Go `request
header too large`.

So: a line in those words (the upstream's own logs, or a proxy reporting it), and a write within `LEAD` before the
first such line, of any kind, whose diff or value names a header-forwarding setting. Not named: a write of another
setting (cookie flags, upstream address), a forwarding write while the upstream fails otherwise, a write made after
the header refusals began. When several qualify, the newest wins. Pure over the facts.
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

CHECK = "change.header_overflow"
WEIGHT = 0.92
"""The proxy's write, above the refusing upstream (the symptom) and the proxy's own rollout of it."""
LEAD = timedelta(hours=12)
SLACK = timedelta(minutes=2)

TOO_LARGE = re.compile(
    r"Request header is too large|Request Header Fields Too Large|Request headers? too (?:long|large)|"
    r"HPE_HEADER_OVERFLOW|Header Overflow|Request Header Or Cookie Too Large|too long header line|"
    r"header_overflow|headers? (?:count or )?size exceeds? (?:the )?limit|request header too large|"
    r"header (?:section|block|fields?) (?:is )?too large|RequestHeadersTooLarge|\b431\b[^\n]{0,40}header", re.I)
"""A server's words for refusing a request whose headers exceed its limit."""

FORWARDS = re.compile(
    r"pass[._-]?(?:authorization[._-]?header|access[._-]?token|user[._-]?headers|basic[._-]?auth)|"
    r"set[._-]?(?:xauthrequest|authorization[._-]?header)|auth[._-]?response[._-]?headers|"
    r"allowed[._-]?upstream[._-]?headers|headers[._-]?to[._-]?(?:add|append|set)|forward[._-]?(?:auth[._-]?)?headers|"
    r"(?:inject|forward|propagate|pass)[._-]?(?:id[._-]?)?(?:token|jwt|claims?)|claims?[._-]?to[._-]?headers|"
    r"upstream[._-]?headers|request[._-]?headers[._-]?to[._-]?add", re.I)
"""A written setting that makes a proxy add headers (tokens, claims, groups) to what it forwards."""
OFF = re.compile(r"""['"]?\s*[:=]\s*['"]?(?:false|off|no|0|disabled?)\b""", re.I)
"""A forwarding setting written off: it forwards nothing more."""
DATA_KEY = re.compile(r"data key ([\w.\-/]+)")


@dataclass
class Overflow:
    """The forwarding write, and the refusals of too-large headers since."""

    target: Ref
    written: datetime
    setting: str
    victims: list[tuple[LogEvidence, str]]
    evidence: list[str]


def _setting(facts: Facts, change: dict[str, Any], target: Ref) -> str:
    """The forwarding setting the write names: in its diff, else (a ConfigMap line that says only "data key X set")
    in the written key's current value, switched on (a setting written false/off forwards nothing)."""
    texts = [*(str(d) for d in change.get("diff") or []), str(change.get("summary") or "")]
    if target.kind == "ConfigMap":
        keys = {m.group(1) for text in texts for m in DATA_KEY.finditer(text)}
        texts += [f"{key}: {value}" for key in sorted(keys) for value in [facts.configmap_value(target, key)] if value]
    for text in texts:
        on = [" ".join(text[hit.start():hit.end() + 12].split("\n")[0].split()) for hit in FORWARDS.finditer(text)
              if not OFF.match(text, hit.end())]
        if on:
            return "; ".join(dict.fromkeys(on))
    return ""


def found(facts: Facts) -> list[Overflow]:
    """The newest forwarding write made within LEAD before the first too-large-header refusal."""
    refused = logs_saying(facts, TOO_LARGE)
    if not refused:
        return []
    firsts = [first for _, _, first in refused if first is not None]
    began = min(firsts) if firsts else facts.at
    out: list[Overflow] = []
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not (began - LEAD <= at <= began + SLACK) or at > facts.at:
            continue
        setting = _setting(facts, change, ref)
        if not setting or any(o.target.same_object(ref) for o in out):
            continue
        out.append(Overflow(ref, at, setting, [(log, said) for log, said, _ in refused],
                            [e for e in (evidence, *(log.evidence_id for log, _, _ in refused)) if e]))
    return sorted(out, key=lambda o: -o.written.timestamp())[:1]


def finding(o: Overflow, at: datetime) -> dict[str, Any]:
    """The write and what it forwards first (the headline is cut), then the upstream's refusal."""
    log, line = o.victims[0]
    hit = TOO_LARGE.search(line)
    start = max(0, hit.start() - 40) if hit else 0
    said = ("..." if start else "") + " ".join(line[start:start + 180].split())
    ago = minutes_text(int((at - o.written).total_seconds() // 60))
    upstream = f"{log.namespace}/{workload_of_pod(log.pod)}"
    message = (f"{o.target} was written {ago} before the alert to forward more headers upstream ({o.setting}): "
               f"requests carrying the larger headers (tokens of users with many groups or claims) exceed the "
               f"upstream's header size limit and are refused with 400/431: {upstream}: '{said}'. Stop forwarding "
               f"the header (or raise the upstream's header limit above the largest token)")
    return {"check": CHECK, "severity": "critical", "reason": "ForwardedHeadersTooLarge",
            "object": {"kind": o.target.kind, "namespace": o.target.namespace, "name": o.target.name},
            "message": message, "evidence": [o.setting[:200], line[:200]],
            "details": {"written": o.written.isoformat(), "setting": o.setting[:200], "upstream": upstream}}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the survey's timeline and the upstream's logs carry the evidence."""
    return None


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write; it explains the refusing upstream."""
    out = []
    for o in found(facts):
        victims = list({(log.namespace, workload_of_pod(log.pod)): Ref("", log.namespace, workload_of_pod(log.pod))
                        for log, _ in o.victims}.values())
        out.append((o.target, finding(o, facts.at), o.evidence, victims))
    return out
