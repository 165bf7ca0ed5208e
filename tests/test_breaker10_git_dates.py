"""An undated issue whose git commit carries a date no issue can have.

Found on main (54da399): a commit dated 9999-12-31T10:59:59-12:00 (a placeholder
"infinity" date from an import or a script's ``--date``) made ``feeds build`` exit 70,
``feeds: internal error: OverflowError: date value out of range``: the date in the
configured time zone (Asia/Shanghai) is in year 10000. A git date outside the years
an issue may have (1900-2999) is now not used, as git dates that cannot be read
never were: the file's modification time dates the issue, with its warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED, git, git_repo, run_main

WARNING = ("issues/2024-29.md:1: warning: no date in front matter, file name or git "
           "history; using the file's modification time (add 'date: YYYY-MM-DD' to front "
           "matter)")


@pytest.mark.parametrize("when", ["@253402297199 -1200",  # 9999-12-31T10:59:59-12:00
                                  "@32516726400 +0000"])  # 3000-06-01T00:00:00+00:00
def test_a_git_date_out_of_range_dates_the_issue_by_its_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "issues").mkdir()
    (repo / "feeds.toml").write_text('base_url = "https://example.com/feeds/"\n',
                                     encoding="utf-8")
    (repo / "issues" / "2024-29.md").write_bytes(
        b"---\nyear: 2024\n---\n" + SEED.read_bytes())
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "issue 29", date=when)
    monkeypatch.chdir(repo)
    code, out, err = run_main("check")
    assert code == 0, err
    assert out.splitlines()[0] == WARNING
    code, _, err = run_main("build", "-q")
    assert (code, err) == (0, "")
    assert (repo / "output" / "atom.xml").is_file()
