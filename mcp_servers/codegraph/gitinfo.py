"""Git awareness: which lines a commit range or a diff touched, and which commits touched a range.

Always the real `git` binary through subprocess, with argument lists (never a shell), and a
revision must look like one before it reaches git, so a caller cannot smuggle options in.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_REV = re.compile(r"^[\w./~^@{}-]+(\.\.\.?[\w./~^@{}-]+)?$")
_HUNK = re.compile(r"^@@ -(?P<os>\d+)(?:,(?P<oc>\d+))? \+(?P<ns>\d+)(?:,(?P<nc>\d+))? @@")


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str
    subject: str


def _git(root: str | Path, *args: str, timeout: float = 20) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"git {args[0]} failed")
    return proc.stdout


def check_rev(rev: str) -> str:
    if not rev or rev.startswith("-") or not _REV.match(rev):
        raise GitError(f"{rev!r} is not a revision or range (examples: HEAD~1..HEAD, abc123, main...feature)")
    return rev


def is_git_repo(root: str | Path) -> bool:
    try:
        return _git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except GitError:
        return False


def repo_prefix(root: str | Path) -> str:
    """Path of `root` inside its git work tree ("" when root is the top), to map git paths to index paths."""
    return _git(root, "rev-parse", "--show-prefix").strip()


def diff_ranges(diff_text: str, prefix: str = "") -> dict[str, list[tuple[int, int]]]:
    """Changed line ranges per file on the new side of a unified diff (deleted files: old side)."""
    out: dict[str, list[tuple[int, int]]] = {}
    current: str | None = None
    old_path: str | None = None
    for line in diff_text.splitlines():
        if line.startswith("--- "):
            old_path = line[4:].strip()
            old_path = old_path[2:] if old_path.startswith("a/") else old_path
            continue
        if line.startswith("+++ "):
            new_path = line[4:].strip()
            current = old_path if new_path == "/dev/null" else new_path.removeprefix("b/")
            if current is not None and prefix:
                current = current[len(prefix):] if current.startswith(prefix) else None
            continue
        m = _HUNK.match(line)
        if m and current:
            start = int(m["ns"])
            count = int(m["nc"]) if m["nc"] is not None else 1
            if count == 0:
                # Pure deletion (or deleted file): the old side says where it was.
                start = int(m["os"]) if int(m["ns"]) == 0 else start
                count = int(m["oc"]) if m["oc"] is not None and int(m["ns"]) == 0 else 1
            out.setdefault(current, []).append((start, start + max(count, 1) - 1))
    return out


def range_diff(root: str | Path, rev_range: str) -> str:
    rev = check_rev(rev_range)
    if ".." not in rev:
        rev = f"{rev}^!"
    return _git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", rev, "--", ".")


def commits_touching(root: str | Path, path: str, start: int, end: int, limit: int = 3) -> list[Commit]:
    """Newest commits that changed lines start..end of path (`git log -L`)."""
    try:
        out = _git(root, "log", f"-n{limit}", "--no-patch", "--date=short",
                   "--format=%h%x1f%an%x1f%ad%x1f%s", f"-L{start},{end}:{path}", timeout=10)
    except GitError:
        try:
            out = _git(root, "log", f"-n{limit}", "--date=short", "--format=%h%x1f%an%x1f%ad%x1f%s", "--", path)
        except GitError:
            return []
    commits = []
    for line in out.splitlines():
        parts = line.split("\x1f")
        if len(parts) == 4:
            commits.append(Commit(*parts))
    return commits
