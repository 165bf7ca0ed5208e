"""The Python API: what ``import feeds`` offers, and the README's example run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import feeds

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    shutil.copy(ROOT / "feeds.toml", tmp_path / "feeds.toml")
    done = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    issue = feeds.parse_file(tmp_path / "issues" / "2024-29.md").issue
    assert done.stdout == (f"2024 No. 29: {len(issue.articles)} articles\n"
                           f"18 feeds, 28 changed\n"
                           "2024-11-01 []\n")
    assert (tmp_path / "output" / "digest" / "feed.json").exists()
    (tmp_path / "issues" / "2024-29.md").write_text("# 云计算技术动态 2024 年第二十九期\n\n## A\n\n"
                                                  "**1.** **T**\n\nftp://x\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "feeds.model.ParseError" in done.stderr  # load_folder raised


def test_all_names_what_a_user_may_import() -> None:
    assert sorted(feeds.__all__) == [
        "Article", "BuildReport", "Config", "ConfigError", "Diagnostic", "FORMATS", "FeedFormat",
        "Issue", "Loaded", "LockError", "ParseError", "ParseResult", "Section", "WriteError",
        "build_site", "load_config", "load_folder", "parse_file"]
    for name in feeds.__all__:
        assert getattr(feeds, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'plan_feeds'"):
        feeds.plan_feeds  # noqa: B018
    assert (ROOT / "feeds" / "py.typed").exists()


def test_parse_file_and_errors(tmp_path: Path) -> None:
    bad = tmp_path / "2024-07-20-29.md"
    bad.write_text("# 云计算技术动态 2024 年第二十九期\n\n## A\n\n**1.** **T**\n\nftp://x\n",
                   encoding="utf-8")
    with pytest.raises(feeds.ParseError) as caught:
        feeds.parse_file(bad)
    assert [d.line for d in caught.value.errors] == [7]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="not an issue file"):
        feeds.parse_file(tmp_path / "empty")


def test_a_users_mypy_sees_the_typed_api(tmp_path: Path) -> None:
    """The API's types reach a user's ``mypy --strict`` (py.typed); a wrong use is caught."""
    (tmp_path / "use.py").write_text("import feeds\nx: feeds.Config = feeds.load_config(None)\n"
                                     "y: int = feeds.build_site\n", encoding="utf-8")
    done = subprocess.run(  # silent: as for an installed package, whose own errors are not shown
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "use.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**os.environ, "MYPYPATH": str(ROOT)})
    assert done.returncode == 1
    assert 'Incompatible types in assignment (expression has type "Callable[' in done.stdout
    assert done.stdout.count("error:") == 1
