"""Secret redaction (owned by the text-guardrails work; contract only).

CONTRACT (do not change the signatures without updating guardrails/pipeline.py):
    redact_text(text: str) -> Redacted
    redact_data(value: Any) -> tuple[Any, list[SecretFinding]]   # JSON-like trees, K8s Secrets
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SecretFinding:
    kind: str
    """The credential format, e.g. aws_access_key_id, github_token, jwt, pem_private_key."""
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: list[SecretFinding] = field(default_factory=list)


def redact_text(text: str) -> Redacted:
    raise NotImplementedError("implemented by the text-guardrails work")


def redact_data(value: Any) -> tuple[Any, list[SecretFinding]]:
    raise NotImplementedError("implemented by the text-guardrails work")
