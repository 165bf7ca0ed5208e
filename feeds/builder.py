"""Turn parsed issues into RSS 2.0 and Atom 1.0 feeds with feedgen.

This module knows feeds and nothing of Markdown. It works around feedgen's
known traps: it sets every date itself (feedgen would stamp the clock), appends
entries in order (feedgen prepends by default), adds the channel's alternate
link last (RSS uses the last link added), restores ``rel``/``type`` on Atom
entry links (feedgen 1.0.0 drops them) and strips characters XML forbids
(feedgen raises ``ValueError`` on them).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.feed import FeedGenerator

from feeds.config import Config
from feeds.model import Article, Issue, Section
from feeds.urls import canonical_url, is_web_url
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


@dataclass(frozen=True)
class FeedInfo:
    """One published feed: where it lives and what it is."""

    path: str
    format: Format
    title: str
    description: str
    url: str
    slug: str
    entries: tuple[Entry, ...]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def updated(self) -> datetime | None:
        return max((e.published for e in self.entries), default=None)


def feed_path(slug: str, fmt: Format) -> str:
    """The permanent path of a feed inside ``output/``."""
    name = f"{fmt}.xml"
    return name if not slug else f"sections/{slug}/{name}"


def entry_id(config: Config, issue: Issue, url: str, occurrence: int) -> str:
    """A ``tag:`` URI from the issue and the article's canonical URL.

    It survives edits of title and summary and reordering; ``occurrence``
    tells apart the same URL listed twice in one issue.
    """
    digest = hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:16]
    suffix = f"-{occurrence}" if occurrence > 1 else ""
    return f"tag:{config.authority},{issue.year}:issue-{issue.year}-{issue.number}/{digest}{suffix}"


def issue_label(issue: Issue) -> str:
    return f"《{issue.name}》{issue.year} 年第 {issue.number} 期"


def _content_html(issue: Issue, section: Section, article: Article) -> str:
    label = html.escape(issue_label(issue), quote=False)
    if issue.url and is_web_url(issue.url):
        label = f'<a href="{html.escape(issue.url)}">{label}</a>'
    footer = f"{label} · {html.escape(section.name, quote=False)}"
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
    lines.append(f"<p>{footer}</p>")
    return "".join(lines)


def issue_entries(issue: Issue, config: Config) -> list[Entry]:
    """The entries of one issue, first article newest by one second each.

    Readers sort by date; spacing the timestamps keeps the issue's own order
    (section by section, article by article) in a newest-first list, while
    every entry stays on the issue's date.
    """
    assert issue.date is not None
    pairs = [(s, a) for s in issue.sections for a in s.articles]
    seen: dict[str, int] = {}
    entries = []
    for index, (section, article) in enumerate(pairs):
        url = canonical_url(article.url)
        seen[url] = seen.get(url, 0) + 1
        published = issue.date + timedelta(seconds=len(pairs) - 1 - index)
        entries.append(Entry(
            id=entry_id(config, issue, url, seen[url]),
            title=clean(article.title),
            link=url,
            summary=clean(article.summary_text),
            content_html=clean(_content_html(issue, section, article)),
            published=published,
            section_name=clean(section.name),
            section_slug=section.slug,
            author=clean(article.author),
            tags=tuple(clean(t) for t in article.tags),
            order=(published, issue.year, issue.number, -index),
        ))
    return entries


class _EntryLinkFix:
    """feedgen 1.0.0 forgets ``rel``/``type`` on Atom entry links; put them back."""

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        for link in entry.iter("{http://www.w3.org/2005/Atom}link", "link"):
            if "rel" not in link.attrib:
                link.set("rel", "alternate")
                link.set("type", "text/html")
        return entry

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        return item


def _feed_entry(entry: Entry, config: Config) -> FeedEntry:
    fe = FeedEntry()
    fe.register_extension("linkfix", _EntryLinkFix, atom=True, rss=False)
    fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    fe.id(entry.id)
    fe.title(entry.title)
    fe.link(href=entry.link, rel="alternate", type="text/html")
    fe.summary(entry.summary or entry.title)
    fe.content(entry.content_html, type="html")
    fe.published(entry.published)
    fe.updated(entry.published)
    fe.category(term=entry.section_slug, label=entry.section_name,
                scheme=config.base_url + feed_path(entry.section_slug, "atom"))
    for tag in entry.tags:
        fe.category(term=tag, label=tag)
    if entry.author:
        fe.author(name=entry.author)  # Atom only: RSS <author> must be an email address
        fe.dc.dc_creator(entry.author)
    return fe


def _feed_bytes(info: FeedInfo, config: Config, index_url: str,
                made: dict[str, FeedEntry]) -> bytes:
    fg = FeedGenerator()
    fg.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    fg.id(info.url)
    fg.title(clean(info.title))
    fg.subtitle(clean(info.description) or clean(info.title))
    fg.language(config.language)
    fg.generator(GENERATOR)
    fg.author(name=clean(config.author or info.title.split(" · ")[0]),
              **({"email": config.email} if config.email else {}))
    fg.link(href=info.url, rel="self", type=info.media_type)
    fg.link(href=index_url, rel="alternate", type="text/html")  # last: RSS <link>
    stamp = info.updated or datetime(1970, 1, 1).astimezone(config.tz)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    for entry in info.entries:
        fe = made.get(entry.id)
        if fe is None:
            fe = made[entry.id] = _feed_entry(entry, config)
        fg.add_entry(fe, order="append")
    if info.format == "atom":
        return fg.atom_str(pretty=True, encoding="UTF-8")
    return fg.rss_str(pretty=True, encoding="UTF-8")


def plan_feeds(issues: Sequence[Issue], config: Config) -> list[FeedInfo]:
    """Every feed to publish, with its entries newest first and within its limit."""
    entries = [e for issue in issues for e in issue_entries(issue, config)]
    entries.sort(key=lambda e: e.order, reverse=True)
    name = config.title or (issues[-1].name if issues else "") or "Newsletter"
    base = config.base_url
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.section_slug, []).append(entry)
    plans = [("", name, config.description, entries, config.max_items)]
    for slug in sorted(groups):
        section_entries = groups[slug]
        section_name = section_entries[0].section_name
        plans.append((slug, f"{name} · {section_name}",
                      f"{config.description}（{section_name}）" if config.description
                      else section_name, section_entries, config.section_max_items))
    feeds = []
    for slug, title, description, items, limit in plans:
        kept = tuple(items[:limit] if limit else items)
        for fmt in FORMATS:
            path = feed_path(slug, fmt)
            feeds.append(FeedInfo(path=path, format=fmt, title=title, description=description,
                                  url=base + path, slug=slug, entries=kept))
    return feeds


def render_feeds(feeds: Sequence[FeedInfo], config: Config) -> dict[str, bytes]:
    """The bytes of every feed, keyed by its path inside ``output/``."""
    made: dict[str, FeedEntry] = {}
    index_url = config.base_url + "index.html"
    return {info.path: _feed_bytes(info, config, index_url, made) for info in feeds}
