"""The values of an alert that can name a cluster object without saying which kind: addresses and phrases.

A blackbox probe's `instance` is a URL, a scrape target's is `10.244.1.30:8080`; an alert's own name is
CamelCase prose (`SettlementsWithoutLedgerEvents`) whose words, joined the way Kubernetes names are
spelt, may be an object's name (`ledger-events`). These helpers only extract such values; whether one
names anything is decided against the cluster (agent.triage.subject_resolve).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping

ADDRESS_LABELS = ("instance", "target", "address", "endpoint", "server", "upstream", "pod_ip", "ip", "host")
"""Labels whose value may be a scrape target or peer as `IP[:port]`."""

_ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?(?:/|$)")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_WORD = re.compile(r"[a-z][a-z0-9]*")
MAX_GRAM = 3
"""Longest run of words joined into one candidate name (`order-events-dlq`)."""


def addresses(label_sets: Iterable[Mapping[str, str]]) -> list[str]:
    """`IP` or `IP:port` values of address-like labels, private and public alike (a pod IP is either)."""
    out: list[str] = []
    for labels in label_sets:
        for key in ADDRESS_LABELS:
            found = _ADDRESS.match(str(labels.get(key) or "").strip().lower())
            if not found:
                continue
            try:
                ipaddress.ip_address(found.group(1))
            except ValueError:
                continue
            value = f"{found.group(1)}:{found.group(2)}" if found.group(2) else found.group(1)
            if value not in out:
                out.append(value)
    return out


def camel_words(text: str) -> list[str]:
    """`SettlementsWithoutLedgerEvents` -> settlements, without, ledger, events; `HTTPProbeFailed` keeps `http`."""
    return [w.lower() for w in _CAMEL.findall(text)]


def phrases(alertname: str, prose: str = "") -> list[str]:
    """Runs of two or three consecutive words of the alert's name (CamelCase) and of its prose, joined by
    hyphens: candidate object names, longest first. Single words are left to the subject's own names."""
    runs = [camel_words(alertname)]
    runs += [_WORD.findall(line) for line in prose.lower().splitlines()]
    out: list[str] = []
    for words in runs:
        for size in range(MAX_GRAM, 1, -1):
            for i in range(len(words) - size + 1):
                gram = "-".join(words[i:i + size])
                if len(gram) <= 63 and gram not in out:
                    out.append(gram)
    return out
