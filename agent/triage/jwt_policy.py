"""JWT validation moved into a proxy or gateway, its rule changed: the proxy refuses tokens before the app sees them.

Meshes and gateways validate bearer tokens themselves: Istio's RequestAuthentication (`jwtRules[].issuer`,
`audiences`, `jwksUri`) becomes the sidecar's Envoy `jwt_authn` filter; Envoy Gateway's SecurityPolicy
(`jwt.providers`), Kong's `jwt`/`openid-connect` KongPlugin, Traefik's and Kuadrant's JWT middlewares and policies,
an EnvoyFilter carrying `jwt_authn` do the same at the edge. When such a rule is narrowed (fewer audiences, another
issuer, a new JWKS location) every token that no longer fits is answered 401 by the proxy, with the proxy's own
wording: Envoy's `Jwt audiences is not allowed` / response details `jwt_authn_access_denied{Audiences_in_Jwt_are_
not_allowed}`, `Jwt issuer is not configured`, `Jwks remote fetch is failed`, `Jwt verification fails`; Kong's
`No credentials found for given 'iss'`; oauth2-proxy's and go-oidc's `expected audience ... got`. The application
is unchanged and logs nothing (its own container looks healthy): the access log with those details is the proxy
container's, so `read` looks there when a JWT rule was written.

Named: a write to a JWT-validation object (by kind, or a generic proxy object whose written fields say jwt /
audience / issuer / jwks) within LEAD before the incident, when a path log (the subject's, or its proxy
sidecar's) carries a proxy JWT denial. The finding says which part of the rule the denial names (audience,
issuer, keys) and the rule's current value. A JWT rule written with no proxy denial on the path, or a denial
with no such write (a token problem elsewhere: rotation_cadence, idp_keys), is not named here.

Dating: a refusal already printed before the write is not its effect. A denial is dated by its classified entry's
`first_seen` or a stamp in the line itself (Envoy's `[%START_TIME%]`, Kong's nginx stamp); many access-log formats
print none (a JSON format without a time field, a 401 body). Those are dated by the kubelet's own stamps through
`log_since`: the container's log read whole and since the write (plus SLACK), grepping the denial's words; more
denials in the whole tail than since the write means the proxy refused before it, and the write is not named. The
window starts at an absolute moment (SLACK before the write) that the API server judges on the kubelet's stamps, so
it does not depend on when the survey runs; when neither way can tell, the write is kept (undated, as before).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import log_since
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import line_time

CHECK = "change.jwt_policy"
WEIGHT = 0.94
"""Above the 401s it explains and above rollouts of neighbours that only coincide."""
RECORD = "jwt_policy"
LEAD = timedelta(hours=6)
MAX_PODS = 2

JWT_KINDS = frozenset({"requestauthentication", "securitypolicy", "authpolicy"})
"""Kinds whose whole job is validating tokens (Istio, Envoy Gateway, Kuadrant): any write to one is a JWT rule."""
PROXY_KINDS = frozenset({"kongplugin", "kongclusterplugin", "middleware", "envoyfilter", "configmap",
                         "ingress", "httproute"})
"""Kinds that carry a JWT rule only sometimes: the write's own fields must say so (JWT_FIELDS)."""
JWT_FIELDS = re.compile(r"jwt|audiences?\b|\baud\b|issuer|jwks|openid|oidc|allowed_aud|claims?_to_verify", re.I)

DENIAL = re.compile(
    r"jwt_authn_access_denied(?:\{[^}\s]*\})?|Jwt audiences? (?:is|are) not allowed|"
    r"Audiences[_ ]in[_ ]Jwt[_ ]are[_ ]not[_ ]allowed|Jwks doesn't have key to match kid or alg|Jwks_doesn_t_have_key|"
    r"Jwt issuer is not configured|Jwt_issuer_is_not_configured|Jwks remote fetch is failed|Jwks doesn't have key|"
    r"Jwt verification fails|Jwt_verification_fails|Jwt is missing|Jwt_is_missing|"
    r"No credentials found for given 'iss'|expected audience \S+ got|audience from claim aud with value .{0,80}"
    r"does not match|token (?:audience|issuer) (?:not allowed|mismatch|is invalid)|invalid (?:audience|issuer) in "
    r"(?:jwt|token)|id token issued by a different provider|The (?:iss|aud) claim is not valid|"
    r"No mandatory '\w+' in claims", re.I)
"""A proxy's or gateway's JWT refusal in its own words (Envoy jwt_authn / Istio / Envoy Gateway, in the access log's
response details or the 401 body, e.g. `Audiences in Jwt are not allowed`; Kong's jwt plugin; oauth2-proxy and
go-oidc middlewares, `id token issued by a different provider`; Spring Cloud Gateway's resource server,
`The iss claim is not valid`): not an application's verification error, which names a key or a library."""

PART = (("audience", re.compile(r"audience|\baud\b", re.I), "audiences"),
        ("issuer", re.compile(r"issuer|'iss'|\biss claim|different provider", re.I), "issuer"),
        ("keys", re.compile(r"jwks|key", re.I), "jwksUri"))
"""Which part of the rule a denial names, and the rule field that holds it."""

SLACK = timedelta(minutes=1)
"""Clock skew between the change record and a log stamp; a refusal older than the write by more is not its effect."""

PROXY_CONTAINER = re.compile(r"istio-proxy|envoy|proxyv2|oauth2-proxy|linkerd-proxy|gateway", re.I)


@dataclass
class Narrowed:
    """A JWT rule written shortly before a proxy's JWT denials on the path."""

    target: Ref
    minutes_before: int
    fields: str
    denial: str
    line: str
    who: str
    part: str
    value: str
    evidence: list[str] = field(default_factory=list)


def _change_text(change: dict[str, Any]) -> str:
    return " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


def rule_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes within LEAD to JWT-validation objects (any write) or proxy objects whose written fields say JWT."""
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(JWT_KINDS | PROXY_KINDS, within=LEAD, deletions=False):
        if target.kind.lower() in PROXY_KINDS and not JWT_FIELDS.search(_change_text(change)):
            continue
        if not any(t.same_object(target) for _, _, t in out):
            out.append((change, evidence, target))
    return out


def denials(facts: Facts) -> list[tuple[str, str, str]]:
    """(denial, the whole line, who said it) for each proxy JWT refusal on the path: the survey's logs, then the
    proxy containers' lines `read` kept."""
    out: list[tuple[str, str, str]] = []
    for log in facts.logs:
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or entry.get("template") or "")
            if m := DENIAL.search(text):
                out.append((m.group(0), text, workload_of_pod(log.pod)))
    for pod, lines in ((facts.reads.get(RECORD) or {}).get("proxy_lines") or {}).items():
        for text in lines:
            if m := DENIAL.search(text):
                out.append((m.group(0), text, f"{workload_of_pod(pod)}'s proxy"))
                break
    return out


_MISSING = re.compile(r"Jwt[_ ]is[_ ]missing", re.I)


def _dates(text: str) -> bool:
    """A denial that a rule change can cause (not a request without a token)."""
    return bool(DENIAL.search(text)) and not _MISSING.search(text)


def first_denial(facts: Facts) -> datetime | None:
    """When the proxy's JWT refusals began: the earliest `first_seen` of a denial the survey classified, or the
    earliest stamped denial line (the proxy lines `read` kept; Envoy and Kong stamp each line). A request with no
    token at all (`Jwt is missing`) is refused under any rule, so it dates nothing."""
    seen: list[datetime] = []
    for log in facts.logs:
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or entry.get("template") or "")
            if _dates(text) and (t := parse_time(entry.get("first_seen")) or line_time(text)) is not None:
                seen.append(t)
    for lines in ((facts.reads.get(RECORD) or {}).get("proxy_lines") or {}).values():
        seen += [t for text in lines if _dates(text) and (t := line_time(text)) is not None]
    return min(seen) if seen else None


def _value(obj: dict[str, Any], key: str) -> str:
    """The rule's current value for one field (`audiences`, `issuer`, `jwksUri`), wherever the kind nests it."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k.lower() in {key.lower(), key.lower().rstrip("s"), "remotejwks" if key == "jwksUri" else ""}:
                    found.append(", ".join(map(str, v)) if isinstance(v, list) else str(v))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(obj.get("spec") or obj.get("config") or obj.get("data") or {})
    return "; ".join(dict.fromkeys(found))[:160]


def found(facts: Facts) -> list[Narrowed]:
    """Each JWT rule written before the proxy's JWT denials on the path."""
    said = denials(facts)
    if not said:
        return []
    denial, line, who = said[0]
    part, rule_field = next(((name, f) for name, p, f in PART if p.search(denial)), ("token", ""))
    kept = facts.reads.get(RECORD) or {}
    began = first_denial(facts)
    out: list[Narrowed] = []
    for change, evidence, target in rule_writes(facts):
        at = parse_time(change.get("at"))
        if at is None or (began is not None and began < at - SLACK):
            continue
        if began is None and (kept.get("before") or {}).get(str(target), 0) > 0:
            continue  # undated refusals, but the kubelet's stamps put some before this write
        obj = (kept.get("objects") or {}).get(str(target)) or {}
        fields = ", ".join(str(d).split(" ")[0] for d in change.get("diff") or [] if str(d).strip())[:120]
        out.append(Narrowed(target, int((facts.at - at).total_seconds() // 60), fields or "its rules", denial, line,
                            who, part, _value(obj, rule_field) if rule_field else "",
                            [e for e in (evidence, (kept.get("evidence") or {}).get(str(target)),
                                         *(kept.get("log_evidence") or []),
                                         *((kept.get("dated_by") or {}).get(str(target)) or [])) if e]))
    return out


def finding(n: Narrowed) -> dict[str, Any]:
    """What the rule change means first: the proxy now refuses tokens on that part of the rule, with its words."""
    now = f" (now {'audiences' if n.part == 'audience' else n.part} [{n.value}])" if n.value else ""
    claim = {"audience": "aud", "issuer": "iss", "keys": "kid"}.get(n.part, "aud/iss")
    message = (f"{n.target} changed the proxy's jwt validation {minutes_text(n.minutes_before)} "
               f"before the incident ({n.fields}){now}: tokens whose {n.part} ({claim} claim) the rule no longer "
               f"accepts are refused with 401 by the proxy's jwt filter before the application sees them; "
               f"{n.who} says '{n.denial}' ('{n.line[:160]}'). Restore the rule's previous {n.part} "
               "(or issue tokens that fit it)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": n.target.kind, "namespace": n.target.namespace, "name": n.target.name},
            "reason": "JwtRuleNarrowed", "message": message, "evidence": [n.line[:200]],
            "details": {"part": n.part, "value": n.value, "denial": n.denial}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the JWT rule, its finding, evidence ids, nothing further) for `agent.triage.behind`."""
    return [(n.target, finding(n), n.evidence, []) for n in found(facts)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a JWT rule was written: the rule objects, and the subject pods' proxy containers' lines
    that mention jwt (the app container the survey read does not see the proxy's refusals)."""
    writes = rule_writes(facts)
    if not writes or RECORD in facts.reads:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "proxy_lines": {},
                                                          "proxy_from": {}, "log_evidence": [], "before": {},
                                                          "dated_by": {}})
    for _, _, target in writes[:4]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-jwt-rule-{target.name}")
        if got is not None:
            kept["objects"][str(target)], kept["evidence"][str(target)] = got
    if not denials(facts):
        await _read_proxies(facts, call, kept)
    await _date_by_kubelet(facts, call, kept, writes[:2])


def _undated_source(facts: Facts) -> tuple[str, str, str, str] | None:
    """(pod, namespace, container, the denial's words) of the first denial that could date a write, when no denial
    carries a time (None when one does, or there is none)."""
    if first_denial(facts) is not None:
        return None
    for log in facts.logs:
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or entry.get("template") or "")
            if _dates(text) and (m := DENIAL.search(text)) and log.pod:
                return log.pod, log.namespace, "", m.group(0)
    kept = facts.reads.get(RECORD) or {}
    for pod, lines in (kept.get("proxy_lines") or {}).items():
        namespace, container = (kept.get("proxy_from") or {}).get(pod) or ("", "")
        for text in lines:
            if _dates(text) and (m := DENIAL.search(text)) and namespace:
                return pod, namespace, container, m.group(0)
    return None


async def _date_by_kubelet(facts: Facts, call: Callable[..., Awaitable[Any]], kept: dict[str, Any],
                           writes: list[tuple[dict[str, Any], str, Ref]]) -> None:
    """For refusals that print no time: how many the container printed before each write (kubelet stamps)."""
    source = _undated_source(facts)
    if source is None:
        return
    pod, namespace, container, words = source
    for change, _, target in writes:
        at = parse_time(change.get("at"))
        if at is None or at > facts.at:
            continue
        got = await log_since.split(call, pod, namespace, container, words, at - SLACK,
                                    f"survey-jwt-dated-{target.name}")
        if got is not None:
            kept["before"][str(target)] = got.before
            kept["dated_by"][str(target)] = got.evidence


async def _read_proxies(facts: Facts, call: Callable[..., Awaitable[Any]], kept: dict[str, Any]) -> None:
    """The subject pods' proxy containers' lines that mention jwt."""
    pods = [(str(p.get("name")), str(p.get("namespace") or (data.get("subject") or {}).get("namespace") or ""))
            for data, _ in facts.topologies for p in data.get("pods") or [] if isinstance(p, dict) and p.get("name")]
    for name, namespace in pods[:MAX_PODS]:
        got = await get_yaml(call, "Pod", name, namespace, f"survey-jwt-pod-{name}")
        containers = [c for c in ((got[0].get("spec") or {}).get("containers") or [] if got else [])
                      if isinstance(c, dict)]
        for c in containers:
            if not PROXY_CONTAINER.search(f"{c.get('name')} {c.get('image')}"):
                continue
            logs = await call("k8s_logs", {"name": name, "namespace": namespace, "container": str(c.get("name")),
                                           "grep": "jwt", "tail": 2000}, f"survey-jwt-proxy-{name}")
            if logs is not None and logs.ok:
                kept["proxy_lines"][name] = str(logs.full_text or logs.text).splitlines()[-50:]
                kept["proxy_from"][name] = (namespace, str(c.get("name")))
                kept["log_evidence"].append(logs.evidence_id)
