"""Percentiles and summaries of latency samples (seconds in, milliseconds out)."""

from __future__ import annotations

import math
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); ``q`` in 0..100."""
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return data[lo]
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def summary(samples_s: list[float], wall_s: float | None = None) -> dict[str, Any]:
    """p50/p95/p99/mean/max in ms, plus ops/s over ``wall_s`` (or over the sum of samples)."""
    n = len(samples_s)
    total = wall_s if wall_s is not None else sum(samples_s)
    return {
        "n": n,
        "p50_ms": percentile(samples_s, 50) * 1e3,
        "p95_ms": percentile(samples_s, 95) * 1e3,
        "p99_ms": percentile(samples_s, 99) * 1e3,
        "mean_ms": (sum(samples_s) / n * 1e3) if n else float("nan"),
        "max_ms": max(samples_s) * 1e3 if n else float("nan"),
        "wall_s": total,
        "ops_per_s": (n / total) if total else float("nan"),
    }
