"""Credentials held by a record whose name field and value field are separate members.

Why a module of its own: the assignment detectors read `key: value`, where the key names the value. Many APIs
and exports instead write a setting as a small object of two members, one holding the setting's name and one
its value: CloudFormation `{"OutputKey": "AdminPassword", "OutputValue": "..."}` and `ParameterKey`/
`ParameterValue`, AWS tags and ECS environment `{"Name": ..., "Value": ...}`, a browser's cookie store
`{"value": "...", "path": "/", "name": "__Secure-session"}`, SSM `{"Key": ..., "Value": ...}`. The two members
may come in either order with other members between them, so a pattern over adjacent members misses them.

This module only finds the pairs inside flat JSON objects (no nested braces, at most 2 KiB); the caller
judges the name and the value (redaction.py, the same judgement as Kubernetes env entries).
"""

from __future__ import annotations

import re

_OBJECT = re.compile(r"\{[^{}]{8,2048}\}")
_MEMBER = re.compile(r'\\?"(?P<k>[A-Za-z][A-Za-z0-9_\-]{0,40})\\?"\s*:\s*\\?"(?P<v>(?:[^"\\\r\n]|\\[^"]){0,512})\\?"')
_ROLE = re.compile(
    r"(?i)(?:(?:output|parameter|param|attribute|setting|option|property|field|variable|var|config|env|tag|cookie)"
    r"[_\-]?)?(?P<role>key|name|value)"
)
"""A member that holds the record's name (`name`, `Key`, `OutputKey`, `ParameterName`) or its value (`value`,
`OutputValue`): the bare words, or the words after a prefix saying what the record is. A credential key such
as `apiKey` or `secretKey` is not a name member: its prefix is not one of these."""


def record_pairs(text: str) -> list[tuple[str, int, int, str]]:
    """(name, value start, value end, value) of every flat JSON object with exactly one name member and one
    value member."""
    if "alue" not in text and "ALUE" not in text:
        return []
    out: list[tuple[str, int, int, str]] = []
    for obj in _OBJECT.finditer(text):
        names: list[str] = []
        values: list[re.Match[str]] = []
        for member in _MEMBER.finditer(text, obj.start(), obj.end()):
            role = _ROLE.fullmatch(member.group("k"))
            if role is None:
                continue
            if role.group("role").lower() == "value":
                values.append(member)
            else:
                names.append(member.group("v"))
        if len(names) == 1 and len(values) == 1:
            value = values[0]
            out.append((names[0], value.start("v"), value.end("v"), value.group("v")))
    return out


__all__ = ["record_pairs"]
