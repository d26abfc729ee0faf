"""The shipped catalog: it loads, lints clean, covers the incidents it promises, and matches itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.incident import Incident, from_text
from agent.runbooks.catalog import SHIPPED_DIR, Catalog
from agent.runbooks.lint import lint_paths
from agent.runbooks.plan import plan_calls
from tests.runbooks.test_parser_lint import GOOD

TOPICS = {
    "CrashLoopBackOff": "crashloopbackoff",
    "OOMKilled": "oomkilled",
    "ImagePullBackOff": "imagepullbackoff",
    "Pending/unschedulable": "pod-pending",
    "high 5xx rate": "high-5xx-rate",
    "latency SLO burn": "latency-slo-burn",
    "node NotReady or pressure": "node-notready",
    "PVC full": "pvc-full",
    "certificate expiry": "certificate-expiry",
    "HPA at max replicas": "hpa-maxed-out",
    "stuck rollout": "stuck-rollout",
    "DNS failures": "dns-failures",
    "fallback": "generic-triage",
}

SHIPPED = Catalog.load([SHIPPED_DIR])


def test_every_shipped_runbook_lints_clean() -> None:
    issues = lint_paths([SHIPPED_DIR])
    assert [str(i) for i in issues] == []
    assert SHIPPED.issues == []


def test_the_catalog_covers_every_promised_incident() -> None:
    ids = {r.id for r in SHIPPED.runbooks}
    assert set(TOPICS.values()) <= ids
    assert len(ids) >= 13
    fallbacks = [r.id for r in SHIPPED.runbooks if r.match.fallback]
    assert fallbacks == ["generic-triage"]


@pytest.mark.parametrize("runbook_id", sorted(set(TOPICS.values()) - {"generic-triage"}))
def test_each_runbook_has_checks_and_rules(runbook_id: str) -> None:
    runbook = SHIPPED.get(runbook_id)
    assert runbook is not None
    assert sum(1 for s in runbook.steps if s.call) >= 3
    assert len(runbook.rules) >= 2
    assert runbook.description


@pytest.mark.parametrize("runbook_id", sorted(set(TOPICS.values()) - {"generic-triage"}))
def test_each_alert_name_picks_its_own_runbook(runbook_id: str) -> None:
    runbook = SHIPPED.get(runbook_id)
    assert runbook is not None
    for name in runbook.match.alertnames:
        incident = Incident(fingerprint="f", title=name, source="alertmanager",
                            labels={"alertname": name, "namespace": "shop"})
        best = [m.runbook.id for m in SHIPPED.match(incident) if m.score == SHIPPED.match(incident)[0].score]
        assert runbook_id in best, f"{name} picks {best}"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("pods in namespace payments are in CrashLoopBackOff", "crashloopbackoff"),
        ("checkout pods OOMKilled in namespace shop", "oomkilled"),
        ("ErrImagePull on the catalog deployment", "imagepullbackoff"),
        ("pods stuck pending, insufficient memory", "pod-pending"),
        ("frontend returns 503 errors", "high-5xx-rate"),
        ("p99 latency is burning the slo", "latency-slo-burn"),
        ("node ip-10-0-1-5 is NotReady", "node-notready"),
        ("postgres pvc is filling up", "pvc-full"),
        ("the tls certificate for api.example.com expires tomorrow", "certificate-expiry"),
        ("checkout hpa at max replicas", "hpa-maxed-out"),
        ("deployment rollout stuck, ProgressDeadlineExceeded", "stuck-rollout"),
        ("could not resolve host: coredns errors", "dns-failures"),
    ],
)
def test_questions_pick_the_right_runbook(question: str, expected: str) -> None:
    assert SHIPPED.match(from_text(question))[0].runbook.id == expected


@pytest.mark.parametrize("runbook_id", sorted(TOPICS.values()))
def test_plans_fill_from_a_typical_alert(runbook_id: str) -> None:
    runbook = SHIPPED.get(runbook_id)
    assert runbook is not None
    labels = {"alertname": "X", "namespace": "shop", "pod": "checkout-7d9f8b6c5d-x2x4z", "container": "checkout",
              "deployment": "checkout", "service": "checkout", "node": "node-1", "persistentvolumeclaim": "data-0",
              "horizontalpodautoscaler": "checkout", "name": "api-tls"}
    plan = plan_calls(runbook, Incident(fingerprint="f", title="t", source="alertmanager", labels=labels))
    assert plan.skipped == []
    assert len(plan.calls) == sum(1 for s in runbook.steps if s.call)
    for call in plan.calls:
        assert all("{{" not in str(v) for v in call.arguments.values())


def test_user_directories_come_first_and_broken_files_are_left_out(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.md").write_text(GOOD)
    (tmp_path / "oom-override.md").write_text(GOOD.replace("id: sample", "id: oomkilled"))
    (tmp_path / "broken.md").write_text("---\nid: broken\n---\n")
    monkeypatch.setenv("VIGIL_RUNBOOKS", str(tmp_path))
    catalog = Catalog.load()
    assert catalog.get("sample") is not None
    override = catalog.get("oomkilled")
    assert override is not None and override.path.endswith("oom-override.md")
    assert catalog.get("broken") is None
    assert any(i.path.endswith("broken.md") and i.level == "error" for i in catalog.issues)
    assert any(i.code == "shadowed" for i in catalog.issues)


def test_the_catalog_parses_each_file_once_and_again_after_it_changes(tmp_path):
    """An investigation loads the catalog each time; unchanged runbooks are not parsed again."""
    import os

    from agent.runbooks import catalog as catalog_module

    source = (SHIPPED_DIR / "oomkilled.md").read_text()
    path = tmp_path / "oomkilled.md"
    path.write_text(source)
    first = Catalog.load([tmp_path]).get("oomkilled")
    assert first is not None and Catalog.load([tmp_path]).get("oomkilled") is first, "cached while unchanged"
    path.write_text(source.replace("title: Container OOMKilled", "title: Container OOMKilled (edited)"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    edited = Catalog.load([tmp_path]).get("oomkilled")
    assert edited is not None and edited is not first and edited.title.endswith("(edited)")
    assert any(key[0] == str(path.resolve()) for key in catalog_module._PARSED)
