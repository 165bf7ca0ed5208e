"""Serialised entries that a cold build's workers write to the at-hand file themselves
(:class:`feeds.spool.Placing`) rather than send back through the pool's pipes: room of
their own for each write, read back and stored byte for byte, the same published bytes
and store as when they are sent back; a write that fails sends the bytes, a file cut
short under the build is exit 4, a worker killed holding the lock hangs nothing."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import tempfile
import zlib
from array import array
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
from corpus import write_corpus
from test_build import all_files, build
from test_early_prepare import EVERY, _cold, _project

from feeds import loader, site, slugs
from feeds.slugs import SlugHelper
from feeds.spool import Fragments, Placed, Placing
from feeds.store import DATABASE, Store
from feeds.writer import WriteError

NAMES = ("atom", "rss", "json")
_PLACING: Placing | None = None  # inherited by the forked workers below


def _made(worker: int, issue: int) -> dict[str, tuple[bytes, ...]]:
    """An issue's fragments, different for every worker and issue, of varied sizes."""
    return {f"w{worker}i{issue}e{n}": (f"<entry>{worker}.{issue}.{n}</entry>".encode() * (n + 1),
                                       b"" if n == 1 else f"<item>{issue}</item>".encode(),
                                       os.urandom(n * 37))
            for n in range(5)}


def _place_many(worker: int) -> list[tuple[dict[str, tuple[bytes, ...]], Placed | None]]:
    assert _PLACING is not None
    return [(made, _PLACING.place(made)) for made in map(lambda i: _made(worker, i), range(40))]


def test_workers_writing_at_once_each_get_room_of_their_own() -> None:
    global _PLACING
    kept = Fragments(budget=0)
    _PLACING = kept.shared()
    assert _PLACING is not None and kept.shared() is _PLACING
    kept.keep({"main0": (b"written", b"here", b"first")})  # this process takes room too
    try:
        with ProcessPoolExecutor(4, mp_context=get_context("fork")) as pool:
            results = [r for chunk in pool.map(_place_many, range(8)) for r in chunk]
    finally:
        _PLACING = None
    kept.keep({"main1": (b"and", b"here", b"after")})
    rooms = []
    for made, placed in results:
        assert placed is not None
        assert placed.keys == tuple(made)
        parts = [p for ps in made.values() for p in ps]
        assert array("q", placed.crcs).tolist() == [zlib.crc32(p) for p in parts]
        data = kept.placed(placed)
        assert data == b"".join(parts)
        rooms.append((placed.offset, placed.offset + len(data)))
        kept.adopt(placed, data)
    rooms.sort()
    assert all(end <= start for (_, end), (start, _) in pairwise(rooms))
    assert rooms[0][0] == len(b"writtenherefirst")  # the first room, after this process's
    for made, _ in results:
        for key, parts in made.items():
            assert list(kept[key]) == list(parts)
    assert list(kept["main0"]) == [b"written", b"here", b"first"]
    assert list(kept["main1"]) == [b"and", b"here", b"after"]  # after every room taken
    assert kept.end == rooms[-1][1] + len(b"andhereafter")


def test_adopted_entries_are_held_within_the_budget_then_read_from_the_file() -> None:
    kept = Fragments(budget=30)
    placing = kept.shared()
    assert placing is not None
    made = {"a": (b"0123456789", b"abcdefghij"), "b": (b"x" * 20, b"y"), "c": (b"z", b"")}
    placed = placing.place(made)
    assert placed is not None and placed.size() == 42
    kept.adopt(placed, kept.placed(placed))
    assert kept.held == {"a": (b"0123456789", b"abcdefghij"), "c": (b"z", b"")}  # as keep()
    assert set(kept.at) == {"b"}
    assert list(kept.each(["c", "a", "b"], 0) or []) == [b"z", b"0123456789", b"x" * 20]
    assert list(kept.each(["b", "c"], 1) or []) == [b"y", b""]
    assert kept.width == 2
    other = placing.place({"d": (b"1", b"2", b"3")})  # another number of formats: not kept
    assert other is not None
    kept.adopt(other, kept.placed(other))
    assert "d" not in kept


def test_bytes_that_cannot_be_written_are_left_to_the_caller(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kept = Fragments(budget=0)
    placing = kept.shared()
    assert placing is not None
    assert placing.place({"a": (b"1", b"2"), "b": (b"3",)}) is None  # unlike counts
    assert placing.place({"a": ()}) is None and placing.place({}) is None

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwritev", full)
    monkeypatch.setattr(os, "pwrite", full)
    assert placing.place({"a": (b"1", b"2")}) is None
    monkeypatch.undo()
    placed = placing.place({"b": (b"34", b"5")})
    assert placed is not None and kept.placed(placed) == b"345"


def test_a_file_cut_short_is_an_error_not_bytes_made_up() -> None:
    kept = Fragments(budget=0)
    placing = kept.shared()
    assert placing is not None and kept.file is not None
    placed = placing.place({"a": (b"abc", b"def")})
    assert placed is not None
    os.truncate(kept.file.fileno(), 4)
    with pytest.raises(OSError, match="4 bytes of entries where 6 were written"):
        kept.placed(placed)


def test_no_file_for_the_entries_means_no_placing(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    assert Fragments(budget=0).shared() is None


def test_placed_rows_are_the_rows_of_the_bytes_themselves(tmp_path: Path) -> None:
    made = {"k0": (b"", b"\0\xff\x00", "条目".encode() * 40_000),
            "k1": (b"<entry>a</entry>", b"<item>a</item>", b'{"id": "a"}')}
    parts = [p for ps in made.values() for p in ps]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    store = Store.open(tmp_path / "one")
    store.begin()
    store.add_placed(list(made), [len(p) for p in parts], [zlib.crc32(p) for p in parts],
                     b"".join(parts), NAMES)
    store.add_placed(["t0"], [3, 2], [zlib.crc32(b"abc"), zlib.crc32(b"de")], b"abcde",
                     NAMES[:2])
    store.commit()
    other = Store.open(tmp_path / "two")
    other.begin()
    other.add_fragments(made.items(), NAMES)
    other.add_fragments([("t0", (b"abc", b"de"))], NAMES[:2])
    other.commit()
    query = "SELECT *, typeof(data0), typeof(data1), typeof(data2) FROM fragments ORDER BY key"
    rows = store.db.execute(query).fetchall()
    assert rows == other.db.execute(query).fetchall()
    assert [r[-3:] for r in rows] == [("blob",) * 3, ("blob",) * 3, ("blob", "blob", "null")]
    assert list(store.fragments(["k0", "t0"], "atom", 0)) == [b"", b"abc"]
    store.begin()
    with pytest.raises(ValueError, match="3 sizes and 3 CRCs of 6 bytes for 2 keys of 3 formats"):
        store.add_placed(["a", "b"], [1, 2, 3], [0, 0, 0], b"abcdef", NAMES)
    with pytest.raises(ValueError, match="3 sizes and 3 CRCs of 5 bytes for 1 keys of 3 formats"):
        store.add_placed(["a"], [1, 2, 3], [0, 0, 0], b"abcde", NAMES)
    store.rollback()
    for s in (store, other):
        s.close()


def _fresh(root: Path, early: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """:func:`test_early_prepare._cold` with no slug known to this process (a build
    before this one taught it some): every build stores the same new slugs."""
    monkeypatch.setattr(slugs, "_known", {})
    return _cold(root, early, monkeypatch)


def _pooled(monkeypatch: pytest.MonkeyPatch) -> list[Placed]:
    """Every issue parsed in a pool; what the build's process adopts, counted."""
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    adopted: list[Placed] = []
    adopt = Fragments.adopt

    def counted(self: Fragments, placed: Placed, data: bytes) -> None:
        adopted.append(placed)
        adopt(self, placed, data)

    monkeypatch.setattr(Fragments, "adopt", counted)
    return adopted


@pytest.mark.parametrize("pages", [True, False], ids=["pages", "no-pages"])
def test_placed_entries_give_the_bytes_and_store_of_entries_sent_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pages: bool) -> None:
    root = _project(tmp_path / "site", EVERY + ("" if pages else "pages = false\n"))
    adopted = _pooled(monkeypatch)
    monkeypatch.setattr(site, "PLACE_IN_WORKERS", False)
    sent = _fresh(root, True, monkeypatch)
    assert sent[0][0] == 0, sent[0]
    assert adopted == []
    monkeypatch.setattr(site, "PLACE_IN_WORKERS", True)
    placed = _fresh(root, True, monkeypatch)
    assert placed == sent
    assert len(adopted) == 18  # every dated issue (the undated seed is prepared later)
    stored = {row[0] for row in placed[2]["fragments"]}
    keys = {k for p in adopted for k in p.keys}
    assert keys <= stored and len(stored - keys) == 9  # the seed's 8 articles and digest entry
    code, out, _ = build(root)
    assert code == 0 and "0 changed" in out


def test_no_room_for_the_workers_bytes_sends_them_back_and_publishes_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY)
    adopted = _pooled(monkeypatch)
    reference = _fresh(root, False, monkeypatch)
    place = Placing.place

    def full(self: Placing, made: Any) -> Placed | None:
        monkeypatch.setattr(os, "pwritev", _full)  # in the worker only: inherited by no one
        return place(self, made)

    monkeypatch.setattr(Placing, "place", full)
    assert _fresh(root, True, monkeypatch) == reference
    assert adopted == []


def _full(*args: object) -> int:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_file_cut_short_under_the_build_is_exit_4_and_publishes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY)
    reference = _fresh(root, False, monkeypatch)
    _pooled(monkeypatch)
    read = Fragments.placed

    def cut(self: Fragments, placed: Placed) -> bytes:
        assert self.file is not None
        os.truncate(self.file.fileno(), placed.offset + 1)
        return read(self, placed)

    monkeypatch.setattr(Fragments, "placed", cut)
    (code, out, err), files, _ = _fresh(root, True, monkeypatch)
    assert (code, out, files) == (4, "", {})
    assert err.startswith(f"feeds: error: {tempfile.gettempdir()}: cannot write a temporary "
                          "file: ")
    assert "bytes of entries where" in err and err.endswith("(set TMPDIR to a folder with room)\n")
    monkeypatch.undo()
    assert build(root, "--quiet")[0] == 0
    assert all_files(root / "output") == reference[1]


def test_a_worker_killed_holding_the_lock_ends_the_build_without_a_hang(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY, count=40)
    reference = _fresh(root, False, monkeypatch)
    _pooled(monkeypatch)
    reserve = Placing.reserve
    parent = os.getpid()

    def killed(self: Placing, size: int) -> int:
        if os.getpid() != parent:
            self.lock.acquire()  # and never let go
            os.kill(os.getpid(), signal.SIGKILL)
        return reserve(self, size)

    monkeypatch.setattr(Placing, "reserve", killed)
    signal.alarm(60)  # a hang fails the test rather than the whole run
    try:
        result, files, _ = _fresh(root, True, monkeypatch)
    finally:
        signal.alarm(0)
    # (the pool is broken: exit 5 from the command line, see test_worker_killed; here:
    # no hang, nothing published, and the next build whole)
    assert result[0] != 0 and files == {}
    monkeypatch.undo()
    assert build(root, "--quiet")[0] == 0
    assert all_files(root / "output") == reference[1]


def _catalog(root: Path) -> list[tuple[Any, ...]]:
    """The catalog's rows and its sections' with their rowids: the order they were put in."""
    db = sqlite3.connect(root / ".feeds" / DATABASE)
    try:
        return [*db.execute("SELECT rowid, * FROM catalog ORDER BY rowid"),
                *db.execute("SELECT rowid, * FROM catalog_sections ORDER BY rowid")]
    finally:
        db.close()


@pytest.mark.parametrize("pool", [True, False], ids=["pool", "here"])
def test_catalog_rows_put_as_parsed_are_those_put_after_in_the_same_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: bool) -> None:
    """Cold, then warm with files read again that the store knows (taken from it, put
    first), new ones and an undated one (dated only after the parse): the same rows,
    with the same rowids, as when every row is put after the parse."""
    if pool:
        monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    rows = {}
    for as_parsed in (False, True):
        monkeypatch.setattr(loader, "PUT_AS_PARSED", as_parsed)
        monkeypatch.setattr(slugs, "_known", {})
        shutil.rmtree(tmp_path / "site", ignore_errors=True)
        root = _project(tmp_path / "site", EVERY, count=12)
        for path in (root / "issues").iterdir():  # the undated ones' date: the same each time
            os.utime(path, (1_700_000_000, 1_700_000_000))
        assert build(root, "--quiet")[0] == 0
        cold = _catalog(root)
        for path in sorted((root / "issues").glob("2005-0[23]-*.md")):
            os.utime(path, (1_700_000_001, 1_700_000_001))  # read again, known to the store
        write_corpus(12, root / "issues", start=12)
        (root / "issues" / "2005-01-03-1.md").rename(root / "issues" / "0-first.md")  # undated, first
        assert build(root, "--quiet")[0] == 0
        rows[as_parsed] = (cold, _catalog(root))
    assert rows[True] == rows[False]
    assert len(rows[True][1]) > len(rows[True][0]) > 13


def test_rows_put_into_an_empty_catalog_as_new_are_the_rows_put_otherwise(
        tmp_path: Path) -> None:
    rows = [(f"issues/{n}.md", (f"issues/{n}.md", "云计算技术动态", 2005, n, f"2005-01-0{n}T00:00:00+08:00", "text",
                                f"key{n}", '[["数据库", "shu-ju-ku", 3, 2]]', None, 1),
             1.5 * n, 1.0 * n, [["数据库", "shu-ju-ku", 3, 2], ["AI", "ai", 9, 1]])
            for n in range(1, 4)]
    made = []
    for new in (False, True):
        (tmp_path / str(new)).mkdir()
        store = Store.open(tmp_path / str(new))
        store.begin()
        assert store.catalog_files("context") == set()
        for file, row, newest, stamp, sections in rows:
            store.put_catalog(file, row, newest, stamp, sections, new=new)
        store.commit()
        made.append([*store.db.execute("SELECT rowid, * FROM catalog"),
                     *store.db.execute("SELECT rowid, * FROM catalog_sections"),
                     *store.db.execute("SELECT * FROM archive_marks"),
                     *store.db.execute("SELECT * FROM page_marks")])
        store.close()
    assert made[0] == made[1] and len(made[0]) == 9


def _started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[SlugHelper, bool]]:
    """Each slug helper started, and whether load_catalog had begun by then."""
    started: list[tuple[SlugHelper, bool]] = []
    loading: list[bool] = []
    start, load = SlugHelper.start, loader.load_catalog

    def counted() -> SlugHelper | None:
        helper = start()
        assert helper is not None
        started.append((helper, bool(loading)))
        return helper

    def loaded(*args: Any, **kwargs: Any) -> Any:
        loading.append(True)
        return load(*args, **kwargs)

    monkeypatch.setattr(SlugHelper, "start", staticmethod(counted))
    monkeypatch.setattr(loader, "load_catalog", loaded)
    return started


def test_the_slug_helper_of_a_cold_parse_starts_before_the_catalog_is_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY, count=70)
    reference = _fresh(root, False, monkeypatch)
    started = _started(monkeypatch)
    assert _fresh(root, True, monkeypatch) == reference
    assert [early for _, early in started] == [False]  # one, begun before, taken by the pool
    assert started[0][0].process.returncode == 0 and loader._begun == []
    started.clear()
    write_corpus(70, root / "issues", start=70)  # many new files, their slugs known
    assert build(root, "--quiet")[0] == 0
    assert started == []


def test_a_slug_helper_begun_for_a_build_that_fails_first_is_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY, count=70)
    started = _started(monkeypatch)
    monkeypatch.setattr(slugs, "_known", {})

    def failed(*args: Any, **kwargs: Any) -> Any:
        raise WriteError("no room")

    monkeypatch.setattr(site, "_full_build", failed)
    assert build(root, "--quiet") == (4, "", "feeds: error: no room\n")
    assert len(started) == 1 and started[0][0].process.returncode is not None
    assert loader._begun == []
