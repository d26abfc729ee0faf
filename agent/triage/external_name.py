"""A Service of type ExternalName whose target no longer resolves: the Service is the cause.

An ExternalName Service has no pods and no endpoints; the cluster's DNS answers its name with a CNAME
to `spec.externalName`. Nothing in the cluster looks broken when that target disappears (a data
centre switched off, a host renamed, an in-cluster Service deleted), so the scan is silent and the
client looks guilty: its lookups of the Service's own, perfectly valid name fail (`getaddrinfo
ENOTFOUND`, `UnknownHostException`, `no such host`). A client that fails to *resolve* a name which the
cluster does serve, as a CNAME, is failing on the CNAME's target.

The survey reads the Services the failing calls name (k8s_get YAML: `spec.type`, `spec.externalName`);
for an in-cluster target it lists the target namespace's Services (is it still there? is it another
ExternalName?), for an outside one it reads CoreDNS's query log when the `log` plugin writes one
(`"A IN host. udp ..." NXDOMAIN`), which says what the resolver answered for the target itself.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.pointers import Call, Suspect, meta, objects, service_of
from agent.triage.subject import workload_of_pod
from guardrails.injection import scan as injection_scan

CHECK = "service.external_name_unresolved"
WEIGHT = 0.9

FAILING = frozenset({"dns_failure", "connection_refused", "connection_timeout", "no_route", "unavailable",
                     "upstream_reset"})
"""How a call to a name that leads nowhere (or to a host that is gone) reads in the caller's logs."""

MAX_SERVICES = 2
MAX_HOPS = 3
"""An ExternalName may point at another ExternalName; a longer chain is followed no further."""

DNS_LOG_KIND = "CoreDNSQueryLog"
"""The record the survey keeps of CoreDNS's answers (its `log` plugin) for the targets it looked up:
{kind, metadata: {name: pod, namespace}, answers: {host: rcode}}. Not a Kubernetes object: a digest of
the pod's log, cited by the evidence id of the k8s_logs call that read it."""

_QUERY = re.compile(r'"(?:A|AAAA|CNAME|ANY) IN ([\w.-]+?)\.? (?:udp|tcp)\b[^"]*" ([A-Z]+)\b')
"""CoreDNS `log` plugin lines: `"A IN ledger-01.dc2.example.com. udp 59 false 1232" NXDOMAIN qr,rd,ra ...`."""

_NO_SUCH_NAME = re.compile(r"ENOTFOUND|NXDOMAIN|no such host|UnknownHost|Name or service not known|"
                           r"nodename nor servname|could not translate host name|Name does not resolve|"
                           r"EAI_NONAME|Host not found|No address associated", re.I)
"""Client wordings of an authoritative "this name does not exist" (as opposed to a resolver timing out)."""


@dataclass
class Hop:
    """One ExternalName Service on the way, and what its target turned out to be."""

    service: Ref
    target: str
    evidence_id: str


@dataclass
class Dangling:
    service: Ref
    chain: list[Hop]
    end: str
    """`missing` (an in-cluster Service that does not exist), `outside` (a host outside the cluster),
    `loop` (a chain longer than MAX_HOPS)."""
    log: LogEvidence
    dns_answer: tuple[str, str] | None = None
    """(CoreDNS pod, rcode) for the final target, when its query log shows one."""
    evidence: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    """The first Service's short annotations: an owner's note often says why it still points where it does."""


def _failing_logs(facts: Facts) -> list[LogEvidence]:
    return [log for log in facts.logs if log.error_classes & FAILING]


def _names(log: LogEvidence) -> list[str]:
    """The hosts a failing log names (the log facts' hosts and the failed lookup's name)."""
    out = list(log.hosts)
    for error in [log.top or {}, *log.more]:
        fields = error.get("fields") or {}
        out += [str(fields[k]) for k in ("dns_name", "upstream_host") if fields.get(k)]
    return list(dict.fromkeys(out))


def _called(facts: Facts) -> list[tuple[Ref, LogEvidence]]:
    """The in-cluster Services (topology dependencies) that a failing log names, with that log."""
    out: list[tuple[Ref, LogEvidence]] = []
    for data, _ in facts.topologies:
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target is None or target.kind.lower() != "service" or any(target.same_object(r) for r, _ in out):
                continue
            for log in _failing_logs(facts):
                if any(service_of(h, log.namespace) == (target.name, target.namespace or log.namespace)
                       for h in _names(log)):
                    out.append((target, log))
                    break
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the called Services as YAML; for an ExternalName, where its target leads."""
    called = _called(facts)[:MAX_SERVICES]
    read = await asyncio.gather(*(get_yaml(call, "Service", r.name, r.namespace, f"survey-service-{r.name}")
                                  for r, _ in called))
    outside: list[str] = []
    for got in read:
        if got is None:
            continue
        facts.objects.append(got)
        obj = got[0]
        for _ in range(MAX_HOPS):
            spec = obj.get("spec") or {}
            if spec.get("type") != "ExternalName" or not spec.get("externalName"):
                break
            target = str(spec["externalName"])
            inside = service_of(target, str(meta(obj).get("namespace") or ""))
            if inside is None or target.count(".") == 1:
                outside.append(target)
                break
            name, namespace = inside
            listed = await list_names(call, "Service", namespace, f"survey-services-{namespace}")
            if listed is None:
                break
            facts.objects.append(({"kind": "ServiceList", "metadata": {"namespace": namespace},
                                   "names": sorted(listed[0])}, listed[1]))
            if name not in listed[0]:
                break
            nxt = await get_yaml(call, "Service", name, namespace, f"survey-service-{name}")
            if nxt is None:
                break
            facts.objects.append(nxt)
            obj = nxt[0]
    if outside:
        await _read_dns_log(facts, call, outside)


async def _read_dns_log(facts: Facts, call: Call, hosts: list[str]) -> None:
    """CoreDNS's answers for the outside targets, from its query log (when its `log` plugin is on)."""
    dns = next((d.get("dns") for d, _ in facts.topologies if isinstance(d.get("dns"), dict)), None)
    pods = [p for p in (dns or {}).get("pods") or [] if isinstance(p, dict) and p.get("name")][:2]
    namespace = str((dns or {}).get("service") or "kube-system/").split("/", 1)[0] or "kube-system"
    outcomes = await asyncio.gather(*(call("k8s_logs", {"name": p["name"], "namespace": namespace, "tail": 2000},
                                           f"survey-dns-log-{p['name']}") for p in pods))
    wanted = {h.lower().rstrip(".") for h in hosts}
    for pod, outcome in zip(pods, outcomes, strict=True):
        if outcome is None or not outcome.ok:
            continue
        answers = {m.group(1).lower(): m.group(2) for m in _QUERY.finditer(outcome.full_text)
                   if m.group(1).lower() in wanted}
        if answers:
            facts.objects.append(({"kind": DNS_LOG_KIND, "metadata": {"name": pod["name"], "namespace": namespace},
                                   "answers": answers}, outcome.evidence_id))


def _service(facts: Facts, ref: Ref) -> tuple[dict[str, Any], str] | None:
    return next(((o, e) for o, e in objects(facts, "Service") if meta(o).get("name") == ref.name
                 and (not ref.namespace or meta(o).get("namespace") == ref.namespace)), None)


def _listed(facts: Facts, namespace: str) -> tuple[set[str], str] | None:
    return next(((set(o.get("names") or []), e) for o, e in objects(facts, "ServiceList")
                 if meta(o).get("namespace") == namespace), None)


def danglings(facts: Facts) -> list[Dangling]:
    """Each called ExternalName Service whose chain ends at a missing Service or an outside host."""
    out: list[Dangling] = []
    for ref, log in _called(facts):
        got = _service(facts, ref)
        if got is None or (got[0].get("spec") or {}).get("type") != "ExternalName":
            continue
        chain: list[Hop] = []
        obj, evidence_id = got
        end = "loop"
        evidence = [evidence_id]
        for _ in range(MAX_HOPS):
            spec = obj.get("spec") or {}
            here = Ref("Service", str(meta(obj).get("namespace") or ""), str(meta(obj).get("name") or ""))
            target = str(spec.get("externalName") or "")
            chain.append(Hop(here, target, evidence_id))
            inside = service_of(target, here.namespace)
            if inside is None or target.count(".") == 1:
                end = "outside"
                break
            listed = _listed(facts, inside[1])
            if listed is None:
                end = "unknown"
                break
            evidence.append(listed[1])
            if inside[0] not in listed[0]:
                end = "missing"
                break
            nxt = _service(facts, Ref("Service", inside[1], inside[0]))
            if nxt is None or (nxt[0].get("spec") or {}).get("type") != "ExternalName":
                end = "unknown"  # an ordinary Service at the end: its own health decides, not this chain
                break
            obj, evidence_id = nxt
            evidence.append(evidence_id)
        if end == "unknown":
            continue
        answer = None
        final = chain[-1].target.lower().rstrip(".")
        for o, e in objects(facts, DNS_LOG_KIND):
            rcode = (o.get("answers") or {}).get(final)
            if rcode:
                answer = (str(meta(o).get("name")), str(rcode))
                evidence.append(e)
                break
        if end == "outside" and answer is not None and answer[1] == "NOERROR" and "dns_failure" in log.error_classes:
            continue  # the target resolves: the lookup failed for another reason
        notes = {str(k): str(v) for k, v in (meta(got[0]).get("annotations") or {}).items()
                 if isinstance(v, str) and len(v) < 160 and "last-applied" not in str(k)
                 and not injection_scan(f"{k}: {v}").suspicious}
        out.append(Dangling(ref, chain, end, log, answer, [*evidence, log.evidence_id], notes))
    return out


def _said(log: LogEvidence) -> str:
    top = log.top or {}
    return " ".join(str(top.get("message") or top.get("example") or top.get("template") or "").split())[:200]


def finding(d: Dangling) -> dict[str, Any]:
    """The finding on the ExternalName Service: where its name leads, and why that is where calls fail.

    The message leads with the facts (the ranking quotes its first few hundred characters); the client's
    own error is quoted by the ranking from its log."""
    client = workload_of_pod(d.log.pod)
    final = d.chain[-1].target
    via = "".join(f" -> {h.target}" for h in d.chain[:-1])
    if d.end == "missing":
        name, namespace = service_of(final, d.chain[-1].service.namespace) or (final, "")
        where = (f"{final}{via}, an in-cluster name, but no Service {name} exists in namespace {namespace} (deleted "
                 "or renamed): the CNAME leads nowhere, every lookup of it answers NXDOMAIN")
        fix = f"point spec.externalName at the Service that serves it now (or restore {name})"
    elif d.end == "loop":
        where = f"{final} after {len(d.chain)} ExternalName hops{via}, a chain that ends nowhere"
        fix = "point spec.externalName at the real host"
    else:
        where = f"{final}{via} (outside the cluster)"
        if d.dns_answer is not None:
            where += f", for which CoreDNS answers {d.dns_answer[1]}: the target is gone"
        elif "dns_failure" in d.log.error_classes and _NO_SUCH_NAME.search(_said(d.log)):
            where += ": its own name exists (as that CNAME), so the failing lookup is the target's (NXDOMAIN)"
        elif "dns_failure" not in d.log.error_classes:
            where += ": it resolves but does not answer (the host behind it is down or moved)"
        where += " (decommissioned or renamed)" if d.dns_answer and d.dns_answer[1] == "NXDOMAIN" else ""
        fix = "point spec.externalName at the host that serves it now"
    notes = [f"{k}: {v}" for k, v in list(d.annotations.items())[:2]]
    return {
        "check": CHECK, "severity": "critical",
        "object": {"kind": "Service", "namespace": d.service.namespace, "name": d.service.name},
        "reason": "ExternalNameUnresolved",
        "message": f"{d.service} is type ExternalName, a CNAME to {where}; {client}'s calls to {d.service.name} "
                   f"fail though {client} and CoreDNS are healthy. Fix: {fix}",
        "evidence": [f"spec.type: ExternalName, spec.externalName: {d.chain[0].target}", *notes],
        "details": {"external_name": d.chain[0].target, "final_target": final, "end": d.end,
                    "client": client, "dns_answer": d.dns_answer[1] if d.dns_answer else None},
    }


def suspects(facts: Facts) -> list[Suspect]:
    out: list[Suspect] = []
    for d in danglings(facts):
        out.append(Suspect(d.service, finding(d), d.log, list(dict.fromkeys(d.evidence))))
    return out
