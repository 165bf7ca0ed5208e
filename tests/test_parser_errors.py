"""Every error and warning names the file, the line and what to do, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.loader import load_issues
from feeds.model import ParseError
from feeds.parser import ParseOptions, parse_issue

P = "issues/2024-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"


def problems(text: str | bytes, path: str = P) -> list[str]:
    try:
        return [str(d) for d in parse_issue(text, path).diagnostics]
    except ParseError as exc:
        return [str(d) for d in exc.diagnostics]


def test_article_without_url() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n**2.** **B**\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{P}:11: error: article 2 in section 分布式系统 has no URL; put its http(s) link on the "
        "line after the title"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>",
                                 "file:///etc/passwd", "ftp://a.example/x"])
@pytest.mark.parametrize("form", ["{u}", "<{u}>", "[原文]({u})"])
def test_url_that_is_not_http(url: str, form: str) -> None:
    if form == "<{u}>" and " " in url:
        pytest.skip("autolinks cannot hold spaces")
    text = HEAD + "**1.** **A**\n\n" + form.format(u=url) + "\n\n**摘要:** s\n"
    with pytest.raises(ParseError) as info:
        parse_issue(text, P)
    [error] = info.value.diagnostics
    assert (error.path, error.line, error.level) == (P, 7, "error")
    assert error.message.startswith("article 1 in section 分布式系统: URL '")
    assert error.message.endswith("' is not allowed; only http:// and https:// links can be "
                                  "published")


def test_no_issue_number() -> None:
    text = "# 云计算技术动态\n\n## 分布式系统\n\n**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{P}:1: error: no issue number: write the heading as '# 云计算技术动态 2024 年第二十九期' "
        "or set 'number:' in front matter",
        f"{P}:1: error: no year: write it in the heading ('2024 年第…期') or set 'year:' or "
        "'date:' in front matter"]


def test_number_in_front_matter_is_enough() -> None:
    text = "---\nnumber: 29\nyear: 2024\n---\n# 云计算技术动态\n\n## S\n\n**1.** **A**\n\n" \
           "https://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == []


def test_article_before_first_section() -> None:
    text = "# 云计算技术动态 2024 年第二十九期\n\n**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{P}:3: error: article 1 appears before the first section; add a '## section name' "
        "heading above it"]


def test_reports_every_problem_not_just_the_first() -> None:
    text = HEAD + "**1.** **A**\n\n**摘要:** s\n\n**2.** **B**\n\njavascript:x\n\n**摘要:** s\n"
    assert [p.split(": error:")[0] for p in problems(text)] == [f"{P}:5", f"{P}:11"]


def test_two_files_with_the_same_number(tmp_path: Path) -> None:
    body = HEAD + "**1.** **A**\n\nhttps://a.example/{n}\n\n**摘要:** s\n"
    (tmp_path / "2024-07-01-29.md").write_text(body.format(n=1), encoding="utf-8")
    (tmp_path / "2024-07-08-29b.md").write_text(body.format(n=2), encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_issues([tmp_path], ParseOptions())
    [error] = [str(d) for d in info.value.diagnostics]
    first = str(tmp_path / "2024-07-01-29.md")
    assert error == (f"{tmp_path / '2024-07-08-29b.md'}:1: error: issue 2024 No. 29 is also in "
                     f"{first}; give each issue its own number")


def test_two_sections_with_one_slug_in_one_file(tmp_path: Path) -> None:
    text = HEAD + ("**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n"
                   "## 分部式系统\n\n**1.** **B**\n\nhttps://a.example/2\n\n**摘要:** s\n")
    (tmp_path / "2024-07-01-29.md").write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_issues([tmp_path], ParseOptions())
    path = tmp_path / "2024-07-01-29.md"
    assert [str(d) for d in info.value.diagnostics] == [
        f"{path}:11: error: section 分部式系统 has the slug 'fen-bu-shi-xi-tong', like section "
        f"分布式系统 ({path}:3); give one of them its own slug in the [sections] table of "
        "feeds.toml"]
    configured = ParseOptions(section_slugs={"分部式系统": "departments"})
    assert [s.slug for s in load_issues([tmp_path], configured).issues[0].sections] == [
        "fen-bu-shi-xi-tong", "departments"]


@pytest.mark.parametrize("parallel", [False, True])
def test_two_sections_with_one_slug_in_two_files(tmp_path: Path, parallel: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import loader, slugs

    monkeypatch.setattr(slugs, "_known", {})
    if parallel:
        monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    body = "# 云计算技术动态 2024 年第{n}期\n\n## {s}\n\n**1.** **A**\n\nhttps://a.example/{n}\n\n**摘要:** s\n"
    (tmp_path / "2024-07-01-29.md").write_text(body.format(n="二十九", s="AI 前沿"), encoding="utf-8")
    (tmp_path / "2024-07-08-30.md").write_text(body.format(n="三十", s="Ai 前沿"), encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_issues([tmp_path], ParseOptions())
    assert [str(d) for d in info.value.diagnostics] == [
        f"{tmp_path / '2024-07-08-30.md'}:3: error: section Ai 前沿 has the slug 'ai-qian-yan', "
        f"like section AI 前沿 ({tmp_path / '2024-07-01-29.md'}:3); give one of them its own "
        "slug in the [sections] table of feeds.toml"]


def test_not_utf8() -> None:
    data = (HEAD + "**1.** **A**\n").encode("gb18030")
    assert problems(data) == [
        f"{P}:1: error: not valid UTF-8: byte 0xd4 at offset 2 (invalid continuation byte); "
        f"convert the file to UTF-8, e.g. 'iconv -f GB18030 -t UTF-8 {P}'"]


def test_not_utf8_names_the_right_line() -> None:
    data = HEAD.encode() + b"**1.** **A\xff**\n"
    offset = len(HEAD.encode()) + len(b"**1.** **A")
    assert problems(data)[0].startswith(
        f"{P}:5: error: not valid UTF-8: byte 0xff at offset {offset} (invalid start byte)")


def test_warning_empty_section() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n## 空栏目\n"
    assert problems(text) == [f"{P}:11: warning: section 空栏目 has no articles"]


def test_warning_no_summary() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n"
    assert problems(text) == [f"{P}:5: warning: article 1 in section 分布式系统 has no summary (摘要)"]


def test_warning_gap_in_numbering() -> None:
    text = HEAD + "".join(f"**{n}.** **A{n}**\n\nhttps://a.example/{n}\n\n**摘要:** s\n\n"
                          for n in (1, 3, 6))
    assert problems(text) == [
        f"{P}:11: warning: article 3 in section 分布式系统 follows article 1; article 2 is missing",
        f"{P}:17: warning: article 6 in section 分布式系统 follows article 3; articles 4-5 are missing"]


@pytest.mark.parametrize("title", ["**{n}.** **Second**", "**{n}. Second**", "{n}. **Second**",
                                   "### {n}. Second", "**{n}.** [Second](https://b.example/2)"])
@pytest.mark.parametrize("n", [10000, 123456789, 0])
def test_article_number_out_of_range_is_an_error_not_summary_text(title: str, n: int) -> None:
    """A mistyped number used to turn the title into text of the article before it."""
    second = title.format(n=n)
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n" + second + \
        ("\n\n" if "](" in second else "\n\nhttps://b.example/2\n\n") + "**摘要:** t\n"
    assert problems(text) == [f"{P}:11: error: article number {n} is out of range 1-9999"]


def test_warning_duplicate_url_in_issue() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n" \
                  "## 云计算技术\n\n**1.** **B**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{P}:15: warning: article 1 in section 云计算技术 has the same URL as article 1 in "
        "section 分布式系统 (line 7)"]


def test_bad_front_matter() -> None:
    assert problems("---\ndate: [\n---\n# x\n")[0] == (
        f"{P}:2: error: front matter is not valid YAML: expected the node content, but found "
        "'<stream end>'")
    assert problems("---\n- a\n---\n# x\n")[0] == (
        f"{P}:2: error: front matter must be 'key: value' lines (a YAML mapping)")
    assert problems("---\nnumber: 29\n") == [
        f"{P}:1: error: front matter starts with '---' but never ends; close it with a '---' line",
        f"{P}:1: error: no issue number: write the heading as '# 云计算技术动态 2024 年第二十九期' "
        "or set 'number:' in front matter",
        f"{P}:1: error: no year: write it in the heading ('2024 年第…期') or set 'year:' or "
        "'date:' in front matter"]


def test_front_matter_bad_values() -> None:
    text = "---\ndate: someday\nurl: javascript:alert(1)\nfoo: 1\n---\n" + HEAD + \
           "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{P}:2: error: front matter date 'someday' is not a date; write YYYY-MM-DD, or "
        "YYYY-MM-DD HH:MM[:SS] with an optional offset such as +08:00, in the years 1900-2999",
        f"{P}:3: error: front matter url 'javascript:alert(1)' is not allowed; only http:// and "
        "https:// links can be published",
        f"{P}:4: warning: unknown front matter key 'foo' is ignored (known: date, year, number, "
        "title, url)"]


@pytest.mark.parametrize(("url", "ok"), [
    ("https://a.example/x", True), ("http://a.example", True), ("https://A.example/x", True),
    ("https://a.example:8080/x", True), ("https://user@a.example/x", False), ("https://[::1]/x", True),
    ("https://a.example:99999/x", False), ("https:///x", False), ("https://", False),
    ("https://a.example/x y", False), ("https://a.example/\x01", False), ("ftp://a.example/", False),
    ("javascript://a.example/%0aalert(1)", False), ("HTTPS://a.example/", True), ("", False),
])
def test_which_urls_are_web_urls(url: str, ok: bool) -> None:
    from feeds.urls import is_web_url

    assert is_web_url(url) is ok


def test_a_character_reference_to_no_character_is_an_error() -> None:
    """markdown-it writes U+FFFD for these, which the W3C checker calls BadCharacters."""
    text = ("# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统 &#xFFFF;\n\n"
            "**1.** **T &#0; &#xD800;**\n\nhttps://a.example/1\n\n"
            "**摘要:** s &#65; &#x4e91; `&#0;` ``a`&#0;``\n  and &#1114112; &#0\n")
    assert problems(text) == [
        f"{P}:3: error: character reference &#xFFFF; is not a character; remove it",
        f"{P}:5: error: character reference &#0; is not a character; remove it",
        f"{P}:5: error: character reference &#xD800; is not a character; remove it",
        f"{P}:10: error: character reference &#1114112; is not a character; remove it"]
    text = HEAD + "**1.** **A &#65;&#x4e91;**\n\nhttps://a.example/1\n\n**摘要:** `&#0;` is NUL\n"
    assert problems(text) == []


def test_a_summary_link_that_cannot_be_published_is_a_warning_and_keeps_its_text() -> None:
    """Dropping a link the editor wrote must not be silent: each gets a warning on its line."""
    text = HEAD + ("**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** 见 [说明](notes.html)\n"
                   "与 [作者](mailto:a@example.com) 和 [登录](https://u:p@a.example/x)。\n")
    result = parse_issue(text, P)
    assert [str(d) for d in result.diagnostics] == [
        f"{P}:9: warning: link 'notes.html' is not allowed; only http:// and https:// links "
        "can be published; its text is kept without the link",
        f"{P}:10: warning: link 'mailto:a@example.com' is not allowed; only http:// and "
        "https:// links can be published; its text is kept without the link",
        f"{P}:10: warning: link 'https://u:p@a.example/x' contains credentials (user:password@ "
        "before the host); credentials do not belong in a feed: remove them; its text is kept "
        "without the link"]
    [article] = result.issue.articles
    assert article.summary_html == "<p>见 说明\n与 作者 和 登录。</p>"
