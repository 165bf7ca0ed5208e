"""The files a publish stages on threads all written first, then each fsync'd before any
is renamed (``feeds.writer.SYNC_AFTER_ALL``): the same bytes and manifest as fsyncing
each as it is written (the reference), every file renamed into place fsync'd first,
and a failed fsync fails the publish as it does there, nothing left behind."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from test_build import CONFIG, all_files, build, write_project

from feeds import writer
from feeds.store import DATABASE
from feeds.writer import OutputDir, WriteError

UNLIMITED = CONFIG + "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n"


def _project(root: Path) -> Path:
    from corpus import write_corpus

    project = write_project(root, {"2024-07-20-29.md": SEED.read_bytes()}, UNLIMITED)
    write_corpus(12, project / "issues")
    return project


def _manifest(root: Path) -> list[tuple[str, str, int]]:
    db = sqlite3.connect(root / ".feeds" / DATABASE)
    try:
        return db.execute("SELECT path, digest, size FROM published ORDER BY path").fetchall()
    finally:
        db.close()


def _pages(count: int) -> dict[str, bytes]:
    return {f"issues/2024-{n}.html": f"<p>第{n}期</p>\n".encode() * (n + 1)
            for n in range(count)}


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(writer.TMP_PREFIX)]


@pytest.mark.parametrize("sync_after_all", [True, False])
def test_every_file_is_fsynced_before_any_is_renamed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sync_after_all: bool) -> None:
    """With the switch, no file is fsync'd before every file is written (each temporary
    file is there at the first fsync); either way each file renamed into place was
    fsync'd, before the first rename."""
    monkeypatch.setattr(writer, "SYNC_AFTER_ALL", sync_after_all)
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    pages = _pages(12)
    events: list[tuple[str, int]] = []
    written_at_first_sync: list[int] = []
    fsync, replace = os.fsync, os.replace

    noting = threading.Lock()  # the publish's threads fsync at once

    def noted_fsync(fd: int) -> None:
        with noting:
            if not events:
                written_at_first_sync.append(len(_temporaries(out_dir)))
            events.append(("fsync", os.fstat(fd).st_ino))
        fsync(fd)

    def noted_replace(src: Any, dst: Any) -> None:
        events.append(("rename", os.stat(src).st_ino))
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", noted_fsync)
    monkeypatch.setattr(os, "replace", noted_replace)
    published = OutputDir(out_dir).publish(pages, {})
    assert sorted(published.changed) == sorted(pages)
    assert all_files(out_dir) == pages
    synced = [ino for kind, ino in events if kind == "fsync"]
    renamed = [ino for kind, ino in events if kind == "rename"]
    assert len(renamed) == len(pages) and set(renamed) <= set(synced)
    first_rename = events.index(("rename", renamed[0]))
    assert all(kind == "fsync" for kind, _ in events[:first_rename])
    assert (written_at_first_sync == [len(pages)]) == sync_after_all
    assert not writer._PENDING and not _temporaries(out_dir)


@pytest.mark.parametrize("sync_after_all", [True, False])
@pytest.mark.parametrize("count", [8, writer.STAGE_FROM + 2], ids=["beside", "staged-apart"])
def test_a_failed_fsync_fails_the_publish_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sync_after_all: bool,
        count: int) -> None:
    """The same with the files made beside their targets or in staging folders (from
    writer.STAGE_FROM files in a folder)."""
    monkeypatch.setattr(writer, "SYNC_AFTER_ALL", sync_after_all)
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    (out_dir / "index.html").write_bytes(b"<p>old</p>\n")
    before = all_files(out_dir)
    pages = _pages(count)
    fsync = os.fsync
    failed_in: list[str] = []

    def failing(fd: int) -> None:
        folder, _, name = os.readlink(f"/proc/self/fd/{fd}").rpartition("/")
        if name.removeprefix(writer.TMP_PREFIX).startswith("2024-5.html."):
            failed_in.append(os.path.basename(folder))
            raise OSError(errno.EIO, "Input/output error")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(WriteError) as failed:
        OutputDir(out_dir).publish(pages, {})
    assert str(failed.value) == \
        f"{out_dir / 'issues' / '2024-5.html'}: cannot write: Input/output error"
    [folder] = failed_in
    assert folder.startswith(writer.TMP_PREFIX) if count >= writer.STAGE_FROM \
        else folder == "issues"
    assert all_files(out_dir) == before
    assert not writer._PENDING and not _temporaries(out_dir)


def test_a_build_publishes_the_same_bytes_and_manifest_as_the_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, after_all = _project(tmp_path / "plain"), _project(tmp_path / "after-all")
    monkeypatch.setattr(writer, "SYNC_AFTER_ALL", False)
    assert build(plain)[0] == 0
    monkeypatch.setattr(writer, "SYNC_AFTER_ALL", True)
    calls: list[int] = []
    sync_staged = writer._sync_staged

    def counted(entry: Any) -> None:
        calls.append(1)
        sync_staged(entry)

    monkeypatch.setattr(writer, "_sync_staged", counted)
    code, _, err = build(after_all)
    assert code == 0, err
    assert len(calls) > 13  # the pages at least, each fsync'd after all were written
    assert all_files(after_all / "output") == all_files(plain / "output")
    assert _manifest(after_all) == _manifest(plain)
