"""A bundle's recorded Loki lines (Loki's documented push format, written by hand here) served by
`mcp_servers.loki.replay` and read by Vigil's real Loki MCP server through the official MCP client,
as `serve_bundle` wires them for `vigil investigate --bundle`, the demo and `vigil eval`."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client
from rich.console import Console

from agent.config import Config
from agent.demo import bundle_incident, serve_bundle
from mcp_servers.common.bundle import Bundle, validate_bundle
from mcp_servers.common.server import ServerGuard
from mcp_servers.loki.replay import LokiReplayError, parse_log_query
from mcp_servers.loki.server import build_server

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
NS = 1_000_000_000
T0 = 1773322800  # 2026-03-12T13:40:00Z, before the capture at 15:20


def loki_bundle(target: Path) -> Path:
    bundle = Path(shutil.copytree(INCIDENTS / "catalog-bad-image", target))
    streams = [
        {"stream": {"namespace": "shop", "app": "checkout", "pod": "checkout-1"},
         "values": [[str((T0 + i * 60) * NS), f'level=error msg="payment failed" attempt={i}' if i % 3 == 0
                     else f'level=info msg="order placed" n={i}'] for i in range(30)]},
        {"stream": {"namespace": "shop", "app": "cart", "pod": "cart-0"},
         "values": [[str((T0 + i * 60) * NS), f"level=info msg=ok n={i}"] for i in range(30)]},
    ]
    (bundle / "loki").mkdir()
    (bundle / "loki" / "streams.json").write_text(json.dumps({"streams": streams}))
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
    manifest["loki"] = "loki/streams.json"
    (bundle / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    return bundle


def test_log_queries_parse_and_others_are_refused_with_a_reason():
    matchers, filters = parse_log_query('{namespace="shop", app=~"check.*"} |= "payment" != `retry` |~ "fail(ed)?"')
    assert [str(m) for m in matchers] == ['namespace="shop"', 'app=~"check.*"']
    assert filters == [("|=", "payment"), ("!=", "retry"), ("|~", "fail(ed)?")]
    with pytest.raises(LokiReplayError, match="metric queries"):
        parse_log_query('count_over_time({app="x"}[5m])')
    with pytest.raises(LokiReplayError, match="line filters"):
        parse_log_query('{app="x"} | json | level="error"')


@pytest.mark.anyio
async def test_the_loki_tools_read_a_bundles_lines(tmp_path):
    bundle = Bundle.load(loki_bundle(tmp_path / "b"))
    incident = bundle_incident(bundle)
    with serve_bundle(bundle, Config(state_dir=tmp_path / "s"), tmp_path, incident,
                      Console(file=io.StringIO())) as served:
        assert served.loki is not None
        server = build_server(served.loki, ServerGuard.for_tests(tmp_path, "loki"))
        async with Client(server) as client:
            async def call(name: str, **args: Any) -> str:
                result = await client.call_tool(name, args)
                text = "\n".join(getattr(i, "text", "") for i in result.content)
                assert not result.is_error, text
                return text

            window = {"start": "2026-03-12T13:00:00Z", "end": "2026-03-12T15:00:00Z", "baseline": "none"}
            errors = await call("loki_query", query='{namespace="shop", app="checkout"} |= "payment failed"',
                                **window)
            assert "payment failed" in errors and "order placed" not in errors
            assert "| 10 |" in errors, "one error in three of 30 lines"
            assert "cart" in await call("loki_label_values", label="app", **{k: window[k] for k in ("start", "end")})
            refused = await client.call_tool("loki_query", {"query": 'rate({app="cart"}[5m])', **window})
            assert refused.is_error and "metric queries" in str(refused.content)


def test_a_broken_loki_file_fails_validation(tmp_path):
    bundle = loki_bundle(tmp_path / "b")
    (bundle / "loki" / "streams.json").write_text('{"streams": [{"values": []}]}')
    problems = [p for p in validate_bundle(bundle) if p.severity == "error"]
    assert any("loki" in p.where and "streams[0]" in p.message for p in problems)
