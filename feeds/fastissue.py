"""A fast path for reading an issue of the common shape, without markdown-it.

Nearly every issue is an ``# issue heading``, ``## section`` headings and articles of
three one-line paragraphs each, blank lines between: ``**1.** **Title**``, the URL
alone, and ``**摘要:** summary``, all plain text. For such a body :func:`walk` does
to the issue parser (:class:`feeds.parser._IssueParser`) exactly what its token walk
does, line by line, calling the same methods for headings and articles and noting
the same suspect lines; for any other line (another block, markup in the text, an
entity, a paragraph of two lines, a label other than 摘要, …) it does nothing and
says so, and the parser walks markdown-it's token stream as before.

:func:`text_html` renders inline tokens that are all text (every summary of such an
issue) without markdown-it's renderer.

The reference path is the token walk and markdown-it's renderer: set ``ENABLED =
False`` here, or ``FEEDS_FAST_ISSUE=0`` in the environment (read once, at import).
tests/test_fastissue.py compares the two on hostile issues, result and diagnostics.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from markdown_it.common.utils import escapeHtml, isWhiteSpace

from feeds import fastmarkdown

if TYPE_CHECKING:
    from markdown_it.token import Token

    from feeds.parser import _IssueParser

ENABLED = os.environ.get("FEEDS_FAST_ISSUE", "1") != "0"

_TEXT = r"[^*_&`\[<\\#\n]+"  # no inline markup, no heading marks
_HEADING = re.compile(r"(#{1,2}) (" + _TEXT + ")")
_TITLE = re.compile(r"\*\*([0-9]{1,4})\.\*\* \*\*([^*_&`\[<\\\n]+)\*\*")
_SUMMARY = re.compile(r"\*\*摘要[:：]\*\* ([^*_&`\[<\\\n]+)")
_URL = re.compile(r"https?://[^\s<>`\[\\]+")
_MARKS = frozenset("*_&")

_H, _T, _U, _S = range(4)


def _edge_space(text: str) -> bool:
    """Whether ``text`` starts or ends with what CommonMark or Python counts as space."""
    first, last = text[0], text[-1]
    return first.isspace() or last.isspace() or isWhiteSpace(ord(first)) \
        or isWhiteSpace(ord(last))


def _plan(lines: list[str]) -> list[tuple[int, int, str, str]] | None:
    """Each line of the body that does something, as (kind, line number, text, raw
    line; a heading's or a title's own text): ``_H`` a heading (text: its level's
    marks), ``_T`` a title (text: its number), ``_U`` a URL, ``_S`` a summary; or None
    if a line is outside the shape."""
    plan: list[tuple[int, int, str, str]] = []
    count = len(lines)
    article = False  # whether an article is open (its 摘要 is then its own)
    headed = False
    for i, line in enumerate(lines):
        if not line or not line.strip(" \t"):
            continue
        if line != line.strip():
            return None
        if line[0] == "#":
            match = _HEADING.fullmatch(line)
            if match is None or _edge_space(match.group(2)):
                return None
            if len(match.group(1)) == 1:
                if headed or any(p[0] == _H and p[2] == "##" for p in plan):
                    return None  # a second issue heading, or one after a section
                headed = True
            else:
                article = False
            plan.append((_H, i + 1, match.group(1), match.group(2)))
            continue
        following = lines[i + 1] if i + 1 < count else ""
        if following and following.strip(" \t") and following[0] != "#":
            return None  # a paragraph of more than one line
        first = line[0]
        if first == "*":
            match = _TITLE.fullmatch(line)
            if match is not None:
                if _edge_space(match.group(2)):
                    return None
                plan.append((_T, i + 1, match.group(1), match.group(2)))
                article = True
                continue
            match = _SUMMARY.fullmatch(line)
            if match is None or not article or _edge_space(match.group(1)):
                return None
            plan.append((_S, i + 1, match.group(1), line))
            continue
        if first == "h" and _URL.fullmatch(line):
            if "&#" in line:
                return None
            if not _MARKS.isdisjoint(line):
                made = fastmarkdown.children(line)
                if made is None or len(made) != 1 or made[0].content != line:
                    return None
            plan.append((_U, i + 1, line, line))
            continue
        return None
    return plan


def walk(parser: _IssueParser) -> bool:
    """Walk the parser's body as its token walk would (see the module's text), or do
    nothing and return False if the body is not of the shape this path knows."""
    if not ENABLED:
        return False
    plan = _plan(parser.body.split("\n"))
    if plan is None:
        return False
    from feeds.parser import _Suspect, _token

    suspects = parser.suspects
    for kind, line, text, raw in plan:
        current = parser.current
        if kind == _T:
            parser.start_article(int(text), " ".join(raw.split()), "", line)
        elif kind == _U:
            own = current is not None and not current.url_from_line \
                and not current.summary_started
            if not own:
                suspects.append(_Suspect(line, line, "url", raw))
            if own:
                assert current is not None
                current.url, current.url_line = raw, line
                current.url_from_line = True
            elif current is not None:
                current.summary_started = True
                current.summary.append([_token("text", "", 0, content=raw)])
            elif not parser.sections:
                parser.intro.append([_token("text", "", 0, content=raw)])
        elif kind == _S:
            assert current is not None
            if current.summary_started:
                suspects.append(_Suspect(line, line, "summary", raw))
            current.summary_started = True
            current.summary.append([_token("text", "", 0, content=text)])
        else:
            tag = f"h{len(text)}"
            heading = fastmarkdown._block_token("heading_open", tag, 1, 0, [line - 1, line])
            inline = fastmarkdown._block_token("inline", "", 0, 1, [line - 1, line], raw)
            inline.children = [fastmarkdown._token("text", "", 0, 0, raw)]
            parser.on_heading(heading, inline)
    return True


def text_html(tokens: list[Token]) -> str | None:
    """What markdown-it's renderer makes of inline tokens that are all text (its
    ``text`` rule: the content HTML-escaped), or None for any other tokens."""
    if not ENABLED or any(t.type != "text" for t in tokens):
        return None
    return "".join([escapeHtml(t.content) for t in tokens])
