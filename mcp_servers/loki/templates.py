"""Mining log lines into templates, so ten thousand lines read as a dozen patterns with counts.

A crash loop or a failing dependency writes the same few lines over and over with different ids,
numbers and addresses. Drain3 (a kept implementation of the Drain algorithm) clusters lines into
templates such as `payment failed: connection refused to <IP>:<NUM>`; we count each template,
note when it was first and last seen and in which streams, and keep one real example line.

Lines from a baseline window (the same query before the incident) are mined first, into the same
miner: a template that never matched a baseline line is *new*, and new templates are usually the
story of an incident, so they are listed first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

from mcp_servers.common.logfacts.mask import MASKS

# Masks applied before clustering, most specific first: the ones the log-facts templates use, so a
# Loki template and a log-facts template of the same line agree. Values that vary per request (ids,
# addresses, durations, numbers) would otherwise split one pattern into thousands of "templates".
_MASKS: list[tuple[str, str]] = [(pattern, name.upper()) for pattern, name in MASKS]

MAX_LINE_CHARS = 2000
"""Lines are cut to this length before mining; a 1 MB JSON blob line is not a template."""


@dataclass
class Template:
    """One pattern of lines in the window."""

    cluster_id: int
    text: str
    count: int = 0
    first_seen_ns: int = 0
    last_seen_ns: int = 0
    streams: Counter[str] = field(default_factory=Counter)
    """Lines of this template per stream key."""
    example: str = ""
    new: bool = False
    """Never matched a baseline line (only meaningful when a baseline was mined)."""
    baseline_count: int = 0
    severity: str = ""
    """`error`, `warn` or empty, from the words of the lines (see severity_hint)."""
    status_class: str = ""
    """`5xx`, `4xx`... when the lines carry an HTTP status, else empty."""


@dataclass(frozen=True)
class Entry:
    """One log line from a stream: Loki's nanosecond timestamp, the line, and its stream's key."""

    ts_ns: int
    line: str
    stream: str


def _miner() -> TemplateMiner:
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    config.drain_sim_th = 0.4
    config.drain_depth = 4
    config.drain_max_children = 100
    config.parametrize_numeric_tokens = True
    config.masking_instructions = [MaskingInstruction(pattern, mask) for pattern, mask in _MASKS]
    return TemplateMiner(config=config)


def _clean(line: str) -> str:
    return line.strip()[:MAX_LINE_CHARS]


_STATUS = re.compile(
    r"(?:\b(?:status|code|status_code)[\"']?\s*[=:]\s*[\"']?|\" |^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ )"
    r"([1-5])\d\d\b"
)
_STATUS_WORD = {"1": "info", "2": "ok", "3": "redirect", "4": "clienterr", "5": "servererr"}


def _key(line: str) -> str:
    """A tree key Drain never merges across: the line's severity and HTTP status class.

    Drain would happily fold `level=info msg=x` and `level=error msg=x` (or a 200 and a 500
    access-log line) into one template with a wildcard, hiding exactly the difference an incident
    is about. Prefixing each line with this key sends them down different branches of Drain's
    prefix tree. The key has no digits because Drain treats tokens with digits as variables."""
    severity, status = _key_parts(line)
    return f"vigilkey_{severity or 'none'}_{_STATUS_WORD.get(status[:1], 'none')}"


def _key_parts(line: str) -> tuple[str, str]:
    status = _STATUS.search(line)
    return severity_hint(line), f"{status.group(1)}xx" if status else ""


def _strip_key(template: str) -> str:
    head, _, rest = template.partition(" ")
    return rest if head.startswith("vigilkey_") else template


def mine(entries: Sequence[Entry], baseline: Iterable[str] | None = None) -> list[Template]:
    """Templates of `entries`, new-since-baseline first, then by count (largest first; errors win ties).

    `baseline`, when given (even empty), marks each window template as new or not."""
    miner = _miner()
    baseline_counts: dict[int, int] = {}
    if baseline is not None:
        for raw in baseline:
            line = _clean(raw)
            if line:
                cid = miner.add_log_message(f"{_key(line)} {line}")["cluster_id"]
                baseline_counts[cid] = baseline_counts.get(cid, 0) + 1
    templates: dict[int, Template] = {}
    for entry in entries:
        line = _clean(entry.line)
        if not line:
            continue
        cid = int(miner.add_log_message(f"{_key(line)} {line}")["cluster_id"])
        template = templates.get(cid)
        if template is None:
            severity, status = _key_parts(line)
            template = templates[cid] = Template(cluster_id=cid, text="", first_seen_ns=entry.ts_ns,
                                                 last_seen_ns=entry.ts_ns, example=line,
                                                 severity=severity, status_class=status)
        template.count += 1
        template.first_seen_ns = min(template.first_seen_ns, entry.ts_ns)
        template.last_seen_ns = max(template.last_seen_ns, entry.ts_ns)
        template.streams[entry.stream] += 1
    # Templates generalise as lines arrive; read the final text of each cluster at the end.
    final = {c.cluster_id: _strip_key(c.get_template()) for c in miner.drain.clusters}
    for cid, template in templates.items():
        template.text = final.get(cid, template.example)
        template.baseline_count = baseline_counts.get(cid, 0)
        template.new = baseline is not None and template.baseline_count == 0
    rank = {"error": 0, "warn": 1}
    return sorted(templates.values(), key=lambda t: (not t.new, -t.count, rank.get(t.severity, 2), t.first_seen_ns))


_LEVEL = re.compile(r"\b(fatal|panic|critical|error|err|exception|traceback|warn(?:ing)?)\b", re.I)


def severity_hint(text: str) -> str:
    """`error`, `warn` or `` from the words in a template: a cheap signal for the model's eye."""
    match = _LEVEL.search(text)
    if not match:
        return ""
    word = match.group(1).lower()
    return "warn" if word.startswith("warn") else "error"
