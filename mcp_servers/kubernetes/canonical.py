"""The Kubernetes server's argument normaliser: what the policy judges is what the API is asked.

A policy rule denies kind `Secret`; a caller writes `secrets`, `Secret.` or `svc` instead. Only the
cluster's discovery knows which spellings name which type, so the server resolves every `kind`
argument to its one canonical spelling (`Secret`, `Deployment.apps`, see
`ResourceType.canonical`) before the guardrail's scoping layer runs, and the tool then receives that
canonical spelling. A spelling discovery does not know is refused with the close matches.

Names, namespaces and selectors are checked here too, with the exact Kubernetes rules: the JSON
schema patterns already refuse most bad values, but a schema regex cannot say "DNS-1123 subdomain
for built-in kinds, path segment for RBAC and custom resources", and `$` in a Python regex lets
a trailing newline through.
"""

from __future__ import annotations

from typing import Any

import anyio

from guardrails.pipeline import ArgumentError, Normaliser
from mcp_servers.kubernetes import names
from mcp_servers.kubernetes.client import KubeClient, KubeError
from mcp_servers.kubernetes.selectors import SelectorError, field_selector, label_selector

POD_NAME_TOOLS = frozenset({"k8s_logs"})
"""Tools whose `name` is always a pod's, whatever the `kind` argument says (they have none)."""


def normaliser(kc: KubeClient) -> Normaliser:
    """The hook `create_server` runs before scoping; discovery is blocking I/O, so it runs in a thread."""

    async def normalise(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(canonical_arguments, kc, tool, arguments)

    return normalise


def canonical_arguments(kc: KubeClient, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` with `kind` canonical; ArgumentError naming the argument for anything invalid."""
    out = dict(arguments)
    namespace = out.get("namespace")
    if isinstance(namespace, str) and namespace:
        _check_name(namespace, "label", "namespace")
    for key, parse in (("label_selector", label_selector), ("field_selector", field_selector)):
        value = out.get(key)
        if isinstance(value, str) and value:
            try:
                parse(value)
            except SelectorError as exc:
                raise ArgumentError(f"argument {key!r}: {exc}") from None
    name = out.get("name")
    kind = out.get("kind")
    rule: names.NameRule = "subdomain" if tool in POD_NAME_TOOLS else "path-segment"
    if isinstance(kind, str) and kind:
        t = _resolve(kc, out.get("context"), kind)
        out["kind"] = t.canonical
        rule = names.rule_for(t.group)
    if isinstance(name, str) and name:
        _check_name(name, rule, "name")
        if out.get("kind") == "Namespace":
            # Reading the Namespace object `kube-system` reads kube-system: the policy judges that
            # namespace (the tool ignores `namespace` for a cluster-scoped kind).
            _check_name(name, "label", "name")
            out["namespace"] = name
    return out


def _resolve(kc: KubeClient, context: Any, kind: str) -> Any:
    try:
        context_name = kc.resolve_context(context if isinstance(context, str) and context else None)
    except KubeError as exc:
        raise ArgumentError(f"argument 'context': {exc.message}") from None
    try:
        return kc.resolve_kind(context_name, kind)
    except KubeError as exc:
        if exc.reason == "UnknownKind":
            raise ArgumentError(f"argument 'kind': {exc.message}") from None
        # Fail closed: a kind nobody could resolve is never judged by its raw spelling.
        fix = "check the context and that the API server is reachable" if exc.status == 0 else "retry later"
        raise ArgumentError(f"argument 'kind': cannot resolve {kind!r} through the cluster's discovery: "
                            f"{exc.message}; {fix}") from None


def _check_name(value: str, rule: names.NameRule, argument: str) -> None:
    try:
        names.check(value, rule, argument)
    except names.InvalidName as exc:
        raise ArgumentError(str(exc)) from None
