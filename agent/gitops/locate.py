"""Finding the file that controls a workload in a real GitOps repository layout.

Three layouts are understood, tried from the most specific to the least:

1. Kustomize: an overlay directory named after the environment (`apps/checkout/overlays/prod`)
   whose resources, followed through bases, define the workload; the overlay's `namespace:` wins.
2. Helm: a chart (a directory with `Chart.yaml`) named like the workload, with a per-environment
   values file (`values-prod.yaml`, `values.prod.yaml` or `values/prod.yaml`).
3. Plain manifests: a YAML file holding the object itself, with the right namespace.

An ambiguous answer is an error that lists the candidates, never a guess.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from agent.gitops.remediation import Workload

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class LocateError(LookupError):
    """No single file controls the workload; the message says what was searched and what to pass."""


@dataclass
class Location:
    """Where a workload is defined and where an environment-specific change belongs."""

    layout: Literal["kustomize", "helm", "manifest"]
    workload_file: str
    """The file holding the full workload object (a base manifest, a plain manifest) or the chart's values.yaml."""
    overlay_dir: str | None = None
    kustomization: str | None = None
    resources: list[str] = field(default_factory=list)
    """Kustomize: every manifest file the overlay renders, bases included."""
    chart_dir: str | None = None
    values_file: str | None = None

    def describe(self) -> str:
        if self.layout == "kustomize":
            return f"kustomize overlay {self.overlay_dir} (workload defined in {self.workload_file})"
        if self.layout == "helm":
            return f"helm chart {self.chart_dir}, values {self.values_file}"
        return f"manifest {self.workload_file}"


class _LazyDocs(Mapping[str, list[Any]]):
    """Path -> parsed documents, parsed on first access: a large repository is mostly never read."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.cache: dict[str, list[Any]] = {}

    def __getitem__(self, path: str) -> list[Any]:
        if path not in self.cache:
            text = self.texts[path]  # KeyError for unknown paths, as a dict would
            try:
                self.cache[path] = list(yaml.load_all(text, Loader=_Loader))
            except yaml.YAMLError:
                self.cache[path] = []  # a Helm template or a broken file: not a manifest
        return self.cache[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)


class RepoIndex:
    """The YAML files of a checkout. Paths are repository-relative with `/`.

    Files are read as text up front and parsed only when needed; `find` skips any file whose
    text does not even contain the object's name, so locating a workload in a repository of
    thousands of manifests parses a handful of them.
    """

    def __init__(self, root: Path) -> None:
        from agent.gitops.paths import tree_files  # paths builds on this module's LocateError

        self.root = root
        texts: dict[str, str] = {}
        self.charts: list[str] = []
        self.links_out: list[str] = []
        """Symlinks (to files or directories) leading out of the tree: never read; a proposal near one is refused."""
        for rel, file in tree_files(root, self.links_out):  # symlinks out of the tree are never read
            if file.name == "Chart.yaml":
                self.charts.append(posixpath.dirname(rel))
            if file.suffix not in (".yaml", ".yml") and file.name != "Kustomization":
                continue
            try:
                texts[rel] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
        self.docs = _LazyDocs(texts)
        self.charts.sort()

    def objects(self, path: str) -> list[dict[str, Any]]:
        return [d for d in self.docs.get(path, []) if isinstance(d, dict) and "kind" in d]

    def find(self, kind: str, name: str, paths: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Objects of `kind` named `name` (case-insensitive kind), optionally within `paths`."""
        out = []
        for path in paths if paths is not None else list(self.docs):
            if name not in self.docs.texts.get(path, ""):
                continue
            for obj in self.objects(path):
                if str(obj.get("kind", "")).lower() == kind.lower() and _name(obj) == name:
                    out.append((path, obj))
        return out

    def kustomizations(self) -> list[str]:
        return [p for p in self.docs if posixpath.basename(p) in KUSTOMIZATION_NAMES]

    def kustomization_in(self, directory: str) -> str | None:
        for name in KUSTOMIZATION_NAMES:
            candidate = posixpath.join(directory, name) if directory else name
            if candidate in self.docs:
                return candidate
        return None

    def kustomize_data(self, path: str) -> dict[str, Any]:
        docs = self.docs.get(path) or [{}]
        return docs[0] if isinstance(docs[0], dict) else {}

    def resolve_resources(self, kustomization: str, seen: set[str] | None = None) -> list[str]:
        """Every manifest file a kustomization renders, following bases; remote URLs are skipped."""
        seen = seen if seen is not None else set()
        if kustomization in seen:
            return []
        seen.add(kustomization)
        data = self.kustomize_data(kustomization)
        here = posixpath.dirname(kustomization)
        files: list[str] = []
        for entry in list(data.get("resources") or []) + list(data.get("bases") or []):
            if not isinstance(entry, str) or "://" in entry or entry.startswith("github.com/"):
                continue
            target = posixpath.normpath(posixpath.join(here, entry))
            nested = self.kustomization_in(target)
            if nested:
                files.extend(self.resolve_resources(nested, seen))
            elif target in self.docs:
                files.append(target)
        return files

    def namespace_of(self, kustomization: str) -> str | None:
        """The namespace a kustomization sets, or the one its bases set (outermost wins)."""
        data = self.kustomize_data(kustomization)
        if data.get("namespace"):
            return str(data["namespace"])
        here = posixpath.dirname(kustomization)
        for entry in list(data.get("resources") or []) + list(data.get("bases") or []):
            if isinstance(entry, str):
                nested = self.kustomization_in(posixpath.normpath(posixpath.join(here, entry)))
                if nested and self.namespace_of(nested):
                    return self.namespace_of(nested)
        return None


def locate(index: RepoIndex, workload: Workload, env: str) -> Location:
    """The one place that controls `workload` in environment `env`, or LocateError."""
    candidates: list[Location] = []
    for kust in index.kustomizations():
        directory = posixpath.dirname(kust)
        if posixpath.basename(directory) != env:
            continue
        files = index.resolve_resources(kust)
        found = index.find(workload.kind, workload.name, files)
        if not found:
            continue
        path, obj = found[0]
        namespace = index.namespace_of(kust) or _namespace(obj)
        if namespace == workload.namespace:
            candidates.append(Location("kustomize", path, overlay_dir=directory, kustomization=kust, resources=files))
    for chart in index.charts:
        values_file = _values_file(index, chart, env)
        chart_file = posixpath.join(chart, "Chart.yaml")
        if not values_file or workload.name not in (
                chart + index.docs.texts.get(chart_file, "") + index.docs.texts.get(values_file, "")):
            continue  # the name appears nowhere: no need to parse this chart
        chart_meta = (index.docs.get(chart_file) or [{}])[0] or {}
        values = (index.docs.get(values_file) or [{}])[0] or {}
        names = {posixpath.basename(chart), chart_meta.get("name"), values.get("fullnameOverride"),
                 values.get("nameOverride")}
        if workload.name in names and values.get("namespace") in (None, workload.namespace):
            candidates.append(Location("helm", posixpath.join(chart, "values.yaml"), chart_dir=chart,
                                       values_file=values_file))
    in_charts = tuple(c + "/" for c in index.charts)
    referenced: set[str] | None = None
    for path, obj in index.find(workload.kind, workload.name):
        if path.startswith(in_charts):
            continue
        if referenced is None:  # only worked out when a plain manifest could match
            referenced = {f for k in index.kustomizations() for f in index.resolve_resources(k)}
        if path in referenced:
            continue
        if _namespace(obj) in (workload.namespace, None) and not index.kustomization_in(posixpath.dirname(path)):
            candidates.append(Location("manifest", path))
    deployers = _from_deployers(index, workload)
    deployed = [loc for label, loc in deployers if env in label]
    if not deployed and not any(c.layout != "manifest" for c in candidates):
        deployed = [loc for _, loc in deployers]  # none names the environment, and no directory does either
    if deployed:
        # What Argo CD or Flux actually deploys is authoritative; directory-name guesses that agree merge in.
        claimed = {_key(c) for c in deployed}
        candidates = deployed + [c for c in candidates if _key(c) not in claimed and c.layout == "manifest"]
    unique: dict[tuple[str, str], Location] = {}
    for candidate in candidates:
        unique.setdefault(_key(candidate), candidate)
    candidates = list(unique.values())
    if len(candidates) == 1:
        return candidates[0]
    target = f"{workload.kind} {workload.namespace}/{workload.name} for environment {env!r}"
    if not candidates:
        known = sorted({f"{_namespace(o) or '?'}/{_name(o)}" for p in index.docs for o in index.objects(p)
                        if str(o.get("kind", "")).lower() == workload.kind.lower()})
        raise LocateError(
            f"no file in the repository defines {target}; searched kustomize overlays named {env!r}, "
            f"charts with values-{env}.yaml and plain manifests. Known {workload.kind}s: "
            f"{', '.join(known[:20]) or 'none'}. Check the name, namespace and environment."
        )
    listing = "; ".join(c.describe() for c in candidates)
    raise LocateError(f"{target} is defined in several places ({listing}); remove the duplicate or "
                      "name the environment so that one place matches")


def _key(location: Location) -> tuple[str, str]:
    return location.layout, location.overlay_dir or location.values_file or location.workload_file


def _from_deployers(index: RepoIndex, workload: Workload) -> list[tuple[str, Location]]:
    """(label, location) for each Argo CD Application or Flux Kustomization deploying the workload.

    Real repositories often name overlays `production` or `eu-prod`; the deployer objects say which
    directory a cluster actually syncs, so they decide where a fix goes. The label (the object's
    name, its file and the synced path) is what `locate` matches the environment against.
    """
    found: list[tuple[str, Location]] = []
    for path, text in index.docs.texts.items():
        if "argoproj.io" not in text and "kustomize.toolkit.fluxcd.io" not in text:
            continue
        for obj in index.objects(path):
            api, kind = str(obj.get("apiVersion", "")), obj.get("kind")
            spec = obj.get("spec") or {}
            if api.startswith("argoproj.io/") and kind == "Application":
                source: dict[str, Any] = spec.get("source") or next(iter(spec.get("sources") or []), {}) or {}
                target_path = str(source.get("path") or "")
                namespace = (spec.get("destination") or {}).get("namespace")
                value_files = list((source.get("helm") or {}).get("valueFiles") or [])
                release = (source.get("helm") or {}).get("releaseName")
            elif api.startswith("kustomize.toolkit.fluxcd.io/") and kind == "Kustomization":
                target_path, namespace, value_files, release = str(spec.get("path") or ""), spec.get(
                    "targetNamespace"), [], None
            else:
                continue
            directory = posixpath.normpath(target_path.removeprefix("./")) if target_path else ""
            if not directory or directory.startswith(".."):
                continue
            location = _deployed_location(index, workload, directory, namespace, value_files, release,
                                          str((obj.get("metadata") or {}).get("name", "")))
            if location:
                found.append((f"{(obj.get('metadata') or {}).get('name', '')} {path} {directory}", location))
    return found


def _deployed_location(index: RepoIndex, workload: Workload, directory: str, namespace: object,
                       value_files: list[object], release: object, app_name: str) -> Location | None:
    kust = index.kustomization_in(directory)
    if kust:
        files = index.resolve_resources(kust)
        hits = index.find(workload.kind, workload.name, files)
        if hits and (index.namespace_of(kust) or namespace or _namespace(hits[0][1])) == workload.namespace:
            return Location("kustomize", hits[0][0], overlay_dir=directory, kustomization=kust, resources=files)
        return None
    if directory in index.charts and namespace == workload.namespace:
        chart_meta = (index.docs.get(posixpath.join(directory, "Chart.yaml")) or [{}])[0] or {}
        names = {posixpath.basename(directory), chart_meta.get("name"), release}
        if workload.name not in names and not app_name.startswith(workload.name):
            return None
        for value_file in value_files:
            candidate = posixpath.normpath(posixpath.join(directory, str(value_file)))
            if candidate in index.docs and posixpath.basename(candidate) != "values.yaml":
                return Location("helm", posixpath.join(directory, "values.yaml"), chart_dir=directory,
                                values_file=candidate)
    return None


def _values_file(index: RepoIndex, chart: str, env: str) -> str | None:
    for name in (f"values-{env}.yaml", f"values.{env}.yaml", f"values/{env}.yaml", f"values-{env}.yml"):
        candidate = posixpath.join(chart, name)
        if candidate in index.docs:
            return candidate
    return None


def _name(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata")
    return str(meta.get("name")) if isinstance(meta, dict) and meta.get("name") is not None else None


def _namespace(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata")
    return str(meta["namespace"]) if isinstance(meta, dict) and meta.get("namespace") else None
