"""OpenMetrics text for a scenario, in the form `promtool tsdb create-blocks-from openmetrics` reads.

Families are written one after another (a family's samples must be contiguous), every series in
time order, timestamps in seconds, and the file ends with `# EOF`. Incident workloads are sampled
every 30 s; background series every 120 s (flat counters every 240 s) to keep the files small;
Prometheus' 5 minute lookback hides the difference in instant queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Labels = dict[str, str]


@dataclass
class Family:
    name: str
    type_: str
    help_: str
    series: list[tuple[Labels, list[tuple[float, float]]]] = field(default_factory=list)


class MetricsWriter:
    """Accumulates families and renders them as OpenMetrics text."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.end = end
        self.families: dict[str, Family] = {}

    def times(self, step_s: int = 30, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[datetime]:
        t = max(self.start, since) if since else self.start
        # align to the step so series of different pods share timestamps
        offset = (t - self.start).total_seconds() % step_s
        if offset:
            t += timedelta(seconds=step_s - offset)
        stop = min(self.end, until) if until else self.end
        while t <= stop:
            yield t
            t += timedelta(seconds=step_s)

    def family(self, name: str, type_: str, help_: str) -> Family:
        if name not in self.families:
            self.families[name] = Family(name, type_, help_)
        return self.families[name]

    def add(self, family: str, type_: str, help_: str, labels: Labels,
            value: Callable[[datetime], float | None], step_s: int = 30, since: datetime | None = None,
            until: datetime | None = None) -> None:
        """One series sampled every `step_s` between `since` and `until` (value None = no sample)."""
        samples = []
        for t in self.times(step_s, since, until):
            v = value(t)
            if v is not None:
                samples.append((t.timestamp(), v))
        if samples:
            self.family(family, type_, help_).series.append((labels, samples))

    def render(self) -> str:
        out: list[str] = []
        for fam in self.families.values():
            out.append(f"# HELP {fam.name} {fam.help_}")
            out.append(f"# TYPE {fam.name} {fam.type_}")
            suffix = "_total" if fam.type_ == "counter" else ""
            for labels, samples in fam.series:
                metric = labels.pop("__name__", fam.name + suffix)
                label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
                head = f"{metric}{{{label_text}}}" if label_text else metric
                for ts, v in samples:
                    out.append(f"{head} {_num(v)} {int(ts)}")
                labels["__name__"] = metric
        out.append("# EOF")
        return "\n".join(out) + "\n"


def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}" if abs(v) < 1 else f"{v:.1f}"
