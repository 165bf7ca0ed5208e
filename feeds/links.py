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
from urllib.parse import unquote, urljoin

_ATTRIBUTE = re.compile(rb"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


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

    def __call__(self, rel: str, data: bytes) -> set[str]:
        """The paths (inside the folder, '/'-separated) the file at ``rel`` links to."""
        found: set[str] = set()
        urls = [m.decode("utf-8", "replace") for m in self._absolute.findall(data)]
        if rel.endswith(".html"):
            here = self.base_url + rel
            for match in _ATTRIBUTE.finditer(data):
                value = (match.group(1) or match.group(2) or b"").decode("utf-8", "replace")
                urls.append(urljoin(here, html.unescape(value.strip())))
        for url in urls:
            path = _path(url, self.base_url)
            if path is not None:
                found.add(path)
        return found
