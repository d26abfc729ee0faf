"""Helpers shared by the held-out rounds' scenario modules: how a captured cluster keeps its evidence.

Every blind round from 30 on builds its incidents with the same small vocabulary: managedFields as the API
server writes them, ControllerRevisions, counters and gauges, pod logs cut to the container's run, a red
herring rollout, a planted canary Secret, an Alertmanager notification. The rounds used to carry a copy of each
helper; they now import the ones whose text they shared, so a fix to how evidence is shaped lands once.
A round keeps its own copy where its version differs (changing it would change its bundles, and a round's
bundles are fixed once measured). Nothing here knows an answer: these only shape evidence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]



def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function keeping only lines inside the container run (its last three hours), sorted."""
    def log(pod: str, begin: datetime, end: datetime) -> str:
        first = max(begin, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, first, end) if first <= x[0] <= end))
    return log


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def counter(begin: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - begin).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def ramp(base: float, per_min: float, at: datetime) -> Series:
    """A gauge flat at `base` until `at`, then climbing `per_min` each minute."""
    return lambda t: base if t < at else round(base + per_min * (t - at).total_seconds() / 60, 1)


def wobble(base: float) -> Series:
    """A gauge wandering a little above `base` (a queue that is being worked off as fast as it fills)."""
    return lambda t: base + (t.minute % 5) * 11


def since(born: datetime, fn: Series) -> Series:
    """A series that only has samples once its pod exists."""
    return lambda t: None if t < born else fn(t)


def until(end: datetime, fn: Series) -> Series:
    """A series that stops having samples at `end` (its scrapes are rejected from then on)."""
    return lambda t: None if t >= end else fn(t)


def start(build: Callable[[], Incident], title: str, at: datetime, seed: int,
          namespaces: tuple[str, ...] = ()) -> Incident:
    """An incident named after its builder; its story is the builder's docstring (kept out of the bundle)."""
    return Incident(build.__name__.replace("_", "-"), title=title, story=build.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces)


def begin(build: Callable[[], Incident], title: str, at: datetime, seed: int,
          namespaces: tuple[str, ...] = (), skip: set[tuple[str, str]] | None = None) -> Incident:
    """Like `start`, but able to leave a background workload out (the story brings its own copy)."""
    return Incident(build.__name__.replace("_", "-"), title=title, story=build.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces, skip=skip)


def workload(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
             replicas: int = 3, nodes: list[str] | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble (if any) shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:2.{len(name)}.0", **kw)])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def rolled(inc: Incident, ns: str, name: str, old: o.Container, new: o.Container, at: datetime,
           make: Callable[[str, datetime, datetime], Lines], replicas: int = 2, cause: str = "helm upgrade",
           nodes: list[str] | None = None) -> Any:
    """A Deployment whose revision 2 (the one running) rolled out at `at`; its pods log `make`."""
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [old]), Rev(2, at, cause, [new])]
    plans = [P(log=within(make), node=nodes[i] if nodes else None, created=at + timedelta(seconds=20 + 9 * i))
             for i in range(replicas)]
    return inc.deployment(ns, name, revs, {2: plans})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, new: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{new}")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str, fmt: str = "{}") -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: fmt.format(value)})
    return value


def send(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """Alertmanager's webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced", version: str = "v1") -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    ver: dict[str, Any] = {"name": version, "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [ver]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def revision(inc: Incident, owner_kind: str, ns: str, owner: str, number: int, at: datetime,
             template: dict[str, Any]) -> str:
    """A ControllerRevision of a DaemonSet or StatefulSet, as its controller stores each template."""
    name = f"{owner}-{o.suffix(f'{ns}/{owner}/revision/{number}', 10)}"
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                          "labels": {"app": owner, "controller-revision-hash": name.rsplit("-", 1)[1]},
                          "ownerReferences": [o.owner_ref(owner_kind, owner, ns)]},
             "revision": number, "data": {"spec": {"template": template}}})
    return name


def every(s: datetime, e: datetime, step_s: float, make: Callable[[int, datetime], str | None]) -> Lines:
    """Log lines from `make`, called every `step_s` seconds between `s` and `e` (None skips a tick)."""
    return L.ticker(s, e, step_s, make)


def node(inc: Incident, index: int) -> str:
    """The name of the incident's `index`-th node (the corpus background's nodes, in order)."""
    return inc.node_names()[index]


def pod_log(h: PodHistory, container: str, make: Callable[[str, datetime, datetime], Lines],
            begin: datetime, end: datetime) -> None:
    """Replace a pod's logs (a background pod whose log matters to the story)."""
    h.logs[container] = within(make)(h.name, begin, end)


def series(inc: Incident, family: str, type_: str, help_: str, labels: dict[str, str], fn: Series,
           step_s: int = 60) -> None:
    """One metric series; a counter keeps its exposed name (`_total`, `_count`, `_bucket`) as given."""
    own = dict(labels)  # the writer stamps __name__ into the dict it is given: never share one between series
    if type_ == "counter":
        if family.endswith("_total"):
            family = family.removesuffix("_total")
        else:
            own["__name__"] = family
    inc.series(family, type_, help_, own, fn, step_s)


def gomillis(t: datetime) -> str:
    """A Go/RFC 3339 UTC time with milliseconds, as zap and logrus write it."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ms(t: datetime) -> str:
    """A space-separated local-style time with milliseconds, as Logback and log4j write it."""
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
