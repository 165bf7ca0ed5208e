"""A publish that makes many files in one folder stages them in folders of their own
inside it (``feeds.writer.STAGE_FOLDERS``), so that their creates, each holding the
folder it is made in, go on both cores: the same bytes and manifest as staging each
beside its target (the reference), nothing left behind on success, on failure, on a
stop or after a kill (the next build removes what a killed one left)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from test_build import all_files, build
from test_signals import ENV, _command, _published, corpus, reference  # noqa: F401
from test_sync_after_all import _manifest, _pages, _project, _temporaries

from feeds import writer
from feeds.writer import OutputDir


def _creates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the files the publish creates, as it creates them."""
    made: list[str] = []
    real = os.open

    def noted(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if flags & os.O_CREAT:
            made.append(os.fspath(path))
        return real(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", noted)
    return made


@pytest.mark.parametrize("folders", [2, 0])
def test_the_files_of_a_large_folder_are_made_in_folders_of_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: int) -> None:
    monkeypatch.setattr(writer, "STAGE_FOLDERS", folders)
    out_dir = tmp_path / "output"
    pages = _pages(writer.STAGE_FROM + 6)
    pages["index.html"] = b"<p>index</p>\n"  # alone in its folder: beside its target
    made = _creates(monkeypatch)
    published = OutputDir(out_dir).publish(pages, {})
    monkeypatch.undo()
    assert sorted(published.changed) == sorted(pages)
    assert all_files(out_dir) == pages
    issues = str(out_dir / "issues")
    parents = {os.path.dirname(p) for p in made if p.startswith(issues)}
    if folders:
        assert len(parents) == 2
        assert all(os.path.dirname(p) == issues
                   and os.path.basename(p).startswith(writer.TMP_PREFIX) for p in parents)
        per_folder = sorted(sum(os.path.dirname(p) == f for p in made) for f in parents)
        assert per_folder == [(len(pages) - 1) // 2, (len(pages) - 1) // 2]
    else:
        assert parents == {issues}
    assert [os.path.dirname(p) for p in made if not p.startswith(issues)] == [str(out_dir)]
    assert not writer._PENDING and not _temporaries(out_dir)


def test_a_small_folder_is_not_staged_apart(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = tmp_path / "output"
    pages = _pages(writer.STAGE_FROM - 1)
    made = _creates(monkeypatch)
    OutputDir(out_dir).publish(pages, {})
    monkeypatch.undo()
    assert {os.path.dirname(p) for p in made} == {str(out_dir / "issues")}
    assert all_files(out_dir) == pages


def test_a_build_publishes_the_same_bytes_and_manifest_as_the_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "STAGE_FROM", 4)  # the 13 issue pages, and more
    plain, apart = _project(tmp_path / "plain"), _project(tmp_path / "apart")
    monkeypatch.setattr(writer, "STAGE_FOLDERS", 0)
    assert build(plain)[0] == 0
    monkeypatch.setattr(writer, "STAGE_FOLDERS", 2)
    made = _creates(monkeypatch)
    code, _, err = build(apart)
    assert code == 0, err
    assert sum(f"/{writer.TMP_PREFIX}" in os.path.dirname(p) for p in made) >= 13
    assert all_files(apart / "output") == all_files(plain / "output")
    assert _manifest(apart) == _manifest(plain)
    assert not _temporaries(apart / "output")


def test_staging_folders_that_cannot_be_made_leave_the_files_beside_their_targets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.mkdir

    def refused(path: Any, mode: int = 0o777, **kw: Any) -> None:
        if os.path.basename(os.fspath(path)).endswith(".1"):  # the second of two
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, mode, **kw)

    out_dir = tmp_path / "output"
    pages = _pages(writer.STAGE_FROM)
    monkeypatch.setattr(os, "mkdir", refused)
    made = _creates(monkeypatch)
    OutputDir(out_dir).publish(pages, {})
    monkeypatch.undo()
    assert {os.path.dirname(p) for p in made} == {str(out_dir / "issues")}
    assert all_files(out_dir) == pages
    assert not writer._PENDING and not _temporaries(out_dir)


def test_a_stop_removes_the_staging_folders_with_their_files(tmp_path: Path) -> None:
    from feeds import signals

    saved = writer._PENDING
    writer._PENDING = set()
    try:
        [first, second] = writer._staging_folders(tmp_path / "issues", 2)
        made = os.path.join(first, "a.html.x")
        writer._pending(made)  # as the publish notes it, before it is made
        writer._stage(tmp_path / "issues" / "a.html", b"<p>a</p>", 0o644, tmp=made)
        assert os.path.exists(made)
        writer._pending(os.path.join(second, "b.html.y"))  # noted, not yet made
        for hook in signals._AT_STOP:
            hook()
        assert sorted(os.listdir(tmp_path / "issues")) == []
    finally:
        writer._PENDING = saved


def test_what_a_killed_build_left_in_a_staging_folder_is_removed_by_the_next(
        tmp_path: Path) -> None:
    """The folder's files and links go; what a link names is not touched."""
    project = _project(tmp_path / "p")
    assert build(project)[0] == 0
    published = all_files(project / "output")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not ours\n")
    left = project / "output" / "issues" / f"{writer.TMP_PREFIX}0123456789ab.0"
    left.mkdir()
    (left / "2024-7.html.0123456789ab").write_bytes(b"<p>half</p>")
    (left / "link.html.0123456789ab").symlink_to(outside)
    elsewhere = tmp_path / "elsewhere"  # a link named as a staging folder is: not followed
    elsewhere.mkdir()
    (elsewhere / "keep.html").write_bytes(b"not ours either\n")
    linked = project / "output" / "issues" / f"{writer.TMP_PREFIX}ba9876543210.1"
    linked.symlink_to(elsewhere, target_is_directory=True)
    assert build(project)[0] == 0  # a no-op: nothing is published, nothing swept
    (project / "issues" / "2024-07-27-30.md").write_bytes(
        (project / "issues" / "2024-07-20-29.md").read_bytes()
        .replace("第二十九期".encode(), "第三十期".encode()))
    code, _, err = build(project)
    assert code == 0, err
    assert not left.exists() and outside.read_bytes() == b"not ours\n"
    assert not linked.is_symlink() and (elsewhere / "keep.html").read_bytes() == \
        b"not ours either\n"
    assert not _temporaries(project / "output")
    assert set(published) <= set(all_files(project / "output"))


def _staging_seen(out: Path) -> bool:
    issues = out / "issues"
    try:
        return any(n.startswith(writer.TMP_PREFIX) and (issues / n).is_dir()
                   for n in os.listdir(issues))
    except OSError:
        return False


def _caught_staging(corpus: Path, out: Path) -> subprocess.Popen[bytes] | None:  # noqa: F811
    """A cold build caught while its staging folders are there (None: it ended first)."""
    proc = subprocess.Popen(_command(corpus, out), env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _staging_seen(out):
        if proc.poll() is not None:
            proc.communicate()
            return None
        assert time.monotonic() < deadline
        time.sleep(0.0005)
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_build_stopped_while_staging_apart_is_made_whole_by_the_next(
        corpus: Path, reference: dict[str, bytes], tmp_path: Path,  # noqa: F811
        signum: int) -> None:
    out = tmp_path / "output"
    for _ in range(5):  # a fast machine may finish before it is caught
        proc = _caught_staging(corpus, out)
        if proc is not None:
            break
        import shutil

        shutil.rmtree(out)
        shutil.rmtree(f"{out}.state")
    else:
        pytest.skip("the build's staging was never caught in five tries")
    os.killpg(proc.pid, signum)
    _, err = proc.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert (proc.returncode, err) in ((143, b"feeds: terminated\n"), (0, b""))
        assert _temporaries(out) == []
    else:
        assert proc.returncode == -signal.SIGKILL
    done = subprocess.run(_command(corpus, out), env=ENV, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _published(out) == reference
    assert _temporaries(out) == []


def test_a_large_folder_published_again_leaves_nothing_pending(tmp_path: Path) -> None:
    """Its unchanged files make no temporary file: none is left noted as pending
    (a stop would otherwise unlink a name no file has, and the set would grow)."""
    out_dir = tmp_path / "output"
    pages = _pages(writer.STAGE_FROM + 6)
    first = OutputDir(out_dir).publish(pages, {})
    assert not writer._PENDING
    again = {**pages, "issues/2024-3.html": b"<p>changed</p>\n"}
    second = OutputDir(out_dir).publish(again, dict(first.rows))
    assert second.changed == ("issues/2024-3.html",)
    assert all_files(out_dir) == again
    assert not writer._PENDING and not _temporaries(out_dir)


def test_a_full_disk_while_pages_are_made_apart_is_exit_4_and_publishes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build whose page fails to be made in its staging folder: exit 4 naming
    the page, no file published, nothing left; the next build is a clean one's."""
    monkeypatch.setattr(writer, "STAGE_FROM", 4)  # the 13 issue pages, and more
    project, clean = _project(tmp_path / "p"), _project(tmp_path / "clean")
    assert build(clean)[0] == 0
    real = os.open

    def full(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        folder, _, name = os.fspath(path).rpartition("/")
        if flags & os.O_CREAT and name.startswith("2024-29.html.") \
                and os.path.basename(folder).startswith(writer.TMP_PREFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", full)
    code, out, err = build(project)
    monkeypatch.undo()
    assert (code, out) == (4, "")
    assert err == (f"feeds: error: {project / 'output' / 'issues' / '2024-29.html'}: "
                   "cannot write: no space left on device\n")
    assert all_files(project / "output") == {}
    assert not writer._PENDING and not _temporaries(project / "output")
    assert build(project)[0] == 0
    assert all_files(project / "output") == all_files(clean / "output")
