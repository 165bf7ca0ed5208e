"""The manifest of published files as a build reads it: every path, and the sum of the
stat keys of the files the last build produced (feeds.store.Manifest). A build after one
new issue compares that sum with the files' own (in the child of OutputDir.look_ahead)
instead of reading every row; these tests try to make the shortcut keep a file it must
write again, or look at a file it must not count."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from corpus import write_corpus
from test_build import CONFIG, all_files, build, write_project
from test_webedition import mirror

import feeds.writer
from feeds.store import PublishedRow, Store, files_key

ARCHIVES = CONFIG + "max_items = 30\nsection_max_items = 10\narchive_page_size = 10\n"


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[bool | None]:
    """The child's answer in each build (True: every file intact; False: not; None: no
    answer), with a child forced for a few files and one core."""
    monkeypatch.setattr(feeds.writer, "LOOK_AHEAD_FROM", 0)
    monkeypatch.setattr("feeds.parallel.workers", lambda: 2)
    said: list[bool | None] = []
    take = feeds.writer._Ahead.take

    def counted(self: feeds.writer._Ahead) -> bool:
        answered = take(self)
        said.append(self.found is not None if answered else None)
        return answered

    monkeypatch.setattr(feeds.writer._Ahead, "take", counted)
    return said


def rows(site: Path, output: Path) -> dict[str, bool]:
    """Each manifest row of ``output``: whether it has a stat key (a file the last build
    produced)."""
    with sqlite3.connect(site / ".feeds" / "state.sqlite") as db:
        found = dict(db.execute("SELECT path, sk IS NOT NULL FROM published WHERE output = ?",
                                (str(output.resolve()),)).fetchall())
    db.close()
    return {p: bool(v) for p, v in found.items()}


def produced(site: Path, output: Path) -> dict[str, bytes]:
    """The files in ``output`` its last build produced (not the stale or superseded ones
    it leaves there)."""
    counted = rows(site, output)
    return {p: d for p, d in all_files(output).items() if counted.get(p)}


def same_as_clean(site: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    clean = write_project(tmp_path / name, {}, ARCHIVES)
    mirror(site, clean)
    assert build(clean)[0] == 0
    return all_files(clean / "output")


def test_a_stale_page_is_not_counted_and_hides_no_change(answers: list[bool | None],
                                                         tmp_path: Path) -> None:
    """An issue deleted: its page stays (stale) with a row without a stat key, so the
    child's sum leaves it out whether it is kept, edited or removed by hand; put back, the
    issue's page is written again and counted again. Every output equals a clean build's
    (but for the stale page)."""
    site = write_project(tmp_path / "site", {}, ARCHIVES)
    written = write_corpus(12, site / "issues")
    assert build(site)[0] == 0
    out = site / "output"
    deleted = written[4]
    text, times = deleted.read_bytes(), deleted.stat()
    deleted.unlink()
    code, _, err = build(site)
    assert code == 0, err
    stale = {p for p, counted in rows(site, out).items() if not counted}
    assert "issues/2005-5.html" in stale and all((out / p).is_file() for p in stale)
    write_corpus(1, site / "issues", start=12)
    answers.clear()
    code, _, err = build(site)
    assert code == 0, err
    assert answers == [True]
    assert produced(site, out) == same_as_clean(site, tmp_path, "clean1")
    (out / "issues" / "2005-5.html").write_bytes(b"edited by hand\n")  # not ours to mend
    for other in stale - {"issues/2005-5.html"}:
        (out / other).unlink()
    write_corpus(1, site / "issues", start=13)
    answers.clear()
    code, _, err = build(site)
    assert code == 0, err
    assert answers == [True]
    assert (out / "issues" / "2005-5.html").read_bytes() == b"edited by hand\n"
    left = {p for p, counted in rows(site, out).items() if not counted}
    assert {p for p in left if "archive/" not in p} == {"issues/2005-5.html"}  # and the
    # superseded archive pages, whose rows stay (see OutputDir.superseded)
    (out / "issues" / "2005-5.html").unlink()
    deleted.write_bytes(text)
    os.utime(deleted, ns=(times.st_atime_ns, times.st_mtime_ns))
    answers.clear()
    code, stdout, err = build(site)
    assert code == 0, err
    assert answers == [True]
    assert f"wrote {out / 'issues' / '2005-5.html'}" in stdout.splitlines()
    assert all(counted for p, counted in rows(site, out).items() if "archive/" not in p)
    assert produced(site, out) == same_as_clean(site, tmp_path, "clean2")
    answers.clear()
    code, stdout, err = build(site)
    assert (code, answers) == (0, [])
    assert stdout.endswith("(nothing changed)\n")


def test_another_output_folders_files_and_rows_count_only_for_it(answers: list[bool | None],
                                                                  tmp_path: Path) -> None:
    """Two output folders built from one state: a file changed or removed in one makes
    only its own builds look at each file and write it again; the other's sum holds."""
    site = write_project(tmp_path / "site", {}, ARCHIVES)
    write_corpus(12, site / "issues")
    other = site / "other"
    out = site / "output"
    assert build(site)[0] == 0
    assert build(site, "--output", str(other))[0] == 0
    assert all_files(other) == all_files(out)
    archived = sorted(p for p in all_files(other) if p.startswith("archive/"))[0]
    (other / "issues" / "2005-3.html").write_bytes(b"tampered\n")
    (other / archived).unlink()
    write_corpus(1, site / "issues", start=12)
    answers.clear()
    code, _, err = build(site)
    assert code == 0, err
    assert answers == [True]
    assert produced(site, out) == same_as_clean(site, tmp_path, "clean")
    answers.clear()
    code, stdout, err = build(site, "--output", str(other))
    assert code == 0, err
    assert answers == [False]
    assert {f"wrote {other / 'issues' / '2005-3.html'}", f"wrote {other / archived}"} <= \
        set(stdout.splitlines())
    assert produced(site, other) == produced(site, out)
    answers.clear()
    code, _, err = build(site, "--output", str(other))
    assert (code, err, answers) == (0, "", [])


def test_the_manifest_sums_its_stat_keys_exactly(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The sum SQLite gives is the one made from the files' stats: an inode past 2**63,
    rows without a key left out, no overflow with the largest keys; a row is read only
    when asked for (all at once in a small manifest)."""
    monkeypatch.setattr("feeds.store.SMALL_MANIFEST", 2)
    store = Store.open(tmp_path)
    try:
        store.begin()
        made = {"a.xml": PublishedRow("d", 5, 7, 2**64 - 1, 11),
                "b/c.html": PublishedRow("e", 6, 2**62, 9, 10),
                "stale.html": PublishedRow("f", 1, 2, 3, 4)}
        store.save_published("out", made, aside={"stale.html"})
        manifest = store.manifest("out")
        assert manifest.key == store.built_key("out") == files_key(
            [("a.xml", 5, 7, 2**64 - 1, 11), ("b/c.html", 6, 2**62, 9, 10)])
        assert manifest.key != files_key([("a.xml", 5, 7, 2**64 - 1, 11),
                                          ("b/c.html", 6, 2**62, 9, 12)])
        assert sorted(manifest) == sorted(made) and manifest.unbuilt == {"stale.html"}
        assert manifest._rows == {}
        assert manifest["a.xml"] == made["a.xml"] and list(manifest._rows) == ["a.xml"]
        assert manifest.get("missing.xml") is None
        monkeypatch.setattr("feeds.store.SMALL_MANIFEST", 3)
        small = store.manifest("out")
        assert small["a.xml"] == made["a.xml"] and small._rows == made
        store.db.executemany("INSERT INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [("big", str(n), "d", 1, 1, 1, 1, 2**62 - 1) for n in range(1000)])
        assert store.built_key("big") == f"1000:{1000 * (2**62 - 1)}"
        assert store.built_key("none") == files_key([]) == "0:0"
        assert len(store.manifest("none")) == 0
    finally:
        store.close()


def test_the_next_no_op_needs_no_row_after_any_change(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    """The no-op record's key of the published files is made from the manifest's sum and
    the rows that changed (NewManifest.built_key): after a new issue, a deleted one (a
    stale page), a page mended, an issue put back, it is the SQL sum of the saved rows,
    and the next build is a no-op that reads no row of the manifest."""
    looked: list[str] = []
    stats = Store.published_stats

    def counted(self: Store, output: str) -> dict[str, tuple[int, int, int, int]]:
        looked.append(output)
        return stats(self, output)

    monkeypatch.setattr(Store, "published_stats", counted)
    site = write_project(tmp_path / "site", {}, ARCHIVES)
    written = write_corpus(12, site / "issues")
    out = site / "output"

    def settled_build() -> str:
        for issue in (site / "issues").iterdir():  # not racy: the record is kept
            os.utime(issue, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))
        code, stdout, err = build(site)
        assert code == 0, err + stdout
        with sqlite3.connect(site / ".feeds" / "state.sqlite") as db:
            [(record,)] = db.execute("SELECT value FROM meta WHERE name = ?",
                                     ("noop\0" + str(out.resolve()),)).fetchall()
            store = Store(db, None)
            assert json.loads(record)[2] == store.built_key(str(out.resolve()))
        db.close()
        looked.clear()
        code, again, _ = build(site)  # (its warnings said again)
        assert (code, looked) == (0, [])
        assert again.endswith("(nothing changed)\n")
        return stdout

    settled_build()
    write_corpus(1, site / "issues", start=12)
    settled_build()
    text = written[4].read_bytes()
    written[4].unlink()
    settled_build()
    written[7].unlink()  # an issue and its page deleted: its row goes
    (out / "issues" / "2005-8.html").unlink()
    settled_build()
    assert "issues/2005-8.html" not in rows(site, out)
    (out / "issues" / "2005-3.html").write_bytes(b"tampered\n")
    assert f"wrote {out / 'issues' / '2005-3.html'}" in settled_build().splitlines()
    assert not rows(site, out)["issues/2005-5.html"]
    written[4].write_bytes(text)
    settled_build()  # its stale page holds the bytes: kept, and counted again
    assert rows(site, out)["issues/2005-5.html"]
    assert produced(site, out) == same_as_clean(site, tmp_path, "clean")
