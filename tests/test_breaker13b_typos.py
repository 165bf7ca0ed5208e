"""Editor typos that silently dropped articles (breaker13b, on main a4e5f54), each with no
error and no warning pointing at it, on both parser paths: an HTML comment left open
(``<!--`` without ``-->``) or a code fence never closed, hiding every article and
section after it; and the first article of a section whose title was not read as one
(indented, HTML, bold left open…), its URL and summary dropped with only a gap warning
on the next article ("article 2 … follows article 0"). Each is now a warning on its line."""

from __future__ import annotations

import pytest

from feeds import fastissue
from feeds.model import ParseError
from feeds.parser import parse_issue

P = "issues/2024-07-20-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"
ONE = "**1.** **T1**\n\nhttps://example.com/1\n\n**摘要:** s1\n\n"
TWO = "**2.** **T2**\n\nhttps://example.com/2\n\n**摘要:** s2\n\n"
NEXT = "## 技术之外\n\n**1.** **T3**\n\nhttps://example.com/3\n\n**摘要:** s3\n"


def problems(text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The diagnostics of ``text``, the same on the fast path and the token walk."""
    seen = []
    for fast in (True, False):
        monkeypatch.setattr(fastissue, "ENABLED", fast)
        try:
            result = parse_issue(text, P)
            seen.append(([str(d) for d in result.diagnostics],
                         [(s.name, a.title, a.url) for s in result.issue.sections
                          for a in s.articles]))
        except ParseError as exc:
            seen.append(([str(d) for d in exc.diagnostics], []))
    assert seen[0] == seen[1]
    return seen[0][0]


# -- an HTML comment left open

def test_an_html_comment_never_closed_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "<!-- 待补充：作者信息\n\n" + TWO + NEXT
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: the HTML comment '<!-- 待补充：作者信息' opened here is never closed "
        "with '-->': lines 12-25, to the end of the file, are inside it and not published; "
        "end the comment with '-->'"]


def test_an_html_comment_closed_by_a_later_one_is_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "<!-- 待补充\n\n" + TWO + "<!-- 下期继续 -->\n\n" + NEXT
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: the HTML comment '<!-- 待补充' opened here is not closed before "
        "the next '<!--' (line 19): lines 12-19, up to that one's '-->', are inside it and "
        "not published; end this comment with '-->'"]


@pytest.mark.parametrize("comment", [
    "<!-- 编辑备注 -->", "<!-->", "<!---->", "<!--\n" + TWO + "-->",
    "<!-- 草稿 -->\n<!-- 又一个 -->", "<!-- a --> <!-- b -->", "<!-- a <!-- b -->",
    "<!-- 备注：\n旧的说明\n<!-- 更旧的 -->"])
def test_a_closed_comment_is_no_warning(comment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(HEAD + ONE + comment + "\n\n" + NEXT, monkeypatch) == []


def test_an_open_comment_on_the_last_line_hides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(HEAD + ONE + NEXT + "\n<!-- TODO\n", monkeypatch) == []


# -- a code fence never closed

def test_a_code_fence_never_closed_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "```python\nprint(1)\n\n" + TWO + NEXT
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: the code block opened here with '```' is never closed: lines "
        "12-26, to the end of the file, are read as code in the summary of article 1 in "
        "section 分布式系统, none of them as an article or a section; end the code block "
        "with a line '```'"]


def test_a_code_fence_never_closed_before_the_first_article(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "~~~\n" + ONE + NEXT
    assert problems(text, monkeypatch) == [
        f"{P}:3: warning: section 分布式系统 has no articles",
        f"{P}:5: warning: the code block opened here with '~~~' is never closed: lines 6-18, "
        "to the end of the file, are read as code, not published, none of them as an "
        "article or a section; end the code block with a line '~~~'"]


@pytest.mark.parametrize("fence", [
    "```python\nprint(1)\n```", "````\n```\n````", "~~~\nx\n~~~~", "> ```\n> x\n> ```",
    "- x\n\n  ```\n  y\n  ```"])
def test_a_closed_code_fence_is_no_warning(fence: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(HEAD + ONE + fence + "\n\n" + TWO, monkeypatch) == []
    assert problems(HEAD + ONE + TWO + fence + "\n", monkeypatch) == []


def test_an_open_comment_in_a_quote_ends_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "> <!-- 引用\n> 未完\n\n" + TWO
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: the HTML comment '<!-- 引用' opened here is never closed with "
        "'-->': line 12 is inside it and not published; end the comment with '-->'"]


# -- the first article of a section, its title not read as one

@pytest.mark.parametrize("title", [
    "    **1.** **T3**", "\t**1.** **T3**", "<b>1.</b> <b>T3</b>", "**1.** **T3",
    "**1. T3", "\u200b**1.** **T3**", "**T3**", "*1.* *T3*", "**1.** [T3]"])
def test_a_url_before_a_sections_first_article_is_a_warning(
        title: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + f"## 技术之外\n\n{title}\n\nhttps://example.com/3\n\n**摘要:** s3\n\n" \
        "**2.** **T4**\n\nhttps://example.com/4\n\n**摘要:** s4\n"
    assert problems(text, monkeypatch) == [
        f"{P}:15: warning: a URL alone on its line in section 技术之外, before its first "
        "article, with a 摘要 after it (line 17), is not published; if it is an article's, "
        "that article's title above it was not read as one: write it as '**1.** **Title**'",
        f"{P}:19: warning: article 2 in section 技术之外 follows article 0; article 1 is "
        "missing"]


def test_a_summary_before_a_sections_first_article_is_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "## 技术之外\n\n    **1.** **T3**\n\n[原文](https://example.com/3)\n\n" \
        "**摘要:** s3\n"
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: section 技术之外 has no articles",
        f"{P}:17: warning: a 摘要 in section 技术之外, before its first article, is not "
        "published; if it is an article's, that article's title above it was not read as "
        "one: write it as '**1.** **Title**'"]


def test_a_title_typo_before_a_sections_first_article_says_it_is_not_published(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + "## 技术之外\n\n**1** **T3**\n\nhttps://example.com/3\n\n**摘要:** s3\n"
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: section 技术之外 has no articles",
        f"{P}:13: warning: '**1** **T3**' looks like the title of an article (its URL follows) "
        "but is not read as one (no '.' after the number); it is not published (text in "
        "section 技术之外 before its first article): write '**1.** **T3**'"]


def test_a_sections_own_intro_with_a_link_is_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "本节介绍分布式系统，资料见：\n\nhttps://example.com/list\n\n" + ONE
    assert problems(text, monkeypatch) == []


def test_an_article_in_the_intro_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "# 云计算技术动态 2024 年第二十九期\n\n导读\n\n    **1.** **T0**\n\n" \
        "https://example.com/0\n\n**摘要:** s0\n\n## 分布式系统\n\n" + ONE
    assert problems(text, monkeypatch) == [
        f"{P}:7: warning: a URL alone on its line in the intro, before the first section, "
        "with a 摘要 after it (line 9), is read as text of the intro; if it is an article's, "
        "that article's title above it was not read as one: write it as '**1.** **Title**'"]


# -- another HTML block never closed (Markdown ends it only at its closing mark)

@pytest.mark.parametrize(("opened", "close"), [
    ("<pre>", "</pre>"), ("<PRE class=\"x\">", "</pre>"), ("<script>", "</script>"),
    ("<?php", "?>"), ("<![CDATA[", "]]>"), ("<!DOCTYPE", ">")])
def test_an_html_block_never_closed_is_a_warning(
        opened: str, close: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + ONE + f"{opened}\ncode\n\n" + TWO + NEXT
    assert problems(text, monkeypatch) == [
        f"{P}:11: warning: the HTML block {opened!r} opened here is never closed with "
        f"{close!r}: lines 12-26, to the end of the file, are read as raw text in the summary "
        "of article 1 in section 分布式系统, none of them as an article or a section; close "
        f"it with {close!r}"]


@pytest.mark.parametrize("block", [
    "<pre>\ncode\n</pre>", "<pre>x</pre>", "<?php x ?>", "<![CDATA[ x ]]>", "<!DOCTYPE html>",
    "<div>\nx\n", "<p>\n说明", "<script>\nx\n</SCRIPT>"])
def test_a_closed_html_block_is_no_warning(block: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(HEAD + ONE + block + "\n\n" + TWO, monkeypatch) == []


def test_thousands_of_url_lines_before_a_first_article_cost_one_look_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each URL line before a section's first article asks for a 摘要 below it up to the
    next article: asked by scanning, a file of 2,490 such lines (within the limits) made
    some 6,000,000 label checks on each path, 0.8 s; the file's label lines are now
    found once."""
    from feeds import parser

    text = HEAD + "".join(f"https://example.com/{n}\n\n" for n in range(2490))
    calls = 0
    label = parser._is_summary_label

    def counted(raw: str) -> bool:
        nonlocal calls
        calls += 1
        return label(raw)

    monkeypatch.setattr(parser, "_is_summary_label", counted)
    assert problems(text, monkeypatch) == [f"{P}:3: warning: section 分布式系统 has no articles"]
    assert calls <= 2 * 5_000  # (the two paths: one look at each line at most)
