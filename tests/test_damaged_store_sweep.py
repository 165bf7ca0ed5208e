"""Every column of every table of the state store set to a value of the wrong type or
shape: the database refuses it (its tables are STRICT, with NOT NULL and CHECK
constraints), or the next build copes with it (the row made again, or the store set
aside with a warning naming it) and publishes what a clean build publishes. Never an
internal error.

The tables and columns are read from the database itself, so that a table added to
the schema is swept too. Each table's cases run on one project in turn, the build
after each adding the new issue or taking it away again (two clean builds to compare
with)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import damage_on_disk
from corpus import write_corpus
from test_build import all_files, write_project

import feeds.slugs
from feeds.cli import cli
from feeds.store import _SCHEMA, Store

SIZE = 6  # issues of the corpus
CONFIG = ('base_url = "https://news.example.org/feeds/"\ntag_authority = "news.example.org"\n'
          "max_items = 30\nsection_max_items = 10\ndigest_max_items = 2\narchive_page_size = 3\n")
NEXT_YEAR = """# 云计算技术动态 2006 年第一期

## 分布式系统

**1.** **一致性协议**

https://example.com/raft

**摘要:** 介绍 Raft。

## 新栏目

**1.** **新栏目的第一篇**

https://example.com/new

**摘要:** 新栏目。
"""
NEW = "2006-01-02-1.md"
VALUES: list[object] = [None, "x", -1, 1e308, b"\x00"]
SHAPES = ["{}", "[]", "[[]]", '"x"', "[1, 2]", "[[1, 2]]"]  # JSON, of the wrong shape
# Tables that the corpus leaves empty (a build into a second output folder, or an
# article corrected after it was published, would fill them): no row here to damage.
EMPTY = {"corrected", "edits"}
TABLES = [line.split()[2] for line in _SCHEMA.splitlines() if line.startswith("CREATE TABLE")]


def _build(project: Path) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, [
        "build", "--issues", str(project / "issues"), "--output",
        str(project / "output"), "--config", str(project / "feeds.toml")])
    failure = None if isinstance(result.exception, SystemExit | None) else result.exception
    return result.exit_code, result.stderr, failure


def _project(root: Path) -> Path:
    project = write_project(root, {}, CONFIG)
    for path in write_corpus(SIZE, project / "issues"):
        os.utime(path, (1e9, 1e9))  # old files: their stats are trusted, their rows read
    return project


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, dict[str, bytes]]:
    """What a clean build publishes with the new issue; and without it, once it was
    published and taken away (its page stays, as any file a build no longer makes)."""
    project = _project(tmp_path_factory.mktemp("clean"))
    assert _build(project)[0] == 0
    (project / "issues" / NEW).write_text(NEXT_YEAR, encoding="utf-8")
    assert _build(project)[0] == 0
    added = all_files(project / "output")
    (project / "issues" / NEW).unlink()
    assert _build(project)[0] == 0
    taken = all_files(project / "output")
    cold = _project(tmp_path_factory.mktemp("cold"))
    (cold / "issues" / NEW).write_text(NEXT_YEAR, encoding="utf-8")
    assert _build(cold)[0] == 0
    assert all_files(cold / "output") == added
    return {True: added, False: taken}


def _damage(database: Path, table: str, column: str, value: object) -> int | None:
    """Set the column of every row (of one, when the column is unique) to ``value``;
    None if the database refuses it, else the rows changed."""
    db = sqlite3.connect(database, isolation_level=None)
    try:
        try:
            return db.execute(f'UPDATE {table} SET "{column}" = ?', (value,)).rowcount
        except sqlite3.IntegrityError as exc:
            if not str(exc).startswith("UNIQUE constraint failed"):
                raise
            return db.execute(f'UPDATE {table} SET "{column}" = ? WHERE rowid = '
                              f"(SELECT min(rowid) FROM {table})", (value,)).rowcount
    except sqlite3.IntegrityError:
        return None
    finally:
        db.close()


def _cases(database: Path, table: str) -> list[tuple[str, object]]:
    """Each column with each value of :data:`VALUES`; a text column whose every value
    is JSON with each of :data:`SHAPES` too."""
    with sqlite3.connect(database) as db:
        columns = [(c[1], c[2]) for c in db.execute(f"PRAGMA table_info({table})")]
        cases = []
        for column, kind in columns:
            cases += [(column, v) for v in VALUES]
            if kind == "TEXT" and db.execute(
                    f'SELECT count(*) FROM {table} WHERE json_valid("{column}")').fetchone()[0] \
                    == db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0:
                cases += [(column, v) for v in SHAPES]
    db.close()
    return cases


def test_the_sweep_covers_every_table_of_the_schema() -> None:
    made = Store.memory()
    assert [t for (t,) in made.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")] == TABLES
    made.close()
    assert set(TABLES) >= EMPTY | {"catalog", "catalog_sections", "published", "meta"}


@pytest.mark.parametrize("table", TABLES)
def test_every_column_of_the_wrong_type_or_shape_is_refused_or_coped_with(
        tmp_path: Path, table: str, clean: dict[bool, dict[str, bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds.slugs, "_known", {})  # as in a new process: slugs are stored
    project = _project(tmp_path / "p")
    assert _build(project)[0] == 0
    (project / "issues" / NEW).write_text(NEXT_YEAR, encoding="utf-8")
    assert _build(project)[0] == 0  # a build after a cold one: what it keeps too
    database = project / ".feeds" / "state.sqlite"
    with sqlite3.connect(database) as db:
        rows = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    db.close()
    assert (rows == 0) == (table in EMPTY)
    if not rows:
        return
    new = True
    cases = _cases(database, table)
    assert len(cases) >= len(VALUES)
    for column, value in cases:
        changed = _damage(database, table, column, value)
        if changed is None:
            continue
        assert changed > 0
        new = not new
        if new:
            (project / "issues" / NEW).write_text(NEXT_YEAR, encoding="utf-8")
        else:
            (project / "issues" / NEW).unlink()
        code, err, failure = _build(project)
        case = f"{table}.{column} = {value!r}"
        assert failure is None, f"{case}: {failure!r}"
        assert code == 0, f"{case}: {err}"
        assert all(line.startswith(f"{database}: warning: ") or (
            line.startswith(f"{project / 'output'}/")
            and line.endswith(": warning: no longer produced; kept, not deleted"))
            for line in err.splitlines()), f"{case}: {err}"
        assert all_files(project / "output") == clean[new], case


@pytest.mark.parametrize("damage", [
    "UPDATE catalog SET year = NULL",  # refused: planted as damage on the disk
    "UPDATE catalog SET name = 'x'", "UPDATE published SET digest = 'x'"])
def test_check_and_list_do_not_read_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    """``feeds check`` and ``feeds list`` read the issue files alone: a damaged store,
    or one that is not a database at all, changes nothing they print."""
    project = _project(tmp_path / "p")
    monkeypatch.chdir(project)
    commands = (["check"], ["list"], ["list", "--json"])
    before = [CliRunner().invoke(cli, c) for c in commands]
    assert [r.exit_code for r in before] == [0, 0, 0]
    assert _build(project)[0] == 0
    database = project / ".feeds" / "state.sqlite"
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute(damage)
    except sqlite3.IntegrityError:
        damage_on_disk(db, damage.split()[1], damage)
    finally:
        db.close()
    for state in ("damaged", "not a database"):
        if state == "not a database":
            database.write_bytes(b"\x00" * 4096)
        after = [CliRunner().invoke(cli, c) for c in commands]
        assert [(r.exit_code, r.stdout, r.stderr) for r in after] == \
            [(r.exit_code, r.stdout, r.stderr) for r in before], state
