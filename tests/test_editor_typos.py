"""Editor typos that silently swallowed an article or a section, or an issue file: a
hostile tester found each on main (761dc19) with no error, no warning and `check`
exiting 0. Each is now a warning on its line saying how to fix it; a real issue (the
seed, the bench corpus) gets none of them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import run_main
from corpus import issue_text

from feeds.model import ParseError
from feeds.parser import parse_issue

P = "issues/2024-11-01-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"
ONE = "**1.** **T1**\n\nhttps://example.com/1\n\n**摘要:** s1\n\n"
DATA = Path(__file__).parent / "data"


def problems(text: str, path: str = P) -> list[str]:
    try:
        return [str(d) for d in parse_issue(text, path).diagnostics]
    except ParseError as exc:
        return [str(d) for d in exc.diagnostics]


def _swallowed(title: str) -> str:
    return HEAD + ONE + f"{title}\n\nhttps://example.com/2\n\n**摘要:** s2\n"


# -- a title that is not read as one

@pytest.mark.parametrize(("title", "reason", "fix"), [
    ("**2。** **T2**", "'。' after the number: write '.', '、' or '．'", "**2.** **T2**"),
    ("**2** **T2**", "no '.' after the number", "**2.** **T2**"),
    ("**2:** **T2**", "':' after the number: write '.', '、' or '．'", "**2.** **T2**"),
    ("**2,** **T2**", "',' after the number: write '.', '、' or '．'", "**2.** **T2**"),
    ("**2。T2**", "'。' after the number: write '.', '、' or '．'", "**2.** **T2**"),
    ("2：**T2**", "'：' after the number: write '.', '、' or '．'", "**2.** **T2**"),
    ("**二.** **T2**", "the number 二 is in Chinese numerals: write digits", "**2.** **T2**"),
    ("**2.** T2", "the title is neither in bold nor a link", "**2.** **T2**"),
    ("#### 2. T2", "a level-4 heading: an article title is a level-3 heading ('### ')",
     "### 2. T2"),
    ("### 2 T2", "no '.' after the number", "### 2. T2"),
])
def test_a_title_not_read_as_one_is_a_warning(title: str, reason: str, fix: str) -> None:
    assert problems(_swallowed(title)) == [
        f"{P}:11: warning: {title!r} looks like the title of an article (its URL follows) "
        f"but is not read as one ({reason}); it is read as text of article 1 in section "
        f"分布式系统: write {fix!r}"]


def test_the_swallowed_article_is_told_once_in_check(project: Path) -> None:
    (project / "issues" / "2024-11-01-29.md").write_text(_swallowed("**2。** **T2**"),
                                                         encoding="utf-8")
    assert run_main("check") == (0, (
        f"{P}:11: warning: '**2。** **T2**' looks like the title of an article (its URL "
        "follows) but is not read as one ('。' after the number: write '.', '、' or '．'); it "
        "is read as text of article 1 in section 分布式系统: write '**2.** **T2**'\n"
        "checked 1 file: 0 errors, 1 warning\n"), "")


def test_a_bare_url_after_the_articles_url_is_a_warning() -> None:
    text = _swallowed("第二篇 T2")
    assert problems(text) == [
        f"{P}:13: warning: a URL alone on its line inside article 1 in section 分布式系统, "
        "after its URL (line 7), is read as text of its summary; if it is another article's, "
        "that article's title above it was not read as one: write it as '**2.** **Title**'"]


def test_a_second_summary_label_is_a_warning() -> None:
    assert problems(HEAD + ONE + "**摘要:** s2\n") == [
        f"{P}:11: warning: a second 摘要 in article 1 in section 分布式系统 (the first is on "
        "line 9); if it is another article's, that article's title above it was not read as "
        "one: write it as '**2.** **Title**'"]


def test_a_url_in_a_paragraph_of_the_summary_is_also_seen() -> None:
    text = HEAD + "**1.** **T1**\nhttps://example.com/1\n**摘要:** s1\n第二篇\nhttps://example.com/2\n" \
        "**摘要:** s2\n"
    assert problems(text) == [
        f"{P}:9: warning: a URL alone on its line inside article 1 in section 分布式系统, "
        "after its URL (line 6), is read as text of its summary; if it is another article's, "
        "that article's title above it was not read as one: write it as '**2.** **Title**'"]


def test_a_project_link_alone_on_its_line_in_a_summary_is_no_warning() -> None:
    """A URL with no 摘要 after it in the article is the summary's own link (项目地址)."""
    text = HEAD + ONE + "**项目地址**\n\nhttps://github.com/etcd-io/raft\n\n" \
        "**2.** **T2**\n\nhttps://example.com/2\n\n**摘要:** s2\n\n开源地址：\n\n" \
        "https://github.com/x/y\n"
    assert problems(text) == []


def test_the_fix_names_the_next_articles_number() -> None:
    text = HEAD + ONE + "**2.** **T2**\n\nhttps://example.com/2\n\n**摘要:** s2\n\n" \
        "第三篇\n\nhttps://example.com/3\n\n**摘要:** s3\n"
    assert [p.rpartition("write it as ")[2] for p in problems(text)] == ["'**3.** **Title**'"]


def test_a_line_of_hashtags_before_a_title_is_no_warning() -> None:
    text = HEAD + ONE + "#分布式 #共识 话题标签\n\n**2.** **T2**\n\nhttps://example.com/2\n\n" \
        "**摘要:** s2\n"
    assert problems(text) == []


def test_a_link_line_or_a_url_in_text_of_a_summary_is_no_warning() -> None:
    text = HEAD + ONE + "[项目地址](https://github.com/x/y)\n\n见 https://example.com/3 。\n\n" \
        "**2.** **T2**\n\n<https://example.com/2>\n\n**摘要:** s2\n"
    assert problems(text) == []


# -- a section heading that is not read as one

SECTIONS = HEAD + ONE + "{heading}\n\n**1.** **T3**\n\nhttps://example.com/3\n\n**摘要:** s3\n"


@pytest.mark.parametrize(("heading", "reason"), [
    ("##技术之外", "no space after '##'"),
    ("＃＃ 技术之外", "'＃' is a full-width character: a heading is written with '#'"),
    ("#技术之外", "'#' without a space is text, and a section heading is '## '"),
    ("**技术之外**", "a bold line alone is not a section heading"),
    ("### 技术之外", "a level-3 heading (###) is not a section heading"),
    ("# 技术之外", "a level-1 heading (#) is not a section heading"),
])
def test_a_section_heading_not_read_as_one_is_a_warning(heading: str, reason: str) -> None:
    assert problems(SECTIONS.format(heading=heading)) == [
        f"{P}:11: warning: {heading!r} looks like a section heading but is not one "
        f"({reason}); what follows stays in section 分布式系统: write '## 技术之外'",
        f"{P}:13: warning: article 1 in section 分布式系统 follows article 1: its number repeats "
        "it; number the articles of a section 1, 2, 3…, or if it starts a new section, add its "
        "'## name' heading above it"]


@pytest.mark.parametrize("line", ["**要点**", "#云原生", "### 背景", "# 说明"])
def test_a_bold_line_or_heading_inside_a_summary_is_no_warning(line: str) -> None:
    """Only before an article's title is such a line taken for a lost section heading."""
    text = HEAD + ONE + f"{line}\n\n正文。\n\n**2.** **T2**\n\nhttps://example.com/2\n\n**摘要:** s\n"
    assert problems(text) == []


# -- article numbers

def test_a_repeated_or_backwards_article_number_is_a_warning() -> None:
    text = HEAD + "".join(f"**{n}.** **A{i}**\n\nhttps://a.example/{i}\n\n**摘要:** s\n\n"
                          for i, n in enumerate((1, 2, 2, 1, 2)))
    assert problems(text) == [
        f"{P}:17: warning: article 2 in section 分布式系统 follows article 2: its number repeats "
        "it; number the articles of a section 1, 2, 3…, or if it starts a new section, add its "
        "'## name' heading above it",
        f"{P}:23: warning: article 1 in section 分布式系统 follows article 2: its number goes "
        "back; number the articles of a section 1, 2, 3…, or if it starts a new section, add its "
        "'## name' heading above it"]


# -- no false alarms on real issues

def test_the_seed_issue_has_no_warning() -> None:
    assert problems((DATA / "2024-29.md").read_text(encoding="utf-8")) == []


def test_the_bench_corpus_has_no_warning() -> None:
    for i in range(40):
        text = issue_text(random.Random(f"29:{i}"), 2005, i + 1, [i * 100])
        assert problems(text, f"issues/{i}.md") == []


# -- files that look like issues but are not read

MISNAMED = ["2024-11-08-30.MD", "2024-11-15-31.markdown", "2024-11-22-32.md ",
            "2024-11-29-33.md.txt"]


def _misnamed_warnings() -> str:
    return "".join(
        f"issues/{name}: warning: {name!r} is not read as an issue: only names ending in "
        f"'.md' are; if it is one, rename it to 'issues/{name.rstrip()[:13]}.md'\n"
        for name in MISNAMED)


def test_a_misnamed_issue_file_is_a_warning_in_check_and_every_build(project: Path) -> None:
    issues = project / "issues"
    (issues / P.split("/")[1]).write_text(HEAD + ONE, encoding="utf-8")
    for name in [*MISNAMED, "notes.txt", "README.markdown", "x.md.bak"]:
        (issues / name).write_text(HEAD + ONE, encoding="utf-8")
    assert run_main("check") == (0, _misnamed_warnings() +
                                 "checked 1 file: 0 errors, 4 warnings\n", "")
    code, _, err = run_main("build")
    assert (code, err) == (0, _misnamed_warnings())
    code, _, err = run_main("build")  # nothing changed: said again
    assert (code, err) == (0, _misnamed_warnings())
    (issues / "2024-11-08-30.md").write_text(HEAD + ONE, encoding="utf-8")
    code, out, _ = run_main("check")
    assert out.splitlines()[0] == (
        "issues/2024-11-08-30.MD: warning: '2024-11-08-30.MD' is not read as an issue: only "
        "names ending in '.md' are; if it is one, rename it to 'issues/2024-11-08-30.md' (a "
        "file of that name exists: is this one a copy?)")


def test_a_typo_warning_is_said_again_by_a_build_that_does_not_parse_its_file(
        project: Path) -> None:
    """Warnings of an unchanged issue come from its catalog row."""
    issues = project / "issues"
    (issues / "2024-11-01-29.md").write_text(_swallowed("**2。** **T2**"), encoding="utf-8")
    warning = (f"{P}:11: warning: '**2。** **T2**' looks like the title of an article (its "
               "URL follows)")
    code, _, err = run_main("build")
    assert code == 0 and err.startswith(warning)
    (issues / "2024-11-08-30.md").write_text(HEAD.replace("二十九", "三十") + ONE,
                                             encoding="utf-8")
    code, _, err = run_main("build")
    assert code == 0 and err.startswith(warning) and err.count("\n") == 1
