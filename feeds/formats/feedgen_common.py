"""What the Atom and RSS formats share: feedgen, and the work-arounds for its traps.

Every date is set here (feedgen would stamp the clock), entries are appended in
order (feedgen prepends by default), the channel's alternate link is added last
(RSS uses the last link added), ``rel``/``type`` are restored on Atom entry
links (feedgen 1.0.0 drops them); characters XML forbids never reach it
(:mod:`feeds.builder` removed them; feedgen would raise ``ValueError``).

Text a reader may take for HTML is written as HTML that shows the text
literally: every title, subtitle and summary is the plain text HTML-escaped,
typed ``html`` in Atom (RSS ``<title>`` and ``<description>`` are HTML to
readers anyway); author names and categories are plain text in both formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.formats.base import ATOM_NS, GENERATOR, HISTORY_NS, as_html, feed_folder, home_path
from feeds.xmltext import clean

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config


def fix_entry_links(entry: etree._Element) -> etree._Element:
    """feedgen 1.0.0 forgets ``rel``/``type`` on Atom entry links; put them back. It
    cannot type a title: mark it ``html``, as it is."""
    for link in entry.iter("link"):
        if "rel" not in link.attrib:
            link.set("rel", "alternate")
            link.set("type", "text/html")
    title = entry.find("title")
    assert title is not None
    title.set("type", "html")
    return entry


class _EntryLinkFix:
    """:func:`fix_entry_links` as a feedgen extension, for feeds feedgen writes whole."""

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        return fix_entry_links(entry)


class _FeedTextTypes:
    """Marks the Atom feed's title and subtitle ``html`` (feedgen cannot type them)."""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for name in ("title", "subtitle"):
            element = feed.find(name)
            assert element is not None
            element.set("type", "html")
        return feed


def feed_entry(entry: Entry, config: Config, link_fix: bool = True) -> FeedEntry:
    """The entry as a feedgen entry, for either format."""
    fe = FeedEntry()
    if link_fix:
        fe.register_extension("linkfix", _EntryLinkFix, atom=True, rss=False)
    if entry.author:
        fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    fe.id(entry.id)
    fe.title(as_html(entry.title))
    fe.link(href=entry.link, rel="alternate", type="text/html")
    fe.summary(as_html(entry.summary or entry.title), type="html")
    fe.content(entry.content_html, type="html")
    fe.published(entry.published)
    fe.updated(entry.updated)
    if entry.section_slug:
        fe.category(term=entry.section_slug, label=entry.section_name,
                    scheme=f"{config.base_url}{feed_folder(entry.section_slug)}/atom.xml")
    for tag in entry.tags:
        fe.category(term=tag, label=tag)
    if entry.author:
        fe.author(name=entry.author)  # Atom only: RSS <author> must be an email address
        fe.dc.dc_creator(entry.author)
    return fe


_last: tuple[Sequence[Entry], Config, list[FeedEntry]] | None = None


def feed_entries(entries: Sequence[Entry], config: Config) -> list[FeedEntry]:
    """The entries as feedgen entries, made once for both formats of a batch: the
    render step asks each format in turn for the same batch."""
    global _last
    if _last is not None and _last[0] is entries and _last[1] is config:
        return _last[2]
    made = [feed_entry(e, config, link_fix=False) for e in entries]
    _last = (entries, config, made)
    return made


class _RssHubLinks:
    """WebSub ``atom:link rel="hub"`` in RSS, after the self link (feedgen's RSS writer
    keeps only ``rel="self"`` of the atom links)."""

    hubs: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = rss[0]
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        assert self_link is not None, "feedgen writes the self link first"
        at = channel.index(self_link) + 1
        for n, hub in enumerate(self.hubs):
            link = etree.Element(f"{{{ATOM_NS}}}link", href=hub, rel="hub")
            channel.insert(at + n, link)
        return rss


class _History:
    """RFC 5005's marks: ``fh:complete`` on a feed of every entry; on an archive page
    ``fh:archive`` and its ``current`` link; ``prev-archive`` to the next older page,
    and on the oldest page ``next-archive`` to the second oldest. In RSS the links
    are ``atom:link`` elements (feedgen's RSS writer keeps only ``rel="self"`` of
    the atom links)."""

    complete = False
    current = ""
    prev_archive = ""
    next_archive = ""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS}

    def _extend(self, parent: etree._Element, link_tag: str) -> None:
        if self.complete:
            etree.SubElement(parent, f"{{{HISTORY_NS}}}complete")
        if self.current:
            etree.SubElement(parent, f"{{{HISTORY_NS}}}archive")
            etree.SubElement(parent, link_tag, href=self.current, rel="current")
        if self.prev_archive:
            etree.SubElement(parent, link_tag, href=self.prev_archive, rel="prev-archive")
        if self.next_archive:
            etree.SubElement(parent, link_tag, href=self.next_archive, rel="next-archive")

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        self._extend(feed, "link")
        return feed

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        self._extend(rss[0], f"{{{ATOM_NS}}}link")
        return rss


def feed_generator(info: FeedInfo, config: Config) -> FeedGenerator:
    """The feed without entries."""
    fg = FeedGenerator()
    fg.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    fg.register_extension("texttypes", _FeedTextTypes, None, atom=True, rss=False)
    fg.id(info.current or info.url)  # an archive page is a document of the same feed
    fg.title(as_html(clean(info.title)))
    fg.subtitle(as_html(clean(info.description) or clean(info.title)))
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
    fg.link(href=config.base_url + home_path(info.slug), rel="alternate",
            type="text/html")  # last: RSS uses the last link added
    if info.complete or info.current or info.prev_archive or info.next_archive:
        fg.register_extension("history", _History, None)
        fg.history.complete = info.complete
        fg.history.current = info.current
        fg.history.prev_archive = info.prev_archive
        fg.history.next_archive = info.next_archive
    stamp = info.updated or datetime(1970, 1, 1).astimezone(config.tz)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    return fg


def reference_generator(info: FeedInfo, config: Config) -> FeedGenerator:
    """The feed with every entry added, as feedgen writes it whole."""
    from feeds.builder import Entry

    fg = feed_generator(info, config)
    for entry in info.entries:
        assert isinstance(entry, Entry), "the reference is made from whole entries"
        fg.add_entry(feed_entry(entry, config), order="append")
    return fg


def split_at(body: bytes, start: bytes, count: int) -> list[bytes]:
    """``body`` cut before each line that is exactly ``start``, in ``count`` pieces.

    Text and attributes are escaped, so such a line can only be an element's start tag.
    """
    cuts = [0] if body.startswith(start) else []
    at = body.find(b"\n" + start)
    while at != -1:
        cuts.append(at + 1)
        at = body.find(b"\n" + start, at + 1)
    if len(cuts) != count or (count and cuts[0] != 0):
        raise AssertionError("feedgen wrote entries that cannot be told apart")
    return [body[a:b] for a, b in zip(cuts, [*cuts[1:], len(body)], strict=True)]


def split_shell(data: bytes, close: bytes) -> tuple[bytes, bytes]:
    """A feed written without entries, cut where the entries go (before ``close``)."""
    assert data.endswith(close), data[-80:]
    return data[:-len(close)], close
