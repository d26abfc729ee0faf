"""The payments service's source, shipped in the payments-bad-config bundle under code/.

The stack trace in the crashing pod's logs is built from these exact files, with line numbers
looked up in the text, so a code index resolves every frame to a real line.
"""

from __future__ import annotations

MAIN = '''"""Entry point of the payments API."""

import logging
import os

from payments.config import load_settings
from payments.gateway import GatewayClient

log = logging.getLogger("payments")


def main() -> None:
    settings = load_settings(os.environ)
    client = GatewayClient(settings.gateway_url, settings.gateway_timeout)
    log.info("payments ready", extra={"gateway": settings.gateway_url})
    client.serve_forever()


if __name__ == "__main__":
    main()
'''

CONFIG = '''"""Settings for the payments API, read once at start-up from the environment."""

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Settings:
    gateway_url: str
    gateway_timeout: float
    log_level: str


def parse_timeout(raw: str) -> float:
    """Seconds to wait for the payment gateway. The value must be a plain number of seconds."""
    seconds = float(raw)
    if seconds <= 0:
        raise ValueError(f"GATEWAY_TIMEOUT must be positive, got {raw!r}")
    return seconds


def load_settings(env: Mapping[str, str]) -> Settings:
    return Settings(
        gateway_url=env["GATEWAY_URL"],
        gateway_timeout=parse_timeout(env["GATEWAY_TIMEOUT"]),
        log_level=env.get("LOG_LEVEL", "info"),
    )
'''

GATEWAY = '''"""A small client for the payment service provider's gateway."""

import time


class GatewayClient:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    def charge(self, order_id: str, amount_cents: int) -> dict[str, object]:
        started = time.monotonic()
        # The real client posts to the gateway; the shape of the answer is what matters here.
        return {"order": order_id, "amount": amount_cents, "took": time.monotonic() - started}

    def serve_forever(self) -> None:
        while True:
            time.sleep(3600)
'''

README = """# payments

The payments API (Python). Settings come from the environment (see payments/config.py):
GATEWAY_URL, GATEWAY_TIMEOUT (seconds, a plain number), LOG_LEVEL.
"""

FILES = {
    "payments/__init__.py": '"""The payments API."""\n',
    "payments/main.py": MAIN,
    "payments/config.py": CONFIG,
    "payments/gateway.py": GATEWAY,
    "README.md": README,
}

CONTAINER_ROOT = "/app"


def line_of(path: str, needle: str) -> int:
    for number, line in enumerate(FILES[path].splitlines(), start=1):
        if needle in line:
            return number
    raise ValueError(f"{needle!r} not in {path}")


def traceback_lines(value: str) -> list[str]:
    """The traceback Python prints when GATEWAY_TIMEOUT holds `value`, frames pointing at FILES."""
    frames = [
        ("payments/main.py", "<module>", "main()"),
        ("payments/main.py", "main", "settings = load_settings(os.environ)"),
        ("payments/config.py", "load_settings", 'gateway_timeout=parse_timeout(env["GATEWAY_TIMEOUT"]),'),
        ("payments/config.py", "parse_timeout", "seconds = float(raw)"),
    ]
    out = ["Traceback (most recent call last):"]
    for path, func, text in frames:
        needle = text if func != "<module>" else "    main()"
        out.append(f'  File "{CONTAINER_ROOT}/{path}", line {line_of(path, needle)}, in {func}')
        out.append(f"    {text}")
    out.append(f"ValueError: could not convert string to float: '{value}'")
    return out
