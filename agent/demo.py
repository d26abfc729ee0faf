"""`vigil demo [SCENARIO]`: a real investigation of a bundled incident, offline, with no API key.

Everything is real except the cluster, which is replayed from the bundle over the real Kubernetes
API paths: the replay API server, a real Prometheus (when the binary is installed) loaded with the
scenario's metrics, the code graph of the service's code when the bundle carries it, Vigil's MCP
servers, the guardrails and audit log, the configured model (runbook-only without one), and at the
end a GitOps change proposed as a branch on a local bare git remote after an approval.
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.config import Config
from agent.incident import Incident, from_payload
from agent.report import Report

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = REPO_ROOT / "examples" / "incidents"
GITOPS_FIXTURE = REPO_ROOT / "examples" / "gitops-repo"
DEFAULT_SCENARIO = "checkout-oom"


def scenarios() -> list[str]:
    return sorted(p.name for p in SCENARIOS_DIR.iterdir() if (p / "manifest.yaml").exists())


def scenario_incident(bundle: Any) -> Incident:
    """The incident the bundle's first alert payload describes."""
    payload = bundle.alerts[0].payload
    return from_payload(payload)[0]


def resolve_bundle(name_or_path: str | Path) -> Path:
    """A bundle directory (it holds manifest.yaml) or the name of a bundled scenario."""
    path = Path(name_or_path)
    if (path / "manifest.yaml").is_file():
        return path
    if str(name_or_path) in scenarios():
        return SCENARIOS_DIR / str(name_or_path)
    raise ValueError(f"{name_or_path} is neither a bundle directory (one holding manifest.yaml) nor a bundled "
                     f"scenario ({', '.join(scenarios())})")


def bundle_incident(bundle: Any, question: str | None = None, labels: dict[str, str] | None = None) -> Incident:
    """What to investigate in a bundle: the question given, else the manifest's, else its first alert.

    A question has no time of its own, so it is asked at the bundle's incident time: every query
    window then covers the incident rather than the wall clock's now.
    """
    from agent.incident import IncidentError, from_text

    asked = question or bundle.manifest.question
    if asked:
        incident = from_text(asked, labels)
        incident.started_at = bundle.incident_time
        return incident
    if not bundle.manifest.alerts:
        raise IncidentError("manifest.yaml", "the bundle has no alerts and no `question`; pass a QUESTION or "
                                             "--alert FILE")
    incident = scenario_incident(bundle)
    incident.labels.update(labels or {})
    return incident


@contextlib.contextmanager
def serve_bundle(bundle: Any, config: Config, work: Path, incident: Incident, log: Console) -> Iterator[Config]:
    """Serve a bundle for one investigation and yield `config` pointed at it.

    The one way a bundle is served (the demo, `vigil investigate --bundle`, `vigil eval`): the replay
    API server, a real Prometheus backfilled from the bundle's metrics when it has any and the
    binary is installed, and the code graph over the bundle's code. `work` holds the kubeconfig and
    the code graph's database.
    """
    from mcp_servers.kubernetes.replay import replay_server
    from mcp_servers.loki.client import LokiSettings
    from mcp_servers.loki.replay import loki_replay

    with contextlib.ExitStack() as stack:
        replay = stack.enter_context(replay_server(bundle, work / "kubeconfig"))
        prom_url = stack.enter_context(local_metrics(bundle, log))
        log.print(f"[cyan]cluster[/cyan] {bundle.manifest.cluster.name} replayed at {replay.url}", highlight=False)
        served = _demo_config(config, replay, bundle, prom_url, work, incident)
        loki = None  # never the user's live Loki: a bundle is investigated from what it holds
        if bundle.loki_path is not None:
            loki_url = stack.enter_context(loki_replay(bundle.loki_path, bundle.captured_at))
            log.print(f"[cyan]loki[/cyan] {bundle.manifest.loki} served at {loki_url}", highlight=False)
            loki = LokiSettings(url=loki_url)
        yield served.model_copy(update={"loki": loki})


@contextlib.contextmanager
def local_metrics(bundle: Any, out: Console) -> Iterator[str | None]:
    """A real Prometheus loaded with the scenario's metrics, or None (said plainly) without the binary."""
    from mcp_servers.prometheus.local import LocalPrometheus, LocalPrometheusError

    if bundle.metrics_path is None:
        yield None
        return
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        out.print("[yellow]prometheus is not installed[/yellow]: investigating without metrics "
                  "(install it with: sudo apt-get install -y prometheus)", highlight=False)
        yield None
        return
    started = time.monotonic()
    try:
        with LocalPrometheus(bundle.metrics_path) as prom:
            out.print(f"[cyan]prometheus[/cyan] loaded {bundle.metrics_path.name} in "
                      f"{time.monotonic() - started:.1f}s at {prom.url}", highlight=False)
            yield prom.url
    except LocalPrometheusError as exc:
        out.print(f"[yellow]prometheus could not start[/yellow] ({exc}); investigating without metrics",
                  highlight=False)
        yield None


def demo_gitops_remote(workdir: Path) -> Path:
    """A bare git remote holding the example GitOps repository, as a platform team's would."""
    seed = workdir / "gitops-seed"
    shutil.copytree(GITOPS_FIXTURE, seed)
    remote = workdir / "gitops-remote.git"
    git = ["git", "-c", "user.name=Vigil demo", "-c", "user.email=demo@vigil.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(seed)], check=True)
    subprocess.run([*git, "-C", str(seed), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(seed), "commit", "-q", "-m", "GitOps repository"], check=True)
    subprocess.run([*git, "clone", "-q", "--bare", str(seed), str(remote)], check=True)
    return remote


async def run_demo(scenario: str | Path, *, config: Config, approve: bool, out: Console, fmt: str = "rich",
                   propose_change: bool = True, interactive: bool | None = None,
                   log: Console | None = None) -> Report:
    """Investigate `scenario` (a bundled scenario's name or a bundle directory); the report goes to `out`,
    progress and the proposal's story to `log`."""
    from agent.cli.investigate import ProgressPrinter, print_report
    from agent.quiet_logs import quiet_client_loggers
    from agent.runtime import Runtime, investigate_incident
    from guardrails.action import Actor
    from mcp_servers.common.bundle import Bundle

    quiet_client_loggers()  # no `HTTP Request: ...` lines between the progress and the report
    log = log or out
    bundle = Bundle.load(resolve_bundle(scenario))
    scenario = bundle.name
    incident = bundle_incident(bundle)
    user = getpass.getuser()
    interactive = sys.stdin.isatty() if interactive is None else interactive
    work = (config.state_dir / "demo" / scenario).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log.print(f"[bold]Vigil demo[/bold]: {bundle.manifest.title} (scenario {scenario})", highlight=False)
    # The replayed cluster and Prometheus live only as long as the investigation needs them.
    with serve_bundle(bundle, config, work, incident, log) as demo_config:
        runtime = Runtime.from_config(demo_config, _approver(approve, interactive, user))
        actor = Actor(name=user, origin="cli", team=demo_config.team)
        report = await investigate_incident(incident, demo_config, actor=actor, runtime=runtime,
                                            progress=ProgressPrinter(log))
    print_report(report, fmt, out)  # type: ignore[arg-type]
    try:  # the answer key, read only now that the investigation is over
        expected = bundle.expected.get("root_cause")
    except Exception:  # a broken answer key must not spoil the report already printed
        expected = None
    if expected:
        log.print(f"[dim]The bundle's recorded root cause, for comparison: {expected}[/dim]", highlight=False)
    if propose_change:
        await _propose(report, incident, runtime, actor, work, log)
    log.print(f"[dim]Audit log: {demo_config.audit_path} ({_verify(demo_config.audit_path)}); "
              f"read it with: vigil audit show {demo_config.audit_path}[/dim]", highlight=False)
    return report


def _demo_config(config: Config, replay: Any, bundle: Any, prom_url: str | None, work: Path,
                 incident: Incident) -> Config:
    """The user's config (model, policy, state dir) pointed at the replayed cluster and local Prometheus.

    Whatever cluster the alert names (its `context_label` label), it means the one replayed cluster.
    """
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.prometheus.client import PromSettings

    clusters = {bundle.manifest.cluster.name: replay.context}
    named = incident.labels.get(config.kubernetes.context_label)
    if named:
        clusters[named] = replay.context
    update: dict[str, Any] = {
        "kubernetes": config.kubernetes.model_copy(update={
            "kubeconfig": replay.kubeconfig, "context": replay.context, "clusters": clusters}),
        "prometheus": PromSettings(url=prom_url) if prom_url else None,
    }
    # The bundle's code or none: a code graph of another repository would answer for the wrong service.
    update["codegraph"] = (CodegraphSettings(repo=bundle.code_dir, db=work / "codegraph.db")
                           if bundle.code_dir is not None else None)
    return config.model_copy(update=update)


def _approver(approve: bool, interactive: bool, user: str) -> Any:
    from guardrails.approval import AutoDenyApprover, PreApproved, TerminalApprover

    if approve:
        return PreApproved(user, "vigil demo --yes")
    if interactive:
        return TerminalApprover(user)
    return AutoDenyApprover()


async def _propose(report: Report, incident: Incident, runtime: Any, actor: Any, work: Path, out: Console) -> None:
    """The report's remediation through the one approve-to-fix path (agent/gitops/from_report.py),
    against a local bare remote; the approver is the terminal prompt, `--yes`, or nobody."""
    from agent.gitops.from_report import ProposalTarget, propose_from_report
    from agent.gitops.plain_git import PlainGitProvider
    from agent.gitops.propose import GitOpsRepo
    from guardrails.redaction import redact_text

    if not report.remediation:
        out.print("[yellow]no GitOps change proposed[/yellow]: the report carries no remediation", highlight=False)
        return
    remote = demo_gitops_remote(work)
    target = ProposalTarget(GitOpsRepo(workdir=work / "gitops-clone"), PlainGitProvider(str(remote)))
    out.print(f"[cyan]gitops[/cyan] proposing {report.remediation.summary()} on {remote}", highlight=False)
    outcome = await propose_from_report(report, incident, target, runtime.pipeline, actor)
    result = outcome.result
    if result.ok:
        out.print(f"[green]pull request[/green] {result.summary()}", highlight=False)
        out.print(redact_text(result.diff).text, markup=False, highlight=False, soft_wrap=True)
        out.print(f"Undo it with: vigil rollback {result.action_id}", highlight=False)
    else:
        out.print(f"[yellow]no pull request[/yellow]: {result.summary()}", highlight=False)
        if result.status == "refused" and "headless" in result.reason:
            out.print("Nobody was at a terminal to approve it: run `vigil demo --yes` to approve in advance "
                      "(recorded as such in the audit log).", highlight=False)


def _verify(path: Path) -> str:
    from guardrails.audit import verify

    result = verify(path)
    return f"intact, {result.records} records" if result.ok else f"FAILED: {result.problem}"
