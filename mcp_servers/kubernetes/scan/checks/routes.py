"""Ingress routes that collide (another Ingress takes a host/path's traffic) or churn (a writer makes the
controller reload until it falls over).

**Overlap** (`ingress.route_overlap`). Every Ingress of one IngressClass is served by the same controller, and
ingress-nginx, Traefik and HAProxy merge all of a host's rules, whatever their namespace, into one server: a
staging Ingress created with the production host joins production's server. Which rule then answers a request
is each controller's documented precedence, of two shapes:

* *most specific wins* (ingress-nginx, Traefik, HAProxy, the Gateway API's HTTPRoute): an Exact path beats a
  Prefix, a longer prefix beats a shorter one, and for the very same path the oldest object (creationTimestamp)
  wins (ingress-nginx; the Gateway API spec's tie-break, then namespace/name). A newer Ingress with
  `/products` under a host whose `/` another Ingress serves takes every `/products` request.
* *first rule wins* (the AWS Load Balancer Controller's IngressGroup, `alb.ingress.kubernetes.io/group.name`):
  the Ingresses of a group become one ALB whose listener rules are ordered by `group.order` (lower first,
  default 0), then by namespace/name, then by their order in the Ingress; a rule without a host matches every
  host, and a Prefix `/` matches every path, so a catch-all rule ordered first shadows everyone behind it.

A finding is on the Ingress that wins a host/path another Ingress of the same controller (class, ALB group,
or HTTPRoute parent) also claims for a different backend, names the other one, both backends, when the
winner was written, and declares what it explains (`details.explains`): the displaced Ingress and both
backends (a small staging backend that suddenly takes production traffic is the next thing to fall over).
Ingresses of different classes never collide, nor do disjoint paths or a catch-all that a longer path beats.

**Churn** (`ingress.controller_churn`). An ingress controller reloads (ingress-nginx: event RELOAD "NGINX
reload triggered due to a change in configuration") for every change to an Ingress, Service or endpoints of
its class; a writer that re-creates its Ingresses on every resync keeps it reloading, and old worker
processes holding long-lived connections (websockets) pile up until the controller is OOMKilled. A finding is
on the workload named by the `managedFields` manager that wrote at least `MIN_OBJECTS` of the controller's
objects within `WINDOW`, when the controller's pods restarted in that window and counted at least
`MIN_RELOADS` reloads: many more reloads than objects written is a loop, not a rollout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.checks.base import iso, meta, name_of, ns_of, quote
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("ingress.route_overlap", "ingress.controller_churn")
ALB_GROUP = "alb.ingress.kubernetes.io/group.name"
ALB_ORDER = "alb.ingress.kubernetes.io/group.order"
LEGACY_CLASS = "kubernetes.io/ingress.class"
NGINX_REGEX = "nginx.ingress.kubernetes.io/use-regex"
CANARY = "nginx.ingress.kubernetes.io/canary"
ACME_SOLVER = "acme.cert-manager.io/http01-solver"
WINDOW = timedelta(hours=1)
"""A write or a controller restart this close to now is part of the current trouble."""
MIN_OBJECTS = 3
"""Objects one manager rewrote in the window before its writes count as churn."""
MIN_RELOADS = 20
"""Controller reloads in the window before they count as nonstop: a rollout's few writes reload a few times."""
CONTROLLER_POD = re.compile(r"ingress-nginx|nginx-ingress|ingress-controller|traefik|haproxy|contour|kong|"
                            r"kubernetes-ingress")
RELOAD_WORDS = ("reload triggered", "backend successfully reloaded", "configuration reloaded")
"""The controllers' own wording of a reload (ingress-nginx's RELOAD event and log lines)."""
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
_REGEX_CHARS = re.compile(r"[\^$*+?()\[\]{}|\\]")


@dataclass(frozen=True)
class Route:
    """One host/path rule of an Ingress or HTTPRoute, with what decides its precedence."""

    kind: str
    namespace: str
    name: str
    group: tuple[str, str]
    """Who serves it: ("class", name), ("alb", group.name) or ("gateway", parent)."""
    host: str
    path: str
    exact: bool
    backend: str
    created: datetime | None
    order: int = 0
    index: int = 0

    @property
    def owner(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def ordered(self) -> bool:
        """Whether the first rule in order wins (an ALB listener) rather than the most specific."""
        return self.group[0] == "alb"


def _under(path: str, prefix: str) -> bool:
    """Whether `path` lies within a Kubernetes Prefix match of `prefix` (element-wise: /foo covers /foo/bar,
    not /foobar)."""
    base = prefix.rstrip("/")
    return not base or path == prefix or path.rstrip("/") == base or path.startswith(base + "/")


def _literal(path: str) -> str:
    """A regex path's literal head (what it can match at least starts with): `/api/v[0-9]+` -> `/api/`."""
    m = _REGEX_CHARS.search(path)
    return path[: m.start()] if m else path


def _class_of(ing: dict[str, Any], default_class: str) -> str:
    spec = ing.get("spec") or {}
    return str(spec.get("ingressClassName") or (meta(ing).get("annotations") or {}).get(LEGACY_CLASS)
               or default_class)


def _by_design(ing: dict[str, Any]) -> bool:
    """An Ingress meant to share another's host/path: an ingress-nginx canary (`canary: "true"` splits the main
    Ingress's traffic by weight or header on purpose) or cert-manager's HTTP-01 solver (one Exact token path
    under /.well-known/acme-challenge/ for the minutes of a challenge)."""
    annotations = meta(ing).get("annotations") or {}
    labels = meta(ing).get("labels") or {}
    return str(annotations.get(CANARY, "")).lower() == "true" or str(labels.get(ACME_SOLVER, "")).lower() == "true"


def _ingress_routes(ing: dict[str, Any], default_class: str) -> list[Route]:
    if _by_design(ing):
        return []
    annotations = meta(ing).get("annotations") or {}
    created = parse_ts(meta(ing).get("creationTimestamp"))
    group_name = annotations.get(ALB_GROUP)
    if group_name:
        group = ("alb", str(group_name))
        try:
            order = int(str(annotations.get(ALB_ORDER, "0")).strip())
        except ValueError:
            order = 0
    else:  # no group: an ALB of its own, or one class's shared controller
        cls = _class_of(ing, default_class)
        group, order = (("alb-own", f"{ns_of(ing)}/{name_of(ing)}") if cls == "alb" else ("class", cls)), 0
    regex = str(annotations.get(NGINX_REGEX, "")).lower() == "true"
    out: list[Route] = []
    index = 0
    for rule in (ing.get("spec") or {}).get("rules") or []:
        host = str((rule or {}).get("host") or "")
        for p in ((rule or {}).get("http") or {}).get("paths") or []:
            path = str((p or {}).get("path") or "/")
            ptype = str((p or {}).get("pathType") or "ImplementationSpecific")
            if regex or (ptype == "ImplementationSpecific" and _REGEX_CHARS.search(path)):
                path = _literal(path) or "/"
            svc = (((p or {}).get("backend") or {}).get("service") or {}).get("name")
            out.append(Route("Ingress", ns_of(ing), name_of(ing), group, host.lower(), path, ptype == "Exact",
                             str(svc or ""), created, order, index))
            index += 1
    return out


def _httproute_routes(route: dict[str, Any]) -> list[Route]:
    spec = route.get("spec") or {}
    created = parse_ts(meta(route).get("creationTimestamp"))
    out: list[Route] = []
    for parent in spec.get("parentRefs") or []:
        key = f"{(parent or {}).get('namespace') or ns_of(route)}/{(parent or {}).get('name')}"
        for host in spec.get("hostnames") or [""]:
            index = 0
            for rule in spec.get("rules") or []:
                backends = (rule or {}).get("backendRefs") or []
                backend = str((backends[0] or {}).get("name") or "") if backends else ""
                for match in (rule or {}).get("matches") or [{}]:
                    p = (match or {}).get("path") or {}
                    ptype = str(p.get("type") or "PathPrefix")
                    value = str(p.get("value") or "/")
                    if ptype == "RegularExpression":
                        value = _literal(value) or "/"
                    out.append(Route("HTTPRoute", ns_of(route), name_of(route), ("gateway", key), str(host).lower(),
                                     value, ptype == "Exact", backend, created, 0, index))
                    index += 1
    return out


def _hosts_meet(taker: Route, other: Route) -> bool:
    """Whether the taker's host condition matches requests for the other's host."""
    if taker.host == other.host:
        return True
    if not taker.ordered:
        return False  # merged servers: an exact server_name beats a wildcard or the default server
    if not taker.host:
        return True  # an ALB rule without a host condition matches every host
    return taker.host.startswith("*.") and other.host.endswith(taker.host[1:])


def _first(a: Route, b: Route) -> bool:
    """Whether `a` is evaluated before `b` on an ALB listener: group.order, then namespace/name, then position."""
    return (a.order, f"{a.namespace}/{a.name}", a.index) < (b.order, f"{b.namespace}/{b.name}", b.index)


def _older(a: Route, b: Route) -> bool:
    ta, tb = a.created, b.created
    if ta is not None and tb is not None and ta != tb:
        return ta < tb
    return f"{a.namespace}/{a.name}" < f"{b.namespace}/{b.name}"


def _takes(t: Route, v: Route) -> bool:
    """Whether rule `t` answers some requests that rule `v` claims (and would get without `t`)."""
    if not _hosts_meet(t, v):
        return False
    if t.ordered:
        if not _first(t, v):
            return False
        # t before v: it shadows v whole when its path covers v's; a narrower rule in front of a wider one is the
        # usual layering (specific first, catch-all last) unless it arrived after the wider one
        if t.path == v.path or (_under(v.path, t.path) and not t.exact):
            return True
        return _under(t.path, v.path) and not v.exact and _older(v, t)
    if t.path == v.path and t.exact == v.exact:
        return _older(t, v)
    if not _older(v, t):
        return False  # a more specific rule that was there first took nothing the other ever served
    if t.exact and not v.exact:
        return _under(t.path, v.path)
    if not t.exact and not v.exact:
        return _under(t.path, v.path) and len(t.path.rstrip("/")) > len(v.path.rstrip("/"))
    return False


def _last_write(obj: dict[str, Any]) -> tuple[datetime | None, str]:
    """The newest spec/metadata write (managedFields, status writes left out) and its manager."""
    best: tuple[datetime | None, str] = (parse_ts(meta(obj).get("creationTimestamp")), "")
    for entry in meta(obj).get("managedFields") or []:
        if _status_only(entry):
            continue
        t = parse_ts(entry.get("time"))
        if t is not None and (best[0] is None or t >= best[0]):
            best = (t, str(entry.get("manager") or ""))
    return best


def _status_only(entry: dict[str, Any]) -> bool:
    fields = entry.get("fieldsV1") or {}
    return entry.get("subresource") == "status" or (bool(fields) and set(fields) <= {"f:status"})


def _overlap_finding(t: Route, v: Route, winner: dict[str, Any]) -> ScanFinding:
    written, manager = _last_write(winner)
    newer = t.created is not None and v.created is not None and t.created > v.created
    rule = "ALB listener rules run in group.order" if t.ordered else "the most specific path wins"
    where = f"{v.host or '*'}{v.path}"
    explains = [f"{v.kind} {v.namespace}/{v.name}"]
    explains += [f"Service {ns}/{svc}" for ns, svc in ((v.namespace, v.backend), (t.namespace, t.backend)) if svc]
    order_text = f" (group {t.group[1]}, order {t.order} before {v.order})" if t.ordered else ""
    catch_all = " (a catch-all path)" if t.path == "/" and not t.exact else ""
    message = (f"{t.kind} {t.namespace}/{t.name} claims {t.host or 'every host'}{t.path}"
               f"{' (Exact)' if t.exact else catch_all} on the same controller ({t.group[0]} {t.group[1]})"
               f"{order_text} as "
               f"{v.kind} {v.namespace}/{v.name}'s {where}; {rule}, so those requests go to {t.namespace}/"
               f"{t.backend or '?'} instead of {v.namespace}/{v.backend or '?'}"
               + (f"; created {iso(t.created)}, after {v.name} ({iso(v.created)})" if newer else
                  f"; created {iso(t.created)}"))
    return ScanFinding(
        check="ingress.route_overlap", severity="critical" if newer else "warning",
        object=ObjectRef(kind=t.kind, namespace=t.namespace, name=t.name), reason="RouteOverlap", message=message,
        details={"hosts": [h for h in {t.host, v.host} if h], "path": t.path, "displaced": f"{v.kind} "
                 f"{v.namespace}/{v.name}", "displaced_path": v.path, "backend": t.backend,
                 "displaced_backend": v.backend, "controller": f"{t.group[0]} {t.group[1]}",
                 "order": t.order if t.ordered else None, "created": iso(t.created),
                 "written": iso(written), "manager": manager, "explains": explains},
        evidence=[f"{t.owner}: {t.host or '*'}{t.path} -> {t.backend}",
                  f"{v.owner}: {v.host or '*'}{v.path} -> {v.backend}"],
        since=iso(written or t.created))


def overlaps(snap: Snapshot) -> list[ScanFinding]:
    """One finding per (winning object, displaced object) pair of the same controller."""
    default_class = next((name_of(c) for c in snap.items("IngressClass") if str(
        (meta(c).get("annotations") or {}).get("ingressclass.kubernetes.io/is-default-class")) == "true"), "")
    objects: dict[tuple[str, str, str], dict[str, Any]] = {}
    routes: list[Route] = []
    for ing in snap.items("Ingress"):
        objects[("Ingress", ns_of(ing), name_of(ing))] = ing
        routes += _ingress_routes(ing, default_class)
    for hr in snap.items("HTTPRoute"):
        objects[("HTTPRoute", ns_of(hr), name_of(hr))] = hr
        routes += _httproute_routes(hr)
    by_group: dict[tuple[str, str], list[Route]] = {}
    for r in routes:
        by_group.setdefault(r.group, []).append(r)
    out: list[ScanFinding] = []
    seen: set[tuple[str, str]] = set()
    for group in by_group.values():
        for t in group:
            for v in group:
                if (t.kind, t.namespace, t.name) == (v.kind, v.namespace, v.name):
                    continue
                if (t.namespace, t.backend) == (v.namespace, v.backend) or not _takes(t, v):
                    continue
                pair = (t.owner, v.owner)
                if pair in seen:
                    continue
                seen.add(pair)
                out.append(_overlap_finding(t, v, objects[(t.kind, t.namespace, t.name)]))
    return out


def _restarted(pod: dict[str, Any], since: datetime) -> str:
    """The pod's last termination in the window, as `reason (exit N) at T`; empty when none."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        term = ((cs or {}).get("lastState") or {}).get("terminated") or {}
        at = parse_ts(term.get("finishedAt"))
        if at is not None and at >= since:
            return f"{term.get('reason') or 'terminated'} (exit {term.get('exitCode')}) at {iso(at)}, " \
                   f"restarts {cs.get('restartCount', 0)}"
    return ""


def _workload_named(snap: Snapshot, manager: str) -> dict[str, Any] | None:
    """The workload a managedFields manager names: controller-runtime and client-go default it to the binary's
    name, which charts give the Deployment too."""
    low = manager.lower()
    if len(low) < 4:
        return None
    for kind in WORKLOAD_KINDS:
        for obj in snap.items(kind):
            name = name_of(obj).lower()
            if name == low or (len(name) >= 4 and (name.startswith(low + "-") or name.endswith("-" + low))):
                return obj
    return None


def churn(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    """The manager whose many recent writes keep a restarting ingress controller reloading."""
    since = now - WINDOW
    controllers: dict[str, dict[str, Any]] = {}
    for pod in snap.items("Pod"):
        events = snap.events_for("Pod", ns_of(pod), name_of(pod))
        reloads = [e for e in events if e.reason.upper() == "RELOAD"
                   or any(w in e.message.lower() for w in RELOAD_WORDS)]
        if not reloads and not CONTROLLER_POD.search(name_of(pod)):
            continue
        owner = snap.owner_of(pod)
        key = str(owner) if owner else f"Pod {ns_of(pod)}/{name_of(pod)}"
        entry = controllers.setdefault(key, {"reloads": 0, "restarts": [], "quote": "", "namespace": ns_of(pod)})
        recent = [e for e in reloads if (e.last or e.first) is None or (e.last or e.first or now) >= since]
        entry["reloads"] += sum(max(e.count, 1) for e in recent)
        entry["quote"] = entry["quote"] or (quote(recent[0]) if recent else "")
        stop = _restarted(pod, since)
        if stop:
            entry["restarts"].append(f"{name_of(pod)}: {stop}")
    live = {k: v for k, v in controllers.items() if v["restarts"] and v["reloads"] >= MIN_RELOADS}
    if not live:
        return []
    writes: dict[str, list[str]] = {}
    for kind in ("Ingress", "HTTPRoute"):
        for obj in snap.items(kind):
            at, manager = _last_write(obj)
            created = parse_ts(meta(obj).get("creationTimestamp"))
            manager = manager or next((str(e.get("manager") or "") for e in meta(obj).get("managedFields") or []
                                       if not _status_only(e)), "")
            if manager and ((at is not None and at >= since) or (created is not None and created >= since)):
                writes.setdefault(manager, []).append(f"{kind} {ns_of(obj)}/{name_of(obj)}")
    out: list[ScanFinding] = []
    for manager, objs in sorted(writes.items(), key=lambda kv: -len(kv[1])):
        if len(objs) < MIN_OBJECTS:
            continue
        workload = _workload_named(snap, manager)
        if workload is None:
            continue
        for key, ctl in live.items():
            if ctl["reloads"] < 2 * len(objs):
                continue  # about one reload per object written: a rollout, not a loop
            kind = str(workload.get("kind") or "Deployment")
            target = f"{kind} {ns_of(workload)}/{name_of(workload)}"
            message = (f"{target} (managedFields manager {manager}) rewrote {len(objs)} Ingress-type objects in the "
                       f"last {int(WINDOW.total_seconds() // 60)} min ({', '.join(objs[:3])}"
                       f"{', ...' if len(objs) > 3 else ''}); the ingress controller {key} reloaded {ctl['reloads']} "
                       f"times and restarted ({'; '.join(ctl['restarts'][:2])}): every write reloads it, and old "
                       "workers holding long-lived connections pile up until it runs out of memory. Stop or roll "
                       f"back {name_of(workload)}")
            out.append(ScanFinding(
                check="ingress.controller_churn", severity="critical",
                object=ObjectRef(kind=kind, namespace=ns_of(workload), name=name_of(workload)),
                reason="IngressChurn", message=message,
                details={"manager": manager, "written": objs[:20], "count": len(objs), "controller": key,
                         "reloads": ctl["reloads"], "restarts": ctl["restarts"][:5],
                         "explains": [key, *objs[:20]]},
                evidence=[e for e in (ctl["quote"], *ctl["restarts"][:2]) if e], since=iso(since)))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    return overlaps(snap) + churn(snap, now)
