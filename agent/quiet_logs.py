"""HTTP client libraries log every request at INFO; that is noise in a terminal report.

The mcp SDK installs a root log handler at INFO when a server is built in-process, after which
httpx's `HTTP Request: POST ...` lines (and openai's, anthropic's) interleave with `vigil demo` and
`vigil investigate` output. Their loggers are set to WARNING once, so only their problems show.
"""

from __future__ import annotations

import logging

CLIENT_LOGGERS = ("httpx", "httpcore", "openai", "anthropic")


def quiet_client_loggers() -> None:
    """Raise the HTTP client libraries' loggers to WARNING (idempotent, cheap)."""
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
