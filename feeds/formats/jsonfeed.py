"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written by :func:`json.dumps`.

The reference is ``json.dumps`` of the whole document; the fast path writes
each item with the same encoder's string function (:func:`item_bytes`, against
``json.dumps`` of the item: tests/test_jsonfeed_items.py) and joins them with ``,``.
Compact separators keep every byte the encoder's own (an indented document would
need the slow pure-Python encoder) and UTF-8 is written as characters, not ``\\u``
escapes.
Titles and summaries are plain text in JSON Feed, so they are written as they are;
``content_html`` is the same HTML the XML feeds carry.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from feeds.formats.base import GENERATOR, home_path
from feeds.xmltext import clean

if TYPE_CHECKING:
    from feeds.builder import Entry, FeedInfo
    from feeds.config import Config

VERSION = "https://jsonfeed.org/version/1.1"
_ITEMS = b'"items":[]}'


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_STRING = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a str with


def item_bytes(entry: Entry) -> bytes:
    """``_dumps(_item(entry))``, the plain reference, written directly: the encoder's
    own string function for each value, the keys and punctuation as it writes them
    (a third of the CPU: no encoder made per item, no dictionary walked)."""
    string = _STRING
    published = entry.published.isoformat()  # mostly the very object ``updated`` is
    updated = published if entry.updated is entry.published else entry.updated.isoformat()
    parts = ['{"id":', string(entry.id), ',"url":', string(entry.link),
             ',"title":', string(entry.title), ',"content_html":', string(entry.content_html),
             ',"summary":', string(entry.summary or entry.title),
             ',"date_published":', string(published), ',"date_modified":', string(updated)]
    tags = [string(t) for t in (entry.section_name, *entry.tags) if t]
    if tags:
        parts += (',"tags":[', ",".join(tags), "]")
    if entry.author:
        parts += (',"authors":[{"name":', string(entry.author), "}]")
    parts.append("}")
    return "".join(parts).encode("utf-8")


def _item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.content_html,
        "summary": entry.summary or entry.title,
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
    }
    tags = [t for t in (entry.section_name, *entry.tags) if t]
    if tags:
        item["tags"] = tags
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    return item


def _document(info: FeedInfo, config: Config, items: list[dict[str, Any]]) -> dict[str, Any]:
    hubs = {"hubs": [{"type": "WebSub", "url": hub} for hub in config.websub_hubs]} \
        if config.websub_hubs else {}
    return {
        "version": VERSION,
        "_feeds": {"generator": GENERATOR},  # an extension (JSON Feed 1.1): the tool's mark
        "title": clean(info.title),
        "home_page_url": config.base_url + home_path(info.slug),
        "feed_url": info.current or info.url,  # an archive page's: the feed it belongs to
        "description": clean(info.description) or clean(info.title),
        "language": config.language,
        "authors": [{"name": clean(config.author or info.title.split(" · ")[0])}],
        **hubs,
        **({"next_url": info.prev_archive} if info.prev_archive else {}),  # older entries
        "items": items,  # last: the fast path writes the items where this ends
    }


class JsonFeed:
    name = "json"
    label = "JSON Feed"
    file_name = "feed.json"
    media_type = "application/feed+json"
    separator = b","
    mark = b'"_feeds":{"generator":"feeds"}'

    def shell(self, info: FeedInfo, config: Config) -> tuple[bytes, bytes]:
        data = _dumps(_document(info, config, []))
        assert data.endswith(_ITEMS), data[-80:]
        return data[:-2], b"]}\n"

    def entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        return [item_bytes(e) for e in entries]

    def reference_entries(self, entries: Sequence[Entry], config: Config) -> list[bytes]:
        """The plain path of :meth:`entries`: ``json.dumps`` of each item."""
        return [_dumps(_item(e)) for e in entries]

    def reference(self, info: FeedInfo, config: Config) -> bytes:
        from feeds.builder import Entry

        items = []
        for entry in info.entries:
            assert isinstance(entry, Entry), "the reference is made from whole entries"
            items.append(_item(entry))
        return _dumps(_document(info, config, items)) + b"\n"


FORMAT = JsonFeed()
