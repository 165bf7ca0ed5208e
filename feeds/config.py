"""The optional ``feeds.toml``: every key has a documented default."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.urls import host_problem, published_url, url_problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from feeds.model import Diagnostic

PUBLISH_KEYS: dict[str, type] = {"target": str, "endpoint_url": str, "region": str,
                                  "profile": str, "on_build": bool}
# SLUG_RE and EMAIL_RE are compiled when first used (re's cache): most configs set neither
SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # a BCP 47 tag, simply
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+"  # an addr-spec
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ConfigError(Exception):
    """The config file or a flag is unusable; the message says which key and why."""


@dataclass(frozen=True)
class Config:
    """Settings for parsing and building; see README "Configuration"."""

    title: str = ""
    description: str = "云计算技术动态：每期精选的分布式系统、云计算与大模型技术文章。"
    base_url: str = "http://localhost:8000/"
    author: str = ""
    email: str = ""
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    max_items: int = 100
    section_max_items: int = 50
    digest_max_items: int = 50
    archive_page_size: int = 100  # entries per RFC 5005 archive page; 0 = no archives
    formats: tuple[str, ...] = ()  # the feed formats to write; empty: every registered one
    digest: bool = True
    tag_authority: str = ""
    state: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    websub_hubs: tuple[str, ...] = ()
    websub_on_build: bool = False
    publish: dict[str, Any] = field(default_factory=dict)
    pages: bool = True
    templates: str = ""
    source: str = field(default="", repr=False, compare=False)  # the file read, for warnings

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def authority(self) -> str:
        """The ``tag:`` URI authority that every entry id starts from."""
        return self.tag_authority or (urlsplit(self.base_url).hostname or "localhost")


KEYS = tuple(f.name for f in fields(Config) if f.name != "source")  # what a config may set


def _base_url_problem(url: str) -> str:
    """What keeps ``url`` from being the folder every feed URL is made from, or ""."""
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        return "it contains a space or a control character"
    try:
        parts = urlsplit(url)
        if (port := _bad_port(parts.netloc)) is not None:
            return f"its port {port!r} is not a number from 1 to 65535"
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"it is malformed ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it must be an absolute http(s) URL"
    if "?" in url or "#" in url:
        return "it has a query ('?') or a fragment ('#'), which would end up inside every feed URL"
    if "@" in parts.netloc:
        return "it has a user name or password ('user@'); credentials do not belong in a feed"
    problem = host_problem(url)
    return f"it {problem}" if problem else ""


def _bad_port(netloc: str) -> str | None:
    """The port of an authority as written (after a ':' that follows the host or an
    IPv6 address's brackets) if it is not a number from 1 to 65535; else None."""
    host = netloc.rpartition("@")[2]
    after = host.rpartition("]")[2] if host.startswith("[") else host
    if ":" not in after:
        return None
    port = after.partition(":")[2]
    return None if port.isascii() and port.isdigit() and 0 < int(port) <= 65535 else port


def _published_base_url(config: Config) -> Config:
    """An international base_url as every file publishes it: its host in punycode, the
    rest percent-encoded (as an article link is, :func:`feeds.urls.published_url`).
    The ``tag:`` ids keep the host as written, as before: ids never change."""
    if config.base_url.isascii():
        return config
    return replace(config, base_url=published_url(config.base_url),
                   tag_authority=config.tag_authority or config.authority)


def _hubs(hubs: list[str], where: str) -> tuple[str, ...]:
    """The WebSub hub URLs as every feed links them (an international host in punycode);
    a hub URL is checked as an article link is, and may hold no markup character."""
    for hub in hubs:
        try:
            parts = urlsplit(hub)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            parts = urlsplit("")
        problem = url_problem(hub)
        markup = re.search(r'["<>\\^`{|}]', hub)
        if parts.scheme not in ("http", "https") or not parts.hostname \
                or re.search(r"[\s\x00-\x1f\x7f]", hub):
            problem = "is not an absolute http(s) URL"
        elif (port := _bad_port(parts.netloc)) is not None:
            problem = f"has port {port!r}, which is not a number from 1 to 65535"
        elif problem is None and markup:
            problem = f"contains {markup.group()!r}, which a URL cannot hold"
        if problem:
            raise ConfigError(f"{where}: websub_hubs: {hub!r} {problem}")
    return tuple(published_url(hub) for hub in hubs)


def _check_text(config: Config, where: str) -> None:
    """Control characters in any text setting, then the forms of language and email."""
    texts = [(key, getattr(config, key)) for key in KEYS]
    texts += [(f"[publish] {key}", value) for key, value in config.publish.items()]
    texts += [(f"[sections] {name!r}", name) for name in config.sections]
    for key, value in texts:
        control = _CONTROL.search(value) if isinstance(value, str) else None
        if control:
            raise ConfigError(f"{where}: {key} contains the control character "
                              f"U+{ord(control.group()):04X}; remove it")
    if not LANGUAGE_RE.fullmatch(config.language):
        raise ConfigError(f"{where}: language {config.language!r} is not a language tag; "
                          "write one such as 'zh-CN', 'zh' or 'en'")
    if config.email and not re.fullmatch(EMAIL_RE, config.email):
        raise ConfigError(f"{where}: email {config.email!r} is not an email address; "
                          "write one such as 'editor@example.com', or leave it out")


def _check(config: Config, where: str, url_from: str) -> Config:
    problem = _base_url_problem(config.base_url)
    if problem:
        raise ConfigError(f"{url_from}: base_url {config.base_url!r} cannot be used: {problem}; "
                          "write the public folder's URL, e.g. 'https://example.com/feeds/'")
    _check_text(config, where)
    if not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown timezone {config.timezone!r} "
                          "(use an IANA name such as 'Asia/Shanghai')") from None
    if config.templates and not Path(config.templates).is_dir():
        raise ConfigError(f"{where}: templates folder {config.templates!r} not found")
    for key in ("max_items", "section_max_items", "digest_max_items", "archive_page_size"):
        if getattr(config, key) < 0:
            none = "no archives" if key == "archive_page_size" else "no limit"
            raise ConfigError(f"{where}: {key} must be 0 ({none}) or more")
    if config.tag_authority and not re.fullmatch(r"[A-Za-z0-9.-]+(@[A-Za-z0-9.-]+)?",
                                                  config.tag_authority):
        raise ConfigError(f"{where}: tag_authority must be a domain name or an email address")
    for key, value in config.publish.items():
        if key not in PUBLISH_KEYS:
            raise ConfigError(f"{where}: [publish] unknown key {key!r} "
                              f"(known: {', '.join(PUBLISH_KEYS)})")
        if not isinstance(value, PUBLISH_KEYS[key]):
            raise ConfigError(f"{where}: [publish] {key} must be {_WANTED[PUBLISH_KEYS[key]]}, "
                              f"not {_given(value)}")
    for name, slug in config.sections.items():
        if not re.match(SLUG_RE, slug):
            raise ConfigError(
                f"{where}: [sections] {name!r} = {slug!r}: a slug is lower-case ASCII "
                "letters, digits and '-', and cannot contain '/' or '..'")
    return _published_base_url(config)


def _formats(value: object, where: str) -> tuple[str, ...]:
    """The ``formats`` key: a list of registered format names, kept in the registry's order."""
    from feeds.formats import FORMATS

    names = [f.name for f in FORMATS]
    if not isinstance(value, list) or not value or not all(v in names for v in value):
        raise ConfigError(f"{where}: formats must be a non-empty list of {', '.join(names)}")
    return tuple(n for n in names if n in value)


_WANTED = {int: "a whole number such as 100", str: "text in quotes", bool: "true or false",
           dict: "a table"}
_KINDS = ((bool, "true or false"), (int, "a whole number"), (float, "a decimal number"),
          (str, "text"), (list, "a list"), (dict, "a table"))
_KEY = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


def _given(value: object) -> str:
    """A value as the error shows it: its text (cut) and its kind."""
    kind = next((k for t, k in _KINDS if isinstance(value, t)), "a date or time")
    text = repr(value)
    return f"{text[:40]}{'…' if len(text) > 40 else ''} ({kind})"


def _line_of(text: str, key: str, table: str = "") -> int:
    """The line of ``key`` in ``table`` ("" for the top level) of the config text, found
    as a person reads the file (tomllib tells no positions); 0 if not found so."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.split("#", 1)[0].strip().strip("[]").strip().strip("\"'")
            continue
        match = _KEY.match(stripped)
        if match and current == table and key in match.groups():
            return number
    return 0


def _at(where: str, text: str, key: str, table: str = "") -> str:
    line = _line_of(text, key, table)
    return f"{where}:{line}" if line else where


def _section_slugs(sections: dict[str, Any], where: str, text: str) -> None:
    """Each ``[sections]`` value is a slug written as text: the error names the key, and
    a key of the top level written below ``[sections]`` (so inside it) is shown as that."""
    for name, value in sections.items():
        if isinstance(value, str):
            continue
        hint = ""
        if name in KEYS:
            hint = (f"; every key below the [sections] line belongs to that table: move "
                    f"'{name} = …' above it")
        raise ConfigError(f"{_at(where, text, name, 'sections')}: [sections] {name!r} must be "
                          f"a slug in quotes such as \"distributed-systems\", not "
                          f"{_given(value)}{hint}")


_NOT_ZONES = {
    "localtime": "is the time zone of the machine that builds, so the feeds would change "
                 "with the machine",
    "posixrules": "is a file of the time zone database, not a place's zone",
    "Factory": "is the time zone database's placeholder, not a place's zone",
}


def _zone_name(name: str, where: str) -> None:
    """Refuse the names of the time zone database's files that are not a place's zone
    (``ZoneInfo`` loads them all the same): the feeds' dates would mean nothing fixed."""
    folder, _, rest = name.partition("/")
    reason = _NOT_ZONES.get(name)
    if reason is None and folder in ("posix", "right") and rest:
        reason = f"is a copy of {rest!r} from the database's {folder}/ folder"
    if reason is not None:
        raise ConfigError(f"{where}: timezone {name!r} {reason}; write an IANA name such as "
                          "'Asia/Shanghai'")


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``path`` (missing file means all defaults), then apply non-None overrides."""
    data: dict[str, Any] = {}
    where = str(path) if path else "config"
    text = ""
    if path is not None and path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: error: {exc}") from None
    known = KEYS
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{_at(where, text, key)}: unknown key {key!r} "
                              f"(known: {', '.join(known)})")
        expected = dict if key in ("sections", "publish") else type(getattr(Config(), key))
        if key == "websub_hubs":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: websub_hubs must be a list of URLs")
            value = _hubs(value, _at(where, text, key))
        elif key == "formats":
            value = _formats(value, where)
        elif not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"{_at(where, text, key)}: {key} must be "
                              f"{_WANTED.get(expected, expected.__name__)}, not {_given(value)}")
        values[key] = value
    if "sections" in values:
        _section_slugs(values["sections"], where, text)
    if "timezone" in values:
        _zone_name(values["timezone"], _at(where, text, "timezone"))
    if values.get("templates") and path is not None:
        values["templates"] = str(path.parent / values["templates"])
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    if text:
        values["source"] = where
    url_from = "--base-url" if (overrides or {}).get("base_url") is not None \
        else _at(where, text, "base_url")
    return _check(Config(**values), where, url_from)


def unused_sections(config: Config, has_section: Callable[[str, str], bool]
                    ) -> list[Diagnostic]:
    """A warning for each ``[sections]`` key that no issue's section has (``has_section``
    of its name and slug): a misspelt name, or a top-level key written below
    ``[sections]``; its slug would silently name nothing."""
    from feeds.model import Diagnostic

    unused = [(n, s) for n, s in config.sections.items() if not has_section(n, s)]
    if not unused:
        return []
    where = config.source or "config"
    try:
        text = Path(config.source).read_text(encoding="utf-8") if config.source else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    out = []
    for name, slug in unused:
        hint = (f"; every key below the [sections] line belongs to that table: move "
                f"'{name} = …' above it" if name in KEYS else
                "; check it against the '## ' section headings of the issues")
        out.append(Diagnostic(where, _line_of(text, name, "sections"), "warning",
                              f"[sections] {name!r} = {slug!r} names a section that no issue "
                              f"has{hint}"))
    return out
