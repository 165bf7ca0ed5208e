"""`feeds new`: the next issue's file, as an editor starts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from compose import DraftArticle, issue_markdown
from conftest import SEED

from feeds.cli import cli

EXAMPLE = """<!-- 每篇文章照下面的格式写（写好后删去这段注释）：

**1.** **文章标题**

https://example.com/article

**摘要:** 一两句话说明文章讲了什么。

作者：张三
标签：分布式系统，存储
-->"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _issue(project: Path, name: str, year: int, number: int) -> None:
    (project / "issues").mkdir(exist_ok=True)
    text = issue_markdown("云计算技术动态", year, number,
                          [("分布式系统", [DraftArticle("T", f"https://e.com/{year}/{number}", "S")])])
    (project / "issues" / name).write_text(text, encoding="utf-8")


def test_new_in_an_empty_folder(project: Path) -> None:
    assert run("new", "--date", "2024-11-09") == (0, "issues/2024-11-09-1.md\n", "")
    text = (project / "issues" / "2024-11-09-1.md").read_text(encoding="utf-8")
    assert text == ("---\ndate: 2024-11-09\n---\n# 云计算技术动态 2024 年第一期\n\n"
                    f"## 栏目名称\n\n{EXAMPLE}\n")
    assert run("check") == (0, "issues/2024-11-09-1.md:6: warning: section 栏目名称 has no "
                               "articles\nchecked 1 file: 0 errors, 1 warning\n", "")


def test_new_after_the_seed_takes_its_sections_and_the_next_number(project: Path) -> None:
    (project / "issues").mkdir()
    (project / "issues" / "2024-11-02-29.md").write_bytes(SEED.read_bytes())
    assert run("new", "--date", "2024-11-09") == (0, "issues/2024-11-09-30.md\n", "")
    text = (project / "issues" / "2024-11-09-30.md").read_text(encoding="utf-8")
    assert text == ("---\ndate: 2024-11-09\n---\n# 云计算技术动态 2024 年第三十期\n\n"
                    f"## 分布式系统\n\n{EXAMPLE}\n\n## 云计算技术\n\n## 大模型技术\n\n## 技术之外\n")
    code, out, _ = run("check")
    assert code == 0
    assert out.endswith("checked 2 files: 0 errors, 4 warnings\n")
    assert "error" not in out.replace("0 errors", "")


def test_new_across_a_year_boundary(project: Path) -> None:
    _issue(project, "2023-12-30-52.md", 2023, 52)
    _issue(project, "2024-01-06-1.md", 2024, 1)
    _issue(project, "2024-12-28-50.md", 2024, 50)
    assert run("new", "--date", "2024-12-31")[1] == "issues/2024-12-31-51.md\n"
    assert run("new", "--date", "2025-01-04")[1] == "issues/2025-01-04-1.md\n"  # restarts yearly
    text = (project / "issues" / "2025-01-04-1.md").read_text(encoding="utf-8")
    assert "# 云计算技术动态 2025 年第一期\n" in text


def test_new_with_continuous_numbering_runs_on(project: Path) -> None:
    _issue(project, "2023-12-30-99.md", 2023, 99)
    _issue(project, "2024-01-06-100.md", 2024, 100)
    assert run("new", "--date", "2025-01-04")[1] == "issues/2025-01-04-101.md\n"
    text = (project / "issues" / "2025-01-04-101.md").read_text(encoding="utf-8")
    assert "# 云计算技术动态 2025 年第一百零一期\n" in text


def test_new_never_overwrites_and_refuses_a_taken_number(project: Path) -> None:
    _issue(project, "2024-11-02-29.md", 2024, 29)
    assert run("new", "--date", "2024-11-09", "--number", "29") == (
        2, "", "feeds: error: issue 2024 No. 29 already exists in issues/2024-11-02-29.md; "
               "choose another --number\n")
    _issue(project, "2024-11-09-31.md", 2024, 40)  # a file in the way, numbered otherwise
    before = (project / "issues" / "2024-11-09-31.md").read_bytes()
    assert run("new", "--date", "2024-11-09", "--number", "31") == (
        4, "", "feeds: error: issues/2024-11-09-31.md: already exists; not overwritten\n")
    assert (project / "issues" / "2024-11-09-31.md").read_bytes() == before
    assert run("new", "--date", "2024-11-09", "--number", "30")[:2] == (
        0, "issues/2024-11-09-30.md\n")


def test_new_refuses_while_an_issue_is_broken(project: Path) -> None:
    (project / "issues").mkdir()
    (project / "issues" / "bad.md").write_text("# no number\n", encoding="utf-8")
    code, out, err = run("new", "--date", "2024-11-09")
    assert (code, out) == (1, "")
    assert err.endswith("feeds: error: fix the issues above before starting a new one\n")
    assert sorted(p.name for p in (project / "issues").iterdir()) == ["bad.md"]


def test_new_rejects_a_bad_date(project: Path) -> None:
    code, _, err = run("new", "--date", "2024-13-01")
    assert code == 2 and "'2024-13-01' does not match the format '%Y-%m-%d'" in err


@pytest.mark.parametrize(("args", "message"), [
    (("--number", "99999", "--date", "2024-11-08"), "--number 99999 is not a number from 1 to 9999"),
    (("--number", "10000", "--date", "2024-11-08"), "--number 10000 is not a number from 1 to 9999"),
    (("--date", "3000-01-01"), "--date 3000-01-01: the year 3000 is outside 1900-2999"),
    (("--date", "1899-12-31"), "--date 1899-12-31: the year 1899 is outside 1900-2999"),
])
def test_new_refuses_what_check_would_reject_and_writes_nothing(project: Path, args: tuple[str, ...],
                                                               message: str) -> None:
    """Such a file failed `feeds check`, and every later `feeds new` refused to run."""
    assert run("new", *args) == (2, "", f"feeds: error: {message}\n")
    assert not (project / "issues").exists() or not any((project / "issues").iterdir())
    code, out, _ = run("new", "--date", "2024-11-08")
    assert (code, out) == (0, "issues/2024-11-08-1.md\n")


def test_new_after_issue_9999_asks_for_a_number(project: Path) -> None:
    _issue(project, "2024-11-01-9999.md", 2024, 9999)
    assert run("new", "--date", "2024-11-08") == (
        2, "", "feeds: error: the next issue number, 10000, is not a number from 1 to 9999\n")
    code, out, _ = run("new", "--date", "2024-11-08", "--number", "1")
    assert (code, out) == (0, "issues/2024-11-08-1.md\n")
    assert run("check", "issues")[0] == 0
