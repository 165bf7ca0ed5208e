"""What one issue may cost is bounded: each limit of feeds/limits.py is an error that
names it, and the costliest small files stay under 2 s of CPU and 200 MB.

The bound is checked in a child process with a hard address-space limit (so the
old unbounded code fails here instead of taking the machine's memory) and a
generous timeout; CPU time, not wall time, is compared, as a coarse bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hostile_files import AT_LIMITS, HEAD, REPORTED

from feeds.limits import (
    MAX_FILE_BYTES,
    MAX_FRONT_MATTER_CHARS,
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_MARKUP,
    MAX_SECTIONS,
)
from feeds.model import ParseError
from feeds.parser import parse_issue
from feeds.sources import read_issue_file

P = "issues/2024-29.md"
ROOT = Path(__file__).resolve().parent.parent
CPU_SECONDS = 2.0
MAX_RSS_MB = 200
ADDRESS_SPACE = 1 << 30
TIMEOUT = 60.0


def problems(text: str | bytes) -> list[str]:
    try:
        return [str(d) for d in parse_issue(text, P).diagnostics]
    except ParseError as exc:
        return [str(d) for d in exc.diagnostics]


def test_file_size_limit() -> None:
    line = "云" * 1000 + "\n"  # 3,001 bytes
    lines = MAX_FILE_BYTES // len(line.encode()) + 1
    text = (HEAD + line * lines).encode()
    crossing = text.count(b"\n", 0, MAX_FILE_BYTES) + 1
    assert problems(text[:MAX_FILE_BYTES] + b"x") == [
        f"{P}:{crossing}: error: the file is larger than the "
        "limit of 262,144 bytes (256 KiB) per issue, which it passes on this line: split the "
        "issue"]
    assert not any("limit" in p for p in problems(text[:MAX_FILE_BYTES]))


def test_line_count_limit() -> None:
    body = "a\n" * (MAX_LINES - HEAD.count("\n"))
    assert not any("limit" in p for p in problems(HEAD + body))
    assert problems(HEAD + body + "a") == [
        f"{P}:5001: error: the file has 5,001 lines; the limit is 5,000 lines per issue: "
        "split the issue"]


def test_line_length_limit() -> None:
    assert not any("limit" in p for p in problems(HEAD + "云" * MAX_LINE_CHARS + "\n"))
    assert problems(HEAD + "**摘要:** s\n\n" + "云" * (MAX_LINE_CHARS + 1) + "\n") == [
        f"{P}:11: error: the line is 10,001 characters long; the limit is 10,000 characters per "
        "line: break it (a paragraph may run over several lines)"]


def test_markup_limit() -> None:
    markup = sum(HEAD.count(c) for c in "*_`[]<>!&\\")
    line = "*a* " * 1000 + "\n"  # 2,000 markup characters
    full, rest = divmod(MAX_MARKUP - markup, 2000)
    text = HEAD + line * full + "`" * rest + "\n"
    assert not any("limit" in p for p in problems(text))
    assert problems(text + "<\n") == [
        f"{P}:{text.count(chr(10)) + 1}: error: more than 20,000 Markdown markup characters "
        "(* _ ` [ ] < > ! & \\) by this line; the limit is 20,000 per issue: split the issue or "
        "use less markup"]


def test_front_matter_size_limit() -> None:
    value = "x" * (MAX_FRONT_MATTER_CHARS - len("title: \n"))
    assert problems(f"---\ntitle: {value}\n---\n{HEAD}**摘要:** s\n") == []
    assert problems(f"---\ntitle: {value}x\n---\n{HEAD}**摘要:** s\n") == [
        f"{P}:2: error: front matter is longer than the limit of 4,096 characters"]


def test_a_huge_file_is_never_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with huge.open("wb") as handle:
        handle.truncate(4 << 30)  # sparse: 4 GiB that take no disk
    assert len(read_issue_file(huge)) == MAX_FILE_BYTES + 1


def test_section_count_limit(tmp_path: Path) -> None:
    sections = "".join(f"## S{i}\n**1.** [T](https://example.com/{i})\n" for i in range(2, 60))
    text = HEAD + sections
    cut = text.split("\n")
    allowed = "\n".join(cut[:cut.index(f"## S{MAX_SECTIONS + 1}")]) + "\n"
    assert not any("limit" in p for p in problems(allowed))
    line = allowed.count("\n") + 1
    assert [p for p in problems(text) if "error" in p] == [
        f"{P}:{line}: error: this is section 51 of the issue; the limit is 50 sections per "
        "issue (each is a feed of its own): merge sections or split the issue"]
    project = _project(tmp_path, text)
    code, _, _, output = measured(["build", "-q"], project)
    assert code == 1
    assert f"issues/2024-07-20-29.md:{line}: error: this is section 51 of the issue" in output
    assert not [p for p in (project / "output").rglob("*") if p.is_file()]


# A small launcher runs `python -m feeds` as its child, with the address-space limit,
# and reports the child's CPU time and peak RSS: measured from this test process, the
# child's peak would include the RSS of this (large) process, which Linux counts
# for a forked child until it runs a new program.
_LAUNCH = """
import os, resource, sys
limit, report = int(sys.argv[1]), sys.argv[2]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execv(sys.executable, [sys.executable, "-m", "feeds", *sys.argv[3:]])
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_utime + usage.ru_stime} "
              f"{usage.ru_maxrss}")
"""


def measured(args: list[str], cwd: Path) -> tuple[int, float, float, str]:
    """Run ``feeds`` in a child with an address-space limit: (exit code, CPU seconds,
    peak RSS in MB, stdout + stderr); a child past TIMEOUT is killed (exit -9)."""
    report = cwd / "measured.txt"
    with tempfile.TemporaryFile() as output:
        launcher = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(ADDRESS_SPACE), str(report), *args],
            cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            launcher.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
            return -9, TIMEOUT, 0.0, "timed out"
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    code, cpu, rss = report.read_text(encoding="utf-8").split()
    return int(code), float(cpu), int(rss) / 1024, text


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2024-07-20-29.md").write_bytes(text.encode("utf-8"))
    (tmp_path / "feeds.toml").write_text('base_url = "https://example.com/"\n'
                                         '[sections]\n"分布式系统" = "distributed"\n',
                                         encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_the_reported_denials_of_service_are_refused_quickly(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path, REPORTED[name])
    code, cpu, rss, output = measured(["check"], project)
    path = "issues/2024-07-20-29.md"
    if name.startswith("alias-bomb"):
        expected = (f"{path}:2: error: front matter: aliases and anchors (*name, &name) are not "
                    "allowed")
    else:
        expected = (f"{path}:9: error: the file is larger than the limit of 262,144 bytes "
                    "(256 KiB) per issue, which it passes on this line: split the issue")
    assert (code, output.splitlines()[0]) == (1, expected)
    assert cpu < CPU_SECONDS and rss < MAX_RSS_MB, (cpu, rss)


@pytest.mark.parametrize("name", sorted(AT_LIMITS))
def test_the_costliest_files_within_the_limits_check_quickly(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path, AT_LIMITS[name])
    code, cpu, rss, output = measured(["check"], project)
    assert code in (0, 1), output[-500:]
    assert "limit" not in output
    assert cpu < CPU_SECONDS and rss < MAX_RSS_MB, (cpu, rss)


@pytest.mark.parametrize("name", ["nested-brackets", "autolinks", "many-articles",
                                  "many-sections"])
def test_the_costliest_files_within_the_limits_build_quickly(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path, AT_LIMITS[name])
    code, cpu, rss, output = measured(["build", "-q"], project)
    assert code == 0, output[-500:]
    assert cpu < CPU_SECONDS and rss < MAX_RSS_MB, (cpu, rss)
