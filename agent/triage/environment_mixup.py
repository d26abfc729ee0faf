"""Another environment's key or config written into this one: the workload now calls hosts that exist only there.

A Secret or ConfigMap re-applied with a value from another environment (a staging feature-flag SDK key, a dev
remote-config environment id, a test tenant's API key) breaks nothing at the write. The workload that reads it
restarts (or reloads) and now evaluates THAT environment's flags and settings: a flag that is on in staging
routes production calls to a service production does not run, a config points at a staging endpoint. What shows
is the victim's resolver failure for a host that only exists elsewhere (Node `getaddrinfo ENOTFOUND`, Go `no such
host`, Java `UnknownHostException`, curl `Could not resolve host`, glibc `Name or service not known`); the missing
Service the host names is the victim of the key, not the cause.

So: a pod on the incident's path whose errors fail to resolve a host, first printed after a write (within
`LEAD`) to a Secret or ConfigMap the pod references (env, envFrom, volume), whose own metadata marks it as
another environment (an annotation or label key naming the environment, `.../environment: staging`; for a
ConfigMap also an environment-named key or a URL host spelling one) that the victim's own namespace, labels and
environment variables do not name. The finding says what the object now carries (whose environment, which
key and what kind of credential by the env name that reads it), and that the unresolvable host exists only
there. A write after the errors began, an object marked with the victim's own environment, or one it does not
reference are not named. Secrets: metadata only (annotations and labels); their values are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.value_shape import uses_of

CHECK = "change.environment_mixup"
WEIGHT = 0.93
"""A write whose own environment marker and the victim's unresolvable host explain the errors: above the missing
dependency it makes the victim call (a dependency finding is a symptom here)."""
READS = "environment_mixup"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_READS = 4
Call = Callable[..., Awaitable[Any]]

_GAI = (r"No such host is known|Name or service not known|nodename nor servname provided, or not known|"
        r"Temporary failure in name resolution|No address associated with hostname")
"""getaddrinfo's own texts (glibc, BSD/macOS, Windows' WSAHOST_NOT_FOUND) as runtimes print them."""
UNRESOLVED = re.compile(
    r"ENOTFOUND\s+(?P<a>[\w.-]+)|lookup (?P<b>[\w.-]+)(?: on [\d.:]+)?: no such host|"
    r"UnknownHostException:\s*(?P<c>[\w.-]+)|Could not resolve host:?\s*(?P<d>[\w.-]+)|"
    r"(?P<e>[\w.-]+): Name or service not known(?!\.?\s*\([\w.-])|NXDOMAIN[^\n]{0,40}?(?P<f>[\w-]+\.[\w.-]+)|"
    rf"(?:{_GAI})\.?\s*\((?P<g>[\w.-]+?)(?::\d+)?\)|Failed to resolve '(?P<h>[\w.-]+)'|"
    rf"host='(?P<i>[\w.-]+)'[^\n]*?(?:{_GAI}|getaddrinfo failed)|"
    r"Failed to open TCP connection to (?P<j>[\w.-]+):\d+ \(getaddrinfo|EAI_AGAIN\s+(?P<k>[\w.-]+)|"
    rf"Cannot connect to host (?P<l>[\w.-]+):\d+ [^\n]*?\[(?:{_GAI})", re.I)
"""Resolver failures with the host, in the wording of Node (ENOTFOUND, EAI_AGAIN), Go, the JVM, curl, glibc,
resolvers' NXDOMAIN, .NET (`No such host is known. (host:443)`), Python's urllib3/requests (`Failed to resolve
'host'`, `host='host' ... Name or service not known`) and aiohttp (`Cannot connect to host host:443 ... [Name or
service not known]`), Ruby's Net::HTTP (`Failed to open TCP connection to host:443 (getaddrinfo`)."""
_NOT_HOST = re.compile(r"(?:Exception|Error)$|^getaddrinfo$|^(?:socket|gaierror|Errno)$", re.I)
"""What a loose match may take for a host: an exception's class name, the resolver call's own name."""
NONPROD = ("staging", "stage", "stg", "development", "dev", "qa", "test", "testing", "uat", "sandbox", "preprod",
           "pre-prod", "preview", "nonprod", "non-prod")
ENV_KEY = re.compile(r"(?:^|[/._-])(?:env|environment|stage|deployment[-_.]?environment|deploy[-_.]?env)$", re.I)
"""Annotation, label or config keys that name an environment (`flags.example.com/environment`, `env`,
`app.kubernetes.io/environment`)."""
ENV_PAIR = re.compile(r"(?:^|[,;\s])((?:[\w-]+\.)*(?:env|environment))\s*=\s*([\w.-]+)", re.I)
"""`key=value` pairs inside a config value that name an environment: OpenTelemetry's
`OTEL_RESOURCE_ATTRIBUTES=deployment.environment=staging`, Datadog's `DD_TAGS=env:...` spelt with `=`."""
ENV_VARS = re.compile(r"^(?:[A-Z]+_)?(?:ENV|ENVIRONMENT|STAGE|NODE_ENV|APP_ENV|RAILS_ENV|RACK_ENV|"
                      r"SPRING_PROFILES_ACTIVE|ASPNETCORE_ENVIRONMENT|DEPLOY_ENV)$")
KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"LD_|LAUNCHDARKLY|UNLEASH|FLAGSMITH|SPLIT|OPENFEATURE|FLAGD|CONFIGCAT|GROWTHBOOK|STATSIG|"
                r"OPTIMIZELY|FEATURE|FLAG", re.I),
     "a feature-flag SDK key: the SDK now serves that environment's flags"),
    (re.compile(r"CONFIG|APPCONFIG|CONSUL|REMOTE", re.I), "a remote-config key: the service now loads that "
                                                         "environment's settings"),
)


def _word(value: str) -> str:
    """The non-production environment a value names (`staging`, `stg.`...), or ""."""
    for w in NONPROD:
        if re.search(rf"(?:^|[^a-z]){re.escape(w)}(?:[^a-z]|$)", value.lower()):
            return w
    return ""


def marker(obj: dict[str, Any]) -> tuple[str, str]:
    """(where, environment) an object marks itself with: metadata annotations/labels whose key names an
    environment; for a ConfigMap also its env-named keys and URL hosts. Secrets: metadata only."""
    meta = obj.get("metadata") or {}
    for source in ("annotations", "labels"):
        for k, v in (meta.get(source) or {}).items():
            if ENV_KEY.search(str(k)) and (w := _word(str(v))):
                return f"{source[:-1]} {k}={v}", w
    if obj.get("kind") == "ConfigMap":
        for k, v in (obj.get("data") or {}).items():
            text = str(v)
            if ENV_KEY.search(str(k)) and (w := _word(text)):
                return f"key {k}={text[:40]}", w
            for host in re.findall(r"https?://([\w.-]+)", text):
                if w := _word(host):
                    return f"key {k} points at {host}", w
            for pair in ENV_PAIR.finditer(text):
                if w := _word(pair.group(2)):
                    return f"key {k} says {pair.group(1)}={pair.group(2)}", w
    return "", ""


def victim_environment(pod: dict[str, Any], namespace: str) -> set[str]:
    """The environments the victim itself names: its namespace, its labels, its env variables' values."""
    out = {w for w in (_word(namespace),) if w}
    meta = pod.get("metadata") or {}
    out |= {w for k, v in (meta.get("labels") or {}).items() if ENV_KEY.search(str(k)) and (w := _word(str(v)))}
    for c in (pod.get("spec") or {}).get("containers") or []:
        for e in (c or {}).get("env") or []:
            if isinstance(e, dict) and ENV_VARS.match(str(e.get("name") or "")) and (w := _word(str(e.get("value")))):
                out.add(w)
    return out


@dataclass
class Mixup:
    """A referenced Secret/ConfigMap written with another environment's marker before the victim's lookups failed."""

    target: Ref
    where: str
    environment: str
    use: str
    host: str
    error: str
    victim: Ref
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def unresolved_host(text: str) -> str:
    """The host a resolver failure names, or "" (the first match that is a host, not a class or call name)."""
    for m in UNRESOLVED.finditer(text):
        host = next((g for g in m.groups() if g), "")
        if host and not _NOT_HOST.search(host):
            return host
    return ""


def _unresolved(facts: Facts) -> list[tuple[str, str, datetime | None, Any]]:
    """(host, error text, first seen, log) for each surveyed pod whose errors fail to resolve a host."""
    out = []
    for log in facts.logs:
        for e in log.entries():
            text = str(e.get("example") or e.get("message") or e.get("template") or "")
            if (host := unresolved_host(text)) and log.pod:
                out.append((host, text, parse_time(e.get("first_seen")), log))
                break
    return out


def _writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime, str]]:
    out = []
    for change, evidence, target in facts.writes_to(("Secret", "ConfigMap"), within=LEAD):
        at = parse_time(change.get("at"))
        if at is not None:
            out.append((change, target, at, evidence))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a surveyed pod fails to resolve a host and a Secret/ConfigMap was written: the pod's spec
    (what it references, its own environment) and each written object it references (metadata; a ConfigMap's
    data)."""
    misses = _unresolved(facts)
    writes = _writes(facts)
    if not misses or not writes:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"pods": {}, "objects": {}})
    reads = 0
    for _, _, _, log in misses[:2]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-env-mixup-pod-{log.pod}")
        reads += 1
        if got is None:
            continue
        pod = got[0]
        uses = {str(u.target): u.via for u in uses_of(pod, log.namespace)}
        store["pods"][log.pod] = {"uses": uses, "environments": sorted(victim_environment(pod, log.namespace)),
                                  "words": _spec_words(pod)[:4000], "evidence": got[1]}
        for _, target, _, _ in writes:
            if str(target) not in uses or str(target) in store["objects"] or reads >= MAX_READS \
                    or target.kind == "Secret":  # Secrets are never read (the guardrails refuse them too)
                continue
            obj = await get_yaml(call, target.kind, target.name, target.namespace,
                                 f"survey-env-mixup-{target.kind.lower()}-{target.name}")
            reads += 1
            if obj is None:
                continue
            kept = {"kind": target.kind, "metadata": {k: (obj[0].get("metadata") or {}).get(k)
                                                      for k in ("annotations", "labels")}}
            if target.kind == "ConfigMap":  # a Secret's data is never kept
                kept["data"] = obj[0].get("data") or {}
            where, env = marker(kept)
            store["objects"][str(target)] = {"where": where, "environment": env, "evidence": obj[1]}


def _spec_words(pod: dict[str, Any]) -> str:
    """The victim's own configured values (env values, args, command): the hosts its spec itself names."""
    words: list[str] = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        if isinstance(c, dict):
            words += [str(e.get("value") or "") for e in c.get("env") or [] if isinstance(e, dict)]
            words += [str(a) for a in [*(c.get("args") or []), *(c.get("command") or [])]]
    return " ".join(w for w in words if w)


def _remote_config(use: str) -> bool:
    """Whether the env/volume that reads the object is a feature-flag or remote-config key (by its name)."""
    return any(pattern.search(use.split("(key ")[0]) for pattern, _ in KINDS)


def _kind_of(use: str) -> str:
    for pattern, said in KINDS:
        if pattern.search(use):
            return said
    return "a credential of that environment"


def found(facts: Facts) -> list[Mixup]:
    """Referenced objects marked with another environment, written before the victim's first failed lookup."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Mixup] = []
    for host, text, first, log in _unresolved(facts):
        pod = (store.get("pods") or {}).get(log.pod)
        if pod is None:
            continue
        for _, target, at, evidence in _writes(facts):
            seen = (store.get("objects") or {}).get(str(target)) or {}
            env = str(seen.get("environment") or "")
            use = str(pod["uses"].get(str(target)) or "")
            if not use or (env and env in pod["environments"]):
                continue
            if not env and not (_remote_config(use) and host.split(".")[0] not in str(pod.get("words") or "")):
                continue  # no marker: only a flag/config key whose environment now sends it to a host of its own
            if first is not None and first < at - SLACK:
                continue  # the lookups failed before the write
            if any(m.target == target for m in out):
                continue
            out.append(Mixup(target, str(seen.get("where") or ""), env, use, host, text,
                             Ref("Pod", log.namespace, log.pod), int((facts.at - at).total_seconds() // 60),
                             [e for e in (evidence, pod.get("evidence"), seen.get("evidence")) if e]))
    return out


def finding(m: Mixup) -> dict[str, Any]:
    """Whose environment the object now carries and what that makes the victim do, first."""
    if m.environment:
        what = f"with {m.environment}'s value ({m.where})"
        then = f"it now follows the {m.environment} environment and calls {m.host}, a host that exists only there"
    else:
        what = "with a new value"
        then = (f"{m.host}, a host its own spec never names and this cluster does not resolve, comes from that "
                "key's environment: another environment's (staging, dev) key makes it evaluate that environment's "
                "flags and call what only exists there")
    message = (f"{m.target} was written {minutes_text(m.minutes_before)} before the incident {what}: {m.victim} reads "
               f"it ({m.use}), {_kind_of(m.use)}; {then} ('{m.error[:160]}'). The missing {m.host} is a victim of "
               f"the changed key, not the cause: put this environment's value back in {m.target}")
    return {"check": CHECK, "severity": "critical", "object": {"kind": m.target.kind, "namespace": m.target.namespace,
                                                               "name": m.target.name},
            "reason": "EnvironmentMixup", "message": message, "evidence": [m.error[:200], m.where],
            "details": {"environment": m.environment, "host": m.host, "use": m.use}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the object, its finding, evidence ids, the victim pod) for `agent.triage.behind`."""
    return [(m.target, finding(m), m.evidence, [m.victim]) for m in found(facts)]
