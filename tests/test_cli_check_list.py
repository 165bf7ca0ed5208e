"""`feeds check` and `feeds list` as a user and a script see them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED, git, git_repo

from feeds.cli import cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2024-07-20-29.md").write_bytes(SEED.read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_clean(project: Path) -> None:
    assert run("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")


def test_check_reports_problems_and_exits_1(project: Path) -> None:
    bad = project / "issues" / "2024-07-27-30.md"
    bad.write_text("# 云计算技术动态 2024 年第三十期\n\n## 分布式系统\n\n**1.** **A**\n\n"
                   "javascript:alert(1)\n\n**3.** **B**\n\nhttps://a.example/b\n", encoding="utf-8")
    code, out, _ = run("check")
    assert code == 1
    assert out == (
        "issues/2024-07-27-30.md:5: warning: article 1 in section 分布式系统 has no summary (摘要)\n"
        "issues/2024-07-27-30.md:7: error: article 1 in section 分布式系统: URL "
        "'javascript:alert(1)' is not allowed; only http:// and https:// links can be published\n"
        "issues/2024-07-27-30.md:9: warning: article 3 in section 分布式系统 has no summary (摘要)\n"
        "issues/2024-07-27-30.md:9: warning: article 3 in section 分布式系统 follows article 1; "
        "article 2 is missing\n"
        "checked 2 files: 1 error, 3 warnings\n")


def test_check_given_paths(project: Path) -> None:
    assert run("check", "issues/2024-07-20-29.md")[0] == 0
    code, _, err = run("check", "no/such/dir")
    assert code == 2 and "does not exist" in err


def test_check_bad_config_is_a_usage_error(project: Path) -> None:
    (project / "feeds.toml").write_text("max_items = -1\n", encoding="utf-8")
    assert run("check") == (2, "", "feeds: error: feeds.toml: max_items must be 0 (no limit) or more\n")
    (project / "feeds.toml").write_text('[sections]\n"分布式系统" = "../etc"\n', encoding="utf-8")
    code, _, err = run("check")
    assert code == 2 and "cannot contain '/' or '..'" in err


def test_list_table(project: Path) -> None:
    code, out, _ = run("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "云计算技术动态 2024 年第 29 期  2024-07-20  issues/2024-07-20-29.md"
    assert lines[1] == "  分布式系统 [fen-bu-shi-xi-tong]"
    assert lines[2] == "    1. PyTorch内部机制，来自核心开发者的全面解读"
    assert lines[3] == "       https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ"
    assert len(lines) == 1 + 4 + 8 * 2


def test_list_json(project: Path) -> None:
    code, out, _ = run("list", "--json")
    assert code == 0
    [issue] = json.loads(out)
    assert (issue["year"], issue["number"], issue["date"]) == (2024, 29, "2024-07-20T00:00:00+08:00")
    assert [s["slug"] for s in issue["sections"]] == [
        "fen-bu-shi-xi-tong", "yun-ji-suan-ji-shu", "da-mo-xing-ji-shu", "ji-shu-zhi-wai"]
    assert issue["sections"][3]["articles"][1]["title"] == "云规模存储的颠覆性创新：微软探索新型存储技术"


def test_python_dash_m_runs_the_same_command(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-m", "feeds", "check"], capture_output=True,
                          text=True, env=env, check=False)
    assert (done.returncode, done.stdout) == (0, "checked 1 file: 0 errors, 0 warnings\n")
    assert "Traceback" not in done.stderr


def test_undated_issue_takes_the_date_of_the_commit_that_added_it(tmp_path: Path) -> None:
    from feeds.loader import load_issues
    from feeds.parser import ParseOptions

    repo = git_repo(tmp_path / "repo")
    (repo / "issues").mkdir()
    (repo / "issues" / "2024-29.md").write_bytes(SEED.read_bytes())
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "issue 29", date="2024-07-20T09:30:00+08:00")
    (repo / "issues" / "2024-29.md").write_bytes(SEED.read_bytes() + b"\n")
    git(repo, "commit", "-qam", "typo", date="2024-08-01T10:00:00+08:00")
    loaded = load_issues([repo / "issues"], ParseOptions())
    [issue] = loaded.issues
    assert (issue.date.isoformat(), issue.date_source) == ("2024-07-20T09:30:00+08:00", "git")
    assert loaded.diagnostics == ()

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    loaded = load_issues([shallow / "issues"], ParseOptions())
    assert loaded.issues[0].date_source == "mtime"
    year = loaded.issues[0].date.year  # today's: the clone's files are new
    expected = ["no date in front matter, file name or git history"]
    if year != 2024:
        expected.append(f"the issue's date {loaded.issues[0].date:%Y-%m-%d} (from the file's "
                        f"modification time) is in {year}, but it is issue 2024 No. 29")
    assert [d.message.split(";")[0] for d in loaded.diagnostics] == expected


def test_check_github_format(project: Path) -> None:
    bad = project / "issues" / "2024-07-27-30.md"
    bad.write_text("# 云计算技术动态 2024 年第三十期\n\n## 分布式系统\n\n**1.** **A**\n\n"
                   "javascript:alert(1)\n\n## 空, 100%\n", encoding="utf-8")
    code, out, _ = run("check", "--format", "github")
    assert code == 1
    assert out == (
        "::warning file=issues/2024-07-27-30.md,line=5,title=feeds::issues/2024-07-27-30.md:5: "
        "warning: article 1 in section 分布式系统 has no summary (摘要)\n"
        "::error file=issues/2024-07-27-30.md,line=7,title=feeds::issues/2024-07-27-30.md:7: "
        "error: article 1 in section 分布式系统: URL 'javascript:alert(1)' is not allowed; only "
        "http:// and https:// links can be published\n"
        "::warning file=issues/2024-07-27-30.md,line=9,title=feeds::issues/2024-07-27-30.md:9: "
        "warning: section 空, 100%25 has no articles\n"
        "checked 2 files: 1 error, 2 warnings\n")
    assert run("check", "--format", "xml")[0] == 2
