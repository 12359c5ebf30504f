"""Time ratios for the linear-time tests (never absolute times: the machine may be busy)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_of_5(run: Callable[[], object]) -> float:
    """The fastest of five runs, with the garbage collector held off (noise on a busy CI
    machine only ever adds time, so the minimum is the truest figure)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best
