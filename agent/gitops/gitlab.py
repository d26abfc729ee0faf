"""GitLab merge requests through the REST API v4 (gitlab.com or a self-managed instance).

Endpoints used, as GitLab documents them: `GET /projects/:id/merge_requests?source_branch=...&state=opened`
to find the request a previous run opened, `POST /projects/:id/merge_requests` to open one,
`PUT /projects/:id/merge_requests/:iid` to update title and description, and
`GET /projects/:id/merge_requests/:iid` to read `has_conflicts` / `detailed_merge_status`.
`:id` is the URL-encoded project path (`group%2Fproject`). The token (PRIVATE-TOKEN header) needs
the `api` scope, and `write_repository` for the push.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from agent.gitops.provider import PullRequest, basic_auth_env, http_error, sends_credentials


class GitLabProvider:
    kind = "gitlab"

    def __init__(self, project: str, token: str, *, api_url: str = "https://gitlab.com/api/v4",
                 remote: str | None = None, token_env: str | None = None, timeout: float = 30.0) -> None:
        if "/" not in project:
            raise ValueError(f"GitLab project {project!r} must be its path, like group/project")
        self.project = project
        self._token = token
        self.api_url = api_url.rstrip("/")
        host = self.api_url.split("/api/")[0]
        self.remote = remote or f"{host}/{project}.git"
        self.token_env = token_env
        self.timeout = timeout

    @property
    def remote_url(self) -> str:
        return self.remote

    def git_env(self) -> dict[str, str]:
        return basic_auth_env("oauth2", self._token) if sends_credentials(self.remote) else {}

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.api_url, timeout=self.timeout,
                                 headers={"PRIVATE-TOKEN": self._token, "User-Agent": "vigil-sre"})

    @property
    def _prefix(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/merge_requests"

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, action: str, **kwargs: Any) -> Any:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise http_error("GitLab", 0, {"message": f"unreachable at {self.api_url} ({exc})"}, action) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {"message": response.text[:300]}
        if response.status_code >= 400:
            raise http_error("GitLab", response.status_code, payload, action)
        return payload

    async def open_or_update(self, branch: str, base: str, title: str, body: str,
                             commit: str | None = None) -> PullRequest:
        async with self._client() as client:
            existing = await self._call(client, "GET", self._prefix, "list merge requests",
                                        params={"state": "opened", "source_branch": branch, "target_branch": base})
            if isinstance(existing, list) and existing:
                iid = existing[0]["iid"]
                data = await self._call(client, "PUT", f"{self._prefix}/{iid}", f"update merge request !{iid}",
                                        json={"title": title, "description": body})
                return _mr(data, branch, base, created=False)
            data = await self._call(client, "POST", self._prefix, "open a merge request",
                                    json={"source_branch": branch, "target_branch": base, "title": title,
                                          "description": body, "remove_source_branch": True})
            return _mr(data, branch, base, created=True)

    async def refresh(self, pr: PullRequest) -> PullRequest:
        async with self._client() as client:
            data = await self._call(client, "GET", f"{self._prefix}/{pr.number}", f"read merge request !{pr.number}")
        return _mr(data, pr.branch, pr.base, created=pr.created)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "project": self.project, "api_url": self.api_url, "remote": self.remote,
                "token_env": self.token_env}


def _mr(data: dict[str, Any], branch: str, base: str, created: bool) -> PullRequest:
    conflicted = bool(data.get("has_conflicts")) or data.get("detailed_merge_status") == "conflict"
    return PullRequest(url=str(data.get("web_url", "")), branch=branch, base=base, number=data.get("iid"),
                       created=created, conflicted=conflicted, state=str(data.get("state", "opened")))
