"""Spread CPU-bound work over the machine's cores with forked worker processes.

Work items are not pickled to the workers: they are inherited through fork,
and only each chunk's results travel back. Workers die with the build: when
it stops on an error or a signal it kills them, and when it is killed itself
the kernel kills them (see feeds.signals).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from feeds.signals import die_with_parent, held_signals

if TYPE_CHECKING:  # imported when a pool starts: most builds start none
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")
P = TypeVar("P")

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
DEAD_FOR = 1.0  # seconds a worker is seen dead, its chunk not done, before the pool is given up


class WorkerLost(Exception):
    """A worker died and the pool cannot tell (see :func:`_result`)."""


def _result(pool: ProcessPoolExecutor, future: Future[R]) -> R:
    """``future.result()``; but a worker killed while it was sending its results back
    leaves the pool's thread waiting for the rest of the message for ever (and the other
    workers for the queue's lock it held): once a worker has been dead for
    :data:`DEAD_FOR` seconds with this chunk still not done, the pool is given up, as
    broken (the pool itself says so within that time when it can tell)."""
    from concurrent.futures.process import BrokenProcessPool

    dead_since: float | None = None
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            pass
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if not any(process.exitcode is not None for process in processes):
            dead_since = None
            continue
        now = time.monotonic()
        dead_since = now if dead_since is None else dead_since
        if now - dead_since >= DEAD_FOR:
            raise BrokenProcessPool("a worker process died while sending its results") \
                from WorkerLost()


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


@contextlib.contextmanager
def _forked_pool(func: Callable[[Any], Any], items: Sequence[Any],
                 count: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``count`` forked workers that run ``func`` over chunks of ``items``
    (see :func:`_run_chunk`); shut down when done, its workers killed on a signal."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import active_children, get_context

    global _WORK
    _WORK = (func, items)
    others = set(active_children())
    pool = ProcessPoolExecutor(count, mp_context=get_context("fork"), initializer=die_with_parent,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException as exc:
        if not isinstance(exc, Exception | GeneratorExit) or isinstance(exc.__cause__, WorkerLost):
            # Stopped by a signal: the work in flight is of no use. Waiting for the
            # pool could even hang, on a result a worker was killed halfway through
            # sending, so the workers are killed and the pool is left behind. (Not when
            # the caller stopped taking results, GeneratorExit, say on a full disk: a
            # worker killed while sending would leave the pool's thread waiting for
            # the rest of its result for ever, and the process could never exit. The
            # chunks in flight are waited for, the others cancelled.)
            for worker in set(active_children()) - others:
                worker.kill()
            # (The same for a worker lost: the pool's thread would never end.)
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # nothing to do if left behind above
        _WORK = None


def parallel_map(func: Callable[[T], R], items: Sequence[T], min_items: int) -> list[R]:
    """``[func(i) for i in items]``, on all cores when there are at least ``min_items``."""
    count = workers()
    if len(items) < min_items or count < 2:
        return [func(item) for item in items]
    size = -(-len(items) // (count * 8))  # small chunks: less memory in flight, even finish
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    with _forked_pool(func, items, count) as pool:
        with held_signals():  # the workers are forked here, on the first submit
            chunks = [pool.submit(_run_chunk, b) for b in bounds]
        return [result for chunk in chunks for result in _result(pool, chunk)]


def parallel_imap(func: Callable[[T], R], items: Sequence[T], min_items: int,
                  chunk: int = 16) -> Iterator[R]:
    """:func:`parallel_map` that hands each result on as its chunk comes back and
    keeps only a few chunks in flight, so that results never pile up in memory
    while the caller is busy with earlier ones. Workers die with the build as
    in :func:`parallel_map`."""
    count = workers()
    if len(items) < min_items or count < 2:
        yield from map(func, items)
        return
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    with _forked_pool(func, items, count) as pool:
        with held_signals():  # the workers are forked here, on the first submit
            pending = deque(pool.submit(_run_chunk, b) for b in bounds[:count * 2])
        for at in range(count * 2, len(bounds) + count * 2):
            done = _result(pool, pending.popleft())
            if at < len(bounds):
                pending.append(pool.submit(_run_chunk, bounds[at]))
            yield from done


def _run_fed(payloads: list[Any]) -> list[Any]:
    assert _WORK is not None
    return [_WORK[0](payload) for payload in payloads]


def parallel_fed(func: Callable[[P], R], items: Sequence[T], feed: Callable[[T], P],
                 min_items: int, chunk: int = 16) -> Iterator[R]:
    """``func(feed(item))`` for each item, as :func:`parallel_imap` hands them on;
    ``feed`` runs in this process as each chunk is sent, so that what a worker needs
    and cannot read itself (rows of this process's store) goes with its chunk, and
    only the chunks in flight are held."""
    count = workers()
    if len(items) < min_items or count < 2:
        yield from (func(feed(item)) for item in items)
        return
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    with _forked_pool(func, (), count) as pool:
        def send(start: int, end: int) -> Future[list[R]]:
            return pool.submit(_run_fed, [feed(item) for item in items[start:end]])

        with held_signals():  # the workers are forked here, on the first submit
            pending = deque(send(*b) for b in bounds[:count * 2])
        for at in range(count * 2, len(bounds) + count * 2):
            done = _result(pool, pending.popleft())
            if at < len(bounds):
                pending.append(send(*bounds[at]))
            yield from done


def parallel_queue(func: Callable[[P], R], queue: deque[T], feed: Callable[[T], P],
                   min_items: int, chunk: int = 16, first: int = 2
                   ) -> Generator[R, None, None]:
    """:func:`parallel_fed` over a ``queue`` that the caller may add to (at either end)
    while it takes the results: each chunk sent is what the queue then holds at its
    front, the results come in the order sent, and the pool ends once the queue is
    empty and every result is taken. ``first`` chunks a worker are sent at the start
    (then two), for a caller that may be slow to take the first results. With fewer
    than ``min_items`` items at the start, or one core, the items are worked through
    here, in the queue's order."""
    count = workers()
    if len(queue) < min_items or count < 2:
        while queue:
            yield func(feed(queue.popleft()))
        return
    with _forked_pool(func, (), count) as pool:
        def send() -> Future[list[R]]:
            return pool.submit(_run_fed, [feed(queue.popleft())
                                          for _ in range(min(chunk, len(queue)))])

        pending: deque[Future[list[R]]] = deque()
        with held_signals():  # the workers are forked here, on the first submit
            while queue and len(pending) < count * max(first, 2):
                pending.append(send())
        while pending:
            done = _result(pool, pending.popleft())
            while queue and len(pending) < count * 2:
                pending.append(send())
            yield from done
            while queue and len(pending) < count * 2:  # what the caller added meanwhile
                pending.append(send())


@contextlib.contextmanager
def parallel_begun(func: Callable[[T], R], items: Sequence[T],
                   min_items: int) -> Iterator[Callable[[], list[R]]]:
    """:func:`parallel_map` begun: the workers are forked and every item is sent (one a
    chunk) before the body runs, which may meanwhile do other work, on threads too (no
    fork happens after it starts); the function it is given waits for the results, in
    order. With fewer than ``min_items`` items or one core, that function makes them."""
    count = workers()
    if len(items) < min_items or count < 2:
        yield lambda: [func(item) for item in items]
        return
    with _forked_pool(func, items, count) as pool:
        with held_signals():  # the workers are forked here, on the first submit
            futures = [pool.submit(_run_chunk, (at, at + 1)) for at in range(len(items))]
        yield lambda: [result for future in futures for result in _result(pool, future)]
