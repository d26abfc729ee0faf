"""A controller upgraded past the version that stopped reading an API group its objects are still written in.

Ingress and routing controllers read their routes from custom resources of their own API group, and major
releases drop legacy groups: Traefik v3's kubernetescrd provider reads only `traefik.io` (the v2
`traefik.containo.us` group is ignored), Contour 1.0 removed `IngressRoute` of `contour.heptio.com` (only
`HTTPProxy` of `projectcontour.io` is served), Kong Ingress Controller 3.0 stopped reading the legacy
`configuration.konghq.com` `KongIngress` route overrides (a KongIngress's route/proxy sections are ignored), and
cert-manager 1.6 stopped serving `cert-manager.io/v1alpha2|v1alpha3|v1beta1`. The objects stay in the cluster, the
API server still serves their CRD, nothing is rejected and nothing logs an error: the new controller simply never
builds a router for them, and their hosts answer 404 (Traefik's access log shows `404` with no router name) while
the backends are healthy.

So when a workload's image moved across such a version (the rollout's image diff, old -> new tag) and objects of
the dropped group still exist, the controller's upgrade is the cause, and the objects it ignores are what the
finding names: those whose hosts the incident names first. An upgrade within the same line (v3.1 -> v3.2), or one
past the version while no object of the dropped group remains, is not named.

The survey calls `read` (reading only, when the timeline shows such an upgrade): the list of the dropped group's
objects and the YAML of a few of them (their hosts). `found` is pure over what was read.
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

CHECK = "change.controller_api"
WEIGHT = 0.94
"""The upgrade that stopped reading the routes outranks the 404s it causes and any backend rollout nearby."""
RECORD = "controller_api"
LEAD = timedelta(hours=24)
MAX_OBJECTS = 4


@dataclass(frozen=True)
class Drop:
    """A controller release that stopped reading an API group (documented in its migration guide)."""

    image: re.Pattern[str]
    product: str
    since: tuple[int, int]
    resources: tuple[str, ...]
    """`plural.group` of the legacy resources the new release ignores (what to list)."""
    group: str
    replacement: str
    effect: str = "has no router for {hosts} and answers 404 while the backends are healthy"
    """What the product does with the objects it no longer reads (`{hosts}`: the hosts they served)."""


DROPS: tuple[Drop, ...] = (
    Drop(re.compile(r"(?:^|/)(?:mirrored-library-)?traefik$"), "Traefik", (3, 0),
         ("ingressroutes.traefik.containo.us", "middlewares.traefik.containo.us",
          "ingressroutetcps.traefik.containo.us", "traefikservices.traefik.containo.us"),
         "traefik.containo.us", "traefik.io/v1alpha1"),
    Drop(re.compile(r"(?:^|/)contour$"), "Contour", (1, 0), ("ingressroutes.contour.heptio.com",),
         "contour.heptio.com", "HTTPProxy of projectcontour.io/v1"),
    Drop(re.compile(r"(?:^|/)kubernetes-ingress-controller$"), "Kong Ingress Controller", (3, 0),
         ("kongingresses.configuration.konghq.com",), "configuration.konghq.com KongIngress",
         "konghq.com/* annotations and KongUpstreamPolicy"),
    Drop(re.compile(r"(?:^|/)pilot$"), "Istio", (1, 6),
         ("policies.authentication.istio.io", "meshpolicies.authentication.istio.io",
          "serviceroles.rbac.istio.io", "servicerolebindings.rbac.istio.io", "clusterrbacconfigs.rbac.istio.io"),
         "authentication.istio.io / rbac.istio.io", "PeerAuthentication / RequestAuthentication / "
         "AuthorizationPolicy of security.istio.io",
         "no longer enforces the mTLS, JWT and RBAC rules they declare (requests they rejected or required mTLS "
         "for now pass or fail differently)"),
)
"""Istio 1.6 removed the authentication.istio.io Policy/MeshPolicy and rbac.istio.io ServiceRole APIs (its
upgrade notes): istiod ignores them. The rancher mirror `mirrored-library-traefik` is Traefik as k3s ships it
(k3s moved its bundled Traefik from v2 to v3)."""

_IMAGE = re.compile(r"(?P<repo>[\w./-]+?)(?::(?P<tag>[\w.-]+))?(?:@sha256:\w+)?$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")
_HOST = re.compile(r"Host(?:SNI)?\(([^)]*)\)")


@dataclass
class Upgrade:
    """A controller workload whose image crossed a Drop's version, and the objects it now ignores."""

    target: Ref
    change: dict[str, Any]
    drop: Drop
    old: str
    new: str
    ignored: list[Ref] = field(default_factory=list)
    hosts: dict[str, list[str]] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)


def _version(tag: str) -> tuple[int, int] | None:
    m = _VERSION.match(tag)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _image_moves(change: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(repository, old tag, new tag) of each image a rollout's diff moved."""
    out: list[tuple[str, str, str]] = []
    for line in [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]:
        m = re.search(r"image (\S+) -> (\S+)", line)
        if not m:
            continue
        old, new = _IMAGE.match(m.group(1)), _IMAGE.match(m.group(2))
        if old and new and old.group("tag") and new.group("tag"):
            out.append((new.group("repo"), old.group("tag"), new.group("tag")))
    return list(dict.fromkeys(out))


def upgrades(facts: Facts) -> list[tuple[Ref, dict[str, Any], str, Drop, str, str]]:
    """(workload, change, evidence, drop, old tag, new tag) of each rollout that crossed a Drop's version."""
    out: list[tuple[Ref, dict[str, Any], str, Drop, str, str]] = []
    for change, evidence, ref in facts.writes_to(None, within=LEAD):
        for repo, old, new in _image_moves(change):
            before, after = _version(old), _version(new)
            for drop in DROPS:
                if drop.image.search(repo) and before and after and before < drop.since <= after and \
                        not any(o[0].same_object(ref) and o[3] is drop for o in out):
                    out.append((ref, change, evidence, drop, old, new))
    return out


def _rows(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a controller crossed a dropping version: the dropped group's objects and a few of their
    specs (the hosts they route), those the incident's words name first."""
    if RECORD in facts.reads:
        return
    found_upgrades = upgrades(facts)
    if not found_upgrades:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "hosts": {}, "evidence": [],
                                                           "incident_hosts": list(subject.hosts)})
    words = [w.lower() for w in [*subject.hosts, *subject.names] if len(w) >= 3]
    for _, _, _, drop, _, _ in found_upgrades:
        for resource in drop.resources:
            listed = await call("k8s_list", {"kind": resource}, f"survey-controller-api-{resource.split('.')[0]}")
            rows = _rows(listed)
            if not rows or listed is None:
                continue
            kept["evidence"].append(listed.evidence_id)
            kept["objects"][resource] = [(str(r.get("namespace") or ""), str(r["name"])) for r in rows]
            rows.sort(key=lambda r: not any(w.split(".")[0] in str(r["name"]).lower() for w in words))
            for row in rows[:MAX_OBJECTS]:
                got = await get_yaml(call, resource, str(row["name"]), str(row.get("namespace") or ""),
                                     f"survey-controller-api-{row['name']}")
                if got is not None:
                    routes = ((got[0].get("spec") or {}).get("routes") or []) + \
                        [v for v in [(got[0].get("spec") or {}).get("virtualhost")] if v]
                    hosts = [h.strip(" `\"'") for r in routes if isinstance(r, dict)
                             for m in _HOST.finditer(str(r.get("match") or "")) for h in m.group(1).split(",")]
                    hosts += [str(r.get("fqdn")) for r in routes if isinstance(r, dict) and r.get("fqdn")]
                    kept["hosts"][f"{row.get('namespace') or ''}/{row['name']}"] = [h for h in hosts if h]


def found(facts: Facts) -> list[Upgrade]:
    """Each controller upgrade past a dropping version while objects of the dropped group remain."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    out: list[Upgrade] = []
    for ref, change, evidence, drop, old, new in upgrades(facts):
        ignored: list[Ref] = []
        for resource in drop.resources:
            kind = resource.split(".")[0]
            for namespace, name in kept.get("objects", {}).get(resource) or []:
                ignored.append(Ref(kind, namespace, name))
        if not ignored:
            continue
        hosts = {k: v for k, v in (kept.get("hosts") or {}).items() if v}
        out.append(Upgrade(ref, change, drop, old, new, ignored, hosts,
                           [e for e in [evidence, *kept.get("evidence", [])] if e]))
    return out


_KINDS = {"ingressroutes": "IngressRoute", "middlewares": "Middleware", "ingressroutetcps": "IngressRouteTCP",
          "traefikservices": "TraefikService", "kongingresses": "KongIngress", "policies": "Policy",
          "meshpolicies": "MeshPolicy", "serviceroles": "ServiceRole", "servicerolebindings": "ServiceRoleBinding",
          "clusterrbacconfigs": "ClusterRbacConfig"}


def finding(upgrade: Upgrade, at: datetime, incident_hosts: list[str]) -> dict[str, Any]:
    """The upgrade's finding, its meaning first (the headline is cut): the product's new major, the group it no
    longer reads, the objects still written in it (those serving the incident's hosts first), the 404."""
    drop = upgrade.drop
    when = parse_time(upgrade.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    wanted = {h.lower() for h in incident_hosts}

    def serves(ref: Ref) -> bool:
        return any(h.lower() in wanted for h in upgrade.hosts.get(f"{ref.namespace}/{ref.name}", []))

    ignored = sorted(upgrade.ignored, key=lambda r: not serves(r))
    named = ", ".join(f"{_KINDS.get(r.kind, r.kind)} {r.namespace}/{r.name}" for r in ignored[:3])
    hosts = [h for r in ignored[:3] for h in upgrade.hosts.get(f"{r.namespace}/{r.name}", [])]
    major = (_version(upgrade.new) or (0, 0))[0]
    message = (f"{upgrade.target} was upgraded {upgrade.old} -> {upgrade.new}{ago} ({drop.product} v{major}), which "
               f"no longer reads the {drop.group} API group: {named} still written as {drop.group} "
               f"{'is' if len(ignored) == 1 else 'are'} ignored, so {drop.product} "
               f"{drop.effect.format(hosts=', '.join(hosts[:2]) or 'their hosts')}. Rewrite "
               f"them as {drop.replacement} (or roll {upgrade.target.name} back)")
    return {"check": CHECK, "severity": "critical", "reason": "ControllerDroppedApiGroup",
            "object": {"kind": upgrade.target.kind, "namespace": upgrade.target.namespace,
                       "name": upgrade.target.name},
            "message": message,
            "evidence": [f"{_KINDS.get(r.kind, r.kind)} {r.namespace}/{r.name}" for r in ignored[:5]],
            "details": {"group": drop.group, "old": upgrade.old, "new": upgrade.new,
                        "ignored": [str(r) for r in ignored]}}


def suspects(facts: Facts, incident_hosts: list[str] | None = None) -> list[tuple[Ref, dict[str, Any], list[str],
                                                                                 list[Ref]]]:
    """The upgraded controller; it explains the objects it no longer reads."""
    return [(u.target, finding(u, facts.at, incident_hosts or _hosts(facts)), u.evidence, u.ignored)
            for u in found(facts)]


def _hosts(facts: Facts) -> list[str]:
    kept = facts.reads.get(RECORD)
    return list((kept or {}).get("incident_hosts") or []) if isinstance(kept, dict) else []
