"""A load balancer's idle timeout raised above its backend's keep-alive timeout: the balancer reuses closed sockets.

A load balancer (an AWS ALB or NLB, an Azure, OCI or DigitalOcean load balancer, ingress-nginx) keeps idle
connections to its targets open for its own idle timeout and reuses them. When the backend closes an idle connection
sooner (Node.js `keepAliveTimeout`, gunicorn `--keep-alive`, uvicorn `--timeout-keep-alive`), a request the balancer
sends on it as the backend closes it gets no answer, and the balancer answers 502 to a few percent of requests, on
every route. The backend's own logs show only successes (the failed requests never reached it) and a managed
balancer's log is not in the cluster, so the one trace is the write that raised the balancer's idle timeout: a
cluster-scoped IngressClassParams (every Ingress of its class), an Ingress or Service annotation, or the ingress
controller's ConfigMap. The documented rule is that the target's idle timeout must exceed the balancer's.

`keepalive_race` reads the other direction (the backend's setting lowered, shown by a proxy's premature-close
log). This module names a recent write to a balancer setting when (a) its new idle timeout is above the backend's
keep-alive timeout (its env or flag, or its runtime's documented default), (b) its old value, when the change line
says it, was not already above, and (c) the written object fronts the subject's Service: the Service itself, an
Ingress routing to it, the parameters of that Ingress's class, or the ConfigMap of an nginx controller of that
class. Reading only, and only when the incident's words name a gateway-class error (502, 503, gateway).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.keepalive_race import DEFAULTS, FLAGS, KEY
from agent.triage.keepalive_race import seconds as setting_seconds
from agent.triage.kube_reads import get_yaml, list_names

CHECK = "change.lb_idle_above_backend"
WEIGHT = 0.9
LEAD = timedelta(hours=6)
READS = "lb_idle_raised"
MAX_INGRESSES = 4

Call = Callable[..., Awaitable[Any]]

BALANCER_KEYS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"idle_timeout\.timeout_seconds", re.I), "the ALB's idle_timeout.timeout_seconds", 1.0),
    (re.compile(r"aws-load-balancer-connection-idle-timeout", re.I),
     "the AWS load balancer's connection idle timeout", 1.0),
    (re.compile(r"azure-load-balancer-tcp-idle-timeout", re.I), "the Azure load balancer's TCP idle timeout (minutes)",
     60.0),
    (re.compile(r"upstream-keepalive-timeout", re.I), "ingress-nginx's upstream-keepalive-timeout", 1.0),
    (re.compile(r"oci-load-balancer-connection-idle-timeout", re.I),
     "the OCI load balancer's connection idle timeout", 1.0),
    (re.compile(r"do-loadbalancer-http-idle-timeout-seconds", re.I),
     "the DigitalOcean load balancer's HTTP idle timeout", 1.0),
)
"""A balancer's idle timeout for its target connections, by key as it is written, with its unit in seconds."""

NOT_SERVER = re.compile(r"db|pool|redis|sql|client|upstream|cache|conn(?:ection)?_?max|grpc", re.I)
"""Keep-alive-looking env keys that are a client's, not the HTTP server's idle timeout."""

NUMBER = re.compile(r"(\d+(?:\.\d+)?)")

GATEWAY_PROBLEMS = {"ingress"}
"""Subject problem words that name a gateway-class error (502, 503, 'gateway'): see subject.PROBLEM_WORDS."""


@dataclass
class Raised:
    """A balancer setting written to an idle timeout above the keep-alive timeout of a backend it fronts."""

    target: Ref
    change: dict[str, Any]
    setting: str
    new_s: float
    old_s: float | None
    workload: Ref
    backend_s: float
    backend_source: str
    via: str
    evidence: list[str] = field(default_factory=list)


def _number_after(text: str) -> float | None:
    m = NUMBER.search(text)
    return float(m.group(1)) if m else None


def written_idle(change: dict[str, Any]) -> tuple[str, float, float | None] | None:
    """The balancer setting a change line writes, its new value and its old one (when the line says `old -> new`),
    in seconds."""
    for line in [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]:
        for pattern, label, unit in BALANCER_KEYS:
            m = pattern.search(line)
            if m is None:
                continue
            rest = line[m.end():m.end() + 160]
            if "->" in rest:
                before, after = rest.split("->", 1)
                old, new = _number_after(before), _number_after(after)
            else:
                old, new = None, _number_after(rest)
            if new is not None:
                return label, new * unit, old * unit if old is not None else None
    return None


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, tuple[str, float, float | None]]]:
    """Recent writes (not deletions) that set a balancer's idle timeout."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        if str(change.get("type") or "") in ("delete", "deleted"):
            continue
        got = written_idle(change)
        if got is not None:
            out.append((change, target, got))
    return out


def backend_idle(obj: dict[str, Any]) -> tuple[float, str] | None:
    """A workload's HTTP server idle keep-alive timeout: its env key or flag, else its runtime's default."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    runtime: list[str] = []
    for c in [c for c in spec.get("containers") or [] if isinstance(c, dict)]:
        for e in [e for e in c.get("env") or [] if isinstance(e, dict)]:
            name, value = str(e.get("name") or ""), e.get("value")
            if value is not None and KEY.search(name) and not NOT_SERVER.search(name):
                s = setting_seconds(name, str(value))
                if s is not None:
                    return s, f"{name}={value}"
            runtime.append(name)
        args = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
        for i, arg in enumerate(args):
            flag, _, value = arg.partition("=")
            if flag in FLAGS:
                value = value or (args[i + 1] if i + 1 < len(args) else "")
                s = setting_seconds(flag, value)
                if s is not None:
                    return s, f"{flag} {value}"
        runtime += [str(c.get("image") or ""), " ".join(args)]
    text = " ".join(runtime)
    for pattern, name, default in DEFAULTS:
        if default is not None and pattern.search(text):
            return default, name
    return None


def _subject(facts: Facts) -> tuple[Ref, list[Ref]] | None:
    """The subject's workload and its Services, from the first topology that names them."""
    for topology, _ in facts.topologies:
        workload = Ref.of(topology.get("subject"))
        services = [r for r in (Ref.of(s) for s in topology.get("services") or []) if r is not None]
        if workload is not None and workload.kind in ("Deployment", "StatefulSet", "DaemonSet") and services:
            return workload, services
    return None


def _backends(ingress: dict[str, Any]) -> set[str]:
    spec = ingress.get("spec") or {}
    names = {str(((spec.get("defaultBackend") or {}).get("service") or {}).get("name") or "")}
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            names.add(str((((path or {}).get("backend") or {}).get("service") or {}).get("name") or ""))
    return names - {""}


def _class_of(ingress: dict[str, Any]) -> str:
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    return str((ingress.get("spec") or {}).get("ingressClassName") or annotations.get("kubernetes.io/ingress.class")
               or "")


async def _fronts(call: Call, target: Ref, workload: Ref, services: list[Ref], ingresses: list[tuple[dict[str, Any],
                  str]], classes: dict[str, tuple[dict[str, Any], str]]) -> tuple[str, list[str]] | None:
    """How the written object fronts the subject's Service, with the evidence read; None when it does not."""
    names = {s.name for s in services}
    if target.kind == "Service":
        hit = next((s for s in services if s.same_object(target)), None)
        return (f"it is the Service of {workload}", []) if hit is not None else None
    for ingress, eid in ingresses:
        meta = ingress.get("metadata") or {}
        if not _backends(ingress) & names:
            continue
        if target.kind == "Ingress" and meta.get("name") == target.name and meta.get("namespace", target.namespace) \
                == target.namespace:
            return f"Ingress {target.namespace}/{target.name} routes to {workload}", [eid]
        cls = classes.get(_class_of(ingress))
        if cls is None:
            continue
        spec = cls[0].get("spec") or {}
        params = spec.get("parameters") or {}
        if str(params.get("kind") or "") == target.kind and str(params.get("name") or "") == target.name:
            return (f"it is the parameters of IngressClass {_class_of(ingress)}, the class of Ingress "
                    f"{meta.get('namespace') or workload.namespace}/{meta.get('name')} that routes to {workload}",
                    [eid, cls[1]])
        if target.kind == "ConfigMap" and "nginx" in str(spec.get("controller") or ""):
            return (f"it configures the nginx controller of IngressClass {_class_of(ingress)}, the class of Ingress "
                    f"{meta.get('namespace') or workload.namespace}/{meta.get('name')} that routes to {workload}",
                    [eid, cls[1]])
    return None


async def read(facts: Facts, call: Call, problems: set[str]) -> None:
    """Reading only, when the incident names a gateway-class error and a balancer idle timeout was written: the
    subject's workload, the Ingresses of its namespace that route to it and their IngressClasses."""
    found_candidates = candidates(facts)
    subject = _subject(facts)
    if not found_candidates or subject is None or not problems & GATEWAY_PROBLEMS:
        return
    workload, services = subject
    got = await get_yaml(call, workload.kind, workload.name, workload.namespace, f"survey-lbidle-{workload.name}")
    if got is None:
        return
    idle = backend_idle(got[0])
    if idle is None:
        return
    ingresses: list[tuple[dict[str, Any], str]] = []
    classes: dict[str, tuple[dict[str, Any], str]] = {}
    if any(t.kind != "Service" for _, t, _ in found_candidates):
        listed = await list_names(call, "Ingress", workload.namespace, "survey-lbidle-ingresses")
        for name in sorted(listed[0] if listed else set())[:MAX_INGRESSES]:
            ing = await get_yaml(call, "Ingress", name, workload.namespace, f"survey-lbidle-ingress-{name}")
            if ing is None:
                continue
            ingresses.append(ing)
            cls = _class_of(ing[0])
            if cls and cls not in classes:
                got_cls = await get_yaml(call, "IngressClass", cls, "", f"survey-lbidle-class-{cls}")
                if got_cls is not None:
                    classes[cls] = got_cls
    out: list[Raised] = []
    for change, target, (label, new_s, old_s) in found_candidates:
        if new_s <= idle[0] or (old_s is not None and old_s > idle[0]):
            continue
        fronts = await _fronts(call, target, workload, services, ingresses, classes)
        if fronts is None:
            continue
        out.append(Raised(target, change, label, new_s, old_s, workload, idle[0], idle[1], fronts[0],
                          [e for e in [facts.changes_id or "", got[1], *fronts[1]] if e]))
    facts.reads[READS] = out


def found(facts: Facts) -> list[Raised]:
    """The balancer writes `read` kept: an idle timeout now above the backend's keep-alive timeout."""
    return list(facts.reads.get(READS) or [])


def finding(r: Raised) -> dict[str, Any]:
    """The write, the balancer's idle timeout against the backend's keep-alive, and what the race does."""
    old = f"{r.old_s:g} s -> " if r.old_s is not None else ""
    message = (f"{r.target} raised {r.setting} to {old}{r.new_s:g} s at {r.change.get('at')} ({r.via}); "
               f"the backend {r.workload} closes idle keep-alive connections after {r.backend_s:g} s "
               f"({r.backend_source}), so the load balancer keeps idle connections open longer than the "
               f"backend and reuses sockets the backend has already closed: a few percent of requests get "
               f"502 Bad Gateway while the backend logs only successes. Keep the balancer's idle timeout below "
               f"the backend's keep-alive timeout (revert the write, or raise the backend's keep-alive above it)")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"),
            "reason": "IdleTimeoutAboveKeepAlive", "message": message,
            "evidence": [str(d)[:200] for d in (r.change.get("diff") or [])[:2]],
            "details": {"setting": r.setting, "new_s": r.new_s, "old_s": r.old_s, "backend_idle_s": r.backend_s,
                        "change_at": r.change.get("at")}}
