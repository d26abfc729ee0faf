"""The demo's GitOps repository: the plain files in examples/gitops-repo made into a real git remote.

`vigil demo` proposes its fix against this remote with the plain git provider, so the whole write
path (clone, edit, validate, approve, commit, push, note) runs for real without any forge account.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DEMO_SOURCE = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"


def seed_remote(dest: Path, source: Path = DEMO_SOURCE, base: str = "main") -> Path:
    """Create `dest/gitops-remote.git`, a bare repository whose `base` holds `source` in one commit."""
    if not source.is_dir():
        raise FileNotFoundError(f"the demo GitOps repository {source} is missing; run from a Vigil checkout")
    dest.mkdir(parents=True, exist_ok=True)
    seed = dest / "gitops-seed"
    bare = dest / "gitops-remote.git"
    shutil.rmtree(seed, ignore_errors=True)
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(source, seed)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Demo", "GIT_AUTHOR_EMAIL": "demo@example.com",
           "GIT_COMMITTER_NAME": "Demo", "GIT_COMMITTER_EMAIL": "demo@example.com"}
    for args in (["init", "-q", "-b", base], ["add", "-A"], ["commit", "-q", "-m", "GitOps repository for the demo"]):
        subprocess.run(["git", *args], cwd=seed, env=env, check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], env=env, check=True, capture_output=True)
    shutil.rmtree(seed)
    return bare
