"""Atom 1.0 (RFC 4287), written by feedgen; its entries and its shell as text (:mod:`feeds.formats.direct`).

feedgen and lxml are imported when the reference is asked for: what the direct
writers decline, and the whole feed the tests compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from feeds.formats import direct

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config

_CLOSE = b"</feed>\n"


class Atom:
    name = "atom"
    label = "Atom"
    file_name = "atom.xml"
    media_type = "application/atom+xml"
    separator = b""
    mark = b"<generator>feeds</generator>"

    def shell(self, info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
        """Written directly (see :mod:`feeds.formats.direct`), or by feedgen if declined."""
        made = direct.shell(self.name, info, config)
        if made is not None:
            return made
        from feeds.formats.feedgen_common import feed_generator, split_shell

        data: bytes = feed_generator(info, config).atom_str(pretty=True, encoding="UTF-8")
        return split_shell(data, _CLOSE)

    def entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """Written directly (see :mod:`feeds.formats.direct`), each entry it declines
        by :meth:`feedgen_entries`."""
        return direct.written(entries, config, self.name, self.feedgen_entries)

    def feedgen_entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """The plain path: feedgen's entries serialised together inside a stand-in
        ``<feed>`` (same namespace, same depth as in a whole feed), then cut apart."""
        if not entries:
            return []
        from lxml import etree

        from feeds.formats.base import ATOM_NS
        from feeds.formats.feedgen_common import feed_entries, fix_entry_links, split_at

        feed = etree.Element("feed", xmlns=ATOM_NS)
        for fe in feed_entries(entries, config):
            feed.append(fix_entry_links(fe.atom_entry(extensions=False)))
        data = etree.tostring(feed, pretty_print=True, encoding="UTF-8")
        return split_at(data[data.index(b">\n") + 2:-len(_CLOSE)], b"  <entry>\n", len(entries))

    def reference(self, info: FeedInfo, config: Config) -> bytes:
        from feeds.formats.feedgen_common import reference_generator

        data: bytes = reference_generator(info, config).atom_str(pretty=True, encoding="UTF-8")
        return data


FORMAT = Atom()
