"""The cluster DNS configuration changed shortly before the subject's names stopped resolving.

Pods resolve through the cluster DNS server (CoreDNS, configured by the `Corefile` key of its
ConfigMap). An edit there (a stub domain's `forward` moved to resolvers that no longer answer, a zone
dropped, a rewrite) breaks only the names it touches: the subject's logs say the resolver's words
("lookup ldap.corp.example on 10.96.0.10:53: no such host", "java.net.UnknownHostException: db.corp",
"getaddrinfo EAI_AGAIN api.partner.example", "Could not resolve host: x", "Temporary failure in name
resolution") while every other call works. The write to the DNS ConfigMap (a `config` change whose keys
include `Corefile` or that a workload named for DNS uses) within the lead time is the suspect; when the
survey read the ConfigMap, the server block whose zone the failing host falls under, and where it
forwards, is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.cluster_dns"
WEIGHT = 0.9
LEAD = timedelta(hours=6)

DNS_FAILURE = re.compile(
    r"lookup (?P<go>[A-Za-z0-9.-]+)(?: on [0-9a-f.:\[\]]+)?: (?:no such host|server misbehaving|i/o timeout|"
    r"read udp)|UnknownHostException: (?P<java>[A-Za-z0-9.-]+)|getaddrinfo (?:ENOTFOUND|EAI_AGAIN) "
    r"(?P<node>[A-Za-z0-9.-]+)|Could not resolve host: (?P<curl>[A-Za-z0-9.-]+)|Temporary failure in name "
    r"resolution|Name or service not known|NXDOMAIN|SERVFAIL", re.I)
"""Resolver failures as Go, Java, Node.js, curl and glibc print them; the named groups hold the host."""
_BLOCK = re.compile(r"^([^\s#{][^{\n]*?)[ \t]*\{[ \t]*$", re.M)
"""A Corefile server block's first line: its zones at the start of a line (plugin blocks are indented)."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class DnsChange:
    """A write to the cluster DNS configuration before the subject's lookups failed."""

    target: Ref
    change: dict[str, Any]
    said: str
    host: str
    victims: list[Ref]
    block: str
    minutes_before: int


def _failures(facts: Facts) -> list[tuple[str, str, Ref | None]]:
    """(line, host or "", workload) for each DNS failure in the subject's logs and the scan's findings."""
    out: list[tuple[str, str, Ref | None]] = []
    texts: list[tuple[str, Ref | None]] = []
    for log in facts.logs:
        for e in [log.top or {}, *log.more, *log.warnings]:
            texts += [(str(e[k]), Ref("Pod", log.namespace, log.pod)) for k in ("message", "example") if e.get(k)]
    for f in facts.findings():
        texts += [(str(t), Ref.of(f.get("owner")) or Ref.of(f.get("object")))
                  for t in [f.get("message"), *(f.get("evidence") or [])] if t]
    for text, owner in texts:
        m = DNS_FAILURE.search(text)
        if m:
            host = next((v for v in m.groupdict().values() if v), "")
            out.append((text, host.rstrip("."), owner))
    return out


def _is_dns_config(change: dict[str, Any]) -> bool:
    """A ConfigMap write that configures the cluster DNS: its Corefile key, or used by a DNS workload."""
    if str(change.get("type")) != "config":
        return False
    words = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
    return "Corefile" in words or any("dns" in r.name.lower() for r in users)


def _corefile(facts: Facts, target: Ref) -> str:
    obj = facts.object_named("ConfigMap", target.namespace, target.name)
    return str(((obj or {}).get("data") or {}).get("Corefile") or "")


def server_block(corefile: str, host: str) -> str:
    """The Corefile server block whose zone `host` falls under (not the root "."), as one line:
    'corp.example.internal:53 { forward . 10.40.0.53 }'; "" when none."""
    if not host:
        return ""
    for m in _BLOCK.finditer(corefile):
        zones = [z.split("://")[-1].rsplit(":", 1)[0].rstrip(".") for z in m.group(1).split()]
        if any(z and z != "." and (host == z or host.endswith("." + z)) for z in zones):
            body = corefile[m.end():].split("}", 1)[0]
            lines = [ln.strip() for ln in body.splitlines() if ln.strip().startswith(("forward", "rewrite", "file",
                                                                                      "template", "hosts"))]
            return f"{m.group(1).strip()} {{ {'; '.join(lines)} }}"
    return ""


def changes(facts: Facts) -> list[DnsChange]:
    """The DNS configuration writes shortly before the subject's names stopped resolving."""
    failures = _failures(facts)
    if not failures:
        return []
    out: list[DnsChange] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not (facts.at - LEAD <= at <= facts.at) or not _is_dns_config(change):
            continue
        said, host, _ = next(((t, h, o) for t, h, o in failures if h), failures[0])
        victims = list({str(o): o for _, _, o in failures if o}.values())[:3]
        out.append(DnsChange(target, change, said, host, victims, server_block(_corefile(facts, target), host),
                             int((facts.at - at).total_seconds() // 60)))
    return out


async def read_config(facts: Facts, call: Call) -> None:
    """Reading only, when the subject's lookups fail and a DNS ConfigMap was written: that ConfigMap."""
    if not _failures(facts):
        return
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is None or not _is_dns_config(change) or _corefile(facts, target):
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-dns-config-{target.name}")
        if got is None:
            continue
        if got[0].get("kind") == "ConfigMap":
            facts.objects.append(got)
        return


def finding(d: DnsChange) -> dict[str, Any]:
    """The suspect's finding: the DNS ConfigMap write, the block the failing host falls under, the error."""
    diff = "; ".join(str(x) for x in (d.change.get("diff") or [])[:2])
    block = f"; the Corefile now reads '{d.block}' for it" if d.block else ""
    who = ", ".join(str(v) for v in d.victims[:2]) or "the subject"
    message = (f"The cluster DNS configuration {d.target} was written {d.minutes_before} min before the incident "
               f"({diff}) and {who} cannot resolve {d.host or 'its names'}{block}: '{d.said[:200]}'. Check the "
               "resolvers that block forwards to answer from the cluster, or revert the Corefile edit")
    return {"check": CHECK, "severity": "critical", "object": d.change.get("object"), "reason": "ClusterDnsChanged",
            "message": message, "evidence": [d.said[:200]], "details": {"change_at": d.change.get("at"),
                                                                         "host": d.host, "block": d.block}}
