"""Atom entries and RSS items, and the feeds around them, written directly as text:
the speed trick, in one place.

The writers give the bytes that feedgen and lxml write for an entry (the plain
reference: :meth:`feeds.formats.atom.Atom.feedgen_entries` and
:meth:`feeds.formats.rss.Rss.feedgen_entries`) for under a third of the CPU. They
follow libxml2's escaping (text: ``& < >`` and CR; attributes: ``& < > "`` and
TAB, LF, CR as character references; everything else as UTF-8) and feedgen's
order of elements and attributes. An entry they do not know to write exactly
(an empty required field, a naive date, a character that XML or
:func:`feeds.xmltext.clean` refuses) is not :func:`_plain`, and :func:`written`
takes it from the reference instead; ``tests/test_direct.py`` compares both on
hostile entries. :func:`shell` writes a feed without its entries as
:func:`feeds.formats.feedgen_common.feed_generator` has feedgen write it, so that a
build imports feedgen (and dateutil) only for what it declines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.formats.base import ATOM_NS, GENERATOR, HISTORY_NS, as_html, feed_folder, home_path
from feeds.xmltext import FORBIDDEN, clean

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config

Reference = Callable[[Sequence["Entry"], "Config"], list[bytes]]


def written(entries: Sequence[Entry], config: Config, fmt: str,
            reference: Reference) -> list[bytes]:
    """Each entry's bytes in the format ``fmt`` (``atom`` or ``rss``), written directly,
    or by ``reference`` for those that are not :func:`_plain`."""
    write = _WRITERS[fmt]
    plain = _plain_each(entries, config)
    made = [write(e, config) if ok else None for e, ok in zip(entries, plain, strict=True)]
    declined = [n for n, m in enumerate(made) if m is None]
    taken = dict(zip(declined, reference([entries[n] for n in declined], config), strict=True)) \
        if declined else {}
    return [m if m is not None else taken[n] for n, m in enumerate(made)]


_last: tuple[list[Entry], Config, list[bool]] | None = None


def _plain_each(entries: Sequence[Entry], config: Config) -> list[bool]:
    """:func:`_plain` of each entry, found once for the formats of a batch: the render
    step asks each format in turn for the same entries."""
    global _last
    if (_last is not None and _last[1] is config and len(_last[0]) == len(entries)
            and all(a is b for a, b in zip(_last[0], entries, strict=True))):
        return _last[2]
    made = [_plain(e, config) for e in entries]
    _last = (list(entries), config, made)
    return made


def _escapers(amp: str, lt: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """Element text and an attribute value (in double quotes) as libxml2 escapes
    them, with ``&`` and ``<`` written as ``amp`` and ``lt``."""

    def text(s: str) -> str:
        s = s.replace("&", amp).replace("<", lt).replace(">", "&gt;")
        return s.replace("\r", "&#13;") if "\r" in s else s

    def attr(s: str) -> str:
        s = s.replace("&", amp).replace("<", lt).replace(">", "&gt;").replace('"', "&quot;")
        if "\n" in s or "\r" in s or "\t" in s:
            s = s.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
        return s

    return text, attr


def _html_escaper(amp: str) -> Callable[[str], str]:
    """Plain text as HTML (:func:`feeds.formats.base.as_html`) as element text escapes
    it (:func:`_escapers`, ``&`` written as ``amp``), in one pass: a title or summary
    is written this way in every entry."""
    amp_amp, amp_lt, amp_gt = f"{amp}amp;", f"{amp}lt;", f"{amp}gt;"

    def html_text(s: str) -> str:
        s = s.replace("&", amp_amp).replace("<", amp_lt).replace(">", amp_gt)
        return s.replace("\r", "&#13;") if "\r" in s else s

    return html_text


_text, _attr = _escapers("&amp;", "&lt;")
_html_text = _html_escaper("&amp;")
# RSS writes ``&`` and ``<`` as character references: see :mod:`feeds.formats.rss`
_rss_text, _rss_attr = _escapers("&#x26;", "&#x3C;")
_rss_html_text = _html_escaper("&#x26;")


def _plain(entry: Entry, config: Config) -> bool:
    """Whether the writers know the entry: every field feedgen requires is set (an
    empty one would be left out or written otherwise), dates carry a zone, every tag
    and a section's name are set, and no text holds a character that XML or
    :func:`feeds.xmltext.clean` refuses (lxml refuses some: the reference says how)."""
    if not (entry.id and entry.title and entry.link and entry.content_html
            and entry.published.tzinfo is not None and entry.updated.tzinfo is not None
            and (entry.section_name or not entry.section_slug) and all(entry.tags)):
        return False
    text = " ".join((entry.id, entry.title, entry.link, entry.summary, entry.content_html,
                     entry.section_name, entry.section_slug, entry.author, *entry.tags,
                     config.base_url))
    return FORBIDDEN.search(text) is None


def _scheme(entry: Entry, config: Config) -> str:
    return f"{config.base_url}{feed_folder(entry.section_slug)}/atom.xml"


def atom_entry(entry: Entry, config: Config) -> bytes | None:
    """The entry as a whole Atom feed holds it, or None if it is not :func:`_plain`."""
    return _atom(entry, config) if _plain(entry, config) else None


def _atom(entry: Entry, config: Config) -> bytes:
    updated = entry.updated.isoformat()
    published = updated if entry.published is entry.updated else entry.published.isoformat()
    parts = ["  <entry>\n    <id>", _text(entry.id),
             '</id>\n    <title type="html">', _html_text(entry.title),
             "</title>\n    <updated>", updated, "</updated>\n"]
    if entry.author:
        parts += ("    <author>\n      <name>", _text(entry.author), "</name>\n    </author>\n")
    parts += ('    <content type="html">', _text(entry.content_html),
              '</content>\n    <link href="', _attr(entry.link),
              '" rel="alternate" type="text/html"/>\n    <summary type="html">',
              _html_text(entry.summary or entry.title), "</summary>\n")
    if entry.section_slug:
        parts += ('    <category term="', _attr(entry.section_slug), '" scheme="',
                  _attr(_scheme(entry, config)), '" label="', _attr(entry.section_name), '"/>\n')
    for tag in entry.tags:
        quoted = _attr(tag)
        parts += ('    <category term="', quoted, '" label="', quoted, '"/>\n')
    parts += ("    <published>", published, "</published>\n  </entry>\n")
    return "".join(parts).encode("utf-8")


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


_ZONES: dict[timedelta | None, str] = {}


def _rfc2822(stamp: datetime) -> str:
    """``feedgen.util.formatRFC2822``: strftime in the C locale, without switching the
    process's locale, and the zone's ``%z`` made once per offset."""
    if stamp.year < 1000:  # strftime's ``%Y`` differs between C libraries here
        return (f"{_DAYS[stamp.weekday()]}, {stamp.strftime('%d')} {_MONTHS[stamp.month - 1]} "
                f"{stamp.strftime('%Y %H:%M:%S %z')}")
    offset = stamp.utcoffset()
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES.setdefault(offset, stamp.strftime("%z"))
    return (f"{_DAYS[stamp.weekday()]}, {stamp.day:02d} {_MONTHS[stamp.month - 1]} {stamp.year} "
            f"{stamp.hour:02d}:{stamp.minute:02d}:{stamp.second:02d} {zone}")


def rss_item(entry: Entry, config: Config) -> bytes | None:
    """The entry as a whole RSS feed holds it, or None if it is not :func:`_plain`."""
    return _rss(entry, config) if _plain(entry, config) else None


def _rss(entry: Entry, config: Config) -> bytes:
    parts = ["    <item>\n      <title>", _rss_html_text(entry.title),
             "</title>\n      <link>", _rss_text(entry.link),
             "</link>\n      <description>", _rss_html_text(entry.summary or entry.title),
             "</description>\n      <content:encoded>", _rss_text(entry.content_html),
             '</content:encoded>\n      <guid isPermaLink="false">', _rss_text(entry.id),
             "</guid>\n"]
    if entry.section_slug:
        parts += ('      <category domain="', _rss_attr(_scheme(entry, config)), '">',
                  _rss_text(entry.section_name), "</category>\n")
    for tag in entry.tags:
        parts += ("      <category>", _rss_text(tag), "</category>\n")
    parts += ("      <pubDate>", _rfc2822(entry.published), "</pubDate>\n")
    if entry.author:
        parts += ("      <dc:creator>", _rss_text(entry.author), "</dc:creator>\n")
    parts.append("    </item>\n")
    return "".join(parts).encode("utf-8")


_WRITERS: dict[str, Callable[[Entry, Config], bytes]] = {"atom": _atom, "rss": _rss}


_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_ATOM_CLOSE = b"</feed>\n"
_RSS_CLOSE = b"  </channel>\n</rss>\n"
_RSS_NAMESPACES = (("dc", "http://purl.org/dc/elements/1.1/"), ("fh", HISTORY_NS), ("atom", ATOM_NS),
                   ("content", "http://purl.org/rss/1.0/modules/content/"))


def shell(fmt: str, info: FeedInfo, config: Config) -> tuple[bytes, bytes] | None:
    """The feed in the format ``fmt`` (``atom`` or ``rss``) without entries, cut where
    they go, as feedgen writes :func:`feeds.formats.feedgen_common.feed_generator`;
    None when a field feedgen requires is empty, its date naive or a text holds what
    XML refuses (the reference then writes it, or says what is wrong)."""
    title = as_html(clean(info.title))
    subtitle = as_html(clean(info.description) or clean(info.title))
    author = clean(config.author or info.title.split(" · ")[0])
    stamp = info.updated or datetime(1970, 1, 1).astimezone(config.tz)
    links = (info.url, info.current, info.prev_archive, info.next_archive, *config.websub_hubs)
    if not (title and subtitle and author and info.url and config.language
            and stamp.tzinfo is not None) or FORBIDDEN.search(
                " ".join((author, config.email, config.language, config.base_url, info.slug,
                          *links))):
        return None
    history = bool(info.complete or info.current or info.prev_archive or info.next_archive)
    home = config.base_url + home_path(info.slug)
    if fmt == "atom":
        return _atom_shell(info, config, title, subtitle, author, stamp, home, history)
    return _rss_shell(info, config, title, subtitle, stamp, home, history)


def _history(info: FeedInfo, link: str, attr: Callable[[str], str]) -> list[str]:
    """RFC 5005's marks (:class:`feeds.formats.feedgen_common._History`), one element
    each, ``link`` the links' tag."""
    parts = []
    if info.complete:
        parts.append("<fh:complete/>")
    if info.current:
        parts += ("<fh:archive/>", f'<{link} href="{attr(info.current)}" rel="current"/>')
    if info.prev_archive:
        parts.append(f'<{link} href="{attr(info.prev_archive)}" rel="prev-archive"/>')
    if info.next_archive:
        parts.append(f'<{link} href="{attr(info.next_archive)}" rel="next-archive"/>')
    return parts


def _atom_shell(info: FeedInfo, config: Config, title: str, subtitle: str, author: str,
                stamp: datetime, home: str, history: bool) -> tuple[bytes, bytes]:
    parts = [_DECLARATION, "<feed ", f'xmlns:fh="{HISTORY_NS}" ' if history else "",
             f'xmlns="{ATOM_NS}" xml:lang="', _attr(config.language), '">\n  <id>',
             _text(info.current or info.url), '</id>\n  <title type="html">', _text(title),
             "</title>\n  <updated>", stamp.isoformat(), "</updated>\n  <author>\n    <name>",
             _text(author), "</name>\n"]
    if config.email:
        parts += ("    <email>", _text(config.email), "</email>\n")
    parts += ('  </author>\n  <link href="', _attr(info.url), '" rel="self" type="',
              _attr(info.media_type), '"/>\n')
    for hub in config.websub_hubs:
        parts += ('  <link href="', _attr(hub), '" rel="hub"/>\n')
    parts += ('  <link href="', _attr(home), '" rel="alternate" type="text/html"/>\n  <generator>',
              _text(GENERATOR), '</generator>\n  <subtitle type="html">', _text(subtitle),
              "</subtitle>\n")
    parts += (f"  {mark}\n" for mark in _history(info, "link", _attr))
    return "".join(parts).encode("utf-8"), _ATOM_CLOSE


def _rss_shell(info: FeedInfo, config: Config, title: str, subtitle: str, stamp: datetime,
               home: str, history: bool) -> tuple[bytes, bytes]:
    spaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in _RSS_NAMESPACES
                      if history or prefix != "fh")
    parts = [_DECLARATION, "<rss ", spaces, ' version="2.0">\n  <channel>\n    <title>',
             _rss_text(title), "</title>\n    <link>", _rss_text(home),
             "</link>\n    <description>", _rss_text(subtitle),
             '</description>\n    <atom:link href="', _rss_attr(info.url), '" rel="self" type="',
             _rss_attr(info.media_type), '"/>\n']
    for hub in config.websub_hubs:
        parts += ('    <atom:link href="', _rss_attr(hub), '" rel="hub"/>\n')
    parts += ("    <docs>http://www.rssboard.org/rss-specification</docs>\n    <generator>",
              _rss_text(GENERATOR), "</generator>\n    <language>", _rss_text(config.language),
              "</language>\n    <lastBuildDate>", _rfc2822(stamp), "</lastBuildDate>\n")
    parts += (f"    {mark}\n" for mark in _history(info, "atom:link", _rss_attr))
    return "".join(parts).encode("utf-8"), _RSS_CLOSE
