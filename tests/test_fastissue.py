"""The fast path of feeds/fastissue.py against the parser's token walk (the reference):
the same issue and the same diagnostics, or the same error, for hostile issues built
of the lines issues use and of lines just outside that shape; the same bytes published;
and the shape the editor writes really takes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED, built_fast_and_plain
from corpus import write_corpus
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds import fastissue, fastmarkdown
from feeds.model import ParseError, ParseOptions, ParseResult
from feeds.parser import markdown, parse_issue

WORDS = ["本文", "介绍", "技术", "云", "PyTorch", "AI", "a", "Z", "0", "29", "1.", " ", "  ",
         "\t", "\u3000", "\xa0", "\u2003", "：", ":", "，", "。", "（", "）", "《", "》", "!",
         "#", "*", "**", "_", "__", "&", "&amp;", "&#0;", "&#x41;", "`", "[", "]", "<", ">",
         "\\", "\x07", "\x1b", "\ufffd", "\U0001f600", "摘要", "作者", "https://a.b/c"]
TEXT = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map("".join)
PLAIN = st.lists(st.sampled_from(["本文", "介绍", "技术", "PyTorch", "AI", "a", "29", "，",
                                  "。", "（", "）", "!", "：", " "]), min_size=1, max_size=8) \
    .map("".join).map(str.strip).filter(bool)
URLS = ["https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ",
        "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1#wechat_redirect",
        "https://a.b/_x_/", "https://a.b/*x*", "https://a.b/&amp;", "https://a.b/&#65;",
        "https://a.b/&#0;", "http://a.b/c", "HTTP://A.B/", "ftp://a.b/c", "https://",
        "https://a.b/x）", "https://a.b/x。", "https://ａ.b/x", "https://xn--a.com/",
        "https://user:pw@a.b/", "https://a.b/x>", "https://a.b/\u3000", "mailto:a@b.c",
        "https://a..b/", "https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ"]
LINE = st.one_of(
    st.builds(lambda n, t: f"**{n}.** **{t}**", st.sampled_from(["1", "2", "3", "0", "01", "9999",
                                                                "10000", "12345"]),
              st.one_of(PLAIN, TEXT)),
    st.sampled_from(URLS),
    st.builds(lambda c, t: f"**摘要{c}** {t}", st.sampled_from([":", "：", "", "::"]),
              st.one_of(PLAIN, TEXT)),
    st.builds(lambda h, t: f"{h} {t}", st.sampled_from(["#", "##", "###", "####"]),
              st.one_of(PLAIN, TEXT, st.just("云计算技术动态 2024 年第二十九期"),
                        st.just("云计算技术动态 2024 年第三十期"))),
    st.builds(lambda w, t: f"{w}{t}", st.sampled_from(["**作者:** ", "**标签:** ", "**摘要:**",
                                                      "摘要：", "1. ", "- ", "> ", "    ", " ",
                                                      "**1.**", "**1.** ", "**2. ", "#", "＃"]),
              st.one_of(PLAIN, TEXT)),
    st.sampled_from(["", " ", "\t", "---", "===", "***", "```", "<div>", "[a]: https://a.b",
                     "\u3000", "**摘要:** x  ", "**1.** **标题** ", " **1.** **标题**"]),
    TEXT,
)
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"
DOCUMENT = st.builds(
    lambda head, lines, seps: head + "".join(
        line + sep for line, sep in zip(lines, seps[:len(lines)], strict=True)),
    st.sampled_from([HEAD, "", "---\ndate: 2024-07-20\n---\n" + HEAD, "## 云\n\n"]),
    st.lists(LINE, max_size=24), st.lists(st.sampled_from(["\n\n", "\n", "\n \n", "\n\n\n"]),
                                          min_size=24, max_size=24))
SETTINGS = settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONS = ParseOptions(section_slugs={"分布式系统": "distributed"})


def _parsed(text: str) -> ParseResult | tuple[str, list[object]]:
    try:
        return parse_issue(text.encode("utf-8", "surrogatepass"), "issues/2024-07-20-29.md",
                           OPTIONS)
    except ParseError as exc:
        return "error", list(exc.diagnostics)


def _compare(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(fastissue, "ENABLED", True)
        fast = _parsed(text)
        patch.setattr(fastissue, "ENABLED", False)
        walked = _parsed(text)
        patch.setattr(fastmarkdown, "ENABLED", False)
        reference = _parsed(text)
    assert fast == walked == reference


@SETTINGS
@given(DOCUMENT)
@example(HEAD + "**1.** **标题**\n\nhttps://a.b/c\n\n**摘要:** 本文\n")
@example(HEAD + "**1.** **标题**\n\nhttps://a.b/c\n\nhttps://a.b/d\n\n**摘要:** 本文\n\n"
         "**摘要：** 又一个\n")
@example(HEAD + "https://a.b/c\n\n**摘要:** 本文\n\n**1.** **标题**\n")
@example("https://a.b/c\n\n" + HEAD + "**3.** **标题**\n\n**1.** **标题**\n\n## 云\n\n## 云\n")
@example(HEAD + "**1.** **标题**\nhttps://a.b/c\n")
@example(HEAD + "**1.** **\u3000标题**\n\nhttps://a.b/c\n")
@example(HEAD + "**1.** **标题**\n\nhttps://a.b/c）\n\n# 云计算技术动态 2024 年第三十期\n")
@example("# a\n\n# b\n\n## c\n\n**1.** **t**\n\nhttps://a.b/\n")
@example(HEAD + "**1.** **t**\n\nhttps://a.b/" + "x" * 20_000 + "\n")
def test_issues_parse_as_the_token_walk_parses_them(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _compare(text, monkeypatch)


def test_the_common_shape_takes_the_fast_path(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    md = markdown()
    parse = md.parse
    monkeypatch.setattr(md, "parse", lambda src, env=None: parsed.append(src) or parse(src, env))
    parse_issue(SEED.read_bytes(), "issues/2024-29.md")
    for path in write_corpus(5, tmp_path):
        parse_issue(path.read_bytes(), f"issues/{path.name}")
    assert parsed == []
    monkeypatch.setattr(fastissue, "ENABLED", False)
    parse_issue(SEED.read_bytes(), "issues/2024-29.md")
    assert len(parsed) == 1


@pytest.mark.parametrize("line", [
    "**1.** **标_题**", "**1.** **标*题**", "**1.** ** 标题**", "**1.** **标题 **", "**1.** **a&b**",
    "**1.**  **标题**", "**1、** **标题**", "**12345.** **标题**", "**摘要:**本文", "**摘要：**本文",
    "**摘要:** 本文_x", "**摘要:**  本文", "**作者:** 某人", "https://a.b/&#65;", "https://a.b/_x_/",
    "https://a b", "<https://a.b/>", "[原文](https://a.b/)", "### 1. 标题", "# a #", "#a", "# ",
    " https://a.b/", "https://a.b/ ", "1. 标题", "- a", "> a", "本文", "\u3000",
])
def test_other_lines_fall_back(line: str) -> None:
    lines = ["# 云计算技术动态 2024 年第二十九期", "", "## 云", "", "**1.** **标题**", "", line, ""]
    assert fastissue._plan(lines) is None
    assert fastissue._plan([*lines[:6], "https://a.b/", ""]) is not None


def test_a_paragraph_of_two_lines_and_a_second_issue_heading_fall_back() -> None:
    assert fastissue._plan(["## 云", "**1.** **标题**", "https://a.b/"]) is None
    assert fastissue._plan(["# a", "", "## 云", "", "# b"]) is None
    assert fastissue._plan(["# a", "", "# b"]) is None
    assert fastissue._plan(["## 云", "**摘要:** 本文"]) is None  # no article: not its 摘要
    assert fastissue._plan(["## 云", "**1.** **标题**", "## 雨"]) is not None


def test_the_switch_is_read_from_the_environment() -> None:
    code = "from feeds import fastissue; print(fastissue.ENABLED)"
    for value, expected in (("0", "False"), ("1", "True"), (None, "True")):
        env = {k: v for k, v in os.environ.items() if k != "FEEDS_FAST_ISSUE"}
        if value is not None:
            env["FEEDS_FAST_ISSUE"] = value
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True)
        assert done.stdout.strip() == expected


def test_published_bytes_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, reference = built_fast_and_plain(tmp_path, monkeypatch, fastissue)
    assert len(fast) > 20 and fast == reference


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXT, st.text()), max_size=4))
@example(["<b>&amp;\"'</b>", "\x00\ud800", "云" * 10_000])
def test_text_is_rendered_as_markdown_its_renderer_renders_it(contents: list[str]) -> None:
    from markdown_it.token import Token

    from feeds.parser import render_inline

    tokens = [Token("text", "", 0, content=c) for c in contents]
    fast = render_inline(tokens)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(fastissue, "ENABLED", False)
        assert render_inline(tokens) == fast
    assert fastissue.text_html([*tokens, Token("softbreak", "br", 0)]) is None


SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
PIECES = ["*", "**", "_", "&", "&amp;", "&#0;", "\\", "`", "[", "]", "<", ">", "#", " ", "  ", "\t",
          "\u3000", "\xa0", "\x07", "\n", "\n\n", "1.", "- ", "> ", "：", ":", "摘要", "https://",
          "**摘要:** ", "**1.** **", "## ", "# ", "\ufeff", "\u200b", "\U0001f600", "）", "。"]
EDIT = st.tuples(st.integers(0, len(SEED_LINES) - 1), st.integers(0, 200),
                 st.sampled_from(["insert", "cut", "drop", "repeat"]), st.sampled_from(PIECES))


def _edited(edits: list[tuple[int, int, str, str]]) -> str:
    lines = list(SEED_LINES)
    for at, where, how, piece in edits:
        at %= len(lines)
        line = lines[at]
        where = min(where, len(line))
        if how == "insert":
            lines[at] = line[:where] + piece + line[where:]
        elif how == "cut":
            lines[at] = line[:where] + line[where + len(piece):]
        elif how == "drop" and len(lines) > 1:
            del lines[at]
        else:
            lines.insert(at, lines[where % len(lines)])
    return "\n".join(lines)


@SETTINGS
@given(st.lists(EDIT, min_size=1, max_size=4))
def test_the_seed_issue_edited_parses_as_the_token_walk_parses_it(
        edits: list[tuple[int, int, str, str]]) -> None:
    """The editor's own issue with a few characters put in, cut or lines dropped or
    repeated: near misses of the shape as an editor makes them."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _compare(_edited(edits), monkeypatch)
