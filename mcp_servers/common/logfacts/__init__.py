"""Log facts: log lines of any common format turned into typed, ranked error facts.

`extract(lines)` is the one entry point; the models are the contract its readers rely on.
See docs/logfacts.md for the formats, error classes, fields and ordering.
"""

from mcp_servers.common.logfacts.extract import extract
from mcp_servers.common.logfacts.models import LogError, LogFacts, StackTrace

__all__ = ["LogError", "LogFacts", "StackTrace", "extract"]
