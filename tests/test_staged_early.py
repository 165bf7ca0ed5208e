"""A cold build's large feeds staged by forked children while its web edition is made
(:meth:`feeds.writer.OutputDir.stage_early`): the same bytes as staging them while
publishing (``feeds.site.STAGE_EARLY = False``), atomic, and nothing left behind or
lost when a child fails, the build fails or is killed on the way."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED, reaped
from test_build import CONFIG, all_files, build, write_project
from test_forked_publish import TWO_CORES, _feeds, _forkable

from feeds import site, writer
from feeds.parallel import workers
from feeds.writer import FORK_FROM, Forkable, OutputDir, StagedEarly, WriteError

UNLIMITED = CONFIG + "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n"


def _project(root: Path) -> Path:
    from corpus import write_corpus

    project = write_project(root, {"2024-07-20-29.md": SEED.read_bytes()}, UNLIMITED)
    write_corpus(12, project / "issues")
    return project


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(writer.TMP_PREFIX)]


@TWO_CORES
def test_files_staged_early_are_published_by_publish_and_kept_when_unchanged(
        tmp_path: Path) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 3)
    out = OutputDir(out_dir)
    files: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    none: dict[str, Any] = {}
    early = out.stage_early(files, none)
    assert isinstance(early, StagedEarly) and len(early.children) == min(workers(), len(files))
    pids = {child.pid for child in early.children}
    # a killed build's leftover beside them is removed; the early ones are not
    (out_dir / "sections" / "s0").mkdir(parents=True, exist_ok=True)
    (out_dir / "sections" / "s0" / f"{writer.TMP_PREFIX}atom.xml.00dead00beef").write_bytes(b"x")
    published = out.publish({**files, "index.html": b"<p>home</p>\n"}, none, early)
    assert sorted(published.changed) == sorted([*feeds, "index.html"])
    assert all_files(out_dir) == {**feeds, "index.html": b"<p>home</p>\n"}
    assert {p: (r.digest, r.size) for p, r in published.rows.items() if p in feeds} == \
        {p: (hashlib.sha256(d).hexdigest(), len(d)) for p, d in feeds.items()}
    assert all(reaped(pid) for pid in pids)
    assert not writer._PENDING
    stats = {p: os.stat(out_dir / p).st_mtime_ns for p in feeds}
    again = {p: _forkable(d) for p, d in feeds.items()}
    published = out.publish(again, published.rows, out.stage_early(again, published.rows))
    assert published.changed == () and sorted(published.unchanged) == sorted(feeds)
    assert {p: os.stat(out_dir / p).st_mtime_ns for p in feeds} == stats
    assert not writer._PENDING and not _temporaries(out_dir)


@TWO_CORES
def test_files_replaced_after_staging_early_are_published_as_given(tmp_path: Path) -> None:
    """A file given to publish is not the one staged early (another object): what was
    staged is dropped, the file given is written."""
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 1)
    out = OutputDir(out_dir)
    staged: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    none: dict[str, Any] = {}
    early = out.stage_early(staged, none)
    assert early is not None
    other = sorted(feeds)[0]
    given = {**staged, other: b"<feed>given</feed>\n"}
    out.publish(given, none, early)
    assert all_files(out_dir) == {**feeds, other: b"<feed>given</feed>\n"}
    assert not writer._PENDING and not _temporaries(out_dir)


@TWO_CORES
def test_what_a_failed_child_did_not_stage_is_staged_by_publish(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 4)
    broken = sorted(feeds)[2]
    stage_one = OutputDir._stage_one
    parent = os.getpid()

    def failing(self: OutputDir, rel: str, *args: Any) -> Any:
        if os.getpid() != parent and rel == broken:  # in the child that takes it
            stage_one(self, rel, *args)  # its temporary file made, then the child fails
            raise OSError("the child fails")
        return stage_one(self, rel, *args)

    monkeypatch.setattr(OutputDir, "_stage_one", failing)
    out = OutputDir(out_dir)
    files: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    none: dict[str, Any] = {}
    early = out.stage_early(files, none)
    assert early is not None
    published = out.publish(files, none, early)
    assert all_files(out_dir) == feeds
    assert sorted(published.changed) == sorted(feeds)
    assert not writer._PENDING and not _temporaries(out_dir)


@TWO_CORES
def test_staging_early_stopped_kills_the_children_and_removes_their_files(
        tmp_path: Path) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    started = tmp_path / "started"

    def slow() -> Iterator[bytes]:
        yield b"<feed>"
        with open(started, "a", encoding="ascii") as log:
            log.write(f"{os.getpid()}\n")
        time.sleep(60)
        yield b"</feed>"

    out = OutputDir(out_dir)
    early = out.stage_early({f"s{n}/atom.xml": Forkable(slow) for n in range(FORK_FROM)}, {})
    assert early is not None
    for _ in range(1000):
        if started.exists() and len(started.read_text().split()) == len(early.children):
            break
        time.sleep(0.01)
    assert len(_temporaries(out_dir)) == len(early.children)  # at work
    pids = [child.pid for child in early.children]
    early.stop()
    assert all(reaped(pid) for pid in pids)
    assert not _temporaries(out_dir) and not writer._PENDING


@TWO_CORES
@pytest.mark.parametrize("min_entries", [0, 10 ** 9])
def test_a_cold_build_stages_its_feeds_early_as_the_reference_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, min_entries: int) -> None:
    """Every feed all at hand written by a child begun before the web edition; the
    bytes are those of a build that stages them while publishing, with the feeds of
    few entries made in this process (``min_entries``: the digest's counted large, or not)."""
    plain, early = _project(tmp_path / "plain"), _project(tmp_path / "early")
    monkeypatch.setattr(site, "STAGE_EARLY", False)
    monkeypatch.setattr(site, "APART_MIN_ENTRIES", 10 ** 9)
    assert build(plain)[0] == 0
    monkeypatch.setattr(site, "STAGE_EARLY", True)
    monkeypatch.setattr(site, "APART_MIN_ENTRIES", min_entries)
    monkeypatch.setattr(site, "IN_MEMORY_ENTRIES", 20)  # the digest's 13 entries are few
    begun: list[StagedEarly | None] = []
    stage_early = OutputDir.stage_early

    def noted(self: OutputDir, files: Any, owned: Any) -> StagedEarly | None:
        made = stage_early(self, files, owned)
        begun.append(made)
        return made

    monkeypatch.setattr(OutputDir, "stage_early", noted)
    code, _, err = build(early)
    assert code == 0, err
    assert len(begun) == 1 and begun[0] is not None
    assert any(p.startswith("digest/") for p in begun[0].targets) == (min_entries == 0)
    assert all_files(early / "output") == all_files(plain / "output")
    assert not _temporaries(early / "output") and not writer._PENDING


@TWO_CORES
def test_a_build_that_fails_after_staging_early_leaves_the_old_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    root = _project(tmp_path)
    assert build(root)[0] == 0
    before = all_files(root / "output")
    shutil.rmtree(root / ".feeds")  # cold again: every feed at hand, staged early
    monkeypatch.setattr(site, "IN_MEMORY_ENTRIES", 0)
    pids: list[int] = []
    stage_early = OutputDir.stage_early

    def noted(self: OutputDir, files: Any, owned: Any) -> StagedEarly | None:
        made = stage_early(self, files, owned)
        assert made is not None
        pids.extend(child.pid for child in made.children)
        return made

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise WriteError("output: cannot write: no space left on the device")

    monkeypatch.setattr(OutputDir, "stage_early", noted)
    monkeypatch.setattr(site, "_web_edition", failing)
    code, _, err = build(root)
    assert code == 4 and "no space left on the device" in err
    assert pids and all(reaped(pid) for pid in pids)
    assert all_files(root / "output") == before
    assert not _temporaries(root / "output") and not writer._PENDING


_KILLED = """
import sys, time
from feeds import site, webedition
site.IN_MEMORY_ENTRIES = 0
made = webedition.web_edition
def slow(*args, **kwargs):
    print("staging", flush=True)
    time.sleep(60)
    return made(*args, **kwargs)
webedition.web_edition = slow
sys.argv = ["feeds", "build", "--quiet"]
from feeds.__main__ import main
main()
"""


@TWO_CORES
def test_a_build_killed_while_its_feeds_are_staged_early_is_made_whole_by_the_next(
        tmp_path: Path) -> None:
    root = _project(tmp_path / "killed")
    reference = _project(tmp_path / "reference")
    assert build(reference)[0] == 0
    env = {**os.environ, "PYTHONPATH": str(Path(site.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED], cwd=root, env=env,
                            stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"staging\n"
        for _ in range(1000):  # the children at work or done: their files there
            if _temporaries(root / "output"):
                break
            time.sleep(0.01)
        assert _temporaries(root / "output")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    code, _, err = build(root)
    assert code == 0, err
    assert not _temporaries(root / "output")
    assert all_files(root / "output") == all_files(reference / "output")


@TWO_CORES
def test_files_staged_early_against_another_manifest_are_staged_again(tmp_path: Path) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM)
    out = OutputDir(out_dir)
    files: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    early = out.stage_early(files, {})
    assert early is not None
    pids = [child.pid for child in early.children]
    out.publish(files, {}, early)  # another (empty) manifest: its children killed
    assert all(reaped(pid) for pid in pids)
    assert all_files(out_dir) == feeds
    assert not writer._PENDING and not _temporaries(out_dir)


def test_only_a_cold_build_stages_early(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that reuses stored entries makes its web edition first (while the child
    that looks at the published files works), its feeds staged while publishing."""
    from corpus import write_corpus

    root = _project(tmp_path)
    monkeypatch.setattr(site, "IN_MEMORY_ENTRIES", 0)
    order: list[str] = []
    stage_early, web_edition = OutputDir.stage_early, site._web_edition

    def staged(self: OutputDir, files: Any, owned: Any) -> StagedEarly | None:
        order.append("staged")
        return stage_early(self, files, owned)

    def made(*args: Any, **kwargs: Any) -> Any:
        order.append("web edition")
        return web_edition(*args, **kwargs)

    monkeypatch.setattr(OutputDir, "stage_early", staged)
    monkeypatch.setattr(site, "_web_edition", made)
    assert build(root)[0] == 0
    assert order == ["staged", "web edition"]
    order.clear()
    write_corpus(1, root / "issues", start=12)
    code, _, err = build(root)
    assert code == 0, err
    assert order == ["web edition"]
    clean = _project(tmp_path / "clean")
    write_corpus(1, clean / "issues", start=12)
    assert build(clean)[0] == 0
    assert all_files(root / "output") == all_files(clean / "output")


def test_without_a_pipe_nothing_is_staged_early(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_pipe() -> tuple[int, int]:
        raise OSError(errno.EMFILE, "Too many open files")

    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 1)
    files: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    monkeypatch.setattr(os, "pipe", no_pipe)
    out = OutputDir(out_dir)
    assert out.stage_early(files, {}) is None
    assert not writer._PENDING
    monkeypatch.undo()
    out.publish(files, {})
    assert all_files(out_dir) == feeds and not _temporaries(out_dir)


@TWO_CORES
def test_a_file_a_child_failed_to_stage_failing_again_leaves_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the other children staged is removed too: the publish fails whole."""
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 4)
    broken = sorted(feeds)[2]
    stage_one = OutputDir._stage_one

    def failing(self: OutputDir, rel: str, *args: Any, **kwargs: Any) -> Any:
        if rel == broken:  # in the child that takes it, then in publish
            raise WriteError(f"{rel}: cannot write: no space left on the device")
        return stage_one(self, rel, *args, **kwargs)

    monkeypatch.setattr(OutputDir, "_stage_one", failing)
    out = OutputDir(out_dir)
    files: dict[str, Any] = {p: _forkable(d) for p, d in feeds.items()}
    none: dict[str, Any] = {}
    early = out.stage_early(files, none)
    assert early is not None
    with pytest.raises(WriteError, match=f"^{broken}: cannot write: no space left"):
        try:
            out.publish(files, none, early)
        finally:
            early.stop()
    assert all_files(out_dir) == {}
    assert not writer._PENDING and not _temporaries(out_dir)
