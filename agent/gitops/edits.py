"""Turning a remediation into the smallest correct change to the files of a GitOps checkout.

The rule everywhere: change the most specific place that already holds the value (the
environment's overlay or values file before a shared base), and when nothing holds it yet, add it
there, never to a base that every environment shares. Each edit goes through `yamldoc`, so the
rest of every file keeps its bytes.
"""

from __future__ import annotations

from agent.gitops.edit_common import (
    ChangeSet,
    FileChange,
    ManifestEditor,
    NoChangeNeeded,
    Workspace,
    pick_container,
)
from agent.gitops.edit_helm import HelmEditor
from agent.gitops.edit_kustomize import KustomizeEditor
from agent.gitops.locate import Location, RepoIndex
from agent.gitops.remediation import Remediation

__all__ = ["ChangeSet", "FileChange", "NoChangeNeeded", "pick_container", "plan_change"]


def plan_change(index: RepoIndex, location: Location, remediation: Remediation) -> ChangeSet:
    """Compute (in memory) the file changes for `remediation`; nothing is written."""
    ws = Workspace(index)
    result = ChangeSet(location)
    editor = {"kustomize": KustomizeEditor, "helm": HelmEditor, "manifest": ManifestEditor}[location.layout]
    editor(ws, location, remediation, result.notes).apply()
    result.changes = ws.changes()
    if not result.changes:
        raise NoChangeNeeded(f"{remediation.summary()}: the repository already says so; nothing to change")
    return result
