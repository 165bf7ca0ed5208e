"""Fast paths for markdown-it's block and inline steps, for the few shapes issues use.

markdown-it-py tries each of its block rules at every line, and its inline rules at
every markup character before post-processing delimiters: together some three fifths of
the time an issue takes to parse. Nearly every issue is ATX headings and one-line paragraphs,
and nearly every inline is plain text, ``**1.** **标题**``, a bare URL or ``**摘要:** …``.
For a document of headings, paragraphs of plain lines and blank lines, :func:`blocks`
makes exactly the tokens markdown-it's block step would; for inline content in a small
grammar (no backslash, backtick, ``[``, ``<`` or character reference; ``**`` pairs that
cannot nest ambiguously; ``_`` that cannot pair) :func:`children` makes exactly the
children its inline step (and ``text_join``) would. Either returns None for anything
else, which markdown-it then parses as before. :func:`install` puts both in
markdown-it's own seam, the core ruler's ``block`` and ``inline`` rules, so the parser
still reads a markdown-it token stream.

The reference path is markdown-it's: set ``ENABLED = False`` here, or
``FEEDS_FAST_MARKDOWN=0`` in the environment (read once, at import), to turn the fast
paths off. tests/test_fastmarkdown.py compares the two, token by token and build by build.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING, Literal

from markdown_it.common.entities import entities
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace, mdTrim
from markdown_it.rules_core import block, text_join
from markdown_it.rules_core.state_core import StateCore
from markdown_it.rules_inline.entity import DIGITAL_RE, NAMED_RE
from markdown_it.token import Token

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ENABLED = os.environ.get("FEEDS_FAST_MARKDOWN", "1") != "0"

# The configuration whose inline step this module reproduces (markdown-it's commonmark
# preset): with any other, install() leaves markdown-it as it is.
_CORE_RULES = ["normalize", "block", "inline", "text_join"]
_BLOCK_RULES = ["code", "fence", "blockquote", "hr", "list", "reference", "html_block",
                "heading", "lheading", "paragraph"]
_INLINE_RULES = ["text", "newline", "escape", "backticks", "emphasis", "link", "image",
                 "autolink", "html_inline", "entity"]
_INLINE_RULES2 = ["balance_pairs", "emphasis", "fragments_join"]

_MARKS = re.compile(r"\*+|_+|\n[ \t]*|&|[\\`\[<]")
_REFUSED = "\\`[<"
_TOKEN_FIELDS = ("type", "tag", "nesting", "attrs", "map", "level", "children", "content",
                 "markup", "info", "meta", "block", "hidden")

_TEXT, _OPEN, _CLOSE = 0, 1, 2
_KINDS: dict[str, tuple[bool, bool]] = {}  # character -> (punctuation, whitespace)
_KINDS_KEPT = 4096


def _kind(char: str) -> tuple[bool, bool]:
    """Whether markdown-it counts ``char`` as punctuation and as whitespace next to a
    delimiter run (remembered for the first few thousand characters seen)."""
    kind = _KINDS.get(char)
    if kind is None:
        code = ord(char)
        kind = (isMdAsciiPunct(code) or isPunctChar(char), isWhiteSpace(code))
        if len(_KINDS) < _KINDS_KEPT:
            _KINDS[char] = kind
    return kind


def _flanking(src: str, start: int, end: int) -> tuple[bool, bool, bool, bool]:
    """(left flanking, right flanking, punctuation before, punctuation after) of the
    delimiter run ``src[start:end]``, as markdown-it's ``StateInline.scanDelims``."""
    last_punct, last_space = _kind(src[start - 1]) if start > 0 else (False, True)
    next_punct, next_space = _kind(src[end]) if end < len(src) else (False, True)
    left = not (next_space or (next_punct and not (last_space or last_punct)))
    right = not (last_space or (last_punct and not (next_space or next_punct)))
    return left, right, last_punct, next_punct


def _roles(src: str, marks: list[tuple[int, int]]) -> dict[int, int] | None:
    """What each ``*`` run that is not text becomes (strong open or close), by start;
    None when the runs are outside the small grammar or a ``_`` run might pair."""
    roles: dict[int, int] = {}
    openers: list[int] = []
    underscore_opener = False
    for start, end in marks:
        char = src[start]
        if char == "*":
            left, right, _, _ = _flanking(src, start, end)
            if not (left or right):
                continue
            if (left and right) or end - start != 2:
                return None
            if left:
                openers.append(start)
            elif openers:
                roles[openers.pop()] = _OPEN
                roles[start] = _CLOSE
        elif char == "_":
            left, right, last_punct, next_punct = _flanking(src, start, end)
            if right and (not left or next_punct) and underscore_opener:
                return None
            if left and (not right or last_punct):
                underscore_opener = True
        elif char == "&":
            if src.startswith("&#", start):
                if DIGITAL_RE.match(src, start):
                    return None
            else:
                named = NAMED_RE.match(src, start)
                if named and named.group(1) in entities:
                    return None
    return roles


_new = Token.__new__


def _token(kind: str, tag: str, nesting: Literal[-1, 0, 1], level: int, content: str = "",
           markup: str = "") -> Token:
    """``Token(kind, tag, nesting, level=level, content=content, markup=markup)``, made
    without the dataclass's ``__init__`` (twice as fast); :func:`install` checks that
    the fields set here are all a Token has."""
    token = _new(Token)
    token.type = kind
    token.tag = tag
    token.nesting = nesting
    token.attrs = {}
    token.map = None
    token.level = level
    token.children = None
    token.content = content
    token.markup = markup
    token.info = ""
    token.meta = {}
    token.block = False
    token.hidden = False
    return token


def children(src: str) -> list[Token] | None:
    """The children markdown-it's inline step (with its post-processing and the core
    ``text_join`` rule) makes of ``src``, or None if ``src`` is outside the small grammar."""
    marks = [match.span() for match in _MARKS.finditer(src)]
    if not marks:
        return [_token("text", "", 0, 0, src)] if src else []
    if any(src[start] in _REFUSED for start, _ in marks):
        return None
    roles = _roles(src, marks)
    if roles is None:
        return None
    out: list[Token] = []
    parts: list[str] = []  # the text token being gathered (adjacent texts are joined)
    gathering = False
    depth = 0
    pos = 0  # start of markdown-it's pending text
    for start, end in marks:
        char = src[start]
        if char == "&":
            continue
        pending = src[pos:start]
        pos = end
        if char == "\n":
            kind = "softbreak"
            if pending.endswith("  "):
                pending, kind = pending.rstrip(" "), "hardbreak"
            elif pending.endswith(" "):
                pending = pending[:-1]
            if pending:
                parts.append(pending)
                gathering = True
            if gathering:
                out.append(_token("text", "", 0, depth, "".join(parts)))
                parts, gathering = [], False
            out.append(_token(kind, "br", 0, depth))
            continue
        if pending:
            parts.append(pending)
            gathering = True
        role = roles.get(start, _TEXT)
        if role == _TEXT:
            parts.append(src[start:end])
            gathering = True
        elif role == _OPEN:
            out.append(_token("text", "", 0, depth, "".join(parts)))  # with the outer marker's
            out.append(_token("strong_open", "strong", 1, depth, markup="**"))
            parts, gathering = [], False
            depth += 1
        else:
            if gathering:
                out.append(_token("text", "", 0, depth, "".join(parts)))
            depth -= 1
            out.append(_token("strong_close", "strong", -1, depth, markup="**"))
            parts, gathering = [], True  # the outer marker's empty text token
    if pos < len(src):
        parts.append(src[pos:])
        gathering = True
    if gathering:
        out.append(_token("text", "", 0, depth, "".join(parts)))
    return out


# A line that may start a block other than a paragraph or an ATX heading (code,
# fence, quote, rule, list, reference, HTML, setext underline), or may continue one.
_BLOCK_START = re.compile(r"[ \t>`~<\[=+\-_]|\*(?:[ \t]|[* \t]*$)|[0-9]+[.)]")
_HEADING = re.compile(r"(#{1,6})(?:[ \t]([^#]*))?")


def _block_token(kind: str, tag: str, nesting: Literal[-1, 0, 1], level: int,
                 line_map: list[int] | None, content: str = "", markup: str = "") -> Token:
    token = _token(kind, tag, nesting, level, content, markup)
    token.map = line_map
    token.block = True
    return token


def blocks(src: str) -> list[Token] | None:
    """The tokens markdown-it's block step makes of ``src`` (inline tokens with empty
    children), or None if ``src`` holds anything but paragraphs of plain lines, ATX
    headings without closing ``#``, and blank lines."""
    lines = src.split("\n")
    count = len(lines)
    out: list[Token] = []
    i = 0
    while i < count:
        line = lines[i]
        if not line.strip(" \t"):
            i += 1
            continue
        if line[0] == "#":
            heading = _HEADING.fullmatch(line)
            if heading is None:
                return None
            tag, markup = f"h{len(heading.group(1))}", heading.group(1)
            out.append(_block_token("heading_open", tag, 1, 0, [i, i + 1], markup=markup))
            inline = _block_token("inline", "", 0, 1, [i, i + 1], mdTrim(heading.group(2) or ""))
            inline.children = []
            out.append(inline)
            out.append(_block_token("heading_close", tag, -1, 0, None, markup=markup))
            i += 1
            continue
        start = i
        while i < count and lines[i].strip(" \t") and lines[i][0] != "#":
            if _BLOCK_START.match(lines[i]):
                return None
            i += 1
        out.append(_block_token("paragraph_open", "p", 1, 0, [start, i]))
        inline = _block_token("inline", "", 0, 1, [start, i], mdTrim("\n".join(lines[start:i])))
        inline.children = []
        out.append(inline)
        out.append(_block_token("paragraph_close", "p", -1, 0, None))
    return out


def _block(state: StateCore) -> None:
    """markdown-it's core ``block`` rule, with the fast path tried first."""
    found = blocks(state.src) if ENABLED and not state.inlineMode else None
    if found is None:
        block(state)
    else:
        state.tokens.extend(found)


def _inline(state: StateCore) -> None:
    """markdown-it's core ``inline`` and ``text_join`` rules, with the fast path tried
    first: its tokens need no joining, so ``text_join`` runs only on the others."""
    md = state.md
    for token in state.tokens:
        if token.type != "inline":
            continue
        found = children(token.content) if ENABLED else None
        if found is None:
            if token.children is None:
                token.children = []
            md.inline.parse(token.content, md, state.env, token.children)
            text_join(StateCore(state.src, md, state.env, [token]))
        elif token.children:
            token.children.extend(found)
        else:
            token.children = found


def install(md: MarkdownIt) -> bool:
    """Put the fast path in ``md``'s core ruler, if ``md`` is configured as this module
    expects (else leave it alone); whether it was put there."""
    if tuple(field.name for field in dataclasses.fields(Token)) != _TOKEN_FIELDS \
            or md.core.ruler.get_active_rules() != _CORE_RULES \
            or md.block.ruler.get_active_rules() != _BLOCK_RULES \
            or md.inline.ruler.get_active_rules() != _INLINE_RULES \
            or md.inline.ruler2.get_active_rules() != _INLINE_RULES2:
        return False
    md.core.ruler.at("block", _block)
    md.core.ruler.at("inline", _inline)
    md.core.ruler.disable("text_join")
    return True
