"""A session cookie made SameSite=Strict while logins return cross-site: the sign-in flow loses its state.

A web application that signs users in through an identity provider (OIDC/OAuth2, SAML) keeps the login's
`state` (or nonce, CSRF token, correlation id) in its session cookie, and checks it when the provider sends the
browser back to its callback. That return is a navigation from the provider's site: a cookie marked
`SameSite=Strict` is not sent on it (browsers send Strict cookies only on same-site requests). Hardening the
session cookie to Strict therefore breaks every login while all servers stay up; the callback answers 400/401/500
and the auth library says, in its own words, that the state it expected is absent: Authlib
`mismatching_state: CSRF Warning! State not equal in request and response`, Spring Security
`authorization_request_not_found`, Passport `Unable to verify authorization request state`, OmniAuth
`csrf_detected`, ASP.NET Core `Correlation failed`, NextAuth `State cookie was missing`, oauth2-proxy
`unable to obtain CSRF cookie` / `http: named cookie not present`, express-openid-connect `checks.state argument
is missing`. The errors read like a provider fault (and the provider's own rollout nearby like its cause).

So: a write in the last day whose diff sets a key about SameSite (an env value, a flag, a config key:
`SESSION_COOKIE_SAMESITE`, `--cookie-samesite`, `cookie.sameSite`) to Strict from something else, and, from pods
of the written workload (or of its namespace, for a ConfigMap write), error lines with those state-lost words.
A SameSite write without those words, or those words without a write to Strict, are no fit. Pure over the facts.

The same class, by the other flag: a cookie made `Secure` (Django `SESSION_COOKIE_SECURE`/`CSRF_COOKIE_SECURE`,
Spring `server.servlet.session.cookie.secure`, Laravel `SESSION_SECURE_COOKIE`, express-session `cookie.secure`,
oauth2-proxy `--cookie-secure`) on a site served over plain HTTP. A browser stores or sends a Secure cookie only
over HTTPS, so the CSRF token or session set on the login page never comes back with the form post; the framework
says so in its words (Django `CSRF cookie not set`, Rails `Can't verify CSRF token authenticity`, Spring `no token
was found`, ASP.NET Core `antiforgery cookie ... is not present`, csurf `invalid csrf token`, Laravel `CSRF token
mismatch`, Flask-WTF `The CSRF session token is missing`). The site counts as plain HTTP only when the addresses
it is reached by (referers in its access log, origins and URLs in the written ConfigMap) are `http://` and none is
`https://`: the same flag on an HTTPS site drops nothing, and is no fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "change.cookie_samesite_strict"
WEIGHT = 0.92
"""The write that explains the auth library's own state-lost words outweighs the provider's neighbouring rollout."""
LEAD = timedelta(hours=24)
KEY = re.compile(r"[\w.\-/]*same[-_]?site[\w.\-]*", re.I)
_SET = re.compile(r"(?P<key>[\w.\-/]*same[-_]?site[\w.\-]*)\s*(?:=|:)?\s*'?(?P<old>[\w\"]*)'?\s*->\s*"
                  r"'?(?:[\w.\-/]*same[-_]?site[\w.\-]*\s*(?:=|:)\s*)?'?(?P<new>[\w\"]+)'?", re.I)
"""A diff line's `KEY='old' -> KEY='new'` (or `key old -> new`) for a SameSite key."""
_SET_NEW = re.compile(r"(?P<key>[\w.\-/]*same[-_]?site[\w.\-]*)\s*(?:=|:)\s*'?(?P<new>[\w\"]+)'?", re.I)
"""A diff line that only sets the key (no old value recorded)."""
STATE_LOST = re.compile(
    r"mismatching_state|MismatchingState|State not equal in request and response|authorization_request_not_found|"
    r"Unable to verify authorization request state|csrf_detected|Correlation failed|"
    r"oauth state was missing or invalid|State cookie was missing|unable to obtain CSRF cookie|"
    r"CSRF cookie (?:not found|missing)|named cookie not present|checks\.state argument is missing|"
    r"(?:state|nonce) (?:parameter |cookie )?(?:is |was )?missing|invalid state parameter|"
    r"InvalidStateException|AuthStateMissing|AuthStateForbidden|Session value state missing|"
    r"state parameter is different from the one sent|State information lost|message\.State is null or empty|"
    r"\b(?:oauth2?|oidc|openid|login|sso)\b[\w ]{0,20}\bstate (?:mismatch|did not match|does not match)", re.I)
"""Auth libraries' words for a login whose stored state did not come back with the callback; also Laravel
Socialite's `InvalidStateException`, python-social-auth's `AuthStateMissing` / `Session value state missing`, pac4j's
`State parameter is different from the one sent`, SimpleSAMLphp's `State information lost`, Katana's
`message.State is null or empty`, a Go middleware's `oauth2 state mismatch`. A state transition, a tool's state
file, a session store's timeout are not among them."""


SECURE_KEY = re.compile(r"[\w.\-/]*(?:cookie[\w.\-]*?secure|secure[\w.\-]*?cookie)[\w.\-]*", re.I)
"""A key about a cookie's Secure attribute: `CSRF_COOKIE_SECURE`, `cookie.secure`, `SESSION_SECURE_COOKIE`,
`--cookie-secure`, `useSecureCookies`."""
_SECURE_SET = re.compile(r"(?P<key>[\w.\-/]*(?:cookie[\w.\-]*?secure|secure[\w.\-]*?cookie)[\w.\-]*)\s*(?:=|:)?\s*"
                         r"'?(?P<old>[\w\"]*)'?\s*->\s*'?(?:[\w.\-/]*\s*(?:=|:)\s*)?'?(?P<new>[\w\"]+)'?", re.I)
_TRUE = {"true", "1", "yes", "on", "always"}
COOKIE_DROPPED = re.compile(
    r"CSRF cookie (?:not set|not found|missing|is missing|not present)|Can't verify CSRF token authenticity|"
    r"CSRF token (?:mismatch|missing)|invalid csrf token|The CSRF (?:session )?token is missing|"
    r"antiforgery (?:cookie|token)[^\n]{0,80}(?:is not present|was not present|missing)|"
    r"no (?:CSRF )?token was found|Invalid CSRF token found|no CSRF cookie|"
    r"session cookie (?:not set|not found|missing|not present)", re.I)
"""Frameworks' words for a CSRF token or session cookie that the browser did not send back with the post."""
_URL = re.compile(r"\b(https?)://([\w.\-]+)", re.I)
_LOCAL = re.compile(r"^(?:localhost|127\.|0\.0\.0\.0|\[?::1)|\.svc(?:\.cluster\.local)?$|\.cluster\.local$", re.I)


@dataclass
class Hardened:
    """A SameSite=Strict write and the state-lost errors that followed it."""

    target: Ref
    key: str
    old: str
    new: str
    summary: str
    minutes: int
    log: LogEvidence
    said: str
    evidence: list[str]
    plain_site: str = ""
    """For a Secure write: the plain-HTTP address the site is reached by (empty for a SameSite write)."""


def _texts(log: LogEvidence) -> list[str]:
    entries = [e for e in log.entries() if isinstance(e, dict)]
    return [str(e.get("example") or e.get("message") or e.get("template") or "") for e in entries] + \
        list(log.last_lines)


def _set_strict(diff: list[str]) -> tuple[str, str, str] | None:
    """(key, old, new) of a diff line that sets a SameSite key to Strict from something else."""
    for line in diff:
        if not KEY.search(line):
            continue
        m = _SET.search(line)
        key, old, new = (m.group("key"), m.group("old"), m.group("new")) if m else ("", "", "")
        if not m:
            n = next(reversed(list(_SET_NEW.finditer(line))), None)
            if n is None:
                continue
            key, new = n.group("key"), n.group("new")
        old, new = old.strip('"'), new.strip('"')
        if new.lower() == "strict" and old.lower() != "strict":
            return key, old or "unset", new
    return None


def _set_secure(diff: list[str]) -> tuple[str, str, str] | None:
    """(key, old, new) of a diff line that turns a cookie's Secure key on from off (or unset)."""
    for line in diff:
        m = _SECURE_SET.search(line)
        if m is None:
            continue
        old, new = m.group("old").strip('"').lower(), m.group("new").strip('"').lower()
        if new in _TRUE and old not in _TRUE:
            return m.group("key"), m.group("old").strip('"') or "unset", m.group("new").strip('"')
    return None


def _plain_http(facts: Facts, target: Ref, texts: list[str]) -> str | None:
    """The plain-HTTP address the site is reached by, when the workload's log lines and the written ConfigMap's
    values name only `http://` addresses (loopback and in-cluster names left out); None when any is `https://`."""
    sources = list(texts)
    if target.kind == "ConfigMap":
        obj = facts.object_named("ConfigMap", target.namespace, target.name) or {}
        sources += [str(v) for v in (obj.get("data") or {}).values()]
    plain: list[str] = []
    for text in sources:
        for scheme, host in _URL.findall(text):
            if _LOCAL.search(host):
                continue
            if scheme.lower() == "https":
                return None
            plain.append(f"http://{host}")
    return plain[0] if plain else None


def _secure_on_plain(facts: Facts, change: dict[str, Any], target: Ref, diff: list[str]) -> list[Hardened]:
    """A Secure cookie write whose workload (or namespace) logs say the cookie did not come back, on a site whose
    addresses are plain HTTP."""
    got = _set_secure(diff)
    if got is None:
        return []
    own = target.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    minutes = int((facts.at - (parse_time(change.get("at")) or facts.at)).total_seconds() // 60)
    for log in facts.logs:
        if log.namespace != target.namespace or (own and workload_of_pod(log.pod) != target.name):
            continue
        texts = _texts(log)
        hit = next(((x, m) for x in texts if (m := COOKIE_DROPPED.search(x))), None)
        site = _plain_http(facts, target, texts) if hit else None
        if hit is None or site is None:
            continue
        text, m = hit
        start = max(0, m.start() - 80)
        return [Hardened(target, *got, str(change.get("summary") or "")[:200], minutes, log,
                         text[start:start + 240], [e for e in (facts.changes_id, log.evidence_id) if e], site)]
    return []


def hardened(facts: Facts) -> list[Hardened]:
    """Each recent write of a SameSite key to Strict whose workload's (or namespace's) logs say the login state
    was lost."""
    out: list[Hardened] = []
    for change, _, target in facts.writes_to(None, within=LEAD, timeline_only=True):
        diff = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
        got = _set_strict(diff)
        if got is None:
            out += _secure_on_plain(facts, change, target, diff)
            continue
        own = target.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
        minutes = int((facts.at - (parse_time(change.get("at")) or facts.at)).total_seconds() // 60)
        for log in facts.logs:
            if log.namespace != target.namespace or (own and workload_of_pod(log.pod) != target.name):
                continue
            hit = next(((x, m) for x in _texts(log) if (m := STATE_LOST.search(x))), None)
            if hit is None:
                continue
            text, m = hit
            start = max(0, m.start() - 80)
            out.append(Hardened(target, *got, str(change.get("summary") or "")[:200], minutes, log,
                                text[start:start + 240], [e for e in (facts.changes_id, log.evidence_id) if e]))
            break
    return out


def finding(h: Hardened) -> dict[str, Any]:
    """The suspect's finding: the key old -> new, what Strict means for the login's return, the library's words."""
    if h.plain_site:
        message = (f"{h.target} set {h.key} '{h.old}' -> '{h.new}' {h.minutes} min before the alert: a cookie marked "
                   f"Secure is stored and sent by browsers only over HTTPS, and the site is served over plain HTTP "
                   f"({h.plain_site}), so the CSRF/session cookie set on the login page never comes back with the "
                   f"post and every login is refused (its logs: '{h.said}'). Set it back to False, or serve the "
                   "site over HTTPS first")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
                "reason": "SecureCookieOnPlainHTTP", "message": message, "evidence": [h.said],
                "details": {"key": h.key, "old": h.old, "new": h.new, "victim_pod": h.log.pod,
                            "site": h.plain_site}}
    message = (f"{h.target} set {h.key} '{h.old}' -> '{h.new}' {h.minutes} min before the alert: a SameSite=Strict "
               "session cookie is not sent on the identity provider's cross-site redirect back to the login "
               "callback, so the login state stored in it is missing and the auth library refuses every sign-in "
               f"(its logs: '{h.said}'). Set it back to Lax (or keep the login state in a separate Lax cookie)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "SessionCookieSameSiteStrict", "message": message, "evidence": [h.said],
            "details": {"key": h.key, "old": h.old, "new": h.new, "victim_pod": h.log.pod}}
