"""Latency of the text guardrails on realistic ~2,000-token tool results (p50/p99).

Run: .venv/bin/python benchmarks/guardrails_text/bench.py   (writes benchmarks/results/guardrails_text.json)

Every tool result passes `redact_text` and then `scan` before a model sees it, so both sit on the
path of every tool call. The inputs are built from the test corpora (real-looking SRE text):
- logs: a mix of the benign corpus (nginx/envoy/JVM/Go/Python logs, events, stack traces, prose);
- manifests: `kubectl get -o yaml` output of Deployments, ConfigMaps and a Secret;
- hostile: the logs input with a few hostile samples and encoded payloads spliced in;
- secrets: the logs input with a credential of every format spliced in.
`scan` includes the second signal (guardrails/injection_model.py); its own time is reported too.
Each input is cut to about 2,000 tokens (estimate_tokens, ~4 characters per token). Times are CPU
time (time.process_time) of a single call, so neighbours on a shared machine disturb them less.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from guardrails.injection import scan
from guardrails.injection_model import classify
from guardrails.quarantine import quarantine
from guardrails.redaction import redact_text
from mcp_servers.common.compact import CHARS_PER_TOKEN, estimate_tokens

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "guardrails_text" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "guardrails_text.json"
TARGET_TOKENS = 2000
RUNS = 300


def _load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line]


def _cut(text: str) -> str:
    return text[: TARGET_TOKENS * CHARS_PER_TOKEN]


def build_inputs(seed: int = 7) -> dict[str, str]:
    rnd = random.Random(seed)
    benign = [b["text"] for b in _load("injection_benign.jsonl")]
    rnd.shuffle(benign)
    logs = _cut("\n".join(benign))
    objects = []
    for i in range(12):
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"svc-{i}", "namespace": "prod", "labels": {"app": f"svc-{i}"}},
                "spec": {
                    "replicas": 3,
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": f"registry.example.com/svc-{i}:1.{i}.0",
                                    "env": [{"name": "LOG_LEVEL", "value": "info"}],
                                    "resources": {"limits": {"memory": "512Mi"}},
                                }
                            ]
                        }
                    },
                },
            }
        )
    objects.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "cGFzcw=="}})
    manifests = _cut(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objects}, sort_keys=True))
    hostile = [h["text"] for h in _load("injection_hostile.jsonl")]
    lines = logs.splitlines()
    for sample in rnd.sample(hostile, 6):
        lines.insert(rnd.randrange(len(lines)), sample)
    hostile_text = _cut("\n".join(lines))
    secrets = [s["text"] for s in _load("secrets.jsonl") if s["embed"]]
    lines = logs.splitlines()
    for sample in secrets:
        lines.insert(rnd.randrange(len(lines)), f"debug: {sample}")
    secrets_text = _cut("\n".join(lines))
    return {"logs": logs, "manifests": manifests, "hostile": hostile_text, "secrets": secrets_text}


def measure(fn: Callable[[str], object], text: str, runs: int = RUNS) -> dict[str, float]:
    for _ in range(5):
        fn(text)
    samples = []
    for _ in range(runs):
        started = time.process_time()
        fn(text)
        samples.append((time.process_time() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
        "max_ms": round(samples[-1], 3),
    }


def main() -> None:
    inputs = build_inputs()
    results: dict[str, object] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": RUNS,
        "target_tokens": TARGET_TOKENS,
        "inputs": {name: {"tokens": estimate_tokens(text), "chars": len(text)} for name, text in inputs.items()},
        "scan": {},
        "classifier": {},
        "redact_text": {},
        "quarantine": {},
    }
    print(f"{'input':<10} {'tokens':>6}  {'scan p50/p99 ms':>17}  {'of which classifier':>19}  "
          f"{'redact p50/p99 ms':>18}  {'quarantine p50':>14}")
    for name, text in inputs.items():
        s = measure(scan, text)
        c = measure(classify, text)
        results["classifier"][name] = c  # type: ignore[index]
        r = measure(redact_text, text)
        q = measure(lambda t: quarantine(t, "bench"), text)
        results["scan"][name] = s  # type: ignore[index]
        results["redact_text"][name] = r  # type: ignore[index]
        results["quarantine"][name] = q  # type: ignore[index]
        print(
            f"{name:<10} {estimate_tokens(text):>6}  {s['p50_ms']:>7.2f} / {s['p99_ms']:>6.2f}  "
            f"{c['p50_ms']:>8.2f} / {c['p99_ms']:>6.2f}  {r['p50_ms']:>8.2f} / {r['p99_ms']:>6.2f}  "
            f"{q['p50_ms']:>14.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
