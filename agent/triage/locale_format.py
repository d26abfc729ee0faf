"""A producer's locale setting changed how it writes numbers or dates, and its consumers' parsers reject the new form.

Programs format numbers through their locale: a JVM started with `-Duser.language=de` (JAVA_TOOL_OPTIONS, a
`java` argument), a process whose `LANG`/`LC_ALL`/`LC_NUMERIC` became `fr_FR.UTF-8`, a tool given `--locale=pt-BR`
writes `1,0842` where it wrote `1.0842` (and `1.234,50` for `1,234.50`). The producer (a CronJob that exports a
file, a publisher Deployment) stays healthy and every run succeeds; the consumer that reads what it wrote, with a
parser that expects a decimal point, fails with its own words around the value (a date likewise: `06.12.2026` or `6.
Dezember 2026` where ISO or English was expected, refused as `time data ... does not match format`, `Unparseable
date`): Python's `could not convert string
to float: '1,0842'`, Java's `NumberFormatException: For input string: "3,14"`, Go's `strconv.ParseFloat: parsing
"12,75": invalid syntax`, PostgreSQL's `invalid input syntax for type numeric: "1.234,50"`. Often nothing else
ties the two: the consumer's spec and logs name a file, not the producer.

The link is the value's shape and the write's content: a consumer's rejection quotes a number written with a
decimal comma (`\\d+,\\d{1,2}`, `\\d+,\\d{4,}`, or dot-grouped `1.234,5`; `1,000` is left out, since an English
thousands separator looks the same), and a workload written in the LEAD before the first such rejection set a
locale whose language writes a decimal comma in its new values (the timeline's diff lines, the `after` side of
`before -> after`). Not named: a write that set an English (or C/POSIX) locale, or a locale it already had; a
write after the first rejection; the consumer's own workload; a rejection quoting no decimal-comma number.

`read` (reading only, only when such a rejection is in the survey's logs and such a write is in the timeline)
counts the consumer's log lines quoting the value, in all and since the write (agent.triage.log_since: a
traceback's value line prints no time of its own); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import log_since
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.locale_format"
WEIGHT = 0.9
"""The producer's locale write tied by the value's shape and by time to its consumer's parse rejections: above the
consumer's own error, which is where the symptom shows."""
STORE = "locale_format"
LEAD = timedelta(hours=24)
KINDS = ("CronJob", "Deployment", "StatefulSet", "Job", "DaemonSet")
MIN_LINES = 2
MAX_WRITES = 3
_REJECT = re.compile(r"could not convert string|invalid literal for|NumberFormatException|For input string|"
                     r"strconv\.Parse\w+: parsing|invalid input syntax for|not in a correct format|InvalidOperation|"
                     r"cannot parse|could not be parsed|unable to parse|failed to parse|parse error|invalid number|"
                     r"not a (?:valid )?number|NaN|Unparseable date|does not match format|"
                     r"not recognized as a valid|invalid date|date/time field value out of range", re.I)
"""Parsers' words for a number or date they refuse: Python (float, int, Decimal, `time data ... does not match
format`), Java (`NumberFormatException`, `DateTimeParseException ... could not be parsed`, `Unparseable date`), Go
strconv and time (`cannot parse`), PostgreSQL, .NET (`not recognized as a valid DateTime`), JavaScript (`Invalid
Date`)."""
_COMMA_NUMBER = re.compile(r"""(?<![\w.,])["'`]?([+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,}))\\?["'`]"""
                           r"""(?![\w,.])""")
"""A quoted number with a decimal comma (`'1,0842'`, `"12,75"`, `\\"1.234,50\\"` in a quoted field); `1,000` is not
one (an English thousands separator writes the same)."""
_LOCALE = re.compile(r"-Duser\.language(?:\.format)?=([A-Za-z]{2,3})\b|"
                     r"\b(?:LANG|LANGUAGE|LC_ALL|LC_NUMERIC|LC_MONETARY|LC_TIME)\b[^A-Za-z\n]{0,12}(?:now\s+)?['\"]?"
                     r"([a-z]{2,3})_[A-Z]{2}|"
                     r"\b[\w.-]*(?:locale|culture)\b['\"]?\s*(?:[=:]|\bnow\b)\s*['\"]?([a-z]{2,3})(?:[_-][A-Za-z]{2})?\b",
                     re.I)
"""A locale setting and its language: the JVM's `-Duser.language=de` (and `-Duser.language.format=de`), POSIX
`LANG`/`LC_*` (`fr_FR.UTF-8`), a `--locale=pt-BR` flag or a `*_LOCALE`/`culture` setting."""
_TIME_ONLY = re.compile(r"\bLC_TIME\b", re.I)
_NUMBER_KEY = re.compile(r"\b(?:LANG|LANGUAGE|LC_ALL|LC_NUMERIC|LC_MONETARY)\b|user\.language|locale|culture", re.I)
"""`LC_TIME` sets only how dates are written: a line setting it and no other locale key does not change numbers."""
_LOCALE_KEY = re.compile(r"\b(?:LANG|LANGUAGE|LC_ALL|LC_NUMERIC|LC_MONETARY|LC_TIME)\b|user\.language|locale|culture",
                         re.I)
_TAG = re.compile(r"(?<![\w.-])([a-z]{2,3})[_-][A-Z]{2}\b")
"""A bare locale tag (`de_DE`, `pt-BR`): counted on a diff line whose key is a locale setting, where the value sits
apart from its key (`['--locale', 'pt-BR']`, `LC_ALL (unset) -> LC_ALL='fr_FR.UTF-8'`)."""
POINT_LANGUAGES = frozenset({"en", "c", "ja", "zh", "ko", "he", "th", "hi", "ms", "ga", "cy"})
"""Languages whose locales write a decimal point (and the C/POSIX locale): a write setting one is not this class."""
DATE_LANGUAGES = frozenset({"en", "c"})
"""For a refused date, only English (and C/POSIX) locales write the English month names and forms parsers expect."""
_MONTHS = (r"januar|februar|m[äa]rz|mai|juni|juli|oktober|dezember|janvier|f[ée]vrier|mars|avril|juin|juillet|"
           r"ao[ûu]t|septembre|octobre|novembre|d[ée]cembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
           r"septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|"
           r"dicembre|janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|dezembro|januari|februari|maart|"
           r"mei|augustus|mrz|m[äa]r|okt|dez|janv|f[ée]vr|avr|juil|d[ée]c|ene|abr|ago|dic|gen|mag|giu|lug|ott|fev|"
           r"out|set")
"""Month names and abbreviations of decimal-comma languages (German, French, Spanish, Italian, Portuguese, Dutch)
that English does not write; an abbreviation counts only inside a day-month-year shape."""
_LOCAL_DATE = re.compile(r"""["'`](?P<v>[^"'`\n]{0,20}?(?:\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|"""
                         r"""\b\d{1,2}\.?\s+(?:""" + _MONTHS + r""")\.?\s+\d{2,4}\b|"""
                         r"""\b(?:""" + _MONTHS + r""")\.?\s+\d{1,2},?\s+\d{4}\b)[^"'`\n]{0,20}?)\\?["'`]""",
                         re.I)
"""A quoted date written the way a non-English locale writes it: day-first with dots (`06.12.2026`), or with a month
name English does not use (`6. Dezember 2026`, `6 déc. 2026`, `diciembre 6, 2026`)."""
_SIDES = re.compile(r"\s+->\s+")
Call = Callable[..., Awaitable[Any]]


def comma_value(line: str) -> str:
    """The decimal-comma number (or the date in a non-English locale's form) a parser's rejection quotes, "" when
    it quotes none (or is no rejection)."""
    if not _REJECT.search(line):
        return ""
    m = _COMMA_NUMBER.search(line)
    if m:
        return m.group(1)
    d = _LOCAL_DATE.search(line)
    return d["v"].strip() if d else ""


def is_date(value: str) -> bool:
    """Whether a refused value is a date (rather than a decimal-comma number)."""
    return _COMMA_NUMBER.search(f"'{value}'") is None


def languages(text: str, keyed: bool = False) -> set[str]:
    """The languages of the locale settings a text names (lower case); with `keyed` (the line's key is a locale
    setting) its bare locale tags too."""
    named = {(m.group(1) or m.group(2) or m.group(3)).lower() for m in _LOCALE.finditer(text)}
    return named | ({m.group(1) for m in _TAG.finditer(text)} if keyed else set())


def locale_set(change: dict[str, Any], excluded: frozenset[str] = POINT_LANGUAGES) -> tuple[str, str]:
    """The decimal-comma language (with `excluded` DATE_LANGUAGES: any non-English one) a write newly set (in a diff
    line's new side, absent from its old side) and that line, ("", "") when it set none."""
    for line in [str(d) for d in change.get("diff") or []]:
        parts = _SIDES.split(line)
        before, after = (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else ("", line)
        if excluded is POINT_LANGUAGES and _TIME_ONLY.search(line) and not _NUMBER_KEY.search(line):
            continue
        keyed = _LOCALE_KEY.search(line) is not None
        new = languages(after, keyed) - languages(before, keyed) - excluded
        if new:
            return sorted(new)[0], line
    return "", ""


def _rejections(facts: Facts) -> list[tuple[str, str, str]]:
    """(namespace, pod, value) of the survey's log lines that refuse a decimal-comma number."""
    out: list[tuple[str, str, str]] = []
    for log in facts.logs:
        for line in [said_by(e) for e in log.entries()] + log.last_lines:
            value = comma_value(line)
            if value and not any(o[:2] == (log.namespace, log.pod) for o in out):
                out.append((log.namespace, log.pod, value))
    return out[:3]


def _candidates(facts: Facts, ns: str, pod: str, value: str = "") -> list[tuple[dict[str, Any], str, Ref, str, str]]:
    """(write, evidence, target, language, diff line) of the writes in the LEAD that set a decimal-comma locale on a
    workload other than the consumer pod's own, newest first."""
    out = []
    for change, evidence, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        language, setting = locale_set(change, DATE_LANGUAGES if value and is_date(value) else POINT_LANGUAGES)
        if language and parse_time(change.get("at")) and (target.namespace, target.name) != (ns, workload_of_pod(pod)):
            out.append((change, evidence, target, language, setting))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)[:MAX_WRITES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when the survey's logs refuse a decimal-comma number and a workload's locale was set in the
    LEAD, how many of the consumer's lines quoting the value were printed in all and since each such write (the
    kubelet's stamps: a traceback's value line prints no time of its own)."""
    rejections = _rejections(facts)
    if STORE in facts.reads or not rejections:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"hits": []})
    for ns, pod, value in rejections:
        for change, evidence, target, language, setting in _candidates(facts, ns, pod, value):
            written = parse_time(change.get("at"))
            assert written is not None
            seen = await log_since.split(call, pod, ns, "", value, written, f"survey-locale-{pod}")
            if seen is None or seen.since < MIN_LINES or seen.before:
                continue
            store["hits"].append({"producer": [target.kind, target.namespace, target.name], "pod": [ns, pod],
                                  "language": language, "setting": setting[:200], "value": value,
                                  "at": change.get("at"), "by": written_by(change), "count": seen.since,
                                  "evidence": [evidence, *seen.evidence]})
            break


@dataclass
class LocaleWrite:
    """A producer whose write set a decimal-comma locale before its consumer began refusing such numbers."""

    producer: Ref
    consumer: Ref
    language: str
    setting: str
    value: str
    written: datetime
    by: str
    count: int
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[LocaleWrite]:
    """The newest locale write per consumer whose every refusal of the value came after it."""
    out: list[LocaleWrite] = []
    for hit in (facts.reads.get(STORE) or {}).get("hits") or []:
        written = parse_time(hit.get("at"))
        if written is None:
            continue
        out.append(LocaleWrite(Ref(*hit["producer"]), Ref("Pod", *hit["pod"]), str(hit["language"]),
                               str(hit["setting"]), str(hit["value"]), written, str(hit.get("by") or ""),
                               int(hit.get("count") or 0), [e for e in hit.get("evidence") or [] if e]))
    return out[:1]


def finding(hit: LocaleWrite, at: datetime) -> dict[str, Any]:
    """What the write did (its program now formats numbers for another locale), then the consumer's refusal."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    what = ("dates in that language's own form" if is_date(hit.value) else "numbers with a decimal comma",
            "dates" if is_date(hit.value) else "numbers")
    message = (f"{hit.producer} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert to run with "
               f"a '{hit.language}' locale ({hit.setting}), which writes {what[0]}; since then "
               f"{hit.consumer.name} refuses the {what[1]} it reads ('{hit.value}', {hit.count} times, none before "
               f"the write). Set the producer's locale back (or make it format {what[1]} "
               f"locale-independently), then rerun it")
    return {"check": CHECK, "severity": "critical", "reason": "LocaleFormatRejected",
            "object": {"kind": hit.producer.kind, "namespace": hit.producer.namespace, "name": hit.producer.name},
            "message": message, "evidence": [hit.setting],
            "details": {"language": hit.language, "value": hit.value, "consumer": str(hit.consumer),
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The producer, explaining the consumer pod that refuses its numbers."""
    return [(h.producer, finding(h, facts.at), h.evidence, [h.consumer]) for h in found(facts)]
