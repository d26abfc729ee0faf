"""Build the corpus once per test session: bundles in one temp dir, answer keys in another."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from mcp_servers.common.bundle import Bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def generator() -> Any:
    """The corpus generator module (examples/ is not a package on the test path)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    from corpus import generate

    return generate


@dataclass
class Corpus:
    bundles: Path
    answers: Path
    _loaded: dict[str, Bundle] = field(default_factory=dict)
    _text: dict[str, str] = field(default_factory=dict)

    def load(self, name: str) -> Bundle:
        """The bundle as Vigil reads it, loaded once per session."""
        if name not in self._loaded:
            self._loaded[name] = Bundle.load(self.bundles / name)
        return self._loaded[name]

    def names(self) -> list[str]:
        return sorted(p.name for p in self.bundles.iterdir() if p.is_dir())

    def text(self, name: str) -> str:
        """Every file of a bundle as one text, read once per session."""
        if name not in self._text:
            root = self.bundles / name
            self._text[name] = "\n".join(p.read_text(errors="replace") for p in sorted(root.rglob("*"))
                                         if p.is_file())
        return self._text[name]

    def answer(self, name: str) -> dict[str, Any]:
        data = yaml.safe_load((self.answers / f"{name}.yaml").read_text())
        assert isinstance(data, dict)
        return data


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    bundles, answers = root / "bundles", root / "answers"
    assert generator().main(["--out", str(bundles), "--answers", str(answers)]) == 0
    return Corpus(bundles, answers)
