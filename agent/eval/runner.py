"""Running an evaluation: every bundle x every model, in parallel, each in its own sandbox.

Each case gets a fresh temporary state directory (audit log, job store, usage ledger), its own
replay API server on its own port and its own Prometheus (through `agent.demo.serve_bundle`, the
one way a bundle is served), and its own event loop in a worker thread. Answer keys are read
before the first investigation starts and are never handed to one.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field
from rich.console import Console

from agent.config import Config
from agent.eval.answers import AnswerKey, key_path, load_answer_key
from agent.eval.models import RecordingModel, build_recorded
from agent.eval.score import Score, score
from agent.llm.settings import LLMSettings
from agent.report import Report

ModelFactory = Callable[[str, Config], RecordingModel | None]


class EvalError(ValueError):
    """Bad arguments to an evaluation (no bundles, a missing key); the message says what to fix."""


class CaseResult(BaseModel):
    """One bundle investigated by one model, scored."""

    bundle: str
    path: str
    model: str
    verdict: str
    score: Score | None = None
    runbook: str | None = None
    top: str = ""
    model_turns: int = 0
    tool_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    """Wall time of the whole case: serving the bundle, the investigation, scoring."""
    error: str | None = None
    key: str = ""
    """The answer key used (a path)."""


class ModelTotals(BaseModel):
    model: str
    cases: int = 0
    verdicts: dict[str, int] = Field(default_factory=dict)
    accuracy: float = 0.0
    """right / cases: a leak, an error, a wrong answer all count against it."""
    model_turns: int = 0
    tool_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0


class EvalResult(BaseModel):
    results: list[CaseResult]
    totals: list[ModelTotals]
    wall_seconds: float


@dataclass(frozen=True)
class Case:
    bundle: Path
    model: str
    key: AnswerKey
    key_path: Path


def expand_bundles(paths: list[Path]) -> list[Path]:
    """Bundle directories from the arguments: a bundle itself, or a directory whose children are bundles."""
    found: list[Path] = []
    for path in paths:
        if (path / "manifest.yaml").is_file():
            found.append(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if (p / "manifest.yaml").is_file())
            if not children:
                raise EvalError(f"{path}: neither a bundle (no manifest.yaml) nor a directory of bundles")
            found.extend(children)
        else:
            raise EvalError(f"{path}: no such directory; pass bundle directories or a directory holding them")
    return list(dict.fromkeys(found))


def plan(bundles: list[Path], models: list[str], answers_dir: Path | None) -> list[Case]:
    """Every (bundle, model) case with its answer key, read and checked now, before anything runs."""
    if answers_dir is not None and not answers_dir.is_dir():
        raise EvalError(f"--answers {answers_dir}: not a directory")
    keys = {}
    for bundle in bundles:
        path = key_path(bundle, answers_dir)
        keys[bundle] = (load_answer_key(path), path)
    return [Case(b, m, *keys[b]) for b in bundles for m in models]


def run_eval(bundles: list[Path], models: list[str], config: Config, *, answers_dir: Path | None = None,
             jobs: int = 2, model_factory: ModelFactory = build_recorded,
             on_result: Callable[[CaseResult], None] | None = None) -> EvalResult:
    """Investigate and score every case, `jobs` at a time; one case failing never stops the others."""
    cases = plan(bundles, models, answers_dir)
    for name in dict.fromkeys(models):  # a bad --model fails before anything runs
        model = model_factory(name, config)
        if model is not None:
            asyncio.run(model.aclose())
    started = time.monotonic()
    results: dict[int, CaseResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="vigil-eval") as pool:
        futures = {pool.submit(run_case, case, config, model_factory): i for i, case in enumerate(cases)}
        for future in as_completed(futures):  # progress as cases finish; results keep the cases' order
            results[futures[future]] = future.result()
            if on_result is not None:
                on_result(results[futures[future]])
    ordered = [results[i] for i in range(len(cases))]
    return EvalResult(results=ordered, totals=totals(ordered, models), wall_seconds=time.monotonic() - started)


def run_case(case: Case, config: Config, model_factory: ModelFactory = build_recorded) -> CaseResult:
    """One bundle, one model: serve, investigate (blind to the key), then score."""
    started = time.monotonic()
    base = CaseResult(bundle=case.bundle.name, path=str(case.bundle), model=case.model, verdict="error",
                      key=str(case.key_path))
    try:
        with tempfile.TemporaryDirectory(prefix="vigil-eval-") as tmp:
            report, sources, bundle_name = _investigate(case, config, Path(tmp), model_factory)
            verdict = score(report, case.key, sources)
    except Exception as exc:  # a broken bundle or a crashed server is this case's result, not the run's end
        base.error = f"{type(exc).__name__}: {exc}"[:500]
        base.seconds = round(time.monotonic() - started, 2)
        return base
    stats = report.stats
    top = report.top
    return base.model_copy(update={
        "bundle": bundle_name, "verdict": verdict.verdict, "score": verdict, "runbook": report.runbook_id,
        "top": top.cause if top else "", "model_turns": stats.model_turns, "tool_calls": stats.tool_calls,
        "tokens": stats.input_tokens + stats.output_tokens, "cost_usd": stats.cost_usd,
        "seconds": round(time.monotonic() - started, 2)})


def _investigate(case: Case, config: Config, work: Path,
                 model_factory: ModelFactory) -> tuple[Report, dict[str, str | bytes], str]:
    from agent.demo import bundle_incident, serve_bundle
    from agent.runtime import investigate_incident
    from guardrails.action import Actor
    from mcp_servers.common.bundle import Bundle

    bundle = Bundle.load(case.bundle)
    incident = bundle_incident(bundle)
    state = work / "state"
    model = model_factory(case.model, config)
    # Runbook-only means no model at all: the runtime would otherwise build the configured one.
    sandboxed = config.model_copy(update={"state_dir": state, "llm": config.llm if model else LLMSettings(),
                                          "audit": config.audit.model_copy(update={"path": None})})
    quiet = Console(file=io.StringIO())

    async def investigate(served: Config) -> Report:
        try:
            return await investigate_incident(incident, served, actor=Actor(name="vigil-eval", origin="cli"),
                                              model=model)
        finally:
            if model is not None:
                await model.aclose()

    with serve_bundle(bundle, sandboxed, work, incident, quiet) as served:
        report = asyncio.run(investigate(served))
    return report, leak_sources(report, state, model.requests if model else []), bundle.name


def leak_sources(report: Report, state_dir: Path, model_requests: list[str]) -> dict[str, str | bytes]:
    """Everything an investigation left behind or sent out, by name, for the canary search."""
    rich = Console(file=io.StringIO(), width=10_000, record=True, soft_wrap=True)
    rich.print(report.render_rich())
    sources: dict[str, str | bytes] = {
        "report json": report.to_json(),
        "report markdown": report.to_markdown(),
        "report terminal": rich.export_text(),
    }
    sources.update(_state_files(state_dir))
    for i, request in enumerate(model_requests, 1):
        sources[f"model request {i}"] = request
    return sources


def _state_files(state_dir: Path, attempts: int = 5) -> dict[str, bytes]:
    """Every file under the state directory, read as one consistent set.

    SQLite removes a database's `-wal` and `-shm` files when its last connection closes, after
    checkpointing their pages into the database file; a connection closing on another thread while
    the directory is read makes a listed file vanish (seen once in a held-out run as
    FileNotFoundError on usage.db-shm, which turned a scored case into an error). The set is read
    again when that happens, so what it returns is a directory as it stood, with the checkpointed
    pages in the database file, not a partial read."""
    for _ in range(attempts):
        files: dict[str, bytes] = {}
        try:
            if state_dir.is_dir():
                for path in sorted(p for p in state_dir.rglob("*") if p.is_file()):
                    files[f"state {path.relative_to(state_dir)}"] = path.read_bytes()
            return files
        except FileNotFoundError:
            continue
    raise RuntimeError(f"{state_dir}: files kept vanishing while the canary search read them")


def totals(results: list[CaseResult], models: list[str]) -> list[ModelTotals]:
    out = []
    for name in dict.fromkeys(models):
        mine = [r for r in results if r.model == name]
        t = ModelTotals(model=name, cases=len(mine))
        for r in mine:
            t.verdicts[r.verdict] = t.verdicts.get(r.verdict, 0) + 1
            t.model_turns += r.model_turns
            t.tool_calls += r.tool_calls
            t.tokens += r.tokens
            t.cost_usd += r.cost_usd
            t.seconds += r.seconds
        t.accuracy = t.verdicts.get("right", 0) / len(mine) if mine else 0.0
        t.seconds = round(t.seconds, 2)
        out.append(t)
    return out
