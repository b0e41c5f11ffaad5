"""Timing helpers shared by the benchmarks: the median of several runs, and peak traced memory."""

from __future__ import annotations

import statistics
import time
import tracemalloc


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median seconds over ``repeats`` calls and the peak traced memory (bytes) of one more call."""
    seconds = median_seconds(fn, repeats)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak
