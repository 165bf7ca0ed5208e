"""Spread CPU-bound work over the machine's cores with forked worker processes.

Work items are not pickled to the workers: they are inherited through fork,
and only each chunk's results travel back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    func, items = _WORK
    return [func(item) for item in items[bounds[0]:bounds[1]]]


def workers() -> int:
    """How many processes are worth starting: the cores this process may use."""
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 4))
    except AttributeError:
        return max(1, min(os.cpu_count() or 1, 4))


def parallel_map(func: Callable[[T], R], items: Sequence[T], min_items: int) -> list[R]:
    """``[func(i) for i in items]``, on all cores when there are at least ``min_items``."""
    global _WORK
    count = workers()
    if len(items) < min_items or count < 2:
        return [func(item) for item in items]
    size = -(-len(items) // (count * 8))  # small chunks: less memory in flight, even finish
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _WORK = (func, items)
    try:
        with ProcessPoolExecutor(count, mp_context=get_context("fork")) as pool:
            return [result for chunk in pool.map(_run_chunk, bounds) for result in chunk]
    finally:
        _WORK = None
