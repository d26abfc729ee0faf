"""Settings for the payments API, read once at start-up from the environment."""

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
