"""Read one newsletter issue (Markdown) into an :class:`~feeds.model.Issue`.

The structure comes from markdown-it-py's token stream: headings, paragraphs,
list items and their inline children, with the source line of each. Only the
text *inside* a token (a heading's words, a label such as ``摘要：``) is matched
with small patterns. This module knows Markdown and nothing of feeds.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast
from urllib.parse import urlsplit

from feeds.limits import (
    MARKUP_CHARS,
    MAX_ARTICLE_NUMBER,
    MAX_FILE_BYTES,
    MAX_FRONT_MATTER_CHARS,
    MAX_ISSUE_NUMBER,
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_MARKUP,
    MAX_SECTIONS,
    YEARS,
)
from feeds.model import Article, Diagnostic, Issue, ParseError, ParseOptions, ParseResult, Section
from feeds.numerals import abbreviated, is_numeral, parse_chinese, to_chinese
from feeds.slugs import known_slug, slugify
from feeds.urls import (
    URL_START,
    host_problem,
    is_web_url,
    published_url,
    respelled,
    url_problem,
)
from feeds.xmltext import clean

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from yaml.error import Mark

_NUMBER_SEP = r"\s*[.、．]\s*"
_NUMBER_ONLY = re.compile(r"^\s*(\d{1,9})" + _NUMBER_SEP + r"$")  # out of range: an error
_NUMBER_TITLE = re.compile(r"^\s*(\d{1,9})" + _NUMBER_SEP + r"(\S.*\S|\S)\s*$", re.S)
_HEADING = re.compile(
    r"^(?P<name>.*?)\s*(?P<year>\d{4})\s*年\s*第\s*(?P<number>[^\s期]+)\s*期\s*(?P<rest>.*)$")
_LOOSE_TITLE = re.compile(r"^\*\*\s*(\d{1,9})\s*[.、．]\s*(?:\*\*\s*\*\*)?([^*]*)\*\*$")
_SPACE = re.compile(r"\s")
# The patterns of rare lines and errors are compiled when first used (re's cache).
_CHAR_REF = r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));"
_CODE_SPAN = r"(?s)(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)"
_BARE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COLONS = ":："
_COLON_CHARS = tuple(_COLONS)
_LABELS = {"摘要": "summary", "作者": "author", "来源": "source",
           "标签": "tags", "关键词": "tags", "关键字": "tags"}
_TAG_SPLIT = re.compile(r"[，,、;；]")
_FRONT_MATTER_KEYS = ("date", "year", "number", "title", "url")
_LEADING = ("text", "softbreak")
_TRAILING = ("text", "softbreak", "hardbreak")
_BREAKS = ("softbreak", "hardbreak")
_PASSED = frozenset({"paragraph_open", "paragraph_close", "heading_close"})  # nothing to do


def _ignore(*args: object, **kwargs: object) -> None:
    return None


def _every_link(url: str) -> bool:
    """Every link is seen; :func:`feeds.urls.is_web_url` then checks it."""
    return True


@cache
def markdown() -> MarkdownIt:
    """The parser's one markdown-it instance, made (and markdown-it imported) on first
    use: a build whose issues are all in the state store parses nothing. Its block and inline
    steps try :mod:`feeds.fastmarkdown` first."""
    from feeds import fastmarkdown

    md = reference_markdown()
    fastmarkdown.install(md)
    return md


def reference_markdown() -> MarkdownIt:
    """A new markdown-it instance as :func:`markdown` has it, without the inline fast
    path: the reference that tests compare it with."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    setattr(md, "validateLink", _every_link)  # noqa: B010 - mypy: a method is not assignable
    setattr(md, "normalizeLink", published_url)  # noqa: B010 - hosts mapped as a browser maps them
    # markdown-it-py announces at debug level every block rule it tries: some 600
    # calls an issue and a sixth of its parse time, for messages nobody here reads.
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("markdown_it."):
            logging.getLogger(name).debug = _ignore  # type: ignore[method-assign]
    return md


def _token(kind: str, tag: str, nesting: Literal[-1, 0, 1], content: str = "") -> Token:
    """A markdown-it token made here (markdown-it is imported by then: see :func:`markdown`)."""
    from markdown_it.token import Token

    return Token(kind, tag, nesting, content=content)


@dataclass
class _Line:
    """One source line of a paragraph, as inline tokens."""

    tokens: list[Token]
    line: int
    raw: str
    item_number: int | None = None


@dataclass
class _Draft:
    title: str
    number: int
    line: int
    section: str | None
    url: str = ""
    url_line: int = 0
    url_from_line: bool = False
    summary: list[list[Token]] = field(default_factory=list)
    summary_started: bool = False
    author: str = ""
    source: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Heading:
    """A heading's text and the line it is on."""

    text: str
    line: int


@dataclass
class _DraftSection:
    """A section while its articles are read."""

    name: str
    line: int
    drafts: list[_Draft] = field(default_factory=list)


# ---------------------------------------------------------------- inline helpers

def _trim(tokens: list[Token]) -> list[Token]:
    """Drop empty text tokens, and whitespace-only ones at both ends."""
    kept = [t for t in tokens if t.content or t.type != "text"]
    start, end = 0, len(kept)
    while start < end and kept[start].type in _LEADING and not kept[start].content.strip():
        start += 1
    while end > start and kept[end - 1].type in _TRAILING and not kept[end - 1].content.strip():
        end -= 1
    return kept[start:end] if start or end < len(kept) else kept


def _group(tokens: list[Token], start: int) -> int:
    """Index just past the balanced group that opens at ``start``."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth <= 0:
            return i + 1
    return len(tokens)


def _is_group(tokens: list[Token], kind: str) -> bool:
    """True if ``tokens`` is exactly one ``kind`` (strong, link) element."""
    return bool(tokens) and tokens[0].type == f"{kind}_open" and _group(tokens, 0) == len(tokens)


def plain_text(tokens: Iterable[Token]) -> str:
    """The words of inline tokens, without markup."""
    out: list[str] = []
    for t in tokens:
        if t.type in ("text", "code_inline", "html_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif t.type == "image":
            out.append(plain_text(t.children or []))
    return "".join(out)


_USERINFO = r"([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@]*@"


def _without_userinfo(tokens: list[Token], start: int) -> bool:
    """Take ``user:password@`` out of the text of the link opening at ``start`` (an
    autolink's text is its URL): a dropped link's text is published. Whether any was."""
    found = False
    for t in tokens[start + 1:_group(tokens, start) - 1]:
        if t.type == "text" and re.search(_USERINFO, t.content):
            t.content = re.sub(_USERINFO, r"\1", t.content)
            found = True
    return found


def _safe_inline(tokens: list[Token]) -> list[Token]:
    """Inline tokens made safe to render: no raw HTML, no images, only http(s) links."""
    out: list[Token] = []
    skip_close = 0
    for t in tokens:
        if t.type == "link_open" and not is_web_url(str(t.attrGet("href") or "")):
            skip_close += 1
            continue
        if t.type == "link_close" and skip_close:
            skip_close -= 1
            continue
        if t.type == "html_inline":
            out.append(_token("text", "", 0, content=t.content))
        elif t.type == "image":
            out.append(_token("text", "", 0, content=plain_text(t.children or [])))
        else:
            out.append(t)
    return out


def render_inline(tokens: list[Token]) -> str:
    """HTML for inline tokens, with raw HTML escaped and unsafe links dropped."""
    from feeds.fastissue import text_html

    plain = text_html(tokens)  # text alone: escaped, as markdown-it's renderer does
    if plain is not None:
        return plain
    from markdown_it.renderer import RendererHTML

    md = markdown()
    renderer = cast(RendererHTML, md.renderer)
    return renderer.renderInline(_safe_inline(tokens), md.options, {})


def _split_lines(tokens: list[Token], first_line: int, raw_lines: list[str]) -> list[_Line]:
    """Split a paragraph's inline tokens at top-level line breaks."""
    count = len(raw_lines)
    if not any(t.type in _BREAKS for t in tokens):
        return [_Line(_trim(tokens), first_line,
                      raw_lines[first_line - 1].strip() if 0 < first_line <= count else "")]
    lines: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for t in tokens:
        if depth == 0 and t.type in _BREAKS:
            lines.append(current)
            current = []
            continue
        depth += t.nesting
        current.append(t)
    lines.append(current)
    return [_Line(_trim(line_tokens), number,
                  raw_lines[number - 1].strip() if 0 < number <= count else "")
            for number, line_tokens in enumerate(lines, start=first_line)]


# ---------------------------------------------------------------- line classification

def _title_of(line: _Line) -> tuple[int, list[Token]] | None:
    """The (number, title tokens) of an article title line, or None."""
    tokens = line.tokens
    if not tokens:
        return None
    if line.item_number is not None:
        if _is_group(tokens, "strong") or _is_group(tokens, "link"):
            return line.item_number, tokens
        return None
    first_end = _group(tokens, 0) if tokens[0].nesting == 1 else 1
    first = tokens[:first_end]
    if _is_group(first, "strong"):
        inner = plain_text(first)
        match = _NUMBER_ONLY.match(inner)
        if match:
            rest = _trim(tokens[first_end:])
            if _is_group(rest, "strong") or _is_group(rest, "link"):
                return int(match.group(1)), rest
        match = _NUMBER_TITLE.match(inner)
        if match and not _trim(tokens[first_end:]):
            return int(match.group(1)), [_token("text", "", 0, content=match.group(2))]
        return _loose_title(line)
    if first[0].type == "text":
        match = _NUMBER_ONLY.match(first[0].content)
        if match:
            rest = _trim(tokens[first_end:])
            if _is_group(rest, "strong") or _is_group(rest, "link"):
                return int(match.group(1)), rest
    return _loose_title(line)


def _loose_title(line: _Line) -> tuple[int, list[Token]] | None:
    """``**2.** **标题 **``: CommonMark leaves bold with a space inside the markers
    unclosed, but the editor plainly meant a title line."""
    match = _LOOSE_TITLE.match(line.raw) if line.raw.startswith("**") else None
    if match is None:
        return None
    title = match.group(2).strip()
    return int(match.group(1)), [_token("text", "", 0, content=title)] if title else []


def _title_parts(tokens: list[Token]) -> tuple[str, str]:
    """Title text and the title's own link (if it is a link)."""
    href = ""
    if _is_group(tokens, "link"):
        href = str(tokens[0].attrGet("href") or "")
    elif _is_group(tokens, "strong"):
        inner = _trim(tokens[1:-1])
        if _is_group(inner, "link"):
            href = str(inner[0].attrGet("href") or "")
    return " ".join(plain_text(tokens).split()), href


def _url_of(line: _Line) -> str | None:
    """The URL a line consists of, or None if the line is not just a URL."""
    tokens = line.tokens
    if _is_group(tokens, "link"):
        return str(tokens[0].attrGet("href") or "")
    text = plain_text(tokens)
    if text and not _SPACE.search(text):
        raw = line.raw.strip("<>")
        if _BARE_URL.match(raw):
            return raw
        if _BARE_URL.match(text):
            return text
    return None


_SPACED_URL = r"^(\[[^\]]*\]\(\s*)?<?(" + URL_START + r".*?)>?\s*(?(1)\))$"
_URL_CHARS = "[^ \t\n<>\"'()\\[\\]\u3000]*"  # up to a space or a delimiter; control characters too
_URL_WITH_CONTROL = URL_START + _URL_CHARS + "?[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]" + _URL_CHARS
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL_BYTE.fullmatch(bytes([b])))
_C1_CONTROL = re.compile(rb"\xc2[\x80-\x9f]")


def has_control_byte(data: bytes) -> bool:
    """Whether ``_CONTROL_BYTE`` finds anything in ``data`` (the reference: tests
    compare the two), for a twentieth of the regex's time on CJK text: the one-byte
    controls found by deleting every other byte, the two-byte ones (U+0080-U+009F)
    by a pattern that starts with a literal byte."""
    return bool(data.translate(None, _NOT_CONTROL)) or _C1_CONTROL.search(data) is not None


def _spaced_url_of(line: _Line) -> str | None:
    """A URL with whitespace in it written where the URL belongs (alone on its line,
    maybe as ``<…>`` or ``[原文](…)``), for an error that says what is wrong with it."""
    match = re.match(_SPACED_URL, line.raw)
    return match.group(2) if match and _SPACE.search(match.group(2)) else None


def _urls_with_control_characters(text: str, path: str) -> list[Diagnostic]:
    """An error for each URL in ``text`` (before control characters are removed from it)
    that holds one: removing it silently would publish a URL the editor did not write."""
    out = []
    for match in re.finditer(_URL_WITH_CONTROL, text):
        out.append(Diagnostic(path, text.count("\n", 0, match.start()) + 1, "error",
                              f"URL {match.group()!r} {url_problem(match.group())}"))
    return out


def _label_of(line: _Line) -> tuple[str, list[Token]] | None:
    """``(kind, value tokens)`` for a labelled line such as ``**摘要：** …``."""
    tokens = line.tokens
    if not tokens:
        return None
    if tokens[0].type == "strong_open":
        end = _group(tokens, 0)
        inner = plain_text(tokens[:end]).strip()
        rest = tokens[end:]
        name = inner.rstrip(_COLONS).strip()
        if name not in _LABELS:
            return None
        if inner[-1] not in _COLONS:
            if not (rest and rest[0].type == "text" and rest[0].content.lstrip()[:1] in
                    _COLON_CHARS):
                return None
            rest = [_strip_text(rest[0], colon=True), *rest[1:]]
        rest = _trim(rest)
        if rest and rest[0].type == "text":
            rest = [_strip_text(rest[0], colon=False), *rest[1:]]
        return _LABELS[name], rest
    if tokens[0].type == "text":
        # "**摘要：**本文" stays literal text in CommonMark (a closing ** after
        # punctuation must be followed by space or punctuation), so accept the
        # markers here too.
        content = tokens[0].content.lstrip()
        marker = content[:2] if content[:2] in ("**", "__") else ""
        content = content[len(marker):]
        for name, kind in _LABELS.items():
            if not content.startswith(name):
                continue
            after = content[len(name):].lstrip()
            if after[:1] not in _COLON_CHARS:
                continue
            after = after[1:]
            if marker and after.startswith(marker):
                after = after[len(marker):]
            elif marker and after.lstrip().startswith(marker):
                after = after.lstrip()[len(marker):]
            head = _token("text", "", 0, content=after)
            return kind, _trim([_strip_text(head, colon=False), *tokens[1:]])
    return None


def _strip_text(token: Token, *, colon: bool) -> Token:
    """A copy of a text token without leading space (and one leading colon)."""
    content = token.content.lstrip()
    if colon and content[:1] in _COLONS:
        content = content[1:]
    return _token("text", "", 0, content=content.lstrip())


# ---------------------------------------------------------------- front matter and heading

_NUMBER_FORM = "a number from 1 to 9999 in digits (29) or Chinese numerals (二十九)"
_YEAR_FORM = f"a year from {YEARS.start} to {YEARS.stop - 1}"
_DATE_FORM = (f"YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS] with an optional offset such as +08:00, "
              f"in the years {YEARS.start}-{YEARS.stop - 1}")
_FORMS = {"title": "text, e.g. 'title: 云计算技术动态'", "url": "an http(s) URL",
          "number": _NUMBER_FORM, "year": f"{_YEAR_FORM}, e.g. 'year: 2024'",
          "date": _DATE_FORM}
_KINDS = {"null": "nothing (null)", "bool": "true/false", "int": "a number", "float": "a number",
          "timestamp": "a date", "binary": "binary data", "seq": "a list", "map": "a mapping",
          "str": "text", "set": "a set", "omap": "a mapping", "pairs": "a list of pairs"}
_YAML_TAG = "tag:yaml.org,2002:"
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
# full-width and CJK punctuation (not letters or digits) ending a URL: the sentence's, mostly
_CJK_TAIL = ("[\u3001-\u3003\u3008-\u3011\u3014-\u301f\u2018-\u201f\u2026"
             "\u2014\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+$")
_OPENERS = dict(zip("）］｝〉》」』】〕〗〙〛”’", "（［｛〈《「『【〔〖〘〚“‘", strict=True))


def _stray_punctuation(url: str) -> tuple[str, str] | None:
    """The full-width or CJK punctuation ending ``url`` (also percent-encoded, as a
    Markdown link's is) and the URL without it; a closing bracket whose opening one
    is in the URL belongs to it. None if there is none."""
    if url[-1:].isascii() and "%" not in url[-9:]:
        return None
    from urllib.parse import quote, unquote

    text = unquote(url) if "%" in url else url
    match = re.search(_CJK_TAIL, text)
    if match is None:
        return None
    start = match.end()
    while start > match.start():
        char = text[start - 1]
        opener = _OPENERS.get(char)
        if opener is not None and text.count(opener) >= text.count(char):
            break
        start -= 1
    stray = text[start:]
    if not stray:
        return None
    for written in (stray, quote(stray)):
        if url.endswith(written):
            return stray, url[:-len(written)]
    return stray, text[:start]


_FRACTION = r":\d\d([.,]\d+)"


@cache
def _yaml_loader() -> Any:
    """A SafeLoader that refuses aliases, anchors and nesting deeper than a value's list.

    A few lines of aliases expand into gigabytes (a "billion laughs"), and front
    matter needs none of it: every key takes one plain value.
    """
    import yaml
    from yaml.composer import ComposerError
    from yaml.events import AliasEvent, CollectionStartEvent

    class Refused(ComposerError):
        """Valid YAML that front matter does not accept."""

    class FrontMatterLoader(yaml.SafeLoader):
        depth = 0
        refused = Refused

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
                raise Refused(None, None, "aliases and anchors (*name, &name) are not allowed",
                              cast("Mark", event.start_mark))
            if isinstance(event, CollectionStartEvent) and self.depth >= 2:
                raise Refused(None, None, "values cannot be nested; give each key one plain "
                              "value", cast("Mark", event.start_mark))
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return FrontMatterLoader


def _front_matter(lines: list[str], path: str, diags: list[Diagnostic]
                  ) -> tuple[dict[str, Any], dict[str, int], int]:
    """Read YAML front matter: (checked values, the line of each key, lines it used).

    A value of the wrong type or range is an error naming the key, its line and
    the accepted form; such a key is left out of the values.
    """
    if not lines or lines[0].strip() != "---":
        return {}, {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        diags.append(Diagnostic(path, 1, "error",
                                "front matter starts with '---' but never ends; "
                                "close it with a '---' line"))
        return {}, {}, 0
    size = 0
    for i in range(1, end):
        size += len(lines[i]) + 1
        if size > MAX_FRONT_MATTER_CHARS:
            diags.append(Diagnostic(path, i + 1, "error",
                                    f"front matter is longer than the limit of "
                                    f"{MAX_FRONT_MATTER_CHARS:,} characters"))
            return {}, {}, end + 1
    import yaml
    from yaml.nodes import MappingNode, ScalarNode

    loader_class = _yaml_loader()
    loader = loader_class("\n".join(lines[1:end]))
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        what = "" if isinstance(exc, loader_class.refused) else " is not valid YAML"
        diags.append(Diagnostic(path, line, "error", f"front matter{what}: {problem}"))
        return {}, {}, end + 1
    finally:
        loader.dispose()
    if root is None:
        return {}, {}, end + 1
    if not isinstance(root, MappingNode):
        diags.append(Diagnostic(path, 2, "error",
                                "front matter must be 'key: value' lines (a YAML mapping)"))
        return {}, {}, end + 1
    values: dict[str, Any] = {}
    where: dict[str, int] = {}
    for key_node, node in root.value:
        line = key_node.start_mark.line + 2
        if not isinstance(key_node, ScalarNode):
            diags.append(Diagnostic(path, line, "error",
                                    "front matter keys must be plain names such as 'date'"))
            continue
        key = key_node.value
        if key in where:
            diags.append(Diagnostic(path, line, "error", f"front matter {key} is set twice "
                                                         f"(also on line {where[key]})"))
            continue
        where[key] = line
        if key not in _FRONT_MATTER_KEYS:
            diags.append(Diagnostic(path, line, "warning",
                                    f"unknown front matter key {_shown(key)} is ignored "
                                    f"(known: {', '.join(_FRONT_MATTER_KEYS)})"))
            continue
        value, problem = _front_value(key, node)
        if problem:
            diags.append(Diagnostic(path, node.start_mark.line + 2, "error",
                                    f"front matter {key} {problem}; write {_FORMS[key]}"))
        else:
            values[key] = value
    return values, where, end + 1


def _front_value(key: str, node: Any) -> tuple[Any, str]:
    """The value of one front matter key, or what is wrong with it."""
    tag = node.tag[len(_YAML_TAG):] if node.tag.startswith(_YAML_TAG) else node.tag
    text = node.value if isinstance(node.value, str) else ""
    accepted = {"title": ("str",), "url": ("str",), "number": ("int", "str"),
                "year": ("int", "str"), "date": ("timestamp", "str")}[key]
    if tag == "float" and key in ("number", "year"):
        return None, f"must be a whole number, not {_shown(text)[1:-1]}"
    if tag not in accepted:
        return None, f"is {_KINDS.get(tag, f'a value tagged {tag}')}"
    if key in ("title", "url"):
        text = (clean(text) if key == "title" else text).strip()  # a URL is never altered
        if key == "title" and _LINE_BREAK.search(text):  # it heads feeds, pages, `feeds new`
            return None, f"{_shown(text)} holds a line break (the newsletter's name is one line)"
        return (text, "") if text else (None, "is empty")
    if key == "number":
        number = to_issue_number(text)
        return (number, "") if number else (None, f"{_shown(text)} " + (
            _ambiguous(text) or "is out of range or not a number"))
    if key == "year":
        year = to_year(text)
        return (year, "") if year else (None, f"{_shown(text)} is out of range or not a year")
    stamp, problem = _to_date(text)
    fraction = re.search(_FRACTION, text) if stamp else None
    if fraction:  # RSS's dates have no place for them: kept by some formats, not others
        return None, (f"{_shown(text)} has fractional seconds ({fraction.group(1)}), which "
                      "not every feed can carry")
    return (stamp, "") if stamp else (None, f"{_shown(text)} is not a date{problem}")


def _shown(value: str, width: int = 40) -> str:
    """``repr`` of a value, cut to ``width`` characters so that a huge one stays readable."""
    return repr(value if len(value) <= width else value[:width] + "…")


def _key_line(lines: list[str], end: int, key: object) -> int:
    for i in range(1, end):
        if lines[i].lstrip().startswith(f"{key}:"):
            return i + 1
    return 1


def _ambiguous(text: str) -> str:
    """What to say of a number such as 一百一 (see :func:`feeds.numerals.abbreviated`),
    or nothing."""
    meant = abbreviated(unicodedata.normalize("NFKC", text).strip())
    if meant is None:
        return ""
    return (f"may be read as {meant[0]} ({to_chinese(meant[0])}) or as {meant[1]} "
            f"({to_chinese(meant[1])}): write the one meant")


def to_issue_number(text: str) -> int | None:
    """An issue number 1..MAX_ISSUE_NUMBER in digits (also full-width) or Chinese
    numerals, or None."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _ASCII_DIGITS.fullmatch(text):
        number = int(text) if len(text) <= 4 else 0
    elif is_numeral(text):
        try:
            number = parse_chinese(text)
        except ValueError:
            return None
    else:
        return None
    return number if 0 < number <= MAX_ISSUE_NUMBER else None


def to_year(text: str) -> int | None:
    """A year in YEARS written in four digits (also full-width), or None."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not (len(text) == 4 and _ASCII_DIGITS.fullmatch(text)):
        return None
    return int(text) if int(text) in YEARS else None


def _to_date(text: str) -> tuple[date | datetime | None, str]:
    """A date or time from front matter text (ISO 8601 or YAML's timestamp form),
    or a problem; only years in YEARS, so that no date arithmetic can overflow."""
    import yaml

    text = text.strip()
    try:
        if yaml.SafeLoader.timestamp_regexp.match(text):
            from yaml.nodes import ScalarNode

            node = ScalarNode(f"{_YAML_TAG}timestamp", text)
            stamp = yaml.SafeLoader.construct_yaml_timestamp(yaml.SafeLoader(""), node)
        else:
            stamp = datetime.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        return None, "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
    if stamp.year not in YEARS:
        return None, f" (the year {stamp.year} is outside {YEARS.start}-{YEARS.stop - 1})"
    return stamp, ""


def _with_zone(stamp: date | datetime, tz: tzinfo) -> datetime:
    """A date or time, in ``tz`` unless it has an offset of its own.

    Before standard time a zone keeps local mean time, whose offset has seconds
    (Shanghai's +08:05:43 until 1901), which an RFC 3339 date cannot carry: such
    an offset is rounded to the minute.
    """
    if not isinstance(stamp, datetime):
        stamp = datetime.combine(stamp, time(0, 0))
    if stamp.tzinfo:
        return stamp
    offset = stamp.replace(tzinfo=tz).utcoffset()
    if offset is None or offset.total_seconds() % 60 == 0:
        return stamp.replace(tzinfo=tz)
    return stamp.replace(tzinfo=timezone(timedelta(minutes=round(offset.total_seconds() / 60))))


def file_name_date(path: str, tz: tzinfo) -> datetime | None:
    """A ``YYYY-MM-DD`` date in the file's name (``2024-11-20-29.md``)."""
    match = _FILE_DATE.search(PurePath(path).name)
    if not match:
        return None
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return _with_zone(day, tz) if day.year in YEARS else None


# ---------------------------------------------------------------- the parser

class _IssueParser:
    def __init__(self, text: str, path: str, options: ParseOptions, make_slugs: bool) -> None:
        self.path = path
        self.options = options
        self.make_slugs = make_slugs
        self.diags: list[Diagnostic] = []
        self.raw_lines = text.split("\n")
        self.front, self.front_lines, used = _front_matter(self.raw_lines, path, self.diags)
        self.body = "\n" * used + "\n".join(self.raw_lines[used:])
        self.heading: _Heading | None = None
        self.intro: list[list[Token]] = []
        self.sections: list[_DraftSection] = []
        self.current: _Draft | None = None
        self.saw_article = False
        self.link_errors: list[tuple[int, str, str]] = []
        self.link_warnings: list[tuple[int, str, str]] = []
        self.suspects: list[_Suspect] = []
        self._labels: list[int] | None = None  # the 摘要 label lines: see _summary_above
        # section headings that read as an article's title, its URL under them: line,
        # (number, the error, given if build_sections finds it no section of its own)
        self.mistitled: dict[int, tuple[int, str]] = {}

    def error(self, line: int, message: str) -> None:
        self.diags.append(Diagnostic(self.path, line, "error", message))

    def warn(self, line: int, message: str) -> None:
        self.diags.append(Diagnostic(self.path, line, "warning", message))

    # -- walking the token stream

    def _check_char_refs(self, t: Token) -> None:
        """markdown-it turns a reference to no character (``&#0;``, ``&#xD800;``) into
        U+FFFD: an error here, rather than a replacement character in the feeds."""
        if "&#" not in t.content or not any(
                c.type == "text" and "\ufffd" in c.content for c in t.children or []):
            return
        from markdown_it.common.utils import isValidEntityCode

        content = re.sub(_CODE_SPAN, lambda m: re.sub(r"[^\n]", " ", m.group()), t.content)
        for match in re.finditer(_CHAR_REF, content):
            hex_code, decimal = match.groups()
            if not isValidEntityCode(int(hex_code, 16) if hex_code else int(decimal)):
                line = (t.map[0] if t.map else 0) + 1 + content.count("\n", 0, match.start())
                self.error(line, f"character reference {match.group()} is not a character; "
                                 "remove it")

    def _check_links(self, t: Token) -> None:
        """A link in running text whose host no browser could reach (``xn--a.com``,
        ``a..b``) would be dropped from the summary: an error instead. Any other link
        that cannot be published (``mailto:``, a relative path, credentials) is
        dropped with its text kept: a warning says so."""
        if "[" not in t.content and "<" not in t.content:  # no link, no autolink
            return
        children = t.children or []
        for i, child in enumerate(children):
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if not href:
                continue
            problem = host_problem(href)
            dropped = None if problem else url_problem(href)
            if problem or dropped:
                at = t.content.find(href)
                if at < 0:
                    at = t.content.find(urlsplit(href).netloc)
                line = (t.map[0] if t.map else 0) + 1 + t.content.count("\n", 0, max(at, 0))
                kept = "its text is kept without the link"
                if not problem and _without_userinfo(children, i):
                    kept += ", and without the credentials"
                if problem:
                    self.link_errors.append((line, href, f"link {href!r} {problem}"))
                else:
                    self.link_warnings.append((line, href, f"link {href!r} {dropped}; {kept}"))

    def run(self) -> ParseResult:
        from feeds import fastissue

        if fastissue.walk(self):  # the common shape, without markdown-it: see there
            self.close_article()
            return self.finish()
        tokens = markdown().parse(self.body)
        for t in tokens:
            if t.type == "inline":
                self._check_char_refs(t)
                self._check_links(t)
        item_number: int | None = None
        list_kinds: list[str] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.type in _PASSED:
                pass
            elif t.type in ("ordered_list_open", "bullet_list_open"):
                list_kinds.append(t.type)
            elif t.type in ("ordered_list_close", "bullet_list_close"):
                list_kinds.pop()
            elif t.type == "list_item_open" and list_kinds[-1] == "ordered_list_open":
                item_number = int(t.info) if t.info.isdigit() else None
            elif t.type == "heading_open":
                self.on_heading(t, tokens[i + 1])
                i += 2
            elif t.type == "inline" and t.map:
                lines = _split_lines(t.children or [], t.map[0] + 1, self.raw_lines)
                if item_number is not None:
                    lines[0].item_number = item_number
                    item_number = None
                self.note_suspects(lines, t.map[1])
                self.on_paragraph(lines)
            elif t.type == "html_block" and t.map:
                self.on_html_block(t)
            elif t.type in ("fence", "code_block") and t.map:
                if t.type == "fence":
                    self._unclosed_fence(t)
                if self.current:
                    self.add_summary([_token("code_inline", "code", 0,
                                             content=t.content.rstrip())])
            i += 1
        self.close_article()
        return self.finish()

    def on_heading(self, t: Token, inline: Token) -> None:
        line = t.map[0] + 1 if t.map else 0
        children = inline.children or []
        text = " ".join(plain_text(children).split())
        if t.tag == "h1" and self.heading is None and not self.sections:
            self.heading = _Heading(text, line)
            return
        if t.tag == "h1" and _HEADING.match(text):
            if self.heading is not None:
                self.error(line, f"a second issue heading {_shown(text)} (the first is on line "
                                 f"{self.heading.line}): one file holds one issue; put this "
                                 "one in a file of its own")
            else:
                self.error(line, f"the issue heading {_shown(text)} comes after the first "
                                 "section; move it to the top of the file")
            return
        if t.tag == "h2":
            self.close_article()
            if t.markup == "-" and t.map:  # a setext heading: text, then a line of -
                under = t.map[1]
                self.error(under, f"the line {_shown(self.raw_lines[under - 1].strip())} under "
                                  f"{_shown(text)} makes it a section heading; leave a blank "
                                  "line before it for a rule, or write the section as "
                                  f"{_shown('## ' + text)}")
                return
            if not text:
                self.error(line, "section heading is empty; write its name after '## '")
            if len(self.sections) == MAX_SECTIONS:
                self.error(line, f"this is section {MAX_SECTIONS + 1:,} of the issue; the limit is "
                                 f"{MAX_SECTIONS:,} sections per issue (each is a feed of its "
                                 "own): merge sections or split the issue")
            self._article_as_section(line, text)
            self.sections.append(_DraftSection(text, line))
            return
        if t.tag == "h3":
            match = _NUMBER_TITLE.match(text)
            if match:
                title_tokens = _trim(children)
                rest = self._after_number(title_tokens)
                href = ""
                if rest is not None and _is_group(rest, "link"):
                    href = str(rest[0].attrGet("href") or "")
                self.start_article(int(match.group(1)), match.group(2), href, line)
                return
        heading = _Line(tokens=_trim(children), line=line, raw="")
        if t.markup == "=" and t.map and _label_of(heading) is not None:
            # a summary (or another labelled line) over a line of '=': a setext heading
            under = t.map[1]
            self.warn(under, f"the line {_shown(self.raw_lines[under - 1].strip())} under "
                             f"{_shown(text)} makes it a heading in Markdown; remove it (a "
                             "line of '=' is no rule: a rule is '---' after a blank line)")
        else:
            self.note_heading(heading, text, int(t.tag[1:]))
        self.on_paragraph([heading])

    def _article_as_section(self, line: int, text: str) -> None:
        """An error for a section heading that is an article's title written as one
        (``## 2. Title`` with its URL under it): its article would not be published,
        or the next ones would, in a section of that name, as a feed of its own."""
        near = _near_title(text, heading=True) if text[:1] in _TITLE_STARTS else None
        raw = self.raw_lines[line - 1].strip() if line <= len(self.raw_lines) else text
        if near is None or not 0 < near[0] <= MAX_ARTICLE_NUMBER \
                or not self._url_follows(line, raw):  # (raw: a title's own link is no text)
            return
        number, _, title = near
        link = _first_link(raw)
        if link is not None:  # '## 2. [Title](url)': the title keeps its link
            title = link
        # an error only if its articles and a 摘要 under it say so (see build_sections)
        self.mistitled[line] = (number, f"the section heading {_shown(raw, 60)} has a URL "
                                        "under it: it looks like the title of article "
                                        f"{number}, which as a heading would not be published; "
                                        f"write {f'**{number}.** {title}'!r}")

    @staticmethod
    def _after_number(tokens: list[Token]) -> list[Token] | None:
        if tokens and tokens[0].type == "text":
            match = _NUMBER_ONLY.match(tokens[0].content)
            if match:
                return _trim(tokens[1:])
        return None

    def on_html_block(self, t: Token) -> None:
        content = t.content.strip()
        if content.startswith("<!--"):
            self._unclosed_comment(t)
            return
        if not content:
            return
        self._unclosed_html(t)
        if self.current is not None:
            self.add_summary([_token("text", "", 0, content=content)])

    def _unclosed_comment(self, t: Token) -> None:
        """A warning for an HTML comment whose ``-->`` is missing: Markdown hides every line
        after ``<!--`` up to the next ``-->`` anywhere below, or to the end of the file,
        with the articles and sections on them, without a word."""
        assert t.map is not None
        start, end = t.map
        text = t.content
        lines = text.split("\n")
        opened = _shown(lines[0].strip())
        close = text.find("-->", 2)  # '<!-->' closes itself, as markdown-it reads it
        again = text.find("<!--", 4)
        if close < 0 and any(line.strip() for line in lines[1:]):
            hidden = _span(start + 2, end, self._to_the_end(end))
            self.warn(start + 1, f"the HTML comment {opened} opened here is never closed with "
                                 f"'-->': {hidden} inside it and not published; end the "
                                 "comment with '-->'")
        elif 0 <= again < close and any(
                _content_like(line) for line in lines[1:text.count("\n", 0, again)]):
            # (only when it hides what reads as an article or a section: a comment of
            # several lines may hold a '<!--' of its own, and one line may hold two)
            other = start + 1 + text.count("\n", 0, again)
            hidden = _span(start + 2, start + 1 + text.count("\n", 0, close),
                           ", up to that one's '-->',")
            self.warn(start + 1, f"the HTML comment {opened} opened here is not closed before "
                                 f"the next '<!--' (line {other}): {hidden} inside it and not "
                                 "published; end this comment with '-->'")

    def _unclosed_html(self, t: Token) -> None:
        """A warning for an HTML block that Markdown ends only at a closing mark (``<pre>``
        at ``</pre>``, ``<?`` at ``?>``, ``<![CDATA[`` at ``]]>``, ``<!X`` at ``>``), none
        given: every line after it, with its articles and sections, is read as its text."""
        assert t.map is not None
        start, end = t.map
        text = t.content.lstrip(" ")
        opener = re.match(r"<(script|pre|style|textarea)(?=[\s>]|$)", text, re.I)
        if opener is not None:
            close, found = f"</{opener.group(1).lower()}>", re.search(
                r"</(?:script|pre|style|textarea)>", text, re.I) is not None
        else:
            close = next((c for o, c in (("<![CDATA[", "]]>"), ("<?", "?>"), ("<!", ">"))
                          if text.startswith(o)), "")
            found = not close or close in text[2:]
        if found or not any(line.strip() for line in text.split("\n")[1:]):
            return
        where = (f"raw text in the summary of article {self.current.number}"
                 f"{self._in(self.current.section)}" if self.current else
                 "raw HTML, not published")
        self.warn(start + 1, f"the HTML block {_shown(text.split(chr(10), 1)[0].strip())} "
                             f"opened here is never closed with {close!r}: "
                             f"{_span(start + 2, end, self._to_the_end(end))} read as {where}, "
                             f"none of them as an article or a section; close it with {close!r}")

    def _to_the_end(self, end: int) -> str:
        """``, to the end of the file,`` if nothing but blank lines follows line ``end``."""
        return "" if any(line.strip() for line in self.raw_lines[end:]) \
            else ", to the end of the file,"

    def _unclosed_fence(self, t: Token) -> None:
        """A warning for a code fence never closed: Markdown runs it to the end of the file,
        and every article and section below it is read as its code."""
        assert t.map is not None
        start, end = t.map
        last = self.raw_lines[end - 1].strip(" \t>") if start < end - 1 <= len(self.raw_lines) \
            else ""
        if (last and last == last[0] * len(last) and last[0] == t.markup[0]
                and len(last) >= len(t.markup)) or not t.content.strip():
            return
        where = (f"code in the summary of article {self.current.number}"
                 f"{self._in(self.current.section)}" if self.current else "code, not published")
        self.warn(start + 1, f"the code block opened here with {t.markup!r} is never closed: "
                             f"{_span(start + 2, end, self._to_the_end(end))} read as {where}, "
                             "none of them as an article or a section; end the code block "
                             f"with a line {t.markup!r}")

    def on_paragraph(self, lines: list[_Line]) -> None:
        index = 0
        while index < len(lines):
            line = lines[index]
            index += 1
            if not line.tokens or all(t.type == "image" for t in line.tokens):
                continue
            title = _title_of(line)
            if title is not None:
                text, href = _title_parts(title[1])
                self.start_article(title[0], text, href, line.line)
                continue
            label = _label_of(line)
            if label is not None and self.current is not None:
                kind, value = label
                if kind == "summary":
                    self.current.summary_started = True
                    block = list(value)
                    while index < len(lines) and _label_of(lines[index]) is None \
                            and _title_of(lines[index]) is None:
                        block += [_token("softbreak", "br", 0), *lines[index].tokens]
                        index += 1
                    self.add_summary(_trim(block))
                else:
                    self.set_label(kind, value, line.line)
                continue
            url = None
            if self.current is not None and not self.current.summary_started \
                    and not self.current.url_from_line:
                url = _url_of(line)
                if url is None and not self.current.url:
                    url = _spaced_url_of(line)
            if url is not None and self.current is not None:
                self.current.url, self.current.url_line = url, line.line
                self.current.url_from_line = True
                continue
            block = list(line.tokens)
            while index < len(lines) and _label_of(lines[index]) is None \
                    and _title_of(lines[index]) is None:
                block += [_token("softbreak", "br", 0), *lines[index].tokens]
                index += 1
            if self.current is not None:
                self.current.summary_started = True
                self.add_summary(_trim(block))
            elif not self.sections:
                self.intro.append(_trim(block))

    # -- articles

    def start_article(self, number: int, title: str, href: str, line: int) -> None:
        self.close_article()
        self.saw_article = True
        section = self.sections[-1].name if self.sections else None
        if section is None:
            self.error(line, f"article {number} appears before the first section; "
                             "add a '## section name' heading above it")
        self.current = _Draft(title=title, number=number, line=line, section=section,
                              url=href, url_line=line if href else 0)
        if not 0 < number <= MAX_ARTICLE_NUMBER:
            self.error(line, f"article number {number} is out of range 1-{MAX_ARTICLE_NUMBER}")
        if not title:
            self.error(line, f"article {number}{self._in(section)} has an empty title")

    @staticmethod
    def _in(section: str | None) -> str:
        return f" in section {section}" if section else ""

    def add_summary(self, tokens: list[Token]) -> None:
        if self.current is not None and tokens:
            self.current.summary.append(tokens)

    def set_label(self, kind: str, value: list[Token], line: int) -> None:
        assert self.current is not None
        text = " ".join(plain_text(value).split())
        if kind == "author":
            self.current.author = text
        elif kind == "source":
            self.current.source = text
        else:
            self.current.tags = tuple(t.strip() for t in _TAG_SPLIT.split(text) if t.strip())

    def close_article(self) -> None:
        draft, self.current = self.current, None
        if draft is None:
            return
        where = f"article {draft.number}{self._in(draft.section)}"
        if not draft.url:
            self.error(draft.line, f"{where} has no URL; put its http(s) link on the line "
                                   "after the title")
        elif (problem := url_problem(draft.url)) is not None:
            self.error(draft.url_line or draft.line, f"{where}: URL {draft.url!r} {problem}")
        elif (stray := _stray_punctuation(draft.url)) is not None:
            self.warn(draft.url_line or draft.line,
                      f"{where}: URL {draft.url!r} ends in the punctuation {stray[0]!r}, "
                      f"which is published as part of the link; if it is the sentence's, "
                      f"write {stray[1]!r}")
        elif (written := respelled(draft.url)) is not None:
            self.warn(draft.url_line or draft.line,
                      f"{where}: URL {draft.url!r} is published as {written} (its host "
                      "holds full-width, invisible or otherwise mapped characters); the id "
                      "comes from the text as written: correcting it later gives the article "
                      "a new id")
        if not draft.summary:
            self.warn(draft.line, f"{where} has no summary (摘要)")
        if self.sections and draft.section is not None:
            self.sections[-1].drafts.append(draft)

    # -- the result

    def finish(self) -> ParseResult:
        tz = self.options.tz
        urls = {(d.url_line, d.url) for section in self.sections for d in section.drafts}
        for line, href, message in self.link_errors:
            if (line, href) not in urls:  # an article's own URL has its error already
                self.error(line, message)
        for line, href, message in self.link_warnings:
            if (line, href) not in urls:
                self.warn(line, message)
        name, year, number = "", None, None
        heading_line = self.heading.line if self.heading else 1
        front = self.front
        # A number or year that front matter sets (or that has an error already) needs no
        # second error from the heading.
        number_told = "number" in self.front_lines
        year_told = "year" in self.front_lines
        match = _HEADING.match(self.heading.text) if self.heading else None
        if match:
            name = match.group("name").strip(" 《》")
            year = to_year(match.group("year"))
            if year is None and not year_told:
                year_told = True
                self.error(heading_line, f"the year {match.group('year')} in the heading is "
                                         f"not {_YEAR_FORM}")
            number = to_issue_number(match.group("number"))
            if number is None and not number_told:
                number_told = True
                why = _ambiguous(match.group("number")) or f"is not {_NUMBER_FORM}"
                self.error(heading_line, f"the issue number {_shown(match.group('number'))} "
                                         f"in the heading {why}")
        elif self.heading:
            name = self.heading.text.strip(" 《》")
        if "title" in front:
            name = front["title"]
        for key, value, told in (("year", year, front.get("year")),
                                 ("number", number, front.get("number"))):
            if told is not None and value is not None and told != value:
                self.warn(self.front_lines[key], f"front matter '{key}: {told}' overrides the "
                          f"{key} {value} in the heading (line {heading_line}); the issue is "
                          f"published with {key} {told}: correct the one that is wrong")
        if "number" in front:
            number = front["number"]
        issue_date, date_source = None, ""
        if "date" in front:
            issue_date = _with_zone(front["date"], tz)
            date_source = "front matter"
        if issue_date is None:
            issue_date = file_name_date(self.path, tz)
            date_source = "file name" if issue_date else ""
        if "year" in front:
            year = front["year"]
        if year is None and issue_date is not None:
            year = issue_date.year
        url = ""
        if "url" in front:
            url = str(front["url"]).strip()
            problem = url_problem(url)
            if problem is not None:
                self.error(_key_line(self.raw_lines, len(self.raw_lines), "url"),
                           f"front matter url {url!r} {problem}")
                url = ""
        if number is None and not number_told:
            self.error(heading_line, "no issue number: write the heading as "
                                     "'# 云计算技术动态 2024 年第二十九期' or set 'number:' in "
                                     "front matter")
        if year is None and not year_told:
            self.error(heading_line, "no year: write it in the heading ('2024 年第…期') or set "
                                     "'year:' or 'date:' in front matter")
        sections = self.build_sections()
        self.check_suspects()
        if self.heading and not sections and not self.saw_article:
            self.warn(heading_line, "the issue has no sections and so no articles; add a "
                                    "'## section name' heading with the articles under it")
        errors = [d for d in self.diags if d.level == "error"]
        if errors:
            raise ParseError(sorted(self.diags, key=lambda d: (d.line, d.level)))
        assert year is not None and number is not None
        issue = Issue(
            path=self.path, name=name or "", year=year, number=number, date=issue_date,
            sections=sections, url=url, title=self.heading.text if self.heading else "",
            intro_html="".join(f"<p>{render_inline(p)}</p>" for p in self.intro),
            intro_text="\n\n".join(plain_text(p).strip() for p in self.intro),
            date_source=date_source, heading_line=heading_line,
        )
        return ParseResult(issue, tuple(sorted(self.diags, key=lambda d: (d.line, d.level))))

    def build_sections(self) -> tuple[Section, ...]:
        out: list[Section] = []
        seen_urls: dict[str, tuple[str, int]] = {}
        for at, draft_section in enumerate(self.sections):
            name, line, drafts = draft_section.name, draft_section.line, draft_section.drafts
            end = self.sections[at + 1].line if at + 1 < len(self.sections) \
                else len(self.raw_lines) + 1
            slug = self.options.section_slugs.get(name) \
                or (slugify(name) if self.make_slugs else known_slug(name) or "")
            previous = 0
            if line in self.mistitled and (
                    (drafts and drafts[0].number <= self.mistitled[line][0])
                    or not self._summary_above(line + 1, drafts[0].line if drafts else end)):
                # its articles do not follow its number ('## 1. 分布式系统' and a link under
                # it, then its articles 1, 2…; '## 2. 云计算', then 2, its article 1's title
                # not read), or no 摘要 comes before its first article (a section's own link,
                # its articles numbered on from the last section's): a section, its text
                # before its first article checked as any
                del self.mistitled[line]
            if line in self.mistitled:
                # an article's title as a heading: its own number, the next follow it
                previous, message = self.mistitled[line]
                self.error(line, message)
            elif not drafts:
                self.warn(line, f"section {name} has no articles")
            articles = []
            for position, draft in enumerate(drafts, start=1):
                if previous + 1 < draft.number <= MAX_ARTICLE_NUMBER:  # else an error already
                    missing = (f"article {previous + 1} is" if draft.number == previous + 2
                               else f"articles {previous + 1}-{draft.number - 1} are")
                    self.warn(draft.line, f"article {draft.number} in section {name} follows "
                                          f"article {previous}; {missing} missing")
                if 0 < draft.number <= previous:
                    self.warn(draft.line, _backwards(draft.number, name, previous))
                if 0 < draft.number <= MAX_ARTICLE_NUMBER:
                    previous = draft.number
                link = published_url(draft.url) if is_web_url(draft.url) else draft.url
                if link in seen_urls:
                    other, other_line = seen_urls[link]
                    self.warn(draft.url_line or draft.line,
                              f"article {draft.number} in section {name} has the same URL as "
                              f"{other} (line {other_line})")
                else:
                    seen_urls[link] = (f"article {draft.number} in section {name}",
                                       draft.url_line or draft.line)
                articles.append(Article(
                    title=draft.title, url=draft.url,
                    summary_html="".join(f"<p>{render_inline(p)}</p>" for p in draft.summary),
                    summary_text="\n\n".join(plain_text(p).strip() for p in draft.summary),
                    position=position, line=draft.line, author=draft.author,
                    source=draft.source, tags=draft.tags,
                ))
            out.append(Section(name=name, slug=slug, articles=tuple(articles), line=line))
        return tuple(out)

    # -- typos that would otherwise swallow an article or a section without a word

    def note_suspects(self, lines: list[_Line], end: int) -> None:
        """Note the lines of a paragraph (ending before line ``end``) that may be an
        editor's typo: whether they are is known once the articles are (see
        :meth:`check_suspects`). Cheap tests of the line's text come first."""
        current = self.current
        # a paragraph's first line is the current article's own URL or first summary
        # when on_paragraph takes it as such: no suspect
        own_url = current is not None and not current.url_from_line \
            and not current.summary_started
        own_summary = current is not None and not current.summary_started
        for line in lines:
            raw = line.raw
            first = raw[:1]
            if not first or first in "-+>|!":
                continue
            if first in "hH<":
                if not (own_url and line is lines[0]) and _is_url_line(raw):
                    self.suspects.append(_Suspect(line.line, end, "url", raw))
            elif "摘要" in raw[:6]:
                if not (own_summary and line is lines[0]) and _is_summary_label(raw):
                    self.suspects.append(_Suspect(line.line, end, "summary", raw))
            elif first in _TITLE_STARTS:
                near = _near_title(raw)
                if near is not None and self._url_follows(line.line, raw) \
                        and _title_of(line) is None:
                    number, reason, title = near
                    self.suspects.append(_Suspect(line.line, end, "title", raw, reason,
                                                  f"**{number}.** {title}"))
                elif len(lines) == 1 and _is_group(line.tokens, "strong") \
                        and len(raw) <= 40 and _label_of(line) is None:
                    name = " ".join(plain_text(line.tokens).split())
                    self.suspects.append(_Suspect(line.line, end, "heading?", raw,
                                                  "a bold line alone is not a section "
                                                  "heading", f"## {name}"))
            elif first in "#＃" and len(lines) == 1 \
                    and (suspect := _heading_typo(line.line, end, raw)) is not None:
                self.suspects.append(suspect)

    def note_heading(self, line: _Line, text: str, level: int) -> None:
        """A heading of a level that is neither the issue's, a section's nor an article
        title's: an article title (if a URL follows) or a section heading mistyped."""
        raw = self.raw_lines[line.line - 1].strip() if line.line <= len(self.raw_lines) else ""
        near = _near_title(text, heading=True)
        if near is not None and self._url_follows(line.line, text) and _title_of(line) is None:
            number, reason, title = near
            reason = reason if level == 3 else (f"a level-{level} heading: an article title "
                                                "is a level-3 heading ('### ')")
            self.suspects.append(_Suspect(line.line, line.line + 1, "title", raw, reason,
                                          f"### {number}. {title.strip('*_ ')}"))
        elif near is None and text:
            self.suspects.append(_Suspect(line.line, line.line + 1, "heading?", raw,
                                          f"a level-{level} heading ({'#' * level}) is not a "
                                          "section heading", f"## {text}"))

    def _url_follows(self, line: int, text: str) -> bool:
        """Whether the next non-blank line after ``line`` is a URL alone (or ``text``, a
        title, holds its own link)."""
        if "](http" in text:
            return True
        for raw in self.raw_lines[line:line + 4]:
            if raw.strip():
                return _is_url_line(raw.strip()) or re.match(_LINK_LINE, raw.strip()) is not None
        return False

    def _next_is_title(self, end: int, titles: set[int]) -> bool:
        """Whether the first non-blank line from line ``end`` + 1 on is an article's title."""
        for number in range(end + 1, min(end + 6, len(self.raw_lines) + 1)):
            if self.raw_lines[number - 1].strip():
                return number in titles
        return False

    def _summary_above(self, start: int, end: int) -> int:
        """The first line from ``start`` up to ``end`` that is a 摘要 label, or 0. The
        file's label lines are found once: each suspect line asks, and a hostile file
        has thousands (a scan each was some 0.8 s at 5,000 lines)."""
        if self._labels is None:
            self._labels = [n for n, raw in enumerate(self.raw_lines, start=1)
                            if "摘要" in raw and _is_summary_label(raw.strip())]
        at = bisect_left(self._labels, start)
        if at < len(self._labels) and self._labels[at] < min(end, len(self.raw_lines) + 1):
            return self._labels[at]
        return 0

    def check_suspects(self) -> None:
        """A warning for each noted line that, now that the articles are known, hides
        an article or a section: a title not read as one, a URL or 摘要 inside an
        article after its own, a section heading not read as one."""
        marks: list[tuple[int, _Draft | None, str]] = []
        for section in self.sections:
            marks.append((section.line, None, section.name))
            marks.extend((d.line, d, section.name) for d in section.drafts)
        marks.sort(key=lambda m: m[0])
        starts = [m[0] for m in marks]
        titles = {d.line for section in self.sections for d in section.drafts}
        explained: set[int] = set()  # articles whose hidden article has a warning already
        for s in self.suspects:
            at = bisect_left(starts, s.line) - 1
            draft, held = (marks[at][1], marks[at][2]) if at >= 0 else (None, "")
            place = f"article {draft.number} in section {held}" if draft else (
                f"section {held}" if held else "the intro")
            # text in a section before its first article is not published at all
            read = f"read as text of {place}" if draft or not held else (
                f"not published (text in {place} before its first article)")
            mark = draft.line if draft else (marks[at][0] if at >= 0 else 0)
            if s.kind == "title":
                self.warn(s.line, f"{_shown(s.raw, 60)} looks like the title of an article "
                                  f"(its URL follows) but is not read as one ({s.reason}); "
                                  f"it is {read}: write {s.fix!r}")
                explained.add(mark)
            elif draft is None and mark not in explained and mark not in self.mistitled \
                    and (s.kind == "url" or (s.kind == "summary" and held)) \
                    and (label := self._summary_above(s.line + (s.kind == "url"),
                                                      _next_start(starts, at))):
                # an article before the section's first one (or the first section), its
                # title not read as one: its URL, or its 摘要, has no article to go to (a
                # 摘要 alone in the intro is the intro's own text, published with it)
                explained.add(mark)
                following = marks[at + 1][1] if at + 1 < len(marks) else None  # its section's
                number = max(following.number - 1, 1) if following else 1
                what = "a URL alone on its line" if s.kind == "url" else "a 摘要"
                after = f", with a 摘要 after it (line {label})," if s.kind == "url" else ","
                before = "its first article" if held else "the first section"
                fate = "not published" if held else read  # (the intro is published)
                self.warn(s.line, f"{what} in {place}, before {before}{after} is "
                                  f"{fate}; if it is an article's, that "
                                  "article's title above it was not read as one: write it as "
                                  f"'**{number}.** **Title**'")
            elif draft is None or draft.line in explained:
                if s.kind.startswith("heading"):
                    self._heading_warning(s, held, titles)
            elif s.kind == "url" and draft.url and s.line > draft.url_line \
                    and self._summary_above(s.line + 1, _next_start(starts, at)):
                explained.add(draft.line)  # a URL and a 摘要 after it: an article's
                self.warn(s.line, f"a URL alone on its line inside {place}, after its URL "
                                  f"(line {draft.url_line}), is read as text of its summary; "
                                  "if it is another article's, that article's title above it "
                                  "was not read as one: write it as "
                                  f"'**{draft.number + 1}.** **Title**'")
            elif s.kind == "summary" and (first := self._summary_above(draft.line, s.line)):
                explained.add(draft.line)
                self.warn(s.line, f"a second 摘要 in {place} (the first is on line {first}); "
                                  "if it is another article's, that article's title above it "
                                  "was not read as one: write it as "
                                  f"'**{draft.number + 1}.** **Title**'")
            elif s.kind.startswith("heading"):
                self._heading_warning(s, held, titles)

    def _heading_warning(self, s: _Suspect, section: str, titles: set[int]) -> None:
        if s.kind == "heading?" and not self._next_is_title(s.end, titles):
            return
        place = f"section {section}" if section else "the intro"
        self.warn(s.line, f"{_shown(s.raw, 60)} looks like a section heading but is not "
                          f"one ({s.reason}); what follows stays in {place}: write {s.fix!r}")


class _Suspect(NamedTuple):
    """A line that may be a typo hiding an article or a section (see
    :meth:`_IssueParser.check_suspects`): ``kind`` is ``url``, ``summary``, ``title``,
    ``heading!`` (always a typo) or ``heading?`` (one if an article's title follows)."""

    line: int
    end: int  # the line after its paragraph
    kind: str
    raw: str
    reason: str = ""
    fix: str = ""


_CN_NUMERAL = "〇零一二两三四五六七八九十百"
_TITLE_STARTS = "*_0123456789" + _CN_NUMERAL
_NEAR_TITLE = re.compile(r"^(\*\*|__)?\s*(\d{1,4}|[" + _CN_NUMERAL + r"]{1,4})\s*"
                         r"([.、．。:：,，;；)）])?\s*(\*\*|__)?\s*(\S.*)$")
_LINK_LINE = r"(?i)^\[[^\]]*\]\(\s*<?https?://[^\s)]*>?\s*\)$"  # compiled when first used, as:
_LINK_TAIL = r"(?i)\]\(\s*+<?https?://[^\s)]*+"  # a link's '](http…' up to its ')', if any
_HASHES = r"^([#＃]+)\s*(\S.*)$"
_HASHTAGS = r"\s#\S"


def _is_url_line(raw: str) -> bool:
    """Whether ``raw`` (a stripped line) is an http(s) URL alone, maybe in ``<…>``."""
    text = raw[1:-1] if raw[:1] == "<" and raw[-1:] == ">" else raw
    return text[:8].lower().startswith(("http://", "https://")) and not _SPACE.search(text)


def _is_summary_label(raw: str) -> bool:
    """Whether ``raw`` (a stripped line) starts with a 摘要 label, as :func:`_label_of` reads it."""
    head = raw.lstrip("*_")
    return head.startswith("摘要") and head[2:].lstrip("*_ ")[:1] in _COLON_CHARS


def _near_title(text: str, heading: bool = False) -> tuple[int, str, str] | None:
    """``(number, why it is no title, the title part)`` of a line that starts like an
    article title (a number in bold, or followed by a separator or a bold title; in a
    heading, also a space) but is not one as written; None for any other line."""
    match = _NEAR_TITLE.match(text)
    if match is None:
        return None
    opened, digits, separator, closed, title = match.groups()
    if not opened and closed:
        title, closed = closed + title, None
    elif opened and not closed:
        title = opened + title
    spaced = heading and text[len(digits):len(digits) + 1].isspace()
    if not (separator or closed or spaced or title.startswith(("**", "__", "["))):
        return None
    if not title.startswith(("**", "__", "[")):
        title = f"**{title}**"
    elif separator in (".", "、", "．") and digits.isdigit() and not heading:
        return None  # a title as written: if it is not read as one, not for a typo of its number
    if not digits.isdigit():
        try:
            number = parse_chinese(digits)
        except ValueError:
            return None
        return number, f"the number {digits} is in Chinese numerals: write digits", title
    if separator in (".", "、", "．"):
        reason = "the title is neither in bold nor a link"
    elif separator:
        reason = f"{separator!r} after the number: write '.', '、' or '．'"
    else:
        reason = "no '.' after the number"
    return int(digits), reason, title


def _content_like(raw: str) -> bool:
    """Whether a line reads as part of an article or a section: a heading, a URL alone,
    a 摘要 label or a numbered title."""
    line = raw.strip()
    return bool(line) and (line[0] in "#＃" or _is_url_line(line) or _is_summary_label(line)
                           or (line[0] in _TITLE_STARTS and _near_title(line) is not None))


def _first_link(raw: str) -> str | None:
    """The first ``[text](http…)`` in ``raw`` (``http…`` without a space, then a ``)``
    after spaces, maybe), the match a regex search of it found, in one pass: that search
    tried each ``[`` and ran each to the end of its URL, so a heading of 500 ``[](http://``
    and a long tail took some 0.1 s, and 19 of them (within the limits) 2 s a parser path.
    Each ``[`` up to a ``]`` shares that ``]``, so the first of them is tried alone; a
    ``](`` inside a URL already run to its end in vain fails the same way."""
    ran = 0
    start = raw.find("[")
    while start >= 0:
        close = raw.find("]", start)
        if close < 0:
            return None
        if close + 2 >= ran and (tail := re.compile(_LINK_TAIL).match(raw, close)) is not None:
            end = re.compile(r"\s*+\)").match(raw, tail.end())
            if end is not None:
                return raw[start:end.end()]
            ran = tail.end()
        start = raw.find("[", close + 1)
    return None


def _span(first: int, last: int, between: str = "") -> str:
    """``line 12 is`` or ``lines 12-25 are``, ``between`` before the verb."""
    return f"line {first}{between} is" if first == last else f"lines {first}-{last}{between} are"


def _next_start(starts: list[int], at: int) -> int:
    """The line where the mark after ``starts[at]`` begins (past the end if none)."""
    return starts[at + 1] if at + 1 < len(starts) else 1 << 30


def _heading_typo(line: int, end: int, raw: str) -> _Suspect | None:
    """A paragraph of one line that starts with ``#`` or ``＃``: ``##name`` and ``＃＃ name``
    are section headings mistyped; ``#name`` one if an article's title follows."""
    match = re.match(_HASHES, raw)
    hashes, name = (match.group(1), match.group(2)) if match else ("", raw)
    if "＃" in hashes:
        return _Suspect(line, end, "heading!", raw, "'＃' is a full-width character: a heading "
                                                    "is written with '#'", f"## {name}")
    if len(hashes) >= 2:
        return _Suspect(line, end, "heading!", raw, f"no space after {hashes!r}", f"## {name}")
    if re.search(_HASHTAGS, name):
        return None  # '#分布式 #共识': hashtags, not a heading
    return _Suspect(line, end, "heading?", raw, "'#' without a space is text, and a section "
                                                "heading is '## '", f"## {name}")


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
         (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))  # UTF-32's first: FF FE 00 00


def _backwards(number: int, section: str, previous: int) -> str:
    """The warning for an article number that repeats or goes back within a section."""
    what = "repeats it" if number == previous else "goes back"
    return (f"article {number} in section {section} follows article {previous}: its number "
            f"{what}; number the articles of a section 1, 2, 3…, or if it starts a new section, "
            "add its '## name' heading above it")


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (BOM and control characters removed, LF endings), or a ParseError
    naming the bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        for bom, encoding in _BOMS:
            if data.startswith(bom):
                raise ParseError([Diagnostic(
                    path, 1, "error",
                    f"the file is {encoding}, not UTF-8 (it starts with the byte order mark "
                    f"{bom.hex(' ').upper()}); convert it to UTF-8, e.g. "
                    f"'iconv -f {encoding} -t UTF-8 {path}'")]) from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError([Diagnostic(
            path, line, "error",
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"({exc.reason}); convert the file to UTF-8, e.g. "
            f"'iconv -f GB18030 -t UTF-8 {path}'")]) from None
    if text.startswith("\ufeff"):
        raise ParseError([Diagnostic(
            path, 1, "error", "a second byte order mark (EF BB BF) follows the first at the "
                              "start of the file: remove it")])
    return clean(text.replace("\r\n", "\n").replace("\r", "\n"))


def check_limits(data: bytes, path: str) -> str:
    """The file as text, or a ParseError naming the first limit it passes (see
    :mod:`feeds.limits`), before anything costly is done with it."""
    if len(data) > MAX_FILE_BYTES:
        at = data.count(b"\n", 0, MAX_FILE_BYTES) + 1
        raise ParseError([Diagnostic(
            path, at, "error",
            f"the file is larger than the limit of {MAX_FILE_BYTES:,} bytes "
            f"({MAX_FILE_BYTES // 1024} KiB) per issue, which it passes on this line: "
            "split the issue")])
    text = decode(data, path)
    lines = text.split("\n")
    count = len(lines) - (lines[-1] == "")
    if count > MAX_LINES:
        raise ParseError([Diagnostic(
            path, MAX_LINES + 1, "error",
            f"the file has {count:,} lines; the limit is {MAX_LINES:,} lines per issue: "
            "split the issue")])
    if max(map(len, lines)) <= MAX_LINE_CHARS and \
            sum(text.count(c) for c in MARKUP_CHARS) <= MAX_MARKUP:
        return text
    markup = 0
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            message = (f"the line is {len(line):,} characters long; the limit is "
                       f"{MAX_LINE_CHARS:,} characters per line: break it (a paragraph may "
                       "run over several lines)")
            raise ParseError([Diagnostic(path, number, "error", message)])
        markup += sum(line.count(c) for c in MARKUP_CHARS)
        if markup > MAX_MARKUP:
            message = (f"more than {MAX_MARKUP:,} Markdown markup characters "
                       f"({' '.join(MARKUP_CHARS)}) by this line; the limit is {MAX_MARKUP:,} "
                       "per issue: split the issue or use less markup")
            raise ParseError([Diagnostic(path, number, "error", message)])
    return text


def parse_issue(data: bytes | str, path: str, options: ParseOptions | None = None, *,
                make_slugs: bool = True) -> ParseResult:
    """Parse one issue file; raise :class:`ParseError` listing every error found.

    The issue's date comes from front matter or the file name; when neither has
    one, ``issue.date`` is None and the caller supplies it (git history, mtime).
    With ``make_slugs`` False, a section whose slug is neither configured nor
    already known gets an empty one, for the caller to fill in (making it loads
    pypinyin). Two sections with the same slug are the caller's to find. A file
    past one of the limits in :mod:`feeds.limits` gets only that error.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    text = check_limits(data, path)
    parser = _IssueParser(text, path, options or ParseOptions(), make_slugs)
    if has_control_byte(data):
        raw = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        parser.diags.extend(_urls_with_control_characters(raw, path))
    return parser.run()


