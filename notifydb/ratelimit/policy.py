"""A rate-limit policy: how many attempts per identity per window, and what to do without Redis."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

SLIDING_WINDOW = "sliding_window"
GCRA = "gcra"

# Key suffixes: a new algorithm or a new data layout gets a new suffix, so old keys are
# never read with the wrong type (WRONGTYPE) and simply expire.
ALGORITHM_KEY_SUFFIXES = {SLIDING_WINDOW: "sw2", GCRA: "gcra1"}
_SCRIPT_ALGORITHMS = {SLIDING_WINDOW: "sw", GCRA: "gcra"}

# Names become key prefixes: no braces (they would move the Cluster hash tag), no spaces.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,99}")


@dataclass(frozen=True)
class Policy:
    """`limit` attempts per identity in any `window_seconds`.

    algorithm: "sliding_window" (exact: never more than `limit` in any window, for small
    quotas such as 3 per hour; 8 bytes per counted attempt, read and written whole by each
    check) or "gcra" (a steady rate with a burst of `limit`, constant memory, for large
    quotas). on_redis_error: "closed" denies and "open" allows when Redis cannot answer.
    count_rejected: denied attempts count too (sliding_window only), so an identity that
    keeps trying stays blocked.
    """

    name: str
    limit: int
    window_seconds: float
    on_redis_error: Literal["open", "closed"] = "closed"
    algorithm: Literal["sliding_window", "gcra"] = SLIDING_WINDOW
    count_rejected: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError("name must be 1..100 characters of letters, digits, ':', '.', '_' or '-'")
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError("limit must be a positive integer")
        if not math.isfinite(self.window_seconds) or self.window_ms < 1:
            raise ValueError("window_seconds must be at least 0.001")
        if self.window_ms * 1000 < self.limit:
            raise ValueError("limit must not exceed one attempt per microsecond of window_seconds")
        if self.on_redis_error not in ("open", "closed"):
            raise ValueError("on_redis_error must be 'open' or 'closed'")
        if self.algorithm not in ALGORITHM_KEY_SUFFIXES:
            raise ValueError("algorithm must be 'sliding_window' or 'gcra'")
        if self.count_rejected and self.algorithm != SLIDING_WINDOW:
            raise ValueError("count_rejected needs algorithm 'sliding_window'")

    @property
    def window_ms(self) -> int:
        return round(self.window_seconds * 1000)

    @property
    def key_suffix(self) -> str:
        return ALGORITHM_KEY_SUFFIXES[self.algorithm]

    @cached_property
    def script_args(self) -> tuple[str, int, int, int]:
        """What rate_limit.lua takes for this policy (built once: a check is on the hot path)."""
        return (_SCRIPT_ALGORITHMS[self.algorithm], self.limit, self.window_ms, int(self.count_rejected))
