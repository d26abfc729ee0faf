"""GitOps settings: which repository, which provider, which environment, and where the token lives.

Like the rest of Vigil's configuration, a token is never a value here: `token_env` names the
environment variable to read it from at the moment a request is made. The same settings come from
the `gitops:` section of vigil.yaml (when mounted into the main config), from `VIGIL_GITOPS_*`
environment variables, or from command-line flags.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from guardrails.action import Risk

if TYPE_CHECKING:  # the providers and the repo load when used: agent.config and `vigil mcp` import this module
    from agent.gitops.propose import GitOpsRepo
    from agent.gitops.provider import Provider

ENV_PREFIX = "VIGIL_GITOPS_"


class GitOpsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["git", "github", "gitlab"] = "git"
    remote: str | None = None
    """The git URL to push to. Required for `git`; derived from the repository for GitHub/GitLab."""
    repository: str | None = None
    """GitHub `owner/name` or GitLab project path `group/project`."""
    api_url: str | None = None
    """GitHub Enterprise `https://HOST/api/v3` or self-managed GitLab `https://HOST/api/v4`."""
    token_env: str | None = None
    """Environment variable holding the token (default GITHUB_TOKEN / GITLAB_TOKEN)."""
    base: str = "main"
    env: str = "prod"
    """The environment whose overlay or values file a fix goes into."""
    workdir: Path | None = None
    """Vigil's private clone; default <state_dir>/gitops/clone."""
    risk: Literal["medium", "high"] = "medium"
    """`high` for a repository that deploys to production: the approver must then differ from the requester."""

    @model_validator(mode="after")
    def _complete(self) -> GitOpsSettings:
        if self.provider == "git" and not self.remote:
            raise ValueError("gitops.remote is required for a plain git remote (a URL or a path)")
        if self.provider in ("github", "gitlab") and not self.repository:
            raise ValueError(f"gitops.repository is required for {self.provider} (owner/name or group/project)")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, defaults: Mapping[str, object] | None = None,
                 **overrides: object) -> GitOpsSettings:
        """`defaults` (the config's `gitops:` section), then `VIGIL_GITOPS_PROVIDER`, `_REMOTE`, `_REPOSITORY`,
        `_API_URL`, `_TOKEN_ENV`, `_BASE`, `_ENV`, `_WORKDIR`; non-None `overrides` (command-line flags) win."""
        env = os.environ if environ is None else environ
        data: dict[str, object] = dict(defaults or {})
        for field in cls.model_fields:
            value = env.get(ENV_PREFIX + field.upper())
            if value:
                data[field] = value
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(data)

    def repo(self, state_dir: Path) -> GitOpsRepo:
        from agent.gitops.propose import GitOpsRepo

        return GitOpsRepo(self.workdir or state_dir / "gitops" / "clone", base=self.base, env=self.env,
                          risk=Risk.parse(self.risk))

    def build_provider(self, environ: Mapping[str, str] | None = None) -> Provider:
        """The provider, with its token read now from `token_env`."""
        from agent.gitops.github import GitHubProvider
        from agent.gitops.gitlab import GitLabProvider
        from agent.gitops.plain_git import PlainGitProvider

        env = os.environ if environ is None else environ
        if self.provider == "git":
            assert self.remote
            return PlainGitProvider(self.remote)
        token_env = self.token_env or ("GITHUB_TOKEN" if self.provider == "github" else "GITLAB_TOKEN")
        token = env.get(token_env)
        if not token:
            raise ValueError(f"the {self.provider} provider needs a token in ${token_env}; export it first")
        assert self.repository
        if self.provider == "github":
            return GitHubProvider(self.repository, token, api_url=self.api_url or "https://api.github.com",
                                  remote=self.remote, token_env=token_env)
        return GitLabProvider(self.repository, token, api_url=self.api_url or "https://gitlab.com/api/v4",
                              remote=self.remote, token_env=token_env)
