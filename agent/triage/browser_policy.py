"""A browser-enforced policy written so that it excludes what the page needs: the browser refuses the calls.

Two policies are enforced by the browser, not by any server: CORS (the API's `Access-Control-Allow-Origin`
answer must equal the page's origin, compared as an exact string `scheme://host[:port]`) and the page's
Content-Security-Policy (`connect-src`, falling back to `default-src`, lists the origins the page may call).
Written wrong (an allowed origin spelled as a URL with a trailing slash or a path, `connect-src 'self'` on a
page that calls a separate API origin), every server stays healthy: the proxy answers the preflight 200, the
page loads, and the calls never arrive. The only words are the browser's, where a site collects them: an error
sink or CSP report collector logging Chrome's "has been blocked by CORS policy", Firefox's "Cross-Origin Request
Blocked ... Access-Control-Allow-Origin", Safari's "is not allowed by Access-Control-Allow-Origin", CSP reports
(`violated-directive`/`effectiveDirective`, `blocked-uri`/`blockedURL`) or "Refused to connect to ... because it
violates the following Content Security Policy directive". The symptom alert is a business rate that fell.

This module pairs the halves: (1) an object written in the last day (the change timeline) that holds such a
policy anywhere in it (a proxy middleware's allowed-origin list, a mesh route's `allowOrigins`, an annotation,
an env value, a config file carrying a CSP header); (2) browser lines, read from the pods of that object's
namespace, whose blocked origin or URL the written policy really excludes: for CORS an origin the list spells
only with a path or trailing slash or in another case (a near miss: a foreign site being refused is CORS
working), for CSP an enforced (not report-only) directive whose sources do not allow the blocked URL.
Reading only; Secrets are never read, and nothing is read unless the incident shows the class (`browser_symptom`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from agent.triage.facts import Facts, Ref, parse_time, said_by
from agent.triage.kube_reads import get_yaml

CHECK = "change.browser_policy_excludes"
WEIGHT = 0.92
"""The browser's own refusal, matched to the written policy that causes it, outweighs a rollout nearby."""
READS = "browser_policy"
LEAD = timedelta(hours=24)
MAX_OBJECTS = 4
MAX_PODS = 8
MIN_LINES = 3
"""Browser refusals before a policy is blamed: one odd client is no pattern."""
GREPS = ("access-control", "cors", "-src")
"""Substrings every wording above holds: CORS messages name the header or CORS; CSP names a `*-src` directive."""

Call = Callable[..., Awaitable[Any]]

_CORS_KEY = re.compile(r"allow[-_]?origin|allowed[-_]?origins?|cors.{0,20}origins?|^origins$", re.I)
_CSP_TEXT = re.compile(r"(?:^|[\s\"';])(?:default|connect)-src\b[^;\"]*", re.I)
_REPORT_ONLY = re.compile(r"content-security-policy-report-only", re.I)
_CORS_BLOCK = re.compile(r"blocked by CORS policy|Cross-Origin Request Blocked|not allowed by "
                         r"Access-Control-Allow-Origin|CORS header .Access-Control-Allow-Origin. (?:missing|does not "
                         r"match)", re.I)
_FROM_ORIGIN = re.compile(r"from origin '(?P<o>[^']+)'|Origin (?P<s>https?://\S+?) is not allowed|"
                          r"\"origin\"\s*:\s*\"(?P<j>[^\"]+)\"", re.I)
_REFUSED = re.compile(r"Refused to connect to '(?P<url>[^']+)' because it violates the following Content Security "
                      r"Policy directive: \\?[\"'](?P<dir>[a-z-]+)", re.I)
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]+$", re.I)


@dataclass(frozen=True)
class Policy:
    """One policy a written object holds: CORS allowed origins, or a CSP header value."""

    target: Ref
    kind: str
    """cors or csp."""
    where: str
    """The key or field that holds it."""
    values: tuple[str, ...]
    """CORS: the allowed origins as written; CSP: the header value."""
    written: str
    evidence: str


@dataclass
class Excluded:
    """A written policy whose exclusion the browser lines show."""

    policy: Policy
    blocked: int
    example: str
    why: str
    victim: str
    evidence: list[str]


_BROWSER_WORDS = re.compile(r"\bcors|access-control-allow|cross-origin|preflight|same.origin policy|"
                            r"content-security-policy|csp-report|violated-directive|effectiveDirective|blocked-?ur[il]|"
                            r"refused to (?:connect|load|execute)|(?:connect|default|script)-src", re.I)
"""Any browser's or report's words for a refused cross-origin call (the wordings the module docstring lists, and a
preflight's): what a browser-facing service's clients show when a browser policy excludes what the page needs."""
_POLICY_WRITTEN = re.compile(r"cors|access-?control|allow-?origins?|origins?\b|content-?security-?policy|\bcsp\b|"
                             r"-src\b|header|snippet", re.I)
"""A write's words for a browser policy: CORS and CSP are response headers, written as an allowed-origin list, a
`*-src` directive or a header (an annotation, a middleware's `headers`, a config file of headers, an ingress
controller's configuration snippet, where headers are added)."""


def browser_symptom(facts: Facts) -> bool:
    """Whether the incident shows what a browser policy that excludes the page leaves, on facts already gathered: a
    write in the LEAD whose words name a browser policy (the alert is often only a business rate that fell, and the
    servers stay healthy: the write is the one trace before the browser's own words are read), or browser refusal
    words in the incident's logs or the scan's findings. Only then are written objects and pods' logs read: any other
    incident's report carries no call of this module."""
    for change, _, target in facts.writes_to(None, within=LEAD, timeline_only=True):
        said = " ".join([target.kind, str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if _POLICY_WRITTEN.search(said):
            return True
    for log in facts.logs:
        if any(_BROWSER_WORDS.search(ln) for ln in [*(said_by(e) for e in log.entries()), *log.last_lines]):
            return True
    return any(_BROWSER_WORDS.search(f"{f.get('reason')} {f.get('message')}") for f in facts.findings())


def _reads(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _leaves(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) of every leaf or list, an env entry `{name, value}` read as its name's value."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and isinstance(node.get("value"), str):
            yield node["name"], node["value"]
        for k, v in node.items():
            if k in ("exact", "prefix"):  # a mesh's string match ({exact: ...}) belongs to its list's key
                yield from _leaves(v, key)
            elif k != "managedFields":
                yield from _leaves(v, str(k))
    elif isinstance(node, list) and node and all(isinstance(x, str) for x in node):
        yield key, node
    elif isinstance(node, list):
        for x in node:
            yield from _leaves(x, key)
    elif isinstance(node, str):
        yield key, node


def policies(obj: dict[str, Any], target: Ref, written: str, evidence: str) -> list[Policy]:
    """The CORS allowed-origin lists and enforced CSP values an object holds, wherever it holds them."""
    out: list[Policy] = []
    cors: dict[str, list[str]] = {}
    for key, value in _leaves(obj):
        if _CORS_KEY.search(key) and not re.search(r"regex|header|method", key, re.I):
            items = value if isinstance(value, list) else re.split(r"[\s,]+", value.strip())
            cors.setdefault(key, []).extend(
                i for i in (str(x).strip().strip("\"'") for x in items) if "://" in i or i == "*")
        elif isinstance(value, str):
            for line in value.splitlines() or [value]:
                named = re.search(r"\bcontent-security-policy\b", line, re.I) or re.search(
                    r"content.?security.?policy|csp", key, re.I)
                if named and _CSP_TEXT.search(line) and not _REPORT_ONLY.search(line):
                    out.append(Policy(target, "csp", key, (_csp_value(line),), written, evidence))
    out += [Policy(target, "cors", key, tuple(dict.fromkeys(v)), written, evidence) for key, v in cors.items() if v]
    return out


def _csp_value(line: str) -> str:
    """The policy itself out of a header line (`add_header Content-Security-Policy "..." always;`)."""
    m = re.search(r"content-security-policy[\"':\s]*\"?(?P<v>[^\"]*(?:default|connect)-src[^\"]*)", line, re.I)
    return (m.group("v") if m else line).strip().strip(";")


async def read(facts: Facts, call: Call) -> None:
    """Reading only, when the incident shows the class (`browser_symptom`): the objects written in the last day that
    hold a browser policy, then, when there are any, the browser's words in the logs of pods of their namespaces."""
    if not browser_symptom(facts):
        return
    store = _reads(facts)
    found: list[Policy] = store.setdefault("policies", [])
    seen: set[Ref] = set()
    for change, _, target in facts.writes_to(None, within=LEAD, timeline_only=True):
        if target in seen or target.kind == "Secret" or len(seen) >= MAX_OBJECTS * 4:
            continue
        seen.add(target)
        got = await get_yaml(call, target.kind, target.name, target.namespace or "", f"browser-policy-{target.name}")
        if got is None:
            continue
        ago = int((facts.at - (parse_time(change.get("at")) or facts.at)).total_seconds() // 60)
        written = f"{str(change.get('summary') or '')[:160]} ({ago} min before the alert)"
        found += policies(got[0], target, written, got[1])[:2]
        if len({p.target for p in found}) >= MAX_OBJECTS:
            break
    if not found:
        return
    lines = store.setdefault("lines", [])
    for ns in dict.fromkeys(p.target.namespace for p in found if p.target.namespace):
        pods = await call("k8s_list", {"kind": "pods", "namespace": ns}, f"browser-policy-pods-{ns}")
        rows = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok else []
        names = [str(r.get("name") or "") for r in rows if isinstance(r, dict)]
        one_each = list({re.sub(r"-[a-z0-9]{4,10}(?:-[a-z0-9]{5})?$", "", n): n for n in names if n}.values())
        for name in one_each[:MAX_PODS]:
            for word in GREPS:
                got = await call("k8s_logs", {"name": name, "namespace": ns, "grep": word, "tail": 3000,
                                              "budget_tokens": 2000}, f"browser-policy-logs-{name}")
                if got is not None and got.ok:
                    kept = [ln for ln in str(got.full_text or got.text).splitlines()
                            if word in ln.lower() and not ln.startswith(("repeated ", "["))]
                    lines.append(({"pod": name, "namespace": ns, "lines": kept}, got.evidence_id))


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _cors_near_miss(origin: str, allowed: tuple[str, ...]) -> str:
    """Why a browser origin fails an allowed list that meant to admit it; "" when the list admits it or never
    meant to (a foreign site refused is CORS working)."""
    if origin in allowed or "*" in allowed:
        return ""
    for entry in allowed:
        if _origin(entry) != origin.lower():
            continue
        if entry.endswith("/") and _ORIGIN.match(entry[:-1]):
            return f"the list spells it '{entry}' with a trailing slash"
        if not _ORIGIN.match(entry):
            return f"the list spells it '{entry}' with a path"
        return f"the list spells it '{entry}' in another case"
    return ""


def _sources_allow(sources: list[str], url: str, page: str) -> bool:
    """Whether a CSP source list admits `url` (from a page at `page`, when known)."""
    target = urlsplit(url)
    scheme, host = (target.scheme or "").lower(), (target.hostname or "").lower()
    for s in (x.strip().lower() for x in sources):
        if s == "*" and scheme in ("http", "https", "ws", "wss"):
            return True
        if s == "'self'" and page and _origin(page) == _origin(url):
            return True
        if s.endswith(":") and "//" not in s and scheme == s[:-1]:
            return True
        if s.startswith("'") or not s:
            continue
        src = urlsplit(s if "://" in s else f"{scheme}://{s}")
        want = (src.hostname or "").lower()
        if src.scheme and "://" in s and src.scheme.lower() != scheme:
            continue
        if want == host or (want.startswith("*.") and host.endswith(want[1:])):
            return True
    return False


def _directive(policy: str, name: str) -> tuple[str, list[str]] | None:
    """The directive that governs `name` (itself, else `default-src` for a fetch directive) and its sources."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed.setdefault(words[0].lower(), words[1:])
    for key in (name, "default-src"):
        if key in parsed:
            return key, parsed[key]
    return None


def _csp_block(line: str) -> tuple[str, str, str] | None:
    """(directive, blocked URL, page URL) of an enforced CSP violation the line reports; None otherwise."""
    m = _REFUSED.search(line)
    if m:
        return m.group("dir").lower(), m.group("url"), ""
    start = line.find("{")
    try:
        body = json.loads(line[start:]) if start >= 0 else None
    except ValueError:
        body = None
    report: Any = body
    for key in ("csp-report", "body"):
        if isinstance(report, dict) and isinstance(report.get(key), dict):
            report = report[key]
    if not isinstance(report, dict):
        text = line
        grab = {k: re.search(rf'"{k}"\s*:\s*"([^"]*)"', text) for k in (
            "effective-directive", "effectiveDirective", "violated-directive", "blocked-uri", "blockedURL",
            "blockedUri", "document-uri", "documentURL", "disposition")}
        report = {k: g.group(1) for k, g in grab.items() if g}
    directive = report.get("effective-directive") or report.get("effectiveDirective") or report.get(
        "violated-directive") or ""
    blocked = report.get("blocked-uri") or report.get("blockedURL") or report.get("blockedUri") or ""
    if not directive or not str(blocked).startswith(("http", "ws")) or report.get("disposition") == "report":
        return None
    page = report.get("document-uri") or report.get("documentURL") or ""
    return str(directive).split()[0].lower(), str(blocked), str(page)


def excluded(facts: Facts) -> list[Excluded]:
    """Each written policy whose exclusion of what the page needs the browser lines show."""
    store = _reads(facts)
    lines = [(ln, e) for d, e in store.get("lines") or [] for ln in d.get("lines") or []]
    lines = list(dict.fromkeys(lines))
    out: list[Excluded] = []
    for p in store.get("policies") or []:
        hits: list[tuple[str, str, str]] = []
        ids: list[str] = []
        for ln, evidence_id in lines:
            before = len(hits)
            if p.kind == "cors" and _CORS_BLOCK.search(ln):
                m = _FROM_ORIGIN.search(ln)
                origin = (m.group("o") or m.group("s") or m.group("j")).rstrip(".") if m else ""
                why = _cors_near_miss(_origin(origin), p.values) if origin else ""
                if why:
                    hits.append((ln, why, _origin(origin)))
            elif p.kind == "csp":
                block = _csp_block(ln)
                governing = _directive(p.values[0], block[0]) if block else None
                if block and governing and not _sources_allow(governing[1], block[1], block[2]):
                    hits.append((ln, f"{governing[0]} {' '.join(governing[1])}", _origin(block[1])))
            if len(hits) > before:
                ids.append(evidence_id)
        if len(hits) >= MIN_LINES:
            out.append(Excluded(p, len(hits), hits[0][0][:300], hits[0][1], hits[0][2],
                                [p.evidence, *dict.fromkeys(ids)]))
    return out


def finding(x: Excluded) -> dict[str, Any]:
    """The suspect's finding: the policy as written, why the browser refuses, how often, the write."""
    p = x.policy
    if p.kind == "cors":
        message = (f"{p.target} sets CORS allowed origins {list(p.values)} ({p.where}); {x.why}, which no browser "
                   f"Origin equals: the API's answer carries no matching Access-Control-Allow-Origin and browsers "
                   f"block the calls from {x.victim} ({x.blocked} refusals logged). Written: {p.written}. List the "
                   "origins exactly as scheme://host[:port], without path or trailing slash")
    else:
        message = (f"{p.target} sends a Content-Security-Policy (CSP) whose {x.why} does not admit {x.victim}: "
                   f"browsers refuse the page's calls there ({x.blocked} enforced violations reported). "
                   f"Written: {p.written}. Add the API origin to connect-src (or revert)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": p.target.kind, "namespace": p.target.namespace, "name": p.target.name},
            "reason": "BrowserPolicyExcludes", "message": message, "evidence": [x.example],
            "details": {"policy": p.kind, "where": p.where, "why": x.why, "blocked": x.blocked}}
