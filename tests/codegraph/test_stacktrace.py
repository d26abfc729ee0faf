"""Stack traces as logged, per language, parsed and resolved to the function that raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.codegraph import answers
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_repository
from mcp_servers.codegraph.stacktrace import detect_and_parse
from tests.codegraph.conftest import REPO_ROOT, build_graph

PY_TRACE = """2026-04-08T10:39:46Z Traceback (most recent call last):
2026-04-08T10:39:46Z   File "/app/shop/service.py", line 14, in checkout
2026-04-08T10:39:46Z     self.cart.add(item)
2026-04-08T10:39:46Z   File "/app/shop/cart.py", line 15, in add
2026-04-08T10:39:46Z     self.save()
2026-04-08T10:39:46Z   File "/app/shop/cart.py", line 18, in save
2026-04-08T10:39:46Z     self.db.save(self.items)
2026-04-08T10:39:46Z   File "/usr/lib/python3.11/json/__init__.py", line 231, in dumps
2026-04-08T10:39:46Z KeyError: 'price'
"""

GO_TRACE = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 1 [running]:
example.com/shop/internal/db.(*DB).Save(0x0, {0x4b2c1d, 0x4})
\t/src/internal/db/db.go:8 +0x1d
example.com/shop/internal/cart.(*Cart).Add(0xc000010030, {0x4b2c1d, 0x4})
\t/src/internal/cart/cart.go:31 +0x85
main.main()
\t/src/cmd/shop/main.go:18 +0x65
exit status 2
"""

JAVA_TRACE = """java.lang.IllegalStateException: cache closed
\tat com.acme.shop.db.Cache.save(Cache.java:5)
\tat com.acme.shop.Cart.add(Cart.java:19)
\tat com.acme.shop.web.CartController.add(CartController.java:10)
\tat java.base/java.lang.Thread.run(Thread.java:833)
"""

JS_TRACE = """{"level":"error","msg":"TypeError: Cannot read properties of undefined (reading 'length')\\n    at Database.write (/srv/app/src/services/db.ts:8:16)\\n    at Database.save (/srv/app/src/services/db.ts:4:10)\\n    at async handle (file:///srv/app/src/web/handler.ts:9:3)\\n    at node:internal/process/task_queues:95:5"}"""  # noqa: E501


def test_parse_each_format() -> None:
    py = detect_and_parse(PY_TRACE)
    assert py.lang == "python" and py.error == "KeyError: 'price'"
    assert [f.function for f in py.frames] == ["dumps", "save", "add", "checkout"]
    go = detect_and_parse(GO_TRACE)
    assert (go.frames[0].file, go.frames[0].line) == ("/src/internal/db/db.go", 8)
    assert go.error.startswith("panic: runtime error")
    java = detect_and_parse(JAVA_TRACE)
    assert java.frames[0].function == "com.acme.shop.db.Cache.save" and java.frames[0].line == 5
    js = detect_and_parse(JS_TRACE)
    assert [(f.function, f.line) for f in js.frames] == [("Database.write", 8), ("Database.save", 4), ("handle", 9)]


@pytest.mark.parametrize(("fixture", "trace", "raised_in", "caller"), [
    ("py_shop", PY_TRACE, "py:shop.cart:Cart.save", "py:shop.cart:Cart.add"),
    ("go_shop", GO_TRACE, "go:internal/db:DB.Save", "go:internal/cart:Cart.Add"),
    ("java_shop", JAVA_TRACE, "java:com.acme.shop.db:Cache.save", "java:com.acme.shop:Cart.add"),
    ("ts_shop", JS_TRACE, "js:src/services/db:Database.write", "js:src/services/db:Database.save"),
])
def test_trace_resolves_to_the_raising_function(fixture: str, trace: str, raised_in: str, caller: str,
                                                tmp_path: Path) -> None:
    g = build_graph(fixture, tmp_path)
    text = answers.stacktrace_answer(g, trace, commits=0)
    assert f"raised in: {raised_in} " in text
    callers_line = next(line for line in text.splitlines() if line.startswith("  callers ("))
    assert caller in callers_line


def test_library_frames_are_said_to_be_outside(tmp_path: Path) -> None:
    g = build_graph("py_shop", tmp_path)
    text = answers.stacktrace_answer(g, PY_TRACE, commits=0)
    assert "| /usr/lib/python3.11/json/__init__.py:231 | dumps | not in the index" in text


def test_no_frames_gives_an_actionable_error(py_graph: CodeGraph) -> None:
    with pytest.raises(LookupError, match="no stack frames found"):
        answers.stacktrace_answer(py_graph, "everything is fine")


BUNDLE = REPO_ROOT / "examples" / "incidents" / "payments-bad-config"


@pytest.mark.skipif(not (BUNDLE / "code").is_dir(), reason="payments-bad-config bundle not present")
def test_bundled_incident_trace_resolves_to_parse_timeout(tmp_path: Path) -> None:
    """The payments pod's previous container log, as shipped in the bundle, against its code/."""
    index_repository(BUNDLE / "code", tmp_path / "pay.db", workers=1)
    g = CodeGraph(tmp_path / "pay.db")
    logs = sorted(BUNDLE.glob("cluster/payments/payments-*/payments.previous.txt"))
    assert logs, "the bundle has no previous-container log for payments"
    text = answers.stacktrace_answer(g, logs[0].read_text(), commits=1)
    assert "raised in: py:payments.config:parse_timeout at payments/config.py:" in text
    assert "ValueError: could not convert string to float: '5s'" in text
    assert "callers (1): py:payments.config:load_settings" in text
    assert "recent commits touching it:" in text
