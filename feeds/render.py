"""Write planned feeds as bytes, the same way for every registered format.

Each entry is serialised once per format and its bytes are shared by every
feed that carries it; a build that publishes every entry serialises them on
all cores. A feed is its format's head, its entries' bytes (joined by the
format's separator) and its tail. :func:`render_feed_reference` is the
format's library writing a whole feed: the reference those bytes must equal.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache, partial
from typing import IO, NamedTuple, cast

from feeds.builder import (
    DIGEST_FOLDER,
    ArchivePage,
    Entry,
    FeedInfo,
    RevisionRecord,
    Revisions,
    Serialised,
    dated,
    digest_entry,
    issue_entries,
    revision_records,
)
from feeds.config import Config
from feeds.formats import BY_NAME, enabled
from feeds.model import Issue
from feeds.parallel import parallel_map
from feeds.writer import Ready

PARALLEL_MIN_ENTRIES = 2000

Fragments = tuple[bytes, ...]
"""An entry's bytes in each format the build writes, in the registry's order."""

FragmentCache = dict[str, Fragments]


def render_feed_reference(info: FeedInfo, config: Config) -> bytes:
    """The feed exactly as its format's library writes it with every entry added:
    slow, and the reference that :func:`render_feeds` must match byte for byte."""
    return BY_NAME[info.format].reference(info, config)


def entry_fragments(entries: Sequence[Entry], config: Config) -> list[Fragments]:
    """Each entry's bytes in every format, as a whole feed of that format holds them."""
    made = [fmt.entries(entries, config) for fmt in enabled(config)]
    if any(len(m) != len(entries) for m in made):
        raise AssertionError("a format wrote more or fewer entries than it was given")
    return list(zip(*made, strict=True))


_BATCH = 32


def make_fragments(jobs: Sequence[tuple[str, Entry]], config: Config) -> FragmentCache:
    """Serialise the entries, in batches, on all cores for a large build."""
    entries = [e for _, e in jobs]
    batches = [entries[at:at + _BATCH] for at in range(0, len(entries), _BATCH)]
    made = parallel_map(partial(entry_fragments, config=config), batches,
                        PARALLEL_MIN_ENTRIES // _BATCH)
    return {key: fragments for (key, _), fragments in
            zip(jobs, (f for batch in made for f in batch), strict=True)}


def _joined(head: bytes, parts: Sequence[bytes], separator: bytes, tail: bytes) -> tuple[bytes, ...]:
    if not separator or len(parts) < 2:
        return (head, *parts, tail)
    chunks = [head]
    for part in parts:
        chunks += (part, separator)
    chunks[-1] = tail
    return tuple(chunks)


def render_feeds(feeds: Sequence[FeedInfo], config: Config,
                 cache: FragmentCache | None = None, known: Mapping[str, str] | None = None,
                 pages: dict[str, str] | None = None,
                 context: str = "") -> dict[str, tuple[bytes, ...]]:
    """The bytes of every feed, as chunks to be written one after another, keyed by
    its path inside ``output/``.

    Every entry is serialised once (or taken from ``cache``, which is updated
    to hold exactly the entries of this build) and its bytes are shared, not
    copied, by all feeds that carry it. ``known`` maps the key of an archive
    page written before (see :func:`page_key`, made with ``context``) to its
    path, still in place: such a page, from its feed's oldest on, is neither made
    nor returned again (see :func:`settle_archives`). ``pages`` receives the key
    and path of every archive page of this build.
    """
    cache = {} if cache is None else cache
    pages = {} if pages is None else pages
    settled, kept = settle_archives(feeds, config, known or {}, context)
    pages.update(kept)
    needed: dict[str, Entry | Serialised] = {}
    for info, start, _ in settled:
        for entry in (*info.entries, *(e for page in info.archives[start:] for e in page.entries)):
            needed[entry.key] = entry
    missing = [(k, e) for k, e in needed.items() if k not in cache]
    lost = [k for k, e in missing if not isinstance(e, Entry)]
    if lost:
        raise KeyError(f"{len(lost)} entries were serialised but their bytes are not in the cache")
    cache.update(make_fragments(cast("list[tuple[str, Entry]]", missing), config))
    for key in set(cache) - set(needed):
        del cache[key]
    slot = {fmt.name: n for n, fmt in enumerate(enabled(config))}
    out: dict[str, tuple[bytes, ...]] = {}
    for info, start, prev in settled:
        fmt = BY_NAME[info.format]
        n = slot[info.format]
        def parts(page: ArchivePage, n: int = n) -> list[bytes]:
            return [cache[e.key][n] for e in page.entries]

        for path, chunks in _made_pages(info, start, prev, parts, config, pages, context):
            out[path] = chunks
            prev = config.base_url + path
        if prev:
            info = replace(info, prev_archive=prev)
        head, tail = fmt.shell(info, config)
        out[info.path] = _joined(head, [cache[e.key][n] for e in info.entries], fmt.separator, tail)
    return out


Fetch = Callable[[Sequence[str], str], Iterator[bytes]]
Settled = tuple[FeedInfo, int, str]
"""A feed, its first archive page to make, and the URL of the page before that one."""


def render_stream(feeds: Sequence[FeedInfo], config: Config, fetch: Fetch,
                  pages: dict[str, str] | None = None, context: str = "",
                  settled: Sequence[Settled] | None = None,
                  keys: dict[str, str] | None = None, stamp: str = ""
                  ) -> dict[str, Callable[[], Iterator[bytes]]]:
    """Each feed, and each of its archive pages, as a function that makes its bytes
    while they are written: :func:`render_feeds` without holding a subscription
    feed's entries in memory. ``fetch(keys, format)`` gives the serialised entries
    of the keys, in order. An archive page is made here, in memory (it is named by
    a digest of its bytes): every page, or with ``settled`` (see
    :func:`settle_archives`) only those not published as planned. ``pages``
    receives the key (see :func:`page_key`, made with ``context``) and path of
    each page made; ``keys`` (if given) the key of each subscription feed (see
    :func:`feed_key`, made with ``stamp``)."""
    pages = {} if pages is None else pages

    def chunks(info: FeedInfo) -> Iterator[bytes]:
        fmt = BY_NAME[info.format]
        head, tail = fmt.shell(info, config)
        yield head
        yield from joined_blocks(fetch([e.key for e in info.entries], info.format),
                                 fmt.separator, BLOCK)
        yield tail

    out: dict[str, Callable[[], Iterator[bytes]]] = {}
    spool = PageSpool()
    for info, start, prev in settled if settled is not None else [(f, 0, "") for f in feeds]:
        def parts(page: ArchivePage, fmt: str = info.format) -> list[bytes]:
            return list(fetch([e.key for e in page.entries], fmt))

        for path, made in _made_pages(info, start, prev, parts, config, pages, context):
            out[path] = spool.keep(made)
            prev = config.base_url + path
        made_info = replace(info, prev_archive=prev) if prev else info
        out[info.path] = partial(chunks, made_info)
        if keys is not None:
            keys[info.path] = feed_key(made_info, stamp)
    return out


def feed_key(info: FeedInfo, stamp: str) -> str:
    """A digest of all that a subscription feed's bytes depend on: ``stamp`` (the code,
    templates and configuration), the feed as planned but its entries, its
    ``updated`` (its only use of ``issued``, the newest issue's date: a new issue
    changes that of every feed), its archive pages' identities and each entry's key
    (a digest of all its serialised bytes depend on); "" if an entry has no key."""
    if not all(e.key for e in info.entries):
        return ""
    return hashlib.sha256("\0".join([
        stamp, repr(replace(info, entries=(), archives=(), issued=None)),
        # as written: an entry made now is dated in the configured zone, one stored at
        # its offset
        info.updated.isoformat() if info.updated is not None else "-",
        *(page.identity for page in info.archives), "", *(e.key for e in info.entries)]).encode(
            "utf-8", "surrogatepass")).hexdigest()


BLOCK = 256  # serialised entries joined into one chunk of a feed made while written


def joined_blocks(parts: Iterable[bytes], separator: bytes, block: int = BLOCK
                  ) -> Iterator[bytes]:
    """``separator.join(parts)`` in chunks of ``block`` parts each: a feed of 19,000
    entries is written, hashed and passed on as some 75 chunks rather than 19,000
    (each chunk costs the writer a few Python steps); the bytes are the same as
    :func:`joined_parts`, the plain reference, gives them."""
    batch: list[bytes] = []
    first = True
    for part in parts:
        batch.append(part)
        if len(batch) == block:
            yield separator.join(batch) if first else separator + separator.join(batch)
            batch, first = [], False
    if batch:
        yield separator.join(batch) if first else separator + separator.join(batch)


def joined_parts(parts: Iterable[bytes], separator: bytes) -> Iterator[bytes]:
    """The parts with ``separator`` between each two, one chunk each: the plain form
    of :func:`joined_blocks`."""
    for n, part in enumerate(parts):
        if n and separator:
            yield separator
        yield part


PAGES_IN_MEMORY = 64 << 20  # bytes of made archive pages held in memory until written


class PageSpool:
    """Archive pages made before they are written (each is named by a digest of its
    bytes, so it is made whole first): held in memory up to :data:`PAGES_IN_MEMORY`,
    the rest in an unnamed temporary file, so that a cold build of a long history
    does not hold every page at once."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = PAGES_IN_MEMORY if budget is None else budget
        self.held = 0
        self.file: IO[bytes] | None = None
        self.end = 0

    def keep(self, chunks: tuple[bytes, ...]) -> Callable[[], Iterator[bytes]]:
        """A function that gives the page's bytes again when it is written (from any
        thread: see :class:`feeds.writer.Ready`)."""
        size = sum(len(c) for c in chunks)
        if self.held + size > self.budget:
            try:
                if self.file is None:
                    self.file = tempfile.TemporaryFile(prefix="feeds-pages-")  # noqa: SIM115
                self.file.seek(self.end)
                self.file.writelines(chunks)
                self.file.flush()
            except OSError:
                pass  # no room for the spool: the page stays in memory
            else:
                offset, self.end = self.end, self.end + size
                return Ready(partial(self._read, self.file, offset, size))
        self.held += size
        return Ready(partial(iter, chunks))

    @staticmethod
    def _read(file: IO[bytes], offset: int, size: int) -> Iterator[bytes]:
        yield os.pread(file.fileno(), size, offset)


def settle_archives(feeds: Sequence[FeedInfo], config: Config, known: Mapping[str, str],
                    context: str = "", lasts: dict[str, str] | None = None
                    ) -> tuple[list[Settled], dict[str, str]]:
    """Each feed with its first archive page to make and the URL of the page before:
    those before are published as planned (``known`` maps their key, see
    :func:`page_key`, to a path still in place), from the feed's oldest on; the two
    oldest, named together, are kept or made together. Also the keys and paths of
    the pages kept: their entries need not be made."""
    settled: list[Settled] = []
    kept: dict[str, str] = {}
    for info in feeds:
        prev, start = "", 0
        found: dict[str, str] = {}
        if info.archives:
            start, prev = _settle_from(info, config, known, context, 0, "", found)
        if start == 1:  # the two oldest pages are named together: made together
            prev, start, found = "", 0, {}
        if found and lasts is not None:
            lasts[info.path] = next(reversed(found))
        kept.update(found)
        settled.append((info, start, prev))
    return settled, kept


class SettleMark(NamedTuple):
    """What a build that settled a feed's archive pages leaves for the next one (see
    :func:`settle_marked`): how many pages it published as planned, a digest of the
    feed and of those pages' identities (:func:`_pages_digest`), and the newest one's key."""

    pages: int
    digest: str
    last: str


def _pages_digest(info: FeedInfo, context: str, count: int, last: str) -> str:
    """What the keys of the feed's ``count`` oldest pages are made from (see
    :func:`page_key`), but for their links to the page before, which the keys make;
    and the newest one's key, ``last``."""
    return hashlib.sha256("\x1f".join((
        context, info.path, info.url, info.title, info.description, last,
        *(page.identity for page in info.archives[:count]))).encode(
            "utf-8", "surrogatepass")).hexdigest()


def records_digest(known: Mapping[str, str]) -> str:
    """A digest of the records of published pages (key and path), in the order of their keys."""
    return hashlib.sha256("\n".join(map("\0".join, sorted(known.items()))).encode(
        "utf-8", "surrogatepass")).hexdigest()


def settle_marked(feeds: Sequence[FeedInfo], config: Config, known: Mapping[str, str],
                  context: str, marks: Mapping[str, SettleMark],
                  lasts: dict[str, str] | None = None
                  ) -> tuple[list[Settled], dict[str, str]] | None:
    """:func:`settle_archives` without making the keys of the pages the last build
    published, when its ``marks`` (see :func:`settle_marks`) say that each feed's
    pages are those it published: ``known`` must be every record of that build (each
    page intact, the records as it left them: the caller checks both) and every feed
    must begin with the very pages its mark counts (their identities, its feed and
    ``context`` the same). The pages after those are settled as ever. None on any
    doubt (then :func:`settle_archives`). ``lasts`` is given the key of each feed's
    newest page kept, by the feed's path."""
    if sum(m.pages for m in marks.values()) != len(known):
        return None
    settled: list[Settled] = []
    kept = dict(known)
    seen = 0
    for info in feeds:
        mark = marks.get(info.path)
        if not info.archives or mark is None:
            if mark is not None:
                return None
            settled.append((info, 0, ""))
            continue
        seen += 1
        path = known.get(mark.last)
        named_as_page = _page_path_pattern(info.folder, info.format)
        if not 2 <= mark.pages <= len(info.archives) or path is None \
                or named_as_page(path) is None \
                or _pages_digest(info, context, mark.pages, mark.last) != mark.digest:
            return None
        found = {mark.last: path}
        start, prev = _settle_from(info, config, kept, context, mark.pages,
                                   config.base_url + path, found)
        settled.append((info, start, prev))
        if lasts is not None:
            lasts[info.path] = next(reversed(found))
    return (settled, kept) if seen == len(marks) else None


def settle_marks(settled: Sequence[Settled], config: Config, lasts: Mapping[str, str],
                 made: Mapping[str, str], context: str) -> dict[str, SettleMark]:
    """The marks of a build that published its feeds' archive pages as ``settled``
    (``lasts``: the key of each feed's newest page kept, see :func:`settle_archives`;
    ``made``: the records of the pages made now): of each feed, its pages, their
    digest and the newest one's key (only the pages made now are keyed again)."""
    marks: dict[str, SettleMark] = {}
    for info, start, prev in settled:
        if not info.archives:
            continue
        key_of = _page_keys(info, context)
        last = lasts.get(info.path, "") if start else ""
        for at in range(start, len(info.archives)):
            last = key_of(prev, info.archives[at], _partner(info.archives, at))
            path = made.get(last)
            if path is None:
                return {}  # not made as planned: no marks
            prev = config.base_url + path
        if not last:
            return {}
        marks[info.path] = SettleMark(len(info.archives), _pages_digest(
            info, context, len(info.archives), last), last)
    return marks


def _settle_from(info: FeedInfo, config: Config, known: Mapping[str, str], context: str,
                 start: int, prev: str, found: dict[str, str]) -> tuple[int, str]:
    """The feed's first page from ``start`` on that is not published as planned (and
    the URL of the one before it, ``prev`` if none is), putting the key and path of
    each before it in ``found``."""
    key_of = _page_keys(info, context)
    named_as_page = _page_path_pattern(info.folder, info.format)
    for at in range(start, len(info.archives)):
        key = key_of(prev, info.archives[at], _partner(info.archives, at))
        path = known.get(key)
        if path is None or named_as_page(path) is None:
            break
        found[key] = path
        prev, start = config.base_url + path, at + 1
    return start, prev


def _made_pages(info: FeedInfo, start: int, prev: str,
                parts: Callable[[ArchivePage], Sequence[bytes]], config: Config,
                pages: dict[str, str], context: str) -> Iterator[tuple[str, tuple[bytes, ...]]]:
    """:func:`_archive_pages`' paths and bytes, each page's key and path put in ``pages``."""
    for at, (page, path, chunks) in enumerate(_archive_pages(info, start, prev, parts, config),
                                              start):
        pages[page_key(info, prev, page, _partner(info.archives, at), context)] = path
        prev = config.base_url + path
        yield path, chunks


@lru_cache(maxsize=256)
def _page_path_pattern(folder: str, fmt: str) -> Callable[[str], re.Match[str] | None]:
    """What tells whether a path is where an archive page of the feed lives (a record
    is data): the feed's archive folder and file name around a page's name (12 hex
    digits, a letter first). The name's pattern is matched in place, one compiled for
    every feed (each feed's own: 42 compiled by a build at the defaults)."""
    head, _, tail = archive_page_path(folder, fmt, "\0").partition("\0")
    start, end = len(head), len(head) + 12
    size = end + len(tail)
    name = re.compile("[a-f][0-9a-f]{11}").fullmatch  # a page's name (one compiled: re's cache)

    def named(path: str) -> re.Match[str] | None:
        if len(path) != size or not path.startswith(head) or not path.endswith(tail):
            return None
        return name(path, start, end)

    return named


def page_context(config: Config) -> str:
    """What every archive page's bytes depend on besides its feed and entries: the
    code that writes entries and feeds, and the configuration."""
    from feeds.cache import FRAGMENT_CODE

    return f"{FRAGMENT_CODE}\0{config!r}"


def page_key(info: FeedInfo, prev: str, page: ArchivePage,
             partner: ArchivePage | None = None, context: str = "") -> str:
    """What an archive page's bytes are made from: ``context`` (the code and the
    configuration, see :func:`page_context`), its feed (path, URL, title,
    description), its link to the page before and its issues; for each of the
    two oldest pages, named together, the other's issues too (``partner``, see
    :func:`_partner`)."""
    text = "\x1f".join((context, info.path, info.url, info.title, info.description, prev,
                        page.identity, partner.identity if partner else ""))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _partner(archives: Sequence[ArchivePage], at: int) -> ArchivePage | None:
    """The page named together with the ``at``-th oldest: the other of the two oldest."""
    return archives[1 - at] if at < 2 and len(archives) > 1 else None


def _page_keys(info: FeedInfo, context: str
               ) -> Callable[[str, ArchivePage, ArchivePage | None], str]:
    """:func:`page_key` for the pages of one feed, its text up to the page's link to
    the one before hashed once: a build keys every archive page (thousands) of a
    long history, each named by the same feed and ``context``."""
    head = hashlib.sha256("\x1f".join((context, info.path, info.url, info.title,
                                       info.description, "")).encode("utf-8", "surrogatepass"))

    def key(prev: str, page: ArchivePage, partner: ArchivePage | None = None) -> str:
        digest = head.copy()
        digest.update("\x1f".join((prev, page.identity, partner.identity if partner else "")
                                  ).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    return key


ARCHIVE_FOLDER = "archive"


def archive_page_path(folder: str, fmt: str, name: str) -> str:
    """Where an archive page of the feed in ``folder`` lives: ``archive/atom-<name>.xml``
    beside the feed, the format's file name with the page's name added."""
    word, _, ext = BY_NAME[fmt].file_name.rpartition(".")
    page = f"{ARCHIVE_FOLDER}/{word}-{name}.{ext}"
    return f"{folder}/{page}" if folder else page


def _archive_pages(info: FeedInfo, start: int, prev: str,
                   parts: Callable[[ArchivePage], Sequence[bytes]], config: Config
                   ) -> Iterator[tuple[ArchivePage, str, tuple[bytes, ...]]]:
    """The feed's archive pages from its ``start``-th oldest on (``prev``: the URL of
    the one before), oldest first, each with its path and bytes; ``parts`` gives a
    page's serialised entries. The two oldest are made together (:func:`_archive_pair`)."""
    pages = info.archives

    def page_info(page: ArchivePage, prev: str) -> FeedInfo:
        return replace(info, entries=page.entries, archives=(), complete=False,
                       current=info.url, prev_archive=prev)

    if start == 0 and len(pages) > 1:
        older, newer = pages[0], pages[1]
        pair = _archive_pair(page_info(older, ""), parts(older), page_info(newer, ""),
                             parts(newer), config)
        yield older, *pair[0]
        yield newer, *pair[1]
        prev, start = config.base_url + pair[1][0], 2
    for page in pages[start:]:
        path, chunks = _archive_page(page_info(page, prev), parts(page), config)
        yield page, path, chunks
        prev = config.base_url + path


def _bytes_digest(info: FeedInfo, parts: Sequence[bytes], config: Config) -> bytes:
    fmt = BY_NAME[info.format]
    head, tail = fmt.shell(info, config)
    digest = hashlib.sha256()
    for chunk in _joined(head, parts, fmt.separator, tail):
        digest.update(chunk)
    return digest.digest()


def _page_name(digest: bytes) -> str:
    hexed = digest.hex()
    return "abcdef"[int(hexed[0], 16) % 6] + hexed[1:12]  # a letter first: never read as a number


def _archive_page(info: FeedInfo, parts: Sequence[bytes], config: Config
                  ) -> tuple[str, tuple[bytes, ...]]:
    """An archive page's path and bytes, named by a digest of its bytes written with
    its own URL (its ``self`` link) left empty: a page whose content would change
    gets a new URL, so every copy cached under the old one stays right."""
    fmt = BY_NAME[info.format]
    name = _page_name(_bytes_digest(replace(info, url=""), parts, config))
    path = archive_page_path(info.folder, info.format, name)
    head, tail = fmt.shell(replace(info, path=path, url=config.base_url + path), config)
    return path, _joined(head, parts, fmt.separator, tail)


def _archive_pair(older: FeedInfo, older_parts: Sequence[bytes], newer: FeedInfo,
                  newer_parts: Sequence[bytes], config: Config
                  ) -> tuple[tuple[str, tuple[bytes, ...]], tuple[str, tuple[bytes, ...]]]:
    """The two oldest archive pages' paths and bytes: the oldest links ``next-archive``
    to the second, which links ``prev-archive`` back, so neither can be named by its
    own bytes alone. Both names come from a digest of both pages written with every
    link to an archive page (``self``, ``prev-archive``, ``next-archive``) left empty,
    and which of the two it is: a change to either renames both, and a newer page
    never changes them."""
    fmt = BY_NAME[older.format]
    both = hashlib.sha256(b"".join(
        _bytes_digest(replace(page, url="", prev_archive="", next_archive=""), parts, config)
        for page, parts in ((older, older_parts), (newer, newer_parts)))).digest()
    older_path, newer_path = (
        archive_page_path(older.folder, older.format, _page_name(hashlib.sha256(both + which).digest()))
        for which in (b"older", b"newer"))
    older_head, older_tail = fmt.shell(replace(
        older, path=older_path, url=config.base_url + older_path,
        next_archive=config.base_url + newer_path), config)
    newer_head, newer_tail = fmt.shell(replace(
        newer, path=newer_path, url=config.base_url + newer_path,
        prev_archive=config.base_url + older_path), config)
    return ((older_path, _joined(older_head, older_parts, fmt.separator, older_tail)),
            (newer_path, _joined(newer_head, newer_parts, fmt.separator, newer_tail)))


PARALLEL_MIN_ISSUES = 64


@dataclass(frozen=True)
class Prepared:
    """An issue's entries and its digest entry serialised, made on all cores for a
    build that publishes every entry; only what planning needs of each entry
    travels back with them."""

    entries: tuple[Serialised, ...]
    digest: Serialised
    fragments: dict[str, Fragments]
    records: tuple[RevisionRecord, ...] = ()  # of its article entries, when dated
    rows: str = ""  # its article entries' stored rows (see feeds.store.entries_text), if made


def _slim(entry: Entry) -> Serialised:
    return Serialised(entry.key, entry.published, entry.updated, entry.section_name,
                      entry.id, entry.revision)


def prepare_issue(issue: Issue, config: Config, revisions: Revisions | None = None,
                  articles: Revisions | None = None, edited: bool = True,
                  floor: datetime | None = None) -> Prepared:
    """The issue's entries and digest entry, each serialised as in :func:`entry_fragments`;
    with ``articles``, its article entries dated by them (see :func:`feeds.builder.dated`)."""
    own = issue_entries(issue, config)
    if articles is not None:
        own = dated(issue, own, config, articles, edited, floor)
    entries = [*own, digest_entry(issue, config, revisions, edited, floor)]
    made = entry_fragments(entries, config)
    return Prepared(tuple(_slim(e) for e in entries[:-1]), _slim(entries[-1]),
                    {e.key: f for e, f in zip(entries, made, strict=True)},
                    revision_records(own) if articles is not None else ())


def prepare_issues(issues: Sequence[Issue], config: Config,
                   revisions: Revisions | None = None) -> dict[str, Prepared]:
    """:func:`prepare_issue` for each issue, by its path; on all cores when there are many."""
    made = parallel_map(partial(prepare_issue, config=config, revisions=revisions), issues,
                        PARALLEL_MIN_ISSUES)
    return {issue.path: ready for issue, ready in zip(issues, made, strict=True)}


def digest_records(feeds: Sequence[FeedInfo]) -> Mapping[str, tuple[str, str]]:
    """Each published digest entry's id → its content digest and ``updated`` (ISO
    8601), for the next build's :func:`feeds.builder.revised`."""
    return {e.id: (e.revision, e.updated.isoformat()) for info in feeds
            if info.folder == DIGEST_FOLDER
            for e in (*info.entries, *_made(info.archives)) if e.revision}


def _made(pages: Sequence[ArchivePage]) -> list[Entry | Serialised]:
    """The entries of the pages made in this build (not those kept as they were)."""
    return [e for page in pages if "entries" in vars(page) for e in page.entries]
