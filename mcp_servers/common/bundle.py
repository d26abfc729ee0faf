"""Incident bundles: what an incident leaves behind, on disk, loadable and checkable.

A bundle is a directory (docs/bundles.md is the full description):

    manifest.yaml        name, incident time, capture time, where everything else is
    expected.yaml        the root cause written down, for tests and the demo (optional)
    cluster/             `kubectl cluster-info dump --output-directory` layout:
                         nodes.json, <namespace>/{pods,events,deployments,...}.json,
                         <namespace>/<pod>/logs.txt (START/END blocks per container),
                         <namespace>/<pod>/<container>.previous.txt (Vigil's addition)
    extra/               any other objects as YAML or JSON (ConfigMaps, Secrets, CRDs, metrics.k8s.io)
    metrics/*.om.txt     OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`
    alerts/*.json        Alertmanager webhook v4 and PagerDuty webhook v3 payloads
    code/, gitops/       optional source trees

The replay API server, the Prometheus fixture and the agent's demo all read bundles through this
module, so they agree on what a bundle holds. Loading never trusts the content: everything in a
bundle is data from the system under investigation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "vigil.dev/bundle/v1"

CLUSTER_SCOPED = frozenset({
    # core, RBAC, API machinery
    "Node", "Namespace", "PersistentVolume", "ComponentStatus", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "APIService", "FlowSchema", "PriorityLevelConfiguration",
    # scheduling, storage, node
    "PriorityClass", "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass",
    "RuntimeClass", "NodeMetrics",
    # networking, admission, certificates, dynamic resources
    "IngressClass", "IPAddress", "ServiceCIDR", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding", "CertificateSigningRequest", "ClusterTrustBundle", "DeviceClass",
    "ResourceSlice",
})
"""Built-in kinds (Kubernetes 1.32, `kubectl api-resources --namespaced=false`) that live outside
namespaces; a CRD with `scope: Cluster` in the bundle adds its own kind."""

_LOG_BLOCK = re.compile(
    r"^==== START logs for container (?P<container>\S+) of pod (?P<ns>[^/\s]+)/(?P<pod>\S+) ====\n"
    r"(?P<body>.*?)"
    r"^==== END logs for container (?P=container) of pod (?P=ns)/(?P=pod) ====\n?",
    re.S | re.M,
)
_PREVIOUS_SUFFIX = ".previous.txt"


class BundleError(ValueError):
    """A bundle that cannot be loaded; `problems` lists every reason found."""

    def __init__(self, root: Path, problems: list[Problem]) -> None:
        self.root = root
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        listing = "; ".join(str(p) for p in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"bundle {root} is not valid: {listing}{more}; run `vigil bundle validate {root}`")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: where, what, and how bad."""

    where: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClusterInfo(_Strict):
    context: str = "replay"
    """The kubeconfig context name the replay server writes for itself."""
    name: str = "replay"
    server_version: str = "v1.30.0"


class CodeRef(_Strict):
    path: str
    container_root: str | None = None
    """Where the code lives inside the container image, so stack-trace paths map onto `path`."""
    language: str | None = None


class MetricsWindow(_Strict):
    start: datetime
    end: datetime


class Manifest(_Strict):
    format: str = FORMAT
    name: str
    title: str = ""
    description: str = ""
    incident_time: datetime
    captured_at: datetime | None = None
    """When the dump was taken; the replay server's notion of `now`. Defaults to incident_time."""
    metrics_window: MetricsWindow | None = None
    cluster: ClusterInfo = Field(default_factory=ClusterInfo)
    metrics: str | None = None
    alerts: list[str] = Field(default_factory=list)
    expected: str | None = None
    code: CodeRef | None = None
    gitops: str | None = None
    question: str | None = None
    """What to ask when an investigation is given neither an alert file nor a question."""
    loki: str | None = None
    """Recorded Loki lines in Loki's push format ({"streams": [...]}), served to the Loki tools on replay."""


ANSWER_KEY_NAMES = frozenset({"expected.yaml", "expected.yml"})
"""File names of answer keys: never loaded as objects, never served, never read by an investigation."""


@dataclass(frozen=True)
class LogKey:
    namespace: str
    pod: str
    container: str
    previous: bool = False


@dataclass
class AlertPayload:
    """One alert payload file, with the sender recognised from its shape."""

    path: Path
    source: Literal["alertmanager", "pagerduty", "unknown"]
    payload: dict[str, Any]


@dataclass
class Bundle:
    """A loaded bundle: objects (each with kind and apiVersion), logs, and paths to the rest."""

    root: Path
    manifest: Manifest
    objects: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[LogKey, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    """Warnings found while loading (errors make `load` raise)."""

    # ---- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, root: str | Path, *, strict: bool = True) -> Bundle:
        """Read a bundle; raise BundleError listing every error (warnings stay in `problems`)."""
        bundle, problems = _read(Path(root))
        if bundle is None or (strict and any(p.severity == "error" for p in problems)):
            raise BundleError(Path(root), problems)
        bundle.problems = problems
        return bundle

    # ---- what the bundle says -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def incident_time(self) -> datetime:
        return _utc(self.manifest.incident_time)

    @property
    def captured_at(self) -> datetime:
        return _utc(self.manifest.captured_at or self.manifest.incident_time)

    @property
    def metrics_path(self) -> Path | None:
        return self.root / self.manifest.metrics if self.manifest.metrics else None

    @property
    def loki_path(self) -> Path | None:
        return self.root / self.manifest.loki if self.manifest.loki else None

    @property
    def code_dir(self) -> Path | None:
        return self.root / self.manifest.code.path if self.manifest.code else None

    @property
    def gitops_dir(self) -> Path | None:
        return self.root / self.manifest.gitops if self.manifest.gitops else None

    @property
    def alerts(self) -> list[AlertPayload]:
        out = []
        for rel in self.manifest.alerts:
            path = self.root / rel
            payload = json.loads(path.read_text())
            out.append(AlertPayload(path, _alert_source(payload), payload))
        return out

    @property
    def expected(self) -> dict[str, Any]:
        """The written-down root cause (empty when the bundle has none).

        An answer key: tests, `vigil bundle validate` and `vigil eval`'s scoring read it, after an
        investigation and outside it; loading a bundle and replaying it never do.
        """
        if not self.manifest.expected:
            return {}
        data = yaml.safe_load((self.root / self.manifest.expected).read_text())
        return data if isinstance(data, dict) else {}

    # ---- queries over the objects ---------------------------------------------------------
    def kinds(self) -> list[str]:
        return sorted({o["kind"] for o in self.objects})

    def namespaces(self) -> list[str]:
        names = {o["metadata"]["name"] for o in self.objects if o["kind"] == "Namespace"}
        names |= {o["metadata"]["namespace"] for o in self.objects if o["metadata"].get("namespace")}
        return sorted(names)

    def objects_of(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of a kind (case-insensitive), optionally in one namespace."""
        want = kind.lower()
        return [o for o in self.objects if o["kind"].lower() == want
                and (namespace is None or o["metadata"].get("namespace") == namespace)]

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for obj in self.objects_of(kind, namespace):
            if obj["metadata"]["name"] == name:
                return obj
        return None

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool = False) -> str | None:
        return self.logs.get(LogKey(namespace, pod, container, previous))


def validate_bundle(root: str | Path) -> list[Problem]:
    """Everything wrong with a bundle, errors and warnings, without raising."""
    bundle, problems = _read(Path(root))
    if bundle is not None:
        problems.extend(_check_expected(bundle))
        problems.extend(_check_consistency(bundle))
    return problems


# ---- reading ------------------------------------------------------------------------------

def _read(root: Path) -> tuple[Bundle | None, list[Problem]]:
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), "not a directory; pass the bundle's directory (it holds manifest.yaml)")]
    manifest = _read_manifest(root, problems)
    if manifest is None:
        return None, problems
    bundle = Bundle(root=root, manifest=manifest)
    cluster = root / "cluster"
    if not cluster.is_dir():
        problems.append(Problem("cluster/", "missing; a bundle needs the cluster dump "
                                             "(kubectl cluster-info dump --output-directory=cluster)"))
    else:
        for path in sorted(cluster.rglob("*.json")):
            bundle.objects.extend(_objects_from(path, root, problems))
        _read_logs(bundle, cluster, problems)
    extra = root / "extra"
    if extra.is_dir():
        for path in sorted(p for p in extra.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
            if path.name in ANSWER_KEY_NAMES or (manifest.expected and path == root / manifest.expected):
                problems.append(Problem(str(path.relative_to(root)), "an answer key is never served as cluster "
                                        "objects; keep it at the bundle's root or in `vigil eval --answers DIR`"))
                continue
            bundle.objects.extend(_objects_from(path, root, problems))
    _check_objects(bundle, problems)
    _check_files(bundle, problems)
    return bundle, problems


def _read_manifest(root: Path, problems: list[Problem]) -> Manifest | None:
    path = root / "manifest.yaml"
    if not path.is_file():
        problems.append(Problem("manifest.yaml", "missing; write one with at least `name` and `incident_time`"))
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        problems.append(Problem("manifest.yaml", f"not valid YAML: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem("manifest.yaml", "must be a mapping of fields"))
        return None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top)"
            problems.append(Problem(f"manifest.yaml: {loc}", err["msg"]))
        return None
    if manifest.format != FORMAT:
        problems.append(Problem("manifest.yaml: format", f"unknown format {manifest.format!r}; expected {FORMAT!r}"))
    return manifest


def _objects_from(path: Path, root: Path, problems: list[Problem]) -> Iterator[dict[str, Any]]:
    rel = str(path.relative_to(root))
    try:
        text = path.read_text()
        docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, f"cannot parse: {exc}"))
        return
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(f"{rel}#{index}", "not an object (expected a mapping with kind and metadata)"))
            continue
        kind = str(doc.get("kind") or "")
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            item_kind = kind[: -len("List")]
            api_version = str(doc.get("apiVersion") or "v1")
            for i, item in enumerate(doc["items"]):
                if not isinstance(item, dict):
                    problems.append(Problem(f"{rel}#items[{i}]", "not an object"))
                    continue
                item = dict(item)
                item.setdefault("kind", item_kind)
                item.setdefault("apiVersion", api_version)
                if _usable(item, f"{rel}#items[{i}]", problems):
                    yield item
        elif _usable(doc, f"{rel}#{index}", problems):
            yield doc


def _usable(obj: dict[str, Any], where: str, problems: list[Problem]) -> bool:
    if not obj.get("kind") or not obj.get("apiVersion"):
        problems.append(Problem(where, "object without kind or apiVersion"))
        return False
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        problems.append(Problem(where, f"{obj['kind']} without metadata.name"))
        return False
    return True


def _read_logs(bundle: Bundle, cluster: Path, problems: list[Problem]) -> None:
    for path in sorted(cluster.glob("*/*/logs.txt")):
        ns, pod = path.parent.parent.name, path.parent.name
        text = path.read_text(errors="replace")
        blocks = list(_LOG_BLOCK.finditer(text))
        if not blocks:
            problems.append(Problem(str(path.relative_to(bundle.root)),
                                    "no '==== START logs for container ... ====' blocks; write one block per "
                                    "container as kubectl cluster-info dump does"))
        for m in blocks:
            if (m.group("ns"), m.group("pod")) != (ns, pod):
                problems.append(Problem(str(path.relative_to(bundle.root)),
                                        f"block names pod {m.group('ns')}/{m.group('pod')} but sits in {ns}/{pod}"))
                continue
            bundle.logs[LogKey(ns, pod, m.group("container"))] = m.group("body")
    for path in sorted(cluster.glob(f"*/*/*{_PREVIOUS_SUFFIX}")):
        container = path.name[: -len(_PREVIOUS_SUFFIX)]
        bundle.logs[LogKey(path.parent.parent.name, path.parent.name, container, True)] = path.read_text(
            errors="replace")


def _is_namespaced(obj: dict[str, Any], cluster_kinds: set[str]) -> bool:
    return obj["kind"] not in CLUSTER_SCOPED and obj["kind"] not in cluster_kinds


def _cluster_scoped_crds(bundle: Bundle) -> set[str]:
    out = set()
    for crd in bundle.objects_of("CustomResourceDefinition"):
        spec = crd.get("spec") or {}
        if spec.get("scope") == "Cluster":
            out.add(str((spec.get("names") or {}).get("kind")))
    return out


def _check_objects(bundle: Bundle, problems: list[Problem]) -> None:
    cluster_kinds = _cluster_scoped_crds(bundle)
    seen: dict[tuple[str, str, str], int] = {}
    keep = []
    for obj in bundle.objects:
        meta = obj["metadata"]
        ns = meta.get("namespace") or ""
        ident = f"{obj['kind']} {ns + '/' if ns else ''}{meta['name']}"
        if _is_namespaced(obj, cluster_kinds) and not ns:
            problems.append(Problem(ident, _no_namespace_fix(obj)))
            continue
        key = (obj["kind"], ns, meta["name"])
        if key in seen:
            problems.append(Problem(ident, "appears twice; the later copy is ignored", "warning"))
            continue
        seen[key] = 1
        keep.append(obj)
    bundle.objects = keep


def _no_namespace_fix(obj: dict[str, Any]) -> str:
    """Why an object without a namespace is refused, and the fix: usually a custom resource's missing CRD."""
    from mcp_servers.kubernetes.resources import guess_type

    group = str(obj["apiVersion"]).rpartition("/")[0]
    if "." in group and not group.endswith(".k8s.io"):
        plural = guess_type(str(obj["kind"]), str(obj["apiVersion"]), False).plural
        return (f"has no metadata.namespace and no CustomResourceDefinition in the bundle declares {obj['kind']} "
                f"cluster-scoped; add its CRD under extra/ (kubectl get crd {plural}.{group} -o yaml), or give "
                "the object its namespace")
    return "namespaced kind without metadata.namespace; add the namespace the object lives in"


def _check_files(bundle: Bundle, problems: list[Problem]) -> None:
    m = bundle.manifest
    if m.metrics:
        path = bundle.root / m.metrics
        if not path.is_file():
            problems.append(Problem("manifest.yaml: metrics", f"{m.metrics} does not exist"))
        else:
            problems.extend(check_openmetrics(path, m.metrics))
    if m.loki:
        from mcp_servers.loki.replay import load_streams

        try:
            load_streams(bundle.root / m.loki)
        except (OSError, ValueError, TypeError, IndexError) as exc:
            problems.append(Problem("manifest.yaml: loki", f"{m.loki} cannot be read as Loki streams: {exc}"))
    for rel in m.alerts:
        path = bundle.root / rel
        if not path.is_file():
            problems.append(Problem("manifest.yaml: alerts", f"{rel} does not exist"))
            continue
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            problems.append(Problem(rel, f"not valid JSON: {exc}"))
            continue
        problems.extend(_check_alert(rel, payload))
    optional_dirs: list[tuple[str, str | None]] = [("code", m.code.path if m.code else None), ("gitops", m.gitops)]
    root = bundle.root.resolve()
    for label, subdir in optional_dirs:
        if subdir and not (bundle.root / subdir).is_dir():
            problems.append(Problem(f"manifest.yaml: {label}", f"{subdir} is not a directory"))
        elif subdir and (bundle.root / subdir).resolve() in (root, *root.parents):
            # The code graph indexes everything under its directory: the answer key would become evidence.
            problems.append(Problem(f"manifest.yaml: {label}", f"{subdir!r} holds the whole bundle (and its answer "
                                                               "key); point it at a subdirectory such as code/"))


def _check_expected(bundle: Bundle) -> list[Problem]:
    """The answer key parses and names a culprit (only `vigil bundle validate` opens it, never a load)."""
    m = bundle.manifest
    if not m.expected:
        return []
    path = bundle.root / m.expected
    if not path.is_file():
        return [Problem("manifest.yaml: expected", f"{m.expected} does not exist")]
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        return [Problem(m.expected, f"not valid YAML: {exc}")]
    complete = isinstance(data, dict) and data.get("root_cause") and isinstance(data.get("culprit"), dict)
    if not complete:
        return [Problem(m.expected, "needs `root_cause` (text) and `culprit` ({kind, namespace, name})")]
    return []


def _alert_source(payload: Any) -> Literal["alertmanager", "pagerduty", "unknown"]:
    if isinstance(payload, dict) and isinstance(payload.get("alerts"), list) and "version" in payload:
        return "alertmanager"
    if isinstance(payload, dict) and isinstance(payload.get("event"), dict) and "event_type" in payload["event"]:
        return "pagerduty"
    return "unknown"


def _check_alert(rel: str, payload: Any) -> list[Problem]:
    source = _alert_source(payload)
    if source == "alertmanager":
        if payload.get("version") != "4":
            return [Problem(rel, f"Alertmanager webhook version {payload.get('version')!r}; Vigil reads version 4")]
        bad = [i for i, a in enumerate(payload["alerts"]) if not isinstance(a, dict) or "labels" not in a]
        return [Problem(rel, f"alerts[{i}] has no labels") for i in bad]
    if source == "pagerduty":
        return []
    return [Problem(rel, "neither an Alertmanager v4 webhook ({version, alerts: [...]}) nor a PagerDuty v3 "
                         "webhook ({event: {event_type, data}})")]


_SAMPLE = re.compile(r"^(?P<series>[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(?P<value>\S+)(?:\s+(?P<ts>\S+))?$")


def check_openmetrics(path: Path, rel: str) -> list[Problem]:
    """The checks promtool's backfill would fail on: the # EOF end, timestamps, order, grouping."""
    problems: list[Problem] = []
    last_ts: dict[str, float] = {}
    families_done: set[str] = set()
    current_family = ""
    saw_eof = False
    with path.open(errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n")
            if saw_eof and line.strip():
                problems.append(Problem(f"{rel}:{number}", "text after # EOF"))
                break
            if line == "# EOF":
                saw_eof = True
                continue
            if line.startswith("# TYPE "):
                name = line.split()[2]
                if name in families_done:
                    problems.append(Problem(f"{rel}:{number}",
                                            f"family {name} appears twice; keep its samples together"))
                if current_family:
                    families_done.add(current_family)
                current_family = name
                continue
            if line.startswith("#") or not line.strip():
                continue
            m = _SAMPLE.match(line)
            if not m:
                problems.append(Problem(f"{rel}:{number}", "cannot read this sample line"))
                continue
            if m.group("ts") is None:
                problems.append(Problem(f"{rel}:{number}", "sample without a timestamp; backfill needs one"))
                continue
            try:
                ts = float(m.group("ts"))
                float(m.group("value"))
            except ValueError:
                problems.append(Problem(f"{rel}:{number}", "value or timestamp is not a number"))
                continue
            if ts > 1e11:
                problems.append(Problem(f"{rel}:{number}",
                                        "timestamp looks like milliseconds; OpenMetrics uses seconds"))
                break
            series = m.group("series")
            if ts < last_ts.get(series, float("-inf")):
                problems.append(Problem(f"{rel}:{number}", f"timestamp goes backwards for {series[:80]}"))
            last_ts[series] = ts
            if len(problems) > 20:
                break
    if not saw_eof:
        problems.append(Problem(rel, "does not end with '# EOF'"))
    return problems


def _check_consistency(bundle: Bundle) -> list[Problem]:
    """Cross-references: owners, logs, the culprit, alerts against the clock."""
    problems: list[Problem] = []
    index = {(o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]) for o in bundle.objects}
    for obj in bundle.objects:
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences") or []:
            owner = (ref.get("kind"), meta.get("namespace") or "", ref.get("name"))
            if owner not in index and ref.get("kind") != "Node":
                problems.append(Problem(f"{obj['kind']} {meta.get('namespace')}/{meta['name']}",
                                        f"owner {ref.get('kind')} {ref.get('name')} is not in the bundle", "warning"))
    pods = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in bundle.objects_of("Pod")}
    for log_key in bundle.logs:
        pod = pods.get((log_key.namespace, log_key.pod))
        where = f"logs {log_key.namespace}/{log_key.pod}/{log_key.container}"
        if pod is None:
            problems.append(Problem(where, "pod is not in the bundle"))
            continue
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers", []) + (pod.get("spec") or {}).get(
            "initContainers", [])]
        if log_key.container not in names:
            have = ", ".join(map(str, names))
            problems.append(Problem(where, f"pod has no container {log_key.container!r} (it has {have})"))
    try:
        culprit = bundle.expected.get("culprit") if bundle.manifest.expected and (
            bundle.root / bundle.manifest.expected).is_file() else None
    except yaml.YAMLError:
        culprit = None  # _check_expected has said so
    if isinstance(culprit, dict):
        key = (str(culprit.get("kind")), str(culprit.get("namespace") or ""), str(culprit.get("name")))
        if key not in index:
            problems.append(Problem("expected.yaml: culprit", f"{key[0]} {key[1]}/{key[2]} is not in the cluster dump"))
    if not bundle.objects_of("Node"):
        problems.append(Problem("cluster/nodes.json", "no nodes; node tools will answer empty", "warning"))
    if bundle.manifest.captured_at and _utc(bundle.manifest.captured_at) < _utc(bundle.manifest.incident_time):
        problems.append(Problem("manifest.yaml: captured_at", "is before incident_time"))
    return problems


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)
