"""The serialised entries in the state store (one row per key, a column per format) and
the flushes of a build's stored bytes to the disk while it goes on."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from conftest import ROOT, damage_on_disk

from feeds import store as store_module
from feeds.formats import FORMATS
from feeds.store import FRAGMENT_SLOTS, DamagedRow, SourceRow, Store

NAMES = ("atom", "rss", "json")
THREE = {  # empty, binary, overflowing a page, and plain bytes
    "k0": (b"", b"\0\xff\x00", "条目".encode() * 40_000),
    "k1": (b"<entry>a</entry>", b"<item>a</item>", b'{"id": "a"}'),
    "k2": (b"<entry>b</entry>", b"<item>b</item>", b'{"id": "b"}'),
}
TWO = {"t0": (b"<entry>t</entry>", b"<item>t</item>")}  # a build with two formats


def _read(store: Store, keys: list[str], names: tuple[str, ...]) -> dict[str, list[bytes]]:
    return {name: list(store.fragments(keys, name, slot)) for slot, name in enumerate(names)}


def test_every_format_has_a_column() -> None:
    assert len(FORMATS) <= FRAGMENT_SLOTS


def test_stored_bytes_read_back_exactly_in_every_format(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments(THREE.items(), NAMES)
    store.add_fragments(TWO.items(), NAMES[:2])
    store.commit()
    store.close()
    store = Store.open(tmp_path)
    keys = ["k2", "k0", "k1", "k0"]  # in the order asked for, a key twice too
    assert _read(store, keys, NAMES) == {
        name: [THREE[k][slot] for k in keys] for slot, name in enumerate(NAMES)}
    assert _read(store, ["t0"], NAMES[:2]) == {"atom": [TWO["t0"][0]], "rss": [TWO["t0"][1]]}
    assert store.fragment_keys(["k1", "t0", "gone"]) == {"k1", "t0"}
    rows = store.db.execute("SELECT * FROM fragments ORDER BY key").fetchall()
    assert rows == [(k, *map(zlib.crc32, made), *([None] * (3 - len(made))), *made,
                     *([None] * (3 - len(made)))) for k, made in sorted({**THREE, **TWO}.items())]
    store.close()


def test_fragments_at_hand_are_not_read(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments(THREE.items(), NAMES)
    at_hand = {"k1": (b"held", b"held rss", b"held json")}
    assert list(store.fragments(["k1", "k2"], "rss", 1, at_hand)) == [b"held rss", THREE["k2"][1]]
    store.rollback()
    store.close()


def test_a_count_of_fragments_other_than_the_formats_is_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.begin()
    with pytest.raises(ValueError, match=r"^2 fragments for 3 formats$"):
        store.add_fragments([("k", (b"a", b"b"))], NAMES)
    with pytest.raises(ValueError, match=r"^4 formats; the store holds 3$"):
        store.add_fragments([("k", (b"a", b"b", b"c", b"d"))], (*NAMES, "fourth"))
    store.rollback()
    store.close()


@pytest.mark.parametrize(("damage", "name", "slot"), [
    ("UPDATE fragments SET data0 = substr(data0, 1, 3) WHERE key = 'k1'", "atom", 0),
    ("UPDATE fragments SET crc1 = crc1 + 1 WHERE key = 'k1'", "rss", 1),
    ("UPDATE fragments SET data2 = CAST(data2 AS TEXT) WHERE key = 'k1'", "json", 2),
    ("UPDATE fragments SET data2 = NULL WHERE key = 'k1'", "json", 2),
])
def test_bytes_not_as_stored_are_damage(tmp_path: Path, damage: str, name: str,
                                        slot: int) -> None:
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments(THREE.items(), NAMES)
    store.commit()
    damage_on_disk(store.db, "fragments", damage)
    for other in (n for n in NAMES if n != name):  # the other formats read well
        assert list(store.fragments(["k1"], other, NAMES.index(other))) == \
            [THREE["k1"][NAMES.index(other)]]
    with pytest.raises(DamagedRow, match=f"^the {name} entry k1 is damaged "
                                         r"\(not the bytes stored\)$"):
        list(store.fragments(["k2", "k1"], name, slot))
    store.close()


@pytest.mark.parametrize("kept", [50, 800])  # the table emptied and refilled; rows deleted
def test_forgetting_fragments_keeps_exactly_the_bytes_of_those_kept(tmp_path: Path,
                                                                    kept: int) -> None:
    made = {f"{i:04}": (f"a{i}".encode(), f"r{i}".encode() * i, f"j{i}".encode())
            for i in range(1000)}
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments(made.items(), NAMES)
    keep = set(list(made)[::-1][:kept])
    store.forget_fragments_except(keep)
    store.commit()
    assert store.fragment_keys(made) == keep
    order = sorted(keep)
    assert _read(store, order, NAMES) == {
        name: [made[k][slot] for k in order] for slot, name in enumerate(NAMES)}
    assert store.db.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
    store.close()


# ---------------------------------------------------------------- flushes


def _flushes(monkeypatch: pytest.MonkeyPatch, pause: float = 0.0) -> list[Path]:
    """Record the files flushed (each flush taking ``pause`` seconds), every 1,000 bytes."""
    flushed: list[Path] = []
    real = store_module._flush

    def flush(path: Path) -> None:
        time.sleep(pause)
        real(path)
        flushed.append(path)

    monkeypatch.setattr(store_module, "_flush", flush)
    monkeypatch.setattr(store_module, "FLUSH_BYTES", 1000)
    return flushed


def test_stored_bytes_are_flushed_to_the_file_they_went_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed = _flushes(monkeypatch)
    store = Store.open(tmp_path)
    assert store.new  # its first build: the pages go to the database itself
    store.begin()
    store.add_fragments([("a", (b"x" * 600, b"", b""))], NAMES)
    assert store.flushing is None  # not yet 1,000 bytes
    store.add_parsed("p", b"y" * 600, b"{}", 2024, 1, None)
    store.commit()  # waits for the flush
    assert (flushed, store.flushing) == ([tmp_path / "state.sqlite"], None)
    store.begin()  # in WAL mode from now on: they go to its log
    store.add_fragments([("b", (b"z" * 2000, b"", b""))], NAMES)
    store.commit()
    assert flushed == [tmp_path / "state.sqlite", tmp_path / "state.sqlite-wal"]
    assert list(store.fragments(["a", "b"], "atom", 0)) == [b"x" * 600, b"z" * 2000]
    store.close()


def test_one_flush_at_a_time_and_none_while_the_process_forks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed = _flushes(monkeypatch, pause=0.3)
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments([("a", (b"x" * 2000, b"", b""))], NAMES)
    first = store.flushing
    assert first is not None and first.is_alive()
    store.add_fragments([("b", (b"x" * 2000, b"", b""))], NAMES)  # under way: no other
    assert store.flushing is first and threading.active_count() >= 2
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    assert not first.is_alive() and flushed == [tmp_path / "state.sqlite"]
    assert os.waitpid(pid, 0)[1] == 0
    store.rollback()
    store.close()


_KILLED = """
import os, signal, sys, time
from pathlib import Path
from feeds import store
store.FLUSH_BYTES = 1000
real = store._flush
def flush(path):
    print("flushing", flush=True)
    real(path)
    time.sleep(30)
store._flush = flush
s = store.Store.open(Path(sys.argv[1]))
s.db.execute("PRAGMA cache_size = 8")  # pages spill to the file: a flush has work
s.begin()
s.add_fragments([(f"new{i}", (os.urandom(3000), b"r", b"j")) for i in range(200)],
                ("atom", "rss", "json"))
while True:
    time.sleep(1)
"""


@pytest.mark.parametrize("first", [True, False])
def test_a_build_killed_while_its_bytes_are_flushed_leaves_the_store_as_it_was(
        tmp_path: Path, first: bool) -> None:
    """Killed mid-transaction while a flush is under way, in the first build (rollback
    journal: the next open plays it back) or a later one (WAL): the store is readable
    and holds exactly what the last commit left."""
    before = {"old": (b"<entry>old</entry>", b"<item>old</item>", b"{}")}
    if not first:
        store = Store.open(tmp_path)
        store.begin()
        store.add_fragments(before.items(), NAMES)
        store.save_sources({"issues/a.md": SourceRow(1, 2, 3, 4, "0" * 64, False)}, [])
        store.commit()  # a store with builds: the next one writes to its log
        store.close()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline() == "flushing\n"
    journal = tmp_path / ("state.sqlite-journal" if first else "state.sqlite-wal")
    assert journal.exists()
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    store = Store.open(tmp_path)
    assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert store.new is first
    assert store.fragment_keys(["old", "new0", "new199"]) == (set() if first else {"old"})
    if not first:
        assert _read(store, ["old"], NAMES) == {n: [before["old"][s]] for s, n in enumerate(NAMES)}
    store.close()
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM fragments").fetchone() == (0 if first else 1,)
    db.close()
