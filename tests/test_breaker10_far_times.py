"""Issue files whose modification time is far ahead: a file unpacked from an archive
with a garbled time, a clock set decades ahead, `touch -d @300000000000`.

Found on main (54da399), on a file system that keeps such times (tmpfs, XFS, Btrfs;
ext4 stops in 2446):

- an undated issue (no front matter date, none in its name, no git) with a time past
  year 9999 made `feeds check` and every `feeds build` exit 70, ``ValueError: year
  11476 is out of range`` or ``OverflowError``. Now an error on its line 1 saying to
  give a date (as for any time outside the years 1900-2999).
- an edited issue the folder published before, with such a time, was published with
  no error: the check that refuses an edit dated more than an hour ahead (README,
  "How a correction reaches readers") skipped a time it could not show as a date, and
  the correction went out undated. Now it is refused like any other time ahead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEED, run_main

PAST_9999 = 300_000_000_000  # 11476-08-15


@pytest.fixture
def far_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project on a file system that keeps a time past 9999 (tmpfs), else skipped."""
    for where in ("/dev/shm", tempfile.gettempdir()):
        if not os.path.isdir(where):
            continue
        root = Path(tempfile.mkdtemp(dir=where, prefix="feeds-far-"))
        probe = root / "probe"
        probe.touch()
        os.utime(probe, (PAST_9999, PAST_9999))
        if probe.stat().st_mtime == PAST_9999:
            probe.unlink()
            (root / "issues").mkdir()
            (root / "feeds.toml").write_text('base_url = "https://example.com/feeds/"\n',
                                             encoding="utf-8")
            monkeypatch.chdir(root)
            yield root
            shutil.rmtree(root)
            return
        shutil.rmtree(root)
    pytest.skip("no file system here keeps a modification time past year 9999")


def error(mtime: int) -> str:
    return (f"issues/2024-29.md:1: error: the file's modification time ({mtime} s after "
            "1970) is not in the years 1900-2999, so it cannot date the issue; add 'date: "
            "YYYY-MM-DD' to front matter\n"
            "issues/2024-29.md:1: warning: no date in front matter, file name or git "
            "history; using the file's modification time (add 'date: YYYY-MM-DD' to front "
            "matter)\n")


def test_an_undated_issue_modified_past_9999_is_an_error(far_project: Path) -> None:
    issue = far_project / "issues" / "2024-29.md"
    issue.write_bytes(SEED.read_bytes())
    os.utime(issue, (PAST_9999, PAST_9999))
    assert run_main("check") == (1, error(PAST_9999) + "checked 1 file: 1 error, 1 warning\n",
                                 "")
    assert run_main("build", "-q") == (1, "", error(PAST_9999)
                                       + "feeds: 1 error; nothing was written\n")


def test_an_edit_modified_past_9999_is_refused_as_ahead(far_project: Path) -> None:
    issue = far_project / "issues" / "2024-11-01-29.md"
    issue.write_bytes(SEED.read_bytes())
    assert run_main("build", "-q") == (0, "", "")
    before = {p: p.read_bytes() for p in (far_project / "output").rglob("*") if p.is_file()}
    issue.write_bytes(SEED.read_bytes().replace("PyTorch内部".encode(), "PyTorch之内部".encode()))
    os.utime(issue, (PAST_9999, PAST_9999))
    assert run_main("build", "-q") == (1, "", (
        f"issues/2024-11-01-29.md: error: modified {PAST_9999} s after 1970, more than an "
        "hour ahead of this machine's clock: a correction in it would be dated then and head "
        "the subscription feeds until then; nothing was published. Set the file's time to "
        "now (touch issues/2024-11-01-29.md) and build again\n"
        "feeds: 1 error; nothing was written\n"))
    assert {p: p.read_bytes() for p in (far_project / "output").rglob("*")
            if p.is_file()} == before
