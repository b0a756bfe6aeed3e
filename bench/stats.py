"""Summaries of latency samples."""

from __future__ import annotations

import statistics

# Below this many samples the 99th percentile is simply the largest one or two: not reported.
MIN_SAMPLES_FOR_P99 = 100


def summarize(latencies_ns: list[int], clients: int = 1) -> dict | None:
    """p50, p99 (None under MIN_SAMPLES_FOR_P99 samples), mean and max in milliseconds;
    throughput of closed-loop clients (clients / mean)."""
    if not latencies_ns:
        return None
    ms = sorted(value / 1e6 for value in latencies_ns)
    mean = statistics.fmean(ms)
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99) if len(ms) >= MIN_SAMPLES_FOR_P99 else None,
        "mean_ms": mean,
        "max_ms": ms[-1],
        "throughput_per_s": clients * 1000 / mean if mean > 0 else None,
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]
