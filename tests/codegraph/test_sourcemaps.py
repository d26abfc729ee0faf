"""Stack traces from compiled JavaScript (`dist/*.js`) lead back to the TypeScript that was indexed.

The fixture `js_dist` holds real compiler output, recorded once and committed: `dist/app.js` and
`dist/app.js.map` from esbuild 0.24.2 (`--bundle --platform=node --minify --sourcemap`), and
`dist/tsc/` from TypeScript 5.9.3 (`--inlineSourceMap`, the map as a base64 data URL). The traces
in `traces/` are what Node 20 printed running those files, with the checkout path replaced by
`/app` as in a container. `dist/` is never indexed (a default exclude), as in a real repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mcp_servers.codegraph import answers, sourcemap
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_repository
from tests.codegraph.conftest import FIXTURES


@pytest.fixture
def dist_graph(tmp_path: Path) -> CodeGraph:
    repo = tmp_path / "js_dist"
    shutil.copytree(FIXTURES / "js_dist", repo)
    report = index_repository(repo, tmp_path / "idx.db", workers=1)
    assert not report.errors
    return CodeGraph(tmp_path / "idx.db")


def test_vlq_segments_decode() -> None:
    # Values from the source map specification's encoding: sign in the low bit, 5 bits per digit.
    assert sourcemap.decode_vlq("AAAA") == [0, 0, 0, 0]
    assert sourcemap.decode_vlq("AAgBC") == [0, 0, 16, 1]
    assert sourcemap.decode_vlq("D") == [-1]
    assert sourcemap.decode_vlq("2HwBiB") == [123, 24, 17]
    with pytest.raises(ValueError):
        sourcemap.decode_vlq("A*")
    with pytest.raises(ValueError):
        sourcemap.decode_vlq("g")  # a continuation digit with nothing after it


def test_bundled_minified_trace_maps_to_the_typescript_method(dist_graph: CodeGraph) -> None:
    """esbuild's minified bundle: the frame says `n.total` at dist/app.js:1:563; no name or path
    in the index matches it, only the map does."""
    assert dist_graph.match_path("dist/app.js") is None
    text = answers.stacktrace_answer(dist_graph, (FIXTURES / "js_dist/traces/bundle.txt").read_text(), commits=0)
    assert "raised in: js:src/cart:Cart.total at src/cart.ts:9-18" in text
    assert "js:src/cart:Cart.total (source map: src/cart.ts:13)" in text
    assert "js:src/web/handler:handle (source map: src/web/handler.ts:" in text
    assert "| /app/dist/app.js:1 | Object.<anonymous> | module-level code of src/web/handler.ts |" in text


def test_inline_data_url_map_from_tsc(dist_graph: CodeGraph) -> None:
    text = answers.stacktrace_answer(dist_graph, (FIXTURES / "js_dist/traces/tsc.txt").read_text(), commits=0)
    assert "js:src/cart:Cart.total (source map: src/cart.ts:13)" in text
    assert "js:src/web/handler:handle (source map: src/web/handler.ts:8)" in text


def test_without_a_map_the_function_name_is_used(dist_graph: CodeGraph, tmp_path: Path) -> None:
    trace = ("Error: negative price -1\n"
             "    at Cart.total (/srv/release/lib/cart.js:16:23)\n"
             "    at handle (/srv/release/lib/web/handler.js:10:17)\n")
    text = answers.stacktrace_answer(dist_graph, trace, commits=0)
    assert "js:src/cart:Cart.total (name)" in text and "js:src/web/handler:handle (name)" in text
    # A name defined by another language does not count for a JavaScript frame.
    other = ("Error: boom\n    at make_cart (/srv/release/lib/x.js:1:1)\n")
    assert "not in the index" in answers.stacktrace_answer(dist_graph, other, commits=0)


def test_a_map_never_reads_outside_the_repository(dist_graph: CodeGraph, tmp_path: Path) -> None:
    root = Path(dist_graph.root)
    secret = tmp_path / "outside.js.map"
    secret.write_text(json.dumps({"version": 3, "sources": ["/etc/passwd"], "mappings": "AAAA"}))
    (root / "dist" / "evil.js").write_text("x()\n//# sourceMappingURL=../../outside.js.map\n")
    assert sourcemap.original_position(root, "/app/dist/evil.js", 1, 1) is None
    assert sourcemap.find_generated(root, "/app/../../outside.js.map") is None
    assert sourcemap.find_generated(root, "/etc/passwd") is None
