"""A thin read-only client over the official `kubernetes` package: raw JSON for any kind.

The tools need any kind, CRDs included, so they speak the REST paths directly through the
official client's `ApiClient` (which handles kubeconfig contexts, in-cluster service accounts,
client certificates, exec plugins and token refresh) and read plain JSON back. Only GET is ever
sent: the class has no other verb, so read-only holds by construction.

The official client is synchronous; the server calls these methods through `anyio.to_thread`.
"""

from __future__ import annotations

import difflib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp_servers.kubernetes.names import safe_segment
from mcp_servers.kubernetes.resources import ResourceType, UnsafeSegment, resolve

if TYPE_CHECKING:  # the kubernetes package (a third of a second) loads on the first API call, not at start
    from kubernetes import client as k8s

DISCOVERY_TTL_S = 300.0


class KubeError(Exception):
    """An API answer the tools turn into a clear tool error (status 0 = never reached the server)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{status} {reason}: {message}")


@dataclass
class KubeSettings:
    """Where the cluster is. Nothing secret lives here: credentials stay in the kubeconfig."""

    kubeconfig: str | None = None
    """A kubeconfig path; None means $KUBECONFIG or ~/.kube/config."""
    context: str | None = None
    """The default context; None means the kubeconfig's current context."""
    in_cluster: bool = False
    """Use the pod's service account instead of a kubeconfig."""
    timeout_seconds: float = 15.0
    allowed_contexts: list[str] = field(default_factory=list)
    """When set, the only contexts a caller may name (the policy may narrow further)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> KubeSettings:
        import os

        env = os.environ if environ is None else environ
        contexts = [c.strip() for c in env.get("VIGIL_K8S_CONTEXTS", "").split(",") if c.strip()]
        return cls(
            kubeconfig=env.get("VIGIL_K8S_KUBECONFIG") or None,
            context=env.get("VIGIL_K8S_CONTEXT") or None,
            in_cluster=env.get("VIGIL_K8S_IN_CLUSTER", "").lower() in ("1", "true", "yes"),
            timeout_seconds=float(env.get("VIGIL_K8S_TIMEOUT", "15")),
            allowed_contexts=contexts,
        )


class KubeClient:
    """GET-only access to one or more contexts, with per-context discovery caches."""

    def __init__(self, settings: KubeSettings) -> None:
        self.settings = settings
        self._clients: dict[str, k8s.ApiClient] = {}
        self._types: dict[str, tuple[float, list[ResourceType]]] = {}
        self._contexts: tuple[Any, tuple[list[str], str | None]] | None = None
        self._lock = threading.Lock()

    # ---- contexts ------------------------------------------------------------------------
    def context_names(self) -> tuple[list[str], str | None]:
        """The kubeconfig's contexts and its current one ("in-cluster" when in a pod)."""
        if self.settings.in_cluster:
            return ["in-cluster"], "in-cluster"
        stamp = self._kubeconfig_stamp()
        cached = self._contexts
        if stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1]  # parsing the kubeconfig is most of a call's overhead; reread when it changes
        from kubernetes import config as k8s_config
        from kubernetes.config.config_exception import ConfigException

        try:
            contexts, current = k8s_config.list_kube_config_contexts(config_file=self.settings.kubeconfig)
        except (ConfigException, OSError) as exc:
            raise KubeError(0, "NoKubeconfig", f"cannot read the kubeconfig: {exc}") from None
        answer = [c["name"] for c in contexts], (current or {}).get("name")
        self._contexts = (stamp, answer) if stamp is not None else None
        return answer

    def _kubeconfig_stamp(self) -> tuple[tuple[str, int, int], ...] | None:
        """Path, mtime and size of every kubeconfig file in use; None when one cannot be read."""
        import os

        raw = self.settings.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        stamp = []
        for part in raw.split(os.pathsep):
            path = os.path.expanduser(part)
            try:
                st = os.stat(path)
            except OSError:
                return None
            stamp.append((path, st.st_mtime_ns, st.st_size))
        return tuple(stamp)

    def resolve_context(self, context: str | None) -> str:
        names, current = self.context_names()
        chosen = context or self.settings.context or current
        if not chosen:
            raise KubeError(0, "NoContext", "the kubeconfig has no current context; pass `context`")
        if chosen not in names:
            raise KubeError(0, "UnknownContext", f"context {chosen!r} is not in the kubeconfig; "
                                                 f"known: {', '.join(names) or 'none'}")
        if self.settings.allowed_contexts and chosen not in self.settings.allowed_contexts:
            raise KubeError(0, "ContextNotAllowed", f"context {chosen!r} is not served here; "
                                                    f"use one of: {', '.join(self.settings.allowed_contexts)}")
        return chosen

    def _api(self, context: str) -> k8s.ApiClient:
        from kubernetes import client as k8s
        from kubernetes import config as k8s_config
        from kubernetes.config.config_exception import ConfigException

        with self._lock:
            if context not in self._clients:
                cfg = k8s.Configuration()
                try:
                    if self.settings.in_cluster:
                        k8s_config.load_incluster_config(client_configuration=cfg)
                    else:
                        k8s_config.load_kube_config(config_file=self.settings.kubeconfig, context=context,
                                                    client_configuration=cfg, persist_config=False)
                except ConfigException as exc:
                    raise KubeError(0, "BadKubeconfig", f"cannot load context {context!r}: {exc}") from None
                self._clients[context] = k8s.ApiClient(cfg)
            return self._clients[context]

    def close(self) -> None:
        with self._lock:
            for api in self._clients.values():
                api.close()
            self._clients.clear()

    # ---- requests ------------------------------------------------------------------------
    def _get(self, context: str, path: str, query: dict[str, Any] | None = None) -> tuple[int, bytes]:
        from kubernetes import client as k8s

        _check_path(path)
        api = self._api(context)
        params = [(k, v if not isinstance(v, bool) else str(v).lower()) for k, v in (query or {}).items()
                  if v not in (None, "")]
        method, url, headers, body, post = api.param_serialize(
            "GET", path, query_params=params, header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"])
        try:
            response = api.call_api(method, url, headers, body, post, _request_timeout=self.settings.timeout_seconds)
        except k8s.exceptions.ApiException as exc:
            raise _from_status(exc.status or 0, exc.body or exc.reason or "") from None
        except Exception as exc:  # urllib3 connection/timeout errors have no common public base here
            name = type(exc).__name__
            what = "timed out" if "Timeout" in name or "timed out" in str(exc) else "could not be reached"
            raise KubeError(0, "Unreachable", f"the API server of context {context!r} {what} ({name})") from None
        data = response.read() or b""
        if response.status >= 400:
            raise _from_status(response.status, data)
        return response.status, data

    def get_json(self, context: str, path: str, query: dict[str, Any] | None = None) -> dict[str, Any]:
        _, data = self._get(context, path, query)
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError:
            raise KubeError(0, "BadResponse", f"{path} did not answer JSON") from None
        if not isinstance(parsed, dict):
            raise KubeError(0, "BadResponse", f"{path} did not answer an object")
        return parsed

    def get_text(self, context: str, path: str, query: dict[str, Any] | None = None) -> str:
        _, data = self._get(context, path, query)
        return data.decode("utf-8", errors="replace")

    def list_all(self, context: str, t: ResourceType, namespace: str | None = None, *,
                 label_selector: str | None = None, field_selector: str | None = None,
                 page_size: int = 500, max_items: int = 20000) -> tuple[list[dict[str, Any]], bool]:
        """Every object of a type, paging with `continue`; (items, truncated at max_items)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        try:
            path = t.base_path(namespace)
        except UnsafeSegment as exc:
            raise KubeError(400, "BadRequest", str(exc)) from None
        while True:
            answer = self.get_json(context, path, {
                "labelSelector": label_selector, "fieldSelector": field_selector, "limit": page_size,
                "continue": token})
            for item in answer.get("items") or []:
                item.setdefault("kind", t.kind)
                item.setdefault("apiVersion", t.group_version)
                items.append(item)
            token = (answer.get("metadata") or {}).get("continue")
            if not token:
                return items, False
            if len(items) >= max_items:
                return items, True

    def get_object(self, context: str, t: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        try:
            path = t.object_path(namespace, name)
        except UnsafeSegment as exc:
            raise KubeError(400, "BadRequest", str(exc)) from None
        obj = self.get_json(context, path)
        obj.setdefault("kind", t.kind)
        obj.setdefault("apiVersion", t.group_version)
        return obj

    # ---- discovery -----------------------------------------------------------------------
    def resource_types(self, context: str) -> list[ResourceType]:
        """Every listable type the server offers (legacy discovery), cached for a few minutes."""
        cached = self._types.get(context)
        if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_S:
            return cached[1]
        types = self._discover_group(context, "", "v1")
        groups = self.get_json(context, "/apis").get("groups") or []
        for g in groups:
            preferred = (g.get("preferredVersion") or {}).get("version")
            if not preferred:
                continue
            try:
                types.extend(self._discover_group(context, str(g["name"]), str(preferred)))
            except KubeError as exc:
                if exc.status == 0:
                    raise
                continue  # an aggregated API that is down (metrics-server, say) must not break discovery
        self._types[context] = (time.monotonic(), types)
        return types

    def _discover_group(self, context: str, group: str, version: str) -> list[ResourceType]:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        out = []
        for r in self.get_json(context, path).get("resources") or []:
            name = str(r.get("name", ""))
            if "/" in name or "list" not in (r.get("verbs") or []):
                continue
            out.append(ResourceType(str(r.get("kind")), name, group, version, bool(r.get("namespaced")),
                                    tuple(r.get("shortNames") or ()), tuple(r.get("categories") or ())))
        return out

    def resolve_kind(self, context: str, kind: str) -> ResourceType:
        """The one type a spelling names, by the cluster's discovery; UnknownKind lists close spellings."""
        types = self.resource_types(context)
        found = resolve(types, kind)
        if found is None:
            raise KubeError(400, "UnknownKind", f"the cluster has no resource kind {kind!r}{_close_kinds(types, kind)}")
        return found


def _close_kinds(types: list[ResourceType], kind: str) -> str:
    """A hint naming the spellings nearest to an unknown one (`Secret.` -> Secret, secrets)."""
    by_lower: dict[str, str] = {}
    for t in types:
        for spelling in t.spellings():
            by_lower.setdefault(spelling.lower(), spelling)
        by_lower[t.kind.lower()] = t.kind  # the CamelCase kind reads best
    probe = kind.strip().strip("./").lower()
    close = difflib.get_close_matches(probe, list(by_lower), n=6, cutoff=0.6)
    if close:
        return "; close spellings: " + ", ".join(by_lower[c] for c in close)
    return "; k8s_list(kind='crd') shows custom kinds"


def _check_path(path: str) -> None:
    """Every API path is built from quoted single segments; refuse anything that could climb or inject."""
    if not path.startswith("/") or not all(safe_segment(part) for part in path[1:].split("/")):
        raise KubeError(400, "BadRequest", f"refusing the API path {path!r}: a name or namespace in it is not a "
                                           "single path segment")


def _from_status(status: int, body: bytes | str) -> KubeError:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    reason, message = "", text.strip()[:300]
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            reason = str(parsed.get("reason") or "")
            message = str(parsed.get("message") or message)
    except json.JSONDecodeError:
        pass
    return KubeError(status, reason or {403: "Forbidden", 404: "NotFound", 401: "Unauthorized"}.get(status, "Error"),
                     message)
