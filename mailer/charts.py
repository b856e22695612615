"""A small server-drawn bar chart: SVG attributes only, so the page's CSP needs no exception."""

from __future__ import annotations

from dataclasses import dataclass

from mailer.selectors import DayCount

WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 560, 160, 22, 14


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    kind: str  # sent | failed

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    labels: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - PAD_BOTTOM
    peak: int = 0


def daily_chart(counts: list[DayCount]) -> Chart:
    """Two bars a day (sent, failed), scaled to the busiest day."""
    peak = max([1, *(max(c.sent, c.failed) for c in counts)])
    slot = WIDTH / max(1, len(counts))
    bar = slot * 0.3
    usable = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars, labels = [], []
    for index, count in enumerate(counts):
        left = index * slot + slot * 0.18
        for offset, (kind, value) in enumerate((("sent", count.sent), ("failed", count.failed))):
            height = usable * value / peak if value else 0
            bars.append(
                Bar(
                    x=round(left + offset * (bar + 2), 1),
                    y=round(HEIGHT - PAD_BOTTOM - height, 1),
                    width=round(bar, 1),
                    height=round(height, 1),
                    value=value,
                    kind=kind,
                )
            )
        labels.append((round(index * slot + slot / 2, 1), count.day.strftime("%a %-d")))
    return Chart(bars=bars, labels=labels, peak=peak)
