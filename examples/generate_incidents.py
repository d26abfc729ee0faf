"""Build the bundled incident scenarios into examples/incidents/ (deterministic).

Usage: python examples/generate_incidents.py [OUT_DIR] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from incidentgen import emit, scenarios  # noqa: E402
from incidentgen.code import CONTAINER_ROOT  # noqa: E402
from incidentgen.objects import iso  # noqa: E402

FORMAT = "vigil.dev/bundle/v1"


def write_scenario(s: scenarios.Scenario, out: Path) -> None:
    root = out / s.name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    emit.write_cluster(s.cluster, root)
    emit.resource_metrics(s.cluster, root)
    (root / "metrics").mkdir()
    (root / "metrics" / "metrics.om.txt").write_text(s.metrics.render())
    (root / "alerts").mkdir()
    for name, payload in s.alerts.items():
        (root / "alerts" / name).write_text(json.dumps(payload, indent=2) + "\n")
    manifest = {
        "format": FORMAT,
        "name": s.name,
        "title": s.title,
        "description": s.description,
        "incident_time": iso(s.incident_time),
        "captured_at": iso(s.cluster.captured),
        "metrics_window": {"start": iso(s.metrics.start), "end": iso(s.metrics.end)},
        "cluster": {"context": f"replay-{s.name}", "name": "prod-eu-west-1", "server_version": "v1.30.4"},
        "metrics": "metrics/metrics.om.txt",
        "alerts": [f"alerts/{n}" for n in sorted(s.alerts)],
        "expected": "expected.yaml",
    }
    if s.code_files:
        manifest["code"] = {"path": "code", "container_root": CONTAINER_ROOT, "language": "python"}
        for rel, text in s.code_files.items():
            target = root / "code" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, width=110))
    (root / "expected.yaml").write_text(yaml.safe_dump(s.expected, sort_keys=False, width=110))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default=str(Path(__file__).resolve().parent / "incidents"))
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for build in scenarios.ALL:
        name = build.__name__.replace("_", "-")
        if args.only and name not in args.only:
            continue
        scenario = build()
        write_scenario(scenario, out)
        print(f"wrote {out / scenario.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
