"""Links an error message prints for the reader (documentation, issues, help), which are not upstreams.

Libraries point at their docs inside the error itself: httpx's `For more information check:
https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/500`, pydantic's `For further information visit
https://errors.pydantic.dev/...`, Redis's `see https://github.com/jemalloc/jemalloc/issues/1328`, Rust's
and Go's `see https://...` hints, Spring's and Oracle's docs links. Taken for the URL the program called,
such a link puts `developer.mozilla.org` among the hosts the service depends on, and its path
(`Status/500`) reads as an HTTP status. A link is the reader's when words ask the reader to follow it
(`see`, `for more information`, `visit`, `refer to`, `documentation`) or when its host serves
documentation (`docs.*`, `developer.mozilla.org`, `*.readthedocs.io`, a GitHub issue or wiki page).
"""

from __future__ import annotations

import re

_URL = re.compile(r"\bhttps?://[^\s\"'<>)\]]+", re.I)
_HINT_BEFORE = re.compile(
    r"(?:\bsee(?: also)?|\bfor (?:more|further) (?:information|info|details)(?: \w+)?|"
    r"\bmore (?:information|info|details)(?: \w+)?|\brefer to|\bvisit|\bdocumentation|\bdocs?|\blearn more|"
    r"\bread more|\bfor details|\bfor help|"
    r"\bexplained (?:at|in)|\bdescribed (?:at|in)|\bFAQ|\btroubleshooting|\bconsult|\bhelp)\W{0,12}$", re.I)
"""Words just before a link that send the reader there."""
_DOC_HOST = re.compile(
    r"^(?:docs?|developer|developers|learn|help|support|wiki|errors|manual|man|kb)\.|\.readthedocs\.(?:io|org)$|"
    r"^(?:developer\.mozilla\.org|stackoverflow\.com|pkg\.go\.dev|go\.dev|golang\.org|doc\.rust-lang\.org|docs\.rs|"
    r"kubernetes\.io|sqlalche\.me|errors\.pydantic\.dev|aka\.ms|bit\.ly|goo\.gl|jemalloc\.net|www\.postgresql\.org|"
    r"dev\.mysql\.com|redis\.io|nodejs\.org|rfc-editor\.org|datatracker\.ietf\.org|tools\.ietf\.org)$", re.I)
"""Hosts that serve documentation, references or link shorteners pointing at them."""
_PUBLIC_TLD = frozenset({"com", "org", "io", "dev", "net", "rs", "ms", "me", "co", "app", "tech", "info", "cloud",
                         "sh", "ai", "gl", "ly", "eu", "de", "uk", "fr", "jp"})
"""A documentation host by its first label (`docs.`, `help.`) only on the public internet: `docs.shop` or
`errors.monitoring.svc` is a Service of the cluster, which a program does call."""
_GITHUB_PAGE = re.compile(r"^https?://(?:www\.)?github\.com/[^/\s]+/[^/\s]+/(?:issues|pull|wiki|blob|tree|discussions)\b",
                          re.I)
_HOST = re.compile(r"^https?://(?:[^/\s@]*@)?([\w.\-]+)", re.I)


def is_doc_link(text: str, start: int, end: int) -> bool:
    """Whether the URL at text[start:end] is a link for the reader rather than an address the program used."""
    url = text[start:end]
    host = _HOST.match(url)
    if host and host.group(1).rsplit(".", 1)[-1].lower() in _PUBLIC_TLD and _DOC_HOST.search(host.group(1)):
        return True
    if _GITHUB_PAGE.match(url):
        return True
    return _HINT_BEFORE.search(text[max(0, start - 60):start]) is not None


def doc_links(text: str) -> list[str]:
    """The reader's links in `text`, in order."""
    if "://" not in text:
        return []
    return [m.group(0).rstrip(".,;") for m in _URL.finditer(text) if is_doc_link(text, m.start(), m.end())]


def without_doc_links(text: str) -> str:
    """`text` with the reader's links replaced by `<doc>`, so that neither a host nor a status is read off them."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: "<doc>" if is_doc_link(text, m.start(), m.end()) else m.group(0), text)
