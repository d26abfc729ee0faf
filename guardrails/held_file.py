"""A file descriptor the audit log keeps open between groups of appends, reopened whenever it is stale.

Why: a guarded call writes two audit groups (its decision record, then its synced result record), and
each group used to open the log, and the synced one the head too, and close them again: four
`open`/`close` pairs per call, each a path walk and a file-table update in the kernel, about a tenth
of the audit's CPU besides the flush itself. Holding the descriptors replaces each pair with one
`stat` of the path.

Why it writes to exactly the file it wrote to before: the descriptor is used only while the path still
names the file it was opened on (same device and inode, by a `stat` of the path right before use), and
only in the process that opened it. A log rotated away (renamed, then a new file created in its place),
a deleted log, a head replaced by a rename or by a symlink (`follow=False`: the link itself is looked at,
and reopening with O_NOFOLLOW then refuses it, as a fresh open did), or a forked child (which shares the
parent's open file description, and with it the parent's `flock`) all get a fresh `open` of the path,
as before. The race left, a rename between the `stat` and the write, is the one a fresh `open` followed
by a write always had.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path


class HeldFile:
    """One path's descriptor, opened with `flags` on first use and kept while the path still names it."""

    def __init__(self, path: Path, flags: int, mode: int = 0o640, *, follow: bool = True) -> None:
        self.path = path
        self.flags = flags
        self.mode = mode
        self.follow = follow
        self._fd = -1
        self._pid = 0
        self._ident: tuple[int, int] = (0, 0)
        self._finalizer: weakref.finalize | None = None  # type: ignore[type-arg]
        self.opens = 0
        """How many times the path was opened: what the holder read through an earlier descriptor (the log's
        size and last record) is about another file once this has changed."""

    def fd(self) -> int:
        """An open descriptor of the file the path names now. Raises OSError as `os.open` does."""
        if self._fd >= 0:
            if self._pid == os.getpid():
                try:
                    info = os.stat(self.path, follow_symlinks=self.follow)
                except OSError:
                    info = None
                if info is not None and (info.st_dev, info.st_ino) == self._ident:
                    return self._fd
                self.close()
            else:  # a forked child: the descriptor is the parent's open file (and lock); leave it alone
                self._forget()
        fd = os.open(self.path, self.flags, self.mode)
        try:
            info = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd, self._pid, self._ident = fd, os.getpid(), (info.st_dev, info.st_ino)
        self.opens += 1
        self._finalizer = weakref.finalize(self, _close_quietly, fd)
        return fd

    def close(self) -> None:
        """Close the held descriptor (the next `fd()` opens the path again)."""
        if self._finalizer is not None:
            self._finalizer()  # closes it, once
        self._forget()

    def _forget(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
        self._fd, self._pid, self._ident, self._finalizer = -1, 0, (0, 0), None


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
