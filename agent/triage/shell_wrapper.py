"""Whether a container's new command makes a shell (or no init at all) PID 1, so SIGTERM never reaches the app.

The kubelet stops a container by sending SIGTERM to its PID 1 and SIGKILL after terminationGracePeriodSeconds.
When the command is `python -m app` the application is PID 1 and gets the SIGTERM. When it becomes
`/bin/sh -c "migrate && python -m app"` the shell is PID 1 and the application its child: a shell does not
forward SIGTERM to a running foreground child, so the application never drains and is SIGKILLed at the end of
the grace period. A script whose last step is `exec app` (the shell replaces itself) or that traps TERM and
forwards it is the harmless twin; so is a single simple command (`sh -c "python -m app"`), which bash and
dash run by exec. The same loss follows when an init that forwards signals (tini, dumb-init, catatonit) is
dropped from the command: the application becomes PID 1, where the kernel applies no default action for
SIGTERM, so an application with no handler of its own ignores it.

Commands arrive as the change timeline renders them: Python list literals (`['/bin/sh', '-c', '...']`).
"""

from __future__ import annotations

import ast
import re

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
INITS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "s6-svscan", "docker-init"})
_COMPOUND = re.compile(r"&&|\|\||;|\n|\|")
_HANDLES = re.compile(r"(?:^|[;&|\s])exec\s|\btrap\b")
MAX_LITERAL = 4000
"""Longer values are not parsed (a command line is short; a longer literal is not a command)."""


def argv(value: str | None) -> list[str] | None:
    """A rendered command (`['sh', '-c', 'x']`) as its argument list; None when it is not one."""
    text = str(value or "").strip()
    if not text.startswith("[") or len(text) > MAX_LITERAL:
        return None
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return [str(a) for a in parsed] if isinstance(parsed, list) else None


def _base(arg: str) -> str:
    return arg.rsplit("/", 1)[-1]


def script(args: list[str]) -> str | None:
    """The script a `shell -c` command runs ("" when the script is not in this list, e.g. in `args`); None when
    the command is not a shell running a script."""
    if not args or _base(args[0]) not in SHELLS:
        return None
    rest = args[1:]
    if _base(args[0]) == "busybox":
        if not rest or _base(rest[0]) not in SHELLS:
            return None
        rest = rest[1:]
    for i, arg in enumerate(rest):
        if re.fullmatch(r"-[a-z]*c[a-z]*", arg):
            return rest[i + 1] if i + 1 < len(rest) else ""
    return None


def wraps_without_exec(old: str | None, new: str | None) -> bool:
    """The new command is a shell running a compound script that neither `exec`s the app nor traps TERM (and the
    old one was not already such a wrapper)."""
    after = argv(new)
    body = script(after) if after is not None else None
    if not body or not _COMPOUND.search(body) or _HANDLES.search(body):
        return False
    before = argv(old)
    was = script(before) if before is not None else None
    return not (was and _COMPOUND.search(was) and not _HANDLES.search(was))


def init_removed(old: str | None, new: str | None) -> bool:
    """The old command started with a signal-forwarding init and the new one has none."""
    before, after = argv(old), argv(new)
    if not before or after is None:
        return False
    return _base(before[0]) in INITS and not any(_base(a) in INITS for a in after[:2])
