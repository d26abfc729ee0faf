"""A plain git remote: the branch is the proposal, and its description is a git note.

Without a forge there is no pull-request object, so the description (incident, evidence, diff, risk,
approval record, rollback) is attached to the branch's commit as a note under `refs/notes/vigil` and
pushed with it. Reviewers read it with `git fetch origin refs/notes/vigil:refs/notes/vigil` and
`git log --notes=vigil origin/vigil/...`. Merging the branch is the approval to deploy, as usual.
"""

from __future__ import annotations

from typing import Any

from agent.gitops.git import GitClone, GitError
from agent.gitops.provider import PullRequest

NOTES_REF = "refs/notes/vigil"


class PlainGitProvider:
    kind = "git"

    def __init__(self, remote: str) -> None:
        self.remote = remote
        self.clone: GitClone | None = None
        """Set by the propose flow: the clone whose commit the note is attached to."""

    @property
    def remote_url(self) -> str:
        return self.remote

    def git_env(self) -> dict[str, str]:
        return {}

    async def open_or_update(self, branch: str, base: str, title: str, body: str,
                             commit: str | None = None) -> PullRequest:
        if self.clone is None or commit is None:
            raise RuntimeError("the plain git provider needs the clone and the pushed commit")
        clone = self.clone
        text = f"{title}\n\n{body}\n\nvigil-branch: {branch}"
        for _ in range(3):  # another Vigil may push notes at the same time: never overwrite them
            if await clone.git("ls-remote", "origin", NOTES_REF):
                await clone.git("fetch", "--quiet", "origin", f"+{NOTES_REF}:{NOTES_REF}")
            else:
                await clone.git("update-ref", "-d", NOTES_REF, check=False)
            had_note = await self._ok(clone, "grep", "-q", "-F", f"vigil-branch: {branch}", NOTES_REF, "--")
            await clone.git("notes", f"--ref={NOTES_REF}", "add", "--force", "-m", text, commit)
            if await self._ok(clone, "push", "--quiet", "origin", f"{NOTES_REF}:{NOTES_REF}"):
                return PullRequest(url=f"{self.remote}#{branch}", branch=branch, base=base, created=not had_note)
        raise GitError("could not push the proposal's note to refs/notes/vigil after 3 tries; re-run")

    @staticmethod
    async def _ok(clone: GitClone, *args: str) -> bool:
        try:
            await clone.git(*args)
        except GitError:
            return False
        return True

    async def refresh(self, pr: PullRequest) -> PullRequest:
        return pr

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "remote": self.remote}
