"""Work begun in a forked child while the build goes on, for a second core.

A build that adds one issue spends a fifth of its time parsing it, most of that
importing the Markdown parser; meanwhile the main process would only import and
read the store. :class:`Ahead` runs such work in a forked child, begun as soon as
the items are known, and hands each result over when the build gets to it. It
is an optimisation only: whatever the child does not answer (it failed, was
killed, answered something else) is made in this process, as it would be
without the child.

The results come back pickled through a pipe of this process's own, as a
:mod:`concurrent.futures` pool's do: nothing read back from a file is unpickled.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

from feeds.child import Child

T = TypeVar("T", bound=Hashable)
R = TypeVar("R")


class Ahead(Generic[T, R]):
    """``func`` over ``items``, begun in a forked child (see :meth:`begin`)."""

    def __init__(self, func: Callable[[T], R], items: Sequence[T], child: Child) -> None:
        self.func = func
        self.items = list(items)
        self.child = child
        self.results: dict[T, R] | None = None  # once taken: the child's answer, or {}

    @classmethod
    def begin(cls, func: Callable[[T], R], items: Sequence[T]) -> Ahead[T, R] | None:
        """Fork a child that makes ``func(item)`` for each item, in order; None when
        there is nothing to do, no second core, no child could be forked, or this
        process runs other threads (``feeds serve``: a lock one of them holds while the
        child is forked, an import's say, would stay held in the child for good)."""
        import threading

        from feeds.parallel import workers

        if not items or workers() < 2 or threading.active_count() > 1:
            return None
        child = Child.fork(lambda: pickle.dumps([func(item) for item in items],
                                                protocol=pickle.HIGHEST_PROTOCOL))
        return None if child is None else cls(func, items, child)

    def __call__(self, item: T) -> R:
        """``func(item)``: the child's result, waited for, or made here if it has none."""
        results = self._take()
        if item in results:
            return results.pop(item)
        return self.func(item)

    def _take(self) -> dict[T, R]:
        """The child's results by item, once it has ended ({} if it failed)."""
        if self.results is not None:
            return self.results
        answer = self.child.answer()
        self.results = {}
        if answer is None:
            return self.results
        try:
            made = pickle.loads(answer)
        except Exception:  # a torn answer (any error unpickling): each is made here
            return self.results
        if isinstance(made, list) and len(made) == len(self.items):
            self.results = dict(zip(self.items, made, strict=True))
        return self.results

    def close(self, kill: bool = True) -> int | None:
        """Close the pipe and reap the child (killed first if ``kill``): its exit status
        (None once reaped before)."""
        return self.child.close(kill)
