"""The typed facts a log window yields: what triage reads to name a cause.

These models are the contract between the log parser and its readers (the k8s_logs and loki_query
tools' structured output, the lead's triage). Fields are added, never renamed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["fatal", "error", "warning", "info", "unknown"]
Language = Literal["python", "java", "go", "node", "unknown"]


class LogError(BaseModel):
    """One kind of error line in the window, with its count and what it says."""

    template: str
    """The message with its variable parts masked (<num>, <ip>, <uuid>, <hex>, <quoted>, <time>...)."""
    example: str
    """The first real line of this kind, trimmed to about 300 characters (untrusted data)."""
    count: int
    first_seen: str | None = None
    """Timestamp of the first line, as the line wrote it (only when lines carry timestamps)."""
    last_seen: str | None = None
    severity: Severity
    error_class: str | None
    """Stable category (see docs/logfacts.md): connection_refused, dns_failure, missing_config..."""
    exception: str | None = None
    """Exception type: KeyError, java.net.UnknownHostException, TypeError, panic."""
    message: str | None = None
    """The exception's or error's message without the type."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Extracted values: upstream_host, upstream_port, address, status, env_var, dns_name, grpc_code..."""
    new: bool | None = None
    """True when no baseline line had this template; None when no baseline was given."""
    format: str = "plain"
    """The format of the first line of this kind (json, logfmt, envoy_access, stacktrace...)."""


class StackTrace(BaseModel):
    """A multi-line stack trace, reduced to its cause and top frames."""

    language: Language
    exception: str
    """For Java, the innermost `Caused by:` (the cause); for Python, the exception raised last."""
    message: str
    frames: list[str] = Field(default_factory=list)
    """Top frames, innermost call first for Python (`file:line function`), as printed for the others."""
    count: int = 1
    """How many identical traces (same exception, message template and top frame) were seen."""


class LogFacts(BaseModel):
    """Everything the parser learned from a window of log lines."""

    lines: int
    """Non-empty lines read."""
    formats: dict[str, int] = Field(default_factory=dict)
    """Lines per detected format: json, logfmt, envoy_access, nginx_access, nginx_error, klog, go_log, leveled,
    stacktrace, plain."""
    errors: list[LogError] = Field(default_factory=list)
    """Most salient first (see docs/logfacts.md for the order)."""
    errors_left_out: int = 0
    """Error kinds beyond `max_errors`, not listed."""
    traces: list[StackTrace] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    """Upstream hosts and services named in error lines, most frequent first."""
    status_codes: dict[str, int] = Field(default_factory=dict)
    """HTTP status codes counted from access-log lines."""
