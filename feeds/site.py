"""One whole build: read the issues, plan and render the feeds, publish them.

The pipeline the ``build`` and ``serve`` commands run; it raises ParseError,
LockError or WriteError and prints nothing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from array import array
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.config import Config, unused_sections
from feeds.model import Diagnostic, Issue, IssueSummary, ParseError
from feeds.store import (
    DATABASE,
    SCHEMA_VERSION,
    SET_ASIDE,
    DamagedRow,
    Manifest,
    OtherSchema,
    ReadOnce,
    Store,
    files_key,
    is_damage,
    is_full,
    packed_build,
)
from feeds.writer import Keep, OutputDir, WriteError, build_lock

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo, Revisions, Serialised
    from feeds.loader import Catalog, ParseAhead
    from feeds.model import ParseOptions
    from feeds.render import Prepared, Settled
    from feeds.sources import Survey
    from feeds.spool import Fragments, Placed, Spooled


IN_MEMORY_ENTRIES = 1000
APART_MIN_ENTRIES = 200  # entries from which a feed all at hand is written by a child
PREPARE_WHILE_PARSING = True  # see feeds.early; False: parsed first, then prepared (the reference)
# with PREPARE_WHILE_PARSING, the workers write the entries' bytes to the at-hand file
# themselves rather than send them back (see feeds.spool.Placing); False: sent back
PLACE_IN_WORKERS = True
# a cold build's large feeds staged by children while the web edition is made (see
# OutputDir.stage_early); False: staged while publishing (the reference)
STAGE_EARLY = True
READ_ONCE = True  # see feeds.store.ReadOnce; False: each format's stored bytes read apart
KEEP_FEEDS = True  # a feed whose key is the last build's, its file intact, kept; False: made and compared
# the digest entries' records read as the plan asks for them (see feeds.corrections.StoredDigests);
# False: every row read first (the reference)
DIGESTS_AS_ASKED = True
_AS_RECORDED = attrgetter("path", "line", "level", "message")  # a warning in the build's record
AT_HAND_BYTES = 16 << 20  # serialised entries kept in memory by a build that makes them (the rest spooled)


@dataclass(frozen=True)
class BuildReport:
    """What one build did, for printing."""

    feeds: int
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]
    warnings: tuple[Diagnostic, ...]
    seconds: float


def parse_options(config: Config) -> ParseOptions:
    """What the parser needs from the configuration."""
    from feeds.model import ParseOptions

    return ParseOptions(timezone=config.timezone, section_slugs=dict(config.sections))


def run_build(issues_dir: Path, output: Path, config: Config, wait: float,
              state: Path) -> BuildReport:
    """Parse, build, then publish under the lock, keeping the state in ``state``.
    Raises on any failure.

    When neither the inputs nor the files of the last build changed, it stops
    after looking at the issue files: no parsing, no feed is built or written.
    A damaged state database is set aside and the build starts from scratch; one
    that cannot be used now (locked, read-only) is left alone and the build runs
    without it. Either way the warning says so.
    """
    started = time.perf_counter()
    out = OutputDir(output, state)
    with build_lock(state, output, wait):
        notes: list[Diagnostic] = []
        store = _open_store(state, notes)
        try:
            try:
                return _build_sound(issues_dir, out, config, store, notes, started)
            except sqlite3.Error as exc:
                store.close()
                store = _recover(state, store, exc, notes)
                again = _build_sound(issues_dir, out, config, store, notes, started)
                # what the failed attempt wrote before the store failed is changed too
                changed = set(out.replaced)
                return replace(again, changed=tuple(sorted(changed)), unchanged=tuple(
                    p for p in again.unchanged if p not in changed))
        except sqlite3.Error as exc:
            raise WriteError(f"{state / DATABASE}: cannot use the state database: {exc}") from None
        finally:
            out.forget_ahead()
            _stop_children()
            store.close()


class _StaleEntries(Exception):
    """Stored entries of these issues (year, number) disagree with what making them
    again gives: the plan that used them cannot be made."""

    def __init__(self, issues: set[tuple[int, int]]) -> None:
        super().__init__(issues)
        self.issues = issues


def _build_sound(issues_dir: Path, out: OutputDir, config: Config, store: Store,
                 notes: list[Diagnostic], started: float) -> BuildReport:
    """:func:`_build`; should its plan use stored entries that making them again
    contradicts, those entries are dropped and the build starts over, with nothing
    of the first attempt kept (it published nothing)."""
    try:
        return _build(issues_dir, out, config, store, notes, started)
    except _StaleEntries as stale:
        store.rollback()
        store.begin()
        store.forget_entries_of(stale.issues, ())
        store.commit()
        return _build(issues_dir, out, config, store, notes, started)


def _open_store(state: Path, notes: list[Diagnostic]) -> Store:
    try:
        return Store.open(state)
    except sqlite3.Error as exc:
        return _recover(state, None, exc, notes)


def _recover(state: Path, failed: Store | None, exc: sqlite3.Error,
             notes: list[Diagnostic]) -> Store:
    """After a database error: set a damaged database aside and start a new one, or
    build without any when it cannot be used now."""
    where = str(state / DATABASE)
    if failed is not None and failed.path is None:
        raise exc  # the in-memory store failed: nothing left to fall back on
    if is_full(exc, state):  # not damaged, and a build without it would lose its corrections
        raise WriteError(f"{where}: cannot write the state database: no space left on device")
    if is_damage(exc):
        try:
            aside = exc.aside if isinstance(exc, OtherSchema) else SET_ASIDE
            Store.set_aside(state, aside)
            store = Store.open(state)
            notes.append(Diagnostic(where, 0, "warning", _set_aside_note(exc, aside)))
            return store
        except (OSError, sqlite3.Error) as again:
            exc = again if isinstance(again, sqlite3.Error) else exc
    notes.append(Diagnostic(where, 0, "warning",
                            f"cannot use the state database ({exc}); building from scratch "
                            "without it, nothing is saved"))
    return Store.memory()


def _set_aside_note(exc: sqlite3.Error, aside: str) -> str:
    if not isinstance(exc, OtherSchema):
        return f"not a usable state database ({exc}); set aside as {aside}, building from scratch"
    return (f"the state of {'an older' if exc.version < SCHEMA_VERSION else 'a newer'} version "
            f"of feeds ({exc}); set aside as {aside}, building from scratch: the corrections "
            "it recorded are not carried over (each entry's updated starts again from its "
            "published)")


def _build(issues_dir: Path, out: OutputDir, config: Config, store: Store,
           notes: list[Diagnostic], started: float) -> BuildReport:
    from feeds.sources import (
        Survey,
        code_stamp,
        misnamed_warnings,
        stat_key,
        survey,
        template_stamp,
    )

    store.begin()
    settings = (code_stamp(), repr(config), str(issues_dir.resolve()), template_stamp(config))
    # (found by a child as the process started, if it was and answers first)
    names, misnamed, stats = survey(issues_dir)
    notes = [*notes, *misnamed_warnings(misnamed)]  # said anew by every build, a no-op too
    key = stat_key(names, stats, *settings)
    # the last build's record is read whole (thousands of files and warnings) only
    # when its inputs are this build's
    last_inputs = store.last_inputs(out.key)
    until = store.replay_until(out.key)
    if until is not None and not time.time() < until:
        last_inputs = None  # its warnings have stopped being true: a full build says them anew
    record = store.noop_record(out.key)
    last = store.last_build(out.key) if last_inputs is not None and record is not None \
        and key is not None and key == record[0] and last_inputs == record[1] else None
    if last is not None and record is not None and out.left_key(last[2]) == record[2]:
        # nothing changed: the files' stats and the published files' are the last build's
        replay = _replay(last, out, record[3], notes, started)
        if replay is not None:
            store.commit()
            return replay
    known = store.sources()
    found = Survey(names, known, stats)
    inputs = found.inputs(*settings)
    if last is None and last_inputs is not None and last_inputs == inputs:
        last = store.last_build(out.key)
    if last is not None and last[0] == inputs:
        published = store.published_stats(out.key)
        if out.left_as(last[2], published):
            files = [str(f) for f in last[2]]
            stale = out.stale_candidates(set(files), published)
            replay = _replay(last, out, stale, notes, started)
            if replay is not None:
                if found.changed:  # re-read racy files: remember they are settled
                    store.save_sources(found.rows(), [])
                now = (key, inputs, files_key((f, *published[f]) for f in files), list(stale)) \
                    if key is not None and found.settled else None
                if now != record:  # the next build's record: once, not at every build
                    store.save_noop_record(out.key, now)
                store.commit()
                return replay
    _import_quietly("feeds.loader")  # what parsing needs (and the parse child with it)
    from feeds.loader import begin_slug_helper, end_slug_helper, parse_ahead

    # the edited files parsed meanwhile by a child process (the parser's imports too),
    # while this one imports the rest and reads the store
    ahead = parse_ahead(found, parse_options(config), store)
    try:
        begin_slug_helper(found, store)  # many files to parse: pypinyin loads meanwhile
        # (begun before the thread: no thread runs when a process is started)
        manifest = store.manifest_meanwhile(out.key)  # read by a thread while this one imports
        _import_quietly("feeds.corrections", "feeds.pages", "feeds.render", "feeds.hosting",
                        "concurrent.futures.thread",
                        *(("feeds.webedition",) if config.pages else ()))
        owned = manifest()
        out.look_ahead(owned)  # the kept files' stats, taken meanwhile by a child process
        return _full_build(found, out, config, store, inputs, key, settings, owned, notes,
                           started, ahead)
    finally:
        if ahead is not None:
            ahead.parse.close()
        end_slug_helper()


def _import_quietly(*names: str) -> None:
    """Import these modules as :mod:`feeds.__main__` imports those of the command line:
    with the collector off while they load (they make some hundred thousand objects and
    next to no garbage), and what they made left out of its walks (``gc.freeze``), else
    the build's first collection walks it all (some ms). Once a process: modules already
    loaded freeze nothing."""
    import gc
    import importlib
    import sys

    if all(name in sys.modules for name in names):
        return
    on = gc.isenabled()
    gc.disable()
    try:
        for name in names:
            importlib.import_module(name)
    finally:
        gc.freeze()
        if on:
            gc.enable()


def _stop_children() -> None:
    """Kill the children a failed build began and did not wait for (see feeds.apart)."""
    import sys

    if "feeds.apart" in sys.modules:  # a build that began none never imports it
        from feeds.apart import stop_all

        stop_all()


def _replay(last: tuple[str, int, list[str], list[list[Any]]], out: OutputDir,
            stale: Sequence[str], notes: list[Diagnostic], started: float) -> BuildReport | None:
    """The report of a build that finds nothing changed: the last build's, its warnings
    printed again; None if its record is damaged (a full build then)."""
    try:
        files = sorted(str(f) for f in last[2])
        warnings = tuple(Diagnostic(*d) for d in last[3])
    except TypeError:
        return None
    root = os.fspath(out.root)
    return BuildReport(last[1], (), tuple(files),
                       tuple(p for p in stale if os.path.exists(os.path.join(root, p))),
                       (*notes, *warnings), time.perf_counter() - started)


def _prepare_stored(item: tuple[int, int, datetime, str, bool, Revisions], spool: int,
                    config: Config, revisions: Revisions, floor: datetime | None = None
                    ) -> Prepared:
    """An issue's serialised entries, from its parse result as JSON at ``item``'s
    offset and size in the ``spool`` file (in a worker), its articles dated by the
    records in ``item`` (see :func:`feeds.builder.dated`)."""
    import os
    from dataclasses import replace

    from feeds.cache import result_from_json
    from feeds.render import prepare_issue

    offset, size, date, source, edited, articles = item
    issue = result_from_json(os.pread(spool, size, offset)).issue
    return _with_rows(prepare_issue(_with_page(replace(issue, date=date, date_source=source),
                                               config), config, revisions, articles, edited,
                                    floor))


def _prepare_fresh(issue: Issue, config: Config, revisions: Revisions,
                   edited: Collection[str]) -> Prepared:
    """An issue parsed in this run, its date its text's, prepared (in the worker that
    parsed it: see :mod:`feeds.early`) as :func:`_prepare_stored` prepares it when no
    record dates its articles (a store that holds none)."""
    from feeds.render import prepare_issue

    return _with_rows(prepare_issue(_with_page(issue, config), config, revisions, {},
                                    issue.path in edited))


def _prepare_summary(item: tuple[IssueSummary, bytes | None, bool, Revisions], config: Config,
                     options: ParseOptions, revisions: Revisions,
                     floor: datetime | None = None) -> Prepared:
    """An issue of the catalog not parsed in this run, serialised (in a worker) as
    :func:`_prepare_stored` does a fresh one: ``item`` holds its summary, its stored
    parse result as JSON (None: its file is parsed again), whether it was edited, and
    the records that date its articles."""
    from feeds.loader import issue_from
    from feeds.render import prepare_issue

    summary, blob, edited, articles = item
    return _with_rows(prepare_issue(_with_page(issue_from(blob, summary, options), config),
                                    config, revisions, articles, edited, floor))


def _with_rows(ready: Prepared) -> Prepared:
    """The prepared issue with its entries' stored rows made (in the worker: a cold
    build's main process stores them as they are)."""
    from dataclasses import replace

    from feeds.store import entries_text

    return replace(ready, rows=entries_text(_entry_rows(ready.entries)))


def _with_page(issue: Issue, config: Config) -> Issue:
    """The issue as the feeds show it: with the web edition, linked to its own page."""
    if not config.pages:
        return issue
    from feeds.pages import with_page_urls

    return with_page_urls([issue], config)[0]


def _at_hand() -> Fragments:
    """Serialised entries made by this build, kept so that writing the feeds need not
    read them back from the store: :data:`AT_HAND_BYTES` in memory, the rest spooled."""
    from feeds.spool import Fragments

    return Fragments(AT_HAND_BYTES)


def _entry_rows(entries: Sequence[Entry | Serialised]) -> list[list[str]]:
    return [[e.key, e.published.isoformat(), e.updated.isoformat(), e.section_name]
            for e in entries]


def _digest_rows(entry: Entry | Serialised) -> list[list[str]]:
    """A digest entry's stored row (see :func:`_stored_digest`)."""
    return [[entry.key, entry.published.isoformat(), entry.updated.isoformat(), entry.id,
             entry.revision]]


def _digest_records(store: Store, ledger: str) -> Revisions:
    """The digest entries as the last build into the folder of ``ledger`` published them
    (see builder.revised): read as asked, or (without :data:`DIGESTS_AS_ASKED`) all now."""
    from feeds.corrections import StoredDigests, digest_records

    return StoredDigests(store, ledger) if DIGESTS_AS_ASKED \
        else digest_records(store.digests(ledger))


def _for_workers(revisions: Revisions, items: int) -> Revisions:
    """The digest records as a forked worker is given them, for ``items`` to prepare:
    every one, read here (a worker must not read the store), when workers prepare them."""
    from feeds.corrections import StoredDigests
    from feeds.render import PARALLEL_MIN_ISSUES

    return revisions.loaded() if isinstance(revisions, StoredDigests) \
        and items >= PARALLEL_MIN_ISSUES else revisions


def _web_edition(catalog: Catalog, options: ParseOptions, feeds: Sequence[FeedInfo],
                 config: Config, store: Store, out: OutputDir, owned: Manifest,
                 code: str, templates: str
                 ) -> tuple[dict[str, bytes | Keep | Spooled],
                            Callable[[], dict[str, bytes | Spooled]] | None]:
    """The web edition's files: a page whose key (see :mod:`feeds.webedition`) is the
    last build's and whose file is intact is kept; the rest are rendered. ``code`` and
    ``templates`` are this build's :func:`~feeds.sources.code_stamp` and
    :func:`~feeds.sources.template_stamp`. Also, when a forked child makes the section
    pages still, what gives them (see :attr:`feeds.webedition.WebEdition.sections`)."""
    from feeds.loader import issue_blob, issue_from
    from feeds.webedition import PageIssue, StoredTail, web_edition

    made = web_edition(lambda: [PageIssue.of(row) for row in store.page_issues()],
                       partial(issue_blob, catalog=catalog, store=store),
                       partial(issue_from, options=options),
                       feeds, config, "\0".join((code, templates,
                                                  repr(config))),
                       store.section_counts(), partial(store.page_keys, out.key),
                       lambda paths: out.intact_each(paths, owned),
                       catalog.plans, partial(store.page_parts, out.key),
                       partial(store.page_marks, out.key), StoredTail(store, out.key),
                       # a cold build parsed every issue: their pages need nothing of the store
                       lambda issues: all(issue.row[0] in catalog.fresh for issue in issues),
                       later=True)
    last = made.last  # the stored keys it read: all, or those of the pages that may change
    store.save_page_keys(out.key, {p: k for p, k in made.keys.items() if last.get(p) != k},
                         [p for p in last if p not in made.keys])
    store.save_page_marks(out.key, made.context)
    store.add_page_issues(made.learned)
    for page, parts in made.parts.items():
        store.save_page_parts(out.key, page, parts)
    return made.files, made.sections


def _packed_meanwhile(files: Sequence[str], warnings: Sequence[Sequence[object]]
                      ) -> Callable[[], tuple[bytes, bytes]]:
    """:func:`~feeds.store.packed_build` begun in a thread of its own (JSON and zlib, 1.3
    MB at N = 5,000; zlib lets other threads run): the function given back waits for it."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(packed_build, files, warnings).result
    finally:
        pool.shutdown(wait=False)  # its thread ends once the packing is done


def _digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _settle_marked(store: Store, ledger: str, feeds: Sequence[FeedInfo], config: Config,
                   context: str, known: dict[str, str], intact: Collection[str],
                   lasts: dict[str, str], digest: Callable[[], str]
                   ) -> tuple[list[Settled], dict[str, str]] | None:
    """:func:`feeds.render.settle_marked` with the last build's marks, if they are for
    this ``context`` and every record of a page it left (``known``, whose
    :func:`~feeds.render.records_digest` ``digest`` gives) is as it left it and its page
    intact; else None."""
    from feeds.render import SettleMark, settle_marked

    stored = store.settle_marks(ledger)
    if stored is None or len(intact) != len(known) or stored[0] != _digest_of(context) \
            or stored[1] != digest():
        return None
    return settle_marked(feeds, config, known, context,
                         {path: SettleMark(*mark) for path, mark in stored[2].items()}, lasts)


def _digest_context(context: str, issue: IssueSummary) -> str:
    assert issue.date is not None
    return f"{context}\0{issue.date.isoformat()}\0digest"


def _stored_digest(rows: list[list[object]] | None, revisions: Revisions) -> Serialised | None:
    """A digest entry as stored beside its issue, if it is still what
    :func:`feeds.builder.digest_entry` would make: its content is the issue's, and its
    ``updated`` depends only on the record of what was last published."""
    from feeds.builder import Serialised, revised

    try:
        [[key, published, updated, ident, revision]] = rows or [[]]
        entry = Serialised(str(key), datetime.fromisoformat(str(published)),
                           datetime.fromisoformat(str(updated)), "", str(ident), str(revision))
    except (TypeError, ValueError):
        return None
    last = revisions.get(entry.id)
    if last is not None and last[0] != entry.revision:
        return None  # changed since published: dated by its file, made again
    if revised(entry.id, entry.revision, entry.published, revisions) != entry.updated:
        return None
    return entry


def _full_build(found: Survey, out: OutputDir,
                config: Config, store: Store, inputs: str, key: str | None,
                settings: tuple[str, str, str, str], owned: Manifest,
                notes: list[Diagnostic], started: float,
                parsing: ParseAhead | None = None) -> BuildReport:
    from feeds import corrections
    from feeds.builder import (
        Entry,
        RevisionRecord,
        Serialised,
        SourceMismatch,
        dated,
        digest_entry,
        digest_id,
        entries_context,
        issue_entries,
        plan_feeds,
        revision_records,
    )
    from feeds.cache import FRAGMENT_CODE, PARSE_CODE
    from feeds.early import EarlyPrepare
    from feeds.formats import enabled
    from feeds.loader import (
        StoredMarks,
        _summary,
        _temporary_error,
        issue_blob,
        load_catalog,
        load_issue,
    )
    from feeds.pages import opml
    from feeds.parallel import parallel_fed, parallel_imap
    from feeds.render import (
        PARALLEL_MIN_ISSUES,
        digest_records,
        make_fragments,
        page_context,
        records_digest,
        render_stream,
        settle_archives,
        settle_marks,
    )
    from feeds.sources import display_path
    from feeds.writer import KEEP, Content, Forkable

    store.check_code(PARSE_CODE, FRAGMENT_CODE)
    code, _, _, templates = settings  # see _build
    options = parse_options(config)
    # With no item limit, or with archive pages, every entry is published: serialise
    # those of the issues parsed afresh on all cores, into the store as they come.
    # With limits and no archives only a few are, made later on demand.
    # Each output folder has its own record of what it published (see OutputDir.ledger):
    # its entries are dated by that record alone, and stored apart.
    every = bool(config.archive_page_size) or not (
        config.max_items and config.section_max_items and (
            config.digest_max_items or not config.digest))
    ledger = out.ledger
    context = f"{entries_context(config)}\0{ledger}"
    names = [f.name for f in enabled(config)]  # the order of every entry's fragments
    revisions = _digest_records(store, ledger)
    cwd = os.getcwd()
    # the issues whose text changed since this folder's last build (as each Issue.path
    # has it): only their entries may have new revisions (a file touched or re-read is
    # not one); the files' rows are shared, so an edit another folder's build saw first
    # is kept for this one until it builds
    unseen = store.unseen_edits(ledger)
    now_edited = found.edited()
    edited = {display_path(f, cwd) for f in (*now_edited, *unseen)}
    # each issue's article records as they were, and as its entries made now have them
    records: dict[tuple[int, int], tuple[Revisions, Sequence[RevisionRecord]]] = {}
    prepared = {}
    digests: dict[str, Serialised] = {}
    at_hand = _at_hand()
    written: set[tuple[str, str]] = set()  # the (issue key, context) of entries made now

    def add_entries(issue: str, context: str, rows: Sequence[Sequence[str]] | str) -> None:
        written.add((issue, context))
        store.add_entries(issue, context, rows)

    def take(path: str, key: str, date: datetime, ready: Prepared,
             placed: Placed | None = None) -> None:
        """An issue prepared before the plan: its entries' bytes stored and kept at
        hand (``placed``: already written there by a worker), their rows stored, the
        entries and the digest entry given to the plan."""
        if placed is None:
            store.add_fragments(ready.fragments.items(), names)
            at_hand.keep(ready.fragments)
        else:
            try:
                data = at_hand.placed(placed)
            except OSError as exc:
                raise _temporary_error(exc) from None
            store.add_placed(placed.keys, array("q", placed.sizes), array("q", placed.crcs),
                             data, names)
            at_hand.adopt(placed, data)
        add_entries(key, f"{context}\0{date.isoformat()}",
                    ready.rows or _entry_rows(ready.entries))
        prepared[path] = ready.entries
        digests[path] = ready.digest

    def took(path: str, key: str, date: datetime, number: tuple[int, int],
             ready: Prepared, placed: Placed | None) -> None:
        take(path, key, date, ready, placed)
        records[number] = ({}, ready.records)

    # Into a store that holds no entry and no record of one (a cold build), the fresh
    # issues' entries are prepared in the pool that parses them (see feeds.early): no
    # record dates them, and nothing stored needs dropping first.
    # every entry made by this build, all at hand: its large feeds are staged early
    cold = every and not store.holds_entries(ledger)
    early = EarlyPrepare(partial(_prepare_fresh, config=config,
                                 revisions=_for_workers(revisions, PARALLEL_MIN_ISSUES),
                                 edited=frozenset(edited)), took,
                         at_hand.shared() if PLACE_IN_WORKERS else None) \
        if every and PREPARE_WHILE_PARSING and not store.holds_entries(ledger) else None
    catalog = load_catalog(found, options, store, early, parsing)
    floor = corrections.floor(store, ledger, revisions, time.time())
    store.note_edits(ledger, now_edited)
    number_of = store.numbers_of({*edited, *catalog.fresh})
    numbers = {p: number_of[p] for p in edited if p in number_of}
    ahead = corrections.future_edits(store, ledger, config, revisions, numbers, time.time())
    if ahead:
        raise ParseError([*catalog.diagnostics, *ahead])

    def prepare_each(issues: Sequence[IssueSummary]
                     ) -> Iterator[tuple[IssueSummary, Revisions, Prepared]]:
        """Issues not parsed in this run, each with the records that dated its articles,
        prepared on all cores from their stored parse results, one chunk in flight at a
        time: as a cold build prepares the fresh ones, without holding whole entries."""
        sent: deque[Revisions] = deque()

        def feed(issue: IssueSummary) -> tuple[IssueSummary, bytes | None, bool, Revisions]:
            number = (issue.year, issue.number)
            sent.append(corrections.known(store, ledger, [number])[number])
            return issue, issue_blob(issue, catalog, store), issue.path in edited, sent[-1]

        made = parallel_fed(partial(_prepare_summary, config=config, options=options,
                                    revisions=_for_workers(revisions, len(issues)),
                                    floor=floor), issues, feed, PARALLEL_MIN_ISSUES)
        for issue, ready in zip(issues, made, strict=True):
            yield issue, sent.popleft(), ready

    def save_records() -> None:
        # entries stored under other contexts were dated by the records replaced now:
        # reused, they would disagree with what making them again gives
        store.forget_entries_of(corrections.save(store, ledger, records), written)
        records.clear()

    if every:
        # After a change of configuration, code or templates, the issues whose entries
        # are not stored for this build's context are made as the fresh ones, before the plan.
        prepared_for = hashlib.sha256("\0".join(settings).encode("utf-8", "surrogatepass")
                                      ).hexdigest()
        same = store.prepared_for() == prepared_for
        lacking = [] if same else [s for s in map(_summary, store.lacking_entries(context))
                                   if s.path not in catalog.fresh]
        if early is None and 2 * (len(lacking) + len(catalog.fresh)) > store.catalog_size():
            # most entries are made anew: those of other contexts have had their day
            # (with early, none was stored before this build)
            store.drop_other_contexts(context)
        fresh = [(path, item) for path, item in catalog.fresh.items() if path not in prepared]
        before = corrections.known(store, ledger, {number_of[p] for p, _ in fresh})
        made = parallel_imap(partial(_prepare_stored, spool=catalog.spool.fileno(), config=config,
                                     revisions=_for_workers(revisions, len(fresh)), floor=floor),
                             [(*item, path in edited, before[number_of[path]])
                              for path, item in fresh], PARALLEL_MIN_ISSUES)
        for (path, (_, _, date, _)), ready in zip(fresh, made, strict=True):
            take(path, catalog.keys[path], date, ready)
            records[number_of[path]] = (before[number_of[path]], ready.records)
        del fresh, made
        for issue, before_it, ready in prepare_each(lacking):
            assert issue.date is not None
            take(issue.path, issue.key, issue.date, ready)
            if corrections.differ(before_it, ready.records):  # else nothing to save: not kept
                records[issue.year, issue.number] = (before_it, ready.records)
        del lacking
        if not same:
            store.save_prepared_for(prepared_for)
    elif store.prepared_for() is not None:
        store.save_prepared_for(None)  # entries made on demand: not every issue's
    del number_of

    def load(summary: IssueSummary) -> Issue:
        return _with_page(load_issue(summary, catalog, options, store), config)

    made_now: dict[str, Sequence[Entry]] = {}  # the entries of edited issues, made once
    # a stored entry's issue (and whether it is its digest entry), should its bytes be gone
    origin: dict[str, tuple[IssueSummary, bool]] = {}

    def entries_of(issue: Issue | IssueSummary) -> Sequence[Entry | Serialised]:
        assert isinstance(issue, IssueSummary) and issue.date is not None
        if issue.path in made_now:
            return made_now[issue.path]
        # an edited file's entries are made again: their ``updated`` may move
        rows = None if issue.path in edited else \
            store.entries(issue.key, f"{context}\0{issue.date.isoformat()}")
        if rows is not None:
            try:
                stored = [Serialised(k, datetime.fromisoformat(p), datetime.fromisoformat(u), n)
                          for k, p, u, n in rows]
            except (TypeError, ValueError):
                pass  # a damaged row: made again
            else:
                if len(stored) == sum(s.articles for s in issue.sections):  # else damaged
                    origin.update((e.key, (issue, False)) for e in stored)
                    return stored
        return remake(issue)

    def remake(issue: IssueSummary) -> list[Entry]:
        number = (issue.year, issue.number)
        return make_entries(issue, corrections.known(store, ledger, [number])[number])

    def make_entries(issue: IssueSummary, before: Revisions) -> list[Entry]:
        assert issue.date is not None
        whole = load(issue)
        made = dated(whole, issue_entries(whole, config), config, before, issue.path in edited,
                     floor)
        records[issue.year, issue.number] = (before, revision_records(made))
        add_entries(issue.key, f"{context}\0{issue.date.isoformat()}", _entry_rows(made))
        return made

    digested: dict[str, Entry] = {}  # the digest entries of edited issues, made once

    def digest_of(issue: Issue | IssueSummary) -> Entry | Serialised:
        if issue.path in digested:
            return digested[issue.path]
        if not isinstance(issue, IssueSummary):
            return digest_entry(issue, config, revisions, floor=floor)
        stored = _stored_digest(store.entries(issue.key, _digest_context(context, issue)),
                                revisions)
        if stored is not None:
            origin[stored.key] = (issue, True)
            return stored
        return remake_digest(issue)

    def remake_digest(issue: IssueSummary) -> Entry:
        made = digest_entry(load(issue), config, revisions, issue.path in edited, floor)
        add_entries(issue.key, _digest_context(context, issue), _digest_rows(made))
        return made

    found_now: dict[str, tuple[str, datetime]] = {}
    if config.archive_page_size and numbers:
        # An edited issue published before may hold corrections: its entries are made
        # before the plan and their records kept, so that the plan finds them (see
        # corrections.StoredCorrections). A new issue (or a cold build) has none.
        before_all = corrections.known(store, ledger, numbers.values())
        for path, number in numbers.items():
            if not (before_all[number] or revisions):
                continue  # nothing of it published before (a cold build: nothing at all)
            row = store.by_number(*number)
            summary = corrections.summary(row) if row is not None else None
            if summary is None or summary.path != path:
                continue
            if path not in prepared and before_all[number]:
                made_now[path] = make_entries(summary, before_all[number])
            if config.digest and digest_id(config, summary) in revisions:
                if path not in digests:
                    digested[path] = digest_entry(load(summary), config, revisions,
                                                  floor=floor)
                digest = digests.get(path) or digested[path]
                found_now[digest.id] = (digest.revision, digest.updated)
        save_records()
    try:
        feeds = plan_feeds(catalog.issues, config, prepared, digests, revisions,
                           entries_of=entries_of, digest_of=digest_of,
                           corrections=corrections.StoredCorrections(
                               store, ledger, config, revisions.with_found(found_now)
                               if isinstance(revisions, corrections.StoredDigests)
                               else {**revisions, **found_now}),
                           marks=StoredMarks(store, f"{code}\0{page_context(config)}"))
    except SourceMismatch as exc:  # a catalog row put in by hand (a build drops a row and
        # puts it anew, so no trigger can tell its INSERT from one by hand)
        raise DamagedRow(f"its catalog disagrees with the issue files: {exc}") from None
    # A cold build (every entry made now, at hand) makes the web edition once its large
    # feeds' children are begun (see below); any other build first, while the child that
    # looks at the published files (OutputDir.look_ahead) still works.
    early_feeds = cold and STAGE_EARLY and config.pages
    web = None if early_feeds or not config.pages else _web_edition(
        catalog, options, feeds, config, store, out, owned, code, templates)
    # Archive pages published as planned are kept as they are: their entries are not made.
    context_of_pages = page_context(config)
    last_pages = store.archive_pages(ledger)
    intact = out.intact_each(last_pages.values(), owned)
    digests_of_last: list[str] = []  # records_digest(last_pages), once made

    def last_digest() -> str:
        if not digests_of_last:
            digests_of_last.append(records_digest(last_pages))
        return digests_of_last[0]

    lasts: dict[str, str] = {}  # each feed's newest page kept, for the next build's marks
    settled_now = _settle_marked(store, ledger, feeds, config, context_of_pages, last_pages,
                                 intact, lasts, last_digest)
    if settled_now is None:
        lasts.clear()
        settled_now = settle_archives(
            feeds, config, {k: p for k, p in last_pages.items() if p in intact},
            context_of_pages, lasts)
    settled, kept_pages = settled_now
    needed = {e.key: e for info, start, _ in settled
              for e in (*info.entries, *(e for page in info.archives[start:] for e in page.entries))}
    # those made by this build are at hand (a cold build: all): the store is asked of the rest
    have = at_hand.among(needed.keys())
    have |= store.fragment_keys([k for k in needed if k not in have])
    gone = [k for k, e in needed.items() if k not in have and not isinstance(e, Entry)]
    if gone:  # stored entries whose bytes were dropped (no feed carried them): made again
        # on all cores, their bytes kept and nothing else of them
        lost: dict[str, tuple[IssueSummary, bool, bool]] = {}  # articles', digest's
        for k in gone:
            issue, is_digest = origin[k]
            _, articles, digest_too = lost.get(issue.path, (issue, False, False))
            lost[issue.path] = (issue, articles or not is_digest, digest_too or is_digest)
        wanted = set(gone)
        again: set[str] = set()
        for issue, before_it, ready in prepare_each([i for i, _, _ in lost.values()]):
            assert issue.date is not None
            kept = {k: f for k, f in ready.fragments.items() if k in wanted}
            store.add_fragments(kept.items(), names)
            at_hand.keep(kept)
            again.update(kept)
            _, articles, digest_lost = lost[issue.path]
            if articles:
                records[issue.year, issue.number] = (before_it, ready.records)
                add_entries(issue.key, f"{context}\0{issue.date.isoformat()}",
                            _entry_rows(ready.entries))
            if digest_lost:
                add_entries(issue.key, _digest_context(context, issue),
                            _digest_rows(ready.digest))
        if not wanted <= again:
            raise _StaleEntries({(issue.year, issue.number) for issue, _, _ in lost.values()})
        have |= again
    missing = [(k, e) for k, e in needed.items() if k not in have and isinstance(e, Entry)]
    serialised = make_fragments(missing, config)
    store.add_fragments(serialised.items(), names)
    at_hand.keep(serialised)
    del missing, serialised

    reads = ReadOnce(store, names) if READ_ONCE else None

    def fetch(keys: Sequence[str], name: str) -> Iterator[bytes]:
        slot = names.index(name)
        kept = at_hand.each(keys, slot)
        if kept is not None:
            return kept
        return reads.fragments(keys, slot, at_hand) if reads is not None \
            else store.fragments(keys, name, slot, at_hand)

    files: dict[str, Content] = dict.fromkeys(kept_pages.values(), KEEP)
    sizes = {info.path: len(info.entries) for info in feeds}
    # a large feed whose entries are all at hand needs nothing of the store: it may be
    # written by a forked child (see Forkable); so may one of a few hundred entries (the
    # digest's, each a whole issue: 16 MB at N = 1,000), rather than made here
    in_hand = at_hand.among(needed.keys())
    apart = {info.path for info in feeds
             if len(info.entries) > min(IN_MEMORY_ENTRIES, APART_MIN_ENTRIES)
             and in_hand.issuperset([e.key for e in info.entries])}
    del in_hand
    made_pages: dict[str, str] = {}
    feed_keys: dict[str, str] = {}  # made whether or not they are used (see KEEP_FEEDS)
    stream = render_stream(feeds, config, fetch, made_pages, context_of_pages, settled,
                           feed_keys, "\0".join(settings))
    # A feed whose key is the last build's and whose file is intact is kept as it is:
    # it is neither made nor compared (a new issue leaves most section feeds as they were).
    last_keys = store.feed_keys(out.key) if KEEP_FEEDS else {}
    kept_feeds = out.intact_each([p for p, k in feed_keys.items()
                                  if k and last_keys.get(p) == k], owned) if last_keys else set()
    for path, make in stream.items():
        # A small feed is made in memory and compared with the published one by its
        # digest; a large one is made while it is written, and so is an archive page,
        # read back from where render_stream holds it (memory, or its spool file).
        small = path in sizes and sizes[path] <= IN_MEMORY_ENTRIES
        files[path] = KEEP if path in kept_feeds else Forkable(make) if path in apart \
            else tuple(make()) if small else make
    # the large feeds written by children while the web edition is made (a cold build)
    staging = out.stage_early({p: f for p, f in files.items() if isinstance(f, Forkable)},
                              owned) if early_feeds else None
    try:
        # the section pages may still be in the making, by a child: taken just before
        # publishing
        if web is None and config.pages:
            web = _web_edition(catalog, options, feeds, config, store, out, owned, code,
                               templates)
        pages, sections = web if web is not None else ({}, None)
        catalog.fresh.clear()
        catalog.spool.close()
        files.update(pages)
        if sections is not None:
            files.update(sections())
        files["feeds.opml"] = opml(feeds, config)
        diagnostics = (*catalog.diagnostics, *unused_sections(config, store.has_section))
        order = sorted(files)
        warnings = list(map(_AS_RECORDED, diagnostics))  # (thousands: at N = 5,000, 3,900)
        # the build's record (thousands of files and warnings) packed by a thread while
        # this one publishes, mostly waiting on the disk; not while children may be forked
        packing = _packed_meanwhile(order, warnings) if not apart else None
        published = out.publish(files, owned, staging, order)
    finally:
        if staging is not None:
            staging.stop()  # taken by publish, else its children killed, their files removed
    at_hand.close()
    store.forget_fragments_except(set(needed))
    store.update_published(out.key, published.rows, owned)
    store.save_digests(ledger, digest_records(feeds))
    save_records()
    page_records = {**kept_pages, **made_pages}
    unmoved = page_records == last_pages  # (most builds: no archive page made or dropped)
    if not unmoved:
        store.save_archive_pages(ledger, page_records, last_pages)
    store.save_feed_keys(out.key, {p: k for p, k in feed_keys.items() if k})
    store.save_settle_marks(ledger, _digest_of(context_of_pages),
                            last_digest() if unmoved else records_digest(page_records),
                            settle_marks(settled, config, lasts, made_pages, context_of_pages))
    store.save_packed_build(out.key, inputs, len(feeds),
                            packing() if packing is not None else packed_build(order, warnings))
    store.save_replay_until(out.key, catalog.warnings_change)
    store.save_noop_record(out.key, (key, inputs, store.built_key(out.key, published.rows),
                                     list(published.stale))
                           if key is not None and found.settled else None)
    store.commit()
    failed = store.give_back_space()
    if failed is not None:
        notes.append(Diagnostic(str(store.path), 0, "warning",
                                f"cannot give back the free space of the state database "
                                f"({failed}); it stays as it is"))
    return BuildReport(len(feeds), published.changed, published.unchanged, published.stale,
                       (*notes, *diagnostics), time.perf_counter() - started)
