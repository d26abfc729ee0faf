"""The scan's typed answer: findings a program can rank and a person can read.

These models are a contract with the triage that ranks findings against an alert: names and
fields stay; new fields may be added. Every finding names the object that is wrong, the reason as
Kubernetes words it, the detail that matters, the quoted evidence and since when.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["critical", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}


class ObjectRef(BaseModel):
    """One Kubernetes object by kind, namespace (empty for cluster-scoped kinds) and name."""

    kind: str
    namespace: str = ""
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


class ScanFinding(BaseModel):
    """One distinct problem; pods with the same problem under the same owner are one finding."""

    check: str = Field(description="Stable check id, e.g. pod.crashloop, service.no_endpoints.")
    severity: Severity
    object: ObjectRef = Field(description="The object that is wrong (the owner for grouped pods).")
    owner: ObjectRef | None = Field(default=None, description="Top-level workload owning the object.")
    reason: str = Field(description="Short machine reason as Kubernetes says it (OOMKilled, FailedScheduling...).")
    message: str = Field(description="One human line naming the object, the reason and the detail.")
    details: dict[str, Any] = Field(default_factory=dict, description="Typed specifics: image, exit_code, limit...")
    evidence: list[str] = Field(default_factory=list, description="Short facts quoted from status and events.")
    since: str | None = Field(default=None, description="RFC 3339 time of the earliest sign of it.")
    last_seen: str | None = Field(default=None, description="RFC 3339 time of the latest sign of it.")
    pods: list[str] = Field(default_factory=list, description="Affected pods (at most 5 names; see count).")
    count: int = Field(default=1, description="How many objects (pods) share this finding.")


class ScanResult(BaseModel):
    """What one scan found, what it looked at, and what it could not see."""

    findings: list[ScanFinding] = Field(description="Most severe first, then most recent.")
    scanned: dict[str, int] = Field(description="Kind -> objects looked at.")
    hidden_namespaces: list[str] = Field(default_factory=list,
                                         description="Namespaces dropped because the policy hides them.")
    errors: list[str] = Field(default_factory=list,
                              description="Kinds that could not be listed (RBAC, server errors); the scan went on.")
    not_served: list[str] = Field(default_factory=list,
                                  description="Optional kinds this cluster does not serve (e.g. cert-manager).")
    truncated: int = Field(default=0, description="Findings left out of the text (never out of the structure).")
    checks_run: list[str] = Field(default_factory=list, description="Check ids that ran.")
