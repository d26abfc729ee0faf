"""GitHub pull requests through the REST API (api.github.com or GitHub Enterprise's /api/v3).

Endpoints used, as GitHub documents them: `GET /repos/{owner}/{repo}/pulls?head=owner:branch`
to find the request a previous run opened, `POST /repos/{owner}/{repo}/pulls` to open one,
`PATCH /repos/{owner}/{repo}/pulls/{number}` to update its title and body, and
`GET /repos/{owner}/{repo}/pulls/{number}` to read `mergeable` (false when the base moved and the
branch conflicts). The token needs `pull_requests: write` and `contents: write`.
"""

from __future__ import annotations

from typing import Any

import httpx

from agent.gitops.provider import PullRequest, basic_auth_env, http_error, sends_credentials


class GitHubProvider:
    kind = "github"

    def __init__(self, repository: str, token: str, *, api_url: str = "https://api.github.com",
                 remote: str | None = None, token_env: str | None = None, timeout: float = 30.0) -> None:
        if repository.count("/") != 1:
            raise ValueError(f"GitHub repository {repository!r} must look like owner/name")
        self.repository = repository
        self.owner = repository.split("/")[0]
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.remote = remote or f"https://github.com/{repository}.git"
        self.token_env = token_env
        self.timeout = timeout

    @property
    def remote_url(self) -> str:
        return self.remote

    def git_env(self) -> dict[str, str]:
        return basic_auth_env("x-access-token", self._token) if sends_credentials(self.remote) else {}

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url, timeout=self.timeout,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "vigil-sre"},
        )

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, action: str, **kwargs: Any) -> Any:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise http_error("GitHub", 0, {"message": f"unreachable at {self.api_url} ({exc})"}, action) from exc
        payload = _json(response)
        if response.status_code >= 400:
            raise http_error("GitHub", response.status_code, payload, action)
        return payload

    async def open_or_update(self, branch: str, base: str, title: str, body: str,
                             commit: str | None = None) -> PullRequest:
        prefix = f"/repos/{self.repository}/pulls"
        async with self._client() as client:
            existing = await self._call(client, "GET", prefix, "list pull requests",
                                        params={"state": "open", "head": f"{self.owner}:{branch}", "base": base})
            if isinstance(existing, list) and existing:
                number = existing[0]["number"]
                data = await self._call(client, "PATCH", f"{prefix}/{number}", f"update pull request #{number}",
                                        json={"title": title, "body": body})
                return _pr(data, branch, base, created=False)
            data = await self._call(client, "POST", prefix, "open a pull request",
                                    json={"title": title, "head": branch, "base": base, "body": body,
                                          "maintainer_can_modify": True})
            return _pr(data, branch, base, created=True)

    async def refresh(self, pr: PullRequest) -> PullRequest:
        async with self._client() as client:
            data = await self._call(client, "GET", f"/repos/{self.repository}/pulls/{pr.number}",
                                    f"read pull request #{pr.number}")
        return _pr(data, pr.branch, pr.base, created=pr.created)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "repository": self.repository, "api_url": self.api_url,
                "remote": self.remote, "token_env": self.token_env}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"message": response.text[:300]}


def _pr(data: dict[str, Any], branch: str, base: str, created: bool) -> PullRequest:
    return PullRequest(
        url=str(data.get("html_url", "")), branch=branch, base=base, number=data.get("number"), created=created,
        conflicted=data.get("mergeable") is False or data.get("mergeable_state") == "dirty",
        state=str(data.get("state", "open")),
    )
