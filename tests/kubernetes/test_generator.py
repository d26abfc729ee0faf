"""The bundled scenarios are exactly what the generator produces: the committed copy is never
hand-edited out of step with the code that explains it."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kubernetes.conftest import INCIDENTS, SCENARIOS

GENERATOR = INCIDENTS.parent / "generate_incidents.py"


def _differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=[".kubeconfig", "__pycache__"])
    found = [f"{a.name}/{n}" for n in (*cmp.left_only, *cmp.right_only, *cmp.diff_files)]
    for sub in cmp.common_dirs:
        found += _differences(a / sub, b / sub)
    return found


@pytest.mark.slow
def test_generator_reproduces_the_committed_bundles(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    for name in SCENARIOS:
        assert _differences(INCIDENTS / name, tmp_path / name) == [], name
