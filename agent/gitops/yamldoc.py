"""Round-trip YAML editing that leaves every byte outside the changed lines alone.

Reviewers of a GitOps pull request read the diff, so a one-value fix must be a one-line diff:
comments, key order, quoting, blank lines and indentation all stay. ruamel.yaml's round-trip mode
keeps most of that, but not everything (a document marker, odd indentation, long lines). So the
file is dumped twice, once unchanged and once edited, and only the lines that differ between those
two dumps are spliced into the original text. Formatting that ruamel would normalise is never
touched because it is identical in both dumps.
"""

from __future__ import annotations

import difflib
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent


class YamlEditError(ValueError):
    """A file that cannot be edited safely, with the path and what to do about it."""


def _yaml(text: str) -> YAML:
    """A round-trip loader/dumper tuned to reproduce `text`'s own style."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        _, seq_indent, offset = load_yaml_guess_indent(text)
    except Exception:  # guessing is best effort; a parse error is reported by the real load
        seq_indent, offset = 2, 0
    yaml.indent(mapping=_mapping_indent(text), sequence=seq_indent or 2, offset=offset or 0)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _mapping_indent(text: str) -> int:
    """The indentation step of nested mappings (`key:` then a deeper `key:`), 2 when unknown."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for here, nxt in itertools.pairwise(lines):
        if here.rstrip().endswith(":") and not here.lstrip().startswith("- "):
            body = nxt.lstrip()
            if not body.startswith("-"):
                step = (len(nxt) - len(body)) - (len(here) - len(here.lstrip()))
                if step > 0:
                    return step
    return 2


@dataclass
class YamlFile:
    """One YAML file (possibly several documents) loaded for editing."""

    path: str
    original: str
    docs: list[Any]
    _yaml: YAML = field(repr=False)
    _noop: str = field(repr=False)

    @classmethod
    def parse(cls, path: str, text: str) -> YamlFile:
        yaml = _yaml(text)
        try:
            docs = [d for d in yaml.load_all(text)]
        except YAMLError as exc:
            raise YamlEditError(f"{path} is not valid YAML ({exc}); fix the file first") from exc
        return cls(path=path, original=text, docs=docs, _yaml=yaml, _noop=_dump(yaml, docs))

    def render(self) -> str:
        """The edited text: the original with only the changed lines replaced."""
        return splice(self.original, self._noop, _dump(self._yaml, self.docs))


def _dump(yaml: YAML, docs: list[Any]) -> str:
    buf = io.StringIO()
    if len(docs) == 1:
        yaml.dump(docs[0], buf)
    else:
        yaml.dump_all(docs, buf)
    return buf.getvalue()


def splice(original: str, noop: str, edited: str) -> str:
    """Apply the noop->edited line changes onto `original`, whose lines align with `noop`.

    Falls back to `edited` when a changed region falls on lines that ruamel reformatted, where
    no honest mapping exists.
    """
    orig_lines = original.splitlines(keepends=True)
    noop_lines = noop.splitlines(keepends=True)
    edit_lines = edited.splitlines(keepends=True)
    to_orig: dict[int, int] = {}
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(None, noop_lines, orig_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                to_orig[i1 + k] = j1 + k
    out: list[str] = []
    cursor = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, noop_lines, edit_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            if any(i not in to_orig for i in range(i1, i2)):
                return edited
            mapped = [to_orig[i] for i in range(i1, i2)]
            if mapped != list(range(mapped[0], mapped[0] + len(mapped))):
                return edited
            start, end = mapped[0], mapped[-1] + 1
        else:
            if i1 in to_orig:
                start = to_orig[i1]
            elif i1 - 1 in to_orig:
                start = to_orig[i1 - 1] + 1
            elif i1 == 0:
                start = 0
            else:
                return edited
            end = start
        if start is None or start < cursor:
            return edited
        out.extend(orig_lines[cursor:start])
        new = edit_lines[j1:j2]
        if end - start == len(new):
            new = [keep_comment_column(old, line) for old, line in zip(orig_lines[start:end], new, strict=True)]
        out.extend(new)
        cursor = end
    out.extend(orig_lines[cursor:])
    return "".join(out)


def keep_comment_column(old: str, new: str) -> str:
    """Put the trailing comment of an edited line back in the column it had (`x: 1   # why`)."""
    suffix = 0
    while suffix < min(len(old), len(new)) and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    shared = new[len(new) - suffix:]
    hash_at = shared.find("#")
    if hash_at < 0 or "#" not in old:
        return new
    comment = shared[hash_at:]
    old_col, new_col = len(old) - len(comment), len(new) - len(comment)
    if old[old_col - 1:old_col] not in (" ", "\t") or new[new_col - 1:new_col] not in (" ", "\t"):
        return new
    code = new[:new_col].rstrip()
    return code + " " * max(1, old_col - len(code)) + comment


_PLAIN = YAML(typ="safe", pure=True)


def _plain_resolves_to_string(value: str) -> bool:
    """Would `value`, written unquoted, read back as the same string?"""
    if value == "" or value != value.strip() or "\n" in value:
        return False
    try:
        return _PLAIN.load(f"v: {value}\n") == {"v": value}
    except YAMLError:
        return False


def string_scalar(value: str, like: Any = None) -> Any:
    """A string scalar in the quoting style of `like` (the value it replaces), quoted when needed."""
    if isinstance(like, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(value)
    if isinstance(like, SingleQuotedScalarString):
        return SingleQuotedScalarString(value)
    if _plain_resolves_to_string(value):
        return value
    return DoubleQuotedScalarString(value)


def set_value(mapping: CommentedMap, key: str, value: Any) -> bool:
    """Set `mapping[key]`, keeping the old quoting style for strings. True when something changed."""
    old = mapping.get(key)
    if isinstance(value, str):
        new: Any = string_scalar(value, old)
    else:
        new = value
    if key in mapping and old == new and type(old) is type(new):
        return False
    if key in mapping and isinstance(value, str) and str(old) == value and isinstance(old, str):
        return False
    mapping[key] = new
    return True


def child_map(mapping: CommentedMap, key: str) -> CommentedMap:
    """`mapping[key]` as a mapping, created (block style) when missing."""
    value = mapping.get(key)
    if value is None:
        value = CommentedMap()
        mapping[key] = value
    if not isinstance(value, CommentedMap):
        raise YamlEditError(f"`{key}` is a {type(value).__name__}, expected a mapping")
    return value


def child_seq(mapping: CommentedMap, key: str) -> CommentedSeq:
    """`mapping[key]` as a sequence, created when missing."""
    value = mapping.get(key)
    if value is None:
        value = CommentedSeq()
        mapping[key] = value
    if not isinstance(value, CommentedSeq):
        raise YamlEditError(f"`{key}` is a {type(value).__name__}, expected a list")
    return value
