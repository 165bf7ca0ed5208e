"""A line of ``---`` right under a line of text makes that text a heading (a setext
heading, in Markdown): under a summary, an editor's rule turned the summary into a
section, published as a feed of its own at a URL that would never go away. A section
is written ``## name``; a setext one is an error on the line of ``---``, and a rule
with a blank line before it is still a rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main
from test_build import all_files, build, write_project

HEAD = "# 云计算技术动态 2024 年第二十九期\n\n"
ARTICLE = "**{n}.** **标题{n}**\n\nhttps://example.com/{n}\n\n**摘要:** 第{n}篇的摘要。\n"
NAME = "2024-07-20-29.md"


def _check(tmp_path: Path, text: str) -> tuple[int, str, str]:
    project = write_project(tmp_path, {NAME: text})
    return run_main("check", "--config", str(project / "feeds.toml"), str(project / "issues"))


@pytest.mark.usefixtures("either_path")
def test_a_rule_right_under_a_summary_is_an_error_on_its_line(tmp_path: Path) -> None:
    text = (HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + "---\n\n"
            + ARTICLE.format(n=2))
    code, out, err = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, err) == (1, "")  # (the report is check's output)
    assert out.splitlines() == [
        f"{issue}:5: warning: article 1 in section 分布式系统 has no summary (摘要)",
        f"{issue}:10: error: the line '---' under '摘要: 第1篇的摘要。' makes it a section "
        "heading; leave a blank line before it for a rule, or write the section as "
        "'## 摘要: 第1篇的摘要。'",
        "checked 1 file: 1 error, 1 warning",
    ]


@pytest.mark.usefixtures("either_path")
def test_a_section_written_as_a_setext_heading_is_told_its_atx_form(tmp_path: Path) -> None:
    text = "---\ndate: 2024-07-20\n---\n" + HEAD + "分布式系统\n-----\n\n" + ARTICLE.format(n=1)
    code, out, _ = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert code == 1
    assert out.splitlines()[0] == (
        f"{issue}:7: error: the line '-----' under '分布式系统' makes it a section heading; "
        "leave a blank line before it for a rule, or write the section as '## 分布式系统'")


@pytest.mark.usefixtures("either_path")
def test_a_rule_after_a_blank_line_is_a_rule(tmp_path: Path) -> None:
    ruled = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + "\n---\n\n" + ARTICLE.format(n=2)
    plain = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + "\n" + ARTICLE.format(n=2)
    code, out, _ = _check(tmp_path / "ruled", ruled)
    assert (code, out) == (0, "checked 1 file: 0 errors, 0 warnings\n")
    assert build(write_project(tmp_path / "ruled", {NAME: ruled}))[0] == 0
    assert build(write_project(tmp_path / "plain", {NAME: plain}))[0] == 0
    assert all_files(tmp_path / "ruled" / "output") == all_files(tmp_path / "plain" / "output")


def test_a_build_with_such_a_rule_writes_nothing(tmp_path: Path) -> None:
    good = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1)
    project = write_project(tmp_path, {NAME: good})
    assert build(project)[0] == 0
    before = all_files(project / "output")
    (project / "issues" / NAME).write_text(good + "---\n", encoding="utf-8")
    code, _, err = build(project)
    assert code == 1
    assert "error: the line '---' under" in err and "nothing was written" in err
    assert all_files(project / "output") == before


@pytest.mark.usefixtures("either_path")
def test_a_line_of_equals_under_a_summary_is_a_warning_to_remove_it(tmp_path: Path) -> None:
    """A line of '=' under a summary makes it a level-1 heading in Markdown. The summary
    is kept, but the warning said to write it as a section ('## 摘要: …'), which would
    have made it one (breaker13b)."""
    text = HEAD + "## 分布式系统\n\n" + ARTICLE.format(n=1) + "===\n\n" + ARTICLE.format(n=2)
    code, out, _ = _check(tmp_path, text)
    issue = tmp_path / "issues" / NAME
    assert (code, out.splitlines()) == (0, [
        f"{issue}:10: warning: the line '===' under '摘要: 第1篇的摘要。' makes it a heading "
        "in Markdown; remove it (a line of '=' is no rule: a rule is '---' after a blank line)",
        "checked 1 file: 0 errors, 1 warning"])
    project = write_project(tmp_path / "built", {NAME: text})
    assert build(project)[0] == 0
    plain = write_project(tmp_path / "plain", {NAME: text.replace("===\n", "")})
    assert build(plain)[0] == 0
    assert all_files(project / "output") == all_files(plain / "output")
