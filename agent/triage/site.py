"""A site named in words: "the shop website is down", "checkout page is slow", "can't log in to the admin portal".

People name what they see, a site, not the Kubernetes object that serves it. The words of such a question
are the labels of a host (`shop.example.com`, `admin.example.org`) or the parts of an Ingress, HTTPRoute
or Service name (`admin-portal`), so an object whose findings carry a host one of whose labels is a word
of the question, or whose name is two of its words joined, is what the question is about. A word that
happens to also be a namespace's name ("shop") relates that namespace's problems only loosely
(agent.triage.rank `_relation`); a host it names is the closer match and wins.

Words that only say what kind of thing it is ("website", "page", "portal") never match alone, only as part
of a name ("admin portal" -> `admin-portal`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from itertools import permutations
from typing import Any

from agent.triage.facts import Ref
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject

HOST_KEYS = ("hosts", "host", "dns_names", "tls_hosts", "hostnames")
"""Finding details that carry the host names an object serves (Ingress rules and TLS, HTTPRoute
hostnames, Certificate dnsNames)."""

SITE_NOUNS = frozenset({"site", "sites", "website", "websites", "web", "page", "pages", "webpage", "homepage",
                        "portal", "www", "url", "link", "links", "domain"})
"""What a site is called, not which one."""

ROUTED_KINDS = frozenset({"ingress", "httproute", "grpcroute", "gateway", "service", "certificate"})
MAX_WORDS = 8


def words(subject: Subject) -> list[str]:
    """The question's own words (not label values), site nouns included: they may be part of a name."""
    return [w for w in subject.names if w not in subject.from_labels and "." not in w][:MAX_WORDS]


def _pairs(found: list[str]) -> set[str]:
    return {f"{a}-{b}" for a, b in permutations(found, 2)}


def hosts_of(findings: Iterable[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for finding in findings:
        details = finding.get("details") or {}
        for key in HOST_KEYS:
            value = details.get(key)
            for host in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
                if str(host) and str(host).lower() not in out:
                    out.append(str(host).lower())
    return out


def host_labels(host: str) -> set[str]:
    """The labels of a host that can name a site: all but the top-level domain, a wildcard and `www`."""
    labels = host.strip(".").split(".")
    return {label for label in labels[:-1] if label not in ("*", "www")} if len(labels) > 1 else set()


def named_in_words(subject: Subject, findings: list[dict[str, Any]], ref: Ref) -> bool:
    """Whether the question's words name this object as a site: a label of a host it serves, or its name
    (a routed kind's) spelt as two of the words."""
    said = words(subject)
    wanted = {w for w in said if w not in SITE_NOUNS} | _pairs(said)
    if not wanted:
        return False
    if any(host_labels(h) & wanted for h in hosts_of(findings)):
        return True
    return ref.kind.lower() in ROUTED_KINDS and ref.name.lower() in _pairs(said)


# ---- resolving (the survey) ---------------------------------------------------------------------------

MAX_ROUTES = 8
"""Ingresses read one by one to see their hosts (the listing does not show them): those sharing a word first."""


def _backends(ingress: dict[str, Any]) -> list[str]:
    """The Services an Ingress routes to (its rules' paths, then its default backend)."""
    spec = ingress.get("spec") or {}
    paths = [p for rule in spec.get("rules") or [] for p in ((rule.get("http") or {}).get("paths") or [])]
    names = [str(((p.get("backend") or {}).get("service") or {}).get("name") or "") for p in paths]
    names.append(str(((spec.get("defaultBackend") or {}).get("service") or {}).get("name") or ""))
    return list(dict.fromkeys(n for n in names if n))


def _ingress_hosts(ingress: dict[str, Any]) -> list[str]:
    spec = ingress.get("spec") or {}
    hosts = [str(r.get("host")) for r in spec.get("rules") or [] if r.get("host")]
    return hosts + [str(h) for t in spec.get("tls") or [] for h in t.get("hosts") or []]


async def resolve(subject: Subject, call: Callable[..., Awaitable[Any]]) -> list[dict[str, Any]]:
    """A question that names no object but a site in words: the Ingresses whose hosts (or names) its words name,
    read as objects; their backend Services go first among the subject's names, their namespace becomes the
    subject's, so the topology resolves the Service behind the site rather than a namespace of the same word."""
    said = words(subject)
    if subject.known or not said:
        return []
    listed = await call("k8s_list", {"kind": "ingresses"}, "survey-site-ingresses")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
    rows = [r for r in rows if isinstance(r, dict) and r.get("name") and r.get("namespace")]
    rows.sort(key=lambda r: not any(w in f"{r['name']} {r['namespace']}" for w in said))
    answers = await asyncio.gather(*(call("k8s_get", {"kind": "Ingress", "name": r["name"], "namespace":
                                                      r["namespace"], "output": "yaml"},
                                          f"survey-site-ingress-{r['namespace']}-{r['name']}")
                                     for r in rows[:MAX_ROUTES]))
    wanted = {w for w in said if w not in SITE_NOUNS} | _pairs(said)
    found = []
    for outcome in answers:
        ingress = object_of(outcome)
        if ingress is None or ingress.get("kind") != "Ingress":
            continue
        name = str((ingress.get("metadata") or {}).get("name") or "")
        if any(host_labels(h.lower()) & wanted for h in _ingress_hosts(ingress)) or name in _pairs(said):
            found.append(ingress)
    for ingress in reversed(found):
        for backend in reversed(_backends(ingress)):
            if backend in subject.names:
                subject.names.remove(backend)
            subject.names.insert(0, backend)
    if found and not subject.namespace:
        subject.namespace = str((found[0].get("metadata") or {}).get("namespace") or "")
    return found
