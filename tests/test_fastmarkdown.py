"""The fast paths of feeds/fastmarkdown.py against markdown-it's own block and inline
steps: the same tokens, field by field, or a fallback; the same parse and the same
bytes published with them on and off; and they are really taken for the shapes issues
use."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from conftest import SEED, built_fast_and_plain
from corpus import write_corpus
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it.rules_core import inline as reference_inline
from markdown_it.rules_core import text_join
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

from feeds import fastissue, fastmarkdown
from feeds.parser import markdown, parse_issue, reference_markdown

SETTINGS = settings(max_examples=600, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

CJK_WORDS = ["摘要", "本文", "介绍", "中", "技术", "云"]
CJK_PUNCT = list("，。：、；（）！？【】《》“”…—")
PLAIN = [*CJK_WORDS, "PyTorch", "AI", "a", "Z", "0", "1.", "29", " ", "  ", "\t", "\n",
         "  \n", " \n", ":", "：", "https://", "mp.weixin.qq.com/s/", "x_y", "?__biz=",
         "&mid=", "\u3000", "\xa0", "\ufffd", "\x00", *CJK_PUNCT]
MARKUP = ["*", "**", "***", "_", "__", "&amp;", "&#12;", "&#x0;", "&#0;", "&nbsp;", "&foo;",
          "&", "&#", "\\", "\\\n", "`", "[", "]", "](", "<", ">", "!", "<https://a.b>",
          "<b>", *string.punctuation]
# The small grammar's pieces, for strings the fast path mostly takes.
GRAMMAR = st.lists(st.sampled_from([*PLAIN, "**", "*", "_", "&", "&amp;"]), max_size=30) \
    .map("".join)
ANYTHING = st.lists(st.sampled_from([*PLAIN, *MARKUP]), max_size=30).map("".join)


REFERENCE = reference_markdown()


@pytest.fixture(autouse=True)
def _through_markdown_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issues parsed here go through markdown-it: the issue fast path (see
    tests/test_fastissue.py) would not ask it for anything."""
    monkeypatch.setattr(fastissue, "ENABLED", False)


def reference_children(content: str) -> list[Token]:
    """markdown-it's own inline step (its core ``inline`` and ``text_join`` rules)."""
    state = StateCore("", REFERENCE, {})
    state.tokens = [Token("inline", "", 0, content=content, children=[])]
    reference_inline(state)
    text_join(state)
    return state.tokens[0].children or []


def check(content: str) -> None:
    fast = fastmarkdown.children(content)
    if fast is not None:
        assert fast == reference_children(content)


@SETTINGS
@given(GRAMMAR)
@example("**1.** **标题**")
@example("**摘要:**本文")
@example("**摘要：**本文")
@example("**a **b** c**")
@example("**a** \n**b**  \nc")
@example("__biz=1&mid=2_x")
@example("a_b **c_**")
def test_small_grammar_matches_markdown_it(content: str) -> None:
    check(content)


@SETTINGS
@given(ANYTHING)
@example("&amp;**a**")
@example("a\\\nb")
@example("**`a`**")
@example("*a*")
@example("[a](https://b.c)")
def test_any_markup_matches_markdown_it_or_falls_back(content: str) -> None:
    check(content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*PLAIN, *MARKUP, "\n\n", "# ", "## ", "1. ", "- ", "> ",
                                 "    ", "---\n", "```\n"]), max_size=40).map("".join))
def test_whole_documents_give_the_same_token_stream(text: str) -> None:
    assert markdown().parse(text) == REFERENCE.parse(text)


LINE = st.one_of(GRAMMAR, GRAMMAR.map(lambda text: "# " + text), st.sampled_from(
    ["", " ", "\t", "## 分布式系统", "#", "# a #", "#标签", "####### x", "**1.** **标题**", "***",
     "* a", "*", "1. a", "12) b", "2024 年", "- a", "---", "===", "> a", "    code", "```",
     "~~~", "<div>", "[a]: https://b.c", "\u3000a", "\x0c", "_", "__init__", "+ a", "|a|"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=12).map("\n".join))
@example("# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n**1.** **标题**\n\n"
         "https://mp.weixin.qq.com/s/x\n\n**摘要:** 本文。\n")
def test_documents_of_headings_and_paragraphs_give_the_same_token_stream(text: str) -> None:
    assert markdown().parse(text) == REFERENCE.parse(text)


def test_the_common_shapes_take_the_fast_path() -> None:
    shapes = {
        "本文主要介绍了 PyTorch 的内部机制，包括张量的概念。": [("text", "本文主要介绍了 PyTorch 的内部机制，包括张量的概念。", 0)],
        "**1.** **PyTorch内部机制**": [
            ("text", "", 0), ("strong_open", "", 0), ("text", "1.", 1), ("strong_close", "", 0),
            ("text", " ", 0), ("strong_open", "", 0), ("text", "PyTorch内部机制", 1),
            ("strong_close", "", 0), ("text", "", 0)],
        "https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ": [
            ("text", "https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ", 0)],
        "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1#wechat_redirect": [
            ("text", "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1#wechat_redirect", 0)],
        "**摘要:** 本文": [("text", "", 0), ("strong_open", "", 0), ("text", "摘要:", 1),
                         ("strong_close", "", 0), ("text", " 本文", 0)],
        "**摘要：**本文": [("text", "**摘要：**本文", 0)],
        "第一行  \n第二行": [("text", "第一行", 0), ("hardbreak", "", 0), ("text", "第二行", 0)],
    }
    for content, expected in shapes.items():
        fast = fastmarkdown.children(content)
        assert fast is not None, content
        assert [(t.type, t.content, t.level) for t in fast] == expected
        assert fast == reference_children(content)


@pytest.mark.parametrize("content", ["a\\*b", "`code`", "[a](https://b.c)", "<b>x</b>",
                                     "&amp;", "&#0;", "*em*", "***a***", "x**y**z",
                                     "__a__", "**a", "a**b"])
def test_anything_else_falls_back(content: str) -> None:
    if content in ("**a",):  # an opener alone stays text: inside the grammar
        assert fastmarkdown.children(content) == reference_children(content)
    else:
        assert fastmarkdown.children(content) is None


def _counting_inline_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    md = markdown()
    seen: list[str] = []
    parse = md.inline.parse

    def counting(src: str, *args: object, **kwargs: object) -> list[Token]:
        seen.append(src)
        return parse(src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(md.inline, "parse", counting)
    return seen


def test_seed_and_bench_issues_never_fall_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _counting_inline_parses(monkeypatch)
    blocks: list[str] = []
    block_parse = markdown().block.parse
    monkeypatch.setattr(markdown().block, "parse",
                        lambda src, *args: blocks.append(src) or block_parse(src, *args))
    parse_issue(SEED.read_bytes(), "issues/2024-29.md")
    for path in write_corpus(5, tmp_path):
        parse_issue(path.read_bytes(), f"issues/{path.name}")
    assert seen == [] and blocks == []
    monkeypatch.setattr(fastmarkdown, "ENABLED", False)
    parse_issue(SEED.read_bytes(), "issues/2024-29.md")
    assert len(seen) == 29  # every heading and paragraph: markdown-it's path, switched off
    assert len(blocks) == 1


@pytest.mark.parametrize("text", ["a\n  b", "a\n---", "a\n===", "> a", "    a", "```\na",
                                  "1. a", "* a", "- a", "+ a", "***", "<div>", "[a]: /b",
                                  "# a #", "#a", "####### a", "a\n#b", "\ta"])
def test_other_blocks_fall_back(text: str) -> None:
    assert fastmarkdown.blocks(text) is None


def test_the_switch_is_read_from_the_environment() -> None:
    import os
    import subprocess
    import sys

    code = "from feeds import fastmarkdown; print(fastmarkdown.ENABLED)"
    for value, expected in (("0", "False"), ("1", "True"), (None, "True")):
        env = {k: v for k, v in os.environ.items() if k != "FEEDS_FAST_MARKDOWN"}
        if value is not None:
            env["FEEDS_FAST_MARKDOWN"] = value
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True)
        assert done.stdout.strip() == expected


def test_seed_and_bench_issues_parse_the_same(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    files = [SEED, *write_corpus(30, tmp_path)]
    fast = [parse_issue(p.read_bytes(), f"issues/{p.name}") for p in files]
    monkeypatch.setattr(fastmarkdown, "ENABLED", False)
    reference = [parse_issue(p.read_bytes(), f"issues/{p.name}") for p in files]
    assert fast == reference


def test_published_bytes_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, reference = built_fast_and_plain(tmp_path, monkeypatch, fastmarkdown)
    assert len(fast) > 20 and fast == reference
