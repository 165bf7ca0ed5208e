"""The feed formats: one module each, registered in :data:`FORMATS`.

Everything that depends on the formats (planning, rendering, the index page,
OPML, ``serve``'s content types, the deploy configs' tests) reads this list, so
adding a format is one new module and one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feeds.formats import atom, jsonfeed, rss
from feeds.formats.base import GENERATOR, FeedFormat, feed_folder

if TYPE_CHECKING:
    from feeds.config import Config

FORMATS: tuple[FeedFormat, ...] = (atom.FORMAT, rss.FORMAT, jsonfeed.FORMAT)
BY_NAME: dict[str, FeedFormat] = {f.name: f for f in FORMATS}


def enabled(config: Config) -> tuple[FeedFormat, ...]:
    """The formats a build writes: those of ``formats`` in ``feeds.toml``, else all."""
    return tuple(f for f in FORMATS if not config.formats or f.name in config.formats)


__all__ = ["BY_NAME", "FORMATS", "GENERATOR", "FeedFormat", "enabled", "feed_folder"]
