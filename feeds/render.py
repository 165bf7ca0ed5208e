"""Write planned feeds as bytes, with feedgen.

It works around feedgen's known traps: every date is set here (feedgen would
stamp the clock), entries are appended in order (feedgen prepends by default),
the channel's alternate link is added last (RSS uses the last link added),
``rel``/``type`` are restored on Atom entry links (feedgen 1.0.0 drops them);
characters XML forbids never reach it (:mod:`feeds.builder` removed them;
feedgen would raise ``ValueError``).

Text a reader may take for HTML is written as HTML that shows the text
literally: every title, subtitle and summary is the plain text HTML-escaped,
typed ``html`` in Atom (RSS ``<title>`` and ``<description>`` are HTML to
readers anyway); author names and categories are plain text in both formats.
In RSS, ``&`` and ``<`` are written as ``&#x26;`` and ``&#x3C;``, as the RSS
Advisory Board's profile recommends (the same XML, told apart by its checker).

Each entry is serialised once and its bytes are shared by every feed that
carries it; :func:`render_feed_reference` is feedgen writing a whole feed, the
reference those bytes must equal.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import cast

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.builder import GENERATOR, Entry, FeedInfo, Serialised, feed_path, issue_entries
from feeds.config import Config
from feeds.model import Issue
from feeds.pages import home_path
from feeds.parallel import parallel_map
from feeds.xmltext import clean

PARALLEL_MIN_ENTRIES = 2000


def _as_html(text: str) -> str:
    """Plain text as HTML that a reader shows as exactly that text."""
    return html.escape(text, quote=False)


def _rss_refs(data: bytes) -> bytes:
    """RSS bytes with ``&`` and ``<`` escaped as hexadecimal character references.

    lxml escapes them as ``&amp;`` and ``&lt;`` in text and attributes alike and
    writes no CDATA or comment, so this changes no character of the document.
    """
    return data.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


def _fix_entry_links(entry: etree._Element) -> etree._Element:
    """feedgen 1.0.0 forgets ``rel``/``type`` on Atom entry links; put them back. It
    cannot type a title: mark it ``html``, as it is."""
    for link in entry.iter("link"):
        if "rel" not in link.attrib:
            link.set("rel", "alternate")
            link.set("type", "text/html")
    entry.find("title").set("type", "html")  # type: ignore[union-attr]
    return entry


class _EntryLinkFix:
    """:func:`_fix_entry_links` as a feedgen extension, for feeds feedgen writes whole."""

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        return _fix_entry_links(entry)


class _FeedTextTypes:
    """Marks the Atom feed's title and subtitle ``html`` (feedgen cannot type them)."""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed):  # type: ignore[no-untyped-def]
        for name in ("title", "subtitle"):
            feed.find(name).set("type", "html")
        return feed


def _feed_entry(entry: Entry, config: Config, link_fix: bool = True) -> FeedEntry:
    fe = FeedEntry()
    if link_fix:
        fe.register_extension("linkfix", _EntryLinkFix, atom=True, rss=False)
    if entry.author:
        fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    fe.id(entry.id)
    fe.title(_as_html(entry.title))
    fe.link(href=entry.link, rel="alternate", type="text/html")
    fe.summary(_as_html(entry.summary or entry.title), type="html")
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


class _RssHubLinks:
    """WebSub ``atom:link rel="hub"`` in RSS, after the self link (feedgen's RSS writer
    keeps only ``rel="self"`` of the atom links)."""

    hubs: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = rss[0]
        at = channel.index(channel.find(f"{{{_ATOM_NS}}}link")) + 1
        for n, hub in enumerate(self.hubs):
            link = etree.Element(f"{{{_ATOM_NS}}}link", href=hub, rel="hub")
            channel.insert(at + n, link)
        return rss


def _feed_generator(info: FeedInfo, config: Config) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    fg.register_extension("texttypes", _FeedTextTypes, None, atom=True, rss=False)
    fg.id(info.url)
    fg.title(_as_html(clean(info.title)))
    fg.subtitle(_as_html(clean(info.description) or clean(info.title)))
    fg.language(config.language)
    fg.generator(GENERATOR)
    fg.author(name=clean(config.author or info.title.split(" · ")[0]),
              **({"email": config.email} if config.email else {}))
    fg.link(href=info.url, rel="self", type=info.media_type)
    for hub in config.websub_hubs:
        fg.link(href=hub, rel="hub")
    if config.websub_hubs:
        fg.register_extension("websub", _RssHubLinks, None, atom=False, rss=True)
        fg.websub.hubs = config.websub_hubs
    fg.link(href=config.base_url + home_path(info.slug), rel="alternate", type="text/html")  # last: RSS
    stamp = info.updated or datetime(1970, 1, 1).astimezone(config.tz)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    return fg


def render_feed_reference(info: FeedInfo, config: Config) -> bytes:
    """The feed exactly as feedgen writes it with every entry added: slow, and the
    reference that :func:`render_feeds` must match byte for byte."""
    fg = _feed_generator(info, config)
    for entry in info.entries:
        assert isinstance(entry, Entry), "the reference is made from whole entries"
        fg.add_entry(_feed_entry(entry, config), order="append")
    if info.format == "atom":
        return fg.atom_str(pretty=True, encoding="UTF-8")
    return _rss_refs(fg.rss_str(pretty=True, encoding="UTF-8"))


_ATOM_NS = "http://www.w3.org/2005/Atom"
_RSS_NSMAP = {**DcExtension().extend_ns(), "atom": _ATOM_NS,
              "content": "http://purl.org/rss/1.0/modules/content/"}
_CLOSE = {"atom": b"</feed>\n", "rss": b"  </channel>\n</rss>\n"}


def _split_at(body: bytes, start: bytes, count: int) -> list[bytes] | None:
    """``body`` cut before each line that is exactly ``start``; None unless ``count`` pieces.

    Text and attributes are escaped, so such a line can only be an element's start tag.
    """
    cuts = [0] if body.startswith(start) else []
    at = body.find(b"\n" + start)
    while at != -1:
        cuts.append(at + 1)
        at = body.find(b"\n" + start, at + 1)
    if len(cuts) != count or (count and cuts[0] != 0):
        return None
    return [body[a:b] for a, b in zip(cuts, [*cuts[1:], len(body)], strict=True)]


def entry_fragments(entries: Sequence[Entry], config: Config) -> list[tuple[bytes, bytes]]:
    """Each entry's Atom ``<entry>`` and RSS ``<item>``, serialised by feedgen.

    The entries are serialised together inside stand-in roots with the same
    namespaces and at the same depth as in a full feed, so each one's bytes are
    those the full feed would hold; both the combined and the section feed reuse
    them. Serialising them together, then cutting, saves a fifth of the time.
    """
    feed = etree.Element("feed", xmlns=_ATOM_NS)
    rss = etree.Element("rss", version="2.0", nsmap=_RSS_NSMAP)
    channel = etree.SubElement(rss, "channel")
    for entry in entries:
        fe = _feed_entry(entry, config, link_fix=False)
        feed.append(_fix_entry_links(fe.atom_entry(extensions=False)))
        channel.append(fe.rss_entry())
    atom = etree.tostring(feed, pretty_print=True, encoding="UTF-8")
    items = _rss_refs(etree.tostring(rss, pretty_print=True, encoding="UTF-8"))
    atoms = _split_at(atom[atom.index(b">\n") + 2:-len(_CLOSE["atom"])], b"  <entry>\n",
                      len(entries)) if entries else []
    rsss = _split_at(items[items.index(b"<channel>\n") + 10:-len(_CLOSE["rss"])],
                     b"    <item>\n", len(entries)) if entries else []
    if atoms is None or rsss is None:
        raise AssertionError("feedgen wrote entries that cannot be told apart")
    return list(zip(atoms, rsss, strict=True))


def _shell(info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
    """The feed without entries, split where the entries go."""
    fg = _feed_generator(info, config)
    data = fg.atom_str(pretty=True, encoding="UTF-8") if info.format == "atom" else \
        _rss_refs(fg.rss_str(pretty=True, encoding="UTF-8"))
    close = _CLOSE[info.format]
    assert data.endswith(close), data[-80:]
    return data[:-len(close)], close


FragmentCache = dict[str, tuple[bytes, bytes]]


_BATCH = 32


def make_fragments(jobs: list[tuple[str, Entry]], config: Config) -> FragmentCache:
    """Serialise the entries, in batches, on all cores for a large build."""
    entries = [e for _, e in jobs]
    batches = [entries[at:at + _BATCH] for at in range(0, len(entries), _BATCH)]
    made = parallel_map(partial(entry_fragments, config=config), batches,
                        PARALLEL_MIN_ENTRIES // _BATCH)
    return {key: fragments for (key, _), fragments in
            zip(jobs, (f for batch in made for f in batch), strict=True)}


def render_feeds(feeds: Sequence[FeedInfo], config: Config,
                 cache: FragmentCache | None = None) -> dict[str, tuple[bytes, ...]]:
    """The bytes of every feed, as chunks to be written one after another, keyed by
    its path inside ``output/``.

    Every entry is serialised once (or taken from ``cache``, which is updated
    to hold exactly the entries of this build) and its bytes are shared, not
    copied, by all feeds that carry it.
    """
    cache = {} if cache is None else cache
    needed: dict[str, Entry | Serialised] = {}
    for info in feeds:
        for entry in info.entries:
            needed[entry.key] = entry
    missing = [(k, e) for k, e in needed.items() if k not in cache]
    lost = [k for k, e in missing if not isinstance(e, Entry)]
    if lost:
        raise KeyError(f"{len(lost)} entries were serialised but their bytes are not in the cache")
    cache.update(make_fragments(cast("list[tuple[str, Entry]]", missing), config))
    for key in set(cache) - set(needed):
        del cache[key]
    slot = {"atom": 0, "rss": 1}
    out = {}
    for info in feeds:
        head, tail = _shell(info, config)
        n = slot[info.format]
        out[info.path] = (head, *(cache[e.key][n] for e in info.entries), tail)
    return out


Fetch = Callable[[Sequence[str], str], Iterator[bytes]]


def render_stream(feeds: Sequence[FeedInfo], config: Config,
                  fetch: Fetch) -> dict[str, Callable[[], Iterator[bytes]]]:
    """Each feed as a function that makes its bytes while they are written:
    :func:`render_feeds` without holding any entry in memory. ``fetch(keys,
    format)`` gives the serialised entries of the keys, in order."""

    def chunks(info: FeedInfo) -> Iterator[bytes]:
        head, tail = _shell(info, config)
        yield head
        yield from fetch([e.key for e in info.entries], info.format)
        yield tail

    return {info.path: partial(chunks, info) for info in feeds}


PARALLEL_MIN_ISSUES = 64


@dataclass(frozen=True)
class Prepared:
    """An issue's entries serialised, made on all cores for a build that publishes
    every entry; only what planning needs of each entry travels back with them."""

    entries: tuple[Serialised, ...]
    fragments: dict[str, tuple[bytes, bytes]]


def prepare_issue(issue: Issue, config: Config) -> Prepared:
    """The issue's entries, each serialised as in :func:`entry_fragments`."""
    entries = issue_entries(issue, config)
    made = entry_fragments(entries, config)
    return Prepared(tuple(Serialised(e.key, e.published, e.section_name) for e in entries),
                    {e.key: f for e, f in zip(entries, made, strict=True)})


def prepare_issues(issues: Sequence[Issue], config: Config) -> dict[str, Prepared]:
    """:func:`prepare_issue` for each issue, by its path; on all cores when there are many."""
    made = parallel_map(partial(prepare_issue, config=config), issues, PARALLEL_MIN_ISSUES)
    return {issue.path: ready for issue, ready in zip(issues, made, strict=True)}

