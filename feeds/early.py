"""The issues a build parses, their entries prepared in the same pool as they are parsed.

A build that serialises every entry (see :func:`feeds.site._full_build`) into a store
that holds no entry and no record of one has no use for a second pool that reads the
parse results back: a worker that parses an issue prepares its entries at once, when
it has all they depend on. That is its date from its text (one from git history or
a file's time is known only once every file is found) and the slug of each section:
new section names get theirs from the slug helper, through this process, which sends
them on with every chunk of files it sends after. An issue parsed before its slugs
were known is prepared by the pool too, from its parse result as JSON, once this
process has filled them in; an undated one is left to the build. The workers send
back what this process keeps: the parse result as JSON, its summary, the entries.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from feeds import loader
from feeds.cache import result_from_json, result_to_json, summarise
from feeds.loader import Parsed, _Job, _parse_one, _with_slugs
from feeds.model import Issue, ParseError, ParseOptions, ParseResult
from feeds.parallel import parallel_queue
from feeds.slugs import learn_slugs, resolve_slugs

if TYPE_CHECKING:
    from feeds.render import Prepared
    from feeds.spool import Placed, Placing

_PARSE, _PREPARE = 0, 1
_Work = tuple[int, int, Any, bool]  # what, the job's index, slugs or JSON, whether to prepare
_Done = tuple[int, int, "ParseResult | ParseError | Parsed | Prepared", str, "Placed | None"]

Took = Callable[[str, str, datetime, tuple[int, int], "Prepared", "Placed | None"], None]
"""What the build does with an issue's prepared entries: its path, parse key, date,
year and number, the entries, and where the worker wrote their bytes (then not in the
entries' ``fragments``), if it did."""


@dataclass(frozen=True)
class EarlyPrepare:
    """How the build prepares a fresh issue (``prepare``: in a worker, inherited by
    fork, never pickled), what it does with the entries (``took``: here), and where a
    worker writes their bytes (``placing``; None: they are sent back with them)."""

    prepare: Callable[[Issue], Prepared]
    took: Took
    placing: Placing | None = None

    def parse_each(self, jobs: list[_Job], keys: list[str], options: ParseOptions
                   ) -> Generator[tuple[ParseResult | ParseError | Parsed, str], None, None]:
        """:func:`feeds.loader._parse_each` preparing as it goes: each job's outcome in
        order (a :class:`Parsed` for an issue whose entries were prepared or are being
        prepared), the entries handed to :attr:`took` as they come (``keys`` holds each
        job's parse key). The generator ends once every issue sent to be prepared is."""
        helper = loader.before_the_pool(jobs)
        slugs: dict[str, str] = {}  # learned here since the workers were forked
        going = True  # until an issue fails: the build then publishes nothing
        held: dict[int, tuple[str, datetime, tuple[int, int]]] = {}  # sent to be prepared
        queue: deque[int | tuple[int, bytes]] = deque(range(len(jobs)))

        def feed(item: int | tuple[int, bytes]) -> _Work:
            if isinstance(item, int):
                return _PARSE, item, slugs, going
            return _PREPARE, item[0], item[1], True

        # while the helper loads pypinyin, this process waits for its first slugs: the
        # workers have more to parse meanwhile (prepared later, from JSON)
        made = parallel_queue(partial(_work, jobs=jobs, options=options, prepare=self.prepare,
                                      placing=self.placing),
                              queue, feed, loader.PARALLEL_MIN_FILES,
                              first=4 if helper is not None else 2)
        try:
            for kind, index, outcome, digest, placed in made:
                if kind == _PREPARE:
                    path, date, number = held.pop(index)
                    self.took(path, keys[index], date, number, cast("Prepared", outcome), placed)
                    continue
                if isinstance(outcome, Parsed):
                    summary, ready = outcome.summary, outcome.ready
                    assert summary.date is not None and ready is not None
                    self.took(summary.path, keys[index], summary.date,
                              (summary.year, summary.number), ready, placed)
                    yield Parsed(outcome.blob, summary, outcome.url), digest
                    continue
                if isinstance(outcome, ParseError):
                    going = False
                    yield outcome, digest
                    continue
                assert isinstance(outcome, ParseResult)
                new = resolve_slugs((s.name for s in outcome.issue.sections if not s.slug),
                                    helper)
                if new.keys() - slugs.keys():
                    slugs = {**slugs, **new}  # a new object: each chunk pickles it once
                result = _with_slugs(outcome, new)
                issue = result.issue
                if not (going and issue.date is not None):
                    yield result, digest  # prepared by the build, once dated
                    continue
                blob = result_to_json(result)
                held[index] = (issue.path, issue.date, (issue.year, issue.number))
                queue.appendleft((index, blob))
                yield Parsed(blob, summarise(issue, "", result.diagnostics), issue.url), digest
        finally:
            made.close()  # the workers end here, even on an error
            if helper is not None:
                helper.close()


def _work(item: _Work, jobs: list[_Job], options: ParseOptions,
          prepare: Callable[[Issue], Prepared], placing: Placing | None = None) -> _Done:
    """In a worker: parse a job and, when it can, prepare the issue's entries; or
    prepare an issue from its parse result as JSON. With ``placing``, the entries'
    bytes are written to its file here, and only where they went is sent back."""
    kind, index, data, going = item
    if kind == _PREPARE:
        ready, placed = _placed(prepare(result_from_json(data).issue), placing)
        return kind, index, ready, "", placed
    learn_slugs(data)
    outcome, digest = _parse_one(jobs[index], options)
    if isinstance(outcome, ParseError) or not going:
        return kind, index, outcome, digest, None
    issue = outcome.issue
    if issue.date is None or not all(s.slug for s in issue.sections):
        return kind, index, outcome, digest, None  # this process fills in what it lacks
    ready, placed = _placed(prepare(issue), placing)
    return kind, index, Parsed(result_to_json(outcome), summarise(issue, "", outcome.diagnostics),
                               issue.url, ready), digest, placed


def _placed(ready: Prepared, placing: Placing | None) -> tuple[Prepared, Placed | None]:
    """The entries without their bytes, and where they were written; or as they are,
    if they were not."""
    placed = placing.place(ready.fragments) if placing is not None else None
    return (ready, None) if placed is None else (replace(ready, fragments={}), placed)
