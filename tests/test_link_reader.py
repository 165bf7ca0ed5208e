"""The links `feeds publish --delete` follows: absolute ones under base_url in any file,
relative href/src in pages; a quick search never misses one the full reading finds."""

from __future__ import annotations

import pytest

from feeds.links import LinkReader

BASE = "https://news.example.org/site/"
PAGE = b"""<!DOCTYPE html><html><head>
<link rel="alternate" type="application/atom+xml" href="https://news.example.org/site/sections/a/atom.xml">
<link rel="stylesheet" href="../../style.css"></head><body>
<a href='../../index.html#subscribe'>home</a> <a href="./">this section</a>
<a href="../../issues/2024-1.html?x=1">issue</a> <a href="#main">skip</a>
<a href="https://example.com/a/1">article</a> <a href="HTTPS://other.example/x.html">x</a>
<a href="../../../../etc/passwd">out</a> <a href="../b/feed.json">b</a>
<a href="../../archive/atom-&#x61;bc123456789.xml">entity</a> <img src="pic%20one.png">
</body></html>"""
PAGE_LINKS = {"sections/a/atom.xml", "style.css", "index.html", "sections/a/index.html",
              "issues/2024-1.html", "sections/b/feed.json", "archive/atom-abc123456789.xml",
              "sections/a/pic one.png"}
FEED = (b'<feed><link href="https://news.example.org/site/sections/a/" rel="alternate"/>'
        b'<link href="https://news.example.org/site/archive/rss-a1b2c3d4e5f6.xml" '
        b'rel="prev-archive"/><content type="html">&lt;a href="https://news.example.org/'
        b'site/issues/2024-2.html"&gt;</content><link href="https://news.example.org/'
        b'sitemap.xml"/><link href="../../relative.xml"/><link href="https://news.example.org/'
        b'site/a%20b.xml"/></feed>')
JSON = (b'{"home_page_url": "https://news.example.org/site/", "content_html": "<a href=\\"'
        b'https://news.example.org/site/issues/2024-3.html\\">"}')


def test_a_page_links_absolutely_and_relatively() -> None:
    assert LinkReader(BASE).paths("sections/a/index.html", PAGE) == PAGE_LINKS


def test_a_feed_or_json_feed_links_only_absolutely_under_base_url() -> None:
    reader = LinkReader(BASE)
    assert reader.paths("sections/a/atom.xml", FEED) == {
        "sections/a/index.html", "archive/rss-a1b2c3d4e5f6.xml", "issues/2024-2.html", "a b.xml"}
    assert reader.paths("feed.json", JSON) == {"index.html", "issues/2024-3.html"}


@pytest.mark.parametrize(("rel", "data"), [("sections/a/index.html", PAGE),
                                           ("sections/a/atom.xml", FEED), ("feed.json", JSON)])
def test_the_quick_search_finds_what_reading_everything_finds(rel: str, data: bytes) -> None:
    reader = LinkReader(BASE)
    every = reader.paths(rel, data)
    candidates = sorted(every | {"sections/c/atom.xml", "index.htm", "issues/2024-9.html",
                                 "sections/b/index.html", "relative.xml"})
    for target in candidates:
        assert reader(rel, data, [target]) == ({target} & every), target
    assert reader(rel, data, candidates) == every
    many = candidates + [f"x/{n}.html" for n in range(40)]  # too many for the quick search
    assert reader(rel, data, many) == every
