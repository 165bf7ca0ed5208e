"""How a host serves each published file: its content type, cache policy and upload tier.

One table, by path pattern, read by the publish step and the preview server.
The tiers put what is linked before what links to it, so that a bucket never
serves a link to an object not yet uploaded: content-named archive pages, issue
pages and the stylesheet first, then section feeds and pages, then the combined
feeds and the archive page, then OPML (which lists every feed), then the home
page (which links all of these), then the sitemap (which lists it). Atom feeds
go one tier before the other formats of the same feed, whose categories name
the Atom feed's URL.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

SHORT = "public, max-age=300, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Policy:
    """How one published file is served and when it is uploaded."""

    content_type: str
    cache_control: str
    tier: int
    feed: bool = False  # a feed whose subscribers a WebSub hub may be told about


# A file named by its content (a run of 8+ hex digits, a letter among them) never changes.
_CONTENT_NAMED = re.compile(r"(?:^|[-_.])(?=[0-9]*[a-f])[0-9a-f]{8,64}(?:[-_.]|$)")


class _Tables(NamedTuple):
    compiled: tuple[tuple[re.Pattern[str], str | None, int], ...]
    feed_names: tuple[tuple[re.Pattern[str], str], ...]
    feed_types: frozenset[str]


@functools.cache
def _tables() -> _Tables:
    """The table, read from the format registry on first use: a build that only asks
    :func:`content_named` imports no format."""
    from feeds.formats import BY_NAME, FORMATS

    atom = BY_NAME["atom"].media_type
    # The formats other than Atom go one tier after it: their categories name Atom's URL.
    others = "|".join(re.escape(f.file_name) for f in FORMATS if f.name != "atom")
    # (pattern over the path inside output/, content type or None for "by file name", tier)
    table: tuple[tuple[str, str | None, int], ...] = (
        (r".*\.css", "text/css; charset=utf-8", 0),
        (r"issues/[^/]+\.html", HTML, 0),
        (r"(?:.*/)?archive/.*", None, 0),
        (r"sections/[^/]+/atom\.xml|digest/atom\.xml", atom, 1),
        (rf"sections/[^/]+/(?:{others}|index\.html)|digest/(?:{others})", None, 2),
        (r"atom\.xml", atom, 3),
        (rf"{others}|archive\.html", None, 4),
        (r"feeds\.opml", None, 5),
        (r"index\.html|robots\.txt", None, 6),
        (r"sitemap\.xml", None, 7),
    )
    # A feed's format is a word of its file name: atom.xml, rss-3fa9c01b.xml, feed.json.
    return _Tables(tuple((re.compile(p), t, tier) for p, t, tier in table),
                   tuple((re.compile(rf"(?:^|[-_.]){re.escape(word)}(?:[-_.][^/]*)?\.{ext}$"),
                          fmt.media_type)
                         for fmt in FORMATS for word, _, ext in [fmt.file_name.rpartition(".")]),
                   frozenset(f.media_type for f in FORMATS))


_BY_SUFFIX = (
    ("sitemap.xml", "application/xml"), (".html", HTML), (".opml", "text/x-opml"),
    (".css", "text/css; charset=utf-8"),
    (".xml", "application/xml"), (".json", "application/json"), (".txt", "text/plain; charset=utf-8"),
    (".svg", "image/svg+xml"), (".png", "image/png"), (".ico", "image/x-icon"),
)


def content_type(path: str) -> str:
    """The Content-Type for a published file, from its name."""
    name = path.rsplit("/", 1)[-1]
    for pattern, kind in _tables().feed_names:
        if pattern.search(name):
            return kind
    for suffix, kind in _BY_SUFFIX:
        if path.endswith(suffix):
            return kind
    return "application/octet-stream"


def content_named(path: str) -> bool:
    """Whether the file at ``path`` is named by its content: it never changes, and
    :func:`policy` serves it as immutable."""
    name = path.rsplit("/", 1)[-1]
    return bool(_CONTENT_NAMED.search(name.rsplit(".", 1)[0]))


def policy(path: str) -> Policy:
    """How the file at ``path`` (inside ``output/``, '/'-separated) is served and when uploaded.

    A file no row names (an image, say) is a leaf: uploaded first, short cache.
    """
    immutable = content_named(path)
    kind, tier = content_type(path), 0
    tables = _tables()
    for pattern, fixed, row_tier in tables.compiled:
        if pattern.fullmatch(path):
            kind, tier = fixed or kind, row_tier
            break
    is_feed = kind in tables.feed_types
    if immutable:
        tier = 0  # a content-named file is linked by its successor, never links ahead
    return Policy(kind, IMMUTABLE if immutable else SHORT, tier, is_feed and not immutable)


def published_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file ``folder`` publishes, as ('/'-separated path inside it, path), sorted.

    Dot files and dot folders (the tool's state, temporary files) are not published,
    nor symbolic links, which could point anywhere on the machine.
    """
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # os.walk never enters a link
        for name in files:
            path = Path(top) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    yield from sorted(found)
