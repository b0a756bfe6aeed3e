"""The speed targets the issues set, checked against a run's figures (medians: p50).

They are the comparison users make: notifydb against the
hand-written SQL on the reference schema, same data, same server, same run, one
client, judged on both the unpinned and the pinned table. Each target measures
one number (a ratio, or milliseconds) and says whether it meets the bound.
"""

from __future__ import annotations

from dataclasses import dataclass

Figures = dict[str, dict[str, dict | None]]  # op name -> side -> summary


@dataclass(frozen=True)
class Relative:
    """notifydb's p50 at most ``factor`` times another operation's notifydb p50."""

    reference: str
    factor: float

    def describe(self) -> str:
        return f"≤ {self.factor:g}x {self.reference}"

    def measure(self, op: str, figures: Figures) -> float | None:
        return _over(_p50(figures, op, "notifydb"), _p50(figures, self.reference, "notifydb"))

    def meets(self, value: float) -> bool:
        return value <= self.factor

    def shows(self, value: float) -> str:
        return f"{value:.2f}x {self.reference}"


@dataclass(frozen=True)
class Speedup:
    """The baseline's p50 at least ``factor`` times notifydb's."""

    factor: float

    def describe(self) -> str:
        return f"≥ {self.factor:g}x faster than hand-written SQL"

    def measure(self, op: str, figures: Figures) -> float | None:
        return _over(_p50(figures, op, "seed"), _p50(figures, op, "notifydb"))

    def meets(self, value: float) -> bool:
        return value >= self.factor

    def shows(self, value: float) -> str:
        return f"{value:.2f}x faster"


@dataclass(frozen=True)
class AtMost:
    """notifydb's p50 under an absolute bound in milliseconds."""

    ms: float

    def describe(self) -> str:
        return f"p50 < {self.ms:g} ms"

    def measure(self, op: str, figures: Figures) -> float | None:
        return _p50(figures, op, "notifydb")

    def meets(self, value: float) -> bool:
        return value < self.ms

    def shows(self, value: float) -> str:
        return f"p50 {value:.3f} ms"


@dataclass(frozen=True)
class VersusSeed:
    """notifydb's p50 at most ``factor`` times the hand-written SQL's p50 on the reference schema."""

    factor: float

    def describe(self) -> str:
        return f"≤ {self.factor:g}x hand-written SQL"

    def measure(self, op: str, figures: Figures) -> float | None:
        return _over(_p50(figures, op, "notifydb"), _p50(figures, op, "seed"))

    def meets(self, value: float) -> bool:
        return value <= self.factor

    def shows(self, value: float) -> str:
        return f"{value:.2f}x"


@dataclass(frozen=True)
class WalVersusSeed:
    """notifydb's WAL bytes per call (median) at most ``factor`` times the hand-written SQL's."""

    factor: float

    def describe(self) -> str:
        return f"WAL ≤ {self.factor:g}x hand-written SQL"

    def measure(self, op: str, figures: Figures) -> float | None:
        return _over(_wal(figures, op, "notifydb"), _wal(figures, op, "seed"))

    def meets(self, value: float) -> bool:
        return value <= self.factor

    def shows(self, value: float) -> str:
        return f"{value:.2f}x WAL"


Target = Relative | Speedup | AtMost | VersusSeed | WalVersusSeed


def check(target: Target, op: str, figures: Figures) -> dict:
    """What the target asks, what was measured, and whether it is met (None: not measured)."""
    value = target.measure(op, figures)
    return {
        "target": target.describe(),
        "measured": value,
        "shown": "-" if value is None else target.shows(value),
        "met": None if value is None else target.meets(value),
    }


def _p50(figures: Figures, op: str, side: str) -> float | None:
    summary = figures.get(op, {}).get(side)
    return summary["p50_ms"] if summary else None


def _wal(figures: Figures, op: str, side: str) -> float | None:
    summary = figures.get(op, {}).get(side)
    return summary.get("wal_bytes_p50") if summary else None


def _over(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator
