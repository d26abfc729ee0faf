"""Who is allowed: a rule that decides who may do what was narrowed shortly before the refused party's errors.

RBAC Roles and their bindings, a cert-manager Certificate's usages, a database's host-based authentication
(pg_hba, MySQL's allowed hosts): each decides whether a caller may do something, and a write that narrows one
shows only as the caller's refusal, in the software's own words. The caller looks broken (a Hazelcast member that
starts alone, a Go client's `bad certificate`, a JDBC pool's PSQLException) and the rule, edited by a chart or an
operator an hour earlier, is nowhere near the symptom. The refusal names what it lacks:

- the API server: `User "system:serviceaccount:NS:SA" cannot get resource "endpoints" in API group ""`;
- TLS: `x509: certificate specifies an incompatible key usage` (Go), `unsupported certificate purpose`
  (OpenSSL), `Extended key usage does not permit use for TLS client authentication` (Java);
- PostgreSQL: `pg_hba.conf rejects connection for host ..., no encryption` and `no pg_hba.conf entry for host`;
  MySQL: `Host '10.0.0.7' is not allowed to connect to this MySQL server`.

The rule is the object of that kind written before the first refusal whose CURRENT value no longer allows the
refused request (a role without the verb/resource, bound to the refused service account; a binding that no longer
lists it; a Certificate without the usage the peer checks; an hba list that rejects the connection's kind), read
from the cluster, never assumed. A rule that still allows the request (it widened) or was written after the
refusals began is not named. `found` is pure; `read` reads the refused pods' logs, the rules and their bindings.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, log_evidence, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.tls_words import AUTHORITY_REFUSED

CHECK = "change.access_rule_narrowed"
WEIGHT = 0.93
"""A rule write whose current value refuses exactly what the errors say is refused is the thing to undo: above the
refused caller's own symptoms and any rollout that merely happened nearby."""
READS = "access_rule"
LEAD = timedelta(hours=24)
"""How long before the first refusal a rule may have been written (pods that start later, pools that recycle)."""
MAX_LOG_PODS = 3
MAX_BINDINGS = 6
MAX_RULES = 4

Call = Callable[..., Awaitable[Any]]

RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_RBAC = re.compile(r'User "(?P<user>[^"]+)" cannot (?P<verb>[a-z]+) resource "(?P<resource>[^"]+)"'
                   r'(?: in API group "(?P<group>[^"]*)")?(?: in the namespace "(?P<ns>[^"]+)")?')
_FORBIDDEN = re.compile(r'(?P<resource>[a-z][\w.-]*)(?: "[^"]*")? is forbidden: User "(?P<user>[^"]+)"')
"""The API server's Status message cut before `cannot VERB` (a client that truncates it): the resource and user."""
_METHOD = re.compile(r"\b(?P<method>GET|LIST|WATCH|POST|PUT|PATCH|DELETE) (?:at: )?(?P<url>https?://\S+|/api\S*)")
_VERB_OF = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "LIST": "list", "WATCH": "watch"}
_SA = re.compile(r"^system:serviceaccount:(?P<ns>[^:]+):(?P<name>[^:]+)$")
_KEY_USAGE = re.compile(r"incompatible key usage|unsupported certificate purpose|extended key usage does not permit"
                        r"|key usage (?:does not|doesn't) (?:permit|allow)", re.I)
_CLIENT_SIDE_CHECK = re.compile(r"handshake error from|client certificate|tls client authentication|"
                                r"failed to verify (?:client|certificate)|peer certificate", re.I)
_SAN = re.compile(r"certificate is valid for (?P<names>.+?), not (?P<host>[\w*.-]+)|no subject alternative (?:dns )?"
                  r"names? matching (?:ip address )?(?P<host2>[\w.-]+) found", re.I)
_BAD_CERT = re.compile(r"remote error: tls: bad certificate|sslv3 alert bad certificate|alert bad certificate", re.I)
_PG_HBA = re.compile(r'(?:pg_hba\.conf rejects connection|no pg_hba\.conf entry) for host "(?P<host>[^"]+)",'
                     r' user "(?P<user>[^"]+)", database "(?P<db>[^"]+)"(?:, (?P<tls>no encryption|SSL encryption|'
                     r'SSL off|SSL on|GSS encryption))?')
_MYSQL_HOST = re.compile(r"Host '(?P<host>[^']+)' is not allowed to connect to this (?:MySQL|MariaDB) server", re.I)
_HBA_PATH = re.compile(r"hba|hostssl|ssl|tls|allowed_?hosts|host_?auth|authentication", re.I)
_TIME = re.compile(r"\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d")


@dataclass
class Refusal:
    """One refused request as the software printed it, and what that says it lacked."""

    kind: str
    """`rbac`, `tls_usage`, `tls_name`, `tls_authority`, `tls_bad_certificate` or `db_host`."""
    pod: str
    namespace: str
    line: str
    at: datetime | None
    evidence: str
    who: str = ""
    """The refused identity: a service account `ns/name`, a database user, a client host."""
    verb: str = ""
    resource: str = ""
    group: str = ""
    usage: str = ""
    """The key usage the checking side needs (`client auth`, `server auth`), when its words say which."""
    tls: str = ""
    """PostgreSQL's connection kind: `no encryption` or `SSL encryption`."""
    host: str = ""


@dataclass
class Fit:
    """A rule written before the refusals whose current value refuses them."""

    rule: Ref
    change: dict[str, Any]
    refusal: Refusal
    meaning: str
    """What the rule now allows and what it refuses, old -> new where the history holds the old value."""
    minutes_before: int
    explains: list[Ref]
    evidence: list[str] = field(default_factory=list)


# ---- the refusals ------------------------------------------------------------------------------------------------

def _plain(text: str) -> str:
    return text.replace('\\\\"', '"').replace('\\"', '"')


def parse(line: str) -> dict[str, str] | None:
    """What one log line says was refused, or None: the rule kind and the refused request's parts."""
    text = _plain(line)
    m = _RBAC.search(text)
    if m:
        return {"kind": "rbac", "who": m["user"], "verb": m["verb"], "resource": m["resource"],
                "group": m["group"] or "", "namespace": m["ns"] or ""}
    m = _FORBIDDEN.search(text)
    if m:
        resource, _, group = m["resource"].partition(".")
        return {"kind": "rbac", "who": m["user"], "verb": _verb(text, resource), "resource": resource,
                "group": group, "namespace": ""}
    m = _PG_HBA.search(text)
    if m:
        return {"kind": "db_host", "who": m["user"], "host": m["host"], "tls": m["tls"] or ""}
    m = _MYSQL_HOST.search(text)
    if m:
        return {"kind": "db_host", "who": "", "host": m["host"], "tls": ""}
    m = _SAN.search(text)
    if m:
        return {"kind": "tls_name", "host": m["host"] or m["host2"] or ""}
    if AUTHORITY_REFUSED.search(text):
        return {"kind": "tls_authority"}
    if _KEY_USAGE.search(text):
        lowered = text.lower()
        if "server authentication" in lowered:
            usage = "server auth"
        elif _CLIENT_SIDE_CHECK.search(text):
            usage = "client auth"
        else:
            usage = "server auth"  # a client verifying the server it called
        return {"kind": "tls_usage", "usage": usage}
    if _BAD_CERT.search(text):
        return {"kind": "tls_bad_certificate"}
    return None


def _verb(text: str, resource: str) -> str:
    """The verb of a refused API request whose message was cut, from the HTTP request the client printed (`GET at:
    .../endpoints/NAME` is get, `GET .../endpoints` is list), or "" when it printed none."""
    m = _METHOD.search(text)
    if m is None:
        return ""
    method = m["method"]
    if method != "GET":
        return _VERB_OF.get(method, "")
    path = m["url"].split("?")[0].rstrip("./").split("/")
    return "list" if path and path[-1] == resource else "get"


def _lines_of(facts: Facts) -> Iterator[tuple[str, str, str, str, str]]:
    """(pod, namespace, line, evidence id, first seen) of every error the survey kept, then the lines this module
    read; `first seen` is the log facts' first occurrence of the error's template when they say it (the earliest
    refusal decides which writes came before it), else the line itself."""
    for log in facts.logs:
        for error in [log.top or {}, *log.more, *log.warnings]:
            for key in ("example", "message"):
                if error.get(key):
                    yield (log.pod, log.namespace, str(error[key]), log.evidence_id,
                           str(error.get("first_seen") or error[key]))
        for line in log.last_lines:
            yield log.pod, log.namespace, line, log.evidence_id, line
    for pod, namespace, lines, evidence in (facts.reads.get(READS) or {}).get("logs") or []:
        for line in lines:
            yield pod, namespace, line, evidence, line


def refusals(facts: Facts) -> list[Refusal]:
    """Every distinct refusal in the logs read, earliest first (by kind, who, what and pod)."""
    out: dict[tuple[str, ...], Refusal] = {}
    for pod, namespace, line, evidence, seen in _lines_of(facts):
        got = parse(line)
        if got is None:
            continue
        stamp = _TIME.search(seen) or _TIME.search(line)
        at = parse_time(stamp.group(0).replace("/", "-").replace(" ", "T")) if stamp else None
        key = (got["kind"], got.get("who", ""), got.get("verb", ""), got.get("resource", ""), pod)
        earlier = out.get(key)
        if earlier is not None:
            if at is not None and (earlier.at is None or at < earlier.at):
                earlier.at = at
            continue
        out[key] = Refusal(kind=got["kind"], pod=pod, namespace=namespace, line=_plain(line).strip()[:300], at=at,
                           evidence=evidence, who=got.get("who", ""), verb=got.get("verb", ""),
                           resource=got.get("resource", ""), group=got.get("group", ""),
                           usage=got.get("usage", ""), tls=got.get("tls", ""), host=got.get("host", ""))
    return sorted(out.values(), key=lambda r: (r.at is None, r.at or datetime.min.replace(tzinfo=None)))


# ---- the rules ---------------------------------------------------------------------------------------------------

def _writes(facts: Facts, before: datetime) -> list[tuple[dict[str, Any], Ref, datetime, str]]:
    """Writes (or creations) within LEAD before `before`, newest first."""
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, until=before):
        at = parse_time(change.get("at"))
        if at is not None:
            out.append((change, target, at, evidence))
    out.sort(key=lambda w: w[2], reverse=True)
    return out


def grants(rules: Iterable[Any], verb: str, resource: str, group: str) -> bool:
    """Whether RBAC policy rules allow `verb` on `resource` in `group` (`*` wildcards); an unknown verb ("") asks
    whether they allow anything on the resource (a rule that lost the resource refuses every verb)."""
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        groups = [str(g) for g in rule.get("apiGroups") or []]
        resources = [str(r) for r in rule.get("resources") or []]
        verbs = [str(v) for v in rule.get("verbs") or []]
        if ("*" in groups or group in groups) and ("*" in resources or resource in resources) \
                and ("*" in verbs or verb in verbs or (not verb and verbs)):
            return True
    return False


def _rules_text(rules: Iterable[Any]) -> str:
    parts = []
    for rule in rules:
        if isinstance(rule, dict):
            parts.append(f"{','.join(map(str, rule.get('resources') or []))} "
                         f"{','.join(map(str, rule.get('verbs') or []))}")
    return "; ".join(parts) or "nothing"


def _binds(binding: dict[str, Any], sa_namespace: str, sa_name: str) -> bool:
    for s in binding.get("subjects") or []:
        if not isinstance(s, dict):
            continue
        if s.get("kind") == "ServiceAccount" and s.get("name") == sa_name \
                and (s.get("namespace") or str((binding.get("metadata") or {}).get("namespace") or "")) == sa_namespace:
            return True
        if s.get("kind") == "Group" and s.get("name") in ("system:serviceaccounts",
                                                          f"system:serviceaccounts:{sa_namespace}"):
            return True
    return False


def _objects(facts: Facts) -> dict[str, dict[str, Any]]:
    return dict((facts.reads.get(READS) or {}).get("objects") or {})


_DELEGATED = ("tokenreviews", "subjectaccessreviews")
"""What a server that delegates authentication/authorization (kube-rbac-proxy, an aggregated API server, a
webhook) creates per request: refused, it refuses its own callers."""
BUILTIN_ROLES: dict[str, dict[str, Any]] = {
    "system:auth-delegator": {"rules": [
        {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
        {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]}]},
}
"""Default ClusterRoles the API server creates at start, with their documented rules (Kubernetes RBAC docs, "Other
component roles"): a capture that leaves built-in roles out still tells what a binding to one granted. Only roles
whose rules are fixed by the API server are here; an edited or custom role is read from the cluster."""


def _rbac_fit(facts: Facts, r: Refusal) -> Fit | None:
    sa = _SA.match(r.who)
    if sa is None:
        return None
    objects = _objects(facts)
    bindings = [o for key, o in objects.items() if key.split(" ")[0] in ("RoleBinding", "ClusterRoleBinding")]
    before = r.at or facts.at
    for change, target, at, evidence in _writes(facts, before):
        if target.kind not in RBAC_KINDS:
            continue
        obj = objects.get(str(target))
        if obj is None:
            continue
        if target.kind in ("Role", "ClusterRole"):
            if grants(obj.get("rules") or [], r.verb, r.resource, r.group):
                continue  # it still allows the request: written, maybe widened, not the refusal
            bound = [b for b in bindings if (b.get("roleRef") or {}).get("kind") == target.kind
                     and (b.get("roleRef") or {}).get("name") == target.name
                     and (target.kind == "ClusterRole" or (b.get("metadata") or {}).get("namespace")
                          == target.namespace)
                     and _binds(b, sa["ns"], sa["name"])]
            if not bound:
                continue
            via = bound[0]
            meaning = (f"it now grants only {_rules_text(obj.get('rules') or [])}, no longer "
                       f"{r.verb or 'any verb on'} {r.resource}; "
                       f"{(via.get('kind') or 'binding')} {(via.get('metadata') or {}).get('name')} binds it to "
                       f"serviceaccount {sa['ns']}/{sa['name']}, which the API server now refuses (403 forbidden)")
        else:
            role = (obj.get("roleRef") or {})
            if _binds(obj, sa["ns"], sa["name"]):
                continue
            ref_key = f"{role.get('kind')} {role.get('name')}" if role.get("kind") == "ClusterRole" \
                else f"{role.get('kind')} {target.namespace}/{role.get('name')}"
            granted = objects.get(ref_key) or (BUILTIN_ROLES.get(str(role.get("name")))
                                               if role.get("kind") == "ClusterRole" else None)
            if granted is None or not grants(granted.get("rules") or [], r.verb, r.resource, r.group):
                continue
            meaning = (f"its subjects no longer include serviceaccount {sa['ns']}/{sa['name']}, which "
                       f"{role.get('kind')} {role.get('name')} would let {r.verb} {r.resource}; the API server now "
                       "refuses it (403 forbidden)")
            if r.resource in _DELEGATED:
                meaning += (f"; {sa['name']} delegates its callers' authentication to the API server "
                            f"({r.resource}), so it now rejects every caller's token (401 Unauthorized)")
        return Fit(rule=target, change=change, refusal=r, meaning=meaning,
                   minutes_before=int((facts.at - at).total_seconds() // 60),
                   explains=[Ref("Deployment", r.namespace, workload_of_pod(r.pod))] if r.pod else [],
                   evidence=[evidence, r.evidence])
    return None


def _usages_text(usages: Iterable[Any]) -> str:
    return ", ".join(str(u) for u in usages) or "none"


def _cert_fit(facts: Facts, r: Refusal, namespaces: set[str]) -> Fit | None:
    objects = _objects(facts)
    before = r.at or facts.at
    for change, target, at, evidence in _writes(facts, before):
        if target.kind != "Certificate" or target.namespace not in namespaces:
            continue
        obj = objects.get(str(target))
        if obj is None:
            continue
        if r.kind in ("tls_name", "tls_authority"):
            meaning = _name_or_issuer(facts, target, obj, r)
            if not meaning:
                continue
            return Fit(rule=target, change=change, refusal=r, meaning=meaning,
                       minutes_before=int((facts.at - at).total_seconds() // 60),
                       explains=[Ref("Deployment", r.namespace, workload_of_pod(r.pod))] if r.pod else [],
                       evidence=[evidence, r.evidence])
        usages = [str(u) for u in (obj.get("spec") or {}).get("usages") or []]
        previous = (facts.reads.get(READS) or {}).get("previous_usages", {}).get(str(target))
        needed = r.usage or next((u for u in (previous or []) if u not in usages), "")
        if not needed or needed in usages or (not usages and not previous):
            continue  # cert-manager's default (no usages) is digital signature, key encipherment: not narrowed here
        old = f"[{_usages_text(previous)}] -> " if previous and previous != usages else ""
        meaning = (f"spec.usages {old}[{_usages_text(usages)}]: the certificate it issued has no {needed} key usage, "
                   f"so the peer that checks it refuses the handshake (x509 incompatible key usage)")
        return Fit(rule=target, change=change, refusal=r, meaning=meaning,
                   minutes_before=int((facts.at - at).total_seconds() // 60),
                   explains=[Ref("Deployment", r.namespace, workload_of_pod(r.pod))] if r.pod else [],
                   evidence=[evidence, r.evidence])
    return None


def covers(names: Iterable[str], host: str) -> bool:
    """Whether a certificate's DNS names cover `host` (a `*.` wildcard covers one label)."""
    for name in names:
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False


def _name_or_issuer(facts: Facts, cert: Ref, obj: dict[str, Any], r: Refusal) -> str:
    """What a Certificate now says that the peer's name or authority refusal names, or "" when it does not: DNS
    names that no longer cover the host asked for, or an issuer other than the previous request's."""
    spec = obj.get("spec") or {}
    if r.kind == "tls_name":
        names = [str(n) for n in spec.get("dnsNames") or []] + ([str(spec["commonName"])] if spec.get("commonName")
                                                               else [])
        if not r.host or not names or covers(names, r.host):
            return ""
        return (f"spec.dnsNames now [{', '.join(names)}], which no longer cover {r.host}: clients that call it by "
                f"that name refuse its certificate (x509 certificate is valid for other names)")
    before = (facts.reads.get(READS) or {}).get("previous_issuer", {}).get(str(cert))
    now = spec.get("issuerRef") or {}
    if not before or not now or (before.get("kind"), before.get("name")) == (now.get("kind"), now.get("name")):
        return ""
    return (f"spec.issuerRef {before.get('kind')}/{before.get('name')} -> {now.get('kind')}/{now.get('name')}: "
            f"peers that trust only the old CA refuse the reissued certificate (signed by unknown authority)")


def hba_refuses(entries: list[str], r: Refusal) -> str:
    """The first pg_hba line that refuses the connection (a `reject` line it matches, or the absence of any line
    that allows it), or "" when the list allows it."""
    encrypted = r.tls.lower() in ("ssl encryption", "ssl on", "gss encryption")
    for entry in entries:
        words = str(entry).split()
        if len(words) < 4 or words[0].startswith("#"):
            continue
        conn, address = words[0].lower(), words[3] if words[0].lower() != "local" else ""
        if conn == "local" or (conn == "hostssl" and not encrypted) or (conn == "hostnossl" and encrypted):
            continue
        if address and r.host and not _address_matches(address, r.host):
            continue
        return str(entry) if words[-1].lower() == "reject" else ""
    return "no line allows it"


def _address_matches(address: str, host: str) -> bool:
    if address in ("all", "0.0.0.0/0", "::/0"):
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(address, strict=False)
    except ValueError:
        return address == host


def _hba_entries(obj: Any) -> list[str] | None:
    """The first list under a key naming host-based authentication (pg_hba, hba), anywhere in the object's spec."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if re.search(r"hba", str(key), re.I) and isinstance(value, list):
                return [str(v) for v in value]
        for value in obj.values():
            found = _hba_entries(value)
            if found is not None:
                return found
    return None


def _db_fit(facts: Facts, r: Refusal, related: set[str]) -> Fit | None:
    objects = _objects(facts)
    before = r.at or facts.at
    for change, target, at, evidence in _writes(facts, before):
        written = " ".join(str(d) for d in change.get("diff") or []) or str(change.get("summary") or "")
        if not _HBA_PATH.search(written) or target.namespace not in related:
            continue
        obj = objects.get(str(target))
        entries = _hba_entries((obj or {}).get("spec")) if obj else None
        if entries is None:
            continue
        refusing = hba_refuses(entries, r)
        if not refusing:
            continue
        conn = f" ({r.tls})" if r.tls else ""
        meaning = (f"pg_hba now {json.dumps(entries)[:160]}: `{refusing}` refuses host {r.host}"
                   f"{' user ' + r.who if r.who else ''}{conn}; a client connecting without TLS (sslmode=disable) "
                   "is rejected")
        if r.tls.lower() not in ("no encryption", "ssl off"):
            meaning = (f"pg_hba now {json.dumps(entries)[:160]}: `{refusing}` refuses host {r.host}"
                       f"{' user ' + r.who if r.who else ''}{conn}")
        return Fit(rule=target, change=change, refusal=r, meaning=meaning,
                   minutes_before=int((facts.at - at).total_seconds() // 60),
                   explains=[Ref("Deployment", r.namespace, workload_of_pod(r.pod))] if r.pod else [],
                   evidence=[evidence, r.evidence])
    return None


def _dependency_namespaces(facts: Facts, namespace: str) -> set[str]:
    """Namespaces of what the refused pod's workload calls (its topology's dependencies), and its own."""
    out = {namespace}
    for data, _ in facts.topologies:
        if str((data.get("subject") or {}).get("namespace") or "") != namespace:
            continue
        for dep in data.get("dependencies") or []:
            target = Ref.of((dep or {}).get("target")) if isinstance(dep, dict) else None
            if target is not None and target.namespace:
                out.add(target.namespace)
    return out


def found(facts: Facts) -> list[Fit]:
    """Rules whose current value refuses what the logs say was refused, written before the first refusal."""
    out: list[Fit] = []
    seen: set[str] = set()
    tls_namespaces = {ns for r in refusals(facts) if r.kind.startswith("tls")
                      for ns in _dependency_namespaces(facts, r.namespace)}  # a server's certificate: its callee's
    for r in refusals(facts):
        if r.kind == "rbac":
            fit = _rbac_fit(facts, r)
        elif r.kind.startswith("tls"):
            fit = _cert_fit(facts, r, tls_namespaces)
        else:
            fit = _db_fit(facts, r, _dependency_namespaces(facts, r.namespace))
        if fit is not None and str(fit.rule) not in seen:
            seen.add(str(fit.rule))
            out.append(fit)
    return out


def finding(f: Fit) -> dict[str, Any]:
    """The suspect: the rule and its write, then what it now refuses, then the refusal as printed (the headline is
    cut: the meaning first)."""
    message = (f"{f.rule} narrowed {minutes_text(f.minutes_before)} before the alert: {f.meaning}. "
               f"The refused side says: '{f.refusal.line[:220]}'. Restore what {f.rule} allowed before.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": f.rule.kind, "namespace": f.rule.namespace, "name": f.rule.name},
            "reason": "AccessRuleNarrowed", "message": message, "evidence": [f.refusal.pod],
            "details": {"change_at": f.change.get("at"), "refusal": f.refusal.kind, "who": f.refusal.who,
                        "verb": f.refusal.verb, "resource": f.refusal.resource, "usage": f.refusal.usage}}


# ---- reading -----------------------------------------------------------------------------------------------------

def _subject_pods(subject: Subject, facts: Facts) -> list[tuple[str, str]]:
    read = {log.pod for log in facts.logs}
    out = []
    for data, _ in facts.topologies[:1]:
        for pod in data.get("pods") or []:
            if isinstance(pod, dict) and pod.get("name") and pod.get("phase") == "Running" \
                    and str(pod["name"]) not in read:
                out.append((str(pod["name"]), str(pod.get("namespace") or subject.namespace or "")))
    return out


_REFUSED_STATUS = re.compile(r"""(?:status(?:_?code)?["']?\s*[=:]\s*["']?|\bHTTP/[\d.]+["']?\s+)40[13]\b|"""
                             r"\b(?:401 Unauthorized|403 Forbidden)\b|\"body\":\"(?:Unauthorized|Forbidden)", re.I)
"""A caller's line saying the upstream ANSWERED 401/403: the upstream decided, and its own log says why."""
_CLUSTER_HOST = re.compile(r"^(?P<svc>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)"
                           r"(?:\.svc(?:\.[a-z0-9.-]+)?)?(?::\d+)?$")
MAX_CALLEES = 2


def answering_services(facts: Facts) -> list[tuple[str, str]]:
    """(service, namespace) of the in-cluster upstreams the surveyed callers say answered them 401/403: a service
    that delegates authentication (TokenReview, SubjectAccessReview) and lost the right to ask refuses every caller,
    and only ITS log names the RBAC refusal."""
    out: list[tuple[str, str]] = []
    for log in facts.logs:
        if not any(_REFUSED_STATUS.search(str(e.get("example") or e.get("message") or "")) for e in log.entries()):
            continue
        for host in log.hosts:
            m = _CLUSTER_HOST.match(host.strip().lower())
            if m and m["ns"] not in ("svc", "cluster") and (m["svc"], m["ns"]) not in out:
                out.append((m["svc"], m["ns"]))
    return out


async def _answering_pods(facts: Facts, call: Call) -> list[tuple[str, str]]:
    """Running pods of the upstreams the callers say refused them (by the pod-name shape of the Service's name)."""
    read = {log.pod for log in facts.logs}
    out: list[tuple[str, str]] = []
    for svc, namespace in answering_services(facts)[:MAX_CALLEES]:
        outcome = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-access-callee-{svc}")
        rows = (outcome.data.get("rows") or []) if outcome is not None and outcome.ok \
            and isinstance(outcome.data, dict) else []
        out += [(str(r["name"]), namespace) for r in rows if isinstance(r, dict) and r.get("name")
                and workload_of_pod(str(r["name"])) == svc and str(r["name"]) not in read][:MAX_LOG_PODS]
    return out


async def _read_refusing_logs(store: dict[str, Any], pods: list[tuple[str, str]], call: Call) -> None:
    """The first of these pods whose log holds a refusal: its refusing lines, kept for `refusals`."""
    for name, namespace in pods:
        outcome = await call("k8s_logs", {"name": name, "namespace": namespace, "tail": 300},
                             f"survey-access-logs-{name}")
        evidence = log_evidence(outcome.data, outcome.evidence_id) \
            if outcome is not None and outcome.ok and isinstance(outcome.data, dict) else None
        if evidence is not None:
            said = [str(e.get(k)) for e in [evidence.top or {}, *evidence.more, *evidence.warnings]
                    for k in ("example", "message") if e.get(k)]
            lines = [ln for ln in [*said, *str(outcome.full_text).splitlines()] if parse(ln) is not None]
            if lines:
                store["logs"].append((name, namespace, lines[:20], outcome.evidence_id))
                return


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: when no refusal is in the logs read, the subject's other running pods (new members fail
    alone); then, for each refusal, the rules of its kind written before it and what binds them."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {"logs": [], "objects": {}, "previous_usages": {},
                                                                 "previous_issuer": {}})
    if not refusals(facts):
        await _read_refusing_logs(store, _subject_pods(subject, facts)[:MAX_LOG_PODS], call)
    if not refusals(facts):
        await _read_refusing_logs(store, await _answering_pods(facts, call), call)
    found_refusals = refusals(facts)
    if not found_refusals:
        return
    kinds = {r.kind for r in found_refusals}
    wanted: list[Ref] = []
    for change, target, _, _ in _writes(facts, facts.at):
        rbac = target.kind in RBAC_KINDS and "rbac" in kinds
        cert = target.kind == "Certificate" and any(k.startswith("tls") for k in kinds)
        written = " ".join(str(d) for d in change.get("diff") or [])
        hba = "db_host" in kinds and bool(_HBA_PATH.search(written))
        if (rbac or cert or hba) and target not in wanted:
            wanted.append(target)
    for target in wanted[:MAX_RULES]:
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-access-{target.kind.lower()}-{target.name}")
        if got is None:
            continue
        store["objects"][str(target)] = got[0]
        if target.kind == "Certificate":
            await _previous_usages(store, target, call)
    if "rbac" in kinds:
        await _read_bindings(store, found_refusals, [t for t in wanted[:MAX_RULES] if t.kind in RBAC_KINDS], call)


async def _previous_usages(store: dict[str, Any], cert: Ref, call: Call) -> None:
    """The usages and issuer of the Certificate's previous revision (its CertificateRequest `<name>-<revision - 1>`)."""
    names = await list_names(call, "CertificateRequest", cert.namespace, f"survey-access-requests-{cert.namespace}")
    if names is None:
        return
    revisions = sorted(int(n.rsplit("-", 1)[1]) for n in names[0]
                       if n.startswith(cert.name + "-") and n.rsplit("-", 1)[1].isdigit())
    if len(revisions) < 2:
        return
    got = await get_yaml(call, "CertificateRequest", f"{cert.name}-{revisions[-2]}", cert.namespace,
                         f"survey-access-request-{cert.name}")
    if got is not None:
        spec = got[0].get("spec") or {}
        store["previous_usages"][str(cert)] = [str(u) for u in spec.get("usages") or []]
        store.setdefault("previous_issuer", {})[str(cert)] = dict(spec.get("issuerRef") or {})


async def _read_bindings(store: dict[str, Any], found_refusals: list[Refusal], written: list[Ref],
                         call: Call) -> None:
    """The RoleBindings of each refused service account's namespace and the ClusterRoleBindings likeliest to bind it
    (named like the account or a written role; `system:` ones last), and the roles the written bindings refer to:
    what links a written rule to the refused account."""
    accounts = [m for r in found_refusals if (m := _SA.match(r.who))]
    words = {w for m in accounts for w in re.split(r"[-_.]", m["name"]) if len(w) > 2}
    words |= {w for ref in written for w in re.split(r"[-_.]", ref.name) if len(w) > 2}
    for kind, namespace in [*(("RoleBinding", ns) for ns in sorted({m["ns"] for m in accounts})),
                            ("ClusterRoleBinding", "")]:
        names = await list_names(call, kind, namespace,
                                 f"survey-access-{kind.lower()}s{'-' + namespace if namespace else ''}")
        if names is None:
            continue
        ordered = sorted(names[0], key=lambda n: (not any(w in n for w in words), n.startswith("system:"), n))
        for name in ordered[:MAX_BINDINGS]:
            key = f"{kind} {namespace + '/' if namespace else ''}{name}"
            if key in store["objects"]:
                continue
            got = await get_yaml(call, kind, name, namespace, f"survey-access-{kind.lower()}-{name}")
            if got is not None:
                store["objects"][key] = got[0]
    for ref in written:
        obj = store["objects"].get(str(ref))
        if obj is None or not ref.kind.endswith("Binding"):
            continue
        role = obj.get("roleRef") or {}
        namespace = "" if role.get("kind") == "ClusterRole" else ref.namespace
        ref_key = f"{role.get('kind')} {namespace + '/' if namespace else ''}{role.get('name')}"
        if role.get("name") and ref_key not in store["objects"]:
            got = await get_yaml(call, str(role.get("kind")), str(role.get("name")), namespace,
                                 f"survey-access-role-{role.get('name')}")
            if got is not None:
                store["objects"][ref_key] = got[0]
