"""Write Vigil's development incident corpus: one bundle directory per scenario (deterministic).

Usage: python examples/corpus/generate.py --out DIR [--answers DIR] [--only NAME ...]

With --answers, each answer key goes to ANSWERS/<bundle>.yaml, outside the bundles, and the bundles
carry no expected.yaml (so nothing under investigation can read the answer). Without it, the
answer is written inside each bundle as expected.yaml, the way the shipped examples are.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parent.parent
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from incidentgen import emit  # noqa: E402
from incidentgen.objects import iso  # noqa: E402

from corpus.kit import Incident  # noqa: E402
from corpus.scenarios import ALL  # noqa: E402

FORMAT = "vigil.dev/bundle/v1"


def scenario_names() -> list[str]:
    return [build.__name__.replace("_", "-") for build in ALL]


def write_bundle(inc: Incident, out: Path, answers: Path | None) -> Path:
    """One bundle directory (and its answer key) from a built Incident."""
    root = out / inc.name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    # extra/ as JSON Lists: the format allows YAML or JSON, and JSON writes and loads ten times faster,
    # which matters when an evaluation loads every bundle of the corpus.
    emit.write_cluster(inc.cluster, root, extra_format="json")
    emit.resource_metrics(inc.cluster, root, extra_format="json")
    for ns, pod, container, text, previous in inc.cluster.extra_logs:
        pod_dir = root / "cluster" / ns / pod
        pod_dir.mkdir(parents=True, exist_ok=True)
        if previous:
            (pod_dir / f"{container}.previous.txt").write_text(text)
            continue
        with (pod_dir / "logs.txt").open("a") as fh:
            fh.write(f"==== START logs for container {container} of pod {ns}/{pod} ====\n{text}"
                     f"==== END logs for container {container} of pod {ns}/{pod} ====\n")
    (root / "alerts").mkdir()
    for name, payload in sorted(inc.alerts.items()):
        (root / "alerts" / name).write_text(json.dumps(payload, indent=2) + "\n")
    if inc.question:
        # A question from chat: the manifest's `question` field below, and as text beside the alerts for people.
        (root / "alerts" / "question.txt").write_text(inc.question.rstrip("\n") + "\n")
    # With answer keys kept outside, the manifest says only what the on-call saw: the story is the answer.
    manifest: dict[str, object] = {
        "format": FORMAT, "name": inc.name, "title": inc.title, "description": inc.story if answers is None else "",
        "incident_time": iso(inc.at), "captured_at": iso(inc.captured),
        "cluster": {"context": f"replay-{inc.name}", "name": "prod-eu-west-1", "server_version": "v1.30.4"},
        "alerts": [f"alerts/{n}" for n in sorted(inc.alerts)],
    }
    if inc.question:
        manifest["question"] = inc.question.strip()  # what `vigil investigate --bundle` asks without an alert
    if inc.metrics is not None:
        manifest["metrics_window"] = {"start": iso(inc.metrics.start), "end": iso(inc.metrics.end)}
        manifest["metrics"] = "metrics/metrics.om.txt"
        (root / "metrics").mkdir()
        (root / "metrics" / "metrics.om.txt").write_text(inc.metrics.render())
    if answers is None:
        manifest["expected"] = "expected.yaml"
        (root / "expected.yaml").write_text(yaml.safe_dump({"scenario": inc.name, **inc.answer}, sort_keys=False,
                                                           width=110))
    else:
        answers.mkdir(parents=True, exist_ok=True)
        (answers / f"{inc.name}.yaml").write_text(yaml.safe_dump(inc.answer, sort_keys=False, width=110))
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, width=110))
    return root


def builders(only: list[str]) -> list[Callable[[], Incident]]:
    known = scenario_names()
    unknown = [n for n in only if n not in known]
    if unknown:
        raise SystemExit(f"--only: unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [b for b, n in zip(ALL, known, strict=True) if not only or n in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write one bundle per scenario into")
    parser.add_argument("--answers", help="write answer keys here as <bundle>.yaml instead of inside the bundles")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME",
                        help="build only these scenarios")
    args = parser.parse_args(argv)
    out = Path(args.out)
    answers = Path(args.answers) if args.answers else None
    if answers is not None and answers.resolve().is_relative_to(out.resolve()):
        parser.error("--answers must be outside --out: the bundles must not carry their answers")
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    todo = builders(args.only)
    for build in todo:
        inc = build()
        write_bundle(inc, out, answers)
    print(f"wrote {len(todo)} bundles to {out} in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
