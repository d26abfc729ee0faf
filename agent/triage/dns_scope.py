"""A DNS controller's scope narrowed: the hosts it used to publish are no longer its business, and stop resolving.

ExternalDNS (and the charts and forks that keep its flags, set as args or as `EXTERNAL_DNS_*` environment
variables) publishes a record for each host its sources (Ingress, Service, Gateway routes, CRDs) carry, but only
within its scope: `--domain-filter` / `--regex-domain-filter` (the zones it manages), `--exclude-domains` /
`--regex-domain-exclusion`, `--source`, the object filters (`--annotation-filter`, `--label-filter`,
`--ingress-class`, `--zone-id-filter`), and `--txt-owner-id` (the TXT registry only touches records whose owner
record names its own id). A rollout that narrows any of these leaves the controller healthy ("All records are
already up to date") while the hosts outside its new scope get no record, or keep a stale one nobody updates:
clients see "no such host"/NXDOMAIN, and a probe of the host fails although the Ingress and its backends are fine.

This module reads the change timeline's rollouts whose container args/env diff touches those flags (or the
ExternalDNS charts' values a HelmRelease / Argo CD Application writes: `domainFilters`, `txtOwnerId`, `sources`...),
parses the old and the new values, and judges each host the incident names (a probe's `instance`, a URL): named only
when the old scope covered the host and the new one does not (domain filters by ExternalDNS's suffix rule), or when the
change cut every host of a kind (a source type removed, the owner id changed, an object filter newly set). A
widened scope, a narrowed one that still covers the host, and a host the controller never served are not suspects.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "dns.scope_narrowed"
WEIGHT = 0.96
DOMAIN_FLAGS = ("domain-filter", "exclude-domains", "regex-domain-filter", "regex-domain-exclusion")
OBJECT_FILTERS = ("annotation-filter", "label-filter", "ingress-class", "zone-id-filter", "aws-zone-type",
                  "zone-name-filter")
SCOPE_FLAGS = (*DOMAIN_FLAGS, *OBJECT_FILTERS, "source", "txt-owner-id")
_LIST_DIFF = re.compile(r"^(?P<container>\S+) (?:args|command) (?P<old>\[.*?\]|None) -> (?P<new>\[.*\]|None)$")
_ENV_DIFF = re.compile(r"^(?P<container>\S+) env (?:EXTERNAL_DNS_(?P<k1>[A-Z_]+)=(?P<old>.*?)|(?P<k0>EXTERNAL_DNS_"
                       r"[A-Z_]+) \(unset\)) -> (?:EXTERNAL_DNS_(?P<k2>[A-Z_]+)=(?P<new>.*)|unset)$")
_VALUES_DIFF = re.compile(r"^(?:\S*\.)?(?P<key>domainFilters|excludeDomains|regexDomainFilter|regexDomainExclusion|"
                          r"sources|txtOwnerId|annotationFilter|labelFilter|zoneIdFilters|zoneNameFilters)\s+"
                          r"(?P<old>\[.*?\]|'[^']*'|\(unset\)|None|\S+) -> (?P<new>\[.*\]|'[^']*'|\(unset\)|None|\S+)$")
"""A Helm values diff of the ExternalDNS charts (kubernetes-sigs and Bitnami: `domainFilters`, `txtOwnerId`, ...), as
a HelmRelease / Argo CD Application / values ConfigMap writes them; the chart turns each into its flag."""
CHART_VALUES = {"domainFilters": "domain-filter", "excludeDomains": "exclude-domains",
                "regexDomainFilter": "regex-domain-filter", "regexDomainExclusion": "regex-domain-exclusion",
                "sources": "source", "txtOwnerId": "txt-owner-id", "annotationFilter": "annotation-filter",
                "labelFilter": "label-filter", "zoneIdFilters": "zone-id-filter", "zoneNameFilters": "zone-name-filter"}


@dataclass
class Narrowed:
    """A DNS controller's rollout that put the incident's host(s) outside its scope."""

    target: Ref
    at: str
    revision: int
    flag: str
    before: list[str]
    after: list[str]
    hosts: list[str]
    how: str
    """What the narrowing means for the hosts, in words."""
    evidence: list[str] = field(default_factory=list)


def flags(argv: list[str]) -> dict[str, list[str]]:
    """`--flag=value` and `--flag value` pairs of an argv, every value of a repeated flag kept in order."""
    out: dict[str, list[str]] = {}
    i = 0
    while i < len(argv):
        arg = str(argv[i])
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(argv) and not str(argv[i + 1]).startswith("-"):
                value, i = str(argv[i + 1]), i + 1
            out.setdefault(name, []).extend(v for v in value.split(",") if v)
        i += 1
    return out


def _under(host: str, domain: str) -> bool:
    """ExternalDNS's domain filter match: the domain itself or any name under it; `.example.com` only names under."""
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    if domain.startswith("."):
        return host.endswith(domain)
    return host == domain or host.endswith("." + domain)


def serves(host: str, scope: dict[str, list[str]]) -> bool:
    """Whether a host falls within these domain flags (no filter: every domain the provider's zones hold)."""
    regex = [r for r in scope.get("regex-domain-filter") or [] if r]
    if regex:
        inside = any(re.search(r, host) for r in regex)
    else:
        filters = [d for d in scope.get("domain-filter") or [] if d]
        inside = not filters or any(_under(host, d) for d in filters)
    excluded = any(_under(host, d) for d in scope.get("exclude-domains") or [] if d) or \
        any(re.search(r, host) for r in scope.get("regex-domain-exclusion") or [] if r)
    return inside and not excluded


def _values(text: str) -> list[str]:
    """An `EXTERNAL_DNS_*` variable's values: repeated flags go space-, comma- or newline-separated."""
    return [x for x in re.split(r"[\s,]+", text or "") if x]


def _scopes(diff_line: str) -> tuple[dict[str, list[str]], dict[str, list[str]]] | None:
    """(old, new) scope flags of one rollout diff line (container args/command, or one `EXTERNAL_DNS_*` env)."""
    m = _LIST_DIFF.match(diff_line.strip())
    if m:
        try:
            old, new = (ast.literal_eval(m.group(g)) or [] for g in ("old", "new"))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(old, list) or not isinstance(new, list):
            return None
        return flags([str(x) for x in old]), flags([str(x) for x in new])
    v = _VALUES_DIFF.match(diff_line.strip())
    if v:
        key = CHART_VALUES[v.group("key")]
        old_v, new_v = (_chart_value(v.group(g)) for g in ("old", "new"))
        return ({key: old_v} if old_v is not None else {}), ({key: new_v} if new_v is not None else {})
    e = _ENV_DIFF.match(diff_line.strip())
    if e:
        key = (e.group("k1") or e.group("k2") or (e.group("k0") or "")[len("EXTERNAL_DNS_"):]).lower().replace("_", "-")
        return ({key: _values(e.group("old"))} if e.group("old") is not None else {},
                {key: _values(e.group("new"))} if e.group("new") is not None else {})
    return None


def _chart_value(text: str) -> list[str] | None:
    """A chart value as the flag's values: a list, a quoted or bare string; None when unset."""
    if text in ("(unset)", "None"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value if str(x)]
    return _values(str(value))


def judge(old: dict[str, list[str]], new: dict[str, list[str]], hosts: list[str]) -> tuple[str, list[str], str] | None:
    """(flag, hosts cut, what it means) when the new scope drops what the old one served, else None."""
    if any(f in old or f in new for f in DOMAIN_FLAGS):
        cut = [h for h in hosts if serves(h, old) and not serves(h, new)]
        if cut:
            flag = next(f for f in DOMAIN_FLAGS if old.get(f) != new.get(f))
            return flag, cut, (f"{', '.join(cut)} no longer falls within it: the controller stops managing the "
                               "DNS record of those names in their hosted zone, so they are not created or updated "
                               "and resolve to NXDOMAIN (no such host)")
    lost = [s for s in old.get("source") or [] if s not in (new.get("source") or [])]
    if lost and "source" in new:
        return "source", hosts, (f"it no longer reads {', '.join(lost)} objects: the DNS records of the hosts they "
                                 "carry are no longer created or updated in the hosted zone")
    if old.get("txt-owner-id") and new.get("txt-owner-id") and old["txt-owner-id"] != new["txt-owner-id"]:
        return "txt-owner-id", hosts, ("the TXT registry now claims only records owned by the new id: every DNS "
                                       "record created under the old owner is left unmanaged (not updated, and new "
                                       "names that collide are skipped)")
    for f in OBJECT_FILTERS:
        if new.get(f) and old.get(f) != new.get(f):
            return f, hosts, ("only the objects/zones that match the new filter are managed now: the DNS records of "
                              "the other hosts are no longer created or updated in their hosted zone")
    return None


def _hosts(facts: Facts, subject_hosts: list[str]) -> list[str]:
    return list(dict.fromkeys(h.lower().rstrip(".") for h in subject_hosts
                              if "." in h and not re.fullmatch(r"[\d.:]+", h)))


def narrowed(facts: Facts, subject_hosts: list[str]) -> list[Narrowed]:
    """Rollouts before the incident whose diff narrows a DNS controller's scope away from the incident's hosts."""
    hosts = _hosts(facts, subject_hosts)
    if not hosts:
        return []
    out: list[Narrowed] = []
    for change, evidence in facts.every_change():
        target = Ref.of(change.get("object"))
        at = parse_time(change.get("at"))
        if target is None or at is None or at > facts.at:
            continue
        for line in change.get("diff") or []:
            scopes = _scopes(str(line))
            if scopes is None or not any(f in scopes[0] or f in scopes[1] for f in SCOPE_FLAGS):
                continue
            verdict = judge(*scopes, hosts)
            if verdict is None:
                continue
            flag, cut, how = verdict
            out.append(Narrowed(target, str(change.get("at")), int(change.get("revision") or 0), flag,
                                scopes[0].get(flag) or [], scopes[1].get(flag) or [], cut, how,
                                [evidence] if evidence else []))
            break
    return out


def finding(n: Narrowed, at: datetime) -> dict[str, Any]:
    """The scan-shaped finding for the DNS controller: the flag, old -> new, and which hosts it cut."""
    when = parse_time(n.at)
    ago = f", {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    rev = f" revision {n.revision}" if n.revision else ""
    old, new = ",".join(n.before) or "(unset)", ",".join(n.after) or "(unset)"
    return {
        "check": CHECK, "severity": "critical", "reason": "DNSScopeNarrowed",
        "object": {"kind": n.target.kind, "namespace": n.target.namespace, "name": n.target.name},
        "message": (f"{n.target.name} (DNS controller) narrowed its --{n.flag} from {old} to {new} in {n.target.kind}"
                    f"{rev} ({n.at}{ago}): {n.how}. Restore --{n.flag} or roll back {n.target.kind} "
                    f"{n.target.namespace}/{n.target.name}"),
        "evidence": [f"{n.target}{rev}: --{n.flag} {old} -> {new}", f"hosts: {', '.join(n.hosts)}"],
        "details": {"flag": n.flag, "before": n.before, "after": n.after, "hosts": n.hosts},
        "since": n.at,
    }


STORE = "dns_scope"


def read(subject: Subject, facts: Facts) -> None:
    """No tool call: the hosts the incident names judged against the timeline's DNS-controller rollouts (the
    survey's timeline and any longer history read before this)."""
    facts.reads[STORE] = narrowed(facts, [*subject.hosts, *subject.names])


def found(facts: Facts) -> list[Narrowed]:
    """What `read` found."""
    return [n for n in facts.reads.get(STORE) or [] if isinstance(n, Narrowed)]
