"""A catalog row in the state store holding a value of the wrong type (NULL, text where
a number goes) is refused by the database (STRICT tables, NOT NULL, CHECK); one that got
there all the same (damaged on the disk, where no constraint is checked) is dropped and
its file read again. Never an internal error (exit 70).

Found by breaker9 (every column of every table set to NULL, 'x', -1 and x'00' in turn,
then one new issue): ``UPDATE catalog SET year = NULL`` gave exit 70, ``feeds: internal
error: TypeError: '<' not supported between instances of 'int' and 'NoneType'``; ``SET
date = 'x'``: ``ValueError: invalid literal for int() with base 10: 'x'``; ``SET path =
'x'``: ``IndexError: list index out of range``. tests/test_damaged_store_sweep.py sweeps
every column of every table."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import damage_on_disk
from corpus import write_corpus
from test_build import all_files, build, write_project

ROOT = Path(__file__).resolve().parent.parent
NEXT_YEAR = """# 云计算技术动态 2006 年第一期

## 分布式系统

**1.** **一致性协议**

https://example.com/raft

**摘要:** 介绍 Raft。
"""


def _build(project: Path) -> subprocess.CompletedProcess[str]:
    """The command as run, in its own process (the state's code stamp is that of one)."""
    return subprocess.run([sys.executable, "-m", "feeds", "build", "--quiet"], cwd=project,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("column", "value"), [("year", None), ("number", "x"),
                                               ("date", "x"), ("path", "x"), ("stamp", None)])
def test_a_catalog_row_of_the_wrong_type_is_no_internal_error(
        tmp_path: Path, column: str, value: object) -> None:
    project = write_project(tmp_path / "site", {})
    for path in write_corpus(12, project / "issues"):
        os.utime(path, (1e9, 1e9))  # old files: their stats are trusted, their rows read
    assert _build(project).returncode == 0
    database = project / ".feeds" / "state.sqlite"
    with sqlite3.connect(database) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute(f"UPDATE catalog SET {column} = ?", (value,))
    db.close()
    assert damage_on_disk(database, "catalog", f"UPDATE catalog SET {column} = ?", value) == 12
    with sqlite3.connect(database) as db:  # a value no constraint would let in
        assert db.execute("PRAGMA quick_check").fetchone() != ("ok",)
    db.close()
    (project / "issues" / "2006-01-02-1.md").write_text(NEXT_YEAR, encoding="utf-8")
    done = _build(project)
    assert (done.returncode, done.stderr) == (0, "")
    with sqlite3.connect(database) as db:  # every row made again from its file
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()
    clean = write_project(tmp_path / "clean", {})
    write_corpus(12, clean / "issues")
    (clean / "issues" / "2006-01-02-1.md").write_text(NEXT_YEAR, encoding="utf-8")
    assert build(clean, "--quiet")[0] == 0
    assert all_files(project / "output") == all_files(clean / "output")


def test_a_store_whose_schema_was_edited_is_set_aside(tmp_path: Path) -> None:
    """A table's constraints taken away by hand (its schema row rewritten): the store is
    not trusted, set aside with a warning, and the build starts from scratch."""
    project = write_project(tmp_path / "site", {})
    write_corpus(12, project / "issues")
    assert _build(project).returncode == 0
    database = project / ".feeds" / "state.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = replace(sql, ') STRICT', ')') "
                   "WHERE name = 'catalog'")
    db.close()
    (project / "issues" / "2006-01-02-1.md").write_text(NEXT_YEAR, encoding="utf-8")
    code, _, err = build(project)
    assert (code, err) == (0, (
        f"{database}: warning: not a usable state database (its tables are not as this "
        "version makes them (a schema edited by hand)); set aside as state.sqlite.broken, "
        "building from scratch\n"))
    assert (database.parent / "state.sqlite.broken").is_file()
    clean = write_project(tmp_path / "clean", {})
    write_corpus(12, clean / "issues")
    (clean / "issues" / "2006-01-02-1.md").write_text(NEXT_YEAR, encoding="utf-8")
    assert build(clean, "--quiet")[0] == 0
    assert all_files(project / "output") == all_files(clean / "output")
