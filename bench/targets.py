"""The speed targets the issues set, checked against a run's figures (medians: p50)."""

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

    def check(self, op: str, figures: Figures) -> bool | None:
        mine = _p50(figures, op, "notifydb")
        ref = _p50(figures, self.reference, "notifydb")
        return None if mine is None or ref is None else mine <= self.factor * ref


@dataclass(frozen=True)
class Speedup:
    """The seed's p50 at least ``factor`` times notifydb's."""

    factor: float

    def describe(self) -> str:
        return f"≥ {self.factor:g}x faster than seed"

    def check(self, op: str, figures: Figures) -> bool | None:
        mine, seed = _p50(figures, op, "notifydb"), _p50(figures, op, "seed")
        return None if mine is None or seed is None else seed >= self.factor * mine


@dataclass(frozen=True)
class AtMost:
    """notifydb's p50 under an absolute bound in milliseconds."""

    ms: float

    def describe(self) -> str:
        return f"p50 < {self.ms:g} ms"

    def check(self, op: str, figures: Figures) -> bool | None:
        mine = _p50(figures, op, "notifydb")
        return None if mine is None else mine < self.ms


Target = Relative | Speedup | AtMost


def _p50(figures: Figures, op: str, side: str) -> float | None:
    summary = figures.get(op, {}).get(side)
    return summary["p50_ms"] if summary else None
