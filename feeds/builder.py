"""Plan the feeds: which entries each feed carries, in which order, with which ids.

This module knows feeds and nothing of Markdown: it turns parsed issues into
:class:`Entry` records (ids, dates, titles, content) and :class:`FeedInfo`
plans; :mod:`feeds.render` writes them with feedgen.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal, Protocol

from feeds.config import Config
from feeds.model import Article, Issue, IssueSummary, Section, SectionSummary
from feeds.urls import canonical_url, is_web_url, published_url
from feeds.xmltext import clean

Format = Literal["atom", "rss"]
FORMATS: tuple[Format, ...] = ("atom", "rss")
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
GENERATOR = "feeds"


@dataclass(frozen=True)
class Entry:
    """One article as it appears in every feed that carries it."""

    id: str
    title: str
    link: str
    summary: str
    content_html: str
    published: datetime
    section_name: str
    section_slug: str
    author: str
    tags: tuple[str, ...]
    order: tuple[datetime, int, int, int]
    key: str = ""  # digest of all its serialised bytes depend on: the fragment cache's key


@dataclass(frozen=True, slots=True)
class Serialised:
    """All a feed needs of an entry whose bytes were made where its issue was
    prepared (see :func:`feeds.render.prepare_issues`): the key to those bytes,
    its date and its section's name."""

    key: str
    published: datetime
    section_name: str


@dataclass(frozen=True)
class FeedInfo:
    """One published feed: where it lives and what it is."""

    path: str
    format: Format
    title: str
    description: str
    url: str
    slug: str
    entries: tuple[Entry | Serialised, ...]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @cached_property
    def updated(self) -> datetime | None:
        return max((e.published for e in self.entries), default=None)


def feed_path(slug: str, fmt: Format) -> str:
    """The permanent path of a feed inside ``output/``."""
    name = f"{fmt}.xml"
    return name if not slug else f"sections/{slug}/{name}"


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


AnyIssue = Issue | IssueSummary
_Ref = tuple[float, int, int, int, AnyIssue, int, str]  # order (4), issue, index, section slug


class IssueSource(Protocol):
    """Where the plan reads issues from: only as many as the feeds' limits need."""

    def by_newest(self, slug: str | None) -> Iterable[AnyIssue]:
        """The issues (with a section ``slug``), newest last article first."""

    def slugs(self) -> Iterable[str]:
        """Every section slug of every issue."""

    def latest(self) -> AnyIssue | None:
        """The newest issue by date, year and number."""


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


def _count(section: Section | SectionSummary) -> int:
    return section.count if isinstance(section, SectionSummary) else len(section.articles)


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
    return [(stamp + last - index, issue.year, issue.number, -index, issue, index, slug)
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
            if sum(1 for r in taken if r[0] > bound) >= limit:
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
    for section in issue.sections:
        footer = _footer(issue, section)
        section_name = clean(section.name)
        for article in section.articles:
            url = canonical_url(article.url)  # for the id only: ids are permanent
            seen[url] = seen.get(url, 0) + 1
            published = issue.date + timedelta(seconds=count - 1 - index)
            fields = {
                "id": entry_id(config, issue, url, seen[url]),
                "title": clean(article.title),
                "link": published_url(article.url),
                "summary": clean(article.summary_text),
                "content_html": clean(_content_html(article, footer)),
                "published": published,
                "section_name": section_name,
                "section_slug": section.slug,
                "author": clean(article.author),
                "tags": tuple(clean(t) for t in article.tags),
            }
            entries.append(Entry(**fields, order=(published, issue.year, issue.number, -index),
                                 key=_fragment_key(fields, config)))
            index += 1
    return entries


def entries_context(config: Config) -> str:
    """What an issue's entries depend on besides the issue: the ids' authority and
    the base URL (in the fragment keys)."""
    return f"{GENERATOR}\0{config.authority}\0{config.base_url}\0{config.pages}"


def plan_feeds(issues: Sequence[AnyIssue] | IssueSource, config: Config,
               prepared: Mapping[str, Sequence[Serialised]] | None = None,
               entries_of: Callable[[AnyIssue], Sequence[Entry | Serialised]] | None = None,
               ) -> list[FeedInfo]:
    """Every feed to publish, with its entries newest first and within its limit.

    ``issues`` are oldest first, whole or as summaries, or an :class:`IssueSource`
    that gives only as many as the limits need. Entries are made only for the
    issues whose articles some feed keeps, or taken from ``prepared`` (an issue's
    entries by its path, already serialised); ``entries_of`` gives those of a
    summary (by default :func:`issue_entries` of a whole issue).
    """
    source = IssueList(issues) if isinstance(issues, Sequence) else issues
    prepared = prepared or {}
    latest = source.latest()
    name = config.title or (latest.name if latest else "") or "Newsletter"
    made: dict[str, Sequence[Entry | Serialised]] = {}

    def entry(ref: _Ref) -> Entry | Serialised:
        issue = ref[4]
        if issue.path not in made:
            ready = prepared.get(issue.path)
            if ready is None and entries_of is not None:
                ready = entries_of(issue)
            if ready is None:
                assert isinstance(issue, Issue), "a summary's entries need entries_of()"
                ready = issue_entries(issue, config)
            made[issue.path] = ready
        return made[issue.path][ref[5]]

    feeds = []
    for slug in ["", *source.slugs()]:
        # one feed's refs at a time: with no limit they are as many as the articles
        kept = tuple(entry(r) for r in _newest(
            source.by_newest(slug or None), config.section_max_items if slug else config.max_items,
            slug or None))
        title, description = name, config.description
        if slug:
            section_name = kept[0].section_name
            title = f"{name} · {section_name}"
            description = f"{description}（{section_name}）" if description else section_name
        for fmt in FORMATS:
            path = feed_path(slug, fmt)
            feeds.append(FeedInfo(path=path, format=fmt, title=title, description=description,
                                  url=config.base_url + path, slug=slug, entries=kept))
    return feeds


def _fragment_key(fields: dict[str, object], config: Config) -> str:
    """A digest of all that an entry's serialised bytes depend on: its fields (as
    given to :class:`Entry`), the base URL and the generator."""
    values = [str(v) if not isinstance(v, tuple) else "\x1e".join(v) for v in fields.values()]
    text = "\x1f".join([GENERATOR, config.base_url, *values])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
