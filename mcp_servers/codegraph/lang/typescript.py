"""TypeScript / JavaScript extractor: ES imports, classes, methods, functions and arrow functions,
typed fields, constructor parameter properties, typed parameters and `new` assignments."""

from __future__ import annotations

import re
from collections.abc import Callable

from tree_sitter import Node
from tree_sitter_language_pack import get_parser

from mcp_servers.codegraph.lang.base import Scopes, matches, one_line, preceding_comment, query, sha, text
from mcp_servers.codegraph.model import Call, FileFacts, Imp, Sym, VarType

DEFS_TS = """
(function_declaration name: (identifier) @name) @func
(generator_function_declaration name: (identifier) @name) @func
(class_declaration name: (_) @name) @cls
(abstract_class_declaration name: (_) @name) @cls
(interface_declaration name: (_) @name) @iface
(method_definition name: (_) @name) @method
(abstract_method_signature name: (_) @name) @method
(method_signature name: (_) @name) @method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @func
"""
DEFS_JS = """
(function_declaration name: (identifier) @name) @func
(generator_function_declaration name: (identifier) @name) @func
(class_declaration name: (_) @name) @cls
(method_definition name: (_) @name) @method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @func
"""

REST_TS = """
(call_expression function: (_) @fn arguments: (arguments) @args) @call
(new_expression constructor: (_) @fn arguments: (arguments)? @args) @new
(import_statement) @import
(export_statement) @export
(public_field_definition) @field
(required_parameter) @param
(optional_parameter) @param
(variable_declarator name: (identifier) @vname value: (_) @value) @var
"""
REST_JS = """
(call_expression function: (_) @fn arguments: (arguments) @args) @call
(new_expression constructor: (_) @fn arguments: (arguments)? @args) @new
(import_statement) @import
(export_statement) @export
(field_definition) @field
(variable_declarator name: (identifier) @vname value: (_) @value) @var
(assignment_expression left: (member_expression object: (this) property: (_) @prop)
                       right: (new_expression constructor: (_) @ctor)) @thisnew
"""

HTTP_DECORATORS = ("@Get", "@Post", "@Put", "@Delete", "@Patch", "@Controller")
_TEST_FILE = re.compile(r"(\.|_)(test|spec)\.[jt]sx?$")


def module_for(path: str) -> str:
    return re.sub(r"\.(ts|tsx|js|jsx|mjs|cjs)$", "", path)


def chain_of(node: Node) -> list[str] | None:
    t = node.type
    if t in ("identifier", "this", "property_identifier", "type_identifier", "super"):
        return [text(node)]
    if t == "member_expression":
        obj = node.child_by_field_name("object")
        base = chain_of(obj) if obj is not None else None
        if base is None:
            return None
        base.append(text(node.child_by_field_name("property")))
        return base
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        base = chain_of(fn) if fn is not None else None
        if base is None:
            return None
        base[-1] += "()"
        return base
    if t == "new_expression":
        ctor = node.child_by_field_name("constructor")
        base = chain_of(ctor) if ctor is not None else None
        if base is None:
            return None
        base[-1] += "()"
        return base
    if t in ("parenthesized_expression", "non_null_expression", "await_expression") and node.named_child_count:
        inner = node.named_children[0]
        return chain_of(inner) if inner is not None else None
    return None


def _type_of(annotation: Node | None) -> str:
    """`: Foo<T>` -> Foo."""
    if annotation is None:
        return ""
    raw = text(annotation).lstrip(":").strip()
    return raw.split("<")[0].strip()


def extract_for(lang: str) -> Callable[[str, bytes], FileFacts]:
    def extract(path: str, src: bytes) -> FileFacts:
        return _extract(lang, path, src)

    return extract


def _extract(lang: str, path: str, src: bytes) -> FileFacts:
    grammar = lang
    typed = lang in ("typescript", "tsx")
    root = get_parser(grammar).parse(src).root_node  # type: ignore[arg-type]
    facts = FileFacts(path=path, lang=lang, module=module_for(path), sha=sha(src), lines=src.count(b"\n") + 1)
    scopes = Scopes()
    is_test = bool(_TEST_FILE.search(path))
    defs = sorted(matches(query(grammar, DEFS_TS if typed else DEFS_JS), root),
                  key=lambda m: m[1]["name"][0].start_byte)
    for _pattern, caps in defs:
        node = (caps.get("func") or caps.get("cls") or caps.get("iface") or caps["method"])[0]
        name = text(caps["name"][0])
        if "method" in caps:
            kind = "method"
        elif "cls" in caps:
            kind = "class"
        elif "iface" in caps:
            kind = "interface"
        else:
            kind = "function"
        line = node.start_point[0] + 1
        local, parent = scopes.add(node.start_byte, node.end_byte, name, kind, line)
        body = node.child_by_field_name("body")
        value = node.child_by_field_name("value") if node.type == "variable_declarator" else None
        if value is not None:
            body = value.child_by_field_name("body")
        sig = one_line(src, node.start_byte, body.start_byte if body is not None else node.end_byte).rstrip("{ =>")
        bases: list[str] = []
        returns = ""
        if kind in ("class", "interface"):
            for c in node.named_children:
                if c is not None and c.type in ("class_heritage", "extends_type_clause"):
                    bases.extend(_heritage(c))
        else:
            holder = value if value is not None else node
            returns = _type_of(holder.child_by_field_name("return_type"))
        decorators = " ".join(text(c) for c in node.children if c.type == "decorator")
        entry = ""
        if any(d in decorators for d in HTTP_DECORATORS):
            entry = "http"
        elif is_test:
            entry = "test"
        doc_node = node
        while doc_node.parent is not None and doc_node.parent.type in ("export_statement", "lexical_declaration",
                                                                       "variable_declaration"):
            doc_node = doc_node.parent
        facts.syms.append(Sym(local, kind, name, line, node.end_point[0] + 1, sig, preceding_comment(doc_node),
                              parent, tuple(bases), returns, entry))

    for _pattern, caps in matches(query(grammar, REST_TS if typed else REST_JS), root):
        if "call" in caps or "new" in caps:
            node = (caps.get("call") or caps["new"])[0]
            chain = chain_of(caps["fn"][0])
            if chain is None or chain == ["super"]:
                continue
            args = caps.get("args")
            argc = args[0].named_child_count if args else 0
            facts.calls.append(Call(scopes.local_at(node.start_byte), tuple(chain), node.start_point[0] + 1, argc))
        elif "import" in caps:
            _import(facts, caps["import"][0])
        elif "export" in caps:
            node = caps["export"][0]
            if any(c.type == "default" for c in node.children):
                decl = node.child_by_field_name("declaration") or node.child_by_field_name("value")
                if decl is not None:
                    name_node = decl.child_by_field_name("name") if decl.type != "identifier" else decl
                    if name_node is not None:
                        facts.default_export = text(name_node)
        elif "field" in caps:
            node = caps["field"][0]
            cls = scopes.class_at(node.start_byte)
            name = text(node.child_by_field_name("name") or node.child_by_field_name("property"))
            tname = _type_of(node.child_by_field_name("type"))
            value = node.child_by_field_name("value")
            if tname:
                facts.vars.append(VarType(cls, name, "ann", tname, cls))
            elif value is not None and value.type == "new_expression":
                facts.vars.append(VarType(cls, name, "ann", text(value.child_by_field_name("constructor")), cls))
        elif "param" in caps:
            node = caps["param"][0]
            pattern = node.child_by_field_name("pattern")
            tname = _type_of(node.child_by_field_name("type"))
            if pattern is None or pattern.type != "identifier" or not tname:
                continue
            scope = scopes.function_at(node.start_byte)
            facts.vars.append(VarType(scope, text(pattern), "ann", tname, scope))
            if any(c.type == "accessibility_modifier" for c in node.children) or \
                    any(c.type == "readonly" for c in node.children):
                cls = scopes.class_at(node.start_byte)
                if cls:
                    facts.vars.append(VarType(cls, text(pattern), "ann", tname, cls))
        elif "var" in caps:
            node = caps["var"][0]
            value = caps["value"][0]
            scope = scopes.function_at(node.start_byte)
            name = text(caps["vname"][0])
            tname = _type_of(node.child_by_field_name("type")) if typed else ""
            if tname:
                facts.vars.append(VarType(scope, name, "ann", tname, scope))
            if value.type in ("new_expression", "call_expression", "await_expression"):
                inner = value.named_children[0] if value.type == "await_expression" and value.named_child_count \
                    else value
                if inner is not None and inner.type == "new_expression":
                    facts.vars.append(VarType(scope, name, "ann", text(inner.child_by_field_name("constructor")),
                                              scope))
                elif inner is not None and inner.type == "call_expression":
                    fn = inner.child_by_field_name("function")
                    chain = chain_of(fn) if fn is not None else None
                    if chain:
                        facts.vars.append(VarType(scope, name, "call", ".".join(chain), scope))
            elif value.type in ("identifier", "member_expression"):
                chain = chain_of(value)
                if chain:
                    facts.vars.append(VarType(scope, name, "name", ".".join(chain), scope))
        elif "thisnew" in caps:
            node = caps["thisnew"][0]
            cls = scopes.class_at(node.start_byte)
            if cls:
                facts.vars.append(VarType(cls, text(caps["prop"][0]), "ann", text(caps["ctor"][0]), cls))
    return facts


def _heritage(node: Node) -> list[str]:
    out = []
    for c in node.named_children:
        if c is None:
            continue
        if c.type in ("extends_clause", "implements_clause", "extends_type_clause"):
            out.extend(_heritage(c))
        elif c.type in ("identifier", "type_identifier", "member_expression", "nested_type_identifier",
                        "generic_type"):
            out.append(text(c).split("<")[0])
    return out


def _import(facts: FileFacts, node: Node) -> None:
    source = node.child_by_field_name("source")
    if source is None:
        return
    spec = text(source).strip("'\"`")
    line = node.start_point[0] + 1
    clause = next((c for c in node.named_children if c is not None and c.type == "import_clause"), None)
    if clause is None:
        return
    for c in clause.named_children:
        if c is None:
            continue
        if c.type == "identifier":
            facts.imports.append(Imp(text(c), spec, "default", line))
        elif c.type == "namespace_import":
            ident = next((x for x in c.named_children if x is not None and x.type == "identifier"), None)
            if ident is not None:
                facts.imports.append(Imp(text(ident), spec, "", line))
        elif c.type == "named_imports":
            for s in c.named_children:
                if s is None or s.type != "import_specifier":
                    continue
                name = text(s.child_by_field_name("name"))
                alias = s.child_by_field_name("alias")
                facts.imports.append(Imp(text(alias) if alias is not None else name, spec, name, line))
