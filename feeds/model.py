"""Immutable records passed between parser, builder and writer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

Level = Literal["error", "warning"]

_UNSHOWN = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"  # compiled when first used


def shown_path(path: object) -> str:
    """The path as one line of plain text: the bytes of a name that is not UTF-8 as
    ``\\xNN``, and every control character (newline too) and bidi control as an
    escape, so that a file's name can neither forge a line nor drive the terminal."""
    text = str(path)
    if text.isprintable():  # what is escaped never is: most names, at once
        return text
    return re.sub(_UNSHOWN, lambda m: repr(m.group())[1:-1], utf8_text(text))


def utf8_name(path: str) -> bool:
    """Whether the path is valid UTF-8 (a name that is not comes from the file system
    with its bad bytes as lone surrogates, which no database, feed or terminal takes)."""
    if path.isascii():
        return True
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def utf8_text(text: str) -> str:
    """The text, with the bytes of a file name that are not UTF-8 (which Python holds
    as lone surrogates, which no stream, database or feed takes) written ``\\xNN``."""
    if utf8_name(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs from the configuration (here, not in the parser: a
    build that parses nothing never imports the parser)."""

    timezone: str = "Asia/Shanghai"
    section_slugs: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in an input file, printed compiler-style."""

    path: str
    line: int
    level: Level
    message: str

    def __str__(self) -> str:
        path = shown_path(self.path)
        where = f"{path}:{self.line}" if self.line else path
        message = self.message.replace("\n", "\\n")
        return f"{where}: {self.level}: {message}"


class TemplateError(Exception):
    """A template could not be read or rendered; the message names file and line.

    Here rather than in :mod:`feeds.pages` so that catching it does not load Jinja2
    (a no-op build never renders a page)."""


class ParseError(Exception):
    """An input file (or set of files) has at least one error."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.level == "error")


@dataclass(frozen=True)
class Article:
    """One newsletter article: a title, a link and a summary."""

    title: str
    url: str
    summary_html: str
    summary_text: str
    position: int
    line: int
    author: str = ""
    source: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled group of articles within one issue."""

    name: str
    slug: str
    articles: tuple[Article, ...]
    line: int = 0


@dataclass(frozen=True)
class Issue:
    """One newsletter issue, as parsed from one Markdown file."""

    path: str
    name: str
    year: int
    number: int
    date: datetime | None
    sections: tuple[Section, ...]
    url: str = ""
    title: str = ""
    intro_html: str = ""
    intro_text: str = ""
    date_source: str = ""
    heading_line: int = 0

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)


@dataclass(frozen=True)
class ParseResult:
    """A parsed issue together with the warnings found on the way."""

    issue: Issue
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)


class SectionSummary(NamedTuple):
    """A section as the feed plan and the cross-file checks see it: no article text.

    The summaries are named tuples rather than dataclasses: a rebuild makes one
    for every issue of the archive, and tuples are made several times faster.
    """

    name: str
    slug: str
    line: int
    articles: int  # how many


class IssueSummary(NamedTuple):
    """What the feed plan and the cross-file checks need of an issue, kept for every
    issue in the state store so that a rebuild need not load whole parsed issues."""

    path: str
    name: str
    year: int
    number: int
    date: datetime | None
    sections: tuple[SectionSummary, ...]
    date_source: str = ""
    key: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    heading_line: int = 0
