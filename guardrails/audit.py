"""The audit layer: an append-only, keyed (HMAC-SHA256) chain of JSONL records that shows tampering.

Each record is one JSON object on one line, serialised canonically (sorted keys, no spaces) and
carrying `prev`, the `hash` of the previous record, `kid`, the id of the key that signed it, and
`hash`, the HMAC-SHA256 of its own canonical body under that key. A plain hash chain can be rebuilt
by anyone who can write the file (append a record with a recomputed chain, edit one and re-chain
everything after it); a keyed chain cannot be rebuilt without the key, which is never in the log.
Verification re-serialises every record and compares bytes, so any edit, even of white space, shows.

A chain alone cannot notice that the last records were cut off, so the log keeps a small
`<log>.head` file naming the newest durable record's sequence number and hash, signed with the same
key and rewritten after each group of appends (in place, fixed size, under the log's lock; `verify`
reads it under that lock, so it never sees one half written). Removal of committed records then shows
as a log shorter than its head, and a forged or deleted head shows as such. A signed head does not
catch a rollback to an older, consistent (log, head) pair the attacker kept: `guardrails.anchor`
records heads in a second place for that.

Logs written before keys existed (records without `kid`, `hash` a plain SHA-256) still verify and
are reported as "unkeyed (legacy)"; a writer continues such a log with keyed records.

Durability and speed (group commit): appends from the threads of one process queue up; whichever
caller finds no write in progress becomes the leader, writes every queued record, syncs the file
once (`fdatasync`: the data and the size needed to read it back) and signs the head once. Records
that arrive during that sync form the next group, so under concurrency many calls share one sync,
and each caller returns only when its own record is on disk. Several processes (the agent and every
MCP server share one log) are serialised by an exclusive `flock` on the log file, per group.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrails.decision_memo import is_json_native
from guardrails.held_file import HeldFile

GENESIS = "0" * 64
_TAIL_READ = 1 << 16
KEY_ENV = "VIGIL_AUDIT_KEY"
"""The key itself (at least 16 characters; `openssl rand -hex 32` makes a good one)."""
KEY_FILE_ENV = "VIGIL_AUDIT_KEY_FILE"
"""A file holding the key (the config's `audit.key_file` says the same)."""
GENERATED_KEY_NAME = "audit.key"
"""Generated beside the log (in the state directory) on first use when no key is configured."""
MIN_KEY_BYTES = 16
ANCHOR_ENV = "VIGIL_AUDIT_ANCHOR"
"""Where writers copy the head now and then: a postgresql:// URL or a SQLite file path (guardrails/anchor.py)."""
_HEAD_DOMAIN = "vigil-audit-head-v1"


class AuditKeyError(ValueError):
    """The audit key is missing, unreadable or too short; the message says where it was looked for."""


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
"""What `json.dumps` would build on every call with these options (it holds no state between calls)."""


def canonical(record: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(record).encode()


def record_hash(body: dict[str, Any]) -> str:
    """The legacy (unkeyed) record hash: SHA-256 of the canonical body."""
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class AuditKey:
    """An HMAC key and where it came from (the source is named in errors, the key never is)."""

    secret: bytes = field(repr=False)
    source: str

    @functools.cached_property
    def kid(self) -> str:
        """A short public id of the key, stored in each record so a wrong key is told apart from tampering."""
        return hashlib.sha256(b"vigil-audit-kid\0" + self.secret).hexdigest()[:16]

    def mac(self, data: bytes) -> str:
        # The one-shot C HMAC: the same digest as `hmac.new(...).hexdigest()`, without the Python object.
        return hmac.digest(self.secret, data, "sha256").hex()


def _key_from_text(text: str, source: str) -> AuditKey:
    secret = text.strip().encode()
    if len(secret) < MIN_KEY_BYTES:
        raise AuditKeyError(f"the audit key from {source} is {len(secret)} bytes; use at least {MIN_KEY_BYTES} "
                            "(e.g. `openssl rand -hex 32`)")
    return AuditKey(secret, source)


def _read_key_file(path: Path) -> AuditKey:
    try:
        return _key_from_text(path.read_text(encoding="utf-8"), f"key file {path}")
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc.strerror or exc}") from None


def load_key(log_path: str | Path, key_file: str | Path | None = None, *, create: bool = True,
             environ: Mapping[str, str] | None = None) -> AuditKey | None:
    """The audit key: `key_file` (the config's `audit.key_file`), else $VIGIL_AUDIT_KEY, else
    $VIGIL_AUDIT_KEY_FILE, else `audit.key` beside the log, generated there (mode 0600) when `create`.

    A generated key beside the log only tells accidents and careless edits apart: anyone who can read
    it can forge the chain. Returns None when nothing is configured and `create` is False.
    """
    env = os.environ if environ is None else environ
    if key_file:
        return _read_key_file(Path(key_file))
    if env.get(KEY_ENV):
        return _key_from_text(env[KEY_ENV], f"${KEY_ENV}")
    if env.get(KEY_FILE_ENV):
        return _read_key_file(Path(env[KEY_FILE_ENV]))
    generated = Path(log_path).with_name(GENERATED_KEY_NAME)
    if generated.exists() or not create:
        return _read_key_file(generated) if generated.exists() else None
    generated.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(generated, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first: use theirs
        return _read_key_file(generated)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return _read_key_file(generated)


def sign_record(body: dict[str, Any], key: AuditKey) -> dict[str, Any]:
    body = json.loads(canonical({**body, "kid": key.kid}))
    return {**body, "hash": key.mac(canonical(body))}


def _signed_line(body: dict[str, Any], key: AuditKey) -> tuple[dict[str, Any], bytes]:
    """`sign_record(body, key)` and its line, `canonical` of it, from a body without `hash`, with
    fewer serialisations: the sorted keys fall below or above `hash`, so the canonical body is its two
    halves joined, and the line is the same join with `"hash":"<mac>"` between them. The record
    returned (and the next record's `prev`) is what a reader of the line parses: a body of JSON's own
    types (every record the guard writes) already is, so it is serialised once (the two halves) and
    not parsed back; any other body (a tuple, a datetime, integer keys) makes the JSON round trip first."""
    signed = {**body, "kid": key.kid}
    plain = signed if is_json_native(signed) else json.loads(canonical(signed))
    low = canonical({k: v for k, v in plain.items() if k < "hash"})[1:-1]
    high = canonical({k: v for k, v in plain.items() if k > "hash"})[1:-1]  # never empty: `kid` is above
    joint = b"," if low else b""
    mac = key.mac(b"{" + low + joint + high + b"}")
    return {**plain, "hash": mac}, b"{" + low + joint + b'"hash":"' + mac.encode() + b'",' + high + b"}"


def _head_mac(key: AuditKey, seq: int, digest: str) -> str:
    if _plain(seq, digest):  # `canonical` of the dict below, spelled out: no JSON encoder per group
        return key.mac(f'{{"domain":"{_HEAD_DOMAIN}","hash":"{digest}","kid":"{key.kid}","seq":{seq}}}'.encode())
    return key.mac(canonical({"domain": _HEAD_DOMAIN, "seq": seq, "hash": digest, "kid": key.kid}))


def _plain(seq: Any, digest: Any) -> bool:
    """`seq` is an int and `digest` letters and digits only (every hash a writer makes), so JSON writes both
    as they are (no escape, no quotes around the number) and a formatted head is byte for byte what the
    JSON encoder writes; anything else (a head naming a record someone edited) takes the encoder."""
    return type(seq) is int and type(digest) is str and digest.isascii() and digest.isalnum()


@dataclass(eq=False)
class _Pending:
    event: dict[str, Any]
    durable: bool
    record: dict[str, Any] | None = None
    written: bool = False
    synced: bool = False
    error: BaseException | None = None


class AuditLog:
    """Appends records to one log file. Safe across threads (group commit) and processes (flock)."""

    def __init__(self, path: str | Path, fsync: bool = True, *, key: AuditKey | None = None,
                 key_file: str | Path | None = None, anchor: str | None = None,
                 anchor_every_seconds: float = 10.0) -> None:
        """`anchor`: where to copy the head now and then (guardrails/anchor.py), else $VIGIL_AUDIT_ANCHOR."""
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = key
        self._key_file = key_file
        self._log_file = HeldFile(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        """The log's descriptor, kept between groups while the path names the same file (guardrails/held_file.py)."""
        # O_NOFOLLOW and O_NONBLOCK: a symlink or FIFO planted where the head goes is replaced, never opened.
        self._head_file = HeldFile(self.head_path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK, follow=False)
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._leading = False
        self._tail: tuple[int, int, dict[str, Any]] | None = None
        """(the log's open count, file size, last record) after this process's last write: saves re-reading the
        tail while the same file, of the same size, is held open."""
        self._head_known = False
        """The head file exists (see `_head_seen`)."""
        self.groups = 0
        """How many groups (syncs) this object has written: group commit's effect, for tests and benchmarks."""
        self._anchor_url = anchor or os.environ.get(ANCHOR_ENV) or None
        self._anchor: Any = None
        self._anchor_every = anchor_every_seconds
        self._anchored_at = 0.0
        self.anchor_error = ""
        """The last failure to write an anchor (auditing goes on; the next group tries again)."""

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            self._key = load_key(self.path, self._key_file, create=True)
            assert self._key is not None
        return self._key

    def append(self, event: dict[str, Any], *, durable: bool = True) -> dict[str, Any]:
        """Write one record and return it with `seq`, `ts`, `kid`, `prev` and `hash` filled in.

        Returns once the record is on disk (`durable`, with fsync on) or written (`durable=False`: for
        a record that a later durable one of the same call follows, e.g. an allowed read whose result
        record is written before the answer is returned; a sync covers every earlier write).
        Raises OSError when the log cannot be written.
        """
        key = self.key
        entry = _Pending(event, durable and self.fsync)
        with self._cond:
            self._queue.append(entry)
            while True:
                if entry.error is not None:
                    raise entry.error
                if entry.synced or (entry.written and not entry.durable):
                    assert entry.record is not None
                    return entry.record
                if not self._leading and entry in self._queue:
                    break  # nobody is writing: lead the next group (it includes this entry)
                self._cond.wait()
            self._leading = True
            group, self._queue = self._queue, []
        try:
            self._write_group(group, key)
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
        if entry.error is not None:
            raise entry.error
        assert entry.record is not None
        return entry.record

    async def append_async(self, event: dict[str, Any], *, durable: bool = True) -> dict[str, Any]:
        """`append` without blocking the event loop, so concurrent calls of one server share a sync."""
        return await asyncio.to_thread(self.append, event, durable=durable)

    def _write_group(self, group: list[_Pending], key: AuditKey) -> None:
        try:
            fd = self._log_file.fd()
        except OSError as exc:
            self._fail(group, exc)
            return
        locked = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = True
            size = os.fstat(fd).st_size
            last: dict[str, Any] | None
            if self._tail is not None and self._tail[:2] == (self._log_file.opens, size):
                last, torn = self._tail[2], 0
            else:
                last, torn = _last_complete_record(fd)
            if last is not None and last.get("kid") not in (None, key.kid):
                raise OSError(f"{self.path} is signed with audit key id {last['kid']}, this process has key id "
                              f"{key.kid} ({key.source}); give every writer the same key ($VIGIL_AUDIT_KEY_FILE)")
            if torn:
                os.ftruncate(fd, size - torn)
            lines = []
            for n, entry in enumerate(group):
                body = {k: v for k, v in entry.event.items() if k not in ("seq", "prev", "hash", "kid")}
                body["seq"] = (last["seq"] + 1) if last else 1
                body["prev"] = last["hash"] if last else GENESIS
                body.setdefault("ts", datetime.now(UTC).isoformat(timespec="microseconds"))
                if torn and n == 0:
                    body["recovered_torn_bytes"] = torn
                entry.record, line = _signed_line(body, key)
                last = entry.record
                lines.append(line + b"\n")
            data = b"".join(lines)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            self._tail = (self._log_file.opens, size - torn + len(data), last) if last else None
            with self._cond:
                for entry in group:
                    entry.written = True
                self._cond.notify_all()
            if self.fsync and any(e.durable for e in group):
                os.fdatasync(fd)
            if last is not None and (any(e.durable for e in group) or not self.fsync or not self._head_seen):
                self._write_head(last, key)
                self._maybe_anchor(last, key)
            self.groups += 1
            with self._cond:
                for entry in group:
                    entry.synced = True
        except OSError as exc:
            self._tail = None
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)
                locked = False
            self._log_file.close()  # the next group opens the path afresh
            self._fail(group, exc)
        finally:
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _maybe_anchor(self, record: dict[str, Any], key: AuditKey) -> None:
        if not self._anchor_url or time.monotonic() - self._anchored_at < self._anchor_every:
            return
        from guardrails.anchor import AnchorStore, log_id_of

        try:
            if self._anchor is None:
                self._anchor = AnchorStore(self._anchor_url)
            self._anchor.record(log_id_of(self.path), record["seq"], _head_mac(key, record["seq"], record["hash"]))
            self._anchored_at, self.anchor_error = time.monotonic(), ""
        except Exception as exc:  # an unreachable anchor database must not stop auditing
            self.anchor_error = f"{type(exc).__name__}: {exc}"

    def _fail(self, group: list[_Pending], exc: OSError) -> None:
        with self._cond:
            for entry in group:
                if not entry.synced:
                    entry.error = exc
            self._cond.notify_all()

    @property
    def _head_seen(self) -> bool:
        """The head exists: written by this object, or found once (a stat, then never again: a group
        of unsynced records leaves the head alone, and the next synced group rewrites it anyway)."""
        if not self._head_known:
            self._head_known = self.head_path.exists()
        return self._head_known

    def _write_head(self, record: dict[str, Any], key: AuditKey) -> None:
        # Not fsynced on purpose: the head is a lower bound. The records it names were synced first,
        # so after a crash the head can only lag behind the log, never run ahead of it.
        write_head(self.head_path, record["seq"], record["hash"], key, held=self._head_file)
        self._head_known = True

    def records(self) -> Iterator[dict[str, Any]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    yield json.loads(line)


HEAD_BYTES = 256
"""The head's fixed size (JSON padded with spaces): every rewrite replaces every byte of the last one."""


def write_head(head_path: Path, seq: int, digest: str, key: AuditKey, *, held: HeldFile | None = None) -> None:
    """Write the signed head. Writers call this holding the log's exclusive flock.

    The first head is created whole (a temporary file renamed into place), so it is never seen
    empty. After that it is overwritten in place: one `pwrite` of `HEAD_BYTES` at offset 0, which
    costs a tenth of a rename per group of records. Readers cannot see it half written, since
    `verify` reads the head under a shared flock of the log. A crash does not tear it in practice:
    it lies in the file's first 512-byte sector, which disks write whole (PostgreSQL's pg_control
    relies on the same); were it torn, `verify` reports the head as unreadable or forged, never
    passes it. What it says, and so the truncation check, is the same as before.

    `held`: the writer's descriptor of the head kept between groups (guardrails/held_file.py; opened as
    below, reopened whenever the path names another file); without it the head is opened and closed here.
    """
    mac = _head_mac(key, seq, digest)
    if _plain(seq, digest):  # `json.dumps(head, sort_keys=True)`, spelled out (the kid and the MAC are hex)
        data = f'{{"hash": "{digest}", "kid": "{key.kid}", "mac": "{mac}", "seq": {seq}}}'.encode()
    else:
        data = json.dumps({"seq": seq, "hash": digest, "kid": key.kid, "mac": mac}, sort_keys=True).encode()
    data = data.ljust(HEAD_BYTES - 1) + b"\n"
    try:
        # O_NOFOLLOW and O_NONBLOCK: a symlink or FIFO planted where the head goes is replaced, never opened.
        fd = held.fd() if held is not None else os.open(head_path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        _replace_head(head_path, data)
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(head_path)
        if os.pwrite(fd, data, 0) != len(data):
            raise OSError(f"short write to {head_path}")
        if info.st_size > len(data):  # a longer head written by hand or by an older version
            os.ftruncate(fd, len(data))
    except OSError:
        if held is not None:
            held.close()
        else:
            os.close(fd)
        _replace_head(head_path, data)
        return
    if held is None:
        os.close(fd)


def _replace_head(head_path: Path, data: bytes) -> None:
    tmp = head_path.with_name(head_path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, head_path)


def _read_head(log: Path, head_path: Path) -> bytes | None:
    """The head's bytes (None when it does not exist), read under a shared flock of the log, so a
    writer (which holds the exclusive one while it appends and rewrites the head) is never caught
    between the two, nor half way through the head. Where flock is not supported, read unlocked."""
    try:
        fd = os.open(log, os.O_RDONLY)
    except OSError:
        fd = -1
    try:
        if fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
            except OSError:
                pass
        try:
            return head_path.read_bytes()
        except FileNotFoundError:
            return None
    finally:
        if fd >= 0:
            os.close(fd)  # closing releases the lock


def _last_complete_record(fd: int) -> tuple[dict[str, Any] | None, int]:
    """The newest complete record, and the size of a torn trailing fragment (0 if none)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0
    start = max(0, size - _TAIL_READ)
    while True:
        chunk = os.pread(fd, size - start, start)
        end = chunk.rfind(b"\n")
        torn = len(chunk) - end - 1 if end >= 0 else len(chunk)
        if end >= 0:
            begin = chunk.rfind(b"\n", 0, end) + 1
            if begin > 0 or start == 0:
                return json.loads(chunk[begin:end]), torn
        if start == 0:
            return None, torn
        start = max(0, start - _TAIL_READ)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    """How many records verified."""
    problem: str = ""
    """What is wrong, naming the first bad record by line and sequence number."""
    first_bad_line: int | None = None
    warning: str = ""
    keyed: str = ""
    """`keyed (key id …)`, `unkeyed (legacy)`, or both for a legacy log continued with a key."""
    head_seq: int | None = None
    head_hash: str | None = None

    @property
    def key_problem(self) -> bool:
        """The key is wrong or missing: not evidence of tampering, and said apart from it."""
        return "wrong key" in self.problem or "no key is configured" in self.problem or "audit key" in self.problem


def verify(path: str | Path, key: AuditKey | None = None, key_file: str | Path | None = None, *,
           require_keyed: bool = False, anchor: str | None = None, log_id: str | None = None) -> VerifyResult:
    """Check the whole chain and the signed head. Returns at the first problem.

    The key is `key`, else found as `load_key` finds it (never generated here). Without a key a
    keyed log cannot be verified, and that is the answer rather than a pass. An unkeyed (legacy) log
    proves only that it is self-consistent, since anyone can rebuild one: it passes with a warning,
    or fails with `require_keyed` (for logs written since keys exist). With `anchor` (an anchor store
    URL) the newest anchor of `log_id` (default: the log's absolute path) must still be in the log.
    """
    log = Path(path)
    head_path = log.with_name(log.name + ".head")
    if not log.exists():
        return VerifyResult(False, 0, f"{log} does not exist")
    if key is None:
        try:
            key = load_key(log, key_file, create=False)
        except AuditKeyError as exc:
            return VerifyResult(False, 0, str(exc))
    # The head first, then the log: records only grow, so the log read afterwards holds at least
    # every record the head names, even while writers append.
    try:
        head_bytes = _read_head(log, head_path)
    except OSError:
        head_bytes = b""
    lines = log.read_bytes().split(b"\n")
    trailing = lines.pop()  # b"" when the file ends with a newline
    chain = _Chain(key)
    for number, line in enumerate(lines, start=1):
        problem = chain.check(line, number)
        if problem:
            return VerifyResult(False, chain.count, problem, number, keyed=chain.describe())
    warnings = []
    if chain.count and chain.kid is None:
        if require_keyed:
            return VerifyResult(False, chain.count, "the log is unkeyed (legacy): anyone who can write it could have "
                                "rebuilt it, and keyed records were required", keyed=chain.describe())
        warnings.append("unkeyed (legacy) log: it is self-consistent, but anyone who can write it could have "
                        "rebuilt it; records appended from now on are keyed")
    if trailing:
        warnings.append(f"line {len(lines) + 1}: incomplete trailing record ({len(trailing)} bytes), "
                        "left by an interrupted writer")
    warning = "; ".join(warnings)
    problem, head = _check_head(head_path, head_bytes, chain, lines, key)
    seq = head.get("seq") if head else None
    if problem:
        return VerifyResult(False, chain.count, problem, (chain.count + 1) if "missing:" in problem else None,
                            keyed=chain.describe())
    if anchor:
        problem = _check_anchor(anchor, log_id or str(log.resolve()), chain, lines, key)
        if problem:
            return VerifyResult(False, chain.count, problem, keyed=chain.describe())
    return VerifyResult(True, chain.count, "", None, warning, chain.describe(), seq, head.get("hash") if head else None)


def _check_anchor(url: str, log_id: str, chain: _Chain, lines: list[bytes], key: AuditKey | None) -> str:
    from guardrails.anchor import AnchorStore

    try:
        latest = AnchorStore(url).latest(log_id)
    except Exception as exc:  # any database error is reported, never a traceback
        return f"the anchor store could not be read ({type(exc).__name__}: {exc})"
    if latest is None or latest.records == 0:
        return ""
    if latest.records > chain.count:
        return (f"rolled back: the anchor of {latest.anchored_at} says {latest.records} records were written, "
                f"the log holds {chain.count} (an older copy of the log and its head was put back, or it was cut)")
    if key is None:
        return "the log has anchors but no key is configured to check them against"
    digest = json.loads(lines[latest.records - 1])["hash"]
    if not hmac.compare_digest(_head_mac(key, latest.records, digest), latest.head_hmac):
        return (f"record {latest.records} differs from the one anchored at {latest.anchored_at} "
                "(the log was replaced by another one)")
    return ""


class _Chain:
    """Walks the records in order, remembering whether the chain has become keyed."""

    def __init__(self, key: AuditKey | None) -> None:
        self.key = key
        self.prev = GENESIS
        self.count = 0
        self.legacy = 0
        self.kid: str | None = None

    def describe(self) -> str:
        if self.kid:
            keyed = f"keyed (key id {self.kid})"
            return f"unkeyed (legacy) records 1-{self.legacy}, then {keyed}" if self.legacy else keyed
        return "unkeyed (legacy)" if self.legacy else ""

    def check(self, line: bytes, number: int) -> str:
        where = f"line {number}"
        try:
            record = json.loads(line)
        except ValueError:
            return f"{where}: not valid JSON (modified or corrupted)"
        if not isinstance(record, dict) or "hash" not in record:
            return f"{where}: not an audit record (no hash)"
        seq = record.get("seq")
        if canonical(record) != line:
            return f"{where} (seq {seq}): bytes differ from the canonical form (modified)"
        body = {k: v for k, v in record.items() if k != "hash"}
        kid = record.get("kid")
        if kid is None:
            if self.kid is not None:
                return (f"{where} (seq {seq}): an unkeyed record after keyed ones "
                        "(appended or rewritten by someone without the key)")
            expected = record_hash(body)
            self.legacy += 1
        else:
            if self.key is None:
                return (f"{where} (seq {seq}): the log is keyed (key id {kid}) but no key is configured; "
                        f"set ${KEY_ENV}, ${KEY_FILE_ENV} or audit.key_file to the key it was written with")
            if kid != self.key.kid:
                return (f"{where} (seq {seq}): wrong key: the record was signed with key id {kid}, the configured "
                        f"key ({self.key.source}) has id {self.key.kid}")
            self.kid = kid
            expected = self.key.mac(canonical(body))
        if not hmac.compare_digest(str(record["hash"]), expected):
            return f"{where} (seq {seq}): content does not match its {'HMAC' if kid else 'hash'} (modified or forged)"
        if seq != self.count + 1:
            return (f"{where}: sequence {seq} where {self.count + 1} was expected "
                    "(a record was removed, inserted or reordered)")
        if record.get("prev") != self.prev:
            return f"{where} (seq {seq}): previous-hash link broken (a record before it was changed or removed)"
        self.prev = record["hash"]
        self.count += 1
        return ""


def _check_head(head_path: Path, head_bytes: bytes | None, chain: _Chain, lines: list[bytes],
                key: AuditKey | None) -> tuple[str, dict[str, Any] | None]:
    if head_bytes is None:
        what = f"{chain.count} records" if chain.count else "an empty log"
        return (f"head file {head_path.name} is missing for {what}: without it truncation or deletion cannot be "
                "ruled out (keep the .head file beside the log when copying it)"), None
    try:
        head = json.loads(head_bytes)
        seq, digest = int(head["seq"]), str(head["hash"])
    except (ValueError, KeyError, TypeError):
        return f"head file {head_path} is unreadable", None
    if "mac" in head or chain.kid is not None:
        if key is None:
            return (f"head file {head_path.name} is signed but no key is configured; set ${KEY_ENV}, "
                    f"${KEY_FILE_ENV} or audit.key_file"), head
        if head.get("kid") != key.kid:
            return (f"head file {head_path.name}: wrong key: signed with key id {head.get('kid')}, the configured "
                    f"key ({key.source}) has id {key.kid}"), head
        if not hmac.compare_digest(str(head.get("mac", "")), _head_mac(key, seq, digest)):
            return f"head file {head_path.name}: signature does not match (forged or edited)", head
    elif seq == 0:
        return (f"head file {head_path.name} is unsigned and names no record; no version of Vigil wrote such a "
                "head (replaced)"), head
    if seq > chain.count:
        return (f"record {chain.count + 1} is missing: the head says {seq} records were written, "
                f"the log holds {chain.count} (truncated or records removed)"), head
    if seq >= 1 and json.loads(lines[seq - 1])["hash"] != digest:
        return f"record {seq} differs from the one the head recorded", head
    return "", head
