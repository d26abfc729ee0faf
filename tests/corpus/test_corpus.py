"""The development corpus: valid bundles, honest answer keys, enough variety to measure Vigil on.

The corpus is generated once per session (see conftest.py); each test reads it from disk the way
`vigil eval` will.
"""

from __future__ import annotations

import base64
import filecmp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mcp_servers.common.bundle import Bundle, validate_bundle
from tests.corpus.conftest import Corpus, generator

# One marker per log format; each is something only that format prints.
LOG_FORMATS = {
    "json": re.compile(r"Z \{\"ts\":"),
    "logfmt": re.compile(r"Z time=\S+ level=\w+ msg="),
    "envoy-access": re.compile(r'Z \[[^\]]+\] "(GET|POST) \S+ HTTP/1\.1" \d{3} [A-Z-]+ '),
    "nginx-access": re.compile(r'Z \S+ - - \[\d{2}/\w{3}/\d{4}:[\d:]+ \+0000\] "'),
    "klog": re.compile(r"Z [IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ \S+:\d+\] "),
    "go-log": re.compile(r"Z \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} [^\[]"),
    "nginx-error": re.compile(r"Z \d{4}/\d{2}/\d{2} [\d:]+ \[error\] \d+#\d+: \*\d+ "),
    "coredns": re.compile(r'Z \[INFO\] [\d.]+:\d+ - \d+ "A IN '),
    "redis": re.compile(r"Z 1:M \d{2} \w{3} \d{4} [\d:.]+ [*#] "),
    "java-stack": re.compile(r"Z Caused by: java\.\S+Exception"),
    "python-traceback": re.compile(r"Z Traceback \(most recent call last\):"),
    "node-stack": re.compile(r"Z     at \S+ \((/app/|node:)"),
    "postgres": re.compile(r"Z \d{4}-\d{2}-\d{2} [\d:.]+ UTC \[\d+\] (LOG|FATAL|HINT):"),
}


def test_enough_bundles_and_failure_types(corpus: Corpus) -> None:
    names = corpus.names()
    categories = {corpus.answer(n)["category"] for n in names}
    assert len(names) >= 30
    assert len(categories) >= 25, sorted(categories)
    assert sorted(p.stem for p in corpus.answers.glob("*.yaml")) == names
    assert sorted(generator().scenario_names()) == names, "--only takes the bundle names"


def test_every_bundle_validates(corpus: Corpus) -> None:
    for name in corpus.names():
        errors = [str(p) for p in validate_bundle(corpus.bundles / name) if p.severity == "error"]
        assert errors == [], name


def test_answer_keys_follow_the_contract(corpus: Corpus) -> None:
    for name in corpus.names():
        key = corpus.answer(name)
        assert set(key) <= {"culprit", "keywords", "red_herrings", "secret_canaries", "root_cause", "category",
                            "question"}, name
        assert set(key["culprit"]) == {"kind", "namespace", "name"}, name
        assert 2 <= len(key["keywords"]) <= 4, name
        assert key["root_cause"] and key["category"], name
        assert key["red_herrings"], f"{name}: every incident needs something that looks guilty and is not"
        for word in key["keywords"]:
            assert word.lower() in key["root_cause"].lower(), (name, word)


def test_the_keywords_are_evidence_in_the_bundle(corpus: Corpus) -> None:
    """A correct answer can be reached from the bundle: enough keywords to score appear in it."""
    for name in corpus.names():
        words = corpus.answer(name)["keywords"]
        text = corpus.text(name).lower()
        found = [w for w in words if w.lower() in text]
        assert len(found) >= -(-len(words) // 2), (name, sorted(set(words) - set(found)))


def test_culprits_and_red_herrings_are_objects_in_the_bundle(corpus: Corpus) -> None:
    for name in corpus.names():
        bundle = corpus.load(name)
        key = corpus.answer(name)
        for ref in [key["culprit"], *key["red_herrings"]]:
            assert bundle.get(ref["kind"], ref["namespace"] or None, ref["name"]) is not None, (name, ref)
        assert key["culprit"] not in key["red_herrings"], name


def test_answers_stay_outside_the_bundles(corpus: Corpus) -> None:
    for name in corpus.names():
        root = corpus.bundles / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        assert "expected" not in manifest and not manifest.get("description"), name
        assert not list(root.rglob("expected.yaml")), name
        assert corpus.answer(name)["root_cause"] not in corpus.text(name), name


def test_canaries_are_planted_where_a_leak_check_can_see_them(corpus: Corpus) -> None:
    places: set[str] = set()
    for name in corpus.names():
        text = corpus.text(name)
        canaries = corpus.answer(name)["secret_canaries"]
        for canary in canaries:
            assert canary in text or base64.b64encode(canary.encode()).decode() in text, (name, canary)
        places |= _planted_in(corpus.load(name), canaries)
    assert places == {"secret", "configmap", "log", "env", "annotation"}, places


def _planted_in(bundle: Bundle, canaries: list[str]) -> set[str]:
    """Which kinds of place hold a canary: Secret data, ConfigMap data, env values, annotations, logs."""
    def has(value: object) -> bool:
        return isinstance(value, str) and any(c in value for c in canaries)

    found = set()
    for obj in bundle.objects:
        if obj["kind"] == "Secret" and any(has(base64.b64decode(v).decode()) for v in obj.get("data", {}).values()):
            found.add("secret")
        if obj["kind"] == "ConfigMap" and any(has(v) for v in (obj.get("data") or {}).values()):
            found.add("configmap")
        annotations = {k: v for k, v in (obj["metadata"].get("annotations") or {}).items()
                       if k != "kubectl.kubernetes.io/last-applied-configuration"}
        if any(has(v) for v in annotations.values()):
            found.add("annotation")
        if obj["kind"] == "Pod" and any(has(e.get("value")) for c in obj["spec"]["containers"]
                                        for e in c.get("env", [])):
            found.add("env")
    if any(has(text) for text in bundle.logs.values()):
        found.add("log")
    return found


def test_every_bundle_has_a_haystack(corpus: Corpus) -> None:
    for name in corpus.names():
        bundle = corpus.load(name)
        healthy = [p for p in bundle.objects_of("Pod") if p["status"].get("phase") == "Running"
                   and all(c["ready"] for c in p["status"].get("containerStatuses", []))
                   and not p["metadata"].get("deletionTimestamp")]
        assert len(healthy) >= 30, name
        warnings = [e for e in bundle.objects_of("Event") if e.get("type") == "Warning"]
        assert len(warnings) >= 2, name
        restarted = [p for p in healthy if any(c["restartCount"] for c in p["status"]["containerStatuses"])]
        assert restarted, name


def test_alert_sources_vary(corpus: Corpus) -> None:
    sources: dict[str, int] = {}
    alertnames = set()
    for name in corpus.names():
        root = corpus.bundles / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        question = corpus.answer(name).get("question")
        assert manifest["alerts"] or question, f"{name} has neither an alert nor a question"
        if question:
            assert (root / "alerts" / "question.txt").read_text().strip() == question.strip()
            assert manifest["question"] == question.strip(), name
            sources["question"] = sources.get("question", 0) + 1
        for rel in manifest["alerts"]:
            payload = json.loads((root / rel).read_text())
            if "event" in payload:
                sources["pagerduty"] = sources.get("pagerduty", 0) + 1
            else:
                sources["alertmanager"] = sources.get("alertmanager", 0) + 1
                alertnames |= {a["labels"]["alertname"] for a in payload["alerts"]}
    assert set(sources) == {"alertmanager", "pagerduty", "question"}, sources
    assert "ErrorBudgetBurn" in alertnames and len(alertnames) >= 8, alertnames


def test_logs_come_in_many_formats(corpus: Corpus) -> None:
    seen: set[str] = set()
    for name in corpus.names():
        for path in (corpus.bundles / name / "cluster").rglob("*.txt"):
            text = path.read_text(errors="replace")
            seen |= {fmt for fmt, marker in LOG_FORMATS.items() if fmt not in seen and marker.search(text)}
    assert len(seen) >= 6, seen
    assert len(seen) == len(LOG_FORMATS), set(LOG_FORMATS) - seen


def test_generation_is_deterministic(corpus: Corpus, tmp_path: Path) -> None:
    """Same bytes from a second process with another hash seed, through the command line `vigil eval` runs."""
    names = ["orders-api-crashloop", "node-not-ready", "sessions-volume-filling-up", "orders-job-failed"]
    script = Path(generator().__file__)
    result = subprocess.run([sys.executable, str(script), "--out", str(tmp_path / "b"), "--answers",
                             str(tmp_path / "a"), "--only", *names], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert result.returncode == 0, result.stderr
    for name in names:
        cmp = filecmp.dircmp(corpus.bundles / name, tmp_path / "b" / name)
        assert _differences(cmp) == [], name
        assert (tmp_path / "a" / f"{name}.yaml").read_bytes() == (corpus.answers / f"{name}.yaml").read_bytes()


def _differences(cmp: filecmp.dircmp[str]) -> list[str]:
    found = [*cmp.left_only, *cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
    found += mismatch + errors
    for sub in cmp.subdirs.values():
        found += _differences(sub)
    return found


def test_without_answers_the_key_is_the_bundles_expected_yaml(tmp_path: Path, corpus: Corpus) -> None:
    assert generator().main(["--out", str(tmp_path), "--only", "shop-site-503"]) == 0
    bundle = Bundle.load(tmp_path / "shop-site-503")
    assert bundle.expected["culprit"] == corpus.answer("shop-site-503")["culprit"]
    assert bundle.manifest.description


def test_bad_command_lines_are_refused_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        generator().main(["--out", str(tmp_path), "--only", "no-such-incident"])
    assert "unknown scenario" in str(exc.value) and "no-such-incident" in str(exc.value)
    with pytest.raises(SystemExit):
        generator().main(["--out", str(tmp_path), "--answers", str(tmp_path / "keys")])
    assert "--answers must be outside --out" in capsys.readouterr().err
