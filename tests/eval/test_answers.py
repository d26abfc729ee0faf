"""Answer keys: where they are found, and the errors a broken one gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.eval.answers import AnswerKeyError, key_path, load_answer_key

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"


def test_the_answers_dir_wins_over_the_bundles_own_key(tmp_path):
    bundle = INCIDENTS / "checkout-oom"
    assert key_path(bundle, None) == bundle / "expected.yaml"
    assert key_path(bundle, tmp_path) == bundle / "expected.yaml"  # nothing there: the bundle's own
    (tmp_path / "checkout-oom.yaml").write_text("root_cause: x\nculprit: {name: checkout}\n")
    assert key_path(bundle, tmp_path) == tmp_path / "checkout-oom.yaml"


def test_a_bundle_without_a_key_says_where_to_write_one(tmp_path):
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "manifest.yaml").write_text("name: mine\nincident_time: '2026-01-01T00:00:00Z'\n")
    with pytest.raises(AnswerKeyError, match=r"answers/mine\.yaml"):
        key_path(bundle, tmp_path / "answers")


def test_the_shipped_keys_load_with_canaries():
    key = load_answer_key(INCIDENTS / "checkout-oom" / "expected.yaml")
    assert key.culprit.name == "checkout" and key.secret_canaries and key.keywords
    assert key.red_herrings == []


@pytest.mark.parametrize(("text", "field"), [
    ("root_cause: x\n", "culprit"),
    ("root_cause: x\nculprit: {kind: Deployment}\n", "culprit.name"),
    ("root_cause: x\nculprit: {name: a}\nred_herrings: [{kind: Pod}]\n", "red_herrings.0.name"),
    ("root_cause: x\nculprit: {name: a}\nsecret_canaries: secret\n", "secret_canaries"),
    ("- a list\n", "mapping"),
    ("root_cause: [unclosed\n", "YAML"),
])
def test_a_broken_key_names_the_field(tmp_path, text, field):
    path = tmp_path / "k.yaml"
    path.write_text(text)
    with pytest.raises(AnswerKeyError, match=field.replace(".", r"\.")):
        load_answer_key(path)
