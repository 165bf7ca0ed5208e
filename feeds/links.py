"""Which files of the published folder a published file links to.

``feeds publish --delete`` asks it so that no object left in the bucket links to
one it deletes: it reads links as a browser or feed reader would follow them,
absolute URLs under ``base_url`` in any file and relative ``href``/``src`` in
pages, and knows nothing of feeds' structure.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Collection
from urllib.parse import quote, unquote, urljoin

_FEW = 32  # up to this many targets, a file is searched for each one's URL first
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# href and src values but absolute ones (those under base_url are found as such) and fragments
_ATTRIBUTE = re.compile(rb"""\b(?:href|src)\s*=\s*(?:"(?![A-Za-z][A-Za-z0-9+.-]*:|#)([^"]*)"|"""
                        rb"""'(?![A-Za-z][A-Za-z0-9+.-]*:|#)([^']*)')""", re.IGNORECASE)


def _absolute(base_url: str) -> re.Pattern[bytes]:
    return re.compile(re.escape(base_url.encode()) + rb"""[^"'<>\s\\)]*""")


def _path(url: str, base_url: str) -> str | None:
    """The path inside the folder that ``url`` names, or None if it names none."""
    if not url.startswith(base_url):
        return None
    rel = unquote(url[len(base_url):].split("#", 1)[0].split("?", 1)[0])
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    rel = posixpath.normpath(rel)
    return None if rel.startswith(("../", "/")) or rel in (".", "..") else rel


class LinkReader:
    """Reads the links of files published at ``base_url`` (ending in '/')."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._absolute = _absolute(base_url)

    def __call__(self, rel: str, data: bytes, targets: Collection[str]) -> set[str]:
        """Which of ``targets`` the file at ``rel`` links to. Only a page links relatively:
        another file without any target's URL in it links to none of them, however large.
        For a few targets that is a quick search first, and a page's relative links are
        followed only where their last part could name one of them."""
        names = None
        if len(targets) <= _FEW:
            if not rel.endswith(".html") and not any(url in data for url in self._urls(targets)):
                return set()
            names = {t.rpartition("/")[2] for t in targets} | {"", ".", ".."}
        return self.paths(rel, data, names) & set(targets)

    def _urls(self, targets: Collection[str]) -> list[bytes]:
        """The absolute URLs naming ``targets`` (a folder's index.html by the folder's too)."""
        urls = []
        for target in targets:
            if target == "index.html" or target.endswith("/index.html"):
                target = target.removesuffix("index.html")
            urls += [(self.base_url + target).encode(), (self.base_url + quote(target)).encode()]
        return urls

    def paths(self, rel: str, data: bytes, names: Collection[str] | None = None) -> set[str]:
        """The paths (inside the folder, '/'-separated) the file at ``rel`` links to; with
        ``names``, a page's relative links only to files of those names (or to a folder)."""
        found = {p for url in set(self._absolute.findall(data))
                 if (p := _path(url.decode("utf-8", "replace"), self.base_url)) is not None}
        if rel.endswith(".html"):
            here = self.base_url + rel
            for raw in {m.group(1) or m.group(2) or b"" for m in _ATTRIBUTE.finditer(data)}:
                value = html.unescape(raw.decode("utf-8", "replace")).strip()
                if value.startswith("#") or _SCHEME.match(value):
                    continue  # absolute: under base_url, found above
                last = unquote(value.split("#", 1)[0].split("?", 1)[0].rpartition("/")[2])
                if names is not None and last not in names:
                    continue
                path = _path(urljoin(here, value), self.base_url)
                if path is not None:
                    found.add(path)
        return found
