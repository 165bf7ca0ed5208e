"""The input side of a rebuild: each issue file compared with its stored row, read
only when its size, times or inode differ; what the shortcut gives must be what
reading every file gives."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from compose import DraftArticle, issue_markdown
from conftest import damage_on_disk

from feeds.sources import Survey, look, stat_key
from feeds.store import SEEN_BYTES, SourceRow, Store, seen_blob

ARTICLE = DraftArticle("标题", "https://example.com/a", "摘要。")


def _issue(year: int, number: int, front: str = "") -> str:
    text = issue_markdown("云计算技术动态", year, number, [("分布式系统", [ARTICLE])])
    return f"---\n{front}\n---\n{text}" if front else text


def _settle(folder: Path) -> None:
    """Every file a minute old: none is racy, so stored rows stand for them."""
    for path in folder.iterdir():
        os.utime(path, (time.time() - 60, time.time() - 60))


# ---------------------------------------------------------------- the survey of the files

def _files(folder: Path, count: int = 3) -> list[str]:
    folder.mkdir()
    for at in range(count):
        (folder / f"{at}.md").write_text(_issue(2024, at + 1), encoding="utf-8")
    _settle(folder)
    return sorted(str(p) for p in folder.iterdir())


def _rows(found: Survey) -> dict[str, bytes]:
    return {file: seen_blob(row) for file, row in found.rows().items()}


def test_the_inputs_digest_is_the_same_from_stored_rows_as_from_the_files(
        tmp_path: Path) -> None:
    """A file taken from its stored row gives the inputs digest what reading it gives
    (else no build after a change could stand for the next), and a file whose row
    matches is not read."""
    files = _files(tmp_path / "issues")
    first = Survey(files, {})
    assert sorted(first.changed) == files and first.settled and first.edited() == files
    known = _rows(first)
    again = Survey(files, known)
    assert again.changed == {} and again.settled and again.edited() == []
    assert again.inputs("s") == first.inputs("s") != again.inputs("t")
    assert again.source(files[0]).row == first.changed[files[0]].row
    assert Survey(files[1:], known).gone() == [files[0]]
    Path(files[0]).unlink()
    os.symlink("nowhere", files[0])  # now a dangling link: an error, in the digest too
    broken = Survey(files, known)
    assert list(broken.changed) == [files[0]] and not broken.settled
    assert broken.changed[files[0]].error == "it is a symbolic link to 'nowhere', which " \
        "does not exist"
    assert broken.inputs("s") == Survey(files, known).inputs("s") != first.inputs("s")


def test_an_edit_behind_size_and_mtime_a_racy_row_and_a_damaged_one_are_read(
        tmp_path: Path) -> None:
    files = _files(tmp_path / "issues")
    known = _rows(Survey(files, {}))
    edited = Path(files[1])
    st = edited.stat()
    data = edited.read_bytes()
    with edited.open("r+b") as handle:  # in place, the same size: only the ctime tells
        handle.write(data.replace(b"2024", b"2025"))
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns))
    found = Survey(files, known)
    assert list(found.changed) == [files[1]] and found.edited() == [files[1]]
    racy = dict(known)
    row = Survey([files[2]], {}).changed[files[2]].row
    assert row is not None
    racy[files[2]] = seen_blob(row._replace(racy=True))
    racy[files[0]] = known[files[0]][:SEEN_BYTES - 1]  # cut short
    found = Survey(files, racy)
    assert sorted(found.changed) == files  # all three read
    assert found.edited() == [files[0], files[1]]  # the racy one read again, unchanged


def test_stat_key_and_survey_share_one_packing_of_the_stats(tmp_path: Path) -> None:
    files = _files(tmp_path / "issues")
    stats = look(files)
    key = stat_key(files, stats, "s")
    assert stats.packs is not None and len(stats.packs) == 3
    assert key == stat_key(files, list(stats), "s")  # the packing kept is the same
    assert Survey(files, _rows(Survey(files, {})), stats).changed == {}


def test_a_source_row_that_is_not_a_blob_is_simply_not_known(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        store.begin()
        row = SourceRow(1, 2, 3, 4, "a" * 64, False)
        store.save_sources({"a.md": row, "b.md": row}, [])
        with pytest.raises(sqlite3.IntegrityError):  # a STRICT table: damage on the disk only
            store.db.execute("UPDATE sources SET seen = 'text' WHERE path = 'b.md'")
        damage_on_disk(store.db, "sources", "UPDATE sources SET seen = 'text' WHERE path = 'b.md'")
        assert store.sources() == {"a.md": seen_blob(row)}
    finally:
        store.close()

