"""A private working clone of the GitOps repository, driven through the real `git` binary.

Vigil never edits a user's own checkout: it keeps its own clone (under the state directory) as an
object store, and each proposal edits a scratch `git worktree` of it, made fresh from the remote base
branch and removed afterwards (`GitClone.scratch`), so a refused, invalid or declined proposal leaves
nothing behind, not even in Vigil's clone. It pushes only its own `vigil/...` branches.
Credentials for HTTPS remotes travel in the child process's environment (GIT_CONFIG_* variables),
never on the command line and never in a log.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread

GIT_TIMEOUT_SECONDS = 120


@contextlib.asynccontextmanager
async def workdir_lock(workdir: Path) -> AsyncIterator[None]:
    """One proposal at a time per clone, across tasks and processes (the agent and the MCP server
    may share a state directory): an exclusive flock on a file beside the clone."""
    workdir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(workdir.parent / f".{workdir.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class GitError(RuntimeError):
    """A git command failed; the message names the command (without secrets) and git's own words."""


@dataclass
class GitClone:
    """The clone at `path` of `remote`, working on `base`."""

    path: Path
    remote: str
    base: str = "main"
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for git (credentials as GIT_CONFIG_* entries)."""
    author: tuple[str, str] = ("Vigil", "vigil@localhost")

    async def git(self, *args: str, check: bool = True, cwd: Path | None = None, input: bytes | None = None) -> str:
        env = {**os.environ, **self.env, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
               "GIT_AUTHOR_NAME": self.author[0], "GIT_AUTHOR_EMAIL": self.author[1],
               "GIT_COMMITTER_NAME": self.author[0], "GIT_COMMITTER_EMAIL": self.author[1]}
        with anyio.fail_after(GIT_TIMEOUT_SECONDS):
            if input is None:
                proc = await anyio.run_process(["git", *args], cwd=cwd or self.path, env=env, check=False,
                                               stdin=subprocess.DEVNULL)
            else:
                proc = await anyio.run_process(["git", *args], cwd=cwd or self.path, env=env, check=False,
                                               input=input)
        out = proc.stdout.decode(errors="replace")
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise GitError(f"git {args[0]} failed ({proc.returncode}): {err[-800:]}")
        return out

    async def sync(self) -> str:
        """Clone if needed, fetch, and reset the work tree to the remote base. Returns the base commit."""
        if not (self.path / ".git").exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            await self.git("clone", "--quiet", "--no-checkout", self.remote, str(self.path), cwd=self.path.parent)
        await self.git("remote", "set-url", "origin", self.remote)
        await self.git("fetch", "--quiet", "--prune", "origin",
                       f"+refs/heads/{self.base}:refs/remotes/origin/{self.base}")
        await self.git("checkout", "--quiet", "--force", "--detach", f"origin/{self.base}")
        await self.git("clean", "-fdq")
        return (await self.git("rev-parse", "HEAD")).strip()

    @contextlib.asynccontextmanager
    async def scratch(self) -> AsyncIterator[GitClone]:
        """A throw-away work tree of this clone at the remote base, removed on the way out, whatever happens.

        Edits, validation and the commit happen there; only a push leaves it. Call under `workdir_lock`.
        """
        await self.sync()  # Vigil's own clone, kept at the remote base; its work tree is never edited
        await self.git("worktree", "prune")
        tree = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.path.parent))
        try:
            await self.git("worktree", "add", "--quiet", "--force", "--detach", str(tree), f"origin/{self.base}")
            yield GitClone(tree, self.remote, self.base, self.env, self.author)
        finally:
            await self.git("worktree", "remove", "--force", str(tree), check=False)
            if tree.exists():
                await anyio.to_thread.run_sync(shutil.rmtree, tree, True)
            await self.git("worktree", "prune", check=False)

    async def restore(self) -> None:
        """Throw away uncommitted edits (after a refused or invalid proposal)."""
        await self.git("reset", "--quiet", "--hard")
        await self.git("clean", "-fdq")

    async def remote_branch(self, branch: str) -> str | None:
        """The commit the remote's `branch` points at, or None when it does not exist."""
        out = await self.git("ls-remote", "origin", f"refs/heads/{branch}")
        return out.split()[0] if out.strip() else None

    async def diff(self, paths: list[str]) -> str:
        """The staged diff of `paths` against HEAD, as `git diff` prints it."""
        await self.git("add", "--", *paths)
        return await self.git("diff", "--cached", "--no-color", "--no-ext-diff", "HEAD", "--", *paths)

    async def commit_on(self, branch: str, message: str) -> str:
        """Commit the staged change on a fresh `branch` starting at HEAD; returns the commit id."""
        await self.git("checkout", "--quiet", "-B", branch)
        await self.git("commit", "--quiet", "--no-verify", "-F", "-", input=message.encode())
        return (await self.git("rev-parse", "HEAD")).strip()

    async def tree_of(self, rev: str) -> str:
        return (await self.git("rev-parse", f"{rev}^{{tree}}")).strip()

    async def fetch_branch(self, branch: str) -> None:
        await self.git("fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")

    async def push(self, branch: str, expect: str | None) -> None:
        """Push `branch`, replacing the remote one only if it still points at `expect`."""
        lease = f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
        await self.git("push", "--quiet", "--porcelain", lease, "origin", f"HEAD:refs/heads/{branch}")
