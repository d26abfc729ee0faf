"""Generated credentials in infrastructure state: a resource whose *type* names a credential, and its value.

Why a module of its own: in a Terraform state (`terraform.tfstate`, `terraform show -json`) the password a
`random_password` resource made sits under a neutral attribute, `"result"`; Pulumi's state and stack exports
do the same with `"result"` / `"value"` under `random:index/randomPassword:RandomPassword`. No key word is
next to the value: the resource type is. So the value holders (`result`, `value`, `plaintext`) of an object
whose `"type"` names a credential (judged by `credential_key` on the type's last segment) are judged as if
that type were their key. Types that do not name one (`random_string`, `random_id`, `random_pet`) and the
rest of the object (`length`, `special`, a `bcrypt_hash` other formats judge) are left to the other rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int, str]

_TYPE = re.compile(r'"type"\s*:\s*"(?P<t>[^"\\]{1,160})"')
_HOLDER = re.compile(r'"(?:result|value|plaintext)"\s*:\s*"(?P<v>(?:[^"\\\r\n]|\\.){1,4096})"')
_REACH = 4096
"""How far after its type a resource's generated value may sit (its `instances` and `attributes` come first)."""


def _segment(type_name: str) -> str:
    """The type's own name: `random_password`, or `randomPassword` from `random:index/randomPassword:RandomPassword`."""
    parts = re.split(r"[:/]", type_name)
    return parts[-2] if len(parts) >= 3 else parts[-1]


def typed_value_spans(text: str, judge: Callable[[str, str], str | None]) -> list[Span]:
    """(start, end, kind) of the values held by credential-typed resources; `judge(key, value)` decides, with
    the resource type standing in for the key."""
    out: list[Span] = []
    if '"type"' not in text:
        return out
    types = list(_TYPE.finditer(text))
    for i, t in enumerate(types):
        name = _segment(t.group("t"))
        stop = min(len(text), t.end() + _REACH)
        if i + 1 < len(types):
            stop = min(stop, types[i + 1].start())
        for h in _HOLDER.finditer(text, t.end(), stop):
            found = judge(name, h.group("v"))
            if found:
                out.append((h.start("v"), h.end("v"), found))
    return out


__all__ = ["typed_value_spans"]
