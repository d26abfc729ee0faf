"""The replay API server: an incident bundle served read-only over the real Kubernetes REST paths.

Real kubectl and the official Python client work against it unchanged: discovery (`/version`,
`/api`, `/apis`, group versions, in the legacy format every client still accepts), list and get
with label and field selectors and paging, `meta.k8s.io/v1` Table answers for `kubectl get`, pod
logs with `container`/`previous`/`tailLines`/`sinceSeconds`/`sinceTime`, and `Status` bodies for every
error. Writes and watches get 405: the past cannot be changed.

"Now" is the bundle's capture time, so ages and `sinceSeconds` read as they did when the dump was
taken, and every answer's HTTP `Date` header says that time (as a real API server stamps its own clock), not
the wall clock of the machine replaying it.
"""

from __future__ import annotations

import copy
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mcp_servers.common.bundle import CLUSTER_SCOPED, Bundle
from mcp_servers.kubernetes import health
from mcp_servers.kubernetes.resources import ResourceType, from_crd, registry_for
from mcp_servers.kubernetes.selectors import SelectorError, field_selector, label_selector
from mcp_servers.kubernetes.tables import table

READ_VERBS = ["get", "list"]


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    """A metav1.Status error body, as clients expect for any non-2xx answer."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=code)


def masked_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret as the replay serves it: its keys with empty values, nothing that holds a value.

    Same rule as the Kubernetes MCP server (keys and sizes only): `data` values become empty (still
    valid base64, so clients decode them), `stringData` and the last-applied annotation (which
    carries the values in clear) go.
    """
    out = copy.deepcopy(obj)
    out["data"] = {k: "" for k in (obj.get("data") or {}) | (obj.get("stringData") or {})}
    out.pop("stringData", None)
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if not annotations:
        (out.get("metadata") or {}).pop("annotations", None)
    return out


def derived_namespaces(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Namespace objects for namespaces the objects live in but the dump does not list.

    `kubectl cluster-info dump` writes no Namespace objects; `kubectl get ns` should still list them.
    Each is as old as its oldest object.
    """
    have = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    oldest: dict[str, str] = {}
    for o in objects:
        ns = o["metadata"].get("namespace")
        if ns and ns not in have:
            created = str(o["metadata"].get("creationTimestamp") or "")
            if ns not in oldest or (created and (not oldest[ns] or created < oldest[ns])):
                oldest[ns] = created
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": ns, **({"creationTimestamp": ts} if ts else {}),
                          "labels": {"kubernetes.io/metadata.name": ns}},
             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
            for ns, ts in sorted(oldest.items())]


def served_versions(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Custom resources recorded at a version their CRD does not serve, as the API server serves them: at the
    CRD's served version (its storage version first), apiVersion rewritten, fields kept (the `None` conversion).

    An API server never hands out an object at a version the CRD does not list: it converts. A recording that
    mixes them (a CRD updated to v1 beside objects dumped at v1alpha1) would otherwise be served as two types, and
    clients that follow discovery's preferred version would see none of the objects."""
    served: dict[tuple[str, str], list[str]] = {}
    for crd in objects:
        if crd.get("kind") == "CustomResourceDefinition":
            spec = crd.get("spec") or {}
            ordered = sorted(spec.get("versions") or [], key=lambda v: not v.get("storage"))
            versions = [str(v["name"]) for v in ordered if v.get("served", True) and v.get("name")]
            kind = str((spec.get("names") or {}).get("kind") or "")
            if versions and kind and spec.get("group"):
                served[(str(spec["group"]), kind)] = versions
    out = []
    for obj in objects:
        group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
        declared = served.get((group, str(obj.get("kind"))))
        if group and declared and version not in declared:
            obj = {**obj, "apiVersion": f"{group}/{declared[0]}"}
        out.append(obj)
    return out


class ReplayState:
    """The bundle indexed for serving: types, objects by type, the notion of now."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        extra = frozenset(CLUSTER_SCOPED)
        recorded = served_versions(bundle.objects)
        self.types = registry_for(recorded, extra)
        self.now = bundle.captured_at
        objects = [masked_secret(o) if o["kind"] == "Secret" and o["apiVersion"] == "v1" else o
                   for o in recorded]
        objects += derived_namespaces(objects)
        self.by_type: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for obj in objects:
            self.by_type.setdefault((str(obj["apiVersion"]), str(obj["kind"])), []).append(obj)
        self.printer_columns: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """(group/version, kind) -> the CRD's additionalPrinterColumns for that version."""
        for crd in bundle.objects_of("CustomResourceDefinition"):
            versions = {v.get("name"): v for v in (crd.get("spec") or {}).get("versions") or []}
            for t in from_crd(crd):
                columns = (versions.get(t.version) or {}).get("additionalPrinterColumns")
                if columns:
                    self.printer_columns[(t.group_version, t.kind)] = list(columns)
        for objs in self.by_type.values():
            objs.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        self.resource_version = "98765"

    def groups(self) -> dict[str, list[str]]:
        """API group name -> versions, core excluded."""
        out: dict[str, list[str]] = {}
        for t in self.types:
            if t.group and t.version not in out.setdefault(t.group, []):
                out[t.group].append(t.version)
        return out

    def type_for(self, group: str, version: str, plural: str) -> ResourceType | None:
        return next((t for t in self.types if (t.group, t.version, t.plural) == (group, version, plural)), None)

    def objects(self, t: ResourceType) -> list[dict[str, Any]]:
        return self.by_type.get((t.group_version, t.kind), [])


def _resource_list(state: ReplayState, group: str, version: str) -> dict[str, Any]:
    resources = []
    for t in state.types:
        if (t.group, t.version) != (group, version):
            continue
        entry: dict[str, Any] = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                                 "kind": t.kind, "verbs": READ_VERBS}
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        resources.append(entry)
        if t.kind == "Pod" and not group:
            resources.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                              "verbs": ["get"]})
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


class ReplayApp:
    """The ASGI app; one instance per served bundle."""

    def __init__(self, bundle: Bundle) -> None:
        self.state = ReplayState(bundle)
        self.app = Starlette(routes=[
            Route("/{path:path}", self.dispatch, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
        ])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        date = (b"date", formatdate(self.state.now.timestamp(), usegmt=True).encode())

        async def stamped(message: Any) -> None:
            if message.get("type") == "http.response.start":
                headers = [h for h in message.get("headers") or [] if h[0].lower() != b"date"]
                message = {**message, "headers": [*headers, date]}
            await send(message)

        await self.app(scope, receive, stamped)

    async def dispatch(self, request: Request) -> Response:
        path = "/" + request.path_params["path"].strip("/")
        if request.method not in ("GET", "HEAD"):
            return status(405, "MethodNotAllowed",
                          f"the replay API server is read-only: {request.method} {path} is not allowed")
        if request.query_params.get("watch") in ("true", "1"):
            return status(405, "MethodNotAllowed", "the replay API server serves a snapshot; watch is not supported")
        parts = [p for p in path.split("/") if p]
        try:
            return self.route(request, parts)
        except SelectorError as exc:
            return status(400, "BadRequest", str(exc))

    def route(self, request: Request, parts: list[str]) -> Response:
        s = self.state
        if parts == ["version"]:
            return JSONResponse(self.version())
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return PlainTextResponse("ok")
        if parts == ["api"]:
            host = request.url.netloc
            return JSONResponse({"kind": "APIVersions", "versions": ["v1"],
                                 "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
        if parts == ["apis"]:
            return JSONResponse({"kind": "APIGroupList", "apiVersion": "v1",
                                 "groups": [_group(g, vs) for g, vs in sorted(s.groups().items())]})
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 2:
            group = parts[1]
            if len(parts) == 2:
                versions = s.groups().get(group)
                if not versions:
                    return status(404, "NotFound", f"the server could not find the requested resource (group {group})")
                return JSONResponse({"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)})
            version, rest = parts[2], parts[3:]
        else:
            return status(404, "NotFound", f"the server could not find the requested resource ({'/'.join(parts)})")
        if not rest:
            if not any((t.group, t.version) == (group, version) for t in s.types):
                return status(404, "NotFound", f"the server could not find the requested resource ({group}/{version})")
            return JSONResponse(_resource_list(s, group, version))
        return self.resource(request, group, version, rest)

    def version(self) -> dict[str, Any]:
        v = self.state.bundle.manifest.cluster.server_version
        major, minor = v.lstrip("v").split(".")[:2]
        return {"major": major, "minor": minor, "gitVersion": v, "gitCommit": "replay", "gitTreeState": "clean",
                "buildDate": self.state.now.strftime("%Y-%m-%dT%H:%M:%SZ"), "goVersion": "go1.22.5",
                "compiler": "gc", "platform": "linux/amd64"}

    def resource(self, request: Request, group: str, version: str, rest: list[str]) -> Response:
        s = self.state
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
        t = s.type_for(group, version, plural)
        gv = f"{group}/{version}" if group else version
        if t is None or len(rest) > 3:
            return status(404, "NotFound", f"the server could not find the requested resource ({gv} {'/'.join(rest)})")
        if namespace and not t.namespaced:
            return status(404, "NotFound", f"{t.plural} are cluster-scoped; drop the namespace from the path")
        if name is None:
            return self.list(request, t, namespace)
        obj = next((o for o in s.objects(t) if o["metadata"]["name"] == name
                    and (not t.namespaced or namespace is None or o["metadata"].get("namespace") == namespace)), None)
        if obj is None or (t.namespaced and namespace is None):
            return status(404, "NotFound", f'{t.plural}{"." + t.group if t.group else ""} "{name}" not found',
                          {"name": name, "group": t.group, "kind": t.plural})
        if sub is None:
            if _wants_table(request):
                return JSONResponse(table(t.kind, [obj], s.now, request.query_params.get("includeObject", "Metadata"),
                                          custom_columns=s.printer_columns.get((t.group_version, t.kind))))
            return JSONResponse(obj)
        if t.kind == "Pod" and not t.group and sub == "log":
            return self.log(request, obj)
        return status(404, "NotFound", f"the server could not find the requested resource ({t.plural}/{sub})")

    def list(self, request: Request, t: ResourceType, namespace: str | None) -> Response:
        q = request.query_params
        labels = label_selector(q.get("labelSelector"))
        fields = field_selector(q.get("fieldSelector"))
        items = [o for o in self.state.objects(t)
                 if (namespace is None or o["metadata"].get("namespace") == namespace) and labels(o) and fields(o)]
        offset = int(q.get("continue") or 0) if (q.get("continue") or "0").isdigit() else 0
        limit = int(q.get("limit") or 0) if (q.get("limit") or "0").isdigit() else 0
        page = items[offset: offset + limit] if limit else items[offset:]
        meta: dict[str, Any] = {"resourceVersion": self.state.resource_version}
        if limit and offset + limit < len(items):
            meta["continue"] = str(offset + limit)
            meta["remainingItemCount"] = len(items) - offset - limit
        if _wants_table(request):
            return JSONResponse(table(t.kind, page, self.state.now, q.get("includeObject", "Metadata"), meta,
                                      self.state.printer_columns.get((t.group_version, t.kind))))
        return JSONResponse({"kind": f"{t.kind}List", "apiVersion": t.group_version, "metadata": meta,
                             "items": page})

    def log(self, request: Request, pod: dict[str, Any]) -> Response:
        q = request.query_params
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        container = q.get("container")
        if not container:
            default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
            if len(containers) == 1 or default:
                container = default or containers[0]
            else:
                return status(400, "BadRequest", f"a container name must be specified for pod {name}, "
                                                 f"choose one of: [{' '.join(containers)}]")
        init = [c["name"] for c in (pod.get("spec") or {}).get("initContainers") or []]
        if container not in containers + init:  # the API server serves init containers' logs too
            return status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = q.get("previous") in ("true", "1")
        text = self.state.bundle.pod_log(ns, name, container, previous)
        if text is None:
            return self._no_log(pod, container, previous)
        lines = text.splitlines()
        since, since_time = q.get("sinceSeconds"), q.get("sinceTime")
        if since and since_time:
            return status(422, "Invalid", "PodLogOptions is invalid: at most one of `sinceTime` or `sinceSeconds` "
                                          "may be specified")
        cutoff = None
        if since and since.isdigit():
            cutoff = self.state.now - timedelta(seconds=int(since))
        elif since_time:
            cutoff = health.parse_ts(since_time)
            if cutoff is None or cutoff.tzinfo is None:
                return status(400, "BadRequest", f"sinceTime {since_time!r} is not an RFC 3339 time")
        if cutoff is not None:
            lines = [ln for ln in lines if (_stamp(ln) or cutoff) >= cutoff]
        tail = q.get("tailLines")
        if tail and tail.lstrip("-").isdigit() and int(tail) >= 0:
            lines = lines[-int(tail):] if int(tail) else []
        if q.get("timestamps") not in ("true", "1"):
            lines = [_strip_stamp(ln) for ln in lines]
        body = "".join(ln + "\n" for ln in lines)
        limit = q.get("limitBytes")
        if limit and limit.isdigit():
            body = body.encode()[: int(limit)].decode(errors="ignore")
        return PlainTextResponse(body)

    def _no_log(self, pod: dict[str, Any], container: str, previous: bool) -> Response:
        name = pod["metadata"]["name"]
        cs = next((c for c in health.container_statuses(pod) if c.get("name") == container), {})
        if previous:
            return status(400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found')
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            return status(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: '
                                             f"{waiting.get('message') or waiting.get('reason')}")
        return PlainTextResponse("")


def _stamp(line: str) -> Any:
    head = line.split(" ", 1)[0]
    return health.parse_ts(head) if head[:4].isdigit() and "T" in head else None


def _strip_stamp(line: str) -> str:
    head, _, rest = line.partition(" ")
    return rest if head[:4].isdigit() and "T" in head and health.parse_ts(head) else line


# ---- running ------------------------------------------------------------------------------


def kubeconfig(url: str, context: str, namespace: str = "default") -> dict[str, Any]:
    """A kubeconfig for the replay server: plain HTTP on loopback, no credentials to leak."""
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": f"{context}-reader", "user": {}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": f"{context}-reader",
                                                    "namespace": namespace}}],
        "current-context": context,
    }


def write_kubeconfig(path: str | Path, url: str, context: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(kubeconfig(url, context), sort_keys=False))
    target.chmod(0o600)
    return target


@dataclass
class ReplayHandle:
    """A running replay server: its URL, the kubeconfig that reaches it, and its context name."""

    url: str
    kubeconfig: Path
    context: str
    bundle: Bundle


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


@contextmanager
def replay_server(bundle: Bundle | str | Path, kubeconfig_path: str | Path, *, host: str = "127.0.0.1",
                  port: int = 0) -> Iterator[ReplayHandle]:
    """Serve a bundle on a loopback port in a background thread for the duration of the block."""
    import uvicorn

    loaded = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
    sock = _bind(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(ReplayApp(loaded), log_level="warning", access_log=False, lifespan="off",
                            date_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="vigil-replay", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        sock.close()
        raise RuntimeError(f"the replay server did not start on {url}")
    context = loaded.manifest.cluster.context
    path = write_kubeconfig(kubeconfig_path, url, context)
    try:
        yield ReplayHandle(url, path, context, loaded)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def serve_forever(bundle: Bundle, host: str, port: int, kubeconfig_path: str | Path | None,
                  announce: Callable[[str], None] | None = None) -> None:
    """Serve in the foreground until interrupted (the `vigil replay serve` command).

    `announce` gets the real URL once the socket is bound (with `--port 0` only then is the port
    known); by default it is printed to stderr.
    """
    import uvicorn

    sock = _bind(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    if kubeconfig_path:
        write_kubeconfig(kubeconfig_path, url, bundle.manifest.cluster.context)
    (announce or (lambda u: print(f"listening on {u}", file=sys.stderr, flush=True)))(url)
    config = uvicorn.Config(ReplayApp(bundle), log_level="warning", access_log=False, lifespan="off",
                            date_header=False)
    uvicorn.Server(config).run(sockets=[sock])
