"""Go extractor: functions, methods (attached to their receiver type), structs, interfaces, fields."""

from __future__ import annotations

from tree_sitter import Node
from tree_sitter_language_pack import get_parser

from mcp_servers.codegraph.lang.base import Scopes, first, matches, one_line, preceding_comment, query, sha, text
from mcp_servers.codegraph.model import Call, FileFacts, Imp, Sym, VarType

DEFS = """
(function_declaration name: (identifier) @name) @func
(method_declaration receiver: (parameter_list) @recv name: (field_identifier) @name) @method
(type_spec name: (type_identifier) @name type: (_) @type) @typedef
"""

REST = """
(call_expression function: (_) @fn arguments: (argument_list) @args) @call
(import_spec) @import
(short_var_declaration left: (expression_list) @left right: (expression_list) @right) @short
(var_spec) @var
(parameter_declaration) @param
(package_clause (package_identifier) @pkg)
"""


def chain_of(node: Node) -> list[str] | None:
    t = node.type
    if t in ("identifier", "field_identifier", "package_identifier", "type_identifier"):
        return [text(node)]
    if t == "selector_expression":
        operand = node.child_by_field_name("operand")
        base = chain_of(operand) if operand is not None else None
        if base is None:
            return None
        base.append(text(node.child_by_field_name("field")))
        return base
    if t == "call_expression":
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


def _value_evidence(node: Node) -> tuple[str, str] | None:
    """What a right-hand side tells about the variable's type: ("call", chain) or ("ann", type)."""
    t = node.type
    if t == "unary_expression":
        operand = node.child_by_field_name("operand")
        return _value_evidence(operand) if operand is not None else None
    if t == "composite_literal":
        return ("ann", text(node.child_by_field_name("type")))
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        chain = chain_of(fn) if fn is not None else None
        if chain and chain != ["new"]:
            return ("call", ".".join(chain))
        args = node.child_by_field_name("arguments")
        if chain == ["new"] and args is not None and args.named_child_count:
            return ("ann", text(args.named_children[0]))
    if t in ("identifier", "selector_expression"):
        chain = chain_of(node)
        return ("name", ".".join(chain)) if chain else None
    return None


def _first_result(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "parameter_list":
        for p in node.named_children:
            if p is not None and p.type == "parameter_declaration":
                return text(p.child_by_field_name("type"))
        return ""
    return text(node)


def _receiver_type(recv: Node) -> tuple[str, str]:
    """(receiver variable name, receiver type name without pointer or type parameters)."""
    for p in recv.named_children:
        if p is not None and p.type == "parameter_declaration":
            name = text(p.child_by_field_name("name"))
            t = text(p.child_by_field_name("type")).lstrip("*").split("[")[0].strip()
            return name, t
    return "", ""


def extract(path: str, src: bytes) -> FileFacts:
    root = get_parser("go").parse(src).root_node
    facts = FileFacts(path=path, lang="go", module="", sha=sha(src), lines=src.count(b"\n") + 1)
    scopes = Scopes()
    is_test = path.endswith("_test.go")
    defs = sorted(matches(query("go", DEFS), root),
                  key=lambda m: (m[1].get("func") or m[1].get("method") or m[1]["typedef"])[0].start_byte)
    for _pattern, caps in defs:
        name = text(first(caps, "name"))
        if "typedef" in caps:
            node = caps["typedef"][0]
            tnode = caps["type"][0]
            kind = {"struct_type": "struct", "interface_type": "interface"}.get(tnode.type, "class")
            local, parent = scopes.add(node.start_byte, node.end_byte, name, kind, node.start_point[0] + 1)
            bases: list[str] = []
            if kind == "struct":
                for fd in _descendants(tnode, "field_declaration"):
                    ftype = text(fd.child_by_field_name("type"))
                    names = fd.children_by_field_name("name")
                    if not names:
                        bases.append(ftype)
                    for n in names:
                        facts.vars.append(VarType(local, text(n), "ann", ftype, local))
            elif kind == "interface":
                for me in _descendants(tnode, "method_elem"):
                    mname = text(me.child_by_field_name("name"))
                    facts.syms.append(Sym(f"{local}.{mname}", "method", mname, me.start_point[0] + 1,
                                          me.end_point[0] + 1, one_line(src, me.start_byte, me.end_byte), "",
                                          local, (), _first_result(me.child_by_field_name("result")), ""))
                for te in tnode.named_children:
                    if te is not None and te.type == "type_elem":
                        bases.append(text(te))
            decl = node.parent if node.parent is not None and node.parent.type == "type_declaration" else node
            facts.syms.append(Sym(local, kind, name, node.start_point[0] + 1, node.end_point[0] + 1,
                                  one_line(src, node.start_byte, tnode.start_byte) + " " + tnode.type.split("_")[0],
                                  preceding_comment(decl), parent, tuple(bases), "", ""))
            continue
        node = first(caps, "func") or caps["method"][0]
        owner = ""
        recv_var = recv_type = ""
        if "method" in caps:
            recv_var, recv_type = _receiver_type(caps["recv"][0])
            owner = recv_type
        kind = "method" if owner else "function"
        local, parent = scopes.add(node.start_byte, node.end_byte, name, kind, node.start_point[0] + 1, owner)
        if recv_var and recv_type:
            facts.vars.append(VarType(local, recv_var, "ann", recv_type, local))
        body = node.child_by_field_name("body")
        sig = one_line(src, node.start_byte, body.start_byte if body is not None else node.end_byte)
        entry = ""
        if is_test and name.startswith(("Test", "Benchmark", "Fuzz")):
            entry = "test"
        elif name == "main" and not owner:
            entry = "main"
        elif "http.ResponseWriter" in sig or "gin.Context" in sig or "echo.Context" in sig:
            entry = "http"
        facts.syms.append(Sym(local, kind, name, node.start_point[0] + 1, node.end_point[0] + 1, sig,
                              preceding_comment(node), parent, (),
                              _first_result(node.child_by_field_name("result")), entry))

    for _pattern, caps in matches(query("go", REST), root):
        if "call" in caps:
            call = caps["call"][0]
            chain = chain_of(caps["fn"][0])
            if chain is None:
                continue
            facts.calls.append(Call(scopes.local_at(call.start_byte), tuple(chain), call.start_point[0] + 1,
                                    caps["args"][0].named_child_count))
        elif "import" in caps:
            node = caps["import"][0]
            ipath = text(node.child_by_field_name("path")).strip('"`')
            alias_node = node.child_by_field_name("name")
            alias = text(alias_node) if alias_node is not None else ipath.rsplit("/", 1)[-1]
            if alias in ("_", "."):
                alias = "*" if alias == "." else ""
            if alias:
                facts.imports.append(Imp(alias, ipath, "*" if alias == "*" else "", node.start_point[0] + 1))
        elif "short" in caps:
            scope = scopes.function_at(caps["short"][0].start_byte)
            lefts = [n for n in caps["left"][0].named_children if n is not None]
            rights = [n for n in caps["right"][0].named_children if n is not None]
            for i, left in enumerate(lefts):
                if left.type != "identifier":
                    continue
                right = rights[i] if i < len(rights) else (rights[0] if len(rights) == 1 and i == 0 else None)
                if len(rights) == 1 and i > 0:
                    right = None
                ev = _value_evidence(right) if right is not None else None
                if ev:
                    facts.vars.append(VarType(scope, text(left), ev[0], ev[1], scope))
        elif "var" in caps:
            node = caps["var"][0]
            scope = scopes.function_at(node.start_byte)
            vtype = node.child_by_field_name("type")
            value = node.child_by_field_name("value")
            values = [n for n in value.named_children if n is not None] if value is not None else []
            for i, n in enumerate(node.children_by_field_name("name")):
                if vtype is not None:
                    facts.vars.append(VarType(scope, text(n), "ann", text(vtype), scope))
                elif i < len(values):
                    ev = _value_evidence(values[i])
                    if ev:
                        facts.vars.append(VarType(scope, text(n), ev[0], ev[1], scope))
        elif "param" in caps:
            node = caps["param"][0]
            owner_node = node.parent.parent if node.parent is not None else None
            if owner_node is None or owner_node.type not in ("function_declaration", "method_declaration",
                                                             "func_literal"):
                continue
            scope = scopes.function_at(node.start_byte)
            ptype = node.child_by_field_name("type")
            for n in node.children_by_field_name("name"):
                facts.vars.append(VarType(scope, text(n), "ann", text(ptype), scope))
        elif "pkg" in caps:
            facts.package = text(caps["pkg"][0])
    return facts


def _descendants(node: Node, kind: str) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        for c in n.named_children:
            if c is None:
                continue
            if c.type == kind:
                out.append(c)
            elif c.type in ("field_declaration_list", "interface_type", "struct_type") or c is node:
                stack.append(c)
    return out
