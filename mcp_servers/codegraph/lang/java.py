"""Java extractor: classes, interfaces, enums, methods, constructors, typed fields and locals."""

from __future__ import annotations

from tree_sitter import Node
from tree_sitter_language_pack import get_parser

from mcp_servers.codegraph.lang.base import Scopes, first, matches, one_line, preceding_comment, query, sha, text
from mcp_servers.codegraph.model import Call, FileFacts, Imp, Sym, VarType

DEFS = """
(class_declaration name: (identifier) @name) @cls
(interface_declaration name: (identifier) @name) @iface
(enum_declaration name: (identifier) @name) @enum
(record_declaration name: (identifier) @name) @cls
(method_declaration name: (identifier) @name) @method
(constructor_declaration name: (identifier) @name) @method
"""

REST = """
(method_invocation name: (identifier) @name arguments: (argument_list) @args) @call
(object_creation_expression type: (_) @type arguments: (argument_list) @args) @new
(import_declaration) @import
(package_declaration) @package
(field_declaration type: (_) @type) @field
(local_variable_declaration type: (_) @type) @local
(formal_parameter type: (_) @type name: (identifier) @pname) @param
"""

HTTP_ANNOTATIONS = ("Mapping", "@GET", "@POST", "@PUT", "@DELETE", "@Path")


def chain_of(node: Node) -> list[str] | None:
    t = node.type
    if t in ("identifier", "this", "type_identifier"):
        return [text(node)]
    if t in ("field_access", "scoped_identifier", "scoped_type_identifier"):
        obj = node.child_by_field_name("object") or node.child_by_field_name("scope")
        if obj is None and node.named_child_count >= 2:
            obj = node.named_children[0]
        base = chain_of(obj) if obj is not None else None
        if base is None:
            return None
        last = node.child_by_field_name("field") or node.child_by_field_name("name") or node.named_children[-1]
        base.append(text(last))
        return base
    if t == "method_invocation":
        obj = node.child_by_field_name("object")
        base = chain_of(obj) if obj is not None else []
        if base is None:
            return None
        base.append(text(node.child_by_field_name("name")) + "()")
        return base
    if t == "object_creation_expression":
        return [text(node.child_by_field_name("type")).split("<")[0] + "()"]
    if t == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        return chain_of(inner) if inner is not None else None
    return None


def _declared(facts: FileFacts, scope: str, origin: str, tnode: Node, decl: Node) -> None:
    tname = text(tnode)
    for d in decl.children_by_field_name("declarator"):
        name = text(d.child_by_field_name("name"))
        value = d.child_by_field_name("value")
        if tname != "var":
            facts.vars.append(VarType(scope, name, "ann", tname, origin))
        elif value is not None and value.type == "object_creation_expression":
            facts.vars.append(VarType(scope, name, "ann", text(value.child_by_field_name("type")), origin))
        elif value is not None and value.type == "method_invocation":
            chain = chain_of(value)
            if chain:
                chain[-1] = chain[-1][:-2]
                facts.vars.append(VarType(scope, name, "call", ".".join(chain), origin))


def extract(path: str, src: bytes) -> FileFacts:
    root = get_parser("java").parse(src).root_node
    facts = FileFacts(path=path, lang="java", module="", sha=sha(src), lines=src.count(b"\n") + 1)
    scopes = Scopes()
    is_test = "/test/" in f"/{path}" or path.endswith("Test.java")
    defs = sorted(matches(query("java", DEFS), root), key=lambda m: m[1]["name"][0].start_byte)
    for _pattern, caps in defs:
        node = first(caps, "cls") or first(caps, "iface") or first(caps, "enum") or caps["method"][0]
        name = text(caps["name"][0])
        if "method" in caps:
            kind = "method"
        elif "iface" in caps:
            kind = "interface"
        elif "enum" in caps:
            kind = "enum"
        else:
            kind = "class"
        line = node.start_point[0] + 1
        local, parent = scopes.add(node.start_byte, node.end_byte, name, kind, line)
        body = node.child_by_field_name("body")
        sig_start = node.start_byte
        mods = next((c for c in node.children if c.type == "modifiers"), None)
        annotations = ""
        if mods is not None:
            annotations = " ".join(text(a) for a in mods.named_children if a is not None and "annotation" in a.type)
            sig_start = mods.end_byte
        sig = one_line(src, sig_start, body.start_byte if body is not None else node.end_byte).rstrip(";")
        bases: list[str] = []
        for field_name in ("superclass", "interfaces", "extends_interfaces"):
            part = node.child_by_field_name(field_name)
            if part is not None:
                for t in _type_list(part):
                    bases.append(t)
        if kind == "interface":
            for c in node.children:
                if c.type == "extends_interfaces":
                    bases.extend(_type_list(c))
        entry = ""
        if any(h in annotations for h in HTTP_ANNOTATIONS):
            entry = "http"
        elif "@Test" in annotations or (is_test and name.startswith("test") and kind == "method"):
            entry = "test"
        elif name == "main" and "static" in sig:
            entry = "main"
        returns = text(node.child_by_field_name("type")) if kind == "method" else ""
        facts.syms.append(Sym(local, kind, name, line, node.end_point[0] + 1, sig, preceding_comment(node),
                              parent, tuple(dict.fromkeys(bases)), returns, entry))

    for _pattern, caps in matches(query("java", REST), root):
        if "call" in caps:
            call = caps["call"][0]
            chain = chain_of(call)
            if not chain:
                continue
            chain[-1] = chain[-1][:-2]
            facts.calls.append(Call(scopes.local_at(call.start_byte), tuple(chain), call.start_point[0] + 1,
                                    caps["args"][0].named_child_count))
        elif "new" in caps:
            node = caps["new"][0]
            tname = text(caps["type"][0]).split("<")[0]
            facts.calls.append(Call(scopes.local_at(node.start_byte), tuple(tname.split(".")),
                                    node.start_point[0] + 1, caps["args"][0].named_child_count))
        elif "import" in caps:
            node = caps["import"][0]
            raw = text(node).removeprefix("import").strip().rstrip(";").strip()
            is_static = raw.startswith("static ")
            raw = raw.removeprefix("static ").strip()
            line = node.start_point[0] + 1
            if raw.endswith(".*"):
                facts.imports.append(Imp("*", raw[:-2], "*", line))
                continue
            parts = raw.split(".")
            if is_static:
                # package.Class.member: module is the package, member the dotted Class.member.
                facts.imports.append(Imp(parts[-1], ".".join(parts[:-2]), ".".join(parts[-2:]), line))
            else:
                facts.imports.append(Imp(parts[-1], ".".join(parts[:-1]), parts[-1], line))
        elif "package" in caps:
            node = caps["package"][0]
            facts.package = text(node).removeprefix("package").strip().rstrip(";").strip()
        elif "field" in caps:
            node = caps["field"][0]
            cls = scopes.class_at(node.start_byte)
            _declared(facts, cls, cls, caps["type"][0], node)
        elif "local" in caps:
            node = caps["local"][0]
            scope = scopes.function_at(node.start_byte)
            _declared(facts, scope, scope, caps["type"][0], node)
        elif "param" in caps:
            node = caps["param"][0]
            scope = scopes.function_at(node.start_byte)
            facts.vars.append(VarType(scope, text(caps["pname"][0]), "ann", text(caps["type"][0]), scope))
    facts.module = facts.package or path.rsplit("/", 1)[0].replace("/", ".")
    return facts


def _type_list(node: Node) -> list[str]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        for c in n.named_children:
            if c is None:
                continue
            if c.type in ("type_identifier", "scoped_type_identifier", "generic_type"):
                out.append(text(c).split("<")[0])
            elif c.type in ("type_list", "superclass", "super_interfaces", "extends_interfaces"):
                stack.append(c)
    return out
