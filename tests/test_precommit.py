"""The pre-commit hook, as an editor's newsletter repository runs it (`pre-commit try-repo`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SEED, git, git_repo

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def test_feeds_check_hook_passes_a_good_issue_and_stops_a_bad_one(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "newsletter")
    (repo / "issues").mkdir()
    (repo / "issues" / "2024-11-02-29.md").write_bytes(SEED.read_bytes())
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "issue 29")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def try_repo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PRE_COMMIT, "try-repo", str(ROOT), "feeds-check", *args],
                              cwd=repo, env=env, capture_output=True, text=True, timeout=600,
                              check=False)

    good = try_repo("--all-files")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "feeds check" in good.stdout and "Passed" in good.stdout

    (repo / "issues" / "2024-11-09-30.md").write_text(
        "# 云计算技术动态 2024 年第三十期\n\n## 分布式系统\n\n**1.** **缺链接**\n\n"
        "**摘要:** 没有链接。\n", encoding="utf-8")
    git(repo, "add", ".")
    bad = try_repo()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert ("issues/2024-11-09-30.md:5: error: article 1 in section 分布式系统 has no URL"
            in bad.stdout)

    shutil.rmtree(repo / "issues")
    (repo / "README.md").write_text("not an issue\n", encoding="utf-8")
    git(repo, "add", "-A")
    skipped = try_repo()  # no issue file staged: the hook does not run
    assert skipped.returncode == 0 and "(no files to check)Skipped" in skipped.stdout
