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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import NamedTuple, TypeVar

from feeds.config import Config
from feeds.formats import BY_NAME, GENERATOR, enabled, feed_folder
from feeds.model import Article, Issue, Section
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


@dataclass(frozen=True)
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
    Without a limit or without pages, there are no archives.
    """
    entries = tuple(newest_first)
    if not limit:
        return entries, ()
    if not page or len(entries) <= limit:
        return entries[:limit], ()
    closed = (len(entries) - limit) // page
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


def issue_label(issue: Issue) -> str:
    return f"《{issue.name}》{issue.year} 年第 {issue.number} 期"


def _footer(issue: Issue, section: Section) -> str:
    """The content's last line: which issue and section the article comes from."""
    label = html.escape(issue_label(issue), quote=False)
    if issue.url and is_web_url(issue.url):
        label = f'<a href="{html.escape(published_url(issue.url))}">{label}</a>'
    return f"<p>{label} · {html.escape(section.name, quote=False)}</p>"


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


class _Ref(NamedTuple):
    """An article's place in a newest-first feed, before its entry is made."""

    order: tuple[float, int, int, int]  # sorts exactly as :attr:`Entry.order` does
    issue: int  # the issue's place in the list of issues
    position: int  # the article's place in its issue
    slug: str  # its section's slug


def _issue_refs(issues: Sequence[Issue]) -> list[_Ref]:
    """Every article's place in a newest-first feed, without building its entry yet."""
    refs: list[_Ref] = []
    for number, issue in enumerate(issues):
        assert issue.date is not None
        stamp = issue.date.timestamp()
        slugs = [s.slug for s in issue.sections for _ in s.articles]
        last = len(slugs) - 1
        refs.extend(_Ref((stamp + last - index, issue.year, issue.number, -index), number, index,
                         slug) for index, slug in enumerate(slugs))
    return refs


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
    for section in issue.sections:
        footer = _footer(issue, section)
        section_name = clean(section.name)
        for article in section.articles:
            url = canonical_url(article.url)  # for the id only: ids are permanent
            seen[url] = seen.get(url, 0) + 1
            published = issue.date + timedelta(seconds=count - 1 - index)
            entries.append(_keyed(Entry(
                id=entry_id(config, issue, url, seen[url]),
                title=clean(article.title),
                link=published_url(article.url),
                summary=clean(article.summary_text),
                content_html=clean(_content_html(article, footer)),
                published=published,
                updated=published,
                section_name=section_name,
                section_slug=section.slug,
                author=clean(article.author),
                tags=tuple(clean(t) for t in article.tags),
                order=(published, issue.year, issue.number, -index)), config))
            index += 1
    return entries


Revisions = Mapping[str, tuple[str, datetime]]
"""A digest entry's id → its content digest and ``updated`` when last published."""


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


def digest_id(config: Config, issue: Issue) -> str:
    """The digest entry's ``tag:`` URI: per issue, never an article's (those go on
    with ``/`` and a digest of the article's URL)."""
    return f"tag:{config.authority},{issue.year}:issue-{issue.year}-{issue.number}"


def revised(entry_id: str, revision: str, published: datetime, revisions: Revisions,
            now: datetime | None = None) -> datetime:
    """A digest entry's ``updated``: its issue's date when first published; the same
    as last time while its content is unchanged; when the content changes, the
    time the build first saw the change (never before the last value)."""
    last = revisions.get(entry_id)
    if last is None:
        return published
    if last[0] == revision:
        return max(published, last[1])
    now = (now or datetime.now(UTC)).replace(microsecond=0).astimezone(published.tzinfo)
    return max(published, last[1] + timedelta(seconds=1), now)


def digest_entry(issue: Issue, config: Config, revisions: Revisions | None = None) -> Entry:
    """The digest's entry for one issue: the whole issue as one entry."""
    assert issue.date is not None
    link = published_url(issue.url) if issue.url and is_web_url(issue.url) \
        else config.base_url + "index.html"
    title = clean(issue_label(issue))
    content = clean(_issue_html(issue))
    titles = [clean(a.title) for a in issue.articles]
    summary = f"本期 {len(titles)} 篇：" + "；".join(titles) if titles else title
    revision = hashlib.sha256("\x1f".join((title, link, summary, content)).encode(
        "utf-8", "surrogatepass")).hexdigest()
    ident = digest_id(config, issue)
    return _keyed(Entry(
        id=ident, title=title, link=link, summary=summary, content_html=content,
        published=issue.date, updated=revised(ident, revision, issue.date, revisions or {}),
        section_name="", section_slug="", author="", tags=(),
        order=(issue.date, issue.year, issue.number, 0), revision=revision), config)


def _digest_plan(issues: Sequence[Issue], config: Config, prepared: Mapping[str, Serialised],
                 revisions: Revisions, identity: Callable[[Issue], str]
                 ) -> tuple[tuple[Entry | Serialised, ...], tuple[ArchivePage, ...]]:
    """The digest's entries, one per issue, newest first, within its limit; and its
    archive pages (see :func:`split_archives`)."""
    order = sorted(issues, key=lambda i: (i.date, i.year, i.number), reverse=True)
    kept, pages = split_archives(order, config.digest_max_items, config.archive_page_size)

    def entry(issue: Issue) -> Entry | Serialised:
        return prepared.get(issue.path) or digest_entry(issue, config, revisions)

    def page(issues: tuple[Issue, ...]) -> ArchivePage:
        return ArchivePage(_digest_of(identity(i) for i in issues),
                           lambda: tuple(map(entry, issues)))

    return tuple(map(entry, kept)), tuple(map(page, pages))


def _digest_of(parts: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def plan_feeds(issues: Sequence[Issue], config: Config,
               prepared: Mapping[str, Sequence[Serialised]] | None = None,
               digests: Mapping[str, Serialised] | None = None,
               revisions: Revisions | None = None,
               sources: Mapping[str, str] | None = None) -> list[FeedInfo]:
    """Every feed to publish, in every format, with its entries newest first and
    within its limit.

    Entries are made only for the articles that some feed keeps, or taken from
    ``prepared`` (an issue's entries by its path, already serialised); the same
    for the digest's entries and ``digests``. ``revisions`` are the digest
    entries as last published (see :func:`revised`). ``sources`` (an issue's
    path → a digest of its file's bytes) names archive pages' issues cheaply.
    """
    prepared = prepared or {}
    refs = _issue_refs(issues)
    refs.sort(key=lambda r: r.order, reverse=True)
    name = config.title or (issues[-1].name if issues else "") or "Newsletter"
    groups: dict[str, list[_Ref]] = {}
    for ref in refs:
        groups.setdefault(ref.slug, []).append(ref)
    plans = [("", refs, config.max_items)]
    plans.extend((slug, groups[slug], config.section_max_items) for slug in sorted(groups))
    made: dict[int, Sequence[Entry | Serialised]] = {}

    def entry(ref: _Ref) -> Entry | Serialised:
        if ref.issue not in made:
            issue = issues[ref.issue]
            ready = prepared.get(issue.path)
            made[ref.issue] = ready if ready is not None else issue_entries(issue, config)
        return made[ref.issue][ref.position]

    issued = max((i.date for i in issues if i.date is not None), default=None)
    identities: dict[int, str] = {}

    def identity(at: int) -> str:
        if at not in identities:  # all an issue's entries are made from (config and code aside):
            issue = issues[at]    # its bytes and name, and what is not in them, date and url
            known = (sources or {}).get(issue.path)
            identities[at] = _digest_of([known, issue.path, str(issue.date), issue.url] if known
                                        else [repr(issue)])
        return identities[at]

    def page(refs: tuple[_Ref, ...]) -> ArchivePage:
        return ArchivePage(_digest_of(f"{identity(r.issue)}:{r.position}" for r in refs),
                           lambda: tuple(entry(r) for r in refs))

    feeds = []
    for slug, all_refs, limit in plans:
        kept_refs, page_refs = split_archives(all_refs, limit, config.archive_page_size)
        kept = tuple(entry(r) for r in kept_refs)
        pages = tuple(map(page, page_refs))
        title, description = name, config.description
        if slug:
            section_name = kept[0].section_name
            title = f"{name} · {section_name}"
            description = f"{description}（{section_name}）" if description else section_name
        feeds.extend(_each_format(slug, feed_folder(slug), title, description, kept, config,
                                  issued, pages, not limit))
    if not config.digest:
        return feeds
    at = {id(issue): n for n, issue in enumerate(issues)}
    digest, pages = _digest_plan(issues, config, digests or {}, revisions or {},
                                 lambda issue: identity(at[id(issue)]))
    feeds.extend(_each_format("", DIGEST_FOLDER, f"{name} · 每期合集",
                              f"{config.description}（每期一条）" if config.description
                              else "每期一条", digest, config, issued, pages,
                              not config.digest_max_items))
    return feeds


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
    """The entry with its fragment cache key: a digest of all that its serialised
    bytes depend on (its fields, the base URL and the generator)."""
    values = [str(getattr(entry, f)) if f != "tags" else "\x1e".join(entry.tags)
              for f in _KEYED_FIELDS]
    formats = ",".join(f.name for f in enabled(config))  # the fragments' order
    text = "\x1f".join([GENERATOR, formats, config.base_url, *values])
    return replace(entry, key=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


_KEYED_FIELDS = ("id", "title", "link", "summary", "content_html", "published", "updated",
                 "section_name", "section_slug", "author", "tags")
