"""Loading YAML while remembering the line of every value, so lint can point at it.

PyYAML's safe loader throws line numbers away; its node graph keeps them. We load the data the
normal safe way and walk the node graph in parallel, recording `path -> line` where a path is the
tuple of keys and indexes leading to a value (`("match", "keywords", 2)`).
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlError(ValueError):
    """Unreadable YAML; `line` is 1-based within the text given."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


def load_with_lines(text: str, first_line: int = 1) -> tuple[Any, dict[Path, int]]:
    """The data and a map from each value's path to its line (1-based, offset by `first_line`)."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = (mark.line if mark else 0) + first_line
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(f"invalid YAML: {problem}", line) from exc
    lines: dict[Path, int] = {}
    if node is not None:
        _walk(node, (), lines, first_line)
    return data, lines


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], offset: int) -> None:
    lines[path] = node.start_mark.line + offset
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            _walk(value_node, (*path, key), lines, offset)
            # A key's own line is where an author looks for it (the value may start below).
            lines[(*path, key)] = key_node.start_mark.line + offset
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, offset)


def line_of(lines: dict[Path, int], path: Path, default: int) -> int:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), default)
