"""Measure redaction and the injection scanner on the blind round-7 corpora.

Why a separate script: each blind round is measured once at first contact, before anyone changes a
rule, and again after the class fixes it prompted; both figures go into one results file so the
first-contact number is never overwritten by the flattering one.

Usage::

    .venv/bin/python benchmarks/guardrails_text/blind7.py --key first_contact
    .venv/bin/python benchmarks/guardrails_text/blind7.py --key after_fixes

Secrets: a listed substring counts as caught when it no longer occurs in ``redact_text(text).text``;
a benign look-alike is kept when every ``keep`` substring still occurs. Injection: a text is
flagged when ``scan(text).suspicious``. Times are wall-clock per call (``time.perf_counter``) after
one warm-up pass, on whatever machine runs it (the shared 2-core box here).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.injection import scan  # noqa: E402
from guardrails.redaction import redact_text  # noqa: E402

CORPUS = ROOT / "tests" / "guardrails_text" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "guardrails_blind7.json"


def _load(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def measure_secrets() -> dict[str, Any]:
    """Per-substring recall, per-line recall, benign kept rate and timing for redact_text."""
    rows = _load("secrets_blind7.jsonl")
    for row in rows:  # warm-up: compile patterns, fill caches
        redact_text(row["text"])
    times: list[float] = []
    caught = total = lines_ok = kept = 0
    missed: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    n_secret = n_benign = 0
    for row in rows:
        t0 = time.perf_counter()
        out = redact_text(row["text"]).text
        times.append((time.perf_counter() - t0) * 1000)
        if row["label"] == "secret":
            n_secret += 1
            left = [s for s in row["secrets"] if s in out]
            total += len(row["secrets"])
            caught += len(row["secrets"]) - len(left)
            if left:
                missed.append({"id": row["id"], "kind": row["kind"], "left": len(left)})
            else:
                lines_ok += 1
        else:
            n_benign += 1
            gone = [s for s in row["keep"] if s not in out]
            if gone:
                dropped.append({"id": row["id"], "kind": row["kind"]})
            else:
                kept += 1
    return {
        "secret_lines": n_secret,
        "secret_substrings": total,
        "recall_substrings": round(caught / total, 3),
        "recall_lines": round(lines_ok / n_secret, 3),
        "benign_lines": n_benign,
        "benign_kept_rate": round(kept / n_benign, 3),
        "missed": missed,
        "benign_changed": dropped,
        "redact_p50_ms": _pct(times, 0.5),
        "redact_p95_ms": _pct(times, 0.95),
    }


def measure_injection() -> dict[str, Any]:
    """Recall on the hostile set, false-positive rate on the benign set, and timing for scan."""
    hostile = _load("injection_hostile_blind7.jsonl")
    benign = _load("injection_benign_blind7.jsonl")
    for row in hostile + benign:
        scan(row["text"])
    times: list[float] = []

    def flagged(row: dict[str, Any]) -> bool:
        t0 = time.perf_counter()
        hit = scan(row["text"]).suspicious
        times.append((time.perf_counter() - t0) * 1000)
        return hit

    missed = [f'{r["id"]} {r["technique"]}/{r["lang"]}' for r in hostile if not flagged(r)]
    false_pos = [f'{r["id"]} {r["technique"]}/{r["lang"]}' for r in benign if flagged(r)]
    return {
        "hostile": len(hostile),
        "benign": len(benign),
        "recall": round(1 - len(missed) / len(hostile), 3),
        "fpr": round(len(false_pos) / len(benign), 3),
        "missed": missed,
        "false_positives": false_pos,
        "scan_p50_ms": _pct(times, 0.5),
        "scan_p95_ms": _pct(times, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, choices=["first_contact", "after_fixes"])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the results file")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    result = {
        "measured_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "secrets": measure_secrets(),
        "injection": measure_injection(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.dry_run:
        return
    doc: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    doc["command"] = f".venv/bin/python benchmarks/guardrails_text/blind7.py --key {args.key}"
    doc["corpora"] = ["tests/guardrails_text/corpus/secrets_blind7.jsonl",
                      "tests/guardrails_text/corpus/injection_hostile_blind7.jsonl",
                      "tests/guardrails_text/corpus/injection_benign_blind7.jsonl"]
    doc[args.key] = result
    RESULTS.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
