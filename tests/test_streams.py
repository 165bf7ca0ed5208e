"""A failed write to standard output or error is exit 4 (or 141 for a closed pipe),
never an internal error (70) or the input-error code (1). Real processes, real
streams: /dev/full and a pipe whose reader is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED

FULL = "feeds: error: cannot write to standard output: no space left on device\n"
DATED = "---\ndate: 2024-07-20\n---\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2024-29.md").write_bytes(DATED.encode() + SEED.read_bytes())
    return tmp_path


def run(project: Path, *args: str, stdout: object = subprocess.PIPE,
        stderr: object = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "feeds", *args], cwd=project, stdout=stdout,
                          stderr=stderr, timeout=120, check=False)


@pytest.mark.parametrize("args", [("check", "issues"), ("list",), ("build",)])
def test_standard_output_full_is_exit_4_saying_so(project: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        result = run(project, *args, stdout=full)
    assert (result.returncode, result.stderr.decode()) == (4, FULL)


def test_both_streams_full_is_a_quiet_exit_4(project: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = run(project, "build", stdout=full, stderr=full)
    assert result.returncode == 4


def test_standard_error_full_is_exit_4_not_the_input_error_code(project: Path) -> None:
    (project / "issues" / "2024-07-27-30.md").write_text(
        "# 云计算技术动态 2024 年第三十期\n\n## s\n\n**1.** **T**\n\nhttps://a.example/\n",
        encoding="utf-8")  # a warning (no summary) goes to standard error
    with open("/dev/full", "wb") as full:
        result = run(project, "build", stderr=full)
    assert result.returncode == 4
    assert (project / "output" / "atom.xml").is_file()


@pytest.mark.parametrize("args", [("list",), ("check", "issues"), ("--help",)])
def test_a_closed_pipe_is_a_quiet_exit_141(project: Path, args: tuple[str, ...]) -> None:
    """Like ``feeds list | head -1``: the reader has gone before feeds writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run(project, *args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, b"")


def _future_issues(project: Path) -> list[str]:
    """Three issues of 2099 (a sub-folder named with an escape character), each dated
    by its file name: three warnings, and the lines a build prints for them."""
    from compose import DraftArticle, issue_markdown

    lines = []
    for folder, number in (("", 1), ("", 2), ("sub\x1b/", 3)):
        (project / "issues" / folder).mkdir(exist_ok=True)
        name = f"2099-01-{number:02d}-{number}.md"
        (project / "issues" / folder / name).write_text(issue_markdown(
            "云计算技术动态", 2099, number,
            [("分布式系统", [DraftArticle("标题", f"https://a.example/{number}", "摘要。")])]),
            encoding="utf-8")
        shown = folder.replace("\x1b", "\\x1b")
        lines.append(f"issues/{shown}{name}:1: warning: the issue's date 2099-01-"
                     f"{number:02d} (from its file name) is more than a day in the future; "
                     f"correct it in the file name (YYYY-MM-DD-{number}.md rather than {name}), "
                     "or set 'date: YYYY-MM-DD' in front matter\n")
    (project / "issues" / "2024-29.md").unlink()
    return lines


def test_a_builds_warnings_are_printed_in_one_write_each_on_its_line(project: Path) -> None:
    """Thousands of warnings are written at once, byte for byte as one a line, control
    characters escaped; on a full disk it is exit 4, on a closed pipe 141."""
    lines = _future_issues(project)
    result = run(project, "build")
    assert (result.returncode, result.stderr.decode()) == (0, "".join(lines))
    with open("/dev/full", "wb") as full:
        result = run(project, "build", stderr=full)
    assert result.returncode == 4
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run(project, "build", stderr=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stdout) == (141, b"")
