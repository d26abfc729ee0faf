"""How long a GitOps proposal takes, and how that grows with the size of the repository.

Builds synthetic GitOps repositories in the demo's layout (apps/<svc>/base + overlays/{dev,staging,prod},
plus charts/<svc>/values-prod.yaml) with 10, 100 and 400 services, and times each stage of a real
proposal against a local bare remote: indexing the YAML, locating the workload, computing the edit,
validating it (kubectl kustomize render), and the whole propose() with clone, commit and push.

    .venv/bin/python benchmarks/gitops/bench.py            # prints a table, writes benchmarks/results/gitops.json
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.gitops.edits import plan_change  # noqa: E402
from agent.gitops.locate import RepoIndex, locate  # noqa: E402
from agent.gitops.plain_git import PlainGitProvider  # noqa: E402
from agent.gitops.propose import GitOpsRepo, propose  # noqa: E402
from agent.gitops.remediation import Remediation  # noqa: E402
from agent.gitops.validate import validate_change  # noqa: E402
from agent.incident import Incident  # noqa: E402
from guardrails.action import Actor  # noqa: E402
from guardrails.approval import PreApproved  # noqa: E402
from guardrails.audit import AuditLog  # noqa: E402
from guardrails.pipeline import Pipeline, default_policy_path  # noqa: E402
from guardrails.policy import load_policy  # noqa: E402
from guardrails.rollback import RollbackStore  # noqa: E402

DEMO = ROOT / "examples" / "gitops-repo"
SIZES = (10, 100, 400)
REPEAT = 5


def build_repo(dest: Path, services: int) -> None:
    """`services` copies of the checkout app (renamed) and of the frontend chart."""
    template_app = DEMO / "apps" / "checkout"
    template_chart = DEMO / "charts" / "frontend"
    for i in range(services):
        name = f"svc{i:03d}"
        app = dest / "apps" / name
        shutil.copytree(template_app, app)
        for file in app.rglob("*.yaml"):
            file.write_text(file.read_text().replace("checkout", name))
        for env in ("dev",):
            shutil.copytree(app / "overlays" / "staging", app / "overlays" / env)
        chart = dest / "charts" / f"web{i:03d}"
        shutil.copytree(template_chart, chart)
        (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("frontend", f"web{i:03d}"))


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def timed(fn, repeat: int = REPEAT) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def bench(services: int, scratch: Path) -> dict[str, float | int]:
    repo = scratch / f"repo{services}"
    build_repo(repo, services)
    files = sum(1 for _ in repo.rglob("*.yaml"))
    fix = Remediation.model_validate({"action": "set_memory_limit", "value": "768Mi",
                                      "workload": {"name": f"svc{services - 1:03d}", "namespace": "shop"}})
    index_ms = timed(lambda: RepoIndex(repo))
    index = RepoIndex(repo)
    locate_ms = timed(lambda: locate(index, fix.workload, "prod"))
    location = locate(index, fix.workload, "prod")
    plan_ms = timed(lambda: plan_change(index, location, fix))
    change = plan_change(index, location, fix)
    work = scratch / f"validate{services}"
    shutil.copytree(repo, work)
    for c in change.changes:
        (work / c.path).write_text(c.after)
    validate_ms = timed(lambda: validate_change(work, change, fix))

    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "seed")
    bare = scratch / f"remote{services}.git"
    git(scratch, "clone", "-q", "--bare", str(repo), str(bare))
    pipeline = Pipeline(load_policy(default_policy_path()), AuditLog(scratch / f"audit{services}.jsonl"),
                        PreApproved("bench"), RollbackStore(scratch / f"rb{services}.db"))
    samples = []
    for i in range(3):
        incident = Incident(fingerprint=f"bench-{services}-{i}", title="bench", source="cli")
        start = time.perf_counter()
        result = anyio.run(propose, fix, incident, [], GitOpsRepo(scratch / f"clone{services}"),
                           PlainGitProvider(str(bare)), pipeline, Actor(name="bench", origin="cli"))
        samples.append(time.perf_counter() - start)
        assert result.status == "opened", result.reason
    return {"services": services, "yaml_files": files, "index_ms": round(index_ms, 1),
            "locate_ms": round(locate_ms, 2), "plan_ms": round(plan_ms, 2), "validate_ms": round(validate_ms, 1),
            "propose_ms": round(statistics.median(samples) * 1000, 1)}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            rows.append(bench(size, Path(tmp)))
    header = ["services", "yaml_files", "index_ms", "locate_ms", "plan_ms", "validate_ms", "propose_ms"]
    print("  ".join(f"{h:>11}" for h in header))
    for row in rows:
        print("  ".join(f"{row[h]!s:>11}" for h in header))
    out = ROOT / "benchmarks" / "results" / "gitops.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "gitops propose stages", "median_of": REPEAT, "rows": rows}, indent=1)
                   + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
