"""The remediation vocabulary: the structured fixes Vigil can propose as a GitOps change.

A remediation is data, not code, so a runbook template, the agent's model and an MCP client all
describe a fix the same way, and the guardrails can judge it before any file is touched. Each action
names the fields it needs; a missing field is reported by name with the fix.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

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


class _Action(BaseModel):
    """What every action has: the workload it changes and why. Each action adds exactly its own fields."""

    model_config = ConfigDict(extra="forbid")

    workload: Workload
    reason: str = ""
    """Why, in a sentence, for the PR title and body."""

    @model_validator(mode="before")
    @classmethod
    def _own_fields_only(cls, data: Any) -> Any:
        """Leave out other actions' fields when they are empty (flat callers such as the MCP tool send every
        field, unused ones null), and name a missing required field with the fix, not pydantic's words."""
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if k in cls.model_fields or v not in (None, "", {}, [])}
        action = data.get("action")
        for name, field in cls.model_fields.items():
            if field.is_required() and data.get(name) in (None, ""):
                raise ValueError(f"action {action} needs `{name}`; add it to the remediation")
        return data

    def describe(self) -> str:
        """What the change does, without the target (each action says it its own way)."""
        raise NotImplementedError

    def summary(self) -> str:
        """A short human description, used as the PR title's tail and in the audit log."""
        w = self.workload
        target = f"{w.namespace}/{w.name}" + (f" ({w.container})" if w.container else "")
        return f"{target}: {self.describe()}"


def _quantity_value(value: str | int | float) -> str | int | float:
    """The one check of a limit's `value` (set_memory_limit, set_cpu_limit): a Kubernetes quantity."""
    if not is_quantity(value):
        raise ValueError(f"`value` {value!r} is not a Kubernetes quantity such as 768Mi or 500m")
    return value


class SetMemoryLimit(_Action):
    action: Literal["set_memory_limit"]
    value: str | int | float
    """The new memory limit, a quantity such as 768Mi."""

    _quantity = field_validator("value")(_quantity_value)

    def describe(self) -> str:
        return f"set memory limit to {self.value}"


class SetCpuLimit(_Action):
    action: Literal["set_cpu_limit"]
    value: str | int | float
    """The new CPU limit, a quantity such as 500m or 1."""

    _quantity = field_validator("value")(_quantity_value)

    def describe(self) -> str:
        return f"set CPU limit to {self.value}"


class SetResources(_Action):
    action: Literal["set_resources"]
    limits: dict[str, str] = Field(default_factory=dict)
    """e.g. {"memory": "768Mi", "cpu": "1"}."""
    requests: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some_quantities(self) -> SetResources:
        if not self.limits and not self.requests:
            raise ValueError("action set_resources needs `limits` or `requests`, e.g. {\"memory\": \"768Mi\"}")
        for where, values in (("limits", self.limits), ("requests", self.requests)):
            for res, qty in values.items():
                if res not in ("cpu", "memory", "ephemeral-storage") or not is_quantity(qty):
                    raise ValueError(f"`{where}.{res}` = {qty!r}: use cpu/memory with a quantity such as 768Mi")
        return self

    def describe(self) -> str:
        return "set resources " + _kv({**{f"limits.{k}": v for k, v in self.limits.items()},
                                       **{f"requests.{k}": v for k, v in self.requests.items()}})


class SetReplicas(_Action):
    action: Literal["set_replicas"]
    value: int | str
    """The replica count (0 or more)."""

    @field_validator("value")
    @classmethod
    def _count(cls, value: int | str) -> int | str:
        if not _non_negative_int(value):
            raise ValueError(f"`value` {value!r} must be a whole number of replicas (0 or more)")
        return value

    def describe(self) -> str:
        return f"set replicas to {self.value}"


class SetHpaBounds(_Action):
    action: Literal["set_hpa_bounds"]
    min_replicas: int | None = None
    max_replicas: int | None = None

    @model_validator(mode="after")
    def _bounds(self) -> SetHpaBounds:
        if self.min_replicas is None and self.max_replicas is None:
            raise ValueError("action set_hpa_bounds needs `min_replicas` and/or `max_replicas`")
        if self.min_replicas is not None and self.min_replicas < 1:
            raise ValueError("`min_replicas` must be 1 or more")
        if (self.min_replicas or 0) > (self.max_replicas or 10**9):
            raise ValueError("`min_replicas` must not exceed `max_replicas`")
        return self

    def describe(self) -> str:
        return "set autoscaler bounds " + _kv({"min": self.min_replicas, "max": self.max_replicas})


class SetImage(_Action):
    action: Literal["set_image"]
    image: str
    """`repo:tag`, `repo@sha256:...` or just a tag."""

    def describe(self) -> str:
        return f"set image to {self.image}"


class RollbackImage(_Action):
    action: Literal["rollback_image"]
    image: str
    """The known-good image: `repo:tag`, `repo@sha256:...` or just a tag."""
    from_revision: int | None = None
    """The rollout-history revision the known-good image comes from (for the PR body)."""

    def describe(self) -> str:
        return f"roll image back to {self.image}" + (f" (revision {self.from_revision})" if self.from_revision else "")


class SetEnv(_Action):
    action: Literal["set_env"]
    name: str
    """The variable name."""
    value: str | int | float
    """The new value (written as a string)."""

    @field_validator("name")
    @classmethod
    def _env_name(cls, name: str) -> str:
        if not re.match(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", name):
            raise ValueError(f"`name` {name!r} is not a valid environment variable name")
        return name

    def describe(self) -> str:
        return f"set env {self.name}={self.value}"


class SetConfigmapValue(_Action):
    action: Literal["set_configmap_value"]
    configmap: str
    key: str
    value: str | int | float
    """The new value (written as a string)."""

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not re.match(r"^[-._a-zA-Z0-9]+$", key):
            raise ValueError(f"`key` {key!r} is not a valid ConfigMap key")
        return key

    def describe(self) -> str:
        return f"set ConfigMap {self.configmap} {self.key}={self.value}"


class SetProbe(_Action):
    action: Literal["set_probe"]
    probe: str
    """readiness, liveness or startup."""
    settings: dict[str, int]
    """Any of initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold, successThreshold."""

    @model_validator(mode="after")
    def _probe(self) -> SetProbe:
        if self.probe not in PROBES and self.probe not in PROBES.values():
            raise ValueError(f"`probe` {self.probe!r}: use readiness, liveness or startup")
        if not self.settings:
            raise ValueError("action set_probe needs `settings`, e.g. {\"timeoutSeconds\": 5}")
        for key, number in self.settings.items():
            if key not in PROBE_SETTINGS:
                raise ValueError(f"`settings.{key}` is not a probe setting; use one of {', '.join(PROBE_SETTINGS)}")
            if number < (0 if key == "initialDelaySeconds" else 1):
                raise ValueError(f"`settings.{key}` = {number} is out of range")
        return self

    @property
    def probe_key(self) -> str:
        return PROBES.get(self.probe, self.probe)

    def describe(self) -> str:
        return f"tune {self.probe_key} " + _kv(dict(self.settings))


RemediationAction = Annotated[
    SetMemoryLimit | SetCpuLimit | SetResources | SetReplicas | SetHpaBounds | SetImage | RollbackImage | SetEnv
    | SetConfigmapValue | SetProbe,
    Field(discriminator="action"),
]
"""One fix, told apart by `action`: pydantic picks the model, and its JSON schema is a tagged union."""


class Remediation(RootModel[RemediationAction]):
    """One structured fix (docs/gitops.md): `Remediation.model_validate(data)` picks the action's model.

    `.root` is the typed action (match on its class); `action`, `workload`, `reason` and `summary()` are
    read through for every action. The action's own fields (`value`, `image`, ...) also read through, and
    `get`/`[]` read the fix as the dict it used to be, for callers written against that form.
    """

    @property
    def action(self) -> ActionName:
        return self.root.action

    @property
    def workload(self) -> Workload:
        return self.root.workload

    @property
    def reason(self) -> str:
        return self.root.reason

    def summary(self) -> str:
        """A short human description, used as the PR title's tail and in the audit log."""
        return self.root.summary()

    def as_data(self) -> dict[str, Any]:
        """The fix as plain JSON data (fields left empty are left out), as reports and PR bodies show it."""
        return self.model_dump(mode="json", exclude_none=True)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "root":
            return super().__getattr__(name)  # type: ignore[misc]
        root = self.__dict__.get("root")
        if root is None:
            raise AttributeError(name)
        try:
            return getattr(root, name)
        except AttributeError:
            raise AttributeError(f"action {root.action} has no field `{name}`") from None

    def get(self, key: str, default: Any = None) -> Any:
        return self.as_data().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.as_data()[key]


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
