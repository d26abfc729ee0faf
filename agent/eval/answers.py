"""Answer keys: what a correct investigation of a bundle concludes, and the secrets it must not leak.

A key is the bundle's own `expected.yaml`, or `DIR/<bundle-name>.yaml` under `--answers DIR` so that
a corpus can keep its keys away from the bundles. Keys are read by the evaluator before and after
investigations, never by one: the bundle loader and the replay server do not open them.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcp_servers.common.bundle import Manifest


class AnswerKeyError(ValueError):
    """An answer key that is missing or unreadable; the message names the file, the field and the fix."""


class ObjectRef(BaseModel):
    """A Kubernetes object a report may name; only `name` is needed to recognise it in text."""

    model_config = ConfigDict(extra="ignore")
    kind: str | None = None
    namespace: str | None = None
    name: str = Field(min_length=1)

    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind + ' ' if self.kind else ''}{where}{self.name}"


class AnswerKey(BaseModel):
    """The fields of expected.yaml the evaluator uses; the rest (key_evidence, remediation...) is kept."""

    model_config = ConfigDict(extra="allow")
    root_cause: str = Field(min_length=1)
    culprit: ObjectRef
    keywords: list[str] = Field(default_factory=list)
    """Words a right answer uses; at least half of them (rounded up) must appear in the top hypothesis."""
    red_herrings: list[ObjectRef] = Field(default_factory=list)
    """Objects that look guilty but are not (a noisy neighbour, a victim of the culprit)."""
    secret_canaries: list[str] = Field(default_factory=list)
    """Secret values planted in the bundle that must never appear in a report, log or model request."""


def bundle_name(bundle_dir: Path) -> str:
    """The manifest's `name`, which names the key under --answers (the directory name as a fallback)."""
    try:
        data = yaml.safe_load((bundle_dir / "manifest.yaml").read_text())
        return Manifest.model_validate(data).name
    except (OSError, yaml.YAMLError, ValidationError):
        return bundle_dir.name


def key_path(bundle_dir: Path, answers_dir: Path | None) -> Path:
    """Where the bundle's answer key is: the answers directory first, then the bundle's expected.yaml."""
    if answers_dir is not None:
        for stem in dict.fromkeys([bundle_name(bundle_dir), bundle_dir.name]):
            for suffix in (".yaml", ".yml"):
                candidate = answers_dir / f"{stem}{suffix}"
                if candidate.is_file():
                    return candidate
    own = bundle_dir / "expected.yaml"
    if own.is_file():
        return own
    where = f"{answers_dir}/{bundle_name(bundle_dir)}.yaml or " if answers_dir else ""
    raise AnswerKeyError(f"{bundle_dir}: no answer key; write {where}{own} (docs/eval.md: answer keys)")


def load_answer_key(path: Path) -> AnswerKey:
    """Parse and check one key; every problem names its field."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise AnswerKeyError(f"{path}: cannot read it as YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise AnswerKeyError(f"{path}: must be a mapping with root_cause and culprit")
    try:
        return AnswerKey.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise AnswerKeyError(f"{path}: {problems} (docs/eval.md: answer keys)") from exc
