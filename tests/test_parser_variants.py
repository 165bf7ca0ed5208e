"""Every accepted variation of the format gives the same entries as the plain form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import entries, parse

from feeds.parser import parse_issue

PLAIN = """# 云计算技术动态 2024 年第二十九期

## 分布式系统

**1.** **PyTorch内部机制**

https://a.example/one

**摘要:** 第一篇的摘要。

**2.** **AI存储**

https://a.example/two

**摘要:** 第二篇的摘要。
"""

EXPECTED = entries(parse(PLAIN))


def test_plain_form_is_what_we_expect() -> None:
    assert EXPECTED == [
        ("分布式系统", "fen-bu-shi-xi-tong", 1, "PyTorch内部机制", "https://a.example/one",
         "第一篇的摘要。", "<p>第一篇的摘要。</p>", "", "", ()),
        ("分布式系统", "fen-bu-shi-xi-tong", 2, "AI存储", "https://a.example/two",
         "第二篇的摘要。", "<p>第二篇的摘要。</p>", "", "", ()),
    ]


@pytest.mark.parametrize(("heading", "number"), [
    ("2024 年第二十九期", 29), ("2024年第29期", 29), ("2024 年 第 29 期", 29),
    ("2024 年第２９期", 29), ("２０２４年第二十九期", 29),
    ("2024 年第一期", 1), ("2024 年第二期", 2), ("2024 年第三期", 3), ("2024 年第四期", 4),
    ("2024 年第五期", 5), ("2024 年第六期", 6), ("2024 年第七期", 7), ("2024 年第八期", 8),
    ("2024 年第九期", 9), ("2024 年第十期", 10), ("2024 年第十一期", 11),
    ("2024 年第二十期", 20), ("2024 年第一百期", 100), ("2024 年第一百零五期", 105),
    ("2024 年第一百〇五期", 105), ("2024 年第一〇五期", 105), ("2024 年第两百期", 200),
])
def test_issue_number_variants(heading: str, number: int) -> None:
    issue = parse(PLAIN.replace("2024 年第二十九期", heading))
    assert (issue.name, issue.year, issue.number) == ("云计算技术动态", 2024, number)
    assert entries(issue) == EXPECTED


def test_newsletter_name_in_book_title_marks() -> None:
    issue = parse(PLAIN.replace("# 云计算技术动态", "# 《云计算技术动态》"))
    assert issue.name == "云计算技术动态"
    assert entries(issue) == EXPECTED


def test_front_matter_sets_everything() -> None:
    text = ("---\ndate: 2024-07-20\nyear: 2024\nnumber: 二十九\ntitle: 云计算技术动态\n"
            "url: https://news.example/29\n---\n# 本期\n" + PLAIN.split("\n", 1)[1])
    result = parse_issue(text, "issues/x.md")
    issue = result.issue
    assert (issue.name, issue.year, issue.number, issue.url) == (
        "云计算技术动态", 2024, 29, "https://news.example/29")
    assert issue.date == datetime(2024, 7, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert issue.date_source == "front matter"
    assert result.diagnostics == ()
    assert entries(issue) == EXPECTED


def test_front_matter_overrides_heading() -> None:
    text = ("---\nnumber: 30\nyear: 2025\ntitle: 另一个名字\ndate: 2025-01-02T09:30:00+08:00\n"
            "---\n" + PLAIN)
    issue = parse(text)
    assert (issue.name, issue.year, issue.number) == ("另一个名字", 2025, 30)
    assert issue.date == datetime(2025, 1, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert entries(issue) == EXPECTED
    line_of_first = PLAIN.splitlines().index("**1.** **PyTorch内部机制**") + 1
    assert issue.articles[0].line == line_of_first + 6  # front matter keeps line numbers


def test_date_from_file_name() -> None:
    issue = parse(PLAIN, "issues/2024-11-20-29.md")
    assert issue.date == datetime(2024, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert issue.date_source == "file name"


def _titles(first: str, second: str) -> str:
    return PLAIN.replace("**1.** **PyTorch内部机制**", first).replace("**2.** **AI存储**", second)


@pytest.mark.parametrize(("first", "second"), [
    ("**1. PyTorch内部机制**", "**2. AI存储**"),
    ("**1、** **PyTorch内部机制**", "**2、** **AI存储**"),
    ("**1．** **PyTorch内部机制**", "**2．** **AI存储**"),
    ("**1、PyTorch内部机制**", "**2．AI存储**"),
    ("1、 **PyTorch内部机制**", "2． **AI存储**"),
    ("### 1. PyTorch内部机制", "### 2. AI存储"),
    ("### 1、PyTorch内部机制", "### 2．AI存储"),
    ("**１.** **PyTorch内部机制**", "**２.** **AI存储**"),
])
def test_title_line_variants(first: str, second: str) -> None:
    assert entries(parse(_titles(first, second))) == EXPECTED


def test_ordered_list_items_hold_url_and_summary() -> None:
    text = """# 云计算技术动态 2024 年第二十九期

## 分布式系统

1. **PyTorch内部机制**

   https://a.example/one

   **摘要:** 第一篇的摘要。

2. **AI存储**
   https://a.example/two
   **摘要:** 第二篇的摘要。
"""
    assert entries(parse(text)) == EXPECTED


def test_ordered_list_items_with_url_and_summary_outside() -> None:
    text = PLAIN.replace("**1.** **PyTorch内部机制**", "1. **PyTorch内部机制**").replace(
        "**2.** **AI存储**", "2. **AI存储**")
    assert entries(parse(text)) == EXPECTED


@pytest.mark.parametrize("form", ["<{url}>", "[原文]({url})", "[阅读原文]( {url} )"])
def test_url_line_variants(form: str) -> None:
    text = PLAIN
    for url in ("https://a.example/one", "https://a.example/two"):
        text = text.replace(f"\n{url}\n", "\n" + form.format(url=url) + "\n")
    assert entries(parse(text)) == EXPECTED


@pytest.mark.parametrize("title_form", ["**{n}.** [{t}]({u})", "### {n}. [{t}]({u})",
                                        "{n}. [{t}]({u})", "**{n}.** **[{t}]({u})**"])
def test_url_as_the_titles_own_link(title_form: str) -> None:
    text = PLAIN
    for n, t, u in ((1, "PyTorch内部机制", "https://a.example/one"),
                    (2, "AI存储", "https://a.example/two")):
        text = text.replace(f"**{n}.** **{t}**\n\n{u}\n",
                            title_form.format(n=n, t=t, u=u) + "\n")
    assert entries(parse(text)) == EXPECTED


@pytest.mark.parametrize("label", ["**摘要：**", "**摘要**：", "**摘要**:", "摘要：", "摘要:",
                                   "**摘要 ：**", "摘要 ："])
def test_summary_label_variants(label: str) -> None:
    assert entries(parse(PLAIN.replace("**摘要:**", label))) == EXPECTED


@pytest.mark.parametrize("label", ["**摘要：**", "**摘要**：", "摘要："])
def test_summary_label_without_space_before_text(label: str) -> None:
    assert entries(parse(PLAIN.replace("**摘要:** ", label))) == EXPECTED


def test_multi_paragraph_summary_keeps_inline_markdown() -> None:
    text = PLAIN.replace(
        "**摘要:** 第一篇的摘要。",
        "**摘要:** 第一段有 **粗体** 和 `code`。\n\n第二段有[链接](https://b.example/x?a=1&b=2)。")
    first = parse(text).articles[0]
    assert first.summary_html == (
        "<p>第一段有 <strong>粗体</strong> 和 <code>code</code>。</p>"
        '<p>第二段有<a href="https://b.example/x?a=1&amp;b=2">链接</a>。</p>')
    assert first.summary_text == "第一段有 粗体 和 code。\n\n第二段有链接。"
    assert entries(parse(text))[1] == EXPECTED[1]


def test_summary_runs_until_next_section() -> None:
    text = PLAIN + "\n另一段。\n\n## 云计算技术\n\n**1.** **X**\n\nhttps://a.example/x\n"
    issue = parse(text)
    assert issue.articles[1].summary_text == "第二篇的摘要。\n\n另一段。"
    assert [s.name for s in issue.sections] == ["分布式系统", "云计算技术"]


@pytest.mark.parametrize(("label", "sep"), [("标签", "，"), ("标签", ","), ("关键词", "、"),
                                            ("关键词", ";"), ("**标签：** ", "，"),
                                            ("**标签：**", "，"), ("**关键词**：", "，")])
def test_labelled_lines(label: str, sep: str) -> None:
    colon = "" if label.startswith("**") and "：" in label else "："
    text = PLAIN.replace(
        "**摘要:** 第一篇的摘要。",
        f"**作者：** 张三\n\n来源：InfoQ\n\n**摘要:** 第一篇的摘要。\n\n"
        f"{label}{colon}PyTorch{sep} 深度学习{sep}框架")
    first = parse(text).articles[0]
    assert (first.author, first.source, first.tags) == ("张三", "InfoQ",
                                                       ("PyTorch", "深度学习", "框架"))
    assert first.summary_text == "第一篇的摘要。"


def test_intro_before_first_section() -> None:
    text = PLAIN.replace("## 分布式系统", "编者按：本期聚焦 **存储**。\n\n第二段。\n\n## 分布式系统")
    issue = parse(text)
    assert issue.intro_text == "编者按：本期聚焦 存储。\n\n第二段。"
    assert issue.intro_html == "<p>编者按：本期聚焦 <strong>存储</strong>。</p><p>第二段。</p>"
    assert entries(issue) == EXPECTED


def test_crlf_bom_and_noise_between() -> None:
    noisy = PLAIN.replace("\n\n**2.**", "\n\n---\n\n<!-- 编辑备注 -->\n\n![配图](https://img.example/a.png)"
                                        "   \n\n\n**2.**").replace("。\n", "。   \n")
    data = b"\xef\xbb\xbf" + noisy.replace("\n", "\r\n").encode("utf-8")
    assert entries(parse(data)) == EXPECTED


def test_utf8_without_bom_and_lf() -> None:
    assert entries(parse(PLAIN.encode("utf-8"))) == EXPECTED


def test_section_slug_from_config() -> None:
    from feeds.parser import ParseOptions

    issue = parse(PLAIN, options=ParseOptions(section_slugs={"分布式系统": "distributed"}))
    assert [s.slug for s in issue.sections] == ["distributed"]


def test_raw_html_and_unsafe_links_in_summary_are_neutralised() -> None:
    text = PLAIN.replace("第一篇的摘要。", '<script>alert(1)</script> [x](javascript:alert(1)) '
                                         '<img src=x onerror=alert(1)> & ]]>')
    first = parse(text).articles[0]
    assert first.summary_html == ("<p>&lt;script&gt;alert(1)&lt;/script&gt; x "
                                  "&lt;img src=x onerror=alert(1)&gt; &amp; ]]&gt;</p>")


@pytest.mark.parametrize(("first", "second"), [
    ("**1.** **PyTorch内部机制 **", "**2.** ** AI存储**"),
    ("**1. PyTorch内部机制 **", "**2. AI存储 **"),
])
def test_title_with_space_inside_the_bold_markers(first: str, second: str) -> None:
    """CommonMark does not close ``**标题 **``; the editor still meant a title."""
    assert entries(parse(_titles(first, second))) == EXPECTED


def test_bold_in_a_numbered_summary_line_is_not_a_title() -> None:
    text = PLAIN.replace("**摘要:** 第一篇的摘要。", "**摘要:** 第一篇的摘要。\n\n**1.** 第一点 **重要**")
    issue = parse(text)
    assert [a.title for a in issue.articles] == ["PyTorch内部机制", "AI存储"]
    assert issue.articles[0].summary_text == "第一篇的摘要。\n\n1. 第一点 重要"
