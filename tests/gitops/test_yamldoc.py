"""Round-trip edits keep every byte outside the changed lines (real files of the demo repo)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.gitops.yamldoc import YamlEditError, YamlFile, set_value, splice, string_scalar
from tests.gitops.conftest import DEMO_REPO


def changed_lines(before: str, after: str) -> list[tuple[str, int, int]]:
    ops = difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True)).get_opcodes()
    return [(tag, i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal"]


@pytest.mark.parametrize("path", sorted(p.relative_to(DEMO_REPO).as_posix() for p in DEMO_REPO.rglob("*.yaml")
                                        if "templates" not in p.parts))
def test_unedited_file_renders_identically(path: str) -> None:
    text = (DEMO_REPO / path).read_text()
    assert YamlFile.parse(path, text).render() == text


def test_value_change_touches_one_line_and_keeps_comment_and_quotes() -> None:
    path = "apps/checkout/overlays/prod/kustomization.yaml"
    text = (DEMO_REPO / path).read_text()
    f = YamlFile.parse(path, text)
    assert set_value(f.docs[0]["images"][0], "newTag", "1.8.2")
    out = f.render()
    assert changed_lines(text, out) == [("replace", 8, 9)]
    assert out.splitlines()[8] == '    newTag: "1.8.2"   # release train 47'


def test_splice_keeps_formatting_ruamel_would_normalise() -> None:
    # Irregular spacing and a flow map that ruamel rewrites on dump stay as they are.
    text = "a:   1\nb: {x: 1,   y: 2}\nc:\n  d: old   # why\n"
    f = YamlFile.parse("x.yaml", text)
    set_value(f.docs[0]["c"], "d", "new")
    out = f.render()
    assert out.startswith("a:   1\nb: {x: 1,   y: 2}\n")
    assert "d: new" in out and "# why" in out


def test_multi_document_file_edits_only_its_document() -> None:
    text = "# first\nkind: A\nv: 1\n---\nkind: B\nv: 2\n"
    f = YamlFile.parse("m.yaml", text)
    set_value(f.docs[1], "v", 3)
    assert f.render() == "# first\nkind: A\nv: 1\n---\nkind: B\nv: 3\n"


def test_set_value_reports_no_change_for_same_value() -> None:
    f = YamlFile.parse("x.yaml", 'tag: "1.0"\n')
    assert not set_value(f.docs[0], "tag", "1.0")
    assert f.render() == 'tag: "1.0"\n'


def test_ambiguous_strings_are_quoted() -> None:
    assert string_scalar("1.10") != "1.10" or type(string_scalar("1.10")) is not str
    assert type(string_scalar("true")) is not str
    assert type(string_scalar("768Mi")) is str


def test_invalid_yaml_is_a_clear_error() -> None:
    with pytest.raises(YamlEditError, match=r"bad\.yaml is not valid YAML"):
        YamlFile.parse("bad.yaml", "a: [1, 2\n")


def test_splice_falls_back_when_region_was_reformatted() -> None:
    assert splice("a:  1\n", "a: 1\n", "a: 2\n") == "a: 2\n"


def test_every_demo_file_is_readable() -> None:
    assert len(list(Path(DEMO_REPO).rglob("*.yaml"))) > 10


def _scalar_leaves(node: object, found: list[tuple[object, object, int]]) -> None:
    """(mapping, key, line) of every scalar value held by a block mapping in a round-trip tree."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if isinstance(value, CommentedMap | CommentedSeq):
                _scalar_leaves(value, found)
            elif not node.fa.flow_style() and isinstance(value, str | int) and not isinstance(value, bool):
                found.append((node, key, node.lc.value(key)[0]))
    elif isinstance(node, CommentedSeq):
        for item in node:
            _scalar_leaves(item, found)


FILES = sorted(p.relative_to(DEMO_REPO).as_posix() for p in DEMO_REPO.rglob("*.yaml") if "templates" not in p.parts)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(file=st.sampled_from(FILES), pick=st.integers(min_value=0, max_value=10_000),
       value=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12))
def test_any_scalar_edit_changes_exactly_its_own_line(file: str, pick: int, value: str) -> None:
    text = (DEMO_REPO / file).read_text()
    f = YamlFile.parse(file, text)
    leaves: list[tuple[object, object, int]] = []
    for doc in f.docs:
        _scalar_leaves(doc, leaves)
    if not leaves:
        return
    mapping, key, line = leaves[pick % len(leaves)]
    if str(mapping[key]) == value:  # type: ignore[index]
        return
    set_value(mapping, str(key), value)  # type: ignore[arg-type]
    out = f.render()
    before, after = text.splitlines(keepends=True), out.splitlines(keepends=True)
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [line]
    assert YamlFile.parse(file, out).render() == out
