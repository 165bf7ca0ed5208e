"""RSS 2.0, written by feedgen; its items and its shell as text (:mod:`feeds.formats.direct`).

``&`` and ``<`` are written as ``&#x26;`` and ``&#x3C;``, as the RSS Advisory
Board's profile recommends (the same XML, told apart by its checker). feedgen and
lxml are imported when the reference is asked for, as in :mod:`feeds.formats.atom`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from feeds.formats import direct

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config

_CLOSE = b"  </channel>\n</rss>\n"


def _refs(data: bytes) -> bytes:
    """RSS bytes with ``&`` and ``<`` escaped as hexadecimal character references.

    lxml escapes them as ``&amp;`` and ``&lt;`` in text and attributes alike and
    writes no CDATA or comment, so this changes no character of the document.
    """
    return data.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


class Rss:
    name = "rss"
    label = "RSS"
    file_name = "rss.xml"
    media_type = "application/rss+xml"
    separator = b""
    mark = b"<generator>feeds</generator>"

    def shell(self, info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
        """Written directly (see :mod:`feeds.formats.direct`), or by feedgen if declined."""
        made = direct.shell(self.name, info, config)
        if made is not None:
            return made
        from feeds.formats.feedgen_common import feed_generator, split_shell

        data: bytes = feed_generator(info, config).rss_str(pretty=True, encoding="UTF-8")
        return split_shell(_refs(data), _CLOSE)

    def entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """Written directly (see :mod:`feeds.formats.direct`), each entry it declines
        by :meth:`feedgen_entries`."""
        return direct.written(entries, config, self.name, self.feedgen_entries)

    def feedgen_entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """The plain path: feedgen's items serialised together inside a stand-in
        channel with the namespaces of a whole feed, then cut apart."""
        if not entries:
            return []
        from feedgen.ext.dc import DcExtension
        from lxml import etree

        from feeds.formats.base import ATOM_NS
        from feeds.formats.feedgen_common import feed_entries, split_at

        nsmap = {**DcExtension().extend_ns(), "atom": ATOM_NS,
                 "content": "http://purl.org/rss/1.0/modules/content/"}
        rss = etree.Element("rss", version="2.0", nsmap=nsmap)
        channel = etree.SubElement(rss, "channel")
        for fe in feed_entries(entries, config):
            channel.append(fe.rss_entry())
        data = _refs(etree.tostring(rss, pretty_print=True, encoding="UTF-8"))
        return split_at(data[data.index(b"<channel>\n") + 10:-len(_CLOSE)], b"    <item>\n",
                        len(entries))

    def reference(self, info: FeedInfo, config: Config) -> bytes:
        from feeds.formats.feedgen_common import reference_generator

        return _refs(reference_generator(info, config).rss_str(pretty=True, encoding="UTF-8"))


FORMAT = Rss()
