"""A rebuild after a change of configuration: it publishes what a cold build of the new
configuration publishes, makes the entries as a cold build does (on all cores, from the
stored parse results, never whole in the plan), reuses the pages its old entries held,
and gives the free space of the state database back to the file system."""

from __future__ import annotations

import functools
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED
from corpus import write_corpus
from test_build import CONFIG, all_files, build, write_project

import feeds.builder
import feeds.site
from feeds import store as store_module

# each change of configuration that changes every entry's bytes
CHANGES = {"pages": "pages = false\n", "timezone": 'timezone = "UTC"\n',
           "base_url": CONFIG.replace("news.example.org/", "elsewhere.example.net/")}


def _config(change: str) -> str:
    return CHANGES[change] if change == "base_url" else CONFIG + CHANGES[change]


def _project(root: Path, issues: int) -> Path:
    root = write_project(root, {"2024-07-20-29.md": SEED.read_bytes()})
    write_corpus(issues, root / "issues")
    return root


def _built(root: Path) -> dict[str, bytes]:
    code, _, err = build(root)
    assert code == 0, err
    return all_files(root / "output")


@functools.cache
def _cold(config: str, issues: int) -> dict[str, bytes]:
    """Every file a cold build of the seed and ``issues`` corpus issues publishes."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return _built(write_project(_project(Path(folder), issues), {}, config))


def _db(root: Path) -> Path:
    return root / ".feeds" / "state.sqlite"


def _pragma(path: Path, name: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_rebuild_in_another_configuration_publishes_what_a_cold_build_does(
        tmp_path: Path, change: str) -> None:
    """66 issues and the seed: enough for the workers (feeds.render.PARALLEL_MIN_ISSUES)."""
    root = _project(tmp_path / "site", 66)
    first = _built(root)
    assert first == _cold(CONFIG, 66)
    (root / "feeds.toml").write_text(_config(change), encoding="utf-8")
    second = _built(root)
    _assert_as_cold(second, _cold(_config(change), 66), first)
    (root / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    back = _built(root)
    if change == "timezone":
        # an entry's updated never moves back (see test_stale_entries): the times the
        # UTC build published stay, as a build that makes every entry from the
        # store's records has them
        _assert_as_cold(back, _remade(root, tmp_path / "copy"), {**first, **second})
    else:
        _assert_as_cold(back, _cold(CONFIG, 66), {**first, **second})


def _remade(root: Path, copy: Path) -> dict[str, bytes]:
    """What a build of ``root`` publishes with no stored entries (each one made again
    from the same records), into an empty output folder."""
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "output")
    with sqlite3.connect(_db(copy)) as db:
        db.execute("DELETE FROM entries")
        db.execute("DELETE FROM fragments")
    db.close()
    return _built(copy)


def _assert_as_cold(files: dict[str, bytes], cold: dict[str, bytes],
                    before: dict[str, bytes]) -> None:
    """Every file is the cold build's, but those published before and no longer made,
    which the tool never deletes (see the README, "Owned files only"): as they were."""
    assert {p: files[p] for p in cold if p in files} == cold
    assert cold.keys() <= files.keys()
    extra = {p: data for p, data in files.items() if p not in cold}
    assert extra == {p: before[p] for p in extra if p in before}


class _Counted:
    """A function that counts its calls in this process."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real(*args, **kwargs)


def test_a_rebuild_in_another_configuration_makes_no_entry_while_planning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer issues than start the workers, so that every call is seen here: the
    entries of a new configuration are prepared before the plan (a call of
    site._prepare_summary per issue), none is made whole for the plan (by the
    builder's issue_entries, as the plan's entries_of does)."""
    root = _project(tmp_path / "site", 12)
    before = _built(root)
    whole = _Counted(feeds.builder.issue_entries)
    prepared = _Counted(feeds.site._prepare_summary)
    monkeypatch.setattr(feeds.builder, "issue_entries", whole)
    monkeypatch.setattr(feeds.site, "_prepare_summary", prepared)
    for config in (_config("pages"), CONFIG, _config("base_url")):
        whole.calls = prepared.calls = 0
        (root / "feeds.toml").write_text(config, encoding="utf-8")
        files = _built(root)
        _assert_as_cold(files, _cold(config, 12), before)
        before.update(files)
        assert (whole.calls, prepared.calls) == (0, 13)
    whole.calls = prepared.calls = 0
    assert _built(root) == files  # nothing changed: nothing made
    assert (whole.calls, prepared.calls) == (0, 0)


def test_a_rebuild_in_another_configuration_reuses_the_pages_of_the_old_entries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old configuration's serialised entries are dropped before the new ones are
    stored: the file does not grow by a second copy of them."""
    monkeypatch.setattr(store_module, "VACUUM_MIN_BYTES", 1 << 40)  # never
    root = _project(tmp_path / "site", 40)
    _built(root)
    size = _db(root).stat().st_size
    for config in (_config("pages"), CONFIG, _config("pages")):
        (root / "feeds.toml").write_text(config, encoding="utf-8")
        _built(root)
        assert _db(root).stat().st_size < size * 1.1
    assert _pragma(_db(root), "freelist_count") * 10 < _pragma(_db(root), "page_count")


SMALL = CONFIG + "archive_page_size = 0\nmax_items = 5\nsection_max_items = 2\n" \
    "digest_max_items = 2\n"  # a few entries in all


def test_free_space_is_given_back_after_most_entries_are_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build with archives stores every serialised entry; a build with small
    limits and no archives keeps only the few its feeds carry, and compacts the
    file: over half of it was free pages."""
    monkeypatch.setattr(store_module, "VACUUM_MIN_BYTES", 1 << 20)
    root = _project(tmp_path / "site", 40)
    before = _built(root)
    size = _db(root).stat().st_size
    (root / "feeds.toml").write_text(SMALL, encoding="utf-8")
    files = _built(root)
    _assert_as_cold(files, _cold(SMALL, 40), before)
    assert _pragma(_db(root), "freelist_count") == 0
    assert _db(root).stat().st_size < size / 2
    wal = root / ".feeds" / "state.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert _built(root) == files  # and the compacted store serves the next builds
    (root / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    _assert_as_cold(_built(root), _cold(CONFIG, 40), {**before, **files})


def test_a_compaction_that_fails_is_a_warning_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "VACUUM_MIN_BYTES", 1 << 20)

    def full(self: store_module.Store) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_module.Store, "_vacuum", full)
    root = _project(tmp_path / "site", 40)
    before = _built(root)
    size = _db(root).stat().st_size
    (root / "feeds.toml").write_text(SMALL, encoding="utf-8")
    code, _, err = build(root)
    assert code == 0
    # before the issues' warnings (the corpus skips numbers), as the store's are
    assert err.splitlines()[0] == (f"{_db(root)}: warning: cannot give back the free space "
                                   "of the state database (database or disk is full); it "
                                   "stays as it is")
    assert err.count("cannot give back") == 1
    _assert_as_cold(all_files(root / "output"), _cold(SMALL, 40), before)
    assert _db(root).stat().st_size >= size
    assert _pragma(_db(root), "freelist_count") * 2 > _pragma(_db(root), "page_count")
    assert build(root)[0] == 0


_COMPACT = """
import sys
from pathlib import Path
from feeds import store
store.VACUUM_MIN_BYTES = 0
s = store.Store.open(Path(sys.argv[1]))
print("start", flush=True)
print(s.give_back_space(), flush=True)
"""


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables}
    finally:
        db.close()


def test_a_compaction_killed_at_any_moment_leaves_the_store_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "VACUUM_MIN_BYTES", 1 << 40)  # left to the subprocess
    root = _project(tmp_path / "site", 40)
    _built(root)
    (root / "feeds.toml").write_text(SMALL, encoding="utf-8")
    _built(root)
    rows = _rows(_db(root))
    assert _pragma(_db(root), "freelist_count") * 2 > _pragma(_db(root), "page_count")
    shutil.copytree(root / ".feeds", tmp_path / "bloated")
    rng = random.Random(10)
    killed = 0
    for _ in range(8):
        shutil.rmtree(root / ".feeds")
        shutil.copytree(tmp_path / "bloated", root / ".feeds")
        proc = subprocess.Popen([sys.executable, "-c", _COMPACT, str(root / ".feeds")],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "start\n"
        time.sleep(rng.uniform(0, 0.03))
        proc.kill()
        killed += proc.wait() == -9
        proc.stdout.close()
        db = sqlite3.connect(_db(root))
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            db.close()
        assert _rows(_db(root)) == rows
    assert killed
    shutil.rmtree(root / "output")
    assert _built(root) == _cold(SMALL, 40)
