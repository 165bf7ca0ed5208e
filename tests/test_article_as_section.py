"""An article's title written as a section heading (``## 2. **Title**``, its URL
under it) made a section of that name: its article was not published (with only the
warning "section … has no articles"), or the articles after it were, in a feed of its
own at a URL that never goes away. A section heading with a URL under it that reads as
an article's title is an error on its line, naming the title to write; a numbered
section heading with articles under it is still a section."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build import all_files, build, write_project
from test_setext_section import HEAD, NAME, _check

ARTICLE = "**{n}.** **标题{n}**\n\nhttps://example.com/{n}\n\n**摘要:** 第{n}篇的摘要。\n\n"


@pytest.mark.usefixtures("either_path")
@pytest.mark.parametrize(("heading", "fix"), [
    ("## 2. **标题2**", "**2.** **标题2**"),
    ("## 2. 标题2", "**2.** **标题2**"),
    ("## **2.** **标题2**", "**2.** **标题2**"),
    ("## 2、标题2", "**2.** **标题2**"),
    ("## 二、标题2", "**2.** **标题2**"),
], ids=["bold", "plain", "bold-number", "dun-hao", "chinese-numeral"])
def test_an_article_title_written_as_a_section_is_an_error_on_its_line(
        tmp_path: Path, heading: str, fix: str) -> None:
    text = (HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + heading
            + "\n\nhttps://example.com/2\n\n**摘要:** 第2篇的摘要。\n\n" + ARTICLE.format(n=3))
    code, out, err = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{issue}:11: error: the section heading '{heading}' has a URL under it: it looks "
        f"like the title of article 2, which as a heading would not be published; "
        f"write '{fix}'",
        "checked 1 file: 1 error, 0 warnings",
    ]


@pytest.mark.usefixtures("either_path")
def test_numbered_sections_with_articles_under_them_are_sections(tmp_path: Path) -> None:
    text = (HEAD + "## 1. 分布式系统\n\n" + ARTICLE.format(n=1) + "## 2. 云计算技术\n\n"
            + ARTICLE.format(n=1).replace("/1", "/2"))
    code, out, _ = _check(tmp_path, text)
    assert (code, out) == (0, "checked 1 file: 0 errors, 0 warnings\n")
    project = write_project(tmp_path / "built", {NAME: text})
    assert build(project)[0] == 0
    feeds = sorted(p for p in all_files(project / "output") if p.endswith("/atom.xml"))
    assert feeds == ["digest/atom.xml", "sections/1-fen-bu-shi-xi-tong/atom.xml",
                     "sections/2-yun-ji-suan-ji-shu/atom.xml"]


@pytest.mark.usefixtures("either_path")
def test_a_numbered_section_that_is_empty_still_only_warns(tmp_path: Path) -> None:
    text = HEAD + "## 1. 分布式系统\n\n## 2. 云计算技术\n\n" + ARTICLE.format(n=1)
    code, out, _ = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, out.splitlines()) == (0, [
        f"{issue}:3: warning: section 1. 分布式系统 has no articles",
        "checked 1 file: 0 errors, 1 warning"])


def test_a_build_with_such_a_heading_writes_nothing(tmp_path: Path) -> None:
    good = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + ARTICLE.format(n=2)
    project = write_project(tmp_path, {NAME: good})
    assert build(project)[0] == 0
    before = all_files(project / "output")
    (project / "issues" / NAME).write_text(good.replace("**2.** **标题2**", "## 2. **标题2**"),
                                           encoding="utf-8")
    code, _, err = build(project)
    assert code == 1
    assert f"{NAME}:11: error: the section heading '## 2. **标题2**' has a URL under it" in err
    assert "nothing was written" in err
    assert all_files(project / "output") == before


@pytest.mark.usefixtures("either_path")
@pytest.mark.parametrize("heading", ["## 2024 回顾", "## 3.0 新特性", "## 1. 分布式系统"])
@pytest.mark.parametrize("under", ["https://example.com/col", "[专栏主页](https://example.com/col)"])
def test_a_section_with_a_link_under_it_and_its_articles_from_1_is_a_section(
        tmp_path: Path, heading: str, under: str) -> None:
    """A section's own link under its heading, then its articles 1, 2…: a section, as it
    was (it was an error naming 'article 2024', to write '**3.** **0 新特性**')."""
    text = HEAD + heading + "\n\n" + under + "\n\n" + ARTICLE.format(n=1) + ARTICLE.format(n=2)
    code, out, _ = _check(tmp_path, text)
    assert (code, out) == (0, "checked 1 file: 0 errors, 0 warnings\n")


@pytest.mark.usefixtures("either_path")
def test_a_title_with_its_own_link_written_as_a_section_is_an_error(tmp_path: Path) -> None:
    """'## 2. [Title](url)': no URL line under it, the link is the title's own; it was a
    section with no articles (a warning), its article not published."""
    heading = "## 2. [标题2](https://example.com/2)"
    fix = "**2.** [标题2](https://example.com/2)"
    tail = "\n\n**摘要:** 第2篇的摘要。\n\n"
    text = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + heading + tail + ARTICLE.format(n=3)
    code, out, _ = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, out.splitlines()[0]) == (1, (
        f"{issue}:11: error: the section heading '{heading}' has a URL under it: it looks "
        f"like the title of article 2, which as a heading would not be published; "
        f"write '{fix}'"))
    code, out, _ = _check(tmp_path / "fixed", text.replace(heading, fix))
    assert (code, out) == (0, "checked 1 file: 0 errors, 0 warnings\n")


@pytest.mark.usefixtures("either_path")
def test_a_numbered_section_with_its_own_link_and_no_summary_is_a_section(
        tmp_path: Path) -> None:
    """No 摘要 between the heading and its first article: the URL under it is the
    section's own link, whatever the numbers (articles numbered on across sections, or
    none: a last section of links), as before; an error there stopped the build
    (breaker13c)."""
    text = (HEAD + "## 1. 分布式系统\n\n" + ARTICLE.format(n=1) + "## 2. 云计算\n\n"
            "https://example.com/section\n\n" + ARTICLE.format(n=2).replace("/2", "/b")
            + "## 3、往期精选\n\nhttps://example.com/past\n")
    code, out, _ = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, out.splitlines()) == (0, [
        f"{issue}:15: warning: article 2 in section 2. 云计算 follows article 0; article 1 is "
        "missing",
        f"{issue}:21: warning: section 3、往期精选 has no articles",
        "checked 1 file: 0 errors, 2 warnings"])
