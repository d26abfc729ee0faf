"""A few counters and histograms in the Prometheus text exposition format, for `/metrics`.

Hand-written rather than a client library: Vigil needs five series, and this keeps the dependency
list to the design card. Label values are escaped as the format requires.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

LabelKey = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(key: LabelKey, extra: tuple[str, str] | None = None) -> str:
    pairs = list(key) + ([extra] if extra else [])
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


class Metrics:
    """Thread-safe counters and histograms, rendered on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._help: dict[str, tuple[str, str]] = {}
        self._counters: dict[str, dict[LabelKey, float]] = defaultdict(dict)
        self._histograms: dict[str, dict[LabelKey, list[float]]] = defaultdict(dict)

    def describe(self, name: str, kind: str, text: str) -> None:
        self._help[name] = (kind, text)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts = self._histograms[name].setdefault(key, [0.0] * (len(BUCKETS) + 2))
            for i, bound in enumerate(BUCKETS):
                if value <= bound:
                    counts[i] += 1
            counts[-2] += 1  # count
            counts[-1] += value  # sum

    def render(self, gauges: dict[str, dict[LabelKey, float]] | None = None) -> str:
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                lines += self._header(name, "counter")
                lines += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
            for name, hist in sorted(self._histograms.items()):
                lines += self._header(name, "histogram")
                for key, counts in sorted(hist.items()):
                    for i, bound in enumerate(BUCKETS):
                        lines.append(f"{name}_bucket{_labels(key, ('le', f'{bound:g}'))} {counts[i]:g}")
                    lines.append(f"{name}_bucket{_labels(key, ('le', '+Inf'))} {counts[-2]:g}")
                    lines.append(f"{name}_count{_labels(key)} {counts[-2]:g}")
                    lines.append(f"{name}_sum{_labels(key)} {counts[-1]:g}")
        for name, series in sorted((gauges or {}).items()):
            lines += self._header(name, "gauge")
            lines += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
        return "\n".join(lines) + "\n"

    def _header(self, name: str, kind: str) -> list[str]:
        declared_kind, text = self._help.get(name, (kind, name.replace("_", " ")))
        return [f"# HELP {name} {text}", f"# TYPE {name} {declared_kind}"]
