"""Runbook-driven against free-running investigations, per bundled scenario, and the demo's wall time.

Run: .venv/bin/python benchmarks/agent/bench.py   (writes benchmarks/results/agent.json)

Both runs use the same scripted model with one fixed strategy, so the only difference is the
runbook: the model answers as soon as the evidence it has holds a finding; until then it works
through a generic SRE checklist one tool call per turn (what a free-running agent without a runbook
does). With a runbook, the runbook's calls are prefetched in parallel before the first turn and its
conclusion rules hand the model findings at once. Everything else is real: the replay API server,
Debian's Prometheus with the scenario's metrics, Vigil's MCP servers and the guardrails.
Token counts are the scripted model's estimates (about 4 characters per token).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.config import Config
from agent.demo import SCENARIOS_DIR, _demo_config, local_metrics, run_demo, scenario_incident, scenarios
from agent.llm.base import ToolCall, prompt_size
from agent.llm.scripted import ScriptedModel, ScriptedTurn
from agent.runbooks.catalog import Catalog
from agent.runtime import Runtime, investigate_incident
from agent.toolhub import HubTool
from guardrails.action import Actor
from mcp_servers.common.bundle import Bundle
from mcp_servers.common.compact import estimate_tokens
from mcp_servers.kubernetes.replay import replay_server

FIT_WINDOW = 8192
"""The context window of a default llama.cpp / Ollama set-up for a small model."""
ANSWER = ('```json\n{"summary": "done", "hypotheses": '
          '[{"cause": "see findings", "confidence": 0.8, "evidence": []}]}\n```')


def checklist(labels: dict[str, str], start: str) -> list[tuple[str, dict[str, Any]]]:
    """The generic checks a free-running agent makes, in order, one per turn."""
    ns, pod = labels.get("namespace", ""), labels.get("pod", "")
    workload = labels.get("deployment") or re.sub(r"-[a-z0-9]{5,10}-[a-z0-9]{5}$", "", pod)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("k8s_list", {"kind": "Pod", "namespace": ns}),
        ("k8s_describe", {"kind": "Pod", "name": pod, "namespace": ns}),
        ("k8s_logs", {"name": pod, "namespace": ns, "previous": True}),
        ("k8s_logs", {"name": pod, "namespace": ns}),
        ("k8s_events", {"namespace": ns}),
        ("k8s_rollout_history", {"kind": "Deployment", "name": workload, "namespace": ns}),
        ("k8s_nodes", {}),
        ("prom_query", {"query": f'sum by (pod) (kube_pod_container_status_restarts_total{{namespace="{ns}"}})',
                        "time": start}),
        ("prom_query", {"query": f'sum(rate(http_requests_total{{namespace="{ns}",code=~"5.."}}[5m]))',
                        "time": start}),
    ]
    return [(tool, args) for tool, args in calls if args.get("name", "-")]


def strategy(labels: dict[str, str], start: str):  # type: ignore[no-untyped-def]
    plan = checklist(labels, start)

    def step(turn: ScriptedTurn) -> Any:
        opening = turn.messages[0].content
        if "## What Vigil's runbook rules" in opening or turn.index >= len(plan):
            return ANSWER
        tool, args = plan[turn.index]
        return [ToolCall(id=f"b{turn.index}", name=tool, arguments=args)]

    return step


class NoRunbooks(Runtime):
    def catalog(self, connected: Iterable[HubTool] = ()) -> Catalog:
        return Catalog()


async def one_run(bundle: Bundle, with_runbook: bool, scratch: Path) -> dict[str, Any]:
    incident = scenario_incident(bundle)
    start = incident.started_at.isoformat().replace("+00:00", "Z")
    silent = Console(file=io.StringIO())
    with replay_server(bundle, scratch / "kubeconfig") as replay, local_metrics(bundle, silent) as prom_url:
        config = _demo_config(Config(state_dir=scratch / "state"), replay, bundle, prom_url, scratch, incident)
        runtime = (Runtime if with_runbook else NoRunbooks).from_config(config)
        model = ScriptedModel.from_function(strategy(incident.labels, start))
        report = await investigate_incident(incident, config, actor=Actor(name="bench", origin="cli"),
                                            runtime=runtime, model=model)
    return {"model_turns": report.stats.model_turns, "tool_calls": report.stats.tool_calls,
            "tool_calls_before_first_turn": report.stats.prefetched_calls,
            "tokens_in": report.stats.input_tokens, "tokens_out": report.stats.output_tokens,
            "fixed_prompt_tokens": report.stats.fixed_prompt_tokens, "seconds": report.stats.seconds}


async def first_turn(bundle: Bundle, window: int | None, scratch: Path) -> dict[str, Any]:
    """The first model turn's size (system prompt, tool specs, opening message) with a runbook, fitted to
    `window` (None: not fitted), by the four-characters estimate; the model's own tokenizer needs a
    llama.cpp server (`first_turn_model_tokens` in the report's stats), which this machine lacks."""
    incident = scenario_incident(bundle)
    silent = Console(file=io.StringIO())
    with replay_server(bundle, scratch / "kubeconfig") as replay, local_metrics(bundle, silent) as prom_url:
        config = _demo_config(Config(state_dir=scratch / "state"), replay, bundle, prom_url, scratch, incident)
        model = ScriptedModel.of(ANSWER)
        model.window = window
        report = await investigate_incident(incident, config, actor=Actor(name="bench", origin="cli"),
                                            runtime=Runtime.from_config(config), model=model)
    turn = model.turns[0]
    return {"tokens": prompt_size(turn.system, turn.tools) + estimate_tokens(turn.messages[0].content),
            "evidence_cut": report.stats.evidence_cut, "tools": len(turn.tools)}


async def main() -> None:
    results: dict[str, Any] = {"scenarios": {}}
    for name in scenarios():
        bundle = Bundle.load(SCENARIOS_DIR / name)
        entry = {}
        for label, with_runbook in (("with_runbook", True), ("without_runbook", False)):
            with tempfile.TemporaryDirectory() as scratch:
                entry[label] = await one_run(bundle, with_runbook, Path(scratch))
        for label, window in (("first_turn_8k_window", FIT_WINDOW), ("first_turn_unfitted", None)):
            with tempfile.TemporaryDirectory() as scratch:
                entry[label] = await first_turn(bundle, window, Path(scratch))
        results["scenarios"][name] = entry
        print(name, json.dumps(entry))
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        await run_demo("checkout-oom", config=Config(state_dir=Path(scratch)), approve=True,
                       out=Console(file=io.StringIO()), interactive=False)
        results["demo_wall_seconds"] = round(time.perf_counter() - started, 2)
    print("demo wall time (checkout-oom, runbook-only, with the PR):", results["demo_wall_seconds"], "s")
    out = Path(__file__).resolve().parents[1] / "results" / "agent.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
