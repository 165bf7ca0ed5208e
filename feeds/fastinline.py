"""A fast path for markdown-it's inline step, for the few shapes issues are written in.

markdown-it-py's inline parser tries its rules at every markup character and then
post-processes delimiters and fragments: about a quarter of a cold build's CPU. Nearly
every inline in an issue is plain text, ``**1.** **标题**``, a bare URL or ``**摘要:** …``.
For content in that small grammar (no backslash, backtick, ``[``, ``<`` or character
reference; ``**`` pairs that cannot nest ambiguously; ``_`` that cannot pair) this module
builds exactly the children tokens markdown-it would, and returns None for anything else,
which markdown-it then parses as before. :func:`install` puts it in markdown-it's own
seam, the core ruler's ``inline`` rule, so the parser still reads a markdown-it token
stream.

The reference path is markdown-it's: set ``ENABLED = False`` here, or
``FEEDS_FAST_INLINE=0`` in the environment (read once, at import), to turn the fast
path off. tests/test_fastinline.py compares the two, token by token and build by build.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from markdown_it.common.entities import entities
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.entity import DIGITAL_RE, NAMED_RE
from markdown_it.token import Token

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core.state_core import StateCore

ENABLED = os.environ.get("FEEDS_FAST_INLINE", "1") != "0"

# The configuration whose inline step this module reproduces (markdown-it's commonmark
# preset): with any other, install() leaves markdown-it as it is.
_CORE_RULES = ["normalize", "block", "inline", "text_join"]
_INLINE_RULES = ["text", "newline", "escape", "backticks", "emphasis", "link", "image",
                 "autolink", "html_inline", "entity"]
_INLINE_RULES2 = ["balance_pairs", "emphasis", "fragments_join"]

_MARKUP = re.compile(r"[\\`\[<*_\n&]")
_REFUSED = re.compile(r"[\\`\[<]")
_MARKS = re.compile(r"\*+|_+|\n[ \t]*|&")

_TEXT, _OPEN, _CLOSE = 0, 1, 2


def _flanking(src: str, start: int, end: int) -> tuple[bool, bool, bool, bool]:
    """(left flanking, right flanking, punctuation before, punctuation after) of the
    delimiter run ``src[start:end]``, as markdown-it's ``StateInline.scanDelims``."""
    last = src[start - 1] if start > 0 else " "
    after = src[end] if end < len(src) else " "
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    next_punct = isMdAsciiPunct(ord(after)) or isPunctChar(after)
    last_space = isWhiteSpace(ord(last))
    next_space = isWhiteSpace(ord(after))
    left = not (next_space or (next_punct and not (last_space or last_punct)))
    right = not (last_space or (last_punct and not (next_space or next_punct)))
    return left, right, last_punct, next_punct


def _roles(src: str, marks: list[re.Match[str]]) -> dict[int, int] | None:
    """What each ``*`` run becomes (text, strong open or close), by start; None when the
    runs are outside the small grammar or a ``_`` run might pair."""
    roles: dict[int, int] = {}
    openers: list[int] = []
    underscore_opener = False
    for match in marks:
        start, end = match.span()
        char = src[start]
        if char == "*":
            left, right, _, _ = _flanking(src, start, end)
            if not (left or right):
                roles[start] = _TEXT
            elif (left and right) or end - start != 2:
                return None
            elif left:
                roles[start] = _OPEN
                openers.append(start)
            elif openers:
                roles[openers.pop()] = _OPEN
                roles[start] = _CLOSE
            else:
                roles[start] = _TEXT
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
    for start in openers:
        roles[start] = _TEXT
    return roles


def _token(kind: str, tag: str, level: int, content: str = "", markup: str = "") -> Token:
    token = Token(kind, tag, 0, content=content, markup=markup)
    token.level = level
    return token


def children(src: str) -> list[Token] | None:
    """The children markdown-it's inline step (with its post-processing and the core
    ``text_join`` rule) makes of ``src``, or None if ``src`` is outside the small grammar."""
    if _MARKUP.search(src) is None:
        return [_token("text", "", 0, src)] if src else []
    if _REFUSED.search(src) is not None:
        return None
    marks = list(_MARKS.finditer(src))
    roles = _roles(src, marks)
    if roles is None:
        return None
    out: list[Token] = []
    parts: list[str] = []  # the text token being gathered (adjacent texts are joined)
    gathering = False
    depth = 0
    pos = 0  # start of markdown-it's pending text
    for match in marks:
        start, end = match.span()
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
                out.append(_token("text", "", depth, "".join(parts)))
                parts, gathering = [], False
            out.append(_token(kind, "br", depth))
            continue
        if pending:
            parts.append(pending)
            gathering = True
        role = roles.get(start, _TEXT)
        if role == _TEXT:
            parts.append(src[start:end])
            gathering = True
            continue
        if role == _OPEN:
            out.append(_token("text", "", depth, "".join(parts)))  # the outer marker's token
            parts, gathering = [], False
            strong = _token("strong_open", "strong", depth, markup="**")
            strong.nesting = 1
            out.append(strong)
            depth += 1
        else:
            if gathering:
                out.append(_token("text", "", depth, "".join(parts)))
            depth -= 1
            strong = _token("strong_close", "strong", depth, markup="**")
            strong.nesting = -1
            out.append(strong)
            parts, gathering = [], True  # the outer marker's empty token
    if pos < len(src):
        parts.append(src[pos:])
        gathering = True
    if gathering:
        out.append(_token("text", "", depth, "".join(parts)))
    return out


def _inline(state: StateCore) -> None:
    """markdown-it's core ``inline`` rule, with the fast path tried first."""
    md = state.md
    for token in state.tokens:
        if token.type != "inline":
            continue
        found = children(token.content) if ENABLED else None
        if found is None:
            if token.children is None:
                token.children = []
            md.inline.parse(token.content, md, state.env, token.children)
        elif token.children:
            token.children.extend(found)
        else:
            token.children = found


def install(md: MarkdownIt) -> bool:
    """Put the fast path in ``md``'s core ruler, if ``md`` is configured as this module
    expects (else leave it alone); whether it was put there."""
    if md.core.ruler.get_active_rules() != _CORE_RULES \
            or md.inline.ruler.get_active_rules() != _INLINE_RULES \
            or md.inline.ruler2.get_active_rules() != _INLINE_RULES2:
        return False
    md.core.ruler.at("inline", _inline)
    return True
