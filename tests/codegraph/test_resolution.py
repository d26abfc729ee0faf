"""Hand-written expected callers for the fixture repository of each language.

The fixtures carry the cases a name match gets wrong: same-named methods in different classes
(`save` on a database and on a cache), aliased imports, calls through typed fields, constructor
assignments and parameter properties, inheritance (`super()`), package-qualified calls and
calls across files of one package. Every symbol of each fixture is listed, so an extra edge
fails the test as surely as a missing one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.codegraph.conftest import build_graph

EXPECTED: dict[str, dict[str, set[str]]] = {
    "py_shop": {
        "py:shop.cart:Cart.__init__": {"py:shop.service:Service.__init__", "py:shop.service:make_cart"},
        "py:shop.cart:Cart.add": {"py:shop.cart:PremiumCart.add", "py:shop.service:Service.checkout"},
        "py:shop.cart:Cart.save": {"py:shop.cart:Cart.add"},
        "py:shop.cart:Cart.total": {"py:shop.cart:PremiumCart.add", "py:shop.service:handler"},
        "py:shop.cart:PremiumCart.add": set(),
        "py:shop.cart:Wishlist": {"py:shop.service:Service.checkout"},
        "py:shop.cart:Wishlist.add": {"py:shop.service:Service.checkout"},
        "py:shop.cart:Wishlist.save": {"py:shop.cart:Wishlist.add"},
        "py:shop.db:Cache.save": {"py:shop.service:Service.checkout"},
        "py:shop.db:Database": {"py:shop.service:Service.__init__", "py:shop.service:make_cart"},
        "py:shop.db:Database._write": {"py:shop.db:Database.save"},
        "py:shop.db:Database.save": {"py:shop.cart:Cart.save"},
        "py:shop.pricing:discount": {"py:shop.cart:Cart.total"},
        "py:shop.pricing:total": {"py:shop.cart:Cart.total"},
        "py:shop.service:make_cart": {"py:shop.service:handler"},
        "py:shop.service:Service.unknown": set(),
    },
    "go_shop": {
        "go:internal/cart:Cart.Add": {"go:cmd/shop:main", "go:internal/cart:Checkout"},
        "go:internal/cart:Checkout": {"go:cmd/shop:handle"},
        "go:internal/cart:New": {"go:cmd/shop:handle", "go:cmd/shop:main"},
        "go:internal/cart:Saver.Save": {"go:internal/cart:Store"},
        "go:internal/cart:Total": {"go:internal/cart:Checkout"},
        "go:internal/db:Cache.Save": {"go:internal/cart:Cart.Add"},
        "go:internal/db:DB.Save": {"go:internal/cart:Cart.Add"},
        "go:internal/db:DB.flush": {"go:internal/db:DB.Save"},
        "go:internal/db:Open": {"go:cmd/shop:handle", "go:cmd/shop:main"},
    },
    "java_shop": {
        "java:com.acme.shop.db:Cache.save": {"java:com.acme.shop:Cart.add"},
        "java:com.acme.shop.db:Database.save": {"java:com.acme.shop:Cart.add"},
        "java:com.acme.shop.db:Database.write": {"java:com.acme.shop.db:Database.save"},
        "java:com.acme.shop.db:Store.save": {"java:com.acme.shop:Cart.add"},
        "java:com.acme.shop:Cart.Cart": {"java:com.acme.shop.web:CartController.add"},
        "java:com.acme.shop:Cart.add": {"java:com.acme.shop.web:CartController.add"},
        # Overloads told apart by the number of arguments.
        "java:com.acme.shop:Pricing.total": {"java:com.acme.shop:Cart.add"},
        "java:com.acme.shop:Pricing.total@8": {"java:com.acme.shop.web:CartController.add"},
    },
    "ts_shop": {
        "js:src/pricing:discount": {"js:src/web/handler:handle"},
        "js:src/pricing:total": {"js:src/services/cart:Cart.add"},
        "js:src/services/cart:Cart.add": {"js:src/web/handler:handle"},
        "js:src/services/cart:Cart.constructor": {"js:src/web/handler:handle"},
        "js:src/services/db:Cache.save": {"js:src/services/cart:Cart.add"},
        "js:src/services/db:Database.save": {"js:src/services/cart:Cart.add", "js:src/web/handler:handle"},
        "js:src/services/db:Database.write": {"js:src/services/db:Database.save"},
        "js:src/services/db:connect": {"js:src/web/handler:handle"},
        "js:src/web/legacy:Cache.save": {"js:src/web/legacy:Legacy.run"},
        "js:src/web/legacy:Legacy.constructor": {"js:src/web/legacy:boot"},
        "js:src/web/legacy:Legacy.run": {"js:src/web/legacy:boot"},
        "js:src/web/legacy:Legacy.step": {"js:src/web/legacy:Legacy.run"},
    },
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_callers_match_hand_checked_answers(fixture: str, tmp_path: Path) -> None:
    g = build_graph(fixture, tmp_path)
    for key, callers in EXPECTED[fixture].items():
        assert key in g.symbols, f"{key} not indexed; have {sorted(g.symbols)}"
        got = {c for c, _ in g.callers(key)}
        assert got == callers, f"callers of {key}: got {sorted(got)}, expected {sorted(callers)}"


def test_unknown_receiver_stays_unresolved(tmp_path: Path) -> None:
    g = build_graph("py_shop", tmp_path)
    assert ("thing.save", 20) in g.unresolved_from("py:shop.service:Service.unknown")
    # ... and it is not attributed to any of the four `save` methods.
    for key in g.find("save"):
        assert "py:shop.service:Service.unknown" not in {c for c, _ in g.callers(key)}
    assert g.unresolved_named("save") >= 1


def test_symbols_carry_location_signature_doc_and_entry_points(tmp_path: Path) -> None:
    py = build_graph("py_shop", tmp_path)
    total = py.symbols["py:shop.pricing:total"]
    assert (total.path, total.start, total.kind) == ("shop/pricing.py", 1, "function")
    assert total.signature == "def total(items)"
    assert total.doc == "Sum of item prices."
    go = build_graph("go_shop", tmp_path)
    assert go.symbols["go:cmd/shop:handle"].entry == "http"
    assert go.symbols["go:cmd/shop:main"].entry == "main"
    assert go.symbols["go:internal/db:DB.Save"].doc == "Save writes one row."
    java = build_graph("java_shop", tmp_path)
    assert java.symbols["java:com.acme.shop.web:CartController.add"].entry == "http"
    assert java.bases["java:com.acme.shop.db:Database"] == ["java:com.acme.shop.db:Store"]


def test_inheritance_and_imports_edges(tmp_path: Path) -> None:
    g = build_graph("py_shop", tmp_path)
    assert g.bases["py:shop.cart:PremiumCart"] == ["py:shop.cart:Cart"]
    imports = {(src, dst) for src, dst in g.db.execute("SELECT src, dst FROM edges WHERE kind='imports'")}
    assert ("shop/service.py", "py:shop.db") in imports
    assert ("shop/cart.py", "py:shop.pricing") in imports


def test_find_accepts_keys_dotted_names_and_file_lines(py_graph) -> None:  # type: ignore[no-untyped-def]
    assert py_graph.find("Database.save") == ["py:shop.db:Database.save"]
    assert py_graph.find("shop.db.Database.save") == ["py:shop.db:Database.save"]
    assert py_graph.find("shop/cart.py:18") == ["py:shop.cart:Cart.save"]
    assert len(py_graph.find("save")) == 4
    assert py_graph.search("shopping cart")[0] == "py:shop.cart:Cart"
