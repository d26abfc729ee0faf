"""Vigil's one configuration: a YAML file plus environment overrides, validated with pydantic.

Where it comes from, later winning: built-in defaults, the file (`--config PATH`, else `VIGIL_CONFIG`,
else ./vigil.yaml when present), then `VIGIL__SECTION__FIELD=value` environment variables
(`VIGIL__LLM__MODEL=claude-sonnet-5-5`). Secrets are never values in the file: a field that holds a
credential names an environment variable (`*_env`) or a file (`*_file`) to read it from, so the
config can be committed, printed and audited without leaking anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.gitops.settings import GitOpsSettings
from agent.llm.budget import Budget
from agent.llm.settings import LLMSettings
from agent.server.settings import ServeSettings
from mcp_servers.codegraph.settings import CodegraphSettings
from mcp_servers.loki.client import LokiSettings
from mcp_servers.prometheus.client import PromSettings

ENV_PREFIX = "VIGIL__"
_SECRETISH = re.compile(r"(password|passwd|secret|token|api_?key|private_?key|credential)s?$", re.I)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditSettings(_Section):
    path: Path | None = None
    """Default: <state_dir>/audit.jsonl"""
    fsync: bool = True
    key_file: Path | None = None
    """The chain's HMAC key (else $VIGIL_AUDIT_KEY, else a key generated beside the log: docs/guardrails.md)."""
    anchor_url: str | None = None
    """Where heads are anchored against rollback: a postgresql:// URL or a SQLite path (else $VIGIL_AUDIT_ANCHOR)."""


class KubernetesSettings(_Section):
    kubeconfig: Path | None = None
    context: str | None = None
    """Default context; an incident's `cluster`/`context` label overrides it."""
    in_cluster: bool = False
    context_label: str = "cluster"
    """The incident label that names the cluster to investigate."""
    clusters: dict[str, str] = Field(default_factory=dict)
    """Cluster label value -> kube context, where contexts are not named after clusters."""
    timeout_seconds: float = 15.0


class ExternalServer(_Section):
    """An MCP server Vigil connects to beside its own (stdio command or streamable HTTP URL)."""

    name: str
    command: list[str] | None = None
    url: str | None = None
    bearer_token_env: str | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_transport(self) -> ExternalServer:
        if bool(self.command) == bool(self.url):
            raise ValueError("give exactly one of `command` (stdio) or `url` (streamable HTTP)")
        return self


class TelemetrySettings(_Section):
    otlp_endpoint: str | None = None
    service_name: str = "vigil"
    record_prompts: Literal["hash", "redacted"] = "hash"


class Config(_Section):
    state_dir: Path = Path(".vigil")
    """Audit log, approvals, rollback plans, usage ledger and job queue live here."""
    policy: Path | None = None
    """Default: the shipped guardrails/default_policy.yaml."""
    team: str | None = None
    audit: AuditSettings = Field(default_factory=AuditSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    prometheus: PromSettings | None = None
    """Enables the Prometheus tools; VIGIL_PROMETHEUS_URL (and _BEARER_TOKEN …) also do."""
    loki: LokiSettings | None = None
    """Enables the Loki tools; VIGIL_LOKI_URL (and _BEARER_TOKEN …) also do."""
    codegraph: CodegraphSettings | None = None
    """Enables the code-graph tools over one repository (`repo:`, optional `db:`, `max_file_bytes:`)."""
    llm: LLMSettings = Field(default_factory=LLMSettings)
    budget: Budget = Field(default_factory=Budget)
    """Per investigation: model steps, tokens, wall time and money (agent/llm/budget.py)."""
    tool_result_tokens: int = 2000
    """How much of one tool result the model may see; the rest is summarised or cut with a note."""
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    serve: ServeSettings | None = None
    """`vigil serve`: listen address, queue, workers, and the Alertmanager, PagerDuty and Slack doors."""
    gitops: GitOpsSettings | None = None
    """Where pull requests go (git remote, GitHub or GitLab); VIGIL_GITOPS_* and flags override it."""
    servers: list[ExternalServer] = Field(default_factory=list)
    runbook_dirs: list[Path] = Field(default_factory=list)
    """Extra runbook directories, searched before the shipped catalog."""

    @field_validator("servers")
    @classmethod
    def _unique_servers(cls, servers: list[ExternalServer]) -> list[ExternalServer]:
        names = [s.name for s in servers]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"server names must be unique; repeated: {', '.join(sorted(dupes))}")
        return servers

    @property
    def audit_path(self) -> Path:
        return self.audit.path or self.state_dir / "audit.jsonl"


class ConfigError(ValueError):
    """Every problem in a config, one per line, each with its field path and a fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


_FIXES = {
    "extra_forbidden": "remove it or check the spelling against docs/configuration.md",
    "literal_error": "use one of the values listed",
    "bool_parsing": "write true or false",
    "int_parsing": "write a whole number",
    "float_parsing": "write a number",
    "missing": "add this field",
}


def config_path(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get("VIGIL_CONFIG"):
        return Path(os.environ["VIGIL_CONFIG"])
    local = Path("vigil.yaml")
    return local if local.exists() else None


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Load, overlay the environment, validate. Raises ConfigError listing every problem."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError([f"{file}: no such file; create it or drop --config/VIGIL_CONFIG"]) from exc
        except yaml.YAMLError as exc:
            raise ConfigError([f"{file}: not valid YAML: {exc}"]) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError([f"{file}: the top level must be a mapping of sections (llm:, kubernetes:, ...)"])
        data = loaded or {}
    _overlay_env(data, os.environ if environ is None else environ)
    source = str(file) if file else "configuration"
    inline = [f"{source}: {where}: holds a secret inline; secrets come only from the environment or files: "
              f"use {key}_env: NAME_OF_ENV_VAR (or {key}_file: /path)" for where, key in _inline_secrets(data)]
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = list(inline)
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            fix = _FIXES.get(err["type"], "")
            problems.append(f"{source}: {where}: {message}" + (f" (fix: {fix})" if fix else ""))
        raise ConfigError(problems) from exc
    if inline:
        raise ConfigError(inline)
    return config


def _inline_secrets(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every key that looks like a credential and holds a literal value, with its field path."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SECRETISH.search(key) and isinstance(value, str) and value:
                found.append((where, key))
            else:
                found += _inline_secrets(value, where)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _inline_secrets(value, f"{path}.{index}")
    return found


def _overlay_env(data: dict[str, Any], environ: Any) -> None:
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in key[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = yaml.safe_load(value) if value else value
