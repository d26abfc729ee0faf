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
        "shop.cart:Cart.__init__": {"shop.service:Service.__init__", "shop.service:make_cart"},
        "shop.cart:Cart.add": {"shop.cart:PremiumCart.add", "shop.service:Service.checkout"},
        "shop.cart:Cart.save": {"shop.cart:Cart.add"},
        "shop.cart:Cart.total": {"shop.cart:PremiumCart.add", "shop.service:handler"},
        "shop.cart:PremiumCart.add": set(),
        "shop.cart:Wishlist": {"shop.service:Service.checkout"},
        "shop.cart:Wishlist.add": {"shop.service:Service.checkout"},
        "shop.cart:Wishlist.save": {"shop.cart:Wishlist.add"},
        "shop.db:Cache.save": {"shop.service:Service.checkout"},
        "shop.db:Database": {"shop.service:Service.__init__", "shop.service:make_cart"},
        "shop.db:Database._write": {"shop.db:Database.save"},
        "shop.db:Database.save": {"shop.cart:Cart.save"},
        "shop.pricing:discount": {"shop.cart:Cart.total"},
        "shop.pricing:total": {"shop.cart:Cart.total"},
        "shop.service:make_cart": {"shop.service:handler"},
        "shop.service:Service.unknown": set(),
    },
    "go_shop": {
        "internal/cart:Cart.Add": {"cmd/shop:main", "internal/cart:Checkout"},
        "internal/cart:Checkout": {"cmd/shop:handle"},
        "internal/cart:New": {"cmd/shop:handle", "cmd/shop:main"},
        "internal/cart:Saver.Save": {"internal/cart:Store"},
        "internal/cart:Total": {"internal/cart:Checkout"},
        "internal/db:Cache.Save": {"internal/cart:Cart.Add"},
        "internal/db:DB.Save": {"internal/cart:Cart.Add"},
        "internal/db:DB.flush": {"internal/db:DB.Save"},
        "internal/db:Open": {"cmd/shop:handle", "cmd/shop:main"},
    },
    "java_shop": {
        "com.acme.shop.db:Cache.save": {"com.acme.shop:Cart.add"},
        "com.acme.shop.db:Database.save": {"com.acme.shop:Cart.add"},
        "com.acme.shop.db:Database.write": {"com.acme.shop.db:Database.save"},
        "com.acme.shop.db:Store.save": {"com.acme.shop:Cart.add"},
        "com.acme.shop:Cart.Cart": {"com.acme.shop.web:CartController.add"},
        "com.acme.shop:Cart.add": {"com.acme.shop.web:CartController.add"},
        # Overloads told apart by the number of arguments.
        "com.acme.shop:Pricing.total": {"com.acme.shop:Cart.add"},
        "com.acme.shop:Pricing.total@8": {"com.acme.shop.web:CartController.add"},
    },
    "ts_shop": {
        "src/pricing:discount": {"src/web/handler:handle"},
        "src/pricing:total": {"src/services/cart:Cart.add"},
        "src/services/cart:Cart.add": {"src/web/handler:handle"},
        "src/services/cart:Cart.constructor": {"src/web/handler:handle"},
        "src/services/db:Cache.save": {"src/services/cart:Cart.add"},
        "src/services/db:Database.save": {"src/services/cart:Cart.add", "src/web/handler:handle"},
        "src/services/db:Database.write": {"src/services/db:Database.save"},
        "src/services/db:connect": {"src/web/handler:handle"},
        "src/web/legacy:Cache.save": {"src/web/legacy:Legacy.run"},
        "src/web/legacy:Legacy.constructor": {"src/web/legacy:boot"},
        "src/web/legacy:Legacy.run": {"src/web/legacy:boot"},
        "src/web/legacy:Legacy.step": {"src/web/legacy:Legacy.run"},
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
    assert ("thing.save", 20) in g.unresolved_from("shop.service:Service.unknown")
    # ... and it is not attributed to any of the four `save` methods.
    for key in g.find("save"):
        assert "shop.service:Service.unknown" not in {c for c, _ in g.callers(key)}
    assert g.unresolved_named("save") >= 1


def test_symbols_carry_location_signature_doc_and_entry_points(tmp_path: Path) -> None:
    py = build_graph("py_shop", tmp_path)
    total = py.symbols["shop.pricing:total"]
    assert (total.path, total.start, total.kind) == ("shop/pricing.py", 1, "function")
    assert total.signature == "def total(items)"
    assert total.doc == "Sum of item prices."
    go = build_graph("go_shop", tmp_path)
    assert go.symbols["cmd/shop:handle"].entry == "http"
    assert go.symbols["cmd/shop:main"].entry == "main"
    assert go.symbols["internal/db:DB.Save"].doc == "Save writes one row."
    java = build_graph("java_shop", tmp_path)
    assert java.symbols["com.acme.shop.web:CartController.add"].entry == "http"
    assert java.bases["com.acme.shop.db:Database"] == ["com.acme.shop.db:Store"]


def test_inheritance_and_imports_edges(tmp_path: Path) -> None:
    g = build_graph("py_shop", tmp_path)
    assert g.bases["shop.cart:PremiumCart"] == ["shop.cart:Cart"]
    imports = {(src, dst) for src, dst in g.db.execute("SELECT src, dst FROM edges WHERE kind='imports'")}
    assert ("shop/service.py", "shop.db") in imports
    assert ("shop/cart.py", "shop.pricing") in imports


def test_find_accepts_keys_dotted_names_and_file_lines(py_graph) -> None:  # type: ignore[no-untyped-def]
    assert py_graph.find("Database.save") == ["shop.db:Database.save"]
    assert py_graph.find("shop.db.Database.save") == ["shop.db:Database.save"]
    assert py_graph.find("shop/cart.py:18") == ["shop.cart:Cart.save"]
    assert len(py_graph.find("save")) == 4
    assert py_graph.search("shopping cart")[0] == "shop.cart:Cart"
