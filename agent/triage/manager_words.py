"""A field manager's name as the command an operator ran.

Kubernetes records who wrote a field by the client's field-manager name, and kubectl names itself after the
verb that was run: `kubectl edit` writes as `kubectl-edit`, `kubectl patch` as `kubectl-patch`, a client-side
`kubectl apply` as `kubectl-client-side-apply`. A reader of a finding thinks in the command ("someone ran
kubectl edit on the HPA"), not in the manager string, so findings that name a kubectl writer say both: the
command first, then the recorded manager so it can still be found in managedFields. Managers of other tools
(controllers, GitOps, Terraform) are left as they are: no command line stands behind them.
"""

from __future__ import annotations

import re

_VERBS = frozenset({"edit", "patch", "annotate", "label", "scale", "set", "replace", "create", "apply", "rollout",
                    "taint", "autoscale", "expose", "run", "cordon", "drain", "uncordon"})
"""kubectl subcommands that write objects and name their field manager after themselves."""

_APPLY = re.compile(r"^kubectl-client-side-apply$", re.I)


def command(manager: str) -> str:
    """`kubectl edit` for the manager `kubectl-edit`; empty when the manager is not a kubectl verb's."""
    name = manager.strip()
    if _APPLY.match(name):
        return "kubectl apply"
    m = re.match(r"^kubectl-([a-z]+)$", name, re.I)
    if m and m.group(1).lower() in _VERBS:
        return f"kubectl {m.group(1).lower()}"
    return ""


def spoken(manager: str) -> str:
    """`kubectl edit (manager kubectl-edit)` for a kubectl verb's manager, the manager itself otherwise."""
    run = command(manager)
    return f"{run} (manager {manager.strip()})" if run else manager
