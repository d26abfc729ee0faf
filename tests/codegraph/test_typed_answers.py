"""The code-graph tools answer typed content (MCP output schemas) with the text rendered from it.

The real server runs in process behind Vigil's guardrail middleware and is called through the
official MCP client, which checks each structured answer against the tool's published output schema;
the tests check it again with jsonschema, and render the structure back to text.
golden/texts_before_typed.json holds what 231 calls over the py_shop fixture returned as text before
the tools were typed (commit 9ed9424, budgets 150 and 2000, errors included): the text must not
change. Budget cuts are checked on a generated repository, indexed for real, with many callers and
members, so that the cut is large.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client
from pydantic import BaseModel
from typer.testing import CliRunner

from mcp_servers.codegraph import answers, render
from mcp_servers.codegraph.cli import code_app
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import default_db_path, index_repository
from mcp_servers.codegraph.results import (
    CalleesAnswer,
    CallersAnswer,
    ChangedSymbols,
    ImpactAnswer,
    ModuleStructure,
    StacktraceAnswer,
    SymbolAnswer,
    SymbolMatches,
)
from mcp_servers.codegraph.server import build_server
from mcp_servers.codegraph.settings import CodegraphSettings
from mcp_servers.common.compact import estimate_tokens, render_table
from mcp_servers.common.server import ServerGuard
from tests.codegraph.conftest import FIXTURES

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).parent / "golden" / "texts_before_typed.json"

TYPED: dict[str, tuple[type[BaseModel], Callable[[Any], str]]] = {
    "get_symbol": (SymbolAnswer, render.symbol_text),
    "search_symbols": (SymbolMatches, render.search_text),
    "get_callers": (CallersAnswer, render.callers_text),
    "get_callees": (CalleesAnswer, render.callees_text),
    "get_impact_radius": (ImpactAnswer, render.impact_text),
    "get_module_structure": (ModuleStructure, render.structure_text),
    "changed_symbols": (ChangedSymbols, render.changed_text),
    "resolve_stacktrace": (StacktraceAnswer, render.stacktrace_text),
}

FOOTER = re.compile(r"^(\d+) more rows left out \(showing (\d+) of (\d+)\)", re.M)


def _server(repo: Path, tmp_path: Path) -> Any:
    return build_server(CodegraphSettings(repo=repo, db=tmp_path / "idx.db"),
                        ServerGuard.for_tests(tmp_path / "state", "codegraph"))


def _py_shop(tmp_path: Path) -> Path:
    repo = tmp_path / "py_shop"
    shutil.copytree(FIXTURES / "py_shop", repo)
    return repo


def _wide_repo(tmp_path: Path) -> Path:
    """A generated package: `hub` called by 60 functions, a class of 40 methods, a function calling 50."""
    repo = tmp_path / "wide"
    (repo / "wide").mkdir(parents=True)
    (repo / "wide" / "__init__.py").write_text("")
    callers = "\n\n".join(f"def caller_{i:02d}(x):\n    \"\"\"Caller number {i}.\"\"\"\n    return hub(x)"
                          for i in range(60))
    fan_out = "def fan_out():\n" + "".join(f"    caller_{i:02d}(1)\n    missing_{i}()\n" for i in range(25))
    method = "    def method_{:02d}(self, value: int, other: str = 'x') -> int:\n        return hub(value)\n\n"
    methods = "".join(method.format(i) for i in range(40))
    (repo / "wide" / "core.py").write_text(
        f"def hub(x):\n    \"\"\"The function everyone calls.\"\"\"\n    return x\n\n\n{callers}\n\n\n{fan_out}\n\n"
        f"class Big:\n    \"\"\"A class with many members.\"\"\"\n\n{methods}")
    return repo


def _table_rows(text: str) -> int:
    """Data rows of the (last) pipe table in a text."""
    return sum(1 for line in text.splitlines() if line.startswith("| ")) - 1


async def _typed_call(c: Client, tools: dict[str, Any], name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = await c.call_tool(name, args)
    assert not result.is_error, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    data = result.structured_content
    assert isinstance(data, dict), name
    jsonschema.validate(data, tools[name].output_schema)
    model_type, to_text = TYPED[name]
    assert to_text(model_type.model_validate(data)) == text, name
    return text, data


async def test_every_tool_publishes_its_models_schema(tmp_path: Path) -> None:
    async with Client(_server(_py_shop(tmp_path), tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    assert set(tools) == set(TYPED)
    for name, (model_type, _) in TYPED.items():
        schema = tools[name].output_schema or {}
        assert set(schema.get("properties", {})) == set(model_type.model_fields), name
        assert set(schema.get("required", [])) >= {"left_out"}, name


async def test_text_is_unchanged_and_rendered_from_the_structure(tmp_path: Path) -> None:
    calls = json.loads(GOLDEN.read_text())
    assert len(calls) == 231
    async with Client(_server(_py_shop(tmp_path), tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        for name, args, expected, is_error in calls:
            if is_error:
                result = await c.call_tool(name, args)
                message = result.content[0].text  # type: ignore[union-attr]
                assert result.is_error and message == f"Error executing tool {name}: {expected}", (name, args)
                assert result.structured_content is None
                continue
            text, _ = await _typed_call(c, tools, name, args)
            assert text == expected, (name, args)


async def test_a_budget_cut_shows_in_text_and_structure_alike(tmp_path: Path) -> None:
    async with Client(_server(_wide_repo(tmp_path), tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        cases: list[tuple[str, dict[str, Any], str, Callable[[dict[str, Any]], int]]] = [
            ("get_callers", {"symbol": "hub", "budget_tokens": 300}, "callers", lambda d: d["callers_total"]),
            ("get_callees", {"symbol": "fan_out", "budget_tokens": 300}, "callees+unresolved",
             lambda d: d["callees_total"] + d["unresolved_total"]),
            ("get_callees", {"symbol": "fan_out", "budget_tokens": 500}, "callees+unresolved",
             lambda d: d["callees_total"] + d["unresolved_total"]),
            ("get_impact_radius", {"symbol": "hub", "depth": 2, "budget_tokens": 400}, "callers",
             lambda d: d["callers_total"]),
            ("get_module_structure", {"module": "wide.core", "budget_tokens": 400}, "definitions",
             lambda d: d["total"]),
            ("get_symbol", {"symbol": "Big", "budget_tokens": 300}, "members", lambda d: d["members_total"]),
            ("search_symbols", {"query": "caller", "limit": 50, "budget_tokens": 250}, "matches",
             lambda d: d["total"]),
        ]
        for name, args, field, total in cases:
            text, data = await _typed_call(c, tools, name, args)
            both = field == "callees+unresolved"
            shown = len(data["callees"]) + len(data["unresolved"]) if both else len(data[field])
            footer = FOOTER.search(text)
            assert footer is not None and data["left_out"] > 0, (name, text)
            assert (int(footer[1]), int(footer[2])) == (data["left_out"], shown), (name, text)
            assert _table_rows(text) == shown and shown + data["left_out"] == total(data), (name, text)
            assert estimate_tokens(text) <= args["budget_tokens"], (name, text)
        # Both kinds of callee rows, cut in their table order: every indexed callee before any unresolved one.
        _, data = await _typed_call(c, tools, "get_callees", {"symbol": "fan_out", "budget_tokens": 500})
        assert data["callees_total"] == 25 and data["unresolved_total"] == 25
        assert len(data["callees"]) == 25 and 0 < len(data["unresolved"]) < 25
        _, data = await _typed_call(c, tools, "get_callers", {"symbol": "hub", "budget_tokens": 300})
        assert data["callers_total"] == 100 and data["callers"][0]["symbol"] == "py:wide.core:Big.method_00"
        assert data["callers"][0]["call_lines"] and data["callers"][0]["file"] == "wide/core.py"


async def test_errors_stay_tool_errors_without_structure(tmp_path: Path) -> None:
    errors: list[tuple[str, dict[str, Any], str]] = [
        ("get_symbol", {"symbol": "NoSuchThing"}, "search_symbols"),
        ("get_callers", {"symbol": "save"}, "ambiguous"),
        ("get_impact_radius", {"symbol": "Cart", "depth": 11}, "between 1 and 10"),
        ("resolve_stacktrace", {"trace": "no frames here"}, "no stack frames")]
    async with Client(_server(_py_shop(tmp_path), tmp_path)) as c:
        for name, args, words in errors:
            result = await c.call_tool(name, args)
            assert result.is_error and words in result.content[0].text, name  # type: ignore[union-attr]
            assert result.structured_content is None


def test_rows_within_is_render_tables_own_cut(tmp_path: Path) -> None:
    """The count the answers cut a model to is the count render_table shows, at every budget."""
    repo = _wide_repo(tmp_path)
    index_repository(repo, tmp_path / "w.db", workers=1)
    g = CodeGraph(tmp_path / "w.db")
    structure = answers.structure_result(g, "wide.core", 10**9)
    rows: list[tuple[Any, ...]] = [(d.file, d.line, render.definition_cell(d.nesting, d.kind, d.name), d.signature,
                                    d.callers) for d in structure.definitions]
    # Cells past the width limit, pipes and newlines (replaced, not dropped), and an empty cell.
    rows[3] = ("x" * 200, None, "a|b\nc", "", 0)
    for budget in range(0, 1600, 7):
        for title, hint in (("", None), ("structure of wide.core:", render.STRUCTURE_HINT)):
            n = render.rows_within(render.STRUCTURE_COLUMNS, rows, budget, title=title, more_hint=hint)
            cut = render_table(render.STRUCTURE_COLUMNS, rows, budget_tokens=budget, title=title, more_hint=hint)
            whole = render_table(render.STRUCTURE_COLUMNS, rows[:n], budget_tokens=10**9, title=title,
                                 more_hint=hint, total=len(rows))
            assert cut == whole, budget


def test_cli_prints_the_tools_text(tmp_path: Path) -> None:
    """`vigil code ...` renders the same models with the same renderer (at an unlimited budget)."""
    repo = _wide_repo(tmp_path)
    index_repository(repo, default_db_path(repo), workers=1)
    result = CliRunner().invoke(code_app, ["callers", "hub", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    g = CodeGraph(default_db_path(repo))
    model = answers.callers_result(g, "hub", budget_tokens=100_000)
    assert model.left_out == 0 and len(model.callers) == 100
    assert result.output == render.callers_text(model) + "\n"
