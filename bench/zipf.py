"""Inbox sizes: a Zipf-Mandelbrot law over a base count, fitted to the measured shape of the baseline's data set.

The row count of the user ranked r is ``base + c / (r + q)``. Three facts of
the 5-million-row data set the design guide's schema was first measured on fix the three numbers:
the largest inbox (88,696 rows), the 18th largest (just over 10,000) and the
total. At another scale every count is multiplied by the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LARGEST_INBOX = 88_696
EIGHTEENTH_INBOX = 10_050
SOLVER_ROUNDS = 60


@dataclass(frozen=True)
class InboxLaw:
    c: float
    q: float
    base: float

    def rows(self, rank: int) -> int:
        return max(1, round(self.base + self.c / (rank + self.q)))


def fit(users: int, user_rows: int, scale: float) -> InboxLaw:
    """The law whose counts sum to ``user_rows`` over ``users`` ranks."""
    top, eighteenth = LARGEST_INBOX * scale, EIGHTEENTH_INBOX * scale
    base = user_rows / users / 2
    c = q = 0.0
    for _ in range(SOLVER_ROUNDS):
        # Given base, the two anchors fix q and c; then base absorbs the rest.
        high, low = top - base, max(eighteenth - base, 1e-9)
        q = max((18 * low - high) / (high - low), -0.5)
        c = high * (1 + q)
        tail = math.fsum(c / (rank + q) for rank in range(1, users + 1))
        base = max((user_rows - tail) / users, 0.0)
    return InboxLaw(c=c, q=q, base=base)
