"""Which links are allowed, the form in which a link is published, and the canonical
form of an article URL (for its id only)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_CHARACTER = re.compile("[\ud800-\udfff\ufffe\uffff]")  # only a YAML escape can write one
# a host of plain labels (no "xn--", no empty label): nothing to map or check further
_PLAIN_WEB_URL = re.compile(r"https?://(?!xn--)[a-z0-9-]+(?:\.(?!xn--)[a-z0-9-]+)*\.?(?:/|$)")
_HOST_LABEL = re.compile(r"[a-z0-9_-]+")
_PLAIN_HOST = re.compile(r"(?!xn--)[a-z0-9_-]+(?:\.(?!xn--)[a-z0-9_-]+)*\.?")
_SCHEME_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)")
_NOT_IN_URI = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
URL_START = r"[A-Za-z][A-Za-z0-9+.\-]*://"  # a scheme, then an authority
WEIXIN_KEEP = ("__biz", "mid", "idx", "sn")


# url_problem, published_url and canonical_url are remembered for the last URLs asked
# of each (typed: a Markup is not answered with a str's result, nor the other way): an
# article's URL is asked of several times as its issue is parsed and its entries and
# page are made, some 3 % of a worker's time. Each function's ``__wrapped__`` is the
# plain reference that the tests compare them with.
_REMEMBERED = 4096


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}" + (f" {unicodedata.name(char)}" if unicodedata.name(char, "") else "")


@lru_cache(maxsize=_REMEMBERED, typed=True)
def url_problem(url: str) -> str | None:
    """What keeps ``url`` from being published, said for the editor; None if nothing.

    A link is published only if it is an absolute http(s) URL with a host, without
    whitespace, control characters or credentials (``user:password@``).
    """
    if not url:
        return "is empty"
    if (_PLAIN_WEB_URL.match(url) and not _SPACE_OR_CONTROL.search(url) and "@" not in url
            and not _NOT_CHARACTER.search(url)):
        return None  # the common case, which the full check below would accept too
    control = _CONTROL.search(url)
    if control:
        return (f"contains the control character {_char_name(control.group())}; "
                "remove it")
    odd = _NOT_CHARACTER.search(url)
    if odd:
        return f"contains U+{ord(odd.group()):04X}, which is not a character; remove it"
    space = _SPACE_OR_CONTROL.search(url)
    if space:
        if space.group() == " ":
            return "contains a space; write a space inside a URL as %20"
        return f"contains whitespace ({_char_name(space.group())}); remove it or percent-encode it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "is not a valid URL (check the host and the port)"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "is not allowed; only http:// and https:// links can be published"
    if "@" in parts.netloc:
        return ("contains credentials (user:password@ before the host); credentials do not "
                "belong in a feed: remove them")
    if not parts.hostname:
        return "has no host"
    problem = host_problem(url)
    if problem:
        return problem
    authority = _SCHEME_AUTHORITY.match(published_url(url))
    if authority is None or "%" in authority.group(2):
        return "has a host that is not a valid domain name"
    return None


def host_problem(url: str) -> str | None:
    """What is wrong with the host or port of an http(s) ``url`` once mapped as a
    browser maps it (an empty label, invalid punycode, port 0); None if nothing."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None  # url_problem says what
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        return None
    if port == 0:
        return "has port 0, which no server listens on"
    return _host(_split_port(parts.netloc.rpartition("@")[2])[0])[1] or None


def _split_port(authority: str) -> tuple[str, str]:
    """``host:8080`` as ("host", ":8080"); ("host", "") without a port."""
    host, colon, port = authority.rpartition(":")
    return (host, colon + port) if colon and port.isdigit() else (authority, "")


def _host(host: str) -> tuple[str, str]:
    """(the host as a browser resolves it, what is wrong with it or "").

    Mapped as UTS #46 and the WHATWG URL standard say (``idna``: NFKC-like mapping,
    so full-width ``ｅｘａｍｐｌｅ．com`` is ``example.com`` and a zero-width space
    is dropped), then each non-ASCII label in punycode. An ASCII label is kept as
    it is (browsers accept ``_`` and end hyphens); an ``xn--`` label must decode.
    """
    if host.startswith("["):
        return host.lower(), ""
    if _PLAIN_HOST.fullmatch(host):
        return host, ""
    import idna

    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError):
        return "", "has a host that is not a valid domain name"
    labels = mapped.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # a fully qualified name: "example.com."
    out = []
    for label in labels:
        if not label:
            return "", f"has an empty label in its host {host!r} (two dots in a row?)"
        try:
            if not label.isascii():
                label = idna.alabel(label).decode("ascii")
            elif label.startswith("xn--"):
                idna.ulabel(label)
        except (idna.IDNAError, UnicodeError):
            return "", f"has a host label {label!r} that is not a valid international domain name"
        if not _HOST_LABEL.fullmatch(label):
            return "", "has a host that is not a valid domain name"
        out.append(label)
    return ".".join(out) + ("." if mapped.endswith(".") and len(out) > 0 else ""), ""


def is_web_url(url: str) -> bool:
    """True for a URL that may be published (see :func:`url_problem`)."""
    return url_problem(url) is None


def respelled(url: str) -> str | None:
    """The published form of a web ``url`` whose host is written otherwise than it is
    published beyond letter case and punycode (full-width letters or dots, an invisible
    character a browser drops, another Unicode normalization): the article's id, made
    from the text, would change with the text. None for any other URL."""
    if _PLAIN_WEB_URL.match(url):
        return None
    raw = _SCHEME_AUTHORITY.match(url)
    if raw is None or raw.group(1).lower() not in ("http://", "https://") or "@" in raw.group(2):
        return None
    host = _split_port(raw.group(2))[0]
    if host.startswith("[") or _PLAIN_HOST.fullmatch(host.lower()):
        return None
    import idna

    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError):
        return None
    return None if mapped == host.lower() else published_url(url)


@lru_cache(maxsize=_REMEMBERED, typed=True)
def published_url(url: str) -> str:
    """The link as published: the editor's URL, with scheme and host in lower case, an
    international host mapped as a browser maps it (:func:`_host`) and in punycode, and
    the characters a URI cannot hold (non-ASCII, ``|``, ``{``, a ``%`` without two hex
    digits, …) percent-encoded as UTF-8, as CommonMark does for a Markdown link.
    Nothing else changes: no parameter, fragment, ``;`` or ``?`` is dropped, added or
    re-encoded.
    """
    if _PLAIN_WEB_URL.match(url) and not _NOT_IN_URI.search(url):
        return url  # already in published form
    from markdown_it.common.normalize_url import normalizeLink  # not needed above: imported late
    raw = _SCHEME_AUTHORITY.match(url)
    if raw is not None and raw.group(1).lower() in ("http://", "https://") \
            and "@" not in raw.group(2):
        host, port = _split_port(raw.group(2))
        mapped, problem = _host(host)
        if not problem:  # else left as CommonMark writes it, for url_problem to refuse
            url = raw.group(1) + mapped + port + url[raw.end():]
    link = normalizeLink(url)
    match = _SCHEME_AUTHORITY.match(link)
    if match is None:
        return link
    return match.group(1).lower() + match.group(2).lower() + link[match.end():]


@lru_cache(maxsize=_REMEMBERED, typed=True)
def canonical_url(url: str) -> str:
    """Drop tracking noise so one article shared twice is one article: for the entry
    id only, never published. It must not change: ids are permanent.

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
