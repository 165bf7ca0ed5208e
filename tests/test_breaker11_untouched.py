"""Hostile tests (breaker11): a publish in which no file changes touches nothing in the
output folder, staging folders or not (see feeds.writer.STAGE_FOLDERS): no folder is
made and removed in ``issues/``, whose mtime a sync job, a backup or a watcher on
the folder would otherwise see change on a build that changed nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from test_build import all_files
from test_sync_after_all import _pages

from feeds import writer
from feeds.writer import OutputDir


def _folders_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real = os.mkdir

    def noted(path: Any, mode: int = 0o777, **kw: Any) -> None:
        made.append(os.fspath(path))
        real(path, mode, **kw)

    monkeypatch.setattr(os, "mkdir", noted)
    return made


@pytest.mark.parametrize("known", [True, False], ids=["manifest", "no-manifest"])
@pytest.mark.parametrize("folders", [2, 0])
def test_a_publish_that_changes_nothing_leaves_the_folder_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: int, known: bool) -> None:
    """``known``: the files' rows are in the manifest; else (a state lost, a build
    with a new state folder) each file is found to hold the bytes already."""
    monkeypatch.setattr(writer, "STAGE_FOLDERS", folders)
    out_dir = tmp_path / "output"
    pages = _pages(writer.STAGE_FROM + 6)
    first = OutputDir(out_dir).publish(pages, {})
    issues = out_dir / "issues"
    before = os.stat(issues)
    time.sleep(0.01)  # (a change of the folder would show in its times)
    made = _folders_made(monkeypatch)
    again = OutputDir(out_dir).publish(dict(pages), dict(first.rows) if known else {})
    after = os.stat(issues)
    assert again.changed == ()
    assert made == []
    assert (after.st_mtime_ns, after.st_ctime_ns, after.st_nlink) == \
        (before.st_mtime_ns, before.st_ctime_ns, before.st_nlink)
    assert all_files(out_dir) == pages
    assert not writer._PENDING


@pytest.mark.parametrize("folders", [2, 0])
def test_a_build_that_changes_only_feeds_leaves_the_issues_folder_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: int) -> None:
    """A config change that shortens the feeds rewrites them, not the issue pages:
    with staging folders, ``issues/`` had two folders made and removed in it all the
    same (as it does on every such build of 64 issues or more)."""
    from test_build import build
    from test_sync_after_all import UNLIMITED, _project

    monkeypatch.setattr(writer, "STAGE_FOLDERS", folders)
    monkeypatch.setattr(writer, "STAGE_FROM", 4)  # the 13 issue pages
    project = _project(tmp_path / "p")
    assert build(project)[0] == 0
    issues = project / "output" / "issues"
    before = os.stat(issues)
    pages = {p: b for p, b in all_files(project / "output").items() if p.startswith("issues/")}
    time.sleep(0.01)
    (project / "feeds.toml").write_text(UNLIMITED.replace("max_items = 0\n", "max_items = 5\n", 1),
                                        encoding="utf-8")
    made = _folders_made(monkeypatch)
    code, out, err = build(project)
    assert code == 0, err
    assert "wrote" in out and "/output/issues/" not in out
    after = os.stat(issues)
    assert [m for m in made if m.startswith(str(issues))] == []
    assert (after.st_mtime_ns, after.st_ctime_ns) == (before.st_mtime_ns, before.st_ctime_ns)
    assert {p: b for p, b in all_files(project / "output").items()
            if p.startswith("issues/")} == pages
