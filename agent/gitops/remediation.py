"""The remediation vocabulary: the structured fixes Vigil can propose as a GitOps change.

A remediation is data, not code, so a runbook template, the agent's model and an MCP client all
describe a fix the same way, and the guardrails can judge it before any file is touched. Each action
names the fields it needs; a missing field is reported by name with the fix.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ActionName = Literal[
    "set_memory_limit",
    "set_cpu_limit",
    "set_resources",
    "set_replicas",
    "set_hpa_bounds",
    "set_image",
    "rollback_image",
    "set_env",
    "set_configmap_value",
    "set_probe",
]

ACTIONS: tuple[str, ...] = ActionName.__args__  # type: ignore[attr-defined]

PROBES = {"readiness": "readinessProbe", "liveness": "livenessProbe", "startup": "startupProbe"}
PROBE_SETTINGS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold")

# Kubernetes resource quantities: an optionally signed decimal with an optional suffix.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def is_quantity(value: object) -> bool:
    """Is `value` a well-formed Kubernetes resource quantity (`768Mi`, `500m`, `1`, `0.5`)?"""
    return (isinstance(value, int | float) and value >= 0) or (isinstance(value, str) and bool(_QUANTITY.match(value)))


def quantity_value(value: object) -> float:
    """A quantity as a plain number (bytes or cores), for comparing requests with limits."""
    text = str(value)
    match = re.match(r"^([0-9.]+)([a-zA-Z]*)$", text)
    if not match:
        raise ValueError(f"{value!r} is not a resource quantity")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix.startswith("e"):
        return number * 10 ** int(suffix[1:])
    raise ValueError(f"{value!r} has an unknown suffix {suffix!r}")


class Workload(BaseModel):
    """Which workload the fix is for, as the Kubernetes tools name it."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "Deployment"
    name: str
    namespace: str
    container: str | None = None
    """The container to change; may be left out when the pod has one container or one named like the workload."""


class Remediation(BaseModel):
    """One structured fix. Which optional fields are needed depends on `action` (docs/gitops.md)."""

    model_config = ConfigDict(extra="forbid")

    action: ActionName
    workload: Workload
    value: str | int | None = None
    """set_memory_limit / set_cpu_limit: a quantity; set_replicas: a count; set_env and
    set_configmap_value: the new string value."""
    limits: dict[str, str] = Field(default_factory=dict)
    """set_resources: e.g. {"memory": "768Mi", "cpu": "1"}."""
    requests: dict[str, str] = Field(default_factory=dict)
    min_replicas: int | None = None
    max_replicas: int | None = None
    image: str | None = None
    """set_image / rollback_image: `repo:tag`, `repo@sha256:...` or just a tag."""
    from_revision: int | None = None
    """rollback_image: the rollout-history revision the known-good image comes from (for the PR body)."""
    name: str | None = None
    """set_env: the variable name."""
    configmap: str | None = None
    key: str | None = None
    probe: str | None = None
    """set_probe: readiness, liveness or startup."""
    settings: dict[str, int] = Field(default_factory=dict)
    """set_probe: any of initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold, successThreshold."""
    reason: str = ""
    """Why, in a sentence, for the PR title and body."""

    @model_validator(mode="after")
    def _fields_for_action(self) -> Remediation:
        need: dict[str, tuple[str, ...]] = {
            "set_memory_limit": ("value",),
            "set_cpu_limit": ("value",),
            "set_replicas": ("value",),
            "set_image": ("image",),
            "rollback_image": ("image",),
            "set_env": ("name", "value"),
            "set_configmap_value": ("configmap", "key", "value"),
            "set_probe": ("probe",),
        }
        for name in need.get(self.action, ()):
            if getattr(self, name) in (None, ""):
                raise ValueError(f"action {self.action} needs `{name}`; add it to the remediation")
        if self.action in ("set_memory_limit", "set_cpu_limit") and not is_quantity(self.value):
            raise ValueError(f"`value` {self.value!r} is not a Kubernetes quantity such as 768Mi or 500m")
        if self.action == "set_resources":
            if not self.limits and not self.requests:
                raise ValueError("action set_resources needs `limits` or `requests`, e.g. {\"memory\": \"768Mi\"}")
            for where, values in (("limits", self.limits), ("requests", self.requests)):
                for res, qty in values.items():
                    if res not in ("cpu", "memory", "ephemeral-storage") or not is_quantity(qty):
                        raise ValueError(f"`{where}.{res}` = {qty!r}: use cpu/memory with a quantity such as 768Mi")
        if self.action == "set_replicas" and not _non_negative_int(self.value):
            raise ValueError(f"`value` {self.value!r} must be a whole number of replicas (0 or more)")
        if self.action == "set_hpa_bounds":
            if self.min_replicas is None and self.max_replicas is None:
                raise ValueError("action set_hpa_bounds needs `min_replicas` and/or `max_replicas`")
            if self.min_replicas is not None and self.min_replicas < 1:
                raise ValueError("`min_replicas` must be 1 or more")
            if (self.min_replicas or 0) > (self.max_replicas or 10**9):
                raise ValueError("`min_replicas` must not exceed `max_replicas`")
        if self.action == "set_probe":
            if str(self.probe) not in PROBES and str(self.probe) not in PROBES.values():
                raise ValueError(f"`probe` {self.probe!r}: use readiness, liveness or startup")
            if not self.settings:
                raise ValueError("action set_probe needs `settings`, e.g. {\"timeoutSeconds\": 5}")
            for key, number in self.settings.items():
                if key not in PROBE_SETTINGS:
                    raise ValueError(f"`settings.{key}` is not a probe setting; use one of {', '.join(PROBE_SETTINGS)}")
                if number < (0 if key == "initialDelaySeconds" else 1):
                    raise ValueError(f"`settings.{key}` = {number} is out of range")
        if self.action == "set_configmap_value" and self.key and not re.match(r"^[-._a-zA-Z0-9]+$", self.key):
            raise ValueError(f"`key` {self.key!r} is not a valid ConfigMap key")
        if self.action == "set_env" and self.name and not re.match(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", self.name):
            raise ValueError(f"`name` {self.name!r} is not a valid environment variable name")
        return self

    @property
    def probe_key(self) -> str:
        return PROBES.get(str(self.probe), str(self.probe))

    def summary(self) -> str:
        """A short human description, used as the PR title's tail and in the audit log."""
        w = self.workload
        target = f"{w.namespace}/{w.name}" + (f" ({w.container})" if w.container else "")
        what: dict[str, str] = {
            "set_memory_limit": f"set memory limit to {self.value}",
            "set_cpu_limit": f"set CPU limit to {self.value}",
            "set_resources": "set resources " + _kv({**{f"limits.{k}": v for k, v in self.limits.items()},
                                                    **{f"requests.{k}": v for k, v in self.requests.items()}}),
            "set_replicas": f"set replicas to {self.value}",
            "set_hpa_bounds": "set autoscaler bounds " + _kv({"min": self.min_replicas, "max": self.max_replicas}),
            "set_image": f"set image to {self.image}",
            "rollback_image": f"roll image back to {self.image}"
            + (f" (revision {self.from_revision})" if self.from_revision else ""),
            "set_env": f"set env {self.name}={self.value}",
            "set_configmap_value": f"set ConfigMap {self.configmap} {self.key}={self.value}",
            "set_probe": f"tune {self.probe_key} " + _kv(dict(self.settings)),
        }
        return f"{target}: {what[self.action]}"


def _kv(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items() if v is not None)


def _non_negative_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isdigit()


def split_image(image: str) -> tuple[str | None, str | None, str | None]:
    """`repo:tag` -> (repo, tag, None); `repo@sha256:..` -> (repo, None, digest); `tag` -> (None, tag, None)."""
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo or None, None, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = image.rsplit(":", 1)
        return repo, tag, None
    if "/" in image:
        return image, None, None
    return None, image, None
