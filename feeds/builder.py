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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.config import Config
from feeds.model import Article, Issue, Section
from feeds.parallel import parallel_map
from feeds.urls import canonical_url, is_web_url
from feeds.xmltext import clean

Format = Literal["atom", "rss"]
FORMATS: tuple[Format, ...] = ("atom", "rss")
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
GENERATOR = "feeds"
PARALLEL_MIN_ENTRIES = 2000


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
        label = f'<a href="{html.escape(issue.url)}">{label}</a>'
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


_Ref = tuple[float, int, int, int, int, int, str]  # order (4), issue, index, section slug


def _issue_refs(issues: Sequence[Issue]) -> list[_Ref]:
    """Every article's place in a newest-first feed, without building its entry yet.

    The first four fields order it exactly as :attr:`Entry.order` does.
    """
    refs = []
    for number, issue in enumerate(issues):
        assert issue.date is not None
        stamp = issue.date.timestamp()
        slugs = [s.slug for s in issue.sections for _ in s.articles]
        last = len(slugs) - 1
        refs.extend((stamp + last - index, issue.year, issue.number, -index, number, index, slug)
                    for index, slug in enumerate(slugs))
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
            url = canonical_url(article.url)
            seen[url] = seen.get(url, 0) + 1
            published = issue.date + timedelta(seconds=count - 1 - index)
            fields = {
                "id": entry_id(config, issue, url, seen[url]),
                "title": clean(article.title),
                "link": url,
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


@dataclass(frozen=True)
class Prepared:
    """An issue's entries, and their serialised forms when asked for, made where it
    was parsed (a worker process) rather than later in the main one."""

    entries: tuple[Entry, ...]
    fragments: dict[str, tuple[bytes, bytes]]


def prepare_issue(issue: Issue, config: Config, fragments: bool) -> Prepared:
    """The issue's entries, and their serialised forms if ``fragments``."""
    entries = issue_entries(issue, config)
    made = {e.key: entry_fragments(e, config) for e in entries} if fragments else {}
    return Prepared(tuple(entries), made)


def _fix_entry_links(entry: etree._Element) -> etree._Element:
    """feedgen 1.0.0 forgets ``rel``/``type`` on Atom entry links; put them back."""
    for link in entry.iter("link"):
        if "rel" not in link.attrib:
            link.set("rel", "alternate")
            link.set("type", "text/html")
    return entry


class _EntryLinkFix:
    """:func:`_fix_entry_links` as a feedgen extension, for feeds feedgen writes whole."""

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        return _fix_entry_links(entry)

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        return item


def _feed_entry(entry: Entry, config: Config, link_fix: bool = True) -> FeedEntry:
    fe = FeedEntry()
    if link_fix:
        fe.register_extension("linkfix", _EntryLinkFix, atom=True, rss=False)
    if entry.author:
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


def plan_feeds(issues: Sequence[Issue], config: Config,
               prepared: Mapping[str, Prepared] | None = None) -> list[FeedInfo]:
    """Every feed to publish, with its entries newest first and within its limit.

    Entries are made only for the articles that some feed keeps, or taken from
    ``prepared`` (by issue path).
    """
    prepared = prepared or {}
    refs = _issue_refs(issues)
    refs.sort(key=lambda r: r[:4], reverse=True)
    name = config.title or (issues[-1].name if issues else "") or "Newsletter"
    groups: dict[str, list[_Ref]] = {}
    for ref in refs:
        groups.setdefault(ref[6], []).append(ref)
    everything = refs
    plans = [("", everything[:config.max_items] if config.max_items else everything)]
    for slug in sorted(groups):
        limit = config.section_max_items
        plans.append((slug, groups[slug][:limit] if limit else groups[slug]))
    made: dict[int, list[Entry]] = {}

    def entry(ref: _Ref) -> Entry:
        if ref[4] not in made:
            issue = issues[ref[4]]
            ready = prepared.get(issue.path)
            made[ref[4]] = list(ready.entries) if ready else issue_entries(issue, config)
        return made[ref[4]][ref[5]]

    feeds = []
    for slug, kept_refs in plans:
        kept = tuple(entry(r) for r in kept_refs)
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


def _feed_generator(info: FeedInfo, config: Config) -> FeedGenerator:
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
    fg.link(href=config.base_url + "index.html", rel="alternate", type="text/html")  # last: RSS
    stamp = info.updated or datetime(1970, 1, 1).astimezone(config.tz)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    return fg


def render_feed_reference(info: FeedInfo, config: Config) -> bytes:
    """The feed exactly as feedgen writes it with every entry added: slow, and the
    reference that :func:`render_feeds` must match byte for byte."""
    fg = _feed_generator(info, config)
    for entry in info.entries:
        fg.add_entry(_feed_entry(entry, config), order="append")
    if info.format == "atom":
        return fg.atom_str(pretty=True, encoding="UTF-8")
    return fg.rss_str(pretty=True, encoding="UTF-8")


_ATOM_NS = "http://www.w3.org/2005/Atom"
_RSS_NSMAP = {**DcExtension().extend_ns(), "atom": _ATOM_NS,
              "content": "http://purl.org/rss/1.0/modules/content/"}
_CLOSE = {"atom": b"</feed>\n", "rss": b"  </channel>\n</rss>\n"}


def entry_fragments(entry: Entry, config: Config) -> tuple[bytes, bytes]:
    """The entry's Atom ``<entry>`` and RSS ``<item>``, serialised once by feedgen.

    Each is serialised inside a stand-in root with the same namespaces and at
    the same depth as in the full feed, so its bytes are those the full feed
    would hold; both the combined and the section feed reuse them.
    """
    fe = _feed_entry(entry, config, link_fix=False)
    feed = etree.Element("feed", xmlns=_ATOM_NS)
    feed.append(_fix_entry_links(fe.atom_entry(extensions=False)))
    atom = etree.tostring(feed, pretty_print=True, encoding="UTF-8")
    rss = etree.Element("rss", version="2.0", nsmap=_RSS_NSMAP)
    etree.SubElement(rss, "channel").append(fe.rss_entry())
    item = etree.tostring(rss, pretty_print=True, encoding="UTF-8")
    return (atom[atom.index(b">\n") + 2:-len(_CLOSE["atom"])],
            item[item.index(b"<channel>\n") + 10:-len(_CLOSE["rss"])])


def _shell(info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
    """The feed without entries, split where the entries go."""
    fg = _feed_generator(info, config)
    data = fg.atom_str(pretty=True, encoding="UTF-8") if info.format == "atom" else \
        fg.rss_str(pretty=True, encoding="UTF-8")
    close = _CLOSE[info.format]
    assert data.endswith(close), data[-80:]
    return data[:-len(close)], close


FragmentCache = dict[str, tuple[bytes, bytes]]


def _fragment_key(fields: dict[str, object], config: Config) -> str:
    """A digest of all that an entry's serialised bytes depend on: its fields (as
    given to :class:`Entry`), the base URL and the generator."""
    values = [str(v) if not isinstance(v, tuple) else "\x1e".join(v) for v in fields.values()]
    text = "\x1f".join([GENERATOR, config.base_url, *values])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _make_fragments(jobs: list[tuple[str, Entry]], config: Config) -> FragmentCache:
    """Serialise the entries, on all cores for a large build."""
    made = parallel_map(partial(entry_fragments, config=config), [e for _, e in jobs],
                        PARALLEL_MIN_ENTRIES)
    return {key: fragments for (key, _), fragments in zip(jobs, made, strict=True)}


def render_feeds(feeds: Sequence[FeedInfo], config: Config,
                 cache: FragmentCache | None = None) -> dict[str, tuple[bytes, ...]]:
    """The bytes of every feed, as chunks to be written one after another, keyed by
    its path inside ``output/``.

    Every entry is serialised once (or taken from ``cache``, which is updated
    to hold exactly the entries of this build) and its bytes are shared, not
    copied, by all feeds that carry it.
    """
    cache = {} if cache is None else cache
    needed: dict[str, Entry] = {}
    for info in feeds:
        for entry in info.entries:
            needed[entry.key] = entry
    cache.update(_make_fragments([(k, e) for k, e in needed.items() if k not in cache], config))
    for key in set(cache) - set(needed):
        del cache[key]
    slot = {"atom": 0, "rss": 1}
    out = {}
    for info in feeds:
        head, tail = _shell(info, config)
        n = slot[info.format]
        out[info.path] = (head, *(cache[e.key][n] for e in info.entries), tail)
    return out
