"""A code-graph answer names symbols, and symbols must reach the model intact.

Issue 14 measured `HTTPDigestAuth.handle_401` coming back as `[REDACTED:secret_assignment]`: the
answer renders symbol keys as `requests.auth:HTTPDigestAuth.handle_401`, which reads like
`auth: <value>`. This drives the real codegraph server, in process through the official MCP client
and the guardrail middleware (which redacts every result), over a small repository shaped like
the `requests` package.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from mcp_servers.codegraph.server import build_server
from mcp_servers.codegraph.settings import CodegraphSettings
from mcp_servers.common.server import ServerGuard

AUTH_PY = '''
class AuthBase:
    def __call__(self, r):
        return r


class HTTPDigestAuth(AuthBase):
    def build_digest_header(self, method, url):
        return method + url

    def handle_401(self, r):
        return self.build_digest_header("GET", r)

    def handle_redirect(self, r):
        return self.handle_401(r)


class PasswordHasher:
    def verify(self, password, hashed):
        return password == hashed


def password_hasher():
    return PasswordHasher().verify("a", "b")
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_symbol_names_survive_the_guardrail_middleware(tmp_path: Path) -> None:
    repo = tmp_path / "requests_like"
    (repo / "requests").mkdir(parents=True)
    (repo / "requests" / "__init__.py").write_text("")
    (repo / "requests" / "auth.py").write_text(AUTH_PY)
    server = build_server(CodegraphSettings(repo=repo, db=tmp_path / "idx.db"),
                          ServerGuard.for_tests(tmp_path / "state", "codegraph"))
    async with Client(server) as client:
        callers = await client.call_tool("get_callers", {"symbol": "HTTPDigestAuth.handle_401"})
        callees = await client.call_tool("get_callees", {"symbol": "password_hasher"})
    text = callers.content[0].text  # type: ignore[union-attr]
    assert not callers.is_error, text
    assert "REDACTED" not in text, text
    assert "requests.auth:HTTPDigestAuth.handle_401" in text
    assert "requests.auth:HTTPDigestAuth.handle_redirect" in text
    structured = callers.structured_content
    if structured is not None:
        assert "REDACTED" not in str(structured)
    text = callees.content[0].text  # type: ignore[union-attr]
    assert "REDACTED" not in text and "PasswordHasher.verify" in text, text
