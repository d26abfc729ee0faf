"""Python extractor: definitions, imports, call chains and type evidence from one file."""

from __future__ import annotations

import re

from tree_sitter import Node
from tree_sitter_language_pack import get_parser

from mcp_servers.codegraph.lang.base import Scopes, first, first_paragraph, matches, one_line, query, sha, text
from mcp_servers.codegraph.model import Call, FileFacts, Imp, Sym, VarType

DEFS = """
(function_definition name: (identifier) @name) @func
(class_definition name: (identifier) @name) @cls
"""

REST = """
(call function: (_) @fn arguments: (_) @args) @call
(import_statement) @import
(import_from_statement) @from
(assignment left: (_) @left) @assign
(typed_parameter) @tparam
(typed_default_parameter) @tparam
(with_item value: (as_pattern (call function: (_) @wfn) alias: (as_pattern_target (identifier) @wname)))
"""

HTTP_DECORATORS = ("route", ".get", ".post", ".put", ".delete", ".patch", "api_view", "websocket")
CLI_DECORATORS = ("command", "click.", "typer", ".callback")
MCP_DECORATORS = (".tool(", ".tool\n", ".resource(", ".prompt(")


def module_for(path: str) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; `pkg/__init__.py` -> `pkg`; a top `__init__.py` -> ""
    (the package the index root is; the indexer prefixes its name)."""
    mod = path[:-3] if path.endswith(".py") else path
    mod = mod.replace("/", ".")
    if mod.endswith(".__init__"):
        mod = mod[: -len(".__init__")]
    elif mod == "__init__":
        mod = ""
    return mod


_PLAIN = re.compile(r"[A-Za-z_][\w.]*")


def chain_of(node: Node) -> list[str] | None:
    """`a.b(x).c` -> ["a", "b()", "c"]; None for callees that are not name chains."""
    t = node.type
    if t == "attribute":
        # Most callees are plain dotted names: one text read instead of a walk over the children.
        raw = text(node)
        if _PLAIN.fullmatch(raw):
            return raw.split(".")
    if t == "identifier":
        return [text(node)]
    if t == "attribute":
        obj = node.child_by_field_name("object")
        base = chain_of(obj) if obj is not None else None
        if base is None:
            return None
        base.append(text(node.child_by_field_name("attribute")))
        return base
    if t == "call":
        fn = node.child_by_field_name("function")
        base = chain_of(fn) if fn is not None else None
        if base is None:
            return None
        base[-1] += "()"
        return base
    if t == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        return chain_of(inner) if inner is not None else None
    return None


def _entry(decorators: list[str], name: str, path: str, kind: str) -> str:
    for d in decorators:
        low = d.lower()
        if any(h in low for h in HTTP_DECORATORS):
            return "http"
        if any(h in low for h in CLI_DECORATORS):
            return "cli"
        if any(h in low + "\n" for h in MCP_DECORATORS):
            return "mcp"
        if "fixture" in low:
            return "test"
    base = path.rsplit("/", 1)[-1]
    if name.startswith("test") and kind in ("function", "method") and (
        base.startswith("test_") or base.endswith("_test.py") or "/tests/" in f"/{path}"
    ):
        return "test"
    if name == "main" and kind == "function":
        return "main"
    return ""


def extract(path: str, src: bytes) -> FileFacts:
    tree = get_parser("python").parse(src)
    root = tree.root_node
    facts = FileFacts(path=path, lang="python", module=module_for(path), sha=sha(src), lines=src.count(b"\n") + 1)
    scopes = Scopes()
    # One pass of the query engine over the tree; definitions first, since the rest needs scopes.
    found = matches(query("python", DEFS + REST), root)
    defs = sorted((m for m in found if m[0] < 2), key=lambda m: m[1]["name"][0].start_byte)
    for pattern, caps in defs:
        node = first(caps, "func") or first(caps, "cls")
        name = text(first(caps, "name"))
        body = node.child_by_field_name("body")
        is_func = pattern == 0
        line = node.start_point[0] + 1
        parent_kind_idx = scopes.index_at(node.start_byte)
        in_class = parent_kind_idx >= 0 and scopes.kinds[parent_kind_idx] == "class"
        kind = ("method" if in_class else "function") if is_func else "class"
        local, parent = scopes.add(node.start_byte, node.end_byte, name, kind, line)
        doc = ""
        if body is not None and body.named_child_count:
            stmt = body.named_children[0]
            if stmt is not None and stmt.type == "expression_statement" and stmt.named_child_count:
                stmt = stmt.named_children[0]
            if stmt is not None and stmt.type == "string":
                doc = first_paragraph(text(stmt))
        tail = (node.child_by_field_name("return_type") or node.child_by_field_name("parameters")
                or node.child_by_field_name("superclasses") or first(caps, "name"))
        sig = one_line(src, node.start_byte, tail.end_byte)
        bases: tuple[str, ...] = ()
        returns = ""
        if is_func:
            rt = node.child_by_field_name("return_type")
            returns = text(rt)
        else:
            sup = node.child_by_field_name("superclasses")
            if sup is not None:
                bases = tuple(text(b) for b in sup.named_children
                              if b is not None and b.type in ("identifier", "attribute"))
        decorators: list[str] = []
        outer = node.parent
        if outer is not None and outer.type == "decorated_definition":
            decorators = [text(d) for d in outer.named_children if d is not None and d.type == "decorator"]
            sig = " ".join(d.split("(")[0] for d in decorators) + " " + sig if decorators else sig
        facts.syms.append(Sym(local, kind, name, line, node.end_point[0] + 1, sig, doc, parent, bases, returns,
                              _entry(decorators, name, path, kind)))

    for pattern, caps in found:
        if pattern < 2:
            continue
        if "call" in caps:
            call = caps["call"][0]
            chain = chain_of(caps["fn"][0])
            if chain is None:
                continue
            args = caps["args"][0]
            facts.calls.append(Call(scopes.local_at(call.start_byte), tuple(chain), call.start_point[0] + 1,
                                    args.named_child_count))
        elif "import" in caps:
            node = caps["import"][0]
            line = node.start_point[0] + 1
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    mod = text(child.child_by_field_name("name"))
                    facts.imports.append(Imp(text(child.child_by_field_name("alias")), mod, "", line))
                else:
                    mod = text(child)
                    # `import a.b.c` binds `a`; the chain a.b.c is walked through submodules.
                    facts.imports.append(Imp(mod.split(".")[0], mod.split(".")[0], "", line))
        elif "from" in caps:
            node = caps["from"][0]
            line = node.start_point[0] + 1
            mod = text(node.child_by_field_name("module_name"))
            names = node.children_by_field_name("name")
            if not names and any(c.type == "wildcard_import" for c in node.children):
                facts.imports.append(Imp("*", mod, "*", line))
            for child in names:
                if child.type == "aliased_import":
                    member = text(child.child_by_field_name("name"))
                    facts.imports.append(Imp(text(child.child_by_field_name("alias")), mod, member, line))
                else:
                    member = text(child)
                    facts.imports.append(Imp(member, mod, member, line))
        elif "assign" in caps:
            _assignment(facts, scopes, caps["assign"][0])
        elif "wname" in caps:
            # `with Session() as s`: by convention __enter__ returns self, so s is a Session.
            chain = chain_of(caps["wfn"][0])
            node = caps["wname"][0]
            if chain:
                fscope = scopes.function_at(node.start_byte)
                facts.vars.append(VarType(fscope, text(node), "call", ".".join(chain), fscope))
        elif "tparam" in caps:
            node = caps["tparam"][0]
            tnode = node.child_by_field_name("type")
            name_node = node.child_by_field_name("name")
            if name_node is None:
                name_node = next((c for c in node.named_children if c is not None and c.type == "identifier"), None)
            if tnode is not None and name_node is not None:
                fscope = scopes.function_at(node.start_byte)
                facts.vars.append(VarType(fscope, text(name_node), "ann", text(tnode), fscope))
    return facts


def _assignment(facts: FileFacts, scopes: Scopes, node: Node) -> None:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    ann = node.child_by_field_name("type")
    if left is None:
        return
    pos = node.start_byte
    if left.type == "identifier":
        scope = scopes.local_at(pos)
        idx = scopes.index_at(pos)
        if idx >= 0 and scopes.kinds[idx] != "class":
            scope = scopes.function_at(pos)
        var = text(left)
        origin = scope
    elif left.type == "attribute":
        obj = left.child_by_field_name("object")
        if obj is None or obj.type != "identifier" or text(obj) not in ("self", "cls"):
            return
        scope = scopes.class_at(pos)
        if not scope:
            return
        var = text(left.child_by_field_name("attribute"))
        origin = scopes.function_at(pos)
    else:
        return
    if ann is not None:
        facts.vars.append(VarType(scope, var, "ann", text(ann), origin))
    # `x = a or b` and `x = a if c else b`: the first alternative says what x usually holds.
    while right is not None and right.type in ("boolean_operator", "conditional_expression",
                                               "parenthesized_expression") and right.named_child_count:
        right = right.named_children[0]
    if right is None:
        return
    if right.type == "call":
        fn = right.child_by_field_name("function")
        chain = chain_of(fn) if fn is not None else None
        if chain:
            facts.vars.append(VarType(scope, var, "call", ".".join(chain), origin))
    elif right.type in ("identifier", "attribute"):
        chain = chain_of(right)
        if chain:
            facts.vars.append(VarType(scope, var, "name", ".".join(chain), origin))
