"""The one table of how each published path is served and when it is uploaded, for the files
of today and those the format seam, the web edition and RFC 5005 archives add."""

from __future__ import annotations

import pytest

from feeds.hosting import IMMUTABLE, SHORT, Policy, content_type, policy

ATOM, RSS, JSON, HTML = "application/atom+xml", "application/rss+xml", "application/feed+json", \
    "text/html; charset=utf-8"


@pytest.mark.parametrize(("path", "expected"), [
    ("style.css", Policy("text/css; charset=utf-8", SHORT, 0)),
    ("issues/2024-29.html", Policy(HTML, SHORT, 0)),
    ("archive/atom-3fa9c01b.xml", Policy(ATOM, IMMUTABLE, 0)),
    ("sections/fen-bu-shi-xi-tong/archive/rss-0a1b2c3d4e.xml", Policy(RSS, IMMUTABLE, 0)),
    ("digest/archive/feed-9f8e7d6c.json", Policy(JSON, IMMUTABLE, 0)),
    ("sections/fen-bu-shi-xi-tong/atom.xml", Policy(ATOM, SHORT, 1, feed=True)),
    ("digest/atom.xml", Policy(ATOM, SHORT, 1, feed=True)),
    ("sections/fen-bu-shi-xi-tong/rss.xml", Policy(RSS, SHORT, 2, feed=True)),
    ("sections/fen-bu-shi-xi-tong/feed.json", Policy(JSON, SHORT, 2, feed=True)),
    ("sections/fen-bu-shi-xi-tong/index.html", Policy(HTML, SHORT, 2)),
    ("digest/feed.json", Policy(JSON, SHORT, 2, feed=True)),
    ("atom.xml", Policy(ATOM, SHORT, 3, feed=True)),
    ("rss.xml", Policy(RSS, SHORT, 4, feed=True)),
    ("feed.json", Policy(JSON, SHORT, 4, feed=True)),
    ("archive.html", Policy(HTML, SHORT, 4)),
    ("feeds.opml", Policy("text/x-opml", SHORT, 5)),
    ("index.html", Policy(HTML, SHORT, 6)),
    ("sitemap.xml", Policy("application/xml", SHORT, 7)),
    ("logo.png", Policy("image/png", SHORT, 0)),
    ("issues/20240720.html", Policy(HTML, SHORT, 0)),  # digits only: a date, not a hash
])
def test_policy_per_path(path: str, expected: Policy) -> None:
    assert policy(path) == expected


@pytest.mark.parametrize(("path", "kind"), [
    ("x/page-2.rss.xml", RSS), ("myatom.xml", "application/xml"), ("atomic.xml", "application/xml"),
    ("data.json", "application/json"), ("README", "application/octet-stream"),
])
def test_content_type_by_name(path: str, kind: str) -> None:
    assert content_type(path) == kind
