"""Paths inside the GitOps work tree, checked after following every symlink.

A repository may hold symlinks, and a hostile or careless one may point out of the tree
(`apps/checkout/deploy.yaml -> /etc/...`, a symlinked directory, a chain of links). Vigil reads and
writes only what a path really names once every link is followed, and only when that stays inside
the work tree and outside `.git`. A symlink whose target is inside the tree is edited at its target,
under the target's own path, so the diff a human approves names the file that really changes.
Messages never print where an outside link points: that is the reader's file system, not the repo's.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from pathlib import Path

from agent.gitops.locate import LocateError, Location


class UnsafePath(LocateError):
    """A path that leads out of the work tree (or into `.git`); nothing is read or written through it."""


def real_relative(root: Path, rel: str) -> str:
    """The repository-relative path that `rel` really names, every symlink followed (also a missing tail)."""
    root_real = root.resolve()
    real = (root_real / rel).resolve()
    try:
        relative = real.relative_to(root_real)
    except ValueError:
        raise UnsafePath(f"{rel} leads outside the GitOps repository through a symlink; Vigil does not read or "
                         "edit files outside the repository (make it a regular file or a link inside it)") from None
    if relative.parts[:1] == (".git",) or not relative.parts:
        raise UnsafePath(f"{rel} is not a file of the repository's work tree")
    return relative.as_posix()


def read_inside(root: Path, rel: str) -> str:
    """The text of `rel`, refused when it leads out of the tree."""
    return (root.resolve() / real_relative(root, rel)).read_text(encoding="utf-8")


def write_inside(root: Path, rel: str, text: str) -> str:
    """Write `text` to what `rel` really names inside the tree; returns that path (it differs for a link).

    The last component is opened with O_NOFOLLOW, so a link swapped in after the check is not followed.
    """
    real = real_relative(root, rel)
    target = root.resolve() / real
    target.parent.mkdir(parents=True, exist_ok=True)
    real_relative(root, real)  # the directories just made are real ones inside the tree
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return real


def tree_files(root: Path, outside: list[str] | None = None) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every regular file of the work tree, `.git` excluded, sorted.

    Symlinked directories are not entered; a symlinked file is listed only when its target is a
    regular file inside the tree. Links (to files or directories) that leave the tree are added to
    `outside`, so a proposal that involves them is refused by name instead of editing around them.
    """
    root_real = root.resolve()
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in dirs:
            path = Path(directory) / name
            if path.is_symlink() and outside is not None and not _stays_inside(root, path):
                outside.append(path.relative_to(root).as_posix())
        for name in sorted(files):
            path = Path(directory) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                try:
                    real = root_real / real_relative(root, rel)
                except UnsafePath:
                    if outside is not None:
                        outside.append(rel)
                    continue
                if not real.is_file():
                    continue
            elif not path.is_file():
                continue
            yield rel, path


def _stays_inside(root: Path, path: Path) -> bool:
    try:
        real_relative(root, path.relative_to(root).as_posix())
    except UnsafePath:
        return False
    return True


def refuse_links_out(outside: list[str], location: Location) -> None:
    """UnsafePath when a link out of the tree sits where `location` reads or writes (its overlay,
    resources, chart or manifest directories, or above them); the message names the link, not its target."""
    involved = {posixpath.dirname(p) for p in (location.workload_file, location.kustomization,
                                               location.values_file, *location.resources) if p}
    involved |= {d for d in (location.overlay_dir, location.chart_dir) if d}
    hits = sorted({link for link in outside for d in involved
                   if link == d or posixpath.dirname(link) == d or d.startswith(link + "/")})
    if hits:
        raise UnsafePath(f"{', '.join(hits)} {'is a symlink' if len(hits) == 1 else 'are symlinks'} leading "
                         f"outside the GitOps repository next to {location.describe()}; Vigil does not read or edit "
                         "through such links (replace them with regular files or links inside the repository)")
