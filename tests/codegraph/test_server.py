"""The MCP server in process, through the official client and Vigil's guardrail middleware."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from mcp import Client

from mcp_servers.codegraph.server import build_server
from mcp_servers.codegraph.settings import CodegraphSettings
from mcp_servers.common.server import ServerGuard
from tests.codegraph.conftest import FIXTURES

TOOLS = {"get_symbol", "search_symbols", "get_callers", "get_callees", "get_impact_radius",
         "get_module_structure", "changed_symbols", "resolve_stacktrace"}


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    repo = tmp_path / "py_shop"
    shutil.copytree(FIXTURES / "py_shop", repo)
    settings = CodegraphSettings(repo=repo, db=tmp_path / "idx.db")
    return build_server(settings, ServerGuard.for_tests(tmp_path / "state", "codegraph"))


async def call(server, name: str, args: Mapping[str, object]) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    async with Client(server) as client:
        result = await client.call_tool(name, dict(args))
    return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_lists_the_eight_read_only_tools(server) -> None:  # type: ignore[no-untyped-def]
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)


@pytest.mark.anyio
async def test_callers_and_impact(server) -> None:  # type: ignore[no-untyped-def]
    err, text = await call(server, "get_callers", {"symbol": "Database.save"})
    assert not err and text.startswith("1 callers of py:shop.db:Database.save")
    assert "| py:shop.cart:Cart.save | shop/cart.py:17 | 18 |" in text
    err, text = await call(server, "get_impact_radius", {"symbol": "py:shop.db:Database._write", "depth": 3})
    assert not err
    assert "| 3 | py:shop.cart:Cart.add | shop/cart.py:13 |" in text


@pytest.mark.anyio
async def test_every_tool_answers(server) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "get_symbol": ({"symbol": "Cart"}, "class py:shop.cart:Cart"),
        "search_symbols": ({"query": "item prices"}, "py:shop.pricing:total"),
        "get_callees": ({"symbol": "Service.checkout"}, "py:shop.db:Cache.save"),
        "get_module_structure": ({"module": "shop.db"}, "method _write"),
        "changed_symbols": ({"diff": "--- a/shop/db.py\n+++ b/shop/db.py\n@@ -11 +11 @@\n-x\n+y\n"},
                            "py:shop.db:Database._write"),
        "resolve_stacktrace": ({"trace": 'File "/app/shop/db.py", line 11, in _write\nZeroDivisionError: x'},
                               "raised in: py:shop.db:Database._write"),
    }
    for name, (args, expected) in cases.items():
        err, text = await call(server, name, args)
        assert not err, text
        assert expected in text, (name, text)


@pytest.mark.anyio
async def test_errors_tell_the_model_what_to_do(server) -> None:  # type: ignore[no-untyped-def]
    err, text = await call(server, "get_callers", {"symbol": "save"})
    assert err and "ambiguous" in text and "py:shop.db:Database.save" in text
    err, text = await call(server, "get_symbol", {"symbol": "NoSuchThing"})
    assert err and "search_symbols" in text
    err, text = await call(server, "changed_symbols", {})
    assert err and "rev_range" in text


@pytest.mark.anyio
async def test_answers_fit_the_budget(server) -> None:  # type: ignore[no-untyped-def]
    err, text = await call(server, "get_module_structure", {"module": "shop.cart", "budget_tokens": 120})
    assert not err
    assert len(text) <= 120 * 4 + 200
    assert "more rows left out" in text


@pytest.mark.slow
@pytest.mark.anyio
async def test_vigil_mcp_codegraph_over_stdio(tmp_path: Path) -> None:
    """The real entry point as Claude Code starts it: a subprocess speaking MCP on stdio."""
    import sys

    from mcp import StdioServerParameters

    repo = tmp_path / "go_shop"
    shutil.copytree(FIXTURES / "go_shop", repo)
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "mcp_servers.codegraph.cli", "mcp-codegraph", "--repo", str(repo),
        "--state-dir", str(tmp_path / "state")])
    async with Client(params, read_timeout_seconds=60) as client:
        result = await client.call_tool("get_callers", {"symbol": "DB.Save"})
    assert not result.is_error
    assert "go:internal/cart:Cart.Add" in result.content[0].text  # type: ignore[union-attr]
    assert (repo / ".vigil" / "codegraph.db").is_file()
    assert (tmp_path / "state" / "audit.jsonl").read_text().count("get_callers") >= 1
