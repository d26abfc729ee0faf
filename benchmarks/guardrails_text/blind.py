"""Measure redaction and the injection scanner on one blind round's corpora (rounds 6 to 17 so far).

Why a separate script: each blind round is measured once at first contact, before anyone changes a
rule, and again after the class fixes it prompted; both figures go into one results file so the
first-contact number is never overwritten by the flattering one.

Usage::

    .venv/bin/python benchmarks/guardrails_text/blind.py --round 7 --key first_contact
    .venv/bin/python benchmarks/guardrails_text/blind.py --round 7 --key after_fixes

Round N reads tests/guardrails_text/corpus/{secrets,injection_hostile,injection_benign}_blindN.jsonl
and writes benchmarks/results/guardrails_blindN.json.

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
ROUNDS = (6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)
"""The blind rounds written so far; a new round adds its three corpus files and its number here."""


def corpora(round_: int) -> list[str]:
    """The round's secret, hostile and benign corpus files, relative to the repository."""
    return [f"tests/guardrails_text/corpus/{kind}_blind{round_}.jsonl"
            for kind in ("secrets", "injection_hostile", "injection_benign")]


def results_file(round_: int) -> Path:
    return ROOT / "benchmarks" / "results" / f"guardrails_blind{round_}.json"


def _load(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def measure_secrets(corpus: str) -> dict[str, Any]:
    """Per-substring recall, per-line recall, benign kept rate and timing for redact_text."""
    rows = _load(corpus)
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


def measure_injection(hostile_corpus: str, benign_corpus: str) -> dict[str, Any]:
    """Recall on the hostile set, false-positive rate on the benign set, and timing for scan."""
    hostile = _load(hostile_corpus)
    benign = _load(benign_corpus)
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
    parser.add_argument("--round", type=int, required=True, choices=ROUNDS, dest="round_")
    parser.add_argument("--key", required=True, choices=["first_contact", "after_fixes"])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the results file")
    args = parser.parse_args()
    files = corpora(args.round_)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    result = {
        "measured_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "secrets": measure_secrets(Path(files[0]).name),
        "injection": measure_injection(Path(files[1]).name, Path(files[2]).name),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.dry_run:
        return
    results = results_file(args.round_)
    doc: dict[str, Any] = json.loads(results.read_text()) if results.exists() else {}
    doc["command"] = f".venv/bin/python benchmarks/guardrails_text/blind.py --round {args.round_} --key {args.key}"
    doc["corpora"] = files
    doc[args.key] = result
    results.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
