"""Who made a timeline write, in whichever words the change source used.

`agent.triage.facts.written_by` reads Vigil's own summary (`ConfigMap shop/web written by kubectl-edit: data.x`).
Other change sources word the same fact differently: an audit-log digest says `updated by`, `patched by` or
`modified by`, a GitOps or CI tool `applied by` or `synced by`, a ticket `changed by`/`edited by`; some put the actor in
a field of its own (`by`, `user`, `actor`, `manager`). The author is only ever what the record states; a summary
that names none gives "" (never a guess), and a `by` after a word that is no write (`rate limited by upstream`) is
not an author.
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage.facts import written_by as _vigil_written_by

FIELDS = ("by", "user", "actor", "manager", "author")
"""Fields a change record may carry its actor in, read before the summary's words."""
_AUTHOR = re.compile(r"\b(?:written|updated|modified|changed|edited|patched|applied|replaced|created|synced|"
                     r"rolled out|deployed|set|made) by ([\w@.:/-]+[\w])")
"""A write verb followed by `by <actor>`; the actor runs to the first space, comma, colon-space or bracket."""


def written_by(change: dict[str, Any]) -> str:
    """The actor a timeline write names: Vigil's `written by` summary, a field of its own, or another write verb's
    `... by <actor>` in the summary; "" when the record names none."""
    said = _vigil_written_by(change)
    if said:
        return said
    for key in FIELDS:
        value = change.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
    got = _AUTHOR.search(str(change.get("summary") or ""))
    return got.group(1)[:80] if got else ""
