"""Redaction never changes a name an investigation must read.

The opposite failure of a missed secret: a rule broad enough to catch unknown token formats can take
an object's name for one. S1's general vendor-prefix rule did (`ingress-nginx-controller-7d9f8b6c5d-x2x9q`
became `[REDACTED:...]`, and triage could no longer find that pod's logs; fixed by
`kubernetes_generated_name`). Every new secret rule (statements, configs, command lines, URLs) must
keep the names too, so this test reads them from the scenarios themselves, not from a list: every
object name, namespace, owner, node name, label value, container name and image reference of the
development corpus (examples/corpus) and of several held-out rounds, built in memory by their own
generators, in the lines where a tool shows them (`kubectl get` with labels, `describe`'s Node and
Controlled By, a log line quoting container and image).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails.redaction import redact_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

ROUNDS = ("heldout", "heldout3", "heldout5", "heldout10", "heldout14", "heldout16", "heldout17", "heldout19")
"""Held-out rounds whose scenarios build in about a second each (the whole test stays near 15 s)."""


def _builders(source: str) -> list[Callable[[], Any]]:
    if source == "corpus":
        from corpus.scenarios import ALL

        return list(ALL)
    from benchmarks.heldout import harness

    return harness.Round(source, ROOT / "benchmarks" / source).builders()


def _lines(obj: Any, out: set[str]) -> None:
    """Each name of `obj` (and of the objects it holds) as a tool prints it, and bare."""
    if isinstance(obj, list):
        for item in obj:
            _lines(item, out)
        return
    if not isinstance(obj, dict):
        return
    meta = obj.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        name, ns = meta["name"], meta.get("namespace", "")
        out.update({name, f"{str(obj.get('kind', 'Pod')).lower()}/{name} -n {ns}"})
        if ns:
            out.add(ns)
        labels = meta.get("labels") or {}
        if labels:
            out.add(f"{name}   1/1   Running   0   5m   " + ",".join(f"{k}={v}" for k, v in labels.items()))
            out.update(str(v) for v in labels.values())
        for ref in meta.get("ownerReferences") or []:
            out.add(f"Controlled By:  {ref.get('kind')}/{ref.get('name')}")
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("nodeName"), str):
        out.update({spec["nodeName"], f"Node:         {spec['nodeName']}/10.0.1.20"})
    for key in ("containers", "initContainers"):
        for c in obj.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("image"), str):
                out.update({c["name"], c["image"],
                            f'level=info msg="pulled image" container={c["name"]} image="{c["image"]}"'})
    for value in obj.values():
        _lines(value, out)


@pytest.mark.parametrize("source", ("corpus", *ROUNDS))
def test_names_an_investigation_reads_are_never_redacted(source: str) -> None:
    lines: set[str] = set()
    for build in _builders(source):
        cluster = build().cluster
        for obj in cluster.objects + cluster.nodes + cluster.events + [cluster.pod_object(h) for h in cluster.pods]:
            _lines(obj, lines)
    assert len(lines) > 300  # the scenarios were read, not skipped
    changed = {line: redact_text(line).text for line in sorted(lines) if redact_text(line).text != line}
    assert not changed, changed
