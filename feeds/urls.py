"""Which links are allowed, and the canonical form of an article URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_PLAIN_WEB_URL = re.compile(r"https?://[a-z0-9.-]+(?:/|$)")
WEIXIN_KEEP = ("__biz", "mid", "idx", "sn")


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no spaces or control characters."""
    if not url or _SPACE_OR_CONTROL.search(url):
        return False
    if _PLAIN_WEB_URL.match(url):
        return True  # the common case, which the full check below would accept too
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)


def canonical_url(url: str) -> str:
    """Drop tracking noise so one article shared twice is one article.

    Removes ``utm_*`` parameters and the fragment; for WeChat article links
    (``mp.weixin.qq.com/s?...``) keeps only ``__biz``, ``mid``, ``idx`` and ``sn``.
    Scheme and host are lower-cased.
    """
    if "?" not in url and "#" not in url and url.startswith(("https://", "http://")):
        host, _, path = url.partition("://")[2].partition("/")
        if host.islower() and "@" not in host and path:
            return url  # already canonical: nothing to drop, nothing to lower-case
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.rsplit("@", 1)[-1]
    netloc = host + netloc[len(host):] if netloc.lower().startswith(host) else netloc.lower()
    query = parse_qsl(parts.query, keep_blank_values=True)
    if host == "mp.weixin.qq.com":
        query = [(k, v) for k, v in query if k in WEIXIN_KEEP]
    query = [(k, v) for k, v in query if not k.lower().startswith("utm_")]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
