"""Git awareness with the real git binary: index a commit, map a diff to symbols, commits per range."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mcp_servers.codegraph import answers, gitinfo
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_commit, index_repository
from tests.codegraph.conftest import FIXTURES


def git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURES / "py_shop", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "initial")
    p = repo / "shop" / "pricing.py"
    p.write_text(p.read_text().replace("    return 0\n", "    return len(items) // 10\n"))
    git(repo, "commit", "-q", "-am", "discount: ten percent of the item count")
    return repo


def test_diff_ranges_reads_unified_diffs() -> None:
    diff = ("--- a/x.py\n+++ b/x.py\n@@ -3,2 +3,3 @@ def f():\n+a\n@@ -10 +12,0 @@\n-b\n"
            "--- a/gone.py\n+++ /dev/null\n@@ -1,4 +0,0 @@\n")
    assert gitinfo.diff_ranges(diff) == {"x.py": [(3, 5), (12, 12)], "gone.py": [(1, 4)]}


def test_changed_symbols_for_a_commit_range(repo: Path, tmp_path: Path) -> None:
    index_repository(repo, tmp_path / "g.db", workers=1)
    g = CodeGraph(tmp_path / "g.db")
    text = answers.changed_answer(g, "HEAD~1..HEAD")
    assert text.startswith("1 symbols touched in 1 files")
    assert "py:shop.pricing:discount" in text and "py:shop.pricing:total " not in text
    # A single commit works as well as a range.
    assert "py:shop.pricing:discount" in answers.changed_answer(g, "HEAD")


def test_bad_revision_is_refused_before_git_runs(repo: Path, tmp_path: Path) -> None:
    index_repository(repo, tmp_path / "g.db", workers=1)
    g = CodeGraph(tmp_path / "g.db")
    with pytest.raises(LookupError, match="not a revision"):
        answers.changed_answer(g, "--output=/tmp/x")


def test_index_a_commit_from_the_object_store(repo: Path, tmp_path: Path) -> None:
    (repo / "shop" / "extra.py").write_text("def uncommitted():\n    return 1\n")
    index_commit(repo, "HEAD~1", tmp_path / "old.db", workers=1)
    g = CodeGraph(tmp_path / "old.db")
    assert "py:shop.extra:uncommitted" not in g.symbols
    assert g.commit == "HEAD~1"
    assert {c for c, _ in g.callers("py:shop.pricing:discount")} == {"py:shop.cart:Cart.total"}


def test_commits_touching_a_line_range(repo: Path) -> None:
    commits = gitinfo.commits_touching(repo, "shop/pricing.py", 6, 7)
    assert [c.subject for c in commits] == ["discount: ten percent of the item count", "initial"]
    assert [c.subject for c in gitinfo.commits_touching(repo, "shop/pricing.py", 1, 3)] == ["initial"]


def test_gitignored_build_output_is_not_indexed(repo: Path, tmp_path: Path) -> None:
    (repo / ".gitignore").write_text("build/\n")
    copy = repo / "build" / "lib" / "shop"
    copy.mkdir(parents=True)
    (copy / "pricing.py").write_text("def total(items):\n    return 0\n")
    (repo / "shop" / "new_module.py").write_text("def fresh():\n    return 1\n")  # untracked, not ignored
    index_repository(repo, tmp_path / "g.db", workers=1)
    g = CodeGraph(tmp_path / "g.db")
    assert not [p for p in g.files if p.startswith("build/")]
    assert "py:shop.new_module:fresh" in g.symbols


def test_module_level_changes_are_listed(repo: Path, tmp_path: Path) -> None:
    index_repository(repo, tmp_path / "g.db", workers=1)
    g = CodeGraph(tmp_path / "g.db")
    diff = "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -1 +1 @@\n-from shop import pricing\n+import x\n"
    text = answers.changed_answer(g, diff=diff)
    assert text.startswith("0 symbols touched in 1 files")
    assert "| shop/cart.py (module level) | shop/cart.py:1 | module |" in text
