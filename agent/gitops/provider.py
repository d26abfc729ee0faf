"""What every pull-request provider offers: where to push, and how to open or update a request.

The branch itself is always pushed with real `git` (see `git.py`); a provider adds the review
object around it: a GitHub pull request, a GitLab merge request, or, for a plain git remote, a note
beside the branch. One branch per incident fingerprint means `open_or_update` finds the request a
previous run opened and updates it instead of opening a second one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class PullRequest:
    """The review object a proposal produced."""

    url: str
    branch: str
    base: str
    number: int | None = None
    created: bool = False
    """True when this call opened it; False when an existing one was updated."""
    conflicted: bool = False
    """The provider reports the branch no longer merges cleanly into the base."""
    state: str = "open"


class ProviderError(RuntimeError):
    """A provider refused or failed; the message says what happened and what to try."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Provider(Protocol):
    kind: str

    @property
    def remote_url(self) -> str:
        """The git URL branches are pushed to."""
        ...

    def git_env(self) -> dict[str, str]:
        """Environment entries git needs to push (credentials), never logged."""
        ...

    async def open_or_update(self, branch: str, base: str, title: str, body: str,
                             commit: str | None = None) -> PullRequest:
        ...

    async def refresh(self, pr: PullRequest) -> PullRequest:
        """The request's current state (mergeable or conflicted)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Non-secret settings, stored in a rollback plan so the revert goes to the same place."""
        ...


def sends_credentials(remote: str) -> bool:
    """Only over TLS, or to this machine (a local mirror or test server): never in clear text elsewhere."""
    from urllib.parse import urlsplit

    parts = urlsplit(remote)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def basic_auth_env(user: str, token: str) -> dict[str, str]:
    """git config passed through the environment: an Authorization header for HTTPS pushes."""
    encoded = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {encoded}"}


def http_error(service: str, status: int, payload: Any, action: str) -> ProviderError:
    """A readable error for a REST failure, with the fix for the usual causes."""
    message = payload.get("message") if isinstance(payload, dict) else None
    if isinstance(message, dict | list):
        message = "; ".join(f"{k}: {v}" for k, v in message.items()) if isinstance(message, dict) else \
            "; ".join(str(m) for m in message)
    details = ""
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        details = "; ".join(str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e)
                            for e in payload["errors"])
    text = f"{service} refused to {action}: HTTP {status} {message or ''}".rstrip()
    if details:
        text += f" ({details})"
    fixes = {
        401: "the token is missing, expired or wrong; set a valid token in the configured environment variable",
        403: "the token lacks permission; it needs write access to pull requests and contents on this repository",
        404: "the repository or project was not found; check owner/name (or project path) and token access",
        409: "a request for this branch already exists or the branch changed; re-run to update it",
        422: "the request was rejected as invalid; check that the branch was pushed and differs from the base",
    }
    if status in fixes:
        text += f"; {fixes[status]}"
    return ProviderError(text, status)
