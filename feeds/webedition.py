"""The web edition, made incrementally: only the pages whose content changed are rendered.

Each page has a key, a digest of everything its bytes depend on: the code and
templates, the configuration, and what it shows (an issue page: its issue, its
neighbours' links and its sections' feeds; a section page: the issues and
articles it lists and its feeds; the archive: every issue's link; the home
page: the latest issue and the recent links). A page whose key is the one the
last build recorded, and whose file is as that build left it, is kept without
being rendered (:data:`feeds.writer.KEEP`).

The plan works on the catalog's rows (no parsing: an issue's identity is its
parse key and date, from which its link follows); whole issues are loaded only
for the pages rendered. :func:`feeds.pages.site_pages`, which renders every
page from whole issues, is the reference these bytes must equal.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

from feeds.apart import begin
from feeds.builder import FeedInfo, issue_label
from feeds.config import Config
from feeds.loader import _summary, page_plan
from feeds.model import Issue, IssueSummary
from feeds.pages import (
    PARALLEL_MIN_PAGES,
    RECENT_ISSUES,
    FeedGroup,
    IssueRef,
    SectionArticles,
    _Renderer,
    numbered_path,
    section_path,
    sitemap,
    with_page_urls,
)
from feeds.parallel import parallel_fed
from feeds.spool import Spool, Spooled
from feeds.urls import is_web_url
from feeds.writer import KEEP, Keep
from feeds.xmltext import clean

if TYPE_CHECKING:
    from feeds.store import Store

T = TypeVar("T")

# a cold build's issue pages: each worker reads its issue's parse result itself (see
# ``apart``) rather than this process reading it and sending it; False: sent (the reference)
BLOBS_APART = True

_new = tuple.__new__  # a tuple made without NamedTuple's __new__: one per issue, 5,000


class PageIssue(NamedTuple):
    """An issue as the web edition's plan reads it from the store (see
    :meth:`feeds.store.Store.page_issues`)."""

    row: tuple[Any, ...]  # the catalog's summary columns: see feeds.loader
    known: bool  # whether the rest is known (else the issue is loaded to learn it)
    url: str  # its front matter ``url``, or ""
    articles: int
    slugs: str  # of its sections with articles: sorted, one a line

    @classmethod
    def of(cls, row: Sequence[Any]) -> PageIssue:
        """From a store row; a row whose values are not what the tool writes (a damaged
        or planted state: a ``javascript:`` URL, a negative count) is not known, so the
        issue is loaded and the row written again."""
        url, articles, slugs = row[-3:]
        known = (isinstance(url, str) and (not url or is_web_url(url))
                 and type(articles) is int and articles >= 0 and isinstance(slugs, str))
        if not known:
            return _new(cls, (tuple(row[:-3]), False, "", 0, ""))
        return _new(cls, (tuple(row[:-3]), True, url, articles, slugs))

    def learned(self, issue: Issue) -> PageIssue:
        """This issue with what its plan needs taken from the whole issue."""
        return self.planned(page_plan(issue.url, ((s.slug, len(s.articles))
                                                  for s in issue.sections)))

    def planned(self, plan: tuple[str, int, str]) -> PageIssue:
        """This issue with what its plan needs (see :func:`feeds.loader.page_plan`)."""
        url, articles, slugs = plan
        return self._replace(known=True, url=url, articles=articles, slugs=slugs)

    def plan_row(self) -> tuple[str, int, str]:
        """What :meth:`feeds.store.Store.add_page_issues` keeps of it."""
        return self.url, self.articles, self.slugs

    @property
    def identity(self) -> str:
        """What its content depends on: its parse key (the file's bytes, its shown
        path, the parser) and its date as the catalog filled it in."""
        return f"{self.row[6]}\x1f{self.row[0]}\x1f{self.row[4]}\x1f{self.row[5]}"

    def summary(self) -> IssueSummary:
        return _summary(self.row)

    def ref(self, config: Config) -> IssueRef:
        """The issue link :func:`feeds.pages._ref` makes of the whole issue."""
        path, name, year, number, date = self.row[:5]
        label = issue_label(IssueSummary(path, name, year, number, None, ()))
        page = numbered_path(year, number)
        own = self.url if self.url and self.url != config.base_url + page else ""
        return IssueRef(clean(label), page, str(date)[:10], year, number, self.articles, own)


PartRow = tuple[str, str, str]  # a page's part as stored: its key, its text, its check


@dataclass(frozen=True)
class WebEdition:
    """The files of the web edition (bytes, or KEEP for a page left as published),
    every page's key by its path, what the plan learned of the issues loaded on
    the way, by parse key (see :meth:`feeds.store.Store.add_page_issues`), and the
    parts of each page rendered from parts (``archive.html``), by name: a part made
    now, or None for one reused as stored (see :class:`_Parts`)."""

    files: dict[str, bytes | Keep | Spooled]
    keys: dict[str, str]
    learned: dict[str, tuple[str, int, str]]
    parts: dict[str, dict[str, PartRow | None]] = field(default_factory=dict)
    context: str = ""  # what the issue pages' keys depend on besides their issues
    last: Mapping[str, str] = field(default_factory=dict)  # the stored keys it read
    # the section pages, still being made by a forked child (see ``later``): it waits for
    # them (made here should the child fail); dropped uncalled, the child is killed
    sections: Callable[[], dict[str, bytes | Spooled]] | None = None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _group_id(group: FeedGroup | None) -> str:
    """A feed group as the templates show it (see README, "The web edition")."""
    if group is None:
        return "-"
    return _digest(repr((group.title, group.description, group.slug, group.page,
                         tuple((f.path, f.format, f.title, f.description, f.url, f.slug,
                                f.folder) for f in group.formats))))


def web_edition(given: Sequence[PageIssue] | Callable[[], Sequence[PageIssue]],
                blob: Callable[[IssueSummary], bytes | None],
                decode: Callable[[bytes | None, IssueSummary], Issue],
                feeds: Sequence[FeedInfo], config: Config, stamp: str,
                counts: Mapping[str, int],
                stored: Mapping[str, str] | Callable[[], Mapping[str, str]],
                intact: Callable[[Sequence[str]], Collection[str]],
                plans: Mapping[str, tuple[str, int, str]] | None = None,
                stored_parts: Callable[[str], Mapping[str, Sequence[Any]]] = lambda page: {},
                covered: Callable[[str], int] = lambda context: 0,
                tail: StoredTail | None = None,
                apart: Callable[[Sequence[PageIssue]], bool] = lambda issues: False,
                later: bool = False) -> WebEdition:
    """The web edition's files, as :func:`feeds.pages.site_pages` makes them from the
    whole issues, rendering only the pages whose key is not in ``stored`` (the last
    build's keys) or whose file is not ``intact`` (given paths, it gives those that
    are). ``given`` are the issues, oldest first; ``blob`` gives what is stored of the
    issue behind a summary and ``decode`` makes the whole issue of that (as parsed,
    without its page's URL; in a forked worker: it must not need the store);
    ``plans`` are the issues parsed in this run, as :func:`feeds.loader.page_plan`
    gives them, by parse key; ``stamp`` stands for the code, templates and
    configuration; ``counts`` are each section's articles; ``stored_parts`` gives the
    parts of a page as the last build left them (see :class:`WebEdition`).

    ``covered`` gives, for the context of the issue pages' keys (:attr:`WebEdition.context`),
    how many of the oldest issues the last build's marks cover (0: none): the keys of
    their pages, but the newest one's (its "next" link may be new), are taken from
    ``stored`` as they are, not made again (one missing there is made).

    ``given`` and ``stored`` may be given as functions that read them: with ``tail``
    (the store, see :class:`StoredTail`), when the marks cover all but the newest
    issues, only those, the few older ones a page shows and the keys of the pages
    that may change are read (see :class:`_Tail`; :attr:`WebEdition.last` says which).

    ``apart`` says of the issues whether ``blob`` needs no store for any of them (a
    cold build: every issue parsed in this run); then the section pages may be made
    by a forked child while the issue pages are (:func:`feeds.apart.begin`; the
    package's templates and the whole plan only); with ``later``, they are not waited
    for: :attr:`WebEdition.sections` gives them when the caller needs them.

    Memory stays bounded however long the history: issues are loaded one at a time
    (issue pages: by the worker that renders them), and pages go to a spool file
    (:class:`feeds.spool.Spool`) as they are made."""
    r = _Renderer(config, feeds)
    combined = r.combined.formats if r.combined else ()
    base = _digest(stamp, _group_id(r.combined), repr(sorted(r.site.items())))
    files: dict[str, bytes | Keep | Spooled] = {}
    keys: dict[str, str] = {}
    learned: dict[str, tuple[str, int, str]] = {}
    parts: dict[str, dict[str, PartRow | None]] = {}
    spool = Spool()
    groups = {slug: _group_id(group) for slug, group in r.groups.items()}
    context = _digest(base, repr(sorted(groups.items())))
    archived = any(f.archives for f in feeds)
    covers = covered(context)
    quick = _Tail.of(tail, covers, r, base, archived, stored_parts) \
        if tail is not None else None
    issues: list[PageIssue] | _Fetched
    last: Mapping[str, str]
    if quick is None:
        issues = list(given() if callable(given) else given)
        last = stored() if callable(stored) else stored
    else:
        issues, last = quick.issues, quick.last

    def load(at: int) -> Issue:
        """The whole issue, with its page's URL; what the plan needs is learned of it."""
        summary = issues[at].summary()
        issue = decode(blob(summary), summary)
        if not issues[at].known:
            issues[at] = issues[at].learned(issue)
            learned[issues[at].row[6]] = issues[at].plan_row()
        return with_page_urls([issue], config)[0]

    def wanted(path: str, key: str) -> bool:
        """Record the page's key; whether it must be rendered."""
        keys[path] = key
        if last.get(path) == key and path in intact([path]):
            files[path] = KEEP
            return False
        return True

    def resolve(at: int, issue: PageIssue) -> None:
        if not issue.known:
            plan = (plans or {}).get(issue.row[6])
            if plan is not None:  # parsed in this run (a cold build: every issue)
                issues[at] = issue.planned(plan)
                learned[issue.row[6]] = plan
            else:  # a row missing or not trusted
                load(at)

    if quick is None:
        for at, issue in enumerate(issues):
            resolve(at, issue)
    else:
        quick.issues.resolve = resolve
    refs: dict[int, IssueRef] = {}

    def ref_at(at: int) -> IssueRef | None:
        if not 0 <= at < len(issues):
            return None
        if at not in refs:
            refs[at] = issues[at].ref(config)
        return refs[at]

    ids: Sequence[str] = [issue.identity for issue in issues] if quick is None \
        else _Ids(quick.issues)
    # the pages of the issues the marks cover, but the newest one's ("next" may be new)
    marked = min(covers, len(issues)) - 1
    lastmod: dict[str, str] = {} if quick is None else quick.lastmod
    todo: list[int] = []
    same: list[tuple[int, str]] = []  # issue pages whose key is the last build's
    feeds_of: dict[str, str] = {}  # the feed groups of each set of slugs
    sha256 = hashlib.sha256

    def key_at(at: int) -> str:
        slugs = issues[at].slugs
        own = feeds_of.get(slugs)
        if own is None:
            own = feeds_of[slugs] = "".join(groups.get(s, "") for s in slugs.split("\n"))
        after = ids[at + 1] if at + 1 < len(ids) else "-"
        # _digest(base, "issue", previous, this, next, own), inline: 5,000 without marks
        return sha256(f"{base}\0issue\0{ids[at - 1] if at else '-'}\0{ids[at]}\0{after}\0"
                      f"{own}".encode("utf-8", "surrogatepass")).hexdigest()

    newer = None  # the next issue's date
    for at in range(len(issues) - 1, -1 if quick is None else marked - 1, -1):
        row = issues[at].row
        path = f"issues/{row[2]}-{row[3]}.html"  # numbered_path, inline: 5,000 of them
        known = last.get(path)
        key = keys[path] = known if at < marked and known is not None else key_at(at)
        if known == key:
            same.append((at, path))
        else:
            todo.append(at)
        lastmod[path] = str(row[4])[:10] if newer is None else newer
        newer = str(row[4])[:10]
    found = intact([path for _, path in same])
    for at, path in same:
        if path in found:
            files[path] = KEEP
        else:
            todo.append(at)
    if quick is not None:  # the older issue pages, their keys as stored
        older = quick.paths[:marked]
        found = intact(older)
        files.update(dict.fromkeys(found, KEEP))
        if len(found) < len(older):
            todo.extend(at for at, path in enumerate(older) if path not in found)
    todo.sort()

    def issue_blob(at: int) -> tuple[int, bytes | None, bool]:
        if blobs_apart:  # every issue parsed in this run: the worker reads its own
            return at, None, False
        return at, blob(issues[at].summary()), True  # in this process: it may read the store

    def issue_page(task: tuple[int, bytes | None, bool]) -> bytes:
        at, data, given = task  # in a worker when many: loaded there, not held here
        summary = issues[at].summary()
        issue = with_page_urls([decode(data if given else blob(summary), summary)], config)[0]
        own = tuple(r.groups[s.slug] for s in issue.sections if s.articles and s.slug in r.groups)
        ref = ref_at(at)
        assert ref is not None
        return r.render("issue.html", ref.path, ref.label, combined, issue=issue, ref=ref,
                        previous=ref_at(at - 1), next=ref_at(at + 1), feeds=own)

    summaries: dict[int, IssueSummary] = {}

    def summary_at(at: int) -> IssueSummary:
        if at not in summaries:
            summaries[at] = issues[at].summary()
        return summaries[at]

    window = _Window(load)

    def section_streams() -> list[_Stream]:
        # without a limit every section page shows every block: found in one pass over
        # the issues for all of them, not one pass each
        placed = None if config.section_max_items else _placed(len(issues), summary_at)
        return [stream for slug, group in sorted(r.groups.items()) if slug
                if (stream := _section_page(slug, group, counts.get(slug, 0), len(issues),
                                          summary_at, ids, ref_at, window.issue_at, r, config,
                                          base, wanted, lastmod,
                                          None if placed is None else placed.get(slug, [])))
                is not None]

    away = quick is None and r.package_only and all(issue.known for issue in issues) \
        and apart(issues)
    blobs_apart = away and BLOBS_APART
    streams = section_streams() if away else None  # before the child that makes them
    child = begin(lambda own: window.made_together(streams or [], own), away and bool(streams))
    try:
        if todo:
            r.template("issue.html")  # compiled once, before any worker is forked
            if quick is not None:  # read here: a worker must not read the store
                for at in todo:
                    for near in (at - 1, at, at + 1):
                        ref_at(near)
            made = parallel_fed(issue_page, todo, issue_blob, PARALLEL_MIN_PAGES)
            for at, page in zip(todo, made, strict=True):
                files[numbered_path(issues[at].row[2], issues[at].row[3])] = spool.keep(page)
    except BaseException:
        if child is not None:
            child.stop()
        raise

    def sections_here() -> dict[str, bytes | Spooled]:
        return window.made_together(streams if streams is not None else section_streams(),
                                    spool)

    pending = None
    if child is None:
        files.update(sections_here())
    elif later:
        pending = partial(child.take, sections_here)
    else:
        files.update(child.take(sections_here))

    newest = str(issues[-1].row[4])[:10] if issues else ""
    by_year: Mapping[int, Sequence[int]]
    if quick is None:
        listed: dict[int, list[int]] = {}
        for at in range(len(issues) - 1, -1, -1):
            listed.setdefault(issues[at].row[2], []).append(at)
        by_year = listed
        year_keys = {year: _year_key(base, archived, year, (ids[at] for at in ats))
                     for year, ats in by_year.items()}
    else:  # the years with a new issue, keyed; the others' parts as stored (see _Tail)
        by_year = quick.by_year
        year_keys = {year: quick.stored[str(year)][0] if ats is _UNREAD else
                     _year_key(base, archived, year, (ids[at] for at in ats))
                     for year, ats in by_year.items()}
    if wanted("archive.html", _digest(base, "archive", repr(archived), *year_keys.values())):
        years: dict[int, Sequence[IssueRef]]
        if r.package_only:  # links made as the package's templates reach them
            years = {year: ats if ats is _UNREAD else _YearRefs(ats, ref_at)
                     for year, ats in by_year.items()}
        else:  # a user's template sees what site_pages gives it: tuples
            years = {year: tuple(_YearRefs(ats, ref_at)) for year, ats in by_year.items()}
        kept = _Parts(year_keys, years, stored_parts("archive.html") if quick is None
                      else quick.stored, () if quick is None else quick.checked)
        files["archive.html"] = r.archive(tuple(years.items()), archived, kept.part)
        parts["archive.html"] = kept.made
    lastmod["archive.html"] = newest

    latest = len(issues) - 1
    recent = range(latest - 1, max(latest - 1 - RECENT_ISSUES, -1), -1)
    sections = tuple(g for s, g in sorted(r.groups.items()) if s)
    if wanted("index.html", _digest(
            base, "index", ids[latest] if issues else "-", *(ids[at] for at in recent),
            _group_id(r.digest), *(groups[g.slug] for g in sections))):
        files["index.html"] = r.render(
            "index.html", "index.html", r.site["title"],
            (*combined, *(r.digest.formats if r.digest else ())), digest=r.digest,
            latest=load(latest) if issues else None, latest_ref=ref_at(latest),
            recent=tuple(ref for at in recent if (ref := ref_at(at)) is not None),
            sections=sections)
    lastmod["index.html"] = newest

    # lastmod unsorted: its order follows from the plan (another order: rendered again);
    # (_digest(base, "sitemap", *(f"{p}\0{d}" for p, d in lastmod.items())), made at once)
    if wanted("sitemap.xml", _digest(base, "sitemap", *(
            ("\0".join(chain.from_iterable(lastmod.items())),) if lastmod else ()))):
        files["sitemap.xml"] = sitemap(lastmod, config)
    if wanted("style.css", _digest(base, "style")):
        files["style.css"] = r.plain("style.css")
    return WebEdition(files, keys, learned, parts, context, last, pending)


def _year_key(base: str, archived: bool, year: int, ids: Iterable[str]) -> str:
    """The key of a year's part of ``archive.html``: its issues' identities, newest first."""
    return _digest(base, "archive year", repr(archived), str(year), *ids)


class _Unread(Sequence[Any]):
    """The issues of a year whose part of ``archive.html`` is reused as stored: never read."""

    def __len__(self) -> int:
        raise AssertionError("a year part reused as stored is not made again")

    def __getitem__(self, i: Any) -> Any:
        raise AssertionError("a year part reused as stored is not made again")


_UNREAD = _Unread()


class StoredTail:
    """What the quick plan (:class:`_Tail`) reads of the store for the output folder
    ``output``: each a few rows, or one row per issue made in SQL."""

    def __init__(self, store: Store, output: str) -> None:
        self.size = store.catalog_size
        self.rows = store.page_issues_between
        self.pages = store.issue_pages
        self.keys = partial(store.page_keys_of, output)


class _Fetched(Sequence[PageIssue]):
    """The catalog's issues (as :class:`PageIssue`), oldest first, read from the store a
    block at a time as they are reached (the newest first); ``resolve`` is told of each
    one read (and may put another in its place)."""

    BLOCK = 64

    def __init__(self, size: int, rows: Callable[[int, int], Sequence[Sequence[Any]]]) -> None:
        self.size = size
        self.rows = rows
        self.got: dict[int, PageIssue] = {}
        self.resolve: Callable[[int, PageIssue], None] = lambda at, issue: None

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, at: int) -> PageIssue: ...
    @overload
    def __getitem__(self, at: slice) -> Sequence[PageIssue]: ...
    def __getitem__(self, at: int | slice) -> PageIssue | Sequence[PageIssue]:
        if isinstance(at, slice):
            return tuple(self[i] for i in range(self.size)[at])
        at = range(self.size)[at]
        issue = self.got.get(at)
        if issue is None:
            stop = self.size - (self.size - 1 - at) // self.BLOCK * self.BLOCK
            start = max(stop - self.BLOCK, 0)
            rows = self.rows(start, stop)
            assert len(rows) == stop - start, "the catalog changed during the build"
            new = [place for place in range(start, stop) if place not in self.got]
            self.got.update((place, PageIssue.of(rows[place - start])) for place in new)
            for place in new:
                self.resolve(place, self.got[place])
            issue = self.got[at]
        return issue

    def __setitem__(self, at: int, issue: PageIssue) -> None:
        self.got[at] = issue


class _Ids(Sequence[str]):
    """Each issue's :attr:`PageIssue.identity`, made when asked."""

    def __init__(self, issues: Sequence[PageIssue]) -> None:
        self.issues = issues

    def __len__(self) -> int:
        return len(self.issues)

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> Sequence[str]: ...
    def __getitem__(self, at: int | slice) -> str | Sequence[str]:
        if isinstance(at, slice):
            return tuple(self[i] for i in range(len(self))[at])
        return self.issues[at].identity


@dataclass(frozen=True)
class _Tail:
    """The quick plan of a build whose page marks cover all but the newest few issues
    (a new issue added at the end): the older issue pages are kept with their keys as
    stored (as the marks allow; their paths and sitemap dates come from one query),
    only the newer issues and those a page shows are read, and ``archive.html``'s
    years without a new issue are reused as stored. It is refused (the whole plan is
    made) on any doubt: a user's templates, stored keys or year parts not those the
    last build left (each part checked, and together giving its ``archive.html`` key)."""

    MAX_NEW = 256  # new issues beyond which the whole plan is made

    issues: _Fetched
    paths: Sequence[str]  # every issue page's path, oldest first
    lastmod: dict[str, str]  # every issue page's sitemap date, newest first
    last: dict[str, str]  # the stored keys of the pages that may change
    by_year: Mapping[int, Sequence[int]]  # the issues of each year with a new one; _UNREAD
    stored: Mapping[str, Sequence[Any]]  # archive.html's parts as stored
    checked: frozenset[str]  # the names of those whose check was found to hold

    @classmethod
    def of(cls, tail: StoredTail, covers: int, r: _Renderer, base: str, archived: bool,
           stored_parts: Callable[[str], Mapping[str, Sequence[Any]]]) -> _Tail | None:
        size = tail.size()
        if not r.package_only or not 1 <= covers < size or size - covers > cls.MAX_NEW:
            return None
        pages = tail.pages()
        if pages is None or len(pages) != size:
            return None
        paths, days, years = zip(*pages, strict=True)
        # a page's date is the next issue's (the newest's: its own), newest first
        lastmod = dict(zip(reversed(paths), reversed((*days[1:], days[-1])), strict=True))
        fixed = [*(section_path(slug) for slug in r.groups if slug), "archive.html",
                 "index.html", "sitemap.xml", "style.css"]
        last, count = tail.keys([*fixed, *paths[covers - 1:]])  # and the newest marked
        if paths[covers - 1] not in last or any(path in last for path in paths[covers:]) \
                or count != covers + sum(path in last for path in fixed):
            return None
        stored = stored_parts("archive.html")
        newest = dict(zip(years, range(size), strict=True))  # each year's newest issue
        before = dict(zip(years[:covers], range(covers), strict=True))  # and the last build's
        for year in before:
            row = stored.get(str(year))
            if row is None or len(row) != 3 or not isinstance(row[0], str) \
                    or not isinstance(row[1], str) or row[2] != _check(row[0], row[1]):
                return None
        if last.get("archive.html") != _digest(
                base, "archive", repr(archived),
                *(stored[str(year)][0] for year in sorted(before, key=before.__getitem__,
                                                          reverse=True))):
            return None
        touched = set(years[covers:])
        by_year: dict[int, Sequence[int]] = {
            year: _UNREAD if year not in touched else
            [at for at in range(size - 1, -1, -1) if years[at] == year]
            for year in sorted(newest, key=newest.__getitem__, reverse=True)}
        return cls(_Fetched(size, tail.rows), paths, lastmod, last, by_year, stored,
                   frozenset(str(year) for year in before))


class _OnDemand(Sequence[T]):
    """A sequence whose item ``i`` is made (:meth:`_item`) only when a template reaches
    it; the template sees a sequence, as it would a tuple."""

    def __init__(self, size: int) -> None:
        self.size = size

    @abstractmethod
    def _item(self, i: int) -> T: ...

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[T, ...]: ...
    def __getitem__(self, i: int | slice) -> T | tuple[T, ...]:
        if isinstance(i, slice):
            return tuple(map(self._item, range(self.size)[i]))
        return self._item(range(self.size)[i])

    def __iter__(self) -> Iterator[T]:
        return map(self._item, range(self.size))


class _YearRefs(_OnDemand[IssueRef]):
    """A year's issue links for ``archive.html``: a year whose part is reused makes none."""

    def __init__(self, ats: Sequence[int], ref_at: Callable[[int], IssueRef | None]) -> None:
        super().__init__(len(ats))
        self.ats = ats
        self.ref_at = ref_at

    def _item(self, i: int) -> IssueRef:
        ref = self.ref_at(self.ats[i])
        assert ref is not None
        return ref


def _check(key: str, text: str) -> str:
    """What a stored part is checked with: a row changed since it was written is not used."""
    return _digest(key, text)


class _Parts:
    """The year sections of ``archive.html``, each reused as stored while its key (the
    page's stamp, ``archived``, the year and its issues' identities, newest first) is
    the one it was stored with and its check holds, else rendered; only when the
    template asks for the year's own links (else: rendered as asked)."""

    def __init__(self, keys: Mapping[int, str], refs: Mapping[int, Sequence[IssueRef]],
                 stored: Mapping[str, Sequence[Any]], checked: Collection[str] = ()) -> None:
        self.keys = keys
        self.refs = refs
        self.stored = stored
        self.checked = checked  # the names of the rows of ``stored`` whose check held
        self.made: dict[str, PartRow | None] = {}

    def part(self, year: int, refs: Sequence[IssueRef], render: Callable[[], str]) -> str:
        if type(year) is not int or refs is not self.refs.get(year):
            return render()
        name, key = str(year), self.keys[year]
        row = self.stored.get(name)
        if row is not None and len(row) == 3 and row[0] == key and isinstance(row[1], str) \
                and (name in self.checked or row[2] == _check(key, row[1])):
            self.made[name] = None
            return row[1]
        text = render()
        self.made[name] = (key, text, _check(key, text))
        return text


class _Blocks(_OnDemand[SectionArticles]):
    """A section page's blocks, each made from its issue."""

    def __init__(self, shown: Sequence[tuple[int, int, int]], refs: Mapping[int, IssueRef],
                 issue_at: Callable[[int], Issue]) -> None:
        super().__init__(len(shown))
        self.shown = shown
        self.refs = refs
        self.issue_at = issue_at
        self.next = 0  # the next block the template's loop takes

    def waiting(self) -> int:
        """The issue the template's loop takes next, or -1 once it has taken them all."""
        return self.shown[self.next][0] if self.next < len(self.shown) else -1

    def _item(self, i: int) -> SectionArticles:
        at, place, take = self.shown[i]
        section = self.issue_at(at).sections[place]
        return SectionArticles(self.refs[at], section, section.articles[:take])

    def __iter__(self) -> Iterator[SectionArticles]:
        for i in range(self.size):
            self.next = i + 1
            yield self._item(i)


class _Stream(NamedTuple):
    path: str
    blocks: _Blocks
    parts: Iterator[bytes]


class _Window:
    """The issues the section pages are made from, loaded as they are reached and let
    go once every page is past them."""

    SIZE = 32  # issues loaded ahead of the pages

    def __init__(self, load: Callable[[int], Issue]) -> None:
        self.load = load
        self.loaded: dict[int, Issue] = {}

    def issue_at(self, at: int) -> Issue:
        if at not in self.loaded:
            self.loaded[at] = self.load(at)
        return self.loaded[at]

    def made_together(self, streams: list[_Stream], spool: Spool) -> dict[str, bytes | Spooled]:
        """The section pages, made side by side from the newest issue to the oldest, so
        that each issue is loaded once for all of them."""
        files: dict[str, bytes | Spooled] = {}
        pages = {s.path: spool.page() for s in streams}
        streams = list(streams)
        while streams:
            low = max(s.blocks.waiting() for s in streams) - self.SIZE + 1
            for s in list(streams):
                while s.blocks.waiting() >= low or s.blocks.waiting() < 0:
                    part = next(s.parts, None)
                    if part is None:
                        files[s.path] = pages[s.path].done()
                        streams.remove(s)
                        break
                    pages[s.path].add(part)
            for at in [at for at in self.loaded if at >= low]:
                del self.loaded[at]  # every page has taken its blocks of it
        return files


def _placed(issues: int, summary_at: Callable[[int], IssueSummary]
            ) -> dict[str, list[tuple[int, int, int]]]:
    """Every section's blocks, newest first: the issue, the section's place in it and its
    articles (all of them), as :func:`_section_page` finds them without a limit."""
    placed: dict[str, list[tuple[int, int, int]]] = {}
    for at in range(issues - 1, -1, -1):
        for place, summary in enumerate(summary_at(at).sections):
            if summary.articles:
                placed.setdefault(summary.slug, []).append((at, place, summary.articles))
    return placed


def _section_page(slug: str, group: FeedGroup, total: int, issues: int,
                  summary_at: Callable[[int], IssueSummary], ids: Sequence[str],
                  ref_at: Callable[[int], IssueRef | None], issue_at: Callable[[int], Issue],
                  r: _Renderer, config: Config, base: str, wanted: Callable[[str, str], bool],
                  lastmod: dict[str, str],
                  placed: Sequence[tuple[int, int, int]] | None = None) -> _Stream | None:
    """A section's page: its newest articles, grouped by issue, up to the section
    feed's limit (planned from the summaries); its parts as the template makes them,
    or None if it is kept. ``placed``: its blocks as :func:`_placed` found them
    (without a limit)."""
    shown: list[tuple[int, int, int]] = []  # issue, section's place in it, articles taken
    kept, limit = 0, config.section_max_items
    if placed is not None and not limit:
        shown = list(placed)
        kept = sum(take for _, _, take in shown)
    for at in range(issues - 1, -1, -1) if placed is None or limit else ():
        if limit and kept >= limit:
            break
        for place, summary in enumerate(summary_at(at).sections):
            if summary.slug == slug and summary.articles:
                take = min(summary.articles, limit - kept) if limit else summary.articles
                kept += take
                shown.append((at, place, take))
    name = group.formats[0].entries[0].section_name if group.formats[0].entries else slug
    path = section_path(slug)
    refs = {at: ref for at, _, _ in shown if (ref := ref_at(at)) is not None}
    lastmod[path] = refs[shown[0][0]].date if shown else ""
    key = _digest(base, "section", slug, _group_id(group), name, repr((kept, kept < total)),
                  *(f"{ids[at]}\x1e{place}\x1e{take}" for at, place, take in shown))
    if not wanted(path, key):
        return None
    blocks = _Blocks(shown, refs, issue_at)
    combined = r.combined.formats if r.combined else ()
    # a user's template sees what site_pages gives it: a tuple (its issues loaded now)
    shows = blocks if r.package_only else tuple(blocks)
    return _Stream(path, blocks, r.stream("section.html", path, clean(name),
                                          (*combined, *group.formats), name=clean(name),
                                          feed=group, blocks=shows, limited=kept < total,
                                          count=kept))

