"""What every `vigil mcp NAME` command shares: the guard it runs and who may call it over HTTP.

Over HTTP every caller needs a bearer token that names an actor (the policy judges actors, so an
anonymous caller would be nobody it can judge). Tokens come from a file, one per line as
`TOKEN ACTOR [TEAM]`, or from `VIGIL_MCP_TOKEN` for a single caller. They never come from a
command-line flag, which any local user could read from the process list.
"""

from __future__ import annotations

import os
from pathlib import Path

from guardrails.action import Actor
from mcp_servers.common.server import ServerGuard

TOKEN_ENV = "VIGIL_MCP_TOKEN"


def load_tokens(token_file: Path | None, default_actor: str = "mcp-http",
                environ: dict[str, str] | None = None) -> dict[str, Actor]:
    """Bearer token -> actor, from `token_file` and/or `VIGIL_MCP_TOKEN`. Raises ValueError on a bad line."""
    env = os.environ if environ is None else environ
    tokens: dict[str, Actor] = {}
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"cannot read token file {token_file}: {exc.strerror}") from exc
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) not in (2, 3):
                raise ValueError(f"{token_file}:{number}: write `TOKEN ACTOR [TEAM]`")
            tokens[parts[0]] = Actor(name=parts[1], origin="mcp", team=parts[2] if len(parts) == 3 else None)
    single = env.get(TOKEN_ENV)
    if single:
        tokens[single] = Actor(name=default_actor, origin="mcp")
    return tokens


def build_guard(policy: Path | None, state_dir: Path, server_name: str, http: bool) -> ServerGuard:
    """The server's guard; over HTTP the `_meta` identity is ignored (the token decides who calls)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    guard = ServerGuard.from_files(policy, state_dir, server_name)
    if http:
        guard.trust_meta_actor = False
    return guard


def prepare(server_name: str, http: bool, token_file: Path | None, policy: Path | None,
            state_dir: Path) -> tuple[ServerGuard, dict[str, Actor]]:
    """The guard and the HTTP callers of one `vigil mcp NAME` run. Raises ValueError with the fix."""
    tokens = load_tokens(token_file) if http else {}
    if http and not tokens:
        raise ValueError("--http needs callers: set VIGIL_MCP_TOKEN or pass --token-file")
    return build_guard(policy, state_dir, server_name, http), tokens
