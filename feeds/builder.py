"""Plan the feeds: which entries each feed carries, in which order, with which ids.

This module knows feeds and nothing of Markdown: it turns parsed issues into
:class:`Entry` records (ids, dates, titles, content) and :class:`FeedInfo`
plans, for every format in :data:`feeds.formats.FORMATS`; :mod:`feeds.render`
writes them. Besides the combined and section feeds of articles it plans the
digest: one entry per issue.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import NamedTuple, Protocol, TypeVar

from feeds.config import Config
from feeds.formats import BY_NAME, GENERATOR, enabled, feed_folder
from feeds.model import Article, Issue, IssueSummary, Section, SectionSummary
from feeds.urls import canonical_url, is_web_url, published_url
from feeds.xmltext import clean

DIGEST_FOLDER = "digest"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Entry:
    """One article as it appears in every feed that carries it."""

    id: str
    title: str
    link: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    section_name: str
    section_slug: str
    author: str
    tags: tuple[str, ...]
    order: tuple[datetime, int, int, int]
    key: str = ""  # digest of all its serialised bytes depend on: the fragment cache's key
    revision: str = ""  # a digest entry's content digest: its ``updated`` moves when this does


@dataclass(frozen=True, slots=True)
class Serialised:
    """All a feed needs of an entry whose bytes were made where its issue was
    prepared (see :func:`feeds.render.prepare_issues`): the key to those bytes,
    its dates and its section's name."""

    key: str
    published: datetime
    updated: datetime
    section_name: str
    id: str = ""
    revision: str = ""

    def __reduce__(self) -> tuple[type[Serialised], tuple[str, datetime, datetime, str, str, str]]:
        """Pickled (back from the workers, 20,000 at N = 1,000) as its fields: a
        third of the time that a slotted dataclass's own state functions take."""
        return Serialised, (self.key, self.published, self.updated, self.section_name, self.id,
                            self.revision)


@dataclass(frozen=True)
class ArchivePage:
    """A planned RFC 5005 archive page, its entries newest first, made only when the
    page must be written: a page already written from the same issues is not made
    again (see :func:`feeds.render.render_feeds`)."""

    identity: str  # a digest of its issues as parsed and its entries' places in them
    make: Callable[[], tuple[Entry | Serialised, ...]]

    @cached_property
    def entries(self) -> tuple[Entry | Serialised, ...]:
        return self.make()


@dataclass(frozen=True)
class FeedInfo:
    """One published feed: where it lives and what it is."""

    path: str
    format: str  # the name of one of :data:`feeds.formats.FORMATS`
    title: str
    description: str
    url: str
    slug: str  # the section's slug; empty for the combined feeds and the digest
    entries: tuple[Entry | Serialised, ...]
    folder: str = ""  # where its files are inside ``output/``
    issued: datetime | None = None  # the newest issue's date: an empty feed's updated
    archives: tuple[ArchivePage, ...] = ()  # RFC 5005 pages, oldest first
    complete: bool = False  # it holds every entry (no limit): RFC 5005 ``fh:complete``
    current: str = ""  # an archive page's: the subscription feed's URL
    prev_archive: str = ""  # the URL of the next older archive page
    next_archive: str = ""  # the oldest archive page's: the URL of the second oldest

    @property
    def media_type(self) -> str:
        return BY_NAME[self.format].media_type

    @cached_property
    def updated(self) -> datetime | None:
        return max((e.updated for e in self.entries), default=self.issued)


def split_archives(newest_first: Sequence[_T], limit: int, page: int
                   ) -> tuple[tuple[_T, ...], tuple[tuple[_T, ...], ...]]:
    """A feed's entries as its subscription feed's and its archive pages' (RFC 5005),
    the pages oldest first, each newest first.

    Pages hold ``page`` entries counted from the oldest, so a page once made
    never changes when entries are added; the subscription feed holds its newest
    ``limit`` entries and those not yet filling a page (fewer than ``page`` more).
    Archives appear only once two pages are closed (the two oldest link each
    other and are named together, see :mod:`feeds.render`): until then the subscription
    feed keeps them too, up to ``limit + 2 * page - 1`` entries. Without a limit
    or without pages, there are no archives.
    """
    entries = tuple(newest_first)
    if not limit:
        return entries, ()
    if not page or len(entries) <= limit:
        return entries[:limit], ()
    closed = (len(entries) - limit) // page
    if closed < 2:
        return entries, ()
    cut = len(entries) - closed * page
    end = len(entries)
    pages = tuple(entries[end - (j + 1) * page:end - j * page] for j in range(closed))
    return entries[:cut], pages


def feed_path(slug: str, fmt: str, folder: str | None = None) -> str:
    """The permanent path of a feed inside ``output/``: the format's file name in the
    section's folder (or ``folder``)."""
    where = feed_folder(slug) if folder is None else folder
    name = BY_NAME[fmt].file_name
    return f"{where}/{name}" if where else name


def entry_id(config: Config, issue: Issue, url: str, occurrence: int) -> str:
    """A ``tag:`` URI from the issue and the article's canonical URL (``url``).

    It survives edits of title and summary and reordering; ``occurrence``
    tells apart the same URL listed twice in one issue.
    """
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    suffix = f"-{occurrence}" if occurrence > 1 else ""
    return f"tag:{config.authority},{issue.year}:issue-{issue.year}-{issue.number}/{digest}{suffix}"


def issue_label(issue: AnyIssue) -> str:
    return f"《{issue.name}》{issue.year} 年第 {issue.number} 期"


def _footer(issue: Issue, section: Section, linked: bool = True) -> str:
    """The content's last line: which issue and section the article comes from; with a
    link to the issue (unless not ``linked``: the line as a revision digests it)."""
    label = html.escape(issue_label(issue), quote=False)
    if linked and issue.url and is_web_url(issue.url):
        label = f'<a href="{html.escape(published_url(issue.url))}">{label}</a>'
    return f"<p>{label} · {html.escape(section.name, quote=False)}</p>"


_LINKED_FOOTER = re.compile(r'<p><a href="([^"]*)">([^<]*)</a> · ([^<]*)</p>\Z')


def _page_url(config: Config, year: int, number: int) -> str:
    """The URL of an issue's page (feeds.pages.numbered_path under base_url)."""
    return f"{config.base_url}issues/{year}-{number}.html"


def _own_url(issue: Issue, config: Config) -> bool:
    """Whether the issue links to a URL of its own (front matter ``url``), not to its
    page, whose URL follows the configuration (``base_url``, ``pages``): an editor's
    new ``url`` is a correction, a new configuration is not."""
    return bool(issue.url) and is_web_url(issue.url) \
        and issue.url != _page_url(config, issue.year, issue.number)


def _content_html(article: Article, footer: str) -> str:
    extra = []
    if article.author:
        extra.append(f"作者：{html.escape(article.author, quote=False)}")
    if article.source:
        extra.append(f"来源：{html.escape(article.source, quote=False)}")
    if article.tags:
        extra.append("标签：" + "、".join(html.escape(t, quote=False) for t in article.tags))
    lines = [article.summary_html] if article.summary_html else []
    if extra:
        lines.append(f"<p>{' · '.join(extra)}</p>")
    lines.append(footer)
    return "".join(lines)


AnyIssue = Issue | IssueSummary


class _Ref(NamedTuple):
    """An article's place in a newest-first feed, before its entry is made. The first
    four fields order it exactly as :attr:`Entry.order` does; no two refs share them."""

    stamp: float
    year: int
    number: int
    back: int  # minus the article's place in its issue
    issue: AnyIssue
    position: int  # the article's place in its issue
    slug: str  # its section's slug


class IssueSource(Protocol):
    """Where the plan reads issues from: only as many as the feeds' limits need."""

    def by_newest(self, slug: str | None) -> Iterable[AnyIssue]:
        """The issues (with a section ``slug``), newest last article first."""

    def slugs(self) -> Iterable[str]:
        """Every section slug of every issue."""

    def latest(self) -> AnyIssue | None:
        """The newest issue by date, year and number."""


class Corrections(Protocol):
    """Where the plan finds the archived entries whose ``updated`` moved (corrected
    after they were published): a few, found by an index, not by reading every issue."""

    def articles(self, slug: str | None, since: datetime) -> Iterable[tuple[AnyIssue, int]]:
        """The issue and place of each article (of section ``slug``) updated after ``since``."""

    def issues(self, since: datetime, held: Collection[str] = ()) -> Iterable[AnyIssue]:
        """The issues whose digest entry was updated after ``since``; those whose digest
        entry's id is in ``held`` (the caller has them) may be left out."""


class IssueList:
    """An :class:`IssueSource` over issues in memory, oldest first."""

    def __init__(self, issues: Sequence[AnyIssue]) -> None:
        self.issues = issues
        self.order = sorted(issues, key=newest_stamp, reverse=True)

    def by_newest(self, slug: str | None) -> Iterable[AnyIssue]:
        return (i for i in self.order if slug is None or any(s.slug == slug for s in i.sections))

    def slugs(self) -> Iterable[str]:
        return sorted({s.slug for i in self.issues for s in i.sections if _count(s)})

    def latest(self) -> AnyIssue | None:
        return self.issues[-1] if self.issues else None


class SourceMismatch(Exception):
    """The issues' summaries (a store's catalog, say) disagree with their entries: a
    plan made of them would be wrong."""


def _count(section: Section | SectionSummary) -> int:
    return section.articles if isinstance(section, SectionSummary) else len(section.articles)


def article_slugs(issue: AnyIssue) -> list[str]:
    """The section slug of each article of the issue, in order."""
    return [s.slug for s in issue.sections for _ in range(_count(s))]


def newest_stamp(issue: AnyIssue) -> float:
    """The time of the issue's newest entry: no entry of it is newer."""
    assert issue.date is not None
    return issue.date.timestamp() + sum(_count(s) for s in issue.sections) - 1


def _issue_refs(issue: AnyIssue, only: str | None = None) -> list[_Ref]:
    """Every article's place in a newest-first feed (of section ``only``), without
    building its entry yet. The first four fields order it exactly as
    :attr:`Entry.order` does."""
    assert issue.date is not None
    stamp = issue.date.timestamp()
    slugs = article_slugs(issue)
    last = len(slugs) - 1
    return [_Ref(stamp + last - index, issue.year, issue.number, -index, issue, index, slug)
            for index, slug in enumerate(slugs) if only is None or slug == only]


def _newest(issues: Iterable[AnyIssue], limit: int, only: str | None = None) -> list[_Ref]:
    """The ``limit`` newest articles (all for 0) of ``issues`` (newest last article
    first), reading only as many issues as can hold them.

    Once the refs taken hold ``limit`` that are newer than anything the next issue
    may hold, no later issue can change the result.
    """
    taken: list[_Ref] = []
    check_at = limit
    source = iter(issues)
    issue = next(source, None)
    while issue is not None:
        taken.extend(_issue_refs(issue, only))
        following = next(source, None)
        if limit and len(taken) >= check_at:
            if following is None:
                break
            bound = newest_stamp(following)
            if sum(1 for r in taken if r.stamp > bound) >= limit:
                break
            check_at = len(taken) * 3 // 2 + 1
        issue = following
    taken.sort(reverse=True)  # by the first four fields: no two refs share them
    return taken[:limit] if limit else taken


def issue_entries(issue: Issue, config: Config) -> list[Entry]:
    """The entries of one issue, first article newest by one second each.

    Readers sort by date; spacing the timestamps keeps the issue's own order
    (section by section, article by article) in a newest-first list, while
    every entry stays on the issue's date.
    """
    assert issue.date is not None
    count = sum(len(s.articles) for s in issue.sections)
    seen: dict[str, int] = {}
    entries = []
    index = 0
    head = _key_head(config)
    for section in issue.sections:
        footer = _footer(issue, section)
        linked = clean(footer)
        plain = linked if _own_url(issue, config) else clean(_footer(issue, section, False))
        section_name = clean(section.name)
        for article in section.articles:
            url = canonical_url(article.url)  # for the id only: ids are permanent
            seen[url] = seen.get(url, 0) + 1
            published = issue.date + timedelta(seconds=count - 1 - index)
            ident = entry_id(config, issue, url, seen[url])
            title, link = clean(article.title), published_url(article.url)
            summary = clean(article.summary_text)
            content = clean(_content_html(article, footer))
            author = clean(article.author)
            tags = tuple(clean(t) for t in article.tags)
            joined = "\x1e".join(tags)
            stamp = str(published)
            # the key and revision of _key and article_revision, made from the fields
            # at hand: 20,000 entries at N = 1,000, each made once, not made and replaced
            key = _sha256("\x1f".join([head, ident, title, link, summary, content, stamp, stamp,
                                        section_name, section.slug, author, joined]))
            entries.append(Entry(
                id=ident, title=title, link=link, summary=summary, content_html=content,
                published=published, updated=published, section_name=section_name,
                section_slug=section.slug, author=author, tags=tags,
                order=(published, issue.year, issue.number, -index), key=key,
                revision=_digest_of([title, link, summary,
                                     content[:len(content) - len(linked)] + plain, author,
                                     joined, section_name])))
            index += 1
    return entries


class RevisionRecord(NamedTuple):
    """An article entry as published: what the next build's :func:`dated` compares
    with, and where a corrected archived entry is found (see :class:`Corrections`)."""

    id: str
    year: int
    number: int
    position: int  # its place in its issue
    slug: str
    revision: str
    published: datetime
    updated: datetime


def revision_records(entries: Iterable[Entry]) -> tuple[RevisionRecord, ...]:
    """The records of an issue's article entries."""
    return tuple(RevisionRecord(e.id, e.order[1], e.order[2], -e.order[3], e.section_slug,
                                e.revision, e.published, e.updated) for e in entries)


def article_revision(entry: Entry, config: Config) -> str:
    """A digest of what a reader sees of an article entry: title, link, summary,
    content, author, tags and section. Its ``updated`` moves when this does. The
    content's last line is taken without its link to the issue's page: that link
    follows the configuration (``base_url``, ``pages``), whose change corrects nothing
    (a link to the issue's own ``url`` is kept: the editor's)."""
    content = entry.content_html
    footer = _LINKED_FOOTER.search(content)
    page = html.escape(published_url(_page_url(config, entry.order[1], entry.order[2])))
    if footer is not None and footer[1] == page:
        content = f"{content[:footer.start()]}<p>{footer[2]} · {footer[3]}</p>"
    return _digest_of([entry.title, entry.link, entry.summary, content,
                       entry.author, "\x1e".join(entry.tags), entry.section_name])


def entries_context(config: Config) -> str:
    """What an issue's entries depend on besides the issue: the ids' authority, the
    base URL and the formats written (in the fragment keys)."""
    formats = ",".join(f.name for f in enabled(config))
    return f"{GENERATOR}\0{config.authority}\0{config.base_url}\0{config.pages}\0{formats}"


Revisions = Mapping[str, tuple[str, datetime]]
"""An entry's id → its content digest and ``updated`` when last published (a digest
entry's, or an article's: see :func:`dated`)."""


def _issue_html(issue: Issue) -> str:
    """The whole issue as HTML: intro, then each section with its articles' linked
    titles, summaries, authors, sources and tags."""
    parts = [issue.intro_html] if issue.intro_html else []
    for section in issue.sections:
        parts.append(f"<h2>{html.escape(section.name, quote=False)}</h2>")
        for article in section.articles:
            title = html.escape(article.title, quote=False)
            parts.append(f'<h3><a href="{html.escape(published_url(article.url))}">{title}</a></h3>')
            parts.append(_content_html(article, ""))
    return "".join(parts)


def digest_id(config: Config, issue: AnyIssue) -> str:
    """The digest entry's ``tag:`` URI: per issue, never an article's (those go on
    with ``/`` and a digest of the article's URL)."""
    return f"tag:{config.authority},{issue.year}:issue-{issue.year}-{issue.number}"


def revised(entry_id: str, revision: str, published: datetime, revisions: Revisions,
            changed: datetime | None = None, edited: bool = True) -> datetime:
    """An entry's ``updated``: its date when first published; the same as last time
    while its content is unchanged, or whatever it is if its issue was not ``edited``
    (new code or a new base URL corrects nothing); when the content changes, when its
    file was ``changed`` (an input, never the clock), and never before the last value."""
    last = revisions.get(entry_id)
    if last is None:
        return published
    if last[0] == revision or not edited:
        return max(published, last[1])
    later = last[1] + timedelta(seconds=1)
    if changed is not None:
        later = max(later, changed.replace(microsecond=0).astimezone(published.tzinfo))
    return max(published, later)


def file_changed(path: str, floor: datetime | None = None) -> datetime | None:
    """When an issue's file was last modified: the time a change in it is dated, but
    never before ``floor`` (see :func:`feeds.corrections.floor`)."""
    try:
        changed = datetime.fromtimestamp(int(os.stat(path).st_mtime), UTC)
    except (OSError, ValueError, OverflowError):
        return None
    return changed if floor is None else max(changed, floor)


def _published_under(head: str, revisions: Revisions) -> bool:
    """Whether a record's id is ``head`` (the issue's digest entry) or starts ``head/``
    (an article's): one search where ``revisions`` are read as asked (``any_under``)."""
    if head in revisions:
        return True
    under = getattr(revisions, "any_under", None)
    if under is not None:
        return bool(under(head))
    return any(ident.startswith(head + "/") for ident in revisions)


def dated(issue: Issue, entries: Sequence[Entry], config: Config, revisions: Revisions,
          edited: bool = True, floor: datetime | None = None) -> list[Entry]:
    """The issue's article entries with their ``updated`` from ``revisions`` (see
    :func:`revised`): a correction (a new revision) is dated by the issue file's
    modification time, but only in an issue ``edited`` since the last build; in
    another the recorded ``updated`` stays, whatever the revision (new code that
    writes the content otherwise corrects nothing). An article added to an issue
    published before (a record is under the head of its ids: same authority, year and
    number) is dated like a correction too; never before ``floor`` (see
    :func:`file_changed`)."""
    changed = file_changed(issue.path, floor) if edited else None
    # an issue with no record under its ids' head (tag:<authority>,<year>:issue-<year>-
    # <number>) was never published under these ids (a new tag_authority): it is new, as a
    # cold build makes it, not corrected. The head, not the ids: an issue whose articles'
    # URLs were all fixed has none of its ids recorded, and its articles are added to an
    # issue published before
    known = edited and bool(revisions) and any(
        _published_under(head, revisions) for head in {e.id.rpartition("/")[0] for e in entries})
    made = []
    for entry in entries:
        if known and entry.id not in revisions and changed is not None:
            updated = max(entry.published, changed)
        else:
            updated = revised(entry.id, entry.revision, entry.published, revisions, changed,
                              edited)
        updated = updated.astimezone(entry.published.tzinfo)  # as the issue's date is written
        made.append(entry if updated == entry.updated
                    else _keyed(replace(entry, updated=updated), config))
    return made


def digest_entry(issue: Issue, config: Config, revisions: Revisions | None = None,
                 edited: bool = True, floor: datetime | None = None) -> Entry:
    """The digest's entry for one issue: the whole issue as one entry. Its ``updated``
    moves (see :func:`revised`) only if the issue was ``edited`` since the last build:
    a new base URL or new code changes its bytes but corrects nothing."""
    assert issue.date is not None
    link = published_url(issue.url) if issue.url and is_web_url(issue.url) \
        else config.base_url + "index.html"
    title = clean(issue_label(issue))
    content = clean(_issue_html(issue))
    titles = [clean(a.title) for a in issue.articles]
    summary = f"本期 {len(titles)} 篇：" + "；".join(titles) if titles else title
    # without the link unless it is the issue's own: the issue's page (or the home page)
    # follows the configuration, whose change corrects nothing
    shown = (title, link, summary, content) if _own_url(issue, config) \
        else (title, summary, content)
    revision = hashlib.sha256("\x1f".join(shown).encode("utf-8", "surrogatepass")).hexdigest()
    ident = digest_id(config, issue)
    updated = revised(ident, revision, issue.date, revisions or {},
                      file_changed(issue.path, floor) if edited else None, edited)
    return _keyed(Entry(
        id=ident, title=title, link=link, summary=summary, content_html=content,
        published=issue.date, updated=updated,
        section_name="", section_slug="", author="", tags=(),
        order=(issue.date, issue.year, issue.number, 0), revision=revision), config)


def _digest_plan(source: IssueSource, config: Config, digests: Mapping[str, Serialised],
                 digest_of: Callable[[AnyIssue], Entry | Serialised] | None,
                 revisions: Revisions, corrections: Corrections | None = None,
                 archives: _Archives | None = None,
                 ) -> tuple[tuple[Entry | Serialised, ...], tuple[ArchivePage, ...]]:
    """The digest's entries, one per issue, newest first, within its limit, with the
    archived ones updated since (see :func:`republished`); and its archive pages
    (see :func:`split_archives`; planned by ``archives`` when there are any)."""
    if archives is not None:
        kept, paged = archives.digest(config.digest_max_items)
    else:
        kept = tuple(sorted(source.by_newest(None), key=lambda i: (i.date, i.year, i.number),
                            reverse=True)[:config.digest_max_items or None])
        paged = []

    def entry(issue: AnyIssue) -> Entry | Serialised:
        ready = digests.get(issue.path)
        if ready is not None:
            return ready
        if digest_of is not None:
            return digest_of(issue)
        assert isinstance(issue, Issue), "a summary's digest entry needs digest_of()"
        return digest_entry(issue, config, revisions)

    def page(identity: str, issues: Callable[[], tuple[AnyIssue, ...]]) -> ArchivePage:
        return ArchivePage(identity, lambda: tuple(map(entry, issues())))

    entries = tuple(map(entry, kept))
    if corrections is not None and paged and entries:
        held = {issue.path for issue in kept}
        since = entries[-1].updated
        found = {i.path: i for i in corrections.issues(since, {digest_id(config, i) for i in kept})
                 if i.path not in held}
        entries = republished(entries, [entry(i) for i in found.values()])
    return entries, tuple(page(identity, issues) for identity, issues in paged)


def republished(kept: Sequence[Entry | Serialised], archived: Iterable[Entry | Serialised]
                ) -> tuple[Entry | Serialised, ...]:
    """A subscription feed's entries with the archived entries updated after its oldest
    one's ``updated`` (RFC 5005 section 4: a changed archived entry is republished in
    the subscription document) placed by ``updated``, newest first, ahead of the
    entries published before it; the others are left out. Newer issues push them out."""
    since = kept[-1].updated
    extra = sorted((e for e in archived if e.updated > since), key=lambda e: e.updated,
                   reverse=True)
    if not extra:
        return tuple(kept)
    out: list[Entry | Serialised] = []
    at = 0
    for entry in kept:
        while at < len(extra) and extra[at].updated > entry.published:
            out.append(extra[at])
            at += 1
        out.append(entry)
    return (*out, *extra[at:])


def _digest_of(parts: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _identity(issue: AnyIssue) -> str:
    """What all an issue's entries are made from (config and code aside): a summary's
    catalog key (its file's bytes) with its path, date and url; a whole issue as parsed."""
    if isinstance(issue, IssueSummary) and issue.key:
        return _digest_of([issue.key, issue.path, str(issue.date)])
    return _digest_of([repr(issue)])


class Run(NamedTuple):
    """Consecutive entries of one issue in a newest-first feed: their articles'
    places in the issue, newest first."""

    issue: AnyIssue
    positions: Sequence[int]


def runs_identity(runs: Iterable[Run], known: dict[str, str] | None = None) -> str:
    """An archive page's identity: each run's issue (see :func:`_identity`, memoised
    in ``known`` by path), its first article's place and its length."""
    known = {} if known is None else known

    def one(run: Run) -> str:
        path = run.issue.path
        if path not in known:
            known[path] = _identity(run.issue)
        return f"{known[path]}:{run.positions[0]}:{len(run.positions)}"

    return _digest_of(map(one, runs))


def refs_runs(refs: Iterable[_Ref]) -> tuple[Run, ...]:
    """Refs (newest first) as runs of one issue each."""
    runs: list[tuple[AnyIssue, list[int]]] = []
    for ref in refs:
        if runs and runs[-1][0].path == ref.issue.path:
            runs[-1][1].append(ref.position)
        else:
            runs.append((ref.issue, [ref.position]))
    return tuple(Run(issue, tuple(at)) for issue, at in runs)


def archive_runs_reference(issues: Iterable[AnyIssue], slug: str | None, limit: int,
                           size: int) -> tuple[int, list[tuple[Run, ...]]]:
    """:func:`archive_runs` the plain way: a ref for every article, sorted, split."""
    every = _newest(issues, 0, slug)
    kept, pages = split_archives(every, limit, size)
    return (len(kept) if limit and size and len(every) > limit else limit), \
        [refs_runs(p) for p in pages]


class _Counted(NamedTuple):
    """An issue as one feed's pages are planned from: its time window, its articles
    in the feed (how many, their places in the issue, newest first)."""

    stamp: float  # its oldest entry's time
    year: int
    number: int
    last: float  # its newest entry's time (any section's)
    articles: int
    positions: Sequence[int]
    issue: AnyIssue


def counted_by_feed(issues: Iterable[AnyIssue]) -> dict[str | None, list[_Counted]]:
    """For each feed (None: every article; else a section's slug) the issues with
    articles in it, oldest first; read once for all feeds."""
    feeds: dict[str | None, list[_Counted]] = {None: []}
    for issue in issues:
        assert issue.date is not None
        places: dict[str, list[range]] = {}
        at = 0
        for section in issue.sections:
            count = _count(section)
            if count:
                places.setdefault(section.slug, []).append(range(at, at + count))
            at += count
        if not at:
            continue
        stamp = issue.date.timestamp()
        year, number, last = issue.year, issue.number, stamp + at - 1
        feeds[None].append(_Counted(stamp, year, number, last, at, range(at), issue))
        for slug, spans in places.items():
            positions = spans[0] if len(spans) == 1 else tuple(p for s in spans for p in s)
            feeds.setdefault(slug, []).append(
                _Counted(stamp, year, number, last, len(positions), positions, issue))
    for counted in feeds.values():
        counted.sort(key=lambda c: (c.stamp, c.year, c.number))
    return feeds


def archive_runs(issues: Iterable[AnyIssue], slug: str | None, limit: int, size: int,
                 counted: Sequence[_Counted] | None = None) -> tuple[int, list[tuple[Run, ...]]]:
    """How many entries the subscription feed of section ``slug`` (every article for
    None) keeps, and its archive pages as runs, oldest page first (exactly
    :func:`split_archives` of the feed's entries), from the issues' article counts
    (``counted``, else :func:`counted_by_feed` of ``issues``).

    An issue's entries are consecutive in the feed unless its time window (its
    date, one second per article) overlaps another issue's: such issues form one
    block, whose entries are ordered ref by ref; any other issue is one block.
    """
    if counted is None:
        counted = counted_by_feed(issues).get(slug, [])
    cut, pages, _ = _archive_plan(counted, slug, limit, size)
    return cut, pages


def _archive_plan(counted: Sequence[_Counted], slug: str | None, limit: int, size: int
                  ) -> tuple[int, list[tuple[Run, ...]], tuple[int, Place] | None]:
    """:func:`archive_runs` from ``counted``, and where planning resumes after its
    pages (see :func:`_open_pages`; None without pages)."""
    total = sum(c.articles for c in counted)
    if not (limit and size) or total <= limit:
        return limit, [], None
    closed = (total - limit) // size
    if closed < 2:  # archives appear once two pages close (see split_archives)
        return total, [], None
    pages, resume = _open_pages(counted, slug, size, 0, 0, closed)
    return total - closed * size, pages, resume


Place = tuple[float, int, int]
"""An issue's place in the catalog's order: its date (a POSIX time), year and number."""


def _place(issue: AnyIssue | _Counted) -> Place:
    if isinstance(issue, _Counted):
        return issue.stamp, issue.year, issue.number
    assert issue.date is not None
    return issue.date.timestamp(), issue.year, issue.number


def _open_pages(counted: Sequence[_Counted], slug: str | None, size: int, before: int,
                first: int, closed: int) -> tuple[list[tuple[Run, ...]], tuple[int, Place]]:
    """The archive pages ``first`` to ``closed - 1`` (counted from the oldest) of a feed
    whose ``before`` oldest entries come before ``counted`` (its issues from one that
    begins a block, see :func:`archive_runs`; ``before <= first * size``), as runs;
    and where planning resumes after them (see :class:`FeedMark`): the count of the
    feed's entries before, and the place of the first issue of, the block holding
    the first entry of no closed page."""
    # blocks oldest first, until they hold the closed pages' entries; windows that
    # come within a second of each other are taken as overlapping (a float's rounding)
    blocks: list[tuple[int, list[_Counted]]] = []
    held, newest = before, float("-inf")
    stop = len(counted)
    for at, one in enumerate(counted):
        overlaps = one.stamp <= newest + 1
        if held >= closed * size and not overlaps:
            stop = at
            break
        if overlaps:
            blocks[-1] = (blocks[-1][0] + one.articles, [*blocks[-1][1], one])
        else:
            blocks.append((one.articles, [one]))
        held += one.articles
        newest = max(newest, one.last)

    ordered: dict[int, list[_Ref]] = {}  # the refs of a block of overlapping issues

    def block_runs(block: int, first: int, end: int) -> list[Run]:
        """The block's entries from ``first`` to ``end`` (newest first) as runs."""
        members = blocks[block][1]
        if len(members) == 1:
            return [Run(members[0].issue, members[0].positions[first:end])]
        if block not in ordered:
            ordered[block] = sorted((r for c in members for r in _issue_refs(c.issue, slug)),
                                    reverse=True)
        return list(refs_runs(ordered[block][first:end]))

    pages: list[tuple[Run, ...]] = []
    start = before  # the block's first entry, counted from the oldest
    at = 0
    for j in range(first, closed):
        low, high = j * size, (j + 1) * size
        while start + blocks[at][0] <= low:
            start += blocks[at][0]
            at += 1
        pieces: list[list[Run]] = []
        block, block_start = at, start
        while block < len(blocks) and block_start < high:
            count = blocks[block][0]
            first_in = max(0, block_start + count - high)  # newest first, inside the block
            end = count - max(0, low - block_start)
            pieces.append(block_runs(block, first_in, end))
            block_start += count
            block += 1
        pages.append(tuple(run for piece in reversed(pieces) for run in piece))
    while at < len(blocks) and start + blocks[at][0] <= closed * size:
        start += blocks[at][0]
        at += 1
    resume = blocks[at][1][0] if at < len(blocks) else counted[stop]
    return pages, (start, _place(resume))


class FeedMark(NamedTuple):
    """Where one feed's archive planning resumes in the next build (see
    :class:`ArchiveMarks`): the identities of its closed pages, oldest first; the
    count of its entries before the block of issues that holds its first entry of
    no closed page, and the place of that block's first issue."""

    pages: tuple[str, ...]
    before: int
    first: Place


DIGEST_MARK = "/digest"  # the digest's mark: no section slug holds a slash


class ArchiveMarks(Protocol):
    """The last build's :class:`FeedMark` of each feed, so that a build resumes archive
    planning after the pages closed then rather than reading every issue again."""

    def last(self) -> tuple[Mapping[str, FeedMark], Place] | None:
        """The marks by feed (``""``: every article, a section's slug, or
        :data:`DIGEST_MARK`) and the place before which no issue was added, edited
        or removed since they were made (every issue after it is newer than every
        entry before it); None when they cannot be used."""

    def since(self, place: Place) -> Iterable[AnyIssue]:
        """Every issue at or after ``place``, in any order."""

    def keep(self, marks: Mapping[str, FeedMark]) -> None:
        """This build's marks, for the next one."""


class _Archives:
    """Each feed's archive pages: resumed from the last build's marks (see
    :class:`ArchiveMarks`) where they hold, else planned from every issue (the
    pages it resumes after are planned so too, should their entries be needed);
    and this build's marks."""

    def __init__(self, source: IssueSource, size: int, marks: ArchiveMarks | None,
                 page: Callable[[tuple[Run, ...]], ArchivePage]) -> None:
        self.source, self.size, self.page = source, size, page
        last = marks.last() if marks is not None else None
        if last is not None and any(len(m.pages) == 1 or not 0 <= m.before <= len(m.pages) * size
                                    for m in last[0].values()):
            last = None  # not marks this code makes: planned from every issue
        self.resumed = last is not None
        self.last, self.after = last if last is not None else ({}, (0.0, 0, 0))
        self.marks: dict[str, FeedMark] = {}
        self.source_marks = marks
        self._every: list[AnyIssue] | None = None
        self._counted: dict[str | None, list[_Counted]] | None = None
        self._recent: list[AnyIssue] | None = None
        self._recent_counted: dict[str | None, list[_Counted]] | None = None
        self._full: dict[str | None, list[tuple[Run, ...]]] = {}
        self._full_digest: dict[str, tuple[tuple[AnyIssue, ...], ...]] = {}

    def everything(self) -> list[AnyIssue]:
        if self._every is None:
            self._every = list(self.source.by_newest(None))
        return self._every

    def counted(self) -> dict[str | None, list[_Counted]]:
        if self._counted is None:
            self._counted = counted_by_feed(self.everything())
        return self._counted

    def recent(self) -> list[AnyIssue]:
        """The issues from the oldest place any feed resumes at."""
        if self._recent is None:
            assert self.source_marks is not None
            self._recent = list(self.source_marks.since(
                min([self.after, *(m.first for m in self.last.values())])))
        return self._recent

    def _mark(self, name: str) -> FeedMark:
        return self.last.get(name) or FeedMark((), 0, self.after)

    def feed(self, slug: str | None, limit: int) -> tuple[int, tuple[ArchivePage, ...]]:
        """What the subscription feed of ``slug`` keeps and its pages (see :func:`archive_runs`)."""
        if self.resumed:
            planned = self._resume(slug, limit)
            if planned is not None:
                return planned
        counted = self.counted().get(slug, [])
        cut, runs, resume = _archive_plan(counted, slug, limit, self.size)
        pages = tuple(map(self.page, runs))
        if resume is not None:
            self.marks[slug or ""] = FeedMark(tuple(p.identity for p in pages), *resume)
        elif counted:
            self.marks[slug or ""] = FeedMark((), 0, _place(counted[0]))
        return cut, pages

    def _resume(self, slug: str | None, limit: int) -> tuple[int, tuple[ArchivePage, ...]] | None:
        mark = self._mark(slug or "")
        if self._recent_counted is None:
            self._recent_counted = counted_by_feed(self.recent())
        counted = [c for c in self._recent_counted.get(slug, []) if _place(c) >= mark.first]
        total = mark.before + sum(c.articles for c in counted)
        done = len(mark.pages)
        closed = (total - limit) // self.size if total > limit else 0
        if closed < max(done, 2):
            if done or mark.before:
                return None  # fewer pages closed than before: planned from every issue
            if counted:
                self.marks[slug or ""] = FeedMark((), 0, _place(counted[0]))
            return (limit if total <= limit else total), ()
        runs, resume = _open_pages(counted, slug, self.size, mark.before, done, closed)
        pages = (*(self._stored(slug, limit, at, identity)
                   for at, identity in enumerate(mark.pages)), *map(self.page, runs))
        self.marks[slug or ""] = FeedMark(tuple(p.identity for p in pages), *resume)
        return total - closed * self.size, pages

    def _stored(self, slug: str | None, limit: int, at: int, identity: str) -> ArchivePage:
        """A page closed before, as its identity says; its entries, if they are ever
        needed, from the pages planned from every issue."""
        def make() -> tuple[Entry | Serialised, ...]:
            if slug not in self._full:
                self._full[slug] = archive_runs((), slug, limit, self.size,
                                                self.counted().get(slug, []))[1]
            return self.page(self._full[slug][at]).entries

        return ArchivePage(identity, make)

    def digest(self, limit: int) -> tuple[tuple[AnyIssue, ...],
                                          list[tuple[str, Callable[[], tuple[AnyIssue, ...]]]]]:
        """The digest's kept issues, newest first, and its pages (each as its identity
        and a function that gives its issues), as :func:`split_archives` of every issue."""
        if self.resumed and limit:
            planned = self._resume_digest(limit)
            if planned is not None:
                return planned
        order = self._digest_order(self.everything())
        kept, pages = split_archives(order, limit, self.size)
        if order and limit:
            before = len(pages) * self.size
            self.marks[DIGEST_MARK] = FeedMark(tuple(map(_page_identity, pages)), before,
                                               _place(order[len(order) - 1 - before]))
        return kept, [(_page_identity(p), partial(_given, p)) for p in pages]

    @staticmethod
    def _digest_order(issues: Iterable[AnyIssue]) -> list[AnyIssue]:
        return sorted(issues, key=lambda i: (i.date, i.year, i.number), reverse=True)

    def _resume_digest(self, limit: int) -> tuple[tuple[AnyIssue, ...], list[
            tuple[str, Callable[[], tuple[AnyIssue, ...]]]]] | None:
        if self.last and DIGEST_MARK not in self.last:
            return None  # the feeds had entries, so the digest had: not marks a build made
        mark = self._mark(DIGEST_MARK)
        order = self._digest_order(i for i in self.recent() if _place(i) >= mark.first)
        total = mark.before + len(order)
        done = len(mark.pages)
        closed = (total - limit) // self.size if total > limit else 0
        if closed < max(done, 2):
            if done or mark.before:
                return None
            if order:
                self.marks[DIGEST_MARK] = FeedMark((), 0, _place(order[-1]))
            return tuple(order), []
        end = len(order)  # the page j holds order[end - (j + 1) * size + before:...]
        new = [tuple(order[end - (j + 1) * self.size + mark.before:
                           end - j * self.size + mark.before]) for j in range(done, closed)]
        pages: list[tuple[str, Callable[[], tuple[AnyIssue, ...]]]] = [
            (identity, partial(self._full_digest_page, limit, at))
            for at, identity in enumerate(mark.pages)]
        pages += [(_page_identity(p), partial(_given, p)) for p in new]
        cut = total - closed * self.size
        self.marks[DIGEST_MARK] = FeedMark(tuple(i for i, _ in pages), closed * self.size,
                                           _place(order[cut - 1]))
        return tuple(order[:cut]), pages

    def _full_digest_page(self, limit: int, at: int) -> tuple[AnyIssue, ...]:
        if DIGEST_MARK not in self._full_digest:
            self._full_digest[DIGEST_MARK] = split_archives(
                self._digest_order(self.everything()), limit, self.size)[1]
        return self._full_digest[DIGEST_MARK][at]

    def save(self) -> None:
        if self.source_marks is not None:
            self.source_marks.keep(self.marks)


def _page_identity(issues: Iterable[AnyIssue]) -> str:
    """A digest archive page's identity: its issues' (see :func:`_identity`)."""
    return _digest_of(map(_identity, issues))


def _given(issues: tuple[AnyIssue, ...]) -> tuple[AnyIssue, ...]:
    return issues


REFS_ONCE = True  # False: each section's articles read issue by issue (the reference)


def plan_feeds(issues: Sequence[AnyIssue] | IssueSource, config: Config,
               prepared: Mapping[str, Sequence[Serialised]] | None = None,
               digests: Mapping[str, Serialised] | None = None,
               revisions: Revisions | None = None, *,
               entries_of: Callable[[AnyIssue], Sequence[Entry | Serialised]] | None = None,
               digest_of: Callable[[AnyIssue], Entry | Serialised] | None = None,
               corrections: Corrections | None = None,
               marks: ArchiveMarks | None = None,
               ) -> list[FeedInfo]:
    """Every feed to publish, in every format, with its entries newest first and
    within its limit; the digest too (one entry per issue, ``digest_of`` gives an
    issue's; ``revisions`` are the digest entries as last published, see
    :func:`revised`).

    ``issues`` are oldest first, whole or as summaries, or an :class:`IssueSource`
    that gives only as many as the limits need. Entries are made only for the
    issues whose articles some feed keeps, or taken from ``prepared`` (an issue's
    entries by its path, already serialised); ``entries_of`` gives those of a
    summary (by default :func:`issue_entries` of a whole issue). The same for the
    digest's entries: ``digests``, then ``digest_of``. A limited feed with
    ``archive_page_size`` reads every issue's summary: its older entries go to
    archive pages, planned from the article counts (:func:`archive_runs`), whose
    entries are made only when a page's ``entries`` are read; and those of them that
    ``corrections`` finds updated since its oldest entry are republished in it too
    (see :func:`republished`). With ``marks``, the pages closed in the last build are
    taken as its marks say, when they still hold, and only the issues after them are
    read (see :class:`ArchiveMarks`); this build's marks are kept there.
    """
    source = IssueList(issues) if isinstance(issues, Sequence) else issues
    prepared = prepared or {}
    latest = source.latest()
    name = config.title or (latest.name if latest else "") or "Newsletter"
    made: dict[str, Sequence[Entry | Serialised]] = {}

    def entry(ref: _Ref) -> Entry | Serialised:
        return entry_at(ref.issue, ref.position)

    def entry_at(issue: AnyIssue, position: int) -> Entry | Serialised:
        if issue.path not in made:
            ready: Sequence[Entry | Serialised] | None = prepared.get(issue.path)
            if ready is None and entries_of is not None:
                ready = entries_of(issue)
            if ready is None:
                assert isinstance(issue, Issue), "a summary's entries need entries_of()"
                ready = issue_entries(issue, config)
            made[issue.path] = ready
        return made[issue.path][position]

    issued = latest.date if latest is not None else None  # the newest issue's date

    identities: dict[str, str] = {}

    def page(runs: tuple[Run, ...]) -> ArchivePage:
        return ArchivePage(runs_identity(runs, identities),
                           lambda: tuple(entry_at(run.issue, at)
                                         for run in runs for at in run.positions))

    # archive pages are planned from the issues' article counts (see archive_runs),
    # without a ref per article: of every issue, or of those after the last build's marks
    archives = _Archives(source, config.archive_page_size, marks, page) \
        if config.archive_page_size else None
    feeds = []
    # with no limit on the combined feed it holds every article: each section's are
    # taken from it (its newest, as _newest gives them), not read again issue by issue
    by_slug: dict[str, list[_Ref]] | None = None
    for slug in ["", *source.slugs()]:
        limit = config.section_max_items if slug else config.max_items
        cut, pages = archives.feed(slug or None, limit) if archives is not None and limit \
            else (limit, ())
        if slug and by_slug is not None:
            kept_refs = by_slug.get(slug, [])
            kept_refs = kept_refs[:cut] if cut else kept_refs
        else:
            kept_refs = _newest(source.by_newest(slug or None), cut, slug or None)
        if not slug and not cut and REFS_ONCE:
            by_slug = {}
            for ref in kept_refs:  # newest first, as _newest orders each section's
                by_slug.setdefault(ref.slug, []).append(ref)
        kept = tuple(entry(r) for r in kept_refs)
        if corrections is not None and pages and kept:
            kept = republished(kept, map(entry, _refs_at(
                corrections.articles(slug or None, kept[-1].updated), kept_refs, slug or None)))
        title, description = name, config.description
        if slug:
            if not kept:  # the summaries name a section with articles that no entry has
                raise SourceMismatch(f"section {slug!r} has articles in the issues' "
                                     "summaries and none in their entries")
            section_name = kept[0].section_name
            title = f"{name} · {section_name}"
            description = f"{description}（{section_name}）" if description else section_name
        feeds.extend(_each_format(slug, feed_folder(slug), title, description, kept, config,
                                  issued, pages, not limit))
    if config.digest:
        digest, pages = _digest_plan(source, config, digests or {}, digest_of, revisions or {},
                                     corrections, archives)
        feeds.extend(_each_format("", DIGEST_FOLDER, f"{name} · 每期合集",
                                  f"{config.description}（每期一条）" if config.description
                                  else "每期一条", digest, config, issued, pages,
                                  not config.digest_max_items))
    if archives is not None:
        archives.save()
    return feeds


def _refs_at(places: Iterable[tuple[AnyIssue, int]], kept: Iterable[_Ref], only: str | None
             ) -> list[_Ref]:
    """The refs of the articles at ``places`` (an issue and an article's place in it)
    of the feed of section ``only``, but those ``kept`` already, each once."""
    held = {(r.issue.path, r.position) for r in kept}
    refs: dict[tuple[str, int], _Ref] = {}
    for issue, position in places:
        if (issue.path, position) not in held:
            refs.update(((r.issue.path, r.position), r)
                        for r in _issue_refs(issue, only) if r.position == position)
    return list(refs.values())


def _each_format(slug: str, folder: str, title: str, description: str,
                 kept: tuple[Entry | Serialised, ...], config: Config,
                 issued: datetime | None,
                 archives: tuple[ArchivePage, ...] = (),
                 complete: bool = False) -> list[FeedInfo]:
    """One feed in every registered format."""
    feeds = []
    for fmt in enabled(config):
        path = feed_path(slug, fmt.name, folder)
        feeds.append(FeedInfo(path=path, format=fmt.name, title=title, description=description,
                              url=config.base_url + path, slug=slug, entries=kept, folder=folder,
                              issued=issued, archives=archives, complete=complete))
    return feeds


def _keyed(entry: Entry, config: Config) -> Entry:
    """The entry with its fragment cache key (see :func:`_key`)."""
    return replace(entry, key=_key(entry, config))


def _key(entry: Entry, config: Config) -> str:
    """An entry's fragment cache key: a digest of all that its serialised bytes
    depend on (its fields, the base URL and the generator)."""
    values = [str(getattr(entry, f)) if f != "tags" else "\x1e".join(entry.tags)
              for f in _KEYED_FIELDS]
    return _sha256("\x1f".join([_key_head(config), *values]))


def _key_head(config: Config) -> str:
    """What every key starts with: the generator, the formats (the fragments' order)
    and the base URL."""
    formats = ",".join(f.name for f in enabled(config))
    return "\x1f".join([GENERATOR, formats, config.base_url])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_KEYED_FIELDS = ("id", "title", "link", "summary", "content_html", "published", "updated",
                 "section_name", "section_slug", "author", "tags")
