"""The protocol every feed format implements, and what all formats share.

A format knows its media type, its file name, and how to write a feed as a
head, the serialised entries (joined by its separator) and a tail; it also
writes a whole feed the slow way, with its library, as the reference the fast
bytes must equal. :mod:`feeds.render` does the rest the same way for every format.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config

GENERATOR = "feeds"
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005


class FeedFormat(Protocol):
    """One feed format: registered once in :data:`feeds.formats.FORMATS`."""

    name: str  # short name, used in OPML and on the index page ("atom")
    label: str  # the format's name for people ("Atom")
    file_name: str  # the feed's file name in its folder ("atom.xml")
    media_type: str  # the Content-Type a host sends ("application/atom+xml")
    separator: bytes  # between two serialised entries
    mark: bytes  # what its feeds hold near their start that says this tool wrote them

    def shell(self, info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
        """The feed's bytes before its first entry and after its last."""
        ...

    def entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """Each entry's bytes exactly as a whole feed of this format holds them."""
        ...

    def reference(self, info: FeedInfo, config: Config) -> bytes:
        """The whole feed written by the format's library: slow, and the oracle."""
        ...


def as_html(text: str) -> str:
    """Plain text as HTML that a reader shows as exactly that text."""
    return html.escape(text, quote=False)


def home_path(slug: str) -> str:
    """The page a feed's home link points to: its section's page, else the home page
    (see :mod:`feeds.pages`, which makes them)."""
    from feeds.pages import home_path as page_of

    return page_of(slug)


def feed_folder(slug: str) -> str:
    """The folder of a section's feeds inside ``output/`` (``""`` for the combined feeds)."""
    return f"sections/{slug}" if slug else ""
