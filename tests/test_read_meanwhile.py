"""Three shortcuts of a build after one new issue: the stored entries its feeds carry are
read once for every format (feeds.store.ReadOnce), the manifest is read by a thread
on a connection of its own while the build imports (Store.manifest_meanwhile), and a
feed whose key is the last build's is kept as it is (site.KEEP_FEEDS). Each gives what
the plain path gives, byte for byte, or falls back to it; damage is found as it always
is."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import damage_on_disk
from corpus import write_corpus
from test_build import all_files, build, write_project

import feeds.site
import feeds.writer
from feeds import store as store_module
from feeds.store import DamagedRow, ReadOnce, Store

NAMES = ("atom", "rss", "json")
MADE = {f"k{i:04}": (f"<entry>{i}</entry>".encode(), f"<item>{i}</item>".encode() * (i % 7),
                     b'{"id": %d}' % i) for i in range(1200)}


def _stored(tmp_path: Path, made: dict[str, tuple[bytes, ...]] = MADE) -> Store:
    store = Store.open(tmp_path)
    store.begin()
    store.add_fragments(made.items(), NAMES)
    store.commit()
    return store


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of keys of each Store.fragment_rows call."""
    asked: list[int] = []
    real = Store.fragment_rows

    def counted(self: Store, keys: list[str], formats: tuple[str, ...]
                ) -> dict[str, tuple[bytes, ...]]:
        keys = list(keys)
        asked.append(len(keys))
        return real(self, keys, formats)

    monkeypatch.setattr(Store, "fragment_rows", counted)
    return asked


# a key twice, the largest batch and more, keys in no order
ORDER = ["k0005", "k0003", "k0005", "k1199", "k0000", *(f"k{i:04}" for i in range(100, 1150))]


def test_each_format_as_stored_each_row_read_once(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = _stored(tmp_path)
    asked = _counted(monkeypatch)
    reads = ReadOnce(store, NAMES)
    for slot, name in enumerate(NAMES):  # a feed written in each format in turn
        assert list(reads.fragments(ORDER, slot)) == list(store.fragments(ORDER, name, slot)) \
            == [MADE[k][slot] for k in ORDER]
    assert sum(asked) == len(set(ORDER))  # the other formats found kept
    at_hand = {"k0003": (b"held", b"held rss", b"held json")}
    assert list(reads.fragments(["k0003", "k0004"], 1, at_hand)) == [b"held rss",
                                                                     MADE["k0004"][1]]
    store.close()


def test_past_its_budget_what_was_kept_first_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _stored(tmp_path)
    asked = _counted(monkeypatch)
    reads = ReadOnce(store, NAMES, budget=2000)
    for slot in (0, 1, 2, 0):
        assert list(reads.fragments(ORDER, slot)) == [MADE[k][slot] for k in ORDER]
        assert reads.held <= 2000
        assert reads.held == sum(sum(map(len, made)) for made in reads.kept.values())
    assert sum(asked) > 3 * len(set(ORDER))
    store.close()


@pytest.mark.parametrize(("damage", "name"), [
    ("UPDATE fragments SET data0 = substr(data0, 1, 3) WHERE key = 'k0001'", "atom"),
    ("UPDATE fragments SET crc1 = crc1 + 1 WHERE key = 'k0001'", "rss"),
    ("UPDATE fragments SET data2 = CAST(data2 AS TEXT) WHERE key = 'k0001'", "json"),
    ("UPDATE fragments SET data2 = NULL WHERE key = 'k0001'", "json"),
])
@pytest.mark.parametrize("slot", [0, 1, 2])
def test_bytes_not_as_stored_are_damage_in_whichever_format_is_asked(
        tmp_path: Path, damage: str, name: str, slot: int) -> None:
    """The row is read for every format: its damage is found when any of them is asked,
    named as the plain path names it, and the build sets the database aside."""
    store = _stored(tmp_path)
    damage_on_disk(store.db, "fragments", damage)
    with pytest.raises(DamagedRow, match=f"^the {name} entry k0001 is damaged "
                                         r"\(not the bytes stored\)$"):
        list(ReadOnce(store, NAMES).fragments(["k0002", "k0001"], slot))
    assert list(ReadOnce(store, NAMES).fragments(["k0002"], slot)) == [MADE["k0002"][slot]]
    store.close()


def _threads_of_manifest_reads(monkeypatch: pytest.MonkeyPatch, pause: float = 0.0
                               ) -> list[tuple[str, float]]:
    """The thread of each read of a manifest's sums, and when it ended."""
    seen: list[tuple[str, float]] = []
    real = store_module._manifest_sums

    def sums(db: sqlite3.Connection, output: str) -> tuple[object, ...]:
        time.sleep(pause)
        try:
            return real(db, output)
        finally:
            seen.append((threading.current_thread().name, time.monotonic()))

    monkeypatch.setattr(store_module, "_manifest_sums", sums)
    return seen


def _built(tmp_path: Path) -> tuple[Path, str]:
    site = write_project(tmp_path / "site", {})
    write_corpus(6, site / "issues")
    assert build(site)[0] == 0
    return site, str((site / "output").resolve())


def _same(a: store_module.Manifest, b: store_module.Manifest) -> None:
    assert (a.paths, a.unbuilt, a.count, a.key) == (b.paths, b.unbuilt, b.count, b.key)
    assert a.store is b.store and len(a.paths) > 20


def test_the_manifest_read_meanwhile_is_the_one_read_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, output = _built(tmp_path)
    store = Store.open(site / ".feeds")
    store.begin()
    seen = _threads_of_manifest_reads(monkeypatch)
    _same(store.manifest_meanwhile(output)(), store.manifest(output))
    assert [name for name, _ in seen] == ["manifest", "MainThread"]
    store.rollback()
    store.close()


def test_once_the_build_changed_a_row_the_manifest_is_read_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection would not see the change: the rows are read on the build's."""
    site, output = _built(tmp_path)
    store = Store.open(site / ".feeds")
    store.begin()
    store.db.execute("DELETE FROM published WHERE output = ? AND path = 'index.html'",
                     (output,))
    seen = _threads_of_manifest_reads(monkeypatch)
    owned = store.manifest_meanwhile(output)()
    assert "index.html" not in owned and "atom.xml" in owned
    assert [name for name, _ in seen] == ["MainThread"]
    store.rollback()
    outside = store.manifest_meanwhile(output)  # and outside a transaction: here too
    assert "index.html" in outside() and [name for name, _ in seen][1:] == ["MainThread"]
    store.close()


def test_a_thread_that_fails_leaves_the_read_to_this_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, output = _built(tmp_path)
    store = Store.open(site / ".feeds")
    store.begin()
    real = sqlite3.connect

    def refused(*args: object, **kwargs: object) -> sqlite3.Connection:
        if threading.current_thread().name == "manifest":
            raise sqlite3.OperationalError("unable to open database file")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", refused)
    _same(store.manifest_meanwhile(output)(), store.manifest(output))
    monkeypatch.setattr(sqlite3, "connect", real)
    failing = store_module._manifest_sums

    def malformed(db: sqlite3.Connection, output: str) -> tuple[object, ...]:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(store_module, "_manifest_sums", malformed)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):  # said here, as ever
        store.manifest_meanwhile(output)()
    monkeypatch.setattr(store_module, "_manifest_sums", failing)
    store.rollback()
    store.close()


def test_a_fork_waits_for_the_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No thread of the build runs when it forks a child (see feeds.store._flushed)."""
    site, output = _built(tmp_path)
    store = Store.open(site / ".feeds")
    store.begin()
    seen = _threads_of_manifest_reads(monkeypatch, pause=0.3)
    taken = store.manifest_meanwhile(output)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    forked = time.monotonic()
    assert os.waitpid(pid, 0)[1] == 0
    assert [name for name, _ in seen] == ["manifest"] and seen[0][1] <= forked
    _same(taken(), store.manifest(output))
    store.rollback()
    store.close()


def test_a_build_after_one_new_issue_is_the_same_without_the_shortcuts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _counted(monkeypatch)
    seen = _threads_of_manifest_reads(monkeypatch)
    files: dict[bool, dict[str, bytes]] = {}
    for on in (True, False):
        monkeypatch.setattr(feeds.site, "READ_ONCE", on)
        monkeypatch.setattr(feeds.site, "KEEP_FEEDS", on)
        monkeypatch.setattr(store_module, "MANIFEST_MEANWHILE", on)
        site = write_project(tmp_path / str(on), {})
        write_corpus(40, site / "issues")
        assert build(site)[0] == 0
        asked.clear()
        seen.clear()
        write_corpus(1, site / "issues", start=40)
        assert build(site)[0] == 0
        # the shortcuts taken, or not: the older entries are read from the store
        assert (sum(asked) > 100) == on and (not asked) == (not on)
        assert [name for name, _ in seen] == ["manifest" if on else "MainThread"]
        files[on] = all_files(site / "output")
    assert len(files[True]) > 100 and files[True] == files[False]


def _one_section(number: int) -> str:
    """An issue with one article in one section of the corpus's."""
    return (f"# 云计算技术动态 2006 年第{number}期\n\n## 分布式系统\n\n**1.** **一致性协议 {number}**\n\n"
            f"https://example.com/raft/{number}\n\n**摘要:** 介绍 Raft。\n")


def _kept_feeds(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The feeds each build kept as they were (not made)."""
    kept: list[list[str]] = []
    real = feeds.writer.OutputDir.publish

    def publish(self: feeds.writer.OutputDir, files: dict[str, object],
                owned: object, *staged: object) -> object:
        kept.append(sorted(p for p, made in files.items() if isinstance(made, feeds.writer.Keep)
                           and p.endswith(("atom.xml", "rss.xml", "feed.json"))
                           and "/archive/" not in p))
        return real(self, files, owned, *staged)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds.writer.OutputDir, "publish", publish)
    return kept


def _clean(tmp_path: Path, site: Path) -> dict[str, bytes]:
    clean = write_project(tmp_path / f"clean-{len(list(tmp_path.iterdir()))}", {})
    for path in (site / "issues").iterdir():
        (clean / "issues" / path.name).write_bytes(path.read_bytes())
    assert build(clean)[0] == 0
    return all_files(clean / "output")


def test_feeds_a_new_issue_leaves_as_they_were_are_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = _kept_feeds(monkeypatch)
    site = write_project(tmp_path / "site", {})
    write_corpus(40, site / "issues")
    assert build(site)[0] == 0
    out = site / "output"
    before = {p: (out / p).stat().st_ino for p in all_files(out)}
    (site / "issues" / "2006-01-02-1.md").write_text(_one_section(1), encoding="utf-8")
    assert build(site)[0] == 0
    assert len(kept[-1]) == 3 * 11  # every section's feeds but the new issue's
    assert not any(p.startswith(("sections/fen-bu-shi-xi-tong/", "digest/")) or "/" not in p
                   for p in kept[-1])
    assert all((out / p).stat().st_ino == before[p] for p in kept[-1])  # never rewritten
    assert all_files(out) == _clean(tmp_path, site)


def test_a_kept_feed_changed_by_hand_is_written_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = _kept_feeds(monkeypatch)
    site = write_project(tmp_path / "site", {})
    write_corpus(40, site / "issues")
    assert build(site)[0] == 0
    (site / "issues" / "2006-01-02-1.md").write_text(_one_section(1), encoding="utf-8")
    assert build(site)[0] == 0
    out = site / "output"
    tampered, gone = kept[-1][0], kept[-1][1]
    data = (out / tampered).read_bytes()
    (out / tampered).write_bytes(data.replace(b"<", b">", 1))  # same size
    (out / gone).unlink()
    (site / "issues" / "2006-01-09-2.md").write_text(_one_section(2), encoding="utf-8")
    assert build(site)[0] == 0
    assert tampered not in kept[-1] and gone not in kept[-1] and len(kept[-1]) == 3 * 11 - 2
    assert all_files(out) == _clean(tmp_path, site)


def test_keys_are_kept_by_a_build_that_uses_none(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A build with the shortcut off still records each feed's key: a later build with it
    on never keeps a feed on the key of a file written since."""
    kept = _kept_feeds(monkeypatch)
    site = write_project(tmp_path / "site", {})
    written = write_corpus(40, site / "issues")
    assert build(site)[0] == 0  # every feed's key, as published now
    monkeypatch.setattr(feeds.site, "KEEP_FEEDS", False)
    text = written[-1].read_bytes()
    written[-1].unlink()  # the newest issue gone: its sections' feeds change
    assert build(site)[0] == 0 and kept[-1] == []
    monkeypatch.setattr(feeds.site, "KEEP_FEEDS", True)
    written[-1].write_bytes(text)  # back: the feeds' keys are the first build's again
    assert build(site)[0] == 0
    assert all_files(site / "output") == _clean(tmp_path, site)
